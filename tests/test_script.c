/* test_script.c — the text script form of traces and scenarios
 * (harness/trace/script.c, docs/script-format.md).
 *
 * - every scenario under scenarios/ parses, is named after its path, and
 *   round-trips: print -> parse -> print is byte-identical and the reparsed
 *   trace equals the original;
 * - malformed scripts fail with "path:line: message" at the right line;
 * - hand-built traces print in the canonical spelling;
 * - garbage never crashes or leaks (run under ASan/UBSan), and whatever does
 *   parse also round-trips. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "trace/trace.h"
#include "wire/bytes.h"
#include "wire/names.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

/* --- helpers -------------------------------------------------------------- */

static const char *source_dir(void) {
    const char *env = getenv("SHAKEDOWN_SOURCE_DIR");
    return env != NULL && env[0] != '\0' ? env : SHAKEDOWN_SOURCE_DIR;
}

typedef struct {
    char **paths;
    size_t n, cap;
} path_list;

static void path_list_add(path_list *l, const char *path) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->paths = realloc(l->paths, l->cap * sizeof(char *));
        assert_non_null(l->paths);
    }
    l->paths[l->n] = strdup(path);
    assert_non_null(l->paths[l->n]);
    l->n++;
}

static void path_list_free(path_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->paths[i]);
    free(l->paths);
    memset(l, 0, sizeof(*l));
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Every *.sd below dir, recursively. */
static void collect_scenarios(const char *dir, path_list *out) {
    DIR *d = opendir(dir);
    if (d == NULL) fail_msg("cannot open scenario directory %s", dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        assert_true(n > 0 && (size_t)n < sizeof(path));
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            collect_scenarios(path, out);
        } else if (S_ISREG(st.st_mode) && ends_with(e->d_name, ".sd")) {
            path_list_add(out, path);
        }
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static path_list all_scenarios(void) {
    path_list l = {0};
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/scenarios", source_dir());
    collect_scenarios(dir, &l);
    qsort(l.paths, l.n, sizeof(char *), cmp_str);
    return l;
}

/* The trace as text, NUL-terminated, caller frees. */
static char *print_trace(const sd_trace *t, size_t *len) {
    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(t, &b);
    assert_false(b.failed);
    char *s = malloc(b.len + 1);
    assert_non_null(s);
    if (b.len) memcpy(s, b.data, b.len);
    s[b.len] = '\0';
    if (len) *len = b.len;
    sd_buf_free(&b);
    return s;
}

/* print -> parse -> equal -> print -> identical. */
static void check_round_trip(const char *what, const sd_trace *t) {
    size_t len1, len2;
    char *text1 = print_trace(t, &len1);
    sd_trace t2;
    char err[512];
    if (!sd_trace_parse("printed", text1, len1, &t2, err, sizeof(err)))
        fail_msg("%s: printed trace does not parse back: %s\n--- printed:\n%s", what, err, text1);
    if (!sd_trace_equal(t, &t2)) fail_msg("%s: reparsed trace differs; printed:\n%s", what, text1);
    char *text2 = print_trace(&t2, &len2);
    if (len1 != len2 || memcmp(text1, text2, len1) != 0)
        fail_msg("%s: print is not stable:\n--- first:\n%s--- second:\n%s", what, text1, text2);
    sd_trace_free(&t2);
    free(text1);
    free(text2);
}

static bool parse_ok(const char *text, sd_scenario *s) {
    char err[512];
    bool ok = sd_scenario_parse("t.sd", text, strlen(text), s, err, sizeof(err));
    if (!ok) print_error("unexpected parse error: %s\n", err);
    return ok;
}

/* --- every scenario file --------------------------------------------------- */

static void test_scenarios_parse(void **state) {
    (void)state;
    path_list l = all_scenarios();
    if (l.n < 14) fail_msg("expected at least 14 scenarios under %s/scenarios, found %zu", source_dir(), l.n);
    for (size_t i = 0; i < l.n; i++) {
        sd_scenario s;
        char err[512];
        if (!sd_scenario_load(l.paths[i], &s, err, sizeof(err))) fail_msg("%s", err);

        /* The id is the path: scenarios/<dir>/<rest>.sd is "<dir>.<rest>", so
         * ids are unique by construction and a report line leads to its file. */
        const char *slash = strrchr(l.paths[i], '/');
        assert_non_null(slash);
        const char *dir_start = slash - 1;
        while (dir_start > l.paths[i] && dir_start[-1] != '/') dir_start--;
        char want[256];
        snprintf(want, sizeof(want), "%.*s.%.*s", (int)(slash - dir_start), dir_start,
                 (int)(strlen(slash + 1) - 3), slash + 1);
        if (strcmp(s.id, want) != 0) fail_msg("%s: id %s should be %s", l.paths[i], s.id, want);

        assert_true(s.trace.n_actions > 0);
        if (strncmp(s.rfc, "RFC ", 4) != 0) fail_msg("%s: rfc: should cite an RFC", l.paths[i]);
        /* Tags carry the role under test, so `list` can filter by it. */
        const char *role = s.role == SD_ROLE_SERVER ? "server" : "client";
        bool has_role = false;
        for (size_t k = 0; k < s.n_tags; k++)
            if (strcmp(s.tags[k], role) == 0) has_role = true;
        if (!has_role) fail_msg("%s: tags should include the role \"%s\"", l.paths[i], role);
        for (size_t k = 0; k < s.trace.n_actions; k++) assert_true(s.trace.actions[k].line > 0);
        sd_scenario_free(&s);
    }
    path_list_free(&l);
}

static void test_scenarios_round_trip(void **state) {
    (void)state;
    path_list l = all_scenarios();
    assert_true(l.n > 0);
    for (size_t i = 0; i < l.n; i++) {
        sd_scenario s;
        char err[512];
        if (!sd_scenario_load(l.paths[i], &s, err, sizeof(err))) fail_msg("%s", err);
        check_round_trip(l.paths[i], &s.trace);
        sd_scenario_free(&s);
    }
    path_list_free(&l);
}

/* --- what the parser produces ---------------------------------------------- */

#define HDR "id: t.x\ntitle: T\nrfc: RFC 8446\nrole: server\nexpect: complete\n" /* 5 lines */
#define HDR12 HDR "version: 1.2\n"                                               /* 6 lines */

static void test_headers(void **state) {
    (void)state;
    sd_scenario s;
    assert_true(parse_ok("# leading comment\n"
                         "id: tls13.a_b-c.9\n"
                         "title:   Spaces around are trimmed   # and this is a comment\n"
                         "rfc: RFC 8446 §4.4.4: \"quoted\" text\n"
                         "role: client\n"
                         "version: 1.2\n"
                         "tags: finished ,client,  tls13\n"
                         "expect: alert decrypt_error\n"
                         "credential: bad-signature\n"
                         "note: why\n"
                         "\n"
                         "expect ClientHello\n",
                         &s));
    assert_string_equal(s.id, "tls13.a_b-c.9");
    assert_string_equal(s.title, "Spaces around are trimmed");
    assert_string_equal(s.rfc, "RFC 8446 §4.4.4: \"quoted\" text");
    assert_int_equal(s.role, SD_ROLE_CLIENT);
    assert_int_equal(s.version, SD_TLS12);
    assert_int_equal(s.n_tags, 3);
    assert_string_equal(s.tags[0], "finished");
    assert_string_equal(s.tags[1], "client");
    assert_string_equal(s.tags[2], "tls13");
    assert_int_equal(s.expect, SD_EXPECT_ALERT);
    assert_int_equal(s.expect_alert, SD_decrypt_error);
    assert_string_equal(s.credential, "bad-signature");
    assert_string_equal(s.note, "why");
    assert_string_equal(s.path, "t.sd");
    assert_int_equal(s.trace.n_actions, 1);
    assert_int_equal(s.trace.actions[0].line, 12);
    sd_scenario_free(&s);

    /* Defaults, CRLF line endings, and the other expectations. */
    assert_true(parse_ok(
        "id: t\r\ntitle: T\r\nrfc: R\r\nrole: server\r\nexpect: closed\r\nsend ClientHello\r\n", &s));
    assert_int_equal(s.version, SD_TLS13);
    assert_string_equal(s.credential, "leaf");
    assert_int_equal(s.expect, SD_EXPECT_CLOSED);
    assert_int_equal(s.role, SD_ROLE_SERVER);
    assert_int_equal(s.n_tags, 0);
    sd_scenario_free(&s);

    assert_true(parse_ok("id: t\ntitle: T\nrfc: R\nrole: server\nexpect: alert 253\nsend ClientHello", &s));
    assert_int_equal(s.expect, SD_EXPECT_ALERT);
    assert_int_equal(s.expect_alert, 253);
    assert_int_equal(s.n_expect_alert_also, 0);
    sd_scenario_free(&s);
}

/* `expect: alert a | b ...`: a set of alerts where the RFCs allow more than
 * one, in the order written (the first is expect_alert), names or numbers,
 * blanks around '|' optional, a comment after it. */
static void test_alert_sets(void **state) {
    (void)state;
    sd_scenario s;
    assert_true(
        parse_ok("id: t\ntitle: T\nrfc: R\nrole: server\n"
                 "expect: alert decrypt_error | decode_error   # RFC 8446 §4.4.4, §6\nsend ClientHello\n",
                 &s));
    assert_int_equal(s.expect, SD_EXPECT_ALERT);
    assert_int_equal(s.expect_alert, SD_decrypt_error);
    assert_int_equal(s.n_expect_alert_also, 1);
    assert_int_equal(s.expect_alert_also[0], SD_decode_error);
    assert_true(sd_scenario_expects_alert(&s, SD_decrypt_error));
    assert_true(sd_scenario_expects_alert(&s, SD_decode_error));
    assert_false(sd_scenario_expects_alert(&s, SD_illegal_parameter));
    sd_scenario_free(&s);

    assert_true(
        parse_ok("id: t\ntitle: T\nrfc: R\nrole: server\n"
                 "expect: alert decode_error|unexpected_message |253|\tillegal_parameter\nsend ClientHello\n",
                 &s));
    assert_int_equal(s.expect_alert, SD_decode_error);
    assert_int_equal(s.n_expect_alert_also, 3);
    assert_int_equal(s.expect_alert_also[0], SD_unexpected_message);
    assert_int_equal(s.expect_alert_also[1], 253);
    assert_int_equal(s.expect_alert_also[2], SD_illegal_parameter);
    assert_true(sd_scenario_expects_alert(&s, 253));
    sd_scenario_free(&s);

    /* Other expectations expect no alert at all. */
    assert_true(parse_ok("id: t\ntitle: T\nrfc: R\nrole: server\nexpect: closed\nsend ClientHello\n", &s));
    assert_false(sd_scenario_expects_alert(&s, 0));
    sd_scenario_free(&s);
}

static void test_actions(void **state) {
    (void)state;
    sd_scenario s;
    assert_true(parse_ok(
        HDR "send Finished flip=first:0x01 flip=last:128 flip=middle:0xff flip=-3:1 flip=17:0\n"
            "send Certificate cert=expired empty wrong-key plaintext split=1 type=Finished length=0x10\n"
            "send 99 body=00FF append= truncate=3 type=200\n"
            "expect 254\n"
            "send-alert warning close_notify plaintext   # trailing comment\n"
            "send-alert 7 200 encrypted\n"
            "send-ccs\n"
            "send-ccs plaintext\n"
            "send-appdata \"ping # not a comment\"\n"
            "send-appdata \"\" plaintext\n"
            "expect-appdata hex=00ff\n"
            "expect-close\n"
            "send-raw alert 0232 encrypted\n"
            "send-raw 99 hex=\n",
        &s));
    const sd_action *a = s.trace.actions;
    assert_int_equal(s.trace.n_actions, 14);

    assert_int_equal(a[0].kind, SD_ACT_SEND);
    assert_int_equal(a[0].msg_type, SD_Finished);
    assert_int_equal(a[0].line, 6);
    assert_int_equal(a[0].n_mutations, 5);
    assert_int_equal(a[0].mutations[0].kind, SD_MUT_FLIP);
    assert_true(a[0].mutations[0].offset == 0 && a[0].mutations[0].value == 1);
    assert_true(a[0].mutations[1].offset == -1 && a[0].mutations[1].value == 128);
    assert_true(a[0].mutations[2].offset == SD_OFFSET_MIDDLE && a[0].mutations[2].value == 255);
    assert_true(a[0].mutations[3].offset == -3 && a[0].mutations[3].value == 1);
    assert_true(a[0].mutations[4].offset == 17 && a[0].mutations[4].value == 0);

    assert_int_equal(a[1].n_mutations, 7);
    assert_int_equal(a[1].mutations[0].kind, SD_MUT_CERT);
    assert_string_equal(a[1].mutations[0].text, "expired");
    assert_int_equal(a[1].mutations[1].kind, SD_MUT_EMPTY);
    assert_int_equal(a[1].mutations[2].kind, SD_MUT_WRONG_KEY);
    assert_int_equal(a[1].mutations[3].kind, SD_MUT_PLAINTEXT);
    assert_int_equal(a[1].mutations[4].kind, SD_MUT_SPLIT);
    assert_int_equal(a[1].mutations[4].value, 1);
    assert_int_equal(a[1].mutations[5].kind, SD_MUT_TYPE);
    assert_int_equal(a[1].mutations[5].value, SD_Finished);
    assert_int_equal(a[1].mutations[6].kind, SD_MUT_LENGTH);
    assert_int_equal(a[1].mutations[6].value, 16);

    assert_int_equal(a[2].msg_type, 99);
    assert_int_equal(a[2].mutations[0].kind, SD_MUT_BODY);
    assert_int_equal(a[2].mutations[0].bytes_len, 2);
    assert_memory_equal(a[2].mutations[0].bytes, "\x00\xff", 2);
    assert_int_equal(a[2].mutations[1].kind, SD_MUT_APPEND);
    assert_int_equal(a[2].mutations[1].bytes_len, 0);
    assert_int_equal(a[2].mutations[2].value, 3);
    assert_int_equal(a[2].mutations[3].value, 200);

    assert_int_equal(a[3].kind, SD_ACT_EXPECT);
    assert_int_equal(a[3].msg_type, 254);

    assert_int_equal(a[4].kind, SD_ACT_SEND_ALERT);
    assert_int_equal(a[4].alert_level, SD_ALERT_LEVEL_WARNING);
    assert_int_equal(a[4].alert, SD_close_notify);
    assert_true(a[4].force_plaintext && !a[4].encrypted);
    assert_int_equal(a[5].alert_level, 7);
    assert_int_equal(a[5].alert, 200);
    assert_true(a[5].encrypted && !a[5].force_plaintext);

    assert_int_equal(a[6].kind, SD_ACT_SEND_CCS);
    assert_false(a[6].force_plaintext);
    assert_true(a[7].force_plaintext);

    assert_int_equal(a[8].kind, SD_ACT_SEND_APPDATA);
    assert_int_equal(a[8].bytes_len, strlen("ping # not a comment"));
    assert_memory_equal(a[8].bytes, "ping # not a comment", a[8].bytes_len);
    assert_int_equal(a[9].bytes_len, 0);
    assert_true(a[9].force_plaintext);

    assert_int_equal(a[10].kind, SD_ACT_EXPECT_APPDATA);
    assert_int_equal(a[10].bytes_len, 2);
    assert_int_equal(a[11].kind, SD_ACT_EXPECT_CLOSE);

    assert_int_equal(a[12].kind, SD_ACT_SEND_RAW);
    assert_int_equal(a[12].content_type, SD_alert);
    assert_int_equal(a[12].bytes_len, 2);
    assert_true(a[12].encrypted);
    assert_int_equal(a[13].content_type, 99);
    assert_int_equal(a[13].bytes_len, 0);

    check_round_trip("test_actions", &s.trace);
    sd_scenario_free(&s);
}

/* --- the printer's canonical spelling --------------------------------------- */

static uint8_t *dup_bytes(const char *s, size_t n) {
    uint8_t *p = malloc(n);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static void test_print_canonical(void **state) {
    (void)state;
    sd_trace t;
    sd_trace_init(&t);
    sd_action *a = sd_trace_add(&t, SD_ACT_SEND);
    a->msg_type = SD_Finished;
    a->n_mutations = 4;
    a->mutations[0] = (sd_mutation){.kind = SD_MUT_FLIP, .offset = -1, .value = 0x80};
    a->mutations[1] = (sd_mutation){.kind = SD_MUT_FLIP, .offset = SD_OFFSET_MIDDLE, .value = 1};
    a->mutations[2] = (sd_mutation){.kind = SD_MUT_APPEND, .bytes = dup_bytes("\xAB\x01", 2), .bytes_len = 2};
    a->mutations[3] = (sd_mutation){.kind = SD_MUT_CERT, .text = "wrong-name"};
    a = sd_trace_add(&t, SD_ACT_SEND);
    a->msg_type = 77; /* no name: printed as a number */
    a->n_mutations = 1;
    a->mutations[0] = (sd_mutation){.kind = SD_MUT_TYPE, .value = SD_ClientHello};
    a = sd_trace_add(&t, SD_ACT_EXPECT);
    a->msg_type = SD_ServerHello;
    a = sd_trace_add(&t, SD_ACT_SEND_APPDATA);
    a->bytes = dup_bytes("hello world", 11);
    a->bytes_len = 11;
    a = sd_trace_add(&t, SD_ACT_SEND_APPDATA); /* a quote: must not be written as text */
    a->bytes = dup_bytes("a\"b", 3);
    a->bytes_len = 3;
    a = sd_trace_add(&t, SD_ACT_EXPECT_APPDATA); /* a backslash neither */
    a->bytes = dup_bytes("a\\", 2);
    a->bytes_len = 2;
    a = sd_trace_add(&t, SD_ACT_EXPECT_APPDATA); /* nor non-ASCII */
    a->bytes = dup_bytes("\xc3\xa9", 2);
    a->bytes_len = 2;
    a = sd_trace_add(&t, SD_ACT_SEND_APPDATA);
    a = sd_trace_add(&t, SD_ACT_SEND_ALERT);
    a->alert_level = SD_ALERT_LEVEL_FATAL;
    a->alert = 253;
    a->force_plaintext = true;
    a = sd_trace_add(&t, SD_ACT_SEND_CCS);
    a->encrypted = true;
    a = sd_trace_add(&t, SD_ACT_SEND_RAW);
    a->content_type = SD_handshake;
    a->bytes = dup_bytes("\x14\x00", 2);
    a->bytes_len = 2;
    a = sd_trace_add(&t, SD_ACT_SEND_RAW);
    a->content_type = 42;
    a = sd_trace_add(&t, SD_ACT_EXPECT_CLOSE);

    char *text = print_trace(&t, NULL);
    assert_string_equal(text, "send Finished flip=last:0x80 flip=middle:0x01 append=ab01 cert=wrong-name\n"
                              "send 77 type=ClientHello\n"
                              "expect ServerHello\n"
                              "send-appdata \"hello world\"\n"
                              "send-appdata hex=612262\n"
                              "expect-appdata hex=615c\n"
                              "expect-appdata hex=c3a9\n"
                              "send-appdata \"\"\n"
                              "send-alert fatal 253 plaintext\n"
                              "send-ccs encrypted\n"
                              "send-raw handshake 1400\n"
                              "send-raw 42 hex=\n"
                              "expect-close\n");
    free(text);
    check_round_trip("test_print_canonical", &t);
    sd_trace_free(&t);
}

static void test_trace_add_and_equal(void **state) {
    (void)state;
    sd_trace a, b;
    sd_trace_init(&a);
    sd_trace_init(&b);
    for (int i = 0; i < 1000; i++) {
        sd_action *x = sd_trace_add(&a, SD_ACT_EXPECT);
        sd_action *y = sd_trace_add(&b, SD_ACT_EXPECT);
        assert_non_null(x);
        assert_non_null(y);
        assert_int_equal(x->n_mutations, 0);
        assert_null(x->bytes);
        x->msg_type = y->msg_type = (uint8_t)i;
        x->line = i; /* lines do not take part in equality */
    }
    assert_int_equal(a.n_actions, 1000);
    assert_true(sd_trace_equal(&a, &b));
    b.actions[500].msg_type ^= 1;
    assert_false(sd_trace_equal(&a, &b));
    sd_trace_free(&a);
    sd_trace_free(&b);
    assert_int_equal(a.n_actions, 0);
    assert_null(a.actions);
    sd_trace_free(&a); /* twice is harmless */

    /* A bare trace: no headers needed, and no actions is fine. */
    sd_trace t;
    char err[512]; /* room for the whole list of headers */
    assert_true(sd_trace_parse("x", "", 0, &t, err, sizeof(err)));
    assert_int_equal(t.n_actions, 0);
    sd_trace_free(&t);
    const char *bare = "# a comment\nsend ClientHello\n";
    assert_true(sd_trace_parse("x", bare, strlen(bare), &t, err, sizeof(err)));
    assert_int_equal(t.n_actions, 1);
    sd_trace_free(&t);
    /* Headers are still checked in a bare trace. */
    const char *bad = "colour: blue\n";
    assert_false(sd_trace_parse("x", bad, strlen(bad), &t, err, sizeof(err)));
    assert_string_equal(
        err, "x:1: unknown header \"colour:\" (expected one of id, title, rfc, role, "
             "version, tags, expect, credential, note, cipher-suite, client-auth, session-tickets, groups, "
             "staple, versions, early-data, renegotiation, alpn, client-credential, record-size-limit, "
             "max-fragment-length, encrypt-then-mac, certificate-compression)");
}

/* --- errors ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *text;
    size_t len; /* 0: strlen(text) */
    int line;
    const char *message; /* must appear in the error after "path:line: " */
} error_case;

static const error_case error_cases[] = {
    {"unknown action", HDR "send ClientHello\nsned Finished\n", 0, 7, "unknown action \"sned\""},
    {"unknown message name", HDR "send ClientHello\nexpect ServerHello\nsend Finishd\n", 0, 8,
     "unknown handshake message \"Finishd\" (expected one of HelloRequest, ClientHello, ServerHello"},
    {"unknown message in expect", HDR "expect Bogus\n", 0, 6, "unknown handshake message \"Bogus\""},
    {"unknown alert", HDR "send-alert fatal decrypt_eror\n", 0, 6,
     "unknown alert \"decrypt_eror\" (expected one of close_notify, unexpected_message"},
    {"unknown alert level", HDR "send-alert severe decrypt_error\n", 0, 6, "unknown alert level \"severe\""},
    {"alert number too big", HDR "send-alert fatal 256\n", 0, 6, "unknown alert \"256\""},
    {"unknown alert in expect header",
     "id: t\ntitle: T\nrfc: R\nrole: server\nexpect: alert nope\nsend ClientHello\n", 0, 5,
     "expect: unknown alert \"nope\""},
    {"bad hex digit", HDR "send Finished body=0g\n", 0, 6, "bad hex in body= \"0g\": 'g' is not a hex digit"},
    {"odd hex", HDR "\n\nsend Finished append=abc\n", 0, 8,
     "bad hex in append= \"abc\": odd number of hex digits"},
    {"hex with 0x", HDR "expect-appdata hex=0x01\n", 0, 6, "bad hex in expect-appdata"},
    {"bad raw hex", HDR "send-raw handshake zz\n", 0, 6, "bad hex in send-raw \"zz\""},
    {"missing id", "title: T\nrfc: R\nrole: server\nexpect: complete\n\n# actions\nsend ClientHello\n", 0, 7,
     "missing header \"id:\""},
    {"missing expect", "id: t\ntitle: T\nrfc: R\nrole: server\nsend ClientHello\n", 0, 5,
     "missing header \"expect:\""},
    {"missing title", "id: t\nrfc: R\nrole: server\nexpect: complete\nsend ClientHello\n", 0, 5,
     "missing header \"title:\""},
    {"unknown header key", "id: t\ncolour: blue\n", 0, 2, "unknown header \"colour:\""},
    {"bad mutation: flip without mask", HDR "send Finished flip=3\n", 0, 6,
     "bad flip=3: expected flip=<offset>:<mask>"},
    {"bad mutation: flip offset", HDR "send Finished flip=here:1\n", 0, 6, "bad flip= offset \"here\""},
    {"bad mutation: flip mask", HDR "send Finished flip=0:0x100\n", 0, 6, "bad flip= mask \"0x100\""},
    {"bad mutation: flip two colons", HDR "send Finished flip=0:1:2\n", 0, 6, "bad flip=0:1:2"},
    {"bad mutation: negative truncate", HDR "send Finished truncate=-1\n", 0, 6, "bad truncate=-1"},
    {"bad mutation: split 0", HDR "send Finished split=0\n", 0, 6, "bad split=0"},
    {"bad mutation: length overflow", HDR "send Finished length=99999999999999999999999\n", 0, 6,
     "bad length="},
    {"bad mutation: type", HDR "send Finished type=Nope\n", 0, 6, "bad type=Nope"},
    {"bad mutation: cert", HDR "send Certificate cert=Bad/Name\n", 0, 6, "bad cert=Bad/Name"},
    {"unknown mutation", HDR "send Finished frobnicate\n", 0, 6, "unknown mutation \"frobnicate\""},
    {"mutation needs value", HDR "send Finished flip\n", 0, 6, "mutation flip needs a value"},
    {"mutation takes no value", HDR "send Certificate empty=1\n", 0, 6, "mutation empty takes no value"},
    {"too many mutations", HDR "send Finished empty empty empty empty empty empty empty empty empty\n", 0, 6,
     "too many mutations (max 8"},
    {"duplicate header", "id: a\ntitle: T\nid: b\n", 0, 3,
     "duplicate header \"id:\" (first given on line 1)"},
    {"header after actions", HDR "send ClientHello\ntitle: again\n", 0, 7,
     "header \"title:\" after the first action (line 6)"},
    {"empty file", "", 0, 1, "empty scenario"},
    {"only comments", "# nothing\n\n   # here\n", 0, 1, "empty scenario"},
    {"no actions", HDR "\n# no actions\n", 0, 7, "no actions"},
    {"bad id", "id: Bad_Id\n", 0, 1, "id: \"Bad_Id\" is not a valid id"},
    {"empty value", "id: t\ntitle:   # only a comment\n", 0, 2, "title: empty value"},
    {"bad role", "id: t\nrole: both\n", 0, 2, "role: expected server or client"},
    {"bad version", "id: t\nversion: 1.4\n", 0, 2, "version: expected 1.3 or 1.2"},
    {"bad expectation", "id: t\nexpect: success\n", 0, 2, "expect: unknown expectation \"success\""},
    {"alert set: empty alternative", "id: t\nexpect: alert decode_error |\n", 0, 2,
     "expect: empty alert in a set"},
    {"alert set: leading bar", "id: t\nexpect: alert | decode_error\n", 0, 2, "expect: empty alert in a set"},
    {"alert set: double bar", "id: t\nexpect: alert decode_error || decrypt_error\n", 0, 2,
     "expect: empty alert in a set"},
    {"alert set: unknown alert", "id: t\nexpect: alert decode_error | decrypt_eror\n", 0, 2,
     "expect: unknown alert \"decrypt_eror\""},
    {"alert set: twice", "id: t\nexpect: alert decode_error | 50\n", 0, 2,
     "expect: alert \"50\" is in the set twice"},
    {"alert set: too many", "id: t\nexpect: alert 1 | 2 | 3 | 4 | 5\n", 0, 2,
     "expect: too many alerts in the set (max 4)"},
    {"alert set: no bar", "id: t\nexpect: alert decode_error decrypt_error\n", 0, 2,
     "expect: unexpected \"decrypt_error\" after the alert (alerts of a set are separated by '|')"},
    {"expect complete with extra", "id: t\nexpect: complete now\n", 0, 2, "expect: unexpected \"now\""},
    {"bad tag", "id: t\ntags: a,,b\n", 0, 2, "tags: empty tag"},
    {"too many tags", "id: t\ntags: a,b,c,d,e,f,g,h,i,j,k,l,m\n", 0, 2, "tags: too many tags (max 12)"},
    {"id too long",
     "id: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     0, 1, "id: value too long (130 bytes, max 127)"},
    {"expect with extra", HDR "expect Finished flip=0:1\n", 0, 6, "expect: unknown argument"},
    {"send without message", HDR "send\n", 0, 6, "send: missing argument"},
    {"send-alert missing description", HDR "send-alert fatal\n", 0, 6, "send-alert: missing argument"},
    {"expect-close with argument", HDR "expect-close now\n", 0, 6, "expect-close: too many arguments"},
    {"appdata not quoted", HDR "send-appdata ping\n", 0, 6, "send-appdata: expected \"text\" or hex=<hex>"},
    {"unterminated quote", HDR "send-appdata \"ping\n", 0, 6, "unterminated quoted text"},
    {"text after quote", HDR "send-appdata \"ping\"pong\n", 0, 6, "text right after a closing quote"},
    {"bad flag", HDR "send-ccs loudly\n", 0, 6,
     "send-ccs: unexpected \"loudly\" (expected plaintext or encrypted)"},
    {"contradicting flags", HDR "send-ccs plaintext encrypted\n", 0, 6, "contradict"},
    {"unknown content type", HDR "send-raw bogus 00\n", 0, 6,
     "send-raw: unknown content type \"bogus\" (expected one of change_cipher_spec, alert, handshake, "
     "application_data"},
    {"NUL byte", HDR "send ClientHello\nsend\0 Finished\n",
     sizeof(HDR "send ClientHello\nsend\0 Finished\n") - 1, 7, "NUL byte in line"},
    {"invalid UTF-8", HDR "# \xff\xfe\n", 0, 6, "invalid UTF-8"},
    {"overlong UTF-8", "id: t\ntitle: \xc0\xaf\n", 0, 2, "invalid UTF-8"},
    {"surrogate", "id: t\ntitle: \xed\xa0\x80\n", 0, 2, "invalid UTF-8"},
    {"control byte shown escaped",
     HDR "sen\x01"
         "d ClientHello\n",
     0, 6, "unknown action \"sen\\x01d\""},
    {"unknown extension", HDR "send ClientHello dup-ext=key_shares\n", 0, 6,
     "bad dup-ext=key_shares: unknown extension \"key_shares\""},
    {"extension number too big", HDR "send ClientHello drop-ext=65536\n", 0, 6,
     "unknown extension \"65536\""},
    {"add-ext bad hex", HDR "send ClientHello add-ext=key_share:0g\n", 0, 6, "bad hex in add-ext= \"0g\""},
    {"add-ext without type", HDR "send ClientHello add-ext=:00\n", 0, 6, "bad add-ext=:00"},
    {"record-version too big", HDR "send ClientHello record-version=0x10000\n", 0, 6,
     "bad record-version=0x10000"},
    {"bad sign-with", HDR "send CertificateVerify sign-with=../key\n", 0, 6, "bad sign-with=../key"},
    {"bad-point takes no value", HDR "send ClientHello bad-point=1\n", 0, 6,
     "mutation bad-point takes no value"},
    {"renegotiate with a message", HDR "renegotiate ClientHello\n", 0, 6, "unknown mutation \"ClientHello\""},
    {"session-id bad hex", HDR "send ClientHello session-id=abc\n", 0, 6,
     "bad hex in session-id= \"abc\": odd number of hex digits"},
    {"flip-ext without offset", HDR "send ClientHello flip-ext=cookie\n", 0, 6,
     "bad flip-ext=cookie: expected flip-ext=<extension>:<offset>:<mask>, e.g. flip-ext=cookie:last:0x01"},
    {"flip-ext without mask", HDR "send ClientHello flip-ext=cookie:last\n", 0, 6,
     "bad flip-ext=last: expected flip-ext=<extension>:<offset>:<mask>"},
    {"flip-ext unknown extension", HDR "send ClientHello flip-ext=cookies:0:1\n", 0, 6,
     "unknown extension \"cookies\""},
    {"flip-ext bad offset", HDR "send ClientHello flip-ext=cookie:end:1\n", 0, 6,
     "bad flip-ext= offset \"end\""},
    {"flip-ext mask too big", HDR "send ClientHello flip-ext=44:0:0x100\n", 0, 6,
     "bad flip-ext= mask \"0x100\""},
    {"premaster-version too big", HDR "send ClientKeyExchange premaster-version=0x10000\n", 0, 6,
     "bad premaster-version=0x10000"},
    {"bad client-auth", "id: t\nclient-auth: maybe\n", 0, 2, "client-auth: expected request or require"},
    {"bad session-tickets", "id: t\nsession-tickets: yes\n", 0, 2, "session-tickets: expected issue"},
    {"bad renegotiation", "id: t\nrenegotiation: yes\n", 0, 2, "renegotiation: expected allowed or refused"},
    {"unknown group", "id: t\ngroups: x25519, p256\n", 0, 2, "groups: unknown group \"p256\""},
    {"group listed twice", "id: t\ngroups: secp256r1,23\n", 0, 2, "groups: group \"23\" is listed twice"},
    {"empty group", "id: t\ngroups: x25519,,secp256r1\n", 0, 2, "groups: empty group"},
    {"group number too big", "id: t\ngroups: 0x10000\n", 0, 2, "groups: unknown group \"0x10000\""},
    {"too many groups", "id: t\ngroups: 1,2,3,4,5,6,7,8,9\n", 0, 2, "groups: too many groups (max 8)"},
    {"unknown scheme", "id: t\nsignature-algorithms: ed25519, rsa_pss\n", 0, 2,
     "signature-algorithms: unknown scheme \"rsa_pss\""},
    {"scheme listed twice", "id: t\nsignature-algorithms: ed25519,0x0807\n", 0, 2,
     "signature-algorithms: scheme \"0x0807\" is listed twice"},
    {"staple with a path", "id: t\nstaple: pki/ocsp-leaf.der\n", 0, 2,
     "staple: \"pki/ocsp-leaf.der\" is not the name of a fixture file without .der"},
    {"staple too long", "id: t\nstaple: 0123456789012345678901234567890123456789012345678901234567890123\n",
     0, 2, "staple: value too long (64 bytes, max 63)"},
    {"staple by a server",
     "id: t.t\ntitle: T\nrfc: R\nrole: server\nexpect: complete\nstaple: ocsp-leaf\n"
     "send ClientHello\n",
     0, 6, "staple: the driver staples an OCSP response only as the server (role: client)"},
    {"client-credential with a path", "id: t\nclient-credential: ../client\n", 0, 2,
     "client-credential: \"../client\" is not a credential name"},
    {"client-credential of a server",
     "id: t.t\ntitle: T\nrfc: R\nrole: server\nexpect: complete\nclient-auth: require\n"
     "client-credential: client-p384\nsend ClientHello\n",
     0, 7, "client-credential: names the certificate of a client under test (role: client)"},
    {"client-credential without client-auth",
     "id: t.t\ntitle: T\nrfc: R\nrole: client\nexpect: complete\nclient-credential: client-p384\n"
     "expect ClientHello\n",
     0, 6, "client-credential: names the certificate of a client under test"},
    {"versions of TLS 1.1", "id: t\nversions: 1.1-1.3\n", 0, 2,
     "versions: expected <min>-<max> of 1.2 and 1.3 (1.2-1.3) or one of them, got \"1.1-1.3\""},
    {"versions without a max", "id: t\nversions: 1.2-\n", 0, 2, "versions: expected <min>-<max>"},
    {"versions with blanks", "id: t\nversions: 1.2 - 1.3\n", 0, 2, "versions: expected <min>-<max>"},
    {"versions backwards", "id: t\nversions: 1.3-1.2\n", 0, 2,
     "versions: \"1.3-1.2\" runs backwards (the lower version comes first: 1.2-1.3)"},
    {"random= empty", HDR "send ServerHello random=\n", 0, 6,
     "bad random=: 0 bytes (1-32: a hello's random is 32 bytes)"},
    {"random= of 33 bytes",
     HDR "send ServerHello random=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n", 0, 6,
     "bad random=: 33 bytes (1-32: a hello's random is 32 bytes)"},
    {"expect random= of a Finished", HDR "expect Finished random=00\n", 0, 6,
     "expect: random= checks the random of a ClientHello or ServerHello"},
    {"expect random= of a HelloRetryRequest", HDR "expect HelloRetryRequest random=00\n", 0, 6,
     "expect: random= checks the random of a ClientHello or ServerHello"},
    {"expect random= empty", HDR "expect ServerHello random=\n", 0, 6, "bad random=: 0 bytes (1-32"},
    {"expect random= too long",
     HDR "expect ClientHello random=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n", 0,
     6, "bad random=: 33 bytes (1-32"},
    {"expect another word", HDR "expect ServerHello flip=0:1\n", 0, 6,
     "expect: unknown argument (usage: expect <HandshakeType> [random=<hex>] [psk=<n>|none...] [if-full] "
     "[if-announced])"},
    {"expect two randoms", HDR "expect ServerHello random=00 random=01\n", 0, 6,
     "expect: random= given twice"},
    {"expect psk= of a Finished", HDR "expect Finished psk=0\n", 0, 6,
     "expect: psk= checks a ServerHello's pre_shared_key"},
    {"expect psk= empty", HDR "expect ServerHello psk=\n", 0, 6,
     "bad psk=: expected identities 0-14 or none, separated by |, e.g. psk=1|none"},
    {"expect psk= past 14", HDR "expect ServerHello psk=15\n", 0, 6, "bad psk=15: expected identities 0-14"},
    {"expect psk= with an empty answer", HDR "expect ServerHello psk=1||none\n", 0, 6, "bad psk=1||none"},
    {"expect psk= twice over", HDR "expect ServerHello psk=none|none\n", 0, 6,
     "bad psk=none|none: an answer given twice"},
    {"expect two psk=", HDR "expect ServerHello psk=0 psk=1\n", 0, 6, "expect: psk= given twice"},
    {"expect if-full twice", HDR "expect Finished if-full if-full\n", 0, 6, "expect: if-full given twice"},
    {"expect if-announced twice", HDR12 "expect NewSessionTicket if-announced if-announced\n", 0, 7,
     "expect: if-announced given twice"},
    {"expect if-announced of a Finished", HDR12 "expect Finished if-announced\n", 0, 7,
     "expect: if-announced is for a NewSessionTicket (RFC 5077 §3.3)"},
    {"expect if-announced in TLS 1.3", HDR "version: 1.3\nexpect NewSessionTicket if-announced\n", 0, 7,
     "expect: if-announced is for TLS 1.2, where the ServerHello's session_ticket announces"},
    {"expect if-announced in TLS 1.3 only", HDR "versions: 1.3-1.3\nexpect NewSessionTicket if-announced\n",
     0, 7, "expect: if-announced is for TLS 1.2"},
    {"expect if-announced quoted", HDR12 "expect NewSessionTicket \"if-announced\"\n", 0, 7,
     "expect: unknown argument"},
    {"expect four options, one twice", HDR "expect ServerHello random=00 psk=0 if-full if-full\n", 0, 6,
     "expect: if-full given twice"},
    {"expect five options", HDR "expect ServerHello random=00 psk=0 if-full if-announced if-full\n", 0, 6,
     "expect: too many arguments"},
};

/* What version 2 of the trace added: the renegotiate action, the
 * extension, point, record-version and sign-with mutations, and the
 * client-auth header; printed canonically and read back. */
static void test_new_mutations(void **state) {
    (void)state;
    static const char text[] =
        "id: t.t\ntitle: T\nrfc: R\nrole: server\nversion: 1.2\nexpect: complete\nclient-auth: require\n"
        "session-tickets: issue\nrenegotiation: allowed\n"
        "send ClientHello dup-ext=10 add-ext=key_share:00ff drop-ext=signature_algorithms add-ext=65000 "
        "bad-point "
        "record-version=769\n"
        "send CertificateVerify sign-with=client-rsa\n"
        "renegotiate drop-ext=13 add-ext=signature_algorithms_cert:00020403\n"
        "send Finished wrong-transcript\n";
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(s.client_auth, SD_CLIENT_AUTH_REQUIRE);
    assert_true(s.session_tickets);
    assert_true(s.renegotiation);
    assert_int_equal(s.n_groups, 0); /* no groups: the stack's defaults */
    const sd_action *a = s.trace.actions;
    assert_int_equal(s.trace.n_actions, 4);
    assert_int_equal(a[3].mutations[0].kind, SD_MUT_WRONG_TRANSCRIPT);
    assert_int_equal(a[0].n_mutations, 6);
    assert_int_equal(a[0].mutations[0].kind, SD_MUT_DUP_EXT);
    assert_int_equal(a[0].mutations[0].value, SD_supported_groups);
    assert_int_equal(a[0].mutations[1].kind, SD_MUT_ADD_EXT);
    assert_int_equal(a[0].mutations[1].value, SD_key_share);
    assert_int_equal(a[0].mutations[1].bytes_len, 2);
    assert_int_equal(a[0].mutations[2].kind, SD_MUT_DROP_EXT);
    assert_int_equal(a[0].mutations[2].value, SD_signature_algorithms);
    assert_int_equal(a[0].mutations[3].value, 65000);
    assert_int_equal(a[0].mutations[3].bytes_len, 0);
    assert_int_equal(a[0].mutations[4].kind, SD_MUT_BAD_POINT);
    assert_int_equal(a[0].mutations[5].kind, SD_MUT_RECORD_VERSION);
    assert_int_equal(a[0].mutations[5].value, 0x0301);
    assert_int_equal(a[1].mutations[0].kind, SD_MUT_SIGN_WITH);
    assert_string_equal(a[1].mutations[0].text, "client-rsa");
    assert_int_equal(a[2].kind, SD_ACT_RENEGOTIATE);
    assert_int_equal(a[2].msg_type, SD_ClientHello);
    assert_int_equal(a[2].n_mutations, 2);

    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(&s.trace, &b);
    static const char canonical[] =
        "send ClientHello dup-ext=supported_groups add-ext=key_share:00ff drop-ext=signature_algorithms "
        "add-ext=65000 bad-point record-version=0x0301\n"
        "send CertificateVerify sign-with=client-rsa\n"
        "renegotiate drop-ext=signature_algorithms add-ext=signature_algorithms_cert:00020403\n"
        "send Finished wrong-transcript\n";
    assert_int_equal(b.len, strlen(canonical));
    assert_memory_equal(b.data, canonical, b.len);
    sd_trace t;
    assert_true(sd_trace_parse("printed", (const char *)b.data, b.len, &t, err, sizeof err));
    assert_true(sd_trace_equal(&t, &s.trace));
    /* Each field counts for equality. */
    t.actions[0].mutations[1].bytes[1] ^= 1;
    assert_false(sd_trace_equal(&t, &s.trace));
    t.actions[0].mutations[1].bytes[1] ^= 1;
    t.actions[2].kind = SD_ACT_SEND;
    assert_false(sd_trace_equal(&t, &s.trace));
    sd_trace_free(&t);
    sd_buf_free(&b);
    sd_scenario_free(&s);
}

/* session-id=, flip-ext= and premaster-version=: parsed into their fields,
 * printed canonically, read back equal; every field counts for equality. */
static void test_session_id_flip_ext_premaster_version(void **state) {
    (void)state;
    static const char text[] =
        "send ClientHello session-id=00112233 flip-ext=cookie:last:1 flip-ext=65000:-3:0xF0\n"
        "send ServerHello session-id= flip-ext=key_share:middle:0x80 flip-ext=10:7:0x02\n"
        "send ClientKeyExchange premaster-version=770\n";
    sd_trace t;
    char err[512];
    if (!sd_trace_parse("t", text, strlen(text), &t, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(t.n_actions, 3);
    const sd_mutation *m = t.actions[0].mutations;
    assert_int_equal(m[0].kind, SD_MUT_SESSION_ID);
    assert_int_equal(m[0].bytes_len, 4);
    assert_memory_equal(m[0].bytes, "\x00\x11\x22\x33", 4);
    assert_int_equal(m[1].kind, SD_MUT_FLIP_EXT);
    assert_int_equal(m[1].value, SD_cookie);
    assert_int_equal(m[1].offset, -1);
    assert_int_equal(m[1].mask, 1);
    assert_int_equal(m[2].value, 65000);
    assert_int_equal(m[2].offset, -3);
    assert_int_equal(m[2].mask, 0xf0);
    m = t.actions[1].mutations;
    assert_int_equal(m[0].kind, SD_MUT_SESSION_ID);
    assert_int_equal(m[0].bytes_len, 0); /* an empty session id */
    assert_int_equal(m[1].offset, SD_OFFSET_MIDDLE);
    assert_int_equal(m[2].value, SD_supported_groups);
    assert_int_equal(t.actions[2].mutations[0].kind, SD_MUT_PREMASTER_VERSION);
    assert_int_equal(t.actions[2].mutations[0].value, 0x0302);

    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(&t, &b);
    static const char canonical[] =
        "send ClientHello session-id=00112233 flip-ext=cookie:last:0x01 flip-ext=65000:-3:0xf0\n"
        "send ServerHello session-id= flip-ext=key_share:middle:0x80 flip-ext=supported_groups:7:0x02\n"
        "send ClientKeyExchange premaster-version=0x0302\n";
    assert_int_equal(b.len, strlen(canonical));
    assert_memory_equal(b.data, canonical, b.len);
    sd_trace back;
    if (!sd_trace_parse("printed", (const char *)b.data, b.len, &back, err, sizeof err)) fail_msg("%s", err);
    assert_true(sd_trace_equal(&back, &t));
    back.actions[0].mutations[1].mask ^= 0x80;
    assert_false(sd_trace_equal(&back, &t));
    back.actions[0].mutations[1].mask ^= 0x80;
    back.actions[0].mutations[1].offset = -2;
    assert_false(sd_trace_equal(&back, &t));
    back.actions[0].mutations[1].offset = -1;
    back.actions[0].mutations[1].value = SD_key_share;
    assert_false(sd_trace_equal(&back, &t));
    back.actions[0].mutations[1].value = SD_cookie;
    back.actions[0].mutations[0].bytes[3] ^= 1;
    assert_false(sd_trace_equal(&back, &t));
    back.actions[0].mutations[0].bytes[3] ^= 1;
    assert_true(sd_trace_equal(&back, &t));
    sd_trace_free(&back);
    sd_trace_free(&t);
    sd_buf_free(&b);

    /* flip= keeps its mask in `value`: a leftover in `mask` means nothing,
     * while its `value` does. */
    static const char flip[] = "send Finished flip=0:0x01\n";
    assert_true(sd_trace_parse("a", flip, strlen(flip), &t, err, sizeof err));
    assert_true(sd_trace_parse("b", flip, strlen(flip), &back, err, sizeof err));
    back.actions[0].mutations[0].mask = 7;
    assert_true(sd_trace_equal(&back, &t));
    back.actions[0].mutations[0].value = 2;
    assert_false(sd_trace_equal(&back, &t));
    sd_trace_free(&back);
    sd_trace_free(&t);

    /* A session id is a vector with a one-byte length: 255 bytes at most
     * (33, over the RFC's 32, is what the mutation is for). */
    char line[700];
    for (size_t n = 254; n <= 256; n++) {
        int w = snprintf(line, sizeof line, "send ClientHello session-id=");
        for (size_t i = 0; i < n; i++) w += snprintf(line + w, sizeof line - (size_t)w, "%02zx", i & 0xff);
        snprintf(line + w, sizeof line - (size_t)w, "\n");
        bool ok = sd_trace_parse("t", line, strlen(line), &t, err, sizeof err);
        if (n <= 255) {
            if (!ok) fail_msg("%zu bytes: %s", n, err);
            assert_int_equal(t.actions[0].mutations[0].bytes_len, n);
            sd_trace_free(&t);
        } else {
            assert_false(ok);
            assert_non_null(
                strstr(err, "t:1: bad session-id=: 256 bytes (at most 255: its length prefix is one byte)"));
        }
    }
}

/* `versions:` gives the stack under test a range, or one version; without
 * it min_version and max_version stay 0 (`version:` alone). */
static void test_versions_header(void **state) {
    (void)state;
    static const struct {
        const char *value;
        uint16_t min, max;
    } cases[] = {{"1.2-1.3", SD_TLS12, SD_TLS13},
                 {"1.2", SD_TLS12, SD_TLS12},
                 {"1.3", SD_TLS13, SD_TLS13},
                 {"1.3-1.3 # a comment", SD_TLS13, SD_TLS13}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "id: t.t\ntitle: T\nrfc: R\nrole: client\nversion: 1.2\nexpect: complete\nversions: %s\n"
                 "expect ClientHello\n",
                 cases[i].value);
        sd_scenario s;
        char err[512];
        if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
        assert_int_equal(s.version, SD_TLS12); /* the driver's stays its own */
        assert_int_equal(s.min_version, cases[i].min);
        assert_int_equal(s.max_version, cases[i].max);
        sd_scenario_free(&s);
    }
    static const char plain[] =
        "id: t.t\ntitle: T\nrfc: R\nrole: client\nexpect: complete\nexpect ClientHello\n";
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", plain, strlen(plain), &s, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(s.min_version, 0);
    assert_int_equal(s.max_version, 0);
    sd_scenario_free(&s);
}

/* expect's psk= (a set of answers to a PSK offer) and if-full: any order,
 * printed canonically (identities up, none last, random= first) and read
 * back equal, each counting for equality. */
static void test_expect_psk(void **state) {
    (void)state;
    static const char text[] = "expect ServerHello if-full psk=none|3|0 random=ab\n"
                               "expect Certificate if-full\n"
                               "expect ServerHello psk=14\n";
    sd_trace t;
    char err[512];
    if (!sd_trace_parse("t", text, strlen(text), &t, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(t.n_actions, 3);
    assert_int_equal(t.actions[0].expect_psk, SD_EXPECT_PSK_NONE | 1u << 3 | 1u);
    assert_true(t.actions[0].if_full);
    assert_int_equal(t.actions[0].bytes_len, 1);
    assert_int_equal(t.actions[1].expect_psk, 0);
    assert_true(t.actions[1].if_full);
    assert_int_equal(t.actions[2].expect_psk, 1u << 14);
    assert_false(t.actions[2].if_full);
    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(&t, &b);
    static const char canonical[] = "expect ServerHello random=ab psk=0|3|none if-full\n"
                                    "expect Certificate if-full\n"
                                    "expect ServerHello psk=14\n";
    assert_int_equal(b.len, strlen(canonical));
    assert_memory_equal(b.data, canonical, b.len);
    sd_trace back;
    if (!sd_trace_parse("printed", (const char *)b.data, b.len, &back, err, sizeof err)) fail_msg("%s", err);
    assert_true(sd_trace_equal(&back, &t));
    back.actions[1].if_full = false;
    assert_false(sd_trace_equal(&back, &t));
    back.actions[1].if_full = true;
    back.actions[2].expect_psk = 1u << 13;
    assert_false(sd_trace_equal(&back, &t));
    sd_buf_free(&b);
    sd_trace_free(&back);
    sd_trace_free(&t);
}

/* expect NewSessionTicket if-announced (RFC 5077 §3.3): with if-full or
 * alone, in either order, printed canonically (if-full first) and read
 * back equal; the flag counts for equality. */
static void test_expect_if_announced(void **state) {
    (void)state;
    static const char text[] = "expect NewSessionTicket if-announced\n"
                               "expect NewSessionTicket if-announced if-full\n"
                               "expect NewSessionTicket\n";
    sd_trace t;
    char err[512];
    if (!sd_trace_parse("t", text, strlen(text), &t, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(t.n_actions, 3);
    assert_true(t.actions[0].if_announced);
    assert_false(t.actions[0].if_full);
    assert_true(t.actions[1].if_announced);
    assert_true(t.actions[1].if_full);
    assert_false(t.actions[2].if_announced);
    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(&t, &b);
    static const char canonical[] = "expect NewSessionTicket if-announced\n"
                                    "expect NewSessionTicket if-full if-announced\n"
                                    "expect NewSessionTicket\n";
    assert_int_equal(b.len, strlen(canonical));
    assert_memory_equal(b.data, canonical, b.len);
    sd_trace back;
    if (!sd_trace_parse("printed", (const char *)b.data, b.len, &back, err, sizeof err)) fail_msg("%s", err);
    assert_true(sd_trace_equal(&back, &t));
    back.actions[0].if_announced = false;
    assert_false(sd_trace_equal(&back, &t));
    back.actions[0].if_announced = true;
    back.actions[2].if_announced = true;
    assert_false(sd_trace_equal(&back, &t));
    sd_buf_free(&b);
    sd_trace_free(&back);
    sd_trace_free(&t);
}

/* random=: the end of a hello's random, 1-32 bytes, on send (a mutation)
 * and on expect (a check of the target's hello, kept in the action's
 * bytes); printed canonically and read back equal, the bytes counting for
 * equality. */
static void test_random(void **state) {
    (void)state;
    static const char text[] = "send ServerHello random=444F574E47524401 session-id=\n"
                               "expect ClientHello random=00\n"
                               "expect ServerHello random=444f574e47524400\n"
                               "expect ServerHello\n"
                               "send ClientHello random="
                               "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c\n";
    sd_trace t;
    char err[512];
    if (!sd_trace_parse("t", text, strlen(text), &t, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(t.n_actions, 5);
    assert_int_equal(t.actions[0].mutations[0].kind, SD_MUT_RANDOM);
    assert_int_equal(t.actions[0].mutations[0].bytes_len, 8);
    assert_memory_equal(t.actions[0].mutations[0].bytes, "DOWNGRD\x01", 8);
    assert_int_equal(t.actions[1].kind, SD_ACT_EXPECT);
    assert_int_equal(t.actions[1].n_mutations, 0);
    assert_int_equal(t.actions[1].bytes_len, 1);
    assert_memory_equal(t.actions[2].bytes, "DOWNGRD\x00", 8);
    assert_int_equal(t.actions[3].bytes_len, 0);
    assert_int_equal(t.actions[4].mutations[0].bytes_len, 32);

    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(&t, &b);
    static const char canonical[] = "send ServerHello random=444f574e47524401 session-id=\n"
                                    "expect ClientHello random=00\n"
                                    "expect ServerHello random=444f574e47524400\n"
                                    "expect ServerHello\n"
                                    "send ClientHello random="
                                    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c\n";
    assert_int_equal(b.len, strlen(canonical));
    assert_memory_equal(b.data, canonical, b.len);
    sd_trace back;
    if (!sd_trace_parse("printed", (const char *)b.data, b.len, &back, err, sizeof err)) fail_msg("%s", err);
    assert_true(sd_trace_equal(&back, &t));
    back.actions[2].bytes[7] ^= 1; /* the other sentinel */
    assert_false(sd_trace_equal(&back, &t));
    back.actions[2].bytes[7] ^= 1;
    back.actions[0].mutations[0].bytes[0] ^= 1;
    assert_false(sd_trace_equal(&back, &t));
    back.actions[0].mutations[0].bytes[0] ^= 1;
    assert_true(sd_trace_equal(&back, &t));
    /* A check, or none: the same message expected is not the same action. */
    back.actions[3].bytes = malloc(1);
    assert_non_null(back.actions[3].bytes);
    back.actions[3].bytes[0] = 0x01;
    back.actions[3].bytes_len = 1;
    assert_false(sd_trace_equal(&back, &t));
    sd_trace_free(&back);
    sd_trace_free(&t);
    sd_buf_free(&b);
}

/* send-raw fill=<n>: zero bytes after the payload up to n in all, written
 * after the payload; 1..SD_RAW_FILL_MAX; part of equality. */
static void test_raw_fill(void **state) {
    (void)state;
    static const char text[] = "send-raw handshake hex= fill=16385\n"
                               "send-raw application_data 0102 fill=0x4000 encrypted\n"
                               "send-raw 99 00 fill=18688 plaintext\n"
                               "send-raw alert 0232\n";
    sd_trace t;
    char err[512];
    if (!sd_trace_parse("t", text, strlen(text), &t, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(t.n_actions, 4);
    assert_int_equal(t.actions[0].fill, 16385);
    assert_int_equal(t.actions[0].bytes_len, 0);
    assert_int_equal(t.actions[1].fill, 16384);
    assert_int_equal(t.actions[1].bytes_len, 2);
    assert_true(t.actions[1].encrypted);
    assert_int_equal(t.actions[2].fill, SD_RAW_FILL_MAX);
    assert_true(t.actions[2].force_plaintext);
    assert_int_equal(t.actions[3].fill, 0);
    char *printed = print_trace(&t, NULL);
    assert_string_equal(printed, "send-raw handshake hex= fill=16385\n"
                                 "send-raw application_data 0102 fill=16384 encrypted\n"
                                 "send-raw 99 00 fill=18688 plaintext\n"
                                 "send-raw alert 0232\n");
    free(printed);
    check_round_trip("test_raw_fill", &t);
    sd_trace other;
    if (!sd_trace_parse("t", text, strlen(text), &other, err, sizeof err)) fail_msg("%s", err);
    other.actions[0].fill++;
    assert_false(sd_trace_equal(&t, &other));
    sd_trace_free(&other);
    sd_trace_free(&t);

    static const char *const bad[] = {"send-raw handshake 00 fill=0\n", "send-raw handshake 00 fill=18689\n",
                                      "send-raw handshake 00 fill=\n", "send-raw handshake 00 fill=-1\n",
                                      "send-raw handshake 00 encrypted fill=5\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(sd_trace_parse("t", bad[i], strlen(bad[i]), &t, err, sizeof err));
        assert_non_null(strstr(err, i < 4 ? "fill= takes a record size 1-18688" : "unexpected \"fill=5\""));
    }
}

/* `staple:` names a file of the fixture PKI without its .der; a bare trace
 * checks it and drops it, as every header. */
static void test_staple_header(void **state) {
    (void)state;
    static const char text[] = "id: t.t\ntitle: T\nrfc: R\nrole: client\nexpect: complete\n"
                               "staple: ocsp-leaf-wrong-serial # a comment\nexpect ClientHello\n";
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    assert_string_equal(s.staple, "ocsp-leaf-wrong-serial");
    sd_scenario_free(&s);
    static const char plain[] =
        "id: t.t\ntitle: T\nrfc: R\nrole: client\nexpect: complete\nexpect ClientHello\n";
    if (!sd_scenario_parse("t.sd", plain, strlen(plain), &s, err, sizeof err)) fail_msg("%s", err);
    assert_string_equal(s.staple, ""); /* none without the header */
    sd_scenario_free(&s);
}

/* `client-credential:` names what a client under test presents when asked,
 * and reaches the run configuration. */
static void test_client_credential_header(void **state) {
    (void)state;
    static const char text[] = "id: t.t\ntitle: T\nrfc: R\nrole: client\nexpect: complete\n"
                               "client-auth: require\nclient-credential: client-p521\nexpect ClientHello\n";
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    assert_string_equal(s.client_credential, "client-p521");
    sd_scenario_free(&s);
}

/* `groups:` names the target's groups, in order: names and numbers,
 * blanks around the commas allowed. */
static void test_groups_header(void **state) {
    (void)state;
    static const char text[] = "id: t.t\ntitle: T\nrfc: R\nrole: server\nexpect: complete\n"
                               "groups: secp256r1 , x25519,0x001e\nsend ClientHello\n";
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(s.n_groups, 3);
    assert_int_equal(s.groups[0], SD_secp256r1);
    assert_int_equal(s.groups[1], SD_x25519);
    assert_int_equal(s.groups[2], SD_x448);
    sd_scenario_free(&s);
}

static void test_errors(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        const error_case *c = &error_cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        sd_scenario s;
        char err[1024];
        memset(err, 'x', sizeof(err));
        if (sd_scenario_parse("scenarios/x.sd", c->text, len, &s, err, sizeof(err))) {
            sd_scenario_free(&s);
            fail_msg("case \"%s\": parsed, but should have failed", c->name);
        }
        assert_int_equal(s.trace.n_actions, 0); /* nothing left to free */
        assert_null(s.trace.actions);
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "scenarios/x.sd:%d: ", c->line);
        if (strncmp(err, prefix, strlen(prefix)) != 0)
            fail_msg("case \"%s\": error should start with \"%s\", got \"%s\"", c->name, prefix, err);
        if (strstr(err, c->message) == NULL)
            fail_msg("case \"%s\": error should contain \"%s\", got \"%s\"", c->name, c->message, err);
    }
}

static void test_error_edge_cases(void **state) {
    (void)state;
    sd_scenario s;
    char err[256];

    /* A line of exactly SD_SCRIPT_MAX_LINE bytes is fine, one more is not. */
    const size_t max = SD_SCRIPT_MAX_LINE;
    size_t hdr = strlen(HDR);
    char *text = malloc(hdr + max + 2);
    assert_non_null(text);
    memcpy(text, HDR, hdr);
    memset(text + hdr, ' ', max);
    memcpy(text + hdr + max - strlen("expect-close"), "expect-close", strlen("expect-close"));
    text[hdr + max] = '\n';
    assert_true(sd_scenario_parse("long", text, hdr + max + 1, &s, err, sizeof(err)));
    sd_scenario_free(&s);
    memmove(text + hdr + 1, text + hdr, max + 1);
    text[hdr] = ' ';
    assert_false(sd_scenario_parse("long", text, hdr + max + 2, &s, err, sizeof(err)));
    char want[64];
    snprintf(want, sizeof(want), "long:6: line too long (%zu bytes, max %zu)", max + 1, max);
    assert_string_equal(err, want);
    free(text);

    /* A printed fuzz input fits on one line: 16 KiB of body is 32 KiB of hex. */
    sd_trace t;
    sd_trace_init(&t);
    sd_action *a = sd_trace_add(&t, SD_ACT_SEND);
    assert_non_null(a);
    a->msg_type = SD_ClientHello;
    a->n_mutations = 1;
    a->mutations[0].kind = SD_MUT_BODY;
    a->mutations[0].bytes_len = 16 * 1024;
    a->mutations[0].bytes = malloc(16 * 1024);
    assert_non_null(a->mutations[0].bytes);
    for (size_t i = 0; i < 16 * 1024; i++) a->mutations[0].bytes[i] = (uint8_t)(i * 7);
    check_round_trip("16 KiB body", &t);
    sd_trace_free(&t);

    /* Tiny and absent error buffers: truncated, never overrun, never needed. */
    char tiny[8];
    assert_false(sd_scenario_parse("a/long/path.sd", "bogus", 5, &s, tiny, sizeof(tiny)));
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
    assert_false(sd_scenario_parse("p", "bogus", 5, &s, NULL, 0));
    assert_false(sd_scenario_parse(NULL, "bogus", 5, &s, err, sizeof(err)));
    assert_string_equal(
        err, "<script>:1: unknown action \"bogus\" (expected one of send, expect, send-alert, "
             "send-ccs, send-appdata, expect-appdata, expect-close, send-raw, expect-ccs, renegotiate, "
             "connection)");

    /* Long garbage words are cut in messages. */
    char line[400];
    memset(line, 'q', sizeof(line));
    line[sizeof(line) - 1] = '\0';
    assert_false(sd_scenario_parse("p", line, strlen(line), &s, err, sizeof(err)));
    assert_non_null(strstr(err, "qqq...\""));

    /* Loading: a missing file is an error naming the file, not a crash. */
    assert_false(sd_scenario_load("/nonexistent/dir/x.sd", &s, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/dir/x.sd: cannot open"));
}

/* --- garbage ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void) {
    /* xorshift64: deterministic, so a failure reproduces. */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static const char *const words[] = {
    "send",
    "expect",
    "send-alert",
    "send-ccs",
    "send-appdata",
    "expect-appdata",
    "expect-close",
    "send-raw",
    "ClientHello",
    "Finished",
    "Certificate",
    "MessageHash",
    "fatal",
    "warning",
    "0",
    "255",
    "256",
    "-1",
    "close_notify",
    "decrypt_error",
    "handshake",
    "alert",
    "\"",
    "\"ping\"",
    "\"\"",
    "hex=",
    "hex=00",
    "hex=0",
    "flip=",
    "flip=middle:0xff",
    "flip=-9223372036854775807:1",
    "flip=-9223372036854775808:1",
    "flip=9223372036854775808:1",
    "truncate=16777215",
    "truncate=16777216",
    "split=16384",
    "length=0x",
    "type=20",
    "cert=",
    "cert=a",
    "empty",
    "wrong-key",
    "plaintext",
    "encrypted",
    "body=",
    "append=ff",
    "#",
    "# c",
    "id:",
    "title:",
    "rfc:",
    "role:",
    "expect:",
    "tags:",
    "version:",
    "credential:",
    "note:",
    "server",
    "client",
    "complete",
    "closed",
    "1.3",
    ",",
    ":",
    "=",
    "\t",
    "\r",
    "\xc3\xa9",
    "\xff",
    "\xe2\x82",
};

/* How many garbage inputs parsed: a fuzz loop that never gets past the
 * first error checks little, so the test insists on some successes. */
static int fuzz_scenarios_ok, fuzz_traces_ok;

static void fuzz_one(const char *text, size_t len) {
    sd_scenario s;
    sd_trace t;
    char err[300];
    if (sd_scenario_parse("fuzz", text, len, &s, err, sizeof(err))) {
        fuzz_scenarios_ok++;
        check_round_trip("fuzzed scenario", &s.trace);
        sd_scenario_free(&s);
    } else {
        assert_int_equal(strncmp(err, "fuzz:", 5), 0);
    }
    if (sd_trace_parse("fuzz", text, len, &t, err, sizeof(err))) {
        fuzz_traces_ok++;
        check_round_trip("fuzzed trace", &t);
        sd_trace_free(&t);
    } else {
        assert_int_equal(strncmp(err, "fuzz:", 5), 0);
    }
}

static void test_garbage(void **state) {
    (void)state;
    char buf[8192];

    /* 1. Random bytes. */
    for (int i = 0; i < 200; i++) {
        size_t len = (size_t)(rnd() % sizeof(buf));
        for (size_t k = 0; k < len; k++) buf[k] = (char)rnd();
        fuzz_one(buf, len);
    }

    /* 2. Random sentences of script words: much more likely to get deep. */
    for (int i = 0; i < 400; i++) {
        size_t len = 0;
        int n_words = (int)(rnd() % 40);
        bool line_start = true;
        for (int w = 0; w < n_words; w++) {
            /* Lines mostly start with a verb (the first 8 words), so that
             * many get past the first check. */
            size_t pick =
                line_start && rnd() % 4 != 0 ? rnd() % 8 : rnd() % (sizeof(words) / sizeof(words[0]));
            const char *word = words[pick];
            size_t wl = strlen(word);
            if (len + wl + 2 >= sizeof(buf)) break;
            memcpy(buf + len, word, wl);
            len += wl;
            line_start = rnd() % 4 == 0;
            buf[len++] = line_start ? '\n' : ' ';
        }
        fuzz_one(buf, len);
    }

    int traces_from_words = fuzz_traces_ok;

    /* 3. Small mutations of real scenarios. */
    path_list l = all_scenarios();
    for (size_t i = 0; i < l.n; i++) {
        FILE *f = fopen(l.paths[i], "rb");
        assert_non_null(f);
        size_t len = fread(buf, 1, sizeof(buf) - 64, f);
        fclose(f);
        for (int m = 0; m < 40; m++) {
            char copy[8192];
            memcpy(copy, buf, len);
            size_t clen = len;
            int edits = 1 + (int)(rnd() % 4);
            for (int e = 0; e < edits && clen > 0; e++) {
                size_t at = (size_t)(rnd() % clen);
                switch (rnd() % 3) {
                case 0:
                    copy[at] = (char)rnd();
                    break; /* replace */
                case 1:
                    memmove(copy + at, copy + at + 1, clen - at - 1);
                    clen--;
                    break; /* delete */
                default:   /* insert */
                    if (clen + 1 < sizeof(copy)) {
                        memmove(copy + at + 1, copy + at, clen - at);
                        copy[at] = " \n#=:\"x0-"[rnd() % 9];
                        clen++;
                    }
                }
            }
            fuzz_one(copy, clen);
        }
    }
    path_list_free(&l);
    print_message("garbage: %d traces parsed from random words, %d mutated scenarios still parsed\n",
                  traces_from_words, fuzz_scenarios_ok);
    assert_true(traces_from_words > 0);
    assert_true(fuzz_scenarios_ok > 0);
}

/* --- several connections ------------------------------------------------------ */

static const char multi_head[] =
    "id: x.y\ntitle: t\nrfc: RFC 8446 §4.2.11: \"x\"\nrole: server\nexpect: complete\n";

/* A trace of two connections parses into one list split by the connection
 * action, prints back the same, and the PSK mutations keep their values. */
static void test_connections(void **state) {
    (void)state;
    char text[1024];
    snprintf(
        text, sizeof text,
        "%ssend ClientHello\nexpect ServerHello\nsend Finished\nconnection # two\n"
        "send ClientHello psk-not-last binder-length=33 binders=1 psk-identities=2\nexpect ServerHello\n",
        multi_head);
    sd_scenario s;
    assert_true(parse_ok(text, &s));
    assert_int_equal(s.trace.n_actions, 6);
    assert_int_equal(sd_trace_connections(&s.trace), 2);
    assert_int_equal(s.trace.actions[3].kind, SD_ACT_CONNECTION);
    assert_int_equal(s.trace.actions[3].line, 9);
    const sd_action *hello = &s.trace.actions[4];
    assert_int_equal(hello->n_mutations, 4);
    assert_int_equal(hello->mutations[0].kind, SD_MUT_PSK_NOT_LAST);
    assert_int_equal(hello->mutations[1].kind, SD_MUT_BINDER_LENGTH);
    assert_int_equal(hello->mutations[1].value, 33);
    assert_int_equal(hello->mutations[2].kind, SD_MUT_BINDERS);
    assert_int_equal(hello->mutations[2].value, 1);
    assert_int_equal(hello->mutations[3].kind, SD_MUT_PSK_IDENTITIES);
    assert_int_equal(hello->mutations[3].value, 2);
    char *printed = print_trace(&s.trace, NULL);
    assert_string_equal(printed, "send ClientHello\nexpect ServerHello\nsend Finished\nconnection\n"
                                 "send ClientHello psk-not-last binder-length=33 binders=1 psk-identities=2\n"
                                 "expect ServerHello\n");
    free(printed);
    check_round_trip("two connections", &s.trace);
    /* One connection more or less is another trace. */
    sd_trace one;
    char err[256];
    assert_true(
        sd_trace_parse("one", "send ClientHello\nexpect ServerHello\nsend Finished\nsend ClientHello\n",
                       strlen("send ClientHello\nexpect ServerHello\nsend Finished\nsend ClientHello\n"),
                       &one, err, sizeof err));
    assert_int_equal(sd_trace_connections(&one), 1);
    assert_false(sd_trace_equal(&one, &s.trace));
    sd_trace_free(&one);
    sd_scenario_free(&s);
}

/* Where a connection line breaks the rules, the error names its line. */
static void test_connection_errors(void **state) {
    (void)state;
    static const struct {
        const char *actions;
        int line; /* counted from the first action line (the headers take 5) */
        const char *message;
    } cases[] = {
        {"connection\nsend ClientHello\n", 1, "connection before any action of the first one"},
        {"send ClientHello\nconnection\n", 2, "connection as the last action: connection 2 does nothing"},
        {"send ClientHello\nconnection\nconnection\nsend ClientHello\n", 3,
         "connection right after another: connection 2 does nothing"},
        {"send ClientHello\nconnection 2\nsend ClientHello\n", 2, "connection: too many arguments"},
        {"send ClientHello binder-length=256\n", 1, "bad binder-length=256 (expected a number 0-255)"},
        {"send ClientHello binders\n", 1, "mutation binders needs a value"},
        {"send ClientHello psk-not-last=1\n", 1, "mutation psk-not-last takes no value"},
        {"send ClientHello\nconnection\nsend ClientHello\nconnection\nsend ClientHello\nconnection\n"
         "send ClientHello\nconnection\nsend ClientHello\nconnection\nsend ClientHello\nconnection\n"
         "send ClientHello\nconnection\nsend ClientHello\nconnection\nsend ClientHello\n",
         16, "more than 8 connections"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[2048], err[512], prefix[64];
        snprintf(text, sizeof text, "%s%s", multi_head, cases[i].actions);
        sd_scenario s;
        if (sd_scenario_parse("scenarios/x.sd", text, strlen(text), &s, err, sizeof err)) {
            sd_scenario_free(&s);
            fail_msg("case %zu parsed, but should have failed", i);
        }
        snprintf(prefix, sizeof prefix, "scenarios/x.sd:%d: ", cases[i].line + 5);
        if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, cases[i].message) == NULL)
            fail_msg("case %zu: expected \"%s%s\", got \"%s\"", i, prefix, cases[i].message, err);
        /* The bare trace form keeps the same rules. */
        sd_trace t;
        assert_false(sd_trace_parse("t", cases[i].actions, strlen(cases[i].actions), &t, err, sizeof err));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios_parse),
        cmocka_unit_test(test_scenarios_round_trip),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_print_canonical),
        cmocka_unit_test(test_trace_add_and_equal),
        cmocka_unit_test(test_groups_header),
        cmocka_unit_test(test_staple_header),
        cmocka_unit_test(test_client_credential_header),
        cmocka_unit_test(test_versions_header),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_new_mutations),
        cmocka_unit_test(test_error_edge_cases),
        cmocka_unit_test(test_session_id_flip_ext_premaster_version),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_alert_sets),
        cmocka_unit_test(test_connections),
        cmocka_unit_test(test_connection_errors),
        cmocka_unit_test(test_raw_fill),
        cmocka_unit_test(test_expect_psk),
        cmocka_unit_test(test_expect_if_announced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
