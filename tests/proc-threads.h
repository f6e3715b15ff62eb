/* proc-threads.h — how many OS threads this process has, from
 * /proc/self/task: the one counter the tests, the stress suite and both
 * halves of the pitfall suite share. Plain C, no Check, no cqt. */
#ifndef CQT_TESTS_PROC_THREADS_H
#define CQT_TESTS_PROC_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/* Returns: the number of threads in this process now; -1 when
 * /proc/self/task cannot be read. Thread: any. */
int proc_thread_count(void);

#ifdef __cplusplus
}
#endif

#endif /* CQT_TESTS_PROC_THREADS_H */
