#!/usr/bin/env bash
# tests/cli/test_kpi_cli.sh - `v6mon kpi` without the lab: bad command
# lines, target files and thresholds files get clear messages and exit
# codes; data/kpi.conf is exactly the built-in defaults; a run against
# loopback (IPv4 only: ::1 is not a global address, so the target has no
# usable AAAA) completes with the IPv4 side measured and the verdict
# no_aaaa, and --db stores it; --from-sites needs a probe run. DNS and
# the families side by side are tested in the lab (test_kpi_lab.sh).
. "$(dirname "$0")/lib.sh"
need python3

expect_exit 129 "no target file" "$V6MON" kpi
expect_exit 1 "missing file" "$V6MON" kpi "$TMP/nope.txt"
check "missing file is named" contains "$TMP/last.err" "nope.txt"
printf '# nothing\n' > "$TMP/none.txt"
expect_exit 1 "no targets" "$V6MON" kpi "$TMP/none.txt"
check "no targets message" contains "$TMP/last.err" "no targets"
printf 'a.lab http://v/x.m3u8 extra\n' > "$TMP/three.txt"
expect_exit 1 "three words on a line" "$V6MON" kpi "$TMP/three.txt"
check "three words: line named" contains "$TMP/last.err" "three.txt:1"
printf '127.0.0.1\n' > "$TMP/one.txt"
expect_exit 129 "bad rounds" "$V6MON" kpi "$TMP/one.txt" --rounds 0
expect_exit 129 "bad icmp mode" "$V6MON" kpi "$TMP/one.txt" --icmp carrier-pigeon
expect_exit 129 "bad interval" "$V6MON" kpi "$TMP/one.txt" --interval soon
expect_exit 1 "bad video variant" "$V6MON" kpi "$TMP/one.txt" --video-variant fastest
expect_exit 129 "--from-sites needs --db" "$V6MON" kpi --from-sites
printf 'threshold = 0.3\nfloor.nosuch = 2\n' > "$TMP/bad.conf"
expect_exit 129 "unknown thresholds key" "$V6MON" kpi "$TMP/one.txt" --thresholds "$TMP/bad.conf"
check "unknown key: file and line named" contains "$TMP/last.err" "bad.conf:2: unknown key 'floor.nosuch'"
expect_exit 0 "help page" "$V6MON" help kpi
check "help names the metrics" contains "$TMP/last.out" "video_stall_ratio"

# data/kpi.conf must say exactly what the built-in defaults are: the
# stored config of a run with and without it is the same.
cat > "$TMP/quick-args" <<EOF
--rounds 2 --interval 0 --pings 10 --ping-spacing 5ms --tcp-tries 3 --dns-tries 1 --no-page
--no-video --no-self-check --resolver 127.0.0.1:9 --dns-timeout 200ms --port 9 --tcp-timeout 500ms
--max-parallel 2
EOF
read -r -a QUICK <<< "$(tr '\n' ' ' < "$TMP/quick-args")"
"$V6MON" kpi "$TMP/one.txt" "${QUICK[@]}" --db "$TMP/a.db" -f json > "$TMP/a.json" 2> "$TMP/a.err" && rc=0 || rc=$?
check "loopback run completes (exit 0)" test "$rc" -eq 0
[[ $rc -eq 0 ]] || sed 's/^/  | /' "$TMP/a.err" | head
"$V6MON" kpi "$TMP/one.txt" "${QUICK[@]}" --thresholds "$V6M_SRC/data/kpi.conf" --db "$TMP/b.db" \
  -f json > "$TMP/b.json" 2>/dev/null && rc=0 || rc=$?
check "run with data/kpi.conf completes" test "$rc" -eq 0
check "data/kpi.conf equals the built-in defaults" python3 - "$TMP/a.db" "$TMP/b.db" <<'PY'
import sqlite3, sys, json
a, b = (json.loads(sqlite3.connect(p).execute("SELECT config FROM kpi_runs").fetchone()[0])
        for p in sys.argv[1:3])
assert a == b, (a, b)
assert a["threshold"] == 0.2 and a["floor"]["loss"] == 0.01 and a["floor"]["icmp_rtt_median"] == 30
PY
check "loopback run: IPv4 measured, no AAAA" python3 - "$TMP/a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
t = d["targets"][0]
assert t["verdict"] == "no_aaaa", t["verdict"]
assert t["has_a"] and not t["has_aaaa"]
m = t["metrics"]
# port 9 on loopback refuses: every connect fails, counted
assert m["tcp_success"]["n4"] == 6 and m["tcp_success"]["v4"] == 0, m["tcp_success"]
assert m["tcp_success"]["n6"] == 0 and m["tcp_success"]["verdict"] == "insufficient"
# an address literal needs no DNS: nothing is asked, no DNS sample
assert m["dns_success"]["n4"] == 0 and m["dns_success"]["verdict"] == "insufficient", m["dns_success"]
if d["run"]["icmp_v4"] != "none":
    # loopback answers every echo: 2 rounds x 10 echoes, no loss
    assert t["latency_method"] == "icmp"
    assert m["loss"]["n4"] == 20 and m["loss"]["v4"] == 0, m["loss"]
    assert m["icmp_rtt_median"]["v4"] is not None and m["icmp_rtt_median"]["v4"] < 50
assert d["run"]["rounds"] == 2 and t["rounds"] == 2
PY
check "stored: one run, one target, 16 metrics, raw samples" python3 - "$TMP/a.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT count(*) FROM kpi_runs").fetchone()[0] == 1
assert db.execute("SELECT verdict FROM kpi_targets").fetchone()[0] == "no_aaaa"
assert db.execute("SELECT count(*) FROM kpi_metrics").fetchone()[0] == 16
n = db.execute("SELECT count(*) FROM kpi_samples WHERE metric = 'tcp' AND family = 4").fetchone()[0]
assert n == 6, n
assert db.execute("PRAGMA user_version").fetchone()[0] >= 4
PY
"$V6MON" kpi "$TMP/one.txt" "${QUICK[@]}" -f csv > "$TMP/a.csv" 2>/dev/null
check "csv: header and 16 rows" python3 - "$TMP/a.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 16, len(rows)
assert rows[0]["metric"] == "loss" and rows[0]["target"] == "127.0.0.1"
PY
"$V6MON" kpi "$TMP/one.txt" "${QUICK[@]}" > "$TMP/a.txt" 2>/dev/null
check "text: verdict line" contains "$TMP/a.txt" "verdict: NO AAAA"
check "text: sample sizes beside values" grep -qE "tcp_success +0\.0% \(6\)" "$TMP/a.txt"

# Ctrl-C in the middle of a run: what finished is reported and stored with
# interrupted = 1, exit 0, and nothing in flight is left behind (under
# ASan+UBSan this also checks the abandon path for leaks and use after free)
printf '127.0.0.1\nlocalhost.invalid\n' > "$TMP/int.txt"
"$V6MON" kpi "$TMP/int.txt" --rounds 1000 --interval 1s --no-self-check --resolver 127.0.0.1:9 \
  --dns-timeout 300ms --port 9 --tcp-timeout 5s --db "$TMP/int.db" -f json \
  > "$TMP/int.json" 2> "$TMP/int.err" & pid=$!
sleep 2
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
check "interrupted run exits 0" test "$rc" -eq 0
check "interrupted run says so" contains "$TMP/int.err" "interrupted after"
check "interrupted run: reported and stored as interrupted" python3 - "$TMP/int.json" "$TMP/int.db" <<'PY'
import json, sqlite3, sys
d = json.load(open(sys.argv[1]))
assert d["run"]["interrupted"] is True and d["run"]["targets"] == 2, d["run"]
db = sqlite3.connect(sys.argv[2])
assert db.execute("SELECT interrupted FROM kpi_runs").fetchone()[0] == 1
PY

# --from-sites on a database without probe runs: a clear error
expect_exit 1 "--from-sites without probe runs" "$V6MON" kpi --from-sites --db "$TMP/a.db"
check "--from-sites error says what to run" contains "$TMP/last.err" "v6mon probe sites"
finish
