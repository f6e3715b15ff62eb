/* SPDX-License-Identifier: MIT */
/* libfuzzer-main.c — the libFuzzer entry points of one target, chosen at
 * compile time with -DFUZZ_TARGET=api_sequence, stage_cli or axis_reply. */
#include "fuzz-common.h"

#include <stdlib.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define TARGET_INIT CAT(CAT(fuzz_, FUZZ_TARGET), _init)
#define TARGET_RUN CAT(CAT(fuzz_, FUZZ_TARGET), _run)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (TARGET_INIT() != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return TARGET_RUN(data, size);
}
