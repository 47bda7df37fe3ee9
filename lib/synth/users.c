/*
 * synth/users.c - the generator's subscribers over days: who is online on
 * which UTC day (model), and the subscriber truth per window (indicator I1;
 * definitions in v6mon/users.h).
 *
 * Model. A capture within one UTC day has everybody online. Over several
 * days each subscriber is daily (30%, online on a day with p = 0.9),
 * regular (45%, p = 0.5) or occasional (25%, p = 0.12); 10% join on a
 * random day and 10% leave on a random later day, so the day, calendar
 * month and rolling 30-day windows count different people. The mask only
 * steers which subscriber a new conversation picks (gen_pick_user); the
 * truth comes from what was written, never from the mask.
 *
 * Truth. gen.c's account() ORs, for every packet of a subscriber's flow, a
 * bit for the packet's UTC day into the subscriber's masks: seen (any
 * packet), Q4 / Q6 (the flow is qualifying IPv4 / IPv6: TCP or UDP, not
 * DNS, DHCP, ICMP), H6 (any IPv6 packet). A window is a set of days; a
 * subscriber has a flag in the window when the flag's mask meets the
 * window's day mask. Bit d is UTC day day0 + d; a capture touches at most
 * 32 days (31 days of duration), so one uint32_t per flag holds them all.
 * Windows are made of the days on which some subscriber had a packet (as
 * v6mon's aggregator does): "all" (first to last such day), every such
 * day, every calendar month holding one (bounds are the calendar month),
 * "30d" = the 30 days ending with the last such day. Without subscriber
 * traffic there is only "all", with no days (INT64_MIN).
 *
 * Dates: civil-from-days and days-from-civil in the proleptic Gregorian
 * calendar (the well-known era / day-of-era arithmetic), so no time zone
 * and no gmtime.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/gen.h"

void gen_users_activity(struct gen *g)
{
    if (g->n_days <= 1) {
        for (uint32_t i = 0; i < g->n_users; i++)
            g->users[i].days_on = UINT32_MAX;
        return;
    }
    uint32_t nd = g->n_days;
    for (uint32_t i = 0; i < g->n_users; i++) {
        struct gen_user *u = &g->users[i];
        double r = rng_unit(&g->rng);
        double p = r < 0.30 ? 0.9 : r < 0.75 ? 0.5 : 0.12;
        uint32_t join = rng_unit(&g->rng) < 0.1 ? (uint32_t)rng_below(&g->rng, nd) : 0;
        uint32_t leave = nd;
        if (rng_unit(&g->rng) < 0.1)
            leave = join + 1 + (uint32_t)rng_below(&g->rng, nd - join);
        uint32_t m = 0;
        for (uint32_t d = join; d < leave; d++)
            if (rng_unit(&g->rng) < p)
                m |= 1u << d;
        if (!m)
            m = 1u << (join + (uint32_t)rng_below(&g->rng, leave - join));
        u->days_on = m;
    }
}

/* UTC day (relative to day0) of the frame clock now. */
static uint32_t cur_day(const struct gen *g)
{
    const struct v6m_synth_config *cfg = &g->cfg;
    uint64_t off = (uint64_t)(((unsigned __int128)g->frame_idx * cfg->duration_ns) / cfg->packets);
    int64_t d = (int64_t)((cfg->start_ns + off) / GEN_DAY_NS) - g->day0;
    return d < 0 ? 0 : d >= GEN_MAX_DAYS ? GEN_MAX_DAYS - 1 : (uint32_t)d;
}

/* A random subscriber of segment a able to carry class cls, preferably one
 * online today (a few tries). */
uint32_t gen_pick_user(struct gen *g, int a, int cls)
{
    const uint32_t *list = g->cap_idx[a][cls];
    uint32_t n = g->cap_n[a][cls];
    uint32_t u = list[rng_below(&g->rng, n)];
    if (g->n_days > 1) {
        uint32_t bit = 1u << cur_day(g);
        for (int i = 0; i < 8 && !(g->users[u].days_on & bit); i++)
            u = list[rng_below(&g->rng, n)];
    }
    return u;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
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

void gen_day_string(int64_t day, char buf[32])
{
    int64_t y;
    unsigned m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(buf, 32, "%04lld-%02u-%02u", (long long)y, m, d);
}

static void count_window(const struct gen *g, uint32_t w, struct v6m_synth_users_window *out)
{
    for (uint32_t i = 0; i < g->n_users; i++) {
        const uint32_t *mk = g->users[i].mark;
        if (!(mk[GM_SEEN] & w))
            continue;
        bool q4 = mk[GM_Q4] & w, q6 = mk[GM_Q6] & w, h6 = mk[GM_H6] & w;
        struct v6m_synth_user_counts *c[2] = {&out->all,
                                              i < g->n_mobile ? &out->mobile : &out->metro};
        for (int k = 0; k < 2; k++) {
            c[k]->seen++;
            c[k]->active += q4 || q6;
            c[k]->ipv6_active += q6;
            c[k]->holding_ipv6 += h6;
            c[k]->dual += q4 && q6;
            c[k]->ipv4_only += q4 && !q6;
            c[k]->ipv6_only += q6 && !q4;
        }
    }
}

/* Day-bit mask of the days [a, b] (relative, clamped to 0..31). */
static uint32_t day_mask(int64_t a, int64_t b)
{
    if (a < 0)
        a = 0;
    if (b > GEN_MAX_DAYS - 1)
        b = GEN_MAX_DAYS - 1;
    uint32_t m = 0;
    for (int64_t d = a; d <= b; d++)
        m |= 1u << d;
    return m;
}

v6m_err gen_users_windows(struct gen *g)
{
    /* The days on which some subscriber had a packet. */
    uint32_t any = 0;
    for (uint32_t i = 0; i < g->n_users; i++)
        any |= g->users[i].mark[GM_SEEN];
    size_t cap = 2 + 2 * GEN_MAX_DAYS;
    g->windows = calloc(cap, sizeof(*g->windows));
    if (!g->windows)
        return errbuf_set(&g->err, V6M_ERR_NOMEM, "out of memory (user windows)");
    struct v6m_synth_users_window *w = g->windows;
    g->truth.windows = w;
    if (!any) {
        w[0] = (struct v6m_synth_users_window){
            .kind = V6M_SYNTH_WIN_ALL, .start_day = INT64_MIN, .end_day = INT64_MIN};
        g->n_windows = g->truth.n_windows = 1;
        return V6M_OK;
    }
    int64_t df = __builtin_ctz(any), dl = 31 - __builtin_clz(any);
    size_t n = 0;
    uint32_t masks[2 + 2 * GEN_MAX_DAYS];

    w[n] = (struct v6m_synth_users_window){
        .kind = V6M_SYNTH_WIN_ALL, .start_day = g->day0 + df, .end_day = g->day0 + dl};
    masks[n++] = any;
    for (int64_t d = df; d <= dl; d++) {
        if (!(any & (1u << d)))
            continue;
        w[n] = (struct v6m_synth_users_window){
            .kind = V6M_SYNTH_WIN_DAY, .start_day = g->day0 + d, .end_day = g->day0 + d};
        masks[n++] = 1u << d;
    }
    int64_t d = df;
    while (d <= dl) {
        int64_t y;
        unsigned m, dd;
        civil_from_days(g->day0 + d, &y, &m, &dd);
        int64_t first = days_from_civil(y, m, 1);
        int64_t next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
        uint32_t mm = day_mask(first - g->day0, next - 1 - g->day0) & any;
        if (mm) {
            w[n] = (struct v6m_synth_users_window){
                .kind = V6M_SYNTH_WIN_MONTH, .start_day = first, .end_day = next - 1};
            masks[n++] = mm;
        }
        d = next - g->day0;
    }
    w[n] = (struct v6m_synth_users_window){
        .kind = V6M_SYNTH_WIN_30D, .start_day = g->day0 + dl - 29, .end_day = g->day0 + dl};
    masks[n++] = day_mask(dl - 29, dl) & any;
    for (size_t i = 0; i < n; i++)
        count_window(g, masks[i], &w[i]);
    g->n_windows = g->truth.n_windows = n;
    return V6M_OK;
}
