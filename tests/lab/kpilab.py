#!/usr/bin/env python3
"""tests/lab/kpilab.py - a lab for `v6mon kpi` (IPv4/IPv6 performance
parity): real servers behind a router whose IPv6 path can be impaired
while IPv4 stays untouched (tests/lab/kpilab.md has the numbers).

    kpilab.py up STATE              build the namespaces, zones, pages, test
                                    CA and video; start nsd, unbound, nginx;
                                    profile "none"
    kpilab.py impair STATE PROFILE  none | loss | delay | rate | dead
    kpilab.py env STATE             print shell variables (CLIENT_NS, RESOLVER4,
                                    RESOLVER6, PAGE_URL, HLS_URL, CA_FILE...)
    kpilab.py exec STATE CMD...     run CMD in the client namespace
    kpilab.py down STATE            stop everything, remove the namespaces
                                    (idempotent; kills only processes that
                                    live in the lab's namespaces)
tests/lab/kpi_selftest.sh checks every server and every profile with
standard tools and tests/lab/kpi_probe.py, independently of v6mon.

Topology: three namespaces, client - router - server, two veth pairs.
    client  198.18.10.2/24  3ffe:10::2/64   (v6mon runs here)
    router  198.18.10.1     3ffe:10::1      <- veth "rc": the impaired egress
            198.18.11.1/24  3ffe:11::1/64   <- veth "rs"
    server  198.18.11.2     3ffe:11::2, and on its loopback the measured
            servers 198.18.20.x/32, 3ffe:20::x/128 (www, static, video,
            v4only, nov6path, noicmp, ns1, the resolver) and the canary
            198.18.21.1, 3ffe:21::1 (never impaired).
A router rather than one veth pair: an impairment on the sending host's own
interface is seen by its TCP stack (a local drop is reported to the sender
at once and retransmitted without loss recovery; a local shaper pushes back
through TCP small queues), so the server's TCP would not behave as across
a real lossy or slow path. On the router the server's packets are
forwarded, and the server learns of loss or a slow link only the way it
would on the internet. The router has no default route, the server's
default route points at the router, so nothing leaves the three
namespaces. 3ffe::/16 (the returned 6bone space) and 198.18.0.0/15 (RFC
2544 benchmarking) are routed nowhere.

DNS: nsd is authoritative for "kpi.lab." on ns1 (198.18.20.53,
3ffe:20::53); unbound is the client's resolver on RESOLVER4 198.18.20.10
and RESOLVER6 3ffe:20::10 with a stub zone for kpi.lab. Both resolver
addresses sit behind the impaired path, so "the same query over IPv4 vs
IPv6 transport" sees the impairment over IPv6 only.
Web: one nginx, http 80 and https 443 (certificate from the lab CA for
every name) on every address of every host. www.kpi.lab/ is a page with
11 same-page sub-resources (1 stylesheet, 2 scripts, 8 images; 3 scripts
and images on static.kpi.lab), listed with their sizes in expected.json
(served at /expected.json and in STATE). video.kpi.lab serves an HLS
stream (MPEG-TS, 2 variants) and the same as DASH (fMP4), made by ffmpeg
at each `up` (testsrc2, x264 ultrafast, CBR with filler so the real
bitrates are close to the targets; ~2 s each, both run in parallel with
the network set-up; reused when STATE already holds the same encode).
The measured average bitrate of each variant (segment bytes x 8 / playlist
duration) is in video.json and in env. The same streams are also served as
byte ranges of one file per variant (hls-br/: EXT-X-BYTERANGE; dash-br/:
SegmentList with mediaRange, as ffmpeg's DASH muxer writes it; dash-sb/:
SegmentBase with the segments in a sidx box, as ffmpeg's mp4 muxer writes
it with global_sidx; HLS_BR_URL, DASH_BR_URL, DASH_SB_URL), made from the
encoded files by stream copy, with every range in video.json.

Impairment of IPv6 only, traffic from the measured servers (3ffe:20::/64)
to the client, one direction (server -> client), so that a round trip
(echo, SYN/SYN-ACK, DNS query/answer) crosses it exactly once:
    none   nothing
    loss   5% random loss: nftables on the router's forward chain,
           "iifname rs oifname rc ip6 saddr 3ffe:20::/64 numgen random mod
           1000 < 50 drop" (independent Bernoulli drops, so n echoes lose
           Binomial(n, 0.05))
    delay  +40 ms: the packets are policy-routed through a TUN device whose
           reader (kpi_delay.py) writes each back 40 ms later, in order
    rate   600 kbit/s: tc htb on the router's client-side veth with a u32
           classifier "protocol ipv6 ... match ip6 src 3ffe:20::/64" into
           one class whose leaf is tbf rate 600kbit burst 3028 latency
           500ms (a 40 kB queue: smaller ones made slow start overflow
           into retransmission time-outs on short transfers); everything unclassified (IPv4, ARP, NDP, the canary)
           takes HTB's direct queue, unshaped
    dead   nftables drops every forwarded IPv6 packet from the client to
           3ffe:20::/64 (SYNs, echoes, DNS over IPv6 all vanish)
Why not tc netem + prio, the usual recipe: the kernel of the machines this
project runs on is built without sch_netem, sch_prio and act_gact
(CONFIG_NET_SCH_NETEM etc. not set), while htb, tbf, u32, nftables
(numgen included) and TUN are there; each profile uses the one of these
that does exactly its job. Why traffic FROM 3ffe:20::/64 and not "protocol
ipv6" alone: it impairs the measured paths and nothing else, so IPv6
neighbour discovery on the link (sent from link-local and router
addresses) is never touched, nor is the canary (the vantage self-check
keeps working under every profile). NDP is in any case not needed for
the link's global addresses: both ends have static (permanent) neighbour
entries, and nftables' forward chain never sees NDP (it is not forwarded).

Needs root, ip netns, nsd, unbound, nginx, openssl, nft, tc, ffmpeg.
"""
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import netlab  # noqa: E402  (read-only reuse: process helpers, zone_text)
from netlab import sh, write, wait_port, netns_exists, netns_inode, in_lab, ns_pids, running  # noqa: E402

ZONE = "kpi.lab"
CLIENT4, CLIENT6 = "198.18.10.2", "3ffe:10::2"
RC4, RC6 = "198.18.10.1", "3ffe:10::1"        # router, client side
RS4, RS6 = "198.18.11.1", "3ffe:11::1"        # router, server side
SR4, SR6 = "198.18.11.2", "3ffe:11::2"        # server, on the link
CLIENT_NET4, CLIENT_NET6 = "198.18.10.0/24", "3ffe:10::/64"
SERVERS4, SERVERS6 = "198.18.20.0/24", "3ffe:20::/64"   # impaired over IPv6
CANARY_NET4, CANARY_NET6 = "198.18.21.0/24", "3ffe:21::/64"  # never impaired
MAC = {"cr": "02:6b:70:00:00:01", "rc": "02:6b:70:00:00:02",
       "rs": "02:6b:70:00:00:03", "sr": "02:6b:70:00:00:04"}
RESOLVER4, RESOLVER6 = "198.18.20.10", "3ffe:20::10"
NS1 = ("ns1.kpi.lab", "198.18.20.53", "3ffe:20::53")
# name, A, AAAA, web root
HOSTS = [
    ("www.kpi.lab",      "198.18.20.1", "3ffe:20::1", "www"),
    ("static.kpi.lab",   "198.18.20.2", "3ffe:20::2", "static"),
    ("video.kpi.lab",    "198.18.20.3", "3ffe:20::3", "video"),
    ("v4only.kpi.lab",   "198.18.20.4", None,         "plain"),
    ("nov6path.kpi.lab", "198.18.20.5", "3ffe:20::5", "plain"),  # AAAA black-holed
    ("noicmp.kpi.lab",   "198.18.20.6", "3ffe:20::6", "plain"),  # echo dropped, TCP fine
    ("canary.kpi.lab",   "198.18.21.1", "3ffe:21::1", "plain"),  # never impaired
]
ADDR = {h.split(".")[0]: (a4, a6) for h, a4, a6, _ in HOSTS}
NOV6PATH6 = ADDR["nov6path"][1]
NOICMP4, NOICMP6 = ADDR["noicmp"]

# impairment parameters (kpilab.md explains the tolerances that follow)
PROFILES = ("none", "loss", "delay", "rate", "dead")
LOSS_PER_MILLE = 50
DELAY_MS = 40
RATE_KBIT = 600
TBF_BURST, TBF_LATENCY_MS = 3028, 500   # 2 full frames; ~40 kB (27 frames) of queue
DELAY_TABLE, DELAY_PREF, TUN = 100, 100, "kpidelay"

# the page: path, host, kind, bytes (protocol-relative URLs for static, so
# the page works the same over http and https)
RESOURCES = [
    ("/css/site.css", "www.kpi.lab", "style", 12000),
    ("/js/app.js", "www.kpi.lab", "script", 24000),
    ("/js/lib.js", "static.kpi.lab", "script", 36000),
    ("/img/1.png", "www.kpi.lab", "img", 8000),
    ("/img/2.png", "www.kpi.lab", "img", 12000),
    ("/img/3.png", "www.kpi.lab", "img", 16000),
    ("/img/4.png", "www.kpi.lab", "img", 20000),
    ("/img/5.png", "static.kpi.lab", "img", 24000),
    ("/img/6.png", "static.kpi.lab", "img", 28000),
    ("/img/7.png", "static.kpi.lab", "img", 32000),
    ("/img/8.png", "static.kpi.lab", "img", 36000),
]
NOT_RESOURCES = ["/about.html", "http://video.kpi.lab/"]  # links: a page load must not fetch them

# video: 24 s, 2 s segments, 25 fps, two CBR variants
VIDEO_S, SEGMENT_S, FPS = 24, 2, 25
VARIANTS = [("320x180", 300), ("640x360", 1200)]  # resolution, target kbit/s

DAEMON_PIDFILES = ("nginx.pid", "unbound.pid", "nsd.pid", "kpi_delay.pid")


def names(state):
    with open(os.path.join(state, "names.json")) as f:
        return json.load(f)


def rel(name):
    return "@" if name == ZONE else name[: -len(ZONE) - 1]


# ---------------------------------------------------------------- dns

def build_dns(st):
    rr = [f"{rel(NS1[0])} A {NS1[1]}", f"{rel(NS1[0])} AAAA {NS1[2]}"]
    for h, a4, a6, _ in HOSTS:
        rr.append(f"{rel(h)} A {a4}")
        if a6:
            rr.append(f"{rel(h)} AAAA {a6}")
    zdir = os.path.join(st, "zones")
    write(os.path.join(zdir, ZONE + ".zone"), netlab.zone_text(ZONE, [NS1[0]], rr))
    conf = ["server:", f"  zonesdir: \"{zdir}\"", "  username: \"\"", "  chroot: \"\"",
            f"  pidfile: \"{st}/nsd.pid\"", "  database: \"\"",
            f"  xfrdfile: \"{st}/nsd-xfrd.state\"", f"  zonelistfile: \"{st}/nsd-zone.list\"",
            "  hide-version: yes", "  server-count: 1", "  verbosity: 0",
            "  rrl-ratelimit: 0", "  rrl-whitelist-ratelimit: 0", f"  logfile: \"{st}/nsd.log\"",
            f"  ip-address: {NS1[1]}", f"  ip-address: {NS1[2]}",
            "remote-control:", "  control-enable: no",
            "zone:", f"  name: \"{ZONE}\"", f"  zonefile: \"{ZONE}.zone\""]
    write(os.path.join(st, "nsd.conf"), "\n".join(conf) + "\n")
    ub = ["server:", f"  interface: {RESOLVER4}", f"  interface: {RESOLVER6}",
          "  do-ip6: yes", "  do-ip4: yes", f"  access-control: {CLIENT_NET4} allow",
          f"  access-control: {CLIENT_NET6} allow", "  access-control: 127.0.0.0/8 allow",
          "  access-control: ::1 allow", "  username: \"\"", "  chroot: \"\"",
          f"  directory: \"{st}\"", f"  pidfile: \"{st}/unbound.pid\"", "  use-syslog: no",
          f"  logfile: \"{st}/unbound.log\"", "  module-config: \"iterator\"",
          "  do-not-query-localhost: no", "  harden-referral-path: no", "  qname-minimisation: no",
          "  num-threads: 1", f"  local-zone: \"{ZONE}.\" nodefault", f"  domain-insecure: \"{ZONE}.\"",
          "stub-zone:", f"  name: \"{ZONE}.\"", f"  stub-addr: {NS1[1]}"]
    write(os.path.join(st, "unbound.conf"), "\n".join(ub) + "\n")


# ---------------------------------------------------------------- tls

def build_tls(st):
    tls = os.path.join(st, "tls")
    os.makedirs(tls, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    sh("openssl", "req", "-x509", *ec, "-days", "2", "-subj", "/CN=v6mon kpi lab CA",
       "-keyout", f"{tls}/ca.key", "-out", f"{tls}/ca.pem",
       "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign", capture_output=True)
    sh("openssl", "req", *ec, "-subj", "/CN=www.kpi.lab", "-keyout", f"{tls}/site.key",
       "-out", f"{tls}/site.csr", capture_output=True)
    san = ",".join(f"DNS:{h}" for h, _, _, _ in HOSTS)
    write(f"{tls}/ext.cnf", f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n"
          "extendedKeyUsage=serverAuth\n")
    sh("openssl", "x509", "-req", "-in", f"{tls}/site.csr", "-CA", f"{tls}/ca.pem",
       "-CAkey", f"{tls}/ca.key", "-CAcreateserial", "-days", "2", "-extfile", f"{tls}/ext.cnf",
       "-out", f"{tls}/site.pem", capture_output=True)


# ---------------------------------------------------------------- web

def filler(kind, n):
    """n bytes that look like the kind (sizes are what matters)."""
    if kind == "img":
        head = b"\x89PNG\r\n\x1a\n"
        return head + b"\0" * (n - len(head))
    head = (b"/* kpi lab " + kind.encode() + b" */\n")
    line = b"/* padding padding padding padding padding padding padding */\n"
    body = head + line * ((n - len(head)) // len(line) + 1)
    return body[: n - 1] + b"\n"


def page_html():
    out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>kpi.lab</title>"]
    def ref(path, host):
        return path if host == "www.kpi.lab" else f"//{host}{path}"
    for path, host, kind, _ in RESOURCES:
        if kind == "style":
            out.append(f"<link rel=\"stylesheet\" href=\"{ref(path, host)}\">")
        elif kind == "script":
            out.append(f"<script src=\"{ref(path, host)}\"></script>")
    out.append("</head><body><h1>kpi.lab</h1>")
    for path, host, kind, _ in RESOURCES:
        if kind == "img":
            out.append(f"<img src=\"{ref(path, host)}\" alt=\"\" width=\"64\" height=\"64\">")
    out.append("<p>" + " ".join(f"<a href=\"{u}\">{u}</a>" for u in NOT_RESOURCES) + "</p>")
    out.append("<p>Lab page for v6mon kpi: 11 same-page sub-resources.</p></body></html>")
    return "\n".join(out) + "\n"


def build_web(st):
    root = os.path.join(st, "www")
    html = page_html()
    write(os.path.join(root, "www", "index.html"), html)
    write(os.path.join(root, "www", "about.html"), "<!DOCTYPE html><p>about</p>\n")
    for path, host, kind, n in RESOURCES:
        p = os.path.join(root, host.split(".")[0], path.lstrip("/"))
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(filler(kind, n))
    for r in ("static", "video", "plain"):
        write(os.path.join(root, r, "index.html"),
              f"<!DOCTYPE html><html><body><h1>{r}.kpi.lab</h1></body></html>\n")
    hb = len(html.encode())
    res = [{"path": p, "host": h, "kind": k, "bytes": n,
            "http": f"http://{h}{p}", "https": f"https://{h}{p}"} for p, h, k, n in RESOURCES]
    exp = {"page": {"http": "http://www.kpi.lab/", "https": "https://www.kpi.lab/",
                    "html_bytes": hb, "resources": res, "resource_count": len(res),
                    "resource_bytes": sum(n for *_, n in RESOURCES),
                    "total_bytes": hb + sum(n for *_, n in RESOURCES),
                    "hosts": sorted({h for _, h, _, _ in RESOURCES}),
                    "by_kind": {k: sum(1 for r in RESOURCES if r[2] == k)
                                for k in ("style", "script", "img")},
                    "not_resources": NOT_RESOURCES}}
    text = json.dumps(exp, indent=1) + "\n"
    write(os.path.join(root, "www", "expected.json"), text)
    write(os.path.join(st, "expected.json"), text)

    tls = os.path.join(st, "tls")
    servers = []
    for h, a4, a6, r in HOSTS:
        ls = []
        for a in (a4, a6):
            if a:
                hp = f"[{a}]" if ":" in a else a
                ls += [f"  listen {hp}:80;", f"  listen {hp}:443 ssl;"]
        servers.append("server {\n" + "\n".join(ls) + f"\n  server_name {h};\n"
                       f"  root {root}/{r};\n"
                       f"  ssl_certificate {tls}/site.pem;\n  ssl_certificate_key {tls}/site.key;\n}}\n")
    conf = (f"user root;\nworker_processes 1;\npid {st}/nginx.pid;\n"
            f"error_log {st}/nginx-error.log;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  access_log off;\n  default_type application/octet-stream;\n"
            "  sendfile on;\n  gzip off;\n  keepalive_requests 1000;\n"
            "  types { text/html html; text/css css; application/javascript js;\n"
            "          image/png png; application/json json;\n"
            "          application/vnd.apple.mpegurl m3u8; video/mp2t ts;\n"
            "          application/dash+xml mpd; video/iso.segment m4s; video/mp4 mp4; }\n"
            + "".join(servers) + "}\n")
    write(os.path.join(st, "nginx.conf"), conf)
    os.makedirs(os.path.join(st, "nginx-tmp"), exist_ok=True)


# ---------------------------------------------------------------- video

def ffmpeg_args(kind):
    n = len(VARIANTS)
    fc = f"[0:v]split={n}" + "".join(f"[s{i}]" for i in range(n)) + ";" + ";".join(
        f"[s{i}]scale={res.replace('x', ':')}[v{i}]" for i, (res, _) in enumerate(VARIANTS))
    a = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}:duration={VIDEO_S}",
         "-filter_complex", fc]
    for i in range(n):
        a += ["-map", f"[v{i}]"]
    a += ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-threads", "1",
          "-g", str(SEGMENT_S * FPS), "-keyint_min", str(SEGMENT_S * FPS), "-sc_threshold", "0",
          "-x264-params", "nal-hrd=cbr"]
    for i, (_, kbit) in enumerate(VARIANTS):
        a += [f"-b:v:{i}", f"{kbit}k", f"-maxrate:v:{i}", f"{kbit}k", f"-bufsize:v:{i}", f"{kbit}k"]
    if kind == "hls":
        a += ["-f", "hls", "-hls_time", str(SEGMENT_S), "-hls_playlist_type", "vod",
              "-hls_segment_filename", "v%v/seg%03d.ts", "-master_pl_name", "master.m3u8",
              "-var_stream_map", " ".join(f"v:{i}" for i in range(n)), "v%v/index.m3u8"]
    else:
        a += ["-f", "dash", "-seg_duration", str(SEGMENT_S), "-use_template", "1",
              "-use_timeline", "0", "-adaptation_sets", "id=0,streams=" + ",".join(map(str, range(n))),
              "-init_seg_name", "init-$RepresentationID$.m4s",
              "-media_seg_name", "seg-$RepresentationID$-$Number%03d$.m4s", "manifest.mpd"]
    return a


def video_start(st):
    """Starts the two encodes (or none, when STATE holds the same already);
    returns the list of (kind, Popen, tmpdir)."""
    vroot = os.path.join(st, "www", "video")
    stamp = hashlib.sha256(json.dumps([ffmpeg_args("hls"), ffmpeg_args("dash")]).encode()).hexdigest()
    try:
        with open(os.path.join(vroot, "stamp")) as f:
            if f.read().strip() == stamp and os.path.exists(os.path.join(vroot, "hls", "master.m3u8")) \
                    and os.path.exists(os.path.join(vroot, "dash", "manifest.mpd")):
                return []
    except OSError:
        pass
    os.makedirs(vroot, exist_ok=True)
    try:
        os.unlink(os.path.join(vroot, "stamp"))
    except OSError:
        pass
    procs = []
    for kind in ("hls", "dash"):
        tmp = os.path.join(vroot, kind + ".tmp")
        subprocess.run(["rm", "-rf", tmp], check=True)
        os.makedirs(tmp)
        for i in range(len(VARIANTS)):
            os.makedirs(os.path.join(tmp, f"v{i}"), exist_ok=True)
        log = open(os.path.join(st, f"ffmpeg-{kind}.log"), "w")
        procs.append((kind, subprocess.Popen(ffmpeg_args(kind), cwd=tmp, stdout=log, stderr=log,
                                             stdin=subprocess.DEVNULL), tmp))
        log.close()
    write(os.path.join(vroot, "stamp.pending"), stamp)
    return procs


def video_finish(st, procs):
    vroot = os.path.join(st, "www", "video")
    for kind, p, tmp in procs:
        if p.wait() != 0:
            raise RuntimeError(f"ffmpeg ({kind}) failed; see {st}/ffmpeg-{kind}.log")
        final = os.path.join(vroot, kind)
        subprocess.run(["rm", "-rf", final], check=True)
        os.rename(tmp, final)
    if procs:
        os.rename(os.path.join(vroot, "stamp.pending"), os.path.join(vroot, "stamp"))
    byterange_streams(vroot)
    info = video_info(vroot)
    write(os.path.join(st, "video.json"), json.dumps(info, indent=1) + "\n")
    return info


def byterange_streams(vroot):
    """The same streams served as byte ranges of one file, the way
    single-file packagers publish them: hls-br/v<i>/all.ts with
    EXT-X-BYTERANGE (the TS segments concatenated, which is a valid TS
    file), and dash-br/ as ffmpeg's DASH muxer writes it with -single_file.
    Made from the encoded files, not re-encoded: quick, so made at every
    start. Returns the byte ranges."""
    out = {"hls": [], "dash": []}
    hls, hbr = os.path.join(vroot, "hls"), os.path.join(vroot, "hls-br")
    subprocess.run(["rm", "-rf", hbr], check=True)
    os.makedirs(hbr)
    master = open(os.path.join(hls, "master.m3u8")).read()
    for uri in [l.strip() for l in master.splitlines() if l.strip() and not l.startswith("#")]:
        src_pl = os.path.join(hls, uri)
        vdir = os.path.dirname(uri)
        os.makedirs(os.path.join(hbr, vdir), exist_ok=True)
        lines, off, segs = [], 0, []
        last_extinf = float(SEGMENT_S)  # ffmpeg writes EXTINF before every URI
        with open(os.path.join(hbr, vdir, "all.ts"), "wb") as big:
            for l in open(src_pl).read().splitlines():
                if l and not l.startswith("#"):
                    data = open(os.path.join(os.path.dirname(src_pl), l), "rb").read()
                    big.write(data)
                    lines.append(f"#EXT-X-BYTERANGE:{len(data)}@{off}")
                    lines.append("all.ts")
                    segs.append([off, len(data), last_extinf])
                    off += len(data)
                else:
                    if l.startswith("#EXTINF:"):
                        last_extinf = float(l[8:].split(",")[0])
                    if l.startswith("#EXT-X-VERSION"):
                        l = "#EXT-X-VERSION:4"  # BYTERANGE needs version 4
                    lines.append(l)
        write(os.path.join(hbr, uri), "\n".join(lines) + "\n")
        out["hls"].append({"playlist": uri, "segments": segs})
    write(os.path.join(hbr, "master.m3u8"), master)
    # DASH: each Representation's init + fragments concatenated (a valid
    # fragmented MP4), then remuxed by ffmpeg's own DASH muxer with
    # -single_file (stream copy, ~0.2 s): its MPD (BaseURL, Initialization
    # @range, SegmentURL@mediaRange) is what a real packager writes, and the
    # ranges below are read back from it.
    dash, dbr = os.path.join(vroot, "dash"), os.path.join(vroot, "dash-br")
    subprocess.run(["rm", "-rf", dbr], check=True)
    os.makedirs(dbr)
    inputs = []
    for i in range(len(VARIANTS)):
        names = sorted(f for f in os.listdir(dash) if f.startswith(f"seg-{i}-"))
        src = os.path.join(dbr, f"src-{i}.mp4")
        with open(src, "wb") as big:
            for name in [f"init-{i}.m4s"] + names:
                big.write(open(os.path.join(dash, name), "rb").read())
        inputs.append(src)
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    for src in inputs:
        cmd += ["-i", src]
    for i in range(len(inputs)):
        cmd += ["-map", f"{i}:v"]
    cmd += ["-c", "copy", "-f", "dash", "-seg_duration", str(SEGMENT_S), "-single_file", "1",
            "-use_template", "0", "-use_timeline", "0",
            "-adaptation_sets", "id=0,streams=" + ",".join(map(str, range(len(inputs)))),
            "manifest.mpd"]
    subprocess.run(cmd, cwd=dbr, check=True)
    # DASH SegmentBase (the on-demand profile): each Representation one
    # fragmented MP4 with a global sidx, written by ffmpeg's mp4 muxer
    # (stream copy); the MPD names the init range (ftyp + moov) and the
    # sidx range, found by walking the file's top-level boxes. The truth
    # for the test is the moof + mdat pairs of that walk, not the sidx.
    sbd = os.path.join(vroot, "dash-sb")
    subprocess.run(["rm", "-rf", sbd], check=True)
    os.makedirs(sbd)
    sb_reps, out["dash_sb"] = [], []
    for i, src in enumerate(inputs):
        res, kbit = VARIANTS[i]
        w, h = res.split("x")
        name = f"rep-{i}.mp4"
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", src,
                        "-c", "copy", "-movflags",
                        "+frag_keyframe+empty_moov+default_base_moof+global_sidx",
                        "-f", "mp4", os.path.join(sbd, name)], check=True)
        data = open(os.path.join(sbd, name), "rb").read()
        boxes, o = [], 0
        while o + 8 <= len(data):
            n = int.from_bytes(data[o:o + 4], "big")
            boxes.append((data[o + 4:o + 8].decode("latin-1"), o, n))
            o += n
        kinds = [b[0] for b in boxes]
        moov, sidx = boxes[kinds.index("moov")], boxes[kinds.index("sidx")]
        segs = [[b[1], b[2] + boxes[j + 1][2], float(SEGMENT_S)] for j, b in enumerate(boxes)
                if b[0] == "moof" and j + 1 < len(boxes) and boxes[j + 1][0] == "mdat"]
        sb_reps.append(f'   <Representation id="{i}" bandwidth="{kbit * 1000}" width="{w}" height="{h}">\n'
                       f'    <BaseURL>{name}</BaseURL>\n'
                       f'    <SegmentBase indexRange="{sidx[1]}-{sidx[1] + sidx[2] - 1}">\n'
                       f'     <Initialization range="0-{moov[1] + moov[2] - 1}"/>\n'
                       f'    </SegmentBase>\n   </Representation>\n')
        out["dash_sb"].append({"id": str(i), "bandwidth": kbit * 1000, "segments": segs,
                               "init_bytes": moov[1] + moov[2], "index_bytes": sidx[2]})
    write(os.path.join(sbd, "manifest.mpd"),
          '<?xml version="1.0" encoding="utf-8"?>\n'
          '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
          f'mediaPresentationDuration="PT{VIDEO_S}S" minBufferTime="PT{SEGMENT_S}S" '
          'profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">\n <Period>\n'
          '  <AdaptationSet mimeType="video/mp4" contentType="video">\n'
          + "".join(sb_reps) + "  </AdaptationSet>\n </Period>\n</MPD>\n")
    for src in inputs:
        os.unlink(src)
    ns = {"m": "urn:mpeg:dash:schema:mpd:2011"}
    root = ET.parse(os.path.join(dbr, "manifest.mpd")).getroot()
    for rep in root.iterfind(".//m:Representation", ns):
        sl = rep.find("m:SegmentList", ns)
        dur = int(sl.get("duration")) / int(sl.get("timescale", "1"))
        a0, b0 = (int(x) for x in sl.find("m:Initialization", ns).get("range").split("-"))
        segs = []
        for su in sl.iterfind("m:SegmentURL", ns):
            a1, b1 = (int(x) for x in su.get("mediaRange").split("-"))
            segs.append([a1, b1 - a1 + 1, dur])
        out["dash"].append({"id": rep.get("id"), "bandwidth": int(rep.get("bandwidth")),
                            "file": rep.find("m:BaseURL", ns).text, "init_bytes": b0 - a0 + 1,
                            "segments": segs})
    write(os.path.join(vroot, "byterange.json"), json.dumps(out) + "\n")
    return out


def hls_attrs(line):
    out = {}
    for part in line.split(":", 1)[1].split(","):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k] = v.strip('"')
    return out


def video_info(vroot):
    """Measured from the files: bytes of the media segments, duration from
    the playlists (EXTINF) or the MPD's segment template."""
    base = "http://video.kpi.lab"
    hls = os.path.join(vroot, "hls")
    lines = open(os.path.join(hls, "master.m3u8")).read().splitlines()
    variants = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            a = hls_attrs(line)
            uri = lines[i + 1].strip()
            pl = os.path.join(hls, uri)
            dur, nbytes, segs, peak = 0.0, 0, 0, 0.0
            pending = None
            for l2 in open(pl).read().splitlines():
                if l2.startswith("#EXTINF:"):
                    pending = float(l2[8:].split(",")[0])
                elif l2 and not l2.startswith("#") and pending is not None:
                    b = os.path.getsize(os.path.join(os.path.dirname(pl), l2))
                    dur, nbytes, segs = dur + pending, nbytes + b, segs + 1
                    peak = max(peak, b * 8 / pending)
                    pending = None
            variants.append({"playlist": f"{base}/hls/{uri}", "declared_bps": int(a["BANDWIDTH"]),
                             "resolution": a.get("RESOLUTION", ""), "segments": segs,
                             "duration_s": round(dur, 3), "bytes": nbytes,
                             "avg_bps": round(nbytes * 8 / dur), "max_segment_bps": round(peak)})
    variants.sort(key=lambda v: v["avg_bps"])
    dash = os.path.join(vroot, "dash")
    reps = []
    for i, (res, kbit) in enumerate(VARIANTS):
        segs = sorted(f for f in os.listdir(dash) if f.startswith(f"seg-{i}-"))
        nbytes = sum(os.path.getsize(os.path.join(dash, f)) for f in segs)
        reps.append({"id": str(i), "declared_bps": kbit * 1000, "resolution": res,
                     "segments": len(segs), "duration_s": float(len(segs) * SEGMENT_S),
                     "init_bytes": os.path.getsize(os.path.join(dash, f"init-{i}.m4s")),
                     "bytes": nbytes, "avg_bps": round(nbytes * 8 / (len(segs) * SEGMENT_S))})
    br = json.load(open(os.path.join(vroot, "byterange.json")))
    return {"duration_s": VIDEO_S, "segment_s": SEGMENT_S,
            "hls_br": {"master": f"{base}/hls-br/master.m3u8", "variants": br["hls"]},
            "dash_br": {"mpd": f"{base}/dash-br/manifest.mpd", "representations": br["dash"]},
            "dash_sb": {"mpd": f"{base}/dash-sb/manifest.mpd", "representations": br["dash_sb"]},
            "hls": {"master": f"{base}/hls/master.m3u8", "master_https": f"https://video.kpi.lab/hls/master.m3u8",
                    "container": "mpegts", "variants": variants},
            "dash": {"mpd": f"{base}/dash/manifest.mpd", "container": "fmp4", "representations": reps}}


# ---------------------------------------------------------------- impairment

def nft_replace(ns, table, body):
    """Replaces table inet TABLE (body None: removes it) in one transaction."""
    text = f"table inet {table} {{}}\ndelete table inet {table}\n"
    if body:
        text += f"table inet {table} {{\n{body}}}\n"
    sh("nft", "-f", "-", ns=ns, input=text, text=True)


def stop_delay(n):
    st = n["state"]
    path = os.path.join(st, "kpi_delay.pid")
    try:
        with open(path) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return
    inodes = {netns_inode(n["router"])} - {None}
    if in_lab(pid, inodes):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
        end = time.time() + 3
        while time.time() < end and running(pid):
            time.sleep(0.02)
    try:
        os.unlink(path)
    except OSError:
        pass


def start_delay(n):
    st, r = n["state"], n["router"]
    ready = os.path.join(st, "kpi_delay.ready")
    try:
        os.unlink(ready)
    except OSError:
        pass
    with open(os.path.join(st, "kpi_delay.log"), "a") as log:
        p = subprocess.Popen(["ip", "netns", "exec", r, sys.executable, os.path.join(HERE, "kpi_delay.py"),
                              TUN, str(DELAY_MS), ready], stdout=subprocess.DEVNULL, stderr=log,
                             stdin=subprocess.DEVNULL, start_new_session=True)
    end = time.time() + 5
    while not os.path.exists(ready):
        if p.poll() is not None or time.time() > end:
            sys.exit(f"kpilab: the delayer did not start; see {st}/kpi_delay.log")
        time.sleep(0.02)
    # `ip netns exec` execs the program, so p.pid is the delayer itself
    write(os.path.join(st, "kpi_delay.pid"), str(p.pid))
    sh("ip", "link", "set", TUN, "up", ns=r)
    sh("ip", "-6", "route", "replace", CLIENT_NET6, "dev", TUN, "table", str(DELAY_TABLE), ns=r)
    sh("ip", "-6", "rule", "add", "pref", str(DELAY_PREF), "iif", n["veth_rs"], "from", SERVERS6,
       "lookup", str(DELAY_TABLE), ns=r)


def impair(state, profile):
    if profile not in PROFILES:
        sys.exit(f"kpilab: unknown profile '{profile}' (one of {', '.join(PROFILES)})")
    try:
        n = names(state)
    except (OSError, ValueError):
        sys.exit(f"kpilab: no lab is up in {state}")
    r, rc, rs = n["router"], n["veth_rc"], n["veth_rs"]
    # back to "none" first: each profile starts from a clean path
    sh("tc", "qdisc", "del", "dev", rc, "root", ns=r, check=False, capture_output=True)
    nft_replace(r, "kpi_impair", None)
    while sh("ip", "-6", "rule", "del", "pref", str(DELAY_PREF), ns=r, check=False,
             capture_output=True).returncode == 0:
        pass
    sh("ip", "-6", "route", "flush", "table", str(DELAY_TABLE), ns=r, check=False, capture_output=True)
    stop_delay(n)
    if profile == "loss":
        nft_replace(r, "kpi_impair", (
            "  chain forward {\n    type filter hook forward priority 0;\n"
            f"    iifname \"{rs}\" oifname \"{rc}\" ip6 saddr {SERVERS6} "
            f"numgen random mod 1000 < {LOSS_PER_MILLE} drop\n  }}\n"))
    elif profile == "dead":
        nft_replace(r, "kpi_impair", (
            "  chain forward {\n    type filter hook forward priority 0;\n"
            f"    iifname \"{rc}\" ip6 daddr {SERVERS6} drop\n  }}\n"))
    elif profile == "rate":
        # no "default": unclassified packets take HTB's direct queue unshaped
        sh("tc", "qdisc", "add", "dev", rc, "root", "handle", "1:", "htb", ns=r)
        sh("tc", "class", "add", "dev", rc, "parent", "1:", "classid", "1:10", "htb",
           "rate", "1gbit", "quantum", "60000", ns=r)
        # tbf segments GSO packets larger than its bucket, so forwarded
        # TSO bursts are shaped frame by frame
        sh("tc", "qdisc", "add", "dev", rc, "parent", "1:10", "handle", "10:", "tbf",
           "rate", f"{RATE_KBIT}kbit", "burst", str(TBF_BURST), "latency", f"{TBF_LATENCY_MS}ms", ns=r)
        sh("tc", "filter", "add", "dev", rc, "parent", "1:", "protocol", "ipv6", "prio", "1",
           "u32", "match", "ip6", "src", SERVERS6, "flowid", "1:10", ns=r)
    elif profile == "delay":
        start_delay(n)
    write(os.path.join(n["state"], "profile"), profile + "\n")


# ---------------------------------------------------------------- up / down

CLIENT_READY = r"""
import socket, sys, time
www4, www6, can6, res4, res6 = sys.argv[1:6]
end = time.time() + 5
q = bytes.fromhex("abcd01000001000000000000") + b"\x03www\x03kpi\x03lab\x00" + bytes.fromhex("001c0001")
def dns(fam, server):
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        s.sendto(q, (server, 53))
        r = s.recv(512)
        return r[:2] == q[:2] and r[3] & 15 == 0 and r[7] > 0
while time.time() < end:
    try:
        for a in (www4, www6, can6):
            socket.create_connection((a, 80), timeout=0.3).close()
        if dns(socket.AF_INET6, res6) and dns(socket.AF_INET, res4):
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit("kpilab: the client namespace cannot reach the servers")
"""


def up(state):
    if os.geteuid() != 0:
        sys.exit("kpilab: needs root (network namespaces)")
    if os.path.exists(os.path.join(state, "names.json")):
        down(state)
    procs = []
    try:
        _up(state, procs)
    except BaseException:
        for _, p, _ in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        down(state)
        raise


def _up(state, procs):
    os.makedirs(state, exist_ok=True)
    st = os.path.abspath(state)
    for f in DAEMON_PIDFILES + ("profile", "kpi_delay.ready"):
        try:
            os.unlink(os.path.join(st, f))
        except OSError:
            pass
    build_web(st)          # first: the video lives under www/
    procs += video_start(st)
    tag = f"kpi{os.getpid()}"
    while any(netns_exists(tag + x) for x in "crs"):
        tag = f"kpi{os.getpid() % 100000}{os.urandom(2).hex()}"
    n = {"client": tag + "c", "router": tag + "r", "server": tag + "s",
         "veth_cr": tag + "cr", "veth_rc": tag + "rc", "veth_rs": tag + "rs", "veth_sr": tag + "sr",
         "state": st}
    write(os.path.join(st, "names.json"), json.dumps(n))
    c, r, s = n["client"], n["router"], n["server"]
    for ns in (c, r, s):
        sh("ip", "netns", "add", ns)
        sh("sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", ns=ns)
        sh("sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    sh("ip", "link", "add", n["veth_cr"], "netns", c, "address", MAC["cr"], "type", "veth",
       "peer", "name", n["veth_rc"], "netns", r, "address", MAC["rc"])
    sh("ip", "link", "add", n["veth_rs"], "netns", r, "address", MAC["rs"], "type", "veth",
       "peer", "name", n["veth_sr"], "netns", s, "address", MAC["sr"])
    def link(ns, dev, a4, a6, peer6, peer_mac):
        sh("ip", "addr", "add", a4 + "/24", "dev", dev, ns=ns)
        sh("ip", "addr", "add", a6 + "/64", "dev", dev, "nodad", ns=ns)
        sh("ip", "link", "set", dev, "up", ns=ns)
        # static neighbours: IPv6 impairments can never starve NDP
        sh("ip", "-6", "neigh", "replace", peer6, "lladdr", peer_mac, "dev", dev, "nud", "permanent", ns=ns)
    link(c, n["veth_cr"], CLIENT4, CLIENT6, RC6, MAC["rc"])
    link(r, n["veth_rc"], RC4, RC6, CLIENT6, MAC["cr"])
    link(r, n["veth_rs"], RS4, RS6, SR6, MAC["sr"])
    link(s, n["veth_sr"], SR4, SR6, RS6, MAC["rs"])
    # every connection starts from the same state: no ssthresh or RTT
    # inherited from an earlier transfer (over another profile) via the
    # TCP metrics cache
    for ns in (c, s):
        sh("sysctl", "-qw", "net.ipv4.tcp_no_metrics_save=1", ns=ns)
    sh("sysctl", "-qw", "net.ipv4.tcp_tw_reuse=1", ns=c)
    sh("sysctl", "-qw", "net.ipv4.ip_local_port_range=1024 65000", ns=c)
    sh("sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647", ns=c)  # unprivileged ping sockets
    sh("ip", "route", "add", "default", "via", RC4, ns=c)
    sh("ip", "-6", "route", "add", "default", "via", RC6, ns=c)
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=r)
    sh("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1", ns=r)
    for net4, net6 in ((SERVERS4, SERVERS6), (CANARY_NET4, CANARY_NET6)):
        sh("ip", "route", "add", net4, "via", SR4, ns=r)
        sh("ip", "-6", "route", "add", net6, "via", SR6, ns=r)
    sh("ip", "route", "add", "default", "via", RS4, ns=s)
    sh("ip", "-6", "route", "add", "default", "via", RS6, ns=s)
    a4 = {RESOLVER4, NS1[1]} | {h[1] for h in HOSTS}
    a6 = {RESOLVER6, NS1[2]} | {h[2] for h in HOSTS if h[2]}
    batch = [f"addr add {a}/32 dev lo" for a in sorted(a4)]
    batch += [f"addr add {a}/128 dev lo nodad" for a in sorted(a6)]
    sh("ip", "-batch", "-", ns=s, input="\n".join(batch) + "\n", text=True)
    # the fixed oddities of two hosts (the server's own firewall)
    nft_replace(s, "kpi_hosts", (
        "  chain input {\n    type filter hook input priority 0;\n"
        f"    ip6 daddr {NOV6PATH6} drop\n"
        f"    ip daddr {NOICMP4} icmp type echo-request drop\n"
        f"    ip6 daddr {NOICMP6} icmpv6 type echo-request drop\n  }}\n"))
    nft_replace(r, "kpi_impair", None)
    build_dns(st)
    build_tls(st)
    sh("nsd", "-c", f"{st}/nsd.conf", ns=s)
    sh("unbound", "-c", f"{st}/unbound.conf", ns=s)
    sh("nginx", "-p", f"{st}/nginx-tmp", "-c", f"{st}/nginx.conf", ns=s)
    ok = (wait_port(s, NS1[2], 53, udp=True) and wait_port(s, RESOLVER4, 53, udp=True)
          and wait_port(s, RESOLVER6, 53, udp=True) and wait_port(s, ADDR["www"][0], 80)
          and wait_port(s, ADDR["canary"][1], 443))
    if not ok:
        sys.exit("kpilab: a server did not start; see the logs in " + st)
    write(os.path.join(st, "targets.txt"),
          "# kpilab targets: TARGET [VIDEO_URL]\n"
          "http://www.kpi.lab/ http://video.kpi.lab/hls/master.m3u8\n"
          "http://v4only.kpi.lab/\nhttp://nov6path.kpi.lab/\nhttp://noicmp.kpi.lab/\n")
    sh(sys.executable, "-c", CLIENT_READY, ADDR["www"][0], ADDR["www"][1], ADDR["canary"][1],
       RESOLVER4, RESOLVER6, ns=c)
    video_finish(st, procs)
    procs.clear()
    write(os.path.join(st, "profile"), "none\n")


def down(state):
    """Idempotent: stops the lab recorded in STATE/names.json, if any."""
    try:
        n = names(state)
    except (OSError, ValueError):
        return
    st = n["state"]
    all_ns = (n["server"], n["router"], n["client"])
    spaces = [ns for ns in all_ns if netns_exists(ns)]
    inodes = {netns_inode(ns) for ns in spaces} - {None}
    seen = set()
    for f in DAEMON_PIDFILES:
        try:
            with open(os.path.join(st, f)) as fh:
                pid = int(fh.read().strip())
            if in_lab(pid, inodes):
                os.kill(pid, signal.SIGTERM)
                seen.add(pid)
        except (OSError, ValueError):
            pass
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
    if any(netns_exists(ns) for ns in all_ns):
        sys.exit("kpilab: could not remove the namespaces " + " ".join(all_ns))
    for f in DAEMON_PIDFILES + ("names.json", "profile", "kpi_delay.ready"):
        try:
            os.unlink(os.path.join(st, f))
        except OSError:
            pass


def env(state):
    try:
        n = names(state)
    except (OSError, ValueError):
        sys.exit(f"kpilab: no lab is up in {state}")
    st = n["state"]
    try:
        with open(os.path.join(st, "profile")) as f:
            profile = f.read().strip()
        with open(os.path.join(st, "video.json")) as f:
            video = json.load(f)
        with open(os.path.join(st, "expected.json")) as f:
            page = json.load(f)["page"]
    except (OSError, ValueError):
        sys.exit(f"kpilab: the lab in {state} is not completely up")
    hv, dv = video["hls"]["variants"], video["dash"]["representations"]
    v = [("STATE", st), ("CLIENT_NS", n["client"]), ("ROUTER_NS", n["router"]),
         ("SERVER_NS", n["server"]), ("CLIENT4", CLIENT4), ("CLIENT6", CLIENT6),
         ("RESOLVER", RESOLVER4), ("RESOLVER4", RESOLVER4), ("RESOLVER6", RESOLVER6),
         ("CA_FILE", f"{st}/tls/ca.pem"), ("KPI_TARGETS", f"{st}/targets.txt"),
         ("KPI_CANARY", "http://canary.kpi.lab/"),
         ("PAGE_URL", page["http"]), ("PAGE_URL_HTTPS", page["https"]),
         ("PAGE_EXPECTED", f"{st}/expected.json"), ("PAGE_RESOURCES", page["resource_count"]),
         ("PAGE_BYTES", page["total_bytes"]),
         ("HLS_URL", video["hls"]["master"]), ("HLS_URL_HTTPS", video["hls"]["master_https"]),
         ("HLS_LOW_URL", hv[0]["playlist"]), ("HLS_HIGH_URL", hv[-1]["playlist"]),
         ("HLS_LOW_BPS", hv[0]["avg_bps"]), ("HLS_HIGH_BPS", hv[-1]["avg_bps"]),
         ("HLS_LOW_DECLARED_BPS", hv[0]["declared_bps"]),
         ("HLS_HIGH_DECLARED_BPS", hv[-1]["declared_bps"]),
         ("DASH_URL", video["dash"]["mpd"]),
         ("HLS_BR_URL", video["hls_br"]["master"]), ("DASH_BR_URL", video["dash_br"]["mpd"]),
         ("DASH_SB_URL", video["dash_sb"]["mpd"]),
         ("DASH_LOW_BPS", dv[0]["avg_bps"]), ("DASH_HIGH_BPS", dv[-1]["avg_bps"]),
         ("VIDEO_JSON", f"{st}/video.json"), ("VIDEO_DURATION_S", video["duration_s"]),
         ("SEGMENT_S", video["segment_s"]),
         ("KPI_PROFILE", profile), ("LOSS_RATE", LOSS_PER_MILLE / 1000), ("DELAY_MS", DELAY_MS),
         ("RATE_BPS", RATE_KBIT * 1000)]
    for name, a4, a6, _ in HOSTS:
        key = name.split(".")[0].upper()
        v.append((key + "4", a4))
        if a6:
            v.append((key + "6", a6))
    for k, val in v:
        print(f"{k}={shlex.quote(str(val))}")


USAGE = "usage: kpilab.py up|down|env STATE | impair STATE PROFILE | exec STATE CMD..."


def main():
    if len(sys.argv) < 3:
        sys.exit(USAGE)
    cmd, state = sys.argv[1], sys.argv[2]
    if cmd == "up" and len(sys.argv) == 3:
        try:
            up(state)
        except subprocess.CalledProcessError as e:
            sys.exit(f"kpilab: `{' '.join(map(str, e.cmd))}` failed (exit {e.returncode}); "
                     f"the lab was taken down; logs in {state}")
        except FileNotFoundError as e:
            sys.exit(f"kpilab: {e.filename} is not installed; the lab was taken down")
        except RuntimeError as e:
            sys.exit(f"kpilab: {e}; the lab was taken down")
    elif cmd == "down" and len(sys.argv) == 3:
        down(state)
    elif cmd == "env" and len(sys.argv) == 3:
        env(state)
    elif cmd == "impair" and len(sys.argv) == 4:
        if os.geteuid() != 0:
            sys.exit("kpilab: needs root")
        try:
            impair(state, sys.argv[3])
        except subprocess.CalledProcessError as e:
            sys.exit(f"kpilab: `{' '.join(map(str, e.cmd))}` failed (exit {e.returncode})")
    elif cmd == "exec" and len(sys.argv) >= 4:
        try:
            ns = names(state)["client"]
        except (OSError, ValueError):
            sys.exit(f"kpilab: no lab is up in {state}")
        os.execvp("ip", ["ip", "netns", "exec", ns] + sys.argv[3:])
    else:
        sys.exit(USAGE)


if __name__ == "__main__":
    main()
