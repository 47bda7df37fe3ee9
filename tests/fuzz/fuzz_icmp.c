/*
 * fuzz_icmp.c - libFuzzer target for the ICMP/ICMPv6 reply parser
 * (lib/probe/icmp.c: icmp_parse, icmp_parse_quoted_echo, icmp_error_text).
 *
 * Input: one selector byte, then the datagram as a socket would return it.
 * Selector bits: 0 = IPv6, 1 = starts with an IPv4 header (raw IPv4
 * socket), 2 = verify the ICMPv4 checksum. Any bytes must parse without
 * reading outside the datagram (the sanitizers watch) and the result must
 * obey the contract:
 *   - kind and reason in range; data inside the datagram, NULL iff empty;
 *   - a reply has the family's reply type and code 0, an error one of the
 *     family's error types and the quoted destination; have_src only for
 *     an IPv4 header;
 *   - with checksum verification on, nothing but "bad checksum" comes out
 *     of a message whose Internet checksum does not sum to zero;
 *   - parsing is deterministic, and a reply (no IP header, no checksum)
 *     stays the same reply, with the same id/seq, when its data is cut;
 *   - icmp_parse_quoted_echo() takes 8 header bytes and leaves the rest as
 *     data; icmp_error_text() of any type/code is a non-empty string.
 *
 * Seeds (python3): the byte arrays of tests/unit/test_icmp.c with a
 * selector byte in front, e.g. bytes([2|4]) + ipv4_echo_reply,
 * bytes([1]) + icmpv6_error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_wire(const struct icmp_wire *w, int family, bool ip_header, const uint8_t *buf,
                       size_t len)
{
    if (w->kind != ICMP_WIRE_IGNORED && w->kind != ICMP_WIRE_REPLY && w->kind != ICMP_WIRE_ERROR)
        abort();
    if ((unsigned)w->why >= ICMP_IGN__COUNT)
        abort();
    if ((w->data == NULL) != (w->data_len == 0))
        abort();
    if (w->data && (w->data < buf || w->data_len > len || w->data > buf + len - w->data_len))
        abort();
    if (w->have_src && !(family == 4 && ip_header))
        abort();
    if (w->kind == ICMP_WIRE_REPLY) {
        if (w->type != (family == 6 ? 129 : 0) || w->code != 0)
            abort();
    } else if (w->kind == ICMP_WIRE_ERROR) {
        bool ok = family == 4 ? (w->type == 3 || w->type == 11 || w->type == 12)
                              : (w->type >= 1 && w->type <= 4);
        if (!ok || !w->have_orig_dst)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    const uint8_t *buf = data + 1;
    size_t len = size - 1;
    int family = sel & 1 ? 6 : 4;
    bool ip_header = (sel & 2) != 0;
    bool verify = (sel & 4) != 0;

    struct icmp_wire w, w2;
    icmp_parse(family, ip_header, verify, buf, len, &w);
    check_wire(&w, family, ip_header, buf, len);
    icmp_parse(family, ip_header, verify, buf, len, &w2);
    if (memcmp(&w, &w2, sizeof w) != 0)
        abort();

    if (family == 4 && verify && w.kind != ICMP_WIRE_IGNORED) {
        const uint8_t *m = buf;
        size_t n = len;
        if (ip_header) {
            size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
            size_t tot = (size_t)buf[2] << 8 | buf[3];
            m = buf + ihl;
            n = tot - ihl; /* a parse that got this far checked ihl <= tot <= len */
        }
        if (icmp_checksum(m, n) != 0)
            abort();
    }

    if (w.kind == ICMP_WIRE_REPLY && !ip_header) {
        for (size_t cut = 8; cut < len; cut += 1 + cut / 4) {
            icmp_parse(family, false, false, buf, cut, &w2);
            check_wire(&w2, family, false, buf, cut);
            if (w2.kind != ICMP_WIRE_REPLY || w2.id != w.id || w2.seq != w.seq ||
                w2.data_len != cut - 8)
                abort();
        }
    }

    if (icmp_parse_quoted_echo(family, buf, len, &w2)) {
        check_wire(&w2, family, false, buf, len);
        if (len < 8 || w2.data_len != len - 8 || buf[0] != (family == 6 ? 128 : 8) || buf[1] != 0)
            abort();
    } else if ((unsigned)w2.why >= ICMP_IGN__COUNT) {
        abort();
    }

    if (len >= 6) {
        char t[96];
        uint32_t info = (uint32_t)buf[2] << 24 | (uint32_t)buf[3] << 16 |
                        (uint32_t)buf[4] << 8 | buf[5];
        icmp_error_text(family, buf[0], buf[1], info, t, sizeof t);
        size_t tl = strnlen(t, sizeof t);
        if (tl == 0 || tl == sizeof t)
            abort();
        char small[8];
        icmp_error_text(family, buf[0], buf[1], info, small, sizeof small);
        if (strnlen(small, sizeof small) == sizeof small)
            abort();
    }
    return 0;
}
