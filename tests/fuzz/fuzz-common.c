/* SPDX-License-Identifier: MIT */
/* fuzz-common.c — see fuzz-common.h. */
#include "fuzz-common.h"

#include <stdio.h>

void fuzz_quiet_handler(void *user_data, cqt_msg_type type, const char *category,
                        const char *message)
{
    (void)user_data;
    if (type == CQT_MSG_FATAL || type == CQT_MSG_CRITICAL)
        fprintf(stderr, "cqt[%s] %s\n", category ? category : "", message ? message : "");
}
