/* scenario_set.c — loading the scenarios of a run (run/scenario_set.h). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include "run/scenario_set.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol/target.h"
#include "trace/generate.h"
#include "wire/names.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

const char *sd_default_scenarios_dir(void) {
    const char *env = getenv("SHAKEDOWN_SCENARIOS_DIR");
    if (env && *env) return env;
    return SHAKEDOWN_SOURCE_DIR "/scenarios";
}

void sd_scenario_set_free(sd_scenario_set *set) {
    for (size_t i = 0; i < set->n; i++) sd_scenario_free(&set->items[i]);
    free(set->items);
    set->items = NULL;
    set->n = set->cap = 0;
}

/* --- Finding the files ------------------------------------------------------ */

typedef struct {
    size_t n, cap;
    char **v;
} strlist;

static bool strlist_add(strlist *l, const char *s) {
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        char **v = realloc(l->v, ncap * sizeof *v);
        if (!v) return false;
        l->v = v;
        l->cap = ncap;
    }
    char *copy = strdup(s);
    if (!copy) return false;
    l->v[l->n++] = copy;
    return true;
}

static void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Collects *.sd files under dir. Symbolic links to directories are not
 * followed (a link loop must not hang the harness); hidden entries are
 * skipped (editor swap files, .git, scenarios/.pending). Returns false after
 * printing an error. */
static bool collect_dir(const char *who, const char *dir, int depth, strlist *out) {
    if (depth > 32) {
        fprintf(stderr, "%s: %s: directories nested too deep\n", who, dir);
        return false;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: %s: %s\n", who, dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        int n = snprintf(path, sizeof path, "%s%s%s", dir, ends_with(dir, "/") ? "" : "/", e->d_name);
        if (n < 0 || (size_t)n >= sizeof path) {
            fprintf(stderr, "%s: %s/%s: path too long\n", who, dir, e->d_name);
            ok = false;
            break;
        }
        struct stat st;
        if (lstat(path, &st) != 0) continue; /* vanished meanwhile */
        if (S_ISDIR(st.st_mode)) {
            ok = collect_dir(who, path, depth + 1, out);
        } else if (ends_with(e->d_name, ".sd")) {
            /* A link to a file is fine; stat tells what it points at. */
            if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode))) continue;
            if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) continue;
            if (!strlist_add(out, path)) {
                fprintf(stderr, "%s: out of memory\n", who);
                ok = false;
            }
        }
    }
    closedir(d);
    return ok;
}

/* --- Loading ------------------------------------------------------------------ */

/* Parses the scenario files named by paths into out. */
static bool load_files(const char *who, char *const *paths, size_t n_paths, const char *filter,
                       sd_scenario_set *out) {
    strlist files = {0};
    bool ok = true;
    for (size_t i = 0; i < n_paths && ok; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "%s: %s: %s\n", who, paths[i], strerror(errno));
            ok = false;
        } else if (S_ISDIR(st.st_mode)) {
            size_t first = files.n;
            ok = collect_dir(who, paths[i], 0, &files);
            /* Path order is the run order: stable, and related scenarios
             * (one topic per folder) stay together. */
            if (ok) qsort(files.v + first, files.n - first, sizeof *files.v, cmp_str);
        } else if (!strlist_add(&files, paths[i])) {
            fprintf(stderr, "%s: out of memory\n", who);
            ok = false;
        }
    }
    if (ok && files.n == 0) {
        fprintf(stderr, "%s: no scenario files (*.sd) in", who);
        for (size_t i = 0; i < n_paths; i++) fprintf(stderr, " %s", paths[i]);
        fprintf(stderr, "\n");
        ok = false;
    }

    /* Parse them all, even after an error, so one run shows every mistake. */
    size_t n_errors = 0;
    for (size_t i = 0; ok && i < files.n; i++) {
        bool seen = false; /* the same file named twice (a dir and a file in it) */
        for (size_t j = 0; j < i && !seen; j++) seen = strcmp(files.v[i], files.v[j]) == 0;
        if (seen) continue;
        if (out->n == out->cap) {
            size_t ncap = out->cap ? out->cap * 2 : 32;
            sd_scenario *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                fprintf(stderr, "%s: out of memory\n", who);
                ok = false;
                break;
            }
            out->items = items;
            out->cap = ncap;
        }
        sd_scenario *s = &out->items[out->n];
        memset(s, 0, sizeof *s);
        char err[600] = "";
        if (!sd_scenario_load(files.v[i], s, err, sizeof err)) {
            /* The parser leaves nothing to free on failure. */
            fprintf(stderr, "%s\n", err[0] ? err : files.v[i]);
            n_errors++;
            continue;
        }
        if (filter && !strstr(s->id, filter)) {
            sd_scenario_free(s);
            continue;
        }
        for (size_t j = 0; j < out->n; j++) {
            if (strcmp(out->items[j].id, s->id) == 0) {
                fprintf(stderr, "%s: duplicate scenario id '%s' (also in %s)\n", files.v[i], s->id,
                        out->items[j].path);
                n_errors++;
                break;
            }
        }
        out->n++;
    }
    if (ok && n_errors) {
        fprintf(stderr, "%s: %zu error%s in scenario files; nothing was run\n", who, n_errors,
                n_errors == 1 ? "" : "s");
        ok = false;
    }
    strlist_free(&files);
    return ok;
}

/* Appends the generated families whose ids contain filter to set, after
 * the files. An id that a file already uses is an error, as between two
 * files. Returns false after printing why. */
static bool add_generated(const char *who, const char *filter, sd_scenario_set *set) {
    sd_generated g;
    char err[2048] = "";
    if (!sd_generate_all(&g, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", who, err);
        return false;
    }
    bool ok = true;
    sd_scenario *items = realloc(set->items, (set->n + g.n + 1) * sizeof *items);
    if (!items) {
        fprintf(stderr, "%s: out of memory\n", who);
        sd_generated_free(&g);
        return false;
    }
    set->items = items;
    set->cap = set->n + g.n + 1;
    size_t files = set->n;
    for (size_t i = 0; i < g.n; i++) {
        sd_scenario *s = &g.items[i];
        bool keep = !filter || strstr(s->id, filter);
        for (size_t j = 0; keep && j < files; j++) {
            if (strcmp(set->items[j].id, s->id) == 0) {
                fprintf(stderr, "%s: scenario id '%s' is also a generated scenario's (%s)\n",
                        set->items[j].path, s->id, s->path);
                ok = false;
                keep = false;
            }
        }
        if (keep) {
            set->items[set->n++] = *s; /* moved: the set owns it now */
        } else {
            sd_scenario_free(s);
        }
    }
    free(g.items); /* the scenarios themselves were moved or freed */
    return ok;
}

bool sd_scenario_set_load(const char *who, char *const *paths, size_t n_paths, const char *filter,
                          bool generated, sd_scenario_set *out) {
    memset(out, 0, sizeof *out);
    /* argv-style list for the default; a copy because argv is not const. */
    char def[4096];
    snprintf(def, sizeof def, "%s", sd_default_scenarios_dir());
    char *def_path[1] = {def};
    if (n_paths == 0) {
        paths = def_path;
        n_paths = 1;
    }
    bool ok = load_files(who, paths, n_paths, filter, out) && (!generated || add_generated(who, filter, out));
    /* Only now, with the generated families in, is an empty set the
     * filter's fault: a usage error, not an empty run. */
    if (ok && out->n == 0) {
        fprintf(stderr, "%s: no scenario id contains '%s'\n", who, filter ? filter : "");
        ok = false;
    }
    if (!ok) sd_scenario_set_free(out);
    return ok;
}

size_t sd_scenario_set_keep_role(sd_scenario_set *set, sd_role role) {
    size_t kept = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (set->items[i].role == role) {
            set->items[kept++] = set->items[i]; /* moved, order kept */
        } else {
            sd_scenario_free(&set->items[i]);
        }
    }
    size_t dropped = set->n - kept;
    set->n = kept;
    return dropped;
}

/* --- The manifest ---------------------------------------------------------------- */

static void append_alert_name(sd_buf *out, uint8_t alert) {
    const char *name = sd_alert_name(alert);
    if (name)
        sd_buf_appendf(out, "%s", name);
    else
        sd_buf_appendf(out, "%u", (unsigned)alert);
}

static int cmp_scenario_id(const void *a, const void *b) {
    return strcmp((*(const sd_scenario *const *)a)->id, (*(const sd_scenario *const *)b)->id);
}

void sd_scenario_set_manifest(const sd_scenario_set *set, sd_buf *out) {
    sd_buf_appendf(
        out,
        "# shakedown list --manifest: each scenario's id, role under test and expected outcome.\n"
        "# scenarios/manifest.txt is the default set's, checked by test_manifest (docs/script-format.md).\n");
    /* Sorted by id, so that the file does not depend on the order of the
     * families and a change shows up in a diff where it belongs. */
    const sd_scenario **sorted = malloc((set->n ? set->n : 1) * sizeof *sorted);
    if (!sorted) {
        out->failed = true;
        return;
    }
    for (size_t i = 0; i < set->n; i++) sorted[i] = &set->items[i];
    qsort(sorted, set->n, sizeof *sorted, cmp_scenario_id);
    for (size_t i = 0; i < set->n; i++) {
        const sd_scenario *s = sorted[i];
        sd_buf_appendf(out, "%s %s ", s->id, sd_role_name(s->role));
        switch (s->expect) {
        case SD_EXPECT_COMPLETE:
            sd_buf_appendf(out, "complete");
            break;
        case SD_EXPECT_CLOSED:
            sd_buf_appendf(out, "closed");
            break;
        case SD_EXPECT_ALERT:
            sd_buf_appendf(out, "alert ");
            append_alert_name(out, s->expect_alert);
            for (size_t a = 0; a < s->n_expect_alert_also && a < SD_MAX_EXPECT_ALERTS - 1; a++) {
                sd_buf_appendf(out, "|");
                append_alert_name(out, s->expect_alert_also[a]);
            }
            break;
        }
        sd_buf_appendf(out, "\n");
    }
    free(sorted);
}
