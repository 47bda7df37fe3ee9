/*
 * v6mon/parse.h - parsers for values the tools and configuration files
 * share, so every command reads them the same way.
 */
#ifndef V6MON_PARSE_H
#define V6MON_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* A duration: digits with an optional unit: "300" (seconds), "300s",
 * "250ms", "10us", "5m"/"5min", "1h", "1d". Result in ns. False on junk,
 * an empty string or overflow; "0" is accepted (callers that need a
 * positive value check it). */
bool v6m_parse_duration(const char *s, uint64_t *ns);

#endif
