/*
 * probe/video_int.h - private to the manifest parsers (video_manifest.c,
 * video_hls.c, video_dash.c): the parse context and the small bounded
 * helpers they share.
 *
 * The context owns the manifest under construction; a parser fails with
 * vp_fail() (status + sentence, first failure wins) and returns; the
 * caller then frees the half-built manifest. Every number in a manifest is
 * parsed here from an explicit (pointer, length) span, never with strtod
 * (locale-dependent) or atoi (banned): decimal integers with overflow
 * checks, decimal fractions "12.345" without exponents (RFC 8216 4.2
 * decimal-floating-point; the DASH attributes we read are integers or
 * xs:duration).
 */
#ifndef V6M_PROBE_VIDEO_INT_H
#define V6M_PROBE_VIDEO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/video.h"

/* Longest duration accepted for one segment or a presentation: a year.
 * Bigger values are malformed (and would overflow ns arithmetic). */
#define VIDEO_MAX_DURATION_S (366.0 * 86400.0)

struct vparse {
    const struct video_limits *lim;
    struct video_manifest *m;
    size_t total_segments;   /* kept over all tracks */
    enum video_status status;
    char *detail;
    size_t dlen;
};

/* Record the first failure; returns -1 so parsers can `return vp_fail(...)`. */
int vp_fail(struct vparse *p, enum video_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse [s, s+n) as a whole decimal integer / a non-negative decimal
 * "D[.D]" (at least one digit). false on anything else or overflow. */
bool vp_u64(const char *s, size_t n, uint64_t *out);
bool vp_decimal(const char *s, size_t n, double *out);

/* Resolve the reference [ref, ref+n) against base (NULL: keep as written)
 * into a new heap string. On failure sets the status (what names the
 * reference in the sentence, e.g. "line 7: segment URI") and returns NULL. */
char *vp_url(struct vparse *p, const char *base, const char *ref, size_t n, const char *what);

/* A new zeroed segment at the end of t, or NULL: *capped set when a cap
 * dropped it (counted in t->n_seg_dropped), else out of memory (status
 * set). */
struct video_segment *vp_add_segment(struct vparse *p, struct video_track *t, bool *capped);

/* Index + 1 of the init section (url, range) in t, adding it when new.
 * Takes ownership of url (freed when it is a duplicate or on failure).
 * 0 with the status set when over VIDEO_MAX_INITS. */
unsigned vp_add_init(struct vparse *p, struct video_track *t, char *url, uint64_t off,
                     uint64_t len);

/* Container by a URL's path extension (.ts -> TS; .m4s .mp4 .m4v .cmfv
 * -> fMP4). */
enum video_container vp_container_of(const char *url);

/* Parsers (the context has m allocated, kind unset). Return 0 or -1. */
int video_hls_parse(struct vparse *p, const char *data, size_t len, const char *base);
int video_dash_parse(struct vparse *p, const char *data, size_t len, const char *base);

#endif
