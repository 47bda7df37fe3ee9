#!/usr/bin/env bash
# tests/lab/kpi_selftest.sh - the kpi lab checks itself, without v6mon:
# brings tests/lab/kpilab.py up, checks from the client namespace that every
# name resolves through both resolver addresses (tests/lab/dnsq.py), that
# the page, every sub-resource and the HLS/DASH streams load over both
# families (curl, each family pinned with --resolve), then switches through
# the impairment profiles and measures each with tests/lab/kpi_probe.py
# (echo, TCP connect, DNS timing; IPv4 and IPv6 interleaved in one run) and
# curl (rate): the impairment must be there within the tolerances of
# tests/lab/kpilab.md, and IPv4 must be untouched. Takes the lab down and
# checks that nothing is left. A failure here is a lab bug, not a v6mon bug.
#
#   tests/lab/kpi_selftest.sh [STATE_DIR]     (default: a fresh mktemp -d)
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, no netns, a
# tool missing). Output: one "ok -" / "not ok -" line per check, with the
# measured numbers. About 40 s.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "SKIP: kpi lab selftest: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces"
for tool in ip tc nft nginx nsd unbound openssl ffmpeg ffprobe python3 curl ss; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (scripts/deps.sh installs it)"
done
probe_ns="kpi-selftest-$$"
ip netns add "$probe_ns" 2>/dev/null || skip "ip netns unavailable (cannot create a network namespace)"
# the kernel features the profiles use: htb, tbf, u32 (rate), TUN (delay)
ip -n "$probe_ns" link add kpitest0 type veth peer name kpitest1 2>/dev/null &&
  tc -n "$probe_ns" qdisc add dev kpitest0 root handle 1: htb 2>/dev/null &&
  tc -n "$probe_ns" class add dev kpitest0 parent 1: classid 1:10 htb rate 1gbit 2>/dev/null &&
  tc -n "$probe_ns" qdisc add dev kpitest0 parent 1:10 tbf rate 1mbit burst 3028 latency 10ms 2>/dev/null &&
  tc -n "$probe_ns" filter add dev kpitest0 parent 1: protocol ipv6 prio 1 u32 match ip6 src 3ffe::/16 flowid 1:10 2>/dev/null
kernel_ok=$?
ip netns del "$probe_ns"
[[ $kernel_ok -eq 0 ]] || skip "tc htb, tbf or u32 is missing in this kernel"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun is missing"

PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
# is DESCRIPTION GOT WANT
is() { if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1: got '$2', wanted '$3'"; fi; }
# within DESCRIPTION VALUE LO HI   (LO <= VALUE <= HI, numbers)
within() {
  if awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v != "" && v != "-" && v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; then
    ok "$1: $2 in [$3, $4]"
  else
    not_ok "$1: $2 not in [$3, $4]"
  fi
}
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
calc() { awk "BEGIN { printf \"%.4f\", $* }"; }

STATE=${1:-$(mktemp -d /tmp/kpilab-selftest.XXXXXX)}
lab() { python3 "$here/kpilab.py" "$@"; }
t0=$(date +%s.%N)
if ! lab up "$STATE"; then
  not_ok "lab comes up"; lab down "$STATE"; exit 1
fi
up_s=$(calc "$(date +%s.%N) - $t0")
ok "lab comes up in ${up_s} s"
trap 'python3 "$here/kpilab.py" down "$STATE" >/dev/null 2>&1' EXIT
eval "$(lab env "$STATE")"
missing=""
for v in CLIENT_NS ROUTER_NS SERVER_NS CLIENT4 CLIENT6 RESOLVER RESOLVER4 RESOLVER6 CA_FILE \
         KPI_TARGETS KPI_CANARY PAGE_URL PAGE_URL_HTTPS PAGE_EXPECTED PAGE_RESOURCES PAGE_BYTES \
         HLS_URL HLS_URL_HTTPS HLS_LOW_URL HLS_HIGH_URL HLS_LOW_BPS HLS_HIGH_BPS DASH_URL \
         DASH_LOW_BPS DASH_HIGH_BPS VIDEO_JSON SEGMENT_S KPI_PROFILE LOSS_RATE DELAY_MS RATE_BPS \
         WWW4 WWW6 STATIC4 STATIC6 VIDEO4 VIDEO6 V4ONLY4 NOV6PATH4 NOV6PATH6 NOICMP4 NOICMP6 \
         CANARY4 CANARY6; do
  [[ -n ${!v:-} ]] || missing="$missing $v"
done
for f in "$CA_FILE" "$PAGE_EXPECTED" "$VIDEO_JSON" "$KPI_TARGETS"; do [[ -s $f ]] || missing="$missing $f"; done
is "env: every variable set, every file there" "$missing" ""
is "profile after up" "$KPI_PROFILE" none

inns() { ip netns exec "$CLIENT_NS" "$@"; }
q() { inns python3 "$here/dnsq.py" "$@"; }
rr() { local t=$3; q "$@" | awk -v t="$t" '$1 == "answer" && $3 == t {print $4}' | sort | xargs; }
probe() { inns python3 "$here/kpi_probe.py" "$@"; }
# kv LINE KEY -> the value of KEY=... in LINE
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
# line OUTPUT ADDR -> the probe output line for ADDR
line() { awk -v a="$2" '$(NF-7) == a' <<<"$1"; }
# pin URL ADDR -> the HOST:PORT:ADDR for curl --resolve pinning URL's host to ADDR
pin() { local hp=${1#*://}; hp=${hp%%/*}; local port=80; [[ $1 == https://* ]] && port=443
        local a=$2; [[ $a == *:* ]] && a="[$a]"; echo "$hp:$port:$a"; }
# get URL ADDR [curl args] -> "code size" (and rc=N when curl failed)
get() { local url=$1 addr=$2; shift 2; local out rc=0
        out=$(inns curl -s -o /dev/null --connect-timeout 1 -m 10 --cacert "$CA_FILE" \
              -w '%{http_code} %{size_download}' --resolve "$(pin "$url" "$addr")" "$@" "$url") || rc=$?
        [[ $rc -eq 0 ]] && echo "$out" || echo "$out rc=$rc"; }
body() { inns curl -s --connect-timeout 1 -m 10 --cacert "$CA_FILE" --resolve "$(pin "$1" "$2")" "$1"; }
# timed URL ADDR -> "code bytes seconds bytes_per_s"
timed() {
  inns curl -s -o /dev/null --connect-timeout 2 -m 30 -w '%{http_code} %{size_download} %{time_total} %{speed_download}' \
    --resolve "$(pin "$1" "$2")" "$1"; }
jq_() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {'d': d}))" "$@"; }

echo "# topology"
is "router has no default route (IPv4, IPv6)" \
   "$(ip -n "$ROUTER_NS" -4 route show default)$(ip -n "$ROUTER_NS" -6 route show default)" ""
is "client: lo and one veth" "$(ip -n "$CLIENT_NS" -o link show | wc -l)" 2
is "client's neighbour entry for the router is static" \
   "$(ip -n "$CLIENT_NS" -6 neigh show | awk '$1 == "3ffe:10::1" {print $NF}')" PERMANENT
is "client's IPv6 default route via the router" "$(ip -n "$CLIENT_NS" -6 route show default | awk '{print $3}')" "3ffe:10::1"

echo "# DNS: both resolver addresses, nsd over IPv6"
for h in www static video nov6path noicmp canary; do
  H=${h^^}; want4=${H}4 want6=${H}6
  for r in "$RESOLVER4" "$RESOLVER6"; do
    is "$h.kpi.lab A and AAAA via $r" "$(rr "$r" $h.kpi.lab A) $(rr "$r" $h.kpi.lab AAAA)" "${!want4} ${!want6}"
  done
done
for r in "$RESOLVER4" "$RESOLVER6"; do
  is "v4only.kpi.lab: A, no AAAA, via $r" "$(rr "$r" v4only.kpi.lab A)|$(q "$r" v4only.kpi.lab AAAA | grep -c '^answer')" "$V4ONLY4|0"
done
is "ns1.kpi.lab answers authoritatively over IPv6" "$(q 3ffe:20::53 kpi.lab NS --norec | head -1)" "status NOERROR flags qr aa"
is "the resolver over TCP (IPv6)" "$(rr "$RESOLVER6" www.kpi.lab AAAA --tcp)" "$WWW6"
is "targets file: 4 targets, video on www" \
   "$(grep -vc '^#' "$KPI_TARGETS") $(grep -c "^http://www.kpi.lab/ $HLS_URL\$" "$KPI_TARGETS")" "4 1"

echo "# the page and its sub-resources, each family pinned, http and https"
html_bytes=$(jq_ "$PAGE_EXPECTED" 'd["page"]["html_bytes"]')
res_bytes=$(jq_ "$PAGE_EXPECTED" 'd["page"]["resource_bytes"]')
is "expected.json: 11 resources (1 style, 2 scripts, 8 images), 248 kB, 2 hosts" \
   "$PAGE_RESOURCES $(jq_ "$PAGE_EXPECTED" 'sorted(d["page"]["by_kind"].items())') $res_bytes $(jq_ "$PAGE_EXPECTED" 'd["page"]["hosts"]')" \
   "11 [('img', 8), ('script', 2), ('style', 1)] 248000 ['static.kpi.lab', 'www.kpi.lab']"
is "PAGE_BYTES = html + resources" "$PAGE_BYTES" "$((html_bytes + res_bytes))"
for url in "$PAGE_URL" "$PAGE_URL_HTTPS"; do
  for a in "$WWW4" "$WWW6"; do
    is "home page $url over $a" "$(get "$url" "$a")" "200 $html_bytes"
  done
done
# the page's own references, read from the HTML, against expected.json
refs=$(body "$PAGE_URL" "$WWW6" | grep -oE '<(link|script|img)[^>]*(src|href)="[^"]*"' |
       sed -E 's/.*(src|href)="([^"]*)"$/\2/' | sort | xargs)
want=$(jq_ "$PAGE_EXPECTED" '" ".join(sorted((r["path"] if r["host"] == "www.kpi.lab" else "//" + r["host"] + r["path"]) for r in d["page"]["resources"]))')
is "the page references exactly the resources of expected.json" "$refs" "$want"
is "the page has 2 links (<a href>), which are not resources" "$(body "$PAGE_URL" "$WWW4" | grep -o '<a href' | wc -l)" 2
bad=""
while read -r host path bytes; do
  H=${host%%.*}; H=${H^^}; a4=${H}4 a6=${H}6
  for scheme in http https; do
    for a in "${!a4}" "${!a6}"; do
      got=$(get "$scheme://$host$path" "$a")
      [[ $got == "200 $bytes" ]] || bad="$bad $scheme://$host$path@$a:$got"
    done
  done
done < <(jq_ "$PAGE_EXPECTED" '"\n".join(r["host"] + " " + r["path"] + " " + str(r["bytes"]) for r in d["page"]["resources"])')
is "all 11 resources, size as listed, over both families, http and https (44 fetches)" "$bad" ""
is "expected.json is served too" "$(get http://www.kpi.lab/expected.json "$WWW6" | cut -d' ' -f1)" 200
is "v4only over IPv4, http and https" \
   "$(get http://v4only.kpi.lab/ "$V4ONLY4" | cut -d' ' -f1) $(get https://v4only.kpi.lab/ "$V4ONLY4" | cut -d' ' -f1)" "200 200"
is "canary over both families" "$(get "$KPI_CANARY" "$CANARY4" | cut -d' ' -f1) $(get "$KPI_CANARY" "$CANARY6" | cut -d' ' -f1)" "200 200"
is "without the lab CA https fails" "$(inns curl -s -o /dev/null --connect-timeout 1 -m 3 --resolve "$(pin "$PAGE_URL_HTTPS" "$WWW6")" "$PAGE_URL_HTTPS"; echo $?)" 60

echo "# nov6path and noicmp"
is "nov6path: IPv6 connect times out (black hole, not refused)" "$(get http://nov6path.kpi.lab/ "$NOV6PATH6")" "000 0 rc=28"
is "nov6path: IPv4 works" "$(get http://nov6path.kpi.lab/ "$NOV6PATH4" | cut -d' ' -f1)" 200
out=$(probe echo -c 20 -W 0.5 "$NOV6PATH4" "$NOV6PATH6" "$NOICMP4" "$NOICMP6" "$WWW4")
is "echo: nov6path v4 20/20, v6 0/20; noicmp 0/20 both; www v4 20/20" \
   "$(for a in "$NOV6PATH4" "$NOV6PATH6" "$NOICMP4" "$NOICMP6" "$WWW4"; do kv "$(line "$out" "$a")" ok; done | xargs)" "20 0 0 0 20"
out=$(probe tcp -c 10 -W 0.5 "$NOICMP4" "$NOICMP6" "$NOV6PATH6")
is "tcp: noicmp 10/10 both families (SYN fallback works), nov6path v6 0/10" \
   "$(for a in "$NOICMP4" "$NOICMP6" "$NOV6PATH6"; do kv "$(line "$out" "$a")" ok; done | xargs)" "10 10 0"

echo "# video"
for a in "$VIDEO4" "$VIDEO6"; do
  is "HLS master over $a: 2 variants" "$(body "$HLS_URL" "$a" | grep -c '^#EXT-X-STREAM-INF')" 2
  is "DASH manifest over $a: 2 representations" "$(body "$DASH_URL" "$a" | grep -c '<Representation')" 2
done
is "HLS master over https" "$(get "$HLS_URL_HTTPS" "$VIDEO6" | cut -d' ' -f1)" 200
# bit rates computed here, independently of kpilab.py: bytes fetched over
# IPv6 x 8 / sum of EXTINF
for v in LOW HIGH; do
  u=HLS_${v}_URL; url=${!u}; dir=${url%/*}
  pl=$(body "$url" "$VIDEO6")
  dur=$(awk -F'[:,]' '/^#EXTINF:/ {s += $2} END {print s}' <<<"$pl")
  n=0 bytes=0
  for seg in $(grep -v '^#' <<<"$pl"); do
    s=$(get "$dir/$seg" "$VIDEO6"); n=$((n + 1)); bytes=$((bytes + ${s#* }))
  done
  bps=$(calc "$bytes * 8 / $dur")
  e=HLS_${v}_BPS
  is "HLS $v: 12 segments of 2 s" "$n $dur" "12 24"
  within "HLS $v bit rate measured here vs env (ratio)" "$(calc "$bps / ${!e}")" 0.999 1.001
done
within "HLS low variant (bit/s) below the rate limit's goodput" "$HLS_LOW_BPS" 200000 "$(calc "$RATE_BPS * 0.9")"
within "HLS high variant (bit/s) above the rate limit" "$HLS_HIGH_BPS" "$(calc "$RATE_BPS * 1.5")" 2000000
seg=$(dirname "$HLS_HIGH_URL")/seg000.ts
inns curl -s -o "$STATE/seg.ts" --resolve "$(pin "$seg" "$VIDEO4")" "$seg"
is "a segment is real MPEG-TS with H.264 (ffprobe)" \
   "$(ffprobe -v error -show_entries format=format_name:stream=codec_name -of csv=p=0 "$STATE/seg.ts" | sort -u | xargs)" "h264 mpegts"
d0=$(dirname "$DASH_URL")
is "DASH init and first segments" \
   "$(for f in init-0.m4s init-1.m4s seg-0-001.m4s seg-1-012.m4s; do get "$d0/$f" "$VIDEO6" | cut -d' ' -f1; done | xargs)" "200 200 200 200"

# ------------------------------------------------------------------ profiles
G=$(calc "$RATE_BPS / 8 * 1448 / 1514")   # TCP goodput of the rate limit, bytes/s
hiseg=$(dirname "$HLS_HIGH_URL")/seg000.ts
loseg=$(dirname "$HLS_LOW_URL")/seg000.ts
med() { kv "$(line "$1" "$2")" median; }

echo "# profile none: both families alike"
lab impair "$STATE" none
out=$(probe echo -c 300 "$WWW4" "$WWW6")
is "echo 300+300: no loss either family" "$(kv "$(line "$out" "$WWW4")" ok) $(kv "$(line "$out" "$WWW6")" ok)" "300 300"
within "echo median v6 - v4 (ms)" "$(calc "$(med "$out" "$WWW6") - $(med "$out" "$WWW4")")" -2 2
out=$(probe dns -c 30 -t AAAA www.kpi.lab "$RESOLVER4" "$RESOLVER6")
within "DNS over v6 - over v4 transport, median (ms)" "$(calc "$(med "$out" "$RESOLVER6") - $(med "$out" "$RESOLVER4")")" -5 5
r6=$(timed "$hiseg" "$VIDEO6"); r4=$(timed "$hiseg" "$VIDEO4")
within "high segment over IPv6: x rate-limit goodput (unlimited)" "$(calc "$(cut -d' ' -f4 <<<"$r6") / $G")" 10 1e9

echo "# profile loss: 5% of IPv6 server->client packets dropped"
lab impair "$STATE" loss
out=$(probe echo -c 800 -W 0.5 "$WWW4" "$WWW6" "$CANARY6")
sed "s/^/# /" <<<"$out"
within "IPv6 echo loss, n=800 (binomial p=0.05, 1e-4 two-sided)" "$(kv "$(line "$out" "$WWW6")" loss)" 0.0225 0.0825
within "IPv4 echo loss, n=800" "$(kv "$(line "$out" "$WWW4")" loss)" 0 0.005
within "canary (not impaired) IPv6 echo loss" "$(kv "$(line "$out" "$CANARY6")" loss)" 0 0.005
within "loss adds no delay: echo median v6 - v4 (ms)" "$(calc "$(med "$out" "$WWW6") - $(med "$out" "$WWW4")")" -2 2
out=$(probe tcp -c 200 -W 0.5 "$WWW4" "$WWW6")
sed "s/^/# /" <<<"$out"
within "IPv6 TCP success within 0.5 s (lost SYN-ACK: retry after 1 s), n=200" "$(calc "1 - $(kv "$(line "$out" "$WWW6")" loss)")" 0.88 0.995
is "IPv4 TCP success, n=200" "$(kv "$(line "$out" "$WWW4")" ok)" 200

echo "# profile delay: +${DELAY_MS} ms one way on IPv6"
lab impair "$STATE" delay
out=$(probe echo -c 200 "$WWW4" "$WWW6" "$CANARY6")
sed "s/^/# /" <<<"$out"
within "IPv6 echo min RTT (ms), never below the delay" "$(kv "$(line "$out" "$WWW6")" min)" "$DELAY_MS" 1000
within "echo median v6 - v4 (ms)" "$(calc "$(med "$out" "$WWW6") - $(med "$out" "$WWW4")")" $((DELAY_MS - 1)) $((DELAY_MS + 10))
within "IPv4 echo median (ms)" "$(med "$out" "$WWW4")" 0 5
within "canary (not impaired) IPv6 echo median (ms)" "$(med "$out" "$CANARY6")" 0 5
is "no echo lost either family" "$(kv "$(line "$out" "$WWW4")" ok) $(kv "$(line "$out" "$WWW6")" ok)" "200 200"
out=$(probe tcp -c 40 "$WWW4" "$WWW6")
within "TCP handshake median v6 - v4 (ms)" "$(calc "$(med "$out" "$WWW6") - $(med "$out" "$WWW4")")" $((DELAY_MS - 1)) $((DELAY_MS + 10))
out=$(probe dns -c 40 -t AAAA www.kpi.lab "$RESOLVER4" "$RESOLVER6")
within "DNS over v6 - over v4 transport, median (ms)" "$(calc "$(med "$out" "$RESOLVER6") - $(med "$out" "$RESOLVER4")")" $((DELAY_MS - 1)) $((DELAY_MS + 10))
is "page over IPv6 still complete" "$(get "$PAGE_URL" "$WWW6")" "200 $html_bytes"

echo "# profile rate: IPv6 server->client shaped to $RATE_BPS bit/s"
lab impair "$STATE" rate
r6=$(timed "$hiseg" "$VIDEO6"); r4=$(timed "$hiseg" "$VIDEO4"); l6=$(timed "$loseg" "$VIDEO6")
echo "# high segment v6: $r6 | v4: $r4 | low segment v6: $l6 (code bytes s B/s)"
within "IPv6 goodput / expected $G B/s" "$(calc "$(cut -d' ' -f4 <<<"$r6") / $G")" 0.9 1.05
within "IPv4 goodput / $G B/s (unshaped)" "$(calc "$(cut -d' ' -f4 <<<"$r4") / $G")" 10 1e9
within "high segment over IPv6 takes longer than it plays (s; the player stalls)" "$(cut -d' ' -f3 <<<"$r6")" "$SEGMENT_S" 30
within "low segment over IPv6 downloads faster than it plays (s; expected 1.29)" "$(cut -d' ' -f3 <<<"$l6")" 0 "$SEGMENT_S"
within "high segment over IPv4 (s)" "$(cut -d' ' -f3 <<<"$r4")" 0 0.5
out=$(probe echo -c 100 "$WWW4" "$WWW6")
within "idle path: echo median v6 - v4 (ms)" "$(calc "$(med "$out" "$WWW6") - $(med "$out" "$WWW4")")" -2 2

echo "# profile dead: every IPv6 packet to the servers dropped"
lab impair "$STATE" dead
out=$(probe echo -c 20 -W 0.5 "$WWW4" "$WWW6" "$CANARY6")
is "echo ok: www v4 20, v6 0; canary v6 20" \
   "$(for a in "$WWW4" "$WWW6" "$CANARY6"; do kv "$(line "$out" "$a")" ok; done | xargs)" "20 0 20"
out=$(probe tcp -c 10 -W 0.5 "$WWW4" "$WWW6" "$VIDEO6")
is "TCP ok: www v4 10, www v6 0, video v6 0" \
   "$(for a in "$WWW4" "$WWW6" "$VIDEO6"; do kv "$(line "$out" "$a")" ok; done | xargs)" "10 0 0"
out=$(probe dns -c 5 -W 0.5 -t AAAA www.kpi.lab "$RESOLVER4" "$RESOLVER6")
is "DNS over v4 transport 5/5, over v6 0/5" "$(kv "$(line "$out" "$RESOLVER4")" ok) $(kv "$(line "$out" "$RESOLVER6")" ok)" "5 0"
is "HTTP over IPv6: connect times out (not refused)" "$(get "$PAGE_URL" "$WWW6")" "000 0 rc=28"
is "HTTP over IPv4 unaffected" "$(get "$PAGE_URL" "$WWW4")" "200 $html_bytes"

echo "# back to none"
lab impair "$STATE" none
eval "$(lab env "$STATE")"
is "env shows the profile" "$KPI_PROFILE" none
out=$(probe echo -c 50 "$WWW4" "$WWW6")
is "echo 50+50 again" "$(kv "$(line "$out" "$WWW4")" ok) $(kv "$(line "$out" "$WWW6")" ok)" "50 50"
is "router: no qdisc, rule or nft impairment left" \
   "$(tc -n "$ROUTER_NS" qdisc show | grep -c htb) $(ip -n "$ROUTER_NS" -6 rule show | grep -c 'lookup 100') $(ip netns exec "$ROUTER_NS" nft list tables | grep -c kpi_impair)" "0 0 0"
is "impair with an unknown profile fails" "$(lab impair "$STATE" jitter 2>/dev/null; echo $?)" 1

echo "# down"
pids="$(cat "$STATE"/*.pid 2>/dev/null | xargs) $(for ns in "$CLIENT_NS" "$ROUTER_NS" "$SERVER_NS"; do ip netns pids "$ns" 2>/dev/null; done | xargs)"
trap - EXIT
check "kpilab.py down" lab down "$STATE"
left=""
for ns in "$CLIENT_NS" "$ROUTER_NS" "$SERVER_NS"; do ip netns list | grep -qw "$ns" && left="$left $ns"; done
is "no namespace left" "$left" ""
alive=""
sleep 0.2
for p in $pids; do
  st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1 || true)
  [[ -n $st && $st != Z && $st != X ]] && alive="$alive $p:$st:$(cat "/proc/$p/comm" 2>/dev/null)"
done
is "no lab process left" "$alive" ""
check "kpilab.py down again: fine" lab down "$STATE"
check "kpilab.py env after down fails" bash -c "! python3 '$here/kpilab.py' env '$STATE' 2>/dev/null"
is "total time (s) under 90" "$(awk -v t="$(calc "$(date +%s.%N) - $t0")" 'BEGIN { print (t < 90) ? "yes" : t }')" yes
[[ -z ${1:-} ]] && rm -rf "$STATE"

echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
