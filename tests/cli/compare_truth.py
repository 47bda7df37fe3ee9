#!/usr/bin/env python3
"""Compare `v6mon traffic --format json` output with a synth truth file.

usage: compare_truth.py REPORT.json TRUTH.json
Checks, exactly: totals and per-segment packets/bytes for ipv4, ipv6 and
other; flows when the truth says they are exact (flows_exact); every
(bucket, segment) cell when the bucket widths agree; IPv6+ counters.
When the report has them (v6mon traffic --users / --apps) and the truth
too: the subscriber counts of every window (windows matched by kind and
order; month bounds may be the calendar month or its days with traffic;
only windows the report counted exactly), and per host name the IPv4/IPv6
packets, bytes, flows and naming methods (sni, host, quic, dns; dns_any
must be 0: every named flow's own client looked the name up) when the
truth says names and flows are exact.
Prints each mismatch and a closing "N passed, N failed" line.
"""
import json
import sys


USER_KEYS = ("seen", "active", "ipv6_active", "holding_ipv6", "dual", "ipv4_only",
             "ipv6_only")


def check_users(rep, tru, cmp):
    if not isinstance(rep.get("users"), dict) or "users" not in tru:
        return
    got_w, want_w = rep["users"].get("windows", []), tru["users"]["windows"]
    for kind in ("all", "day", "month", "30d"):
        g = [w for w in got_w if w["window"] == kind]
        t = [w for w in want_w if w["window"] == kind]
        cmp(f"users {kind} windows", len(g), len(t))
        for gw, tw in zip(g, t):
            label = f"users {kind} {tw['start']}"
            if kind == "month" and gw.get("start") != tw["start"]:
                cmp(f"{label} start (days with traffic)", gw.get("start") >= tw["start"], True)
            else:
                cmp(f"{label} start", gw.get("start"), tw["start"])
            if kind == "month" and gw.get("end") != tw["end"]:
                cmp(f"{label} end (days with traffic)", gw.get("end") <= tw["end"], True)
            else:
                cmp(f"{label} end", gw.get("end"), tw["end"])
            for seg, counts in tw["segments"].items():
                gs = gw.get("segments", {}).get(seg)
                if gs is not None and gs.get("exact") is False:
                    continue
                for k in USER_KEYS:
                    cmp(f"{label} {seg}.{k}", gs.get(k) if gs else None, counts[k])


def check_names(rep, tru, cmp):
    if not isinstance(rep.get("names"), list) or "names" not in tru:
        return
    if not (tru.get("names_exact", False) and tru.get("flows_exact", False)):
        return  # a flow split by the timeouts starts again without its payload
    got = {n["name"]: n for n in rep["names"]}
    want = {n["name"]: n for n in tru["names"]}
    cmp("names", sorted(got), sorted(want))
    for name, t in want.items():
        g = got.get(name, {})
        for fam in ("ipv4", "ipv6"):
            for k in ("packets", "bytes", "flows"):
                cmp(f"name {name} {fam}.{k}", g.get(fam, {}).get(k), t[fam][k])
        for m in ("sni", "host", "quic", "dns"):
            cmp(f"name {name} method {m}", g.get("methods", {}).get(m), t["method"][m])
        cmp(f"name {name} method dns_any", g.get("methods", {}).get("dns_any", 0), 0)


def main(argv):
    rep = json.load(open(argv[1]))
    tru = json.load(open(argv[2]))
    checks = []

    def cmp(what, got, want):
        checks.append((what, got, want))

    fams = ("ipv4", "ipv6", "other")
    flows = tru.get("flows_exact", False)
    for fam in fams:
        for k in ("packets", "bytes") + (("flows",) if flows and fam != "other" else ()):
            cmp(f"totals.{fam}.{k}", rep["totals"][fam][k], tru["totals"][fam][k])
    segs = {s["name"]: s for s in rep["segments"]}
    for name, t in tru["segments"].items():
        for fam in fams:
            for k in ("packets", "bytes") + (("flows",) if flows and fam != "other" else ()):
                got = segs[name][fam][k] if name in segs else None
                cmp(f"segments.{name}.{fam}.{k}", got, t[fam][k])
    if tru.get("bucket_s") == rep["bucket_seconds"] and "buckets" in tru:
        got_b = {(b["start_s"], b["segment"]): b for b in rep["buckets"]}
        want_b = {(b["start"], b["segment"]): b for b in tru["buckets"]}
        cmp("bucket cells", sorted(got_b), sorted(want_b))
        for key, t in want_b.items():
            g = got_b.get(key)
            for fam in fams:
                for k in ("packets", "bytes") + (("flows",) if flows and fam != "other" else ()):
                    cmp(f"bucket {key}.{fam}.{k}", g[fam][k] if g else None, t[fam][k])
    for k in ("ipv6_packets", "srh_packets", "flow_label_packets"):
        if k in tru.get("ipv6plus", {}):
            cmp(f"ipv6plus.{k}", rep["ipv6plus"][k], tru["ipv6plus"][k])
    check_users(rep, tru, cmp)
    check_names(rep, tru, cmp)
    failed = [c for c in checks if c[1] != c[2]]
    for what, got, want in failed[:40]:
        print(f"MISMATCH {what}: v6mon {got}, truth {want}")
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
