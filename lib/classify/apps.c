/*
 * classify/apps.c - the app catalog (include/v6mon/apps.h; file format and
 * rules in docs/apps.md).
 *
 * Storage: every string (display names, lowercase name keys, categories,
 * suffixes, nDPI names) lives in one byte pool addressed by 32-bit offsets;
 * apps are an array; three open-addressing hash tables (linear probing,
 * load <= 1/2, grown by doubling) index the pool:
 *   - suffixes: key = the lowercase suffix, hashed LABEL BY LABEL FROM THE
 *     RIGHT: h("weixin.qq.com") = H("weixin", H("qq", H("com", seed))).
 *     A lookup therefore extends the hash by one label per probe and never
 *     rehashes the host: for "a.b.weixin.qq.com" it probes "com", "qq.com",
 *     "weixin.qq.com", ... (at most max_labels probes) and keeps the last
 *     hit, which is the longest matching suffix. Each probe compares the
 *     stored length and bytes, so a hash collision cannot produce a wrong
 *     match. No allocation: a label (<= 63 bytes) is lowercased on the stack;
 *   - nDPI protocol names and app names: key = the lowercase string.
 * Catalog contents are configuration (trusted), hosts only probe: a fixed
 * seed is fine (no adversary controls which keys are stored).
 *
 * Loads are atomic: a load parses into a copy of the catalog and swaps it
 * in only on success. Each load has a generation number; a slot remembers
 * the generation and line that set it, which is how "a suffix listed twice
 * in one file is an error, a later file overrides" is decided.
 *
 * Invariants: every slot's app < napps; every app has a non-empty category;
 * suffixes are valid lowercase host names of 2..127 labels, <= 253 bytes.
 */
#include <v6mon/apps.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify/csv.h"
#include "core/errbuf.h"
#include "util/hash.h"
#include "util/strutil.h"

/* Generated from data/apps.csv by cmake/embed_file.cmake. */
extern const char v6m_builtin_apps_csv[];
extern const unsigned long v6m_builtin_apps_csv_len;

#define APPS_NAME_MAX 63        /* bytes of an app name */
#define APPS_CAT_MAX 31         /* bytes of a category */
#define APPS_NDPI_MAX 63        /* bytes of an nDPI protocol name */
#define APPS_DOMAIN_MAX 253
#define APPS_LABEL_MAX 63
#define APPS_MAX 65536          /* apps in one catalog */
#define APPS_FILE_MAX (64u << 20)
#define APPS_POOL_MAX 0xfffffff0u
#define SFX_SEED 0x6170707373756666ULL
#define KEY_SEED 0x6170706b65797321ULL

struct app {
    uint32_t name_off;  /* display name as first written */
    uint32_t cat_off;
    uint32_t gen;       /* load that defined the app (or last set its category) */
    uint32_t line;
};

struct slot {
    uint64_t h;
    uint32_t off;       /* key in the pool, lowercase */
    uint16_t len;
    uint8_t used;
    uint8_t labels;     /* suffix table: number of labels */
    int32_t app;
    uint32_t gen;       /* load and line that set app */
    uint32_t line;
};

struct stab {
    struct slot *slots;
    size_t mask;        /* slots - 1; 0 with slots NULL = empty */
    size_t count;
};

struct v6m_apps {
    char *pool;
    size_t pool_len, pool_cap;
    struct app *apps;
    size_t napps, apps_cap;
    struct stab sfx, ndpi, names;
    unsigned max_labels;
    uint32_t gen;
};

/* ---- small helpers ----------------------------------------------------- */

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

static bool eq_lower(const char *stored_lower, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (stored_lower[i] != lower(s[i]))
            return false;
    return true;
}

/* Hash of a string of at most 255 bytes, ASCII-lowercased. */
static uint64_t key_hash(const char *s, size_t n)
{
    char buf[256];
    for (size_t i = 0; i < n; i++)
        buf[i] = lower(s[i]);
    return hash_bytes(buf, n, KEY_SEED);
}

static inline uint64_t label_hash(const char *lbl_lower, size_t n, uint64_t h)
{
    return hash_bytes(lbl_lower, n, h ^ 0x2e2e2e2e2e2e2e2eULL);
}

/* Label-wise hash of a lowercase suffix (see the top comment). */
static uint64_t suffix_hash(const char *s, size_t n, unsigned *labels)
{
    uint64_t h = SFX_SEED;
    size_t end = n;
    unsigned k = 0;
    for (;;) {
        size_t start = end;
        while (start > 0 && s[start - 1] != '.')
            start--;
        h = label_hash(s + start, end - start, h);
        k++;
        if (start == 0)
            break;
        end = start - 1;
    }
    *labels = k;
    return h;
}

/* ---- hash tables -------------------------------------------------------- */

static const struct slot *stab_find(const struct stab *t, const char *pool, uint64_t h,
                                    const char *key, size_t len)
{
    if (!t->slots)
        return NULL;
    size_t pos = (size_t)h & t->mask;
    for (;;) {
        const struct slot *s = &t->slots[pos];
        if (!s->used)
            return NULL;
        if (s->h == h && s->len == len && eq_lower(pool + s->off, key, len))
            return s;
        pos = (pos + 1) & t->mask;
    }
}

static bool stab_grow(struct stab *t)
{
    size_t ncap = t->slots ? (t->mask + 1) * 2 : 64;
    struct slot *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return false;
    if (t->slots) {
        for (size_t i = 0; i <= t->mask; i++) {
            if (!t->slots[i].used)
                continue;
            size_t pos = (size_t)t->slots[i].h & (ncap - 1);
            while (ns[pos].used)
                pos = (pos + 1) & (ncap - 1);
            ns[pos] = t->slots[i];
        }
        free(t->slots);
    }
    t->slots = ns;
    t->mask = ncap - 1;
    return true;
}

/* Insert a key known to be absent. NULL when out of memory. */
static struct slot *stab_add(struct stab *t, uint64_t h, uint32_t off, size_t len)
{
    if (!t->slots || (t->count + 1) * 2 > t->mask + 1)
        if (!stab_grow(t))
            return NULL;
    size_t pos = (size_t)h & t->mask;
    while (t->slots[pos].used)
        pos = (pos + 1) & t->mask;
    struct slot *s = &t->slots[pos];
    memset(s, 0, sizeof(*s));
    s->h = h;
    s->off = off;
    s->len = (uint16_t)len;
    s->used = 1;
    t->count++;
    return s;
}

static bool stab_copy(struct stab *dst, const struct stab *src)
{
    *dst = *src;
    if (!src->slots)
        return true;
    dst->slots = malloc((src->mask + 1) * sizeof(*dst->slots));
    if (!dst->slots)
        return false;
    memcpy(dst->slots, src->slots, (src->mask + 1) * sizeof(*dst->slots));
    return true;
}

/* ---- catalog object ----------------------------------------------------- */

v6m_apps *v6m_apps_new(void)
{
    return calloc(1, sizeof(v6m_apps));
}

void v6m_apps_free(v6m_apps *a)
{
    if (!a)
        return;
    free(a->pool);
    free(a->apps);
    free(a->sfx.slots);
    free(a->ndpi.slots);
    free(a->names.slots);
    free(a);
}

static v6m_apps *apps_clone(const v6m_apps *a)
{
    v6m_apps *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->max_labels = a->max_labels;
    c->gen = a->gen;
    bool ok = true;
    if (a->pool_cap) {
        c->pool = malloc(a->pool_cap);
        ok = c->pool != NULL;
        if (ok) {
            memcpy(c->pool, a->pool, a->pool_len);
            c->pool_len = a->pool_len;
            c->pool_cap = a->pool_cap;
        }
    }
    if (ok && a->apps_cap) {
        c->apps = malloc(a->apps_cap * sizeof(*c->apps));
        ok = c->apps != NULL;
        if (ok) {
            memcpy(c->apps, a->apps, a->napps * sizeof(*c->apps));
            c->napps = a->napps;
            c->apps_cap = a->apps_cap;
        }
    }
    /* stab_copy leaves dst's slots NULL on failure; zero first so free is safe */
    if (ok && !stab_copy(&c->sfx, &a->sfx))
        ok = false, c->sfx.slots = NULL;
    if (ok && !stab_copy(&c->ndpi, &a->ndpi))
        ok = false, c->ndpi.slots = NULL;
    if (ok && !stab_copy(&c->names, &a->names))
        ok = false, c->names.slots = NULL;
    if (!ok) {
        v6m_apps_free(c);
        return NULL;
    }
    return c;
}

size_t v6m_apps_count(const v6m_apps *a)
{
    return a ? a->napps : 0;
}

const char *v6m_apps_name(const v6m_apps *a, size_t id)
{
    if (!a || id >= a->napps)
        return NULL;
    return a->pool + a->apps[id].name_off;
}

const char *v6m_apps_category(const v6m_apps *a, size_t id)
{
    if (!a || id >= a->napps)
        return NULL;
    return a->pool + a->apps[id].cat_off;
}

int v6m_apps_match(const v6m_apps *a, const char *host, size_t hostlen)
{
    if (!a || !host || !a->sfx.count)
        return -1;
    if (hostlen && host[hostlen - 1] == '.')
        hostlen--;
    if (hostlen == 0 || hostlen > APPS_DOMAIN_MAX)
        return -1;
    uint64_t h = SFX_SEED;
    size_t end = hostlen;
    unsigned labels = 0;
    int best = -1;
    char lbl[APPS_LABEL_MAX];
    for (;;) {
        size_t start = end;
        while (start > 0 && host[start - 1] != '.')
            start--;
        size_t n = end - start;
        if (n == 0 || n > APPS_LABEL_MAX)
            break; /* empty or oversized label: no stored suffix can continue */
        for (size_t i = 0; i < n; i++)
            lbl[i] = lower(host[start + i]);
        h = label_hash(lbl, n, h);
        if (++labels > a->max_labels)
            break;
        const struct slot *s = stab_find(&a->sfx, a->pool, h, host + start, hostlen - start);
        if (s)
            best = s->app;
        if (start == 0)
            break;
        end = start - 1;
    }
    return best;
}

static int find_key(const v6m_apps *a, const struct stab *t, const char *key, size_t max)
{
    if (!a || !key)
        return -1;
    size_t n = strnlen(key, max + 1);
    if (n == 0 || n > max)
        return -1;
    const struct slot *s = stab_find(t, a->pool, key_hash(key, n), key, n);
    return s ? s->app : -1;
}

int v6m_apps_match_ndpi(const v6m_apps *a, const char *ndpi_proto_name)
{
    return a ? find_key(a, &a->ndpi, ndpi_proto_name, APPS_NDPI_MAX) : -1;
}

int v6m_apps_find(const v6m_apps *a, const char *name)
{
    return a ? find_key(a, &a->names, name, APPS_NAME_MAX) : -1;
}

/* ---- parser ------------------------------------------------------------- */

struct parser {
    v6m_apps *c;        /* the copy being extended */
    const char *name;
    unsigned line;
    struct errbuf err;
};

__attribute__((format(printf, 2, 3))) static int perr(struct parser *p, const char *fmt,
                                                       ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    errbuf_set(&p->err, V6M_ERR_CONFIG, "%s:%u: %s", p->name, p->line, msg);
    return -1;
}

static int oom(struct parser *p)
{
    errbuf_set(&p->err, V6M_ERR_NOMEM, "%s:%u: out of memory", p->name, p->line);
    return -1;
}

/* Copy n bytes (+ NUL) into the pool, lowercased when asked. -1 on error. */
static int64_t pool_add(struct parser *p, const char *s, size_t n, bool lowercase)
{
    v6m_apps *c = p->c;
    if (c->pool_len + n + 1 > APPS_POOL_MAX)
        return perr(p, "catalog too large"), -1;
    if (c->pool_len + n + 1 > c->pool_cap) {
        size_t nc = c->pool_cap ? c->pool_cap : 4096;
        while (nc < c->pool_len + n + 1)
            nc *= 2;
        char *np = realloc(c->pool, nc);
        if (!np)
            return oom(p), -1;
        c->pool = np;
        c->pool_cap = nc;
    }
    uint32_t off = (uint32_t)c->pool_len;
    for (size_t i = 0; i < n; i++)
        c->pool[off + i] = lowercase ? lower(s[i]) : s[i];
    c->pool[off + n] = '\0';
    c->pool_len += n + 1;
    return off;
}

static bool valid_category(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > APPS_CAT_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}

/* Check a lowercase suffix; NULL when fine, else why not. */
static const char *domain_problem(const char *d, size_t n, unsigned *labels)
{
    if (n > APPS_DOMAIN_MAX)
        return "longer than 253 characters";
    unsigned k = 0;
    size_t start = 0;
    bool last_numeric = true;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || d[i] == '.') {
            size_t len = i - start;
            if (len == 0)
                return "empty label (no leading, trailing or double dots; "
                       "write 'qq.com', not '.qq.com')";
            if (len > APPS_LABEL_MAX)
                return "a label is longer than 63 characters";
            k++;
            if (i < n)
                last_numeric = true;
            start = i + 1;
            continue;
        }
        char ch = d[i];
        if (ch == '*')
            return "wildcards are not needed: a suffix already matches every name "
                   "below it";
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
              ch == '_'))
            return "only letters, digits, '-' and '_' are allowed (write "
                   "internationalised names in their xn-- form)";
        if (!(ch >= '0' && ch <= '9'))
            last_numeric = false;
    }
    if (k < 2)
        return "a suffix needs at least two labels, e.g. qq.com";
    if (last_numeric)
        return "looks like an IP address, not a domain";
    *labels = k;
    return NULL;
}

static bool valid_ndpi(const char *s, size_t n)
{
    if (n == 0 || n > APPS_NDPI_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = (uint8_t)s[i];
        if (b <= 0x20 || b >= 0x7f || b == '"' || b == ',')
            return false;
    }
    return true;
}

static const char *app_name(const v6m_apps *c, int id)
{
    return c->pool + c->apps[id].name_off;
}

/* App id for a row's name, creating it (category required then). */
static int row_app(struct parser *p, const char *name, const char *cat)
{
    v6m_apps *c = p->c;
    size_t n = strlen(name);
    if (n == 0)
        return perr(p, "empty app name");
    if (n > APPS_NAME_MAX || !csv_valid_text(name, n))
        return perr(p, "invalid app name '%.80s' (1 to %d bytes of UTF-8 text without "
                       "control characters)", name, APPS_NAME_MAX);
    if (cat[0] && !valid_category(cat))
        return perr(p, "invalid category '%.40s' (lowercase letters, digits and '-', at "
                       "most %d characters)", cat, APPS_CAT_MAX);
    uint64_t h = key_hash(name, n);
    const struct slot *s = stab_find(&c->names, c->pool, h, name, n);
    if (s) {
        struct app *ap = &c->apps[s->app];
        if (cat[0] && strcmp(cat, c->pool + ap->cat_off) != 0) {
            if (ap->gen == c->gen)
                return perr(p, "app '%s' has category '%s' on line %u, here '%s'",
                            app_name(c, s->app), c->pool + ap->cat_off, ap->line, cat);
            int64_t off = pool_add(p, cat, strlen(cat), false);
            if (off < 0)
                return -1;
            ap->cat_off = (uint32_t)off;
            ap->gen = c->gen;
            ap->line = p->line;
        }
        return s->app;
    }
    if (!cat[0])
        return perr(p, "app '%s' needs a category (first row of an app)", name);
    if (c->napps >= APPS_MAX)
        return perr(p, "too many apps (at most %d)", APPS_MAX);
    if (c->napps == c->apps_cap) {
        size_t nc = c->apps_cap ? c->apps_cap * 2 : 64;
        struct app *na = realloc(c->apps, nc * sizeof(*na));
        if (!na)
            return oom(p);
        c->apps = na;
        c->apps_cap = nc;
    }
    int64_t name_off = pool_add(p, name, n, false);
    int64_t key_off = name_off < 0 ? -1 : pool_add(p, name, n, true);
    int64_t cat_off = key_off < 0 ? -1 : pool_add(p, cat, strlen(cat), false);
    if (cat_off < 0)
        return -1;
    struct slot *ns = stab_add(&c->names, h, (uint32_t)key_off, n);
    if (!ns)
        return oom(p);
    int id = (int)c->napps++;
    ns->app = id;
    ns->gen = c->gen;
    ns->line = p->line;
    c->apps[id] = (struct app){(uint32_t)name_off, (uint32_t)cat_off, c->gen, p->line};
    return id;
}

/* Give key (suffix or nDPI name) to app id, following the override rules. */
static int claim(struct parser *p, struct stab *t, const char *what, const char *key,
                 size_t n, uint64_t h, int id)
{
    v6m_apps *c = p->c;
    struct slot *s = (struct slot *)stab_find(t, c->pool, h, key, n);
    if (s) {
        if (s->gen == c->gen) {
            if (s->app == id)
                return perr(p, "%s '%s' is listed twice for %s (first on line %u)", what,
                            key, app_name(c, id), s->line);
            return perr(p, "%s '%s' is listed for both %s and %s (first on line %u)",
                        what, key, app_name(c, s->app), app_name(c, id), s->line);
        }
        s->app = id; /* a later file takes it over (or repeats it) */
        s->gen = c->gen;
        s->line = p->line;
        return 0;
    }
    int64_t off = pool_add(p, key, n, true);
    if (off < 0)
        return -1;
    s = stab_add(t, h, (uint32_t)off, n);
    if (!s)
        return oom(p);
    s->app = id;
    s->gen = c->gen;
    s->line = p->line;
    return 0;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int parse_row(struct parser *p, const struct csv_record *rec)
{
    v6m_apps *c = p->c;
    int id = row_app(p, rec->field[0], rec->field[1]);
    if (id < 0)
        return -1;
    /* domains */
    const char *s = rec->field[2];
    while (*s) {
        while (is_space(*s))
            s++;
        const char *w = s;
        while (*s && !is_space(*s))
            s++;
        size_t n = (size_t)(s - w);
        if (!n)
            continue;
        char d[APPS_DOMAIN_MAX + 2];
        if (n > APPS_DOMAIN_MAX + 1)
            return perr(p, "invalid domain '%.60s...' (longer than 253 characters)", w);
        for (size_t i = 0; i < n; i++)
            d[i] = lower(w[i]);
        if (n > 1 && d[n - 1] == '.')
            n--; /* fully qualified form "qq.com." */
        d[n] = '\0';
        unsigned labels = 0;
        const char *why = domain_problem(d, n, &labels);
        if (why)
            return perr(p, "invalid domain '%.*s' (%s)", (int)(s - w), w, why);
        if (claim(p, &c->sfx, "domain", d, n, suffix_hash(d, n, &labels), id) < 0)
            return -1;
        /* labels <= 127 as n <= 253 */
        if (labels > c->max_labels)
            c->max_labels = labels;
    }
    /* nDPI protocol names */
    s = rec->field[3];
    while (*s) {
        while (is_space(*s))
            s++;
        const char *w = s;
        while (*s && !is_space(*s))
            s++;
        size_t n = (size_t)(s - w);
        if (!n)
            continue;
        if (!valid_ndpi(w, n))
            return perr(p, "invalid nDPI protocol name '%.*s' (1 to %d printable "
                           "characters, no quotes or commas)",
                        (int)(n > 64 ? 64 : n), w, APPS_NDPI_MAX);
        char key[APPS_NDPI_MAX + 1];
        memcpy(key, w, n);
        key[n] = '\0';
        if (claim(p, &c->ndpi, "nDPI protocol", key, n, key_hash(key, n), id) < 0)
            return -1;
    }
    return 0;
}

static const char *const header[4] = {"app", "category", "domains", "ndpi"};

static int parse_all(struct parser *p, const char *text, size_t len)
{
    struct csv_reader r;
    struct csv_record rec;
    char msg[300];
    unsigned eline = 0;
    csv_init(&r, text, len);
    int rc = 0;
    bool seen_header = false;
    for (;;) {
        int k = csv_next(&r, &rec, msg, sizeof(msg), &eline);
        if (k < 0) {
            p->line = eline;
            rc = perr(p, "%s", msg);
            break;
        }
        if (k == 0)
            break;
        p->line = rec.line;
        if (!seen_header) {
            bool ok = rec.nfields == 4;
            for (unsigned i = 0; ok && i < 4; i++)
                ok = strcasecmp(rec.field[i], header[i]) == 0;
            if (!ok) {
                rc = perr(p, "expected the header line 'app,category,domains,ndpi'");
                break;
            }
            seen_header = true;
            continue;
        }
        if (rec.nfields != 4) {
            rc = perr(p, "expected 4 columns, got %u", rec.nfields);
            break;
        }
        if ((rc = parse_row(p, &rec)) < 0)
            break;
    }
    csv_release(&r);
    if (rc == 0 && !seen_header) {
        p->line = 1;
        rc = perr(p, "empty catalog (expected the header line "
                     "'app,category,domains,ndpi')");
    }
    return rc;
}

v6m_err v6m_apps_parse(v6m_apps *a, const char *text, size_t len, const char *name,
                       char *err, size_t errlen)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    p.name = name ? name : "<apps>";
    if (err && errlen)
        err[0] = '\0';
    if (!a || (!text && len)) {
        errbuf_set(&p.err, V6M_ERR_INVALID_ARG, "no catalog or no text");
        errbuf_export(&p.err, err, errlen);
        return V6M_ERR_INVALID_ARG;
    }
    if (a->gen == UINT32_MAX) {
        errbuf_set(&p.err, V6M_ERR_INVALID_ARG, "too many loads into one catalog");
        errbuf_export(&p.err, err, errlen);
        return V6M_ERR_INVALID_ARG;
    }
    p.c = apps_clone(a);
    if (!p.c) {
        errbuf_set(&p.err, V6M_ERR_NOMEM, "out of memory");
        errbuf_export(&p.err, err, errlen);
        return V6M_ERR_NOMEM;
    }
    p.c->gen = a->gen + 1;
    if (parse_all(&p, text, len) < 0) {
        v6m_apps_free(p.c);
        errbuf_export(&p.err, err, errlen);
        return p.err.code ? p.err.code : V6M_ERR_CONFIG;
    }
    v6m_apps tmp = *a; /* swap contents, free the old ones */
    *a = *p.c;
    *p.c = tmp;
    v6m_apps_free(p.c);
    return V6M_OK;
}

v6m_err v6m_apps_load_builtin(v6m_apps *a, char *err, size_t errlen)
{
    return v6m_apps_parse(a, v6m_builtin_apps_csv, (size_t)v6m_builtin_apps_csv_len,
                          "builtin apps.csv", err, errlen);
}

v6m_err v6m_apps_load_file(v6m_apps *a, const char *path, char *err, size_t errlen)
{
    struct errbuf e;
    errbuf_clear(&e);
    char *buf;
    size_t n;
    v6m_err rc = csv_read_file(path, APPS_FILE_MAX, &buf, &n, &e);
    if (rc != V6M_OK) {
        errbuf_export(&e, err, errlen);
        return rc;
    }
    rc = v6m_apps_parse(a, buf, n, path, err, errlen);
    free(buf);
    return rc;
}

static int cmp_cstr(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

size_t v6m_apps_domains(const v6m_apps *a, size_t id, char **out, size_t max)
{
    size_t n = 0;
    if (!a || !a->sfx.slots)
        return 0;
    for (size_t i = 0; i <= a->sfx.mask; i++) {
        const struct slot *sl = &a->sfx.slots[i];
        if (!sl->used || sl->app != (int32_t)id)
            continue;
        if (n < max) {
            char *d = malloc((size_t)sl->len + 1);
            if (!d)
                continue;
            memcpy(d, a->pool + sl->off, sl->len);
            d[sl->len] = '\0';
            out[n] = d;
        }
        n++;
    }
    qsort(out, n < max ? n : max, sizeof *out, cmp_cstr);
    return n;
}
