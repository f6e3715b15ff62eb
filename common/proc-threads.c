/* SPDX-License-Identifier: MIT */
/* proc-threads.c — see proc-threads.h. */
#include "proc-threads.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The name of thread @tid ("" when it is gone). */
static void thread_name(const char *tid, char *comm, size_t size)
{
    char path[300];
    comm[0] = '\0';
    snprintf(path, sizeof path, "/proc/self/task/%s/comm", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(comm, (int)size, f))
        comm[strcspn(comm, "\n")] = '\0';
    fclose(f);
}

int proc_thread_count(const char *skip_name)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (skip_name) {
            char comm[64];
            thread_name(e->d_name, comm, sizeof comm);
            if (strcmp(comm, skip_name) == 0)
                continue;
        }
        n++;
    }
    closedir(d);
    return n;
}

void proc_thread_names(char *out, size_t size, bool quoted)
{
    if (!out || size == 0)
        return;
    out[0] = '\0';
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return;
    size_t len = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char comm[64];
        thread_name(e->d_name, comm, sizeof comm);
        int n = snprintf(out + len, size - len, quoted ? "%s'%s'" : "%s%s", len ? " " : "", comm);
        if (n < 0 || (size_t)n >= size - len) {
            out[len] = '\0';
            break;
        }
        len += (size_t)n;
    }
    closedir(d);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int proc_thread_count_settled(int max_ms)
{
    int n = proc_thread_count(NULL), stable = 0;
    int64_t end = now_ms() + max_ms;
    while (stable < 3 && now_ms() < end) {
        struct timespec ts = {0, 15000000};
        nanosleep(&ts, NULL);
        int m = proc_thread_count(NULL);
        stable = m == n ? stable + 1 : 0;
        n = m;
    }
    return n;
}
