/*
 * synth/naming.c - how the generator's conversations get their host names
 * (model in gen.h, catalog and address plan in hosts.h): the host of a
 * named conversation (by weight and IPv6 preference), its DNS answer
 * window and server address, the naming method and its payload (a TLS
 * ClientHello in records, QUIC v1 Initials through tlsbuild.h), and at the
 * end the per-name truth, sorted and checked against the totals.
 *
 * Why the payload is rebuilt rather than stored: a ClientHello is 0.3 to
 * 1.8 KB and a pool holds up to 768 conversations; the builders are
 * deterministic from the conversation's seed, so the bytes are made again
 * into struct gen's scratch buffers when a part is written.
 *
 * Invariant kept by the callers (gen.c): a named conversation's data flow
 * starts only after its lookup's answers are written, so every flow to a
 * named address is named, by its own payload or by that lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "synth/gen.h"
#include "synth/hosts.h"
#include "synth/tlsbuild.h"

#define FAM4 V6M_FAMILY_IPV4
#define FAM6 V6M_FAMILY_IPV6

/* A host by cumulative weight table k (0 IPv4 flows, 1 IPv6, 2 any);
 * hosts_count when the table is empty. */
size_t gen_pick_host(struct gen *g, int k)
{
    size_t n = hosts_count < GEN_MAX_HOSTS ? hosts_count : GEN_MAX_HOSTS;
    uint64_t tot = g->host_cum[k][n - 1];
    if (tot == 0)
        return hosts_count;
    uint64_t r = rng_below(&g->rng, tot);
    for (size_t h = 0; h < n; h++)
        if (r < g->host_cum[k][h])
            return h;
    return n - 1;
}

/* Server address of the conversation's current flow. */
void gen_set_server(struct gen_conv *c, const struct gen *g)
{
    if (c->kind == GK_DNS || (c->name && c->stage == 0)) {
        c->s4 = hosts_resolver4(c->srv);
        hosts_resolver6(c->srv, c->s6);
    } else if (c->name) {
        size_t h = c->name - 1u;
        c->s4 = hosts_addr4(h, c->addr_i);
        hosts_addr6(h, c->addr_i, c->s6);
    } else {
        c->s4 = g->srv_v4[c->srv];
        memcpy(c->s6, g->srv_v6[c->srv], 16);
    }
}

/* The DNS answer window of host h for qtype: at most 4 addresses, all of
 * them for small hosts, a random run of 4 for the big one. */
void gen_answer_window(struct gen *g, size_t h, uint16_t qtype, uint8_t *first, uint8_t *n)
{
    unsigned have = qtype == 28 ? hosts_table[h].n6 : hosts_table[h].n4;
    if (have <= 4) {
        *first = 0;
        *n = (uint8_t)have;
    } else {
        *first = (uint8_t)rng_below(&g->rng, have - 3);
        *n = 4;
    }
}

/* Plan a named data flow: host, address, method, lookup. Returns false
 * when no host has an address of the family. */
bool gen_plan_named(struct gen *g, struct gen_conv *c, bool dual_client)
{
    size_t h = gen_pick_host(g, c->fam == FAM6 ? 1 : 0);
    if (h >= hosts_count)
        return false;
    c->name = (uint16_t)(h + 1);
    c->qhost = (uint16_t)h;
    uint16_t qt = c->fam == FAM6 ? 28 : 1;
    c->nq = 1;
    c->qt[0] = qt;
    gen_answer_window(g, h, qt, &c->af[0], &c->an[0]);
    c->addr_i = (uint8_t)(c->af[0] + rng_below(&g->rng, c->an[0]));
    if (dual_client && rng_unit(&g->rng) < 0.4) { /* A and AAAA from one socket */
        c->nq = 2;
        c->qt[1] = qt == 28 ? 1 : 28;
        gen_answer_window(g, h, c->qt[1], &c->af[1], &c->an[1]);
    }
    double r = rng_unit(&g->rng);
    if (c->kind == GK_QUIC) {
        c->method = r < 0.85 ? GM_QUIC : GM_DNS;
        if (c->method == GM_QUIC && rng_unit(&g->rng) < 0.15) {
            c->split = 1; /* ML-KEM sized hello: two Initials */
            c->pad = 1220;
        } else {
            c->pad = (uint16_t)rng_below(&g->rng, 160);
        }
    } else if (c->data_dport == 80) {
        c->method = r < 0.8 ? GM_HOST : GM_DNS;
    } else {
        c->method = r < 0.85 ? GM_SNI : GM_DNS;
        if (c->method == GM_SNI) {
            double q = rng_unit(&g->rng);
            if (q < 0.10) {
                c->split = 1; /* does not fit one segment */
                c->pad = 1220;
            } else {
                c->split = q < 0.20; /* small hello cut at a random byte */
                c->pad = (uint16_t)rng_below(&g->rng, 200);
            }
        }
    }
    if (c->method == GM_DNS) /* keep the flow well inside the answer's TTL */
        c->n = c->kind == GK_QUIC ? 4 + (uint32_t)rng_below(&g->rng, 16)
                                  : 2 + (uint32_t)rng_below(&g->rng, 16);
    c->pl_seed = rng_next(&g->rng);
    c->stage = 0;
    return true;
}

/* Frames written, at most, before slot c of segment s is visited again:
 * the pool's other slots each take a step of the segment, the smooth
 * weighted round robin gives the segment its share to within one step,
 * and a step writes at most two frames (a fragment pair). */
bool gen_room_for_next_visit(const struct gen *g, int s)
{
    double steps = ((double)g->pool_n[s] + 2.0) / g->mix[s] + 2.0;
    return (double)(g->cfg.packets - g->frame_idx) > 2.0 * steps + 8.0;
}

/* ClientHello in TLS records into g->rec; 0 on failure. */
size_t gen_tls_bytes(struct gen *g, const struct gen_conv *c)
{
    const char *sni = hosts_table[c->name - 1].name;
    size_t hl = tlsbuild_client_hello(g->hs, sizeof(g->hs), sni, c->pad, c->pl_seed);
    return hl ? tlsbuild_records(g->rec, sizeof(g->rec), g->hs, hl) : 0;
}

/* QUIC connection ids of c (8 bytes each, from its seed). */
static void quic_cids(const struct gen_conv *c, uint8_t dcid[8], uint8_t scid[8])
{
    uint64_t a = c->pl_seed * 0x9e3779b97f4a7c15ULL, b = ~c->pl_seed * 0xbf58476d1ce4e5b9ULL;
    for (int i = 0; i < 8; i++) {
        dcid[i] = (uint8_t)(a >> (56 - 8 * i));
        scid[i] = (uint8_t)(b >> (56 - 8 * i));
    }
}

/* Client Initial number `part` (0, 1) of a named QUIC flow into g->rec.
 * Returns its length (0: build failed) and whether it completes the hello. */
size_t gen_quic_initial(struct gen *g, struct gen_conv *c, unsigned part, bool *complete)
{
    uint8_t dcid[8], scid[8];
    quic_cids(c, dcid, scid);
    const char *sni = hosts_table[c->name - 1].name;
    size_t room = tlsbuild_quic_crypto_room(8, 8, 0, 0, 1200);
    size_t hl = tlsbuild_client_hello_quic(g->hs, sizeof(g->hs), sni, c->pad, c->pl_seed, scid, 8);
    if (part == 0 && hl > room && !(c->split && gen_room_for_next_visit(g, c->seg))) {
        c->pad = (uint16_t)(c->pad % 160); /* must fit one Initial */
        hl = tlsbuild_client_hello_quic(g->hs, sizeof(g->hs), sni, c->pad, c->pl_seed, scid, 8);
    }
    if (part == 0)
        c->split = hl > room;
    if (!hl || (c->split && hl - room > tlsbuild_quic_crypto_room(8, 8, 1, room, 1200)))
        return 0;
    size_t off = part ? room : 0, len = c->split && part == 0 ? room : hl - off;
    *complete = part == 1 || !c->split;
    return tlsbuild_quic_initial(g->rec, sizeof(g->rec), dcid, 8, scid, 8, part, g->hs + off, len,
                                 off, 1200);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const struct v6m_synth_name_truth *)a)->name,
                  ((const struct v6m_synth_name_truth *)b)->name);
}

v6m_err gen_finish_names(struct gen *g)
{
    size_t n = hosts_count < GEN_MAX_HOSTS ? hosts_count : GEN_MAX_HOSTS;
    g->names_out = calloc(n, sizeof(*g->names_out));
    if (!g->names_out)
        return errbuf_set(&g->err, V6M_ERR_NOMEM, "out of memory (names)");
    struct v6m_synth_counts sum[V6M_FAMILY_COUNT];
    memcpy(sum, g->unattr, sizeof(sum));
    size_t k = 0;
    for (size_t h = 0; h < n; h++) {
        const struct v6m_synth_name_truth *nt = &g->names[h];
        uint64_t flows = 0, methods = 0;
        for (int f = 0; f < V6M_FAMILY_COUNT; f++) {
            sum[f].packets += nt->fam[f].packets;
            sum[f].bytes += nt->fam[f].bytes;
            sum[f].flows += nt->fam[f].flows;
            flows += nt->fam[f].flows;
        }
        for (int m = 0; m < V6M_SYNTH_METHODS; m++)
            methods += nt->method[m];
        if (methods != flows)
            return errbuf_set(&g->err, V6M_ERR_UNSUPPORTED,
                              "internal: %s has %llu flows but %llu by method", nt->name,
                              (unsigned long long)flows, (unsigned long long)methods);
        if (flows || nt->fam[FAM4].packets || nt->fam[FAM6].packets)
            g->names_out[k++] = *nt;
    }
    for (int f = FAM4; f <= FAM6; f++)
        if (sum[f].packets != g->truth.totals[f].packets ||
            sum[f].bytes != g->truth.totals[f].bytes || sum[f].flows != g->truth.totals[f].flows)
            return errbuf_set(&g->err, V6M_ERR_UNSUPPORTED,
                              "internal: names and unattributed do not add up to the totals");
    qsort(g->names_out, k, sizeof(*g->names_out), cmp_name);
    g->n_names_out = k;
    g->truth.names = g->names_out;
    g->truth.n_names = k;
    memcpy(g->truth.unattributed, g->unattr, sizeof(g->unattr));
    return V6M_OK;
}
