/* baseline.c — expected failures (oracle/baseline.h): reading a baseline
 * file, and the rule that turns a cell it lists into XFAIL or XPASS. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include "oracle/baseline.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_failure(sd_verdict v) {
    return v == SD_VERDICT_FAIL || v == SD_VERDICT_CRASH || v == SD_VERDICT_HANG;
}

bool sd_baseline_add(sd_baseline *bl, const char *id, const char *stack, sd_verdict verdict) {
    if (bl->n == bl->cap) {
        size_t cap = bl->cap ? bl->cap * 2 : 64;
        sd_baseline_entry *items = realloc(bl->items, cap * sizeof *items);
        if (!items) return false;
        bl->items = items;
        bl->cap = cap;
    }
    sd_baseline_entry *e = &bl->items[bl->n++];
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->stack, sizeof e->stack, "%s", stack);
    e->verdict = verdict;
    return true;
}

void sd_baseline_free(sd_baseline *bl) {
    free(bl->items);
    bl->items = NULL;
    bl->n = bl->cap = 0;
}

static bool read_all(const char *path, char **out, size_t *len, char *err, size_t err_len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
        if (n + 1 == cap) {
            if (cap > (256u << 20)) {
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    bool io_error = ferror(f);
    fclose(f);
    if (!buf || io_error) {
        free(buf);
        snprintf(err, err_len, "%s: cannot read it", path);
        return false;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return true;
}

/* The line form: "<scenario-id> <stack> <verdict>", '#' to the end of a line
 * is a comment. text is cut up in place. */
static bool parse_lines(const char *path, char *text, sd_baseline *bl, char *err, size_t err_len) {
    int line = 0;
    char *save = NULL;
    for (char *l = text; l; l = save) {
        line++;
        save = strchr(l, '\n');
        if (save) *save++ = '\0';
        char *hash = strchr(l, '#');
        if (hash) *hash = '\0';
        char *words[4];
        size_t n = 0;
        for (char *w = strtok(l, " \t\r"); w && n < 4; w = strtok(NULL, " \t\r")) words[n++] = w;
        if (n == 0) continue;
        sd_verdict v;
        if (n != 3 || !sd_verdict_from_name(words[2], &v)) {
            snprintf(err, err_len,
                     "%s:%d: expected \"<scenario-id> <stack> <verdict>\", e.g. "
                     "\"tls13.server.finished.truncated boringssl FAIL\"",
                     path, line);
            return false;
        }
        if (strlen(words[0]) >= sizeof(bl->items[0].id) || strlen(words[1]) >= sizeof(bl->items[0].stack)) {
            snprintf(err, err_len, "%s:%d: scenario id or stack name too long", path, line);
            return false;
        }
        if (!sd_baseline_add(bl, words[0], words[1], v)) {
            snprintf(err, err_len, "%s: out of memory", path);
            return false;
        }
    }
    return true;
}

bool sd_baseline_load(const char *path, sd_baseline_json_reader read_json, sd_baseline *out, char *err,
                      size_t err_len) {
    char dummy[8];
    if (!err || !err_len) err = dummy, err_len = sizeof dummy;
    memset(out, 0, sizeof *out);
    char *text;
    size_t len;
    if (!read_all(path, &text, &len, err, err_len)) return false;
    const char *p = text;
    while (*p && isspace((unsigned char)*p)) p++;
    bool ok;
    if (*p != '{') {
        ok = parse_lines(path, text, out, err, err_len);
    } else if (read_json) {
        ok = read_json(path, text, len, out, err, err_len);
    } else {
        snprintf(err, err_len, "%s: a results.json, but no reader for it was given", path);
        ok = false;
    }
    free(text);
    if (!ok) sd_baseline_free(out);
    return ok;
}

bool sd_baseline_apply(const sd_baseline *bl, const char *scenario_id, const char *stack, sd_verdict *verdict,
                       char *why, size_t why_len, sd_baseline_mark *mark) {
    const sd_baseline_entry *e = NULL;
    for (size_t j = 0; j < bl->n && !e; j++)
        if (strcmp(bl->items[j].id, scenario_id) == 0 && strcmp(bl->items[j].stack, stack) == 0)
            e = &bl->items[j];
    if (!e || !is_failure(e->verdict)) return false;
    sd_verdict now = mark->applied ? mark->raw : *verdict;
    mark->applied = true;
    mark->raw = now;
    mark->recorded = e->verdict;
    if (!is_failure(now) && now != SD_VERDICT_PASS && now != SD_VERDICT_SOFT) return true; /* SKIP or ERROR */
    /* The new why quotes the old one; snprintf cuts it to fit, the
     * baseline's words first. */
    char *was = why_len ? strdup(why) : NULL;
    if (is_failure(now)) {
        *verdict = SD_VERDICT_XFAIL;
        if (why_len)
            snprintf(why, why_len, "expected failure (baseline: %s), still %s: %s",
                     sd_verdict_name(e->verdict), sd_verdict_name(now), was ? was : "");
    } else {
        *verdict = SD_VERDICT_XPASS;
        if (why_len)
            snprintf(why, why_len, "expected failure (baseline: %s) now %s: update the baseline%s%s",
                     sd_verdict_name(e->verdict), sd_verdict_name(now), was && was[0] ? ": " : "",
                     was ? was : "");
    }
    free(was);
    return true;
}
