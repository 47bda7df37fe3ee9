/*
 * probe/video_sidx.c - the segments of a DASH SegmentBase Representation,
 * from the segment index box (sidx) of its media file.
 *
 * A SegmentBase Representation (the "on-demand" profile: one MP4 file per
 * Representation, as YouTube and most VOD packagers publish) lists no
 * segments in the MPD. It names the file (BaseURL), the init section
 * (Initialization@range) and SegmentBase@indexRange: the byte range of a
 * sidx box that lists the file's subsegments. The player fetches that
 * range before anything else; this file turns it into the track's
 * segments, each a byte range of the same file.
 *
 * sidx (ISO/IEC 14496-12:2015, 8.16.3), big-endian:
 *
 *   box:  size u32 | type "sidx" | [largesize u64 when size == 1]
 *         (size 0: the box runs to the end of the data)
 *   full box: version u8 | flags u24
 *   reference_ID u32 | timescale u32
 *   version 0: earliest_presentation_time u32 | first_offset u32
 *   version 1: earliest_presentation_time u64 | first_offset u64
 *   reserved u16 | reference_count u16
 *   reference_count x (12 bytes):
 *       reference_type 1 bit | referenced_size 31 bits
 *       subsegment_duration u32 (in timescale units)
 *       starts_with_SAP 1 bit | SAP_type 3 bits | SAP_delta_time 28 bits
 *
 * The first subsegment starts first_offset bytes after the anchor point,
 * the first byte after the sidx box (8.16.3.3); each next one starts where
 * the previous ends (referenced_size bytes later). A reference_type of 1
 * points at another sidx (a hierarchical index): not followed, the result
 * says so. Boxes before the sidx inside the range (e.g. styp) are skipped;
 * the range must contain a whole sidx.
 *
 * Bounds: every read goes through the bounded cursor; the segment count is
 * capped by the parse limits (the rest counted as dropped, as for any
 * track); offsets and durations are checked for overflow; a zero timescale
 * or a duration beyond VIDEO_MAX_DURATION_S is malformed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/video_int.h"
#include "util/cursor.h"

static int sidx_fail(struct vparse *p, const char *url, const char *why)
{
    return vp_fail(p, VIDEO_MANIFEST_INVALID, "segment index %s: %s", url, why);
}

static uint64_t be64(struct cursor *c)
{
    uint64_t hi = cursor_be32(c);
    return hi << 32 | cursor_be32(c);
}

/* Parse the sidx of t from data (t->index's bytes); 0 or -1 (status set). */
static int parse_sidx(struct vparse *p, struct video_track *t, const uint8_t *data, size_t len)
{
    const char *url = t->index.url;
    struct cursor c;
    cursor_init(&c, data, len);
    /* Find the sidx box; skip others whole. */
    for (;;) {
        if (cursor_left(&c) < 8)
            return sidx_fail(p, url, cursor_left(&c) ? "a box header is cut short"
                                                     : "no sidx box in the index range");
        size_t box_at = cursor_offset(&c);
        uint64_t size = cursor_be32(&c);
        uint8_t type[4];
        cursor_copy(&c, type, 4);
        size_t hdr = 8;
        if (size == 1) {
            size = be64(&c);
            hdr = 16;
        } else if (size == 0) {
            size = len - box_at;
        }
        if (c.short_read || size < hdr)
            return sidx_fail(p, url, "a box has an invalid size");
        if (size > len - box_at)
            return sidx_fail(p, url, memcmp(type, "sidx", 4) == 0
                                         ? "the sidx box is longer than the index range"
                                         : "a box runs past the index range before the sidx");
        if (memcmp(type, "sidx", 4) != 0) {
            cursor_skip(&c, (size_t)size - hdr);
            continue;
        }
        struct cursor b = cursor_sub(&c, (size_t)size - hdr);
        uint8_t version = cursor_u8(&b);
        cursor_be24(&b); /* flags */
        cursor_be32(&b); /* reference_ID */
        uint32_t timescale = cursor_be32(&b);
        uint64_t first_offset;
        if (version == 0) {
            cursor_be32(&b);
            first_offset = cursor_be32(&b);
        } else if (version == 1) {
            be64(&b);
            first_offset = be64(&b);
        } else {
            return sidx_fail(p, url, "sidx version is not 0 or 1");
        }
        cursor_be16(&b); /* reserved */
        uint16_t count = cursor_be16(&b);
        if (b.short_read)
            return sidx_fail(p, url, "the sidx header is cut short");
        if (timescale == 0)
            return sidx_fail(p, url, "sidx timescale is 0");
        if (cursor_left(&b) < (size_t)count * 12)
            return sidx_fail(p, url, "the sidx lists more references than it holds");
        if (count == 0)
            return sidx_fail(p, url, "the sidx lists no subsegment");
        /* anchor: the first byte after the box, as a file offset */
        uint64_t anchor = t->index.range_off + box_at + size;
        if (anchor < t->index.range_off || first_offset > UINT64_MAX - anchor)
            return sidx_fail(p, url, "sidx offsets overflow");
        uint64_t off = anchor + first_offset;
        for (uint16_t i = 0; i < count; i++) {
            uint32_t ref = cursor_be32(&b);
            uint32_t dur = cursor_be32(&b);
            cursor_be32(&b); /* SAP */
            if (ref >> 31) {
                char why[120];
                snprintf(why, sizeof why,
                         "reference %u points to another sidx (a hierarchical index): not "
                         "supported",
                         (unsigned)i);
                return sidx_fail(p, url, why);
            }
            uint64_t size_i = ref & 0x7fffffffu;
            if (size_i == 0)
                return sidx_fail(p, url, "a subsegment of 0 bytes");
            if (off > UINT64_MAX - size_i)
                return sidx_fail(p, url, "sidx offsets overflow");
            double d = (double)dur / (double)timescale;
            if (d > VIDEO_MAX_DURATION_S)
                return sidx_fail(p, url, "a subsegment longer than a year");
            bool capped;
            struct video_segment *s = vp_add_segment(p, t, &capped);
            if (!s) {
                if (!capped)
                    return -1;
                t->n_seg_dropped += (size_t)(count - i - 1);
                break;
            }
            s->url = strdup(url);
            if (!s->url) {
                t->n_seg--;
                return vp_fail(p, VIDEO_NO_MEMORY, "out of memory");
            }
            s->duration_s = d;
            s->range_off = off;
            s->range_len = size_i;
            s->number = t->media_sequence + i;
            s->init = t->n_init ? 1 : 0;
            t->total_s += d;
            off += size_i;
        }
        return 0;
    }
}

enum video_status video_track_index(struct video_track *t, const uint8_t *data, size_t len,
                                    const struct video_limits *lim, char *detail, size_t dlen)
{
    struct video_limits def;
    if (!lim) {
        video_limits_default(&def);
        lim = &def;
    }
    if (detail && dlen)
        detail[0] = '\0';
    struct vparse p = {.lim = lim, .status = VIDEO_OK, .detail = detail, .dlen = dlen};
    if (!t->needs_index || t->indexed) {
        vp_fail(&p, VIDEO_MANIFEST_INVALID, "the track has no segment index to read");
        return p.status;
    }
    if (parse_sidx(&p, t, data, len) < 0) {
        /* leave no half list behind: a failed index plays nothing */
        for (size_t i = 0; i < t->n_seg; i++)
            free(t->seg[i].url);
        t->n_seg = 0;
        t->n_seg_dropped = 0;
        t->total_s = 0;
        return p.status;
    }
    t->indexed = true;
    return VIDEO_OK;
}
