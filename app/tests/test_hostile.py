"""Hostile input (issue 14): every finding of the adversarial run, as a regression test.

Each test feeds what a pull request or a scenario might hold and asserts the answer is a
located diagnostic or a clear exit 2: no crash, no hang, no silent drop, nothing destroyed.
"""

import json
import os
import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOKSTORE = ROOT / "scenarios" / "bookstore" / "mesh"


def run(bin_, *args, cwd=None, timeout=120, input=None):
    r = subprocess.run([bin_, *args], capture_output=True, cwd=cwd, timeout=timeout, input=input)
    assert r.returncode in (0, 1, 2, 3), (r.returncode, r.stderr[-2000:])  # no signal, no abort
    assert b"internal error" not in r.stderr and b"terminate called" not in r.stderr, r.stderr
    return r


def mesh_copy(tmp_path, name="mesh"):
    dst = tmp_path / name
    shutil.copytree(BOOKSTORE, dst)
    return dst


def replace_in(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_deeply_nested_regex_is_mp2001_naming_the_limit(meshproof_bin, tmp_path):
    mesh = mesh_copy(tmp_path)
    replace_in(mesh / "40-routes.yaml", "pathRegex: /books-bought", 'pathRegex: "' + "(" * 20000 + '"')
    for args in (["verify", "-o", "json"], ["reach", "-o", "json"]):
        r = run(meshproof_bin, *args, str(mesh))
        assert r.returncode in (0, 1)
    r = run(meshproof_bin, "verify", "-o", "json", str(mesh))
    found = [d for d in json.loads(r.stdout)["diagnostics"] if d["code"] == "MP2001"]
    assert found and "groups nested deeper than 1000" in found[0]["message"]
    assert len(found[0]["message"]) < 600  # the 20,000-character pattern is abbreviated
    base = mesh_copy(tmp_path, "base")
    r = run(meshproof_bin, "diff", str(base), str(mesh), "-o", "json")
    assert r.returncode in (0, 1)


def test_non_utf8_file_names_are_escaped_the_same_in_every_format(meshproof_bin, tmp_path):
    mesh = mesh_copy(tmp_path)
    bad = os.fsencode(str(mesh)) + b"/sp\xff\x01lit.yaml"
    os.rename(mesh / "60-split.yaml", bad)
    with open(bad, "ab") as f:
        f.write(b"---\napiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\n"
                b"metadata: {name: x, namespace: bookstore}\nspec: {}\n")
    shown = "sp\\xff\\x01lit.yaml"
    r = run(meshproof_bin, "verify", "-o", "json", str(mesh))
    files = {d["location"]["file"] for d in json.loads(r.stdout)["diagnostics"]}
    assert any(f.endswith("sp\\xff\x01lit.yaml") for f in files), files
    r = run(meshproof_bin, "verify", "-o", "sarif", str(mesh))
    uris = json.dumps(json.loads(r.stdout))
    assert "sp%FF%01lit.yaml" in uris
    r = run(meshproof_bin, "verify", "-o", "junit", str(mesh))
    assert shown.encode() in r.stdout
    r = run(meshproof_bin, "verify", str(mesh))
    assert shown.encode() in r.stdout and b"\x01" not in r.stdout and b"\xff" not in r.stdout
    r = run(meshproof_bin, "model", str(mesh))
    assert r.returncode == 0 and json.loads(r.stdout)


def test_control_characters_never_reach_the_terminal(meshproof_bin, tmp_path):
    mesh = mesh_copy(tmp_path)
    evil = os.fsencode(str(mesh)) + b"/\x1b]0;pwned\x07.yaml"
    with open(evil, "wb") as f:
        f.write(b"apiVersion: access.smi-spec.io/v1alpha3\nkind: TrafficTarget\n"
                b"metadata: {name: x, namespace: bookstore}\nspec: {}\n")
    for fmt in ("text", "json"):
        r = run(meshproof_bin, "verify", "-o", fmt, "--color", "always", str(mesh))
        assert b"\x1b]" not in r.stdout and b"\x07" not in r.stdout and b"\x1b]" not in r.stderr
    r = run(meshproof_bin, "verify", "--color", "always", str(mesh))
    assert b"\\x1b]0;pwned\\x07.yaml" in r.stdout
    assert b"\x1b[" in r.stdout  # our own colours still pass
