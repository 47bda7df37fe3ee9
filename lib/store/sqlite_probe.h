/*
 * store/sqlite_probe.h - probe runs (v6mon probe: sites W1..W7, apps) in
 * the SQLite backend (private to lib/store; see sqlite_probe.c for the
 * design and docs/store.md for the tables).
 *
 * The tables come from schema migration 2 -> 3, whose SQL text is
 * sq_probe_schema_v3 (listed in sqlite.c's migration table).
 *
 * A probe run is written while it runs: begin (one committed row in
 * probe_runs), then one call per finished site or app (rows batched in a
 * transaction opened lazily and committed every SQ_PROBE_BATCH results),
 * then end (commits, fills in the run's totals); flush commits an open
 * batch at any time. The writer state (the
 * prepared statements and the open batch) lives per connection behind
 * *slot, created by begin and freed by sq_probe_free() (sqlite.c calls it
 * from close: an open batch is committed then, so an abandoned run keeps
 * the results it had).
 *
 * Ownership: results and strings are read during the call only.
 */
#ifndef V6M_STORE_SQLITE_PROBE_H
#define V6M_STORE_SQLITE_PROBE_H

#include <sqlite3.h>
#include <stdint.h>

#include <v6mon/probe.h>

#include "core/errbuf.h"

#define SQ_PROBE_BATCH 200     /* results per commit at most */
#define SQ_PROBE_BATCH_MS 1000 /* age of a batch that is committed at the next result */

extern const char sq_probe_schema_v3[];

struct sq_probe;

/* What the probe writer needs of a backend connection: sqlite.c hands it
 * out for a backend handle. */
struct sq_conn {
    sqlite3 *db;
    const char *path;          /* for messages */
    struct sq_probe **probe;   /* writer state slot, NULL until a run begins */
};
struct sq_conn sq_conn_of(void *handle);

/* The backend callbacks (struct store_backend in store_impl.h). */
v6m_err sq_probe_begin(void *h, const struct v6m_probe_info *info, const char *config_json,
                       int64_t *run_id, struct errbuf *err);
v6m_err sq_probe_site(void *h, int64_t run_id, const struct v6m_site_result *r,
                      struct errbuf *err);
v6m_err sq_probe_app(void *h, int64_t run_id, const struct v6m_app_result *r,
                     struct errbuf *err);
/* Commit the open batch now (the tool calls it while idle). */
v6m_err sq_probe_flush(void *h, struct errbuf *err);
v6m_err sq_probe_end(void *h, int64_t run_id, const struct v6m_probe_info *info,
                     struct errbuf *err);

/* Commit an open batch, finalize the statements, free. NULL is a no-op. */
void sq_probe_free(sqlite3 *db, struct sq_probe *p);

#endif
