/*
 * store/db_export.c - v6m_db_export(): one table of a store file as JSON,
 * JSON Lines or CSV, streamed through the caller's sink.
 *
 * Formats (docs/commands/db.md):
 *   json   "[\n" row ",\n" row ... "\n]\n": one JSON array (RFC 8259) of
 *          objects, one object per line, so the file is both a JSON value
 *          and greppable line by line; an empty table is "[\n]\n".
 *   jsonl  one object per line, "\n" after each (JSON Lines / NDJSON).
 *   csv    RFC 4180: a header line of the column names, then one line per
 *          row, every line ending in CRLF; a field is quoted when it holds
 *          a comma, a double quote, CR or LF, or is an empty text (so ""
 *          is the empty string and an empty unquoted field is NULL); a
 *          quote inside is doubled.
 * Object keys are the column names in table order. Values by storage
 * class: INTEGER -> decimal; REAL -> the shortest of %.15g, %.16g, %.17g
 * that reads back to the same double (JSON: null when not finite, CSV:
 * inf / -inf); TEXT -> as stored (JSON: escaped, bytes that are not
 * well-formed UTF-8 become \ufffd so the output is always valid JSON);
 * BLOB -> lowercase hex, as a JSON string; NULL -> null / empty field.
 *
 * Rows come in rowid order, or primary key order for WITHOUT ROWID tables,
 * so two exports of the same data are identical byte for byte.
 *
 * Output is gathered in a 64 KiB buffer and handed to the sink when full
 * and at the end; a sink that returns false stops the export.
 */
#include "store/db_admin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BUF (64 * 1024)

struct out {
    v6m_db_sink sink;
    void *ctx;
    bool failed;
    size_t n;
    char buf[OUT_BUF];
};

static void out_flush(struct out *o)
{
    if (o->n && !o->failed && !o->sink(o->ctx, o->buf, o->n))
        o->failed = true;
    o->n = 0;
}

static void out_put(struct out *o, const char *s, size_t n)
{
    while (n) {
        if (o->n == OUT_BUF)
            out_flush(o);
        size_t k = OUT_BUF - o->n < n ? OUT_BUF - o->n : n;
        memcpy(o->buf + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
    }
}

static void out_str(struct out *o, const char *s)
{
    out_put(o, s, strlen(s));
}

static void out_ch(struct out *o, char c)
{
    if (o->n == OUT_BUF)
        out_flush(o);
    o->buf[o->n++] = c;
}

/* ---- values ---------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0..n) (RFC 3629: no
 * overlongs, no surrogates, at most U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

static void json_string(struct out *o, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    out_ch(o, '"');
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x80) {
            size_t k = utf8_len(s + i, n - i);
            if (k) {
                out_put(o, (const char *)s + i, k);
                i += k;
            } else {
                out_str(o, "\\ufffd");
                i++;
            }
            continue;
        }
        switch (c) {
        case '"': out_str(o, "\\\""); break;
        case '\\': out_str(o, "\\\\"); break;
        case '\b': out_str(o, "\\b"); break;
        case '\f': out_str(o, "\\f"); break;
        case '\n': out_str(o, "\\n"); break;
        case '\r': out_str(o, "\\r"); break;
        case '\t': out_str(o, "\\t"); break;
        default:
            if (c < 0x20) {
                char u[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
                out_str(o, u);
            } else {
                out_ch(o, (char)c);
            }
        }
        i++;
    }
    out_ch(o, '"');
}

static void hex_bytes(struct out *o, const unsigned char *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out_ch(o, hex[b[i] >> 4]);
        out_ch(o, hex[b[i] & 15]);
    }
}

/* The shortest %.Ng (N = 15..17) that reads back as v. */
static void fmt_double(double v, char *buf, size_t n)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static bool csv_needs_quotes(const unsigned char *s, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

static void csv_text(struct out *o, const unsigned char *s, size_t n)
{
    if (!csv_needs_quotes(s, n)) {
        out_put(o, (const char *)s, n);
        return;
    }
    out_ch(o, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            out_ch(o, '"');
        out_ch(o, (char)s[i]);
    }
    out_ch(o, '"');
}

static void put_value(struct out *o, sqlite3_stmt *st, int col, bool csv)
{
    char num[40];
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_INTEGER:
        snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, col));
        out_str(o, num);
        break;
    case SQLITE_FLOAT: {
        double v = sqlite3_column_double(st, col);
        if (!isfinite(v)) {
            out_str(o, csv ? (v > 0 ? "inf" : v < 0 ? "-inf" : "") : "null");
            break;
        }
        fmt_double(v, num, sizeof(num));
        out_str(o, num);
        break;
    }
    case SQLITE_TEXT: {
        const unsigned char *t = sqlite3_column_text(st, col);
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        if (csv)
            csv_text(o, t ? t : (const unsigned char *)"", t ? n : 0);
        else
            json_string(o, t ? t : (const unsigned char *)"", t ? n : 0);
        break;
    }
    case SQLITE_BLOB: {
        const unsigned char *b = sqlite3_column_blob(st, col);
        size_t n = (size_t)sqlite3_column_bytes(st, col);
        if (csv) {
            if (n == 0)
                out_str(o, "\"\"");
            hex_bytes(o, b, n);
        } else {
            out_ch(o, '"');
            hex_bytes(o, b, n);
            out_ch(o, '"');
        }
        break;
    }
    default:
        if (!csv)
            out_str(o, "null");
        break;
    }
}

/* ---- export ------------------------------------------------------------------------ */

bool v6m_db_format_parse(const char *s, enum v6m_db_format *out)
{
    if (!s)
        return false;
    if (strcmp(s, "json") == 0)
        *out = V6M_DB_JSON;
    else if (strcmp(s, "jsonl") == 0 || strcmp(s, "ndjson") == 0)
        *out = V6M_DB_JSONL;
    else if (strcmp(s, "csv") == 0)
        *out = V6M_DB_CSV;
    else
        return false;
    return true;
}

const char *v6m_db_format_ext(enum v6m_db_format f)
{
    switch (f) {
    case V6M_DB_JSON: return "json";
    case V6M_DB_JSONL: return "jsonl";
    case V6M_DB_CSV: return "csv";
    }
    return "txt";
}

/* SELECT text for the table, its run filter and order. */
static char *select_sql(v6m_db *d, const struct db_table *t, bool by_run)
{
    const char *filter = "";
    if (by_run) {
        if (t->is_run_table)
            filter = t->has_id ? " WHERE \"id\" = ?1" : " WHERE rowid = ?1";
        else
            filter = " WHERE \"run_id\" = ?1";
    }
    const char *ob = t->order_by;
    size_t n = strlen(t->quoted) + strlen(filter) + (ob ? strlen(ob) : 0) + 40;
    char *sql = malloc(n);
    if (sql)
        snprintf(sql, n, "SELECT * FROM %s%s%s%s", t->quoted, filter, ob ? " ORDER BY " : "",
                 ob ? ob : "");
    return sql;
}

v6m_err v6m_db_export(v6m_db *d, const char *table, const struct v6m_db_export_opts *o,
                      v6m_db_sink sink, void *ctx, uint64_t *rows)
{
    errbuf_clear(&d->err);
    if (rows)
        *rows = 0;
    if (!table || !o || !sink)
        return errbuf_set(&d->err, V6M_ERR_INVALID_ARG, "no table, options or output given");
    const struct db_table *t = db_find_table(d, table);
    if (!t) {
        /* The schema may have grown since the handle opened. */
        v6m_err e = db_scan(d);
        if (e != V6M_OK)
            return e;
        t = db_find_table(d, table);
    }
    if (!t)
        return errbuf_set(&d->err, V6M_ERR_NOT_FOUND, "database '%s' has no table '%s'",
                          d->path, table);
    if (o->by_run && !t->is_run_table && !t->has_run_id)
        return errbuf_set(&d->err, V6M_ERR_INVALID_ARG,
                          "table '%s' has no run_id column: cannot select one run", t->name);
    if (o->by_run && t->is_run_table && !t->has_id && t->without_rowid)
        return errbuf_set(&d->err, V6M_ERR_INVALID_ARG,
                          "table '%s' has no id column: cannot select one run", t->name);

    char *sql = select_sql(d, t, o->by_run);
    if (!sql)
        return errbuf_set(&d->err, V6M_ERR_NOMEM, "out of memory");
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(d->db, sql, -1, &st, NULL);
    free(sql);
    if (rc != SQLITE_OK)
        return db_fail(d, "cannot read the table");
    if (o->by_run)
        sqlite3_bind_int64(st, 1, o->run_id);

    struct out *out = malloc(sizeof(*out));
    if (!out) {
        sqlite3_finalize(st);
        return errbuf_set(&d->err, V6M_ERR_NOMEM, "out of memory");
    }
    out->sink = sink;
    out->ctx = ctx;
    out->failed = false;
    out->n = 0;

    bool csv = o->format == V6M_DB_CSV;
    int ncol = sqlite3_column_count(st);
    if (csv) {
        for (int c = 0; c < ncol; c++) {
            const char *name = sqlite3_column_name(st, c);
            if (c)
                out_ch(out, ',');
            csv_text(out, (const unsigned char *)(name ? name : ""), name ? strlen(name) : 0);
        }
        out_str(out, "\r\n");
    } else if (o->format == V6M_DB_JSON) {
        out_str(out, "[\n");
    }
    uint64_t n = 0;
    while (!out->failed && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (csv) {
            for (int c = 0; c < ncol; c++) {
                if (c)
                    out_ch(out, ',');
                put_value(out, st, c, true);
            }
            out_str(out, "\r\n");
        } else {
            if (n && o->format == V6M_DB_JSON)
                out_str(out, ",\n");
            out_ch(out, '{');
            for (int c = 0; c < ncol; c++) {
                const char *name = sqlite3_column_name(st, c);
                if (c)
                    out_ch(out, ',');
                json_string(out, (const unsigned char *)(name ? name : ""),
                            name ? strlen(name) : 0);
                out_ch(out, ':');
                put_value(out, st, c, false);
            }
            out_ch(out, '}');
            if (o->format == V6M_DB_JSONL)
                out_ch(out, '\n');
        }
        n++;
    }
    v6m_err e = V6M_OK;
    if (out->failed) {
        e = errbuf_set(&d->err, V6M_ERR_IO, "cannot write the export of '%s'", t->name);
    } else if (rc != SQLITE_DONE) {
        char what[200];
        snprintf(what, sizeof(what), "cannot read table '%s'", t->name);
        e = db_fail(d, what);
    } else {
        if (o->format == V6M_DB_JSON)
            out_str(out, n ? "\n]\n" : "]\n");
        out_flush(out);
        if (out->failed)
            e = errbuf_set(&d->err, V6M_ERR_IO, "cannot write the export of '%s'", t->name);
    }
    sqlite3_finalize(st);
    free(out);
    if (rows)
        *rows = n;
    return e;
}
