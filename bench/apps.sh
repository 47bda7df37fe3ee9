#!/usr/bin/env bash
# bench/apps.sh [PACKETS] - users + apps (nDPI included) against nDPI's own
# ndpiReader on the same capture, in the same run, on one core.
#
# Writes a synth capture with subscribers and named app traffic (whole
# frames: names live in payloads), then times
#   v6mon traffic --format json                    (the plain pipeline)
#   v6mon traffic --users --apps --format json     (subscribers, names, nDPI)
#   ndpiReader -i FILE -t -q                        (nDPI's reader, GTP dissection on)
# and prints packets per CPU second (user + sys: the machine may be shared;
# best of BENCH_ROUNDS interleaved rounds, default 3),
# the ratio, peak RSS and memory per flow: v6mon's peak RSS over the most
# flows it held at once (it expires flows), ndpiReader's over the flows it
# reports (it keeps them for the whole file). Results also go to
# bench/results/apps.md. Needs: scripts/deps.sh --bench (libndpi-bin, time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${1:-1000000}
V6MON=${V6MON:-$root/build/v6mon}
work=${BENCH_DIR:-/tmp/v6mon-bench-apps}
mkdir -p "$work" "$here/results"
cap="$work/apps-$N.pcap"
dense="$work/apps-dense-$N.pcap"
command -v ndpiReader >/dev/null || { echo "ndpiReader missing: scripts/deps.sh --bench" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing: scripts/deps.sh --bench" >&2; exit 1; }
if [[ ! -s "$cap" ]]; then
  echo "writing $N frames with subscribers and app traffic to $cap" >&2
  "$V6MON" synth -o "$cap" --seed 42 --packets "$N" --users 20000 --duration 3600 --quiet
fi
cat "$cap" > /dev/null # warm the page cache

# The machine may be shared: each run is repeated ROUNDS times (runs of the
# three programs interleaved, so they see the same load) and the best CPU
# time is kept (with the largest peak RSS of the rounds).
ROUNDS=${BENCH_ROUNDS:-3}
# run LABEL CMD...: one timed run into $work/LABEL.times (taskset: one core)
run() {
  local label=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$work/$label.time" taskset -c 0 "$@" > "$work/$label.out" 2>"$work/$label.err"
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$work/$label.time" >> "$work/$label.times"
}
# best LABEL -> "best_cpu_seconds max_peak_kb"
best() {
  sort -n "$work/$1.times" | awk 'NR == 1 {t = $1} $2 > m {m = $2} END {printf "%.3f %d\n", t, m}'
}
rm -f "$work"/*.times
for ((r = 0; r < ROUNDS; r++)); do
  run plain "$V6MON" traffic --format json --no-progress "$cap"
  run apps "$V6MON" traffic --users --apps --format json --no-progress "$cap"
  run ndpi ndpiReader -i "$cap" -t -q
done
read -r t_plain m_plain < <(best plain)
read -r t_apps m_apps < <(best apps)
read -r t_ndpi m_ndpi < <(best ndpi)
# Memory per flow: the same frame count squeezed into 30 s holds ~20x more
# flows at once; the RSS difference over the flow difference is the cost of
# one more flow (fixed costs such as nDPI's tables cancel out).
if [[ ! -s "$dense" ]]; then
  "$V6MON" synth -o "$dense" --seed 43 --packets "$N" --users $((N / 10)) --duration 30 --quiet
fi
run apps_d "$V6MON" traffic --users --apps --format json --no-progress "$dense"
run plain_d "$V6MON" traffic --format json --no-progress "$dense"
run ndpi_d ndpiReader -i "$dense" -t -q
read -r t_apps_d m_apps_d < <(best apps_d)
read -r t_plain_d m_plain_d < <(best plain_d)
read -r t_ndpi_d m_ndpi_d < <(best ndpi_d)
nflows() { ndpiReader -i "$1" -t 2>/dev/null | awk '/Unique flows:/ {print $3}'; }
v6stats() { python3 -c "
import json, sys
r = json.load(open(sys.argv[1])); t = r['totals']
print(t['ipv4']['flows'] + t['ipv6']['flows'], r['limits']['flows_max_active'],
      r.get('apps_summary', {}).get('limits', {}).get('dpi_flows', 0))" "$1"; }
read -r v6_flows max_active dpi_flows < <(v6stats "$work/apps.out")
read -r _ max_active_d _ < <(v6stats "$work/apps_d.out")
python3 - "$N" "$t_plain" "$m_plain" "$t_apps" "$m_apps" "$t_ndpi" "$m_ndpi" \
  "$(nflows "$cap")" "$v6_flows" "$max_active" "$dpi_flows" \
  "$m_plain_d" "$m_apps_d" "$m_ndpi_d" "$(nflows "$dense")" "$max_active_d" \
  "$here/results/apps.md" "$ROUNDS" <<'PY'
import sys
a = sys.argv
n = int(a[1])
tp, mp, ta, ma, tn, mn = (float(x) for x in a[2:8])
nflows, v6flows, maxact, dpif = (int(x) for x in a[8:12])
mpd, mad, mnd = (float(x) for x in a[12:15])
nflows_d, maxact_d = int(a[15]), int(a[16])
out = a[17]
rate = lambda t: n / t if t > 0 else float("inf")
per = lambda m1, m0, f1, f0: (m1 - m0) * 1024 / max(f1 - f0, 1)
rounds = a[18]
lines = [
    f"# users + apps vs ndpiReader, {n} frames (one core, CPU seconds: user + sys, best of {rounds})",
    "",
    "| run | CPU s | frames/s | peak RSS | flows |",
    "|---|---:|---:|---:|---:|",
    f"| v6mon traffic (plain) | {tp:.2f} | {rate(tp)/1e6:.2f} M | {mp/1024:.1f} MB | {maxact} at once |",
    f"| v6mon traffic --users --apps (nDPI on) | {ta:.2f} | {rate(ta)/1e6:.2f} M | {ma/1024:.1f} MB | {maxact} at once, {v6flows} in all, {dpif} through nDPI |",
    f"| ndpiReader -t | {tn:.2f} | {rate(tn)/1e6:.2f} M | {mn/1024:.1f} MB | {nflows} |",
    "",
    f"v6mon --users --apps: {rate(ta)/rate(tn):.1f}x ndpiReader's speed; users+apps cost "
    f"{ta - tp:.2f} CPU s over the plain pipeline.",
    "",
    f"Memory per flow (same frames in 30 s: v6mon {maxact_d} flows at once, ndpiReader "
    f"{nflows_d}; extra RSS / extra flows): v6mon plain "
    f"{per(mpd, mp, maxact_d, maxact):.0f} B, v6mon --users --apps {per(mad, ma, maxact_d, maxact):.0f} B, "
    f"ndpiReader {per(mnd, mn, nflows_d, nflows):.0f} B; peak RSS v6mon {mad/1024:.1f} MB, "
    f"ndpiReader {mnd/1024:.1f} MB.",
]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
