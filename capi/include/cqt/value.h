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

/* Constructors. Thread: any. Transfer full: release with cqt_value_clear().
 * cqt_value_string(NULL) is the empty string; bytes copies @n bytes of @p
 * (NULL with n > 0 gives none). A constructor that cannot allocate
 * returns a none value and sets cqt_last_error(). */
CQT_API cqt_value cqt_value_none(void);
CQT_API cqt_value cqt_value_bool(bool b);
CQT_API cqt_value cqt_value_int(int64_t i);
CQT_API cqt_value cqt_value_double(double d);
CQT_API cqt_value cqt_value_string(const char *s);
CQT_API cqt_value cqt_value_bytes(const void *p, size_t n);
/* @destroy (nullable) runs once, when the last copy is cleared, in the
 * thread that clears it. */
CQT_API cqt_value cqt_value_pointer(void *p, cqt_destroy_fn destroy);
/* @code should be a negative cqt_status; @message (nullable) is copied. */
CQT_API cqt_value cqt_value_error(int code, const char *message);

/* Getters. Thread: any (values are immutable). A getter of the wrong type
 * returns false / 0 / 0.0 / NULL; NULL @v reads as none. */
CQT_API cqt_value_type cqt_value_get_type(const cqt_value *v);
CQT_API bool cqt_value_get_bool(const cqt_value *v);
CQT_API int64_t cqt_value_get_int(const cqt_value *v);
CQT_API double cqt_value_get_double(const cqt_value *v);
/* Transfer none: valid while @v (or a copy of it) is not cleared. NUL
 * terminated; for errors, the message. */
CQT_API const char *cqt_value_get_string(const cqt_value *v);
/* Transfer none. @len (nullable) receives the size. */
CQT_API const void *cqt_value_get_bytes(const cqt_value *v, size_t *len);
/* Transfer none: the pointer stays owned by the value. */
CQT_API void *cqt_value_get_pointer(const cqt_value *v);
/* The code of an error value; CQT_OK for other kinds. */
CQT_API int cqt_value_get_error_code(const cqt_value *v);
/* A short type name ("int", "string") for messages. Static storage. */
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
