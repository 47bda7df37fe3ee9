/*
 * store/store.c - v6mon/store.h: picks a backend from the location string
 * and forwards to its callback table (store_impl.h).
 *
 * Location forms:
 *   PATH, sqlite:PATH     SQLite database file (created if missing)
 *   clickhouse://...      recognised, not built yet: V6M_ERR_UNSUPPORTED
 *   other "scheme://..."  V6M_ERR_UNSUPPORTED (unknown scheme)
 */
#include <v6mon/kpi.h>
#include <v6mon/store.h>

#include <stdlib.h>
#include <string.h>

#include "store/store_impl.h"
#include "util/strutil.h"

struct v6m_store {
    const struct store_backend *be;
    void *h;
    struct errbuf err;
};

static const struct store_backend *const backends[] = {
    &store_backend_sqlite,
};

v6m_err v6m_store_open(const char *location, v6m_store **out, char *errbuf,
                       size_t errlen)
{
    struct errbuf err;
    errbuf_clear(&err);
    *out = NULL;
    if (!location || !location[0]) {
        errbuf_set(&err, V6M_ERR_INVALID_ARG, "no store location given");
        errbuf_export(&err, errbuf, errlen);
        return err.code;
    }
    const struct store_backend *be = NULL;
    const char *target = location;
    if (strncmp(location, "clickhouse://", 13) == 0) {
        errbuf_set(&err, V6M_ERR_UNSUPPORTED,
                   "ClickHouse backend not built yet (store location '%s')",
                   location);
        errbuf_export(&err, errbuf, errlen);
        return err.code;
    }
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        size_t n = strlen(backends[i]->scheme);
        if (strncmp(location, backends[i]->scheme, n) == 0 && location[n] == ':') {
            be = backends[i];
            target = location + n + 1;
            if (strncmp(target, "//", 2) == 0)
                target += 2; /* sqlite://PATH is accepted too */
            break;
        }
    }
    if (!be) {
        const char *sep = strstr(location, "://");
        if (sep) {
            errbuf_set(&err, V6M_ERR_UNSUPPORTED,
                       "unknown store scheme '%.*s' in '%s' (use a path, "
                       "sqlite:PATH or clickhouse://)",
                       (int)(sep - location), location, location);
            errbuf_export(&err, errbuf, errlen);
            return err.code;
        }
        be = &store_backend_sqlite;
    }
    if (!target[0]) {
        errbuf_set(&err, V6M_ERR_INVALID_ARG, "empty path in store location '%s'",
                   location);
        errbuf_export(&err, errbuf, errlen);
        return err.code;
    }
    v6m_store *st = calloc(1, sizeof(*st));
    if (!st) {
        errbuf_set(&err, V6M_ERR_NOMEM, "out of memory");
        errbuf_export(&err, errbuf, errlen);
        return err.code;
    }
    errbuf_clear(&st->err);
    st->be = be;
    v6m_err rc = be->open(target, &st->h, &err);
    if (rc != V6M_OK) {
        errbuf_export(&err, errbuf, errlen);
        free(st);
        return rc;
    }
    *out = st;
    return V6M_OK;
}

void v6m_store_close(v6m_store *st)
{
    if (!st)
        return;
    st->be->close(st->h);
    free(st);
}

const char *v6m_store_errmsg(const v6m_store *st)
{
    return st->err.msg;
}

int v6m_store_schema_version(void)
{
    return store_sqlite_schema_version();
}

int v6m_store_db_version(const v6m_store *st)
{
    return st->be->db_version(st->h);
}

static v6m_err put_traffic(v6m_store *st, const struct v6m_run_info *run,
                           const struct v6m_traffic_result *res, const v6m_traffic *t,
                           int64_t *run_id, bool *replaced)
{
    int64_t id = 0;
    bool rep = false;
    errbuf_clear(&st->err);
    if (!run || !res)
        return errbuf_set(&st->err, V6M_ERR_INVALID_ARG, "no run or result given");
    if (!run->run_key || !run->run_key[0])
        return errbuf_set(&st->err, V6M_ERR_INVALID_ARG, "a run needs a run key");
    v6m_err rc = st->be->put_traffic(st->h, run, res, t, &id, &rep, &st->err);
    if (run_id)
        *run_id = rc == V6M_OK ? id : 0;
    if (replaced)
        *replaced = rc == V6M_OK && rep;
    return rc;
}

v6m_err v6m_store_put_traffic(v6m_store *st, const struct v6m_run_info *run,
                              const struct v6m_traffic_result *res,
                              int64_t *run_id, bool *replaced)
{
    return put_traffic(st, run, res, NULL, run_id, replaced);
}

v6m_err v6m_store_put_traffic_run(v6m_store *st, const struct v6m_run_info *run,
                                  const v6m_traffic *t, int64_t *run_id, bool *replaced)
{
    const struct v6m_traffic_result *res = v6m_traffic_result(t);
    if (!res)
        return errbuf_set(&st->err, V6M_ERR_INVALID_ARG, "the traffic run is not finished");
    return put_traffic(st, run, res, t, run_id, replaced);
}

/* ---- probe runs ---------------------------------------------------------- */

static v6m_err probe_unsupported(v6m_store *st)
{
    return errbuf_set(&st->err, V6M_ERR_UNSUPPORTED,
                      "the '%s' store cannot keep probe runs", st->be->scheme);
}

v6m_err v6m_store_probe_begin(v6m_store *st, const struct v6m_probe_info *info,
                              const char *config_json, int64_t *run_id)
{
    errbuf_clear(&st->err);
    if (!info || !run_id)
        return errbuf_set(&st->err, V6M_ERR_INVALID_ARG, "no probe info or run id given");
    *run_id = 0;
    if (!st->be->probe_begin)
        return probe_unsupported(st);
    return st->be->probe_begin(st->h, info, config_json, run_id, &st->err);
}

v6m_err v6m_store_probe_site(v6m_store *st, int64_t run_id, const struct v6m_site_result *r)
{
    errbuf_clear(&st->err);
    if (!r)
        return errbuf_set(&st->err, V6M_ERR_INVALID_ARG, "no site result given");
    if (!st->be->probe_site)
        return probe_unsupported(st);
    return st->be->probe_site(st->h, run_id, r, &st->err);
}

v6m_err v6m_store_probe_app(v6m_store *st, int64_t run_id, const struct v6m_app_result *r)
{
    errbuf_clear(&st->err);
    if (!r)
        return errbuf_set(&st->err, V6M_ERR_INVALID_ARG, "no app result given");
    if (!st->be->probe_app)
        return probe_unsupported(st);
    return st->be->probe_app(st->h, run_id, r, &st->err);
}

v6m_err v6m_store_probe_flush(v6m_store *st)
{
    errbuf_clear(&st->err);
    if (!st->be->probe_flush)
        return probe_unsupported(st);
    return st->be->probe_flush(st->h, &st->err);
}

v6m_err v6m_store_probe_end(v6m_store *st, int64_t run_id, const struct v6m_probe_info *info)
{
    errbuf_clear(&st->err);
    if (!info)
        return errbuf_set(&st->err, V6M_ERR_INVALID_ARG, "no probe info given");
    if (!st->be->probe_end)
        return probe_unsupported(st);
    return st->be->probe_end(st->h, run_id, info, &st->err);
}

/* ---- kpi runs ------------------------------------------------------------ */

v6m_err v6m_store_put_kpi(v6m_store *st, const v6m_kpi *k, const char *config_json,
                          int64_t *run_id)
{
    if (!st || !k)
        return V6M_ERR_INVALID_ARG;
    errbuf_clear(&st->err);
    if (!st->be->put_kpi)
        return errbuf_set(&st->err, V6M_ERR_UNSUPPORTED, "the '%s' store cannot keep kpi runs",
                          st->be->scheme);
    return st->be->put_kpi(st->h, k, config_json, run_id, &st->err);
}

v6m_err v6m_store_probe_targets(v6m_store *st, int64_t probe_run, v6m_store_target_cb cb,
                                void *arg, int64_t *run_used)
{
    if (!st || !cb)
        return V6M_ERR_INVALID_ARG;
    errbuf_clear(&st->err);
    if (!st->be->probe_targets)
        return errbuf_set(&st->err, V6M_ERR_UNSUPPORTED, "the '%s' store has no probe runs",
                          st->be->scheme);
    return st->be->probe_targets(st->h, probe_run, cb, arg, run_used, &st->err);
}
