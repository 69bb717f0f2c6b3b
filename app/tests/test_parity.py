"""One application layer: every bundled scenario gives the same JSON through the CLI and
through the Python module."""

import json
import pathlib
import subprocess

import pytest

import meshproof

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p for p in (ROOT / "scenarios").iterdir() if (p / "mesh").is_dir())


def cli(bin_, *args, cwd):
    r = subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=600)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_verify_reach_model_are_identical(meshproof_bin, scenario, monkeypatch):
    monkeypatch.chdir(scenario)  # relative paths, as a user types them
    assert cli(meshproof_bin, "verify", "mesh", "-o", "json", cwd=scenario) == meshproof.verify("mesh")
    assert cli(meshproof_bin, "reach", "mesh", "-o", "json", cwd=scenario) == meshproof.reach("mesh")
    assert cli(meshproof_bin, "model", "mesh", cwd=scenario) == meshproof.model("mesh")
    # The Mesh object resolves settings exactly as the CLI does (.meshproof.yaml included).
    assert meshproof.load("mesh").verify_report() == meshproof.verify("mesh")
    assert cli(meshproof_bin, "verify", "mesh", "-o", "json", "--profile", "osm", cwd=scenario) == \
        meshproof.verify("mesh", profile="osm")
    assert cli(meshproof_bin, "verify", "mesh", "-o", "json", "--permissive", cwd=scenario) == \
        meshproof.verify("mesh", permissive=True) == meshproof.load("mesh").verify_report(permissive=True)
    assert cli(meshproof_bin, "reach", "mesh", "-o", "json", "--permissive", cwd=scenario)["entries"] == \
        meshproof.load("mesh").reach(permissive=True)


@pytest.mark.parametrize("scenario", [p for p in SCENARIOS if (p / "scenario.yaml").exists()],
                         ids=lambda p: p.name)
def test_simulate_and_canary_are_identical(meshproof_bin, scenario, monkeypatch):
    monkeypatch.chdir(scenario)
    text = (scenario / "scenario.yaml").read_text()
    if "canary:" in text:
        args = ["--replications", "3", "--seed", "5"]
        assert cli(meshproof_bin, "canary", "scenario.yaml", "-o", "json", *args, cwd=scenario) == \
            meshproof.canary("scenario.yaml", replications=3, seed=5)
        assert cli(meshproof_bin, "canary", "scenario.yaml", "-o", "json", *args, "--fail-on",
                   "rollback=0.5,progressing", cwd=scenario) == \
            meshproof.canary("scenario.yaml", replications=3, seed=5,
                             fail_on="rollback=0.5,progressing")
        assert cli(meshproof_bin, "canary", "scenario.yaml", "-o", "json", *args, "--permissive",
                   cwd=scenario) == \
            meshproof.canary("scenario.yaml", replications=3, seed=5, permissive=True)
    else:
        args = ["--replications", "2", "--seed", "5", "--duration", "60s"]
        assert cli(meshproof_bin, "simulate", "scenario.yaml", "-o", "json", *args, cwd=scenario) == \
            meshproof.simulate("scenario.yaml", replications=2, seed=5, duration=60)


def test_python_takes_the_config_beside_the_inputs_and_flags_win(tmp_path, monkeypatch):
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "a.yaml").write_text((ROOT / "scenarios" / "payments" / "mesh" / "20-payments.yaml").read_text())
    (mesh / ".meshproof.yaml").write_text("profile: osm\nseverity: {MP1009: error}\n")
    monkeypatch.chdir(tmp_path)
    doc = meshproof.load("mesh").verify_report()
    assert doc["profile"] == "osm"
    assert meshproof.load("mesh").verify_report(profile="spec")["profile"] == "spec"
    with pytest.raises(ValueError, match="--profile must be"):
        meshproof.load("mesh").verify(profile="istio")
