/*
 * classify/prefix.c - longest-prefix-match hash table (design in prefix.h).
 */
#include "classify/prefix.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/hash.h"

#define PFX_SEED 0x5e65d1a7c0ffee11ULL /* keys are configuration: fixed seed */
#define PFX_MMAP_MIN ((size_t)4 << 20)  /* bytes from which slots are mmap'ed */

_Static_assert(sizeof(struct pfx_slot) == 32, "pfx_slot: 32 bytes");

static void *slots_alloc(size_t bytes)
{
    if (bytes < PFX_MMAP_MIN)
        return calloc(1, bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

static void slots_free(void *p, size_t bytes)
{
    if (!p)
        return;
    if (bytes < PFX_MMAP_MIN)
        free(p);
    else
        munmap(p, bytes);
}

void pfx_mask(uint8_t out[16], const uint8_t in[16], unsigned len)
{
    unsigned full = len / 8, rem = len % 8;
    if (full > 16)
        full = 16, rem = 0;
    memcpy(out, in, full);
    if (full < 16) {
        out[full] = rem ? (uint8_t)(in[full] & (0xffu << (8 - rem))) : 0;
        if (full + 1 < 16)
            memset(out + full + 1, 0, 15 - full);
    }
}

static inline uint64_t pfx_hash(const uint8_t a[16], unsigned len, unsigned alen)
{
    return hash_bytes(a, alen, PFX_SEED ^ len);
}

bool pfxtab_init(struct pfxtab *t, unsigned family, size_t capacity)
{
    memset(t, 0, sizeof(*t));
    t->alen = family == 1 ? 4 : 16;
    if (capacity == 0)
        return true;
    if (capacity > (SIZE_MAX / sizeof(struct pfx_slot)) / 4)
        return false;
    size_t cap = 8;
    while (cap < capacity * 2)
        cap *= 2;
    t->slots = slots_alloc(cap * sizeof(*t->slots));
    if (!t->slots)
        return false;
    t->mask = cap - 1;
    t->capacity = capacity;
    return true;
}

void pfxtab_release(struct pfxtab *t)
{
    if (t->slots)
        slots_free(t->slots, (t->mask + 1) * sizeof(*t->slots));
    t->slots = NULL;
    t->count = t->capacity = 0;
    t->n_lens = 0;
}

struct pfx_slot *pfxtab_insert(struct pfxtab *t, const uint8_t addr[16], unsigned len,
                               uint32_t value, uint32_t line, bool *added)
{
    *added = false;
    if (!t->slots || len > t->alen * 8)
        return NULL;
    size_t pos = (size_t)pfx_hash(addr, len, t->alen) & t->mask;
    for (;;) {
        struct pfx_slot *sl = &t->slots[pos];
        if (!sl->used)
            break;
        if (sl->len == len && memcmp(sl->addr, addr, t->alen) == 0)
            return sl;
        pos = (pos + 1) & t->mask;
    }
    if (t->count >= t->capacity)
        return NULL;
    struct pfx_slot *sl = &t->slots[pos];
    memset(sl->addr, 0, sizeof(sl->addr));
    memcpy(sl->addr, addr, t->alen);
    sl->len = (uint8_t)len;
    sl->used = 1;
    sl->value = value;
    sl->line = line;
    t->count++;
    *added = true;
    /* Keep lens distinct and descending (at most 129 entries). */
    unsigned i = 0;
    while (i < t->n_lens && t->lens[i] > len)
        i++;
    if (i == t->n_lens || t->lens[i] != len) {
        memmove(t->lens + i + 1, t->lens + i, t->n_lens - i);
        t->lens[i] = (uint8_t)len;
        t->n_lens++;
    }
    return sl;
}

const struct pfx_slot *pfxtab_lookup(const struct pfxtab *t, const uint8_t addr[16])
{
    if (!t->count)
        return NULL;
    for (unsigned i = 0; i < t->n_lens; i++) {
        unsigned len = t->lens[i];
        uint8_t m[16];
        pfx_mask(m, addr, len);
        size_t pos = (size_t)pfx_hash(m, len, t->alen) & t->mask;
        for (;;) {
            const struct pfx_slot *s = &t->slots[pos];
            if (!s->used)
                break;
            if (s->len == len && memcmp(s->addr, m, t->alen) == 0)
                return s;
            pos = (pos + 1) & t->mask;
        }
    }
    return NULL;
}
