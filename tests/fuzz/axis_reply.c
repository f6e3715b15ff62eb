/* SPDX-License-Identifier: MIT */
/* axis_reply.c — libFuzzer target for the controller protocol's parser
 * (capi/src/axis-proto.c): what a controller sends the host is untrusted
 * bytes off a wire.
 *
 * The input is parsed whole as one reply line and as one command line,
 * then fed to the line reader in chunks (sizes taken from the input's
 * first byte) whose every line is parsed again.
 *
 * Invariants: every parse returns a known axp_error; a line that parses
 * is at most AXP_MAX_LINE bytes, ends with '\n' and holds only printable
 * ASCII before it; its strings are NUL-terminated within their buffers;
 * its numbers are in the documented ranges; formatting the parsed reply
 * gives a line that parses to the same kind, axis, state, code, message
 * and axes, and formatting that again gives the same bytes; the reader
 * never hands out a line over AXP_MAX_LINE bytes or one without its '\n',
 * and accounts for every '\n' it was fed exactly once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axis-proto.h"
#include "fuzz-common.h"

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "axis_reply: invariant broken at line %d: ", __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fprintf(stderr, "\n");                                                             \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

int fuzz_axis_reply_init(void)
{
    return 0;
}

static void check_gate(const char *line, size_t len)
{
    CHECK(len >= 2 && len <= AXP_MAX_LINE && line[len - 1] == '\n', "parsed a line of %zu bytes",
          len);
    size_t body = len - 1;
    if (line[body - 1] == '\r')
        body--;
    for (size_t i = 0; i < body; i++)
        CHECK(line[i] >= 0x20 && line[i] <= 0x7e, "parsed a line with byte 0x%02x",
              (unsigned char)line[i]);
}

static void check_name(const char *s, bool star_ok)
{
    size_t n = strnlen(s, AXP_MAX_NAME + 1);
    CHECK(n >= 1 && n <= AXP_MAX_NAME, "axis name of %zu bytes", n);
    CHECK(star_ok || strcmp(s, "*") != 0, "'*' where an axis is needed");
}

static void check_reply(const char *line, size_t len)
{
    axp_reply r;
    axp_error e = axp_parse_reply(line, len, &r);
    CHECK(e >= AXP_E_NONE && e <= AXP_E_MAGIC, "unknown error %d", (int)e);
    CHECK(strcmp(axp_error_name(e), "unknown") != 0, "error %d has no name", (int)e);
    if (e != AXP_E_NONE)
        return;
    check_gate(line, len);
    CHECK(r.kind >= AXP_HELLO && r.kind <= AXP_EV_ERR, "kind %d", (int)r.kind);
    CHECK(isfinite(r.position) && fabs(r.position) <= AXP_MAX_POSITION, "position");
    CHECK(isfinite(r.target) && fabs(r.target) <= AXP_MAX_POSITION, "target");
    if (r.kind == AXP_HELLO) {
        CHECK(r.version >= 1 && r.naxes >= 1 && r.naxes <= AXP_MAX_AXES, "hello fields");
        for (int i = 0; i < r.naxes; i++)
            check_name(r.axes[i], false);
    } else {
        check_name(r.axis, r.kind == AXP_OK || r.kind == AXP_ERR || r.kind == AXP_EV_ERR);
    }
    if (r.kind == AXP_ERR || r.kind == AXP_EV_ERR) {
        CHECK(r.code >= 1 && r.code <= AXP_MAX_INT, "code %d", r.code);
        size_t m = strnlen(r.message, sizeof r.message);
        CHECK(m >= 1 && m < sizeof r.message, "message of %zu bytes", m);
    }
    if (r.kind == AXP_STATUS)
        CHECK(r.state >= AXP_IDLE && r.state <= AXP_STALLED, "state %d", (int)r.state);

    /* Round trip: what the simulator would write for it parses back. */
    char again[AXP_MAX_LINE + 1], third[AXP_MAX_LINE + 1];
    int n = axp_format_reply(again, sizeof again, &r);
    CHECK(n > 0, "a parsed reply does not format: %.*s", (int)len, line);
    axp_reply back;
    axp_error e2 = axp_parse_reply(again, (size_t)n, &back);
    CHECK(e2 == AXP_E_NONE, "formatted reply does not parse (%s): %s", axp_error_name(e2), again);
    CHECK(back.kind == r.kind && back.state == r.state && back.code == r.code &&
              back.version == r.version && back.naxes == r.naxes && !strcmp(back.axis, r.axis) &&
              !strcmp(back.message, r.message),
          "round trip changed the reply: %s", again);
    for (int i = 0; i < r.naxes; i++)
        CHECK(!strcmp(back.axes[i], r.axes[i]), "round trip changed axis %d", i);
    CHECK(fabs(back.position - r.position) <= 0.0005 + 1e-9 * fabs(r.position), "position moved");
    int n3 = axp_format_reply(third, sizeof third, &back);
    CHECK(n3 == n && !memcmp(third, again, (size_t)n), "formatting is not stable: %s / %s", again,
          third);
}

static void check_command(const char *line, size_t len)
{
    axp_command c;
    axp_error e = axp_parse_command(line, len, &c);
    CHECK(e >= AXP_E_NONE && e <= AXP_E_MAGIC, "unknown error %d", (int)e);
    if (e != AXP_E_NONE)
        return;
    check_gate(line, len);
    CHECK(c.verb >= AXP_CMD_HELLO && c.verb <= AXP_CMD_FAULT, "verb %d", (int)c.verb);
    if (c.verb != AXP_CMD_HELLO)
        check_name(c.axis, c.verb == AXP_CMD_STOP || c.verb == AXP_CMD_FAULT);
    CHECK(isfinite(c.position) && fabs(c.position) <= AXP_MAX_POSITION, "position");
    if (c.verb == AXP_CMD_FAULT) {
        CHECK(axp_fault_name(c.fault) != NULL, "fault %d", (int)c.fault);
        CHECK(c.arg >= -1 && c.arg <= AXP_MAX_INT, "arg %ld", c.arg);
        char buf[AXP_MAX_LINE + 1];
        int n = axp_format_fault(buf, sizeof buf, c.axis, c.fault, c.arg);
        axp_command back;
        CHECK(n > 0 && axp_parse_command(buf, (size_t)n, &back) == AXP_E_NONE &&
                  back.fault == c.fault && back.arg == c.arg,
              "FAULT round trip: %s", buf);
    }
}

/* The reader is checked against a reference: the input cut at each '\n'.
 * Each piece must come out as exactly that line, or as one too-long
 * report when it is over AXP_MAX_LINE bytes. */
typedef struct {
    size_t lines, too_long;
    const char *in;
    size_t size, next; /* where the next expected line starts */
} reader_log;

static void on_line(void *user_data, const char *line, size_t len, axp_error e)
{
    reader_log *l = user_data;
    const char *nl = memchr(l->in + l->next, '\n', l->size - l->next);
    CHECK(nl != NULL, "the reader reported a line the input does not end");
    size_t want = (size_t)(nl - (l->in + l->next)) + 1;
    size_t start = l->next;
    l->next += want;
    if (e == AXP_E_TOO_LONG) {
        CHECK(line == NULL && len == 0, "too-long line with bytes");
        CHECK(want > AXP_MAX_LINE, "a line of %zu bytes reported too long", want);
        l->too_long++;
        return;
    }
    CHECK(want <= AXP_MAX_LINE, "a line of %zu bytes handed out, not reported too long", want);
    CHECK(len == want && !memcmp(line, l->in + start, len), "the reader changed a line");
    CHECK(e == AXP_E_NONE && line && len >= 1 && len <= AXP_MAX_LINE && line[len - 1] == '\n' &&
              !memchr(line, '\n', len - 1),
          "reader handed out a bad line of %zu bytes", len);
    l->lines++;
    /* The copy is exact, so a parser reading past len trips ASan. */
    char *copy = malloc(len);
    memcpy(copy, line, len);
    check_reply(copy, len);
    check_command(copy, len);
    free(copy);
}

int fuzz_axis_reply_run(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check_reply(s, size);
    check_command(s, size);

    axp_reader rd;
    axp_reader_init(&rd);
    reader_log l = {0, 0, s, size, 0};
    size_t chunk = size ? (size_t)data[0] % 37 + 1 : 1;
    for (size_t off = 0; off < size; off += chunk) {
        size_t n = size - off < chunk ? size - off : chunk;
        axp_reader_feed(&rd, s + off, n, on_line, &l);
    }
    size_t newlines = 0;
    for (size_t i = 0; i < size; i++)
        newlines += data[i] == '\n';
    CHECK(l.lines + l.too_long == newlines, "%zu lines and %zu too long for %zu newlines", l.lines,
          l.too_long, newlines);
    CHECK(rd.n <= AXP_MAX_LINE, "reader holds %zu bytes", rd.n);
    return 0;
}
