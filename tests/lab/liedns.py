#!/usr/bin/env python3
"""tests/lab/liedns.py STATE ADDR4 ADDR6 - a DNS server that lies (UDP and
TCP port 53).

Used as the prober's --resolver to check that bad answers end in a clear
reason. Per name (www.<case>.lie.lab), for AAAA questions:
  other      the AAAA answer holds a record for another name only
  wrongtype  an A record answers the AAAA question
  loop       a CNAME loop: www.loop.lie.lab -> x.loop.lie.lab -> www...
  garbage    40 junk bytes after the right id (random, but drawn once from a
             fixed seed: truly random junk now and then sets TC or reads as
             a well-formed reply to another question, and the reason the
             prober must give then changes from run to run)
  short      a well-formed header announcing one answer, cut off in the
             middle of that answer's record (a truncated packet)
  tc         over UDP an empty reply with the TC bit; over TCP the honest
             answer 3ffe:1::1:1 (the client must retry over TCP: passes)
Anything else: REFUSED. A queries get a plain A answer (198.18.1.1), over
UDP with TC for the tc case too.
TCP: each message is preceded by its 2-byte length (RFC 1035 4.2.2); a
connection may carry several queries; a malformed one closes it.
"""
import asyncio
import random
import socket
import struct
import sys


# QR 1, opcode 8, counts far beyond the 40 bytes: not a query response.
GARBAGE = random.Random(20261127).randbytes(40)


def qname_end(msg, off):
    while off < len(msg):
        ln = msg[off]
        if ln == 0:
            return off + 1
        off += 1 + ln
    return len(msg)


def labels(name):
    out = b""
    for p in name.split("."):
        out += bytes([len(p)]) + p.encode()
    return out + b"\0"


def rr(name, rtype, rdata, ttl=60):
    return labels(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def answer(msg, tcp=False):
    if len(msg) < 12:
        return None
    qid, flags = struct.unpack("!HH", msg[:4])
    end = qname_end(msg, 12)
    qtype = struct.unpack("!H", msg[end:end + 2])[0]
    q = msg[12:end + 4]
    name, off = [], 12
    while msg[off] != 0:
        ln = msg[off]
        name.append(msg[off + 1:off + 1 + ln].decode("latin-1").lower())
        off += 1 + ln
    qn = ".".join(name)
    case = name[1] if len(name) > 2 and name[-2:] == ["lie", "lab"] else ""
    def reply(rcode, answers):
        hdr = struct.pack("!HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
        return hdr + q + b"".join(answers)
    if case == "tc" and not tcp:
        hdr = struct.pack("!HHHHHH", qid, 0x8380, 1, 0, 0, 0)  # QR, TC, RD, RA
        return hdr + q
    if qtype == 1:
        return reply(0, [rr(qn, 1, socket.inet_aton("198.18.1.1"))])
    if case == "tc":
        return reply(0, [rr(qn, 28, socket.inet_pton(socket.AF_INET6, "3ffe:1::1:1"))])
    if case == "short":
        whole = reply(0, [rr(qn, 28, socket.inet_pton(socket.AF_INET6, "3ffe:1::1:1"))])
        return whole[:-9]  # 7 of the 16 address bytes remain
    if case == "other":
        return reply(0, [rr("evil.example.lab", 28, socket.inet_pton(socket.AF_INET6, "3ffe:1::1:1"))])
    if case == "wrongtype":
        return reply(0, [rr(qn, 1, socket.inet_aton("198.18.1.1"))])
    if case == "loop":
        other = "x." + ".".join(name[1:])
        return reply(0, [rr(qn, 5, labels(other)), rr(other, 5, labels(qn))])
    if case == "garbage":
        return struct.pack("!H", qid) + GARBAGE
    return reply(5, [])


class Proto(asyncio.DatagramProtocol):
    def connection_made(self, t):
        self.t = t

    def datagram_received(self, data, addr):
        try:
            r = answer(data)
        except Exception:
            r = None
        if r:
            self.t.sendto(r, addr)


async def serve_tcp(reader, writer):
    try:
        while True:
            hdr = await asyncio.wait_for(reader.readexactly(2), 10)
            msg = await asyncio.wait_for(reader.readexactly(struct.unpack("!H", hdr)[0]), 10)
            try:
                r = answer(msg, tcp=True)
            except Exception:
                r = None
            if not r:
                break
            writer.write(struct.pack("!H", len(r)) + r)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    loop = asyncio.get_running_loop()
    for a in sys.argv[2:4]:
        fam = socket.AF_INET6 if ":" in a else socket.AF_INET
        await loop.create_datagram_endpoint(Proto, local_addr=(a, 53), family=fam)
        await asyncio.start_server(serve_tcp, a, 53)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
