/* SPDX-License-Identifier: MIT */
/* cqt-stage-cli.c — see cqt-stage-cli.h. */
#include "cqt-stage-cli.h"

#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: cqt-stage move NAME=TARGET... [options]\n"
    "\n"
    "Moves simulated axes (one per NAME) to their targets and reports.\n"
    "\n"
    "options:\n"
    "  --parallel            start every axis at once (default)\n"
    "  --sequential          move one axis after the other\n"
    "  --timeout MS          overall limit in milliseconds (default 10000)\n"
    "  --speed NAME=V,...    speed in units/s (default 100)\n"
    "  --accel NAME=A,...    acceleration in units/s^2 (default 0: instant)\n"
    "  --stall NAME,...      inject a stall: the axis stops half way\n"
    "  --drop NAME,...       inject a lost 'reached' signal\n"
    "  --fault NAME,...      inject a drive error half way\n"
    "  --time-scale K        run simulated time K times faster (default 1)\n"
    "  --json                print the report as JSON\n"
    "  --live / --no-live    force / suppress the live lines (default: on a terminal)\n"
    "  --progress            print 'progress: NAME=POS...' on stderr every 50 ms while moving\n"
    "  -h, --help            show this help\n"
    "\n"
    "Soft limits are [-1000, 1000]. Exit status: 0 when every axis arrived,\n"
    "1 when one did not, 2 for bad arguments, 3 when the runtime failed.\n"
    "\n"
    "SIGINT (Ctrl+C) or SIGTERM during a move stops every axis where it is and\n"
    "prints the partial report, which ends 'interrupted: SIGINT' (JSON: member\n"
    "\"interrupted\": \"SIGINT\", null when not interrupted); the exit status is\n"
    "then 128 + the signal: 130 for SIGINT, 143 for SIGTERM. A second SIGINT or\n"
    "SIGTERM while the axes stop exits at once with that same status, without\n"
    "the report.\n";

const char *cqt_stage_cli_usage(void)
{
    return usage_text;
}

/* ---- parsing ------------------------------------------------------------ */

static int fail(char *err, size_t err_len, const char *fmt, ...) CQT_PRINTF(3, 4);
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return CQT_STAGE_CLI_USAGE;
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0 || n >= CQT_STAGE_CLI_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        bool digit = c >= '0' && c <= '9';
        if (!(alpha || (digit && i > 0)))
            return false;
    }
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(d))
        return false;
    *out = d;
    return true;
}

static bool parse_ms(const char *s, int *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < 0 || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

static cqt_stage_cli_axis *find_axis(cqt_stage_cli_options *o, const char *name, size_t n)
{
    for (size_t i = 0; i < o->n; i++)
        if (strlen(o->axes[i].name) == n && memcmp(o->axes[i].name, name, n) == 0)
            return &o->axes[i];
    return NULL;
}

/* Per-axis options name axes given anywhere on the line: kept until the
 * targets are known. */
typedef struct pending_opt {
    const char *opt;
    const char *value;
} pending_opt;

/* "x=50,y=20" (with_value) or "x,y". */
static int apply_list(cqt_stage_cli_options *o, const pending_opt *p, char *err, size_t err_len)
{
    bool with_value = strcmp(p->opt, "--speed") == 0 || strcmp(p->opt, "--accel") == 0;
    const char *s = p->value;
    if (!*s)
        return fail(err, err_len, "%s needs a list", p->opt);
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        size_t name_len = eq ? (size_t)(eq - s) : len;
        if (name_len >= CQT_STAGE_CLI_NAME_MAX || !valid_name(s, name_len))
            return fail(err, err_len, "%s: bad axis name in '%.*s'", p->opt, (int)(len > 64 ? 64 : len), s);
        cqt_stage_cli_axis *ax = find_axis(o, s, name_len);
        if (!ax)
            return fail(err, err_len, "%s: no target was given for axis '%.*s'", p->opt, (int)name_len, s);
        if (with_value) {
            char num[64];
            size_t vlen = eq ? len - name_len - 1 : 0;
            if (!eq || vlen == 0 || vlen >= sizeof num)
                return fail(err, err_len, "%s: expected NAME=VALUE, got '%.*s'", p->opt,
                            (int)(len > 64 ? 64 : len), s);
            memcpy(num, eq + 1, vlen);
            num[vlen] = '\0';
            double d;
            if (!parse_double(num, &d))
                return fail(err, err_len, "%s: '%s' is not a number", p->opt, num);
            if (strcmp(p->opt, "--speed") == 0) {
                if (!(d > 0))
                    return fail(err, err_len, "--speed: %s must be > 0", ax->name);
                ax->speed = d;
            } else {
                if (!(d >= 0))
                    return fail(err, err_len, "--accel: %s must be >= 0", ax->name);
                ax->acceleration = d;
            }
        } else {
            if (eq)
                return fail(err, err_len, "%s takes axis names, not '%.*s'", p->opt,
                            (int)(len > 64 ? 64 : len), s);
            ax->fault = strcmp(p->opt, "--stall") == 0  ? CQT_AXIS_FAULT_STALL
                        : strcmp(p->opt, "--drop") == 0 ? CQT_AXIS_FAULT_DROP_SIGNAL
                                                        : CQT_AXIS_FAULT_ERROR;
        }
        if (!end)
            break;
        s = end + 1;
        if (!*s)
            return fail(err, err_len, "%s: trailing comma", p->opt);
    }
    return CQT_STAGE_CLI_OK;
}

int cqt_stage_cli_parse(int argc, const char *const *argv, cqt_stage_cli_options *opts, char *err,
                        size_t err_len)
{
    if (err && err_len > 0)
        err[0] = '\0';
    if (!opts)
        return fail(err, err_len, "internal: no options");
    memset(opts, 0, sizeof *opts);
    opts->mode = CQT_STAGE_PARALLEL;
    opts->timeout_ms = CQT_STAGE_CLI_TIMEOUT_MS;
    opts->time_scale = 1.0;
    if (argc < 2 || !argv)
        return fail(err, err_len, "missing command (try 'move')");
    for (int i = 1; i < argc; i++)
        if (!argv[i])
            return fail(err, err_len, "argument %d is NULL", i);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return CQT_STAGE_CLI_HELP;
    if (strcmp(argv[1], "move") != 0)
        return fail(err, err_len, "unknown command '%.64s' (try 'move')", argv[1]);

    pending_opt lists[64];
    size_t n_lists = 0;
    bool mode_set = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-') {
            /* --opt VALUE or --opt=VALUE */
            char opt[32];
            const char *eq = strchr(a, '=');
            size_t olen = eq ? (size_t)(eq - a) : strlen(a);
            if (olen >= sizeof opt)
                return fail(err, err_len, "unknown option '%.64s'", a);
            memcpy(opt, a, olen);
            opt[olen] = '\0';
            bool flag = true;
            if (strcmp(opt, "--parallel") == 0 || strcmp(opt, "--sequential") == 0) {
                cqt_stage_mode m = opt[2] == 'p' ? CQT_STAGE_PARALLEL : CQT_STAGE_SEQUENTIAL;
                if (mode_set && m != opts->mode)
                    return fail(err, err_len, "--parallel and --sequential exclude each other");
                opts->mode = m;
                mode_set = true;
            } else if (strcmp(opt, "--json") == 0) {
                opts->json = true;
            } else if (strcmp(opt, "--live") == 0) {
                opts->live = CQT_STAGE_CLI_LIVE_ON;
            } else if (strcmp(opt, "--no-live") == 0) {
                opts->live = CQT_STAGE_CLI_LIVE_OFF;
            } else if (strcmp(opt, "--progress") == 0) {
                opts->progress = true;
            } else {
                flag = false;
            }
            if (flag) {
                if (eq)
                    return fail(err, err_len, "%s takes no value", opt);
                continue;
            }
            const char *value = eq ? eq + 1 : NULL;
            if (!value) {
                if (i + 1 >= argc)
                    return fail(err, err_len, "%s needs a value", opt);
                value = argv[++i];
            }
            if (strcmp(opt, "--timeout") == 0) {
                if (!parse_ms(value, &opts->timeout_ms))
                    return fail(err, err_len, "--timeout: '%.64s' is not a number of milliseconds >= 0",
                                value);
            } else if (strcmp(opt, "--time-scale") == 0) {
                if (!parse_double(value, &opts->time_scale) || !(opts->time_scale > 0))
                    return fail(err, err_len, "--time-scale: '%.64s' is not a number > 0", value);
            } else if (strcmp(opt, "--speed") == 0 || strcmp(opt, "--accel") == 0 ||
                       strcmp(opt, "--stall") == 0 || strcmp(opt, "--drop") == 0 ||
                       strcmp(opt, "--fault") == 0) {
                if (n_lists == sizeof lists / sizeof lists[0])
                    return fail(err, err_len, "too many per-axis options");
                lists[n_lists].value = value;
                lists[n_lists].opt = strcmp(opt, "--speed") == 0   ? "--speed"
                                     : strcmp(opt, "--accel") == 0 ? "--accel"
                                     : strcmp(opt, "--stall") == 0 ? "--stall"
                                     : strcmp(opt, "--drop") == 0  ? "--drop"
                                                                   : "--fault";
                n_lists++;
            } else {
                return fail(err, err_len, "unknown option '%s'", opt);
            }
            continue;
        }
        if (a[0] == '-' && !(a[1] >= '0' && a[1] <= '9'))
            return fail(err, err_len, "unknown option '%.64s'", a);
        /* NAME=TARGET */
        const char *eq = strchr(a, '=');
        if (!eq)
            return fail(err, err_len, "expected NAME=TARGET, got '%.64s'", a);
        size_t name_len = (size_t)(eq - a);
        if (!valid_name(a, name_len))
            return fail(err, err_len, "bad axis name '%.*s' (letters, digits, '_'; at most %d)",
                        (int)(name_len > 64 ? 64 : name_len), a, CQT_STAGE_CLI_NAME_MAX - 1);
        if (find_axis(opts, a, name_len))
            return fail(err, err_len, "axis '%.*s' is given twice", (int)name_len, a);
        if (opts->n == CQT_STAGE_MAX_AXES)
            return fail(err, err_len, "at most %d axes", CQT_STAGE_MAX_AXES);
        double target;
        if (!parse_double(eq + 1, &target))
            return fail(err, err_len, "target of '%.*s': '%.64s' is not a finite number", (int)name_len, a,
                        eq + 1);
        cqt_stage_cli_axis *ax = &opts->axes[opts->n++];
        memcpy(ax->name, a, name_len);
        ax->name[name_len] = '\0';
        ax->target = target;
        ax->speed = CQT_STAGE_CLI_SPEED;
        ax->acceleration = 0;
        ax->fault = CQT_AXIS_FAULT_NONE;
    }
    if (opts->n == 0)
        return fail(err, err_len, "move: give at least one NAME=TARGET");
    for (size_t k = 0; k < n_lists; k++) {
        int rc = apply_list(opts, &lists[k], err, err_len);
        if (rc != CQT_STAGE_CLI_OK)
            return rc;
    }
    return CQT_STAGE_CLI_OK;
}

/* ---- formatting --------------------------------------------------------- */

typedef struct out_buf {
    char *p;
    size_t len;  /* capacity */
    size_t need; /* bytes the whole text needs */
} out_buf;

static void out_printf(out_buf *o, const char *fmt, ...) CQT_PRINTF(2, 3);
static void out_printf(out_buf *o, const char *fmt, ...)
{
    char *dst = NULL;
    size_t room = 0;
    if (o->need < o->len) {
        dst = o->p + o->need;
        room = o->len - o->need;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->need += (size_t)n;
}

static void out_start(out_buf *o, char *buf, size_t len)
{
    o->p = buf;
    o->len = buf ? len : 0;
    o->need = 0;
    if (o->len > 0)
        buf[0] = '\0';
}

/* A fixed-size field that may lack its NUL. */
static size_t field_len(const char *s, size_t cap)
{
    return strnlen(s, cap);
}

static void json_string(out_buf *o, const char *s, size_t cap)
{
    size_t n = field_len(s, cap);
    out_printf(o, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            out_printf(o, "\\%c", c);
        else if (c == '\n')
            out_printf(o, "\\n");
        else if (c == '\t')
            out_printf(o, "\\t");
        else if (c < 0x20 || c >= 0x7f)
            out_printf(o, "\\u%04x", c); /* bytes, not UTF-8 decoding: always valid JSON */
        else
            out_printf(o, "%c", c);
    }
    out_printf(o, "\"");
}

static void json_number(out_buf *o, double d)
{
    if (isfinite(d))
        out_printf(o, "%.17g", d);
    else
        out_printf(o, "null");
}

static double rel_ms(int64_t t, int64_t base)
{
    /* In doubles: a report filled with arbitrary bytes must not overflow
     * (found by the stage_cli fuzzer). */
    return ((double)t - (double)base) / 1e6;
}

static size_t report_n(const cqt_stage_report *rep)
{
    return rep->n > CQT_STAGE_MAX_AXES ? CQT_STAGE_MAX_AXES : rep->n;
}

/* The name of a signal that interrupted a move: the two the tool watches,
 * a number for any other. */
static void signal_name(out_buf *o, int signo)
{
    if (signo == SIGINT)
        out_printf(o, "SIGINT");
    else if (signo == SIGTERM)
        out_printf(o, "SIGTERM");
    else
        out_printf(o, "signal %d", signo);
}

size_t cqt_stage_cli_format_json(const cqt_stage_report *rep, char *buf, size_t len)
{
    return cqt_stage_cli_format_json_interrupted(rep, 0, buf, len);
}

size_t cqt_stage_cli_format_json_interrupted(const cqt_stage_report *rep, int signo, char *buf,
                                             size_t len)
{
    out_buf o;
    out_start(&o, buf, len);
    if (!rep) {
        out_printf(&o, "null\n");
        return o.need;
    }
    out_printf(&o, "{\"status\":\"%s\",\"code\":%d,\"ok\":%s,\"mode\":\"%s\",\"timeout_ms\":%d,",
               cqt_status_name(rep->status), rep->status, rep->status == CQT_OK ? "true" : "false",
               cqt_stage_mode_name(rep->mode), rep->timeout_ms);
    out_printf(&o, "\"start_ns\":%lld,\"end_ns\":%lld,\"elapsed_ms\":", (long long)rep->start_ns,
               (long long)rep->end_ns);
    json_number(&o, rel_ms(rep->end_ns, rep->start_ns));
    out_printf(&o, ",\"message\":");
    json_string(&o, rep->message, sizeof rep->message);
    out_printf(&o, ",\"interrupted\":");
    if (signo) {
        out_printf(&o, "\"");
        signal_name(&o, signo);
        out_printf(&o, "\"");
    } else {
        out_printf(&o, "null");
    }
    out_printf(&o, ",\"axes\":[");
    for (size_t i = 0; i < report_n(rep); i++) {
        const cqt_stage_axis_report *a = &rep->axes[i];
        out_printf(&o, "%s{\"name\":", i ? "," : "");
        json_string(&o, a->name, sizeof a->name);
        out_printf(&o, ",\"outcome\":\"%s\",\"status\":\"%s\",\"target\":", cqt_stage_outcome_name(a->outcome),
                   cqt_status_name(a->status));
        json_number(&o, a->target);
        out_printf(&o, ",\"position\":");
        json_number(&o, a->position);
        out_printf(&o, ",\"state\":\"%s\",\"timeout_ms\":%d,\"start_ns\":%lld,\"arrival_ns\":%lld",
                   cqt_axis_state_name(a->state), a->timeout_ms, (long long)a->start_ns,
                   (long long)a->arrival_ns);
        out_printf(&o, ",\"start_ms\":");
        if (a->start_ns)
            json_number(&o, rel_ms(a->start_ns, rep->start_ns));
        else
            out_printf(&o, "null");
        out_printf(&o, ",\"arrival_ms\":");
        if (a->arrival_ns)
            json_number(&o, rel_ms(a->arrival_ns, rep->start_ns));
        else
            out_printf(&o, "null");
        out_printf(&o, ",\"detail\":");
        json_string(&o, a->detail, sizeof a->detail);
        out_printf(&o, "}");
    }
    out_printf(&o, "]}\n");
    return o.need;
}

size_t cqt_stage_cli_format_text(const cqt_stage_report *rep, char *buf, size_t len)
{
    return cqt_stage_cli_format_text_interrupted(rep, 0, buf, len);
}

size_t cqt_stage_cli_format_text_interrupted(const cqt_stage_report *rep, int signo, char *buf,
                                             size_t len)
{
    out_buf o;
    out_start(&o, buf, len);
    if (!rep)
        return o.need;
    size_t n = report_n(rep), reached = 0;
    for (size_t i = 0; i < n; i++)
        reached += rep->axes[i].outcome == CQT_STAGE_REACHED;
    out_printf(&o, "%s move: %s (%zu of %zu axes arrived) in %.3f s\n", cqt_stage_mode_name(rep->mode),
               cqt_status_name(rep->status), reached, n, rel_ms(rep->end_ns, rep->start_ns) / 1000.0);
    out_printf(&o, "  %-15s %-12s %12s %12s %10s %10s  %s\n", "axis", "outcome", "target", "position",
               "start", "arrival", "detail");
    for (size_t i = 0; i < n; i++) {
        const cqt_stage_axis_report *a = &rep->axes[i];
        char start[32] = "-", arrival[32] = "-";
        if (a->start_ns)
            snprintf(start, sizeof start, "%+.3fs", rel_ms(a->start_ns, rep->start_ns) / 1000.0);
        if (a->arrival_ns)
            snprintf(arrival, sizeof arrival, "%+.3fs", rel_ms(a->arrival_ns, rep->start_ns) / 1000.0);
        out_printf(&o, "  %-15.*s %-12s %12.3f %12.3f %10s %10s  %.*s\n",
                   (int)field_len(a->name, sizeof a->name), a->name, cqt_stage_outcome_name(a->outcome),
                   a->target, a->position, start, arrival, (int)field_len(a->detail, sizeof a->detail),
                   a->detail);
    }
    size_t mlen = field_len(rep->message, sizeof rep->message);
    if (rep->status != CQT_OK && mlen > 0)
        out_printf(&o, "error: %.*s\n", (int)mlen, rep->message);
    if (signo) {
        out_printf(&o, "interrupted: ");
        signal_name(&o, signo);
        out_printf(&o, "; every axis was stopped where it was\n");
    }
    return o.need;
}

size_t cqt_stage_cli_format_live(const char *name, double start, double target, double position,
                                 cqt_axis_state state, char *buf, size_t len)
{
    enum { WIDTH = 30 };
    out_buf o;
    out_start(&o, buf, len);
    double f = 1.0;
    if (isfinite(start) && isfinite(target) && isfinite(position) && target != start)
        f = (position - start) / (target - start);
    if (!(f >= 0))
        f = 0;
    if (f > 1)
        f = 1;
    int filled = (int)lround(f * WIDTH);
    char bar[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    out_printf(&o, "  %-15.15s [%s] %11.3f -> %11.3f  %s", name ? name : "?", bar, position, target,
               cqt_axis_state_name(state));
    return o.need;
}

int cqt_stage_cli_exit_status(const cqt_stage_report *rep)
{
    return rep && rep->status == CQT_OK ? 0 : 1;
}

int cqt_stage_cli_signal_status(int signo)
{
    return 128 + signo;
}
