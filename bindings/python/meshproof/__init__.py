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

__all__ = ["LoadError", "Mesh", "__version__", "diff", "load", "load_string"]


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
