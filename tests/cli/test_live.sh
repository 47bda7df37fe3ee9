#!/usr/bin/env bash
# Live capture on the loopback interface: exact counts of datagrams we send
# over IPv4 and IPv6, --duration stops by itself, SIGINT stops cleanly and
# still reports what was seen. Needs root (capture permission).
source "$(dirname "$0")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "live capture needs root (run the suite as root)"
ip link show lo >/dev/null 2>&1 || skip "no loopback interface"
need python3

PORT=45999
send() { # send N4 N6 datagrams to closed ports on 127.0.0.1 and ::1
  python3 - "$1" "$2" "$PORT" <<'PY'
import socket, sys, time
n4, n6, port = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(max(n4, n6)):
    if i < n4: s4.sendto(b"v6mon-live-test-4", ("127.0.0.1", port))
    if i < n6: s6.sendto(b"v6mon-live-test-six", ("::1", port))
    time.sleep(0.002)
PY
}

# 1. --duration
"$V6MON" traffic --live lo --filter "udp port $PORT" --duration 4s --format json \
  >"$TMP/dur.json" 2>"$TMP/dur.err" &
pid=$!
sleep 1.5
send 40 25
wait $pid && ok "live --duration exits 0" || not_ok "live --duration exit status"
check "counts 40 IPv4 datagrams" python3 -c "import json,sys; d=json.load(open('$TMP/dur.json')); sys.exit(d['totals']['ipv4']['packets']!=40)"
check "counts 25 IPv6 datagrams" python3 -c "import json,sys; d=json.load(open('$TMP/dur.json')); sys.exit(d['totals']['ipv6']['packets']!=25)"
check "one IPv4 and one IPv6 flow" python3 -c "import json,sys; d=json.load(open('$TMP/dur.json')); t=d['totals']; sys.exit(not (t['ipv4']['flows']==1 and t['ipv6']['flows']==1))"
check "not marked interrupted" python3 -c "import json,sys; sys.exit(json.load(open('$TMP/dur.json'))['interrupted'])"

# 2. SIGINT
"$V6MON" traffic --live lo --filter "udp port $PORT" --format json \
  >"$TMP/int.json" 2>"$TMP/int.err" &
pid=$!
sleep 1.5
send 10 10
sleep 0.5
kill -INT $pid
wait $pid && ok "SIGINT exits 0" || not_ok "SIGINT exit status"
check "reports after SIGINT" python3 -c "import json,sys; d=json.load(open('$TMP/int.json')); sys.exit(not (d['interrupted'] and d['totals']['ipv4']['packets']==10 and d['totals']['ipv6']['packets']==10))"

# 3. a bad interface is a clear error
expect_exit 1 "unknown interface" "$V6MON" traffic --live v6mon-nonexistent0 --duration 1s
check "names the interface" contains "$TMP/last.err" "v6mon-nonexistent0"
finish
