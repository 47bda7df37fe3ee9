/*
 * report/indicators_int.h - private to lib/report/indicators*.c: the
 * handle, the scorecard, the memory they live in and the helpers the
 * per-source computations share.
 *
 *   indicators.c          handle, windows and trend periods, the compute
 *                         driver, coverage and value helpers, accessors
 *   indicators_conf.c     targets file, I8 registry, window text, UTC dates
 *   indicators_traffic.c  I1 (sketch merging), I2, I3, the segment table, I8
 *   indicators_apps.c     I6 (traffic and probe verdicts), I7, the app table
 *   indicators_probe.c    I4, I5, the site table, parity, CDN coverage
 *   indicators_json.c     the JSON form
 *
 * Memory: everything a scorecard hands out lives in its arena (one free);
 * while computing, growable arrays (ind_vec) are on the heap and copied
 * into the arena at the end of each part.
 */
#ifndef V6M_REPORT_INDICATORS_INT_H
#define V6M_REPORT_INDICATORS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <v6mon/indicators.h>
#include <v6mon/kpi.h>

#include "core/errbuf.h"
#include "store/query.h"

#define IND_DAY 86400
#define IND_MAX_PERIODS 1200       /* trend points at most (100 years of months) */
#define IND_MAX_SEGMENTS 64        /* names per segment list in the targets */
#define IND_MAX_STATUSES 8

/* ---- arena and growable arrays ------------------------------------------------ */

struct ind_chunk;
struct ind_arena {
    struct ind_chunk *head;
};
void *ind_alloc(struct ind_arena *a, size_t n);           /* zeroed; NULL: out of memory */
char *ind_strdup(struct ind_arena *a, const char *s);     /* NULL s -> "" */
char *ind_printf(struct ind_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ind_arena_free(struct ind_arena *a);

struct ind_vec {
    void *data;
    size_t n, cap, size;
};
void ind_vec_init(struct ind_vec *v, size_t elsize);
void *ind_vec_push(struct ind_vec *v);                    /* zeroed slot; NULL: out of memory */
void ind_vec_free(struct ind_vec *v);
/* Copy into the arena (NULL for an empty vector) and free the heap copy;
 * *ok becomes false when out of memory. */
void *ind_vec_arena(struct ind_arena *a, struct ind_vec *v, size_t *n, bool *ok);

/* String -> index map (open addressing; keys are copied). */
struct ind_map {
    char **keys;
    size_t *vals;
    size_t cap, n;
};
/* Index of key, or (size_t)-1. */
size_t ind_map_get(const struct ind_map *m, const char *key);
bool ind_map_put(struct ind_map *m, const char *key, size_t val);
void ind_map_free(struct ind_map *m);

/* ---- UTC dates (indicators_conf.c) --------------------------------------------- */

int64_t ind_days_from_civil(int64_t y, unsigned m, unsigned d);
void ind_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
int64_t ind_day_floor(int64_t t);          /* 00:00 UTC of t's day */
int64_t ind_month_floor(int64_t t);        /* 00:00 UTC of the 1st of t's month */
int64_t ind_month_next(int64_t month_start);
char *ind_format_day(int64_t t, char *buf, size_t n);   /* "YYYY-MM-DD" */

/* ---- targets and registry ------------------------------------------------------ */

enum ind_main {
    IND_I1, IND_I2, IND_I3, IND_I4, IND_I5, IND_I6, IND_I7, IND_I8, IND_MAIN
};

struct ind_targets {
    double main[IND_MAIN];
    double parity[V6M_KPI_METRICS];
    double cdn;
    char *mobile[IND_MAX_SEGMENTS];
    size_t n_mobile;
    char *metro[IND_MAX_SEGMENTS];
    size_t n_metro;
    char *counted[IND_MAX_STATUSES];
    size_t n_counted;
    char *source;                  /* NULL = built-in */
};

struct ind_project {
    char *name, *field, *status, *evidence;
};

struct v6m_indicators {
    struct store_q *q;
    struct errbuf err;
    struct ind_targets targets;
    struct ind_project *projects;
    size_t n_projects;
    char *registry_source;
};

bool ind_targets_default(struct ind_targets *t);   /* false only when out of memory */
void ind_targets_release(struct ind_targets *t);
void ind_projects_free(struct ind_project *p, size_t n);
bool ind_status_counted(const struct ind_targets *t, const char *status);
bool ind_segment_in(char *const *list, size_t n, const char *seg);

/* ---- the scorecard ---------------------------------------------------------------- */

/* Order of v6m_scorecard_at(). */
enum ind_slot {
    SLOT_I1, SLOT_I2, SLOT_I3, SLOT_I4, SLOT_I5, SLOT_I5R, SLOT_I6, SLOT_I7, SLOT_I8,
    SLOT_PARITY,                                    /* + metric */
    SLOT_CDN = SLOT_PARITY + V6M_KPI_METRICS,
    SLOT_COUNT
};

struct v6m_scorecard {
    struct ind_arena arena;
    struct v6m_scorecard_info info;
    struct v6m_indicator ind[SLOT_COUNT];
    struct v6m_ind_parity parity[V6M_KPI_METRICS];
    struct v6m_ind_group *segments;
    size_t n_segments;
    struct v6m_ind_site *sites;
    size_t n_sites;
    struct v6m_ind_app *apps;
    size_t n_apps;
    struct v6m_ind_cdn *cdn;
    size_t n_cdn;
    struct v6m_ind_project *projects;
    size_t n_projects;
    struct v6m_ind_fact *facts;
    size_t n_facts;
};

/* Trend periods: consecutive [start[i], end[i]) covering the window. */
struct ind_periods {
    size_t n;
    bool monthly;
    int64_t start[IND_MAX_PERIODS];
    int64_t end[IND_MAX_PERIODS];
};
/* Index of the period holding t, or -1. */
long ind_period_of(const struct ind_periods *p, int64_t t);

struct ind_ctx {
    v6m_indicators *h;
    v6m_scorecard *sc;
    struct store_q_filter f;       /* the window and filters for the queries */
    struct ind_periods *per;
    struct errbuf *err;
};

/* A ratio of sums being accumulated. */
struct ind_ratio {
    double num, den;
    uint64_t samples;
    bool any;                      /* any row contributed (even with den = 0) */
};
static inline void ind_ratio_add(struct ind_ratio *r, double num, double den, uint64_t samples)
{
    r->num += num;
    r->den += den;
    r->samples += samples;
    r->any = true;
}

/* Set an indicator's value from a ratio (den > 0), or no data with the
 * reason when den is 0. */
/* why_en / why_zh: the reason when the ratio has no denominator, in English
 * and in Chinese (every sentence a report can show exists in both). */
void ind_set_ratio(struct ind_ctx *x, struct v6m_indicator *ind, const struct ind_ratio *r,
                   const char *why_en, const char *why_zh);
void ind_set_count(struct v6m_indicator *ind, double count);
/* The English and the Chinese format take the same arguments (both checked). */
void ind_set_nodata(struct ind_ctx *x, struct v6m_indicator *ind, const char *fmt_en,
                    const char *fmt_zh, ...) __attribute__((format(printf, 3, 5), format(printf, 4, 5)));
/* The same with sentences already written (en, zh). */
void ind_set_nodata_text(struct ind_ctx *x, struct v6m_indicator *ind, const char *en,
                         const char *zh);
/* Trend points from per-period ratios (ratios[per->n]); false: out of memory. */
bool ind_set_trend(struct ind_ctx *x, struct v6m_indicator *ind, const struct ind_ratio *ratios);
/* A breakdown row from a ratio (trend from ratios[per->n] when not NULL). */
bool ind_group_set(struct ind_ctx *x, struct v6m_ind_group *g, const char *name,
                   const struct ind_ratio *r, double target, bool has_target,
                   const struct ind_ratio *trend);

/* Coverage being collected for one indicator. */
struct ind_cov {
    struct ind_vec runs;           /* struct v6m_ind_run, strings in the arena */
    struct ind_map run_index;      /* "kind:id" -> index */
    struct ind_vec notes;          /* const char * in the arena */
    struct ind_vec notes_zh;       /* the same notes in Chinese */
    uint64_t samples;
    const char *unit;              /* static English unit, e.g. "buckets" */
    bool has_span;
    int64_t first_s, last_s;
    bool estimated;
};
void ind_cov_init(struct ind_cov *c, const char *unit);
bool ind_cov_run(struct ind_ctx *x, struct ind_cov *c, const char *kind, int64_t id,
                 const char *vantage, const char *tool_version, int64_t first_s, int64_t last_s);
bool ind_cov_note(struct ind_ctx *x, struct ind_cov *c, const char *fmt_en, const char *fmt_zh,
                  ...) __attribute__((format(printf, 3, 5), format(printf, 4, 5)));
/* The same with sentences already written (en, zh). */
bool ind_cov_note_text(struct ind_ctx *x, struct ind_cov *c, const char *en, const char *zh);
/* Move into ind->coverage with a summary "<what>: <samples> <unit> from
 * <n> <kind> runs ..." in English and in Chinese (what_en, what_zh). Frees
 * c's heap parts whatever happens. */
bool ind_cov_finish(struct ind_ctx *x, struct ind_cov *c, struct v6m_indicator *ind,
                    const char *what_en, const char *what_zh);
void ind_cov_release(struct ind_cov *c);

v6m_err ind_nomem(struct ind_ctx *x);

/* The parts (each fills its indicators completely, no data included). */
v6m_err ind_compute_traffic(struct ind_ctx *x);   /* I2, I3, segments */
v6m_err ind_compute_users(struct ind_ctx *x);     /* I1 */
v6m_err ind_compute_apps(struct ind_ctx *x);      /* I6, I7, apps */
v6m_err ind_compute_ipv6plus(struct ind_ctx *x);  /* I8 */
v6m_err ind_compute_sites(struct ind_ctx *x);     /* I4, I5, I5.resource_bytes, sites */
v6m_err ind_compute_parity(struct ind_ctx *x);    /* parity.*, cdn */

#endif
