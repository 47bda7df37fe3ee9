/*
 * synth/synth.c - public API of the generator (v6mon/synth.h): config
 * defaults and validation, the run, and the truth JSON (schema in
 * docs/commands/synth.md, section OUTPUT).
 *
 * The truth is the generator's own bookkeeping (gen.c, account()): every
 * frame is counted once when it is written, under the family of its
 * innermost IP header (a fragment under its datagram's), the default
 * segment v6mon gives it, and its wire length.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/synth.h>
#include <v6mon/version.h>

#include "synth/gen.h"
#include "synth/hosts.h"
#include "util/strutil.h"

struct v6m_synth {
    struct gen g;
};

static const char *const SEG_NAMES[V6M_SYNTH_SEGMENTS] = {"mobile", "metro", "other"};
static const char *const FAM_NAMES[V6M_FAMILY_COUNT] = {"other", "ipv4", "ipv6"};
static const char *const ENCAP_NAMES[GC__COUNT] = {
    "gtpu_gpdu", "gtpu_signalling", "pppoe_session", "pppoe_discovery",
    "vlan", "qinq", "gre", "vxlan", "teredo", "ip6in4", "6to4", "ip4in6",
    "ipv4_fragments", "ipv6_fragments", "out_of_order_fragment_pairs",
    "gtpu_pdu_session_container", "gtpu_over_ipv6", "arp",
};

const char *v6m_synth_segment_name(unsigned seg)
{
    return seg < V6M_SYNTH_SEGMENTS ? SEG_NAMES[seg] : "?";
}

void v6m_synth_config_default(struct v6m_synth_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->seed = 1;
    cfg->packets = 100000;
    cfg->ipv6_share = 0.5;
    cfg->mobile_share = -1;
    cfg->metro_share = -1;
    cfg->mix[0] = 0.5;
    cfg->mix[1] = 0.4;
    cfg->mix[2] = 0.1;
    cfg->start_ns = 1717200000ULL * 1000000000ULL; /* 2024-06-01T00:00:00Z */
    cfg->duration_ns = 900ULL * 1000000000ULL;
    cfg->users = 1000;
    cfg->user_mix[0] = cfg->user_mix[1] = cfg->user_mix[2] = -1;
    cfg->inactive_v6 = 0;
    cfg->app_share = 0.8;
}

static v6m_err validate(struct gen *g)
{
    const struct v6m_synth_config *c = &g->cfg;
    struct errbuf *e = &g->err;
    if (c->packets == 0 || c->packets > 10000000000ULL)
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "packets must be 1..10^10");
    if (!(c->ipv6_share >= 0 && c->ipv6_share <= 1))
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "ipv6 share must be in 0..1");
    if (c->mobile_share > 1 || c->metro_share > 1)
        return errbuf_set(e, V6M_ERR_INVALID_ARG,
                          "mobile/metro share must be in 0..1");
    double sum = 0;
    for (int s = 0; s < V6M_SYNTH_SEGMENTS; s++) {
        if (!(c->mix[s] >= 0 && c->mix[s] <= 1e9))
            return errbuf_set(e, V6M_ERR_INVALID_ARG, "mix fractions must be >= 0");
        sum += c->mix[s];
    }
    if (!(sum > 0))
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "mix fractions sum to 0");
    if (c->users < 2 || c->users > 10000000)
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "users must be 2..10000000");
    if (c->duration_ns < 1000000ULL || c->duration_ns > 31ULL * 86400 * 1000000000ULL)
        return errbuf_set(e, V6M_ERR_INVALID_ARG,
                          "duration must be between 1 ms and 31 days");
    if (c->start_ns > 4000000000ULL * 1000000000ULL)
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "start time out of range");
    bool any_mix = false;
    double mix_sum = 0;
    for (int k = 0; k < 3; k++) {
        if (c->user_mix[k] >= 0)
            any_mix = true;
        if (c->user_mix[k] > 1e6)
            return errbuf_set(e, V6M_ERR_INVALID_ARG, "user mix fractions must be 0..1");
        mix_sum += c->user_mix[k] > 0 ? c->user_mix[k] : 0;
    }
    if (any_mix && !(mix_sum > 0))
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "user mix fractions sum to 0");
    if (!(c->inactive_v6 >= 0 && c->inactive_v6 <= 1))
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "inactive-v6 share must be in 0..1");
    if (!(c->app_share >= 0 && c->app_share <= 1))
        return errbuf_set(e, V6M_ERR_INVALID_ARG, "app share must be in 0..1");
    if (c->snaplen && c->snaplen < 256)
        return errbuf_set(e, V6M_ERR_INVALID_ARG,
                          "snaplen must be 0 (whole frames) or >= 256");
    return V6M_OK;
}

v6m_err v6m_synth_new(const struct v6m_synth_config *cfg, v6m_synth **out)
{
    *out = NULL;
    v6m_synth *s = calloc(1, sizeof(*s));
    if (!s)
        return V6M_ERR_NOMEM;
    *out = s;
    s->g.cfg = *cfg;
    errbuf_clear(&s->g.err);
    v6m_err err = validate(&s->g);
    if (err)
        return err;
    return gen_setup(&s->g);
}

void v6m_synth_free(v6m_synth *s)
{
    if (!s)
        return;
    gen_release(&s->g);
    free(s);
}

const char *v6m_synth_errmsg(const v6m_synth *s)
{
    return s ? s->g.err.msg : "out of memory";
}

const struct v6m_synth_truth *v6m_synth_truth(const v6m_synth *s)
{
    return &s->g.truth;
}

/* ---- truth JSON ------------------------------------------------------- */

static void fmt_time(uint64_t ns, char *buf, size_t n)
{
    char base[32];
    util_format_utc(ns, base, sizeof(base));
    /* "YYYY-MM-DDTHH:MM:SSZ" -> add the fraction before the Z. */
    size_t l = strlen(base);
    if (l && base[l - 1] == 'Z')
        base[l - 1] = '\0';
    snprintf(buf, n, "%s.%09lluZ", base, (unsigned long long)(ns % 1000000000ULL));
}

static double share(uint64_t v4, uint64_t v6)
{
    return v4 + v6 ? (double)v6 / (double)(v4 + v6) : -1.0;
}

static void json_share(FILE *f, uint64_t v4, uint64_t v6)
{
    double s = share(v4, v6);
    if (s < 0)
        fputs("null", f);
    else
        fprintf(f, "%.6f", s);
}

static void json_counts(FILE *f, const struct v6m_synth_counts *c, bool flows)
{
    fprintf(f, "{\"packets\": %llu, \"bytes\": %llu",
            (unsigned long long)c->packets, (unsigned long long)c->bytes);
    if (flows)
        fprintf(f, ", \"flows\": %llu", (unsigned long long)c->flows);
    fputc('}', f);
}

static void json_families(FILE *f, const struct v6m_synth_counts *c,
                          const char *indent)
{
    fputs("{\n", f);
    for (int fam = 0; fam < V6M_FAMILY_COUNT; fam++) {
        fprintf(f, "%s  \"%s\": ", indent, FAM_NAMES[fam]);
        json_counts(f, &c[fam], fam != V6M_FAMILY_OTHER);
        fputs(",\n", f);
    }
    fprintf(f, "%s  \"ipv6_share_bytes\": ", indent);
    json_share(f, c[1].bytes, c[2].bytes);
    fprintf(f, ",\n%s  \"ipv6_share_packets\": ", indent);
    json_share(f, c[1].packets, c[2].packets);
    fprintf(f, ",\n%s  \"ipv6_share_flows\": ", indent);
    json_share(f, c[1].flows, c[2].flows);
    fprintf(f, "\n%s}", indent);
}

/* A JSON string with ", \\ and control characters escaped. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static const char *const METHOD_NAMES[V6M_SYNTH_METHODS] = {"sni", "host", "quic", "dns"};
static const char *const WINDOW_NAMES[4] = {"all", "day", "month", "30d"};

static void write_names(FILE *f, const struct gen *g)
{
    const struct v6m_synth_truth *t = &g->truth;
    fprintf(f, "  \"names_exact\": %s,\n  \"dns_ttl_s\": %u,\n"
               "  \"max_dns_age_s\": %.3f,\n",
            t->names_exact ? "true" : "false", HOSTS_TTL, t->max_dns_age_s);
    fputs("  \"unattributed\": {\"ipv4\": ", f);
    json_counts(f, &t->unattributed[V6M_FAMILY_IPV4], true);
    fputs(", \"ipv6\": ", f);
    json_counts(f, &t->unattributed[V6M_FAMILY_IPV6], true);
    fputs("},\n  \"names\": [", f);
    for (size_t i = 0; i < t->n_names; i++) {
        const struct v6m_synth_name_truth *n = &t->names[i];
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_str(f, n->name);
        fputs(", \"method\": {", f);
        for (int m = 0; m < V6M_SYNTH_METHODS; m++)
            fprintf(f, "%s\"%s\": %llu", m ? ", " : "", METHOD_NAMES[m],
                    (unsigned long long)n->method[m]);
        fputs("}, \"ipv4\": ", f);
        json_counts(f, &n->fam[V6M_FAMILY_IPV4], true);
        fputs(", \"ipv6\": ", f);
        json_counts(f, &n->fam[V6M_FAMILY_IPV6], true);
        fputc('}', f);
    }
    fputs(t->n_names ? "\n  ],\n" : "],\n", f);
}

static void json_users(FILE *f, const char *key, const struct v6m_synth_user_counts *c,
                       bool last)
{
    fprintf(f, "\"%s\": {\"seen\": %llu, \"active\": %llu, \"ipv6_active\": %llu, "
               "\"holding_ipv6\": %llu, \"dual\": %llu, \"ipv4_only\": %llu, "
               "\"ipv6_only\": %llu}%s",
            key, (unsigned long long)c->seen, (unsigned long long)c->active,
            (unsigned long long)c->ipv6_active, (unsigned long long)c->holding_ipv6,
            (unsigned long long)c->dual, (unsigned long long)c->ipv4_only,
            (unsigned long long)c->ipv6_only, last ? "" : ", ");
}

static void write_users(FILE *f, const struct gen *g)
{
    const struct v6m_synth_truth *t = &g->truth;
    fputs("  \"users\": {\"mode\": \"auto\", \"windows\": [", f);
    for (size_t i = 0; i < t->n_windows; i++) {
        const struct v6m_synth_users_window *w = &t->windows[i];
        char a[40] = "null", b[40] = "null";
        if (w->start_day != INT64_MIN) {
            char x[32], y[32];
            gen_day_string(w->start_day, x);
            gen_day_string(w->end_day, y);
            snprintf(a, sizeof(a), "\"%s\"", x);
            snprintf(b, sizeof(b), "\"%s\"", y);
        }
        fprintf(f, "%s\n    {\"window\": \"%s\", \"start\": %s, \"end\": %s, "
                   "\"segments\": {",
                i ? "," : "", WINDOW_NAMES[w->kind & 3], a, b);
        json_users(f, "all", &w->all, false);
        json_users(f, "mobile", &w->mobile, false);
        json_users(f, "metro", &w->metro, true);
        fputs("}}", f);
    }
    fputs(t->n_windows ? "\n  ]},\n" : "]},\n", f);
}

static v6m_err write_truth(struct gen *g, const char *path, const char *capture)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return errbuf_set(&g->err, V6M_ERR_IO, "cannot open '%s': %s", path,
                          strerror(errno));
    const struct v6m_synth_config *c = &g->cfg;
    const struct v6m_synth_truth *t = &g->truth;
    char ts0[48], ts1[48], tstart[48];
    fmt_time(c->start_ns, tstart, sizeof(tstart));
    fmt_time(t->first_ns, ts0, sizeof(ts0));
    fmt_time(t->last_ns, ts1, sizeof(ts1));
    fprintf(f, "{\n  \"generator\": \"v6mon synth %s\",\n", v6m_version());
    fputs("  \"capture\": ", f);
    json_str(f, capture);
    fputs(",\n", f);
    fprintf(f, "  \"format\": \"%s\",\n  \"linktype\": 1,\n",
            c->pcapng ? "pcapng" : "pcap");
    fprintf(f, "  \"timestamp_resolution\": \"%s\",\n", c->nanosecond ? "ns" : "us");
    fprintf(f, "  \"snaplen\": %u,\n", c->snaplen);
    fprintf(f, "  \"seed\": %llu,\n", (unsigned long long)c->seed);
    fprintf(f, "  \"config\": {\"packets\": %llu, \"ipv6_share\": %.6f, "
               "\"mobile_share\": %.6f, \"metro_share\": %.6f, "
               "\"mix\": {\"mobile\": %.6f, \"metro\": %.6f, \"other\": %.6f}, "
               "\"users\": %u, \"start\": \"%s\", \"duration_s\": %.3f, "
               "\"user_mix\": {\"mobile\": {\"v4\": %.6f, \"v6\": %.6f, \"dual\": %.6f}, "
               "\"metro\": {\"v4\": %.6f, \"v6\": %.6f, \"dual\": %.6f}}, "
               "\"inactive_v6\": %.6f, \"app_share\": %.6f},\n",
            (unsigned long long)c->packets, c->ipv6_share,
            g->share_target[0], g->share_target[1], g->mix[0], g->mix[1],
            g->mix[2], c->users, tstart, (double)c->duration_ns / 1e9,
            g->user_mix[0][0], g->user_mix[0][1], g->user_mix[0][2],
            g->user_mix[1][0], g->user_mix[1][1], g->user_mix[1][2],
            c->inactive_v6, c->app_share);
    fprintf(f, "  \"packets\": %llu,\n  \"wire_bytes\": %llu,\n"
               "  \"captured_bytes\": %llu,\n",
            (unsigned long long)t->packets, (unsigned long long)t->wire_bytes,
            (unsigned long long)t->captured_bytes);
    fprintf(f, "  \"first\": \"%s\",\n  \"last\": \"%s\",\n", ts0, ts1);
    fprintf(f, "  \"first_ns\": %llu,\n  \"last_ns\": %llu,\n",
            (unsigned long long)t->first_ns, (unsigned long long)t->last_ns);
    fputs("  \"totals\": ", f);
    json_families(f, t->totals, "  ");
    fputs(",\n  \"segments\": {\n", f);
    for (int s = 0; s < V6M_SYNTH_SEGMENTS; s++) {
        fprintf(f, "    \"%s\": ", SEG_NAMES[s]);
        json_families(f, t->seg[s], "    ");
        fputs(s + 1 < V6M_SYNTH_SEGMENTS ? ",\n" : "\n", f);
    }
    fputs("  },\n", f);
    fprintf(f, "  \"ipv6plus\": {\"ipv6_packets\": %llu, \"srh_packets\": %llu, "
               "\"flow_label_packets\": %llu},\n",
            (unsigned long long)t->totals[2].packets,
            (unsigned long long)t->srh_packets,
            (unsigned long long)t->flow_label_packets);
    fprintf(f, "  \"flows_exact\": %s,\n  \"max_flow_gap_s\": %.3f,\n"
               "  \"max_flow_life_s\": %.3f,\n",
            t->flows_exact ? "true" : "false", t->max_flow_gap_s,
            t->max_flow_life_s);
    fprintf(f, "  \"icmp_echo_flows\": {\"ipv4\": %llu, \"ipv6\": %llu},\n",
            (unsigned long long)t->icmp_echo_flows[1],
            (unsigned long long)t->icmp_echo_flows[2]);
    fputs("  \"encap_frames\": {", f);
    for (int i = 0; i < GC__COUNT; i++)
        fprintf(f, "%s\"%s\": %llu", i ? ", " : "", ENCAP_NAMES[i],
                (unsigned long long)g->encap[i]);
    fputs("},\n", f);
    write_names(f, g);
    write_users(f, g);
    fprintf(f, "  \"bucket_s\": %llu,\n  \"buckets\": [",
            (unsigned long long)(GEN_BUCKET_NS / 1000000000ULL));
    bool first = true;
    for (uint64_t b = 0; b < g->n_buckets; b++) {
        for (int s = 0; s < V6M_SYNTH_SEGMENTS; s++) {
            const struct gen_cnt *bc = g->buckets[b].c[s];
            if (!bc[0].packets && !bc[1].packets && !bc[2].packets)
                continue;
            int64_t start = (g->bucket0 + (int64_t)b) * (int64_t)(GEN_BUCKET_NS / 1000000000ULL);
            fprintf(f, "%s\n    {\"start\": %lld, \"segment\": \"%s\"", first ? "" : ",",
                    (long long)start, SEG_NAMES[s]);
            for (int fam = 0; fam < V6M_FAMILY_COUNT; fam++) {
                fprintf(f, ", \"%s\": {\"packets\": %llu, \"bytes\": %llu", FAM_NAMES[fam],
                        (unsigned long long)bc[fam].packets,
                        (unsigned long long)bc[fam].bytes);
                if (fam)
                    fprintf(f, ", \"flows\": %llu", (unsigned long long)bc[fam].flows);
                fputc('}', f);
            }
            fputc('}', f);
            first = false;
        }
    }
    fputs("\n  ]\n}\n", f);
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad)
        return errbuf_set(&g->err, V6M_ERR_IO, "cannot write '%s': %s", path,
                          strerror(errno));
    return V6M_OK;
}

v6m_err v6m_synth_run(v6m_synth *s, const char *path, const char *truth_path)
{
    struct gen *g = &s->g;
    if (g->ran)
        return errbuf_set(&g->err, V6M_ERR_INVALID_ARG, "v6m_synth_run called twice");
    g->ran = true;
    static const uint32_t lts[3] = {1, 1, 1};
    static const char *const ifn[3] = {"mobile0", "metro0", "other0"};
    v6m_err err = capw_open(&g->w, path, g->cfg.pcapng, g->cfg.nanosecond,
                            g->cfg.snaplen, lts, ifn, g->cfg.pcapng ? 3 : 1,
                            &g->err);
    if (err) {
        capw_close(&g->w);
        return err;
    }
    gen_run_frames(g);
    err = capw_close(&g->w);
    if (err)
        return err;
    err = gen_finish_names(g);
    if (err)
        return err;
    err = gen_users_windows(g);
    if (err)
        return err;
    if (truth_path)
        return write_truth(g, truth_path, path);
    return V6M_OK;
}
