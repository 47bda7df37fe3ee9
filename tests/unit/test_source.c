/*
 * test_source.c - the capture source (v6mon/source.h).
 *
 * Captures are written here by a tiny independent writer (explicit byte
 * order, hand-placed fields) and read back; the expected timestamps,
 * lengths, bytes, interface numbers and names are the values the writer
 * was given. Files are also cross-checked frame by frame against libpcap's
 * own reader. The live test captures UDP datagrams the test sends to
 * 127.0.0.1 on loopback (root only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <v6mon/source.h>

#include "util/hash.h"

#include "capwrite.h"

/* ---- tiny writer: capwrite.h ---------------------------------------------- */

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 12345u;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
}

static void pcap_hdr(struct wb *w, bool nsec, uint32_t snaplen, uint32_t lt)
{
    wb_u32(w, nsec ? 0xA1B23C4Du : 0xA1B2C3D4u);
    wb_u16(w, 2);
    wb_u16(w, 4);
    wb_u32(w, 0);
    wb_u32(w, 0);
    wb_u32(w, snaplen);
    wb_u32(w, lt);
}

static void pcap_rec(struct wb *w, uint32_t sec, uint32_t frac, uint32_t caplen,
                     uint32_t wirelen, unsigned seed)
{
    uint8_t buf[2048];
    assert_true(caplen <= sizeof(buf));
    fill_pattern(buf, caplen, seed);
    wb_u32(w, sec);
    wb_u32(w, frac);
    wb_u32(w, caplen);
    wb_u32(w, wirelen);
    wb_bytes(w, buf, caplen);
}

static size_t ng_begin(struct wb *w, uint32_t type)
{
    size_t at = w->n;
    wb_u32(w, type);
    wb_u32(w, 0);
    return at;
}

static void ng_end(struct wb *w, size_t at)
{
    wb_pad4(w);
    uint32_t len = (uint32_t)(w->n - at + 4);
    wb_u32(w, len);
    wb_put_u32_at(w, at + 4, len);
}

static void ng_shb(struct wb *w)
{
    size_t at = ng_begin(w, 0x0A0D0D0Au);
    wb_u32(w, 0x1A2B3C4Du);
    wb_u16(w, 1);
    wb_u16(w, 0);
    wb_u64(w, UINT64_MAX);
    ng_end(w, at);
}

static void ng_opt(struct wb *w, uint16_t code, const void *v, uint16_t len)
{
    wb_u16(w, code);
    wb_u16(w, len);
    wb_bytes(w, v, len);
    wb_pad4(w);
}

/* tsresol < 0: no option. */
static void ng_idb(struct wb *w, uint16_t lt, uint32_t snaplen, const char *name,
                   int tsresol, int64_t tsoffset)
{
    size_t at = ng_begin(w, 1);
    wb_u16(w, lt);
    wb_u16(w, 0);
    wb_u32(w, snaplen);
    if (name)
        ng_opt(w, 2, name, (uint16_t)strlen(name));
    if (tsresol >= 0) {
        uint8_t r = (uint8_t)tsresol;
        ng_opt(w, 9, &r, 1);
    }
    if (tsoffset) {
        wb_u16(w, 14);
        wb_u16(w, 8);
        wb_u64(w, (uint64_t)tsoffset);
    }
    wb_u16(w, 0);
    wb_u16(w, 0);
    ng_end(w, at);
}

static void ng_epb(struct wb *w, uint32_t ifid, uint64_t units, uint32_t caplen,
                   uint32_t wirelen, unsigned seed)
{
    uint8_t buf[2048];
    fill_pattern(buf, caplen, seed);
    size_t at = ng_begin(w, 6);
    wb_u32(w, ifid);
    wb_u32(w, (uint32_t)(units >> 32));
    wb_u32(w, (uint32_t)units);
    wb_u32(w, caplen);
    wb_u32(w, wirelen);
    wb_bytes(w, buf, caplen);
    ng_end(w, at);
}

static void ng_pb(struct wb *w, uint16_t ifid, uint64_t units, uint32_t caplen,
                  uint32_t wirelen, unsigned seed)
{
    uint8_t buf[2048];
    fill_pattern(buf, caplen, seed);
    size_t at = ng_begin(w, 2);
    wb_u16(w, ifid);
    wb_u16(w, 0);
    wb_u32(w, (uint32_t)(units >> 32));
    wb_u32(w, (uint32_t)units);
    wb_u32(w, caplen);
    wb_u32(w, wirelen);
    wb_bytes(w, buf, caplen);
    ng_end(w, at);
}

static void ng_spb(struct wb *w, uint32_t wirelen, uint32_t stored, unsigned seed)
{
    uint8_t buf[2048];
    fill_pattern(buf, stored, seed);
    size_t at = ng_begin(w, 3);
    wb_u32(w, wirelen);
    wb_bytes(w, buf, stored);
    ng_end(w, at);
}

static void ng_opaque(struct wb *w, uint32_t type, size_t body)
{
    size_t at = ng_begin(w, type);
    for (size_t i = 0; i < body; i++)
        wb_u8(w, (uint8_t)i);
    ng_end(w, at);
}

/* ---- files -------------------------------------------------------------- */

static char g_dir[64];

static void path_in_dir(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", g_dir, name);
}

static void write_file(const char *path, const void *d, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(d, 1, n, fp), n);
    fclose(fp);
}

struct expect {
    uint64_t ts_ns;
    uint32_t caplen, wirelen, linktype, ifindex;
    unsigned seed;
    const char *ifname;
};

static void check_frame(const v6m_source *src, const struct v6m_frame *fr,
                        const struct expect *e)
{
    uint8_t buf[2048];
    assert_int_equal(fr->ts_ns, e->ts_ns);
    assert_int_equal(fr->caplen, e->caplen);
    assert_int_equal(fr->wirelen, e->wirelen);
    assert_int_equal(fr->linktype, e->linktype);
    assert_int_equal(fr->ifindex, e->ifindex);
    fill_pattern(buf, e->caplen, e->seed);
    assert_memory_equal(fr->data, buf, e->caplen);
    if (e->ifname)
        assert_string_equal(v6m_source_ifname(src, fr->ifindex), e->ifname);
}

static void read_expect(const char *const *paths, size_t np,
                        const struct expect *e, size_t ne)
{
    v6m_source *src = v6m_source_new_files(paths, np);
    assert_non_null(src);
    v6m_err rc = v6m_source_start(src);
    if (rc != V6M_OK)
        fail_msg("start: %s", v6m_source_errmsg(src));
    struct v6m_frame fr;
    for (size_t i = 0; i < ne; i++) {
        rc = v6m_source_next(src, &fr);
        if (rc != V6M_OK)
            fail_msg("frame %zu: rc %d %s", i, rc, v6m_source_errmsg(src));
        check_frame(src, &fr, &e[i]);
    }
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    struct v6m_source_stats st;
    v6m_source_get_stats(src, &st);
    assert_int_equal(st.frames, ne);
    assert_int_equal(st.files_damaged, 0);
    assert_int_equal(st.bytes_read, st.bytes_total);
    v6m_source_free(src);
}

/* ---- tests -------------------------------------------------------------- */

static void test_pcap_variants(void **state)
{
    (void)state;
    for (int v = 0; v < 4; v++) {
        bool be = v & 1, nsec = v & 2;
        struct wb w = { .be = be };
        /* Ethernet with an FCS announced (F bit, 2 words = 4 bytes). */
        pcap_hdr(&w, nsec, 65535, 1u | (1u << 26) | (2u << 28));
        uint32_t f1 = nsec ? 123456789u : 123456u;
        pcap_rec(&w, 1700000000u, f1, 60, 60, 1);
        pcap_rec(&w, 1700000001u, 0, 100, 1514, 2);  /* snapped */
        pcap_rec(&w, 1700000002u, nsec ? 999999999u : 999999u, 42, 0, 3); /* wirelen 0 */
        char path[128];
        snprintf(path, sizeof(path), "%s/v%d.pcap", g_dir, v);
        write_file(path, w.p, w.n);
        char ifn[160];
        snprintf(ifn, sizeof(ifn), "%s#0", path);
        uint64_t base = 1700000000ull * 1000000000ull;
        struct expect e[3] = {
            { base + (nsec ? 123456789u : 123456000u), 60, 60, 1, 0, 1, ifn },
            { base + 1000000000ull, 100, 1514, 1, 0, 2, ifn },
            /* wirelen 0 stays 0 (tshark's frame.len), and is counted */
            { base + 2000000000ull + 999999999u - (nsec ? 0 : 999u), 42, 0, 1, 0, 3, ifn },
        };
        const char *paths[1] = { path };
        read_expect(paths, 1, e, 3);

        v6m_source *src = v6m_source_new_files(paths, 1);
        assert_int_equal(v6m_source_start(src), V6M_OK);
        struct v6m_source_input_info info;
        v6m_source_input_info(src, 0, &info);
        assert_string_equal(info.format, nsec ? "pcap-ns" : "pcap");
        struct v6m_frame fr;
        while (v6m_source_next(src, &fr) == V6M_OK)
            ;
        struct v6m_source_stats st;
        v6m_source_get_stats(src, &st);
        assert_int_equal(st.frames_short_wirelen, 1);
        v6m_source_free(src);
        free(w.p);
    }
}

/* Modified (Kuznetsov) pcap: 8 bytes after each 16-byte record header;
 * both byte orders; a file cut inside those 8 bytes ends truncated. */
static void test_pcap_modified(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++) {
        struct wb w = { .be = be };
        wb_u32(&w, 0xA1B2CD34u);
        wb_u16(&w, 2);
        wb_u16(&w, 4);
        wb_u32(&w, 0);
        wb_u32(&w, 0);
        wb_u32(&w, 65535);
        wb_u32(&w, 1);
        uint8_t buf[100];
        for (unsigned i = 0; i < 2; i++) {
            wb_u32(&w, 1700000000u + i);
            wb_u32(&w, 250000u);
            wb_u32(&w, i ? 60 : 100);
            wb_u32(&w, i ? 60 : 1514);
            wb_u32(&w, 2);      /* ifindex */
            wb_u16(&w, 0x0800); /* protocol */
            wb_u8(&w, 0);       /* packet type */
            wb_u8(&w, 0);       /* pad */
            fill_pattern(buf, i ? 60 : 100, 7 + i);
            wb_bytes(&w, buf, i ? 60 : 100);
        }
        char path[128];
        snprintf(path, sizeof(path), "%s/mod%d.pcap", g_dir, be);
        write_file(path, w.p, w.n);
        char ifn[160];
        snprintf(ifn, sizeof(ifn), "%s#0", path);
        uint64_t base = 1700000000ull * 1000000000ull + 250000000ull;
        struct expect e[2] = {
            { base, 100, 1514, 1, 0, 7, ifn },
            { base + 1000000000ull, 60, 60, 1, 0, 8, ifn },
        };
        const char *paths[1] = { path };
        read_expect(paths, 1, e, 2);
        v6m_source *src = v6m_source_new_files(paths, 1);
        assert_int_equal(v6m_source_start(src), V6M_OK);
        struct v6m_source_input_info info;
        v6m_source_input_info(src, 0, &info);
        assert_string_equal(info.format, "pcap-modified");
        v6m_source_free(src);

        /* cut 20 bytes into the second record: inside its 24-byte header */
        write_file(path, w.p, 24 + 24 + 100 + 20);
        src = v6m_source_new_files(paths, 1);
        assert_int_equal(v6m_source_start(src), V6M_OK);
        struct v6m_frame fr;
        assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
        assert_int_equal(fr.caplen, 100);
        assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_TRUNCATED);
        assert_non_null(strstr(v6m_source_errmsg(src),
                               "file ends 20 bytes into the 24-byte record header"));
        v6m_source_free(src);
        free(w.p);
    }
}

/* Two interfaces of different link types and resolutions, SPB, PB,
 * skipped blocks, then a second section in the other byte order. */
static void build_pcapng(struct wb *w, bool be)
{
    w->be = be;
    ng_shb(w);
    ng_idb(w, 1, 0, "eth0", 9, 0);       /* ns */
    ng_idb(w, 101, 128, NULL, 6, 0);     /* raw IP, us, snaplen 128 */
    ng_opaque(w, 4, 20);                 /* NRB: skipped */
    ng_epb(w, 0, 1700000000123456789ull, 64, 64, 10);
    ng_epb(w, 1, 1700000000123457ull, 40, 40, 11);
    ng_spb(w, 70, 72, 12);               /* iface 0, padded to 72 */
    ng_opaque(w, 0x00000BADu, 12);       /* custom: skipped */
    ng_opaque(w, 5, 24);                 /* ISB: skipped */
    ng_pb(w, 1, 1700000001000000ull, 50, 60, 13);
    /* Second section, other byte order: one interface, 2^-20 s units and a
     * +10 s offset. */
    w->be = !be;
    ng_shb(w);
    ng_idb(w, 1, 0, "wan", 0x80 | 20, 10);
    ng_epb(w, 0, (1700000002ull << 20) | (1u << 19), 30, 30, 14); /* .5 s */
    w->be = be;
}

static void test_pcapng(void **state)
{
    (void)state;
    for (int be = 0; be < 2; be++) {
        struct wb w = { 0 };
        build_pcapng(&w, be);
        char path[128], ifn1[160], ifn2[160];
        snprintf(path, sizeof(path), "%s/ng%d.pcapng", g_dir, be);
        snprintf(ifn1, sizeof(ifn1), "%s#1", path);
        (void)ifn2;
        write_file(path, w.p, w.n);
        uint64_t s0 = 1700000000ull * 1000000000ull;
        struct expect e[] = {
            { s0 + 123456789u, 64, 64, 1, 0, 10, "eth0" },
            { s0 + 123457000u, 40, 40, 101, 1, 11, ifn1 },
            /* SPB: keeps the previous time, caplen = wirelen (70) */
            { s0 + 123457000u, 70, 70, 1, 0, 12, "eth0" },
            { s0 + 1000000000u, 50, 60, 101, 1, 13, ifn1 },
            { s0 + 2000000000u + 500000000u + 10000000000ull, 30, 30, 1, 2, 14, "wan" },
        };
        const char *paths[1] = { path };
        read_expect(paths, 1, e, 5);

        v6m_source *src = v6m_source_new_files(paths, 1);
        assert_int_equal(v6m_source_start(src), V6M_OK);
        struct v6m_frame fr;
        while (v6m_source_next(src, &fr) == V6M_OK)
            ;
        struct v6m_source_stats st;
        v6m_source_get_stats(src, &st);
        assert_int_equal(st.blocks_skipped, 3);
        assert_int_equal(st.bytes_read, w.n);
        struct v6m_source_input_info info;
        v6m_source_input_info(src, 0, &info);
        assert_string_equal(info.format, "pcapng");
        v6m_source_free(src);
        free(w.p);
    }
}

static void test_pcapng_spb_snaplen_and_oversized(void **state)
{
    (void)state;
    struct wb w = { .be = false };
    ng_shb(&w);
    ng_idb(&w, 1, 50, NULL, -1, 0);      /* snaplen 50, default usec */
    ng_spb(&w, 200, 52, 20);             /* stored 52 but snaplen says 50 */
    /* An EPB claiming a 300000-byte capture (above the 256 KiB cap) that
     * really carries it: skipped and counted, the file goes on. */
    size_t at = ng_begin(&w, 6);
    wb_u32(&w, 0);
    wb_u32(&w, 0);
    wb_u32(&w, 5);
    wb_u32(&w, 300000);
    wb_u32(&w, 300000);
    for (size_t i = 0; i < 300000; i++)
        wb_u8(&w, 0);
    ng_end(&w, at);
    ng_epb(&w, 0, 7000001, 20, 20, 21);
    char path[128];
    path_in_dir(path, sizeof(path), "spb.pcapng");
    write_file(path, w.p, w.n);
    const char *paths[1] = { path };
    v6m_source *src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    struct v6m_frame fr;
    assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
    struct expect e1 = { 0, 50, 200, 1, 0, 20, NULL };
    check_frame(src, &fr, &e1);
    assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
    struct expect e2 = { 7000001000ull, 20, 20, 1, 0, 21, NULL };
    check_frame(src, &fr, &e2);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    struct v6m_source_stats st;
    v6m_source_get_stats(src, &st);
    assert_int_equal(st.frames_oversized, 1);
    assert_int_equal(st.frames, 2);
    v6m_source_free(src);
    free(w.p);
}

static void write_simple_pcap(const char *path, const uint32_t *secs, size_t n,
                              unsigned seed0)
{
    struct wb w = { .be = false };
    pcap_hdr(&w, false, 65535, 1);
    for (size_t i = 0; i < n; i++)
        pcap_rec(&w, secs[i], 0, 60 + (uint32_t)i, 60 + (uint32_t)i, seed0 + (unsigned)i);
    write_file(path, w.p, w.n);
    free(w.p);
}

static void test_merge(void **state)
{
    (void)state;
    char a[128], b[128], ia[160], ib[160];
    path_in_dir(a, sizeof(a), "a.pcap");
    path_in_dir(b, sizeof(b), "b.pcap");
    snprintf(ia, sizeof(ia), "%s#0", a);
    snprintf(ib, sizeof(ib), "%s#0", b);
    const uint32_t sa[] = { 1, 3, 4, 6 };
    const uint32_t sb[] = { 2, 4, 5 };
    write_simple_pcap(a, sa, 4, 100);
    write_simple_pcap(b, sb, 3, 200);
    const uint64_t G = 1000000000ull;
    struct expect e[] = {
        { 1 * G, 60, 60, 1, 0, 100, ia }, { 2 * G, 60, 60, 1, 1, 200, ib },
        { 3 * G, 61, 61, 1, 0, 101, ia }, { 4 * G, 62, 62, 1, 0, 102, ia },
        { 4 * G, 61, 61, 1, 1, 201, ib }, { 5 * G, 62, 62, 1, 1, 202, ib },
        { 6 * G, 63, 63, 1, 0, 103, ia },
    };
    const char *paths[2] = { a, b };
    read_expect(paths, 2, e, 7);
    /* Order of the inputs decides ties and interface numbers. */
    struct expect e2[] = {
        { 1 * G, 60, 60, 1, 1, 100, ia }, { 2 * G, 60, 60, 1, 0, 200, ib },
        { 3 * G, 61, 61, 1, 1, 101, ia }, { 4 * G, 61, 61, 1, 0, 201, ib },
        { 4 * G, 62, 62, 1, 1, 102, ia }, { 5 * G, 62, 62, 1, 0, 202, ib },
        { 6 * G, 63, 63, 1, 1, 103, ia },
    };
    const char *paths2[2] = { b, a };
    read_expect(paths2, 2, e2, 7);
}

static void test_truncated(void **state)
{
    (void)state;
    struct wb w = { .be = false };
    pcap_hdr(&w, false, 65535, 1);
    pcap_rec(&w, 10, 0, 100, 100, 1);
    pcap_rec(&w, 11, 0, 100, 100, 2);
    pcap_rec(&w, 12, 0, 1514, 1514, 3);
    size_t cut = w.n - 1514 + 40; /* 40 bytes into the third frame */
    char t[128], g[128];
    path_in_dir(t, sizeof(t), "trunc.pcap");
    path_in_dir(g, sizeof(g), "good.pcap");
    write_file(t, w.p, cut);
    const uint32_t sg[] = { 5, 11, 20 };
    write_simple_pcap(g, sg, 3, 50);

    const char *paths[2] = { t, g };
    v6m_source *src = v6m_source_new_files(paths, 2);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    struct v6m_frame fr;
    uint64_t times[8];
    size_t n = 0;
    int truncs = 0;
    for (;;) {
        v6m_err rc = v6m_source_next(src, &fr);
        if (rc == V6M_ERR_EOF)
            break;
        if (rc == V6M_ERR_TRUNCATED) {
            truncs++;
            const char *m = v6m_source_errmsg(src);
            assert_non_null(strstr(m, "trunc.pcap: truncated record at byte"));
            char want[64];
            snprintf(want, sizeof(want), "at byte %zu (frame 3)", (size_t)(24 + 2 * 116));
            assert_non_null(strstr(m, want));
            assert_non_null(strstr(m, "file ends 40 bytes into a 1514-byte frame; 2 frames read"));
            continue;
        }
        assert_int_equal(rc, V6M_OK);
        assert_true(n < 8);
        times[n++] = fr.ts_ns / 1000000000ull;
    }
    assert_int_equal(truncs, 1);
    assert_int_equal(n, 5);
    const uint64_t want[] = { 5, 10, 11, 11, 20 };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(times[i], want[i]);
    struct v6m_source_stats st;
    v6m_source_get_stats(src, &st);
    assert_int_equal(st.files_damaged, 1);
    assert_int_equal(st.frames, 5);
    /* The digest of a damaged file still covers all its bytes. */
    struct v6m_source_input_info info;
    v6m_source_input_info(src, 0, &info);
    assert_true(info.digest_valid);
    struct digest128 d;
    uint8_t ref[16];
    digest128_init(&d);
    digest128_update(&d, w.p, cut);
    digest128_final(&d, ref);
    assert_memory_equal(info.digest, ref, 16);
    v6m_source_free(src);

    /* Truncated in the very first record: reported on the first next(). */
    path_in_dir(t, sizeof(t), "trunc1.pcap");
    write_file(t, w.p, 24 + 16 + 5);
    const char *p1[1] = { t };
    src = v6m_source_new_files(p1, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_TRUNCATED);
    assert_non_null(strstr(v6m_source_errmsg(src), "(frame 1)"));
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    v6m_source_free(src);
    free(w.p);
}

static void test_corrupt(void **state)
{
    (void)state;
    char p[128];
    struct v6m_frame fr;
    /* pcap: caplen beyond the cap -> FORMAT after the good frame. */
    struct wb w = { .be = true };
    pcap_hdr(&w, false, 65535, 1);
    pcap_rec(&w, 10, 0, 100, 100, 1);
    wb_u32(&w, 11);
    wb_u32(&w, 0);
    wb_u32(&w, 0x7fffffffu);
    wb_u32(&w, 60);
    path_in_dir(p, sizeof(p), "badcap.pcap");
    write_file(p, w.p, w.n);
    free(w.p);
    const char *paths[1] = { p };
    v6m_source *src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_FORMAT);
    assert_non_null(strstr(v6m_source_errmsg(src), "corrupt record"));
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    v6m_source_free(src);

    /* pcapng: trailing length copy differs. */
    memset(&w, 0, sizeof(w));
    ng_shb(&w);
    ng_idb(&w, 1, 0, NULL, -1, 0);
    ng_epb(&w, 0, 1, 20, 20, 1);
    size_t at = w.n;
    ng_epb(&w, 0, 2, 20, 20, 2);
    w.p[w.n - 4] ^= 0x40; /* LE: bump the trailing length */
    path_in_dir(p, sizeof(p), "badlen.pcapng");
    write_file(p, w.p, w.n);
    src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_FORMAT);
    char want[64];
    snprintf(want, sizeof(want), "corrupt block at byte %zu (frame 2)", at);
    assert_non_null(strstr(v6m_source_errmsg(src), want));
    v6m_source_free(src);

    /* Block length not a multiple of 4, and one < 12. */
    for (int k = 0; k < 2; k++) {
        wb_put_u32_at(&w, at + 4, k ? 8 : 33);
        write_file(p, w.p, w.n);
        src = v6m_source_new_files(paths, 1);
        assert_int_equal(v6m_source_start(src), V6M_OK);
        assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
        assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_FORMAT);
        /* 33 is read as a 36-byte block (old writers) whose last word
         * does not repeat 33; 8 is too short for any block */
        assert_non_null(strstr(v6m_source_errmsg(src), k ? "bad block total length"
                                                          : "trailing block length does not match"));
        v6m_source_free(src);
    }
    /* Packet for an interface that does not exist. */
    free(w.p);
    w = (struct wb){ 0 };
    ng_shb(&w);
    ng_idb(&w, 1, 0, NULL, -1, 0);
    ng_epb(&w, 3, 1, 20, 20, 1);
    write_file(p, w.p, w.n);
    src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_FORMAT);
    assert_non_null(strstr(v6m_source_errmsg(src), "interface"));
    struct v6m_source_stats st;
    v6m_source_get_stats(src, &st);
    assert_int_equal(st.files_damaged, 1);
    v6m_source_free(src);
    free(w.p);
}

static void test_open_errors(void **state)
{
    (void)state;
    char p[128], msg[300];
    path_in_dir(p, sizeof(p), "x.txt");
    const char *txt = "hello, this is not a capture file\n";
    write_file(p, txt, strlen(txt));
    const char *paths[1] = { p };
    v6m_source *src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_ERR_FORMAT);
    snprintf(msg, sizeof(msg), "'%s' is not a pcap or pcapng file", p);
    assert_string_equal(v6m_source_errmsg(src), msg);
    v6m_source_free(src);

    path_in_dir(p, sizeof(p), "missing.pcap");
    src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_ERR_IO);
    snprintf(msg, sizeof(msg), "cannot open '%s': No such file or directory", p);
    assert_string_equal(v6m_source_errmsg(src), msg);
    v6m_source_free(src);

    path_in_dir(p, sizeof(p), "empty.pcap");
    write_file(p, "", 0);
    src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_ERR_FORMAT);
    v6m_source_free(src);

    /* Header cut short. */
    struct wb w = { 0 };
    pcap_hdr(&w, false, 65535, 1);
    path_in_dir(p, sizeof(p), "short.pcap");
    write_file(p, w.p, 10);
    src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_ERR_TRUNCATED);
    v6m_source_free(src);
    /* Bad version: 1.x (2.5 or 3.0 are read, as wiretap reads them) */
    w.p[4] = 1;
    write_file(p, w.p, w.n);
    src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_ERR_FORMAT);
    assert_non_null(strstr(v6m_source_errmsg(src), "version"));
    v6m_source_free(src);
    free(w.p);

    /* A header-only capture is an empty, valid input. */
    memset(&w, 0, sizeof(w));
    pcap_hdr(&w, true, 65535, 1);
    write_file(p, w.p, w.n);
    src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    struct v6m_frame fr;
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    v6m_source_free(src);
    free(w.p);

    /* Two stdins. */
    const char *two[2] = { "-", "-" };
    src = v6m_source_new_files(two, 2);
    assert_int_equal(v6m_source_start(src), V6M_ERR_INVALID_ARG);
    v6m_source_free(src);
    v6m_source_free(NULL);
}

static void read_digest(const char *path, uint8_t out[16])
{
    const char *paths[1] = { path };
    v6m_source *src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    struct v6m_frame fr;
    struct v6m_source_input_info info;
    v6m_source_input_info(src, 0, &info);
    assert_false(info.digest_valid);
    while (v6m_source_next(src, &fr) == V6M_OK)
        ;
    v6m_source_input_info(src, 0, &info);
    assert_true(info.digest_valid);
    memcpy(out, info.digest, 16);
    v6m_source_free(src);
}

static void test_digest(void **state)
{
    (void)state;
    char a[128], b[128], c[128];
    path_in_dir(a, sizeof(a), "d1.pcap");
    path_in_dir(b, sizeof(b), "d2.pcap");
    path_in_dir(c, sizeof(c), "d3.pcap");
    const uint32_t s1[] = { 1, 2, 3 };
    const uint32_t s2[] = { 1, 2, 4 };
    write_simple_pcap(a, s1, 3, 7);
    write_simple_pcap(b, s1, 3, 7);
    write_simple_pcap(c, s2, 3, 7);
    uint8_t da[16], da2[16], db[16], dc[16];
    read_digest(a, da);
    read_digest(a, da2);
    read_digest(b, db);
    read_digest(c, dc);
    assert_memory_equal(da, da2, 16);
    assert_memory_equal(da, db, 16);
    assert_memory_not_equal(da, dc, 16);
    /* Equal to the digest of the file's bytes computed directly. */
    FILE *fp = fopen(a, "rb");
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), fp);
    fclose(fp);
    struct digest128 d;
    uint8_t ref[16];
    digest128_init(&d);
    digest128_update(&d, buf, n);
    digest128_final(&d, ref);
    assert_memory_equal(da, ref, 16);
}

/* A big file crosses the 1 MiB read-chunk boundary many times. */
static void test_large_file(void **state)
{
    (void)state;
    struct wb w = { .be = false };
    pcap_hdr(&w, true, 65535, 1);
    const size_t N = 5000;
    for (size_t i = 0; i < N; i++)
        pcap_rec(&w, 100 + (uint32_t)i, (uint32_t)i, 1000 + (uint32_t)(i % 517),
                 1514, (unsigned)i);
    char p[128];
    path_in_dir(p, sizeof(p), "large.pcap");
    write_file(p, w.p, w.n);
    const char *paths[1] = { p };
    v6m_source *src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    struct v6m_frame fr;
    uint8_t buf[2048];
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
        uint32_t cl = 1000 + (uint32_t)(i % 517);
        assert_int_equal(fr.caplen, cl);
        assert_int_equal(fr.ts_ns, (100 + i) * 1000000000ull + i);
        fill_pattern(buf, cl, (unsigned)i);
        assert_memory_equal(fr.data, buf, cl);
    }
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    struct v6m_source_stats st;
    v6m_source_get_stats(src, &st);
    assert_int_equal(st.bytes_read, w.n);
    assert_int_equal(st.bytes_total, w.n);
    v6m_source_free(src);
    free(w.p);
}

static void test_stdin(void **state)
{
    (void)state;
    struct wb w = { 0 };
    build_pcapng(&w, true);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pfd[0]);
        size_t off = 0;
        while (off < w.n) {
            ssize_t r = write(pfd[1], w.p + off, w.n - off);
            if (r <= 0)
                _exit(1);
            off += (size_t)r;
        }
        _exit(0);
    }
    close(pfd[1]);
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(pfd[0], STDIN_FILENO) >= 0);
    close(pfd[0]);
    const char *paths[1] = { "-" };
    v6m_source *src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    struct v6m_frame fr;
    size_t n = 0;
    while (v6m_source_next(src, &fr) == V6M_OK)
        n++;
    assert_int_equal(n, 5);
    assert_string_equal(v6m_source_ifname(src, 1), "-#1");
    struct v6m_source_stats st;
    v6m_source_get_stats(src, &st);
    assert_int_equal(st.bytes_total, 0);
    assert_int_equal(st.bytes_read, w.n);
    v6m_source_free(src);
    dup2(saved, STDIN_FILENO);
    close(saved);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(w.p);
}

/* Frame by frame against libpcap's reader. */
static void cross_check(const char *path)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
                                                        ebuf);
    if (!p)
        fail_msg("libpcap cannot open %s: %s", path, ebuf);
    const char *paths[1] = { path };
    v6m_source *src = v6m_source_new_files(paths, 1);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    struct pcap_pkthdr *h;
    const u_char *d;
    struct v6m_frame fr;
    size_t n = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
        assert_int_equal(v6m_source_next(src, &fr), V6M_OK);
        assert_int_equal(fr.ts_ns, (uint64_t)h->ts.tv_sec * 1000000000ull +
                                       (uint64_t)h->ts.tv_usec);
        assert_int_equal(fr.caplen, h->caplen);
        assert_int_equal(fr.wirelen, h->len);
        assert_int_equal(fr.linktype, (uint32_t)pcap_datalink(p));
        assert_memory_equal(fr.data, d, h->caplen);
        n++;
    }
    assert_int_equal(rc, PCAP_ERROR_BREAK); /* clean end */
    assert_true(n > 0);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    v6m_source_free(src);
    pcap_close(p);
}

static void test_libpcap_cross_check(void **state)
{
    (void)state;
    char p[128];
    for (int v = 0; v < 4; v++) {
        struct wb w = { .be = v & 1 };
        pcap_hdr(&w, v & 2, 65535, 1);
        for (unsigned i = 0; i < 50; i++)
            pcap_rec(&w, 1600000000u + i, i * 7919u % 1000000u, 40 + i * 13, 40 + i * 20, i);
        snprintf(p, sizeof(p), "%s/x%d.pcap", g_dir, v);
        write_file(p, w.p, w.n);
        cross_check(p);
        free(w.p);
    }
    /* pcapng: libpcap wants one link type, so two Ethernet interfaces with
     * ns and us resolution, EPB and SPB. */
    for (int be = 0; be < 2; be++) {
        struct wb w = { .be = be };
        ng_shb(&w);
        ng_idb(&w, 1, 0, "a", 9, 0);
        ng_idb(&w, 1, 0, "b", 6, 0);
        for (unsigned i = 0; i < 30; i++) {
            if (i % 3 == 2)
                ng_epb(&w, 1, 1600000000000000ull + i * 1000u, 30 + i, 30 + i * 2, i);
            else
                ng_epb(&w, 0, 1600000000000000000ull + i * 1000000u, 30 + i, 60 + i, i);
        }
        ng_opaque(&w, 5, 16);
        snprintf(p, sizeof(p), "%s/x%d.pcapng", g_dir, be);
        write_file(p, w.p, w.n);
        cross_check(p);
        free(w.p);
    }
}

static void test_live_loopback(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        printf("[ SKIPPED  ] live capture needs root\n");
        skip();
    }
    const uint16_t port = 47123;
    struct v6m_live_config cfg = { .ifname = "lo", .snaplen = 2048, .promisc = false,
                                   .buffer_mb = 4, .bpf = "udp and dst port 47123" };
    v6m_source *src = v6m_source_new_live(&cfg);
    assert_non_null(src);
    v6m_err rc = v6m_source_start(src);
    if (rc != V6M_OK) {
        printf("[ SKIPPED  ] cannot capture on lo: %s\n", v6m_source_errmsg(src));
        v6m_source_free(src);
        skip();
    }
    v6m_source_set_duration(src, 3000000000ull);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char *msgs[3] = { "v6mon-live-1", "v6mon-live-22", "v6mon-live-333" };
    for (int i = 0; i < 3; i++)
        assert_true(sendto(s, msgs[i], strlen(msgs[i]), 0, (struct sockaddr *)&to,
                           sizeof(to)) > 0);
    close(s);
    int seen = 0;
    struct v6m_frame fr;
    while (seen < 3 && (rc = v6m_source_next(src, &fr)) == V6M_OK) {
        /* Ethernet(14) + IPv4(20) + UDP(8) + payload on Linux lo. */
        assert_int_equal(fr.linktype, 1);
        assert_true(fr.caplen >= 42);
        size_t plen = fr.caplen - 42;
        assert_int_equal(plen, strlen(msgs[seen]));
        assert_memory_equal(fr.data + 42, msgs[seen], plen);
        assert_int_equal(fr.ifindex, 0);
        seen++;
    }
    assert_int_equal(seen, 3);
    assert_string_equal(v6m_source_ifname(src, 0), "lo");
    v6m_source_stop(src);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_INTERRUPTED);
    struct v6m_source_input_info info;
    v6m_source_input_info(src, 0, &info);
    assert_string_equal(info.format, "live");
    v6m_source_free(src);

    /* Duration alone ends the capture (nothing matches the filter). */
    cfg.bpf = "udp and dst port 47124";
    src = v6m_source_new_live(&cfg);
    assert_int_equal(v6m_source_start(src), V6M_OK);
    v6m_source_set_duration(src, 300000000ull);
    assert_int_equal(v6m_source_next(src, &fr), V6M_ERR_EOF);
    v6m_source_free(src);

    cfg.ifname = "v6mon-no-such-if";
    src = v6m_source_new_live(&cfg);
    assert_int_not_equal(v6m_source_start(src), V6M_OK);
    assert_non_null(strstr(v6m_source_errmsg(src), "v6mon-no-such-if"));
    v6m_source_free(src);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/v6m-test-source-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_variants),
        cmocka_unit_test(test_pcap_modified),
        cmocka_unit_test(test_pcapng),
        cmocka_unit_test(test_pcapng_spb_snaplen_and_oversized),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_large_file),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_libpcap_cross_check),
        cmocka_unit_test(test_live_loopback),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
