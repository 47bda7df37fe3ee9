/*
 * fuzz_capfile.c - libFuzzer target: the capture reader's two ways of
 * reading a regular file (lib/source/capfile.c) must agree on any input.
 *
 * The input is written to a memfd (a regular file) and read to the end
 * twice: with read() into a buffer, and through mapped windows of one or
 * a few pages (so records and blocks straddle window boundaries), where
 * the first input byte also picks after how many windows mmap() is made
 * to fail (0 = never) to exercise the fall-back to read(). Both runs must
 * give the same frames (time, lengths, interface, link type, bytes), the
 * same end (EOF or the same error with the same message), the same
 * consumed offset and the same digest; anything else aborts. Every frame's
 * bytes are read, so ASan sees any read outside the mapping.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "source/source_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 4096

struct run {
    size_t n;
    uint64_t ts[MAXF];
    uint32_t caplen[MAXF], wirelen[MAXF], lt[MAXF], ifx[MAXF];
    uint64_t sum[MAXF];
    v6m_err open_rc, end;
    char msg[ERRBUF_SIZE];
    uint64_t consumed;
    uint8_t digest[16];
    bool digest_done;
};

static void read_with(const char *path, const struct capfile_opts *o, struct run *r)
{
    struct capfile f;
    struct iftable tab;
    struct errbuf err;
    memset(&tab, 0, sizeof(tab));
    errbuf_clear(&err);
    r->n = 0;
    r->open_rc = capfile_open(&f, path, o, &tab, &err);
    r->end = r->open_rc;
    if (r->open_rc == V6M_OK) {
        v6m_err rc;
        while ((rc = capfile_next(&f, &err)) == V6M_OK) {
            if (r->n < MAXF) {
                size_t k = r->n;
                r->ts[k] = f.cur.ts_ns;
                r->caplen[k] = f.cur.caplen;
                r->wirelen[k] = f.cur.wirelen;
                r->lt[k] = f.cur.linktype;
                r->ifx[k] = f.cur.ifindex;
                uint64_t s = 0;
                for (uint32_t i = 0; i < f.cur.caplen; i++)
                    s = s * 131 + f.cur.data[i];
                r->sum[k] = s;
            }
            r->n++;
        }
        r->end = rc;
        r->consumed = capfile_consumed(&f);
        r->digest_done = f.digest_done;
        memcpy(r->digest, f.digest, 16);
    }
    memcpy(r->msg, err.msg, sizeof(r->msg));
    capfile_close(&f);
    iftable_release(&tab);
}

static struct run ra, rb;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_capture_fd(data, size, path, sizeof(path));
    if (fd < 0)
        return 0;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    unsigned sel = size ? data[0] : 0;
    struct capfile_opts by_read = { .bufsize = 0, .map_window = 0 };
    struct capfile_opts by_map = { .bufsize = 0,
                                   .map_window = pg * (1 + (sel & 3)),
                                   .map_fail_after = (sel >> 2) & 7 };
    read_with(path, &by_read, &ra);
    read_with(path, &by_map, &rb);
    if (ra.open_rc != rb.open_rc || ra.end != rb.end || ra.n != rb.n ||
        strcmp(ra.msg, rb.msg) != 0)
        abort();
    if (ra.open_rc == V6M_OK) {
        if (ra.consumed != rb.consumed || !ra.digest_done || !rb.digest_done ||
            memcmp(ra.digest, rb.digest, 16) != 0)
            abort();
        size_t n = ra.n < MAXF ? ra.n : MAXF;
        for (size_t k = 0; k < n; k++)
            if (ra.ts[k] != rb.ts[k] || ra.caplen[k] != rb.caplen[k] ||
                ra.wirelen[k] != rb.wirelen[k] || ra.lt[k] != rb.lt[k] ||
                ra.ifx[k] != rb.ifx[k] || ra.sum[k] != rb.sum[k])
                abort();
    }
    close(fd);
    return 0;
}
