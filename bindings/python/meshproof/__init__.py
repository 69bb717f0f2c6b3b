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
           "model", "reach", "run", "simulate", "timeline_table", "verify"]


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
                 fail_on: Optional[str] = None, suppress=None, solver_timeout_ms=None) -> list:
    """Every finding of `meshproof verify` as a dict (code, severity, message, resource,
    location, related, witness), sorted by location. Settings resolve as in the CLI:
    these arguments, else the .meshproof.yaml beside the loaded paths (or `config`)."""
    return self.verify_report(profile=profile, config=config, intents=intents, fail_on=fail_on,
                              suppress=suppress, solver_timeout_ms=solver_timeout_ms)["diagnostics"]


def _mesh_verify_report(self: Mesh, profile=None, config=None, intents=None, fail_on=None,
                        suppress=None, solver_timeout_ms=None) -> dict:
    """The whole `meshproof verify -o json` document: envelope, summary, diagnostics, groups."""
    return _mesh_run(self, "verify", profile=profile, config=config, intents=intents,
                     fail_on=fail_on, suppress=suppress, solver_timeout_ms=solver_timeout_ms)


def _mesh_reach(self: Mesh, profile: Optional[str] = None, include_deny: bool = False,
                config=None) -> list:
    """The reachability matrix: one dict per (source identity, destination Service, port)
    with verdict allow|partial|deny, deniedShare and the receiving identities."""
    return _mesh_run(self, "reach", profile=profile, include_deny=include_deny, config=config)["entries"]


def _mesh_query(self: Mesh, source: str, to: Optional[str] = None, to_identity: Optional[str] = None,
                port: Optional[int] = None, method: Optional[str] = None, path: Optional[str] = None,
                headers: Optional[dict] = None, exact_headers: bool = False,
                profile: Optional[str] = None, config=None, solver_timeout_ms=None) -> dict:
    """May `source` (ns/serviceaccount) send this request? Fields left out are open. Returns
    {verdict, deniedShare, witness, ports: [{port, verdict, because, blocked}]}. Raises
    ValueError when a name or port does not exist."""
    return _mesh_run(self, "query", from_=source, to=to, to_identity=to_identity, port=port,
                     method=method, path=path, header=headers or None, exact_headers=exact_headers,
                     profile=profile, config=config, solver_timeout_ms=solver_timeout_ms)


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
         config=None, solver_timeout_ms=None, fail_on_grant: bool = False) -> dict:
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
        fail_on_grant=fail_on_grant)))


def simulate(scenario, seed=None, replications=None, duration=None, jobs: Optional[int] = None,
             profile: Optional[str] = None, max_memory: Optional[str] = None,
             force: bool = False) -> dict:
    """Run a scenario file; the same data as `meshproof simulate -o json`.

    `duration` is in seconds. Same seed, same result, whatever `jobs` is. Raises ValueError
    with the scenario's problems (file:line, what was expected) when it cannot run, and
    when the run does not fit its memory or event budget (`max_memory` such as "4Gi",
    default half of physical memory; `force` runs past the up-front estimate).
    """
    return _document(_run(["simulate", os.fspath(scenario), "-o", "json"] + _flags(
        seed=seed, replications=replications, duration=_seconds(duration), jobs=jobs or None,
        profile=profile or None, max_memory=max_memory, force=force)))


def canary(scenario, seed=None, replications=None, horizon=None, jobs: Optional[int] = None,
           profile: Optional[str] = None, max_memory: Optional[str] = None,
           force: bool = False) -> dict:
    """Predict a Flagger canary rollout; the same data as `meshproof canary -o json`.

    Returns the outcome probabilities (promoted / rolledBack / progressing, each with a 95%
    interval), time to decision, failed user and load-test requests, and a typical run's
    timeline. `horizon` (seconds) overrides the scenario's time limit.
    """
    return _document(_run(["canary", os.fspath(scenario), "-o", "json"] + _flags(
        seed=seed, replications=replications, duration=_seconds(horizon), jobs=jobs or None,
        profile=profile or None, max_memory=max_memory, force=force)))


def _quantity(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


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
                "timestamp": it["timestamp"],
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
