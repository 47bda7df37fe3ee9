/*
 * probe/video.h - the video part of `v6mon kpi` (issue 5, 视频播放卡顿率):
 * read an HLS or DASH manifest, download segments of one variant in order
 * over one pinned address family, and run a player buffer model on the
 * real download times to get start-up delay, stalls and the stall ratio.
 *
 * Three layers, each usable alone (docs/internals/video.md has the why):
 *
 * 1. Manifest parsers (video_manifest.c, video_hls.c, video_dash.c). Pure
 *    functions over untrusted bytes, bounded by struct video_limits.
 *      HLS (RFC 8216): master playlists (4.3.4.2 EXT-X-STREAM-INF with
 *      BANDWIDTH, AVERAGE-BANDWIDTH, RESOLUTION, CODECS, the URI on the next
 *      line) and media playlists (4.3.2.1 EXTINF, 4.3.3.1 TARGETDURATION,
 *      4.3.3.2 MEDIA-SEQUENCE, 4.3.3.4 ENDLIST, 4.3.2.2 BYTERANGE, 4.3.2.5
 *      MAP). I-frame streams and EXT-X-MEDIA renditions (separate audio)
 *      are skipped and counted; keys (EXT-X-KEY) are ignored: segments are
 *      counted, never decoded.
 *      DASH (ISO/IEC 23009-1) static MPDs: the first Period, video
 *      AdaptationSets (audio, text and image sets are skipped and counted),
 *      Representation@bandwidth/@id/@width/@height/@codecs, BaseURL at
 *      every level, SegmentTemplate (media, initialization, timescale,
 *      duration, startNumber, SegmentTimeline S@t/@d/@r; $Number$,
 *      $RepresentationID$, $Bandwidth$, $Time$, $$ and %0Nd widths),
 *      SegmentList (Initialization@sourceURL, SegmentURL@media/@mediaRange),
 *      mediaPresentationDuration / Period@duration. Read by our own bounded
 *      XML tokenizer (no libxml2). type="dynamic" (live) is unsupported.
 *    Every URI comes out absolute and in the normal form of probe/url.h
 *    (resolved against base_url, then BaseURLs); with base_url NULL,
 *    references are kept as written.
 *
 * 2. The buffer model (video_buffer.c), a pure function, below at
 *    video_model_run(): the heart of the unit tests.
 *
 * 3. The player session (video.c) on the prober's loop: manifest (with
 *    redirects), variant choice, init section(s), then segments strictly in
 *    order one at a time, then the model on the measured times.
 *
 * Ownership: video_manifest_parse() returns a heap object owned by the
 * caller (video_manifest_free(), NULL is a no-op); every string in it is
 * owned by it. The session borrows the loop, the fetch engine and the
 * resolver (they must outlive it, see video_session_free()); the result
 * handed to the callback is owned by the session and valid only during
 * the callback. Not thread-safe (one loop per thread, like the rest).
 */
#ifndef V6M_PROBE_VIDEO_H
#define V6M_PROBE_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/fetch.h"
#include "probe/loop.h"
#include "probe/resolver.h"
#include "probe/url.h"

/* ---- status ---- */

enum video_status {
    VIDEO_OK = 0,
    VIDEO_MANIFEST_INVALID,     /* not a playlist/MPD, or malformed ("line 12: ...") */
    VIDEO_MANIFEST_UNSUPPORTED, /* valid but not handled (live MPD, SegmentBase only...) */
    VIDEO_LIMIT,                /* over a cap of struct video_limits (line, bytes) */
    VIDEO_NO_MEMORY,
    VIDEO_BAD_URL,              /* the manifest URL is not an absolute http(s) URL */
    VIDEO_DNS,                  /* no address of the family ("no AAAA for x"), DNS failure */
    VIDEO_MANIFEST_FETCH,       /* the manifest or media playlist did not arrive (network, HTTP status) */
    VIDEO_REDIRECTS,            /* more than VIDEO_MAX_REDIRECTS */
    VIDEO_NO_SEGMENTS,          /* the chosen variant lists no segment */
    VIDEO_SEGMENT_FAILED,       /* an init section or segment failed; the model ran up to there */
    VIDEO_CANCELLED,
    VIDEO__COUNT
};
/* "ok", "manifest_invalid", "manifest_unsupported", "limit", "no_memory",
 * "bad_url", "dns", "manifest_fetch", "redirects", "no_segments",
 * "segment_failed", "cancelled"; "?" out of range. */
const char *video_status_name(enum video_status s);

/* ---- manifests ---- */

#define VIDEO_MAX_VARIANTS 32     /* hard size of the variant array */
#define VIDEO_MAX_INITS 8         /* distinct init sections (EXT-X-MAP) of one track */
#define VIDEO_MAX_REDIRECTS 5

struct video_limits {
    size_t max_bytes;          /* manifest bytes accepted (4 MiB); more: VIDEO_LIMIT */
    unsigned max_variants;     /* variants kept (32, at most VIDEO_MAX_VARIANTS); more are
                                  counted in n_variants_dropped */
    size_t max_segments;       /* segments kept per track (10000); more are counted in
                                  track.n_seg_dropped (the prefix is kept: a player needs
                                  only the start) */
    size_t max_total_segments; /* over all tracks of a manifest (100000), same rule */
    size_t max_line;           /* bytes of one line, attribute value, URI or expanded
                                  template (4096); more: VIDEO_LIMIT */
};
void video_limits_default(struct video_limits *l);

enum video_manifest_kind { VIDEO_HLS_MASTER = 0, VIDEO_HLS_MEDIA, VIDEO_DASH };
const char *video_manifest_kind_name(enum video_manifest_kind k); /* "hls_master", "hls_media", "dash" */

enum video_container { VIDEO_CT_UNKNOWN = 0, VIDEO_CT_TS, VIDEO_CT_FMP4 };
const char *video_container_name(enum video_container c); /* "unknown", "mpegts", "fmp4" */

struct video_init {
    char *url;                 /* absolute (or as written when base_url was NULL) */
    uint64_t range_off, range_len; /* byte range; range_len 0 = the whole resource */
};

struct video_segment {
    char *url;
    double duration_s;         /* EXTINF / d/timescale; >= 0, finite */
    uint64_t range_off, range_len; /* range_len 0 = whole resource */
    uint64_t number;           /* HLS media sequence number; DASH $Number$ */
    uint8_t init;              /* 0: none; k: track.init[k - 1] applies */
    bool discontinuity;        /* EXT-X-DISCONTINUITY before it */
};

struct video_track {
    struct video_init init[VIDEO_MAX_INITS];
    unsigned n_init;
    struct video_segment *seg; /* n_seg entries, document order */
    size_t n_seg;
    size_t n_seg_dropped;      /* past max_segments / max_total_segments */
    double total_s;            /* sum of the kept durations */
    double target_duration_s;  /* HLS EXT-X-TARGETDURATION; 0 for DASH */
    uint64_t media_sequence;   /* HLS EXT-X-MEDIA-SEQUENCE (0); DASH startNumber */
    bool endlist;              /* HLS EXT-X-ENDLIST seen; always true for a static MPD */
    enum video_container container;
    /* DASH SegmentBase: the segments are listed in the media file's sidx
     * box, at index (URL + SegmentBase@indexRange). Until the player has
     * fetched it and called video_track_index(), n_seg is 0. */
    bool needs_index;
    bool indexed;              /* video_track_index() filled seg[] */
    struct video_init index;
};

struct video_variant {
    uint64_t bandwidth;        /* bit/s: HLS BANDWIDTH (peak), DASH @bandwidth; 0 unknown */
    uint64_t avg_bandwidth;    /* HLS AVERAGE-BANDWIDTH; 0 when absent */
    unsigned width, height;    /* RESOLUTION / @width @height; 0 unknown */
    char codecs[128];          /* CODECS / @codecs, cut at 127 bytes */
    char id[128];              /* DASH Representation@id; "" for HLS */
    char *url;                 /* HLS master: the media playlist; NULL when track is filled */
    struct video_track track;  /* segments (HLS media playlist, DASH) */
};

struct video_manifest {
    enum video_manifest_kind kind;
    unsigned n_variants;       /* HLS media playlist: exactly 1, bandwidth 0 */
    struct video_variant variant[VIDEO_MAX_VARIANTS];
    unsigned n_variants_dropped;
    unsigned n_skipped;        /* HLS: I-frame streams, EXT-X-MEDIA renditions; DASH: non-video
                                  AdaptationSets and Representations without segments we can use */
    double duration_s;         /* DASH mediaPresentationDuration (or Period@duration);
                                  HLS media: the sum of durations; HLS master: 0 */
    bool live;                 /* HLS media playlist without ENDLIST */
};

/* Parse data[0..len) fetched from base_url (the URL after redirects, used
 * to resolve relative references; NULL keeps them as written). lim NULL =
 * defaults. On VIDEO_OK *out is a new manifest the caller frees; otherwise
 * *out is NULL and detail holds a sentence such as "line 12: #EXTINF
 * without a URI" or "MPD: SegmentTemplate without @media". detail may be
 * NULL. The kind is detected from the bytes (#EXTM3U or an <MPD> root),
 * not from the URL or Content-Type. */
/* DASH SegmentBase: fill t's segments from data[0..len), the bytes of
 * t->index's range (the sidx box, ISO/IEC 14496-12 8.16.3; see
 * video_sidx.c). Each segment is a byte range of t->index.url. On failure
 * (VIDEO_MANIFEST_INVALID "segment index URL: why", VIDEO_NO_MEMORY) t has
 * no segments. lim NULL = defaults (max_segments caps the list). */
enum video_status video_track_index(struct video_track *t, const uint8_t *data, size_t len,
                                    const struct video_limits *lim, char *detail, size_t dlen);

enum video_status video_manifest_parse(const uint8_t *data, size_t len, const char *base_url,
                                       const struct video_limits *lim,
                                       struct video_manifest **out, char *detail, size_t dlen);
void video_manifest_free(struct video_manifest *m);

/* ---- variant choice ---- */

enum video_variant_mode {
    VIDEO_VARIANT_HIGHEST = 0, /* the highest BANDWIDTH */
    VIDEO_VARIANT_LOWEST,
    VIDEO_VARIANT_CAP,         /* the highest BANDWIDTH <= max_bandwidth_bps; the lowest
                                  when none fits (said so in `how`) */
    VIDEO_VARIANT_AUTO,        /* "highest sustainable": play the first segment at the
                                  lowest variant, measure its throughput T = bytes * 8 /
                                  download time, then switch for good to the highest
                                  variant with BANDWIDTH <= auto_safety * T (0.8 x T:
                                  what a player keeps as headroom; the lowest when none
                                  fits). One switch, no later adaptation. */
};
/* "highest", "lowest", "cap", "auto". */
const char *video_variant_mode_name(enum video_variant_mode m);

/* Index of the variant that mode picks (for AUTO: measured_bps is T; pass
 * a negative value to get the AUTO start variant, the lowest). Ties on
 * BANDWIDTH go to the first in document order. how (may be NULL) gets a
 * sentence, e.g. "highest of 3 variants (BANDWIDTH 2000000)". -1 when the
 * manifest has no variant. */
int video_select_variant(const struct video_manifest *m, enum video_variant_mode mode,
                         uint64_t cap_bps, double measured_bps, double safety, char *how,
                         size_t howlen);

/* ---- the buffer model ---- */

/*
 * Input: the session's segments in play order, each with its media
 * duration and the measured download start and end (monotonic ns, one
 * request after the other). Model (times in model time, ns):
 *   - download i starts at its measured start plus the shift accumulated
 *     so far, and lasts exactly as long as measured; gaps between measured
 *     downloads are kept;
 *   - max buffer: a player requests the next segment only while the
 *     buffered media B < max_buffer_s (hls.js maxBufferLength rule). When
 *     B >= max_buffer_s at the model request time and the player is
 *     playing, it waits B - max_buffer_s; the session downloaded back to
 *     back, so this download and all later ones are shifted by the wait
 *     in model time, keeping their measured durations (the network may
 *     have been different a few seconds later; that is the price of not
 *     waiting for real). Never while not playing (start-up, stall): the
 *     buffer does not drain then and the wait would never end;
 *   - arrival of segment i adds its duration to B at its model end;
 *   - playback starts at the first arrival that makes B >= startup
 *     threshold (and B > 0); while playing B drains 1 s per s; when B
 *     reaches 0 before the end of the stream a stall starts; it ends at
 *     the first arrival that makes B >= resume threshold (and B > 0);
 *   - end of stream (the last segment arrived): a player not yet started
 *     starts, a stalled one resumes, with what it has; the buffer is
 *     played out; finished = true;
 *   - a failed download (ok false) ends the model at its model end: the
 *     time up to there counts (a stall in progress counts, to there);
 *     buffered media is not played (buffer_left_ns); finished = false.
 *     Segments after the first failed one are ignored.
 * Output: startup = origin -> playback start; origin = *origin_ns when
 * given (the session passes the start of the first init section), else
 * the first segment's measured start. Stall ratio = stall time / play time
 * (the 卡顿率 of MISSION.md: how much waiting per unit of video watched).
 * The alternative stall / (stall + play), the share of the session spent
 * stalled, is bounded by 1 but flattens bad sessions; we report stall /
 * play, and NAN when nothing played. Average bitrate = bytes * 8 / media
 * seconds of the segments downloaded (init sections not counted).
 * Durations are rounded to whole ns first so hand-computed timelines in
 * the tests come out exact. Negative, NaN or infinite durations count as
 * 0; an end before its start counts as start.
 */
struct video_model_config {
    double startup_threshold_s; /* media buffered before playback starts (2.0) */
    double resume_threshold_s;  /* media buffered before playback resumes (2.0) */
    double max_buffer_s;        /* requests wait while B >= this (30.0) */
};
void video_model_config_default(struct video_model_config *c);

struct video_seg_timing {
    double duration_s;
    uint64_t start_ns, end_ns; /* measured: request start (incl. redirects) to last byte */
    uint64_t bytes;
    bool ok;                   /* false: this download failed, the model stops here */
};

struct video_seg_model {       /* per segment, model time relative to the origin */
    int64_t wait_ns;           /* max-buffer wait applied before its request */
    int64_t start_ns, end_ns;  /* model download start (after the wait) and arrival */
    int64_t buffer_ns;         /* B just after its arrival */
};

struct video_model_result {
    bool started;              /* playback started */
    bool finished;             /* every segment arrived and the buffer played out */
    int64_t startup_ns;        /* origin -> playback start; -1 when never started */
    unsigned stalls;           /* rebufferings after the start */
    int64_t stall_ns, play_ns;
    double stall_ratio;        /* stall_ns / play_ns; NAN when play_ns == 0 */
    unsigned waits;            /* max-buffer waits */
    int64_t wait_ns;           /* their total (the final shift) */
    int64_t end_ns;            /* model end (play-out done, or the failure), from the origin */
    int64_t buffer_left_ns;    /* media not played because of a failure */
    size_t n_used;             /* segments that arrived (before a failure) */
    double media_s;            /* their durations */
    uint64_t bytes;            /* their bytes */
    double avg_bitrate_bps;    /* bytes * 8 / media_s; 0 when media_s == 0 */
};

/* Run the model over seg[0..n). cfg NULL = defaults; per (may be NULL)
 * gets n entries (zeros past a failure). */
void video_model_run(const struct video_model_config *cfg, const struct video_seg_timing *seg,
                     size_t n, const uint64_t *origin_ns, struct video_model_result *out,
                     struct video_seg_model *per);

/* ---- the player session ---- */

#define VIDEO_SESSION_MAX_SEGMENTS 256 /* segments one session downloads at most */

struct video_config {
    enum video_variant_mode variant; /* (HIGHEST) */
    uint64_t max_bandwidth_bps;      /* VIDEO_VARIANT_CAP */
    double auto_safety;              /* VIDEO_VARIANT_AUTO headroom factor (0.8) */
    unsigned max_segments;           /* (10; at most VIDEO_SESSION_MAX_SEGMENTS) */
    double max_media_s;              /* stop once this much media arrived (30.0); 0 = no limit */
    uint64_t timeout_ns;             /* per request, redirects included (10 s) */
    uint64_t connect_timeout_ns;     /* 0 = fetch's default */
    size_t segment_cap;              /* bytes of one segment or init section (64 MiB);
                                        a longer body fails the segment */
    bool insecure;                   /* do not verify certificates */
    struct video_model_config model;
    struct video_limits limits;
};
void video_config_default(struct video_config *c);

struct video_sample {              /* one downloaded (or failed) media segment */
    uint32_t index;                /* position in its track */
    uint64_t number;               /* media sequence number / $Number$ */
    uint16_t variant;              /* index in the manifest (AUTO: the first is the lowest) */
    bool ok;
    double duration_s;
    uint64_t bytes;
    double start_ms;               /* request start, ms since the session start */
    double download_ms;            /* request start to last byte, redirects included */
    double wait_ms;                /* model: max-buffer wait before it */
    double buffer_s;               /* model: buffered media after its arrival */
};

struct video_result {
    enum video_status status;
    char detail[512];              /* "" on VIDEO_OK; else a sentence naming what failed:
                                      "segment 3 (http://v.lab/a/3.ts): HTTP 404" */
    int family;
    char manifest_url[URL_MAX + 1];/* after redirects */
    char remote[64];               /* address of the last request, "[::1]:8080" */
    enum video_manifest_kind kind; /* meaningful when n_variants > 0 (a manifest was read) */
    unsigned n_variants;
    int variant_index;             /* -1 before a choice */
    uint64_t variant_bandwidth;    /* declared BANDWIDTH of the chosen variant; 0 unknown */
    unsigned width, height;
    char how[200];                 /* how the variant was chosen, a sentence */
    enum video_container container;
    bool live;                     /* HLS playlist without ENDLIST (played as listed, no reload) */
    /* downloads */
    unsigned segments;             /* media segments that arrived */
    uint64_t bytes;                /* their body bytes */
    uint64_t init_bytes;           /* init sections */
    uint64_t manifest_bytes;       /* manifest + media playlist(s) */
    double media_s;
    int failed_segment;            /* -1; else the session position of the failed segment
                                      (-2: an init section) */
    double manifest_ms;            /* session start to the last manifest byte (DNS incl.) */
    double total_ms;               /* session start to the end of the last download */
    /* model */
    struct video_model_config model;
    bool started;                  /* playback started in the model */
    bool finished;                 /* status VIDEO_OK and the model played everything */
    double startup_ms;             /* first init-section (else first segment) request to
                                      playback start; NAN when never started */
    double join_ms;                /* session start (manifest request, DNS incl.) to playback
                                      start; NAN when never started */
    unsigned stalls;
    double stall_ms, play_ms;
    double stall_ratio;            /* stall_ms / play_ms; NAN when nothing played */
    double avg_bitrate_bps;        /* bytes * 8 / media_s */
    double wait_ms;                /* max-buffer waits of the model */
    unsigned n_samples;
    struct video_sample sample[VIDEO_SESSION_MAX_SEGMENTS];
};

typedef void (*video_cb)(void *arg, const struct video_result *r);

struct video_session;

/* Start playing manifest_url over family 4 or 6. cfg NULL = defaults;
 * resolver may be NULL when every URL has an address literal. The host of
 * each URL is looked up once per session (resolver_lookup_host, whose own
 * cache is per run) and the address of the family is pinned: IPv4 the A,
 * IPv6 the first global AAAA, else the first AAAA that is not link-local,
 * multicast or IPv4-mapped (loopback and ULA are fine in a lab). A host
 * without one fails with "no AAAA for video.kpi.lab". cb runs exactly once,
 * from the loop (never inside this call), unless the session is freed
 * first. Returns NULL only when out of memory or for NULL loop/fetch/cb,
 * a family other than 4 or 6, or a NULL manifest_url. */
struct video_session *video_session_start(struct loop *loop, struct fetch_engine *fetch,
                                          struct resolver *res, const struct video_config *cfg,
                                          const char *manifest_url, int family, video_cb cb,
                                          void *arg);

/* Cancel (no callback afterwards) and free; may be called from inside the
 * callback; NULL is a no-op. A request or lookup still in flight cannot be
 * withdrawn from the engine/resolver: the session then lingers, detached,
 * until that callback arrives (fetch_engine_free() and resolver_free()
 * deliver it), so free sessions before the engine and the resolver, and
 * those before the loop. */
void video_session_free(struct video_session *s);

#endif
