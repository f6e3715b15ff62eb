/* SPDX-License-Identifier: MIT */
/* tool-opts.h — what cqt's programs (cqt-stage, cqt-stage-demo,
 * cqt-axis-sim) share on their command lines: strict number parsing whose
 * failures say what was wrong, the GNU usage-error form, --version.
 * Not installed; not part of libcqt.
 *
 * Every function is plain C with no cqt state: callable before
 * cqt_app_init(), from any thread. */
#ifndef CQT_TOOL_OPTS_H
#define CQT_TOOL_OPTS_H

#include <stdbool.h>
#include <stddef.h>

/* The project's version, from meson.build (app/meson.build defines it). */
#ifndef CQT_TOOL_VERSION
#define CQT_TOOL_VERSION "unknown"
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CQT_TOOL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define CQT_TOOL_PRINTF(fmt, args)
#endif

/* cqt_tool_parse_double:
 * Reads @s as a decimal number ("12", "-0.5", ".5", "1e3"), the whole
 * string: no hex ("0x10"), no "inf"/"nan", no spaces, nothing after it
 * ("2junk"). A magnitude below the smallest double rounds (1e-320 is a
 * denormal, 1e-400 is 0); above the largest it is out of range.
 * @why (nullable): on failure, receives what was wrong, quoting @s
 * ("'0x10' is not a decimal number").
 * Returns: true and *@out set, or false and *@out untouched. */
bool cqt_tool_parse_double(const char *s, double *out, char *why, size_t why_len);

/* cqt_tool_parse_long:
 * Reads @s as a whole decimal number in [@lo, @hi], the whole string.
 * @why: as above ("'99999999999999' is out of range (max 2147483647)",
 * "'1.5' is not a whole number", "'3x' has 'x' after the number").
 * Returns: as above. */
bool cqt_tool_parse_long(const char *s, long lo, long hi, long *out, char *why, size_t why_len);

/* cqt_tool_usage_error:
 * Prints "PROG: <message>" and "Try 'PROG --help' for more information."
 * on stderr (the GNU form: the reason, not the whole help).
 * Returns: 2, the exit status of a usage error. */
int cqt_tool_usage_error(const char *prog, const char *fmt, ...) CQT_TOOL_PRINTF(2, 3);

/* cqt_tool_print_version:
 * Prints "PROG (cqt) VERSION" on stdout, then @extra's lines (nullable). */
void cqt_tool_print_version(const char *prog, const char *extra);

/* cqt_tool_getopt_error:
 * After getopt_long() (with an optstring that starts with ':') returned
 * ':' or '?', writes into @why what was wrong with argv[optind - 1]: a
 * value missing ("--timeout needs a value"), a value given to a flag
 * ("--json takes no value"), an ambiguous abbreviation or an unknown
 * option. @longopts is the table given to getopt_long(). */
struct option;
void cqt_tool_getopt_error(int ch, char *const *argv, const struct option *longopts, char *why,
                           size_t why_len);

#endif /* CQT_TOOL_OPTS_H */
