/* SPDX-License-Identifier: MIT */
/* cqt-stage-cli.c — see cqt-stage-cli.h. */
#include "cqt-stage-cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool-opts.h"

static const char usage_text[] =
    "usage: cqt-stage move NAME=TARGET... [options]\n"
    "\n"
    "Moves axes (one per NAME) to their targets and reports: simulated axes,\n"
    "or a motor controller's (cqt-axis-sim, or one that speaks its protocol).\n"
    "\n"
    "options:\n"
    "  --controller ADDR     where the axes are: sim (simulated, the default),\n"
    "                        tcp:HOST:PORT or serial:/dev/ttyX[,BAUD]; NAME is\n"
    "                        the controller's axis name\n"
    "  --parallel            start every axis at once (default)\n"
    "  --sequential          move one axis after the other\n"
    "  --timeout MS          overall limit in milliseconds (default 10000)\n"
    "  --speed NAME=V,...    speed in units/s (default 100)\n"
    "  --accel NAME=A,...    acceleration in units/s^2 (default 0: instant)\n"
    "  --stall NAME,...      inject a stall: the axis stops half way\n"
    "  --drop NAME,...       inject a lost 'reached' signal\n"
    "  --fault NAME,...      inject a drive error half way\n"
    "  --time-scale K        run simulated time K times faster (default 1)\n"
    "                        (--speed, --accel, --time-scale: simulated axes only)\n"
    "  --json                print the report as JSON\n"
    "  --live / --no-live    force / suppress the live lines (default: on when the\n"
    "                        output they go to is a terminal and TERM is not dumb;\n"
    "                        they go to stderr with --json, else to stdout)\n"
    "  --progress            print 'progress: NAME=POS...' on stderr every 50 ms\n"
    "  -h, --help            show this help and exit\n"
    "      --version         show the version and exit\n"
    "\n"
    "Soft limits are [-1000, 1000]. Exit status: 0 when every axis arrived,\n"
    "1 when one did not (a lost connection too: the report says so), 2 for bad\n"
    "arguments, 3 when the runtime failed or the controller could not be reached.\n"
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
            char num[64], why[160];
            size_t vlen = eq ? len - name_len - 1 : 0;
            if (!eq || vlen == 0 || vlen >= sizeof num)
                return fail(err, err_len, "%s: expected NAME=VALUE, got '%.*s'", p->opt,
                            (int)(len > 64 ? 64 : len), s);
            memcpy(num, eq + 1, vlen);
            num[vlen] = '\0';
            double d;
            if (!cqt_tool_parse_double(num, &d, why, sizeof why))
                return fail(err, err_len, "%s: %s: %s", p->opt, ax->name, why);
            if (strcmp(p->opt, "--speed") == 0) {
                if (!(d > 0))
                    return fail(err, err_len, "--speed: %s must be > 0, not '%s'", ax->name, num);
                ax->speed = d;
            } else {
                if (!(d >= 0))
                    return fail(err, err_len, "--accel: %s must be >= 0, not '%s'", ax->name, num);
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

/* One NAME=TARGET word. */
static int parse_target(cqt_stage_cli_options *opts, const char *a, char *err, size_t err_len)
{
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
    char why[160];
    if (!cqt_tool_parse_double(eq + 1, &target, why, sizeof why))
        return fail(err, err_len, "target of '%.*s': %s", (int)name_len, a, why);
    cqt_stage_cli_axis *ax = &opts->axes[opts->n++];
    memcpy(ax->name, a, name_len);
    ax->name[name_len] = '\0';
    ax->target = target;
    ax->speed = CQT_STAGE_CLI_SPEED;
    ax->acceleration = 0;
    ax->fault = CQT_AXIS_FAULT_NONE;
    return CQT_STAGE_CLI_OK;
}

/* The form of a --controller address; whether it answers is the link's
 * business (cqt_axis_link_new()). */
static int check_address(const char *a, char *why, size_t why_len)
{
    char num[32];
    long v;
    if (strcmp(a, "sim") == 0)
        return CQT_STAGE_CLI_OK;
    if (strncmp(a, "tcp:", 4) == 0) {
        const char *colon = strrchr(a + 4, ':');
        if (!colon || colon == a + 4)
            return fail(why, why_len, "'%.64s' is not tcp:HOST:PORT", a);
        snprintf(num, sizeof num, "%s", colon + 1);
        if (!cqt_tool_parse_long(colon + 1, 1, 65535, &v, NULL, 0))
            return fail(why, why_len, "'%.64s': the port '%s' is not a number 1..65535", a, num);
        return CQT_STAGE_CLI_OK;
    }
    if (strncmp(a, "serial:", 7) == 0) {
        const char *comma = strchr(a + 7, ',');
        if (a[7] == '\0' || comma == a + 7)
            return fail(why, why_len, "'%.64s' is not serial:/dev/ttyX[,BAUD]", a);
        if (comma) {
            snprintf(num, sizeof num, "%s", comma + 1);
            if (!cqt_tool_parse_long(comma + 1, 1, 4000000, &v, NULL, 0))
                return fail(why, why_len, "'%.64s': the baud rate '%s' is not a number", a, num);
        }
        return CQT_STAGE_CLI_OK;
    }
    if (strncmp(a, "fd:", 3) == 0) {
        if (!cqt_tool_parse_long(a + 3, 0, INT_MAX, &v, NULL, 0))
            return fail(why, why_len, "'%.64s' is not fd:N", a);
        return CQT_STAGE_CLI_OK;
    }
    return fail(why, why_len, "unknown transport in '%.64s' (tcp:HOST:PORT, serial:/dev/ttyX[,BAUD] or sim)", a);
}

enum {
    OPT_PARALLEL = 256, OPT_SEQUENTIAL, OPT_TIMEOUT, OPT_TIME_SCALE, OPT_SPEED, OPT_ACCEL, OPT_STALL,
    OPT_DROP, OPT_FAULT, OPT_JSON, OPT_LIVE, OPT_NO_LIVE, OPT_PROGRESS, OPT_VERSION, OPT_CONTROLLER
};

static const struct option long_options[] = {
    {"parallel", no_argument, NULL, OPT_PARALLEL},
    {"sequential", no_argument, NULL, OPT_SEQUENTIAL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"time-scale", required_argument, NULL, OPT_TIME_SCALE},
    {"speed", required_argument, NULL, OPT_SPEED},
    {"accel", required_argument, NULL, OPT_ACCEL},
    {"stall", required_argument, NULL, OPT_STALL},
    {"drop", required_argument, NULL, OPT_DROP},
    {"fault", required_argument, NULL, OPT_FAULT},
    {"json", no_argument, NULL, OPT_JSON},
    {"live", no_argument, NULL, OPT_LIVE},
    {"no-live", no_argument, NULL, OPT_NO_LIVE},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"controller", required_argument, NULL, OPT_CONTROLLER},
    {NULL, 0, NULL, 0},
};

#define MAX_ARGS 256

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
    strcpy(opts->controller, "sim");
    if (argc < 2 || !argv)
        return fail(err, err_len, "missing command (try 'move')");
    if (argc > MAX_ARGS)
        return fail(err, err_len, "too many arguments (at most %d)", MAX_ARGS - 1);
    for (int i = 1; i < argc; i++)
        if (!argv[i])
            return fail(err, err_len, "argument %d is NULL", i);

    /* getopt_long() reorders its argv (options first): a copy keeps the
     * caller's array as it was. */
    char *args[MAX_ARGS + 1];
    for (int i = 0; i < argc; i++)
        args[i] = (char *)argv[i];
    args[argc] = NULL;
    if (!args[0])
        args[0] = (char *)"cqt-stage";

    pending_opt lists[64];
    size_t n_lists = 0;
    bool mode_set = false, sim_only = false;
    const char *sim_opt = NULL;
    char why[160];
    long ms;
    opterr = 0;  /* the messages are ours, one line */
    optind = 0;  /* glibc and musl: start afresh (a test or fuzzer calls this again) */
    int ch;
    while ((ch = getopt_long(argc, args, ":h", long_options, NULL)) != -1) {
        switch (ch) {
        case OPT_PARALLEL:
        case OPT_SEQUENTIAL: {
            cqt_stage_mode m = ch == OPT_PARALLEL ? CQT_STAGE_PARALLEL : CQT_STAGE_SEQUENTIAL;
            if (mode_set && m != opts->mode)
                return fail(err, err_len, "--parallel and --sequential exclude each other");
            opts->mode = m;
            mode_set = true;
            break;
        }
        case OPT_JSON:
            opts->json = true;
            break;
        case OPT_LIVE:
            opts->live = CQT_STAGE_CLI_LIVE_ON;
            break;
        case OPT_NO_LIVE:
            opts->live = CQT_STAGE_CLI_LIVE_OFF;
            break;
        case OPT_PROGRESS:
            opts->progress = true;
            break;
        case OPT_TIMEOUT:
            if (!cqt_tool_parse_long(optarg, 0, INT_MAX, &ms, why, sizeof why))
                return fail(err, err_len, "--timeout: %s", why);
            opts->timeout_ms = (int)ms;
            break;
        case OPT_CONTROLLER:
            if (strlen(optarg) >= sizeof opts->controller)
                return fail(err, err_len, "--controller: an address of at most %d bytes",
                            CQT_STAGE_CLI_ADDRESS_MAX - 1);
            if (check_address(optarg, why, sizeof why) != CQT_STAGE_CLI_OK)
                return fail(err, err_len, "--controller: %s", why);
            strcpy(opts->controller, optarg);
            break;
        case OPT_TIME_SCALE:
            sim_only = true, sim_opt = "--time-scale";
            if (!cqt_tool_parse_double(optarg, &opts->time_scale, why, sizeof why))
                return fail(err, err_len, "--time-scale: %s", why);
            if (!(opts->time_scale > 0))
                return fail(err, err_len, "--time-scale must be > 0, not '%.64s'", optarg);
            break;
        case OPT_SPEED:
        case OPT_ACCEL:
        case OPT_STALL:
        case OPT_DROP:
        case OPT_FAULT:
            if (ch == OPT_SPEED || ch == OPT_ACCEL)
                sim_only = true, sim_opt = ch == OPT_SPEED ? "--speed" : "--accel";
            if (n_lists == sizeof lists / sizeof lists[0])
                return fail(err, err_len, "too many per-axis options");
            lists[n_lists].value = optarg;
            lists[n_lists].opt = ch == OPT_SPEED   ? "--speed"
                                 : ch == OPT_ACCEL ? "--accel"
                                 : ch == OPT_STALL ? "--stall"
                                 : ch == OPT_DROP  ? "--drop"
                                                   : "--fault";
            n_lists++;
            break;
        case 'h':
            return CQT_STAGE_CLI_HELP;
        case OPT_VERSION:
            return CQT_STAGE_CLI_VERSION;
        default: /* ':' or '?' */
            cqt_tool_getopt_error(ch, args, long_options, why, sizeof why);
            return fail(err, err_len, "%s", why);
        }
    }
    if (sim_only && strcmp(opts->controller, "sim") != 0)
        return fail(err, err_len, "%s applies to simulated axes only; the controller at %.64s moves at its own speed",
                    sim_opt, opts->controller);
    /* What is left: the command, then the NAME=TARGET words. */
    if (optind >= argc)
        return fail(err, err_len, "missing command (try 'move')");
    if (strcmp(args[optind], "move") != 0)
        return fail(err, err_len, "unknown command '%.64s' (try 'move')", args[optind]);
    for (int i = optind + 1; i < argc; i++) {
        int rc = parse_target(opts, args[i], err, err_len);
        if (rc != CQT_STAGE_CLI_OK)
            return rc;
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

/* The length of the well-formed UTF-8 sequence at @s (at most @n bytes
 * readable), 0 when it is not one: an overlong form, a surrogate, a code
 * point above U+10FFFF or a sequence cut short (a field truncated in the
 * middle of a character) are not. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0; /* overlong */
        else if (c == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90; /* overlong */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else
        return 0;
    if (len > n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* A JSON string: UTF-8 passes through whole (never split), control
 * characters are escaped, and a byte that is not part of well-formed
 * UTF-8 becomes U+FFFD, so the output is always valid JSON text. */
static void json_string(out_buf *o, const char *s, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = field_len(s, cap);
    out_printf(o, "\"");
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\')
            out_printf(o, "\\%c", c);
        else if (c == '\n')
            out_printf(o, "\\n");
        else if (c == '\t')
            out_printf(o, "\\t");
        else if (c == '\r')
            out_printf(o, "\\r");
        else if (c < 0x20)
            out_printf(o, "\\u%04x", c);
        else if (c < 0x80)
            out_printf(o, "%c", c);
        else {
            size_t len = utf8_len(u + i, n - i);
            if (len) {
                out_printf(o, "%.*s", (int)len, s + i);
                i += len;
                continue;
            }
            out_printf(o, "\\ufffd");
        }
        i++;
    }
    out_printf(o, "\"");
}

/* The shortest of %.15g, %.16g and %.17g that reads back as @d: 20.698073,
 * not 20.698073000000001 (%.17g always reads back). */
static void json_number(out_buf *o, double d)
{
    if (!isfinite(d)) {
        out_printf(o, "null");
        return;
    }
    char num[32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(num, sizeof num, "%.*g", digits, d);
        if (digits == 17 || strtod(num, NULL) == d)
            break;
    }
    out_printf(o, "%s", num);
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
    /* 78 columns with the header's "detail": it fits an 80-column terminal */
    out_printf(&o, "  %-15s %-12s %10s %10s %8s %8s  %s\n", "axis", "outcome", "target", "position",
               "start", "arrival", "detail");
    for (size_t i = 0; i < n; i++) {
        const cqt_stage_axis_report *a = &rep->axes[i];
        char start[32] = "-", arrival[32] = "-";
        if (a->start_ns)
            snprintf(start, sizeof start, "%+.3fs", rel_ms(a->start_ns, rep->start_ns) / 1000.0);
        if (a->arrival_ns)
            snprintf(arrival, sizeof arrival, "%+.3fs", rel_ms(a->arrival_ns, rep->start_ns) / 1000.0);
        /* the row names the axis: a detail that starts by naming it again
         * ("axis 'x': connection lost ...", a link's fault) goes without */
        const char *detail = a->detail;
        size_t dlen = field_len(a->detail, sizeof a->detail), nlen = field_len(a->name, sizeof a->name);
        if (dlen > nlen + 10 && memcmp(detail, "axis '", 6) == 0 && memcmp(detail + 6, a->name, nlen) == 0 &&
            memcmp(detail + 6 + nlen, "': ", 3) == 0) {
            detail += nlen + 9;
            dlen -= nlen + 9;
        }
        out_printf(&o, "  %-15.*s %-12s %10.3f %10.3f %8s %8s  %.*s\n", (int)nlen, a->name,
                   cqt_stage_outcome_name(a->outcome), a->target, a->position, start, arrival, (int)dlen,
                   detail);
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
                                 cqt_axis_state state, int columns, char *buf, size_t len)
{
    enum { BAR_MAX = 30, BAR_MIN = 5, NAME_W = 15 };
    out_buf o;
    out_start(&o, buf, len);
    double f = 1.0;
    if (isfinite(start) && isfinite(target) && isfinite(position) && target != start)
        f = (position - start) / (target - start);
    if (!(f >= 0))
        f = 0;
    if (f > 1)
        f = 1;
    /* The parts around the bar; the state is counted at its longest name
     * ("stopped") so that every line of one display gets the same bar. */
    char head[NAME_W + 8], tail[64];
    snprintf(head, sizeof head, "  %-*.*s ", NAME_W, NAME_W, name ? name : "?");
    snprintf(tail, sizeof tail, " %9.3f -> %9.3f  ", position, target); /* -1000.000 fits */
    const char *st = cqt_axis_state_name(state);
    size_t fixed = strlen(head) + strlen(tail) + 7 + 2; /* + the brackets */
    int width = BAR_MAX;
    size_t limit = SIZE_MAX;
    if (columns > 0) {
        limit = (size_t)columns - 1;
        width = limit > fixed ? (int)(limit - fixed) : 0;
        if (width > BAR_MAX)
            width = BAR_MAX;
    }
    char line[NAME_W + 8 + BAR_MAX + 2 + 64 + 16];
    if (width >= BAR_MIN) {
        int filled = (int)lround(f * width);
        char bar[BAR_MAX + 1];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        snprintf(line, sizeof line, "%s[%s]%s%s", head, bar, tail, st);
    } else {
        /* no room for a bar: the compact form */
        snprintf(line, sizeof line, "  %s %.3f -> %.3f %s", name ? name : "?", position, target, st);
    }
    for (char *c = line; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
            *c = '?'; /* no escape reaches the terminal; one byte, one column: the cut stays exact */
    size_t n = strlen(line);
    if (n > limit)
        n = limit;
    out_printf(&o, "%.*s", (int)n, line);
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
