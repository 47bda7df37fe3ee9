#!/usr/bin/env python3
"""Build seed corpora for the fuzz targets from captures our own synth writes.

usage: make_seeds.py V6MON OUTDIR
  OUTDIR/fuzz_decode/    one file per frame of every fixture: byte 0 = index
                         of the capture's link type in fuzz_decode.c's table,
                         byte 1 = flags (0), then the frame
  OUTDIR/fuzz_source/    the fixture captures themselves (pcap and pcapng)
  OUTDIR/fuzz_traffic/   the same captures (whole traffic pipeline)
  OUTDIR/fuzz_capfile/   the same captures (read() against mapped windows)
  OUTDIR/fuzz_usersapps/ small synth captures with app traffic, behind a
                         subscriber-mode byte
  OUTDIR/fuzz_segments/  the segments files shown in docs/segments.md
  OUTDIR/fuzz_indicators_conf/  data/targets.conf and data/ipv6plus.csv
  OUTDIR/fuzz_manifest/  the HLS playlists and DASH MPDs shown in
                         docs/internals/video.md, behind a limits byte
  OUTDIR/fuzz_sidx/      sidx boxes behind a flag byte and a file offset
Seeds are made at run time (nothing binary is committed).
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

# Must match the table in tests/fuzz/fuzz_decode.c.
LINKTYPES = [1, 101, 113, 276, 0, 108, 9, 50, 228, 229, 12, 14, 147, 104, 192,
             105, 127, 119, 163, 239, 258, 149, 107, 226, 10, 106, 11,
             178]


def pcap_frames(path):
    b = open(path, "rb").read()
    if len(b) < 24:
        return None, []
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    lt = struct.unpack(e + "I", b[20:24])[0] & 0xffff
    off, out = 24, []
    while off + 16 <= len(b):
        incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
        out.append(b[off + 16:off + 16 + incl])
        off += 16 + incl
    return lt, out


def modified_pcap(b):
    """The same records as a modified (Kuznetsov) pcap: magic a1b2cd34 and
    8 more bytes after each record header; None for other formats."""
    if b[:4] == b"\xd4\xc3\xb2\xa1":
        e, magic = "<", b"\x34\xcd\xb2\xa1"
    elif b[:4] == b"\xa1\xb2\xc3\xd4":
        e, magic = ">", b"\xa1\xb2\xcd\x34"
    else:
        return None
    out, off = bytearray(magic + b[4:24]), 24
    while off + 16 <= len(b):
        incl = struct.unpack(e + "I", b[off + 8:off + 12])[0]
        out += b[off:off + 16] + struct.pack(e + "IHBB", 1, 0x0800, 0, 0)
        out += b[off + 16:off + 16 + incl]
        off += 16 + incl
    return bytes(out)


def main(argv):
    v6mon, outdir = argv[1], argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([v6mon, "synth", "--fixtures", tmp], check=True,
                       stdout=subprocess.DEVNULL)
        dec = os.path.join(outdir, "fuzz_decode")
        src = os.path.join(outdir, "fuzz_source")
        trf = os.path.join(outdir, "fuzz_traffic")
        cpf = os.path.join(outdir, "fuzz_capfile")
        for d in (dec, src, trf, cpf):
            os.makedirs(d, exist_ok=True)
        n = 0
        for name in sorted(os.listdir(tmp)):
            path = os.path.join(tmp, name)
            if not name.endswith((".pcap", ".pcapng")):
                continue
            data = open(path, "rb").read()
            if len(data) <= 64 * 1024:
                for d in (src, trf, cpf):
                    open(os.path.join(d, name), "wb").write(data)
                mod = modified_pcap(data)
                if mod:
                    for d in (src, cpf):
                        open(os.path.join(d, "mod-" + name), "wb").write(mod)
            lt, frames = pcap_frames(path)
            if lt is None or lt not in LINKTYPES:
                continue
            for i, fr in enumerate(frames):
                seed = bytes([LINKTYPES.index(lt), 0]) + fr
                open(os.path.join(dec, f"{name}.{i}"), "wb").write(seed)
                n += 1
        # Users and apps: small synth captures with named app traffic (TLS,
        # HTTP, QUIC, DNS payloads), behind one subscriber-mode byte.
        ua = os.path.join(outdir, "fuzz_usersapps")
        os.makedirs(ua, exist_ok=True)
        for k in range(5):
            cap = os.path.join(tmp, f"ua{k}.pcap")
            subprocess.run([v6mon, "synth", "-o", cap, "--no-truth", "--quiet",
                            "--seed", str(100 + k), "--packets", "150",
                            "--users", "4", "--duration", "20"],
                           check=True, stdout=subprocess.DEVNULL)
            open(os.path.join(ua, f"ua{k}"), "wb").write(bytes([k]) + open(cap, "rb").read())
    seg = os.path.join(outdir, "fuzz_segments")
    os.makedirs(seg, exist_ok=True)
    doc = open(os.path.join(here, "..", "..", "docs", "segments.md")).read()
    for i, block in enumerate(re.findall(r"```[a-z]*\n(.*?)```", doc, re.S)):
        open(os.path.join(seg, f"doc{i}.conf"), "w").write(block)
    # Video manifests: the playlists and MPDs shown in docs/internals/video.md,
    # behind fuzz_manifest.c's flag byte (0: default limits, 1: tiny ones).
    vid = os.path.join(outdir, "fuzz_manifest")
    os.makedirs(vid, exist_ok=True)
    doc = open(os.path.join(here, "..", "..", "docs", "internals", "video.md")).read()
    for i, block in enumerate(re.findall(r"```(?:m3u8|xml)\n(.*?)```", doc, re.S)):
        for flag in (0, 1):
            open(os.path.join(vid, f"doc{i}.{flag}"), "wb").write(bytes([flag]) + block.encode())
    # Segment indexes for fuzz_sidx.c: flag byte, 8-byte file offset, then
    # sidx boxes (ISO/IEC 14496-12 8.16.3) of version 0 and 1, one behind a
    # styp box, one with a hierarchical reference, one with a 64-bit size.
    sx = os.path.join(outdir, "fuzz_sidx")
    os.makedirs(sx, exist_ok=True)

    def sidx(version, refs, first_offset=0, hier=False):
        body = bytes([version, 0, 0, 0]) + struct.pack(">II", 1, 90000)
        body += struct.pack(">II" if version == 0 else ">QQ", 0, first_offset)
        body += struct.pack(">HH", 0, len(refs))
        for i, (size, dur) in enumerate(refs):
            body += struct.pack(">III", size | (1 << 31 if hier and i == 1 else 0), dur,
                                0x90000000)
        return struct.pack(">I", 8 + len(body)) + b"sidx" + body

    refs = [(150000, 180000), (170000, 180000), (160000, 180000), (176000, 180000)]
    boxes = {"v0": sidx(0, refs), "v1": sidx(1, refs, 12),
             "styp": struct.pack(">I", 16) + b"stypmsdh\0\0\0\0" + sidx(0, refs),
             "hier": sidx(0, refs, hier=True)}
    big = sidx(1, refs)
    boxes["large"] = struct.pack(">I", 1) + b"sidx" + struct.pack(">Q", len(big) + 8) + big[8:]
    for name, box in boxes.items():
        for flag in (0, 1, 2):
            open(os.path.join(sx, f"{name}.{flag}"), "wb").write(
                bytes([flag]) + struct.pack(">Q", 791) + box)
    # Indicator config: data/targets.conf (flag byte 0) and the sample I8
    # registry data/ipv6plus.csv (flag byte 1), fuzz_indicators_conf.c.
    ic = os.path.join(outdir, "fuzz_indicators_conf")
    os.makedirs(ic, exist_ok=True)
    data = os.path.join(here, "..", "..", "data")
    for flag, name in ((0, "targets.conf"), (1, "ipv6plus.csv")):
        open(os.path.join(ic, name), "wb").write(
            bytes([flag]) + open(os.path.join(data, name), "rb").read())
    print(f"seeds: {n} frames, {len(os.listdir(src))} captures, "
          f"{len(os.listdir(seg))} segments files")


if __name__ == "__main__":
    main(sys.argv)
