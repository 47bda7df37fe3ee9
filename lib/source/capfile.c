/*
 * source/capfile.c - our own bounded reader for pcap and pcapng files.
 *
 * Why our own: libpcap's offline reader allocates per file, stops at the
 * first damaged record without saying where, cannot merge files and gives
 * no digest of the bytes. This reader maps a regular file in read-only
 * windows (no copy at all; see "mapped windows" below) and pulls anything
 * else (stdin, pipes) through one buffer with read() calls of
 * SRC_READ_STEP; it parses every header through the bounded cursor and
 * hands out frames that point into the window or buffer: no per-frame
 * allocation, no per-frame copy.
 *
 * Buffer invariant (both modes): bytes [pos, end) of buf are read (and
 * digested) but not consumed and buf[pos] is at file offset `off`.
 * rd_fill(n) makes n bytes available: by moving the unconsumed tail (less
 * than one record) to the front and reading more, or by digesting further
 * into the window / mapping the next one. It is only called when the frame
 * handed out last has been consumed by the caller, so moving bytes or
 * unmapping a window never invalidates a live frame. Every byte of the
 * file is fed to the file's digest once, in order.
 *
 * pcap (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/), byte
 * order given by the magic:
 *   file header (24): magic u32 | major u16 | minor u16 | thiszone i32 |
 *                     sigfigs u32 | snaplen u32 | linktype u32
 *       magic a1b2c3d4 = usec, a1b23c4d = nsec timestamps
 *       linktype: bits 0-15 LINKTYPE, bits 16-25 reserved, bit 26 "F"
 *                 (FCS length present), bits 28-31 FCS length in 16-bit words
 *   record (16 + caplen): ts_sec u32 | ts_frac u32 | caplen u32 | wirelen u32
 *
 * pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/):
 *   block: type u32 | total_len u32 | body | total_len u32 (copy)
 *       total_len >= 12, both copies equal; the block fills whole words
 *       (a total_len that is not a multiple of 4 is rounded up, as wiretap)
 *   SHB 0x0a0d0d0a: bom 0x1a2b3c4d (sets byte order) | major u16 (1) |
 *                   minor u16 | section_len i64 | options
 *   IDB 1: linktype u16 | reserved u16 | snaplen u32 | options
 *          (if_name 2, if_tsresol 9, if_fcslen 13, if_tsoffset 14)
 *   EPB 6: if_id u32 | ts_hi u32 | ts_lo u32 | caplen u32 | wirelen u32 |
 *          data, padded to 4 | options
 *   SPB 3: wirelen u32 | data (interface 0; caplen = min(wirelen, body,
 *          snaplen))
 *   PB 2 (obsolete): if_id u16 | drops u16 | ts_hi | ts_lo | caplen |
 *          wirelen | data
 *   everything else (NRB, ISB, DSB, custom, unknown) is skipped unread
 *   and counted.
 *   An option: code u16 | len u16 | value padded to 4; code 0 ends them.
 *
 * Decisions (docs/internals/source.md):
 *   - pcap caplen above SRC_CAPLEN_MAX, or above max(snaplen, 65535) +
 *     SRC_CAPLEN_SLACK, means the record stream is out of step: FORMAT.
 *     In pcapng the block length keeps us in step, so an oversized packet
 *     block is skipped and counted in frames_oversized instead.
 *   - wirelen < caplen is tolerated and kept as written (tshark's frame.len
 *     is the recorded wire length too, 0 included: some writers leave it
 *     0); such records are counted in frames_short_wirelen, and the decoder
 *     reads the caplen bytes either way.
 *   - Reserved linktype bits are ignored; the FCS length is remembered.
 *   - After damage the rest of the file is drained into the digest so that
 *     the digest always covers the whole file.
 */
#include "source/source_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cursor.h"
#include "util/strutil.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 1u
#define PCAPNG_PB 2u
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u
#define PCAPNG_BOM 0x1A2B3C4Du

/* ---- interface table ---------------------------------------------------- */

int64_t iftable_add(struct iftable *t, const char *name, uint32_t linktype)
{
    if (t->n >= SRC_IFACES_MAX)
        return -1;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 8;
        char **nn = realloc(t->names, nc * sizeof(*nn));
        if (!nn)
            return -1;
        t->names = nn;
        uint32_t *nl = realloc(t->linktypes, nc * sizeof(*nl));
        if (!nl)
            return -1;
        t->linktypes = nl;
        t->cap = nc;
    }
    size_t len = strlen(name);
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, name, len + 1);
    t->names[t->n] = copy;
    t->linktypes[t->n] = linktype;
    return (int64_t)t->n++;
}

void iftable_release(struct iftable *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    free(t->linktypes);
    t->names = NULL;
    t->linktypes = NULL;
    t->n = t->cap = 0;
}

/* ---- buffered reader ---------------------------------------------------- */

static size_t rd_avail(const struct capfile *f)
{
    return f->end - f->pos;
}

static void rd_consume(struct capfile *f, size_t n)
{
    f->pos += n;
    f->off += n;
}

/* ---- mapped windows (regular files) --------------------------------------
 *
 * A regular file is not copied into a buffer: it is mapped read-only in
 * windows of map_window bytes (file offsets [map_off, map_off + map_len),
 * map_off page aligned) and frames point into the mapping. Within a window
 * `end` is the digest frontier: the bytes [0, end) have been fed to the
 * digest, and rd_fill() moves `end` on by SRC_MAP_STEP (16 KiB) at a time,
 * just ahead of the parser, so the digest pulls the bytes into the L1 cache
 * and the decoder finds them there. (It was 256 KiB, the read() path's
 * step: each step then streamed half of the core's 512 KiB L2 past the
 * flow table's index and entries, and the decoder read the headers back
 * from L2. A cache model of the 1 M-frame snaplen-256 bench capture, 32 KiB
 * L1 and 512 KiB L2, counts 9.24 M -> 7.50 M L1 and 3.97 M -> 3.68 M L2
 * data misses, the flow table's L2 misses 386 k -> 158 k; 8 KiB steps save
 * a little more but cost ~5 instructions a frame in refills.) When a record goes past the window, the next window
 * is mapped from the page that holds buf[pos] (so the unconsumed tail is
 * in it again, already digested) and the old one is unmapped: only one
 * window per file is ever mapped, so peak RSS does not grow with the file.
 * The caller never holds a frame across a refill (see the top comment), so
 * unmapping a window never invalidates a live frame.
 *
 * Sizes: the windows never go past the size fstat() reports (checked again
 * before each window, so a file that grows while it is read is read to its
 * new end, as read() would). A file that *shrinks* while a window over the
 * lost part is mapped makes the kernel raise SIGBUS when those bytes are
 * touched; v6mon does not catch it (a signal handler would be process-wide
 * state): documented in docs/internals/source.md. mmap() offsets are off_t
 * (64-bit with _FILE_OFFSET_BITS=64) and windows are small, so files above
 * 4 GiB also work on 32-bit builds.
 *
 * When mmap() fails (at open: any reason; later: e.g. out of address
 * space) the file is read with read() from the digest frontier on: the
 * unconsumed tail is copied into a new buffer and the descriptor is
 * positioned at the frontier, so every byte is still digested once. */

static void map_release(struct capfile *f)
{
    if (f->mapped && f->buf)
        munmap(f->buf, f->map_len);
    if (f->mapped)
        f->buf = NULL;
    f->map_len = 0;
}

/* Leave mapped mode: copy [pos, end) into a malloc'd buffer and read the
 * rest of the file with read() from the digest frontier on. It is called
 * when a window is used up and fewer than n <= cap bytes are left in it,
 * so the tail fits in the buffer and `cap` (also the largest block parsed
 * in place) does not change. */
static v6m_err map_fallback(struct capfile *f, struct errbuf *err)
{
    size_t tail = f->end - f->pos;
    size_t cap = f->cap > tail ? f->cap : tail;
    uint64_t front = f->map_off + f->end;
    uint8_t *nb = malloc(cap);
    if (!nb)
        return errbuf_set(err, V6M_ERR_NOMEM, "%s: out of memory", f->path);
    if (tail)
        memcpy(nb, f->buf + f->pos, tail);
    map_release(f);
    f->mapped = false;
    f->buf = nb;
    f->cap = cap;
    f->pos = 0;
    f->end = tail;
    if (lseek(f->fd, (off_t)front, SEEK_SET) < 0)
        return errbuf_set(err, V6M_ERR_IO, "read error on '%s': %s", f->path,
                          strerror(errno));
    return V6M_OK;
}

/* Map the window that starts at the page holding buf[pos] (file offset
 * map_off + pos) and holds at least n bytes from there when the file has
 * them. Sets eof when the file (as fstat sees it now) has nothing past the
 * digest frontier. OK with f->mapped false means: fell back to read(). */
static v6m_err map_next_window(struct capfile *f, size_t n, struct errbuf *err)
{
    uint64_t front = f->map_off + f->end;
    uint64_t at = f->map_off + f->pos;
    if (front >= f->map_size) {
        struct stat sb;
        if (fstat(f->fd, &sb) == 0 && (uint64_t)sb.st_size > f->map_size)
            f->map_size = (uint64_t)sb.st_size;
        if (front >= f->map_size) {
            f->eof = true;
            return V6M_OK;
        }
    }
    uint64_t start = at & ~(uint64_t)(f->page - 1);
    uint64_t need = at - start + n;
    uint64_t len = f->map_window > need ? f->map_window : need;
    len = (len + f->page - 1) & ~(uint64_t)(f->page - 1);
    if (len > f->map_size - start)
        len = f->map_size - start;
    void *p = MAP_FAILED;
    if ((uint64_t)(off_t)start == start && (uint64_t)(size_t)len == len &&
        (f->map_fail_after == 0 || f->map_count < f->map_fail_after))
        p = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, f->fd, (off_t)start);
    if (p == MAP_FAILED) {
        if (f->buf == NULL) { /* at open: nothing buffered yet */
            f->mapped = false;
            f->buf = malloc(f->cap);
            if (!f->buf)
                return errbuf_set(err, V6M_ERR_NOMEM, "out of memory opening '%s'",
                                  f->path);
            return V6M_OK;
        }
        return map_fallback(f, err);
    }
    f->map_count++;
#ifdef MADV_SEQUENTIAL
    (void)madvise(p, (size_t)len, MADV_SEQUENTIAL);
#endif
    map_release(f);
    f->buf = p;
    f->mapped = true;
    f->map_len = (size_t)len;
    f->map_off = start;
    f->pos = (size_t)(at - start);
    f->end = (size_t)(front - start);
    return V6M_OK;
}

/* rd_fill() for a mapped file: move the digest frontier on in steps of
 * SRC_MAP_STEP, mapping the next window when this one is used up. */
static v6m_err map_fill(struct capfile *f, size_t n, struct errbuf *err)
{
    while (f->end - f->pos < n) {
        if (f->end < f->map_len) {
            size_t step = f->map_len - f->end;
            if (step > SRC_MAP_STEP)
                step = SRC_MAP_STEP;
            digest128_update(&f->dg, f->buf + f->end, step);
            f->end += step;
            continue;
        }
        if (f->eof)
            break;
        v6m_err rc = map_next_window(f, n, err);
        if (rc != V6M_OK)
            return rc;
        if (!f->mapped)
            return V6M_OK; /* fell back: the read() path takes over */
    }
    return V6M_OK;
}

/* ---- read() buffer -------------------------------------------------------- */

/* Make n (<= cap) bytes available at buf + pos if the file has them. */
static v6m_err rd_fill(struct capfile *f, size_t n, struct errbuf *err)
{
    if (f->end - f->pos >= n)
        return V6M_OK;
    if (f->mapped) {
        v6m_err rc = map_fill(f, n, err);
        if (rc != V6M_OK || f->mapped || f->end - f->pos >= n)
            return rc;
        /* fell back to read(): go on below */
    }
    if (f->pos > 0) {
        memmove(f->buf, f->buf + f->pos, f->end - f->pos);
        f->end -= f->pos;
        f->pos = 0;
    }
    while (f->end < n && !f->eof) {
        size_t want = f->cap - f->end;
        if (want > SRC_READ_STEP)
            want = SRC_READ_STEP;
        ssize_t r = read(f->fd, f->buf + f->end, want);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return errbuf_set(err, V6M_ERR_IO, "read error on '%s': %s", f->path,
                              strerror(errno));
        }
        if (r == 0) {
            f->eof = true;
            break;
        }
        digest128_update(&f->dg, f->buf + f->end, (size_t)r);
        f->end += (size_t)r;
    }
    return V6M_OK;
}

/* Consume n bytes that may be far more than the buffer; false if the file
 * ended first (everything up to the end is consumed). */
static bool rd_skip(struct capfile *f, uint64_t n, struct errbuf *err, v6m_err *rc)
{
    *rc = V6M_OK;
    while (n > 0) {
        if (rd_avail(f) == 0) {
            *rc = rd_fill(f, 1, err);
            if (*rc != V6M_OK || rd_avail(f) == 0)
                return false;
        }
        size_t take = rd_avail(f);
        if ((uint64_t)take > n)
            take = (size_t)n;
        rd_consume(f, take);
        n -= take;
    }
    return true;
}

/* Read everything that is left into the digest and finish it. */
static void rd_finish_digest(struct capfile *f)
{
    if (f->digest_done)
        return;
    struct errbuf scratch;
    errbuf_clear(&scratch);
    while (f->mapped && !f->eof) {
        f->pos = f->end; /* nothing more is parsed: digest only */
        if (map_fill(f, 1, &scratch) != V6M_OK)
            break;
    }
    map_release(f);
    while (!f->mapped && !f->eof && f->fd >= 0 && f->buf) {
        ssize_t r = read(f->fd, f->buf, f->cap);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        digest128_update(&f->dg, f->buf, (size_t)r);
    }
    f->pos = f->end = 0;
    f->eof = true;
    digest128_final(&f->dg, f->digest);
    f->digest_done = true;
}

/* The file is over (clean or damaged): keep the code, finish the digest. */
static v6m_err cap_end(struct capfile *f, v6m_err rc)
{
    f->done = true;
    rd_finish_digest(f);
    return rc;
}

/* ---- helpers ------------------------------------------------------------ */

static uint16_t rd16(struct cursor *c, bool be)
{
    return be ? cursor_be16(c) : cursor_le16(c);
}

static uint32_t rd32(struct cursor *c, bool be)
{
    return be ? cursor_be32(c) : cursor_le32(c);
}

static uint32_t ld32(const uint8_t *p, bool be)
{
    return be ? load_be32(p) : load_le32(p);
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* Timestamp units of an interface -> ns since the epoch (saturating). */
static uint64_t ts_to_ns(const struct cap_iface *i, uint64_t u)
{
    uint64_t ns;
    if (!i->ts_binary) {
        ns = i->ts_div ? u / i->ts_div : sat_mul(u, i->ts_mul);
    } else {
        unsigned e = i->ts_exp;
        uint64_t secs = e >= 64 ? 0 : u >> e;
        uint64_t frac = e >= 64 ? u : (u & ((UINT64_C(1) << e) - 1));
        uint64_t fns;
        if (e <= 34)
            fns = (frac * UINT64_C(1000000000)) >> e;
        else
            fns = ((frac >> (e - 34)) * UINT64_C(1000000000)) >> 34;
        ns = sat_add(sat_mul(secs, 1000000000u), fns);
    }
    if (i->ts_offset_s > 0) {
        ns = sat_add(ns, sat_mul((uint64_t)i->ts_offset_s, 1000000000u));
    } else if (i->ts_offset_s < 0) {
        uint64_t sub = sat_mul((uint64_t)0 - (uint64_t)i->ts_offset_s, 1000000000u);
        ns = ns > sub ? ns - sub : 0;
    }
    return ns;
}

static void iface_set_resolution(struct cap_iface *i, bool binary, unsigned exp)
{
    i->ts_binary = binary;
    i->ts_exp = (uint8_t)exp;
    i->ts_mul = 1;
    i->ts_div = 0;
    if (binary)
        return;
    if (exp <= 9) {
        for (unsigned k = exp; k < 9; k++)
            i->ts_mul *= 10;
    } else {
        i->ts_div = 1;
        for (unsigned k = 9; k < exp; k++)
            i->ts_div *= 10;
    }
}

/* Add an interface to the current section and to the source table. */
static v6m_err cap_add_iface(struct capfile *f, const char *name,
                             struct cap_iface *tmpl, struct errbuf *err)
{
    char fallback[4096 + 16];
    if (!name || !name[0]) {
        snprintf(fallback, sizeof(fallback), "%s#%u", f->path, f->local_ifs);
        name = fallback;
    }
    if (f->n_ifs == f->cap_ifs) {
        size_t nc = f->cap_ifs ? f->cap_ifs * 2 : 4;
        struct cap_iface *ni = realloc(f->ifs, nc * sizeof(*ni));
        if (!ni)
            return errbuf_set(err, V6M_ERR_NOMEM, "%s: out of memory", f->path);
        f->ifs = ni;
        f->cap_ifs = nc;
    }
    int64_t g = iftable_add(f->table, name, tmpl->linktype);
    if (g < 0)
        return errbuf_set(err, V6M_ERR_FORMAT,
                          "%s: corrupt file at byte %llu: too many interfaces "
                          "(limit %u); %llu frames read",
                          f->path, (unsigned long long)f->off, SRC_IFACES_MAX,
                          (unsigned long long)f->frames);
    tmpl->global = (uint32_t)g;
    f->ifs[f->n_ifs++] = *tmpl;
    f->local_ifs++;
    return V6M_OK;
}

const char *capfile_format_name(const struct capfile *f)
{
    switch (f->format) {
    case CAP_PCAP: return "pcap";
    case CAP_PCAP_NS: return "pcap-ns";
    case CAP_PCAP_MOD: return "pcap-modified";
    case CAP_PCAPNG: return "pcapng";
    }
    return "?";
}

/* ---- pcap --------------------------------------------------------------- */

static uint32_t pcap_caplen_limit(uint32_t snaplen)
{
    uint64_t lim = (snaplen > 65535 ? snaplen : 65535) + (uint64_t)SRC_CAPLEN_SLACK;
    return lim > SRC_CAPLEN_MAX ? SRC_CAPLEN_MAX : (uint32_t)lim;
}

static v6m_err pcap_open_header(struct capfile *f, struct errbuf *err)
{
    v6m_err rc = rd_fill(f, 24, err);
    if (rc != V6M_OK)
        return rc;
    if (rd_avail(f) < 24)
        return errbuf_set(err, V6M_ERR_TRUNCATED,
                          "'%s': truncated pcap file header (%zu of 24 bytes)",
                          f->path, rd_avail(f));
    struct cursor c;
    cursor_init(&c, f->buf + f->pos, 24);
    cursor_skip(&c, 4);
    uint16_t major = rd16(&c, f->be);
    uint16_t minor = rd16(&c, f->be);
    cursor_skip(&c, 8); /* thiszone, sigfigs: unused by every writer */
    uint32_t snaplen = rd32(&c, f->be);
    uint32_t lt = rd32(&c, f->be);
    if (major < 2) /* wiretap reads any later version the same way */
        return errbuf_set(err, V6M_ERR_FORMAT,
                          "'%s': unsupported pcap version %u.%u", f->path, major,
                          minor);
    struct cap_iface ifc;
    memset(&ifc, 0, sizeof(ifc));
    ifc.linktype = lt & 0xFFFFu;
    if (lt & (1u << 26))
        ifc.fcs_bytes = (lt >> 28) * 2u;
    ifc.snaplen = snaplen;
    iface_set_resolution(&ifc, false, f->format == CAP_PCAP_NS ? 9 : 6);
    f->pcap_snaplen = snaplen;
    f->pcap_caplen_limit = pcap_caplen_limit(snaplen);
    rd_consume(f, 24);
    rc = cap_add_iface(f, NULL, &ifc, err);
    if (rc == V6M_OK) {
        f->cur.linktype = ifc.linktype;
        f->cur.ifindex = f->ifs[0].global;
    }
    return rc;
}

#if defined(__GNUC__) || defined(__clang__)
#define CAP_NOINLINE __attribute__((noinline))
#define CAP_INLINE inline __attribute__((always_inline))
#else
#define CAP_NOINLINE
#define CAP_INLINE inline
#endif

/* Record header bytes: 16, or 24 in a modified pcap file. */
static inline size_t pcap_rec_hdr(const struct capfile *f)
{
    return f->format == CAP_PCAP_MOD ? 24 : 16;
}

/* The record at buf + pos, known to be whole (hdr + caplen bytes). */
static CAP_INLINE void pcap_take(struct capfile *f, const uint8_t *h, uint32_t caplen,
                                 size_t hdr)
{
    uint32_t sec = ld32(h, f->be), frac = ld32(h + 4, f->be);
    uint32_t wirelen = ld32(h + 12, f->be);
    uint64_t ns = f->format == CAP_PCAP_NS
                      ? sat_add(sat_mul(sec, 1000000000u), frac)
                      : sat_add(sat_mul(sec, 1000000000u), (uint64_t)frac * 1000u);
    f->cur.ts_ns = ns;
    f->cur.caplen = caplen;
    f->cur.wirelen = wirelen;
    if (__builtin_expect(wirelen < caplen, 0)) /* a well-predicted branch is
                                                 * cheaper than a counter add */
        f->frames_short_wirelen++;
    f->cur.data = h + hdr;
    rd_consume(f, hdr + (size_t)caplen);
}

/* pcap_next() when the record is not whole in the buffer (or the window):
 * refill, then check and take it. Kept out of line so that the fast path
 * below needs few registers (no spills in the per-frame call). */
CAP_NOINLINE static v6m_err pcap_next_slow(struct capfile *f, struct errbuf *err)
{
    size_t avail, hdr = pcap_rec_hdr(f);
    v6m_err rc = rd_fill(f, hdr, err);
    if (rc != V6M_OK)
        return rc;
    avail = rd_avail(f);
    if (avail == 0)
        return V6M_ERR_EOF;
    if (avail < hdr)
        return errbuf_set(err, V6M_ERR_TRUNCATED,
                          "%s: truncated record at byte %llu (frame %llu): file "
                          "ends %zu bytes into the %zu-byte record header; %llu "
                          "frames read",
                          f->path, (unsigned long long)f->off,
                          (unsigned long long)f->frames + 1, avail, hdr,
                          (unsigned long long)f->frames);
    uint32_t caplen = ld32(f->buf + f->pos + 8, f->be);
    uint32_t limit = f->pcap_caplen_limit;
    if (caplen > limit)
        return errbuf_set(err, V6M_ERR_FORMAT,
                          "%s: corrupt record at byte %llu (frame %llu): captured "
                          "length %u exceeds the limit %u (snaplen %u); %llu "
                          "frames read",
                          f->path, (unsigned long long)f->off,
                          (unsigned long long)f->frames + 1, caplen, limit,
                          f->pcap_snaplen, (unsigned long long)f->frames);
    rc = rd_fill(f, hdr + (size_t)caplen, err);
    if (rc != V6M_OK)
        return rc;
    avail = rd_avail(f);
    if (avail < hdr + (size_t)caplen)
        return errbuf_set(err, V6M_ERR_TRUNCATED,
                          "%s: truncated record at byte %llu (frame %llu): file "
                          "ends %zu bytes into a %u-byte frame; %llu frames read",
                          f->path, (unsigned long long)f->off,
                          (unsigned long long)f->frames + 1, avail - hdr, caplen,
                          (unsigned long long)f->frames);
    pcap_take(f, f->buf + f->pos, caplen, hdr);
    return V6M_OK;
}

/* Fast path: the whole record is already buffered (all but one record
 * per read() call or window step). linktype and ifindex never change in a
 * pcap file: they were set once by pcap_open_header(). */
static inline bool pcap_next_fast(struct capfile *f)
{
    size_t avail = rd_avail(f);
    if (avail >= 16) {
        const uint8_t *h = f->buf + f->pos;
        uint32_t caplen = ld32(h + 8, f->be);
        if (caplen <= f->pcap_caplen_limit && avail - 16 >= caplen) {
            pcap_take(f, h, caplen, 16);
            return true;
        }
    }
    return false;
}

static v6m_err pcap_next(struct capfile *f, struct errbuf *err)
{
    if (f->format != CAP_PCAP_MOD && pcap_next_fast(f))
        return V6M_OK;
    return pcap_next_slow(f, err);
}

/* ---- pcapng ------------------------------------------------------------- */

/* Options of an IDB; fills ifc and name (NUL-terminated, sanitised). */
static bool ng_idb_options(struct cursor *c, bool be, struct cap_iface *ifc,
                           char *name, size_t namesz)
{
    while (cursor_left(c) >= 4) {
        uint16_t code = rd16(c, be);
        uint16_t len = rd16(c, be);
        if (code == 0)
            return true;
        struct cursor v = cursor_sub(c, len);
        if (c->short_read)
            return false;
        size_t pad = (4 - (len & 3u)) & 3u;
        if (!cursor_skip(c, pad > cursor_left(c) ? cursor_left(c) : pad))
            return false;
        switch (code) {
        case 2: { /* if_name */
            size_t n = 0;
            while (cursor_left(&v) && n + 1 < namesz) {
                uint8_t ch = cursor_u8(&v);
                if (ch == 0)
                    break;
                name[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
            }
            name[n] = '\0';
            break;
        }
        case 9: { /* if_tsresol */
            if (len != 1)
                return false;
            uint8_t r = cursor_u8(&v);
            bool bin = (r & 0x80) != 0;
            unsigned e = r & 0x7fu;
            if ((bin && e > 63) || (!bin && e > 19))
                return false;
            iface_set_resolution(ifc, bin, e);
            break;
        }
        case 13: /* if_fcslen: of another length, ignored (as wiretap) */
            if (len == 1)
                ifc->fcs_bytes = cursor_u8(&v);
            break;
        case 14: { /* if_tsoffset */
            if (len != 8)
                return false;
            uint8_t b[8];
            cursor_copy(&v, b, 8);
            uint64_t x = 0;
            for (int k = 0; k < 8; k++)
                x |= (uint64_t)b[be ? k : 7 - k] << (8 * (7 - k));
            ifc->ts_offset_s = (int64_t)x;
            break;
        }
        default:
            break;
        }
    }
    return true; /* options may end without opt_endofopt */
}

static v6m_err ng_block_error(struct capfile *f, struct errbuf *err,
                              uint32_t type, const char *why)
{
    return errbuf_set(err, V6M_ERR_FORMAT,
                      "%s: corrupt block at byte %llu (frame %llu): %s "
                      "(block type 0x%08x); %llu frames read",
                      f->path, (unsigned long long)f->off,
                      (unsigned long long)f->frames + 1, why, type,
                      (unsigned long long)f->frames);
}

/* Parse one buffered block of total length len at buf + pos. Returns OK
 * with *frame true when f->cur holds a frame, OK with *frame false for a
 * block that carried none, or an error. The block is consumed on success. */
static v6m_err ng_parse_block(struct capfile *f, uint32_t type, uint32_t len,
                              bool *frame, struct errbuf *err)
{
    const uint8_t *blk = f->buf + f->pos;
    struct cursor c;
    cursor_init(&c, blk + 8, len - 12);
    *frame = false;

    if (type == PCAPNG_SHB) {
        cursor_skip(&c, 4); /* BOM, already applied */
        uint16_t major = rd16(&c, f->be);
        uint16_t minor = rd16(&c, f->be);
        if (c.short_read)
            return ng_block_error(f, err, type, "section header too short");
        if (major != 1)
            return errbuf_set(err, V6M_ERR_FORMAT,
                              "%s: unsupported pcapng version %u.%u at byte %llu",
                              f->path, major, minor, (unsigned long long)f->off);
        f->n_ifs = 0; /* interface ids restart in every section */
        rd_consume(f, len);
        return V6M_OK;
    }
    if (type == PCAPNG_IDB) {
        struct cap_iface ifc;
        memset(&ifc, 0, sizeof(ifc));
        ifc.linktype = rd16(&c, f->be);
        cursor_skip(&c, 2);
        ifc.snaplen = rd32(&c, f->be);
        if (c.short_read)
            return ng_block_error(f, err, type, "interface description too short");
        iface_set_resolution(&ifc, false, 6);
        char name[256];
        name[0] = '\0';
        if (!ng_idb_options(&c, f->be, &ifc, name, sizeof(name)))
            return ng_block_error(f, err, type, "bad interface option");
        v6m_err rc = cap_add_iface(f, name, &ifc, err);
        if (rc != V6M_OK)
            return rc;
        rd_consume(f, len);
        return V6M_OK;
    }

    /* Packet blocks. */
    uint32_t ifid = 0, caplen, wirelen;
    uint64_t units = 0;
    if (type == PCAPNG_EPB || type == PCAPNG_PB) {
        if (type == PCAPNG_EPB) {
            ifid = rd32(&c, f->be);
        } else {
            ifid = rd16(&c, f->be);
            cursor_skip(&c, 2);
        }
        uint32_t hi = rd32(&c, f->be), lo = rd32(&c, f->be);
        units = (uint64_t)hi << 32 | lo;
        caplen = rd32(&c, f->be);
        wirelen = rd32(&c, f->be);
        if (c.short_read)
            return ng_block_error(f, err, type, "packet block too short");
        if (caplen > cursor_left(&c))
            return ng_block_error(f, err, type,
                                  "captured length larger than the block");
    } else { /* SPB */
        wirelen = rd32(&c, f->be);
        if (c.short_read)
            return ng_block_error(f, err, type, "packet block too short");
        caplen = wirelen;
        if (caplen > cursor_left(&c))
            caplen = (uint32_t)cursor_left(&c);
    }
    if (ifid >= f->n_ifs)
        return ng_block_error(f, err, type,
                              "packet for an interface not described in this section");
    const struct cap_iface *ifc = &f->ifs[ifid];
    if (type == PCAPNG_SPB && ifc->snaplen && caplen > ifc->snaplen)
        caplen = ifc->snaplen;
    if (caplen > SRC_CAPLEN_MAX) {
        f->frames_oversized++;
        rd_consume(f, len);
        return V6M_OK;
    }
    /* An SPB has no timestamp: it keeps the previous frame's time so the
     * merge order stays sensible. */
    if (type != PCAPNG_SPB)
        f->cur.ts_ns = ts_to_ns(ifc, units);
    f->cur.caplen = caplen;
    f->cur.wirelen = wirelen;
    f->frames_short_wirelen += wirelen < caplen;
    f->cur.linktype = ifc->linktype;
    f->cur.ifindex = ifc->global;
    f->cur.data = c.p;
    rd_consume(f, len);
    *frame = true;
    return V6M_OK;
}

static v6m_err ng_next(struct capfile *f, struct errbuf *err)
{
    for (;;) {
        v6m_err rc = rd_fill(f, 12, err);
        if (rc != V6M_OK)
            return rc;
        size_t avail = rd_avail(f);
        if (avail == 0)
            return V6M_ERR_EOF;
        const uint8_t *h = f->buf + f->pos;
        uint32_t type = avail >= 4 ? ld32(h, f->be) : 0;
        if (avail >= 12 && type == PCAPNG_SHB) {
            uint32_t bom = load_be32(h + 8);
            if (bom == PCAPNG_BOM)
                f->be = true;
            else if (bom == 0x4D3C2B1Au)
                f->be = false;
            else
                return ng_block_error(f, err, type, "bad byte-order magic");
        }
        if (avail < 12)
            return errbuf_set(err, V6M_ERR_TRUNCATED,
                              "%s: truncated block at byte %llu (frame %llu): "
                              "file ends %zu bytes into a block header; %llu "
                              "frames read",
                              f->path, (unsigned long long)f->off,
                              (unsigned long long)f->frames + 1, avail,
                              (unsigned long long)f->frames);
        uint32_t len = ld32(h + 4, f->be);
        if (len < 12 || len > SRC_BLOCK_MAX) {
            char why[64];
            snprintf(why, sizeof(why), "bad block total length %u", len);
            return ng_block_error(f, err, type, why);
        }
        /* Old (ntar-era) writers put a length that is not a multiple of 4
         * in the block: the block still fills whole words and the trailing
         * copy sits in the last one, as wiretap reads it. */
        uint32_t span = (len + 3u) & ~3u;
        bool parsed = type == PCAPNG_SHB || type == PCAPNG_IDB ||
                      type == PCAPNG_EPB || type == PCAPNG_SPB ||
                      type == PCAPNG_PB;
        if (parsed && span <= f->cap) {
            rc = rd_fill(f, span, err);
            if (rc != V6M_OK)
                return rc;
            avail = rd_avail(f);
            if (avail < span)
                return errbuf_set(err, V6M_ERR_TRUNCATED,
                                  "%s: truncated block at byte %llu (frame %llu): "
                                  "file ends %zu bytes into a %u-byte block; %llu "
                                  "frames read",
                                  f->path, (unsigned long long)f->off,
                                  (unsigned long long)f->frames + 1, avail, span,
                                  (unsigned long long)f->frames);
            h = f->buf + f->pos;
            if (ld32(h + span - 4, f->be) != len)
                return ng_block_error(f, err, type,
                                      "trailing block length does not match");
            bool frame;
            rc = ng_parse_block(f, type, span, &frame, err);
            if (rc != V6M_OK)
                return rc;
            if (frame)
                return V6M_OK;
            continue;
        }
        if (parsed && (type == PCAPNG_SHB || type == PCAPNG_IDB))
            return ng_block_error(f, err, type, "header block too large");
        /* Skip: stream over the body, then check the trailing length. */
        uint64_t at = f->off;
        rd_consume(f, 8);
        bool whole = rd_skip(f, span - 12, err, &rc);
        if (whole && rc == V6M_OK)
            rc = rd_fill(f, 4, err);
        if (rc != V6M_OK)
            return rc;
        if (!whole || rd_avail(f) < 4) {
            return errbuf_set(err, V6M_ERR_TRUNCATED,
                              "%s: truncated block at byte %llu (frame %llu): "
                              "file ends inside a %u-byte block; %llu frames read",
                              f->path, (unsigned long long)at,
                              (unsigned long long)f->frames + 1, len,
                              (unsigned long long)f->frames);
        }
        if (ld32(f->buf + f->pos, f->be) != len) {
            f->off = at; /* report the block's start */
            return ng_block_error(f, err, type,
                                  "trailing block length does not match");
        }
        rd_consume(f, 4);
        if (parsed)
            f->frames_oversized++;
        else
            f->blocks_skipped++;
    }
}

/* ---- open / next / close ------------------------------------------------ */

v6m_err capfile_open(struct capfile *f, const char *path,
                     const struct capfile_opts *opts, struct iftable *table,
                     struct errbuf *err)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->table = table;
    digest128_init(&f->dg);
    size_t plen = strlen(path);
    f->path = malloc(plen + 1);
    f->cap = opts->bufsize < SRC_READ_CHUNK_MIN ? SRC_READ_CHUNK_MIN : opts->bufsize;
    if (!f->path)
        return errbuf_set(err, V6M_ERR_NOMEM, "out of memory opening '%s'", path);
    memcpy(f->path, path, plen + 1);
    long pg = sysconf(_SC_PAGESIZE);
    f->page = pg > 0 && ((size_t)pg & ((size_t)pg - 1)) == 0 ? (size_t)pg : 4096;
    f->map_fail_after = opts->map_fail_after;

    if (strcmp(path, "-") == 0) {
        f->fd = STDIN_FILENO;
        f->is_stdin = true;
    } else {
        f->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0)
            return errbuf_set(err, V6M_ERR_IO, "cannot open '%s': %s", path,
                              strerror(errno));
    }
    struct stat sb;
    if (fstat(f->fd, &sb) == 0) {
        if (S_ISDIR(sb.st_mode))
            return errbuf_set(err, V6M_ERR_IO, "cannot read '%s': Is a directory",
                              path);
        if (S_ISREG(sb.st_mode)) {
            f->size = (uint64_t)sb.st_size;
            (void)posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        }
    }
    /* A regular file that is not empty: try the mapped windows (the first
     * one is mapped here; if that fails, read() it is). */
    if (f->size > 0 && opts->map_window > 0) {
        f->map_size = f->size;
        f->map_window = (opts->map_window + f->page - 1) & ~(f->page - 1);
        f->mapped = true;
        v6m_err rc = map_next_window(f, 1, err);
        if (rc != V6M_OK)
            return rc;
    }
    if (!f->buf) {
        f->mapped = false;
        f->buf = malloc(f->cap);
        if (!f->buf)
            return errbuf_set(err, V6M_ERR_NOMEM, "out of memory opening '%s'", path);
    }

    v6m_err rc = rd_fill(f, 4, err);
    if (rc != V6M_OK)
        return rc;
    if (rd_avail(f) == 0)
        return errbuf_set(err, V6M_ERR_FORMAT,
                          "'%s' is empty: not a pcap or pcapng file", path);
    if (rd_avail(f) < 4)
        return errbuf_set(err, V6M_ERR_FORMAT, "'%s' is not a pcap or pcapng file",
                          path);
    uint32_t magic = load_be32(f->buf + f->pos);
    switch (magic) {
    case 0xA1B2C3D4u: f->format = CAP_PCAP; f->be = true; break;
    case 0xD4C3B2A1u: f->format = CAP_PCAP; f->be = false; break;
    case 0xA1B23C4Du: f->format = CAP_PCAP_NS; f->be = true; break;
    case 0x4D3CB2A1u: f->format = CAP_PCAP_NS; f->be = false; break;
    case PCAPNG_SHB: f->format = CAP_PCAPNG; break;
    case 0xA1B2CD34u: f->format = CAP_PCAP_MOD; f->be = true; break;
    case 0x34CDB2A1u: f->format = CAP_PCAP_MOD; f->be = false; break;
    default:
        return errbuf_set(err, V6M_ERR_FORMAT, "'%s' is not a pcap or pcapng file",
                          path);
    }
    if (f->format != CAP_PCAPNG)
        return pcap_open_header(f, err);
    /* pcapng: the SHB is read as the first block by ng_next(); check it is
     * well formed now so a bad header fails the start. */
    rc = rd_fill(f, 12, err);
    if (rc != V6M_OK)
        return rc;
    if (rd_avail(f) < 12)
        return errbuf_set(err, V6M_ERR_TRUNCATED,
                          "'%s': truncated pcapng section header (%zu bytes)", path,
                          rd_avail(f));
    uint32_t bom = load_be32(f->buf + f->pos + 8);
    if (bom != PCAPNG_BOM && bom != 0x4D3C2B1Au)
        return errbuf_set(err, V6M_ERR_FORMAT,
                          "'%s' is not a pcap or pcapng file (bad byte-order magic)",
                          path);
    return V6M_OK;
}

/* Everything but a whole pcap record already in the buffer. */
CAP_NOINLINE static v6m_err capfile_next_slow(struct capfile *f, struct errbuf *err)
{
    if (f->done)
        return V6M_ERR_EOF;
    v6m_err rc = f->format == CAP_PCAPNG ? ng_next(f, err) : pcap_next(f, err);
    if (rc == V6M_OK) {
        f->frames++;
        return V6M_OK;
    }
    return cap_end(f, rc);
}

/* The common case first, in a function that needs no stack frame: the
 * pcapng parser and the refill code, inlined here, made every call save
 * six registers and set up a 376-byte frame. */
v6m_err capfile_next(struct capfile *f, struct errbuf *err)
{
    if (!f->done && f->format <= CAP_PCAP_NS && pcap_next_fast(f)) {
        f->frames++;
        return V6M_OK;
    }
    return capfile_next_slow(f, err);
}

void capfile_close(struct capfile *f)
{
    if (f->fd >= 0 && !f->is_stdin)
        close(f->fd);
    f->fd = -1;
    if (f->mapped)
        map_release(f);
    else
        free(f->buf);
    free(f->ifs);
    free(f->path);
    f->buf = NULL;
    f->ifs = NULL;
    f->path = NULL;
}
