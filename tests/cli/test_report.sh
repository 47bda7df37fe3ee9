#!/usr/bin/env bash
# tests/cli/test_report.sh - `v6mon report` end to end: a database filled by
# `v6mon traffic` from synthetic captures with known truth, then every
# format. The numbers must agree across formats and with the truth files
# (I2, I3 as ratios of sums of the truth's bytes); indicators without data
# must say so (null + reason), never 0; the HTML report must be one
# self-contained page (nothing fetched, no script) that headless Chromium
# (Debian's chromium) loads without console errors, whose scorecard values
# in the DOM equal the JSON's, in English and in Chinese; screenshots are
# left in $TMP for a person to look at.
. "$(dirname "$0")/lib.sh"
need python3

DB="$TMP/r.db"
for spec in "mobile 0.40 1" "metro 0.12 2"; do
  read -r seg share seed <<< "$spec"
  "$V6MON" synth -o "$TMP/$seg.pcap" --mix "$seg=1" --start 2024-11-01 --days 3 \
    --ipv6-share "$share" --users 300 --packets 40000 --seed "$seed" --truth "$TMP/$seg.truth.json" --quiet
  "$V6MON" traffic --users --apps --db "$DB" --vantage "$seg-tap" "$TMP/$seg.pcap" > /dev/null
done

expect_exit 0 "text scorecard" "$V6MON" report "$DB" --window all --lang en
check "text: I2 row" grep -qE "^  I2 +Mobile network IPv6 traffic share" "$TMP/last.out"
check "text: I4 says no data" grep -qE "^  I4 .*no data" "$TMP/last.out"
expect_exit 0 "text scorecard in Chinese" "$V6MON" report "$DB" --window all --lang zh
check "zh: the plan's term for I3" contains "$TMP/last.out" "城域网络IPv6流量占比"
check "zh: coverage sentences are Chinese too" contains "$TMP/last.out" "个时间桶"
check "zh: no English coverage sentence left" python3 - "$TMP/last.out" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
for english in (" buckets in ", " traffic run", "no data in the window", "in the window",
                "vantage points:", "the database has no"):
    assert english not in text, english
PY
expect_exit 129 "bad window" "$V6MON" report "$DB" --window fortnight
expect_exit 129 "bad format" "$V6MON" report "$DB" --format pdf
expect_exit 1 "missing database" "$V6MON" report "$TMP/nope.db"
check "missing database is named" contains "$TMP/last.err" "nope.db"

"$V6MON" report "$DB" --window all -f json > "$TMP/r.json"
"$V6MON" report "$DB" --window all -f csv > "$TMP/r.csv"
"$V6MON" report "$DB" --window all -f md > "$TMP/r.md"
check "I2 and I3 equal the truth (ratio of sums of the truth's bytes)" python3 - "$TMP" <<'PY'
import json, sys, os
tmp = sys.argv[1]
d = json.load(open(os.path.join(tmp, "r.json")))
ind = {i["id"]: i for i in d["indicators"]}
def truth_share(seg):
    t = json.load(open(os.path.join(tmp, seg + ".truth.json")))
    # the truth file's per-segment family bytes
    s = t["segments"][seg] if isinstance(t.get("segments"), dict) else \
        [x for x in t["segments"] if x["name"] == seg][0]
    fam = s.get("families", s)
    v4, v6 = fam["ipv4"]["bytes"], fam["ipv6"]["bytes"]
    return v6 / (v4 + v6)
for iid, seg in (("I2", "mobile"), ("I3", "metro")):
    want = truth_share(seg)
    got = ind[iid]["value"]
    assert abs(got - want) < 1e-9, (iid, got, want)
for iid in ("I4", "I5", "I8"):
    assert ind[iid]["value"] is None and ind[iid]["no_data"], ind[iid]
PY
check "csv and md carry the JSON's values" python3 - "$TMP" <<'PY'
import csv, json, os, sys
tmp = sys.argv[1]
d = json.load(open(os.path.join(tmp, "r.json")))
ind = {i["id"]: i for i in d["indicators"]}
rows = {r["id"]: r for r in csv.DictReader(open(os.path.join(tmp, "r.csv")))}
assert set(rows) == set(ind), set(rows) ^ set(ind)
for k, r in rows.items():
    v = ind[k]["value"]
    if v is None:
        assert r["value"] == "", (k, r)
    else:
        assert abs(float(r["value"]) - v) < 1e-5 * max(1, abs(v)), (k, r["value"], v)
md = open(os.path.join(tmp, "r.md")).read()
assert "| I2 |" in md and "%.1f%%" % (ind["I2"]["value"] * 100) in md
PY

for lang in en zh; do
  "$V6MON" report "$DB" --window all -f html --lang "$lang" -o "$TMP/r.$lang.html" 2>/dev/null
done
check "html zh: the coverage table speaks Chinese" python3 - "$TMP/r.zh.html" <<'PY'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"<[^>]+>", " ", page)
assert "个时间桶" in text and "监测点" in text
for english in (" buckets in ", " traffic run", "vantage points:", "the database has no",
                "in the window"):
    assert english not in text, english
PY
check "html: one self-contained page, no script, nothing fetched" python3 - "$TMP/r.en.html" "$TMP/r.zh.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.bad = []; s.stack = []
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "iframe", "img", "link", "object", "embed"):
            s.bad.append(tag)
        for k in ("src", "href", "xlink:href"):
            if k in a and a[k] and not a[k].startswith("#"):
                s.bad.append(f"{tag}[{k}={a[k]}]")
        if "url(" in (a.get("style") or ""):
            s.bad.append("url()")
for f in sys.argv[1:]:
    t = open(f, encoding="utf-8").read()
    p = P(); p.feed(t)
    assert not p.bad, (f, p.bad[:5])
    assert "url(" not in t.split("<style>")[1].split("</style>")[0], f
    assert t.count("<svg") >= 8, f
PY
check "html: data-value of every scorecard card equals the JSON" python3 - "$TMP" <<'PY'
import json, os, re, sys
tmp = sys.argv[1]
d = json.load(open(os.path.join(tmp, "r.json")))
ind = {i["id"]: i["value"] for i in d["indicators"]}
t = open(os.path.join(tmp, "r.en.html"), encoding="utf-8").read()
cards = re.findall(r'data-indicator="([^"]+)" data-value="([^"]*)"', t)
assert len(cards) >= 9, cards
for iid, val in cards:
    want = ind[iid]
    if want is None:
        assert val == "", (iid, val)
    else:
        assert abs(float(val) - want) < 1e-5 * max(1, abs(want)), (iid, val, want)
PY

# Headless Chromium: the page loads without console errors, the DOM it
# builds carries the same values, the Chinese page renders its terms.
if command -v chromium >/dev/null 2>&1; then
  for lang in en zh; do
    rc=0
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-extensions \
      --no-first-run --enable-logging=stderr --v=0 --virtual-time-budget=3000 \
      --dump-dom "file://$TMP/r.$lang.html" > "$TMP/dom.$lang.html" 2> "$TMP/chromium.$lang.log" || rc=$?
    check "chromium ($lang): page loads" test "$rc" -eq 0 -a -s "$TMP/dom.$lang.html"
    check "chromium ($lang): no console errors" bash -c \
      "! grep -E 'CONSOLE|Uncaught|Refused to|ERR_' '$TMP/chromium.$lang.log' | grep -v 'dbus\\|Fontconfig\\|gpu\\|GPU\\|sandbox' | grep -q ."
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --screenshot="$TMP/report.$lang.png" --window-size=1200,2400 "file://$TMP/r.$lang.html" \
      > /dev/null 2>&1 || true
    check "chromium ($lang): screenshot written ($TMP/report.$lang.png)" test -s "$TMP/report.$lang.png"
  done
  # print: A4 pages (595 x 842 pt), not one endless sheet; phone: a screenshot at 390 px
  timeout 120 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$TMP/report.pdf" "file://$TMP/r.en.html" > /dev/null 2>&1 || true
  check "chromium: prints on A4" python3 - "$TMP/report.pdf" <<'PY'
import re, sys
b = open(sys.argv[1], "rb").read()
boxes = set(re.findall(rb"/MediaBox\s*\[\s*([\d. ]+)\]", b))
assert boxes, "no pages"
for box in boxes:
    x0, y0, w, h = (float(v) for v in box.split())
    assert abs(w - 595) < 2 and abs(h - 842) < 2, box
assert len(re.findall(rb"/Type\s*/Page[^s]", b)) >= 2
PY
  timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --screenshot="$TMP/report.phone.png" --window-size=390,1600 "file://$TMP/r.zh.html" > /dev/null 2>&1 || true
  check "chromium: phone-width screenshot written ($TMP/report.phone.png)" test -s "$TMP/report.phone.png"
  check "chromium: DOM scorecard values equal the JSON" python3 - "$TMP" <<'PY'
import json, os, re, sys
tmp = sys.argv[1]
ind = {i["id"]: i["value"] for i in json.load(open(os.path.join(tmp, "r.json")))["indicators"]}
for lang in ("en", "zh"):
    dom = open(os.path.join(tmp, f"dom.{lang}.html"), encoding="utf-8").read()
    cards = re.findall(r'data-indicator="([^"]+)" data-value="([^"]*)"', dom)
    assert len(cards) >= 9, (lang, len(cards))
    for iid, val in cards:
        want = ind[iid]
        assert (val == "") if want is None else abs(float(val) - want) < 1e-5 * max(1, abs(want)), (lang, iid, val, want)
zh = open(os.path.join(tmp, "dom.zh.html"), encoding="utf-8").read()
for term in ("移动网络IPv6流量占比", "城域网络IPv6流量占比", "IPv6活跃用户占比", "无数据"):
    assert term in zh, term
PY
else
  echo "SKIP (part): chromium is not installed; the browser checks did not run"
fi
finish
