#!/usr/bin/env python3
"""Compare v6mon's per-family packet and byte counts with tshark's.

usage: conformance.py V6MON [--teredo-heuristic] [--frames-on-mismatch] PATH...
PATH is a capture or a directory (searched for *.pcap, *.pcapng, *.cap).

For each capture: v6mon traffic --format json totals.{ipv4,ipv6,other}
{packets,bytes} against tshark_families.py (innermost ip/ipv6 layer per
frame, stopping at icmp/icmpv6, fragments attributed to the frame they are
reassembled in). They must agree exactly. For a synth fixture (NAME.pcap
with NAME.truth.json beside it) tshark's counts must also equal the
fixture's "totals" (the families the fixture was built to have). Prints one line per capture and a
closing "N passed, N failed, N skipped" line (skipped: tshark itself cannot
read the file); exit 1 on any mismatch.

This is the same comparison the maintainers run on public captures that
the repository does not contain.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def captures(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, _, files in os.walk(p):
                for f in sorted(files):
                    if f.endswith((".pcap", ".pcapng", ".cap")):
                        yield os.path.join(root, f)
        else:
            yield p


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    v6mon = argv[1]
    heuristic = "--teredo-heuristic" in argv
    show_frames = "--frames-on-mismatch" in argv
    paths = [a for a in argv[2:] if not a.startswith("--")]
    passed = failed = skipped = 0
    for cap in captures(paths):
        targs = [sys.executable, os.path.join(HERE, "tshark_families.py"), cap]
        if heuristic:
            targs.insert(2, "--teredo-heuristic")
        tr = subprocess.run(targs, capture_output=True, text=True)
        if tr.returncode != 0:
            # tshark cannot read it at all: no reference to compare with.
            skipped += 1
            print(f"skip {os.path.relpath(cap)}: {tr.stderr.strip()}")
            continue
        ts = json.loads(tr.stdout)
        vargs = [v6mon, "traffic", "--format", "json", "--no-progress", cap]
        vargs.insert(2, "--teredo-heuristic" if heuristic else "--no-teredo-heuristic")
        r = subprocess.run(vargs, capture_output=True, text=True)
        if r.returncode != 0 and sum(ts[f]["packets"] for f in ("ipv4", "ipv6", "other")) == 0:
            # An empty file: tshark prints nothing, v6mon refuses it by name.
            skipped += 1
            print(f"skip {os.path.relpath(cap)}: no frames ({r.stderr.strip()})")
            continue
        if r.returncode != 0:
            print(f"FAIL {cap}: v6mon exited {r.returncode}: {r.stderr.strip()}")
            failed += 1
            continue
        tot = json.loads(r.stdout)["totals"]
        diffs = []
        for fam in ("ipv4", "ipv6", "other"):
            for k in ("packets", "bytes"):
                a, b = tot[fam][k], ts[fam][k]
                if a != b:
                    diffs.append(f"{fam}.{k} v6mon {a} tshark {b}")
        # A synth fixture (NAME.pcap beside NAME.truth.json) also states the
        # family of each frame under these rules ("totals": fragments count
        # under their datagram's family): a fixture that both tools misread
        # would otherwise pass unnoticed.
        fx_truth = os.path.splitext(cap)[0] + ".truth.json"
        if os.path.exists(fx_truth):
            want = json.load(open(fx_truth)).get("totals")
            for fam in ("ipv4", "ipv6", "other"):
                for k in ("packets", "bytes"):
                    if want and want[fam][k] != ts[fam][k]:
                        diffs.append(f"{fam}.{k} tshark {ts[fam][k]} fixture truth "
                                     f"{want[fam][k]}")
        name = os.path.relpath(cap)
        if diffs:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(diffs))
            if show_frames:
                targs.insert(2, "--frames")
                fr = json.loads(subprocess.run(targs, check=True, capture_output=True,
                                               text=True).stdout)["frames"]
                print("  tshark per frame: " + " ".join(f"{n}:{f}" for n, f in fr[:60]))
        else:
            passed += 1
            print(f"ok   {name}: ipv4 {tot['ipv4']['packets']} ipv6 {tot['ipv6']['packets']} "
                  f"other {tot['other']['packets']} packets")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
