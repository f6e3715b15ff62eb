/* SPDX-License-Identifier: MIT */
/* replay.c — runs every file given (or every file in the directories
 * given) through a fuzz target's code, without libFuzzer: the seed
 * corpus and the regression inputs (crashes the fuzzers found) become a
 * normal test in every build. Usage: fuzz-replay api_sequence|stage_cli|axis_reply PATH... */
#include "fuzz-common.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int (*run)(const uint8_t *, size_t);
static bool kinds_by_name; /* api_sequence: the file name says the kinds */
static int count;

/* api_sequence inputs that need gated operation kinds on are named
 * "newops-KINDS-rest" (KINDS as in fuzz_api_sequence_set_kinds, '+'
 * between names; scripts/fuzz names its crash inputs so); any other name
 * means no gated kind. */
static void set_kinds_for(const char *path)
{
    static const char prefix[] = "newops-";
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char spec[256] = "";
    if (!strncmp(base, prefix, sizeof prefix - 1)) {
        const char *kinds = base + sizeof prefix - 1;
        size_t n = strcspn(kinds, "-");
        if (n == 0 || n >= sizeof spec) {
            fprintf(stderr, "fuzz-replay: %s: no kinds after '%s'\n", path, prefix);
            exit(1);
        }
        memcpy(spec, kinds, n);
        spec[n] = '\0';
    }
    if (fuzz_api_sequence_set_kinds(spec, false) != 0) {
        fprintf(stderr, "fuzz-replay: %s: the name does not start with known kinds\n", path);
        exit(1);
    }
}

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz-replay: cannot open %s\n", path);
        exit(1);
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (kinds_by_name)
        set_kinds_for(path);
    uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees overreads */
    memcpy(copy, buf, n);
    run(copy, n);
    free(copy);
    count++;
}

static void replay(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return; /* an optional folder that does not exist yet */
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    struct dirent **list;
    int n = scandir(path, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.') {
            char full[4096];
            snprintf(full, sizeof full, "%s/%s", path, list[i]->d_name);
            replay(full);
        }
        free(list[i]);
    }
    free(list);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s api_sequence|stage_cli|axis_reply PATH...\n", argv[0]);
        return 2;
    }
    int (*init)(void);
    int (*fini)(void) = NULL;
    if (!strcmp(argv[1], "api_sequence")) {
        init = fuzz_api_sequence_init;
        run = fuzz_api_sequence_run;
        fini = fuzz_api_sequence_fini;
        kinds_by_name = true;
    } else if (!strcmp(argv[1], "stage_cli")) {
        init = fuzz_stage_cli_init;
        run = fuzz_stage_cli_run;
    } else if (!strcmp(argv[1], "axis_reply")) {
        init = fuzz_axis_reply_init;
        run = fuzz_axis_reply_run;
    } else {
        fprintf(stderr, "fuzz-replay: unknown target %s\n", argv[1]);
        return 2;
    }
    if (init() != 0) {
        fprintf(stderr, "fuzz-replay: %s init failed\n", argv[1]);
        return 1;
    }
    for (int i = 2; i < argc; i++)
        replay(argv[i]);
    printf("fuzz-replay %s: %d inputs replayed, every invariant held\n", argv[1], count);
    if (count == 0) {
        fprintf(stderr, "fuzz-replay: no input found\n");
        return 1;
    }
    if (fini && fini() != 0) {
        fprintf(stderr, "fuzz-replay: %s fini failed\n", argv[1]);
        return 1;
    }
    fflush(stdout);
    _Exit(0);
}
