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


/* ==========================================================================
 * Database administration: v6mon db info | export | prune
 * (lib/store/db_admin.c, lib/store/db_export.c; docs/store.md and
 * docs/commands/db.md).
 *
 * A v6m_db is a second way into a SQLite store file, for looking at it and
 * cleaning it; v6m_store is the one that writes runs. A v6m_db never
 * migrates: info on an old file shows the old version and leaves the file
 * as it was. It knows no table by name: the tables, their columns, which
 * of them hold runs ("runs", "*_runs", or the target of a run_id foreign
 * key) and when a run happened (the first of started_ns, started_ms,
 * started_s, started that is not NULL, else the same for finished_*) are
 * read from the database itself, so tables added by later schema
 * versions are covered without a change here.
 *
 * Ownership: the handle owns every result it returns; a result stays
 * valid until the next call of the same function on the handle, or
 * v6m_db_close(). Strings passed in are read during the call only.
 * ========================================================================== */

typedef struct v6m_db v6m_db;

/* Open PATH, sqlite:PATH or sqlite://PATH (the file must exist).
 * write = false: read-only; any schema version (info and export read
 * even a newer one). write = true: read-write, for prune; a database
 * whose schema is newer than this v6mon writes is refused ("database
 * 'x.db' has schema version 9, newer than this v6mon supports (4): ...").
 * A file that is not a SQLite database fails here with a message naming
 * it. On failure *out is NULL and errbuf says why. */
v6m_err v6m_db_open(const char *location, bool write, v6m_db **out, char *errbuf,
                    size_t errlen);
void v6m_db_close(v6m_db *db); /* NULL is a no-op */
const char *v6m_db_errmsg(const v6m_db *db);

struct v6m_db_table {
    const char *name;
    int64_t rows;
    size_t n_columns;
    bool has_run_id;        /* has a run_id column (export --run filters on it) */
    bool is_run_table;      /* one row per run (export --run filters on id) */
    const char *run_table;  /* the run table its rows belong to; NULL: none */
};

struct v6m_db_tool_version {
    const char *version;    /* tool_version as stored ("" when empty) */
    int64_t runs;
};

/* Runs of one kind: the rows of a run table, split by its kind column
 * when it has one ("runs": kind = 'traffic'); otherwise the kind is the
 * table name without "_runs" ("probe_runs" -> "probe"). */
struct v6m_db_run_kind {
    const char *kind;
    const char *table;
    int64_t runs;
    bool timed;             /* the table has a time column */
    int64_t runs_timed;     /* runs with a time (first/last cover these) */
    int64_t first_s, last_s; /* earliest and latest run time, unix seconds */
    const char *time_columns; /* e.g. "started_ns, finished_ns"; "" if none */
    const struct v6m_db_tool_version *versions; /* most runs first */
    size_t n_versions;
};

struct v6m_db_info {
    const char *path;
    uint64_t file_bytes;    /* the database file */
    uint64_t wal_bytes;     /* its -wal file (0 when none) */
    int version;            /* PRAGMA user_version of the file */
    int version_supported;  /* the version this v6mon writes */
    const char *journal_mode;
    const struct v6m_db_table *tables; /* by name */
    size_t n_tables;
    const struct v6m_db_run_kind *kinds; /* by table, then kind */
    size_t n_kinds;
    const char *check;      /* quick_check result ("ok" or the first problem);
                             * NULL when not asked for */
};

/* Describe the database. quick_check runs PRAGMA quick_check (reads every
 * page; slow on big files). */
v6m_err v6m_db_info(v6m_db *db, bool quick_check, const struct v6m_db_info **out);

enum v6m_db_format {
    V6M_DB_JSON,  /* one JSON array of objects, one row object per line */
    V6M_DB_JSONL, /* JSON Lines: one object per line, nothing else */
    V6M_DB_CSV,   /* RFC 4180: header line, CRLF line ends */
};

/* "json", "jsonl" (also "ndjson"), "csv" -> true and *out. */
bool v6m_db_format_parse(const char *s, enum v6m_db_format *out);
/* File name extension of a format: "json", "jsonl", "csv". */
const char *v6m_db_format_ext(enum v6m_db_format f);

/* Where an export goes: called with pieces of the output in order; return
 * false to stop (the export then fails with V6M_ERR_IO). */
typedef bool (*v6m_db_sink)(void *ctx, const char *data, size_t len);

struct v6m_db_export_opts {
    enum v6m_db_format format;
    bool by_run;            /* only the rows of run run_id: */
    int64_t run_id;         /*   WHERE run_id = ID, or WHERE id = ID in a run table */
};

/* Write every row of a table (the name is checked against sqlite_master;
 * V6M_ERR_NOT_FOUND for an unknown one, V6M_ERR_INVALID_ARG for by_run on
 * a table without run_id that is not a run table). Values: INTEGER and
 * REAL as numbers (the shortest text that reads back to the same double;
 * infinities as null in JSON, inf / -inf in CSV), TEXT as given (bytes that are not UTF-8
 * become U+FFFD in JSON; CSV passes them through), BLOB as lowercase hex,
 * NULL as null in JSON and an empty unquoted field in CSV (an empty text
 * is ""). Rows in rowid or primary key order. *rows (may be NULL) gets
 * the number of rows written. */
v6m_err v6m_db_export(v6m_db *db, const char *table, const struct v6m_db_export_opts *o,
                      v6m_db_sink sink, void *ctx, uint64_t *rows);

struct v6m_db_prune_opts {
    int64_t before_s;       /* delete runs whose time is before this (unix s) */
    bool dry_run;           /* do it in a transaction, count, roll back */
    bool vacuum;            /* VACUUM after a prune that deleted rows */
};

struct v6m_db_prune_table {
    const char *name;
    int64_t rows_before;
    int64_t deleted;        /* rows gone (the runs and their cascades) */
};

struct v6m_db_prune_runs {
    const char *table;      /* a run table */
    const char *time_columns;
    int64_t deleted;        /* runs older than before_s */
    int64_t kept;
    int64_t untimed;        /* kept because they have no time (or no time column) */
};

struct v6m_db_prune_result {
    int64_t before_s;
    bool dry_run;
    const struct v6m_db_prune_table *tables; /* every table, by name */
    size_t n_tables;
    const struct v6m_db_prune_runs *runs;    /* every run table */
    size_t n_runs;
    int64_t rows_deleted;   /* over all tables */
    bool vacuumed;
    const char *vacuum_error; /* VACUUM failed after the commit (rows are gone); else NULL */
    uint64_t bytes_before, bytes_after; /* file + WAL */
};

/* Delete every run (of every run table) older than before_s with all rows
 * that refer to it: one transaction (BEGIN IMMEDIATE) with foreign keys
 * on (checked), so ON DELETE CASCADE removes the rows of the run; any
 * failure rolls everything back. Needs a handle opened with write. */
v6m_err v6m_db_prune(v6m_db *db, const struct v6m_db_prune_opts *o,
                     const struct v6m_db_prune_result **out);

#endif
