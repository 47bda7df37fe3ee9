/*
 * probe/video_hls.c - HLS playlists (RFC 8216) for the video player model.
 *
 * One pass over the lines (4.1: LF or CRLF; blank lines ignored; "#EXT"
 * starts a tag, any other "#" a comment; anything else is a URI). State
 * carried from a tag to the URI line that follows it:
 *   master (4.3.4.2)  EXT-X-STREAM-INF:<attribute-list> -> the next URI
 *                     line is the variant's media playlist; BANDWIDTH is
 *                     REQUIRED, AVERAGE-BANDWIDTH, RESOLUTION=WxH and
 *                     CODECS="..." are read. EXT-X-I-FRAME-STREAM-INF (the
 *                     URI is an attribute) and EXT-X-MEDIA (alternative
 *                     renditions, e.g. separate audio) are skipped and
 *                     counted in n_skipped: the model plays the video
 *                     variant only.
 *   media (4.3.2)     EXTINF:<duration>,[<title>] -> the next URI line is a
 *                     segment; tags between them (BYTERANGE, DISCONTINUITY,
 *                     PROGRAM-DATE-TIME, KEY...) apply to it.
 *                     EXT-X-BYTERANGE:<n>[@<o>] (4.3.2.2; without @o it
 *                     starts right after the previous segment's sub-range,
 *                     which must be of the same URI), EXT-X-MAP:URI="..."
 *                     [,BYTERANGE="n[@o]"] (4.3.2.5; applies to every later
 *                     segment until the next MAP; no @o means 0),
 *                     EXT-X-TARGETDURATION (4.3.3.1), EXT-X-MEDIA-SEQUENCE
 *                     (4.3.3.2; numbers the segments), EXT-X-ENDLIST
 *                     (4.3.3.4), EXT-X-DISCONTINUITY (4.3.2.3).
 * A playlist with both EXT-X-STREAM-INF and segment tags is invalid (4.1:
 * a playlist is one or the other). Unknown tags are ignored (6.3.1 tells
 * clients to), and so are EXT-X-KEY and friends: the model counts bytes
 * and times and never decodes media.
 *
 * Attribute lists (4.2): NAME=VALUE pairs separated by commas, NAME of
 * [A-Z0-9-], VALUE a quoted string (no escapes, may hold commas) or
 * anything up to the next comma. A list that does not follow this grammar
 * is an error naming the line.
 *
 * Errors name the line: "line 12: #EXTINF without a URI". Lines longer
 * than limits.max_line are VIDEO_LIMIT. Segments past the caps are
 * counted, not kept (a player only needs the start of the list).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/url.h"
#include "probe/video_int.h"
#include "util/strutil.h"

struct span {
    const char *p;
    size_t n;
};

static bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static struct span span_trim(struct span s)
{
    while (s.n && (s.p[0] == ' ' || s.p[0] == '\t')) {
        s.p++;
        s.n--;
    }
    while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
        s.n--;
    return s;
}

/* Attribute list iteration. */
struct attr_it {
    struct span rest;
    bool bad;
};

static bool attr_next(struct attr_it *it, struct span *name, struct span *val, bool *quoted)
{
    struct span r = span_trim(it->rest);
    if (r.n == 0)
        return false;
    size_t i = 0;
    while (i < r.n && ((r.p[i] >= 'A' && r.p[i] <= 'Z') || (r.p[i] >= '0' && r.p[i] <= '9') ||
                       r.p[i] == '-'))
        i++;
    if (i == 0 || i >= r.n || r.p[i] != '=') {
        it->bad = true;
        return false;
    }
    name->p = r.p;
    name->n = i;
    i++;
    if (i < r.n && r.p[i] == '"') {
        const char *q = memchr(r.p + i + 1, '"', r.n - i - 1);
        if (!q) {
            it->bad = true;
            return false;
        }
        val->p = r.p + i + 1;
        val->n = (size_t)(q - val->p);
        *quoted = true;
        i = (size_t)(q - r.p) + 1;
        struct span after = {r.p + i, r.n - i};
        after = span_trim(after);
        if (after.n && after.p[0] != ',') {
            it->bad = true;
            return false;
        }
        i = after.n ? (size_t)(after.p - r.p) + 1 : r.n;
    } else {
        size_t j = i;
        while (j < r.n && r.p[j] != ',')
            j++;
        val->p = r.p + i;
        val->n = j - i;
        *val = span_trim(*val);
        *quoted = false;
        if (val->n == 0) {
            it->bad = true;
            return false;
        }
        i = j < r.n ? j + 1 : r.n;
    }
    it->rest.p = r.p + i;
    it->rest.n = r.n - i;
    return true;
}

/* "n[@o]" into len/off; has_off says whether @o was there. */
static bool parse_range(struct span s, uint64_t *len, uint64_t *off, bool *has_off)
{
    const char *at = memchr(s.p, '@', s.n);
    size_t ln = at ? (size_t)(at - s.p) : s.n;
    if (!vp_u64(s.p, ln, len))
        return false;
    *has_off = at != NULL;
    *off = 0;
    if (at && !vp_u64(at + 1, s.n - ln - 1, off))
        return false;
    return *len > 0 && (!*has_off || *off <= UINT64_MAX - *len);
}

struct hls {
    struct vparse *p;
    const char *base;
    struct video_manifest *m;
    size_t line;
    bool master, media;
    /* pending EXT-X-STREAM-INF */
    bool inf_pending;
    size_t inf_line;
    struct video_variant inf;
    /* pending EXTINF and the tags before its URI */
    bool extinf_pending;
    size_t extinf_line;
    double extinf_dur;
    bool range_pending, range_has_off;
    uint64_t range_len, range_off;
    bool disc_pending;
    unsigned cur_init;
    uint64_t seq;
    size_t seg_index; /* segments seen (kept or dropped) */
    /* previous kept segment's sub-range, for BYTERANGE without @o */
    bool prev_ranged;
    uint64_t prev_range_end;
    char *prev_url;   /* borrowed from the track */
};

static int hls_fail(struct hls *h, enum video_status st, const char *what)
{
    return vp_fail(h->p, st, "line %zu: %s", h->line, what);
}

static int need_media(struct hls *h, const char *tag)
{
    if (h->master) {
        char msg[160];
        snprintf(msg, sizeof msg, "media playlist tag %s in a master playlist", tag);
        return hls_fail(h, VIDEO_MANIFEST_INVALID, msg);
    }
    h->media = true;
    return 0;
}

static int need_master(struct hls *h, const char *tag)
{
    if (h->media) {
        char msg[160];
        snprintf(msg, sizeof msg, "master playlist tag %s in a media playlist", tag);
        return hls_fail(h, VIDEO_MANIFEST_INVALID, msg);
    }
    h->master = true;
    return 0;
}

static int tag_stream_inf(struct hls *h, struct span v)
{
    if (need_master(h, "#EXT-X-STREAM-INF") < 0)
        return -1;
    if (h->inf_pending)
        return vp_fail(h->p, VIDEO_MANIFEST_INVALID, "line %zu: #EXT-X-STREAM-INF without a URI",
                       h->inf_line);
    memset(&h->inf, 0, sizeof h->inf);
    struct attr_it it = {.rest = v};
    struct span name, val;
    bool quoted, have_bw = false;
    while (attr_next(&it, &name, &val, &quoted)) {
        if (span_is(name, "BANDWIDTH")) {
            if (quoted || !vp_u64(val.p, val.n, &h->inf.bandwidth))
                return hls_fail(h, VIDEO_MANIFEST_INVALID, "BANDWIDTH is not a decimal integer");
            have_bw = true;
        } else if (span_is(name, "AVERAGE-BANDWIDTH")) {
            if (quoted || !vp_u64(val.p, val.n, &h->inf.avg_bandwidth))
                return hls_fail(h, VIDEO_MANIFEST_INVALID,
                                "AVERAGE-BANDWIDTH is not a decimal integer");
        } else if (span_is(name, "RESOLUTION")) {
            const char *x = memchr(val.p, 'x', val.n);
            uint64_t w, hh;
            if (quoted || !x || !vp_u64(val.p, (size_t)(x - val.p), &w) ||
                !vp_u64(x + 1, val.n - (size_t)(x - val.p) - 1, &hh) || w > 1000000 ||
                hh > 1000000)
                return hls_fail(h, VIDEO_MANIFEST_INVALID, "RESOLUTION is not WIDTHxHEIGHT");
            h->inf.width = (unsigned)w;
            h->inf.height = (unsigned)hh;
        } else if (span_is(name, "CODECS")) {
            size_t n = val.n < sizeof h->inf.codecs - 1 ? val.n : sizeof h->inf.codecs - 1;
            memcpy(h->inf.codecs, val.p, n);
            h->inf.codecs[n] = '\0';
            for (size_t i = 0; i < n; i++)
                if ((unsigned char)h->inf.codecs[i] < 0x20)
                    h->inf.codecs[i] = '?';
        }
    }
    if (it.bad)
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "malformed attribute list");
    if (!have_bw)
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "#EXT-X-STREAM-INF without BANDWIDTH");
    h->inf_pending = true;
    h->inf_line = h->line;
    return 0;
}

static int tag_extinf(struct hls *h, struct span v)
{
    if (need_media(h, "#EXTINF") < 0)
        return -1;
    if (h->extinf_pending)
        return vp_fail(h->p, VIDEO_MANIFEST_INVALID, "line %zu: #EXTINF without a URI",
                       h->extinf_line);
    const char *comma = memchr(v.p, ',', v.n);
    struct span d = {v.p, comma ? (size_t)(comma - v.p) : v.n};
    d = span_trim(d);
    double dur;
    if (!vp_decimal(d.p, d.n, &dur) || dur > VIDEO_MAX_DURATION_S)
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "#EXTINF duration is not a decimal number of seconds");
    h->extinf_pending = true;
    h->extinf_line = h->line;
    h->extinf_dur = dur;
    return 0;
}

static int tag_map(struct hls *h, struct span v)
{
    if (need_media(h, "#EXT-X-MAP") < 0)
        return -1;
    struct attr_it it = {.rest = v};
    struct span name, val, uri = {NULL, 0};
    bool quoted, has_range = false, has_off;
    uint64_t len = 0, off = 0;
    while (attr_next(&it, &name, &val, &quoted)) {
        if (span_is(name, "URI")) {
            if (!quoted)
                return hls_fail(h, VIDEO_MANIFEST_INVALID, "#EXT-X-MAP URI is not a quoted string");
            uri = val;
        } else if (span_is(name, "BYTERANGE")) {
            if (!quoted || !parse_range(val, &len, &off, &has_off))
                return hls_fail(h, VIDEO_MANIFEST_INVALID, "#EXT-X-MAP BYTERANGE is not \"n[@o]\"");
            has_range = true;
        }
    }
    if (it.bad)
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "malformed attribute list");
    if (!uri.p || uri.n == 0)
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "#EXT-X-MAP without URI");
    char what[64];
    snprintf(what, sizeof what, "line %zu: #EXT-X-MAP URI", h->line);
    char *u = vp_url(h->p, h->base, uri.p, uri.n, what);
    if (!u)
        return -1;
    struct video_track *t = &h->m->variant[0].track;
    unsigned k = vp_add_init(h->p, t, u, has_range ? off : 0, has_range ? len : 0);
    if (!k)
        return -1;
    h->cur_init = k;
    t->container = VIDEO_CT_FMP4;
    return 0;
}

static int tag_byterange(struct hls *h, struct span v)
{
    if (need_media(h, "#EXT-X-BYTERANGE") < 0)
        return -1;
    if (!parse_range(span_trim(v), &h->range_len, &h->range_off, &h->range_has_off))
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "#EXT-X-BYTERANGE is not n[@o]");
    h->range_pending = true;
    return 0;
}

static int uint_tag(struct hls *h, struct span v, const char *tag, uint64_t *out)
{
    v = span_trim(v);
    if (!vp_u64(v.p, v.n, out)) {
        char msg[120];
        snprintf(msg, sizeof msg, "%s is not a decimal integer", tag);
        return hls_fail(h, VIDEO_MANIFEST_INVALID, msg);
    }
    return 0;
}

static int uri_line(struct hls *h, struct span line)
{
    char what[64];
    if (h->inf_pending) {
        h->inf_pending = false;
        if (h->m->n_variants >= h->p->lim->max_variants) {
            h->m->n_variants_dropped++;
            return 0;
        }
        snprintf(what, sizeof what, "line %zu: variant URI", h->line);
        char *u = vp_url(h->p, h->base, line.p, line.n, what);
        if (!u)
            return -1;
        struct video_variant *var = &h->m->variant[h->m->n_variants++];
        *var = h->inf;
        var->url = u;
        return 0;
    }
    if (h->master)
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "URI without #EXT-X-STREAM-INF");
    if (!h->extinf_pending)
        return hls_fail(h, VIDEO_MANIFEST_INVALID, "URI without #EXTINF");
    h->media = true;
    h->extinf_pending = false;
    struct video_track *t = &h->m->variant[0].track;
    uint64_t number = h->seq + h->seg_index++;
    bool capped;
    bool ranged = h->range_pending;
    h->range_pending = false;
    bool disc = h->disc_pending;
    h->disc_pending = false;
    struct video_segment *s = vp_add_segment(h->p, t, &capped);
    if (!s) {
        h->prev_ranged = false;
        return capped ? 0 : -1;
    }
    snprintf(what, sizeof what, "line %zu: segment URI", h->line);
    s->url = vp_url(h->p, h->base, line.p, line.n, what);
    if (!s->url) {
        t->n_seg--; /* nothing to free in it */
        return -1;
    }
    s->duration_s = h->extinf_dur;
    s->number = number;
    s->init = (uint8_t)h->cur_init;
    s->discontinuity = disc;
    t->total_s += s->duration_s;
    if (ranged) {
        if (!h->range_has_off) {
            if (!h->prev_ranged || !h->prev_url || strcmp(h->prev_url, s->url) != 0)
                return vp_fail(h->p, VIDEO_MANIFEST_INVALID,
                               "line %zu: #EXT-X-BYTERANGE without an offset, and the previous "
                               "segment is not a sub-range of the same URI",
                               h->line);
            h->range_off = h->prev_range_end;
        }
        s->range_off = h->range_off;
        s->range_len = h->range_len;
        if (h->range_off > UINT64_MAX - h->range_len)
            return hls_fail(h, VIDEO_MANIFEST_INVALID, "byte range past 2^64");
        h->prev_range_end = h->range_off + h->range_len;
    }
    h->prev_ranged = ranged;
    h->prev_url = s->url;
    if (t->container == VIDEO_CT_UNKNOWN)
        t->container = vp_container_of(s->url);
    return 0;
}

int video_hls_parse(struct vparse *p, const char *data, size_t len, const char *base)
{
    struct hls h = {.p = p, .base = base, .m = p->m};
    struct video_manifest *m = p->m;
    size_t pos = 0;
    bool first = true;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        struct span line = {data + pos, end - pos};
        pos = nl ? end + 1 : len;
        h.line++;
        if (line.n && line.p[line.n - 1] == '\r')
            line.n--;
        if (line.n > p->lim->max_line)
            return vp_fail(p, VIDEO_LIMIT, "line %zu: longer than %zu bytes", h.line,
                           p->lim->max_line);
        line = span_trim(line);
        if (first) {
            /* The caller checked "#EXTM3U" (after blanks and a BOM). */
            if (line.n < 7 || memcmp(line.p, "#EXTM3U", 7) != 0 ||
                (line.n > 7 && line.p[7] != ' ' && line.p[7] != '\t'))
                return hls_fail(&h, VIDEO_MANIFEST_INVALID, "not an HLS playlist (no #EXTM3U)");
            first = false;
            continue;
        }
        if (line.n == 0)
            continue;
        if (line.p[0] != '#') {
            if (uri_line(&h, line) < 0)
                return -1;
            continue;
        }
        if (line.n < 4 || memcmp(line.p, "#EXT", 4) != 0)
            continue; /* comment */
        const char *colon = memchr(line.p, ':', line.n);
        struct span tag = {line.p, colon ? (size_t)(colon - line.p) : line.n};
        struct span val = {colon ? colon + 1 : line.p + line.n,
                           colon ? line.n - tag.n - 1 : 0};
        int rc = 0;
        if (span_is(tag, "#EXT-X-STREAM-INF")) {
            rc = tag_stream_inf(&h, val);
        } else if (span_is(tag, "#EXT-X-I-FRAME-STREAM-INF") || span_is(tag, "#EXT-X-MEDIA")) {
            rc = need_master(&h, tag.n > 13 ? "#EXT-X-I-FRAME-STREAM-INF" : "#EXT-X-MEDIA");
            m->n_skipped++;
        } else if (span_is(tag, "#EXTINF")) {
            rc = tag_extinf(&h, val);
        } else if (span_is(tag, "#EXT-X-TARGETDURATION")) {
            uint64_t td;
            rc = need_media(&h, "#EXT-X-TARGETDURATION");
            if (!rc)
                rc = uint_tag(&h, val, "#EXT-X-TARGETDURATION", &td);
            if (!rc && td > VIDEO_MAX_DURATION_S)
                rc = hls_fail(&h, VIDEO_MANIFEST_INVALID, "#EXT-X-TARGETDURATION out of range");
            if (!rc)
                m->variant[0].track.target_duration_s = (double)td;
        } else if (span_is(tag, "#EXT-X-MEDIA-SEQUENCE")) {
            rc = need_media(&h, "#EXT-X-MEDIA-SEQUENCE");
            if (!rc)
                rc = uint_tag(&h, val, "#EXT-X-MEDIA-SEQUENCE", &h.seq);
            if (!rc)
                m->variant[0].track.media_sequence = h.seq;
        } else if (span_is(tag, "#EXT-X-BYTERANGE")) {
            rc = tag_byterange(&h, val);
        } else if (span_is(tag, "#EXT-X-MAP")) {
            rc = tag_map(&h, val);
        } else if (span_is(tag, "#EXT-X-ENDLIST")) {
            rc = need_media(&h, "#EXT-X-ENDLIST");
            m->variant[0].track.endlist = true;
        } else if (span_is(tag, "#EXT-X-DISCONTINUITY")) {
            rc = need_media(&h, "#EXT-X-DISCONTINUITY");
            h.disc_pending = true;
        }
        if (rc < 0)
            return -1;
    }
    if (first)
        return vp_fail(p, VIDEO_MANIFEST_INVALID, "line 1: not an HLS playlist (no #EXTM3U)");
    if (h.inf_pending)
        return vp_fail(p, VIDEO_MANIFEST_INVALID, "line %zu: #EXT-X-STREAM-INF without a URI",
                       h.inf_line);
    if (h.extinf_pending)
        return vp_fail(p, VIDEO_MANIFEST_INVALID, "line %zu: #EXTINF without a URI",
                       h.extinf_line);
    if (h.master) {
        m->kind = VIDEO_HLS_MASTER;
        if (m->n_variants == 0 && m->n_variants_dropped == 0)
            return vp_fail(p, VIDEO_MANIFEST_INVALID, "master playlist without a variant");
    } else {
        m->kind = VIDEO_HLS_MEDIA;
        m->n_variants = 1;
        m->duration_s = m->variant[0].track.total_s;
        m->live = !m->variant[0].track.endlist;
    }
    return 0;
}
