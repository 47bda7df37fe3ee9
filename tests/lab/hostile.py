#!/usr/bin/env python3
"""tests/lab/hostile.py STATE - hostile HTTP servers for the prober lab.

Each behaviour listens on its own addresses (port 80, IPv4 and IPv6; see
netlab.py EXTRA, *.hostile.lab):
  endless  200 with a body that never ends
  drip     200, then one byte a second
  loop     302 to itself via a second name and back (a -> b -> a ...)
  headers  a 200 whose headers are 200 KB long
  garbage  200 text/html whose body is random binary junk
"""
import asyncio
import os
import sys

BEHAVIOURS = {
    "endless": ("198.18.6.1", "3ffe:1::6:1"),
    "drip": ("198.18.6.2", "3ffe:1::6:2"),
    "loop": ("198.18.6.3", "3ffe:1::6:3"),
    "headers": ("198.18.6.4", "3ffe:1::6:4"),
    "garbage": ("198.18.6.5", "3ffe:1::6:5"),
}


async def read_request(reader):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = await reader.read(4096)
        if not chunk:
            break
        data += chunk
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split()
    return parts[1] if len(parts) > 1 else "/"


def handler(kind):
    async def handle(reader, writer):
        try:
            path = await read_request(reader)
            if kind == "endless":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body>")
                chunk = b"<p>more and more and more</p>" * 1000
                while True:
                    writer.write(chunk)
                    await writer.drain()
            elif kind == "drip":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
                while True:
                    writer.write(b"x")
                    await writer.drain()
                    await asyncio.sleep(1)
            elif kind == "loop":
                nxt = "/b" if path != "/b" else "/a"
                writer.write(f"HTTP/1.1 302 Found\r\nLocation: http://loop.hostile.lab{nxt}\r\n"
                             "Content-Length: 0\r\n\r\n".encode())
            elif kind == "headers":
                big = "".join(f"X-Filler-{i}: {'y' * 190}\r\n" for i in range(1000))
                writer.write(("HTTP/1.1 200 OK\r\n" + big + "Content-Length: 2\r\n\r\nok").encode())
            elif kind == "garbage":
                body = os.urandom(20000)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass
    return handle


async def main():
    servers = []
    for kind, addrs in BEHAVIOURS.items():
        for a in addrs:
            servers.append(await asyncio.start_server(handler(kind), a, 80))
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main())
