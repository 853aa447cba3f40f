#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache (when installed) then hits across checkouts in different directories.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
scripts/install_deps.sh --graphviz  # Graphviz lets the `opgraph dot` rendering test run.
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
