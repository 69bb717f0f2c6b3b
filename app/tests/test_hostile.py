"""Hostile input (issue 14): every finding of the adversarial run, as a regression test.

Each test feeds what a pull request or a scenario might hold and asserts the answer is a
located diagnostic or a clear exit 2: no crash, no hang, no silent drop, nothing destroyed.
"""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOKSTORE = ROOT / "scenarios" / "bookstore" / "mesh"


def run(bin_, *args, cwd=None, timeout=120, input=None):
    r = subprocess.run([bin_, *args], capture_output=True, cwd=cwd, timeout=timeout, input=input)
    assert r.returncode in (0, 1, 2, 3), (r.returncode, r.stderr[-2000:])  # no signal, no abort
    assert b"internal error" not in r.stderr and b"terminate called" not in r.stderr, r.stderr
    return r


def mesh_copy(tmp_path, name="mesh"):
    dst = tmp_path / name
    shutil.copytree(BOOKSTORE, dst)
    return dst


def replace_in(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_deeply_nested_regex_is_mp2001_naming_the_limit(meshproof_bin, tmp_path):
    mesh = mesh_copy(tmp_path)
    replace_in(mesh / "40-routes.yaml", "pathRegex: /books-bought", 'pathRegex: "' + "(" * 20000 + '"')
    for args in (["verify", "-o", "json"], ["reach", "-o", "json"]):
        r = run(meshproof_bin, *args, str(mesh))
        assert r.returncode in (0, 1)
    r = run(meshproof_bin, "verify", "-o", "json", str(mesh))
    found = [d for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "MP2001"]
    assert found and "groups nested deeper than 1000" in found[0]["message"]
    assert len(found[0]["message"]) < 600  # the 20,000-character pattern is abbreviated
    base = mesh_copy(tmp_path, "base")
    r = run(meshproof_bin, "diff", str(base), str(mesh), "-o", "json")
    assert r.returncode in (0, 1)


def test_non_utf8_file_names_are_escaped_the_same_in_every_format(meshproof_bin, tmp_path):
    mesh = mesh_copy(tmp_path)
    bad = os.fsencode(str(mesh)) + b"/sp\xff\x01lit.yaml"
    os.rename(mesh / "60-split.yaml", bad)
    with open(bad, "ab") as f:
        f.write(b"---\napiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\n"
                b"metadata: {name: x, namespace: bookstore}\nspec: {}\n")
    shown = "sp\\xff\\x01lit.yaml"
    r = run(meshproof_bin, "verify", "-o", "json", str(mesh))
    files = {d["location"]["file"] for d in json.loads(r.stdout)["diagnostics"]}
    assert any(f.endswith("sp\\xff\x01lit.yaml") for f in files), files
    r = run(meshproof_bin, "verify", "-o", "sarif", str(mesh))
    uris = json.dumps(json.loads(r.stdout))
    assert "sp%FF%01lit.yaml" in uris
    r = run(meshproof_bin, "verify", "-o", "junit", str(mesh))
    assert shown.encode() in r.stdout
    r = run(meshproof_bin, "verify", str(mesh))
    assert shown.encode() in r.stdout and b"\x01" not in r.stdout and b"\xff" not in r.stdout
    r = run(meshproof_bin, "model", str(mesh))
    assert r.returncode == 0 and json.loads(r.stdout)


def test_control_characters_never_reach_the_terminal(meshproof_bin, tmp_path):
    mesh = mesh_copy(tmp_path)
    evil = os.fsencode(str(mesh)) + b"/\x1b]0;pwned\x07.yaml"
    with open(evil, "wb") as f:
        f.write(b"apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\n"
                b"metadata: {name: x, namespace: bookstore}\nspec: {}\n")
    for fmt in ("text", "json"):
        r = run(meshproof_bin, "verify", "-o", fmt, "--color", "always", str(mesh))
        assert b"\x1b]" not in r.stdout and b"\x07" not in r.stdout and b"\x1b]" not in r.stderr
    r = run(meshproof_bin, "verify", "--color", "always", str(mesh))
    assert b"\\x1b]0;pwned\\x07.yaml" in r.stdout
    assert b"\x1b[" in r.stdout  # our own colours still pass


VALIDATION = ROOT / "scenarios" / "validation"


def scenario(tmp_path, body, name="s.yaml"):
    shutil.copytree(VALIDATION / "mesh", tmp_path / "mesh", dirs_exist_ok=True)
    path = tmp_path / name
    path.write_text("apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
                    "spec:\n  mesh: [mesh]\n" + body)
    return path


def test_devices_and_fifos_neither_hang_nor_exhaust_memory(meshproof_bin, tmp_path):
    r = run(meshproof_bin, "verify", "/dev/zero", timeout=30)
    assert r.returncode == 1 and b"MP0001" in r.stdout and b"binary data" in r.stdout
    mesh = mesh_copy(tmp_path)
    for flag in ("--config", "--intents"):
        r = run(meshproof_bin, "verify", flag, "/dev/zero", str(mesh), timeout=30)
        assert r.returncode == 2 and b"binary data" in r.stderr
        r = run(meshproof_bin, "verify", flag, str(tmp_path), str(mesh), timeout=30)
        assert r.returncode == 2 and b"folder" in r.stderr
    for cmd in ("simulate", "canary"):
        r = run(meshproof_bin, cmd, "/dev/zero", timeout=30)
        assert r.returncode == 2 and b"binary data" in r.stderr
    os.mkfifo(mesh / "pipe.yaml")
    r = run(meshproof_bin, "verify", "-o", "json", str(mesh), timeout=60)  # blocked forever before
    found = [d for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "MP0008"]
    assert found and "a FIFO" in found[0]["message"]
    empty = tmp_path / "empty"
    empty.mkdir()
    r = run(meshproof_bin, "verify", str(empty))
    assert b"MP0008" in r.stdout and b"folder holds no manifest" in r.stdout


def test_write_errors_and_devices_as_output(meshproof_bin, tmp_path):
    with open("/dev/full", "wb") as full:
        r = subprocess.run([meshproof_bin, "verify", str(BOOKSTORE)], stdout=full,
                           stderr=subprocess.PIPE, timeout=120)
    assert r.returncode == 2 and b"cannot write" in r.stderr
    r = run(meshproof_bin, "verify", "-o", "json", "--output-file", "/dev/null", str(BOOKSTORE))
    assert r.returncode in (0, 1)
    import stat
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # written in place, never replaced


def test_malformed_names_in_flags_are_usage_errors(meshproof_bin):
    for bad in ("a/b/c", "//", "ns/"):
        r = run(meshproof_bin, "query", str(BOOKSTORE), "--from", bad, "--to", "bookstore/bookstore")
        assert r.returncode == 2, bad
        r = run(meshproof_bin, "query", str(BOOKSTORE), "--from", "bookbuyer/bookbuyer", "--to-identity", bad)
        assert r.returncode == 2, bad


def test_silent_drops_are_diagnostics(meshproof_bin, tmp_path):
    f = tmp_path / "objs.yaml"
    f.write_text(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: 3, namespace: x}\n---\n"
        "apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTargett\nmetadata: {name: t}\n---\n"
        "apiVersion: split.smi-spec.io/v1alpha2\nkind: TrafficSplit\nmetadata: {name: s, namespace: x}\n"
        "spec:\n  service: root\n  backends:\n  - {service: a, weight: .nan}\n  - {service: b, weight: 1}\n---\n"
        "apiVersion: specs.smi-spec.io/v1alpha4\nkind: HTTPRouteGroup\nmetadata: {name: g, namespace: x}\n"
        "spec:\n  matches:\n  - name: m\n    headers:\n    - \"user agent\": \".*\"\n")
    r = run(meshproof_bin, "verify", "-o", "json", str(f))
    codes = [(d["code"], d["message"]) for d in json.loads(r.stdout)["diagnostics"]]
    assert any(c == "MP0002" and "3 is a number" in m for c, m in codes), codes
    assert any(c == "MP0009" and "did you mean TrafficTarget?" in m for c, m in codes), codes
    assert any(c == "MP3004" and "not a finite number" in m for c, m in codes), codes
    assert any(c == "MP0002" and "not an HTTP field name" in m for c, m in codes), codes


def test_hostile_scenarios_end_in_exit_2_with_a_reason(meshproof_bin, tmp_path):
    src = "  sources: [{from: queue/client, to: queue/node-a, rate: 50}]\n"
    s = scenario(tmp_path, "  duration: 1000s\n  window: 1ns\n" + src)
    r = run(meshproof_bin, "simulate", str(s), timeout=60)
    assert r.returncode == 2 and b"metric windows per edge" in r.stderr and r.stdout == b""
    out = tmp_path / "out.json"
    r = run(meshproof_bin, "simulate", str(s), "-o", "json", "--output-file", str(out), timeout=60)
    assert r.returncode == 2 and not out.exists()  # no partial output
    s = scenario(tmp_path, "  duration: 100000s\n  window: 10000s\n"
                 "  sources: [{from: queue/client, to: queue/node-a, rate: 500}]\n"
                 "  workloads: [{workload: queue/node-a, serviceTime: 10ms}]\n")
    r = run(meshproof_bin, "simulate", str(s), "--max-memory", "64Mi", "--jobs", "1", timeout=120)
    assert r.returncode == 2 and b"over the memory budget" in r.stderr
    for bad in ("64", "lots", "-1Gi"):
        r = run(meshproof_bin, "simulate", str(s), "--max-memory", bad)
        assert r.returncode == 2 and b"--max-memory" in r.stderr
    s = scenario(tmp_path, "  duration: 1e308h\n" + src)
    r = run(meshproof_bin, "simulate", str(s))
    assert r.returncode == 2 and b"MP6001" in r.stderr
    s = scenario(tmp_path, "  duration: 100s\n  warmup: 30s\n" + src)
    r = run(meshproof_bin, "simulate", str(s), "--duration", "20s")
    assert r.returncode == 2 and b"warm-up" in r.stderr
    s = scenario(tmp_path, "  duration: 10s\n" + src +
                 "  workloads:\n  - {workload: queue/node-a, calls: [{to: queue/node-b}]}\n"
                 "  - {workload: queue/node-b, calls: [{to: queue/node-a}]}\n")
    r = run(meshproof_bin, "simulate", str(s), timeout=30)
    assert r.returncode == 2 and b"synchronous call cycle queue/node-a -> queue/node-b -> queue/node-a" in r.stderr


@pytest.mark.parametrize("flag", ["--vary", "--find-min"])
@pytest.mark.parametrize("value", ["nan:1:1", "1:inf:1", "0:1:nan", "-inf:0:1"])
def test_sweep_ranges_that_are_not_finite_are_usage_errors(meshproof_bin, flag, value):
    scenario = ROOT / "scenarios" / "payments" / "scenario.yaml"
    r = run(meshproof_bin, "sweep", str(scenario), flag, f"duration={value}")
    assert r.returncode == 2, r.stderr
    assert value.encode() in r.stderr
