/*
 * tests/unit/capwrite.h - a growable byte writer for tests that build
 * capture files (pcap, pcapng) by hand.
 *
 * struct wb holds the bytes written so far; `be` picks the byte order of
 * the multi-byte writes (false: little-endian, what `{ 0 }` gives). The
 * writer aborts the test (cmocka) when memory runs out. The caller frees
 * w.p. Nothing here shares code with the capture readers under test.
 * Include after <cmocka.h>.
 */
#ifndef V6M_TEST_CAPWRITE_H
#define V6M_TEST_CAPWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct wb {
    uint8_t *p;
    size_t n, cap;
    bool be;
};

static inline void wb_bytes(struct wb *w, const void *d, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->p = realloc(w->p, w->cap);
        assert_non_null(w->p);
    }
    if (n)
        memcpy(w->p + w->n, d, n);
    w->n += n;
}

static inline void wb_u8(struct wb *w, uint8_t v)
{
    wb_bytes(w, &v, 1);
}

/* Byte i of the `width`-byte value v in the writer's order. */
static inline void wb_uint(struct wb *w, uint64_t v, unsigned width)
{
    uint8_t b[8];
    for (unsigned i = 0; i < width; i++) {
        unsigned shift = 8 * (width - 1 - i); /* big-endian position i */
        b[w->be ? i : width - 1 - i] = (uint8_t)(v >> shift);
    }
    wb_bytes(w, b, width);
}

static inline void wb_u16(struct wb *w, uint16_t v) { wb_uint(w, v, 2); }
static inline void wb_u32(struct wb *w, uint32_t v) { wb_uint(w, v, 4); }
static inline void wb_u64(struct wb *w, uint64_t v) { wb_uint(w, v, 8); }

/* Zero bytes up to the next multiple of 4 (pcapng block bodies). */
static inline void wb_pad4(struct wb *w)
{
    while (w->n & 3)
        wb_u8(w, 0);
}

/* Overwrite the 4 bytes at `at` (a length written before it was known). */
static inline void wb_put_u32_at(struct wb *w, size_t at, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        w->p[at + (w->be ? i : 3 - i)] = (uint8_t)(v >> (24 - 8 * i));
}

#endif
