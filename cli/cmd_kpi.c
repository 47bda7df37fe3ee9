/*
 * cli/cmd_kpi.c - `v6mon kpi FILE` / `v6mon kpi --from-sites --db DB`:
 * IPv4/IPv6 performance parity per target (docs/commands/kpi.md is the
 * help text, docs/kpi.md the definitions).
 *
 * Wiring only: options -> struct v6m_kpi_config, targets -> the kpi run,
 * the run -> output (text, JSON, CSV) and the store. Ctrl-C stops the run;
 * what finished is reported and stored (interrupted = 1), exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <v6mon/kpi.h>
#include <v6mon/parse.h>
#include <v6mon/report.h>
#include <v6mon/store.h>

#include "cli.h"

#define MAX_CANARIES 32

struct kpi_opts {
    const char *list;
    bool from_sites;
    long long probe_run;
    enum v6m_format format;
    bool samples;
    const char *output;
    const char *db;
    const char *thresholds;
    int progress;
    const char *canaries[MAX_CANARIES];
    size_t n_canaries;
    struct v6m_kpi_config cfg;
};


static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || *end || !(v >= 0 && v <= 3600))
        return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, struct kpi_opts *o)
{
    enum {
        OPT_ROUNDS = 256, OPT_INTERVAL, OPT_PINGS, OPT_PING_SPACING, OPT_PING_TIMEOUT, OPT_ICMP,
        OPT_TCP_TRIES, OPT_PORT, OPT_TCP_TIMEOUT, OPT_DNS_TRIES, OPT_DNS_TIMEOUT, OPT_RESOLVER,
        OPT_DNS4, OPT_DNS6, OPT_NO_PAGE, OPT_PAGE_TIMEOUT, OPT_CONNECT_TIMEOUT, OPT_PER_HOST,
        OPT_RESOURCES, OPT_NO_VIDEO, OPT_VIDEO_VARIANT, OPT_VIDEO_SEGMENTS, OPT_VIDEO_STARTUP,
        OPT_VIDEO_RESUME, OPT_MAX_PARALLEL, OPT_THRESHOLDS, OPT_THRESHOLD, OPT_INSECURE,
        OPT_CA_FILE, OPT_VANTAGE, OPT_CANARY, OPT_NO_SELF_CHECK, OPT_FORMAT, OPT_SAMPLES, OPT_DB,
        OPT_FROM_SITES, OPT_PROBE_RUN, OPT_PROGRESS, OPT_NO_PROGRESS,
    };
    static const struct option longopts[] = {
        {"rounds", required_argument, NULL, OPT_ROUNDS},
        {"interval", required_argument, NULL, OPT_INTERVAL},
        {"pings", required_argument, NULL, OPT_PINGS},
        {"ping-spacing", required_argument, NULL, OPT_PING_SPACING},
        {"ping-timeout", required_argument, NULL, OPT_PING_TIMEOUT},
        {"icmp", required_argument, NULL, OPT_ICMP},
        {"tcp-tries", required_argument, NULL, OPT_TCP_TRIES},
        {"port", required_argument, NULL, OPT_PORT},
        {"tcp-timeout", required_argument, NULL, OPT_TCP_TIMEOUT},
        {"dns-tries", required_argument, NULL, OPT_DNS_TRIES},
        {"dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT},
        {"resolver", required_argument, NULL, OPT_RESOLVER},
        {"dns4", required_argument, NULL, OPT_DNS4},
        {"dns6", required_argument, NULL, OPT_DNS6},
        {"no-page", no_argument, NULL, OPT_NO_PAGE},
        {"page-timeout", required_argument, NULL, OPT_PAGE_TIMEOUT},
        {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
        {"per-host", required_argument, NULL, OPT_PER_HOST},
        {"resources", required_argument, NULL, OPT_RESOURCES},
        {"no-video", no_argument, NULL, OPT_NO_VIDEO},
        {"video-variant", required_argument, NULL, OPT_VIDEO_VARIANT},
        {"video-segments", required_argument, NULL, OPT_VIDEO_SEGMENTS},
        {"video-startup", required_argument, NULL, OPT_VIDEO_STARTUP},
        {"video-resume", required_argument, NULL, OPT_VIDEO_RESUME},
        {"max-parallel", required_argument, NULL, OPT_MAX_PARALLEL},
        {"thresholds", required_argument, NULL, OPT_THRESHOLDS},
        {"threshold", required_argument, NULL, OPT_THRESHOLD},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"vantage", required_argument, NULL, OPT_VANTAGE},
        {"canary", required_argument, NULL, OPT_CANARY},
        {"no-self-check", no_argument, NULL, OPT_NO_SELF_CHECK},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"samples", no_argument, NULL, OPT_SAMPLES},
        {"output", required_argument, NULL, 'o'},
        {"db", required_argument, NULL, OPT_DB},
        {"from-sites", no_argument, NULL, OPT_FROM_SITES},
        {"probe-run", required_argument, NULL, OPT_PROBE_RUN},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {NULL, 0, NULL, 0},
    };
    struct v6m_kpi_config *c = &o->cfg;
    unsigned long long n;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "o:f:", longopts, NULL)) != -1) {
        const char *a = optarg;
        switch (ch) {
        case OPT_ROUNDS:
            if (!cli_parse_uint(a, 100000, &n) || n == 0)
                return cli_usage("kpi", "--rounds: '%s' is not a number 1..100000", a);
            c->rounds = (unsigned)n;
            break;
        case OPT_INTERVAL:
            if (!cli_parse_ms(a, true, &c->interval_ms))
                return cli_usage("kpi", "--interval: '%s' is not a duration (e.g. 10s, 0)", a);
            break;
        case OPT_PINGS:
            if (!cli_parse_uint(a, 10000, &n))
                return cli_usage("kpi", "--pings: '%s' is not a number 0..10000", a);
            c->pings = (unsigned)n;
            break;
        case OPT_PING_SPACING:
            if (!cli_parse_ms(a, true, &c->ping_spacing_ms))
                return cli_usage("kpi", "--ping-spacing: '%s' is not a duration", a);
            break;
        case OPT_PING_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->ping_timeout_ms))
                return cli_usage("kpi", "--ping-timeout: '%s' is not a positive duration", a);
            break;
        case OPT_ICMP:
            if (!strcmp(a, "auto"))
                c->icmp_mode = V6M_KPI_ICMP_AUTO;
            else if (!strcmp(a, "ping"))
                c->icmp_mode = V6M_KPI_ICMP_PING;
            else if (!strcmp(a, "raw"))
                c->icmp_mode = V6M_KPI_ICMP_RAW;
            else if (!strcmp(a, "off"))
                c->icmp_mode = V6M_KPI_ICMP_OFF;
            else
                return cli_usage("kpi", "--icmp: '%s' is not auto, ping, raw or off", a);
            break;
        case OPT_TCP_TRIES:
            if (!cli_parse_uint(a, 1000, &n))
                return cli_usage("kpi", "--tcp-tries: '%s' is not a number 0..1000", a);
            c->tcp_tries = (unsigned)n;
            break;
        case OPT_PORT:
            if (!cli_parse_uint(a, 65535, &n) || n == 0)
                return cli_usage("kpi", "--port: '%s' is not a port 1..65535", a);
            c->tcp_port = (uint16_t)n;
            break;
        case OPT_TCP_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->tcp_timeout_ms))
                return cli_usage("kpi", "--tcp-timeout: '%s' is not a positive duration", a);
            break;
        case OPT_DNS_TRIES:
            if (!cli_parse_uint(a, 1000, &n))
                return cli_usage("kpi", "--dns-tries: '%s' is not a number 0..1000", a);
            c->dns_tries = (unsigned)n;
            break;
        case OPT_DNS_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->dns_timeout_ms))
                return cli_usage("kpi", "--dns-timeout: '%s' is not a positive duration", a);
            break;
        case OPT_RESOLVER: c->resolver = a; break;
        case OPT_DNS4: c->dns4 = a; break;
        case OPT_DNS6: c->dns6 = a; break;
        case OPT_NO_PAGE: c->page = false; break;
        case OPT_PAGE_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->page_timeout_ms))
                return cli_usage("kpi", "--page-timeout: '%s' is not a positive duration", a);
            break;
        case OPT_CONNECT_TIMEOUT:
            if (!cli_parse_ms(a, false, &c->connect_timeout_ms))
                return cli_usage("kpi", "--connect-timeout: '%s' is not a positive duration",
                                 a);
            break;
        case OPT_PER_HOST:
            if (!cli_parse_uint(a, 64, &n) || n == 0)
                return cli_usage("kpi", "--per-host: '%s' is not a number 1..64", a);
            c->per_host = (unsigned)n;
            break;
        case OPT_RESOURCES:
            if (!cli_parse_uint(a, 10000, &n))
                return cli_usage("kpi", "--resources: '%s' is not a number 0..10000", a);
            c->resources_cap = (unsigned)n;
            break;
        case OPT_NO_VIDEO: c->video = false; break;
        case OPT_VIDEO_VARIANT: c->video_variant = a; break;
        case OPT_VIDEO_SEGMENTS:
            if (!cli_parse_uint(a, 256, &n) || n == 0)
                return cli_usage("kpi", "--video-segments: '%s' is not a number 1..256", a);
            c->video_segments = (unsigned)n;
            break;
        case OPT_VIDEO_STARTUP:
        case OPT_VIDEO_RESUME:
            if (!parse_seconds(a, ch == OPT_VIDEO_STARTUP ? &c->video_startup_s
                                                          : &c->video_resume_s))
                return cli_usage("kpi", "--video-%s: '%s' is not a number of seconds 0..3600",
                                 ch == OPT_VIDEO_STARTUP ? "startup" : "resume", a);
            break;
        case OPT_MAX_PARALLEL:
            if (!cli_parse_uint(a, 10000, &n) || n == 0)
                return cli_usage("kpi", "--max-parallel: '%s' is not a number 1..10000", a);
            c->max_parallel = (unsigned)n;
            break;
        case OPT_THRESHOLDS: o->thresholds = a; break;
        case OPT_THRESHOLD: {
            char *end;
            errno = 0;
            double v = strtod(a, &end);
            if (end == a || *end || errno || !(v >= 0 && v <= 100))
                return cli_usage("kpi", "--threshold: '%s' is not a number 0..100 (0.2 = 20%%)",
                                 a);
            c->th.threshold = v;
            break;
        }
        case OPT_INSECURE: c->insecure = true; break;
        case OPT_CA_FILE: c->ca_file = a; break;
        case OPT_VANTAGE: c->vantage = a; break;
        case OPT_CANARY:
            if (o->n_canaries == MAX_CANARIES)
                return cli_usage("kpi", "--canary: at most %d", MAX_CANARIES);
            o->canaries[o->n_canaries++] = a;
            break;
        case OPT_NO_SELF_CHECK: c->self_check = false; break;
        case 'f':
        case OPT_FORMAT:
            if (!v6m_format_parse(a, &o->format))
                return cli_usage("kpi", "--format: '%s' is not one of text, json, csv", a);
            break;
        case OPT_SAMPLES: o->samples = true; break;
        case 'o': o->output = a; break;
        case OPT_DB: o->db = a; break;
        case OPT_FROM_SITES: o->from_sites = true; break;
        case OPT_PROBE_RUN:
            if (!cli_parse_uint(a, INT64_MAX, &n) || n == 0)
                return cli_usage("kpi", "--probe-run: '%s' is not a run id", a);
            o->probe_run = (long long)n;
            o->from_sites = true;
            break;
        case OPT_PROGRESS: o->progress = 1; break;
        case OPT_NO_PROGRESS: o->progress = 0; break;
        case '?':
        default:
            if (optopt > 0 && optopt < 256)
                return cli_usage("kpi", "unknown option or missing value: -%c", optopt);
            return cli_usage("kpi", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (o->n_canaries) {
        c->canaries = o->canaries;
        c->n_canaries = o->n_canaries;
    }
    return -1;
}

/* The thresholds in force, as JSON (stored with the run). */
static char *config_json(const struct kpi_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    const struct v6m_kpi_config *c = &o->cfg;
    fprintf(f,
            "{\"rounds\":%u,\"interval_ms\":%u,\"pings\":%u,\"tcp_tries\":%u,\"dns_tries\":%u,"
            "\"page\":%s,\"video\":%s,\"video_variant\":\"%s\",\"threshold\":%g,\"floor\":{",
            c->rounds, c->interval_ms, c->pings, c->tcp_tries, c->dns_tries,
            c->page ? "true" : "false", c->video ? "true" : "false",
            c->video_variant ? c->video_variant : "highest", c->th.threshold);
    bool first = true;
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        if (isnan(c->th.floor[m]))
            continue;
        fprintf(f, "%s\"%s\":%g", first ? "" : ",", v6m_kpi_metric_name(m), c->th.floor[m]);
        first = false;
    }
    fputs("},\"weight\":{", f);
    for (int m = 0; m < V6M_KPI_METRICS; m++)
        fprintf(f, "%s\"%s\":%g", m ? "," : "", v6m_kpi_metric_name(m), c->th.weight[m]);
    fputs("},\"min_samples\":{", f);
    for (int m = 0; m < V6M_KPI_METRICS; m++)
        fprintf(f, "%s\"%s\":%u", m ? "," : "", v6m_kpi_metric_name(m), c->th.min_samples[m]);
    fputs("}}", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

struct progress_state {
    bool on, shown;
};

static void on_progress(void *arg, const struct v6m_kpi_progress *p)
{
    struct progress_state *ps = arg;
    if (!ps->on)
        return;
    if (p->stage && !strcmp(p->stage, "self-check"))
        fprintf(stderr, "\rself-check: testing IPv6 and IPv4 from this machine...\033[K");
    else
        fprintf(stderr, "\rkpi: %zu/%zu targets done, %zu measuring, round %u, %.0f s\033[K",
                p->done, p->total, p->inflight, p->round, (double)p->elapsed_ns / 1e9);
    fflush(stderr);
    ps->shown = true;
}

static int add_site(void *arg, const char *name, const char *url, const char *category)
{
    v6m_kpi *k = arg;
    return v6m_kpi_add_target(k, url, NULL, name, category) == V6M_OK ? 0 : 1;
}

int cmd_kpi(int argc, char **argv)
{
    struct kpi_opts o;
    memset(&o, 0, sizeof o);
    o.format = V6M_FORMAT_TEXT;
    o.progress = -1;
    v6m_kpi_config_defaults(&o.cfg);
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    int nfiles = argc - optind;
    if (o.from_sites) {
        if (nfiles)
            return cli_usage("kpi", "--from-sites takes its targets from the database, not "
                                    "from a file");
        if (!o.db)
            return cli_usage("kpi", "--from-sites needs --db DB (the probe run's database)");
    } else if (nfiles != 1) {
        return cli_usage("kpi", nfiles ? "one target file only"
                                       : "no target file given ('-' for stdin, or "
                                         "--from-sites --db DB)");
    } else {
        o.list = argv[optind];
    }
    char err[512];
    if (o.thresholds && v6m_kpi_load_thresholds(&o.cfg, o.thresholds, err, sizeof err) != V6M_OK)
        return cli_usage("kpi", "--thresholds: %s", err);

    v6m_kpi *k = v6m_kpi_new(&o.cfg, err, sizeof err);
    if (!k) {
        cli_error("%s", err);
        return EXIT_ERROR;
    }
    v6m_store *store = NULL;
    if (o.db) {
        if (v6m_store_open(o.db, &store, err, sizeof err) != V6M_OK) {
            cli_error("%s", err);
            v6m_kpi_free(k);
            return EXIT_ERROR;
        }
    }
    int exit_code = EXIT_OK;
    if (o.from_sites) {
        int64_t used = 0;
        if (v6m_store_probe_targets(store, o.probe_run, add_site, k, &used) != V6M_OK) {
            cli_error("%s", v6m_store_errmsg(store));
            exit_code = EXIT_ERROR;
            goto done;
        }
        fprintf(stderr, "kpi: targets from probe run %lld in '%s'\n", (long long)used, o.db);
    } else {
        const char *path = strcmp(o.list, "-") == 0 ? "/dev/stdin" : o.list;
        if (v6m_kpi_load_targets(k, path) != V6M_OK) {
            cli_error("%s", v6m_kpi_errmsg(k));
            exit_code = EXIT_ERROR;
            goto done;
        }
    }

    FILE *out = stdout;
    if (o.output && strcmp(o.output, "-") != 0) {
        out = fopen(o.output, "w");
        if (!out) {
            cli_error("cannot open '%s' for writing: %s", o.output, strerror(errno));
            exit_code = EXIT_ERROR;
            goto done;
        }
    }
    struct progress_state ps = {
        .on = o.progress == 1 || (o.progress == -1 && isatty(STDERR_FILENO)),
    };
    struct v6m_kpi_hooks hooks = {.progress = on_progress, .arg = &ps};
    cli_install_signals();
    v6m_err e = v6m_kpi_run(k, &hooks, &cli_signalled);
    if (ps.shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    if (e != V6M_OK && e != V6M_ERR_INTERRUPTED) {
        cli_error("%s", v6m_kpi_errmsg(k));
        exit_code = EXIT_ERROR;
        if (out != stdout)
            fclose(out);
        goto done;
    }
    if (e == V6M_ERR_INTERRUPTED)
        cli_warning("%s", v6m_kpi_errmsg(k));
    v6m_err oe;
    if (o.format == V6M_FORMAT_JSON)
        oe = v6m_report_kpi_json(out, k, o.samples);
    else if (o.format == V6M_FORMAT_CSV)
        oe = v6m_report_kpi_csv(out, k);
    else
        oe = v6m_report_kpi_text(out, k);
    if (fflush(out) != 0 || oe != V6M_OK) {
        cli_error("cannot write the results: %s", strerror(errno));
        exit_code = EXIT_ERROR;
    }
    if (out != stdout)
        fclose(out);
    if (store) {
        char *cj = config_json(&o);
        int64_t run_id = 0;
        if (v6m_store_put_kpi(store, k, cj, &run_id) != V6M_OK) {
            cli_error("%s", v6m_store_errmsg(store));
            exit_code = EXIT_ERROR;
        } else {
            fprintf(stderr, "kpi: stored as kpi run %lld in '%s'\n", (long long)run_id, o.db);
        }
        free(cj);
    }
done:
    v6m_store_close(store);
    v6m_kpi_free(k);
    return exit_code;
}
