/*
 * store/sqlite_kpi.h - the SQLite side of `v6mon kpi` runs (schema step
 * 3 -> 4 and the writer; sqlite_kpi.c says how rows are laid out).
 */
#ifndef V6M_STORE_SQLITE_KPI_H
#define V6M_STORE_SQLITE_KPI_H

#include <stdint.h>

#include <v6mon/kpi.h>

#include "core/errbuf.h"

/* The schema version that first has the kpi tables. */
#define V6M_KPI_SCHEMA_VERSION 4

extern const char sq_kpi_schema_v4[];

/* Write a finished (or interrupted) run in one transaction; *run_id gets
 * the kpi_runs id. h is the SQLite backend handle. */
v6m_err sq_put_kpi(void *h, const v6m_kpi *k, const char *config_json, int64_t *run_id,
                   struct errbuf *err);

/* The sites (name, url, category) of probe run probe_run (<= 0: the
 * newest run with sites), in input order, for `kpi --from-sites`. */
v6m_err sq_probe_targets(void *h, int64_t probe_run, v6m_store_target_cb cb, void *arg,
                         int64_t *run_used, struct errbuf *err);

#endif
