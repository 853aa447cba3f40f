#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (ASan + UBSan) and
# runs each for a bounded time. Fails when a target finds anything: a crash,
# a sanitizer report, a broken invariant, a timeout or an out-of-memory.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 45)
#   TARGET   net_parse, net_run, npy, tensor_proto (default: all)
# Environment:
#   OPGRAPH_FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   OPGRAPH_FUZZ_JOBS       parallel build jobs (default: number of CPUs)
#
# Each target first replays its saved findings (tests/fuzz/regressions/),
# then fuzzes starting from the committed seeds (tests/fuzz/corpus/) and the
# corpus grown by earlier runs (<build>/corpus/<target>/, kept between runs).
# A finding is written to <build>/findings/<target>/; reproduce it with
#   <build>/<target>_fuzzer <file>
# To fuzz longer, give more seconds (scripts/fuzz.sh 3600 net_run) or run a
# fuzzer by hand, e.g. with -jobs=N -workers=N; see docs/SECURITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-45}
if [ $# -gt 0 ]; then shift; fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "fuzz.sh: SECONDS must be a number, got '$seconds'" >&2
  exit 2
fi

scripts/install_deps.sh --fuzz

build=${OPGRAPH_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${OPGRAPH_FUZZ_JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  "${launcher[@]}" >/dev/null
cmake --build "$build" -j"$jobs"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/*_fuzzer.cc; do
    t=$(basename "$f" _fuzzer.cc)
    targets+=("$t")
  done
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
printf '%-14s %8s %12s %8s %s\n' target seconds executions corpus result
for t in "${targets[@]}"; do
  fuzzer="$build/${t}_fuzzer"
  if [ ! -x "$fuzzer" ]; then
    echo "fuzz.sh: no fuzz target named '$t'" >&2
    exit 2
  fi
  work="$build/corpus/$t"
  findings="$build/findings/$t"
  log="$build/$t.log"
  mkdir -p "$work" "$findings"

  regressions=(tests/fuzz/regressions/"$t"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$fuzzer" "${regressions[@]}" >"$build/$t.regressions.log" 2>&1; then
      echo "fuzz.sh: $t: a saved regression fails again; see $build/$t.regressions.log" >&2
      tail -n 40 "$build/$t.regressions.log" >&2
      failed=1
      continue
    fi
  fi

  start=$(date +%s)
  rc=0
  "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
    -max_len=16384 -print_final_stats=1 -artifact_prefix="$findings/" \
    "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  corpus=$(find "$work" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    result=ok
  else
    result="FINDING (exit $rc)"
    failed=1
  fi
  printf '%-14s %8s %12s %8s %s\n' "$t" "$elapsed" "${execs:-?}" "$corpus" "$result"
  if [ "$rc" -ne 0 ]; then
    grep -E "ERROR|SUMMARY|invariant|Test unit written|Check failed" "$log" | head -n 20 >&2 || true
    echo "fuzz.sh: full log: $log; inputs: $findings/" >&2
  fi
done
exit "$failed"
