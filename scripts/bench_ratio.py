#!/usr/bin/env python3
"""Prints load+convert time against plain yaml-cpp parsing per mesh size, from
engine_bench's JSON output (target: ratio <= 1.5)."""
import json
import sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
times = {}
for r in runs:
    # With --benchmark_repetitions, use the median; a single run is taken as it is.
    if r.get("run_type") == "aggregate" and r.get("aggregate_name") != "median":
        continue
    name, _, size = r["run_name"].partition("/") if "run_name" in r else r["name"].partition("/")
    times.setdefault(int(size), {})[name] = r["real_time"]
print(f"{'services':>9} {'yaml-cpp ms':>12} {'load+convert ms':>16} {'ratio':>6}")
worst = 0.0
for size in sorted(times):
    t = times[size]
    plain, ours = t["BM_PlainYamlCppParse"], t["BM_LoadAndConvert"]
    worst = max(worst, ours / plain)
    print(f"{size:>9} {plain:>12.1f} {ours:>16.1f} {ours / plain:>6.2f}")
print(f"worst ratio {worst:.2f} (target <= 1.50): {'ok' if worst <= 1.5 else 'MISSED'}")
