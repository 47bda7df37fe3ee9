/*
 * probe/video_manifest.c - the parts of the manifest readers shared by HLS
 * (video_hls.c) and DASH (video_dash.c): detection, limits, the bounded
 * number and URL helpers of video_int.h, freeing, and the variant choice.
 *
 * Detection is by content, never by URL suffix or Content-Type (servers
 * send m3u8 as text/plain and MPDs as application/xml): after an optional
 * UTF-8 byte order mark and white space, "#EXTM3U" is HLS (RFC 8216 4.3.1.1
 * says it MUST be the first line; we forgive leading blanks), "<" is
 * handed to the DASH reader, which insists on an <MPD> root element.
 *
 * Memory: one struct video_manifest (about 40 KiB: the variant array is
 * inline), plus one heap string per URL and one segment array per track,
 * all bounded by struct video_limits (segments per track and in all,
 * variants, line length) and by the input size (max_bytes). A hostile
 * manifest costs at most max_total_segments * (sizeof(struct
 * video_segment) + URL_MAX) bytes.
 *
 * Variant choice (video_select_variant) compares the declared peak
 * BANDWIDTH (DASH @bandwidth), which is what RFC 8216 6.3.2 tells clients
 * to use for switching decisions; AVERAGE-BANDWIDTH is only reported.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/url.h"
#include "probe/video_int.h"
#include "util/strutil.h"

const char *video_status_name(enum video_status s)
{
    static const char *const names[VIDEO__COUNT] = {
        "ok",  "manifest_invalid", "manifest_unsupported", "limit",       "no_memory",
        "bad_url", "dns",         "manifest_fetch",       "redirects",   "no_segments",
        "segment_failed", "cancelled",
    };
    return (unsigned)s < VIDEO__COUNT ? names[s] : "?";
}

const char *video_manifest_kind_name(enum video_manifest_kind k)
{
    switch (k) {
    case VIDEO_HLS_MASTER: return "hls_master";
    case VIDEO_HLS_MEDIA: return "hls_media";
    case VIDEO_DASH: return "dash";
    }
    return "?";
}

const char *video_container_name(enum video_container c)
{
    switch (c) {
    case VIDEO_CT_UNKNOWN: return "unknown";
    case VIDEO_CT_TS: return "mpegts";
    case VIDEO_CT_FMP4: return "fmp4";
    }
    return "?";
}

const char *video_variant_mode_name(enum video_variant_mode m)
{
    switch (m) {
    case VIDEO_VARIANT_HIGHEST: return "highest";
    case VIDEO_VARIANT_LOWEST: return "lowest";
    case VIDEO_VARIANT_CAP: return "cap";
    case VIDEO_VARIANT_AUTO: return "auto";
    }
    return "?";
}

void video_limits_default(struct video_limits *l)
{
    l->max_bytes = 4u << 20;
    l->max_variants = VIDEO_MAX_VARIANTS;
    l->max_segments = 10000;
    l->max_total_segments = 100000;
    l->max_line = 4096;
}

int vp_fail(struct vparse *p, enum video_status st, const char *fmt, ...)
{
    if (p->status != VIDEO_OK)
        return -1;
    p->status = st;
    if (p->detail && p->dlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->detail, p->dlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

bool vp_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool vp_decimal(const char *s, size_t n, double *out)
{
    size_t i = 0, digits = 0;
    double v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
        v = v * 10 + (s[i] - '0');
    if (i < n && s[i] == '.') {
        double scale = 0.1;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            v += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (i != n || digits == 0 || !isfinite(v))
        return false;
    *out = v;
    return true;
}

char *vp_url(struct vparse *p, const char *base, const char *ref, size_t n, const char *what)
{
    if (n > URL_MAX) {
        vp_fail(p, VIDEO_LIMIT, "%s is longer than %u bytes", what, URL_MAX);
        return NULL;
    }
    char buf[URL_MAX + 1];
    memcpy(buf, ref, n);
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        vp_fail(p, VIDEO_MANIFEST_INVALID, "%s contains a NUL byte", what);
        return NULL;
    }
    char *u = base ? url_resolve(base, buf) : strdup(buf);
    if (!u) {
        if (!base)
            vp_fail(p, VIDEO_NO_MEMORY, "out of memory");
        else
            vp_fail(p, VIDEO_MANIFEST_INVALID, "%s '%.100s' is not an http(s) URL", what, buf);
    }
    return u;
}

struct video_segment *vp_add_segment(struct vparse *p, struct video_track *t, bool *capped)
{
    *capped = false;
    if (t->n_seg >= p->lim->max_segments || p->total_segments >= p->lim->max_total_segments) {
        t->n_seg_dropped++;
        *capped = true;
        return NULL;
    }
    /* The capacity is implicit: min(16, max) first, then doubled (clamped
     * to max_segments) each time n reaches a power of two >= 16. */
    size_t n = t->n_seg;
    if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {
        size_t cap = n ? n * 2 : 16;
        if (cap > p->lim->max_segments)
            cap = p->lim->max_segments;
        struct video_segment *s = realloc(t->seg, cap * sizeof *s);
        if (!s) {
            vp_fail(p, VIDEO_NO_MEMORY, "out of memory for %zu segments", cap);
            return NULL;
        }
        t->seg = s;
    }
    struct video_segment *s = &t->seg[t->n_seg++];
    memset(s, 0, sizeof *s);
    p->total_segments++;
    return s;
}

unsigned vp_add_init(struct vparse *p, struct video_track *t, char *url, uint64_t off,
                     uint64_t len)
{
    for (unsigned i = 0; i < t->n_init; i++)
        if (strcmp(t->init[i].url, url) == 0 && t->init[i].range_off == off &&
            t->init[i].range_len == len) {
            free(url);
            return i + 1;
        }
    if (t->n_init >= VIDEO_MAX_INITS) {
        free(url);
        vp_fail(p, VIDEO_LIMIT, "more than %d distinct initialization sections", VIDEO_MAX_INITS);
        return 0;
    }
    struct video_init *in = &t->init[t->n_init++];
    in->url = url;
    in->range_off = off;
    in->range_len = len;
    return t->n_init;
}

enum video_container vp_container_of(const char *url)
{
    if (!url)
        return VIDEO_CT_UNKNOWN;
    size_t n = strcspn(url, "?#");
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (url[i] == '.')
            dot = url + i;
        else if (url[i] == '/')
            dot = NULL;
    if (!dot)
        return VIDEO_CT_UNKNOWN;
    size_t e = (size_t)(url + n - dot);
    static const char *const fmp4[] = {".m4s", ".mp4", ".m4v", ".cmfv", ".m4f"};
    if (e == 3 && strncmp(dot, ".ts", 3) == 0)
        return VIDEO_CT_TS;
    for (size_t i = 0; i < sizeof fmp4 / sizeof *fmp4; i++)
        if (e == strlen(fmp4[i]) && strncmp(dot, fmp4[i], e) == 0)
            return VIDEO_CT_FMP4;
    return VIDEO_CT_UNKNOWN;
}

static void track_release(struct video_track *t)
{
    for (unsigned i = 0; i < t->n_init; i++)
        free(t->init[i].url);
    for (size_t i = 0; i < t->n_seg; i++)
        free(t->seg[i].url);
    free(t->seg);
    free(t->index.url);
}

void video_manifest_free(struct video_manifest *m)
{
    if (!m)
        return;
    /* Every slot: a media playlist that failed half-way has its track in
     * variant[0] before n_variants is set; unused slots are all zero. */
    for (unsigned i = 0; i < VIDEO_MAX_VARIANTS; i++) {
        free(m->variant[i].url);
        track_release(&m->variant[i].track);
    }
    free(m);
}

enum video_status video_manifest_parse(const uint8_t *data, size_t len, const char *base_url,
                                       const struct video_limits *lim,
                                       struct video_manifest **out, char *detail, size_t dlen)
{
    struct video_limits def;
    if (!lim) {
        video_limits_default(&def);
        lim = &def;
    }
    struct video_limits l = *lim;
    if (l.max_variants == 0 || l.max_variants > VIDEO_MAX_VARIANTS)
        l.max_variants = VIDEO_MAX_VARIANTS;
    if (l.max_line == 0)
        l.max_line = 4096;
    if (detail && dlen)
        detail[0] = '\0';
    *out = NULL;
    struct vparse p = {.lim = &l, .detail = detail, .dlen = dlen, .status = VIDEO_OK};
    if (!data && len) {
        vp_fail(&p, VIDEO_MANIFEST_INVALID, "no data");
        return p.status;
    }
    if (l.max_bytes && len > l.max_bytes) {
        vp_fail(&p, VIDEO_LIMIT, "manifest of %zu bytes is over the limit of %zu", len,
                l.max_bytes);
        return p.status;
    }
    const char *s = (const char *)data;
    size_t i = 0;
    if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    bool hls = len - i >= 7 && memcmp(s + i, "#EXTM3U", 7) == 0;
    bool xml = i < len && s[i] == '<';
    if (!hls && !xml) {
        vp_fail(&p, VIDEO_MANIFEST_INVALID,
                "neither an HLS playlist (#EXTM3U) nor a DASH MPD (XML)");
        return p.status;
    }
    p.m = calloc(1, sizeof *p.m);
    if (!p.m) {
        vp_fail(&p, VIDEO_NO_MEMORY, "out of memory");
        return p.status;
    }
    int rc = hls ? video_hls_parse(&p, s + i, len - i, base_url)
                 : video_dash_parse(&p, s + i, len - i, base_url);
    if (rc < 0 || p.status != VIDEO_OK) {
        if (p.status == VIDEO_OK)
            vp_fail(&p, VIDEO_MANIFEST_INVALID, "malformed manifest");
        video_manifest_free(p.m);
        return p.status;
    }
    *out = p.m;
    return VIDEO_OK;
}

/* ---- variant choice ---- */

int video_select_variant(const struct video_manifest *m, enum video_variant_mode mode,
                         uint64_t cap_bps, double measured_bps, double safety, char *how,
                         size_t howlen)
{
    char dummy[8];
    if (!how || !howlen) {
        how = dummy;
        howlen = sizeof dummy;
    }
    how[0] = '\0';
    unsigned n = m ? m->n_variants : 0;
    if (n > VIDEO_MAX_VARIANTS)
        n = VIDEO_MAX_VARIANTS;
    if (n == 0) {
        snprintf(how, howlen, "no variant");
        return -1;
    }
    if (n == 1) {
        if (m->kind == VIDEO_HLS_MEDIA)
            snprintf(how, howlen, "media playlist without variants");
        else
            snprintf(how, howlen, "the only variant (BANDWIDTH %llu)",
                     (unsigned long long)m->variant[0].bandwidth);
        return 0;
    }
    int lo = 0, hi = 0;
    for (unsigned i = 1; i < n; i++) {
        if (m->variant[i].bandwidth < m->variant[lo].bandwidth)
            lo = (int)i;
        if (m->variant[i].bandwidth > m->variant[hi].bandwidth)
            hi = (int)i;
    }
    /* Highest at or under a limit; -1 when none. */
    double limit = 0;
    bool use_limit = false;
    if (mode == VIDEO_VARIANT_CAP) {
        limit = (double)cap_bps;
        use_limit = true;
    } else if (mode == VIDEO_VARIANT_AUTO && measured_bps >= 0) {
        if (!(safety > 0) || safety > 1)
            safety = 0.8;
        limit = isfinite(measured_bps) ? safety * measured_bps : INFINITY;
        use_limit = true;
    }
    int pick;
    if (!use_limit) {
        pick = mode == VIDEO_VARIANT_HIGHEST ? hi : lo;
        if (mode == VIDEO_VARIANT_AUTO)
            snprintf(how, howlen, "auto: starts at the lowest of %u variants (BANDWIDTH %llu)", n,
                     (unsigned long long)m->variant[pick].bandwidth);
        else
            snprintf(how, howlen, "%s of %u variants (BANDWIDTH %llu)",
                     mode == VIDEO_VARIANT_HIGHEST ? "highest" : "lowest", n,
                     (unsigned long long)m->variant[pick].bandwidth);
        return pick;
    }
    pick = -1;
    for (unsigned i = 0; i < n; i++)
        if ((double)m->variant[i].bandwidth <= limit &&
            (pick < 0 || m->variant[i].bandwidth > m->variant[pick].bandwidth))
            pick = (int)i;
    if (mode == VIDEO_VARIANT_CAP) {
        if (pick >= 0)
            snprintf(how, howlen,
                     "highest of %u variants at or under the cap of %llu bit/s (BANDWIDTH %llu)",
                     n, (unsigned long long)cap_bps,
                     (unsigned long long)m->variant[pick].bandwidth);
        else
            snprintf(how, howlen,
                     "lowest of %u variants (BANDWIDTH %llu): none at or under the cap of %llu "
                     "bit/s",
                     n, (unsigned long long)m->variant[lo].bandwidth,
                     (unsigned long long)cap_bps);
    } else {
        if (pick >= 0)
            snprintf(how, howlen,
                     "auto: highest of %u variants with BANDWIDTH <= %.2f x %.0f bit/s measured "
                     "on the first segment (BANDWIDTH %llu)",
                     n, safety, measured_bps, (unsigned long long)m->variant[pick].bandwidth);
        else
            snprintf(how, howlen,
                     "auto: lowest of %u variants (BANDWIDTH %llu): none under %.2f x %.0f bit/s "
                     "measured on the first segment",
                     n, (unsigned long long)m->variant[lo].bandwidth, safety, measured_bps);
    }
    return pick >= 0 ? pick : lo;
}
