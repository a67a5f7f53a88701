/* report_json.c — results.json (schema: docs/results-schema.md).
 *
 * Strings that came from a target (error strings, anything it named) may be
 * any bytes. jansson refuses invalid UTF-8, which would silently drop the
 * field, so every string goes through utf8_clean() first: invalid sequences
 * become U+FFFD and nothing is lost silently. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "report/report_json_parts.h"
#include "wire/names.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid
 * (overlong forms, surrogates and values above U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned min, cp;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        min = 0x80;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        min = 0x800;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        min = 0x10000;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0; /* also stops at the NUL */
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* A JSON string of s, with invalid UTF-8 replaced. Never NULL unless out of
 * memory (and then json_object_set_new drops the field, which is all we can
 * do). */
json_t *sd_report_json_string(const char *s) {
    if (!s) s = "";
    size_t len = strlen(s);
    bool clean = true;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq((const unsigned char *)s + i);
        if (!n) {
            clean = false;
            break;
        }
        i += n;
    }
    if (clean) return json_stringn(s, len);
    char *out = malloc(len * 3 + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq((const unsigned char *)s + i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3); /* U+FFFD REPLACEMENT CHARACTER */
            o += 3;
            i += 1;
        }
    }
    json_t *j = json_stringn(out, o);
    free(out);
    return j;
}

/* Milliseconds rounded to microseconds: more digits would be noise. (By
 * hand rather than round(3), so the library needs no libm.) */
static json_t *jms(double ms) {
    if (!(ms >= 0 && ms < 1e12)) ms = 0; /* also catches NaN */
    return json_real((double)(long long)(ms * 1000.0 + 0.5) / 1000.0);
}

static void iso_utc(time_t t, char *buf, size_t len) {
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, len, "%lld", (long long)t);
    }
}

static json_t *version_json(uint16_t v) {
    switch (v) {
    case 0:
        return json_null();
    case SD_TLS12:
        return json_string("TLS 1.2");
    case SD_TLS13:
        return json_string("TLS 1.3");
    default: {
        char b[16];
        snprintf(b, sizeof b, "0x%04x", (unsigned)v);
        return json_string(b);
    }
    }
}

/* A name from a registry, or the number when the registry has none, so an
 * unexpected value still shows up in the report. */
static json_t *named(const char *name, unsigned v, unsigned zero_is_null) {
    if (zero_is_null && v == 0) return json_null();
    if (name) return json_string(name);
    char b[16];
    snprintf(b, sizeof b, "0x%04x", v);
    return json_string(b);
}

static const char *event_kind_name(sd_event_kind k) {
    switch (k) {
    case SD_EVENT_HANDSHAKE:
        return "handshake";
    case SD_EVENT_ALERT:
        return "alert";
    case SD_EVENT_CCS:
        return "ccs";
    case SD_EVENT_APPDATA:
        return "appdata";
    case SD_EVENT_RAW:
        return "raw";
    case SD_EVENT_CLOSE:
        return "close";
    }
    return "unknown";
}

/* The label of a ladder arrow: the RFC name of what was sent. */
static void event_name(const sd_event *e, char *buf, size_t len) {
    const char *n = NULL;
    switch (e->kind) {
    case SD_EVENT_HANDSHAKE:
        n = e->hrr ? "HelloRetryRequest" : sd_handshake_type_name(e->code);
        if (n) {
            snprintf(buf, len, "%s", n);
        } else {
            snprintf(buf, len, "handshake type %u", (unsigned)e->code);
        }
        return;
    case SD_EVENT_ALERT:
        n = sd_alert_name(e->code);
        if (n) {
            snprintf(buf, len, "%s", n);
        } else {
            snprintf(buf, len, "alert %u", (unsigned)e->code);
        }
        return;
    case SD_EVENT_CCS:
        snprintf(buf, len, "ChangeCipherSpec");
        return;
    case SD_EVENT_APPDATA:
        snprintf(buf, len, "application_data");
        return;
    case SD_EVENT_RAW:
        /* code is the record's content type when the driver knows it. */
        n = e->code ? sd_content_type_name(e->code) : NULL;
        if (n) {
            snprintf(buf, len, "raw %s record", n);
        } else {
            snprintf(buf, len, "raw bytes");
        }
        return;
    case SD_EVENT_CLOSE:
        snprintf(buf, len, "close");
        return;
    }
    snprintf(buf, len, "event %d", (int)e->kind);
}

static json_t *event_json(const sd_event *e) {
    char name[64];
    event_name(e, name, sizeof name);
    json_t *j = json_object();
    json_object_set_new(j, "from", json_string(e->from == SD_FROM_TARGET ? "target" : "peer"));
    json_object_set_new(j, "kind", json_string(event_kind_name(e->kind)));
    json_object_set_new(j, "name", sd_report_json_string(name));
    json_object_set_new(j, "encrypted", json_boolean(e->encrypted));
    json_object_set_new(j, "mutated", json_boolean(e->mutated));
    json_object_set_new(j, "step", json_integer(e->step));
    json_object_set_new(j, "code", json_integer(e->code));
    /* Only in a trace of several connections (0-based), so that the files
     * of one-connection runs keep their bytes. */
    if (e->connection) json_object_set_new(j, "connection", json_integer(e->connection));
    if (e->kind == SD_EVENT_ALERT) {
        json_object_set_new(j, "level", named(sd_alert_level_name(e->level), e->level, 0));
    }
    return j;
}

json_t *sd_report_events_json(const sd_outcome *o) {
    json_t *ev = json_array();
    size_t n = o->n_events <= SD_MAX_EVENTS ? o->n_events : SD_MAX_EVENTS;
    for (size_t e = 0; e < n; e++) json_array_append_new(ev, event_json(&o->events[e]));
    return ev;
}

json_t *sd_report_outcome_json(const sd_outcome *o) {
    char desc[300], shortd[64];
    sd_outcome_describe(o, desc, sizeof desc);
    sd_report_observed_short(o, shortd, sizeof shortd);
    json_t *j = json_object();
    json_object_set_new(j, "kind", json_string(sd_outcome_kind_name(o->kind)));
    if (o->kind == SD_OUTCOME_ALERT) {
        json_object_set_new(j, "alert", named(sd_alert_name(o->alert), o->alert, 0));
        json_object_set_new(j, "alert_code", json_integer(o->alert));
        json_object_set_new(j, "alert_level", named(sd_alert_level_name(o->alert_level), o->alert_level, 0));
    } else {
        json_object_set_new(j, "alert", json_null());
    }
    json_object_set_new(j, "step", json_integer(o->step));
    json_object_set_new(j, "line", json_integer(o->line));
    json_object_set_new(j, "reached", json_integer(o->reached));
    json_object_set_new(j, "summary", sd_report_json_string(shortd));
    json_object_set_new(j, "description", sd_report_json_string(desc));
    json_object_set_new(j, "detail", sd_report_json_string(o->detail));
    json_object_set_new(j, "handshake_done", json_boolean(o->handshake_done));
    if (o->connections > 1) {
        json_object_set_new(j, "connections", json_integer(o->connections));
        json_object_set_new(j, "resumed", json_boolean(o->resumed));
    }
    json_object_set_new(j, "peer_authenticated", json_boolean(o->peer_authenticated));
    json_object_set_new(j, "version", version_json(o->version));
    json_object_set_new(j, "cipher_suite", named(sd_cipher_suite_name(o->cipher_suite), o->cipher_suite, 1));
    json_object_set_new(j, "group", named(sd_group_name(o->group), o->group, 1));
    json_object_set_new(j, "elapsed_ms", jms(o->elapsed_ms));
    json_object_set_new(j, "events_truncated", json_boolean(o->events_truncated));
    return j;
}

static const char *expect_kind_name(sd_expectation_kind k) {
    switch (k) {
    case SD_EXPECT_COMPLETE:
        return "complete";
    case SD_EXPECT_ALERT:
        return "alert";
    case SD_EXPECT_CLOSED:
        return "closed";
    }
    return "unknown";
}

static json_t *scenario_json(const sd_report_scenario *s) {
    json_t *j = json_object();
    json_object_set_new(j, "id", sd_report_json_string(s->id));
    json_object_set_new(j, "title", sd_report_json_string(s->title));
    json_object_set_new(j, "rfc", sd_report_json_string(s->rfc));
    json_object_set_new(j, "role", json_string(s->role == SD_ROLE_CLIENT ? "client" : "server"));
    json_t *tags = json_array();
    for (size_t i = 0; i < s->n_tags; i++) json_array_append_new(tags, sd_report_json_string(s->tags[i]));
    json_object_set_new(j, "tags", tags);

    /* sd_expectation_describe wants an sd_scenario; only the expectation
     * fields matter to it. */
    sd_scenario tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.expect = s->expect;
    tmp.expect_alert = s->expect_alert;
    tmp.n_expect_alert_also = s->n_expect_alert_also;
    memcpy(tmp.expect_alert_also, s->expect_alert_also, sizeof tmp.expect_alert_also);
    char text[80 * SD_MAX_EXPECT_ALERTS];
    sd_expectation_describe(&tmp, text, sizeof text);
    json_t *ex = json_object();
    json_object_set_new(ex, "kind", json_string(expect_kind_name(s->expect)));
    if (s->expect == SD_EXPECT_ALERT) {
        json_object_set_new(ex, "alert", named(sd_alert_name(s->expect_alert), s->expect_alert, 0));
        /* Every alert that passes: the first is `alert`; more than one where
         * the RFCs allow several (docs/results-schema.md). */
        json_t *all = json_array();
        json_array_append_new(all, named(sd_alert_name(s->expect_alert), s->expect_alert, 0));
        for (size_t i = 0; i < s->n_expect_alert_also && i < SD_MAX_EXPECT_ALERTS - 1; i++)
            json_array_append_new(all,
                                  named(sd_alert_name(s->expect_alert_also[i]), s->expect_alert_also[i], 0));
        json_object_set_new(ex, "alerts", all);
    }
    json_object_set_new(ex, "text", sd_report_json_string(text));
    json_object_set_new(j, "expect", ex);
    json_object_set_new(j, "note", sd_report_json_string(s->note));
    json_object_set_new(j, "path", sd_report_json_string(s->path));
    json_object_set_new(j, "script", s->script ? sd_report_json_string(s->script) : json_null());
    return j;
}

static json_t *counts_json(const sd_report_run *run, size_t stack, bool all_stacks) {
    json_t *j = json_object();
    for (int v = 0; v < SD_VERDICT_COUNT; v++) {
        size_t n = 0;
        if (all_stacks) {
            for (size_t k = 0; k < run->n_stacks; k++) n += sd_report_count(run, k, (sd_verdict)v);
        } else {
            n = sd_report_count(run, stack, (sd_verdict)v);
        }
        json_object_set_new(j, sd_verdict_name((sd_verdict)v), json_integer((json_int_t)n));
    }
    return j;
}

json_t *sd_report_document_json(const sd_report_run *run, bool with_results) {
    json_t *root = json_object();
    json_object_set_new(root, "schema_version", json_integer(SD_RESULTS_SCHEMA_VERSION));
    json_t *tool = json_object();
    json_object_set_new(tool, "name", json_string("shakedown"));
    json_object_set_new(tool, "version", sd_report_json_string(run->tool_version));
    json_object_set_new(root, "tool", tool);

    char started[40], vt[40];
    iso_utc(run->started, started, sizeof started);
    iso_utc((time_t)run->validation_time, vt, sizeof vt);
    json_t *r = json_object();
    json_object_set_new(r, "started", json_string(started));
    json_object_set_new(r, "validation_time", json_integer((json_int_t)run->validation_time));
    json_object_set_new(r, "validation_time_utc", json_string(vt));
    /* A seed is a 64-bit unsigned value; JSON readers lose precision past
     * 2^53, so it is also given as a decimal string. */
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->seed);
    json_object_set_new(r, "seed", json_string(seed));
    json_object_set_new(r, "elapsed_ms", jms(run->elapsed_ms));
    json_object_set_new(r, "incomplete", json_boolean(run->incomplete));
    if (run->incomplete)
        json_object_set_new(r, "incomplete_reason", sd_report_json_string(run->incomplete_reason));
    if (run->shard_count) {
        json_t *sh = json_object();
        json_object_set_new(sh, "index", json_integer(run->shard_index));
        json_object_set_new(sh, "count", json_integer(run->shard_count));
        json_object_set_new(r, "shard", sh);
    }
    json_object_set_new(root, "run", r);

    json_t *stacks = json_array();
    for (size_t k = 0; k < run->n_stacks; k++) {
        json_t *s = json_object();
        json_object_set_new(s, "name", sd_report_json_string(run->stacks[k].name));
        json_object_set_new(s, "version", sd_report_json_string(run->stacks[k].version));
        if (run->stacks[k].probe[0])
            json_object_set_new(s, "probe", sd_report_json_string(run->stacks[k].probe));
        if (run->stacks[k].shard_count) {
            json_t *sh = json_object(), *held = json_array();
            json_object_set_new(sh, "count", json_integer(run->stacks[k].shard_count));
            for (unsigned i = 0; i < run->stacks[k].shard_count && i < SD_MAX_SHARDS; i++)
                if (run->stacks[k].shard_held[i]) json_array_append_new(held, json_integer(i + 1));
            json_object_set_new(sh, "held", held);
            json_object_set_new(s, "shards", sh);
        }
        json_object_set_new(s, "elapsed_ms", jms(run->stacks[k].elapsed_ms));
        json_object_set_new(s, "counts", counts_json(run, k, false));
        json_array_append_new(stacks, s);
    }
    json_object_set_new(root, "stacks", stacks);
    json_object_set_new(root, "totals", counts_json(run, 0, true));

    json_t *scen = json_array();
    for (size_t i = 0; i < run->n_scenarios; i++) {
        json_array_append_new(scen, scenario_json(&run->scenarios[i]));
    }
    json_object_set_new(root, "scenarios", scen);
    if (!with_results) return root;

    json_t *results = json_array();
    for (size_t i = 0; i < run->n_scenarios; i++) {
        for (size_t k = 0; k < run->n_stacks; k++) {
            const sd_report_cell *c = sd_report_cell_at(run, i, k);
            if (c->absent) continue; /* another shard's */
            json_t *cj = json_object();
            json_object_set_new(cj, "scenario", sd_report_json_string(run->scenarios[i].id));
            json_object_set_new(cj, "stack", sd_report_json_string(run->stacks[k].name));
            json_object_set_new(cj, "ran", json_boolean(c->ran));
            json_object_set_new(cj, "verdict", json_string(sd_verdict_name(c->verdict)));
            if (c->baseline.applied) {
                /* --baseline: what the cell did, and what the baseline said. */
                json_object_set_new(cj, "raw_verdict", json_string(sd_verdict_name(c->baseline.raw)));
                json_object_set_new(cj, "baseline", json_string(sd_verdict_name(c->baseline.recorded)));
            }
            json_object_set_new(cj, "why", sd_report_json_string(c->why));
            json_object_set_new(cj, "elapsed_ms", jms(c->elapsed_ms));
            if (c->ran) {
                json_object_set_new(cj, "outcome", sd_report_outcome_json(&c->outcome));
                json_object_set_new(cj, "events", sd_report_events_json(&c->outcome));
            } else {
                json_object_set_new(cj, "outcome", json_null());
                json_object_set_new(cj, "events", json_array());
            }
            json_array_append_new(results, cj);
        }
    }
    json_object_set_new(root, "results", results);
    return root;
}

char *sd_report_json_text(const sd_report_run *run, int indent) {
    json_t *root = sd_report_document_json(run, true);
    if (!root) return NULL;
    size_t flags = JSON_REAL_PRECISION(12);
    flags |= indent > 0 ? JSON_INDENT(indent) : JSON_COMPACT;
    char *text = json_dumps(root, flags);
    json_decref(root);
    return text;
}

bool sd_report_write_json(const sd_report_run *run, const char *dir, char *err, size_t err_len) {
    char *text = sd_report_json_text(run, 2);
    if (!text) {
        if (err && err_len) snprintf(err, err_len, "results.json: out of memory");
        return false;
    }
    size_t len = strlen(text);
    /* End with a newline, as text files do; the NUL is overwritten and not
     * written. */
    char *withnl = realloc(text, len + 2);
    if (!withnl) {
        free(text);
        if (err && err_len) snprintf(err, err_len, "results.json: out of memory");
        return false;
    }
    withnl[len] = '\n';
    bool ok = sd_report_write_file(dir, "results.json", withnl, len + 1, err, err_len);
    free(withnl);
    return ok;
}

/* --- Reading results.json back (shakedown report) -------------------------- */

static const char *jget_str(json_t *o, const char *key) {
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static void copy_str(char *dst, size_t size, const char *src) { snprintf(dst, size, "%s", src ? src : ""); }

/* A registry value written by named(): the RFC name, or "0x%04x". */
static unsigned unnamed(const char *s, bool (*lookup)(const char *, unsigned *)) {
    unsigned v = 0;
    if (!s || !*s) return 0;
    if (strncmp(s, "0x", 2) == 0) return (unsigned)strtoul(s + 2, NULL, 16);
    if (lookup && lookup(s, &v)) return v;
    return 0;
}

static bool lookup_group(const char *s, unsigned *v) {
    uint16_t g;
    if (!sd_group_from_name(s, &g)) return false;
    *v = g;
    return true;
}

static bool lookup_suite(const char *s, unsigned *v) {
    uint16_t c;
    if (!sd_cipher_suite_from_name(s, &c)) return false;
    *v = c;
    return true;
}

static bool lookup_level(const char *s, unsigned *v) {
    uint8_t l;
    if (!sd_alert_level_from_name(s, &l)) return false;
    *v = l;
    return true;
}

static sd_outcome_kind outcome_kind_from(const char *s) {
    for (int k = SD_OUTCOME_COMPLETED; k <= SD_OUTCOME_UNSUPPORTED; k++) /* the last kind */
        if (strcmp(s, sd_outcome_kind_name((sd_outcome_kind)k)) == 0) return (sd_outcome_kind)k;
    return SD_OUTCOME_HARNESS_ERROR;
}

static sd_event_kind event_kind_from(const char *s) {
    for (int k = SD_EVENT_HANDSHAKE; k <= SD_EVENT_CLOSE; k++)
        if (strcmp(s, event_kind_name((sd_event_kind)k)) == 0) return (sd_event_kind)k;
    return SD_EVENT_RAW;
}

static double jnum(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" to seconds since the epoch, without timegm(3),
 * which POSIX does not have (days from civil, proleptic Gregorian). */
static time_t parse_utc(const char *s) {
    int y, mo, d, h, mi, se;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &se) != 6) return 0;
    y -= mo <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    return (time_t)(days * 86400L + h * 3600L + mi * 60L + se);
}

bool sd_report_load_json(const char *path, sd_report_run *run, char *err, size_t err_len) {
    char dummy[8];
    if (!err || !err_len) err = dummy, err_len = sizeof dummy;
    memset(run, 0, sizeof *run);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        snprintf(err, err_len, "%s:%d: %s", path, je.line, je.text);
        return false;
    }
    json_t *scen = json_object_get(root, "scenarios"), *stacks = json_object_get(root, "stacks"),
           *results = json_object_get(root, "results");
    json_int_t schema = json_integer_value(json_object_get(root, "schema_version"));
    if (!json_is_array(scen) || !json_is_array(stacks) || !json_is_array(results) ||
        schema != SD_RESULTS_SCHEMA_VERSION) {
        snprintf(err, err_len, "%s: not a results.json of schema version %d", path,
                 SD_RESULTS_SCHEMA_VERSION);
        json_decref(root);
        return false;
    }
    size_t n_s = json_array_size(scen), n_k = json_array_size(stacks);
    if (!sd_report_run_init(run, n_s, n_k)) {
        snprintf(err, err_len, "%s: out of memory", path);
        json_decref(root);
        return false;
    }
    json_t *tool = json_object_get(root, "tool"), *r = json_object_get(root, "run");
    copy_str(run->tool_version, sizeof run->tool_version, jget_str(tool, "version"));
    run->started = parse_utc(jget_str(r, "started"));
    run->validation_time = (int64_t)json_integer_value(json_object_get(r, "validation_time"));
    run->seed = strtoull(jget_str(r, "seed"), NULL, 10);
    run->elapsed_ms = jnum(r, "elapsed_ms");
    run->incomplete = json_is_true(json_object_get(r, "incomplete"));
    copy_str(run->incomplete_reason, sizeof run->incomplete_reason, jget_str(r, "incomplete_reason"));
    json_t *shard = json_object_get(r, "shard");
    json_int_t shard_count = json_integer_value(json_object_get(shard, "count"));
    json_int_t shard_index = json_integer_value(json_object_get(shard, "index"));
    if (shard_count > 0 && shard_count <= SD_MAX_SHARDS && shard_index >= 1 && shard_index <= shard_count) {
        run->shard_count = (unsigned)shard_count;
        run->shard_index = (unsigned)shard_index;
    }

    size_t i;
    json_t *o;
    json_array_foreach(stacks, i, o) {
        copy_str(run->stacks[i].name, sizeof run->stacks[i].name, jget_str(o, "name"));
        copy_str(run->stacks[i].version, sizeof run->stacks[i].version, jget_str(o, "version"));
        copy_str(run->stacks[i].probe, sizeof run->stacks[i].probe, jget_str(o, "probe"));
        run->stacks[i].elapsed_ms = jnum(o, "elapsed_ms");
        json_t *sh = json_object_get(o, "shards");
        json_int_t count = json_integer_value(json_object_get(sh, "count"));
        if (count > 0 && count <= SD_MAX_SHARDS) {
            run->stacks[i].shard_count = (unsigned)count;
            size_t h;
            json_t *held;
            json_array_foreach(json_object_get(sh, "held"), h, held) {
                json_int_t k = json_integer_value(held);
                if (k >= 1 && k <= count) run->stacks[i].shard_held[k - 1] = true;
            }
        }
    }
    json_array_foreach(scen, i, o) {
        sd_report_scenario *s = &run->scenarios[i];
        copy_str(s->id, sizeof s->id, jget_str(o, "id"));
        copy_str(s->title, sizeof s->title, jget_str(o, "title"));
        copy_str(s->rfc, sizeof s->rfc, jget_str(o, "rfc"));
        copy_str(s->note, sizeof s->note, jget_str(o, "note"));
        copy_str(s->path, sizeof s->path, jget_str(o, "path"));
        s->role = strcmp(jget_str(o, "role"), "client") == 0 ? SD_ROLE_CLIENT : SD_ROLE_SERVER;
        size_t t;
        json_t *tag;
        json_array_foreach(json_object_get(o, "tags"), t, tag) {
            if (s->n_tags < SD_MAX_TAGS)
                copy_str(s->tags[s->n_tags++], sizeof s->tags[0], json_string_value(tag));
        }
        json_t *ex = json_object_get(o, "expect");
        const char *kind = jget_str(ex, "kind");
        s->expect = strcmp(kind, "alert") == 0    ? SD_EXPECT_ALERT
                    : strcmp(kind, "closed") == 0 ? SD_EXPECT_CLOSED
                                                  : SD_EXPECT_COMPLETE;
        if (s->expect == SD_EXPECT_ALERT) {
            const char *a = jget_str(ex, "alert");
            uint8_t code = 0;
            if (!sd_alert_from_name(a, &code)) code = (uint8_t)unnamed(a, NULL);
            s->expect_alert = code;
            /* The rest of a set (files written before sets have no
             * "alerts", or the first alone). */
            size_t k;
            json_t *alert;
            json_array_foreach(json_object_get(ex, "alerts"), k, alert) {
                const char *name = json_string_value(alert);
                if (k == 0 || !name || s->n_expect_alert_also == SD_MAX_EXPECT_ALERTS - 1) continue;
                if (!sd_alert_from_name(name, &code)) code = (uint8_t)unnamed(name, NULL);
                s->expect_alert_also[s->n_expect_alert_also++] = code;
            }
        }
        const char *script = json_string_value(json_object_get(o, "script"));
        if (script) s->script = strdup(script);
    }
    /* A cell the file does not list is another shard's (conform --shard). */
    for (size_t c = 0; c < n_s * n_k; c++) run->cells[c].absent = true;
    size_t last_si = 0;
    bool ok = true;
    json_array_foreach(results, i, o) {
        /* Cells are scenario-major, but find them by name: a hand-edited
         * file, or a shard's (which lists only its cells), may have them
         * elsewhere. */
        const char *id = jget_str(o, "scenario"), *stack = jget_str(o, "stack");
        size_t si = n_s, ki = n_k;
        if (i < n_s * n_k && strcmp(run->scenarios[i / n_k].id, id) == 0 &&
            strcmp(run->stacks[i % n_k].name, stack) == 0) {
            si = i / n_k;
            ki = i % n_k;
        } else {
            /* From the previous row's scenario on: a shard's rows are in
             * order with gaps, so this finds each at once. */
            for (size_t a = 0; a < n_s && si == n_s; a++)
                if (strcmp(run->scenarios[(last_si + a) % n_s].id, id) == 0) si = (last_si + a) % n_s;
            for (size_t b = 0; b < n_k && ki == n_k; b++)
                if (strcmp(run->stacks[b].name, stack) == 0) ki = b;
        }
        if (si == n_s || ki == n_k) {
            snprintf(err, err_len, "%s: results[%zu] names scenario '%s' on stack '%s', which are not listed",
                     path, i, id, stack);
            ok = false;
            break;
        }
        last_si = si;
        sd_report_cell *c = sd_report_cell_at(run, si, ki);
        c->absent = false;
        c->ran = json_is_true(json_object_get(o, "ran"));
        if (!sd_verdict_from_name(jget_str(o, "verdict"), &c->verdict)) {
            snprintf(err, err_len, "%s: results[%zu] has an unknown verdict", path, i);
            ok = false;
            break;
        }
        if (json_is_string(json_object_get(o, "raw_verdict")) &&
            sd_verdict_from_name(jget_str(o, "raw_verdict"), &c->baseline.raw) &&
            sd_verdict_from_name(jget_str(o, "baseline"), &c->baseline.recorded))
            c->baseline.applied = true;
        copy_str(c->why, sizeof c->why, jget_str(o, "why"));
        c->elapsed_ms = jnum(o, "elapsed_ms");
        json_t *oc = json_object_get(o, "outcome");
        sd_outcome *out = &c->outcome;
        sd_outcome_init(out);
        if (json_is_object(oc)) {
            out->kind = outcome_kind_from(jget_str(oc, "kind"));
            out->alert = (uint8_t)json_integer_value(json_object_get(oc, "alert_code"));
            out->alert_level = (uint8_t)unnamed(jget_str(oc, "alert_level"), lookup_level);
            out->step = (int)json_integer_value(json_object_get(oc, "step"));
            out->line = (int)json_integer_value(json_object_get(oc, "line"));
            /* Files written before `reached` existed: the ending step. */
            json_t *reached = json_object_get(oc, "reached");
            out->reached = json_is_integer(reached) ? (int)json_integer_value(reached) : out->step;
            copy_str(out->detail, sizeof out->detail, jget_str(oc, "detail"));
            out->handshake_done = json_is_true(json_object_get(oc, "handshake_done"));
            out->peer_authenticated = json_is_true(json_object_get(oc, "peer_authenticated"));
            const char *v = jget_str(oc, "version");
            out->version = strcmp(v, "TLS 1.3") == 0   ? SD_TLS13
                           : strcmp(v, "TLS 1.2") == 0 ? SD_TLS12
                                                       : (uint16_t)unnamed(v, NULL);
            out->cipher_suite = (uint16_t)unnamed(jget_str(oc, "cipher_suite"), lookup_suite);
            out->group = (uint16_t)unnamed(jget_str(oc, "group"), lookup_group);
            out->elapsed_ms = jnum(oc, "elapsed_ms");
            out->events_truncated = json_is_true(json_object_get(oc, "events_truncated"));
            /* Written only for a trace of several connections (sd_report_outcome_json). */
            json_t *conns = json_object_get(oc, "connections");
            out->connections = json_is_integer(conns) ? (uint8_t)json_integer_value(conns) : 1;
            out->resumed = json_is_true(json_object_get(oc, "resumed"));
        }
        size_t e;
        json_t *ev;
        json_array_foreach(json_object_get(o, "events"), e, ev) {
            sd_event x = {0};
            x.from = strcmp(jget_str(ev, "from"), "target") == 0 ? SD_FROM_TARGET : SD_FROM_PEER;
            x.kind = event_kind_from(jget_str(ev, "kind"));
            x.code = (uint8_t)json_integer_value(json_object_get(ev, "code"));
            x.level = (uint8_t)unnamed(jget_str(ev, "level"), lookup_level);
            x.encrypted = json_is_true(json_object_get(ev, "encrypted"));
            x.mutated = json_is_true(json_object_get(ev, "mutated"));
            /* A HelloRetryRequest is a ServerHello by its code: the name
             * tells them apart (event_name). */
            x.hrr = x.kind == SD_EVENT_HANDSHAKE && strcmp(jget_str(ev, "name"), "HelloRetryRequest") == 0;
            x.step = (int)json_integer_value(json_object_get(ev, "step"));
            x.connection = (uint8_t)json_integer_value(json_object_get(ev, "connection"));
            sd_outcome_add_event(out, &x);
        }
    }
    /* sd_outcome_add_event marks truncation itself; keep what the file said. */
    json_decref(root);
    if (!ok) sd_report_run_free(run);
    return ok;
}

bool sd_report_baseline_from_json(const char *path, const char *text, size_t len, sd_baseline *out, char *err,
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
        if (!sd_baseline_add(out, id, stack, v)) {
            snprintf(err, err_len, "%s: out of memory", path);
            ok = false;
            break;
        }
    }
    json_decref(root);
    return ok;
}
