/*
 * report/usersapps.c - users (I1) and apps (I6, I7) in the traffic report:
 * JSON objects, terminal tables and CSV tables (see usersapps.h; the JSON
 * schema is in docs/traffic-json.md).
 *
 * Shares are ratios of sums (never means of ratios) and are null / blank /
 * "-" when the denominator is 0: no data is not 0%.
 */
#include "report/usersapps.h"

#include "report/textfmt.h"
#include "util/strutil.h"

#include <string.h>
#include <time.h>

#define I1_TARGET 0.70
#define I7_TARGET 0.70
#define TEXT_APPS_MAX 25
#define TEXT_DAYS_MAX 14

/* Shared infrastructure of a company ("Tencent (shared)", category infra)
 * is listed like an app but is not one of the apps I6 counts. */
static bool is_infra(const struct v6m_app_stats *app)
{
    return app->category && strcmp(app->category, "infra") == 0;
}

static double ratio(uint64_t num, uint64_t den)
{
    return den ? (double)num / (double)den : -1.0;
}

static void json_ratio(struct json_writer *w, const char *key, double r)
{
    json_key(w, key);
    if (r < 0)
        json_null(w);
    else
        json_double(w, r, 6);
}

/* ---- users ---------------------------------------------------------------- */

static void json_user_counts(struct json_writer *w, const struct v6m_user_counts *c)
{
    json_begin_object(w);
    json_key(w, "seen");
    json_u64(w, c->seen);
    json_key(w, "active");
    json_u64(w, c->active);
    json_key(w, "ipv6_active");
    json_u64(w, c->ipv6_active);
    json_key(w, "holding_ipv6");
    json_u64(w, c->holding_ipv6);
    json_key(w, "dual");
    json_u64(w, c->dual);
    json_key(w, "ipv4_only");
    json_u64(w, c->ipv4_only);
    json_key(w, "ipv6_only");
    json_u64(w, c->ipv6_only);
    json_ratio(w, "ipv6_active_share", ratio(c->ipv6_active, c->active));
    json_key(w, "exact");
    json_bool(w, c->exact);
    json_end_object(w);
}

void report_users_json(struct json_writer *w, const struct v6m_users_result *u,
                       const char *const *segment_names)
{
    char a[16], b[16];
    json_key(w, "users");
    json_begin_object(w);
    json_key(w, "mode");
    json_string(w, v6m_subscriber_mode_name(u->mode));
    json_key(w, "families_apart");
    json_bool(w, u->families_apart);
    json_key(w, "exact_max");
    json_u64(w, u->exact_max);
    json_key(w, "indicator");
    json_string(w, "I1");
    json_key(w, "target");
    json_double(w, I1_TARGET, 3);
    json_key(w, "windows");
    json_begin_array(w);
    for (size_t i = 0; i < u->n_windows; i++) {
        const struct v6m_users_window *win = &u->windows[i];
        json_begin_object(w);
        json_key(w, "window");
        json_string(w, v6m_window_kind_name(win->kind));
        json_key(w, "start");
        if (win->end_s > win->start_s)
            json_string(w, util_format_day(win->start_s, a, sizeof(a)));
        else
            json_null(w);
        json_key(w, "end");
        if (win->end_s > win->start_s)
            json_string(w, util_format_day(win->end_s - 86400, b, sizeof(b)));
        else
            json_null(w);
        json_key(w, "segments");
        json_begin_object(w);
        json_key(w, "all");
        json_user_counts(w, &win->counts[u->n_segments]);
        for (size_t s = 0; s < u->n_segments; s++) {
            json_key(w, segment_names[s]);
            json_user_counts(w, &win->counts[s]);
        }
        json_end_object(w);
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "attribution");
    json_begin_object(w);
    json_key(w, "flows_with_subscriber");
    json_u64(w, u->flows_attributed);
    json_key(w, "flows_without_subscriber");
    json_u64(w, u->flows_unattributed);
    json_key(w, "packets_with_subscriber");
    json_u64(w, u->packets_attributed);
    json_key(w, "packets_without_subscriber");
    json_u64(w, u->packets_unattributed);
    json_key(w, "gtp_downlink_unmatched");
    json_u64(w, u->gtp_downlink_unmatched);
    json_key(w, "ue_map_full");
    json_u64(w, u->ue_map_full);
    json_key(w, "days_overflow");
    json_u64(w, u->days_overflow);
    json_end_object(w);
    json_end_object(w);
}

static void text_user_row(FILE *out, const char *win, const char *seg,
                          const struct v6m_user_counts *c)
{
    char p[16];
    report_pct(ratio(c->ipv6_active, c->active), p, sizeof(p));
    fprintf(out, "%-23s %-8s %9llu %9llu %7s %9llu %8llu %8llu %8llu%s\n", win, seg,
            (unsigned long long)c->active, (unsigned long long)c->ipv6_active, p,
            (unsigned long long)c->holding_ipv6, (unsigned long long)c->dual,
            (unsigned long long)c->ipv4_only, (unsigned long long)c->ipv6_only,
            c->exact ? "" : "  ~");
}

void report_users_text(FILE *out, const struct v6m_users_result *u,
                       const char *const *segment_names)
{
    char a[16], b[16], label[40];
    fprintf(out, "\nIPv6 active users (I1, target 70%%), subscriber = %s%s\n",
            v6m_subscriber_mode_name(u->mode),
            u->families_apart ? " (IPv4 /32 and IPv6 /64 counted apart: dual-stack "
                                "users cannot be joined, so dual is 0)"
                              : "");
    fprintf(out, "%-23s %-8s %9s %9s %7s %9s %8s %8s %8s\n", "window", "segment", "active",
            "v6 active", "I1", "hold v6", "dual", "v4 only", "v6 only");
    size_t ndays = 0;
    for (size_t i = 0; i < u->n_windows; i++)
        ndays += u->windows[i].kind == V6M_WINDOW_DAY;
    bool inexact = false;
    for (size_t i = 0; i < u->n_windows; i++) {
        const struct v6m_users_window *win = &u->windows[i];
        if (win->kind == V6M_WINDOW_DAY && ndays > TEXT_DAYS_MAX)
            continue;
        /* One day of traffic: every window holds the same subscribers. */
        if (ndays == 1 && win->kind != V6M_WINDOW_ALL)
            continue;
        if (win->end_s <= win->start_s)
            snprintf(label, sizeof(label), "%s", v6m_window_kind_name(win->kind));
        else if (win->kind == V6M_WINDOW_DAY)
            snprintf(label, sizeof(label), "day %s", util_format_day(win->start_s, a, sizeof(a)));
        else if (win->kind == V6M_WINDOW_MONTH)
            snprintf(label, sizeof(label), "month %.7s", util_format_day(win->start_s, a, sizeof(a)));
        else
            snprintf(label, sizeof(label), "%s %s..%s", v6m_window_kind_name(win->kind),
                     util_format_day(win->start_s, a, sizeof(a)) + 5,
                     util_format_day(win->end_s - 86400, b, sizeof(b)) + 5);
        text_user_row(out, label, "all", &win->counts[u->n_segments]);
        inexact = inexact || !win->counts[u->n_segments].exact;
        for (size_t s = 0; s < u->n_segments; s++) {
            const struct v6m_user_counts *c = &win->counts[s];
            if (!c->seen)
                continue;
            text_user_row(out, "", segment_names[s], c);
            inexact = inexact || !c->exact;
        }
    }
    if (ndays > TEXT_DAYS_MAX)
        fprintf(out, "(%zu day windows: see --format json or csv)\n", ndays);
    if (ndays == 1)
        fprintf(out, "(one UTC day of traffic: its day, month and 30-day windows equal 'all')\n");
    if (inexact)
        fprintf(out, "~ HyperLogLog estimate (more than %llu users): standard error 0.8%%\n",
                (unsigned long long)u->exact_max);
    if (u->flows_unattributed)
        fprintf(out, "flows without a subscriber: %llu of %llu (no GTP-U/PPPoE identity or "
                     "direction)\n",
                (unsigned long long)u->flows_unattributed,
                (unsigned long long)(u->flows_unattributed + u->flows_attributed));
    if (u->gtp_downlink_unmatched)
        fprintf(out, "GTP-U flows first seen downlink without a known bearer: %llu\n",
                (unsigned long long)u->gtp_downlink_unmatched);
}

void report_users_csv(FILE *out, const struct v6m_users_result *u,
                      const char *const *segment_names)
{
    char a[16], b[16];
    fputs("window,start,end,segment,seen,active,ipv6_active,holding_ipv6,dual,ipv4_only,"
          "ipv6_only,ipv6_active_share,exact\n",
          out);
    for (size_t i = 0; i < u->n_windows; i++) {
        const struct v6m_users_window *win = &u->windows[i];
        bool has = win->end_s > win->start_s;
        for (size_t k = 0; k <= u->n_segments; k++) {
            /* "all" first, as in the JSON. */
            size_t s = k == 0 ? u->n_segments : k - 1;
            const struct v6m_user_counts *c = &win->counts[s];
            double r = ratio(c->ipv6_active, c->active);
            fprintf(out, "%s,%s,%s,%s,%llu,%llu,%llu,%llu,%llu,%llu,%llu,",
                    v6m_window_kind_name(win->kind), has ? util_format_day(win->start_s, a, sizeof(a)) : "",
                    has ? util_format_day(win->end_s - 86400, b, sizeof(b)) : "",
                    s == u->n_segments ? "all" : segment_names[s], (unsigned long long)c->seen,
                    (unsigned long long)c->active, (unsigned long long)c->ipv6_active,
                    (unsigned long long)c->holding_ipv6, (unsigned long long)c->dual,
                    (unsigned long long)c->ipv4_only, (unsigned long long)c->ipv6_only);
            if (r >= 0)
                fprintf(out, "%.6f", r);
            fprintf(out, ",%s\n", c->exact ? "true" : "false");
        }
    }
}

/* ---- apps ----------------------------------------------------------------- */

static void json_pbf(struct json_writer *w, const char *key, const struct v6m_pbf *f)
{
    json_key(w, key);
    json_begin_object(w);
    json_key(w, "packets");
    json_u64(w, f->packets);
    json_key(w, "bytes");
    json_u64(w, f->bytes);
    json_key(w, "flows");
    json_u64(w, f->flows);
    json_end_object(w);
}

static void json_fam(struct json_writer *w, const struct v6m_pbf *fam)
{
    json_pbf(w, "ipv4", &fam[1]);
    json_pbf(w, "ipv6", &fam[2]);
    json_ratio(w, "ipv6_share", ratio(fam[2].bytes, fam[1].bytes + fam[2].bytes));
}

static void json_methods(struct json_writer *w, const uint64_t *m)
{
    json_key(w, "methods");
    json_begin_object(w);
    for (unsigned i = 1; i < V6M_NAME__COUNT; i++) {
        json_key(w, v6m_name_method_name(i));
        json_u64(w, m[i]);
    }
    json_end_object(w);
}

void report_apps_json(struct json_writer *w, const struct v6m_apps_result *a,
                      const char *const *segment_names, size_t n_segments)
{
    uint64_t all_bytes = a->total[1].bytes + a->total[2].bytes;
    json_key(w, "apps");
    json_begin_array(w);
    size_t showing = 0, counted = 0;
    for (size_t i = 0; i < a->n_apps; i++) {
        const struct v6m_app_stats *app = &a->apps[i];
        uint64_t app_bytes = app->fam[1].bytes + app->fam[2].bytes;
        showing += app->shows_ipv6 && !is_infra(app);
        counted += !is_infra(app);
        json_begin_object(w);
        json_key(w, "app");
        json_string(w, app->name);
        json_key(w, "category");
        json_string(w, app->category);
        json_fam(w, app->fam);
        json_key(w, "shows_ipv6");
        json_bool(w, app->shows_ipv6);
        json_ratio(w, "share_of_traffic", ratio(app_bytes, all_bytes));
        json_key(w, "ndpi_flows");
        json_u64(w, app->ndpi_flows);
        json_key(w, "segments");
        json_begin_object(w);
        for (size_t s = 0; s < n_segments; s++) {
            const struct v6m_pbf *f = &app->seg[s * 3];
            if (!f[1].flows && !f[2].flows)
                continue;
            json_key(w, segment_names[s]);
            json_begin_object(w);
            json_fam(w, f);
            json_end_object(w);
        }
        json_end_object(w);
        json_key(w, "domains");
        json_begin_array(w);
        for (size_t k = 0; k < app->n_names; k++) {
            const struct v6m_name_stats *n = &a->names[app->names[k]];
            uint64_t nb = n->fam[1].bytes + n->fam[2].bytes;
            json_begin_object(w);
            json_key(w, "name");
            json_string(w, n->name);
            json_fam(w, n->fam);
            json_key(w, "ipv4_only");
            json_bool(w, n->fam[2].flows == 0);
            json_key(w, "top");
            json_bool(w, k < app->n_top);
            json_ratio(w, "share_of_app", ratio(nb, app_bytes));
            json_end_object(w);
        }
        json_end_array(w);
        json_key(w, "ipv4_only_domains");
        json_begin_array(w);
        for (size_t k = 0; k < app->n_names; k++) {
            const struct v6m_name_stats *n = &a->names[app->names[k]];
            if (n->fam[2].flows)
                continue;
            json_begin_object(w);
            json_key(w, "name");
            json_string(w, n->name);
            json_key(w, "bytes");
            json_u64(w, n->fam[1].bytes);
            json_ratio(w, "share_of_app", ratio(n->fam[1].bytes, app_bytes));
            json_end_object(w);
        }
        json_end_array(w);
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "apps_summary");
    json_begin_object(w);
    json_key(w, "indicators");
    json_begin_object(w);
    json_key(w, "I6_apps_showing_ipv6");
    json_u64(w, showing);
    json_key(w, "I6_apps_seen");
    json_u64(w, counted);
    json_ratio(w, "I6_share", ratio(showing, counted));
    json_key(w, "I6_target");
    json_double(w, 1.0, 3);
    json_key(w, "I7_target");
    json_double(w, I7_TARGET, 3);
    json_end_object(w);
    json_key(w, "total");
    json_begin_object(w);
    json_fam(w, a->total);
    json_end_object(w);
    json_key(w, "unattributed");
    json_begin_object(w);
    json_fam(w, a->unattributed);
    json_ratio(w, "share_of_bytes",
               ratio(a->unattributed[1].bytes + a->unattributed[2].bytes, all_bytes));
    json_end_object(w);
    json_key(w, "named_no_app");
    json_begin_object(w);
    json_fam(w, a->named_no_app);
    json_ratio(w, "share_of_bytes",
               ratio(a->named_no_app[1].bytes + a->named_no_app[2].bytes, all_bytes));
    json_end_object(w);
    json_methods(w, a->method_flows);
    json_key(w, "limits");
    json_begin_object(w);
    json_key(w, "names_overflow_flows");
    json_u64(w, a->names_overflow_flows);
    json_key(w, "names_invalid_flows");
    json_u64(w, a->names_invalid_flows);
    json_key(w, "inspect_pool_full");
    json_u64(w, a->inspect_pool_full);
    json_key(w, "dpi_pool_full");
    json_u64(w, a->dpi_pool_full);
    json_key(w, "dns_answers");
    json_u64(w, a->dns_answers);
    json_key(w, "dns_malformed");
    json_u64(w, a->dns_malformed);
    json_key(w, "dns_truncated");
    json_u64(w, a->dns_truncated);
    json_key(w, "dns_answers_partial");
    json_u64(w, a->dns_answers_partial);
    json_key(w, "dns_cache_entries_max");
    json_u64(w, a->dns_cache_entries);
    json_key(w, "dns_cache_evicted");
    json_u64(w, a->dns_cache_evicted);
    json_key(w, "dpi_enabled");
    json_bool(w, a->dpi_enabled);
    json_key(w, "dpi_flows");
    json_u64(w, a->dpi_flows);
    json_key(w, "dpi_packets");
    json_u64(w, a->dpi_packets);
    json_end_object(w);
    json_end_object(w);

    json_key(w, "names");
    json_begin_array(w);
    for (size_t i = 0; i < a->n_names; i++) {
        const struct v6m_name_stats *n = &a->names[i];
        json_begin_object(w);
        json_key(w, "name");
        json_string(w, n->name);
        json_key(w, "app");
        if (n->app_name)
            json_string(w, n->app_name);
        else
            json_null(w);
        json_fam(w, n->fam);
        json_methods(w, n->method_flows);
        json_end_object(w);
    }
    json_end_array(w);
}

void report_apps_text(FILE *out, const struct v6m_apps_result *a)
{
    char b1[32], p1[16], p2[16];
    uint64_t all_bytes = a->total[1].bytes + a->total[2].bytes;
    size_t showing = 0, counted = 0;
    for (size_t i = 0; i < a->n_apps; i++) {
        showing += a->apps[i].shows_ipv6 && !is_infra(&a->apps[i]);
        counted += !is_infra(&a->apps[i]);
    }
    report_pct(ratio(showing, counted), p1, sizeof(p1));
    fprintf(out, "\nApps: IPv6 concentration (I7, target 70%%) and support seen in traffic "
                 "(I6: %zu of %zu apps, %s; target 100%%; shared infrastructure not counted)\n",
            showing, counted, p1);
    fprintf(out, "%-22s %-13s %10s %7s %6s %8s  %s\n", "app", "category", "bytes", "I7",
            "share", "IPv6", "IPv4-only domains (bytes)");
    for (size_t i = 0; i < a->n_apps && i < TEXT_APPS_MAX; i++) {
        const struct v6m_app_stats *app = &a->apps[i];
        uint64_t ab = app->fam[1].bytes + app->fam[2].bytes;
        report_human_bytes(ab, b1, sizeof(b1));
        report_pct(app->ipv6_share, p1, sizeof(p1));
        report_pct(ratio(ab, all_bytes), p2, sizeof(p2));
        fprintf(out, "%-22.22s %-13.13s %10s %7s %6s %8s  ", app->name, app->category, b1, p1,
                p2, app->shows_ipv6 ? "shown" : "NOT seen");
        int listed = 0;
        for (size_t k = 0; k < app->n_names && listed < 3; k++) {
            const struct v6m_name_stats *n = &a->names[app->names[k]];
            if (n->fam[2].flows)
                continue;
            report_human_bytes(n->fam[1].bytes, b1, sizeof(b1));
            fprintf(out, "%s%s (%s)", listed ? ", " : "", n->name, b1);
            listed++;
        }
        fputs(listed ? "\n" : "-\n", out);
    }
    if (a->n_apps > TEXT_APPS_MAX)
        fprintf(out, "(%zu more apps: see --format json)\n", a->n_apps - TEXT_APPS_MAX);
    uint64_t ub = a->unattributed[1].bytes + a->unattributed[2].bytes;
    uint64_t nb = a->named_no_app[1].bytes + a->named_no_app[2].bytes;
    report_human_bytes(ub, b1, sizeof(b1));
    report_pct(ratio(ub, all_bytes), p1, sizeof(p1));
    fprintf(out, "unattributed: %s (%s of IPv4+IPv6 bytes), ", b1, p1);
    report_human_bytes(nb, b1, sizeof(b1));
    report_pct(ratio(nb, all_bytes), p1, sizeof(p1));
    fprintf(out, "named but in no app: %s (%s)\n", b1, p1);
    fprintf(out, "names from:");
    for (unsigned m = 1; m < V6M_NAME__COUNT; m++)
        fprintf(out, " %s %llu%s", v6m_name_method_name(m), (unsigned long long)a->method_flows[m],
                m + 1 < V6M_NAME__COUNT ? "," : "");
    fprintf(out, " flows; none %llu\n", (unsigned long long)a->method_flows[0]);
    if (a->names_overflow_flows || a->inspect_pool_full || a->dpi_pool_full)
        fprintf(out, "limits: names table full %llu flows, reassembly pool full %llu, nDPI pool "
                     "full %llu\n",
                (unsigned long long)a->names_overflow_flows,
                (unsigned long long)a->inspect_pool_full, (unsigned long long)a->dpi_pool_full);
}

static void csv_fam(FILE *out, const struct v6m_pbf *fam)
{
    fprintf(out, ",%llu,%llu,%llu,%llu,%llu,%llu,", (unsigned long long)fam[1].packets,
            (unsigned long long)fam[1].bytes, (unsigned long long)fam[1].flows,
            (unsigned long long)fam[2].packets, (unsigned long long)fam[2].bytes,
            (unsigned long long)fam[2].flows);
    double r = ratio(fam[2].bytes, fam[1].bytes + fam[2].bytes);
    if (r >= 0)
        fprintf(out, "%.6f", r);
}

/* Names and apps come from traffic and catalogs: quote them for CSV. */
static void csv_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

void report_apps_csv(FILE *out, const struct v6m_apps_result *a,
                     const char *const *segment_names, size_t n_segments)
{
    fputs("app,category,segment,ipv4_packets,ipv4_bytes,ipv4_flows,ipv6_packets,ipv6_bytes,"
          "ipv6_flows,ipv6_share,shows_ipv6\n",
          out);
    for (size_t i = 0; i < a->n_apps; i++) {
        const struct v6m_app_stats *app = &a->apps[i];
        csv_str(out, app->name);
        fputc(',', out);
        csv_str(out, app->category);
        fputs(",all", out);
        csv_fam(out, app->fam);
        fprintf(out, ",%s\n", app->shows_ipv6 ? "true" : "false");
        for (size_t s = 0; s < n_segments; s++) {
            const struct v6m_pbf *f = &app->seg[s * 3];
            if (!f[1].flows && !f[2].flows)
                continue;
            csv_str(out, app->name);
            fputc(',', out);
            csv_str(out, app->category);
            fputc(',', out);
            csv_str(out, segment_names[s]);
            csv_fam(out, f);
            fputs(",\n", out);
        }
    }
    fputs("\"(unattributed)\",,all", out);
    csv_fam(out, a->unattributed);
    fputs(",\n", out);
}

void report_names_csv(FILE *out, const struct v6m_apps_result *a)
{
    fputs("name,app,ipv4_packets,ipv4_bytes,ipv4_flows,ipv6_packets,ipv6_bytes,ipv6_flows,"
          "ipv6_share,sni,host,quic,dns,dns_any,ndpi\n",
          out);
    for (size_t i = 0; i < a->n_names; i++) {
        const struct v6m_name_stats *n = &a->names[i];
        csv_str(out, n->name);
        fputc(',', out);
        if (n->app_name)
            csv_str(out, n->app_name);
        csv_fam(out, n->fam);
        for (unsigned m = 1; m < V6M_NAME__COUNT; m++)
            fprintf(out, ",%llu", (unsigned long long)n->method_flows[m]);
        fputc('\n', out);
    }
}
