#!/usr/bin/env bash
# Configures and builds opgraph in build/ (Release). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# OPGRAPH_WERROR=ON (as .ci/run sets it) turns compiler warnings into errors.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  -DOPGRAPH_WERROR="${OPGRAPH_WERROR:-OFF}" "$@" >/dev/null
cmake --build build -j"$(nproc)"
