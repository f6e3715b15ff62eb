/* SPDX-License-Identifier: MIT */
/* axis-proto.c — the controller line protocol: reader, parsers,
 * formatters (docs/controller-protocol.md; interface in axis-proto.h).
 *
 * Every parse starts with the same gate (length, terminator, bytes), then
 * splits the line at single spaces into at most a fixed number of fields
 * without copying, so no input can make it read past @len or write past
 * a field's buffer; a field is copied only after its length was checked.
 */
#include "axis-proto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIELDS (3 + AXP_MAX_AXES + 1) /* HELLO CQTAXIS v axes..., +1 to see an extra */
#define MAX_NUMBER_CHARS 20               /* "-999999999.123456789" */

static const char *const error_names[] = {
    [AXP_E_NONE] = "none",       [AXP_E_PARTIAL] = "partial", [AXP_E_TOO_LONG] = "too-long",
    [AXP_E_NOT_ASCII] = "not-ascii", [AXP_E_EMPTY] = "empty", [AXP_E_KIND] = "unknown-kind",
    [AXP_E_FIELDS] = "fields",   [AXP_E_AXIS] = "axis",       [AXP_E_NUMBER] = "number",
    [AXP_E_STATE] = "state",     [AXP_E_MAGIC] = "magic",
};

const char *axp_error_name(axp_error e)
{
    if ((unsigned)e < sizeof error_names / sizeof error_names[0] && error_names[e])
        return error_names[e];
    return "unknown";
}

static const char *const fault_names[] = {
    [AXP_FAULT_STALL] = "STALL",     [AXP_FAULT_NODONE] = "NODONE", [AXP_FAULT_ERROR] = "ERROR",
    [AXP_FAULT_SLOW] = "SLOW",       [AXP_FAULT_GARBAGE] = "GARBAGE",
    [AXP_FAULT_CLOSE] = "CLOSE",     [AXP_FAULT_REFUSE] = "REFUSE", [AXP_FAULT_CLEAR] = "CLEAR",
};
#define NFAULTS (sizeof fault_names / sizeof fault_names[0])

const char *axp_fault_name(axp_fault f)
{
    return (unsigned)f < NFAULTS ? fault_names[f] : NULL;
}

axp_fault axp_fault_from_name(const char *name, size_t n)
{
    for (unsigned i = 1; name && i < NFAULTS; i++)
        if (strlen(fault_names[i]) == n && !strncasecmp(fault_names[i], name, n))
            return (axp_fault)i;
    return 0;
}

/* A field: a slice of the line, not NUL-terminated. */
typedef struct {
    const char *p;
    size_t n;
} field;

static bool field_is(field f, const char *s)
{
    return f.n == strlen(s) && !memcmp(f.p, s, f.n);
}

/* The common gate: terminator, length, bytes. On success *body_len is the
 * length without "\n" or "\r\n". */
static axp_error check_line(const char *line, size_t len, size_t *body_len)
{
    if (len > AXP_MAX_LINE)
        return AXP_E_TOO_LONG;
    if (!line || len == 0 || line[len - 1] != '\n')
        return AXP_E_PARTIAL;
    size_t n = len - 1;
    if (n > 0 && line[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c > 0x7e)
            return AXP_E_NOT_ASCII;
    }
    if (n == 0)
        return AXP_E_EMPTY;
    *body_len = n;
    return AXP_E_NONE;
}

/* Splits at single spaces into at most @max fields; the last field takes
 * the rest of the line when @rest is set (ERR's message). Returns the
 * number of fields, or -1 for an empty field (leading, trailing or double
 * space) or more than @max fields. */
static int split(const char *s, size_t n, field *out, int max, bool rest)
{
    int k = 0;
    size_t i = 0;
    while (i <= n) {
        if (k == max)
            return -1;
        if (rest && k == max - 1) {
            out[k].p = s + i;
            out[k].n = n - i;
            if (out[k].n == 0 || s[i] == ' ' || s[n - 1] == ' ')
                return -1;
            return k + 1;
        }
        size_t j = i;
        while (j < n && s[j] != ' ')
            j++;
        if (j == i)
            return -1;
        out[k].p = s + i;
        out[k].n = j - i;
        k++;
        i = j + 1;
    }
    return k;
}

static bool name_ok(field f, bool star_ok, char *dst)
{
    if (star_ok && field_is(f, "*")) {
        strcpy(dst, "*");
        return true;
    }
    if (f.n == 0 || f.n > AXP_MAX_NAME)
        return false;
    for (size_t i = 0; i < f.n; i++) {
        char c = f.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    memcpy(dst, f.p, f.n);
    dst[f.n] = '\0';
    return true;
}

/* -?[0-9]+(\.[0-9]+)?, at most MAX_NUMBER_CHARS, |x| <= AXP_MAX_POSITION.
 * Read by hand, not with strtod: QCoreApplication sets the locale from the
 * environment, and a decimal comma must not change the protocol. */
static bool position_ok(field f, double *out)
{
    if (f.n == 0 || f.n > MAX_NUMBER_CHARS)
        return false;
    bool neg = f.p[0] == '-';
    size_t i = neg ? 1 : 0;
    size_t digits = 0, frac = 0;
    long long ip = 0, fv = 0, scale = 1;
    bool dot = false;
    for (; i < f.n; i++) {
        char c = f.p[i];
        if (c >= '0' && c <= '9') {
            if (!dot) {
                digits++;
                ip = ip * 10 + (c - '0');
                if (ip > (long long)AXP_MAX_POSITION)
                    return false; /* no fraction brings it back in range */
            } else if (frac++ < 18) {
                fv = fv * 10 + (c - '0'); /* digits past the 18th cannot matter */
                scale *= 10;
            }
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            return false;
        }
    }
    if (digits == 0 || (dot && frac == 0))
        return false;
    double v = (double)ip + (double)fv / (double)scale;
    if (v > AXP_MAX_POSITION)
        return false;
    *out = neg ? -v : v;
    return true;
}

/* [0-9]{1,9}, >= @min. */
static bool int_ok(field f, long min, long *out)
{
    if (f.n == 0 || f.n > 9)
        return false;
    long v = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (f.p[i] < '0' || f.p[i] > '9')
            return false;
        v = v * 10 + (f.p[i] - '0');
    }
    if (v < min)
        return false;
    *out = v;
    return true;
}

static void copy_rest(field f, char *dst)
{
    memcpy(dst, f.p, f.n); /* f.n < AXP_MAX_LINE: the gate bounded the line */
    dst[f.n] = '\0';
}

axp_error axp_parse_reply(const char *line, size_t len, axp_reply *out)
{
    memset(out, 0, sizeof *out);
    size_t n;
    axp_error e = check_line(line, len, &n);
    if (e)
        return e;
    bool ev = line[0] == '!';
    const char *s = ev ? line + 1 : line;
    if (ev)
        n--;
    field f[MAX_FIELDS];
    /* The kind decides the split: ERR's message keeps its spaces. */
    size_t kn = 0;
    while (kn < n && s[kn] != ' ')
        kn++;
    field kind = {s, kn};
    if (kn == 0)
        return AXP_E_FIELDS; /* a leading space */
    long v;
    if (field_is(kind, "ERR")) {
        int k = split(s, n, f, 4, true);
        out->kind = ev ? AXP_EV_ERR : AXP_ERR;
        if (k != 4)
            return AXP_E_FIELDS;
        if (!name_ok(f[1], true, out->axis))
            return AXP_E_AXIS;
        if (!int_ok(f[2], 1, &v))
            return AXP_E_NUMBER;
        out->code = (int)v;
        copy_rest(f[3], out->message);
        return AXP_E_NONE;
    }
    int k = split(s, n, f, MAX_FIELDS, false);
    if (field_is(kind, "HELLO") && !ev) {
        out->kind = AXP_HELLO;
        if (k < 4 || k > 3 + AXP_MAX_AXES)
            return AXP_E_FIELDS;
        if (!field_is(f[1], AXP_MAGIC))
            return AXP_E_MAGIC;
        if (!int_ok(f[2], 1, &v))
            return AXP_E_NUMBER;
        out->version = (int)v;
        for (int i = 3; i < k; i++)
            if (!name_ok(f[i], false, out->axes[i - 3]))
                return AXP_E_AXIS;
        out->naxes = k - 3;
        return AXP_E_NONE;
    }
    if (field_is(kind, "OK") && !ev) {
        out->kind = AXP_OK;
        if (k != 2)
            return AXP_E_FIELDS;
        return name_ok(f[1], true, out->axis) ? AXP_E_NONE : AXP_E_AXIS;
    }
    if (field_is(kind, "STATUS") && !ev) {
        out->kind = AXP_STATUS;
        if (k != 5)
            return AXP_E_FIELDS;
        if (!name_ok(f[1], false, out->axis))
            return AXP_E_AXIS;
        if (field_is(f[2], "IDLE"))
            out->state = AXP_IDLE;
        else if (field_is(f[2], "MOVING"))
            out->state = AXP_MOVING;
        else if (field_is(f[2], "STALLED"))
            out->state = AXP_STALLED;
        else
            return AXP_E_STATE;
        if (!position_ok(f[3], &out->position) || !position_ok(f[4], &out->target))
            return AXP_E_NUMBER;
        return AXP_E_NONE;
    }
    if (field_is(kind, "POS"))
        out->kind = ev ? AXP_EV_POS : AXP_POS;
    else if (ev && field_is(kind, "DONE"))
        out->kind = AXP_EV_DONE;
    else if (ev && field_is(kind, "STOPPED"))
        out->kind = AXP_EV_STOPPED;
    else
        return AXP_E_KIND;
    if (k != 3)
        return AXP_E_FIELDS;
    if (!name_ok(f[1], false, out->axis))
        return AXP_E_AXIS;
    return position_ok(f[2], &out->position) ? AXP_E_NONE : AXP_E_NUMBER;
}

axp_error axp_parse_command(const char *line, size_t len, axp_command *out)
{
    memset(out, 0, sizeof *out);
    out->arg = -1;
    size_t n;
    axp_error e = check_line(line, len, &n);
    if (e)
        return e;
    field f[5];
    int k = split(line, n, f, 5, false);
    size_t kn = 0;
    while (kn < n && line[kn] != ' ')
        kn++;
    field verb = {line, kn};
    if (kn == 0)
        return AXP_E_FIELDS;
    long v;
    if (field_is(verb, "HELLO")) {
        out->verb = AXP_CMD_HELLO;
        if (k != 2)
            return AXP_E_FIELDS;
        if (!int_ok(f[1], 1, &v))
            return AXP_E_NUMBER;
        out->version = (int)v;
        return AXP_E_NONE;
    }
    if (field_is(verb, "MOVE")) {
        out->verb = AXP_CMD_MOVE;
        if (k != 3)
            return AXP_E_FIELDS;
        if (!name_ok(f[1], false, out->axis))
            return AXP_E_AXIS;
        return position_ok(f[2], &out->position) ? AXP_E_NONE : AXP_E_NUMBER;
    }
    if (field_is(verb, "STOP") || field_is(verb, "POS?") || field_is(verb, "STATUS?")) {
        out->verb = field_is(verb, "STOP") ? AXP_CMD_STOP
                    : field_is(verb, "POS?") ? AXP_CMD_POS
                                             : AXP_CMD_STATUS;
        if (k != 2)
            return AXP_E_FIELDS;
        return name_ok(f[1], out->verb == AXP_CMD_STOP, out->axis) ? AXP_E_NONE : AXP_E_AXIS;
    }
    if (field_is(verb, "FAULT")) {
        out->verb = AXP_CMD_FAULT;
        if (k != 3 && k != 4)
            return AXP_E_FIELDS;
        if (!name_ok(f[1], true, out->axis))
            return AXP_E_AXIS;
        out->fault = axp_fault_from_name(f[2].p, f[2].n);
        if (!out->fault)
            return AXP_E_KIND;
        if (k == 4) {
            if (!int_ok(f[3], 0, &v))
                return AXP_E_NUMBER;
            out->arg = v;
        }
        return AXP_E_NONE;
    }
    return AXP_E_KIND;
}

/* --- formatters --------------------------------------------------------- */

static bool name_valid(const char *axis, bool star_ok)
{
    if (!axis)
        return false;
    size_t n = strnlen(axis, AXP_MAX_NAME + 1);
    char tmp[AXP_MAX_NAME + 1];
    return n <= AXP_MAX_NAME && name_ok((field){axis, n}, star_ok, tmp);
}

static bool position_valid(double p)
{
    return isfinite(p) && fabs(p) <= AXP_MAX_POSITION;
}

/* A valid position with three decimals, without printf's locale-dependent
 * %f. @dst holds at least 24 bytes. */
static const char *pos_str(char *dst, size_t size, double p)
{
    long long m = llround(p * 1000.0);
    const char *sign = m < 0 ? "-" : "";
    if (m < 0)
        m = -m;
    snprintf(dst, size, "%s%lld.%03lld", sign, m / 1000, m % 1000);
    return dst;
}

/* Finishes a snprintf: -1 and "" when it failed or did not fit. */
static int finish(char *buf, size_t size, int n)
{
    if (n < 0 || (size_t)n >= size || n > AXP_MAX_LINE) {
        if (buf && size)
            buf[0] = '\0';
        return -1;
    }
    return n;
}

static int fail(char *buf, size_t size)
{
    return finish(buf, size, -1);
}

int axp_format_hello(char *buf, size_t size, int version)
{
    if (!buf || version < 1)
        return fail(buf, size);
    return finish(buf, size, snprintf(buf, size, "HELLO %d\n", version));
}

int axp_format_move(char *buf, size_t size, const char *axis, double position)
{
    if (!buf || !name_valid(axis, false) || !position_valid(position))
        return fail(buf, size);
    char p[24];
    return finish(buf, size, snprintf(buf, size, "MOVE %s %s\n", axis, pos_str(p, sizeof p, position)));
}

static int format_axis_cmd(char *buf, size_t size, const char *verb, const char *axis,
                           bool star_ok)
{
    if (!buf || !name_valid(axis, star_ok))
        return fail(buf, size);
    return finish(buf, size, snprintf(buf, size, "%s %s\n", verb, axis));
}

int axp_format_stop(char *buf, size_t size, const char *axis)
{
    return format_axis_cmd(buf, size, "STOP", axis, true);
}

int axp_format_pos_query(char *buf, size_t size, const char *axis)
{
    return format_axis_cmd(buf, size, "POS?", axis, false);
}

int axp_format_status_query(char *buf, size_t size, const char *axis)
{
    return format_axis_cmd(buf, size, "STATUS?", axis, false);
}

int axp_format_fault(char *buf, size_t size, const char *axis, axp_fault f, long arg)
{
    const char *name = axp_fault_name(f);
    if (!buf || !name || !name_valid(axis, true) || arg > AXP_MAX_INT)
        return fail(buf, size);
    if (arg < 0)
        return finish(buf, size, snprintf(buf, size, "FAULT %s %s\n", axis, name));
    return finish(buf, size, snprintf(buf, size, "FAULT %s %s %ld\n", axis, name, arg));
}

static bool message_valid(const char *m)
{
    size_t n = strnlen(m, AXP_MAX_LINE);
    if (n == 0 || n >= AXP_MAX_LINE || m[0] == ' ' || m[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)m[i] < 0x20 || (unsigned char)m[i] > 0x7e)
            return false;
    return true;
}

int axp_format_reply(char *buf, size_t size, const axp_reply *r)
{
    if (!buf || !r)
        return fail(buf, size);
    const char *bang = r->kind >= AXP_EV_POS ? "!" : "";
    switch (r->kind) {
    case AXP_HELLO: {
        if (r->version < 1 || r->naxes < 1 || r->naxes > AXP_MAX_AXES)
            return fail(buf, size);
        int n = snprintf(buf, size, "HELLO %s %d", AXP_MAGIC, r->version);
        for (int i = 0; i < r->naxes; i++) {
            if (n < 0 || (size_t)n >= size || !name_valid(r->axes[i], false))
                return fail(buf, size);
            n += snprintf(buf + n, size - (size_t)n, " %s", r->axes[i]);
        }
        if (n < 0 || (size_t)n >= size)
            return fail(buf, size);
        n += snprintf(buf + n, size - (size_t)n, "\n");
        return finish(buf, size, n);
    }
    case AXP_OK:
        if (!name_valid(r->axis, true))
            return fail(buf, size);
        return finish(buf, size, snprintf(buf, size, "OK %s\n", r->axis));
    case AXP_STATUS: {
        static const char *const states[] = {[AXP_IDLE] = "IDLE", [AXP_MOVING] = "MOVING",
                                             [AXP_STALLED] = "STALLED"};
        if (!name_valid(r->axis, false) || r->state < AXP_IDLE || r->state > AXP_STALLED ||
            !position_valid(r->position) || !position_valid(r->target))
            return fail(buf, size);
        char p[24], t[24];
        return finish(buf, size, snprintf(buf, size, "STATUS %s %s %s %s\n", r->axis,
                                          states[r->state], pos_str(p, sizeof p, r->position),
                                          pos_str(t, sizeof t, r->target)));
    }
    case AXP_ERR:
    case AXP_EV_ERR:
        if (!name_valid(r->axis, true) || r->code < 1 || r->code > AXP_MAX_INT ||
            !message_valid(r->message))
            return fail(buf, size);
        return finish(buf, size,
                      snprintf(buf, size, "%sERR %s %d %s\n", bang, r->axis, r->code, r->message));
    case AXP_POS:
    case AXP_EV_POS:
    case AXP_EV_DONE:
    case AXP_EV_STOPPED: {
        const char *word = r->kind == AXP_EV_DONE ? "DONE" : r->kind == AXP_EV_STOPPED ? "STOPPED" : "POS";
        if (!name_valid(r->axis, false) || !position_valid(r->position))
            return fail(buf, size);
        char p[24];
        return finish(buf, size, snprintf(buf, size, "%s%s %s %s\n", bang, word, r->axis,
                                          pos_str(p, sizeof p, r->position)));
    }
    }
    return fail(buf, size);
}

/* --- reader ------------------------------------------------------------- */

void axp_reader_init(axp_reader *r)
{
    memset(r, 0, sizeof *r);
}

void axp_reader_feed(axp_reader *r, const char *data, size_t n, axp_line_fn fn, void *user_data)
{
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (r->overflow) {
            /* Dropping an oversized line: nothing is kept until its end. */
            if (c == '\n') {
                r->overflow = false;
                fn(user_data, NULL, 0, AXP_E_TOO_LONG);
            }
            continue;
        }
        if (r->n == sizeof r->buf) {
            /* AXP_MAX_LINE bytes held and none was the '\n': the line
             * is too long whatever comes now. */
            r->n = 0;
            if (c == '\n') {
                fn(user_data, NULL, 0, AXP_E_TOO_LONG);
            } else {
                r->overflow = true;
            }
            continue;
        }
        r->buf[r->n++] = c;
        if (c == '\n') {
            size_t len = r->n;
            r->n = 0;
            fn(user_data, r->buf, len, AXP_E_NONE);
        }
    }
}
