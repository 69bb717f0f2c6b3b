"""`python3 -m meshproof ...`: the same commands, flags, output and exit codes as the
`meshproof` binary, for environments that install only the Python package."""

import sys

from ._core import main


def _run() -> int:
    # The C++ side writes to file descriptors 1 and 2: flush what Python buffered first.
    sys.stdout.flush()
    sys.stderr.flush()
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(_run())
