#!/usr/bin/env python3
"""Golden-test driver for scenarios/<name>/: runs `meshproof verify` on <name>/mesh and
compares the result with <name>/expected/verify.{json,txt}; when the folder has a
scenario.yaml, also runs `meshproof simulate` on it (or `meshproof canary` when it has
`spec.canary`) and compares the text summary with <name>/expected/{simulate,canary}.txt,
checks the JSON's shape, and checks that the JSON is byte-identical with --jobs 1 and
--jobs 2 (same seed, same result).

    run_scenario.py --bin build/bin/meshproof --scenario scenarios/bookstore [--update-golden]

The JSON comparison ignores meshproof_version (it changes with every release); the text
output is compared byte for byte. The exit code must match the findings: 1 when an error
is reported (default --fail-on error), else 0.
"""

import argparse
import difflib
import json
import pathlib
import subprocess
import sys


def run(binary, scenario, fmt):
    # Relative paths from the scenario folder keep the output independent of the checkout.
    return subprocess.run([binary, "verify", "--format", fmt, "mesh"], cwd=scenario,
                          capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--scenario", required=True, type=pathlib.Path)
    ap.add_argument("--update-golden", action="store_true")
    args = ap.parse_args()
    args.bin = str(pathlib.Path(args.bin).resolve())  # we run from the scenario folder
    expected_dir = args.scenario / "expected"
    failures = []

    js = run(args.bin, args.scenario, "json")
    if js.returncode not in (0, 1):
        print(f"meshproof could not run (exit {js.returncode}): {js.stderr}", file=sys.stderr)
        return 1
    doc = json.loads(js.stdout)
    doc.pop("meshproof_version", None)
    want_exit = 1 if doc["summary"]["errors"] > 0 else 0
    if js.returncode != want_exit:
        failures.append(f"exit code {js.returncode}, expected {want_exit}")
    txt = run(args.bin, args.scenario, "text")
    actual = {"verify.json": json.dumps(doc, indent=2, sort_keys=True) + "\n",
              "verify.txt": txt.stdout}

    scenario_file = args.scenario / "scenario.yaml"
    if scenario_file.exists():
        # A scenario with `spec.canary` is a canary prediction; others are simulations.
        command = "canary" if "\n  canary:" in scenario_file.read_text() else "simulate"
        sim = [args.bin, command, "scenario.yaml"]
        st = subprocess.run(sim + ["--format", "text"], cwd=args.scenario, capture_output=True,
                            text=True, timeout=600)
        j1 = subprocess.run(sim + ["--format", "json", "--jobs", "1"], cwd=args.scenario,
                            capture_output=True, text=True, timeout=600)
        j2 = subprocess.run(sim + ["--format", "json", "--jobs", "2"], cwd=args.scenario,
                            capture_output=True, text=True, timeout=600)
        for r in (st, j1, j2):
            if r.returncode != 0:
                failures.append(f"simulate exit {r.returncode}: {r.stderr}")
        if j1.returncode == 0:
            if j1.stdout != j2.stdout:
                failures.append(f"{command} JSON differs between --jobs 1 and --jobs 2")
            sim_doc = json.loads(j1.stdout)
            if command == "simulate" and (sim_doc["metrics"]["kind"] != "TrafficMetricsList"
                                          or not sim_doc["metrics"]["items"]):
                failures.append("simulate JSON carries no TrafficMetricsList items")
            if command == "canary" and not sim_doc["typicalRun"]["timeline"]:
                failures.append("canary JSON carries no timeline")
        actual[f"{command}.txt"] = st.stdout

    for name, text in actual.items():
        path = expected_dir / name
        if args.update_golden:
            expected_dir.mkdir(exist_ok=True)
            path.write_text(text)
            continue
        if not path.exists():
            failures.append(f"{path} is missing (run with --update-golden)")
            continue
        want = path.read_text()
        if want != text:
            diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                                str(path), "actual"))
            failures.append(f"{path} differs:\n{diff}")
    for f in failures:
        print(f, file=sys.stderr)
    print(f"scenario {args.scenario.name}: " + ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
