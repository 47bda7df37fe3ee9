#!/usr/bin/env bash
# Names v6mon gives flows (TLS SNI, HTTP Host, QUIC Initial SNI, DNS
# answers) agree with tshark's dissection of the same captures
# (tls.handshake.extensions_server_name, http.host, QUIC SNI, dns.a/aaaa).
source "$(dirname "$0")/lib.sh"
need python3
need tshark
run_case() { # name synth-args...
  local name=$1; shift
  "$V6MON" synth -o "$TMP/$name.pcap" "$@" >/dev/null
  "$V6MON" traffic --apps --no-dpi --format json "$TMP/$name.pcap" > "$TMP/$name.json"
  if python3 "$V6M_SRC/tests/cli/names_tshark.py" "$TMP/$name.pcap" "$TMP/$name.json" > "$TMP/$name.cmp"; then
    ok "$name: $(head -1 "$TMP/$name.cmp"); $(tail -1 "$TMP/$name.cmp")"
  else
    not_ok "$name"; head -20 "$TMP/$name.cmp"
  fi
}
run_case mixed --seed 31 --packets 30000 --duration 1800
run_case v6-heavy --seed 32 --packets 20000 --ipv6-share 0.85 --app-share 0.95
run_case pcapng-ns --seed 33 --packets 20000 --pcapng --nanosecond
finish
