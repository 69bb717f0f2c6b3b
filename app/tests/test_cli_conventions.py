"""Command-line conventions users know from kubectl, istioctl and conftest."""

import json
import os
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAYMENTS = ROOT / "scenarios" / "payments" / "mesh"
BOOKSTORE = ROOT / "scenarios" / "bookstore" / "mesh"


def run(bin_, *args, cwd=None, env=None):
    return subprocess.run([bin_, *args], capture_output=True, text=True, cwd=cwd, timeout=120,
                          env=env)


def test_each_command_has_its_own_help_with_two_examples(meshproof_bin):
    for cmd, own, foreign in [("verify", "--suppress", "--seed"), ("diff", "--fail-on-grant", "--from"),
                              ("simulate", "--replications", "--suppress"), ("query", "--to-identity", "--git")]:
        r = run(meshproof_bin, cmd, "--help")
        assert r.returncode == 0
        assert r.stdout.startswith(f"meshproof {cmd} - ")
        assert own in r.stdout and foreign not in r.stdout
        examples = r.stdout.split("Examples:\n")[1].split("\n\n")[0].splitlines()
        assert len(examples) == 2 and all(e.startswith(f"  meshproof {cmd}") for e in examples)
    assert "-n, --namespace NS" in run(meshproof_bin, "--help").stdout


def test_a_flag_the_command_does_not_take_is_exit_2_with_a_hint(meshproof_bin):
    r = run(meshproof_bin, "verify", "--seed", "5", "--jobs", "3", "--fail-on-grant", "--from", "x/y", str(PAYMENTS))
    assert r.returncode == 2
    assert "verify does not take --seed (simulate, canary, sweep take it)" in r.stderr


def test_output_is_the_format_and_output_file_the_file(meshproof_bin, tmp_path):
    r = run(meshproof_bin, "verify", "-o", "json", str(PAYMENTS))
    assert r.returncode == 1 and json.loads(r.stdout)["summary"]["errors"] >= 1
    assert not (pathlib.Path.cwd() / "json").exists()
    out = tmp_path / "v.sarif"
    r = run(meshproof_bin, "verify", "-o", "sarif", "--output-file", str(out), str(PAYMENTS))
    assert r.returncode == 1 and r.stdout == "" and json.loads(out.read_text())["version"] == "2.1.0"
    r = run(meshproof_bin, "verify", "-o", "v.json", str(PAYMENTS))
    assert r.returncode == 2 and "--output-file v.json" in r.stderr


def test_output_file_never_lands_where_the_scan_would_read_it(meshproof_bin, tmp_path):
    mesh = tmp_path / "mesh"
    mesh.mkdir()
    (mesh / "a.yaml").write_text((PAYMENTS / "20-payments.yaml").read_text())
    before = (mesh / "a.yaml").read_text()
    for target in (mesh / "a.yaml", mesh / "report.json", mesh / "sub" / ".." / "x.yml"):
        r = run(meshproof_bin, "verify", "-o", "json", "--output-file", str(target), str(mesh))
        assert r.returncode == 2 and "refusing" in r.stderr, target
    assert (mesh / "a.yaml").read_text() == before and not (mesh / "report.json").exists()
    # A symlink to a regular file writes the target and stays a symlink.
    (tmp_path / "real.json").write_text("")
    os.symlink(tmp_path / "real.json", tmp_path / "link.json")
    r = run(meshproof_bin, "verify", "-o", "json", "--output-file", str(tmp_path / "link.json"), str(mesh))
    assert r.returncode == 1 and os.path.islink(tmp_path / "link.json")
    assert json.loads((tmp_path / "real.json").read_text())["summary"]["errors"] >= 1
    # Devices are written in place; - is standard output.
    assert run(meshproof_bin, "verify", "--output-file", "/dev/null", str(mesh)).returncode == 1
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    r = run(meshproof_bin, "verify", "-o", "json", "--output-file", "-", str(mesh))
    assert json.loads(r.stdout)["inputs"] == [str(mesh)]
    # Write errors are errors.
    assert run(meshproof_bin, "verify", "--output-file", "/dev/full", str(mesh)).returncode == 2


def test_completion_scripts(meshproof_bin):
    for shell, marker in [("bash", "complete -o filenames -F _meshproof meshproof"),
                          ("zsh", "#compdef meshproof"), ("fish", "complete -c meshproof")]:
        r = run(meshproof_bin, "completion", shell)
        assert r.returncode == 0 and marker in r.stdout and "fail-on-grant" in r.stdout
    bash = run(meshproof_bin, "completion", "bash").stdout
    script = f"{bash}\nCOMP_WORDS=(meshproof verify --fail); COMP_CWORD=2; _meshproof; echo ${{COMPREPLY[@]}}"
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout.split()
    assert "--fail-on" in out and "--fail-on-grant" not in out
    assert run(meshproof_bin, "completion", "tcsh").returncode == 2


def test_codes_shows_one_code_with_a_triggering_example(meshproof_bin, tmp_path):
    r = run(meshproof_bin, "codes", "MP3011")
    assert r.returncode == 0 and r.stdout.startswith("MP3011 (error by default)")
    assert "kind: TrafficSplit" in r.stdout
    assert run(meshproof_bin, "codes", "MP9999").returncode == 2
    # Every example triggers its code under verify.
    for c in json.loads(run(meshproof_bin, "codes", "-o", "json").stdout):
        if "example" not in c:
            continue
        f = tmp_path / f"{c['code']}.yaml"
        f.write_text(c["example"])
        doc = json.loads(run(meshproof_bin, "verify", "-o", "json", str(f)).stdout)
        assert c["code"] in {d["code"] for d in doc["diagnostics"]}, c["code"]


def test_color_on_request_and_no_color(meshproof_bin):
    r = run(meshproof_bin, "verify", "--color", "always", str(PAYMENTS))
    assert "\033[1;31merror:\033[0m" in r.stdout
    assert "\033[" not in run(meshproof_bin, "verify", str(PAYMENTS)).stdout  # not a terminal
    env = dict(os.environ, NO_COLOR="1")
    assert "\033[" not in run(meshproof_bin, "verify", "--color", "auto", str(PAYMENTS), env=env).stdout
    assert run(meshproof_bin, "verify", "--color", "sometimes", str(PAYMENTS)).returncode == 2


def test_query_about_what_does_not_exist_is_exit_2(meshproof_bin):
    base = ["query", str(PAYMENTS), "--from", "storefront/checkout"]
    r = run(meshproof_bin, *base, "--to", "payments/nope")
    assert r.returncode == 2 and "Service payments/nope does not exist" in r.stderr
    r = run(meshproof_bin, *base, "--to", "payments/payments-api", "--port", "9")
    assert r.returncode == 2 and "has no port 9" in r.stderr
    r = run(meshproof_bin, "query", str(PAYMENTS), "--from", "storefront/ghost", "--to", "payments/payments-api")
    assert r.returncode == 2 and "identity storefront/ghost does not exist" in r.stderr
    r = run(meshproof_bin, "query", str(PAYMENTS), "--from", "a/b/c", "--to", "payments/payments-api")
    assert r.returncode == 2 and "is not NAMESPACE/NAME" in r.stderr
    # `default` exists in every namespace the input uses; -n qualifies bare names.
    r = run(meshproof_bin, "query", str(PAYMENTS), "-n", "payments", "--from", "default", "--to", "payments-api")
    assert r.returncode == 1, r.stderr


def test_intents_naming_unknown_things_are_mp5003(meshproof_bin, tmp_path):
    intents = tmp_path / "intents.yaml"
    intents.write_text("intents:\n- deny: {from: storefront/chekout, to: payments/payments-api}\n"
                       "- deny: {from: \"*\", to: payments/ledgr}\n")
    r = run(meshproof_bin, "verify", "-o", "json", "--intents", str(intents), str(PAYMENTS))
    found = [d for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "MP5003"]
    assert len(found) == 2 and r.returncode == 1
    assert found[0]["location"]["file"] == str(intents) and found[0]["location"]["line"] == 2
    assert run(meshproof_bin, "verify", "--intents", str(tmp_path), str(PAYMENTS)).returncode == 2
    assert run(meshproof_bin, "verify", "--config", str(tmp_path), str(PAYMENTS)).returncode == 2
