/* test-pool.c — the global pool across application lifetimes. */
#include "cqt-test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    volatile int stop;
    cqt_test_counter ran, destroyed, accepted, run_refused, bad;
    int bad_rc;
} pool_racer;

static void count_run(void *arg)
{
    cqt_test_counter_add(&((pool_racer *)arg)->ran, 1);
}

static void count_destroy(void *arg)
{
    cqt_test_counter_add(&((pool_racer *)arg)->destroyed, 1);
}

/* CQT_ESTATE is the one refusal expected (no application right now). */
static void classify(pool_racer *r, int rc)
{
    if (rc < 0 && rc != CQT_ESTATE) {
        r->bad_rc = rc;
        cqt_test_counter_add(&r->bad, 1);
    }
}

static void *race_pool(void *arg)
{
    pool_racer *r = arg;
    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
        int rc = cqt_pool_run(count_run, r, count_destroy);
        classify(r, rc);
        cqt_test_counter_add(rc == CQT_OK ? &r->accepted : &r->run_refused, 1);
        classify(r, cqt_pool_busy_threads());
        classify(r, cqt_pool_max_threads());
    }
    return NULL;
}

/* Pool calls from a plain pthread while main creates and shuts down
 * applications get a pool that is alive or CQT_ESTATE, never a freed one;
 * every accepted task runs, every refused one has its destroy called. */
START_TEST(test_pool_calls_race_init_shutdown)
{
    pool_racer r = {0};
    pthread_t pt[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&pt[i], NULL, race_pool, &r);
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(cqt_app_init(NULL, NULL, CQT_APP_CORE), CQT_OK);
        int rc = cqt_app_shutdown(CQT_TEST_TIMEOUT_MS);
        ck_assert_msg(rc == CQT_OK, "%s", cqt_last_error());
    }
    __atomic_store_n(&r.stop, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 3; i++)
        pthread_join(pt[i], NULL);
    ck_assert_msg(cqt_test_counter_get(&r.bad) == 0, "a pool call returned %s",
                  cqt_status_name(r.bad_rc));
    ck_assert_int_eq(cqt_test_counter_get(&r.ran), cqt_test_counter_get(&r.accepted));
    ck_assert_int_eq(cqt_test_counter_get(&r.destroyed),
                     cqt_test_counter_get(&r.accepted) + cqt_test_counter_get(&r.run_refused));
}
END_TEST

CQT_TEST_SUITE(pool_suite)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("lifetime");
    tcase_add_test(tc, test_pool_calls_race_init_shutdown);
    suite_add_tcase(s, tc);
    return s;
}
