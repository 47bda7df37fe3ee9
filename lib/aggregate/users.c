/*
 * aggregate/users.c - distinct subscribers per window and segment (see
 * users.h and include/v6mon/users.h for the definitions).
 *
 * Per flow, at creation: the subscriber key (classify/subscriber.c) and the
 * flow's flags: SEEN always; Q4/Q6 for a qualifying IPv4/IPv6 flow; H6 for
 * any IPv6 flow. Per packet: when the packet's UTC day differs from the day
 * the flow last marked, the flags go into that day's userset for the
 * flow's segment and for "all segments" (both sets' map slots are
 * prefetched first, so their cache misses overlap). A day is found through
 * a cache of the last one and else a sorted array (at most USERS_MAX_DAYS).
 *
 * At finish the windows are built from the day sets only: every day; every
 * calendar month (union of its days); the rolling 30 days ending with the
 * last day that has traffic (union); everything (union). Unions OR the
 * flags of a subscriber, so "dual" in a month is a subscriber with a
 * qualifying IPv4 flow on one day and IPv6 on another, as the definition
 * over the window asks.
 *
 * Counts from a set: with U(m) = subscribers having any flag of mask m,
 *   active = U(Q4|Q6), ipv6_active = U(Q6), holding = U(H6), seen = U(SEEN),
 *   dual = U(Q4) + U(Q6) - U(Q4|Q6), ipv4_only = active - U(Q6),
 *   ipv6_only = active - U(Q4)
 * (exact in exact mode; estimates are clamped at 0 in sketch mode).
 */
#include "aggregate/users.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify/subscriber.h"
#include "stats/userset.h"

#define DAY_NS (86400ULL * 1000000000ULL)

struct day {
    int64_t idx;                 /* UTC day number since the epoch */
    struct userset **set;        /* [nseg + 1], lazily created */
};

struct users {
    struct users_config cfg;
    size_t nseg;
    struct subscribers *subs;
    struct day days[USERS_MAX_DAYS];
    size_t ndays;
    size_t cur;                  /* index of the last day used */
    bool oom;

    /* Result. */
    struct v6m_users_result res;
    struct v6m_users_window *windows;
    struct v6m_user_counts *counts;  /* [n_windows * (nseg + 1)] */
    struct userset **wsets;          /* [n_windows * (nseg + 1)]: day
                                        windows borrow the day sets, the
                                        others own merged sets */
};

struct users *users_new(const struct users_config *cfg)
{
    struct users *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->cfg = *cfg;
    if (!u->cfg.exact_max)
        u->cfg.exact_max = USERS_EXACT_DEFAULT;
    u->nseg = cfg->n_segments;
    u->subs = subscribers_new(cfg->mode, cfg->bindings, 0);
    if (!u->subs) {
        free(u);
        return NULL;
    }
    u->res.mode = (uint8_t)cfg->mode;
    u->res.families_apart = subscribers_families_apart(u->subs);
    u->res.n_segments = u->nseg;
    u->res.exact_max = u->cfg.exact_max;
    return u;
}

void users_free(struct users *u)
{
    if (!u)
        return;
    subscribers_free(u->subs);
    if (u->wsets) {
        size_t per = u->nseg + 1;
        for (size_t w = 0; w < u->res.n_windows; w++)
            if (u->windows[w].kind != V6M_WINDOW_DAY) /* days borrow */
                for (size_t s = 0; s < per; s++)
                    userset_free(u->wsets[w * per + s]);
    }
    for (size_t d = 0; d < u->ndays; d++) {
        for (size_t s = 0; s <= u->nseg; s++)
            userset_free(u->days[d].set[s]);
        free(u->days[d].set);
    }
    free(u->windows);
    free(u->counts);
    free(u->wsets);
    free(u);
}

static bool qualifying(const struct v6m_packet *pkt)
{
    uint8_t p = pkt->l4_proto;
    if (p == 1 || p == 58)
        return false;
    if (p == 6 || p == 17) {
        if (pkt->sport == 53 || pkt->dport == 53)
            return false;
        if (p == 17) {
            uint16_t a = pkt->sport, b = pkt->dport;
            if (a == 67 || a == 68 || b == 67 || b == 68 || a == 546 || a == 547 ||
                b == 546 || b == 547)
                return false;
        }
    }
    return true;
}

void users_flow_created(struct users *u, const struct v6m_packet *pkt,
                        uint8_t direction, struct flow_side *fs)
{
    fs->sub = subscriber_of_flow(u->subs, pkt, direction);
    fs->day_marked = 0;
    uint8_t f = 1u << V6M_USER_SEEN;
    bool q = qualifying(pkt);
    if (pkt->family == V6M_FAMILY_IPV6) {
        f |= 1u << V6M_USER_H6;
        if (q)
            f |= 1u << V6M_USER_Q6;
    } else if (q) {
        f |= 1u << V6M_USER_Q4;
    }
    fs->uflags = f;
    if (fs->sub)
        u->res.flows_attributed++;
    else
        u->res.flows_unattributed++;
}

/* Index of day `idx` in u->days, created in order; SIZE_MAX when full. */
static size_t day_slot(struct users *u, int64_t idx)
{
    if (u->cur < u->ndays && u->days[u->cur].idx == idx)
        return u->cur;
    size_t lo = 0, hi = u->ndays;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (u->days[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < u->ndays && u->days[lo].idx == idx)
        return u->cur = lo;
    if (u->ndays == USERS_MAX_DAYS)
        return SIZE_MAX;
    struct userset **set = calloc(u->nseg + 1, sizeof(*set));
    if (!set) {
        u->oom = true;
        return SIZE_MAX;
    }
    memmove(&u->days[lo + 1], &u->days[lo], (u->ndays - lo) * sizeof(u->days[0]));
    u->days[lo].idx = idx;
    u->days[lo].set = set;
    u->ndays++;
    return u->cur = lo;
}

static void set_add(struct users *u, struct userset **slot, uint64_t key, uint8_t flags)
{
    if (!*slot) {
        *slot = userset_new(u->cfg.exact_max, V6M_USER__FLAGS);
        if (!*slot) {
            u->oom = true;
            return;
        }
    }
    userset_add(*slot, key, flags);
}

void users_flow_end(struct users *u, const struct flow_entry *e, const struct flow_side *fs)
{
    uint64_t n = e->packets[0] + e->packets[1];
    if (fs->sub)
        u->res.packets_attributed += n;
    else
        u->res.packets_unattributed += n;
}

void users_packet(struct users *u, uint64_t ts_ns, unsigned segment, struct flow_side *fs)
{
    if (!fs->sub)
        return;
    uint32_t day1 = (uint32_t)(ts_ns / DAY_NS) + 1;
    if (fs->day_marked == day1)
        return;
    fs->day_marked = day1;
    size_t d = day_slot(u, (int64_t)day1 - 1);
    if (d == SIZE_MAX) {
        u->res.days_overflow++;
        return;
    }
    struct userset **set = u->days[d].set;
    unsigned s = segment < u->nseg ? segment : (unsigned)u->nseg - 1;
    userset_prefetch(set[s], fs->sub);
    userset_prefetch(set[u->nseg], fs->sub);
    set_add(u, &set[s], fs->sub, fs->uflags);
    set_add(u, &set[u->nseg], fs->sub, fs->uflags);
}

static void counts_of(const struct userset *set, struct v6m_user_counts *c)
{
    memset(c, 0, sizeof(*c));
    c->exact = true;
    if (!set)
        return;
    const uint8_t Q4 = 1u << V6M_USER_Q4, Q6 = 1u << V6M_USER_Q6;
    uint64_t q4 = userset_count_any(set, Q4);
    uint64_t q6 = userset_count_any(set, Q6);
    uint64_t act = userset_count_any(set, Q4 | Q6);
    c->seen = userset_count_any(set, 1u << V6M_USER_SEEN);
    c->active = act;
    c->ipv6_active = q6;
    c->holding_ipv6 = userset_count_any(set, 1u << V6M_USER_H6);
    c->dual = q4 + q6 > act ? q4 + q6 - act : 0;
    c->ipv4_only = act > q6 ? act - q6 : 0;
    c->ipv6_only = act > q4 ? act - q4 : 0;
    c->exact = userset_is_exact(set);
}

/* Civil month of a day number (UTC): year * 12 + month - 1. */
static int64_t month_of(int64_t day)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return 0;
    return (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* Day number of the first day of month m (year * 12 + month). */
static int64_t month_first_day(int64_t m)
{
    /* Days from civil (Howard Hinnant's algorithm). */
    int64_t y = m / 12, mo = m % 12 + 1;
    y -= mo <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Union of the day sets in [from, to) into a new owned set per segment. */
static bool merge_days(struct users *u, size_t from, size_t to, struct userset **out)
{
    size_t per = u->nseg + 1;
    for (size_t s = 0; s < per; s++) {
        out[s] = NULL;
        for (size_t d = from; d < to; d++) {
            const struct userset *src = u->days[d].set[s];
            if (!src)
                continue;
            if (!out[s]) {
                out[s] = userset_new(u->cfg.exact_max, V6M_USER__FLAGS);
                if (!out[s])
                    return false;
            }
            if (!userset_merge(out[s], src))
                return false;
        }
    }
    return true;
}

bool users_finish(struct users *u)
{
    struct subscriber_stats ss;
    subscribers_get_stats(u->subs, &ss);
    u->res.gtp_downlink_unmatched = ss.gtp_downlink_unmatched;
    u->res.ue_map_full = ss.ue_map_full;

    /* Windows: days, then months, then 30d, then all. */
    size_t nmonths = 0;
    for (size_t d = 0; d < u->ndays; d++)
        if (d == 0 || month_of(u->days[d].idx) != month_of(u->days[d - 1].idx))
            nmonths++;
    size_t nw = u->ndays + nmonths + (u->ndays ? 2 : 1);
    size_t per = u->nseg + 1;
    u->windows = calloc(nw, sizeof(*u->windows));
    u->counts = calloc(nw * per, sizeof(*u->counts));
    u->wsets = calloc(nw * per, sizeof(*u->wsets));
    if (!u->windows || !u->counts || !u->wsets)
        return false;
    u->res.n_windows = nw;
    u->res.windows = u->windows;
    bool ok = !u->oom;

    size_t w = 0;
    /* "all" first: the window most readers want. */
    struct v6m_users_window *all = &u->windows[w];
    all->kind = V6M_WINDOW_ALL;
    if (u->ndays) {
        all->start_s = u->days[0].idx * 86400;
        all->end_s = (u->days[u->ndays - 1].idx + 1) * 86400;
    }
    size_t w_all = w++;
    for (size_t d = 0; d < u->ndays; d++, w++) {
        u->windows[w].kind = V6M_WINDOW_DAY;
        u->windows[w].start_s = u->days[d].idx * 86400;
        u->windows[w].end_s = u->windows[w].start_s + 86400;
        for (size_t s = 0; s < per; s++)
            u->wsets[w * per + s] = u->days[d].set[s];
    }
    for (size_t d = 0; d < u->ndays;) {
        int64_t m = month_of(u->days[d].idx);
        size_t e = d;
        while (e < u->ndays && month_of(u->days[e].idx) == m)
            e++;
        u->windows[w].kind = V6M_WINDOW_MONTH;
        u->windows[w].start_s = month_first_day(m) * 86400;
        u->windows[w].end_s = month_first_day(m + 1) * 86400;
        ok = merge_days(u, d, e, &u->wsets[w * per]) && ok;
        w++;
        d = e;
    }
    if (u->ndays) {
        int64_t last = u->days[u->ndays - 1].idx;
        size_t d = 0;
        while (d < u->ndays && u->days[d].idx < last - 29)
            d++;
        u->windows[w].kind = V6M_WINDOW_30D;
        u->windows[w].start_s = (last - 29) * 86400;
        u->windows[w].end_s = (last + 1) * 86400;
        ok = merge_days(u, d, u->ndays, &u->wsets[w * per]) && ok;
        w++;
    }
    struct userset **all_sets = &u->wsets[w_all * per];
    ok = merge_days(u, 0, u->ndays, all_sets) && ok;

    for (size_t i = 0; i < nw; i++) {
        u->windows[i].counts = &u->counts[i * per];
        for (size_t s = 0; s < per; s++)
            counts_of(u->wsets[i * per + s], &u->counts[i * per + s]);
    }
    return ok;
}

const struct v6m_users_result *users_result(const struct users *u)
{
    return &u->res;
}

const v6m_hll *users_sketch(const struct users *u, size_t w, size_t s, unsigned flag)
{
    size_t per = u->nseg + 1;
    if (!u->wsets || w >= u->res.n_windows || s >= per)
        return NULL;
    const struct userset *set = u->wsets[w * per + s];
    return set ? userset_sketch(set, flag) : NULL;
}
