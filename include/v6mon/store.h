/*
 * v6mon/store.h - where results are kept.
 *
 * A store is opened from a location string: a path (SQLite, the default),
 * later "clickhouse://host:port/db". Backends implement a small table of
 * callbacks (lib/store/store_impl.h); callers see only this API.
 *
 * Runs. Every stored result belongs to a run: what was measured (kind,
 * inputs, time range), where (vantage label), with what (tool version,
 * options). A run has a key; storing a run whose key already exists replaces
 * that run's rows instead of adding to them, so re-running on the same input
 * never double-counts. For traffic runs the key defaults to a digest of the
 * inputs' bytes and the options that change the numbers (bucket width,
 * segments file contents); --run-id overrides it.
 *
 * The SQLite schema is versioned (PRAGMA user_version) and migrated forward
 * on open; docs/store.md documents it.
 *
 * Ownership: the store owns its connection; results passed in are read
 * during the call only.
 */
#ifndef V6MON_STORE_H
#define V6MON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/error.h>
#include <v6mon/probe.h>
#include <v6mon/traffic.h>

typedef struct v6m_store v6m_store;

/* Open (creating and migrating as needed). On failure *out is NULL and
 * errbuf says why ("cannot open database 'x.db': ..."). */
v6m_err v6m_store_open(const char *location, v6m_store **out, char *errbuf,
                       size_t errlen);
void v6m_store_close(v6m_store *st); /* NULL is a no-op */
const char *v6m_store_errmsg(const v6m_store *st);

/* Schema version the code writes, and the one found in the database. */
int v6m_store_schema_version(void);
int v6m_store_db_version(const v6m_store *st);

struct v6m_run_info {
    const char *kind;         /* "traffic" */
    const char *run_key;      /* identity for replace-on-rerun; required */
    const char *inputs;       /* human-readable list of inputs */
    const char *vantage;      /* vantage point label ("" if none) */
    const char *tool_version;
    const char *options;      /* JSON text of options that matter */
    uint64_t started_ns;      /* wall clock of the run */
    uint64_t finished_ns;
};

/* Store a traffic run and its buckets, segment totals, drops and IPv6+
 * counters in one transaction. *replaced tells whether a run with the same
 * key was replaced. *run_id receives the row id. */
v6m_err v6m_store_put_traffic(v6m_store *st, const struct v6m_run_info *run,
                              const struct v6m_traffic_result *res,
                              int64_t *run_id, bool *replaced);

/* The same from a finished traffic handle, with its subscriber windows
 * (counts and HyperLogLog sketches) and app/name rows when the run
 * measured them (cfg.users / cfg.apps). */
v6m_err v6m_store_put_traffic_run(v6m_store *st, const struct v6m_run_info *run,
                                  const v6m_traffic *t, int64_t *run_id, bool *replaced);

/*
 * Probe runs (v6mon probe; tables probe_* of schema version 3, see
 * docs/store.md). A probe run is written while it runs, so an interrupted
 * or crashed run keeps the sites that finished:
 *
 *   v6m_store_probe_begin(st, v6m_probe_info(p), config_json, &run_id);
 *   hooks.site_done -> v6m_store_probe_site(st, run_id, r);
 *   hooks.app_done  -> v6m_store_probe_app(st, run_id, r);
 *   hooks.progress  -> v6m_store_probe_flush(st);       (optional)
 *   after the run   -> v6m_store_probe_end(st, run_id, v6m_probe_info(p));
 *
 * begin commits the probe_runs row at once (with complete = 0 until end).
 * Results are batched: a transaction is opened at the first result and
 * committed after 200 results or when it is 1 s old at the next result;
 * flush commits it now, end and v6m_store_close() commit it too. A result
 * that fails to store is undone alone (its rows are all or nothing); the
 * message says so if SQLite had to drop the whole open batch. end updates
 * the run's times, seed, resolver, vantage, totals, counters and
 * interrupted flag from info. v6m_store_put_traffic*() commits an open
 * probe batch first (one transaction at a time). One probe run at a time
 * per store: begin while another is open ends the writing of the old one
 * (its rows are kept, it stays complete = 0).
 *
 * config_json: a JSON object of the options (stored as given; NULL ->
 * "{}"). Results and info are read during the call only; the store keeps
 * no pointer into them (the per-URL and per-resource arrays of a site are
 * stored when present, so call _site from the site hook, before the
 * probe releases them).
 */
v6m_err v6m_store_probe_begin(v6m_store *st, const struct v6m_probe_info *info,
                              const char *config_json, int64_t *run_id);
v6m_err v6m_store_probe_site(v6m_store *st, int64_t run_id, const struct v6m_site_result *r);
v6m_err v6m_store_probe_app(v6m_store *st, int64_t run_id, const struct v6m_app_result *r);
v6m_err v6m_store_probe_flush(v6m_store *st);
v6m_err v6m_store_probe_end(v6m_store *st, int64_t run_id, const struct v6m_probe_info *info);

#endif
