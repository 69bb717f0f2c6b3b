"""Permissive traffic policy mode (opt-in only) across the commands, and verify's Flagger
checks on Canary objects found among the manifests."""

import json
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOKSTORE = ROOT / "scenarios" / "bookstore"
DENIED = ROOT / "scenarios" / "canary-denied"


def run(bin_, *args, cwd=None):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def denied_requests(doc):
    total = 0
    for item in doc["metrics"]["items"]:
        total += sum(int(m["value"]) for m in item["metrics"] if m["name"] == "denied_count")
    return total


def test_permissive_is_off_unless_asked(meshproof_bin, tmp_path):
    mesh = str(BOOKSTORE / "mesh")
    plain = json.loads(run(meshproof_bin, "verify", mesh, "-o", "json").stdout)
    assert plain["permissive"] is False
    r = run(meshproof_bin, "verify", mesh, "-o", "json", "--permissive")
    doc = json.loads(r.stdout)
    assert doc["permissive"] is True
    # Reachability findings mean nothing when everything is allowed; TrafficTarget
    # findings stay, as warnings saying they are not enforced.
    assert not any(d["code"] in ("MP1008", "MP1009", "MP1010", "MP1011", "MP3011")
                   for d in doc["diagnostics"])
    for d in doc["diagnostics"]:
        if d["code"].startswith("MP1"):
            assert d["severity"] != "error" and "permissive mode" in d["message"]
    assert "[profile spec (permissive)]" in run(meshproof_bin, "verify", mesh, "--permissive").stdout


def test_query_reach_and_diff_honour_permissive(meshproof_bin, tmp_path):
    mesh = str(BOOKSTORE / "mesh")
    q = ["query", mesh, "--from", "bookbuyer/bookbuyer", "--to", "bookwarehouse/bookwarehouse",
         "-o", "json"]
    assert json.loads(run(meshproof_bin, *q).stdout)["verdict"] == "deny"
    allowed = json.loads(run(meshproof_bin, *q, "--permissive").stdout)
    assert allowed["verdict"] == "allow"
    reach = json.loads(run(meshproof_bin, "reach", mesh, "-o", "json").stdout)["entries"]
    everyone = json.loads(run(meshproof_bin, "reach", mesh, "-o", "json", "--permissive").stdout)
    assert len(everyone["entries"]) > len(reach) and everyone["permissive"] is True
    assert all(e["verdict"] == "allow" for e in everyone["entries"])
    # Removing every TrafficTarget changes nothing under permissive mode.
    new = tmp_path / "new"
    shutil.copytree(mesh, new)
    for f in new.glob("*.yaml"):
        docs = [d for d in f.read_text().split("\n---") if "kind: TrafficTarget" not in d]
        f.write_text("\n---".join(docs))
    enforced = json.loads(run(meshproof_bin, "diff", mesh, str(new), "-o", "json").stdout)
    assert enforced["verdict"] == "less-permissive"
    same = json.loads(run(meshproof_bin, "diff", mesh, str(new), "-o", "json", "--permissive").stdout)
    assert same["verdict"] == "equal" and same["permissive"] is True


def test_config_file_switches_it_on_and_the_flag_off(meshproof_bin, tmp_path):
    shutil.copytree(BOOKSTORE / "mesh", tmp_path / "mesh")
    (tmp_path / "mesh" / ".meshproof.yaml").write_text("permissive: true\n")
    mesh = str(tmp_path / "mesh")
    assert json.loads(run(meshproof_bin, "verify", mesh, "-o", "json").stdout)["permissive"] is True
    off = json.loads(run(meshproof_bin, "verify", mesh, "-o", "json", "--no-permissive").stdout)
    assert off["permissive"] is False
    (tmp_path / "mesh" / ".meshproof.yaml").write_text("permissive: yes please\n")
    bad = run(meshproof_bin, "verify", mesh)
    assert bad.returncode == 2 and "permissive: expected true or false" in bad.stderr


def test_simulation_admits_every_request_under_permissive(meshproof_bin, tmp_path):
    args = ["simulate", str(BOOKSTORE / "scenario.yaml"), "-o", "json", "--replications", "1",
            "--duration", "60s", "--set", "warmup=0s"]
    enforced = json.loads(run(meshproof_bin, *args).stdout)
    assert enforced["permissive"] is False and denied_requests(enforced) > 0
    r = run(meshproof_bin, *args, "--permissive")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["permissive"] is True and denied_requests(doc) == 0
    # The scenario's own spec.permissive does the same; --no-permissive overrides it.
    text = (BOOKSTORE / "scenario.yaml").read_text().replace("  seed: 7\n", "  seed: 7\n  permissive: true\n")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(text.replace("mesh: [mesh]", f"mesh: [{BOOKSTORE / 'mesh'}]"))
    args[1] = str(scenario)
    assert denied_requests(json.loads(run(meshproof_bin, *args).stdout)) == 0
    assert denied_requests(json.loads(run(meshproof_bin, *args, "--no-permissive").stdout)) > 0


def test_canary_denied_by_policy_is_promoted_under_permissive(meshproof_bin):
    args = ["canary", str(DENIED / "scenario.yaml"), "-o", "json", "--replications", "10"]
    assert json.loads(run(meshproof_bin, *args).stdout)["outcome"]["rolledBack"]["p"] == 1.0
    doc = json.loads(run(meshproof_bin, *args, "--permissive").stdout)
    assert doc["outcome"]["promoted"]["p"] == 1.0 and doc["permissive"] is True
    text = run(meshproof_bin, "canary", str(DENIED / "scenario.yaml"), "--replications", "2",
               "--permissive").stdout
    assert "profile spec (permissive)" in text.splitlines()[0]


def smi_copy(tmp_path):
    """canary-denied with the Canary on an smi:* provider (Istio's observer)."""
    shutil.copytree(DENIED, tmp_path / "denied")
    podinfo = tmp_path / "denied" / "mesh" / "podinfo.yaml"
    podinfo.write_text(podinfo.read_text().replace("provider: osm", "provider: smi:v1alpha3"))
    return tmp_path / "denied"


def test_verify_says_what_flagger_will_do_with_a_denied_canary(meshproof_bin, tmp_path):
    # OSM records no denied request: no data, rollback (MP7005), before any rollout.
    r = run(meshproof_bin, "verify", str(DENIED / "mesh"), "-o", "json")
    assert r.returncode == 1
    finding = [d for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "MP7005"]
    assert len(finding) == 1 and finding[0]["severity"] == "error"
    assert "Flagger will roll back Canary test/podinfo" in finding[0]["message"]
    assert finding[0]["witness"]["destination"] == "test/podinfo"
    # Istio's observer counts the 403s as successes: promotion, then everyone denied.
    smi = smi_copy(tmp_path)
    r = run(meshproof_bin, "verify", str(smi / "mesh"))
    assert r.returncode == 1 and "MP7004 Flagger will promote a canary" in r.stdout
    # Suppressible and re-severable like any finding; permissive mode has nothing to say.
    assert run(meshproof_bin, "verify", str(DENIED / "mesh"), "--suppress", "MP7005").returncode == 0
    assert "MP7005" not in run(meshproof_bin, "verify", str(DENIED / "mesh"), "--permissive").stdout


def test_canary_text_shows_the_requests_denied_after_promotion(meshproof_bin, tmp_path):
    smi = smi_copy(tmp_path)
    r = run(meshproof_bin, "canary", str(smi / "scenario.yaml"), "--replications", "5")
    assert r.returncode == 0, r.stderr
    assert "promoted      100.0%" in r.stdout
    line = [l for l in r.stdout.splitlines() if l.startswith("after promotion:")]
    assert len(line) == 1 and "100.0% of user requests denied by access policy" in line[0]
    assert "over 5 promoted runs" in line[0]
    assert "MP7004" in r.stderr
