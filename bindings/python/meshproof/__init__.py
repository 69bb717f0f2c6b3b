"""meshproof: prove and simulate SMI (Service Mesh Interface) policy before it reaches a cluster.

    >>> import meshproof
    >>> mesh = meshproof.load(["scenarios/bookstore"])
    >>> findings = mesh.verify()          # list of dicts, one per diagnostic
    >>> import pandas as pd; pd.DataFrame(findings)[["code", "severity", "message"]]
"""

from __future__ import annotations

from typing import Iterable, Union

from ._core import LoadError, Mesh, __version__, load_string
from ._core import load as _load

__all__ = ["LoadError", "Mesh", "__version__", "load", "load_string"]


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
