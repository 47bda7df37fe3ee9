/*
 * test_dpi.c - flow classification with nDPI (lib/classify/dpi.c).
 *
 * Every packet is built here byte by byte (IPv4 / IPv6 header, TCP with
 * tracked sequence numbers or UDP, then the payload): an HTTP request with
 * a Host header, a TLS 1.2/1.3 ClientHello with a server_name extension
 * (RFC 8446 4.1.2, RFC 6066 3), DNS queries and responses (RFC 1035 4.1),
 * and pseudo-random payloads. The expected protocol and host names come
 * from the bytes themselves; the expected app names come from nDPI 4.2's
 * documented host table (src/lib/ndpi_content_match.c.inc, host_match[]:
 * "google.com" -> Google, ".wechat.com" -> WeChat, ".qq.com" -> QQ,
 * ".weibo.cn" -> "Sina(Weibo)", ".alicdn.com" -> Alibaba, "tiktok.com" ->
 * TikTok) and its default ports (TLS on TCP 443).
 *
 * test_measure prints packets/s of dpi_feed on a mix of flows and the
 * memory nDPI allocates (module, per state). It asserts nothing about
 * time. V6M_DPI_BENCH=<flows per kind> makes it run longer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <time.h>

#include <ndpi/ndpi_api.h>

#include "classify/dpi.h"
#include "pktbuild.h"
#include "util/strutil.h"

#define MS 1000000ULL

/* ---- flows and packets ------------------------------------------------ */

/* One conversation: client (a) and server (b) endpoints and the next
 * sequence number of each side, so TCP packets look like a real stream. */
struct tflow {
    int v6;
    uint8_t l4;             /* 6 or 17 */
    uint8_t ca[16], sa[16]; /* IPv4 in the first 4 bytes */
    uint16_t cp, sp;
    uint32_t cseq, sseq; /* next sequence number each side sends */
    uint64_t ts;
};

static void tflow_init(struct tflow *f, int v6, uint8_t l4, uint16_t cp, uint16_t sp)
{
    memset(f, 0, sizeof(*f));
    f->v6 = v6;
    f->l4 = l4;
    memcpy(f->ca, v6 ? PB_V6_A : PB_V4_A, v6 ? 16 : 4);
    memcpy(f->sa, v6 ? PB_V6_B : PB_V4_B, v6 ? 16 : 4);
    f->cp = cp;
    f->sp = sp;
    f->cseq = 1000;
    f->sseq = 50000;
    f->ts = 1700000000ULL * 1000 * MS;
}

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* Builds one packet of f into p (IP header first) in the given direction.
 * ext_dstopts: an IPv6 Destination Options header (8 bytes, PadN) before
 * the L4 header. */
static void tpkt_ext(struct pb *p, struct tflow *f, int from_client, unsigned flags,
                     const void *payload, size_t len, int ext_dstopts)
{
    pb_reset(p);
    const uint8_t *src = from_client ? f->ca : f->sa;
    const uint8_t *dst = from_client ? f->sa : f->ca;
    size_t ip;
    if (f->v6) {
        ip = pb_ipv6_begin(p, ext_dstopts ? 60 : f->l4, src, dst);
        if (ext_dstopts) {
            pb_u8(p, f->l4); /* next header */
            pb_u8(p, 0);     /* length: 8 bytes */
            pb_u8(p, 1);     /* PadN, 4 bytes of data */
            pb_u8(p, 4);
            pb_zero(p, 4);
        }
    } else {
        ip = pb_ipv4_begin(p, f->l4, src, dst);
    }
    uint16_t sp = from_client ? f->cp : f->sp, dp = from_client ? f->sp : f->cp;
    if (f->l4 == 6) {
        uint32_t *seq = from_client ? &f->cseq : &f->sseq;
        uint32_t ack = from_client ? f->sseq : f->cseq;
        pb_u16(p, sp);
        pb_u16(p, dp);
        pb_u32(p, *seq);
        pb_u32(p, (flags & TCP_ACK) ? ack : 0);
        pb_u8(p, 0x50);
        pb_u8(p, flags);
        pb_u16(p, 65535);
        pb_u16(p, 0); /* checksum: nDPI does not verify it */
        pb_u16(p, 0);
        if (len)
            pb_bytes(p, payload, len);
        *seq += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
    } else {
        size_t u = pb_udp_begin(p, sp, dp);
        if (len)
            pb_bytes(p, payload, len);
        pb_udp_end(p, u);
    }
    if (f->v6)
        pb_ipv6_end(p, ip);
    else
        pb_ipv4_end(p, ip);
    f->ts += MS;
}

static void tpkt(struct pb *p, struct tflow *f, int from_client, unsigned flags,
                 const void *payload, size_t len)
{
    tpkt_ext(p, f, from_client, flags, payload, len, 0);
}

/* Feeds one packet; returns the verdict. */
static enum dpi_verdict feed(struct dpi *d, int32_t st, struct tflow *f, int from_client,
                             unsigned flags, const void *payload, size_t len)
{
    struct pb p;
    tpkt(&p, f, from_client, flags, payload, len);
    return dpi_feed(d, st, p.b, p.n, f->ts, from_client);
}

/* SYN, SYN+ACK, ACK: none of these may finish the flow. */
static void handshake(struct dpi *d, int32_t st, struct tflow *f)
{
    assert_int_equal(feed(d, st, f, 1, TCP_SYN, NULL, 0), DPI_CONTINUE);
    assert_int_equal(feed(d, st, f, 0, TCP_SYN | TCP_ACK, NULL, 0), DPI_CONTINUE);
    assert_int_equal(feed(d, st, f, 1, TCP_ACK, NULL, 0), DPI_CONTINUE);
}

/* ---- payloads ----------------------------------------------------------- */

static size_t http_get(uint8_t *out, size_t cap, const char *host)
{
    int n = snprintf((char *)out, cap,
                     "GET /index.html HTTP/1.1\r\nHost: %s\r\n"
                     "User-Agent: v6mon-test/1.0\r\nAccept: */*\r\n\r\n",
                     host);
    assert_true(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

static void put16(uint8_t *b, size_t at, size_t v)
{
    b[at] = (uint8_t)(v >> 8);
    b[at + 1] = (uint8_t)v;
}

/* A TLS ClientHello in one record:
 *   record:    type 22, version 3.1, length
 *   handshake: type 1, 24-bit length, client_version 3.3, random[32],
 *              session_id<0..32>, cipher_suites<2..>, compression<1..>,
 *              extensions<..>:
 *                server_name (0): list length, type 0 (host_name), name
 *                supported_versions (43): 1.3, 1.2
 *                supported_groups (10): x25519
 *                signature_algorithms (13): rsa_pss_rsae_sha256 */
static size_t client_hello(uint8_t *b, const char *sni)
{
    size_t n = 0, sl = strlen(sni);
    b[n++] = 22;
    b[n++] = 3;
    b[n++] = 1;
    size_t rec_len = n;
    n += 2;
    b[n++] = 1;
    size_t hs_len = n;
    n += 3;
    b[n++] = 3;
    b[n++] = 3;
    for (int i = 0; i < 32; i++)
        b[n++] = (uint8_t)(0xa0 + i);
    b[n++] = 0;     /* session id */
    put16(b, n, 4); /* cipher suites */
    n += 2;
    b[n++] = 0x13, b[n++] = 0x01; /* TLS_AES_128_GCM_SHA256 */
    b[n++] = 0xc0, b[n++] = 0x2f; /* ECDHE_RSA_AES_128_GCM_SHA256 */
    b[n++] = 1;                   /* compression methods */
    b[n++] = 0;
    size_t ext_len = n;
    n += 2;
    put16(b, n, 0), n += 2; /* server_name */
    put16(b, n, sl + 5), n += 2;
    put16(b, n, sl + 3), n += 2;
    b[n++] = 0;
    put16(b, n, sl), n += 2;
    memcpy(b + n, sni, sl), n += sl;
    put16(b, n, 43), n += 2; /* supported_versions */
    put16(b, n, 5), n += 2;
    b[n++] = 4;
    b[n++] = 3, b[n++] = 4;
    b[n++] = 3, b[n++] = 3;
    put16(b, n, 10), n += 2; /* supported_groups */
    put16(b, n, 4), n += 2;
    put16(b, n, 2), n += 2;
    put16(b, n, 29), n += 2;
    put16(b, n, 13), n += 2; /* signature_algorithms */
    put16(b, n, 4), n += 2;
    put16(b, n, 2), n += 2;
    put16(b, n, 0x0804), n += 2;
    put16(b, ext_len, n - ext_len - 2);
    size_t hl = n - hs_len - 3;
    b[hs_len] = (uint8_t)(hl >> 16);
    put16(b, hs_len + 1, hl);
    put16(b, rec_len, n - rec_len - 2);
    return n;
}

/* DNS message with one question (type A or AAAA, class IN); a response
 * adds one answer pointing back at the question name (0xc00c). */
static size_t dns_msg(uint8_t *b, const char *name, int response, unsigned qtype)
{
    size_t n = 0;
    put16(b, n, 0x4a6b), n += 2; /* id */
    put16(b, n, response ? 0x8180 : 0x0100), n += 2;
    put16(b, n, 1), n += 2;                /* qdcount */
    put16(b, n, response ? 1 : 0), n += 2; /* ancount */
    put16(b, n, 0), n += 2;
    put16(b, n, 0), n += 2;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        b[n++] = (uint8_t)l;
        memcpy(b + n, p, l);
        n += l;
        p += l + (dot ? 1 : 0);
    }
    b[n++] = 0;
    put16(b, n, qtype), n += 2;
    put16(b, n, 1), n += 2;
    if (response) {
        put16(b, n, 0xc00c), n += 2;
        put16(b, n, qtype), n += 2;
        put16(b, n, 1), n += 2;
        put16(b, n, 0), n += 2; /* ttl 300 */
        put16(b, n, 300), n += 2;
        if (qtype == 28) {
            put16(b, n, 16), n += 2;
            memcpy(b + n, PB_V6_C, 16), n += 16;
        } else {
            put16(b, n, 4), n += 2;
            memcpy(b + n, PB_V4_C, 4), n += 4;
        }
    }
    return n;
}

/* xorshift64: fixed seeds, so the "random" payloads are the same every run. */
static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void random_bytes(uint8_t *b, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(xs(s) >> 32);
}

/* ---- fixture ------------------------------------------------------------ */

static int setup(void **state)
{
    char err[256] = "";
    struct dpi *d = dpi_new(NULL, err, sizeof(err));
    if (!d) {
        fprintf(stderr, "dpi_new: %s\n", err);
        return -1;
    }
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    dpi_free(*state);
    return 0;
}

/* ---- tests -------------------------------------------------------------- */

static void check_http(struct dpi *d, int v6)
{
    struct tflow f;
    uint8_t pl[512];
    struct dpi_result r;
    tflow_init(&f, v6, 6, 40001, 80);
    int32_t st = dpi_state_alloc(d);
    assert_true(st >= 0);
    handshake(d, st, &f);
    size_t n = http_get(pl, sizeof(pl), "www.example.com");
    assert_int_equal(feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl, n), DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "HTTP");
    assert_string_equal(r.app, ""); /* not in nDPI's host table */
    assert_string_equal(r.host, "www.example.com");
    assert_string_equal(r.category, "Web");
    assert_int_equal(r.confidence, DPI_CONF_DPI);
    /* DONE is final: more packets change nothing. */
    assert_int_equal(feed(d, st, &f, 0, TCP_ACK, NULL, 0), DPI_DONE);
    dpi_state_free(d, st);
}

static void test_http_v4(void **state)
{
    check_http(*state, 0);
}
static void test_http_v6(void **state)
{
    check_http(*state, 1);
}

/* Host matched against nDPI's host table: HTTP is the master protocol,
 * the app comes from the Host header. */
static void test_http_app(void **state)
{
    struct dpi *d = *state;
    struct tflow f;
    uint8_t pl[512];
    struct dpi_result r;
    tflow_init(&f, 1, 6, 40002, 80);
    int32_t st = dpi_state_alloc(d);
    handshake(d, st, &f);
    size_t n = http_get(pl, sizeof(pl), "www.google.com");
    assert_int_equal(feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl, n), DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "HTTP");
    assert_string_equal(r.app, "Google");
    assert_string_equal(r.host, "www.google.com");
    dpi_state_free(d, st);
}

static void check_tls(struct dpi *d, int v6, int ext, const char *sni, const char *app,
                      const char *category)
{
    struct tflow f;
    uint8_t pl[512];
    struct dpi_result r;
    struct pb p;
    tflow_init(&f, v6, 6, 40003, 443);
    int32_t st = dpi_state_alloc(d);
    assert_true(st >= 0);
    handshake(d, st, &f);
    size_t n = client_hello(pl, sni);
    tpkt_ext(&p, &f, 1, TCP_PSH | TCP_ACK, pl, n, ext);
    assert_int_equal(dpi_feed(d, st, p.b, p.n, f.ts, true), DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "TLS");
    assert_string_equal(r.host, sni);
    assert_string_equal(r.app, app);
    if (category)
        assert_string_equal(r.category, category);
    assert_int_equal(r.confidence, DPI_CONF_DPI);
    dpi_state_free(d, st);
}

static void test_tls_v4(void **state)
{
    check_tls(*state, 0, 0, "www.google.com", "Google", "Web");
}

static void test_tls_v6(void **state)
{
    check_tls(*state, 1, 0, "www.google.com", "Google", "Web");
    /* An extension header before TCP: nDPI walks the IPv6 chain itself. */
    check_tls(*state, 1, 1, "www.google.com", "Google", "Web");
}

/* nDPI 4.2's host table entries for Chinese apps (host_match[]). */
static void test_tls_cn_apps(void **state)
{
    check_tls(*state, 1, 0, "www.wechat.com", "WeChat", "Chat");
    check_tls(*state, 1, 0, "www.qq.com", "QQ", "Chat");
    check_tls(*state, 0, 0, "m.weibo.cn", "Sina(Weibo)", "SocialNetwork");
    check_tls(*state, 1, 0, "img.alicdn.com", "Alibaba", "Web");
    check_tls(*state, 0, 0, "www.tiktok.com", "TikTok", "SocialNetwork");
}

/* A name nDPI does not know: TLS with the host, no app. */
static void test_tls_unknown_host(void **state)
{
    check_tls(*state, 1, 0, "shop.example.net", "", NULL);
}

/* A ClientHello split over two segments (as large real ones are); between
 * them a UDP packet and an IPv6 AH packet with the same addresses reach the
 * same state. nDPI 4.2 keeps TCP and UDP state in a union chosen by the
 * last packet's protocol, so those two must not be shown to it: they are
 * counted as skipped and the flow still ends as TLS with its SNI. */
static void test_tls_split_and_foreign_l4(void **state)
{
    struct dpi *d = *state;
    struct tflow f, u;
    uint8_t pl[512];
    struct dpi_result r;
    struct dpi_stats s0, s1;
    struct pb p;
    dpi_get_stats(d, &s0);
    tflow_init(&f, 1, 6, 40050, 443);
    int32_t st = dpi_state_alloc(d);
    handshake(d, st, &f);
    size_t n = client_hello(pl, "www.google.com");
    assert_int_equal(feed(d, st, &f, 1, TCP_ACK, pl, 60), DPI_CONTINUE);

    tflow_init(&u, 1, 17, 40050, 443);
    assert_int_equal(feed(d, st, &u, 1, 0, pl, 100), DPI_CONTINUE);
    /* IPv6 + AH (next header 51, 12 bytes of ICV-less header) + TCP:
     * nDPI does not walk AH and would see protocol 51. */
    pb_reset(&p);
    size_t ip = pb_ipv6_begin(&p, 51, PB_V6_A, PB_V6_B);
    pb_u8(&p, 6);
    pb_u8(&p, 1); /* (1 + 2) * 4 = 12 bytes */
    pb_zero(&p, 10);
    pb_u16(&p, 40050);
    pb_u16(&p, 443);
    pb_zero(&p, 8);
    pb_u8(&p, 0x50);
    pb_u8(&p, TCP_ACK);
    pb_zero(&p, 6);
    pb_ipv6_end(&p, ip);
    assert_int_equal(dpi_feed(d, st, p.b, p.n, f.ts, true), DPI_CONTINUE);

    assert_int_equal(feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl + 60, n - 60), DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "TLS");
    assert_string_equal(r.app, "Google");
    assert_string_equal(r.host, "www.google.com");
    dpi_state_free(d, st);
    dpi_get_stats(d, &s1);
    assert_int_equal(s1.packets_skipped - s0.packets_skipped, 2);
    assert_int_equal(s1.packets_fed - s0.packets_fed, 5);
}

static void test_dns_query_v6(void **state)
{
    struct dpi *d = *state;
    struct tflow f;
    uint8_t pl[512];
    struct dpi_result r;
    tflow_init(&f, 1, 17, 53001, 53);
    int32_t st = dpi_state_alloc(d);
    size_t n = dns_msg(pl, "www.example.org", 0, 28);
    assert_int_equal(feed(d, st, &f, 1, 0, pl, n), DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "DNS");
    assert_string_equal(r.app, "");
    assert_string_equal(r.host, "www.example.org");
    assert_int_equal(r.confidence, DPI_CONF_DPI);
    dpi_state_free(d, st);
}

/* Only the response was seen (the query was missed): still DNS, and the
 * name comes from the question section of the response. */
static void test_dns_response_v4(void **state)
{
    struct dpi *d = *state;
    struct tflow f;
    uint8_t pl[512];
    struct dpi_result r;
    tflow_init(&f, 0, 17, 53, 53002); /* "client" here is the server side */
    int32_t st = dpi_state_alloc(d);
    size_t n = dns_msg(pl, "www.google.com", 1, 1);
    assert_int_equal(feed(d, st, &f, 1, 0, pl, n), DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "DNS");
    assert_string_equal(r.app, "Google");
    assert_string_equal(r.host, "www.google.com");
    dpi_state_free(d, st);
}

/* Pseudo-random UDP payloads between unknown ports: CONTINUE for the first
 * max_packets - 1 packets, DONE at max_packets, nothing named. */
static void check_random_udp(struct dpi *d, int v6, unsigned max_packets, uint64_t seed)
{
    struct tflow f;
    uint8_t pl[300];
    struct dpi_result r;
    struct dpi_stats s0, s1;
    dpi_get_stats(d, &s0);
    tflow_init(&f, v6, 17, 40000, 40001);
    int32_t st = dpi_state_alloc(d);
    for (unsigned i = 1; i <= max_packets; i++) {
        random_bytes(pl, 100 + i * 10, &seed);
        enum dpi_verdict v = feed(d, st, &f, (int)(i & 1), 0, pl, 100 + i * 10);
        assert_int_equal(v, i < max_packets ? DPI_CONTINUE : DPI_DONE);
    }
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "");
    assert_string_equal(r.app, "");
    assert_string_equal(r.host, "");
    assert_int_equal(r.confidence, DPI_CONF_UNKNOWN);
    dpi_state_free(d, st);
    dpi_get_stats(d, &s1);
    assert_int_equal(s1.flows_given_up - s0.flows_given_up, 1);
    assert_int_equal(s1.flows_unknown - s0.flows_unknown, 1);
    assert_int_equal(s1.flows_done - s0.flows_done, 0);
    assert_int_equal(s1.packets_fed - s0.packets_fed, max_packets);
}

static void test_random_gives_up(void **state)
{
    check_random_udp(*state, 0, DPI_DEFAULT_MAX_PACKETS, 0x9e3779b97f4a7c15ULL);
    check_random_udp(*state, 1, DPI_DEFAULT_MAX_PACKETS, 0x1234567887654321ULL);
}

/* max_packets counts packets with payload only: a TCP handshake and pure
 * ACKs do not use it up. */
static void test_max_packets_config(void **state)
{
    (void)state;
    struct dpi_config c = {.max_states = 4, .max_packets = 3};
    struct dpi *d = dpi_new(&c, NULL, 0);
    assert_non_null(d);
    struct tflow f;
    uint8_t pl[200];
    uint64_t seed = 42;
    tflow_init(&f, 1, 6, 40010, 40011);
    int32_t st = dpi_state_alloc(d);
    handshake(d, st, &f);
    for (int i = 1; i <= 3; i++) {
        random_bytes(pl, sizeof(pl), &seed);
        pl[0] = 0xfe; /* not a letter: no text protocol starts like this */
        assert_int_equal(feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl, sizeof(pl)),
                         i < 3 ? DPI_CONTINUE : DPI_DONE);
        if (i < 3)
            assert_int_equal(feed(d, st, &f, 0, TCP_ACK, NULL, 0), DPI_CONTINUE);
    }
    struct dpi_stats s;
    dpi_get_stats(d, &s);
    assert_int_equal(s.packets_fed, 3 + 3 + 2);
    assert_int_equal(s.flows_given_up, 1);
    dpi_free(d);
}

static void test_config_errors(void **state)
{
    (void)state;
    char err[128];
    struct dpi_config c = {.max_packets = DPI_MAX_PACKETS_LIMIT + 1};
    assert_null(dpi_new(&c, err, sizeof(err)));
    assert_string_equal(err, "dpi: max_packets 33 is above nDPI's limit 32");
    c.max_packets = 0;
    c.max_states = DPI_MAX_STATES_LIMIT + 1;
    assert_null(dpi_new(&c, err, sizeof(err)));
    assert_non_null(strstr(err, "max_states 16777217 is above the limit"));
}

/* The flow ends before nDPI could name it (only a SYN to port 443): the
 * result is nDPI's guess from the default port, marked as such. */
static void test_result_before_done(void **state)
{
    struct dpi *d = *state;
    struct tflow f;
    struct dpi_result r;
    tflow_init(&f, 0, 6, 40020, 443);
    int32_t st = dpi_state_alloc(d);
    assert_int_equal(feed(d, st, &f, 1, TCP_SYN, NULL, 0), DPI_CONTINUE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "TLS");
    assert_string_equal(r.app, "");
    assert_string_equal(r.host, "");
    assert_int_equal(r.confidence, DPI_CONF_PORT);
    /* Inspection has ended. */
    assert_int_equal(feed(d, st, &f, 0, TCP_SYN | TCP_ACK, NULL, 0), DPI_DONE);
    dpi_state_free(d, st);
}

/* Unrecognised payload to TCP 443 of an address in nDPI 4.2's IPv4 WeChat
 * list (host_protocol_list: 203.205.147.171/32 -> NDPI_PROTOCOL_WECHAT):
 * nDPI gives up and guesses {TLS by port, WeChat by address}. nDPI 4.2 has
 * no IPv6 address lists, so the same flow over IPv6 gets the port guess
 * only. (The pipeline must not let address guesses skew v4/v6 shares.) */
static void check_guess(struct dpi *d, int v6, const char *app, uint8_t conf)
{
    static const uint8_t wechat4[4] = {203, 205, 147, 171};
    struct tflow f;
    uint8_t pl[100];
    struct dpi_result r;
    tflow_init(&f, v6, 6, 40060, 443);
    if (!v6)
        memcpy(f.sa, wechat4, 4);
    int32_t st = dpi_state_alloc(d);
    handshake(d, st, &f);
    for (size_t i = 0; i < sizeof(pl); i++)
        pl[i] = (uint8_t)(0xfe ^ (i * 37));
    enum dpi_verdict v = DPI_CONTINUE;
    for (unsigned i = 0; i < DPI_DEFAULT_MAX_PACKETS; i++) {
        assert_int_equal(v, DPI_CONTINUE);
        v = feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl, sizeof(pl));
    }
    assert_int_equal(v, DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "TLS");
    assert_string_equal(r.app, app);
    assert_string_equal(r.host, "");
    assert_int_equal(r.confidence, conf);
    dpi_state_free(d, st);
}

static void test_address_guess_ipv4_only(void **state)
{
    check_guess(*state, 0, "WeChat", DPI_CONF_IP);
    check_guess(*state, 1, "", DPI_CONF_PORT);
}

/* Packets nDPI cannot parse are fed but never count as payload packets. */
static void test_unusable_packets(void **state)
{
    struct dpi *d = *state;
    struct tflow f;
    uint8_t pl[512];
    struct pb p;
    struct dpi_result r;
    tflow_init(&f, 0, 6, 40030, 80);
    int32_t st = dpi_state_alloc(d);
    handshake(d, st, &f);
    size_t n = http_get(pl, sizeof(pl), "www.example.com");
    /* Cut by the snap length: the IPv4 total length says more. */
    tpkt(&p, &f, 1, TCP_PSH | TCP_ACK, pl, n);
    for (int i = 0; i < 20; i++)
        assert_int_equal(dpi_feed(d, st, p.b, p.n - 10, f.ts, true), DPI_CONTINUE);
    /* A non-first IPv4 fragment (offset 1480). */
    p.b[6] = 0x00, p.b[7] = 185;
    assert_int_equal(dpi_feed(d, st, p.b, p.n, f.ts, true), DPI_CONTINUE);
    /* Not IP at all, and an empty buffer. */
    memset(pl, 0, 64);
    assert_int_equal(dpi_feed(d, st, pl, 64, f.ts, true), DPI_CONTINUE);
    assert_int_equal(dpi_feed(d, st, NULL, 0, f.ts, true), DPI_CONTINUE);
    /* The whole packet still classifies the flow. */
    f.cseq -= (uint32_t)n;
    assert_int_equal(
        feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl, http_get(pl, sizeof(pl), "www.example.com")),
        DPI_DONE);
    assert_true(dpi_result(d, st, &r));
    assert_string_equal(r.proto, "HTTP");
    dpi_state_free(d, st);
}

/* After max_states states the pool refuses (counted); a freed state is
 * handed out again, clean. */
static void test_pool(void **state)
{
    (void)state;
    struct dpi_config c = {.max_states = 3};
    struct dpi *d = dpi_new(&c, NULL, 0);
    assert_non_null(d);
    int32_t a = dpi_state_alloc(d), b = dpi_state_alloc(d), e = dpi_state_alloc(d);
    assert_true(a >= 0 && b >= 0 && e >= 0);
    assert_true(a != b && b != e && a != e);
    assert_int_equal(dpi_state_alloc(d), -1);
    assert_int_equal(dpi_state_alloc(d), -1);
    struct dpi_stats s;
    dpi_get_stats(d, &s);
    assert_int_equal(s.pool_full, 2);
    assert_int_equal(s.states_in_use, 3);
    assert_int_equal(s.states_max_used, 3);
    assert_true(s.bytes_per_state >= sizeof(struct ndpi_flow_struct));
    assert_int_equal(s.pool_bytes, 3 * s.bytes_per_state);

    /* Classify an HTTP flow in b, free it, get b back, and classify DNS:
     * nothing of the HTTP flow may leak into the new one. */
    struct tflow f;
    uint8_t pl[512];
    struct dpi_result r;
    tflow_init(&f, 0, 6, 40040, 80);
    handshake(d, b, &f);
    assert_int_equal(
        feed(d, b, &f, 1, TCP_PSH | TCP_ACK, pl, http_get(pl, sizeof(pl), "www.example.com")),
        DPI_DONE);
    dpi_state_free(d, b);
    dpi_state_free(d, b); /* double free: ignored */
    dpi_get_stats(d, &s);
    assert_int_equal(s.states_in_use, 2);
    assert_false(dpi_result(d, b, &r));
    assert_int_equal(dpi_feed(d, b, pl, 10, 0, true), DPI_DONE);

    int32_t b2 = dpi_state_alloc(d);
    assert_int_equal(b2, b);
    tflow_init(&f, 1, 17, 53003, 53);
    assert_int_equal(feed(d, b2, &f, 1, 0, pl, dns_msg(pl, "v6.example.org", 0, 28)), DPI_DONE);
    assert_true(dpi_result(d, b2, &r));
    assert_string_equal(r.proto, "DNS");
    assert_string_equal(r.host, "v6.example.org");

    /* Handles that were never valid. */
    assert_int_equal(dpi_feed(d, -1, pl, 10, 0, true), DPI_DONE);
    assert_int_equal(dpi_feed(d, 3, pl, 10, 0, true), DPI_DONE);
    assert_false(dpi_result(d, 1000, &r));
    dpi_state_free(d, 1000);
    dpi_state_free(d, -5);

    dpi_state_free(d, a);
    dpi_state_free(d, e);
    dpi_state_free(d, b2);
    dpi_get_stats(d, &s);
    assert_int_equal(s.states_in_use, 0);
    assert_int_equal(s.states_max_used, 3);
    /* Freed states are reused: three more fit without new memory. */
    for (int i = 0; i < 3; i++)
        assert_true(dpi_state_alloc(d) >= 0);
    assert_int_equal(dpi_state_alloc(d), -1);
    dpi_get_stats(d, &s);
    assert_int_equal(s.pool_bytes, 3 * s.bytes_per_state);
    assert_int_equal(s.pool_full, 3);
    dpi_free(d); /* frees the states still in use */
}

/* A pool larger than one chunk: handles stay distinct and valid. */
static void test_pool_chunks(void **state)
{
    (void)state;
    struct dpi_config c = {.max_states = 1000};
    struct dpi *d = dpi_new(&c, NULL, 0);
    assert_non_null(d);
    static int32_t h[1000];
    static uint8_t seen[1000];
    memset(seen, 0, sizeof(seen));
    for (int i = 0; i < 1000; i++) {
        h[i] = dpi_state_alloc(d);
        assert_true(h[i] >= 0 && h[i] < 1000);
        assert_int_equal(seen[h[i]], 0);
        seen[h[i]] = 1;
    }
    assert_int_equal(dpi_state_alloc(d), -1);
    struct dpi_stats s;
    dpi_get_stats(d, &s);
    assert_int_equal(s.pool_bytes, 1000 * s.bytes_per_state);
    /* Every other state feeds a DNS query, then all are freed. */
    uint8_t pl[128];
    for (int i = 0; i < 1000; i += 2) {
        struct tflow f;
        tflow_init(&f, i & 2, 17, (uint16_t)(20000 + i), 53);
        assert_int_equal(feed(d, h[i], &f, 1, 0, pl, dns_msg(pl, "a.example.com", 0, 1)), DPI_DONE);
    }
    for (int i = 0; i < 1000; i++)
        dpi_state_free(d, h[i]);
    dpi_get_stats(d, &s);
    assert_int_equal(s.states_in_use, 0);
    assert_int_equal(s.flows_done, 500);
    dpi_free(d);
}

/* ---- measurement (no assertions about time) ---------------------------- */

/* CPU time of this thread: the machine may be shared, and wall time would
 * count the time other processes ran. */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Heap bytes in use (glibc). */
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

enum kind { K_HTTP, K_TLS, K_DNS, K_RANDOM_UDP, K_RANDOM_TCP, K__COUNT };
static const char *const kind_names[K__COUNT] = {"http", "tls", "dns", "random-udp", "random-tcp"};

/* One whole flow of the given kind: alloc, feed until DONE, result, free.
 * Returns the packets fed. */
static unsigned run_flow(struct dpi *d, enum kind k, unsigned i, uint64_t *seed)
{
    struct tflow f;
    uint8_t pl[600];
    struct dpi_result r;
    unsigned n = 0;
    int32_t st = dpi_state_alloc(d);
    assert_true(st >= 0);
    int v6 = (int)(i & 1);
    switch (k) {
    case K_HTTP:
        tflow_init(&f, v6, 6, (uint16_t)(10000 + i % 50000), 80);
        handshake(d, st, &f);
        n = 4;
        feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl, http_get(pl, sizeof(pl), "www.example.com"));
        break;
    case K_TLS:
        tflow_init(&f, v6, 6, (uint16_t)(10000 + i % 50000), 443);
        handshake(d, st, &f);
        n = 4;
        feed(d, st, &f, 1, TCP_PSH | TCP_ACK, pl, client_hello(pl, "www.google.com"));
        break;
    case K_DNS:
        tflow_init(&f, v6, 17, (uint16_t)(10000 + i % 50000), 53);
        n = 1;
        feed(d, st, &f, 1, 0, pl, dns_msg(pl, "www.example.org", 0, v6 ? 28 : 1));
        break;
    case K_RANDOM_UDP:
    case K_RANDOM_TCP:
        tflow_init(&f, v6, k == K_RANDOM_UDP ? 17 : 6, (uint16_t)(10000 + i % 20000), 40001);
        if (k == K_RANDOM_TCP) {
            handshake(d, st, &f);
            n = 3;
        }
        for (;;) {
            random_bytes(pl, 400, seed);
            pl[0] = 0xfe;
            n++;
            if (feed(d, st, &f, (int)(n & 1), k == K_RANDOM_TCP ? TCP_PSH | TCP_ACK : 0, pl, 400) ==
                DPI_DONE)
                break;
            assert_true(n < 40);
        }
        break;
    default: break;
    }
    dpi_result(d, st, &r);
    dpi_state_free(d, st);
    return n;
}

static void test_measure(void **state)
{
    (void)state;
    unsigned flows = 2000;
    const char *env = getenv("V6M_DPI_BENCH");
    uint64_t v;
    if (env && util_parse_u64(env, &v) && v > 0 && v < 100000000)
        flows = (unsigned)v;

    size_t heap0 = heap_in_use();
    uint32_t mem0 = ndpi_get_tot_allocated_memory();
    double t0 = now_s();
    struct dpi *d = dpi_new(NULL, NULL, 0);
    double t_init = now_s() - t0;
    assert_non_null(d);
    uint32_t mem_mod = ndpi_get_tot_allocated_memory() - mem0;
    size_t heap_mod = heap_in_use() - heap0;

    struct dpi_stats s;
    dpi_get_stats(d, &s);
    /* mallinfo2() does not see allocations under ASan: then 0. */
    print_message("dpi: sizeof(struct ndpi_flow_struct) %zu, bytes per state %zu; "
                  "dpi_new %.0f ms CPU, nDPI allocated %u bytes, heap in use after "
                  "dpi_new +%zu bytes\n",
                  sizeof(struct ndpi_flow_struct), s.bytes_per_state, t_init * 1e3, mem_mod,
                  heap_mod);

    uint64_t seed = 0x5eed;
    unsigned long long tot_pk = 0;
    double tot_t = 0;
    for (int k = 0; k < K__COUNT; k++) {
        /* Bytes nDPI allocates inside one flow of this kind (counter only
         * grows; released again at DONE). */
        uint32_t m0 = ndpi_get_tot_allocated_memory();
        run_flow(d, (enum kind)k, 1, &seed);
        uint32_t per_flow = ndpi_get_tot_allocated_memory() - m0;

        unsigned long long pk = 0;
        double a = now_s();
        for (unsigned i = 0; i < flows; i++)
            pk += run_flow(d, (enum kind)k, i, &seed);
        double t = now_s() - a;
        tot_pk += pk;
        tot_t += t;
        print_message("dpi: %-10s %6u flows %7llu packets %8.3f s CPU %9.0f packets/s  "
                      "%6.0f ns/packet  nDPI heap per flow %u B\n",
                      kind_names[k], flows, pk, t, (double)pk / t, t * 1e9 / (double)pk, per_flow);
    }
    print_message("dpi: mix (equal flows of each kind, packet construction included): "
                  "%.0f packets/s, %.0f ns/packet\n",
                  (double)tot_pk / tot_t, tot_t * 1e9 / (double)tot_pk);
    dpi_get_stats(d, &s);
    assert_int_equal(s.states_in_use, 0);
    assert_int_equal(s.flows_done + s.flows_given_up, (uint64_t)(flows + 1) * K__COUNT);
    dpi_free(d);
}

int main(void)
{
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(test_http_v4),
        cmocka_unit_test(test_http_v6),
        cmocka_unit_test(test_http_app),
        cmocka_unit_test(test_tls_v4),
        cmocka_unit_test(test_tls_v6),
        cmocka_unit_test(test_tls_cn_apps),
        cmocka_unit_test(test_tls_unknown_host),
        cmocka_unit_test(test_tls_split_and_foreign_l4),
        cmocka_unit_test(test_dns_query_v6),
        cmocka_unit_test(test_dns_response_v4),
        cmocka_unit_test(test_random_gives_up),
        cmocka_unit_test(test_result_before_done),
        cmocka_unit_test(test_address_guess_ipv4_only),
        cmocka_unit_test(test_unusable_packets),
    };
    const struct CMUnitTest own[] = {
        cmocka_unit_test(test_max_packets_config),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_pool_chunks),
        cmocka_unit_test(test_measure),
    };
    int fails = cmocka_run_group_tests_name("dpi", shared, setup, teardown);
    fails += cmocka_run_group_tests_name("dpi_own", own, NULL, NULL);
    return fails;
}
