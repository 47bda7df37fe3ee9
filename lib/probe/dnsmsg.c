/*
 * probe/dnsmsg.c - build DNS queries, parse answers, walk the CNAME chain
 * (API and rules: dnsmsg.h; the resolver around it: docs/internals/resolver.md).
 *
 * Message layout (RFC 1035 4.1), all integers big-endian:
 *
 *   0      2      4        6        8        10       12
 *   | ID   | FLAGS| QDCOUNT| ANCOUNT| NSCOUNT| ARCOUNT| question... answer... authority...
 *   FLAGS: QR(15) OPCODE(14-11) AA(10) TC(9) RD(8) RA(7) Z AD CD RCODE(3-0)
 *   question: QNAME  QTYPE(2) QCLASS(2)
 *   record:   NAME   TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA(RDLENGTH)
 *   EDNS OPT (RFC 6891 6.1.2), as we write it in the additional section:
 *             00 (root)  0029 (OPT)  UDP size(2)  00 (ext rcode) 00 (version)
 *             0000 (DO=0, Z)  0000 (RDLENGTH)            = 11 bytes
 *
 * Names (RFC 1035 3.1, 4.1.4): labels of a length byte 1..63 and that many
 * bytes, ended by a zero byte or by a 2-byte pointer 11OOOOOO OOOOOOOO to
 * message offset O; 01/10 label types are reserved (malformed).
 *
 * Loop guard: a name is attacker-controlled and its pointers could form a
 * cycle. A pointer must point strictly before the pointer's own offset; at
 * most NAME_MAX_JUMPS pointers per name; and the labels read (wherever they
 * are) may total at most 255 octets with their length bytes and the final
 * zero. A cycle through labels grows that total and a cycle of bare
 * pointers must go strictly backwards, so every name is read in bounded
 * steps whatever the bytes.
 *
 * Every read of message bytes goes through util/cursor.h: sequential reads
 * on a cursor over the message, a sub-cursor over each RDATA (so a name in
 * RDATA that runs past RDLENGTH in place is caught), and a fresh cursor at
 * each pointer target over the whole message.
 *
 * Error text names the place ("answer record 3 at byte 45: ..."); the
 * place is formatted only when something is wrong (struct what), not for
 * every record read.
 *
 * Invariants: every text name written is NUL-terminated within
 * DNSMSG_NAME_MAX; n_an <= DNSMSG_MAX_RRS; dnsmsg_answer() keeps n_cnames <=
 * RESOLVE_MAX_CNAMES, n_addrs <= RESOLVE_MAX_ADDRS, n_ns <= RESOLVE_MAX_NS.
 */
#include "probe/dnsmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "classify/dns.h"
#include "util/cursor.h"
#include "util/strutil.h"

#define HDR_LEN 12
#define NAME_MAX_JUMPS 64
#define WIRE_NAME_MAX 255 /* octets incl. length bytes and the final zero */
#define TTL_MAX 0x7fffffffu

static enum dnsmsg_status fail(struct dnsmsg *m, enum dnsmsg_status st, const char *fmt,
                               ...) __attribute__((format(printf, 3, 4)));

static enum dnsmsg_status fail(struct dnsmsg *m, enum dnsmsg_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error, sizeof m->error, fmt, ap);
    va_end(ap);
    return st;
}

/* What a defect is reported on: "question name" or "answer record 3".
 * Formatted only when something is wrong (it was an snprintf() per record,
 * a fifth of the parse). */
struct what {
    const char *section;
    unsigned n;      /* 1-based record number when numbered */
    bool numbered;
};

/* m->error = what + the rest, exactly as one snprintf() of
 * "%s<rest>" with what as the first argument would write it. */
static enum dnsmsg_status fail_at(struct dnsmsg *m, enum dnsmsg_status st,
                                  const struct what *wh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static enum dnsmsg_status fail_at(struct dnsmsg *m, enum dnsmsg_status st,
                                  const struct what *wh, const char *fmt, ...)
{
    char what[48];
    if (wh->numbered)
        snprintf(what, sizeof what, "%s record %u", wh->section, wh->n);
    else
        util_strlcpy(what, wh->section, sizeof what);
    size_t o = util_strlcpy(m->error, what, sizeof m->error);
    if (o >= sizeof m->error)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->error + o, sizeof m->error - o, fmt, ap);
    va_end(ap);
    return st;
}

/* Append label bytes as text: allowed bytes lowercased, '*' kept, the rest
 * as \DDD. Returns false when the text would not fit. */
static bool text_label(char *out, size_t *olen, const uint8_t *lab, size_t n)
{
    size_t o = *olen;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = lab[i];
        uint8_t c = classify_name_char[b];
        if (c || b == '*') {
            if (o + 1 >= DNSMSG_NAME_MAX)
                return false;
            out[o++] = (char)(c ? c : b);
        } else {
            if (o + 4 >= DNSMSG_NAME_MAX)
                return false;
            out[o++] = '\\';
            out[o++] = (char)('0' + b / 100);
            out[o++] = (char)('0' + b / 10 % 10);
            out[o++] = (char)('0' + b % 10);
        }
    }
    *olen = o;
    return true;
}

/*
 * Read the name at c (in place, bounded by c->end) into out. Pointers jump
 * within whole. On return c is past the in-place part of the name. The
 * status names the defect in m->error with the offset of the name.
 */
static enum dnsmsg_status name_read(const struct cursor *whole, struct cursor *c, char *out,
                                    struct dnsmsg *m, const struct what *wh)
{
    struct cursor w = *c;
    size_t start = cursor_offset(c);
    bool jumped = false;
    unsigned jumps = 0;
    size_t wire = 1; /* the final zero */
    size_t olen = 0;
    out[0] = '\0';
    for (;;) {
        size_t here = cursor_offset(&w);
        uint8_t b = cursor_u8(&w);
        if (w.short_read)
            goto short_name;
        if ((b & 0xc0) == 0xc0) {
            uint8_t b2 = cursor_u8(&w);
            if (w.short_read)
                goto short_name;
            size_t target = (size_t)(b & 0x3f) << 8 | b2;
            if (target >= here)
                return fail_at(m, DNSMSG_MALFORMED, wh,
                            " at byte %zu: compression pointer to %zu does not point back",
                            start, target);
            if (++jumps > NAME_MAX_JUMPS)
                return fail_at(m, DNSMSG_MALFORMED, wh, " at byte %zu: more than %d pointers", start, NAME_MAX_JUMPS);
            if (!jumped) {
                c->p = w.p;
                jumped = true;
            }
            w = *whole;
            w.p = w.base;
            cursor_skip(&w, target);
            continue;
        }
        if (b & 0xc0)
            return fail_at(m, DNSMSG_MALFORMED, wh, " at byte %zu: reserved label type 0x%02x", start, b);
        if (b == 0) {
            if (!jumped)
                c->p = w.p;
            out[olen] = '\0';
            return DNSMSG_OK;
        }
        wire += 1u + b;
        if (wire > WIRE_NAME_MAX)
            return fail_at(m, DNSMSG_MALFORMED, wh, " at byte %zu: name longer than 255 octets", start);
        const uint8_t *lab = cursor_peek(&w, b);
        if (!lab)
            goto short_name;
        cursor_skip(&w, b);
        if (olen) {
            if (olen + 1 >= DNSMSG_NAME_MAX)
                goto too_long;
            out[olen++] = '.';
        }
        if (!text_label(out, &olen, lab, b))
            goto too_long;
    }
short_name:
    out[0] = '\0';
    /* In place past c's end: inside RDATA that is a record lying about its
     * own length (malformed); at the end of the message, a cut message. */
    if (!jumped && w.end != whole->end)
        return fail_at(m, DNSMSG_MALFORMED, wh, " at byte %zu runs past its record", start);
    return fail_at(m, DNSMSG_TRUNCATED, wh, " at byte %zu runs past the end of the message", start);
too_long:
    out[0] = '\0';
    return fail_at(m, DNSMSG_MALFORMED, wh, " at byte %zu: name too long as text (escaped bytes)",
                start);
}

static enum dnsmsg_status parse_head(const struct cursor *whole, struct cursor *c,
                                     struct dnsmsg *m)
{
    (void)whole;
    m->has_question = false;
    m->qname[0] = '\0';
    m->qtype = m->qclass = 0;
    m->n_an = m->an_over_cap = 0;
    m->soa_zone[0] = '\0';
    m->error[0] = '\0';
    m->id = 0;
    m->qr = m->aa = m->tc = m->rd = m->ra = false;
    m->opcode = m->rcode = 0;
    m->qdcount = m->ancount = m->nscount = m->arcount = 0;
    if (!cursor_has(c, HDR_LEN))
        return fail(m, DNSMSG_TRUNCATED, "%zu bytes, shorter than a DNS header",
                    cursor_left(c));
    m->id = cursor_be16(c);
    uint16_t fl = cursor_be16(c);
    m->qr = fl >> 15 & 1;
    m->opcode = (uint8_t)(fl >> 11 & 0xf);
    m->aa = fl >> 10 & 1;
    m->tc = fl >> 9 & 1;
    m->rd = fl >> 8 & 1;
    m->ra = fl >> 7 & 1;
    m->rcode = (uint8_t)(fl & 0xf);
    m->qdcount = cursor_be16(c);
    m->ancount = cursor_be16(c);
    m->nscount = cursor_be16(c);
    m->arcount = cursor_be16(c);
    return DNSMSG_OK;
}

static enum dnsmsg_status parse_question(const struct cursor *whole, struct cursor *c,
                                         struct dnsmsg *m, bool keep)
{
    char tmp[DNSMSG_NAME_MAX];
    static const struct what qwhat = {"question name", 0, false};
    enum dnsmsg_status st = name_read(whole, c, keep ? m->qname : tmp, m, &qwhat);
    if (st != DNSMSG_OK)
        return st;
    if (!cursor_has(c, 4))
        return fail(m, DNSMSG_TRUNCATED, "question at byte %zu runs past the end",
                    cursor_offset(c));
    uint16_t t = cursor_be16(c), k = cursor_be16(c);
    if (keep) {
        m->qtype = t;
        m->qclass = k;
        m->has_question = true;
    }
    return DNSMSG_OK;
}

enum dnsmsg_status dnsmsg_peek(const uint8_t *msg, size_t len, struct dnsmsg *m)
{
    struct cursor whole, c;
    cursor_init(&whole, msg, len);
    c = whole;
    enum dnsmsg_status st = parse_head(&whole, &c, m);
    if (st != DNSMSG_OK || m->qdcount == 0)
        return st;
    return parse_question(&whole, &c, m, true);
}

/* One record at c. rr receives it when non-NULL (else it is checked and
 * skipped); *type_out and *owner_out (may be NULL) for the caller. */
static enum dnsmsg_status parse_rr(const struct cursor *whole, struct cursor *c,
                                   struct dnsmsg *m, struct dnsmsg_rr *rr, const char *section,
                                   unsigned idx)
{
    struct dnsmsg_rr tmp;
    struct dnsmsg_rr *r = rr ? rr : &tmp;
    const struct what wh_rr = {section, idx + 1, true}, *wh = &wh_rr;
    size_t at = cursor_offset(c);
    enum dnsmsg_status st = name_read(whole, c, r->owner, m, wh);
    if (st != DNSMSG_OK)
        return st;
    if (!cursor_has(c, 10))
        return fail_at(m, DNSMSG_TRUNCATED, wh, " at byte %zu runs past the end", at);
    r->type = cursor_be16(c);
    r->rclass = cursor_be16(c);
    r->ttl = cursor_be32(c);
    if (r->ttl > TTL_MAX)
        r->ttl = 0;
    r->rdlen = cursor_be16(c);
    r->target[0] = '\0';
    memset(r->addr, 0, sizeof r->addr);
    if (!cursor_has(c, r->rdlen))
        return fail_at(m, DNSMSG_TRUNCATED, wh, " at byte %zu: its %u bytes of data run past the end",
                    at, r->rdlen);
    struct cursor rd = cursor_sub(c, r->rdlen);
    if (r->rclass != DNSMSG_CLASS_IN)
        return DNSMSG_OK;
    switch (r->type) {
    case RR_A:
    case RR_AAAA: {
        size_t want = r->type == RR_A ? 4 : 16;
        if (r->rdlen != want)
            return fail_at(m, DNSMSG_MALFORMED, wh, " at byte %zu: %s record with %u bytes of data",
                        at, r->type == RR_A ? "A" : "AAAA", r->rdlen);
        cursor_copy(&rd, r->addr, want);
        break;
    }
    case RR_CNAME:
    case RR_NS:
        st = name_read(whole, &rd, r->target, m, wh);
        if (st != DNSMSG_OK)
            return st;
        if (cursor_left(&rd) != 0)
            return fail_at(m, DNSMSG_MALFORMED, wh, " at byte %zu: %u bytes after the name in its data",
                        at, (unsigned)cursor_left(&rd));
        break;
    default:
        break;
    }
    return DNSMSG_OK;
}

enum dnsmsg_status dnsmsg_parse(const uint8_t *msg, size_t len, struct dnsmsg *m)
{
    struct cursor whole, c;
    cursor_init(&whole, msg, len);
    c = whole;
    enum dnsmsg_status st = parse_head(&whole, &c, m);
    if (st != DNSMSG_OK)
        return st;
    for (unsigned i = 0; i < m->qdcount; i++) {
        st = parse_question(&whole, &c, m, i == 0);
        if (st != DNSMSG_OK)
            return st;
    }
    for (unsigned i = 0; i < m->ancount; i++) {
        struct dnsmsg_rr *rr = m->n_an < DNSMSG_MAX_RRS ? &m->an[m->n_an] : NULL;
        st = parse_rr(&whole, &c, m, rr, "answer", i);
        if (st != DNSMSG_OK)
            return st;
        if (rr)
            m->n_an++;
        else
            m->an_over_cap++;
    }
    for (unsigned i = 0; i < m->nscount; i++) {
        struct dnsmsg_rr rr;
        st = parse_rr(&whole, &c, m, &rr, "authority", i);
        if (st != DNSMSG_OK)
            return st;
        if (rr.type == RR_SOA && rr.rclass == DNSMSG_CLASS_IN && !m->soa_zone[0])
            util_strlcpy(m->soa_zone, rr.owner[0] ? rr.owner : ".", sizeof m->soa_zone);
    }
    return DNSMSG_OK;
}

/* ---- building queries ---- */

size_t dnsmsg_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
                          uint16_t qtype, bool rd, uint16_t edns_size)
{
    size_t n = strlen(name);
    if (n > 253)
        return 0;
    size_t need = HDR_LEN + n + 2 + 4 + (edns_size ? 11 : 0);
    if (cap < need)
        return 0;
    store_be16(buf, id);
    store_be16(buf + 2, rd ? 0x0100 : 0);
    store_be16(buf + 4, 1);
    store_be16(buf + 6, 0);
    store_be16(buf + 8, 0);
    store_be16(buf + 10, edns_size ? 1 : 0);
    size_t o = HDR_LEN;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        if (l == 0 || l > 63)
            return 0;
        buf[o++] = (uint8_t)l;
        memcpy(buf + o, p, l);
        o += l;
        p += l;
        if (*p == '.') {
            p++;
            if (!*p)
                return 0; /* trailing dot: names are written without it */
        }
    }
    buf[o++] = 0;
    store_be16(buf + o, qtype);
    store_be16(buf + o + 2, DNSMSG_CLASS_IN);
    o += 4;
    if (edns_size) {
        buf[o++] = 0;
        store_be16(buf + o, DNSMSG_TYPE_OPT);
        store_be16(buf + o + 2, edns_size);
        store_be32(buf + o + 4, 0);
        store_be16(buf + o + 8, 0);
        o += 10;
    }
    return o;
}

/* ---- names of types and rcodes ---- */

const char *dnsmsg_type_name(uint16_t type, char *buf, size_t len)
{
    const char *s = NULL;
    switch (type) {
    case RR_A: s = "A"; break;
    case RR_NS: s = "NS"; break;
    case RR_CNAME: s = "CNAME"; break;
    case RR_SOA: s = "SOA"; break;
    case RR_AAAA: s = "AAAA"; break;
    case 12: s = "PTR"; break;
    case 15: s = "MX"; break;
    case 16: s = "TXT"; break;
    case 39: s = "DNAME"; break;
    case DNSMSG_TYPE_OPT: s = "OPT"; break;
    case DNSMSG_TYPE_RRSIG: s = "RRSIG"; break;
    default: break;
    }
    if (s)
        util_strlcpy(buf, s, len); /* per answer: no printf on the common path */
    else
        snprintf(buf, len, "TYPE%u", type);
    return buf;
}

const char *dnsmsg_rcode_name(uint8_t rcode, char *buf, size_t len)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP", "REFUSED"};
    if (rcode < sizeof names / sizeof names[0])
        snprintf(buf, len, "%s", names[rcode]);
    else
        snprintf(buf, len, "RCODE%u", rcode);
    return buf;
}

/* ---- the chain walk ---- */

static void set_detail(struct resolve_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_detail(struct resolve_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof out->detail, fmt, ap);
    va_end(ap);
}

static void bogus(struct resolve_result *out)
{
    out->status = RS_BOGUS;
    out->n_addrs = 0;
    out->n_ns = 0;
}

void dnsmsg_answer(const struct dnsmsg *m, enum dnsmsg_status st, const char *qname_in,
                   uint16_t qtype, struct resolve_result *out)
{
    char tn[16], tn2[16], rc[16];
    char qname[DNSMSG_NAME_MAX];
    size_t ql = util_strlcpy(qname, qname_in, sizeof qname);
    for (size_t i = 0; i < ql && i < sizeof qname; i++)
        if (qname[i] >= 'A' && qname[i] <= 'Z')
            qname[i] = (char)(qname[i] - 'A' + 'a');

    out->rcode = m->rcode;
    out->authoritative = m->aa;
    out->n_cnames = out->n_addrs = out->n_ns = out->ignored = 0;
    out->detail[0] = '\0';
    dnsmsg_type_name(qtype, tn, sizeof tn);

    if (st != DNSMSG_OK) {
        out->status = RS_MALFORMED;
        set_detail(out, "the answer could not be parsed: %s", m->error);
        return;
    }
    if (!m->qr || m->opcode != 0) {
        out->status = RS_MALFORMED;
        set_detail(out, "the reply is not a query response (QR=%d, opcode %u)", m->qr,
                   m->opcode);
        return;
    }
    if (m->qdcount != 1 || !m->has_question) {
        out->status = RS_BOGUS;
        set_detail(out, "the answer carries %u questions instead of ours (%s %s)", m->qdcount,
                   qname, tn);
        return;
    }
    if (strcmp(m->qname, qname) != 0 || m->qtype != qtype || m->qclass != DNSMSG_CLASS_IN) {
        out->status = RS_BOGUS;
        set_detail(out,
                   "the answer is for another question (%s %s) than ours (%s %s; names compared "
                   "ignoring case)",
                   m->qname[0] ? m->qname : ".", dnsmsg_type_name(m->qtype, tn2, sizeof tn2),
                   qname, tn);
        return;
    }

    /* Walk the chain. */
    const char *chain[RESOLVE_MAX_CNAMES + 1];
    unsigned nchain = 1;
    chain[0] = qname;
    bool link[DNSMSG_MAX_RRS];
    memset(link, 0, sizeof link);
    unsigned nlinks = 0;
    /* A CNAME question is answered by the CNAME itself: nothing to follow. */
    while (qtype != RR_CNAME) {
        const char *cur = chain[nchain - 1];
        int found = -1;
        for (unsigned i = 0; i < m->n_an; i++) {
            const struct dnsmsg_rr *r = &m->an[i];
            if (r->type != RR_CNAME || r->rclass != DNSMSG_CLASS_IN || strcmp(r->owner, cur) != 0)
                continue;
            if (found < 0) {
                found = (int)i;
            } else if (strcmp(r->target, m->an[found].target) != 0) {
                bogus(out);
                set_detail(out, "%s has two different CNAME records (%s and %s)", cur,
                           m->an[found].target, r->target);
                return;
            }
            link[i] = true;
            nlinks++;
        }
        if (found < 0)
            break;
        const char *t = m->an[found].target;
        for (unsigned j = 0; j < nchain; j++) {
            if (strcmp(chain[j], t) == 0) {
                char path[160];
                size_t o = 0;
                path[0] = '\0';
                for (unsigned k = j; k < nchain && o < sizeof path; k++)
                    o += (size_t)snprintf(path + o, sizeof path - o, "%s -> ", chain[k]);
                bogus(out);
                set_detail(out, "CNAME loop: %s%s", path, t);
                return;
            }
        }
        if (out->n_cnames == RESOLVE_MAX_CNAMES) {
            bogus(out);
            set_detail(out, "the CNAME chain from %s is longer than %d names", qname,
                       RESOLVE_MAX_CNAMES);
            return;
        }
        util_strlcpy(out->cname[out->n_cnames], t, RESOLVE_NAME_MAX);
        chain[nchain++] = out->cname[out->n_cnames];
        out->n_cnames++;
    }
    const char *end = chain[nchain - 1];

    unsigned nmatch = 0, off = 0, onchain_other = 0;
    const char *first_off = NULL;
    bool several_off = false;
    for (unsigned i = 0; i < m->n_an; i++) {
        const struct dnsmsg_rr *r = &m->an[i];
        if (link[i])
            continue;
        if (r->rclass != DNSMSG_CLASS_IN) {
            out->ignored++;
            continue;
        }
        int on = -1;
        for (unsigned j = 0; j < nchain; j++)
            if (strcmp(r->owner, chain[j]) == 0) {
                on = (int)j;
                break;
            }
        if (on < 0) {
            out->ignored++;
            off++;
            if (!first_off)
                first_off = r->owner;
            else if (strcmp(first_off, r->owner) != 0)
                several_off = true;
            continue;
        }
        if (r->type == DNSMSG_TYPE_RRSIG) {
            out->ignored++;
            onchain_other++;
            continue;
        }
        if (r->type == qtype && (unsigned)on == nchain - 1) {
            nmatch++;
            if ((qtype == RR_A || qtype == RR_AAAA) && out->n_addrs < RESOLVE_MAX_ADDRS) {
                struct rr_addr *a = &out->addrs[out->n_addrs++];
                memset(a, 0, sizeof *a);
                a->family = qtype == RR_A ? 4 : 6;
                memcpy(a->addr, r->addr, qtype == RR_A ? 4 : 16);
                a->ttl = r->ttl;
            } else if (qtype == RR_NS && out->n_ns < RESOLVE_MAX_NS) {
                util_strlcpy(out->ns[out->n_ns++], r->target, RESOLVE_NAME_MAX);
            }
            continue;
        }
        bogus(out);
        dnsmsg_type_name(r->type, tn2, sizeof tn2);
        if (r->type == qtype)
            set_detail(out, "%s is an alias (CNAME) but the answer also gives it %s records",
                       r->owner, tn2);
        else
            set_detail(out, "the answer gives %s a record of type %s in reply to a question for %s",
                       r->owner, tn2, tn);
        return;
    }
    out->ignored += m->an_over_cap;
    if (m->n_an + m->an_over_cap > 0 && nlinks == 0 && nmatch == 0 && onchain_other == 0) {
        unsigned total = m->n_an + m->an_over_cap;
        bogus(out);
        set_detail(out, "the answer has %u record%s for other names (%s%s) and none for %s",
                   total, total == 1 ? "" : "s", first_off ? first_off : "?",
                   several_off ? " and others" : "", qname);
        return;
    }

    switch (m->rcode) {
    case DNSMSG_RCODE_NOERROR:
        if (nmatch) {
            out->status = RS_OK;
        } else {
            out->status = RS_NODATA;
            if (out->n_cnames)
                set_detail(out, "%s is an alias of %s, which has no %s record", qname, end, tn);
            else
                set_detail(out, "%s has no %s record", qname, tn);
        }
        break;
    case DNSMSG_RCODE_NXDOMAIN:
        if (nmatch) {
            bogus(out);
            set_detail(out, "the answer says %s does not exist but gives %s records for it",
                       end, tn);
        } else {
            out->status = RS_NXDOMAIN;
            if (out->n_cnames)
                set_detail(out, "%s is an alias of %s, which does not exist (NXDOMAIN)", qname,
                           end);
            else
                set_detail(out, "%s does not exist (NXDOMAIN)", qname);
        }
        break;
    case DNSMSG_RCODE_SERVFAIL:
        out->status = RS_SERVFAIL;
        set_detail(out, "the server could not answer for %s %s (SERVFAIL)", qname, tn);
        break;
    case DNSMSG_RCODE_REFUSED:
        out->status = RS_REFUSED;
        set_detail(out, "the server refused to answer for %s %s (REFUSED)", qname, tn);
        break;
    default:
        out->status = RS_SERVFAIL;
        set_detail(out, "the server answered %s for %s %s",
                   dnsmsg_rcode_name(m->rcode, rc, sizeof rc), qname, tn);
        break;
    }
    if (out->status != RS_OK) {
        out->n_addrs = 0;
        out->n_ns = 0;
    }
}

/* See dnsmsg.h. Walks every record without keeping any: names are
 * skipped label by label up to the root or a compression pointer (never
 * followed), so the walk is linear in the message. */
int dnsmsg_has_opt(const uint8_t *b, size_t n)
{
    struct cursor c;
    cursor_init(&c, b, n);
    cursor_skip(&c, 4);
    unsigned qd = cursor_be16(&c), an = cursor_be16(&c), ns = cursor_be16(&c),
             ar = cursor_be16(&c);
    for (unsigned i = 0; i < qd + an + ns + ar && !c.short_read; i++) {
        /* a name: labels up to the root or a compression pointer */
        for (;;) {
            uint8_t l = cursor_u8(&c);
            if (c.short_read || l == 0)
                break;
            if ((l & 0xc0) == 0xc0) {
                cursor_skip(&c, 1);
                break;
            }
            if (l & 0xc0)
                return -1;
            cursor_skip(&c, l);
        }
        uint16_t type = cursor_be16(&c);
        cursor_skip(&c, 2); /* class */
        if (i < qd)
            continue;
        cursor_skip(&c, 4); /* TTL */
        cursor_skip(&c, cursor_be16(&c));
        if (!c.short_read && i >= qd + an + ns && type == 41)
            return 1;
    }
    return c.short_read ? -1 : 0;
}
