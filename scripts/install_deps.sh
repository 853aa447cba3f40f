#!/usr/bin/env bash
# Installs the Debian packages opgraph needs, skipping those already present.
# Usage: scripts/install_deps.sh [--fuzz] [--torch] [--graphviz] [--dask] [--bench-gemm] [--ort]
#   --fuzz      clang and its runtimes, for libFuzzer targets and sanitizers
#   --torch     python3-torch and python3-numpy, for bench/compare_torch and the
#               ONNX export test (tests/onnx/)
#   --graphviz  Graphviz, to render `opgraph dot` output
#   --dask      Dask's distributed scheduler, pandas (dask DataFrames), scikit-learn
#               (its digits data set) and matplotlib, for opgraph.dask, examples/dask_scoring,
#               examples/digits and their tests
#   --bench-gemm  oneDNN (and the OpenCL packages its CMake config needs), for
#               bench/gemm_bench, which compares it with OpenBLAS
#   --ort       ONNX Runtime for bench/compare_torch_mlp.py: Node.js (Debian's nodejs
#               and npm unless a `node` is already on PATH) and the npm package
#               onnxruntime-node (its prebuilt CPU library ships in the package; no
#               install scripts run) in $OPGRAPH_ORT_DIR (default /usr/local/lib/opgraph-ort).
#               Benchmarks only: nothing opgraph builds or tests links it.
set -euo pipefail
ort=0
ORT_VERSION=1.30.0

packages=(g++ cmake ninja-build pkg-config libprotobuf-dev protobuf-compiler libabsl-dev
          libgoogle-glog-dev libgtest-dev libgmock-dev libbenchmark-dev libhwy-dev
          libopenblas-openmp-dev libcli11-dev nlohmann-json3-dev
          # ONNX models (onnx_import/): the generated onnx-ml.pb.h and libonnx_proto;
          # python3-onnx writes test models and the ONNX backend node tests.
          libonnx-dev python3-onnx
          # The Python API (python/) and its tests, for Debian's python3.
          pybind11-dev python3-dev python3-numpy python3-protobuf python3-pytest)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-14-dev llvm libomp-dev) ;;
    --torch) packages+=(python3-torch python3-numpy) ;;
    --graphviz) packages+=(graphviz) ;;
    --dask) packages+=(python3-distributed python3-pandas python3-sklearn python3-matplotlib) ;;
    --bench-gemm) packages+=(libdnnl-dev ocl-icd-opencl-dev opencl-c-headers) ;;
    --ort)
      ort=1
      if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        packages+=(nodejs npm)
      fi
      ;;
    *) echo "install_deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ "$ort" = 1 ]; then
  ort_dir="${OPGRAPH_ORT_DIR:-/usr/local/lib/opgraph-ort}"
  if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ] ||
     ! grep -q "\"version\": \"$ORT_VERSION\"" "$ort_dir/node_modules/onnxruntime-node/package.json"; then
    echo "Installing onnxruntime-node $ORT_VERSION into $ort_dir"
    mkdir -p "$ort_dir"
    npm install --prefix "$ort_dir" --ignore-scripts --no-audit --no-fund \
      "onnxruntime-node@$ORT_VERSION" >/dev/null
  fi
fi
