/*
 * fuzz_manifest.c - libFuzzer target for the video manifest readers
 * (lib/probe/video_manifest.c, video_hls.c, video_dash.c) and the buffer
 * model (video_buffer.c). Any bytes must be handled without crashing,
 * reading out of bounds, leaking or taking long, and what comes out must
 * obey the contracts of video.h:
 *   - video_manifest_parse() of data[1..] (byte 0 selects: bit 0 tiny
 *     limits so the caps are hit, bit 1 no base URL): on success every
 *     list within its cap, every URL present (and in url.h normal form
 *     when a base was given), durations finite and >= 0, init indices
 *     pointing at an init section, HLS master variants with a URL and no
 *     segments; on failure no manifest and a non-empty sentence;
 *   - video_select_variant() in every mode: an index in range;
 *   - video_model_run() on a timeline made of the input bytes (durations,
 *     gaps, download times, failures): times non-negative, stall time and
 *     play time within the model's span, no stall time without a stall,
 *     the ratio consistent, a finished run used every segment.
 *
 * Seeds: tests/fuzz/make_seeds.py writes the playlists and MPDs of
 * docs/internals/video.md and a few made-up ones (fuzz_manifest/).
 * Run with e.g. -max_len=65536 -timeout=3.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/url.h"
#include "probe/video.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_url(const char *u, bool normal)
{
    if (!u)
        abort();
    size_t n = strlen(u);
    if (normal) {
        if (n == 0 || n > URL_MAX)
            abort();
        char *again = url_resolve(NULL, u);
        if (!again || strcmp(again, u) != 0)
            abort();
        free(again);
    }
}

static void check_track(const struct video_track *t, const struct video_limits *lim, bool normal)
{
    if (t->n_seg > lim->max_segments || t->n_init > VIDEO_MAX_INITS || (t->n_seg && !t->seg))
        abort();
    for (unsigned i = 0; i < t->n_init; i++)
        check_url(t->init[i].url, normal);
    double sum = 0;
    for (size_t i = 0; i < t->n_seg; i++) {
        const struct video_segment *s = &t->seg[i];
        check_url(s->url, normal);
        if (!isfinite(s->duration_s) || s->duration_s < 0 || s->init > t->n_init)
            abort();
        sum += s->duration_s;
    }
    if (!isfinite(t->total_s) || fabs(sum - t->total_s) > 1e-6 * (1 + sum))
        abort();
}

static void check_manifest(const struct video_manifest *m, const struct video_limits *lim,
                           bool normal)
{
    if (m->n_variants == 0 || m->n_variants > lim->max_variants)
        abort();
    size_t total = 0;
    for (unsigned i = 0; i < m->n_variants; i++) {
        const struct video_variant *v = &m->variant[i];
        if (strlen(v->codecs) >= sizeof v->codecs || strlen(v->id) >= sizeof v->id)
            abort();
        if (m->kind == VIDEO_HLS_MASTER) {
            check_url(v->url, normal);
            if (v->track.n_seg)
                abort();
        } else if (v->url) {
            abort();
        }
        check_track(&v->track, lim, normal);
        total += v->track.n_seg;
    }
    if (total > lim->max_total_segments)
        abort();
    if (m->kind == VIDEO_HLS_MEDIA && m->n_variants != 1)
        abort();
    for (int mode = VIDEO_VARIANT_HIGHEST; mode <= VIDEO_VARIANT_AUTO; mode++) {
        char how[200];
        int k = video_select_variant(m, (enum video_variant_mode)mode, 100000, mode * 1e5, 0.8,
                                     how, sizeof how);
        if (k < 0 || (unsigned)k >= m->n_variants || !how[0])
            abort();
    }
}

static void check_model(const uint8_t *d, size_t n)
{
    struct video_seg_timing t[64];
    size_t k = 0;
    uint64_t now = 1000000000000ull;
    for (size_t i = 0; i + 4 <= n && k < 64; i += 4, k++) {
        t[k].duration_s = d[i] / 16.0;             /* 0 .. 16 s */
        now += (uint64_t)(d[i + 1] & 0x7f) * 1000000ull;  /* gap 0 .. 127 ms */
        t[k].start_ns = now;
        now += (uint64_t)d[i + 2] * 20000000ull;  /* download 0 .. 5.1 s */
        t[k].end_ns = now;
        t[k].bytes = d[i + 3] * 1000u;
        t[k].ok = (d[i + 1] & 0x80) == 0 || d[i + 3] < 200;
    }
    struct video_model_config c;
    video_model_config_default(&c);
    if (n) {
        c.startup_threshold_s = (d[0] & 7) * 0.5;
        c.resume_threshold_s = ((d[0] >> 3) & 7) * 0.5;
        c.max_buffer_s = (d[n - 1] & 31) + 0.5;
    }
    struct video_model_result r;
    struct video_seg_model per[64];
    video_model_run(&c, t, k, NULL, &r, per);
    if (r.play_ns < 0 || r.stall_ns < 0 || r.end_ns < 0 || r.wait_ns < 0 || r.buffer_left_ns < 0)
        abort();
    if (r.stall_ns + r.play_ns > r.end_ns || r.n_used > k)
        abort();
    if (r.stalls == 0 && r.stall_ns != 0)
        abort();
    if (r.started != (r.startup_ns >= 0) || (!r.started && (r.play_ns || r.stalls)))
        abort();
    if (r.play_ns > 0 ? fabs(r.stall_ratio - (double)r.stall_ns / (double)r.play_ns) > 1e-9
                      : !isnan(r.stall_ratio))
        abort();
    if (r.finished && r.n_used != k)
        abort();
    for (size_t i = 0; i < r.n_used; i++)
        if (per[i].buffer_ns < 0 || per[i].wait_ns < 0 || per[i].end_ns < per[i].start_ns)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct video_limits lim;
    video_limits_default(&lim);
    if (data[0] & 1) {
        lim.max_variants = 3;
        lim.max_segments = 5;
        lim.max_total_segments = 8;
        lim.max_line = 80;
    } else {
        /* Default per-track cap but a smaller total keeps slow inputs out. */
        lim.max_total_segments = 20000;
    }
    bool normal = (data[0] & 2) == 0;
    const char *base = normal ? "http://v.fuzz.lab/vod/x/index.m3u8" : NULL;
    struct video_manifest *m = (struct video_manifest *)&lim; /* must be reset */
    char detail[300];
    detail[0] = 'x';
    enum video_status st =
        video_manifest_parse(data + 1, size - 1, base, &lim, &m, detail, sizeof detail);
    if (st == VIDEO_OK) {
        if (!m || detail[0])
            abort();
        check_manifest(m, &lim, normal);
        video_manifest_free(m);
    } else if (m || !detail[0] || st >= VIDEO__COUNT) {
        abort();
    }
    check_model(data + 1, size - 1);
    return 0;
}
