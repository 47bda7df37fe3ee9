#!/usr/bin/env bash
# tests/cli/test_probe_lab.sh - `v6mon probe` against the lab of real
# servers (tests/lab/netlab.py: nginx, nsd, unbound, hostile HTTP and DNS
# servers in two network namespaces). Every site's W1..W7 outcome, reason
# code, link counts and resource bytes are compared with
# tests/lab/expected.json; hostile servers and lying DNS must end with
# their reason; apps; a vantage point without IPv6 must report "not
# testable", never "fail"; results land in the store.
. "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "needs root to create network namespaces"
ip netns add "v6probe-check-$$" 2>/dev/null || skip "cannot create a network namespace here"
ip netns del "v6probe-check-$$"
for tool in nginx nsd unbound openssl nft python3; do need "$tool"; done

LAB="$TMP/lab"
python3 "$V6M_SRC/tests/lab/netlab.py" up "$LAB" || { not_ok "lab comes up"; finish; exit 1; }
trap 'python3 "$V6M_SRC/tests/lab/netlab.py" down "$LAB"' EXIT
eval "$(python3 "$V6M_SRC/tests/lab/netlab.py" env "$LAB")"
CHECK="python3 $V6M_SRC/tests/lab/check_expected.py"
probe() { ip netns exec "$CLIENT_NS" "$V6MON" probe "$@" --timeout 3s --connect-timeout 2s --spacing 200ms; }

# 1. every kind of site, with the lab CA, stored in the database
probe sites "$SITES_CSV" --resolver "$RESOLVER4" --canary "$CANARY" --ca-file "$CA_FILE" \
  --format json --db "$TMP/probe.db" > "$TMP/sites.jsonl" 2> "$TMP/sites.err"
check "sites: every check, code, count and byte share as expected" $CHECK sites "$TMP/sites.jsonl" "$EXPECTED"
n=$(sqlite3 "$TMP/probe.db" "select count(*) from probe_sites where run_id = (select max(id) from probe_runs)")
check "sites: 15 sites stored" test "$n" = 15
n=$(sqlite3 "$TMP/probe.db" "select count(*) from probe_urls where site_url = 'http://www.partial.lab/'")
check "sites: partial.lab's 15 pages stored" test "$n" = 15
n=$(sqlite3 "$TMP/probe.db" "select code from probe_checks where site_url = 'http://www.closed.lab/' and check_id = 'W3'")
check "sites: closed.lab W3 reason stored" test "$n" = W3_REFUSED

# 2. the IPv6 transport to the resolver, and the TLS site without the lab CA
probe sites "$SITES_CSV" --resolver "$RESOLVER6" --canary "$CANARY" --no-crawl --format json \
  > "$TMP/noca.jsonl" 2>/dev/null
check "no CA: tls.lab fails W3 with a certificate reason" python3 - "$TMP/noca.jsonl" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if '"name":"tls.lab"' in l][0]
w3 = s["checks"]["W3"]
assert w3["state"] == "fail" and w3["code"] == "W3_TLS_CERT", w3
assert "certificate" in w3["message"], w3
PY

# 3. hostile HTTP servers: each ends with its reason, the run goes on
probe sites "$HOSTILE_CSV" --resolver "$RESOLVER6" --canary "$CANARY" --retries 0 --format json \
  > "$TMP/hostile.jsonl" 2>/dev/null
check "hostile: endless, drip, loop, huge headers, garbage" $CHECK hostile "$TMP/hostile.jsonl" "$EXPECTED"

# 4. a DNS server that lies
probe sites "$LIES_CSV" --resolver "$LIEDNS4" --no-self-check --no-crawl --dns-timeout 500ms \
  --dns-tries 1 --format json > "$TMP/lies.jsonl" 2>/dev/null
check "lies: bogus and malformed answers are named" $CHECK lies "$TMP/lies.jsonl" "$EXPECTED"

# 5. apps
probe apps "$APPS_CSV" --resolver "$RESOLVER4" --canary "$CANARY" --format json \
  > "$TMP/apps.jsonl" 2>/dev/null
check "apps: support and failing domains" $CHECK apps "$TMP/apps.jsonl" "$EXPECTED"

# 6. a vantage point without working IPv6 (the only canary has no AAAA)
probe sites "$SITES_CSV" --resolver "$RESOLVER4" --canary http://www.v4only.lab/ --no-crawl \
  --format json > "$TMP/untestable.jsonl" 2> "$TMP/untestable.err"
check "no IPv6 at the vantage point: not testable, never fail" $CHECK untestable "$TMP/untestable.jsonl" "$EXPECTED"
check "no IPv6 at the vantage point: a warning says so" grep -qi "ipv6" "$TMP/untestable.err"

# 7. Ctrl-C: what finished is stored and reported, the run says interrupted
printf 'name,url,category,unit\nfast,http://www.dual.lab/,government,u\nslow,http://www.blackhole.lab/,finance,u\n' \
  > "$TMP/int.csv"
ip netns exec "$CLIENT_NS" "$V6MON" probe sites "$TMP/int.csv" --resolver "$RESOLVER4" --canary "$CANARY" \
  --timeout 20s --connect-timeout 20s --format json --db "$TMP/int.db" > "$TMP/int.jsonl" 2> "$TMP/int.err" &
pid=$!
for _ in $(seq 1 100); do grep -q '"name":"fast"' "$TMP/int.jsonl" 2>/dev/null && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid" && rc=0 || rc=$?
check "interrupt: exit 0 after Ctrl-C" test "$rc" -eq 0
check "interrupt: the finished site was streamed" grep -q '"name":"fast"' "$TMP/int.jsonl"
n=$(sqlite3 "$TMP/int.db" "select count(*) || ',' || (select interrupted from probe_runs) from probe_sites")
check "interrupt: finished site stored, run marked interrupted ($n)" test "$n" = "1,1"

# 8. the lab goes away without leftovers
trap - EXIT
python3 "$V6M_SRC/tests/lab/netlab.py" down "$LAB"
left=$(ip netns list | grep -cE "^($CLIENT_NS|$NET_NS)( |$)" || true)
check "lab down: its namespaces are gone" test "$left" = 0
finish
