/*
 * test_speedpaths.c - the fast paths give what the slow paths give.
 *
 * 1. The input digest (util/hash.h, version 2): CRC-32C check values from
 *    RFC 3720 B.4; digests of fixed inputs computed by an independent
 *    implementation of the documented definition (a short Python program
 *    written from hash.h's comment, not from hash.c); the CPU's crc32
 *    instruction and the portable table agree for every length and every
 *    way of cutting the input into updates.
 * 2. The decoder's fast path (decode/fast.c) writes the same record as the
 *    state machine, byte for byte, for hand-built frames of every layer it
 *    takes and for every truncation of them (decoder_set_fast()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <v6mon/decoder.h>
#include <v6mon/packet.h>

#include "decode/decode_int.h"
#include "pktbuild.h"
#include "util/hash.h"

static void hex16(const uint8_t d[16], char out[33])
{
    digest128_hex(d, out);
}

static void crc32c_check_values(void **state)
{
    (void)state;
    uint8_t z[32], f[32], inc[32];
    memset(z, 0, sizeof z);
    memset(f, 0xff, sizeof f);
    for (int i = 0; i < 32; i++)
        inc[i] = (uint8_t)i;
    assert_int_equal(hash_crc32c(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(hash_crc32c(0, z, 32), 0x8a9136aau);
    assert_int_equal(hash_crc32c(0, f, 32), 0x62a8ab43u);
    assert_int_equal(hash_crc32c(0, inc, 32), 0x46dd794eu);
    /* continuing a CRC is the CRC of the concatenation */
    assert_int_equal(hash_crc32c(hash_crc32c(0, "12345", 5), "6789", 4), 0xe3069283u);
}

static void digest_known_values(void **state)
{
    (void)state;
    uint8_t data[100], out[16];
    char hex[33];
    for (int i = 0; i < 100; i++)
        data[i] = (uint8_t)i;
    struct digest128 d;
    digest128_init(&d);
    digest128_final(&d, out);
    hex16(out, hex);
    assert_string_equal(hex, "820d21a51209608e6830507b1e20d046");
    digest128_init(&d);
    digest128_update(&d, data, 100);
    digest128_final(&d, out);
    hex16(out, hex);
    assert_string_equal(hex, "912b89b149f7df52cc6ac4c0c45437b9");
}

static void digest_hw_equals_portable(void **state)
{
    (void)state;
    static uint8_t data[4099];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        data[i] = (uint8_t)x;
    }
    for (size_t len = 0; len <= sizeof data; len += (len < 130 ? 1 : 97)) {
        uint8_t a[16], b[16];
        struct digest128 h, p;
        digest128_init(&h);
        digest128_init_portable(&p);
        size_t off = 0, step = 1;
        while (off < len) { /* pieces of 1..45 bytes for one, whole for the other */
            size_t n = step < len - off ? step : len - off;
            digest128_update(&h, data + off, n);
            off += n;
            step = step % 45 + 1;
        }
        digest128_update(&p, data, len);
        digest128_final(&h, a);
        digest128_final(&p, b);
        assert_memory_equal(a, b, 16);
    }
}

/* ---- decoder ---------------------------------------------------------- */

static struct pb B;

/* Both decoders see the same frames in the same order, so their fragment
 * tables stay in step. */
static v6m_decoder *fast, *slow;

static int dec_setup(void **state)
{
    (void)state;
    fast = v6m_decoder_new(NULL);
    slow = v6m_decoder_new(NULL);
    if (!fast || !slow)
        return -1;
    decoder_set_fast(slow, false);
    return 0;
}

static int dec_teardown(void **state)
{
    (void)state;
    v6m_decoder_free(fast);
    v6m_decoder_free(slow);
    return 0;
}

static void both_ways(const uint8_t *bytes, size_t caplen, size_t wirelen)
{
    struct v6m_frame f = {.ts_ns = 1000, .caplen = (uint32_t)caplen,
                          .wirelen = (uint32_t)wirelen, .linktype = V6M_LINKTYPE_ETHERNET,
                          .ifindex = 0, .data = bytes};
    struct v6m_packet a, b;
    assert_int_equal(v6m_decoder_decode(fast, &f, &a), v6m_decoder_decode(slow, &f, &b));
    assert_memory_equal(&a, &b, sizeof a);
    bool ra, rb;
    do { /* released records (fragments) in step too */
        ra = v6m_decoder_release(fast, &a);
        rb = v6m_decoder_release(slow, &b);
        assert_int_equal(ra, rb);
        if (ra)
            assert_memory_equal(&a, &b, sizeof a);
    } while (ra);
}

/* The frame in B, then every shorter capture of it. */
static void every_cut(void)
{
    for (size_t n = 0; n <= B.n; n++)
        both_ways(B.b, n, B.n);
}

static void l4(unsigned proto)
{
    if (proto == 6) {
        pb_tcp(&B, 40000, 443, 0x18);
    } else if (proto == 17) {
        size_t u = pb_udp_begin(&B, 40000, 53);
        pb_zero(&B, 12);
        pb_udp_end(&B, u);
    } else { /* ICMP / ICMPv6 echo request */
        pb_u8(&B, proto == 1 ? 8 : 128);
        pb_u8(&B, 0);
        pb_u16(&B, 0);
        pb_u16(&B, 0x4242);
        pb_u16(&B, 1);
    }
}

static void inner_ip(int v6, unsigned proto)
{
    if (v6) {
        size_t ip = pb_ipv6_begin(&B, proto == 1 ? 58 : proto, PB_V6_A, PB_V6_B);
        l4(proto == 1 ? 58 : proto);
        pb_ipv6_end(&B, ip);
    } else {
        size_t ip = pb_ipv4_begin(&B, proto, PB_V4_A, PB_V4_B);
        l4(proto);
        pb_ipv4_end(&B, ip);
    }
}

static void fast_path_equals_machine(void **state)
{
    (void)state;
    static const unsigned protos[] = {6, 17, 1};
    for (int tags = 0; tags <= 2; tags++)
        for (int pppoe = 0; pppoe <= 1; pppoe++)
            for (int v6 = 0; v6 <= 1; v6++)
                for (int pi = 0; pi < 3; pi++) {
                    pb_reset(&B);
                    unsigned ip_type = pppoe ? 0x8864 : (v6 ? 0x86dd : 0x0800);
                    if (tags == 0) {
                        pb_eth(&B, ip_type);
                    } else if (tags == 1) {
                        pb_eth(&B, 0x8100);
                        pb_vlan(&B, 100, ip_type);
                    } else {
                        pb_eth(&B, 0x88a8);
                        pb_vlan(&B, 10, 0x8100);
                        pb_vlan(&B, 20, ip_type);
                    }
                    size_t ppp = pppoe ? pb_pppoe_begin(&B, 7, v6 ? 0x0057 : 0x0021) : 0;
                    inner_ip(v6, protos[pi]);
                    if (pppoe)
                        pb_pppoe_end(&B, ppp);
                    every_cut();
                }
    /* GTP-U G-PDU (with and without the PDU session container) carrying
     * IPv4/IPv6, over IPv4 and IPv6 */
    for (int outer6 = 0; outer6 <= 1; outer6++)
        for (int ext = 0; ext <= 1; ext++)
            for (int v6 = 0; v6 <= 1; v6++) {
                pb_reset(&B);
                pb_eth(&B, outer6 ? 0x86dd : 0x0800);
                size_t ip = outer6 ? pb_ipv6_begin(&B, 17, PB_V6_A, PB_V6_B)
                                   : pb_ipv4_begin(&B, 17, PB_V4_C, PB_V4_D);
                size_t u = pb_udp_begin(&B, 2152, 2152);
                size_t g = pb_gtp_begin(&B, ext ? 0x34 : 0x30, 255, 0x01020304);
                if (ext) {
                    pb_u16(&B, 0);    /* sequence */
                    pb_u8(&B, 0);     /* N-PDU */
                    pb_u8(&B, 0x85);  /* next: PDU session container */
                    pb_u8(&B, 1);     /* 4 bytes */
                    pb_u8(&B, 0x10);  /* UL */
                    pb_u8(&B, 9);     /* QFI */
                    pb_u8(&B, 0);     /* no more */
                }
                inner_ip(v6, 6);
                pb_gtp_end(&B, g);
                pb_udp_end(&B, u);
                if (outer6)
                    pb_ipv6_end(&B, ip);
                else
                    pb_ipv4_end(&B, ip);
                every_cut();
            }
    /* Where the fast path hands over: IPv4 options, a fragment, an IPv6
     * extension header, IPv4 total length 0, ARP, MPLS. */
    pb_reset(&B);
    pb_eth(&B, 0x0800);
    size_t ip = pb_ipv4_begin(&B, 6, PB_V4_A, PB_V4_B);
    B.b[ip] = 0x46;
    pb_u32(&B, 0x01010101); /* 4 bytes of options */
    pb_tcp(&B, 1, 2, 2);
    pb_ipv4_end(&B, ip);
    every_cut();
    B.b[ip] = 0x45; /* a first fragment (MF) */
    pb_put16(&B, ip + 6, 0x2000);
    every_cut();
    pb_put16(&B, ip + 6, 0);
    pb_put16(&B, ip + 2, 0);
    every_cut();
    pb_reset(&B);
    pb_eth(&B, 0x86dd);
    ip = pb_ipv6_begin(&B, 0, PB_V6_A, PB_V6_B);
    pb_u8(&B, 6); /* hop-by-hop: next TCP, 8 bytes */
    pb_u8(&B, 0);
    pb_zero(&B, 6);
    pb_tcp(&B, 1, 2, 2);
    pb_ipv6_end(&B, ip);
    every_cut();
    pb_reset(&B);
    pb_eth(&B, 0x0806);
    pb_zero(&B, 28);
    every_cut();
    pb_reset(&B);
    pb_eth(&B, 0x8847);
    pb_mpls(&B, 16, 1);
    inner_ip(0, 17);
    every_cut();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_check_values),
        cmocka_unit_test(digest_known_values),
        cmocka_unit_test(digest_hw_equals_portable),
        cmocka_unit_test_setup_teardown(fast_path_equals_machine, dec_setup, dec_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
