/* report_html.c — index.html: the embedded template with the results inlined.
 *
 * The page must work alone (mailed, archived as a CI artifact, opened from
 * file://), so there is nothing to fetch: the results ride inside the page.
 * Inlining results.json as it is does not scale: twelve stacks over the
 * full suite make a results.json of hundreds of megabytes, nearly all of it
 * ladders (the events of each cell) that repeat from stack to stack and
 * outcome objects that repeat from scenario to scenario. So the page gets
 * a compact copy (its format is in docs/results-schema.md, "index.html"):
 * the scenarios once, each distinct ladder, outcome and reason once, and a
 * cell as a small array of references into those tables. That text is then
 * gzip-compressed and written in base64 into a
 * <script type="application/gzip" id="sd-results"> element; the page
 * decodes it with the browser's DecompressionStream('gzip').
 *
 * Base64 also closes the one HTML-level danger of inlined data: its
 * alphabet has no '<', so nothing a target said can end the element or
 * start markup, whatever the results hold. */
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "report/report.h"
#include "report/report_json_parts.h"
#include "report_template.h" /* sd_report_template[], generated from reports/index.html */

/* The template's placeholder; it appears exactly once, as the content of the
 * results <script> element. */
static const char placeholder[] = "@@SHAKEDOWN_RESULTS@@";

/* Bumped when the page data changes shape (the template reads "page"). */
#define SD_PAGE_FORMAT 1

/* --- Sharing equal values: a JSON array of distinct values, and a hash of
 * each one's compact text to its index in the array. ---------------------- */

typedef struct {
    char *text; /* compact JSON of the value; NULL: free slot */
    uint32_t hash;
    size_t index;
} shared_slot;

typedef struct {
    json_t *values; /* the array the page reads */
    shared_slot *slots;
    size_t cap, used; /* cap: a power of two */
    bool failed;
} shared_table;

static void shared_init(shared_table *t) {
    memset(t, 0, sizeof *t);
    t->values = json_array();
    if (!t->values) t->failed = true;
}

static void shared_free(shared_table *t) {
    for (size_t i = 0; i < t->cap; i++) free(t->slots[i].text);
    free(t->slots);
    json_decref(t->values);
}

/* FNV-1a, 32 bits: enough to spread distinct ladders over the table. */
static uint32_t text_hash(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static bool shared_grow(shared_table *t) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    shared_slot *slots = calloc(cap, sizeof *slots);
    if (!slots) return false;
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i].text) continue;
        size_t j = t->slots[i].hash & (cap - 1);
        while (slots[j].text) j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return true;
}

/* The index of value in t (added if new); takes the reference to value.
 * -1 when memory ran out (then t->failed). */
static json_int_t shared_index(shared_table *t, json_t *value) {
    char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12)) : NULL;
    if (!text || t->failed || ((t->used + 1) * 2 > t->cap && !shared_grow(t))) {
        free(text);
        json_decref(value);
        t->failed = true;
        return -1;
    }
    uint32_t h = text_hash(text);
    size_t j = h & (t->cap - 1);
    for (; t->slots[j].text; j = (j + 1) & (t->cap - 1)) {
        if (t->slots[j].hash == h && strcmp(t->slots[j].text, text) == 0) {
            free(text);
            json_decref(value);
            return (json_int_t)t->slots[j].index;
        }
    }
    t->slots[j] = (shared_slot){text, h, json_array_size(t->values)};
    t->used++;
    if (json_array_append_new(t->values, value) != 0) t->failed = true;
    return (json_int_t)t->slots[j].index;
}

/* --- The page data -------------------------------------------------------- */

/* One cell: [verdict, why, elapsed_ms, outcome, ladder] (outcome and ladder
 * -1 when it did not run), and [..., raw verdict, baseline verdict] when a
 * baseline changed its verdict. Indexes into the shared tables. */
static json_t *cell_json(const sd_report_cell *c, shared_table *whys, shared_table *outcomes,
                         shared_table *ladders) {
    json_int_t outcome = -1, ladder = -1;
    if (c->ran) {
        json_t *o = sd_report_outcome_json(&c->outcome);
        /* Every outcome's time differs, which would keep equal outcomes
         * apart; the page shows the cell's time, results.json has both. */
        json_object_del(o, "elapsed_ms");
        outcome = shared_index(outcomes, o);
        ladder = shared_index(ladders, sd_report_events_json(&c->outcome));
    }
    json_t *j = json_array();
    json_array_append_new(j, json_integer(c->verdict));
    json_array_append_new(j, json_integer(shared_index(whys, sd_report_json_string(c->why))));
    /* Rounded to microseconds, as in results.json. */
    double ms = c->elapsed_ms >= 0 && c->elapsed_ms < 1e12 ? c->elapsed_ms : 0;
    json_array_append_new(j, json_real((double)(long long)(ms * 1000.0 + 0.5) / 1000.0));
    json_array_append_new(j, json_integer(outcome));
    json_array_append_new(j, json_integer(ladder));
    if (c->baseline.applied) {
        json_array_append_new(j, json_integer(c->baseline.raw));
        json_array_append_new(j, json_integer(c->baseline.recorded));
    }
    return j;
}

char *sd_report_page_json_text(const sd_report_run *run) {
    json_t *root = sd_report_document_json(run, false);
    if (!root) return NULL;
    shared_table whys, outcomes, ladders;
    shared_init(&whys);
    shared_init(&outcomes);
    shared_init(&ladders);
    json_t *verdicts = json_array(), *cells = json_array();
    for (int v = 0; v < SD_VERDICT_COUNT; v++)
        json_array_append_new(verdicts, json_string(sd_verdict_name(v)));
    for (size_t i = 0; i < run->n_scenarios; i++) {
        json_t *row = json_array();
        for (size_t k = 0; k < run->n_stacks; k++) {
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            /* An absent cell (another shard's) is null: the page shows "—". */
            json_array_append_new(row, c->absent ? json_null() : cell_json(c, &whys, &outcomes, &ladders));
        }
        json_array_append_new(cells, row);
    }
    char *text = NULL;
    if (!whys.failed && !outcomes.failed && !ladders.failed) {
        json_object_set_new(root, "page", json_integer(SD_PAGE_FORMAT));
        json_object_set_new(root, "verdicts", verdicts);
        json_object_set(root, "whys", whys.values);
        json_object_set(root, "outcomes", outcomes.values);
        json_object_set(root, "ladders", ladders.values);
        json_object_set_new(root, "cells", cells);
        text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(12));
    } else {
        json_decref(verdicts);
        json_decref(cells);
    }
    shared_free(&whys);
    shared_free(&outcomes);
    shared_free(&ladders);
    json_decref(root);
    return text;
}

/* --- gzip and base64 ------------------------------------------------------ */

/* text gzip-compressed (RFC 1952), the format DecompressionStream('gzip')
 * reads, appended to out. */
static bool gzip_into(const char *text, size_t len, sd_buf *out) {
    if (len > UINT_MAX / 2) return false; /* one deflate call takes a uInt of input */
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    size_t bound = deflateBound(&z, (uLong)len);
    if (!sd_buf_reserve(out, bound)) {
        deflateEnd(&z);
        return false;
    }
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)len;
    z.next_out = out->data + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len += bound - z.avail_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END;
}

static void base64_into(const uint8_t *data, size_t len, sd_buf *out) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!sd_buf_reserve(out, (len + 2) / 3 * 4)) return;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len) v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len) v |= data[i + 2];
        char quad[4] = {alphabet[v >> 18], alphabet[(v >> 12) & 63],
                        i + 1 < len ? alphabet[(v >> 6) & 63] : '=', i + 2 < len ? alphabet[v & 63] : '='};
        sd_buf_append(out, quad, 4);
    }
}

bool sd_report_render_html(const sd_report_run *run, sd_buf *out) {
    const char *at = strstr(sd_report_template, placeholder);
    if (!at) return false;
    char *text = sd_report_page_json_text(run);
    if (!text) {
        out->failed = true;
        return false;
    }
    sd_buf gz;
    sd_buf_init(&gz);
    bool ok = gzip_into(text, strlen(text), &gz) && !gz.failed;
    free(text);
    if (ok) {
        sd_buf_append(out, sd_report_template, (size_t)(at - sd_report_template));
        base64_into(gz.data, gz.len, out);
        const char *rest = at + sizeof placeholder - 1;
        sd_buf_append(out, rest, strlen(rest));
    } else {
        out->failed = true;
    }
    sd_buf_free(&gz);
    return ok && !out->failed;
}

bool sd_report_write_html(const sd_report_run *run, const char *dir, char *err, size_t err_len) {
    if (!strstr(sd_report_template, placeholder)) {
        if (err && err_len) snprintf(err, err_len, "index.html: template has no results placeholder");
        return false;
    }
    sd_buf html;
    sd_buf_init(&html);
    if (!sd_report_render_html(run, &html)) {
        if (err && err_len) snprintf(err, err_len, "index.html: out of memory");
        sd_buf_free(&html);
        return false;
    }
    bool ok = sd_report_write_file(dir, "index.html", html.data, html.len, err, err_len);
    sd_buf_free(&html);
    return ok;
}
