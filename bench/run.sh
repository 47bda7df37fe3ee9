#!/usr/bin/env bash
# bench/run.sh - frames per second of `v6mon traffic` next to the anchor
# tools, on the same synth capture, in the same run, pinned to one core.
#
#   bench/run.sh [PACKETS]        default 10000000 (10 M)
#
# Env: BENCH_DIR (default bench/results: captures, outputs, results.md),
# BENCH_SNAPLEN (default 0 = whole frames, ~830 bytes on average, 8.5 GB
# for 10 M; 256 keeps every header and the wire lengths, 2.1 GB),
# BENCH_REPEAT (default 3: every tool runs that many times, the run with
# the least CPU time counts), BUILD_DIR (default build: where v6mon is
# built), TSHARK_PACKETS (tshark is ~50x slower and holds every frame in
# memory: by default it reads the first 1 M frames of the same file with
# -c; set TSHARK_PACKETS=0 for the whole file).
#
# Speed is frames per CPU second (user + sys, from /usr/bin/time), not per
# wall second: on a shared machine wall time mostly measures the
# neighbours. Wall seconds are printed too. Each tool is run on a warm page
# cache (the inputs are read with cat just before).
#
# Prints a table (tool, frames, CPU seconds, wall seconds, frames/s,
# v6mon's speed as a multiple of the tool's, peak RSS, all of the best run;
# and the median CPU seconds of the runs) and writes it to
# BENCH_DIR/results[-snapN].md. Also reports v6mon's peak RSS at 1 M and at
# the full size, to show memory stays flat as the capture grows. Not part
# of the test suite: timing depends on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
DIR=${BENCH_DIR:-bench/results}
TSHARK_PACKETS=${TSHARK_PACKETS:-1000000}
SNAP=${BENCH_SNAPLEN:-0}
REPEAT=${BENCH_REPEAT:-3}
BUILD=${BUILD_DIR:-build}
SNAPARG=()
SUFFIX=""
if [[ $SNAP -gt 0 ]]; then SNAPARG=(--snaplen "$SNAP"); SUFFIX="-snap$SNAP"; fi
mkdir -p "$DIR"
scripts/deps.sh --bench
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target v6mon-cli >/dev/null
V6MON=$(cd "$BUILD" && pwd)/v6mon
CAP="$DIR/synth-$N$SUFFIX.pcap"
SMALL="$DIR/synth-1000000$SUFFIX.pcap"
[[ -s "$CAP" ]] || { echo "writing $CAP" >&2; "$V6MON" synth --seed 42 --packets "$N" --duration 3600 "${SNAPARG[@]}" --quiet -o "$CAP"; }
[[ -s "$SMALL" ]] || "$V6MON" synth --seed 42 --packets 1000000 --duration 3600 "${SNAPARG[@]}" --quiet -o "$SMALL"

ONE="taskset -c 0"
declare -A CPU WALL RSS FRAMES MED
measure() { # name frames command...
  local name=$1 frames=$2; shift 2
  local log="$DIR/$name.time"
  local out="$DIR/$name.out"
  [[ $name == cat ]] && out=/dev/null # the ceiling reads, it does not copy
  local best="" r all=""
  for ((r = 0; r < REPEAT; r++)); do
    cat "$CAP" "$SMALL" >/dev/null # both inputs in the page cache
    /usr/bin/time -f "%e %U %S %M" -o "$log" "$@" >"$out" 2>"$DIR/$name.err" || true
    local e u s kb c
    read -r e u s kb <"$log" || { e=0; u=0; s=0; kb=0; }
    c=$(awk -v u="$u" -v s="$s" 'BEGIN{ printf "%.2f", u + s }')
    all="$all $c"
    if [[ -z $best ]] || awk -v a="$c" -v b="$best" 'BEGIN{ exit !(a < b) }'; then
      best=$c
      CPU[$name]=$c WALL[$name]=$e RSS[$name]=$kb FRAMES[$name]=$frames
    fi
    echo "  $name: cpu ${c}s (wall ${e}s), peak RSS ${kb} kB" >&2
  done
  MED[$name]=$(echo $all | tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
}

echo "measuring on $(nproc) cores, pinned to core 0, best CPU time of $REPEAT runs" >&2
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

v6rate=$(awk -v n="$N" -v s="${CPU[v6mon]}" 'BEGIN{ if (s>0) printf "%.0f", n/s; else print 0 }')
{
  echo "# v6mon traffic benchmark"
  echo
  echo "capture: $CAP ($N frames, $(stat -c %s "$CAP") bytes), $(date -u +%FT%TZ), $(nproc) cores, pinned to one, best CPU time of $REPEAT runs"
  echo
  echo "| tool | frames | CPU s | wall s | frames/CPU s | v6mon / tool | peak RSS | median CPU s |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for t in cat v6mon v6mon-1M tcpdump softflowd tshark; do
    awk -v t="$t" -v n="${FRAMES[$t]}" -v s="${CPU[$t]}" -v w="${WALL[$t]}" -v kb="${RSS[$t]}" -v v6="$v6rate" -v med="${MED[$t]}" 'BEGIN{
      r = (s > 0) ? n / s : 0;
      ratio = (r > 0) ? sprintf("%.2fx", v6 / r) : "-";
      printf "| %s | %d | %.2f | %.2f | %.0f | %s | %.1f MB | %.2f |\n", t, n, s, w, r, ratio, kb / 1024, med }'
  done
  echo
  echo "cat is the ceiling (reading the file). v6mon does full decoding, segments, flows and buckets."
  echo "v6mon's numbers against the synth truth of this capture: $(python3 tests/cli/compare_truth.py "$DIR/v6mon.out" "$CAP.truth.json" | tail -1)"
} | tee "$DIR/results$SUFFIX.md"
