"""meshproof diff: what a change grants and revokes, in every format, from paths or git."""

import json
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAYMENTS = ROOT / "scenarios" / "payments" / "mesh"


def run(bin_, *args, cwd=None):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def make_versions(tmp_path):
    base = tmp_path / "base"
    new = tmp_path / "new"
    shutil.copytree(PAYMENTS, base)
    shutil.copytree(PAYMENTS, new)
    f = new / "20-payments.yaml"
    f.write_text(f.read_text().replace("matches: [create-charge, read-charge]",
                                       "matches: [create-charge, read-charge, health]"))
    return base, new


def test_diff_grant_json_and_exit_codes(meshproof_bin, tmp_path):
    base, new = make_versions(tmp_path)
    r = run(meshproof_bin, "diff", str(base), str(new), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["verdict"] == "more-permissive"
    assert {"meshproof_version", "profile", "slices", "shares", "newFindings", "fixedFindings"} <= set(doc)
    grant = next(s for s in doc["slices"] if s["destination"] == "payments/payments-api-stable")
    assert grant["granted"] and not grant["revoked"]
    w = grant["grant"]["witness"]
    assert (w["method"], w["path"]) == ("GET", "/healthz")
    assert grant["grant"]["base"] == "deny" and grant["grant"]["new"] == "allow"
    assert run(meshproof_bin, "diff", str(base), str(new), "--fail-on-grant").returncode == 1
    # The reverse change revokes; --fail-on-grant does not fire on revocations.
    back = run(meshproof_bin, "diff", str(new), str(base), "--format", "json", "--fail-on-grant")
    assert json.loads(back.stdout)["verdict"] == "less-permissive" and back.returncode == 0
    same = run(meshproof_bin, "diff", str(base), str(base), "--format", "json")
    assert json.loads(same.stdout)["verdict"] == "equal"


def test_diff_text_markdown_sarif(meshproof_bin, tmp_path):
    base, new = make_versions(tmp_path)
    text = run(meshproof_bin, "diff", str(base), str(new)).stdout
    assert text.startswith("meshproof diff: more-permissive")
    assert "+ granted  storefront/checkout -> payments/payments-api-stable:443/HTTP: GET /healthz" in text
    md = run(meshproof_bin, "diff", str(base), str(new), "--format", "markdown").stdout
    assert md.startswith("### meshproof diff: **more-permissive**") and "| 🟢 granted |" in md
    sarif = json.loads(run(meshproof_bin, "diff", str(base), str(new), "--format", "sarif").stdout)
    results = sarif["runs"][0]["results"]
    assert results and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    doc = json.loads(run(meshproof_bin, "diff", str(base), str(new), "-o", "json").stdout)
    # Grants under meshproof/diff-granted, and every new finding under its own code.
    assert {r["ruleId"] for r in results} == {"meshproof/diff-granted"} | {f["code"] for f in doc["newFindings"]}
    assert sum(r["ruleId"].startswith("MP") for r in results) == len(doc["newFindings"])
    grant = next(r for r in results if r["ruleId"] == "meshproof/diff-granted")
    assert grant["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("20-payments.yaml")


def test_diff_git(meshproof_bin, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True)
    git("init", "-q")
    git("config", "user.email", "ci@example.com")
    git("config", "user.name", "ci")
    shutil.copytree(PAYMENTS, repo / "deploy")
    git("add", "-A")
    git("commit", "-qm", "base")
    f = repo / "deploy" / "20-payments.yaml"
    f.write_text(f.read_text().replace("weight: 80", "weight: 50").replace("weight: 20", "weight: 50"))
    r = run(meshproof_bin, "diff", "--git", "HEAD", "deploy", "--format", "json", cwd=repo)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (share,) = doc["shares"]
    assert share["root"] == "payments/payments-api"
    canary = next(b for b in share["backends"] if b["service"] == "payments-api-canary")
    assert abs(canary["base"] - 0.2) < 1e-9 and abs(canary["new"] - 0.5) < 1e-9
    assert doc["verdict"] == "less-permissive"  # the uncovered canary now takes half the traffic
    assert run(meshproof_bin, "diff", "--git", "HEAD", "deploy", cwd=repo).stdout.startswith("meshproof diff: less")
    bad = run(meshproof_bin, "diff", "--git", "no-such-ref", "deploy", cwd=repo)
    assert bad.returncode == 2 and "unknown revision" in bad.stderr
    outside = run(meshproof_bin, "diff", "--git", "HEAD", "deploy", cwd=tmp_path)
    assert outside.returncode == 2
