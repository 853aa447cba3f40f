#!/usr/bin/env bash
# Installs what is missing, builds, and runs the bundled example graph:
# Selu followed by Softmax on an input held by the init net.
set -euo pipefail
cd "$(dirname "$0")/.."
# ccache (when installed) then hits across checkouts in different directories.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
scripts/install_deps.sh
scripts/build.sh
build/tools/opgraph run examples/selu_softmax/predict_net.pbtxt \
  --init examples/selu_softmax/init_net.pbtxt
