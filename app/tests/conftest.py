import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MESHPROOF_BUILD_DIR", ROOT / "build"))
sys.path.insert(0, str(BUILD / "python"))


@pytest.fixture
def meshproof_bin():
    path = BUILD / "bin" / "meshproof"
    assert path.exists(), f"build the project first: {path} is missing"
    return str(path)
