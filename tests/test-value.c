/* SPDX-License-Identifier: MIT */
/* test-value.c — cqt_value: constructors, getters, sharing copies, clear,
 * equality, and misuse. Values need no application. */
#include "cqt-test.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static cqt_test_counter destroyed;
static void *destroyed_arg;

/* Tests run forked by default; resetting keeps them independent with
 * CK_FORK=no too. */
static void reset_counters(void)
{
    destroyed.value = 0;
    destroyed_arg = NULL;
}

static void count_destroy(void *p)
{
    destroyed_arg = p;
    cqt_test_counter_add(&destroyed, 1);
}

/* Every getter, asked of a value of the wrong kind, gives its neutral answer. */
static void assert_other_getters_neutral(const cqt_value *v, cqt_value_type t)
{
    if (t != CQT_VALUE_BOOL)
        ck_assert(!cqt_value_get_bool(v));
    if (t != CQT_VALUE_INT)
        ck_assert_int_eq(cqt_value_get_int(v), 0);
    if (t != CQT_VALUE_DOUBLE)
        ck_assert(cqt_value_get_double(v) == 0.0);
    if (t != CQT_VALUE_STRING && t != CQT_VALUE_ERROR)
        ck_assert_ptr_null(cqt_value_get_string(v));
    if (t != CQT_VALUE_BYTES) {
        size_t len = 99;
        ck_assert_ptr_null(cqt_value_get_bytes(v, &len));
        ck_assert_uint_eq(len, 0);
    }
    if (t != CQT_VALUE_POINTER)
        ck_assert_ptr_null(cqt_value_get_pointer(v));
    if (t != CQT_VALUE_ERROR)
        ck_assert_int_eq(cqt_value_get_error_code(v), CQT_OK);
}

/* none(), and a zero-initialised struct, are none. */
START_TEST(test_value_none)
{
    cqt_value v = cqt_value_none();
    ck_assert_int_eq(cqt_value_get_type(&v), CQT_VALUE_NONE);
    assert_other_getters_neutral(&v, CQT_VALUE_NONE);
    cqt_value z = {0};
    ck_assert_int_eq(cqt_value_get_type(&z), CQT_VALUE_NONE);
    ck_assert(cqt_value_equal(&v, &z));
    cqt_value_clear(&z);
    cqt_value_clear(&v);
}
END_TEST

START_TEST(test_value_bool)
{
    cqt_value t = cqt_value_bool(true), f = cqt_value_bool(false);
    ck_assert_int_eq(cqt_value_get_type(&t), CQT_VALUE_BOOL);
    ck_assert(cqt_value_get_bool(&t));
    ck_assert(!cqt_value_get_bool(&f));
    assert_other_getters_neutral(&t, CQT_VALUE_BOOL);
    ck_assert(!cqt_value_equal(&t, &f));
    cqt_value_clear(&t);
    cqt_value_clear(&f);
}
END_TEST

START_TEST(test_value_int)
{
    cqt_value a = cqt_value_int(INT64_MIN), b = cqt_value_int(INT64_MAX), c = cqt_value_int(-7);
    ck_assert_int_eq(cqt_value_get_type(&a), CQT_VALUE_INT);
    ck_assert(cqt_value_get_int(&a) == INT64_MIN);
    ck_assert(cqt_value_get_int(&b) == INT64_MAX);
    ck_assert(cqt_value_get_int(&c) == -7);
    assert_other_getters_neutral(&c, CQT_VALUE_INT);
    cqt_value_clear(&a);
    cqt_value_clear(&b);
    cqt_value_clear(&c);
}
END_TEST

START_TEST(test_value_double)
{
    cqt_value d = cqt_value_double(-2.5);
    ck_assert_int_eq(cqt_value_get_type(&d), CQT_VALUE_DOUBLE);
    ck_assert(cqt_value_get_double(&d) == -2.5);
    assert_other_getters_neutral(&d, CQT_VALUE_DOUBLE);
    cqt_value n1 = cqt_value_double(NAN), n2;
    ck_assert(isnan(cqt_value_get_double(&n1)));
    ck_assert_int_eq(cqt_value_copy(&n2, &n1), CQT_OK);
    ck_assert_msg(cqt_value_equal(&n1, &n2), "a NaN value must equal its copy");
    ck_assert(!cqt_value_equal(&n1, &d));
    cqt_value_clear(&d);
    cqt_value_clear(&n1);
    cqt_value_clear(&n2);
}
END_TEST

/* A string is copied at construction; NULL is the empty string. */
START_TEST(test_value_string)
{
    char buf[] = "hello";
    cqt_value s = cqt_value_string(buf);
    buf[0] = 'J';
    ck_assert_int_eq(cqt_value_get_type(&s), CQT_VALUE_STRING);
    ck_assert_str_eq(cqt_value_get_string(&s), "hello");
    ck_assert_ptr_ne(cqt_value_get_string(&s), buf);
    assert_other_getters_neutral(&s, CQT_VALUE_STRING);

    cqt_value e = cqt_value_string(NULL);
    ck_assert_int_eq(cqt_value_get_type(&e), CQT_VALUE_STRING);
    ck_assert_str_eq(cqt_value_get_string(&e), "");
    cqt_value e2 = cqt_value_string("");
    ck_assert(cqt_value_equal(&e, &e2));
    ck_assert(!cqt_value_equal(&e, &s));
    cqt_value_clear(&s);
    cqt_value_clear(&e);
    cqt_value_clear(&e2);
}
END_TEST

/* Bytes are copied, may hold NULs, have a NUL after them, and may be empty. */
START_TEST(test_value_bytes)
{
    unsigned char raw[5] = {1, 0, 2, 0, 3};
    cqt_value b = cqt_value_bytes(raw, sizeof raw);
    raw[0] = 9;
    ck_assert_int_eq(cqt_value_get_type(&b), CQT_VALUE_BYTES);
    size_t len = 0;
    const unsigned char *p = cqt_value_get_bytes(&b, &len);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(p[0], 1);
    ck_assert_int_eq(p[4], 3);
    ck_assert_ptr_nonnull(cqt_value_get_bytes(&b, NULL));
    assert_other_getters_neutral(&b, CQT_VALUE_BYTES);

    cqt_value empty = cqt_value_bytes(NULL, 0);
    ck_assert_int_eq(cqt_value_get_type(&empty), CQT_VALUE_BYTES);
    ck_assert_ptr_nonnull(cqt_value_get_bytes(&empty, &len));
    ck_assert_uint_eq(len, 0);

    /* Same content as a string is still a different type. */
    cqt_value s = cqt_value_string("ab"), sb = cqt_value_bytes("ab", 2);
    ck_assert(!cqt_value_equal(&s, &sb));
    cqt_value sb2 = cqt_value_bytes("ab", 2), sc = cqt_value_bytes("ac", 2);
    ck_assert(cqt_value_equal(&sb, &sb2));
    ck_assert(!cqt_value_equal(&sb, &sc));
    cqt_value_clear(&b);
    cqt_value_clear(&empty);
    cqt_value_clear(&s);
    cqt_value_clear(&sb);
    cqt_value_clear(&sb2);
    cqt_value_clear(&sc);
}
END_TEST

/* NULL data with a size is refused: none, with a message. */
START_TEST(test_value_bytes_null_with_size)
{
    cqt_value v = cqt_value_bytes(NULL, 4);
    ck_assert_int_eq(cqt_value_get_type(&v), CQT_VALUE_NONE);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "cqt_value_bytes"));
    cqt_value_clear(&v);
}
END_TEST

START_TEST(test_value_pointer)
{
    int target = 0;
    cqt_value p = cqt_value_pointer(&target, count_destroy);
    ck_assert_int_eq(cqt_value_get_type(&p), CQT_VALUE_POINTER);
    ck_assert_ptr_eq(cqt_value_get_pointer(&p), &target);
    assert_other_getters_neutral(&p, CQT_VALUE_POINTER);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 0);
    cqt_value_clear(&p);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
    ck_assert_ptr_eq(destroyed_arg, &target);

    /* No destroy: nothing to call; a NULL pointer is still a pointer value. */
    cqt_value q = cqt_value_pointer(NULL, NULL);
    ck_assert_int_eq(cqt_value_get_type(&q), CQT_VALUE_POINTER);
    ck_assert_ptr_null(cqt_value_get_pointer(&q));
    cqt_value_clear(&q);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
}
END_TEST

/* Pointers compare by address, whatever their destroy. */
START_TEST(test_value_pointer_equal_by_address)
{
    int a, b;
    cqt_value pa = cqt_value_pointer(&a, NULL), pa2 = cqt_value_pointer(&a, count_destroy),
              pb = cqt_value_pointer(&b, NULL);
    ck_assert(cqt_value_equal(&pa, &pa2));
    ck_assert(!cqt_value_equal(&pa, &pb));
    cqt_value_clear(&pa);
    cqt_value_clear(&pa2);
    cqt_value_clear(&pb);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
}
END_TEST

START_TEST(test_value_error)
{
    cqt_value e = cqt_value_error(CQT_ETIMEDOUT, "axis 'x' did not arrive");
    ck_assert_int_eq(cqt_value_get_type(&e), CQT_VALUE_ERROR);
    ck_assert_int_eq(cqt_value_get_error_code(&e), CQT_ETIMEDOUT);
    ck_assert_str_eq(cqt_value_get_string(&e), "axis 'x' did not arrive");
    assert_other_getters_neutral(&e, CQT_VALUE_ERROR);

    /* NULL message: the code's text, so logs never print "(null)". */
    cqt_value n = cqt_value_error(CQT_ECANCELED, NULL);
    ck_assert_int_eq(cqt_value_get_error_code(&n), CQT_ECANCELED);
    ck_assert_ptr_nonnull(cqt_value_get_string(&n));
    ck_assert_str_eq(cqt_value_get_string(&n), cqt_strerror(CQT_ECANCELED));

    cqt_value same = cqt_value_error(CQT_ETIMEDOUT, "axis 'x' did not arrive");
    cqt_value other_code = cqt_value_error(CQT_EFAULT, "axis 'x' did not arrive");
    cqt_value as_string = cqt_value_string("axis 'x' did not arrive");
    ck_assert(cqt_value_equal(&e, &same));
    ck_assert(!cqt_value_equal(&e, &other_code));
    ck_assert(!cqt_value_equal(&e, &as_string));
    cqt_value_clear(&e);
    cqt_value_clear(&n);
    cqt_value_clear(&same);
    cqt_value_clear(&other_code);
    cqt_value_clear(&as_string);
}
END_TEST

/* Copies share the box: same storage, and the pointer's destroy runs once,
 * only after both copies were cleared. */
START_TEST(test_value_copy_shares)
{
    int target;
    cqt_value a = cqt_value_pointer(&target, count_destroy), b, c;
    ck_assert_int_eq(cqt_value_copy(&b, &a), CQT_OK);
    ck_assert_int_eq(cqt_value_copy(&c, &b), CQT_OK);
    ck_assert(cqt_value_equal(&a, &b));
    ck_assert_ptr_eq(cqt_value_get_pointer(&c), &target);
    cqt_value_clear(&a);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 0);
    ck_assert_ptr_eq(cqt_value_get_pointer(&b), &target);
    cqt_value_clear(&c);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 0);
    cqt_value_clear(&b);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);

    cqt_value s = cqt_value_string("shared"), s2;
    ck_assert_int_eq(cqt_value_copy(&s2, &s), CQT_OK);
    ck_assert_ptr_eq(cqt_value_get_string(&s), cqt_value_get_string(&s2));
    cqt_value_clear(&s);
    ck_assert_str_eq(cqt_value_get_string(&s2), "shared");
    cqt_value_clear(&s2);

    cqt_value i = cqt_value_int(42), i2;
    ck_assert_int_eq(cqt_value_copy(&i2, &i), CQT_OK);
    ck_assert(cqt_value_get_int(&i2) == 42);
    cqt_value_clear(&i);
    cqt_value_clear(&i2);
}
END_TEST

/* Copying a value onto itself adds no reference: one clear releases it. */
START_TEST(test_value_copy_onto_itself)
{
    int target;
    cqt_value a = cqt_value_pointer(&target, count_destroy);
    ck_assert_int_eq(cqt_value_copy(&a, &a), CQT_OK);
    cqt_value_clear(&a);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
}
END_TEST

enum { SHARE_THREADS = 4, SHARE_COPIES = 20000 };

static void *copy_and_clear(void *arg)
{
    const cqt_value *src = arg;
    for (int i = 0; i < SHARE_COPIES; i++) {
        cqt_value c;
        if (cqt_value_copy(&c, src) != CQT_OK)
            return (void *)1;
        cqt_value_clear(&c);
    }
    return NULL;
}

/* The refcount is atomic: copies made and cleared in several threads at
 * once never run the destroy early, and it runs once at the end. */
START_TEST(test_value_copy_from_threads)
{
    int target;
    cqt_value v = cqt_value_pointer(&target, count_destroy);
    pthread_t th[SHARE_THREADS];
    for (int i = 0; i < SHARE_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, copy_and_clear, &v), 0);
    for (int i = 0; i < SHARE_THREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        ck_assert_ptr_null(ret);
    }
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 0);
    cqt_value_clear(&v);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
}
END_TEST

/* Clearing twice, or clearing none, is harmless; clear leaves none. */
START_TEST(test_value_clear_twice)
{
    int target;
    cqt_value v = cqt_value_pointer(&target, count_destroy);
    cqt_value_clear(&v);
    ck_assert_int_eq(cqt_value_get_type(&v), CQT_VALUE_NONE);
    cqt_value_clear(&v);
    ck_assert_int_eq(cqt_test_counter_get(&destroyed), 1);
    cqt_value s = cqt_value_string("x");
    cqt_value_clear(&s);
    cqt_value_clear(&s);
    ck_assert_ptr_null(cqt_value_get_string(&s));
    cqt_value_clear(NULL);
}
END_TEST

/* NULL reads as none everywhere; copy with NULL is EINVAL and leaves a
 * non-NULL dst none. */
START_TEST(test_value_null_arguments)
{
    ck_assert_int_eq(cqt_value_get_type(NULL), CQT_VALUE_NONE);
    assert_other_getters_neutral(NULL, CQT_VALUE_NONE);
    cqt_value_get_bytes(NULL, NULL);

    cqt_value dst = cqt_value_int(5);
    ck_assert_int_eq(cqt_value_copy(&dst, NULL), CQT_EINVAL);
    ck_assert_int_eq(cqt_value_get_type(&dst), CQT_VALUE_NONE);
    ck_assert_ptr_nonnull(strstr(cqt_last_error(), "cqt_value_copy"));
    cqt_value src = cqt_value_string("s");
    ck_assert_int_eq(cqt_value_copy(NULL, &src), CQT_EINVAL);
    ck_assert_int_eq(cqt_value_copy(NULL, NULL), CQT_EINVAL);
    cqt_value_clear(&src);

    cqt_value none = cqt_value_none();
    ck_assert(cqt_value_equal(NULL, NULL));
    ck_assert(cqt_value_equal(NULL, &none));
    cqt_value one = cqt_value_int(1);
    ck_assert(!cqt_value_equal(NULL, &one));
    ck_assert(!cqt_value_equal(&one, NULL));
}
END_TEST

/* Equality: same type and content; different numbers differ. */
START_TEST(test_value_equal)
{
    cqt_value i1 = cqt_value_int(1), i1b = cqt_value_int(1), i2 = cqt_value_int(2);
    cqt_value d1 = cqt_value_double(1.0), b1 = cqt_value_bool(true);
    ck_assert(cqt_value_equal(&i1, &i1b));
    ck_assert(!cqt_value_equal(&i1, &i2));
    ck_assert(!cqt_value_equal(&i1, &d1));
    ck_assert(!cqt_value_equal(&i1, &b1));
    cqt_value s1 = cqt_value_string("abc"), s2 = cqt_value_string("abd"),
              s3 = cqt_value_string("abc"), s4 = cqt_value_string("abcd");
    ck_assert(cqt_value_equal(&s1, &s3));
    ck_assert(!cqt_value_equal(&s1, &s2));
    ck_assert(!cqt_value_equal(&s1, &s4));
    cqt_value none = cqt_value_none();
    ck_assert(!cqt_value_equal(&none, &i1));
    cqt_value_clear(&s1);
    cqt_value_clear(&s2);
    cqt_value_clear(&s3);
    cqt_value_clear(&s4);
}
END_TEST

/* A struct holding an unknown type reads as none and is not trusted. */
START_TEST(test_value_garbage_type_reads_none)
{
    cqt_value v = cqt_value_none();
    v.type_ = 77;
    ck_assert_int_eq(cqt_value_get_type(&v), CQT_VALUE_NONE);
    ck_assert_ptr_null(cqt_value_get_string(&v));
    cqt_value_clear(&v);
}
END_TEST

START_TEST(test_value_type_name)
{
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_NONE), "none");
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_BOOL), "bool");
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_INT), "int");
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_DOUBLE), "double");
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_STRING), "string");
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_BYTES), "bytes");
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_POINTER), "pointer");
    ck_assert_str_eq(cqt_value_type_name(CQT_VALUE_ERROR), "error");
    ck_assert_str_eq(cqt_value_type_name((cqt_value_type)99), "unknown");
}
END_TEST

CQT_TEST_SUITE(value_suite)
{
    Suite *s = suite_create("value");
    TCase *tc = tcase_create("value");
    tcase_add_checked_fixture(tc, reset_counters, NULL);
    tcase_add_test(tc, test_value_none);
    tcase_add_test(tc, test_value_bool);
    tcase_add_test(tc, test_value_int);
    tcase_add_test(tc, test_value_double);
    tcase_add_test(tc, test_value_string);
    tcase_add_test(tc, test_value_bytes);
    tcase_add_test(tc, test_value_bytes_null_with_size);
    tcase_add_test(tc, test_value_pointer);
    tcase_add_test(tc, test_value_pointer_equal_by_address);
    tcase_add_test(tc, test_value_error);
    tcase_add_test(tc, test_value_copy_shares);
    tcase_add_test(tc, test_value_copy_onto_itself);
    tcase_add_test(tc, test_value_copy_from_threads);
    tcase_add_test(tc, test_value_clear_twice);
    tcase_add_test(tc, test_value_null_arguments);
    tcase_add_test(tc, test_value_equal);
    tcase_add_test(tc, test_value_garbage_type_reads_none);
    tcase_add_test(tc, test_value_type_name);
    suite_add_tcase(s, tc);
    return s;
}
