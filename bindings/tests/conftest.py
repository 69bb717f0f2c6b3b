import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MESHPROOF_BUILD_DIR", ROOT / "build"))
sys.path.insert(0, str(BUILD / "python"))
# Dask workers (spawned processes) import meshproof too: they see the same build.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(BUILD / "python")] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
