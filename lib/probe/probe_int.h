/*
 * probe/probe_int.h - what the parts of the prober share inside the
 * library: the run context (loop, resolver, fetch engine, config), the
 * redirect-following fetch chain, the result string pool, and the entry
 * points of the site, app and vantage state machines.
 *
 * Control flow (one thread): v6m_probe_run() starts up to max_sites jobs,
 * each job is a state machine driven by callbacks from the resolver, the
 * fetch engine and timers, and calls probe_job_done() when its result is
 * final; the scheduler then hands the result to the hooks and starts the
 * next job. docs/probe.md describes the checks; docs/internals/probe.md
 * the phases of a site job.
 */
#ifndef V6M_PROBE_PROBE_INT_H
#define V6M_PROBE_PROBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/probe.h>

#include "core/errbuf.h"
#include "probe/fetch.h"
#include "probe/loop.h"
#include "probe/resolver.h"
#include "probe/url.h"

/* ---- strings owned by one result ---- */

struct strpool_chunk;
struct strpool { /* all zero = empty; chunks of strings, see probe.c */
    struct strpool_chunk *head;
    size_t used; /* bytes used in head */
};
/* Copy s (NULL -> "") into the pool; returns the copy, or "" when out of
 * memory (a result never holds NULL strings). */
const char *strpool_keep(struct strpool *sp, const char *s);
const char *strpool_printf(struct strpool *sp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strpool_release(struct strpool *sp);

/* A growable text for evidence lists ("a, b, c and 4 more"). */
struct textbuf {
    char *s;
    size_t len, cap;
};
void textbuf_add(struct textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Plain appends without a format (the hot lists: addresses, name servers). */
void textbuf_put(struct textbuf *t, const char *p, size_t n);
void textbuf_puts(struct textbuf *t, const char *s);
void textbuf_release(struct textbuf *t);

/* ---- the run context ---- */

struct probe_ctx {
    const struct v6m_probe_config *cfg;
    struct loop *loop;
    struct resolver *res;
    struct fetch_engine *fetch;
    struct url_psl *psl;
    bool v6_testable, v4_testable;
    uint64_t seed;
    /* Set when the run is abandoned (interrupt): every callback of a job
     * returns at once without touching its state, so the engines can be
     * freed (their cancellations call back) and the jobs released after. */
    bool stopping;
    /* Site states of finished jobs kept for the next ones (site.c; at most
     * max_sites, freed by site_states_free() at the end of the run): a
     * state is ~21 kB and thousands a second came and went through malloc. */
    void *site_spare;
    size_t n_site_spare;
};

/* ---- fetch chain: one URL, redirects followed, each hop resolved and
 * pinned ---- */

#define CHAIN_MAX_HOPS 11 /* max_redirects is capped at 10 */

enum chain_outcome {
    CH_PENDING = 0,
    CH_RESPONSE,       /* a final response (status in final_status; may be non-2xx) */
    CH_DNS,            /* a hop's host has no usable address of the family */
    CH_FETCH,          /* a hop's request failed (fetch status in fs) */
    CH_REDIRECTS,      /* more than max_redirects */
    CH_BAD_URL,        /* a URL or Location that is not http(s) */
};

struct chain_hop {
    char *url;
    int family;
    char address[64];
    long status;
    char *error;
};

struct chain {
    struct probe_ctx *ctx;
    /* set before chain_start */
    int family;               /* 6 or 4: every hop pinned; 0: IPv6 first, IPv4 fallback per hop */
    bool keep_body;
    bool discard_body;
    unsigned retries;         /* extra tries of a hop that failed at the network level */
    void (*done)(void *arg, struct chain *c);
    void *arg;
    /* outcome */
    enum chain_outcome outcome;
    long final_status;
    enum fetch_status fs;
    char code[40];            /* failure code without the check prefix: NO_AAAA, TIMEOUT... */
    char detail[640];
    struct chain_hop hops[CHAIN_MAX_HOPS];
    unsigned n_hops;
    char *final_url;
    uint64_t final_first_byte_ns; /* loop time the final response's first byte arrived */
    uint64_t final_end_ns;        /* loop time the final response was complete */
    uint8_t *body;            /* keep_body: first body_cap bytes of the final response */
    size_t body_len;
    uint64_t body_bytes;
    bool body_capped;
    int family_used;          /* family of the last hop */
    bool first_has_v6;        /* the first hop's host has a global AAAA */
    bool first_resolved;      /* the first hop's host resolved at all (A or AAAA) */
    bool v6_all;              /* family 0: every hop went over IPv6 */
    char v6_problem[600];     /* family 0: why IPv6 was not used (first reason) */
    /* internal */
    char *url;                /* current hop URL */
    char host[RESOLVE_NAME_MAX];
    int hop_family;
    unsigned tries_left;
    uint64_t backoff_ms;
    struct loop_timer timer;
    struct url_parts parts;
    uint8_t addr4[16], addr6[16];
    bool has4, has6;
};

void chain_init(struct chain *c, struct probe_ctx *ctx, int family);
/* Start at url; done() runs from the loop when the outcome is known. */
void chain_start(struct chain *c, const char *url);
void chain_release(struct chain *c); /* frees hops, body, urls; cancels the timer */
static inline bool chain_ok_2xx(const struct chain *c)
{
    return c->outcome == CH_RESPONSE && c->final_status >= 200 && c->final_status <= 299;
}
/* A sentence for a chain that did not end in 2xx ("... returned HTTP 503"). */
void chain_describe(const struct chain *c, char *buf, size_t len);

/* ---- jobs ---- */

struct probe_job;
typedef void (*job_done_fn)(void *sched, struct probe_job *job);

struct probe_job {
    struct probe_ctx *ctx;
    job_done_fn done;
    void *sched;
    bool is_app;
    size_t index;
    void *state; /* site or app state */
};

/* Start the site job for r (name/url/category/unit already set). */
void site_job_start(struct probe_job *job, struct v6m_site_result *r, struct strpool *sp);
/* Free what the job kept besides the result. */
void site_job_release(struct probe_job *job);
/* Free the spare site states of the run (ctx->site_spare). */
void site_states_free(struct probe_ctx *ctx);
/* Drop the details (urls, resources) of a finished result. */
void site_result_drop_details(struct v6m_site_result *r);

void app_job_start(struct probe_job *job, struct v6m_app_result *r, struct strpool *sp,
                   const char *const *domains, size_t n);
void app_job_release(struct probe_job *job);

/* The built-in canaries of the vantage self-check (large dual-stack sites). */
const char *const *probe_builtin_canaries(size_t *n);

/* Vantage self-check; done() when v->... is filled. */
struct vantage_check;
struct vantage_check *vantage_start(struct probe_ctx *ctx, const char *const *canaries,
                                    size_t n, struct v6m_vantage *out,
                                    void (*done)(void *arg), void *arg);
void vantage_free(struct vantage_check *vc);

/* ---- verdicts (pure, unit-tested) ---- */

/* Score 0..100 from the check states and rates with cfg weights; checks
 * that are skipped or not testable leave the denominator. */
double probe_score(const struct v6m_check *checks, const double *weights);

#endif
