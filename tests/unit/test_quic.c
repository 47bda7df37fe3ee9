/*
 * test_quic.c - QUIC v1 Initial decryption and SNI (classify/quic.c) and the
 * ClientHello / Initial builders (synth/tlsbuild.c).
 *
 * Independent references:
 *   - RFC 9001 Appendix A.1 (client Initial keys of DCID 8394c8f03e515708)
 *     and A.2 (the protected 1200-byte client Initial whose ClientHello
 *     names example.com), copied from the RFC text;
 *   - the builder must reproduce the A.2 packet byte for byte from the A.2
 *     plaintext CRYPTO frame;
 *   - tshark (when installed) must read the SNI back from a pcap of our
 *     synthetic QUIC Initials and TLS records.
 * Round trips (builder -> parser) then cover two-datagram hellos in both
 * orders, coalesced packets, versions, corruption, truncation at every
 * length, the frame types of an Initial and the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify/dns.h"
#include "classify/quic.h"
#include "synth/tlsbuild.h"
#include "pktbuild.h"

static const char RFC9001_A2_PACKET[] =
    "c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11"
    "d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399"
    "1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c"
    "8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212"
    "30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5"
    "457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208"
    "4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec"
    "4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3"
    "485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db"
    "059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c"
    "7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8"
    "9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556"
    "be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74"
    "68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a"
    "c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00"
    "f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632"
    "291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964"
    "25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd"
    "14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff"
    "ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198"
    "e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd"
    "c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73"
    "203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f"
    "cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e"
    "fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade"
    "a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047"
    "90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2"
    "162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4"
    "40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0"
    "6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e"
    "8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0"
    "be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400"
    "54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab"
    "760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9"
    "f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4"
    "056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064"
    "7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241"
    "e221af44860018ab0856972e194cd934";
static const char RFC9001_A2_CRYPTO[] =
    "060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868"
    "04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578"
    "616d706c652e636f6dff01000100000a00080006001d00170018001000070005"
    "04616c706e000500050100000000003300260024001d00209370b2c9caa47fba"
    "baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400"
    "0d0010000e0403050306030203080408050806002d00020101001c0002400100"
    "3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000"
    "75300901100f088394c8f03e51570806048000ffff";

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        char two[3] = {h[0], h[1], 0};
        if (sscanf(two, "%2x", &v) != 1 || n == cap)
            fail_msg("bad hex");
        out[n++] = (uint8_t)v;
    }
    return n;
}

static const uint8_t RFC_DCID[8] = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
static const uint8_t DCID[8] = {0xd1, 0x5c, 0x1d, 0x00, 0x01, 0x02, 0x03, 0x04};
static const uint8_t SCID[3] = {0x5c, 0x1d, 0x07};

struct fx {
    struct quic_ctx *q;
    struct quic_initial_state st;
    char sni[CLASSIFY_NAME_MAX];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->q = quic_ctx_new();
    if (!f->q) {
        free(f);
        return -1;
    }
    quic_state_init(&f->st);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    quic_ctx_free(f->q);
    free(f);
    return 0;
}

static enum quic_status feed(struct fx *f, const uint8_t *d, size_t n)
{
    return quic_initial_feed(f->q, &f->st, d, n, f->sni, sizeof(f->sni));
}

static enum quic_status feed_fresh(struct fx *f, const uint8_t *d, size_t n)
{
    quic_state_init(&f->st);
    return feed(f, d, n);
}

/* A QUIC ClientHello for name; *name_at = offset of the name bytes in it. */
static size_t quic_hello(uint8_t *out, size_t cap, const char *name, size_t pad, uint64_t seed,
                         size_t *name_at)
{
    size_t n = tlsbuild_client_hello_quic(out, cap, name, pad, seed, SCID, sizeof(SCID));
    assert_true(n > 0);
    if (name_at) {
        const uint8_t *p = memmem(out, n, name, strlen(name));
        assert_non_null(p);
        *name_at = (size_t)(p - out);
    }
    return n;
}

/* The hello split over two padded Initials (pn 0 and 1); returns the
 * split offset. */
static size_t two_initials(const uint8_t *hello, size_t n, uint8_t *d1, size_t *l1,
                           uint8_t *d2, size_t *l2)
{
    size_t room = tlsbuild_quic_crypto_room(sizeof(DCID), sizeof(SCID), 0, 0, 1200);
    assert_true(room > 0 && room < n);
    *l1 = tlsbuild_quic_initial(d1, 1500, DCID, sizeof(DCID), SCID, sizeof(SCID), 0, hello,
                                room, 0, 1200);
    *l2 = tlsbuild_quic_initial(d2, 1500, DCID, sizeof(DCID), SCID, sizeof(SCID), 1,
                                hello + room, n - room, room, 1200);
    assert_int_equal(*l1, 1200); /* room fills the packet exactly */
    assert_int_equal(*l2, 1200);
    return room;
}

/* ---- RFC 9001 Appendix A ------------------------------------------------ */

static void rfc9001_a1_keys(void **state)
{
    struct fx *f = *state;
    struct quic_keys k;
    uint8_t want[16];
    assert_int_equal(quic_client_keys(f->q, RFC_DCID, sizeof(RFC_DCID), &k), 0);
    unhex("1f369613dd76d5467730efcbe3b1a22d", want, sizeof(want));
    assert_memory_equal(k.key, want, 16);
    unhex("fa044b2f42a3fd3b46fb255c", want, sizeof(want));
    assert_memory_equal(k.iv, want, 12);
    unhex("9f50449e04a0e810283a1e9933adedd2", want, sizeof(want));
    assert_memory_equal(k.hp, want, 16);
    /* a DCID longer than 20 bytes is refused */
    uint8_t big[21] = {0};
    assert_int_equal(quic_client_keys(f->q, big, sizeof(big), &k), -1);
}

static void rfc9001_a2_client_initial(void **state)
{
    struct fx *f = *state;
    uint8_t pkt[1300];
    size_t n = unhex(RFC9001_A2_PACKET, pkt, sizeof(pkt));
    assert_int_equal(n, 1200);
    assert_true(quic_looks_initial(pkt, n));
    assert_int_equal(feed_fresh(f, pkt, n), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, "example.com");
    assert_int_equal(f->st.dcid_len, 8);
    assert_memory_equal(f->st.dcid, RFC_DCID, 8);
    assert_int_equal(f->st.largest_pn, 2); /* the A.2 header says packet number 2 */
    /* final and sticky: the name comes back without looking at the bytes */
    assert_int_equal(feed(f, (const uint8_t *)"", 0), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, "example.com");
    /* a small name buffer: the name is rejected, not cut */
    char small[8];
    quic_state_init(&f->st);
    enum quic_status st = quic_initial_feed(f->q, &f->st, pkt, n, small, sizeof(small));
    assert_int_not_equal(st, QUIC_SNI_FOUND);
    assert_string_equal(small, "");
}

static void builder_reproduces_rfc9001_a2(void **state)
{
    (void)state;
    uint8_t want[1300], frames[300], out[1500];
    size_t wn = unhex(RFC9001_A2_PACKET, want, sizeof(want));
    size_t fn = unhex(RFC9001_A2_CRYPTO, frames, sizeof(frames));
    assert_int_equal(fn, 245);
    /* packet number 2 in 4 bytes, no SCID, padded to 1200 (1162-byte payload) */
    size_t n = tlsbuild_quic_initial_frames(out, sizeof(out), RFC_DCID, sizeof(RFC_DCID), NULL,
                                            0, 2, 4, frames, fn, 1200);
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, wn);
    /* the same through tlsbuild_quic_initial would differ only in the packet
     * number length; cap too small -> 0 */
    assert_int_equal(tlsbuild_quic_initial_frames(out, 1199, RFC_DCID, 8, NULL, 0, 2, 4, frames,
                                                  fn, 1200),
                     0);
}

/* ---- builders ------------------------------------------------------------ */

static void hello_layout(void **state)
{
    (void)state;
    uint8_t a[4096], b[4096];
    size_t n = tlsbuild_client_hello(a, sizeof(a), "www.example.org", 0, 7);
    assert_true(n > 200);
    /* handshake header, legacy version, 32-byte session id over TCP */
    assert_int_equal(a[0], 1);
    assert_int_equal(((size_t)a[1] << 16 | (size_t)a[2] << 8 | a[3]) + 4, n);
    assert_int_equal(a[4], 3);
    assert_int_equal(a[5], 3);
    assert_int_equal(a[38], 32);
    assert_non_null(memmem(a, n, "\x02h2\x08http/1.1", 12));
    /* deterministic, seed-dependent */
    assert_int_equal(tlsbuild_client_hello(b, sizeof(b), "www.example.org", 0, 7), n);
    assert_memory_equal(a, b, n);
    assert_int_equal(tlsbuild_client_hello(b, sizeof(b), "www.example.org", 0, 8), n);
    assert_memory_not_equal(a, b, n);
    /* QUIC: empty session id, h3, transport parameters with the SCID */
    size_t m = tlsbuild_client_hello_quic(b, sizeof(b), "www.example.org", 0, 7, SCID, 3);
    assert_true(m > 0);
    assert_int_equal(b[38], 0);
    assert_non_null(memmem(b, m, "\x02h3", 3));
    assert_non_null(memmem(b, m, "\x0f\x03\x5c\x1d\x07", 5));
    assert_non_null(memmem(b, m, "\x00\x39", 2));
    /* extra_pad grows the hello by the extension */
    assert_int_equal(tlsbuild_client_hello_quic(b, sizeof(b), "www.example.org", 1220, 7, SCID,
                                                3),
                     m + 1224);
    /* no SNI: the name is absent; too small a buffer: 0 */
    size_t k = tlsbuild_client_hello(b, sizeof(b), NULL, 0, 7);
    assert_true(k > 0 && k < n);
    assert_int_equal(tlsbuild_client_hello(b, n - 1, "www.example.org", 0, 7), 0);
}

static void records_split_at_16384(void **state)
{
    (void)state;
    static uint8_t hs[20000], out[20100];
    memset(hs, 0xab, sizeof(hs));
    size_t n = tlsbuild_records(out, sizeof(out), hs, sizeof(hs));
    assert_int_equal(n, sizeof(hs) + 10);
    assert_memory_equal(out, "\x16\x03\x01\x40\x00", 5);
    assert_memory_equal(out + 5 + 16384, "\x16\x03\x01\x0e\x20", 5); /* 3616 */
    assert_int_equal(tlsbuild_records(out, sizeof(hs) + 9, hs, sizeof(hs)), 0);
}

/* ---- round trips ---------------------------------------------------------- */

static void one_datagram(void **state)
{
    struct fx *f = *state;
    uint8_t hello[2048], d[1500];
    size_t n = quic_hello(hello, sizeof(hello), "one.example.net", 0, 1, NULL);
    size_t l = tlsbuild_quic_initial(d, sizeof(d), DCID, sizeof(DCID), SCID, sizeof(SCID), 0,
                                     hello, n, 0, 1200);
    assert_int_equal(l, 1200);
    assert_true(quic_looks_initial(d, l));
    assert_int_equal(d[0] & 0xf0, 0xc0);
    assert_int_equal(feed_fresh(f, d, l), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, "one.example.net");
    /* unpadded (pad_to 0) still decrypts */
    l = tlsbuild_quic_initial(d, sizeof(d), DCID, sizeof(DCID), NULL, 0, 0, hello, n, 0, 0);
    assert_true(l > n && l < 1200);
    assert_int_equal(feed_fresh(f, d, l), QUIC_SNI_FOUND);
    /* no SNI */
    n = tlsbuild_client_hello_quic(hello, sizeof(hello), NULL, 0, 1, SCID, 3);
    l = tlsbuild_quic_initial(d, sizeof(d), DCID, sizeof(DCID), SCID, 3, 0, hello, n, 0, 1200);
    assert_int_equal(feed_fresh(f, d, l), QUIC_SNI_NONE);
    assert_string_equal(f->sni, "");
}

/* A seed whose hello (padded with pad) has the name at or after `after`
 * (late = 1) or entirely before it (late = 0). */
static uint64_t seed_for(const char *name, size_t pad, size_t after, int late)
{
    uint8_t hello[8192];
    for (uint64_t seed = 1; seed < 500; seed++) {
        size_t at;
        quic_hello(hello, sizeof(hello), name, pad, seed, &at);
        if (late ? at >= after : at + strlen(name) + 64 < after)
            return seed;
    }
    fail_msg("no seed puts the name where wanted");
    return 0;
}

static void two_datagrams(void **state)
{
    struct fx *f = *state;
    const char *name = "two.example.net";
    uint8_t hello[4096], d1[1500], d2[1500];
    size_t l1, l2, at;
    size_t room = tlsbuild_quic_crypto_room(sizeof(DCID), sizeof(SCID), 0, 0, 1200);

    /* name in the second part: both datagrams are needed, in either order */
    uint64_t seed = seed_for(name, 1220, room, 1);
    size_t n = quic_hello(hello, sizeof(hello), name, 1220, seed, &at);
    assert_true(n > 1400);
    two_initials(hello, n, d1, &l1, d2, &l2);
    assert_int_equal(feed_fresh(f, d1, l1), QUIC_SNI_NEED_MORE);
    assert_string_equal(f->sni, "");
    assert_int_equal(feed(f, d2, l2), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, name);

    assert_int_equal(feed_fresh(f, d2, l2), QUIC_SNI_NEED_MORE);
    assert_int_equal(feed(f, d1, l1), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, name);

    /* a datagram fed twice changes nothing */
    assert_int_equal(feed_fresh(f, d1, l1), QUIC_SNI_NEED_MORE);
    assert_int_equal(feed(f, d1, l1), QUIC_SNI_NEED_MORE);
    assert_int_equal(feed(f, d2, l2), QUIC_SNI_FOUND);

    /* name complete in the first part: found without the second */
    seed = seed_for(name, 1220, room, 0);
    n = quic_hello(hello, sizeof(hello), name, 1220, seed, &at);
    two_initials(hello, n, d1, &l1, d2, &l2);
    assert_int_equal(feed_fresh(f, d1, l1), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, name);
}

/* Appends a fake long-header packet of type `type` (0-RTT 1, Handshake 2)
 * with `body` random-looking bytes. */
static size_t fake_long(uint8_t *out, unsigned type, size_t body)
{
    size_t n = 0;
    out[n++] = (uint8_t)(0xc0 | type << 4 | 1);
    memcpy(out + n, "\x00\x00\x00\x01", 4);
    n += 4;
    out[n++] = sizeof(DCID);
    memcpy(out + n, DCID, sizeof(DCID));
    n += sizeof(DCID);
    out[n++] = 0;
    out[n++] = (uint8_t)(0x40 | body >> 8);
    out[n++] = (uint8_t)body;
    for (size_t i = 0; i < body; i++)
        out[n++] = (uint8_t)(i * 37 + 11);
    return n;
}

static void coalesced_packets(void **state)
{
    struct fx *f = *state;
    const char *name = "co.example.net";
    uint8_t hello[4096], d[3000];
    size_t room = tlsbuild_quic_crypto_room(sizeof(DCID), sizeof(SCID), 0, 0, 1200);
    size_t n = quic_hello(hello, sizeof(hello), name, 1220, seed_for(name, 1220, room, 1), NULL);

    /* two Initials in one datagram */
    size_t a = tlsbuild_quic_initial(d, sizeof(d), DCID, 8, SCID, 3, 0, hello, 900, 0, 0);
    assert_true(a > 900);
    size_t b = tlsbuild_quic_initial(d + a, sizeof(d) - a, DCID, 8, SCID, 3, 1, hello + 900,
                                     n - 900, 900, 0);
    assert_true(b > 0);
    assert_int_equal(feed_fresh(f, d, a + b), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, name);

    /* Handshake and 0-RTT packets around them are skipped by their Length;
     * zero bytes after the last packet (datagram padding) end the walk */
    size_t m = fake_long(d, 2, 60);
    m += tlsbuild_quic_initial(d + m, sizeof(d) - m, DCID, 8, SCID, 3, 0, hello, n, 0, 0);
    m += fake_long(d + m, 1, 300);
    memset(d + m, 0, 40);
    m += 40;
    assert_int_equal(feed_fresh(f, d, m), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, name);

    /* a coalesced packet whose Length runs past the datagram */
    m = tlsbuild_quic_initial(d, sizeof(d), DCID, 8, SCID, 3, 0, hello, 900, 0, 0);
    size_t h = fake_long(d + m, 2, 60);
    assert_int_equal(feed_fresh(f, d, m + h - 1), QUIC_SNI_MALFORMED);
}

static void versions_and_not_quic(void **state)
{
    struct fx *f = *state;
    uint8_t hello[2048], d[1500], e[1500];
    size_t n = quic_hello(hello, sizeof(hello), "v.example.net", 0, 3, NULL);
    size_t l = tlsbuild_quic_initial(d, sizeof(d), DCID, 8, SCID, 3, 0, hello, n, 0, 1200);
    static const uint8_t versions[][4] = {
        {0x6b, 0x33, 0x43, 0xcf}, /* QUIC v2 */
        {0xff, 0x00, 0x00, 0x1d}, /* draft-29 */
        {0x00, 0x00, 0x00, 0x00}, /* version negotiation */
        {0x00, 0x00, 0x00, 0x02},
    };
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        memcpy(e, d, l);
        memcpy(e + 1, versions[i], 4);
        assert_false(quic_looks_initial(e, l));
        assert_int_equal(feed_fresh(f, e, l), QUIC_SNI_NONE);
        /* sticky */
        assert_int_equal(feed(f, d, l), QUIC_SNI_NONE);
    }
    /* short header, empty datagram, DNS-looking bytes */
    memcpy(e, d, l);
    e[0] = 0x40;
    assert_int_equal(feed_fresh(f, e, l), QUIC_SNI_NONE);
    assert_int_equal(feed_fresh(f, e, 0), QUIC_SNI_NONE);
    assert_int_equal(feed_fresh(f, (const uint8_t *)"\x12\x34\x01\x00\x00\x01", 6),
                     QUIC_SNI_NONE);
    /* a DCID shorter than 8 bytes is no client's first Initial */
    l = tlsbuild_quic_initial(e, sizeof(e), DCID, 4, SCID, 3, 0, hello, n, 0, 1200);
    assert_false(quic_looks_initial(e, l));
    assert_int_equal(feed_fresh(f, e, l), QUIC_SNI_NONE);
    /* a Retry packet is not walked */
    memcpy(e, d, 100);
    e[0] = 0xf0;
    assert_int_equal(feed_fresh(f, e, 100), QUIC_SNI_NONE);
}

static void corruption_is_malformed(void **state)
{
    struct fx *f = *state;
    uint8_t hello[2048], d[1500], e[1500];
    size_t n = quic_hello(hello, sizeof(hello), "bad.example.net", 0, 4, NULL);
    size_t l = tlsbuild_quic_initial(d, sizeof(d), DCID, 8, SCID, 3, 0, hello, n, 0, 1200);
    size_t hdr = 1 + 4 + 1 + 8 + 1 + 3 + 1 + 2; /* to the packet number */
    size_t spots[] = {hdr + 1 + 100, hdr + 1 + 3, l - 1, l - 16, 8 /* DCID */, 16 /* SCID */,
                      hdr - 1 /* Length */, hdr /* packet number */};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        for (unsigned bit = 0; bit < 8; bit += 3) {
            memcpy(e, d, l);
            e[spots[i]] ^= (uint8_t)(1u << bit);
            enum quic_status st = feed_fresh(f, e, l);
            assert_int_equal(st, QUIC_SNI_MALFORMED);
            assert_string_equal(f->sni, "");
        }
    }
    /* the protected low bits of the first byte, token length */
    for (unsigned bit = 0; bit < 4; bit++) {
        memcpy(e, d, l);
        e[0] ^= (uint8_t)(1u << bit);
        assert_int_equal(feed_fresh(f, e, l), QUIC_SNI_MALFORMED);
    }
    memcpy(e, d, l);
    e[hdr - 3] = 0x05;
    assert_int_equal(feed_fresh(f, e, l), QUIC_SNI_MALFORMED);
    /* once malformed, a good datagram does not revive the flow */
    assert_int_equal(feed(f, d, l), QUIC_SNI_MALFORMED);
}

static void truncation_at_every_length(void **state)
{
    struct fx *f = *state;
    const char *name = "cut.example.net";
    uint8_t hello[4096], d1[1500], d2[1500];
    size_t l1, l2;
    size_t room = tlsbuild_quic_crypto_room(sizeof(DCID), sizeof(SCID), 0, 0, 1200);
    size_t n = quic_hello(hello, sizeof(hello), name, 1220, seed_for(name, 1220, room, 1), NULL);
    two_initials(hello, n, d1, &l1, d2, &l2);
    unsigned seen[4] = {0};
    for (size_t cut = 0; cut < l1; cut++) {
        /* heap copies so ASan sees a read past the cut */
        uint8_t *c = malloc(cut ? cut : 1);
        assert_non_null(c);
        memcpy(c, d1, cut);
        enum quic_status st = feed_fresh(f, c, cut);
        assert_true(st == QUIC_SNI_NONE || st == QUIC_SNI_MALFORMED || st == QUIC_SNI_NEED_MORE);
        seen[st]++;
        /* the second datagram cut, after a whole first one */
        quic_state_init(&f->st);
        assert_int_equal(feed(f, d1, l1), QUIC_SNI_NEED_MORE);
        memcpy(c, d2, cut);
        st = feed(f, c, cut);
        assert_true(st == QUIC_SNI_NONE || st == QUIC_SNI_MALFORMED || st == QUIC_SNI_NEED_MORE);
        free(c);
    }
    assert_true(seen[QUIC_SNI_NONE] > 0 && seen[QUIC_SNI_MALFORMED] > 0);
    assert_int_equal(feed_fresh(f, d1, l1), QUIC_SNI_NEED_MORE);
    assert_int_equal(feed(f, d2, l2), QUIC_SNI_FOUND);
}

/* ---- frames and limits ------------------------------------------------- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
    if (v < 64) {
        p[0] = (uint8_t)v;
        return 1;
    }
    if (v < 16384) {
        p[0] = (uint8_t)(0x40 | v >> 8);
        p[1] = (uint8_t)v;
        return 2;
    }
    p[0] = (uint8_t)(0x80 | v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

static size_t crypto_frame(uint8_t *p, uint64_t off, const uint8_t *d, size_t n)
{
    size_t k = 0;
    p[k++] = 0x06;
    k += put_varint(p + k, off);
    k += put_varint(p + k, n);
    memcpy(p + k, d, n);
    return k + n;
}

static enum quic_status feed_frames(struct fx *f, const uint8_t *fr, size_t n, int fresh)
{
    uint8_t d[1500];
    size_t l = tlsbuild_quic_initial_frames(d, sizeof(d), DCID, 8, SCID, 3, 0, 0, fr, n, 1200);
    assert_int_equal(l, 1200);
    if (fresh)
        quic_state_init(&f->st);
    return feed(f, d, l);
}

static void frame_types(void **state)
{
    struct fx *f = *state;
    uint8_t hello[1024], fr[1200] = {0};
    size_t n = quic_hello(hello, sizeof(hello), "fr.example.net", 0, 5, NULL);
    assert_true(n > 200 && n < 700);
    size_t k = 0;
    /* PING, ACK (one extra range), ACK_ECN, CONNECTION_CLOSE, then the
     * CRYPTO data in two frames, second half first */
    static const uint8_t ctl[] = {0x01, 0x02, 0x05, 0x00, 0x01, 0x00, 0x01, 0x01,
                                  0x03, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
                                  0x1c, 0x00, 0x00, 0x02, 'o', 'k'};
    memcpy(fr, ctl, sizeof(ctl));
    k = sizeof(ctl);
    size_t half = n / 2;
    k += crypto_frame(fr + k, half, hello + half, n - half);
    fr[k++] = 0x00; /* PADDING between frames */
    k += crypto_frame(fr + k, 0, hello, half);
    assert_int_equal(feed_frames(f, fr, k, 1), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, "fr.example.net");

    /* frames not allowed in an Initial: STREAM, NEW_TOKEN, HANDSHAKE_DONE,
     * CONNECTION_CLOSE 0x1d, a 2-byte encoding of CRYPTO */
    static const uint8_t bad[][3] = {{0x08, 0x00, 0x00}, {0x07, 0x00, 0x00},
                                     {0x1e, 0x00, 0x00}, {0x1d, 0x00, 0x00},
                                     {0x40, 0x06, 0x00}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        k = crypto_frame(fr, 0, hello, n);
        memcpy(fr + k, bad[i], 3);
        assert_int_equal(feed_frames(f, fr, k + 3, 1), QUIC_SNI_MALFORMED);
    }
    /* CRYPTO length past the packet */
    k = crypto_frame(fr, 0, hello, 100);
    fr[2] = 0x7f; /* length 0x3fff... -> 2-byte varint 0x7f.. */
    assert_int_equal(feed_frames(f, fr, 1100, 1), QUIC_SNI_MALFORMED);
    /* ACK cut short by the end of the packet: the last plaintext byte is an ACK type */
    fr[0] = 0x02;
    {
        uint8_t d[1500];
        size_t l = tlsbuild_quic_initial_frames(d, sizeof(d), DCID, 8, SCID, 3, 0, 0, fr, 1, 0);
        assert_int_equal(feed_fresh(f, d, l), QUIC_SNI_MALFORMED);
    }
    /* only PADDING and PING: nothing to read yet */
    memset(fr, 0, 100);
    fr[50] = 0x01;
    assert_int_equal(feed_frames(f, fr, 100, 1), QUIC_SNI_NEED_MORE);
    /* CRYPTO data that is no ClientHello */
    uint8_t sh[60];
    memcpy(sh, hello, sizeof(sh));
    sh[0] = 0x02;
    k = crypto_frame(fr, 0, sh, sizeof(sh));
    assert_int_equal(feed_frames(f, fr, k, 1), QUIC_SNI_MALFORMED);
    /* CRYPTO data beyond the window is ignored */
    k = crypto_frame(fr, QUIC_CRYPTO_MAX + 10, hello, 100);
    assert_int_equal(feed_frames(f, fr, k, 1), QUIC_SNI_NEED_MORE);
    assert_int_equal(f->st.crypto_len, 0);
}

static void big_hello_limits(void **state)
{
    struct fx *f = *state;
    const char *name = "big.example.net";
    static uint8_t hello[8192];
    uint8_t fr[1200];
    for (int late = 0; late < 2; late++) {
        uint64_t seed = seed_for(name, 5000, late ? QUIC_CRYPTO_MAX : 1000, late);
        size_t n = quic_hello(hello, sizeof(hello), name, 5000, seed, NULL);
        assert_true(n > QUIC_CRYPTO_MAX);
        quic_state_init(&f->st);
        enum quic_status st = QUIC_SNI_NEED_MORE;
        for (size_t off = 0; off < n && st == QUIC_SNI_NEED_MORE; off += 1000) {
            size_t len = n - off < 1000 ? n - off : 1000;
            size_t k = crypto_frame(fr, off, hello + off, len);
            st = feed_frames(f, fr, k, 0);
        }
        if (late) {
            assert_int_equal(st, QUIC_SNI_NONE); /* the name lies past QUIC_CRYPTO_MAX */
        } else {
            assert_int_equal(st, QUIC_SNI_FOUND);
            assert_string_equal(f->sni, name);
        }
    }
}

static void give_up_and_foreign_packets(void **state)
{
    struct fx *f = *state;
    const char *name = "gu.example.net";
    uint8_t hello[4096], d1[1500], d2[1500], o[1500];
    size_t l1, l2;
    size_t room = tlsbuild_quic_crypto_room(sizeof(DCID), sizeof(SCID), 0, 0, 1200);
    size_t n = quic_hello(hello, sizeof(hello), name, 1220, seed_for(name, 1220, room, 1), NULL);
    two_initials(hello, n, d1, &l1, d2, &l2);

    /* an Initial under another DCID (keys) after the first: skipped */
    static const uint8_t other[8] = {9, 9, 9, 9, 9, 9, 9, 9};
    size_t lo = tlsbuild_quic_initial(o, sizeof(o), other, 8, SCID, 3, 0, hello, 200, 0, 1200);
    assert_int_equal(feed_fresh(f, d1, l1), QUIC_SNI_NEED_MORE);
    assert_int_equal(feed(f, o, lo), QUIC_SNI_NEED_MORE);
    assert_int_equal(feed(f, d2, l2), QUIC_SNI_FOUND);
    assert_string_equal(f->sni, name);

    /* the part with the name never comes: NONE after QUIC_FEED_MAX datagrams */
    quic_state_init(&f->st);
    for (int i = 1; i < QUIC_FEED_MAX; i++)
        assert_int_equal(feed(f, d1, l1), QUIC_SNI_NEED_MORE);
    assert_int_equal(feed(f, d1, l1), QUIC_SNI_NONE);
    assert_int_equal(feed(f, d2, l2), QUIC_SNI_NONE);
}

/* ---- tshark agreement -------------------------------------------------- */

static void put_le32(FILE *fp, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, fp);
}

static void pcap_frame(FILE *fp, uint32_t ts, const struct pb *p)
{
    put_le32(fp, ts);
    put_le32(fp, 0);
    put_le32(fp, (uint32_t)p->n);
    put_le32(fp, (uint32_t)p->n);
    fwrite(p->b, 1, p->n, fp);
}

static void pcap_udp(FILE *fp, uint32_t ts, unsigned sport, const uint8_t *d, size_t n)
{
    struct pb p;
    pb_reset(&p);
    pb_eth(&p, 0x0800);
    size_t ip = pb_ipv4_begin(&p, 17, PB_V4_A, PB_V4_B);
    size_t udp = pb_udp_begin(&p, sport, 443);
    pb_bytes(&p, d, n);
    pb_udp_end(&p, udp);
    pb_ipv4_end(&p, ip);
    pcap_frame(fp, ts, &p);
}

static void tshark_agrees(void **state)
{
    (void)state;
    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        printf("SKIP tshark_agrees: tshark not installed\n");
        skip();
    }
    char dir[] = "/tmp/test_quic_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/q.pcap", dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    static const uint8_t ghdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                     0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    fwrite(ghdr, 1, sizeof(ghdr), fp);

    uint8_t hello[4096], d1[1500], d2[1500], rec[4200];
    size_t l1, l2;
    /* flow 1: one Initial */
    size_t n = quic_hello(hello, sizeof(hello), "one.quic.example", 0, 11, NULL);
    l1 = tlsbuild_quic_initial(d1, sizeof(d1), DCID, 8, SCID, 3, 0, hello, n, 0, 1200);
    pcap_udp(fp, 1, 50001, d1, l1);
    /* flow 2: two Initials, name in the second (other DCID: another connection) */
    const char *two = "two.quic.example";
    size_t room = tlsbuild_quic_crypto_room(sizeof(DCID), sizeof(SCID), 0, 0, 1200);
    n = quic_hello(hello, sizeof(hello), two, 1220, seed_for(two, 1220, room, 1), NULL);
    static const uint8_t dcid2[8] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11};
    l1 = tlsbuild_quic_initial(d1, sizeof(d1), dcid2, 8, SCID, 3, 0, hello, room, 0, 1200);
    l2 = tlsbuild_quic_initial(d2, sizeof(d2), dcid2, 8, SCID, 3, 1, hello + room, n - room,
                               room, 1200);
    pcap_udp(fp, 2, 50002, d1, l1);
    pcap_udp(fp, 3, 50002, d2, l2);
    /* flow 3: TLS over TCP, one segment */
    n = tlsbuild_client_hello(hello, sizeof(hello), "tcp.tls.example", 0, 12);
    size_t rl = tlsbuild_records(rec, sizeof(rec), hello, n);
    assert_true(rl > 0);
    struct pb p;
    pb_reset(&p);
    pb_eth(&p, 0x0800);
    size_t ip = pb_ipv4_begin(&p, 6, PB_V4_A, PB_V4_B);
    pb_u16(&p, 50003);
    pb_u16(&p, 443);
    pb_u32(&p, 1);
    pb_u32(&p, 1);
    pb_u8(&p, 0x50);
    pb_u8(&p, 0x18); /* PSH|ACK */
    pb_u16(&p, 65535);
    pb_u16(&p, 0);
    pb_u16(&p, 0);
    pb_bytes(&p, rec, rl);
    pb_ipv4_end(&p, ip);
    pcap_frame(fp, 4, &p);
    assert_int_equal(fclose(fp), 0);

    char cmd[256], out[1024] = "";
    snprintf(cmd, sizeof(cmd),
             "tshark -n -r %s -T fields -e frame.number -e tls.handshake.extensions_server_name "
             "-e _ws.malformed 2>/dev/null",
             path);
    FILE *pp = popen(cmd, "r");
    assert_non_null(pp);
    size_t got = fread(out, 1, sizeof(out) - 1, pp);
    out[got] = '\0';
    pclose(pp);
    unlink(path);
    rmdir(dir);
    printf("tshark says:\n%s", out);
    /* frame, SNI, malformed marker: frame 2 is the first half of flow 2 */
    assert_string_equal(out, "1\tone.quic.example\t\n"
                             "2\t\t\n"
                             "3\ttwo.quic.example\t\n"
                             "4\ttcp.tls.example\t\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rfc9001_a1_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(rfc9001_a2_client_initial, setup, teardown),
        cmocka_unit_test(builder_reproduces_rfc9001_a2),
        cmocka_unit_test(hello_layout),
        cmocka_unit_test(records_split_at_16384),
        cmocka_unit_test_setup_teardown(one_datagram, setup, teardown),
        cmocka_unit_test_setup_teardown(two_datagrams, setup, teardown),
        cmocka_unit_test_setup_teardown(coalesced_packets, setup, teardown),
        cmocka_unit_test_setup_teardown(versions_and_not_quic, setup, teardown),
        cmocka_unit_test_setup_teardown(corruption_is_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(truncation_at_every_length, setup, teardown),
        cmocka_unit_test_setup_teardown(frame_types, setup, teardown),
        cmocka_unit_test_setup_teardown(big_hello_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(give_up_and_foreign_packets, setup, teardown),
        cmocka_unit_test(tshark_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
