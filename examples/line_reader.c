/* SPDX-License-Identifier: MIT */
/* line_reader.c — reads standard input line by line in the main loop while
 * a timer keeps ticking: the loop never blocks on the read. Try
 *     (echo one; sleep 1; echo two) | ./line_reader
 * It prints each line as it comes and, at the end of the input, how many
 * lines and ticks it saw. */
#include <cqt/cqt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char buf[4096];
    size_t len;
    int lines;
    int ticks;
} reader;

static void emit_lines(reader *r, int at_end)
{
    char *start = r->buf, *nl;
    size_t left = r->len;
    while ((nl = memchr(start, '\n', left)) != NULL || (at_end && left > 0)) {
        size_t n = nl ? (size_t)(nl - start) : left;
        printf("line %d (%d ticks so far): %.*s\n", ++r->lines, r->ticks, (int)n, start);
        size_t used = nl ? n + 1 : n;
        start += used;
        left -= used;
    }
    if (left == sizeof r->buf) { /* a line longer than the buffer: cut it */
        printf("line %d (cut): %.*s\n", ++r->lines, (int)left, start);
        left = 0;
    }
    memmove(r->buf, start, left);
    r->len = left;
}

static void on_stdin(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    reader *r = user_data;
    if (revents & CQT_IO_READ) {
        /* One read per call: the fd was readable, so it does not block, and
         * whatever is left makes the watch fire again (level-triggered). */
        ssize_t n = read(fd, r->buf + r->len, sizeof r->buf - r->len);
        if (n > 0) {
            r->len += (size_t)n;
            emit_lines(r, 0);
            return;
        }
        if (n < 0)
            return; /* EINTR or EAGAIN: try at the next call */
    }
    /* end of input (read returned 0) or hang-up: CQT_IO_ERROR */
    emit_lines(r, 1);
    cqt_io_watch_disable(w);
    cqt_app_quit(0);
}

static void on_tick(void *user_data, const cqt_value *arg)
{
    (void)arg;
    ((reader *)user_data)->ticks++;
}

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return 1;
    cqt_object *ui = cqt_object_new(NULL); /* lives in main */
    reader r = {.len = 0};
    cqt_timer *tick = cqt_timer_new(ui, "tick");
    cqt_connect(cqt_timer_timeout(tick), ui, on_tick, &r, NULL, CQT_AUTO);
    cqt_timer_start(tick, 100);
    cqt_io_watch *in = cqt_io_watch_new(ui, STDIN_FILENO, CQT_IO_READ, on_stdin, &r, NULL);
    if (!in) {
        fprintf(stderr, "line_reader: %s\n", cqt_last_error());
        return 1;
    }
    int rc = cqt_app_exec(); /* until the end of the input */
    printf("%d lines, %d ticks\n", r.lines, r.ticks);
    cqt_io_watch_free(in);
    cqt_object_free(ui); /* frees the timer too */
    cqt_app_shutdown(5000);
    return rc;
}
