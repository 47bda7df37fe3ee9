/*
 * probe/video_buffer.c - the player buffer model: from the measured
 * download times of a session's segments to start-up delay, stalls
 * (rebuffering), play time and the stall ratio (卡顿率). The contract,
 * with every rule, is above video_model_run() in video.h; the reasons
 * are in docs/internals/video.md.
 *
 * Why a model and not a real player: the KPI compares IPv4 with IPv6 on
 * the same stream at the same moment. A deterministic model over real
 * download times isolates what the network did (a decoder, a renderer and
 * a heuristic ABR would add noise of their own) and can be checked by hand
 * on made-up timelines (tests/unit/test_video.c).
 *
 * The simulation is event-driven over integer nanoseconds (no drift: a
 * timeline written in ms in a test gives exact results). Events, in
 * order, for each segment i:
 *   1. advance to the model request time  s_i + shift;
 *   2. max buffer: while playing with B >= max_buffer, wait B - max_buffer
 *      (advance; shift += wait);
 *   3. advance to the model arrival  e_i + shift  (or the failure);
 *   4. B += d_i; start / resume when B reaches the threshold.
 * advance(T) drains B while playing; reaching 0 before T starts a stall.
 * Invariants: B >= 0; t never decreases; play_ns + stall_ns + time before
 * the start + time after the end = end - origin (up to the zero-length
 * gaps between the origin and the first request); stalls are counted when
 * they start, stall time when they end (or at the failure).
 */
#include <math.h>
#include <string.h>

#include "probe/video.h"

void video_model_config_default(struct video_model_config *c)
{
    c->startup_threshold_s = 2.0;
    c->resume_threshold_s = 2.0;
    c->max_buffer_s = 30.0;
}

/* Seconds to ns, clamped to [0, 1e9 s]; NaN and negatives are 0. */
static int64_t to_ns(double s)
{
    if (!(s > 0))
        return 0;
    if (s > 1e9)
        s = 1e9;
    return (int64_t)llround(s * 1e9);
}

struct sim {
    int64_t t;       /* model now, ns from the origin */
    int64_t b;       /* buffered media, ns */
    bool playing, stalled, started;
    int64_t stall_start;
    struct video_model_result *out;
};

static void advance(struct sim *s, int64_t to)
{
    if (to <= s->t)
        return;
    if (s->playing) {
        int64_t dt = to - s->t;
        if (s->b >= dt) {
            s->b -= dt;
            s->out->play_ns += dt;
        } else {
            s->out->play_ns += s->b;
            s->stall_start = s->t + s->b;
            s->b = 0;
            s->playing = false;
            s->stalled = true;
            s->out->stalls++;
        }
    }
    s->t = to;
}

void video_model_run(const struct video_model_config *cfg, const struct video_seg_timing *seg,
                     size_t n, const uint64_t *origin_ns, struct video_model_result *out,
                     struct video_seg_model *per)
{
    struct video_model_config def;
    if (!cfg) {
        video_model_config_default(&def);
        cfg = &def;
    }
    memset(out, 0, sizeof *out);
    out->startup_ns = -1;
    out->stall_ratio = NAN;
    if (per && n)
        memset(per, 0, n * sizeof *per);
    const int64_t th_start = to_ns(cfg->startup_threshold_s);
    const int64_t th_resume = to_ns(cfg->resume_threshold_s);
    const int64_t max_buf = cfg->max_buffer_s > 0 ? to_ns(cfg->max_buffer_s) : INT64_MAX;
    if (n == 0 || !seg)
        return;
    uint64_t origin = origin_ns ? *origin_ns : seg[0].start_ns;
    struct sim s = {.t = 0, .out = out};
    int64_t shift = 0;
    bool failed = false;
    for (size_t i = 0; i < n; i++) {
        const struct video_seg_timing *g = &seg[i];
        uint64_t end = g->end_ns > g->start_ns ? g->end_ns : g->start_ns;
        int64_t st = (int64_t)(g->start_ns - origin) + shift;
        int64_t en = (int64_t)(end - origin) + shift;
        advance(&s, st);
        int64_t wait = 0;
        if (s.playing && s.b >= max_buf) {
            wait = s.b - max_buf;
            if (wait > 0) {
                advance(&s, s.t + wait);
                shift += wait;
                st += wait;
                en += wait;
                out->waits++;
            }
        }
        if (per) {
            per[i].wait_ns = wait;
            per[i].start_ns = st;
        }
        advance(&s, en);
        if (per)
            per[i].end_ns = s.t;
        if (!g->ok) {
            failed = true;
            break;
        }
        int64_t d = to_ns(g->duration_s);
        s.b += d;
        out->n_used++;
        out->media_s += (double)d / 1e9;
        out->bytes += g->bytes;
        if (!s.started) {
            if (s.b > 0 && s.b >= th_start) {
                s.started = s.playing = true;
                out->startup_ns = s.t;
            }
        } else if (s.stalled && s.b > 0 && s.b >= th_resume) {
            out->stall_ns += s.t - s.stall_start;
            s.stalled = false;
            s.playing = true;
        }
        if (per)
            per[i].buffer_ns = s.b;
    }
    if (failed) {
        if (s.stalled)
            out->stall_ns += s.t - s.stall_start;
        out->buffer_left_ns = s.b;
        out->finished = false;
    } else {
        /* End of stream: start or resume with what there is, play it out. */
        if (!s.started && s.b > 0) {
            s.started = s.playing = true;
            out->startup_ns = s.t;
        }
        if (s.stalled) {
            out->stall_ns += s.t - s.stall_start;
            s.stalled = false;
            s.playing = true;
        }
        if (s.playing) {
            out->play_ns += s.b;
            s.t += s.b;
            s.b = 0;
        }
        out->finished = true;
    }
    out->started = s.started; /* startup_ns >= 0 then: t starts at 0, never decreases */
    out->end_ns = s.t;
    out->wait_ns = shift;
    if (out->play_ns > 0)
        out->stall_ratio = (double)out->stall_ns / (double)out->play_ns;
    out->avg_bitrate_bps = out->media_s > 0 ? (double)out->bytes * 8.0 / out->media_s : 0;
}
