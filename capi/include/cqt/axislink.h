/* SPDX-License-Identifier: MIT */
/* cqt/axislink.h — one connection to a motor controller, for cqt_axis.
 *
 * A cqt_axis_link is a byte stream to a controller that speaks the line
 * protocol of docs/controller-protocol.md (version 1): a TCP connection,
 * a serial device, or an fd the caller opened (a pty, a socketpair). Axes
 * created with cqt_axis_config.link set are driven over it instead of
 * being simulated; several axes (one per controller axis) share one link.
 *
 * Addresses (cqt_axis_link_config.address):
 *   "tcp:HOST:PORT"          HOST a name or address, PORT 1..65535; the
 *                            connect is bounded by connect_timeout_ms.
 *   "serial:/dev/ttyX[,BAUD]" raw mode (termios cfmakeraw), 8 data bits,
 *                            no parity, 1 stop bit, no flow control;
 *                            BAUD a standard rate (default 115200).
 *   "fd:N"                   an fd the caller opened; the link puts it in
 *                            non-blocking mode and never closes it (close
 *                            it after cqt_axis_link_free() and the link's
 *                            axes are freed). It cannot be reconnected.
 *   "sim"                    no link: create axes with link NULL
 *                            (cqt_axis_link_address_is_sim()).
 *
 * Opening connects and does the HELLO exchange in the calling thread,
 * bounded by connect_timeout_ms: the controller must answer protocol
 * version 1; its axis names are learnt then. Afterwards the fd is watched
 * in the link's thread (its own, "axis-link", unless config.thread names
 * a cqt thread whose loop runs); every axis on the link lives in that
 * thread, so its signals are emitted there.
 *
 * Commands: one in flight per link (the protocol's rule). Moves and stops
 * of one axis coalesce while they wait for the link: the last one wins,
 * as cqt_axis_move_to() promises. Each command waits reply_timeout_ms for
 * its reply.
 *
 * Faults: each puts the axes it concerns in CQT_AXIS_FAULTED, emits their
 * `faulted` signal (CQT_EFAULT and a message naming the axis and what
 * happened), sets their settled event, and refuses their moves with
 * CQT_EFAULT until cqt_axis_clear_fault():
 *  - no reply within reply_timeout_ms: the command's axis, "no reply to
 *    'MOVE x 10' within 1000 ms" (a partial line held is named too);
 *  - an ERR reply: the command's axis, with the controller's code and
 *    message; an !ERR notification: its axis, or every axis for '*';
 *  - a garbled line or one over 128 bytes: every axis with a command or a
 *    move in flight, naming the line; reading goes on at the next line;
 *  - the connection dropped (EOF, hang-up, read or write error, the
 *    controller killed or restarting): at once, every axis on the link,
 *    "connection lost to ADDRESS (...) at last reported position P"; the
 *    link goes to CQT_AXIS_LINK_LOST and its fd is closed. When the
 *    controller dies silently (no EOF), the next command's reply timeout
 *    faults its axis.
 * A reply that is late, or that names another axis, is a garbled line.
 *
 * Reconnect policy: off by default, and no option reconnects by itself.
 * After a loss, call cqt_axis_link_reconnect() (from a state_changed slot,
 * a timer, a button); then cqt_axis_clear_fault() makes each axis usable
 * again. The link's buffers are fixed (one line of 128 bytes in, one out):
 * nothing grows with what the controller sends.
 *
 * Signals (owned by the link; emitted in the link's thread):
 *  - state_changed: an int value, the new cqt_axis_link_state;
 *  - traffic: a string value per line sent ("> MOVE x 10") or received
 *    ("< OK x"), without its newline, for logs and demos.
 */
#ifndef CQT_AXISLINK_H
#define CQT_AXISLINK_H

#include "base.h"
#include "signal.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cqt_axis_link cqt_axis_link;

/* What a link is doing. */
typedef enum cqt_axis_link_state {
    CQT_AXIS_LINK_CONNECTED = 1, /* HELLO done; commands flow */
    CQT_AXIS_LINK_LOST = 2       /* the connection dropped; reconnect to go on */
} cqt_axis_link_state;

/* What cqt_axis_link_new() opens. Fill it with cqt_axis_link_config_init();
 * zero timeouts mean their defaults. */
typedef struct cqt_axis_link_config {
    const char *address;    /* see the top of this file; copied */
    int connect_timeout_ms; /* connect + HELLO, > 0; 0: 2000 */
    int reply_timeout_ms;   /* per command, > 0; 0: 1000 */
    cqt_thread *thread;     /* nullable: the link starts and owns a thread of
                               its own; else a cqt thread (or main) whose loop
                               runs, and which must outlive the link */
} cqt_axis_link_config;

/* cqt_axis_link_config_init:
 * Fills @config with defaults: no address, 2000 ms to connect, 1000 ms per
 * reply, own thread. NULL is ignored.
 * Thread: any. */
CQT_API void cqt_axis_link_config_init(cqt_axis_link_config *config);

/* cqt_axis_link_address_is_sim:
 * Returns: true when @address is "sim" or NULL (axes are simulated: create
 * them with link NULL), false for any other address. Thread: any. */
CQT_API bool cqt_axis_link_address_is_sim(const char *address);

/* cqt_axis_link_new:
 * Opens config->address, does the HELLO exchange (both bounded by
 * connect_timeout_ms, in the calling thread) and starts watching the link
 * in its thread.
 * Returns: transfer full, release with cqt_axis_link_free(); NULL on
 * failure with cqt_last_error() naming the address and the fix:
 * CQT_EINVAL for an unknown transport, "sim", a bad port (not 1..65535), a
 * baud rate that is no standard rate, an fd that is not open, bad
 * timeouts; CQT_EFAULT for a device that is missing or no terminal, a
 * refused connection, a controller that refuses the session or speaks
 * another protocol version; CQT_ETIMEDOUT when the connect or the HELLO
 * reply takes longer than connect_timeout_ms; CQT_ENOLOOP for a
 * config.thread without a loop; CQT_ESTATE without an app.
 * Thread: any. */
CQT_API cqt_axis_link *cqt_axis_link_new(const cqt_axis_link_config *config);

/* cqt_axis_link_free:
 * Gives up the caller's reference. The connection is closed (and the
 * link's own thread joined) once the link and every axis on it are freed:
 * freeing the axes first or last both work. Its signals' connections are
 * released then (their destroy functions run once). NULL is ignored.
 * Thread: any, also from a slot of the link or of one of its axes (the
 * release is then queued to the link's thread and runs after that slot). */
CQT_API void cqt_axis_link_free(cqt_axis_link *link);

/* cqt_axis_link_reconnect:
 * Opens the link's address again and does the HELLO exchange (bounded by
 * connect_timeout_ms), in the link's thread; the caller waits for it. The
 * axes stay faulted until cqt_axis_clear_fault(); an axis the controller
 * no longer announces stays faulted. Each axis' position is queried again.
 * Returns: CQT_OK (also when already connected: nothing to do);
 * CQT_EINVAL for NULL; CQT_ESTATE for an "fd:" link (its fd cannot be
 * reopened: make a new link); the statuses of cqt_axis_link_new() when
 * the controller cannot be reached (the link stays lost).
 * Thread: any; from the link's thread it blocks that thread up to
 * connect_timeout_ms. */
CQT_API int cqt_axis_link_reconnect(cqt_axis_link *link);

/* cqt_axis_link_get_state:
 * Returns: the link's state; CQT_AXIS_LINK_LOST for NULL. Thread: any.
 * (get_: cqt_axis_link_state is the enum.) */
CQT_API cqt_axis_link_state cqt_axis_link_get_state(const cqt_axis_link *link);

/* cqt_axis_link_state_name:
 * Returns: "connected", "lost"; "unknown" otherwise. Transfer none: static
 * storage. Thread: any. */
CQT_API const char *cqt_axis_link_state_name(cqt_axis_link_state state);

/* cqt_axis_link_address:
 * Returns: the address it was opened with; "(null)" for NULL. Transfer
 * none, valid as long as @link. Thread: any. */
CQT_API const char *cqt_axis_link_address(const cqt_axis_link *link);

/* cqt_axis_link_thread:
 * Returns: the thread the link (and its axes) live in; NULL for NULL.
 * Transfer none, valid as long as @link. Thread: any. */
CQT_API cqt_thread *cqt_axis_link_thread(const cqt_axis_link *link);

/* cqt_axis_link_axis_count:
 * Returns: how many axes the controller announced at the last HELLO
 * (1..8); -1 for NULL. Thread: any. */
CQT_API int cqt_axis_link_axis_count(const cqt_axis_link *link);

/* cqt_axis_link_get_axis_name:
 * Copies the name of the controller's axis @index (0-based, HELLO order)
 * into @buf of @size bytes (17 always suffice).
 * Returns: CQT_OK; CQT_EINVAL for NULL, a NULL/short @buf; CQT_ERANGE for
 * an index out of range. Thread: any. */
CQT_API int cqt_axis_link_get_axis_name(const cqt_axis_link *link, int index, char *buf, size_t size);

/* cqt_axis_link_get_message:
 * Copies why the link was lost ("" while connected) into @buf of @size
 * bytes, truncated to fit.
 * Returns: CQT_OK; CQT_EINVAL for NULL or a NULL/zero-size @buf.
 * Thread: any. */
CQT_API int cqt_axis_link_get_message(const cqt_axis_link *link, char *buf, size_t size);

/* cqt_axis_link_state_changed:
 * Returns: the link's state_changed signal (an int value, the new
 * cqt_axis_link_state); NULL for NULL. Transfer none: valid as long as
 * @link, freed with it. Thread: any; emitted in the link's thread. */
CQT_API cqt_signal *cqt_axis_link_state_changed(cqt_axis_link *link);

/* cqt_axis_link_traffic:
 * Returns: the link's traffic signal (a string value per line: "> " and
 * the line sent, "< " and the line received, no newline); NULL for NULL.
 * Transfer none: valid as long as @link, freed with it. Thread: any;
 * emitted in the link's thread. */
CQT_API cqt_signal *cqt_axis_link_traffic(cqt_axis_link *link);

#ifdef __cplusplus
}
#endif

#endif /* CQT_AXISLINK_H */
