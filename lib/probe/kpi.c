/*
 * probe/kpi.c - `v6mon kpi`: IPv4/IPv6 performance parity per target,
 * measured side by side on the prober's event loop, resolver and fetch
 * engine (probe_int.h), with ICMP echoes (icmp.h), TCP connects
 * (tcp_probe_start), page loads (pageload.c) and the HLS/DASH player
 * model (video.h). docs/kpi.md defines the metrics; docs/internals/kpi.md
 * walks through this file.
 *
 * A target job is a state machine:
 *   PREPARE  A + AAAA through the run's host cache (addresses to use),
 *            and for a bare host the port (443, or 80 when 443 refuses
 *            over every family);
 *   then `rounds` rounds of
 *     DNS    dns_tries times: the A and the AAAA query together through
 *            the resolver, and the same AAAA query to the resolver over
 *            IPv4 and over IPv6 transport (all four at once, then the
 *            next try);
 *     ICMP   `pings` echoes per family, v4 and v6 alternating, spaced;
 *     TCP    `tcp_tries` connects per family, alternating, spaced;
 *     PAGE   one page load per family, one after the other;
 *     VIDEO  one player session per family, one after the other;
 *     WAIT   until the next round is due (interval after this round's start);
 *   FINISH   metrics, verdicts, the hook.
 * Within a round the family that goes first alternates (round 1: IPv6
 * first, round 2: IPv4 first...), so neither always meets a warm cache
 * or a path another measurement just loaded.
 *
 * Latency method: echo loss and RTT come from ICMP; when one family's
 * echoes are never answered but its TCP connects succeed (ICMP filtered),
 * or ICMP cannot be sent from here (no ping or raw socket), loss and RTT
 * of BOTH families come from the TCP connects instead ("tcp_syn": a
 * connect that fails, or takes longer than the 1 s initial SYN
 * retransmission timeout, counts as a lost SYN), so that the two families
 * are always compared by the same method.
 *
 * Every job's memory is its own; results are kept in input order.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <v6mon/kpi.h>

#include "core/errbuf.h"
#include "probe/icmp.h"
#include "probe/kpi_int.h"
#include "probe/video.h"
#include "util/strutil.h"

#define SYN_LOST_MS 1000.0 /* Linux's initial SYN retransmission timeout */


enum phase { PH_PREPARE, PH_PORT, PH_DNS, PH_ICMP, PH_TCP, PH_PAGE, PH_VIDEO, PH_WAIT, PH_DONE };

struct video_acc {
    unsigned sessions, finished;
    double stall_ms, play_ms, stalls, bitrate_sum, bandwidth;
    char variant[96];
    char error[320];
};

struct round_he {
    double a_ms, aaaa_ms, c4, c6;
};

struct krun;
struct tjob;

/* Callback argument naming the job and the family of an echo or connect. */
struct famtag {
    struct tjob *j;
    int family;
};

/* A TCP connect in flight, linked into its job so that an abandoned run
 * can cancel it (tcp_probe_cancel) instead of leaving it in the loop. */
struct conn {
    struct tjob *j;
    int family;
    bool port_probe;          /* PORT phase (443 open?) rather than a TCP sample */
    struct tcp_probe *p;
    struct conn *prev, *next;
};

struct tjob {
    struct krun *run;
    size_t idx;
    struct v6m_kpi_target_result *r;
    struct strpool *sp;
    char host[RESOLVE_NAME_MAX];
    char url[2100];
    const char *video_url;
    uint8_t a4[16], a6[16];
    bool has4, has6;
    uint16_t port;
    enum phase phase;
    unsigned round;           /* 0-based, current */
    unsigned launched, total, pending;
    bool v6_first;
    uint64_t round_start_ns;
    struct loop_timer timer;         /* spaced launches, "phase over" */
    struct loop_timer literal_timer; /* PREPARE of an address literal */
    struct v6m_kpi_sample *s;
    size_t n_s, cap_s;
    struct round_he he;
    unsigned he_v6, he_n;
    unsigned port_pending, port_open443;
    struct pageload *pl;
    struct video_session *vs;
    int step_family;          /* family of the running page/video step */
    unsigned step_done;       /* families done in a sequential step */
    struct video_acc vid[2];  /* [0] IPv4, [1] IPv6 */
    bool reach4, reach6;
    bool active;
    struct famtag tag4, tag6;
    struct conn *conns;       /* connects in flight */
};

struct krun {
    struct v6m_kpi *k;
    struct probe_ctx ctx;
    struct v6m_probe_config pcfg;
    struct resolver *res4, *res6;  /* the resolver over IPv4 / IPv6 transport */
    struct icmp_pinger *icmp;
    const struct v6m_kpi_hooks *hooks;
    struct tjob *jobs;
    size_t next, done, inflight;
    uint64_t t0;
    uint64_t last_progress_ns;
    unsigned max_round;
    bool self_check_done;
    const char *stage;
};



static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---------------- samples ---------------- */

static double run_seconds(const struct tjob *j)
{
    uint64_t now = loop_now_ns(j->run->ctx.loop);
    return now > j->run->t0 ? (double)(now - j->run->t0) / 1e9 : 0.0;
}

static void add_sample(struct tjob *j, enum v6m_kpi_sample_kind kind, int family, bool ok,
                       double value)
{
    if (j->n_s == j->cap_s) {
        size_t nc = j->cap_s ? j->cap_s * 2 : 64;
        struct v6m_kpi_sample *n = realloc(j->s, nc * sizeof *n);
        if (!n)
            return; /* the sample is lost; counts come from what was kept */
        j->s = n;
        j->cap_s = nc;
    }
    struct v6m_kpi_sample *s = &j->s[j->n_s++];
    s->round = (uint16_t)(j->round + 1 > 65535 ? 65535 : j->round + 1);
    s->family = (uint8_t)family;
    s->kind = (uint8_t)kind;
    s->ok = ok;
    s->value = ok ? value : 0;
    s->t = run_seconds(j);
}

/* ---------------- phases ---------------- */

static void job_next_phase(struct tjob *j);
static void job_finish(struct tjob *j);

static void phase_op_done(struct tjob *j)
{
    if (j->pending)
        j->pending--;
    if (j->pending == 0 && j->launched >= j->total && !loop_timer_armed(&j->timer))
        job_next_phase(j);
}

static double ms_of(uint64_t ns)
{
    return (double)ns / 1e6;
}

/* The two families in this round's order. */
static int order_family(const struct tjob *j, unsigned i)
{
    return ((i % 2 == 0) == j->v6_first) ? 6 : 4;
}

static bool family_usable(const struct tjob *j, int fam)
{
    return fam == 6 ? j->has6 : j->has4;
}

/* -- PREPARE: the addresses to measure, through the run's host cache -- */

static void prepare_done(struct tjob *j, const struct host_info *h)
{
    j->has4 = h->n_v4 > 0;
    j->has6 = h->n_v6_global > 0;
    memcpy(j->a4, h->v4, 16);
    memcpy(j->a6, h->v6, 16);
    char buf[64];
    j->r->has_a = j->has4;
    j->r->has_aaaa = j->has6;
    j->r->addr_v4 = j->has4 ? strpool_keep(j->sp, addr_text(4, j->a4, buf, sizeof buf)) : "";
    j->r->addr_v6 = j->has6 ? strpool_keep(j->sp, addr_text(6, j->a6, buf, sizeof buf)) : "";
    if (!j->has6 && h->n_v6_other)
        j->r->detail = strpool_printf(j->sp, "%s has only AAAA records that are not global "
                                             "unicast", j->host);
    phase_op_done(j);
}

static void on_prepare_host(void *arg, const struct host_info *h)
{
    struct tjob *j = arg;
    if (j->run->ctx.stopping)
        return;
    prepare_done(j, h);
}

static void on_prepare_literal(void *arg)
{
    struct tjob *j = arg;
    struct host_info h;
    memset(&h, 0, sizeof h);
    uint8_t a[16] = {0};
    if (inet_pton(AF_INET, j->host, a) == 1) {
        h.n_v4 = 1;
        memcpy(h.v4, a, 16);
    } else if (inet_pton(AF_INET6, j->host, a) == 1) {
        if (addrclass_v6(a) == AC_GLOBAL) {
            h.n_v6_global = 1;
            memcpy(h.v6, a, 16);
        } else {
            h.n_v6_other = 1;
        }
    }
    prepare_done(j, &h);
}

/* -- PORT: 443, or 80 when 443 answers on no family -- */

static void port_probe_done(struct tjob *j, const struct tcp_result *tr)
{
    if (tr->status == TCP_OPEN)
        j->port_open443++;
    phase_op_done(j);
}

/* -- DNS -- */

struct dnsq {
    struct tjob *j;
    enum v6m_kpi_sample_kind kind;
    int family;
};

static void launch_dns_try(struct tjob *j);

static void on_dns(void *arg, const struct resolve_result *rr)
{
    struct dnsq q = *(struct dnsq *)arg;
    free(arg);
    struct tjob *j = q.j;
    if (j->run->ctx.stopping || rr->status == RS_CANCELLED)
        return;
    /* An answer is a success; for the transport comparison any answer
     * from the server is (NXDOMAIN included: it did answer). */
    bool answered = rr->status == RS_OK || rr->status == RS_NODATA;
    if (q.kind == V6M_KS_DNS_TRANSPORT)
        answered = answered || rr->status == RS_NXDOMAIN;
    double ms = ms_of(rr->elapsed_ns);
    add_sample(j, q.kind, q.family, answered, ms);
    if (q.kind == V6M_KS_DNS && j->launched == 1) {
        /* the first try of a round feeds the Happy Eyeballs model */
        bool usable = rr->status == RS_OK && rr->n_addrs > 0;
        if (q.family == 6)
            j->he.aaaa_ms = usable ? ms : NAN;
        else
            j->he.a_ms = usable ? ms : NAN;
    }
    if (j->pending)
        j->pending--;
    if (j->pending == 0) {
        if (j->launched < j->total)
            launch_dns_try(j);
        else
            job_next_phase(j);
    }
}

static void ask(struct tjob *j, struct resolver *res, uint16_t qtype,
                enum v6m_kpi_sample_kind kind, int family)
{
    struct dnsq *q = malloc(sizeof *q);
    if (!q)
        return;
    q->j = j;
    q->kind = kind;
    q->family = family;
    j->pending++;
    if (resolver_query(res, j->host, qtype, on_dns, q) < 0) {
        j->pending--;
        free(q);
    }
}

static void launch_dns_try(struct tjob *j)
{
    j->launched++;
    struct krun *run = j->run;
    for (unsigned i = 0; i < 2; i++) {
        int fam = order_family(j, i);
        ask(j, run->ctx.res, fam == 6 ? RR_AAAA : RR_A, V6M_KS_DNS, fam);
        struct resolver *tr = fam == 6 ? run->res6 : run->res4;
        if (tr)
            ask(j, tr, RR_AAAA, V6M_KS_DNS_TRANSPORT, fam);
    }
    if (j->pending == 0) {
        /* nothing could be asked (invalid name): the phase is over */
        j->launched = j->total;
        loop_timer_after(run->ctx.loop, &j->timer, 0);
    }
}

/* -- ICMP and TCP: spaced, alternating launches -- */

static void on_echo(void *arg, const struct icmp_result *ir)
{
    struct famtag *t = arg;
    struct tjob *j = t->j;
    if (j->run->ctx.stopping)
        return;
    bool ok = ir->status == ICMP_REPLY;
    add_sample(j, V6M_KS_ICMP, t->family, ok, ms_of(ir->rtt_ns));
    if (ok) {
        if (t->family == 6)
            j->reach6 = true;
        else
            j->reach4 = true;
    }
    phase_op_done(j);
}

static void connect_done(struct tjob *j, const struct famtag *t, const struct tcp_result *tr)
{
    bool ok = tr->status == TCP_OPEN;
    double ms = ms_of(tr->rtt_ns);
    add_sample(j, V6M_KS_TCP, t->family, ok, ms);
    bool first_of_round = t->family == 6 ? isnan(j->he.c6) : isnan(j->he.c4);
    if (first_of_round) {
        if (t->family == 6)
            j->he.c6 = ok ? ms : INFINITY;
        else
            j->he.c4 = ok ? ms : INFINITY;
    }
    if (ok) {
        if (t->family == 6)
            j->reach6 = true;
        else
            j->reach4 = true;
    }
    phase_op_done(j);
}

static struct famtag *tag_of(struct tjob *j, int family)
{
    return family == 6 ? &j->tag6 : &j->tag4;
}

static void on_conn(void *arg, const struct tcp_result *tr)
{
    struct conn *c = arg;
    struct tjob *j = c->j;
    int family = c->family;
    bool port_probe = c->port_probe;
    if (c->prev)
        c->prev->next = c->next;
    else
        j->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c);
    if (j->run->ctx.stopping)
        return;
    if (port_probe)
        port_probe_done(j, tr);
    else
        connect_done(j, tag_of(j, family), tr);
}

/* Start a connect; false (no callback) when it could not start. */
static bool start_conn(struct tjob *j, int family, const uint8_t *addr, uint16_t port,
                       bool port_probe)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return false;
    c->j = j;
    c->family = family;
    c->port_probe = port_probe;
    c->p = tcp_probe_start(j->run->ctx.loop, family, addr, port,
                           (uint64_t)j->run->k->cfg.tcp_timeout_ms * 1000000ull, on_conn, c);
    if (!c->p) {
        free(c);
        return false;
    }
    c->next = j->conns;
    if (j->conns)
        j->conns->prev = c;
    j->conns = c;
    return true;
}

static void launch_one(struct tjob *j)
{
    struct krun *run = j->run;
    const struct v6m_kpi_config *cfg = &run->k->cfg;
    unsigned nfam = (j->has4 ? 1 : 0) + (j->has6 ? 1 : 0);
    int fam = order_family(j, j->launched);
    if (nfam == 1)
        fam = j->has6 ? 6 : 4;
    j->launched++;
    j->pending++;
    const uint8_t *addr = fam == 6 ? j->a6 : j->a4;
    if (j->phase == PH_ICMP) {
        if (icmp_echo_start(run->icmp, fam, addr, (uint64_t)cfg->ping_timeout_ms * 1000000ull,
                            on_echo, tag_of(j, fam)) < 0)
            j->pending--;
    } else {
        if (!start_conn(j, fam, addr, j->port, false))
            j->pending--;
    }
    if (j->launched < j->total)
        loop_timer_after(run->ctx.loop, &j->timer, (uint64_t)cfg->ping_spacing_ms * 1000000ull);
    else if (j->pending == 0)
        loop_timer_after(run->ctx.loop, &j->timer, 0);
}

/* -- PAGE and VIDEO: one family after the other -- */

static void step_next(struct tjob *j);

static void on_page(void *arg, const struct pageload_result *pr)
{
    struct tjob *j = arg;
    /* pr lives in the page load: read it before freeing that */
    struct pageload *pl = j->pl;
    j->pl = NULL;
    if (j->run->ctx.stopping) {
        pageload_free(pl);
        return;
    }
    int fam = j->step_family;
    add_sample(j, V6M_KS_TTFB, fam, pr->ok, pr->ttfb_ms);
    add_sample(j, V6M_KS_PAGE_LOAD, fam, pr->ok, pr->load_ms);
    if (pr->ok) {
        if (fam == 6)
            j->reach6 = true;
        else
            j->reach4 = true;
    }
    pageload_free(pl);
    step_next(j);
}

static void on_video(void *arg, const struct video_result *vr)
{
    struct tjob *j = arg;
    /* vr lives in the session: read it before freeing that */
    struct video_session *vs = j->vs;
    j->vs = NULL;
    if (j->run->ctx.stopping) {
        video_session_free(vs);
        return;
    }
    int fam = j->step_family;
    struct video_acc *a = &j->vid[fam == 6];
    a->sessions++;
    bool played = vr->segments > 0; /* the model ran on at least one segment */
    if (played) {
        a->finished += vr->status == VIDEO_OK;
        a->stall_ms += vr->stall_ms;
        a->play_ms += vr->play_ms;
        a->stalls += vr->stalls;
        a->bitrate_sum += vr->avg_bitrate_bps;
        a->bandwidth = (double)vr->variant_bandwidth;
        util_strlcpy(a->variant, vr->how, sizeof a->variant);
    }
    if (vr->status != VIDEO_OK && !a->error[0])
        util_strlcpy(a->error, vr->detail, sizeof a->error);
    add_sample(j, V6M_KS_VIDEO_STARTUP, fam, played && vr->started, vr->startup_ms);
    add_sample(j, V6M_KS_VIDEO_STALL_RATIO, fam, played && vr->play_ms > 0,
               vr->play_ms > 0 ? vr->stall_ms / vr->play_ms : 0);
    video_session_free(vs);
    step_next(j);
}

/* --video-variant: "highest", "lowest", "auto" or a bit/s cap ("800000",
 * "800k", "1.5M"); v6m_kpi_new() has checked it (kpi_parse_variant). */
static bool kpi_parse_variant(const char *spec, enum video_variant_mode *mode, uint64_t *cap)
{
    *cap = 0;
    if (!spec || !strcmp(spec, "highest")) {
        *mode = VIDEO_VARIANT_HIGHEST;
        return true;
    }
    if (!strcmp(spec, "lowest")) {
        *mode = VIDEO_VARIANT_LOWEST;
        return true;
    }
    if (!strcmp(spec, "auto")) {
        *mode = VIDEO_VARIANT_AUTO;
        return true;
    }
    char *end = NULL;
    double v = strtod(spec, &end);
    if (end == spec || !(v > 0) || v > 1e12)
        return false;
    if (*end == 'k' || *end == 'K')
        v *= 1e3, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1e6, end++;
    if (*end)
        return false;
    *mode = VIDEO_VARIANT_CAP;
    *cap = (uint64_t)v;
    return true;
}

bool kpi_video_variant_ok(const char *spec)
{
    enum video_variant_mode m;
    uint64_t cap;
    return kpi_parse_variant(spec, &m, &cap);
}

static void kpi_video_variant(const char *spec, struct video_config *vc)
{
    if (!kpi_parse_variant(spec, &vc->variant, &vc->max_bandwidth_bps))
        vc->variant = VIDEO_VARIANT_HIGHEST;
}

static void step_next(struct tjob *j)
{
    struct krun *run = j->run;
    const struct v6m_kpi_config *cfg = &run->k->cfg;
    while (j->step_done < 2) {
        int fam = order_family(j, j->step_done++);
        if (!family_usable(j, fam))
            continue;
        j->step_family = fam;
        if (j->phase == PH_PAGE) {
            j->pl = pageload_start(&run->ctx, j->url, fam, cfg->resources_cap,
                                   (uint64_t)cfg->page_timeout_ms * 1000000ull, on_page, j);
            if (j->pl)
                return;
        } else {
            struct video_config vc;
            video_config_default(&vc);
            vc.model.startup_threshold_s = cfg->video_startup_s;
            vc.model.resume_threshold_s = cfg->video_resume_s;
            vc.max_segments = cfg->video_segments;
            vc.timeout_ns = (uint64_t)cfg->page_timeout_ms * 1000000ull;
            vc.insecure = cfg->insecure;
            kpi_video_variant(cfg->video_variant, &vc);
            j->vs = video_session_start(run->ctx.loop, run->ctx.fetch, run->ctx.res, &vc,
                                        j->video_url, fam, on_video, j);
            if (j->vs)
                return;
        }
    }
    loop_timer_after(run->ctx.loop, &j->timer, 0);
}

/* -- the phase machine -- */

static void start_round(struct tjob *j)
{
    j->round_start_ns = loop_update_time(j->run->ctx.loop);
    j->v6_first = j->round % 2 == 0;
    j->he.a_ms = j->he.aaaa_ms = NAN;
    j->he.c4 = j->he.c6 = NAN;
    if (j->round + 1 > j->run->max_round)
        j->run->max_round = j->round + 1;
}

static void end_round(struct tjob *j)
{
    const struct v6m_kpi_config *cfg = &j->run->k->cfg;
    double c4 = isnan(j->he.c4) || isinf(j->he.c4) ? NAN : j->he.c4;
    double c6 = isnan(j->he.c6) || isinf(j->he.c6) ? NAN : j->he.c6;
    if (!isnan(j->he.a_ms) || !isnan(j->he.aaaa_ms)) {
        int w = v6m_kpi_happy_eyeballs(j->he.aaaa_ms, j->he.a_ms, c6, c4,
                                       cfg->he_resolution_delay_ms, cfg->he_attempt_delay_ms);
        if (w) {
            j->he_n++;
            j->he_v6 += w == 6;
        }
    }
    j->r->rounds = j->round + 1;
}

/* Enter phase p and start its work; phases with nothing to do fall
 * through to the next one. Re-entry happens from callbacks and timers
 * only (one phase per call), so the stack stays flat. */
static void enter_phase(struct tjob *j, enum phase p)
{
    struct krun *run = j->run;
    const struct v6m_kpi_config *cfg = &run->k->cfg;
    j->phase = p;
    j->launched = j->total = j->pending = 0;
    j->step_done = 0;
    unsigned nfam = (j->has4 ? 1 : 0) + (j->has6 ? 1 : 0);
    switch (p) {
    case PH_PREPARE: {
        j->total = 1;
        j->launched = 1;
        j->pending = 1;
        uint8_t a[16];
        if (inet_pton(AF_INET, j->host, a) == 1 || inet_pton(AF_INET6, j->host, a) == 1) {
            loop_timer_after(run->ctx.loop, &j->literal_timer, 0);
        } else if (resolver_lookup_host(run->ctx.res, j->host, on_prepare_host, j) < 0) {
            j->r->detail = strpool_printf(j->sp, "'%s' is not a valid host name", j->host);
            j->pending = 0;
            loop_timer_after(run->ctx.loop, &j->timer, 0);
        }
        return;
    }
    case PH_PORT:
        for (int f = 4; f <= 6; f += 2) {
            if (!family_usable(j, f))
                continue;
            j->total++;
            j->launched++;
            j->pending++;
            if (!start_conn(j, f, f == 6 ? j->a6 : j->a4, 443, true))
                j->pending--;
        }
        if (j->pending == 0)
            loop_timer_after(run->ctx.loop, &j->timer, 0);
        return;
    case PH_DNS:
        j->total = cfg->dns_tries;
        if (j->total == 0)
            break;
        launch_dns_try(j);
        return;
    case PH_ICMP:
        if (!run->icmp || cfg->pings == 0 || nfam == 0)
            break;
        j->total = cfg->pings * nfam;
        launch_one(j);
        return;
    case PH_TCP:
        if (cfg->tcp_tries == 0 || nfam == 0)
            break;
        j->total = cfg->tcp_tries * nfam;
        launch_one(j);
        return;
    case PH_PAGE:
        if (!cfg->page || nfam == 0)
            break;
        step_next(j);
        return;
    case PH_VIDEO:
        if (!cfg->video || !j->video_url || nfam == 0)
            break;
        step_next(j);
        return;
    case PH_WAIT: {
        uint64_t due = j->round_start_ns + (uint64_t)cfg->interval_ms * 1000000ull;
        uint64_t now = loop_update_time(run->ctx.loop);
        loop_timer_after(run->ctx.loop, &j->timer, due > now ? due - now : 0);
        return;
    }
    case PH_DONE:
        job_finish(j);
        return;
    }
    /* nothing to do in this phase: go on from a timer */
    loop_timer_after(run->ctx.loop, &j->timer, 0);
}

static void job_next_phase(struct tjob *j)
{
    struct krun *run = j->run;
    switch (j->phase) {
    case PH_PREPARE:
        if (!j->has4 && !j->has6) {
            enter_phase(j, PH_DONE);
            return;
        }
        if (j->port == 0) {
            enter_phase(j, PH_PORT);
            return;
        }
        start_round(j);
        enter_phase(j, PH_DNS);
        return;
    case PH_PORT:
        j->port = j->port_open443 ? 443 : 80;
        start_round(j);
        enter_phase(j, PH_DNS);
        return;
    case PH_DNS: enter_phase(j, PH_ICMP); return;
    case PH_ICMP: enter_phase(j, PH_TCP); return;
    case PH_TCP: enter_phase(j, PH_PAGE); return;
    case PH_PAGE: enter_phase(j, PH_VIDEO); return;
    case PH_VIDEO:
        end_round(j);
        if (j->round + 1 >= run->k->cfg.rounds) {
            enter_phase(j, PH_DONE);
            return;
        }
        enter_phase(j, PH_WAIT);
        return;
    case PH_WAIT:
        j->round++;
        start_round(j);
        enter_phase(j, PH_DNS);
        return;
    case PH_DONE:
        return;
    }
}

/* The job's timer: the next spaced launch, or "this phase is over". */
static void on_job_timer(void *arg)
{
    struct tjob *j = arg;
    if (j->run->ctx.stopping)
        return;
    if ((j->phase == PH_ICMP || j->phase == PH_TCP) && j->launched < j->total) {
        launch_one(j);
        return;
    }
    if (j->pending == 0)
        job_next_phase(j);
}

/* ---------------- results ---------------- */

/* Values of one sample kind and family: ok values into out (room for
 * n_s), returns the ok count; *tries gets all samples. */
static size_t collect(const struct tjob *j, enum v6m_kpi_sample_kind kind, int family,
                      double *out, size_t *tries)
{
    size_t n = 0;
    *tries = 0;
    for (size_t i = 0; i < j->n_s; i++) {
        const struct v6m_kpi_sample *s = &j->s[i];
        if (s->kind != kind || s->family != family)
            continue;
        (*tries)++;
        if (s->ok)
            out[n++] = s->value;
    }
    return n;
}

static void set_pair(struct v6m_kpi_value *v, int family, double value, size_t n)
{
    if (family == 6) {
        v->v6 = n ? value : NAN;
        v->n6 = (unsigned)n;
    } else {
        v->v4 = n ? value : NAN;
        v->n4 = (unsigned)n;
    }
}

static void compute_metrics(struct tjob *j, double *buf)
{
    struct krun *run = j->run;
    const struct v6m_kpi_config *cfg = &run->k->cfg;
    struct v6m_kpi_target_result *r = j->r;
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        r->m[m].v4 = r->m[m].v6 = r->m[m].d = NAN;
        r->m[m].n4 = r->m[m].n6 = 0;
    }
    /* latency method: ICMP unless it is filtered or unavailable */
    bool syn = run->icmp == NULL || cfg->pings == 0;
    for (int f = 4; f <= 6 && !syn; f += 2) {
        size_t tries_icmp, tries_tcp;
        size_t ok_icmp = collect(j, V6M_KS_ICMP, f, buf, &tries_icmp);
        size_t ok_tcp = collect(j, V6M_KS_TCP, f, buf, &tries_tcp);
        if (tries_icmp > 0 && ok_icmp == 0 && ok_tcp > 0)
            syn = true;
    }
    r->latency_method = syn ? "tcp_syn" : "icmp";
    for (int f = 4; f <= 6; f += 2) {
        if (!family_usable(j, f))
            continue;
        size_t tries, ok;
        if (!syn) {
            ok = collect(j, V6M_KS_ICMP, f, buf, &tries);
            set_pair(&r->m[V6M_KPI_LOSS], f, tries ? 1.0 - (double)ok / (double)tries : 0, tries);
        } else {
            ok = collect(j, V6M_KS_TCP, f, buf, &tries);
            size_t lost = tries - ok;
            size_t keep = 0;
            for (size_t i = 0; i < ok; i++) {
                if (buf[i] >= SYN_LOST_MS)
                    lost++;
                else
                    buf[keep++] = buf[i];
            }
            ok = keep;
            set_pair(&r->m[V6M_KPI_LOSS], f, tries ? (double)lost / (double)tries : 0, tries);
        }
        set_pair(&r->m[V6M_KPI_ICMP_RTT_P95], f, v6m_kpi_quantile(buf, ok, 0.95), ok);
        set_pair(&r->m[V6M_KPI_ICMP_RTT_MEDIAN], f, v6m_kpi_quantile(buf, ok, 0.5), ok);

        ok = collect(j, V6M_KS_TCP, f, buf, &tries);
        set_pair(&r->m[V6M_KPI_TCP_SUCCESS], f, tries ? (double)ok / (double)tries : 0, tries);
        set_pair(&r->m[V6M_KPI_TCP_RTT_P95], f, v6m_kpi_quantile(buf, ok, 0.95), ok);
        set_pair(&r->m[V6M_KPI_TCP_RTT_MEDIAN], f, v6m_kpi_quantile(buf, ok, 0.5), ok);

        ok = collect(j, V6M_KS_TTFB, f, buf, &tries);
        set_pair(&r->m[V6M_KPI_TTFB_MEDIAN], f, v6m_kpi_quantile(buf, ok, 0.5), ok);
        ok = collect(j, V6M_KS_PAGE_LOAD, f, buf, &tries);
        set_pair(&r->m[V6M_KPI_PAGE_LOAD_P95], f, v6m_kpi_quantile(buf, ok, 0.95), ok);
        set_pair(&r->m[V6M_KPI_PAGE_LOAD_MEDIAN], f, v6m_kpi_quantile(buf, ok, 0.5), ok);

        ok = collect(j, V6M_KS_VIDEO_STARTUP, f, buf, &tries);
        set_pair(&r->m[V6M_KPI_VIDEO_STARTUP], f, v6m_kpi_quantile(buf, ok, 0.5), ok);
        const struct video_acc *a = &j->vid[f == 6];
        unsigned played = 0;
        collect(j, V6M_KS_VIDEO_STALL_RATIO, f, buf, &tries);
        for (size_t i = 0; i < j->n_s; i++)
            played += j->s[i].kind == V6M_KS_VIDEO_STALL_RATIO && j->s[i].family == f &&
                      j->s[i].ok;
        if (played && a->play_ms > 0) {
            set_pair(&r->m[V6M_KPI_VIDEO_STALL_RATIO], f, a->stall_ms / a->play_ms, played);
            set_pair(&r->m[V6M_KPI_VIDEO_STALLS], f, a->stalls / played, played);
            set_pair(&r->m[V6M_KPI_VIDEO_BITRATE], f, a->bitrate_sum / played, played);
        }
    }
    /* DNS: A (family 4) against AAAA (family 6) through the resolver, and
     * the transport comparison; both exist whatever addresses the host has */
    for (int f = 4; f <= 6; f += 2) {
        size_t tries;
        size_t ok = collect(j, V6M_KS_DNS, f, buf, &tries);
        set_pair(&r->m[V6M_KPI_DNS_SUCCESS], f, tries ? (double)ok / (double)tries : 0, tries);
        set_pair(&r->m[V6M_KPI_DNS_TIME_MEDIAN], f, v6m_kpi_quantile(buf, ok, 0.5), ok);
        ok = collect(j, V6M_KS_DNS_TRANSPORT, f, buf, &tries);
        set_pair(&r->m[V6M_KPI_DNS_TRANSPORT_MEDIAN], f, v6m_kpi_quantile(buf, ok, 0.5), ok);
    }
    char why[200];
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        v6m_kpi_judge((enum v6m_kpi_metric)m, &cfg->th, &r->m[m], why, sizeof why);
        r->m[m].why = strpool_keep(j->sp, why);
    }
}

static void fill_video(struct tjob *j, struct v6m_kpi_video *out, int f)
{
    const struct video_acc *a = &j->vid[f == 6];
    out->tried = a->sessions > 0;
    out->sessions = a->sessions;
    out->ok = a->sessions > 0 && a->finished == a->sessions;
    out->bitrate_bps = a->bandwidth;
    out->variant = strpool_keep(j->sp, a->variant);
    out->error = strpool_keep(j->sp, a->error);
}

static void job_verdict(struct tjob *j)
{
    struct krun *run = j->run;
    const struct v6m_kpi_config *cfg = &run->k->cfg;
    struct v6m_kpi_target_result *r = j->r;
    struct textbuf deg = {0};
    double wsum = 0, wconv = 0;
    unsigned n_conv = 0, n_deg = 0;
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        if (r->m[m].verdict == V6M_KPI_INSUFFICIENT)
            continue;
        wsum += cfg->th.weight[m];
        if (r->m[m].verdict == V6M_KPI_CONVERGED) {
            wconv += cfg->th.weight[m];
            n_conv++;
        } else {
            n_deg++;
            textbuf_add(&deg, "%s%s", deg.len ? "," : "", v6m_kpi_metric_name(m));
        }
    }
    r->degraded = strpool_keep(j->sp, deg.s ? deg.s : "");
    textbuf_release(&deg);
    r->score = wsum > 0 ? 100.0 * wconv / wsum : NAN;
    r->reach_v4 = j->reach4;
    r->reach_v6 = j->reach6;
    const char *detail = r->detail && r->detail[0] ? r->detail : NULL;
    if (run->k->info.vantage_checked && !run->k->info.vantage_v6) {
        r->verdict = V6M_KPI_T_NOT_TESTABLE;
        detail = "this vantage point has no working IPv6: nothing can be said about IPv6 here";
    } else if (!j->has6) {
        r->verdict = V6M_KPI_T_NO_AAAA;
        if (!detail)
            detail = strpool_printf(j->sp, "%s has no AAAA record: IPv6 cannot be compared",
                                    j->host);
    } else if (!j->reach6) {
        r->verdict = V6M_KPI_T_V6_UNREACHABLE;
        detail = strpool_printf(j->sp,
                                "%s (%s) answered no echo, connect or page request over IPv6",
                                j->host, r->addr_v6);
    } else if (n_deg) {
        r->verdict = V6M_KPI_T_DEGRADED;
        detail = strpool_printf(j->sp, "IPv6 is worse than IPv4 in %u of %u metrics: %s", n_deg,
                                n_deg + n_conv, r->degraded);
    } else if (n_conv) {
        r->verdict = V6M_KPI_T_CONVERGED;
        detail = strpool_printf(j->sp, "IPv6 performs like IPv4 in all %u measured metrics",
                                n_conv);
    } else {
        r->verdict = V6M_KPI_T_INSUFFICIENT;
        if (!detail)
            detail = "not enough samples for any metric";
    }
    r->detail = detail ? detail : "";
    /* without IPv6 to compare (no AAAA, no IPv6 here) a score would only
     * rate the DNS queries: none is given */
    if (r->verdict == V6M_KPI_T_NO_AAAA || r->verdict == V6M_KPI_T_NOT_TESTABLE)
        r->score = NAN;
    r->he_v6_rounds = j->he_v6;
    r->he_rounds = j->he_n;
    r->he_family = j->he_n == 0 ? "" : 2 * j->he_v6 >= j->he_n ? "ipv6" : "ipv4";
}

static void start_next(struct krun *run);

static void job_finish(struct tjob *j)
{
    struct krun *run = j->run;
    v6m_kpi *k = run->k;
    j->phase = PH_DONE;
    loop_timer_cancel(run->ctx.loop, &j->timer);
    loop_timer_cancel(run->ctx.loop, &j->literal_timer);
    double *buf = malloc((j->n_s ? j->n_s : 1) * sizeof *buf);
    if (buf) {
        compute_metrics(j, buf);
        free(buf);
    } else {
        for (int m = 0; m < V6M_KPI_METRICS; m++) {
            j->r->m[m].verdict = V6M_KPI_INSUFFICIENT;
            j->r->m[m].v4 = j->r->m[m].v6 = j->r->m[m].d = NAN;
            j->r->m[m].why = "out of memory";
        }
    }
    fill_video(j, &j->r->video4, 4);
    fill_video(j, &j->r->video6, 6);
    job_verdict(j);
    j->r->tcp_port = j->port;
    j->r->samples = j->s;
    j->r->n_samples = j->n_s;
    k->samples[j->idx] = j->s;
    j->s = NULL;
    k->res[j->idx] = j->r;
    k->n_done++;
    j->active = false;
    run->done++;
    run->inflight--;
    if (run->hooks && run->hooks->target_done)
        run->hooks->target_done(run->hooks->arg, j->r);
    start_next(run);
}

/* ---------------- the run ---------------- */

static void job_start(struct krun *run, size_t i)
{
    v6m_kpi *k = run->k;
    struct tjob *j = &run->jobs[i];
    memset(j, 0, sizeof *j);
    j->run = run;
    j->idx = i;
    j->sp = &k->pools[i];
    j->tag4 = (struct famtag){j, 4};
    j->tag6 = (struct famtag){j, 6};
    loop_timer_init(&j->timer, on_job_timer, j);
    loop_timer_init(&j->literal_timer, on_prepare_literal, j);
    struct v6m_kpi_target_result *r = calloc(1, sizeof *r);
    if (!r) {
        /* counted as done with no result */
        run->done++;
        return;
    }
    j->r = r;
    j->active = true;
    run->inflight++;
    const struct target_in *in = &k->in[i];
    r->target = strpool_keep(j->sp, in->target);
    r->name = strpool_keep(j->sp, in->name ? in->name : "");
    r->category = strpool_keep(j->sp, in->category ? in->category : "");
    r->video_url = strpool_keep(j->sp, in->video ? in->video : "");
    r->detail = "";
    r->latency_method = "icmp";
    r->he_family = "";
    r->degraded = "";
    r->addr_v4 = r->addr_v6 = "";
    j->video_url = in->video;
    struct url_parts parts;
    if (strstr(in->target, "://")) {
        if (!url_split(in->target, &parts)) {
            r->detail = strpool_printf(j->sp, "'%s' is not an http(s) URL", in->target);
            util_strlcpy(j->host, "", sizeof j->host);
        } else {
            util_strlcpy(j->host, parts.host, sizeof j->host);
            util_strlcpy(j->url, in->target, sizeof j->url);
            j->port = parts.port;
        }
    } else {
        util_strlcpy(j->host, in->target, sizeof j->host);
        if (strchr(j->host, ':'))
            snprintf(j->url, sizeof j->url, "https://[%s]/", j->host);
        else
            snprintf(j->url, sizeof j->url, "https://%s/", j->host);
    }
    if (run->k->cfg.tcp_port)
        j->port = run->k->cfg.tcp_port;
    r->host = strpool_keep(j->sp, j->host);
    r->url = strpool_keep(j->sp, run->k->cfg.page ? j->url : "");
    if (!j->host[0]) {
        enter_phase(j, PH_DONE);
        return;
    }
    enter_phase(j, PH_PREPARE);
}

static void start_next(struct krun *run)
{
    v6m_kpi *k = run->k;
    while (run->next < k->n_in && run->inflight < k->cfg.max_parallel && !run->ctx.stopping)
        job_start(run, run->next++);
}

static void report_progress(struct krun *run, bool force)
{
    if (!run->hooks || !run->hooks->progress)
        return;
    uint64_t now = loop_update_time(run->ctx.loop);
    if (!force && now - run->last_progress_ns < 200000000ull)
        return;
    run->last_progress_ns = now;
    struct v6m_kpi_progress p = {
        .done = run->done, .total = run->k->n_in, .inflight = run->inflight,
        .round = run->max_round, .elapsed_ns = now - run->t0, .stage = run->stage,
    };
    run->hooks->progress(run->hooks->arg, &p);
}

static void on_self_check(void *arg)
{
    struct krun *run = arg;
    run->self_check_done = true;
}

/* The first name server of a family in resolv.conf, as "ADDR" or "[ADDR]". */
static bool resolv_conf_server(int family, char *out, size_t len)
{
    FILE *f = fopen("/etc/resolv.conf", "r");
    if (!f)
        return false;
    char line[512], addr[64];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        if (sscanf(line, " nameserver %63s", addr) != 1)
            continue;
        char *pct = strchr(addr, '%');
        if (pct)
            continue; /* a zone id: link-local, not a resolver we can name */
        uint8_t a[16];
        if (family == 4 && inet_pton(AF_INET, addr, a) == 1) {
            util_strlcpy(out, addr, len);
            found = true;
        } else if (family == 6 && inet_pton(AF_INET6, addr, a) == 1) {
            snprintf(out, len, "[%s]:53", addr);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* The server the transport comparison uses for a family: --dns4/--dns6,
 * else --resolver when it is of that family, else resolv.conf's first. */
static bool transport_server(const struct v6m_kpi_config *cfg, int family, char *out, size_t len)
{
    const char *given = family == 4 ? cfg->dns4 : cfg->dns6;
    if (given) {
        util_strlcpy(out, given, len);
        return true;
    }
    if (cfg->resolver) {
        bool v6 = cfg->resolver[0] == '[' || strchr(cfg->resolver, ':') != strrchr(cfg->resolver, ':');
        if ((family == 6) == v6) {
            util_strlcpy(out, cfg->resolver, len);
            return true;
        }
        return false;
    }
    return resolv_conf_server(family, out, len);
}

static void aggregate(v6m_kpi *k)
{
    struct v6m_kpi_info *in = &k->info;
    double wsum = 0, wconv = 0;
    bool any_deg = false, any_conv = false;
    double *ds = malloc((k->n_in ? k->n_in : 1) * sizeof *ds);
    for (int m = 0; m < V6M_KPI_METRICS; m++) {
        size_t nd = 0;
        in->converged[m] = in->degraded[m] = 0;
        for (size_t i = 0; i < k->n_in; i++) {
            const struct v6m_kpi_target_result *r = k->res ? k->res[i] : NULL;
            if (!r || r->verdict == V6M_KPI_T_NOT_TESTABLE || r->verdict == V6M_KPI_T_NO_AAAA)
                continue;
            const struct v6m_kpi_value *v = &r->m[m];
            if (v->verdict == V6M_KPI_INSUFFICIENT)
                continue;
            wsum += k->cfg.th.weight[m];
            if (v->verdict == V6M_KPI_CONVERGED) {
                in->converged[m]++;
                wconv += k->cfg.th.weight[m];
                any_conv = true;
            } else {
                in->degraded[m]++;
                any_deg = true;
            }
            if (ds && !isnan(v->d))
                ds[nd++] = v->d;
        }
        in->d_median[m] = ds ? v6m_kpi_quantile(ds, nd, 0.5) : NAN;
    }
    free(ds);
    in->verdict = any_deg ? V6M_KPI_DEGRADED : any_conv ? V6M_KPI_CONVERGED : V6M_KPI_INSUFFICIENT;
    in->score = wsum > 0 ? 100.0 * wconv / wsum : NAN;
}

static void release_job(struct tjob *j)
{
    if (!j->active)
        return;
    loop_timer_cancel(j->run->ctx.loop, &j->timer);
    loop_timer_cancel(j->run->ctx.loop, &j->literal_timer);
    while (j->conns) {
        struct conn *c = j->conns;
        j->conns = c->next;
        tcp_probe_cancel(c->p);
        free(c);
    }
    pageload_free(j->pl);
    video_session_free(j->vs);
    j->pl = NULL;
    j->vs = NULL;
    free(j->s);
    j->s = NULL;
    free(j->r);
    j->r = NULL;
    j->active = false;
}

/* Stop everything in flight, in the order that keeps callbacks away from
 * freed memory: callbacks return at once from now on; page loads close
 * their own engines; the run's engines and resolvers deliver their
 * cancellations (video sessions free themselves through on_video); then
 * the jobs are released. Idempotent. */
static void abandon(struct krun *run)
{
    run->ctx.stopping = true;
    for (size_t i = 0; run->jobs && i < run->next; i++)
        if (run->jobs[i].active)
            pageload_stop(run->jobs[i].pl);
    fetch_engine_free(run->ctx.fetch);
    resolver_free(run->ctx.res);
    resolver_free(run->res4);
    resolver_free(run->res6);
    run->ctx.fetch = NULL;
    run->ctx.res = NULL;
    run->res4 = run->res6 = NULL;
    for (size_t i = 0; run->jobs && i < run->next; i++)
        release_job(&run->jobs[i]);
}

v6m_err v6m_kpi_run(v6m_kpi *k, const struct v6m_kpi_hooks *hooks, volatile int *stop)
{
    if (k->ran)
        return errbuf_set(&k->err, V6M_ERR_INVALID_ARG, "a kpi run runs once");
    k->ran = true;
    errbuf_clear(&k->err);
    const struct v6m_kpi_config *cfg = &k->cfg;
    struct krun run;
    memset(&run, 0, sizeof run);
    run.k = k;
    run.hooks = hooks;
    v6m_probe_config_defaults(&run.pcfg);
    run.pcfg.resolver = cfg->resolver;
    run.pcfg.timeout_ms = cfg->page_timeout_ms;
    run.pcfg.connect_timeout_ms = cfg->connect_timeout_ms;
    run.pcfg.dns_timeout_ms = cfg->dns_timeout_ms;
    run.pcfg.dns_tries = 1;
    run.pcfg.retries = 0;
    run.pcfg.per_host = cfg->per_host;
    run.pcfg.insecure = cfg->insecure;
    run.pcfg.ca_file = cfg->ca_file;
    run.ctx.cfg = &run.pcfg;
    run.ctx.v4_testable = run.ctx.v6_testable = true;
    k->info.started_ns = wall_ns();
    k->info.targets_total = k->n_in;

    struct errbuf e;
    errbuf_clear(&e);
    v6m_err rcode = V6M_OK;
    run.ctx.loop = loop_new(&e);
    if (!run.ctx.loop)
        return errbuf_set(&k->err, e.code, "%s", e.msg);
    struct resolver_config rc = {
        .server = cfg->resolver, .timeout_ms = cfg->dns_timeout_ms, .tries = 1,
    };
    run.ctx.res = resolver_new(run.ctx.loop, &rc, &e);
    if (!run.ctx.res) {
        rcode = errbuf_set(&k->err, e.code, "%s", e.msg);
        goto out;
    }
    util_strlcpy(k->resolver_used, resolver_servers(run.ctx.res), sizeof k->resolver_used);
    k->info.resolver = k->resolver_used;
    char srv[160];
    if (transport_server(cfg, 4, srv, sizeof srv)) {
        struct resolver_config r4 = {.server = srv, .timeout_ms = cfg->dns_timeout_ms, .tries = 1};
        run.res4 = resolver_new(run.ctx.loop, &r4, &e);
        if (!run.res4) {
            rcode = errbuf_set(&k->err, e.code, "IPv4 transport resolver: %s", e.msg);
            goto out;
        }
        util_strlcpy(k->dns4_used, resolver_servers(run.res4), sizeof k->dns4_used);
        k->info.dns4 = k->dns4_used;
    }
    if (transport_server(cfg, 6, srv, sizeof srv)) {
        struct resolver_config r6 = {.server = srv, .timeout_ms = cfg->dns_timeout_ms, .tries = 1};
        run.res6 = resolver_new(run.ctx.loop, &r6, &e);
        if (!run.res6) {
            rcode = errbuf_set(&k->err, e.code, "IPv6 transport resolver: %s", e.msg);
            goto out;
        }
        util_strlcpy(k->dns6_used, resolver_servers(run.res6), sizeof k->dns6_used);
        k->info.dns6 = k->dns6_used;
    }
    struct fetch_config fc = {
        .per_host = cfg->per_host, .body_cap = run.pcfg.body_cap, .ca_file = cfg->ca_file,
    };
    run.ctx.fetch = fetch_engine_new(run.ctx.loop, &fc, &e);
    if (!run.ctx.fetch) {
        rcode = errbuf_set(&k->err, e.code, "%s", e.msg);
        goto out;
    }
    if (cfg->icmp_mode != V6M_KPI_ICMP_OFF) {
        struct icmp_config ic;
        icmp_config_defaults(&ic);
        ic.mode = cfg->icmp_mode == V6M_KPI_ICMP_PING  ? ICMP_MODE_PING
                  : cfg->icmp_mode == V6M_KPI_ICMP_RAW ? ICMP_MODE_RAW
                                                       : ICMP_MODE_AUTO;
        struct errbuf ie;
        errbuf_clear(&ie);
        run.icmp = icmp_pinger_new(run.ctx.loop, &ic, &ie);
        if (run.icmp) {
            k->info.icmp_v4 = icmp_socket_kind(run.icmp, 4);
            k->info.icmp_v6 = icmp_socket_kind(run.icmp, 6);
            if (!strcmp(k->info.icmp_v4, "none") && !strcmp(k->info.icmp_v6, "none")) {
                icmp_pinger_free(run.icmp);
                run.icmp = NULL;
            }
        }
    }

    k->res = calloc(k->n_in ? k->n_in : 1, sizeof *k->res);
    k->pools = calloc(k->n_in ? k->n_in : 1, sizeof *k->pools);
    k->samples = calloc(k->n_in ? k->n_in : 1, sizeof *k->samples);
    run.jobs = calloc(k->n_in ? k->n_in : 1, sizeof *run.jobs);
    if (!k->res || !k->pools || !k->samples || !run.jobs) {
        rcode = errbuf_set(&k->err, V6M_ERR_NOMEM, "out of memory for %zu targets", k->n_in);
        goto out;
    }
    run.t0 = loop_update_time(run.ctx.loop);

    bool interrupted = false;
    if (cfg->self_check) {
        run.stage = "self-check";
        report_progress(&run, true);
        struct vantage_check *vc = vantage_start(&run.ctx, cfg->canaries, cfg->n_canaries,
                                                 &k->self_check, on_self_check, &run);
        if (!vc) {
            rcode = errbuf_set(&k->err, V6M_ERR_NOMEM, "out of memory");
            goto out;
        }
        while (!run.self_check_done && !interrupted) {
            if (stop && *stop)
                interrupted = true;
            else if (loop_run_once(run.ctx.loop, 100000000ull) < 0)
                break;
        }
        if (interrupted)
            abandon(&run); /* the self-check's requests deliver cancellations first */
        vantage_free(vc);
        k->info.vantage_checked = true;
        k->info.vantage_v4 = k->self_check.v4_ok;
        k->info.vantage_v6 = k->self_check.v6_ok;
        k->info.vantage_detail = k->self_check.detail;
    } else {
        k->info.vantage_detail = "self-check skipped (--no-self-check)";
        k->info.vantage_v4 = k->info.vantage_v6 = true;
    }

    if (!interrupted) {
        run.stage = "measuring";
        start_next(&run);
        while (run.done < k->n_in) {
            if (stop && *stop) {
                interrupted = true;
                break;
            }
            if (loop_run_once(run.ctx.loop, 100000000ull) < 0) {
                rcode = errbuf_set(&k->err, V6M_ERR_IO, "event loop failed");
                break;
            }
            report_progress(&run, false);
        }
        report_progress(&run, true);
    }
    if (interrupted || rcode != V6M_OK) {
        abandon(&run); /* what is in flight; finished results stay */
        k->info.interrupted = interrupted;
        if (interrupted && rcode == V6M_OK)
            rcode = errbuf_set(&k->err, V6M_ERR_INTERRUPTED, "interrupted after %zu of %zu "
                               "targets", run.done, k->n_in);
    }
    k->info.targets_done = k->n_done;
    aggregate(k);
out:
    k->info.finished_ns = wall_ns();
    abandon(&run);
    icmp_pinger_free(run.icmp);
    free(run.jobs);
    loop_free(run.ctx.loop);
    return rcode;
}
