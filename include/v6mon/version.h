/* v6mon/version.h - library version. */
#ifndef V6MON_VERSION_H
#define V6MON_VERSION_H

#define V6M_VERSION_MAJOR 0
#define V6M_VERSION_MINOR 1
#define V6M_VERSION_PATCH 0

/* "0.1.0" plus the git description when built from a checkout; static. */
const char *v6m_version(void);

#endif
