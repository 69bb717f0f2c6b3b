"""`meshproof canary`: outcome probabilities, timeline, determinism and rejected canaries."""

import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEALTHY = ROOT / "scenarios" / "canary-healthy"


def run(bin_, *args, cwd=None):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_json_prediction(meshproof_bin):
    r = run(meshproof_bin, "canary", str(HEALTHY / "scenario.yaml"), "--format", "json",
            "--replications", "20", "--seed", "3")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["seed"] == 3 and doc["replications"] == 20 and doc["profile"] == "spec"
    out = doc["outcome"]
    assert abs(out["promoted"]["p"] + out["rolledBack"]["p"] + out["progressing"]["p"] - 1) < 1e-9
    assert out["promoted"]["p"] == 1.0
    assert doc["canary"]["maxWeight"] == 50 and doc["canary"]["stepWeight"] == 5
    timeline = doc["typicalRun"]["timeline"]
    assert [t["canaryWeight"] for t in timeline[:3]] == [0, 5, 10]
    assert timeline[-1]["phase"] == "Succeeded" and len(timeline) == 14
    assert doc["typicalRun"]["events"][0] == "New revision detected! Scaling up podinfo.test"
    assert doc["timeToDecisionSeconds"]["n"] == 20


def test_jobs_do_not_change_the_result(meshproof_bin):
    args = ["canary", str(HEALTHY / "scenario.yaml"), "--format", "json", "--replications", "8"]
    assert run(meshproof_bin, *args, "--jobs", "1").stdout == run(meshproof_bin, *args, "--jobs", "2").stdout


def test_text_and_horizon(meshproof_bin):
    r = run(meshproof_bin, "canary", str(HEALTHY / "scenario.yaml"), "--replications", "5", "--duration", "2m")
    assert r.returncode == 0, r.stderr
    assert "progressing   100.0%" in r.stdout  # two minutes cannot finish a 13-tick rollout
    assert "typical run" in r.stdout


def test_mirror_is_rejected_with_a_location(meshproof_bin, tmp_path):
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    text = (HEALTHY / "mesh" / "podinfo.yaml").read_text().replace("    stepWeight: 5\n",
                                                                   "    stepWeight: 5\n    mirror: true\n")
    (mesh / "podinfo.yaml").write_text(text)
    (tmp_path / "s.yaml").write_text((HEALTHY / "scenario.yaml").read_text())
    r = run(meshproof_bin, "canary", "s.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert "error: MP7001 mirror with an SMI router" in r.stderr
    assert "mesh/podinfo.yaml:" in r.stderr


def test_simulation_scenario_is_not_a_canary(meshproof_bin):
    r = run(meshproof_bin, "canary", str(ROOT / "scenarios" / "payments" / "scenario.yaml"))
    assert r.returncode == 2
    assert "MP6001" in r.stderr and "spec.canary" in r.stderr


def test_fail_on_gates_the_pipeline_on_the_predicted_probabilities(meshproof_bin):
    denied = str(ROOT / "scenarios" / "canary-denied" / "scenario.yaml")
    r = run(meshproof_bin, "canary", denied, "--replications", "10", "--format", "json",
            "--fail-on", "rollback=0.5,progressing")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    assert doc["findings"] == []  # OSM never records the denials: a rollback, no MP7004
    assert doc["afterPromotion"] is None
    gates = doc["failOn"]
    assert [(g["condition"], g["threshold"], g["failed"]) for g in gates] == [
        ("rollback", 0.5, True), ("progressing", 0.05, False)]
    low, high = gates[0]["ci95"]
    assert 0 <= low <= gates[0]["p"] <= high <= 1
    text = run(meshproof_bin, "canary", denied, "--replications", "10", "--fail-on", "rollback")
    assert text.returncode == 1
    assert "fail-on rollback > 0.05: P(rolled back) = 1.000" in text.stdout
    assert "FAILED" in text.stdout
    ok = run(meshproof_bin, "canary", str(HEALTHY / "scenario.yaml"), "--replications", "5",
             "--fail-on", "rollback=0.9")
    assert ok.returncode == 0, ok.stderr
    # Without --fail-on a rollback prediction is an answer, not a failure.
    assert run(meshproof_bin, "canary", denied, "--replications", "5").returncode == 0
    bad = run(meshproof_bin, "canary", denied, "--fail-on", "error")
    assert bad.returncode == 2 and "rollback[=P]" in bad.stderr
