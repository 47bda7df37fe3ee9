/*
 * test_video.c - the video player model of `v6mon kpi` (lib/probe/video*.c):
 * the buffer model on hand-made timelines, the HLS and DASH readers on
 * hand-written manifests, the variant choice, and the player session
 * against a real HTTP server on loopback.
 *
 * Model tests: every expected number is worked out by hand in the comment
 * above the test from the rules in video.h (times in ms; segment
 * durations in s; "B" is the buffered media). Parser tests: expected URLs
 * and values are written from RFC 8216 / ISO 23009-1 and the normal form
 * of url.h, never copied from the code's output.
 *
 * Session tests start a small Python HTTP server (python3, standard
 * library only) on 127.0.0.1 and ::1 with one ephemeral port P, serving
 * files the test writes (playlists and dummy segments of known sizes) and
 * answering "?delay=MS" (sleep first), "?status=N" (empty reply with that
 * status), "?to=URL" (302 to URL) and "/loop" (302 to itself). The same
 * script answers DNS over UDP on 127.0.0.1:P for two names of a fake lab
 * zone: video.kpi.lab (A 127.0.0.1, no AAAA) and dual.kpi.lab (A 127.0.0.1,
 * AAAA ::1); the resolver is pointed at it. The server runs with
 * PR_SET_PDEATHSIG and is stopped in the group teardown. Without python3
 * the session tests print "SKIP: ..." and are skipped; without ::1 the
 * IPv6 halves are left out with a SKIP line.
 *
 * Timing: only the stall test depends on time, and only through a lower
 * bound the server enforces (it sleeps 3 s before one segment: at least
 * one stall of at least 1 s must follow, however slow the machine); the
 * exact value is checked against the test's own arithmetic on the
 * measured sample times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe/fetch.h"
#include "probe/loop.h"
#include "probe/resolver.h"
#include "probe/video.h"

#define MS 1000000ull /* ns */

/* ====================================================================== */
/* Buffer model                                                           */
/* ====================================================================== */

struct seg_ms {
    double dur_s;
    uint64_t start_ms, end_ms;
    bool ok;
};

static void run_model(const struct video_model_config *cfg, const struct seg_ms *in, size_t n,
                      const uint64_t *origin_ms, struct video_model_result *r,
                      struct video_seg_model *per)
{
    struct video_seg_timing t[32];
    assert_true(n <= 32);
    for (size_t i = 0; i < n; i++) {
        t[i].duration_s = in[i].dur_s;
        /* A large base so that no time is 0 (as monotonic clocks never are). */
        t[i].start_ns = 1000000000000ull + in[i].start_ms * MS;
        t[i].end_ns = 1000000000000ull + in[i].end_ms * MS;
        t[i].bytes = 250000;
        t[i].ok = in[i].ok;
    }
    uint64_t o = origin_ms ? 1000000000000ull + *origin_ms * MS : 0;
    video_model_run(cfg, t, n, origin_ms ? &o : NULL, r, per);
}

static struct video_model_config cfg_222(void)
{
    struct video_model_config c;
    video_model_config_default(&c);
    /* defaults: start 2 s, resume 2 s, max buffer 30 s */
    assert_true(c.startup_threshold_s == 2.0 && c.resume_threshold_s == 2.0 &&
                c.max_buffer_s == 30.0);
    return c;
}

/*
 * No stall. Three 2 s segments, each downloaded in 500 ms, back to back.
 *   0.5 s: seg0 arrives, B = 2 >= 2: playback starts (startup 500 ms).
 *   1.0 s: seg1 arrives, B = 2 - 0.5 + 2 = 3.5.
 *   1.5 s: seg2 arrives, B = 3.5 - 0.5 + 2 = 5; end of stream, play out 5 s.
 * Play 6 s (0.5 -> 6.5), no stall, ratio 0, end 6.5 s.
 * Bitrate: 3 x 250000 bytes x 8 / 6 s = 1,000,000 bit/s.
 */
static void test_model_no_stall(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    const struct seg_ms s[] = {{2, 0, 500, true}, {2, 500, 1000, true}, {2, 1000, 1500, true}};
    struct video_model_result r;
    struct video_seg_model per[3];
    run_model(&c, s, 3, NULL, &r, per);
    assert_true(r.started && r.finished);
    assert_int_equal(r.startup_ns, 500 * MS);
    assert_int_equal(r.stalls, 0);
    assert_int_equal(r.stall_ns, 0);
    assert_int_equal(r.play_ns, 6000 * MS);
    assert_true(r.stall_ratio == 0.0);
    assert_int_equal(r.end_ns, 6500 * MS);
    assert_int_equal(r.n_used, 3);
    assert_true(fabs(r.media_s - 6.0) < 1e-9);
    assert_true(fabs(r.avg_bitrate_bps - 1000000.0) < 1e-6);
    assert_int_equal(per[1].buffer_ns, 3500 * MS);
    assert_int_equal(per[2].buffer_ns, 5000 * MS);
    assert_int_equal(r.waits, 0);
}

/*
 * One stall. 2 s segments.
 *   seg0 [0, 1000]: B = 2 -> start at 1.0 s (startup 1000 ms).
 *   seg1 [1000, 4000]: B drains from 2 at 1.0 s, empty at 3.0 s: stall 1
 *     starts; arrives 4.0 s, B = 2 >= resume 2: resume. Stall 1.0 s.
 *   seg2 [4000, 5000]: B 2 -> 1 at 5.0 s, + 2 = 3; end: play out 3 s.
 * Play = 2 (1..3) + 1 (4..5) + 3 = 6 s; stall 1 s; ratio 1/6; end 8.0 s.
 */
static void test_model_one_stall(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    const struct seg_ms s[] = {{2, 0, 1000, true}, {2, 1000, 4000, true}, {2, 4000, 5000, true}};
    struct video_model_result r;
    run_model(&c, s, 3, NULL, &r, NULL);
    assert_true(r.started && r.finished);
    assert_int_equal(r.startup_ns, 1000 * MS);
    assert_int_equal(r.stalls, 1);
    assert_int_equal(r.stall_ns, 1000 * MS);
    assert_int_equal(r.play_ns, 6000 * MS);
    assert_true(fabs(r.stall_ratio - 1.0 / 6.0) < 1e-12);
    assert_int_equal(r.end_ns, 8000 * MS);
}

/*
 * Several stalls, resume threshold larger than one segment. 1 s segments.
 *   seg0 [0, 200]      B = 1, not started.
 *   seg1 [200, 400]    B = 2 -> start at 0.4 s (startup 400 ms).
 *   seg2 [400, 2900]   B empty at 2.4 s: stall 1 starts; at 2.9 B = 1 < 2.
 *   seg3 [2900, 3100]  B = 2 -> resume at 3.1 s; stall 1 = 0.7 s.
 *   seg4 [3100, 5600]  B empty at 5.1 s: stall 2 starts; at 5.6 B = 1.
 *   seg5 [5600, 5700]  B = 2 -> resume at 5.7 s; stall 2 = 0.6 s. End: play 2.
 * Play = 2 + 2 + 2 = 6 s; stalls 2, stall time 1.3 s; ratio 1.3 / 6;
 * end 7.7 s.
 */
static void test_model_several_stalls(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    const struct seg_ms s[] = {{1, 0, 200, true},     {1, 200, 400, true},
                               {1, 400, 2900, true},  {1, 2900, 3100, true},
                               {1, 3100, 5600, true}, {1, 5600, 5700, true}};
    struct video_model_result r;
    struct video_seg_model per[6];
    run_model(&c, s, 6, NULL, &r, per);
    assert_true(r.started && r.finished);
    assert_int_equal(r.startup_ns, 400 * MS);
    assert_int_equal(r.stalls, 2);
    assert_int_equal(r.stall_ns, 1300 * MS);
    assert_int_equal(r.play_ns, 6000 * MS);
    assert_true(fabs(r.stall_ratio - 1.3 / 6.0) < 1e-12);
    assert_int_equal(r.end_ns, 7700 * MS);
    assert_int_equal(per[2].buffer_ns, 1000 * MS); /* arrived during the stall */
    assert_int_equal(per[3].buffer_ns, 2000 * MS);
}

/*
 * A stall at the end of the stream resumes below the threshold.
 *   seg0 [0, 100], seg1 [100, 200]: B = 2, start at 0.2 s.
 *   seg2 [200, 3200]: B empty at 2.2 s, stall; at 3.2 s B = 1 < 2, but it
 *     is the last segment: resume. Stall 1.0 s; play 2 + 1 = 3 s.
 */
static void test_model_end_resume(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    const struct seg_ms s[] = {{1, 0, 100, true}, {1, 100, 200, true}, {1, 200, 3200, true}};
    struct video_model_result r;
    run_model(&c, s, 3, NULL, &r, NULL);
    assert_true(r.finished);
    assert_int_equal(r.stalls, 1);
    assert_int_equal(r.stall_ns, 1000 * MS);
    assert_int_equal(r.play_ns, 3000 * MS);
    assert_int_equal(r.end_ns, 4200 * MS);
}

/*
 * Start-up never reached: the start threshold is 5 s, two 2 s segments
 * arrive (B = 4), the third download fails at 3.0 s.
 * Not started, startup -1, no play, no stall, ratio NAN, 2 used, 4 s of
 * media downloaded and left in the buffer, not finished, end at 3.0 s.
 * And a failure of the very first download: nothing used.
 */
static void test_model_never_started(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    c.startup_threshold_s = 5;
    const struct seg_ms s[] = {{2, 0, 500, true}, {2, 500, 1000, true}, {2, 1000, 3000, false}};
    struct video_model_result r;
    run_model(&c, s, 3, NULL, &r, NULL);
    assert_false(r.started);
    assert_false(r.finished);
    assert_int_equal(r.startup_ns, -1);
    assert_int_equal(r.play_ns, 0);
    assert_int_equal(r.stall_ns, 0);
    assert_int_equal(r.stalls, 0);
    assert_true(isnan(r.stall_ratio));
    assert_int_equal(r.n_used, 2);
    assert_int_equal(r.buffer_left_ns, 4000 * MS);
    assert_true(fabs(r.media_s - 4.0) < 1e-9);
    assert_int_equal(r.bytes, 500000);
    assert_int_equal(r.end_ns, 3000 * MS);

    const struct seg_ms f[] = {{2, 0, 700, false}, {2, 700, 900, true}};
    run_model(&c, f, 2, NULL, &r, NULL);
    assert_false(r.started);
    assert_int_equal(r.n_used, 0);
    assert_int_equal(r.bytes, 0);
    assert_true(r.avg_bitrate_bps == 0);
    assert_int_equal(r.end_ns, 700 * MS);
}

/*
 * A failure during playback with a stall in progress counts the stall up
 * to the failure:
 *   seg0 [0, 1000] 2 s: start at 1.0 s.
 *   seg1 [1000, 5000] fails: B empty at 3.0 s, stall from 3.0 to 5.0 s.
 * Stalls 1, stall 2 s, play 2 s, ratio 1.0, not finished, nothing left.
 */
static void test_model_fail_while_stalled(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    const struct seg_ms s[] = {{2, 0, 1000, true}, {2, 1000, 5000, false}};
    struct video_model_result r;
    run_model(&c, s, 2, NULL, &r, NULL);
    assert_true(r.started);
    assert_false(r.finished);
    assert_int_equal(r.stalls, 1);
    assert_int_equal(r.stall_ns, 2000 * MS);
    assert_int_equal(r.play_ns, 2000 * MS);
    assert_true(r.stall_ratio == 1.0);
    assert_int_equal(r.buffer_left_ns, 0);
    assert_int_equal(r.n_used, 1);
}

/*
 * Max buffer 4 s, 2 s segments downloaded in 100 ms each, back to back.
 *   seg0 [0, 100]: B = 2, start at 0.1.
 *   seg1 requested at 0.1 (B = 2 < 4), arrives 0.2: B = 2 - 0.1 + 2 = 3.9.
 *   seg2 requested at 0.2 (B = 3.9 < 4), arrives 0.3: B = 3.8 + 2 = 5.8.
 *   seg3 measured [300, 400]; at 0.3 B = 5.8 >= 4: wait 1.8 s, shift 1.8;
 *     model [2.1, 2.2]: B = 4 - 0.1 + 2 = 5.9.
 *   seg4 measured [400, 500] -> model request 2.2, B = 5.9: wait 1.9,
 *     shift 3.7; model [4.1, 4.2]: B = 5.9. End: play out 5.9 -> 10.1.
 * Play 10 s, no stall, 2 waits of 3.7 s in all.
 * Then the same with a sixth segment measured [500, 8500] (8 s):
 *   model request 0.5 + 3.7 = 4.2, B = 5.9: wait 1.9, shift 5.6; model
 *   [6.1, 14.1]. B = 4 at 6.1, empty at 10.1: stall until 14.1 (4 s);
 *   B = 2, last segment: resume, play out 2 -> 16.1.
 * Play 10 + 2 = 12 s, 1 stall of 4 s, 3 waits, shift 5.6 s. (Without the
 * shift the slow segment would have arrived at 8.5 s, before the buffer
 * ran out: shifting changes the answer, which is why it is modelled.)
 */
static void test_model_max_buffer(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    c.max_buffer_s = 4;
    struct seg_ms s[] = {{2, 0, 100, true},   {2, 100, 200, true}, {2, 200, 300, true},
                         {2, 300, 400, true}, {2, 400, 500, true}, {2, 500, 8500, true}};
    struct video_model_result r;
    struct video_seg_model per[6];
    run_model(&c, s, 5, NULL, &r, per);
    assert_true(r.finished);
    assert_int_equal(r.stalls, 0);
    assert_int_equal(r.play_ns, 10000 * MS);
    assert_int_equal(r.waits, 2);
    assert_int_equal(r.wait_ns, 3700 * MS);
    assert_int_equal(per[2].wait_ns, 0);
    assert_int_equal(per[3].wait_ns, 1800 * MS);
    assert_int_equal(per[4].wait_ns, 1900 * MS);
    assert_int_equal(per[3].start_ns, 2100 * MS);
    assert_int_equal(per[3].end_ns, 2200 * MS);
    assert_int_equal(per[4].end_ns, 4200 * MS);
    assert_int_equal(per[4].buffer_ns, 5900 * MS);
    assert_int_equal(r.end_ns, 10100 * MS);

    run_model(&c, s, 6, NULL, &r, per);
    assert_true(r.finished);
    assert_int_equal(r.waits, 3);
    assert_int_equal(r.wait_ns, 5600 * MS);
    assert_int_equal(per[5].start_ns, 6100 * MS);
    assert_int_equal(per[5].end_ns, 14100 * MS);
    assert_int_equal(r.stalls, 1);
    assert_int_equal(r.stall_ns, 4000 * MS);
    assert_int_equal(r.play_ns, 12000 * MS);
    assert_int_equal(r.end_ns, 16100 * MS);

    /* No waiting while not playing: a start threshold above the max buffer
     * (6 s > 4 s) still starts. Three 2 s segments [0,100] [100,200]
     * [200,300]: B = 6 at 0.3, start (startup 300 ms), no wait, play 6. */
    c.startup_threshold_s = 6;
    run_model(&c, s, 3, NULL, &r, NULL);
    assert_int_equal(r.startup_ns, 300 * MS);
    assert_int_equal(r.waits, 0);
    assert_int_equal(r.play_ns, 6000 * MS);
}

/*
 * Zero-duration segments.
 * (a) All three last 0 s: nothing to play: never started, finished (all
 *     arrived), play 0, ratio NAN.
 * (b) A 0 s segment arriving during a stall does not resume it:
 *     seg0 2 s [0, 100]: start at 0.1. seg1 0 s [100, 3100]: B empty at
 *     2.1, stall; at 3.1 B = 0: still stalled. seg2 2 s [3100, 3200]:
 *     B = 2, resume at 3.2: stall 1.1 s. Play 2 + 2 = 4 s.
 * (c) Start threshold 0 needs some media: seg0 0 s [0, 100] does not
 *     start playback; seg1 1 s [100, 200] does (startup 200 ms); play 1 s.
 * (d) NaN, negative and infinite durations count as 0, an end before the
 *     start as the start: two such segments then a 2 s one [0,50] [50,40]
 *     [100,300]: start at 0.3 s, play 2 s.
 */
static void test_model_zero_durations(void **state)
{
    (void)state;
    struct video_model_config c = cfg_222();
    struct video_model_result r;
    const struct seg_ms a[] = {{0, 0, 100, true}, {0, 100, 200, true}, {0, 200, 300, true}};
    run_model(&c, a, 3, NULL, &r, NULL);
    assert_false(r.started);
    assert_true(r.finished);
    assert_int_equal(r.play_ns, 0);
    assert_true(isnan(r.stall_ratio));
    assert_int_equal(r.startup_ns, -1);

    const struct seg_ms b[] = {{2, 0, 100, true}, {0, 100, 3100, true}, {2, 3100, 3200, true}};
    run_model(&c, b, 3, NULL, &r, NULL);
    assert_int_equal(r.stalls, 1);
    assert_int_equal(r.stall_ns, 1100 * MS);
    assert_int_equal(r.play_ns, 4000 * MS);

    c.startup_threshold_s = 0;
    const struct seg_ms z[] = {{0, 0, 100, true}, {1, 100, 200, true}};
    run_model(&c, z, 2, NULL, &r, NULL);
    assert_int_equal(r.startup_ns, 200 * MS);
    assert_int_equal(r.play_ns, 1000 * MS);
    assert_int_equal(r.stalls, 0);

    c = cfg_222();
    const struct seg_ms d[] = {{NAN, 0, 50, true}, {-3, 50, 40, true}, {2, 100, 300, true}};
    run_model(&c, d, 3, NULL, &r, NULL);
    assert_int_equal(r.startup_ns, 300 * MS);
    assert_int_equal(r.play_ns, 2000 * MS);
    const struct seg_ms e[] = {{INFINITY, 0, 50, true}};
    run_model(&c, e, 1, NULL, &r, NULL);
    assert_true(r.play_ns == 1000000000ll * 1000000000ll); /* clamped to 1e9 s */

    /* Nothing at all. */
    video_model_run(&c, NULL, 0, NULL, &r, NULL);
    assert_false(r.started);
    assert_false(r.finished);
    assert_int_equal(r.n_used, 0);
}

/*
 * The origin: an init section requested at 0 (origin), the first 2 s
 * segment [500, 1000]: startup = 1000 ms from the origin, not 500.
 */
static void test_model_origin(void **state)
{
    (void)state;
    struct video_model_result r;
    const struct seg_ms s[] = {{2, 500, 1000, true}};
    uint64_t origin = 0;
    run_model(NULL, s, 1, &origin, &r, NULL);
    assert_int_equal(r.startup_ns, 1000 * MS);
    run_model(NULL, s, 1, NULL, &r, NULL);
    assert_int_equal(r.startup_ns, 500 * MS);
}

/* ====================================================================== */
/* Manifest readers                                                       */
/* ====================================================================== */

static struct video_manifest *parse_ok(const char *text, const char *base,
                                       const struct video_limits *lim)
{
    struct video_manifest *m = NULL;
    char detail[300];
    enum video_status st =
        video_manifest_parse((const uint8_t *)text, strlen(text), base, lim, &m, detail,
                             sizeof detail);
    if (st != VIDEO_OK)
        fail_msg("parse failed: %s: %s", video_status_name(st), detail);
    assert_non_null(m);
    return m;
}

static void parse_err(const char *text, const struct video_limits *lim, enum video_status want,
                      const char *want_detail)
{
    struct video_manifest *m = (struct video_manifest *)1;
    char detail[300];
    enum video_status st = video_manifest_parse((const uint8_t *)text, strlen(text),
                                                "http://v.kpi.lab/vod/x.m3u8", lim, &m, detail,
                                                sizeof detail);
    if (st != want || strcmp(detail, want_detail) != 0)
        fail_msg("got %s \"%s\", want %s \"%s\"", video_status_name(st), detail,
                 video_status_name(want), want_detail);
    assert_null(m);
}

static const char master_m3u8[] =
    "#EXTM3U\r\n"
    "#EXT-X-VERSION:6\r\n"
    "# a comment\r\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"en\",URI=\"audio/en.m3u8\"\r\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,RESOLUTION=640x360,"
    "CODECS=\"avc1.4d401e,mp4a.40.2\",AUDIO=\"aud\"\r\n"
    "mid/index.m3u8\r\n"
    "\r\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180\r\n"
    "../low.m3u8?token=a%20b\r\n"
    "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI=\"iframe.m3u8\"\r\n"
    "#EXT-X-STREAM-INF:CODECS=\"avc1.640028\",BANDWIDTH=5000000\r\n"
    "https://CDN.kpi.lab:443/hi/index.m3u8\r\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1280000\r\n"
    "mid2/index.m3u8\r\n";

static void test_hls_master(void **state)
{
    (void)state;
    struct video_manifest *m = parse_ok(master_m3u8, "http://v.kpi.lab/vod/master.m3u8", NULL);
    assert_int_equal(m->kind, VIDEO_HLS_MASTER);
    assert_int_equal(m->n_variants, 4);
    assert_int_equal(m->n_skipped, 2); /* EXT-X-MEDIA, I-frame stream */
    const struct video_variant *v = m->variant;
    assert_int_equal(v[0].bandwidth, 1280000);
    assert_int_equal(v[0].avg_bandwidth, 1000000);
    assert_int_equal(v[0].width, 640);
    assert_int_equal(v[0].height, 360);
    assert_string_equal(v[0].codecs, "avc1.4d401e,mp4a.40.2");
    assert_string_equal(v[0].url, "http://v.kpi.lab/vod/mid/index.m3u8");
    assert_int_equal(v[1].bandwidth, 300000);
    assert_string_equal(v[1].url, "http://v.kpi.lab/low.m3u8?token=a%20b");
    assert_int_equal(v[2].bandwidth, 5000000);
    assert_string_equal(v[2].codecs, "avc1.640028");
    assert_string_equal(v[2].url, "https://cdn.kpi.lab/hi/index.m3u8");
    assert_int_equal(v[2].width, 0);
    assert_int_equal(v[0].track.n_seg, 0);

    /* Variant choice: highest 5000000 (index 2); lowest 300000 (1); cap
     * 2 Mbit/s: 1280000, the first of the two (0); cap 100 kbit/s: none,
     * the lowest; auto start = lowest; auto with 2 Mbit/s measured: 0.8 x
     * 2e6 = 1.6e6 -> 1280000 (0); with 10 Mbit/s: 8e6 -> 5000000. */
    char how[200];
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_HIGHEST, 0, -1, 0.8, how, sizeof how), 2);
    assert_string_equal(how, "highest of 4 variants (BANDWIDTH 5000000)");
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_LOWEST, 0, -1, 0.8, how, sizeof how), 1);
    assert_string_equal(how, "lowest of 4 variants (BANDWIDTH 300000)");
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_CAP, 2000000, -1, 0.8, how, sizeof how),
                     0);
    assert_string_equal(how,
                        "highest of 4 variants at or under the cap of 2000000 bit/s (BANDWIDTH 1280000)");
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_CAP, 100000, -1, 0.8, how, sizeof how), 1);
    assert_string_equal(how,
                        "lowest of 4 variants (BANDWIDTH 300000): none at or under the cap of 100000 bit/s");
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_AUTO, 0, -1, 0.8, how, sizeof how), 1);
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_AUTO, 0, 2e6, 0.8, how, sizeof how), 0);
    assert_string_equal(how, "auto: highest of 4 variants with BANDWIDTH <= 0.80 x 2000000 bit/s "
                             "measured on the first segment (BANDWIDTH 1280000)");
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_AUTO, 0, 1e7, 0.8, NULL, 0), 2);
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_AUTO, 0, 1000, 0.8, NULL, 0), 1);
    assert_int_equal(video_select_variant(NULL, VIDEO_VARIANT_AUTO, 0, 1000, 0.8, NULL, 0), -1);
    video_manifest_free(m);
    video_manifest_free(NULL);
}

static const char media_m3u8[] =
    "\xEF\xBB\xBF#EXTM3U\n"
    "#EXT-X-VERSION:7\n"
    "#EXT-X-TARGETDURATION:6\n"
    "#EXT-X-MEDIA-SEQUENCE:100\n"
    "#EXT-X-MAP:URI=\"init.mp4\"\n"
    "#EXTINF:6.006,first\n"
    "seg/100.m4s\n"
    "#EXTINF:5,\n"
    "#EXT-X-BYTERANGE:1000@0\n"
    "all.m4s\n"
    "#EXTINF:4.5,\n"
    "#EXT-X-BYTERANGE:2000\n"
    "all.m4s\n"
    "#EXT-X-DISCONTINUITY\n"
    "#EXT-X-MAP:URI=\"init2.mp4\",BYTERANGE=\"720@16\"\n"
    "#EXT-X-KEY:METHOD=NONE\n"
    "#EXTINF:0.5,\n"
    "http://other.kpi.lab/x.m4s\n"
    "#EXT-X-MAP:URI=\"init.mp4\"\n"
    "#EXTINF:2.25,\n"
    "seg/104.m4s\n"
    "#EXT-X-ENDLIST\n";

static void test_hls_media(void **state)
{
    (void)state;
    struct video_manifest *m = parse_ok(media_m3u8, "http://v.kpi.lab/vod/hi/index.m3u8", NULL);
    assert_int_equal(m->kind, VIDEO_HLS_MEDIA);
    assert_int_equal(m->n_variants, 1);
    assert_null(m->variant[0].url);
    assert_false(m->live);
    const struct video_track *t = &m->variant[0].track;
    assert_true(t->endlist);
    assert_true(t->target_duration_s == 6);
    assert_int_equal(t->media_sequence, 100);
    assert_int_equal(t->container, VIDEO_CT_FMP4);
    assert_int_equal(t->n_init, 2);
    assert_string_equal(t->init[0].url, "http://v.kpi.lab/vod/hi/init.mp4");
    assert_int_equal(t->init[0].range_len, 0);
    assert_string_equal(t->init[1].url, "http://v.kpi.lab/vod/hi/init2.mp4");
    assert_int_equal(t->init[1].range_off, 16);
    assert_int_equal(t->init[1].range_len, 720);
    assert_int_equal(t->n_seg, 5);
    assert_string_equal(t->seg[0].url, "http://v.kpi.lab/vod/hi/seg/100.m4s");
    assert_true(t->seg[0].duration_s == 6.006);
    assert_int_equal(t->seg[0].number, 100);
    assert_int_equal(t->seg[0].init, 1);
    assert_int_equal(t->seg[1].range_off, 0);
    assert_int_equal(t->seg[1].range_len, 1000);
    /* BYTERANGE without @o continues after the previous sub-range. */
    assert_int_equal(t->seg[2].range_off, 1000);
    assert_int_equal(t->seg[2].range_len, 2000);
    assert_true(t->seg[2].duration_s == 4.5);
    assert_true(t->seg[3].discontinuity);
    assert_false(t->seg[2].discontinuity);
    assert_int_equal(t->seg[3].init, 2);
    assert_string_equal(t->seg[3].url, "http://other.kpi.lab/x.m4s");
    assert_int_equal(t->seg[4].init, 1); /* the same MAP again: not a third init */
    assert_int_equal(t->seg[4].number, 104);
    assert_true(fabs(t->total_s - (6.006 + 5 + 4.5 + 0.5 + 2.25)) < 1e-9);
    assert_true(fabs(m->duration_s - t->total_s) < 1e-12);
    char how[100];
    assert_int_equal(video_select_variant(m, VIDEO_VARIANT_HIGHEST, 0, -1, 0.8, how, sizeof how), 0);
    assert_string_equal(how, "media playlist without variants");
    video_manifest_free(m);

    /* MPEG-TS by extension; live (no ENDLIST); no base: kept as written. */
    m = parse_ok("#EXTM3U\n#EXTINF:10,\na.ts?x=1\n#EXTINF:10.0\nb.ts\n", NULL, NULL);
    t = &m->variant[0].track;
    assert_true(m->live);
    assert_int_equal(t->container, VIDEO_CT_TS);
    assert_string_equal(t->seg[0].url, "a.ts?x=1");
    assert_int_equal(t->seg[1].number, 1);
    video_manifest_free(m);
}

static void test_hls_errors(void **state)
{
    (void)state;
    parse_err("#EXTM3U\n#EXTINF:10,\n#EXTINF:10,\na.ts\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 2: #EXTINF without a URI");
    parse_err("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 3: #EXTINF without a URI");
    parse_err("#EXTM3U\n#EXT-X-TARGETDURATION:10\na.ts\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 3: URI without #EXTINF");
    parse_err("hello\n", NULL, VIDEO_MANIFEST_INVALID,
              "neither an HLS playlist (#EXTM3U) nor a DASH MPD (XML)");
    parse_err("", NULL, VIDEO_MANIFEST_INVALID,
              "neither an HLS playlist (#EXTM3U) nor a DASH MPD (XML)");
    parse_err("#EXTM3Ux\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 1: not an HLS playlist (no #EXTM3U)");
    parse_err("#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\na.m3u8\n", NULL,
              VIDEO_MANIFEST_INVALID, "line 2: #EXT-X-STREAM-INF without BANDWIDTH");
    parse_err("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 2: #EXT-X-STREAM-INF without a URI");
    parse_err("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n#EXTINF:1,\nb.ts\n", NULL,
              VIDEO_MANIFEST_INVALID, "line 4: media playlist tag #EXTINF in a master playlist");
    parse_err("#EXTM3U\n#EXTINF:1,\nb.ts\n#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n", NULL,
              VIDEO_MANIFEST_INVALID,
              "line 4: master playlist tag #EXT-X-STREAM-INF in a media playlist");
    parse_err("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1\n", NULL,
              VIDEO_MANIFEST_INVALID, "line 2: malformed attribute list");
    parse_err("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=12k\na\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 2: BANDWIDTH is not a decimal integer");
    parse_err("#EXTM3U\n#EXTINF:-1,\na.ts\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 2: #EXTINF duration is not a decimal number of seconds");
    parse_err("#EXTM3U\n#EXTINF:1e3,\na.ts\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 2: #EXTINF duration is not a decimal number of seconds");
    parse_err("#EXTM3U\n#EXTINF:1,\n#EXT-X-BYTERANGE:100\na.ts\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 4: #EXT-X-BYTERANGE without an offset, and the previous segment is not a "
              "sub-range of the same URI");
    parse_err("#EXTM3U\n#EXTINF:1,\nftp://x/a.ts\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 3: segment URI 'ftp://x/a.ts' is not an http(s) URL");
    parse_err("#EXTM3U\n#EXT-X-MAP:BYTERANGE=\"1@2\"\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 2: #EXT-X-MAP without URI");
    parse_err("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-1\n", NULL, VIDEO_MANIFEST_INVALID,
              "line 2: #EXT-X-MEDIA-SEQUENCE is not a decimal integer");

    struct video_limits lim;
    video_limits_default(&lim);
    lim.max_line = 64;
    char longline[200];
    snprintf(longline, sizeof longline, "#EXTM3U\n#EXTINF:1,\n%070d.ts\n", 7);
    parse_err(longline, &lim, VIDEO_LIMIT, "line 3: longer than 64 bytes");
    video_limits_default(&lim);
    lim.max_bytes = 10;
    parse_err("#EXTM3U\n#EXTINF:1,\na.ts\n", &lim, VIDEO_LIMIT,
              "manifest of 24 bytes is over the limit of 10");

    /* Caps drop, they do not fail: 5 segments with max 3 keeps the first
     * three and counts two; 3 variants with max 2 keeps two. */
    video_limits_default(&lim);
    lim.max_segments = 3;
    struct video_manifest *m = parse_ok(
        "#EXTM3U\n#EXTINF:1,\n0.ts\n#EXTINF:1,\n1.ts\n#EXTINF:1,\n2.ts\n#EXTINF:1,\n3.ts\n"
        "#EXTINF:1,\n4.ts\n#EXT-X-ENDLIST\n",
        "http://v.kpi.lab/", &lim);
    assert_int_equal(m->variant[0].track.n_seg, 3);
    assert_int_equal(m->variant[0].track.n_seg_dropped, 2);
    assert_string_equal(m->variant[0].track.seg[2].url, "http://v.kpi.lab/2.ts");
    video_manifest_free(m);
    video_limits_default(&lim);
    lim.max_variants = 2;
    m = parse_ok("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\na\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb\n"
                 "#EXT-X-STREAM-INF:BANDWIDTH=3\nc\n",
                 "http://v.kpi.lab/", &lim);
    assert_int_equal(m->n_variants, 2);
    assert_int_equal(m->n_variants_dropped, 1);
    video_manifest_free(m);
}

static const char mpd_template[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- made by hand -->\n"
    "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\"\n"
    "     mediaPresentationDuration=\"PT25S\" minBufferTime=\"PT2S\">\n"
    " <Period id=\"p0\">\n"
    "  <AdaptationSet contentType=\"audio\" mimeType=\"audio/mp4\">\n"
    "   <Representation id=\"a\" bandwidth=\"64000\">\n"
    "    <SegmentTemplate media=\"a-$Number$.m4s\" duration=\"10\"/>\n"
    "   </Representation>\n"
    "  </AdaptationSet>\n"
    "  <AdaptationSet mimeType=\"video/mp4\" codecs=\"avc1.64001f\" width=\"1280\">\n"
    "   <SegmentTemplate media=\"$RepresentationID$/seg-$Number%03d$.m4s?bw=$Bandwidth$&amp;x=$$\"\n"
    "       initialization=\"$RepresentationID$/init.mp4\" duration=\"10000\" timescale=\"1000\"\n"
    "       startNumber=\"7\"/>\n"
    "   <Representation id=\"v1\" bandwidth=\"300000\" height=\"360\"/>\n"
    "   <Representation id=\"v2\" bandwidth=\"900000\" width=\"1920\" height=\"1080\"\n"
    "       codecs=\"avc1.640028\"></Representation>\n"
    "  </AdaptationSet>\n"
    "  <AdaptationSet contentType=\"text\"><Representation id=\"t\" bandwidth=\"1\"/></AdaptationSet>\n"
    " </Period>\n"
    " <Period id=\"p1\"><AdaptationSet><Representation id=\"late\" bandwidth=\"5\">"
    "<SegmentTemplate media=\"x\" duration=\"1\"/></Representation></AdaptationSet></Period>\n"
    "</MPD>\n";

static void test_dash_template(void **state)
{
    (void)state;
    struct video_manifest *m = parse_ok(mpd_template, "http://v.kpi.lab/dash/stream.mpd", NULL);
    assert_int_equal(m->kind, VIDEO_DASH);
    assert_int_equal(m->n_variants, 2);
    assert_int_equal(m->n_skipped, 2); /* audio and text sets; the second Period is ignored */
    assert_true(m->duration_s == 25);
    const struct video_variant *v = &m->variant[0];
    assert_string_equal(v->id, "v1");
    assert_int_equal(v->bandwidth, 300000);
    assert_int_equal(v->width, 1280);
    assert_int_equal(v->height, 360);
    assert_string_equal(v->codecs, "avc1.64001f");
    assert_null(v->url);
    const struct video_track *t = &v->track;
    assert_int_equal(t->container, VIDEO_CT_FMP4);
    assert_true(t->endlist);
    assert_int_equal(t->n_init, 1);
    assert_string_equal(t->init[0].url, "http://v.kpi.lab/dash/v1/init.mp4");
    /* 25 s in 10 s segments: 10, 10, 5; numbers from 7. */
    assert_int_equal(t->n_seg, 3);
    assert_string_equal(t->seg[0].url, "http://v.kpi.lab/dash/v1/seg-007.m4s?bw=300000&x=$");
    assert_string_equal(t->seg[2].url, "http://v.kpi.lab/dash/v1/seg-009.m4s?bw=300000&x=$");
    assert_true(t->seg[0].duration_s == 10 && t->seg[1].duration_s == 10 &&
                t->seg[2].duration_s == 5);
    assert_int_equal(t->seg[2].number, 9);
    assert_int_equal(t->seg[0].init, 1);
    v = &m->variant[1];
    assert_int_equal(v->width, 1920);
    assert_string_equal(v->codecs, "avc1.640028");
    assert_string_equal(v->track.seg[1].url, "http://v.kpi.lab/dash/v2/seg-008.m4s?bw=900000&x=$");
    video_manifest_free(m);
}

/*
 * SegmentTimeline with $Time$, timescale 90000: S t=0 d=90000 r=2 gives
 * three 1 s segments at 0, 90000, 180000; S d=45000 one 0.5 s segment at
 * 270000. A second set (namespace prefix, SegmentTimeline with r=-1 up to
 * the 5 s Period: ceil(5 / 2) = 3 segments).
 */
static void test_dash_timeline(void **state)
{
    (void)state;
    const char *mpd =
        "<MPD type=\"static\" mediaPresentationDuration=\"PT1M\"><Period duration=\"PT3.5S\">"
        "<AdaptationSet><Representation id=\"v\" bandwidth=\"1000\" mimeType=\"video/mp4\">"
        "<SegmentTemplate timescale=\"90000\" media=\"v-$Time$-$Number%05d$.m4s\" "
        "initialization=\"i.mp4\"><SegmentTimeline><S t=\"0\" d=\"90000\" r=\"2\"/>"
        "<S d=\"45000\"/></SegmentTimeline></SegmentTemplate>"
        "</Representation></AdaptationSet></Period></MPD>";
    struct video_manifest *m = parse_ok(mpd, "http://v.kpi.lab/d/", NULL);
    const struct video_track *t = &m->variant[0].track;
    assert_int_equal(t->n_seg, 4);
    assert_string_equal(t->seg[0].url, "http://v.kpi.lab/d/v-0-00001.m4s");
    assert_string_equal(t->seg[1].url, "http://v.kpi.lab/d/v-90000-00002.m4s");
    assert_string_equal(t->seg[3].url, "http://v.kpi.lab/d/v-270000-00004.m4s");
    assert_true(t->seg[2].duration_s == 1.0 && t->seg[3].duration_s == 0.5);
    assert_true(m->duration_s == 3.5);
    video_manifest_free(m);

    const char *mpd2 =
        "<?xml version='1.0'?><!DOCTYPE MPD [ <!ENTITY x \"y\"> ]>"
        "<mpd:MPD xmlns:mpd='urn:mpeg:dash:schema:mpd:2011' mediaPresentationDuration='PT5S'>"
        "<mpd:Period><mpd:AdaptationSet contentType='video'>"
        "<mpd:SegmentTemplate media='s$Number$.m4s'><mpd:SegmentTimeline>"
        "<mpd:S t='0' d='2' r='-1'/></mpd:SegmentTimeline></mpd:SegmentTemplate>"
        "<mpd:Representation id='r' bandwidth='5'/></mpd:AdaptationSet></mpd:Period></mpd:MPD>";
    m = parse_ok(mpd2, "http://v.kpi.lab/d/m.mpd", NULL);
    t = &m->variant[0].track;
    assert_int_equal(t->n_seg, 3);
    assert_string_equal(t->seg[2].url, "http://v.kpi.lab/d/s3.m4s");
    assert_int_equal(t->n_init, 0);
    assert_int_equal(t->container, VIDEO_CT_FMP4); /* by the .m4s extension */
    video_manifest_free(m);

    /* Caps: a timeline of 10^15 segments is counted, not walked. */
    struct video_limits lim;
    video_limits_default(&lim);
    lim.max_segments = 5;
    const char *huge =
        "<MPD><Period><AdaptationSet><Representation id='r' bandwidth='5'>"
        "<SegmentTemplate media='s$Number$'><SegmentTimeline><S d='1' r='999999999999999'/>"
        "<S d='1'/></SegmentTimeline></SegmentTemplate></Representation></AdaptationSet>"
        "</Period></MPD>";
    m = parse_ok(huge, "http://v.kpi.lab/", &lim);
    t = &m->variant[0].track;
    assert_int_equal(t->n_seg, 5);
    assert_int_equal(t->n_seg_dropped, 1000000000000000ull - 5 + 1);
    video_manifest_free(m);
}

/*
 * SegmentList and BaseURL at three levels: MPD "http://cdn.kpi.lab/base/",
 * Period "p1/", Representation "r/" -> segments under
 * http://cdn.kpi.lab/base/p1/r/; @duration 4 (timescale 1); mediaRange
 * "0-99" is 100 bytes at 0; Initialization@sourceURL with @range.
 */
static void test_dash_list(void **state)
{
    (void)state;
    const char *mpd =
        "<MPD mediaPresentationDuration=\"PT8S\">\n"
        "<BaseURL>http://cdn.kpi.lab/base/</BaseURL><BaseURL>http://ignored.kpi.lab/</BaseURL>\n"
        "<Period><BaseURL> p1/ </BaseURL><AdaptationSet mimeType=\"video/mp2t\">\n"
        "<Representation id=\"r1\" bandwidth=\"2000\"><BaseURL>r/</BaseURL>\n"
        "<SegmentList duration=\"4\"><Initialization sourceURL=\"init.ts\" range=\"0-187\"/>\n"
        "<SegmentURL media=\"s1.ts\"/><SegmentURL media=\"s2.ts?a=1&amp;b=2\" mediaRange=\"0-99\"/>\n"
        "</SegmentList></Representation></AdaptationSet></Period></MPD>\n";
    struct video_manifest *m = parse_ok(mpd, "http://v.kpi.lab/m.mpd", NULL);
    const struct video_track *t = &m->variant[0].track;
    assert_int_equal(t->container, VIDEO_CT_TS);
    assert_int_equal(t->n_init, 1);
    assert_string_equal(t->init[0].url, "http://cdn.kpi.lab/base/p1/r/init.ts");
    assert_int_equal(t->init[0].range_len, 188);
    assert_int_equal(t->n_seg, 2);
    assert_string_equal(t->seg[0].url, "http://cdn.kpi.lab/base/p1/r/s1.ts");
    assert_string_equal(t->seg[1].url, "http://cdn.kpi.lab/base/p1/r/s2.ts?a=1&b=2");
    assert_int_equal(t->seg[1].range_off, 0);
    assert_int_equal(t->seg[1].range_len, 100);
    assert_true(t->seg[1].duration_s == 4);
    video_manifest_free(m);
}

static void test_dash_errors(void **state)
{
    (void)state;
    parse_err("<MPD type=\"dynamic\"><Period/></MPD>", NULL, VIDEO_MANIFEST_UNSUPPORTED,
              "MPD: live (type=\"dynamic\") is not supported");
    parse_err("<html><body>hi</body></html>", NULL, VIDEO_MANIFEST_INVALID,
              "not a DASH MPD: the root element is <html>");
    parse_err("<MPD mediaPresentationDuration=\"PT4S\"><Period><AdaptationSet>"
              "<Representation id=\"r\" bandwidth=\"1\"><SegmentBase>"
              "<Initialization range=\"0-99\"/></SegmentBase>"
              "</Representation></AdaptationSet></Period></MPD>",
              NULL, VIDEO_MANIFEST_UNSUPPORTED,
              "MPD: no video Representation with a SegmentTemplate, a SegmentList or a "
              "SegmentBase@indexRange");
    parse_err("<MPD><Period>", NULL, VIDEO_MANIFEST_INVALID, "MPD: ends inside <Period>");
    parse_err("<MPD mediaPresentationDuration=\"PT2S\">\n<Period>\n<AdaptationSet>\n"
              "<Representation id=\"r\" bandwidth=\"1\">\n"
              "<SegmentTemplate media=\"$Foo$\" duration=\"1\"/></Representation>"
              "</AdaptationSet></Period></MPD>",
              NULL, VIDEO_MANIFEST_INVALID,
              "MPD line 4: Representation 'r': unknown template identifier");
    parse_err("<MPD><Period><AdaptationSet><Representation id=\"r\" bandwidth=\"1\">"
              "<SegmentTemplate media=\"$Number$\" duration=\"1\"/></Representation>"
              "</AdaptationSet></Period></MPD>",
              NULL, VIDEO_MANIFEST_INVALID,
              "MPD line 1: Representation 'r': SegmentTemplate@duration without a Period "
              "duration or mediaPresentationDuration");
    parse_err("<MPD>\n<Period a=b></Period></MPD>", NULL, VIDEO_MANIFEST_INVALID,
              "MPD line 2: attribute value not in quotes");
    parse_err("<MPD><!-- open", NULL, VIDEO_MANIFEST_INVALID, "MPD line 1: unterminated comment");
    parse_err("<MPD mediaPresentationDuration=\"P1Y\"/>", NULL, VIDEO_MANIFEST_INVALID,
              "MPD line 1: @mediaPresentationDuration is not a duration");
    parse_err("<MPD><Period><AdaptationSet><Representation id=\"r\" bandwidth=\"1\">"
              "<SegmentTemplate media=\"x\" timescale=\"1\"><SegmentTimeline><S t=\"0\"/>"
              "</SegmentTimeline></SegmentTemplate></Representation></AdaptationSet></Period></MPD>",
              NULL, VIDEO_MANIFEST_INVALID, "MPD line 1: S without a positive @d");
}

/* ====================================================================== */
/* DASH SegmentBase: the sidx box                                          */
/* ====================================================================== */

static size_t put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
    return 4;
}

/* A sidx box (ISO/IEC 14496-12 8.16.3) written field by field from the
 * standard's layout: version 0 or 1, timescale, first_offset, n references
 * of sizes[i] bytes and durs[i] ticks; hier marks reference 1 as pointing
 * to another sidx. Returns the box length. */
static size_t make_sidx(uint8_t *b, int version, uint32_t timescale, uint32_t first_offset,
                        const uint32_t *sizes, const uint32_t *durs, unsigned n, bool hier)
{
    size_t o = 4;
    memcpy(b + o, "sidx", 4), o += 4;
    o += put32(b + o, (uint32_t)version << 24); /* version, flags 0 */
    o += put32(b + o, 1);                       /* reference_ID */
    o += put32(b + o, timescale);
    if (version == 0) {
        o += put32(b + o, 0); /* earliest_presentation_time */
        o += put32(b + o, first_offset);
    } else {
        o += put32(b + o, 0), o += put32(b + o, 0);
        o += put32(b + o, 0), o += put32(b + o, first_offset);
    }
    o += put32(b + o, n); /* reserved 0 | reference_count */
    for (unsigned i = 0; i < n; i++) {
        o += put32(b + o, sizes[i] | (hier && i == 1 ? 0x80000000u : 0));
        o += put32(b + o, durs[i]);
        o += put32(b + o, 0x90000000u); /* starts_with_SAP, type 1 */
    }
    put32(b, (uint32_t)o);
    return o;
}

static void index_track(struct video_track *t, uint64_t off, uint64_t len)
{
    memset(t, 0, sizeof *t);
    t->needs_index = true;
    t->index.url = strdup("http://v.example/f.mp4");
    t->index.range_off = off;
    t->index.range_len = len;
    t->init[0].url = strdup("http://v.example/f.mp4");
    t->init[0].range_len = 200;
    t->n_init = 1;
    t->media_sequence = 1;
}

static void index_free(struct video_track *t)
{
    for (size_t i = 0; i < t->n_seg; i++)
        free(t->seg[i].url);
    free(t->seg);
    free(t->index.url);
    free(t->init[0].url);
}

/*
 * Version 0 at file offset 200 (after a 200-byte init), 68 bytes long:
 * the anchor is 268, first_offset 0, so the segments are 268+1000,
 * 1268+1500, 2768+700 with 10 s each at timescale 1000. Version 1 with
 * first_offset 32 and a styp box in front (24 bytes): the box is 76 bytes
 * (8 more for the 64-bit time and offset), anchor 200 + 24 + 76 = 300, the
 * first segment at 332. The numbers are worked out by hand
 * from 8.16.3.3 ("the first byte after the box" + first_offset).
 */
static void test_sidx(void **state)
{
    (void)state;
    uint8_t b[512];
    const uint32_t sizes[3] = {1000, 1500, 700}, durs[3] = {10000, 10000, 9500};
    size_t n = make_sidx(b, 0, 1000, 0, sizes, durs, 3, false);
    assert_int_equal(n, 68);
    struct video_track t;
    index_track(&t, 200, n);
    char why[512];
    assert_int_equal(video_track_index(&t, b, n, NULL, why, sizeof why), VIDEO_OK);
    assert_true(t.indexed);
    assert_int_equal(t.n_seg, 3);
    const uint64_t want_off[3] = {268, 1268, 2768};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(t.seg[i].range_off, want_off[i]);
        assert_int_equal(t.seg[i].range_len, sizes[i]);
        assert_string_equal(t.seg[i].url, "http://v.example/f.mp4");
        assert_int_equal(t.seg[i].init, 1);
        assert_int_equal(t.seg[i].number, 1 + (uint64_t)i);
    }
    assert_true(t.seg[2].duration_s == 9.5 && t.total_s == 29.5);
    /* indexed once */
    assert_int_equal(video_track_index(&t, b, n, NULL, why, sizeof why),
                     VIDEO_MANIFEST_INVALID);
    index_free(&t);

    /* version 1, a styp box first */
    memcpy(b, "\0\0\0\x18" "stypmsdh\0\0\0\0msdhmsix", 24);
    n = 24 + make_sidx(b + 24, 1, 90000, 32, sizes, durs, 3, false);
    index_track(&t, 200, n);
    assert_int_equal(video_track_index(&t, b, n, NULL, why, sizeof why), VIDEO_OK);
    assert_int_equal(t.seg[0].range_off, 332);
    assert_true(fabs(t.seg[0].duration_s - 10000.0 / 90000.0) < 1e-12);
    index_free(&t);

    /* the cap keeps a prefix and counts the rest */
    struct video_limits lim;
    video_limits_default(&lim);
    lim.max_segments = 2;
    n = make_sidx(b, 0, 1000, 0, sizes, durs, 3, false);
    index_track(&t, 200, n);
    assert_int_equal(video_track_index(&t, b, n, &lim, why, sizeof why), VIDEO_OK);
    assert_int_equal(t.n_seg, 2);
    assert_int_equal(t.n_seg_dropped, 1);
    index_free(&t);

    /* errors: each a sentence, no segments left behind */
    struct {
        size_t cut;  /* bytes given (0: all) */
        bool hier;
        uint32_t timescale;
        const char *want;
    } bad[] = {
        {0, true, 1000, "segment index http://v.example/f.mp4: reference 1 points to another "
                        "sidx (a hierarchical index): not supported"},
        {40, false, 1000, "segment index http://v.example/f.mp4: the sidx box is longer than "
                          "the index range"},
        {5, false, 1000, "segment index http://v.example/f.mp4: a box header is cut short"},
        {0, false, 0, "segment index http://v.example/f.mp4: sidx timescale is 0"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        n = make_sidx(b, 0, bad[k].timescale, 0, sizes, durs, 3, bad[k].hier);
        size_t give = bad[k].cut ? bad[k].cut : n;
        index_track(&t, 200, give);
        assert_int_equal(video_track_index(&t, b, give, NULL, why, sizeof why),
                         VIDEO_MANIFEST_INVALID);
        assert_string_equal(why, bad[k].want);
        assert_int_equal(t.n_seg, 0);
        assert_false(t.indexed);
        index_free(&t);
    }
    memcpy(b, "\0\0\0\x10" "freefreefreefree", 16);
    index_track(&t, 0, 16);
    assert_int_equal(video_track_index(&t, b, 16, NULL, why, sizeof why), VIDEO_MANIFEST_INVALID);
    assert_string_equal(why, "segment index http://v.example/f.mp4: no sidx box in the index range");
    index_free(&t);
}

/* SegmentBase in an MPD: the track waits for its index. */
static void test_dash_segmentbase(void **state)
{
    (void)state;
    const char *mpd =
        "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
        "mediaPresentationDuration=\"PT30S\"><Period><AdaptationSet mimeType=\"video/mp4\">"
        "<Representation id=\"a\" bandwidth=\"30000\"><BaseURL>a.mp4</BaseURL>"
        "<SegmentBase indexRange=\"200-267\"><Initialization range=\"0-199\"/></SegmentBase>"
        "</Representation>"
        "<Representation id=\"b\" bandwidth=\"60000\"><BaseURL>b.mp4</BaseURL>"
        "<SegmentBase><Initialization range=\"0-199\"/></SegmentBase></Representation>"
        "</AdaptationSet></Period></MPD>";
    struct video_manifest *m = NULL;
    char why[512];
    assert_int_equal(video_manifest_parse((const uint8_t *)mpd, strlen(mpd),
                                          "http://v.example/d/x.mpd", NULL, &m, why, sizeof why),
                     VIDEO_OK);
    assert_int_equal(m->n_variants, 1); /* b has no @indexRange: skipped */
    assert_int_equal(m->n_skipped, 1);
    const struct video_track *t = &m->variant[0].track;
    assert_true(t->needs_index && !t->indexed);
    assert_int_equal(t->n_seg, 0);
    assert_string_equal(t->index.url, "http://v.example/d/a.mp4");
    assert_int_equal(t->index.range_off, 200);
    assert_int_equal(t->index.range_len, 68);
    assert_int_equal(t->n_init, 1);
    assert_string_equal(t->init[0].url, "http://v.example/d/a.mp4");
    assert_int_equal(t->init[0].range_len, 200);
    assert_int_equal(t->container, VIDEO_CT_FMP4);
    video_manifest_free(m);
}

/* ====================================================================== */
/* Sessions against a Python server on loopback                           */
/* ====================================================================== */

static const char server_py[] =
    "import http.server, socketserver, socket, threading, sys, os, time, urllib.parse, struct\n"
    "root, portfile = sys.argv[1], sys.argv[2]\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    protocol_version = 'HTTP/1.1'\n"
    "    disable_nagle_algorithm = True\n"
    "    def log_message(self, *a): pass\n"
    "    def reply(self, code, body=b'', hdrs=()):\n"
    "        self.send_response(code)\n"
    "        for k, v in hdrs: self.send_header(k, v)\n"
    "        self.send_header('Content-Length', str(len(body)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(body)\n"
    "    def do_GET(self):\n"
    "        u = urllib.parse.urlsplit(self.path)\n"
    "        q = urllib.parse.parse_qs(u.query)\n"
    "        if 'delay' in q: time.sleep(int(q['delay'][0]) / 1000.0)\n"
    "        if 'status' in q: return self.reply(int(q['status'][0]))\n"
    "        if 'to' in q: return self.reply(302, hdrs=[('Location', q['to'][0])])\n"
    "        if u.path == '/loop': return self.reply(302, hdrs=[('Location', '/loop')])\n"
    "        p = os.path.normpath(os.path.join(root, u.path.lstrip('/')))\n"
    "        if not p.startswith(root) or not os.path.isfile(p): return self.reply(404)\n"
    "        body = open(p, 'rb').read()\n"
    "        rng = self.headers.get('Range')\n"
    "        if rng and 'norange' not in q:\n"
    "            with open(os.path.join(os.path.dirname(root), 'ranges.log'), 'a') as f: f.write(rng + '\\n')\n"
    "            a, b = (int(x) for x in rng.split('=', 1)[1].split('-'))\n"
    "            part = body[a:b + 1]\n"
    "            if 'short' in q: part = part[:-1]\n"
    "            return self.reply(206, part, [('Content-Range', 'bytes %d-%d/%d' % (a, b, len(body)))])\n"
    "        self.reply(200, body)\n"
    "class S4(socketserver.ThreadingMixIn, http.server.HTTPServer):\n"
    "    daemon_threads = True\n"
    "class S6(S4):\n"
    "    address_family = socket.AF_INET6\n"
    "ZONE = {'video.kpi.lab': ([b'\\x7f\\x00\\x00\\x01'], []),\n"
    "        'dual.kpi.lab': ([b'\\x7f\\x00\\x00\\x01'], [b'\\x00' * 15 + b'\\x01'])}\n"
    "def dns(sock):\n"
    "    while True:\n"
    "        q, peer = sock.recvfrom(512)\n"
    "        i, labels = 12, []\n"
    "        while q[i]: labels.append(q[i + 1:i + 1 + q[i]].decode().lower()); i += 1 + q[i]\n"
    "        qtype = struct.unpack('>H', q[i + 1:i + 3])[0]\n"
    "        name = '.'.join(labels)\n"
    "        ans = []\n"
    "        rcode = 0 if name in ZONE else 3\n"
    "        if name in ZONE and qtype in (1, 28):\n"
    "            ans = ZONE[name][0 if qtype == 1 else 1]\n"
    "        hdr = struct.pack('>HHHHHH', struct.unpack('>H', q[:2])[0], 0x8580 | rcode, 1,\n"
    "                          len(ans), 0, 0)\n"
    "        out = hdr + q[12:i + 5]\n"
    "        for a in ans: out += struct.pack('>HHHIH', 0xc00c, qtype, 1, 60, len(a)) + a\n"
    "        sock.sendto(out, peer)\n"
    "servers = []\n"
    "try:\n"
    "    s6 = S6(('::1', 0), H); servers.append(s6); port = s6.server_address[1]\n"
    "except OSError:\n"
    "    port = 0\n"
    "s4 = S4(('127.0.0.1', port), H); servers.append(s4); port = s4.server_address[1]\n"
    "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', port))\n"
    "threading.Thread(target=dns, args=(u,), daemon=True).start()\n"
    "for s in servers: threading.Thread(target=s.serve_forever, daemon=True).start()\n"
    "with open(portfile + '.tmp', 'w') as f: f.write('%d %d\\n' % (port, len(servers) == 2))\n"
    "os.rename(portfile + '.tmp', portfile)\n"
    "while True: time.sleep(3600)\n";

struct server {
    char dir[64];
    pid_t pid;
    uint16_t port;
    bool have6;
    bool up;
};

static bool write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *slash = strrchr(path, '/');
    if (slash && slash > path + strlen(dir)) {
        *slash = '\0';
        mkdir(path, 0755);
        *slash = '/';
    }
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return false;
    fwrite(data, 1, len, fp);
    return fclose(fp) == 0;
}

static bool write_text(const char *dir, const char *name, const char *text)
{
    return write_file(dir, name, text, strlen(text));
}

static bool write_bytes(const char *dir, const char *name, size_t n)
{
    char *b = malloc(n ? n : 1);
    if (!b)
        return false;
    memset(b, 'v', n);
    bool ok = write_file(dir, name, b, n);
    free(b);
    return ok;
}

/* Segment sizes (bytes), known to the assertions below. */
static const size_t LOW_SIZES[4] = {20000, 1100, 1200, 1300};
static const size_t HI_SIZES[4] = {2000, 2100, 2200, 2300};
#define LOW_INIT 500
#define HI_INIT 800
#define BR_INIT 300

static bool write_site(const char *dir)
{
    bool ok = true;
    ok &= write_text(dir, "master.m3u8",
                     "#EXTM3U\n"
                     "#EXT-X-STREAM-INF:BANDWIDTH=20000,RESOLUTION=320x180\n"
                     "low/index.m3u8\n"
                     "#EXT-X-STREAM-INF:BANDWIDTH=50000,AVERAGE-BANDWIDTH=45000,RESOLUTION=640x360\n"
                     "hi/index.m3u8\n");
    const char *names[2] = {"low", "hi"};
    const size_t *sizes[2] = {LOW_SIZES, HI_SIZES};
    const size_t inits[2] = {LOW_INIT, HI_INIT};
    for (int v = 0; v < 2; v++) {
        char pl[1024], name[64];
        int off = snprintf(pl, sizeof pl,
                           "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:10\n"
                           "#EXT-X-MAP:URI=\"init.mp4\"\n");
        for (int i = 0; i < 4; i++) {
            off += snprintf(pl + off, sizeof pl - (size_t)off, "#EXTINF:10.000,\ns%d.m4s\n", i);
            snprintf(name, sizeof name, "%s/s%d.m4s", names[v], i);
            ok &= write_bytes(dir, name, sizes[v][i]);
        }
        snprintf(pl + off, sizeof pl - (size_t)off, "#EXT-X-ENDLIST\n");
        snprintf(name, sizeof name, "%s/index.m3u8", names[v]);
        ok &= write_text(dir, name, pl);
        snprintf(name, sizeof name, "%s/init.mp4", names[v]);
        ok &= write_bytes(dir, name, inits[v]);
    }
    ok &= write_bytes(dir, "a.ts", 500);
    /* Byte ranges of one file (BR_SIZES after a 300-byte init section, 500
     * bytes of tail that no range covers); in index.m3u8 the second
     * segment's range has no offset: it follows the first (the others name
     * another URI, so they must give it). norange: the server ignores Range;
     * short: it answers 206 one byte short. */
    ok &= write_bytes(dir, "br/all.bin", BR_INIT + 1000 + 1500 + 700 + 500);
    for (int k = 0; k < 3; k++) {
        static const char *const name[3] = {"br/index.m3u8", "br/norange.m3u8", "br/short.m3u8"};
        static const char *const query[3] = {"", "?norange=1", "?short=1"};
        char pl[1024];
        snprintf(pl, sizeof pl,
                 "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:10\n"
                 "#EXT-X-MAP:URI=\"all.bin\",BYTERANGE=\"%d@0\"\n"
                 "#EXTINF:10.0,\n#EXT-X-BYTERANGE:1000@%d\nall.bin\n"
                 "#EXTINF:10.0,\n#EXT-X-BYTERANGE:1500%s\nall.bin%s\n"
                 "#EXTINF:10.0,\n#EXT-X-BYTERANGE:700@2800\nall.bin\n#EXT-X-ENDLIST\n",
                 BR_INIT, BR_INIT, k ? "@1300" : "", query[k]);
        ok &= write_text(dir, name[k], pl);
    }
    /* DASH SegmentBase: sb/a.mp4 = 200 init bytes, a 68-byte sidx (3
     * subsegments of 1000, 1500 and 700 bytes, 10 s each), the subsegments,
     * 100 bytes of tail. */
    {
        uint8_t file[200 + 68 + 3200 + 100];
        memset(file, 'v', sizeof file);
        const uint32_t sizes[3] = {1000, 1500, 700}, durs[3] = {10000, 10000, 10000};
        ok &= make_sidx(file + 200, 0, 1000, 0, sizes, durs, 3, false) == 68;
        ok &= write_file(dir, "sb/a.mp4", file, sizeof file);
        ok &= write_text(dir, "sb/stream.mpd",
                         "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
                         "mediaPresentationDuration=\"PT30S\"><Period>"
                         "<AdaptationSet mimeType=\"video/mp4\">"
                         "<Representation id=\"a\" bandwidth=\"30000\"><BaseURL>a.mp4</BaseURL>"
                         "<SegmentBase indexRange=\"200-267\"><Initialization range=\"0-199\"/>"
                         "</SegmentBase></Representation></AdaptationSet></Period></MPD>\n");
    }
    /* The stall: 1 s segments, the third delayed 3 s by the server. */
    ok &= write_text(dir, "stall.m3u8",
                     "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
                     "#EXTINF:1.0,\na.ts\n#EXTINF:1.0,\na.ts\n"
                     "#EXTINF:1.0,\na.ts?delay=3000\n#EXTINF:1.0,\na.ts\n#EXT-X-ENDLIST\n");
    /* A failure: the second segment redirects to a.ts, the third is 404. */
    ok &= write_text(dir, "fail.m3u8",
                     "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
                     "#EXTINF:1.0,\na.ts\n#EXTINF:1.0,\nr.ts?to=a.ts\n"
                     "#EXTINF:1.0,\nmissing.ts\n#EXTINF:1.0,\na.ts\n#EXT-X-ENDLIST\n");
    ok &= write_text(dir, "d/stream.mpd",
                     "<?xml version=\"1.0\"?>\n"
                     "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
                     "mediaPresentationDuration=\"PT25S\">\n"
                     " <Period>\n"
                     "  <AdaptationSet contentType=\"audio\"><Representation id=\"a\" "
                     "bandwidth=\"64000\"><SegmentTemplate media=\"a$Number$.m4s\" duration=\"5\"/>"
                     "</Representation></AdaptationSet>\n"
                     "  <AdaptationSet mimeType=\"video/mp4\">\n"
                     "   <SegmentTemplate media=\"$RepresentationID$/seg-$Number%03d$.m4s\" "
                     "initialization=\"$RepresentationID$/init.mp4\" duration=\"10000\" "
                     "timescale=\"1000\"/>\n"
                     "   <Representation id=\"v1\" bandwidth=\"30000\" width=\"640\" height=\"360\"/>\n"
                     "  </AdaptationSet>\n"
                     " </Period>\n"
                     "</MPD>\n");
    ok &= write_bytes(dir, "d/v1/init.mp4", 300);
    ok &= write_bytes(dir, "d/v1/seg-001.m4s", 1000);
    ok &= write_bytes(dir, "d/v1/seg-002.m4s", 1000);
    ok &= write_bytes(dir, "d/v1/seg-003.m4s", 500);
    return ok;
}

static bool server_start(struct server *sv)
{
    memset(sv, 0, sizeof *sv);
    if (access("/usr/bin/python3", X_OK) != 0) {
        printf("SKIP: python3 is not installed; the session tests are left out\n");
        return false;
    }
    snprintf(sv->dir, sizeof sv->dir, "/tmp/v6m-video-XXXXXX");
    if (!mkdtemp(sv->dir)) {
        printf("SKIP: cannot make a temporary directory\n");
        sv->dir[0] = '\0';
        return false;
    }
    char www[128], script[128], portfile[128];
    snprintf(www, sizeof www, "%s/www", sv->dir);
    mkdir(www, 0755);
    snprintf(script, sizeof script, "%s/server.py", sv->dir);
    snprintf(portfile, sizeof portfile, "%s/port", sv->dir);
    if (!write_text(sv->dir, "server.py", server_py) || !write_site(www)) {
        printf("SKIP: cannot write the test site\n");
        return false;
    }
    pid_t parent = getpid();
    sv->pid = fork();
    if (sv->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        execl("/usr/bin/python3", "python3", script, www, portfile, (char *)NULL);
        _exit(127);
    }
    if (sv->pid < 0) {
        sv->pid = 0;
        printf("SKIP: cannot fork\n");
        return false;
    }
    for (int i = 0; i < 200; i++) {
        FILE *fp = fopen(portfile, "r");
        if (fp) {
            unsigned p = 0, six = 0;
            int n = fscanf(fp, "%u %u", &p, &six);
            fclose(fp);
            if (n == 2 && p > 0 && p < 65536) {
                sv->port = (uint16_t)p;
                sv->have6 = six == 1;
                sv->up = true;
                return true;
            }
        }
        if (waitpid(sv->pid, NULL, WNOHANG) == sv->pid) {
            sv->pid = 0;
            break;
        }
        usleep(50000);
    }
    printf("SKIP: the Python test server did not start\n");
    return false;
}

static void server_stop(struct server *sv)
{
    if (sv->pid > 0) {
        kill(sv->pid, SIGTERM);
        waitpid(sv->pid, NULL, 0);
        sv->pid = 0;
    }
    if (sv->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", sv->dir);
        if (system(cmd) != 0)
            printf("note: could not remove %s\n", sv->dir);
    }
}

static struct server SV;

static int group_setup(void **state)
{
    (void)state;
    server_start(&SV);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    server_stop(&SV);
    return 0;
}

struct env {
    struct loop *l;
    struct fetch_engine *f;
    struct resolver *res;
};

static void env_init(struct env *e)
{
    struct errbuf eb;
    errbuf_clear(&eb);
    e->l = loop_new(&eb);
    assert_non_null(e->l);
    e->f = fetch_engine_new(e->l, NULL, &eb);
    assert_non_null(e->f);
    char server[64];
    snprintf(server, sizeof server, "127.0.0.1:%u", SV.port);
    struct resolver_config rc = {.server = server, .timeout_ms = 1000, .tries = 2};
    e->res = resolver_new(e->l, &rc, &eb);
    if (!e->res)
        fail_msg("resolver_new: %s", eb.msg);
}

static void env_free(struct env *e)
{
    fetch_engine_free(e->f);
    resolver_free(e->res);
    loop_free(e->l);
}

struct got {
    int calls;
    bool in_start;
    bool called_in_start;
    bool free_in_cb;
    struct video_session *self;
    struct video_result r;
};

static void on_result(void *arg, const struct video_result *r)
{
    struct got *g = arg;
    g->calls++;
    if (g->in_start)
        g->called_in_start = true;
    g->r = *r;
    if (getenv("V6M_TEST_VERBOSE"))
        printf("  %s: %s, variant %d (%s), %u segments, startup %.1f ms, stalls %u (%.1f ms), "
               "play %.1f ms, ratio %.4f\n",
               video_status_name(r->status), r->detail, r->variant_index, r->how, r->segments,
               r->startup_ms, r->stalls, r->stall_ms, r->play_ms, r->stall_ratio);
    if (g->free_in_cb)
        video_session_free(g->self);
}

/* Run one session to its callback (at most 20 s). */
static void play(struct env *e, const struct video_config *cfg, const char *url, int family,
                 struct got *g)
{
    memset(g, 0, sizeof *g);
    g->in_start = true;
    struct video_session *s = video_session_start(e->l, e->f, e->res, cfg, url, family, on_result, g);
    g->in_start = false;
    assert_non_null(s);
    assert_false(g->called_in_start);
    uint64_t until = loop_update_time(e->l) + 20000 * MS;
    while (g->calls == 0 && loop_update_time(e->l) < until)
        loop_run_once(e->l, 100 * MS);
    assert_int_equal(g->calls, 1);
    video_session_free(s);
}

static void url_of(char *buf, size_t len, int family, const char *path)
{
    snprintf(buf, len, family == 6 ? "http://[::1]:%u%s" : "http://127.0.0.1:%u%s", SV.port, path);
}

static bool need_server(void)
{
    if (!SV.up) {
        printf("SKIP: no test server\n");
        return false;
    }
    return true;
}

/*
 * HIGHEST over both families: variant hi (BANDWIDTH 50000, index 1), its
 * init (800 bytes) then 4 segments of 10 s (2000+2100+2200+2300 = 8600
 * bytes) with no media limit; bitrate 8600 * 8 / 40 = 1720 bit/s. A stall
 * would need a download of a few KB over loopback to take more than 10 s
 * (the request timeout): none, so play time is exactly the 40 s of media.
 */
static void test_session_highest(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    struct video_config cfg;
    video_config_default(&cfg);
    cfg.max_media_s = 0;
    for (int family = 4; family <= 6; family += 2) {
        if (family == 6 && !SV.have6) {
            printf("SKIP: no ::1; the IPv6 session is left out\n");
            continue;
        }
        char url[128];
        url_of(url, sizeof url, family, "/master.m3u8");
        struct got g;
        play(&e, &cfg, url, family, &g);
        const struct video_result *r = &g.r;
        if (r->status != VIDEO_OK)
            fail_msg("IPv%d: %s: %s", family, video_status_name(r->status), r->detail);
        assert_int_equal(r->family, family);
        assert_string_equal(r->manifest_url, url);
        assert_int_equal(r->kind, VIDEO_HLS_MASTER);
        assert_int_equal(r->n_variants, 2);
        assert_int_equal(r->variant_index, 1);
        assert_int_equal(r->variant_bandwidth, 50000);
        assert_int_equal(r->width, 640);
        assert_string_equal(r->how, "highest of 2 variants (BANDWIDTH 50000)");
        assert_int_equal(r->container, VIDEO_CT_FMP4);
        assert_int_equal(r->segments, 4);
        assert_int_equal(r->n_samples, 4);
        assert_int_equal(r->bytes, 8600);
        assert_int_equal(r->init_bytes, HI_INIT);
        assert_true(r->media_s == 40.0);
        assert_true(fabs(r->avg_bitrate_bps - 1720.0) < 1e-9);
        assert_true(r->started && r->finished);
        assert_int_equal(r->stalls, 0);
        assert_true(r->stall_ms == 0 && r->stall_ratio == 0);
        assert_true(r->play_ms == 40000.0);
        assert_true(r->startup_ms >= 0 && r->startup_ms < 10000);
        assert_true(r->join_ms >= r->startup_ms);
        assert_true(r->manifest_ms > 0 && r->manifest_ms <= r->join_ms);
        assert_int_equal(r->failed_segment, -1);
        for (unsigned i = 0; i < 4; i++) {
            assert_int_equal(r->sample[i].index, i);
            assert_int_equal(r->sample[i].bytes, HI_SIZES[i]);
            assert_true(r->sample[i].ok);
            assert_int_equal(r->sample[i].variant, 1);
            if (i)
                assert_true(r->sample[i].start_ms >=
                            r->sample[i - 1].start_ms + r->sample[i - 1].download_ms);
        }
        /* Startup = from the init request to the first segment's arrival
         * (its 10 s reach the 2 s threshold), as the samples show. */
        assert_true(r->startup_ms <= r->sample[0].start_ms + r->sample[0].download_ms);
        const char *want_remote = family == 6 ? "[::1]" : "127.0.0.1";
        assert_memory_equal(r->remote, want_remote, strlen(want_remote));
    }
    env_free(&e);
}

/*
 * LOWEST, CAP and AUTO. Lowest: init 500 + 20000+1100+1200+1300 = 23600
 * bytes. Cap 30000: only 20000 fits -> low. Cap 10000: none -> low.
 * AUTO: the first segment at low (20000 bytes); even at 2.5 s for it the
 * throughput (64 kbit/s) x 0.8 is above 50000, so it switches to hi:
 * then hi's segments 1..3 (2100+2200+2300) after hi's init: bytes 26600,
 * init bytes 1300; 40 s of media in all.
 */
static void test_session_variants(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    struct video_config cfg;
    video_config_default(&cfg);
    cfg.max_media_s = 0;
    char url[128];
    url_of(url, sizeof url, 4, "/master.m3u8");
    struct got g;

    cfg.variant = VIDEO_VARIANT_LOWEST;
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_OK);
    assert_int_equal(g.r.variant_index, 0);
    assert_int_equal(g.r.bytes, 23600);
    assert_int_equal(g.r.init_bytes, LOW_INIT);

    cfg.variant = VIDEO_VARIANT_CAP;
    cfg.max_bandwidth_bps = 30000;
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.variant_index, 0);
    assert_string_equal(g.r.how,
                        "highest of 2 variants at or under the cap of 30000 bit/s (BANDWIDTH 20000)");
    cfg.max_bandwidth_bps = 10000;
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.variant_index, 0);
    assert_non_null(strstr(g.r.how, "none at or under the cap of 10000 bit/s"));

    cfg.variant = VIDEO_VARIANT_AUTO;
    play(&e, &cfg, url, 4, &g);
    if (g.r.status != VIDEO_OK)
        fail_msg("%s: %s", video_status_name(g.r.status), g.r.detail);
    assert_int_equal(g.r.variant_index, 1);
    assert_int_equal(g.r.variant_bandwidth, 50000);
    assert_memory_equal(g.r.how, "auto: highest of 2 variants", 27);
    assert_int_equal(g.r.segments, 4);
    assert_int_equal(g.r.sample[0].variant, 0);
    assert_int_equal(g.r.sample[0].bytes, 20000);
    assert_int_equal(g.r.sample[1].variant, 1);
    assert_int_equal(g.r.sample[1].index, 1);
    assert_int_equal(g.r.sample[3].index, 3);
    assert_int_equal(g.r.bytes, 26600);
    assert_int_equal(g.r.init_bytes, LOW_INIT + HI_INIT);
    assert_true(g.r.media_s == 40.0);

    /* Default limits: 10 segments or 30 s of media, whichever first: 3. */
    video_config_default(&cfg);
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_OK);
    assert_int_equal(g.r.segments, 3);
    cfg.max_media_s = 0;
    cfg.max_segments = 2;
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.segments, 2);
    env_free(&e);
}

/*
 * The stall (see the file comment): 1 s segments, start at 2 s buffered,
 * the third segment delayed >= 3 s by the server. Playback starts when
 * segment 1 arrives (e1) with B = 2; B runs out at e1 + 2 s, before
 * segment 2 arrives (>= e1 + 3 s); segment 2 brings B to 1 < 2, segment 3
 * to 2: resume at e3. So exactly 1 stall of e3 - (e1 + 2 s) >= 1 s, and
 * play time = the 4 s of media.
 */
static void test_session_stall(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    char url[128];
    url_of(url, sizeof url, 4, "/stall.m3u8");
    struct got g;
    play(&e, NULL, url, 4, &g);
    const struct video_result *r = &g.r;
    if (r->status != VIDEO_OK)
        fail_msg("%s: %s", video_status_name(r->status), r->detail);
    assert_int_equal(r->kind, VIDEO_HLS_MEDIA);
    assert_string_equal(r->how, "media playlist without variants");
    assert_int_equal(r->container, VIDEO_CT_TS);
    assert_int_equal(r->segments, 4);
    assert_int_equal(r->bytes, 2000);
    assert_int_equal(r->init_bytes, 0);
    assert_true(r->sample[2].download_ms >= 3000);
    assert_int_equal(r->stalls, 1);
    assert_true(r->stall_ms >= 1000);
    double e1 = r->sample[1].start_ms + r->sample[1].download_ms;
    double e3 = r->sample[3].start_ms + r->sample[3].download_ms;
    assert_true(fabs(r->stall_ms - (e3 - e1 - 2000)) < 0.01);
    assert_true(r->play_ms == 4000.0);
    assert_true(fabs(r->stall_ratio - r->stall_ms / 4000.0) < 1e-12);
    /* startup: origin = first segment's request; playback at e1. */
    assert_true(fabs(r->startup_ms - (e1 - r->sample[0].start_ms)) < 0.01);
    assert_true(fabs(r->sample[2].buffer_s - 1.0) < 1e-9);
    env_free(&e);
}

/*
 * Failures. fail.m3u8: segment 0 fine, segment 1 redirected (302 to a.ts,
 * followed), segment 2 is 404: segment_failed, the model ran on the two
 * 1 s segments (started at B = 2), a sentence naming the segment.
 * The manifest itself 404: manifest_fetch. Redirect loop: redirects.
 * Redirect to the real manifest: fine, relative URIs against the final
 * URL. An IPv4 literal over IPv6; a bad URL; an MPD over HTTP.
 */
/* The Range headers the server saw since the log was last removed. */
static void ranges_seen(char *got, size_t n)
{
    char log[512];
    snprintf(log, sizeof log, "%s/ranges.log", SV.dir);
    FILE *fp = fopen(log, "r");
    assert_non_null(fp);
    size_t k = fread(got, 1, n - 1, fp);
    got[k] = '\0';
    fclose(fp);
}

static void ranges_forget(void)
{
    char log[512];
    snprintf(log, sizeof log, "%s/ranges.log", SV.dir);
    unlink(log);
}

/*
 * Byte ranges: the init section is bytes 0-299 of br/all.bin, the segments
 * 300-1299, 1300-2799 (no offset: after the previous range) and 2800-3499;
 * the 500 bytes after them are never asked for. The server logs every Range
 * header it gets, so the test sees the requests themselves, not only our
 * counts. A server that ignores Range (200, the whole file) or sends a 206
 * of the wrong length fails that segment, saying so.
 */
static void test_session_byterange(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    struct video_config cfg;
    video_config_default(&cfg);
    cfg.max_media_s = 0;
    char url[128], want[300], got[256];
    struct got g;
    ranges_forget();

    url_of(url, sizeof url, 4, "/br/index.m3u8");
    play(&e, &cfg, url, 4, &g);
    if (g.r.status != VIDEO_OK)
        fail_msg("%s: %s", video_status_name(g.r.status), g.r.detail);
    assert_int_equal(g.r.segments, 3);
    assert_int_equal(g.r.init_bytes, BR_INIT);
    assert_int_equal(g.r.bytes, 1000 + 1500 + 700);
    assert_int_equal(g.r.sample[0].bytes, 1000);
    assert_int_equal(g.r.sample[1].bytes, 1500);
    assert_int_equal(g.r.sample[2].bytes, 700);
    assert_true(g.r.finished && g.r.stalls == 0);
    ranges_seen(got, sizeof got);
    assert_string_equal(got, "bytes=0-299\nbytes=300-1299\nbytes=1300-2799\nbytes=2800-3499\n");

    url_of(url, sizeof url, 4, "/br/norange.m3u8");
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_SEGMENT_FAILED);
    snprintf(want, sizeof want,
             "segment 1 (http://127.0.0.1:%u/br/all.bin?norange=1): HTTP 200 to a request for "
             "bytes 1300-2799: the server ignored the Range header",
             SV.port);
    assert_string_equal(g.r.detail, want);
    assert_int_equal(g.r.failed_segment, 1);

    url_of(url, sizeof url, 4, "/br/short.m3u8");
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_SEGMENT_FAILED);
    snprintf(want, sizeof want,
             "segment 1 (http://127.0.0.1:%u/br/all.bin?short=1): asked for bytes 1300-2799 "
             "(1500 bytes), got 1499 bytes",
             SV.port);
    assert_string_equal(g.r.detail, want);
    env_free(&e);
}

/*
 * DASH SegmentBase: the player asks for the index first (bytes 200-267),
 * then the init section (0-199), then the three subsegments the sidx lists
 * (268-1267, 1268-2767, 2768-3467); the 100 bytes of tail are never asked
 * for. The server's log of Range headers shows the order and the ranges.
 */
static void test_session_segmentbase(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    struct video_config cfg;
    video_config_default(&cfg);
    cfg.max_media_s = 0;
    char url[128], got[256];
    struct got g;
    ranges_forget();
    url_of(url, sizeof url, 4, "/sb/stream.mpd");
    play(&e, &cfg, url, 4, &g);
    if (g.r.status != VIDEO_OK)
        fail_msg("%s: %s", video_status_name(g.r.status), g.r.detail);
    assert_int_equal(g.r.kind, VIDEO_DASH);
    assert_int_equal(g.r.segments, 3);
    assert_int_equal(g.r.bytes, 3200);
    assert_int_equal(g.r.init_bytes, 200 + 68);
    assert_true(g.r.media_s == 30.0 && g.r.finished);
    ranges_seen(got, sizeof got);
    assert_string_equal(got, "bytes=200-267\nbytes=0-199\nbytes=268-1267\nbytes=1268-2767\n"
                             "bytes=2768-3467\n");
    env_free(&e);
}

static void test_session_failures(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    char url[128], want[300];
    struct got g;

    url_of(url, sizeof url, 4, "/fail.m3u8");
    play(&e, NULL, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_SEGMENT_FAILED);
    snprintf(want, sizeof want, "segment 2 (http://127.0.0.1:%u/missing.ts): HTTP 404", SV.port);
    assert_string_equal(g.r.detail, want);
    assert_int_equal(g.r.failed_segment, 2);
    assert_int_equal(g.r.segments, 2);
    assert_int_equal(g.r.n_samples, 3);
    assert_false(g.r.sample[2].ok);
    assert_true(g.r.sample[1].ok);
    assert_int_equal(g.r.bytes, 1000);
    assert_true(g.r.started);
    assert_false(g.r.finished);

    url_of(url, sizeof url, 4, "/nothing.m3u8");
    play(&e, NULL, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_MANIFEST_FETCH);
    snprintf(want, sizeof want, "manifest %s: HTTP 404", url);
    assert_string_equal(g.r.detail, want);
    assert_false(g.r.started);
    assert_true(isnan(g.r.startup_ms));

    url_of(url, sizeof url, 4, "/loop");
    play(&e, NULL, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_REDIRECTS);
    snprintf(want, sizeof want, "manifest %s: more than 5 redirects", url);
    assert_string_equal(g.r.detail, want);

    url_of(url, sizeof url, 4, "/x?to=/master.m3u8");
    play(&e, NULL, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_OK);
    url_of(want, sizeof want, 4, "/master.m3u8");
    assert_string_equal(g.r.manifest_url, want);

    url_of(url, sizeof url, 4, "/master.m3u8");
    play(&e, NULL, url, 6, &g);
    assert_int_equal(g.r.status, VIDEO_DNS);
    snprintf(want, sizeof want, "manifest %s: 127.0.0.1 is an IPv4 address; the session is pinned to IPv6", url);
    assert_string_equal(g.r.detail, want);

    play(&e, NULL, "ftp://v.kpi.lab/x.m3u8", 4, &g);
    assert_int_equal(g.r.status, VIDEO_BAD_URL);
    assert_string_equal(g.r.detail, "'ftp://v.kpi.lab/x.m3u8' is not an absolute http(s) URL");

    url_of(url, sizeof url, 4, "/a.ts");
    play(&e, NULL, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_MANIFEST_INVALID);

    /* Caps: a 500-byte segment over a 100-byte segment cap fails it; a
     * manifest over max_bytes is a limit. */
    struct video_config cap;
    video_config_default(&cap);
    cap.segment_cap = 100;
    url_of(url, sizeof url, 4, "/stall.m3u8");
    play(&e, &cap, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_SEGMENT_FAILED);
    snprintf(want, sizeof want, "segment 0 (http://127.0.0.1:%u/a.ts): body longer than 100 bytes",
             SV.port);
    assert_string_equal(g.r.detail, want);
    assert_int_equal(g.r.failed_segment, 0);
    assert_int_equal(g.r.segments, 0);
    video_config_default(&cap);
    cap.limits.max_bytes = 50;
    play(&e, &cap, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_LIMIT);
    snprintf(want, sizeof want, "manifest %s: longer than 50 bytes", url);
    assert_string_equal(g.r.detail, want);

    /* DASH: v1's init (300) and 25 s in 10 + 10 + 5 s segments (2500 bytes). */
    struct video_config cfg;
    video_config_default(&cfg);
    cfg.max_media_s = 0;
    url_of(url, sizeof url, 4, "/d/stream.mpd");
    play(&e, &cfg, url, 4, &g);
    if (g.r.status != VIDEO_OK)
        fail_msg("%s: %s", video_status_name(g.r.status), g.r.detail);
    assert_int_equal(g.r.kind, VIDEO_DASH);
    assert_int_equal(g.r.segments, 3);
    assert_int_equal(g.r.bytes, 2500);
    assert_int_equal(g.r.init_bytes, 300);
    assert_true(g.r.media_s == 25.0);
    assert_true(g.r.play_ms == 25000.0);
    assert_int_equal(g.r.variant_bandwidth, 30000);
    env_free(&e);
}

/*
 * Names through the resolver (the fake zone of the server script):
 * video.kpi.lab has an A only: IPv4 plays, IPv6 fails with "no AAAA for
 * video.kpi.lab"; dual.kpi.lab has AAAA ::1 (loopback is accepted) and
 * plays over IPv6; an unknown name is NXDOMAIN.
 */
static void test_session_dns(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    char url[160], want[300];
    struct got g;
    snprintf(url, sizeof url, "http://video.kpi.lab:%u/stall.m3u8", SV.port);
    struct video_config cfg;
    video_config_default(&cfg);
    cfg.max_segments = 2;
    play(&e, &cfg, url, 4, &g);
    if (g.r.status != VIDEO_OK)
        fail_msg("%s: %s", video_status_name(g.r.status), g.r.detail);
    assert_int_equal(g.r.segments, 2);
    play(&e, &cfg, url, 6, &g);
    assert_int_equal(g.r.status, VIDEO_DNS);
    snprintf(want, sizeof want, "manifest %s: no AAAA for video.kpi.lab", url);
    assert_string_equal(g.r.detail, want);
    if (SV.have6) {
        snprintf(url, sizeof url, "http://dual.kpi.lab:%u/stall.m3u8", SV.port);
        play(&e, &cfg, url, 6, &g);
        if (g.r.status != VIDEO_OK)
            fail_msg("%s: %s", video_status_name(g.r.status), g.r.detail);
        assert_memory_equal(g.r.remote, "[::1]:", 6);
    } else {
        printf("SKIP: no ::1; the AAAA session is left out\n");
    }
    snprintf(url, sizeof url, "http://nx.kpi.lab:%u/stall.m3u8", SV.port);
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_DNS);
    assert_non_null(strstr(g.r.detail, "A lookup of nx.kpi.lab: nxdomain"));
    /* No resolver at all. */
    struct resolver *keep = e.res;
    e.res = NULL;
    play(&e, &cfg, url, 4, &g);
    assert_int_equal(g.r.status, VIDEO_DNS);
    assert_non_null(strstr(g.r.detail, "no resolver to look up nx.kpi.lab"));
    e.res = keep;
    env_free(&e);
}

/*
 * Lifetime: a session freed right after its start never calls back (its
 * request lingers detached until the engine delivers it); one freed from
 * inside its callback is released after it; NULL arguments are refused.
 */
static void test_session_lifetime(void **state)
{
    (void)state;
    if (!need_server())
        skip();
    struct env e;
    env_init(&e);
    char url[128];
    url_of(url, sizeof url, 4, "/stall.m3u8");
    struct got g;
    memset(&g, 0, sizeof g);
    struct video_session *s = video_session_start(e.l, e.f, e.res, NULL, url, 4, on_result, &g);
    assert_non_null(s);
    video_session_free(s);
    uint64_t until = loop_update_time(e.l) + 2000 * MS;
    while (fetch_inflight(e.f) && loop_update_time(e.l) < until)
        loop_run_once(e.l, 50 * MS);
    assert_int_equal(fetch_inflight(e.f), 0);
    assert_int_equal(g.calls, 0);

    /* Freed before the loop ran at all, with a bad URL (timer pending). */
    s = video_session_start(e.l, e.f, e.res, NULL, "nonsense", 4, on_result, &g);
    video_session_free(s);
    loop_run_once(e.l, 10 * MS);
    assert_int_equal(g.calls, 0);

    /* Freed inside the callback. */
    memset(&g, 0, sizeof g);
    g.free_in_cb = true;
    g.self = video_session_start(e.l, e.f, e.res, NULL, "nonsense", 4, on_result, &g);
    assert_non_null(g.self);
    until = loop_update_time(e.l) + 2000 * MS;
    while (g.calls == 0 && loop_update_time(e.l) < until)
        loop_run_once(e.l, 50 * MS);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.r.status, VIDEO_BAD_URL);

    /* A session in flight when the engine is freed: cancelled. (The
     * server holds the manifest 500 ms, so it is surely in flight.) */
    memset(&g, 0, sizeof g);
    url_of(url, sizeof url, 4, "/stall.m3u8?delay=500");
    s = video_session_start(e.l, e.f, e.res, NULL, url, 4, on_result, &g);
    loop_run_once(e.l, 1 * MS);
    fetch_engine_free(e.f);
    e.f = NULL;
    until = loop_update_time(e.l) + 2000 * MS;
    while (g.calls == 0 && loop_update_time(e.l) < until)
        loop_run_once(e.l, 50 * MS);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.r.status, VIDEO_CANCELLED);
    video_session_free(s);

    assert_null(video_session_start(e.l, NULL, e.res, NULL, url, 4, on_result, &g));
    assert_null(video_session_start(e.l, e.f, e.res, NULL, url, 5, on_result, &g));
    assert_null(video_session_start(e.l, e.f, e.res, NULL, NULL, 4, on_result, &g));
    env_free(&e);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(video_status_name(VIDEO_OK), "ok");
    assert_string_equal(video_status_name(VIDEO_SEGMENT_FAILED), "segment_failed");
    assert_string_equal(video_status_name(VIDEO_CANCELLED), "cancelled");
    assert_string_equal(video_status_name(VIDEO__COUNT), "?");
    assert_string_equal(video_container_name(VIDEO_CT_TS), "mpegts");
    assert_string_equal(video_manifest_kind_name(VIDEO_DASH), "dash");
    assert_string_equal(video_variant_mode_name(VIDEO_VARIANT_AUTO), "auto");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_no_stall),
        cmocka_unit_test(test_model_one_stall),
        cmocka_unit_test(test_model_several_stalls),
        cmocka_unit_test(test_model_end_resume),
        cmocka_unit_test(test_model_never_started),
        cmocka_unit_test(test_model_fail_while_stalled),
        cmocka_unit_test(test_model_max_buffer),
        cmocka_unit_test(test_model_zero_durations),
        cmocka_unit_test(test_model_origin),
        cmocka_unit_test(test_hls_master),
        cmocka_unit_test(test_hls_media),
        cmocka_unit_test(test_hls_errors),
        cmocka_unit_test(test_dash_template),
        cmocka_unit_test(test_dash_timeline),
        cmocka_unit_test(test_dash_list),
        cmocka_unit_test(test_dash_errors),
        cmocka_unit_test(test_sidx),
        cmocka_unit_test(test_dash_segmentbase),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_session_highest),
        cmocka_unit_test(test_session_variants),
        cmocka_unit_test(test_session_stall),
        cmocka_unit_test(test_session_byterange),
        cmocka_unit_test(test_session_segmentbase),
        cmocka_unit_test(test_session_failures),
        cmocka_unit_test(test_session_dns),
        cmocka_unit_test(test_session_lifetime),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
