#!/usr/bin/env bash
# Installs the Debian packages opgraph needs, skipping those already present.
# Usage: scripts/install_deps.sh [--fuzz] [--torch] [--graphviz] [--dask] [--bench-gemm]
#   --fuzz      clang and its runtimes, for libFuzzer targets and sanitizers
#   --torch     python3-torch and python3-numpy, for bench/compare_torch and the
#               ONNX export test (tests/onnx/)
#   --graphviz  Graphviz, to render `opgraph dot` output
#   --dask      Dask's distributed scheduler, pandas (dask DataFrames), scikit-learn
#               (its digits data set) and matplotlib, for opgraph.dask, examples/dask_scoring,
#               examples/digits and their tests
#   --bench-gemm  oneDNN (and the OpenCL packages its CMake config needs), for
#               bench/gemm_bench, which compares it with OpenBLAS
set -euo pipefail

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
    *) echo "install_deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
