/* test_claims.c — the security-claim check of the differential oracle
 * (oracle/claims.h): the labels file, the rules on synthetic outcomes, and
 * a real run where a stack completes with a defective credential while the
 * other refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/driver.h"
#include "oracle/claims.h"
#include "oracle/oracle.h"
#include "pki_fixture.h"
#include "protocol/target.h"
#include "run/differential.h"
#include "stacks/stacks.h"
#include "trace/trace.h"
#include "wire/names.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

static const char kLabels[] =
    "# a comment\n"
    "leaf server accept none -- a good chain\n"
    "leaf client accept none -- a good chain\n"
    "ca-as-leaf server refuse:unsupported_certificate|bad_certificate ca-leaf -- RFC 5280 §4.2.1.9\n"
    "ca-as-leaf client refuse:unsupported_certificate ca-leaf -- RFC 5280 §4.2.1.9\n"
    "key-mismatch server refuse-signature:decrypt_error key-mismatch -- RFC 8446 §4.4.3\n"
    "\n"
    "leaf+ocsp-leaf-wrong-serial server refuse:bad_certificate_status_response ocsp-wrong-serial -- RFC 6066 "
    "§8\n";

static sd_claim_labels labels_of(const char *text) {
    sd_claim_labels l;
    char err[300];
    if (!sd_claim_labels_parse("test", text, strlen(text), &l, err, sizeof err)) fail_msg("%s", err);
    return l;
}

static void test_parse(void **state) {
    (void)state;
    sd_claim_labels l = labels_of(kLabels);
    assert_int_equal(l.n, 6);
    const sd_claim_label *ca = sd_claim_label_find(&l, "ca-as-leaf", true);
    assert_non_null(ca);
    assert_true(ca->refuse);
    assert_false(ca->signature_defect);
    assert_string_equal(ca->alerts, "unsupported_certificate|bad_certificate");
    assert_string_equal(ca->defect, "ca-leaf");
    assert_string_equal(ca->rule, "RFC 5280 §4.2.1.9");
    assert_int_equal(ca->line, 4);
    assert_false(sd_claim_label_find(&l, "leaf", true)->refuse);
    assert_true(sd_claim_label_find(&l, "key-mismatch", true)->signature_defect);
    assert_null(sd_claim_label_find(&l, "key-mismatch", false));
    sd_claim_labels_free(&l);

    /* Each malformed line is refused with its line number. */
    static const struct {
        const char *text, *error;
    } bad[] = {
        {"leaf server accept none\n", "test:1: no \" -- \""},
        {"leaf server refuse:no_such_alert x -- r\n", "test:1: unknown alert \"no_such_alert\""},
        {"# c\nleaf peer accept none -- r\n", "test:2: shown-by"},
        {"leaf server maybe none -- r\n", "test:1: verdict"},
        {"leaf server accept -- r\n", "test:1: want"},
        {"leaf server accept none -- r\nleaf server accept none -- r\n", "test:2: a second line"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[300] = "";
        assert_false(sd_claim_labels_parse("test", bad[i].text, strlen(bad[i].text), &l, err, sizeof err));
        if (!strstr(err, bad[i].error)) fail_msg("%s: got \"%s\"", bad[i].text, err);
        assert_int_equal(l.n, 0);
    }
}

/* The claims.txt make_pki wrote labels every credential of the PKI for
 * both sides, and says of the two mutants' fixtures what the RFCs do. */
static void test_pki_labels_every_credential(void **state) {
    (void)state;
    sd_claim_labels l;
    char err[300];
    if (!sd_claim_labels_load(pki.dir, &l, err, sizeof err)) fail_msg("%s", err);
    for (size_t i = 0; i < pki.n_credentials; i++) {
        const char *name = pki.credentials[i].name;
        if (!sd_claim_label_find(&l, name, true) || !sd_claim_label_find(&l, name, false))
            fail_msg("credential %s has no label for each side", name);
    }
    assert_false(sd_claim_label_find(&l, "leaf", true)->refuse);
    assert_true(sd_claim_label_find(&l, "ca-as-leaf", true)->refuse);
    assert_true(sd_claim_label_find(&l, "ca-as-leaf", false)->refuse);
    assert_false(sd_claim_label_find(&l, "wrong-name", false)->refuse); /* a server checks no name */
    const sd_claim_label *wrong_serial = sd_claim_label_find(&l, "leaf+ocsp-leaf-wrong-serial", true);
    assert_non_null(wrong_serial);
    assert_true(wrong_serial->refuse);
    assert_string_equal(wrong_serial->alerts, "bad_certificate_status_response");
    sd_claim_labels_free(&l);
}

/* --- Synthetic outcomes ------------------------------------------------------ */

static void add_event(sd_outcome *o, sd_direction from, sd_event_kind kind, uint8_t code, int step) {
    sd_event e = {.from = from, .kind = kind, .code = code, .step = step};
    sd_outcome_add_event(o, &e);
}

/* The driver showed `credential` in a Certificate at step 2; the target
 * (client unless server) completed. */
static sd_outcome shown(const char *credential, bool server) {
    sd_outcome o;
    sd_outcome_init(&o);
    o.kind = SD_OUTCOME_COMPLETED;
    o.handshake_done = true;
    o.target_is_server = server;
    o.configured_version = SD_TLS13;
    add_event(&o, server ? SD_FROM_PEER : SD_FROM_TARGET, SD_EVENT_HANDSHAKE, SD_ClientHello, 0);
    add_event(&o, server ? SD_FROM_TARGET : SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_ServerHello, 1);
    add_event(&o, SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_Certificate, 2);
    snprintf(o.credentials[0], sizeof o.credentials[0], "%s", credential);
    o.events[o.n_events - 1].credential = 1;
    add_event(&o, SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_CertificateVerify, 3);
    o.events[o.n_events - 1].signer = 1; /* signed with the shown credential's key */
    add_event(&o, SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_Finished, 4);
    return o;
}

/* Puts e in just before the driver's Finished, which ends the flight the
 * check reads (shown() ends with it). */
static void add_before_finished(sd_outcome *o, const sd_event *e) {
    sd_event finished = o->events[o->n_events - 1];
    assert_int_equal(finished.code, SD_Finished);
    o->n_events--;
    sd_outcome_add_event(o, e);
    sd_outcome_add_event(o, &finished);
}

static sd_event *last_of(sd_outcome *o, uint8_t code) {
    for (size_t i = o->n_events; i > 0; i--)
        if (o->events[i - 1].kind == SD_EVENT_HANDSHAKE && o->events[i - 1].code == code)
            return &o->events[i - 1];
    fail_msg("no event %u", code);
    return NULL;
}

static void test_client_accepting_defective_chain(void **state) {
    (void)state;
    sd_claim_labels l = labels_of(kLabels);
    sd_outcome o = shown("ca-as-leaf", false);
    sd_claim_violation v;
    assert_true(sd_claim_check(&l, &o, &v));
    assert_string_equal(v.label->defect, "ca-leaf");
    assert_string_equal(v.shown, "ca-as-leaf");
    assert_int_equal(v.step, 2);
    char sig[512];
    sd_claim_signature("fuzz_trace", "model", &o, &v, sig, sizeof sig);
    assert_string_equal(sig, "fuzz_trace:claim:accepted-defective-credential(ca-leaf):by=model:tls13-client:"
                             "shown=ca-as-leaf");

    /* A good chain, or a refusal, is no violation. */
    sd_outcome good = shown("leaf", false);
    assert_false(sd_claim_check(&l, &good, &v));
    sd_outcome refused = shown("ca-as-leaf", false);
    refused.kind = SD_OUTCOME_ALERT;
    refused.alert = SD_unsupported_certificate;
    refused.handshake_done = false;
    assert_false(sd_claim_check(&l, &refused, &v));
    /* An unlabelled credential: nothing to hold the side to. */
    sd_outcome unlabelled = shown("not-in-the-table", false);
    assert_false(sd_claim_check(&l, &unlabelled, &v));
    /* No labels at all (a PKI without claims.txt): off. */
    sd_claim_labels none = {0, NULL};
    assert_false(sd_claim_check(&none, &o, &v));

    /* The choice of credential and the framing keep it as shown; an edit of
     * the message may have made it anything. */
    sd_outcome framed = shown("ca-as-leaf", false);
    sd_event *c = last_of(&framed, SD_Certificate);
    c->mutated = true;
    c->mutations = (1u << SD_MUT_CERT) | (1u << SD_MUT_SPLIT);
    assert_true(sd_claim_check(&l, &framed, &v));
    c->mutations |= 1u << SD_MUT_FLIP;
    assert_false(sd_claim_check(&l, &framed, &v));
    /* Raw bytes that start a Certificate could have replaced it. */
    sd_outcome raw = shown("ca-as-leaf", false);
    sd_event r = {.from = SD_FROM_PEER, .kind = SD_EVENT_RAW, .code = SD_handshake, .length = 40};
    r.head[0] = SD_Certificate;
    add_before_finished(&raw, &r);
    assert_false(sd_claim_check(&l, &raw, &v));
    /* What comes after the driver's Finished (a renegotiation's Certificate)
     * is not the first handshake's. */
    sd_outcome later = shown("ca-as-leaf", false);
    sd_outcome_add_event(&later, &r);
    assert_true(sd_claim_check(&l, &later, &v));
    sd_claim_labels_free(&l);
}

static void test_server_verifies_only_when_it_asks(void **state) {
    (void)state;
    sd_claim_labels l = labels_of(kLabels);
    sd_claim_violation v;
    sd_outcome o = shown("ca-as-leaf", true);
    o.configured_client_auth = SD_CLIENT_AUTH_NONE;
    assert_false(sd_claim_check(&l, &o, &v));
    /* RFC 8446 §4.4.2.4: a server that only requested a certificate may go
     * on with the client unauthenticated; it may not call it authenticated. */
    o.configured_client_auth = SD_CLIENT_AUTH_REQUEST;
    assert_false(sd_claim_check(&l, &o, &v));
    o.peer_authenticated = true;
    assert_true(sd_claim_check(&l, &o, &v));
    assert_string_equal(v.label->alerts, "unsupported_certificate"); /* the client-side label */
    o.peer_authenticated = false;
    o.configured_client_auth = SD_CLIENT_AUTH_REQUIRE;
    assert_true(sd_claim_check(&l, &o, &v));
    sd_claim_labels_free(&l);
}

static void test_staple_and_signature_defects(void **state) {
    (void)state;
    sd_claim_labels l = labels_of(kLabels);
    sd_claim_violation v;
    /* TLS 1.3: the response rides in the Certificate ("leaf,<response>"). */
    sd_outcome o13 = shown("leaf,ocsp-leaf-wrong-serial", false);
    assert_true(sd_claim_check(&l, &o13, &v));
    assert_string_equal(v.shown, "leaf+ocsp-leaf-wrong-serial");
    assert_string_equal(v.label->defect, "ocsp-wrong-serial");
    /* TLS 1.2: in a CertificateStatus after it. */
    sd_outcome o12 = shown("leaf", false);
    o12.configured_version = SD_TLS12;
    sd_event status = {
        .from = SD_FROM_PEER, .kind = SD_EVENT_HANDSHAKE, .code = SD_CertificateStatus, .step = 3};
    snprintf(o12.credentials[1], sizeof o12.credentials[1], "ocsp-leaf-wrong-serial");
    status.credential = 2;
    add_before_finished(&o12, &status);
    assert_true(sd_claim_check(&l, &o12, &v));
    char sig[512];
    sd_claim_signature("t", "boringssl", &o12, &v, sig, sizeof sig);
    assert_string_equal(
        sig, "t:claim:accepted-defective-credential(ocsp-wrong-serial):by=boringssl:tls12-client:shown=leaf+"
             "ocsp-leaf-wrong-serial");
    last_of(&o12, SD_CertificateStatus)->mutated = true;
    last_of(&o12, SD_CertificateStatus)->mutations = 1u << SD_MUT_TRUNCATE;
    assert_false(sd_claim_check(&l, &o12, &v));

    /* key-mismatch: only while the driver signed with the credential's own
     * (wrong) key; `sign-with=` may have put the right one in. */
    sd_outcome km = shown("key-mismatch", false);
    assert_true(sd_claim_check(&l, &km, &v));
    last_of(&km, SD_CertificateVerify)->mutated = true;
    last_of(&km, SD_CertificateVerify)->mutations = 1u << SD_MUT_SIGN_WITH;
    assert_false(sd_claim_check(&l, &km, &v));
    /* Nor when `cert=key-mismatch` changed the Certificate alone, and the
     * CertificateVerify was signed with the setup's credential ("leaf"),
     * which matches the certificate (a campaign met this). */
    km = shown("key-mismatch", false);
    snprintf(km.credentials[1], sizeof km.credentials[1], "leaf");
    last_of(&km, SD_CertificateVerify)->signer = 2;
    assert_false(sd_claim_check(&l, &km, &v));
    sd_claim_labels_free(&l);
}

/* --- A real run ---------------------------------------------------------------- */

/* tls13.client.ocsp.wrong-serial: the model client refuses the stapled
 * response about another certificate, BoringSSL (whose adapter leaves OCSP
 * to the application) completes. The claim check names BoringSSL's
 * acceptance, which known_differences.txt covers; had the model completed
 * too, sd_compare would have seen nothing. */
static void test_real_run(void **state) {
    (void)state;
    sd_claim_labels l;
    char err[600];
    if (!sd_claim_labels_load(pki.dir, &l, err, sizeof err)) fail_msg("%s", err);
    sd_scenario s;
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/tls13/client.ocsp.wrong-serial.sd",
             src ? src : SHAKEDOWN_SOURCE_DIR);
    if (!sd_scenario_load(path, &s, err, sizeof err)) fail_msg("%s", err);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, s.role, &pki);
    sd_run_config_apply_scenario(&cfg, &s);
    sd_outcome m, b;
    sd_divergence div;
    sd_differential_run_config(&s.trace, &cfg, &m, &b, &div, NULL, 0);
    sd_claim_violation v;
    assert_false(m.handshake_done);
    assert_false(sd_claim_check(&l, &m, &v));
    assert_true(b.handshake_done);
    assert_true(sd_claim_check(&l, &b, &v));
    assert_string_equal(v.label->defect, "ocsp-wrong-serial");

    char sig[512], why[600];
    /* Without known differences it is a finding, BoringSSL's. */
    assert_true(sd_claim_finding(&l, NULL, "fuzz_trace", &m, &b, sig, sizeof sig, why, sizeof why));
    assert_string_equal(sig, "fuzz_trace:claim:accepted-defective-credential(ocsp-wrong-serial):by=boringssl:"
                             "tls13-client:shown=leaf+ocsp-leaf-wrong-serial");
    assert_non_null(strstr(why, "boringssl completed the handshake"));
    /* The project's file covers BoringSSL's acceptance, and only BoringSSL's:
     * the model's signature stays a finding. */
    sd_known_differences known;
    const char *kd = sd_known_differences_default_path(NULL);
    if (!sd_known_differences_load(kd, &known, err, sizeof err)) fail_msg("%s", err);
    assert_false(sd_claim_finding(&l, &known, "fuzz_trace", &m, &b, sig, sizeof sig, why, sizeof why));
    assert_true(sd_claim_finding(&l, &known, "fuzz_trace", &b, &m, sig, sizeof sig, why, sizeof why));
    assert_non_null(strstr(sig, ":by=model:"));
    sd_known_differences_free(&known);
    sd_scenario_free(&s);
    sd_claim_labels_free(&l);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_pki_labels_every_credential),
        cmocka_unit_test(test_client_accepting_defective_chain),
        cmocka_unit_test(test_server_verifies_only_when_it_asks),
        cmocka_unit_test(test_staple_and_signature_defects),
        cmocka_unit_test(test_real_run),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
