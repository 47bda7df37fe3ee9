/*
 * cli/cmd_db.c - `v6mon db info|export|prune`: look into a store file,
 * write its tables out, delete old runs (docs/commands/db.md is the help
 * page; docs/store.md the schema).
 *
 * Wiring only: the library's v6m_db_* (v6mon/store.h) reads the schema
 * from the file, counts, exports and prunes; this file parses options,
 * turns AGE / DATE into a cut-off time, maps --run KIND:ID to a run table
 * and prints (text or JSON) what the library returned.
 *
 * --run ID and run tables: traffic runs (runs), probe runs (probe_runs)
 * and kpi runs (kpi_runs) number their ids separately, so "run 3" may
 * exist in several. A single table belongs to one run table, so ID is
 * unambiguous there; `export --all --run ID` looks the id up in every run
 * table and asks for KIND:ID when more than one has it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <v6mon/parse.h>
#include <v6mon/store.h>

#include "cli.h"

/* ---- small helpers ------------------------------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static char *utc_text(int64_t s, char *buf, size_t n)
{
    struct tm tm;
    time_t t = (time_t)s;
    if (!gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "%lld", (long long)s);
    return buf;
}

static char *human_bytes(uint64_t b, char *buf, size_t n)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%llu B", (unsigned long long)b);
    else
        snprintf(buf, n, "%.1f %s", v, units[u]);
    return buf;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    if (!s || !*s || *s == '+' || *s == ' ')
        return false;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

enum out_format { OUT_TEXT, OUT_JSON };

static bool parse_out_format(const char *s, enum out_format *f)
{
    if (strcmp(s, "text") == 0)
        *f = OUT_TEXT;
    else if (strcmp(s, "json") == 0)
        *f = OUT_JSON;
    else
        return false;
    return true;
}

static int open_db(const char *path, bool write, v6m_db **db)
{
    char eb[600];
    if (v6m_db_open(path, write, db, eb, sizeof(eb)) != V6M_OK) {
        cli_error("%s", eb);
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

/* ---- info ---------------------------------------------------------------------------------- */

static const char *version_state(const struct v6m_db_info *in)
{
    if (in->version == in->version_supported)
        return "current";
    if (in->version > in->version_supported)
        return "newer";
    return "older";
}

static void info_text(const struct v6m_db_info *in)
{
    char b1[32], t1[32], t2[32];
    uint64_t total = in->file_bytes + in->wal_bytes;
    printf("database  %s\n", in->path);
    printf("size      %s (file %llu bytes, WAL %llu bytes)\n", human_bytes(total, b1, sizeof(b1)),
           (unsigned long long)in->file_bytes, (unsigned long long)in->wal_bytes);
    printf("schema    version %d; this v6mon writes version %d", in->version,
           in->version_supported);
    if (in->version < in->version_supported)
        printf(" (older: migrated when v6mon next writes to it)\n");
    else if (in->version > in->version_supported)
        printf(" (newer: this v6mon only reads it)\n");
    else
        printf(" (current)\n");
    printf("journal   %s\n", in->journal_mode);
    if (in->check)
        printf("check     %s\n", in->check);

    printf("\nruns\n");
    if (!in->n_kinds)
        printf("  (no run tables)\n");
    else
        printf("  %-10s %-12s %8s  %-20s  %-20s  %s\n", "kind", "table", "runs", "first",
               "last", "tool versions");
    for (size_t i = 0; i < in->n_kinds; i++) {
        const struct v6m_db_run_kind *k = &in->kinds[i];
        const char *first = "-", *last = "-";
        if (k->runs_timed) {
            first = utc_text(k->first_s, t1, sizeof(t1));
            last = utc_text(k->last_s, t2, sizeof(t2));
        }
        printf("  %-10s %-12s %8lld  %-20s  %-20s  ", k->kind, k->table, (long long)k->runs,
               first, last);
        if (!k->n_versions)
            printf("-");
        for (size_t v = 0; v < k->n_versions; v++)
            printf("%s%s (%lld)", v ? ", " : "",
                   k->versions[v].version[0] ? k->versions[v].version : "''",
                   (long long)k->versions[v].runs);
        if (k->runs > k->runs_timed)
            printf("  [%lld without a time]", (long long)(k->runs - k->runs_timed));
        printf("\n");
    }

    printf("\ntables\n");
    if (!in->n_tables)
        printf("  (no tables)\n");
    else
        printf("  %-24s %12s  %s\n", "table", "rows", "runs in");
    for (size_t i = 0; i < in->n_tables; i++) {
        const struct v6m_db_table *t = &in->tables[i];
        printf("  %-24s %12lld  %s\n", t->name, (long long)t->rows,
               t->is_run_table ? "(run table)" : t->run_table ? t->run_table : "-");
    }
}

static void info_json(const struct v6m_db_info *in)
{
    char t[32];
    printf("{\"path\":");
    json_str(stdout, in->path);
    printf(",\"file_bytes\":%llu,\"wal_bytes\":%llu,\"schema_version\":%d,"
           "\"schema_version_supported\":%d,\"schema_state\":\"%s\",\"journal_mode\":",
           (unsigned long long)in->file_bytes, (unsigned long long)in->wal_bytes, in->version,
           in->version_supported, version_state(in));
    json_str(stdout, in->journal_mode);
    if (in->check) {
        printf(",\"check\":");
        json_str(stdout, in->check);
    }
    printf(",\n\"runs\":[");
    for (size_t i = 0; i < in->n_kinds; i++) {
        const struct v6m_db_run_kind *k = &in->kinds[i];
        printf("%s\n {\"kind\":", i ? "," : "");
        json_str(stdout, k->kind);
        printf(",\"table\":");
        json_str(stdout, k->table);
        printf(",\"runs\":%lld,\"runs_timed\":%lld,\"time_columns\":", (long long)k->runs,
               (long long)k->runs_timed);
        json_str(stdout, k->time_columns);
        if (k->runs_timed) {
            printf(",\"first_s\":%lld,\"first\":\"%s\"", (long long)k->first_s,
                   utc_text(k->first_s, t, sizeof(t)));
            printf(",\"last_s\":%lld,\"last\":\"%s\"", (long long)k->last_s,
                   utc_text(k->last_s, t, sizeof(t)));
        } else {
            printf(",\"first_s\":null,\"first\":null,\"last_s\":null,\"last\":null");
        }
        printf(",\"tool_versions\":[");
        for (size_t v = 0; v < k->n_versions; v++) {
            printf("%s{\"version\":", v ? "," : "");
            json_str(stdout, k->versions[v].version);
            printf(",\"runs\":%lld}", (long long)k->versions[v].runs);
        }
        printf("]}");
    }
    printf("],\n\"tables\":[");
    for (size_t i = 0; i < in->n_tables; i++) {
        const struct v6m_db_table *t = &in->tables[i];
        printf("%s\n {\"name\":", i ? "," : "");
        json_str(stdout, t->name);
        printf(",\"rows\":%lld,\"columns\":%zu,\"has_run_id\":%s,\"is_run_table\":%s,"
               "\"run_table\":",
               (long long)t->rows, t->n_columns, t->has_run_id ? "true" : "false",
               t->is_run_table ? "true" : "false");
        if (t->run_table)
            json_str(stdout, t->run_table);
        else
            printf("null");
        printf("}");
    }
    printf("]}\n");
}

static int db_info(int argc, char **argv)
{
    enum { OPT_FORMAT = 256, OPT_CHECK };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"check", no_argument, NULL, OPT_CHECK},
        {NULL, 0, NULL, 0},
    };
    enum out_format fmt = OUT_TEXT;
    bool check = false;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "f:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
        case OPT_FORMAT:
            if (!parse_out_format(optarg, &fmt))
                return cli_usage("db", "--format: '%s' is not text or json", optarg);
            break;
        case OPT_CHECK: check = true; break;
        default:
            return cli_usage("db", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage("db", argc - optind ? "one database only" : "no database given: "
                         "'v6mon db info DB'");
    v6m_db *db;
    if (open_db(argv[optind], false, &db) != EXIT_OK)
        return EXIT_ERROR;
    const struct v6m_db_info *in;
    if (v6m_db_info(db, check, &in) != V6M_OK) {
        cli_error("%s", v6m_db_errmsg(db));
        v6m_db_close(db);
        return EXIT_ERROR;
    }
    if (fmt == OUT_JSON)
        info_json(in);
    else
        info_text(in);
    int rc = EXIT_OK;
    if (in->check && strcmp(in->check, "ok") != 0) {
        cli_error("database '%s' failed its check: %s", in->path, in->check);
        rc = EXIT_ERROR;
    }
    v6m_db_close(db);
    return rc;
}

/* ---- export ---------------------------------------------------------------------------------- */

static bool file_sink(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len;
}

static bool count_sink(void *ctx, const char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return true;
}

/* --run [KIND:]ID */
struct run_sel {
    bool set;
    const char *kind; /* NULL when not given */
    char kindbuf[64];
    int64_t id;
};

static bool parse_run(const char *s, struct run_sel *r)
{
    const char *colon = strchr(s, ':');
    r->set = true;
    r->kind = NULL;
    if (colon) {
        size_t n = (size_t)(colon - s);
        if (n == 0 || n >= sizeof(r->kindbuf))
            return false;
        memcpy(r->kindbuf, s, n);
        r->kindbuf[n] = '\0';
        r->kind = r->kindbuf;
        s = colon + 1;
    }
    return parse_i64(s, &r->id);
}

/* The run table of a kind, or NULL. */
static const char *kind_table(const struct v6m_db_info *in, const char *kind)
{
    for (size_t i = 0; i < in->n_kinds; i++)
        if (strcmp(in->kinds[i].kind, kind) == 0)
            return in->kinds[i].table;
    /* A run table with no rows yet has no kind row: match by name. */
    for (size_t i = 0; i < in->n_tables; i++) {
        const struct v6m_db_table *t = &in->tables[i];
        size_t n = strlen(kind);
        if (t->is_run_table && strncmp(t->name, kind, n) == 0 && strcmp(t->name + n, "_runs") == 0)
            return t->name;
    }
    return NULL;
}

static const struct v6m_db_table *find_table(const struct v6m_db_info *in, const char *name)
{
    for (size_t i = 0; i < in->n_tables; i++)
        if (strcmp(in->tables[i].name, name) == 0)
            return &in->tables[i];
    return NULL;
}

static int export_one(v6m_db *db, const char *table, const struct v6m_db_export_opts *o,
                      const char *path, uint64_t *rows)
{
    FILE *f = stdout;
    if (path) {
        f = fopen(path, "wb");
        if (!f) {
            cli_error("cannot write '%s': %s", path, strerror(errno));
            return EXIT_ERROR;
        }
    }
    v6m_err e = v6m_db_export(db, table, o, file_sink, f, rows);
    bool bad = e != V6M_OK;
    if (bad)
        cli_error("%s%s%s", v6m_db_errmsg(db), e == V6M_ERR_IO ? ": " : "",
                  e == V6M_ERR_IO ? strerror(errno) : "");
    if (path) {
        if (fclose(f) != 0 && !bad) {
            cli_error("cannot write '%s': %s", path, strerror(errno));
            bad = true;
        }
        if (bad)
            remove(path);
    } else if (fflush(stdout) != 0 && !bad) {
        cli_error("cannot write the export: %s", strerror(errno));
        bad = true;
    }
    return bad ? EXIT_ERROR : EXIT_OK;
}

/* A file name for a table: anything but [A-Za-z0-9_.-] becomes '_'. */
static void table_file(char *buf, size_t n, const char *dir, const char *table, const char *ext)
{
    char safe[256];
    size_t i = 0;
    for (; table[i] && i + 1 < sizeof(safe); i++) {
        char c = table[i];
        bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-' || (c == '.' && i > 0);
        safe[i] = okc ? c : '_';
    }
    safe[i] = '\0';
    snprintf(buf, n, "%s/%s.%s", dir, safe, ext);
}

/* For --all --run: the one run table that holds the run. */
static int all_run_table(v6m_db *db, const struct v6m_db_info *in, const struct run_sel *r,
                         const char **out)
{
    if (r->kind) {
        *out = kind_table(in, r->kind);
        if (!*out) {
            cli_error("database '%s' has no %s runs", in->path, r->kind);
            return EXIT_ERROR;
        }
        return EXIT_OK;
    }
    const char *found[16];
    size_t nf = 0;
    char kinds[256] = "";
    for (size_t i = 0; i < in->n_tables; i++) {
        const struct v6m_db_table *t = &in->tables[i];
        if (!t->is_run_table)
            continue;
        struct v6m_db_export_opts o = {V6M_DB_JSONL, true, r->id};
        uint64_t n = 0;
        if (v6m_db_export(db, t->name, &o, count_sink, NULL, &n) != V6M_OK) {
            cli_error("%s", v6m_db_errmsg(db));
            return EXIT_ERROR;
        }
        if (n && nf < 16) {
            found[nf++] = t->name;
            size_t l = strlen(kinds);
            snprintf(kinds + l, sizeof(kinds) - l, "%s%s", l ? ", " : "", t->name);
        }
    }
    if (nf == 0) {
        cli_error("database '%s' has no run %lld", in->path, (long long)r->id);
        return EXIT_ERROR;
    }
    if (nf > 1) {
        cli_error("run %lld is in several run tables (%s): say which with --run KIND:%lld "
                  "(KIND as 'v6mon db info' lists it)",
                  (long long)r->id, kinds, (long long)r->id);
        return EXIT_USAGE;
    }
    *out = found[0];
    return EXIT_OK;
}

static int db_export(int argc, char **argv)
{
    enum { OPT_FORMAT = 256, OPT_RUN, OPT_ALL };
    static const struct option longopts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"run", required_argument, NULL, OPT_RUN},
        {"output", required_argument, NULL, 'o'},
        {"all", no_argument, NULL, OPT_ALL},
        {NULL, 0, NULL, 0},
    };
    struct v6m_db_export_opts o = {V6M_DB_JSON, false, 0};
    struct run_sel run = {0};
    const char *output = NULL;
    bool all = false;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "f:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'f':
        case OPT_FORMAT:
            if (!v6m_db_format_parse(optarg, &o.format))
                return cli_usage("db", "--format: '%s' is not json, jsonl or csv", optarg);
            break;
        case OPT_RUN:
            if (!parse_run(optarg, &run))
                return cli_usage("db", "--run: '%s' is not a run id (ID or KIND:ID)", optarg);
            break;
        case 'o': output = optarg; break;
        case OPT_ALL: all = true; break;
        default:
            return cli_usage("db", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    int npos = argc - optind;
    if (npos < 1)
        return cli_usage("db", "no database given: 'v6mon db export DB TABLE'");
    if (all && npos != 1)
        return cli_usage("db", "--all exports every table: no table name with it");
    if (!all && npos != 2)
        return cli_usage("db", npos < 2 ? "no table given: 'v6mon db export DB TABLE' "
                                          "(or --all --output DIR)"
                                        : "one table only (or --all --output DIR)");
    if (all && !output)
        return cli_usage("db", "--all needs --output DIR");

    v6m_db *db;
    if (open_db(argv[optind], false, &db) != EXIT_OK)
        return EXIT_ERROR;
    const struct v6m_db_info *in;
    if (v6m_db_info(db, false, &in) != V6M_OK) {
        cli_error("%s", v6m_db_errmsg(db));
        v6m_db_close(db);
        return EXIT_ERROR;
    }
    int rc = EXIT_OK;
    o.by_run = run.set;
    o.run_id = run.id;

    if (!all) {
        const char *table = argv[optind + 1];
        const struct v6m_db_table *t = find_table(in, table);
        if (t && run.kind) {
            const char *want = kind_table(in, run.kind);
            const char *have = t->is_run_table ? t->name : t->run_table;
            if (!want || !have || strcmp(want, have) != 0) {
                if (have)
                    cli_error("table '%s' does not hold %s runs (its runs are in %s)", table,
                              run.kind, have);
                else
                    cli_error("table '%s' does not hold %s runs", table, run.kind);
                v6m_db_close(db);
                return EXIT_ERROR;
            }
        }
        uint64_t rows = 0;
        rc = export_one(db, table, &o, output, &rows);
        v6m_db_close(db);
        return rc;
    }

    /* --all */
    const char *run_table = NULL;
    if (run.set && (rc = all_run_table(db, in, &run, &run_table)) != EXIT_OK) {
        v6m_db_close(db);
        return rc;
    }
    if (mkdir(output, 0777) != 0 && errno != EEXIST) {
        cli_error("cannot create directory '%s': %s", output, strerror(errno));
        v6m_db_close(db);
        return EXIT_ERROR;
    }
    struct stat sb;
    if (stat(output, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        cli_error("'%s' is not a directory", output);
        v6m_db_close(db);
        return EXIT_ERROR;
    }
    size_t written = 0, skipped = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < in->n_tables && rc == EXIT_OK; i++) {
        const struct v6m_db_table *t = &in->tables[i];
        if (run_table) {
            const char *belongs = t->is_run_table ? t->name : t->run_table;
            bool filterable = t->is_run_table || t->has_run_id;
            if (!belongs || strcmp(belongs, run_table) != 0 || !filterable) {
                skipped++;
                continue;
            }
        }
        char path[4096];
        table_file(path, sizeof(path), output, t->name, v6m_db_format_ext(o.format));
        uint64_t rows = 0;
        rc = export_one(db, t->name, &o, path, &rows);
        if (rc == EXIT_OK) {
            printf("%-24s %12llu  %s\n", t->name, (unsigned long long)rows, path);
            written++;
            total += rows;
        }
    }
    if (rc == EXIT_OK) {
        printf("%zu tables, %llu rows written to %s", written, (unsigned long long)total,
               output);
        if (run_table)
            printf(" (run %lld of %s; %zu tables of other runs or without run_id skipped)",
                   (long long)run.id, run_table, skipped);
        printf("\n");
    }
    v6m_db_close(db);
    return rc;
}

/* ---- prune ----------------------------------------------------------------------------------- */

/* AGE: digits and a unit s, m/min, h, d, w. */
static bool parse_age(const char *s, uint64_t *secs)
{
    size_t n = strlen(s);
    if (n < 2)
        return false;
    if (s[n - 1] == 'w') {
        char buf[32];
        if (n >= sizeof(buf))
            return false;
        memcpy(buf, s, n - 1);
        buf[n - 1] = 'd';
        buf[n] = '\0';
        uint64_t ns;
        if (!v6m_parse_duration(buf, &ns) || ns / 1000000000u > UINT64_MAX / 7)
            return false;
        *secs = ns / 1000000000u * 7;
        return true;
    }
    char last = s[n - 1];
    if (last >= '0' && last <= '9')
        return false; /* a unit is required: is "90" days or seconds? */
    uint64_t ns;
    if (!v6m_parse_duration(s, &ns))
        return false;
    *secs = ns / 1000000000u;
    return true;
}

/* YYYY-MM-DD (UTC midnight) or YYYY-MM-DDTHH:MM:SSZ. */
static bool parse_date(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, used = 0;
    size_t n = strlen(s);
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (n == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 || used != 10)
            return false;
    } else if (n == 20) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &used) != 6 ||
            used != 20)
            return false;
    } else {
        return false;
    }
    if (s[4] != '-' || s[7] != '-')
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    struct tm back;
    /* timegm normalises 2025-02-30 to March 2: refuse such dates. */
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_year != y - 1900 ||
        back.tm_mon != mo - 1 || back.tm_mday != d || back.tm_hour != h || back.tm_min != mi ||
        back.tm_sec != se)
        return false;
    *out = (int64_t)t;
    return true;
}

static void prune_text(const struct v6m_db_prune_result *r, const char *path, const char *age)
{
    char t[32], b1[32], b2[32];
    printf("%s runs that happened before %s", r->dry_run ? "would delete" : "deleted",
           utc_text(r->before_s, t, sizeof(t)));
    if (age)
        printf(" (older than %s)", age);
    printf(" from %s%s\n\n", path, r->dry_run ? " [dry run: nothing changed]" : "");
    printf("  %-22s %10s %10s %10s  %s\n", "run table", "deleted", "kept", "untimed", "time from");
    for (size_t i = 0; i < r->n_runs; i++) {
        const struct v6m_db_prune_runs *x = &r->runs[i];
        printf("  %-22s %10lld %10lld %10lld  %s\n", x->table, (long long)x->deleted,
               (long long)x->kept, (long long)x->untimed,
               x->time_columns[0] ? x->time_columns : "(no time column: kept)");
    }
    printf("\n  %-22s %10s %10s\n", "table", "rows", "deleted");
    size_t shown = 0;
    for (size_t i = 0; i < r->n_tables; i++) {
        const struct v6m_db_prune_table *x = &r->tables[i];
        if (!x->deleted)
            continue;
        printf("  %-22s %10lld %10lld\n", x->name, (long long)x->rows_before,
               (long long)x->deleted);
        shown++;
    }
    if (!shown)
        printf("  (no rows)\n");
    printf("\n%s %lld rows in %zu tables\n", r->dry_run ? "would delete" : "deleted",
           (long long)r->rows_deleted, shown);
    if (!r->dry_run)
        printf("size %s -> %s%s\n", human_bytes(r->bytes_before, b1, sizeof(b1)),
               human_bytes(r->bytes_after, b2, sizeof(b2)),
               r->vacuumed ? " (vacuumed)" : r->rows_deleted ? " (not vacuumed)" : "");
}

static void prune_json(const struct v6m_db_prune_result *r, const char *path)
{
    char t[32];
    printf("{\"path\":");
    json_str(stdout, path);
    printf(",\"before_s\":%lld,\"before\":\"%s\",\"dry_run\":%s,\"rows_deleted\":%lld,"
           "\"vacuumed\":%s,\"bytes_before\":%llu,\"bytes_after\":%llu",
           (long long)r->before_s, utc_text(r->before_s, t, sizeof(t)),
           r->dry_run ? "true" : "false", (long long)r->rows_deleted,
           r->vacuumed ? "true" : "false", (unsigned long long)r->bytes_before,
           (unsigned long long)r->bytes_after);
    if (r->vacuum_error) {
        printf(",\"vacuum_error\":");
        json_str(stdout, r->vacuum_error);
    }
    printf(",\n\"runs\":[");
    for (size_t i = 0; i < r->n_runs; i++) {
        const struct v6m_db_prune_runs *x = &r->runs[i];
        printf("%s\n {\"table\":", i ? "," : "");
        json_str(stdout, x->table);
        printf(",\"deleted\":%lld,\"kept\":%lld,\"untimed\":%lld,\"time_columns\":",
               (long long)x->deleted, (long long)x->kept, (long long)x->untimed);
        json_str(stdout, x->time_columns);
        printf("}");
    }
    printf("],\n\"tables\":[");
    for (size_t i = 0; i < r->n_tables; i++) {
        const struct v6m_db_prune_table *x = &r->tables[i];
        printf("%s\n {\"name\":", i ? "," : "");
        json_str(stdout, x->name);
        printf(",\"rows_before\":%lld,\"deleted\":%lld}", (long long)x->rows_before,
               (long long)x->deleted);
    }
    printf("]}\n");
}

static int db_prune(int argc, char **argv)
{
    enum { OPT_OLDER = 256, OPT_BEFORE, OPT_DRY, OPT_NO_VACUUM, OPT_FORMAT };
    static const struct option longopts[] = {
        {"older-than", required_argument, NULL, OPT_OLDER},
        {"before", required_argument, NULL, OPT_BEFORE},
        {"dry-run", no_argument, NULL, OPT_DRY},
        {"no-vacuum", no_argument, NULL, OPT_NO_VACUUM},
        {"format", required_argument, NULL, OPT_FORMAT},
        {NULL, 0, NULL, 0},
    };
    struct v6m_db_prune_opts o = {0, false, true};
    enum out_format fmt = OUT_TEXT;
    const char *age = NULL, *before = NULL;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "f:n", longopts, NULL)) != -1) {
        switch (ch) {
        case OPT_OLDER: age = optarg; break;
        case OPT_BEFORE: before = optarg; break;
        case 'n':
        case OPT_DRY: o.dry_run = true; break;
        case OPT_NO_VACUUM: o.vacuum = false; break;
        case 'f':
        case OPT_FORMAT:
            if (!parse_out_format(optarg, &fmt))
                return cli_usage("db", "--format: '%s' is not text or json", optarg);
            break;
        default:
            return cli_usage("db", "unknown option or missing value: %s", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage("db", argc - optind ? "one database only"
                                             : "no database given: 'v6mon db prune DB "
                                               "--older-than AGE'");
    if (!age == !before)
        return cli_usage("db", "say how old: --older-than AGE (e.g. 90d, 12h, 2w) or "
                               "--before YYYY-MM-DD, one of them");
    if (age) {
        uint64_t secs;
        if (!parse_age(age, &secs) || secs > (uint64_t)INT64_MAX / 2)
            return cli_usage("db", "--older-than: '%s' is not an age (a number and a unit: "
                                   "s, m, h, d, w; e.g. 90d)", age);
        o.before_s = (int64_t)time(NULL) - (int64_t)secs;
    } else if (!parse_date(before, &o.before_s)) {
        return cli_usage("db", "--before: '%s' is not a date YYYY-MM-DD (or "
                               "YYYY-MM-DDTHH:MM:SSZ, UTC)", before);
    }
    v6m_db *db;
    if (open_db(argv[optind], true, &db) != EXIT_OK)
        return EXIT_ERROR;
    const struct v6m_db_prune_result *r;
    if (v6m_db_prune(db, &o, &r) != V6M_OK) {
        cli_error("%s", v6m_db_errmsg(db));
        v6m_db_close(db);
        return EXIT_ERROR;
    }
    if (fmt == OUT_JSON)
        prune_json(r, argv[optind]);
    else
        prune_text(r, argv[optind], age);
    if (r->vacuum_error)
        cli_warning("%s (the runs are deleted; the file was not compacted)", r->vacuum_error);
    v6m_db_close(db);
    return EXIT_OK;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int cmd_db(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage("db", "what to do: 'v6mon db info DB', 'v6mon db export DB TABLE' or "
                               "'v6mon db prune DB --older-than AGE'");
    const char *sub = argv[1];
    if (strcmp(sub, "info") == 0)
        return db_info(argc - 1, argv + 1);
    if (strcmp(sub, "export") == 0)
        return db_export(argc - 1, argv + 1);
    if (strcmp(sub, "prune") == 0)
        return db_prune(argc - 1, argv + 1);
    return cli_usage("db", "'%s' is not info, export or prune", sub);
}
