/* report_junit.c — junit.xml for CI, and baseline files (XFAIL / XPASS).
 *
 * JUnit XML has no standard schema; this follows what Jenkins, GitLab and
 * the GitHub test-report actions read: <testsuites> holding one <testsuite>
 * per stack, one <testcase> per scenario, with <failure>, <error> or
 * <skipped> children. Everything that came from a target (error strings)
 * is escaped, and bytes XML 1.0 cannot carry (control characters, invalid
 * UTF-8) are replaced, so a hostile stack cannot break the file. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static void put(sd_buf *b, const char *s) { sd_buf_append(b, s, strlen(s)); }

static void putf(sd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(sd_buf *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) sd_buf_append(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Length of a valid UTF-8 sequence at s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    size_t n;
    unsigned cp, min;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) n = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0) n = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0) n = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* Text for an attribute or element: the five XML specials escaped; control
 * characters other than tab and newline, and invalid UTF-8, become U+FFFD
 * (XML 1.0 §2.2 allows no other characters below 0x20). */
static void xml_text(sd_buf *b, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        switch (*p) {
        case '&': put(b, "&amp;"); p++; continue;
        case '<': put(b, "&lt;"); p++; continue;
        case '>': put(b, "&gt;"); p++; continue;
        case '"': put(b, "&quot;"); p++; continue;
        case '\'': put(b, "&apos;"); p++; continue;
        case '\t': put(b, "&#9;"); p++; continue;
        case '\n': put(b, "&#10;"); p++; continue;
        default: break;
        }
        size_t n = *p < 0x20 || *p == 0x7f ? 0 : utf8_len(p);
        if (n == 0) {
            put(b, "\xef\xbf\xbd");
            p++;
        } else {
            sd_buf_append(b, p, n);
            p += n;
        }
    }
}

static bool is_failure(sd_verdict v) { return v == SD_VERDICT_FAIL || v == SD_VERDICT_CRASH || v == SD_VERDICT_HANG; }

char *sd_report_junit_text(const sd_report_run *run) {
    sd_buf b;
    sd_buf_init(&b);
    size_t tests = run->n_scenarios * run->n_stacks, failures = 0, errors = 0, skipped = 0;
    for (size_t k = 0; k < run->n_stacks; k++) {
        for (int v = 0; v < SD_VERDICT_COUNT; v++) {
            size_t n = sd_report_count(run, k, (sd_verdict)v);
            if (is_failure((sd_verdict)v)) failures += n;
            if (v == SD_VERDICT_ERROR) errors += n;
            if (v == SD_VERDICT_SKIP) skipped += n;
        }
    }
    put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    putf(&b, "<testsuites name=\"shakedown conform\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
             "time=\"%.3f\">\n",
         tests, failures, errors, skipped, run->elapsed_ms / 1000.0);
    for (size_t k = 0; k < run->n_stacks; k++) {
        size_t f = 0, e = 0, s = 0;
        for (int v = 0; v < SD_VERDICT_COUNT; v++) {
            size_t n = sd_report_count(run, k, (sd_verdict)v);
            if (is_failure((sd_verdict)v)) f += n;
            if (v == SD_VERDICT_ERROR) e += n;
            if (v == SD_VERDICT_SKIP) s += n;
        }
        put(&b, "  <testsuite name=\"");
        xml_text(&b, run->stacks[k].name);
        putf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
             run->n_scenarios, f, e, s, run->stacks[k].elapsed_ms / 1000.0);
        put(&b, "    <properties><property name=\"version\" value=\"");
        xml_text(&b, run->stacks[k].version);
        put(&b, "\"/></properties>\n");
        for (size_t i = 0; i < run->n_scenarios; i++) {
            const sd_report_scenario *sc = &run->scenarios[i];
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            const char *vn = sd_verdict_name(c->verdict);
            char obs[300];
            sd_outcome_describe(&c->outcome, obs, sizeof obs);
            put(&b, "    <testcase classname=\"");
            xml_text(&b, run->stacks[k].name);
            put(&b, "\" name=\"");
            xml_text(&b, sc->id);
            putf(&b, "\" time=\"%.6f\"", c->elapsed_ms / 1000.0);
            const char *child = is_failure(c->verdict) ? "failure"
                                : c->verdict == SD_VERDICT_ERROR ? "error"
                                : c->verdict == SD_VERDICT_SKIP  ? "skipped"
                                                                 : NULL;
            put(&b, ">\n");
            if (child) {
                putf(&b, "      <%s type=\"%s\" message=\"", child, vn);
                xml_text(&b, c->why[0] ? c->why : c->ran ? obs : "not run");
                put(&b, "\">");
                xml_text(&b, sc->title);
                put(&b, "&#10;");
                xml_text(&b, sc->rfc);
                putf(&b, "</%s>\n", child);
            }
            putf(&b, "      <system-out>%s: ", vn);
            xml_text(&b, c->ran ? obs : "not run");
            if (c->why[0]) {
                put(&b, " -- ");
                xml_text(&b, c->why);
            }
            put(&b, "</system-out>\n    </testcase>\n");
        }
        put(&b, "  </testsuite>\n");
    }
    put(&b, "</testsuites>\n");
    if (b.failed) {
        sd_buf_free(&b);
        return NULL;
    }
    char *text = malloc(b.len + 1);
    if (text) {
        memcpy(text, b.data, b.len);
        text[b.len] = '\0';
    }
    sd_buf_free(&b);
    return text;
}

bool sd_report_write_junit(const sd_report_run *run, const char *dir, char *err, size_t err_len) {
    char *text = sd_report_junit_text(run);
    if (!text) {
        if (err && err_len) snprintf(err, err_len, "junit.xml: out of memory");
        return false;
    }
    bool ok = sd_write_file_atomic(dir, "junit.xml", text, strlen(text), err, err_len);
    free(text);
    return ok;
}

/* --- Baselines ---------------------------------------------------------------- */

typedef struct {
    char id[96];
    char stack[32];
    sd_verdict verdict;
} baseline_entry;

typedef struct {
    size_t n, cap;
    baseline_entry *v;
} baseline;

static bool baseline_add(baseline *bl, const char *id, const char *stack, sd_verdict v) {
    if (bl->n == bl->cap) {
        size_t cap = bl->cap ? bl->cap * 2 : 64;
        baseline_entry *nv = realloc(bl->v, cap * sizeof *nv);
        if (!nv) return false;
        bl->v = nv;
        bl->cap = cap;
    }
    baseline_entry *e = &bl->v[bl->n++];
    snprintf(e->id, sizeof e->id, "%s", id);
    snprintf(e->stack, sizeof e->stack, "%s", stack);
    e->verdict = v;
    return true;
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

static bool parse_baseline_json(const char *path, const char *text, size_t len, baseline *bl, char *err,
                                size_t err_len) {
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) {
        snprintf(err, err_len, "%s:%d: not valid JSON: %s", path, je.line, je.text);
        return false;
    }
    json_t *results = json_object_get(root, "results");
    if (!json_is_array(results)) {
        json_decref(root);
        snprintf(err, err_len, "%s: no \"results\" array: not a results.json", path);
        return false;
    }
    size_t i;
    json_t *r;
    bool ok = true;
    json_array_foreach(results, i, r) {
        const char *id = json_string_value(json_object_get(r, "scenario"));
        const char *stack = json_string_value(json_object_get(r, "stack"));
        const char *vn = json_string_value(json_object_get(r, "verdict"));
        /* A baseline made from a run that used a baseline: what the cell
         * really did is its raw verdict. */
        const char *raw = json_string_value(json_object_get(r, "raw_verdict"));
        sd_verdict v;
        if (!id || !stack || !vn || !sd_verdict_from_name(raw ? raw : vn, &v)) {
            snprintf(err, err_len, "%s: results[%zu] lacks scenario, stack or a known verdict", path, i);
            ok = false;
            break;
        }
        if (!baseline_add(bl, id, stack, v)) {
            snprintf(err, err_len, "%s: out of memory", path);
            ok = false;
            break;
        }
    }
    json_decref(root);
    return ok;
}

static bool parse_baseline_text(const char *path, char *text, baseline *bl, char *err, size_t err_len) {
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
            snprintf(err, err_len, "%s:%d: expected \"<scenario-id> <stack> <verdict>\", e.g. "
                     "\"tls13.server.finished.truncated boringssl FAIL\"", path, line);
            return false;
        }
        if (strlen(words[0]) >= sizeof(bl->v[0].id) || strlen(words[1]) >= sizeof(bl->v[0].stack)) {
            snprintf(err, err_len, "%s:%d: scenario id or stack name too long", path, line);
            return false;
        }
        if (!baseline_add(bl, words[0], words[1], v)) {
            snprintf(err, err_len, "%s: out of memory", path);
            return false;
        }
    }
    return true;
}

bool sd_report_apply_baseline(sd_report_run *run, const char *path, size_t *n_expected_failures, char *err,
                              size_t err_len) {
    char dummy[8];
    if (!err || !err_len) err = dummy, err_len = sizeof dummy;
    char *text;
    size_t len;
    if (!read_all(path, &text, &len, err, err_len)) return false;
    baseline bl = {0};
    const char *p = text;
    while (*p && isspace((unsigned char)*p)) p++;
    bool ok = *p == '{' ? parse_baseline_json(path, text, len, &bl, err, err_len)
                        : parse_baseline_text(path, text, &bl, err, err_len);
    free(text);
    if (!ok) {
        free(bl.v);
        return false;
    }
    size_t expected = 0;
    for (size_t i = 0; i < run->n_scenarios; i++) {
        for (size_t k = 0; k < run->n_stacks; k++) {
            sd_report_cell *c = sd_report_cell_at(run, i, k);
            const baseline_entry *e = NULL;
            for (size_t j = 0; j < bl.n && !e; j++)
                if (strcmp(bl.v[j].id, run->scenarios[i].id) == 0 && strcmp(bl.v[j].stack, run->stacks[k].name) == 0)
                    e = &bl.v[j];
            if (!e || !is_failure(e->verdict)) continue;
            expected++;
            sd_verdict now = c->baselined ? c->raw_verdict : c->verdict;
            c->baselined = true;
            c->raw_verdict = now;
            c->baseline_verdict = e->verdict;
            char why[sizeof c->why + 160];
            if (is_failure(now)) {
                c->verdict = SD_VERDICT_XFAIL;
                snprintf(why, sizeof why, "expected failure (baseline: %s), still %s: %s", sd_verdict_name(e->verdict),
                         sd_verdict_name(now), c->why);
            } else if (now == SD_VERDICT_PASS || now == SD_VERDICT_SOFT) {
                c->verdict = SD_VERDICT_XPASS;
                snprintf(why, sizeof why, "expected failure (baseline: %s) now %s: update the baseline%s%s",
                         sd_verdict_name(e->verdict), sd_verdict_name(now), c->why[0] ? ": " : "", c->why);
            } else {
                continue; /* SKIP or ERROR: nothing to compare */
            }
            /* Cut to fit; the baseline's words come first. */
            size_t n = strlen(why);
            if (n >= sizeof c->why) n = sizeof c->why - 1;
            memcpy(c->why, why, n);
            c->why[n] = '\0';
        }
    }
    free(bl.v);
    if (n_expected_failures) *n_expected_failures = expected;
    return true;
}
