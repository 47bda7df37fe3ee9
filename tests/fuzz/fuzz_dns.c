/*
 * fuzz_dns.c - libFuzzer target for dns_parse() and dns_chain_origin()
 * (lib/classify/dns.c). Any bytes must parse to a status without crashing,
 * reading out of bounds or looping, and what is reported must obey the
 * contract:
 *   - counts within the caps, families 4 or 6;
 *   - every name (qname, owners, targets) "" or a valid name: 1..253
 *     characters of [a-z0-9-_.], no empty label, no label over 63;
 *   - dns_chain_origin() of every owner is the owner itself or m.qname;
 *   - the input cut in half parses to a prefix of the same answers
 *     (records complete before the cut do not depend on later bytes);
 *   - the same bytes behind a DNS-over-TCP length prefix give the same
 *     result.
 *
 * Seeds: /tmp/h2-seeds/fuzz_dns/ was written from the messages of
 * tests/unit/test_dns.c. To make seeds again, any DNS message will do,
 * e.g. (python3):
 *   import struct
 *   q = b"\x03www\x07example\x03com\x00" + struct.pack("!HH", 1, 1)
 *   a = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([93, 184, 216, 34])
 *   open("resp", "wb").write(struct.pack("!6H", 0x1a2b, 0x8180, 1, 1, 0, 0) + q + a)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/dns.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s, int may_be_empty)
{
    size_t n = strnlen(s, CLASSIFY_NAME_MAX);
    if (n == CLASSIFY_NAME_MAX || n > 253)
        abort();
    if (n == 0) {
        if (!may_be_empty)
            abort();
        return;
    }
    fuzz_check_name(s, n);
}

static void check_msg(const struct dns_message *m)
{
    if (m->n_addrs > DNS_MAX_ADDRS || m->n_cnames > DNS_MAX_CNAMES)
        abort();
    check_name(m->qname, 1);
    for (unsigned i = 0; i < m->n_addrs; i++) {
        const struct dns_rr_addr *a = &m->addrs[i];
        check_name(a->owner, 0);
        if (a->family != 4 && a->family != 6)
            abort();
        if (a->ttl > 0x7fffffffu)
            abort();
        const char *o = dns_chain_origin(m, a->owner);
        if (o != a->owner && o != m->qname)
            abort();
    }
    for (unsigned i = 0; i < m->n_cnames; i++) {
        check_name(m->cnames[i].owner, 0);
        check_name(m->cnames[i].target, 0);
        const char *o = dns_chain_origin(m, m->cnames[i].target);
        if (o != m->cnames[i].target && o != m->qname)
            abort();
    }
}

static int same_answers(const struct dns_message *a, const struct dns_message *b, unsigned na,
                        unsigned nc)
{
    for (unsigned i = 0; i < na; i++)
        if (strcmp(a->addrs[i].owner, b->addrs[i].owner) != 0 ||
            a->addrs[i].family != b->addrs[i].family ||
            memcmp(a->addrs[i].addr, b->addrs[i].addr, 16) != 0 || a->addrs[i].ttl != b->addrs[i].ttl)
            return 0;
    for (unsigned i = 0; i < nc; i++)
        if (strcmp(a->cnames[i].owner, b->cnames[i].owner) != 0 ||
            strcmp(a->cnames[i].target, b->cnames[i].target) != 0)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_message full, half, tcp;
    static uint8_t framed[65536 + 2];

    enum dns_status st = dns_parse(data, size, &full);
    if (st != DNS_OK && st != DNS_TRUNCATED && st != DNS_MALFORMED)
        abort();
    check_msg(&full);

    dns_parse(data, size / 2, &half);
    check_msg(&half);
    if (half.n_addrs > full.n_addrs || half.n_cnames > full.n_cnames ||
        !same_answers(&half, &full, half.n_addrs, half.n_cnames))
        abort();

    if (size <= 65535) {
        framed[0] = (uint8_t)(size >> 8);
        framed[1] = (uint8_t)size;
        memcpy(framed + 2, data, size);
        size_t n = dns_tcp_frame_len(framed, size + 2);
        if (n != size)
            abort();
        if (dns_parse(framed + 2, n, &tcp) != st || tcp.n_addrs != full.n_addrs ||
            tcp.n_cnames != full.n_cnames || tcp.skipped != full.skipped ||
            strcmp(tcp.qname, full.qname) != 0 ||
            !same_answers(&tcp, &full, full.n_addrs, full.n_cnames))
            abort();
    }
    return 0;
}
