/*
 * probe/video_dash.c - DASH MPDs (ISO/IEC 23009-1) for the video player
 * model, read with a small bounded XML tokenizer of our own.
 *
 * Why not libxml2: we need a dozen elements and their attributes from a
 * machine-written file; a streaming tokenizer of ~250 lines is bounded by
 * construction (no entity expansion beyond the five predefined ones and
 * character references, no DTD processing, a depth cap, an attribute cap)
 * and is one dependency less. The tokenizer is tolerant where it costs
 * nothing: comments, processing instructions, DOCTYPE (with an internal
 * subset) and CDATA are skipped or read as text, namespace prefixes are
 * dropped ("mpd:Period" is "Period"), and a close tag that does not match
 * the open element closes the innermost element of that name (or is
 * ignored). It is strict where a guess would be wrong: unquoted attribute
 * values, an unterminated tag, comment or CDATA are errors naming the line.
 *
 * What is read (section numbers of 23009-1, 4th edition):
 *   MPD@type (5.3.1.2; "dynamic", live, is unsupported: which segment is
 *     live depends on the wall clock), @mediaPresentationDuration;
 *   the first Period (@start, @duration; later Periods are ignored);
 *   AdaptationSet (5.3.3) with @contentType/@mimeType/@codecs: audio,
 *     text, image and application sets are skipped and counted; a set
 *     that says nothing is kept unless its codecs are audio ones;
 *   Representation (5.3.5) @id, @bandwidth, @width, @height, @codecs,
 *     @mimeType (inherited from the AdaptationSet);
 *   BaseURL (5.6) at MPD, Period, AdaptationSet and Representation level:
 *     the first of each level, resolved against the level above;
 *   SegmentTemplate (5.3.9.4) at Period, AdaptationSet or Representation
 *     level, attributes inherited downwards: @media, @initialization,
 *     @timescale (1), @duration, @startNumber (1),
 *     @presentationTimeOffset, and SegmentTimeline (5.3.9.6) S@t/@d/@r
 *     (@r = -1 repeats up to the next S@t or the end of the Period);
 *     identifiers (5.3.9.4.4) $$, $RepresentationID$, $Number$,
 *     $Bandwidth$, $Time$, with %0<width>d on the last three;
 *   SegmentList (5.3.9.3) with @duration/@timescale or a timeline,
 *     Initialization@sourceURL/@range, SegmentURL@media/@mediaRange.
 *   SegmentBase (5.3.9.2) with @indexRange and Initialization@range: one
 *     indexed file (the BaseURL); the track is marked needs_index and the
 *     player reads its sidx box for the segments (video_sidx.c).
 *   A Representation with a SegmentBase without @indexRange, or with no
 *   segment information, is skipped and counted.
 * With @duration the segment count is ceil(Period duration * timescale /
 * duration), the last segment being the remainder.
 *
 * Bounds: depth 64, 64 attributes a tag, names 256 bytes, every expanded
 * URL and BaseURL text limits.max_line / URL_MAX bytes, S and SegmentURL
 * entries limits.max_segments per level, segments per track and in all as
 * in video_limits. A SegmentTimeline that would make 10^12 segments is
 * counted arithmetically, not walked.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/url.h"
#include "probe/video_int.h"
#include "util/strutil.h"

#define XML_MAX_DEPTH 64
#define XML_MAX_ATTRS 64
#define XML_NAME_MAX 256

struct span {
    const char *p;
    size_t n;
};

static bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.p && s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool span_starts(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.p && s.n >= n && memcmp(s.p, lit, n) == 0;
}

static struct span span_trim(struct span s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\r' ||
                   s.p[s.n - 1] == '\n'))
        s.n--;
    return s;
}

/* ---- tokenizer ---- */

enum xk { XK_EOF, XK_OPEN, XK_CLOSE, XK_TEXT, XK_ERR };

struct xattr {
    struct span name, val; /* local name; raw value (entities not decoded) */
};

struct xev {
    struct span name; /* local name */
    bool empty;       /* <x/> */
    unsigned na;
    struct xattr a[XML_MAX_ATTRS];
    struct span text;
    size_t at;        /* offset of the token */
};

enum lvl { L_MPD = 0, L_PERIOD, L_AS, L_REP, L_N };

struct sent {
    bool has_t;
    uint64_t t, d;
    int64_t r;
};

struct surl {
    struct span media, range;
};

struct seginfo {
    bool tmpl, list, base;
    struct span media, init, init_src, init_range, index_range;
    bool has_timescale, has_duration, has_start, has_pto;
    uint64_t timescale, duration, start_number, pto;
    bool has_timeline;
    struct sent *s;
    size_t n_s;
    struct surl *u;
    size_t n_u;
};

struct level {
    struct seginfo si;
    char *base; /* resolved BaseURL of this level */
    struct span mime, content_type, codecs, id;
    size_t at; /* offset of the element's open tag (messages) */
    bool has_w, has_h, has_bw;
    uint64_t width, height, bandwidth;
};

struct dash {
    struct vparse *p;
    const char *doc;
    size_t len, pos;
    const char *docurl;
    struct level lv[L_N];
    struct span stack[XML_MAX_DEPTH];
    size_t depth;
    size_t skip_depth; /* > 0: inside an ignored element opened at this depth */
    int in_seg;        /* level of the open SegmentTemplate/List/Base, or -1 */
    int baseurl_level; /* level of the open BaseURL, or -1 */
    char text[URL_MAX + 1];
    size_t text_n;
    unsigned periods;
    bool has_mpd_dur, has_period_dur;
    double mpd_dur, period_dur, period_start;
};

static size_t line_of(const struct dash *d, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off && i < d->len; i++)
        if (d->doc[i] == '\n')
            line++;
    return line;
}

static int xfail(struct dash *d, size_t off, const char *what)
{
    return vp_fail(d->p, VIDEO_MANIFEST_INVALID, "MPD line %zu: %s", line_of(d, off), what);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_ch(char c)
{
    return !is_space(c) && c != '/' && c != '>' && c != '=' && c != '<' && c != '"' && c != '\'';
}

/* Offset of lit in doc[from, len), or len. */
static size_t find(const struct dash *d, size_t from, const char *lit)
{
    size_t n = strlen(lit);
    while (from < d->len) {
        const char *c = memchr(d->doc + from, lit[0], d->len - from);
        if (!c)
            break;
        size_t i = (size_t)(c - d->doc);
        if (d->len - i >= n && memcmp(c, lit, n) == 0)
            return i;
        from = i + 1;
    }
    return d->len;
}

static struct span local_name(struct span s)
{
    for (size_t i = s.n; i > 0; i--)
        if (s.p[i - 1] == ':')
            return (struct span){s.p + i, s.n - i};
    return s;
}

static bool starts_at(const struct dash *d, size_t i, const char *lit)
{
    size_t n = strlen(lit);
    return d->len - i >= n && memcmp(d->doc + i, lit, n) == 0;
}

static enum xk xml_next(struct dash *d, struct xev *ev)
{
    const char *s = d->doc;
    size_t n = d->len;
    for (;;) {
        size_t i = d->pos;
        if (i >= n)
            return XK_EOF;
        ev->at = i;
        if (s[i] != '<') {
            const char *lt = memchr(s + i, '<', n - i);
            size_t j = lt ? (size_t)(lt - s) : n;
            ev->text = (struct span){s + i, j - i};
            d->pos = j;
            return XK_TEXT;
        }
        if (starts_at(d, i, "<!--")) {
            size_t e = find(d, i + 4, "-->");
            if (e >= n)
                return xfail(d, i, "unterminated comment"), XK_ERR;
            d->pos = e + 3;
            continue;
        }
        if (starts_at(d, i, "<![CDATA[")) {
            size_t e = find(d, i + 9, "]]>");
            if (e >= n)
                return xfail(d, i, "unterminated CDATA section"), XK_ERR;
            ev->text = (struct span){s + i + 9, e - i - 9};
            d->pos = e + 3;
            return XK_TEXT;
        }
        if (starts_at(d, i, "<?")) {
            size_t e = find(d, i + 2, "?>");
            if (e >= n)
                return xfail(d, i, "unterminated processing instruction"), XK_ERR;
            d->pos = e + 2;
            continue;
        }
        if (starts_at(d, i, "<!")) {
            /* DOCTYPE and friends; an internal subset is in brackets. */
            size_t j = i + 2, br = 0;
            while (j < n && !(s[j] == '>' && br == 0)) {
                if (s[j] == '[')
                    br++;
                else if (s[j] == ']' && br)
                    br--;
                j++;
            }
            if (j >= n)
                return xfail(d, i, "unterminated <! declaration"), XK_ERR;
            d->pos = j + 1;
            continue;
        }
        bool close = i + 1 < n && s[i + 1] == '/';
        size_t j = i + (close ? 2 : 1), ns = j;
        while (j < n && is_name_ch(s[j]))
            j++;
        if (j == ns || j - ns > XML_NAME_MAX)
            return xfail(d, i, "bad element name"), XK_ERR;
        ev->name = local_name((struct span){s + ns, j - ns});
        ev->na = 0;
        ev->empty = false;
        if (close) {
            while (j < n && is_space(s[j]))
                j++;
            if (j >= n || s[j] != '>')
                return xfail(d, i, "unterminated close tag"), XK_ERR;
            d->pos = j + 1;
            return XK_CLOSE;
        }
        for (;;) {
            while (j < n && is_space(s[j]))
                j++;
            if (j >= n)
                return xfail(d, i, "unterminated tag"), XK_ERR;
            if (s[j] == '>') {
                d->pos = j + 1;
                return XK_OPEN;
            }
            if (s[j] == '/') {
                if (j + 1 >= n || s[j + 1] != '>')
                    return xfail(d, j, "'/' inside a tag"), XK_ERR;
                ev->empty = true;
                d->pos = j + 2;
                return XK_OPEN;
            }
            size_t an = j;
            while (j < n && is_name_ch(s[j]))
                j++;
            if (j == an || j - an > XML_NAME_MAX)
                return xfail(d, an, "bad attribute name"), XK_ERR;
            struct span aname = {s + an, j - an};
            while (j < n && is_space(s[j]))
                j++;
            if (j >= n || s[j] != '=')
                return xfail(d, an, "attribute without a value"), XK_ERR;
            j++;
            while (j < n && is_space(s[j]))
                j++;
            if (j >= n || (s[j] != '"' && s[j] != '\''))
                return xfail(d, an, "attribute value not in quotes"), XK_ERR;
            const char *q = memchr(s + j + 1, s[j], n - j - 1);
            if (!q)
                return xfail(d, an, "unterminated attribute value"), XK_ERR;
            if (ev->na >= XML_MAX_ATTRS)
                return xfail(d, i, "more than 64 attributes in a tag"), XK_ERR;
            ev->a[ev->na].name = local_name(aname);
            ev->a[ev->na].val = (struct span){s + j + 1, (size_t)(q - s) - j - 1};
            ev->na++;
            j = (size_t)(q - s) + 1;
            if (j < n && !is_space(s[j]) && s[j] != '>' && s[j] != '/')
                return xfail(d, j, "no space between attributes"), XK_ERR;
        }
    }
}

static bool attr(const struct xev *ev, const char *name, struct span *out)
{
    for (unsigned i = 0; i < ev->na; i++)
        if (span_is(ev->a[i].name, name)) {
            *out = ev->a[i].val;
            return true;
        }
    return false;
}

/* Append code point cp as UTF-8. */
static size_t put_utf8(char *o, size_t room, uint32_t cp)
{
    if (cp < 0x80 && room >= 1) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800 && room >= 2) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000 && room >= 3) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    if (cp < 0x110000 && room >= 4) {
        o[0] = (char)(0xF0 | (cp >> 18));
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
    }
    return 0;
}

/* Decode the predefined entities and character references of s into
 * out[cap] (NUL-terminated). An unknown entity stays as written. Returns
 * the length, or (size_t)-1 when it does not fit. */
static size_t xml_decode(struct span s, char *out, size_t cap)
{
    static const struct {
        const char *name;
        char c;
    } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    size_t o = 0;
    for (size_t i = 0; i < s.n;) {
        if (o + 1 >= cap)
            return (size_t)-1;
        if (s.p[i] != '&') {
            out[o++] = s.p[i++];
            continue;
        }
        size_t rest = s.n - i - 1;
        const char *r = s.p + i + 1;
        bool done = false;
        for (size_t k = 0; k < sizeof ents / sizeof *ents; k++) {
            size_t l = strlen(ents[k].name);
            if (rest >= l && memcmp(r, ents[k].name, l) == 0) {
                out[o++] = ents[k].c;
                i += 1 + l;
                done = true;
                break;
            }
        }
        if (!done && rest >= 2 && r[0] == '#') {
            bool hex = r[1] == 'x' || r[1] == 'X';
            size_t j = hex ? 2 : 1;
            uint32_t cp = 0;
            size_t digits = 0;
            for (; j < rest && digits < 8; j++, digits++) {
                char c = r[j];
                unsigned v;
                if (c >= '0' && c <= '9')
                    v = (unsigned)(c - '0');
                else if (hex && c >= 'a' && c <= 'f')
                    v = (unsigned)(c - 'a' + 10);
                else if (hex && c >= 'A' && c <= 'F')
                    v = (unsigned)(c - 'A' + 10);
                else
                    break;
                cp = cp * (hex ? 16 : 10) + v;
            }
            if (digits && j < rest && r[j] == ';' && cp > 0 && cp < 0x110000) {
                size_t w = put_utf8(out + o, cap - o - 1, cp);
                if (!w)
                    return (size_t)-1;
                o += w;
                i += 1 + j + 1;
                done = true;
            }
        }
        if (!done)
            out[o++] = s.p[i++];
    }
    out[o] = '\0';
    return o;
}

static bool span_u64(struct span s, uint64_t *out)
{
    s = span_trim(s);
    return vp_u64(s.p, s.n, out);
}

/* xs:duration restricted to days, hours, minutes and (decimal) seconds:
 * "PT1H2M3.5S", "P1DT2H", "PT0S". Years and months have no fixed length. */
static bool parse_duration(struct span s, double *out)
{
    s = span_trim(s);
    if (s.n < 2 || s.p[0] != 'P')
        return false;
    double total = 0;
    bool in_t = false, any = false;
    size_t i = 1;
    while (i < s.n) {
        if (s.p[i] == 'T') {
            if (in_t)
                return false;
            in_t = true;
            i++;
            continue;
        }
        size_t j = i;
        while (j < s.n && ((s.p[j] >= '0' && s.p[j] <= '9') || s.p[j] == '.'))
            j++;
        if (j == i || j >= s.n)
            return false;
        double v;
        if (!vp_decimal(s.p + i, j - i, &v))
            return false;
        char u = s.p[j];
        if (!in_t && u == 'D')
            total += v * 86400;
        else if (in_t && u == 'H')
            total += v * 3600;
        else if (in_t && u == 'M')
            total += v * 60;
        else if (in_t && u == 'S')
            total += v;
        else
            return false;
        any = true;
        i = j + 1;
    }
    if (!any || !(total <= VIDEO_MAX_DURATION_S))
        return false;
    *out = total;
    return true;
}

/* ---- levels ---- */

static void seginfo_release(struct seginfo *si)
{
    free(si->s);
    free(si->u);
    memset(si, 0, sizeof *si);
}

static void level_reset(struct level *l)
{
    seginfo_release(&l->si);
    free(l->base);
    memset(l, 0, sizeof *l);
}

static const char *effective_base(const struct dash *d, int level)
{
    for (int k = level; k >= 0; k--)
        if (d->lv[k].base)
            return d->lv[k].base;
    return d->docurl;
}

/* Kind of content from @contentType, else the @mimeType's top type:
 * "video", "audio"... or "" when neither says. */
static struct span content_kind(struct span content_type, struct span mime)
{
    if (content_type.p)
        return span_trim(content_type);
    if (mime.p) {
        mime = span_trim(mime);
        const char *sl = memchr(mime.p, '/', mime.n);
        return (struct span){mime.p, sl ? (size_t)(sl - mime.p) : mime.n};
    }
    return (struct span){"", 0};
}

static bool audio_codecs(struct span c)
{
    static const char *const a[] = {"mp4a", "ac-3", "ec-3", "ac-4", "opus", "flac", "vorbis",
                                    "stpp", "wvtt", "dtsc"};
    c = span_trim(c);
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        if (span_starts(c, a[i]))
            return true;
    return false;
}

static bool non_video(struct span kind, struct span codecs)
{
    if (kind.n)
        return !span_is(kind, "video");
    return codecs.p && audio_codecs(codecs);
}

static int read_dims(struct dash *d, const struct xev *ev, struct level *l)
{
    struct span v;
    if (attr(ev, "width", &v)) {
        if (!span_u64(v, &l->width) || l->width > 1000000)
            return xfail(d, ev->at, "@width is not an integer");
        l->has_w = true;
    }
    if (attr(ev, "height", &v)) {
        if (!span_u64(v, &l->height) || l->height > 1000000)
            return xfail(d, ev->at, "@height is not an integer");
        l->has_h = true;
    }
    attr(ev, "mimeType", &l->mime);
    attr(ev, "codecs", &l->codecs);
    attr(ev, "contentType", &l->content_type);
    return 0;
}

static int read_seginfo(struct dash *d, const struct xev *ev, struct seginfo *si)
{
    struct span v;
    attr(ev, "media", &si->media);
    attr(ev, "initialization", &si->init);
    attr(ev, "indexRange", &si->index_range);
    if (attr(ev, "timescale", &v)) {
        if (!span_u64(v, &si->timescale) || si->timescale == 0)
            return xfail(d, ev->at, "@timescale is not a positive integer");
        si->has_timescale = true;
    }
    if (attr(ev, "duration", &v)) {
        if (!span_u64(v, &si->duration))
            return xfail(d, ev->at, "@duration is not an integer");
        si->has_duration = true;
    }
    if (attr(ev, "startNumber", &v)) {
        if (!span_u64(v, &si->start_number))
            return xfail(d, ev->at, "@startNumber is not an integer");
        si->has_start = true;
    }
    if (attr(ev, "presentationTimeOffset", &v)) {
        if (!span_u64(v, &si->pto))
            return xfail(d, ev->at, "@presentationTimeOffset is not an integer");
        si->has_pto = true;
    }
    return 0;
}

static int add_s(struct dash *d, const struct xev *ev, struct seginfo *si)
{
    struct span v;
    struct sent e = {0};
    if (attr(ev, "t", &v)) {
        if (!span_u64(v, &e.t))
            return xfail(d, ev->at, "S@t is not an integer");
        e.has_t = true;
    }
    if (!attr(ev, "d", &v) || !span_u64(v, &e.d) || e.d == 0)
        return xfail(d, ev->at, "S without a positive @d");
    if (attr(ev, "r", &v)) {
        v = span_trim(v);
        uint64_t r;
        if (span_is(v, "-1"))
            e.r = -1;
        else if (vp_u64(v.p, v.n, &r) && r <= (uint64_t)INT64_MAX)
            e.r = (int64_t)r;
        else
            return xfail(d, ev->at, "S@r is not an integer >= -1");
    }
    if (si->n_s >= d->p->lim->max_segments)
        return 0; /* only adds segments past the cap */
    if ((si->n_s & (si->n_s - 1)) == 0) {
        size_t cap = si->n_s ? si->n_s * 2 : 8;
        struct sent *ns = realloc(si->s, cap * sizeof *ns);
        if (!ns)
            return vp_fail(d->p, VIDEO_NO_MEMORY, "out of memory");
        si->s = ns;
    }
    si->s[si->n_s++] = e;
    return 0;
}

static int add_url(struct dash *d, const struct xev *ev, struct seginfo *si)
{
    struct surl u = {{NULL, 0}, {NULL, 0}};
    attr(ev, "media", &u.media);
    attr(ev, "mediaRange", &u.range);
    if (si->n_u >= d->p->lim->max_segments)
        return 0;
    if ((si->n_u & (si->n_u - 1)) == 0) {
        size_t cap = si->n_u ? si->n_u * 2 : 8;
        struct surl *nu = realloc(si->u, cap * sizeof *nu);
        if (!nu)
            return vp_fail(d->p, VIDEO_NO_MEMORY, "out of memory");
        si->u = nu;
    }
    si->u[si->n_u++] = u;
    return 0;
}

/* ---- building a Representation's track ---- */

struct rep {
    struct dash *d;
    size_t at;             /* offset of the Representation, for messages */
    char id[URL_MAX + 1];  /* decoded @id */
    uint64_t bandwidth;
    const char *base;      /* effective base of the Representation */
    struct video_track *t;
    bool tmpl;
    struct seginfo si;     /* merged attributes (spans borrowed, arrays borrowed) */
};

static int rfail(struct rep *r, enum video_status st, const char *what)
{
    return vp_fail(r->d->p, st, "MPD line %zu: Representation '%.60s': %s",
                   line_of(r->d, r->at), r->id, what);
}

/* Expand a SegmentTemplate string. number/time are used only when
 * allow_nt; else $Number$ and $Time$ are errors (initialization). */
static int expand(struct rep *r, struct span tmpl, bool allow_nt, uint64_t number, uint64_t time,
                  char *out, size_t cap)
{
    size_t max = r->d->p->lim->max_line + 1;
    if (cap > max)
        cap = max;
    char raw[URL_MAX + 1];
    size_t n = xml_decode(tmpl, raw, sizeof raw);
    if (n == (size_t)-1)
        return rfail(r, VIDEO_LIMIT, "template longer than 2048 bytes");
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (raw[i] != '$') {
            if (o + 1 >= cap)
                return rfail(r, VIDEO_LIMIT, "expanded template too long");
            out[o++] = raw[i++];
            continue;
        }
        const char *e = memchr(raw + i + 1, '$', n - i - 1);
        if (!e)
            return rfail(r, VIDEO_MANIFEST_INVALID, "unterminated $identifier$ in a template");
        struct span id = {raw + i + 1, (size_t)(e - raw) - i - 1};
        i = (size_t)(e - raw) + 1;
        if (id.n == 0) {
            if (o + 1 >= cap)
                return rfail(r, VIDEO_LIMIT, "expanded template too long");
            out[o++] = '$';
            continue;
        }
        const char *pct = memchr(id.p, '%', id.n);
        struct span name = {id.p, pct ? (size_t)(pct - id.p) : id.n};
        unsigned width = 0;
        if (pct) {
            /* %0<width>d */
            size_t fl = id.n - name.n;
            uint64_t w = 0;
            if (fl < 3 || pct[1] != '0' || pct[fl - 1] != 'd' || (fl > 3 && !vp_u64(pct + 2, fl - 3, &w)))
                return rfail(r, VIDEO_MANIFEST_INVALID, "bad format tag in a template identifier");
            width = fl > 3 ? (unsigned)(w > 64 ? 64 : w) : 1;
        }
        char val[URL_MAX + 1];
        int vn;
        if (span_is(name, "RepresentationID")) {
            if (pct)
                return rfail(r, VIDEO_MANIFEST_INVALID, "format tag on $RepresentationID$");
            vn = snprintf(val, sizeof val, "%s", r->id);
        } else if (span_is(name, "Bandwidth")) {
            vn = snprintf(val, sizeof val, "%0*llu", (int)width, (unsigned long long)r->bandwidth);
        } else if (span_is(name, "Number") || span_is(name, "Time")) {
            if (!allow_nt)
                return rfail(r, VIDEO_MANIFEST_INVALID,
                             "$Number$ or $Time$ in an initialization template");
            uint64_t x = span_is(name, "Number") ? number : time;
            vn = snprintf(val, sizeof val, "%0*llu", (int)width, (unsigned long long)x);
        } else {
            return rfail(r, VIDEO_MANIFEST_INVALID, "unknown template identifier");
        }
        if (vn < 0 || (size_t)vn >= sizeof val || o + (size_t)vn >= cap)
            return rfail(r, VIDEO_LIMIT, "expanded template too long");
        memcpy(out + o, val, (size_t)vn);
        o += (size_t)vn;
    }
    out[o] = '\0';
    return (int)o;
}

static int rep_url(struct rep *r, const char *ref, size_t n, char **out)
{
    char what[160];
    snprintf(what, sizeof what, "MPD line %zu: Representation '%.60s': URL", line_of(r->d, r->at),
             r->id);
    *out = vp_url(r->d->p, r->base, ref, n, what);
    return *out ? 0 : -1;
}

/* A decoded attribute span as a URL; an absent one is the base itself. */
static int span_url(struct rep *r, struct span s, char **out)
{
    if (!s.p) {
        if (!r->base)
            return rfail(r, VIDEO_MANIFEST_INVALID, "no media URL and no BaseURL");
        *out = strdup(r->base);
        return *out ? 0 : vp_fail(r->d->p, VIDEO_NO_MEMORY, "out of memory");
    }
    char buf[URL_MAX + 1];
    size_t n = xml_decode(span_trim(s), buf, sizeof buf);
    if (n == (size_t)-1)
        return rfail(r, VIDEO_LIMIT, "URL longer than 2048 bytes");
    return rep_url(r, buf, n, out);
}

static bool parse_media_range(struct span s, uint64_t *off, uint64_t *len)
{
    s = span_trim(s);
    const char *dash = memchr(s.p, '-', s.n);
    uint64_t a, b;
    if (!dash || !vp_u64(s.p, (size_t)(dash - s.p), &a) ||
        !vp_u64(dash + 1, s.n - (size_t)(dash - s.p) - 1, &b) || b < a || b == UINT64_MAX)
        return false;
    *off = a;
    *len = b - a + 1;
    return true;
}

/* Add one segment; 1 when a cap stops the track, -1 on failure. */
static int push_seg(struct rep *r, char *url, double dur, uint64_t number, uint64_t off,
                    uint64_t len, unsigned init)
{
    bool capped;
    struct video_segment *s = vp_add_segment(r->d->p, r->t, &capped);
    if (!s) {
        free(url);
        return capped ? 1 : -1;
    }
    s->url = url;
    s->duration_s = dur;
    s->number = number;
    s->range_off = off;
    s->range_len = len;
    s->init = (uint8_t)init;
    r->t->total_s += dur;
    return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Segments of a timeline: calls back per segment (time, duration in
 * ticks); counts the rest arithmetically once the track is capped. */
static int timeline_walk(struct rep *r, const struct seginfo *si, uint64_t ts, unsigned init,
                         bool tmpl, const struct surl *urls, size_t n_urls)
{
    struct dash *d = r->d;
    uint64_t t = 0, k = 0;
    double period_end = d->has_period_dur ? (double)si->pto + d->period_dur * (double)ts : -1;
    bool capped = false;
    for (size_t i = 0; i < si->n_s; i++) {
        const struct sent *e = &si->s[i];
        if (e->has_t)
            t = e->t;
        uint64_t count;
        if (e->r >= 0) {
            count = (uint64_t)e->r + 1;
        } else {
            double end;
            if (i + 1 < si->n_s && si->s[i + 1].has_t)
                end = (double)si->s[i + 1].t;
            else if (period_end >= 0)
                end = period_end;
            else
                return rfail(r, VIDEO_MANIFEST_INVALID,
                             "S@r=-1 with no next S@t and no Period duration");
            double c = end > (double)t ? ceil((end - (double)t) / (double)e->d) : 0;
            count = c >= 1e18 ? (uint64_t)1e18 : (uint64_t)c;
        }
        for (uint64_t c = 0; c < count; c++) {
            if (capped || (!tmpl && k >= n_urls)) {
                r->t->n_seg_dropped = sat_add(r->t->n_seg_dropped, count - c);
                break;
            }
            char *url = NULL;
            uint64_t off = 0, len = 0;
            if (tmpl) {
                char buf[URL_MAX + 1];
                int n = expand(r, si->media, true, sat_add(si->start_number, k), t, buf, sizeof buf);
                if (n < 0 || rep_url(r, buf, (size_t)n, &url) < 0)
                    return -1;
            } else {
                if (span_url(r, urls[k].media, &url) < 0)
                    return -1;
                if (urls[k].range.p && !parse_media_range(urls[k].range, &off, &len)) {
                    free(url);
                    return rfail(r, VIDEO_MANIFEST_INVALID, "SegmentURL@mediaRange is not a-b");
                }
            }
            int rc = push_seg(r, url, (double)e->d / (double)ts, sat_add(si->start_number, k), off,
                              len, init);
            if (rc < 0)
                return -1;
            if (rc > 0) {
                capped = true;
                r->t->n_seg_dropped = sat_add(r->t->n_seg_dropped, count - c - 1);
                break;
            }
            t = sat_add(t, e->d);
            k++;
        }
        if (capped && i + 1 < si->n_s) {
            /* later S entries: count their repeats (r = -1 ones as 1) */
            for (size_t j = i + 1; j < si->n_s; j++)
                r->t->n_seg_dropped =
                    sat_add(r->t->n_seg_dropped, si->s[j].r >= 0 ? (uint64_t)si->s[j].r + 1 : 1);
            break;
        }
    }
    return 0;
}

static int build_rep(struct dash *d, size_t at)
{
    struct video_manifest *m = d->p->m;
    struct level *as = &d->lv[L_AS], *rp = &d->lv[L_REP];
    if (m->n_variants >= d->p->lim->max_variants) {
        m->n_variants_dropped++;
        return 0;
    }
    /* The most specific level with segment information decides the kind;
     * SegmentBase (segments in the file's sidx) only when there is neither
     * a template nor a list, and only with an @indexRange to read. */
    int kind_level = -1;
    bool tmpl = false, base = false, has_index = false;
    for (int k = L_REP; k >= L_PERIOD; k--) {
        const struct seginfo *si = &d->lv[k].si;
        if (si->tmpl || si->list) {
            kind_level = k;
            tmpl = si->tmpl;
            break;
        }
    }
    if (kind_level < 0) {
        for (int k = L_REP; k >= L_PERIOD; k--) {
            base |= d->lv[k].si.base;
            has_index |= d->lv[k].si.base && d->lv[k].si.index_range.p;
        }
        if (!base || !has_index) {
            m->n_skipped++; /* nothing, or a SegmentBase without @indexRange */
            return 0;
        }
    }
    struct video_variant *v = &m->variant[m->n_variants];
    memset(v, 0, sizeof *v);
    struct rep r = {.d = d, .at = at, .tmpl = tmpl, .t = &v->track};
    if (rp->id.p && xml_decode(rp->id, r.id, sizeof r.id) == (size_t)-1)
        return vp_fail(d->p, VIDEO_LIMIT, "MPD line %zu: Representation@id too long",
                       line_of(d, at));
    r.bandwidth = rp->bandwidth;
    r.base = effective_base(d, L_REP);
    /* Merge attributes downwards over levels with the same element kind. */
    struct seginfo *si = &r.si;
    for (int k = L_PERIOD; k <= L_REP; k++) {
        const struct seginfo *x = &d->lv[k].si;
        if (!(base ? x->base : tmpl ? x->tmpl : x->list))
            continue;
        if (x->index_range.p)
            si->index_range = x->index_range;
        if (x->media.p)
            si->media = x->media;
        if (x->init.p)
            si->init = x->init;
        if (x->init_src.p)
            si->init_src = x->init_src;
        if (x->init_range.p)
            si->init_range = x->init_range;
        if (x->has_timescale)
            si->has_timescale = true, si->timescale = x->timescale;
        if (x->has_duration)
            si->has_duration = true, si->duration = x->duration;
        if (x->has_start)
            si->has_start = true, si->start_number = x->start_number;
        if (x->has_pto)
            si->has_pto = true, si->pto = x->pto;
        if (x->has_timeline)
            si->has_timeline = true, si->s = x->s, si->n_s = x->n_s;
        if (x->n_u)
            si->u = x->u, si->n_u = x->n_u;
    }
    uint64_t ts = si->has_timescale ? si->timescale : 1;
    if (!si->has_start)
        si->start_number = 1;
    /* Variant description. */
    v->bandwidth = rp->bandwidth;
    v->width = (unsigned)(rp->has_w ? rp->width : as->width);
    v->height = (unsigned)(rp->has_h ? rp->height : as->height);
    struct span codecs = rp->codecs.p ? rp->codecs : as->codecs;
    if (codecs.p) {
        size_t n = codecs.n < sizeof v->codecs - 1 ? codecs.n : sizeof v->codecs - 1;
        memcpy(v->codecs, codecs.p, n);
        v->codecs[n] = '\0';
    }
    util_strlcpy(v->id, r.id, sizeof v->id);
    struct span mime = rp->mime.p ? rp->mime : as->mime;
    mime = span_trim(mime);
    if (span_is(mime, "video/mp4"))
        v->track.container = VIDEO_CT_FMP4;
    else if (span_is(mime, "video/mp2t"))
        v->track.container = VIDEO_CT_TS;
    v->track.endlist = true;
    v->track.media_sequence = si->start_number;
    /* Count the variant now: its track owns what is added below, and the
     * manifest frees it even when building fails half-way. */
    m->n_variants++;
    /* Initialization. */
    unsigned init = 0;
    if (tmpl && si->init.p) {
        char buf[URL_MAX + 1];
        char *url;
        int n = expand(&r, si->init, false, 0, 0, buf, sizeof buf);
        if (n < 0 || rep_url(&r, buf, (size_t)n, &url) < 0)
            return -1;
        init = vp_add_init(d->p, &v->track, url, 0, 0);
        if (!init)
            return -1;
    } else if (si->init_src.p || si->init_range.p) {
        char *url;
        uint64_t off = 0, len = 0;
        if (si->init_range.p && !parse_media_range(si->init_range, &off, &len))
            return rfail(&r, VIDEO_MANIFEST_INVALID, "Initialization@range is not a-b");
        if (span_url(&r, si->init_src, &url) < 0)
            return -1;
        init = vp_add_init(d->p, &v->track, url, off, len);
        if (!init)
            return -1;
    }
    if (base) {
        /* The file is the BaseURL; its segments come from the sidx at
         * @indexRange, which the player reads first (video_track_index). */
        uint64_t off = 0, len = 0;
        if (!parse_media_range(si->index_range, &off, &len))
            return rfail(&r, VIDEO_MANIFEST_INVALID, "SegmentBase@indexRange is not a-b");
        if (span_url(&r, (struct span){0}, &v->track.index.url) < 0)
            return -1;
        v->track.index.range_off = off;
        v->track.index.range_len = len;
        v->track.needs_index = true;
        if (v->track.container == VIDEO_CT_UNKNOWN)
            v->track.container = vp_container_of(v->track.index.url);
        return 0;
    }
    if (si->has_timeline && si->n_s) {
        if (!tmpl && !si->n_u)
            return rfail(&r, VIDEO_MANIFEST_INVALID, "SegmentList without SegmentURL");
        if (tmpl && !si->media.p)
            return rfail(&r, VIDEO_MANIFEST_INVALID, "SegmentTemplate without @media");
        if (timeline_walk(&r, si, ts, init, tmpl, si->u, si->n_u) < 0)
            return -1;
    } else if (tmpl) {
        if (!si->media.p)
            return rfail(&r, VIDEO_MANIFEST_INVALID, "SegmentTemplate without @media");
        if (!si->has_duration || si->duration == 0)
            return rfail(&r, VIDEO_MANIFEST_INVALID,
                         "SegmentTemplate without @duration or SegmentTimeline");
        if (!d->has_period_dur)
            return rfail(&r, VIDEO_MANIFEST_INVALID,
                         "SegmentTemplate@duration without a Period duration or "
                         "mediaPresentationDuration");
        double total = d->period_dur * (double)ts;
        double cnt = ceil(total / (double)si->duration - 1e-9);
        uint64_t n = cnt <= 0 ? 0 : cnt >= 1e18 ? (uint64_t)1e18 : (uint64_t)cnt;
        for (uint64_t k = 0; k < n; k++) {
            double left = total - (double)k * (double)si->duration;
            double dticks = left < (double)si->duration ? left : (double)si->duration;
            char buf[URL_MAX + 1];
            char *url;
            uint64_t number = sat_add(si->start_number, k);
            uint64_t time = sat_add(si->pto, k > UINT64_MAX / si->duration ? UINT64_MAX
                                                                            : k * si->duration);
            int len = expand(&r, si->media, true, number, time, buf, sizeof buf);
            if (len < 0 || rep_url(&r, buf, (size_t)len, &url) < 0)
                return -1;
            int rc = push_seg(&r, url, dticks / (double)ts, number, 0, 0, init);
            if (rc < 0)
                return -1;
            if (rc > 0) {
                v->track.n_seg_dropped = sat_add(v->track.n_seg_dropped, n - k - 1);
                break;
            }
        }
    } else {
        if (!si->n_u)
            return rfail(&r, VIDEO_MANIFEST_INVALID, "SegmentList without SegmentURL");
        double dur;
        if (si->has_duration && si->duration)
            dur = (double)si->duration / (double)ts;
        else if (si->n_u == 1 && d->has_period_dur)
            dur = d->period_dur;
        else
            return rfail(&r, VIDEO_MANIFEST_INVALID,
                         "SegmentList without @duration or SegmentTimeline");
        for (size_t k = 0; k < si->n_u; k++) {
            char *url;
            uint64_t off = 0, len = 0;
            if (span_url(&r, si->u[k].media, &url) < 0)
                return -1;
            if (si->u[k].range.p && !parse_media_range(si->u[k].range, &off, &len)) {
                free(url);
                return rfail(&r, VIDEO_MANIFEST_INVALID, "SegmentURL@mediaRange is not a-b");
            }
            int rc = push_seg(&r, url, dur, sat_add(si->start_number, k), off, len, init);
            if (rc < 0)
                return -1;
            if (rc > 0) {
                v->track.n_seg_dropped = sat_add(v->track.n_seg_dropped, si->n_u - k - 1);
                break;
            }
        }
    }
    if (v->track.container == VIDEO_CT_UNKNOWN && v->track.n_seg)
        v->track.container = vp_container_of(v->track.seg[0].url);
    return 0;
}

/* ---- element handlers ---- */

static bool parent_is(const struct dash *d, const char *name)
{
    return d->depth > 0 && span_is(d->stack[d->depth - 1], name);
}

static int level_of_parent(const struct dash *d)
{
    if (parent_is(d, "MPD"))
        return L_MPD;
    if (parent_is(d, "Period"))
        return L_PERIOD;
    if (parent_is(d, "AdaptationSet"))
        return L_AS;
    if (parent_is(d, "Representation"))
        return L_REP;
    return -1;
}

/* Returns 0, 1 to skip the element's subtree, -1 on failure. */
static int on_open(struct dash *d, const struct xev *ev)
{
    struct span v;
    if (d->depth == 0) {
        if (!span_is(ev->name, "MPD"))
            return vp_fail(d->p, VIDEO_MANIFEST_INVALID,
                           "not a DASH MPD: the root element is <%.*s>",
                           (int)(ev->name.n > 40 ? 40 : ev->name.n), ev->name.p);
        if (attr(ev, "type", &v) && span_is(span_trim(v), "dynamic"))
            return vp_fail(d->p, VIDEO_MANIFEST_UNSUPPORTED,
                           "MPD: live (type=\"dynamic\") is not supported");
        if (attr(ev, "mediaPresentationDuration", &v)) {
            if (!parse_duration(v, &d->mpd_dur))
                return xfail(d, ev->at, "@mediaPresentationDuration is not a duration");
            d->has_mpd_dur = true;
        }
        return 0;
    }
    const struct span nm = ev->name;
    if (span_is(nm, "Period") && parent_is(d, "MPD")) {
        if (d->periods++ > 0)
            return 1;
        level_reset(&d->lv[L_PERIOD]);
        d->period_start = 0;
        if (attr(ev, "start", &v) && !parse_duration(v, &d->period_start))
            return xfail(d, ev->at, "Period@start is not a duration");
        if (attr(ev, "duration", &v)) {
            if (!parse_duration(v, &d->period_dur))
                return xfail(d, ev->at, "Period@duration is not a duration");
            d->has_period_dur = true;
        } else if (d->has_mpd_dur && d->mpd_dur > d->period_start) {
            d->period_dur = d->mpd_dur - d->period_start;
            d->has_period_dur = true;
        }
        d->p->m->duration_s = d->has_period_dur ? d->period_dur : d->mpd_dur;
        return 0;
    }
    if (span_is(nm, "AdaptationSet") && parent_is(d, "Period")) {
        struct level *l = &d->lv[L_AS];
        level_reset(l);
        if (read_dims(d, ev, l) < 0)
            return -1;
        if (non_video(content_kind(l->content_type, l->mime), l->codecs)) {
            d->p->m->n_skipped++;
            return 1;
        }
        return 0;
    }
    if (span_is(nm, "Representation") && parent_is(d, "AdaptationSet")) {
        struct level *l = &d->lv[L_REP];
        level_reset(l);
        l->at = ev->at;
        if (read_dims(d, ev, l) < 0)
            return -1;
        attr(ev, "id", &l->id);
        if (attr(ev, "bandwidth", &v)) {
            if (!span_u64(v, &l->bandwidth))
                return xfail(d, ev->at, "Representation@bandwidth is not an integer");
            l->has_bw = true;
        }
        const struct level *as = &d->lv[L_AS];
        if (!content_kind(as->content_type, as->mime).n &&
            non_video(content_kind(l->content_type, l->mime), l->codecs.p ? l->codecs : as->codecs)) {
            d->p->m->n_skipped++;
            return 1;
        }
        return 0;
    }
    if (span_is(nm, "BaseURL")) {
        int lv = level_of_parent(d);
        if (lv < 0)
            return 0;
        d->baseurl_level = lv;
        d->text_n = 0;
        return 0;
    }
    bool st = span_is(nm, "SegmentTemplate"), sl = span_is(nm, "SegmentList"),
         sb = span_is(nm, "SegmentBase");
    if (st || sl || sb) {
        int lv = level_of_parent(d);
        if (lv < L_PERIOD)
            return 0;
        struct seginfo *si = &d->lv[lv].si;
        si->tmpl |= st;
        si->list |= sl;
        si->base |= sb;
        d->in_seg = lv;
        return read_seginfo(d, ev, si);
    }
    if (d->in_seg < 0)
        return 0;
    struct seginfo *si = &d->lv[d->in_seg].si;
    if (span_is(nm, "SegmentTimeline") &&
        (parent_is(d, "SegmentTemplate") || parent_is(d, "SegmentList"))) {
        si->has_timeline = true;
        si->n_s = 0;
        return 0;
    }
    if (span_is(nm, "S") && parent_is(d, "SegmentTimeline"))
        return add_s(d, ev, si);
    if (span_is(nm, "SegmentURL") && parent_is(d, "SegmentList"))
        return add_url(d, ev, si);
    if (span_is(nm, "Initialization")) {
        attr(ev, "sourceURL", &si->init_src);
        attr(ev, "range", &si->init_range);
    }
    return 0;
}

static int on_close(struct dash *d, struct span nm, size_t at)
{
    if (span_is(nm, "BaseURL") && d->baseurl_level >= 0) {
        int lv = d->baseurl_level;
        d->baseurl_level = -1;
        if (d->lv[lv].base)
            return 0; /* the first BaseURL of a level wins */
        char buf[URL_MAX + 1];
        size_t n = xml_decode(span_trim((struct span){d->text, d->text_n}), buf, sizeof buf);
        if (n == (size_t)-1)
            return vp_fail(d->p, VIDEO_LIMIT, "MPD line %zu: BaseURL longer than 2048 bytes",
                           line_of(d, at));
        char what[64];
        snprintf(what, sizeof what, "MPD line %zu: BaseURL", line_of(d, at));
        d->lv[lv].base = vp_url(d->p, effective_base(d, lv), buf, n, what);
        return d->lv[lv].base ? 0 : -1;
    }
    if (span_is(nm, "SegmentTemplate") || span_is(nm, "SegmentList") ||
        span_is(nm, "SegmentBase")) {
        d->in_seg = -1;
        return 0;
    }
    if (span_is(nm, "Representation") && d->depth >= 1 &&
        span_is(d->stack[d->depth - 1], "AdaptationSet")) {
        int rc = build_rep(d, d->lv[L_REP].at);
        level_reset(&d->lv[L_REP]);
        return rc;
    }
    if (span_is(nm, "AdaptationSet"))
        level_reset(&d->lv[L_AS]);
    return 0;
}

/* Pop the innermost open element named nm (and those above it). */
static int close_element(struct dash *d, struct span nm, size_t at)
{
    size_t match = d->depth;
    for (size_t i = d->depth; i > 0; i--)
        if (d->stack[i - 1].n == nm.n && memcmp(d->stack[i - 1].p, nm.p, nm.n) == 0) {
            match = i - 1;
            break;
        }
    if (match == d->depth)
        return 0; /* closes nothing open: ignored */
    while (d->depth > match) {
        struct span top = d->stack[--d->depth];
        bool skipped = d->skip_depth && d->depth + 1 >= d->skip_depth;
        if (d->skip_depth && d->depth + 1 == d->skip_depth)
            d->skip_depth = 0;
        if (!skipped && on_close(d, top, at) < 0)
            return -1;
    }
    return 0;
}

int video_dash_parse(struct vparse *p, const char *data, size_t len, const char *base)
{
    struct dash *d = calloc(1, sizeof *d);
    if (!d)
        return vp_fail(p, VIDEO_NO_MEMORY, "out of memory");
    d->p = p;
    d->doc = data;
    d->len = len;
    d->docurl = base;
    d->in_seg = -1;
    d->baseurl_level = -1;
    p->m->kind = VIDEO_DASH;
    struct xev *ev = malloc(sizeof *ev);
    int rc = ev ? 0 : vp_fail(p, VIDEO_NO_MEMORY, "out of memory");
    bool root_seen = false, root_closed = false;
    while (rc == 0) {
        enum xk k = xml_next(d, ev);
        if (k == XK_EOF)
            break;
        if (k == XK_ERR) {
            rc = -1;
            break;
        }
        if (k == XK_TEXT) {
            if (d->baseurl_level >= 0 && !d->skip_depth && parent_is(d, "BaseURL")) {
                if (d->text_n + ev->text.n > URL_MAX) {
                    rc = vp_fail(p, VIDEO_LIMIT, "MPD line %zu: BaseURL longer than %u bytes",
                                 line_of(d, ev->at), URL_MAX);
                    break;
                }
                memcpy(d->text + d->text_n, ev->text.p, ev->text.n);
                d->text_n += ev->text.n;
            } else if (!root_seen && span_trim(ev->text).n) {
                rc = xfail(d, ev->at, "text before the root element");
            }
            continue;
        }
        if (k == XK_CLOSE) {
            rc = close_element(d, ev->name, ev->at);
            if (rc == 0 && root_seen && d->depth == 0)
                root_closed = true;
            if (root_closed)
                break; /* anything after the root is ignored */
            continue;
        }
        /* XK_OPEN */
        if (root_closed)
            break;
        if (d->depth >= XML_MAX_DEPTH) {
            rc = xfail(d, ev->at, "elements nested deeper than 64");
            break;
        }
        int r = 0;
        if (!d->skip_depth) {
            r = on_open(d, ev);
            if (r < 0) {
                rc = -1;
                break;
            }
        }
        root_seen = true;
        d->stack[d->depth++] = ev->name;
        if (r == 1)
            d->skip_depth = d->depth;
        if (ev->empty)
            rc = close_element(d, ev->name, ev->at);
        if (rc == 0 && d->depth == 0) {
            root_closed = true;
            break;
        }
    }
    if (rc == 0 && !root_seen)
        rc = vp_fail(p, VIDEO_MANIFEST_INVALID, "not a DASH MPD: no root element");
    if (rc == 0 && !root_closed)
        rc = vp_fail(p, VIDEO_MANIFEST_INVALID, "MPD: ends inside <%.*s>",
                     d->depth ? (int)(d->stack[d->depth - 1].n > 40 ? 40 : d->stack[d->depth - 1].n)
                              : 3,
                     d->depth ? d->stack[d->depth - 1].p : "MPD");
    if (rc == 0 && p->m->n_variants == 0 && p->m->n_variants_dropped == 0)
        rc = vp_fail(p, VIDEO_MANIFEST_UNSUPPORTED,
                     "MPD: no video Representation with a SegmentTemplate, a SegmentList or a "
                     "SegmentBase@indexRange");
    for (int k = 0; k < L_N; k++)
        level_reset(&d->lv[k]);
    free(ev);
    free(d);
    return rc;
}
