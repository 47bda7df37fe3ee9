/*
 * fuzz_traffic.c - libFuzzer target for the whole `v6mon traffic` path:
 * capture bytes -> reader -> decoder (fragments, tunnels) -> segments ->
 * flow table -> buckets -> JSON and text renderers.
 *
 * The input is a capture file (written to a memfd, opened by path like a
 * user's file). A small flow table and fragment table make eviction and
 * expiry reachable with small inputs; 1-second buckets make many buckets.
 * Checked invariant: every frame read is counted exactly once (the sum of
 * packets over families equals the frames read).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <v6mon/report.h>
#include <v6mon/segments.h>
#include <v6mon/source.h>
#include <v6mon/traffic.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;
static v6m_segments *segments;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull) {
        devnull = fopen("/dev/null", "w");
        segments = v6m_segments_new_default();
        if (!devnull || !segments)
            abort();
    }
    char path[64];
    int fd = fuzz_capture_fd(data, size, path, sizeof(path));
    if (fd < 0)
        return 0;
    const char *paths[1] = {path};
    v6m_source *src = v6m_source_new_files(paths, 1);
    struct v6m_traffic_config cfg;
    v6m_traffic_config_default(&cfg);
    cfg.bucket_ns = 1000000000ULL;
    cfg.flow_max = 16;
    cfg.flow_idle_ns = 2000000000ULL;
    cfg.decoder.frag_entries = 16;
    cfg.decoder.frag_held_max = 16;
    v6m_traffic *t = v6m_traffic_new(&cfg, segments);
    uint64_t frames = 0;
    if (src && t && v6m_source_start(src) == V6M_OK) {
        struct v6m_frame fr;
        for (int guard = 0; guard < 100000; guard++) {
            v6m_err rc = v6m_source_next(src, &fr);
            if (rc == V6M_ERR_EOF)
                break;
            if (rc != V6M_OK)
                continue;
            v6m_traffic_add_frame(t, &fr, v6m_source_ifname(src, fr.ifindex));
            frames++;
        }
        v6m_traffic_finish(t);
        const struct v6m_traffic_result *r = v6m_traffic_result(t);
        uint64_t counted = 0;
        for (int f = 0; f < V6M_FAMILY_COUNT; f++)
            counted += r->totals.fam[f].packets;
        if (counted != frames)
            abort();
        struct v6m_traffic_meta meta = {.tool_version = "fuzz", .frames_read = frames};
        v6m_report_traffic(devnull, V6M_FORMAT_JSON, r, &meta);
        v6m_report_traffic(devnull, V6M_FORMAT_TEXT, r, &meta);
    }
    v6m_traffic_free(t);
    v6m_source_free(src);
    close(fd);
    return 0;
}
