#!/usr/bin/env bash
# comment-diff.sh: posts `meshproof diff --git origin/BASE PATH -o markdown` on the pull
# request (the GitHub Action's comment step). Env: MESHPROOF_PATH, BASE_REF, GITHUB_TOKEN,
# PR_NUMBER, GITHUB_REPOSITORY, GITHUB_API_URL, GITHUB_WORKSPACE.
set -euo pipefail
cd "${GITHUB_WORKSPACE:-.}"
git config --global --add safe.directory "$PWD"
# The base must be in the clone: actions/checkout with fetch-depth: 0 has it.
git rev-parse --verify --quiet "origin/$BASE_REF" >/dev/null || git fetch --quiet origin "$BASE_REF"
status=0
meshproof diff --git "origin/$BASE_REF" "$MESHPROOF_PATH" -o markdown --output-file meshproof-diff.md || status=$?
if [ "$status" -ge 2 ]; then
  echo "meshproof diff could not run (exit $status); no comment posted" >&2
  exit 0
fi
python3 - <<'PY'
import json, os, urllib.request
body = open("meshproof-diff.md", encoding="utf-8").read()
url = f"{os.environ.get('GITHUB_API_URL', 'https://api.github.com')}/repos/{os.environ['GITHUB_REPOSITORY']}/issues/{os.environ['PR_NUMBER']}/comments"
req = urllib.request.Request(url, data=json.dumps({"body": body}).encode(), method="POST", headers={
    "Authorization": f"Bearer {os.environ['GITHUB_TOKEN']}",
    "Accept": "application/vnd.github+json"})
with urllib.request.urlopen(req) as r:
    print("posted the meshproof diff:", r.status)
PY
