/*
 * store/db_admin.c - v6m_db (v6mon/store.h, "Database administration"):
 * open a SQLite store file without migrating it, read its schema, describe
 * it (info) and delete old runs (prune). db_export.c writes tables out.
 *
 * Why a second handle beside v6m_store: v6m_store_open() migrates the file
 * to the current schema, which an administrator looking at an old or a
 * newer database must not trigger; and info/export want a connection that
 * cannot write (PRAGMA query_only) and works while another process writes
 * (WAL readers do not block writers).
 *
 * No table names in this file. The schema is read from the database:
 *   tables      sqlite_master rows of type 'table', minus sqlite_* ones;
 *   columns     pragma_table_info (order, primary key);
 *   run tables  "runs", any "*_runs", and any table that a run_id column
 *               refers to (pragma_foreign_key_list);
 *   run of a row   the run table its run_id refers to; else the run table
 *               reached through its other foreign keys (probe_checks ->
 *               probe_sites -> probe_runs); else "<prefix>_runs" for a
 *               table named "<prefix>_..."; else none;
 *   run time    the first of started_ns, started_ms, started_s, started
 *               that the run table has, else the same for finished_*, each
 *               scaled to seconds; a run whose columns are NULL (or not
 *               numbers) has no time. Both are in one coalesce() so a probe
 *               run written without a start time is timed by its finish.
 * So a table added by a later schema version is counted, exported and
 * pruned (through its ON DELETE CASCADE foreign key) without a change here.
 *
 * Prune is safe by construction: foreign keys are switched on when the
 * handle opens (outside any transaction, where the pragma works) and read
 * back before a prune; all deletes happen in one BEGIN IMMEDIATE
 * transaction (a concurrent writer waits up to 5 s, then the prune fails
 * with nothing changed); per-table counts are taken before and after
 * inside the transaction, so they include every cascade; a dry run rolls
 * the same transaction back. VACUUM runs after the commit (it cannot run
 * inside a transaction): if it fails, the rows are gone and the result says
 * so beside them, the file is merely not compacted.
 *
 * Invariant: every identifier put into SQL text is quoted ("" doubled);
 * values are always bound parameters.
 */
#include "store/db_admin.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store_impl.h"
#include "util/strutil.h"

/* ---- arena ------------------------------------------------------------------ */

void *db_arena_alloc(struct db_arena *a, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        void **p = realloc(a->ptrs, cap * sizeof(*p));
        if (!p)
            return NULL;
        a->ptrs = p;
        a->cap = cap;
    }
    void *m = calloc(1, size ? size : 1);
    if (m)
        a->ptrs[a->n++] = m;
    return m;
}

char *db_arena_strdup(struct db_arena *a, const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    char *c = db_arena_alloc(a, n + 1);
    if (c)
        memcpy(c, s, n + 1);
    return c;
}

void db_arena_free(struct db_arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->ptrs[i]);
    free(a->ptrs);
    a->ptrs = NULL;
    a->n = a->cap = 0;
}

/* "name" -> "\"name\"" with inner quotes doubled. */
static char *quote_ident(struct db_arena *a, const char *name)
{
    size_t n = 2;
    for (const char *p = name; *p; p++)
        n += *p == '"' ? 2 : 1;
    char *q = db_arena_alloc(a, n + 1);
    if (!q)
        return NULL;
    char *w = q;
    *w++ = '"';
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            *w++ = '"';
        *w++ = *p;
    }
    *w++ = '"';
    *w = '\0';
    return q;
}

/* printf into the arena. */
__attribute__((format(printf, 2, 3))) static char *aprintf(struct db_arena *a,
                                                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = db_arena_alloc(a, (size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* ---- errors, small queries ------------------------------------------------------ */

v6m_err db_fail(v6m_db *d, const char *what)
{
    return errbuf_set(&d->err, V6M_ERR_DB, "database '%s': %s: %s", d->path, what,
                      sqlite3_errmsg(d->db));
}

static v6m_err nomem(v6m_db *d)
{
    return errbuf_set(&d->err, V6M_ERR_NOMEM, "out of memory");
}

/* One integer from a query with up to one bound int64 (bind < 0: none). */
static int q_i64(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *out = 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
}

static uint64_t wal_size(const char *path)
{
    size_t n = strlen(path);
    char *w = malloc(n + 5);
    if (!w)
        return 0;
    memcpy(w, path, n);
    memcpy(w + n, "-wal", 5);
    uint64_t s = file_size(w);
    free(w);
    return s;
}

/* ---- schema --------------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

const struct db_table *db_find_table(const v6m_db *d, const char *name)
{
    for (size_t i = 0; i < d->n_tables; i++)
        if (strcmp(d->tables[i].name, name) == 0)
            return &d->tables[i];
    return NULL;
}

static int table_index(const v6m_db *d, const char *name)
{
    const struct db_table *t = db_find_table(d, name);
    return t ? (int)(t - d->tables) : -1;
}

static bool has_col(const struct db_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (strcmp(t->cols[i], name) == 0)
            return true;
    return false;
}

/* Columns and primary key of one table. */
static v6m_err scan_columns(v6m_db *d, struct db_table *t)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db, "SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, "cannot read the table columns");
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    size_t cap = 0;
    /* pk position -> column, for the WITHOUT ROWID order */
    char *pk[64] = {0};
    int npk = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        int k = sqlite3_column_int(st, 1);
        if (t->n_cols == cap) {
            cap = cap ? cap * 2 : 16;
            char **n = db_arena_alloc(&d->schema, cap * sizeof(*n));
            if (!n)
                goto oom;
            if (t->n_cols)
                memcpy(n, t->cols, t->n_cols * sizeof(*n));
            t->cols = n;
        }
        char *name = db_arena_strdup(&d->schema, c);
        if (!name)
            goto oom;
        t->cols[t->n_cols++] = name;
        if (k > 0 && k <= 64) {
            pk[k - 1] = name;
            if (k > npk)
                npk = k;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(d, "cannot read the table columns");
    t->has_run_id = has_col(t, "run_id");
    t->has_id = has_col(t, "id");
    t->has_kind = has_col(t, "kind");
    t->has_tool_version = has_col(t, "tool_version");

    /* A WITHOUT ROWID table has no rowid to select. */
    char *sql = aprintf(&d->schema, "SELECT rowid FROM %s LIMIT 0", t->quoted);
    if (!sql)
        return nomem(d);
    sqlite3_stmt *probe = NULL;
    t->without_rowid = sqlite3_prepare_v2(d->db, sql, -1, &probe, NULL) != SQLITE_OK;
    sqlite3_finalize(probe);
    if (!t->without_rowid || npk == 0) {
        t->order_by = t->without_rowid ? NULL : "rowid";
        return V6M_OK;
    }
    size_t len = 1;
    for (int i = 0; i < npk; i++)
        len += (pk[i] ? strlen(pk[i]) * 2 + 3 : 0) + 2;
    char *ob = db_arena_alloc(&d->schema, len);
    if (!ob)
        return nomem(d);
    size_t w = 0;
    for (int i = 0; i < npk; i++) {
        if (!pk[i])
            continue;
        char *q = quote_ident(&d->schema, pk[i]);
        if (!q)
            return nomem(d);
        w += (size_t)snprintf(ob + w, len - w, "%s%s", w ? ", " : "", q);
    }
    t->order_by = ob;
    return V6M_OK;
oom:
    sqlite3_finalize(st);
    return nomem(d);
}

/* The time of a run in unix seconds as SQL, from the first start column
 * and the first finish column the table has. */
static v6m_err time_expr(v6m_db *d, struct db_table *t)
{
    static const struct {
        const char *suffix;
        const char *scale;
    } units[] = {{"_ns", " / 1e9"}, {"_ms", " / 1e3"}, {"_s", " * 1.0"}, {"", " * 1.0"}};
    static const char *const stems[] = {"started", "finished"};
    char *parts[2] = {NULL, NULL};
    char *cols[2] = {NULL, NULL};
    for (int s = 0; s < 2; s++) {
        for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
            char name[32];
            snprintf(name, sizeof(name), "%s%s", stems[s], units[u].suffix);
            if (!has_col(t, name))
                continue;
            char *q = quote_ident(&d->schema, name);
            if (!q)
                return nomem(d);
            parts[s] = aprintf(&d->schema,
                               "CASE WHEN typeof(%s) IN ('integer', 'real') THEN %s%s END",
                               q, q, units[u].scale);
            cols[s] = db_arena_strdup(&d->schema, name);
            if (!parts[s] || !cols[s])
                return nomem(d);
            break;
        }
    }
    if (!parts[0] && !parts[1])
        return V6M_OK;
    if (parts[0] && parts[1]) {
        t->time_expr = aprintf(&d->schema, "coalesce(%s, %s)", parts[0], parts[1]);
        t->time_cols = aprintf(&d->schema, "%s, %s", cols[0], cols[1]);
    } else {
        int s = parts[0] ? 0 : 1;
        t->time_expr = parts[s];
        t->time_cols = cols[s];
    }
    return t->time_expr && t->time_cols ? V6M_OK : nomem(d);
}

/* Foreign keys of every table: run tables are the targets of run_id
 * references; each table's run table follows from its references. */
struct fk {
    int from_table, to_table;
    bool run_id;
};

static v6m_err scan_links(v6m_db *d)
{
    struct fk *fks = NULL;
    size_t nfk = 0, cap = 0;
    v6m_err e = V6M_OK;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(d->db, "SELECT \"table\", \"from\" FROM pragma_foreign_key_list(?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, "cannot read the foreign keys");
    for (size_t i = 0; i < d->n_tables; i++) {
        sqlite3_bind_text(st, 1, d->tables[i].name, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *to = (const char *)sqlite3_column_text(st, 0);
            const char *from = (const char *)sqlite3_column_text(st, 1);
            int ti = to ? table_index(d, to) : -1;
            if (ti < 0)
                continue;
            if (nfk == cap) {
                cap = cap ? cap * 2 : 32;
                struct fk *n = realloc(fks, cap * sizeof(*n));
                if (!n) {
                    e = nomem(d);
                    goto out;
                }
                fks = n;
            }
            fks[nfk].from_table = (int)i;
            fks[nfk].to_table = ti;
            fks[nfk].run_id = from && strcmp(from, "run_id") == 0;
            nfk++;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            e = db_fail(d, "cannot read the foreign keys");
            goto out;
        }
    }
    for (size_t i = 0; i < d->n_tables; i++) {
        struct db_table *t = &d->tables[i];
        t->is_run_table = strcmp(t->name, "runs") == 0 || ends_with(t->name, "_runs");
        t->run_table = -1;
    }
    for (size_t k = 0; k < nfk; k++)
        if (fks[k].run_id)
            d->tables[fks[k].to_table].is_run_table = true;
    for (size_t i = 0; i < d->n_tables; i++)
        if (d->tables[i].is_run_table)
            d->tables[i].run_table = (int)i;
    for (size_t k = 0; k < nfk; k++)
        if (fks[k].run_id && d->tables[fks[k].from_table].run_table < 0)
            d->tables[fks[k].from_table].run_table = fks[k].to_table;
    /* Through other references, to a fixed point (at most n rounds). */
    for (size_t round = 0; round < d->n_tables; round++) {
        bool changed = false;
        for (size_t k = 0; k < nfk; k++) {
            struct db_table *from = &d->tables[fks[k].from_table];
            int via = d->tables[fks[k].to_table].run_table;
            if (from->run_table < 0 && via >= 0) {
                from->run_table = via;
                changed = true;
            }
        }
        if (!changed)
            break;
    }
    /* Last, by name: "<prefix>_x" belongs to "<prefix>_runs". */
    for (size_t i = 0; i < d->n_tables; i++) {
        struct db_table *t = &d->tables[i];
        const char *us = strchr(t->name, '_');
        if (t->run_table >= 0 || !us)
            continue;
        char name[160];
        int n = snprintf(name, sizeof(name), "%.*s_runs", (int)(us - t->name), t->name);
        if (n > 0 && (size_t)n < sizeof(name)) {
            int ri = table_index(d, name);
            if (ri >= 0 && d->tables[ri].is_run_table)
                t->run_table = ri;
        }
    }
    for (size_t i = 0; i < d->n_tables && e == V6M_OK; i++)
        if (d->tables[i].is_run_table)
            e = time_expr(d, &d->tables[i]);
out:
    sqlite3_finalize(st);
    free(fks);
    return e;
}

v6m_err db_scan(v6m_db *d)
{
    db_arena_free(&d->schema);
    d->tables = NULL;
    d->n_tables = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db,
                           "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                           "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, "cannot read the schema");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (d->n_tables == cap) {
            cap = cap ? cap * 2 : 32;
            struct db_table *n = db_arena_alloc(&d->schema, cap * sizeof(*n));
            if (!n) {
                sqlite3_finalize(st);
                return nomem(d);
            }
            if (d->n_tables)
                memcpy(n, d->tables, d->n_tables * sizeof(*n));
            d->tables = n;
        }
        struct db_table *t = &d->tables[d->n_tables];
        memset(t, 0, sizeof(*t));
        t->name = db_arena_strdup(&d->schema, (const char *)sqlite3_column_text(st, 0));
        t->quoted = t->name ? quote_ident(&d->schema, t->name) : NULL;
        if (!t->name || !t->quoted) {
            sqlite3_finalize(st);
            return nomem(d);
        }
        d->n_tables++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(d, "cannot read the schema");
    for (size_t i = 0; i < d->n_tables; i++) {
        v6m_err e = scan_columns(d, &d->tables[i]);
        if (e != V6M_OK)
            return e;
    }
    return scan_links(d);
}

/* ---- open / close ------------------------------------------------------------------ */

void v6m_db_close(v6m_db *d)
{
    if (!d)
        return;
    db_arena_free(&d->schema);
    db_arena_free(&d->info_arena);
    db_arena_free(&d->prune_arena);
    sqlite3_close_v2(d->db);
    free(d->path);
    free(d);
}

const char *v6m_db_errmsg(const v6m_db *d)
{
    return d->err.msg;
}

static const char *strip_scheme(const char *loc)
{
    if (strncmp(loc, "sqlite:", 7) == 0) {
        loc += 7;
        if (strncmp(loc, "//", 2) == 0)
            loc += 2;
    }
    return loc;
}

static v6m_err open_fail(v6m_db *d, struct errbuf *err, v6m_err code)
{
    *err = d->err;
    err->code = code;
    v6m_db_close(d);
    return code;
}

v6m_err v6m_db_open(const char *location, bool write, v6m_db **out, char *errbuf,
                    size_t errlen)
{
    struct errbuf err;
    errbuf_clear(&err);
    *out = NULL;
    v6m_err e = V6M_OK;
    if (!location || !location[0]) {
        e = errbuf_set(&err, V6M_ERR_INVALID_ARG, "no database given");
        goto fail;
    }
    if (strstr(location, "://") && strncmp(location, "sqlite://", 9) != 0) {
        e = errbuf_set(&err, V6M_ERR_UNSUPPORTED,
                       "'%s': only SQLite databases (PATH or sqlite:PATH) can be "
                       "administered", location);
        goto fail;
    }
    const char *path = strip_scheme(location);
    struct stat sb;
    if (!path[0]) {
        e = errbuf_set(&err, V6M_ERR_INVALID_ARG, "empty path in '%s'", location);
        goto fail;
    }
    if (stat(path, &sb) != 0) {
        e = errbuf_set(&err, errno == ENOENT ? V6M_ERR_NOT_FOUND : V6M_ERR_IO,
                       "cannot open database '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) {
        e = errbuf_set(&err, V6M_ERR_IO, "cannot open database '%s': not a regular file", path);
        goto fail;
    }
    v6m_db *d = calloc(1, sizeof(*d));
    size_t n = strlen(path);
    if (d)
        d->path = malloc(n + 1);
    if (!d || !d->path) {
        free(d);
        e = errbuf_set(&err, V6M_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(d->path, path, n + 1);
    d->write = write;
    errbuf_clear(&d->err);
    /* Read-write even for reading (SQLite falls back to read-only for a
     * write-protected file): a read-only connection cannot remove the
     * -wal and -shm files it makes on a WAL database, so they would stay
     * behind after every `db info`. query_only keeps a reading handle from
     * changing anything. */
    if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        errbuf_set(&d->err, V6M_ERR_DB, "cannot open database '%s': %s", path,
                   d->db ? sqlite3_errmsg(d->db) : "out of memory");
        e = open_fail(d, &err, V6M_ERR_DB);
        goto fail;
    }
    sqlite3_extended_result_codes(d->db, 1);
    sqlite3_busy_timeout(d->db, 5000);
    if (!write && sqlite3_exec(d->db, "PRAGMA query_only = ON", NULL, NULL, NULL) != SQLITE_OK) {
        db_fail(d, "cannot open it for reading only");
        e = open_fail(d, &err, V6M_ERR_DB);
        goto fail;
    }
    /* The first read of the file: "file is not a database" shows here. */
    int64_t v = 0, ntab = 0;
    if (q_i64(d->db, "PRAGMA user_version", &v) != SQLITE_OK ||
        q_i64(d->db, "SELECT count(*) FROM sqlite_master", &ntab) != SQLITE_OK) {
        errbuf_set(&d->err, V6M_ERR_DB, "cannot open database '%s': %s", path,
                   sqlite3_errmsg(d->db));
        e = open_fail(d, &err, V6M_ERR_DB);
        goto fail;
    }
    d->version = (int)v;
    int supported = store_sqlite_schema_version();
    if (write && (v > supported || v < 0)) {
        if (v < 0)
            errbuf_set(&d->err, V6M_ERR_DB, "database '%s' has a bad schema version %lld",
                       path, (long long)v);
        else
            errbuf_set(&d->err, V6M_ERR_DB,
                       "database '%s' has schema version %lld, newer than this v6mon "
                       "supports (%d): use a newer v6mon to change it",
                       path, (long long)v, supported);
        e = open_fail(d, &err, V6M_ERR_DB);
        goto fail;
    }
    if (write) {
        int64_t fk = 0;
        if (sqlite3_exec(d->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK ||
            q_i64(d->db, "PRAGMA foreign_keys", &fk) != SQLITE_OK) {
            db_fail(d, "cannot switch foreign keys on");
            e = open_fail(d, &err, V6M_ERR_DB);
            goto fail;
        }
        if (fk != 1) {
            errbuf_set(&d->err, V6M_ERR_DB,
                       "database '%s': foreign keys cannot be switched on (SQLite built "
                       "without them?): deleting runs would leave their rows behind", path);
            e = open_fail(d, &err, V6M_ERR_DB);
            goto fail;
        }
    }
    if (db_scan(d) != V6M_OK) {
        e = open_fail(d, &err, d->err.code);
        goto fail;
    }
    *out = d;
    return V6M_OK;
fail:
    errbuf_export(&err, errbuf, errlen);
    return e;
}

/* ---- info --------------------------------------------------------------------------- */

/* Tool versions of the runs of one kind (kind NULL: all rows). */
static v6m_err kind_versions(v6m_db *d, const struct db_table *t, const char *kind,
                             struct v6m_db_run_kind *k)
{
    if (!t->has_tool_version)
        return V6M_OK;
    char *sql = aprintf(&d->info_arena,
                        "SELECT coalesce(tool_version, ''), count(*) FROM %s %s "
                        "GROUP BY 1 ORDER BY 2 DESC, 1",
                        t->quoted, kind ? "WHERE kind IS ?1" : "");
    if (!sql)
        return nomem(d);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, "cannot read the tool versions");
    if (kind)
        sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    struct v6m_db_tool_version *v = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct v6m_db_tool_version *nv = db_arena_alloc(&d->info_arena, cap * sizeof(*nv));
            if (!nv) {
                sqlite3_finalize(st);
                return nomem(d);
            }
            if (n)
                memcpy(nv, v, n * sizeof(*nv));
            v = nv;
        }
        v[n].version = db_arena_strdup(&d->info_arena, (const char *)sqlite3_column_text(st, 0));
        v[n].runs = sqlite3_column_int64(st, 1);
        if (!v[n].version) {
            sqlite3_finalize(st);
            return nomem(d);
        }
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_fail(d, "cannot read the tool versions");
    k->versions = v;
    k->n_versions = n;
    return V6M_OK;
}

static const char *kind_of_table(struct db_arena *a, const char *name)
{
    if (strcmp(name, "runs") == 0)
        return "traffic"; /* a runs table without a kind column */
    if (ends_with(name, "_runs")) {
        char *k = db_arena_strdup(a, name);
        if (k)
            k[strlen(k) - 5] = '\0';
        return k;
    }
    return db_arena_strdup(a, name);
}

static v6m_err run_kinds(v6m_db *d, struct v6m_db_info *info)
{
    struct v6m_db_run_kind *ks = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < d->n_tables; i++) {
        const struct db_table *t = &d->tables[i];
        if (!t->is_run_table)
            continue;
        const char *texpr = t->time_expr ? t->time_expr : "NULL";
        char *sql = aprintf(&d->info_arena,
                            "SELECT K, count(*), count(T), min(T), max(T) FROM "
                            "(SELECT %s AS K, %s AS T FROM %s) GROUP BY 1 ORDER BY 1",
                            t->has_kind ? "kind" : "NULL", texpr, t->quoted);
        if (!sql)
            return nomem(d);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
            return db_fail(d, "cannot count the runs");
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                struct v6m_db_run_kind *nk = db_arena_alloc(&d->info_arena, cap * sizeof(*nk));
                if (!nk) {
                    sqlite3_finalize(st);
                    return nomem(d);
                }
                if (n)
                    memcpy(nk, ks, n * sizeof(*nk));
                ks = nk;
            }
            struct v6m_db_run_kind *k = &ks[n];
            memset(k, 0, sizeof(*k));
            bool kind_null = sqlite3_column_type(st, 0) == SQLITE_NULL;
            const char *kind = kind_null ? NULL : (const char *)sqlite3_column_text(st, 0);
            k->kind = kind ? db_arena_strdup(&d->info_arena, kind)
                           : kind_of_table(&d->info_arena, t->name);
            k->table = t->name;
            k->runs = sqlite3_column_int64(st, 1);
            k->timed = t->time_expr != NULL;
            k->runs_timed = sqlite3_column_int64(st, 2);
            k->time_columns = t->time_cols ? t->time_cols : "";
            if (k->runs_timed) {
                k->first_s = (int64_t)floor(sqlite3_column_double(st, 3));
                k->last_s = (int64_t)floor(sqlite3_column_double(st, 4));
            }
            if (!k->kind) {
                sqlite3_finalize(st);
                return nomem(d);
            }
            v6m_err e = kind_versions(d, t, t->has_kind ? kind : NULL, k);
            if (e != V6M_OK) {
                sqlite3_finalize(st);
                return e;
            }
            n++;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return db_fail(d, "cannot count the runs");
        if (n && ks[n - 1].table == t->name)
            continue;
        /* An empty run table is a kind with no runs. */
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            struct v6m_db_run_kind *nk = db_arena_alloc(&d->info_arena, cap * sizeof(*nk));
            if (!nk)
                return nomem(d);
            if (n)
                memcpy(nk, ks, n * sizeof(*nk));
            ks = nk;
        }
        memset(&ks[n], 0, sizeof(ks[n]));
        ks[n].kind = kind_of_table(&d->info_arena, t->name);
        ks[n].table = t->name;
        ks[n].timed = t->time_expr != NULL;
        ks[n].time_columns = t->time_cols ? t->time_cols : "";
        if (!ks[n].kind)
            return nomem(d);
        n++;
    }
    info->kinds = ks;
    info->n_kinds = n;
    return V6M_OK;
}

v6m_err v6m_db_info(v6m_db *d, bool quick_check, const struct v6m_db_info **out)
{
    errbuf_clear(&d->err);
    *out = NULL;
    db_arena_free(&d->info_arena);
    v6m_err e = db_scan(d);
    if (e != V6M_OK)
        return e;
    struct v6m_db_info *info = db_arena_alloc(&d->info_arena, sizeof(*info));
    if (!info)
        return nomem(d);
    info->path = d->path;
    info->file_bytes = file_size(d->path);
    info->wal_bytes = wal_size(d->path);
    int64_t v = 0;
    if (q_i64(d->db, "PRAGMA user_version", &v) != SQLITE_OK)
        return db_fail(d, "cannot read the schema version");
    info->version = (int)v;
    info->version_supported = store_sqlite_schema_version();

    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, "cannot read the journal mode");
    if (sqlite3_step(st) == SQLITE_ROW)
        info->journal_mode =
            db_arena_strdup(&d->info_arena, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!info->journal_mode)
        info->journal_mode = "";

    struct v6m_db_table *tabs = db_arena_alloc(&d->info_arena,
                                               (d->n_tables ? d->n_tables : 1) * sizeof(*tabs));
    if (!tabs)
        return nomem(d);
    for (size_t i = 0; i < d->n_tables; i++) {
        const struct db_table *t = &d->tables[i];
        char *sql = aprintf(&d->info_arena, "SELECT count(*) FROM %s", t->quoted);
        if (!sql)
            return nomem(d);
        if (q_i64(d->db, sql, &tabs[i].rows) != SQLITE_OK) {
            char what[200];
            snprintf(what, sizeof(what), "cannot count the rows of '%s'", t->name);
            return db_fail(d, what);
        }
        tabs[i].name = t->name;
        tabs[i].n_columns = t->n_cols;
        tabs[i].has_run_id = t->has_run_id;
        tabs[i].is_run_table = t->is_run_table;
        tabs[i].run_table = t->run_table >= 0 ? d->tables[t->run_table].name : NULL;
    }
    info->tables = tabs;
    info->n_tables = d->n_tables;
    e = run_kinds(d, info);
    if (e != V6M_OK)
        return e;
    if (quick_check) {
        if (sqlite3_prepare_v2(d->db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK)
            return db_fail(d, "cannot check the database");
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            info->check = db_arena_strdup(&d->info_arena,
                                          (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) {
            /* A damaged file may fail the check itself: that is its answer. */
            info->check = db_arena_strdup(&d->info_arena, sqlite3_errmsg(d->db));
        }
        if (!info->check)
            return nomem(d);
    }
    *out = info;
    return V6M_OK;
}

/* ---- prune ----------------------------------------------------------------------------- */

static v6m_err count_rows(v6m_db *d, int64_t *counts)
{
    for (size_t i = 0; i < d->n_tables; i++) {
        char *sql = aprintf(&d->prune_arena, "SELECT count(*) FROM %s", d->tables[i].quoted);
        if (!sql)
            return nomem(d);
        if (q_i64(d->db, sql, &counts[i]) != SQLITE_OK) {
            char what[200];
            snprintf(what, sizeof(what), "cannot count the rows of '%s'", d->tables[i].name);
            return db_fail(d, what);
        }
    }
    return V6M_OK;
}

/* Delete the old runs of one run table. */
static v6m_err prune_runs(v6m_db *d, const struct db_table *t, int64_t before_s,
                          struct v6m_db_prune_runs *r)
{
    int64_t total = 0;
    char *sql = aprintf(&d->prune_arena, "SELECT count(*) FROM %s", t->quoted);
    if (!sql)
        return nomem(d);
    if (q_i64(d->db, sql, &total) != SQLITE_OK)
        return db_fail(d, "cannot count the runs");
    r->table = t->name;
    r->time_columns = t->time_cols ? t->time_cols : "";
    if (!t->time_expr) {
        r->untimed = r->kept = total;
        return V6M_OK;
    }
    sql = aprintf(&d->prune_arena, "SELECT count(*) FROM %s WHERE (%s) IS NULL", t->quoted,
                  t->time_expr);
    if (!sql)
        return nomem(d);
    if (q_i64(d->db, sql, &r->untimed) != SQLITE_OK)
        return db_fail(d, "cannot count the runs");
    sql = aprintf(&d->prune_arena, "DELETE FROM %s WHERE (%s) < ?1", t->quoted, t->time_expr);
    if (!sql)
        return nomem(d);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(d->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(d, "cannot delete runs");
    sqlite3_bind_int64(st, 1, before_s);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        char what[200];
        snprintf(what, sizeof(what), "cannot delete the old runs of '%s'", t->name);
        return db_fail(d, what);
    }
    /* Only the rows of this statement (cascades are not counted here). */
    r->deleted = sqlite3_changes64(d->db);
    r->kept = total - r->deleted;
    return V6M_OK;
}

v6m_err v6m_db_prune(v6m_db *d, const struct v6m_db_prune_opts *o,
                     const struct v6m_db_prune_result **out)
{
    errbuf_clear(&d->err);
    *out = NULL;
    db_arena_free(&d->prune_arena);
    if (!o)
        return errbuf_set(&d->err, V6M_ERR_INVALID_ARG, "no prune options given");
    if (!d->write)
        return errbuf_set(&d->err, V6M_ERR_INVALID_ARG,
                          "database '%s' was opened read-only: cannot prune", d->path);
    int64_t fk = 0;
    if (q_i64(d->db, "PRAGMA foreign_keys", &fk) != SQLITE_OK || fk != 1)
        return errbuf_set(&d->err, V6M_ERR_DB,
                          "database '%s': foreign keys are off: refusing to prune", d->path);
    v6m_err e = db_scan(d);
    if (e != V6M_OK)
        return e;
    struct v6m_db_prune_result *res = db_arena_alloc(&d->prune_arena, sizeof(*res));
    size_t nt = d->n_tables ? d->n_tables : 1;
    int64_t *before = db_arena_alloc(&d->prune_arena, nt * sizeof(*before));
    int64_t *after = db_arena_alloc(&d->prune_arena, nt * sizeof(*after));
    struct v6m_db_prune_table *tabs = db_arena_alloc(&d->prune_arena, nt * sizeof(*tabs));
    struct v6m_db_prune_runs *runs = db_arena_alloc(&d->prune_arena, nt * sizeof(*runs));
    if (!res || !before || !after || !tabs || !runs)
        return nomem(d);
    res->before_s = o->before_s;
    res->dry_run = o->dry_run;
    res->bytes_before = file_size(d->path) + wal_size(d->path);

    if (sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(d, "cannot start the prune transaction");
    e = count_rows(d, before);
    size_t nr = 0;
    for (size_t i = 0; e == V6M_OK && i < d->n_tables; i++)
        if (d->tables[i].is_run_table)
            e = prune_runs(d, &d->tables[i], o->before_s, &runs[nr++]);
    if (e == V6M_OK)
        e = count_rows(d, after);
    if (e != V6M_OK) {
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        return e;
    }
    for (size_t i = 0; i < d->n_tables; i++) {
        tabs[i].name = d->tables[i].name;
        tabs[i].rows_before = before[i];
        tabs[i].deleted = before[i] - after[i];
        res->rows_deleted += tabs[i].deleted;
    }
    res->tables = tabs;
    res->n_tables = d->n_tables;
    res->runs = runs;
    res->n_runs = nr;
    if (o->dry_run) {
        if (sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
            return db_fail(d, "cannot roll the dry run back");
        res->bytes_after = res->bytes_before;
        *out = res;
        return V6M_OK;
    }
    if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        e = db_fail(d, "cannot commit the prune");
        sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        return e;
    }
    if (o->vacuum && res->rows_deleted > 0) {
        if (sqlite3_exec(d->db, "VACUUM", NULL, NULL, NULL) != SQLITE_OK)
            res->vacuum_error = aprintf(&d->prune_arena, "VACUUM failed: %s",
                                        sqlite3_errmsg(d->db));
        else
            res->vacuumed = true;
        /* Fold the WAL back so the file size shows the result. */
        sqlite3_exec(d->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    }
    res->bytes_after = file_size(d->path) + wal_size(d->path);
    *out = res;
    return V6M_OK;
}
