/* SPDX-License-Identifier: MIT */
/* pthread_emit.c — a plain pthread (one cqt did not start) emits values
 * into the main loop. The slot runs in main, in emit order; the pthread
 * never touches main's data directly. */
#include <cqt/cqt.h>
#include <pthread.h>
#include <stdio.h>

#define COUNT 10

static cqt_signal *reading;

static void *sensor(void *arg)
{
    (void)arg;
    for (int i = 1; i <= COUNT; i++) {
        cqt_value v = cqt_value_double(i * 0.5);
        cqt_emit(reading, &v); /* copied into main's mailbox */
    }
    return NULL;
}

static void on_reading(void *user_data, const cqt_value *arg)
{
    int *seen = user_data;
    ++*seen;
    printf("reading %d = %.1f in thread '%s'\n", *seen, cqt_value_get_double(arg),
           cqt_thread_name(cqt_thread_current()));
    if (*seen == COUNT)
        cqt_app_quit(0);
}

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return 1;
    cqt_object *ui = cqt_object_new(NULL); /* lives in main */
    reading = cqt_signal_new(ui, "reading");
    int seen = 0;
    cqt_connect(reading, ui, on_reading, &seen, NULL, CQT_AUTO);

    pthread_t t;
    pthread_create(&t, NULL, sensor, NULL);
    int rc = cqt_app_exec(); /* returns when the last reading arrived */
    pthread_join(t, NULL);
    printf("main loop returned %d after %d readings\n", rc, seen);

    cqt_object_free(ui);
    cqt_app_shutdown(5000);
    return seen == COUNT ? 0 : 1;
}
