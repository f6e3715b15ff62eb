/* SPDX-License-Identifier: MIT */
/* consumer.c — what a user's first program does with an installed cqt:
 * compiled by check-consumer.sh with nothing but `pkg-config --cflags
 * --libs cqt`. Starts an application, runs one single-shot through the
 * main loop, shuts down, and prints the library's version. */
#include <cqt/cqt.h>
#include <stdio.h>
#include <string.h>

static void on_shot(void *user_data)
{
    *(int *)user_data = 1;
    cqt_app_quit(0);
}

int main(int argc, char **argv)
{
    int fired = 0;
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK) {
        fprintf(stderr, "consumer: cqt_app_init: %s\n", cqt_last_error());
        return 1;
    }
    cqt_object *receiver = cqt_object_new(NULL);
    if (!receiver || cqt_single_shot(1, receiver, on_shot, &fired) != CQT_OK) {
        fprintf(stderr, "consumer: cqt_single_shot: %s\n", cqt_last_error());
        return 1;
    }
    int rc = cqt_app_exec();
    cqt_object_free(receiver);
    cqt_app_shutdown(5000);
    if (rc != 0 || !fired) {
        fprintf(stderr, "consumer: the single-shot did not run (exec %d)\n", rc);
        return 1;
    }
    if (strcmp(cqt_version_string(), CQT_VERSION_STRING) != 0 || cqt_version() != CQT_VERSION_HEX) {
        fprintf(stderr, "consumer: library %s, headers %s\n", cqt_version_string(),
                CQT_VERSION_STRING);
        return 1;
    }
    printf("consumer: cqt %s ok\n", cqt_version_string());
    return 0;
}
