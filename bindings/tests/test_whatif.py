"""What-if capacity from Python: SLOs, overrides, sweeps, searches against closed forms,
Dask against local, and interruption."""
import copy
import json
import math
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

import meshproof

ROOT = pathlib.Path(__file__).resolve().parents[2]
MESH = str(ROOT / "scenarios" / "validation" / "mesh")
BIN = pathlib.Path(os.environ.get("MESHPROOF_BUILD_DIR", ROOT / "build")) / "bin" / "meshproof"


def queue(rate, mean_ms=10, replicas=1, slos=(), duration=200, replications=5, seed=11):
    """One Poisson source into node-a, randomly balanced over its replicas: with c replicas
    each is an independent M/M/1 queue with arrival rate rate / c."""
    return {
        "apiVersion": "meshproof.dev/v1alpha1", "kind": "Scenario",
        "metadata": {"name": "mm1-replicas"},
        "spec": {
            "mesh": [MESH], "seed": seed, "duration": f"{duration}s", "warmup": "20s",
            "window": f"{duration}s", "replications": replications, "loadBalancing": "random",
            "sources": [{"name": "load", "from": "queue/client", "to": "queue/node-a",
                         "rate": rate}],
            "workloads": [{"workload": "queue/node-a", "replicas": replicas,
                           "serviceTime": {"distribution": "exponential", "mean": f"{mean_ms}ms"}}],
            "slos": list(slos),
        },
    }


def slo(metric, bound, name="s"):
    return {"name": name, "edge": {"from": "queue/client", "to": "queue/node-a"},
            "metric": metric, "max": bound}


def closed_form_replicas(rate, mu, bound_s, quantile=None):
    """Smallest c at which c independent M/M/1 queues (rate/c each) meet the bound on the
    mean sojourn 1/(mu - rate/c), or on its quantile -ln(1-q)/(mu - rate/c)."""
    factor = 1.0 if quantile is None else -math.log(1 - quantile)
    c = 1
    while not (rate / c < mu and factor / (mu - rate / c) <= bound_s):
        c += 1
    return c


@pytest.mark.parametrize("rate,metric,bound,quantile", [
    (450, "mean_response_latency", "25ms", None),
    (150, "mean_response_latency", "30ms", None),
    (300, "p99_response_latency", "100ms", 0.99),
])
def test_the_search_finds_the_replica_count_of_the_closed_form(rate, metric, bound, quantile):
    expected = closed_form_replicas(rate, 100.0, float(bound[:-2]) / 1000, quantile)
    r = meshproof.sweep(queue(rate, slos=[slo(metric, bound)]),
                        find_min=("workloads[queue/node-a].replicas", 1, 16))
    assert r["search"]["best"] == expected
    assert r["search"]["bestFailing"] == expected - 1
    assert r["search"]["direction"] == "min"
    # Bisection: far fewer points than the range.
    assert len(r["points"]) <= 6


def test_a_grid_over_the_load_is_monotone_where_theory_says_so():
    rates = [20, 35, 50, 65, 80]
    r = meshproof.sweep(queue(50, slos=[slo("mean_response_latency", "30ms")]),
                        vary={"sources[load].rate": rates})
    assert [p["values"]["sources[load].rate"] for p in r["points"]] == rates
    latency = [p["edges"][0]["mean_response_latency"] for p in r["points"]
               for e in [p["edges"][0]] if e["side"] == "client"]
    utilisation = [p["nodes"][0]["utilisation"] for p in r["points"]]
    assert latency == sorted(latency) and len(set(latency)) == len(latency)
    assert utilisation == sorted(utilisation)
    # and close to M/M/1 at each point: W = 1 / (mu - lambda)
    for lam, w in zip(rates, latency):
        assert w == pytest.approx(1 / (100 - lam), rel=0.15)
    verdicts = [p["slos"][0]["verdict"] for p in r["points"]]
    assert verdicts[0] == "met" and verdicts[-1] == "violated"  # 12.5 ms and 50 ms vs 30 ms


def test_a_sweep_of_a_one_replication_scenario_runs_five():
    r = meshproof.sweep(queue(50, replications=1), vary={"sources[load].rate": [30]})
    assert r["replications"] == 5


def test_overrides_and_dict_scenarios_equal_the_same_edits_made_in_a_file(tmp_path):
    base = queue(60, slos=[slo("p99_response_latency", "80ms")], replications=3)
    edited = copy.deepcopy(base)
    edited["spec"]["sources"][0]["rate"] = 70
    edited["spec"]["workloads"][0]["serviceTime"]["mean"] = "8ms"
    edited["spec"]["seed"] = 5
    path = tmp_path / "edited.yaml"
    path.write_text(json.dumps(edited))
    from_file = meshproof.simulate(str(path))
    overridden = meshproof.simulate(base, seed=5, overrides={
        "sources[load].rate": 70, "workloads[queue/node-a].serviceTime.mean": "8ms"})
    for doc in (from_file, overridden):
        doc.pop("scenario"), doc.pop("inputs")
    assert overridden == from_file
    assert overridden["slos"][0]["verdict"] in ("met", "violated", "uncertain")


def test_a_yaml_string_resolves_mesh_paths_against_base_dir(tmp_path):
    text = json.dumps(queue(40, replications=2)).replace(MESH, "mesh")
    doc = meshproof.simulate(text, base_dir=str(ROOT / "scenarios" / "validation"))
    assert doc["replications"] == 2
    with pytest.raises(ValueError, match="mesh"):
        meshproof.simulate(text, base_dir=str(tmp_path))


def test_override_errors_name_the_override():
    with pytest.raises(ValueError, match=r"--set workloads\[queue/node-a\]\.serviceTime\.median"):
        meshproof.simulate(queue(40), overrides={"workloads[queue/node-a].serviceTime.median": "5ms"})
    with pytest.raises(ValueError, match=r"no element 'nope' in sources"):
        meshproof.simulate(queue(40), overrides={"sources[nope].rate": 5})
    with pytest.raises(ValueError, match="both set the same value"):
        meshproof.simulate(queue(40), seed=3, overrides={"seed": 4})


def test_slo_verdicts_follow_the_interval():
    doc = meshproof.simulate(queue(50, slos=[
        slo("mean_response_latency", "100ms", "loose"),
        slo("mean_response_latency", "5ms", "impossible"),
        {"name": "rate", "edge": {"workload": "queue/node-a"}, "metric": "success_rate",
         "min": 0.99}]))
    v = {s["name"]: s for s in doc["slos"]}
    assert v["loose"]["verdict"] == "met" and v["impossible"]["verdict"] == "violated"
    assert v["loose"]["ci95"][0] <= v["loose"]["value"] <= v["loose"]["ci95"][1]
    assert v["rate"]["verdict"] == "met" and v["rate"]["value"] == 1.0
    one = meshproof.simulate(queue(50, replications=1, slos=[slo("mean_response_latency", "1s")]))
    assert one["slos"][0]["ci95"] is None and one["slos"][0]["verdict"] == "met"


def test_cli_and_python_agree_on_the_same_sweep(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(queue(150, slos=[slo("mean_response_latency", "30ms")])))
    cli = subprocess.run([str(BIN), "sweep", str(path), "-o", "json", "--find-min",
                          "workloads[queue/node-a].replicas=1:8"], capture_output=True, text=True)
    assert cli.returncode == 0, cli.stderr
    py = meshproof.sweep(str(path), find_min="workloads[queue/node-a].replicas=1:8")
    assert json.loads(cli.stdout) == py
    csv = subprocess.run([str(BIN), "sweep", str(path), "-o", "csv", "--vary",
                          "workloads[queue/node-a].replicas=2,3"], capture_output=True, text=True)
    lines = csv.stdout.splitlines()
    assert lines[0].startswith("workloads[queue/node-a].replicas,s.verdict,s.value,")
    assert "queue/client->queue/node-a.p99_response_latency" in lines[0]
    assert [l.split(",")[0] for l in lines[1:]] == ["2", "3"]


def test_common_random_numbers_keep_other_streams_in_place():
    """Changing one workload's replicas leaves the traffic source's draws unchanged: the
    requests that reach the workload (no network delay: at the moment they are sent) are
    the same at every point."""
    r = meshproof.sweep(queue(50), vary={"workloads[queue/node-a].replicas": [1, 2, 4]})
    offered = [p["nodes"][0]["arrivals"] for p in r["points"]]
    assert offered[0] == offered[1] == offered[2]


def test_dask_equals_local(monkeypatch):
    distributed = pytest.importorskip("distributed")
    # Every point outlasts the poll, as real points (seconds each) do.
    monkeypatch.setattr(meshproof, "_DASK_POLL_SECONDS", 0.001)
    scenario = queue(150, slos=[slo("mean_response_latency", "30ms")], duration=100)
    local_grid = meshproof.sweep(scenario, vary={"workloads[queue/node-a].replicas": [2, 3, 4]})
    local_search = meshproof.sweep(scenario, find_min=("workloads[queue/node-a].replicas", 1, 8))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        grid = meshproof.sweep(scenario, vary={"workloads[queue/node-a].replicas": [2, 3, 4]},
                               client=client)
        search = meshproof.sweep(scenario, find_min=("workloads[queue/node-a].replicas", 1, 8),
                                 client=client)
        jobs = client.submit(meshproof._default_jobs, None, pure=False).result()
    assert grid == local_grid
    assert search == local_search
    assert jobs == 1  # inside a worker, one thread per task


def test_progress_is_reported():
    seen = []
    meshproof.simulate(queue(50, duration=400), progress=seen.append)
    assert seen and seen[-1]["fraction"] == 1.0
    assert all(0 <= s["fraction"] <= 1 for s in seen)
    assert seen[-1]["points_done"] == seen[-1]["points_total"] == 1
    assert seen[-1]["events"] > 0 and seen[-1]["events_per_second"] > 0


def test_sweep_progress_counts_points_and_events():
    seen = []
    meshproof.sweep(queue(50, duration=200), vary={"workloads[queue/node-a].replicas": [1, 2, 3]},
                    progress=seen.append)
    last = seen[-1]
    assert (last["fraction"], last["points_done"], last["points_total"]) == (1.0, 3, 3)
    assert last["events"] > 0 and last["events_per_second"] > 0
    done = [s["points_done"] for s in seen]
    assert done == sorted(done)  # never goes back
    fractions = [s["fraction"] for s in seen]
    assert fractions == sorted(fractions)


def test_keyboard_interrupt_stops_a_long_run_within_a_second():
    long = queue(90, duration=1e6, replications=2)
    timer = threading.Timer(0.5, lambda: signal.raise_signal(signal.SIGINT))
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        meshproof.simulate(long, force=True)
    assert time.monotonic() - start < 1.5


def test_sigint_ends_the_cli_with_130_and_no_output_file(tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(json.dumps(queue(90, duration=1e6, replications=2)))
    out = tmp_path / "result.json"
    p = subprocess.Popen([str(BIN), "simulate", str(path), "--force", "-o", "json",
                          "--output-file", str(out)], stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=10)
    assert time.monotonic() - start < 1.0
    assert p.returncode == 130, err
    assert "interrupted" in err
    assert not out.exists()
