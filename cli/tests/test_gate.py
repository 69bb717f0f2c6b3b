"""The CI gate: SARIF (as GitHub code scanning requires it), JUnit, suppressions, the
.meshproof.yaml configuration, intents, and the reach/query commands."""

import json
import pathlib
import re
import subprocess
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parents[2]

CANARY = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
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
metadata: {name: store-v1, namespace: shop}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: store, version: v1}}
    spec: {serviceAccountName: store, containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: store-v2, namespace: shop}
spec:
  template:
    metadata: {labels: {app: store, version: v2}}
    spec: {serviceAccountName: store-canary, containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: store, namespace: shop}
spec: {selector: {app: store}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: store-v1, namespace: shop}
spec: {selector: {app: store, version: v1}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: store-v2, namespace: shop}
spec: {selector: {app: store, version: v2}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: r, namespace: shop}
spec:
  matches: [{name: books, pathRegex: /books, methods: [GET]}]
---
apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {name: web-to-store, namespace: shop}
spec:
  destination: {kind: ServiceAccount, name: store, namespace: shop}
  rules: [{kind: HTTPRouteGroup, name: r, matches: [books]}]
  sources: [{kind: ServiceAccount, name: web, namespace: shop}]
---
apiVersion: split.smi-spec.io/v1alpha4
kind: TrafficSplit
metadata: {name: store-split, namespace: shop}
spec:
  service: store
  backends: [{service: store-v1, weight: 90}, {service: store-v2, weight: 10}]
"""


def run(bin_, *args, cwd=None):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def write_mesh(tmp_path, text=CANARY):
    (tmp_path / "mesh").mkdir(exist_ok=True)
    (tmp_path / "mesh" / "mesh.yaml").write_text(text)
    return "mesh"


def test_canary_denied_is_an_error_with_witness(meshproof_bin, tmp_path):
    mesh = write_mesh(tmp_path)
    r = run(meshproof_bin, "verify", "--format", "json", mesh, cwd=tmp_path)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    (d,) = [d for d in doc["diagnostics"] if d["code"] == "MP3011"]
    assert d["severity"] == "error"
    assert "10% of its requests" in d["message"]
    assert d["witness"]["source"] == "shop/web" and d["witness"]["destination"] == "shop/store"
    assert d["related"] == [{"kind": "TrafficTarget", "namespace": "shop", "name": "web-to-store"}]
    assert d["location"]["path"] == "spec.backends[1]"


def test_sarif_has_what_github_requires(meshproof_bin, tmp_path):
    mesh = write_mesh(tmp_path)
    r = run(meshproof_bin, "verify", "--format", "sarif", mesh, cwd=tmp_path)
    sarif = json.loads(r.stdout)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = sarif["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "meshproof" and driver["version"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids)) and "MP3011" in rule_ids and "MP0001" in rule_ids
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["help"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    assert run_["results"], "the canary mesh has findings"
    for res in run_["results"]:
        assert res["ruleId"] in rule_ids
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("error", "warning", "note")
        assert res["message"]["text"]
        phys = res["locations"][0]["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == "mesh/mesh.yaml"  # relative: GitHub maps it to the repo
        assert phys["region"]["startLine"] >= 1
        for rel in res.get("relatedLocations", []):
            assert rel["physicalLocation"]["region"]["startLine"] >= 1
            assert rel["message"]["text"]
    mp3011 = next(res for res in run_["results"] if res["ruleId"] == "MP3011")
    assert mp3011["relatedLocations"][0]["message"]["text"] == "TrafficTarget shop/web-to-store"


def test_junit_one_suite_per_file_one_testcase_per_finding(meshproof_bin, tmp_path):
    mesh = write_mesh(tmp_path)
    (tmp_path / "mesh" / "clean.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
    r = run(meshproof_bin, "verify", "-o", "junit", mesh, cwd=tmp_path)
    doc = json.loads(run(meshproof_bin, "verify", "-o", "json", mesh, cwd=tmp_path).stdout)
    root = ET.fromstring(r.stdout)
    suites = root.findall("testsuite")
    files = {d["location"]["file"] for d in doc["diagnostics"] if d["location"]["file"]}
    assert {s.get("name") for s in suites} == files | {"mesh/clean.yaml"}
    findings = [c for c in root.iter("testcase") if c.get("name") != "no findings"]
    assert len(findings) == len(doc["diagnostics"])
    failed = [c for c in findings if c.find("failure") is not None]
    assert len(failed) == sum(d["severity"] == "error" for d in doc["diagnostics"])
    mp3011 = next(c for c in failed if c.get("name").startswith("MP3011"))
    assert re.match(r"mesh/mesh.yaml:\d+:\d+: error: MP3011", mp3011.find("failure").get("message"))
    clean = next(s for s in suites if s.get("name") == "mesh/clean.yaml")
    assert clean.get("tests") == "1" and clean.get("failures") == "0"
    assert int(root.get("failures")) == len(failed)


def test_suppress_flag_and_config(meshproof_bin, tmp_path):
    mesh = write_mesh(tmp_path)
    assert run(meshproof_bin, "verify", mesh, cwd=tmp_path).returncode == 1
    r = run(meshproof_bin, "verify", "--suppress", "MP3011=TrafficSplit/shop/store-split", mesh, cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    assert "suppressed" in r.stdout.splitlines()[-1]
    r = run(meshproof_bin, "verify", "--suppress", "MP3011=TrafficSplit/shop/other", mesh, cwd=tmp_path)
    assert r.returncode == 1
    # .meshproof.yaml next to the inputs is found on its own.
    (tmp_path / "mesh" / ".meshproof.yaml").write_text("severity: {MP3011: warning}\nfailOn: error\n")
    assert run(meshproof_bin, "verify", mesh, cwd=tmp_path).returncode == 0
    (tmp_path / "mesh" / ".meshproof.yaml").write_text("failOn: warning\nsuppress: [MP3011]\n")
    r = run(meshproof_bin, "verify", mesh, cwd=tmp_path)
    assert r.returncode == 1 and "MP3011" not in r.stdout  # other warnings remain (MP4001...)
    (tmp_path / "mesh" / ".meshproof.yaml").write_text("failOn: loud\n")
    r = run(meshproof_bin, "verify", mesh, cwd=tmp_path)
    assert r.returncode == 2 and ".meshproof.yaml:1:" in r.stderr


def test_require_weight_sum_and_profile_from_config(meshproof_bin, tmp_path):
    mesh = write_mesh(tmp_path)
    cfg = tmp_path / "gate.yaml"
    cfg.write_text("requireWeightSum: 1000\nprofile: osm\n")
    r = run(meshproof_bin, "verify", "--config", str(cfg), "--format", "json", mesh, cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert doc["profile"] == "osm"
    codes = {d["code"] for d in doc["diagnostics"]}
    assert "MP3005" in codes
    assert "MP0003" in codes  # OSM does not serve split v1alpha4


def test_intents(meshproof_bin, tmp_path):
    mesh = write_mesh(tmp_path)
    intents = tmp_path / "intents.yaml"
    intents.write_text(
        "intents:\n"
        "- allow: {from: shop/web, to: shop/store, method: GET, path: /books}\n"
        "- allow: {from: shop/web, to: shop/store, method: POST, path: /books}\n"
        "- deny: {from: \"*\", to: shop/store, except: [shop/web]}\n"
        "- deny: {from: shop/web, to-identity: shop/store}\n")
    r = run(meshproof_bin, "verify", "--format", "json", "--intents", str(intents), mesh, cwd=tmp_path)
    doc = json.loads(r.stdout)
    by_code = {}
    for d in doc["diagnostics"]:
        by_code.setdefault(d["code"], []).append(d)
    partly, denied = by_code["MP5001"]  # GET is denied on the canary's 10%; POST everywhere
    assert "only partly allowed" in partly["message"] and "store-canary" in partly["message"]
    assert "method POST not allowed" in denied["message"]
    assert denied["location"]["file"].endswith("intents.yaml") and denied["location"]["line"] == 3
    mp5002 = by_code["MP5002"]
    assert len(mp5002) == 1 and "web-to-store" in mp5002[0]["message"]


def test_reach_and_query(meshproof_bin, tmp_path):
    mesh = write_mesh(tmp_path)
    r = run(meshproof_bin, "reach", "--format", "json", mesh, cwd=tmp_path)
    entries = json.loads(r.stdout)["entries"]
    root = next(e for e in entries if e["destination"] == "shop/store")
    assert root["verdict"] == "partial" and abs(root["deniedShare"] - 0.1) < 1e-9
    assert "partial" in run(meshproof_bin, "reach", mesh, cwd=tmp_path).stdout
    q = ["query", mesh, "--from", "shop/web", "--to", "shop/store-v1"]
    r = run(meshproof_bin, *q, "--method", "GET", "--path", "/books", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("allow")
    r = run(meshproof_bin, *q, "--method", "DELETE", "--path", "/books", cwd=tmp_path)
    assert r.returncode == 1 and "blocked:" in r.stdout
    r = run(meshproof_bin, "query", mesh, "--from", "shop/web", "--to", "shop/store", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout.startswith("partial")
    r = run(meshproof_bin, "query", mesh, "--from", "shop/web", cwd=tmp_path)
    assert r.returncode == 2
    r = run(meshproof_bin, "query", mesh, "--from", "shop/web", "--to", "shop/store-v1", "--format", "json",
            "--method", "GET", "--path", "/books", cwd=tmp_path)
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "allow" and doc["witness"]["path"] == "/books"
    assert doc["ports"][0]["because"][0]["trafficTarget"] == "shop/web-to-store"
