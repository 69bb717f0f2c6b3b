"""Findings grouped by root cause: shown once in text, every instance in JSON, SARIF and
JUnit, and suppressions still match instances."""

import json
import subprocess
import xml.etree.ElementTree as ET

APP = """apiVersion: v1
kind: ServiceAccount
metadata: {name: store, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: store, namespace: shop}
spec:
  template:
    metadata: {labels: {app: store}}
    spec:
      serviceAccountName: store
      containers: [{name: store, ports: [{containerPort: 8080}]}]
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
  matches: [{name: m, pathRegex: /api/.*, methods: [GET]}]
---
"""

TARGET = """apiVersion: access.smi-spec.io/v1alpha3
kind: TrafficTarget
metadata: {{name: t{i}, namespace: shop}}
spec:
  destination: {{kind: ServiceAccount, name: store, namespace: shop}}
  sources: [{{kind: ServiceAccount, name: ghost, namespace: shop}}]
  rules: [{{kind: HTTPRouteGroup, name: r, matches: [m]}}]
---
"""


def run(bin_, *args, cwd):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_one_unknown_identity_named_by_many_targets_is_one_finding_in_text(meshproof_bin, tmp_path):
    (tmp_path / "mesh.yaml").write_text(APP + "".join(TARGET.format(i=i) for i in range(13)))
    text = run(meshproof_bin, "verify", "mesh.yaml", cwd=tmp_path).stdout
    mp1004 = [l for l in text.splitlines() if "MP1004" in l]
    assert len(mp1004) == 2, text  # the first instance, then the group line
    assert "source identity shop/ghost runs no workload" in mp1004[0]
    assert "... and 12 more MP1004 for identity shop/ghost: TrafficTarget shop/t1 at mesh.yaml:" in mp1004[1]

    doc = json.loads(run(meshproof_bin, "verify", "mesh.yaml", "-o", "json", cwd=tmp_path).stdout)
    assert sum(d["code"] == "MP1004" for d in doc["diagnostics"]) == 13
    (group,) = [g for g in doc["groups"] if g["code"] == "MP1004"]
    assert group["key"] == "identity shop/ghost" and group["count"] == 13
    assert {i["resource"]["name"] for i in group["instances"]} == {f"t{i}" for i in range(13)}

    sarif = json.loads(run(meshproof_bin, "verify", "mesh.yaml", "-o", "sarif", cwd=tmp_path).stdout)
    assert sum(r["ruleId"] == "MP1004" for r in sarif["runs"][0]["results"]) == 13
    junit = ET.fromstring(run(meshproof_bin, "verify", "mesh.yaml", "-o", "junit", cwd=tmp_path).stdout)
    assert sum(c.get("name").startswith("MP1004") for c in junit.iter("testcase")) == 13

    # --suppress still matches one instance of the group.
    doc = json.loads(run(meshproof_bin, "verify", "mesh.yaml", "-o", "json",
                         "--suppress", "MP1004=TrafficTarget/shop/t3", cwd=tmp_path).stdout)
    assert sum(d["code"] == "MP1004" for d in doc["diagnostics"]) == 12
    assert doc["summary"]["suppressed"] == 1


def test_a_single_instance_is_not_a_group(meshproof_bin, tmp_path):
    (tmp_path / "mesh.yaml").write_text(APP + TARGET.format(i=0))
    text = run(meshproof_bin, "verify", "mesh.yaml", cwd=tmp_path).stdout
    assert "more MP1004" not in text
    doc = json.loads(run(meshproof_bin, "verify", "mesh.yaml", "-o", "json", cwd=tmp_path).stdout)
    assert doc["groups"] == []
