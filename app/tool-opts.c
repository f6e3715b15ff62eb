/* SPDX-License-Identifier: MIT */
/* tool-opts.c — see tool-opts.h. */
#include "tool-opts.h"

#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool say(char *why, size_t why_len, const char *fmt, ...) CQT_TOOL_PRINTF(3, 4);
static bool say(char *why, size_t why_len, const char *fmt, ...)
{
    if (why && why_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_len, fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The length of the decimal number at the start of @s ([+-] digits [.
 * digits] [e [+-] digits], at least one digit before the exponent); 0 when
 * there is none. strtod() alone would also take hex, "inf", "nan" and
 * leading spaces, none of which a person means on these command lines. */
static size_t decimal_prefix(const char *s, bool *fraction)
{
    size_t i = 0, digits = 0;
    *fraction = false;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (is_digit(s[i]))
        i++, digits++;
    if (s[i] == '.') {
        i++;
        *fraction = true; /* "5." and "5.0" are not written as whole numbers */
        while (is_digit(s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return 0;
    if (s[i] == 'e' || s[i] == 'E') {
        size_t e = i + 1;
        if (s[e] == '+' || s[e] == '-')
            e++;
        if (is_digit(s[e])) {
            while (is_digit(s[e]))
                e++;
            i = e;
            *fraction = true; /* an exponent is a real number's notation */
        }
    }
    return i;
}

/* What follows a number, or what the word is instead of one. */
static bool not_a_number(const char *s, size_t n, char *why, size_t why_len)
{
    if (!*s)
        return say(why, why_len, "an empty value is not a number");
    const char *digits = s + (*s == '+' || *s == '-');
    if (n > 0 && !(digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')))
        return say(why, why_len, "'%.64s' has '%.32s' after the number", s, s + n);
    return say(why, why_len, "'%.64s' is not a decimal number", s);
}

bool cqt_tool_parse_double(const char *s, double *out, char *why, size_t why_len)
{
    if (!s)
        return say(why, why_len, "no value");
    bool fraction;
    size_t n = decimal_prefix(s, &fraction);
    if (n == 0 || s[n] != '\0')
        return not_a_number(s, n, why, why_len);
    errno = 0;
    char *end;
    double d = strtod(s, &end);
    if ((size_t)(end - s) != n)
        return say(why, why_len, "'%.64s' is not a decimal number", s); /* a locale's decimal comma */
    /* ERANGE also comes with an underflow (1e-320, a denormal; 1e-400, 0):
     * the nearest double is then the answer, so only an overflow fails. */
    if (!isfinite(d) || (errno == ERANGE && fabs(d) > 1.0))
        return say(why, why_len, "'%.64s' is out of range (magnitude at most %.3g)", s, DBL_MAX);
    if (out)
        *out = d;
    return true;
}

bool cqt_tool_parse_long(const char *s, long lo, long hi, long *out, char *why, size_t why_len)
{
    if (!s)
        return say(why, why_len, "no value");
    bool fraction;
    size_t n = decimal_prefix(s, &fraction);
    if (n == 0 || s[n] != '\0')
        return not_a_number(s, n, why, why_len);
    if (fraction)
        return say(why, why_len, "'%.64s' is not a whole number", s);
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno == ERANGE || v > hi)
        return say(why, why_len, "'%.64s' is out of range (max %ld)", s, hi);
    if (v < lo)
        return say(why, why_len, "'%.64s' is out of range (min %ld)", s, lo);
    if (out)
        *out = v;
    return true;
}

int cqt_tool_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
    va_end(ap);
    return 2;
}

void cqt_tool_print_version(const char *prog, const char *extra)
{
    printf("%s (cqt) %s\n", prog, CQT_TOOL_VERSION);
    if (extra)
        fputs(extra, stdout);
}

void cqt_tool_getopt_error(int ch, char *const *argv, const struct option *longopts, char *why,
                           size_t why_len)
{
    const char *word = optind > 0 ? argv[optind - 1] : NULL;
    bool is_long = word && word[0] == '-' && word[1] == '-';
    if (is_long && ch == '?' && optopt > 0 && optopt < 256) {
        /* a short option's code: the word is a long option only when one
         * of that name has that code (--help=1 gives 'h') */
        size_t len = strcspn(word + 2, "=");
        bool same = false;
        for (const struct option *o = longopts; o && o->name; o++)
            same |= o->flag == NULL && o->val == optopt && strncmp(o->name, word + 2, len) == 0;
        is_long = same;
    }
    if (!is_long) { /* a short option: getopt names it in optopt */
        if (ch == ':')
            say(why, why_len, "option '-%c' needs a value", optopt);
        else
            say(why, why_len, "unknown option '-%c'", optopt > 32 && optopt < 127 ? optopt : '?');
        return;
    }
    const char *name = word + 2;
    size_t len = strcspn(name, "=");
    if (ch == ':') {
        say(why, why_len, "option '--%.*s' needs a value", (int)(len > 64 ? 64 : len), name);
        return;
    }
    /* '?': a value given to a flag, an ambiguous abbreviation, or unknown */
    size_t matches = 0;
    char list[160] = "";
    for (const struct option *o = longopts; o && o->name; o++) {
        if (strncmp(o->name, name, len) != 0)
            continue;
        if (strlen(o->name) == len) { /* exact: then it was the value */
            say(why, why_len, "option '--%s' takes no value", o->name);
            return;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s--%s", matches ? ", " : "", o->name);
        matches++;
    }
    if (matches == 1 && name[len] == '=')
        say(why, why_len, "option '%s' takes no value", list);
    else if (matches > 1)
        say(why, why_len, "option '--%.*s' is ambiguous (%s)", (int)(len > 64 ? 64 : len), name, list);
    else
        say(why, why_len, "unknown option '--%.*s'", (int)(len > 64 ? 64 : len), name);
}
