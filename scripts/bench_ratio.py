#!/usr/bin/env python3
"""Prints the ratios the issues set as targets, from Google Benchmark JSON output:

  engine_bench: load+convert vs plain yaml-cpp parsing     (target <= 1.5)
  verify_bench: compile+checks vs load                      (target <= 1.0 at 10000 services)

Usage: bench_ratio.py FILE.json [FILE.json ...]"""
import json
import sys

PAIRS = [("BM_PlainYamlCppParse", "BM_LoadAndConvert", "load+convert / yaml-cpp parse", 1.5),
         ("BM_Load", "BM_CompileAndCheck", "compile+checks / load", 1.0)]

times = {}
for path in sys.argv[1:]:
    for r in json.load(open(path))["benchmarks"]:
        # With --benchmark_repetitions, use the median; a single run is taken as it is.
        if r.get("run_type") == "aggregate" and r.get("aggregate_name") != "median":
            continue
        name, _, size = r.get("run_name", r["name"]).partition("/")
        times.setdefault(name, {})[int(size)] = r["real_time"]

ok = True
for base, ours, label, target in PAIRS:
    if base not in times or ours not in times:
        continue
    print(f"{label} (target <= {target}):")
    print(f"  {'services':>9} {base + ' ms':>26} {ours + ' ms':>26} {'ratio':>6}")
    for size in sorted(times[base]):
        if size not in times[ours]:
            continue
        b, o = times[base][size], times[ours][size]
        print(f"  {size:>9} {b:>26.1f} {o:>26.1f} {o / b:>6.2f}")
    largest = max(times[base])
    ratio = times[ours][largest] / times[base][largest]
    met = ratio <= target
    ok = ok and met
    print(f"  at {largest} services: {ratio:.2f} -> {'ok' if met else 'MISSED'}")
sys.exit(0 if ok else 1)
