#!/usr/bin/env python3
"""tests/cli/serve_check.py - checks of a running `v6mon serve`, one per call:

    serve_check.py CHECK BASE_URL [args...]

exits 0 when the check holds, 1 (with the reason on stderr) when not.
Used by tests/cli/test_serve.sh. The expected values never come from the
server itself: they come from `v6mon report --format json` and `v6mon db
export` (other commands over the same database), from Python's own
parsing, hashing and HTTP handling, or from the HTTP rules.
"""
import base64
import hashlib
import http.client
import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def fail(msg):
    print("  | " + msg, file=sys.stderr)
    sys.exit(1)


def get(base, path, headers=None, method="GET"):
    """(status, headers dict with lowercase keys, body bytes)"""
    req = urllib.request.Request(base + path, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def get_json(base, path, headers=None):
    st, h, body = get(base, path, headers)
    if st != 200:
        fail(f"{path}: status {st}: {body[:200]!r}")
    if not h.get("content-type", "").startswith("application/json"):
        fail(f"{path}: content-type {h.get('content-type')}")
    return json.loads(body)


def report(v6mon, db, args):
    out = subprocess.run([v6mon, "report", db, "--format", "json"] + args,
                         check=True, capture_output=True).stdout
    return json.loads(out)


def query(params):
    return ("?" + urllib.parse.urlencode(params)) if params else ""


def report_args(params):
    a = []
    for k, v in params.items():
        a += ["--" + k, v]
    return a


# ---- the JSON API equals `v6mon report --format json` ----------------------------------------

CASES = [
    {},
    {"window": "all"},
    {"window": "day"},
    {"window": "month"},
    {"window": "2024-11-01..2024-11-02"},
    {"window": "2024-11"},
    {"window": "all", "segment": "mobile"},
    {"window": "all", "category": "government"},
    {"window": "all", "vantage": "mobile-tap"},
    {"window": "30d", "segment": "metro", "vantage": "metro-tap"},
]


def check_same_as_report(base, v6mon, db, *extra):
    extra = list(extra)
    n = 0
    for params in CASES:
        got = get_json(base, "/api/v1/indicators" + query(params))
        want = report(v6mon, db, report_args(params) + extra)
        if got != want:
            diff = [k for k in want if got.get(k) != want.get(k)]
            fail(f"/api/v1/indicators{query(params)} differs from report in {diff}")
        n += 1
    print(f"  {n} windows/filters equal `v6mon report --format json`")


PARTS = {
    "sites": (["I4", "I5", "I5.resource_bytes"], "sites"),
    "apps": (["I6", "I7"], "apps"),
    "traffic": (["I1", "I2", "I3"], "segments"),
    "kpi": (None, "cdn"),
}


def check_parts(base, v6mon, db, *extra):
    for params in ({"window": "all"}, {}, {"window": "all", "category": "government"}):
        want = report(v6mon, db, report_args(params) + list(extra))
        for part, (ids, table) in PARTS.items():
            got = get_json(base, f"/api/v1/{part}" + query(params))
            if got.get("schema") != f"v6mon.api.{part}/1":
                fail(f"{part}: schema {got.get('schema')}")
            for k in ("tool_version", "database", "window", "reference", "filters", "config"):
                if got.get(k) != want[k]:
                    fail(f"{part}: '{k}' differs from the report")
            if ids is None:
                wi = [i for i in want["indicators"] if i["id"].startswith("parity.")]
            else:
                wi = [i for i in want["indicators"] if i["id"] in ids]
            if got["indicators"] != wi:
                fail(f"{part}{query(params)}: indicators {[i['id'] for i in got['indicators']]} "
                     f"!= {[i['id'] for i in wi]}")
            if got[table] != want[table]:
                fail(f"{part}{query(params)}: '{table}' differs from the report")
            if set(got) != {"schema", "tool_version", "database", "window", "reference",
                            "filters", "config", "indicators", table}:
                fail(f"{part}: keys {sorted(got)}")
    print("  sites/apps/traffic/kpi equal the report's parts")


def check_runs(base, v6mon, db, *kinds_expected):
    got = get_json(base, "/api/v1/runs?window=all")
    rep = report(v6mon, db, ["--window", "all"])
    for k in ("window", "reference", "filters", "database"):
        if got[k] != rep[k]:
            fail(f"runs: '{k}' differs from the report")
    for table in ("runs", "probe_runs", "kpi_runs"):
        out = subprocess.run([v6mon, "db", "export", db, table, "--format", "json"],
                             check=True, capture_output=True).stdout
        if got["rows"].get(table) != json.loads(out):
            fail(f"runs: rows of {table} differ from `v6mon db export`")
    counts = {k["kind"]: k["runs"] for k in got["kinds"]}
    for spec in kinds_expected:
        kind, n = spec.split("=")
        if counts.get(kind) != int(n):
            fail(f"runs: {kind} has {counts.get(kind)} runs, wanted {n}")
    used = set()
    for ind in rep["indicators"]:
        for r in ind["coverage"]["runs"]:
            used.add((r["kind"], r["id"]))
    got_used = [(u["kind"], u["id"]) for u in got["used"]]
    if got_used != sorted(used):
        fail(f"runs: used {got_used} != the report's coverage runs {sorted(used)}")
    print(f"  runs: {counts}, {len(got_used)} used in window 'all'")


# ---- errors ----------------------------------------------------------------------------------

BAD = [
    ("/api/v1/indicators?window=fortnight", 400),
    ("/api/v1/indicators?window=2024-13-01", 400),
    ("/api/v1/indicators?window=2024-11-05..2024-11-01", 400),
    ("/api/v1/indicators?window=", 400),
    ("/api/v1/sites?window=all&window=day", 400),
    ("/api/v1/apps?colour=blue", 400),
    ("/api/v1/traffic?segment=", 400),
    ("/api/v1/kpi?category=%01x", 400),
    ("/api/v1/kpi?vantage=" + "x" * 129, 400),
    ("/api/v1/kpi?vantage=%ff%fe", 400),
    ("/api/v1/runs?lang=zh", 400),
    ("/?lang=fr", 400),
    ("/metrics?window=yesterday", 400),
    ("/favicon.ico?window=all", 400),
    ("/api/v1/indicators?segment=a%00b", 400),
    ("/api/v1/nope", 404),
    ("/api/v1/indicators/", 404),
    ("/index.html", 404),
    ("/api/v2/indicators", 404),
    ("/etc/passwd", 404),
]


def check_errors(base):
    for path, want in BAD:
        st, h, body = get(base, path)
        if st != want:
            fail(f"{path}: status {st}, wanted {want}")
        if not h.get("content-type", "").startswith("application/json"):
            fail(f"{path}: content-type {h.get('content-type')}")
        err = json.loads(body).get("error", {})
        if err.get("status") != want or not err.get("message"):
            fail(f"{path}: error body {body[:200]!r}")
        for k, v in SECURITY_HEADERS.items():
            if h.get(k) != v:
                fail(f"{path}: header {k}: {h.get(k)}")
    print(f"  {len(BAD)} bad requests answered with the right status and a JSON error")


def raw(port, data, host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(data)
    buf = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            buf += c
    except socket.timeout:
        pass
    s.close()
    head, _, body = buf.partition(b"\r\n\r\n")
    line = head.split(b"\r\n")[0].decode("latin-1")
    m = re.match(r"HTTP/1\.[01] (\d{3})", line)
    return (int(m.group(1)) if m else 0), body


TRAVERSAL = [
    b"/../../../../etc/passwd",
    b"/..",
    b"/api/v1/../../etc/passwd",
    b"/%2e%2e/%2e%2e/etc/passwd",
    b"/%2E%2E%2Fetc%2Fpasswd",
    b"/..%2f..%2fetc%2fpasswd",
    b"/api%2fv1%2findicators",
    b"/%2fetc%2fpasswd",
    b"//etc/passwd",
    b"/./api/v1/runs",
    b"/api/v1/runs/.",
    b"/..\\..\\etc\\passwd",
    b"/%5c..%5cetc",
    b"/%00",
    b"/api/v1/runs%00.json",
    b"/%c0%ae%c0%ae/etc/passwd",
    b"http://example.com/../../etc/passwd",
    b"*",
]


def check_traversal(base):
    port = urllib.parse.urlsplit(base).port
    for target in TRAVERSAL:
        st, body = raw(port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if st not in (400, 404):
            fail(f"{target!r}: status {st}, wanted 400 or 404")
        if b"root:" in body:
            fail(f"{target!r}: a file came back")
    # A raw NUL byte: libmicrohttpd 0.9.75 ends the target there (the rest is
    # never seen), so what is served is only ever the part before it.
    st, body = raw(port, b"GET /\x00/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    if b"root:" in body or st not in (200, 400, 404):
        fail(f"raw NUL: status {st}")
    print(f"  {len(TRAVERSAL)} traversal / encoded targets refused with 400 or 404")


def check_methods(base):
    port = urllib.parse.urlsplit(base).port
    cases = [
        (b"POST /api/v1/indicators HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc", 405),
        (b"PUT /api/v1/indicators HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405),
        (b"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"OPTIONS / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello", 413),
        (b"GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 413),
        (b"GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 200),
        (b"GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\nConnection: close\r\n\r\n", 431),
        (b"GET /api/v1/runs?window=" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 414),
        (b"GET /api/v1/runs HTTP/1.0\r\n\r\n", 200),
    ]
    for req, want in cases:
        st, _ = raw(port, req)
        if st != want and not (want == 414 and st in (414, 431)):
            fail(f"{req[:60]!r}...: status {st}, wanted {want}")
    st, h, body = get(base, "/api/v1/runs", method="HEAD")
    if st != 200 or body or int(h.get("content-length", "0")) == 0:
        fail(f"HEAD: status {st}, body {len(body)} bytes, length {h.get('content-length')}")
    st, h, _ = get(base, "/", method="POST")
    if st != 405 or "GET" not in h.get("allow", ""):
        fail(f"POST /: {st}, Allow {h.get('allow')}")
    print(f"  {len(cases) + 2} method / body / size cases answered as HTTP says")


def check_keepalive(base):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    socks = set()
    for path in ("/api/v1/runs", "/api/v1/indicators", "/metrics", "/"):
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        if r.status != 200:
            fail(f"{path}: {r.status}")
        socks.add(id(c.sock))
    if len(socks) != 1:
        fail("the connection was not kept alive")
    c.close()
    print("  4 requests on one kept-alive connection")


def check_mixed(base, seconds="5"):
    """many threads, every route, more distinct queries than the cache
    holds (16), for a while (the test writes a run meanwhile): every
    answer is 200 and well-formed"""
    import threading
    import time
    windows = ["all", "day", "month", "30d", "2024-11", "2024-11-01", "2024-11-02",
               "2024-11-03", "2024-10-20..2024-11-03", "2024-11-01..2024-11-02"]
    paths = []
    for w in windows:
        for extra in ("", "&segment=mobile"):
            for route in ("/api/v1/indicators", "/api/v1/sites", "/api/v1/apps",
                          "/api/v1/traffic", "/api/v1/kpi", "/api/v1/runs", "/metrics",
                          "/", "/?lang=zh"):
                paths.append(route + ("&" if "?" in route else "?") + "window=" + w + extra)
    errors, done = [], [0]
    stop = time.time() + float(seconds)
    lock = threading.Lock()

    def worker(k):
        i = k
        while time.time() < stop and not errors:
            p = paths[(i * 7919) % len(paths)]
            i += 1
            try:
                st, h, body = get(base, p)
                if st != 200:
                    raise ValueError(f"status {st}: {body[:120]!r}")
                if p.startswith("/api/"):
                    json.loads(body)
                elif p.startswith("/metrics"):
                    parse_metrics(body.decode())
                elif b"data-indicator" not in body:
                    raise ValueError("no scorecard")
            except Exception as e:  # noqa: BLE001 - any failure fails the check
                with lock:
                    errors.append(f"{p}: {e}")
            with lock:
                done[0] += 1

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(24)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        fail(errors[0])
    print(f"  {done[0]} requests over {len(paths)} distinct URLs, all 200 and well-formed")


# ---- headers and the dashboard ---------------------------------------------------------------

def csp_hash(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def check_headers(base):
    for path in ("/api/v1/indicators", "/metrics", "/api/v1/runs"):
        st, h, _ = get(base, path)
        csp = h.get("content-security-policy", "")
        if st != 200 or "default-src 'none'" not in csp or "frame-ancestors 'none'" not in csp:
            fail(f"{path}: CSP {csp!r}")
        for k, v in SECURITY_HEADERS.items():
            if h.get(k) != v:
                fail(f"{path}: {k}: {h.get(k)}")
    st, h, _ = get(base, "/metrics")
    if not h.get("content-type", "").startswith("text/plain; version=0.0.4"):
        fail(f"/metrics content-type {h.get('content-type')}")
    for lang in ("en", "zh"):
        st, h, body = get(base, "/?lang=" + lang)
        page = body.decode()
        if st != 200 or not h.get("content-type", "").startswith("text/html"):
            fail(f"/?lang={lang}: {st} {h.get('content-type')}")
        csp = h.get("content-security-policy", "")
        d = {p.split()[0]: p.split()[1:] for p in csp.split("; ") if p}
        if d.get("default-src") != ["'none'"] or d.get("connect-src") != ["'self'"]:
            fail(f"dashboard CSP {csp!r}")
        scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
        styles = re.findall(r"<style>(.*?)</style>", page, re.S)
        attrs = sorted(set(re.findall(r' style="([^"]*)"', page)))
        if len(scripts) != 1 or "/api/v1/runs" not in scripts[0]:
            fail(f"dashboard: {len(scripts)} scripts")
        if sorted(d.get("script-src", [])) != sorted(csp_hash(s) for s in scripts):
            fail("script-src is not exactly the hashes of the page's scripts")
        want_style = [csp_hash(s) for s in styles]
        if attrs:
            want_style += ["'unsafe-hashes'"] + [csp_hash(a) for a in attrs]
        if sorted(d.get("style-src", [])) != sorted(want_style):
            fail(f"style-src {d.get('style-src')} != hashes of the page's styles")
        if re.search(r'<(img|link|iframe|object|embed)\b|\bsrc="', page):
            fail("the dashboard refers to something outside itself")
        if f'lang="{"zh-CN" if lang == "zh" else "en"}"' not in page and f'lang="{lang}"' not in page:
            fail(f"dashboard language is not {lang}")
    print("  security headers on every answer; the dashboard's CSP allows exactly its own "
          "inline script and styles")


# ---- /metrics --------------------------------------------------------------------------------

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            fail(f"metrics line {line!r}")
        labels = dict(LABEL.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def check_metrics(base, v6mon, db, *extra):
    st, h, body = get(base, "/metrics")
    if st != 200:
        fail(f"/metrics: {st}")
    ms = parse_metrics(body.decode())
    rep = report(v6mon, db, list(extra))
    ind = {i["id"]: i for i in rep["indicators"]}
    vals = {(l["indicator"]): v for n, l, v in ms
            if n == "v6mon_indicator_value" and "segment" not in l and "category" not in l}
    tgts = {l["indicator"]: v for n, l, v in ms if n == "v6mon_indicator_target"}
    for iid, i in ind.items():
        if i["value"] is None:
            if iid in vals:
                fail(f"{iid}: no data in the report, {vals[iid]} in /metrics")
        elif abs(vals.get(iid, -1) - i["value"]) > 1e-9 * max(1, abs(i["value"])):
            fail(f"{iid}: {vals.get(iid)} in /metrics, {i['value']} in the report")
        if abs(tgts.get(iid, -1) - i["target"]) > 1e-12:
            fail(f"{iid}: target {tgts.get(iid)} != {i['target']}")
    for i in rep["indicators"]:
        if i["groups"]:
            by = i["groups"]["by"]
            for g in i["groups"]["rows"]:
                got = [v for n, l, v in ms if n == "v6mon_indicator_value"
                       and l.get("indicator") == i["id"] and l.get(by) == g["name"]]
                if g["value"] is None and got or g["value"] is not None and (
                        len(got) != 1 or abs(got[0] - g["value"]) > 1e-9):
                    fail(f"{i['id']} {by}={g['name']}: {got} vs {g['value']}")
    names = {n for n, _, _ in ms}
    for n in ("v6mon_runs", "v6mon_http_requests_total", "v6mon_database_errors_total",
              "v6mon_build_info", "v6mon_indicator_has_data"):
        if n not in names:
            fail(f"/metrics has no {n}")
    print(f"  {len(ms)} samples; every indicator value and target equals the report's")


def check_metric(base, name, label_spec, want):
    """a sample's value: check_metric BASE NAME k=v,k=v VALUE"""
    st, h, body = get(base, "/metrics")
    labels = dict(kv.split("=", 1) for kv in label_spec.split(",") if kv)
    got = [v for n, l, v in parse_metrics(body.decode())
           if n == name and all(l.get(k) == v for k, v in labels.items())]
    if not got or got[0] != float(want):
        fail(f"{name}{{{label_spec}}} = {got}, wanted {want}")


def check_print_metric(base, name, label_spec):
    """print a sample's value (0 when absent): print-metric BASE NAME k=v,k=v"""
    st, h, body = get(base, "/metrics")
    labels = dict(kv.split("=", 1) for kv in label_spec.split(",") if kv)
    got = [v for n, l, v in parse_metrics(body.decode())
           if n == name and all(l.get(k) == v for k, v in labels.items())]
    print(int(got[0]) if got else 0)


# ---- the token -------------------------------------------------------------------------------

def check_auth(base, token):
    cases = [
        ({}, 401),
        ({"Authorization": "Bearer"}, 401),
        ({"Authorization": "Bearer " + token[:-1]}, 401),
        ({"Authorization": "Bearer " + token + "x"}, 401),
        ({"Authorization": "Bearer " + token.upper() if token.upper() != token else "x"}, 401),
        ({"Authorization": "Basic " + base64.b64encode(b"u:" + token.encode()).decode()}, 401),
        ({"Authorization": "Token " + token}, 401),
        ({"Authorization": "Bearer " + token}, 200),
        ({"Authorization": "bearer  " + token}, 200),
    ]
    for path in ("/api/v1/indicators", "/", "/metrics", "/nope", "/../x"):
        for hdr, want in cases:
            st, h, _ = get(base, path, hdr)
            if path == "/nope" and want == 200:
                want = 404
            if path == "/../x":
                want = 400  # the target is judged first
            if st != want:
                fail(f"{path} with {hdr}: {st}, wanted {want}")
            if st == 401 and not h.get("www-authenticate", "").startswith("Bearer"):
                fail("401 without WWW-Authenticate: Bearer")
    print(f"  token: {len(cases) * 5} requests, 200 only with the right bearer token")


def check_dom(base, dom_file, lang):
    """the scorecard values in the DOM chromium built equal the JSON API's"""
    api = get_json(base, "/api/v1/indicators")
    ind = {i["id"]: i["value"] for i in api["indicators"]}
    dom = open(dom_file, encoding="utf-8").read()
    cards = re.findall(r'data-indicator="([^"]+)" data-value="([^"]*)"', dom)
    if len(cards) < 9:
        fail(f"{len(cards)} cards in the DOM")
    for iid, val in cards:
        want = ind[iid]
        ok = (val == "") if want is None else (val != "" and
                                               abs(float(val) - want) <= 5e-6 * max(1, abs(want)))
        if not ok:
            fail(f"{lang}: {iid} DOM {val!r} vs API {want}")
    terms = {"zh": ["移动网络IPv6流量占比", "城域网络IPv6流量占比", "IPv6活跃用户占比", "无数据"],
             "en": ["Mobile network IPv6 traffic share", "no data"]}[lang]
    for t in terms:
        if t not in dom:
            fail(f"{lang}: '{t}' is not on the page")
    print(f"  {lang}: {len(cards)} scorecard values in the DOM equal the API's")


def main():
    name, args = sys.argv[1], sys.argv[2:]
    fn = globals().get("check_" + name.replace("-", "_"))
    if not fn:
        fail(f"no check {name}")
    fn(*args)


if __name__ == "__main__":
    main()
