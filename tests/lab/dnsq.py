#!/usr/bin/env python3
"""tests/lab/dnsq.py - a tiny DNS query tool for the lab's self-test.

    dnsq.py SERVER NAME TYPE [--tcp] [--norec] [--timeout S]

The lab runs on machines without dig/drill (Debian package bind9-dnsutils or
ldnsutils), so the self-test asks its questions with this: one query, over UDP
(default) or TCP, with or without the RD bit, and prints what came back in a
fixed, grep-friendly form:

    status NOERROR flags qr aa rd ra
    answer www.dual.lab. AAAA 3ffe:1::1:1
    authority dual.lab. NS ns1.infra.lab.

or one of these single lines (exit status 0 in every case, so callers compare
text):
    timeout                 nothing came back in time
    malformed REASON        the reply could not be parsed (cut short, garbage)
    error REASON            the socket failed (e.g. connection refused)

Parsing is bounded: every read checks the remaining length, name compression
pointers must point backwards and a name has at most 128 labels.
Only for the lab; not part of v6mon.
"""
import os
import socket
import struct
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}
NAMES = {v: k for k, v in TYPES.items()}
RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"]


class Bad(Exception):
    pass


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(msg, off):
    labels, end, jumps = [], None, 0
    while True:
        if off >= len(msg):
            raise Bad("name runs past the end")
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise Bad("cut compression pointer")
            ptr = ((ln & 0x3F) << 8) | msg[off + 1]
            if end is None:
                end = off + 2
            if ptr >= off or jumps > 64:
                raise Bad("compression pointer loop")
            off, jumps = ptr, jumps + 1
            continue
        if ln & 0xC0:
            raise Bad("bad label type")
        off += 1
        if ln == 0:
            break
        if off + ln > len(msg) or len(labels) >= 128:
            raise Bad("label runs past the end")
        labels.append(msg[off:off + ln].decode("latin-1"))
        off += ln
    return ".".join(labels).lower() + ".", (end if end is not None else off)


def parse(msg):
    if len(msg) < 12:
        raise Bad(f"{len(msg)} bytes, shorter than a header")
    _, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
        if off > len(msg):
            raise Bad("question cut short")
    sections = []
    for sec, count in (("answer", an), ("authority", ns), ("additional", ar)):
        for _ in range(count):
            name, off = read_name(msg, off)
            if off + 10 > len(msg):
                raise Bad("record header cut short")
            rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            off += 10
            if off + rdlen > len(msg):
                raise Bad("record data cut short")
            rd = msg[off:off + rdlen]
            if rtype == 1 and rdlen == 4:
                val = socket.inet_ntop(socket.AF_INET, rd)
            elif rtype == 28 and rdlen == 16:
                val = socket.inet_ntop(socket.AF_INET6, rd)
            elif rtype in (2, 5, 12):
                val, _ = read_name(msg, off)
            elif rtype == 6:
                val = read_name(msg, off)[0]
            else:
                val = rd.hex()
            off += rdlen
            if rtype != 41:  # OPT
                sections.append((sec, name, NAMES.get(rtype, str(rtype)), val))
    names = [n for bit, n in ((15, "qr"), (10, "aa"), (9, "tc"), (8, "rd"), (7, "ra")) if flags >> bit & 1]
    rcode = flags & 0xF
    return RCODES[rcode] if rcode < len(RCODES) else str(rcode), names, sections


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def main():
    args, tcp, norec, timeout = [], False, False, 2.0
    argv = iter(sys.argv[1:])
    for a in argv:
        if a == "--tcp":
            tcp = True
        elif a == "--norec":
            norec = True
        elif a == "--timeout":
            timeout = float(next(argv, "2"))
        else:
            args.append(a)
    if len(args) != 3 or args[2].upper() not in TYPES:
        sys.exit("usage: dnsq.py SERVER NAME TYPE [--tcp] [--norec] [--timeout S]")
    server, name, qtype = args[0].strip("[]"), args[1], args[2].upper()
    qid = int.from_bytes(os.urandom(2), "big")
    query = struct.pack("!HHHHHH", qid, 0 if norec else 0x0100, 1, 0, 0, 0)
    query += encode_name(name) + struct.pack("!HH", TYPES[qtype], 1)
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    try:
        if tcp:
            with socket.socket(fam, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect((server, 53))
                s.sendall(struct.pack("!H", len(query)) + query)
                hdr = recv_exact(s, 2)
                if len(hdr) < 2:
                    print("malformed connection closed before a reply")
                    return
                reply = recv_exact(s, struct.unpack("!H", hdr)[0])
        else:
            with socket.socket(fam, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.sendto(query, (server, 53))
                while True:
                    reply, _ = s.recvfrom(65535)
                    if len(reply) >= 2 and reply[:2] == query[:2]:
                        break
    except socket.timeout:
        print("timeout")
        return
    except OSError as e:
        print("error", e.strerror or e)
        return
    try:
        rcode, flags, recs = parse(reply)
    except Bad as e:
        print("malformed", e)
        return
    lines = [f"status {rcode} flags {' '.join(flags)}"] + [" ".join(r) for r in recs]
    try:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head -1` read what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    main()
