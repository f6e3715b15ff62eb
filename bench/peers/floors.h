/* SPDX-License-Identifier: MIT */
/* floors.h — what the hardware and kernel allow with no framework at all:
 * the floors every scenario compares against. */
#ifndef CQT_BENCH_FLOORS_H
#define CQT_BENCH_FLOORS_H

#include <stdint.h>

/* n ping-pongs between two threads over one futex word; total ns. */
double floor_futex_roundtrip(long n);
/* n ping-pongs over two eventfds (blocking reads); total ns. */
double floor_eventfd_roundtrip(long n);
/* n int64 from @producers threads into a mutex-guarded ring; the consumer
 * drains everything present per wake-up (condvar on empty). Total ns,
 * < 0 when a value arrived out of order. */
double floor_ring_throughput(long n, int producers);
/* fd readiness: a thread in epoll_wait on @fds (level-triggered) calls
 * ready(fd) for each readable one while drive() runs in the calling
 * thread; returns drive()'s result, -1 when the setup failed. */
int floor_epoll_io(const int *fds, int nfds, void (*ready)(int fd), int (*drive)(void));

#endif
