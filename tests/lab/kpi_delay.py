#!/usr/bin/env python3
"""tests/lab/kpi_delay.py - a fixed one-way delay for the kpi lab (kpilab.py).

    kpi_delay.py TUNNAME DELAY_MS READYFILE

Creates the TUN device TUNNAME (layer 3, no packet-info header) in the
current network namespace, writes READYFILE once the device exists, and
from then on writes every packet it reads from the device back into the
device DELAY_MS milliseconds later, in arrival order. Runs until SIGTERM
or SIGINT; the device disappears with the process.

Why this exists: the natural tool, tc netem, is not built into the kernel
of the machines this project runs on (CONFIG_NET_SCH_NETEM is not set),
and no other qdisc or nftables statement can hold a packet for a fixed
time. kpilab.py therefore routes the impaired packets (IPv6, from the lab's
servers, arriving at the router from the server side) into this device
with a policy rule ("iif <server veth> from 3ffe:20::/64 lookup 100",
table 100: "3ffe:10::/64 dev TUNNAME"); a packet written back into the
device arrives with iif TUNNAME, does not match the rule and is forwarded
by the main table to the client. Hop limit drops by one more; nothing
else changes.

Invariants:
  - every packet is held at least DELAY_MS after this process read it
    (read time is taken right after the read; the kernel's own queueing
    before that only adds), and at most DELAY_MS plus the scheduling
    latency of this process (typically < 1 ms on an idle machine);
  - order is kept (one FIFO, constant delay);
  - the queue holds at most MAX_QUEUE packets; past that a packet is
    dropped and counted (never reached in the lab: 40 ms at 1 Gbit/s is
    ~3,300 full-size packets).
On exit it prints one line to stderr: packets read, written, dropped.
Only for the lab; not part of v6mon.
"""
import collections
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
MAX_QUEUE = 20000
MTU_READ = 65536


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: kpi_delay.py TUNNAME DELAY_MS READYFILE")
    name, ready = sys.argv[1], sys.argv[3]
    try:
        delay = float(sys.argv[2]) / 1000.0
    except ValueError:
        sys.exit("kpi_delay: DELAY_MS must be a number")
    if not 0 <= delay <= 10 or not 0 < len(name) < 16:
        sys.exit("kpi_delay: DELAY_MS 0..10000, TUNNAME 1..15 characters")
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))
    with open(ready + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(ready + ".tmp", ready)
    q = collections.deque()
    n_in = n_out = n_drop = 0
    while not stop:
        # capped, so that a signal (after which select() is resumed, PEP
        # 475) is noticed within half a second
        timeout = 0.5
        if q:
            timeout = min(timeout, max(0.0, q[0][0] - time.monotonic()))
        try:
            r, _, _ = select.select([fd], [], [], timeout)
        except InterruptedError:
            continue
        if r:
            while True:
                try:
                    pkt = os.read(fd, MTU_READ)
                except BlockingIOError:
                    break
                except InterruptedError:
                    continue
                now = time.monotonic()
                n_in += 1
                if len(q) >= MAX_QUEUE:
                    n_drop += 1
                else:
                    q.append((now + delay, pkt))
        now = time.monotonic()
        while q and q[0][0] <= now:
            _, pkt = q.popleft()
            try:
                os.write(fd, pkt)
                n_out += 1
            except OSError:
                n_drop += 1
    print(f"kpi_delay: {n_in} read, {n_out} written, {n_drop} dropped", file=sys.stderr)


if __name__ == "__main__":
    main()
