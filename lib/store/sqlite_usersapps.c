/*
 * store/sqlite_usersapps.c - the users (I1) and apps (I6, I7) rows of a
 * traffic run in SQLite (tables of schema version 2, docs/store.md).
 *
 *   users_windows  one row per (window, segment incl. "all"): the counts,
 *                  whether they are exact, and for day windows and the
 *                  whole input the HyperLogLog sketches of the four user
 *                  flags (v6m_hll_serialize layout, docs/internals/hll.md),
 *                  so later reports merge days and collectors (register
 *                  max) into months and rolling windows.
 *   apps_totals    per (app, segment incl. "all", family): packets, bytes,
 *                  flows, and whether the app shows IPv6 support (I6).
 *   apps_days      per (UTC day, app or '(unattributed)', segment, family).
 *   app_names      per (service name, family) with its app and how its
 *                  flows were named.
 * Called inside the run's transaction by sqlite.c; on failure the caller
 * rolls everything back.
 */
#include <sqlite3.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <v6mon/hll.h>
#include <v6mon/traffic.h>

#include "store/sqlite_usersapps.h"
#include "util/strutil.h"

static sqlite3_int64 c64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)v;
}

static bool step(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE;
}

static const char *seg_name(const struct v6m_traffic_result *res, size_t i)
{
    if (i >= res->n_segments)
        return "all";
    return res->segment_names && res->segment_names[i] ? res->segment_names[i] : "?";
}

static bool put_users(sqlite3 *db, int64_t run, const v6m_traffic *t, const char **what)
{
    const struct v6m_users_result *u = v6m_traffic_users(t);
    const struct v6m_traffic_result *res = v6m_traffic_result(t);
    if (!u)
        return true;
    *what = "cannot store user windows";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO users_windows(run_id, window, start_s, end_s, "
                           "start_day, end_day, segment, mode, seen, active, ipv6_active, "
                           "holding_ipv6, dual, ipv4_only, ipv6_only, exact, hll_q4, hll_q6, "
                           "hll_h6, hll_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                           "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    size_t cap = v6m_hll_serialized_max();
    uint8_t *buf = sqlite3_malloc64(cap * 4);
    if (!buf) {
        sqlite3_finalize(st);
        return false;
    }
    bool ok = true;
    char d1[16], d2[16];
    for (size_t w = 0; ok && w < u->n_windows; w++) {
        const struct v6m_users_window *win = &u->windows[w];
        bool has = win->end_s > win->start_s;
        bool sketches = win->kind == V6M_WINDOW_DAY || win->kind == V6M_WINDOW_ALL;
        for (size_t s = 0; ok && s <= u->n_segments; s++) {
            const struct v6m_user_counts *c = &win->counts[s];
            if (s < u->n_segments && !c->seen)
                continue;
            sqlite3_bind_int64(st, 1, run);
            sqlite3_bind_text(st, 2, v6m_window_kind_name(win->kind), -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, win->start_s);
            sqlite3_bind_int64(st, 4, win->end_s);
            if (has) {
                sqlite3_bind_text(st, 5, util_format_day(win->start_s, d1, sizeof(d1)), -1,
                                  SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 6, util_format_day(win->end_s - 86400, d2, sizeof(d2)), -1,
                                  SQLITE_TRANSIENT);
            }
            sqlite3_bind_text(st, 7, seg_name(res, s), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 8, v6m_subscriber_mode_name(u->mode), -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 9, c64(c->seen));
            sqlite3_bind_int64(st, 10, c64(c->active));
            sqlite3_bind_int64(st, 11, c64(c->ipv6_active));
            sqlite3_bind_int64(st, 12, c64(c->holding_ipv6));
            sqlite3_bind_int64(st, 13, c64(c->dual));
            sqlite3_bind_int64(st, 14, c64(c->ipv4_only));
            sqlite3_bind_int64(st, 15, c64(c->ipv6_only));
            sqlite3_bind_int(st, 16, c->exact ? 1 : 0);
            static const unsigned flags[4] = {V6M_USER_Q4, V6M_USER_Q6, V6M_USER_H6,
                                              V6M_USER_SEEN};
            for (int k = 0; sketches && k < 4; k++) {
                const v6m_hll *h = v6m_traffic_users_sketch(t, w, s, flags[k]);
                if (!h)
                    continue;
                size_t n = v6m_hll_serialize(h, buf + cap * (size_t)k, cap);
                if (n)
                    sqlite3_bind_blob64(st, 17 + k, buf + cap * (size_t)k, n, SQLITE_STATIC);
            }
            ok = step(st);
        }
    }
    sqlite3_free(buf);
    sqlite3_finalize(st);
    return ok;
}

static void bind_pbf(sqlite3_stmt *st, int i, const struct v6m_pbf *f)
{
    sqlite3_bind_int64(st, i, c64(f->packets));
    sqlite3_bind_int64(st, i + 1, c64(f->bytes));
    sqlite3_bind_int64(st, i + 2, c64(f->flows));
}

static bool put_apps(sqlite3 *db, int64_t run, const v6m_traffic *t, const char **what)
{
    const struct v6m_apps_result *a = v6m_traffic_apps(t);
    const struct v6m_traffic_result *res = v6m_traffic_result(t);
    if (!a)
        return true;
    sqlite3_stmt *st = NULL;
    bool ok = true;

    *what = "cannot store app totals";
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO apps_totals(run_id, app, category, segment, family, "
                           "packets, bytes, flows, shows_ipv6) VALUES (?1, ?2, ?3, ?4, ?5, "
                           "?6, ?7, ?8, ?9)",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    for (size_t i = 0; ok && i < a->n_apps; i++) {
        const struct v6m_app_stats *app = &a->apps[i];
        for (size_t s = 0; ok && s <= res->n_segments; s++) {
            const struct v6m_pbf *f = s < res->n_segments ? &app->seg[s * 3] : app->fam;
            for (unsigned fam = 1; ok && fam <= 2; fam++) {
                if (s < res->n_segments && !f[fam].flows)
                    continue;
                sqlite3_bind_int64(st, 1, run);
                sqlite3_bind_text(st, 2, app->name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, app->category, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, seg_name(res, s), -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 5, v6m_family_name(fam), -1, SQLITE_STATIC);
                bind_pbf(st, 6, &f[fam]);
                sqlite3_bind_int(st, 9, app->shows_ipv6 ? 1 : 0);
                ok = step(st);
            }
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!ok)
        return false;

    *what = "cannot store app days";
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO apps_days(run_id, day_start, day, app, segment, "
                           "family, packets, bytes, flows) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                           "?7, ?8, ?9)",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    char d[16];
    for (size_t i = 0; ok && i < a->n_days; i++) {
        const struct v6m_app_day *r = &a->days[i];
        /* app id -> name through the app list (ids are catalog ids). */
        const char *name = "(unattributed)";
        for (size_t k = 0; r->app >= 0 && k < a->n_apps; k++)
            if (a->apps[k].app == r->app)
                name = a->apps[k].name;
        for (unsigned fam = 1; ok && fam <= 2; fam++) {
            if (!r->fam[fam].flows)
                continue;
            sqlite3_bind_int64(st, 1, run);
            sqlite3_bind_int64(st, 2, r->day_s);
            sqlite3_bind_text(st, 3, util_format_day(r->day_s, d, sizeof(d)), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 4, name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, seg_name(res, r->segment), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 6, v6m_family_name(fam), -1, SQLITE_STATIC);
            bind_pbf(st, 7, &r->fam[fam]);
            ok = step(st);
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!ok)
        return false;

    *what = "cannot store app names";
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO app_names(run_id, name, app, family, packets, bytes, "
                           "flows, flows_sni, flows_host, flows_quic, flows_dns, "
                           "flows_dns_any, flows_ndpi) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                           "?8, ?9, ?10, ?11, ?12, ?13)",
                           -1, &st, NULL) != SQLITE_OK)
        return false;
    for (size_t i = 0; ok && i < a->n_names; i++) {
        const struct v6m_name_stats *n = &a->names[i];
        for (unsigned fam = 1; ok && fam <= 2; fam++) {
            if (!n->fam[fam].flows)
                continue;
            sqlite3_bind_int64(st, 1, run);
            sqlite3_bind_text(st, 2, n->name, -1, SQLITE_STATIC);
            if (n->app_name)
                sqlite3_bind_text(st, 3, n->app_name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, v6m_family_name(fam), -1, SQLITE_STATIC);
            bind_pbf(st, 5, &n->fam[fam]);
            /* Method counts are per name (both families together): they go
             * on the name's first row only, so sums over rows stay right. */
            for (int m = 1; m < V6M_NAME__COUNT; m++)
                sqlite3_bind_int64(st, 7 + m, c64(fam == 1 || !n->fam[1].flows
                                                      ? n->method_flows[m]
                                                      : 0));
            ok = step(st);
        }
    }
    sqlite3_finalize(st);
    return ok;
}

bool sq_put_users_apps(sqlite3 *db, int64_t run, const v6m_traffic *t, const char **what)
{
    return put_users(db, run, t, what) && put_apps(db, run, t, what);
}
