/* SPDX-License-Identifier: MIT */
/* test-version.c — the version macros generated from meson.build
 * (cqt/version.h) and the version of the library loaded at run time agree;
 * CQT_CHECK_VERSION compares as documented. Needs no application. */
#include "cqt-test.h"

#include <stdio.h>
#include <string.h>

/* The run-time number is the headers' CQT_VERSION_HEX, packed as documented. */
START_TEST(test_version_number_matches_macros)
{
    unsigned v = cqt_version();
    ck_assert_uint_eq(v, CQT_VERSION_HEX);
    ck_assert_uint_eq((v >> 16) & 0xffu, CQT_VERSION_MAJOR);
    ck_assert_uint_eq((v >> 8) & 0xffu, CQT_VERSION_MINOR);
    ck_assert_uint_eq(v & 0xffu, CQT_VERSION_MICRO);
}
END_TEST

/* The run-time string is CQT_VERSION_STRING, which is MAJOR.MINOR.MICRO. */
START_TEST(test_version_string_matches_macros)
{
    char expect[64];
    snprintf(expect, sizeof expect, "%d.%d.%d", CQT_VERSION_MAJOR, CQT_VERSION_MINOR,
             CQT_VERSION_MICRO);
    ck_assert_str_eq(CQT_VERSION_STRING, expect);
    ck_assert_ptr_nonnull(cqt_version_string());
    ck_assert_str_eq(cqt_version_string(), CQT_VERSION_STRING);
    /* transfer none: the same static string every time */
    ck_assert_ptr_eq(cqt_version_string(), cqt_version_string());
}
END_TEST

/* CQT_CHECK_VERSION is true for these headers' version and older ones,
 * false for newer ones, in every field. */
START_TEST(test_version_check_macro)
{
    ck_assert(CQT_CHECK_VERSION(CQT_VERSION_MAJOR, CQT_VERSION_MINOR, CQT_VERSION_MICRO));
    ck_assert(CQT_CHECK_VERSION(0, 0, 0));
    ck_assert(!CQT_CHECK_VERSION(CQT_VERSION_MAJOR, CQT_VERSION_MINOR, CQT_VERSION_MICRO + 1));
    ck_assert(!CQT_CHECK_VERSION(CQT_VERSION_MAJOR, CQT_VERSION_MINOR + 1, 0));
    ck_assert(!CQT_CHECK_VERSION(CQT_VERSION_MAJOR + 1, 0, 0));
    if (CQT_VERSION_MINOR > 0)
        ck_assert(CQT_CHECK_VERSION(CQT_VERSION_MAJOR, CQT_VERSION_MINOR - 1, 99));
    /* The macro works in the preprocessor too. */
#if !CQT_CHECK_VERSION(0, 2, 0)
    ck_abort_msg("CQT_CHECK_VERSION(0, 2, 0) is false in #if");
#endif
}
END_TEST

CQT_TEST_SUITE(version_suite)
{
    Suite *s = suite_create("version");
    TCase *tc = tcase_create("version");
    tcase_add_test(tc, test_version_number_matches_macros);
    tcase_add_test(tc, test_version_string_matches_macros);
    tcase_add_test(tc, test_version_check_macro);
    suite_add_tcase(s, tc);
    return s;
}
