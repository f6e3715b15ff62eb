/* SPDX-License-Identifier: MIT */
/* axis-proto.h — the controller line protocol (docs/controller-protocol.md):
 * a line reader, a strict parser for the controller's replies and
 * notifications and for the host's commands, and their formatters.
 *
 * Pure C, no state outside the structs given, no allocation: the
 * simulator (tools/cqt-axis-sim), its tests, the axis_reply fuzz target
 * and, later, the stream transport of cqt_axis compile it in. Its symbols
 * are internal (axp_ prefix, never exported from libcqt).
 *
 * Strict: every input that is not exactly a line of the protocol gives an
 * axp_error naming its class; no input reads or writes outside the
 * buffers given.
 */
#ifndef CQT_AXIS_PROTO_H
#define CQT_AXIS_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define AXP_VERSION 1           /* the protocol version this code speaks */
#define AXP_MAGIC "CQTAXIS"     /* the HELLO reply's second field */
#define AXP_MAX_LINE 128        /* bytes in a line, its '\n' included */
#define AXP_MAX_NAME 16         /* bytes in an axis name */
#define AXP_MAX_AXES 8          /* axes one controller may announce */
#define AXP_MAX_POSITION 1e9    /* |position| a line may carry */
#define AXP_MAX_INT 999999999L  /* error codes and milliseconds: at most 9 digits */

/* Why a line did not parse (0: it did). */
typedef enum axp_error {
    AXP_E_NONE = 0,
    AXP_E_PARTIAL,   /* no '\n' at the end: a line cut short */
    AXP_E_TOO_LONG,  /* more than AXP_MAX_LINE bytes before the '\n' */
    AXP_E_NOT_ASCII, /* a byte outside printable ASCII (NUL, control, >= 0x80) */
    AXP_E_EMPTY,     /* nothing before the '\n' */
    AXP_E_KIND,      /* first field is no known reply or command */
    AXP_E_FIELDS,    /* wrong number of fields, or a field empty (two spaces) */
    AXP_E_AXIS,      /* axis name not [A-Za-z0-9_-]{1,16} (or '*' where allowed) */
    AXP_E_NUMBER,    /* a position or integer not in the documented format or range */
    AXP_E_STATE,     /* STATUS state not IDLE, MOVING or STALLED */
    AXP_E_MAGIC,     /* HELLO does not name the protocol (CQTAXIS) */
} axp_error;

/* A short name for an error class ("partial", "too-long", ...); never NULL. */
const char *axp_error_name(axp_error e);

/* What a controller line is. The first five are replies to a command;
 * the AXP_EV_* ones are notifications (lines starting with '!'). */
typedef enum axp_kind {
    AXP_HELLO = 1,   /* HELLO CQTAXIS <version> <axis>... */
    AXP_OK,          /* OK <axis|*> */
    AXP_POS,         /* POS <axis> <position> */
    AXP_STATUS,      /* STATUS <axis> <state> <position> <target> */
    AXP_ERR,         /* ERR <axis|*> <code> <message> */
    AXP_EV_POS,      /* !POS <axis> <position> */
    AXP_EV_DONE,     /* !DONE <axis> <position> */
    AXP_EV_STOPPED,  /* !STOPPED <axis> <position> */
    AXP_EV_ERR,      /* !ERR <axis|*> <code> <message> */
} axp_kind;

typedef enum axp_state { AXP_IDLE = 1, AXP_MOVING, AXP_STALLED } axp_state;

/* Error codes of ERR lines (the controller may send others; see the doc). */
enum {
    AXP_ERR_SYNTAX = 1,   /* garbled command: unknown verb, fields, bytes */
    AXP_ERR_AXIS = 2,     /* no such axis */
    AXP_ERR_NUMBER = 3,   /* a number out of format or range */
    AXP_ERR_RANGE = 4,    /* target outside the axis' travel */
    AXP_ERR_TOO_LONG = 5, /* line longer than AXP_MAX_LINE */
    AXP_ERR_VERSION = 6,  /* HELLO asked for a version the controller lacks */
    AXP_ERR_STALLED = 7,  /* the axis is stalled */
    AXP_ERR_REFUSED = 8,  /* connection refused (busy, or told to refuse) */
    AXP_ERR_INJECTED = 9, /* a fault injected on purpose (simulator) */
};

/* One parsed controller line. Strings are NUL-terminated copies. */
typedef struct axp_reply {
    axp_kind kind;
    char axis[AXP_MAX_NAME + 1]; /* "*" for the whole controller; "" for HELLO */
    double position;             /* POS, STATUS, !POS, !DONE, !STOPPED */
    double target;               /* STATUS */
    axp_state state;             /* STATUS */
    int code;                    /* ERR, !ERR: 1..999999999 */
    char message[AXP_MAX_LINE];  /* ERR, !ERR: the rest of the line, may hold spaces */
    int version;                 /* HELLO */
    int naxes;                   /* HELLO: 1..AXP_MAX_AXES */
    char axes[AXP_MAX_AXES][AXP_MAX_NAME + 1];
} axp_reply;

/* axp_parse_reply:
 * Parses one controller line: @len bytes at @line, its terminating '\n'
 * included (a '\r' just before it is allowed and ignored). @line need not
 * be NUL-terminated and may hold any bytes. @out is zeroed first and
 * filled on success. Returns AXP_E_NONE or the class of the first fault. */
axp_error axp_parse_reply(const char *line, size_t len, axp_reply *out);

/* What a host line asks. */
typedef enum axp_verb {
    AXP_CMD_HELLO = 1, /* HELLO <version> */
    AXP_CMD_MOVE,      /* MOVE <axis> <position> */
    AXP_CMD_STOP,      /* STOP <axis|*> */
    AXP_CMD_POS,       /* POS? <axis> */
    AXP_CMD_STATUS,    /* STATUS? <axis> */
    AXP_CMD_FAULT,     /* FAULT <axis|*> <fault> [<integer>] (simulator only) */
} axp_verb;

/* The simulator's faults (FAULT command, --fault option). */
typedef enum axp_fault {
    AXP_FAULT_STALL = 1, /* the axis stops moving and never reports done */
    AXP_FAULT_NODONE,    /* the axis' next !DONE is not sent */
    AXP_FAULT_ERROR,     /* the next command is answered ERR <arg> (default 9) */
    AXP_FAULT_SLOW,      /* every reply is sent <arg> ms late */
    AXP_FAULT_GARBAGE,   /* a garbage line follows the next reply */
    AXP_FAULT_CLOSE,     /* the connection is closed after the next reply */
    AXP_FAULT_REFUSE,    /* new connections (and HELLO) are refused */
    AXP_FAULT_CLEAR,     /* every fault of the axis (or all, for '*') ends */
} axp_fault;

/* A fault's name as written on the link ("STALL"); NULL for an unknown one. */
const char *axp_fault_name(axp_fault f);
/* The fault named @name (case-insensitive, @n bytes); 0 if none. */
axp_fault axp_fault_from_name(const char *name, size_t n);

typedef struct axp_command {
    axp_verb verb;
    char axis[AXP_MAX_NAME + 1]; /* "*" allowed for STOP and FAULT */
    double position;             /* MOVE */
    int version;                 /* HELLO */
    axp_fault fault;             /* FAULT */
    long arg;                    /* FAULT: the integer, -1 when absent */
} axp_command;

/* axp_parse_command:
 * Parses one host line, as axp_parse_reply does controller lines. */
axp_error axp_parse_command(const char *line, size_t len, axp_command *out);

/* The formatters write one line, '\n' included, NUL-terminated, into
 * @buf of @size bytes. They return the line's length (without the NUL),
 * or -1 when an argument is out of the protocol's range (bad axis name,
 * non-finite or too large position, message with bytes a line cannot
 * carry) or @size is too small; @buf then holds "". */
int axp_format_hello(char *buf, size_t size, int version);
int axp_format_move(char *buf, size_t size, const char *axis, double position);
int axp_format_stop(char *buf, size_t size, const char *axis);
int axp_format_pos_query(char *buf, size_t size, const char *axis);
int axp_format_status_query(char *buf, size_t size, const char *axis);
int axp_format_fault(char *buf, size_t size, const char *axis, axp_fault f, long arg);
/* A controller line (the simulator's side): every field @kind uses. */
int axp_format_reply(char *buf, size_t size, const axp_reply *r);

/* axp_reader: cuts a byte stream into lines without ever holding more
 * than AXP_MAX_LINE bytes. A line longer than that is dropped up to its
 * '\n' and reported once, with AXP_E_TOO_LONG, when that '\n' arrives. */
typedef void (*axp_line_fn)(void *user_data, const char *line, size_t len, axp_error e);
typedef struct axp_reader {
    char buf[AXP_MAX_LINE];
    size_t n;
    bool overflow;
} axp_reader;

void axp_reader_init(axp_reader *r);
/* Feeds @n bytes; calls @fn once per complete line (its '\n' included,
 * e = AXP_E_NONE) or per oversized line (line = NULL, len = 0,
 * e = AXP_E_TOO_LONG). Bytes of an unfinished line stay in @r. */
void axp_reader_feed(axp_reader *r, const char *data, size_t n, axp_line_fn fn, void *user_data);

#endif /* CQT_AXIS_PROTO_H */
