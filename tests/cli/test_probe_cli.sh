#!/usr/bin/env bash
# tests/cli/test_probe_cli.sh - `v6mon probe` input handling that needs no
# network: bad lists, bad options, clear messages and exit codes; and a
# run against an address nobody answers on (127.0.0.1 port 9, loopback
# only) that must finish with reasons, not hang or crash.
. "$(dirname "$0")/lib.sh"

expect_exit 129 "no subcommand" "$V6MON" probe
expect_exit 129 "unknown subcommand" "$V6MON" probe planets x
expect_exit 1 "missing list" "$V6MON" probe sites "$TMP/nope.csv"
check "missing list names the file" contains "$TMP/last.err" "nope.csv"

printf 'name,url,category,unit\nA,,government,u\n' > "$TMP/empty-url.csv"
expect_exit 1 "empty URL" "$V6MON" probe sites "$TMP/empty-url.csv"
check "empty URL says the line" contains "$TMP/last.err" "empty-url.csv:2"

printf 'http://a.lab/ http://b.lab/, extra\n' > "$TMP/bad.txt"
expect_exit 1 "two fields without a header" "$V6MON" probe sites "$TMP/bad.txt"

printf '# nothing\n\n' > "$TMP/none.txt"
expect_exit 1 "no sites" "$V6MON" probe sites "$TMP/none.txt"
check "no sites message" contains "$TMP/last.err" "no sites"

printf 'http://a.lab/\n' > "$TMP/one.txt"
expect_exit 1 "bad resolver address" "$V6MON" probe sites "$TMP/one.txt" --resolver not-an-address
expect_exit 129 "bad weights" "$V6MON" probe sites "$TMP/one.txt" --weights w9=1
expect_exit 129 "bad attempts" "$V6MON" probe sites "$TMP/one.txt" --attempts 0

# A resolver that never answers (discard port on loopback): the run must end
# within the DNS timeout with a W1 DNS reason and exit 0.
"$V6MON" probe sites "$TMP/one.txt" --resolver 127.0.0.1:9 --dns-timeout 200ms --dns-tries 1 \
  --no-self-check --format json > "$TMP/dead.jsonl" 2> "$TMP/dead.err" && rc=0 || rc=$?
check "dead resolver: run completes (exit 0)" test "$rc" -eq 0
check "dead resolver: W1 fails with a DNS reason" python3 - "$TMP/dead.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
site = [l for l in lines if l["type"] == "site"][0]
w1 = site["checks"]["W1"]
assert w1["state"] == "fail" and w1["code"].startswith("W1_DNS"), w1
assert "127.0.0.1" in w1["message"] or "timeout" in w1["message"], w1
assert any(l["type"] == "run" for l in lines)
PY
finish
