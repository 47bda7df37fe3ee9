/*
 * util/cursor.h - the bounded cursor through which every untrusted byte is
 * read (packets, capture files, flow exports, DNS, config).
 *
 * A cursor is a window [p, end) over borrowed memory. Every read checks the
 * remaining length first; a read past the end does not touch memory, sets
 * the sticky `short_read` flag and returns 0, so a parser can do a run of
 * reads and check once. Multi-byte integers are assembled from bytes
 * (network order unless the name says _le), never by casting packet memory
 * to a struct.
 *
 * Invariant: base <= p <= end. All functions are static inline: this is the
 * innermost loop of the decoder.
 * Ownership: the cursor borrows the bytes; it never frees them.
 */
#ifndef V6M_UTIL_CURSOR_H
#define V6M_UTIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
    const uint8_t *base; /* start of the whole buffer (for offsets) */
    const uint8_t *p;    /* next byte to read */
    const uint8_t *end;  /* one past the last readable byte */
    bool short_read;     /* a read wanted more bytes than were left */
};

static inline void cursor_init(struct cursor *c, const void *data, size_t len)
{
    c->base = (const uint8_t *)data;
    c->p = c->base;
    c->end = c->base + len;
    c->short_read = false;
}

static inline size_t cursor_left(const struct cursor *c)
{
    return (size_t)(c->end - c->p);
}

static inline size_t cursor_offset(const struct cursor *c)
{
    return (size_t)(c->p - c->base);
}

static inline bool cursor_has(const struct cursor *c, size_t n)
{
    return cursor_left(c) >= n;
}

/* Pointer to the next n bytes without consuming them, or NULL (and
 * short_read set) when fewer are left. */
static inline const uint8_t *cursor_peek(struct cursor *c, size_t n)
{
    if (cursor_left(c) < n) {
        c->short_read = true;
        return NULL;
    }
    return c->p;
}

static inline bool cursor_skip(struct cursor *c, size_t n)
{
    if (cursor_left(c) < n) {
        c->short_read = true;
        c->p = c->end;
        return false;
    }
    c->p += n;
    return true;
}

/* Copy n bytes out (into caller memory) and advance. */
static inline bool cursor_copy(struct cursor *c, void *dst, size_t n)
{
    if (cursor_left(c) < n) {
        c->short_read = true;
        c->p = c->end;
        return false;
    }
    memcpy(dst, c->p, n);
    c->p += n;
    return true;
}

static inline uint8_t cursor_u8(struct cursor *c)
{
    if (c->p >= c->end) {
        c->short_read = true;
        return 0;
    }
    return *c->p++;
}

static inline uint16_t cursor_be16(struct cursor *c)
{
    if (cursor_left(c) < 2) {
        c->short_read = true;
        c->p = c->end;
        return 0;
    }
    uint16_t v = (uint16_t)((uint16_t)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    return v;
}

static inline uint32_t cursor_be24(struct cursor *c)
{
    if (cursor_left(c) < 3) {
        c->short_read = true;
        c->p = c->end;
        return 0;
    }
    uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
    c->p += 3;
    return v;
}

static inline uint32_t cursor_be32(struct cursor *c)
{
    if (cursor_left(c) < 4) {
        c->short_read = true;
        c->p = c->end;
        return 0;
    }
    uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
                 (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    return v;
}

static inline uint16_t cursor_le16(struct cursor *c)
{
    if (cursor_left(c) < 2) {
        c->short_read = true;
        c->p = c->end;
        return 0;
    }
    uint16_t v = (uint16_t)((uint16_t)c->p[1] << 8 | c->p[0]);
    c->p += 2;
    return v;
}

static inline uint32_t cursor_le32(struct cursor *c)
{
    if (cursor_left(c) < 4) {
        c->short_read = true;
        c->p = c->end;
        return 0;
    }
    uint32_t v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
                 (uint32_t)c->p[1] << 8 | c->p[0];
    c->p += 4;
    return v;
}

/* A sub-cursor over the next n bytes (clamped to what is left; short_read
 * set on the parent when clamped). The parent advances past them. */
static inline struct cursor cursor_sub(struct cursor *c, size_t n)
{
    struct cursor s;
    size_t left = cursor_left(c);
    if (n > left) {
        c->short_read = true;
        n = left;
    }
    s.base = c->base;
    s.p = c->p;
    s.end = c->p + n;
    s.short_read = false;
    c->p += n;
    return s;
}

/* Byte-order helpers for fixed buffers already known to be long enough. */
static inline uint16_t load_be16(const uint8_t *b)
{
    return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}
static inline uint32_t load_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}
static inline uint16_t load_le16(const uint8_t *b)
{
    return (uint16_t)((uint16_t)b[1] << 8 | b[0]);
}
static inline uint32_t load_le32(const uint8_t *b)
{
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}
static inline void store_be16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}
static inline void store_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

#endif
