#!/usr/bin/env bash
# v6mon db info|export|prune on a real store: traffic runs written by the
# tool, probe runs (and kpi runs when the schema has them) added with
# sqlite3. Every number and every exported value is checked against
# Python's own sqlite3 module reading the same file (an independent
# reader), and prune's deletions against counts made by plain SQL before
# it ran. Also: a newer schema is refused by prune and left alone,
# damaged files give a clear error, bad command lines exit 129.
source "$(dirname "$0")/lib.sh"
need sqlite3
need python3

CAP="$TMP/s.pcap"
DB="$TMP/v6.db"
"$V6MON" synth --seed 7 --packets 4000 --duration 900 --users 50 -o "$CAP" >/dev/null
q() { sqlite3 -batch -noheader "$DB" "$1"; }

expect_exit 0 "traffic run 1 (users, apps)" "$V6MON" traffic --db "$DB" --users --apps "$CAP"
expect_exit 0 "traffic run 2" "$V6MON" traffic --db "$DB" --run-id second "$CAP"
expect_exit 0 "traffic run 3" "$V6MON" traffic --db "$DB" --run-id third --bucket 1m "$CAP"
NOW=$(date +%s)
OLD_NS=$(( (NOW - 200 * 86400) * 1000000000 ))
MID_NS=$(( (NOW - 30 * 86400) * 1000000000 ))
# Run 1 made 200 days ago, run 2 30 days ago, run 3 now.
q "UPDATE runs SET started_ns = $OLD_NS, finished_ns = $OLD_NS + 5000000000 WHERE run_key NOT IN ('second', 'third');
   UPDATE runs SET started_ns = $MID_NS, finished_ns = $MID_NS WHERE run_key = 'second';"
OLD_TRAFFIC=$(q "SELECT id FROM runs WHERE started_ns = $OLD_NS")
# Probe runs: 1 (200 days ago, two sites with checks), 2 (no start: timed by
# its finish, now), 3 (no time at all: kept by every prune).
q "INSERT INTO probe_runs(id, started_ns, finished_ns, tool_version, schema_version)
     VALUES (1, $OLD_NS, $OLD_NS, '0.0.9', 3), (2, NULL, ${NOW}000000000, '0.1.0', 3),
            (3, NULL, NULL, '0.1.0', 3);"
for s in 1:1 2:1 3:2; do
  id=${s%%:*}; run=${s##*:}
  q "INSERT INTO probe_sites VALUES ($id, $run, 'S$id', 'http://s$id.lab/', 'gov', '', 's$id.lab',
       1, 1, 1, 90.5, 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 1.0, 1.0, 1.0,
       200, 200, 3, 3, 2, 0, 0, 5, 5, 0, 5, 5, 0, 0, 1.0, 2, 2, 100, 100, 1.0, 1, '', 's$id.lab',
       2, 2, 2, '192.0.2.$id', '2001:db8::$id', '', NULL, NULL, 10);
     INSERT INTO probe_checks VALUES ($run, $id, 'http://s$id.lab/', 'W1', 'pass', NULL, 1, 1, '',
       'msg, with \"quotes\"', 'line1
line2');"
done
HAVE_KPI=0
if [[ $(q "SELECT count(*) FROM sqlite_master WHERE name = 'kpi_runs'") == 1 ]]; then
  HAVE_KPI=1
  q "INSERT INTO kpi_runs(id, started, finished, started_utc, finished_utc, vantage, tool_version,
       rounds, interval_s, targets, targets_done, vantage_v4, vantage_v6, verdict, interrupted,
       schema_version) VALUES (1, $((NOW - 200 * 86400)), $((NOW - 200 * 86400 + 60)), '', '',
       'lab', '0.0.9', 1, 1.0, 1, 1, 1, 1, 'converged', 0, 4);
     INSERT INTO kpi_metrics(run_id, target, metric, v4, v6, n4, n6, d, verdict)
       VALUES (1, 'a.lab', 'loss', 0.0, 0.0, 10, 10, NULL, 'converged');"
fi
VERSION=$(q "PRAGMA user_version")

# ---- info --------------------------------------------------------------------------
expect_exit 0 "info" "$V6MON" db info "$DB"
check "info names the file" contains "$TMP/last.out" "database  $DB"
check "info says the schema version" contains "$TMP/last.out" "schema    version $VERSION; this v6mon writes version $VERSION (current)"
check "info leaves no -wal/-shm behind" test ! -e "$DB-wal" -a ! -e "$DB-shm"
expect_exit 0 "info --format json --check" "$V6MON" db info --format json --check "$DB"
cp "$TMP/last.out" "$TMP/info.json"
check "info JSON matches the database (python sqlite3)" python3 - "$TMP/info.json" "$DB" <<'EOF'
import json, os, sqlite3, sys
info = json.load(open(sys.argv[1])); db = sqlite3.connect(sys.argv[2])
tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%' ORDER BY name")]
assert [t["name"] for t in info["tables"]] == tables, (info["tables"], tables)
for t in info["tables"]:
    n = db.execute('SELECT count(*) FROM "%s"' % t["name"]).fetchone()[0]
    assert t["rows"] == n, (t, n)
assert info["schema_version"] == db.execute("PRAGMA user_version").fetchone()[0]
assert info["check"] == "ok"
assert info["file_bytes"] == os.path.getsize(sys.argv[2])
kinds = {k["kind"]: k for k in info["runs"]}
assert kinds["traffic"]["runs"] == 3 and kinds["traffic"]["table"] == "runs"
first, last = db.execute("SELECT min(started_ns), max(started_ns) FROM runs").fetchone()
assert kinds["traffic"]["first_s"] == first // 10**9 and kinds["traffic"]["last_s"] == last // 10**9
assert kinds["probe"]["runs"] == 3 and kinds["probe"]["runs_timed"] == 2
assert kinds["probe"]["first_s"] == db.execute("SELECT started_ns FROM probe_runs WHERE id=1").fetchone()[0] // 10**9
assert kinds["probe"]["last_s"] == db.execute("SELECT finished_ns FROM probe_runs WHERE id=2").fetchone()[0] // 10**9
tv = {v["version"]: v["runs"] for v in kinds["probe"]["tool_versions"]}
assert tv == {"0.1.0": 2, "0.0.9": 1}, tv
rt = {t["name"]: t["run_table"] for t in info["tables"]}
assert rt["probe_checks"] == "probe_runs" and rt["traffic_buckets"] == "runs" and rt["runs"] == "runs"
EOF

# ---- export: every table, every format, against python's reading -------------------------
mkdir -p "$TMP/exp"
for fmt in json jsonl csv; do
  expect_exit 0 "export --all --format $fmt" "$V6MON" db export "$DB" --all --format $fmt --output "$TMP/exp/$fmt"
done
check "every table exported, every value as python reads it" python3 - "$TMP/exp" "$DB" <<'EOF'
import csv, io, json, os, sqlite3, sys
d, db = sys.argv[1], sqlite3.connect(sys.argv[2])
db.text_factory = bytes
tables = [r[0].decode() for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'")]
def order(t):
    try:
        db.execute('SELECT rowid FROM "%s" LIMIT 0' % t); return "rowid"
    except sqlite3.OperationalError:
        pk = sorted((r[5], r[1].decode()) for r in db.execute('PRAGMA table_info("%s")' % t) if r[5])
        return ", ".join('"%s"' % c for _, c in pk)
assert len(tables) >= 19
for t in tables:
    cols = [r[1].decode() for r in db.execute('PRAGMA table_info("%s")' % t)]
    sel = ", ".join('typeof("%s"), "%s"' % (c, c) for c in cols)
    rows = db.execute('SELECT %s FROM "%s" ORDER BY %s' % (sel, t, order(t))).fetchall()
    js = json.load(open(os.path.join(d, "json", t + ".json")))
    jl = [json.loads(l) for l in open(os.path.join(d, "jsonl", t + ".jsonl"))]
    raw = open(os.path.join(d, "csv", t + ".csv"), "rb").read()
    assert raw.endswith(b"\r\n"), t
    cs = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert js == jl, t
    assert len(js) == len(rows) and len(cs) == len(rows) + 1, (t, len(js), len(rows))
    assert cs[0] == cols, (t, cs[0])
    for r, j, c in zip(rows, js, cs[1:]):
        assert list(j.keys()) == cols, t
        for k, name in enumerate(cols):
            ty, v, jv, cv = r[2 * k].decode(), r[2 * k + 1], j[name], c[k]
            if ty == "null":
                ok = jv is None and cv == ""
            elif ty == "integer":
                ok = type(jv) is int and jv == v and int(cv) == v
            elif ty == "real":
                ok = jv == v and float(cv) == v
            elif ty == "text":
                ok = jv == v.decode("utf-8") and cv == v.decode("utf-8")
            else:
                ok = jv == v.hex() and cv == v.hex()
            assert ok, (t, name, ty, v, jv, cv)
EOF
expect_exit 0 "export one run of traffic_buckets as CSV" "$V6MON" db export "$DB" traffic_buckets --format csv --run "$OLD_TRAFFIC"
n=$(( $(wc -l < "$TMP/last.out") - 1 ))
check "its rows are the run's ($n)" test "$n" = "$(q "SELECT count(*) FROM traffic_buckets WHERE run_id = $OLD_TRAFFIC")"
check "and more than none" test "$n" -gt 0
expect_exit 0 "export probe_runs --run probe:2 -o FILE" "$V6MON" db export "$DB" probe_runs --run probe:2 -o "$TMP/p2.json"
check "one probe run, id 2" python3 -c "import json,sys; r=json.load(open('$TMP/p2.json')); sys.exit(not (len(r)==1 and r[0]['id']==2 and r[0]['started_ns'] is None))"
expect_exit 129 "--all --run 1 is ambiguous (traffic and probe run 1)" "$V6MON" db export "$DB" --all --run 1 --output "$TMP/amb"
check "says to name the kind" contains "$TMP/last.err" "--run KIND:1"
expect_exit 0 "--all --run probe:1" "$V6MON" db export "$DB" --all --run probe:1 --format csv --output "$TMP/p1"
check "only probe tables written" bash -c "cd '$TMP/p1' && ls | grep -v '^probe_' | wc -l | grep -qx 0"
check "probe_checks of run 1: two rows (a field spans two lines)" python3 -c "import csv,sys; r=list(csv.reader(open('$TMP/p1/probe_checks.csv', newline=''))); sys.exit(not (len(r)==3 and r[1][10]=='line1\nline2' and r[2][0]=='1'))"
expect_exit 1 "unknown table" "$V6MON" db export "$DB" no_such_table
check "names the table" contains "$TMP/last.err" "has no table 'no_such_table'"
expect_exit 1 "--run on a table of the wrong kind" "$V6MON" db export "$DB" traffic_buckets --run probe:1
expect_exit 129 "bad export format" "$V6MON" db export "$DB" runs --format xml
expect_exit 129 "--all without --output" "$V6MON" db export "$DB" --all
expect_exit 129 "export without table" "$V6MON" db export "$DB"

# ---- prune ---------------------------------------------------------------------------------
declare -A WANT
for t in $(q "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite%'"); do
  case $t in
    runs) w=1 ;;
    probe_runs) w=1 ;;
    kpi_runs) w=1 ;;
    probe_*) w=$(q "SELECT count(*) FROM $t WHERE run_id = 1") ;;
    kpi_*) w=$(q "SELECT count(*) FROM $t WHERE run_id = 1") ;;
    *) w=$(q "SELECT count(*) FROM $t WHERE run_id = $OLD_TRAFFIC") ;;
  esac
  WANT[$t]=$w
done
before_sum=$(q "SELECT sum(bytes) FROM traffic_buckets")
expect_exit 0 "prune --dry-run --older-than 90d" "$V6MON" db prune "$DB" --older-than 90d --dry-run --format json
cp "$TMP/last.out" "$TMP/dry.json"
check "dry run changed nothing" test "$(q "SELECT sum(bytes) FROM traffic_buckets")" = "$before_sum"
check "dry run still has 3 traffic runs" test "$(q "SELECT count(*) FROM runs")" = 3
expect_exit 0 "prune --older-than 90d" "$V6MON" db prune "$DB" --older-than 90d --format json
cp "$TMP/last.out" "$TMP/prune.json"
WANT_LIST=$(for t in "${!WANT[@]}"; do echo "$t=${WANT[$t]}"; done)
check "deleted per table = the old runs' rows counted before (dry run says the same)" \
  python3 - "$TMP/prune.json" "$TMP/dry.json" "$WANT_LIST" <<'EOF'
import json, sys
p, dry = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = dict(l.split("=") for l in sys.argv[3].split())
got = {t["name"]: t["deleted"] for t in p["tables"]}
assert got == {k: int(v) for k, v in want.items()}, (got, want)
assert {t["name"]: t["deleted"] for t in dry["tables"]} == got
assert dry["dry_run"] is True and p["dry_run"] is False
assert p["rows_deleted"] == sum(got.values()) and p["rows_deleted"] > 20
runs = {r["table"]: r for r in p["runs"]}
assert runs["runs"]["deleted"] == 1 and runs["runs"]["kept"] == 2
assert runs["probe_runs"]["deleted"] == 1 and runs["probe_runs"]["kept"] == 2 and runs["probe_runs"]["untimed"] == 1
assert p["vacuumed"] is True
EOF
check "old traffic run gone" test "$(q "SELECT count(*) FROM runs WHERE id = $OLD_TRAFFIC")" = 0
check "its buckets gone" test "$(q "SELECT count(*) FROM traffic_buckets WHERE run_id = $OLD_TRAFFIC")" = 0
check "probe run 1's checks gone (cascade through probe_sites)" test "$(q "SELECT count(*) FROM probe_checks WHERE run_id = 1")" = 0
check "untimed probe run 3 kept" test "$(q "SELECT count(*) FROM probe_runs WHERE id = 3")" = 1
check "nothing orphaned" test "$(q "SELECT count(*) FROM pragma_foreign_key_check")" = 0
check "integrity ok" test "$(q "PRAGMA integrity_check")" = ok
if [[ $HAVE_KPI == 1 ]]; then
  check "old kpi run and its metrics gone" test "$(q "SELECT count(*) FROM kpi_runs") $(q "SELECT count(*) FROM kpi_metrics")" = "0 0"
fi
expect_exit 0 "prune --before a date in text" "$V6MON" db prune "$DB" --before 2000-01-01 --no-vacuum
check "text report says 0 rows" contains "$TMP/last.out" "deleted 0 rows"
expect_exit 129 "AGE without unit" "$V6MON" db prune "$DB" --older-than 90
expect_exit 129 "bad date" "$V6MON" db prune "$DB" --before 2025-02-30
expect_exit 129 "no cut-off" "$V6MON" db prune "$DB"
expect_exit 129 "both cut-offs" "$V6MON" db prune "$DB" --before 2025-01-01 --older-than 1d

# Another writer holds the lock: prune waits 5 s, gives up, changes nothing.
python3 -c "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(9)" "$DB" > "$TMP/lock.out" &
LOCKER=$!
for _ in $(seq 50); do [[ -s "$TMP/lock.out" ]] && break; sleep 0.1; done
n_runs=$(q "SELECT count(*) FROM probe_runs")
expect_exit 1 "prune while another process writes" "$V6MON" db prune "$DB" --before 2099-01-01
check "says the database is locked" contains "$TMP/last.err" "locked"
kill "$LOCKER" 2>/dev/null || true
wait "$LOCKER" 2>/dev/null || true
check "and deleted nothing" test "$(q "SELECT count(*) FROM probe_runs")" = "$n_runs"

# ---- newer schema, damaged and missing files ---------------------------------------------------
cp "$DB" "$TMP/newer.db"
sqlite3 "$TMP/newer.db" "PRAGMA user_version = $((VERSION + 5))"
n_before=$(sqlite3 "$TMP/newer.db" "SELECT count(*) FROM runs")
expect_exit 1 "prune refuses a newer schema" "$V6MON" db prune "$TMP/newer.db" --before 2099-01-01
check "says why" contains "$TMP/last.err" "has schema version $((VERSION + 5)), newer than this v6mon supports ($VERSION)"
check "and left it alone" test "$(sqlite3 "$TMP/newer.db" "SELECT count(*) FROM runs")" = "$n_before"
expect_exit 0 "info reads a newer schema" "$V6MON" db info "$TMP/newer.db"
check "and says it is newer" contains "$TMP/last.out" "(newer: this v6mon only reads it)"
head -c 6000 /dev/urandom > "$TMP/garbage.db"
expect_exit 1 "info on garbage" "$V6MON" db info "$TMP/garbage.db"
check "not a database" contains "$TMP/last.err" "cannot open database '$TMP/garbage.db': file is not a database"
expect_exit 1 "prune on garbage" "$V6MON" db prune "$TMP/garbage.db" --older-than 1d
cp "$DB" "$TMP/cut.db"
sqlite3 "$TMP/cut.db" "PRAGMA journal_mode = DELETE" >/dev/null
truncate -s $(( $(stat -c %s "$TMP/cut.db") / 2 )) "$TMP/cut.db"
expect_exit 1 "info on a truncated file" "$V6MON" db info --check "$TMP/cut.db"
check "names the file" contains "$TMP/last.err" "$TMP/cut.db"
expect_exit 1 "missing file" "$V6MON" db info "$TMP/nope.db"
check "no such file" contains "$TMP/last.err" "No such file or directory"
check "and did not create it" test ! -e "$TMP/nope.db"
expect_exit 129 "no subcommand" "$V6MON" db
expect_exit 129 "unknown subcommand" "$V6MON" db frob
expect_exit 0 "help page" "$V6MON" help db
check "help shows the synopsis" contains "$TMP/last.out" "v6mon db prune DB (--older-than AGE | --before DATE)"
finish
