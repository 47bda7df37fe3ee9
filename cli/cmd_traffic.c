/*
 * cli/cmd_traffic.c - `v6mon traffic`: IPv4 vs IPv6 user traffic per
 * segment from capture files or a live interface (indicators I2, I3).
 *
 * Wiring only: source -> traffic pipeline -> renderer (+ store). The
 * counting rules live in the library (include/v6mon/traffic.h); the page
 * docs/commands/traffic.md is the help text.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <v6mon/parse.h>
#include <v6mon/report.h>
#include <v6mon/segments.h>
#include <v6mon/source.h>
#include <v6mon/store.h>
#include <v6mon/traffic.h>
#include <v6mon/version.h>

#include "cli.h"

#define MAX_WARNINGS 64

struct traffic_opts {
    enum v6m_format format;
    const char *output;
    const char *segments_path;
    const char *db;
    const char *vantage;
    const char *run_id;
    const char *live;
    const char *filter;
    uint64_t duration_ns;
    int progress; /* -1 auto, 0 off, 1 on */
    struct v6m_traffic_config cfg;
    const char *bindings_path;
    const char *apps_files[16];   /* --apps=FILE, in order */
    size_t n_apps_files;
    const char *table;            /* --table for CSV */
};

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return false;
    if (*end == 'k' || *end == 'K')
        v *= 1000ULL, end++;
    else if (*end == 'M')
        v *= 1000000ULL, end++;
    if (*end != '\0')
        return false;
    *out = (size_t)v;
    return true;
}

/* A positive duration (v6m_parse_duration accepts 0). */
static bool parse_dur(const char *s, uint64_t *ns)
{
    return v6m_parse_duration(s, ns) && *ns > 0;
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Read a whole (small) file for the run key; NULL on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
        if (n == cap) {
            char *nb = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static int parse_args(int argc, char **argv, struct traffic_opts *o)
{
    enum {
        OPT_BUCKET = 256, OPT_SEGMENTS, OPT_DB, OPT_VANTAGE, OPT_RUN_ID, OPT_LIVE,
        OPT_DURATION, OPT_FILTER, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_FLOWS_MAX,
        OPT_FLOW_IDLE, OPT_FLOW_ACTIVE, OPT_MAX_DEPTH, OPT_TEREDO, OPT_FRAG_MAX,
        OPT_FORMAT, OPT_NO_TEREDO, OPT_USERS, OPT_SUBSCRIBER, OPT_BINDINGS,
        OPT_USERS_EXACT, OPT_APPS, OPT_NO_DPI, OPT_TABLE, OPT_DNS_CACHE,
    };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"bucket", required_argument, NULL, OPT_BUCKET},
        {"segments", required_argument, NULL, OPT_SEGMENTS},
        {"db", required_argument, NULL, OPT_DB},
        {"vantage", required_argument, NULL, OPT_VANTAGE},
        {"run-id", required_argument, NULL, OPT_RUN_ID},
        {"live", required_argument, NULL, OPT_LIVE},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"filter", required_argument, NULL, OPT_FILTER},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"flows-max", required_argument, NULL, OPT_FLOWS_MAX},
        {"flow-idle", required_argument, NULL, OPT_FLOW_IDLE},
        {"flow-active", required_argument, NULL, OPT_FLOW_ACTIVE},
        {"max-depth", required_argument, NULL, OPT_MAX_DEPTH},
        {"fragments-max", required_argument, NULL, OPT_FRAG_MAX},
        {"teredo-heuristic", no_argument, NULL, OPT_TEREDO},
        {"no-teredo-heuristic", no_argument, NULL, OPT_NO_TEREDO},
        {"users", no_argument, NULL, OPT_USERS},
        {"subscriber", required_argument, NULL, OPT_SUBSCRIBER},
        {"bindings", required_argument, NULL, OPT_BINDINGS},
        {"users-exact", required_argument, NULL, OPT_USERS_EXACT},
        {"apps", optional_argument, NULL, OPT_APPS},
        {"no-dpi", no_argument, NULL, OPT_NO_DPI},
        {"table", required_argument, NULL, OPT_TABLE},
        {"dns-cache", required_argument, NULL, OPT_DNS_CACHE},
        {NULL, 0, NULL, 0},
    };
    int c;
    size_t sz;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+o:f:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
        case OPT_FORMAT:
            if (!v6m_format_parse(optarg, &o->format))
                return cli_usage("traffic", "--format: '%s' is not one of text, json, csv",
                                 optarg);
            break;
        case 'o': o->output = optarg; break;
        case OPT_BUCKET:
            if (!parse_dur(optarg, &o->cfg.bucket_ns) || o->cfg.bucket_ns < 1000000000ULL ||
                o->cfg.bucket_ns % 1000000000ULL != 0)
                return cli_usage("traffic", "--bucket: '%s' is not a whole number of seconds, "
                                 "at least 1 (e.g. 300, 5m, 1h)", optarg);
            break;
        case OPT_SEGMENTS: o->segments_path = optarg; break;
        case OPT_DB: o->db = optarg; break;
        case OPT_VANTAGE: o->vantage = optarg; break;
        case OPT_RUN_ID: o->run_id = optarg; break;
        case OPT_LIVE: o->live = optarg; break;
        case OPT_DURATION:
            if (!parse_dur(optarg, &o->duration_ns))
                return cli_usage("traffic", "--duration: '%s' is not a duration", optarg);
            break;
        case OPT_FILTER: o->filter = optarg; break;
        case OPT_PROGRESS: o->progress = 1; break;
        case OPT_NO_PROGRESS: o->progress = 0; break;
        case OPT_FLOWS_MAX:
            if (!parse_size(optarg, &sz) || sz < 16)
                return cli_usage("traffic", "--flows-max: '%s' is not a count >= 16", optarg);
            o->cfg.flow_max = sz;
            break;
        case OPT_FLOW_IDLE:
            if (!parse_dur(optarg, &o->cfg.flow_idle_ns))
                return cli_usage("traffic", "--flow-idle: '%s' is not a duration", optarg);
            break;
        case OPT_FLOW_ACTIVE:
            if (!parse_dur(optarg, &o->cfg.flow_active_ns))
                return cli_usage("traffic", "--flow-active: '%s' is not a duration", optarg);
            break;
        case OPT_MAX_DEPTH:
            if (!parse_size(optarg, &sz) || sz < 1 || sz > 64)
                return cli_usage("traffic", "--max-depth: '%s' is not a number 1..64", optarg);
            o->cfg.decoder.max_depth = (unsigned)sz;
            break;
        case OPT_FRAG_MAX:
            if (!parse_size(optarg, &sz) || sz < 16)
                return cli_usage("traffic", "--fragments-max: '%s' is not a count >= 16",
                                 optarg);
            o->cfg.decoder.frag_entries = sz;
            o->cfg.decoder.frag_held_max = sz;
            break;
        case OPT_TEREDO: o->cfg.decoder.teredo_heuristic = true; break;
        case OPT_NO_TEREDO: o->cfg.decoder.teredo_heuristic = false; break;
        case OPT_USERS: o->cfg.users = true; break;
        case OPT_SUBSCRIBER: {
            int m = v6m_subscriber_mode_parse(optarg);
            if (m < 0)
                return cli_usage("traffic", "--subscriber: '%s' is not one of auto, gtp, pppoe, "
                                 "mac, address, binding", optarg);
            o->cfg.subscriber_mode = (uint8_t)m;
            o->cfg.users = true;
            break;
        }
        case OPT_BINDINGS:
            o->bindings_path = optarg;
            o->cfg.subscriber_mode = V6M_SUB_BINDING;
            o->cfg.users = true;
            break;
        case OPT_USERS_EXACT:
            if (!parse_size(optarg, &sz))
                return cli_usage("traffic", "--users-exact: '%s' is not a count", optarg);
            o->cfg.users_exact_max = sz ? sz : 1; /* 0 would mean the default */
            o->cfg.users = true;
            break;
        case OPT_APPS:
            o->cfg.apps = true;
            if (optarg) {
                if (o->n_apps_files == sizeof(o->apps_files) / sizeof(o->apps_files[0]))
                    return cli_usage("traffic", "--apps=FILE: at most 16 files");
                o->apps_files[o->n_apps_files++] = optarg;
            }
            break;
        case OPT_NO_DPI: o->cfg.dpi = false; break;
        case OPT_TABLE:
            if (strcmp(optarg, "traffic") != 0 && strcmp(optarg, "users") != 0 &&
                strcmp(optarg, "apps") != 0 && strcmp(optarg, "names") != 0)
                return cli_usage("traffic", "--table: '%s' is not one of traffic, users, apps, "
                                 "names", optarg);
            o->table = optarg;
            break;
        case OPT_DNS_CACHE:
            if (!parse_size(optarg, &sz) || sz < 16)
                return cli_usage("traffic", "--dns-cache: '%s' is not a count >= 16", optarg);
            o->cfg.dns_cache_max = sz;
            break;
        case '?':
        default:
            if (optopt)
                return cli_usage("traffic", "unknown option or missing value: -%c", optopt);
            return cli_usage("traffic", "unknown option: %s", argv[optind - 1]);
        }
    }
    return -1;
}

int cmd_traffic(int argc, char **argv)
{
    struct traffic_opts o;
    memset(&o, 0, sizeof(o));
    o.format = V6M_FORMAT_TEXT;
    o.progress = -1;
    v6m_traffic_config_default(&o.cfg);
    o.cfg.dpi = true;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.table && o.format != V6M_FORMAT_CSV)
        return cli_usage("traffic", "--table only applies to --format csv");
    if (o.table && strcmp(o.table, "users") == 0 && !o.cfg.users)
        return cli_usage("traffic", "--table users needs --users");
    if (o.table && (strcmp(o.table, "apps") == 0 || strcmp(o.table, "names") == 0) &&
        !o.cfg.apps)
        return cli_usage("traffic", "--table %s needs --apps", o.table);
    if (o.cfg.subscriber_mode == V6M_SUB_BINDING && !o.bindings_path)
        return cli_usage("traffic", "--subscriber binding needs --bindings FILE");
    int nfiles = argc - optind;
    char **files = argv + optind;
    if (o.live && nfiles > 0)
        return cli_usage("traffic", "give capture files or --live IFACE, not both");
    if (!o.live && nfiles == 0)
        return cli_usage("traffic", "no input: give capture files ('-' for stdin) or --live IFACE");
    if (o.duration_ns && !o.live)
        return cli_usage("traffic", "--duration only applies to --live");
    if (o.filter && !o.live)
        return cli_usage("traffic", "--filter only applies to --live");

    /* Segments. */
    v6m_segments *segments = NULL;
    char errbuf[512];
    if (o.segments_path) {
        if (v6m_segments_load(o.segments_path, &segments, errbuf, sizeof(errbuf)) != V6M_OK) {
            cli_error("%s", errbuf);
            return EXIT_ERROR;
        }
    } else {
        segments = v6m_segments_new_default();
    }
    if (!segments)
        return cli_fatal("out of memory");

    /* Subscriber bindings and the app catalog (built-in, then --apps=FILE). */
    v6m_bindings *bindings = NULL;
    v6m_apps *catalog = NULL;
    if (o.bindings_path &&
        v6m_bindings_load(o.bindings_path, &bindings, errbuf, sizeof(errbuf)) != V6M_OK) {
        cli_error("%s", errbuf);
        v6m_segments_free(segments);
        return EXIT_ERROR;
    }
    if (o.cfg.apps) {
        catalog = v6m_apps_new();
        if (!catalog)
            return cli_fatal("out of memory");
        v6m_err ae = v6m_apps_load_builtin(catalog, errbuf, sizeof(errbuf));
        for (size_t i = 0; ae == V6M_OK && i < o.n_apps_files; i++)
            ae = v6m_apps_load_file(catalog, o.apps_files[i], errbuf, sizeof(errbuf));
        if (ae != V6M_OK) {
            cli_error("%s", errbuf);
            v6m_apps_free(catalog);
            v6m_bindings_free(bindings);
            v6m_segments_free(segments);
            return EXIT_ERROR;
        }
    }
    o.cfg.bindings = bindings;
    o.cfg.apps_catalog = catalog;

    /* Source. */
    v6m_source *src;
    if (o.live) {
        struct v6m_live_config lc = {.ifname = o.live, .snaplen = 262144, .promisc = true,
                                     .buffer_mb = 64, .bpf = o.filter};
        src = v6m_source_new_live(&lc);
    } else {
        src = v6m_source_new_files((const char *const *)files, (size_t)nfiles);
    }
    if (!src) {
        v6m_segments_free(segments);
        return cli_fatal("out of memory");
    }
    if (o.duration_ns)
        v6m_source_set_duration(src, o.duration_ns);
    if (v6m_source_start(src) != V6M_OK) {
        cli_error("%s", v6m_source_errmsg(src));
        v6m_source_free(src);
        v6m_segments_free(segments);
        return EXIT_ERROR;
    }

    FILE *out = stdout;
    if (o.output && strcmp(o.output, "-") != 0) {
        out = fopen(o.output, "w");
        if (!out) {
            cli_error("cannot open '%s' for writing: %s", o.output, strerror(errno));
            v6m_source_free(src);
            v6m_segments_free(segments);
            return EXIT_ERROR;
        }
    }

    v6m_traffic *t = NULL;
    if (v6m_traffic_open(&o.cfg, segments, &t, errbuf, sizeof(errbuf)) != V6M_OK) {
        cli_error("%s", errbuf);
        v6m_source_free(src);
        v6m_apps_free(catalog);
        v6m_bindings_free(bindings);
        v6m_segments_free(segments);
        return EXIT_ERROR;
    }

    cli_install_signals();
    v6m_source_watch_flag(src, &cli_signalled);
    struct cli_progress prog;
    cli_progress_init(&prog, o.live ? "capturing" : "reading", o.progress == 1);
    if (o.progress == 0)
        prog.enabled = false;

    uint64_t started_wall = wall_ns(), t0 = cli_now_ns();
    char *warnings[MAX_WARNINGS];
    size_t n_warnings = 0;
    bool interrupted = false, failed = false;
    uint64_t frames = 0;
    struct v6m_frame frame;
    /* Interface names never change once numbered: look one up only when
     * the interface changes (most captures have one). */
    const char *ifname = NULL;
    uint32_t ifname_index = UINT32_MAX;
    struct v6m_source_stats sst;
    for (;;) {
        if (cli_signalled && !interrupted) {
            interrupted = true;
            v6m_source_stop(src);
            if (!o.live)
                break;
        }
        v6m_err e = v6m_source_next(src, &frame);
        if (e == V6M_OK) {
            if (frame.ifindex != ifname_index) {
                ifname = v6m_source_ifname(src, frame.ifindex);
                ifname_index = frame.ifindex;
            }
            v6m_traffic_add_frame(t, &frame, ifname);
            if ((++frames & 0xffff) == 0 && prog.enabled) {
                v6m_source_get_stats(src, &sst);
                cli_progress_update(&prog, sst.bytes_read, sst.bytes_total, frames, "frames");
            }
            continue;
        }
        if (e == V6M_ERR_EOF)
            break;
        if (e == V6M_ERR_INTERRUPTED) {
            interrupted = interrupted || cli_signalled;
            break;
        }
        if (e == V6M_ERR_TRUNCATED || e == V6M_ERR_FORMAT) {
            /* One input is damaged; what was read of it counts, go on. */
            cli_progress_done(&prog);
            cli_warning("%s", v6m_source_errmsg(src));
            if (n_warnings < MAX_WARNINGS)
                warnings[n_warnings++] = strdup(v6m_source_errmsg(src));
            continue;
        }
        cli_progress_done(&prog);
        cli_error("%s", v6m_source_errmsg(src));
        failed = true;
        break;
    }
    cli_progress_done(&prog);
    v6m_traffic_finish(t);
    const struct v6m_traffic_result *res = v6m_traffic_result(t);
    v6m_source_get_stats(src, &sst);

    /* Inputs for the report and the run key. */
    size_t n_in = v6m_source_input_count(src);
    struct v6m_report_input *inputs = calloc(n_in ? n_in : 1, sizeof(*inputs));
    char(*hex)[33] = calloc(n_in ? n_in : 1, sizeof(*hex));
    uint8_t(*digests)[16] = calloc(n_in ? n_in : 1, sizeof(*digests));
    bool all_digests = !o.live;
    for (size_t i = 0; inputs && hex && digests && i < n_in; i++) {
        struct v6m_source_input_info info;
        v6m_source_input_info(src, i, &info);
        inputs[i].name = info.name;
        inputs[i].format = info.format;
        inputs[i].bytes = info.size;
        if (info.digest_valid) {
            memcpy(digests[i], info.digest, 16);
            memcpy(hex[i], info.digest_hex, sizeof(hex[i]));
            inputs[i].digest = hex[i];
        } else {
            all_digests = false;
        }
    }

    struct v6m_traffic_meta meta = {
        .tool_version = v6m_version(),
        .vantage = o.vantage,
        .inputs = inputs,
        .n_inputs = inputs ? n_in : 0,
        .interrupted = interrupted,
        .segments_file = o.segments_path,
        .frames_read = frames,
        .files_damaged = sst.files_damaged,
        .frames_oversized = sst.frames_oversized,
        .frames_short_wirelen = sst.frames_short_wirelen,
        .live_dropped = sst.live_dropped,
        .live_if_dropped = sst.live_if_dropped,
        .warnings = (const char *const *)warnings,
        .n_warnings = n_warnings,
        .users = v6m_traffic_users(t),
        .apps = v6m_traffic_apps(t),
        .csv_table = o.table,
    };

    int exit_code = failed ? EXIT_ERROR : EXIT_OK;
    char run_key[96];
    if (o.db && !failed) {
        if (o.run_id) {
            snprintf(run_key, sizeof(run_key), "%s", o.run_id);
        } else if (all_digests && !interrupted) {
            /* Options that change the numbers are part of the identity. */
            size_t seglen = 0;
            char *segtext = o.segments_path ? slurp(o.segments_path, &seglen) : NULL;
            size_t optlen = 64 + seglen;
            char *opt = malloc(optlen);
            if (!opt) {
                free(segtext);
                return cli_fatal("out of memory");
            }
            /* Users and apps options change what is stored too; the
             * contents of --bindings/--apps files are not hashed (their
             * paths are): give --run-id when they change under one name. */
            char ua[512] = "";
            if (o.cfg.users || o.cfg.apps) {
                int u = snprintf(ua, sizeof(ua), ";users=%d:%s:%s:%zu;apps=%d:%d",
                                 (int)o.cfg.users,
                                 v6m_subscriber_mode_name(o.cfg.subscriber_mode),
                                 o.bindings_path ? o.bindings_path : "",
                                 o.cfg.users_exact_max, (int)o.cfg.apps, (int)o.cfg.dpi);
                for (size_t i = 0; u > 0 && (size_t)u < sizeof(ua) && i < o.n_apps_files; i++)
                    u += snprintf(ua + u, sizeof(ua) - (size_t)u, ":%s", o.apps_files[i]);
            }
            optlen += strlen(ua);
            char *nopt = realloc(opt, optlen);
            if (!nopt) {
                free(opt);
                free(segtext);
                return cli_fatal("out of memory");
            }
            opt = nopt;
            int k = snprintf(opt, optlen, "bucket=%llu;depth=%u;teredo=%d%s;segments=",
                             (unsigned long long)o.cfg.bucket_ns, o.cfg.decoder.max_depth,
                             (int)o.cfg.decoder.teredo_heuristic, ua);
            if (segtext)
                memcpy(opt + k, segtext, seglen);
            v6m_traffic_run_key((const uint8_t(*)[16])digests, n_in, opt, (size_t)k + seglen,
                                run_key);
            free(opt);
            free(segtext);
        } else {
            /* Live or partial input: every run is its own. */
            snprintf(run_key, sizeof(run_key), "traffic-%s-%llu", o.live ? o.live : "partial",
                     (unsigned long long)started_wall);
        }
        v6m_store *store = NULL;
        if (v6m_store_open(o.db, &store, errbuf, sizeof(errbuf)) != V6M_OK) {
            cli_error("%s", errbuf);
            exit_code = EXIT_ERROR;
        } else {
            char inputs_text[1024] = "";
            size_t used = 0;
            for (size_t i = 0; i < meta.n_inputs && used < sizeof(inputs_text); i++) {
                int w = snprintf(inputs_text + used, sizeof(inputs_text) - used, "%s%s",
                                 i ? " " : "", inputs[i].name);
                if (w > 0)
                    used += (size_t)w;
            }
            char options[256];
            snprintf(options, sizeof(options),
                     "{\"bucket_seconds\":%llu,\"segments\":%s%s%s,\"max_depth\":%u,"
                     "\"interrupted\":%s}",
                     (unsigned long long)(o.cfg.bucket_ns / 1000000000ULL),
                     o.segments_path ? "\"" : "", o.segments_path ? o.segments_path : "null",
                     o.segments_path ? "\"" : "", o.cfg.decoder.max_depth,
                     interrupted ? "true" : "false");
            struct v6m_run_info run = {
                .kind = "traffic",
                .run_key = run_key,
                .inputs = inputs_text,
                .vantage = o.vantage ? o.vantage : "",
                .tool_version = v6m_version(),
                .options = options,
                .started_ns = started_wall,
                .finished_ns = wall_ns(),
            };
            int64_t run_id = 0;
            bool replaced = false;
            if (v6m_store_put_traffic_run(store, &run, t, &run_id, &replaced) != V6M_OK) {
                cli_error("%s", v6m_store_errmsg(store));
                exit_code = EXIT_ERROR;
            } else {
                meta.db = o.db;
                meta.run_id = run_id;
                meta.run_key = run_key;
                meta.run_replaced = replaced;
            }
            v6m_store_close(store);
        }
    }

    meta.elapsed_ns = cli_now_ns() - t0;
    if (v6m_report_traffic(out, o.format, res, &meta) != V6M_OK) {
        cli_error("cannot write the report to '%s'", o.output ? o.output : "stdout");
        exit_code = EXIT_ERROR;
    }
    if (out != stdout && fclose(out) != 0) {
        cli_error("cannot write '%s': %s", o.output, strerror(errno));
        exit_code = EXIT_ERROR;
    }
    if (interrupted)
        fprintf(stderr, "interrupted: reported what was read before the signal\n");

    for (size_t i = 0; i < n_warnings; i++)
        free(warnings[i]);
    free(inputs);
    free(hex);
    free(digests);
    v6m_traffic_free(t);
    v6m_source_free(src);
    v6m_apps_free(catalog);
    v6m_bindings_free(bindings);
    v6m_segments_free(segments);
    return exit_code;
}
