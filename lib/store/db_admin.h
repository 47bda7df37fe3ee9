/*
 * store/db_admin.h - what the administration files share (private to
 * lib/store): the v6m_db handle, the schema as read from sqlite_master,
 * and a small arena for the strings handed out in results.
 *
 * db_admin.c opens the file, reads the schema and does info and prune;
 * db_export.c writes a table as JSON, JSON Lines or CSV. Neither knows a
 * table name: everything comes from sqlite_master and the table_info /
 * foreign_key_list pragmas (see db_admin.c for how run tables and their
 * time columns are recognised).
 *
 * Ownership: the handle owns the connection, the schema and every result
 * it hands out (valid until the next call of the same kind or close).
 */
#ifndef V6M_STORE_DB_ADMIN_H
#define V6M_STORE_DB_ADMIN_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/store.h>

#include "core/errbuf.h"

/* Allocations freed together (db_arena_free). */
struct db_arena {
    void **ptrs;
    size_t n, cap;
};
void *db_arena_alloc(struct db_arena *a, size_t size); /* zeroed; NULL when out of memory */
char *db_arena_strdup(struct db_arena *a, const char *s); /* s NULL -> "" */
void db_arena_free(struct db_arena *a);

/* One table of the database as its schema says. */
struct db_table {
    char *name;
    char *quoted;           /* "name" with inner quotes doubled, for SQL text */
    char **cols;            /* column names in table order */
    size_t n_cols;
    bool has_run_id;        /* a column named run_id */
    bool has_id;            /* a column named id */
    bool has_kind;          /* a column named kind (runs: the run kind) */
    bool has_tool_version;
    bool without_rowid;
    bool is_run_table;
    int run_table;          /* index of the run table its rows belong to, -1 if none */
    char *time_expr;        /* run tables: SQL for the run's time in unix seconds
                             * (REAL, NULL when unknown), or NULL: no time column */
    char *time_cols;        /* the columns time_expr uses, for messages */
    char *order_by;         /* "rowid" or the quoted primary key columns */
};

struct v6m_db {
    sqlite3 *db;
    char *path;
    bool write;
    int version;            /* PRAGMA user_version when opened */
    struct errbuf err;
    struct db_arena schema; /* tables and their strings */
    struct db_table *tables;
    size_t n_tables;
    struct db_arena info_arena;
    struct db_arena prune_arena;
};

/* Set the error from the connection: "database 'p': what: sqlite message". */
v6m_err db_fail(v6m_db *d, const char *what);
/* Read the tables again (after a change); on failure d->err is set. */
v6m_err db_scan(v6m_db *d);
/* The table called name, or NULL (exact, case-sensitive match). */
const struct db_table *db_find_table(const v6m_db *d, const char *name);

#endif
