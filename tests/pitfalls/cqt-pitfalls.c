/* SPDX-License-Identifier: MIT */
/* cqt-pitfalls — runs the pitfall demonstrations and prints what raw Qt
 * did, what cqt did (both measured) and the fix.
 *
 *   cqt-pitfalls            every pitfall, P1..P14
 *   cqt-pitfalls P3 P10     only those
 *
 * Exit status: 0 when every verdict matched (raw Qt broken as documented,
 * cqt correct), 1 when one did not, 2 for a bad argument. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pitfalls.h"
#include "raw/raw.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cqt-pitfalls [P1..P14 ...]\n"
               "Runs each Qt threading pitfall twice, in raw Qt and through cqt, and prints\n"
               "what each did. Exit status 0 when every verdict matched.\n");
}

static const char *verdict(const pit_outcome *o)
{
    return o->skipped ? "skipped" : o->matched ? "as expected" : "MISMATCH";
}

/* Prints @text after a label, wrapped to fit an 80-column terminal (no
 * trailing blanks; a word longer than a line gets a line of its own). */
static void wrapped(const char *label, const char *text)
{
    const int width = 79, indent = 13;
    printf("  %-10s", label);
    int col = 2 + (int)(strlen(label) > 10 ? strlen(label) : 10);
    bool first = true;
    for (const char *p = text; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        int len = (int)strcspn(p, " ");
        if (first || col + 1 + len <= width) {
            putchar(' ');
            col++;
        } else {
            printf("\n%*s", indent, "");
            col = indent;
        }
        printf("%.*s", len, p);
        col += len;
        p += len;
        first = false;
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    const pitfall *chosen[64];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        }
        const pitfall *p = pit_find(argv[i]);
        if (!p) {
            fprintf(stderr, "cqt-pitfalls: no pitfall '%s' (P1..P14)\n", argv[i]);
            usage(stderr);
            return 2;
        }
        if (n < sizeof chosen / sizeof chosen[0])
            chosen[n++] = p;
    }
    if (n == 0)
        for (size_t i = 0; i < pit_count && i < sizeof chosen / sizeof chosen[0]; i++)
            chosen[n++] = &pit_all[i];

    printf("cqt-pitfalls: each Qt threading pitfall in raw Qt, then through cqt%s\n",
           pit_under_tsan() ? " (ThreadSanitizer build)" : "");
    printf("raw Qt halves: %s\n\n", raw_qt_description());
    pit_outcome raw[64], cqt[64];
    int mismatches = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        const pitfall *p = chosen[i];
        fflush(stdout);
        pit_run(p->raw, &raw[i]);
        pit_run(p->cqt, &cqt[i]);
        printf("%-4s %s\n", p->id, p->title);
        wrapped("raw Qt:", raw[i].measured);
        if (!raw[i].matched)
            wrapped("  MISMATCH:", raw[i].failure);
        wrapped("cqt:", cqt[i].measured);
        if (!cqt[i].matched)
            wrapped("  MISMATCH:", cqt[i].failure);
        wrapped("fix:", p->fix);
        wrapped("tests:", p->raw_test);
        wrapped("", p->cqt_test);
        putchar('\n');
        mismatches += !raw[i].matched + !cqt[i].matched;
        skipped += raw[i].skipped + cqt[i].skipped;
    }

    printf("%-4s  %-40s  %-12s  %s\n", "id", "pitfall", "raw Qt", "cqt");
    printf("%-4s  %-40s  %-12s  %s\n", "----", "----------------------------------------",
           "------------", "------------");
    for (size_t i = 0; i < n; i++)
        printf("%-4s  %-40.40s  %-12s  %s\n", chosen[i]->id, chosen[i]->title,
               verdict(&raw[i]), verdict(&cqt[i]));
    int judged = (int)(2 * n) - skipped;
    printf("\n%s: %d of %d verdicts matched", mismatches ? "FAIL" : "OK", judged - mismatches,
           judged);
    if (skipped)
        printf(", %d skipped (not built here)", skipped);
    printf("\n");
    return mismatches ? 1 : 0;
}
