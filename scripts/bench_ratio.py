#!/usr/bin/env python3
"""Prints the ratios the issues set as targets, from Google Benchmark JSON output:

  engine_bench: load+convert vs plain yaml-cpp parsing     (target <= 1.5)
  verify_bench: compile+checks vs load                      (target <= 1.0 at 10000 services)
  simulator_bench: engine M/M/1 event rate vs reference loop (target >= 1/3),
                   20-service mesh event rate                (target >= 5e6 events/s),
                   1000 canary replications                  (target < 60 s)

Usage: bench_ratio.py FILE.json [FILE.json ...]"""
import json
import sys

PAIRS = [("BM_PlainYamlCppParse", "BM_LoadAndConvert", "load+convert / yaml-cpp parse", 1.5),
         ("BM_Load", "BM_CompileAndCheck", "compile+checks / load", 1.0)]

times = {}
rates = {}
canary_s = None
for path in sys.argv[1:]:
    for r in json.load(open(path))["benchmarks"]:
        if r.get("run_name", r["name"]).startswith("BM_Canary1000"):
            if r.get("run_type") != "aggregate" or r.get("aggregate_name") == "median":
                canary_s = r["real_time"]
            continue
        if "events_per_s" in r:
            if r.get("run_type") == "aggregate" and r.get("aggregate_name") != "median":
                continue
            rates[r.get("run_name", r["name"]).split("/")[0]] = r["events_per_s"]
            continue
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
if "BM_ReferenceMM1" in rates and "BM_EngineMM1" in rates:
    ratio = rates["BM_EngineMM1"] / rates["BM_ReferenceMM1"]
    met = ratio >= 1 / 3
    ok = ok and met
    print(f"simulator M/M/1 events/s: engine {rates['BM_EngineMM1'] / 1e6:.1f} M vs reference loop "
          f"{rates['BM_ReferenceMM1'] / 1e6:.1f} M = {ratio:.2f} (target >= 0.33) -> {'ok' if met else 'MISSED'}")
if "BM_Mesh20" in rates:
    met = rates["BM_Mesh20"] >= 5e6
    ok = ok and met
    print(f"simulator 20-service mesh: {rates['BM_Mesh20'] / 1e6:.1f} M events/s (target >= 5 M) -> "
          f"{'ok' if met else 'MISSED'}")
if canary_s is not None:
    met = canary_s < 60
    ok = ok and met
    print(f"canary: 1000 replications of a 13-tick rollout at 100 req/s in {canary_s:.1f} s "
          f"(target < 60 s on 2 cores) -> {'ok' if met else 'MISSED'}")
if "BM_EngineMMc" in rates:
    print(f"simulator M/M/4: {rates['BM_EngineMMc'] / 1e6:.1f} M events/s")
sys.exit(0 if ok else 1)
