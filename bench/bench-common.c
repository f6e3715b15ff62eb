/* SPDX-License-Identifier: MIT */
/* bench-common.c — the harness (bench.h): child processes per variant,
 * repetitions, median/min, ratio tables in markdown. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

long bench_scaled(long n)
{
    const char *s = getenv("BENCH_SCALE");
    double f = s ? atof(s) : 1.0;
    if (f <= 0)
        f = 1.0;
    long r = (long)(n * f);
    return r > 0 ? r : 1;
}

void bench_report(const char *key, double value)
{
    printf("METRIC %s %.6g\n", key, value);
    fflush(stdout);
}

int bench_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: check failed: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

double bench_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (double)res * (double)sysconf(_SC_PAGESIZE);
}

int bench_thread_count(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_sort(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
}

double bench_percentile(double *sorted, size_t n, double p)
{
    if (n == 0)
        return NAN;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

/* ---- parent side ------------------------------------------------------ */

#define MAX_SAMPLES 64
#define MAX_KEYS 16

typedef struct {
    char key[64];
    double v[MAX_SAMPLES];
    int n;
} series;

typedef struct {
    series s[MAX_KEYS];
    int nkeys;
    double rss[MAX_SAMPLES];
    int nrss;
    bool failed, ran;
} result;

static series *series_for(result *r, const char *key)
{
    for (int i = 0; i < r->nkeys; i++)
        if (strcmp(r->s[i].key, key) == 0)
            return &r->s[i];
    if (r->nkeys == MAX_KEYS)
        return NULL;
    series *s = &r->s[r->nkeys++];
    snprintf(s->key, sizeof s->key, "%s", key);
    s->n = 0;
    return s;
}

static double median(const double *v, int n)
{
    double t[MAX_SAMPLES];
    memcpy(t, v, sizeof(double) * (size_t)n);
    bench_sort(t, (size_t)n);
    return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

static double minimum(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double maximum(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

/* A variant's repetition may fail for a reason outside the code measured
 * (superqt's generator peer once died on its own "wrapped C/C++ object has
 * been deleted"). Such a repetition is recorded with its reason and run
 * again, up to BENCH_ATTEMPTS times, so one crash cannot hide a figure;
 * the table's notes list every failed attempt. A variant whose attempts
 * all fail in one repetition is FAILED. */
#define BENCH_ATTEMPTS 3
#define MAX_NOTES 8

typedef struct {
    char text[200];
} note;

static note notes[MAX_NOTES];
static int n_notes, n_notes_dropped;

static void add_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void add_note(const char *fmt, ...)
{
    if (n_notes == MAX_NOTES) {
        n_notes_dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(notes[n_notes++].text, sizeof notes[0].text, fmt, ap);
    va_end(ap);
}

/* The last non-empty line of the child's stderr, copied on to ours (the
 * log) as it is read. */
static void last_line_of(FILE *err, char *out, size_t n)
{
    char line[512];
    snprintf(out, n, "no message");
    rewind(err);
    while (fgets(line, sizeof line, err)) {
        fputs(line, stderr);
        size_t len = strcspn(line, "\n");
        line[len] = 0;
        if (len)
            snprintf(out, n, "%s", line);
    }
}

/* Runs variant @idx once in a child. Its METRIC lines go to @r only when
 * the child exited with status 0; otherwise @why says what happened.
 * Returns: true when it ran. */
static bool run_child_once(const char *self, const bench_scenario *s, size_t idx, int rep,
                           int attempt, result *r, char *why, size_t why_len)
{
    const bench_variant *v = &s->variants[idx];
    int fds[2];
    FILE *err = tmpfile();
    if (!err || pipe(fds) != 0) {
        snprintf(why, why_len, "pipe/tmpfile: %s", strerror(errno));
        if (err)
            fclose(err);
        return false;
    }
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        close(fds[1]);
        dup2(fileno(err), 2);
        char arg[32], rep_s[16], attempt_s[16];
        snprintf(arg, sizeof arg, "%zu", idx);
        snprintf(rep_s, sizeof rep_s, "%d", rep);
        snprintf(attempt_s, sizeof attempt_s, "%d", attempt);
        setenv("BENCH_REP", rep_s, 1);
        setenv("BENCH_ATTEMPT", attempt_s, 1);
        if (v->flags & BENCH_NOGLIB)
            setenv("QT_NO_GLIB", "1", 1);
        else
            unsetenv("QT_NO_GLIB");
        setenv("QT_QPA_PLATFORM", "offscreen", 1);
        execl(self, self, "--child", arg, (char *)NULL);
        perror("exec");
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        close(fds[0]);
        fclose(err);
        return false;
    }
    /* Collected aside: a child that fails half way must not leave half a
     * run's samples in the table. */
    result got;
    memset(&got, 0, sizeof got);
    FILE *f = fdopen(fds[0], "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char key[64];
        double val;
        if (sscanf(line, "METRIC %63s %lf", key, &val) == 2) {
            series *se = series_for(&got, key);
            if (se && se->n < MAX_SAMPLES)
                se->v[se->n++] = val;
        }
    }
    if (f)
        fclose(f);
    else
        close(fds[0]);
    int status = 0;
    struct rusage ru;
    pid_t w = wait4(pid, &status, 0, &ru);
    char last[256];
    last_line_of(err, last, sizeof last);
    fclose(err);
    if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (w >= 0 && WIFSIGNALED(status))
            snprintf(why, why_len, "killed by signal %d; last message: %s", WTERMSIG(status), last);
        else
            snprintf(why, why_len, "exit status %d; last message: %s",
                     w >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1, last);
        return false;
    }
    for (int k = 0; k < got.nkeys; k++) {
        series *se = series_for(r, got.s[k].key);
        for (int j = 0; se && j < got.s[k].n && se->n < MAX_SAMPLES; j++)
            se->v[se->n++] = got.s[k].v[j];
    }
    r->ran = true;
    if (r->nrss < MAX_SAMPLES)
        r->rss[r->nrss++] = (double)ru.ru_maxrss / 1024.0; /* MiB */
    return true;
}

/* One repetition of variant @idx, attempted up to BENCH_ATTEMPTS times. */
static void run_child(const char *self, const bench_scenario *s, size_t idx, int rep, result *r)
{
    const bench_variant *v = &s->variants[idx];
    for (int attempt = 1; attempt <= BENCH_ATTEMPTS; attempt++) {
        char why[256];
        if (run_child_once(self, s, idx, rep, attempt, r, why, sizeof why))
            return;
        fprintf(stderr, "bench %s: variant '%s' repetition %d attempt %d failed: %s\n", s->name,
                v->name, rep + 1, attempt, why);
        add_note("'%s', repetition %d, attempt %d of %d: %s%s", v->name, rep + 1, attempt,
                 BENCH_ATTEMPTS, why, attempt < BENCH_ATTEMPTS ? " (run again)" : "");
    }
    r->failed = true;
}

/* A debugging knob for the harness itself: BENCH_INJECT_FAIL=NAME:REP
 * makes variant NAME's child fail in repetition REP (1-based) on its
 * first attempt only, to check that the rerun and the note work. */
static int injected_failure(const bench_variant *v)
{
    const char *spec = getenv("BENCH_INJECT_FAIL");
    const char *rep = getenv("BENCH_REP");
    if (!spec || !rep)
        return 0;
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) != strlen(v->name) ||
        strncmp(spec, v->name, (size_t)(colon - spec)) != 0 || atoi(colon + 1) != atoi(rep) + 1)
        return 0;
    const char *attempt = getenv("BENCH_ATTEMPT");
    if (!attempt || atoi(attempt) != 1)
        return 0; /* the rerun: succeed */
    fprintf(stderr, "bench: injected failure (BENCH_INJECT_FAIL=%s)\n", spec);
    return 3;
}

static void fmt_value(char *buf, size_t n, double v)
{
    double a = fabs(v);
    if (isnan(v))
        snprintf(buf, n, "n/a");
    else if (a != 0 && a < 0.01)
        snprintf(buf, n, "%.4f", v);
    else if (a < 10)
        snprintf(buf, n, "%.3f", v);
    else if (a < 1000)
        snprintf(buf, n, "%.1f", v);
    else
        snprintf(buf, n, "%.0f", v);
}

static int child_main(const bench_scenario *s, const char *arg)
{
    size_t idx = (size_t)strtoul(arg, NULL, 10);
    if (idx >= s->n_variants)
        return 2;
    const bench_variant *v = &s->variants[idx];
    int injected = injected_failure(v);
    if (injected)
        return injected;
    if (v->flags & BENCH_PIN) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(0, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            perror("sched_setaffinity");
            return 1;
        }
    }
    return v->run(v);
}

int bench_main(int argc, char **argv, const bench_scenario *s)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return child_main(s, argv[2]);

    const char *reps_s = getenv("BENCH_REPS");
    int reps = reps_s ? atoi(reps_s) : 5;
    if (reps < 1 || reps > MAX_SAMPLES)
        reps = 5;
    const char *only = getenv("BENCH_ONLY");
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return 2;
    self[len] = 0;

    result *res = calloc(s->n_variants, sizeof *res);
    if (!res)
        return 2;
    fprintf(stderr, "bench %s: %zu variants x %d repetitions\n", s->name, s->n_variants, reps);
    for (int rep = 0; rep < reps; rep++) {
        for (size_t i = 0; i < s->n_variants; i++) {
            const bench_variant *v = &s->variants[i];
            if (only && !strstr(v->name, only))
                continue;
            if ((v->flags & BENCH_ONCE) && rep >= 5)
                continue;
            if (res[i].failed)
                continue;
            run_child(self, s, i, rep, &res[i]);
        }
        fprintf(stderr, "bench %s: repetition %d/%d done\n", s->name, rep + 1, reps);
    }

    int failures = 0;
    printf("\n### %s\n\n%s\n", s->name, s->what);
    for (size_t m = 0; m < s->n_metrics; m++) {
        const bench_metric *bm = &s->metrics[m];
        double refmed = NAN;
        const char *refname = bm->ref;
        char best_name[160];
        if (bm->ref && strcmp(bm->ref, BENCH_REF_BEST_PEER) == 0) {
            for (size_t i = 0; i < s->n_variants; i++) {
                const char *name = s->variants[i].name;
                if (!res[i].ran || strncmp(name, "cqt", 3) == 0 || strncmp(name, "floor", 5) == 0)
                    continue;
                for (int k = 0; k < res[i].nkeys; k++) {
                    if (strcmp(res[i].s[k].key, bm->key) != 0 || !res[i].s[k].n)
                        continue;
                    double med = median(res[i].s[k].v, res[i].s[k].n);
                    if (isnan(refmed) || (bm->higher_better ? med > refmed : med < refmed)) {
                        refmed = med;
                        snprintf(best_name, sizeof best_name, "best peer (%s)", name);
                        refname = best_name;
                    }
                }
            }
        } else if (bm->ref) {
            for (size_t i = 0; i < s->n_variants; i++) {
                series *se = NULL;
                if (strcmp(s->variants[i].name, bm->ref) == 0 && res[i].ran)
                    for (int k = 0; k < res[i].nkeys; k++)
                        if (strcmp(res[i].s[k].key, bm->key) == 0)
                            se = &res[i].s[k];
                if (se && se->n)
                    refmed = median(se->v, se->n);
            }
        }
        bool any = false;
        for (size_t i = 0; i < s->n_variants; i++) {
            series *se = NULL;
            for (int k = 0; k < res[i].nkeys; k++)
                if (strcmp(res[i].s[k].key, bm->key) == 0)
                    se = &res[i].s[k];
            if (!se && !res[i].failed)
                continue;
            if (res[i].failed && !se) {
                /* only list a failed variant under the first metric */
                if (m != 0)
                    continue;
            }
            if (!any) {
                printf("\n**%s** (%s, %s is better)\n\n", bm->title, bm->unit,
                       bm->higher_better ? "higher" : "lower");
                printf("| variant | median | %s | ratio to %s | runs | peak RSS MiB |\n",
                       bm->higher_better ? "max" : "min", refname ? refname : "-");
                printf("|---|---:|---:|---:|---:|---:|\n");
                any = true;
            }
            if (res[i].failed) {
                printf("| %s | FAILED | | | | |\n", s->variants[i].name);
                failures++;
                continue;
            }
            char a[32], b[32], c[32], d[32];
            double med = median(se->v, se->n);
            fmt_value(a, sizeof a, med);
            fmt_value(b, sizeof b, bm->higher_better ? maximum(se->v, se->n) : minimum(se->v, se->n));
            if (!isnan(refmed) && refmed != 0)
                snprintf(c, sizeof c, "%.3fx", med / refmed);
            else
                snprintf(c, sizeof c, "-");
            fmt_value(d, sizeof d, res[i].nrss ? median(res[i].rss, res[i].nrss) : NAN);
            printf("| %s | %s | %s | %s | %d | %s |\n", s->variants[i].name, a, b, c, se->n, d);
        }
    }
    if (n_notes) {
        printf("\nFailed attempts (each repetition is run again, up to %d times):\n\n", BENCH_ATTEMPTS);
        for (int i = 0; i < n_notes; i++)
            printf("- %s\n", notes[i].text);
        if (n_notes_dropped)
            printf("- and %d more (see the log)\n", n_notes_dropped);
    }
    printf("\n");
    fflush(stdout);
    free(res);
    return failures ? 1 : 0;
}
