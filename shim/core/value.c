/* SPDX-License-Identifier: MIT */
/* value.c — cqt_value: small by-value variants with a shared, immutable,
 * reference-counted box for everything that does not fit inline. In the
 * core (C, on the public API and libc alone): signals and mailboxes copy
 * and clear values, and the modules above build on them. */
#include <cqt/value.h>

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The box is immutable after construction, so copies in any thread may read
 * it without a lock; only the count changes. */
struct cqt__value_box {
    atomic_size_t refs;
    size_t len;               /* bytes in data, excluding the NUL */
    void *ptr;                /* CQT_VALUE_POINTER */
    cqt_destroy_fn destroy;   /* CQT_VALUE_POINTER */
    char data[];              /* strings, bytes, error messages; NUL terminated */
};

static bool type_is_boxed(int32_t type)
{
    return type == CQT_VALUE_STRING || type == CQT_VALUE_BYTES || type == CQT_VALUE_POINTER ||
           type == CQT_VALUE_ERROR;
}

/* A value whose type field holds garbage (a struct never initialised by
 * us) reads as none rather than being trusted. */
static cqt_value_type value_type(const cqt_value *v)
{
    if (!v || v->type_ < CQT_VALUE_NONE || v->type_ > CQT_VALUE_ERROR)
        return CQT_VALUE_NONE;
    if (type_is_boxed(v->type_) && !v->u_.box)
        return CQT_VALUE_NONE;
    return (cqt_value_type)v->type_;
}

/* Allocates a box with @n bytes of @p (NULL p: zeroes) and a NUL after. */
static struct cqt__value_box *box_new(const char *fn, const void *p, size_t n)
{
    if (n > SIZE_MAX - sizeof(struct cqt__value_box) - 1) {
        cqt_set_last_error(CQT_ENOMEM, "%s: %zu bytes is too large to copy", fn, n);
        return NULL;
    }
    struct cqt__value_box *box = malloc(sizeof *box + n + 1);
    if (!box) {
        cqt_set_last_error(CQT_ENOMEM, "%s: out of memory copying %zu bytes; free memory or pass "
                                       "less data",
                           fn, n);
        return NULL;
    }
    atomic_init(&box->refs, 1);
    box->len = n;
    box->ptr = NULL;
    box->destroy = NULL;
    if (n > 0)
        memcpy(box->data, p, n);
    box->data[n] = '\0';
    return box;
}

static void box_unref(struct cqt__value_box *box)
{
    /* acq_rel: the thread that frees must see every write made before the
     * other copies were released (the pointer's destroy may read them). */
    if (atomic_fetch_sub_explicit(&box->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (box->destroy)
        box->destroy(box->ptr);
    free(box);
}

cqt_value cqt_value_none(void)
{
    cqt_value v;
    memset(&v, 0, sizeof v);
    return v;
}

cqt_value cqt_value_bool(bool b)
{
    cqt_value v = cqt_value_none();
    v.type_ = CQT_VALUE_BOOL;
    v.u_.b = b;
    return v;
}

cqt_value cqt_value_int(int64_t i)
{
    cqt_value v = cqt_value_none();
    v.type_ = CQT_VALUE_INT;
    v.u_.i = i;
    return v;
}

cqt_value cqt_value_double(double d)
{
    cqt_value v = cqt_value_none();
    v.type_ = CQT_VALUE_DOUBLE;
    v.u_.d = d;
    return v;
}

cqt_value cqt_value_string(const char *s)
{
    cqt_value v = cqt_value_none();
    if (!s)
        s = "";
    struct cqt__value_box *box = box_new("cqt_value_string", s, strlen(s));
    if (!box)
        return v;
    v.type_ = CQT_VALUE_STRING;
    v.u_.box = box;
    return v;
}

cqt_value cqt_value_bytes(const void *p, size_t n)
{
    cqt_value v = cqt_value_none();
    if (!p && n > 0) {
        cqt_set_last_error(CQT_EINVAL, "cqt_value_bytes: p is NULL with n = %zu; pass a buffer "
                                       "of n bytes or n = 0",
                           n);
        return v;
    }
    struct cqt__value_box *box = box_new("cqt_value_bytes", p, n);
    if (!box)
        return v;
    v.type_ = CQT_VALUE_BYTES;
    v.u_.box = box;
    return v;
}

cqt_value cqt_value_pointer(void *p, cqt_destroy_fn destroy)
{
    cqt_value v = cqt_value_none();
    struct cqt__value_box *box = box_new("cqt_value_pointer", NULL, 0);
    if (!box) {
        /* As with every (data, destroy) pair in cqt: the destroy runs even
         * when the call fails, so the caller never leaks @p. */
        if (destroy)
            destroy(p);
        return v;
    }
    box->ptr = p;
    box->destroy = destroy;
    v.type_ = CQT_VALUE_POINTER;
    v.u_.box = box;
    return v;
}

cqt_value cqt_value_error(int code, const char *message)
{
    cqt_value v = cqt_value_none();
    /* Without a message the code's own text keeps logs readable. */
    if (!message)
        message = cqt_strerror(code);
    struct cqt__value_box *box = box_new("cqt_value_error", message, strlen(message));
    if (!box)
        return v;
    v.type_ = CQT_VALUE_ERROR;
    v.code_ = code;
    v.u_.box = box;
    return v;
}

cqt_value_type cqt_value_get_type(const cqt_value *v)
{
    return value_type(v);
}

bool cqt_value_get_bool(const cqt_value *v)
{
    return value_type(v) == CQT_VALUE_BOOL ? v->u_.b : false;
}

int64_t cqt_value_get_int(const cqt_value *v)
{
    return value_type(v) == CQT_VALUE_INT ? v->u_.i : 0;
}

double cqt_value_get_double(const cqt_value *v)
{
    return value_type(v) == CQT_VALUE_DOUBLE ? v->u_.d : 0.0;
}

const char *cqt_value_get_string(const cqt_value *v)
{
    cqt_value_type t = value_type(v);
    if (t != CQT_VALUE_STRING && t != CQT_VALUE_ERROR)
        return NULL;
    return v->u_.box->data;
}

const void *cqt_value_get_bytes(const cqt_value *v, size_t *len)
{
    if (value_type(v) != CQT_VALUE_BYTES) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = v->u_.box->len;
    return v->u_.box->data;
}

void *cqt_value_get_pointer(const cqt_value *v)
{
    return value_type(v) == CQT_VALUE_POINTER ? v->u_.box->ptr : NULL;
}

int cqt_value_get_error_code(const cqt_value *v)
{
    return value_type(v) == CQT_VALUE_ERROR ? v->code_ : CQT_OK;
}

const char *cqt_value_type_name(cqt_value_type type)
{
    switch (type) {
    case CQT_VALUE_NONE:
        return "none";
    case CQT_VALUE_BOOL:
        return "bool";
    case CQT_VALUE_INT:
        return "int";
    case CQT_VALUE_DOUBLE:
        return "double";
    case CQT_VALUE_STRING:
        return "string";
    case CQT_VALUE_BYTES:
        return "bytes";
    case CQT_VALUE_POINTER:
        return "pointer";
    case CQT_VALUE_ERROR:
        return "error";
    }
    return "unknown";
}

int cqt_value_copy(cqt_value *dst, const cqt_value *src)
{
    if (!dst || !src) {
        if (dst)
            *dst = cqt_value_none();
        return cqt_set_last_error(CQT_EINVAL, "cqt_value_copy: %s is NULL; pass two values",
                                  dst ? "src" : "dst");
    }
    /* Copying a value onto itself must not add a reference: the caller
     * still clears it only once. */
    if (dst == src)
        return CQT_OK;
    cqt_value_type t = value_type(src);
    if (t == CQT_VALUE_NONE) {
        *dst = cqt_value_none();
        return CQT_OK;
    }
    if (type_is_boxed(t))
        atomic_fetch_add_explicit(&src->u_.box->refs, 1, memory_order_relaxed);
    *dst = *src;
    return CQT_OK;
}

void cqt_value_clear(cqt_value *v)
{
    if (!v)
        return;
    if (type_is_boxed(value_type(v)))
        box_unref(v->u_.box);
    *v = cqt_value_none();
}

static bool box_data_equal(const struct cqt__value_box *a, const struct cqt__value_box *b)
{
    return a == b || (a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
}

bool cqt_value_equal(const cqt_value *a, const cqt_value *b)
{
    cqt_value_type t = value_type(a);
    if (t != value_type(b))
        return false;
    switch (t) {
    case CQT_VALUE_NONE:
        return true;
    case CQT_VALUE_BOOL:
        return a->u_.b == b->u_.b;
    case CQT_VALUE_INT:
        return a->u_.i == b->u_.i;
    case CQT_VALUE_DOUBLE:
        /* A NaN equals itself here, so a value always equals its copy. */
        return a->u_.d == b->u_.d || (isnan(a->u_.d) && isnan(b->u_.d));
    case CQT_VALUE_POINTER:
        return a->u_.box->ptr == b->u_.box->ptr;
    case CQT_VALUE_ERROR:
        return a->code_ == b->code_ && box_data_equal(a->u_.box, b->u_.box);
    case CQT_VALUE_STRING:
    case CQT_VALUE_BYTES:
        return box_data_equal(a->u_.box, b->u_.box);
    }
    return false;
}
