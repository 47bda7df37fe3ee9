/*
 * report/textfmt.c - number formatting for the terminal renderers (see
 * textfmt.h).
 */
#include "report/textfmt.h"

#include <stdio.h>

char *report_human_bytes(uint64_t v, char *buf, size_t n)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double d = (double)v;
    int u = 0;
    while (d >= 1000.0 && u < 5) {
        d /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%llu B", (unsigned long long)v);
    else
        snprintf(buf, n, "%.2f %s", d, units[u]);
    return buf;
}

char *report_pct(double share, char *buf, size_t n)
{
    if (share < 0)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.1f%%", 100.0 * share);
    return buf;
}
