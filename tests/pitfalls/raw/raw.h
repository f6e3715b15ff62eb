/* SPDX-License-Identifier: MIT */
/* raw.h — the raw-Qt halves of the pitfall suite, callable from C.
 *
 * Each function reproduces one pitfall in plain Qt (the C++ files in raw/,
 * built against the Qt libcqt was configured for) and returns what it measured; it asserts nothing itself. The C side
 * (pitfalls.c) decides whether the numbers show the broken behaviour Qt is
 * documented to have, so if a future Qt changes, that verdict fails and
 * says which number moved.
 *
 * Application: a raw function uses the QCoreApplication that exists, or
 * creates its own for the length of the call and destroys it before
 * returning. It must not run while a cqt application is alive (cqt refuses
 * to adopt an application it did not create, and the other way round the
 * message handlers would fight). Scenarios that end in a deadlock, a
 * qFatal or a widget touched from the wrong thread run in a child process
 * (this same executable, re-run with CQT_PITFALL_CHILD set), so the caller
 * survives them.
 *
 * Times are milliseconds on the monotonic clock. Text fields hold the
 * first Qt message of interest, truncated, "" when there was none.
 */
#ifndef CQT_PITFALLS_RAW_H
#define CQT_PITFALLS_RAW_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAW_TEXT 512

/* What a child process did (P11, P12, P13). */
typedef struct raw_child {
    bool spawned;          /* the child could be started */
    bool finished;         /* it ended on its own within the deadline */
    bool killed;           /* still running at the deadline: we killed it */
    int exit_code;         /* when it exited */
    int term_signal;       /* when a signal ended it (SIGABRT for qFatal) */
    int64_t elapsed_ms;    /* spawn to end (or to the kill) */
    char output[4096];     /* its stdout and stderr, merged */
} raw_child;

/* P1: a QTimer living in the main thread, started from another thread. */
typedef struct raw_p1 {
    int fires;             /* timeouts seen while the main loop ran */
    int waited_ms;         /* how long the main loop ran, waiting for one */
    bool started_in_other_thread;
    char warning[RAW_TEXT];
} raw_p1;
raw_p1 raw_p1_timer_started_from_other_thread(int wait_ms);

/* P2: a QTimer created and started inside QThread::run() that never calls
 * exec(). */
typedef struct raw_p2 {
    int fires;
    int waited_ms;
    bool active;           /* what QTimer::isActive() said after start() */
    int warnings;          /* Qt messages printed meanwhile */
    char first_warning[RAW_TEXT];
} raw_p2;
raw_p2 raw_p2_timer_in_thread_without_loop(int wait_ms);

/* P3: a slot of a QThread subclass, connected to its own started() signal,
 * doing @work_ms of work. */
typedef struct raw_p3 {
    bool slot_ran;
    bool slot_in_main;     /* the slot ran in the main (GUI) thread */
    bool slot_in_thread;   /* ... or in the QThread it belongs to */
    int64_t work_ms;       /* measured length of the work */
    int64_t max_latency_ms;/* largest gap between main-loop heartbeats (10 ms) */
    int heartbeats;
} raw_p3;
raw_p3 raw_p3_slots_of_qthread_subclass(int work_ms);

/* P4: QObject::moveToThread() called from a thread that does not own the
 * object, to pull it there. */
typedef struct raw_p4 {
    bool returned;         /* the call came back */
    bool object_moved;     /* the object lives in the puller's thread now */
    bool still_in_main;
    char warning[RAW_TEXT];
} raw_p4;
raw_p4 raw_p4_move_to_thread_pull(void);

/* P5: objects created in a QThread subclass' constructor and in its run(). */
typedef struct raw_p5 {
    bool ctor_object_in_main;  /* created in the constructor: lives in main */
    bool ctor_object_in_thread;
    bool run_object_in_thread; /* created in run(): lives in the new thread */
    int warnings;              /* Qt says nothing about the difference */
} raw_p5;
raw_p5 raw_p5_objects_in_ctor_vs_run(void);

/* P6: the seeds' axis: each move starts a timer thread with start(); the
 * thread is never quit, so a second move from another thread calls start()
 * on a running QThread. */
typedef struct raw_p6 {
    bool first_move_done;
    bool second_move_done;
    int started_count;     /* times QThread::started was emitted */
    int waited_ms;         /* how long we waited for the second move */
    double position;       /* where the axis ended */
} raw_p6;
raw_p6 raw_p6_axis_moved_twice(int wait_ms);

/* P7: an object with a running timer is moved to another thread. */
typedef struct raw_p7 {
    bool fired_in_main_before;
    bool fired_in_new_thread_after;
    bool fired_in_main_after;
    int id_before;
    int id_after;          /* timer id seen in timerEvent after the move */
} raw_p7;
raw_p7 raw_p7_timers_move_with_object(void);

/* P8: a receiver deleted while queued calls to it are pending. */
typedef struct raw_p8 {
    int queued;            /* calls queued to the receiver, each carrying a heap payload */
    int ran;               /* how many of them ran */
    int payloads_freed;    /* how many payloads were freed (by the calls) */
    int payloads_leaked;   /* the rest: Qt dropped the calls, the payloads stayed */
    int stray_calls;       /* calls queued elsewhere that still held the receiver's */
    int stray_dangling;    /*   raw pointer, and found it deleted (QPointer null) */
    int warnings;
} raw_p8;
raw_p8 raw_p8_delete_receiver_with_pending_calls(int n);

/* P9: the seeds' wait for several events: one helper thread per event. */
typedef struct raw_p9 {
    int events;
    int events_set;        /* set during the wait */
    int helper_threads;    /* threads started to wait */
    int peak_blocked;      /* helpers blocked in a wait at the same time */
    int thread_delta;      /* process threads during the wait minus before (other
                              threads of the process may come and go meanwhile) */
    int timed_out;         /* events reported as not set */
    int64_t elapsed_ms;
} raw_p9;
raw_p9 raw_p9_wait_thread_per_event(int timeout_ms);

/* P10: @work_ms of work in a slot of the main thread. */
typedef struct raw_p10 {
    int64_t work_ms;
    int64_t max_latency_ms;
    int heartbeats;
    bool work_in_main;
} raw_p10;
raw_p10 raw_p10_long_work_in_main(int work_ms);

/* P11: a QThread that does not look at interruption requests, at exit. */
typedef struct raw_p11 {
    bool wait_timed_out;   /* quit() + requestInterruption() + wait(@wait_ms) failed */
    bool still_running;
    int64_t waited_ms;
    raw_child destroy;     /* child: the QThread deleted while running */
    bool child_tsan_quiet; /* that child ran with ThreadSanitizer's reports off:
                              freeing a running thread's storage is a race by design */
    bool fatal_seen;       /* "QThread: Destroyed while thread is still running" */
    bool delete_blocked;   /* the delete had not returned after the child's watchdog
                              period, and returned once the thread function ended */
} raw_p11;
raw_p11 raw_p11_thread_running_at_exit(int wait_ms);

/* P12: a signal connected with Qt::BlockingQueuedConnection to a receiver
 * in the emitting thread (in a child process, which is killed @wait_ms
 * after Qt warned). */
typedef struct raw_p12 {
    raw_child child;
    bool warned;           /* "Qt: Dead lock detected while activating a BlockingQueuedConnection" */
    bool emit_returned;    /* the child reported that emit returned */
    bool slot_ran;
    char warning[RAW_TEXT];
} raw_p12;
raw_p12 raw_p12_blocking_queued_into_own_thread(int wait_ms);

/* P13: widgets touched from a non-GUI thread (in a child process, on the
 * offscreen platform). */
typedef struct raw_p13 {
    bool available;        /* built with QtWidgets */
    raw_child child;
    bool set_text_accepted;/* QLabel::setText from the worker ran, no word from Qt */
    int set_text_warnings;
    bool child_orphaned;   /* new QLabel(parent) from the worker: no parent set */
    char warning[RAW_TEXT];/* what Qt printed for the parent */
} raw_p13;
raw_p13 raw_p13_widget_from_worker_thread(void);

/* P14: QSocketNotifiers on pipes, living in a QThread that runs its loop,
 * enabled and disabled with setEnabled() from another thread. Every count
 * "after a write" is taken once a control round came back: a second pipe,
 * written after the data, woke a control notifier in the owner's thread,
 * whose queued marker then ran (so the owner's loop polled with the data
 * readable and handled what that poll reported). @timeout_ms bounds each
 * wait for a round. */
typedef struct raw_p14 {
    bool set_up;             /* pipes, the owner thread and its notifiers */
    bool rounds_completed;   /* every control round, and every call run in the
                                owner's thread, came back in time */
    /* 1: created disabled, setEnabled(true) from another thread, written */
    int enable_warnings;     /* Qt's warnings for that call */
    bool enable_claimed;     /* isEnabled() said true afterwards */
    int enable_fires;        /* activations after the write */
    int enable_owner_fires;  /* ... after the owner's own setEnabled(true) and a write */
    int enable_unread;       /* bytes left in the pipe at the end */
    /* 2: created enabled, setEnabled(false) from another thread */
    int disable_warnings;
    bool disable_claimed;    /* isEnabled() said false afterwards */
    int disable_writes;      /* writes after it, each followed by a round */
    int disable_fires;       /* activations they caused */
    int disable_owner_fires; /* after the owner's own setEnabled(false) and a write */
    bool fired_outside_owner;/* an activation outside the owner's thread */
    int other_messages;      /* Qt messages other than that warning */
    char warning[RAW_TEXT];  /* the first such warning, as Qt printed it */
} raw_p14;
raw_p14 raw_p14_socket_notifier_from_other_thread(int writes, int timeout_ms);

/* raw_pin_qt_screens:
 * Works around a Qt 5.15 leak, not a pitfall: the offscreen platform
 * plugin never frees its screens when the QGuiApplication is destroyed (a
 * bare `delete new QApplication` shows it under LeakSanitizer). Call it
 * while a GUI application lives: it keeps the screens' addresses in a
 * static, so LeakSanitizer sees them for what they are to Qt — memory it
 * holds for the life of the process. Does nothing without QtWidgets or a
 * GUI application. */
void raw_pin_qt_screens(void);

/* The Qt major version the raw halves were compiled against (5 or 6): the
 * verdicts where Qt 5 and Qt 6 differ choose by it. */
int raw_qt_major(void);
/* "built against Qt 5.15.8, running on Qt 5.15.8" (transfer none, static). */
const char *raw_qt_description(void);

#ifdef __cplusplus
}
#endif

#endif /* CQT_PITFALLS_RAW_H */
