/*
 * v6mon/source.h - where frames come from: capture files and live capture.
 *
 * A source is one or more inputs read as one time-ordered stream:
 *   - pcap (usec and nsec, either byte order) and pcapng (any number of
 *     sections and interfaces, each with its own link type and timestamp
 *     resolution) files, read by our own bounded reader; "-" is stdin;
 *   - a live interface through libpcap.
 * Several files are merged by timestamp (k-way merge; each file is assumed
 * mostly ordered, and frames are emitted in the order of the merge).
 *
 * Interfaces get a source-wide number (v6m_frame.ifindex): file 0's
 * interfaces first, then file 1's, ... Their names (pcapng if_name, the live
 * interface name, or "FILE#N") come from v6m_source_ifname().
 *
 * A truncated or corrupt file is not fatal to the run: the frames read
 * before the damage are delivered, the damage is counted in the stats and
 * described by v6m_source_errmsg(), and v6m_source_next() returns
 * V6M_ERR_TRUNCATED / V6M_ERR_FORMAT once for that file before moving on
 * to the other inputs (callers may treat it as a warning).
 *
 * The source also computes a digest of the bytes it read from each file
 * (a fast 128-bit non-cryptographic hash plus the length); the store uses it
 * to recognise re-runs of the same input.
 *
 * Ownership: the source owns the frame data; the v6m_frame returned by
 * v6m_source_next() is valid until the next call.
 */
#ifndef V6MON_SOURCE_H
#define V6MON_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>
#include <v6mon/packet.h>

typedef struct v6m_source v6m_source;

/* Open files for reading (merged by time). paths are copied. Returns NULL
 * only when out of memory; open errors are reported by v6m_source_start(). */
v6m_source *v6m_source_new_files(const char *const *paths, size_t n);

struct v6m_live_config {
    const char *ifname;
    unsigned snaplen;        /* default 262144 */
    bool promisc;            /* default true */
    unsigned buffer_mb;      /* kernel buffer, default 64 */
    const char *bpf;         /* optional capture filter */
};
v6m_source *v6m_source_new_live(const struct v6m_live_config *cfg);

void v6m_source_free(v6m_source *src); /* NULL is a no-op */

/* Open the inputs. Errors: V6M_ERR_IO (cannot open), V6M_ERR_FORMAT (not a
 * capture), detail in v6m_source_errmsg(). */
v6m_err v6m_source_start(v6m_source *src);

/* Next frame in time order.
 *   V6M_OK        *frame is filled
 *   V6M_ERR_EOF   every input is done
 *   V6M_ERR_TRUNCATED / V6M_ERR_FORMAT  one input is damaged (see top);
 *                 calling again continues with the others
 *   V6M_ERR_INTERRUPTED  v6m_source_stop() was called (live)
 *   V6M_ERR_IO    read error */
v6m_err v6m_source_next(v6m_source *src, struct v6m_frame *frame);

/* Ask a live source to stop; safe to call from a signal-handler-driven flag
 * check in the caller's loop (not from the handler itself). */
void v6m_source_stop(v6m_source *src);

/* Let a live source watch the caller's flag (set by a SIGINT/SIGTERM
 * handler): next() returns V6M_ERR_INTERRUPTED within 100 ms of it becoming
 * non-zero, even while no frame arrives. The flag is borrowed. */
void v6m_source_watch_flag(v6m_source *src, const volatile int *flag);

/* Live: stop once this much capture time has passed (0 = never). */
void v6m_source_set_duration(v6m_source *src, uint64_t ns);

const char *v6m_source_errmsg(const v6m_source *src);

/* Interface name for a frame's ifindex; never NULL ("?" if unknown). */
const char *v6m_source_ifname(const v6m_source *src, uint32_t ifindex);

struct v6m_source_stats {
    uint64_t frames;
    uint64_t bytes_read;        /* file bytes consumed */
    uint64_t bytes_total;       /* sum of regular files' sizes, 0 if unknown
                                   (stdin, live): for progress */
    uint64_t files_damaged;     /* inputs that ended in a truncated/corrupt record */
    uint64_t frames_oversized;  /* caplen above the snap cap: skipped, counted */
    uint64_t frames_short_wirelen; /* wire length below the captured length
                                    * (kept as written, like tshark) */
    uint64_t blocks_skipped;    /* pcapng blocks we do not use */
    uint64_t live_dropped;      /* kernel drops (pcap_stats ps_drop) */
    uint64_t live_if_dropped;   /* ps_ifdrop */
};
void v6m_source_get_stats(const v6m_source *src, struct v6m_source_stats *st);

/* Per-input description, after start(). index < v6m_source_input_count(). */
size_t v6m_source_input_count(const v6m_source *src);
struct v6m_source_input_info {
    const char *name;          /* path, "-" or the interface */
    const char *format;        /* "pcap", "pcap-ns", "pcapng", "live" */
    uint64_t size;             /* bytes read so far */
    uint8_t digest[16];        /* valid once the input is fully read */
    char digest_hex[33];       /* the same as 32 lowercase hex digits */
    bool digest_valid;
};
void v6m_source_input_info(const v6m_source *src, size_t index,
                           struct v6m_source_input_info *info);

#endif
