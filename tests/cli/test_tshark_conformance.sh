#!/usr/bin/env bash
# Conformance against tshark: per-family packets and bytes of every capture
# in the test set (synth fixtures for every encapsulation, incl. truncated and
# malformed frames, and synth mixes) must equal tshark's innermost-IP view.
source "$(dirname "$0")/lib.sh"
need tshark
need python3

"$V6MON" synth --fixtures "$TMP/fixtures" >/dev/null
"$V6MON" synth --seed 11 --packets 30000 -o "$TMP/mix-11.pcap" >/dev/null
"$V6MON" synth --seed 12 --packets 30000 --pcapng -o "$TMP/mix-12.pcapng" >/dev/null
"$V6MON" synth --seed 13 --packets 20000 --ipv6-share 0.9 -o "$TMP/mix-13.pcap" >/dev/null

set +e
python3 "$V6M_SRC/tests/cli/conformance.py" "$V6MON" --teredo-heuristic --frames-on-mismatch \
  "$TMP/fixtures" "$TMP"/mix-*.pcap "$TMP"/mix-*.pcapng | tee "$TMP/report.txt"
rc=${PIPESTATUS[0]}
set -e
n=$(grep -c '^ok ' "$TMP/report.txt" || true)
# The fixture set must not silently shrink to nothing.
if [[ $n -lt 30 ]]; then echo "only $n captures compared"; rc=1; fi
exit $rc
