#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Runs each libFuzzer target for SECONDS, starting from its seed corpus
# tests/fuzz/corpus-seed/<target>/ (if any) and a scratch corpus under
# BUILD_DIR. Fails on the first crash, leak or timeout.
set -euo pipefail
build=$1
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$here"/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  [[ -x "$bin" ]] || { echo "fuzz: $bin not built" >&2; exit 1; }
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  seeds=()
  [[ -d "$here/corpus-seed/$t" ]] && seeds=("$here/corpus-seed/$t")
  echo "fuzz: $t for ${secs}s"
  "$bin" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix="$build/" \
    "$work" "${seeds[@]}" 2>"$build/$t.log" || { tail -40 "$build/$t.log"; exit 1; }
  grep -E "^#[0-9]+.*DONE" "$build/$t.log" | tail -1 || true
done
