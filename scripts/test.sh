#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache (when installed) then hits across checkouts in different directories.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# Graphviz lets the `opgraph dot` rendering test run; Dask, pandas, scikit-learn
# and matplotlib the opgraph.dask, examples/dask_scoring and examples/digits
# tests; PyTorch the ONNX export test (tests/onnx/).
scripts/install_deps.sh --graphviz --dask --torch
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
