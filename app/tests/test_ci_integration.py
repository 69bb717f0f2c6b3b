"""The GitHub Action, the workflows and the pre-commit hook: their structure, every script
and path they reference, the diff comment end to end (against a local fake API), and
`pre-commit try-repo` where pre-commit is installed."""

import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import threading

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MESHPROOF_BUILD_DIR", ROOT / "build"))


def load(path):
    return yaml.safe_load((ROOT / path).read_text())


def test_action_is_a_composite_action_whose_scripts_exist():
    action = load("action.yml")
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    assert {"path", "deb-url", "fail-on", "sarif", "comment", "github-token"} <= inputs
    text = (ROOT / "action.yml").read_text()
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= inputs
    steps = action["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", step["name"]
            for script in re.findall(r"\$GITHUB_ACTION_PATH/([\w./-]+)", step["run"]):
                assert (ROOT / script).is_file(), script
        else:
            assert re.match(r"[\w-]+/[\w-]+(/[\w-]+)?@v\d+$", step["uses"]), step["uses"]
    names = [s["name"] for s in steps]
    # SARIF is recorded and uploaded, and the diff commented, before the gate can fail.
    assert names.index("Upload to code scanning") < names.index("Gate")
    assert names.index("Comment the semantic diff on the pull request") < names.index("Gate")
    assert "--fail-on never" in steps[names.index("Verify (SARIF for code scanning)")]["run"]
    cache = steps[names.index("Cache the meshproof build")]
    assert "github.action_ref || github.sha" in cache["with"]["key"]  # keyed on the commit


def test_example_workflow_runs_the_action_in_debian_12():
    wf = load("examples/ci/github-actions.yml")
    job = wf["jobs"]["verify"]
    assert job["container"] == "debian:12"
    steps = job["steps"]
    git = next(i for i, s in enumerate(steps) if "git" in s.get("run", ""))
    checkout = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/checkout"))
    assert git < checkout and steps[checkout]["with"]["fetch-depth"] == 0
    action = next(s for s in steps if s.get("uses", "").startswith("meshproof/meshproof@"))
    assert set(action["with"]) <= set(load("action.yml")["inputs"])
    perms = wf["permissions"]
    assert perms["security-events"] == "write" and perms["pull-requests"] == "write"


def test_release_workflow_builds_and_attaches_the_deb_on_tags():
    wf = load(".github/workflows/release.yml")
    assert wf[True]["push"]["tags"] == ["v*"]  # YAML 1.1 reads the key `on` as True
    job = wf["jobs"]["deb"]
    assert job["container"] == "debian:12"
    runs = " ".join(s.get("run", "") for s in job["steps"])
    assert "make package" in runs and "apt-get install -y -q ./build/meshproof_*.deb" in runs
    upload = next(s for s in job["steps"] if "action-gh-release" in s.get("uses", ""))
    assert upload["with"]["files"] == "build/meshproof_*.deb"
    assert re.search(r"^package:", (ROOT / "Makefile").read_text(), re.M)


def test_ci_scripts_parse():
    for script in (ROOT / "scripts" / "ci").glob("*.sh"):
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0, script


class FakeApi(http.server.BaseHTTPRequestHandler):
    posts = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        FakeApi.posts.append((self.path, self.headers["Authorization"], json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                   check=True, capture_output=True)


def test_comment_step_posts_the_markdown_diff(meshproof_bin, tmp_path):
    origin, work = tmp_path / "origin", tmp_path / "work"
    shutil.copytree(ROOT / "scenarios" / "payments" / "mesh", work / "deploy")
    git("init", "-q", "-b", "main", cwd=work)
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "base", cwd=work)
    git("clone", "-q", "--bare", str(work), str(origin), cwd=tmp_path)
    git("remote", "add", "origin", str(origin), cwd=work)
    git("fetch", "-q", "origin", cwd=work)
    f = work / "deploy" / "20-payments.yaml"
    f.write_text(f.read_text().replace("matches: [create-charge, read-charge]",
                                       "matches: [create-charge, read-charge, health]"))
    server = http.server.HTTPServer(("127.0.0.1", 0), FakeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ, PATH=f"{pathlib.Path(meshproof_bin).parent}:{os.environ['PATH']}",
               MESHPROOF_PATH="deploy", BASE_REF="main", GITHUB_TOKEN="t0k", PR_NUMBER="7",
               GITHUB_REPOSITORY="acme/mesh", GITHUB_API_URL=f"http://127.0.0.1:{server.server_port}",
               GITHUB_WORKSPACE=str(work), HOME=str(tmp_path))
    r = subprocess.run(["bash", str(ROOT / "scripts" / "ci" / "comment-diff.sh")], env=env,
                       capture_output=True, text=True, timeout=300)
    server.shutdown()
    assert r.returncode == 0, r.stderr
    (path, auth, body) = FakeApi.posts[-1]
    assert path == "/repos/acme/mesh/issues/7/comments" and auth == "Bearer t0k"
    assert body["body"].startswith("### meshproof diff: **more-permissive**")
    assert "/healthz" in body["body"]


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")
def test_pre_commit_try_repo(meshproof_bin, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "scenarios" / "bookstore" / "mesh", repo / "mesh")
    git("init", "-q", cwd=repo)
    git("add", ".", cwd=repo)
    env = dict(os.environ, PATH=f"{pathlib.Path(meshproof_bin).parent}:{os.environ['PATH']}",
               PRE_COMMIT_HOME=str(tmp_path / "cache"), HOME=str(tmp_path))
    cmd = ["pre-commit", "try-repo", str(ROOT), "meshproof-verify", "--all-files"]
    ok = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "meshproof verify (SMI policy)" in ok.stdout and "Passed" in ok.stdout
    # No files and no args: the hook runs on the repository (`.`), so a bad manifest fails it.
    shutil.copy(ROOT / "scenarios" / "payments" / "mesh" / "20-payments.yaml", repo / "mesh")
    git("add", ".", cwd=repo)
    bad = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "MP" in bad.stdout, bad.stdout
