/* SPDX-License-Identifier: MIT */
/* echo_server.c — a loopback TCP echo server: the listening socket is watched
 * in main, each connection in a worker thread; SIGINT or SIGTERM stop it (the
 * callback runs in main, not in the handler). --self-test runs a client. */
#include <cqt/cqt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int port, failures = 1;

static void close_fd(void *fd) { close((int)(intptr_t)fd); } /* the watch's destroy */

static void on_data(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)user_data;
    char buf[512];
    ssize_t n = (revents & CQT_IO_READ) ? read(fd, buf, sizeof buf) : 0;
    if (n > 0 && write(fd, buf, (size_t)n) == n)
        return;
    if (n == 0 || !(revents & CQT_IO_READ)) /* end of input, or CQT_IO_ERROR */
        cqt_io_watch_free(w);           /* close_fd runs once we return */
}

static void on_accept(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)w, (void)revents;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) /* owned by the worker's object: runs there, from here */
        cqt_io_watch_new(user_data, c, CQT_IO_READ, on_data, (void *)(intptr_t)c, close_fd);
}

static void on_stop(void *user_data, int signo, unsigned count)
{
    (void)user_data, (void)count;
    printf("signal %d in thread '%s': stopping\n", signo, cqt_thread_name(cqt_thread_current()));
    cqt_app_quit(0);
}

static void *client(void *arg)
{
    (void)arg;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int bad = connect(s, (struct sockaddr *)&a, sizeof a) != 0;
    for (int i = 0; i < 100 && !bad; i++) {
        char line[32], back[32];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        bad = write(s, line, (size_t)n) != n || recv(s, back, (size_t)n, MSG_WAITALL) != n ||
              memcmp(line, back, (size_t)n) != 0;
    }
    shutdown(s, SHUT_WR);
    char c;
    bad |= read(s, &c, 1) != 0; /* the server closed its end: all cleaned up */
    close(s), failures = bad;
    kill(getpid(), SIGTERM);
    return NULL;
}

int main(int argc, char **argv)
{
    int self_test = argc > 1 && strcmp(argv[1], "--self-test") == 0;
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return 1;
    cqt_thread *worker = cqt_thread_new("connections");
    cqt_thread_start(worker);
    cqt_object *conns = cqt_object_new(worker), *ui = cqt_object_new(NULL);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &len) != 0)
        return perror("echo_server"), 1;
    port = ntohs(a.sin_port);
    printf("echo server on 127.0.0.1:%d\n", port), fflush(stdout);
    cqt_io_watch *lw = cqt_io_watch_new(ui, ls, CQT_IO_READ, on_accept, conns, NULL);
    int sig_int = cqt_unix_signal_watch(SIGINT, ui, on_stop, NULL, NULL);
    int sig_term = cqt_unix_signal_watch(SIGTERM, ui, on_stop, NULL, NULL);
    pthread_t ct;
    if (self_test)
        pthread_create(&ct, NULL, client, NULL);
    cqt_app_exec(); /* until a signal */
    if (self_test)
        pthread_join(ct, NULL);
    cqt_unix_signal_unwatch(sig_int), cqt_unix_signal_unwatch(sig_term);
    cqt_io_watch_free(lw), close(ls);
    cqt_object_free(ui);
    cqt_object_free(conns); /* with the watches of connections still open */
    cqt_thread_free(worker);
    cqt_app_shutdown(5000);
    return self_test ? failures : 0;
}
