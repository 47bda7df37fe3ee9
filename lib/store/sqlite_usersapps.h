/*
 * store/sqlite_usersapps.h - users and apps rows of a traffic run (private
 * to the SQLite backend; see sqlite_usersapps.c). The tables come from
 * schema migration 1 -> 2 in sqlite.c.
 */
#ifndef V6M_STORE_SQLITE_USERSAPPS_H
#define V6M_STORE_SQLITE_USERSAPPS_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include <v6mon/traffic.h>

/* Inside an open transaction. false on failure with *what naming the step
 * (the caller adds sqlite3_errmsg and rolls back). t: a finished traffic
 * handle; its users/apps parts may be absent. */
bool sq_put_users_apps(sqlite3 *db, int64_t run, const v6m_traffic *t, const char **what);

#endif
