/* test_judge.c — a verdict scores only what was tested: the step under test
 * of scenarios (trace/step_under_test.c), UNREACHED for a run that stopped
 * before it, and the driver's honest answers to what the RFC lets a stack
 * choose (an unplanned CertificateRequest), and its application behaviours
 * (HTTP, none), on the model in process, where every outcome is
 * deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/driver.h"
#include "oracle/oracle.h"
#include "run/scenario_set.h"
#include "stacks/stacks.h"
#include "trace/step_under_test.h"
#include "trace/trace.h"
#include "wire/names.h"

#include "pki_fixture.h"

#define HEAD(role, version, expect) \
    "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: " role "\nversion: " version "\nexpect: " expect "\n"

static sd_scenario parse(const char *text) {
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    return s;
}

static int sut_of(const char *text) {
    sd_scenario s = parse(text);
    int sut = sd_scenario_step_under_test(&s);
    sd_scenario_free(&s);
    return sut;
}

/* The first deviation from an honest peer, read from the trace. */
static void step_under_test_of_traces(void **state) {
    (void)state;
    static const char flight13[] = "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                                   "expect Certificate\nexpect CertificateVerify\nexpect Finished\n";
    char text[2048];
    /* A mutation. */
    snprintf(text, sizeof text, "%s%ssend Finished flip=first:0x01\n",
             HEAD("server", "1.3", "alert decrypt_error"), flight13);
    assert_int_equal(sut_of(text), 6);
    /* An alert mid-handshake, with honest steps after it. */
    snprintf(text, sizeof text, "%s%ssend-alert fatal handshake_failure\nsend Finished\n",
             HEAD("server", "1.3", "closed"), flight13);
    assert_int_equal(sut_of(text), 6);
    /* A message out of order: a second ClientHello after the server's flight. */
    snprintf(text, sizeof text, "%s%ssend ClientHello\n", HEAD("server", "1.3", "alert unexpected_message"),
             flight13);
    assert_int_equal(sut_of(text), 6);
    /* A raw record before the ClientHello. */
    snprintf(text, sizeof text, "%ssend-raw change_cipher_spec hex=\n%ssend Finished\n",
             HEAD("server", "1.3", "alert unexpected_message"), flight13);
    assert_int_equal(sut_of(text), 0);
    /* The compatibility CCS where §D.4 puts it is honest; application data
     * before the Finished is not. */
    snprintf(text, sizeof text, "%s%ssend-ccs\nsend-appdata \"ping\"\nsend Finished\n",
             HEAD("server", "1.3", "alert unexpected_message"), flight13);
    assert_int_equal(sut_of(text), 7);
    /* The honest mutations a family sets itself up with: a KeyUpdate asking
     * for an answer, then close_notify: the test is the last send. */
    snprintf(text, sizeof text,
             "%s%ssend Finished\nsend KeyUpdate body=01\nsend-alert warning close_notify\n",
             HEAD("server", "1.3", "closed"), flight13);
    assert_int_equal(sut_of(text), 8);
    /* A defective credential the driver presents as a server: its first
     * Certificate. */
    assert_int_equal(
        sut_of(HEAD("client", "1.3", "alert certificate_expired") "credential: expired\n"
                                                                  "expect ClientHello\nsend "
                                                                  "ServerHello\nsend "
                                                                  "EncryptedExtensions\nsend "
                                                                  "Certificate\nsend "
                                                                  "CertificateVerify\nsend Finished\n"),
        3);
    /* A stapled OCSP response other than the credential's own: the message
     * that carries it (TLS 1.3 Certificate, TLS 1.2 CertificateStatus);
     * the credential's own is honest, and the test is the last send. */
    static const char flight13_client[] = "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                                          "send Certificate\nsend CertificateVerify\nsend Finished\n";
    snprintf(text, sizeof text, "%sstaple: ocsp-leaf-wrong-serial\n%s",
             HEAD("client", "1.3", "alert bad_certificate_status_response"), flight13_client);
    assert_int_equal(sut_of(text), 3);
    snprintf(text, sizeof text, "%sstaple: ocsp-leaf\n%s",
             HEAD("client", "1.3", "alert bad_certificate_status_response"), flight13_client);
    assert_int_equal(sut_of(text), 5);
    static const char flight12_stapled[] =
        "expect ClientHello\nsend ServerHello\nsend Certificate\nsend CertificateStatus\n"
        "send ServerKeyExchange\nsend ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\n"
        "expect Finished\nsend-ccs\nsend Finished flip=first:0x01\n";
    snprintf(text, sizeof text, "%sstaple: ocsp-leaf-revoked\n%s",
             HEAD("client", "1.2", "alert certificate_revoked"), flight12_stapled);
    assert_int_equal(sut_of(text), 3);
    /* With the honest response, CertificateStatus is in order (RFC 6066
     * §8) and the flipped Finished is the test; without `staple:` no
     * CertificateStatus is, so it is. */
    snprintf(text, sizeof text, "%sstaple: ocsp-leaf\n%s", HEAD("client", "1.2", "alert decrypt_error"),
             flight12_stapled);
    assert_int_equal(sut_of(text), 10);
    snprintf(text, sizeof text, "%s%s", HEAD("client", "1.2", "alert decrypt_error"), flight12_stapled);
    assert_int_equal(sut_of(text), 3);
    /* TLS 1.2: static RSA has no ServerKeyExchange when the suite says so
     * (RFC 5246 §7.4.3), and skipping it is the deviation when it does not. */
    static const char rsa12[] =
        "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerHelloDone\n"
        "expect ClientKeyExchange\nexpect-ccs\nexpect Finished\nsend-ccs\n"
        "send Finished flip=first:0x01\n";
    snprintf(text, sizeof text, "%scredential: leaf-rsa\ncipher-suite: TLS_RSA_WITH_AES_128_GCM_SHA256\n%s",
             HEAD("client", "1.2", "alert decrypt_error"), rsa12);
    assert_int_equal(sut_of(text), 8);
    snprintf(text, sizeof text, "%scipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n%s",
             HEAD("client", "1.2", "alert unexpected_message"), rsa12);
    assert_int_equal(sut_of(text), 3);
    /* RFC 8879 §4: where the target offered compression (a client with
     * `certificate-compression:`), the driver's CompressedCertificate is
     * its Certificate, and the test is the flipped Finished; offered
     * nothing, the CompressedCertificate is out of order and is the test. */
    static const char compressed13_client[] =
        "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
        "send CompressedCertificate\nsend CertificateVerify\n"
        "send Finished flip=first:0x01\n";
    snprintf(text, sizeof text, "%scertificate-compression: zlib\n%s",
             HEAD("client", "1.3", "alert decrypt_error"), compressed13_client);
    assert_int_equal(sut_of(text), 5);
    snprintf(text, sizeof text, "%s%s", HEAD("client", "1.3", "alert unexpected_message"),
             compressed13_client);
    assert_int_equal(sut_of(text), 3);
    /* A happy path tests its whole run. */
    snprintf(text, sizeof text, "%s%ssend Finished flip=first:0x01\n", HEAD("server", "1.3", "complete"),
             flight13);
    assert_int_equal(sut_of(text), SD_STEP_WHOLE_RUN);
}

/* Every scenario the suite runs has a step under test that is an action
 * of its trace which sends something, or tests its whole run. */
static void every_scenario_has_a_step_under_test(void **state) {
    (void)state;
    sd_scenario_set set;
    assert_true(sd_scenario_set_load("test_judge", NULL, 0, NULL, true, &set));
    assert_true(set.n > 1000);
    size_t whole = 0;
    for (size_t i = 0; i < set.n; i++) {
        const sd_scenario *s = &set.items[i];
        int sut = sd_scenario_step_under_test(s);
        if (s->expect == SD_EXPECT_COMPLETE) {
            assert_int_equal(sut, SD_STEP_WHOLE_RUN);
            whole++;
            continue;
        }
        if (sut < 0 || (size_t)sut >= s->trace.n_actions) fail_msg("%s: step under test %d", s->id, sut);
        sd_action_kind k = s->trace.actions[sut].kind;
        if (k == SD_ACT_EXPECT || k == SD_ACT_EXPECT_APPDATA || k == SD_ACT_EXPECT_CLOSE ||
            k == SD_ACT_EXPECT_CCS)
            fail_msg("%s: the step under test %d is an expect", s->id, sut);
    }
    assert_true(whole > 0 && whole < set.n);
    sd_scenario_set_free(&set);
}

/* The oracle: a run that ended before the step under test is UNREACHED,
 * one that reached it is judged as before, and `complete` knows no
 * "not reached". */
static void unreached_is_neither_pass_nor_fail(void **state) {
    (void)state;
    sd_scenario s =
        parse(HEAD("server", "1.3", "closed") "send ClientHello\nexpect ServerHello\n"
                                              "send-alert fatal handshake_failure\nsend Finished\n");
    sd_outcome o;
    sd_outcome_init(&o);
    o.kind = SD_OUTCOME_WAITING; /* a silent server used to pass a closed scenario */
    o.step = 1;
    o.line = 9;
    o.reached = 0;
    char why[512];
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_UNREACHED);
    assert_non_null(strstr(why, "not reached"));
    assert_non_null(strstr(why, "step 2"));
    assert_false(sd_verdict_is_finding(SD_VERDICT_UNREACHED));
    sd_verdict v;
    assert_true(sd_verdict_from_name("UNREACHED", &v));
    assert_int_equal(v, SD_VERDICT_UNREACHED);
    /* The alert went out, and the stack went quiet: PASS as before. */
    o.reached = 3;
    o.step = 3;
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_PASS);
    /* A crash before the step is still a crash. */
    o.kind = SD_OUTCOME_CRASH;
    o.reached = 0;
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_CRASH);
    sd_scenario_free(&s);

    sd_scenario happy = parse(HEAD("server", "1.3", "complete") "send ClientHello\nexpect ServerHello\n");
    o.kind = SD_OUTCOME_WAITING;
    o.reached = 0;
    assert_int_equal(sd_classify(&happy, &o, why, sizeof why), SD_VERDICT_FAIL);
    sd_scenario_free(&happy);
}

static sd_verdict run_model(const char *text, sd_client_auth client_auth, sd_outcome *o) {
    sd_scenario s = parse(text);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, s.role, &pki);
    sd_run_config_apply_scenario(&cfg, &s);
    cfg.client_auth = client_auth;
    sd_driver_run(&s.trace, &cfg, o);
    char why[512];
    sd_verdict v = sd_classify(&s, o, why, sizeof why);
    if (getenv("SHAKEDOWN_TEST_VERBOSE")) fprintf(stderr, "%s: %s\n", sd_verdict_name(v), why);
    sd_scenario_free(&s);
    return v;
}

/* A server may ask for a client certificate whether or not the scenario
 * planned it (RFC 8446 §4.3.2, RFC 5246 §7.4.4): the driver answers as a
 * client without one, with an empty Certificate, and the scenario still
 * tests its own step. Without the answer the script would go off course at
 * `expect Certificate` (UNREACHED at best). */
static void unplanned_certificate_request_is_answered(void **state) {
    (void)state;
    static const char *const traces[] = {
        HEAD("server", "1.3", "alert decrypt_error") "send ClientHello\nexpect ServerHello\nexpect "
                                                     "EncryptedExtensions\nexpect Certificate\nexpect "
                                                     "CertificateVerify\nexpect Finished\nsend Finished "
                                                     "flip=first:0x01\n",
        HEAD("server", "1.2",
             "alert decrypt_error") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                                    "send ClientHello\nexpect ServerHello\nexpect "
                                    "Certificate\nexpect ServerKeyExchange\nexpect "
                                    "ServerHelloDone\nsend ClientKeyExchange\nsend-ccs\nsend "
                                    "Finished flip=first:0x01\n",
        HEAD("server", "1.3",
             "complete") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                         "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend "
                         "Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n",
    };
    for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++) {
        sd_outcome o;
        assert_int_equal(run_model(traces[i], SD_CLIENT_AUTH_REQUEST, &o), SD_VERDICT_PASS);
        /* The ladder shows the request and the empty answer, not marked as
         * the driver's deviation. */
        bool request = false, answer = false;
        for (size_t e = 0; e < o.n_events; e++) {
            const sd_event *ev = &o.events[e];
            if (ev->kind != SD_EVENT_HANDSHAKE) continue;
            request |= ev->from == SD_FROM_TARGET && ev->code == SD_CertificateRequest;
            if (ev->from == SD_FROM_PEER && ev->code == SD_Certificate) {
                answer = true;
                assert_false(ev->mutated);
            }
        }
        assert_true(request && answer);
        /* Asked to require a certificate, the model refuses the empty one
         * (certificate_required, RFC 8446 §4.4.2.4; handshake_failure in
         * TLS 1.2, RFC 5246 §7.4.6) before the step under test. */
        sd_verdict v = run_model(traces[i], SD_CLIENT_AUTH_REQUIRE, &o);
        assert_int_equal(o.kind, SD_OUTCOME_ALERT);
        assert_int_equal(v, i == 2 ? SD_VERDICT_FAIL : SD_VERDICT_UNREACHED);
    }
}

/* The model behind the interface, with what a stack over TCP would say of
 * its application (sd_target_status.app): HTTP, with the model answering
 * every read with a response (app_reply), or none. The model's target is
 * wrapped, since the driver calls the ops its target carries. */
static sd_app_protocol wrapped_app;
static const char http_page[] = "HTTP/1.0 200 ok\r\nContent-Type: text/plain\r\n\r\nhello\n";
static sd_target_ops wrapped_ops;

typedef struct {
    sd_target base;
    sd_target *inner;
} wrapped;

static sd_target *inner(sd_target *t) { return ((wrapped *)t)->inner; }

static sd_target *wrapped_create(const sd_target_config *cfg, sd_target_error *err) {
    sd_target_config c = *cfg;
    if (wrapped_app == SD_APP_HTTP) c.app_reply = sd_span_of((const uint8_t *)http_page, strlen(http_page));
    wrapped *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->base.ops = &wrapped_ops;
    w->inner = sd_target_model.create(&c, err);
    if (!w->inner) {
        free(w);
        return NULL;
    }
    return &w->base;
}
static void wrapped_start(sd_target *t) { sd_target_model.start(inner(t)); }
static void wrapped_feed(sd_target *t, sd_span b) { sd_target_model.feed(inner(t), b); }
static void wrapped_drain(sd_target *t, sd_buf *out) { sd_target_model.drain(inner(t), out); }
static void wrapped_destroy(sd_target *t) {
    sd_target_model.destroy(inner(t));
    free(t);
}
static void wrapped_status(sd_target *t, sd_target_status *out) {
    sd_target_model.status(inner(t), out);
    out->app = wrapped_app;
}

static void app_behaviours(void **state) {
    (void)state;
    wrapped_ops = (sd_target_ops){.name = "wrapped-model",
                                  .create = wrapped_create,
                                  .start = wrapped_start,
                                  .feed = wrapped_feed,
                                  .drain = wrapped_drain,
                                  .status = wrapped_status,
                                  .destroy = wrapped_destroy};
    const sd_target_ops *ops = &wrapped_ops;
    static const char happy[] =
        HEAD("server", "1.3", "complete") "send ClientHello\nexpect ServerHello\nexpect "
                                          "EncryptedExtensions\nexpect Certificate\nexpect "
                                          "CertificateVerify\nexpect Finished\nsend "
                                          "Finished\nsend-appdata \"ping\"\nexpect-appdata "
                                          "\"ping\"\nsend-alert warning "
                                          "close_notify\nexpect-close\n";
    sd_app_protocol apps[] = {SD_APP_ECHO, SD_APP_HTTP, SD_APP_NONE};
    for (size_t i = 0; i < 3; i++) {
        wrapped_app = apps[i];
        sd_scenario s = parse(happy);
        sd_run_config cfg;
        sd_run_config_defaults(&cfg, ops, s.role, &pki);
        sd_run_config_apply_scenario(&cfg, &s);
        sd_outcome o;
        sd_driver_run(&s.trace, &cfg, &o);
        char why[512];
        sd_verdict v = sd_classify(&s, &o, why, sizeof why);
        if (v != SD_VERDICT_PASS) fail_msg("app %d: %s %s", (int)apps[i], sd_verdict_name(v), why);
        /* What the driver sent: data in echo and HTTP, none in none. */
        size_t sent = 0, got = 0;
        for (size_t e = 0; e < o.n_events; e++) {
            if (o.events[e].kind != SD_EVENT_APPDATA) continue;
            if (o.events[e].from == SD_FROM_PEER) sent++;
            if (o.events[e].from == SD_FROM_TARGET) got++;
        }
        assert_int_equal(sent, apps[i] == SD_APP_NONE ? 0 : 1);
        assert_int_equal(got, apps[i] == SD_APP_NONE ? 0 : 1);
        sd_scenario_free(&s);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(step_under_test_of_traces),
        cmocka_unit_test(every_scenario_has_a_step_under_test),
        cmocka_unit_test(unreached_is_neither_pass_nor_fail),
        cmocka_unit_test(unplanned_certificate_request_is_answered),
        cmocka_unit_test(app_behaviours),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
