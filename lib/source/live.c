/*
 * source/live.c - live capture through libpcap.
 *
 * pcap_create + options + pcap_activate, so every option (snaplen, promisc,
 * kernel buffer, nanosecond timestamps, a short read timeout) is set before
 * the capture starts. Immediate mode stays off: the kernel hands frames over
 * in batches (retired at the latest after the 100 ms timeout), and next()
 * looks at the stop flag and the duration deadline at least that often. pcap_breakloop() from v6m_source_stop() makes a
 * blocked pcap_next_ex() return PCAP_ERROR_BREAK.
 *
 * The descriptor is put in non-blocking mode and waited on with poll() and
 * the same timeout: on Linux (TPACKET_V3) libpcap's own wait has no timeout
 * while the interface is idle.
 *
 * Link types: pcap_datalink() returns a DLT_ value; for nearly all of them
 * DLT_ == LINKTYPE_, the exceptions that Linux can return are mapped here
 * (DLT_RAW -> LINKTYPE_RAW 101, DLT_ATM_RFC1483 -> 100).
 */
#include <pcap/pcap.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <v6mon/source.h>

#include "source/source_impl.h"

#define LIVE_TIMEOUT_MS 100

struct live {
    pcap_t *p;
    uint32_t linktype;
    int fd;
    bool nano;
};

static uint32_t dlt_to_linktype(int dlt)
{
#ifdef DLT_RAW
    if (dlt == DLT_RAW)
        return 101;
#endif
#ifdef DLT_ATM_RFC1483
    if (dlt == DLT_ATM_RFC1483)
        return 100;
#endif
    return (uint32_t)dlt;
}

v6m_err live_open(struct live **out, const struct v6m_live_config *cfg,
                  struct errbuf *err)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    ebuf[0] = '\0';
    *out = NULL;
    if (!cfg->ifname || !cfg->ifname[0])
        return errbuf_set(err, V6M_ERR_INVALID_ARG, "no capture interface given");
    struct live *l = calloc(1, sizeof(*l));
    if (!l)
        return errbuf_set(err, V6M_ERR_NOMEM, "out of memory");
    l->p = pcap_create(cfg->ifname, ebuf);
    if (!l->p) {
        free(l);
        return errbuf_set(err, V6M_ERR_IO, "cannot capture on '%s': %s",
                          cfg->ifname, ebuf);
    }
    unsigned snap = cfg->snaplen ? cfg->snaplen : 262144;
    unsigned mb = cfg->buffer_mb ? cfg->buffer_mb : 64;
    pcap_set_snaplen(l->p, (int)(snap > SRC_CAPLEN_MAX ? SRC_CAPLEN_MAX : snap));
    pcap_set_promisc(l->p, cfg->promisc ? 1 : 0);
    pcap_set_timeout(l->p, LIVE_TIMEOUT_MS);
    pcap_set_immediate_mode(l->p, 0);
    pcap_set_buffer_size(l->p, (int)(mb > 2047 ? 2047u << 20 : mb << 20));
    (void)pcap_set_tstamp_precision(l->p, PCAP_TSTAMP_PRECISION_NANO);
    int rc = pcap_activate(l->p);
    if (rc < 0) {
        const char *why = rc == PCAP_ERROR ? pcap_geterr(l->p) : pcap_statustostr(rc);
        v6m_err e = rc == PCAP_ERROR_NO_SUCH_DEVICE ? V6M_ERR_NOT_FOUND : V6M_ERR_IO;
        errbuf_set(err, e, "cannot capture on '%s': %s", cfg->ifname, why);
        pcap_close(l->p);
        free(l);
        return e;
    }
    /* Non-blocking reads plus our own poll(): with TPACKET_V3 libpcap
     * itself would poll without a timeout while the interface is idle, and
     * the duration could never end the capture. */
    if (pcap_setnonblock(l->p, 1, ebuf) < 0 ||
        (l->fd = pcap_get_selectable_fd(l->p)) < 0) {
        errbuf_set(err, V6M_ERR_IO, "cannot capture on '%s': no selectable descriptor",
                   cfg->ifname);
        pcap_close(l->p);
        free(l);
        return V6M_ERR_IO;
    }
    l->nano = pcap_get_tstamp_precision(l->p) == PCAP_TSTAMP_PRECISION_NANO;
    l->linktype = dlt_to_linktype(pcap_datalink(l->p));
    if (cfg->bpf && cfg->bpf[0]) {
        struct bpf_program prog;
        if (pcap_compile(l->p, &prog, cfg->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            errbuf_set(err, V6M_ERR_INVALID_ARG, "bad capture filter '%s': %s",
                       cfg->bpf, pcap_geterr(l->p));
            pcap_close(l->p);
            free(l);
            return V6M_ERR_INVALID_ARG;
        }
        int src = pcap_setfilter(l->p, &prog);
        pcap_freecode(&prog);
        if (src < 0) {
            errbuf_set(err, V6M_ERR_IO, "cannot set capture filter on '%s': %s",
                       cfg->ifname, pcap_geterr(l->p));
            pcap_close(l->p);
            free(l);
            return V6M_ERR_IO;
        }
    }
    *out = l;
    return V6M_OK;
}

static uint64_t live_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

v6m_err live_next(struct live *l, struct v6m_frame *frame, uint64_t deadline,
                  const atomic_int *stop, const volatile int *watch, struct errbuf *err)
{
    for (;;) {
        if (atomic_load(stop) || (watch && *watch))
            return V6M_ERR_INTERRUPTED;
        if (deadline && live_mono_ns() >= deadline)
            return V6M_ERR_EOF;
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(l->p, &h, &data);
        if (rc == 1) {
            uint64_t frac = (uint64_t)h->ts.tv_usec;
            frame->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u +
                           (l->nano ? frac : frac * 1000u);
            frame->caplen = h->caplen;
            frame->wirelen = h->len < h->caplen ? h->caplen : h->len;
            frame->linktype = l->linktype;
            frame->ifindex = 0;
            frame->data = data;
            return V6M_OK;
        }
        if (rc == 0) {
            /* Nothing ready: wait up to the timeout, then look at the
             * flags again. */
            struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
            (void)poll(&pfd, 1, LIVE_TIMEOUT_MS);
            continue;
        }
        if (rc == PCAP_ERROR_BREAK)
            return atomic_load(stop) ? V6M_ERR_INTERRUPTED : V6M_ERR_EOF;
        return errbuf_set(err, V6M_ERR_IO, "capture error: %s", pcap_geterr(l->p));
    }
}

void live_breakloop(struct live *l)
{
    pcap_breakloop(l->p);
}

void live_stats(struct live *l, uint64_t *drop, uint64_t *ifdrop)
{
    struct pcap_stat ps;
    if (pcap_stats(l->p, &ps) == 0) {
        *drop = ps.ps_drop;
        *ifdrop = ps.ps_ifdrop;
    }
}

uint32_t live_linktype(const struct live *l)
{
    return l->linktype;
}

void live_close(struct live *l)
{
    if (!l)
        return;
    pcap_close(l->p);
    free(l);
}
