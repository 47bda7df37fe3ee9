#!/usr/bin/env bash
# bench/apps.sh [PACKETS] - users + apps (nDPI included) against nDPI's own
# ndpiReader on the same capture, in the same run, on one core.
#
# Writes a synth capture with subscribers and named app traffic (whole
# frames: names live in payloads), then times
#   v6mon traffic --format json                    (the plain pipeline)
#   v6mon traffic --users --apps --format json     (subscribers, names, nDPI)
#   ndpiReader -i FILE -t -q                        (nDPI's reader, GTP dissection on)
# and prints packets per CPU second (user + sys: the machine may be shared),
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
command -v ndpiReader >/dev/null || { echo "ndpiReader missing: scripts/deps.sh --bench" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing: scripts/deps.sh --bench" >&2; exit 1; }
if [[ ! -s "$cap" ]]; then
  echo "writing $N frames with subscribers and app traffic to $cap" >&2
  "$V6MON" synth -o "$cap" --seed 42 --packets "$N" --users 20000 --duration 3600 --quiet
fi
cat "$cap" > /dev/null # warm the page cache

# run LABEL CMD... -> "cpu_seconds peak_kb" (taskset: one core)
run() {
  local label=$1; shift
  /usr/bin/time -f "%U %S %M" -o "$work/$label.time" taskset -c 0 "$@" > "$work/$label.out" 2>"$work/$label.err"
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$work/$label.time"
}
read -r t_plain m_plain < <(run plain "$V6MON" traffic --format json --no-progress "$cap")
read -r t_apps m_apps < <(run apps "$V6MON" traffic --users --apps --format json --no-progress "$cap")
read -r t_ndpi m_ndpi < <(run ndpi ndpiReader -i "$cap" -t -q)
# ndpiReader -q prints nothing; a second, verbose run gives its flow count.
ndpi_flows=$(ndpiReader -i "$cap" -t 2>/dev/null | awk '/Unique flows:/ {print $3}')
read -r v6_flows max_active dpi_flows < <(python3 - "$work/apps.out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
print(t["ipv4"]["flows"] + t["ipv6"]["flows"], r["limits"]["flows_max_active"],
      r["apps_summary"]["limits"]["dpi_flows"])
PY
)
python3 - "$N" "$t_plain" "$m_plain" "$t_apps" "$m_apps" "$t_ndpi" "$m_ndpi" "$ndpi_flows" \
  "$v6_flows" "$max_active" "$dpi_flows" "$here/results/apps.md" <<'PY'
import sys
n = int(sys.argv[1])
tp, mp, ta, ma, tn, mn = (float(x) for x in sys.argv[2:8])
nflows, v6flows, maxact, dpif = (int(x) for x in sys.argv[8:12])
out = sys.argv[12]
rate = lambda t: n / t if t > 0 else float("inf")
lines = [
    f"# users + apps vs ndpiReader, {n} frames (one core, CPU seconds)",
    "",
    "| run | CPU s | frames/s | peak RSS | flows | RSS per flow |",
    "|---|---:|---:|---:|---:|---:|",
    f"| v6mon traffic (plain) | {tp:.2f} | {rate(tp)/1e6:.2f} M | {mp/1024:.1f} MB | {maxact} live max | |",
    f"| v6mon traffic --users --apps | {ta:.2f} | {rate(ta)/1e6:.2f} M | {ma/1024:.1f} MB | {maxact} live max ({v6flows} total, {dpif} through nDPI) | {ma*1024/max(maxact,1):.0f} B |",
    f"| ndpiReader -t | {tn:.2f} | {rate(tn)/1e6:.2f} M | {mn/1024:.1f} MB | {nflows} | {mn*1024/max(nflows,1):.0f} B |",
    "",
    f"v6mon --users --apps is {rate(ta)/rate(tn):.1f}x ndpiReader's speed; "
    f"users+apps cost {ta - tp:.2f} CPU s over the plain pipeline.",
]
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
