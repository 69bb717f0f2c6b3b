"""The CI examples in the repository must run the commands they document."""

import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_github_action_runs_the_documented_commands():
    text = (ROOT / "action.yml").read_text()
    assert 'meshproof verify "$MESHPROOF_PATH" -o sarif --fail-on never --output-file meshproof.sarif' in text
    assert "github/codeql-action/upload-sarif" in text
    assert 'meshproof verify "$MESHPROOF_PATH" --fail-on "$FAIL_ON"' in text
    diff = (ROOT / "scripts" / "ci" / "comment-diff.sh").read_text()
    assert 'meshproof diff --git "origin/$BASE_REF" "$MESHPROOF_PATH" -o markdown' in diff


def test_pre_commit_hook_command_runs(meshproof_bin):
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    entry = next(l.split(":", 1)[1].strip() for l in text.splitlines() if l.strip().startswith("entry:"))
    args = entry.split()[1:]  # drop "meshproof"
    ok = subprocess.run([meshproof_bin, *args, str(ROOT / "scenarios" / "bookstore" / "mesh")],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout == "", "--quiet prints only failing findings"
    bad = subprocess.run([meshproof_bin, *args, str(ROOT / "scenarios" / "payments" / "mesh")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and "MP3011" in bad.stdout
