/*
 * probe/addrclass.c - is an AAAA record usable from the Internet? Classes of
 * IPv6 addresses for W1/W2 (declared in probe/resolver.h).
 *
 * Source: the IANA IPv6 Special-Purpose Address Registry (RFC 6890 and the
 * RFCs it lists) and the IPv6 address space registry. What counts here is
 * "would a client on the Internet reach a site at this address", so the
 * classes are deliberately coarse:
 *
 *   ::/128, ::1/128                 AC_LOOPBACK   (unspecified, loopback; RFC 4291)
 *   ::ffff:0:0/96, ::/96 (the rest) AC_MAPPED     (IPv4-mapped RFC 4291; IPv4-
 *                                                  compatible, deprecated)
 *   fe80::/10                       AC_LINKLOCAL
 *   fc00::/7                        AC_ULA        (RFC 4193)
 *   ff00::/8                        AC_MULTICAST
 *   2001:db8::/32, 3fff::/20        AC_DOC        (RFC 3849, RFC 9637)
 *   2001::/23                       AC_SPECIAL    (IETF protocol assignments:
 *                                                  Teredo 2001::/32, benchmarking
 *                                                  2001:2::/48, ORCHID, AMT...; a
 *                                                  site's AAAA there is not a
 *                                                  normal deployment)
 *   other 2000::/3                  AC_GLOBAL
 *   everything else                 AC_SPECIAL    (outside global unicast: 64:ff9b::/96
 *                                                  and 64:ff9b:1::/48 NAT64, 100::/64
 *                                                  discard, fec0::/10 old site-local,
 *                                                  5f00::/16 SRv6 SIDs, unassigned)
 *
 * Deliberately global: 2002::/16 (6to4 addresses are reachable public
 * addresses, if badly), 3ffe::/16 (the old 6bone block, returned to IANA in
 * 2006 and now plain 2000::/3 space; the test lab numbers its servers there
 * so that they look global), 2620:4f:8000::/48 (AS112). The registry marks
 * a few blocks inside 2001::/23 as globally reachable (AMT 2001:3::/32,
 * AS112-v6 2001:4:112::/48, ORCHIDv2): they are anycast infrastructure, not
 * where a web site lives, so the whole /23 stays AC_SPECIAL as the header
 * says.
 *
 * Checks run from the most specific prefix to the least; the order in the
 * table above is the order of the code.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "probe/resolver.h"
#include "util/strutil.h"

static bool prefix_is(const uint8_t a[16], const uint8_t *p, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, p, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (p[full] & mask);
}

enum addr_class addrclass_v6(const uint8_t a[16])
{
    static const uint8_t zero[16] = {0};
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    /* Prefixes padded to 16 bytes: prefix_is() may read one byte past
     * the whole ones. */
    static const uint8_t doc1[16] = {0x20, 0x01, 0x0d, 0xb8};
    static const uint8_t doc2[16] = {0x3f, 0xff};
    static const uint8_t ietf[16] = {0x20, 0x01};

    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
        return AC_LOOPBACK;
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, zero, 12) == 0)
        return AC_MAPPED;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return AC_LINKLOCAL;
    if ((a[0] & 0xfe) == 0xfc)
        return AC_ULA;
    if (a[0] == 0xff)
        return AC_MULTICAST;
    if (prefix_is(a, doc1, 32) || prefix_is(a, doc2, 20))
        return AC_DOC;
    if (prefix_is(a, ietf, 23))
        return AC_SPECIAL;
    if ((a[0] & 0xe0) == 0x20)
        return AC_GLOBAL;
    return AC_SPECIAL;
}

const char *addrclass_name(enum addr_class c)
{
    switch (c) {
    case AC_GLOBAL: return "global";
    case AC_MAPPED: return "ipv4-mapped";
    case AC_LINKLOCAL: return "link-local";
    case AC_ULA: return "ula";
    case AC_DOC: return "documentation";
    case AC_LOOPBACK: return "loopback";
    case AC_MULTICAST: return "multicast";
    case AC_SPECIAL: return "special";
    case AC__COUNT: break;
    }
    return "?";
}

/* Text of addresses as glibc's inet_ntop() writes them (the results and
 * tests compare these strings), without its sprintf() per group, which
 * made address text a tenth of a DNS-only run:
 *   IPv4  dotted decimal;
 *   IPv6  lowercase hex groups without leading zeros; the first longest run
 *         of two or more zero groups becomes "::"; when that run starts the
 *         address and is 6 groups long, or 5 followed by ffff (IPv4-
 *         compatible and -mapped), the last 32 bits are dotted decimal.
 * test_addrclass compares with inet_ntop() itself. */
static char *put_dec8(char *p, unsigned v)
{
    if (v >= 100)
        *p++ = (char)('0' + v / 100);
    if (v >= 10)
        *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    return p;
}

static char *put_v4(char *p, const uint8_t *a)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = put_dec8(p, a[i]);
    }
    return p;
}

static char *put_hex16(char *p, unsigned w)
{
    static const char hex[] = "0123456789abcdef";
    bool lead = true;
    for (int sh = 12; sh >= 0; sh -= 4) {
        unsigned d = (w >> sh) & 15;
        if (lead && d == 0 && sh)
            continue;
        lead = false;
        *p++ = hex[d];
    }
    return p;
}

static char *put_v6(char *p, const uint8_t *a)
{
    unsigned w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; i++) {
        if (w[i] == 0) {
            if (cur < 0)
                cur = i, cur_len = 1;
            else
                cur_len++;
        } else if (cur >= 0) {
            if (best < 0 || cur_len > best_len)
                best = cur, best_len = cur_len;
            cur = -1;
        }
    }
    if (cur >= 0 && (best < 0 || cur_len > best_len))
        best = cur, best_len = cur_len;
    if (best >= 0 && best_len < 2)
        best = -1;
    for (int i = 0; i < 8; i++) {
        if (best >= 0 && i >= best && i < best + best_len) {
            if (i == best)
                *p++ = ':';
            continue;
        }
        if (i)
            *p++ = ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
            return put_v4(p, a + 12);
        p = put_hex16(p, w[i]);
    }
    if (best >= 0 && best + best_len == 8)
        *p++ = ':';
    return p;
}

char *addr_text(int family, const uint8_t *addr, char *buf, size_t len)
{
    char tmp[64];
    char *end = family == 4 ? put_v4(tmp, addr) : put_v6(tmp, addr);
    size_t n = (size_t)(end - tmp);
    if (n + 1 > len) {
        util_strlcpy(buf, "?", len);
        return buf;
    }
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return buf;
}
