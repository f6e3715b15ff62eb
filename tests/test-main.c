/* SPDX-License-Identifier: MIT */
/* test-main.c — the one runner: runs every suite that registered itself
 * with CQT_TEST_SUITE() in this executable. */
#include <stdio.h>
#include <stdlib.h>

#include "cqt-test.h"

extern const cqt_test_suite_fn __start_cqt_test_suites[];
extern const cqt_test_suite_fn __stop_cqt_test_suites[];

int main(void)
{
    SRunner *sr = NULL;
    for (const cqt_test_suite_fn *fn = __start_cqt_test_suites; fn < __stop_cqt_test_suites; fn++) {
        Suite *s = (*fn)();
        if (!sr)
            sr = srunner_create(s);
        else
            srunner_add_suite(sr, s);
    }
    if (!sr) {
        fprintf(stderr, "test-main: no suite registered in this executable\n");
        return EXIT_FAILURE;
    }
    srunner_run_all(sr, CK_ENV);
    int ran = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (ran == 0) {
        fprintf(stderr, "test-main: no test ran (check CK_RUN_SUITE / CK_RUN_CASE)\n");
        return EXIT_FAILURE;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
