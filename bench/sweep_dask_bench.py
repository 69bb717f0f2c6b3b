"""Dask against local for the same sweep: 16 points x 10 replications of the bookstore
scenario at 900 s simulated (each point over a second of work), on a LocalCluster of two
single-threaded worker processes vs. the local pool with --jobs 2. The issue's bar: Dask
at most 1.3x the local wall time, with identical results.

    PYTHONPATH=build/python /usr/bin/python3 bench/sweep_dask_bench.py
"""
import pathlib
import time

import meshproof

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "bookstore" / "scenario.yaml")
VARY = {"sources[readers].rate": [120, 160, 200, 240],
        "workloads[bookstore/bookstore-v1].replicas": [1, 2, 3, 4]}


def main():
    from distributed import Client, LocalCluster
    kw = dict(vary=VARY, replications=10, duration=900)
    start = time.perf_counter()
    local = meshproof.sweep(SCENARIO, jobs=2, **kw)
    t_local = time.perf_counter() - start
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.submit(sum, [1]).result()  # workers up before timing
        start = time.perf_counter()
        remote = meshproof.sweep(SCENARIO, client=client, **kw)
        t_dask = time.perf_counter() - start
    print(f"points: {len(local['points'])} x 10 replications")
    print(f"local --jobs 2: {t_local:.2f} s ({t_local / len(local['points']):.2f} s per point)")
    print(f"Dask LocalCluster 2x1: {t_dask:.2f} s; ratio {t_dask / t_local:.2f}")
    print("identical results:", local == remote)


if __name__ == "__main__":
    main()
