/*
 * report/traffic_report.c - render a traffic result (indicators I2, I3) as a
 * terminal table, JSON (schema "v6mon.traffic/1", docs/traffic-json.md) or
 * CSV.
 *
 * The three renderers read the same struct and never compute anything the
 * others do not: shares come from v6m_share() (IPv6 / (IPv4 + IPv6), "other"
 * excluded; undefined -> null in JSON, empty in CSV, "-" in text).
 *
 * The terminal view is for a person: one row per segment with the IPv6
 * share of bytes against the plan's target, packet and flow shares beside
 * it, a sparkline of the per-bucket byte share when there are several
 * buckets, then what was not counted as IP, what could not be decoded and
 * why, IPv6+ facts, and any bound that was hit.
 */
#include <v6mon/report.h>

#include <math.h>
#include <string.h>

#include "report/json_writer.h"
#include "report/textfmt.h"
#include "report/usersapps.h"
#include "util/hash.h"
#include "util/strutil.h"

bool v6m_format_parse(const char *s, enum v6m_format *out)
{
    if (strcmp(s, "text") == 0 || strcmp(s, "table") == 0)
        *out = V6M_FORMAT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = V6M_FORMAT_JSON;
    else if (strcmp(s, "csv") == 0)
        *out = V6M_FORMAT_CSV;
    else
        return false;
    return true;
}

bool v6m_segment_target(const char *segment, const char **indicator, double *target)
{
    if (strcmp(segment, "mobile") == 0) {
        *indicator = "I2";
        *target = 0.50;
        return true;
    }
    if (strcmp(segment, "metro") == 0) {
        *indicator = "I3";
        *target = 0.15;
        return true;
    }
    return false;
}

void v6m_traffic_run_key(const uint8_t (*digests)[16], size_t n,
                         const void *options_canonical, size_t options_len,
                         char out[48])
{
    struct digest128 d;
    uint8_t sum[16];
    char hex[33];
    digest128_init(&d);
    digest128_update(&d, "v6mon-traffic-run/1", 19);
    for (size_t i = 0; i < n; i++)
        digest128_update(&d, digests[i], 16);
    uint8_t sep = 0xff;
    digest128_update(&d, &sep, 1);
    if (options_len)
        digest128_update(&d, options_canonical, options_len);
    digest128_final(&d, sum);
    digest128_hex(sum, hex);
    snprintf(out, 48, "traffic-%s", hex);
}

/* ---- shared helpers ---------------------------------------------------- */

static double share_of(const struct v6m_family_counts *c, int what)
{
    const struct v6m_counts *v4 = &c->fam[V6M_FAMILY_IPV4];
    const struct v6m_counts *v6 = &c->fam[V6M_FAMILY_IPV6];
    switch (what) {
    case 0: return v6m_share(v4->packets, v6->packets);
    case 1: return v6m_share(v4->bytes, v6->bytes);
    default: return v6m_share(v4->flows, v6->flows);
    }
}

static const char *segment_name(const struct v6m_traffic_result *res, size_t id)
{
    if (id < res->n_segments && res->segment_names && res->segment_names[id])
        return res->segment_names[id];
    return "?";
}

/* ---- JSON -------------------------------------------------------------- */

static void json_counts(struct json_writer *w, const struct v6m_counts *c, bool flows)
{
    json_begin_object(w);
    json_key(w, "packets");
    json_u64(w, c->packets);
    json_key(w, "bytes");
    json_u64(w, c->bytes);
    if (flows) {
        json_key(w, "flows");
        json_u64(w, c->flows);
    }
    json_end_object(w);
}

static void json_share_value(struct json_writer *w, double s)
{
    if (s < 0)
        json_null(w);
    else
        json_double(w, s, 6);
}

static void json_family_block(struct json_writer *w, const struct v6m_family_counts *c)
{
    json_key(w, "ipv4");
    json_counts(w, &c->fam[V6M_FAMILY_IPV4], true);
    json_key(w, "ipv6");
    json_counts(w, &c->fam[V6M_FAMILY_IPV6], true);
    json_key(w, "other");
    json_counts(w, &c->fam[V6M_FAMILY_OTHER], false);
    json_key(w, "ipv6_share");
    json_begin_object(w);
    json_key(w, "packets");
    json_share_value(w, share_of(c, 0));
    json_key(w, "bytes");
    json_share_value(w, share_of(c, 1));
    json_key(w, "flows");
    json_share_value(w, share_of(c, 2));
    json_end_object(w);
}

static void json_time(struct json_writer *w, const char *key, uint64_t ns)
{
    char buf[32];
    json_key(w, key);
    if (ns == 0) {
        json_null(w);
        return;
    }
    json_string(w, util_format_utc(ns, buf, sizeof(buf)));
}

static void render_json(FILE *out, const struct v6m_traffic_result *res,
                        const struct v6m_traffic_meta *m, struct json_writer *w)
{
    json_init(w, out, true);
    json_begin_object(w);
    json_key(w, "schema");
    json_string(w, "v6mon.traffic/1");
    json_key(w, "tool");
    json_begin_object(w);
    json_key(w, "name");
    json_string(w, "v6mon");
    json_key(w, "version");
    json_string(w, m->tool_version);
    json_end_object(w);

    json_key(w, "inputs");
    json_begin_array(w);
    for (size_t i = 0; i < m->n_inputs; i++) {
        json_begin_object(w);
        json_key(w, "name");
        json_string(w, m->inputs[i].name);
        json_key(w, "format");
        json_string(w, m->inputs[i].format);
        json_key(w, "bytes");
        json_u64(w, m->inputs[i].bytes);
        json_key(w, "digest");
        if (m->inputs[i].digest)
            json_string(w, m->inputs[i].digest);
        else
            json_null(w);
        json_end_object(w);
    }
    json_end_array(w);
    json_key(w, "vantage");
    json_string(w, m->vantage ? m->vantage : "");
    json_key(w, "segments_file");
    if (m->segments_file)
        json_string(w, m->segments_file);
    else
        json_null(w);

    json_key(w, "time_range");
    json_begin_object(w);
    json_time(w, "first", res->first_ns);
    json_time(w, "last", res->last_ns);
    json_key(w, "first_ns");
    json_u64(w, res->first_ns);
    json_key(w, "last_ns");
    json_u64(w, res->last_ns);
    json_end_object(w);
    json_key(w, "bucket_seconds");
    json_u64(w, res->bucket_ns / 1000000000ULL);
    json_key(w, "interrupted");
    json_bool(w, m->interrupted);

    json_key(w, "totals");
    json_begin_object(w);
    json_family_block(w, &res->totals);
    json_end_object(w);

    json_key(w, "segments");
    json_begin_array(w);
    for (size_t s = 0; s < res->n_segments; s++) {
        const char *name = segment_name(res, s);
        const char *ind;
        double target;
        json_begin_object(w);
        json_key(w, "name");
        json_string(w, name);
        json_key(w, "indicator");
        if (v6m_segment_target(name, &ind, &target)) {
            json_begin_object(w);
            json_key(w, "id");
            json_string(w, ind);
            json_key(w, "target");
            json_double(w, target, 4);
            json_key(w, "measure");
            json_string(w, "ipv6_share.bytes");
            json_end_object(w);
        } else {
            json_null(w);
        }
        json_family_block(w, &res->segments[s]);
        json_key(w, "directions");
        json_begin_object(w);
        static const char *const dir_names[3] = {"unknown", "up", "down"};
        for (int d = 0; d < 3; d++) {
            json_key(w, dir_names[d]);
            json_begin_object(w);
            json_family_block(w, &res->seg_dir[s * 3 + (size_t)d]);
            json_end_object(w);
        }
        json_end_object(w);
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "buckets");
    json_begin_array(w);
    for (size_t i = 0; i < res->n_buckets; i++) {
        const struct v6m_traffic_bucket *b = &res->buckets[i];
        char buf[32];
        json_begin_object(w);
        json_key(w, "start");
        json_string(w, util_format_utc((uint64_t)b->start_s * 1000000000ULL, buf, sizeof(buf)));
        json_key(w, "start_s");
        json_i64(w, b->start_s);
        json_key(w, "segment");
        json_string(w, segment_name(res, b->segment));
        json_family_block(w, &b->c);
        json_end_object(w);
    }
    json_end_array(w);

    json_key(w, "dropped");
    json_begin_object(w);
    for (unsigned r = 1; r < V6M_DROP__COUNT; r++) {
        json_key(w, v6m_drop_name(r));
        json_u64(w, res->drops[r]);
    }
    json_end_object(w);

    json_key(w, "ipv6plus");
    json_begin_object(w);
    json_key(w, "ipv6_packets");
    json_u64(w, res->ipv6plus.ipv6_packets);
    json_key(w, "srh_packets");
    json_u64(w, res->ipv6plus.srh_packets);
    json_key(w, "flow_label_packets");
    json_u64(w, res->ipv6plus.flow_label_packets);
    json_key(w, "extension_headers");
    json_begin_object(w);
    for (unsigned e = 0; e < V6M_EXT__COUNT; e++) {
        json_key(w, v6m_ext_name(e));
        json_u64(w, res->ipv6plus.ext_packets[e]);
    }
    json_end_object(w);
    json_end_object(w);

    json_key(w, "encapsulations");
    json_begin_object(w);
    for (unsigned b = 0; b < V6M_ENC__BITS; b++) {
        const char *n = v6m_encap_name(b);
        if (!n)
            break;
        json_key(w, n);
        json_u64(w, res->encap_packets[b]);
    }
    json_end_object(w);

    json_key(w, "limits");
    json_begin_object(w);
    json_key(w, "flows_max_active");
    json_u64(w, res->flows_max_active);
    json_key(w, "flows_evicted");
    json_u64(w, res->flows_evicted);
    json_key(w, "flows_expired_idle");
    json_u64(w, res->flows_expired_idle);
    json_key(w, "flows_expired_active");
    json_u64(w, res->flows_expired_active);
    json_key(w, "buckets_overflow");
    json_u64(w, res->buckets_overflow);
    json_key(w, "fragments_held");
    json_u64(w, res->decoder.frag_held);
    json_key(w, "fragments_unresolved");
    json_u64(w, res->decoder.frag_held_dropped);
    json_key(w, "fragment_entries_max");
    json_u64(w, res->decoder.frag_entries_max);
    json_key(w, "fragment_entries_evicted");
    json_u64(w, res->decoder.frag_evicted);
    json_key(w, "fragment_entries_expired");
    json_u64(w, res->decoder.frag_expired);
    json_end_object(w);

    if (m->users)
        report_users_json(w, m->users, res->segment_names);
    if (m->apps)
        report_apps_json(w, m->apps, res->segment_names, res->n_segments);

    json_key(w, "source");
    json_begin_object(w);
    json_key(w, "frames");
    json_u64(w, m->frames_read);
    json_key(w, "files_damaged");
    json_u64(w, m->files_damaged);
    json_key(w, "frames_oversized");
    json_u64(w, m->frames_oversized);
    json_key(w, "frames_short_wirelen");
    json_u64(w, m->frames_short_wirelen);
    json_key(w, "live_dropped");
    json_u64(w, m->live_dropped);
    json_key(w, "live_if_dropped");
    json_u64(w, m->live_if_dropped);
    json_key(w, "warnings");
    json_begin_array(w);
    for (size_t i = 0; i < m->n_warnings; i++)
        json_string(w, m->warnings[i]);
    json_end_array(w);
    json_end_object(w);

    json_key(w, "store");
    if (m->db) {
        json_begin_object(w);
        json_key(w, "db");
        json_string(w, m->db);
        json_key(w, "run_id");
        json_i64(w, m->run_id);
        json_key(w, "run_key");
        json_string(w, m->run_key ? m->run_key : "");
        json_key(w, "replaced");
        json_bool(w, m->run_replaced);
        json_end_object(w);
    } else {
        json_null(w);
    }
    json_key(w, "elapsed_seconds");
    json_double(w, (double)m->elapsed_ns / 1e9, 4);
    json_end_object(w);
}

/* ---- CSV --------------------------------------------------------------- */

static void csv_share(FILE *out, double s)
{
    if (s >= 0)
        fprintf(out, ",%.6f", s);
    else
        fputs(",", out);
}

static void csv_row(FILE *out, const char *scope, const char *start, const char *segment,
                    const struct v6m_family_counts *c)
{
    const struct v6m_counts *v4 = &c->fam[V6M_FAMILY_IPV4];
    const struct v6m_counts *v6 = &c->fam[V6M_FAMILY_IPV6];
    const struct v6m_counts *ot = &c->fam[V6M_FAMILY_OTHER];
    fprintf(out, "%s,%s,%s,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu", scope, start, segment,
            (unsigned long long)v4->packets, (unsigned long long)v4->bytes,
            (unsigned long long)v4->flows, (unsigned long long)v6->packets,
            (unsigned long long)v6->bytes, (unsigned long long)v6->flows,
            (unsigned long long)ot->packets, (unsigned long long)ot->bytes);
    csv_share(out, share_of(c, 0));
    csv_share(out, share_of(c, 1));
    csv_share(out, share_of(c, 2));
    fputc('\n', out);
}

static void render_csv(FILE *out, const struct v6m_traffic_result *res)
{
    char buf[32];
    fputs("scope,bucket_start,segment,ipv4_packets,ipv4_bytes,ipv4_flows,ipv6_packets,"
          "ipv6_bytes,ipv6_flows,other_packets,other_bytes,ipv6_share_packets,"
          "ipv6_share_bytes,ipv6_share_flows\n",
          out);
    csv_row(out, "total", "", "", &res->totals);
    for (size_t s = 0; s < res->n_segments; s++)
        csv_row(out, "segment", "", segment_name(res, s), &res->segments[s]);
    for (size_t i = 0; i < res->n_buckets; i++) {
        const struct v6m_traffic_bucket *b = &res->buckets[i];
        util_format_utc((uint64_t)b->start_s * 1000000000ULL, buf, sizeof(buf));
        csv_row(out, "bucket", buf, segment_name(res, b->segment), &b->c);
    }
}

/* ---- text -------------------------------------------------------------- */

static void human_count(uint64_t v, char *buf, size_t n)
{
    if (v >= 10000000000ULL)
        snprintf(buf, n, "%.1fG", (double)v / 1e9);
    else if (v >= 10000000ULL)
        snprintf(buf, n, "%.1fM", (double)v / 1e6);
    else
        snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* Sparkline of the per-bucket IPv6 byte share of one segment. */
static void sparkline(FILE *out, const struct v6m_traffic_result *res, size_t seg)
{
    static const char *const blocks[8] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                          "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                          "\xe2\x96\x87", "\xe2\x96\x88"};
    size_t n = 0;
    for (size_t i = 0; i < res->n_buckets; i++)
        if (res->buckets[i].segment == seg)
            n++;
    if (n < 2)
        return;
    /* At most 60 columns: merge consecutive buckets (ratio of sums). */
    size_t per = (n + 59) / 60, col = 0;
    uint64_t v4 = 0, v6 = 0;
    fputs("    ", out);
    for (size_t i = 0; i < res->n_buckets; i++) {
        const struct v6m_traffic_bucket *b = &res->buckets[i];
        if (b->segment != seg)
            continue;
        v4 += b->c.fam[V6M_FAMILY_IPV4].bytes;
        v6 += b->c.fam[V6M_FAMILY_IPV6].bytes;
        if (++col == per) {
            double s = v6m_share(v4, v6);
            fputs(s < 0 ? " " : blocks[s >= 1.0 ? 7 : (int)(s * 8)], out);
            col = 0;
            v4 = v6 = 0;
        }
    }
    if (col) {
        double s = v6m_share(v4, v6);
        fputs(s < 0 ? " " : blocks[s >= 1.0 ? 7 : (int)(s * 8)], out);
    }
    char bw[32];
    uint64_t secs = res->bucket_ns / 1000000000ULL * per;
    if (secs % 3600 == 0)
        snprintf(bw, sizeof(bw), "%lluh", (unsigned long long)(secs / 3600));
    else if (secs % 60 == 0)
        snprintf(bw, sizeof(bw), "%llumin", (unsigned long long)(secs / 60));
    else
        snprintf(bw, sizeof(bw), "%llus", (unsigned long long)secs);
    fprintf(out, "  IPv6 byte share of %s per %s (%zu buckets)\n", segment_name(res, seg), bw,
            n);
}

static void text_row(FILE *out, const char *name, const struct v6m_family_counts *c,
                     const char *target)
{
    char v4b[24], v6b[24], v4p[24], v6p[24], sb[16], sp[16], sf[16];
    report_human_bytes(c->fam[V6M_FAMILY_IPV4].bytes, v4b, sizeof(v4b));
    report_human_bytes(c->fam[V6M_FAMILY_IPV6].bytes, v6b, sizeof(v6b));
    human_count(c->fam[V6M_FAMILY_IPV4].packets, v4p, sizeof(v4p));
    human_count(c->fam[V6M_FAMILY_IPV6].packets, v6p, sizeof(v6p));
    report_pct(share_of(c, 1), sb, sizeof(sb));
    report_pct(share_of(c, 0), sp, sizeof(sp));
    report_pct(share_of(c, 2), sf, sizeof(sf));
    fprintf(out, "%-10s %11s %11s %10s %10s %9s %9s %9s  %s\n", name, v4b, v6b, v4p, v6p, sb,
            sp, sf, target);
}

static void render_text(FILE *out, const struct v6m_traffic_result *res,
                        const struct v6m_traffic_meta *m)
{
    char a[32], b[32];
    fprintf(out, "v6mon traffic: IPv6 share of user traffic (innermost IP header)\n");
    if (m->n_inputs == 1)
        fprintf(out, "input     %s (%s)\n", m->inputs[0].name, m->inputs[0].format);
    else
        fprintf(out, "inputs    %zu, merged by time\n", m->n_inputs);
    if (res->first_ns)
        fprintf(out, "time      %s .. %s, buckets of %llu s\n",
                util_format_utc(res->first_ns, a, sizeof(a)),
                util_format_utc(res->last_ns, b, sizeof(b)),
                (unsigned long long)(res->bucket_ns / 1000000000ULL));
    if (m->vantage && *m->vantage)
        fprintf(out, "vantage   %s\n", m->vantage);
    fprintf(out, "segments  %s\n", m->segments_file ? m->segments_file
                                                     : "default (GTP-U user = mobile, "
                                                       "PPPoE session = metro)");
    if (m->interrupted)
        fprintf(out, "note      interrupted: these are the counts up to the stop\n");
    fputc('\n', out);

    fprintf(out, "%-10s %11s %11s %10s %10s %9s %9s %9s  %s\n", "segment", "IPv4 bytes",
            "IPv6 bytes", "IPv4 pkts", "IPv6 pkts", "v6 bytes", "v6 pkts", "v6 flows",
            "target (IPv6 byte share)");
    for (size_t s = 0; s < res->n_segments; s++) {
        const char *name = segment_name(res, s);
        const struct v6m_family_counts *c = &res->segments[s];
        uint64_t any = c->fam[0].packets + c->fam[1].packets + c->fam[2].packets;
        const char *ind;
        double target;
        char tbuf[96] = "";
        if (v6m_segment_target(name, &ind, &target)) {
            double sh = share_of(c, 1);
            if (sh < 0)
                snprintf(tbuf, sizeof(tbuf), "%s %.0f%%: no IP traffic seen", ind,
                         100 * target);
            else
                snprintf(tbuf, sizeof(tbuf), "%s %.0f%%: %s (%+.1f pts)", ind, 100 * target,
                         sh >= target ? "met" : "not met", 100 * (sh - target));
        }
        if (!any && !tbuf[0])
            continue;
        text_row(out, name, c, tbuf);
    }
    text_row(out, "total", &res->totals, "");
    for (size_t s = 0; s < res->n_segments; s++)
        sparkline(out, res, s);

    fputc('\n', out);
    report_human_bytes(res->totals.fam[V6M_FAMILY_OTHER].bytes, a, sizeof(a));
    fprintf(out, "not IP    %llu packets, %s (ARP, PPPoE discovery, PPP control, ...)\n",
            (unsigned long long)res->totals.fam[V6M_FAMILY_OTHER].packets, a);
    fprintf(out, "flows     %llu IPv4, %llu IPv6 (bidirectional 5-tuples)\n",
            (unsigned long long)res->totals.fam[V6M_FAMILY_IPV4].flows,
            (unsigned long long)res->totals.fam[V6M_FAMILY_IPV6].flows);

    uint64_t ndrop = 0;
    for (unsigned r = 1; r < V6M_DROP__COUNT; r++)
        ndrop += res->drops[r];
    if (ndrop) {
        fprintf(out, "undecoded %llu packets, counted under their outer family:",
                (unsigned long long)ndrop);
        for (unsigned r = 1; r < V6M_DROP__COUNT; r++)
            if (res->drops[r])
                fprintf(out, " %s %llu", v6m_drop_name(r), (unsigned long long)res->drops[r]);
        fputc('\n', out);
    } else {
        fprintf(out, "undecoded none\n");
    }

    const struct v6m_ipv6plus *p = &res->ipv6plus;
    fprintf(out, "IPv6+     %llu packets with a segment routing header, %llu with a flow label",
            (unsigned long long)p->srh_packets, (unsigned long long)p->flow_label_packets);
    bool any_ext = false;
    for (unsigned e = 0; e < V6M_EXT__COUNT; e++)
        if (p->ext_packets[e]) {
            fprintf(out, "%s%s %llu", any_ext ? ", " : "; extension headers: ", v6m_ext_name(e),
                    (unsigned long long)p->ext_packets[e]);
            any_ext = true;
        }
    fputc('\n', out);

    bool any_enc = false;
    for (unsigned bit = 0; bit < V6M_ENC__BITS; bit++) {
        const char *n = v6m_encap_name(bit);
        if (!n)
            break;
        if (res->encap_packets[bit]) {
            fprintf(out, "%s%s %llu", any_enc ? ", " : "encaps    ", n,
                    (unsigned long long)res->encap_packets[bit]);
            any_enc = true;
        }
    }
    if (any_enc)
        fputc('\n', out);

    if (res->flows_evicted || res->buckets_overflow || res->decoder.frag_evicted ||
        res->decoder.frag_held_dropped)
        fprintf(out,
                "limits    flows evicted %llu (table full), buckets overflowed %llu, fragment "
                "entries evicted %llu, fragments unresolved %llu\n",
                (unsigned long long)res->flows_evicted,
                (unsigned long long)res->buckets_overflow,
                (unsigned long long)res->decoder.frag_evicted,
                (unsigned long long)res->decoder.frag_held_dropped);
    if (m->live_dropped || m->live_if_dropped)
        fprintf(out, "capture   kernel dropped %llu, interface dropped %llu\n",
                (unsigned long long)m->live_dropped, (unsigned long long)m->live_if_dropped);
    if (m->files_damaged || m->frames_oversized)
        fprintf(out, "inputs    %llu damaged (see warnings), %llu oversized frames skipped\n",
                (unsigned long long)m->files_damaged, (unsigned long long)m->frames_oversized);
    if (m->frames_short_wirelen)
        fprintf(out, "inputs    %llu frames with a wire length below their captured length "
                     "(counted as written)\n",
                (unsigned long long)m->frames_short_wirelen);
    if (m->db)
        fprintf(out, "stored    run %lld in %s%s\n", (long long)m->run_id, m->db,
                m->run_replaced ? " (replaced the earlier run of the same input)" : "");
    double secs = (double)m->elapsed_ns / 1e9;
    /* A rate over a fraction of a second says more about start-up than
     * about speed: only show it for runs long enough to mean something. */
    if (secs >= 0.5)
        fprintf(out, "read      %llu frames in %.2f s (%.2f M frames/s)\n",
                (unsigned long long)m->frames_read, secs, (double)m->frames_read / secs / 1e6);
    else
        fprintf(out, "read      %llu frames in %.2f s\n", (unsigned long long)m->frames_read,
                secs);
}

v6m_err v6m_report_traffic(FILE *out, enum v6m_format fmt,
                           const struct v6m_traffic_result *res,
                           const struct v6m_traffic_meta *meta)
{
    struct json_writer w;
    switch (fmt) {
    case V6M_FORMAT_JSON:
        render_json(out, res, meta, &w);
        if (!json_finish(&w))
            return V6M_ERR_IO;
        break;
    case V6M_FORMAT_CSV:
        if (meta->csv_table && strcmp(meta->csv_table, "users") == 0 && meta->users)
            report_users_csv(out, meta->users, res->segment_names);
        else if (meta->csv_table && strcmp(meta->csv_table, "apps") == 0 && meta->apps)
            report_apps_csv(out, meta->apps, res->segment_names, res->n_segments);
        else if (meta->csv_table && strcmp(meta->csv_table, "names") == 0 && meta->apps)
            report_names_csv(out, meta->apps);
        else
            render_csv(out, res);
        break;
    case V6M_FORMAT_TEXT:
        render_text(out, res, meta);
        if (meta->users)
            report_users_text(out, meta->users, res->segment_names);
        if (meta->apps)
            report_apps_text(out, meta->apps);
        break;
    }
    if (fflush(out) != 0 || ferror(out))
        return V6M_ERR_IO;
    return V6M_OK;
}
