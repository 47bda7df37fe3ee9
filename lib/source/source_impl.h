/*
 * source/source_impl.h - private pieces of the capture source shared by
 * source.c (public API, k-way merge), capfile.c (pcap/pcapng reader) and
 * live.c (libpcap live capture). Not installed; nothing outside lib/source/
 * includes it.
 *
 * Ownership: a struct capfile owns its fd (unless it is stdin), its read
 * buffer or its current mapped window, and its per-section interface map; the interface *names* live in
 * the source-wide struct iftable that the capfile borrows (the source owns
 * it and outlives every capfile).
 */
#ifndef V6M_SOURCE_IMPL_H
#define V6M_SOURCE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>
#include <v6mon/packet.h>

#include "core/errbuf.h"
#include "util/hash.h"

/* Hard limits (docs/internals/source.md explains each). */
#define SRC_READ_CHUNK (1u << 20)        /* buffer capacity */
#ifndef SRC_READ_STEP
#define SRC_READ_STEP (256u * 1024u)     /* bytes asked of one read() */
#endif
#define SRC_READ_CHUNK_MIN (512u * 1024u) /* with many inputs (64 MiB total) */
#ifndef SRC_MAP_WINDOW
#define SRC_MAP_WINDOW ((size_t)4 << 20) /* regular files: bytes mapped at once */
#endif
#ifndef SRC_MAP_STEP
#define SRC_MAP_STEP (16u * 1024u)       /* mapped files: digested ahead of the
                                          * parser at a time (L1-sized) */
#endif
#define SRC_CAPLEN_MAX (256u * 1024u)    /* a frame larger than this is bogus */
#define SRC_CAPLEN_SLACK 4096u           /* tolerated excess over the snaplen */
#define SRC_BLOCK_MAX (16u << 20)        /* largest pcapng block we accept */
#define SRC_IFACES_MAX 65536u            /* interfaces per source */

/* Source-wide interface table: index = v6m_frame.ifindex. */
struct iftable {
    char **names;      /* owned strings */
    uint32_t *linktypes;
    size_t n, cap;
};

/* Append an interface; returns its index or -1 (out of memory / cap). */
int64_t iftable_add(struct iftable *t, const char *name, uint32_t linktype);
void iftable_release(struct iftable *t);

/* One interface of the current pcapng section (or the pcap file). */
struct cap_iface {
    uint32_t global;      /* index in the iftable */
    uint32_t linktype;
    uint32_t snaplen;     /* 0 = unlimited */
    uint32_t fcs_bytes;   /* FCS length announced by the file, 0 = none/unknown */
    bool ts_binary;       /* if_tsresol base 2 (else base 10) */
    uint8_t ts_exp;       /* resolution exponent: units of 10^-e or 2^-e s */
    uint64_t ts_mul;      /* base 10, e <= 9: ns = units * ts_mul */
    uint64_t ts_div;      /* base 10, e > 9: ns = units / ts_div */
    int64_t ts_offset_s;  /* if_tsoffset */
};

/* CAP_PCAP_MOD: Alexey Kuznetsov's patched libpcap (magic 0xa1b2cd34, old
 * Red Hat tcpdump): microseconds, and 8 more bytes after each 16-byte
 * record header (ifindex, protocol, packet type, pad). Only the two plain
 * pcap formats take the fast path (capfile_next()). */
enum cap_format { CAP_PCAP = 0, CAP_PCAP_NS, CAP_PCAP_MOD, CAP_PCAPNG };

struct capfile {
    char *path;             /* as given (owned) */
    int fd;                 /* -1 when closed */
    bool is_stdin;
    bool done;              /* EOF or damage: nothing more to read */
    bool digest_done;
    enum cap_format format;
    bool be;                /* big-endian file (or current pcapng section) */

    /* Buffered reader: bytes [pos, end) of buf are read (digested) but not
     * consumed; buf[pos] is at file offset `off`. buf is either a malloc'd
     * buffer filled by read() (cap bytes) or, for a regular file, a window
     * of the file mapped read-only (map_len bytes at file offset map_off);
     * `cap` is the buffer size in both modes and also the largest pcapng
     * block parsed in place (larger ones are streamed over), so both modes
     * accept and refuse exactly the same files. */
    uint8_t *buf;
    size_t cap, pos, end;
    uint64_t off;
    bool eof;               /* read() returned 0 / the mapped size is used up */
    uint64_t size;          /* fstat size of a regular file at open, else 0 */
    bool mapped;            /* buf is a mapped window, not a malloc'd buffer */
    size_t map_len;         /* bytes mapped at buf */
    uint64_t map_off;       /* file offset of buf[0] (page aligned) */
    uint64_t map_size;      /* file size the windows may reach (fstat) */
    size_t map_window;      /* target window size (bytes, page multiple) */
    size_t page;            /* page size */
    unsigned map_fail_after; /* tests: map() fails after this many windows */
    unsigned map_count;     /* windows mapped so far */
    struct digest128 dg;
    uint8_t digest[16];

    /* Interfaces of the current section (pcap: exactly one). */
    struct cap_iface *ifs;
    size_t n_ifs, cap_ifs;
    uint32_t local_ifs;     /* interfaces seen in this file over all sections */
    struct iftable *table;  /* borrowed from the source */

    uint64_t frames;        /* frames delivered from this file */
    uint64_t frames_oversized;
    uint64_t frames_short_wirelen; /* records whose wirelen < caplen */
    uint64_t blocks_skipped;
    uint32_t pcap_snaplen;
    uint32_t pcap_caplen_limit; /* pcap_caplen_limit(pcap_snaplen) */

    struct v6m_frame cur;   /* current frame, data points into buf */
};

/* How a file is read. bufsize: the read() buffer (at least
 * SRC_READ_CHUNK_MIN), also the largest pcapng block parsed in place.
 * map_window: regular files are read through read-only mappings of this
 * many bytes (rounded up to whole pages; a window grows when one record
 * needs more); 0 = always read(). map_fail_after (tests only): after that many windows mmap() is
 * treated as failing, to exercise the fall-back to read(); 0 = never. */
struct capfile_opts {
    size_t bufsize;
    size_t map_window;
    unsigned map_fail_after;
};

/* Open and read the file header (and, for pcapng, nothing more). Errors:
 * IO (cannot open / read), FORMAT (not a capture, bad header), TRUNCATED
 * (header cut short); the message goes to err. Path "-" reads stdin. */
v6m_err capfile_open(struct capfile *f, const char *path,
                     const struct capfile_opts *opts, struct iftable *table,
                     struct errbuf *err);

/* Read the next frame into f->cur. OK, EOF, or TRUNCATED / FORMAT / IO /
 * NOMEM with a message in err (the file is then done and its remaining
 * bytes drained into the digest). */
v6m_err capfile_next(struct capfile *f, struct errbuf *err);

/* Bytes consumed so far. */
static inline uint64_t capfile_consumed(const struct capfile *f)
{
    return f->off;
}

void capfile_close(struct capfile *f);

const char *capfile_format_name(const struct capfile *f);

/* Live capture (live.c). */
struct v6m_live_config;
struct live;
v6m_err live_open(struct live **out, const struct v6m_live_config *cfg,
                  struct errbuf *err);
/* OK (frame filled), EOF (duration over), INTERRUPTED (stop), IO. */
v6m_err live_next(struct live *l, struct v6m_frame *frame, uint64_t deadline_mono_ns,
                  const atomic_int *stop, const volatile int *watch, struct errbuf *err);
void live_breakloop(struct live *l);
void live_stats(struct live *l, uint64_t *drop, uint64_t *ifdrop);
uint32_t live_linktype(const struct live *l);
void live_close(struct live *l);

#endif
