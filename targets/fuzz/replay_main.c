/* replay_main.c — runs a fuzz target over files, without a fuzzing engine.
 *
 *     <target>_replay [-q] PATH...
 *
 * Each PATH is a file or a folder (searched recursively, in sorted order so
 * that runs are repeatable). LLVMFuzzerInitialize runs once, then
 * LLVMFuzzerTestOneInput once per file, exactly as libFuzzer would replay
 * them; so a crash file reproduces with any compiler, no libFuzzer needed.
 * In folders, hidden files and notes (*.txt, *.md: the explanations that sit
 * next to findings and regressions) are skipped; a file named on the command
 * line always runs.
 *
 * Exit status: 0 when every input ran ("replayed N inputs"); a finding
 * aborts inside the fuzz target, which is the failure signal; 2 for a usage
 * error or a path that cannot be read (after trying the others). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long g_replayed;
static bool g_input_errors;
static bool g_quiet;

/* Folders deeper than this are a symlink loop, not a corpus. */
#define MAX_DEPTH 32

static void replay_file(const char *path) {
    uint8_t *data = NULL;
    size_t len = 0;
    char err[4200];
    if (!sd_file_read(path, SIZE_MAX - 1, &data, &len, err, sizeof err)) {
        fprintf(stderr, "replay: %s\n", err);
        g_input_errors = true;
        return;
    }
    /* The name first, as libFuzzer does: if the input aborts, the last
     * line before the report says which file it was. */
    if (!g_quiet) fprintf(stderr, "Running: %s\n", path);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    g_replayed++;
}

static bool is_note(const char *name) {
    size_t n = strlen(name);
    if (name[0] == '.') return true;
    return (n >= 4 && strcmp(name + n - 4, ".txt") == 0) || (n >= 3 && strcmp(name + n - 3, ".md") == 0);
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_path(const char *path, bool named, int depth);

static void replay_dir(const char *path, int depth) {
    if (depth > MAX_DEPTH) {
        fprintf(stderr, "replay: %s: folders nested deeper than %d (a symlink loop?)\n", path, MAX_DEPTH);
        g_input_errors = true;
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: cannot read folder %s: %s\n", path, strerror(errno));
        g_input_errors = true;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (is_note(e->d_name)) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **grown = realloc(names, ncap * sizeof *names);
            if (!grown) {
                fprintf(stderr, "replay: %s: out of memory listing the folder\n", path);
                g_input_errors = true;
                break;
            }
            names = grown;
            cap = ncap;
        }
        size_t len = strlen(path) + 1 + strlen(e->d_name) + 1;
        char *full = malloc(len);
        if (!full) {
            fprintf(stderr, "replay: %s: out of memory listing the folder\n", path);
            g_input_errors = true;
            break;
        }
        snprintf(full, len, "%s/%s", path, e->d_name);
        names[n++] = full;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        replay_path(names[i], false, depth + 1);
        free(names[i]);
    }
    free(names);
}

static void replay_path(const char *path, bool named, int depth) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot read %s: %s\n", path, strerror(errno));
        g_input_errors = true;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        replay_dir(path, depth);
    } else if (S_ISREG(st.st_mode) || named) {
        replay_file(path);
    }
    /* Sockets, fifos and devices met inside a folder are not inputs. */
}

static void usage(FILE *f, const char *prog) {
    fprintf(f,
            "usage: %s [-q] PATH...\n"
            "\n"
            "Runs this fuzz target once over each file; folders are searched recursively\n"
            "(hidden files, *.txt and *.md are skipped there). A finding aborts.\n"
            "\n"
            "  -q  do not print each file name before running it\n"
            "\n"
            "environment: SHAKEDOWN_PKI_DIR (fixture PKI), SHAKEDOWN_FINDINGS_DIR (default\n"
            "./findings), SHAKEDOWN_KNOWN_DIFFERENCES, SHAKEDOWN_STRICT_ALERTS=1\n"
            "\n"
            "exit status: 0 all inputs ran; abort (134) a finding; 2 usage or unreadable input\n",
            prog);
}

int main(int argc, char **argv) {
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        }
        if (strcmp(argv[first], "-h") == 0 || strcmp(argv[first], "--help") == 0) {
            usage(stdout, argv[0]);
            return 0;
        }
        if (strcmp(argv[first], "-q") == 0) {
            g_quiet = true;
            continue;
        }
        fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[first]);
        usage(stderr, argv[0]);
        return 2;
    }
    if (first >= argc) {
        usage(stderr, argv[0]);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = first; i < argc; i++) replay_path(argv[i], true, 0);
    printf("replayed %lu inputs\n", g_replayed);
    return g_input_errors ? 2 : 0;
}
