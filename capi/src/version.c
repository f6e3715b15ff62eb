/* SPDX-License-Identifier: MIT */
/* version.c — the library's own version at run time (cqt/version.h). The
 * macros are the ones generated for this build, so the numbers a program
 * reads here are those of the libcqt it loaded, not of its headers. */
#include <cqt/version.h>

unsigned int cqt_version(void)
{
    return CQT_VERSION_HEX;
}

const char *cqt_version_string(void)
{
    return CQT_VERSION_STRING;
}
