/*
 * core/version.c - the version string; V6M_GIT_DESCRIBE comes from CMake
 * when built from a git checkout.
 */
#include <v6mon/version.h>

#define V6M_STR2(x) #x
#define V6M_STR(x) V6M_STR2(x)

const char *v6m_version(void)
{
#ifdef V6M_GIT_DESCRIBE
    return V6M_STR(V6M_VERSION_MAJOR) "." V6M_STR(V6M_VERSION_MINOR) "." V6M_STR(
        V6M_VERSION_PATCH) " (" V6M_GIT_DESCRIBE ")";
#else
    return V6M_STR(V6M_VERSION_MAJOR) "." V6M_STR(V6M_VERSION_MINOR) "." V6M_STR(
        V6M_VERSION_PATCH);
#endif
}
