/*
 * stats/userset.c - exact-then-sketch set of flagged users. The contract,
 * the modes and the memory bounds are in userset.h; the switch is described
 * in docs/internals/hll.md.
 *
 * Map: open addressing with linear probing over two parallel arrays,
 * keys[cap] and flags[cap]; flags 0 marks an empty slot (a stored key always
 * has at least one flag bit), so every 64-bit key value is usable. The slot
 * is chosen from hash_fmix64(key), not from the key's own low bits, so that
 * a caller whose "hash" is poorly mixed degrades only the HLL, not the map.
 * No deletions, so no tombstones. The load stays <= 1/2: the map doubles
 * before the insert that would pass it.
 *
 * Invariants (exact mode):
 *   count == number of occupied slots == sum of per_flags[1..255] <= exact_max
 *   per_flags[v] == number of keys whose flags are exactly v
 *   for every bit b: sketch b == HLL of the keys having bit b
 * Sketch mode: keys == flags == NULL, cap == count == 0; sketches as above
 * (over every key ever added or merged).
 */
#include <stdlib.h>
#include <string.h>

#include "stats/userset.h"
#include "util/hash.h"

#define MAP_MIN_CAP 16

struct userset {
    size_t exact_max;
    unsigned nbits;
    uint8_t mask;       /* (1 << nbits) - 1 */
    uint8_t used;       /* flag bits ever added */
    bool exact;
    bool oom_switch;
    uint64_t adds;
    uint64_t *keys;     /* [cap] */
    uint8_t *flags;     /* [cap], 0 = empty */
    size_t cap;         /* power of two, 0 in sketch mode */
    size_t count;
    size_t per_flags[256];
    v6m_hll *sk;        /* [nbits] */
};

static size_t pow2_at_least(size_t n)
{
    size_t c = MAP_MIN_CAP;
    while (c < n)
        c <<= 1;
    return c;
}

/* Slot holding key, or the empty slot where it belongs. The map is never
 * full (load <= 1/2), so the probe ends. */
static size_t map_slot(const uint64_t *keys, const uint8_t *flags, size_t cap, uint64_t key)
{
    size_t m = cap - 1;
    size_t i = (size_t)hash_fmix64(key) & m;
    while (flags[i] != 0 && keys[i] != key)
        i = (i + 1) & m;
    return i;
}

/* Rehash into newcap slots. On allocation failure the map is unchanged. */
static bool map_resize(struct userset *s, size_t newcap)
{
    uint64_t *k = malloc(newcap * sizeof *k);
    uint8_t *f = calloc(newcap, 1);
    if (!k || !f) {
        free(k);
        free(f);
        return false;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->flags[i] == 0)
            continue;
        size_t j = map_slot(k, f, newcap, s->keys[i]);
        k[j] = s->keys[i];
        f[j] = s->flags[i];
    }
    free(s->keys);
    free(s->flags);
    s->keys = k;
    s->flags = f;
    s->cap = newcap;
    return true;
}

static void to_sketch_mode(struct userset *s)
{
    free(s->keys);
    free(s->flags);
    s->keys = NULL;
    s->flags = NULL;
    s->cap = 0;
    s->count = 0;
    memset(s->per_flags, 0, sizeof s->per_flags);
    s->exact = false;
}

static void sketch_add(struct userset *s, uint64_t key, uint8_t bits)
{
    for (unsigned b = 0; bits; b++, bits >>= 1)
        if (bits & 1)
            v6m_hll_add_hash(&s->sk[b], key);
}

enum put_result { PUT_OLD, PUT_NEW, PUT_FULL, PUT_NOMEM };

/* Exact mode: OR flags (non-zero, masked) into key's entry. *gained gets
 * the bits the key did not have. PUT_FULL: the key is new and the set
 * already holds exact_max keys; PUT_NOMEM: the map could not grow. In both
 * cases nothing changed. */
static enum put_result map_put(struct userset *s, uint64_t key, uint8_t fl, uint8_t *gained)
{
    size_t i = map_slot(s->keys, s->flags, s->cap, key);
    if (s->flags[i] != 0) {
        uint8_t old = s->flags[i];
        *gained = (uint8_t)(fl & ~old);
        if (*gained) {
            s->flags[i] = (uint8_t)(old | fl);
            s->per_flags[old]--;
            s->per_flags[old | fl]++;
        }
        return PUT_OLD;
    }
    if (s->count >= s->exact_max)
        return PUT_FULL;
    if ((s->count + 1) * 2 > s->cap) {
        if (!map_resize(s, s->cap * 2))
            return PUT_NOMEM;
        i = map_slot(s->keys, s->flags, s->cap, key);
    }
    s->keys[i] = key;
    s->flags[i] = fl;
    s->count++;
    s->per_flags[fl]++;
    *gained = fl;
    return PUT_NEW;
}

struct userset *userset_new(size_t exact_max, unsigned nbits)
{
    if (nbits < 1 || nbits > USERSET_MAX_BITS)
        return NULL;
    struct userset *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->exact_max = exact_max < USERSET_EXACT_LIMIT ? exact_max : USERSET_EXACT_LIMIT;
    s->nbits = nbits;
    s->mask = (uint8_t)((1u << nbits) - 1);
    s->sk = calloc(nbits, sizeof *s->sk); /* all-zero registers = empty sketch */
    if (!s->sk) {
        free(s);
        return NULL;
    }
    if (s->exact_max > 0) {
        size_t cap = MAP_MIN_CAP; /* grows as keys arrive */
        s->keys = malloc(cap * sizeof *s->keys);
        s->flags = calloc(cap, 1);
        if (!s->keys || !s->flags) {
            free(s->keys);
            free(s->flags);
            free(s->sk);
            free(s);
            return NULL;
        }
        s->cap = cap;
        s->exact = true;
    }
    return s;
}

void userset_free(struct userset *s)
{
    if (!s)
        return;
    free(s->keys);
    free(s->flags);
    free(s->sk);
    free(s);
}

void userset_prefetch(const struct userset *s, uint64_t key_hash)
{
    if (!s || !s->cap)
        return;
    size_t i = (size_t)hash_fmix64(key_hash) & (s->cap - 1);
    __builtin_prefetch(&s->flags[i]);
    __builtin_prefetch(&s->keys[i]);
}

void userset_add(struct userset *s, uint64_t key_hash, uint8_t flags)
{
    flags &= s->mask;
    if (!flags)
        return;
    s->adds++;
    s->used |= flags;
    if (s->exact) {
        uint8_t gained = 0;
        switch (map_put(s, key_hash, flags, &gained)) {
        case PUT_OLD:
        case PUT_NEW:
            sketch_add(s, key_hash, gained);
            return;
        case PUT_NOMEM:
            s->oom_switch = true;
            /* fall through */
        case PUT_FULL:
            to_sketch_mode(s);
            break;
        }
    }
    sketch_add(s, key_hash, flags);
}

static void merge_sketches(struct userset *dst, const struct userset *src, uint8_t bits)
{
    for (unsigned b = 0; b < dst->nbits; b++)
        if (bits & (1u << b))
            v6m_hll_merge(&dst->sk[b], &src->sk[b]);
}

bool userset_merge(struct userset *dst, const struct userset *src)
{
    if (dst == src)
        return true;
    uint8_t bits = src->used & dst->mask;
    if (dst->exact && src->exact && src->count <= dst->exact_max) {
        /* Make room first for as many keys as the union can hold in exact
         * mode: that resize is the only allocation, so on failure dst is
         * unchanged, and no insert below needs to grow the map (each new
         * key comes from src and never passes exact_max). */
        size_t most = dst->count + src->count;
        if (most > dst->exact_max)
            most = dst->exact_max;
        size_t want = pow2_at_least(2 * most);
        if (want > dst->cap && !map_resize(dst, want))
            return false;
        for (size_t i = 0; i < src->cap; i++) {
            uint8_t fl = src->flags[i] & dst->mask;
            if (fl == 0)
                continue;
            uint8_t gained;
            enum put_result r = map_put(dst, src->keys[i], fl, &gained);
            if (r == PUT_OLD || r == PUT_NEW)
                continue;
            if (r == PUT_NOMEM)
                dst->oom_switch = true; /* not expected, see above */
            to_sketch_mode(dst);
            break;
        }
    } else if (dst->exact) {
        to_sketch_mode(dst);
    }
    /* Whether or not the keys went into the map, the union's sketch of each
     * bit is the register-wise max of the two. */
    merge_sketches(dst, src, bits);
    dst->used |= bits;
    return true;
}

bool userset_merge_sketch(struct userset *s, unsigned bit, const v6m_hll *h)
{
    if (bit >= s->nbits)
        return false;
    if (s->exact)
        to_sketch_mode(s);
    v6m_hll_merge(&s->sk[bit], h);
    if (!v6m_hll_is_empty(h))
        s->used |= (uint8_t)(1u << bit);
    return true;
}

bool userset_is_exact(const struct userset *s)
{
    return s->exact;
}

static uint64_t round_estimate(double e)
{
    if (!(e >= 0.5)) /* also NaN */
        return 0;
    if (e >= 18446744073709549568.0) /* largest double below 2^64 */
        return UINT64_MAX;
    return (uint64_t)(e + 0.5);
}

uint64_t userset_count_any(const struct userset *s, uint8_t mask)
{
    mask &= s->mask;
    if (s->exact) {
        uint64_t n = 0;
        for (unsigned v = 1; v < 256; v++)
            if (v & mask)
                n += s->per_flags[v];
        return n;
    }
    uint8_t bits = mask & s->used;
    if (bits == 0)
        return 0;
    unsigned first = (unsigned)__builtin_ctz(bits);
    if ((bits & (bits - 1)) == 0)
        return round_estimate(v6m_hll_estimate(&s->sk[first]));
    v6m_hll u = s->sk[first]; /* 16 KiB on the stack */
    for (unsigned b = first + 1; b < s->nbits; b++)
        if (bits & (1u << b))
            v6m_hll_merge(&u, &s->sk[b]);
    return round_estimate(v6m_hll_estimate(&u));
}

const v6m_hll *userset_sketch(const struct userset *s, unsigned bit)
{
    if (bit >= s->nbits || !(s->used & (1u << bit)))
        return NULL;
    return &s->sk[bit];
}

size_t userset_exact_size(const struct userset *s)
{
    return s->exact ? s->count : 0;
}

unsigned userset_nbits(const struct userset *s)
{
    return s->nbits;
}

void userset_get_stats(const struct userset *s, struct userset_stats *out)
{
    memset(out, 0, sizeof *out);
    out->bytes = sizeof *s + s->nbits * sizeof(v6m_hll) +
                 s->cap * (sizeof *s->keys + sizeof *s->flags);
    out->exact_keys = userset_exact_size(s);
    out->exact_max = s->exact_max;
    out->adds = s->adds;
    out->used_bits = s->used;
    out->exact = s->exact;
    out->oom_switch = s->oom_switch;
}
