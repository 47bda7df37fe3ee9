/*
 * report/indicators_conf.c - what the indicator layer reads besides the
 * database: the targets file, the I8 registry of "IPv6+" projects, the
 * window text of a query, and the UTC calendar arithmetic the windows
 * need.
 *
 * Calendar: days since 1970-01-01 <-> proleptic Gregorian (year, month,
 * day) in closed form over 400-year eras (146,097 days each; the year is
 * taken to start on 1 March so the leap day is the era-year's last day,
 * which makes the day-of-year formula 153-day-periodic). Exact for every
 * int64 day a window can hold; no libc time zone code, so nothing depends
 * on TZ. Checked in test_indicators against known epoch values.
 *
 * Targets file (docs/indicators.md, data/targets.conf): "key = value"
 * lines, '#' comments, keys case-insensitive. Shares are written as a
 * percentage ("70%") or a fraction ("0.7"); a bare number above 1 is an
 * error (is "70" 70% or 7000%?). Parsing fills a copy of the current
 * targets and replaces them only when the whole file is good.
 *
 * Registry (data/ipv6plus.csv): CSV read by classify/csv.h, header
 * name,field,status,evidence; status is one of planned, pilot, deployed,
 * retired. Files are read with a size cap and text is checked to be
 * UTF-8 without control characters (it ends up in HTML and JSON).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "classify/csv.h"
#include "report/indicators_int.h"
#include "util/strutil.h"

#define TARGETS_MAX_BYTES (1u << 20)
#define REGISTRY_MAX_BYTES (4u << 20)
#define REGISTRY_MAX_ROWS 10000

/* ---- UTC calendar ------------------------------------------------------------ */

int64_t ind_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0 .. 399 */
    int64_t doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0 .. 146096 */
    return era * 146097 + doe - 719468;
}

void ind_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t ind_day_floor(int64_t t)
{
    return floor_div(t, IND_DAY) * IND_DAY;
}

int64_t ind_month_floor(int64_t t)
{
    int64_t y;
    unsigned m, d;
    ind_civil_from_days(floor_div(t, IND_DAY), &y, &m, &d);
    return ind_days_from_civil(y, m, 1) * IND_DAY;
}

int64_t ind_month_next(int64_t month_start)
{
    int64_t y;
    unsigned m, d;
    ind_civil_from_days(floor_div(month_start, IND_DAY), &y, &m, &d);
    if (++m > 12) {
        m = 1;
        y++;
    }
    return ind_days_from_civil(y, m, 1) * IND_DAY;
}

char *ind_format_day(int64_t t, char *buf, size_t n)
{
    int64_t y;
    unsigned m, d;
    ind_civil_from_days(floor_div(t, IND_DAY), &y, &m, &d);
    snprintf(buf, n, "%04lld-%02u-%02u", (long long)y, m, d);
    return buf;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* ---- window text ------------------------------------------------------------- */

/* "YYYY-MM-DD" or "YYYY-MM" (want_day false) at s[0..len). */
static bool parse_date(const char *s, size_t len, bool want_day, int64_t *day)
{
    size_t need = want_day ? 10 : 7;
    if (len != need)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            return false;
    }
    int64_t y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    unsigned d = want_day ? (unsigned)((s[8] - '0') * 10 + (s[9] - '0')) : 1;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return false;
    *day = ind_days_from_civil(y, m, d);
    return true;
}

void v6m_ind_query_init(struct v6m_ind_query *q)
{
    memset(q, 0, sizeof(*q));
    q->window = V6M_IND_WINDOW_30D;
}

v6m_err v6m_ind_window_parse(struct v6m_ind_query *q, const char *text, char *errbuf,
                             size_t errlen)
{
    static const struct {
        const char *name;
        enum v6m_ind_window w;
    } names[] = {
        {"day", V6M_IND_WINDOW_DAY},
        {"month", V6M_IND_WINDOW_MONTH},
        {"30d", V6M_IND_WINDOW_30D},
        {"all", V6M_IND_WINDOW_ALL},
    };
    if (!text)
        text = "";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(text, names[i].name) == 0) {
            q->window = names[i].w;
            return V6M_OK;
        }
    size_t len = strlen(text);
    const char *dots = strstr(text, "..");
    int64_t a, b;
    if (dots) {
        if (parse_date(text, (size_t)(dots - text), true, &a) &&
            parse_date(dots + 2, len - (size_t)(dots - text) - 2, true, &b)) {
            if (b < a) {
                if (errbuf && errlen)
                    snprintf(errbuf, errlen, "window '%s': the last day is before the first",
                             text);
                return V6M_ERR_INVALID_ARG;
            }
            q->window = V6M_IND_WINDOW_RANGE;
            q->from_s = a * IND_DAY;
            q->to_s = (b + 1) * IND_DAY;
            return V6M_OK;
        }
    } else if (parse_date(text, len, true, &a)) {
        q->window = V6M_IND_WINDOW_RANGE;
        q->from_s = a * IND_DAY;
        q->to_s = (a + 1) * IND_DAY;
        return V6M_OK;
    } else if (parse_date(text, len, false, &a)) {
        q->window = V6M_IND_WINDOW_RANGE;
        q->from_s = a * IND_DAY;
        q->to_s = ind_month_next(q->from_s);
        return V6M_OK;
    }
    if (errbuf && errlen)
        snprintf(errbuf, errlen,
                 "window '%s': expected day, month, 30d, all, YYYY-MM-DD..YYYY-MM-DD, "
                 "YYYY-MM or YYYY-MM-DD (UTC dates from 1970)",
                 text);
    return V6M_ERR_INVALID_ARG;
}

/* ---- targets ------------------------------------------------------------------- */

static const char *const statuses[] = {"planned", "pilot", "deployed", "retired"};

static bool known_status(const char *s)
{
    for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
        if (strcmp(s, statuses[i]) == 0)
            return true;
    return false;
}

static void free_list(char **list, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free(list[i]);
    *n = 0;
}

void ind_targets_release(struct ind_targets *t)
{
    free_list(t->mobile, &t->n_mobile);
    free_list(t->metro, &t->n_metro);
    free_list(t->counted, &t->n_counted);
    free(t->source);
    t->source = NULL;
}

static bool list_add(char **list, size_t *n, size_t max, const char *s)
{
    if (*n >= max)
        return false;
    size_t l = strlen(s);
    char *c = malloc(l + 1);
    if (!c)
        return false;
    memcpy(c, s, l + 1);
    list[(*n)++] = c;
    return true;
}

bool ind_targets_default(struct ind_targets *t)
{
    memset(t, 0, sizeof(*t));
    /* The plan's 2024 targets (its indicator table; MISSION.md). */
    t->main[IND_I1] = 0.70;
    t->main[IND_I2] = 0.50;
    t->main[IND_I3] = 0.15;
    t->main[IND_I4] = 1.00;
    t->main[IND_I5] = 0.90;
    t->main[IND_I6] = 1.00;
    t->main[IND_I7] = 0.70;
    t->main[IND_I8] = 5;
    for (int i = 0; i < V6M_KPI_METRICS; i++)
        t->parity[i] = 1.0;
    t->cdn = 1.0;
    bool ok = list_add(t->mobile, &t->n_mobile, IND_MAX_SEGMENTS, "mobile") &&
              list_add(t->metro, &t->n_metro, IND_MAX_SEGMENTS, "metro") &&
              list_add(t->counted, &t->n_counted, IND_MAX_STATUSES, "pilot") &&
              list_add(t->counted, &t->n_counted, IND_MAX_STATUSES, "deployed");
    if (!ok)
        ind_targets_release(t);
    return ok;
}

static bool targets_copy(struct ind_targets *dst, const struct ind_targets *src)
{
    *dst = *src;
    dst->n_mobile = dst->n_metro = dst->n_counted = 0;
    dst->source = NULL;
    bool ok = true;
    for (size_t i = 0; ok && i < src->n_mobile; i++)
        ok = list_add(dst->mobile, &dst->n_mobile, IND_MAX_SEGMENTS, src->mobile[i]);
    for (size_t i = 0; ok && i < src->n_metro; i++)
        ok = list_add(dst->metro, &dst->n_metro, IND_MAX_SEGMENTS, src->metro[i]);
    for (size_t i = 0; ok && i < src->n_counted; i++)
        ok = list_add(dst->counted, &dst->n_counted, IND_MAX_STATUSES, src->counted[i]);
    if (!ok)
        ind_targets_release(dst);
    return ok;
}

bool ind_status_counted(const struct ind_targets *t, const char *status)
{
    for (size_t i = 0; i < t->n_counted; i++)
        if (strcmp(t->counted[i], status) == 0)
            return true;
    return false;
}

bool ind_segment_in(char *const *list, size_t n, const char *seg)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], seg) == 0)
            return true;
    return false;
}

/* A share: "70%", "70.5 %", "0.7". */
static bool parse_share(const char *v, double *out, const char **why)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno || !isfinite(x)) {
        *why = "is not a number";
        return false;
    }
    while (*end == ' ' || *end == '\t')
        end++;
    bool pct = *end == '%';
    if (pct)
        end++;
    if (*end) {
        *why = "has extra text after the number";
        return false;
    }
    if (pct)
        x /= 100.0;
    else if (x > 1.0) {
        *why = "is above 1: write a share as a fraction (0.7) or a percentage (70%)";
        return false;
    }
    if (x < 0 || x > 1.0) {
        *why = "is not between 0% and 100%";
        return false;
    }
    *out = x;
    return true;
}

static bool valid_segment_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 31 || !isalpha((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* A list of words (spaces, tabs or commas between) into list. */
static bool parse_words(char *v, char **list, size_t *n, size_t max, bool segments,
                        char *why, size_t whylen)
{
    free_list(list, n);
    char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != ',')
            p++;
        if (*p)
            *p++ = '\0';
        if (segments && !valid_segment_name(w)) {
            snprintf(why, whylen,
                     "invalid segment name '%.40s' (letters, digits, '_' and '-', starting "
                     "with a letter, at most 31 characters)",
                     w);
            return false;
        }
        if (!segments && !known_status(w)) {
            snprintf(why, whylen,
                     "unknown status '%.40s' (expected planned, pilot, deployed, retired)", w);
            return false;
        }
        if (ind_segment_in(list, *n, w))
            continue;
        if (!list_add(list, n, max, w)) {
            snprintf(why, whylen, "too many values (at most %zu)", max);
            return false;
        }
    }
    if (*n == 0) {
        snprintf(why, whylen, "needs at least one value");
        return false;
    }
    return true;
}

static bool apply_key(struct ind_targets *t, const char *key, char *val, char *why, size_t wl)
{
    const char *w = NULL;
    if (strlen(key) == 2 && (key[0] == 'i' || key[0] == 'I') && key[1] >= '1' && key[1] <= '8') {
        int i = key[1] - '1';
        if (i == IND_I8) {
            uint64_t n;
            if (!util_parse_u64(val, &n) || n > 1000000) {
                snprintf(why, wl, "I8 is a number of projects (a whole number)");
                return false;
            }
            t->main[i] = (double)n;
            return true;
        }
        if (!parse_share(val, &t->main[i], &w)) {
            snprintf(why, wl, "value '%.40s' %s", val, w);
            return false;
        }
        return true;
    }
    if (strcasecmp(key, "parity") == 0 || strncasecmp(key, "parity.", 7) == 0) {
        double x;
        if (!parse_share(val, &x, &w)) {
            snprintf(why, wl, "value '%.40s' %s", val, w);
            return false;
        }
        if (key[6] == '\0') {
            for (int i = 0; i < V6M_KPI_METRICS; i++)
                t->parity[i] = x;
            return true;
        }
        int m = v6m_kpi_metric_from_name(key + 7);
        if (m < 0) {
            snprintf(why, wl, "unknown kpi metric '%.40s' (see docs/kpi.md)", key + 7);
            return false;
        }
        t->parity[m] = x;
        return true;
    }
    if (strcasecmp(key, "cdn_coverage") == 0) {
        if (!parse_share(val, &t->cdn, &w)) {
            snprintf(why, wl, "value '%.40s' %s", val, w);
            return false;
        }
        return true;
    }
    if (strcasecmp(key, "mobile_segments") == 0)
        return parse_words(val, t->mobile, &t->n_mobile, IND_MAX_SEGMENTS, true, why, wl);
    if (strcasecmp(key, "metro_segments") == 0)
        return parse_words(val, t->metro, &t->n_metro, IND_MAX_SEGMENTS, true, why, wl);
    if (strcasecmp(key, "ipv6plus_counted") == 0)
        return parse_words(val, t->counted, &t->n_counted, IND_MAX_STATUSES, false, why, wl);
    snprintf(why, wl,
             "unknown key '%.40s' (expected I1..I8, parity, parity.METRIC, cdn_coverage, "
             "mobile_segments, metro_segments, ipv6plus_counted)",
             key);
    return false;
}

v6m_err v6m_indicators_parse_targets(v6m_indicators *ind, const char *text, size_t len,
                                     const char *name)
{
    struct ind_targets t;
    if (!name)
        name = "targets";
    if (!targets_copy(&t, &ind->targets))
        return errbuf_set(&ind->err, V6M_ERR_NOMEM, "out of memory");
    if (memchr(text, '\0', len)) {
        ind_targets_release(&t);
        return errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s: contains a NUL byte", name);
    }
    unsigned line = 0;
    size_t pos = 0;
    char buf[1024], why[256];
    while (pos < len) {
        line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (l >= sizeof(buf)) {
            ind_targets_release(&t);
            return errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s:%u: line too long", name, line);
        }
        memcpy(buf, text + pos, l);
        buf[l] = '\0';
        pos += l + (nl ? 1 : 0);
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = '\0';
        char *s = util_trim(buf);
        if (!*s)
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            ind_targets_release(&t);
            return errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s:%u: expected 'key = value'", name,
                              line);
        }
        *eq = '\0';
        char *key = util_trim(s), *val = util_trim(eq + 1);
        if (!*key || !*val) {
            ind_targets_release(&t);
            return errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s:%u: expected 'key = value'", name,
                              line);
        }
        if (!apply_key(&t, key, val, why, sizeof(why))) {
            ind_targets_release(&t);
            return errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s:%u: %s: %s", name, line, key, why);
        }
    }
    size_t nl = strlen(name);
    t.source = malloc(nl + 1);
    if (!t.source) {
        ind_targets_release(&t);
        return errbuf_set(&ind->err, V6M_ERR_NOMEM, "out of memory");
    }
    memcpy(t.source, name, nl + 1);
    ind_targets_release(&ind->targets);
    ind->targets = t;
    return V6M_OK;
}

v6m_err v6m_indicators_load_targets(v6m_indicators *ind, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    v6m_err e = csv_read_file(path, TARGETS_MAX_BYTES, &text, &len, &ind->err);
    if (e != V6M_OK)
        return e;
    e = v6m_indicators_parse_targets(ind, text, len, path);
    free(text);
    return e;
}

/* ---- registry ---------------------------------------------------------------- */

void ind_projects_free(struct ind_project *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++) {
        free(p[i].name);
        free(p[i].field);
        free(p[i].status);
        free(p[i].evidence);
    }
    free(p);
}

static char *dup_text(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (c)
        memcpy(c, s, n + 1);
    return c;
}

v6m_err v6m_indicators_parse_registry(v6m_indicators *ind, const char *text, size_t len,
                                      const char *name)
{
    static const char *const header[4] = {"name", "field", "status", "evidence"};
    if (!name)
        name = "registry";
    struct csv_reader r;
    struct csv_record rec;
    char msg[256];
    unsigned eline = 0;
    struct ind_project *list = NULL;
    size_t n = 0, cap = 0;
    v6m_err e = V6M_OK;
    bool seen_header = false;
    csv_init(&r, text, len);
    for (;;) {
        int rc = csv_next(&r, &rec, msg, sizeof(msg), &eline);
        if (rc == 0)
            break;
        if (rc < 0) {
            e = errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s:%u: %s", name, eline, msg);
            break;
        }
        if (rec.nfields != 4) {
            e = errbuf_set(&ind->err, V6M_ERR_CONFIG,
                           "%s:%u: expected 4 fields (name,field,status,evidence), got %u", name,
                           rec.line, rec.nfields);
            break;
        }
        bool text_ok = true;
        for (int i = 0; i < 4; i++)
            text_ok = text_ok && csv_valid_text(rec.field[i], strlen(rec.field[i]));
        if (!text_ok) {
            e = errbuf_set(&ind->err, V6M_ERR_CONFIG,
                           "%s:%u: text must be UTF-8 without control characters", name,
                           rec.line);
            break;
        }
        if (!seen_header) {
            for (int i = 0; i < 4; i++)
                if (strcasecmp(rec.field[i], header[i]) != 0) {
                    e = errbuf_set(&ind->err, V6M_ERR_CONFIG,
                                   "%s:%u: the first line must be the header "
                                   "name,field,status,evidence",
                                   name, rec.line);
                    break;
                }
            if (e != V6M_OK)
                break;
            seen_header = true;
            continue;
        }
        if (!rec.field[0][0] || !rec.field[1][0]) {
            e = errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s:%u: name and field must not be empty",
                           name, rec.line);
            break;
        }
        if (!known_status(rec.field[2])) {
            e = errbuf_set(&ind->err, V6M_ERR_CONFIG,
                           "%s:%u: unknown status '%.40s' (expected planned, pilot, deployed, "
                           "retired)",
                           name, rec.line, rec.field[2]);
            break;
        }
        if (n >= REGISTRY_MAX_ROWS) {
            e = errbuf_set(&ind->err, V6M_ERR_CONFIG, "%s: more than %u projects", name,
                           REGISTRY_MAX_ROWS);
            break;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct ind_project *nl = realloc(list, nc * sizeof(*nl));
            if (!nl) {
                e = errbuf_set(&ind->err, V6M_ERR_NOMEM, "out of memory");
                break;
            }
            list = nl;
            cap = nc;
        }
        struct ind_project *p = &list[n];
        p->name = dup_text(rec.field[0]);
        p->field = dup_text(rec.field[1]);
        p->status = dup_text(rec.field[2]);
        p->evidence = dup_text(rec.field[3]);
        n++;
        if (!p->name || !p->field || !p->status || !p->evidence) {
            e = errbuf_set(&ind->err, V6M_ERR_NOMEM, "out of memory");
            break;
        }
    }
    csv_release(&r);
    if (e == V6M_OK && !seen_header)
        e = errbuf_set(&ind->err, V6M_ERR_CONFIG,
                       "%s: empty (expected the header name,field,status,evidence)", name);
    char *src = e == V6M_OK ? dup_text(name) : NULL;
    if (e == V6M_OK && !src)
        e = errbuf_set(&ind->err, V6M_ERR_NOMEM, "out of memory");
    if (e != V6M_OK) {
        ind_projects_free(list, n);
        return e;
    }
    ind_projects_free(ind->projects, ind->n_projects);
    free(ind->registry_source);
    ind->projects = list;
    ind->n_projects = n;
    ind->registry_source = src;
    return V6M_OK;
}

v6m_err v6m_indicators_load_registry(v6m_indicators *ind, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    v6m_err e = csv_read_file(path, REGISTRY_MAX_BYTES, &text, &len, &ind->err);
    if (e != V6M_OK)
        return e;
    e = v6m_indicators_parse_registry(ind, text, len, path);
    free(text);
    return e;
}
