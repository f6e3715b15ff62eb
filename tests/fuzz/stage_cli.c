/* SPDX-License-Identifier: MIT */
/* stage_cli.c — libFuzzer target for the cqt-stage tool's argument parser
 * and report formatters (app/cqt-stage-cli.h).
 *
 * The input is split at NUL bytes into argv[1..]; after parsing, the rest
 * of the input (from the first 0xff 0xff marker) is copied raw into a
 * cqt_stage_report — arbitrary bytes, as the header promises to survive —
 * and formatted as JSON, text and live lines.
 *
 * Invariants: parse returns one of its four codes and, on a usage error,
 * a non-empty reason; parsed options are within their documented ranges;
 * every formatter NUL-terminates, returns the same length whatever the
 * buffer size, and writes exactly that length when the buffer is big
 * enough; the JSON is one object with balanced braces and brackets outside
 * strings, no raw control character, and ends with a newline; a live line
 * fits the columns it was given and holds printable ASCII only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cqt-stage-cli.h"
#include "fuzz-common.h"

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "stage_cli: invariant broken at line %d: ", __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, "\n");                                                             \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static void check_json(const char *s, size_t len)
{
    CHECK(len >= 3 && s[0] == '{' && s[len - 1] == '\n' && s[len - 2] == '}',
          "JSON is not one object with a newline: %.80s", s);
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (in_str) {
            CHECK(c >= 0x20, "raw control byte 0x%02x inside a JSON string", c);
            if (c == '\\') {
                i++;
                CHECK(i < len && strchr("\"\\/bfnrtu", s[i]), "bad escape in JSON");
            } else if (c == '"') {
                in_str = false;
            }
            continue;
        }
        if (c == '"')
            in_str = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            CHECK(--depth >= 0, "unbalanced JSON");
        else
            CHECK(c != '\n' || i == len - 1, "newline inside the JSON object");
        CHECK(!(c == 'n' && i + 3 <= len && !strncmp(s + i, "nan", 3)) &&
                  !(c == 'i' && i + 3 <= len && !strncmp(s + i, "inf", 3)),
              "a non-finite number printed as a bare word in JSON");
    }
    CHECK(!in_str && depth == 0, "JSON ends inside a string or a bracket");
}

typedef size_t (*fmt_fn)(const cqt_stage_report *, char *, size_t);

static void check_formatter(const char *what, fmt_fn fn, const cqt_stage_report *rep, bool json)
{
    static char big[1 << 16];
    size_t need = fn(rep, big, sizeof big);
    CHECK(need < sizeof big, "%s output of %zu bytes", what, need);
    CHECK(strlen(big) == need, "%s returned %zu but wrote %zu", what, need, strlen(big));
    if (json)
        check_json(big, need);
    char small[17];
    for (size_t cap = 0; cap <= sizeof small; cap += 5) {
        memset(small, 'x', sizeof small);
        size_t again = fn(rep, cap ? small : NULL, cap);
        CHECK(again == need, "%s length differs with a %zu-byte buffer: %zu vs %zu", what, cap,
              again, need);
        if (cap)
            CHECK(memchr(small, '\0', cap) != NULL, "%s did not NUL-terminate in %zu bytes", what,
                  cap);
    }
}

int fuzz_stage_cli_init(void)
{
    return 0;
}

int fuzz_stage_cli_run(const uint8_t *data, size_t size)
{
    /* argv from the part before the report marker */
    size_t argbytes = size;
    for (size_t i = 0; i + 1 < size; i++)
        if (data[i] == 0xff && data[i + 1] == 0xff) {
            argbytes = i;
            break;
        }
    char *args = malloc(argbytes + 1);
    memcpy(args, data, argbytes);
    args[argbytes] = '\0';
    const char *argv[64];
    int argc = 0;
    argv[argc++] = "cqt-stage";
    for (size_t i = 0; i <= argbytes && argc < 63;) {
        argv[argc++] = args + i;
        i += strlen(args + i) + 1;
    }
    argv[argc] = NULL;

    cqt_stage_cli_options opts;
    char err[128];
    int rc = cqt_stage_cli_parse(argc, argv, &opts, err, sizeof err);
    CHECK(rc == CQT_STAGE_CLI_OK || rc == CQT_STAGE_CLI_HELP || rc == CQT_STAGE_CLI_USAGE ||
              rc == CQT_STAGE_CLI_VERSION,
          "parse returned %d", rc);
    if (rc == CQT_STAGE_CLI_USAGE)
        CHECK(err[0] != '\0', "usage error without a reason");
    if (rc == CQT_STAGE_CLI_OK) {
        CHECK(opts.n >= 1 && opts.n <= CQT_STAGE_MAX_AXES, "%zu axes", opts.n);
        CHECK(opts.timeout_ms >= 0 || opts.timeout_ms == CQT_FOREVER, "timeout %d", opts.timeout_ms);
        CHECK(isfinite(opts.time_scale) && opts.time_scale > 0, "time scale %f", opts.time_scale);
        for (size_t i = 0; i < opts.n; i++) {
            const cqt_stage_cli_axis *a = &opts.axes[i];
            CHECK(memchr(a->name, '\0', sizeof a->name) && a->name[0], "axis name");
            CHECK(isfinite(a->target), "target %f", a->target);
            CHECK(isfinite(a->speed) && a->speed > 0, "speed %f", a->speed);
            CHECK(isfinite(a->acceleration) && a->acceleration >= 0, "acceleration");
            for (size_t k = 0; k < i; k++)
                CHECK(strcmp(opts.axes[k].name, a->name) != 0, "axis %s given twice", a->name);
        }
    }
    (void)cqt_stage_cli_usage();

    /* A report of arbitrary bytes. */
    cqt_stage_report rep;
    memset(&rep, 0, sizeof rep);
    if (argbytes + 2 < size) {
        size_t n = size - argbytes - 2;
        memcpy(&rep, data + argbytes + 2, n < sizeof rep ? n : sizeof rep);
    }
    check_formatter("json", cqt_stage_cli_format_json, &rep, true);
    check_formatter("text", cqt_stage_cli_format_text, &rep, false);
    (void)cqt_stage_cli_exit_status(&rep);
    char line[256], name[sizeof rep.axes[0].name + 1];
    memcpy(name, rep.axes[0].name, sizeof rep.axes[0].name);
    name[sizeof rep.axes[0].name] = '\0';
    /* a terminal width from the report's bytes: 0 (no limit) to 255 */
    int columns = (int)(unsigned char)rep.message[0];
    size_t need = cqt_stage_cli_format_live(name, rep.axes[0].target, rep.axes[1].target,
                                            rep.axes[0].position, rep.axes[0].state, columns,
                                            line, sizeof line);
    CHECK(need < sizeof line ? strlen(line) == need : strlen(line) == sizeof line - 1,
          "live line length");
    CHECK(columns <= 0 || need < (size_t)columns, "a live line of %zu for %d columns", need, columns);
    for (size_t i = 0; i < need && i < sizeof line - 1; i++)
        CHECK((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f,
              "byte 0x%02x in a live line", (unsigned char)line[i]);
    free(args);
    return 0;
}
