/* report_html.c — index.html: the embedded template with results.json inlined.
 *
 * The page must work alone (mailed, archived as a CI artifact, opened from
 * file://), so there is nothing to fetch: the results ride inside a
 * <script type="application/json"> block and the page's own script reads
 * them with JSON.parse and builds the DOM with textContent only.
 *
 * The one HTML-level danger is the blob itself: the HTML parser ends a
 * script element at the first "</script" whatever the JSON says, and "<!--"
 * changes how it scans. Escaping every '<' (and '>', '&' for good measure)
 * as \u003c inside the JSON closes both doors without changing the value
 * that JSON.parse returns. U+2028/U+2029 are escaped too, for readers that
 * treat the text as JavaScript source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report_template.h" /* sd_report_template[], generated from reports/index.html */

/* The template's placeholder; it appears exactly once, as the content of the
 * results <script> element. */
static const char placeholder[] = "@@SHAKEDOWN_RESULTS_JSON@@";

void sd_report_escape_json_for_script(const char *json, sd_buf *out) {
    const unsigned char *s = (const unsigned char *)json;
    const unsigned char *run = s; /* start of bytes not yet copied */
    for (; *s; s++) {
        const char *rep = NULL;
        size_t skip = 1;
        if (*s == '<') {
            rep = "\\u003c";
        } else if (*s == '>') {
            rep = "\\u003e";
        } else if (*s == '&') {
            rep = "\\u0026";
        } else if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
            rep = s[2] == 0xa8 ? "\\u2028" : "\\u2029";
            skip = 3;
        }
        if (!rep) continue;
        sd_buf_append(out, run, (size_t)(s - run));
        sd_buf_append(out, rep, strlen(rep));
        s += skip - 1;
        run = s + 1;
    }
    sd_buf_append(out, run, (size_t)(s - run));
}

bool sd_report_render_html(const char *json_text, sd_buf *out) {
    const char *at = strstr(sd_report_template, placeholder);
    if (!at) return false;
    sd_buf_append(out, sd_report_template, (size_t)(at - sd_report_template));
    sd_report_escape_json_for_script(json_text, out);
    const char *rest = at + sizeof placeholder - 1;
    sd_buf_append(out, rest, strlen(rest));
    return !out->failed;
}

bool sd_report_write_html(const sd_report_run *run, const char *dir, char *err, size_t err_len) {
    char *json = sd_report_json_text(run, 0);
    if (!json) {
        if (err && err_len) snprintf(err, err_len, "index.html: out of memory");
        return false;
    }
    sd_buf html;
    sd_buf_init(&html);
    bool ok = sd_report_render_html(json, &html);
    free(json);
    if (!ok) {
        if (err && err_len) {
            snprintf(err, err_len, "index.html: %s",
                     html.failed ? "out of memory" : "template has no results placeholder");
        }
        sd_buf_free(&html);
        return false;
    }
    ok = sd_report_write_file(dir, "index.html", html.data, html.len, err, err_len);
    sd_buf_free(&html);
    return ok;
}
