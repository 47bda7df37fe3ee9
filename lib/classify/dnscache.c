/*
 * classify/dnscache.c - bounded, TTL-aware DNS answer cache and name table
 * (contract in dnscache.h).
 *
 * Each table is an entry pool of fixed capacity with:
 *   - a chained hash index: buckets[] holds entry index + 1 (0 = empty),
 *     each entry's hnext continues the chain. The bucket array is reserved
 *     for the largest power of two >= capacity, but only its first
 *     bmask + 1 buckets are in use: the used part starts at 4096 and
 *     doubles (relinking the live entries from their stored h32) before a
 *     new entry would make the entries outnumber the buckets, so chains
 *     average < 1 entry while the index stays as small as the live entries
 *     (a full-size index of 4 MiB took a cache miss on every probe of a
 *     cache holding a few thousand answers);
 *   - an age list in put order (prev/next, index + 1), oldest at the head:
 *     eviction when full takes the head in O(1);
 *   - a free list threaded through `next` of freed entries; never-used
 *     entries are handed out in index order (pages of the pool are touched
 *     only as the cache fills);
 *   - a sweep hand over the used index range that removes expired entries
 *     (2 slots a put), so expired entries do not linger until evicted.
 *     Puts are far apart (a DNS answer every ~14 frames on the bench
 *     capture), so each put also issues prefetch hints two puts ahead:
 *     the slots the put after next will sweep, and for the next put's
 *     slots that are already expired, the bucket and age-list neighbours
 *     their removal will touch (hints only: what is read there decides
 *     nothing but which lines to load).
 * Keys are fixed-size byte strings stored in the entry:
 *   client table: [family][addr_family][client 16][addr 16] = 34 bytes,
 *   address table: [addr_family][addr 16] = 17 bytes;
 * IPv4 addresses use their first 4 bytes, the rest of the key is zero.
 * A live entry has expire_ns > 0 (a TTL is never below 1 s); a free one 0.
 *
 * Name table: ids 1..n index an array of pointers into 64 KiB chunks that
 * never move (so dnscache_name() pointers stay valid); an open-addressing
 * index (id, 32-bit hash) with linear probing, grown by doubling, finds a
 * name's id.
 */
#include "classify/dnscache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "util/hash.h"

#define NAME_MAX_LEN 253
#define CHUNK_SIZE (64u << 10)
#define SWEEP_PER_PUT 2
#define BUCKETS_MIN 4096
#define NS_PER_S 1000000000ULL

/* One cache line per entry: the key compared on a probe sits beside the
 * links and the expiry, so a probe touches one line (the pool is 64-byte
 * aligned). The address table uses the first 17 key bytes. */
#define KEY_MAX 34
struct dentry {
    uint8_t key[KEY_MAX];
    uint32_t name_id;
    uint32_t prev, next; /* age list (or free list in next), index + 1 */
    uint32_t hnext;      /* hash chain, index + 1 */
    uint32_t h32;        /* hash of the key: bucket = h32 & bmask */
    uint64_t expire_ns;  /* 0 = free */
};

_Static_assert(sizeof(struct dentry) == 64, "dentry: one cache line");

struct dtab {
    struct dentry *e;    /* cap entries, zeroed; [0, hw) handed out */
    size_t klen;
    uint32_t *buckets;   /* nb_max reserved, [0, bmask] in use */
    size_t bmask, nb_max;
    size_t cap, count, hw; /* hw: entries [0, hw) have been handed out */
    uint32_t free_head, oldest, newest;
    size_t hand;
    uint64_t expired, evicted, max_count;
    uint64_t seed;
};

struct nchunk {
    struct nchunk *next;
    size_t used;
    char data[];
};

struct nslot {
    uint32_t id;  /* 0 = empty */
    uint32_t h32;
};

struct dnscache {
    struct dnscache_config cfg;
    struct dtab client, addr;
    /* names */
    const char **names;   /* [id] -> string; [0] unused */
    size_t nnames, names_cap;
    struct nslot *nidx;
    size_t nmask;
    struct nchunk *chunks;
    uint64_t name_bytes;
    uint64_t name_seed;
    /* stats */
    uint64_t puts, hits_client, hits_any, misses, names_refused, names_invalid;
};

/* ---- entry tables ------------------------------------------------------- */

/* Zeroed memory from an anonymous mapping: page-aligned (so entries sit on
 * cache lines), committed only when touched, with transparent huge pages
 * asked for when large (random access to a table of a million entries
 * otherwise pays a TLB miss per probe). */
static void *big_zalloc(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= ((size_t)4 << 20))
        madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

static void big_free(void *p, size_t bytes)
{
    if (p)
        munmap(p, bytes);
}

static bool dtab_init(struct dtab *t, size_t cap, size_t klen, uint64_t seed)
{
    memset(t, 0, sizeof(*t));
    t->cap = cap;
    t->klen = klen;
    t->seed = seed;
    size_t nb = 1;
    while (nb < cap)
        nb *= 2;
    t->nb_max = nb;
    t->bmask = (nb < BUCKETS_MIN ? nb : BUCKETS_MIN) - 1;
    t->e = big_zalloc(cap * sizeof(*t->e));
    t->buckets = big_zalloc(nb * sizeof(*t->buckets));
    return t->e && t->buckets;
}

static void dtab_release(struct dtab *t)
{
    big_free(t->e, t->cap * sizeof(*t->e));
    big_free(t->buckets, t->nb_max * sizeof(*t->buckets));
}

/* Double the buckets in use (the memory is reserved: this cannot fail) and
 * relink every live entry. Chain order changes; nothing depends on it. */
static void dtab_grow(struct dtab *t)
{
    size_t nb = (t->bmask + 1) * 2;
    memset(t->buckets, 0, nb * sizeof(*t->buckets));
    t->bmask = nb - 1;
    for (size_t i = 0; i < t->hw; i++) {
        struct dentry *en = &t->e[i];
        if (!en->expire_ns)
            continue;
        size_t b = en->h32 & t->bmask;
        en->hnext = t->buckets[b];
        t->buckets[b] = (uint32_t)(i + 1);
    }
}

static inline uint32_t dhash(const struct dtab *t, const uint8_t *key)
{
    return (uint32_t)hash_bytes(key, t->klen, t->seed);
}

/* Hints only: the bucket of hash h, then the first entry of its chain. */
static inline void dtab_prefetch(const struct dtab *t, uint32_t h)
{
    __builtin_prefetch(&t->buckets[h & t->bmask]);
}

static inline void dtab_prefetch_head(const struct dtab *t, uint32_t h)
{
    uint32_t x = t->buckets[h & t->bmask];
    if (x)
        __builtin_prefetch(&t->e[x - 1]);
}

/* Index + 1 of the entry with key (hash h), 0 if none. */
static uint32_t dtab_find(const struct dtab *t, const uint8_t *key, uint32_t h)
{
    uint32_t x = t->buckets[h & t->bmask];
    while (x) {
        const struct dentry *en = &t->e[x - 1];
        if (en->h32 == h && memcmp(en->key, key, t->klen) == 0)
            return x;
        x = en->hnext;
    }
    return 0;
}

static void age_unlink(struct dtab *t, uint32_t x)
{
    struct dentry *en = &t->e[x - 1];
    if (en->prev)
        t->e[en->prev - 1].next = en->next;
    else
        t->oldest = en->next;
    if (en->next)
        t->e[en->next - 1].prev = en->prev;
    else
        t->newest = en->prev;
    en->prev = en->next = 0;
}

static void age_push(struct dtab *t, uint32_t x)
{
    struct dentry *en = &t->e[x - 1];
    en->prev = t->newest;
    en->next = 0;
    if (t->newest)
        t->e[t->newest - 1].next = x;
    else
        t->oldest = x;
    t->newest = x;
}

static void dtab_remove(struct dtab *t, uint32_t x)
{
    uint32_t *pp = &t->buckets[t->e[x - 1].h32 & t->bmask];
    while (*pp && *pp != x)
        pp = &t->e[*pp - 1].hnext;
    if (*pp)
        *pp = t->e[x - 1].hnext;
    age_unlink(t, x);
    struct dentry *en = &t->e[x - 1];
    en->expire_ns = 0;
    en->name_id = 0;
    en->hnext = 0;
    en->next = t->free_head;
    t->free_head = x;
    t->count--;
}

/* A fresh entry for key (hash h; evicting the oldest when full), linked in.
 * The caller sets its expiry (> 0) before the next table operation. */
static uint32_t dtab_alloc(struct dtab *t, const uint8_t *key, uint32_t h)
{
    uint32_t x;
    if (t->count + 1 > t->bmask + 1 && t->bmask + 1 < t->nb_max)
        dtab_grow(t);
    if (t->free_head) {
        x = t->free_head;
        t->free_head = t->e[x - 1].next;
    } else if (t->hw < t->cap) {
        x = (uint32_t)++t->hw;
    } else {
        dtab_remove(t, t->oldest);
        t->evicted++;
        x = t->free_head;
        t->free_head = t->e[x - 1].next;
    }
    struct dentry *en = &t->e[x - 1];
    memset(en, 0, sizeof(*en));
    memcpy(en->key, key, t->klen);
    en->h32 = h;
    size_t b = h & t->bmask;
    en->hnext = t->buckets[b];
    t->buckets[b] = x;
    age_push(t, x);
    t->count++;
    if (t->count > t->max_count)
        t->max_count = t->count;
    return x;
}

static void dtab_sweep(struct dtab *t, uint64_t now_ns, unsigned budget)
{
    for (unsigned i = 0; i < budget && t->hw; i++) {
        if (t->hand >= t->hw)
            t->hand = 0;
        uint32_t x = (uint32_t)++t->hand;
        struct dentry *en = &t->e[x - 1];
        if (en->expire_ns && en->expire_ns <= now_ns) {
            dtab_remove(t, x);
            t->expired++;
        }
    }
    /* Hints only, two puts ahead (puts are far apart: the lines would
     * otherwise be cold each time). The slots the put after next will
     * sweep are loaded now; of the slots the next put will sweep (loaded
     * by the previous put), those already expired will be removed then,
     * which reads their hash bucket and their age-list neighbours: those
     * lines are loaded now too. */
    size_t h = t->hand;
    for (unsigned i = 0; i < 2 * budget && t->hw; i++, h++) {
        if (h >= t->hw)
            h = 0;
        const struct dentry *en = &t->e[h];
        if (i >= budget) {
            __builtin_prefetch(en);
        } else if (en->expire_ns && en->expire_ns <= now_ns) {
            __builtin_prefetch(&t->buckets[en->h32 & t->bmask]);
            if (en->prev)
                __builtin_prefetch(&t->e[en->prev - 1]);
            if (en->next)
                __builtin_prefetch(&t->e[en->next - 1]);
        }
    }
}

/* ---- object --------------------------------------------------------------- */

static uint64_t make_seed(const void *salt)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
        uintptr_t p = (uintptr_t)salt;
        s = hash_bytes(&p, sizeof(p), 0x646e7363616368ULL);
    }
    return s;
}

struct dnscache *dnscache_new(const struct dnscache_config *cfg)
{
    struct dnscache_config k;
    memset(&k, 0, sizeof(k));
    if (cfg)
        k = *cfg;
    if (!k.max_entries)
        k.max_entries = DNSCACHE_DEFAULT_MAX_ENTRIES;
    if (!k.min_ttl_s)
        k.min_ttl_s = DNSCACHE_DEFAULT_MIN_TTL;
    if (!k.max_ttl_s)
        k.max_ttl_s = DNSCACHE_DEFAULT_MAX_TTL;
    if (k.max_ttl_s < k.min_ttl_s)
        k.max_ttl_s = k.min_ttl_s;
    if (!k.grace_s)
        k.grace_s = DNSCACHE_DEFAULT_GRACE;
    if (!k.max_names)
        k.max_names = k.max_entries;
    if (!k.max_name_bytes)
        k.max_name_bytes = DNSCACHE_DEFAULT_NAME_BYTES;
    if (k.max_entries > (1u << 31) || k.max_names >= UINT32_MAX)
        return NULL;
    struct dnscache *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->cfg = k;
    uint64_t seed = make_seed(c);
    bool ok = dtab_init(&c->client, k.max_entries, 34, seed);
    ok = dtab_init(&c->addr, k.max_entries, 17, hash_fmix64(seed + 1)) && ok;
    c->name_seed = hash_fmix64(seed + 2);
    c->names_cap = 64;
    c->names = calloc(c->names_cap, sizeof(*c->names));
    c->nmask = 127;
    c->nidx = calloc(c->nmask + 1, sizeof(*c->nidx));
    if (!ok || !c->names || !c->nidx) {
        dnscache_free(c);
        return NULL;
    }
    return c;
}

void dnscache_free(struct dnscache *c)
{
    if (!c)
        return;
    dtab_release(&c->client);
    dtab_release(&c->addr);
    free(c->names);
    free(c->nidx);
    struct nchunk *ch = c->chunks;
    while (ch) {
        struct nchunk *n = ch->next;
        free(ch);
        ch = n;
    }
    free(c);
}

/* ---- names ---------------------------------------------------------------- */

static bool nidx_grow(struct dnscache *c)
{
    size_t ncap = (c->nmask + 1) * 2;
    struct nslot *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return false;
    for (size_t i = 0; i <= c->nmask; i++) {
        if (!c->nidx[i].id)
            continue;
        size_t pos = c->nidx[i].h32 & (ncap - 1);
        while (ns[pos].id)
            pos = (pos + 1) & (ncap - 1);
        ns[pos] = c->nidx[i];
    }
    free(c->nidx);
    c->nidx = ns;
    c->nmask = ncap - 1;
    return true;
}

uint32_t dnscache_intern(struct dnscache *c, const char *name)
{
    if (!c || !name)
        return 0;
    char buf[NAME_MAX_LEN + 2];
    size_t n = 0;
    for (; name[n]; n++) {
        if (n > NAME_MAX_LEN + 1) { /* 255 bytes: too long even with a dot */
            c->names_invalid++;
            return 0;
        }
        char ch = name[n];
        if ((unsigned char)ch <= 0x20 || (unsigned char)ch >= 0x7f) {
            c->names_invalid++;
            return 0;
        }
        buf[n] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    if (n > 0 && buf[n - 1] == '.')
        n--; /* "x.example." -> "x.example"; "." -> "" (refused) */
    if (n == 0 || n > NAME_MAX_LEN) {
        c->names_invalid++;
        return 0;
    }
    buf[n] = '\0';
    uint32_t h32 = (uint32_t)hash_bytes(buf, n, c->name_seed);
    size_t pos = h32 & c->nmask;
    while (c->nidx[pos].id) {
        if (c->nidx[pos].h32 == h32) {
            const char *s = c->names[c->nidx[pos].id];
            if (strncmp(s, buf, n + 1) == 0)
                return c->nidx[pos].id;
        }
        pos = (pos + 1) & c->nmask;
    }
    if (c->nnames >= c->cfg.max_names || c->name_bytes + n + 1 > c->cfg.max_name_bytes) {
        c->names_refused++;
        return 0;
    }
    /* room: index load <= 1/2, id array, chunk space */
    if ((c->nnames + 2) * 2 > c->nmask + 1) {
        if (!nidx_grow(c)) {
            c->names_refused++;
            return 0;
        }
        pos = h32 & c->nmask;
        while (c->nidx[pos].id)
            pos = (pos + 1) & c->nmask;
    }
    if (c->nnames + 1 >= c->names_cap) {
        size_t nc = c->names_cap * 2;
        const char **na = realloc(c->names, nc * sizeof(*na));
        if (!na) {
            c->names_refused++;
            return 0;
        }
        c->names = na;
        c->names_cap = nc;
    }
    if (!c->chunks || c->chunks->used + n + 1 > CHUNK_SIZE) {
        struct nchunk *ch = malloc(sizeof(*ch) + CHUNK_SIZE);
        if (!ch) {
            c->names_refused++;
            return 0;
        }
        ch->next = c->chunks;
        ch->used = 0;
        c->chunks = ch;
    }
    char *dst = c->chunks->data + c->chunks->used;
    memcpy(dst, buf, n + 1);
    c->chunks->used += n + 1;
    c->name_bytes += n + 1;
    uint32_t id = (uint32_t)++c->nnames;
    c->names[id] = dst;
    c->nidx[pos].id = id;
    c->nidx[pos].h32 = h32;
    return id;
}

const char *dnscache_name(const struct dnscache *c, uint32_t id)
{
    if (!c || id == 0 || id > c->nnames)
        return NULL;
    return c->names[id];
}

/* ---- answers -------------------------------------------------------------- */

static bool fam_ok(uint8_t f)
{
    return f == 1 || f == 2;
}

static void make_keys(uint8_t ck[34], uint8_t ak[17], uint8_t family,
                      const uint8_t client[16], uint8_t addr_family, const uint8_t addr[16])
{
    memset(ck, 0, 34);
    memset(ak, 0, 17);
    ck[0] = family;
    ck[1] = addr_family;
    memcpy(ck + 2, client, family == 1 ? 4 : 16);
    memcpy(ck + 18, addr, addr_family == 1 ? 4 : 16);
    ak[0] = addr_family;
    memcpy(ak + 1, addr, addr_family == 1 ? 4 : 16);
}

void dnscache_put(struct dnscache *c, uint8_t family, const uint8_t client[16],
                  uint8_t addr_family, const uint8_t addr[16], uint32_t name_id,
                  uint32_t ttl_s, uint64_t now_ns)
{
    if (!c || !name_id || name_id > c->nnames || !fam_ok(family) || !fam_ok(addr_family))
        return;
    c->puts++;
    uint32_t ttl = ttl_s < c->cfg.min_ttl_s   ? c->cfg.min_ttl_s
                   : ttl_s > c->cfg.max_ttl_s ? c->cfg.max_ttl_s
                                              : ttl_s;
    uint64_t life = ((uint64_t)ttl + c->cfg.grace_s) * NS_PER_S;
    uint64_t expire = now_ns > UINT64_MAX - life ? UINT64_MAX : now_ns + life;
    uint8_t ck[34], ak[17];
    make_keys(ck, ak, family, client, addr_family, addr);

    /* Both buckets load while the sweep hands run (a put otherwise waits
     * for four cache misses one after another). */
    uint32_t hc = dhash(&c->client, ck), ha = dhash(&c->addr, ak);
    dtab_prefetch(&c->client, hc);
    dtab_prefetch(&c->addr, ha);
    dtab_sweep(&c->client, now_ns, SWEEP_PER_PUT);
    dtab_sweep(&c->addr, now_ns, SWEEP_PER_PUT);
    dtab_prefetch_head(&c->client, hc);
    dtab_prefetch_head(&c->addr, ha);

    uint32_t x = dtab_find(&c->client, ck, hc);
    if (x)
        age_unlink(&c->client, x), age_push(&c->client, x);
    else
        x = dtab_alloc(&c->client, ck, hc);
    c->client.e[x - 1].name_id = name_id;
    c->client.e[x - 1].expire_ns = expire;

    x = dtab_find(&c->addr, ak, ha);
    if (x) {
        struct dentry *en = &c->addr.e[x - 1];
        if (en->name_id == name_id && en->expire_ns > expire)
            expire = en->expire_ns; /* same answer again: keep the later expiry */
        age_unlink(&c->addr, x);
        age_push(&c->addr, x);
    } else {
        x = dtab_alloc(&c->addr, ak, ha);
    }
    c->addr.e[x - 1].name_id = name_id;
    c->addr.e[x - 1].expire_ns = expire;
}

/* Name id of a live entry for key (hash h), removing it when expired. */
static uint32_t lookup(struct dtab *t, const uint8_t *key, uint32_t h, uint64_t now_ns)
{
    uint32_t x = dtab_find(t, key, h);
    if (!x)
        return 0;
    struct dentry *en = &t->e[x - 1];
    if (now_ns < en->expire_ns)
        return en->name_id;
    dtab_remove(t, x);
    t->expired++;
    return 0;
}

uint32_t dnscache_get(struct dnscache *c, uint8_t family, const uint8_t client[16],
                      uint8_t addr_family, const uint8_t addr[16], uint64_t now_ns,
                      bool *from_other_client)
{
    if (from_other_client)
        *from_other_client = false;
    if (!c)
        return 0;
    if (!fam_ok(family) || !fam_ok(addr_family)) {
        c->misses++;
        return 0;
    }
    uint8_t ck[34], ak[17];
    make_keys(ck, ak, family, client, addr_family, addr);
    /* The address table is asked when the client table misses: load its
     * bucket at the same time. */
    uint32_t hc = dhash(&c->client, ck), ha = dhash(&c->addr, ak);
    dtab_prefetch(&c->client, hc);
    dtab_prefetch(&c->addr, ha);
    uint32_t id = lookup(&c->client, ck, hc, now_ns);
    if (id) {
        c->hits_client++;
        return id;
    }
    id = lookup(&c->addr, ak, ha, now_ns);
    if (id) {
        c->hits_any++;
        if (from_other_client)
            *from_other_client = true;
        return id;
    }
    c->misses++;
    return 0;
}

void dnscache_get_stats(const struct dnscache *c, struct dnscache_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!c)
        return;
    out->entries = c->client.count;
    out->max_entries_seen = c->client.max_count;
    out->puts = c->puts;
    out->hits_client = c->hits_client;
    out->hits_any = c->hits_any;
    out->misses = c->misses;
    out->expired = c->client.expired;
    out->evicted = c->client.evicted;
    out->names = c->nnames;
    out->names_refused = c->names_refused;
    out->names_invalid = c->names_invalid;
    out->name_bytes = c->name_bytes;
    out->addr_entries = c->addr.count;
    out->addr_expired = c->addr.expired;
    out->addr_evicted = c->addr.evicted;
}
