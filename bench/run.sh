#!/usr/bin/env bash
# bench/run.sh - packets per second of `v6mon traffic` next to the anchor
# tools, on the same synth capture, in the same run, pinned to one core.
#
#   bench/run.sh [PACKETS]        default 10000000 (10 M)
#
# Env: BENCH_DIR (default bench/results), BENCH_SNAPLEN (default 0 = whole
# frames, ~830 bytes on average, 8.3 GB for 10 M; 256 keeps every header and
# the wire lengths, 2.1 GB), TSHARK_PACKETS (tshark is ~50x
# slower and holds every frame in memory: by default it reads the first 1 M
# frames of the same file with -c; set TSHARK_PACKETS=0 for the whole file).
#
# Prints a table (tool, frames, seconds, frames/s, v6mon's speed as a
# multiple of the tool's, peak RSS) and writes it to BENCH_DIR/results.md.
# Also reports v6mon's peak RSS at 1 M and at the full size, to show memory
# stays flat as the capture grows. Not part of the test suite: timing
# depends on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
DIR=${BENCH_DIR:-bench/results}
TSHARK_PACKETS=${TSHARK_PACKETS:-1000000}
SNAP=${BENCH_SNAPLEN:-0}
SNAPARG=()
SUFFIX=""
if [[ $SNAP -gt 0 ]]; then SNAPARG=(--snaplen "$SNAP"); SUFFIX="-snap$SNAP"; fi
mkdir -p "$DIR"
scripts/deps.sh --bench
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target v6mon-cli >/dev/null
V6MON=$PWD/build/v6mon
CAP="$DIR/synth-$N$SUFFIX.pcap"
SMALL="$DIR/synth-1000000$SUFFIX.pcap"
[[ -s "$CAP" ]] || { echo "writing $CAP" >&2; "$V6MON" synth --seed 42 --packets "$N" --duration 3600 "${SNAPARG[@]}" --quiet -o "$CAP"; }
[[ -s "$SMALL" ]] || "$V6MON" synth --seed 42 --packets 1000000 --duration 3600 "${SNAPARG[@]}" --quiet -o "$SMALL"
cat "$CAP" >/dev/null # warm the page cache

ONE="taskset -c 0"
declare -A SECS RSS FRAMES
measure() { # name frames command...
  local name=$1 frames=$2; shift 2
  local log="$DIR/$name.time"
  local out="$DIR/$name.out"
  [[ $name == cat ]] && out=/dev/null # the ceiling reads, it does not copy
  cat "$CAP" "$SMALL" >/dev/null      # both inputs in the page cache
  /usr/bin/time -f "%e %M" -o "$log" "$@" >"$out" 2>"$DIR/$name.err" || true
  read -r s kb <"$log" || { s=0; kb=0; }
  SECS[$name]=$s RSS[$name]=$kb FRAMES[$name]=$frames
  echo "  $name: ${s}s, peak RSS ${kb} kB" >&2
}

echo "measuring on $(nproc) cores, pinned to core 0" >&2
measure cat "$N" $ONE cat "$CAP"
measure v6mon "$N" $ONE "$V6MON" traffic --no-progress --format json "$CAP"
measure v6mon-1M 1000000 $ONE "$V6MON" traffic --no-progress --format json "$SMALL"
measure tcpdump "$N" $ONE tcpdump -r "$CAP" -w /dev/null
measure softflowd "$N" $ONE timeout 600 softflowd -d -r "$CAP" -n 127.0.0.1:9995 -v 9
if [[ $TSHARK_PACKETS -eq 0 ]]; then
  measure tshark "$N" $ONE tshark -n -r "$CAP" -q -z io,stat,0,ip,ipv6
else
  measure tshark "$TSHARK_PACKETS" $ONE tshark -n -r "$CAP" -c "$TSHARK_PACKETS" -q -z io,stat,0,ip,ipv6
fi

v6rate=$(awk -v n="$N" -v s="${SECS[v6mon]}" 'BEGIN{ if (s>0) printf "%.0f", n/s; else print 0 }')
{
  echo "# v6mon traffic benchmark"
  echo
  echo "capture: $CAP ($N frames, $(stat -c %s "$CAP") bytes), $(date -u +%FT%TZ), $(nproc) cores, pinned to one"
  echo
  echo "| tool | frames | seconds | frames/s | v6mon / tool | peak RSS |"
  echo "|---|---:|---:|---:|---:|---:|"
  for t in cat v6mon v6mon-1M tcpdump softflowd tshark; do
    awk -v t="$t" -v n="${FRAMES[$t]}" -v s="${SECS[$t]}" -v kb="${RSS[$t]}" -v v6="$v6rate" 'BEGIN{
      r = (s > 0) ? n / s : 0;
      ratio = (r > 0) ? sprintf("%.2fx", v6 / r) : "-";
      printf "| %s | %d | %.2f | %.0f | %s | %.1f MB |\n", t, n, s, r, ratio, kb / 1024 }'
  done
  echo
  echo "cat is the ceiling (reading the file). v6mon does full decoding, segments, flows and buckets."
  echo "v6mon's numbers against the synth truth of this capture: $(python3 tests/cli/compare_truth.py "$DIR/v6mon.out" "$CAP.truth.json" | tail -1)"
} | tee "$DIR/results$SUFFIX.md"
