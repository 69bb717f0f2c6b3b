"""Outputs to their standards: SARIF 2.1.0 and Jenkins xUnit's junit-10.xsd (both vendored
under app/testdata/schemas), and simulate's TrafficMetricsList against the SMI metrics
API's own examples (../shared/corpus, when present)."""

import json
import pathlib
import subprocess

import jsonschema
import pytest
from lxml import etree

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "app" / "testdata" / "schemas"
CORPUS = ROOT.parent / "shared" / "corpus" / "smi-traffic-metrics"
PAYMENTS = ROOT / "scenarios" / "payments"
BOOKSTORE = ROOT / "scenarios" / "bookstore"


def run(bin_, *args, cwd=None):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def sarif_validator():
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft4Validator(schema)


def test_verify_sarif_validates_with_stable_fingerprints_and_srcroot(meshproof_bin):
    r = run(meshproof_bin, "verify", "-o", "sarif", "mesh", cwd=PAYMENTS)
    log = json.loads(r.stdout)
    errors = sorted(sarif_validator().iter_errors(log), key=str)
    assert not errors, errors[:3]
    run_ = log["runs"][0]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    results = run_["results"]
    assert results
    for res in results:
        loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
        assert loc["uriBaseId"] == "%SRCROOT%" and loc["uri"].startswith("scenarios/payments/mesh/")
    prints = [r["partialFingerprints"]["meshproofFinding/v2"] for r in results]
    assert len(set(prints)) == len(prints) and all(len(p) == 16 for p in prints)
    # Same findings from another working directory: same fingerprints.
    again = json.loads(run(meshproof_bin, "verify", "-o", "sarif", str(PAYMENTS / "mesh"), cwd="/").stdout)
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == \
        [r["partialFingerprints"] for r in results]


def test_diff_sarif_validates_and_lists_new_findings(meshproof_bin, tmp_path):
    new = tmp_path / "new"
    new.mkdir()
    for f in (PAYMENTS / "mesh").iterdir():
        (new / f.name).write_text(f.read_text())
    f = new / "20-payments.yaml"
    f.write_text(f.read_text().replace("matches: [create-charge, read-charge]", "matches: [create-charge, read-charge, health]"))
    log = json.loads(run(meshproof_bin, "diff", str(PAYMENTS / "mesh"), str(new), "-o", "sarif").stdout)
    assert not list(sarif_validator().iter_errors(log))


def test_junit_validates_against_jenkins_xunit_schema(meshproof_bin, tmp_path):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / "junit-10.xsd")))
    for scenario in (PAYMENTS, BOOKSTORE):
        r = run(meshproof_bin, "verify", "-o", "junit", "mesh", cwd=scenario)
        doc = etree.fromstring(r.stdout.encode())
        assert schema.validate(doc), schema.error_log
        suites = doc.findall("testsuite")
        assert suites and all(s.get("file") for s in suites)
        failures = [c.find("failure") for c in doc.iter("testcase") if c.find("failure") is not None]
        assert all(":" in f.get("message").split(" ")[0] for f in failures)


def key_shape(x):
    """The structure of a JSON value: the keys of objects (recursively), not the values."""
    if isinstance(x, dict):
        return {k: key_shape(v) for k, v in x.items()}
    if isinstance(x, list):
        return [key_shape(x[0])] if x else []
    return type(x).__name__


@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is not here")
def test_traffic_metrics_list_has_the_smi_metrics_api_shape(meshproof_bin):
    example = json.loads((CORPUS / "smi-metrics-readme-example-2.json").read_text())
    r = run(meshproof_bin, "simulate", "scenario.yaml", "-o", "json", "--replications", "1",
            "--duration", "60s", cwd=PAYMENTS)
    lst = json.loads(r.stdout)["metrics"]
    # List level: the same fields as the API's list.
    assert set(lst) == set(example)
    assert lst["kind"] == example["kind"] and lst["apiVersion"] == example["apiVersion"]
    assert set(lst["metadata"]) == set(example["metadata"])
    want_item = key_shape(example["items"][0])
    servers = [i for i in lst["items"] if i["edge"]["side"] == "server" and "backend" not in i]
    assert servers
    for item in servers:
        shape = key_shape(item)
        # Exactly the API's fields (plus the spec's `side`), in the API's nesting.
        assert set(shape) == set(want_item)
        assert set(shape["metadata"]) == set(want_item["metadata"])
        assert set(shape["edge"]) == set(want_item["edge"]) | {"side"}
        assert set(shape["edge"]["resource"]) == set(want_item["edge"]["resource"])
        names = [m["name"] for m in item["metrics"]]
        assert names[:5] == [m["name"] for m in example["items"][0]["metrics"]]
        assert item["metrics"][0]["unit"] == "ms"
    # The spec pairs direction and side: from+server, to+client (split items included).
    for item in lst["items"]:
        assert (item["edge"]["direction"], item["edge"]["side"]) in {("from", "server"), ("to", "client")}
