#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]
# Runs each libFuzzer target for SECONDS, starting from seeds made by
# make_seeds.py (synth fixtures; needs BUILD_DIR/../build/v6mon or V6MON) and
# a scratch corpus under BUILD_DIR. Fails on the first crash, leak or timeout.
set -euo pipefail
build=$1
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
targets=("$@")
seeds_root="$build/seeds"
V6MON=${V6MON:-$(dirname "$build")/build/v6mon}
if [[ ! -d "$seeds_root" && -x "$V6MON" ]]; then
  python3 "$here/make_seeds.py" "$V6MON" "$seeds_root"
fi
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in "$here"/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/$t"
  [[ -x "$bin" ]] || { echo "fuzz: $bin not built" >&2; exit 1; }
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  seeds=()
  [[ -d "$seeds_root/$t" ]] && seeds=("$seeds_root/$t")
  echo "fuzz: $t for ${secs}s"
  "$bin" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix="$build/" \
    "$work" "${seeds[@]}" 2>"$build/$t.log" || { tail -40 "$build/$t.log"; exit 1; }
  grep -E "^#[0-9]+.*DONE" "$build/$t.log" | tail -1 || true
done
