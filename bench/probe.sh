#!/usr/bin/env bash
# bench/probe.sh [SITES] - the prober on a lab of SITES virtual sites
# (default 10000; wildcard zone *.bench.lab served by one nginx), with
# dnsperf as the DNS ceiling against the same recursive resolver, in the
# same run. Needs root (network namespaces) and scripts/deps.sh --bench.
#
# Stages timed (wall clock, since the work is network-bound; peak RSS too):
#   dnsperf   A, AAAA and NS of every site name, 10 s, against the lab's unbound
#   dns       v6mon probe sites --dns-only      (W1, W2: A + AAAA + zone NS)
#   w1-w5     v6mon probe sites --no-crawl      (W1..W5)
#   crawl     v6mon probe sites                 (W1..W7 + resources)
# DNS rate = queries answered per second: dnsperf's A, AAAA and NS of every
# name, the same queries as the prober's DNS stage (1000 in flight); ours = every query of the DNS stage (A, AAAA and the
# zone walk's NS query per site; the zone's name servers are checked once)
# over the run's duration, with the default 1000 sites in flight.
# Targets (issue 4): DNS >= 80% of dnsperf, W1..W5 >= 200 sites/s.
# Results go to bench/results/probe.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${1:-10000}
V6MON=${V6MON:-$root/build/v6mon}
work=${BENCH_DIR:-/tmp/v6mon-bench-probe}
[[ $(id -u) -eq 0 ]] || { echo "bench/probe.sh needs root (network namespaces)" >&2; exit 1; }
command -v dnsperf >/dev/null || { echo "dnsperf missing: scripts/deps.sh --bench" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time missing: scripts/deps.sh --bench" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work" "$here/results"
state="$work/lab"
python3 "$root/tests/lab/netlab.py" up "$state" --bench "$N" >&2
trap 'python3 "$root/tests/lab/netlab.py" down "$state" >/dev/null 2>&1 || true' EXIT
eval "$(python3 "$root/tests/lab/netlab.py" env "$state")"
inns() { ip netns exec "$CLIENT_NS" "$@"; }
sites="$state/bench_sites.csv"
queries="$state/bench_queries.txt"

# Warm the resolver's cache the same way for everybody: one pass of dnsperf.
inns dnsperf -s "$RESOLVER4" -d "$queries" -n 1 -q 1000 >/dev/null 2>&1 || true
inns dnsperf -s "$RESOLVER4" -d "$queries" -l 10 -q 1000 > "$work/dnsperf.out" 2>&1
qps_dnsperf=$(awk '/Queries per second/ {print $4}' "$work/dnsperf.out")

# run LABEL ARGS... -> "wall_s peak_kb"
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$label.time" \
    ip netns exec "$CLIENT_NS" "$V6MON" probe sites "$sites" --resolver "$RESOLVER4" \
      --canary "$CANARY" --format json --no-progress "$@" > "$work/$label.out" 2> "$work/$label.err"
  cat "$work/$label.time"
}
read -r t_dns m_dns < <(run dns --dns-only)
read -r t_w15 m_w15 < <(run w1-w5 --no-crawl --max-sites 2000 --spacing 200ms)
read -r t_crawl m_crawl < <(run crawl --max-sites 2000 --spacing 200ms)

sites_ok() { grep -c '"type":"site"' "$1" || true; }
n_dns=$(sites_ok "$work/dns.out"); n_w15=$(sites_ok "$work/w1-w5.out"); n_crawl=$(sites_ok "$work/crawl.out")
report=$(python3 - "$N" "$qps_dnsperf" "$t_dns" "$m_dns" "$t_w15" "$m_w15" "$t_crawl" "$m_crawl" \
                  "$n_dns" "$n_w15" "$n_crawl" "$work/dns.out" <<'EOF'
import sys
n, qd, td, md, tw, mw, tc, mc, nd, nw, nc, dns_out = sys.argv[1:]
n=int(n); qd=float(qd); td=float(td); tw=float(tw); tc=float(tc)
import json
run = [json.loads(l) for l in open(dns_out) if l.startswith('{"type":"run"')][0]
ours = run["dns_queries"] / run["duration_s"]
print(f"| stage | sites done | wall s | rate | peak RSS MiB | vs target |")
print(f"|---|---|---|---|---|---|")
print(f"| dnsperf (ceiling) | - | 10 | {qd:,.0f} queries/s | - | - |")
print(f"| v6mon DNS stage (--dns-only) | {nd} | {run['duration_s']:.2f} | {ours:,.0f} queries/s = {ours/qd:.2f} x dnsperf | {int(md)/1024:.0f} | target 0.80 x |")
print(f"| v6mon W1..W5 (--no-crawl) | {nw} | {tw:.2f} | {int(nw)/tw:,.0f} sites/s | {int(mw)/1024:.0f} | target 200 sites/s |")
print(f"| v6mon full crawl | {nc} | {tc:.2f} | {int(nc)/tc:,.0f} sites/s | {int(mc)/1024:.0f} | - |")
EOF
)
{
  echo "# bench/probe.sh $N sites ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
  echo
  echo "$report"
} | tee "$here/results/probe.md"
