/*
 * classify/subscriber.c - subscriber keys of flows (see subscriber.h).
 *
 * Key layout before hashing (all modes): one kind byte, then the identity:
 *   gtp      'G' | TEID (4, big-endian) | endpoint family | endpoint (16)
 *   gtp-dl   'g' | the same with the downlink TEID and eNB endpoint
 *   pppoe    'P' | session id (2) | client MAC (6)
 *   mac      'M' | MAC (6)
 *   address  '4' | IPv4 (4)   or   '6' | IPv6 /64 prefix (8)
 *   binding  'B' | subscriber index (8)
 * hashed with key_hash() below: fixed constants, so equal identities give
 * equal keys in every run (sketches merge across runs and collectors). A
 * key of 0 is remapped to 1 (0 means "none").
 *
 * UE map: open addressing, linear probing, keyed by the UE address ('4' +
 * /32 or '6' + /64 prefix, hashed), value = bearer key. It starts small and
 * doubles while more than half full (memory follows the subscribers seen),
 * up to ue_map_max entries; once full, new UE addresses are not remembered
 * (ue_map_full) and their
 * downlink-first flows fall back to the downlink key. Entries are never
 * deleted: a bearer's addresses stay valid for the run (a reassigned
 * address moves to the new bearer when its next uplink flow overwrites it).
 */
#include "classify/subscriber.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define UE_MAP_DEFAULT ((size_t)1 << 22)
#define UE_MAP_START 4096

struct ue_slot {
    uint64_t addr_key;  /* hash of the UE address; 0 = empty */
    uint64_t bearer;
};

struct subscribers {
    unsigned mode;
    const v6m_bindings *bind;
    struct ue_slot *ue;
    size_t ue_mask;      /* capacity - 1 (power of two) */
    size_t ue_max;       /* entries allowed (capacity / 2) */
    size_t ue_n;
    struct subscriber_stats st;
};

/* Stable 64-bit hash of a short byte string (<= 32 bytes here): fixed
 * constants around hash_fmix64 (the murmur3 finalizer, fixed by its
 * definition), never hash_bytes (whose seed is per table). */
static uint64_t key_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 0x6a09e667f3bcc908ULL ^ (uint64_t)len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = hash_fmix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
        p += 8;
        len -= 8;
    }
    if (len) {
        uint64_t w = 0;
        memcpy(&w, p, len);
        h = hash_fmix64(h ^ w ^ 0xbb67ae8584caa73bULL);
    }
    h = hash_fmix64(h);
    return h ? h : 1;
}

struct subscribers *subscribers_new(unsigned mode, const v6m_bindings *bindings,
                                    size_t ue_map_max)
{
    if (mode >= V6M_SUB__COUNT || (mode == V6M_SUB_BINDING && !bindings))
        return NULL;
    struct subscribers *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->mode = mode;
    s->bind = bindings;
    if (mode == V6M_SUB_AUTO || mode == V6M_SUB_GTP || mode == V6M_SUB_PPPOE) {
        size_t max = ue_map_max ? ue_map_max : UE_MAP_DEFAULT;
        s->ue = calloc(UE_MAP_START, sizeof(*s->ue));
        if (!s->ue) {
            free(s);
            return NULL;
        }
        s->ue_mask = UE_MAP_START - 1;
        s->ue_max = max < ((size_t)1 << 29) ? max : ((size_t)1 << 29);
    }
    return s;
}

void subscribers_free(struct subscribers *s)
{
    if (!s)
        return;
    free(s->ue);
    free(s);
}

bool subscribers_families_apart(const struct subscribers *s)
{
    return s->mode == V6M_SUB_ADDRESS;
}

void subscribers_get_stats(const struct subscribers *s, struct subscriber_stats *st)
{
    *st = s->st;
    st->ue_map_entries = s->ue_n;
}

/* Hash of a UE (or any) inner address: IPv4 /32 or IPv6 /64. */
static uint64_t addr_key(uint8_t family, const uint8_t a[16])
{
    uint8_t b[9];
    size_t n;
    if (family == V6M_FAMILY_IPV4) {
        b[0] = '4';
        memcpy(b + 1, a, 4);
        n = 5;
    } else {
        b[0] = '6';
        memcpy(b + 1, a, 8);
        n = 9;
    }
    return key_hash(b, n);
}

/* Double the UE map; false when out of memory (the map stays as it is). */
static bool ue_grow(struct subscribers *s)
{
    size_t ncap = (s->ue_mask + 1) * 2;
    struct ue_slot *n = calloc(ncap, sizeof(*n));
    if (!n)
        return false;
    for (size_t i = 0; i <= s->ue_mask; i++) {
        if (!s->ue[i].addr_key)
            continue;
        size_t pos = (size_t)s->ue[i].addr_key & (ncap - 1);
        while (n[pos].addr_key)
            pos = (pos + 1) & (ncap - 1);
        n[pos] = s->ue[i];
    }
    free(s->ue);
    s->ue = n;
    s->ue_mask = ncap - 1;
    return true;
}

static void ue_put(struct subscribers *s, uint64_t ak, uint64_t bearer)
{
    if ((s->ue_n + 1) * 2 > s->ue_mask + 1 && s->ue_n < s->ue_max && !ue_grow(s)) {
        s->st.ue_map_full++;
        return;
    }
    size_t pos = (size_t)ak & s->ue_mask;
    while (s->ue[pos].addr_key) {
        if (s->ue[pos].addr_key == ak) {
            s->ue[pos].bearer = bearer;
            return;
        }
        pos = (pos + 1) & s->ue_mask;
    }
    if (s->ue_n >= s->ue_max) {
        s->st.ue_map_full++;
        return;
    }
    s->ue[pos].addr_key = ak;
    s->ue[pos].bearer = bearer;
    s->ue_n++;
}

static uint64_t ue_get(const struct subscribers *s, uint64_t ak)
{
    size_t pos = (size_t)ak & s->ue_mask;
    while (s->ue[pos].addr_key) {
        if (s->ue[pos].addr_key == ak)
            return s->ue[pos].bearer;
        pos = (pos + 1) & s->ue_mask;
    }
    return 0;
}

static uint64_t gtp_key(const struct v6m_packet *pkt, char kind)
{
    uint8_t b[22];
    b[0] = (uint8_t)kind;
    b[1] = (uint8_t)(pkt->gtp_teid >> 24);
    b[2] = (uint8_t)(pkt->gtp_teid >> 16);
    b[3] = (uint8_t)(pkt->gtp_teid >> 8);
    b[4] = (uint8_t)pkt->gtp_teid;
    b[5] = pkt->gtp_ep_family;
    memcpy(b + 6, pkt->gtp_ep_dst, 16);
    return key_hash(b, sizeof(b));
}

/* side: 0 = the packet's source is the subscriber, 1 = its destination.
 * ak: addr_key() of that side's address. */
static uint64_t key_gtp(struct subscribers *s, const struct v6m_packet *pkt, int side,
                        uint64_t ak)
{
    if (side == 0) {
        /* Uplink: the TEID is the bearer's, received by the S-GW/UPF. */
        uint64_t k = gtp_key(pkt, 'G');
        ue_put(s, ak, k);
        return k;
    }
    uint64_t k = ue_get(s, ak);
    if (k)
        return k;
    s->st.gtp_downlink_unmatched++;
    return gtp_key(pkt, 'g');
}

static uint64_t key_pppoe(const struct v6m_packet *pkt, int side)
{
    if (!pkt->has_eth)
        return 0;
    uint8_t b[9];
    b[0] = 'P';
    b[1] = (uint8_t)(pkt->pppoe_session >> 8);
    b[2] = (uint8_t)pkt->pppoe_session;
    memcpy(b + 3, side == 0 ? pkt->eth_src : pkt->eth_dst, 6);
    return key_hash(b, sizeof(b));
}

static uint64_t key_mac(const struct v6m_packet *pkt, int side)
{
    if (!pkt->has_eth)
        return 0;
    uint8_t b[7];
    b[0] = 'M';
    memcpy(b + 1, side == 0 ? pkt->eth_src : pkt->eth_dst, 6);
    return key_hash(b, sizeof(b));
}

static uint64_t key_address(const struct v6m_packet *pkt, int side)
{
    return addr_key(pkt->inner.family, side == 0 ? pkt->inner.src : pkt->inner.dst);
}

static uint64_t key_binding(const struct subscribers *s, const struct v6m_packet *pkt)
{
    long idx = v6m_bindings_lookup(s->bind, pkt->inner.family, pkt->inner.src);
    if (idx < 0)
        idx = v6m_bindings_lookup(s->bind, pkt->inner.family, pkt->inner.dst);
    if (idx < 0)
        return 0;
    uint8_t b[9];
    b[0] = 'B';
    uint64_t v = (uint64_t)idx;
    memcpy(b + 1, &v, 8);
    return key_hash(b, sizeof(b));
}

/* Side of the subscriber when the segments table gives no direction: a
 * side already known as a subscriber (UE address of a bearer, client MAC of
 * a session) wins; else the sender of the flow's first packet. This keeps a
 * flow that restarts after an idle timeout with a downlink packet on its
 * subscriber. */
static int known_side(const struct subscribers *s, const struct v6m_packet *pkt, bool gtp,
                      const uint64_t ak[2])
{
    if (!s->ue)
        return 0;
    if (gtp) {
        /* Both slots load at once; the second is needed when the flow
         * starts with a downlink packet. */
        __builtin_prefetch(&s->ue[(size_t)ak[0] & s->ue_mask]);
        __builtin_prefetch(&s->ue[(size_t)ak[1] & s->ue_mask]);
        if (ue_get(s, ak[0]))
            return 0;
        if (ue_get(s, ak[1]))
            return 1;
        return 0;
    }
    uint64_t up = key_pppoe(pkt, 0);
    if (up && ue_get(s, up))
        return 0;
    uint64_t down = key_pppoe(pkt, 1);
    if (down && ue_get(s, down))
        return 1;
    return 0;
}

/* PPPoE key of the subscriber side, remembered so later flows of the
 * session find their side (known_side). */
static uint64_t key_pppoe_learn(struct subscribers *s, const struct v6m_packet *pkt, int side)
{
    uint64_t k = key_pppoe(pkt, side);
    if (k && s->ue && !ue_get(s, k))
        ue_put(s, k, k);
    return k;
}

uint64_t subscriber_of_flow(struct subscribers *s, const struct v6m_packet *pkt,
                            uint8_t direction)
{
    if (pkt->family != V6M_FAMILY_IPV4 && pkt->family != V6M_FAMILY_IPV6)
        return 0;
    bool gtp = (pkt->encap & V6M_ENC_GTPU) && pkt->gtp_user;
    bool pppoe = (pkt->encap & V6M_ENC_PPPOE) != 0;
    /* The packet that creates a flow is sent by the subscriber unless the
     * segments table says it goes down to one, or the other side is known. */
    int side = direction == V6M_DIR_DOWN ? 1 : 0;
    /* GTP: the UE address keys of both sides, hashed once for the side
     * choice and the bearer map. */
    uint64_t ak[2] = {0, 0};
    if (gtp) {
        if (direction == V6M_DIR_UNKNOWN || side == 0)
            ak[0] = addr_key(pkt->inner.family, pkt->inner.src);
        if (direction == V6M_DIR_UNKNOWN || side == 1)
            ak[1] = addr_key(pkt->inner.family, pkt->inner.dst);
    }
    if (direction == V6M_DIR_UNKNOWN && (gtp || pppoe))
        side = known_side(s, pkt, gtp, ak);
    switch (s->mode) {
    case V6M_SUB_AUTO:
        if (gtp)
            return key_gtp(s, pkt, side, ak[side]);
        if (pppoe)
            return key_pppoe_learn(s, pkt, side);
        if (direction != V6M_DIR_UNKNOWN)
            return key_address(pkt, side);
        return 0;
    case V6M_SUB_GTP:
        return gtp ? key_gtp(s, pkt, side, ak[side]) : 0;
    case V6M_SUB_PPPOE:
        return pppoe ? key_pppoe_learn(s, pkt, side) : 0;
    case V6M_SUB_MAC:
        return key_mac(pkt, side);
    case V6M_SUB_ADDRESS:
        return key_address(pkt, side);
    case V6M_SUB_BINDING:
        return key_binding(s, pkt);
    default:
        return 0;
    }
}

static const char *const MODE_NAMES[V6M_SUB__COUNT] = {
    "auto", "gtp", "pppoe", "mac", "address", "binding",
};

const char *v6m_subscriber_mode_name(unsigned mode)
{
    return mode < V6M_SUB__COUNT ? MODE_NAMES[mode] : "unknown";
}

int v6m_subscriber_mode_parse(const char *name)
{
    for (int i = 0; i < V6M_SUB__COUNT; i++)
        if (strcmp(name, MODE_NAMES[i]) == 0)
            return i;
    return -1;
}

static const char *const WINDOW_NAMES[V6M_WINDOW__COUNT] = {"all", "day", "month", "30d"};

const char *v6m_window_kind_name(unsigned kind)
{
    return kind < V6M_WINDOW__COUNT ? WINDOW_NAMES[kind] : "unknown";
}
