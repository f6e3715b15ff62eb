/* SPDX-License-Identifier: MIT */
/* test-stage-cli.c — the cqt-stage tool's formatting and parsing
 * (app/cqt-stage-cli.h), on reports built by hand: what a run of the tool
 * cannot produce on demand (UTF-8 and control bytes in a message, a given
 * double, every terminal width). The tool itself: cqt-stage-tool-test.sh. */
#include <stdio.h>
#include <string.h>

#include "cqt-stage-cli.h"
#include "cqt-test.h"

static char json[1 << 16];

static const char *format_json(const cqt_stage_report *rep)
{
    size_t need = cqt_stage_cli_format_json(rep, json, sizeof json);
    ck_assert_uint_lt(need, sizeof json);
    return json;
}

static void one_axis(cqt_stage_report *rep, double target, double position)
{
    memset(rep, 0, sizeof *rep);
    rep->n = 1;
    rep->status = CQT_OK;
    strcpy(rep->axes[0].name, "x");
    rep->axes[0].target = target;
    rep->axes[0].position = position;
}

/* Numbers are the shortest of %.15g/%.16g/%.17g that reads back exactly:
 * 20.698073, not 20.698073000000001; 0.1, not 0.10000000000000001. */
START_TEST(test_stage_cli_json_numbers_shortest)
{
    cqt_stage_report rep;
    one_axis(&rep, 0.1, 20.698073);
    rep.start_ns = 1000000000;
    rep.end_ns = rep.start_ns + 20698073; /* elapsed_ms 20.698073 */
    const char *s = format_json(&rep);
    ck_assert_msg(strstr(s, "\"target\":0.1,") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "\"position\":20.698073,") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "\"elapsed_ms\":20.698073,") != NULL, "%s", s);

    /* 16 and 17 digits when 15 do not read back */
    one_axis(&rep, 0.1 + 0.2, 1.0 / 3.0);
    s = format_json(&rep);
    ck_assert_msg(strstr(s, "\"target\":0.30000000000000004,") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "\"position\":0.3333333333333333,") != NULL, "%s", s);

    /* a denormal is a number, not null */
    one_axis(&rep, 1e-320, -0.0);
    s = format_json(&rep);
    const char *t = strstr(s, "\"target\":");
    ck_assert_ptr_nonnull(t);
    double back = 0;
    ck_assert_int_eq(sscanf(t, "\"target\":%lf", &back), 1);
    ck_assert_msg(back == 1e-320, "%s", s);
}
END_TEST

/* UTF-8 passes through whole; control characters are escaped; bytes that
 * are not well-formed UTF-8 (a lone byte, a surrogate, a character cut by
 * the end of the field) become U+FFFD. */
START_TEST(test_stage_cli_json_utf8_passes_through)
{
    cqt_stage_report rep;
    one_axis(&rep, 1, 1);
    rep.status = CQT_EFAULT;
    snprintf(rep.message, sizeof rep.message, "d\xc3\xa9plac\xc3\xa9 3 \xc2\xb5m \xe2\x86\x92 ok \xf0\x9f\x99\x82");
    snprintf(rep.axes[0].detail, sizeof rep.axes[0].detail, "a\x01" "b\x1b[2Jc\n\"\\\xff|\xed\xa0\x80|\xc0\xaf|");
    /* a name that fills its field and ends in the first two bytes of a
     * three-byte character: no NUL, the character cut */
    memset(rep.axes[0].name, 'n', sizeof rep.axes[0].name);
    rep.axes[0].name[sizeof rep.axes[0].name - 2] = (char)0xe2;
    rep.axes[0].name[sizeof rep.axes[0].name - 1] = (char)0x86;
    const char *s = format_json(&rep);
    ck_assert_msg(strstr(s, "\"message\":\"d\xc3\xa9plac\xc3\xa9 3 \xc2\xb5m \xe2\x86\x92 ok \xf0\x9f\x99\x82\"") != NULL,
                  "%s", s);
    ck_assert_msg(strstr(s, "\"detail\":\"a\\u0001b\\u001b[2Jc\\n\\\"\\\\\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd|\"") !=
                      NULL,
                  "%s", s);
    ck_assert_msg(strstr(s, "nnnn\\ufffd\\ufffd\"") != NULL, "%s", s);
}
END_TEST

/* The text report's row names the axis: a detail naming it again (a link's
 * fault message) is shown without that prefix; the JSON keeps it whole. */
START_TEST(test_stage_cli_text_detail_without_axis_prefix)
{
    cqt_stage_report rep;
    one_axis(&rep, 100, 29.2);
    rep.status = CQT_EFAULT;
    rep.axes[0].outcome = CQT_STAGE_FAULTED;
    snprintf(rep.axes[0].detail, sizeof rep.axes[0].detail, "axis 'x': connection lost to tcp:127.0.0.1:9");
    char text[4096];
    cqt_stage_cli_format_text(&rep, text, sizeof text);
    ck_assert_msg(strstr(text, "  connection lost to tcp:127.0.0.1:9\n") && !strstr(text, "axis 'x'"), "%s", text);
    ck_assert_msg(strstr(format_json(&rep), "\"detail\":\"axis 'x': connection lost"), "%s", json);
    snprintf(rep.axes[0].detail, sizeof rep.axes[0].detail, "axis 'xy': other");
    cqt_stage_cli_format_text(&rep, text, sizeof text);
    ck_assert_msg(strstr(text, "axis 'xy': other"), "%s", text);
}
END_TEST

/* A live line fits the terminal: at most columns - 1 characters for every
 * width, printable ASCII only; a bar while there is room for one. */
START_TEST(test_stage_cli_live_fits_columns)
{
    char line[256];
    for (int cols = 1; cols <= 200; cols++) {
        size_t n = cqt_stage_cli_format_live("long_axis_name1", -1000, 1000, -999.5, CQT_AXIS_STOPPED, cols,
                                             line, sizeof line);
        ck_assert_msg(n < (size_t)cols, "%zu characters at %d columns: '%s'", n, cols, line);
        ck_assert_uint_eq(strlen(line), n);
        for (size_t i = 0; i < n; i++)
            ck_assert(line[i] >= 0x20 && line[i] < 0x7f);
    }
    size_t n = cqt_stage_cli_format_live("x", 0, 100, 50, CQT_AXIS_MOVING, 80, line, sizeof line);
    ck_assert_msg(strchr(line, '[') && n == 79 - strlen("stopped") + strlen("moving"), "%zu: '%s'", n, line);
    n = cqt_stage_cli_format_live("x\x1b[2J", 0, 100, 50, CQT_AXIS_MOVING, 0, line, sizeof line);
    ck_assert_msg(strchr(line, '\x1b') == NULL, "'%s'", line);
}
END_TEST

/* Parsing: strict numbers, getopt_long's cases, --version; each error is
 * one line that says what was wrong. */
START_TEST(test_stage_cli_parse_errors)
{
    static const struct {
        const char *args[6];
        int rc;
        const char *err;
    } cases[] = {
        {{"move", "x=0x10"}, CQT_STAGE_CLI_USAGE, "target of 'x': '0x10' is not a decimal number"},
        {{"move", "x= 1"}, CQT_STAGE_CLI_USAGE, "target of 'x': ' 1' is not a decimal number"},
        {{"move", "x=1e-320"}, CQT_STAGE_CLI_OK, ""},
        {{"move", "x=1", "--timeout", "99999999999999"}, CQT_STAGE_CLI_USAGE,
         "--timeout: '99999999999999' is out of range (max 2147483647)"},
        {{"move", "x=1", "--time-scale", "2junk"}, CQT_STAGE_CLI_USAGE,
         "--time-scale: '2junk' has 'junk' after the number"},
        {{"move", "x=1", "--bogus"}, CQT_STAGE_CLI_USAGE, "unknown option '--bogus'"},
        {{"move", "x=1", "--timeout"}, CQT_STAGE_CLI_USAGE, "option '--timeout' needs a value"},
        {{"move", "x=1", "--json=1"}, CQT_STAGE_CLI_USAGE, "option '--json' takes no value"},
        {{"move", "x=1", "--help=1"}, CQT_STAGE_CLI_USAGE, "option '--help' takes no value"},
        {{"move", "x=1", "--version"}, CQT_STAGE_CLI_VERSION, ""},
        {{"--json", "move", "x=1", "--seq"}, CQT_STAGE_CLI_OK, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[8] = {"cqt-stage"};
        int argc = 1;
        while (argc < 7 && cases[i].args[argc - 1])
            argv[argc] = cases[i].args[argc - 1], argc++;
        const char *before[8];
        memcpy(before, argv, sizeof before);
        cqt_stage_cli_options o;
        char err[256];
        int rc = cqt_stage_cli_parse(argc, argv, &o, err, sizeof err);
        ck_assert_msg(rc == cases[i].rc && strcmp(err, cases[i].err) == 0, "case %zu: %d '%s'", i, rc, err);
        ck_assert_msg(memcmp(before, argv, sizeof before) == 0, "case %zu: argv was reordered", i);
    }
}
END_TEST

CQT_TEST_SUITE(stage_cli_suite)
{
    Suite *s = suite_create("stage-cli");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_stage_cli_json_numbers_shortest);
    tcase_add_test(tc, test_stage_cli_json_utf8_passes_through);
    tcase_add_test(tc, test_stage_cli_live_fits_columns);
    tcase_add_test(tc, test_stage_cli_text_detail_without_axis_prefix);
    tcase_add_test(tc, test_stage_cli_parse_errors);
    suite_add_tcase(s, tc);
    return s;
}
