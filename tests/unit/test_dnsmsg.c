/*
 * test_dnsmsg.c - the prober's DNS message code (lib/probe/dnsmsg.c): the
 * parser on hand-built bytes (compression pointers, loops, truncations,
 * reserved label types, size limits), the query writer against bytes
 * written out by hand from RFC 1035 / RFC 6891, and the chain walk with its
 * lie detection.
 *
 * The structural tests use literal byte arrays with their offsets worked
 * out in the comments. The chain-walk tests build messages with mb_*
 * below, a few lines that append big-endian fields and uncompressed names;
 * it shares nothing with the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe/dnsmsg.h"

static struct dnsmsg *msg_new(void)
{
    struct dnsmsg *m = malloc(sizeof *m);
    assert_non_null(m);
    memset(m, 0xa5, sizeof *m); /* garbage: the parser must write what it reports */
    return m;
}

/* ---- the literal message ---- */

/* A response to www.x.lab AAAA: www.x.lab CNAME edge.lab (compressed
 * against the question), edge.lab AAAA 2a01:4f8::1 (owner compressed
 * against the CNAME's RDATA). */
static const uint8_t resp1[] = {
    /* 0: header */
    0xbe, 0xef,             /* id */
    0x85, 0x80,             /* QR=1 opcode 0 AA=1 RD=1 RA=1 rcode 0 */
    0x00, 0x01, 0x00, 0x02, /* qdcount 1, ancount 2 */
    0x00, 0x00, 0x00, 0x00, /* nscount 0, arcount 0 */
    /* 12: www.x.lab: 12 "3www", 16 "1x", 18 "3lab", 22 zero */
    3, 'w', 'w', 'w', 1, 'x', 3, 'l', 'a', 'b', 0,
    0x00, 0x1c, 0x00, 0x01, /* 23: AAAA IN; question ends at 27 */
    /* 27: CNAME, owner -> 12, ttl 300, rdlen 7 */
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x07,
    /* 39: "4edge" then pointer -> 18 ("lab"): edge.lab; ends at 46 */
    4, 'e', 'd', 'g', 'e', 0xc0, 0x12,
    /* 46: AAAA, owner -> 39 (edge.lab), ttl 60, rdlen 16 */
    0xc0, 0x27, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x10,
    /* 58: 2a01:4f8::1; ends at 74 */
    0x2a, 0x01, 0x04, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
};

static void test_parse_literal(void **state)
{
    (void)state;
    struct dnsmsg *m = msg_new();
    assert_int_equal(dnsmsg_parse(resp1, sizeof resp1, m), DNSMSG_OK);
    assert_int_equal(m->id, 0xbeef);
    assert_true(m->qr && m->aa && m->rd && m->ra && !m->tc);
    assert_int_equal(m->opcode, 0);
    assert_int_equal(m->rcode, 0);
    assert_int_equal(m->qdcount, 1);
    assert_int_equal(m->ancount, 2);
    assert_true(m->has_question);
    assert_string_equal(m->qname, "www.x.lab");
    assert_int_equal(m->qtype, 28);
    assert_int_equal(m->qclass, 1);
    assert_int_equal(m->n_an, 2);
    assert_string_equal(m->an[0].owner, "www.x.lab");
    assert_int_equal(m->an[0].type, 5);
    assert_int_equal(m->an[0].ttl, 300);
    assert_string_equal(m->an[0].target, "edge.lab");
    assert_string_equal(m->an[1].owner, "edge.lab");
    assert_int_equal(m->an[1].type, 28);
    assert_int_equal(m->an[1].ttl, 60);
    const uint8_t want[16] = {0x2a, 0x01, 0x04, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    assert_memory_equal(m->an[1].addr, want, 16);
    assert_string_equal(m->soa_zone, "");

    struct resolve_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    dnsmsg_answer(m, DNSMSG_OK, "WWW.X.LAB", 28, r); /* the name is compared ignoring case */
    assert_int_equal(r->status, RS_OK);
    assert_true(r->authoritative);
    assert_int_equal(r->n_cnames, 1);
    assert_string_equal(r->cname[0], "edge.lab");
    assert_int_equal(r->n_addrs, 1);
    assert_int_equal(r->addrs[0].family, 6);
    assert_memory_equal(r->addrs[0].addr, want, 16);
    assert_int_equal(r->addrs[0].ttl, 60);
    assert_int_equal(r->ignored, 0);
    assert_string_equal(r->detail, "");
    free(r);
    free(m);
}

static void test_truncations(void **state)
{
    (void)state;
    struct dnsmsg *m = msg_new();
    for (size_t len = 0; len < sizeof resp1; len++) {
        enum dnsmsg_status st = dnsmsg_parse(resp1, len, m);
        if (st != DNSMSG_TRUNCATED)
            fail_msg("prefix of %zu bytes: status %d, want truncated", len, st);
        assert_true(m->error[0] != '\0');
        /* records complete before the cut are kept */
        unsigned want = len >= 74 ? 2 : len >= 46 ? 1 : 0;
        assert_int_equal(m->n_an, want);
        assert_int_equal(m->has_question, len >= 27);
    }
    free(m);
}

/* Header for a response with one question starting at 12. */
#define HDR(qd, an) 0x00, 0x01, 0x81, 0x80, 0x00, (qd), 0x00, (an), 0x00, 0x00, 0x00, 0x00

static void expect_malformed(const uint8_t *msg, size_t len, const char *why)
{
    struct dnsmsg *m = msg_new();
    enum dnsmsg_status st = dnsmsg_parse(msg, len, m);
    if (st != DNSMSG_MALFORMED)
        fail_msg("status %d, want malformed (%s)", st, m->error);
    if (!strstr(m->error, why))
        fail_msg("error '%s' does not say '%s'", m->error, why);
    free(m);
}

static void test_pointer_defects(void **state)
{
    (void)state;
    /* 12: pointer to itself */
    const uint8_t self[] = {HDR(1, 0), 0xc0, 0x0c, 0, 1, 0, 1};
    expect_malformed(self, sizeof self, "does not point back");
    /* 12: pointer forward to 16 */
    const uint8_t fwd[] = {HDR(1, 0), 0xc0, 0x10, 0, 1, 0, 1, 1, 'a', 0};
    expect_malformed(fwd, sizeof fwd, "does not point back");
    /* 12: "1a" then 14: pointer back to 12: a.a.a.a... forever */
    const uint8_t loop[] = {HDR(1, 0), 1, 'a', 0xc0, 0x0c, 0, 1, 0, 1};
    struct dnsmsg *m = msg_new();
    assert_int_equal(dnsmsg_parse(loop, sizeof loop, m), DNSMSG_MALFORMED);
    assert_true(strstr(m->error, "pointers") || strstr(m->error, "255 octets"));
    free(m);
    /* reserved label types 01 and 10 */
    const uint8_t r40[] = {HDR(1, 0), 0x41, 'a', 0, 0, 1, 0, 1};
    expect_malformed(r40, sizeof r40, "reserved label type 0x41");
    const uint8_t r80[] = {HDR(1, 0), 0x80, 0, 0, 1, 0, 1};
    expect_malformed(r80, sizeof r80, "reserved label type 0x80");
    /* A pointer in the answer to a good name before it is fine: owner ->
     * 12 (a.lab), A record 192.0.2.1. 12: "1a" 14: "3lab" 18: 0, 19..22
     * type/class; 23: answer. */
    const uint8_t back[] = {HDR(1, 1), 1, 'a', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1,
                            0xc0, 0x0e, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 192, 0, 2, 1};
    m = msg_new();
    assert_int_equal(dnsmsg_parse(back, sizeof back, m), DNSMSG_OK);
    assert_string_equal(m->an[0].owner, "lab"); /* -> 14: the "3lab" label */
    free(m);
}

/* The question name made of labels of the given lengths (filled with 'a').
 * Returns the message length. */
static size_t long_name_msg(uint8_t *buf, const unsigned *labels, unsigned n)
{
    const uint8_t hdr[] = {HDR(1, 0)};
    memcpy(buf, hdr, sizeof hdr);
    size_t o = sizeof hdr;
    for (unsigned i = 0; i < n; i++) {
        buf[o++] = (uint8_t)labels[i];
        memset(buf + o, 'a', labels[i]);
        o += labels[i];
    }
    buf[o++] = 0;
    const uint8_t tail[] = {0, 1, 0, 1};
    memcpy(buf + o, tail, 4);
    return o + 4;
}

static void test_name_limits(void **state)
{
    (void)state;
    uint8_t buf[600];
    struct dnsmsg *m = msg_new();
    /* 3 x (1+63) + (1+61) + 1 = 255 octets: the longest name (253 chars) */
    const unsigned ok[] = {63, 63, 63, 61};
    size_t len = long_name_msg(buf, ok, 4);
    assert_int_equal(dnsmsg_parse(buf, len, m), DNSMSG_OK);
    assert_int_equal(strlen(m->qname), 253);
    /* one more octet: 256 */
    const unsigned bad[] = {63, 63, 63, 62};
    len = long_name_msg(buf, bad, 4);
    expect_malformed(buf, len, "longer than 255 octets");
    free(m);
}

static void test_rdata_defects(void **state)
{
    (void)state;
    /* 12: "1a" 14: 0, 15..18 type A class IN; 19: answer owner -> 12, A with
     * rdlen 5 */
    const uint8_t a5[] = {HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1,
                          0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 5, 1, 2, 3, 4, 5};
    expect_malformed(a5, sizeof a5, "A record with 5 bytes");
    /* AAAA with 4 bytes */
    const uint8_t q4[] = {HDR(1, 1), 1, 'a', 0, 0, 28, 0, 1,
                          0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2, 3, 4};
    expect_malformed(q4, sizeof q4, "AAAA record with 4 bytes");
    /* CNAME whose name runs past its rdlen of 3 ("5abcde" needs 7), with
     * bytes after it so that the message itself does not end */
    const uint8_t cn[] = {HDR(1, 1), 1, 'a', 0, 0, 5, 0, 1,
                          0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 5, 0, 3, 5, 'a', 'b', 'c', 'd', 'e', 0};
    expect_malformed(cn, sizeof cn, "runs past its record");
    /* CNAME with 2 spare bytes after the name */
    const uint8_t sp[] = {HDR(1, 1), 1, 'a', 0, 0, 5, 0, 1,
                          0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 5, 0, 5, 1, 'b', 0, 9, 9};
    expect_malformed(sp, sizeof sp, "2 bytes after the name");
    /* rdlen past the end of the message: truncated, not malformed */
    const uint8_t cut[] = {HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1,
                           0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 1, 2};
    struct dnsmsg *m = msg_new();
    assert_int_equal(dnsmsg_parse(cut, sizeof cut, m), DNSMSG_TRUNCATED);
    assert_int_equal(m->n_an, 0);
    /* a TTL with the top bit set reads as 0 (RFC 2181 8) */
    const uint8_t ttl[] = {HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1,
                           0xc0, 0x0c, 0, 1, 0, 1, 0x80, 0, 0, 5, 0, 4, 1, 2, 3, 4};
    assert_int_equal(dnsmsg_parse(ttl, sizeof ttl, m), DNSMSG_OK);
    assert_int_equal(m->an[0].ttl, 0);
    free(m);
}

static void test_escapes_and_case(void **state)
{
    (void)state;
    /* question "A b" (with a space) . "LaB" -> "a\032b.lab" */
    const uint8_t msg[] = {HDR(1, 0), 3, 'A', ' ', 'b', 3, 'L', 'a', 'B', 0, 0, 1, 0, 1};
    struct dnsmsg *m = msg_new();
    assert_int_equal(dnsmsg_parse(msg, sizeof msg, m), DNSMSG_OK);
    assert_string_equal(m->qname, "a\\032b.lab");
    /* a dot inside a label and a wildcard */
    const uint8_t dot[] = {HDR(1, 0), 3, 'a', '.', 'b', 1, '*', 0, 0, 1, 0, 1};
    assert_int_equal(dnsmsg_parse(dot, sizeof dot, m), DNSMSG_OK);
    assert_string_equal(m->qname, "a\\046b.*");
    /* the root */
    const uint8_t root[] = {HDR(1, 0), 0, 0, 2, 0, 1};
    assert_int_equal(dnsmsg_parse(root, sizeof root, m), DNSMSG_OK);
    assert_string_equal(m->qname, "");
    /* a 63-byte label of spaces is 252 characters escaped: with more it no
     * longer fits the text buffer -> malformed */
    uint8_t big[12 + 2 * 64 + 5];
    const uint8_t hdr[] = {HDR(1, 0)};
    memcpy(big, hdr, 12);
    size_t o = 12;
    for (int l = 0; l < 2; l++) {
        big[o++] = 63;
        memset(big + o, ' ', 63);
        o += 63;
    }
    big[o++] = 0;
    big[o++] = 0;
    big[o++] = 1;
    big[o++] = 0;
    big[o++] = 1;
    expect_malformed(big, o, "too long as text");
    free(m);
}

static void test_authority_soa_and_peek(void **state)
{
    (void)state;
    /* NXDOMAIN for nx.lab with the SOA of lab in the authority section.
     * 12: "2nx" 15: "3lab" 19: 0; 20..23 A IN; 24: SOA owner -> 15, rdlen 2
     * (junk rdata is not read for SOA) */
    const uint8_t msg[] = {0x00, 0x07, 0x81, 0x83, 0, 1, 0, 0, 0, 1, 0, 0,
                           2, 'n', 'x', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1,
                           0xc0, 0x0f, 0, 6, 0, 1, 0, 0, 0, 60, 0, 2, 0, 0};
    struct dnsmsg *m = msg_new();
    assert_int_equal(dnsmsg_parse(msg, sizeof msg, m), DNSMSG_OK);
    assert_int_equal(m->rcode, 3);
    assert_string_equal(m->soa_zone, "lab");
    struct resolve_result *r = calloc(1, sizeof *r);
    dnsmsg_answer(m, DNSMSG_OK, "nx.lab", 1, r);
    assert_int_equal(r->status, RS_NXDOMAIN);
    assert_string_equal(r->detail, "nx.lab does not exist (NXDOMAIN)");
    /* peek reads only the header and the question */
    assert_int_equal(dnsmsg_peek(msg, 24, m), DNSMSG_OK);
    assert_int_equal(m->id, 7);
    assert_string_equal(m->qname, "nx.lab");
    assert_int_equal(m->n_an, 0);
    assert_int_equal(dnsmsg_peek(msg, 20, m), DNSMSG_TRUNCATED);
    free(r);
    free(m);
}

static void test_build_query(void **state)
{
    (void)state;
    /* RFC 1035 4.1.1/4.1.2 and RFC 6891 6.1.2, written out by hand */
    const uint8_t want[] = {
        0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,   /* id, RD, qd 1, ar 1 */
        3, 'w', 'w', 'w', 1, 'x', 3, 'l', 'a', 'b', 0, 0, 28, 0, 1, /* www.x.lab AAAA IN */
        0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0,           /* OPT, UDP 1232 */
    };
    uint8_t buf[DNSMSG_QUERY_MAX];
    size_t n = dnsmsg_build_query(buf, sizeof buf, 0x1234, "www.x.lab", 28, true, 1232);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    /* no RD, no EDNS */
    n = dnsmsg_build_query(buf, sizeof buf, 0xffff, "a", 2, false, 0);
    const uint8_t want2[] = {0xff, 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 2, 0, 1};
    assert_int_equal(n, sizeof want2);
    assert_memory_equal(buf, want2, sizeof want2);
    /* refused names and a short buffer */
    assert_int_equal(dnsmsg_build_query(buf, sizeof buf, 1, "a..b", 1, true, 0), 0);
    assert_int_equal(dnsmsg_build_query(buf, sizeof buf, 1, "a.", 1, true, 0), 0);
    assert_int_equal(dnsmsg_build_query(buf, sizeof buf, 1, ".a", 1, true, 0), 0);
    char l64[70];
    memset(l64, 'a', 64);
    l64[64] = '\0';
    assert_int_equal(dnsmsg_build_query(buf, sizeof buf, 1, l64, 1, true, 0), 0);
    assert_int_equal(dnsmsg_build_query(buf, 20, 1, "www.x.lab", 1, true, 0), 0);
}

/* ---- chain walk on built messages ---- */

struct mb {
    uint8_t b[2048];
    size_t n;
    uint16_t an;
};

static void mb_u16(struct mb *m, uint16_t v)
{
    m->b[m->n++] = (uint8_t)(v >> 8);
    m->b[m->n++] = (uint8_t)v;
}

static void mb_name(struct mb *m, const char *dotted)
{
    while (*dotted) {
        const char *dot = strchr(dotted, '.');
        size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);
        m->b[m->n++] = (uint8_t)l;
        memcpy(m->b + m->n, dotted, l);
        m->n += l;
        dotted += l + (dot ? 1 : 0);
    }
    m->b[m->n++] = 0;
}

/* Response header (flags given) and one question. */
static void mb_start(struct mb *m, uint16_t flags, const char *qname, uint16_t qtype)
{
    m->n = 0;
    m->an = 0;
    mb_u16(m, 0x4242);
    mb_u16(m, flags);
    mb_u16(m, 1);
    mb_u16(m, 0); /* ancount, patched */
    mb_u16(m, 0);
    mb_u16(m, 0);
    mb_name(m, qname);
    mb_u16(m, qtype);
    mb_u16(m, 1);
}

static void mb_rr(struct mb *m, const char *owner, uint16_t type, const void *rdata,
                  uint16_t rdlen)
{
    mb_name(m, owner);
    mb_u16(m, type);
    mb_u16(m, 1);
    mb_u16(m, 0);
    mb_u16(m, 300);
    mb_u16(m, rdlen);
    memcpy(m->b + m->n, rdata, rdlen);
    m->n += rdlen;
    m->an++;
    m->b[6] = (uint8_t)(m->an >> 8);
    m->b[7] = (uint8_t)m->an;
}

static void mb_cname(struct mb *m, const char *owner, const char *target)
{
    struct mb t;
    t.n = 0;
    mb_name(&t, target);
    mb_rr(m, owner, 5, t.b, (uint16_t)t.n);
}

static void mb_ns(struct mb *m, const char *owner, const char *target)
{
    struct mb t;
    t.n = 0;
    mb_name(&t, target);
    mb_rr(m, owner, 2, t.b, (uint16_t)t.n);
}

static const uint8_t A1[4] = {192, 0, 2, 1};
static const uint8_t V6[16] = {0x2a, 0x01, 0x04, 0xf8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};

/* Parse m and walk it for (qname, qtype); returns a fresh result. */
static struct resolve_result *walk(const struct mb *m, const char *qname, uint16_t qtype)
{
    static struct dnsmsg msg;
    struct resolve_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    enum dnsmsg_status st = dnsmsg_parse(m->b, m->n, &msg);
    dnsmsg_answer(&msg, st, qname, qtype, r);
    return r;
}

static void expect(struct resolve_result *r, enum resolve_status st, const char *detail_part)
{
    if (r->status != st)
        fail_msg("status %s, want %s (%s)", resolve_status_name(r->status),
                 resolve_status_name(st), r->detail);
    if (detail_part && !strstr(r->detail, detail_part))
        fail_msg("detail '%s' does not say '%s'", r->detail, detail_part);
    free(r);
}

static void test_walk_ok_and_ignored(void **state)
{
    (void)state;
    struct mb m;
    /* chain a -> b -> c, two AAAA at c, two records for other names, an RRSIG on c */
    mb_start(&m, 0x8180, "a.lab", 28);
    mb_cname(&m, "a.lab", "b.lab");
    mb_rr(&m, "other.lab", 28, V6, 16);
    mb_cname(&m, "b.lab", "c.lab");
    mb_rr(&m, "c.lab", 28, V6, 16);
    mb_rr(&m, "c.lab", 28, V6, 16);
    mb_rr(&m, "c.lab", 46, "sig", 3);
    mb_rr(&m, "x.other.lab", 1, A1, 4);
    struct resolve_result *r = walk(&m, "a.lab", 28);
    assert_int_equal(r->n_cnames, 2);
    assert_string_equal(r->cname[0], "b.lab");
    assert_string_equal(r->cname[1], "c.lab");
    assert_int_equal(r->n_addrs, 2);
    assert_memory_equal(r->addrs[1].addr, V6, 16);
    assert_int_equal(r->ignored, 3); /* other.lab, x.other.lab, the RRSIG */
    assert_false(r->authoritative);
    expect(r, RS_OK, NULL);

    /* a duplicated identical CNAME is fine */
    mb_start(&m, 0x8180, "a.lab", 1);
    mb_cname(&m, "a.lab", "b.lab");
    mb_cname(&m, "a.lab", "b.lab");
    mb_rr(&m, "b.lab", 1, A1, 4);
    expect(walk(&m, "a.lab", 1), RS_OK, NULL);

    /* NS answers */
    mb_start(&m, 0x8180, "x.lab", 2);
    mb_ns(&m, "x.lab", "ns1.x.lab");
    mb_ns(&m, "x.lab", "NS2.X.lab");
    r = walk(&m, "x.lab", 2);
    assert_int_equal(r->n_ns, 2);
    assert_string_equal(r->ns[0], "ns1.x.lab");
    assert_string_equal(r->ns[1], "ns2.x.lab");
    assert_int_equal(r->n_addrs, 0);
    expect(r, RS_OK, NULL);
}

static void test_walk_negative(void **state)
{
    (void)state;
    struct mb m;
    mb_start(&m, 0x8180, "a.lab", 28);
    expect(walk(&m, "a.lab", 28), RS_NODATA, "a.lab has no AAAA record");

    mb_start(&m, 0x8180, "a.lab", 28);
    mb_cname(&m, "a.lab", "only4.lab");
    struct resolve_result *r = walk(&m, "a.lab", 28);
    assert_int_equal(r->n_cnames, 1);
    assert_string_equal(r->cname[0], "only4.lab");
    expect(r, RS_NODATA, "a.lab is an alias of only4.lab, which has no AAAA record");

    mb_start(&m, 0x8183, "a.lab", 1);
    mb_cname(&m, "a.lab", "gone.lab");
    expect(walk(&m, "a.lab", 1), RS_NXDOMAIN, "alias of gone.lab, which does not exist");

    mb_start(&m, 0x8182, "a.lab", 1);
    expect(walk(&m, "a.lab", 1), RS_SERVFAIL, "SERVFAIL");
    mb_start(&m, 0x8185, "a.lab", 1);
    expect(walk(&m, "a.lab", 1), RS_REFUSED, "REFUSED");
    mb_start(&m, 0x8181, "a.lab", 1);
    expect(walk(&m, "a.lab", 1), RS_SERVFAIL, "FORMERR");
    mb_start(&m, 0x8184, "a.lab", 1);
    expect(walk(&m, "a.lab", 1), RS_SERVFAIL, "NOTIMP");
}

static void test_walk_lies(void **state)
{
    (void)state;
    struct mb m;
    /* records for another name only */
    mb_start(&m, 0x8180, "www.x.lab", 1);
    mb_rr(&m, "evil.lab", 1, A1, 4);
    mb_rr(&m, "evil.lab", 1, A1, 4);
    struct resolve_result *r = walk(&m, "www.x.lab", 1);
    assert_int_equal(r->n_addrs, 0);
    expect(r, RS_BOGUS, "the answer has 2 records for other names (evil.lab) and none for www.x.lab");

    /* an A record in an AAAA answer */
    mb_start(&m, 0x8180, "www.x.lab", 28);
    mb_rr(&m, "www.x.lab", 1, A1, 4);
    expect(walk(&m, "www.x.lab", 28), RS_BOGUS, "www.x.lab a record of type A");

    /* CNAME loop */
    mb_start(&m, 0x8180, "l.lab", 1);
    mb_cname(&m, "l.lab", "l2.lab");
    mb_cname(&m, "l2.lab", "l.lab");
    expect(walk(&m, "l.lab", 1), RS_BOGUS, "CNAME loop: l.lab -> l2.lab -> l.lab");

    /* a chain of 9 links: one over RESOLVE_MAX_CNAMES */
    mb_start(&m, 0x8180, "c0.lab", 1);
    char o[32], t[32];
    for (int i = 0; i < 9; i++) {
        snprintf(o, sizeof o, "c%d.lab", i);
        snprintf(t, sizeof t, "c%d.lab", i + 1);
        mb_cname(&m, o, t);
    }
    expect(walk(&m, "c0.lab", 1), RS_BOGUS, "longer than 8");
    /* ... and 8 links are fine */
    mb_start(&m, 0x8180, "c0.lab", 1);
    for (int i = 0; i < 8; i++) {
        snprintf(o, sizeof o, "c%d.lab", i);
        snprintf(t, sizeof t, "c%d.lab", i + 1);
        mb_cname(&m, o, t);
    }
    mb_rr(&m, "c8.lab", 1, A1, 4);
    struct resolve_result *ok = walk(&m, "c0.lab", 1);
    assert_int_equal(ok->n_cnames, 8);
    assert_string_equal(ok->cname[7], "c8.lab");
    expect(ok, RS_OK, NULL);

    /* two different CNAMEs for one name */
    mb_start(&m, 0x8180, "a.lab", 1);
    mb_cname(&m, "a.lab", "b.lab");
    mb_cname(&m, "a.lab", "c.lab");
    expect(walk(&m, "a.lab", 1), RS_BOGUS, "two different CNAME records");

    /* a CNAME and an A for the same name */
    mb_start(&m, 0x8180, "a.lab", 1);
    mb_cname(&m, "a.lab", "b.lab");
    mb_rr(&m, "a.lab", 1, A1, 4);
    mb_rr(&m, "b.lab", 1, A1, 4);
    expect(walk(&m, "a.lab", 1), RS_BOGUS, "a.lab is an alias (CNAME)");

    /* NXDOMAIN that still gives the records */
    mb_start(&m, 0x8183, "a.lab", 1);
    mb_rr(&m, "a.lab", 1, A1, 4);
    expect(walk(&m, "a.lab", 1), RS_BOGUS, "does not exist but gives");
}

static void test_walk_question(void **state)
{
    (void)state;
    struct mb m;
    mb_start(&m, 0x8180, "other.lab", 1);
    mb_rr(&m, "other.lab", 1, A1, 4);
    expect(walk(&m, "www.x.lab", 1), RS_BOGUS, "another question (other.lab A)");
    mb_start(&m, 0x8180, "www.x.lab", 28);
    expect(walk(&m, "www.x.lab", 1), RS_BOGUS, "another question (www.x.lab AAAA)");
    /* the case of the echoed question and of owners does not matter */
    mb_start(&m, 0x8180, "WwW.X.Lab", 1);
    mb_rr(&m, "WWW.x.LAB", 1, A1, 4);
    expect(walk(&m, "www.x.lab", 1), RS_OK, NULL);
    /* a query, not a response */
    mb_start(&m, 0x0100, "www.x.lab", 1);
    expect(walk(&m, "www.x.lab", 1), RS_MALFORMED, "not a query response");
    /* two questions */
    mb_start(&m, 0x8180, "www.x.lab", 1);
    m.b[5] = 2;
    mb_name(&m, "www.x.lab");
    mb_u16(&m, 1);
    mb_u16(&m, 1);
    expect(walk(&m, "www.x.lab", 1), RS_BOGUS, "2 questions");
    /* cut short */
    mb_start(&m, 0x8180, "www.x.lab", 1);
    mb_rr(&m, "www.x.lab", 1, A1, 4);
    m.n -= 2;
    expect(walk(&m, "www.x.lab", 1), RS_MALFORMED, "could not be parsed");
}

/* dnsmsg_has_opt(): our own queries (with and without EDNS), an answer
 * with an A record and an OPT after it, the same without the OPT, and cut
 * messages (cannot tell). */
static void test_has_opt(void **state)
{
    (void)state;
    uint8_t q[DNSMSG_QUERY_MAX];
    size_t n = dnsmsg_build_query(q, sizeof q, 7, "www.x.lab", 1, true, 1232);
    assert_int_equal(dnsmsg_has_opt(q, n), 1);
    assert_int_equal(dnsmsg_has_opt(q, n - 1), -1);
    size_t n0 = dnsmsg_build_query(q, sizeof q, 7, "www.x.lab", 1, true, 0);
    assert_int_equal(dnsmsg_has_opt(q, n0), 0);
    /* header: 1 question, 1 answer (compressed owner), 0 authority, 1 additional */
    static const uint8_t with[] = {
        0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 1,
        3, 'w', 'w', 'w', 1, 'x', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1,
        0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1,
        0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(dnsmsg_has_opt(with, sizeof with), 1);
    uint8_t without[sizeof with];
    memcpy(without, with, sizeof with);
    without[11] = 0; /* no additional record: the OPT bytes are trailing junk */
    assert_int_equal(dnsmsg_has_opt(without, sizeof with), 0);
    without[11] = 1;
    without[sizeof with - 9] = 1; /* the additional record is an A, not an OPT */
    assert_int_equal(dnsmsg_has_opt(without, sizeof with), 0);
    assert_int_equal(dnsmsg_has_opt(with, 5), -1);
    assert_int_equal(dnsmsg_has_opt(with, sizeof with - 3), -1);
    static const uint8_t bad_label[] = {0, 7, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 0};
    assert_int_equal(dnsmsg_has_opt(bad_label, sizeof bad_label), -1);
}

static void test_names_of_codes(void **state)
{
    (void)state;
    char b[16];
    assert_string_equal(dnsmsg_type_name(28, b, sizeof b), "AAAA");
    assert_string_equal(dnsmsg_type_name(6, b, sizeof b), "SOA");
    assert_string_equal(dnsmsg_type_name(999, b, sizeof b), "TYPE999");
    assert_string_equal(dnsmsg_rcode_name(3, b, sizeof b), "NXDOMAIN");
    assert_string_equal(dnsmsg_rcode_name(9, b, sizeof b), "RCODE9");
    assert_string_equal(resolve_status_name(RS_NXDOMAIN), "nxdomain");
    assert_string_equal(resolve_status_name(RS_CANCELLED), "cancelled");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_literal),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_pointer_defects),
        cmocka_unit_test(test_name_limits),
        cmocka_unit_test(test_rdata_defects),
        cmocka_unit_test(test_escapes_and_case),
        cmocka_unit_test(test_authority_soa_and_peek),
        cmocka_unit_test(test_build_query),
        cmocka_unit_test(test_walk_ok_and_ignored),
        cmocka_unit_test(test_walk_negative),
        cmocka_unit_test(test_walk_question),
        cmocka_unit_test(test_walk_lies),
        cmocka_unit_test(test_has_opt),
        cmocka_unit_test(test_names_of_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
