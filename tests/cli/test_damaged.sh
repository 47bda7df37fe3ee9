#!/usr/bin/env bash
# Bad input gets a clear error and loses nothing: a capture cut in the middle
# of a record is counted up to the cut (as tshark reads it), with a warning;
# other inputs of the same run are unaffected; garbage is refused by name.
source "$(dirname "$0")/lib.sh"
need python3
need tshark

"$V6MON" synth --seed 3 --packets 5000 -o "$TMP/full.pcap" >/dev/null
"$V6MON" synth --seed 4 --packets 3000 -o "$TMP/other.pcap" >/dev/null
size=$(stat -c %s "$TMP/full.pcap")
head -c $((size * 2 / 3)) "$TMP/full.pcap" > "$TMP/cut.pcap"
# Complete records in the cut file, counted independently of v6mon.
complete=$(python3 - "$TMP/cut.pcap" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
off, n = 24, 0
while off + 16 <= len(b):
    incl = struct.unpack("<I", b[off + 8:off + 12])[0]
    if off + 16 + incl > len(b):
        break
    off += 16 + incl
    n += 1
print(n)
PY
)
ts=$( (tshark -n -r "$TMP/cut.pcap" -T fields -e frame.number 2>/dev/null || true) | wc -l)
check "tshark reads $ts complete frames, as counted ($complete)" test "$ts" = "$complete"

expect_exit 0 "truncated capture still reports" "$V6MON" traffic --format json "$TMP/cut.pcap"
check "warning names the file and says truncated" grep -q "warning: .*cut.pcap.*truncated" "$TMP/last.err"
check "counts every complete frame" python3 -c "
import json,sys; d=json.load(open('$TMP/last.out')); t=d['totals']
sys.exit(sum(t[f]['packets'] for f in ('ipv4','ipv6','other')) != $complete or d['source']['files_damaged'] != 1)"

expect_exit 0 "truncated file among others" "$V6MON" traffic --format json "$TMP/cut.pcap" "$TMP/other.pcap"
check "the other file is fully counted" python3 -c "
import json,sys; d=json.load(open('$TMP/last.out')); t=d['totals']
sys.exit(sum(t[f]['packets'] for f in ('ipv4','ipv6','other')) != $complete + 3000)"

head -c 20 "$TMP/full.pcap" > "$TMP/header-only.pcap"
expect_exit 1 "a cut file header is an error" "$V6MON" traffic "$TMP/header-only.pcap"
check "names the file" contains "$TMP/last.err" "header-only.pcap"
: > "$TMP/empty.pcap"
expect_exit 1 "an empty file is an error" "$V6MON" traffic "$TMP/empty.pcap"
head -c 4000 /dev/urandom > "$TMP/noise.pcap"
expect_exit 1 "random bytes are refused" "$V6MON" traffic "$TMP/noise.pcap"
check "says it is not a capture" grep -q "not a pcap or pcapng" "$TMP/last.err"
finish
