/*
 * report/usersapps.h - rendering of the users (I1) and apps (I6, I7)
 * results inside the traffic report (private; called by traffic_report.c).
 * Schema of the JSON parts: docs/traffic-json.md, sections "users" and
 * "apps". All pointers are borrowed for the call.
 */
#ifndef V6M_REPORT_USERSAPPS_H
#define V6M_REPORT_USERSAPPS_H

#include <stdio.h>

#include <v6mon/appstats.h>
#include <v6mon/users.h>

#include "report/json_writer.h"

/* Writes the keys "users" (object). */
void report_users_json(struct json_writer *w, const struct v6m_users_result *u,
                       const char *const *segment_names);
/* Writes the keys "apps" (array), "apps_summary" (object), "names" (array). */
void report_apps_json(struct json_writer *w, const struct v6m_apps_result *a,
                      const char *const *segment_names, size_t n_segments);

void report_users_text(FILE *out, const struct v6m_users_result *u,
                       const char *const *segment_names);
void report_apps_text(FILE *out, const struct v6m_apps_result *a);

/* CSV tables (own header line each): users windows, apps, names. */
void report_users_csv(FILE *out, const struct v6m_users_result *u,
                      const char *const *segment_names);
void report_apps_csv(FILE *out, const struct v6m_apps_result *a,
                     const char *const *segment_names, size_t n_segments);
void report_names_csv(FILE *out, const struct v6m_apps_result *a);

#endif
