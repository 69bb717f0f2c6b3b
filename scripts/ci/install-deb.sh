#!/usr/bin/env bash
# install-deb.sh URL: installs a meshproof .deb on Debian 12 (the GitHub Action's path
# when a release .deb is given). Needs root, as in a debian:12 container job.
set -euo pipefail
url=${1:?usage: install-deb.sh URL}
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends ca-certificates curl
curl -fsSL --retry 3 -o /tmp/meshproof.deb "$url"
apt-get install -y -q /tmp/meshproof.deb
meshproof --version
