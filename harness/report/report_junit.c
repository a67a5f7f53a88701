/* report_junit.c — junit.xml for CI.
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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static void put(sd_buf *b, const char *s) { sd_buf_append(b, s, strlen(s)); }

/* Length of a valid UTF-8 sequence at s, 0 if invalid. */
static size_t utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    size_t n;
    unsigned cp, min;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
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
        case '&':
            put(b, "&amp;");
            p++;
            continue;
        case '<':
            put(b, "&lt;");
            p++;
            continue;
        case '>':
            put(b, "&gt;");
            p++;
            continue;
        case '"':
            put(b, "&quot;");
            p++;
            continue;
        case '\'':
            put(b, "&apos;");
            p++;
            continue;
        case '\t':
            put(b, "&#9;");
            p++;
            continue;
        case '\n':
            put(b, "&#10;");
            p++;
            continue;
        default:
            break;
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

static bool is_failure(sd_verdict v) {
    return v == SD_VERDICT_FAIL || v == SD_VERDICT_CRASH || v == SD_VERDICT_HANG;
}

char *sd_report_junit_text(const sd_report_run *run) {
    sd_buf b;
    sd_buf_init(&b);
    size_t tests = sd_report_cells_held(run), failures = 0, errors = 0, skipped = 0;
    for (size_t k = 0; k < run->n_stacks; k++) {
        for (int v = 0; v < SD_VERDICT_COUNT; v++) {
            size_t n = sd_report_count(run, k, (sd_verdict)v);
            if (is_failure((sd_verdict)v)) failures += n;
            if (v == SD_VERDICT_ERROR) errors += n;
            if (v == SD_VERDICT_SKIP || v == SD_VERDICT_UNREACHED) skipped += n;
        }
    }
    put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    sd_buf_appendf(&b,
                   "<testsuites name=\"shakedown conform\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
                   "skipped=\"%zu\" "
                   "time=\"%.3f\">\n",
                   tests, failures, errors, skipped, run->elapsed_ms / 1000.0);
    for (size_t k = 0; k < run->n_stacks; k++) {
        size_t f = 0, e = 0, s = 0, t = 0;
        for (int v = 0; v < SD_VERDICT_COUNT; v++) {
            size_t n = sd_report_count(run, k, (sd_verdict)v);
            t += n;
            if (is_failure((sd_verdict)v)) f += n;
            if (v == SD_VERDICT_ERROR) e += n;
            if (v == SD_VERDICT_SKIP || v == SD_VERDICT_UNREACHED) s += n;
        }
        put(&b, "  <testsuite name=\"");
        xml_text(&b, run->stacks[k].name);
        sd_buf_appendf(&b,
                       "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n", t,
                       f, e, s, run->stacks[k].elapsed_ms / 1000.0);
        put(&b, "    <properties><property name=\"version\" value=\"");
        xml_text(&b, run->stacks[k].version);
        put(&b, "\"/></properties>\n");
        for (size_t i = 0; i < run->n_scenarios; i++) {
            const sd_report_scenario *sc = &run->scenarios[i];
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            if (c->absent) continue; /* another shard's test case */
            const char *vn = sd_verdict_name(c->verdict);
            char obs[300];
            sd_outcome_describe(&c->outcome, obs, sizeof obs);
            put(&b, "    <testcase classname=\"");
            xml_text(&b, run->stacks[k].name);
            put(&b, "\" name=\"");
            xml_text(&b, sc->id);
            sd_buf_appendf(&b, "\" time=\"%.6f\"", c->elapsed_ms / 1000.0);
            /* Not reached is not run, as far as the step under test goes:
             * skipped, with where and why the run ended. */
            const char *child = is_failure(c->verdict)           ? "failure"
                                : c->verdict == SD_VERDICT_ERROR ? "error"
                                : c->verdict == SD_VERDICT_SKIP || c->verdict == SD_VERDICT_UNREACHED
                                    ? "skipped"
                                    : NULL;
            put(&b, ">\n");
            if (child) {
                sd_buf_appendf(&b, "      <%s type=\"%s\" message=\"", child, vn);
                xml_text(&b, c->why[0] ? c->why : c->ran ? obs : "not run");
                put(&b, "\">");
                xml_text(&b, sc->title);
                put(&b, "&#10;");
                xml_text(&b, sc->rfc);
                sd_buf_appendf(&b, "</%s>\n", child);
            }
            sd_buf_appendf(&b, "      <system-out>%s: ", vn);
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
    bool ok = sd_report_write_file(dir, "junit.xml", text, strlen(text), err, err_len);
    free(text);
    return ok;
}
