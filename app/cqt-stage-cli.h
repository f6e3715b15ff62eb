/* SPDX-License-Identifier: MIT */
/* cqt-stage-cli.h — argument parsing and report formatting of the
 * cqt-stage tool, kept apart from main() so tests and fuzzers can call
 * them. Not installed; not part of libcqt's API.
 *
 * None of these functions needs a running application, allocates, prints
 * or exits. Every string they read from a report is bounded by its array,
 * so a report filled with arbitrary bytes is safe to format.
 */
#ifndef CQT_STAGE_CLI_H
#define CQT_STAGE_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <cqt/cqt.h>
#include <cqt/axis.h>
#include <cqt/stage.h>

#define CQT_STAGE_CLI_NAME_MAX 16 /* bytes of an axis name, with the NUL */
#define CQT_STAGE_CLI_ADDRESS_MAX 256 /* bytes of a --controller address, with the NUL */

/* Defaults of the tool. */
#define CQT_STAGE_CLI_SPEED 100.0      /* units/s */
#define CQT_STAGE_CLI_LIMIT 1000.0     /* soft limits [-LIMIT, LIMIT] */
#define CQT_STAGE_CLI_TIMEOUT_MS 10000

/* What parsing returns. */
enum {
    CQT_STAGE_CLI_OK = 0,   /* run the move */
    CQT_STAGE_CLI_HELP = 1, /* --help: print the usage, exit 0 */
    CQT_STAGE_CLI_USAGE = 2,  /* bad arguments: print err and "Try --help", exit 2 */
    CQT_STAGE_CLI_VERSION = 3 /* --version: print the version, exit 0 */
};

/* Live display: auto (when the stream it goes to, stdout or with --json
 * stderr, is a terminal and TERM is set and not "dumb"), on, off. */
enum { CQT_STAGE_CLI_LIVE_AUTO = 0, CQT_STAGE_CLI_LIVE_ON = 1, CQT_STAGE_CLI_LIVE_OFF = 2 };

typedef struct cqt_stage_cli_axis {
    char name[CQT_STAGE_CLI_NAME_MAX];
    double target;
    double speed;        /* > 0 */
    double acceleration; /* >= 0 */
    cqt_axis_fault fault;
} cqt_stage_cli_axis;

typedef struct cqt_stage_cli_options {
    size_t n; /* axes[0..n), in the order given */
    cqt_stage_cli_axis axes[CQT_STAGE_MAX_AXES];
    cqt_stage_mode mode; /* default parallel */
    int timeout_ms;      /* default CQT_STAGE_CLI_TIMEOUT_MS */
    double time_scale;   /* default 1 */
    bool json;
    int live;            /* CQT_STAGE_CLI_LIVE_* */
    bool progress;       /* --progress: "progress: x=... y=..." lines on stderr */
    char controller[CQT_STAGE_CLI_ADDRESS_MAX]; /* --controller: "sim" (default),
                                                   "tcp:...", "serial:...", "fd:N" */
} cqt_stage_cli_options;

/* cqt_stage_cli_parse:
 * Parses `move NAME=TARGET... [options]` from @argv[1..argc) (argv[0] is
 * the program) into @opts, with getopt_long() (options may come anywhere;
 * abbreviations are taken when unambiguous); the NAME=TARGET words are
 * parsed by hand. Numbers are decimal and strict (tool-opts.h).
 * --controller takes "sim" or an address whose transport is tcp:, serial:
 * or fd: (the rest is checked when the link opens); with a controller,
 * --speed, --accel and --time-scale are errors: the controller moves its
 * axes at its own speed, in real time. @argv may
 * hold any bytes; NULL entries are errors; @argv itself is not reordered.
 * Uses getopt's globals (optind, optarg): one thread at a time.
 * @err (nullable): receives a one-line reason on CQT_STAGE_CLI_USAGE.
 * Returns: CQT_STAGE_CLI_OK, _HELP, _VERSION or _USAGE. */
int cqt_stage_cli_parse(int argc, const char *const *argv, cqt_stage_cli_options *opts, char *err,
                        size_t err_len);

/* cqt_stage_cli_usage:
 * Returns: the usage text (static storage). */
const char *cqt_stage_cli_usage(void);

/* cqt_stage_cli_format_json / cqt_stage_cli_format_text:
 * Writes @rep as one JSON object (with a trailing newline) / as the
 * human-readable report into @buf, snprintf-style: at most @len bytes,
 * NUL-terminated when @len > 0.
 * Returns: the length the whole text needs, without the NUL. */
size_t cqt_stage_cli_format_json(const cqt_stage_report *rep, char *buf, size_t len);
size_t cqt_stage_cli_format_text(const cqt_stage_report *rep, char *buf, size_t len);

/* cqt_stage_cli_format_json_interrupted / cqt_stage_cli_format_text_interrupted:
 * As above, for a move that signal @signo interrupted (0: it was not, the
 * same text as above). JSON: the same object, whose "interrupted" member
 * (null when not interrupted) names the signal ("SIGINT", "SIGTERM", or
 * "signal N"). Text: the same report and a last line "interrupted: SIGINT;
 * every axis was stopped where it was".
 * Returns: as above. */
size_t cqt_stage_cli_format_json_interrupted(const cqt_stage_report *rep, int signo, char *buf,
                                             size_t len);
size_t cqt_stage_cli_format_text_interrupted(const cqt_stage_report *rep, int signo, char *buf,
                                             size_t len);

/* cqt_stage_cli_signal_status:
 * Returns: the tool's exit status after signal @signo interrupted a move:
 * 128 + @signo (130 for SIGINT, 143 for SIGTERM), as a shell reports a
 * program a signal ended. */
int cqt_stage_cli_signal_status(int signo);

/* cqt_stage_cli_format_live:
 * One live line for an axis (no newline): name, a bar of the way from
 * @start to @target, the position, the target and @state's name. With
 * @columns > 0 the line has at most @columns - 1 characters (so that it
 * never reaches a terminal's last column and wraps): the bar shrinks,
 * then goes, then the line is cut. With @columns <= 0, the full line (a
 * 30-character bar). For one @columns, lines of names up to 15 bytes and
 * numbers up to 9 characters (-1000.000) line up.
 * Returns: as cqt_stage_cli_format_json(). */
size_t cqt_stage_cli_format_live(const char *name, double start, double target, double position,
                                 cqt_axis_state state, int columns, char *buf, size_t len);

/* cqt_stage_cli_exit_status:
 * Returns: the tool's exit status for a report: 0 when every axis arrived
 * (status CQT_OK), 1 otherwise. */
int cqt_stage_cli_exit_status(const cqt_stage_report *rep);

#endif /* CQT_STAGE_CLI_H */
