/*
 * test_capmap.c - the capture reader's two ways of getting at a regular
 * file (lib/source/capfile.c): read() into a buffer, and read-only mapped
 * windows. Both must hand out exactly the frames the file holds and the
 * digest of exactly its bytes, including records that straddle a window
 * boundary (windows of one page and a few pages are used here), pcapng
 * blocks streamed over across several windows, truncated files, a file
 * that grows after it was opened, and mmap() failing part-way (the reader
 * then goes on with read() from where it was).
 *
 * Expected values are independent of the reader: the frames are the ones
 * this test wrote (timestamps, lengths, bytes from a seeded pattern), the
 * digest is digest128 over the file's bytes in one call, and a truncated
 * file must yield the frames that lie wholly before the cut.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source/source_impl.h"
#include "util/hash.h"

#include "capwrite.h"

/* ---- writer: capwrite.h --------------------------------------------------- */

static uint8_t pat(unsigned rec, size_t i)
{
    uint32_t x = (uint32_t)(rec * 2654435761u) ^ (uint32_t)(i * 40503u);
    x ^= x >> 13;
    return (uint8_t)(x * 0x5bd1e995u >> 24);
}

/* What the writer put in: frame k starts at file offset at[k]. */
struct want {
    size_t n;
    uint64_t ts[4096];
    uint32_t caplen[4096], wirelen[4096];
    size_t data_at[4096]; /* offset of the frame's bytes in the file */
    size_t end_at[4096];  /* offset just past the record / block */
};

static uint32_t len_of(unsigned k)
{
    /* 0..1700 bytes, with runs of large and tiny records */
    uint32_t x = k * 2246822519u;
    x ^= x >> 15;
    return (k % 7 == 3) ? 1700 - (x % 64) : (x % 1500);
}

static void make_pcap(struct wb *w, struct want *wt, unsigned nrec)
{
    w->n = 0;
    wb_u32(w, 0xA1B2C3D4u);
    wb_u16(w, 2);
    wb_u16(w, 4);
    wb_u32(w, 0);
    wb_u32(w, 0);
    wb_u32(w, 65535);
    wb_u32(w, 1);
    wt->n = 0;
    for (unsigned k = 0; k < nrec; k++) {
        uint32_t cl = len_of(k);
        wb_u32(w, 1000 + k);
        wb_u32(w, k % 1000000);
        wb_u32(w, cl);
        wb_u32(w, cl + (k % 3));
        wt->ts[k] = (uint64_t)(1000 + k) * 1000000000u + (uint64_t)(k % 1000000) * 1000u;
        wt->caplen[k] = cl;
        wt->wirelen[k] = cl + (k % 3);
        wt->data_at[k] = w->n;
        for (uint32_t i = 0; i < cl; i++) {
            uint8_t b = pat(k, i);
            wb_bytes(w, &b, 1);
        }
        wt->end_at[k] = w->n;
        wt->n++;
    }
}

/* pcapng: SHB, IDB, then EPBs; every 50th is preceded by an unknown block
 * of 9000 bytes (streamed over across windows) and block 100 by a custom
 * block larger than the read buffer (600 KiB: skipped, not parsed). */
static void make_pcapng(struct wb *w, struct want *wt, unsigned nrec)
{
    w->n = 0;
    wb_u32(w, 0x0A0D0D0Au);
    wb_u32(w, 28);
    wb_u32(w, 0x1A2B3C4Du);
    wb_u16(w, 1);
    wb_u16(w, 0);
    wb_u32(w, 0xffffffffu);
    wb_u32(w, 0xffffffffu);
    wb_u32(w, 28);
    wb_u32(w, 1); /* IDB */
    wb_u32(w, 20);
    wb_u16(w, 1);
    wb_u16(w, 0);
    wb_u32(w, 0);
    wb_u32(w, 20);
    wt->n = 0;
    for (unsigned k = 0; k < nrec; k++) {
        if (k % 50 == 49 || k == 100) {
            uint32_t blen = k == 100 ? 600u * 1024u : 9000u;
            wb_u32(w, k == 100 ? 0x00000BADu : 0x40000123u);
            wb_u32(w, blen);
            for (uint32_t i = 0; i < blen - 12; i++) {
                uint8_t b = pat(k + 7777, i);
                wb_bytes(w, &b, 1);
            }
            wb_u32(w, blen);
        }
        uint32_t cl = len_of(k);
        uint32_t padded = (cl + 3) & ~3u;
        uint32_t blen = 32 + padded;
        uint64_t ts = 1700000000000000ull + k * 1000ull; /* microseconds */
        wb_u32(w, 6);
        wb_u32(w, blen);
        wb_u32(w, 0);
        wb_u32(w, (uint32_t)(ts >> 32));
        wb_u32(w, (uint32_t)ts);
        wb_u32(w, cl);
        wb_u32(w, cl + 4);
        wt->ts[k] = ts * 1000u;
        wt->caplen[k] = cl;
        wt->wirelen[k] = cl + 4;
        wt->data_at[k] = w->n;
        for (uint32_t i = 0; i < padded; i++) {
            uint8_t b = i < cl ? pat(k, i) : 0;
            wb_bytes(w, &b, 1);
        }
        wb_u32(w, blen);
        wt->end_at[k] = w->n;
        wt->n++;
    }
}

static char *write_tmp(const uint8_t *p, size_t n)
{
    char *path = strdup("/tmp/v6m_test_capmap_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t off = 0;
    while (off < n) {
        ssize_t r = write(fd, p + off, n - off);
        assert_true(r > 0);
        off += (size_t)r;
    }
    close(fd);
    return path;
}

/* ---- reading -------------------------------------------------------------- */

struct got {
    size_t frames;
    v6m_err end;        /* EOF, or the error */
    char msg[ERRBUF_SIZE];
    uint8_t digest[16];
    bool mapped_at_open;
    unsigned windows;
};

/* Read the whole file with the given options, checking every frame
 * against what the writer put there (file bytes `file`, `limit` of them
 * present). */
static void read_all(const char *path, const struct capfile_opts *o, const struct want *wt,
                     const uint8_t *file, struct got *g)
{
    struct capfile f;
    struct iftable tab;
    struct errbuf err;
    memset(&tab, 0, sizeof(tab));
    errbuf_clear(&err);
    memset(g, 0, sizeof(*g));
    assert_int_equal(capfile_open(&f, path, o, &tab, &err), V6M_OK);
    g->mapped_at_open = f.mapped;
    v6m_err rc;
    while ((rc = capfile_next(&f, &err)) == V6M_OK) {
        size_t k = g->frames++;
        assert_true(k < wt->n);
        assert_int_equal(f.cur.ts_ns, wt->ts[k]);
        assert_int_equal(f.cur.caplen, wt->caplen[k]);
        assert_int_equal(f.cur.wirelen, wt->wirelen[k]);
        assert_memory_equal(f.cur.data, file + wt->data_at[k], wt->caplen[k]);
        assert_int_equal(capfile_consumed(&f), wt->end_at[k]);
    }
    g->end = rc;
    snprintf(g->msg, sizeof(g->msg), "%s", err.msg);
    assert_true(f.digest_done);
    memcpy(g->digest, f.digest, 16);
    g->windows = f.map_count;
    capfile_close(&f);
    iftable_release(&tab);
}

static void digest_of(const uint8_t *p, size_t n, uint8_t out[16])
{
    struct digest128 d;
    digest128_init(&d);
    digest128_update(&d, p, n);
    digest128_final(&d, out);
}

/* Every way of reading the file gives the same frames, end and digest. */
static void check_all_ways(const uint8_t *file, size_t size, const struct want *wt,
                           size_t expect_frames, v6m_err expect_end)
{
    char *path = write_tmp(file, size);
    uint8_t dg[16];
    digest_of(file, size, dg);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    const struct capfile_opts ways[] = {
        { .bufsize = 0, .map_window = 0 },               /* read() */
        { .bufsize = 0, .map_window = 1 },               /* one page */
        { .bufsize = 0, .map_window = 3 * pg },
        { .bufsize = 0, .map_window = 64 * 1024 + 1 },   /* rounded up */
        { .bufsize = 0, .map_window = SRC_MAP_WINDOW },
        { .bufsize = 0, .map_window = pg, .map_fail_after = 1 },  /* at open */
        { .bufsize = 0, .map_window = pg, .map_fail_after = 2 },
        { .bufsize = 0, .map_window = 2 * pg, .map_fail_after = 7 },
    };
    struct got first;
    memset(&first, 0, sizeof(first));
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        struct got g;
        read_all(path, &ways[i], wt, file, &g);
        assert_int_equal(g.frames, expect_frames);
        assert_int_equal(g.end, expect_end);
        assert_memory_equal(g.digest, dg, 16);
        if (ways[i].map_window == 0)
            assert_false(g.mapped_at_open);
        else if (ways[i].map_fail_after != 1)
            assert_true(g.mapped_at_open);
        if (ways[i].map_window == 1 && size > 8 * pg)
            assert_true(g.windows > 2); /* the test did cross windows */
        if (i == 0)
            first = g;
        else
            assert_string_equal(g.msg, first.msg); /* same message, same offsets */
    }
    unlink(path);
    free(path);
}

static void test_pcap_windows(void **state)
{
    (void)state;
    static struct want wt;
    struct wb w = { 0 };
    make_pcap(&w, &wt, 3000);
    check_all_ways(w.p, w.n, &wt, wt.n, V6M_ERR_EOF);
    free(w.p);
}

static void test_pcapng_windows(void **state)
{
    (void)state;
    static struct want wt;
    struct wb w = { 0 };
    make_pcapng(&w, &wt, 400);
    check_all_ways(w.p, w.n, &wt, wt.n, V6M_ERR_EOF);
    free(w.p);
}

/* Cuts: in the file header region is covered by test_source; here cuts
 * inside record headers and record data, at and around page boundaries. */
static void test_truncated(void **state)
{
    (void)state;
    static struct want wt;
    struct wb w = { 0 };
    make_pcap(&w, &wt, 600);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t cuts[] = { wt.end_at[0] + 5, wt.end_at[10] + 16 + 3, 3 * pg, 3 * pg + 1,
                      5 * pg - 1, wt.end_at[300] + 9, w.n - 1 };
    for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        size_t cut = cuts[c];
        size_t whole = 0;
        while (whole < wt.n && wt.end_at[whole] <= cut)
            whole++;
        bool clean = whole > 0 && wt.end_at[whole - 1] == cut;
        check_all_ways(w.p, cut, &wt, whole, clean ? V6M_ERR_EOF : V6M_ERR_TRUNCATED);
    }
    struct want wn;
    make_pcapng(&w, &wn, 300);
    size_t ncuts[] = { wn.end_at[60] + 100, wn.end_at[100] - 30, wn.end_at[200] + 2 };
    for (size_t c = 0; c < sizeof(ncuts) / sizeof(ncuts[0]); c++) {
        size_t cut = ncuts[c], whole = 0;
        while (whole < wn.n && wn.end_at[whole] <= cut)
            whole++;
        bool clean = whole > 0 && wn.end_at[whole - 1] == cut;
        check_all_ways(w.p, cut, &wn, whole, clean ? V6M_ERR_EOF : V6M_ERR_TRUNCATED);
    }
    free(w.p);
}

/* A file that grows after it was opened is read to its new end, as read()
 * would: the windows follow fstat(). */
static void test_growing_file(void **state)
{
    (void)state;
    static struct want wt;
    struct wb w = { 0 };
    make_pcap(&w, &wt, 1000);
    size_t first = wt.end_at[499];
    uint8_t dg[16];
    digest_of(w.p, w.n, dg);
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (int way = 0; way < 2; way++) {
        char *path = write_tmp(w.p, first);
        struct capfile_opts o = { .bufsize = 0, .map_window = way ? 2 * pg : 0 };
        struct capfile f;
        struct iftable tab;
        struct errbuf err;
        memset(&tab, 0, sizeof(tab));
        errbuf_clear(&err);
        assert_int_equal(capfile_open(&f, path, &o, &tab, &err), V6M_OK);
        assert_int_equal(f.mapped, way == 1);
        size_t k = 0;
        for (; k < 10; k++)
            assert_int_equal(capfile_next(&f, &err), V6M_OK);
        FILE *fp = fopen(path, "ab");
        assert_non_null(fp);
        assert_int_equal(fwrite(w.p + first, 1, w.n - first, fp), w.n - first);
        fclose(fp);
        v6m_err rc;
        while ((rc = capfile_next(&f, &err)) == V6M_OK) {
            assert_int_equal(f.cur.caplen, wt.caplen[k]);
            assert_memory_equal(f.cur.data, w.p + wt.data_at[k], wt.caplen[k]);
            k++;
        }
        assert_int_equal(rc, V6M_ERR_EOF);
        assert_int_equal(k, wt.n);
        assert_memory_equal(f.digest, dg, 16);
        capfile_close(&f);
        iftable_release(&tab);
        unlink(path);
        free(path);
    }
    free(w.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_windows),
        cmocka_unit_test(test_pcapng_windows),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_growing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
