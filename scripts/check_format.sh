#!/usr/bin/env bash
# Checks that every C++ file of the tree follows .clang-format; lists the
# files that do not. Fix with: clang-format -i FILE...
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null 2>&1 || {
  apt-get install -y -qq clang-format >/dev/null 2>&1 || true
}
if ! command -v clang-format >/dev/null 2>&1; then
  echo "check_format.sh: clang-format is not installed" >&2
  exit 1
fi
bad=()
while IFS= read -r f; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files '*.cc' '*.h')
if [ ${#bad[@]} -gt 0 ]; then
  echo "check_format.sh: ${#bad[@]} file(s) do not follow .clang-format:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "check_format.sh: every C++ file follows .clang-format"
