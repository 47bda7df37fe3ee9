/*
 * synth/fixtures.c - writes the conformance fixtures (see fixtures.h):
 * for each fixture NAME.pcap (microsecond pcap, the fixture's link type,
 * frame i at 2024-06-01T00:00:00Z + i ms) and NAME.truth.json, plus
 * index.json listing them; DIR is created when missing (not its parents).
 * The truth schema is in docs/commands/synth.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <v6mon/synth.h>

#include "core/errbuf.h"
#include "synth/capw.h"
#include "synth/fixtures.h"
#include "util/strutil.h"

#define FX_T0 (1717200000ULL * 1000000000ULL)

static const char *const FAM[3] = {"other", "ipv4", "ipv6"};
static const char *const DROP[] = {"none", "truncated", "malformed",
                                   "unsupported_link", "unsupported_encap",
                                   "too_deep", "fragment_unresolved"};

void fx_add(struct fx *x, const struct pb *b, uint32_t caplen, uint8_t fam,
            uint8_t tfam, uint8_t seg, uint8_t drop, const char *desc)
{
    if (x->n >= FX_MAX_FRAMES || b->overflow) {
        x->failed = 1;
        return;
    }
    struct fx_frame *f = &x->f[x->n];
    f->wirelen = b->len;
    f->caplen = caplen && caplen < b->len ? caplen : b->len;
    f->fam = fam;
    f->tfam = tfam == FX_SAME ? fam : tfam;
    f->seg = seg;
    f->drop = drop;
    f->desc = desc;
    f->data = malloc(f->caplen ? f->caplen : 1);
    if (!f->data) {
        x->failed = 1;
        return;
    }
    memcpy(f->data, b->buf, f->caplen);
    x->n++;
}

struct fx_ctx {
    const char *dir;
    struct errbuf err;
    v6m_err status;
    size_t written;
    FILE *index;
};

static void json_counts(FILE *f, const struct fx *x, bool tshark)
{
    uint64_t p[3] = {0}, by[3] = {0};
    for (uint32_t i = 0; i < x->n; i++) {
        unsigned k = tshark ? x->f[i].tfam : x->f[i].fam;
        p[k]++;
        by[k] += x->f[i].wirelen;
    }
    fputc('{', f);
    for (int k = 0; k < 3; k++)
        fprintf(f, "%s\"%s\": {\"packets\": %llu, \"bytes\": %llu}", k ? ", " : "",
                FAM[k], (unsigned long long)p[k], (unsigned long long)by[k]);
    fputc('}', f);
}

static void fx_write(void *vctx, struct fx *x)
{
    struct fx_ctx *c = vctx;
    char path[4096];
    if (c->status == V6M_OK && x->failed)
        c->status = errbuf_set(&c->err, V6M_ERR_NOMEM, "fixture '%s': builder overflow",
                               x->name);
    if (c->status == V6M_OK) {
        struct capw w;
        snprintf(path, sizeof(path), "%s/%s.pcap", c->dir, x->name);
        v6m_err e = capw_open(&w, path, false, false, 0, &x->linktype, NULL, 1, &c->err);
        if (e == V6M_OK)
            for (uint32_t i = 0; i < x->n; i++)
                capw_frame_cut(&w, 0, FX_T0 + (uint64_t)i * 1000000ULL, x->f[i].data,
                               x->f[i].caplen, x->f[i].wirelen);
        v6m_err e2 = capw_close(&w);
        c->status = e ? e : e2;
    }
    if (c->status == V6M_OK) {
        snprintf(path, sizeof(path), "%s/%s.truth.json", c->dir, x->name);
        FILE *f = fopen(path, "w");
        if (!f) {
            c->status = errbuf_set(&c->err, V6M_ERR_IO, "cannot open '%s': %s", path,
                                   strerror(errno));
        } else {
            fprintf(f, "{\n  \"fixture\": \"%s\",\n  \"description\": \"%s\",\n"
                       "  \"linktype\": %u,\n  \"frames\": %u,\n  \"totals\": ",
                    x->name, x->desc, x->linktype, x->n);
            json_counts(f, x, false);
            fputs(",\n  \"tshark_totals\": ", f);
            json_counts(f, x, true);
            fputs(",\n  \"frame_truth\": [\n", f);
            for (uint32_t i = 0; i < x->n; i++) {
                const struct fx_frame *fr = &x->f[i];
                fprintf(f, "    {\"n\": %u, \"wirelen\": %u, \"caplen\": %u, "
                           "\"family\": \"%s\", \"v6mon_family\": \"%s\", "
                           "\"segment\": \"%s\", \"drop\": \"%s\", \"desc\": \"%s\"}%s\n",
                        i + 1, fr->wirelen, fr->caplen, FAM[fr->tfam], FAM[fr->fam],
                        v6m_synth_segment_name(fr->seg), DROP[fr->drop], fr->desc,
                        i + 1 < x->n ? "," : "");
            }
            fputs("  ]\n}\n", f);
            bool bad = ferror(f) != 0;
            if (fclose(f) != 0 || bad)
                c->status = errbuf_set(&c->err, V6M_ERR_IO, "cannot write '%s'", path);
        }
    }
    if (c->status == V6M_OK) {
        fprintf(c->index, "%s\n    {\"name\": \"%s\", \"pcap\": \"%s.pcap\", "
                          "\"truth\": \"%s.truth.json\", \"linktype\": %u, \"frames\": %u}",
                c->written ? "," : "", x->name, x->name, x->name, x->linktype, x->n);
        c->written++;
    }
    for (uint32_t i = 0; i < x->n; i++)
        free(x->f[i].data);
    x->n = 0;
}

v6m_err v6m_synth_fixtures(const char *dir, size_t *n_files, char *errbuf,
                           size_t errlen)
{
    struct fx_ctx c;
    memset(&c, 0, sizeof(c));
    c.dir = dir;
    *n_files = 0;
    char path[4096];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        errbuf_set(&c.err, V6M_ERR_IO, "cannot create '%s': %s", dir, strerror(errno));
        errbuf_export(&c.err, errbuf, errlen);
        return V6M_ERR_IO;
    }
    snprintf(path, sizeof(path), "%s/index.json", dir);
    c.index = fopen(path, "w");
    if (!c.index) {
        errbuf_set(&c.err, V6M_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        errbuf_export(&c.err, errbuf, errlen);
        return V6M_ERR_IO;
    }
    fputs("{\n  \"generator\": \"v6mon synth --fixtures\",\n"
          "  \"reference\": \"tshark -2 -n -r F -T fields -e frame.number -e frame.len "
          "-e frame.protocols -e ip.reassembled_in -e ipv6.reassembled.in "
          "--enable-heuristic teredo_udp\",\n  \"fixtures\": [", c.index);
    fx_build_all(fx_write, &c);
    fputs("\n  ]\n}\n", c.index);
    if (fclose(c.index) != 0 && c.status == V6M_OK)
        c.status = errbuf_set(&c.err, V6M_ERR_IO, "cannot write '%s'", path);
    *n_files = c.written;
    if (c.status != V6M_OK)
        errbuf_export(&c.err, errbuf, errlen);
    return c.status;
}
