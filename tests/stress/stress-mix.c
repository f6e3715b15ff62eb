/* SPDX-License-Identifier: MIT */
/* stress-mix.c — the stress scenarios (see stress-mix.h).
 *
 * Waiting is always on a condition (a counter reaching its goal, checked
 * while the main loop runs, or a condition variable), never a sleep. The
 * only fixed pauses pace the "chaos" threads so that they interleave with
 * the load instead of finishing before it starts. */
#include "stress-mix.h"
#include "proc-threads.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cqt/axis.h>
#include <cqt/io.h>
#include <cqt/stage.h>
#include <cqt/worker.h>

#define WAIT_MS 60000 /* generous: a correct run never waits this long */

/* ---- failure reporting ------------------------------------------------- */

static stress_fail_fn fail_handler;

void stress_set_fail_handler(stress_fail_fn fn)
{
    fail_handler = fn;
}

void stress_fail(const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (fail_handler)
        fail_handler(file, line, msg);
    fprintf(stderr, "%s:%d: stress check failed: %s\n", file, line, msg);
    exit(1);
}

/* ---- scale ----------------------------------------------------------- */

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRESS_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define STRESS_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#endif

static const char *scale_reason = "plain";

static bool under_valgrind(void)
{
    /* valgrind preloads its own libraries into the client. */
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload") != NULL;
}

static double scale_value = 1.0;

/* Computed once (pthread_once): every thread of the mix asks. */
static void compute_scale(void)
{
    const char *env = getenv("CQT_STRESS_SCALE");
    if (env && *env) {
        double s = strtod(env, NULL);
        if (s > 0 && s <= 10) {
            scale_reason = "CQT_STRESS_SCALE";
            scale_value = s;
            return;
        }
    }
    if (under_valgrind()) {
        scale_reason = "valgrind";
        scale_value = 0.01;
        return;
    }
#if defined(STRESS_TSAN)
    scale_reason = "tsan";
    scale_value = 0.1;
    return;
#elif defined(STRESS_ASAN)
    scale_reason = "asan";
    scale_value = 0.25;
    return;
#else
    scale_reason = "plain";
    scale_value = 1.0;
    return;
#endif
}

double stress_scale(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, compute_scale);
    return scale_value;
}

const char *stress_scale_reason(void)
{
    (void)stress_scale();
    return scale_reason;
}

static int64_t scaled(int64_t n, int64_t min)
{
    int64_t v = (int64_t)((double)n * stress_scale());
    return v < min ? min : v;
}

/* ---- helpers ----------------------------------------------------------- */

static double now_s(void)
{
    return (double)cqt_now_ns() / 1e9;
}

static int64_t ld(const int64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static int64_t add(int64_t *p, int64_t d)
{
    return __atomic_add_fetch(p, d, __ATOMIC_SEQ_CST);
}

static int ldi(const int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void sti(int *p, int v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static int addi(int *p, int d)
{
    return __atomic_add_fetch(p, d, __ATOMIC_SEQ_CST);
}

/* xorshift, one state per thread. */
static uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* A short pause for pacing chaos threads (not for synchronisation). */
static void pace_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef bool (*pred_fn)(void *arg);

/* Runs the main loop until pred holds or timeout_ms passes. */
static bool run_until(pred_fn pred, void *arg, int timeout_ms)
{
    double end = now_s() + timeout_ms / 1000.0;
    while (!pred(arg)) {
        if (now_s() > end)
            return pred(arg);
        cqt_app_process_events(5);
    }
    return true;
}

long stress_rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = -1;
    fclose(f);
    return rss < 0 ? -1 : rss * 4;
}

int stress_thread_count(void)
{
    return proc_thread_count(NULL);
}

static struct {
    pthread_t th;
    int stop;
    int peak_threads;
    long peak_rss;
    bool running;
} sampler;

static void *sampler_main(void *arg)
{
    (void)arg;
    while (!ldi(&sampler.stop)) {
        int n = stress_thread_count();
        long r = stress_rss_kb();
        if (n > sampler.peak_threads)
            sampler.peak_threads = n;
        if (r > sampler.peak_rss)
            sampler.peak_rss = r;
        pace_ms(20);
    }
    return NULL;
}

void stress_sampler_start(void)
{
    sampler.stop = 0;
    sampler.peak_threads = stress_thread_count();
    sampler.peak_rss = stress_rss_kb();
    sampler.running = pthread_create(&sampler.th, NULL, sampler_main, NULL) == 0;
}

void stress_sampler_stop(int *peak_threads, long *peak_rss_kb)
{
    if (sampler.running) {
        sti(&sampler.stop, 1);
        pthread_join(sampler.th, NULL);
        sampler.running = false;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *peak_threads = sampler.peak_threads;
    *peak_rss_kb = sampler.peak_rss > ru.ru_maxrss ? sampler.peak_rss : ru.ru_maxrss;
}

void stress_print(const stress_figures *f)
{
    printf("stress %-9s scale %.2f (%s): %.1f s, %lld ops (%.0f ops/s), %lld checked, "
           "%lld violations, peak threads %d, peak RSS %ld kB%s%s\n",
           f->name, stress_scale(), stress_scale_reason(), f->seconds, (long long)f->ops,
           f->seconds > 0 ? (double)f->ops / f->seconds : 0.0, (long long)f->checked,
           (long long)f->violations, f->peak_threads, f->peak_rss_kb, f->detail[0] ? "; " : "",
           f->detail);
    fflush(stdout);
}

static void begin(stress_figures *f, const char *name)
{
    memset(f, 0, sizeof *f);
    f->name = name;
    f->seconds = now_s();
    stress_sampler_start();
}

static void end(stress_figures *f)
{
    f->seconds = now_s() - f->seconds;
    stress_sampler_stop(&f->peak_threads, &f->peak_rss_kb);
}

static bool live_counts_zero(void *arg)
{
    cqt_live_counts *c = arg;
    cqt_debug_live_counts(c);
    return c->threads == 0 && c->objects == 0 && c->timers == 0 && c->signal_handles == 0 &&
           c->connections == 0 && c->events == 0 && c->workers == 0 && c->pending == 0;
}

static void check_live_counts_zero(const char *scenario)
{
    cqt_live_counts c;
    bool ok = run_until(live_counts_zero, &c, WAIT_MS);
    STRESS_CHECK(ok,
                 "%s: live handles left: threads=%lld objects=%lld timers=%lld signals=%lld "
                 "connections=%lld events=%lld workers=%lld pending=%lld",
                 scenario, (long long)c.threads, (long long)c.objects, (long long)c.timers,
                 (long long)c.signal_handles, (long long)c.connections, (long long)c.events,
                 (long long)c.workers, (long long)c.pending);
}

/* ======================================================================
 * Queued delivery under load
 * ==================================================================== */

#define NPROD 8
#define NRECV_THREADS 4
#define NPERM NRECV_THREADS
#define MAX_TRANSIENT 6
#define FLOW_HIGH 40000
#define FLOW_LOW 20000

typedef struct payload {
    int producer;
    int64_t seq;
} payload;

typedef struct receiver {
    cqt_object *obj;
    bool permanent;
    int refs;                /* 1 for the churner/owner + 1 per connection + pending moves */
    int freeing;             /* set before cqt_object_free() is called */
    int freed;               /* set once cqt_object_free() returned */
    int late;                /* slots that ran after that (at most 1 allowed) */
    int64_t last[NPROD];     /* last seq seen per producer, -1: none yet */
    int64_t got;
} receiver;

static struct delivery {
    cqt_thread *rthreads[NRECV_THREADS];
    cqt_thread *pthreads_cqt[3];
    cqt_object *sig_owner;
    cqt_signal *sig[NPROD];
    int64_t per_producer;
    int64_t payloads_made, payloads_freed, outstanding;
    int64_t deliveries, violations, after_free;
    int64_t moves, frees, creates, receivers_freed;
    int producers_done;
    int churn_stop;
    int stop_flow;           /* shutdown mode: producers stop waiting for the backlog */
    int64_t next_seq[NPROD]; /* each written by its producer only */
    cqt_object *prod_objs[3];
    bool shutdown_mode; /* stop producing at the first refusal, accept refusals */
    pthread_mutex_t flow_mu;
    pthread_cond_t flow_cv;
    int flow_waiters;
    receiver *perm[NPERM];
    char first_violation[256];
} D;

static void note_violation(int64_t *counter, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static pthread_mutex_t violation_mu = PTHREAD_MUTEX_INITIALIZER;

static void note_violation(int64_t *counter, const char *fmt, ...)
{
    if (add(counter, 1) == 1) {
        pthread_mutex_lock(&violation_mu);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(D.first_violation, sizeof D.first_violation, fmt, ap);
        va_end(ap);
        pthread_mutex_unlock(&violation_mu);
    }
}

static void payload_free(void *p)
{
    free(p);
    add(&D.payloads_freed, 1);
    int64_t left = add(&D.outstanding, -1);
    if (left == FLOW_LOW && ldi(&D.flow_waiters) > 0) {
        pthread_mutex_lock(&D.flow_mu);
        pthread_cond_broadcast(&D.flow_cv);
        pthread_mutex_unlock(&D.flow_mu);
    }
}

/* Keeps the backlog bounded: producers wait while too many payloads live. */
static void flow_wait(void)
{
    if (ld(&D.outstanding) < FLOW_HIGH)
        return;
    pthread_mutex_lock(&D.flow_mu);
    addi(&D.flow_waiters, 1);
    while (ld(&D.outstanding) > FLOW_LOW && !ldi(&D.stop_flow)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L; /* re-check: the broadcast may be missed */
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&D.flow_cv, &D.flow_mu, &ts);
    }
    addi(&D.flow_waiters, -1);
    pthread_mutex_unlock(&D.flow_mu);
}

static void recv_unref(void *p)
{
    receiver *r = p;
    if (addi(&r->refs, -1) == 0) {
        add(&D.receivers_freed, 1);
        free(r);
    }
}

static void recv_slot(void *user_data, const cqt_value *arg)
{
    receiver *r = user_data;
    const payload *pl = cqt_value_get_pointer(arg);
    if (ldi(&r->freed)) {
        /* cqt_object_free() from a foreign thread does not wait: the one
         * delivery that had passed the owner thread's liveness check when
         * it was called may still run ("one already running finishes").
         * A second one would have started after the free. */
        if (addi(&r->late, 1) > 1)
            note_violation(&D.after_free,
                           "a second slot ran for a receiver after cqt_object_free returned");
        return;
    }
    if (!pl) {
        note_violation(&D.violations, "a delivery carried no payload");
        return;
    }
    int p = pl->producer;
    int64_t last = __atomic_load_n(&r->last[p], __ATOMIC_RELAXED);
    bool ok;
    if (last < 0)
        ok = !r->permanent || pl->seq == 0;
    else
        ok = pl->seq == last + 1;
    if (!ok)
        note_violation(&D.violations,
                       "producer %d: receiver %s got seq %lld after %lld (lost, duplicated or "
                       "out of order)",
                       p, r->permanent ? "permanent" : "transient", (long long)pl->seq,
                       (long long)last);
    __atomic_store_n(&r->last[p], pl->seq, __ATOMIC_RELAXED);
    __atomic_add_fetch(&r->got, 1, __ATOMIC_RELAXED);
    add(&D.deliveries, 1);
}

static receiver *recv_new(int thread_index, bool permanent, uint32_t *seed)
{
    receiver *r = calloc(1, sizeof *r);
    STRESS_CHECK(r != NULL, "out of memory");
    r->permanent = permanent;
    r->refs = 1;
    for (int p = 0; p < NPROD; p++)
        r->last[p] = -1;
    r->obj = cqt_object_new(D.rthreads[thread_index]);
    if (!r->obj) {
        STRESS_CHECK(D.shutdown_mode, "cqt_object_new: %s", cqt_last_error());
        free(r);
        return NULL;
    }
    add(&D.creates, 1);
    /* Permanent receivers listen to every producer; transient ones to two. */
    int first = seed ? (int)(rnd(seed) % NPROD) : 0;
    int count = permanent ? NPROD : 2;
    for (int k = 0; k < count; k++) {
        int p = (first + k * 3) % NPROD;
        addi(&r->refs, 1);
        cqt_connection c = cqt_connect(D.sig[p], r->obj, recv_slot, r, recv_unref,
                                       (k & 1) ? CQT_QUEUED : CQT_AUTO);
        if (c == 0)
            STRESS_CHECK(D.shutdown_mode, "cqt_connect: %s", cqt_last_error());
    }
    return r;
}

static void recv_free(receiver *r)
{
    sti(&r->freeing, 1);
    cqt_object_free(r->obj);
    sti(&r->freed, 1);
    add(&D.frees, 1);
    recv_unref(r);
}

/* Runs in the receiver's thread: pushes it to another receiver thread. */
static void recv_move_here(void *user_data)
{
    receiver *r = user_data;
    cqt_thread *cur = cqt_object_thread(r->obj);
    int i = 0;
    while (i < NRECV_THREADS && D.rthreads[i] != cur)
        i++;
    cqt_thread *to = D.rthreads[(i + 1 + (int)(ld(&D.moves) % 3)) % NRECV_THREADS];
    int rc = cqt_object_move_to_thread(r->obj, to);
    if (rc == CQT_OK)
        add(&D.moves, 1);
    else if (rc == CQT_EINVAL && ldi(&r->freeing)) {
        /* freed by the churner while this call ran: refused, as documented */
    } else if (!D.shutdown_mode)
        note_violation(&D.violations, "cqt_object_move_to_thread from the owner: %s (%s)",
                       cqt_status_name(rc), cqt_last_error());
}

static void recv_request_move(receiver *r)
{
    addi(&r->refs, 1);
    int rc = cqt_invoke_full(r->obj, recv_move_here, r, recv_unref, CQT_QUEUED);
    if (rc != CQT_OK && !D.shutdown_mode)
        note_violation(&D.violations, "cqt_invoke (move request): %s", cqt_status_name(rc));
}

/* Emits up to @max values of producer @p (continuing its sequence).
 * Returns true when the producer is finished: all values sent or, in
 * shutdown mode, the first refusal. */
static bool produce_some(int p, int64_t max)
{
    for (int64_t k = 0; k < max; k++) {
        int64_t seq = D.next_seq[p];
        if (seq >= D.per_producer)
            return true;
        if (D.shutdown_mode && (ldi(&D.stop_flow) || cqt_worker_abort_requested()))
            return true;
        flow_wait();
        payload *pl = malloc(sizeof *pl);
        STRESS_CHECK(pl != NULL, "out of memory");
        pl->producer = p;
        pl->seq = seq;
        add(&D.payloads_made, 1);
        add(&D.outstanding, 1);
        cqt_value v = cqt_value_pointer(pl, payload_free);
        int rc = cqt_emit(D.sig[p], &v);
        cqt_value_clear(&v);
        D.next_seq[p] = seq + 1;
        if (rc != CQT_OK) {
            if (!D.shutdown_mode)
                note_violation(&D.violations, "cqt_emit by producer %d: %s (%s)", p,
                               cqt_status_name(rc), cqt_last_error());
            return true;
        }
    }
    return D.next_seq[p] >= D.per_producer;
}

/* In a cqt thread: a batch at a time, re-queued, so that the thread's loop
 * stays able to quit (and a shutdown can stop it between batches). */
static void produce_in_cqt_thread(void *user_data)
{
    int i = (int)(intptr_t)user_data;
    if (produce_some(i, D.shutdown_mode ? 256 : INT64_MAX)) {
        addi(&D.producers_done, 1);
        return;
    }
    if (cqt_invoke(D.prod_objs[i], produce_in_cqt_thread, user_data, CQT_QUEUED) != CQT_OK)
        addi(&D.producers_done, 1); /* refused: the thread is stopping */
}

static int produce_in_worker(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)w;
    (void)result;
    produce_some((int)(intptr_t)user_data, INT64_MAX);
    addi(&D.producers_done, 1);
    return CQT_OK;
}

static void *produce_in_pthread(void *arg)
{
    produce_some((int)(intptr_t)arg, INT64_MAX);
    addi(&D.producers_done, 1);
    return NULL;
}

static void *churn_main(void *arg)
{
    (void)arg;
    uint32_t seed = 0xc0ffee;
    receiver *tr[MAX_TRANSIENT] = {0};
    int n = 0;
    while (!ldi(&D.churn_stop)) {
        uint32_t op = rnd(&seed) % 10;
        if (op < 3 && n < MAX_TRANSIENT) {
            receiver *r = recv_new((int)(rnd(&seed) % NRECV_THREADS), false, &seed);
            if (r)
                tr[n++] = r;
        } else if (op < 6 && n > 0) {
            int i = (int)(rnd(&seed) % (uint32_t)n);
            recv_free(tr[i]);
            tr[i] = tr[--n];
        } else if (op < 9 && n > 0) {
            recv_request_move(tr[rnd(&seed) % (uint32_t)n]);
        } else {
            recv_request_move(D.perm[rnd(&seed) % NPERM]);
        }
        pace_ms(1);
    }
    for (int i = 0; i < n; i++)
        recv_free(tr[i]);
    return NULL;
}

static bool delivery_drained(void *arg)
{
    (void)arg;
    return ldi(&D.producers_done) == NPROD && ld(&D.outstanding) == 0;
}

/* Sets up threads, signals and permanent receivers. */
static void delivery_setup(int64_t total)
{
    memset(&D, 0, sizeof D);
    pthread_mutex_init(&D.flow_mu, NULL);
    pthread_cond_init(&D.flow_cv, NULL);
    D.per_producer = total / NPROD;
    char name[32];
    for (int i = 0; i < NRECV_THREADS; i++) {
        snprintf(name, sizeof name, "recv-%d", i);
        D.rthreads[i] = cqt_thread_new(name);
        STRESS_CHECK(cqt_thread_start(D.rthreads[i]) == CQT_OK, "start: %s", cqt_last_error());
    }
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "prod-%d", i);
        D.pthreads_cqt[i] = cqt_thread_new(name);
        STRESS_CHECK(cqt_thread_start(D.pthreads_cqt[i]) == CQT_OK, "start: %s",
                     cqt_last_error());
    }
    D.sig_owner = cqt_object_new(NULL);
    for (int p = 0; p < NPROD; p++) {
        snprintf(name, sizeof name, "producer-%d", p);
        D.sig[p] = cqt_signal_new(D.sig_owner, name);
        STRESS_CHECK(D.sig[p] != NULL, "cqt_signal_new: %s", cqt_last_error());
    }
    for (int i = 0; i < NPERM; i++)
        D.perm[i] = recv_new(i, true, NULL);
}

/* Starts the 8 producers: 3 in cqt threads, 2 workers, 3 plain pthreads. */
static void delivery_start(cqt_worker *workers[2], pthread_t pts[3])
{
    for (int i = 0; i < 3; i++) {
        D.prod_objs[i] = cqt_object_new(D.pthreads_cqt[i]);
        STRESS_CHECK(cqt_invoke(D.prod_objs[i], produce_in_cqt_thread, (void *)(intptr_t)i,
                                CQT_QUEUED) == CQT_OK,
                     "invoke producer: %s", cqt_last_error());
    }
    for (int i = 0; i < 2; i++) {
        workers[i] = cqt_worker_new("producer", produce_in_worker, (void *)(intptr_t)(3 + i), NULL);
        STRESS_CHECK(workers[i] && cqt_worker_start(workers[i]) == CQT_OK, "worker: %s",
                     cqt_last_error());
    }
    for (int i = 0; i < 3; i++)
        pthread_create(&pts[i], NULL, produce_in_pthread, (void *)(intptr_t)(5 + i));
}

static void delivery_teardown(cqt_worker *workers[2])
{
    for (int i = 0; i < 2; i++)
        if (workers[i])
            cqt_worker_unref(workers[i]);
    for (int i = 0; i < 3; i++)
        cqt_object_free(D.prod_objs[i]);
    for (int i = 0; i < NPERM; i++)
        if (D.perm[i])
            recv_free(D.perm[i]);
    cqt_object_free(D.sig_owner);
    for (int i = 0; i < 3; i++)
        cqt_thread_free(D.pthreads_cqt[i]);
    for (int i = 0; i < NRECV_THREADS; i++)
        cqt_thread_free(D.rthreads[i]);
}

void stress_delivery(stress_figures *f)
{
    begin(f, "delivery");
    int64_t total = scaled(2000000, 8000);
    cqt_pool_set_max_threads(8);
    delivery_setup(total);

    pthread_t churner;
    pthread_create(&churner, NULL, churn_main, NULL);
    cqt_worker *workers[2];
    pthread_t pts[3];
    delivery_start(workers, pts);

    bool drained = run_until(delivery_drained, NULL, 20 * WAIT_MS);
    sti(&D.churn_stop, 1);
    pthread_join(churner, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(pts[i], NULL);
    STRESS_CHECK(drained, "delivery: not drained: producers done %d/%d, %lld payloads alive",
                 ldi(&D.producers_done), NPROD, (long long)ld(&D.outstanding));
    drained = run_until(delivery_drained, NULL, WAIT_MS); /* payloads of the last frees */
    STRESS_CHECK(drained, "delivery: %lld payloads still alive", (long long)ld(&D.outstanding));

    /* Permanent receivers got every value of every producer, in order. */
    int64_t perm_total = 0;
    for (int i = 0; i < NPERM; i++) {
        receiver *r = D.perm[i];
        for (int p = 0; p < NPROD; p++) {
            int64_t last = __atomic_load_n(&r->last[p], __ATOMIC_RELAXED);
            STRESS_CHECK(last == D.per_producer - 1,
                         "permanent receiver %d: last value of producer %d is %lld, expected %lld",
                         i, p, (long long)last, (long long)(D.per_producer - 1));
        }
        perm_total += __atomic_load_n(&r->got, __ATOMIC_RELAXED);
    }
    STRESS_CHECK(perm_total == (int64_t)NPERM * NPROD * D.per_producer,
                 "permanent receivers got %lld deliveries, expected %lld", (long long)perm_total,
                 (long long)((int64_t)NPERM * NPROD * D.per_producer));
    STRESS_CHECK(ld(&D.violations) == 0 && ld(&D.after_free) == 0,
                 "delivery: %lld order/loss violations, %lld after free; first: %s",
                 (long long)ld(&D.violations), (long long)ld(&D.after_free), D.first_violation);

    delivery_teardown(workers);
    run_until(delivery_drained, NULL, WAIT_MS);
    STRESS_CHECK(ld(&D.payloads_made) == ld(&D.payloads_freed),
                 "payloads: %lld made, %lld freed", (long long)ld(&D.payloads_made),
                 (long long)ld(&D.payloads_freed));
    check_live_counts_zero("delivery");
    STRESS_CHECK(ld(&D.receivers_freed) == ld(&D.creates),
                 "receivers: %lld created, %lld released (connection destroy functions)",
                 (long long)ld(&D.creates), (long long)ld(&D.receivers_freed));
    end(f);
    f->ops = ld(&D.payloads_made);
    f->checked = ld(&D.deliveries);
    f->violations = ld(&D.violations) + ld(&D.after_free);
    snprintf(f->detail, sizeof f->detail,
             "%lld values emitted by 8 producers, %lld receivers created, %lld freed, %lld moves, "
             "payloads made = freed = %lld",
             (long long)f->ops, (long long)ld(&D.creates), (long long)ld(&D.frees),
             (long long)ld(&D.moves), (long long)ld(&D.payloads_freed));
    pthread_mutex_destroy(&D.flow_mu);
    pthread_cond_destroy(&D.flow_cv);
}

/* ======================================================================
 * Timers
 * ==================================================================== */

#define NTIMER_THREADS 8
#define NCONTROLLERS 4

typedef struct trec {
    cqt_timer *t;
    int owner;
    int stopped;   /* set after cqt_timer_stop() returned, cleared before a start */
    int late_in_stop; /* fires seen since that stop (at most one may be in flight) */
    int final;     /* the final single-shot start happened */
    int64_t fires;
    int64_t final_fires;
} trec;

static struct timers {
    cqt_thread *threads[NTIMER_THREADS];
    cqt_object **owners;
    int nowners;
    trec *recs;
    int n;
    int *ids;
    int nids;
    int64_t ops, late_fires, moves, id_failures;
    pthread_barrier_t chaos_done;
    int controllers_done;
    int mover_stop;
    char first_problem[256];
} T;

static void timer_slot(void *user_data, const cqt_value *arg)
{
    (void)arg;
    trec *r = user_data;
    /* A fire already past its check when a stop from another thread lands
     * may still run (documented in timer.h, as GLib documents for
     * g_source_destroy): allow that one per stop, never a second. */
    if (ldi(&r->stopped) && !ldi(&r->final) &&
        __atomic_add_fetch(&r->late_in_stop, 1, __ATOMIC_SEQ_CST) > 1)
        add(&T.late_fires, 1);
    add(&r->fires, 1);
    if (ldi(&r->final))
        add(&r->final_fires, 1);
}

static void tick_nop(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
}

static void timer_owner_move_here(void *user_data)
{
    cqt_object *o = user_data;
    cqt_thread *cur = cqt_object_thread(o);
    int i = 0;
    while (i < NTIMER_THREADS && T.threads[i] != cur)
        i++;
    int rc = cqt_object_move_to_thread(o, T.threads[(i + 3) % NTIMER_THREADS]);
    if (rc == CQT_OK)
        add(&T.moves, 1);
}

static void flush_nop(void *user_data)
{
    (void)user_data;
}

typedef struct controller {
    int index;
    uint32_t seed;
} controller;

static void *timer_controller(void *arg)
{
    controller *c = arg;
    int lo = T.n * c->index / NCONTROLLERS, hi = T.n * (c->index + 1) / NCONTROLLERS;
    int idlo = T.nids * c->index / NCONTROLLERS, idhi = T.nids * (c->index + 1) / NCONTROLLERS;
    /* Chaos: start and stop repeating timers from this foreign thread. */
    for (int round = 0; round < 4; round++) {
        for (int i = lo; i < hi; i++) {
            trec *r = &T.recs[i];
            if (rnd(&c->seed) % 2) {
                sti(&r->stopped, 0);
                sti(&r->late_in_stop, 0);
                int rc = cqt_timer_start(r->t, 5 + (int)(rnd(&c->seed) % 40));
                STRESS_CHECK(rc == CQT_OK, "cqt_timer_start: %s (%s)", cqt_status_name(rc),
                             cqt_last_error());
            } else {
                int rc = cqt_timer_stop(r->t);
                STRESS_CHECK(rc == CQT_OK, "cqt_timer_stop: %s", cqt_status_name(rc));
                sti(&r->stopped, 1);
            }
            add(&T.ops, 1);
        }
        /* Object timers: ids must be unique across threads. */
        for (int k = idlo + (idhi - idlo) * round / 4; k < idlo + (idhi - idlo) * (round + 1) / 4;
             k++) {
            cqt_object *o = T.owners[rnd(&c->seed) % (uint32_t)T.nowners];
            int id = cqt_object_start_timer(o, 1000, CQT_TIMER_COARSE, tick_nop, NULL);
            T.ids[k] = id;
            if (id <= 0) {
                add(&T.id_failures, 1);
                continue;
            }
            int rc = cqt_object_kill_timer(o, id);
            if (rc != CQT_OK)
                add(&T.id_failures, 1);
            add(&T.ops, 2);
        }
    }
    for (int i = lo; i < hi; i++) {
        STRESS_CHECK(cqt_timer_stop(T.recs[i].t) == CQT_OK, "stop");
        sti(&T.recs[i].stopped, 1);
        add(&T.ops, 1);
    }
    /* A fire already past its check when a stop lands still runs its slot
     * (timer.h), and nothing bounds when: under valgrind's serialised
     * scheduling it came after `final` below was set and was counted as a
     * second single shot. It runs in its owner's thread, which owns the
     * object until it returns (moves run there too), so a call queued to
     * each owner after the stops runs after it: wait for one per owner. */
    bool *flushed = calloc((size_t)T.nowners, sizeof *flushed);
    STRESS_CHECK(flushed != NULL, "out of memory");
    for (int i = lo; i < hi; i++) {
        int ow = T.recs[i].owner;
        if (flushed[ow])
            continue;
        flushed[ow] = true;
        int rc = cqt_invoke(T.owners[ow], flush_nop, NULL, CQT_BLOCKING_QUEUED);
        STRESS_CHECK(rc == CQT_OK, "flush owner %d: %s (%s)", ow, cqt_status_name(rc), cqt_last_error());
    }
    free(flushed);
    /* Wait for every controller, so no repeating timer of another one is
     * still running, or has a fire in flight, when the single shots are
     * counted. */
    pthread_barrier_wait(&T.chaos_done);
    /* Final: one single shot per timer, each must fire exactly once. */
    for (int i = lo; i < hi; i++) {
        trec *r = &T.recs[i];
        STRESS_CHECK(cqt_timer_set_single_shot(r->t, true) == CQT_OK, "single shot");
        sti(&r->final, 1);
        int rc = cqt_timer_start(r->t, (int)(rnd(&c->seed) % 10));
        STRESS_CHECK(rc == CQT_OK, "final cqt_timer_start: %s", cqt_status_name(rc));
        add(&T.ops, 1);
    }
    addi(&T.controllers_done, 1);
    return NULL;
}

static void *timer_mover(void *arg)
{
    uint32_t seed = 77;
    (void)arg;
    while (!ldi(&T.mover_stop)) {
        cqt_object *o = T.owners[rnd(&seed) % (uint32_t)T.nowners];
        cqt_invoke(o, timer_owner_move_here, o, CQT_QUEUED);
        pace_ms(1);
    }
    return NULL;
}

static bool timers_final_fired(void *arg)
{
    (void)arg;
    if (ldi(&T.controllers_done) < NCONTROLLERS)
        return false;
    for (int i = 0; i < T.n; i++)
        if (ld(&T.recs[i].final_fires) < 1)
            return false;
    return true;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void stress_timers(stress_figures *f)
{
    begin(f, "timers");
    memset(&T, 0, sizeof T);
    T.n = (int)scaled(10000, 400);
    T.nowners = T.n / 25;
    T.nids = T.n;
    T.recs = calloc((size_t)T.n, sizeof *T.recs);
    T.owners = calloc((size_t)T.nowners, sizeof *T.owners);
    T.ids = calloc((size_t)T.nids, sizeof *T.ids);
    char name[32];
    for (int i = 0; i < NTIMER_THREADS; i++) {
        snprintf(name, sizeof name, "timers-%d", i);
        T.threads[i] = cqt_thread_new(name);
        STRESS_CHECK(cqt_thread_start(T.threads[i]) == CQT_OK, "start");
    }
    for (int i = 0; i < T.nowners; i++) {
        T.owners[i] = cqt_object_new(T.threads[i % NTIMER_THREADS]);
        STRESS_CHECK(T.owners[i] != NULL, "cqt_object_new: %s", cqt_last_error());
    }
    for (int i = 0; i < T.n; i++) {
        trec *r = &T.recs[i];
        r->owner = i % T.nowners;
        r->stopped = 1;
        r->t = cqt_timer_new(T.owners[r->owner], NULL);
        STRESS_CHECK(r->t != NULL, "cqt_timer_new: %s", cqt_last_error());
        cqt_timer_set_type(r->t, CQT_TIMER_PRECISE);
        STRESS_CHECK(cqt_connect(cqt_timer_timeout(r->t), T.owners[r->owner], timer_slot, r, NULL,
                                 CQT_AUTO) != 0,
                     "connect: %s", cqt_last_error());
    }

    pthread_t mover, ctl[NCONTROLLERS];
    controller cs[NCONTROLLERS];
    pthread_barrier_init(&T.chaos_done, NULL, NCONTROLLERS);
    pthread_create(&mover, NULL, timer_mover, NULL);
    for (int i = 0; i < NCONTROLLERS; i++) {
        cs[i].index = i;
        cs[i].seed = 1000u + (uint32_t)i;
        pthread_create(&ctl[i], NULL, timer_controller, &cs[i]);
    }
    bool fired = run_until(timers_final_fired, NULL, 5 * WAIT_MS);
    sti(&T.mover_stop, 1);
    pthread_join(mover, NULL);
    for (int i = 0; i < NCONTROLLERS; i++)
        pthread_join(ctl[i], NULL);
    int missing = 0, extra = 0;
    for (int i = 0; i < T.n; i++) {
        if (ld(&T.recs[i].final_fires) < 1)
            missing++;
        if (ld(&T.recs[i].final_fires) > 1)
            extra++;
    }
    STRESS_CHECK(fired && missing == 0, "timers: %d of %d single shots never fired", missing, T.n);
    STRESS_CHECK(extra == 0, "timers: %d single shots fired more than once", extra);
    STRESS_CHECK(ld(&T.late_fires) == 0, "timers: %lld fires after cqt_timer_stop returned",
                 (long long)ld(&T.late_fires));
    STRESS_CHECK(ld(&T.id_failures) == 0, "timers: %lld object-timer starts or kills failed",
                 (long long)ld(&T.id_failures));
    qsort(T.ids, (size_t)T.nids, sizeof *T.ids, cmp_int);
    int dups = 0;
    for (int i = 1; i < T.nids; i++)
        if (T.ids[i] == T.ids[i - 1])
            dups++;
    STRESS_CHECK(dups == 0, "timers: %d duplicate object-timer ids", dups);

    int64_t fires = 0;
    for (int i = 0; i < T.n; i++)
        fires += ld(&T.recs[i].fires);
    for (int i = 0; i < T.nowners; i++)
        cqt_object_free(T.owners[i]); /* frees its timers and their connections */
    for (int i = 0; i < NTIMER_THREADS; i++)
        cqt_thread_free(T.threads[i]);
    check_live_counts_zero("timers");
    end(f);
    f->ops = ld(&T.ops);
    f->checked = fires;
    f->violations = ld(&T.late_fires);
    snprintf(f->detail, sizeof f->detail,
             "%d timers on %d owners over %d threads, %lld fires, %lld owner moves, %d unique "
             "object-timer ids",
             T.n, T.nowners, NTIMER_THREADS, (long long)fires, (long long)ld(&T.moves), T.nids);
    pthread_barrier_destroy(&T.chaos_done);
    free(T.recs);
    free(T.owners);
    free(T.ids);
}

/* ======================================================================
 * Workers
 * ==================================================================== */

typedef struct wrec {
    cqt_worker *w;
    int index;
    int started, terminal, finished, bad_order;
    int which_terminal;
} wrec;

static struct workers_state {
    wrec *recs;
    int n;
    int64_t ops, refused, finished;
    int stop;
} W;

static int gen_body(void *user_data, cqt_worker *w, cqt_value *result)
{
    wrec *r = user_data;
    for (int i = 0; i < 12; i++) {
        cqt_value v = cqt_value_int(i), sent = {0};
        int rc = cqt_worker_yield(w, &v, &sent);
        cqt_value_clear(&v);
        cqt_value_clear(&sent);
        if (rc == CQT_ECANCELED)
            return CQT_OK; /* the outcome is `aborted` */
        if (rc < 0)
            return cqt_worker_fail(w, rc, "yield failed");
    }
    if (r->index % 11 == 0)
        return cqt_worker_fail(w, CQT_EFAULT, "planned failure of worker %d", r->index);
    *result = cqt_value_int(r->index);
    return CQT_OK;
}

static void w_started(void *ud, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    wrec *r = ud;
    r->started++;
    if (r->terminal || r->finished)
        r->bad_order++;
}

static void w_terminal(void *ud, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    wrec *r = ud;
    r->terminal++;
    if (r->finished)
        r->bad_order++;
}

static void w_finished(void *ud, cqt_worker *w, const cqt_value *arg)
{
    (void)w;
    (void)arg;
    wrec *r = ud;
    r->finished++;
    if (r->terminal != 1)
        r->bad_order++;
    add(&W.finished, 1);
}

static void *worker_controller(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg;
    int64_t ops = scaled(20000, 500);
    for (int64_t k = 0; k < ops && !ldi(&W.stop); k++) {
        wrec *r = &W.recs[rnd(&seed) % (uint32_t)W.n];
        int rc;
        switch (rnd(&seed) % 8) {
        case 0:
        case 1:
            rc = cqt_worker_pause(r->w);
            break;
        case 2:
        case 3:
            rc = cqt_worker_resume(r->w);
            break;
        case 4:
            rc = cqt_worker_toggle_pause(r->w);
            break;
        case 5:
        case 6: {
            cqt_value v = cqt_value_string("sent");
            rc = cqt_worker_send(r->w, &v);
            cqt_value_clear(&v);
            break;
        }
        default:
            rc = cqt_worker_quit(r->w);
            break;
        }
        if (rc == CQT_ESTATE || rc == CQT_ERANGE)
            add(&W.refused, 1); /* finished, or the send queue is full: documented */
        else
            STRESS_CHECK(rc == CQT_OK, "worker control: %s (%s)", cqt_status_name(rc),
                         cqt_last_error());
        add(&W.ops, 1);
    }
    return NULL;
}

static bool workers_all_finished(void *arg)
{
    (void)arg;
    return ld(&W.finished) == W.n;
}

void stress_workers(stress_figures *f)
{
    begin(f, "workers");
    memset(&W, 0, sizeof W);
    W.n = (int)scaled(5000, 100);
    W.recs = calloc((size_t)W.n, sizeof *W.recs);
    cqt_pool_set_max_threads(6);
    for (int i = 0; i < W.n; i++) {
        wrec *r = &W.recs[i];
        r->index = i;
        r->w = cqt_worker_new_generator(NULL, gen_body, r, NULL);
        STRESS_CHECK(r->w != NULL, "cqt_worker_new_generator: %s", cqt_last_error());
        cqt_worker_set_flags(r->w, CQT_WORKER_IGNORE_ERRORS);
        STRESS_CHECK(cqt_worker_connect(r->w, CQT_WORKER_STARTED, NULL, w_started, r, NULL) &&
                         cqt_worker_connect(r->w, CQT_WORKER_RETURNED, NULL, w_terminal, r, NULL) &&
                         cqt_worker_connect(r->w, CQT_WORKER_ERRORED, NULL, w_terminal, r, NULL) &&
                         cqt_worker_connect(r->w, CQT_WORKER_ABORTED, NULL, w_terminal, r, NULL) &&
                         cqt_worker_connect(r->w, CQT_WORKER_FINISHED, NULL, w_finished, r, NULL),
                     "cqt_worker_connect: %s", cqt_last_error());
    }
    pthread_t ctl[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&ctl[i], NULL, worker_controller, (void *)(uintptr_t)(31 + i));
    for (int i = 0; i < W.n; i++) {
        int rc = cqt_worker_start(W.recs[i].w);
        STRESS_CHECK(rc == CQT_OK, "cqt_worker_start: %s (%s)", cqt_status_name(rc),
                     cqt_last_error());
        if (i % 64 == 0)
            cqt_app_process_events(0);
    }
    for (int i = 0; i < 3; i++)
        pthread_join(ctl[i], NULL);
    /* The controllers may have left workers paused: let them go. */
    for (int i = 0; i < W.n; i++)
        cqt_worker_resume(W.recs[i].w);
    bool done = run_until(workers_all_finished, NULL, 5 * WAIT_MS);
    STRESS_CHECK(done, "workers: %lld of %d finished", (long long)ld(&W.finished), W.n);
    int returned_or_other = 0;
    for (int i = 0; i < W.n; i++) {
        wrec *r = &W.recs[i];
        STRESS_CHECK(r->started == 1 && r->terminal == 1 && r->finished == 1 && r->bad_order == 0,
                     "worker %d: started %d, terminal signals %d, finished %d, out of order %d", i,
                     r->started, r->terminal, r->finished, r->bad_order);
        returned_or_other++;
        cqt_worker_unref(r->w);
    }
    check_live_counts_zero("workers");
    end(f);
    f->ops = ld(&W.ops) + W.n;
    f->checked = (int64_t)returned_or_other * 3;
    snprintf(f->detail, sizeof f->detail,
             "%d generator workers, %lld pause/resume/send/quit calls (%lld refused as "
             "documented), each with exactly one terminal signal and finished",
             W.n, (long long)ld(&W.ops), (long long)ld(&W.refused));
    free(W.recs);
}

/* ======================================================================
 * Axes
 * ==================================================================== */

#define NAXES 20
#define NAXIS_DRIVERS 6

static struct axes_state {
    cqt_axis *axes[NAXES];
    int64_t ops, reports, reached, timed_out, faulted, stopped, other, refused;
} A;

static void *axis_driver(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg;
    int64_t ops = scaled(150, 15);
    for (int64_t k = 0; k < ops; k++) {
        uint32_t op = rnd(&seed) % 20;
        cqt_axis *a = A.axes[rnd(&seed) % NAXES];
        if (op < 8) {
            /* A stage move over 1..3 distinct axes: it must end in a report. */
            cqt_axis *set[3];
            double targets[3];
            size_t n = 1 + rnd(&seed) % 3;
            uint32_t first = rnd(&seed) % NAXES;
            for (size_t i = 0; i < n; i++) {
                set[i] = A.axes[(first + (uint32_t)i * 7) % NAXES];
                targets[i] = (double)(int)(rnd(&seed) % 2400) - 1200.0; /* some out of range */
            }
            cqt_stage *st = cqt_stage_new(set, n);
            STRESS_CHECK(st != NULL, "cqt_stage_new: %s", cqt_last_error());
            cqt_stage_report rep;
            memset(&rep, 0xa5, sizeof rep);
            int rc = cqt_stage_move_to(st, targets,
                                       (rnd(&seed) & 1) ? CQT_STAGE_PARALLEL : CQT_STAGE_SEQUENTIAL,
                                       1500, &rep);
            STRESS_CHECK(rep.status == rc, "stage report status %d, move returned %d", rep.status,
                         rc);
            STRESS_CHECK(rc == CQT_OK || rep.n == 0 || rep.n == n,
                         "stage report covers %zu of %zu axes", rep.n, n);
            STRESS_CHECK(rc == CQT_OK || rep.message[0] != '\0', "failed stage move left no message");
            for (size_t i = 0; i < rep.n; i++) {
                cqt_stage_outcome o = rep.axes[i].outcome;
                STRESS_CHECK(o >= CQT_STAGE_NOT_STARTED && o <= CQT_STAGE_STOPPED,
                             "axis outcome %d", (int)o);
                if (rc == CQT_OK)
                    STRESS_CHECK(o == CQT_STAGE_REACHED, "OK report with outcome %s",
                                 cqt_stage_outcome_name(o));
            }
            add(&A.reports, 1);
            if (rc == CQT_OK)
                add(&A.reached, 1);
            else if (rc == CQT_ETIMEDOUT)
                add(&A.timed_out, 1);
            else if (rc == CQT_EFAULT)
                add(&A.faulted, 1);
            else if (rc == CQT_ECANCELED)
                add(&A.stopped, 1);
            else
                add(&A.other, 1);
            cqt_stage_free(st);
        } else if (op < 13) {
            double target = (op == 12 && rnd(&seed) % 4 == 0) ? NAN
                                                              : (double)(int)(rnd(&seed) % 2400) - 1200.0;
            int rc = cqt_axis_move_to(a, target);
            STRESS_CHECK(rc == CQT_OK || rc == CQT_ERANGE || rc == CQT_EFAULT || rc == CQT_EINVAL,
                         "cqt_axis_move_to: %s", cqt_status_name(rc));
            if (rc != CQT_OK)
                add(&A.refused, 1);
        } else if (op < 16) {
            STRESS_CHECK(cqt_axis_stop(a) == CQT_OK, "cqt_axis_stop: %s", cqt_last_error());
        } else if (op < 18) {
            static const cqt_axis_fault faults[3] = {CQT_AXIS_FAULT_STALL,
                                                     CQT_AXIS_FAULT_DROP_SIGNAL,
                                                     CQT_AXIS_FAULT_ERROR};
            STRESS_CHECK(cqt_axis_inject_fault(a, faults[rnd(&seed) % 3]) == CQT_OK, "inject");
        } else {
            STRESS_CHECK(cqt_axis_clear_fault(a) == CQT_OK, "clear fault");
        }
        add(&A.ops, 1);
    }
    return NULL;
}

void stress_axes(stress_figures *f)
{
    begin(f, "axes");
    memset(&A, 0, sizeof A);
    char name[32];
    for (int i = 0; i < NAXES; i++) {
        cqt_axis_config c;
        cqt_axis_config_init(&c);
        snprintf(name, sizeof name, "ax%d", i);
        c.name = name;
        c.speed = 100;
        c.acceleration = (i % 2) ? 400 : 0;
        c.min_position = -1000;
        c.max_position = 1000;
        c.time_scale = 40;
        c.update_hz = 200;
        A.axes[i] = cqt_axis_new(&c);
        STRESS_CHECK(A.axes[i] != NULL, "cqt_axis_new: %s", cqt_last_error());
    }
    pthread_t drv[NAXIS_DRIVERS];
    for (int i = 0; i < NAXIS_DRIVERS; i++)
        pthread_create(&drv[i], NULL, axis_driver, (void *)(uintptr_t)(101 + i));
    for (int i = 0; i < NAXIS_DRIVERS; i++)
        pthread_join(drv[i], NULL);

    /* Settle everything: clear faults, stop, and wait for each to be at rest. */
    cqt_event *settled[NAXES];
    for (int i = 0; i < NAXES; i++) {
        STRESS_CHECK(cqt_axis_clear_fault(A.axes[i]) == CQT_OK, "clear");
        STRESS_CHECK(cqt_axis_stop(A.axes[i]) == CQT_OK, "stop");
    }
    /* A final move to 0 on each: it must arrive. */
    for (int i = 0; i < NAXES; i++) {
        int rc = cqt_axis_move_to(A.axes[i], 0.0);
        STRESS_CHECK(rc == CQT_OK, "final move of %s: %s (%s)", cqt_axis_name(A.axes[i]),
                     cqt_status_name(rc), cqt_last_error());
        settled[i] = cqt_axis_reached_event(A.axes[i]);
    }
    int results[NAXES];
    int rc = cqt_event_wait_all(settled, NAXES, WAIT_MS, results);
    STRESS_CHECK(rc == CQT_OK, "final moves did not all arrive: %s", cqt_last_error());
    int moving = 0;
    for (int i = 0; i < NAXES; i++) {
        if (cqt_axis_is_moving(A.axes[i]))
            moving++;
        STRESS_CHECK(fabs(cqt_axis_position(A.axes[i])) < 1e-6, "%s at %f after the final move",
                     cqt_axis_name(A.axes[i]), cqt_axis_position(A.axes[i]));
    }
    STRESS_CHECK(moving == 0, "%d axes left moving", moving);
    for (int i = 0; i < NAXES; i++)
        cqt_axis_free(A.axes[i]);
    check_live_counts_zero("axes");
    end(f);
    f->ops = ld(&A.ops);
    f->checked = ld(&A.reports);
    snprintf(f->detail, sizeof f->detail,
             "%d axes, %d driver threads, %lld stage reports (reached %lld, timed out %lld, "
             "faulted %lld, stopped %lld, other %lld), %lld moves refused as documented",
             NAXES, NAXIS_DRIVERS, (long long)ld(&A.reports), (long long)ld(&A.reached),
             (long long)ld(&A.timed_out), (long long)ld(&A.faulted), (long long)ld(&A.stopped),
             (long long)ld(&A.other), (long long)ld(&A.refused));
}

/* ======================================================================
 * Shutdown under load
 * ==================================================================== */

static struct shutdown_state {
    int stop;
    int64_t timer_fires, yields, axis_moves;
    cqt_thread *tthreads[2];
    cqt_object *towners[2];
    cqt_worker *workers[40];
    cqt_axis *axes[4];
} S;

static int forever_body(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)result;
    for (int64_t i = 0;; i++) {
        cqt_value v = cqt_value_int(i);
        int rc = cqt_worker_yield(w, &v, NULL);
        cqt_value_clear(&v);
        add(&S.yields, 1);
        if (rc == CQT_ECANCELED)
            return CQT_OK;
        if (rc < 0)
            return rc;
    }
}

static void shutdown_tick(void *user_data, cqt_object *o, int id)
{
    (void)user_data;
    (void)o;
    (void)id;
    add(&S.timer_fires, 1);
}

static void *shutdown_axis_driver(void *arg)
{
    uint32_t seed = (uint32_t)(uintptr_t)arg;
    while (!ldi(&S.stop)) {
        int rc = cqt_axis_move_to(S.axes[rnd(&seed) % 4], (double)(int)(rnd(&seed) % 200) - 100.0);
        if (rc == CQT_ENOLOOP || rc == CQT_ESTATE)
            break; /* the application went away under us: expected */
        STRESS_CHECK(rc == CQT_OK, "move during shutdown: %s (%s)", cqt_status_name(rc),
                     cqt_last_error());
        add(&S.axis_moves, 1);
        pace_ms(1);
    }
    return NULL;
}

static bool shutdown_loaded(void *arg)
{
    (void)arg;
    return ld(&D.deliveries) > 20000 && ld(&S.timer_fires) > 100 && ld(&S.yields) > 1000 &&
           ld(&S.axis_moves) > 50;
}

void stress_shutdown(stress_figures *f)
{
    begin(f, "shutdown");
    memset(&S, 0, sizeof S);
    int baseline = stress_thread_count();
    STRESS_CHECK(cqt_app_init(NULL, NULL, CQT_APP_CORE) == CQT_OK, "cqt_app_init: %s",
                 cqt_last_error());
    cqt_pool_set_max_threads(8);

    /* Delivery, unbounded: producers run until shutdown refuses them. */
    delivery_setup(INT64_MAX / 2);
    D.shutdown_mode = true;
    pthread_t churner;
    pthread_create(&churner, NULL, churn_main, NULL);
    cqt_worker *pworkers[2];
    pthread_t pts[3];
    delivery_start(pworkers, pts);

    /* Timers in two threads. */
    for (int i = 0; i < 2; i++) {
        S.tthreads[i] = cqt_thread_new("shutdown-timers");
        cqt_thread_start(S.tthreads[i]);
        S.towners[i] = cqt_object_new(S.tthreads[i]);
        for (int k = 0; k < 200; k++)
            STRESS_CHECK(cqt_object_start_timer(S.towners[i], 1 + k % 10, CQT_TIMER_PRECISE,
                                                shutdown_tick, NULL) > 0,
                         "start_timer: %s", cqt_last_error());
    }
    /* Generators that never end by themselves. */
    int nworkers = (int)(sizeof S.workers / sizeof S.workers[0]);
    for (int i = 0; i < nworkers; i++) {
        S.workers[i] = cqt_worker_new_generator("forever", forever_body, NULL, NULL);
        STRESS_CHECK(S.workers[i] && cqt_worker_start(S.workers[i]) == CQT_OK, "worker: %s",
                     cqt_last_error());
    }
    /* Axes driven from two plain threads. */
    for (int i = 0; i < 4; i++) {
        cqt_axis_config c;
        cqt_axis_config_init(&c);
        c.speed = 100;
        c.time_scale = 10;
        S.axes[i] = cqt_axis_new(&c);
        STRESS_CHECK(S.axes[i] != NULL, "axis: %s", cqt_last_error());
    }
    pthread_t adrv[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&adrv[i], NULL, shutdown_axis_driver, (void *)(uintptr_t)(7 + i));

    bool loaded = run_until(shutdown_loaded, NULL, WAIT_MS);
    STRESS_CHECK(loaded, "the load did not build up: %lld deliveries, %lld fires, %lld yields, "
                         "%lld axis moves",
                 (long long)ld(&D.deliveries), (long long)ld(&S.timer_fires),
                 (long long)ld(&S.yields), (long long)ld(&S.axis_moves));
    int peak_before = stress_thread_count();

    const int timeout_ms = 15000;
    sti(&D.stop_flow, 1); /* receivers are about to stop: do not wait for them to drain */
    double t0 = now_s();
    int rc = cqt_app_shutdown(timeout_ms);
    double took = now_s() - t0;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", cqt_last_error());
    /* Returned within its timeout (plus slack for a loaded machine). */
    STRESS_CHECK(took < timeout_ms / 1000.0 + 10.0, "cqt_app_shutdown took %.1f s", took);
    int retries = 0;
    if (rc == CQT_ETIMEDOUT) {
        /* Allowed only when it names what did not stop. */
        STRESS_CHECK(strstr(msg, "not stopped") != NULL, "timed-out shutdown names nothing: %s", msg);
        printf("stress shutdown: first cqt_app_shutdown timed out, naming: %s\n", msg);
        rc = cqt_app_shutdown(CQT_FOREVER);
        retries++;
    }
    STRESS_CHECK(rc == CQT_OK, "cqt_app_shutdown: %s (%s)", cqt_status_name(rc), cqt_last_error());
    STRESS_CHECK(!cqt_app_is_running(), "app still running after shutdown");

    /* Everyone notices the application is gone. */
    sti(&S.stop, 1);
    sti(&D.churn_stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(pts[i], NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(adrv[i], NULL);
    pthread_join(churner, NULL);

    /* Handles stay valid to free after shutdown. */
    for (int i = 0; i < nworkers; i++)
        cqt_worker_unref(S.workers[i]);
    for (int i = 0; i < 4; i++)
        cqt_axis_free(S.axes[i]);
    for (int i = 0; i < 2; i++) {
        cqt_object_free(S.towners[i]);
        cqt_thread_free(S.tthreads[i]);
    }
    delivery_teardown(pworkers);

    cqt_live_counts c;
    cqt_debug_live_counts(&c);
    STRESS_CHECK(live_counts_zero(&c),
                 "after shutdown: threads=%lld objects=%lld timers=%lld signals=%lld "
                 "connections=%lld events=%lld workers=%lld pending=%lld",
                 (long long)c.threads, (long long)c.objects, (long long)c.timers,
                 (long long)c.signal_handles, (long long)c.connections, (long long)c.events,
                 (long long)c.workers, (long long)c.pending);
    STRESS_CHECK(ld(&D.payloads_made) == ld(&D.payloads_freed),
                 "payloads: %lld made, %lld freed", (long long)ld(&D.payloads_made),
                 (long long)ld(&D.payloads_freed));
    STRESS_CHECK(ld(&D.violations) == 0 && ld(&D.after_free) == 0,
                 "deliveries during shutdown: %lld violations, %lld after free; first: %s",
                 (long long)ld(&D.violations), (long long)ld(&D.after_free), D.first_violation);
    /* No thread left behind: Qt's threads are detached, so allow them time
     * to leave the kernel's list. */
    int left = stress_thread_count();
    for (int i = 0; i < 5000 && left > baseline + 1; i++) {
        pace_ms(2);
        left = stress_thread_count();
    }
    STRESS_CHECK(left <= baseline + 1, "%d threads remain after shutdown (baseline %d)", left,
                 baseline);
    end(f);
    f->ops = ld(&D.payloads_made) + ld(&S.timer_fires) + ld(&S.yields) + ld(&S.axis_moves);
    f->checked = ld(&D.deliveries);
    f->seconds = took; /* the figure of interest: how long shutdown took */
    snprintf(f->detail, sizeof f->detail,
             "cqt_app_shutdown under load returned %s in %.2f s (%d retry) with %d threads "
             "running; %lld deliveries, %lld timer fires, %lld yields, %lld axis moves before "
             "it; %d threads after (baseline %d)",
             retries ? "CQT_ETIMEDOUT then CQT_OK" : "CQT_OK", took, retries, peak_before,
             (long long)ld(&D.deliveries), (long long)ld(&S.timer_fires), (long long)ld(&S.yields),
             (long long)ld(&S.axis_moves), left, baseline);
    pthread_mutex_destroy(&D.flow_mu);
    pthread_cond_destroy(&D.flow_cv);
}

/* ======================================================================
 * fd watches under load: socketpairs streamed by writer threads while the
 * watches' owners are created, moved and freed
 * ==================================================================== */

#define NIO_THREADS 8
#define NIO_WRITERS 4
#define NIO_CHURN 2
#define IO_BATCH 16 /* records per write */
enum { IO_FREE_WATCH = 1, IO_FREE_OWNER_OWN_THREAD, IO_FREE_OWNER_FOREIGN };

/* One watch (and its owner: one owner per watch). Kept until the end so
 * that destroy counts can be checked. */
typedef struct iorec {
    struct iopair *pair;
    cqt_object *owner;
    cqt_io_watch *w;
    cqt_thread *thread; /* where the owner lives now (atomic) */
    int freed;          /* cqt_io_watch_free or an owner free in its own thread returned */
    int owner_freed;    /* an owner free from another thread returned */
    int late;           /* callbacks still running after `freed` */
    int late_owner;     /* callbacks that started after `owner_freed` */
    int wrong_thread;   /* callbacks outside the owner's current thread */
    int destroyed;      /* destroy calls */
    int calls;
    int move_failed;    /* a move from a callback failed (expected once the owner is freed) */
    int hold_request;   /* churn: the next callback holds (see io_hold) */
    int in_hold;        /* that callback is holding */
    int freeing;        /* churn: cqt_io_watch_free is being called */
    int how;            /* IO_FREE_*: how it was freed (atomic, set before `freed`) */
    int started_late;   /* a callback already counted as late on entry */
    struct iorec *next_all;
} iorec;

typedef struct iopair {
    int index;
    int rfd, wfd;
    int64_t sent;       /* bytes written (writer; atomic) */
    int64_t read_bytes; /* bytes read (callbacks; atomic) */
    uint32_t next_seq;  /* reader state: handed from watch to watch */
    unsigned char carry[8];
    int carry_n;
    int64_t bad_order;
    iorec *cur;         /* churn thread only */
} iopair;

static struct io_state {
    cqt_thread *threads[NIO_THREADS];
    iopair *pairs;
    int n;
    int64_t churn_ops; /* per churn thread */
    int writers_stop, churn_done;
    pthread_mutex_t mu; /* guards the list and wakes destroy waiters */
    pthread_cond_t cv;
    iorec *all;
    int64_t tails; /* callbacks that moved their owner, finishing after its free there */
    int64_t created, destroys, watch_frees, held_frees, own_frees, foreign_frees, moves, cb_moves,
        move_failures, writer_stalls, calls;
} IO;

static void io_destroy(void *user_data)
{
    iorec *r = user_data;
    pthread_mutex_lock(&IO.mu);
    r->destroyed++;
    IO.destroys++;
    pthread_cond_broadcast(&IO.cv);
    pthread_mutex_unlock(&IO.mu);
}

static cqt_thread *io_pick(uint32_t x)
{
    return IO.threads[x % NIO_THREADS];
}

/* Checks every whole record: (pair index, sequence number), in order. */
static void io_consume(iopair *p, const unsigned char *buf, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t take = 8 - (size_t)p->carry_n;
        if (take > n - i)
            take = n - i;
        memcpy(p->carry + p->carry_n, buf + i, take);
        p->carry_n += (int)take;
        i += take;
        if (p->carry_n < 8)
            break;
        uint32_t idx, seq;
        memcpy(&idx, p->carry, 4);
        memcpy(&seq, p->carry + 4, 4);
        if (idx != (uint32_t)p->index || seq != p->next_seq)
            add(&p->bad_order, 1);
        p->next_seq = seq + 1;
        p->carry_n = 0;
    }
    add(&p->read_bytes, (int64_t)n);
}

/* Waits on IO.cv until *flag is set or @ms pass; returns the flag. */
static int io_wait_flag(int *flag, int ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&IO.mu);
    while (!ldi(flag) && pthread_cond_timedwait(&IO.cv, &IO.mu, &dl) == 0)
        ;
    pthread_mutex_unlock(&IO.mu);
    return ldi(flag);
}

static void io_set_flag(int *flag)
{
    pthread_mutex_lock(&IO.mu);
    sti(flag, 1);
    pthread_cond_broadcast(&IO.cv);
    pthread_mutex_unlock(&IO.mu);
}

/* A callback the churn thread frees while it runs: it holds until the free
 * was called, then gives a free that wrongly returned at once 20 ms to say
 * so (a correct one is still waiting for this callback: the 20 ms pass). */
static void io_hold(iorec *r)
{
    io_set_flag(&r->in_hold);
    if (io_wait_flag(&r->freeing, WAIT_MS))
        io_wait_flag(&r->freed, 20);
}

static void io_cb(void *user_data, cqt_io_watch *w, int fd, unsigned revents)
{
    (void)w;
    iorec *r = user_data;
    bool moved = false;
    if (ldi(&r->freed)) {
        addi(&r->late, 1); /* started after the free returned */
        sti(&r->started_late, 1);
    }
    if (ldi(&r->owner_freed))
        addi(&r->late_owner, 1);
    if (cqt_thread_current() != __atomic_load_n(&r->thread, __ATOMIC_SEQ_CST))
        addi(&r->wrong_thread, 1);
    int calls = addi(&r->calls, 1);
    add(&IO.calls, 1);
    if (revents & CQT_IO_READ) {
        unsigned char buf[512];
        ssize_t got = read(fd, buf, sizeof buf);
        if (got > 0)
            io_consume(r->pair, buf, (size_t)got);
    }
    /* Every 16th call moves the owner from inside the callback. */
    if (calls % 16 == 0 && !ldi(&r->owner_freed)) {
        cqt_thread *to = io_pick((uint32_t)(calls / 16 + r->pair->index));
        cqt_thread *from = __atomic_load_n(&r->thread, __ATOMIC_SEQ_CST);
        __atomic_store_n(&r->thread, to, __ATOMIC_SEQ_CST);
        if (cqt_object_move_to_thread(r->owner, to) == CQT_OK) {
            moved = true;
            add(&IO.cb_moves, 1);
        } else {
            __atomic_store_n(&r->thread, from, __ATOMIC_SEQ_CST);
            addi(&r->move_failed, 1); /* counted at the end unless the owner was freed */
        }
    }
    if (ldi(&r->hold_request) && !ldi(&r->in_hold))
        io_hold(r);
    /* Checked on the way out too: cqt_io_watch_free returns only once no
     * callback runs, so one still here after it returned is as wrong as
     * one starting later. An owner free in the owner's (new) thread does
     * not wait for the rest of a callback that moved the owner away: that
     * one finishes in the old thread (cqt_object_move_to_thread). */
    if (ldi(&r->freed) && !ldi(&r->started_late)) {
        if (moved && ldi(&r->how) == IO_FREE_OWNER_OWN_THREAD)
            add(&IO.tails, 1);
        else
            addi(&r->late, 1);
    }
}

static void io_attach(iopair *p, uint32_t x)
{
    iorec *r = calloc(1, sizeof *r);
    STRESS_CHECK(r != NULL, "calloc");
    r->pair = p;
    r->thread = io_pick(x);
    r->owner = cqt_object_new(r->thread);
    STRESS_CHECK(r->owner != NULL, "cqt_object_new: %s", cqt_last_error());
    pthread_mutex_lock(&IO.mu);
    r->next_all = IO.all;
    IO.all = r;
    IO.created++;
    pthread_mutex_unlock(&IO.mu);
    r->w = cqt_io_watch_new(r->owner, p->rfd, CQT_IO_READ, io_cb, r, io_destroy);
    STRESS_CHECK(r->w != NULL, "cqt_io_watch_new on fd %d: %s", p->rfd, cqt_last_error());
    p->cur = r;
}

/* Waits (on the condition variable, generous deadline) for r's destroy. */
static void io_wait_destroyed(iorec *r)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&IO.mu);
    int rc = 0;
    while (r->destroyed == 0 && rc == 0)
        rc = pthread_cond_timedwait(&IO.cv, &IO.mu, &dl);
    int d = r->destroyed;
    pthread_mutex_unlock(&IO.mu);
    STRESS_CHECK(d == 1, "io: watch of pair %d: destroy ran %d times within %d ms of its free",
                 r->pair->index, d, WAIT_MS);
}

static void io_move_fn(void *user_data)
{
    iorec *r = user_data;
    cqt_thread *from = __atomic_load_n(&r->thread, __ATOMIC_SEQ_CST);
    cqt_thread *to = io_pick((uint32_t)(uintptr_t)r->w + (uint32_t)ld(&IO.moves));
    __atomic_store_n(&r->thread, to, __ATOMIC_SEQ_CST);
    if (cqt_object_move_to_thread(r->owner, to) != CQT_OK) {
        __atomic_store_n(&r->thread, from, __ATOMIC_SEQ_CST);
        add(&IO.move_failures, 1);
    }
    add(&IO.moves, 1);
}

/* Frees the owner in its own thread: no callback can be under way there. */
static void io_own_free_fn(void *user_data)
{
    iorec *r = user_data;
    cqt_object_free(r->owner);
    io_set_flag(&r->freed);
}

/* Ends the watch on @p one of three ways, then waits for its destroy.
 * @may_hold: while writers run, some watch frees wait for a callback. */
static void io_detach(iopair *p, uint32_t how, bool may_hold)
{
    iorec *r = p->cur;
    p->cur = NULL;
    sti(&r->how, 1 + (int)(how % 3));
    switch (how % 3) {
    case 0: /* the watch, from this (foreign) thread; then its owner */
        if (may_hold && (how >> 4) % 8 == 0) {
            /* ... while its callback runs (data keeps coming: one will) */
            io_set_flag(&r->hold_request);
            STRESS_CHECK(io_wait_flag(&r->in_hold, WAIT_MS),
                         "io: no callback on pair %d within %d ms", p->index, WAIT_MS);
            add(&IO.held_frees, 1);
        }
        io_set_flag(&r->freeing);
        cqt_io_watch_free(r->w);
        io_set_flag(&r->freed);
        add(&IO.watch_frees, 1);
        cqt_object_free(r->owner);
        break;
    case 1: /* the owner, in its own thread */
        STRESS_CHECK(cqt_invoke(r->owner, io_own_free_fn, r, CQT_BLOCKING_QUEUED) == CQT_OK,
                     "cqt_invoke (free in own thread): %s", cqt_last_error());
        add(&IO.own_frees, 1);
        break;
    default: /* the owner, from this (foreign) thread */
        cqt_object_free(r->owner);
        sti(&r->owner_freed, 1);
        add(&IO.foreign_frees, 1);
        break;
    }
    io_wait_destroyed(r);
}

typedef struct io_churner {
    int index;
    uint32_t seed;
} io_churner;

static void *io_churn(void *arg)
{
    io_churner *c = arg;
    /* Pairs with index % NIO_CHURN == c->index are this thread's. */
    int mine = (IO.n - c->index + NIO_CHURN - 1) / NIO_CHURN;
    for (int64_t op = 0; op < IO.churn_ops; op++) {
        uint32_t x = rnd(&c->seed);
        iopair *p = &IO.pairs[c->index + (int)(x % (uint32_t)mine) * NIO_CHURN];
        if ((x >> 8) % 3 == 0) {
            STRESS_CHECK(cqt_invoke(p->cur->owner, io_move_fn, p->cur, CQT_BLOCKING_QUEUED) ==
                             CQT_OK,
                         "cqt_invoke (move): %s", cqt_last_error());
        } else {
            io_detach(p, x >> 12, true);
            io_attach(p, x >> 16);
        }
    }
    addi(&IO.churn_done, 1);
    return NULL;
}

/* Streams records into its pairs until told to stop; waits in poll()
 * (with a deadline) when all of them are full. */
static void *io_writer(void *arg)
{
    int k = (int)(intptr_t)arg;
    int mine = 0;
    for (int i = k; i < IO.n; i += NIO_WRITERS)
        mine++;
    struct pollfd *pf = calloc((size_t)mine, sizeof *pf);
    unsigned char buf[IO_BATCH * 8 + 8];
    double stalled_since = 0;
    while (!ldi(&IO.writers_stop)) {
        bool wrote = false;
        for (int i = k; i < IO.n; i += NIO_WRITERS) {
            iopair *p = &IO.pairs[i];
            int64_t sent = p->sent;
            uint32_t first = (uint32_t)(sent / 8);
            int off = (int)(sent % 8);
            for (uint32_t j = 0; j <= IO_BATCH; j++) {
                uint32_t idx = (uint32_t)p->index, seq = first + j;
                memcpy(buf + j * 8, &idx, 4);
                memcpy(buf + j * 8 + 4, &seq, 4);
            }
            ssize_t n = write(p->wfd, buf + off, IO_BATCH * 8);
            if (n > 0) {
                __atomic_store_n(&p->sent, sent + n, __ATOMIC_SEQ_CST);
                wrote = true;
            }
        }
        if (wrote) {
            stalled_since = 0;
            continue;
        }
        /* All full: wait for one to drain. */
        int j = 0;
        for (int i = k; i < IO.n; i += NIO_WRITERS) {
            pf[j].fd = IO.pairs[i].wfd;
            pf[j].events = POLLOUT;
            j++;
        }
        if (stalled_since == 0)
            stalled_since = now_s();
        if (poll(pf, (nfds_t)mine, 1000) == 0 && now_s() - stalled_since > WAIT_MS / 1000.0) {
            add(&IO.writer_stalls, 1);
            break;
        }
    }
    free(pf);
    return NULL;
}

static bool io_churn_finished(void *arg)
{
    (void)arg;
    return ldi(&IO.churn_done) == NIO_CHURN;
}

static bool io_all_read(void *arg)
{
    (void)arg;
    for (int i = 0; i < IO.n; i++)
        if (ld(&IO.pairs[i].read_bytes) != ld(&IO.pairs[i].sent))
            return false;
    return true;
}

/* Raises the soft fd limit to the hard one; returns how many pairs fit. */
static int io_pairs_that_fit(int want, char *note, size_t note_len)
{
    struct rlimit rl;
    note[0] = 0;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return want;
    const rlim_t reserve = 256; /* Qt's and the runtime's own fds */
    rlim_t need = (rlim_t)want * 2 + reserve;
    if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur >= need)
        return want;
    int fit = rl.rlim_cur > reserve + 2 * NIO_THREADS ? (int)((rl.rlim_cur - reserve) / 2)
                                                      : NIO_THREADS;
    snprintf(note, note_len, "RLIMIT_NOFILE %llu (hard %llu) fits %d of %d pairs",
             (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, fit, want);
    printf("stress io: %s; scaled down\n", note);
    fflush(stdout);
    return fit;
}

void stress_io(stress_figures *f)
{
    begin(f, "io");
    memset(&IO, 0, sizeof IO);
    pthread_mutex_init(&IO.mu, NULL);
    pthread_cond_init(&IO.cv, NULL);
    char note[160];
    IO.n = io_pairs_that_fit((int)scaled(1000, 40), note, sizeof note);
    IO.churn_ops = scaled(2000, 100) / NIO_CHURN;
    IO.pairs = calloc((size_t)IO.n, sizeof *IO.pairs);
    char name[32];
    for (int i = 0; i < NIO_THREADS; i++) {
        snprintf(name, sizeof name, "io-%d", i);
        IO.threads[i] = cqt_thread_new(name);
        STRESS_CHECK(cqt_thread_start(IO.threads[i]) == CQT_OK, "start");
    }
    for (int i = 0; i < IO.n; i++) {
        iopair *p = &IO.pairs[i];
        int sv[2];
        STRESS_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair: %s",
                     strerror(errno));
        p->index = i;
        p->rfd = sv[0];
        p->wfd = sv[1];
        fcntl(p->rfd, F_SETFL, fcntl(p->rfd, F_GETFL) | O_NONBLOCK);
        fcntl(p->wfd, F_SETFL, fcntl(p->wfd, F_GETFL) | O_NONBLOCK);
        int small = 4096; /* back-pressure soon: bounded memory, writers wait on readers */
        setsockopt(p->wfd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        io_attach(p, (uint32_t)i);
    }

    pthread_t writers[NIO_WRITERS], churn[NIO_CHURN];
    io_churner cs[NIO_CHURN];
    for (int i = 0; i < NIO_WRITERS; i++)
        pthread_create(&writers[i], NULL, io_writer, (void *)(intptr_t)i);
    for (int i = 0; i < NIO_CHURN; i++) {
        cs[i].index = i;
        cs[i].seed = 4242u + (uint32_t)i;
        pthread_create(&churn[i], NULL, io_churn, &cs[i]);
    }
    bool churned = run_until(io_churn_finished, NULL, 10 * WAIT_MS);
    for (int i = 0; i < NIO_CHURN; i++)
        pthread_join(churn[i], NULL);
    sti(&IO.writers_stop, 1);
    for (int i = 0; i < NIO_WRITERS; i++)
        pthread_join(writers[i], NULL);
    STRESS_CHECK(churned, "io: churn threads did not finish within %d ms", 10 * WAIT_MS);
    STRESS_CHECK(ld(&IO.writer_stalls) == 0,
                 "io: a writer found all its pairs full for %d ms (readers stopped reading)",
                 WAIT_MS);
    bool drained = run_until(io_all_read, NULL, WAIT_MS);
    int64_t sent = 0, got = 0, bad = 0;
    int unread = 0;
    for (int i = 0; i < IO.n; i++) {
        sent += ld(&IO.pairs[i].sent);
        got += ld(&IO.pairs[i].read_bytes);
        bad += ld(&IO.pairs[i].bad_order);
        if (ld(&IO.pairs[i].read_bytes) != ld(&IO.pairs[i].sent))
            unread++;
    }
    STRESS_CHECK(drained, "io: %d pairs not read to the end (%lld of %lld bytes read)", unread,
                 (long long)got, (long long)sent);
    STRESS_CHECK(bad == 0, "io: %lld records out of order, lost or doubled", (long long)bad);

    /* The last watches go both ways: half by their own free, half with
     * their owners. */
    for (int i = 0; i < IO.n; i++)
        io_detach(&IO.pairs[i], (uint32_t)i, false);
    for (int i = 0; i < NIO_THREADS; i++)
        cqt_thread_free(IO.threads[i]);
    int64_t late = 0, late_owner = 0, wrong = 0, twice = 0, never = 0, over = 0, n = 0;
    int64_t late_by[4] = {0};
    for (iorec *r = IO.all, *next; r; r = next) {
        next = r->next_all;
        late += ldi(&r->late);
        late_by[ldi(&r->how)] += ldi(&r->late);
        late_owner += ldi(&r->late_owner);
        if (ldi(&r->late_owner) > 1)
            over++;
        wrong += ldi(&r->wrong_thread);
        if (ldi(&r->move_failed) && !ldi(&r->owner_freed))
            add(&IO.move_failures, 1);
        if (r->destroyed == 0)
            never++;
        if (r->destroyed > 1)
            twice++;
        n++;
        free(r);
    }
    for (int i = 0; i < IO.n; i++) {
        close(IO.pairs[i].rfd);
        close(IO.pairs[i].wfd);
    }
    STRESS_CHECK(late == 0,
                 "io: %lld callbacks ran after their free returned: %lld after "
                 "cqt_io_watch_free, %lld after cqt_object_free of the owner in its own thread",
                 (long long)late, (long long)late_by[IO_FREE_WATCH],
                 (long long)late_by[IO_FREE_OWNER_OWN_THREAD]);
    STRESS_CHECK(over == 0,
                 "io: %lld watches called more than once after their owner's cqt_object_free "
                 "returned in another thread (one call already under way may finish)",
                 (long long)over);
    STRESS_CHECK(wrong == 0, "io: %lld callbacks outside their owner's current thread",
                 (long long)wrong);
    STRESS_CHECK(never == 0 && twice == 0,
                 "io: of %lld watches, %lld never destroyed, %lld destroyed more than once",
                 (long long)n, (long long)never, (long long)twice);
    STRESS_CHECK(IO.destroys == IO.created, "io: %lld watches created, %lld destroyed",
                 (long long)IO.created, (long long)IO.destroys);
    STRESS_CHECK(ld(&IO.move_failures) == 0, "io: %lld owner moves failed",
                 (long long)ld(&IO.move_failures));
    check_live_counts_zero("io");
    end(f);
    f->ops = ld(&IO.calls);
    f->checked = sent / 8;
    f->violations = late + over + wrong + bad + never + twice;
    snprintf(f->detail, sizeof f->detail,
             "%d socketpairs over %d threads, %lld records, %lld watches (%lld freed by "
             "cqt_io_watch_free, %lld of them inside a callback, %lld with their owner in its thread, %lld with their owner from "
             "another), %lld owner moves (%lld from callbacks), %lld calls after a foreign owner "
             "free, %lld callbacks finishing in the old thread after an owner free in the new%s%s",
             IO.n, NIO_THREADS, (long long)(sent / 8), (long long)n, (long long)IO.watch_frees,
             (long long)IO.held_frees, (long long)IO.own_frees, (long long)IO.foreign_frees,
             (long long)(ld(&IO.moves) + ld(&IO.cb_moves)), (long long)ld(&IO.cb_moves),
             (long long)late_owner, (long long)ld(&IO.tails), note[0] ? "; " : "", note);
    pthread_mutex_destroy(&IO.mu);
    pthread_cond_destroy(&IO.cv);
    free(IO.pairs);
}
