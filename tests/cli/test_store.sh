#!/usr/bin/env bash
# --db: the run and its buckets land in SQLite; the stored sums equal the
# report; re-running the same input replaces the run instead of adding to it;
# different options or --run-id make a new run.
source "$(dirname "$0")/lib.sh"
need sqlite3
need python3

CAP="$TMP/s.pcap"
"$V6MON" synth --seed 5 --packets 20000 --duration 1800 -o "$CAP" >/dev/null
DB="$TMP/v6.db"
q() { sqlite3 -batch -noheader "$DB" "$1"; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

expect_exit 0 "first run stored" "$V6MON" traffic --db "$DB" --vantage lab --format json "$CAP"
cp "$TMP/last.out" "$TMP/r1.json"
check "one run" test "$(q 'SELECT count(*) FROM runs')" = 1
check "vantage stored" test "$(q 'SELECT vantage FROM runs')" = lab
v6=$(field "$TMP/r1.json" "d['totals']['ipv6']['bytes']")
v4=$(field "$TMP/r1.json" "d['totals']['ipv4']['packets']")
check "stored IPv6 bytes equal the report ($v6)" \
  test "$(q "SELECT sum(bytes) FROM traffic_buckets WHERE family='ipv6'")" = "$v6"
check "stored IPv4 packets equal the report ($v4)" \
  test "$(q "SELECT sum(packets) FROM traffic_buckets WHERE family='ipv4'")" = "$v4"
nb=$(q 'SELECT count(DISTINCT bucket_start) FROM traffic_buckets')
check "several 5-minute buckets ($nb)" test "$nb" -ge 6

expect_exit 0 "same input again" "$V6MON" traffic --db "$DB" --format json "$CAP"
check "still one run" test "$(q 'SELECT count(*) FROM runs')" = 1
check "report says replaced" python3 -c "import json,sys; sys.exit(not json.load(open('$TMP/last.out'))['store']['replaced'])"
check "no double count" \
  test "$(q "SELECT sum(bytes) FROM traffic_buckets WHERE family='ipv6'")" = "$v6"

cat "$CAP" | "$V6MON" traffic --db "$DB" - >/dev/null
check "same bytes from stdin are the same run" test "$(q 'SELECT count(*) FROM runs')" = 1

expect_exit 0 "other bucket width" "$V6MON" traffic --db "$DB" --bucket 1m "$CAP"
check "is a second run" test "$(q 'SELECT count(*) FROM runs')" = 2
expect_exit 0 "explicit run id" "$V6MON" traffic --db "$DB" --run-id day-1 "$CAP"
expect_exit 0 "explicit run id again" "$V6MON" traffic --db "$DB" --run-id day-1 "$CAP"
check "run id identifies the run" test "$(q "SELECT count(*) FROM runs WHERE run_key='day-1'")" = 1
check "three runs" test "$(q 'SELECT count(*) FROM runs')" = 3

expect_exit 1 "database in a missing directory" "$V6MON" traffic --db "$TMP/no/such/dir/x.db" "$CAP"
check "names the database" contains "$TMP/last.err" "$TMP/no/such/dir/x.db"
finish
