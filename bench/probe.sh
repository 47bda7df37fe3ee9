#!/usr/bin/env bash
# bench/probe.sh [SITES] - the prober on a lab of SITES virtual sites
# (default 10000; wildcard zone *.bench.lab served by one nginx), with
# dnsperf as the DNS ceiling against the same recursive resolver, in the
# same run. Needs root (network namespaces) and scripts/deps.sh --bench.
#
# Stages timed (wall clock, since the work is network-bound; peak RSS too):
#   dnsperf   A, AAAA and NS of every site name, 5 s, against the lab's unbound
#   dns       v6mon probe sites --dns-only      (W1, W2: A + AAAA + zone NS)
#             DNS_ROUNDS times (default 3), each right after its own dnsperf
#             run, so that both see the same load (the machine is shared)
#   w1-w5     v6mon probe sites --no-crawl      (W1..W5)
#   crawl     v6mon probe sites                 (W1..W7 + resources)
# DNS rate = queries answered per second: dnsperf's A, AAAA and NS of every
# name (1000 in flight); ours = every query of the DNS stage (A, AAAA, and
# the zone walk's NS queries: the site name, then its parent; the zone's
# name servers are checked once) with the default 1000 sites in flight,
# two ways:
#   stage     the stage's queries (all but the canary's A and AAAA) over the
#             stage's own wall time: first site started -> run finished
#             (from the JSON lines' started_ns and the run line)
#   command   every query over the whole command's wall time (process start,
#             list loading, vantage self-check, the stage, teardown)
# plus the prober's CPU time per query (user + system, /usr/bin/time), which
# the load of other programs on the machine disturbs less than wall time.
# Targets (issue 4): DNS stage >= 80% of dnsperf, W1..W5 >= 200 sites/s.
# Results go to bench/results/probe.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
N=${1:-10000}
ROUNDS=${DNS_ROUNDS:-3}   # DNS_ROUNDS=N: dnsperf + DNS stage pairs; V6MON_BASE: see below
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

# run LABEL ARGS... -> "wall_s peak_kb user_s sys_s"
run() {
  local label=$1; shift
  /usr/bin/time -f "%e %M %U %S" -o "$work/$label.time" \
    ip netns exec "$CLIENT_NS" "$V6MON" probe sites "$sites" --resolver "$RESOLVER4" \
      --canary "$CANARY" --format json --no-progress "$@" > "$work/$label.out" 2> "$work/$label.err"
  cat "$work/$label.time"
}
for r in $(seq 1 "$ROUNDS"); do
  inns dnsperf -s "$RESOLVER4" -d "$queries" -l 5 -q 1000 > "$work/dnsperf-$r.out" 2>&1
  run "dns-$r" --dns-only > /dev/null
  # V6MON_BASE=OTHER_BINARY: the same stage with another build, right after
  # (before/after comparisons under the same load)
  if [[ -n ${V6MON_BASE:-} ]]; then V6MON=$V6MON_BASE run "base-$r" --dns-only > /dev/null; fi
done
read -r t_w15 m_w15 _ _ < <(run w1-w5 --no-crawl --max-sites 2000 --spacing 200ms)
read -r t_crawl m_crawl _ _ < <(run crawl --max-sites 2000 --spacing 200ms)

sites_ok() { grep -c '"type":"site"' "$1" || true; }
n_dns=$(sites_ok "$work/dns-1.out"); n_w15=$(sites_ok "$work/w1-w5.out"); n_crawl=$(sites_ok "$work/crawl.out")
report=$(python3 - "$N" "$ROUNDS" "$work" "$t_w15" "$m_w15" "$t_crawl" "$m_crawl" \
                  "$n_dns" "$n_w15" "$n_crawl" <<'EOF'
import json, re, statistics, sys
n, rounds, work, tw, mw, tc, mc, nd, nw, nc = sys.argv[1:]
n = int(n); tw = float(tw); tc = float(tc)
rows = []
import os
def measure(label, qd):
    wall, peak, user, sys_ = map(float, open(f"{work}/{label}.time").read().split())
    run, first = None, None
    for line in open(f"{work}/{label}.out"):
        if line.startswith('{"type":"run"'):
            run = json.loads(line)
        elif line.startswith('{"type":"site"'):
            st = json.loads(line)["started_ns"]
            first = st if first is None else min(first, st)
    q = run["dns_queries"]
    stage_s = (run["finished_ns"] - first) / 1e9
    stage = (q - 2) / stage_s  # minus the canary's A and AAAA (self-check)
    return dict(qd=qd, stage=stage, stage_s=stage_s, cmd=q / wall, wall=wall,
                cpu=(user + sys_) * 1e6 / q, user=user * 1e6 / q, peak=peak)
base = []
for r in range(1, int(rounds) + 1):
    qd = float(re.search(r"Queries per second:\s+([0-9.]+)", open(f"{work}/dnsperf-{r}.out").read()).group(1))
    rows.append(measure(f"dns-{r}", qd))
    if os.path.exists(f"{work}/base-{r}.out"):
        base.append(measure(f"base-{r}", qd))
print("| stage | sites done | wall s | rate | peak RSS MiB | vs target |")
print("|---|---|---|---|---|---|")
for i, x in enumerate(rows, 1):
    print(f"| round {i}: dnsperf (ceiling) | - | 5 | {x['qd']:,.0f} queries/s | - | - |")
    print(f"| round {i}: v6mon DNS stage (--dns-only) | {nd} | {x['stage_s']:.2f} | "
          f"{x['stage']:,.0f} queries/s = {x['stage']/x['qd']:.2f} x dnsperf | {x['peak']/1024:.0f} | target 0.80 x |")
    print(f"| round {i}: v6mon whole command | {nd} | {x['wall']:.2f} | "
          f"{x['cmd']:,.0f} queries/s = {x['cmd']/x['qd']:.2f} x dnsperf; "
          f"CPU {x['cpu']:.1f} us/query ({x['user']:.1f} user) | - | - |")
ratios = [x["stage"] / x["qd"] for x in rows]
cmd_ratios = [x["cmd"] / x["qd"] for x in rows]
cpus = [x["cpu"] for x in rows]
print(f"| DNS over {len(rows)} rounds | - | - | stage best {max(ratios):.2f} x, median "
      f"{statistics.median(ratios):.2f} x; whole command best {max(cmd_ratios):.2f} x, median "
      f"{statistics.median(cmd_ratios):.2f} x; CPU best {min(cpus):.1f}, median "
      f"{statistics.median(cpus):.1f} us/query | - | target 0.80 x |")
for i, x in enumerate(base, 1):
    print(f"| round {i}: V6MON_BASE DNS stage | {nd} | {x['stage_s']:.2f} | "
          f"{x['stage']:,.0f} queries/s = {x['stage']/x['qd']:.2f} x dnsperf; whole command "
          f"{x['cmd']/x['qd']:.2f} x; CPU {x['cpu']:.1f} us/query ({x['user']:.1f} user) | {x['peak']/1024:.0f} | - |")
print(f"| v6mon W1..W5 (--no-crawl) | {nw} | {tw:.2f} | {int(nw)/tw:,.0f} sites/s | {int(mw)/1024:.0f} | target 200 sites/s |")
print(f"| v6mon full crawl | {nc} | {tc:.2f} | {int(nc)/tc:,.0f} sites/s | {int(mc)/1024:.0f} | - |")
EOF
)
{
  echo "# bench/probe.sh $N sites ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
  echo
  echo "$report"
} | tee "$here/results/probe.md"
