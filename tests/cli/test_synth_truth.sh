#!/usr/bin/env bash
# v6mon traffic against the truth that synth writes beside each capture
# (its own bookkeeping, not a decode): totals, segments, every bucket,
# flows, IPv6+ counters must agree exactly, for several seeds and mixes,
# pcap and pcapng, several files merged, and stdin.
source "$(dirname "$0")/lib.sh"
need python3
CMP="$V6M_SRC/tests/cli/compare_truth.py"

run_case() { # name synth-args...
  local name=$1; shift
  "$V6MON" synth -o "$TMP/$name.pcap" "$@" >/dev/null
  "$V6MON" traffic --format json --no-progress "$TMP/$name.pcap" > "$TMP/$name.json"
  if python3 "$CMP" "$TMP/$name.json" "$TMP/$name.pcap.truth.json" > "$TMP/$name.cmp"; then
    ok "$name: $(tail -1 "$TMP/$name.cmp")"
  else
    not_ok "$name"; head -20 "$TMP/$name.cmp"
  fi
}
run_case mix-1 --seed 1 --packets 40000
run_case mix-2 --seed 2 --packets 40000 --duration 3600
run_case v6-heavy --seed 3 --packets 20000 --ipv6-share 0.9
run_case v4-only --seed 4 --packets 10000 --ipv6-share 0
run_case mobile-only --seed 5 --packets 20000 --mix mobile=1,metro=0,other=0 --mobile-share 0.35
run_case metro-only --seed 6 --packets 20000 --mix mobile=0,metro=1,other=0 --metro-share 0.12
run_case nanosecond --seed 7 --packets 10000 --nanosecond

"$V6MON" synth --seed 8 --packets 20000 --pcapng -o "$TMP/ng.pcapng" >/dev/null
"$V6MON" traffic --format json "$TMP/ng.pcapng" > "$TMP/ng.json"
check "pcapng equals truth" python3 "$CMP" "$TMP/ng.json" "$TMP/ng.pcapng.truth.json"

cat "$TMP/mix-1.pcap" | "$V6MON" traffic --format json - > "$TMP/stdin.json"
check "stdin equals truth" python3 "$CMP" "$TMP/stdin.json" "$TMP/mix-1.pcap.truth.json"

# Two captures merged: totals are the sums of both truths.
"$V6MON" traffic --format json "$TMP/mix-1.pcap" "$TMP/v6-heavy.pcap" > "$TMP/merged.json"
check "merged totals are the sums" python3 - "$TMP/merged.json" "$TMP/mix-1.pcap.truth.json" "$TMP/v6-heavy.pcap.truth.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a, b = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
bad = [(f, k) for f in ("ipv4", "ipv6", "other") for k in ("packets", "bytes")
       if r["totals"][f][k] != a["totals"][f][k] + b["totals"][f][k]]
print("mismatch:", bad) if bad else None
sys.exit(1 if bad else 0)
PY
# The bundled sample (what the README's demo reports) still equals its truth.
"$V6MON" traffic --format json "$V6M_SRC/data/samples/sample.pcap" > "$TMP/sample.json"
check "bundled sample equals its truth" python3 "$CMP" "$TMP/sample.json" "$V6M_SRC/data/samples/sample.truth.json"
finish
