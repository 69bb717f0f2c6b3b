#!/usr/bin/env bash
# build-deb.sh SOURCE_DIR: builds the meshproof .deb from source (tests and benchmarks off)
# and installs it; an existing build/ (the Action's cache) makes this incremental.
set -euo pipefail
src=${1:?usage: build-deb.sh SOURCE_DIR}
export DEBIAN_FRONTEND=noninteractive
command -v make >/dev/null || { apt-get update -q && apt-get install -y -q make; }
make -C "$src" package \
  CMAKE_FLAGS="-DMESHPROOF_BUILD_TESTS=OFF -DMESHPROOF_BUILD_BENCHMARKS=OFF"
apt-get install -y -q "$(ls "$src"/build/meshproof_*.deb | head -n 1)"
meshproof --version
