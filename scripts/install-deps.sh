#!/usr/bin/env bash
# Installs every build, test and run-time dependency of meshproof from Debian 12's archive.
# Idempotent: packages already present are skipped, so `make demo`/`make test` may call it
# every time at the cost of one dpkg query. No other registry is contacted.
set -euo pipefail

PACKAGES=(
  g++ make cmake pkg-config ninja-build
  libyaml-cpp-dev libboost-graph-dev nlohmann-json3-dev
  libz3-dev libre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  pybind11-dev python3-dev python3-pytest
  python3-numpy python3-pandas python3-jsonschema python3-lxml time
  python3-distributed python3-nbclient python3-nbformat python3-ipykernel python3-matplotlib
  clang-format clang-tidy dpkg-dev pre-commit python3-yaml git
  # make fuzz: clang with libFuzzer and the sanitizer runtimes (not pulled in by
  # --no-install-recommends, so named here)
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "meshproof: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "meshproof: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
