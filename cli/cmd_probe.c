/*
 * cli/cmd_probe.c - `v6mon probe sites FILE` and `v6mon probe apps FILE`:
 * the active test of key websites (W1..W7, I4, I5) and app domains (I6).
 *
 * Wiring only: options -> struct v6m_probe_config, the list -> the probe,
 * the probe's hooks -> output and store as each result finishes, the
 * terminal report at the end. The checks live in the library
 * (include/v6mon/probe.h, docs/probe.md); docs/commands/probe.md is the
 * help text.
 *
 * Streaming: JSON lines and CSV rows are written from the site/app hooks
 * (into a 64 kB stdio buffer, flushed at once on a terminal, else on the
 * 200 ms progress tick and at the end: a write(2) per line was a tenth of
 * a DNS-only run), and rows stored from them too, so Ctrl-C or SIGTERM
 * loses nothing that finished: the probe stops, the run is ended in the
 * store with interrupted = 1, the run line / terminal report says so, and
 * the exit code is 0 as for `traffic` (what was measured is a result).
 *
 * Progress line (stderr, when it is a terminal, or --progress): stage,
 * done/total, rate, ETA, sites failing IPv6 so far and requests in
 * flight. cli_progress_* cannot show failures, so it is drawn here; it is
 * cleared before anything else is written to the terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <v6mon/parse.h>
#include <v6mon/probe.h>
#include <v6mon/report.h>
#include <v6mon/store.h>
#include <v6mon/version.h>

#include "cli.h"

#define MAX_CANARIES 32

struct probe_opts {
    bool apps;                    /* `probe apps` */
    const char *list;
    enum v6m_format format;
    const char *output;
    const char *db;
    const char *weights;
    const char *vantage;          /* --vantage: stored with the run's config */
    int progress;                 /* -1 auto, 0 off, 1 on */
    const char *canaries[MAX_CANARIES];
    size_t n_canaries;
    struct v6m_probe_config cfg;
};

/* What the hooks need. */
struct run_state {
    struct probe_opts *o;
    FILE *out;
    v6m_store *store;
    int64_t run_id;
    size_t store_failures;
    bool output_failed;
    /* results kept for the terminal report (owned by the probe) */
    const struct v6m_site_result **sites;
    size_t n_sites, cap_sites;
    const struct v6m_app_result **apps;
    size_t n_apps, cap_apps;
    /* progress line */
    bool progress_on, progress_shown;
    bool out_is_tty;              /* results go to the terminal the line is on */
    uint64_t last_flush_ns;
    /* Results written since the output was last flushed. Lines are flushed
     * on the progress tick (every 200 ms), not one write(2) per result: a
     * fast DNS-only run writes thousands of lines a second. */
    bool out_pending;
};

/* ---- option values --------------------------------------------------------------- */


/* "0.9" or "90%". */
static bool parse_share(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno)
        return false;
    if (*end == '%') {
        v /= 100.0;
        end++;
    }
    if (*end || !(v >= 0 && v <= 1))
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct probe_opts *o)
{
    enum {
        OPT_RESOLVER = 256, OPT_ATTEMPTS, OPT_SPACING, OPT_TIMEOUT, OPT_CONNECT_TIMEOUT,
        OPT_DNS_TIMEOUT, OPT_DNS_TRIES, OPT_RETRIES, OPT_RETRY_BACKOFF, OPT_PER_HOST,
        OPT_MAX_SITES, OPT_MAX_REDIRECTS, OPT_L2, OPT_L3, OPT_RESOURCE_PAGES, OPT_RESOURCES,
        OPT_SEED, OPT_NO_CRAWL, OPT_DNS_ONLY, OPT_INSECURE, OPT_CA_FILE, OPT_CANARY,
        OPT_NO_SELF_CHECK, OPT_WEIGHTS, OPT_LINK_PASS, OPT_SIMILARITY_MAX, OPT_FORMAT, OPT_DB,
        OPT_PROGRESS, OPT_NO_PROGRESS, OPT_VANTAGE,
    };
    static const struct option longopts[] = {
        {"resolver", required_argument, NULL, OPT_RESOLVER},
        {"vantage", required_argument, NULL, OPT_VANTAGE},
        {"attempts", required_argument, NULL, OPT_ATTEMPTS},
        {"spacing", required_argument, NULL, OPT_SPACING},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
        {"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT},
        {"dns-tries", required_argument, NULL, OPT_DNS_TRIES},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"retry-backoff", required_argument, NULL, OPT_RETRY_BACKOFF},
        {"per-host", required_argument, NULL, OPT_PER_HOST},
        {"max-sites", required_argument, NULL, OPT_MAX_SITES},
        {"max-redirects", required_argument, NULL, OPT_MAX_REDIRECTS},
        {"l2", required_argument, NULL, OPT_L2},
        {"l3", required_argument, NULL, OPT_L3},
        {"resource-pages", required_argument, NULL, OPT_RESOURCE_PAGES},
        {"resources", required_argument, NULL, OPT_RESOURCES},
        {"seed", required_argument, NULL, OPT_SEED},
        {"no-crawl", no_argument, NULL, OPT_NO_CRAWL},
        {"dns-only", no_argument, NULL, OPT_DNS_ONLY},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"canary", required_argument, NULL, OPT_CANARY},
        {"no-self-check", no_argument, NULL, OPT_NO_SELF_CHECK},
        {"weights", required_argument, NULL, OPT_WEIGHTS},
        {"link-pass", required_argument, NULL, OPT_LINK_PASS},
        {"similarity-max", required_argument, NULL, OPT_SIMILARITY_MAX},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"db", required_argument, NULL, OPT_DB},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {NULL, 0, NULL, 0},
    };
    struct v6m_probe_config *c = &o->cfg;
    unsigned long long n;
    int ch;
    optind = 1;
    opterr = 0;
    /* Options may follow the list file (GNU argument permutation). */
    while ((ch = getopt_long(argc, argv, "o:f:", longopts, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case OPT_RESOLVER: c->resolver = a; break;
        case OPT_VANTAGE: o->vantage = a; break;
        case OPT_ATTEMPTS:
            if (!cli_parse_uint(a, 100, &n) || n == 0)
                return cli_usage("probe", "--attempts: '%s' is not a number 1..100", a);
            c->attempts = (unsigned)n;
            break;
        case OPT_SPACING:
            if (!cli_parse_ms(a, true, &c->attempt_spacing_ms))
                return cli_usage("probe", "--spacing: '%s' is not a duration (e.g. 1s, 500ms)",
                                 a);
            break;
        case OPT_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->timeout_ms))
                return cli_usage("probe", "--timeout: '%s' is not a positive duration", a);
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->connect_timeout_ms))
                return cli_usage("probe", "--connect-timeout: '%s' is not a positive duration",
                                 a);
            break;
        case OPT_DNS_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->dns_timeout_ms))
                return cli_usage("probe", "--dns-timeout: '%s' is not a positive duration", a);
            break;
        case OPT_DNS_TRIES:
            if (!cli_parse_uint(a, 10, &n) || n == 0)
                return cli_usage("probe", "--dns-tries: '%s' is not a number 1..10", a);
            c->dns_tries = (unsigned)n;
            break;
        case OPT_RETRIES:
            if (!cli_parse_uint(a, 10, &n))
                return cli_usage("probe", "--retries: '%s' is not a number 0..10", a);
            c->retries = (unsigned)n;
            break;
        case OPT_RETRY_BACKOFF:
            if (!cli_parse_ms(a, true, &c->retry_backoff_ms))
                return cli_usage("probe", "--retry-backoff: '%s' is not a duration", a);
            break;
        case OPT_PER_HOST:
            if (!cli_parse_uint(a, 64, &n) || n == 0)
                return cli_usage("probe", "--per-host: '%s' is not a number 1..64", a);
            c->per_host = (unsigned)n;
            break;
        case OPT_MAX_SITES:
            if (!cli_parse_uint(a, 100000, &n) || n == 0)
                return cli_usage("probe", "--max-sites: '%s' is not a number 1..100000", a);
            c->max_sites = (unsigned)n;
            break;
        case OPT_MAX_REDIRECTS:
            if (!cli_parse_uint(a, 10, &n))
                return cli_usage("probe", "--max-redirects: '%s' is not a number 0..10", a);
            c->max_redirects = (unsigned)n;
            break;
        case OPT_L2:
        case OPT_L3:
            if (!cli_parse_uint(a, 100000, &n))
                return cli_usage("probe", "--%s: '%s' is not a number 0..100000",
                                 ch == OPT_L2 ? "l2" : "l3", a);
            *(ch == OPT_L2 ? &c->l2_cap : &c->l3_cap) = (unsigned)n;
            break;
        case OPT_RESOURCE_PAGES:
            if (!cli_parse_uint(a, 1000, &n))
                return cli_usage("probe", "--resource-pages: '%s' is not a number 0..1000", a);
            c->resource_pages = (unsigned)n;
            break;
        case OPT_RESOURCES:
            if (!cli_parse_uint(a, 100000, &n))
                return cli_usage("probe", "--resources: '%s' is not a number 0..100000", a);
            c->resources_cap = (unsigned)n;
            break;
        case OPT_SEED:
            if (!cli_parse_uint(a, UINT64_MAX, &n))
                return cli_usage("probe", "--seed: '%s' is not a number", a);
            c->seed = (uint64_t)n;
            break;
        case OPT_NO_CRAWL: c->crawl = false; break;
        case OPT_DNS_ONLY: c->dns_only = true; break;
        case OPT_INSECURE: c->insecure = true; break;
        case OPT_CA_FILE: c->ca_file = a; break;
        case OPT_CANARY:
            if (o->n_canaries == MAX_CANARIES)
                return cli_usage("probe", "--canary: at most %d", MAX_CANARIES);
            o->canaries[o->n_canaries++] = a;
            break;
        case OPT_NO_SELF_CHECK: c->self_check = false; break;
        case OPT_WEIGHTS: {
            char err[256];
            if (v6m_probe_parse_weights(c, a, err, sizeof(err)) != V6M_OK)
                return cli_usage("probe", "--weights: %s", err);
            o->weights = a;
            break;
        }
        case OPT_LINK_PASS:
            if (!parse_share(a, &c->link_pass))
                return cli_usage("probe", "--link-pass: '%s' is not a share 0..1 or 0%%..100%%",
                                 a);
            break;
        case OPT_SIMILARITY_MAX:
            if (!cli_parse_uint(a, 100, &n))
                return cli_usage("probe", "--similarity-max: '%s' is not a number 0..100", a);
            c->similarity_max = (unsigned)n;
            break;
        case 'f':
        case OPT_FORMAT:
            if (!v6m_format_parse(a, &o->format))
                return cli_usage("probe", "--format: '%s' is not one of text, json, csv", a);
            break;
        case 'o': o->output = a; break;
        case OPT_DB: o->db = a; break;
        case OPT_PROGRESS: o->progress = 1; break;
        case OPT_NO_PROGRESS: o->progress = 0; break;
        case '?':
        default:
            if (optopt > 0 && optopt < 256)
                return cli_usage("probe", "unknown option or missing value: -%c", optopt);
            return cli_usage("probe", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (o->n_canaries) {
        c->canaries = o->canaries;
        c->n_canaries = o->n_canaries;
    }
    return -1;
}

/* ---- config as JSON (stored with the run) ---------------------------------------- */

static void json_text(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* NULL when out of memory. The caller frees. */
static char *config_json(const struct probe_opts *o, uint64_t seed)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const struct v6m_probe_config *c = &o->cfg;
    fprintf(f, "{\"command\":\"%s\",\"list\":", o->apps ? "apps" : "sites");
    json_text(f, o->list);
    fputs(",\"vantage\":", f);
    json_text(f, o->vantage);
    fputs(",\"resolver\":", f);
    json_text(f, c->resolver);
    fprintf(f,
            ",\"attempts\":%u,\"spacing_ms\":%u,\"timeout_ms\":%u,\"connect_timeout_ms\":%u,"
            "\"dns_timeout_ms\":%u,\"dns_tries\":%u,\"retries\":%u,\"retry_backoff_ms\":%u,"
            "\"per_host\":%u,\"max_sites\":%u,\"max_redirects\":%u,\"l2\":%u,\"l3\":%u,"
            "\"resource_pages\":%u,\"resources\":%u,\"seed\":\"%llu\",\"crawl\":%s,"
            "\"dns_only\":%s,\"insecure\":%s,\"self_check\":%s,\"link_pass\":%g,"
            "\"similarity_max\":%u,\"weights\":[",
            c->attempts, c->attempt_spacing_ms, c->timeout_ms, c->connect_timeout_ms,
            c->dns_timeout_ms, c->dns_tries, c->retries, c->retry_backoff_ms, c->per_host,
            c->max_sites, c->max_redirects, c->l2_cap, c->l3_cap, c->resource_pages,
            c->resources_cap, (unsigned long long)seed, c->crawl ? "true" : "false",
            c->dns_only ? "true" : "false", c->insecure ? "true" : "false",
            c->self_check ? "true" : "false", c->link_pass, c->similarity_max);
    for (int i = 0; i < V6M_CHECKS; i++)
        fprintf(f, "%s%g", i ? "," : "", c->weights[i]);
    fputs("],\"ca_file\":", f);
    json_text(f, c->ca_file);
    fputs(",\"canaries\":", f);
    if (!o->n_canaries) {
        fputs("null", f);
    } else {
        fputc('[', f);
        for (size_t i = 0; i < o->n_canaries; i++) {
            if (i)
                fputc(',', f);
            json_text(f, o->canaries[i]);
        }
        fputc(']', f);
    }
    fputc('}', f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- progress line ------------------------------------------------------------------ */

static void out_flush(struct run_state *rs);

static void progress_clear(struct run_state *rs)
{
    if (rs->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        rs->progress_shown = false;
    }
}

static void format_eta(double s, char *buf, size_t n)
{
    if (s < 0 || s > 360000)
        snprintf(buf, n, "?");
    else if (s >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%ds", (int)(s + 0.5));
}

static void on_progress(void *arg, const struct v6m_probe_progress *p)
{
    struct run_state *rs = arg;
    /* At most 200 ms between a result and its line in the output (the
     * progress hook runs at most every 200 ms, and on every stage change). */
    out_flush(rs);
    /* Commit an idle store batch now and then (the store also commits at
     * 200 results or a 1 s old batch, but only when a result arrives). */
    if (rs->store && p->elapsed_ns - rs->last_flush_ns >= 1000000000ull) {
        rs->last_flush_ns = p->elapsed_ns;
        v6m_store_probe_flush(rs->store);
    }
    if (!rs->progress_on)
        return;
    double secs = (double)p->elapsed_ns / 1e9;
    char eta[24] = "?";
    double rate = secs > 0 ? (double)p->done / secs : 0;
    if (rate > 0)
        format_eta((double)(p->total - p->done) / rate, eta, sizeof(eta));
    const char *stage = p->stage ? p->stage : "";
    if (strcmp(stage, "self-check") == 0)
        fprintf(stderr, "\rself-check: testing IPv6 and IPv4 from this machine...\033[K");
    else
        fprintf(stderr,
                "\r%s: %zu/%zu %5.1f%%  %.1f/s  ETA %s  failing IPv6 %zu  in flight %zu\033[K",
                stage, p->done, p->total,
                p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, rate, eta,
                p->failed, p->inflight);
    fflush(stderr);
    rs->progress_shown = true;
}

/* ---- hooks ------------------------------------------------------------------------------ */

/* Result pointers for the terminal report (the probe owns the results). */
static bool keep_site(struct run_state *rs, const struct v6m_site_result *r)
{
    if (rs->n_sites == rs->cap_sites) {
        size_t nc = rs->cap_sites ? rs->cap_sites * 2 : 64;
        const struct v6m_site_result **nv = realloc(rs->sites, nc * sizeof(*nv));
        if (!nv)
            return false;
        rs->sites = nv;
        rs->cap_sites = nc;
    }
    rs->sites[rs->n_sites++] = r;
    return true;
}

static bool keep_app(struct run_state *rs, const struct v6m_app_result *r)
{
    if (rs->n_apps == rs->cap_apps) {
        size_t nc = rs->cap_apps ? rs->cap_apps * 2 : 64;
        const struct v6m_app_result **nv = realloc(rs->apps, nc * sizeof(*nv));
        if (!nv)
            return false;
        rs->apps = nv;
        rs->cap_apps = nc;
    }
    rs->apps[rs->n_apps++] = r;
    return true;
}

static void store_failed(struct run_state *rs)
{
    if (rs->store_failures++ == 0) {
        progress_clear(rs);
        cli_error("%s (further store errors are counted, not shown)",
                  v6m_store_errmsg(rs->store));
    }
}

/* A result was written: flush at once on a terminal (the user watches),
 * else leave it to the next progress tick or the end of the run. */
static void emit_done(struct run_state *rs, v6m_err e)
{
    if (e != V6M_OK)
        rs->output_failed = true;
    if (rs->out_is_tty)
        fflush(rs->out);
    else
        rs->out_pending = true;
}

/* Everything written so far leaves the process now (progress tick, end). */
static void out_flush(struct run_state *rs)
{
    if (!rs->out_pending)
        return;
    rs->out_pending = false;
    if (fflush(rs->out) != 0)
        rs->output_failed = true;
}

static void on_site(void *arg, const struct v6m_site_result *r)
{
    struct run_state *rs = arg;
    if (rs->store && v6m_store_probe_site(rs->store, rs->run_id, r) != V6M_OK)
        store_failed(rs);
    if (rs->o->format == V6M_FORMAT_TEXT) {
        if (!keep_site(rs, r))
            rs->output_failed = true;
        return;
    }
    if (rs->out_is_tty)
        progress_clear(rs);
    if (rs->o->format == V6M_FORMAT_JSON)
        emit_done(rs, v6m_report_probe_site_jsonl(rs->out, r));
    else
        emit_done(rs, v6m_report_probe_csv_site(rs->out, r));
}

static void on_app(void *arg, const struct v6m_app_result *r)
{
    struct run_state *rs = arg;
    if (rs->store && v6m_store_probe_app(rs->store, rs->run_id, r) != V6M_OK)
        store_failed(rs);
    if (rs->o->format == V6M_FORMAT_TEXT) {
        if (!keep_app(rs, r))
            rs->output_failed = true;
        return;
    }
    if (rs->out_is_tty)
        progress_clear(rs);
    if (rs->o->format == V6M_FORMAT_JSON)
        emit_done(rs, v6m_report_probe_app_jsonl(rs->out, r));
    else
        emit_done(rs, v6m_report_probe_csv_app(rs->out, r));
}

/* ---- the command ------------------------------------------------------------------------ */

int cmd_probe(int argc, char **argv)
{
    struct probe_opts o;
    memset(&o, 0, sizeof(o));
    o.format = V6M_FORMAT_TEXT;
    o.progress = -1;
    v6m_probe_config_defaults(&o.cfg);
    if (argc < 2)
        return cli_usage("probe", "what to probe: 'v6mon probe sites FILE' or "
                                  "'v6mon probe apps FILE'");
    if (strcmp(argv[1], "sites") == 0)
        o.apps = false;
    else if (strcmp(argv[1], "apps") == 0)
        o.apps = true;
    else
        return cli_usage("probe", "'%s' is not 'sites' or 'apps'", argv[1]);
    int rc = parse_args(argc - 1, argv + 1, &o);
    if (rc >= 0)
        return rc;
    int nfiles = argc - 1 - optind;
    if (nfiles != 1)
        return cli_usage("probe", nfiles ? "one list file only" : "no list file given "
                                                                   "('-' for stdin)");
    o.list = argv[1 + optind];
    const char *path = strcmp(o.list, "-") == 0 ? "/dev/stdin" : o.list;

    char err[512];
    v6m_probe *p = v6m_probe_new(&o.cfg, err, sizeof(err));
    if (!p) {
        cli_error("%s", err);
        return EXIT_ERROR;
    }
    v6m_err e = o.apps ? v6m_probe_load_apps(p, path) : v6m_probe_load_sites(p, path);
    if (e != V6M_OK) {
        cli_error("%s", v6m_probe_errmsg(p));
        v6m_probe_free(p);
        return EXIT_ERROR;
    }
    const struct v6m_probe_info *info = v6m_probe_info(p);
    if ((o.apps ? info->apps_total : info->sites_total) == 0) {
        cli_error("'%s' lists no %s", o.list, o.apps ? "apps" : "sites");
        v6m_probe_free(p);
        return EXIT_ERROR;
    }

    struct run_state rs;
    memset(&rs, 0, sizeof(rs));
    rs.o = &o;
    rs.out = stdout;
    int exit_code = EXIT_OK;
    if (o.output && strcmp(o.output, "-") != 0) {
        rs.out = fopen(o.output, "w");
        if (!rs.out) {
            cli_error("cannot open '%s' for writing: %s", o.output, strerror(errno));
            v6m_probe_free(p);
            return EXIT_ERROR;
        }
    }
    /* Results are flushed on the progress tick (emit_done): a 64 kB buffer
     * makes that one write(2) per few dozen lines. */
    if (!(rs.out == stdout && isatty(STDOUT_FILENO)))
        (void)setvbuf(rs.out, NULL, _IOFBF, 1u << 16);
    if (o.db) {
        char *cfg_json = config_json(&o, info->seed);
        if (!cfg_json) {
            exit_code = cli_fatal("out of memory");
            goto out;
        }
        if (v6m_store_open(o.db, &rs.store, err, sizeof(err)) != V6M_OK) {
            cli_error("%s", err);
            free(cfg_json);
            exit_code = EXIT_ERROR;
            goto out;
        }
        e = v6m_store_probe_begin(rs.store, info, cfg_json, &rs.run_id);
        free(cfg_json);
        if (e != V6M_OK) {
            cli_error("%s", v6m_store_errmsg(rs.store));
            exit_code = EXIT_ERROR;
            goto out;
        }
    }
    if (o.format == V6M_FORMAT_CSV && v6m_report_probe_csv_header(rs.out, o.apps) != V6M_OK)
        rs.output_failed = true;

    rs.progress_on = o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO));
    rs.out_is_tty = rs.out == stdout && isatty(STDOUT_FILENO);
    struct v6m_probe_hooks hooks = {
        .site_done = on_site, .app_done = on_app, .progress = on_progress, .arg = &rs,
    };
    cli_install_signals();
    e = v6m_probe_run(p, &hooks, &cli_signalled);
    progress_clear(&rs);
    bool interrupted = e == V6M_ERR_INTERRUPTED;
    if (e != V6M_OK && !interrupted) {
        cli_error("%s", v6m_probe_errmsg(p));
        exit_code = EXIT_ERROR;
    }
    info = v6m_probe_info(p);
    if (info->vantage.checked && !info->vantage.v6_ok)
        cli_warning("this machine has no working IPv6 (%s): IPv6 checks are 'not testable'",
                    info->vantage.detail);
    else if (info->vantage.checked && !info->vantage.v4_ok)
        cli_warning("this machine has no working IPv4 (%s): W5 is 'not testable'",
                    info->vantage.detail);

    if (rs.store) {
        if (v6m_store_probe_end(rs.store, rs.run_id, info) != V6M_OK) {
            cli_error("%s", v6m_store_errmsg(rs.store));
            exit_code = EXIT_ERROR;
        } else if (rs.store_failures) {
            cli_error("%zu results could not be stored in '%s'", rs.store_failures, o.db);
            exit_code = EXIT_ERROR;
        }
    }

    if (o.format == V6M_FORMAT_JSON)
        emit_done(&rs, v6m_report_probe_run_jsonl(rs.out, info));
    else if (o.format == V6M_FORMAT_TEXT)
        emit_done(&rs, v6m_report_probe_text(rs.out, rs.sites, rs.n_sites, rs.apps, rs.n_apps,
                                             info));
    rs.out_pending = true;
    out_flush(&rs);
    if (rs.output_failed) {
        cli_error("cannot write the results to '%s'", o.output ? o.output : "stdout");
        exit_code = EXIT_ERROR;
    }
    if (rs.store && exit_code == EXIT_OK)
        fprintf(stderr, "stored as probe run %lld in '%s'\n", (long long)rs.run_id, o.db);
    if (interrupted)
        fprintf(stderr, "interrupted: %zu of %zu %s finished and were reported\n",
                o.apps ? info->apps_done : info->sites_done,
                o.apps ? info->apps_total : info->sites_total, o.apps ? "apps" : "sites");

out:
    v6m_store_close(rs.store);
    if (rs.out != stdout && fclose(rs.out) != 0 && exit_code == EXIT_OK) {
        cli_error("cannot write '%s': %s", o.output, strerror(errno));
        exit_code = EXIT_ERROR;
    }
    free(rs.sites);
    free(rs.apps);
    v6m_probe_free(p);
    return exit_code;
}
