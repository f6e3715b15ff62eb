/* SPDX-License-Identifier: MIT */
/* cqt/value.h — the values that signals, workers and results carry.
 *
 * A cqt_value is a small struct passed by value (QVariant's job). Read it
 * through the getters; its fields are private. Strings, bytes, pointers and
 * error messages live in a shared, immutable, reference-counted box, so a
 * copy costs one atomic increment and never allocates; numbers are stored
 * inline. Every value that was made or copied must be released once with
 * cqt_value_clear(). A zero-initialised struct is a valid "none" value.
 */
#ifndef CQT_VALUE_H
#define CQT_VALUE_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kinds of cqt_value (cqt_value_get_type()). */
typedef enum cqt_value_type {
    CQT_VALUE_NONE = 0,
    CQT_VALUE_BOOL,
    CQT_VALUE_INT,
    CQT_VALUE_DOUBLE,
    CQT_VALUE_STRING,
    CQT_VALUE_BYTES,
    CQT_VALUE_POINTER,
    CQT_VALUE_ERROR
} cqt_value_type;

struct cqt__value_box;

/* A value: passed by value, read through the cqt_value_get_* getters,
 * released with cqt_value_clear(). A zeroed one is a none value. */
typedef struct cqt_value {
    int32_t type_; /* private: use cqt_value_get_type() */
    int32_t code_; /* private */
    union {
        bool b;
        int64_t i;
        double d;
        struct cqt__value_box *box;
    } u_;          /* private */
} cqt_value;

/* cqt_value_none:
 * Returns: a none value (the same as a zero-initialised struct); it owns
 * nothing, so clearing it is optional. Never fails. Thread: any. */
CQT_API cqt_value cqt_value_none(void);

/* cqt_value_bool:
 * Returns: a bool value holding @b, stored inline (no allocation, never
 * fails). Thread: any. Transfer full: release with cqt_value_clear(). */
CQT_API cqt_value cqt_value_bool(bool b);

/* cqt_value_int:
 * As cqt_value_bool(), for the 64-bit integer @i. Returns: the int value;
 * never fails. Thread: any. Transfer full: release with cqt_value_clear(). */
CQT_API cqt_value cqt_value_int(int64_t i);

/* cqt_value_double:
 * As cqt_value_bool(), for @d. Returns: the double value; never fails.
 * Thread: any. Transfer full: release with cqt_value_clear(). */
CQT_API cqt_value cqt_value_double(double d);

/* cqt_value_string:
 * Copies the NUL-terminated @s (nullable: NULL is the empty string).
 * Returns: a string value; a none value with cqt_last_error() set
 * (CQT_ENOMEM) when the copy cannot be allocated. Thread: any.
 * Transfer full: release with cqt_value_clear(). */
CQT_API cqt_value cqt_value_string(const char *s);

/* cqt_value_bytes:
 * Copies @n bytes of @p (@p may be NULL only when @n is 0).
 * Returns: a bytes value; a none value with cqt_last_error() set when @p is
 * NULL with @n > 0 (CQT_EINVAL) or the copy cannot be allocated
 * (CQT_ENOMEM). Thread: any. Transfer full: release with cqt_value_clear(). */
CQT_API cqt_value cqt_value_bytes(const void *p, size_t n);

/* cqt_value_pointer:
 * Wraps @p; @destroy (nullable) runs once with @p, when the last copy is
 * cleared, in the thread that clears it.
 * Returns: a pointer value; a none value with cqt_last_error() set
 * (CQT_ENOMEM) when its box cannot be allocated, and then @destroy has
 * already run, so @p never leaks. Thread: any. Transfer full: release with
 * cqt_value_clear(). */
CQT_API cqt_value cqt_value_pointer(void *p, cqt_destroy_fn destroy);

/* cqt_value_error:
 * @code should be a negative cqt_status; @message (nullable) is copied,
 * NULL gives cqt_strerror(@code) as the message.
 * Returns: an error value; a none value with cqt_last_error() set
 * (CQT_ENOMEM) when the message cannot be copied. Thread: any.
 * Transfer full: release with cqt_value_clear(). */
CQT_API cqt_value cqt_value_error(int code, const char *message);

/* cqt_value_get_type:
 * Returns: the type of @v; CQT_VALUE_NONE for NULL @v or a struct whose
 * fields hold garbage. Thread: any (values are immutable). */
CQT_API cqt_value_type cqt_value_get_type(const cqt_value *v);

/* cqt_value_get_bool:
 * Returns: the bool @v holds; false for another type or NULL @v.
 * Thread: any. */
CQT_API bool cqt_value_get_bool(const cqt_value *v);

/* cqt_value_get_int:
 * Returns: the integer @v holds; 0 for another type (no conversion, not
 * even from double) or NULL @v. Thread: any. */
CQT_API int64_t cqt_value_get_int(const cqt_value *v);

/* cqt_value_get_double:
 * Returns: the double @v holds; 0.0 for another type (no conversion) or
 * NULL @v. Thread: any. */
CQT_API double cqt_value_get_double(const cqt_value *v);

/* cqt_value_get_string:
 * Returns: the NUL-terminated string of a string value, or the message of
 * an error value; NULL (nullable) for another type or NULL @v.
 * Thread: any. Transfer none: valid while @v (or a copy of it) is not
 * cleared. */
CQT_API const char *cqt_value_get_string(const cqt_value *v);

/* cqt_value_get_bytes:
 * @len (nullable) receives the size, 0 when @v holds no bytes.
 * Returns: the bytes of a bytes value (followed by a NUL not counted in
 * @len); NULL (nullable) for another type or NULL @v. Thread: any.
 * Transfer none: valid while @v (or a copy of it) is not cleared. */
CQT_API const void *cqt_value_get_bytes(const cqt_value *v, size_t *len);

/* cqt_value_get_pointer:
 * Returns: the pointer a pointer value wraps; NULL (nullable) for another
 * type or NULL @v. Thread: any. Transfer none: the pointer stays owned by
 * the value; its destroy runs when the last copy is cleared. */
CQT_API void *cqt_value_get_pointer(const cqt_value *v);

/* cqt_value_get_error_code:
 * Returns: the code of an error value; CQT_OK for other types and NULL
 * @v. Thread: any. */
CQT_API int cqt_value_get_error_code(const cqt_value *v);

/* cqt_value_type_name:
 * Returns: a short name for @type ("int", "string", ...) for messages;
 * "unknown" for a value outside the enum. Thread: any. Transfer none:
 * static storage, valid for the life of the process. */
CQT_API const char *cqt_value_type_name(cqt_value_type type);

/* cqt_value_copy:
 * Makes @dst a copy of @src (sharing its box). @dst is overwritten, not
 * cleared first; clear it before if it held a value.
 * Returns: CQT_OK; CQT_EINVAL for a NULL argument (then @dst, when not
 * NULL, becomes none). Thread: any. */
CQT_API int cqt_value_copy(cqt_value *dst, const cqt_value *src);

/* cqt_value_clear:
 * Releases what @v owns and makes it none. NULL is ignored; clearing a
 * none value does nothing, so clearing twice is safe. Thread: any. */
CQT_API void cqt_value_clear(cqt_value *v);

/* cqt_value_equal:
 * Returns: true when both have the same type and content (pointers compare
 * by address). Thread: any. */
CQT_API bool cqt_value_equal(const cqt_value *a, const cqt_value *b);

#ifdef __cplusplus
}
#endif

#endif /* CQT_VALUE_H */
