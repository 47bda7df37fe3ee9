/*
 * fuzz_dnsmsg.c - libFuzzer target for the prober's DNS parser and chain
 * walk (lib/probe/dnsmsg.c). Any bytes must parse to a status without
 * crashing, reading out of bounds or looping, and what is reported must obey
 * the contract:
 *   - n_an <= DNSMSG_MAX_RRS; every name NUL-terminated inside its buffer,
 *     lowercase (no 'A'..'Z'), and only [a-z0-9-_*.\] plus \DDD escapes;
 *   - A/AAAA records of class IN carry their address (rdlen 4/16);
 *   - a prefix of the input keeps a prefix of the answers (records complete
 *     before the cut do not depend on later bytes);
 *   - dnsmsg_peek() agrees with dnsmsg_parse() on the header and question;
 *   - dnsmsg_has_opt() answers -1, 0 or 1 (1 only with room for a header
 *     and an OPT record);
 *   - the chain walk, asked for the message's own question (and for a fixed
 *     other name), gives a status in range, counts within the caps, cnames
 *     that are answer CNAME targets, "" detail exactly for RS_OK, and no
 *     addresses unless RS_OK.
 *
 * Seeds: any DNS response, e.g. the byte arrays of
 * tests/unit/test_dnsmsg.c, or (python3):
 *   import struct
 *   q = b"\x03www\x01x\x03lab\x00" + struct.pack("!HH", 28, 1)
 *   a = b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 60, 16) + bytes(16)
 *   open("resp", "wb").write(struct.pack("!6H", 1, 0x8580, 1, 1, 0, 0) + q + a)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            abort();
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '*' || c == '.' || c == '\\'))
            abort();
        if (c == '\\') { /* \DDD */
            if (i + 3 >= n)
                abort();
            for (int k = 1; k <= 3; k++)
                if (s[i + k] < '0' || s[i + k] > '9')
                    abort();
            i += 3;
        }
    }
}

static void check_msg(const struct dnsmsg *m)
{
    if (m->n_an > DNSMSG_MAX_RRS)
        abort();
    check_text(m->qname, sizeof m->qname);
    check_text(m->soa_zone, sizeof m->soa_zone);
    if (strnlen(m->error, sizeof m->error) == sizeof m->error)
        abort();
    for (unsigned i = 0; i < m->n_an; i++) {
        const struct dnsmsg_rr *r = &m->an[i];
        check_text(r->owner, sizeof r->owner);
        check_text(r->target, sizeof r->target);
        if (r->rclass == DNSMSG_CLASS_IN && r->type == RR_A && r->rdlen != 4)
            abort();
        if (r->rclass == DNSMSG_CLASS_IN && r->type == RR_AAAA && r->rdlen != 16)
            abort();
        if (r->ttl > 0x7fffffffu)
            abort();
    }
}

static bool same_rr(const struct dnsmsg_rr *a, const struct dnsmsg_rr *b)
{
    return strcmp(a->owner, b->owner) == 0 && a->type == b->type && a->rclass == b->rclass &&
           a->ttl == b->ttl && a->rdlen == b->rdlen && memcmp(a->addr, b->addr, 16) == 0 &&
           strcmp(a->target, b->target) == 0;
}

static void check_result(const struct dnsmsg *m, const struct resolve_result *r)
{
    if ((unsigned)r->status >= RS__COUNT)
        abort();
    if (r->n_cnames > RESOLVE_MAX_CNAMES || r->n_addrs > RESOLVE_MAX_ADDRS ||
        r->n_ns > RESOLVE_MAX_NS)
        abort();
    size_t dl = strnlen(r->detail, sizeof r->detail);
    if (dl == sizeof r->detail || (dl == 0) != (r->status == RS_OK))
        abort();
    if (r->status != RS_OK && (r->n_addrs || r->n_ns))
        abort();
    for (unsigned i = 0; i < r->n_cnames; i++) {
        bool found = false;
        for (unsigned k = 0; k < m->n_an && !found; k++)
            found = m->an[k].type == RR_CNAME && strcmp(m->an[k].target, r->cname[i]) == 0;
        if (!found)
            abort();
    }
    for (unsigned i = 0; i < r->n_addrs; i++)
        if (r->addrs[i].family != 4 && r->addrs[i].family != 6)
            abort();
    if (r->ignored > m->n_an + m->an_over_cap)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dnsmsg full, half, peek;
    static struct resolve_result res;

    enum dnsmsg_status st = dnsmsg_parse(data, size, &full);
    if (st != DNSMSG_OK && st != DNSMSG_TRUNCATED && st != DNSMSG_MALFORMED)
        abort();
    if ((st == DNSMSG_OK) != (full.error[0] == '\0'))
        abort();
    check_msg(&full);

    /* OPT or not: a verdict in range; 1 only with room for a header and
     * an OPT record (the walk never reads past the end). */
    int opt = dnsmsg_has_opt(data, size);
    if (opt < -1 || opt > 1)
        abort();
    if (opt == 1 && size < 12 + 11)
        abort(); /* a header and one OPT record at the least */

    enum dnsmsg_status pst = dnsmsg_peek(data, size, &peek);
    if (peek.id != full.id || peek.qdcount != full.qdcount || peek.rcode != full.rcode ||
        peek.has_question != full.has_question || strcmp(peek.qname, full.qname) != 0 ||
        peek.qtype != full.qtype || peek.n_an != 0)
        abort();
    if (st == DNSMSG_OK && pst != DNSMSG_OK)
        abort();

    dnsmsg_parse(data, size / 2, &half);
    check_msg(&half);
    if (half.n_an > full.n_an)
        abort();
    for (unsigned i = 0; i < half.n_an; i++)
        if (!same_rr(&half.an[i], &full.an[i]))
            abort();

    /* The walk for the message's own question (when it is a plain name,
     * as the resolver's always are), and for an unrelated name. */
    const char *names[2] = {full.qname, "www.x.lab"};
    uint16_t types[2] = {full.qtype, size ? (uint16_t)(data[0] % 3 == 0   ? RR_A
                                                       : data[0] % 3 == 1 ? RR_AAAA
                                                                          : RR_NS)
                                          : RR_A};
    for (int k = 0; k < 2; k++) {
        if (k == 0 && (!full.has_question || strchr(full.qname, '\\')))
            continue;
        memset(&res, 0x5a, sizeof res);
        dnsmsg_answer(&full, st, names[k], types[k], &res);
        check_result(&full, &res);
    }
    return 0;
}
