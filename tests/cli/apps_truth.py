#!/usr/bin/env python3
"""Per-app check of `v6mon traffic --apps --format json` against synth truth.

The truth lists bytes/packets/flows per service NAME (what the generator
wrote); this script maps names to apps itself, from the catalog CSV files
given (the built-in data/apps.csv first, then --apps files in order), with
its own implementation of the documented rule (docs/apps.md): a domain
suffix matches on label boundaries, the longest matching suffix wins, a
later file takes a suffix over. It then checks, per app and family, the
report's packets, bytes and flows, the IPv6 share (I7), the IPv4-only
domain list, the I6 verdict, "named_no_app" and "unattributed".

usage: apps_truth.py REPORT.json TRUTH.json CATALOG.csv [MORE.csv...]
Prints one line per mismatch and a summary; exit 1 on any mismatch.
"""
import csv
import json
import sys

FAMS = ("ipv4", "ipv6")


def load_catalog(paths):
    owner = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            lines = [l for l in f if not l.lstrip().startswith("#") and l.strip()]
        rows = list(csv.reader(lines))
        for row in rows[1:]:  # header: app,category,domains,ndpi
            app = row[0].strip()
            for dom in row[2].split():
                owner[dom.strip().lower().rstrip(".")] = app
    return owner


def app_of(name, owner):
    labels = name.split(".")
    for i in range(len(labels)):  # longest suffix first
        suffix = ".".join(labels[i:])
        if suffix in owner:
            return owner[suffix]
    return None


def zero():
    return {f: {"packets": 0, "bytes": 0, "flows": 0} for f in FAMS}


def add(dst, src):
    for f in FAMS:
        for k in ("packets", "bytes", "flows"):
            dst[f][k] += src[f][k]


def main(argv):
    rep = json.load(open(argv[1]))
    tru = json.load(open(argv[2]))
    owner = load_catalog(argv[3:])
    bad = []
    checks = 0

    def cmp(what, got, want):
        nonlocal checks
        checks += 1
        if got != want:
            bad.append(f"{what}: got {got!r}, want {want!r}")

    want_apps, names_of = {}, {}
    named_no_app = zero()
    for n in tru["names"]:
        app = app_of(n["name"], owner)
        if app is None:
            add(named_no_app, n)
            continue
        want_apps.setdefault(app, zero())
        add(want_apps[app], n)
        names_of.setdefault(app, []).append(n)

    got_apps = {a["app"]: a for a in rep["apps"]}
    cmp("apps seen", sorted(got_apps), sorted(want_apps))
    for app, want in want_apps.items():
        got = got_apps.get(app)
        if not got:
            continue
        for f in FAMS:
            for k in ("packets", "bytes", "flows"):
                cmp(f"{app} {f} {k}", got[f][k], want[f][k])
        total = want["ipv4"]["bytes"] + want["ipv6"]["bytes"]
        share = want["ipv6"]["bytes"] / total if total else None
        gs = got["ipv6_share"]
        # The report prints 6 significant digits.
        close = (gs is None) == (share is None) and (gs is None or abs(gs - share) < 2e-6)
        cmp(f"{app} I7 {gs} ~ {share}", close, True)
        ns = sorted(names_of[app],
                    key=lambda n: (-(n["ipv4"]["bytes"] + n["ipv6"]["bytes"]), n["name"]))
        v4only = [n["name"] for n in ns if n["ipv6"]["flows"] == 0]
        cmp(f"{app} ipv4-only domains", [d["name"] for d in got["ipv4_only_domains"]], v4only)
        # I6: the fewest names making 80% of the named bytes (at most 10)
        # must all have been seen over IPv6, and the app carried IPv6 bytes.
        named = sum(n["ipv4"]["bytes"] + n["ipv6"]["bytes"] for n in ns)
        run, top = 0, []
        for n in ns[:10]:
            top.append(n)
            run += n["ipv4"]["bytes"] + n["ipv6"]["bytes"]
            if run >= 0.8 * named:
                break
        shows = want["ipv6"]["bytes"] > 0 and all(n["ipv6"]["flows"] > 0 for n in top)
        cmp(f"{app} shows_ipv6", got["shows_ipv6"], shows)

    summ = rep["apps_summary"]
    for f in FAMS:
        for k in ("packets", "bytes", "flows"):
            cmp(f"named_no_app {f} {k}", summ["named_no_app"][f][k], named_no_app[f][k])
            cmp(f"unattributed {f} {k}", summ["unattributed"][f][k],
                tru["unattributed"][f][k])
    # I6 counts apps, not a company's shared infrastructure (category infra).
    cats = {}
    for path in argv[3:]:
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.reader(l for l in f if l.strip() and not l.lstrip().startswith("#")):
                cats[row[0]] = row[1]
    apps = [a for a in want_apps if cats.get(a) != "infra"]
    showing = sum(1 for a in apps if got_apps.get(a, {}).get("shows_ipv6"))
    cmp("I6 apps showing", summ["indicators"]["I6_apps_showing_ipv6"], showing)
    cmp("I6 apps seen", summ["indicators"]["I6_apps_seen"], len(apps))

    for line in bad[:40]:
        print(line)
    print(f"{checks - len(bad)} passed, {len(bad)} failed ({len(want_apps)} apps)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
