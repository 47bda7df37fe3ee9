/*
 * probe/page.c - links and sub-resources of an HTML page (see page.h for
 * what counts), the parse guard, internal links and seeded sampling.
 *
 * Three passes over one page:
 *   1. guard_scan(): a linear tokenizer over the raw bytes that models the
 *      HTML5 tree builder just enough to bound gumbo's work, and returns
 *      how many bytes gumbo may see (below).
 *   2. gumbo_parse_with_options() on that prefix (gumbo takes a length;
 *      no NUL needed, nothing read past it). max_errors 0: we do not read
 *      the error list, so gumbo does not build it.
 *   3. Two walks of the tree with an explicit stack (no recursion: the
 *      depth is bounded by the guard, but a stack is simpler to bound):
 *      the first finds the first base[href] anywhere, the second collects
 *      references in document order, skipping <template> contents.
 *      Each reference goes through url_resolve(); duplicates are found
 *      with an open-addressing table of (64-bit hash, index) compared by
 *      string, so no URL is lost to a hash collision.
 *
 * The guard. gumbo implements the HTML5 tree builder literally: "has an
 * element in scope" and is_open_element() walk the stack of open elements,
 * and "reconstruct the active formatting elements" re-creates every
 * formatting element (b, font, a...) that was closed implicitly, on every
 * text and inline tag. A deep stack makes each token O(depth); a long list
 * of distinct unclosed formatting elements makes each paragraph create
 * that many clones (time and memory). Measured with gumbo 0.10.1 on this
 * machine: 256 KiB of "<div>" 6.4 s, of "<ul><li>" 10 s, 128 KiB of
 * "<p><font id=N>x" 25 s, 1 MiB of "<p>x" after 64 distinct "<font>"s over
 * 4 GB; one tag with 30000 attributes 4 s (duplicate check per attribute).
 * The guard tokenizes like HTML (comments, raw text of script/style/
 * textarea/title/xmp/iframe/noembed/noframes, plaintext, quoted attribute
 * values) and keeps a model of the stack of open elements and of the list
 * of active formatting elements with the rules that make them grow and
 * shrink: void elements, implied ends (p, li, dd/dt, headings, option,
 * table sections, cells, button), "in scope" with its boundary elements,
 * markers (td, th, caption, applet, object, marquee, template), Noah's
 * Ark (at most 3 identical entries), the adoption agency (an end tag of a
 * formatting element with a block opened inside it removes the element
 * but keeps what is above it), reconstruction, foreign content (svg, math)
 * and its break-out tags. The model errs towards a larger stack (it cuts
 * early rather than late). The input is cut at the first token that takes
 * the model over a limit; everything before it is parsed as usual.
 *
 * Invariants: links[] and res[] hold distinct (url, kind) pairs, at most
 * max_links / max_resources; every url is in url_resolve() normal form.
 */
#include "probe/page.h"

#include <gumbo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "probe/url.h"
#include "util/hash.h"

static const char *const kind_names[PAGE_KIND_COUNT] = {
    "link", "img", "script", "style", "icon", "iframe", "source", "video", "audio", "embed",
};

const char *page_kind_name(unsigned kind)
{
    return kind < PAGE_KIND_COUNT ? kind_names[kind] : "?";
}

const char *page_cut_name(unsigned cut)
{
    static const char *const n[] = {"none", "size", "depth", "formatting", "attributes",
                                    "elements"};
    return cut < sizeof n / sizeof n[0] ? n[cut] : "?";
}

void page_limits_default(struct page_limits *l)
{
    l->max_input = 1u << 20;
    l->max_links = 5000;
    l->max_resources = 2000;
    l->max_depth = 512;
    l->max_elements = 200000;
}

/* ======================================================================
 * The parse guard
 * ====================================================================== */

enum {
    T_VOID = 1 << 0,      /* no end tag, never on the stack */
    T_SPECIAL = 1 << 1,   /* HTML's "special" category */
    T_SCOPE = 1 << 2,     /* boundary of "has an element in scope" */
    T_MARKER = 1 << 3,    /* pushes a marker on the formatting list */
    T_FMT = 1 << 4,       /* formatting element */
    T_PCLOSE = 1 << 5,    /* start tag closes an open p */
    T_RAW = 1 << 6,       /* content is text up to the matching end tag */
    T_PLAIN = 1 << 7,     /* plaintext: the rest of the input is text */
    T_FOREIGN = 1 << 8,   /* svg, math */
    T_NOPUSH = 1 << 9,    /* html, head, body: merged, not stacked */
    T_BREAKOUT = 1 << 10, /* leaves foreign content */
    T_LI = 1 << 11,
    T_DDT = 1 << 12,
    T_HEAD = 1 << 13,     /* h1..h6 */
    T_CELL = 1 << 14,     /* td, th */
    T_TR = 1 << 15,
    T_TSECT = 1 << 16,    /* tbody, thead, tfoot */
    T_TABLE = 1 << 17,
    T_P = 1 << 18,
    T_BUTTON = 1 << 19,
    T_OPTION = 1 << 20,
    T_LIST = 1 << 21,     /* ol, ul */
    T_ADP = 1 << 22,      /* address, div, p: li/dd/dt look through them */
};

struct tagdef {
    const char *name;
    uint32_t flags;
};

#define SP T_SPECIAL
#define PC (T_SPECIAL | T_PCLOSE)
/* Sorted by name (bsearch). */
static const struct tagdef tagdefs[] = {
    {"a", T_FMT},
    {"address", PC | T_ADP},
    {"annotation-xml", SP | T_SCOPE},
    {"applet", SP | T_SCOPE | T_MARKER},
    {"area", SP | T_VOID},
    {"article", PC},
    {"aside", PC},
    {"b", T_FMT | T_BREAKOUT},
    {"base", SP | T_VOID},
    {"basefont", SP | T_VOID},
    {"bgsound", SP | T_VOID},
    {"big", T_FMT | T_BREAKOUT},
    {"blockquote", PC | T_BREAKOUT},
    {"body", SP | T_NOPUSH | T_BREAKOUT},
    {"br", SP | T_VOID | T_BREAKOUT},
    {"button", SP | T_BUTTON},
    {"caption", SP | T_SCOPE | T_MARKER},
    {"center", PC | T_BREAKOUT},
    {"code", T_FMT | T_BREAKOUT},
    {"col", SP | T_VOID},
    {"colgroup", SP},
    {"dd", PC | T_DDT | T_BREAKOUT},
    {"desc", SP | T_SCOPE},
    {"details", PC},
    {"dialog", PC},
    {"dir", PC},
    {"div", PC | T_ADP | T_BREAKOUT},
    {"dl", PC | T_BREAKOUT},
    {"dt", PC | T_DDT | T_BREAKOUT},
    {"em", T_FMT | T_BREAKOUT},
    {"embed", SP | T_VOID | T_BREAKOUT},
    {"fieldset", PC},
    {"figcaption", PC},
    {"figure", PC},
    {"font", T_FMT | T_BREAKOUT},
    {"footer", PC},
    {"foreignobject", SP | T_SCOPE},
    {"form", PC},
    {"frame", SP | T_VOID},
    {"frameset", SP},
    {"h1", PC | T_HEAD | T_BREAKOUT},
    {"h2", PC | T_HEAD | T_BREAKOUT},
    {"h3", PC | T_HEAD | T_BREAKOUT},
    {"h4", PC | T_HEAD | T_BREAKOUT},
    {"h5", PC | T_HEAD | T_BREAKOUT},
    {"h6", PC | T_HEAD | T_BREAKOUT},
    {"head", SP | T_NOPUSH | T_BREAKOUT},
    {"header", PC},
    {"hgroup", PC},
    {"hr", PC | T_VOID | T_BREAKOUT},
    {"html", SP | T_NOPUSH | T_SCOPE},
    {"i", T_FMT | T_BREAKOUT},
    {"iframe", SP | T_RAW},
    {"image", SP | T_VOID},
    {"img", SP | T_VOID | T_BREAKOUT},
    {"input", SP | T_VOID},
    {"keygen", SP | T_VOID},
    {"li", PC | T_LI | T_BREAKOUT},
    {"link", SP | T_VOID},
    {"listing", PC | T_BREAKOUT},
    {"main", PC},
    {"marquee", SP | T_SCOPE | T_MARKER},
    {"math", T_FOREIGN},
    {"menu", PC | T_BREAKOUT},
    {"meta", SP | T_VOID | T_BREAKOUT},
    {"mi", SP | T_SCOPE},
    {"mn", SP | T_SCOPE},
    {"mo", SP | T_SCOPE},
    {"ms", SP | T_SCOPE},
    {"mtext", SP | T_SCOPE},
    {"nav", PC},
    {"nobr", T_FMT | T_BREAKOUT},
    {"noembed", SP | T_RAW},
    {"noframes", SP | T_RAW},
    {"noscript", SP},
    {"object", SP | T_SCOPE | T_MARKER},
    {"ol", PC | T_LIST | T_BREAKOUT},
    {"optgroup", T_OPTION},
    {"option", T_OPTION},
    {"p", PC | T_P | T_ADP | T_BREAKOUT},
    {"param", SP | T_VOID},
    {"plaintext", PC | T_PLAIN},
    {"pre", PC | T_BREAKOUT},
    {"ruby", T_BREAKOUT},
    {"s", T_FMT | T_BREAKOUT},
    {"script", SP | T_RAW},
    {"search", PC},
    {"section", PC},
    {"select", SP},
    {"small", T_FMT | T_BREAKOUT},
    {"source", SP | T_VOID},
    {"span", T_BREAKOUT},
    {"strike", T_FMT | T_BREAKOUT},
    {"strong", T_FMT | T_BREAKOUT},
    {"style", SP | T_RAW},
    {"sub", T_BREAKOUT},
    {"summary", PC},
    {"sup", T_BREAKOUT},
    {"svg", T_FOREIGN},
    {"table", PC | T_SCOPE | T_TABLE | T_BREAKOUT},
    {"tbody", SP | T_TSECT},
    {"td", SP | T_SCOPE | T_MARKER | T_CELL},
    {"template", SP | T_SCOPE | T_MARKER},
    {"textarea", SP | T_RAW},
    {"tfoot", SP | T_TSECT},
    {"th", SP | T_SCOPE | T_MARKER | T_CELL},
    {"thead", SP | T_TSECT},
    {"title", SP | T_RAW},
    {"tr", SP | T_TR},
    {"track", SP | T_VOID},
    {"tt", T_FMT | T_BREAKOUT},
    {"u", T_FMT | T_BREAKOUT},
    {"ul", PC | T_LIST | T_BREAKOUT},
    {"var", T_BREAKOUT},
    {"wbr", SP | T_VOID},
    {"xmp", PC | T_RAW},
};
#undef SP
#undef PC

static int tagdef_cmp(const void *k, const void *e)
{
    return strcmp((const char *)k, ((const struct tagdef *)e)->name);
}

/* One open element of the model. */
struct gslot {
    uint32_t name;  /* hash of the lowercase tag name */
    uint32_t flags; /* T_* */
    int32_t f;      /* index in the formatting list, or -1 */
};

/* One entry of the active formatting list (or a marker). */
struct gfmt {
    uint32_t name;
    uint32_t id;   /* name and attributes, for Noah's Ark */
    int32_t slot;  /* index in the stack, or -1 when closed */
    bool marker;
};

struct guard {
    struct gslot *st;
    size_t sp, st_cap;
    struct gfmt *f;
    size_t nf, f_cap, n_fmt; /* n_fmt: entries that are not markers */
    size_t foreign;          /* svg/math elements on the stack */
    size_t elements, root_attrs;
    size_t max_depth, max_elements;
    enum page_cut cut;
    uint32_t h_p, h_a, h_nobr, h_button, h_br, h_tbody, h_tr; /* name hashes */
};

static uint32_t name_hash(const uint8_t *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a over the lowercase bytes */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c - 'A' + 'a');
        h = (h ^ c) * 16777619u;
    }
    return h;
}

static bool g_cut(struct guard *g, enum page_cut why)
{
    if (g->cut == PAGE_CUT_NONE)
        g->cut = why;
    return false;
}

/* Remove formatting entry j, keeping the stack's back-links right. */
static void f_remove(struct guard *g, size_t j)
{
    if (g->f[j].slot >= 0)
        g->st[g->f[j].slot].f = -1;
    if (!g->f[j].marker)
        g->n_fmt--;
    memmove(g->f + j, g->f + j + 1, (g->nf - j - 1) * sizeof *g->f);
    g->nf--;
    for (size_t k = j; k < g->nf; k++)
        if (g->f[k].slot >= 0)
            g->st[g->f[k].slot].f = (int32_t)k;
}

static void g_pop(struct guard *g)
{
    struct gslot *s = &g->st[--g->sp];
    if (s->flags & T_FOREIGN)
        g->foreign--;
    if (s->f < 0)
        return;
    if (g->f[s->f].marker) {
        /* Closing a marker element clears the list back to its marker. */
        while (g->nf > (size_t)s->f) {
            struct gfmt *e = &g->f[g->nf - 1];
            if (e->slot >= 0 && (size_t)e->slot != g->sp)
                g->st[e->slot].f = -1;
            if (!e->marker)
                g->n_fmt--;
            g->nf--;
        }
    } else {
        g->f[s->f].slot = -1;
    }
}

static void g_pop_to(struct guard *g, size_t slot)
{
    while (g->sp > slot)
        g_pop(g);
}

/* Remove stack slot s from the middle (the adoption agency's result). */
static void g_remove_slot(struct guard *g, size_t s)
{
    if (g->st[s].flags & T_FOREIGN)
        g->foreign--;
    memmove(g->st + s, g->st + s + 1, (g->sp - s - 1) * sizeof *g->st);
    g->sp--;
    for (size_t k = s; k < g->sp; k++)
        if (g->st[k].f >= 0)
            g->f[g->st[k].f].slot = (int32_t)k;
}

static bool g_push(struct guard *g, uint32_t name, uint32_t flags, int32_t f)
{
    if (g->sp >= g->max_depth)
        return g_cut(g, PAGE_CUT_DEPTH);
    if (++g->elements > g->max_elements)
        return g_cut(g, PAGE_CUT_ELEMENTS);
    g->st[g->sp].name = name;
    g->st[g->sp].flags = flags;
    g->st[g->sp].f = f;
    if (f >= 0)
        g->f[f].slot = (int32_t)g->sp;
    if (flags & T_FOREIGN)
        g->foreign++;
    g->sp++;
    return true;
}

static bool g_count_element(struct guard *g)
{
    if (++g->elements > g->max_elements)
        return g_cut(g, PAGE_CUT_ELEMENTS);
    return true;
}

/* Index of the last marker + 1 (where the current formatting scope starts). */
static size_t f_scope_start(const struct guard *g)
{
    for (size_t j = g->nf; j > 0; j--)
        if (g->f[j - 1].marker)
            return j;
    return 0;
}

/* Reconstruct the active formatting elements. */
static bool g_reconstruct(struct guard *g)
{
    if (g->nf == 0 || g->f[g->nf - 1].marker || g->f[g->nf - 1].slot >= 0)
        return true;
    size_t j = g->nf - 1;
    while (j > 0 && !g->f[j - 1].marker && g->f[j - 1].slot < 0)
        j--;
    for (; j < g->nf; j++)
        if (!g_push(g, g->f[j].name, T_FMT, (int32_t)j))
            return false;
    return true;
}

/* Stack index of the topmost element named name before a boundary with
 * any of the stop flags, or SIZE_MAX. */
static size_t g_find(const struct guard *g, uint32_t name, uint32_t stop)
{
    for (size_t i = g->sp; i > 0; i--) {
        if (g->st[i - 1].name == name)
            return i - 1;
        if (g->st[i - 1].flags & stop)
            return SIZE_MAX;
    }
    return SIZE_MAX;
}

static size_t g_find_flag(const struct guard *g, uint32_t want, uint32_t stop)
{
    for (size_t i = g->sp; i > 0; i--) {
        if (g->st[i - 1].flags & want)
            return i - 1;
        if (g->st[i - 1].flags & stop)
            return SIZE_MAX;
    }
    return SIZE_MAX;
}

/* "Any other end tag": pop to the topmost element of that name unless a
 * special element comes first. */
static void g_end_other(struct guard *g, uint32_t name)
{
    size_t i = g_find(g, name, T_SPECIAL);
    if (i != SIZE_MAX)
        g_pop_to(g, i);
}

/* The adoption agency, as far as sizes go. */
static void g_end_formatting(struct guard *g, uint32_t name)
{
    size_t j = SIZE_MAX, from = f_scope_start(g);
    for (size_t k = g->nf; k > from; k--)
        if (g->f[k - 1].name == name) {
            j = k - 1;
            break;
        }
    if (j == SIZE_MAX) {
        g_end_other(g, name);
        return;
    }
    if (g->f[j].slot < 0) {
        f_remove(g, j); /* not open: only forgotten */
        return;
    }
    size_t s = (size_t)g->f[j].slot;
    size_t specials = 0;
    for (size_t i = s + 1; i < g->sp; i++) {
        if (g->st[i].flags & T_SCOPE)
            return; /* not in scope: ignored */
        if (g->st[i].flags & T_SPECIAL)
            specials++;
    }
    if (specials == 0) {
        f_remove(g, j);
        g_pop_to(g, s);
    } else if (specials <= 8) {
        /* The element's content moves into clones under the blocks above
         * it; the clones end with the algorithm's later rounds. */
        f_remove(g, j);
        g_remove_slot(g, s);
    }
    /* More than 8 blocks: the algorithm stops with a clone still open and
     * active; the model keeps the element (same sizes). */
}

static bool g_start(struct guard *g, uint32_t name, uint32_t flags, size_t nattrs, uint32_t id,
                    bool self_closing)
{
    if (nattrs > PAGE_MAX_ATTRS)
        return g_cut(g, PAGE_CUT_ATTRS);
    if (g->foreign) {
        if (!(flags & T_BREAKOUT))
            return self_closing ? g_count_element(g)
                                : g_push(g, name, flags & T_FOREIGN, -1);
        /* Leave foreign content: pop to below the nearest svg/math. */
        size_t i = g_find_flag(g, T_FOREIGN, 0);
        if (i != SIZE_MAX)
            g_pop_to(g, i);
    }
    if (flags & T_NOPUSH) {
        g->root_attrs += nattrs; /* a second <body> merges its attributes */
        if (g->root_attrs > PAGE_MAX_ATTRS)
            return g_cut(g, PAGE_CUT_ATTRS);
        return true;
    }
    if (flags & T_PCLOSE) {
        size_t i = g_find(g, g->h_p, T_SCOPE | T_BUTTON);
        if (i != SIZE_MAX)
            g_pop_to(g, i);
    }
    if (flags & (T_LI | T_DDT)) {
        uint32_t want = flags & (T_LI | T_DDT);
        for (size_t i = g->sp; i > 0; i--) {
            const struct gslot *s = &g->st[i - 1];
            if (s->flags & want) {
                g_pop_to(g, i - 1);
                break;
            }
            if ((s->flags & T_SPECIAL) && !(s->flags & T_ADP))
                break;
        }
    }
    if ((flags & T_HEAD) && g->sp && (g->st[g->sp - 1].flags & T_HEAD))
        g_pop(g);
    if ((flags & T_OPTION) && g->sp && (g->st[g->sp - 1].flags & T_OPTION))
        g_pop(g);
    if ((flags & T_BUTTON) && g_find(g, g->h_button, T_SCOPE) != SIZE_MAX)
        g_pop_to(g, g_find(g, g->h_button, T_SCOPE));
    if (flags & (T_TSECT | T_TR | T_CELL)) {
        /* Table structure: outside a table the tag is ignored; inside, the
         * stack is cleared back to the table, its section or its row, and
         * the implied tbody and tr are inserted. */
        size_t t = SIZE_MAX;
        for (size_t i = g->sp; i > 0; i--) {
            if (g->st[i - 1].flags & T_TABLE) {
                t = i - 1;
                break;
            }
            if ((g->st[i - 1].flags & T_MARKER) && !(g->st[i - 1].flags & T_CELL))
                break; /* template, caption, object...: another context */
        }
        if (t == SIZE_MAX)
            return true;
        size_t sec = t + 1;
        bool have_sec = sec < g->sp && (g->st[sec].flags & T_TSECT);
        if (flags & T_TSECT) {
            g_pop_to(g, t + 1);
        } else if (flags & T_TR) {
            if (have_sec) {
                g_pop_to(g, sec + 1);
            } else {
                g_pop_to(g, t + 1);
                if (!g_push(g, g->h_tbody, T_SPECIAL | T_TSECT, -1))
                    return false;
            }
        } else {
            if (!have_sec) {
                g_pop_to(g, t + 1);
                if (!g_push(g, g->h_tbody, T_SPECIAL | T_TSECT, -1))
                    return false;
            }
            size_t row = sec + 1;
            if (row < g->sp && (g->st[row].flags & T_TR)) {
                g_pop_to(g, row + 1);
            } else {
                g_pop_to(g, sec + 1);
                if (!g_push(g, g->h_tr, T_SPECIAL | T_TR, -1))
                    return false;
            }
        }
    }
    if (name == g->h_a) {
        size_t from = f_scope_start(g);
        for (size_t k = g->nf; k > from; k--)
            if (g->f[k - 1].name == g->h_a) {
                g_end_formatting(g, g->h_a);
                break;
            }
    }
    if (name == g->h_nobr && g_find(g, g->h_nobr, T_SCOPE) != SIZE_MAX)
        g_end_formatting(g, g->h_nobr);
    if ((!(flags & T_SPECIAL) || (flags & T_VOID)) && !g_reconstruct(g))
        return false;
    if (flags & T_VOID)
        return g_count_element(g);
    int32_t fi = -1;
    if (flags & (T_FMT | T_MARKER)) {
        if (flags & T_FMT) {
            /* Noah's Ark: a fourth identical entry drops the earliest. */
            size_t same = 0, first = 0;
            for (size_t k = f_scope_start(g); k < g->nf; k++)
                if (!g->f[k].marker && g->f[k].id == id && same++ == 0)
                    first = k;
            if (same >= 3)
                f_remove(g, first);
            if (g->n_fmt >= PAGE_MAX_FORMATTING)
                return g_cut(g, PAGE_CUT_FORMATTING);
        }
        if (g->nf >= g->f_cap)
            return g_cut(g, PAGE_CUT_DEPTH); /* markers <= depth: cannot happen */
        fi = (int32_t)g->nf;
        g->f[g->nf].name = name;
        g->f[g->nf].id = id;
        g->f[g->nf].slot = -1;
        g->f[g->nf].marker = !(flags & T_FMT);
        g->nf++;
        if (flags & T_FMT)
            g->n_fmt++;
    }
    if (!g_push(g, name, flags, fi)) {
        if (fi >= 0)
            f_remove(g, (size_t)fi);
        return false;
    }
    return true;
}

static void g_end(struct guard *g, uint32_t name, uint32_t flags)
{
    if (g->foreign) {
        /* Foreign end tags close the nearest element of that name among
         * the foreign ones; otherwise they are read as HTML. */
        for (size_t i = g->sp; i > 0; i--) {
            if (g->st[i - 1].name == name) {
                g_pop_to(g, i - 1);
                return;
            }
            if (g->st[i - 1].flags & T_FOREIGN)
                break;
        }
    }
    if (flags & T_NOPUSH)
        return;
    if (name == g->h_br) {
        if (g_reconstruct(g))
            g_count_element(g);
        return;
    }
    if (name == g->h_p) {
        size_t i = g_find(g, g->h_p, T_SCOPE | T_BUTTON);
        if (i != SIZE_MAX)
            g_pop_to(g, i);
        else
            g_count_element(g); /* "</p>" alone makes an empty p */
        return;
    }
    if (flags & T_FMT) {
        g_end_formatting(g, name);
        return;
    }
    if (flags & T_SPECIAL) {
        size_t i = g_find(g, name, T_SCOPE);
        if (i != SIZE_MAX)
            g_pop_to(g, i);
        return;
    }
    g_end_other(g, name);
}

/* Under AddressSanitizer (the fuzz and sanitizer builds) the model's
 * cross-links are checked after every token; a broken one traps. */
#if defined(__SANITIZE_ADDRESS__)
#define PAGE_GUARD_SELFCHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PAGE_GUARD_SELFCHECK 1
#endif
#endif

#ifdef PAGE_GUARD_SELFCHECK
static void g_selfcheck(const struct guard *g)
{
    size_t foreign = 0, n_fmt = 0;
    for (size_t i = 0; i < g->sp; i++) {
        if (g->st[i].flags & T_FOREIGN)
            foreign++;
        if (g->st[i].f >= 0 && ((size_t)g->st[i].f >= g->nf || g->f[g->st[i].f].slot != (int32_t)i))
            __builtin_trap();
    }
    for (size_t j = 0; j < g->nf; j++) {
        if (!g->f[j].marker)
            n_fmt++;
        if (g->f[j].slot >= 0 &&
            ((size_t)g->f[j].slot >= g->sp || g->st[g->f[j].slot].f != (int32_t)j))
            __builtin_trap();
    }
    if (foreign != g->foreign || n_fmt != g->n_fmt || g->sp > g->max_depth ||
        g->n_fmt > PAGE_MAX_FORMATTING)
        __builtin_trap();
}
#else
static void g_selfcheck(const struct guard *g)
{
    (void)g;
}
#endif

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alpha_b(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

struct gtag {
    size_t name, name_len; /* offsets into the input */
    size_t end;            /* offset after '>' (or len) */
    size_t nattrs;
    uint32_t id;           /* hash of name and attribute bytes */
    bool self_closing, complete;
};

/* Read a tag's name and attributes from h[i..n) (i just after "<" or
 * "</"), the way the HTML tokenizer splits them. */
static void g_read_tag(const uint8_t *h, size_t n, size_t i, struct gtag *t)
{
    memset(t, 0, sizeof *t);
    t->name = i;
    while (i < n && !is_ws(h[i]) && h[i] != '/' && h[i] != '>')
        i++;
    t->name_len = i - t->name;
    uint32_t id = name_hash(h + t->name, t->name_len);
    for (;;) {
        while (i < n && (is_ws(h[i]) || h[i] == '/')) {
            t->self_closing = h[i] == '/' && i + 1 < n && h[i + 1] == '>';
            i++;
        }
        if (i >= n)
            break;
        if (h[i] == '>') {
            t->end = i + 1;
            t->complete = true;
            t->id = id;
            return;
        }
        t->self_closing = false;
        size_t a = i++; /* the first character may be '=' */
        while (i < n && !is_ws(h[i]) && h[i] != '/' && h[i] != '>' && h[i] != '=')
            i++;
        size_t k = i;
        while (k < n && is_ws(h[k]))
            k++;
        if (k < n && h[k] == '=') {
            k++;
            while (k < n && is_ws(h[k]))
                k++;
            if (k < n && (h[k] == '"' || h[k] == '\'')) {
                const uint8_t *q = memchr(h + k + 1, h[k], n - k - 1);
                k = q ? (size_t)(q - h) + 1 : n;
            } else {
                while (k < n && !is_ws(h[k]) && h[k] != '>')
                    k++;
            }
            i = k;
        }
        t->nattrs++;
        id = id * 31u + name_hash(h + a, i - a);
    }
    t->end = n; /* end of input inside a tag: the tokenizer drops it */
}

/* Offset of the end tag "</name" closing raw text that starts at i, or n. */
static size_t g_raw_end(const uint8_t *h, size_t n, size_t i, const uint8_t *name, size_t nl)
{
    while (i < n) {
        const uint8_t *lt = memchr(h + i, '<', n - i);
        if (!lt)
            return n;
        size_t p = (size_t)(lt - h);
        if (p + 2 + nl <= n && h[p + 1] == '/' &&
            strncasecmp((const char *)h + p + 2, (const char *)name, nl) == 0 &&
            (p + 2 + nl == n || is_ws(h[p + 2 + nl]) || h[p + 2 + nl] == '/' ||
             h[p + 2 + nl] == '>'))
            return p;
        i = p + 1;
    }
    return n;
}

static uint32_t g_flags(const uint8_t *name, size_t nl)
{
    char key[16];
    if (nl == 0 || nl >= sizeof key)
        return 0;
    for (size_t i = 0; i < nl; i++) {
        uint8_t c = name[i];
        key[i] = (char)((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    }
    key[nl] = '\0';
    const struct tagdef *d =
        bsearch(key, tagdefs, sizeof tagdefs / sizeof tagdefs[0], sizeof tagdefs[0], tagdef_cmp);
    return d ? d->flags : 0;
}

/*
 * Scan h[0..n) and return how many bytes may be parsed; g->cut says why
 * fewer than n.
 */
static size_t guard_scan(struct guard *g, const uint8_t *h, size_t n)
{
    g->h_p = name_hash((const uint8_t *)"p", 1);
    g->h_a = name_hash((const uint8_t *)"a", 1);
    g->h_nobr = name_hash((const uint8_t *)"nobr", 4);
    g->h_button = name_hash((const uint8_t *)"button", 6);
    g->h_br = name_hash((const uint8_t *)"br", 2);
    g->h_tbody = name_hash((const uint8_t *)"tbody", 5);
    g->h_tr = name_hash((const uint8_t *)"tr", 2);
    size_t i = 0;
    while (i < n) {
        g_selfcheck(g);
        const uint8_t *lt = memchr(h + i, '<', n - i);
        size_t p = lt ? (size_t)(lt - h) : n;
        if (p > i && !g_reconstruct(g))
            return i; /* text */
        if (!lt)
            return n;
        if (p + 1 >= n)
            return n;
        uint8_t c = h[p + 1];
        if (c == '!' && p + 3 < n && h[p + 2] == '-' && h[p + 3] == '-') {
            /* Comment: up to "-->" ("<!-->" is a whole comment). */
            const uint8_t *e = memmem(h + p + 2, n - p - 2, "-->", 3);
            i = e ? (size_t)(e - h) + 3 : n;
            continue;
        }
        if (c == '!' || c == '?' || (c == '/' && p + 2 < n && !is_alpha_b(h[p + 2]))) {
            const uint8_t *e = memchr(h + p + 1, '>', n - p - 1); /* bogus comment */
            i = e ? (size_t)(e - h) + 1 : n;
            continue;
        }
        if (c == '/' || is_alpha_b(c)) {
            bool end = c == '/';
            struct gtag t;
            g_read_tag(h, n, p + (end ? 2 : 1), &t);
            if (!t.complete)
                return n;
            if (t.nattrs > PAGE_MAX_ATTRS) {
                g_cut(g, PAGE_CUT_ATTRS);
                return p;
            }
            uint32_t nh = name_hash(h + t.name, t.name_len);
            uint32_t fl = g_flags(h + t.name, t.name_len);
            if (end) {
                g_end(g, nh, fl);
                if (g->cut)
                    return p;
                i = t.end;
                continue;
            }
            if (!g_start(g, nh, fl, t.nattrs, t.id, t.self_closing))
                return p;
            i = t.end;
            if (!g->foreign && (fl & T_PLAIN))
                return n; /* the rest is text */
            if (!g->foreign && (fl & T_RAW)) {
                i = g_raw_end(h, n, i, h + t.name, t.name_len);
                if (i > t.end && !g_reconstruct(g))
                    return p;
            }
            continue;
        }
        i = p + 1; /* a lone '<' is text */
        if (!g_reconstruct(g))
            return p;
    }
    return n;
}

/* Returns the number of bytes to parse; *cut the reason for fewer. */
static size_t guard(const uint8_t *h, size_t n, const struct page_limits *lim, enum page_cut *cut,
                    bool *nomem)
{
    struct guard g;
    memset(&g, 0, sizeof g);
    g.max_depth = lim->max_depth;
    g.max_elements = lim->max_elements;
    g.st_cap = lim->max_depth + 1;
    g.f_cap = lim->max_depth + PAGE_MAX_FORMATTING + 1;
    g.st = malloc(g.st_cap * sizeof *g.st);
    g.f = malloc(g.f_cap * sizeof *g.f);
    size_t r = 0;
    if (g.st && g.f) {
        r = guard_scan(&g, h, n);
        *cut = g.cut;
    } else {
        *nomem = true;
    }
    free(g.st);
    free(g.f);
    return r;
}

/* ======================================================================
 * Extraction
 * ====================================================================== */

struct dedup {
    uint64_t *h;  /* 0 = empty slot; else hash | 1 */
    size_t *idx;  /* index in the list, or SIZE_MAX for a URL over the cap */
    size_t mask, n;
};

struct walk {
    const struct page_limits *lim;
    struct page_extract *out;
    const char *base;
    struct dedup dl, dr;
    size_t cap_links, cap_res;
    bool nomem;
};

/* Grow the table when half full. false when out of memory. */
static bool dedup_grow(struct dedup *d)
{
    if (d->h && (d->n + 1) * 2 <= d->mask + 1)
        return true;
    size_t cap = d->h ? (d->mask + 1) * 2 : 64;
    uint64_t *nh = calloc(cap, sizeof *nh);
    size_t *ni = malloc(cap * sizeof *ni);
    if (!nh || !ni) {
        free(nh);
        free(ni);
        return false;
    }
    for (size_t i = 0; d->h && i <= d->mask; i++) {
        if (!d->h[i])
            continue;
        size_t j = d->h[i] & (cap - 1);
        while (nh[j])
            j = (j + 1) & (cap - 1);
        nh[j] = d->h[i];
        ni[j] = d->idx[i];
    }
    free(d->h);
    free(d->idx);
    d->h = nh;
    d->idx = ni;
    d->mask = cap - 1;
    return true;
}

/*
 * Look url up in list v (its dedup table d); when new, remember it with
 * index at (SIZE_MAX: over the cap, only its hash is kept, and a later
 * URL with the same 64-bit hash counts as seen: that affects only the
 * n_dropped_cap counter). Returns true when new.
 */
static bool dedup_add(struct dedup *d, const struct page_url *v, const char *url, uint8_t kind,
                      size_t at, bool *nomem)
{
    if (!dedup_grow(d)) {
        *nomem = true;
        return false;
    }
    uint64_t h = hash_bytes(url, strlen(url), kind) | 1;
    size_t j = h & d->mask;
    while (d->h[j]) {
        if (d->h[j] == h &&
            (d->idx[j] == SIZE_MAX || (v[d->idx[j]].kind == kind && !strcmp(v[d->idx[j]].url, url))))
            return false;
        j = (j + 1) & d->mask;
    }
    d->h[j] = h;
    d->idx[j] = at;
    d->n++;
    return true;
}

static void add_url(struct walk *w, char *u, uint8_t kind)
{
    bool link = kind == PAGE_LINK;
    struct page_url **v = link ? &w->out->links : &w->out->res;
    size_t *n = link ? &w->out->n_links : &w->out->n_res;
    size_t max = link ? w->lim->max_links : w->lim->max_resources;
    size_t *cap = link ? &w->cap_links : &w->cap_res;
    bool over = *n >= max;
    if (!over && *n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        if (c > max)
            c = max;
        struct page_url *nv = realloc(*v, c * sizeof *nv);
        if (!nv) {
            w->nomem = true;
            free(u);
            return;
        }
        *v = nv;
        *cap = c;
    }
    if (!dedup_add(link ? &w->dl : &w->dr, *v, u, kind, over ? SIZE_MAX : *n, &w->nomem)) {
        free(u);
        return;
    }
    if (over) {
        w->out->n_dropped_cap++;
        free(u);
        return;
    }
    (*v)[*n].url = u;
    (*v)[*n].kind = kind;
    (*n)++;
}

static void add(struct walk *w, const char *ref, uint8_t kind)
{
    if (!ref)
        return;
    if (kind != PAGE_LINK) {
        /* src="" (or only spaces) fetches nothing in a browser. */
        const char *p = ref;
        while (is_ws((uint8_t)*p))
            p++;
        if (!*p) {
            w->out->n_dropped_invalid++;
            return;
        }
    }
    char *u = url_resolve(w->base, ref);
    if (!u) {
        w->out->n_dropped_invalid++;
        return;
    }
    add_url(w, u, kind);
}

static const char *attr(const GumboElement *e, const char *name)
{
    GumboAttribute *a = gumbo_get_attribute(&e->attributes, name);
    return a ? a->value : NULL;
}

/* The first image candidate of a srcset (HTML "parse a srcset attribute"):
 * skip spaces and commas, take the run up to a space, drop trailing
 * commas. */
static void add_srcset(struct walk *w, const char *srcset, uint8_t kind)
{
    if (!srcset)
        return;
    while (is_ws((uint8_t)*srcset) || *srcset == ',')
        srcset++;
    size_t n = 0;
    while (srcset[n] && !is_ws((uint8_t)srcset[n]))
        n++;
    while (n && srcset[n - 1] == ',')
        n--;
    if (n == 0)
        return;
    if (n > URL_MAX) {
        w->out->n_dropped_invalid++;
        return;
    }
    char buf[URL_MAX + 1];
    memcpy(buf, srcset, n);
    buf[n] = '\0';
    add(w, buf, kind);
}

/* Is word one of the space-separated tokens of list (ASCII case-insensitive)? */
static bool has_token(const char *list, const char *word)
{
    if (!list)
        return false;
    size_t wl = strlen(word);
    const char *p = list;
    while (*p) {
        while (is_ws((uint8_t)*p))
            p++;
        size_t n = 0;
        while (p[n] && !is_ws((uint8_t)p[n]))
            n++;
        if (n == wl && strncasecmp(p, word, n) == 0)
            return true;
        p += n;
    }
    return false;
}

/* The URL of a meta refresh content ("5; url='x'"), HTML's "shared
 * declarative refresh steps", into buf; false when there is none. */
static bool refresh_target(const char *c, char *buf, size_t cap)
{
    while (is_ws((uint8_t)*c))
        c++;
    const char *d = c;
    while ((*c >= '0' && *c <= '9') || *c == '.')
        c++;
    if (c == d)
        return false; /* no time: not a refresh */
    while (is_ws((uint8_t)*c))
        c++;
    if (*c != ';' && *c != ',')
        return false; /* only a time: reload the page itself */
    c++;
    while (is_ws((uint8_t)*c))
        c++;
    if (strncasecmp(c, "url", 3) == 0) {
        const char *e = c + 3;
        while (is_ws((uint8_t)*e))
            e++;
        if (*e == '=') {
            c = e + 1;
            while (is_ws((uint8_t)*c))
                c++;
        }
    }
    char q = 0;
    if (*c == '"' || *c == '\'')
        q = *c++;
    size_t n = q ? strcspn(c, q == '"' ? "\"" : "'") : strlen(c);
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, c, n);
    buf[n] = '\0';
    return true;
}

static void element(struct walk *w, const GumboElement *e)
{
    if (e->tag_namespace == GUMBO_NAMESPACE_SVG) {
        /* SVG 2 href, or xlink:href (gumbo names both "href"). */
        if (e->tag == GUMBO_TAG_A)
            add(w, attr(e, "href"), PAGE_LINK);
        else if (e->tag == GUMBO_TAG_IMAGE)
            add(w, attr(e, "href"), PAGE_IMG);
        return;
    }
    if (e->tag_namespace != GUMBO_NAMESPACE_HTML)
        return;
    switch (e->tag) {
    case GUMBO_TAG_A:
    case GUMBO_TAG_AREA:
        add(w, attr(e, "href"), PAGE_LINK);
        break;
    case GUMBO_TAG_IMG:
        add(w, attr(e, "src"), PAGE_IMG);
        add_srcset(w, attr(e, "srcset"), PAGE_IMG);
        break;
    case GUMBO_TAG_INPUT: {
        const char *t = attr(e, "type");
        if (t && strcasecmp(t, "image") == 0)
            add(w, attr(e, "src"), PAGE_IMG);
        break;
    }
    case GUMBO_TAG_SCRIPT:
        add(w, attr(e, "src"), PAGE_SCRIPT);
        break;
    case GUMBO_TAG_LINK: {
        const char *rel = attr(e, "rel");
        if (has_token(rel, "stylesheet"))
            add(w, attr(e, "href"), PAGE_STYLE);
        else if (has_token(rel, "icon"))
            add(w, attr(e, "href"), PAGE_ICON);
        break;
    }
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAME:
        add(w, attr(e, "src"), PAGE_IFRAME);
        break;
    case GUMBO_TAG_SOURCE:
        add(w, attr(e, "src"), PAGE_SOURCE);
        add_srcset(w, attr(e, "srcset"), PAGE_SOURCE);
        break;
    case GUMBO_TAG_VIDEO:
        add(w, attr(e, "src"), PAGE_VIDEO);
        add(w, attr(e, "poster"), PAGE_VIDEO);
        break;
    case GUMBO_TAG_AUDIO:
        add(w, attr(e, "src"), PAGE_AUDIO);
        break;
    case GUMBO_TAG_EMBED:
        add(w, attr(e, "src"), PAGE_EMBED);
        break;
    case GUMBO_TAG_OBJECT:
        add(w, attr(e, "data"), PAGE_EMBED);
        break;
    case GUMBO_TAG_META: {
        const char *he = attr(e, "http-equiv"), *c = attr(e, "content");
        char buf[URL_MAX + 1];
        if (!w->out->refresh_url && he && c && strcasecmp(he, "refresh") == 0 &&
            refresh_target(c, buf, sizeof buf))
            w->out->refresh_url = url_resolve(w->base, buf);
        break;
    }
    default:
        break;
    }
}

/* Depth-first over elements in document order; fn returns false to stop.
 * Template contents are not entered. false when out of memory. */
static bool walk_tree(const GumboNode *root, bool (*fn)(void *, const GumboElement *), void *arg)
{
    size_t cap = 256, sp = 0;
    const GumboNode **stack = malloc(cap * sizeof *stack);
    if (!stack)
        return false;
    stack[sp++] = root;
    while (sp) {
        const GumboNode *n = stack[--sp];
        const GumboVector *c;
        if (n->type == GUMBO_NODE_DOCUMENT) {
            c = &n->v.document.children;
        } else if (n->type == GUMBO_NODE_ELEMENT) {
            if (!fn(arg, &n->v.element))
                break;
            c = &n->v.element.children;
        } else {
            continue; /* text, comments, and GUMBO_NODE_TEMPLATE */
        }
        if (c->length > cap - sp) {
            size_t nc = cap;
            while (c->length > nc - sp)
                nc *= 2;
            const GumboNode **ns = realloc(stack, nc * sizeof *ns);
            if (!ns) {
                free(stack);
                return false;
            }
            stack = ns;
            cap = nc;
        }
        for (size_t i = c->length; i > 0; i--)
            stack[sp++] = c->data[i - 1];
    }
    free(stack);
    return true;
}

struct base_find {
    const char *href;
};

static bool find_base(void *arg, const GumboElement *e)
{
    struct base_find *b = arg;
    if (e->tag == GUMBO_TAG_BASE && e->tag_namespace == GUMBO_NAMESPACE_HTML &&
        (b->href = attr(e, "href")) != NULL)
        return false;
    return true;
}

static bool collect(void *arg, const GumboElement *e)
{
    struct walk *w = arg;
    element(w, e);
    return !w->nomem;
}

int page_extract(const char *page_url, const uint8_t *html, size_t len,
                 const struct page_limits *lim, struct page_extract *out)
{
    memset(out, 0, sizeof *out);
    struct page_limits l;
    page_limits_default(&l);
    if (lim) {
        if (lim->max_input)
            l.max_input = lim->max_input;
        if (lim->max_links)
            l.max_links = lim->max_links;
        if (lim->max_resources)
            l.max_resources = lim->max_resources;
        if (lim->max_depth)
            l.max_depth = lim->max_depth;
        if (lim->max_elements)
            l.max_elements = lim->max_elements;
    }
    if (page_url) {
        out->base_url = url_resolve(NULL, page_url);
    }
    if (!html)
        len = 0;
    if (len > l.max_input) {
        len = l.max_input;
        out->cut = PAGE_CUT_SIZE;
    }
    bool nomem = false;
    enum page_cut gcut = PAGE_CUT_NONE;
    size_t n = guard(html, len, &l, &gcut, &nomem);
    if (nomem)
        return -1;
    if (gcut != PAGE_CUT_NONE && out->cut == PAGE_CUT_NONE)
        out->cut = (uint8_t)gcut;
    out->input_truncated = out->cut != PAGE_CUT_NONE;
    out->parsed_bytes = n;
    GumboOptions opt = kGumboDefaultOptions;
    opt.max_errors = 0;
    GumboOutput *g = gumbo_parse_with_options(&opt, n ? (const char *)html : "", n);
    if (!g)
        return -1;
    out->parsed = true;
    struct base_find bf = {NULL};
    bool ok = walk_tree(g->document, find_base, &bf);
    if (ok && bf.href && out->base_url) {
        char *nb = url_resolve(out->base_url, bf.href);
        if (nb) {
            free(out->base_url);
            out->base_url = nb;
        }
    } else if (ok && bf.href && !out->base_url) {
        out->base_url = url_resolve(NULL, bf.href);
    }
    struct walk w = {.lim = &l, .out = out, .base = out->base_url};
    if (ok)
        ok = walk_tree(g->document, collect, &w);
    free(w.dl.h);
    free(w.dl.idx);
    free(w.dr.h);
    free(w.dr.idx);
    gumbo_destroy_output(&opt, g);
    return ok && !w.nomem ? 0 : -1;
}

void page_extract_release(struct page_extract *pe)
{
    if (!pe)
        return;
    for (size_t i = 0; i < pe->n_links; i++)
        free(pe->links[i].url);
    for (size_t i = 0; i < pe->n_res; i++)
        free(pe->res[i].url);
    free(pe->links);
    free(pe->res);
    free(pe->base_url);
    free(pe->refresh_url);
    memset(pe, 0, sizeof *pe);
}

/* The host of a URL in normal form (scheme "://" host [":" port] "/"...),
 * brackets of an IPv6 literal dropped. */
static bool normal_host(const char *u, char *buf, size_t cap)
{
    const char *h = strstr(u, "://");
    if (!h)
        return false;
    h += 3;
    size_t n;
    if (*h == '[') {
        h++;
        n = strcspn(h, "]");
    } else {
        n = strcspn(h, ":/");
    }
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, h, n);
    buf[n] = '\0';
    return true;
}

size_t page_internal_links(const struct url_psl *psl, const struct page_extract *pe,
                           const char *site_host, const char *self_url, const char **out)
{
    char *self = self_url ? url_resolve(NULL, self_url) : NULL;
    char site_rd[URL_HOST_MAX];
    bool have_rd = url_registrable(psl, site_host, site_rd, sizeof site_rd);
    size_t k = 0;
    for (size_t i = 0; i < pe->n_links; i++) {
        const char *u = pe->links[i].url;
        char host[URL_HOST_MAX], rd[URL_HOST_MAX];
        if ((self && strcmp(u, self) == 0) || !normal_host(u, host, sizeof host))
            continue;
        /* The site's registrable domain is computed once; hosts without
         * one (IP literals, suffixes) take the general rule. */
        bool same = have_rd ? url_registrable(psl, host, rd, sizeof rd) && strcmp(rd, site_rd) == 0
                            : url_same_site(psl, host, site_host);
        if (same)
            out[k++] = u;
    }
    free(self);
    return k;
}

/* ======================================================================
 * Sampling
 * ====================================================================== */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

void page_sample(uint64_t seed, size_t n, size_t k, size_t *out_idx)
{
    if (k >= n) {
        for (size_t i = 0; i < n; i++)
            out_idx[i] = i;
        return;
    }
    if (k == 0)
        return;
    size_t *perm = malloc(n * sizeof *perm);
    if (!perm) {
        for (size_t i = 0; i < k; i++)
            out_idx[i] = i * (n / k);
        return;
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    uint64_t s = seed;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)(splitmix64(&s) % (uint64_t)(n - i));
        size_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    memcpy(out_idx, perm, k * sizeof *out_idx);
    free(perm);
    qsort(out_idx, k, sizeof *out_idx, cmp_size);
}
