#!/usr/bin/env python3
"""tests/lab/check_expected.py KIND OUT.jsonl [EXPECTED] - compare a `v6mon
probe --format json` run on the lab with tests/lab/expected.json.

KIND: sites | hostile | lies | apps | untestable. Prints one line per
mismatch and exits 1 when there is any; exits 0 when everything matches.
"""
import json
import os
import sys

kind, out = sys.argv[1], sys.argv[2]
exp_path = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(__file__), "expected.json")
exp = json.load(open(exp_path))
lines = [json.loads(l) for l in open(out)]
sites = {l["name"]: l for l in lines if l["type"] == "site"}
apps = {l["name"]: l for l in lines if l["type"] == "app"}
runs = [l for l in lines if l["type"] == "run"]
bad = []


def want(cond, what):
    if not cond:
        bad.append(what)


want(len(runs) == 1, f"{len(runs)} run lines")
if kind == "sites":
    for name, e in exp["sites"].items():
        s = sites.get(name)
        if not s:
            bad.append(f"{name}: missing")
            continue
        for chk, (state, code) in e["checks"].items():
            c = s["checks"][chk]
            want(c["state"] == state, f"{name} {chk}: state {c['state']}, expected {state} ({c['message']})")
            want(c["code"] == code, f"{name} {chk}: code {c['code']!r}, expected {code!r}")
            want(c["state"] == "pass" or c["message"], f"{name} {chk}: no message for a {c['state']}")
        want(s["supported"] == e["supported"], f"{name}: supported {s['supported']}")
        want(s["compliant"] == e["compliant"], f"{name}: compliant {s['compliant']}")
        if "l2" in e:
            want([s["l2_pass"], s["l2_total"]] == e["l2"], f"{name}: l2 {s['l2_pass']}/{s['l2_total']}, expected {e['l2']}")
        if "l3" in e:
            want([s["l3_pass"], s["l3_total"]] == e["l3"], f"{name}: l3 {s['l3_pass']}/{s['l3_total']}, expected {e['l3']}")
        if "link_concentration" in e:
            p, t = e["link_concentration"]
            want(abs(s["link_concentration"] - p / t) < 1e-6, f"{name}: link concentration {s['link_concentration']}")
        if "res" in e:
            want([s["res_bytes_v6"], s["res_bytes"]] == e["res"], f"{name}: resource bytes {s['res_bytes_v6']}/{s['res_bytes']}, expected {e['res']}")
        if "ipv6_only_ready" in e:
            want(s["ipv6_only_ready"] == e["ipv6_only_ready"], f"{name}: ipv6_only_ready {s['ipv6_only_ready']}")
        if "blockers" in e:
            want(s["ipv6_only_blockers"] == e["blockers"], f"{name}: blockers {s['ipv6_only_blockers']!r}")
        if "cname_chain" in e:
            want(s["cname_chain"] == e["cname_chain"], f"{name}: cname chain {s['cname_chain']!r}")
        if "zone" in e:
            want(s["zone"] == e["zone"], f"{name}: zone {s['zone']!r}")
    want(len(sites) == len(exp["sites"]), f"{len(sites)} sites reported, expected {len(exp['sites'])}")
elif kind == "hostile":
    for name, e in exp["hostile"].items():
        s = sites.get(name)
        if not s:
            bad.append(f"{name}: missing")
            continue
        for chk, (state, code) in e.items():
            c = s["checks"][chk]
            want(c["state"] == state and c["code"] == code,
                 f"{name} {chk}: {c['state']} {c['code']!r}, expected {state} {code!r} ({c['message']})")
elif kind == "lies":
    for case, code in exp["lies"].items():
        s = sites.get(case)
        if not s:
            bad.append(f"{case}: missing")
            continue
        c = s["checks"]["W1"]
        if code == "pass":  # an honest answer, just delivered the hard way (TC, then TCP)
            want(c["state"] == "pass", f"lie {case}: W1 {c['state']} {c['code']!r} ({c['message']}), expected pass")
        else:
            want(c["state"] == "fail" and c["code"] == code, f"lie {case}: W1 {c['state']} {c['code']!r}, expected {code}")
elif kind == "apps":
    for name, e in exp["apps"].items():
        a = apps.get(name)
        if not a:
            bad.append(f"{name}: missing")
            continue
        want(a["supported"] == e["supported"], f"{name}: supported {a['supported']}")
        want([a["n_domains_ok"], a["n_domains"]] == e["ok"], f"{name}: {a['n_domains_ok']}/{a['n_domains']} ok")
        doms = {d["domain"]: d for d in a["domains"]}
        for d, code in e["failing"].items():
            want(d in doms and doms[d]["code"] == code, f"{name} {d}: code {doms.get(d, {}).get('code')!r}, expected {code}")
elif kind == "untestable":
    # The vantage has no working IPv6 (canary without AAAA): nothing may
    # "fail IPv6"; W2..W7 are not testable, W1 (DNS) is still measured.
    want(runs and not runs[0]["vantage"]["v6_ok"], "vantage v6_ok should be false")
    for name, s in sites.items():
        want(not s["testable"], f"{name}: testable")
        for chk in ("W2", "W3", "W4", "W5", "W6", "W7"):
            want(s["checks"][chk]["state"] in ("not_testable", "skipped"),
                 f"{name} {chk}: {s['checks'][chk]['state']} without IPv6 at the vantage point")
        want(not s["compliant"], f"{name}: compliant without IPv6")
else:
    sys.exit(f"unknown kind {kind}")
for b in bad:
    print("  mismatch:", b)
sys.exit(1 if bad else 0)
