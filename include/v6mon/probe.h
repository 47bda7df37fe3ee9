/*
 * v6mon/probe.h - the active prober: key websites (W1..W7, I4, I5) and
 * apps (I6) over IPv6, as ../shared/MISSION.md and docs/probe.md define.
 *
 * Life of a run:
 *   v6m_probe_config_defaults(&cfg); ...adjust...
 *   p = v6m_probe_new(&cfg, err, sizeof err);
 *   v6m_probe_load_sites(p, "sites.csv") / v6m_probe_add_site(...) / apps
 *   v6m_probe_run(p, &hooks, &stop_flag);   one thread, one event loop
 *   results: v6m_probe_site_count/v6m_probe_site(p, i), apps likewise,
 *            v6m_probe_info(p) for the run's metadata
 *   v6m_probe_free(p);
 *
 * Checks per site (docs/probe.md has the exact rules and the reason codes):
 *   W1 global-unicast AAAA (CNAMEs followed); W2 the zone's name servers
 *   over IPv6; W3 home page over IPv6 to a final 2xx, redirects followed
 *   over IPv6; W4 success over N attempts; W5 IPv4/IPv6 consistency;
 *   W6/W7 second/third-level internal links over IPv6.
 *   supported = W1 && W3; compliant = every check passes.
 *
 * Ownership: the probe owns every result and every string in it; pointers
 * stay valid until v6m_probe_free(), except the per-URL and per-resource
 * arrays (urls, resources), which are released after the site hook returns
 * unless cfg.keep_details is set. Strings given to the probe are copied.
 * Nothing here prints; the hooks let the tool show progress and stream
 * results.
 */
#ifndef V6MON_PROBE_H
#define V6MON_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>

enum v6m_check_id {
    V6M_W1 = 0, V6M_W2, V6M_W3, V6M_W4, V6M_W5, V6M_W6, V6M_W7,
    V6M_CHECKS
};

enum v6m_check_state {
    V6M_CHECK_PASS = 0,
    V6M_CHECK_FAIL,
    V6M_CHECK_NOT_TESTABLE, /* the vantage point has no working IPv6 (or IPv4 for W5) */
    V6M_CHECK_SKIPPED,      /* not asked for (--no-crawl) or nothing to test */
};

/* "W1".."W7"; "pass", "fail", "not_testable", "skipped". */
const char *v6m_check_name(enum v6m_check_id id);
const char *v6m_check_state_name(enum v6m_check_state s);

struct v6m_check {
    enum v6m_check_state state;
    double rate;            /* W4, W6, W7: passed / total; -1 otherwise */
    unsigned passed, total; /* the sample behind rate */
    char code[40];          /* reason code, "" on pass, e.g. "W1_NO_AAAA" */
    const char *message;    /* a sentence a site owner understands; "" on pass */
    const char *evidence;   /* names, addresses, lists; may be "" */
};

/* One hop of the home page fetch (redirects followed by the prober). */
struct v6m_hop {
    const char *url;
    int family;             /* 4 or 6 */
    const char *address;    /* "3ffe:1::5", "" when never connected */
    long status;            /* HTTP status, 0 when none */
    const char *error;      /* "" or the fetch failure sentence */
};

/* A crawled page (level 1 = home, 2, 3) tested over IPv6. */
struct v6m_url_result {
    const char *url;
    const char *host;
    unsigned level;
    bool has_aaaa;          /* a global-unicast AAAA */
    bool pass;              /* has_aaaa and a final 2xx over IPv6 */
    long status;            /* final HTTP status over IPv6, 0 when none */
    const char *code;       /* "" on pass, else e.g. "NO_AAAA", "TIMEOUT" */
    const char *detail;
};

enum v6m_resource_kind {
    V6M_RES_IMG = 0, V6M_RES_SCRIPT, V6M_RES_STYLE, V6M_RES_ICON, V6M_RES_IFRAME,
    V6M_RES_SOURCE, V6M_RES_VIDEO, V6M_RES_AUDIO, V6M_RES_EMBED, V6M_RES__COUNT
};
const char *v6m_resource_kind_name(enum v6m_resource_kind k);

/* A sub-resource fetched the way a dual-stack client would (IPv6 first). */
struct v6m_resource {
    const char *url;
    const char *host;
    enum v6m_resource_kind kind;
    int family_used;        /* 6, 4, or 0 when it failed on both */
    bool v6_ok;             /* loads over IPv6 (would survive without IPv4) */
    uint64_t bytes;         /* body bytes received */
    const char *detail;     /* why not over IPv6, "" when v6_ok */
};

struct v6m_site_result {
    const char *name, *url, *category, *unit;
    const char *host;              /* host of url */
    bool testable;                 /* false: the vantage had no IPv6 */
    struct v6m_check check[V6M_CHECKS];
    bool supported, compliant;
    double score;                  /* 0..100, weights from the config */
    /* DNS */
    const char *cname_chain;       /* "www.x -> cdn.y", "" when none */
    const char *addrs_v4, *addrs_v6; /* space-separated */
    const char *zone;
    unsigned ns_total, ns_v6, ns_v6_answering;
    /* home page */
    struct v6m_hop *hops_v6, *hops_v4;
    size_t n_hops_v6, n_hops_v4;
    long status_v6, status_v4;     /* final statuses, 0 when none */
    unsigned attempts, attempts_ok; /* W4 */
    unsigned similarity_distance;  /* W5, 0..100; UINT32_MAX when not compared */
    unsigned links_only_v4, links_only_v6, links_common;
    /* concentration */
    unsigned l2_found, l3_found;   /* internal links before sampling */
    unsigned l2_total, l2_pass, l3_total, l3_pass;
    double link_concentration;     /* (home + l2 + l3 passing) / (1 + l2 + l3); -1 none */
    unsigned res_total, res_v6_ok;
    uint64_t res_bytes, res_bytes_v6;
    double resource_concentration; /* res_bytes_v6 / res_bytes; -1 when no bytes */
    bool ipv6_only_ready;          /* home + every resource load over IPv6 */
    const char *ipv6_only_blockers; /* hosts whose resources need IPv4, "" */
    /* details (NULL/0 after the hook unless keep_details) */
    struct v6m_url_result *urls;
    size_t n_urls;
    struct v6m_resource *resources;
    size_t n_resources;
    uint64_t started_ns;           /* wall clock, ns since the epoch */
    uint64_t duration_ns;
};

struct v6m_app_domain {
    const char *domain;
    bool has_aaaa;              /* global-unicast AAAA */
    bool answers_v6;            /* an HTTP(S) response of any status over IPv6 */
    long status;
    const char *addrs_v6;
    const char *code;           /* "" when fine */
    const char *detail;
};

struct v6m_app_result {
    const char *name, *category;
    bool testable;
    bool supported;             /* every domain has AAAA and answers over IPv6 */
    unsigned n_domains, n_domains_ok;
    struct v6m_app_domain *domains;
    size_t n_domains_listed;    /* == n_domains */
    uint64_t duration_ns;
};

struct v6m_probe_config {
    const char *resolver;        /* NULL = system resolver */
    unsigned attempts;           /* W4 attempts over IPv6 incl. W3's (3) */
    unsigned attempt_spacing_ms; /* between W4 attempts (1000) */
    unsigned timeout_ms;         /* per HTTP request (10000) */
    unsigned connect_timeout_ms; /* (5000) */
    unsigned dns_timeout_ms;     /* per DNS try (2000) */
    unsigned dns_tries;          /* (2) */
    unsigned retries;            /* extra tries of a failed home page fetch (1) */
    unsigned retry_backoff_ms;   /* before a retry, doubled each time (1000) */
    unsigned per_host;           /* concurrent requests per host (2) */
    unsigned max_sites;          /* sites in flight (1000) */
    unsigned max_redirects;      /* (5) */
    unsigned l2_cap, l3_cap;     /* links tested per level (100, 100) */
    unsigned resource_pages;     /* second-level pages whose resources are fetched (5) */
    unsigned resources_cap;      /* resources fetched per site (200) */
    uint64_t seed;               /* sampling seed (0 = derived from the time; reported) */
    size_t body_cap;             /* bytes kept per body (2 MiB) */
    bool crawl;                  /* W6, W7 and resources (true) */
    bool dns_only;               /* W1 and W2 only (the DNS stage; benchmarks) */
    bool insecure;               /* do not verify certificates */
    const char *ca_file;         /* extra CA bundle */
    bool self_check;             /* vantage self-check before the run (true) */
    const char *const *canaries; /* URLs or host names; NULL = built-in list */
    size_t n_canaries;
    double weights[V6M_CHECKS];  /* score weights (20,10,20,10,10,15,15) */
    double link_pass;            /* W6/W7 pass threshold (0.9) */
    unsigned similarity_max;     /* W5 distance limit (10) */
    double linkdiff_max;         /* W5 link-set difference limit, share of union (0.10) */
    bool keep_details;           /* keep urls/resources after the hook */
};

void v6m_probe_config_defaults(struct v6m_probe_config *cfg);

/* Parse "w1=20,w2=10,..." into cfg->weights (unnamed keep their value). */
v6m_err v6m_probe_parse_weights(struct v6m_probe_config *cfg, const char *spec, char *err,
                                size_t errlen);

/* Vantage self-check outcome (also in the run info). */
struct v6m_vantage {
    bool checked;
    bool v4_ok, v6_ok;
    char detail[512];           /* what was tried and what happened */
};

struct v6m_probe_info {
    uint64_t started_ns, finished_ns; /* wall clock */
    uint64_t seed;
    const char *resolver;       /* servers in use */
    struct v6m_vantage vantage;
    size_t sites_total, sites_done, apps_total, apps_done;
    bool interrupted;
    /* engine counters */
    uint64_t dns_queries, dns_timeouts, http_requests, http_failures, bytes;
};

struct v6m_probe_progress {
    size_t done, total, failed, inflight;
    uint64_t elapsed_ns;
    const char *stage;          /* "self-check", "sites", "apps" */
};

struct v6m_probe_hooks {
    void (*site_done)(void *arg, const struct v6m_site_result *r);
    void (*app_done)(void *arg, const struct v6m_app_result *r);
    void (*progress)(void *arg, const struct v6m_probe_progress *p); /* <= 5 per second */
    void *arg;
};

typedef struct v6m_probe v6m_probe;

/* NULL with a message in err on failure (bad config, resolver). */
v6m_probe *v6m_probe_new(const struct v6m_probe_config *cfg, char *err, size_t errlen);
void v6m_probe_free(v6m_probe *p);
const char *v6m_probe_errmsg(const v6m_probe *p);

v6m_err v6m_probe_add_site(v6m_probe *p, const char *name, const char *url,
                           const char *category, const char *unit);
/* CSV with a header "name,url,category,unit" (url required), or one URL a
 * line ("#" comments). A bare host name means http://HOST/. */
v6m_err v6m_probe_load_sites(v6m_probe *p, const char *path);
v6m_err v6m_probe_add_app(v6m_probe *p, const char *name, const char *category,
                          const char *const *domains, size_t n);
/* The app catalog format of data/apps.csv (docs/apps.md). */
v6m_err v6m_probe_load_apps(v6m_probe *p, const char *path);

/* Run everything added. *stop (may be NULL) is polled; when it becomes
 * non-zero the run stops starting work, abandons what is in flight and
 * returns V6M_ERR_INTERRUPTED; finished results stay available. */
v6m_err v6m_probe_run(v6m_probe *p, const struct v6m_probe_hooks *hooks,
                      volatile int *stop);

const struct v6m_probe_info *v6m_probe_info(const v6m_probe *p);
size_t v6m_probe_site_count(const v6m_probe *p);  /* finished sites */
const struct v6m_site_result *v6m_probe_site(const v6m_probe *p, size_t i);
size_t v6m_probe_app_count(const v6m_probe *p);
const struct v6m_app_result *v6m_probe_app(const v6m_probe *p, size_t i);

#endif
