/* test_report.c — outcomes, both oracles, baselines (XFAIL, XPASS), the
 * known-differences file, and the reports (results.json, index.html,
 * summary.md) of a synthetic run.
 *
 * The HTML checks are about safety and completeness, not looks: whatever a
 * target said (an error string, a name) must reach the page only inside
 * base64, so it can never end the <script> element that carries it, and
 * the page's compact data must hold every result of results.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oracle/baseline.h"
#include "oracle/oracle.h"
#include "driver/outcome.h"
#include "report/report.h"
#include "wire/names.h"

#include "report_page.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

static const char hostile[] = "</script><img src=x onerror=alert(1)>";

/* --- helpers -------------------------------------------------------------- */

static sd_outcome outcome_of(sd_outcome_kind kind, uint8_t alert) {
    sd_outcome o;
    sd_outcome_init(&o);
    o.kind = kind;
    if (kind == SD_OUTCOME_ALERT) {
        o.alert = alert;
        o.alert_level = SD_ALERT_LEVEL_FATAL;
    }
    o.step = 3;
    o.line = 12;
    return o;
}

static sd_scenario *scenario_of(sd_expectation_kind expect, uint8_t alert) {
    static sd_scenario s; /* big; one at a time is all the tests need */
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "test.scenario");
    s.expect = expect;
    s.expect_alert = alert;
    s.role = SD_ROLE_SERVER;
    sd_trace_init(&s.trace);
    return &s;
}

static char *read_all(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len_out) *len_out = (size_t)n;
    return buf;
}

static char *make_tmpdir(void) {
    char tmpl[] = "/tmp/sd-test-report-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* --- outcome --------------------------------------------------------------- */

static void test_outcome_init_and_events(void **state) {
    (void)state;
    sd_outcome o;
    memset(&o, 0x5a, sizeof o);
    sd_outcome_init(&o);
    /* An outcome nobody filled in is our error, never the stack's pass. */
    assert_int_equal(o.kind, SD_OUTCOME_HARNESS_ERROR);
    assert_int_equal(o.step, -1);
    assert_int_equal(o.n_events, 0);
    assert_false(o.events_truncated);
    assert_string_equal(o.detail, "");

    sd_event e = {.from = SD_FROM_PEER, .kind = SD_EVENT_HANDSHAKE, .code = SD_ClientHello};
    for (int i = 0; i < SD_MAX_EVENTS; i++) {
        e.step = i;
        sd_outcome_add_event(&o, &e);
    }
    assert_int_equal(o.n_events, SD_MAX_EVENTS);
    assert_false(o.events_truncated);
    e.step = 999;
    sd_outcome_add_event(&o, &e);
    assert_int_equal(o.n_events, SD_MAX_EVENTS);
    assert_true(o.events_truncated);
    assert_int_equal(o.events[SD_MAX_EVENTS - 1].step, SD_MAX_EVENTS - 1);
}

static void test_outcome_describe(void **state) {
    (void)state;
    char buf[200];
    sd_outcome o = outcome_of(SD_OUTCOME_COMPLETED, 0);
    sd_outcome_describe(&o, buf, sizeof buf);
    assert_string_equal(buf, "completed");

    o = outcome_of(SD_OUTCOME_ALERT, SD_decrypt_error);
    o.step = 7;
    o.line = 0;
    sd_outcome_describe(&o, buf, sizeof buf);
    assert_string_equal(buf, "alert decrypt_error at step 7");
    o.line = 23;
    sd_outcome_describe(&o, buf, sizeof buf);
    assert_string_equal(buf, "alert decrypt_error at step 7 (line 23)");

    o = outcome_of(SD_OUTCOME_ALERT, 200); /* not in the registry */
    o.step = -1;
    sd_outcome_describe(&o, buf, sizeof buf);
    assert_string_equal(buf, "alert 200 before the first step");

    o = outcome_of(SD_OUTCOME_WAITING, 0);
    o.line = 0;
    sd_outcome_describe(&o, buf, sizeof buf);
    assert_string_equal(buf, "waiting at step 3");

    o = outcome_of(SD_OUTCOME_HARNESS_ERROR, 0);
    o.line = 0;
    snprintf(o.detail, sizeof o.detail, "cannot create target");
    sd_outcome_describe(&o, buf, sizeof buf);
    assert_string_equal(buf, "harness error at step 3: cannot create target");

    /* Truncation keeps the buffer terminated. */
    char tiny[8];
    o = outcome_of(SD_OUTCOME_ALERT, SD_decrypt_error);
    sd_outcome_describe(&o, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);

    for (int k = SD_OUTCOME_COMPLETED; k <= SD_OUTCOME_UNSUPPORTED; k++) {
        assert_non_null(sd_outcome_kind_name((sd_outcome_kind)k));
    }
    assert_string_equal(sd_outcome_kind_name(SD_OUTCOME_HARNESS_ERROR), "harness_error");

    /* Unsupported: nothing ran, so no step; the stack's reason is all. */
    o = outcome_of(SD_OUTCOME_UNSUPPORTED, 0);
    snprintf(o.detail, sizeof o.detail, "mbedTLS 2.28 has no TLS 1.3");
    sd_outcome_describe(&o, buf, sizeof buf);
    assert_string_equal(buf, "unsupported: mbedTLS 2.28 has no TLS 1.3");
    assert_string_equal(sd_outcome_kind_name(SD_OUTCOME_UNSUPPORTED), "unsupported");
}

/* --- conformance ----------------------------------------------------------- */

typedef struct {
    sd_expectation_kind expect;
    uint8_t expect_alert;
    sd_outcome_kind kind;
    uint8_t alert;
    bool handshake_done;
    sd_verdict want;
    const char *why_has; /* substring of why, or NULL for "empty" */
} classify_case;

static void test_classify_table(void **state) {
    (void)state;
    const uint8_t X = SD_decrypt_error, Y = SD_decode_error;
    static const char any[] = "";
    const classify_case cases[] = {
        /* expect complete */
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_COMPLETED, 0, true, SD_VERDICT_PASS, NULL},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_ALERT, Y, false, SD_VERDICT_FAIL, "refused"},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_CLOSED, 0, false, SD_VERDICT_FAIL, "refused"},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_WAITING, 0, false, SD_VERDICT_FAIL, "stalled"},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_DEVIATED, 0, false, SD_VERDICT_FAIL, "deviated"},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_CRASH, 0, false, SD_VERDICT_CRASH, "crash"},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_HANG, 0, false, SD_VERDICT_HANG, "hang"},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_HARNESS_ERROR, 0, false, SD_VERDICT_ERROR, "not the stack"},
        {SD_EXPECT_COMPLETE, 0, SD_OUTCOME_UNSUPPORTED, 0, false, SD_VERDICT_SKIP, "cipher suite 0x0005"},
        /* expect alert X */
        {SD_EXPECT_ALERT, X, SD_OUTCOME_ALERT, X, false, SD_VERDICT_PASS, NULL},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_ALERT, Y, false, SD_VERDICT_SOFT, "decode_error"},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_CLOSED, 0, false, SD_VERDICT_SOFT, "without an alert"},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_COMPLETED, 0, true, SD_VERDICT_FAIL, "completed"},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_WAITING, 0, false, SD_VERDICT_FAIL,
         "waited for more input instead of refusing"},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_DEVIATED, 0, false, SD_VERDICT_FAIL, "did not refuse"},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_CRASH, 0, false, SD_VERDICT_CRASH, any},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_HANG, 0, false, SD_VERDICT_HANG, any},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_HARNESS_ERROR, 0, false, SD_VERDICT_ERROR, any},
        {SD_EXPECT_ALERT, X, SD_OUTCOME_UNSUPPORTED, 0, false, SD_VERDICT_SKIP, "cipher suite 0x0005"},
        /* expect closed */
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_CLOSED, 0, false, SD_VERDICT_PASS, NULL},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_WAITING, 0, false, SD_VERDICT_PASS, NULL},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_WAITING, 0, true, SD_VERDICT_FAIL, "completed"},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_ALERT, Y, false, SD_VERDICT_SOFT, "its own"},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_COMPLETED, 0, true, SD_VERDICT_FAIL, "completed"},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_DEVIATED, 0, false, SD_VERDICT_FAIL, "did not stop"},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_CRASH, 0, false, SD_VERDICT_CRASH, any},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_HANG, 0, false, SD_VERDICT_HANG, any},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_HARNESS_ERROR, 0, false, SD_VERDICT_ERROR, any},
        {SD_EXPECT_CLOSED, 0, SD_OUTCOME_UNSUPPORTED, 0, false, SD_VERDICT_SKIP, "cipher suite 0x0005"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const classify_case *c = &cases[i];
        sd_scenario *s = scenario_of(c->expect, c->expect_alert);
        sd_outcome o = outcome_of(c->kind, c->alert);
        o.handshake_done = c->handshake_done;
        /* An unsupported outcome carries the stack's reason; it becomes the why. */
        if (c->kind == SD_OUTCOME_UNSUPPORTED) snprintf(o.detail, sizeof o.detail, "cipher suite 0x0005");
        char why[512];
        sd_verdict v = sd_classify(s, &o, why, sizeof why);
        if (v != c->want) {
            fail_msg("case %zu (expect %d, outcome %s): got %s, want %s (why: %s)", i, (int)c->expect,
                     sd_outcome_kind_name(c->kind), sd_verdict_name(v), sd_verdict_name(c->want), why);
        }
        if (c->why_has == NULL) {
            assert_string_equal(why, "");
        } else if (!strstr(why, c->why_has)) {
            fail_msg("case %zu: why '%s' lacks '%s'", i, why, c->why_has);
        }
    }
    /* The level does not matter in TLS 1.3 (RFC 8446 §6). */
    sd_outcome o = outcome_of(SD_OUTCOME_ALERT, X);
    o.alert_level = SD_ALERT_LEVEL_WARNING;
    assert_int_equal(sd_classify(scenario_of(SD_EXPECT_ALERT, X), &o, NULL, 0), SD_VERDICT_PASS);

    /* A "policy" scenario (the RFC leaves the choice to the receiver): the
     * other choice is SOFT, with the reason; a crash stays a crash. */
    sd_scenario *policy = scenario_of(SD_EXPECT_COMPLETE, 0);
    snprintf(policy->tags[policy->n_tags++], sizeof policy->tags[0], "policy");
    char why[512];
    o = outcome_of(SD_OUTCOME_ALERT, SD_unexpected_message);
    assert_int_equal(sd_classify(policy, &o, why, sizeof why), SD_VERDICT_SOFT);
    assert_non_null(strstr(why, "leaves the choice"));
    assert_non_null(strstr(why, "refused a handshake it must accept"));
    o = outcome_of(SD_OUTCOME_CRASH, 0);
    assert_int_equal(sd_classify(policy, &o, why, sizeof why), SD_VERDICT_CRASH);
    o = outcome_of(SD_OUTCOME_UNSUPPORTED, 0);
    snprintf(o.detail, sizeof o.detail, "group 29");
    assert_int_equal(sd_classify(policy, &o, why, sizeof why), SD_VERDICT_SKIP);
    assert_string_equal(why, "group 29");
    policy->n_tags--;
    o = outcome_of(SD_OUTCOME_ALERT, SD_unexpected_message);
    assert_int_equal(sd_classify(policy, &o, why, sizeof why), SD_VERDICT_FAIL);
}

static void test_verdict_names(void **state) {
    (void)state;
    for (int v = 0; v < SD_VERDICT_COUNT; v++) {
        sd_verdict back;
        assert_true(sd_verdict_from_name(sd_verdict_name((sd_verdict)v), &back));
        assert_int_equal(back, v);
    }
    sd_verdict dummy;
    assert_false(sd_verdict_from_name("pass", &dummy));
    assert_true(sd_verdict_is_finding(SD_VERDICT_FAIL));
    assert_true(sd_verdict_is_finding(SD_VERDICT_CRASH));
    assert_true(sd_verdict_is_finding(SD_VERDICT_HANG));
    assert_false(sd_verdict_is_finding(SD_VERDICT_SOFT));
    assert_false(sd_verdict_is_finding(SD_VERDICT_ERROR));

    char buf[64];
    sd_expectation_describe(scenario_of(SD_EXPECT_ALERT, SD_decrypt_error), buf, sizeof buf);
    assert_string_equal(buf, "alert decrypt_error");
    sd_expectation_describe(scenario_of(SD_EXPECT_COMPLETE, 0), buf, sizeof buf);
    assert_string_equal(buf, "complete");
    sd_expectation_describe(scenario_of(SD_EXPECT_CLOSED, 0), buf, sizeof buf);
    assert_string_equal(buf, "closed");
}

/* --- differential ---------------------------------------------------------- */

/* A mutation placed by the message's length (the middle, counted from the
 * end, a truncation) of a message whose honest length differed between the
 * runs (a second ClientHello echoing each stack's own ticket) hit different
 * bytes of each: the outcomes are not compared. The same with equal
 * lengths, or with a mutation placed from the start or naming what it
 * changes (drop-ext), is compared as ever. */
static void test_compare_mutated_different_bytes(void **state) {
    (void)state;
    char why[512];
    sd_event hello = {.from = SD_FROM_PEER,
                      .kind = SD_EVENT_HANDSHAKE,
                      .code = SD_ClientHello,
                      .mutated = true,
                      .step = 11,
                      .mutations = UINT64_C(1) << SD_MUT_RECORD_FLIP,
                      .honest_length = 243,
                      .placed_by_length = true};
    sd_event server_hello = {
        .from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_ServerHello, .step = 12};
    sd_outcome a = outcome_of(SD_OUTCOME_ALERT, SD_decode_error), b = outcome_of(SD_OUTCOME_DEVIATED, 0);
    sd_outcome_add_event(&a, &hello);
    hello.honest_length = 338;
    sd_outcome_add_event(&b, &hello);
    sd_outcome_add_event(&b, &server_hello);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_UNCOMPARED);
    assert_non_null(strstr(why, "243 bytes for one stack and 338"));
    assert_false(sd_divergence_is_difference(SD_DIV_UNCOMPARED));
    a.events[0].honest_length = 338;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    a.events[0].honest_length = 243;
    a.events[0].placed_by_length = b.events[0].placed_by_length = false;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
}

static void test_compare(void **state) {
    (void)state;
    char why[512];
    sd_outcome a, b;

    a = outcome_of(SD_OUTCOME_COMPLETED, 0);
    a.handshake_done = a.peer_authenticated = true;
    a.version = SD_TLS13;
    a.cipher_suite = SD_TLS_AES_128_GCM_SHA256;
    b = a;
    b.cipher_suite = SD_TLS_AES_256_GCM_SHA384; /* a preference, not a claim */
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_SAME);
    assert_string_equal(why, "");

    b.peer_authenticated = false;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    assert_non_null(strstr(why, "peer_authenticated"));
    /* Both resumed: still compared. One says it resumed and the other
     * says nothing of it (a shim): authentication was the first
     * handshake's, and is not compared. */
    a.resumed = b.resumed = true;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    b.resumed = false;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_SAME);
    a.resumed = false;
    b = a;
    b.version = SD_TLS12;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    assert_non_null(strstr(why, "version"));

    a = outcome_of(SD_OUTCOME_ALERT, SD_decrypt_error);
    b = a;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_SAME);
    b.alert = SD_decode_error;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_ALERT_DIFFERS);
    assert_non_null(strstr(why, "decode_error"));
    b = outcome_of(SD_OUTCOME_CLOSED, 0);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_ALERT_DIFFERS);
    b = a;
    b.step = a.step + 2; /* refused later: accepted what the other refused */
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_ALERT_DIFFERS);
    assert_non_null(strstr(why, "different steps"));

    /* Mid-handshake, a difference in version bookkeeping is no claim... */
    b = a;
    a.version = SD_TLS13;
    b.version = 0;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_SAME);
    /* ...but refusing after declaring the handshake done is. */
    b.handshake_done = true;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);

    a = outcome_of(SD_OUTCOME_COMPLETED, 0);
    b = outcome_of(SD_OUTCOME_ALERT, SD_bad_certificate);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    assert_non_null(strstr(why, "boringssl refused"));
    assert_int_equal(sd_compare(&b, &a, why, sizeof why), SD_DIV_DIVERGES);
    assert_non_null(strstr(why, "model refused"));

    /* One refused an input; the other took it. It took it if it answered
     * (or completed): a divergence. If it said nothing to it nor to
     * anything after, it has accepted nothing yet and may refuse later (a
     * chain checked at CertificateVerify): a refusal at another step. */
    sd_event cert = {
        .from = SD_FROM_PEER, .kind = SD_EVENT_HANDSHAKE, .code = SD_Certificate, .encrypted = true};
    sd_event verify = cert;
    verify.code = SD_CertificateVerify;
    sd_event refusal = {.from = SD_FROM_TARGET,
                        .kind = SD_EVENT_ALERT,
                        .code = SD_bad_certificate,
                        .level = SD_ALERT_LEVEL_FATAL,
                        .encrypted = true};
    sd_event finished = {
        .from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_Finished, .encrypted = true};
    sd_event ccs = {.from = SD_FROM_TARGET, .kind = SD_EVENT_CCS};
    b = outcome_of(SD_OUTCOME_ALERT, SD_bad_certificate);
    sd_outcome_add_event(&b, &cert);
    sd_outcome_add_event(&b, &refusal);
    a = outcome_of(SD_OUTCOME_WAITING, 0);
    sd_outcome_add_event(&a, &cert);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_ALERT_DIFFERS);
    assert_non_null(strstr(why, "answered nothing"));
    assert_int_equal(sd_compare(&b, &a, NULL, 0), SD_DIV_ALERT_DIFFERS);
    sd_outcome_add_event(&a, &verify); /* took more, still silent */
    a.kind = SD_OUTCOME_DEVIATED;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_ALERT_DIFFERS);
    sd_outcome_add_event(&a, &ccs); /* TLS 1.3: its compatibility CCS says nothing */
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_ALERT_DIFFERS);
    a.configured_version = b.configured_version = SD_TLS12; /* TLS 1.2: it is its Finished coming */
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    a.configured_version = b.configured_version = SD_TLS13;
    sd_outcome_add_event(&a, &finished); /* answered: took the certificate */
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    assert_non_null(strstr(why, "boringssl refused"));
    a.n_events = 1;
    a.handshake_done = true; /* completed silently, as a server does */
    a.kind = SD_OUTCOME_COMPLETED;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    a.handshake_done = false; /* a "completed" without the handshake is no such trace end */
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    a.kind = SD_OUTCOME_WAITING;
    b.n_events = 1;
    sd_outcome_add_event(&b, &finished); /* the refusing side took more before its refusal */
    sd_outcome_add_event(&b, &refusal);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);
    b.events_truncated = true; /* a ladder cut short proves nothing */
    b.n_events = 2;
    b.events[1] = refusal;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);

    a = outcome_of(SD_OUTCOME_WAITING, 0);
    b = outcome_of(SD_OUTCOME_WAITING, 0);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_SAME);
    b.step = 5;
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);

    a = outcome_of(SD_OUTCOME_DEVIATED, 0);
    b = a;
    sd_event ea = {.from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_Certificate};
    sd_event eb = {.from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_Finished};
    sd_outcome_add_event(&a, &ea);
    sd_outcome_add_event(&b, &ea);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_SAME);
    b.n_events = 0;
    sd_outcome_add_event(&b, &eb);
    assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_DIVERGES);

    /* Unsupported leaves nothing to compare either: the model and BoringSSL
     * support every configuration given them, so it is looked at as a
     * harness error is (a fuzz target stops on it). */
    const sd_outcome_kind broken[] = {SD_OUTCOME_CRASH, SD_OUTCOME_HANG, SD_OUTCOME_HARNESS_ERROR,
                                      SD_OUTCOME_UNSUPPORTED};
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        a = outcome_of(SD_OUTCOME_COMPLETED, 0);
        b = outcome_of(broken[i], 0);
        assert_int_equal(sd_compare(&a, &b, why, sizeof why), SD_DIV_CRASH);
        assert_int_equal(sd_compare(&b, &a, NULL, 0), SD_DIV_CRASH);
    }
    assert_string_equal(sd_divergence_name(SD_DIV_ALERT_DIFFERS), "alert_differs");
}

/* --- known differences ------------------------------------------------------ */

/* A stack under test against the two references (sd_judge_stack): a
 * finding only where it differs from both, and the worst kinds first. */
static void test_judge_stack(void **state) {
    (void)state;
    char why[1200];
    sd_outcome done = outcome_of(SD_OUTCOME_COMPLETED, 0);
    done.handshake_done = true;
    done.version = SD_TLS13;
    sd_outcome refused = outcome_of(SD_OUTCOME_ALERT, SD_decode_error);
    sd_outcome refused_other = outcome_of(SD_OUTCOME_ALERT, SD_illegal_parameter);

    /* The same as both, or as one of two references that differ. */
    assert_int_equal(sd_judge_stack(&done, "wolfssl", &done, &done, SD_STEP_WHOLE_RUN, why, sizeof why),
                     SD_STACK_AGREES);
    assert_int_equal(sd_judge_stack(&refused, "wolfssl", &done, &refused, SD_STEP_WHOLE_RUN, why, sizeof why),
                     SD_STACK_AGREES);
    assert_false(sd_stack_judgement_is_finding(SD_STACK_AGREES));

    /* Refused as the references did, with another alert: counted, no finding. */
    assert_int_equal(
        sd_judge_stack(&refused_other, "wolfssl", &refused, &refused, SD_STEP_WHOLE_RUN, why, sizeof why),
        SD_STACK_ALERT_DIFFERS);
    assert_non_null(strstr(why, "wolfssl"));
    assert_false(sd_stack_judgement_is_finding(SD_STACK_ALERT_DIFFERS));

    /* Completed where both refused: the worst, named so. */
    assert_int_equal(
        sd_judge_stack(&done, "wolfssl", &refused, &refused_other, SD_STEP_WHOLE_RUN, why, sizeof why),
        SD_STACK_ACCEPTS);
    assert_non_null(strstr(why, "wolfssl proceeded where both references refused"));
    assert_true(sd_stack_judgement_is_finding(SD_STACK_ACCEPTS));
    /* Refused where both completed. */
    assert_int_equal(sd_judge_stack(&refused, "gnutls", &done, &done, SD_STEP_WHOLE_RUN, why, sizeof why),
                     SD_STACK_REFUSES);
    assert_non_null(strstr(why, "gnutls refused"));
    assert_true(sd_stack_judgement_is_finding(SD_STACK_REFUSES));
    /* Completed like both, but claiming another version: a divergence. */
    sd_outcome done12 = done;
    done12.version = SD_TLS12;
    assert_int_equal(sd_judge_stack(&done12, "mbedtls", &done, &done, SD_STEP_WHOLE_RUN, why, sizeof why),
                     SD_STACK_DIVERGES);
    assert_non_null(strstr(why, "version"));
    assert_true(sd_stack_judgement_is_finding(SD_STACK_DIVERGES));

    /* A crash of the stack is a finding; one that cannot run the
     * configuration, or a reference that did not run, is not judged. */
    sd_outcome crash = outcome_of(SD_OUTCOME_CRASH, 0);
    assert_int_equal(sd_judge_stack(&crash, "wolfssl", &done, &done, SD_STEP_WHOLE_RUN, why, sizeof why),
                     SD_STACK_CRASH);
    assert_true(sd_stack_judgement_is_finding(SD_STACK_CRASH));
    sd_outcome unsupported = outcome_of(SD_OUTCOME_UNSUPPORTED, 0);
    assert_int_equal(
        sd_judge_stack(&unsupported, "wolfssl", &done, &done, SD_STEP_WHOLE_RUN, why, sizeof why),
        SD_STACK_UNJUDGED);
    assert_int_equal(sd_judge_stack(&done, "wolfssl", &crash, &done, SD_STEP_WHOLE_RUN, why, sizeof why),
                     SD_STACK_UNJUDGED);
    assert_false(sd_stack_judgement_is_finding(SD_STACK_UNJUDGED));
    assert_string_equal(sd_stack_judgement_name(SD_STACK_ACCEPTS), "accepts");

    /* Off course before the input's point (its first dishonest action,
     * step 3): ended before the driver made it, or answered an honest
     * message otherwise than the trace planned. Not judged, as conform
     * scores such a run UNREACHED; from step 3 on it is. */
    sd_outcome early = refused;
    early.reached = 2;
    assert_int_equal(sd_judge_stack(&early, "gnutls", &done, &done, 3, why, sizeof why), SD_STACK_UNJUDGED);
    assert_non_null(strstr(why, "off course"));
    early.reached = 3;
    assert_int_equal(sd_judge_stack(&early, "gnutls", &done, &done, 3, why, sizeof why), SD_STACK_REFUSES);
    sd_outcome deviated = outcome_of(SD_OUTCOME_DEVIATED, 0);
    deviated.reached = 5;
    deviated.step = 2;
    assert_int_equal(sd_judge_stack(&deviated, "gnutls", &done, &done, 3, why, sizeof why),
                     SD_STACK_UNJUDGED);
    assert_int_equal(sd_judge_stack(&deviated, "gnutls", &done, &done, SD_STEP_WHOLE_RUN, why, sizeof why),
                     SD_STACK_UNJUDGED);
    deviated.step = 4;
    assert_int_equal(sd_judge_stack(&deviated, "gnutls", &done, &done, 3, why, sizeof why),
                     SD_STACK_DIVERGES);
}

static void test_known_differences(void **state) {
    (void)state;
    const char text[] =
        "# comment\n"
        "\n"
        "tls13.client.cert.* boringssl sends bad_certificate -- RFC 8446 §6.2: either alert\n"
        "  fuzz_client_hello:model=alert(decode_error)@0:* *   waits -- RFC 8446 §4.1.2  \r\n";
    sd_known_differences kd;
    char err[256] = "";
    assert_true(sd_known_differences_parse("kd.txt", text, sizeof text - 1, &kd, err, sizeof err));
    assert_int_equal(kd.n, 2);
    assert_string_equal(kd.items[0].pattern, "tls13.client.cert.*");
    assert_string_equal(kd.items[0].stack, "boringssl");
    assert_string_equal(kd.items[0].what, "sends bad_certificate");
    assert_string_equal(kd.items[0].reason, "RFC 8446 §6.2: either alert");
    assert_int_equal(kd.items[0].line, 3);
    assert_string_equal(kd.items[1].what, "waits");
    assert_string_equal(kd.items[1].reason, "RFC 8446 §4.1.2");

    const sd_known_difference *m = sd_known_differences_match(&kd, "tls13.client.cert.expired", "boringssl");
    assert_non_null(m);
    assert_int_equal(m->line, 3);
    assert_null(sd_known_differences_match(&kd, "tls13.client.cert.expired", "openssl"));
    assert_null(sd_known_differences_match(&kd, "tls13.server.finished", "boringssl"));
    m = sd_known_differences_match(&kd, "fuzz_client_hello:model=alert(decode_error)@0:boringssl=waiting@1",
                                   "boringssl");
    assert_non_null(m);
    assert_int_equal(m->line, 4);
    sd_known_differences_free(&kd);

    const char *bad[][2] = {
        {"only-a-pattern\n", "kd.txt:1:"},
        {"# c\npat stack what differs but no reason\n", "kd.txt:2: missing ' -- '"},
        {"pat stack -- reason only\n", "kd.txt:1: say what differs"},
        {"pat stack differs --\n", "kd.txt:1: give the RFC reasoning"},
        {"pat stack differs --   \n", "kd.txt:1: give the RFC reasoning"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_false(
            sd_known_differences_parse("kd.txt", bad[i][0], strlen(bad[i][0]), &kd, err, sizeof err));
        if (strncmp(err, bad[i][1], strlen(bad[i][1])) != 0) {
            fail_msg("case %zu: error '%s' does not start with '%s'", i, err, bad[i][1]);
        }
        assert_int_equal(kd.n, 0);
        assert_null(kd.items);
    }

    /* The reviewed file in the tree parses, and every entry gives a reason. */
    char path[1024];
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/harness/oracle/known_differences.txt", src ? src : SHAKEDOWN_SOURCE_DIR);
    if (!sd_known_differences_load(path, &kd, err, sizeof err)) fail_msg("%s", err);
    assert_true(kd.n > 0);
    for (size_t i = 0; i < kd.n; i++) assert_true(strlen(kd.items[i].reason) > 20);
    /* Its fuzz_trace entries name the input the stacks took differently,
     * and hide nothing else: the same ends at another input, or another
     * end at the same input, stay findings. */
    static const char *const known[] = {
        "fuzz_trace:model=completed@6:boringssl=alert(unexpected_message)@0:tls13-client:hs=0/"
        "1:on=ChangeCipherSpec",
        "fuzz_trace:model=alert(unexpected_message)@0:boringssl=completed@7:tls13-server:hs=0/"
        "0:on=raw(handshake,0)",
        "fuzz_trace:model=closed@0:boringssl=completed@7:tls13-server:hs=0/"
        "0:on=alert(warning,internal_error)",
        "fuzz_trace:model=alert(unsupported_certificate)@4:boringssl=completed@11:tls13-client:hs=3/1:"
        "on=Certificate[weak-key]+encrypted",
    };
    static const char *const unknown[] = {
        /* A CCS after the ServerHello, where BoringSSL drops it too. */
        "fuzz_trace:model=completed@6:boringssl=alert(unexpected_message)@2:tls13-client:hs=1/"
        "1:on=ChangeCipherSpec",
        /* TLS 1.2, where the model treats a CCS before the ServerHello as out of order itself. */
        "fuzz_trace:model=completed@6:boringssl=alert(unexpected_message)@0:tls12-client:hs=0/"
        "1:on=ChangeCipherSpec",
        /* A handshake record that is not empty. */
        "fuzz_trace:model=alert(unexpected_message)@0:boringssl=completed@7:tls13-server:hs=0/"
        "0:on=raw(handshake,4,0e00)",
        /* A fatal alert BoringSSL would ignore. */
        "fuzz_trace:model=closed@0:boringssl=completed@7:tls13-server:hs=0/0:on=alert(fatal,internal_error)",
        /* An expired certificate BoringSSL would take. */
        "fuzz_trace:model=alert(certificate_expired)@4:boringssl=completed@11:tls13-client:hs=3/1:"
        "on=Certificate[expired]+encrypted",
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!sd_known_differences_match(&kd, known[i], "boringssl")) fail_msg("not covered: %s", known[i]);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const sd_known_difference *d = sd_known_differences_match(&kd, unknown[i], "boringssl");
        if (d) fail_msg("%s:%d hides %s", path, d->line, unknown[i]);
    }
    sd_known_differences_free(&kd);
    assert_false(sd_known_differences_load("/nonexistent/kd.txt", &kd, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/kd.txt"));
}

/* --- reports ---------------------------------------------------------------- */

/* A run of 3 scenarios × 2 stacks with every interesting kind of cell:
 * PASS, SOFT, FAIL, ERROR, a hostile detail string and invalid UTF-8. */
static void make_run(sd_report_run *run) {
    assert_true(sd_report_run_init(run, 3, 2));
    run->seed = 42;
    run->validation_time = SD_PKI_DEFAULT_TIME;
    run->started = 1767225600 + 3600;
    run->elapsed_ms = 12.5;
    snprintf(run->stacks[0].name, sizeof run->stacks[0].name, "model");
    snprintf(run->stacks[0].version, sizeof run->stacks[0].version, "model 0.1");
    snprintf(run->stacks[1].name, sizeof run->stacks[1].name, "boringssl");
    snprintf(run->stacks[1].version, sizeof run->stacks[1].version, "BoringSSL <17> & co");

    const struct {
        const char *id;
        sd_role role;
        sd_expectation_kind expect;
        uint8_t alert;
    } sc[3] = {
        {"tls13.server.finished.bitflip", SD_ROLE_SERVER, SD_EXPECT_ALERT, SD_decrypt_error},
        {"tls13.client.handshake.happy", SD_ROLE_CLIENT, SD_EXPECT_COMPLETE, 0},
        {"tls13.server.alert.fatal", SD_ROLE_SERVER, SD_EXPECT_CLOSED, 0},
    };
    for (size_t i = 0; i < 3; i++) {
        sd_scenario *s = scenario_of(sc[i].expect, sc[i].alert);
        snprintf(s->id, sizeof s->id, "%s", sc[i].id);
        snprintf(s->title, sizeof s->title, "Title %zu with \"quotes\" and <b>tags</b>", i);
        snprintf(s->rfc, sizeof s->rfc, "RFC 8446 §4.4.4: \"...MUST...\"");
        s->role = sc[i].role;
        snprintf(s->tags[0], sizeof s->tags[0], "tls13");
        snprintf(s->tags[1], sizeof s->tags[1], i == 1 ? "handshake" : "finished");
        s->n_tags = 2;
        snprintf(s->path, sizeof s->path, "scenarios/tls13/%zu.sd", i);
        sd_report_scenario_set(&run->scenarios[i], s);
        sd_trace_free(&s->trace);
    }

    /* Row 0: model PASS with a mutated Finished; boringssl SOFT. */
    sd_report_cell *c = sd_report_cell_at(run, 0, 0);
    c->ran = true;
    c->outcome = outcome_of(SD_OUTCOME_ALERT, SD_decrypt_error);
    sd_event evs[] = {
        {.from = SD_FROM_PEER, .kind = SD_EVENT_HANDSHAKE, .code = SD_ClientHello},
        {.from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_ServerHello},
        {.from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_Finished, .encrypted = true},
        {.from = SD_FROM_PEER,
         .kind = SD_EVENT_HANDSHAKE,
         .code = SD_Finished,
         .encrypted = true,
         .mutated = true,
         .step = 2},
        {.from = SD_FROM_TARGET,
         .kind = SD_EVENT_ALERT,
         .code = SD_decrypt_error,
         .level = SD_ALERT_LEVEL_FATAL,
         .encrypted = true,
         .step = 2},
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) sd_outcome_add_event(&c->outcome, &evs[i]);
    c->verdict = SD_VERDICT_PASS;
    c->elapsed_ms = 0.25;

    c = sd_report_cell_at(run, 0, 1);
    c->ran = true;
    c->outcome = outcome_of(SD_OUTCOME_ALERT, SD_decode_error);
    snprintf(c->outcome.detail, sizeof c->outcome.detail, "stack said: %s", hostile);
    c->verdict = SD_VERDICT_SOFT;
    snprintf(c->why, sizeof c->why, "expected decrypt_error %s", hostile);

    /* Row 1: model FAIL (waiting), boringssl PASS; the detail holds
     * invalid UTF-8 and a U+2028 LINE SEPARATOR. */
    c = sd_report_cell_at(run, 1, 0);
    c->ran = true;
    c->outcome = outcome_of(SD_OUTCOME_WAITING, 0);
    snprintf(c->outcome.detail, sizeof c->outcome.detail, "bad \xff\xfe utf8 \xe2\x80\xa8 sep");
    c->verdict = SD_VERDICT_FAIL;
    snprintf(c->why, sizeof c->why, "stalled");
    c = sd_report_cell_at(run, 1, 1);
    c->ran = true;
    c->outcome = outcome_of(SD_OUTCOME_COMPLETED, 0);
    c->outcome.handshake_done = c->outcome.peer_authenticated = true;
    c->outcome.version = SD_TLS13;
    c->outcome.cipher_suite = SD_TLS_AES_128_GCM_SHA256;
    c->outcome.group = SD_x25519;
    /* The driver (the server) asked for another key share: its
     * HelloRetryRequest is a ServerHello by its code. */
    sd_event retry[] = {
        {.from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_ClientHello},
        {.from = SD_FROM_PEER, .kind = SD_EVENT_HANDSHAKE, .code = SD_ServerHello, .step = 1, .hrr = true},
        {.from = SD_FROM_TARGET, .kind = SD_EVENT_HANDSHAKE, .code = SD_ClientHello, .step = 2},
    };
    for (size_t i = 0; i < sizeof retry / sizeof retry[0]; i++) sd_outcome_add_event(&c->outcome, &retry[i]);
    c->verdict = SD_VERDICT_PASS;

    /* Row 2: model ERROR; boringssl left not run (SKIP). */
    c = sd_report_cell_at(run, 2, 0);
    c->ran = true;
    c->outcome = outcome_of(SD_OUTCOME_HARNESS_ERROR, 0);
    c->verdict = SD_VERDICT_ERROR;

    run->stacks[0].elapsed_ms = 1.5;
    run->stacks[1].elapsed_ms = 2.5;
}

static void test_counts(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    assert_int_equal(sd_report_count(&run, 0, SD_VERDICT_PASS), 1);
    assert_int_equal(sd_report_count(&run, 0, SD_VERDICT_FAIL), 1);
    assert_int_equal(sd_report_count(&run, 0, SD_VERDICT_ERROR), 1);
    assert_int_equal(sd_report_count(&run, 1, SD_VERDICT_PASS), 1);
    assert_int_equal(sd_report_count(&run, 1, SD_VERDICT_SOFT), 1);
    assert_int_equal(sd_report_count(&run, 1, SD_VERDICT_SKIP), 1);
    char buf[64];
    sd_report_observed_short(&sd_report_cell_at(&run, 0, 0)->outcome, buf, sizeof buf);
    assert_string_equal(buf, "alert decrypt_error");
    sd_report_run_free(&run);
}

static json_int_t jint(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) fail_msg("%s is not an integer", key);
    return json_integer_value(v);
}

static const char *jtext(json_t *o, const char *key) {
    json_t *v = json_object_get(o, key);
    if (!json_is_string(v)) fail_msg("%s is not a string", key);
    return json_string_value(v);
}

/* Checks a parsed results document against the run it came from. */
static void check_results_json(json_t *root, const sd_report_run *run) {
    assert_int_equal(jint(root, "schema_version"), 1);
    assert_string_equal(jtext(json_object_get(root, "tool"), "name"), "shakedown");
    json_t *r = json_object_get(root, "run");
    assert_string_equal(jtext(r, "started"), "2026-01-01T01:00:00Z");
    assert_string_equal(jtext(r, "validation_time_utc"), "2026-01-01T00:00:00Z");
    assert_int_equal(jint(r, "validation_time"), SD_PKI_DEFAULT_TIME);
    assert_string_equal(jtext(r, "seed"), "42");

    json_t *stacks = json_object_get(root, "stacks");
    assert_int_equal(json_array_size(stacks), run->n_stacks);
    for (size_t k = 0; k < run->n_stacks; k++) {
        json_t *st = json_array_get(stacks, k);
        assert_string_equal(jtext(st, "name"), run->stacks[k].name);
        assert_string_equal(jtext(st, "version"), run->stacks[k].version);
        json_t *counts = json_object_get(st, "counts");
        for (int v = 0; v < SD_VERDICT_COUNT; v++) {
            assert_int_equal(jint(counts, sd_verdict_name((sd_verdict)v)),
                             sd_report_count(run, k, (sd_verdict)v));
        }
    }
    json_t *totals = json_object_get(root, "totals");
    assert_int_equal(jint(totals, "PASS"), 2);
    assert_int_equal(jint(totals, "SKIP"), 1);

    json_t *scen = json_object_get(root, "scenarios");
    assert_int_equal(json_array_size(scen), run->n_scenarios);
    json_t *s0 = json_array_get(scen, 0);
    assert_string_equal(jtext(s0, "id"), "tls13.server.finished.bitflip");
    assert_string_equal(jtext(s0, "role"), "server");
    assert_string_equal(jtext(json_object_get(s0, "expect"), "kind"), "alert");
    assert_string_equal(jtext(json_object_get(s0, "expect"), "alert"), "decrypt_error");
    assert_int_equal(json_array_size(json_object_get(s0, "tags")), 2);
    assert_string_equal(jtext(json_object_get(json_array_get(scen, 2), "expect"), "kind"), "closed");

    json_t *results = json_object_get(root, "results");
    assert_int_equal(json_array_size(results), run->n_scenarios * run->n_stacks);
    json_t *c00 = json_array_get(results, 0);
    assert_string_equal(jtext(c00, "scenario"), "tls13.server.finished.bitflip");
    assert_string_equal(jtext(c00, "stack"), "model");
    assert_string_equal(jtext(c00, "verdict"), "PASS");
    json_t *events = json_object_get(c00, "events");
    assert_int_equal(json_array_size(events), 5);
    json_t *mut = json_array_get(events, 3);
    assert_string_equal(jtext(mut, "from"), "peer");
    assert_string_equal(jtext(mut, "kind"), "handshake");
    assert_string_equal(jtext(mut, "name"), "Finished");
    assert_true(json_is_true(json_object_get(mut, "encrypted")));
    assert_true(json_is_true(json_object_get(mut, "mutated")));
    assert_int_equal(jint(mut, "step"), 2);
    json_t *al = json_array_get(events, 4);
    assert_string_equal(jtext(al, "name"), "decrypt_error");
    assert_string_equal(jtext(al, "level"), "fatal");
    /* A HelloRetryRequest is named as such, with ServerHello's code. */
    json_t *hrr = json_array_get(json_object_get(json_array_get(results, 3), "events"), 1);
    assert_string_equal(jtext(hrr, "name"), "HelloRetryRequest");
    assert_int_equal(jint(hrr, "code"), SD_ServerHello);
    assert_string_equal(
        jtext(json_array_get(json_object_get(json_array_get(results, 3), "events"), 2), "name"),
        "ClientHello");
    json_t *o00 = json_object_get(c00, "outcome");
    assert_string_equal(jtext(o00, "kind"), "alert");
    assert_string_equal(jtext(o00, "alert"), "decrypt_error");
    assert_string_equal(jtext(o00, "summary"), "alert decrypt_error");

    /* The hostile string comes back exactly: escaping is transport only. */
    json_t *c01 = json_array_get(results, 1);
    assert_non_null(strstr(jtext(json_object_get(c01, "outcome"), "detail"), hostile));
    assert_non_null(strstr(jtext(c01, "why"), hostile));
    /* Invalid UTF-8 became U+FFFD; the valid U+2028 survived. */
    const char *d10 = jtext(json_object_get(json_array_get(results, 2), "outcome"), "detail");
    assert_string_equal(d10, "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \xe2\x80\xa8 sep");
    json_t *c11 = json_array_get(results, 3);
    assert_string_equal(jtext(json_object_get(c11, "outcome"), "version"), "TLS 1.3");
    assert_string_equal(jtext(json_object_get(c11, "outcome"), "cipher_suite"), "TLS_AES_128_GCM_SHA256");
    assert_string_equal(jtext(json_object_get(c11, "outcome"), "group"), "x25519");
    json_t *c21 = json_array_get(results, 5);
    assert_false(json_is_true(json_object_get(c21, "ran")));
    assert_string_equal(jtext(c21, "verdict"), "SKIP");
    assert_true(json_is_null(json_object_get(c21, "outcome")));
}

static void test_results_json(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    char *dir = make_tmpdir();
    char err[512] = "";
    if (!sd_report_write_json(&run, dir, err, sizeof err)) fail_msg("%s", err);
    char path[1024];
    snprintf(path, sizeof path, "%s/results.json", dir);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) fail_msg("results.json does not parse: %s at line %d", jerr.text, jerr.line);
    check_results_json(root, &run);
    json_decref(root);
    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

/* The cell (scenario i, stack k) of the page data, expanded to the results
 * entry it stands for (as the page's cellOf does); NULL for an absent cell. */
static json_t *page_cell(json_t *page, size_t i, size_t k) {
    json_t *c = json_array_get(json_array_get(json_object_get(page, "cells"), i), k);
    if (json_is_null(c)) return NULL;
    json_t *verdicts = json_object_get(page, "verdicts");
    json_t *r = json_object();
    json_object_set(r, "scenario",
                    json_object_get(json_array_get(json_object_get(page, "scenarios"), i), "id"));
    json_object_set(r, "stack", json_object_get(json_array_get(json_object_get(page, "stacks"), k), "name"));
    json_int_t outcome = json_integer_value(json_array_get(c, 3)),
               ladder = json_integer_value(json_array_get(c, 4));
    json_object_set_new(r, "ran", json_boolean(outcome >= 0));
    json_object_set(r, "verdict", json_array_get(verdicts, (size_t)json_integer_value(json_array_get(c, 0))));
    if (json_array_size(c) >= 7) {
        json_object_set(r, "raw_verdict",
                        json_array_get(verdicts, (size_t)json_integer_value(json_array_get(c, 5))));
        json_object_set(r, "baseline",
                        json_array_get(verdicts, (size_t)json_integer_value(json_array_get(c, 6))));
    }
    json_object_set(
        r, "why",
        json_array_get(json_object_get(page, "whys"), (size_t)json_integer_value(json_array_get(c, 1))));
    json_object_set(r, "elapsed_ms", json_array_get(c, 2));
    json_object_set(r, "outcome",
                    outcome >= 0 ? json_array_get(json_object_get(page, "outcomes"), (size_t)outcome)
                                 : json_null());
    json_object_set_new(r, "events",
                        ladder >= 0
                            ? json_incref(json_array_get(json_object_get(page, "ladders"), (size_t)ladder))
                            : json_array());
    return r;
}

/* Each value of a shared table of the page data is there once. */
static void each_once(json_t *page, const char *table) {
    json_t *values = json_object_get(page, table);
    assert_true(json_is_array(values));
    for (size_t a = 0; a < json_array_size(values); a++)
        for (size_t b = a + 1; b < json_array_size(values); b++)
            if (json_equal(json_array_get(values, a), json_array_get(values, b)))
                fail_msg("%s[%zu] and [%zu] are equal", table, a, b);
}

static void test_html(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    char *dir = make_tmpdir();
    char err[512] = "";
    if (!sd_report_write_html(&run, dir, err, sizeof err)) fail_msg("%s", err);
    char path[1024];
    snprintf(path, sizeof path, "%s/index.html", dir);
    size_t len;
    char *html = read_all(path, &len);
    assert_int_equal(strlen(html), len);

    /* The blob is there and the placeholder is gone. */
    char *blob = strstr(html, page_results_tag);
    assert_non_null(blob);
    assert_null(strstr(html, "@@SHAKEDOWN_RESULTS@@"));
    blob += strlen(page_results_tag);
    char *blob_end = strstr(blob, "</script");
    assert_non_null(blob_end);
    /* Nothing in the blob can start a tag: it is base64 only, so the
     * hostile text a target said appears nowhere raw. */
    size_t blob_len = (size_t)(blob_end - blob);
    assert_true(blob_len > 0);
    assert_int_equal(strspn(blob, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
                     blob_len);
    assert_null(strstr(html, hostile));
    assert_null(strstr(html, "<img"));

    /* Decoded, it is the page data, and that holds every result of
     * results.json: the same run, stacks and scenarios, and each cell
     * expanded from the shared tables equal to its results entry (less the
     * outcome's own time, which the page does not show). */
    json_t *page = page_data_in(html);
    char *page_text = sd_report_page_json_text(&run);
    assert_non_null(page_text);
    json_t *direct = json_loads(page_text, 0, NULL);
    assert_true(json_equal(page, direct));
    json_decref(direct);
    free(page_text);
    char *results_text = sd_report_json_text(&run, 0);
    json_t *results = json_loads(results_text, 0, NULL);
    free(results_text);
    assert_non_null(results);
    check_results_json(results, &run);
    static const char *const same[] = {"schema_version", "tool", "run", "stacks", "totals", "scenarios"};
    for (size_t f = 0; f < sizeof same / sizeof same[0]; f++) {
        if (!json_equal(json_object_get(page, same[f]), json_object_get(results, same[f])))
            fail_msg("the page's \"%s\" differs from results.json's", same[f]);
    }
    size_t next = 0;
    for (size_t i = 0; i < run.n_scenarios; i++) {
        for (size_t k = 0; k < run.n_stacks; k++) {
            json_t *cell = page_cell(page, i, k);
            if (!cell) continue;
            json_t *want = json_deep_copy(json_array_get(json_object_get(results, "results"), next++));
            json_object_del(json_object_get(want, "outcome"), "elapsed_ms");
            if (!json_equal(cell, want)) {
                char *a = json_dumps(cell, JSON_COMPACT), *b = json_dumps(want, JSON_COMPACT);
                fail_msg("cell %zu/%zu:\n page    %s\n results %s", i, k, a, b);
            }
            json_decref(cell);
            json_decref(want);
        }
    }
    assert_int_equal(next, json_array_size(json_object_get(results, "results")));
    each_once(page, "ladders");
    each_once(page, "outcomes");
    each_once(page, "whys");
    json_decref(results);
    json_decref(page);

    /* Two cells that did the same (boringssl's cell copied to the model's,
     * in another time): one ladder and one outcome, shared. */
    *sd_report_cell_at(&run, 1, 0) = *sd_report_cell_at(&run, 1, 1);
    sd_report_cell_at(&run, 1, 0)->elapsed_ms += 1;
    sd_report_cell_at(&run, 1, 0)->outcome.elapsed_ms += 1;
    page_text = sd_report_page_json_text(&run);
    page = json_loads(page_text, 0, NULL);
    free(page_text);
    assert_non_null(page);
    json_t *c10 = json_array_get(json_array_get(json_object_get(page, "cells"), 1), 0);
    json_t *c11 = json_array_get(json_array_get(json_object_get(page, "cells"), 1), 1);
    assert_int_equal(json_integer_value(json_array_get(c10, 3)), json_integer_value(json_array_get(c11, 3)));
    assert_int_equal(json_integer_value(json_array_get(c10, 4)), json_integer_value(json_array_get(c11, 4)));
    assert_true(json_real_value(json_array_get(c10, 2)) != json_real_value(json_array_get(c11, 2)));
    each_once(page, "ladders");
    json_decref(page);

    /* The page uses no innerHTML and fetches nothing. */
    assert_null(strstr(html, "innerHTML"));
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
    free(html);

    /* A second render to keep the page for a look, if asked. */
    const char *keep = getenv("SHAKEDOWN_TEST_REPORT_DIR");
    if (keep && *keep) {
        assert_true(sd_report_write_html(&run, keep, err, sizeof err));
        assert_true(sd_report_write_json(&run, keep, err, sizeof err));
    }
    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

static void test_summary_md(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    char *dir = make_tmpdir();
    char err[512] = "";
    if (!sd_report_write_summary_md(&run, dir, err, sizeof err)) fail_msg("%s", err);
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *md = read_all(path, NULL);
    assert_null(strstr(md, "<img"));
    assert_null(strstr(md, "</script"));
    assert_non_null(strstr(md, "&lt;/script&gt;"));
    assert_non_null(strstr(md, "| model |"));
    assert_non_null(strstr(md, "**FAIL**"));
    free(md);
    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

static void test_atomic_write(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    char *dir = make_tmpdir();
    char err[512] = "";
    assert_true(sd_report_write_json(&run, dir, err, sizeof err));
    assert_true(sd_report_write_html(&run, dir, err, sizeof err));
    assert_true(sd_report_write_summary_md(&run, dir, err, sizeof err));
    /* Writing again replaces in place. */
    assert_true(sd_report_write_json(&run, dir, err, sizeof err));
    assert_true(sd_report_write_file(dir, "x.txt", "hello", 5, err, sizeof err));

    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (strstr(e->d_name, ".tmp")) fail_msg("temporary file left behind: %s", e->d_name);
        files++;
    }
    closedir(d);
    assert_int_equal(files, 4);
    char path[1024];
    snprintf(path, sizeof path, "%s/x.txt", dir);
    char *x = read_all(path, NULL);
    assert_string_equal(x, "hello");
    free(x);

    /* A folder that does not exist: an error that names the path. */
    char missing[1024];
    snprintf(missing, sizeof missing, "%s/no/such/dir", dir);
    err[0] = '\0';
    assert_false(sd_report_write_json(&run, missing, err, sizeof err));
    assert_non_null(strstr(err, missing));

    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

/* junit.xml: one suite per stack, FAIL as <failure>, ERROR as <error>, SKIP
 * as <skipped>; everything a target said is escaped, invalid bytes are
 * replaced, and the file parses as XML (checked by counting, since cmocka
 * has no XML parser: no raw '<' may come from the data). */
static void test_junit(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    char *dir = make_tmpdir();
    char err[512] = "";
    if (!sd_report_write_junit(&run, dir, err, sizeof err)) fail_msg("%s", err);
    char path[1024];
    snprintf(path, sizeof path, "%s/junit.xml", dir);
    char *x = read_all(path, NULL);
    assert_non_null(
        strstr(x, "<testsuite name=\"model\" tests=\"3\" failures=\"1\" errors=\"1\" skipped=\"0\""));
    assert_non_null(
        strstr(x, "<testsuite name=\"boringssl\" tests=\"3\" failures=\"0\" errors=\"0\" skipped=\"1\""));
    assert_non_null(strstr(x, "<failure type=\"FAIL\""));
    assert_non_null(strstr(x, "<error type=\"ERROR\""));
    assert_non_null(strstr(x, "<skipped type=\"SKIP\""));
    assert_non_null(strstr(x, "BoringSSL &lt;17&gt; &amp; co"));
    assert_null(strstr(x, "<img"));
    assert_null(strstr(x, "\xff"));
    size_t open_cases = 0, close_cases = 0;
    for (const char *p = x; (p = strstr(p, "<testcase ")) != NULL; p++) open_cases++;
    for (const char *p = x; (p = strstr(p, "</testcase>")) != NULL; p++) close_cases++;
    assert_int_equal(open_cases, 6);
    assert_int_equal(close_cases, 6);
    free(x);
    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads a baseline file and applies it to every cell of run, as `shakedown
 * conform --baseline` and `shakedown report --baseline` do. */
static bool apply_baseline(sd_report_run *run, const char *path, size_t *n, char *err, size_t err_len) {
    sd_baseline bl;
    if (!sd_baseline_load(path, sd_report_baseline_from_json, &bl, err, err_len)) return false;
    *n = 0;
    for (size_t i = 0; i < run->n_scenarios; i++)
        for (size_t k = 0; k < run->n_stacks; k++) {
            sd_report_cell *c = sd_report_cell_at(run, i, k);
            if (sd_baseline_apply(&bl, run->scenarios[i].id, run->stacks[k].name, &c->verdict, c->why,
                                  sizeof c->why, &c->baseline))
                (*n)++;
        }
    sd_baseline_free(&bl);
    return true;
}

/* The baseline's rule, cell by cell: a listed failure that still fails is
 * XFAIL, one that passes now XPASS, with why saying so; SKIP and ERROR are
 * marked but keep their verdict; applying twice judges the raw verdict. */
static void test_baseline_rule(void **state) {
    (void)state;
    sd_baseline bl = {0};
    assert_true(sd_baseline_add(&bl, "a", "model", SD_VERDICT_FAIL));
    assert_true(sd_baseline_add(&bl, "b", "model", SD_VERDICT_PASS));
    char why[64];
    sd_verdict v = SD_VERDICT_CRASH;
    sd_baseline_mark mark = {0};
    snprintf(why, sizeof why, "crash at step 2");
    assert_true(sd_baseline_apply(&bl, "a", "model", &v, why, sizeof why, &mark));
    assert_int_equal(v, SD_VERDICT_XFAIL);
    assert_string_equal(why, "expected failure (baseline: FAIL), still CRASH: crash at step 2");
    assert_true(mark.applied);
    assert_int_equal(mark.raw, SD_VERDICT_CRASH);
    assert_int_equal(mark.recorded, SD_VERDICT_FAIL);
    /* Again: still judged on the raw CRASH. */
    assert_true(sd_baseline_apply(&bl, "a", "model", &v, why, sizeof why, &mark));
    assert_int_equal(v, SD_VERDICT_XFAIL);
    assert_int_equal(mark.raw, SD_VERDICT_CRASH);

    v = SD_VERDICT_PASS;
    why[0] = '\0';
    mark = (sd_baseline_mark){0};
    assert_true(sd_baseline_apply(&bl, "a", "model", &v, why, sizeof why, &mark));
    assert_int_equal(v, SD_VERDICT_XPASS);
    assert_string_equal(why, "expected failure (baseline: FAIL) now PASS: update the baseline");

    v = SD_VERDICT_SKIP;
    snprintf(why, sizeof why, "group 29");
    mark = (sd_baseline_mark){0};
    assert_true(sd_baseline_apply(&bl, "a", "model", &v, why, sizeof why, &mark));
    assert_int_equal(v, SD_VERDICT_SKIP);
    assert_string_equal(why, "group 29");
    assert_true(mark.applied);

    /* Not a failure in the baseline, or not in it at all: untouched. */
    v = SD_VERDICT_FAIL;
    mark = (sd_baseline_mark){0};
    assert_false(sd_baseline_apply(&bl, "b", "model", &v, why, sizeof why, &mark));
    assert_false(sd_baseline_apply(&bl, "a", "boringssl", &v, why, sizeof why, &mark));
    assert_int_equal(v, SD_VERDICT_FAIL);
    assert_false(mark.applied);
    sd_baseline_free(&bl);
}

/* A baseline turns a still-failing cell into XFAIL and a now-passing one
 * into XPASS; neither is a finding. Bad lines are errors with file:line. */
static void test_baseline(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    char *dir = make_tmpdir();
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/baseline.txt", dir);
    write_text(path, "# expected failures\n"
                     "tls13.client.handshake.happy model FAIL   # still fails\n"
                     "tls13.server.finished.bitflip boringssl CRASH\n"
                     "tls13.server.finished.bitflip model PASS\n"
                     "no.such.scenario model FAIL\n");
    size_t n = 0;
    if (!apply_baseline(&run, path, &n, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(n, 2);
    assert_int_equal(sd_report_cell_at(&run, 1, 0)->verdict, SD_VERDICT_XFAIL);
    assert_int_equal(sd_report_cell_at(&run, 0, 1)->verdict, SD_VERDICT_XPASS);
    assert_int_equal(sd_report_cell_at(&run, 0, 0)->verdict, SD_VERDICT_PASS);
    assert_false(sd_verdict_is_finding(SD_VERDICT_XFAIL));
    assert_false(sd_verdict_is_finding(SD_VERDICT_XPASS));

    /* The same baseline as a results.json, and a baseline made from a run
     * that had one (its raw verdicts count). */
    if (!sd_report_write_json(&run, dir, err, sizeof err)) fail_msg("%s", err);
    sd_report_run again;
    make_run(&again);
    snprintf(path, sizeof path, "%s/results.json", dir);
    if (!apply_baseline(&again, path, &n, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(n, 1); /* only the model FAIL; the CRASH was never real */
    assert_int_equal(sd_report_cell_at(&again, 1, 0)->verdict, SD_VERDICT_XFAIL);
    sd_report_run_free(&again);

    snprintf(path, sizeof path, "%s/bad.txt", dir);
    write_text(path, "ok.one model FAIL\nnot enough words\n");
    assert_false(apply_baseline(&run, path, &n, err, sizeof err));
    assert_non_null(strstr(err, "bad.txt:2:"));
    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

/* results.json read back renders the same results.json, byte for byte:
 * `shakedown report` loses nothing. */
static void test_load_json_round_trip(void **state) {
    (void)state;
    sd_report_run run;
    make_run(&run);
    char *dir = make_tmpdir();
    char err[512] = "";
    if (!sd_report_write_json(&run, dir, err, sizeof err)) fail_msg("%s", err);
    char path[1024];
    snprintf(path, sizeof path, "%s/results.json", dir);
    size_t len1 = 0, len2 = 0;
    char *first = read_all(path, &len1);
    sd_report_run back;
    if (!sd_report_load_json(path, &back, err, sizeof err)) fail_msg("%s", err);
    char *text = sd_report_json_text(&back, 2);
    assert_non_null(text);
    len2 = strlen(text);
    assert_int_equal(len1, len2 + 1); /* the file ends in a newline */
    assert_memory_equal(first, text, len2);
    free(text);
    free(first);
    sd_report_run_free(&back);

    snprintf(path, sizeof path, "%s/junk.json", dir);
    write_text(path, "{\"schema_version\": 99}");
    assert_false(sd_report_load_json(path, &back, err, sizeof err));
    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

/* --- alert sets -------------------------------------------------------------
 * Where the RFCs allow more than one alert (`expect: alert decrypt_error |
 * decode_error`), any alert of the set passes, the why names the one chosen,
 * and every report shows the set and the choice. */

static sd_scenario *set_scenario(void) {
    sd_scenario *s = scenario_of(SD_EXPECT_ALERT, SD_decrypt_error);
    s->expect_alert_also[0] = SD_decode_error;
    s->n_expect_alert_also = 1;
    return s;
}

static void test_alert_sets_classify(void **state) {
    (void)state;
    char why[512];
    sd_scenario *s = set_scenario();
    assert_true(sd_scenario_expects_alert(s, SD_decrypt_error));
    assert_true(sd_scenario_expects_alert(s, SD_decode_error));
    assert_false(sd_scenario_expects_alert(s, SD_unexpected_message));
    char buf[128];
    sd_expectation_describe(s, buf, sizeof buf);
    assert_string_equal(buf, "alert decrypt_error | decode_error");

    sd_outcome o = outcome_of(SD_OUTCOME_ALERT, SD_decode_error);
    assert_int_equal(sd_classify(s, &o, why, sizeof why), SD_VERDICT_PASS);
    assert_string_equal(
        why, "chose decode_error, one of the alerts the RFCs allow here (decrypt_error | decode_error)");
    o = outcome_of(SD_OUTCOME_ALERT, SD_decrypt_error);
    assert_int_equal(sd_classify(s, &o, why, sizeof why), SD_VERDICT_PASS);
    assert_non_null(strstr(why, "chose decrypt_error"));
    /* Outside the set: SOFT, naming the whole set. */
    o = outcome_of(SD_OUTCOME_ALERT, SD_unexpected_message);
    assert_int_equal(sd_classify(s, &o, why, sizeof why), SD_VERDICT_SOFT);
    assert_non_null(
        strstr(why, "expected one of decrypt_error | decode_error, got alert unexpected_message"));
    o = outcome_of(SD_OUTCOME_COMPLETED, 0);
    assert_int_equal(sd_classify(s, &o, why, sizeof why), SD_VERDICT_FAIL);
    assert_non_null(strstr(why, "expected refusal with decrypt_error | decode_error"));
    o = outcome_of(SD_OUTCOME_WAITING, 0);
    assert_int_equal(sd_classify(s, &o, why, sizeof why), SD_VERDICT_FAIL);
    /* A set of one is an ordinary expectation: no why on a PASS. */
    s->n_expect_alert_also = 0;
    o = outcome_of(SD_OUTCOME_ALERT, SD_decode_error);
    assert_int_equal(sd_classify(s, &o, why, sizeof why), SD_VERDICT_SOFT);
    o = outcome_of(SD_OUTCOME_ALERT, SD_decrypt_error);
    assert_int_equal(sd_classify(s, &o, why, sizeof why), SD_VERDICT_PASS);
    assert_string_equal(why, "");
    /* An unnamed alert in a set reads as a number. */
    s = set_scenario();
    s->expect_alert_also[1] = 253;
    s->n_expect_alert_also = 2;
    sd_expectation_describe(s, buf, sizeof buf);
    assert_string_equal(buf, "alert decrypt_error | decode_error | alert 253");
}

/* One scenario with a set, model choosing decrypt_error and BoringSSL
 * decode_error: results.json lists the set and keeps it through a reload,
 * and summary.md says who chose what. */
static void test_alert_sets_reports(void **state) {
    (void)state;
    sd_report_run run;
    assert_true(sd_report_run_init(&run, 1, 2));
    snprintf(run.stacks[0].name, sizeof run.stacks[0].name, "model");
    snprintf(run.stacks[1].name, sizeof run.stacks[1].name, "boringssl");
    sd_scenario *s = set_scenario();
    snprintf(s->id, sizeof s->id, "tls13.server.finished.truncated");
    sd_report_scenario_set(&run.scenarios[0], s);
    assert_int_equal(run.scenarios[0].n_expect_alert_also, 1);
    const uint8_t chose[2] = {SD_decrypt_error, SD_decode_error};
    for (size_t k = 0; k < 2; k++) {
        sd_report_cell *c = sd_report_cell_at(&run, 0, k);
        c->ran = true;
        c->outcome = outcome_of(SD_OUTCOME_ALERT, chose[k]);
        c->verdict = sd_classify(s, &c->outcome, c->why, sizeof c->why);
        assert_int_equal(c->verdict, SD_VERDICT_PASS);
    }

    char *text = sd_report_json_text(&run, 0);
    assert_non_null(text);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    assert_non_null(root);
    json_t *ex = json_object_get(json_array_get(json_object_get(root, "scenarios"), 0), "expect");
    assert_string_equal(jtext(ex, "kind"), "alert");
    assert_string_equal(jtext(ex, "alert"), "decrypt_error");
    assert_string_equal(jtext(ex, "text"), "alert decrypt_error | decode_error");
    json_t *alerts = json_object_get(ex, "alerts");
    assert_int_equal(json_array_size(alerts), 2);
    assert_string_equal(json_string_value(json_array_get(alerts, 0)), "decrypt_error");
    assert_string_equal(json_string_value(json_array_get(alerts, 1)), "decode_error");
    json_t *cell = json_array_get(json_object_get(root, "results"), 1);
    assert_string_equal(jtext(cell, "verdict"), "PASS");
    assert_non_null(strstr(jtext(cell, "why"), "chose decode_error"));
    json_decref(root);

    char *dir = make_tmpdir();
    char err[512] = "", path[1024];
    if (!sd_report_write_json(&run, dir, err, sizeof err)) fail_msg("%s", err);
    snprintf(path, sizeof path, "%s/results.json", dir);
    sd_report_run back;
    if (!sd_report_load_json(path, &back, err, sizeof err)) fail_msg("%s", err);
    assert_int_equal(back.scenarios[0].expect_alert, SD_decrypt_error);
    assert_int_equal(back.scenarios[0].n_expect_alert_also, 1);
    assert_int_equal(back.scenarios[0].expect_alert_also[0], SD_decode_error);
    char *again = sd_report_json_text(&back, 0);
    assert_string_equal(again, text);
    free(again);
    sd_report_run_free(&back);

    if (!sd_report_write_summary_md(&run, dir, err, sizeof err)) fail_msg("%s", err);
    snprintf(path, sizeof path, "%s/summary.md", dir);
    char *md = read_all(path, NULL);
    assert_non_null(strstr(md, "Where the RFCs allow more than one alert"));
    assert_non_null(strstr(md, "| alert decrypt\\_error \\| decode\\_error | model | decrypt\\_error | 1 |"));
    assert_non_null(
        strstr(md, "| alert decrypt\\_error \\| decode\\_error | boringssl | decode\\_error | 1 |"));
    free(md);
    free(text);
    remove_tree(dir);
    free(dir);
    sd_report_run_free(&run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outcome_init_and_events),
        cmocka_unit_test(test_outcome_describe),
        cmocka_unit_test(test_classify_table),
        cmocka_unit_test(test_verdict_names),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_compare_mutated_different_bytes),
        cmocka_unit_test(test_judge_stack),
        cmocka_unit_test(test_known_differences),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_results_json),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_summary_md),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_junit),
        cmocka_unit_test(test_baseline_rule),
        cmocka_unit_test(test_baseline),
        cmocka_unit_test(test_load_json_round_trip),
        cmocka_unit_test(test_alert_sets_classify),
        cmocka_unit_test(test_alert_sets_reports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
