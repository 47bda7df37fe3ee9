/*
 * synth/capw.h - buffered pcap / pcapng writer for the generator.
 *
 * pcap: 24-byte global header (magic a1b2c3d4 for microseconds, a1b23c4d
 * for nanoseconds, version 2.4, snaplen 262144, one link type), then per
 * frame a 16-byte record header (ts_sec, ts_frac, caplen, wirelen) and the
 * captured bytes. Everything is written little-endian on every host, so the
 * same seed gives the same bytes everywhere.
 *
 * pcapng: Section Header Block (shb_userappl "v6mon synth"), one Interface
 * Description Block per interface (if_name, if_tsresol 6 or 9), then
 * Enhanced Packet Blocks (interface id, 64-bit timestamp in the interface's
 * resolution, caplen, wirelen, data padded to 4 bytes).
 *
 * Frames go into a 4 MiB buffer flushed with write(2); "-" is standard
 * output. A write error is sticky: later calls do nothing and capw_close()
 * reports it.
 *
 * Ownership: the writer owns its buffer and the descriptor it opened (not
 * standard output).
 */
#ifndef V6M_SYNTH_CAPW_H
#define V6M_SYNTH_CAPW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errbuf.h"

#define CAPW_MAX_IF 8

struct capw {
    int fd;
    bool own_fd;
    bool ns;
    bool pcapng;
    uint32_t snaplen;       /* 0 = whole frames */
    uint8_t *buf;
    size_t len, cap;
    uint64_t frames;
    uint64_t file_bytes;
    struct errbuf *err;     /* borrowed */
    v6m_err status;
    char path[256];
};

/* Open path ("-" = stdout) and write the file header. For pcap, n_if must
 * be 1 and names may be NULL. */
v6m_err capw_open(struct capw *w, const char *path, bool pcapng, bool ns,
                  uint32_t snaplen, const uint32_t *linktypes,
                  const char *const *names, size_t n_if, struct errbuf *err);
/* Append one frame; wirelen = len; caplen = min(len, snaplen). */
void capw_frame(struct capw *w, uint32_t ifid, uint64_t ts_ns,
                const uint8_t *data, uint32_t len);
/* Append a frame whose wire length differs from the bytes given
 * (fixtures: truncated captures). */
void capw_frame_cut(struct capw *w, uint32_t ifid, uint64_t ts_ns,
                    const uint8_t *data, uint32_t caplen, uint32_t wirelen);
/* Flush, close, free the buffer. Returns the first error seen. */
v6m_err capw_close(struct capw *w);

#endif
