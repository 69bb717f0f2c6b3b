"""`meshproof simulate`: flags, outputs, determinism and how scenario problems are reported."""

import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAYMENTS = ROOT / "scenarios" / "payments" / "scenario.yaml"
MM1 = ROOT / "scenarios" / "validation" / "mm1-rho05.yaml"


def run(bin_, *args, cwd=None):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_json_envelope_and_traffic_metrics(meshproof_bin):
    r = run(meshproof_bin, "simulate", str(PAYMENTS), "--format", "json", "--replications", "2",
            "--duration", "90s", "--seed", "5")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["seed"] == 5 and doc["replications"] == 2 and doc["duration"] == "90s"
    assert doc["profile"] == "spec" and doc["inputs"][0].endswith("mesh")
    assert doc["metrics"]["apiVersion"] == "metrics.smi-spec.io/v1alpha1"
    item = doc["metrics"]["items"][0]
    assert item["kind"] == "TrafficMetrics" and item["edge"]["direction"] in ("to", "from")
    names = [m["name"] for m in item["metrics"]]
    assert names[:3] == ["p99_response_latency", "p90_response_latency", "p50_response_latency"]
    assert {"success_count", "failure_count", "denied_count", "requests_per_second"} <= set(names)
    p99 = item["metrics"][0]
    assert p99["unit"] == "ms" and "ci95" in p99
    # Two windows of 60s within 90s: the second is 30s long.
    windows = {i["window"] for i in doc["windows"]["items"]}
    assert windows == {"60s", "30s"}
    assert doc["nodes"][0]["utilisation"]["mean"] > 0


def test_seed_and_jobs(meshproof_bin):
    args = ["simulate", str(MM1), "--format", "json", "--replications", "3", "--duration", "50s"]
    a = run(meshproof_bin, *args, "--jobs", "1").stdout
    b = run(meshproof_bin, *args, "--jobs", "3").stdout
    c = run(meshproof_bin, *args, "--seed", "2").stdout
    assert a == b
    assert a != c


def test_output_file_and_text(meshproof_bin, tmp_path):
    out = tmp_path / "m.txt"
    r = run(meshproof_bin, "simulate", str(MM1), "--duration", "30s", "--replications", "1", "--output-file", str(out))
    assert r.returncode == 0 and r.stdout == ""
    text = out.read_text()
    assert "queue/client -> Service queue/node-a" in text and "WORKLOAD" in text


def test_scenario_problems_exit_2_with_locations(meshproof_bin, tmp_path):
    s = tmp_path / "bad.yaml"
    s.write_text(f"apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nspec:\n  mesh: [{MM1.parent / 'mesh'}]\n"
                 "  sources:\n  - {from: queue/client, to: queue/nowhere, rate: 5}\n  duration: 1 week\n")
    r = run(meshproof_bin, "simulate", str(s))
    assert r.returncode == 2
    assert f"{s}:7:13: error: MP6001 spec.duration: expected a positive duration" in r.stderr
    assert "found a string '1 week'" in r.stderr
    s.write_text(s.read_text().replace("1 week", "10s"))
    r = run(meshproof_bin, "simulate", str(s))
    assert r.returncode == 2
    assert "MP6002 no Service queue/nowhere in the mesh" in r.stderr


def test_bad_flags_and_missing_files(meshproof_bin):
    assert run(meshproof_bin, "simulate").returncode == 2
    assert run(meshproof_bin, "simulate", "/nonexistent.yaml").returncode == 2
    r = run(meshproof_bin, "simulate", str(MM1), "--replications", "0")
    assert r.returncode == 2 and "--replications" in r.stderr
    r = run(meshproof_bin, "simulate", str(MM1), "--duration", "forever")
    assert r.returncode == 2 and "--duration" in r.stderr
    r = run(meshproof_bin, "simulate", str(MM1), "--format", "sarif")
    assert r.returncode == 2
