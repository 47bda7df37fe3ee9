/*
 * test_tls.c - ClientHello SNI (lib/classify/tls.c): bare handshake
 * messages, record streams, reassembly across TCP segments.
 *
 * Inputs:
 *   - two ClientHellos made by OpenSSL 3.0 (Python ssl, MemoryBIO, one with
 *     server_hostname "www.Example.com", one without); tshark 4.0 decodes
 *     the first as server_name "www.Example.com", extension order
 *     0,11,10,35,22,23,13,43,45,51,21; both end in a padding extension of
 *     zeros, stored here as the bytes before it plus a zero count;
 *   - a Chrome-like ClientHello written field by field below (GREASE
 *     values, an X25519MLKEM768 key share, a GREASE ECH extension, the
 *     server_name near the end), 1671 bytes like a post-quantum hello; checked
 *     once with tshark (server_name public.example.net, no expert warnings).
 * Expected offsets are computed by hand or found by searching the test
 * bytes for the name; nothing uses the parser to build its input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/tls.h"

static const uint8_t openssl_sni_head[295] = {
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xdd, 0x07, 0x6b, 0xb2, 0x67,
    0x4f, 0x6d, 0x7c, 0x19, 0x17, 0x01, 0x7f, 0x4d, 0x1d, 0x31, 0x00, 0xb3, 0x2f, 0xa0, 0xda, 0x86,
    0x8a, 0xa5, 0x9c, 0x52, 0xd5, 0xaa, 0x0e, 0x64, 0x82, 0xb5, 0x96, 0x20, 0xb3, 0x7e, 0xbe, 0x2e,
    0xee, 0x44, 0x11, 0xbe, 0xf5, 0xbe, 0x86, 0x45, 0x67, 0xc7, 0x97, 0xfe, 0x55, 0x99, 0x2a, 0xbb,
    0x9c, 0x23, 0x9d, 0xcc, 0x43, 0x31, 0x09, 0xcd, 0x57, 0xec, 0x98, 0x26, 0x00, 0x24, 0x13, 0x02,
    0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8,
    0xc0, 0x24, 0xc0, 0x28, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x9f, 0x00, 0x9e, 0x00, 0x6b, 0x00, 0x67,
    0x00, 0xff, 0x01, 0x00, 0x01, 0x8f, 0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77,
    0x77, 0x77, 0x2e, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x0b,
    0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17,
    0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04,
    0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a,
    0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
    0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03,
    0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03,
    0x04, 0x03, 0x03, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00,
    0x1d, 0x00, 0x20, 0x4e, 0x68, 0x73, 0x1f, 0x54, 0xd3, 0x7f, 0xa0, 0xc8, 0x5c, 0xcd, 0x61, 0x68,
    0x26, 0x96, 0x29, 0x12, 0x67, 0x17, 0xfc, 0xd9, 0x12, 0x3a, 0xc9, 0x70, 0xa9, 0x48, 0xab, 0xd2,
    0xc4, 0x89, 0x2f, 0x00, 0x15, 0x00, 0xde,
};
#define OPENSSL_SNI_PAD 222

static const uint8_t openssl_nosni_head[271] = {
    0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xf1, 0x0d, 0x5c, 0xeb, 0x59,
    0x33, 0xa7, 0x77, 0xca, 0xda, 0xc8, 0xce, 0xf4, 0x93, 0xaa, 0x6e, 0x86, 0x56, 0xd5, 0x0a, 0x7f,
    0x34, 0x06, 0x41, 0x66, 0xff, 0x76, 0x3d, 0xe2, 0x63, 0x03, 0xc8, 0x20, 0xd2, 0xc3, 0x5e, 0x6d,
    0xc6, 0x39, 0x64, 0xe5, 0x58, 0xf1, 0x29, 0xf1, 0x94, 0xfd, 0xf0, 0xc1, 0x75, 0x98, 0x76, 0x71,
    0xa6, 0x49, 0xe3, 0xed, 0x0c, 0x0f, 0xda, 0x4d, 0x1d, 0x4c, 0xf8, 0x32, 0x00, 0x24, 0x13, 0x02,
    0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8,
    0xc0, 0x24, 0xc0, 0x28, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x9f, 0x00, 0x9e, 0x00, 0x6b, 0x00, 0x67,
    0x00, 0xff, 0x01, 0x00, 0x01, 0x8f, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a,
    0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00,
    0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00,
    0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03,
    0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06,
    0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
    0x06, 0x02, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03, 0x00, 0x2d, 0x00, 0x02, 0x01,
    0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x3a, 0x2a, 0x9f, 0xe5, 0xea,
    0xbc, 0x80, 0xa8, 0x99, 0x01, 0x58, 0x24, 0xcf, 0x83, 0xf3, 0x9f, 0x4f, 0x2b, 0x5a, 0xb2, 0xa3,
    0x4b, 0x85, 0x67, 0xe2, 0x0f, 0x0d, 0x77, 0x50, 0x62, 0x1d, 0x14, 0x00, 0x15, 0x00, 0xf6,
};
#define OPENSSL_NOSNI_PAD 246

#define OPENSSL_HELLO_LEN 517
/* End of "www.Example.com" in the record stream: record header 5,
 * handshake header 4, version 2, random 32, session id 1 + 32, cipher
 * suites 2 + 36, compression 1 + 1, extensions length 2, server_name
 * extension header 4, list length 2, name type 1, name length 2, name 15. */
#define OPENSSL_SNI_END 142

struct w {
    uint8_t b[24576];
    size_t n;
};
static void w_u8(struct w *w, unsigned v) { w->b[w->n++] = (uint8_t)v; }
static void w_u16(struct w *w, unsigned v) { w_u8(w, v >> 8); w_u8(w, v & 0xff); }
static void w_fill(struct w *w, unsigned v, size_t n)
{
    memset(w->b + w->n, (int)v, n);
    w->n += n;
}
static void w_bytes(struct w *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void w_str(struct w *w, const char *s) { w_bytes(w, s, strlen(s)); }
/* Length fields patched once their content is written. */
static size_t w_begin(struct w *w, unsigned width)
{
    size_t at = w->n;
    w_fill(w, 0, width);
    return at;
}
static void w_end(struct w *w, size_t at, unsigned width)
{
    size_t v = w->n - at - width;
    for (unsigned i = 0; i < width; i++)
        w->b[at + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static void openssl_hello(struct w *w, bool with_sni)
{
    w->n = 0;
    if (with_sni) {
        w_bytes(w, openssl_sni_head, sizeof(openssl_sni_head));
        w_fill(w, 0, OPENSSL_SNI_PAD);
    } else {
        w_bytes(w, openssl_nosni_head, sizeof(openssl_nosni_head));
        w_fill(w, 0, OPENSSL_NOSNI_PAD);
    }
    assert_int_equal(w->n, OPENSSL_HELLO_LEN);
    assert_int_equal(w->b[3] << 8 | w->b[4], OPENSSL_HELLO_LEN - 5);
}

enum {
    H_PLAIN = 0,
    H_DUP_SNI = 1,          /* a second server_name extension */
    H_TWO_HOSTS = 2,        /* two host_name entries in one list */
    H_NO_SNI = 4,
    H_OTHER_TYPE_FIRST = 8, /* an entry of an unknown name_type first */
    H_SID33 = 16,           /* a 33-byte legacy_session_id (max is 32) */
    H_ODD_SUITES = 32,      /* cipher_suites of odd length */
};

static void w_server_name(struct w *w, const char *name, unsigned flags)
{
    w_u16(w, 0x0000);
    size_t e = w_begin(w, 2);
    size_t l = w_begin(w, 2);
    if (flags & H_OTHER_TYPE_FIRST) { /* an unknown name_type entry */
        w_u8(w, 7);
        w_u16(w, 3);
        w_str(w, "abc");
    }
    w_u8(w, 0);
    w_u16(w, (unsigned)strlen(name));
    w_str(w, name);
    if (flags & H_TWO_HOSTS) {
        w_u8(w, 0);
        w_u16(w, 5);
        w_str(w, "b.com");
    }
    w_end(w, l, 2);
    w_end(w, e, 2);
}

/* Chrome-like bare handshake message (no record header). */
static void chrome_hello(struct w *w, const char *name, unsigned flags)
{
    w->n = 0;
    w_u8(w, 1);
    size_t hl = w_begin(w, 3);
    w_u16(w, 0x0303);
    w_fill(w, 0x11, 32); /* random */
    unsigned sid = (flags & H_SID33) ? 33 : 32;
    w_u8(w, sid);
    w_fill(w, 0x22, sid); /* legacy_session_id */
    const unsigned suites[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                               0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009c, 0x002f};
    w_u16(w, 2 * 12 + ((flags & H_ODD_SUITES) ? 1 : 0));
    for (unsigned i = 0; i < 12; i++)
        w_u16(w, suites[i]);
    if (flags & H_ODD_SUITES)
        w_u8(w, 0x13);
    w_u8(w, 1);
    w_u8(w, 0);
    size_t el = w_begin(w, 2);
    w_u16(w, 0x2a2a); /* GREASE, empty */
    w_u16(w, 0);
    w_u16(w, 0x0017); /* extended_master_secret */
    w_u16(w, 0);
    w_u16(w, 0xff01); /* renegotiation_info */
    w_u16(w, 1);
    w_u8(w, 0);
    w_u16(w, 0x000a); /* supported_groups: GREASE, X25519MLKEM768, x25519, p256 */
    w_u16(w, 10);
    w_u16(w, 8);
    w_u16(w, 0x4a4a);
    w_u16(w, 0x11ec);
    w_u16(w, 0x001d);
    w_u16(w, 0x0017);
    w_u16(w, 0x0010); /* ALPN h2, http/1.1 */
    w_u16(w, 14);
    w_u16(w, 12);
    w_u8(w, 2);
    w_str(w, "h2");
    w_u8(w, 8);
    w_str(w, "http/1.1");
    w_u16(w, 0x0033); /* key_share */
    size_t ks = w_begin(w, 2);
    size_t ksl = w_begin(w, 2);
    w_u16(w, 0x4a4a);
    w_u16(w, 1);
    w_u8(w, 0);
    w_u16(w, 0x11ec);
    w_u16(w, 1216);
    w_fill(w, 0x5c, 1216);
    w_u16(w, 0x001d);
    w_u16(w, 32);
    w_fill(w, 0x6d, 32);
    w_end(w, ksl, 2);
    w_end(w, ks, 2);
    w_u16(w, 0x002d); /* psk_key_exchange_modes: psk_dhe_ke */
    w_u16(w, 2);
    w_u8(w, 1);
    w_u8(w, 1);
    w_u16(w, 0x001b); /* compress_certificate: brotli */
    w_u16(w, 3);
    w_u8(w, 2);
    w_u16(w, 2);
    w_u16(w, 0x002b); /* supported_versions: GREASE, 1.3, 1.2 */
    w_u16(w, 7);
    w_u8(w, 6);
    w_u16(w, 0x3a3a);
    w_u16(w, 0x0304);
    w_u16(w, 0x0303);
    w_u16(w, 0xfe0d); /* GREASE encrypted_client_hello (outer) */
    size_t ech = w_begin(w, 2);
    w_u8(w, 0);        /* outer */
    w_u16(w, 0x0001);  /* HKDF-SHA256 */
    w_u16(w, 0x0001);  /* AES-128-GCM */
    w_u8(w, 0x9e);     /* config_id */
    w_u16(w, 32);
    w_fill(w, 0x7e, 32); /* enc */
    w_u16(w, 144);
    w_fill(w, 0x8f, 144); /* payload */
    w_end(w, ech, 2);
    if (!(flags & H_NO_SNI))
        w_server_name(w, name, flags);
    w_u16(w, 0x000d); /* signature_algorithms */
    w_u16(w, 8);
    w_u16(w, 6);
    w_u16(w, 0x0403);
    w_u16(w, 0x0804);
    w_u16(w, 0x0401);
    if (flags & H_DUP_SNI)
        w_server_name(w, "second.example", 0);
    w_u16(w, 0x1a1a); /* GREASE, one byte */
    w_u16(w, 1);
    w_u8(w, 0);
    w_end(w, el, 2);
    w_end(w, hl, 3);
}

/* Frame a handshake message into records cut at the given offsets. */
static void frame(struct w *out, const uint8_t *hs, size_t n, const size_t *cuts, size_t ncuts)
{
    out->n = 0;
    size_t from = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : n;
        w_u8(out, 22);
        w_u16(out, 0x0301);
        w_u16(out, (unsigned)(to - from));
        w_bytes(out, hs + from, to - from);
        from = to;
    }
}

/* Offset just after the first occurrence of name in b[0..n). */
static size_t end_of(const uint8_t *b, size_t n, const char *name)
{
    const uint8_t *p = memmem(b, n, name, strlen(name));
    assert_non_null(p);
    return (size_t)(p - b) + strlen(name);
}

static enum tls_status rec(const uint8_t *b, size_t n, char *sni)
{
    /* exact-size copy so ASan catches any overread */
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, b, n);
    enum tls_status st = tls_records_sni(c, n, sni, CLASSIFY_NAME_MAX);
    free(c);
    return st;
}

static enum tls_status bare(const uint8_t *b, size_t n, char *sni)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    memcpy(c, b, n);
    enum tls_status st = tls_client_hello_sni(c, n, sni, CLASSIFY_NAME_MAX);
    free(c);
    return st;
}

static void tls_openssl_hellos(void **state)
{
    (void)state;
    static struct w w;
    char sni[CLASSIFY_NAME_MAX];
    openssl_hello(&w, true);
    assert_int_equal(end_of(w.b, w.n, "www.Example.com"), OPENSSL_SNI_END);
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "www.example.com");
    assert_int_equal(bare(w.b + 5, w.n - 5, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "www.example.com");
    /* trailing bytes after the ClientHello (next record) are not looked at */
    w_u8(&w, 0x14);
    w_u16(&w, 0x0303);
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_FOUND);

    openssl_hello(&w, false);
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_NONE);
    assert_string_equal(sni, "");
    assert_int_equal(bare(w.b + 5, w.n - 5, sni), TLS_SNI_NONE);
}

/* Every prefix: NEED_MORE until the server_name extension is complete,
 * then FOUND (the early answer); without SNI NEED_MORE until the very end. */
static void tls_every_prefix(void **state)
{
    (void)state;
    static struct w w, h;
    char sni[CLASSIFY_NAME_MAX];
    openssl_hello(&w, true);
    for (size_t n = 0; n <= w.n; n++) {
        enum tls_status st = rec(w.b, n, sni);
        assert_int_equal(st, n < OPENSSL_SNI_END ? TLS_SNI_NEED_MORE : TLS_SNI_FOUND);
        assert_string_equal(sni, n < OPENSSL_SNI_END ? "" : "www.example.com");
        if (n >= 5)
            assert_int_equal(bare(w.b + 5, n - 5, sni), st);
    }
    openssl_hello(&w, false);
    for (size_t n = 0; n < w.n; n++) {
        assert_int_equal(rec(w.b, n, sni), TLS_SNI_NEED_MORE);
        if (n >= 5)
            assert_int_equal(bare(w.b + 5, n - 5, sni), TLS_SNI_NEED_MORE);
    }
    /* Chrome-like, split into 3 records: the same rule on every prefix */
    chrome_hello(&h, "Public.Example.NET", H_PLAIN);
    const size_t cuts[2] = {700, 1400};
    frame(&w, h.b, h.n, cuts, 2);
    size_t e = end_of(w.b, w.n, "Public.Example.NET");
    for (size_t n = 0; n <= w.n; n++) {
        assert_int_equal(rec(w.b, n, sni), n < e ? TLS_SNI_NEED_MORE : TLS_SNI_FOUND);
    }
}

static void tls_chrome_like(void **state)
{
    (void)state;
    static struct w h, w;
    char sni[CLASSIFY_NAME_MAX];
    chrome_hello(&h, "Public.Example.NET", H_PLAIN);
    /* by hand: 99 bytes before the extensions + 2 length + extensions
     * 4+4+5+14+18+1267+6+7+11+190+27+12+5 = 1570 (27 = server_name with an
     * 18-character name) */
    assert_int_equal(h.n, 1671);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "public.example.net");
    frame(&w, h.b, h.n, NULL, 0);
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "public.example.net");

    chrome_hello(&h, "", H_NO_SNI);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_NONE);
    chrome_hello(&h, "x.example.", H_OTHER_TYPE_FIRST); /* trailing dot dropped */
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "x.example");

    /* names that are not names: NONE, the hello itself is fine */
    const char *bad[] = {"192.0.2.1", "bad name.example", "a..b", "caf\xc3\xa9.example",
                         "[2001:db8::1]", "host.example:443"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        chrome_hello(&h, bad[i], H_PLAIN);
        assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_NONE);
        assert_string_equal(sni, "");
    }
    char longname[300];
    memset(longname, 'a', 299);
    longname[299] = '\0';
    chrome_hello(&h, longname, H_PLAIN);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_NONE);
    /* fits the rules but not the caller's buffer */
    chrome_hello(&h, "abcdefgh.example", H_PLAIN);
    char small[8];
    assert_int_equal(tls_client_hello_sni(h.b, h.n, small, sizeof(small)), TLS_SNI_NONE);
    assert_string_equal(small, "");
}

static void tls_split_records(void **state)
{
    (void)state;
    static struct w h, w;
    char sni[CLASSIFY_NAME_MAX];
    openssl_hello(&h, true);
    const uint8_t *hs = h.b + 5;
    size_t n = h.n - 5;
    /* two records, cut at every byte (inside the handshake header, inside
     * length fields, inside the name) */
    for (size_t a = 1; a < n; a++) {
        frame(&w, hs, n, &a, 1);
        assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_FOUND);
        assert_string_equal(sni, "www.example.com");
    }
    /* three records */
    for (size_t a = 1; a < n; a += 3) {
        for (size_t b = a + 1; b < n; b += 7) {
            size_t cuts[2] = {a, b};
            frame(&w, hs, n, cuts, 2);
            assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_FOUND);
        }
    }
    /* a 1-byte record for each of the first 150 bytes */
    size_t cuts[150];
    for (size_t i = 0; i < 150; i++)
        cuts[i] = i + 1;
    frame(&w, hs, n, cuts, 150);
    assert_int_equal(w.n, n + 151 * 5);
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "www.example.com");
}

static void tls_malformed(void **state)
{
    (void)state;
    static struct w h, w;
    char sni[CLASSIFY_NAME_MAX];

    /* offsets in the OpenSSL record stream: session id length at 43,
     * cipher suites length at 76, extensions length at 116, server_name
     * list length at 122, handshake length at 6..8 */
    openssl_hello(&w, true);
    w.b[43] = 33;
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    openssl_hello(&w, true);
    w.b[77] = 35; /* odd cipher suites length */
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    openssl_hello(&w, true);
    w.b[77] = 0; /* empty cipher suites */
    w.b[76] = 0;
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    openssl_hello(&w, true);
    w.b[117]++; /* extensions longer than the body */
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    openssl_hello(&w, true);
    w.b[117]--; /* shorter: a byte left over after the extensions */
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    openssl_hello(&w, true);
    w.b[123]++; /* server_name list length != extension length - 2 */
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    assert_string_equal(sni, "");
    openssl_hello(&w, true);
    w.b[123]--; /* and shorter */
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    openssl_hello(&w, true);
    w.b[8] = 0x50; /* handshake length 0x150 < its content */
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    openssl_hello(&w, true);
    w.b[114] = 0; /* compression methods length 0 */
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);

    /* duplicate server_name, two host_names, an empty host_name */
    chrome_hello(&h, "a.example", H_DUP_SNI);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_MALFORMED);
    chrome_hello(&h, "a.example", H_TWO_HOSTS);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_MALFORMED);
    chrome_hello(&h, "", H_PLAIN);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_MALFORMED);
    /* otherwise consistent hellos with one bad field */
    chrome_hello(&h, "a.example", H_SID33);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_MALFORMED);
    chrome_hello(&h, "a.example", H_ODD_SUITES);
    assert_int_equal(bare(h.b, h.n, sni), TLS_SNI_MALFORMED);

    /* record layer: the second record of another type, of version 2,
     * empty, or over 2^14 bytes */
    openssl_hello(&h, true);
    size_t cut = 60;
    frame(&w, h.b + 5, h.n - 5, &cut, 1);
    size_t r2 = 5 + cut;
    w.b[r2] = 21;
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    assert_int_equal(rec(w.b, r2 + 1, sni), TLS_SNI_MALFORMED); /* seen on its first byte */
    frame(&w, h.b + 5, h.n - 5, &cut, 1);
    w.b[r2 + 1] = 2;
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    frame(&w, h.b + 5, h.n - 5, &cut, 1);
    w.b[r2 + 3] = 0x40;
    w.b[r2 + 4] = 0x01;
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    const size_t cuts2[2] = {60, 60}; /* an empty record between two */
    frame(&w, h.b + 5, h.n - 5, cuts2, 2);
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_MALFORMED);
    const uint8_t empty_first[] = {22, 3, 1, 0, 0, 1, 0, 0};
    assert_int_equal(rec(empty_first, sizeof(empty_first), sni), TLS_SNI_MALFORMED);
}

static void tls_not_client_hello(void **state)
{
    (void)state;
    static struct w w;
    char sni[CLASSIFY_NAME_MAX];
    const uint8_t appdata[] = {0x17, 0x03, 0x03, 0x00, 0x10};
    const uint8_t sslv2[] = {0x80, 0x2e, 0x01, 0x03, 0x01};
    const uint8_t notver3[] = {0x16, 0x02, 0x00};
    const uint8_t http[] = "GET / HTTP/1.1\r\n";
    const uint8_t server_hello[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x02, 0x00, 0x00, 0x00};
    assert_int_equal(rec(appdata, sizeof(appdata), sni), TLS_SNI_NONE);
    assert_int_equal(rec(sslv2, sizeof(sslv2), sni), TLS_SNI_NONE);
    assert_int_equal(rec(notver3, sizeof(notver3), sni), TLS_SNI_NONE);
    assert_int_equal(rec(http, sizeof(http) - 1, sni), TLS_SNI_NONE);
    assert_int_equal(rec(server_hello, sizeof(server_hello), sni), TLS_SNI_NONE);
    assert_int_equal(bare(server_hello + 5, 4, sni), TLS_SNI_NONE);
    assert_int_equal(rec(notver3, 1, sni), TLS_SNI_NEED_MORE);
    assert_int_equal(rec(notver3, 0, sni), TLS_SNI_NEED_MORE);
    assert_int_equal(bare(notver3, 0, sni), TLS_SNI_NEED_MORE);

    /* TLS 1.2 ClientHello without any extension */
    w.n = 0;
    w_u8(&w, 22);
    w_u16(&w, 0x0301);
    w_u16(&w, 4 + 2 + 32 + 1 + 2 + 2 + 2);
    w_u8(&w, 1);
    w_u8(&w, 0);
    w_u16(&w, 2 + 32 + 1 + 2 + 2 + 2);
    w_u16(&w, 0x0303);
    w_fill(&w, 0x33, 32);
    w_u8(&w, 0);
    w_u16(&w, 2);
    w_u16(&w, 0x002f);
    w_u8(&w, 1);
    w_u8(&w, 0);
    assert_int_equal(rec(w.b, w.n, sni), TLS_SNI_NONE);
    for (size_t n = 0; n < w.n; n++)
        assert_int_equal(rec(w.b, n, sni), TLS_SNI_NEED_MORE);
}

/* Feed segments of a record stream; returns the status of the last one. */
struct seg {
    size_t off, len;
};
static enum tls_status feed(struct tls_reasm *r, uint32_t isn, const uint8_t *s, struct seg g,
                            char *sni)
{
    return tls_reasm_feed(r, isn + (uint32_t)g.off, s + g.off, g.len, sni, CLASSIFY_NAME_MAX);
}

static void tls_reasm_orders(void **state)
{
    (void)state;
    static struct w h, w;
    static struct tls_reasm r;
    char sni[CLASSIFY_NAME_MAX];
    chrome_hello(&h, "Public.Example.NET", H_PLAIN);
    frame(&w, h.b, h.n, NULL, 0);
    size_t total = w.n;
    size_t e = end_of(w.b, w.n, "Public.Example.NET");
    assert_true(e > 1448); /* the name is in the second 1448-byte segment */

    /* in order, 2 segments (MSS 1448), sequence numbers wrapping */
    const uint32_t isn = 0xfffffc00u;
    struct seg s1 = {0, 1448}, s2 = {1448, total - 1448};
    tls_reasm_init(&r);
    assert_int_equal(feed(&r, isn, w.b, s1, sni), TLS_SNI_NEED_MORE);
    assert_string_equal(sni, "");
    assert_int_equal(feed(&r, isn, w.b, s2, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "public.example.net");
    /* done: the same answer again, bytes ignored */
    assert_int_equal(tls_reasm_feed(&r, 5, (const uint8_t *)"zz", 2, sni, sizeof(sni)),
                     TLS_SNI_FOUND);
    assert_string_equal(sni, "public.example.net");

    /* 3 segments with a retransmission and an overlap */
    struct seg a = {0, 600}, b = {600, 700}, bo = {1000, 500}, c = {1300, total - 1300};
    tls_reasm_init(&r);
    assert_int_equal(feed(&r, 1000, w.b, a, sni), TLS_SNI_NEED_MORE);
    assert_int_equal(feed(&r, 1000, w.b, a, sni), TLS_SNI_NEED_MORE); /* again */
    assert_int_equal(feed(&r, 1000, w.b, b, sni), TLS_SNI_NEED_MORE);
    assert_int_equal(r.len, 1300);
    assert_int_equal(feed(&r, 1000, w.b, bo, sni), TLS_SNI_NEED_MORE); /* 200 new bytes */
    assert_int_equal(r.len, 1500);
    assert_int_equal(feed(&r, 1000, w.b, c, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "public.example.net");

    /* out of order: c before b is dropped; b then c (retransmitted) */
    tls_reasm_init(&r);
    assert_int_equal(feed(&r, 7, w.b, a, sni), TLS_SNI_NEED_MORE);
    assert_int_equal(feed(&r, 7, w.b, c, sni), TLS_SNI_NEED_MORE);
    assert_int_equal(r.len, 600);
    assert_int_equal(feed(&r, 7, w.b, b, sni), TLS_SNI_NEED_MORE);
    assert_int_equal(feed(&r, 7, w.b, c, sni), TLS_SNI_FOUND);
    assert_string_equal(sni, "public.example.net");

    /* byte by byte: FOUND exactly at the byte that completes the name */
    tls_reasm_init(&r);
    for (size_t i = 0; i < total; i++) {
        struct seg one = {i, 1};
        enum tls_status st = feed(&r, 99, w.b, one, sni);
        assert_int_equal(st, i + 1 < e ? TLS_SNI_NEED_MORE : TLS_SNI_FOUND);
        if (st == TLS_SNI_FOUND)
            break;
    }

    /* an empty segment does not start the stream */
    tls_reasm_init(&r);
    assert_int_equal(tls_reasm_feed(&r, 1, w.b, 0, sni, sizeof(sni)), TLS_SNI_NEED_MORE);
    assert_int_equal(tls_reasm_feed(&r, 50, w.b, total, sni, sizeof(sni)), TLS_SNI_FOUND);
}

static void tls_reasm_final_states(void **state)
{
    (void)state;
    static struct w w;
    static struct tls_reasm r;
    char sni[CLASSIFY_NAME_MAX];

    /* not TLS: NONE at once, and stays NONE */
    tls_reasm_init(&r);
    assert_int_equal(tls_reasm_feed(&r, 1, (const uint8_t *)"GET /", 5, sni, sizeof(sni)),
                     TLS_SNI_NONE);
    openssl_hello(&w, true);
    assert_int_equal(tls_reasm_feed(&r, 6, w.b, w.n, sni, sizeof(sni)), TLS_SNI_NONE);

    /* a ClientHello claiming 20000 bytes: give up once 8192 are held */
    w.n = 0;
    w_u8(&w, 22);
    w_u16(&w, 0x0301);
    w_u16(&w, 16384);
    w_u8(&w, 1);
    w_u8(&w, 0); /* handshake length 20000 = 0x004e20 */
    w_u16(&w, 20000);
    w_u16(&w, 0x0303);
    w_fill(&w, 0x44, 32);
    w_u8(&w, 0);
    w_u16(&w, 2);
    w_u16(&w, 0x1301);
    w_u8(&w, 1);
    w_u8(&w, 0);
    w_u16(&w, 20000 - 43); /* extensions fill the rest */
    w_u16(&w, 0x1234);
    w_u16(&w, 20000 - 47);
    w_fill(&w, 0x55, 5 + 16384 - w.n);
    assert_int_equal(w.n, 5 + 16384);
    tls_reasm_init(&r);
    size_t off = 0;
    enum tls_status st = TLS_SNI_NEED_MORE;
    while (st == TLS_SNI_NEED_MORE && off < w.n) {
        st = tls_reasm_feed(&r, 1u + (uint32_t)off, w.b + off, 1460, sni, sizeof(sni));
        off += 1460;
    }
    assert_int_equal(st, TLS_SNI_MALFORMED);
    assert_int_equal(off, 1460 * 6); /* the 6th segment crosses 8192 */
    assert_int_equal(r.len, TLS_REASM_MAX);
    assert_int_equal(tls_reasm_feed(&r, 0, w.b, 10, sni, sizeof(sni)), TLS_SNI_MALFORMED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls_openssl_hellos),
        cmocka_unit_test(tls_every_prefix),
        cmocka_unit_test(tls_chrome_like),
        cmocka_unit_test(tls_split_records),
        cmocka_unit_test(tls_malformed),
        cmocka_unit_test(tls_not_client_hello),
        cmocka_unit_test(tls_reasm_orders),
        cmocka_unit_test(tls_reasm_final_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
