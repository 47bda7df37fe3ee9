/*
 * store/store_impl.h - the backend interface behind v6mon/store.h.
 *
 * A backend is a const table of callbacks, registered in the list in
 * store.c and chosen by the scheme of the location string ("sqlite:PATH"
 * or a plain path -> SQLite). Each backend keeps its own connection state
 * behind an opaque pointer.
 *
 * Contract for every callback: on failure return a v6m_err and write the
 * detail into *err (errbuf_set); never print; leave the store usable (a
 * failed put_traffic rolls back completely).
 *
 * Ownership: open() returns a handle owned by the store; close() frees it.
 * Run and result structures are borrowed for the duration of the call.
 */
#ifndef V6M_STORE_IMPL_H
#define V6M_STORE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <v6mon/kpi.h>
#include <v6mon/store.h>

#include "core/errbuf.h"

struct store_backend {
    const char *scheme;                 /* "sqlite" */
    /* target: the location with the scheme prefix removed. */
    v6m_err (*open)(const char *target, void **handle, struct errbuf *err);
    void (*close)(void *handle);
    int (*db_version)(const void *handle);
    /* t: the finished traffic handle for its users/apps parts, or NULL. */
    v6m_err (*put_traffic)(void *handle, const struct v6m_run_info *run,
                           const struct v6m_traffic_result *res, const v6m_traffic *t,
                           int64_t *run_id, bool *replaced, struct errbuf *err);
    /* Probe runs (v6m_store_probe_*; NULL when the backend has none). */
    v6m_err (*probe_begin)(void *handle, const struct v6m_probe_info *info,
                           const char *config_json, int64_t *run_id, struct errbuf *err);
    v6m_err (*probe_site)(void *handle, int64_t run_id, const struct v6m_site_result *r,
                          struct errbuf *err);
    v6m_err (*probe_app)(void *handle, int64_t run_id, const struct v6m_app_result *r,
                         struct errbuf *err);
    v6m_err (*probe_flush)(void *handle, struct errbuf *err);
    v6m_err (*probe_end)(void *handle, int64_t run_id, const struct v6m_probe_info *info,
                         struct errbuf *err);
    /* A kpi run, whole (NULL when the backend has none). */
    v6m_err (*put_kpi)(void *handle, const v6m_kpi *k, const char *config_json,
                       int64_t *run_id, struct errbuf *err);
    v6m_err (*probe_targets)(void *handle, int64_t probe_run, v6m_store_target_cb cb, void *arg,
                             int64_t *run_used, struct errbuf *err);
};

extern const struct store_backend store_backend_sqlite;

/* Newest schema the SQLite backend writes (sqlite.c). */
int store_sqlite_schema_version(void);

#endif
