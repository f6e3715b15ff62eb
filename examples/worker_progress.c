/* SPDX-License-Identifier: MIT */
/* worker_progress.c — a generator worker computes the mean of 400 million
 * random samples in the pool; progress is printed by the main thread, the
 * worker is paused for half a second at 40% and resumed, and Ctrl+C quits it. */
#include <cqt/cqt.h>
#include <cqt/worker.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#define N 400000000LL
#define STEPS 100

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { (void)sig; interrupted = 1; }

static int mean_body(void *data, cqt_worker *w, cqt_value *result)
{
    uint64_t x = *(uint64_t *)data; /* xorshift64 state */
    double sum = 0;
    for (long long i = 0, step = 0; step < STEPS; step++) {
        for (long long end = N / STEPS * (step + 1); i < end; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            sum += (double)(x >> 11) / 9007199254740992.0; /* uniform [0, 1) */
        }
        cqt_value partial = cqt_value_double(sum / (double)i);
        if (cqt_worker_yield(w, &partial, NULL) == CQT_ECANCELED)
            return CQT_ECANCELED; /* quit: stop now, the outcome is `aborted` */
    }
    *result = cqt_value_double(sum / (double)N);
    return CQT_OK;
}

static double partial;
static void on_yield(void *u, cqt_worker *w, const cqt_value *v) { (void)u; (void)w; partial = cqt_value_get_double(v); }
static void resume(void *w) { puts("\nresuming"); cqt_worker_resume(w); }

static void on_progress(void *receiver, cqt_worker *w, const cqt_value *arg)
{
    cqt_worker_progress_info p;
    cqt_worker_progress_read(arg, &p);
    printf("\r%3lld%%  mean so far %.6f", (long long)(p.done * 100 / p.total), partial);
    fflush(stdout);
    if (p.done == p.total * 4 / 10) { /* after this yield the generator blocks */
        cqt_worker_pause(w);
        cqt_single_shot(500, receiver, resume, w);
    }
}

static void on_paused(void *u, cqt_worker *w, const cqt_value *a) { (void)u; (void)w; (void)a; printf("\npaused in '%s'", cqt_worker_name(w)); }
static void on_returned(void *u, cqt_worker *w, const cqt_value *v) { (void)u; (void)w; printf("\nmean = %.6f\n", cqt_value_get_double(v)); }
static void on_aborted(void *u, cqt_worker *w, const cqt_value *a) { (void)u; (void)w; (void)a; puts("\naborted"); }
static void on_finished(void *u, cqt_worker *w, const cqt_value *a) { (void)u; (void)w; (void)a; cqt_app_quit(0); }
static void poll_sigint(void *w, cqt_object *o, int id) { (void)o; (void)id; if (interrupted) cqt_worker_quit(w); }

int main(int argc, char **argv)
{
    if (cqt_app_init(&argc, argv, CQT_APP_CORE) != CQT_OK)
        return fprintf(stderr, "cqt_app_init: %s\n", cqt_last_error()), 1;
    signal(SIGINT, on_sigint);
    static uint64_t seed = 0x9E3779B97F4A7C15u;
    cqt_object *main_obj = cqt_object_new(NULL);
    cqt_worker *w = cqt_worker_new_generator("mean", mean_body, &seed, NULL);
    if (!main_obj || !w)
        return fprintf(stderr, "setup failed: %s\n", cqt_last_error()), 1;
    cqt_worker_set_total(w, STEPS);
    cqt_worker_connect(w, CQT_WORKER_YIELDED, NULL, on_yield, NULL, NULL);
    cqt_worker_connect(w, CQT_WORKER_PROGRESS, NULL, on_progress, main_obj, NULL);
    cqt_worker_connect(w, CQT_WORKER_PAUSED, NULL, on_paused, NULL, NULL);
    cqt_worker_connect(w, CQT_WORKER_RETURNED, NULL, on_returned, NULL, NULL);
    cqt_worker_connect(w, CQT_WORKER_ABORTED, NULL, on_aborted, NULL, NULL);
    cqt_worker_connect(w, CQT_WORKER_FINISHED, NULL, on_finished, NULL, NULL);
    cqt_object_start_timer(main_obj, 50, CQT_TIMER_COARSE, poll_sigint, w);
    int rc = cqt_worker_start(w) == CQT_OK ? cqt_app_exec() : 1;
    cqt_worker_unref(w);
    cqt_object_free(main_obj);
    return cqt_app_shutdown(5000) == CQT_OK ? rc : 1;
}
