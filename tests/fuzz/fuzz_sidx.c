/*
 * fuzz_sidx.c - libFuzzer target for the DASH segment index reader
 * (lib/probe/video_sidx.c, video_track_index()). Any bytes must be handled
 * without crashing, reading out of bounds, leaking or taking long, and
 * what comes out must obey video.h:
 *   - byte 0 selects: bit 0 tiny limits (3 segments, so the cap is hit),
 *     bit 1 an init section present; bytes 1..8 the index range's file
 *     offset (big-endian, so offsets near 2^64 are tried); the rest is
 *     the index range's bytes;
 *   - on VIDEO_OK: indexed, 1 <= n_seg <= max_segments, every segment a
 *     non-empty byte range of the index URL with a finite duration >= 0,
 *     ranges in file order without overlap and no range ending past 2^64,
 *     the first starting after the index range's first byte;
 *   - on failure: no segment and a non-empty sentence.
 * Seeds: tests/fuzz/make_seeds.py writes sidx boxes (version 0 and 1, a
 * styp before, a hierarchical reference) into fuzz_sidx/.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/video.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    uint8_t flags = data[0];
    uint64_t off = 0;
    for (int i = 1; i <= 8; i++)
        off = off << 8 | data[i];
    data += 9;
    size -= 9;
    struct video_limits lim;
    video_limits_default(&lim);
    if (flags & 1)
        lim.max_segments = 3;
    struct video_track t;
    memset(&t, 0, sizeof t);
    t.needs_index = true;
    t.index.url = strdup("http://video.example/v.mp4");
    t.index.range_off = off;
    t.index.range_len = size ? size : 1;
    if (flags & 2) {
        t.init[0].url = strdup("http://video.example/v.mp4");
        t.init[0].range_len = 100;
        t.n_init = 1;
    }
    char detail[512];
    enum video_status st = video_track_index(&t, data, size, &lim, detail, sizeof detail);
    if (st == VIDEO_OK) {
        if (!t.indexed || t.n_seg == 0 || t.n_seg > lim.max_segments || !t.seg)
            abort();
        uint64_t prev_end = off;
        for (size_t i = 0; i < t.n_seg; i++) {
            const struct video_segment *s = &t.seg[i];
            if (!s->url || strcmp(s->url, t.index.url) != 0 || s->range_len == 0 ||
                s->range_off < prev_end || s->range_off > UINT64_MAX - s->range_len ||
                !isfinite(s->duration_s) || s->duration_s < 0 || s->init > t.n_init)
                abort();
            prev_end = s->range_off + s->range_len;
        }
        /* a second call is refused: the track is indexed once */
        if (video_track_index(&t, data, size, &lim, detail, sizeof detail) == VIDEO_OK)
            abort();
    } else {
        if (t.n_seg != 0 || t.indexed || !detail[0])
            abort();
    }
    for (size_t i = 0; i < t.n_seg; i++)
        free(t.seg[i].url);
    free(t.seg);
    free(t.index.url);
    for (unsigned i = 0; i < t.n_init; i++)
        free(t.init[i].url);
    return 0;
}
