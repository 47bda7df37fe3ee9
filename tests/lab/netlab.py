#!/usr/bin/env python3
"""tests/lab/netlab.py - a lab of real servers for `v6mon probe` (docs/lab.md).

    netlab.py up STATE [--bench N]   build namespaces, zones, sites; start nsd,
                                     unbound, nginx and the hostile servers
    netlab.py env STATE              print shell variables (CLIENT_NS, RESOLVER...)
    netlab.py down STATE             stop everything, remove the namespaces
                                     (idempotent; kills only processes that
                                     live in the lab's namespaces)
tests/lab/lab.sh is the same command line in shell; tests/lab/selftest.sh
checks that every server behaves as designed.

Topology: two network namespaces joined by one veth pair.
    client (v6mon runs here)  10.99.0.2/24, 3ffe:99::2/64 -- veth --
    net    (every server)     10.99.0.1/24, 3ffe:99::1/64, plus each server
                              address on its loopback (198.18.x.y, 3ffe:1::x)
3ffe::/16 is the returned 6bone space: unrouted on the internet, yet global
unicast for the W1 rule (documentation space 2001:db8::/32 would not be).

DNS: nsd is authoritative for "lab." (delegating every site's zone) and the
site zones, on the name-server addresses; unbound is the client's
recursive resolver with a stub zone for "lab." and "example.gov.cn.".
Web: one nginx with a server block per site and family. Hostile servers:
tests/lab/hostile.py (HTTP) and tests/lab/liedns.py (DNS).

The expected outcome of every site is in tests/lab/expected.json; the page
files below are sized so that every rate and byte share there is exact.
Needs root. Nothing leaves the two namespaces.
"""
import json
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# name server addresses (nsd listens on all of these)
NS_GOOD = [("ns1.infra.lab", "198.18.0.53", "3ffe:1::53"), ("ns2.infra.lab", "198.18.0.54", "3ffe:1::54")]
NS_V4ONLY = [("v4ns1.infra.lab", "198.18.0.55", None), ("v4ns2.infra.lab", "198.18.0.56", None)]
NS_DEAD_V6 = ("dead.infra.lab", "198.18.0.57", "3ffe:1::57")  # v6 address: nothing listens
RESOLVER4, RESOLVER6 = "198.18.0.10", "3ffe:1::10"
# the veth link: client side .2/::2, net side .1/::1
CLIENT4, CLIENT6, NETGW4, NETGW6 = "10.99.0.2", "3ffe:99::2", "10.99.0.1", "3ffe:99::1"
CLIENT_NET4, CLIENT_NET6 = "10.99.0.0/24", "3ffe:99::/64"
LIEDNS4, LIEDNS6 = "198.18.0.66", "3ffe:1::66"

# site: zone, www A, www AAAA, nameservers, category
# Addresses: 198.18.1.N / 3ffe:1::1:N
SITES = [
    # zone,          v4,            v6,                ns,        category
    ("dual.lab",      "198.18.1.1",  "3ffe:1::1:1",     "good",    "government"),
    ("v4only.lab",    "198.18.1.2",  None,              "good",    "government"),
    ("closed.lab",    "198.18.1.3",  "3ffe:1::1:3",     "good",    "finance"),
    ("blackhole.lab", "198.18.1.4",  "3ffe:1::1:4",     "good",    "finance"),
    ("partial.lab",   "198.18.1.5",  "3ffe:1::1:5",     "good",    "education"),
    ("differ.lab",    "198.18.1.6",  "3ffe:1::1:6",     "good",    "media"),
    ("redirv4.lab",   "198.18.1.7",  "3ffe:1::1:7",     "good",    "media"),
    ("tls.lab",       "198.18.1.8",  "3ffe:1::1:8",     "good",    "medical"),
    ("nsv4.lab",      "198.18.1.9",  "3ffe:1::1:9",     "v4only",  "medical"),
    ("cname.lab",     None,          None,              "good",    "government"),
    ("cname2.lab",    None,          None,              "good",    "government"),
    ("ula.lab",       "198.18.1.12", "fd00:1::12",      "good",    "education"),
    ("status.lab",    "198.18.1.13", "3ffe:1::1:13",    "good",    "finance"),
    ("nsdead.lab",    "198.18.1.14", "3ffe:1::1:14",    "dead",    "education"),
    ("example.gov.cn", "198.18.1.15", "3ffe:1::1:15",   "good",    "government"),
]
# other names: (fqdn, A, AAAA or None)
EXTRA = [
    ("old.partial.lab", "198.18.1.5", None),
    ("old.redirv4.lab", "198.18.1.7", None),
    ("www.cdn4.lab", "198.18.1.10", None),
    ("edge.cdn6.lab", "198.18.1.11", "3ffe:1::1:11"),
    ("static.cdn6.lab", "198.18.1.11", "3ffe:1::1:11"),
    ("img.v4cdn.lab", "198.18.1.16", None),
    ("canary.lab", "198.18.1.20", "3ffe:1::1:20"),
    ("news.example.gov.cn", "198.18.1.15", "3ffe:1::1:15"),
    # hostile HTTP servers (hostile.py)
    ("endless.hostile.lab", "198.18.6.1", "3ffe:1::6:1"),
    ("drip.hostile.lab", "198.18.6.2", "3ffe:1::6:2"),
    ("loop.hostile.lab", "198.18.6.3", "3ffe:1::6:3"),
    ("headers.hostile.lab", "198.18.6.4", "3ffe:1::6:4"),
    ("garbage.hostile.lab", "198.18.6.5", "3ffe:1::6:5"),
    # apps
    ("api.goodapp.lab", "198.18.2.1", "3ffe:1::2:1"),
    ("img.goodapp.lab", "198.18.2.1", "3ffe:1::2:1"),
    ("api.halfapp.lab", "198.18.2.2", "3ffe:1::2:2"),
    ("old.halfapp.lab", "198.18.2.2", None),
    ("api.refuseapp.lab", "198.18.2.3", "3ffe:1::2:3"),  # v6: nothing listens
]
CNAMES = [("www.cname.lab", "www.cdn4.lab"), ("www.cname2.lab", "edge.cdn6.lab")]
BLACKHOLE6 = "3ffe:1::1:4"
CLOSED6 = ["3ffe:1::1:3", "3ffe:1::2:3"]

IMG_A = 1000   # bytes of partial.lab's IPv6-capable image
IMG_B = 3000   # bytes of the image on the IPv4-only host


def sh(*args, check=True, ns=None, **kw):
    cmd = list(args)
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    return subprocess.run(cmd, check=check, **kw)


def names(state):
    with open(os.path.join(state, "names.json")) as f:
        return json.load(f)


def write(path, text, mode="w"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as f:
        f.write(text)


# ---------------------------------------------------------------- zones

def zone_text(zone, ns_names, records):
    out = [f"$ORIGIN {zone}.", "$TTL 300",
           f"@ SOA {ns_names[0]}. hostmaster.{zone}. 1 3600 600 86400 300"]
    out += [f"@ NS {n}." for n in ns_names]
    out += records
    return "\n".join(out) + "\n"


def ns_set(kind):
    if kind == "good":
        return [n for n, _, _ in NS_GOOD]
    if kind == "v4only":
        return [n for n, _, _ in NS_V4ONLY]
    return [NS_GOOD[0][0], NS_DEAD_V6[0]]


def build_zones(state, bench):
    zdir = os.path.join(state, "zones")
    os.makedirs(zdir, exist_ok=True)
    zones = {}  # zone -> records
    def add(fqdn, rtype, value):
        # the longest zone that contains fqdn
        best = None
        for z in list(zones) :
            if fqdn == z or fqdn.endswith("." + z):
                if best is None or len(z) > len(best):
                    best = z
        rel = "@" if fqdn == best else fqdn[: -len(best) - 1]
        zones[best]["rr"].append(f"{rel} {rtype} {value}")
    zones["lab"] = {"ns": [n for n, _, _ in NS_GOOD], "rr": []}
    for z, _, _, kind, _ in SITES:
        zones[z] = {"ns": ns_set(kind), "rr": []}
    for z in ("infra.lab", "cdn4.lab", "cdn6.lab", "v4cdn.lab", "hostile.lab",
              "goodapp.lab", "halfapp.lab", "refuseapp.lab", "canary.lab"):
        zones[z] = {"ns": [n for n, _, _ in NS_GOOD], "rr": []}
    if bench:
        zones["bench.lab"] = {"ns": [n for n, _, _ in NS_GOOD], "rr": []}
    for n, v4, v6 in NS_GOOD + NS_V4ONLY + [NS_DEAD_V6]:
        add(n, "A", v4)
        if v6:
            add(n, "AAAA", v6)
    for z, v4, v6, _, _ in SITES:
        if v4:
            add("www." + z, "A", v4)
        if v6:
            add("www." + z, "AAAA", v6)
    for n, v4, v6 in EXTRA:
        add(n, "A", v4)
        if v6:
            add(n, "AAAA", v6)
    for a, b in CNAMES:
        add(a, "CNAME", b + ".")
    if bench:
        add("*.bench.lab", "A", "198.18.3.1")
        add("*.bench.lab", "AAAA", "3ffe:1::3:1")
    # delegations from lab.
    for z in zones:
        if z != "lab" and z.endswith(".lab"):
            for n in zones[z]["ns"]:
                zones["lab"]["rr"].append(f"{z[:-4]} NS {n}.")
    conf = ["server:", f"  zonesdir: \"{zdir}\"", "  username: \"\"", "  chroot: \"\"",
            f"  pidfile: \"{state}/nsd.pid\"", f"  database: \"\"",
            f"  xfrdfile: \"{state}/nsd-xfrd.state\"", f"  zonelistfile: \"{state}/nsd-zone.list\"",
            "  hide-version: yes", "  server-count: 1", "  verbosity: 0",
            # response rate limiting (default 200/s per source) would throttle
            # unbound, the only client: off
            "  rrl-ratelimit: 0", "  rrl-whitelist-ratelimit: 0", f"  logfile: \"{state}/nsd.log\""]
    for _, v4, v6 in NS_GOOD + NS_V4ONLY:
        conf.append(f"  ip-address: {v4}")
        if v6:
            conf.append(f"  ip-address: {v6}")
    conf.append(f"  ip-address: {NS_DEAD_V6[1]}")  # the dead NS answers over IPv4 only
    conf += ["remote-control:", "  control-enable: no"]
    for z, d in zones.items():
        write(os.path.join(zdir, z + ".zone"), zone_text(z, d["ns"], d["rr"]))
        conf += ["zone:", f"  name: \"{z}\"", f"  zonefile: \"{z}.zone\""]
    write(os.path.join(state, "nsd.conf"), "\n".join(conf) + "\n")

    ub = ["server:", f"  interface: {RESOLVER4}", f"  interface: {RESOLVER6}",
          "  do-ip6: yes", "  do-ip4: yes", f"  access-control: {CLIENT_NET4} allow",
          f"  access-control: {CLIENT_NET6} allow", "  access-control: 127.0.0.0/8 allow",
          "  access-control: ::1 allow", "  username: \"\"", "  chroot: \"\"",
          f"  directory: \"{state}\"", f"  pidfile: \"{state}/unbound.pid\"", "  use-syslog: no",
          f"  logfile: \"{state}/unbound.log\"", "  module-config: \"iterator\"",
          "  do-not-query-localhost: no", "  harden-referral-path: no", "  qname-minimisation: no",
          "  num-threads: 1", "  num-queries-per-thread: 4096", "  outgoing-range: 8192",
          "  so-rcvbuf: 4m", "  msg-cache-size: 64m", "  rrset-cache-size: 128m",
          "  infra-keep-probing: yes", "  target-fetch-policy: \"0 0 0 0 0\"",
          "  local-zone: \"lab.\" nodefault", "  domain-insecure: \"lab.\"",
          "stub-zone:", "  name: \"lab.\""]
    ub += [f"  stub-addr: {NS_GOOD[0][1]}", f"  stub-addr: {NS_GOOD[1][1]}"]
    ub += ["stub-zone:", "  name: \"example.gov.cn.\"",
           f"  stub-addr: {NS_GOOD[0][1]}", f"  stub-addr: {NS_GOOD[1][1]}"]
    write(os.path.join(state, "unbound.conf"), "\n".join(ub) + "\n")


# ---------------------------------------------------------------- web

def page(title, links=(), imgs=(), extra=""):
    a = "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
    i = "".join(f'<img src="{u}" alt="">' for u in imgs)
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
            f"<h1>{title}</h1><ul>{a}</ul>{i}{extra}<p>Lab page for v6mon.</p></body></html>\n")


def build_web(state, bench):
    root = os.path.join(state, "www")
    def put(site, path, text):
        write(os.path.join(root, site, path.lstrip("/")), text)
    def blob(site, path, n):
        p = os.path.join(root, site, path.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(b"\x89PNG" + b"\0" * (n - 4))
    # a) dual: 3 L2, 2 L3, 2 resources
    put("dual", "index.html", page("dual", ["/p1.html", "/p2.html", "/p3.html"],
                                   ["/img/a.png", "http://static.cdn6.lab/s.png"]))
    put("dual", "p1.html", page("p1", ["/q1.html", "/q2.html", "/"]))
    put("dual", "p2.html", page("p2"))
    put("dual", "p3.html", page("p3"))
    put("dual", "q1.html", page("q1"))
    put("dual", "q2.html", page("q2"))
    blob("dual", "img/a.png", 500)
    blob("cdn6", "s.png", 700)
    # b) v4only
    put("v4only", "index.html", page("v4only", ["/p1.html"]))
    put("v4only", "p1.html", page("p1", ["/q1.html"]))
    put("v4only", "q1.html", page("q1"))
    # e) partial: 7 L2 on www, 3 on old (IPv4-only); L3 3 on www + 1 on old
    l2 = [f"/p{i}.html" for i in range(1, 8)] + [f"http://old.partial.lab/o{i}.html" for i in range(1, 4)]
    put("partial", "index.html", page("partial", l2,
                                      ["/img/a.png", "http://old.partial.lab/img/b.png"]))
    put("partial", "p1.html", page("p1", ["/t1.html", "/t2.html", "/t3.html",
                                          "http://old.partial.lab/t4.html"]))
    for i in range(2, 8):
        put("partial", f"p{i}.html", page(f"p{i}"))
    for i in range(1, 4):
        put("partial", f"o{i}.html", page(f"o{i}"))
    for i in range(1, 5):
        put("partial", f"t{i}.html", page(f"t{i}"))
    blob("partial", "img/a.png", IMG_A)
    blob("partial", "img/b.png", IMG_B)
    # f) differ: v4 the real page, v6 a maintenance page
    put("differ", "index.html", page("differ", ["/p1.html", "/p2.html"]))
    put("differ", "p1.html", page("p1"))
    put("differ", "p2.html", page("p2"))
    put("differ6", "index.html",
        "<!DOCTYPE html><html><body><h2>Under maintenance</h2>"
        "<p>Come back later.</p></body></html>\n")
    # simple one-page sites
    # h) tls: the crawl runs over https: 2 second-level pages, 1 third-level
    put("tls", "index.html", page("tls", ["/p1.html", "https://www.tls.lab/p2.html"]))
    put("tls", "p1.html", page("p1", ["/q1.html"]))
    put("tls", "p2.html", page("p2"))
    put("tls", "q1.html", page("q1"))
    # example.gov.cn: gov.cn is a public suffix, so news.example.gov.cn is
    # internal but www.other.gov.cn and www.dual.lab are not (2/2 second
    # level, never 2/3); a prober that took the last two labels as the
    # domain would count www.other.gov.cn, which does not resolve.
    put("govcn", "index.html", page("example.gov.cn", [
        "/p1.html", "http://news.example.gov.cn/n1.html", "http://www.other.gov.cn/",
        "http://www.dual.lab/"]))
    put("govcn", "p1.html", page("p1"))
    put("govcn", "n1.html", page("n1"))
    for s in ("redirv4old", "nsv4", "cdn4", "cdn6", "ula", "status", "nsdead",
              "canary", "apps"):
        put(s, "index.html", page(s))
    # bench: a home page with 5 internal links
    if bench:
        put("bench", "index.html", page("bench", [f"/b{i}.html" for i in range(1, 6)]))
        for i in range(1, 6):
            put("bench", f"b{i}.html", page(f"b{i}"))

    tls = os.path.join(state, "tls")
    os.makedirs(tls, exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=v6mon lab CA", "-keyout", f"{tls}/ca.key", "-out", f"{tls}/ca.pem",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=www.tls.lab",
                    "-keyout", f"{tls}/site.key", "-out", f"{tls}/site.csr"], check=True,
                   capture_output=True)
    write(f"{tls}/ext.cnf", "subjectAltName=DNS:www.tls.lab\nbasicConstraints=CA:FALSE\n")
    subprocess.run(["openssl", "x509", "-req", "-in", f"{tls}/site.csr", "-CA", f"{tls}/ca.pem",
                    "-CAkey", f"{tls}/ca.key", "-CAcreateserial", "-days", "2",
                    "-extfile", f"{tls}/ext.cnf", "-out", f"{tls}/site.pem"], check=True,
                   capture_output=True)

    def srv(listen, names, rootdir, extra="", ssl=False):
        ls = "".join(f"  listen {l}{' ssl' if ssl else ''};\n" for l in listen)
        return (f"server {{\n{ls}  server_name {names};\n  root {root}/{rootdir};\n"
                f"{extra}}}\n")
    v = lambda a: f"[{a}]:80" if ":" in a else f"{a}:80"
    s = []
    s.append(srv([v("198.18.1.1"), v("3ffe:1::1:1")], "www.dual.lab", "dual"))
    s.append(srv([v("198.18.1.2")], "www.v4only.lab", "v4only"))
    s.append(srv([v("198.18.1.3")], "www.closed.lab", "canary"))
    s.append(srv([v("198.18.1.4"), v("3ffe:1::1:4")], "www.blackhole.lab", "canary"))
    s.append(srv([v("198.18.1.5"), v("3ffe:1::1:5")], "www.partial.lab old.partial.lab", "partial"))
    s.append(srv([v("198.18.1.6")], "www.differ.lab", "differ"))
    s.append(srv([v("3ffe:1::1:6")], "www.differ.lab", "differ6"))
    s.append(srv([v("198.18.1.7"), v("3ffe:1::1:7")], "www.redirv4.lab", "canary",
                 "  location = / { return 301 http://old.redirv4.lab/; }\n"))
    s.append(srv([v("198.18.1.7")], "old.redirv4.lab", "redirv4old"))
    s.append(srv([v("198.18.1.8"), v("3ffe:1::1:8")], "www.tls.lab", "tls",
                 "  return 301 https://www.tls.lab$request_uri;\n"))
    s.append(srv(["198.18.1.8:443", "[3ffe:1::1:8]:443"], "www.tls.lab", "tls",
                 f"  ssl_certificate {tls}/site.pem;\n  ssl_certificate_key {tls}/site.key;\n",
                 ssl=True))
    s.append(srv([v("198.18.1.9"), v("3ffe:1::1:9")], "www.nsv4.lab", "nsv4"))
    s.append(srv([v("198.18.1.10")], "www.cdn4.lab www.cname.lab", "cdn4"))
    s.append(srv([v("198.18.1.11"), v("3ffe:1::1:11")], "edge.cdn6.lab www.cname2.lab static.cdn6.lab", "cdn6"))
    s.append(srv([v("198.18.1.12")], "www.ula.lab", "ula"))
    s.append(srv([v("198.18.1.13")], "www.status.lab", "status"))
    s.append(srv([v("3ffe:1::1:13")], "www.status.lab", "status", "  return 503;\n"))
    s.append(srv([v("198.18.1.14"), v("3ffe:1::1:14")], "www.nsdead.lab", "nsdead"))
    s.append(srv([v("198.18.1.15"), v("3ffe:1::1:15")], "www.example.gov.cn news.example.gov.cn", "govcn"))
    s.append(srv([v("198.18.1.16")], "img.v4cdn.lab", "canary"))
    s.append(srv([v("198.18.1.20"), v("3ffe:1::1:20")], "canary.lab", "canary"))
    s.append(srv([v("198.18.2.1"), v("3ffe:1::2:1")],
                 "api.goodapp.lab img.goodapp.lab", "apps"))
    s.append(srv([v("198.18.2.2"), v("3ffe:1::2:2")], "api.halfapp.lab old.halfapp.lab", "apps"))
    s.append(srv([v("198.18.2.3")], "api.refuseapp.lab", "apps"))
    if bench:
        s.append(srv([v("198.18.3.1"), v("3ffe:1::3:1")], "~^.+\\.bench\\.lab$", "bench"))
    # Workers run as root: the state directory may sit under a 0700 directory
    # (mktemp -d) that "nobody" could not read. The file limit stays within
    # the hard limit, or the workers log an alert per start.
    nofile = min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    conf = (f"user root;\nworker_processes 2;\npid {state}/nginx.pid;\n"
            f"error_log {state}/nginx-error.log;\nworker_rlimit_nofile {nofile};\n"
            f"events {{ worker_connections {max(512, min(16384, nofile // 2))}; }}\n"
            "http {\n  access_log off;\n  default_type text/html;\n  keepalive_requests 1000;\n"
            "  types { text/html html; image/png png; }\n" + "".join(s) + "}\n")
    write(os.path.join(state, "nginx.conf"), conf)
    os.makedirs(os.path.join(state, "nginx-tmp"), exist_ok=True)


# ---------------------------------------------------------------- lists

def build_lists(state, bench):
    rows = ["name,url,category,unit"]
    for z, _, _, _, cat in SITES:
        url = f"https://www.{z}/" if z == "tls.lab" else f"http://www.{z}/"
        rows.append(f"{z},{url},{cat},lab unit {z.split('.')[0]}")
    write(os.path.join(state, "sites.csv"), "\n".join(rows) + "\n")
    hostile = ["name,url,category,unit"] + [
        f"{h},http://{h}.hostile.lab/,media,hostile" for h in ("endless", "drip", "loop", "headers", "garbage")]
    write(os.path.join(state, "hostile.csv"), "\n".join(hostile) + "\n")
    write(os.path.join(state, "lies.csv"), "name,url,category,unit\n" + "".join(
        f"{n},http://www.{n}.lie.lab/,media,lies\n" for n in ("other", "wrongtype", "loop", "garbage", "short", "tc")))
    write(os.path.join(state, "apps.csv"),
          "app,category,domains,ndpi\n"
          "GoodApp,lab,api.goodapp.lab img.goodapp.lab,\n"
          "HalfApp,lab,api.halfapp.lab old.halfapp.lab,\n"
          "RefuseApp,lab,api.refuseapp.lab,\n")
    if bench:
        write(os.path.join(state, "bench_sites.csv"), "name,url,category,unit\n" + "".join(
            f"site{i:05d},http://site{i:05d}.bench.lab/,bench,bench\n" for i in range(1, bench + 1)))
        write(os.path.join(state, "bench_queries.txt"), "".join(
            f"site{i:05d}.bench.lab A\nsite{i:05d}.bench.lab AAAA\nsite{i:05d}.bench.lab NS\n"
            for i in range(1, bench + 1)))


# ---------------------------------------------------------------- up / down

DAEMON_PIDFILES = ("nginx.pid", "unbound.pid", "nsd.pid", "hostile.py.pid", "liedns.py.pid")


def wait_port(ns, addr, port, udp=False, timeout=5.0):
    t = time.time() + timeout
    flag = "-lun" if udp else "-ltn"
    want = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
    while time.time() < t:
        out = sh("ss", "-H", flag, ns=ns, capture_output=True, text=True, check=False).stdout
        if any(want in line.split() for line in out.splitlines()):
            return True
        time.sleep(0.05)
    return False


# Run in the client namespace: what a client will do first (TCP to a web
# server over both families, a recursive AAAA query over IPv6) must work
# before `up` returns. Retried, since the veth link comes up asynchronously.
CLIENT_READY = r"""
import socket, sys, time
end = time.time() + 5
q = bytes.fromhex("abcd01000001000000000000") + b"\x03www\x04dual\x03lab\x00" + bytes.fromhex("001c0001")
def dns():
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        s.sendto(q, (sys.argv[3], 53))
        r = s.recv(512)
        return r[:2] == q[:2] and r[3] & 15 == 0 and r[7] > 0
while time.time() < end:
    try:
        for fam, a in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
            socket.create_connection((a, 80), timeout=0.3).close()
        if dns():
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit("netlab: the client namespace cannot reach the servers")
"""


def up(state, bench):
    if os.geteuid() != 0:
        sys.exit("netlab: needs root (network namespaces)")
    if os.path.exists(os.path.join(state, "names.json")):
        down(state)  # a lab left in this state directory goes first
    try:
        _up(state, bench)
    except BaseException:
        down(state)
        raise


def netns_exists(name):
    return os.path.exists(os.path.join("/run/netns", name))


def _up(state, bench):
    os.makedirs(state, exist_ok=True)
    for f in DAEMON_PIDFILES:  # stale pid files must never be trusted
        try:
            os.unlink(os.path.join(state, f))
        except OSError:
            pass
    tag = f"v6l{os.getpid()}"
    while netns_exists(tag + "c") or netns_exists(tag + "n"):
        tag = f"v6l{os.getpid() % 100000}{os.urandom(2).hex()}"
    n = {"client": tag + "c", "net": tag + "n", "veth_c": tag + "a", "veth_n": tag + "b",
         "state": os.path.abspath(state), "bench": bench}
    write(os.path.join(state, "names.json"), json.dumps(n))
    c, s = n["client"], n["net"]
    sh("ip", "netns", "add", c)
    sh("ip", "netns", "add", s)
    # DAD off before the veth exists, so its link-local address is usable at once too
    for ns in (c, s):
        sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    sh("ip", "link", "add", n["veth_c"], "netns", c, "type", "veth", "peer", "name", n["veth_n"],
       "netns", s)
    # many short connections to few addresses: reuse TIME_WAIT ports
    sh("sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1", ns=c)
    sh("sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000", ns=c)
    sh("ip", "addr", "add", CLIENT4 + "/24", "dev", n["veth_c"], ns=c)
    sh("ip", "addr", "add", CLIENT6 + "/64", "dev", n["veth_c"], "nodad", ns=c)
    sh("ip", "link", "set", n["veth_c"], "up", ns=c)
    sh("ip", "route", "add", "default", "via", NETGW4, ns=c)
    sh("ip", "-6", "route", "add", "default", "via", NETGW6, ns=c)
    sh("ip", "addr", "add", NETGW4 + "/24", "dev", n["veth_n"], ns=s)
    sh("ip", "addr", "add", NETGW6 + "/64", "dev", n["veth_n"], "nodad", ns=s)
    sh("ip", "link", "set", n["veth_n"], "up", ns=s)
    # "net" has no default route: a packet for anything outside the lab is
    # answered "network unreachable" right there and never leaves.
    addrs4 = {RESOLVER4, LIEDNS4, NS_DEAD_V6[1]} | {a for _, a, _ in NS_GOOD + NS_V4ONLY}
    addrs6 = {RESOLVER6, LIEDNS6, NS_DEAD_V6[2]} | {a for _, _, a in NS_GOOD if a}
    for _, v4, v6, _, _ in SITES:
        if v4:
            addrs4.add(v4)
        if v6 and v6.startswith("3ffe"):
            addrs6.add(v6)
    for _, v4, v6 in EXTRA:
        addrs4.add(v4)
        if v6:
            addrs6.add(v6)
    addrs4.add("198.18.3.1")
    addrs6.add("3ffe:1::3:1")
    batch = [f"addr add {a}/32 dev lo" for a in sorted(addrs4)]
    batch += [f"addr add {a}/128 dev lo nodad" for a in sorted(addrs6)]
    sh("ip", "-batch", "-", ns=s, input="\n".join(batch) + "\n", text=True)
    # the black hole: packets to this address vanish
    sh("nft", "-f", "-", ns=s, input=(
        "table inet v6lab {\n  chain input {\n    type filter hook input priority 0;\n"
        f"    ip6 daddr {BLACKHOLE6} drop\n  }}\n}}\n"), text=True)
    build_zones(state, bench)
    build_web(state, bench)
    build_lists(state, bench)
    st = n["state"]
    sh("nsd", "-c", f"{st}/nsd.conf", ns=s)
    sh("unbound", "-c", f"{st}/unbound.conf", ns=s)
    sh("nginx", "-p", f"{st}/nginx-tmp", "-c", f"{st}/nginx.conf", ns=s)
    for args in ([sys.executable, os.path.join(HERE, "hostile.py"), st],
                 [sys.executable, os.path.join(HERE, "liedns.py"), st, LIEDNS4, LIEDNS6]):
        with open(os.path.join(st, os.path.basename(args[1]) + ".log"), "w") as log:
            p = subprocess.Popen(["ip", "netns", "exec", s] + args, stdout=subprocess.DEVNULL,
                                 stderr=log, start_new_session=True)
        write(os.path.join(st, os.path.basename(args[1]) + ".pid"), str(p.pid))
    ok = (wait_port(s, NS_GOOD[0][2], 53, udp=True) and wait_port(s, RESOLVER4, 53, udp=True)
          and wait_port(s, RESOLVER6, 53, udp=True)
          and wait_port(s, "198.18.1.1", 80) and wait_port(s, "3ffe:1::1:8", 443)
          and wait_port(s, "3ffe:1::6:1", 80) and wait_port(s, "3ffe:1::6:5", 80)
          and wait_port(s, LIEDNS4, 53, udp=True) and wait_port(s, LIEDNS6, 53))
    if not ok:
        sys.exit("netlab: a server did not start; see the logs in " + st)
    sh(sys.executable, "-c", CLIENT_READY, "198.18.1.1", "3ffe:1::1:1", RESOLVER6, ns=c)


def netns_inode(name):
    try:
        return os.stat(os.path.join("/run/netns", name)).st_ino
    except OSError:
        return None


def in_lab(pid, inodes):
    """True when process pid lives in one of the lab's namespaces (so a stale
    pid file whose number was reused by another process is never obeyed)."""
    try:
        return os.stat(f"/proc/{pid}/ns/net").st_ino in inodes
    except OSError:
        return False


def ns_pids(name):
    out = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
    return [int(p) for p in out.split() if p.isdigit()]


def running(pid):
    """True until the process has finished exiting (a zombie counts as gone:
    its parent or init reaps it; a process still tearing itself down has
    already left its namespace but not yet closed its sockets)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def down(state):
    """Idempotent: stops the lab recorded in STATE/names.json, if any."""
    try:
        n = names(state)
    except (OSError, ValueError):
        return
    st = n["state"]
    spaces = [ns for ns in (n["net"], n["client"]) if netns_exists(ns)]
    inodes = {netns_inode(ns) for ns in spaces} - {None}
    seen = set()
    for f in DAEMON_PIDFILES:
        path = os.path.join(st, f)
        try:
            with open(path) as fh:
                pid = int(fh.read().strip())
            if in_lab(pid, inodes):
                os.kill(pid, signal.SIGTERM)
                seen.add(pid)
        except (OSError, ValueError):
            pass
    # then whatever else runs in the namespaces (nsd's children, a prober...)
    end = time.time() + 2
    while time.time() < end and any(ns_pids(ns) for ns in spaces):
        time.sleep(0.05)
    for ns in spaces:
        for pid in ns_pids(ns):
            seen.add(pid)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    end = time.time() + 3
    while time.time() < end and (any(ns_pids(ns) for ns in spaces) or any(map(running, seen))):
        time.sleep(0.05)
    for ns in spaces:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
    if any(netns_exists(ns) for ns in (n["net"], n["client"])):
        sys.exit("netlab: could not remove the namespaces " + n["net"] + " " + n["client"])
    for f in DAEMON_PIDFILES + ("names.json",):
        try:
            os.unlink(os.path.join(st, f))
        except OSError:
            pass


def env(state):
    try:
        n = names(state)
    except (OSError, ValueError):
        sys.exit(f"netlab: no lab is up in {state}")
    st = n["state"]
    q = shlex.quote
    v = [("STATE", st), ("CLIENT_NS", n["client"]), ("NET_NS", n["net"]),
         ("CLIENT4", CLIENT4), ("CLIENT6", CLIENT6),
         ("RESOLVER", RESOLVER4), ("RESOLVER4", RESOLVER4), ("RESOLVER6", RESOLVER6),
         ("LIEDNS4", LIEDNS4), ("LIEDNS6", LIEDNS6),
         ("CA_FILE", f"{st}/tls/ca.pem"), ("SITES_CSV", f"{st}/sites.csv"),
         ("HOSTILE_CSV", f"{st}/hostile.csv"), ("LIES_CSV", f"{st}/lies.csv"),
         ("APPS_CSV", f"{st}/apps.csv"), ("CANARY", "http://canary.lab/"),
         ("EXPECTED", f"{HERE}/expected.json")]
    if n.get("bench"):
        v += [("BENCH_SITES_CSV", f"{st}/bench_sites.csv"),
              ("BENCH_QUERIES", f"{st}/bench_queries.txt")]
    for k, val in v:
        print(f"{k}={q(val)}")


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("up", "down", "env"):
        sys.exit("usage: netlab.py up|down|env STATE [--bench N]")
    state = sys.argv[2]
    if sys.argv[1] == "up":
        bench = 0
        if len(sys.argv) == 5 and sys.argv[3] == "--bench" and sys.argv[4].isdigit():
            bench = int(sys.argv[4])
        elif len(sys.argv) != 3:
            sys.exit("usage: netlab.py up STATE [--bench N]")
        if bench > 999999:
            sys.exit("netlab: --bench takes at most 999999 sites")
        try:
            up(state, bench)
        except subprocess.CalledProcessError as e:
            sys.exit(f"netlab: `{' '.join(map(str, e.cmd))}` failed (exit {e.returncode}); "
                     f"the lab was taken down; logs in {state}")
        except FileNotFoundError as e:
            sys.exit(f"netlab: {e.filename} is not installed; the lab was taken down")
    elif sys.argv[1] == "down":
        down(state)
    else:
        env(state)


if __name__ == "__main__":
    main()
