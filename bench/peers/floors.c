/* SPDX-License-Identifier: MIT */
/* floors.c — the floor peers (floors.h). */
#include "floors.h"

#include "../bench.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

static void futex_wait(atomic_int *w, int v)
{
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void futex_wake(atomic_int *w)
{
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

typedef struct {
    atomic_int turn; /* 0: main's turn, 1: the other's */
    long n;
    int efd_a, efd_b;
} pingpong;

static void *futex_peer(void *p)
{
    pingpong *pp = p;
    for (long i = 0; i < pp->n; i++) {
        while (atomic_load(&pp->turn) != 1)
            futex_wait(&pp->turn, 0);
        atomic_store(&pp->turn, 0);
        futex_wake(&pp->turn);
    }
    return NULL;
}

double floor_futex_roundtrip(long n)
{
    pingpong pp = {.n = n};
    atomic_init(&pp.turn, 0);
    pthread_t th;
    pthread_create(&th, NULL, futex_peer, &pp);
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        atomic_store(&pp.turn, 1);
        futex_wake(&pp.turn);
        while (atomic_load(&pp.turn) != 0)
            futex_wait(&pp.turn, 1);
    }
    int64_t t1 = bench_now_ns();
    pthread_join(th, NULL);
    return (double)(t1 - t0);
}

static void *eventfd_peer(void *p)
{
    pingpong *pp = p;
    uint64_t v;
    for (long i = 0; i < pp->n; i++) {
        if (read(pp->efd_b, &v, sizeof v) != sizeof v)
            abort();
        v = 1;
        if (write(pp->efd_a, &v, sizeof v) != sizeof v)
            abort();
    }
    return NULL;
}

double floor_eventfd_roundtrip(long n)
{
    pingpong pp = {.n = n, .efd_a = eventfd(0, 0), .efd_b = eventfd(0, 0)};
    pthread_t th;
    pthread_create(&th, NULL, eventfd_peer, &pp);
    uint64_t v;
    int64_t t0 = bench_now_ns();
    for (long i = 0; i < n; i++) {
        v = 1;
        if (write(pp.efd_b, &v, sizeof v) != sizeof v)
            abort();
        if (read(pp.efd_a, &v, sizeof v) != sizeof v)
            abort();
    }
    int64_t t1 = bench_now_ns();
    pthread_join(th, NULL);
    close(pp.efd_a);
    close(pp.efd_b);
    return (double)(t1 - t0);
}

#define RING 65536

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    int64_t buf[RING];
    size_t head, len;
    long per;
    int id;
} ring;

typedef struct {
    ring *r;
    int id;
} producer_arg;

static void *ring_producer(void *p)
{
    producer_arg *a = p;
    ring *r = a->r;
    for (long i = 0; i < r->per; i++) {
        int64_t v = ((int64_t)a->id << 40) | i;
        pthread_mutex_lock(&r->mu);
        while (r->len == RING)
            pthread_cond_wait(&r->nonfull, &r->mu);
        r->buf[(r->head + r->len) % RING] = v;
        if (r->len++ == 0)
            pthread_cond_signal(&r->nonempty); /* wake only on empty -> non-empty */
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

double floor_ring_throughput(long n, int producers)
{
    ring *r = calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->nonempty, NULL);
    pthread_cond_init(&r->nonfull, NULL);
    r->per = n / producers;
    long total = r->per * producers;
    pthread_t th[8];
    producer_arg args[8];
    int64_t next[8] = {0};
    static int64_t batch[RING];
    int bad = 0;
    int64_t t0 = bench_now_ns();
    for (int p = 0; p < producers; p++) {
        args[p] = (producer_arg){r, p};
        pthread_create(&th[p], NULL, ring_producer, &args[p]);
    }
    for (long got = 0; got < total;) {
        pthread_mutex_lock(&r->mu);
        while (r->len == 0)
            pthread_cond_wait(&r->nonempty, &r->mu);
        size_t k = r->len;
        for (size_t i = 0; i < k; i++) /* batch drain: copy out, run unlocked */
            batch[i] = r->buf[(r->head + i) % RING];
        bool was_full = r->len == RING;
        r->head = (r->head + k) % RING;
        r->len = 0;
        if (was_full)
            pthread_cond_broadcast(&r->nonfull);
        pthread_mutex_unlock(&r->mu);
        for (size_t i = 0; i < k; i++) {
            int p = (int)(batch[i] >> 40);
            if ((batch[i] & ((INT64_C(1) << 40) - 1)) != next[p]++)
                bad = 1;
        }
        got += (long)k;
    }
    int64_t t1 = bench_now_ns();
    for (int p = 0; p < producers; p++)
        pthread_join(th[p], NULL);
    free(r);
    return bad ? -1 : (double)(t1 - t0);
}

/* ---- fd readiness: one thread in epoll_wait ------------------------------ */

#include <sys/epoll.h>

typedef struct {
    int ep, stop_fd;
    void (*ready)(int fd);
} epoll_peer;

static void *epoll_thread(void *p)
{
    epoll_peer *e = p;
    struct epoll_event ev[64];
    for (;;) {
        int n = epoll_wait(e->ep, ev, 64, -1);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.fd == e->stop_fd)
                return NULL;
            e->ready(ev[i].data.fd);
        }
    }
}

int floor_epoll_io(const int *fds, int nfds, void (*ready)(int fd), int (*drive)(void))
{
    epoll_peer e = {epoll_create1(EPOLL_CLOEXEC), eventfd(0, EFD_CLOEXEC), ready};
    if (e.ep < 0 || e.stop_fd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN};
    for (int i = 0; i < nfds; i++) {
        ev.data.fd = fds[i];
        if (epoll_ctl(e.ep, EPOLL_CTL_ADD, fds[i], &ev) != 0)
            return -1;
    }
    ev.data.fd = e.stop_fd;
    epoll_ctl(e.ep, EPOLL_CTL_ADD, e.stop_fd, &ev);
    pthread_t th;
    pthread_create(&th, NULL, epoll_thread, &e);
    int rc = drive();
    uint64_t one = 1;
    if (write(e.stop_fd, &one, sizeof one) != sizeof one)
        rc = -1;
    pthread_join(th, NULL);
    close(e.stop_fd);
    close(e.ep);
    return rc;
}
