"""`python3 -m meshproof` runs the same command line as the binary: same output, exit
codes and usage errors."""

import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MESHPROOF_BUILD_DIR", ROOT / "build"))
PAYMENTS = ROOT / "scenarios" / "payments"


def both(bin_, *args, cwd=PAYMENTS):
    env = dict(os.environ, PYTHONPATH=str(BUILD / "python"))
    a = subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=300)
    b = subprocess.run(["/usr/bin/python3", "-m", "meshproof", *args], capture_output=True,
                       text=True, cwd=cwd, timeout=300, env=env)
    return a, b


def test_same_output_and_exit_codes(meshproof_bin, tmp_path):
    for args in (["verify", "mesh"], ["verify", "mesh", "-o", "json"], ["reach", "mesh"],
                 ["query", "mesh", "--from", "storefront/checkout", "--to", "payments/payments-api"],
                 ["codes", "MP3011"], ["completion", "bash"], ["diff", "--help"],
                 ["simulate", "scenario.yaml", "--replications", "1", "--duration", "60s", "-o", "json"]):
        a, b = both(meshproof_bin, *args)
        assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr), args


def test_usage_errors_and_output_files(meshproof_bin, tmp_path):
    a, b = both(meshproof_bin, "verify", "--seed", "1", "mesh")
    assert a.returncode == b.returncode == 2 and a.stderr == b.stderr
    out = tmp_path / "v.sarif"
    _, b = both(meshproof_bin, "verify", "mesh", "-o", "sarif", "--output-file", str(out))
    assert b.returncode == 1 and b.stdout == "" and '"version": "2.1.0"' in out.read_text()
