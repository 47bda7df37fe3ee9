/*
 * fuzz_usersapps.c - libFuzzer target for `v6mon traffic --users --apps`:
 * capture bytes -> decoder -> flows -> subscribers (GTP-U/PPPoE/address
 * keys, UE map) -> user windows -> DNS answers into the DNS cache, TLS SNI
 * with reassembly, HTTP Host, QUIC Initial decryption -> names, apps ->
 * JSON, text and CSV renderers.
 *
 * nDPI is off here: starting its detection module costs ~25 ms, once per
 * input (its wrapper has its own harness, see docs/internals/dpi.md). Small
 * tables (16 flows, 16 DNS answers, 1-second buckets) make eviction,
 * expiry and the pools' limits reachable with small inputs; byte 0 of the
 * input picks the subscriber mode (auto/gtp/pppoe/mac/address; bit 7: an
 * exact limit of 8 users, so windows switch to HyperLogLog), the rest is
 * the capture.
 *
 * Checked invariants: every frame is counted once; per family, the app
 * totals plus "unattributed" plus "named but no app" equal all flows'
 * packets, bytes and flows; in exact mode dual + ipv4_only + ipv6_only =
 * active and ipv6_active <= active <= seen in every window and segment.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <v6mon/apps.h>
#include <v6mon/report.h>
#include <v6mon/segments.h>
#include <v6mon/source.h>
#include <v6mon/traffic.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;
static v6m_segments *segments;
static v6m_apps *catalog;

static void check_apps(const struct v6m_apps_result *a)
{
    for (int f = 1; f <= 2; f++) {
        uint64_t p = a->unattributed[f].packets + a->named_no_app[f].packets;
        uint64_t b = a->unattributed[f].bytes + a->named_no_app[f].bytes;
        uint64_t n = a->unattributed[f].flows + a->named_no_app[f].flows;
        for (size_t i = 0; i < a->n_apps; i++) {
            p += a->apps[i].fam[f].packets;
            b += a->apps[i].fam[f].bytes;
            n += a->apps[i].fam[f].flows;
        }
        if (p != a->total[f].packets || b != a->total[f].bytes || n != a->total[f].flows)
            abort();
    }
}

static void check_users(const struct v6m_users_result *u)
{
    for (size_t w = 0; w < u->n_windows; w++)
        for (size_t s = 0; s <= u->n_segments; s++) {
            const struct v6m_user_counts *c = &u->windows[w].counts[s];
            if (!c->exact)
                continue;
            if (c->dual + c->ipv4_only + c->ipv6_only != c->active ||
                c->ipv6_active > c->active || c->active > c->seen ||
                c->holding_ipv6 > c->seen)
                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull) {
        char err[256];
        devnull = fopen("/dev/null", "w");
        segments = v6m_segments_new_default();
        catalog = v6m_apps_new();
        if (!devnull || !segments || !catalog ||
            v6m_apps_load_builtin(catalog, err, sizeof(err)) != V6M_OK)
            abort();
    }
    if (size < 1)
        return 0;
    unsigned mode = (data[0] & 0x7f) % 5; /* auto, gtp, pppoe, mac, address */
    bool sketch = data[0] & 0x80;         /* tiny exact limit: HyperLogLog */
    data++;
    size--;
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
    cfg.users = true;
    cfg.subscriber_mode = (uint8_t)mode;
    /* Sketch mode walks 16 Ki registers per estimate, which is slow under
     * coverage instrumentation: only inputs asking for it get it. */
    cfg.users_exact_max = sketch ? 8 : 0;
    cfg.apps = true;
    cfg.apps_catalog = catalog;
    cfg.dpi = false;
    cfg.dns_cache_max = 16;
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
        check_apps(v6m_traffic_apps(t));
        check_users(v6m_traffic_users(t));
        struct v6m_traffic_meta meta = {.tool_version = "fuzz", .frames_read = frames,
                                        .users = v6m_traffic_users(t),
                                        .apps = v6m_traffic_apps(t)};
        v6m_report_traffic(devnull, V6M_FORMAT_JSON, r, &meta);
        v6m_report_traffic(devnull, V6M_FORMAT_TEXT, r, &meta);
        meta.csv_table = "users";
        v6m_report_traffic(devnull, V6M_FORMAT_CSV, r, &meta);
        meta.csv_table = "apps";
        v6m_report_traffic(devnull, V6M_FORMAT_CSV, r, &meta);
        meta.csv_table = "names";
        v6m_report_traffic(devnull, V6M_FORMAT_CSV, r, &meta);
    }
    v6m_traffic_free(t);
    v6m_source_free(src);
    close(fd);
    return 0;
}
