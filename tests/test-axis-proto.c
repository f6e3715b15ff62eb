/* SPDX-License-Identifier: MIT */
/* test-axis-proto.c — the controller line protocol's parser, formatters
 * and line reader (capi/src/axis-proto.c): every reply kind parses, every
 * class of malformed input is named, formatted lines parse back. */
#include "cqt-test.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "axis-proto.h"

static axp_error parse(const char *s, axp_reply *r)
{
    return axp_parse_reply(s, strlen(s), r);
}

/* Each reply and notification kind parses into its fields. */
START_TEST(test_axis_proto_reply_kinds)
{
    axp_reply r;
    ck_assert_int_eq(parse("HELLO CQTAXIS 1 x y z\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_HELLO);
    ck_assert_int_eq(r.version, 1);
    ck_assert_int_eq(r.naxes, 3);
    ck_assert_str_eq(r.axes[0], "x");
    ck_assert_str_eq(r.axes[2], "z");

    ck_assert_int_eq(parse("OK x\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_OK);
    ck_assert_str_eq(r.axis, "x");
    ck_assert_int_eq(parse("OK *\r\n", &r), AXP_E_NONE);
    ck_assert_str_eq(r.axis, "*");

    ck_assert_int_eq(parse("POS axis_2 -12.500\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_POS);
    ck_assert_str_eq(r.axis, "axis_2");
    ck_assert(r.position == -12.5);

    ck_assert_int_eq(parse("STATUS y MOVING 3.250 10\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_STATUS);
    ck_assert_int_eq(r.state, AXP_MOVING);
    ck_assert(r.position == 3.25 && r.target == 10.0);
    ck_assert_int_eq(parse("STATUS y STALLED 0 1\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.state, AXP_STALLED);
    ck_assert_int_eq(parse("STATUS y IDLE 0 0\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.state, AXP_IDLE);

    ck_assert_int_eq(parse("ERR * 5 line too long\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_ERR);
    ck_assert_str_eq(r.axis, "*");
    ck_assert_int_eq(r.code, 5);
    ck_assert_str_eq(r.message, "line too long");

    ck_assert_int_eq(parse("!POS x 1.000\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_EV_POS);
    ck_assert_int_eq(parse("!DONE x 10.000\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_EV_DONE);
    ck_assert(r.position == 10.0);
    ck_assert_int_eq(parse("!STOPPED x 4.5\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_EV_STOPPED);
    ck_assert_int_eq(parse("!ERR x 7 axis stalled\n", &r), AXP_E_NONE);
    ck_assert_int_eq(r.kind, AXP_EV_ERR);
    ck_assert_int_eq(r.code, 7);
    ck_assert_str_eq(r.message, "axis stalled");
}
END_TEST

/* Each malformed class gets its own error, never a success. */
START_TEST(test_axis_proto_reply_malformed)
{
    axp_reply r;
    struct {
        const char *line;
        size_t len; /* 0: strlen */
        axp_error want;
    } cases[] = {
        {"OK x", 0, AXP_E_PARTIAL},
        {"", 0, AXP_E_PARTIAL},
        {"\n", 0, AXP_E_EMPTY},
        {"\r\n", 0, AXP_E_EMPTY},
        {"OK x\n\n", 0, AXP_E_NOT_ASCII}, /* a second line in one: '\n' inside */
        {"OK\tx\n", 0, AXP_E_NOT_ASCII},
        {"OK x\xc3\xa9\n", 0, AXP_E_NOT_ASCII},
        {"OK \0x\n", 6, AXP_E_NOT_ASCII},
        {"OK x\r\r\n", 0, AXP_E_NOT_ASCII},
        {"HI x\n", 0, AXP_E_KIND},
        {"ok x\n", 0, AXP_E_KIND},
        {"!OK x\n", 0, AXP_E_KIND},
        {"!HELLO CQTAXIS 1 x\n", 0, AXP_E_KIND},
        {"OK\n", 0, AXP_E_FIELDS},
        {"OK x y\n", 0, AXP_E_FIELDS},
        {"OK  x\n", 0, AXP_E_FIELDS},
        {"OK x \n", 0, AXP_E_FIELDS},
        {" OK x\n", 0, AXP_E_FIELDS},
        {"POS x\n", 0, AXP_E_FIELDS},
        {"STATUS x IDLE 1\n", 0, AXP_E_FIELDS},
        {"ERR x 3\n", 0, AXP_E_FIELDS},
        {"HELLO CQTAXIS 1\n", 0, AXP_E_FIELDS},
        {"HELLO CQTAXIS 1 a b c d e f g h i\n", 0, AXP_E_FIELDS},
        {"OK x.y\n", 0, AXP_E_AXIS},
        {"OK abcdefghijklmnopq\n", 0, AXP_E_AXIS},
        {"POS * 1\n", 0, AXP_E_AXIS},
        {"HELLO CQTAXIS 1 x *\n", 0, AXP_E_AXIS},
        {"POS x 1e3\n", 0, AXP_E_NUMBER},
        {"POS x nan\n", 0, AXP_E_NUMBER},
        {"POS x inf\n", 0, AXP_E_NUMBER},
        {"POS x 0x10\n", 0, AXP_E_NUMBER},
        {"POS x +1\n", 0, AXP_E_NUMBER},
        {"POS x 1.\n", 0, AXP_E_NUMBER},
        {"POS x .5\n", 0, AXP_E_NUMBER},
        {"POS x -\n", 0, AXP_E_NUMBER},
        {"POS x 1000000001\n", 0, AXP_E_NUMBER},
        {"POS x 12345678901234567890123\n", 0, AXP_E_NUMBER},
        {"ERR x 0 zero\n", 0, AXP_E_NUMBER},
        {"ERR x -3 negative\n", 0, AXP_E_NUMBER},
        {"ERR x 1234567890 long\n", 0, AXP_E_NUMBER},
        {"HELLO CQTAXIS 0 x\n", 0, AXP_E_NUMBER},
        {"STATUS x RUNNING 1 2\n", 0, AXP_E_STATE},
        {"HELLO OTHER 1 x\n", 0, AXP_E_MAGIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].line);
        axp_error e = axp_parse_reply(cases[i].line, len, &r);
        ck_assert_msg(e == cases[i].want, "case %zu '%s': got %s, want %s", i, cases[i].line,
                      axp_error_name(e), axp_error_name(cases[i].want));
    }
    /* Oversized: AXP_MAX_LINE bytes without the '\n' is one too many. */
    char big[AXP_MAX_LINE + 2];
    memset(big, 'a', sizeof big);
    memcpy(big, "ERR x 1 ", 8);
    big[AXP_MAX_LINE] = '\n';
    ck_assert_int_eq(axp_parse_reply(big, AXP_MAX_LINE + 1, &r), AXP_E_TOO_LONG);
    big[AXP_MAX_LINE - 1] = '\n';
    ck_assert_int_eq(axp_parse_reply(big, AXP_MAX_LINE, &r), AXP_E_NONE);
    ck_assert_int_eq((int)strlen(r.message), AXP_MAX_LINE - 9);
    ck_assert_int_eq(axp_parse_reply(NULL, 0, &r), AXP_E_PARTIAL);
    ck_assert_str_eq(axp_error_name((axp_error)999), "unknown");
}
END_TEST

/* Host commands parse, and malformed ones are named like replies. */
START_TEST(test_axis_proto_commands)
{
    axp_command c;
    ck_assert_int_eq(axp_parse_command("HELLO 1\n", 8, &c), AXP_E_NONE);
    ck_assert_int_eq(c.verb, AXP_CMD_HELLO);
    ck_assert_int_eq(c.version, 1);
    ck_assert_int_eq(axp_parse_command("MOVE x -2.5\n", 12, &c), AXP_E_NONE);
    ck_assert_int_eq(c.verb, AXP_CMD_MOVE);
    ck_assert(c.position == -2.5);
    ck_assert_int_eq(axp_parse_command("STOP *\n", 7, &c), AXP_E_NONE);
    ck_assert_int_eq(c.verb, AXP_CMD_STOP);
    ck_assert_int_eq(axp_parse_command("POS? x\n", 7, &c), AXP_E_NONE);
    ck_assert_int_eq(c.verb, AXP_CMD_POS);
    ck_assert_int_eq(axp_parse_command("STATUS? x\n", 10, &c), AXP_E_NONE);
    ck_assert_int_eq(c.verb, AXP_CMD_STATUS);
    ck_assert_int_eq(axp_parse_command("FAULT * SLOW 300\n", 17, &c), AXP_E_NONE);
    ck_assert_int_eq(c.fault, AXP_FAULT_SLOW);
    ck_assert_int_eq(c.arg, 300);
    ck_assert_int_eq(axp_parse_command("FAULT x stall\n", 14, &c), AXP_E_NONE);
    ck_assert_int_eq(c.fault, AXP_FAULT_STALL);
    ck_assert_int_eq(c.arg, -1);
    ck_assert_int_eq(axp_parse_command("FAULT x FLY\n", 12, &c), AXP_E_KIND);
    ck_assert_int_eq(axp_parse_command("POS? *\n", 7, &c), AXP_E_AXIS);
    ck_assert_int_eq(axp_parse_command("MOVE x\n", 7, &c), AXP_E_FIELDS);
    ck_assert_int_eq(axp_parse_command("MOVE x 1e9\n", 11, &c), AXP_E_NUMBER);
    ck_assert_int_eq(axp_parse_command("JUMP x\n", 7, &c), AXP_E_KIND);
    ck_assert_int_eq(axp_parse_command("MOVE x 1", 8, &c), AXP_E_PARTIAL);
}
END_TEST

/* What the formatters write parses back to the same values. */
START_TEST(test_axis_proto_format_roundtrip)
{
    char buf[AXP_MAX_LINE + 1];
    axp_command c;
    int n = axp_format_move(buf, sizeof buf, "x", -1234.5678);
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(buf, "MOVE x -1234.568\n");
    ck_assert_int_eq(axp_parse_command(buf, (size_t)n, &c), AXP_E_NONE);
    ck_assert(fabs(c.position + 1234.568) < 1e-9);
    ck_assert_int_eq(axp_format_move(buf, sizeof buf, "x", NAN), -1);
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(axp_format_move(buf, sizeof buf, "x", 2e9), -1);
    ck_assert_int_eq(axp_format_move(buf, sizeof buf, "bad name", 1), -1);
    ck_assert_int_eq(axp_format_move(buf, 5, "x", 1), -1);
    ck_assert_int_eq(axp_format_stop(buf, sizeof buf, "*"), 7);
    ck_assert_int_eq(axp_format_pos_query(buf, sizeof buf, "*"), -1);
    n = axp_format_fault(buf, sizeof buf, "*", AXP_FAULT_SLOW, 250);
    ck_assert_str_eq(buf, "FAULT * SLOW 250\n");
    ck_assert_int_eq(axp_parse_command(buf, (size_t)n, &c), AXP_E_NONE);
    ck_assert_int_eq(axp_format_hello(buf, sizeof buf, 1), 8);

    axp_reply r = {.kind = AXP_STATUS, .state = AXP_MOVING, .position = 1.5, .target = -3};
    strcpy(r.axis, "y");
    axp_reply back;
    n = axp_format_reply(buf, sizeof buf, &r);
    ck_assert_str_eq(buf, "STATUS y MOVING 1.500 -3.000\n");
    ck_assert_int_eq(axp_parse_reply(buf, (size_t)n, &back), AXP_E_NONE);
    ck_assert(back.state == AXP_MOVING && back.target == -3);
    axp_reply h = {.kind = AXP_HELLO, .version = 1, .naxes = 2};
    strcpy(h.axes[0], "x");
    strcpy(h.axes[1], "y");
    ck_assert_int_gt(axp_format_reply(buf, sizeof buf, &h), 0);
    ck_assert_str_eq(buf, "HELLO CQTAXIS 1 x y\n");
    axp_reply e = {.kind = AXP_EV_ERR, .code = 9};
    strcpy(e.axis, "*");
    strcpy(e.message, "bad\tbyte");
    ck_assert_int_eq(axp_format_reply(buf, sizeof buf, &e), -1);
    strcpy(e.message, "injected fault");
    ck_assert_int_gt(axp_format_reply(buf, sizeof buf, &e), 0);
    ck_assert_str_eq(buf, "!ERR * 9 injected fault\n");
}
END_TEST

typedef struct {
    int lines, too_long;
    char last[AXP_MAX_LINE + 1];
} line_log;

static void on_line(void *user_data, const char *line, size_t len, axp_error e)
{
    line_log *l = user_data;
    if (e == AXP_E_TOO_LONG) {
        l->too_long++;
        return;
    }
    l->lines++;
    memcpy(l->last, line, len);
    l->last[len] = '\0';
}

/* The reader splits lines across feeds and drops an oversized line whole,
 * reporting it once, then reads the next line normally. */
START_TEST(test_axis_proto_reader)
{
    axp_reader rd;
    axp_reader_init(&rd);
    line_log l = {0};
    axp_reader_feed(&rd, "OK", 2, on_line, &l);
    ck_assert_int_eq(l.lines, 0);
    axp_reader_feed(&rd, " x\nPOS x 1\nPO", 13, on_line, &l);
    ck_assert_int_eq(l.lines, 2);
    ck_assert_str_eq(l.last, "POS x 1\n");
    char big[3 * AXP_MAX_LINE];
    memset(big, 'z', sizeof big);
    axp_reader_feed(&rd, big, sizeof big, on_line, &l);
    axp_reader_feed(&rd, big, sizeof big, on_line, &l);
    ck_assert_int_eq(l.too_long, 0);
    axp_reader_feed(&rd, "\nOK y\n", 6, on_line, &l);
    ck_assert_int_eq(l.too_long, 1);
    ck_assert_int_eq(l.lines, 3);
    ck_assert_str_eq(l.last, "OK y\n");
    /* Exactly AXP_MAX_LINE bytes with the '\n' is still a line. */
    memset(big, 'q', AXP_MAX_LINE - 1);
    big[AXP_MAX_LINE - 1] = '\n';
    axp_reader_feed(&rd, big, AXP_MAX_LINE, on_line, &l);
    ck_assert_int_eq(l.lines, 4);
    ck_assert_int_eq(l.too_long, 1);
}
END_TEST

CQT_TEST_SUITE(axis_proto_suite)
{
    Suite *s = suite_create("axis-proto");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_axis_proto_reply_kinds);
    tcase_add_test(tc, test_axis_proto_reply_malformed);
    tcase_add_test(tc, test_axis_proto_commands);
    tcase_add_test(tc, test_axis_proto_format_roundtrip);
    tcase_add_test(tc, test_axis_proto_reader);
    suite_add_tcase(s, tc);
    return s;
}
