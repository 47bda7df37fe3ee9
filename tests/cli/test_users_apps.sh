#!/usr/bin/env bash
# v6mon traffic --users --apps against the truth synth writes: IPv6 active
# users (I1) per window and segment, and per name / per app traffic (I6,
# I7), exactly; HyperLogLog mode within its stated error; the explicit
# subscriber modes and a binding file agree with the truth; the store and
# CSV tables carry the same numbers; bad options fail clearly.
source "$(dirname "$0")/lib.sh"
need python3
CMP="$V6M_SRC/tests/cli/compare_truth.py"
APPS="$V6M_SRC/tests/cli/apps_truth.py"
CAT="$V6M_SRC/data/apps.csv"

# exact CASE SYNTH-ARGS... : users + names + apps against the truth
exact() {
  local name=$1; shift
  "$V6MON" synth -o "$TMP/$name.pcap" "$@" >/dev/null
  "$V6MON" traffic --users --apps --no-dpi --format json "$TMP/$name.pcap" > "$TMP/$name.json"
  python3 - "$TMP/$name.pcap.truth.json" <<'PY' || { not_ok "$name: synth says flows or names are not exact"; return; }
import json, sys
t = json.load(open(sys.argv[1]))
sys.exit(0 if t["flows_exact"] and t["names_exact"] else 1)
PY
  if python3 "$CMP" "$TMP/$name.json" "$TMP/$name.pcap.truth.json" > "$TMP/$name.cmp"; then
    ok "$name: users and names equal the truth ($(tail -1 "$TMP/$name.cmp"))"
  else
    not_ok "$name: users/names"; head -20 "$TMP/$name.cmp"
  fi
  if python3 "$APPS" "$TMP/$name.json" "$TMP/$name.pcap.truth.json" "$CAT" > "$TMP/$name.apps"; then
    ok "$name: apps equal the truth mapped through the catalog ($(tail -1 "$TMP/$name.apps"))"
  else
    not_ok "$name: apps"; head -20 "$TMP/$name.apps"
  fi
}
exact hour --seed 21 --packets 60000 --duration 3600
exact month-end --seed 22 --packets 200000 --days 2 --start 2024-06-30T12:00:00
exact mobile-mix --seed 23 --packets 40000 --mix mobile=1,metro=0,other=0 \
  --user-mix v4=0.2,v6=0.3,dual=0.5 --inactive-v6 0.3
exact metro-v4heavy --seed 24 --packets 40000 --mix mobile=0,metro=1,other=0 --metro-share 0.1
exact pcapng --seed 25 --packets 30000 --pcapng --nanosecond

# The month-end capture spans two calendar months: both month windows exist.
check "month-end: windows for 2024-06 and 2024-07" python3 - "$TMP/month-end.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))["users"]["windows"]
months = sorted(x["start"] for x in w if x["window"] == "month")
sys.exit(0 if months == ["2024-06-01", "2024-07-01"] else 1)
PY

# nDPI on: names are the same; flows nDPI attributes (random payloads its
# heuristics claim) are the only ones that leave "unattributed".
"$V6MON" traffic --users --apps --format json "$TMP/hour.pcap" > "$TMP/hour-dpi.json"
check "nDPI on: same names, unattributed minus nDPI flows" python3 - "$TMP/hour.json" "$TMP/hour-dpi.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
names = lambda r: {n["name"]: (n["ipv4"], n["ipv6"]) for n in r["names"] if not n["methods"]["ndpi"]}
ndpi = b["apps_summary"]["methods"]["ndpi"]
ua = sum(a["apps_summary"]["unattributed"][f]["flows"] for f in ("ipv4", "ipv6"))
ub = sum(b["apps_summary"]["unattributed"][f]["flows"] for f in ("ipv4", "ipv6"))
ok = names(a) == names(b) and ua - ub == ndpi and b["apps_summary"]["limits"]["dpi_flows"] > 0
print(f"unattributed {ua} -> {ub}, nDPI-attributed {ndpi}")
sys.exit(0 if ok else 1)
PY

# Explicit modes: gtp on a mobile-only capture and pppoe on a metro-only one
# count the same users as auto.
same_users() { # desc a.json b.json
  check "$1" python3 - "$2" "$3" <<'PY'
import json, sys
a, b = (json.load(open(p))["users"]["windows"] for p in sys.argv[1:3])
strip = lambda w: [(x["window"], x["start"], x["segments"]) for x in w]
sys.exit(0 if strip(a) == strip(b) else 1)
PY
}
"$V6MON" traffic --subscriber gtp --format json "$TMP/mobile-mix.pcap" > "$TMP/gtp.json"
"$V6MON" traffic --users --format json "$TMP/mobile-mix.pcap" > "$TMP/auto-m.json"
same_users "--subscriber gtp = auto on mobile traffic" "$TMP/gtp.json" "$TMP/auto-m.json"
"$V6MON" traffic --subscriber pppoe --format json "$TMP/metro-v4heavy.pcap" > "$TMP/pppoe.json"
"$V6MON" traffic --users --format json "$TMP/metro-v4heavy.pcap" > "$TMP/auto-p.json"
same_users "--subscriber pppoe = auto on metro traffic" "$TMP/pppoe.json" "$TMP/auto-p.json"

# A binding file written from synth's address plan (docs/commands/synth.md:
# mobile user k has 10.(64+k/65536).(k/256%256).(k%256) and
# 2409:8a00:(k>>16):(k&0xffff)::/64, metro user k 100.64... and 240e:3a0:...)
# joins each subscriber's IPv4 and IPv6 like a bearer or session does.
python3 - "$TMP/bind.csv" 1000 <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("subscriber,ipv4,ipv6\n")
    for k in range(int(sys.argv[2])):
        a, b, c = 64 + (k >> 16), (k >> 8) & 255, k & 255
        f.write(f"m{k},10.{a}.{b}.{c},2409:8a00:{k >> 16:x}:{k & 0xffff:x}::/64\n")
        f.write(f"p{k},100.{a}.{b}.{c},240e:3a0:{k >> 16:x}:{k & 0xffff:x}::/64\n")
PY
"$V6MON" traffic --bindings "$TMP/bind.csv" --format json "$TMP/hour.pcap" > "$TMP/bind.json"
check "--bindings: all-segment users equal the truth" python3 - "$TMP/bind.json" "$TMP/hour.pcap.truth.json" <<'PY'
import json, sys
r, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
got = {(w["window"], w["start"]): w["segments"]["all"] for w in r["users"]["windows"]}
bad = 0
for w in t["users"]["windows"]:
    g, e = got.get((w["window"], w["start"])), w["segments"]["all"]
    for k in ("active", "ipv6_active", "holding_ipv6", "dual", "ipv4_only", "ipv6_only"):
        if g is None or g[k] != e[k]:
            bad += 1
            print(w["window"], w["start"], k, g and g[k], e[k])
sys.exit(1 if bad or r["users"]["mode"] != "binding" else 0)
PY

# HyperLogLog mode: thousands of users (14 days of sparse traffic, headers
# only), exact counting capped far below them. The sketch's own error at up
# to a million users is tested in tests/unit/test_hll.c.
"$V6MON" synth -o "$TMP/many.pcap" --seed 26 --packets 1000000 --users 100000 --days 14 \
  --snaplen 256 >/dev/null
"$V6MON" traffic --users --users-exact 1000 --format json "$TMP/many.pcap" > "$TMP/many.json"
check "HLL mode: counts within 2% (derived counts within 2% of active)" python3 - "$TMP/many.json" "$TMP/many.pcap.truth.json" <<'PY'
import json, sys
r, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
g = r["users"]["windows"][0]["segments"]["all"]
e = t["users"]["windows"][0]["segments"]["all"]
worst = 0.0
ok = not g["exact"] and e["active"] > 5000
for k in ("seen", "active", "ipv6_active", "holding_ipv6"):
    err = abs(g[k] - e[k]) / e[k]
    worst = max(worst, err)
    ok = ok and err < 0.02
for k in ("dual", "ipv4_only", "ipv6_only"):
    err = abs(g[k] - e[k]) / e["active"]
    ok = ok and err < 0.02
print(f"{e['active']} active users, worst relative error {worst:.4f}")
sys.exit(0 if ok else 1)
PY

# Store: the windows and app names land in the database; a re-run replaces.
DB="$TMP/ua.db"
"$V6MON" traffic --users --apps --no-dpi --db "$DB" --format json "$TMP/hour.pcap" > "$TMP/db.json"
"$V6MON" traffic --users --apps --no-dpi --db "$DB" --format json "$TMP/hour.pcap" > /dev/null
check "store: users_windows and app_names equal the JSON, once" python3 - "$DB" "$TMP/db.json" <<'PY'
import json, sqlite3, sys
db, r = sqlite3.connect(sys.argv[1]), json.load(open(sys.argv[2]))
a = r["users"]["windows"][0]["segments"]["all"]
row = db.execute("SELECT active, ipv6_active, dual, exact, length(hll_q6) > 0 FROM users_windows "
                 "WHERE window = 'all' AND segment = 'all'").fetchall()
names = db.execute("SELECT sum(bytes) FROM app_names").fetchone()[0]
want = sum(n["ipv4"]["bytes"] + n["ipv6"]["bytes"] for n in r["names"])
runs = db.execute("SELECT count(*) FROM runs").fetchone()[0]
ok = row == [(a["active"], a["ipv6_active"], a["dual"], 1, 1)] and names == want and runs == 1
print(row, names, want, runs)
sys.exit(0 if ok else 1)
PY

# CSV tables.
"$V6MON" traffic --users --apps --no-dpi --format csv --table users "$TMP/hour.pcap" > "$TMP/u.csv"
check "CSV users table: header and one row per window and segment" python3 - "$TMP/u.csv" "$TMP/hour.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
w = json.load(open(sys.argv[2]))["users"]["windows"]
n = sum(len(x["segments"]) for x in w)
first = rows[0]
sys.exit(0 if len(rows) == n and first["window"] == "all" and first["segment"] == "all"
         and int(first["active"]) == w[0]["segments"]["all"]["active"] else 1)
PY
"$V6MON" traffic --apps --no-dpi --format csv --table apps "$TMP/hour.pcap" > "$TMP/a.csv"
check "CSV apps table ends with (unattributed)" python3 -c "
import csv,sys; r=list(csv.reader(open('$TMP/a.csv'))); sys.exit(0 if r[0][0]=='app' and r[-1][0]=='(unattributed)' and len(r)>10 else 1)"

# Text view shows both tables.
"$V6MON" traffic --users --apps "$TMP/hour.pcap" > "$TMP/text.out"
check "text: I1 and I7 tables" bash -c "grep -q 'IPv6 active users (I1' '$TMP/text.out' && grep -q 'IPv6 concentration (I7' '$TMP/text.out'"

# Bad options and files.
expect_exit 129 "--table users without --users" "$V6MON" traffic --format csv --table users "$TMP/hour.pcap"
expect_exit 129 "--subscriber bogus" "$V6MON" traffic --subscriber bogus "$TMP/hour.pcap"
expect_exit 129 "--subscriber binding without a file" "$V6MON" traffic --subscriber binding "$TMP/hour.pcap"
expect_exit 1 "--bindings missing file" "$V6MON" traffic --bindings "$TMP/nope.csv" "$TMP/hour.pcap"
check "  ... says which file" contains "$TMP/last.err" "nope.csv"
printf 'app,category,domains,ndpi\nX,video,qq.com,\nY,video,qq.com,\n' > "$TMP/dup.csv"
expect_exit 1 "--apps=FILE with a domain listed twice" "$V6MON" traffic --apps="$TMP/dup.csv" "$TMP/hour.pcap"
check "  ... names the line" contains "$TMP/last.err" "dup.csv:3"
printf 'app,category,domains,ndpi\nMy Shop,shopping,example-shop.cn,\n' > "$TMP/mine.csv"
"$V6MON" traffic --apps="$TMP/mine.csv" --no-dpi --format json "$TMP/hour.pcap" > "$TMP/mine.json"
check "--apps=FILE extends the catalog (www.example-shop.cn -> My Shop)" python3 - "$TMP/mine.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
apps = {n["name"]: n["app"] for n in r["names"]}
sys.exit(0 if apps.get("www.example-shop.cn") == "My Shop" else 1)
PY
finish
