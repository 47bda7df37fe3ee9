/*
 * probe/video.c - the player session: one video playback over one pinned
 * address family on the prober's loop, measured for the buffer model.
 *
 * State machine (one request or lookup in flight at a time):
 *
 *   MANIFEST ──► (HLS master) choose a variant ──► PLAYLIST ──┐
 *      │         (DASH, HLS media: the track is there) ───────┤
 *      ▼                                                      ▼
 *   every request: [lookup host] ─► fetch ─► 3xx? next hop   INIT (when the next segment's
 *                                                            init section differs) ─► SEGMENT
 *                                                            ─► ... until max_segments or
 *                                                            max_media_s or the track ends
 *                                                            ─► buffer model ─► callback
 *
 * Requests: the URL's host is looked up once per session (a four-entry
 * cache in front of resolver_lookup_host, whose cache is per run) and the
 * address of the family is pinned in the fetch_request; an address
 * literal is used as it is (and must be of the family). Redirects are
 * followed here (fetch does not), at most VIDEO_MAX_REDIRECTS, each hop
 * looked up and pinned again; the request's timeout covers all its hops.
 * Segments and init sections are fetched with discard_body (counted, not
 * kept), manifests with their body (at most limits.max_bytes).
 *
 * Timing of a request: from the real start of its first hop (the time
 * fetch_start() was called plus the hop's queued_ns, so a wait for a
 * per-host slot is not network time) to the end of its last hop (that
 * hop's start plus t_total). DNS lookups between hops count. These are the
 * start_ns/end_ns the model gets; the model's origin is the first init
 * section's request (else the first segment's).
 *
 * Variant AUTO: the first segment is played at the lowest variant; its
 * throughput (bytes * 8 / download time) picks the highest variant with
 * BANDWIDTH <= auto_safety * throughput (video_select_variant). On a
 * switch the new variant's media playlist is fetched (HLS) and playback
 * continues at the segment of the new track that starts where the played
 * media ends (the first whose start is >= that position minus a quarter
 * of its duration, so tracks whose EXTINF values differ by rounding still
 * line up).
 *
 * Byte ranges (HLS EXT-X-BYTERANGE and EXT-X-MAP BYTERANGE, DASH
 * SegmentURL@mediaRange and Initialization@range): the request carries
 * "Range: bytes=a-b" and must be answered 206 with exactly that many
 * bytes. A 200 (the server ignored the Range header and sends the whole
 * file, which a player cannot use as the segment) or a 206 of another
 * length fails the request with a sentence saying so.
 *
 * Not supported (the result says so): DASH SegmentBase (segments listed
 * only in the file's sidx box), live reloading (a live HLS playlist is
 * played as listed).
 *
 * Lifetime: see video.h. `pending` says what is in flight; a session
 * freed while a fetch or a lookup is pending is marked detached and
 * released by that callback. The user's callback runs with in_cb set, so
 * a video_session_free() from inside it is deferred to its return.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/url.h"
#include "probe/video.h"
#include "util/strutil.h"

#define HOST_CACHE 4

enum purpose { P_MANIFEST, P_PLAYLIST, P_INDEX, P_INIT, P_SEGMENT };
enum pending { PEND_NONE, PEND_FETCH, PEND_DNS, PEND_TIMER };

struct host_entry {
    char host[URL_HOST_MAX];
    bool ok;
    uint8_t addr[16];
    enum video_status st;
    char err[600];
};

struct video_session {
    struct loop *loop;
    struct fetch_engine *fetch;
    struct resolver *res;
    struct video_config cfg;
    struct video_limits plim; /* parse limits (segments capped to what we need) */
    int family;
    video_cb cb;
    void *arg;

    enum pending pending;
    bool detached, in_cb, free_after_cb, done, starting;
    struct loop_timer timer;
    uint64_t t0;

    /* the request in flight */
    enum purpose purpose;
    char url[URL_MAX + 1];       /* current hop */
    char first_url[URL_MAX + 1]; /* as requested */
    unsigned hops;
    uint64_t hop_sent;           /* fetch_start() time of the current hop */
    uint64_t req_start;          /* real start of the first hop; 0 = not started */
    uint64_t req_end;
    uint64_t range_off, range_len; /* the request's byte range (range_len 0: none) */
    struct url_parts parts;
    struct host_entry hc[HOST_CACHE];
    unsigned hc_n, hc_next;

    /* what is being played */
    struct video_manifest *top;   /* manifest as first fetched */
    struct video_manifest *media; /* HLS media playlist of the current variant */
    const struct video_track *track;
    int var;
    bool auto_pending;            /* AUTO: the first segment probes the lowest */
    bool switching;               /* AUTO: fetching the new variant's playlist */
    double media_pos;             /* media time where the next segment must start */
    size_t seg_pos;
    unsigned cur_init;            /* init of the current track loaded (0 none) */
    bool has_origin;
    uint64_t origin;

    unsigned n_tim;
    struct video_seg_timing tim[VIDEO_SESSION_MAX_SEGMENTS + 1];
    struct video_seg_model per[VIDEO_SESSION_MAX_SEGMENTS + 1];
    struct video_result r;
};

void video_config_default(struct video_config *c)
{
    memset(c, 0, sizeof *c);
    c->variant = VIDEO_VARIANT_HIGHEST;
    c->auto_safety = 0.8;
    c->max_segments = 10;
    c->max_media_s = 30.0;
    c->timeout_ns = 10000000000ull;
    c->segment_cap = 64u << 20;
    video_model_config_default(&c->model);
    video_limits_default(&c->limits);
}

static void hop(struct video_session *s);
static void next_step(struct video_session *s);

static void really_free(struct video_session *s)
{
    loop_timer_cancel(s->loop, &s->timer);
    video_manifest_free(s->top);
    video_manifest_free(s->media);
    free(s);
}

void video_session_free(struct video_session *s)
{
    if (!s)
        return;
    if (s->in_cb) {
        s->free_after_cb = true;
        return;
    }
    if (s->pending == PEND_FETCH || s->pending == PEND_DNS) {
        s->detached = true;
        return;
    }
    really_free(s);
}

static double ms_between(uint64_t a, uint64_t b)
{
    return b >= a ? (double)(b - a) / 1e6 : 0;
}

/* Run the model, fill the result and call back (or, during
 * video_session_start(), arm a timer that does). */
static void deliver(struct video_session *s)
{
    struct video_result *r = &s->r;
    struct video_model_result mr;
    uint64_t origin = s->has_origin ? s->origin : (s->n_tim ? s->tim[0].start_ns : s->t0);
    video_model_run(&s->cfg.model, s->tim, s->n_tim, &origin, &mr, s->per);
    r->model = s->cfg.model;
    r->started = mr.started;
    r->finished = mr.finished && r->status == VIDEO_OK;
    r->startup_ms = mr.started ? (double)mr.startup_ns / 1e6 : NAN;
    r->join_ms = mr.started ? (double)mr.startup_ns / 1e6 + ms_between(s->t0, origin) : NAN;
    r->stalls = mr.stalls;
    r->stall_ms = (double)mr.stall_ns / 1e6;
    r->play_ms = (double)mr.play_ns / 1e6;
    r->stall_ratio = mr.stall_ratio;
    r->avg_bitrate_bps = mr.avg_bitrate_bps;
    r->wait_ms = (double)mr.wait_ns / 1e6;
    for (unsigned i = 0; i < r->n_samples && i < s->n_tim; i++) {
        r->sample[i].wait_ms = (double)s->per[i].wait_ns / 1e6;
        r->sample[i].buffer_s = (double)s->per[i].buffer_ns / 1e9;
    }
    s->done = true;
    s->in_cb = true;
    s->cb(s->arg, r);
    s->in_cb = false;
    if (s->free_after_cb)
        really_free(s);
}

static void on_timer(void *arg)
{
    struct video_session *s = arg;
    s->pending = PEND_NONE;
    deliver(s);
}

static void finish(struct video_session *s, enum video_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(struct video_session *s, enum video_status st, const char *fmt, ...)
{
    s->r.status = st;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->r.detail, sizeof s->r.detail, fmt, ap);
        va_end(ap);
    }
    if (s->starting) {
        s->pending = PEND_TIMER;
        loop_timer_after(s->loop, &s->timer, 0);
        return;
    }
    deliver(s);
}

static const char *purpose_name(enum purpose p)
{
    switch (p) {
    case P_MANIFEST: return "manifest";
    case P_PLAYLIST: return "media playlist";
    case P_INDEX: return "segment index";
    case P_INIT: return "init section";
    case P_SEGMENT: return "segment";
    }
    return "?";
}

/* The current request failed (network, HTTP, DNS...): why is a sentence.
 * Manifests end the session with st; media requests are recorded for the
 * model (a failed download at its time) and end it as segment_failed. */
static void request_failed(struct video_session *s, enum video_status st, const char *why)
{
    if (st == VIDEO_CANCELLED) {
        finish(s, VIDEO_CANCELLED, "%s %s: cancelled", purpose_name(s->purpose), s->first_url);
        return;
    }
    if (s->purpose == P_MANIFEST || s->purpose == P_PLAYLIST) {
        finish(s, st == VIDEO_OK ? VIDEO_MANIFEST_FETCH : st, "%s %s: %s",
               purpose_name(s->purpose), s->first_url, why);
        return;
    }
    uint64_t now = loop_update_time(s->loop);
    struct video_seg_timing *t = &s->tim[s->n_tim++];
    memset(t, 0, sizeof *t);
    t->start_ns = s->req_start ? s->req_start : now;
    t->end_ns = s->req_end > t->start_ns ? s->req_end : now;
    t->ok = false;
    if (!s->has_origin) {
        s->has_origin = true;
        s->origin = t->start_ns;
    }
    if (s->purpose == P_SEGMENT) {
        struct video_sample *sm = &s->r.sample[s->r.n_samples++];
        memset(sm, 0, sizeof *sm);
        const struct video_segment *g = &s->track->seg[s->seg_pos];
        sm->index = (uint32_t)s->seg_pos;
        sm->number = g->number;
        sm->variant = (uint16_t)s->var;
        sm->duration_s = g->duration_s;
        sm->start_ms = ms_between(s->t0, t->start_ns);
        sm->download_ms = ms_between(t->start_ns, t->end_ns);
        t->duration_s = g->duration_s;
        s->r.failed_segment = (int)s->r.n_samples - 1;
        s->r.total_ms = ms_between(s->t0, t->end_ns);
        finish(s, VIDEO_SEGMENT_FAILED, "segment %u (%s): %s", s->r.n_samples - 1, s->first_url,
               why);
    } else {
        s->r.failed_segment = -2;
        s->r.total_ms = ms_between(s->t0, t->end_ns);
        finish(s, VIDEO_SEGMENT_FAILED, "%s (%s): %s", purpose_name(s->purpose), s->first_url,
               why);
    }
}

/* A request for bytes [off, off + len) of url (len 0: the whole resource). */
static void start_request_range(struct video_session *s, enum purpose p, const char *url,
                                uint64_t off, uint64_t len)
{
    s->purpose = p;
    s->range_off = off;
    s->range_len = len;
    s->hops = 0;
    s->req_start = s->req_end = 0;
    util_strlcpy(s->first_url, url, sizeof s->first_url);
    util_strlcpy(s->url, url, sizeof s->url);
    hop(s);
}

static void start_request(struct video_session *s, enum purpose p, const char *url)
{
    start_request_range(s, p, url, 0, 0);
}

static void on_fetch(void *arg, const struct fetch_result *fr);

static void start_fetch(struct video_session *s, const uint8_t addr[16])
{
    uint64_t now = loop_update_time(s->loop);
    uint64_t budget = s->cfg.timeout_ns;
    if (s->req_start) {
        uint64_t used = now > s->req_start ? now - s->req_start : 0;
        if (used >= budget) {
            char why[120];
            snprintf(why, sizeof why, "no answer within %.1f s (redirects included)",
                     (double)budget / 1e9);
            request_failed(s, VIDEO_OK, why);
            return;
        }
        budget -= used;
    }
    bool media = s->purpose == P_INIT || s->purpose == P_SEGMENT; /* counted, not kept */
    struct fetch_request q = {
        .url = s->url,
        .family = s->family,
        .timeout_ns = budget,
        .connect_timeout_ns = s->cfg.connect_timeout_ns,
        .body_cap = media ? s->cfg.segment_cap : s->cfg.limits.max_bytes,
        .discard_body = media,
        .insecure = s->cfg.insecure,
        .range_off = s->range_off,
        .range_len = s->range_len,
    };
    memcpy(q.addr, addr, 16);
    s->hop_sent = now;
    if (fetch_start(s->fetch, &q, on_fetch, s) < 0) {
        request_failed(s, VIDEO_BAD_URL, "the fetch engine refused the URL");
        return;
    }
    s->pending = PEND_FETCH;
}

static struct host_entry *cache_find(struct video_session *s, const char *host)
{
    for (unsigned i = 0; i < s->hc_n; i++)
        if (strcmp(s->hc[i].host, host) == 0)
            return &s->hc[i];
    return NULL;
}

static struct host_entry *cache_add(struct video_session *s, const char *host)
{
    struct host_entry *e;
    if (s->hc_n < HOST_CACHE) {
        e = &s->hc[s->hc_n++];
    } else {
        e = &s->hc[s->hc_next];
        s->hc_next = (s->hc_next + 1) % HOST_CACHE;
    }
    memset(e, 0, sizeof *e);
    util_strlcpy(e->host, host, sizeof e->host);
    return e;
}

/* The address of our family in a lookup result (see video.h). */
static bool pick_addr(const struct host_info *h, int family, uint8_t out[16])
{
    if (family == 4) {
        if (!h->n_v4)
            return false;
        memset(out, 0, 16);
        memcpy(out, h->v4, 4);
        return true;
    }
    if (h->n_v6_global) {
        memcpy(out, h->v6, 16);
        return true;
    }
    if (h->aaaa.status != RS_OK)
        return false;
    static const uint8_t zero[16];
    for (unsigned i = 0; i < h->aaaa.n_addrs && i < RESOLVE_MAX_ADDRS; i++) {
        const uint8_t *a = h->aaaa.addrs[i].addr;
        enum addr_class c = addrclass_v6(a);
        if (c == AC_LINKLOCAL || c == AC_MULTICAST || c == AC_MAPPED || memcmp(a, zero, 16) == 0)
            continue;
        memcpy(out, a, 16);
        return true;
    }
    return false;
}

static void on_host(void *arg, const struct host_info *h)
{
    struct video_session *s = arg;
    s->pending = PEND_NONE;
    if (s->detached) {
        really_free(s);
        return;
    }
    const struct resolve_result *rr = s->family == 4 ? &h->a : &h->aaaa;
    const char *rtype = s->family == 4 ? "A" : "AAAA";
    if (rr->status == RS_CANCELLED) {
        request_failed(s, VIDEO_CANCELLED, "cancelled"); /* not cached */
        return;
    }
    struct host_entry *e = cache_add(s, s->parts.host);
    if (pick_addr(h, s->family, e->addr)) {
        e->ok = true;
        start_fetch(s, e->addr);
        return;
    }
    e->st = VIDEO_DNS;
    if (rr->status == RS_OK && s->family == 6)
        snprintf(e->err, sizeof e->err,
                 "no usable AAAA for %s (only link-local, multicast or IPv4-mapped)", e->host);
    else if (rr->status == RS_OK || rr->status == RS_NODATA)
        snprintf(e->err, sizeof e->err, "no %s for %s", rtype, e->host);
    else
        snprintf(e->err, sizeof e->err, "%s lookup of %s: %s%s%s", rtype, e->host,
                 resolve_status_name(rr->status), rr->detail[0] ? ": " : "", rr->detail);
    request_failed(s, VIDEO_DNS, e->err);
}

static void hop(struct video_session *s)
{
    if (!url_split(s->url, &s->parts)) {
        char why[160];
        snprintf(why, sizeof why, "'%.100s' is not an absolute http(s) URL", s->url);
        if (s->purpose == P_MANIFEST && s->hops == 0)
            finish(s, VIDEO_BAD_URL, "%s", why);
        else
            request_failed(s, VIDEO_BAD_URL, why);
        return;
    }
    if (s->parts.is_ip_literal) {
        if (s->parts.family != s->family) {
            char why[400];
            snprintf(why, sizeof why, "%s is an IPv%d address; the session is pinned to IPv%d",
                     s->parts.host, s->parts.family, s->family);
            request_failed(s, VIDEO_DNS, why);
            return;
        }
        uint8_t a[16] = {0};
        if (inet_pton(s->family == 6 ? AF_INET6 : AF_INET, s->parts.host, a) != 1) {
            request_failed(s, VIDEO_BAD_URL, "bad address literal");
            return;
        }
        start_fetch(s, a);
        return;
    }
    struct host_entry *e = cache_find(s, s->parts.host);
    if (e) {
        if (e->ok)
            start_fetch(s, e->addr);
        else
            request_failed(s, e->st, e->err);
        return;
    }
    if (!s->res) {
        char why[URL_HOST_MAX + 40];
        snprintf(why, sizeof why, "no resolver to look up %s", s->parts.host);
        request_failed(s, VIDEO_DNS, why);
        return;
    }
    if (resolver_lookup_host(s->res, s->parts.host, on_host, s) < 0) {
        char why[URL_HOST_MAX + 40];
        snprintf(why, sizeof why, "'%s' is not a valid host name", s->parts.host);
        request_failed(s, VIDEO_DNS, why);
        return;
    }
    s->pending = PEND_DNS;
}

/* ---- what arrived ---- */

static void set_track(struct video_session *s, const struct video_manifest *m, int var)
{
    s->var = var;
    s->track = &m->variant[m->kind == VIDEO_HLS_MEDIA ? 0 : var].track;
    s->cur_init = 0;
    /* Continue where the played media ends (AUTO switch); 0 at the start. */
    s->seg_pos = 0;
    double c = 0;
    if (s->media_pos > 0) {
        size_t k = 0;
        for (; k < s->track->n_seg; k++) {
            double d = s->track->seg[k].duration_s;
            if (c >= s->media_pos - 0.25 * d)
                break;
            c += d;
        }
        s->seg_pos = k;
    }
    const struct video_manifest *top = s->top;
    const struct video_variant *v = &top->variant[var];
    s->r.variant_index = var;
    s->r.variant_bandwidth = v->bandwidth;
    s->r.width = v->width;
    s->r.height = v->height;
    s->r.container = s->track->container;
    s->r.live = m->live;
}

static void choose(struct video_session *s)
{
    enum video_variant_mode mode = s->cfg.variant;
    int v = video_select_variant(s->top, mode, s->cfg.max_bandwidth_bps, -1, s->cfg.auto_safety,
                                 s->r.how, sizeof s->r.how);
    s->auto_pending = mode == VIDEO_VARIANT_AUTO && s->top->n_variants > 1;
    if (s->top->kind == VIDEO_HLS_MASTER) {
        s->var = v;
        s->r.variant_index = v;
        s->r.variant_bandwidth = s->top->variant[v].bandwidth;
        start_request(s, P_PLAYLIST, s->top->variant[v].url);
        return;
    }
    set_track(s, s->top, v);
    next_step(s);
}

static void on_manifest(struct video_session *s, const struct fetch_result *fr)
{
    struct video_manifest *m = NULL;
    char why[400];
    s->r.manifest_bytes += fr->body_bytes;
    enum video_status st = video_manifest_parse(fr->body, fr->body_len, s->url, &s->plim, &m, why,
                                                sizeof why);
    if (st != VIDEO_OK) {
        finish(s, st, "%s %s: %s", purpose_name(s->purpose), s->url, why);
        return;
    }
    if (!s->has_origin)
        s->r.manifest_ms = ms_between(s->t0, s->req_end);
    if (s->purpose == P_MANIFEST) {
        s->top = m;
        util_strlcpy(s->r.manifest_url, s->url, sizeof s->r.manifest_url);
        s->r.kind = m->kind;
        s->r.n_variants = m->n_variants;
        choose(s);
        return;
    }
    /* media playlist of a master's variant */
    if (m->kind != VIDEO_HLS_MEDIA) {
        enum video_manifest_kind k = m->kind;
        video_manifest_free(m);
        finish(s, VIDEO_MANIFEST_INVALID, "media playlist %s: is a %s, not a media playlist",
               s->url, video_manifest_kind_name(k));
        return;
    }
    video_manifest_free(s->media);
    s->media = m;
    s->switching = false;
    set_track(s, m, s->var);
    next_step(s);
}

/* DASH SegmentBase: the sidx arrived; the track gets its segments. The
 * index request is where playback starts (a player cannot ask for
 * anything else before it), so it is the model's origin, and its bytes
 * count with the init sections'. */
static void on_index(struct video_session *s, const struct fetch_result *fr)
{
    struct video_track *t = &s->top->variant[s->var].track;
    char detail[sizeof s->r.detail];
    enum video_status st = video_track_index(t, fr->body, fr->body_len, &s->plim, detail,
                                             sizeof detail);
    if (st != VIDEO_OK) {
        finish(s, st, "%s", detail);
        return;
    }
    s->r.init_bytes += fr->body_bytes;
    if (!s->has_origin) {
        s->has_origin = true;
        s->origin = s->req_start;
    }
    set_track(s, s->top, s->var); /* place seg_pos in the segments now listed */
    next_step(s);
}

static void on_init(struct video_session *s, const struct fetch_result *fr)
{
    s->r.init_bytes += fr->body_bytes;
    s->cur_init = s->track->seg[s->seg_pos].init;
    if (!s->has_origin) {
        s->has_origin = true;
        s->origin = s->req_start;
    }
    next_step(s);
}

static void on_segment(struct video_session *s, const struct fetch_result *fr)
{
    const struct video_segment *g = &s->track->seg[s->seg_pos];
    struct video_seg_timing *t = &s->tim[s->n_tim++];
    t->duration_s = g->duration_s;
    t->start_ns = s->req_start;
    t->end_ns = s->req_end;
    t->bytes = fr->body_bytes;
    t->ok = true;
    if (!s->has_origin) {
        s->has_origin = true;
        s->origin = s->req_start;
    }
    struct video_sample *sm = &s->r.sample[s->r.n_samples++];
    memset(sm, 0, sizeof *sm);
    sm->index = (uint32_t)s->seg_pos;
    sm->number = g->number;
    sm->variant = (uint16_t)s->var;
    sm->ok = true;
    sm->duration_s = g->duration_s;
    sm->bytes = fr->body_bytes;
    sm->start_ms = ms_between(s->t0, t->start_ns);
    sm->download_ms = ms_between(t->start_ns, t->end_ns);
    s->r.segments++;
    s->r.bytes += fr->body_bytes;
    s->r.media_s += g->duration_s;
    s->r.total_ms = ms_between(s->t0, t->end_ns);
    s->media_pos += g->duration_s;
    s->seg_pos++;
    if (s->auto_pending) {
        s->auto_pending = false;
        double secs = (double)(t->end_ns - t->start_ns) / 1e9;
        double bps = secs > 0 ? (double)fr->body_bytes * 8.0 / secs : INFINITY;
        int v = video_select_variant(s->top, VIDEO_VARIANT_AUTO, 0, bps, s->cfg.auto_safety,
                                     s->r.how, sizeof s->r.how);
        if (v >= 0 && v != s->var) {
            if (s->top->kind == VIDEO_HLS_MASTER) {
                s->var = v;
                s->switching = true;
                s->r.variant_index = v;
                s->r.variant_bandwidth = s->top->variant[v].bandwidth;
                start_request(s, P_PLAYLIST, s->top->variant[v].url);
                return;
            }
            set_track(s, s->top, v);
        }
    }
    next_step(s);
}

static void next_step(struct video_session *s)
{
    const struct video_track *t = s->track;
    if (t->needs_index && !t->indexed) {
        start_request_range(s, P_INDEX, t->index.url, t->index.range_off, t->index.range_len);
        return;
    }
    if (s->r.n_samples >= s->cfg.max_segments ||
        (s->cfg.max_media_s > 0 && s->r.media_s >= s->cfg.max_media_s - 1e-9) ||
        s->seg_pos >= t->n_seg) {
        if (s->r.n_samples == 0)
            finish(s, VIDEO_NO_SEGMENTS, "%s: the chosen variant lists no segment",
                   s->r.manifest_url);
        else
            finish(s, VIDEO_OK, NULL);
        return;
    }
    const struct video_segment *g = &t->seg[s->seg_pos];
    if (g->init && g->init != s->cur_init) {
        const struct video_init *in = &t->init[g->init - 1];
        start_request_range(s, P_INIT, in->url, in->range_off, in->range_len);
        return;
    }
    start_request_range(s, P_SEGMENT, g->url, g->range_off, g->range_len);
}

static bool is_redirect(long code)
{
    return code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
}

static void on_fetch(void *arg, const struct fetch_result *fr)
{
    struct video_session *s = arg;
    s->pending = PEND_NONE;
    if (s->detached) {
        really_free(s);
        return;
    }
    uint64_t now = loop_update_time(s->loop);
    uint64_t hop_start = s->hop_sent + fr->queued_ns;
    if (hop_start > now)
        hop_start = now;
    if (!s->req_start)
        s->req_start = hop_start;
    s->req_end = fr->t_total ? hop_start + fr->t_total : now;
    if (s->req_end > now)
        s->req_end = now;
    if (fr->remote[0])
        util_strlcpy(s->r.remote, fr->remote, sizeof s->r.remote);
    if (fr->status != FS_OK) {
        char why[600];
        snprintf(why, sizeof why, "%s", fr->detail[0] ? fr->detail : fetch_status_name(fr->status));
        request_failed(s, fr->status == FS_CANCELLED ? VIDEO_CANCELLED : VIDEO_OK, why);
        return;
    }
    if (is_redirect(fr->http_code) && fr->location[0]) {
        if (++s->hops > VIDEO_MAX_REDIRECTS) {
            if (s->purpose == P_MANIFEST || s->purpose == P_PLAYLIST) {
                finish(s, VIDEO_REDIRECTS, "%s %s: more than %d redirects",
                       purpose_name(s->purpose), s->first_url, VIDEO_MAX_REDIRECTS);
            } else {
                char why[80];
                snprintf(why, sizeof why, "more than %d redirects", VIDEO_MAX_REDIRECTS);
                request_failed(s, VIDEO_REDIRECTS, why);
            }
            return;
        }
        util_strlcpy(s->url, fr->location, sizeof s->url);
        hop(s);
        return;
    }
    if (fr->http_code < 200 || fr->http_code > 299) {
        char why[64];
        snprintf(why, sizeof why, "HTTP %ld", fr->http_code);
        request_failed(s, VIDEO_OK, why);
        return;
    }
    if (s->range_len && (fr->http_code != 206 || fr->body_bytes != s->range_len)) {
        char why[200];
        unsigned long long a = (unsigned long long)s->range_off,
                           b = (unsigned long long)(s->range_off + s->range_len - 1);
        if (fr->http_code != 206)
            snprintf(why, sizeof why,
                     "HTTP %ld to a request for bytes %llu-%llu: the server ignored the Range "
                     "header",
                     fr->http_code, a, b);
        else
            snprintf(why, sizeof why, "asked for bytes %llu-%llu (%llu bytes), got %llu bytes", a,
                     b, (unsigned long long)s->range_len, (unsigned long long)fr->body_bytes);
        request_failed(s, VIDEO_OK, why);
        return;
    }
    if (fr->body_capped) {
        if (s->purpose == P_MANIFEST || s->purpose == P_PLAYLIST) {
            finish(s, VIDEO_LIMIT, "%s %s: longer than %zu bytes", purpose_name(s->purpose),
                   s->url, s->cfg.limits.max_bytes);
        } else {
            char why[96];
            snprintf(why, sizeof why, "body longer than %zu bytes", s->cfg.segment_cap);
            request_failed(s, VIDEO_OK, why);
        }
        return;
    }
    switch (s->purpose) {
    case P_MANIFEST:
    case P_PLAYLIST:
        on_manifest(s, fr);
        return;
    case P_INDEX:
        on_index(s, fr);
        return;
    case P_INIT:
        on_init(s, fr);
        return;
    case P_SEGMENT:
        on_segment(s, fr);
        return;
    }
}

struct video_session *video_session_start(struct loop *loop, struct fetch_engine *fetch,
                                          struct resolver *res, const struct video_config *cfg,
                                          const char *manifest_url, int family, video_cb cb,
                                          void *arg)
{
    if (!loop || !fetch || !cb || !manifest_url || (family != 4 && family != 6))
        return NULL;
    struct video_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->loop = loop;
    s->fetch = fetch;
    s->res = res;
    if (cfg)
        s->cfg = *cfg;
    else
        video_config_default(&s->cfg);
    struct video_config def;
    video_config_default(&def);
    if (s->cfg.max_segments == 0)
        s->cfg.max_segments = def.max_segments;
    if (s->cfg.max_segments > VIDEO_SESSION_MAX_SEGMENTS)
        s->cfg.max_segments = VIDEO_SESSION_MAX_SEGMENTS;
    if (!s->cfg.timeout_ns)
        s->cfg.timeout_ns = def.timeout_ns;
    if (!s->cfg.segment_cap)
        s->cfg.segment_cap = def.segment_cap;
    if (!(s->cfg.auto_safety > 0) || s->cfg.auto_safety > 1)
        s->cfg.auto_safety = def.auto_safety;
    if (!s->cfg.limits.max_bytes)
        s->cfg.limits.max_bytes = def.limits.max_bytes;
    if (!s->cfg.limits.max_segments)
        s->cfg.limits.max_segments = def.limits.max_segments;
    if (!s->cfg.limits.max_total_segments)
        s->cfg.limits.max_total_segments = def.limits.max_total_segments;
    /* A session needs the start of each track only: expanding 10000
     * template segments of 32 Representations would be wasted work. */
    s->plim = s->cfg.limits;
    size_t need = (size_t)s->cfg.max_segments * 4 + 64;
    if (s->plim.max_segments > need)
        s->plim.max_segments = need;
    s->family = family;
    s->cb = cb;
    s->arg = arg;
    loop_timer_init(&s->timer, on_timer, s);
    s->t0 = loop_update_time(loop);
    s->r.family = family;
    s->r.variant_index = -1;
    s->r.failed_segment = -1;
    s->r.startup_ms = s->r.join_ms = s->r.stall_ratio = NAN;
    s->starting = true;
    if (strlen(manifest_url) > URL_MAX)
        finish(s, VIDEO_BAD_URL, "the manifest URL is longer than %u bytes", URL_MAX);
    else
        start_request(s, P_MANIFEST, manifest_url);
    s->starting = false;
    return s;
}
