/* SPDX-License-Identifier: MIT */
/* fuzz-common.h — what the fuzz targets and their replay driver share. */
#ifndef CQT_FUZZ_COMMON_H
#define CQT_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cqt/base.h>

/* Each target: an init run once, and a run per input (0 = fine; an
 * invariant that breaks aborts). api_sequence also has a fini, run once
 * by the replay driver after the last input: it joins the target's own
 * pthread, frees the shared handles and shuts the application down, so a
 * leak checker at exit sees only what the inputs left (0 = fine). */
int fuzz_api_sequence_init(void);
int fuzz_api_sequence_run(const uint8_t *data, size_t size);
int fuzz_api_sequence_fini(void);
/* The gated operation kinds of api_sequence that are on: NULL/""/"0" none,
 * "all" every one, else kind names separated by ',' or '+'. The replay
 * driver sets them per input from its file name ("KINDS-rest"); libFuzzer
 * runs take them from CQT_FUZZ_NEW_OPS. -1 for an unknown name. */
int fuzz_api_sequence_set_kinds(const char *spec, bool verbose);
int fuzz_stage_cli_init(void);
int fuzz_stage_cli_run(const uint8_t *data, size_t size);
/* axis_reply: the controller protocol's line parser and reader. */
int fuzz_axis_reply_init(void);
int fuzz_axis_reply_run(const uint8_t *data, size_t size);

/* Drops the warnings cqt is expected to log for bad input (they would
 * flood the fuzzer's output); fatal messages still reach stderr. */
void fuzz_quiet_handler(void *user_data, cqt_msg_type type, const char *category,
                        const char *message);

#endif
