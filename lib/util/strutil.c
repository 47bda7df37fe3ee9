/*
 * util/strutil.c - see strutil.h.
 */
#include "util/strutil.h"

#include <v6mon/parse.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

size_t util_strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

bool util_parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool util_parse_duration(const char *s, uint64_t *ns_out)
{
    uint64_t v = 0;
    const char *p = s;
    if (!s || !*s)
        return false;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        p++;
    }
    if (p == s)
        return false;
    uint64_t mult;
    if (*p == '\0' || strcmp(p, "s") == 0)
        mult = 1000000000ULL;
    else if (strcmp(p, "ms") == 0)
        mult = 1000000ULL;
    else if (strcmp(p, "us") == 0)
        mult = 1000ULL;
    else if (strcmp(p, "m") == 0 || strcmp(p, "min") == 0)
        mult = 60ULL * 1000000000ULL;
    else if (strcmp(p, "h") == 0)
        mult = 3600ULL * 1000000000ULL;
    else if (strcmp(p, "d") == 0)
        mult = 86400ULL * 1000000000ULL;
    else
        return false;
    if (v > UINT64_MAX / mult)
        return false;
    *ns_out = v * mult;
    return true;
}

bool v6m_parse_duration(const char *s, uint64_t *ns)
{
    return util_parse_duration(s, ns);
}

/* Days since 1970-01-01 -> proleptic Gregorian year, month, day: the
 * era/day-of-era arithmetic (400-year eras of 146,097 days, years counted
 * from March so the leap day comes last). No table, no locale, no libc
 * time zone machinery: gmtime_r() plus strftime() cost ~2,000
 * instructions, and the prober writes two timestamps per result line. */
static void civil_from_days(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
    uint64_t z = days + 719468; /* days since 0000-03-01 */
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;                                 /* [0, 146096] */
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);          /* [0, 365] */
    uint64_t mp = (5 * doy + 2) / 153;                               /* [0, 11], March = 0 */
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = (unsigned)(yoe + era * 400 + (*m <= 2));
}

char *util_format_utc(uint64_t ns, char *buf, size_t size)
{
    /* Every uint64 of nanoseconds is before the year 2555: four digits. */
    if (size >= 21) {
        uint64_t s = ns / 1000000000ULL;
        unsigned y, mo, d, sod = (unsigned)(s % 86400);
        civil_from_days(s / 86400, &y, &mo, &d);
        unsigned v[6] = {y, mo, d, sod / 3600, sod / 60 % 60, sod % 60};
        static const char sep[6] = {'-', '-', 'T', ':', ':', 'Z'};
        char *p = buf;
        for (int k = 0; k < 6; k++) {
            if (k == 0) {
                *p++ = (char)('0' + y / 1000);
                *p++ = (char)('0' + y / 100 % 10);
            }
            *p++ = (char)('0' + v[k] / 10 % 10);
            *p++ = (char)('0' + v[k] % 10);
            *p++ = sep[k];
        }
        *p = '\0';
        return buf;
    }
    return util_format_utc_libc(ns, buf, size);
}

char *util_format_utc_libc(uint64_t ns, char *buf, size_t size)
{
    time_t t = (time_t)(ns / 1000000000ULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        if (size)
            buf[0] = '\0';
    }
    return buf;
}

char *util_format_day(int64_t s, char *buf, size_t size)
{
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d", &tm) == 0)
        snprintf(buf, size, "?");
    return buf;
}

bool util_parse_prefix(const char *s, uint8_t addr[16], unsigned *plen,
                       unsigned *family)
{
    char tmp[64];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(tmp))
        return false;
    memcpy(tmp, s, alen);
    tmp[alen] = '\0';
    memset(addr, 0, 16);
    unsigned maxlen;
    if (strchr(tmp, ':')) {
        if (inet_pton(AF_INET6, tmp, addr) != 1)
            return false;
        *family = 2;
        maxlen = 128;
    } else {
        if (inet_pton(AF_INET, tmp, addr) != 1)
            return false;
        *family = 1;
        maxlen = 32;
    }
    if (slash) {
        uint64_t v;
        if (!util_parse_u64(slash + 1, &v) || v > maxlen)
            return false;
        *plen = (unsigned)v;
    } else {
        *plen = maxlen;
    }
    return true;
}

char *util_trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}
