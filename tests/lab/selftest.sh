#!/usr/bin/env bash
# tests/lab/selftest.sh - the lab checks itself, without v6mon: brings the
# lab up (with a small --bench zone), asks from the client namespace with
# tests/lab/dnsq.py (DNS) and curl (HTTP, each family pinned with
# --resolve) that every site, name server, hostile server and lying DNS
# answer behaves as docs/lab.md says, then takes the lab down and checks
# that no namespace and no process is left. Independent of the prober, so
# a failure here is a lab bug, not a prober bug.
#
#   tests/lab/selftest.sh [STATE_DIR]     (default: a fresh mktemp -d)
# Exit 0 all passed, 1 a check failed, 77 skipped (not root, no netns,
# a tool missing). Output: one "ok -" / "not ok -" line per check.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "SKIP: lab selftest: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces"
for tool in ip nginx nsd unbound openssl nft python3 curl ss; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (scripts/deps.sh installs it)"
done
probe_ns="v6l-selftest-$$"
ip netns add "$probe_ns" 2>/dev/null || skip "ip netns unavailable (cannot create a network namespace)"
ip netns del "$probe_ns"

PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); echo "ok - $*"; }
not_ok() { FAILED=$((FAILED + 1)); echo "not ok - $*"; }
# is DESCRIPTION GOT WANT
is() { if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1: got '$2', wanted '$3'"; fi; }
# check DESCRIPTION COMMAND...
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

STATE=${1:-$(mktemp -d /tmp/v6lab-selftest.XXXXXX)}
BENCH=20
t0=$(date +%s.%N)
if ! "$here/lab.sh" up "$STATE" --bench "$BENCH"; then
  not_ok "lab comes up"; "$here/lab.sh" down "$STATE"; exit 1
fi
up_s=$(python3 -c "import sys,time; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$t0")
ok "lab comes up in ${up_s} s"
trap '"$here/lab.sh" down "$STATE" >/dev/null 2>&1' EXIT
eval "$("$here/lab.sh" env "$STATE")"
for v in CLIENT_NS NET_NS RESOLVER RESOLVER4 RESOLVER6 LIEDNS4 LIEDNS6 CA_FILE SITES_CSV \
         HOSTILE_CSV LIES_CSV APPS_CSV CANARY EXPECTED BENCH_SITES_CSV BENCH_QUERIES; do
  [[ -n ${!v:-} ]] || not_ok "env sets $v"
done
for f in "$CA_FILE" "$SITES_CSV" "$HOSTILE_CSV" "$LIES_CSV" "$APPS_CSV" "$EXPECTED" \
         "$BENCH_SITES_CSV" "$BENCH_QUERIES"; do
  [[ -s $f ]] || not_ok "file $f exists"
done
ok "env: every variable set, every file there"

inns() { ip netns exec "$CLIENT_NS" "$@"; }
q() { inns python3 "$here/dnsq.py" "$@"; }
# rr SERVER NAME TYPE [dnsq options] -> the answer section's values of TYPE, sorted, space-separated
rr() { local t=$3; q "$@" | awk -v t="$t" '$1 == "answer" && $3 == t {print $4}' | sort | xargs; }
# answers SERVER NAME TYPE -> "TYPE value" of every answer record, in order
answers() { q "$@" | awk '$1 == "answer" {print $3, $4}' | xargs; }
# web FAMILY-ADDRESS URL [curl args] -> "code redirect_url" and curl's exit status as "rc=N"
web() {
  local addr=$1 url=$2; shift 2
  local hostport=${url#*://}; hostport=${hostport%%/*}
  local port=80; [[ $url == https://* ]] && port=443
  local out rc=0
  out=$(inns curl -s -o /dev/null --connect-timeout 1 -m 3 -w '%{http_code} %{redirect_url}' \
        --resolve "$hostport:$port:$addr" "$@" "$url") || rc=$?
  echo "$out rc=$rc" | xargs
}
body() { # body ADDR URL [curl args] -> the body on stdout
  local addr=$1 url=$2; shift 2
  local hostport=${url#*://}; hostport=${hostport%%/*}
  local port=80; [[ $url == https://* ]] && port=443
  inns curl -s --connect-timeout 1 -m 3 --resolve "$hostport:$port:$addr" "$@" "$url"
}
hrefs() { grep -o 'href="[^"]*"' | sed 's/^href="//; s/"$//'; }

echo "# isolation"
is "net namespace has no default route (IPv4)" "$(ip -n "$NET_NS" -4 route show default)" ""
is "net namespace has no default route (IPv6)" "$(ip -n "$NET_NS" -6 route show default)" ""
is "net namespace: only lo and the veth" "$(ip -n "$NET_NS" -o link show | wc -l)" 2
is "client namespace: only lo and the veth" "$(ip -n "$CLIENT_NS" -o link show | wc -l)" 2
is "client has its IPv6 address, not tentative" \
   "$(ip -n "$CLIENT_NS" -6 addr show scope global | grep -c 'inet6 3ffe:99::2/64.*tentative')" 0

echo "# recursive resolver (unbound) and authoritative server (nsd)"
is "www.dual.lab AAAA via the resolver over IPv6" "$(rr "$RESOLVER6" www.dual.lab AAAA)" "3ffe:1::1:1"
is "www.dual.lab A via the resolver over IPv4" "$(rr "$RESOLVER4" www.dual.lab A)" "198.18.1.1"
is "the resolver over TCP" "$(rr "$RESOLVER6" www.dual.lab AAAA --tcp)" "3ffe:1::1:1"
is "www.v4only.lab has no AAAA" "$(q "$RESOLVER6" www.v4only.lab AAAA | grep -c '^answer')" 0
is "www.v4only.lab has an A" "$(rr "$RESOLVER4" www.v4only.lab A)" "198.18.1.2"
is "www.closed.lab AAAA" "$(rr "$RESOLVER6" www.closed.lab AAAA)" "3ffe:1::1:3"
is "www.blackhole.lab AAAA" "$(rr "$RESOLVER6" www.blackhole.lab AAAA)" "3ffe:1::1:4"
is "www.partial.lab AAAA" "$(rr "$RESOLVER6" www.partial.lab AAAA)" "3ffe:1::1:5"
is "old.partial.lab: A only" "$(answers "$RESOLVER6" old.partial.lab AAAA)|$(rr "$RESOLVER4" old.partial.lab A)" "|198.18.1.5"
is "old.redirv4.lab: A only" "$(answers "$RESOLVER6" old.redirv4.lab AAAA)|$(rr "$RESOLVER4" old.redirv4.lab A)" "|198.18.1.7"
is "www.cname.lab AAAA: CNAME to www.cdn4.lab and no AAAA" "$(answers "$RESOLVER6" www.cname.lab AAAA)" "CNAME www.cdn4.lab."
is "www.cname2.lab AAAA: CNAME to edge.cdn6.lab with AAAA" "$(answers "$RESOLVER6" www.cname2.lab AAAA)" \
   "CNAME edge.cdn6.lab. AAAA 3ffe:1::1:11"
is "www.ula.lab AAAA is unique local" "$(rr "$RESOLVER6" www.ula.lab AAAA)" "fd00:1::12"
is "www.example.gov.cn AAAA (stub zone under a public suffix)" "$(rr "$RESOLVER6" www.example.gov.cn AAAA)" "3ffe:1::1:15"
is "news.example.gov.cn AAAA" "$(rr "$RESOLVER6" news.example.gov.cn AAAA)" "3ffe:1::1:15"
is "canary.lab A and AAAA" "$(rr "$RESOLVER6" canary.lab AAAA) $(rr "$RESOLVER4" canary.lab A)" "3ffe:1::1:20 198.18.1.20"
is "dual.lab NS" "$(rr "$RESOLVER6" dual.lab NS)" "ns1.infra.lab. ns2.infra.lab."
is "ns1/ns2.infra.lab AAAA" "$(rr "$RESOLVER6" ns1.infra.lab AAAA) $(rr "$RESOLVER6" ns2.infra.lab AAAA)" "3ffe:1::53 3ffe:1::54"
is "ns1 answers authoritatively over IPv6 (no recursion asked)" \
   "$(q 3ffe:1::53 dual.lab NS --norec | head -1)" "status NOERROR flags qr aa"
is "ns2 answers authoritatively over IPv6" "$(q 3ffe:1::54 dual.lab NS --norec | head -1)" "status NOERROR flags qr aa"
is "nsv4.lab NS: the A-only name servers" "$(rr "$RESOLVER6" nsv4.lab NS)" "v4ns1.infra.lab. v4ns2.infra.lab."
is "v4ns1/v4ns2.infra.lab have no AAAA" \
   "$(answers "$RESOLVER6" v4ns1.infra.lab AAAA)|$(answers "$RESOLVER6" v4ns2.infra.lab AAAA)" "|"
is "v4ns1 answers over IPv4" "$(q 198.18.0.55 nsv4.lab NS --norec | head -1)" "status NOERROR flags qr aa"
is "nsdead.lab NS" "$(rr "$RESOLVER6" nsdead.lab NS)" "dead.infra.lab. ns1.infra.lab."
is "dead.infra.lab AAAA" "$(rr "$RESOLVER6" dead.infra.lab AAAA)" "3ffe:1::57"
is "dead.infra.lab: nothing answers on its AAAA" "$(q 3ffe:1::57 nsdead.lab NS --norec --timeout 0.5)" "timeout"
is "dead.infra.lab answers on its A" "$(q 198.18.0.57 nsdead.lab NS --norec | head -1)" "status NOERROR flags qr aa"
is "apps: api.goodapp.lab, img.goodapp.lab AAAA" \
   "$(rr "$RESOLVER6" api.goodapp.lab AAAA) $(rr "$RESOLVER6" img.goodapp.lab AAAA)" "3ffe:1::2:1 3ffe:1::2:1"
is "apps: old.halfapp.lab has no AAAA" "$(answers "$RESOLVER6" old.halfapp.lab AAAA)" ""
is "apps: api.refuseapp.lab AAAA" "$(rr "$RESOLVER6" api.refuseapp.lab AAAA)" "3ffe:1::2:3"

echo "# web sites (nginx), each family pinned"
is "dual over IPv6" "$(web '[3ffe:1::1:1]' http://www.dual.lab/)" "200 rc=0"
is "dual over IPv4" "$(web 198.18.1.1 http://www.dual.lab/)" "200 rc=0"
is "dual: home links" "$(body '[3ffe:1::1:1]' http://www.dual.lab/ | hrefs | xargs)" "/p1.html /p2.html /p3.html"
is "dual: p1 links" "$(body '[3ffe:1::1:1]' http://www.dual.lab/p1.html | hrefs | xargs)" "/q1.html /q2.html /"
is "dual: every page over IPv6" \
   "$(for p in p1 p2 p3 q1 q2; do web '[3ffe:1::1:1]' http://www.dual.lab/$p.html; done | sort -u)" "200 rc=0"
is "dual: image sizes over IPv6 (500 + 700 B)" \
   "$(body '[3ffe:1::1:1]' http://www.dual.lab/img/a.png | wc -c) $(body '[3ffe:1::1:11]' http://static.cdn6.lab/s.png | wc -c)" "500 700"
is "v4only over IPv4" "$(web 198.18.1.2 http://www.v4only.lab/)" "200 rc=0"
is "closed: refused over IPv6" "$(web '[3ffe:1::1:3]' http://www.closed.lab/)" "000 rc=7"
is "closed: 200 over IPv4" "$(web 198.18.1.3 http://www.closed.lab/)" "200 rc=0"
is "blackhole: connect times out over IPv6" "$(web '[3ffe:1::1:4]' http://www.blackhole.lab/)" "000 rc=28"
is "blackhole: 200 over IPv4" "$(web 198.18.1.4 http://www.blackhole.lab/)" "200 rc=0"
partial=$(body '[3ffe:1::1:5]' http://www.partial.lab/)
is "partial: 10 second-level links, 3 on old.partial.lab" \
   "$(hrefs <<<"$partial" | wc -l) $(hrefs <<<"$partial" | grep -c '^http://old.partial.lab/')" "10 3"
is "partial: p1 links 3 pages on www, 1 on old" \
   "$(body '[3ffe:1::1:5]' http://www.partial.lab/p1.html | hrefs | xargs)" \
   "/t1.html /t2.html /t3.html http://old.partial.lab/t4.html"
is "partial: images 1000 B over IPv6, 3000 B on old over IPv4" \
   "$(body '[3ffe:1::1:5]' http://www.partial.lab/img/a.png | wc -c) $(body 198.18.1.5 http://old.partial.lab/img/b.png | wc -c)" "1000 3000"
is "partial: pages of old.partial.lab over IPv4" \
   "$(for p in o1 o2 o3 t4; do web 198.18.1.5 http://old.partial.lab/$p.html; done | sort -u)" "200 rc=0"
is "differ: IPv6 serves the maintenance page" "$(body '[3ffe:1::1:6]' http://www.differ.lab/ | grep -c maintenance)" 1
is "differ: IPv4 serves the site with 2 links" \
   "$(body 198.18.1.6 http://www.differ.lab/ | grep -c maintenance) $(body 198.18.1.6 http://www.differ.lab/ | hrefs | wc -l)" "0 2"
is "redirect-v4: 301 to old.redirv4.lab over IPv6" "$(web '[3ffe:1::1:7]' http://www.redirv4.lab/)" \
   "301 http://old.redirv4.lab/ rc=0"
is "redirect-v4: old.redirv4.lab 200 over IPv4" "$(web 198.18.1.7 http://old.redirv4.lab/)" "200 rc=0"
is "tls: http redirects to https" "$(web '[3ffe:1::1:8]' http://www.tls.lab/)" "301 https://www.tls.lab/ rc=0"
is "tls: https over IPv6 with the lab CA" "$(web '[3ffe:1::1:8]' https://www.tls.lab/ --cacert "$CA_FILE")" "200 rc=0"
is "tls: https over IPv4 with the lab CA" "$(web 198.18.1.8 https://www.tls.lab/ --cacert "$CA_FILE")" "200 rc=0"
is "tls: without the CA the certificate fails" "$(web '[3ffe:1::1:8]' https://www.tls.lab/)" "000 rc=60"
is "tls: certificate names www.tls.lab" \
   "$(openssl x509 -in "$STATE/tls/site.pem" -noout -ext subjectAltName 2>/dev/null | grep -o 'DNS:[a-z.]*')" "DNS:www.tls.lab"
is "tls: second/third-level pages over https" \
   "$(for p in p1 p2 q1; do web '[3ffe:1::1:8]' https://www.tls.lab/$p.html --cacert "$CA_FILE"; done | sort -u)" "200 rc=0"
is "status: 503 over IPv6" "$(web '[3ffe:1::1:13]' http://www.status.lab/)" "503 rc=0"
is "status: 200 over IPv4" "$(web 198.18.1.13 http://www.status.lab/)" "200 rc=0"
is "cname: www.cdn4.lab serves www.cname.lab over IPv4" "$(web 198.18.1.10 http://www.cname.lab/)" "200 rc=0"
is "cname2: edge.cdn6.lab serves www.cname2.lab over IPv6" "$(web '[3ffe:1::1:11]' http://www.cname2.lab/)" "200 rc=0"
is "nonglobal: www.ula.lab over IPv4" "$(web 198.18.1.12 http://www.ula.lab/)" "200 rc=0"
is "ns-v4only and ns-dead sites over IPv6" \
   "$(web '[3ffe:1::1:9]' http://www.nsv4.lab/) $(web '[3ffe:1::1:14]' http://www.nsdead.lab/)" "200 rc=0 200 rc=0"
is "example.gov.cn over IPv6, news.example.gov.cn too" \
   "$(web '[3ffe:1::1:15]' http://www.example.gov.cn/) $(web '[3ffe:1::1:15]' http://news.example.gov.cn/n1.html)" \
   "200 rc=0 200 rc=0"
is "example.gov.cn: links" "$(body '[3ffe:1::1:15]' http://www.example.gov.cn/ | hrefs | xargs)" \
   "/p1.html http://news.example.gov.cn/n1.html http://www.other.gov.cn/ http://www.dual.lab/"
is "canary over both families" "$(web '[3ffe:1::1:20]' http://canary.lab/) $(web 198.18.1.20 http://canary.lab/)" \
   "200 rc=0 200 rc=0"
is "apps: goodapp and halfapp over IPv6, old.halfapp over IPv4" \
   "$(web '[3ffe:1::2:1]' http://api.goodapp.lab/) $(web '[3ffe:1::2:1]' http://img.goodapp.lab/) $(web '[3ffe:1::2:2]' http://api.halfapp.lab/) $(web 198.18.2.2 http://old.halfapp.lab/)" \
   "200 rc=0 200 rc=0 200 rc=0 200 rc=0"
is "apps: refuseapp refused over IPv6, 200 over IPv4" \
   "$(web '[3ffe:1::2:3]' http://api.refuseapp.lab/) $(web 198.18.2.3 http://api.refuseapp.lab/)" "000 rc=7 200 rc=0"

echo "# generated lists"
is "sites.csv: header and 15 sites" "$(head -1 "$SITES_CSV") $(($(wc -l <"$SITES_CSV") - 1))" "name,url,category,unit 15"
is "sites.csv: every site in expected.json" \
   "$(python3 -c 'import csv,json,sys; a={r["name"] for r in csv.DictReader(open(sys.argv[1]))}; b=set(json.load(open(sys.argv[2]))["sites"]); print(a==b)' "$SITES_CSV" "$EXPECTED")" True
is "sites.csv: categories" "$(tail -n +2 "$SITES_CSV" | cut -d, -f3 | sort -u | xargs)" \
   "education finance government media medical"
is "apps.csv: header and 3 apps" "$(head -1 "$APPS_CSV") $(($(wc -l <"$APPS_CSV") - 1))" "app,category,domains,ndpi 3"

echo "# hostile HTTP servers (hostile.py)"
n=$(inns curl -s -m 3 --resolve 'endless.hostile.lab:80:[3ffe:1::6:1]' http://endless.hostile.lab/ 2>/dev/null | head -c 2000000 | wc -c)
is "endless: the body goes on past 2 MB" "$n" 2000000
is "drip: 200, then about a byte a second (3 s: at most 4 bytes)" \
   "$(inns curl -s -o /dev/null -m 3 -w '%{http_code} %{size_download}' --resolve 'drip.hostile.lab:80:[3ffe:1::6:2]' http://drip.hostile.lab/ | awk '{print $1, ($2 >= 1 && $2 <= 4)}')" "200 1"
is "loop: / -> /b" "$(web '[3ffe:1::6:3]' http://loop.hostile.lab/)" "302 http://loop.hostile.lab/b rc=0"
is "loop: /b -> /a" "$(web '[3ffe:1::6:3]' http://loop.hostile.lab/b)" "302 http://loop.hostile.lab/a rc=0"
is "loop: /a -> /b" "$(web '[3ffe:1::6:3]' http://loop.hostile.lab/a)" "302 http://loop.hostile.lab/b rc=0"
is "headers: more than 200 KB of headers" \
   "$(inns curl -s -o /dev/null -m 3 -w '%{size_header}' --resolve 'headers.hostile.lab:80:[3ffe:1::6:4]' http://headers.hostile.lab/ | awk '{print ($1 > 200000)}')" 1
is "garbage: 200 text/html, 20000 bytes" \
   "$(inns curl -s -o /dev/null -m 3 -w '%{http_code} %{content_type} %{size_download}' --resolve 'garbage.hostile.lab:80:[3ffe:1::6:5]' http://garbage.hostile.lab/)" \
   "200 text/html 20000"
is "hostile servers answer over IPv4 too" "$(web 198.18.6.3 http://loop.hostile.lab/b)" "302 http://loop.hostile.lab/a rc=0"

echo "# lying DNS (liedns.py)"
for srv in "$LIEDNS4" "$LIEDNS6"; do
  is "lie other ($srv): AAAA of another name" "$(answers "$srv" www.other.lie.lab AAAA)" "AAAA 3ffe:1::1:1"
  is "lie other ($srv): the record's owner" "$(q "$srv" www.other.lie.lab AAAA | awk '$1=="answer"{print $2}')" "evil.example.lab."
  is "lie wrongtype ($srv): an A answers AAAA" "$(answers "$srv" www.wrongtype.lie.lab AAAA)" "A 198.18.1.1"
  is "lie loop ($srv): CNAME loop" "$(answers "$srv" www.loop.lie.lab AAAA)" "CNAME x.loop.lie.lab. CNAME www.loop.lie.lab."
  is "lie garbage ($srv): unparseable" "$(q "$srv" www.garbage.lie.lab AAAA | cut -d' ' -f1)" "malformed"
  is "lie short ($srv): cut in the middle of the record" "$(q "$srv" www.short.lie.lab AAAA)" "malformed record data cut short"
  is "lie tc ($srv): UDP says truncated" "$(q "$srv" www.tc.lie.lab AAAA)" "status NOERROR flags qr tc rd ra"
  is "lie tc ($srv): TCP gives the answer" "$(rr "$srv" www.tc.lie.lab AAAA --tcp)" "3ffe:1::1:1"
  is "lie other over TCP ($srv)" "$(answers "$srv" www.other.lie.lab AAAA --tcp)" "AAAA 3ffe:1::1:1"
done

echo "# bench zone (--bench $BENCH)"
is "bench_sites.csv: $BENCH sites" "$(($(wc -l <"$BENCH_SITES_CSV") - 1)) $(sed -n 2p "$BENCH_SITES_CSV")" \
   "$BENCH site00001,http://site00001.bench.lab/,bench,bench"
is "bench_queries.txt: A, AAAA and NS per site" \
   "$(wc -l <"$BENCH_QUERIES") $(head -3 "$BENCH_QUERIES" | xargs)" \
   "$((3 * BENCH)) site00001.bench.lab A site00001.bench.lab AAAA site00001.bench.lab NS"
is "site00017.bench.lab A and AAAA (wildcard)" \
   "$(rr "$RESOLVER4" site00017.bench.lab A) $(rr "$RESOLVER6" site00017.bench.lab AAAA)" "198.18.3.1 3ffe:1::3:1"
is "bench home page over IPv6: 200 and 5 internal links" \
   "$(web '[3ffe:1::3:1]' http://site00017.bench.lab/) $(body '[3ffe:1::3:1]' http://site00017.bench.lab/ | hrefs | grep -c '^/b')" \
   "200 rc=0 5"
if command -v dnsperf >/dev/null 2>&1; then
  out=$(inns dnsperf -s "$RESOLVER4" -d "$BENCH_QUERIES" -l 2 2>&1)
  qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
  lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
  check "dnsperf against the lab resolver: $qps queries/s, $lost lost" test -n "$qps"
else
  echo "# dnsperf not installed: bench rate not measured"
fi

echo "# down"
pids=$(cat "$STATE"/*.pid 2>/dev/null | xargs)
pids="$pids $(ip netns pids "$NET_NS" 2>/dev/null | xargs)"
trap - EXIT
check "lab.sh down" "$here/lab.sh" down "$STATE"
left=""
for ns in "$NET_NS" "$CLIENT_NS"; do ip netns list | grep -qw "$ns" && left="$left $ns"; done
is "no namespace left" "$left" ""
alive=""
sleep 0.2
for p in $pids; do  # a zombie waiting for init to reap it is dead (state Z)
  st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1 || true)
  [[ -n $st && $st != Z && $st != X ]] && alive="$alive $p:$st:$(cat "/proc/$p/comm" 2>/dev/null)"
done
is "no lab process left" "$alive" ""
is "no process mentions the state dir" "$(ps -eo args | grep -F "$STATE" | grep -vc grep)" 0
check "lab.sh down again: fine" "$here/lab.sh" down "$STATE"
check "lab.sh env after down fails" bash -c "! '$here/lab.sh' env '$STATE' 2>/dev/null"
[[ -z ${1:-} ]] && rm -rf "$STATE"

echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
