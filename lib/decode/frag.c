/*
 * decode/frag.c - the bounded fragment table (contract: top of decoder.h).
 *
 * What. Fragments of one IP datagram share a key (family, src, dst, id and,
 * for IPv4, the protocol; RFC 791 / RFC 8200). We do not reassemble bytes:
 * the first fragment (offset 0) is decoded as far as its bytes go and its
 * record is remembered; later fragments copy the inner fields from it.
 * Non-first fragments that come before the first are *held* (a copy of
 * their record) and released resolved when the first arrives, or released
 * unresolved when their entry expires, is evicted or at flush.
 *
 * Why this structure. One lookup per fragmented frame, O(1) expected:
 *  - a chained hash (bucket heads: uint32 indices, power-of-two count
 *    >= capacity) over a fixed pool of entries, keyed with hash_bytes()
 *    and a per-table random seed (attacker-chosen keys cannot aim at one
 *    chain predictably);
 *  - an age list in creation order: expiry looks only at its head (at
 *    most FRAG_EXPIRE_BUDGET entries per call, amortised O(1)), and when
 *    the pool is full the oldest entry is evicted;
 *  - pools are handed out with a bump index and then a free list, so a
 *    large capacity costs only address space until it is used.
 * An entry is removed early when its first and last fragments have been
 * seen, every payload byte is accounted for and nothing is held.
 *
 * Invariants: every held record is either on exactly one entry's list or
 * on the release queue; every input frame leaves exactly once (DONE or a
 * release); counters: frag_evicted / frag_expired per entry, frag_held per
 * held record, frag_held_dropped per record released unresolved.
 */
#include "decode/decode_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define FRAG_EXPIRE_BUDGET 8

bool frag_init(struct v6m_decoder *dec)
{
    size_t cap = dec->cfg.frag_entries;
    if (cap > 0x40000000u)
        cap = 0x40000000u;
    size_t hcap = dec->cfg.frag_held_max;
    if (hcap > 0x40000000u)
        hcap = 0x40000000u;
    dec->ent_cap = (uint32_t)cap;
    dec->held_cap = (uint32_t)hcap;
    dec->ent_free = dec->held_free = FRAG_NIL;
    dec->age_head = dec->age_tail = FRAG_NIL;
    dec->rel_head = dec->rel_tail = FRAG_NIL;
    if (cap) {
        size_t nb = 1;
        while (nb < cap)
            nb <<= 1;
        dec->bmask = (uint32_t)(nb - 1);
        dec->buckets = malloc(nb * sizeof *dec->buckets);
        dec->ent = malloc(cap * sizeof *dec->ent);
        if (!dec->buckets || !dec->ent)
            return false;
        memset(dec->buckets, 0xff, nb * sizeof *dec->buckets);
    }
    if (hcap) {
        dec->held = malloc(hcap * sizeof *dec->held);
        if (!dec->held)
            return false;
    }
    return true;
}

void frag_release_mem(struct v6m_decoder *dec)
{
    free(dec->buckets);
    free(dec->ent);
    free(dec->held);
}

static uint32_t frag_bucket(const struct v6m_decoder *dec, const struct frag_key *k)
{
    return (uint32_t)hash_bytes(k, sizeof *k, dec->seed) & dec->bmask;
}

static struct frag_entry *frag_lookup(struct v6m_decoder *dec, const struct frag_key *k)
{
    uint32_t i = dec->buckets[frag_bucket(dec, k)];
    while (i != FRAG_NIL) {
        struct frag_entry *e = &dec->ent[i];
        if (memcmp(&e->key, k, sizeof *k) == 0)
            return e;
        i = e->hnext;
    }
    return NULL;
}

static void rel_push(struct v6m_decoder *dec, uint32_t h)
{
    dec->held[h].next = FRAG_NIL;
    if (dec->rel_tail == FRAG_NIL)
        dec->rel_head = h;
    else
        dec->held[dec->rel_tail].next = h;
    dec->rel_tail = h;
}

/* Copy what lies inside the fragmented header from the first fragment's
 * record `f` into the non-first fragment's record `p`. */
static void frag_resolve(struct v6m_packet *p, const struct frag_entry *e)
{
    const struct v6m_packet *f = &e->first;
    uint8_t level = p->n_ip;
    p->family = f->family;
    if (!(p->encap & V6M_ENC_PPP) && (f->encap & V6M_ENC_PPP)) {
        p->ppp_proto = f->ppp_proto;
        p->pppoe_session = f->pppoe_session;
        p->ppp_proto_nonip = f->ppp_proto_nonip;
    }
    p->encap |= f->encap;
    p->ext_mask |= f->ext_mask;
    if (f->depth > p->depth)
        p->depth = f->depth;
    if (f->n_ip > e->level) {
        p->inner = f->inner;
        p->inner.offset = 0;
        p->inner.l4_offset = 0;
        unsigned n = (unsigned)level + f->n_ip - e->level;
        p->n_ip = (uint8_t)(n > 255 ? 255 : n);
    }
    p->l4_proto = f->l4_proto;
    p->tcp_flags = f->tcp_flags;
    p->icmp_type = f->icmp_type;
    p->icmp_code = f->icmp_code;
    p->sport = f->sport;
    p->dport = f->dport;
    if (f->encap & V6M_ENC_GTPU) {
        p->gtp_msg_type = f->gtp_msg_type;
        p->gtp_user = f->gtp_user;
        p->gtp_qfi = f->gtp_qfi;
        p->gtp_pdu_type = f->gtp_pdu_type;
        p->gtp_teid = f->gtp_teid;
        p->gtp_ep_family = f->gtp_ep_family;
        memcpy(p->gtp_ep_src, f->gtp_ep_src, 16);
        memcpy(p->gtp_ep_dst, f->gtp_ep_dst, 16);
    }
    if (f->encap & V6M_ENC_TEREDO) {
        p->teredo_origin = f->teredo_origin;
        p->teredo_auth = f->teredo_auth;
    }
    if (f->gre_has_key) {
        p->gre_key = f->gre_key;
        p->gre_has_key = 1;
    }
    if (f->vni)
        p->vni = f->vni;
    if (p->drop == V6M_DROP_NONE && f->drop != V6M_DROP_TRUNCATED)
        p->drop = f->drop;
    p->payload_offset = 0;
    p->payload_len = 0;
    p->frag_resolved = 1;
}

/* Unlink and free entry i; its held records go out (resolved ones were
 * already moved) unresolved. */
static void frag_remove(struct v6m_decoder *dec, uint32_t i)
{
    struct frag_entry *e = &dec->ent[i];
    uint32_t h = e->held_head;
    while (h != FRAG_NIL) {
        uint32_t nx = dec->held[h].next;
        struct v6m_packet *p = &dec->held[h].pkt;
        p->drop = V6M_DROP_FRAGMENT_UNRESOLVED;
        dec->st.frag_held_dropped++;
        rel_push(dec, h);
        h = nx;
    }
    uint32_t *pp = &dec->buckets[frag_bucket(dec, &e->key)];
    while (*pp != i && *pp != FRAG_NIL)
        pp = &dec->ent[*pp].hnext;
    if (*pp == i)
        *pp = e->hnext;
    if (e->aprev == FRAG_NIL)
        dec->age_head = e->anext;
    else
        dec->ent[e->aprev].anext = e->anext;
    if (e->anext == FRAG_NIL)
        dec->age_tail = e->aprev;
    else
        dec->ent[e->anext].aprev = e->aprev;
    e->hnext = dec->ent_free;
    dec->ent_free = i;
    dec->ent_live--;
}

void frag_expire(struct v6m_decoder *dec, uint64_t now)
{
    for (int n = 0; n < FRAG_EXPIRE_BUDGET && dec->age_head != FRAG_NIL; n++) {
        struct frag_entry *e = &dec->ent[dec->age_head];
        if (now < e->ts || now - e->ts < dec->cfg.frag_timeout_ns)
            break;
        dec->st.frag_expired++;
        frag_remove(dec, dec->age_head);
    }
}

static struct frag_entry *frag_create(struct v6m_decoder *dec, const struct frag_key *k,
                                      uint64_t now)
{
    if (dec->ent_cap == 0)
        return NULL;
    if (dec->ent_live >= dec->ent_cap) {
        dec->st.frag_evicted++;
        frag_remove(dec, dec->age_head);
    }
    uint32_t i;
    if (dec->ent_free != FRAG_NIL) {
        i = dec->ent_free;
        dec->ent_free = dec->ent[i].hnext;
    } else {
        i = dec->ent_bump++;
    }
    struct frag_entry *e = &dec->ent[i];
    e->key = *k;
    e->ts = now;
    e->held_head = e->held_tail = FRAG_NIL;
    e->bytes = 0;
    e->total = 0;
    e->have_first = 0;
    e->has_last = 0;
    e->level = 0;
    uint32_t *b = &dec->buckets[frag_bucket(dec, k)];
    e->hnext = *b;
    *b = i;
    e->anext = FRAG_NIL;
    e->aprev = dec->age_tail;
    if (dec->age_tail == FRAG_NIL)
        dec->age_head = i;
    else
        dec->ent[dec->age_tail].anext = i;
    dec->age_tail = i;
    dec->ent_live++;
    if (dec->ent_live > dec->st.frag_entries_max)
        dec->st.frag_entries_max = dec->ent_live;
    return e;
}

static void frag_account(struct frag_entry *e, const struct frag_hit *f)
{
    e->bytes += f->len;
    if (!f->more) {
        e->has_last = 1;
        e->total = f->offset + f->len;
    }
}

static void frag_maybe_done(struct v6m_decoder *dec, struct frag_entry *e)
{
    if (e->have_first && e->has_last && e->bytes >= e->total && e->held_head == FRAG_NIL)
        frag_remove(dec, (uint32_t)(e - dec->ent));
}

enum v6m_decode_result frag_process(struct v6m_decoder *dec, struct dctx *d)
{
    struct v6m_packet *pkt = d->pkt;
    uint64_t now = pkt->ts_ns;

    for (unsigned n = 0; n < d->n_first; n++) {
        const struct frag_hit *f = &d->first[n];
        struct frag_entry *e = dec->ent_cap ? frag_lookup(dec, &f->key) : NULL;
        if (!e)
            e = frag_create(dec, &f->key, now);
        if (!e)
            continue;
        e->first = *pkt;
        e->have_first = 1;
        e->level = f->level;
        frag_account(e, f);
        uint32_t h = e->held_head;
        e->held_head = e->held_tail = FRAG_NIL;
        while (h != FRAG_NIL) {
            uint32_t nx = dec->held[h].next;
            frag_resolve(&dec->held[h].pkt, e);
            rel_push(dec, h);
            h = nx;
        }
        frag_maybe_done(dec, e);
    }
    if (!d->has_nonfirst)
        return V6M_DECODE_DONE;

    const struct frag_hit *f = &d->nonfirst;
    struct frag_entry *e = dec->ent_cap ? frag_lookup(dec, &f->key) : NULL;
    if (e && e->have_first) {
        frag_resolve(pkt, e);
        frag_account(e, f);
        frag_maybe_done(dec, e);
        return V6M_DECODE_DONE;
    }
    if (dec->held_live >= dec->held_cap) {
        pkt->drop = V6M_DROP_FRAGMENT_UNRESOLVED;
        return V6M_DECODE_DONE;
    }
    if (!e)
        e = frag_create(dec, &f->key, now);
    if (!e) {
        pkt->drop = V6M_DROP_FRAGMENT_UNRESOLVED;
        return V6M_DECODE_DONE;
    }
    uint32_t h;
    if (dec->held_free != FRAG_NIL) {
        h = dec->held_free;
        dec->held_free = dec->held[h].next;
    } else {
        h = dec->held_bump++;
    }
    dec->held_live++;
    dec->st.frag_held++;
    struct frag_held *hr = &dec->held[h];
    hr->pkt = *pkt;
    hr->pkt.frag_held = 1;
    hr->next = FRAG_NIL;
    if (e->held_tail == FRAG_NIL)
        e->held_head = h;
    else
        dec->held[e->held_tail].next = h;
    e->held_tail = h;
    frag_account(e, f);
    return V6M_DECODE_HELD;
}

bool frag_pop(struct v6m_decoder *dec, struct v6m_packet *pkt)
{
    uint32_t h = dec->rel_head;
    if (h == FRAG_NIL)
        return false;
    dec->rel_head = dec->held[h].next;
    if (dec->rel_head == FRAG_NIL)
        dec->rel_tail = FRAG_NIL;
    *pkt = dec->held[h].pkt;
    dec->st.drops[pkt->drop < V6M_DROP__COUNT ? pkt->drop : 0]++;
    dec->held[h].next = dec->held_free;
    dec->held_free = h;
    dec->held_live--;
    return true;
}

void frag_flush(struct v6m_decoder *dec)
{
    while (dec->age_head != FRAG_NIL)
        frag_remove(dec, dec->age_head);
}
