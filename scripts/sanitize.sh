#!/usr/bin/env bash
# Builds opgraph and its tests with sanitizers and runs them. Fails on any
# sanitizer report or test failure.
#
# Usage: scripts/sanitize.sh [asan|tsan|all]   (default: all)
#   asan  the whole project and test suite with AddressSanitizer and
#         UndefinedBehaviorSanitizer (-fno-sanitize-recover=all), in
#         build-asan/, then ctest there
#   tsan  ThreadSanitizer build of the concurrency test only, in build-tsan/
# Environment:
#   OPGRAPH_ASAN_BUILD_DIR, OPGRAPH_TSAN_BUILD_DIR   build directories
#   OPGRAPH_SANITIZE_JOBS     parallel jobs (default: number of CPUs)
#   OPGRAPH_SANITIZE_CXX      compiler (default g++; clang++ works too)
#   OPGRAPH_SANITIZE_EXCLUDE  extra ctest -E regex of tests to skip under
#                             ASan (say why in the commit that sets it)
#
# The Debian libraries (protobuf, abseil, glog, gtest) are not instrumented.
# ASan and UBSan do not need them to be; ThreadSanitizer would miss the
# synchronization inside them, which is why the TSan run is limited to the
# concurrency test, whose shared state is guarded by opgraph's own code.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
case "$mode" in
  asan|tsan|all) ;;
  *) echo "sanitize.sh: unknown mode '$mode' (asan, tsan or all)" >&2; exit 2 ;;
esac

scripts/install_deps.sh --fuzz

jobs=${OPGRAPH_SANITIZE_JOBS:-$(nproc)}
cxx=${OPGRAPH_SANITIZE_CXX:-g++}
case "$cxx" in
  clang++*) cc=${cxx/clang++/clang} ;;
  *) cc=${cxx/g++/gcc} ;;
esac
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

# configure <dir> <flags>: the flags go to every compile and every link
# (executables, the shared library and plugin modules alike). The Python
# module is left out: python3 itself does not load the sanitizer runtime
# first, so its tests run in the normal build only.
configure() {
  local dir=$1 flags=$2
  # -O1 without NDEBUG: fast enough, and DCHECKs stay on.
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
    -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" "${launcher[@]}" \
    -DOPGRAPH_BUILD_BENCHMARKS=OFF \
    -DOPGRAPH_BUILD_PYTHON=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DCMAKE_SHARED_LINKER_FLAGS="$flags" \
    -DCMAKE_MODULE_LINKER_FLAGS="$flags" >/dev/null
}

run_asan() {
  local dir=${OPGRAPH_ASAN_BUILD_DIR:-build-asan}
  echo "== ASan + UBSan: building in $dir"
  configure "$dir" "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  cmake --build "$dir" -j"$jobs"
  # Tests that cannot run under ASan. None today: plugins are dlopen'ed
  # without RTLD_DEEPBIND and never unloaded, so ASan handles them.
  local exclude=${OPGRAPH_SANITIZE_EXCLUDE:-}
  local args=(--test-dir "$dir" --output-on-failure -j"$jobs")
  if [ -n "$exclude" ]; then args+=(-E "$exclude"); fi
  echo "== ASan + UBSan: ctest"
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    ctest "${args[@]}"
}

run_tsan() {
  local dir=${OPGRAPH_TSAN_BUILD_DIR:-build-tsan}
  echo "== TSan: building the concurrency test in $dir"
  configure "$dir" "-fsanitize=thread -fno-omit-frame-pointer"
  cmake --build "$dir" -j"$jobs" --target core_concurrency_test
  echo "== TSan: core_concurrency_test"
  # RegistrationsDuringNetCreation writes the registry while other threads
  # read it, synchronized by absl::Mutex. Debian's abseil is not built with
  # TSan, so TSan cannot see that lock and reports a race that is not there
  # (Apply and Types, both under the lock). That test runs under ASan and in
  # the normal suite; here it is left out.
  TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
    "$dir/tests/core_concurrency_test" \
    --gtest_filter=-ConcurrencyTest.RegistrationsDuringNetCreation
}

if [ "$mode" = asan ] || [ "$mode" = all ]; then run_asan; fi
if [ "$mode" = tsan ] || [ "$mode" = all ]; then run_tsan; fi
echo "sanitize.sh: clean"
