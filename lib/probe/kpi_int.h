/*
 * probe/kpi_int.h - what the parts of `v6mon kpi` share inside the
 * library: the page-load measurement (pageload.c), used by the target
 * jobs of kpi.c, and the kpi handle itself (created and filled with
 * targets by kpi_input.c, run by kpi.c). Everything runs on the prober's loop, resolver and fetch
 * engine (probe_int.h's probe_ctx); nothing here has its own copy of DNS
 * or HTTP code.
 */
#ifndef V6M_PROBE_KPI_INT_H
#define V6M_PROBE_KPI_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/kpi.h>

#include "core/errbuf.h"
#include "probe/probe_int.h"

/* ---- page load: DNS start to the last byte of the HTML and of all its
 * same-page sub-resources, one family pinned for everything ---- */

struct pageload_result {
    bool ok;                 /* the HTML arrived with a final 2xx */
    double dns_ms;           /* the host's A or AAAA query (uncached) */
    double ttfb_ms;          /* start to the first byte of the final HTML response */
    double load_ms;          /* start to the last byte of the last resource */
    unsigned resources, resources_failed;
    uint64_t bytes;          /* HTML + resource bodies */
    char detail[640];        /* why !ok, or the first resource failure */
};

struct pageload;
typedef void (*pageload_cb)(void *arg, const struct pageload_result *r);

/* Load url over family (4 or 6): resolve its host with a fresh query of
 * that family's type, fetch it (redirects followed, pinned), extract the
 * sub-resources (probe/page.h), fetch them all pinned to the family, at
 * most max_resources, with the fetch engine's per-host limit (a browser's
 * 6). The callback runs once, from the loop; then free the handle (also
 * allowed inside the callback). pageload_free() of a running load
 * abandons it without a callback. */
struct pageload *pageload_start(struct probe_ctx *ctx, const char *url, int family,
                                unsigned max_resources, uint64_t timeout_ns, pageload_cb cb,
                                void *arg);
void pageload_free(struct pageload *pl);
/* The run is being abandoned: make every callback of the load return at
 * once and close its connections now (before the run frees its resolver);
 * pageload_free() then frees it whatever is still pending. */
void pageload_stop(struct pageload *pl);


/* ---- the kpi handle (kpi_input.c: life cycle and targets; kpi.c: the run) ---- */

struct target_in {
    char *target, *video, *name, *category;
};

struct v6m_kpi {
    struct v6m_kpi_config cfg;
    char *resolver, *dns4, *dns6, *ca_file, *vantage, *variant;
    char **canaries;
    size_t n_canaries;
    struct errbuf err;
    struct target_in *in;
    size_t n_in, cap_in;
    struct v6m_kpi_target_result **res; /* input order; NULL until done */
    struct strpool *pools;
    struct v6m_kpi_sample **samples;
    size_t n_done;
    struct v6m_kpi_info info;
    struct v6m_vantage self_check;
    char resolver_used[256], dns4_used[128], dns6_used[128], vantage_name[128];
    bool ran;
};

/* --video-variant text is valid: "highest", "lowest", "auto", or a bit/s
 * cap like "800k" (kpi.c, which turns it into a video_config). */
bool kpi_video_variant_ok(const char *spec);

#endif
