/*
 * probe/kpi_input.c - the life of a `v6mon kpi` handle outside the run:
 * creating it from a config (checked and copied), the target list (one
 * "TARGET [VIDEO_URL]" a line, or a CSV with a header naming the target
 * column), and the accessors of finished results. The run itself is
 * kpi.c; the pure verdict arithmetic kpi_judge.c.
 *
 * Ownership: the handle copies every string it is given; results and
 * their strings live in per-target pools until v6m_kpi_free().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <v6mon/kpi.h>

#include "classify/csv.h"
#include "core/errbuf.h"
#include "probe/kpi_int.h"
#include "util/strutil.h"

#define KPI_INPUT_MAX (16u << 20)

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---------------- life cycle and input ---------------- */

v6m_kpi *v6m_kpi_new(const struct v6m_kpi_config *cfg, char *err, size_t errlen)
{
    v6m_kpi *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    k->cfg = *cfg;
    const char *bad = NULL;
    if (cfg->rounds == 0 || cfg->rounds > 100000)
        bad = "rounds must be 1..100000";
    else if (cfg->pings > 10000 || cfg->tcp_tries > 1000 || cfg->dns_tries > 1000)
        bad = "pings, tcp tries and dns tries are capped at 10000, 1000 and 1000";
    else if (cfg->max_parallel == 0)
        bad = "max_parallel must be at least 1";
    else if (cfg->per_host == 0 || cfg->per_host > 64)
        bad = "per_host must be 1..64";
    else if (!(cfg->th.threshold >= 0))
        bad = "the threshold must be a non-negative number";
    else if (cfg->video_variant && !kpi_video_variant_ok(cfg->video_variant))
        bad = "the video variant must be highest, lowest, auto or a bit rate cap like 800k";
    if (bad) {
        snprintf(err, errlen, "%s", bad);
        free(k);
        return NULL;
    }
    k->resolver = dup_or_null(cfg->resolver);
    k->dns4 = dup_or_null(cfg->dns4);
    k->dns6 = dup_or_null(cfg->dns6);
    k->ca_file = dup_or_null(cfg->ca_file);
    k->vantage = dup_or_null(cfg->vantage);
    k->variant = dup_or_null(cfg->video_variant ? cfg->video_variant : "highest");
    k->cfg.resolver = k->resolver;
    k->cfg.dns4 = k->dns4;
    k->cfg.dns6 = k->dns6;
    k->cfg.ca_file = k->ca_file;
    k->cfg.vantage = k->vantage;
    k->cfg.video_variant = k->variant;
    size_t nc = 0;
    const char *const *can = cfg->canaries;
    if (can)
        nc = cfg->n_canaries;
    else
        can = probe_builtin_canaries(&nc);
    k->canaries = calloc(nc ? nc : 1, sizeof *k->canaries);
    for (size_t i = 0; k->canaries && i < nc; i++)
        k->canaries[i] = strdup(can[i]);
    k->n_canaries = nc;
    k->cfg.canaries = (const char *const *)k->canaries;
    k->cfg.n_canaries = nc;
    if (!k->canaries || !k->variant) {
        snprintf(err, errlen, "out of memory");
        v6m_kpi_free(k);
        return NULL;
    }
    if (k->vantage) {
        util_strlcpy(k->vantage_name, k->vantage, sizeof k->vantage_name);
    } else if (gethostname(k->vantage_name, sizeof k->vantage_name - 1) != 0) {
        util_strlcpy(k->vantage_name, "unknown", sizeof k->vantage_name);
    }
    k->info.vantage = k->vantage_name;
    k->info.rounds = cfg->rounds;
    k->info.interval_ms = cfg->interval_ms;
    k->info.resolver = k->info.dns4 = k->info.dns6 = "";
    k->info.vantage_detail = "";
    k->info.icmp_v4 = k->info.icmp_v6 = "none";
    return k;
}

void v6m_kpi_free(v6m_kpi *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n_in; i++) {
        free(k->in[i].target);
        free(k->in[i].video);
        free(k->in[i].name);
        free(k->in[i].category);
        if (k->res) {
            free(k->res[i]);
            strpool_release(&k->pools[i]);
            free(k->samples[i]);
        }
    }
    free(k->res);
    free(k->pools);
    free(k->samples);
    free(k->in);
    for (size_t i = 0; i < k->n_canaries; i++)
        free(k->canaries ? k->canaries[i] : NULL);
    free(k->canaries);
    free(k->resolver);
    free(k->dns4);
    free(k->dns6);
    free(k->ca_file);
    free(k->vantage);
    free(k->variant);
    free(k);
}

const char *v6m_kpi_errmsg(const v6m_kpi *k)
{
    return k ? k->err.msg : "out of memory";
}

v6m_err v6m_kpi_add_target(v6m_kpi *k, const char *target, const char *video_url,
                           const char *name, const char *category)
{
    if (k->ran)
        return errbuf_set(&k->err, V6M_ERR_INVALID_ARG, "targets are added before the run");
    if (!target || !*target || strlen(target) > 2048)
        return errbuf_set(&k->err, V6M_ERR_INVALID_ARG, "a target needs a host or URL");
    if (video_url && (!*video_url || strlen(video_url) > 2048))
        video_url = NULL;
    for (size_t i = 0; i < k->n_in; i++)
        if (strcmp(k->in[i].target, target) == 0)
            return errbuf_set(&k->err, V6M_ERR_INVALID_ARG, "target '%s' is listed twice",
                              target);
    if (k->n_in == k->cap_in) {
        size_t nc = k->cap_in ? k->cap_in * 2 : 16;
        struct target_in *n = realloc(k->in, nc * sizeof *n);
        if (!n)
            return errbuf_set(&k->err, V6M_ERR_NOMEM, "out of memory");
        k->in = n;
        k->cap_in = nc;
    }
    struct target_in *t = &k->in[k->n_in];
    memset(t, 0, sizeof *t);
    t->target = strdup(target);
    t->video = dup_or_null(video_url);
    t->name = dup_or_null(name && *name ? name : NULL);
    t->category = dup_or_null(category && *category ? category : NULL);
    if (!t->target || (video_url && !t->video)) {
        free(t->target);
        free(t->video);
        free(t->name);
        free(t->category);
        return errbuf_set(&k->err, V6M_ERR_NOMEM, "out of memory");
    }
    k->n_in++;
    return V6M_OK;
}

static bool is_header(const struct csv_record *rec)
{
    unsigned nf = rec->nfields < CSV_MAX_FIELDS ? rec->nfields : CSV_MAX_FIELDS;
    for (unsigned i = 0; i < nf; i++) {
        const char *f = rec->field[i];
        if (!strcasecmp(f, "target") || !strcasecmp(f, "url") || !strcasecmp(f, "host"))
            return true;
    }
    return false;
}

v6m_err v6m_kpi_load_targets(v6m_kpi *k, const char *path)
{
    char *text = NULL;
    size_t len = 0;
    v6m_err e = csv_read_file(path, KPI_INPUT_MAX, &text, &len, &k->err);
    if (e != V6M_OK)
        return e;
    struct csv_reader rd;
    csv_init(&rd, text, len);
    struct csv_record rec;
    char msg[256];
    unsigned line = 0;
    int c_target = -1, c_video = -1, c_name = -1, c_cat = -1;
    bool first = true;
    size_t before = k->n_in;
    int rc;
    while ((rc = csv_next(&rd, &rec, msg, sizeof msg, &line)) == 1) {
        unsigned nf = rec.nfields < CSV_MAX_FIELDS ? rec.nfields : CSV_MAX_FIELDS;
        if (nf == 0 || rec.field[0][0] == '#')
            continue;
        if (first) {
            first = false;
            if (is_header(&rec)) {
                for (unsigned i = 0; i < nf; i++) {
                    const char *f = rec.field[i];
                    if (!strcasecmp(f, "target") || !strcasecmp(f, "url") || !strcasecmp(f, "host"))
                        c_target = c_target < 0 ? (int)i : c_target;
                    else if (!strcasecmp(f, "video"))
                        c_video = (int)i;
                    else if (!strcasecmp(f, "name"))
                        c_name = (int)i;
                    else if (!strcasecmp(f, "category"))
                        c_cat = (int)i;
                }
                continue;
            }
        }
        char target[2100], video[2100];
        const char *name = NULL, *cat = NULL;
        video[0] = '\0';
        if (c_target >= 0) {
            if ((unsigned)c_target >= nf || !rec.field[c_target][0]) {
                e = errbuf_set(&k->err, V6M_ERR_FORMAT, "%s:%u: no target", path, rec.line);
                break;
            }
            util_strlcpy(target, rec.field[c_target], sizeof target);
            if (c_video >= 0 && (unsigned)c_video < nf)
                util_strlcpy(video, rec.field[c_video], sizeof video);
            name = c_name >= 0 && (unsigned)c_name < nf ? rec.field[c_name] : NULL;
            cat = c_cat >= 0 && (unsigned)c_cat < nf ? rec.field[c_cat] : NULL;
        } else {
            /* "TARGET [VIDEO_URL]" */
            if (nf != 1 || sscanf(rec.field[0], "%2047s %2047s", target, video) < 1) {
                e = errbuf_set(&k->err, V6M_ERR_FORMAT,
                               "%s:%u: expected 'TARGET [VIDEO_URL]' a line, or a CSV with a "
                               "header naming a 'target' column",
                               path, rec.line);
                break;
            }
            char extra[8];
            if (sscanf(rec.field[0], "%*s %*s %7s", extra) == 1) {
                e = errbuf_set(&k->err, V6M_ERR_FORMAT,
                               "%s:%u: more than a target and a video URL on the line", path,
                               rec.line);
                break;
            }
        }
        if (!csv_valid_text(target, strlen(target)) || !csv_valid_text(video, strlen(video))) {
            e = errbuf_set(&k->err, V6M_ERR_FORMAT, "%s:%u: invalid text", path, rec.line);
            break;
        }
        if ((e = v6m_kpi_add_target(k, target, video[0] ? video : NULL, name, cat)) != V6M_OK)
            break;
    }
    if (rc < 0)
        e = errbuf_set(&k->err, V6M_ERR_FORMAT, "%s:%u: %s", path, line, msg);
    csv_release(&rd);
    free(text);
    if (e == V6M_OK && k->n_in == before)
        e = errbuf_set(&k->err, V6M_ERR_FORMAT, "%s: no targets", path);
    return e;
}

const struct v6m_kpi_info *v6m_kpi_info(const v6m_kpi *k)
{
    return &k->info;
}

size_t v6m_kpi_target_count(const v6m_kpi *k)
{
    return k->n_done;
}

const struct v6m_kpi_target_result *v6m_kpi_target(const v6m_kpi *k, size_t i)
{
    /* the i-th finished result in input order */
    size_t seen = 0;
    for (size_t j = 0; k->res && j < k->n_in; j++) {
        if (!k->res[j])
            continue;
        if (seen++ == i)
            return k->res[j];
    }
    return NULL;
}

