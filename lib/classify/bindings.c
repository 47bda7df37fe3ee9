/*
 * classify/bindings.c - subscriber binding file (include/v6mon/bindings.h,
 * format in docs/bindings.md).
 *
 * Parsing collects (prefix, subscriber, line) entries and the distinct
 * subscriber ids (a string pool plus an open-addressing index used only
 * while parsing), then builds one longest-prefix-match table per family
 * (classify/prefix.h: one hash probe per distinct prefix length, longest
 * first; a BNG export typically has two or three lengths, e.g. /32 for
 * IPv4 and /56 + /64 for IPv6). Inserting a prefix that is already present
 * for another subscriber is the "bound to both" error.
 *
 * Invariants: every slot's value < count; the table is immutable after
 * parse, so lookups are thread-safe.
 */
#include <v6mon/bindings.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify/csv.h"
#include "classify/prefix.h"
#include "core/errbuf.h"
#include "util/hash.h"
#include "util/strutil.h"

#define BIND_ID_MAX 255            /* bytes of a subscriber id */
#define BIND_SUBS_MAX (1u << 26)
#define BIND_PFX_MAX (1u << 26)
#define BIND_FILE_MAX ((size_t)1 << 30)
#define BIND_SEED 0x62696e6473756273ULL

struct v6m_bindings {
    char *pool;            /* subscriber ids, NUL-terminated */
    uint32_t *id_off;      /* [idx] -> offset in pool */
    size_t count;
    struct pfxtab v4, v6;
};

struct entry {
    uint8_t addr[16];
    uint8_t len;
    uint8_t family;
    uint32_t sub;
    uint32_t line;
};

struct parser {
    const char *name;
    unsigned line;
    struct errbuf err;
    v6m_bindings *b;
    size_t pool_len, pool_cap, ids_cap;
    uint32_t *idx;         /* open addressing: subscriber index + 1, 0 = empty */
    size_t idx_mask;
    struct entry *e;
    size_t ne, cape;
    size_t nfam[2];
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

void v6m_bindings_free(v6m_bindings *b)
{
    if (!b)
        return;
    free(b->pool);
    free(b->id_off);
    pfxtab_release(&b->v4);
    pfxtab_release(&b->v6);
    free(b);
}

size_t v6m_bindings_count(const v6m_bindings *b)
{
    return b ? b->count : 0;
}

const char *v6m_bindings_id(const v6m_bindings *b, size_t idx)
{
    if (!b || idx >= b->count)
        return NULL;
    return b->pool + b->id_off[idx];
}

long v6m_bindings_lookup(const v6m_bindings *b, uint8_t family, const uint8_t addr[16])
{
    if (!b || !addr)
        return -1;
    const struct pfx_slot *s;
    if (family == 1)
        s = pfxtab_lookup(&b->v4, addr);
    else if (family == 2)
        s = pfxtab_lookup(&b->v6, addr);
    else
        return -1;
    return s ? (long)s->value : -1;
}

/* ---- parser ------------------------------------------------------------- */

static bool idx_grow(struct parser *p)
{
    size_t ncap = p->idx ? (p->idx_mask + 1) * 2 : 1024;
    uint32_t *ni = calloc(ncap, sizeof(*ni));
    if (!ni)
        return false;
    for (size_t i = 0; p->idx && i <= p->idx_mask; i++) {
        uint32_t x = p->idx[i];
        if (!x)
            continue;
        const char *s = p->b->pool + p->b->id_off[x - 1];
        size_t pos = (size_t)hash_bytes(s, strlen(s), BIND_SEED) & (ncap - 1);
        while (ni[pos])
            pos = (pos + 1) & (ncap - 1);
        ni[pos] = x;
    }
    free(p->idx);
    p->idx = ni;
    p->idx_mask = ncap - 1;
    return true;
}

/* Index of subscriber id s, created on first sight; -1 on error. */
static long sub_index(struct parser *p, const char *s)
{
    v6m_bindings *b = p->b;
    size_t n = strlen(s);
    if (n == 0)
        return perr(p, "empty subscriber id");
    if (n > BIND_ID_MAX || !csv_valid_text(s, n))
        return perr(p, "invalid subscriber id '%.60s' (1 to %d bytes of UTF-8 text "
                       "without control characters)", s, BIND_ID_MAX);
    if (!p->idx || (b->count + 1) * 2 > p->idx_mask + 1)
        if (!idx_grow(p))
            return oom(p);
    size_t pos = (size_t)hash_bytes(s, n, BIND_SEED) & p->idx_mask;
    while (p->idx[pos]) {
        uint32_t x = p->idx[pos];
        if (strcmp(b->pool + b->id_off[x - 1], s) == 0)
            return (long)(x - 1);
        pos = (pos + 1) & p->idx_mask;
    }
    if (b->count >= BIND_SUBS_MAX)
        return perr(p, "too many subscribers (at most %u)", BIND_SUBS_MAX);
    if (p->pool_len + n + 1 > UINT32_MAX)
        return perr(p, "subscriber ids too large in total");
    if (p->pool_len + n + 1 > p->pool_cap) {
        size_t nc = p->pool_cap ? p->pool_cap : 4096;
        while (nc < p->pool_len + n + 1)
            nc *= 2;
        char *np = realloc(b->pool, nc);
        if (!np)
            return oom(p);
        b->pool = np;
        p->pool_cap = nc;
    }
    if (b->count == p->ids_cap) {
        size_t nc = p->ids_cap ? p->ids_cap * 2 : 256;
        uint32_t *no = realloc(b->id_off, nc * sizeof(*no));
        if (!no)
            return oom(p);
        b->id_off = no;
        p->ids_cap = nc;
    }
    memcpy(b->pool + p->pool_len, s, n + 1);
    b->id_off[b->count] = (uint32_t)p->pool_len;
    p->pool_len += n + 1;
    p->idx[pos] = (uint32_t)++b->count;
    return (long)(b->count - 1);
}

static void format_prefix(char *buf, size_t size, const uint8_t addr[16], unsigned family,
                          unsigned len)
{
    char a[INET6_ADDRSTRLEN];
    if (!inet_ntop(family == 1 ? AF_INET : AF_INET6, addr, a, sizeof(a)))
        a[0] = '\0';
    snprintf(buf, size, "%s/%u", a, len);
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static int add_prefixes(struct parser *p, const char *field, unsigned want, long sub)
{
    const char *col = want == 1 ? "ipv4" : "ipv6";
    const char *s = field;
    while (*s) {
        while (is_space(*s))
            s++;
        const char *w = s;
        while (*s && !is_space(*s))
            s++;
        size_t n = (size_t)(s - w);
        if (!n)
            continue;
        char tok[64];
        uint8_t addr[16], m[16];
        unsigned len = 0, family = 0;
        bool ok = n < sizeof(tok);
        if (ok) {
            memcpy(tok, w, n);
            tok[n] = '\0';
            ok = util_parse_prefix(tok, addr, &len, &family);
        }
        if (!ok || family != want)
            return perr(p, "'%.*s' in the %s column is not an %s address or prefix "
                           "(e.g. %s)",
                        (int)(n > 60 ? 60 : n), w, col, want == 1 ? "IPv4" : "IPv6",
                        want == 1 ? "10.1.2.3 or 10.1.2.0/24" : "2001:db8:1:2::/64");
        pfx_mask(m, addr, len);
        if (memcmp(m, addr, 16) != 0) {
            char fix[64];
            format_prefix(fix, sizeof(fix), m, family, len);
            return perr(p, "prefix '%s' has host bits set (did you mean %s?)", tok, fix);
        }
        if (p->ne >= BIND_PFX_MAX)
            return perr(p, "too many prefixes (at most %u)", BIND_PFX_MAX);
        if (p->ne == p->cape) {
            size_t nc = p->cape ? p->cape * 2 : 1024;
            struct entry *ne = realloc(p->e, nc * sizeof(*ne));
            if (!ne)
                return oom(p);
            p->e = ne;
            p->cape = nc;
        }
        struct entry *e = &p->e[p->ne++];
        memcpy(e->addr, m, 16);
        e->len = (uint8_t)len;
        e->family = (uint8_t)family;
        e->sub = (uint32_t)sub;
        e->line = p->line;
        p->nfam[family - 1]++;
    }
    return 0;
}

static int build(struct parser *p)
{
    v6m_bindings *b = p->b;
    if (!pfxtab_init(&b->v4, 1, p->nfam[0]) || !pfxtab_init(&b->v6, 2, p->nfam[1]))
        return oom(p);
    for (size_t i = 0; i < p->ne; i++) {
        const struct entry *e = &p->e[i];
        bool added;
        const struct pfx_slot *sl = pfxtab_insert(e->family == 1 ? &b->v4 : &b->v6, e->addr,
                                                  e->len, e->sub, e->line, &added);
        if (!sl) /* cannot happen: sized from the counts */
            return oom(p);
        if (!added && sl->value != e->sub) {
            char pf[64];
            format_prefix(pf, sizeof(pf), e->addr, e->family, e->len);
            p->line = e->line;
            return perr(p, "prefix %s is bound to both %s (line %u) and %s", pf,
                        v6m_bindings_id(b, sl->value), sl->line, v6m_bindings_id(b, e->sub));
        }
    }
    return 0;
}

static const char *const header[3] = {"subscriber", "ipv4", "ipv6"};

static int parse_all(struct parser *p, const char *text, size_t len)
{
    struct csv_reader r;
    struct csv_record rec;
    char msg[300];
    unsigned eline = 0;
    bool seen_header = false;
    int rc = 0;
    csv_init(&r, text, len);
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
            bool ok = rec.nfields == 3;
            for (unsigned i = 0; ok && i < 3; i++)
                ok = strcasecmp(rec.field[i], header[i]) == 0;
            if (!ok) {
                rc = perr(p, "expected the header line 'subscriber,ipv4,ipv6'");
                break;
            }
            seen_header = true;
            continue;
        }
        if (rec.nfields != 3) {
            rc = perr(p, "expected 3 columns, got %u", rec.nfields);
            break;
        }
        long sub = sub_index(p, rec.field[0]);
        if (sub < 0 || add_prefixes(p, rec.field[1], 1, sub) < 0 ||
            add_prefixes(p, rec.field[2], 2, sub) < 0) {
            rc = -1;
            break;
        }
    }
    csv_release(&r);
    if (rc == 0 && !seen_header) {
        p->line = 1;
        rc = perr(p, "empty file (expected the header line 'subscriber,ipv4,ipv6')");
    }
    return rc;
}

v6m_err v6m_bindings_parse(const char *text, size_t len, const char *name,
                           v6m_bindings **out, char *err, size_t errlen)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    p.name = name ? name : "<bindings>";
    if (err && errlen)
        err[0] = '\0';
    if (!out || (!text && len)) {
        errbuf_set(&p.err, V6M_ERR_INVALID_ARG, "no output or no text");
        errbuf_export(&p.err, err, errlen);
        return V6M_ERR_INVALID_ARG;
    }
    *out = NULL;
    p.b = calloc(1, sizeof(*p.b));
    if (!p.b) {
        errbuf_set(&p.err, V6M_ERR_NOMEM, "out of memory");
        errbuf_export(&p.err, err, errlen);
        return V6M_ERR_NOMEM;
    }
    int rc = parse_all(&p, text, len);
    if (rc == 0)
        rc = build(&p);
    free(p.idx);
    free(p.e);
    if (rc != 0) {
        v6m_bindings_free(p.b);
        errbuf_export(&p.err, err, errlen);
        return p.err.code ? p.err.code : V6M_ERR_CONFIG;
    }
    *out = p.b;
    return V6M_OK;
}

v6m_err v6m_bindings_load(const char *path, v6m_bindings **out, char *err, size_t errlen)
{
    struct errbuf e;
    errbuf_clear(&e);
    if (out)
        *out = NULL;
    char *buf;
    size_t n;
    v6m_err rc = csv_read_file(path, BIND_FILE_MAX, &buf, &n, &e);
    if (rc != V6M_OK) {
        errbuf_export(&e, err, errlen);
        return rc;
    }
    rc = v6m_bindings_parse(buf, n, path, out, err, errlen);
    free(buf);
    return rc;
}
