/*
 * test_dns.c - the DNS message parser (lib/classify/dns.c) and the shared
 * host-name rules.
 *
 * Every message is written byte by byte here, with its offsets worked out
 * by hand in the comments; expected values come from those bytes (and the
 * literal response was cross-checked with tshark 4.0 once: qry.name
 * www.example.com, cname edge.example.net, a 93.184.216.34, aaaa
 * 2606:2800:220:1:248:1893:25c8:1946). Nothing here calls parser helpers
 * to build its input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/dns.h"

/* A response as a recursive resolver sends it: www.example.com A ->
 * CNAME edge.example.net, then A and AAAA of edge.example.net, and an EDNS
 * OPT record in the additional section. */
static const uint8_t resp[] = {
    /* 0: header */
    0x1a, 0x2b,             /* id */
    0x81, 0x80,             /* QR=1 opcode=0 RD=1 RA=1 rcode=0 */
    0x00, 0x01, 0x00, 0x03, /* qdcount 1, ancount 3 */
    0x00, 0x00, 0x00, 0x01, /* nscount 0, arcount 1 */
    /* 12: question www.example.com A IN (name 12..28) */
    3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
    0x00, 0x01, 0x00, 0x01, /* 29: qtype A, qclass IN; question ends at 33 */
    /* 33: answer 1: CNAME, owner -> 12 */
    0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 18,
    /* 45: rdata edge.example.net (18 bytes, 45..62) */
    4, 'e', 'd', 'g', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
    /* 63: answer 2: A, owner -> 45, ttl 60 */
    0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 4,
    93, 184, 216, 34, /* 75..78; answer ends at 79 */
    /* 79: answer 3: AAAA, owner -> 45, ttl 60 */
    0xc0, 0x2d, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 16,
    0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01, /* 91..106 */
    0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46, /* answer ends at 107 */
    /* 107: additional: OPT (root, type 41, udp 4096), 11 bytes */
    0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
#define RESP_Q_END 33
#define RESP_A1_END 63
#define RESP_A2_END 79
#define RESP_A3_END 107

static struct dns_message *msg_new(void)
{
    struct dns_message *m = malloc(sizeof(*m));
    assert_non_null(m);
    memset(m, 0xa5, sizeof(*m)); /* garbage: the parser must set what it reports */
    return m;
}

static void check_resp_answers(const struct dns_message *m, size_t upto)
{
    assert_int_equal(m->n_cnames, upto >= RESP_A1_END);
    if (upto >= RESP_A1_END) {
        assert_string_equal(m->cnames[0].owner, "www.example.com");
        assert_string_equal(m->cnames[0].target, "edge.example.net");
        assert_int_equal(m->cnames[0].ttl, 3600);
    }
    assert_int_equal(m->n_addrs, (upto >= RESP_A2_END) + (upto >= RESP_A3_END));
    if (upto >= RESP_A2_END) {
        const uint8_t v4[4] = {93, 184, 216, 34};
        assert_string_equal(m->addrs[0].owner, "edge.example.net");
        assert_int_equal(m->addrs[0].family, 4);
        assert_memory_equal(m->addrs[0].addr, v4, 4);
        assert_int_equal(m->addrs[0].ttl, 60);
    }
    if (upto >= RESP_A3_END) {
        const uint8_t v6[16] = {0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
                                0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46};
        assert_string_equal(m->addrs[1].owner, "edge.example.net");
        assert_int_equal(m->addrs[1].family, 6);
        assert_memory_equal(m->addrs[1].addr, v6, 16);
    }
    assert_int_equal(m->skipped, 0);
}

static void dns_response_with_chain(void **state)
{
    (void)state;
    struct dns_message *m = msg_new();
    assert_int_equal(sizeof(resp), 118);
    assert_int_equal(dns_parse(resp, sizeof(resp), m), DNS_OK);
    assert_int_equal(m->id, 0x1a2b);
    assert_int_equal(m->is_response, 1);
    assert_int_equal(m->opcode, 0);
    assert_int_equal(m->rcode, 0);
    assert_int_equal(m->truncated_flag, 0);
    assert_int_equal(m->qdcount, 1);
    assert_int_equal(m->ancount, 3);
    assert_string_equal(m->qname, "www.example.com");
    assert_int_equal(m->qtype, 1);
    assert_int_equal(m->qclass, 1);
    check_resp_answers(m, sizeof(resp));
    /* Both addresses map back to the asked name through the CNAME. */
    assert_ptr_equal(dns_chain_origin(m, m->addrs[0].owner), m->qname);
    assert_ptr_equal(dns_chain_origin(m, m->addrs[1].owner), m->qname);
    const char *other = "other.example.org";
    assert_ptr_equal(dns_chain_origin(m, other), other);
    free(m);
}

/* Cut the response at every length: never a crash, TRUNCATED while the
 * cut is inside the header, question or answers (OK once only the ignored
 * additional section is missing), and every answer complete before the cut
 * kept. */
static void dns_truncated_at_every_byte(void **state)
{
    (void)state;
    struct dns_message *m = msg_new();
    for (size_t cut = 0; cut <= sizeof(resp); cut++) {
        /* A copy of exactly `cut` bytes, so ASan sees any overread. */
        uint8_t *b = malloc(cut ? cut : 1);
        assert_non_null(b);
        memcpy(b, resp, cut);
        enum dns_status st = dns_parse(b, cut, m);
        if (cut < RESP_A3_END)
            assert_int_equal(st, DNS_TRUNCATED);
        else
            assert_int_equal(st, DNS_OK);
        if (cut >= 12) {
            assert_int_equal(m->id, 0x1a2b);
            assert_int_equal(m->ancount, 3);
        } else {
            assert_int_equal(m->id, 0);
        }
        assert_string_equal(m->qname, cut >= RESP_Q_END ? "www.example.com" : "");
        check_resp_answers(m, cut);
        free(b);
    }
    free(m);
}

/* A small writer for the generated cases below (independent of the parser). */
struct w {
    uint8_t b[16384];
    size_t n;
};
static void w_u8(struct w *w, unsigned v) { w->b[w->n++] = (uint8_t)v; }
static void w_u16(struct w *w, unsigned v) { w_u8(w, v >> 8); w_u8(w, v & 0xff); }
static void w_u32(struct w *w, uint32_t v) { w_u16(w, v >> 16); w_u16(w, v & 0xffff); }
static void w_label(struct w *w, const char *s, size_t n)
{
    w_u8(w, (unsigned)n);
    memcpy(w->b + w->n, s, n);
    w->n += n;
}
/* Uncompressed name from dotted text ("" = root). */
static void w_name(struct w *w, const char *text)
{
    while (*text) {
        const char *dot = strchr(text, '.');
        size_t n = dot ? (size_t)(dot - text) : strlen(text);
        w_label(w, text, n);
        text += n + (dot != NULL);
    }
    w_u8(w, 0);
}
static void w_ptr(struct w *w, unsigned off) { w_u16(w, 0xc000 | off); }
static void w_hdr(struct w *w, unsigned flags, unsigned qd, unsigned an)
{
    w->n = 0;
    w_u16(w, 0x4242);
    w_u16(w, flags);
    w_u16(w, qd);
    w_u16(w, an);
    w_u16(w, 0);
    w_u16(w, 0);
}
static void w_question(struct w *w, const char *name, unsigned type)
{
    w_name(w, name);
    w_u16(w, type);
    w_u16(w, 1);
}
/* Fixed part of a record after its owner name. */
static void w_rr(struct w *w, unsigned type, unsigned cls, uint32_t ttl, unsigned rdlen)
{
    w_u16(w, type);
    w_u16(w, cls);
    w_u32(w, ttl);
    w_u16(w, rdlen);
}
static void w_a(struct w *w, uint8_t last)
{
    w_rr(w, 1, 1, 300, 4);
    w_u8(w, 192);
    w_u8(w, 0);
    w_u8(w, 2);
    w_u8(w, last);
}

/* Pointers into the middle of an earlier name, and a pointer to a pointer. */
static void dns_compression_suffix_and_chain(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();
    w_hdr(&w, 0x8180, 1, 3);
    w_question(&w, "a.b.example.com", 1); /* 12: 1 'a' 1 'b' 7 example 3 com 0 */
    /* answer 1 owner "x" + ptr to "b.example.com" at offset 14 */
    size_t a1 = w.n;
    w_label(&w, "x", 1);
    w_ptr(&w, 14);
    w_a(&w, 1);
    /* answer 2 owner = ptr to answer 1's owner (which itself jumps) */
    w_ptr(&w, (unsigned)a1);
    w_a(&w, 2);
    /* answer 3 owner "Y" + ptr to "com" at offset 24 (12+2+2+8) */
    w_label(&w, "Y", 1);
    w_ptr(&w, 24);
    w_a(&w, 3);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_string_equal(m->qname, "a.b.example.com");
    assert_int_equal(m->n_addrs, 3);
    assert_string_equal(m->addrs[0].owner, "x.b.example.com");
    assert_string_equal(m->addrs[1].owner, "x.b.example.com");
    assert_string_equal(m->addrs[2].owner, "y.com");
    assert_int_equal(m->addrs[2].addr[3], 3);
    assert_int_equal(m->addrs[2].ttl, 300);
    free(m);
}

/* Answers whose owners repeat the same compression pointer (the parser
 * reuses the text read for the previous owner): each owner must still be
 * the name the pointer leads to, an invalid name must stay invalid for
 * every answer, and a repeated pointer cut after its first byte must be
 * TRUNCATED with the earlier answers kept. */
static void dns_repeated_owner_pointers(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();
    w_hdr(&w, 0x8180, 1, 6);
    w_question(&w, "www.example.com", 1); /* 12..28, qtype/qclass to 33 */
    w_ptr(&w, 12);                        /* www.example.com CNAME cdn.example.net */
    size_t cname_rd = w.n + 10;
    w_rr(&w, 5, 1, 60, 17);
    w_name(&w, "cdn.example.net"); /* 17 bytes */
    assert_int_equal(w.n - cname_rd, 17);
    w_ptr(&w, (unsigned)cname_rd); /* cdn.example.net A x3, same pointer */
    w_a(&w, 1);
    w_ptr(&w, (unsigned)cname_rd);
    w_a(&w, 2);
    w_ptr(&w, (unsigned)cname_rd);
    w_a(&w, 3);
    w_ptr(&w, 12); /* back to the question name: another pointer */
    w_a(&w, 4);
    w_ptr(&w, 16); /* into the middle: "example.com" */
    w_a(&w, 5);
    size_t whole = w.n;
    assert_int_equal(dns_parse(w.b, whole, m), DNS_OK);
    assert_int_equal(m->n_cnames, 1);
    assert_int_equal(m->n_addrs, 5);
    const char *want[5] = {"cdn.example.net", "cdn.example.net", "cdn.example.net",
                           "www.example.com", "example.com"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(m->addrs[i].owner, want[i]);
        assert_int_equal(m->addrs[i].addr[3], i + 1);
    }
    /* Cut inside the third A answer's owner pointer (after its first
     * byte): TRUNCATED, the first two A answers kept. */
    size_t third = cname_rd + 17 + 2 * (2 + 14);
    assert_int_equal(w.b[third], 0xc0);
    assert_int_equal(dns_parse(w.b, third + 1, m), DNS_TRUNCATED);
    assert_int_equal(m->n_addrs, 2);
    assert_string_equal(m->addrs[1].owner, "cdn.example.net");

    /* The same pointer to a name that is not a host name ("a b", inside a
     * TXT record's rdata): both A answers with that owner are skipped; the
     * next answer, with another pointer, is read. */
    w_hdr(&w, 0x8180, 1, 4);
    w_question(&w, "x.example", 1);
    w_ptr(&w, 12);
    w_rr(&w, 16, 1, 60, 5);
    size_t bad = w.n;
    w_label(&w, "a b", 3);
    w_u8(&w, 0);
    w_ptr(&w, (unsigned)bad);
    w_a(&w, 1);
    w_ptr(&w, (unsigned)bad);
    w_a(&w, 2);
    w_ptr(&w, 12);
    w_a(&w, 3);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_int_equal(m->n_addrs, 1);
    assert_string_equal(m->addrs[0].owner, "x.example");
    assert_int_equal(m->addrs[0].addr[3], 3);
    assert_int_equal(m->skipped, 3);
    free(m);
}

static void dns_pointer_loops_and_forward_pointers(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();

    /* question name is a pointer to itself */
    w_hdr(&w, 0x0100, 1, 0);
    w_ptr(&w, 12);
    w_u16(&w, 1);
    w_u16(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);
    assert_string_equal(m->qname, "");

    /* label 'a' at 12, then at 14 a pointer back to 12: backwards, but it
     * repeats "a." forever; the jump cap stops it (65th jump) */
    w_hdr(&w, 0x0100, 1, 0);
    w_label(&w, "a", 1);
    w_ptr(&w, 12);
    w_u16(&w, 1);
    w_u16(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);

    /* the same loop with a 63-byte label: the 255-octet cap stops it at
     * the 4th pass (4 * 64 > 254), long before the jump cap */
    char l63[64];
    memset(l63, 'q', 63);
    w_hdr(&w, 0x0100, 1, 0);
    w_label(&w, l63, 63);
    w_ptr(&w, 12);
    w_u16(&w, 1);
    w_u16(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);

    /* an answer owner pointing forward (into its own record: offset 40 is
     * the second RDLENGTH byte) */
    w_hdr(&w, 0x8180, 1, 1);
    w_question(&w, "example.com", 1); /* 12..28 + 4 = ends at 29 */
    w_ptr(&w, 40);
    w_a(&w, 1);
    assert_int_equal(w.n, 45);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);
    assert_string_equal(m->qname, "example.com"); /* the question stays */
    assert_int_equal(m->n_addrs, 0);

    /* a pointer to its own offset */
    w_hdr(&w, 0x8180, 1, 1);
    w_question(&w, "example.com", 1);
    w_ptr(&w, 29);
    w_a(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);

    /* reserved label types 0x40 and 0x80 */
    w_hdr(&w, 0x0100, 1, 0);
    w_u8(&w, 0x41);
    w_u8(&w, 'a');
    w_u8(&w, 0);
    w_u16(&w, 1);
    w_u16(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);
    w.b[12] = 0x81;
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);
    free(m);
}

/* A chain of k pointers (each to the one before) inside a TXT record's
 * rdata, then an A record whose owner points at the last: 1 + k jumps. */
static enum dns_status jumps_case(unsigned k, struct dns_message *m)
{
    struct w w;
    w_hdr(&w, 0x8180, 1, 2);
    w_question(&w, "a.example", 1); /* 12: 1 a 7 example 0 (11 bytes) + 4 */
    w_ptr(&w, 12);
    w_rr(&w, 16, 1, 1, 2 * k);
    size_t prev = 12;
    for (unsigned i = 0; i < k; i++) {
        size_t here = w.n;
        w_ptr(&w, (unsigned)prev);
        prev = here;
    }
    w_ptr(&w, (unsigned)prev);
    w_a(&w, 9);
    return dns_parse(w.b, w.n, m);
}

static void dns_jump_cap(void **state)
{
    (void)state;
    struct dns_message *m = msg_new();
    assert_int_equal(jumps_case(63, m), DNS_OK); /* 64 jumps */
    assert_int_equal(m->n_addrs, 1);
    assert_string_equal(m->addrs[0].owner, "a.example");
    assert_int_equal(m->skipped, 1); /* the TXT */
    assert_int_equal(jumps_case(64, m), DNS_MALFORMED); /* 65 jumps */
    assert_int_equal(m->n_addrs, 0);
    free(m);
}

static void fill(char *s, char c, size_t n)
{
    memset(s, c, n);
    s[n] = '\0';
}

static void dns_label_and_name_lengths(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();
    char l63[64], l61[62], name[400];
    fill(l63, 'a', 63);
    fill(l61, 'b', 61);

    /* a 63-byte label is fine */
    snprintf(name, sizeof(name), "%s.com", l63);
    w_hdr(&w, 0x0100, 1, 0);
    w_question(&w, name, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_string_equal(m->qname, name);

    /* a length byte of 64 is not a label length (01xxxxxx) */
    w_hdr(&w, 0x0100, 1, 0);
    w_u8(&w, 64);
    for (int i = 0; i < 64; i++)
        w_u8(&w, 'a');
    w_u8(&w, 0);
    w_u16(&w, 1);
    w_u16(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);

    /* 3 x 63 + 61: 3*64 + 62 + 1 = 255 octets, 253 characters: the maximum */
    snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l61);
    assert_int_equal(strlen(name), 253);
    w_hdr(&w, 0x0100, 1, 0);
    w_question(&w, name, 1);
    assert_int_equal(w.n, 12 + 255 + 4);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_string_equal(m->qname, name);

    /* one more character: 256 octets */
    snprintf(name, sizeof(name), "%s.%s.%s.%sb", l63, l63, l63, l61);
    w_hdr(&w, 0x0100, 1, 0);
    w_question(&w, name, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);

    /* 4 x 63 = 257 octets */
    snprintf(name, sizeof(name), "%s.%s.%s.%s", l63, l63, l63, l63);
    w_hdr(&w, 0x0100, 1, 0);
    w_question(&w, name, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);

    /* over 255 only through compression: 2 x 63 in the question, then an
     * owner of 2 x 63 + pointer to it (4*64 + 1 = 257) */
    snprintf(name, sizeof(name), "%s.%s", l63, l63);
    w_hdr(&w, 0x8180, 1, 1);
    w_question(&w, name, 1);
    w_label(&w, l63, 63);
    w_label(&w, l63, 63);
    w_ptr(&w, 12);
    w_a(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);
    assert_string_equal(m->qname, name);
    free(m);
}

static void dns_flags_and_sections(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();

    /* TC=1, rcode 3 (NXDOMAIN), a query (QR=0) */
    w_hdr(&w, 0x0203, 1, 0);
    w_question(&w, "NoSuch.Example.", 28);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_int_equal(m->truncated_flag, 1);
    assert_int_equal(m->rcode, 3);
    assert_int_equal(m->is_response, 0);
    assert_int_equal(m->qtype, 28);
    assert_string_equal(m->qname, "nosuch.example");

    /* opcode 5 (UPDATE): the "answer" section is something else: not read */
    w_hdr(&w, 0x2800, 1, 1);
    w_question(&w, "example.com", 6);
    w_ptr(&w, 12);
    w_a(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_int_equal(m->opcode, 5);
    assert_int_equal(m->n_addrs, 0);

    /* two questions: the second is skipped, answers still found */
    w_hdr(&w, 0x8180, 2, 1);
    w_question(&w, "one.example", 1);
    w_question(&w, "two.example", 1);
    w_ptr(&w, 12);
    w_a(&w, 7);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_string_equal(m->qname, "one.example");
    assert_int_equal(m->n_addrs, 1);
    assert_string_equal(m->addrs[0].owner, "one.example");

    /* no question at all; root qname is "no name" */
    w_hdr(&w, 0x8180, 0, 1);
    w_name(&w, "host.example");
    w_a(&w, 8);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_string_equal(m->qname, "");
    assert_int_equal(m->n_addrs, 1);
    assert_string_equal(dns_chain_origin(m, m->addrs[0].owner), "host.example");

    w_hdr(&w, 0x0100, 1, 0);
    w_question(&w, "", 2);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_string_equal(m->qname, "");
    assert_int_equal(m->qtype, 2);

    /* header only, short header */
    w_hdr(&w, 0x8180, 0, 0);
    assert_int_equal(dns_parse(w.b, 12, m), DNS_OK);
    assert_int_equal(dns_parse(w.b, 11, m), DNS_TRUNCATED);
    assert_int_equal(dns_parse(NULL, 0, m), DNS_TRUNCATED);
    free(m);
}

static void dns_skipped_records(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();
    w_hdr(&w, 0x8180, 1, 8);
    w_question(&w, "example.com", 1);
    /* MX: skipped by rdlength */
    w_ptr(&w, 12);
    w_rr(&w, 15, 1, 60, 7);
    w_u16(&w, 10);
    w_name(&w, "mx");
    w_u8(&w, 0); /* rdata filler up to 7 */
    /* A with class CH: skipped */
    w_ptr(&w, 12);
    w_rr(&w, 1, 3, 60, 4);
    w_u32(&w, 0x01020304);
    /* A with rdlength 5: skipped */
    w_ptr(&w, 12);
    w_rr(&w, 1, 1, 60, 5);
    w_u32(&w, 0x01020304);
    w_u8(&w, 5);
    /* owner with a space: not a name, skipped */
    w_label(&w, "my host", 7);
    w_ptr(&w, 12);
    w_a(&w, 4);
    /* owner label with a dot byte inside: ambiguous, skipped */
    w_label(&w, "a.b", 3);
    w_u8(&w, 0);
    w_a(&w, 5);
    /* the root as owner is not a name */
    w_u8(&w, 0);
    w_a(&w, 6);
    /* mDNS cache-flush class 0x8001, TTL with the top bit set (-> 0) */
    w_ptr(&w, 12);
    w_rr(&w, 1, 0x8001, 0x80000000u, 4);
    w_u32(&w, 0x0a000001);
    /* good AAAA last */
    w_ptr(&w, 12);
    w_rr(&w, 28, 1, 7, 16);
    for (int i = 0; i < 16; i++)
        w_u8(&w, (unsigned)i);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_int_equal(m->skipped, 6);
    assert_int_equal(m->n_addrs, 2);
    assert_int_equal(m->addrs[0].family, 4);
    assert_int_equal(m->addrs[0].addr[0], 10);
    assert_int_equal(m->addrs[0].ttl, 0);
    assert_int_equal(m->addrs[1].family, 6);
    assert_int_equal(m->addrs[1].addr[15], 15);
    assert_int_equal(m->addrs[1].ttl, 7);
    free(m);
}

static void dns_caps(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();
    w_hdr(&w, 0x8180, 1, DNS_MAX_ADDRS + 8 + 20);
    w_question(&w, "example.com", 1);
    for (unsigned i = 0; i < DNS_MAX_ADDRS + 8; i++) {
        w_ptr(&w, 12);
        w_a(&w, (uint8_t)i);
    }
    for (unsigned i = 0; i < 20; i++) {
        char t[32];
        snprintf(t, sizeof(t), "c%u.example", i);
        w_ptr(&w, 12);
        w_rr(&w, 5, 1, 60, (unsigned)strlen(t) + 2);
        w_name(&w, t);
    }
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_int_equal(m->n_addrs, DNS_MAX_ADDRS);
    assert_int_equal(m->addrs[DNS_MAX_ADDRS - 1].addr[3], (DNS_MAX_ADDRS - 1) & 0xff);
    assert_int_equal(m->n_cnames, DNS_MAX_CNAMES);
    assert_string_equal(m->cnames[15].target, "c15.example");
    assert_int_equal(m->skipped, 8 + 4);
    free(m);
}

static void dns_cname_rdata_bounds(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();
    /* CNAME whose target runs past its RDLENGTH (4 < 13) */
    w_hdr(&w, 0x8180, 1, 2);
    w_question(&w, "example.com", 1);
    w_ptr(&w, 12);
    w_a(&w, 1);
    w_ptr(&w, 12);
    w_rr(&w, 5, 1, 60, 4);
    w_name(&w, "target.org"); /* 1+6+1+3+1 = 12 bytes */
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_MALFORMED);
    assert_int_equal(m->n_addrs, 1); /* the earlier A stays */
    assert_int_equal(m->n_cnames, 0);

    /* CNAME target compressed: label + pointer to the question's "com" */
    w_hdr(&w, 0x8180, 1, 1);
    w_question(&w, "example.com", 1); /* "com" at 12 + 8 = 20 */
    w_ptr(&w, 12);
    w_rr(&w, 5, 1, 60, 6);
    w_label(&w, "cdn", 3);
    w_ptr(&w, 20);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_int_equal(m->n_cnames, 1);
    assert_string_equal(m->cnames[0].target, "cdn.com");

    /* rdlength beyond the message: truncated */
    w_hdr(&w, 0x8180, 1, 1);
    w_question(&w, "example.com", 1);
    w_ptr(&w, 12);
    w_rr(&w, 1, 1, 60, 4);
    w_u8(&w, 1);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_TRUNCATED);
    free(m);
}

static void dns_chain_origin_walks(void **state)
{
    (void)state;
    struct w w;
    struct dns_message *m = msg_new();
    /* app.example -> a.cdn.net -> b.edge.net (A); c.other (A) unrelated */
    w_hdr(&w, 0x8180, 1, 4);
    w_question(&w, "App.Example", 1);
    w_name(&w, "b.edge.net"); /* CNAMEs deliberately out of order */
    w_a(&w, 1);
    w_name(&w, "a.cdn.net");
    w_rr(&w, 5, 1, 60, 12);
    w_name(&w, "b.edge.net");
    w_ptr(&w, 12);
    w_rr(&w, 5, 1, 60, 11);
    w_name(&w, "a.cdn.net");
    w_name(&w, "c.other");
    w_a(&w, 2);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_int_equal(m->n_cnames, 2);
    assert_int_equal(m->n_addrs, 2);
    assert_string_equal(dns_chain_origin(m, "b.edge.net"), "app.example");
    assert_string_equal(dns_chain_origin(m, "a.cdn.net"), "app.example");
    assert_string_equal(dns_chain_origin(m, "app.example"), "app.example");
    assert_string_equal(dns_chain_origin(m, "c.other"), "c.other");

    /* a CNAME loop x -> y -> x not reaching the question ends */
    w_hdr(&w, 0x8180, 1, 3);
    w_question(&w, "q.example", 1);
    w_name(&w, "x.example");
    w_rr(&w, 5, 1, 60, 11);
    w_name(&w, "y.example");
    w_name(&w, "y.example");
    w_rr(&w, 5, 1, 60, 11);
    w_name(&w, "x.example");
    w_name(&w, "x.example");
    w_a(&w, 3);
    assert_int_equal(dns_parse(w.b, w.n, m), DNS_OK);
    assert_string_equal(dns_chain_origin(m, "x.example"), "x.example");
    free(m);
}

static void dns_tcp_prefix(void **state)
{
    (void)state;
    const uint8_t p[] = {0x01, 0x76, 0x1a};
    assert_int_equal(dns_tcp_frame_len(p, 3), 0x176);
    assert_int_equal(dns_tcp_frame_len(p, 2), 0x176);
    assert_int_equal(dns_tcp_frame_len(p, 1), 0);
}

static void name_rules(void **state)
{
    (void)state;
    char out[CLASSIFY_NAME_MAX];
#define COPY(s, fl) classify_name_copy((const uint8_t *)(s), strlen(s), out, sizeof(out), fl)
    assert_int_equal(COPY("WWW.Example.COM.", 0), 15);
    assert_string_equal(out, "www.example.com");
    assert_int_equal(COPY("_sip._tcp.ex-ample.com", 0), 22);
    assert_int_equal(COPY("a..b", 0), 0);
    assert_string_equal(out, "");
    assert_int_equal(COPY(".a", 0), 0);
    assert_int_equal(COPY("a..", 0), 0);
    assert_int_equal(COPY(".", 0), 0);
    assert_int_equal(COPY("", 0), 0);
    assert_int_equal(COPY("a b.com", 0), 0);
    assert_int_equal(COPY("a*.com", 0), 0);
    assert_int_equal(COPY("caf\xc3\xa9.com", 0), 0);
    assert_int_equal(COPY("10.0.0.1", 0), 8); /* allowed unless asked */
    assert_int_equal(COPY("10.0.0.1", CLASSIFY_NAME_NO_IPV4), 0);
    assert_int_equal(COPY("127.1", CLASSIFY_NAME_NO_IPV4), 0);
    assert_int_equal(COPY("0x7f.0X1", CLASSIFY_NAME_NO_IPV4), 0);
    assert_int_equal(COPY("1.2.3.4.example", CLASSIFY_NAME_NO_IPV4), 15);
    assert_int_equal(COPY("3com.0xg", CLASSIFY_NAME_NO_IPV4), 8);
    char l63[64], l64[65], big[300];
    fill(l63, 'x', 63);
    fill(l64, 'x', 64);
    assert_int_equal(COPY(l63, 0), 63);
    assert_int_equal(COPY(l64, 0), 0);
    snprintf(big, sizeof(big), "%s.%s.%s.%s", l63, l63, l63, l63);
    big[253] = '\0'; /* 253 characters ending in a 61-character label */
    assert_int_equal(COPY(big, 0), 253);
    big[253] = 'x';
    big[254] = '\0';
    assert_int_equal(COPY(big, 0), 0);
    /* cap too small: rejected, not cut */
    char small[8];
    assert_int_equal(classify_name_copy((const uint8_t *)"abcdefg", 7, small, 8, 0), 7);
    assert_int_equal(classify_name_copy((const uint8_t *)"abcdefgh", 8, small, 8, 0), 0);
    assert_string_equal(small, "");
#undef COPY
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dns_response_with_chain),
        cmocka_unit_test(dns_truncated_at_every_byte),
        cmocka_unit_test(dns_compression_suffix_and_chain),
        cmocka_unit_test(dns_repeated_owner_pointers),
        cmocka_unit_test(dns_pointer_loops_and_forward_pointers),
        cmocka_unit_test(dns_jump_cap),
        cmocka_unit_test(dns_label_and_name_lengths),
        cmocka_unit_test(dns_flags_and_sections),
        cmocka_unit_test(dns_skipped_records),
        cmocka_unit_test(dns_caps),
        cmocka_unit_test(dns_cname_rdata_bounds),
        cmocka_unit_test(dns_chain_origin_walks),
        cmocka_unit_test(dns_tcp_prefix),
        cmocka_unit_test(name_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
