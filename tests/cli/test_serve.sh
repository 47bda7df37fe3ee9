#!/usr/bin/env bash
# tests/cli/test_serve.sh - `v6mon serve` end to end, with real clients.
#
# The database: synthetic mobile and metro captures through `v6mon
# traffic --db` (real traffic runs), plus one probe run and one kpi run
# written as rows by hand (the prober and kpi need the network or the lab).
# The server is started on 127.0.0.1 with a free port (--listen :0, the
# port read from its first stderr line), then:
#   - every JSON route equals what `v6mon report --format json` (and `v6mon
#     db export` for runs) prints for the same window and filters;
#   - bad parameters are 400 with a JSON error; traversal and encoded
#     targets 400/404; methods 405; bodies 413; big headers 431/414;
#   - /metrics passes `promtool check metrics`, its values equal the report;
#   - the dashboard's CSP allows exactly its own inline script and styles
#     (hashes computed here), headless Chromium loads it in English and
#     Chinese without console errors (a CSP violation is one), the
#     scorecard values in its DOM equal the API's, its refresh script polls
#     /api/v1/runs, screenshots are left in $TMP;
#   - a new run in the database shows at once (runs, indicators);
#   - the database file is not written by the server;
#   - ab: 20,000 requests, 1,000 concurrent, no failure, no non-2xx;
#   - a non-loopback address without a token is refused at start; with
#     --token every request needs the bearer token; [::1] works;
#   - SIGTERM stops it with exit 0.
. "$(dirname "$0")/lib.sh"
need python3
need curl
need sqlite3

SC="$V6M_SRC/tests/cli/serve_check.py"
sc() { python3 "$SC" "$@"; }
DB="$TMP/s.db"
REG="$V6M_SRC/data/ipv6plus.csv"

for spec in "mobile 0.40 1" "metro 0.12 2"; do
  read -r seg share seed <<< "$spec"
  "$V6MON" synth -o "$TMP/$seg.pcap" --mix "$seg=1" --start 2024-11-01 --days 3 \
    --ipv6-share "$share" --users 300 --packets 30000 --seed "$seed" --quiet
  "$V6MON" traffic --users --apps --db "$DB" --vantage "$seg-tap" "$TMP/$seg.pcap" > /dev/null
done
# One probe run (3 sites, one failing W1) and one kpi run (2 targets), as
# the store's own tables hold them (docs/store.md).
sqlite3 -batch "$DB" <<'SQL'
INSERT INTO probe_runs(started_ns, tool_version, config, complete, schema_version)
  VALUES (1730505600000000000, 'test-1', '{"vantage":"lab"}', 1, 4);
INSERT INTO probe_sites(run_id, name, url, category, unit, host, testable, supported, compliant,
  score, w1, w2, w3, w4, w5, w6, w7, status_v6, status_v4, attempts, attempts_ok, links_only_v4,
  links_only_v6, links_common, l2_found, l3_found, l2_total, l2_pass, l3_total, l3_pass,
  link_conc, res_total, res_v6_ok, res_bytes, res_bytes_v6, ipv6_only_ready, ipv6_only_blockers,
  zone, ns_total, ns_v6, ns_v6_answering, addrs_v4, addrs_v6, cname_chain, started_ns,
  duration_ms) VALUES
 ((SELECT max(id) FROM probe_runs), '市政府门户', 'https://www.gov.example/', 'government', 'unit',
  'www.gov.example', 1, 1, 1, 95, 'pass','pass','pass','pass','pass','pass','pass', 200, 200, 3, 3,
  0, 0, 0, 0, 0, 10, 9, 20, 18, 0.9, 0, 0, 1000, 900, 0, '', '', 0, 0, 0, '', '', '',
  1730505600000000000, 10),
 ((SELECT max(id) FROM probe_runs), 'Tax office', 'https://tax.gov.example/', 'government', 'unit',
  'tax.gov.example', 1, 0, 0, 20, 'fail','pass','fail','pass','pass','pass','pass', 0, 200, 3, 0,
  0, 0, 0, 0, 0, 10, 0, 20, 0, NULL, 0, 0, 1000, 0, 0, '', '', 0, 0, 0, '', '', '',
  1730505700000000000, 10),
 ((SELECT max(id) FROM probe_runs), 'University', 'https://uni.edu.example/', 'education', 'unit',
  'uni.edu.example', 1, 1, 0, 70, 'pass','pass','pass','pass','pass','pass','pass', 200, 200, 3, 3,
  0, 0, 0, 0, 0, 10, 5, 20, 10, 0.5, 0, 0, 1000, 500, 0, '', '', 0, 0, 0, '', '', '',
  1730505800000000000, 10);
INSERT INTO probe_checks VALUES ((SELECT max(id) FROM probe_runs),
  (SELECT id FROM probe_sites WHERE url = 'https://tax.gov.example/'), 'u', 'W1', 'fail', NULL, 0,
  1, 'no_aaaa', 'no AAAA record for tax.gov.example', '');
INSERT INTO kpi_runs(started, finished, started_utc, finished_utc, vantage, tool_version, rounds,
  interval_s, targets, targets_done, vantage_v4, vantage_v6, verdict, interrupted, schema_version)
  VALUES (1730592000, 1730592060, '2024-11-03T00:00:00Z', '2024-11-03T00:01:00Z', 'lab', 'test-1',
  3, 1, 2, 2, 1, 1, 'degraded', 0, 4);
INSERT INTO kpi_targets(run_id, target, host, name, category, has_a, has_aaaa, reach_v4, reach_v6,
  rounds, verdict) VALUES
 ((SELECT max(id) FROM kpi_runs), 'www.gov.example', 'www.gov.example', 'gov', 'government',
  1, 1, 1, 1, 3, 'converged'),
 ((SELECT max(id) FROM kpi_runs), 'video.example', 'video.example', 'video', 'video',
  1, 1, 1, 1, 3, 'degraded');
INSERT INTO kpi_metrics(run_id, target, metric, v4, v6, n4, n6, d, verdict) VALUES
 ((SELECT max(id) FROM kpi_runs), 'www.gov.example', 'tcp_rtt_median', 10, 10.5, 10, 10, 0.05,
  'converged'),
 ((SELECT max(id) FROM kpi_runs), 'video.example', 'tcp_rtt_median', 10, 15, 10, 10, 0.5,
  'degraded'),
 ((SELECT max(id) FROM kpi_runs), 'video.example', 'loss', 0.0, 0.02, 100, 100, 0.02, 'degraded');
SQL

# ---- refused at start -------------------------------------------------------------------------
expect_exit 129 "0.0.0.0 without a token is refused" "$V6MON" serve "$DB" --listen 0.0.0.0:0
check "... saying a token is needed" contains "$TMP/last.err" "needs --token or --token-file"
expect_exit 129 "[::] without a token is refused" "$V6MON" serve "$DB" --listen '[::]:0'
expect_exit 129 "a routable address without a token is refused" "$V6MON" serve "$DB" \
  --listen 192.0.2.1:0
expect_exit 129 "a short token is refused" "$V6MON" serve "$DB" --token short
expect_exit 129 "a token with a space is refused" "$V6MON" serve "$DB" --token "abcdefgh ijklmnopq"
expect_exit 129 "--token and --token-file together" "$V6MON" serve "$DB" --token \
  abcdefghijklmnopq --token-file /dev/null
expect_exit 129 "listen without a port" "$V6MON" serve "$DB" --listen 127.0.0.1
expect_exit 129 "a host name is not looked up" "$V6MON" serve "$DB" --listen example.com:80
expect_exit 129 "bad default window" "$V6MON" serve "$DB" --window fortnight
expect_exit 129 "bad --now" "$V6MON" serve "$DB" --now yesterday
expect_exit 1 "missing database" "$V6MON" serve "$TMP/nope.db" --listen 127.0.0.1:0
check "... is named" contains "$TMP/last.err" "nope.db"
expect_exit 0 "serve --help" "$V6MON" serve --help
check "... is the serve page" contains "$TMP/last.out" "v6mon serve"

# ---- servers ------------------------------------------------------------------------------------
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
# start NAME ARGS...: sets PID and BASE (http://HOST:PORT) or fails the test.
start() {
  local name=$1 i
  shift
  "$V6MON" serve "$DB" "$@" 2> "$TMP/$name.log" &
  PID=$!
  PIDS+=("$PID")
  BASE=
  for i in $(seq 1 200); do
    BASE=$(sed -n 's|^serve: listening on \(http://[^ ]*\)/ .*|\1|p' "$TMP/$name.log")
    [[ -n $BASE ]] && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z $BASE ]]; then
    not_ok "$name: server did not start"; sed 's/^/  | /' "$TMP/$name.log" | head -5; return 1
  fi
  ok "$name: listening on $BASE"
}

sum_before=$(sha256sum < "$DB")
start main --listen 127.0.0.1:0 --registry "$REG" --refresh 2
MAIN_PID=$PID
MAIN=$BASE

check "API equals 'v6mon report --format json' (10 windows and filters)" \
  sc same-as-report "$MAIN" "$V6MON" "$DB" --registry "$REG"
check "sites, apps, traffic, kpi equal the report's parts" \
  sc parts "$MAIN" "$V6MON" "$DB" --registry "$REG"
check "runs: every run table as 'v6mon db export' has it, the runs the figures rest on" \
  sc runs "$MAIN" "$V6MON" "$DB" traffic=2 probe=1 kpi=1
check "bad parameters: 400 with a JSON error; unknown routes: 404" sc errors "$MAIN"
check "traversal and encoded targets: 400/404, never a file" sc traversal "$MAIN"
check "methods 405, bodies 413, big headers 431/414, HEAD" sc methods "$MAIN"
check "keep-alive" sc keepalive "$MAIN"
check "security headers; dashboard CSP = hashes of its own script and styles" sc headers "$MAIN"
check "/metrics values and targets equal the report" sc metrics "$MAIN" "$V6MON" "$DB" \
  --registry "$REG"

if command -v promtool >/dev/null 2>&1; then
  curl -sf "$MAIN/metrics?window=all" > "$TMP/metrics.txt"
  check "promtool check metrics (window all)" bash -c "promtool check metrics < '$TMP/metrics.txt' > '$TMP/promtool.out' 2>&1"
  curl -sf "$MAIN/metrics" > "$TMP/metrics30.txt"
  check "promtool check metrics (30d)" bash -c "promtool check metrics < '$TMP/metrics30.txt' 2>&1"
  sed 's/^/  | /' "$TMP/promtool.out" | head -5
else
  echo "SKIP (part): promtool is not installed (Debian package prometheus)"
fi

# ---- the dashboard in headless Chromium ------------------------------------------------------
if command -v chromium >/dev/null 2>&1; then
  polls0=$(sc print-metric "$MAIN" v6mon_http_requests_total route=/api/v1/runs,code=200)
  for lang in en zh; do
    rc=0
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-extensions \
      --no-first-run --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
      --dump-dom "$MAIN/?lang=$lang" > "$TMP/dom.$lang.html" 2> "$TMP/chromium.$lang.log" || rc=$?
    check "chromium ($lang): dashboard loads" test "$rc" -eq 0 -a -s "$TMP/dom.$lang.html"
    check "chromium ($lang): no console errors (CSP violations included)" bash -c \
      "! grep -E 'CONSOLE|Uncaught|Refused to|ERR_|Content Security' '$TMP/chromium.$lang.log' | grep -q ."
    check "chromium ($lang): DOM scorecard values equal the API" \
      sc dom "$MAIN" "$TMP/dom.$lang.html" "$lang"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --screenshot="$TMP/dashboard.$lang.png" --window-size=1280,2000 "$MAIN/?lang=$lang" \
      > /dev/null 2>&1 || true
    check "chromium ($lang): screenshot written ($TMP/dashboard.$lang.png)" \
      test -s "$TMP/dashboard.$lang.png"
  done
  polls1=$(sc print-metric "$MAIN" v6mon_http_requests_total route=/api/v1/runs,code=200)
  check "the dashboard's script ran under its CSP and polled /api/v1/runs ($polls0 -> $polls1)" \
    test "$polls1" -gt "$polls0"
else
  echo "SKIP (part): chromium is not installed; the browser checks did not run"
fi

# ---- load: 1,000 concurrent connections ------------------------------------------------------
if command -v ab >/dev/null 2>&1; then
  ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  if [[ $(ulimit -n) == unlimited || $(ulimit -n) -ge 1100 ]]; then
    ab -n 20000 -c 1000 -s 60 "$MAIN/api/v1/indicators" > "$TMP/ab.txt" 2>&1 || true
    rps=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$TMP/ab.txt")
    check "ab -n 20000 -c 1000: all complete ($rps requests/s)" \
      grep -qE '^Complete requests: +20000$' "$TMP/ab.txt"
    check "ab: 0 failed requests" grep -qE '^Failed requests: +0$' "$TMP/ab.txt"
    check "ab: no non-2xx answers" bash -c "! grep -q 'Non-2xx' '$TMP/ab.txt'"
    ab -k -n 20000 -c 1000 -s 60 "$MAIN/" > "$TMP/ab-k.txt" 2>&1 || true
    rps=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$TMP/ab-k.txt")
    check "ab -k dashboard: 20000 complete, 0 failed, all 2xx ($rps requests/s)" bash -c \
      "grep -qE '^Complete requests: +20000$' '$TMP/ab-k.txt' && grep -qE '^Failed requests: +0$' '$TMP/ab-k.txt' && ! grep -q Non-2xx '$TMP/ab-k.txt'"
  else
    echo "SKIP (part): the open file limit ($(ulimit -n)) is too low for ab -c 1000"
  fi
else
  echo "SKIP (part): ab is not installed (Debian package apache2-utils)"
fi
check "the server is still up after the load" sc keepalive "$MAIN"
check "the server did not write the database" test "$(sha256sum < "$DB")" = "$sum_before"

# ---- mixed load while a run is written -------------------------------------------------------
sc mixed "$MAIN" 8 > "$TMP/mixed.out" 2>&1 &
mixed_pid=$!
sleep 2
"$V6MON" synth -o "$TMP/m3.pcap" --mix "metro=1" --start 2024-11-02 --days 1 \
  --ipv6-share 0.2 --users 100 --packets 4000 --seed 11 --quiet
"$V6MON" traffic --users --apps --db "$DB" --vantage metro-tap2 "$TMP/m3.pcap" > /dev/null
rc=0
wait "$mixed_pid" || rc=$?
sed 's/^/ /' "$TMP/mixed.out"
check "24 clients, every route, 20 scorecard queries (the cache holds 16), a run written meanwhile" \
  test "$rc" -eq 0

# ---- a new run lands while serving ----------------------------------------------------------
curl -sf "$MAIN/api/v1/runs" > "$TMP/runs.before.json"
"$V6MON" synth -o "$TMP/m2.pcap" --mix "mobile=1" --start 2024-11-04 --days 1 \
  --ipv6-share 0.6 --users 100 --packets 4000 --seed 9 --quiet
"$V6MON" traffic --users --apps --db "$DB" --vantage mobile-tap "$TMP/m2.pcap" > /dev/null
curl -sf "$MAIN/api/v1/runs" > "$TMP/runs.after.json"
check "a new run changes /api/v1/runs (what the dashboard polls)" \
  bash -c "! cmp -s '$TMP/runs.before.json' '$TMP/runs.after.json'"
check "... and the figures follow at once" \
  sc same-as-report "$MAIN" "$V6MON" "$DB" --registry "$REG"
check "... runs: 4 traffic runs" sc runs "$MAIN" "$V6MON" "$DB" traffic=4 probe=1 kpi=1

# ---- SIGTERM ----------------------------------------------------------------------------------
kill -TERM "$MAIN_PID"
rc=0
if timeout 10 tail --pid="$MAIN_PID" -f /dev/null; then
  wait "$MAIN_PID" || rc=$?
else
  kill -KILL "$MAIN_PID" 2>/dev/null || true
  rc=124
fi
check "SIGTERM: exit 0" test "$rc" -eq 0
check "SIGTERM: stopped cleanly" contains "$TMP/main.log" "serve: stopped after"
check "no warnings but the refused oversized requests" bash -c \
  "! grep 'warning' '$TMP/main.log' | grep -v 'Request too big' | grep -q ."

# ---- a fixed reference time, the wall clock ---------------------------------------------------
start fixed --listen 127.0.0.1:0 --now 1730592000
check "--now UNIXTIME: equals 'report --now'" sc same-as-report "$BASE" "$V6MON" "$DB" \
  --now 1730592000
start wall --listen 127.0.0.1:0 --now wall --window all
check "--now wall: a scorecard of the wall clock" python3 -c "
import json, sys, time, urllib.request
d = json.load(urllib.request.urlopen('$BASE/api/v1/indicators'))
r = d['reference']
sys.exit(not (r['from_data'] is False and abs(r['now_s'] - time.time()) < 120))"

# ---- token ------------------------------------------------------------------------------------
TOKEN=$(python3 -c "import secrets; print(secrets.token_urlsafe(24))")
printf '%s\n' "$TOKEN" > "$TMP/token"
chmod 600 "$TMP/token"
start token --listen 127.0.0.1:0 --token-file "$TMP/token"
check "--token-file: 401 without the bearer token, 200 with it" sc auth "$BASE" "$TOKEN"
check "a 401 is counted in /metrics" bash -c \
  "test \"\$(curl -s -H 'Authorization: Bearer $TOKEN' '$BASE/metrics' | sed -n 's/^v6mon_http_requests_total{route=\"other\",code=\"401\"} //p')\" -gt 0"
start token2 --listen 127.0.0.1:0 --token "$TOKEN"
check "--token: the same" sc auth "$BASE" "$TOKEN"

# ---- IPv6 loopback ---------------------------------------------------------------------------
if grep -q '^00000000000000000000000000000001' /proc/net/if_inet6 2>/dev/null; then
  start v6 --listen '[::1]:0'
  check "[::1]: the API answers over IPv6" bash -c \
    "curl -sfg '$BASE/api/v1/runs' | python3 -c 'import json,sys; json.load(sys.stdin)'"
  check "[::1]: listening address printed as [::1]" bash -c "case '$BASE' in http://\\[::1\\]:*) ;; *) exit 1;; esac"
else
  echo "SKIP (part): no IPv6 loopback address"
fi
finish
