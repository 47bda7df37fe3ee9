/*
 * report/textfmt.h - number formatting shared by the terminal renderers
 * (private to lib/report). Each writes into buf (n bytes) and returns it.
 *   report_human_bytes  1234567 -> "1.23 MB" (SI units, "123 B" below 1 kB)
 *   report_pct          0.4321 -> "43.2%", a negative share -> "-" (no data)
 * and the one CSV field writer of the renderers (RFC 4180 quoting, invalid
 * UTF-8 repaired), defined in probe_report.c:
 *   report_csv_field    writes s (NULL: empty) as one field
 */
#ifndef V6M_REPORT_TEXTFMT_H
#define V6M_REPORT_TEXTFMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

char *report_human_bytes(uint64_t v, char *buf, size_t n);
char *report_pct(double share, char *buf, size_t n);
void report_csv_field(FILE *out, const char *s);

#endif
