/* SPDX-License-Identifier: MIT */
/* timer_in_thread.c — a timer that lives in a worker thread, started from
 * main. In raw Qt, QTimer::start() from another thread only warns and the
 * timer never fires (pitfall P1); cqt marshals the start to the owner. */
#include <cqt/cqt.h>
#include <stdio.h>

typedef struct {
    int ticks;
    cqt_event *done;
} state;

/* Runs in the worker thread: the timer's owner lives there. */
static void on_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    state *s = user_data;
    s->ticks++;
    printf("tick %d in thread '%s'\n", s->ticks, cqt_thread_name(cqt_thread_current()));
    if (s->ticks == 5)
        cqt_event_set(s->done);
}

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return 1;
    cqt_thread *worker = cqt_thread_new("worker");
    cqt_thread_start(worker);

    cqt_object *owner = cqt_object_new(worker); /* affinity chosen here */
    cqt_timer *timer = cqt_timer_new(owner, "tick");
    state s = {0, cqt_event_new("five ticks")};
    cqt_connect(cqt_timer_timeout(timer), owner, on_tick, &s, NULL, CQT_AUTO);

    int rc = cqt_timer_start(timer, 20); /* from main: fine */
    printf("started from thread '%s': %s\n", cqt_thread_name(cqt_thread_current()),
           cqt_strerror(rc));
    rc = cqt_event_wait(s.done, 5000);
    cqt_timer_stop(timer);
    printf("%s after %d ticks\n", rc == CQT_OK ? "done" : "timed out", s.ticks);

    cqt_object_free(owner); /* frees its timer too */
    cqt_thread_free(worker);
    cqt_event_free(s.done);
    cqt_app_shutdown(5000);
    return rc == CQT_OK ? 0 : 1;
}
