/*
 * probe/kpi_judge.c - the pure half of `v6mon kpi`: metric names and
 * units, the default thresholds of ../shared/MISSION.md and their config
 * file, quantiles, the per-metric verdict and the Happy Eyeballs model.
 * No I/O except reading the thresholds file; everything else is
 * deterministic and unit-tested (tests/unit/test_kpi.c).
 *
 * The verdict (docs/kpi.md): every metric is first turned into a "lower
 * is better" quantity x: times and loss as they are, success rates as
 * failure rates (1 - success), so that "5% vs 10% of connects fail" is a
 * 100% degradation and not the 5% a ratio of success rates would show.
 * Then
 *     both x4 and x6 <= floor           -> converged ("both within the floor")
 *     D = (x6 - x4) / x4 <= threshold   -> converged
 *     otherwise                         -> degraded
 * with x4 == 0: equal (both 0) is converged with D = 0, else degraded with
 * no D (a ratio over zero is not a number a reader can use). The bitrate,
 * where higher is better and there is no failure form, uses
 * D = (v4 - v6) / v4. Fewer samples than min_samples for either family:
 * insufficient, no D.
 *
 * Quantiles are nearest-rank (the smallest value with at least q*n values
 * at or below it): p95 of 20 samples is the 19th, of 10 samples the 10th.
 * Nearest rank never invents a value between two measurements.
 *
 * Happy Eyeballs (RFC 8305, sections 3 and 5) in one round, from measured
 * times: the AAAA and A queries leave together; if the AAAA answer
 * arrives first, or at most Resolution Delay (50 ms) after the A answer,
 * the IPv6 attempt starts at its arrival and IPv4 Connection Attempt
 * Delay (250 ms) later; otherwise IPv4 starts at A + 50 ms and IPv6 when
 * its answer arrives, but not before IPv4's start + 250 ms. Each attempt
 * then takes the measured handshake time of its family; the first to
 * complete wins. One address per family is modelled (the prober connects
 * to one of each).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/kpi.h>

#include "util/strutil.h"

struct metric_desc {
    const char *name;
    const char *unit;
    bool success;        /* a success rate: judged on 1 - value */
    bool higher_better;  /* judged on (v4 - v6) / v4 */
    double floor;        /* NAN: none */
    double weight;
    unsigned min_samples;
};

/* One table drives the names, units, the JSON keys, the SQL rows and the
 * defaults (MISSION.md: loss 1%, RTT 30 ms, DNS 50 ms, page 1 s, stall 1%;
 * the other floors are ours and docs/kpi.md gives the reasons). */
static const struct metric_desc metrics[V6M_KPI_METRICS] = {
    [V6M_KPI_LOSS] = {"loss", "fraction", false, false, 0.01, 1.0, 10},
    [V6M_KPI_ICMP_RTT_MEDIAN] = {"icmp_rtt_median", "ms", false, false, 30, 1.0, 3},
    [V6M_KPI_ICMP_RTT_P95] = {"icmp_rtt_p95", "ms", false, false, 30, 0.5, 10},
    [V6M_KPI_TCP_SUCCESS] = {"tcp_success", "fraction", true, false, 0.01, 1.0, 3},
    [V6M_KPI_TCP_RTT_MEDIAN] = {"tcp_rtt_median", "ms", false, false, 30, 1.0, 3},
    [V6M_KPI_TCP_RTT_P95] = {"tcp_rtt_p95", "ms", false, false, 30, 0.5, 10},
    [V6M_KPI_DNS_TIME_MEDIAN] = {"dns_time_median", "ms", false, false, 50, 1.0, 3},
    [V6M_KPI_DNS_SUCCESS] = {"dns_success", "fraction", true, false, 0.01, 1.0, 3},
    [V6M_KPI_DNS_TRANSPORT_MEDIAN] = {"dns_transport_median", "ms", false, false, 50, 0.5, 3},
    [V6M_KPI_TTFB_MEDIAN] = {"ttfb_median", "ms", false, false, 300, 1.0, 2},
    [V6M_KPI_PAGE_LOAD_MEDIAN] = {"page_load_median", "ms", false, false, 1000, 1.0, 2},
    [V6M_KPI_PAGE_LOAD_P95] = {"page_load_p95", "ms", false, false, 1000, 0.5, 5},
    [V6M_KPI_VIDEO_STARTUP] = {"video_startup", "ms", false, false, 1000, 0.5, 1},
    [V6M_KPI_VIDEO_STALL_RATIO] = {"video_stall_ratio", "fraction", false, false, 0.01, 1.0, 1},
    [V6M_KPI_VIDEO_STALLS] = {"video_stalls", "count", false, false, NAN, 0.5, 1},
    [V6M_KPI_VIDEO_BITRATE] = {"video_bitrate", "bit/s", false, true, NAN, 0.5, 1},
};

const char *v6m_kpi_metric_name(enum v6m_kpi_metric m)
{
    return (unsigned)m < V6M_KPI_METRICS ? metrics[m].name : "?";
}

const char *v6m_kpi_metric_unit(enum v6m_kpi_metric m)
{
    return (unsigned)m < V6M_KPI_METRICS ? metrics[m].unit : "?";
}

bool v6m_kpi_metric_higher_better(enum v6m_kpi_metric m)
{
    return (unsigned)m < V6M_KPI_METRICS && (metrics[m].higher_better || metrics[m].success);
}

int v6m_kpi_metric_from_name(const char *name)
{
    for (int i = 0; i < V6M_KPI_METRICS; i++)
        if (strcmp(metrics[i].name, name) == 0)
            return i;
    return -1;
}

const char *v6m_kpi_verdict_name(enum v6m_kpi_verdict v)
{
    switch (v) {
    case V6M_KPI_CONVERGED: return "converged";
    case V6M_KPI_DEGRADED: return "degraded";
    case V6M_KPI_INSUFFICIENT: return "insufficient";
    }
    return "?";
}

const char *v6m_kpi_target_verdict_name(int v)
{
    static const char *const n[] = {"converged", "degraded", "insufficient",
                                    "v6_unreachable", "no_aaaa", "not_testable"};
    return v >= 0 && v < (int)(sizeof n / sizeof n[0]) ? n[v] : "?";
}

const char *v6m_kpi_sample_kind_name(enum v6m_kpi_sample_kind k)
{
    static const char *const n[V6M_KS__COUNT] = {
        "icmp", "tcp", "dns", "dns_transport", "ttfb", "page_load", "video_startup",
        "video_stall_ratio"};
    return (unsigned)k < V6M_KS__COUNT ? n[k] : "?";
}

void v6m_kpi_config_defaults(struct v6m_kpi_config *c)
{
    memset(c, 0, sizeof *c);
    c->rounds = 5;
    c->interval_ms = 5000;
    c->pings = 10;
    c->ping_spacing_ms = 50;
    c->ping_timeout_ms = 1000;
    c->icmp_mode = V6M_KPI_ICMP_AUTO;
    c->tcp_tries = 3;
    c->tcp_timeout_ms = 3000;
    c->dns_tries = 3;
    c->dns_timeout_ms = 2000;
    c->page = true;
    c->page_timeout_ms = 20000;
    c->connect_timeout_ms = 5000;
    c->per_host = 6;
    c->resources_cap = 100;
    c->video = true;
    c->video_startup_s = 2.0;
    c->video_resume_s = 2.0;
    c->video_segments = 10;
    c->video_variant = "highest";
    c->max_parallel = 8;
    c->he_resolution_delay_ms = 50;
    c->he_attempt_delay_ms = 250;
    c->self_check = true;
    c->th.threshold = 0.20;
    for (int i = 0; i < V6M_KPI_METRICS; i++) {
        c->th.floor[i] = metrics[i].floor;
        c->th.weight[i] = metrics[i].weight;
        c->th.min_samples[i] = metrics[i].min_samples;
    }
}

/* ---- thresholds file ---- */

/* Group names that set several metrics at once ("floor.rtt = 40"). */
static int metric_group(const char *name, int out[8])
{
    static const struct {
        const char *name;
        int m[4];
        int n;
    } groups[] = {
        {"rtt", {V6M_KPI_ICMP_RTT_MEDIAN, V6M_KPI_ICMP_RTT_P95, V6M_KPI_TCP_RTT_MEDIAN,
                 V6M_KPI_TCP_RTT_P95}, 4},
        {"dns", {V6M_KPI_DNS_TIME_MEDIAN, V6M_KPI_DNS_TRANSPORT_MEDIAN}, 2},
        {"page", {V6M_KPI_PAGE_LOAD_MEDIAN, V6M_KPI_PAGE_LOAD_P95}, 2},
        {"stall", {V6M_KPI_VIDEO_STALL_RATIO}, 1},
    };
    int m = v6m_kpi_metric_from_name(name);
    if (m >= 0) {
        out[0] = m;
        return 1;
    }
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        if (strcmp(groups[g].name, name) == 0) {
            for (int i = 0; i < groups[g].n; i++)
                out[i] = groups[g].m[i];
            return groups[g].n;
        }
    }
    return 0;
}

static char *trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

v6m_err v6m_kpi_load_thresholds(struct v6m_kpi_config *cfg, const char *path, char *err,
                                size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return V6M_ERR_IO;
    }
    struct v6m_kpi_thresholds th = cfg->th;
    char line[512];
    unsigned lineno = 0;
    v6m_err rc = V6M_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line too long", path, lineno);
            rc = V6M_ERR_CONFIG;
            break;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = trim(line);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
            rc = V6M_ERR_CONFIG;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        char *end = NULL;
        errno = 0;
        double v = strtod(val, &end);
        if (!*val || *end || errno || !isfinite(v) || v < 0) {
            snprintf(err, errlen, "%s:%u: '%s' is not a non-negative number", path, lineno, val);
            rc = V6M_ERR_CONFIG;
            break;
        }
        if (strcmp(key, "threshold") == 0) {
            th.threshold = v;
            continue;
        }
        char *dot = strchr(key, '.');
        int ms[8];
        int n = dot ? metric_group(dot + 1, ms) : 0;
        if (dot)
            *dot = '\0';
        bool ok = n > 0;
        for (int i = 0; ok && i < n; i++) {
            if (strcmp(key, "floor") == 0)
                th.floor[ms[i]] = v;
            else if (strcmp(key, "weight") == 0)
                th.weight[ms[i]] = v;
            else if (strcmp(key, "min_samples") == 0 && v >= 1 && v <= 1e6 && v == floor(v))
                th.min_samples[ms[i]] = (unsigned)v;
            else
                ok = false;
        }
        if (!ok) {
            if (dot)
                *dot = '.';
            snprintf(err, errlen,
                     "%s:%u: unknown key '%s' (threshold, floor.METRIC, weight.METRIC, "
                     "min_samples.METRIC; docs/kpi.md lists the metrics)",
                     path, lineno, key);
            rc = V6M_ERR_CONFIG;
            break;
        }
    }
    if (rc == V6M_OK && ferror(f)) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        rc = V6M_ERR_IO;
    }
    fclose(f);
    if (rc == V6M_OK)
        cfg->th = th;
    return rc;
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

double v6m_kpi_quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    if (q == 0.5 && n % 2 == 0)
        return (v[n / 2 - 1] + v[n / 2]) / 2; /* the usual median of an even count */
    size_t rank = (size_t)ceil(q * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

static void fmt_value(enum v6m_kpi_metric m, double v, char *buf, size_t len)
{
    const char *u = metrics[m].unit;
    if (strcmp(u, "ms") == 0)
        snprintf(buf, len, "%.1f ms", v);
    else if (strcmp(u, "fraction") == 0)
        snprintf(buf, len, "%.1f%%", v * 100);
    else if (strcmp(u, "bit/s") == 0)
        snprintf(buf, len, "%.0f kbit/s", v / 1000);
    else
        snprintf(buf, len, "%.2f", v);
}

void v6m_kpi_judge(enum v6m_kpi_metric m, const struct v6m_kpi_thresholds *th,
                   struct v6m_kpi_value *v, char *why, size_t why_len)
{
    const struct metric_desc *d = &metrics[m];
    unsigned need = th->min_samples[m] ? th->min_samples[m] : 1;
    v->d = NAN;
    v->why = why;
    if (v->n4 < need || v->n6 < need || isnan(v->v4) || isnan(v->v6)) {
        v->verdict = V6M_KPI_INSUFFICIENT;
        snprintf(why, why_len, "insufficient data (IPv4 n=%u, IPv6 n=%u, need %u each)", v->n4,
                 v->n6, need);
        return;
    }
    double x4 = v->v4, x6 = v->v6;
    if (d->success) {
        x4 = 1 - v->v4;
        x6 = 1 - v->v6;
    }
    char a[48], b[48];
    if (d->higher_better) {
        if (v->v4 > 0)
            v->d = (v->v4 - v->v6) / v->v4;
        else
            v->d = v->v6 >= v->v4 ? 0 : NAN;
    } else if (x4 > 0) {
        v->d = (x6 - x4) / x4;
    } else {
        v->d = x6 <= 0 ? 0 : NAN;
    }
    double fl = th->floor[m];
    if (!d->higher_better && !isnan(fl) && x4 <= fl && x6 <= fl) {
        v->verdict = V6M_KPI_CONVERGED;
        fmt_value(m, d->success ? 1 - fl : fl, a, sizeof a);
        snprintf(why, why_len, d->success ? "both at or above %s" : "both within the %s floor",
                 a);
        return;
    }
    if (!isnan(v->d) && v->d <= th->threshold) {
        v->verdict = V6M_KPI_CONVERGED;
        if (v->d <= 0)
            snprintf(why, why_len, "IPv6 as good as or better than IPv4");
        else
            snprintf(why, why_len, "IPv6 %.0f%% worse, within the %.0f%% threshold", v->d * 100,
                     th->threshold * 100);
        return;
    }
    v->verdict = V6M_KPI_DEGRADED;
    fmt_value(m, v->v4, a, sizeof a);
    fmt_value(m, v->v6, b, sizeof b);
    if (isnan(v->d))
        snprintf(why, why_len, "IPv6 %s against IPv4 %s", b, a);
    else
        snprintf(why, why_len, "IPv6 %.0f%% worse (%s against %s)", v->d * 100, b, a);
}

int v6m_kpi_happy_eyeballs(double aaaa_ms, double a_ms, double conn6_ms, double conn4_ms,
                           double resolution_delay_ms, double attempt_delay_ms)
{
    bool have6 = !isnan(aaaa_ms), have4 = !isnan(a_ms);
    if (!have6 && !have4)
        return 0;
    double s6 = NAN, s4 = NAN;
    if (have6 && (!have4 || aaaa_ms <= a_ms + resolution_delay_ms)) {
        s6 = aaaa_ms;
        if (have4)
            s4 = fmax(a_ms, s6 + attempt_delay_ms);
    } else {
        /* No usable AAAA (a negative answer ends the wait): IPv4 at once;
         * a late AAAA: IPv4 after the Resolution Delay, IPv6 when its
         * answer arrives but not before the Connection Attempt Delay. */
        s4 = have6 ? a_ms + resolution_delay_ms : a_ms;
        if (have6)
            s6 = fmax(aaaa_ms, s4 + attempt_delay_ms);
    }
    double c6 = (!isnan(s6) && !isnan(conn6_ms)) ? s6 + conn6_ms : INFINITY;
    double c4 = (!isnan(s4) && !isnan(conn4_ms)) ? s4 + conn4_ms : INFINITY;
    if (isinf(c6) && isinf(c4))
        return 0;
    return c6 <= c4 ? 6 : 4;
}
