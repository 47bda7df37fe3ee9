/*
 * classify/segments.c - segment and direction of a decoded packet
 * (include/v6mon/segments.h; file format and precedence in docs/segments.md).
 *
 * Two shapes of table:
 *   - the built-in default (mobile=0, metro=1, other=2): classify is two
 *     branches on pkt->encap/gtp_user and never looks at anything else;
 *   - a table parsed from a segments file: an ordered list of rules, first
 *     match wins, then the default segment.
 *
 * Precedence (what the operator must be able to predict):
 *   1. lines are tried in file order; the first rule that matches decides;
 *   2. all prefix lines of one field (outer-src, outer-dst, inner-src,
 *      inner-dst) form ONE rule placed at the position of the first of them;
 *      inside it the longest matching prefix decides;
 *   3. no rule matches -> the "default" segment ("other" unless set).
 * Direction: innermost source in a subscriber prefix -> up, else innermost
 * destination in one -> down, else unknown (source wins when both are
 * subscribers: the packet is counted as sent by a subscriber).
 *
 * Prefix lookup: per (field, family) one longest-prefix-match hash table
 * (classify/prefix.h: a hash of (masked address, length) probed once per
 * distinct length, longest first), built once after parsing.
 *
 * Limits: V6M_SEGMENTS_MAX segments, SEG_RULES_MAX non-prefix rules,
 * SEG_PFX_MAX prefixes (segment and subscriber ones together), tokens of at
 * most SEG_TOKEN_MAX-1 bytes, files of at most SEG_FILE_MAX bytes.
 *
 * Invariants: every rule's segment id < nseg; "other" always exists; the
 * table is immutable after parse/new_default, so classify is safe to call
 * from several threads.
 */
#include <v6mon/segments.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/prefix.h"
#include "core/errbuf.h"
#include "util/cursor.h"
#include "util/strutil.h"

#define SEG_NAME_MAX 32          /* bytes including NUL */
#define SEG_RULES_MAX 4096
#define SEG_PFX_MAX (1u << 20)
#define SEG_TOKEN_MAX 128
#define SEG_FILE_MAX (64u << 20)

enum rule_kind {
    R_GTP = 0,
    R_PPPOE,
    R_VLAN_ANY,
    R_VLAN_OUTER,
    R_VLAN_INNER,
    R_MPLS,
    R_IFACE,
    R_PFX,
};

/* Prefix fields; FIELD_SUBS is the subscriber set. */
enum pfx_field {
    F_OUTER_SRC = 0,
    F_OUTER_DST,
    F_INNER_SRC,
    F_INNER_DST,
    F_SUBS,
    F__COUNT
};
static const char *const field_names[F__COUNT] = {
    "outer-src", "outer-dst", "inner-src", "inner-dst", "subscribers"};

struct rule {
    uint8_t kind;   /* enum rule_kind */
    uint8_t field;  /* R_PFX: enum pfx_field */
    uint16_t seg;
    uint32_t lo, hi; /* VLAN / MPLS inclusive range */
    char *ifname;   /* R_IFACE, owned */
};

struct v6m_segments {
    bool builtin;
    bool has_subs;
    uint16_t nseg;
    uint16_t default_seg;
    char names[V6M_SEGMENTS_MAX][SEG_NAME_MAX];
    size_t nrules;
    struct rule *rules;
    struct pfxtab pfx[F__COUNT][2]; /* [field][0 = IPv4, 1 = IPv6] */
};

const char *v6m_direction_name(unsigned dir)
{
    switch (dir) {
    case V6M_DIR_UNKNOWN: return "unknown";
    case V6M_DIR_UP: return "up";
    case V6M_DIR_DOWN: return "down";
    default: return NULL;
    }
}

v6m_segments *v6m_segments_new_default(void)
{
    v6m_segments *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->builtin = true;
    s->nseg = 3;
    util_strlcpy(s->names[0], "mobile", SEG_NAME_MAX);
    util_strlcpy(s->names[1], "metro", SEG_NAME_MAX);
    util_strlcpy(s->names[2], "other", SEG_NAME_MAX);
    s->default_seg = 2;
    return s;
}

void v6m_segments_free(v6m_segments *seg)
{
    if (!seg)
        return;
    for (size_t i = 0; i < seg->nrules; i++)
        free(seg->rules[i].ifname);
    free(seg->rules);
    for (int f = 0; f < F__COUNT; f++)
        for (int k = 0; k < 2; k++)
            pfxtab_release(&seg->pfx[f][k]);
    free(seg);
}

size_t v6m_segments_count(const v6m_segments *seg)
{
    return seg ? seg->nseg : 0;
}

const char *v6m_segments_name(const v6m_segments *seg, size_t id)
{
    if (!seg || id >= seg->nseg)
        return NULL;
    return seg->names[id];
}

/* ---- parser ----------------------------------------------------------- */

struct pfx_entry {
    uint8_t addr[16];
    uint8_t len;
    uint8_t family; /* 1 / 2 */
    uint8_t field;
    uint16_t seg;
    uint32_t line;
};

struct parser {
    const char *name;
    unsigned line;
    struct errbuf err;
    v6m_segments *s;
    struct pfx_entry *pe;
    size_t npe, cappe;
    size_t rules_cap;
    int pfx_rule_at[F_SUBS]; /* rule index of each field's prefix rule, -1 */
    unsigned default_line;
    unsigned seg_line[V6M_SEGMENTS_MAX];
};

#define PERR(P, ...) perr_at((P), __VA_ARGS__)

__attribute__((format(printf, 2, 3))) static v6m_err perr_at(struct parser *p,
                                                              const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return errbuf_set(&p->err, V6M_ERR_CONFIG, "%s:%u: %s", p->name, p->line, msg);
}

static bool is_sep(uint8_t c)
{
    return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\v' || c == '\f';
}

/* Next token of the line into tok (NUL-terminated). Returns 1 token,
 * 0 end of line (or comment), -1 error already set. */
static int next_token(struct parser *p, struct cursor *c, char tok[SEG_TOKEN_MAX])
{
    const uint8_t *b;
    while ((b = cursor_peek(c, 1)) && is_sep(*b))
        cursor_skip(c, 1);
    c->short_read = false;
    if (!b || *b == '#')
        return 0;
    size_t n = 0;
    while ((b = cursor_peek(c, 1)) && !is_sep(*b) && *b != '#') {
        if (*b == '\0') {
            PERR(p, "unexpected NUL byte");
            return -1;
        }
        if (n + 1 >= SEG_TOKEN_MAX) {
            PERR(p, "token too long (at most %d characters)", SEG_TOKEN_MAX - 1);
            return -1;
        }
        tok[n++] = (char)*b;
        cursor_skip(c, 1);
    }
    c->short_read = false;
    tok[n] = '\0';
    return 1;
}

static bool valid_seg_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len >= SEG_NAME_MAX)
        return false;
    if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z')))
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = n[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
            return false;
    }
    return true;
}

/* Segment id by name, creating it. -1 on error (set). */
static int seg_id(struct parser *p, const char *name)
{
    v6m_segments *s = p->s;
    for (unsigned i = 0; i < s->nseg; i++)
        if (strcmp(s->names[i], name) == 0)
            return (int)i;
    if (!valid_seg_name(name)) {
        PERR(p, "invalid segment name '%s' (letters, digits, '_' and '-', "
                "starting with a letter, at most %d characters)",
             name, SEG_NAME_MAX - 1);
        return -1;
    }
    /* Keep one slot for "other", which must always exist. */
    bool other_ok = strcmp(name, "other") == 0;
    for (unsigned i = 0; i < s->nseg && !other_ok; i++)
        other_ok = strcmp(s->names[i], "other") == 0;
    if (s->nseg >= V6M_SEGMENTS_MAX - (other_ok ? 0 : 1)) {
        PERR(p, "too many segments (at most %d, including 'other')", V6M_SEGMENTS_MAX);
        return -1;
    }
    util_strlcpy(s->names[s->nseg], name, SEG_NAME_MAX);
    p->seg_line[s->nseg] = p->line;
    return s->nseg++;
}

static struct rule *rule_add(struct parser *p)
{
    v6m_segments *s = p->s;
    if (s->nrules >= SEG_RULES_MAX) {
        PERR(p, "too many rules (at most %d)", SEG_RULES_MAX);
        return NULL;
    }
    if (s->nrules == p->rules_cap) {
        size_t nc = p->rules_cap ? p->rules_cap * 2 : 16;
        struct rule *r = realloc(s->rules, nc * sizeof(*r));
        if (!r) {
            errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory");
            return NULL;
        }
        s->rules = r;
        p->rules_cap = nc;
    }
    struct rule *r = &s->rules[s->nrules++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* "N" or "N-M" within [0, max]. */
static bool parse_range(const char *tok, uint32_t max, uint32_t *lo, uint32_t *hi)
{
    char a[SEG_TOKEN_MAX];
    const char *dash = strchr(tok, '-');
    uint64_t x, y;
    if (dash) {
        size_t n = (size_t)(dash - tok);
        memcpy(a, tok, n);
        a[n] = '\0';
        if (!util_parse_u64(a, &x) || !util_parse_u64(dash + 1, &y))
            return false;
    } else {
        if (!util_parse_u64(tok, &x))
            return false;
        y = x;
    }
    if (x > max || y > max || x > y)
        return false;
    *lo = (uint32_t)x;
    *hi = (uint32_t)y;
    return true;
}

static void format_prefix(char *buf, size_t size, const uint8_t addr[16],
                          unsigned family, unsigned len)
{
    char a[INET6_ADDRSTRLEN];
    if (!inet_ntop(family == 1 ? AF_INET : AF_INET6, addr, a, sizeof(a)))
        a[0] = '\0';
    snprintf(buf, size, "%s/%u", a, len);
}

static int pfx_add(struct parser *p, const char *tok, unsigned field, uint16_t seg)
{
    uint8_t addr[16], m[16];
    unsigned len, family;
    if (!util_parse_prefix(tok, addr, &len, &family)) {
        PERR(p, "invalid prefix '%s' (expected an IPv4 or IPv6 prefix such as "
                "10.0.0.0/8 or 2001:db8::/32)", tok);
        return -1;
    }
    pfx_mask(m, addr, len);
    if (memcmp(m, addr, 16) != 0) {
        char fix[64];
        format_prefix(fix, sizeof(fix), m, family, len);
        PERR(p, "prefix '%s' has host bits set (did you mean %s?)", tok, fix);
        return -1;
    }
    if (p->npe >= SEG_PFX_MAX) {
        PERR(p, "too many prefixes (at most %u)", SEG_PFX_MAX);
        return -1;
    }
    if (p->npe == p->cappe) {
        size_t nc = p->cappe ? p->cappe * 2 : 64;
        struct pfx_entry *e = realloc(p->pe, nc * sizeof(*e));
        if (!e) {
            errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory");
            return -1;
        }
        p->pe = e;
        p->cappe = nc;
    }
    struct pfx_entry *e = &p->pe[p->npe++];
    memcpy(e->addr, m, 16);
    e->len = (uint8_t)len;
    e->family = (uint8_t)family;
    e->field = (uint8_t)field;
    e->seg = seg;
    e->line = p->line;
    return 0;
}

#define MATCH_LIST "gtp, pppoe, vlan, outer-vlan, inner-vlan, mpls, outer-src, " \
                   "outer-dst, inner-src, inner-dst, interface"

static int parse_segment_line(struct parser *p, struct cursor *c)
{
    char tok[SEG_TOKEN_MAX], match[SEG_TOKEN_MAX];
    int r = next_token(p, c, tok);
    if (r < 0)
        return -1;
    if (r == 0) {
        PERR(p, "'segment' needs a name");
        return -1;
    }
    int id = seg_id(p, tok);
    if (id < 0)
        return -1;
    r = next_token(p, c, match);
    if (r <= 0)
        return r; /* declaration only: fixes the id order */

    int kind = -1, field = -1;
    if (strcmp(match, "gtp") == 0 || strcmp(match, "gtp-user") == 0)
        kind = R_GTP;
    else if (strcmp(match, "pppoe") == 0)
        kind = R_PPPOE;
    else if (strcmp(match, "vlan") == 0)
        kind = R_VLAN_ANY;
    else if (strcmp(match, "outer-vlan") == 0)
        kind = R_VLAN_OUTER;
    else if (strcmp(match, "inner-vlan") == 0)
        kind = R_VLAN_INNER;
    else if (strcmp(match, "mpls") == 0)
        kind = R_MPLS;
    else if (strcmp(match, "interface") == 0)
        kind = R_IFACE;
    else {
        for (int f = 0; f < F_SUBS; f++)
            if (strcmp(match, field_names[f]) == 0) {
                kind = R_PFX;
                field = f;
            }
    }
    if (kind < 0) {
        PERR(p, "unknown match '%s' (expected " MATCH_LIST ")", match);
        return -1;
    }

    if (kind == R_GTP || kind == R_PPPOE) {
        r = next_token(p, c, tok);
        if (r < 0)
            return -1;
        if (r > 0) {
            PERR(p, "'%s' takes no value (got '%s')", match, tok);
            return -1;
        }
        struct rule *ru = rule_add(p);
        if (!ru)
            return -1;
        ru->kind = (uint8_t)kind;
        ru->seg = (uint16_t)id;
        return 0;
    }

    unsigned nval = 0;
    while ((r = next_token(p, c, tok)) > 0) {
        nval++;
        if (kind == R_PFX) {
            if (pfx_add(p, tok, (unsigned)field, (uint16_t)id) < 0)
                return -1;
            if (p->pfx_rule_at[field] < 0) {
                struct rule *ru = rule_add(p);
                if (!ru)
                    return -1;
                ru->kind = R_PFX;
                ru->field = (uint8_t)field;
                ru->seg = (uint16_t)id; /* unused: the prefix decides */
                p->pfx_rule_at[field] = (int)(p->s->nrules - 1);
            }
            continue;
        }
        uint32_t lo = 0, hi = 0;
        if (kind == R_MPLS) {
            if (!parse_range(tok, 1048575, &lo, &hi)) {
                PERR(p, "invalid MPLS label '%s' (expected 0-1048575 or a range "
                        "like 16000-16999)", tok);
                return -1;
            }
        } else if (kind != R_IFACE) {
            if (!parse_range(tok, 4095, &lo, &hi)) {
                PERR(p, "invalid VLAN id '%s' (expected 0-4095 or a range like "
                        "100-199)", tok);
                return -1;
            }
        }
        struct rule *ru = rule_add(p);
        if (!ru)
            return -1;
        ru->kind = (uint8_t)kind;
        ru->seg = (uint16_t)id;
        ru->lo = lo;
        ru->hi = hi;
        if (kind == R_IFACE) {
            ru->ifname = strdup(tok);
            if (!ru->ifname) {
                errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory");
                return -1;
            }
        }
    }
    if (r < 0)
        return -1;
    if (nval == 0) {
        PERR(p, "'%s' needs at least one value", match);
        return -1;
    }
    return 0;
}

static int parse_line(struct parser *p, struct cursor *c)
{
    char kw[SEG_TOKEN_MAX], tok[SEG_TOKEN_MAX];
    int r = next_token(p, c, kw);
    if (r <= 0)
        return r;
    if (strcmp(kw, "segment") == 0)
        return parse_segment_line(p, c);
    if (strcmp(kw, "subscribers") == 0) {
        unsigned n = 0;
        while ((r = next_token(p, c, tok)) > 0) {
            if (pfx_add(p, tok, F_SUBS, 0) < 0)
                return -1;
            n++;
        }
        if (r < 0)
            return -1;
        if (n == 0) {
            PERR(p, "'subscribers' needs at least one prefix");
            return -1;
        }
        p->s->has_subs = true;
        return 0;
    }
    if (strcmp(kw, "default") == 0) {
        if (p->default_line) {
            PERR(p, "duplicate 'default' (first on line %u)", p->default_line);
            return -1;
        }
        r = next_token(p, c, tok);
        if (r < 0)
            return -1;
        if (r == 0) {
            PERR(p, "'default' needs a segment name");
            return -1;
        }
        int id = seg_id(p, tok);
        if (id < 0)
            return -1;
        r = next_token(p, c, tok);
        if (r < 0)
            return -1;
        if (r > 0) {
            PERR(p, "'default' takes one segment name (got extra '%s')", tok);
            return -1;
        }
        p->s->default_seg = (uint16_t)id;
        p->default_line = p->line;
        return 0;
    }
    PERR(p, "unknown keyword '%s' (expected segment, subscribers, default)", kw);
    return -1;
}

/* Build the hash tables from the collected entries. */
static int pfx_build(struct parser *p)
{
    v6m_segments *s = p->s;
    size_t counts[F__COUNT][2] = {{0}};
    for (size_t i = 0; i < p->npe; i++)
        counts[p->pe[i].field][p->pe[i].family - 1]++;
    for (int f = 0; f < F__COUNT; f++)
        for (int k = 0; k < 2; k++)
            if (!pfxtab_init(&s->pfx[f][k], (unsigned)k + 1, counts[f][k]))
                return errbuf_set(&p->err, V6M_ERR_NOMEM, "out of memory"), -1;
    for (size_t i = 0; i < p->npe; i++) {
        const struct pfx_entry *e = &p->pe[i];
        bool added;
        const struct pfx_slot *sl = pfxtab_insert(&s->pfx[e->field][e->family - 1],
                                                  e->addr, e->len, e->seg, e->line, &added);
        if (!sl) /* cannot happen: sized from the counts above */
            return errbuf_set(&p->err, V6M_ERR_NOMEM, "prefix table full"), -1;
        if (!added && e->field != F_SUBS && sl->value != e->seg) {
            char pf[64];
            format_prefix(pf, sizeof(pf), e->addr, e->family, e->len);
            p->line = e->line;
            PERR(p, "prefix %s for %s is already assigned to segment '%s' on line %u",
                 pf, field_names[e->field], s->names[sl->value], sl->line);
            return -1;
        }
        /* else: same prefix, same segment: harmless repeat */
    }
    return 0;
}

v6m_err v6m_segments_parse(const char *text, size_t len, const char *name,
                           v6m_segments **out, char *errbuf, size_t errlen)
{
    struct parser p;
    memset(&p, 0, sizeof(p));
    p.name = name ? name : "<segments>";
    for (int f = 0; f < F_SUBS; f++)
        p.pfx_rule_at[f] = -1;
    *out = NULL;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!text && len) {
        errbuf_set(&p.err, V6M_ERR_INVALID_ARG, "no text");
        errbuf_export(&p.err, errbuf, errlen);
        return V6M_ERR_INVALID_ARG;
    }
    p.s = calloc(1, sizeof(*p.s));
    if (!p.s) {
        errbuf_set(&p.err, V6M_ERR_NOMEM, "out of memory");
        errbuf_export(&p.err, errbuf, errlen);
        return V6M_ERR_NOMEM;
    }
    p.s->default_seg = UINT16_MAX;

    struct cursor all;
    cursor_init(&all, text, len);
    int rc = 0;
    while (cursor_left(&all) > 0 && rc == 0) {
        p.line++;
        const uint8_t *start = all.p;
        const uint8_t *nl = memchr(start, '\n', cursor_left(&all));
        size_t n = nl ? (size_t)(nl - start) : cursor_left(&all);
        struct cursor line = cursor_sub(&all, n);
        if (nl)
            cursor_skip(&all, 1);
        rc = parse_line(&p, &line);
    }
    if (rc == 0 && p.s->default_seg == UINT16_MAX) {
        int id = seg_id(&p, "other");
        if (id < 0)
            rc = -1;
        else
            p.s->default_seg = (uint16_t)id;
    }
    if (rc == 0) {
        /* "other" must exist even when the default is another segment. */
        if (seg_id(&p, "other") < 0)
            rc = -1;
    }
    if (rc == 0)
        rc = pfx_build(&p);
    free(p.pe);
    if (rc != 0) {
        v6m_segments_free(p.s);
        errbuf_export(&p.err, errbuf, errlen);
        return p.err.code ? p.err.code : V6M_ERR_CONFIG;
    }
    *out = p.s;
    return V6M_OK;
}

v6m_err v6m_segments_load(const char *path, v6m_segments **out, char *errbuf,
                          size_t errlen)
{
    struct errbuf e;
    errbuf_clear(&e);
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        errbuf_set(&e, V6M_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        errbuf_export(&e, errbuf, errlen);
        return e.code;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    v6m_err rc = V6M_OK;
    while (buf) {
        if (n == cap) {
            if (cap >= SEG_FILE_MAX) {
                rc = errbuf_set(&e, V6M_ERR_CONFIG, "'%s' is too large (at most %u bytes)",
                                path, SEG_FILE_MAX);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = errbuf_set(&e, V6M_ERR_IO, "cannot read '%s': %s", path,
                                strerror(errno));
            break;
        }
    }
    fclose(f);
    if (!buf && rc == V6M_OK)
        rc = errbuf_set(&e, V6M_ERR_NOMEM, "out of memory reading '%s'", path);
    if (rc != V6M_OK) {
        free(buf);
        errbuf_export(&e, errbuf, errlen);
        return rc;
    }
    rc = v6m_segments_parse(buf, n, path, out, errbuf, errlen);
    free(buf);
    return rc;
}

/* ---- classify --------------------------------------------------------- */

static bool match_pfx(const v6m_segments *s, unsigned field,
                      const struct v6m_packet *pkt, uint16_t *seg)
{
    const struct v6m_iphdr *h = field < F_INNER_SRC ? &pkt->outer : &pkt->inner;
    int k;
    if (h->family == V6M_FAMILY_IPV4)
        k = 0;
    else if (h->family == V6M_FAMILY_IPV6)
        k = 1;
    else
        return false;
    const uint8_t *a = (field & 1) ? h->dst : h->src;
    const struct pfx_slot *sl = pfxtab_lookup(&s->pfx[field][k], a);
    if (!sl)
        return false;
    *seg = (uint16_t)sl->value;
    return true;
}

static bool subs_has(const v6m_segments *s, unsigned family, const uint8_t a[16])
{
    if (family == V6M_FAMILY_IPV4)
        return pfxtab_lookup(&s->pfx[F_SUBS][0], a) != NULL;
    if (family == V6M_FAMILY_IPV6)
        return pfxtab_lookup(&s->pfx[F_SUBS][1], a) != NULL;
    return false;
}

void v6m_segments_classify(const v6m_segments *s, const struct v6m_packet *pkt,
                           const char *ifname, struct v6m_class *out)
{
    if (s->builtin) {
        out->direction = V6M_DIR_UNKNOWN;
        if ((pkt->encap & V6M_ENC_GTPU) && pkt->gtp_user)
            out->segment = 0;
        else if (pkt->encap & V6M_ENC_PPPOE)
            out->segment = 1;
        else
            out->segment = 2;
        return;
    }
    uint16_t seg = s->default_seg;
    unsigned nv = pkt->n_vlans < V6M_MAX_VLANS ? pkt->n_vlans : V6M_MAX_VLANS;
    unsigned nm = pkt->n_mpls < V6M_MAX_MPLS ? pkt->n_mpls : V6M_MAX_MPLS;
    for (size_t i = 0; i < s->nrules; i++) {
        const struct rule *r = &s->rules[i];
        bool m = false;
        switch (r->kind) {
        case R_GTP:
            m = (pkt->encap & V6M_ENC_GTPU) && pkt->gtp_user;
            break;
        case R_PPPOE:
            m = (pkt->encap & V6M_ENC_PPPOE) != 0;
            break;
        case R_VLAN_ANY:
            for (unsigned j = 0; j < nv && !m; j++)
                m = pkt->vlan[j] >= r->lo && pkt->vlan[j] <= r->hi;
            break;
        case R_VLAN_OUTER:
            m = nv && pkt->vlan[0] >= r->lo && pkt->vlan[0] <= r->hi;
            break;
        case R_VLAN_INNER:
            m = nv && pkt->vlan[nv - 1] >= r->lo && pkt->vlan[nv - 1] <= r->hi;
            break;
        case R_MPLS:
            for (unsigned j = 0; j < nm && !m; j++)
                m = pkt->mpls[j] >= r->lo && pkt->mpls[j] <= r->hi;
            break;
        case R_IFACE:
            m = ifname && strcmp(ifname, r->ifname) == 0;
            break;
        case R_PFX: {
            uint16_t ps;
            if (match_pfx(s, r->field, pkt, &ps)) {
                seg = ps;
                goto done;
            }
            break;
        }
        default:
            break;
        }
        if (m) {
            seg = r->seg;
            break;
        }
    }
done:
    out->segment = seg;
    out->direction = V6M_DIR_UNKNOWN;
    if (s->has_subs) {
        if (subs_has(s, pkt->inner.family, pkt->inner.src))
            out->direction = V6M_DIR_UP;
        else if (subs_has(s, pkt->inner.family, pkt->inner.dst))
            out->direction = V6M_DIR_DOWN;
    }
}
