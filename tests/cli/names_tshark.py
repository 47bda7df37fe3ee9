#!/usr/bin/env python3
"""Compare the names v6mon gives flows with what tshark dissects.

usage: names_tshark.py CAPTURE REPORT.json
REPORT is `v6mon traffic --apps --no-dpi --format json CAPTURE`. tshark
(with its QUIC Initial decryption and the Teredo heuristic) gives, per TCP
or UDP stream, the TLS ClientHello SNI, the HTTP Host and the QUIC SNI;
per name, the number of streams carrying each must equal v6mon's flows
named by that method (names[].methods.sni/host/quic). DNS: the number of
A/AAAA answer records in unfragmented responses must equal v6mon's answers
from whole messages, fragmented responses must be the ones v6mon counts as
cut short (it does not reassemble payloads), and
every name v6mon learnt from DNS must be a name tshark saw asked.
Exit 1 on any difference.
"""
import collections
import json
import subprocess
import sys

FIELDS = ["ip.fragments", "ipv6.fragments", "tcp.stream", "udp.stream", "tls.handshake.type",
          "tls.handshake.extensions_server_name", "http.host", "quic.version",
          "dns.flags.response", "dns.flags.rcode", "dns.qry.name", "dns.a", "dns.aaaa"]


def main(cap, report):
    rep = json.load(open(report))
    cmd = ["tshark", "-n", "-r", cap, "--enable-heuristic", "teredo_udp", "-T", "fields",
           "-E", "separator=|", "-E", "aggregator=;", "-Y",
           "tls.handshake.type == 1 || http.request || quic || dns"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    last = lambda s: s.split(";")[-1] if s else ""
    streams = {"sni": collections.defaultdict(set), "host": collections.defaultdict(set),
               "quic": collections.defaultdict(set)}
    answers, asked, frag_responses = 0, set(), 0
    for line in out.splitlines():
        r = dict(zip(FIELDS, line.split("|")))
        tcp, udp = last(r["tcp.stream"]), last(r["udp.stream"])
        name = r["tls.handshake.extensions_server_name"].split(";")[0].lower()
        if name and r["quic.version"] and udp:
            streams["quic"][udp].add(name)
        elif name and tcp:
            streams["sni"][tcp].add(name)
        if r["http.host"] and tcp:
            host = r["http.host"].split(";")[0].lower().rsplit(":", 1)[0]
            streams["host"][tcp].add(host)
        if r["dns.qry.name"]:
            asked.add(r["dns.qry.name"].split(";")[0].lower())
        # v6mon does not reassemble payloads: a response carried in IP
        # fragments is read as far as its first fragment goes (counted in
        # dns_answers_partial), so compare the unfragmented responses.
        fragmented = r["ip.fragments"] or r["ipv6.fragments"]
        if fragmented and r["dns.flags.response"] in ("1", "True"):
            frag_responses += 1
        elif r["dns.flags.response"] in ("1", "True") and r["dns.flags.rcode"] in ("0", ""):
            for f in ("dns.a", "dns.aaaa"):
                answers += len([a for a in r[f].split(";") if a])
    bad = []
    checks = 0
    got = {n["name"]: n["methods"] for n in rep["names"]}
    for meth, per_stream in streams.items():
        want = collections.Counter()
        for s, names in per_stream.items():
            if len(names) != 1:
                bad.append(f"{meth}: stream {s} carries several names {names}")
            want.update(names)
        for name in sorted(set(want) | {n for n, m in got.items() if m.get(meth)}):
            checks += 1
            g = got.get(name, {}).get(meth, 0)
            if g != want.get(name, 0):
                bad.append(f"{meth} {name}: v6mon {g} flows, tshark {want.get(name, 0)} streams")
    checks += 1
    lim = rep["apps_summary"]["limits"]
    whole = lim["dns_answers"] - lim["dns_answers_partial"]
    if whole != answers:
        bad.append(f"DNS answers of whole responses: v6mon {whole}, tshark {answers}")
    checks += 1
    if lim["dns_truncated"] != frag_responses:
        bad.append(f"DNS responses cut short: v6mon {lim['dns_truncated']}, "
                   f"tshark fragmented {frag_responses}")
    for name, m in got.items():
        if m.get("dns") or m.get("dns_any"):
            checks += 1
            if name not in asked:
                bad.append(f"{name}: named from DNS but tshark saw no query for it")
    n_tshark = {m: sum(len(v) for v in s.values()) for m, s in streams.items()}
    print(f"tshark streams with names: {n_tshark}, DNS answer records {answers} (+{frag_responses} fragmented responses)")
    for b in bad[:30]:
        print("BAD", b)
    print(f"{checks - len(bad)} passed, {len(bad)} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
