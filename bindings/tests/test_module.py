"""The Python seam: load manifests, get findings and the model as plain data."""

import pathlib

import pytest

import meshproof

ROOT = pathlib.Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "engine" / "testdata" / "model"


def test_version_is_exposed():
    assert meshproof.__version__.count(".") == 2


def test_load_folder_and_verify_returns_dicts():
    mesh = meshproof.load(TESTDATA)
    findings = mesh.verify()
    assert findings, "the fixtures contain deliberate errors"
    first = findings[0]
    assert set(first) >= {"code", "severity", "message", "resource", "location", "related", "witness"}
    assert first["code"].startswith("MP")
    codes = {f["code"] for f in findings}
    # envelope_errors.yaml: pruned fields, negative and fractional weights.
    assert {"MP0004", "MP3004", "MP0007", "MP3013"} <= codes
    assert mesh.summary["objects"] > 20
    assert mesh.summary["files"] >= 11


def test_load_accepts_str_path_and_list():
    one = meshproof.load(str(TESTDATA / "split_v1alpha1.yaml"))
    two = meshproof.load([TESTDATA / "split_v1alpha1.yaml", TESTDATA / "split_v1alpha2.yaml"])
    assert one.summary["objects"] == 2
    assert two.summary["objects"] == 3


def test_model_has_exact_v1alpha1_shares():
    model = meshproof.load(TESTDATA / "split_v1alpha1.yaml").model()
    rollout = next(s for s in model["trafficSplits"] if s["name"] == "rollout")
    shares = {b["service"]: b["share"] for b in rollout["backends"]}
    assert shares["web-v1"] == pytest.approx(2 / 3)
    assert shares["web-v2"] == pytest.approx(1 / 3)


def test_findings_fit_a_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(meshproof.load(TESTDATA).verify())
    assert {"code", "severity", "message"} <= set(frame.columns)
    assert (frame["severity"].isin(["error", "warning", "info"])).all()


def test_unreadable_path_raises_load_error():
    with pytest.raises(meshproof.LoadError) as err:
        meshproof.load(["/nonexistent/mesh.yaml"])
    assert isinstance(err.value, OSError)
    assert "/nonexistent/mesh.yaml" in str(err.value)


def test_non_strict_load_keeps_the_rest():
    mesh = meshproof.load(["/nonexistent", TESTDATA / "split_v1alpha4.yaml"], strict=False)
    assert mesh.failures and "/nonexistent" in mesh.failures[0]
    assert mesh.summary["objects"] == 1


def test_bad_input_is_a_finding_not_an_exception():
    mesh = meshproof.load_string("a: [unclosed\n", name="bad.yaml")
    (finding,) = mesh.verify()
    assert finding["code"] == "MP0001"
    assert finding["location"]["file"] == "bad.yaml"
    assert "bad.yaml:2:1" in mesh.text() or "bad.yaml:1:" in mesh.text()


def test_namespace_default_applies():
    mesh = meshproof.load_string(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n", namespace="team")
    assert mesh.model()["serviceAccounts"][0]["namespace"] == "team"


MESH = """apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: store, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {serviceAccountName: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: store, namespace: shop}
spec:
  template:
    metadata: {labels: {app: store}}
    spec: {serviceAccountName: store, containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: store, namespace: shop}
spec:
  selector: {app: store}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: r, namespace: shop}
spec:
  matches: [{name: books, pathRegex: /books, methods: [GET]}]
---
apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: t, namespace: shop}
spec:
  destination: {kind: ServiceAccount, name: store, namespace: shop}
  rules: [{kind: HTTPRouteGroup, name: r}]
  sources: [{kind: ServiceAccount, name: web, namespace: shop}]
"""


def test_verify_runs_the_checks_under_a_profile():
    mesh = meshproof.load_string(MESH)
    spec = {f["code"] for f in mesh.verify()}
    assert "MP4001" in spec  # OSM reads the rule without matches as granting nothing
    with pytest.raises(ValueError):
        mesh.verify(profile="istio")


def test_reach_and_query_answer_as_the_cli_does():
    mesh = meshproof.load_string(MESH)
    (entry,) = mesh.reach()
    assert (entry["source"], entry["destination"], entry["port"], entry["verdict"]) == (
        "shop/web", "shop/store", 80, "allow")
    assert mesh.reach(profile="osm") == []  # OSM: a rule without matches grants nothing
    a = mesh.query("shop/web", to="shop/store", method="GET", path="/books/1")
    assert a["verdict"] == "allow" and a["witness"]["path"] == "/books/1"
    assert a["ports"][0]["because"][0]["trafficTarget"] == "shop/t"
    denied = mesh.query("shop/web", to="shop/store", method="GET", path="/books/1", profile="osm")
    assert denied["verdict"] == "deny" and denied["witness"] is None
    with pytest.raises(ValueError):
        mesh.query("shop/web")


def test_diff(tmp_path):
    import shutil
    base = ROOT / "scenarios" / "payments" / "mesh"
    new = tmp_path / "new"
    shutil.copytree(base, new)
    f = new / "20-payments.yaml"
    f.write_text(f.read_text().replace("matches: [create-charge, read-charge]", "matches: [create-charge, read-charge, health]"))
    d = meshproof.diff(base, new)
    assert d["verdict"] == "more-permissive"
    assert any(s["granted"] and s["grant"]["witness"]["path"] == "/healthz" for s in d["slices"])
    assert meshproof.diff(base, base)["verdict"] == "equal"


# --- simulation -----------------------------------------------------------------------

SCENARIOS = pathlib.Path(__file__).resolve().parents[2] / "scenarios"


def test_simulate_returns_traffic_metrics_and_is_reproducible():
    path = SCENARIOS / "payments" / "scenario.yaml"
    a = meshproof.simulate(path, replications=2, duration=120, jobs=1)
    b = meshproof.simulate(path, replications=2, duration=120, jobs=2)
    assert a == b
    assert a["seed"] == 42 and a["replications"] == 2
    assert a["metrics"]["kind"] == "TrafficMetricsList"
    rows = meshproof.metrics_table(a)
    canary = [r for r in rows if r["backend"] == "payments-api-canary"]
    assert canary and canary[0]["success_count"] == 0
    assert canary[0]["denied_count"] == canary[0]["failure_count"] > 0
    import pandas as pd
    df = pd.DataFrame(rows)
    assert {"p99_response_latency", "p99_response_latency_low", "requests_per_second"} <= set(df.columns)
    assert len(meshproof.metrics_table(a, windows=True)) > len(rows)


def test_simulate_reports_scenario_problems(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nspec:\n  mesh: []\n"
                   "  sources: [{from: a/b, to: c/d, rate: lots}]\n")
    with pytest.raises(ValueError, match=r"s.yaml:5:.*MP6001.*rate"):
        meshproof.simulate(bad)


def test_canary_prediction_and_timeline():
    path = SCENARIOS / "canary-rollback" / "scenario.yaml"
    a = meshproof.canary(path, replications=20, jobs=1)
    b = meshproof.canary(path, replications=20, jobs=2)
    assert a == b
    assert a["outcome"]["rolledBack"]["p"] == 1.0
    lo, hi = a["outcome"]["rolledBack"]["ci95"]
    assert lo < 1.0 == hi
    assert a["failedUserRequests"]["mean"] > 0
    import pandas as pd
    df = pd.DataFrame(meshproof.timeline_table(a))
    assert df["phase"].iloc[-1] == "Failed"
    assert "request-success-rate_verdict" in df.columns
    assert any("Rolling back" in e for e in a["typicalRun"]["events"])


def test_canary_reports_problems(tmp_path):
    s = tmp_path / "c.yaml"
    s.write_text("apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nspec:\n  mesh: []\n"
                 "  sources: [{from: a/b, to: c/d, rate: 1}]\n")
    with pytest.raises(ValueError, match="MP6001.*spec.canary"):
        meshproof.canary(s)


def test_budgets_reach_python_as_value_errors(tmp_path):
    import shutil
    root = pathlib.Path(__file__).resolve().parents[2]
    shutil.copytree(root / "scenarios" / "validation" / "mesh", tmp_path / "mesh")
    s = tmp_path / "s.yaml"
    s.write_text("apiVersion: meshproof.dev/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"
                 "spec:\n  mesh: [mesh]\n  duration: 100000s\n  window: 10000s\n"
                 "  sources: [{from: queue/client, to: queue/node-a, rate: 500}]\n"
                 "  workloads: [{workload: queue/node-a, serviceTime: 10ms}]\n")
    with pytest.raises(ValueError, match="over the memory budget"):
        meshproof.simulate(s, jobs=1, max_memory="64Mi")
    with pytest.raises(ValueError, match="--max-memory"):
        meshproof.simulate(s, max_memory="lots")
