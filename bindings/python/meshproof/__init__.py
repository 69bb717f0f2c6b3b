"""meshproof: prove and simulate SMI (Service Mesh Interface) policy before it reaches a cluster.

    >>> import meshproof
    >>> mesh = meshproof.load(["scenarios/bookstore"])
    >>> findings = mesh.verify()          # list of dicts, one per diagnostic
    >>> import pandas as pd; pd.DataFrame(findings)[["code", "severity", "message"]]

Every function here runs the same application layer as the `meshproof` binary: keyword
arguments become the command's flags (same names, same validation, same precedence over
.meshproof.yaml), and results are the documents `meshproof CMD -o json` prints.
"""

from __future__ import annotations

import os
from typing import Any, Iterable, Optional, Union

from ._core import LoadError, Mesh, __version__, load_string
from ._core import load as _load
from ._core import run as _run

__all__ = ["LoadError", "Mesh", "__version__", "canary", "diff", "load", "load_string", "metrics_table",
           "model", "nodes_table", "plot_sweep", "reach", "run", "simulate", "sweep", "sweep_table",
           "timeline_table", "verify"]


def _paths(p) -> list:
    return [os.fspath(p)] if isinstance(p, (str, os.PathLike)) else [os.fspath(x) for x in p]


def _flags(**kw) -> list:
    """Keyword arguments as command-line flags: None is left out, True is a switch, a list
    repeats the flag, a dict gives NAME=VALUE pairs; `from_` is --from."""
    out = []
    for key, value in kw.items():
        if value is None or value is False:
            continue
        flag = "--" + key.rstrip("_").replace("_", "-")
        if value is True:
            out.append(flag)
        elif isinstance(value, dict):
            for k, v in value.items():
                out += [flag, f"{k}={v}"]
        elif isinstance(value, (list, tuple)):
            for v in value:
                out += [flag, str(v)]
        else:
            out += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return out


def _permissive(value: Optional[bool]) -> dict:
    """permissive=True/False as --permissive/--no-permissive; None leaves it to the
    .meshproof.yaml or the scenario (off unless they say so)."""
    return {"permissive": value is True, "no_permissive": value is False}


def _seconds(value) -> Optional[str]:
    return None if value is None else f"{float(value)!r}s"


def _document(result) -> Any:
    code, document, _output, messages = result
    if code == 2 or document is None:
        raise ValueError("\n".join(m.rstrip("\n") for m in messages) or "meshproof could not run")
    return document


def run(*argv: str) -> tuple:
    """Run a command exactly as the binary would: run("verify", "deploy/", "-o", "json").
    Returns (exit_code, document, output, messages)."""
    return _run([str(a) for a in argv])


def load(paths: Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]],
         namespace: str = "default", strict: bool = True) -> Mesh:
    """Load manifests from a path or a list of paths (files, folders, or "-" for stdin).

    Objects without metadata.namespace land in `namespace`. A path that cannot be read
    raises LoadError (an OSError) unless strict=False; bad manifests never raise, they
    become findings in Mesh.verify().
    """
    return _load(_paths(paths), namespace=namespace, strict=strict)


def _mesh_run(mesh: Mesh, command: str, **kw) -> Any:
    return _document(mesh._run([command, "-", "-o", "json"] + _flags(**kw)))


def _mesh_verify(self: Mesh, profile: Optional[str] = None, config=None, intents=None,
                 fail_on: Optional[str] = None, suppress=None, solver_timeout_ms=None,
                 permissive: Optional[bool] = None) -> list:
    """Every finding of `meshproof verify` as a dict (code, severity, message, resource,
    location, related, witness), sorted by location. Settings resolve as in the CLI:
    these arguments, else the .meshproof.yaml beside the loaded paths (or `config`).
    `permissive=True` reads the mesh in OSM's permissive traffic policy mode (every request
    allowed by access policy); it is never switched on implicitly."""
    return self.verify_report(profile=profile, config=config, intents=intents, fail_on=fail_on,
                              suppress=suppress, solver_timeout_ms=solver_timeout_ms,
                              permissive=permissive)["diagnostics"]


def _mesh_verify_report(self: Mesh, profile=None, config=None, intents=None, fail_on=None,
                        suppress=None, solver_timeout_ms=None, permissive=None) -> dict:
    """The whole `meshproof verify -o json` document: envelope, summary, diagnostics, groups."""
    return _mesh_run(self, "verify", profile=profile, config=config, intents=intents,
                     fail_on=fail_on, suppress=suppress, solver_timeout_ms=solver_timeout_ms,
                     **_permissive(permissive))


def _mesh_reach(self: Mesh, profile: Optional[str] = None, include_deny: bool = False,
                config=None, permissive: Optional[bool] = None) -> list:
    """The reachability matrix: one dict per (source identity, destination Service, port)
    with verdict allow|partial|deny, deniedShare and the receiving identities."""
    return _mesh_run(self, "reach", profile=profile, include_deny=include_deny, config=config,
                     **_permissive(permissive))["entries"]


def _mesh_query(self: Mesh, source: str, to: Optional[str] = None, to_identity: Optional[str] = None,
                port: Optional[int] = None, method: Optional[str] = None, path: Optional[str] = None,
                headers: Optional[dict] = None, exact_headers: bool = False,
                profile: Optional[str] = None, config=None, solver_timeout_ms=None,
                permissive: Optional[bool] = None) -> dict:
    """May `source` (ns/serviceaccount) send this request? Fields left out are open. Returns
    {verdict, deniedShare, witness, ports: [{port, verdict, because, blocked}]}. Raises
    ValueError when a name or port does not exist."""
    return _mesh_run(self, "query", from_=source, to=to, to_identity=to_identity, port=port,
                     method=method, path=path, header=headers or None, exact_headers=exact_headers,
                     profile=profile, config=config, solver_timeout_ms=solver_timeout_ms,
                     **_permissive(permissive))


def _mesh_model(self: Mesh) -> dict:
    """The typed model as nested dicts (as `meshproof model`)."""
    return _mesh_run(self, "model")["model"]


Mesh.verify = _mesh_verify
Mesh.verify_report = _mesh_verify_report
Mesh.reach = _mesh_reach
Mesh.query = _mesh_query
Mesh.model = _mesh_model


def verify(paths, **kw) -> dict:
    """`meshproof verify PATHS -o json` as a dict (keyword arguments as in Mesh.verify)."""
    return _document(_run(["verify", *_paths(paths), "-o", "json"] + _flags(**kw)))


def reach(paths, **kw) -> dict:
    """`meshproof reach PATHS -o json` as a dict."""
    return _document(_run(["reach", *_paths(paths), "-o", "json"] + _flags(**kw)))


def model(paths, **kw) -> dict:
    """`meshproof model PATHS` as a dict."""
    return _document(_run(["model", *_paths(paths)] + _flags(**kw)))


def diff(base, new, profile: Optional[str] = None, namespace: Optional[str] = None,
         config=None, solver_timeout_ms=None, fail_on_grant: bool = False,
         permissive: Optional[bool] = None) -> dict:
    """What changes from `base` to `new` (each a path; a list of one path is accepted).

    Returns the same data as `meshproof diff -o json`: the overall verdict (equal,
    more-permissive, less-permissive, incomparable), every (source, destination, port)
    whose allowed requests changed with a witness request evaluated on both versions,
    TrafficSplit share changes, and findings that appeared or were fixed. Settings come
    from NEW's .meshproof.yaml (solverTimeoutMs included) unless given here.
    """
    b, n = _paths(base), _paths(new)
    if len(b) != 1 or len(n) != 1:
        raise ValueError("diff compares one BASE path with one NEW path (a file or a folder)")
    return _document(_run(["diff", b[0], n[0], "-o", "json"] + _flags(
        profile=profile, namespace=namespace, config=config, solver_timeout_ms=solver_timeout_ms,
        fail_on_grant=fail_on_grant, **_permissive(permissive))))


def _default_jobs(jobs):
    """Threads for a run: what was asked, else all cores, except inside a Dask worker or a
    process-pool child, where the pool already gives every core work: one thread per task."""
    if jobs:
        return jobs
    try:
        from distributed import get_worker
        get_worker()
        return 1
    except Exception:  # not in a Dask worker (or Dask is not installed)
        pass
    import multiprocessing
    return 1 if multiprocessing.parent_process() is not None else None


def _yaml_value(value) -> str:
    """An override value as the YAML text --set reads: strings as written (so "250ms" and
    "{distribution: ...}" work), everything else as JSON (which YAML reads)."""
    import json
    return value if isinstance(value, str) else json.dumps(value)


def _scenario(scenario, base_dir):
    """(SCENARIO argument, scenario text or None, --base-dir or None) for a path, a YAML
    string or a dict. Text and dicts resolve relative mesh paths against base_dir, default
    the working directory."""
    import json
    if isinstance(scenario, dict):
        return "-", json.dumps(scenario), os.fspath(base_dir or os.getcwd())
    if isinstance(scenario, str) and ("\n" in scenario or scenario.lstrip().startswith("{")):
        return "-", scenario, os.fspath(base_dir or os.getcwd())
    return os.fspath(scenario), None, (os.fspath(base_dir) if base_dir else None)


def _overrides(overrides) -> list:
    return [f"{k}={_yaml_value(v)}" for k, v in (overrides or {}).items()]


def _progress(progress):
    return None if progress is None else (lambda info: progress(dict(info)))


def _scenario_run(command, scenario, base_dir, progress=None, evaluate=None, **flags):
    path, text, base = _scenario(scenario, base_dir)
    argv = [command, path, "-o", "json"] + _flags(base_dir=base, **flags)
    return _document(_run(argv, scenario_text=text, progress=_progress(progress), evaluate=evaluate))


def simulate(scenario, seed=None, replications=None, duration=None, jobs: Optional[int] = None,
             profile: Optional[str] = None, max_memory: Optional[str] = None,
             force: bool = False, overrides: Optional[dict] = None, base_dir=None,
             progress=None, permissive: Optional[bool] = None) -> dict:
    """Run a scenario; the same data as `meshproof simulate -o json`, with `slos` verdicts.

    `scenario` is a path, a YAML string or a dict (relative `mesh:` paths resolve against
    `base_dir`, default the file's folder or the working directory). `overrides` changes
    values before validation, exactly as --set: {"sources[charges].rate": 300,
    "workloads[shop/cart].replicas": 4}. `duration` is in seconds. Same seed, same result,
    whatever `jobs` is (default: all cores, one inside a Dask worker). Ctrl-C stops the run
    within a second (KeyboardInterrupt). `progress(info)` is called about every 100 ms with
    {fraction, points_done, points_total (a sweep's points; 1 here), events,
    events_per_second, elapsed_seconds}. Raises ValueError with the scenario's problems (file:line) when it
    cannot run, and when the run does not fit its memory or event budget (`max_memory`
    such as "4Gi"; `force` runs past the up-front estimate).
    """
    return _scenario_run("simulate", scenario, base_dir, progress, seed=seed,
                         replications=replications, duration=_seconds(duration),
                         jobs=_default_jobs(jobs), profile=profile or None,
                         max_memory=max_memory, force=force, set=_overrides(overrides),
                         **_permissive(permissive))


def canary(scenario, seed=None, replications=None, horizon=None, jobs: Optional[int] = None,
           profile: Optional[str] = None, max_memory: Optional[str] = None,
           force: bool = False, overrides: Optional[dict] = None, base_dir=None,
           progress=None, fail_on: Optional[str] = None,
           permissive: Optional[bool] = None) -> dict:
    """Predict a Flagger canary rollout; the same data as `meshproof canary -o json`.

    Returns the outcome probabilities (promoted / rolledBack / progressing, each with a 95%
    interval), time to decision, failed user and load-test requests, and a typical run's
    timeline. `horizon` (seconds) overrides the scenario's time limit; `scenario`,
    `overrides`, `base_dir` and `progress` as in simulate(). `fail_on` ("rollback=0.1",
    "rollback,progressing") adds `failOn`: each condition with its estimate and whether
    it failed, as `meshproof canary --fail-on`.
    """
    return _scenario_run("canary", scenario, base_dir, progress, seed=seed,
                         replications=replications, duration=_seconds(horizon),
                         jobs=_default_jobs(jobs), profile=profile or None,
                         max_memory=max_memory, force=force, set=_overrides(overrides),
                         fail_on=fail_on, **_permissive(permissive))


def _vary_flags(vary) -> list:
    out = []
    for path, values in (vary or {}).items():
        if isinstance(values, str):
            out.append(f"{path}={values}")  # "1:16:1" or "a,b"
        else:
            out.append(f"{path}=" + ",".join(_yaml_value(v) for v in values))
    return out


def _search_flag(spec):
    """find_min/find_max as PATH=FROM:TO[:STEP]: a string, a (path, from, to[, step])
    tuple or a {path: "from:to[:step]"} dict."""
    if spec is None:
        return None
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        (path, rng), = spec.items()
        return f"{path}={rng}" if isinstance(rng, str) else f"{path}=" + ":".join(map(str, rng))
    path, *rng = spec
    return f"{path}=" + ":".join(map(str, rng))


def _evaluate_points(argv, points, text):
    """A Dask task: sweep points run on the worker (pickled by reference: the extension's
    own functions cannot be pickled)."""
    from ._core import evaluate_points
    return evaluate_points(argv, points, text)


# How often a Dask sweep looks for a Ctrl-C while its tasks run (seconds).
_DASK_POLL_SECONDS = 0.2


def _dask_evaluator(client, argv, text):
    """Runs sweep points as Dask tasks, one point per task (its replications inside, one
    thread), and gathers them in order; results equal the local run's for the same seed."""
    worker_argv = list(argv)

    def evaluate(points, cancelled):
        from distributed import wait
        futures = [client.submit(_evaluate_points, worker_argv, [p], text, pure=False)
                   for p in points]
        try:
            while True:
                try:
                    # distributed.wait raises TimeoutError while tasks are still running.
                    wait(futures, timeout=_DASK_POLL_SECONDS)
                    break
                except TimeoutError:
                    pass
                if cancelled():
                    client.cancel(futures)
                    raise KeyboardInterrupt
            return [f.result()[0] for f in futures]
        finally:
            if cancelled():
                client.cancel(futures)

    return evaluate


def sweep(scenario, vary: Optional[dict] = None, find_min=None, find_max=None,
          overrides: Optional[dict] = None, seed=None, replications=None, duration=None,
          jobs: Optional[int] = None, profile: Optional[str] = None,
          max_memory: Optional[str] = None, force: bool = False, base_dir=None,
          client=None, progress=None, permissive: Optional[bool] = None) -> dict:
    """What-if capacity; the same data as `meshproof sweep -o json`.

    `vary={"sources[readers].rate": [100, 200, 400], "workloads[shop/cart].replicas":
    "1:8:1"}` runs the grid (the cartesian product); `find_min=("workloads[shop/cart].
    replicas", 1, 16)` (or find_max) bisects for the smallest (largest) value at which every
    SLO of the scenario is met. Every point runs the same replications with the same seeds
    (common random numbers). With a `dask.distributed.Client` as `client`, the points run
    as tasks on that cluster (one thread each) with the same results as the local run.
    """
    path, text, base = _scenario(scenario, base_dir)
    argv = ["sweep", path, "-o", "json"] + _flags(
        base_dir=base, seed=seed, replications=replications, duration=_seconds(duration),
        jobs=_default_jobs(jobs), profile=profile or None, max_memory=max_memory, force=force,
        set=_overrides(overrides), vary=_vary_flags(vary), find_min=_search_flag(find_min),
        find_max=_search_flag(find_max), **_permissive(permissive))
    evaluate = None
    if client is not None:
        # Each task runs one point's replications on one thread unless jobs was given; the
        # points carry what the sweep adds (their values, its default replications).
        worker_argv = ["simulate", path, "--jobs", str(jobs or 1)] + _flags(
            base_dir=base, seed=seed, replications=replications, duration=_seconds(duration),
            profile=profile or None, max_memory=max_memory, force=force,
            set=_overrides(overrides), **_permissive(permissive))
        evaluate = _dask_evaluator(client, worker_argv, text)
    return _document(_run(argv, scenario_text=text, progress=_progress(progress),
                          evaluate=evaluate))


def _quantity(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def _since_start(timestamp: str) -> float:
    from datetime import datetime, timezone
    t = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return t.timestamp()


def metrics_table(result: dict, windows: bool = False) -> list:
    """Flatten simulate() output into rows for pandas: one row per TrafficMetrics item with
    resource, peer, direction, side, backend, window end, and each metric as a float
    (latencies in ms; `<name>_low`/`<name>_high` when there are confidence intervals).

        >>> pd.DataFrame(meshproof.metrics_table(meshproof.simulate("scenarios/payments/scenario.yaml")))
    """
    def ref(r):
        return "" if r is None else f"{r['kind']} {r['namespace']}/{r['name']}"

    lists = [result["windows" if windows else "metrics"]]
    rows = []
    for lst in lists:
        for it in lst["items"]:
            row = {
                "resource": ref(it["resource"]),
                "peer": ref(it["edge"]["resource"]),
                "direction": it["edge"]["direction"],
                "side": it["edge"].get("side", ""),
                "backend": (it.get("backend") or {}).get("name", ""),
                # Seconds from the start of the run (the window's end), not a 1970 date.
                "time_s": _since_start(it["timestamp"]),
            }
            for m in it["metrics"]:
                row[m["name"]] = _quantity(m["value"])
                if "ci95" in m:
                    row[m["name"] + "_low"] = _quantity(m["ci95"]["low"])
                    row[m["name"] + "_high"] = _quantity(m["ci95"]["high"])
            rows.append(row)
    return rows


def timeline_table(prediction: dict) -> list:
    """The typical run's ticks as rows for pandas: tick, time, phase, canary weight, failed
    checks, and each metric's value and verdict."""
    rows = []
    for t in prediction["typicalRun"]["timeline"]:
        row = {"tick": t["tick"], "time_s": t["timeSeconds"], "phase": t["phase"],
               "canary_weight": t["canaryWeight"], "failed_checks": t["failedChecks"]}
        for c in t["checks"]:
            row[c["name"]] = c["value"]
            row[c["name"] + "_verdict"] = c["verdict"]
        rows.append(row)
    return rows


def sweep_table(result: dict) -> list:
    """sweep() output as rows for pandas: one row per (point, client edge) with the varied
    values, each SLO's verdict and value (`<slo>`, `<slo>_value`, `<slo>_low`,
    `<slo>_high`), and the edge's metrics (latencies in seconds, rates as fractions)."""
    rows = []
    for p in result["points"]:
        base = dict(p["values"])
        for s in p["slos"]:
            base[s["name"]] = s["verdict"]
            base[s["name"] + "_value"] = s["value"]
            low, high = s["ci95"] if s["ci95"] else (None, None)
            base[s["name"] + "_low"], base[s["name"] + "_high"] = low, high
        edges = [e for e in p["edges"] if e["side"] == "client"] or [{}]
        for e in edges:
            row = dict(base)
            row.update({k: v for k, v in e.items() if k != "side"})
            rows.append(row)
    return rows


def nodes_table(result: dict) -> list:
    """Per-workload rows for pandas from simulate() (with 95% intervals) or sweep() (one
    row per point and workload, with the varied values): utilisation, mean number in
    system, mean time in system (s), throughput."""
    rows = []
    if "points" in result:
        for p in result["points"]:
            for n in p["nodes"]:
                rows.append({**p["values"], **n})
        return rows
    for n in result["nodes"]:
        r = n["resource"]
        row = {"workload": f"{r['namespace']}/{r['name']}", "replicas": n["replicas"]}
        for key, name in (("utilisation", "utilisation"), ("meanInSystem", "meanInSystem"),
                          ("meanTimeInSystemSeconds", "meanTimeInSystem"),
                          ("throughput", "throughput")):
            row[name] = n[key]["mean"]
            row[name + "_low"], row[name + "_high"] = n[key]["ci95"]
        rows.append(row)
    return rows


def plot_sweep(result: dict, x: str, y: str, edge: Optional[str] = None, ax=None):
    """Plot a sweep: metric `y` (an SLO name, or an edge metric such as
    p99_response_latency on `edge` "from->to", default the first client edge) against the
    varied value `x`, with its 95% band, the SLO's bound as a line and the found value of a
    search marked. Returns the matplotlib Axes."""
    import matplotlib.pyplot as plt
    if ax is None:
        _, ax = plt.subplots()
    pts = sorted(result["points"], key=lambda p: p["values"][x])
    xs = [p["values"][x] for p in pts]
    slo = next((s for s in (pts[0]["slos"] if pts else []) if s["name"] == y), None)
    if slo is not None:
        vals = [next(s for s in p["slos"] if s["name"] == y) for p in pts]
        ys = [v["value"] for v in vals]
        lo = [v["ci95"][0] if v["ci95"] else v["value"] for v in vals]
        hi = [v["ci95"][1] if v["ci95"] else v["value"] for v in vals]
        ax.axhline(slo["bound"], color="red", linestyle="--", label=f"SLO {y} ({slo['direction']})")
        label = f"{y}: {slo['metric']}"
    else:
        def pick(p):
            es = [e for e in p["edges"] if e["side"] == "client" and
                  (edge is None or f"{e['from']}->{e['to']}" == edge)]
            return es[0][y] if es else None
        ys = [pick(p) for p in pts]
        lo = hi = None
        label = y if edge is None else f"{edge} {y}"
    ax.plot(xs, ys, marker="o", label=label)
    if lo is not None:
        ax.fill_between(xs, lo, hi, alpha=0.25, label="95% interval")
    search = result.get("search")
    if search and search.get("best") is not None and search["path"] == x:
        ax.axvline(search["best"], color="green", linestyle=":", label=f"found {x} = {search['best']}")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend()
    return ax
