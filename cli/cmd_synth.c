/*
 * cli/cmd_synth.c - `v6mon synth`: write a synthetic capture with its truth
 * file, or the decoder conformance fixtures (docs/commands/synth.md).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <v6mon/synth.h>

#include "cli.h"

static bool parse_u64_suffix(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return false;
    double v = strtod(s, &end);
    if (errno || end == s)
        return false;
    double mul = 1;
    if (*end == 'k' || *end == 'K')
        mul = 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1e6, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1e9, end++;
    if (*end || !(v >= 0) || v * mul > 1.8e19 || v * mul != floor(v * mul))
        return false;
    *out = (uint64_t)(v * mul);
    return true;
}

static bool parse_fraction(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= 0 && v <= 1))
        return false;
    *out = v;
    return true;
}

/* "mobile=0.5,metro=0.4,other=0.1" (missing names are 0). */
static bool parse_mix(const char *s, double mix[3])
{
    char buf[256];
    if (strlen(s) >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%s", s);
    mix[0] = mix[1] = mix[2] = 0;
    char *p = buf;
    while (*p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(p, '=');
        if (!eq)
            return false;
        *eq = '\0';
        double v;
        char *end;
        errno = 0;
        v = strtod(eq + 1, &end);
        if (errno || end == eq + 1 || *end || !(v >= 0 && v <= 1e6))
            return false;
        if (strcmp(p, "mobile") == 0)
            mix[0] = v;
        else if (strcmp(p, "metro") == 0)
            mix[1] = v;
        else if (strcmp(p, "other") == 0)
            mix[2] = v;
        else
            return false;
        if (!comma)
            break;
        p = comma + 1;
    }
    return mix[0] + mix[1] + mix[2] > 0;
}

/* Epoch seconds (with optional fraction) or ISO 8601 UTC. */
static bool parse_time(const char *s, uint64_t *ns)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!errno && end != s && *end == '\0' && v >= 0 && v < 4e9) {
        *ns = (uint64_t)(v * 1e9 + 0.5);
        return true;
    }
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    char sep = 'T';
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
        return false;
    const char *rest = s + n;
    if (*rest == 'T' || *rest == ' ') {
        sep = *rest;
        int m = 0;
        if (sscanf(rest + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) != 3)
            return false;
        rest += 1 + m;
    }
    (void)sep;
    if (*rest == 'Z')
        rest++;
    if (*rest || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return false;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t < 0)
        return false;
    *ns = (uint64_t)t * 1000000000ULL;
    return true;
}

static bool parse_duration_s(const char *s, uint64_t *ns)
{
    /* Plain seconds may have a fraction; otherwise 5m, 1h, 250ms, ... */
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!errno && end != s && *end == '\0' && v > 0 && v < 1e8) {
        *ns = (uint64_t)(v * 1e9 + 0.5);
        return true;
    }
    return false;
}

/* "v4=0.2,v6=0.1,dual=0.7" (missing names are 0). */
static bool parse_user_mix(const char *s, double mix[3])
{
    char buf[256];
    if (strlen(s) >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%s", s);
    mix[0] = mix[1] = mix[2] = 0;
    char *p = buf;
    while (*p) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(p, '=');
        if (!eq)
            return false;
        *eq = '\0';
        double v;
        if (!parse_fraction(eq + 1, &v))
            return false;
        if (strcmp(p, "v4") == 0)
            mix[0] = v;
        else if (strcmp(p, "v6") == 0)
            mix[1] = v;
        else if (strcmp(p, "dual") == 0)
            mix[2] = v;
        else
            return false;
        if (!comma)
            break;
        p = comma + 1;
    }
    return mix[0] + mix[1] + mix[2] > 0;
}

static void on_progress(void *user, uint64_t done, uint64_t total)
{
    cli_progress_update(user, done, total, done, "pkts");
}

enum {
    OPT_SEED = 256, OPT_PACKETS, OPT_V6SHARE, OPT_MOBSHARE, OPT_METSHARE,
    OPT_MIX, OPT_START, OPT_DURATION, OPT_USERS, OPT_TRUTH, OPT_NOTRUTH,
    OPT_FIXTURES, OPT_PCAPNG, OPT_NS, OPT_SNAPLEN, OPT_PROGRESS, OPT_QUIET,
    OPT_USERMIX, OPT_INACTIVE, OPT_APPSHARE, OPT_DAYS,
};

static const struct option longopts[] = {
    {"seed", required_argument, 0, OPT_SEED},
    {"packets", required_argument, 0, OPT_PACKETS},
    {"ipv6-share", required_argument, 0, OPT_V6SHARE},
    {"mobile-share", required_argument, 0, OPT_MOBSHARE},
    {"metro-share", required_argument, 0, OPT_METSHARE},
    {"mix", required_argument, 0, OPT_MIX},
    {"start", required_argument, 0, OPT_START},
    {"duration", required_argument, 0, OPT_DURATION},
    {"users", required_argument, 0, OPT_USERS},
    {"user-mix", required_argument, 0, OPT_USERMIX},
    {"inactive-v6", required_argument, 0, OPT_INACTIVE},
    {"app-share", required_argument, 0, OPT_APPSHARE},
    {"days", required_argument, 0, OPT_DAYS},
    {"truth", required_argument, 0, OPT_TRUTH},
    {"no-truth", no_argument, 0, OPT_NOTRUTH},
    {"fixtures", required_argument, 0, OPT_FIXTURES},
    {"pcapng", no_argument, 0, OPT_PCAPNG},
    {"nanosecond", no_argument, 0, OPT_NS},
    {"snaplen", required_argument, 0, OPT_SNAPLEN},
    {"progress", no_argument, 0, OPT_PROGRESS},
    {"quiet", no_argument, 0, OPT_QUIET},
    {"output", required_argument, 0, 'o'},
    {0, 0, 0, 0},
};

int cmd_synth(int argc, char **argv)
{
    struct v6m_synth_config cfg;
    v6m_synth_config_default(&cfg);
    const char *out = NULL, *truth = NULL, *fixtures = NULL;
    bool no_truth = false, force_progress = false, quiet = false, duration_set = false;
    uint64_t v;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
        const char *a = optarg;
        switch (opt) {
        case 'o': out = a; break;
        case OPT_SEED:
            if (!parse_u64_suffix(a, &cfg.seed))
                return cli_usage("synth", "--seed: '%s' is not a number", a);
            break;
        case OPT_PACKETS:
            if (!parse_u64_suffix(a, &cfg.packets) || cfg.packets == 0)
                return cli_usage("synth", "--packets: '%s' is not a positive count (e.g. 100000, 10M)", a);
            break;
        case OPT_V6SHARE:
            if (!parse_fraction(a, &cfg.ipv6_share))
                return cli_usage("synth", "--ipv6-share: '%s' is not a fraction in 0..1", a);
            break;
        case OPT_MOBSHARE:
            if (!parse_fraction(a, &cfg.mobile_share))
                return cli_usage("synth", "--mobile-share: '%s' is not a fraction in 0..1", a);
            break;
        case OPT_METSHARE:
            if (!parse_fraction(a, &cfg.metro_share))
                return cli_usage("synth", "--metro-share: '%s' is not a fraction in 0..1", a);
            break;
        case OPT_MIX:
            if (!parse_mix(a, cfg.mix))
                return cli_usage("synth", "--mix: '%s' is not like mobile=0.5,metro=0.4,other=0.1", a);
            break;
        case OPT_START:
            if (!parse_time(a, &cfg.start_ns))
                return cli_usage("synth", "--start: '%s' is neither epoch seconds nor YYYY-MM-DDTHH:MM:SSZ", a);
            break;
        case OPT_DURATION:
            if (!parse_duration_s(a, &cfg.duration_ns))
                return cli_usage("synth", "--duration: '%s' is not a positive number of seconds", a);
            if (duration_set)
                return cli_usage("synth", "--days and --duration cannot be combined");
            duration_set = true;
            break;
        case OPT_USERS:
            if (!parse_u64_suffix(a, &v) || v < 2 || v > 10000000)
                return cli_usage("synth", "--users: '%s' is not in 2..10000000", a);
            cfg.users = (uint32_t)v;
            break;
        case OPT_USERMIX:
            if (!parse_user_mix(a, cfg.user_mix))
                return cli_usage("synth", "--user-mix: '%s' is not like v4=0.2,v6=0.1,dual=0.7", a);
            break;
        case OPT_INACTIVE:
            if (!parse_fraction(a, &cfg.inactive_v6))
                return cli_usage("synth", "--inactive-v6: '%s' is not a fraction in 0..1", a);
            break;
        case OPT_APPSHARE:
            if (!parse_fraction(a, &cfg.app_share))
                return cli_usage("synth", "--app-share: '%s' is not a fraction in 0..1", a);
            break;
        case OPT_DAYS:
            if (!parse_u64_suffix(a, &v) || v < 1 || v > 31)
                return cli_usage("synth", "--days: '%s' is not a whole number of days in 1..31", a);
            cfg.duration_ns = v * 86400ULL * 1000000000ULL;
            if (duration_set)
                return cli_usage("synth", "--days and --duration cannot be combined");
            duration_set = true;
            break;
        case OPT_TRUTH: truth = a; break;
        case OPT_NOTRUTH: no_truth = true; break;
        case OPT_FIXTURES: fixtures = a; break;
        case OPT_PCAPNG: cfg.pcapng = true; break;
        case OPT_NS: cfg.nanosecond = true; break;
        case OPT_SNAPLEN:
            if (!parse_u64_suffix(a, &v) || (v && v < 256) || v > 262144)
                return cli_usage("synth", "--snaplen: '%s' must be 0 or 256..262144", a);
            cfg.snaplen = (uint32_t)v;
            break;
        case OPT_PROGRESS: force_progress = true; break;
        case OPT_QUIET: quiet = true; break;
        case ':':
            return cli_usage("synth", "option %s needs a value", argv[optind - 1]);
        default:
            return cli_usage("synth", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("synth", "unexpected argument '%s' (use -o FILE)", argv[optind]);

    if (fixtures) {
        if (out)
            return cli_usage("synth", "--fixtures and -o cannot be combined");
        char err[512];
        size_t n = 0;
        if (v6m_synth_fixtures(fixtures, &n, err, sizeof(err)) != V6M_OK) {
            cli_error("%s", err);
            return EXIT_ERROR;
        }
        if (!quiet)
            printf("wrote %zu fixture captures to %s\n", n, fixtures);
        return EXIT_OK;
    }
    if (!out)
        return cli_usage("synth", "no output: give -o FILE (or -o - for stdout)");
    bool to_stdout = strcmp(out, "-") == 0;
    char truth_buf[4096];
    if (!truth && !no_truth) {
        if (to_stdout) {
            cli_warning("writing to stdout: no truth file unless --truth FILE is given");
        } else {
            if ((size_t)snprintf(truth_buf, sizeof(truth_buf), "%s.truth.json", out) >=
                sizeof(truth_buf))
                return cli_usage("synth", "output path too long");
            truth = truth_buf;
        }
    }
    if (no_truth)
        truth = NULL;

    struct cli_progress prog;
    cli_progress_init(&prog, "synth", force_progress);
    if (prog.enabled) {
        cfg.progress = on_progress;
        cfg.progress_user = &prog;
    }
    v6m_synth *s = NULL;
    v6m_err err = v6m_synth_new(&cfg, &s);
    if (err) {
        int rc;
        if (err == V6M_ERR_INVALID_ARG) {
            rc = cli_usage("synth", "%s", v6m_synth_errmsg(s));
        } else {
            cli_error("%s", s ? v6m_synth_errmsg(s) : "out of memory");
            rc = EXIT_ERROR;
        }
        v6m_synth_free(s);
        return rc;
    }
    uint64_t t0 = cli_now_ns();
    err = v6m_synth_run(s, out, truth);
    uint64_t t1 = cli_now_ns();
    cli_progress_done(&prog);
    if (err) {
        cli_error("%s", v6m_synth_errmsg(s));
        v6m_synth_free(s);
        return EXIT_ERROR;
    }
    const struct v6m_synth_truth *t = v6m_synth_truth(s);
    if (!quiet) {
        FILE *msg = to_stdout ? stderr : stdout;
        double secs = (double)(t1 - t0) / 1e9;
        fprintf(msg, "wrote %llu packets, %llu wire bytes to %s in %.2f s (%.0f packets/s)\n",
                (unsigned long long)t->packets, (unsigned long long)t->wire_bytes,
                out, secs, secs > 0 ? (double)t->packets / secs : 0.0);
        for (unsigned g = 0; g < V6M_SYNTH_SEGMENTS; g++) {
            uint64_t b4 = t->seg[g][V6M_FAMILY_IPV4].bytes, b6 = t->seg[g][V6M_FAMILY_IPV6].bytes;
            fprintf(msg, "  %-6s %10llu packets  IPv6 share of bytes %s%.1f%%\n",
                    v6m_synth_segment_name(g),
                    (unsigned long long)(t->seg[g][0].packets + t->seg[g][1].packets +
                                         t->seg[g][2].packets),
                    b4 + b6 ? "" : "n/a ", b4 + b6 ? 100.0 * (double)b6 / (double)(b4 + b6) : 0.0);
        }
        if (t->n_windows) {
            const struct v6m_synth_user_counts *u = &t->windows[0].all;
            fprintf(msg, "  users  %10llu seen, %llu active, %llu IPv6-active (I1 %s%.1f%%)\n",
                    (unsigned long long)u->seen, (unsigned long long)u->active,
                    (unsigned long long)u->ipv6_active, u->active ? "" : "n/a ",
                    u->active ? 100.0 * (double)u->ipv6_active / (double)u->active : 0.0);
        }
        uint64_t named = 0, all = 0;
        for (size_t i = 0; i < t->n_names; i++)
            named += t->names[i].fam[V6M_FAMILY_IPV4].flows + t->names[i].fam[V6M_FAMILY_IPV6].flows;
        all = t->totals[V6M_FAMILY_IPV4].flows + t->totals[V6M_FAMILY_IPV6].flows;
        fprintf(msg, "  names  %10zu names on %llu of %llu flows\n", t->n_names,
                (unsigned long long)named, (unsigned long long)all);
        if (truth)
            fprintf(msg, "truth: %s\n", truth);
    }
    v6m_synth_free(s);
    return EXIT_OK;
}
