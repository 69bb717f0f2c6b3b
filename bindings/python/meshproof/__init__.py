"""meshproof: prove and simulate SMI (Service Mesh Interface) policy before it reaches a cluster.

    >>> import meshproof
    >>> mesh = meshproof.load(["scenarios/bookstore"])
    >>> findings = mesh.verify()          # list of dicts, one per diagnostic
    >>> import pandas as pd; pd.DataFrame(findings)[["code", "severity", "message"]]
"""

from __future__ import annotations

from typing import Iterable, Union

from ._core import LoadError, Mesh, __version__, load_string
from ._core import diff as _diff
from ._core import load as _load
from ._core import canary as _canary
from ._core import simulate as _simulate

__all__ = ["LoadError", "Mesh", "__version__", "canary", "diff", "load", "load_string", "metrics_table",
           "simulate", "timeline_table"]


def load(paths: Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]],
         namespace: str = "default", strict: bool = True) -> Mesh:
    """Load manifests from a path or a list of paths (files, folders, or "-" for stdin).

    Objects without metadata.namespace land in `namespace`. A path that cannot be read
    raises LoadError (an OSError) unless strict=False; bad manifests never raise, they
    become findings in Mesh.verify().
    """
    import os

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return _load([os.fspath(p) for p in paths], namespace=namespace, strict=strict)


def diff(base, new, profile: str = "spec", namespace: str = "default") -> dict:
    """What changes from `base` to `new` (each a path or a list of paths).

    Returns the same data as `meshproof diff --format json`: the overall verdict
    (equal, more-permissive, less-permissive, incomparable), every (source, destination,
    port) whose allowed requests changed with a witness request evaluated on both
    versions, TrafficSplit share changes, and findings that appeared or were fixed.
    """
    import os

    def paths(p):
        return [os.fspath(p)] if isinstance(p, (str, os.PathLike)) else [os.fspath(x) for x in p]

    return _diff(paths(base), paths(new), profile=profile, namespace=namespace)


def simulate(scenario, seed=None, replications=None, duration=None, jobs: int = 0,
             profile: str = "") -> dict:
    """Run a scenario file; the same data as `meshproof simulate --format json`.

    `duration` is in seconds. Same seed, same result, whatever `jobs` is. Raises ValueError
    with the scenario's problems (file:line, what was expected) when it cannot run.
    """
    import os

    return _simulate(os.fspath(scenario), seed=seed, replications=replications, duration=duration,
                     jobs=jobs, profile=profile)


def _quantity(text: str) -> float:
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


def metrics_table(result: dict, windows: bool = False) -> list:
    """Flatten simulate() output into rows for pandas: one row per TrafficMetrics item with
    resource, peer, side, backend, window end, and each metric as a float (latencies in ms;
    `<name>_low`/`<name>_high` when there are confidence intervals).

        >>> pd.DataFrame(meshproof.metrics_table(meshproof.simulate("scenarios/payments/scenario.yaml")))
    """
    items = result["windows" if windows else "metrics"]["items"]
    rows = []
    for it in items:
        row = {
            "resource": f"{it['resource']['kind']} {it['resource']['namespace']}/{it['resource']['name']}",
            "peer": f"{it['edge']['resource']['kind']} {it['edge']['resource']['namespace']}/"
                    f"{it['edge']['resource']['name']}",
            "side": it["edge"].get("side", ""),
            "backend": it.get("backend", {}).get("name", ""),
            "timestamp": it["timestamp"],
        }
        for m in it["metrics"]:
            row[m["name"]] = _quantity(m["value"])
            if "ci95" in m:
                row[m["name"] + "_low"] = _quantity(m["ci95"]["low"])
                row[m["name"] + "_high"] = _quantity(m["ci95"]["high"])
        rows.append(row)
    return rows


def canary(scenario, seed=None, replications=None, horizon=None, jobs: int = 0, profile: str = "") -> dict:
    """Predict a Flagger canary rollout; the same data as `meshproof canary --format json`.

    Returns the outcome probabilities (promoted / rolledBack / progressing, each with a 95%
    interval), time to decision, failed user and load-test requests, and a typical run's
    timeline. `horizon` (seconds) overrides the scenario's time limit.
    """
    import os

    return _canary(os.fspath(scenario), seed=seed, replications=replications, horizon=horizon, jobs=jobs,
                   profile=profile)


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
