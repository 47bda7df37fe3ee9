#!/usr/bin/env python3
"""Per-family packet and byte counts of a capture as tshark sees them.

The reference for v6mon's "user-traffic family" (innermost IP header):
for each frame, take the last `ip` or `ipv6` layer in tshark's
frame.protocols, stopping at the first `icmp`/`icmpv6` (an ICMP error's
quoted header is not a tunnel). A fragment counts under the family of the
frame its datagram is reassembled in (ip.reassembled_in, ipv6.reassembled.in; two-pass -2 so that
fragments before their reassembling frame know it).
Teredo off port 3544 is decoded only with --teredo-heuristic.

usage: tshark_families.py [--teredo-heuristic] [--frames] CAPTURE
prints JSON: {"ipv4": {"packets": N, "bytes": N}, "ipv6": ..., "other": ...}
With --frames also "frames": [[number, family], ...].
"""
import json
import subprocess
import sys


def innermost(protocols):
    fam = "other"
    for p in protocols.split(":"):
        if p in ("icmp", "icmpv6"):
            break
        if p == "ip":
            fam = "ipv4"
        elif p == "ipv6":
            fam = "ipv6"
    return fam


def main(argv):
    heuristic = "--teredo-heuristic" in argv
    want_frames = "--frames" in argv
    files = [a for a in argv[1:] if not a.startswith("--")]
    if len(files) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = ["tshark", "-n", "-2", "-r", files[0], "-T", "fields",
           "-e", "frame.number", "-e", "frame.len", "-e", "frame.protocols",
           "-e", "ip.reassembled_in", "-e", "ipv6.reassembled.in",
           "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    # Teredo is dissected on UDP 3544 by default; its heuristic (off port
    # 3544) only when asked. Keep tshark's other defaults.
    cmd += ["--enable-heuristic" if heuristic else "--disable-heuristic", "teredo_udp"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    # tshark exits non-zero on a capture cut short but prints every complete
    # frame; only an empty answer with an error is a failure.
    if r.returncode != 0 and not r.stdout:
        print(f"tshark failed on {files[0]}: {r.stderr.strip()}", file=sys.stderr)
        return 1
    out = r.stdout
    rows = []
    fam_of = {}
    for line in out.splitlines():
        cols = line.split("\t")
        while len(cols) < 5:
            cols.append("")
        num, length = int(cols[0]), int(cols[1])
        fam_of[num] = innermost(cols[2])
        reasm = []
        for c in (cols[3], cols[4]):
            reasm += [int(x) for x in c.split(",") if x]
        rows.append((num, length, reasm))
    totals = {f: {"packets": 0, "bytes": 0} for f in ("ipv4", "ipv6", "other")}
    frames = []
    for num, length, reasm in rows:
        fam = fam_of[num]
        for r in reasm:
            if r != num and r in fam_of:
                fam = fam_of[r]
                break
        totals[fam]["packets"] += 1
        totals[fam]["bytes"] += length
        frames.append([num, fam])
    if want_frames:
        totals["frames"] = frames
    json.dump(totals, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
