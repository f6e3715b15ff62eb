/* SPDX-License-Identifier: MIT */
/* test-pool.c — the global pool across application lifetimes, and its
 * listing of the workers on it (cqt_pool_list, cqt_pool_active_count). */
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

/* ---- the listing of workers ------------------------------------------- */

/* Yields until quit; pausable. */
static int body_until_quit(void *user_data, cqt_worker *w, cqt_value *result)
{
    (void)user_data;
    (void)result;
    while (cqt_worker_yield(w, NULL, NULL) != CQT_ECANCELED)
        ;
    return CQT_ECANCELED;
}

static bool both_paused(void *arg)
{
    cqt_worker **w = arg;
    return cqt_worker_get_state(w[0]) == CQT_WORKER_STATE_PAUSED &&
           cqt_worker_get_state(w[1]) == CQT_WORKER_STATE_PAUSED;
}

/* cqt_pool_list snapshots the started workers in start order, with their
 * names, ids, states and running time; cqt_pool_active_count agrees, and
 * both drop to zero once the bodies returned. */
START_TEST(test_pool_list_names_states_in_start_order)
{
    cqt_worker *w[2] = {cqt_worker_new_generator("listed-first", body_until_quit, NULL, NULL),
                        cqt_worker_new_generator("listed-second", body_until_quit, NULL, NULL)};
    ck_assert_int_eq(cqt_pool_active_count(), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(cqt_worker_pause(w[i]), CQT_OK);
        ck_assert_int_eq(cqt_worker_start(w[i]), CQT_OK);
    }
    ck_assert(cqt_test_run_until(both_paused, w, CQT_TEST_TIMEOUT_MS));
    ck_assert_int_eq(cqt_pool_active_count(), 2);
    cqt_pool_entry *list = NULL;
    size_t n = 0;
    ck_assert_int_eq(cqt_pool_list(&list, &n), CQT_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(list[0].name, "listed-first");
    ck_assert_str_eq(list[1].name, "listed-second");
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(list[i].state, CQT_WORKER_STATE_PAUSED);
        ck_assert_int_ge(list[i].running_ms, 0);
        ck_assert_uint_ne(list[i].id, 0);
    }
    ck_assert_uint_ne(list[0].id, list[1].id);
    cqt_pool_list_free(list);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(cqt_worker_quit(w[i]), CQT_OK);
        ck_assert_int_eq(cqt_worker_wait(w[i], CQT_TEST_TIMEOUT_MS), CQT_OK);
        cqt_worker_unref(w[i]);
    }
    /* the bodies returned; their registry entries go right after */
    ck_assert_int_eq(cqt_pool_list(&list, &n), CQT_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(list[i].state, CQT_WORKER_STATE_DONE);
    cqt_pool_list_free(list);
}
END_TEST

CQT_TEST_SUITE(pool_suite)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("lifetime");
    tcase_add_test(tc, test_pool_calls_race_init_shutdown);
    suite_add_tcase(s, tc);

    TCase *listing = tcase_create("listing"); /* capi/src/worker-pool.c */
    cqt_test_add_app_fixture(listing);
    tcase_add_test(listing, test_pool_list_names_states_in_start_order);
    suite_add_tcase(s, listing);
    return s;
}
