#!/usr/bin/env python3
"""tests/lab/kpi_probe.py - the kpi lab self-test's measuring tool: echo
(ICMP / ICMPv6), TCP connect and DNS timing against several addresses at
once, interleaved, so IPv4 and IPv6 see the same moment of the machine.

    kpi_probe.py echo [-c N] [-i S] [-W S] ADDR...
    kpi_probe.py tcp  [-c N] [-i S] [-W S] [-p PORT] ADDR...
    kpi_probe.py dns  [-c N] [-i S] [-W S] [-t TYPE] NAME SERVER...

Every S seconds (default 0.01) one try goes to each address in turn (the
order alternates from round to round), N rounds (default 10); a try that
is not answered within W seconds (default 1) is lost. One line a target:

    echo 3ffe:20::1 sent=600 ok=571 loss=0.0483 min=0.061 median=0.102 p95=0.190 max=0.41

(times in ms; "-" when nothing came back). The machine has no ping or dig
(iputils-ping, bind9-dnsutils are not among the project's packages), and
ping's own output would need parsing anyway.

How each is timed:
  echo  raw sockets (root); the reply's time is the kernel's receive
        timestamp (SO_TIMESTAMPNS), the send time is taken just before
        sendto(), both CLOCK_REALTIME; identifier = pid, sequence numbers
        unique within the run, so a late or foreign reply is never matched
        to the wrong try;
  tcp   non-blocking connect; the handshake time is connect() to writable
        (SYN to SYN-ACK, as the kernel sees it); refused counts as failed;
  dns   one UDP query (random id, RD set) per try; ok = an answer with the
        same id and question, rcode NOERROR (parsed with dnsq.py).
Only for the lab; not part of v6mon.
"""
import os
import selectors
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsq  # noqa: E402

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def now_ns():
    return time.time_ns()


def stats(samples):
    if not samples:
        return "min=- median=- p95=- max=-"
    s = sorted(samples)
    def q(p):  # nearest rank
        k = max(1, -(-len(s) * p // 1))
        return s[int(k) - 1]
    return f"min={s[0]:.3f} median={q(0.5):.3f} p95={q(0.95):.3f} max={s[-1]:.3f}"


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


class Echo:
    def __init__(self, targets):
        self.ident = os.getpid() & 0xFFFF
        self.s4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.s6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        for s in (self.s4, self.s6):
            s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            s.setblocking(False)
        self.seq = 0
        self.pending = {}  # (family, seq) -> (target index, send ns)

    def socks(self):
        return [self.s4, self.s6]

    def send(self, ti, addr):
        self.seq = (self.seq + 1) & 0xFFFF
        v6 = ":" in addr
        payload = b"v6mon-kpilab" + struct.pack("!I", ti) + b"\0" * 40
        if v6:
            pkt = struct.pack("!BBHHH", 128, 0, 0, self.ident, self.seq) + payload
        else:
            hdr = struct.pack("!BBHHH", 8, 0, 0, self.ident, self.seq)
            c = checksum(hdr + payload)
            pkt = struct.pack("!BBHHH", 8, 0, c, self.ident, self.seq) + payload
        key = (6 if v6 else 4, self.seq)
        t = now_ns()
        try:
            (self.s6 if v6 else self.s4).sendto(pkt, (addr, 0))
        except OSError:
            return None  # counted lost
        self.pending[key] = (ti, t)
        return key

    def receive(self, sock):
        """Yields (key, rtt_ms) for each matching reply waiting on sock."""
        while True:
            try:
                data, anc, _, _ = sock.recvmsg(2048, 256)
            except (BlockingIOError, InterruptedError):
                return
            t = now_ns()
            for lvl, typ, val in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(val) >= 16:
                    sec, nsec = struct.unpack("qq", val[:16])
                    t = sec * 1_000_000_000 + nsec
            if sock is self.s4:
                if len(data) < 20:
                    continue
                data = data[(data[0] & 0x0F) * 4:]
                want, fam = 0, 4
            else:
                want, fam = 129, 6
            if len(data) < 8:
                continue
            typ, _, _, ident, seq = struct.unpack("!BBHHH", data[:8])
            if typ != want or ident != self.ident:
                continue
            key = (fam, seq)
            if key in self.pending:
                _, t0 = self.pending[key]
                yield key, (t - t0) / 1e6


class Tcp:
    def __init__(self, port):
        self.port = port
        self.pending = {}  # socket -> (key, t0)
        self.n = 0

    def start(self, addr):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        self.n += 1
        t0 = time.monotonic_ns()
        e = s.connect_ex((addr, self.port))
        if e not in (0, 115):  # EINPROGRESS
            s.close()
            return None, None
        return s, (self.n, t0)


def parse_args(argv, extra):
    opts = {"c": 10, "i": 0.01, "W": 1.0}
    opts.update(extra)
    rest = []
    it = iter(argv)
    for a in it:
        if a in ("-c", "-i", "-W", "-p", "-t"):
            v = next(it, None)
            if v is None:
                sys.exit(f"kpi_probe: {a} needs a value")
            opts[a[1]] = v
        else:
            rest.append(a)
    try:
        opts["c"], opts["i"], opts["W"] = int(opts["c"]), float(opts["i"]), float(opts["W"])
        if "p" in opts:
            opts["p"] = int(opts["p"])
    except ValueError:
        sys.exit("kpi_probe: bad number")
    if opts["c"] < 1 or opts["c"] > 60000 or opts["i"] < 0.001 or opts["W"] <= 0:
        sys.exit("kpi_probe: -c 1..60000, -i >= 0.001, -W > 0")
    return opts, rest


def run(kind, argv):
    opts, rest = parse_args(argv, {"p": 80, "t": "A"})
    if kind == "dns":
        if len(rest) < 2 or opts["t"].upper() not in dnsq.TYPES:
            sys.exit("usage: kpi_probe.py dns [-c N] [-i S] [-W S] [-t TYPE] NAME SERVER...")
        qname, targets = rest[0], [a.strip("[]") for a in rest[1:]]
    else:
        if not rest:
            sys.exit(f"usage: kpi_probe.py {kind} [-c N] [-i S] [-W S] ADDR...")
        targets = [a.strip("[]") for a in rest]
    n, interval, timeout = opts["c"], opts["i"], opts["W"]
    sent = [0] * len(targets)
    rtts = [[] for _ in targets]
    sel = selectors.DefaultSelector()
    deadline = {}  # key -> (target index, monotonic deadline, cleanup)
    echo = tcp = None
    if kind == "echo":
        echo = Echo(targets)
        for s in echo.socks():
            sel.register(s, selectors.EVENT_READ, "echo")
    elif kind == "tcp":
        tcp = Tcp(opts["p"])
    qtype = dnsq.TYPES.get(opts["t"].upper(), 1)

    def send(ti):
        addr = targets[ti]
        sent[ti] += 1
        if kind == "echo":
            key = echo.send(ti, addr)
            if key:
                deadline[key] = (ti, time.monotonic() + timeout, None)
        elif kind == "tcp":
            s, key = tcp.start(addr)
            if s:
                deadline[key] = (ti, time.monotonic() + timeout, s)
                sel.register(s, selectors.EVENT_WRITE, ("tcp", key))
        else:
            fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.setblocking(False)
            qid = int.from_bytes(os.urandom(2), "big")
            q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dnsq.encode_name(qname) + \
                struct.pack("!HH", qtype, 1)
            key = ("dns", id(s))
            t0 = time.monotonic_ns()
            try:
                s.sendto(q, (addr, 53))
            except OSError:
                s.close()
                return
            deadline[key] = (ti, time.monotonic() + timeout, s)
            sel.register(s, selectors.EVENT_READ, ("dns", key, q, t0))

    def finish(key, rtt):
        ti, _, s = deadline.pop(key)
        if s is not None:
            sel.unregister(s)
            s.close()
        if rtt is not None:
            rtts[ti].append(rtt)

    start = time.monotonic()
    rnd = 0
    while rnd < n or deadline:
        nxt = start + rnd * interval if rnd < n else None
        now = time.monotonic()
        if nxt is not None and now >= nxt:
            order = range(len(targets)) if rnd % 2 == 0 else reversed(range(len(targets)))
            for ti in order:
                send(ti)
            rnd += 1
            continue
        wake = [d for _, d, _ in deadline.values()]
        if nxt is not None:
            wake.append(nxt)
        t = max(0.0, min(wake) - now) if wake else 0.0
        for k, _ in sel.select(t):
            data = k.data
            if data == "echo":
                for key, rtt in list(echo.receive(k.fileobj)):
                    if key in deadline:
                        finish(key, rtt)
                        echo.pending.pop(key, None)
            elif data[0] == "tcp":
                key = data[1]
                rtt = (time.monotonic_ns() - key[1]) / 1e6
                err = k.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                finish(key, rtt if err == 0 else None)
            else:
                _, key, q, t0 = data
                try:
                    reply = k.fileobj.recv(4096)
                except OSError:  # e.g. ICMP port unreachable
                    finish(key, None)
                    continue
                rtt = (time.monotonic_ns() - t0) / 1e6
                if reply[:2] != q[:2]:
                    continue
                try:
                    rcode, _, _ = dnsq.parse(reply)
                except dnsq.Bad:
                    finish(key, None)
                    continue
                finish(key, rtt if rcode == "NOERROR" else None)
        now = time.monotonic()
        for key in [k for k, (_, d, _) in deadline.items() if d <= now]:
            finish(key, None)
            if echo:
                echo.pending.pop(key, None)
    for ti, addr in enumerate(targets):
        ok = len(rtts[ti])
        loss = 1 - ok / sent[ti] if sent[ti] else 1.0
        label = f"{qname} {opts['t'].upper()} {addr}" if kind == "dns" else addr
        print(f"{kind} {label} sent={sent[ti]} ok={ok} loss={loss:.4f} {stats(rtts[ti])}")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("echo", "tcp", "dns"):
        sys.exit("usage: kpi_probe.py echo|tcp|dns [options] ...")
    run(sys.argv[1], sys.argv[2:])


if __name__ == "__main__":
    main()
