/* SPDX-License-Identifier: MIT */
/* ping_pong.c — queued signals bouncing between two event-loop threads.
 * Each side's slot runs in its own thread and answers with the other
 * signal, so the ball crosses threads on every hit. */
#include <cqt/cqt.h>
#include <stdio.h>

#define ROUNDS 1000

typedef struct {
    cqt_signal *reply; /* the signal this side emits back */
    const char *name;
    cqt_event *done;
} player;

static void on_ball(void *user_data, const cqt_value *arg)
{
    player *p = user_data;
    int64_t hit = cqt_value_get_int(arg);
    if (hit % 250 == 0)
        printf("%s hits %lld in thread '%s'\n", p->name, (long long)hit,
               cqt_thread_name(cqt_thread_current()));
    if (hit == ROUNDS) {
        cqt_event_set(p->done);
        return;
    }
    cqt_value next = cqt_value_int(hit + 1);
    cqt_emit(p->reply, &next);
}

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return 1;
    cqt_thread *left = cqt_thread_new("ping"), *right = cqt_thread_new("pong");
    cqt_thread_start(left);
    cqt_thread_start(right);
    cqt_object *a = cqt_object_new(left), *b = cqt_object_new(right);
    cqt_signal *to_b = cqt_signal_new(a, "to-b"), *to_a = cqt_signal_new(b, "to-a");
    cqt_event *done = cqt_event_new("rally over");
    player pa = {to_b, "ping", done}, pb = {to_a, "pong", done};

    /* AUTO: queued, since each receiver lives in another thread */
    cqt_connect(to_b, b, on_ball, &pb, NULL, CQT_AUTO);
    cqt_connect(to_a, a, on_ball, &pa, NULL, CQT_AUTO);

    cqt_value serve = cqt_value_int(1);
    cqt_emit(to_b, &serve);
    int rc = cqt_event_wait(done, 10000);
    printf("%s: %d hits\n", rc == CQT_OK ? "rally complete" : "rally stalled", ROUNDS);

    cqt_object_free(a);
    cqt_object_free(b);
    cqt_thread_free(left);
    cqt_thread_free(right);
    cqt_event_free(done);
    cqt_app_shutdown(5000);
    return rc == CQT_OK ? 0 : 1;
}
