/*
 * source/source.c - the public capture-source API (v6mon/source.h): opens
 * the inputs, merges several files by timestamp and keeps the statistics.
 *
 * Merge: a binary min-heap of input indices keyed by (current frame time,
 * input index), so ties go to the lower input index. Each input's current
 * frame points into that input's own read buffer (capfile.c), which only
 * changes when that input is advanced. Advancing is lazy: next() hands out
 * the root's frame and remembers it (`pending`); the following next() call
 * first advances that input and sifts it down. So a frame stays valid until
 * the next call, as the contract says, without any copy. With one input
 * the heap has one element and the merge costs nothing.
 *
 * Damage: when an input ends in a truncated or corrupt record it leaves the
 * heap, files_damaged is counted and next() returns that error once with
 * the message in errmsg; the next call goes on with the other inputs. An
 * input that fails on its very first record (during start) keeps the error
 * "deferred" and reports it on the first next() call.
 *
 * Interface numbering: interfaces are numbered in the order they are
 * discovered. start() reads each file's header and first frame in input
 * order, which reads every interface block that precedes the first packet,
 * so file 0's interfaces come before file 1's; an interface described
 * later in a file (a later pcapng section) gets the next free number.
 */
#include <v6mon/source.h>

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/source_impl.h"
#include "util/strutil.h"

struct src_input {
    struct capfile f;
    bool opened;
    bool header_ok;          /* capfile_open() succeeded: the format is known */
    v6m_err deferred;        /* error found during start, not yet reported */
    struct errbuf derr;
};

struct v6m_source {
    bool is_live;
    bool started;
    /* files */
    char **paths;
    size_t n;
    struct src_input *in;
    uint32_t *heap;
    size_t heap_n;
    bool pending;            /* heap[0]'s frame was handed out */
    size_t n_deferred;
    /* live */
    struct v6m_live_config cfg;
    char *cfg_ifname, *cfg_bpf;
    struct live *lv;
    atomic_int stop;
    const volatile int *watch; /* caller's stop flag (signal handler), or NULL */
    uint64_t duration_ns;
    uint64_t deadline_mono;  /* 0 = none */

    struct iftable ift;
    struct errbuf err;
    uint64_t frames;
    uint64_t files_damaged;
};

static char *dupstr(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

v6m_source *v6m_source_new_files(const char *const *paths, size_t n)
{
    v6m_source *src = calloc(1, sizeof(*src));
    if (!src)
        return NULL;
    errbuf_clear(&src->err);
    src->paths = calloc(n ? n : 1, sizeof(*src->paths));
    src->in = calloc(n ? n : 1, sizeof(*src->in));
    src->heap = calloc(n ? n : 1, sizeof(*src->heap));
    if (!src->paths || !src->in || !src->heap) {
        v6m_source_free(src);
        return NULL;
    }
    src->n = n;
    for (size_t i = 0; i < n; i++) {
        src->paths[i] = dupstr(paths[i]);
        if (!src->paths[i]) {
            v6m_source_free(src);
            return NULL;
        }
        src->in[i].f.fd = -1;
    }
    return src;
}

v6m_source *v6m_source_new_live(const struct v6m_live_config *cfg)
{
    v6m_source *src = calloc(1, sizeof(*src));
    if (!src)
        return NULL;
    errbuf_clear(&src->err);
    src->is_live = true;
    src->cfg = *cfg;
    src->cfg_ifname = dupstr(cfg->ifname ? cfg->ifname : "");
    src->cfg_bpf = dupstr(cfg->bpf);
    if (!src->cfg_ifname || (cfg->bpf && !src->cfg_bpf)) {
        v6m_source_free(src);
        return NULL;
    }
    src->cfg.ifname = src->cfg_ifname;
    src->cfg.bpf = src->cfg_bpf;
    return src;
}

void v6m_source_free(v6m_source *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->n; i++) {
        if (src->in)
            capfile_close(&src->in[i].f);
        if (src->paths)
            free(src->paths[i]);
    }
    free(src->paths);
    free(src->in);
    free(src->heap);
    if (src->lv)
        live_close(src->lv);
    free(src->cfg_ifname);
    free(src->cfg_bpf);
    iftable_release(&src->ift);
    free(src);
}

/* One 4-byte field loaded on its own (the empty asm keeps the value in a
 * register, so loads of neighbouring fields are not merged; it emits no
 * instruction). */
static inline uint32_t field_u32(const uint32_t *p)
{
    uint32_t v = *p;
#if defined(__GNUC__) || defined(__clang__)
    __asm__("" : "+r"(v));
#endif
    return v;
}

/* ---- heap --------------------------------------------------------------- */

static bool heap_less(const v6m_source *src, uint32_t a, uint32_t b)
{
    uint64_t ta = src->in[a].f.cur.ts_ns, tb = src->in[b].f.cur.ts_ns;
    return ta < tb || (ta == tb && a < b);
}

static void heap_down(v6m_source *src, size_t i)
{
    uint32_t *h = src->heap;
    size_t n = src->heap_n;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(src, h[l], h[m]))
            m = l;
        if (l + 1 < n && heap_less(src, h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        uint32_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

static void heap_up(v6m_source *src, size_t i)
{
    uint32_t *h = src->heap;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_less(src, h[i], h[p]))
            return;
        uint32_t t = h[i];
        h[i] = h[p];
        h[p] = t;
        i = p;
    }
}

static void heap_pop(v6m_source *src)
{
    src->heap[0] = src->heap[--src->heap_n];
    if (src->heap_n)
        heap_down(src, 0);
}

/* ---- start / next ------------------------------------------------------- */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

v6m_err v6m_source_start(v6m_source *src)
{
    if (src->started)
        return errbuf_set(&src->err, V6M_ERR_INVALID_ARG, "source already started");
    src->started = true;
    if (src->is_live) {
        v6m_err rc = live_open(&src->lv, &src->cfg, &src->err);
        if (rc != V6M_OK)
            return rc;
        if (iftable_add(&src->ift, src->cfg.ifname, live_linktype(src->lv)) < 0)
            return errbuf_set(&src->err, V6M_ERR_NOMEM, "out of memory");
        if (src->duration_ns)
            src->deadline_mono = mono_ns() + src->duration_ns;
        return V6M_OK;
    }
    if (src->n == 0)
        return errbuf_set(&src->err, V6M_ERR_INVALID_ARG, "no input files");
    size_t n_stdin = 0;
    for (size_t i = 0; i < src->n; i++)
        n_stdin += strcmp(src->paths[i], "-") == 0;
    if (n_stdin > 1)
        return errbuf_set(&src->err, V6M_ERR_INVALID_ARG,
                          "standard input ('-') can be read only once");
    /* Bound the read buffers to about 64 MiB in total. */
    size_t bufsize = ((size_t)64 << 20) / src->n;
    if (bufsize > SRC_READ_CHUNK)
        bufsize = SRC_READ_CHUNK;
    /* Regular files are mapped in windows (capfile.c); with many inputs
     * the windows shrink too, to about 256 MiB mapped in all, never below
     * the smallest read buffer (a window grows when one record needs it). */
    size_t window = ((size_t)256 << 20) / src->n;
    if (window > SRC_MAP_WINDOW)
        window = SRC_MAP_WINDOW;
    if (window < SRC_READ_CHUNK_MIN)
        window = SRC_READ_CHUNK_MIN;
    struct capfile_opts opts = { .bufsize = bufsize, .map_window = window };
    for (size_t i = 0; i < src->n; i++) {
        struct src_input *in = &src->in[i];
        in->opened = true;
        v6m_err rc = capfile_open(&in->f, src->paths[i], &opts, &src->ift, &src->err);
        if (rc != V6M_OK)
            return rc;
        in->header_ok = true;
        errbuf_clear(&in->derr);
        rc = capfile_next(&in->f, &in->derr);
        if (rc == V6M_OK) {
            src->heap[src->heap_n++] = (uint32_t)i;
            heap_up(src, src->heap_n - 1);
        } else if (rc != V6M_ERR_EOF) {
            in->deferred = rc;
            src->n_deferred++;
            src->files_damaged++;
        }
    }
    return V6M_OK;
}

v6m_err v6m_source_next(v6m_source *src, struct v6m_frame *frame)
{
    if (!src->started)
        return errbuf_set(&src->err, V6M_ERR_INVALID_ARG, "source not started");
    if (src->is_live) {
        v6m_err rc = live_next(src->lv, frame, src->deadline_mono, &src->stop,
                               src->watch, &src->err);
        if (rc == V6M_OK)
            src->frames++;
        return rc;
    }
    if (src->pending) {
        src->pending = false;
        uint32_t i = src->heap[0];
        struct src_input *in = &src->in[i];
        v6m_err rc = capfile_next(&in->f, &src->err);
        if (rc == V6M_OK) {
            if (src->heap_n > 1)
                heap_down(src, 0);
        } else {
            heap_pop(src);
            if (rc != V6M_ERR_EOF) {
                src->files_damaged++;
                return rc;
            }
        }
    }
    if (src->n_deferred) {
        for (size_t i = 0; i < src->n; i++) {
            struct src_input *in = &src->in[i];
            if (in->deferred != V6M_OK) {
                v6m_err rc = in->deferred;
                in->deferred = V6M_OK;
                src->n_deferred--;
                src->err = in->derr;
                return rc;
            }
        }
    }
    if (src->heap_n == 0)
        return V6M_ERR_EOF;
    /* Field by field: the reader has just written these fields one by
     * one, and a struct copy reads them back 16 bytes at a time, which
     * cannot be forwarded from those smaller stores (a stall on every
     * frame, measured as a third of this function's time). Plain field
     * copies are not enough: the compiler merges the four 4-byte loads
     * into one 16-byte load again (seen in perf as ~2% of a whole run),
     * so each goes through field_u32(). */
    const struct v6m_frame *cur = &src->in[src->heap[0]].f.cur;
    frame->ts_ns = cur->ts_ns;
    frame->caplen = field_u32(&cur->caplen);
    frame->wirelen = field_u32(&cur->wirelen);
    frame->linktype = field_u32(&cur->linktype);
    frame->ifindex = field_u32(&cur->ifindex);
    frame->data = cur->data;
    src->pending = true;
    src->frames++;
    return V6M_OK;
}

void v6m_source_watch_flag(v6m_source *src, const volatile int *flag)
{
    src->watch = flag;
}

void v6m_source_stop(v6m_source *src)
{
    atomic_store(&src->stop, 1);
    if (src->lv)
        live_breakloop(src->lv);
}

void v6m_source_set_duration(v6m_source *src, uint64_t ns)
{
    src->duration_ns = ns;
    if (src->started && src->is_live)
        src->deadline_mono = ns ? mono_ns() + ns : 0;
}

const char *v6m_source_errmsg(const v6m_source *src)
{
    return src->err.msg;
}

const char *v6m_source_ifname(const v6m_source *src, uint32_t ifindex)
{
    if (ifindex < src->ift.n)
        return src->ift.names[ifindex];
    return "?";
}

void v6m_source_get_stats(const v6m_source *src, struct v6m_source_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->frames = src->frames;
    st->files_damaged = src->files_damaged;
    bool size_known = !src->is_live;
    for (size_t i = 0; i < src->n; i++) {
        const struct capfile *f = &src->in[i].f;
        st->bytes_read += capfile_consumed(f);
        st->frames_oversized += f->frames_oversized;
        st->frames_short_wirelen += f->frames_short_wirelen;
        st->blocks_skipped += f->blocks_skipped;
        if (f->size == 0 && src->in[i].opened)
            size_known = false;
        st->bytes_total += f->size;
    }
    if (!size_known)
        st->bytes_total = 0;
    if (src->lv)
        live_stats(src->lv, &st->live_dropped, &st->live_if_dropped);
}

size_t v6m_source_input_count(const v6m_source *src)
{
    return src->is_live ? 1 : src->n;
}

void v6m_source_input_info(const v6m_source *src, size_t index,
                           struct v6m_source_input_info *info)
{
    memset(info, 0, sizeof(*info));
    if (src->is_live) {
        info->name = src->cfg.ifname;
        info->format = "live";
        return;
    }
    if (index >= src->n) {
        info->name = "?";
        info->format = "?";
        return;
    }
    const struct src_input *in = &src->in[index];
    info->name = src->paths[index];
    info->format = in->header_ok ? capfile_format_name(&in->f) : "?";
    info->size = capfile_consumed(&in->f);
    if (in->f.digest_done) {
        memcpy(info->digest, in->f.digest, 16);
        digest128_hex(info->digest, info->digest_hex);
        info->digest_valid = true;
    }
}
