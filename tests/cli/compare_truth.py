#!/usr/bin/env python3
"""Compare `v6mon traffic --format json` output with a synth truth file.

usage: compare_truth.py REPORT.json TRUTH.json
Checks, exactly: totals and per-segment packets/bytes for ipv4, ipv6 and
other; flows when the truth says they are exact (flows_exact); every
(bucket, segment) cell when the bucket widths agree; IPv6+ counters.
Prints each mismatch and a closing "N passed, N failed" line.
"""
import json
import sys


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
    failed = [c for c in checks if c[1] != c[2]]
    for what, got, want in failed[:40]:
        print(f"MISMATCH {what}: v6mon {got}, truth {want}")
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
