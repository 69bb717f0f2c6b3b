"""`python3 -m meshproof ...`: the same commands, flags, output and exit codes as the
`meshproof` binary, for environments that install only the Python package. One addition:
`python3 -m meshproof sweep ... --dask ADDRESS` runs the sweep's points on that Dask
cluster (the binary has no Python, so it refuses --dask)."""

import sys

from ._core import main

# sweep flags a worker's `simulate` does not take (with whether they have a value).
_SWEEP_ONLY = {"--vary": True, "--find-min": True, "--find-max": True, "--dask": True,
               "--output": True, "-o": True, "--format": True, "--output-file": True,
               "--fail-on": True, "--color": True, "--quiet": False, "-q": False,
               "--jobs": True}


def _split(argv):
    """(--dask address or None, the worker's simulate argv) for a sweep argv."""
    address, worker, jobs = None, ["simulate"], "1"
    i = 1
    while i < len(argv):
        a = argv[i]
        name, eq, inline = a.partition("=")
        if name in _SWEEP_ONLY:
            value = None
            if _SWEEP_ONLY[name]:
                value = inline if eq else (argv[i + 1] if i + 1 < len(argv) else "")
                i += 0 if eq else 1
            if name == "--dask":
                address = value
            if name == "--jobs":
                jobs = value
        else:
            worker.append(a)
        i += 1
    return address, worker + ["--jobs", jobs]


def _dask_sweep(argv) -> int:
    from . import _dask_evaluator
    from ._core import run
    address, worker = _split(argv)
    if "--output-file" in " ".join(argv):
        print("meshproof: --output-file is not supported with --dask; redirect standard output",
              file=sys.stderr)
        return 2
    from distributed import Client
    args = [a for a in argv]
    k = next(i for i, a in enumerate(args) if a.split("=")[0] == "--dask")
    del args[k:k + (1 if "=" in args[k] else 2)]
    with Client(address) as client:
        code, _doc, output, messages = run(args, evaluate=_dask_evaluator(client, worker, None))
    sys.stdout.write(output)
    for m in messages:
        sys.stderr.write(m if m.endswith("\n") else "meshproof: " + m + "\n")
    return code


def _run() -> int:
    # The C++ side writes to file descriptors 1 and 2: flush what Python buffered first.
    sys.stdout.flush()
    sys.stderr.flush()
    argv = sys.argv[1:]
    if argv and argv[0] == "sweep" and any(a.split("=")[0] == "--dask" for a in argv):
        return _dask_sweep(argv)
    return main(argv)


if __name__ == "__main__":
    sys.exit(_run())
