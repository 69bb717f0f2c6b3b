"""The command-line contract of docs/reference/product-spec.md: commands, formats, exit codes, -o."""

import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "engine" / "testdata" / "model"

CLEAN = """apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
"""
WARNING_ONLY = """apiVersion: specs.smi-spec.io/v1alpha4
kind: HTTPRouteGroup
metadata: {name: r, namespace: shop}
spec:
  matches: [{name: m, headers: {x-debug: "1"}}]
"""
ERROR = "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, labels: {v: 1}}\n"


def run(bin_, *args, stdin=None, cwd=None):
    return subprocess.run([bin_, *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=60)


def test_version_and_help(meshproof_bin):
    assert run(meshproof_bin, "--version").stdout.startswith("meshproof 0.")
    assert "Usage:" in run(meshproof_bin, "--help").stdout


def test_exit_codes_follow_fail_on(meshproof_bin):
    assert run(meshproof_bin, "verify", "-", stdin=CLEAN).returncode == 0
    assert run(meshproof_bin, "verify", "-", stdin=ERROR).returncode == 1
    # A warning fails only when asked to.
    assert run(meshproof_bin, "verify", "-", stdin=WARNING_ONLY).returncode == 0
    assert run(meshproof_bin, "verify", "--fail-on", "warning", "-", stdin=WARNING_ONLY).returncode == 1
    assert run(meshproof_bin, "verify", "--fail-on=never", "-", stdin=ERROR).returncode == 0


def test_exit_2_for_bad_flags_and_unreadable_paths(meshproof_bin, tmp_path):
    for args in (["verify"], ["verify", "--fail-on", "loud", "x"], ["frobnicate", "x"],
                 ["verify", "--format", "xml", "x"], ["verify", "--bogus", "x"]):
        r = run(meshproof_bin, *args)
        assert r.returncode == 2, args
        assert r.stderr.startswith("meshproof: ") and r.stderr.count("\n") == 1, r.stderr
    good = tmp_path / "ok.yaml"
    good.write_text(ERROR)
    r = run(meshproof_bin, "verify", str(tmp_path / "missing.yaml"), str(good))
    assert r.returncode == 2
    assert "missing.yaml" in r.stderr
    assert "MP0002" in r.stdout, "the readable input is still analysed"


def test_text_output_quotes_the_line(meshproof_bin, tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(ERROR)
    r = run(meshproof_bin, "verify", "bad.yaml", cwd=tmp_path)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("bad.yaml:3:33: error: MP0002 metadata.labels.v")
    assert lines[1] == "  metadata: {name: a, labels: {v: 1}}"
    assert lines[2] == "  " + " " * 32 + "^"
    assert lines[-1].startswith("meshproof verify: 1 error, 0 warnings, 0 infos in 1 object")


def test_json_envelope(meshproof_bin):
    r = run(meshproof_bin, "verify", "--format", "json", str(FIXTURES / "envelope_errors.yaml"))
    doc = json.loads(r.stdout)
    assert set(doc) >= {"meshproof_version", "profile", "inputs", "summary", "diagnostics"}
    assert doc["profile"] == "spec"
    assert set(doc["summary"]) >= {"errors", "warnings", "infos", "objects"}
    assert doc["summary"]["errors"] == sum(d["severity"] == "error" for d in doc["diagnostics"])
    d = doc["diagnostics"][0]
    assert set(d) >= {"code", "severity", "message", "resource", "location", "related", "witness"}
    assert set(d["location"]) == {"file", "line", "column", "path"}


def test_model_json_is_stable_and_sorted(meshproof_bin):
    a = run(meshproof_bin, "model", str(FIXTURES)).stdout
    b = run(meshproof_bin, "model", str(FIXTURES)).stdout
    assert a == b
    model = json.loads(a)["model"]
    names = [(s.get("namespace", ""), s["name"]) for s in model["trafficSplits"]]
    assert names == sorted(names)
    v1 = next(s for s in model["trafficSplits"] if s["name"] == "my-weights")
    assert [round(b["share"] * 100, 2) for b in v1["backends"]] == [0.62, 6.21, 93.17]


def test_output_file_is_written_atomically_and_never_over_an_input(meshproof_bin, tmp_path):
    src = tmp_path / "mesh.yaml"
    src.write_text(CLEAN)
    out = tmp_path / "report.json"
    r = run(meshproof_bin, "verify", "--format", "json", "--output-file", str(out), str(src))
    assert r.returncode == 0 and r.stdout == ""
    assert json.loads(out.read_text())["summary"]["objects"] == 1
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p], "temporary file left behind"
    r = run(meshproof_bin, "verify", "--output-file", str(src), str(src))
    assert r.returncode == 2
    assert src.read_text() == CLEAN
    r = run(meshproof_bin, "verify", "--output-file", str(tmp_path / "no-such-dir" / "x.json"), str(src))
    assert r.returncode == 2


def test_namespace_flag(meshproof_bin):
    r = run(meshproof_bin, "model", "--namespace", "team", "-",
            stdin="apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n")
    assert json.loads(r.stdout)["model"]["serviceAccounts"][0]["namespace"] == "team"


def test_codes_lists_the_whole_catalog(meshproof_bin):
    r = run(meshproof_bin, "codes", "--format", "json")
    codes = json.loads(r.stdout)
    ids = [c["code"] for c in codes]
    assert ids == sorted(ids) and "MP0001" in ids and "MP9001" in ids
    implemented = {c["code"] for c in codes if c["implemented"]}
    assert {"MP0001", "MP0002", "MP0003", "MP0004", "MP0005", "MP0006", "MP0007"} <= implemented
    text = run(meshproof_bin, "codes").stdout.splitlines()
    assert len(text) == len(codes)
    for line, c in zip(text, codes):
        assert line.startswith(c["code"])
        assert ("checked" if c["implemented"] else "not yet implemented") in line
