/* SPDX-License-Identifier: MIT */
/* proc-threads.h — this process' OS threads, read from /proc/self/task:
 * the one reader the demo, the tests, the stress suite and both halves of
 * the pitfall suite share. Plain C (callable from C++), Linux only, never
 * part of the library. */
#ifndef CQT_COMMON_PROC_THREADS_H
#define CQT_COMMON_PROC_THREADS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Returns: the number of threads in this process now, leaving out those
 * whose name (/proc/.../comm) is @skip_name (nullable: count all); -1 when
 * /proc/self/task cannot be read. Thread: any. */
int proc_thread_count(const char *skip_name);

/* Returns: the count once it stopped changing (the same on 3 reads 15 ms
 * apart), or after @max_ms: threads that were joined may still be leaving
 * (Qt's threads are detached; QThread::wait returns first). Polls: the
 * kernel sends no event when a thread is gone. Thread: any. */
int proc_thread_count_settled(int max_ms);

/* Writes the names of this process' threads into @out (@size bytes, always
 * terminated, cut at a name that does not fit), separated by blanks and
 * each in single quotes when @quoted. Thread: any. */
void proc_thread_names(char *out, size_t size, bool quoted);

#ifdef __cplusplus
}
#endif

#endif /* CQT_COMMON_PROC_THREADS_H */
