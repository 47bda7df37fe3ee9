/*
 * synth/capw.c - buffered pcap / pcapng writer (layouts in capw.h).
 */
#include "synth/capw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/strutil.h"

#define CAPW_BUF (4u << 20)

static void wr_flush(struct capw *w)
{
    size_t done = 0;
    while (w->status == V6M_OK && done < w->len) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->status = errbuf_set(w->err, V6M_ERR_IO, "cannot write '%s': %s",
                                   w->path, strerror(errno));
            break;
        }
        done += (size_t)n;
    }
    w->file_bytes += done;
    w->len = 0;
}

static inline uint8_t *wr_room(struct capw *w, size_t n)
{
    if (w->len + n > w->cap)
        wr_flush(w);
    if (n > w->cap)
        return NULL;
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

static inline void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* One pcapng option (code, value) padded to 4; returns bytes used. */
static size_t ng_opt(uint8_t *p, uint16_t code, const void *val, size_t len)
{
    le16(p, code);
    le16(p + 2, (uint16_t)len);
    memcpy(p + 4, val, len);
    size_t padded = (len + 3) & ~(size_t)3;
    memset(p + 4 + len, 0, padded - len);
    return 4 + padded;
}

v6m_err capw_open(struct capw *w, const char *path, bool pcapng, bool ns,
                  uint32_t snaplen, const uint32_t *linktypes,
                  const char *const *names, size_t n_if, struct errbuf *err)
{
    memset(w, 0, sizeof(*w));
    w->err = err;
    w->pcapng = pcapng;
    w->ns = ns;
    w->snaplen = snaplen;
    w->fd = -1;
    util_strlcpy(w->path, path, sizeof(w->path));
    if (n_if == 0 || n_if > CAPW_MAX_IF || (!pcapng && n_if != 1))
        return w->status = errbuf_set(err, V6M_ERR_INVALID_ARG,
                                      "bad interface count %zu", n_if);
    w->buf = malloc(CAPW_BUF);
    if (!w->buf)
        return w->status = errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
    w->cap = CAPW_BUF;
    if (strcmp(path, "-") == 0) {
        w->fd = STDOUT_FILENO;
    } else {
        w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (w->fd < 0) {
            free(w->buf);
            w->buf = NULL;
            return w->status = errbuf_set(err, V6M_ERR_IO, "cannot open '%s': %s",
                                          path, strerror(errno));
        }
        w->own_fd = true;
    }
    if (!pcapng) {
        uint8_t *p = wr_room(w, 24);
        le32(p, ns ? 0xa1b23c4du : 0xa1b2c3d4u);
        le16(p + 4, 2);
        le16(p + 6, 4);
        le32(p + 8, 0);
        le32(p + 12, 0);
        le32(p + 16, snaplen ? snaplen : 262144);
        le32(p + 20, linktypes[0]);
        return V6M_OK;
    }
    /* Section header block. */
    uint8_t blk[512];
    size_t o = 8;
    le32(blk + o, 0x1A2B3C4Du);
    le16(blk + o + 4, 1);
    le16(blk + o + 6, 0);
    memset(blk + o + 8, 0xff, 8);
    o += 16;
    o += ng_opt(blk + o, 4, "v6mon synth", 11);
    le32(blk + o, 0);
    o += 4;
    le32(blk, 0x0A0D0D0Au);
    le32(blk + 4, (uint32_t)(o + 4));
    le32(blk + o, (uint32_t)(o + 4));
    o += 4;
    memcpy(wr_room(w, o), blk, o);
    for (size_t i = 0; i < n_if; i++) {
        o = 8;
        le16(blk + o, (uint16_t)linktypes[i]);
        le16(blk + o + 2, 0);
        le32(blk + o + 4, snaplen ? snaplen : 262144);
        o += 8;
        if (names && names[i]) {
            size_t nl = strlen(names[i]);
            if (nl > 200)
                nl = 200;
            o += ng_opt(blk + o, 2, names[i], nl);
        }
        uint8_t res = ns ? 9 : 6;
        o += ng_opt(blk + o, 9, &res, 1);
        le32(blk + o, 0);
        o += 4;
        le32(blk, 1);
        le32(blk + 4, (uint32_t)(o + 4));
        le32(blk + o, (uint32_t)(o + 4));
        o += 4;
        memcpy(wr_room(w, o), blk, o);
    }
    return V6M_OK;
}

void capw_frame_cut(struct capw *w, uint32_t ifid, uint64_t ts_ns,
                    const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
    if (w->status != V6M_OK)
        return;
    if (w->snaplen && caplen > w->snaplen)
        caplen = w->snaplen;
    w->frames++;
    if (!w->pcapng) {
        uint8_t *p = wr_room(w, 16 + (size_t)caplen);
        if (!p)
            return;
        uint64_t sec = ts_ns / 1000000000u;
        uint64_t frac = ts_ns % 1000000000u;
        le32(p, (uint32_t)sec);
        le32(p + 4, (uint32_t)(w->ns ? frac : frac / 1000));
        le32(p + 8, caplen);
        le32(p + 12, wirelen);
        memcpy(p + 16, data, caplen);
        return;
    }
    size_t padded = ((size_t)caplen + 3) & ~(size_t)3;
    size_t total = 28 + padded + 4;
    uint8_t *p = wr_room(w, total);
    if (!p)
        return;
    uint64_t ts = w->ns ? ts_ns : ts_ns / 1000;
    le32(p, 6);
    le32(p + 4, (uint32_t)total);
    le32(p + 8, ifid);
    le32(p + 12, (uint32_t)(ts >> 32));
    le32(p + 16, (uint32_t)ts);
    le32(p + 20, caplen);
    le32(p + 24, wirelen);
    memcpy(p + 28, data, caplen);
    memset(p + 28 + caplen, 0, padded - caplen);
    le32(p + 28 + padded, (uint32_t)total);
}

void capw_frame(struct capw *w, uint32_t ifid, uint64_t ts_ns,
                const uint8_t *data, uint32_t len)
{
    capw_frame_cut(w, ifid, ts_ns, data, len, len);
}

v6m_err capw_close(struct capw *w)
{
    if (w->buf) {
        wr_flush(w);
        free(w->buf);
        w->buf = NULL;
    }
    if (w->own_fd && w->fd >= 0) {
        if (close(w->fd) != 0 && w->status == V6M_OK)
            w->status = errbuf_set(w->err, V6M_ERR_IO, "cannot close '%s': %s",
                                   w->path, strerror(errno));
    }
    w->fd = -1;
    w->own_fd = false;
    return w->status;
}
