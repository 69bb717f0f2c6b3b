"""Install and ship: `cmake --install` into a temporary prefix, and the Debian package
`make package` builds (file list, Depends, and the extracted files run)."""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("MESHPROOF_BUILD_DIR", ROOT / "build"))
BOOKSTORE = ROOT / "scenarios" / "bookstore" / "mesh"
PYDIR = f"python{sys.version_info.major}.{sys.version_info.minor}"


def sh(*args, env=None, cwd=None):
    r = subprocess.run(list(map(str, args)), capture_output=True, text=True, env=env, cwd=cwd,
                       timeout=600)
    assert r.returncode in (0, 1), (args, r.stdout[-2000:], r.stderr[-2000:])
    return r


def clean_env(pythonpath):
    # Nothing from the build tree: only the installed files.
    return {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(pythonpath), "HOME": "/tmp"}


def check_installed(bin_, pythonpath):
    r = sh(bin_, "verify", BOOKSTORE)
    assert "meshproof verify:" in r.stdout
    env = clean_env(pythonpath)
    code = "import meshproof; d = meshproof.verify(%r); print(meshproof.__file__, d['summary']['objects'])"
    r = sh("/usr/bin/python3", "-c", code % str(BOOKSTORE), env=env, cwd="/tmp")
    assert str(pythonpath) in r.stdout and r.stdout.split()[-1] == "19"
    r = sh("/usr/bin/python3", "-m", "meshproof", "--version", env=env, cwd="/tmp")
    assert r.stdout.startswith("meshproof ")


def test_cmake_install_into_a_temporary_prefix(tmp_path):
    prefix = tmp_path / "prefix"
    sh("cmake", "--install", BUILD, "--prefix", prefix)
    for f in ["bin/meshproof", "share/man/man1/meshproof.1.gz",
              "share/bash-completion/completions/meshproof",
              "share/zsh/vendor-completions/_meshproof",
              "share/fish/vendor_completions.d/meshproof.fish",
              f"lib/{PYDIR}/dist-packages/meshproof/__init__.pyi",
              f"lib/{PYDIR}/dist-packages/meshproof/py.typed"]:
        assert (prefix / f).is_file(), f
    check_installed(prefix / "bin" / "meshproof", prefix / "lib" / PYDIR / "dist-packages")
    # The man page comes from the flag tables: every command and flag is in it.
    man = sh("sh", "-c", f"gzip -dc {prefix}/share/man/man1/meshproof.1.gz").stdout
    assert ".TH MESHPROOF 1" in man and "fail\\-on\\-grant" in man and "meshproof simulate" in man


@pytest.mark.skipif(not pathlib.Path("/usr/bin/dpkg-deb").exists(), reason="no dpkg-deb")
def test_debian_package(tmp_path):
    sh("cpack", "-G", "DEB", "--config", BUILD / "CPackConfig.cmake", "-B", tmp_path, cwd=BUILD)
    (deb,) = tmp_path.glob("meshproof_*_*.deb")
    fields = sh("dpkg-deb", "-f", deb, "Package", "Version", "Architecture", "Depends").stdout
    depends = [d.strip() for d in fields.split("Depends:")[1].strip().split(",")]
    names = {d.split()[0] for d in depends}
    assert {"libz3-4", "libyaml-cpp0.7", "libre2-9", "python3"} <= names, depends
    assert f"python3 (>= {sys.version_info.major}.{sys.version_info.minor})" in depends
    assert f"python3 (<< {sys.version_info.major}.{sys.version_info.minor + 1})" in depends
    assert not [n for n in names if n.endswith("-dev") or n in {"gcc", "g++", "cmake", "make"}]
    files = {line.split()[-1] for line in sh("dpkg-deb", "-c", deb).stdout.splitlines()}
    for f in ["./usr/bin/meshproof", "./usr/share/man/man1/meshproof.1.gz",
              "./usr/lib/python3/dist-packages/meshproof/__init__.py",
              "./usr/lib/python3/dist-packages/meshproof/__main__.py",
              "./usr/share/bash-completion/completions/meshproof"]:
        assert f in files, f
    assert any(f.startswith("./usr/lib/python3/dist-packages/meshproof/_core") for f in files)
    assert all(f.startswith("./usr/") for f in files if not f.endswith("/"))
    root = tmp_path / "root"
    sh("dpkg-deb", "-x", deb, root)
    check_installed(root / "usr" / "bin" / "meshproof", root / "usr" / "lib" / "python3" / "dist-packages")
