/*
 * classify/dns.c - DNS messages seen in traffic -> question name and the
 * A / AAAA / CNAME answers, so that flows to an address can be named by the
 * name that was asked (API and contract: dns.h; more: docs/internals/names.md).
 *
 * Message layout (RFC 1035 4.1), all integers big-endian:
 *
 *   0      2      4        6        8        10       12
 *   | ID   | FLAGS| QDCOUNT| ANCOUNT| NSCOUNT| ARCOUNT| question... answer...
 *   FLAGS: QR(15) OPCODE(14-11) AA(10) TC(9) RD(8) RA(7) Z AD CD RCODE(3-0)
 *   question: QNAME  QTYPE(2) QCLASS(2)
 *   answer:   NAME   TYPE(2) CLASS(2) TTL(4) RDLENGTH(2) RDATA(RDLENGTH)
 *
 * Names (RFC 1035 3.1, 4.1.4) are a run of labels, each a length byte and
 * that many bytes, ended by a zero byte or by a 2-byte compression pointer:
 *
 *   00LLLLLL  label of L (1..63) bytes follows;  00000000 end of name
 *   11OOOOOO OOOOOOOO  pointer: the rest of the name is at message offset O
 *   01xxxxxx / 10xxxxxx  reserved (RFC 6891 retired extended labels): malformed
 *
 * Loop guard (a name is attacker-controlled and pointers could form a
 * cycle): a pointer must point strictly before its own offset (real
 * compressors only refer to names already written, but not necessarily
 * before the *previous* jump target, so that stricter rule is not used);
 * at most DNS_MAX_JUMPS pointers per name; and the name may total at most
 * 255 octets in wire form (length bytes + labels + the final zero), i.e.
 * 253 characters as text. Pointers alone never add length, hence the jump
 * cap; labels alone are bounded by the length cap, so every name is read in
 * O(255 + 2 * DNS_MAX_JUMPS) steps whatever the bytes.
 *
 * Truncated versus malformed: running off the end of the message is
 * TRUNCATED (a capture snapped short or a TCP message split); bad structure
 * is MALFORMED. A CNAME target that runs past its own RDLENGTH (while still
 * in place, before any pointer) is MALFORMED, since RDLENGTH says where it
 * ends. Records are stored only once their RDATA is complete, so a cut
 * message keeps every earlier complete answer.
 *
 * Names are decoded into text in the same pass that checks the structure,
 * straight into a 256-byte buffer: the 255-octet cap guarantees at most 253
 * characters + NUL. A name with a byte outside the host-name alphabet, or
 * the root name, parses fine structurally but is "no name" (valid = false):
 * its record is counted in `skipped` and parsing goes on. An answer whose
 * owner is the same compression pointer as the previous answer's reuses
 * that text (the walk from a pointer depends only on its two bytes).
 *
 * Reads: the fixed header goes through util/cursor.h; names and records,
 * which jump around the message, use explicit index checks against len
 * before every access.
 */
#include "classify/dns.h"

#include <stdbool.h>
#include <string.h>

#include "util/cursor.h"

#define DNS_HDR_LEN 12
#define DNS_MAX_JUMPS 64
#define DNS_WIRE_NAME_MAX 255 /* octets, including the final zero byte */
#define DNS_OPCODE_QUERY 0
#define DNS_CLASS_IN 1

/* Lowercase form of the bytes allowed inside a label; 0 = not allowed. */
const uint8_t classify_name_char[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '-', 0, 0,
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, '_',
    0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* s[0..n) (already lowercased, n >= 1) is a numeric IPv4 part: decimal
 * digits, or "0x" + hex digits (inet_aton and the URL standard accept both). */
static bool label_is_number(const char *s, size_t n)
{
    size_t i = 0;
    if (n >= 2 && s[0] == '0' && s[1] == 'x') {
        for (i = 2; i < n; i++)
            if (!is_hex((uint8_t)s[i]))
                return false;
        return true;
    }
    for (; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

size_t classify_name_copy(const uint8_t *s, size_t n, char *out, size_t cap,
                          unsigned flags)
{
    if (cap)
        out[0] = '\0';
    if (n && s[n - 1] == '.')
        n--;
    if (n == 0 || n > CLASSIFY_NAME_MAX - 3 || n + 1 > cap)
        return 0;
    size_t label = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = s[i];
        if (b == '.') {
            if (label == 0)
                goto bad;
            label = 0;
            last = i + 1;
            out[i] = '.';
            continue;
        }
        uint8_t c = classify_name_char[b];
        if (c == 0 || ++label > 63)
            goto bad;
        out[i] = (char)c;
    }
    if (label == 0)
        goto bad;
    if ((flags & CLASSIFY_NAME_NO_IPV4) && label_is_number(out + last, n - last))
        goto bad;
    out[n] = '\0';
    return n;
bad:
    out[0] = '\0';
    return 0;
}

/*
 * Read the name at msg[pos]. The in-place part (before the first pointer)
 * must end by `limit` (<= len); running past it is MALFORMED when
 * hard_limit (RDATA bounded by RDLENGTH), else TRUNCATED. After a pointer,
 * labels may lie anywhere before len. On success *next is the offset after
 * the in-place part; when out is not NULL the text form is written there
 * (CLASSIFY_NAME_MAX bytes) and *valid says whether it is a usable name
 * (out is "" when not) and *out_len its length.
 */
static enum dns_status name_read(const uint8_t *msg, size_t len, size_t pos,
                                 size_t limit, bool hard_limit, size_t *next,
                                 char *out, bool *valid, size_t *out_len)
{
    size_t p = pos, bound = limit, wire = 0, o = 0;
    unsigned jumps = 0;
    bool ok = true, jumped = false;
    enum dns_status overrun = hard_limit ? DNS_MALFORMED : DNS_TRUNCATED;

    if (out)
        out[0] = '\0';
    for (;;) {
        if (p >= bound)
            return overrun;
        uint8_t b = msg[p];
        if (b >= 0xC0) {
            if (bound - p < 2)
                return overrun;
            size_t target = (size_t)(b & 0x3F) << 8 | msg[p + 1];
            if (target >= p || ++jumps > DNS_MAX_JUMPS)
                return DNS_MALFORMED;
            if (!jumped) {
                *next = p + 2;
                jumped = true;
                bound = len;
                overrun = DNS_TRUNCATED;
            }
            p = target;
            continue;
        }
        if (b & 0xC0)
            return DNS_MALFORMED;
        if (b == 0) {
            if (!jumped)
                *next = p + 1;
            break;
        }
        wire += (size_t)b + 1;
        if (wire > DNS_WIRE_NAME_MAX - 1)
            return DNS_MALFORMED;
        if (bound - p - 1 < b)
            return overrun;
        if (out) {
            if (o)
                out[o++] = '.';
            const uint8_t *l = msg + p + 1;
            for (unsigned i = 0; i < b; i++) {
                uint8_t c = classify_name_char[l[i]];
                ok = ok && c != 0;
                out[o++] = (char)c;
            }
        }
        p += (size_t)b + 1;
    }
    ok = ok && wire > 0;
    if (out) {
        o = ok ? o : 0;
        out[o] = '\0';
        *out_len = o;
    }
    *valid = ok;
    return DNS_OK;
}

size_t dns_tcp_frame_len(const uint8_t *p, size_t len)
{
    return len < 2 ? 0 : load_be16(p);
}

enum dns_status dns_parse(const uint8_t *msg, size_t len, struct dns_message *out)
{
    out->id = 0;
    out->is_response = out->opcode = out->rcode = out->truncated_flag = 0;
    out->qdcount = out->ancount = 0;
    out->qname[0] = '\0';
    out->qtype = out->qclass = 0;
    out->n_addrs = out->n_cnames = out->skipped = 0;
    if (len < DNS_HDR_LEN)
        return DNS_TRUNCATED;

    struct cursor c;
    cursor_init(&c, msg, DNS_HDR_LEN);
    out->id = cursor_be16(&c);
    uint16_t flags = cursor_be16(&c);
    out->is_response = (uint8_t)(flags >> 15);
    out->opcode = (uint8_t)((flags >> 11) & 0xF);
    out->truncated_flag = (uint8_t)((flags >> 9) & 1);
    out->rcode = (uint8_t)(flags & 0xF);
    out->qdcount = cursor_be16(&c);
    out->ancount = cursor_be16(&c);

    size_t pos = DNS_HDR_LEN;
    char name[CLASSIFY_NAME_MAX];
    size_t nlen = 0;
    bool valid;
    enum dns_status rc;
    for (unsigned q = 0; q < out->qdcount; q++) {
        rc = name_read(msg, len, pos, len, false, &pos, q == 0 ? name : NULL, &valid,
                       &nlen);
        if (rc != DNS_OK)
            return rc;
        if (len - pos < 4)
            return DNS_TRUNCATED;
        if (q == 0) {
            out->qtype = load_be16(msg + pos);
            out->qclass = load_be16(msg + pos + 2);
            if (valid)
                memcpy(out->qname, name, nlen + 1);
        }
        pos += 4;
    }
    /* Other opcodes (NOTIFY, UPDATE...) give the sections other meanings. */
    if (out->opcode != DNS_OPCODE_QUERY)
        return DNS_OK;

    /* Owner names are nearly always the same compression pointer (to the
     * question, or to the last CNAME target). A pointer's text depends only
     * on its two bytes (target < its offset holds at any later offset too),
     * so when an owner is the same pointer as the previous owner, read
     * successfully into name[], that text is reused instead of decoded
     * again. */
    size_t prev_ptr = 0; /* offset of the previous owner when a pointer, else 0 */
    for (unsigned a = 0; a < out->ancount; a++) {
        if (prev_ptr && len - pos >= 2 && msg[pos] == msg[prev_ptr] &&
            msg[pos + 1] == msg[prev_ptr + 1]) {
            pos += 2;
        } else {
            size_t at = pos;
            rc = name_read(msg, len, pos, len, false, &pos, name, &valid, &nlen);
            if (rc != DNS_OK)
                return rc;
            prev_ptr = msg[at] >= 0xC0 ? at : 0;
        }
        if (len - pos < 10)
            return DNS_TRUNCATED;
        const uint8_t *f = msg + pos;
        uint16_t type = load_be16(f);
        bool in = (load_be16(f + 2) & 0x7FFF) == DNS_CLASS_IN;
        uint32_t ttl = load_be32(f + 4);
        size_t rdlen = load_be16(f + 8);
        pos += 10;
        if (rdlen > len - pos)
            return DNS_TRUNCATED;
        size_t rdata = pos;
        pos += rdlen;
        if (ttl > 0x7FFFFFFFu) /* RFC 2181 8: a TTL with the top bit set is 0 */
            ttl = 0;

        if (in && (type == DNS_TYPE_A || type == DNS_TYPE_AAAA)) {
            size_t alen = type == DNS_TYPE_A ? 4 : 16;
            if (!valid || rdlen != alen || out->n_addrs >= DNS_MAX_ADDRS) {
                out->skipped++;
                continue;
            }
            struct dns_rr_addr *r = &out->addrs[out->n_addrs++];
            memcpy(r->owner, name, nlen + 1);
            r->family = alen == 4 ? 4 : 6;
            memset(r->addr, 0, sizeof(r->addr));
            memcpy(r->addr, msg + rdata, alen);
            r->ttl = ttl;
        } else if (in && type == DNS_TYPE_CNAME) {
            char target[CLASSIFY_NAME_MAX];
            bool tvalid;
            size_t tnext, tlen = 0;
            rc = name_read(msg, len, rdata, pos, true, &tnext, target, &tvalid, &tlen);
            if (rc != DNS_OK)
                return rc;
            if (!valid || !tvalid || out->n_cnames >= DNS_MAX_CNAMES) {
                out->skipped++;
                continue;
            }
            struct dns_rr_cname *r = &out->cnames[out->n_cnames++];
            memcpy(r->owner, name, nlen + 1);
            memcpy(r->target, target, tlen + 1);
            r->ttl = ttl;
        } else {
            out->skipped++;
        }
    }
    return DNS_OK;
}

const char *dns_chain_origin(const struct dns_message *m, const char *owner)
{
    if (m->qname[0] == '\0')
        return owner;
    unsigned n = m->n_cnames < DNS_MAX_CNAMES ? m->n_cnames : DNS_MAX_CNAMES;
    const char *cur = owner;
    /* Each step moves one record up the chain; n + 1 steps visit every
     * record once, so a CNAME loop in the answers cannot keep us here. */
    for (unsigned step = 0; step <= n; step++) {
        if (strcmp(cur, m->qname) == 0)
            return m->qname;
        const char *up = NULL;
        for (unsigned i = 0; i < n; i++) {
            if (strcmp(m->cnames[i].target, cur) == 0) {
                up = m->cnames[i].owner;
                break;
            }
        }
        if (!up)
            break;
        cur = up;
    }
    return owner;
}
