/* test_fuzz_input.c — fuzz inputs as traces (harness/trace/fuzz_input.c) and
 * the identity of a finding (sd_finding_signature in
 * harness/run/differential.c).
 *
 * - fuzz_client_hello turns any bytes, including none, into
 *   "send ClientHello body=<bytes>; expect ServerHello" with the stack as the
 *   server, the same trace the script parser gives for that text, and the
 *   trace prints as such a script and reads back equal;
 * - unknown targets fail cleanly, with nothing to free;
 * - the fuzz target is found from the folder a file sits in, nearest first,
 *   and never from the file's own name;
 * - the handshake-message targets build the honest handshake of their
 *   version with the message under test fuzzed where the driver sends it,
 *   and their setup (role, version, TLS 1.2 suite, credentials, client
 *   authentication) follows the variant byte;
 * - signatures are one word naming both outcomes, and stable. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "run/differential.h"
#include "driver/outcome.h"
#include "trace/fuzz_input.h"
#include "trace/trace.h"
#include "wire/bytes.h"
#include "wire/names.h"
#include "stacks/stacks.h"

/* The printed script as a NUL-terminated string (caller frees). */
static char *script_of(const sd_trace *t) {
    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(t, &b);
    sd_buf_u8(&b, 0);
    assert_false(b.failed);
    return (char *)b.data;
}

static void test_client_hello_trace(void **state) {
    (void)state;
    static const uint8_t input[] = {0x03, 0x03, 0xde, 0xad, 0x00, 0xff};
    sd_trace t;
    sd_fuzz_setup setup = {.role = SD_ROLE_CLIENT};
    char err[200] = "unchanged";
    assert_true(sd_fuzz_input_build("fuzz_client_hello", input, sizeof input, &t, &setup, err, sizeof err));
    assert_int_equal(setup.role, SD_ROLE_SERVER);
    assert_string_equal(err, "");
    assert_int_equal(t.n_actions, 2);

    const sd_action *send = &t.actions[0];
    assert_int_equal(send->kind, SD_ACT_SEND);
    assert_int_equal(send->msg_type, SD_ClientHello);
    assert_int_equal(send->n_mutations, 1);
    assert_int_equal(send->mutations[0].kind, SD_MUT_BODY);
    assert_int_equal(send->mutations[0].bytes_len, sizeof input);
    assert_memory_equal(send->mutations[0].bytes, input, sizeof input);
    /* A copy, not a view: the fuzzer reuses its buffer. */
    assert_ptr_not_equal(send->mutations[0].bytes, input);
    assert_false(send->force_plaintext);

    const sd_action *expect = &t.actions[1];
    assert_int_equal(expect->kind, SD_ACT_EXPECT);
    assert_int_equal(expect->msg_type, SD_ServerHello);

    /* The same trace as the script spelling of it. */
    static const char text[] = "send ClientHello body=0303dead00ff\nexpect ServerHello\n";
    sd_trace parsed;
    assert_true(sd_trace_parse("inline", text, strlen(text), &parsed, err, sizeof err));
    assert_true(sd_trace_equal(&t, &parsed));
    sd_trace_free(&parsed);
    sd_trace_free(&t);
}

static void test_empty_and_odd_inputs(void **state) {
    (void)state;
    sd_trace t;
    sd_fuzz_setup setup;
    char err[200];
    /* Empty: a ClientHello with an empty body, still a valid input. NULL
     * data with length 0 is what libFuzzer passes for it. */
    assert_true(sd_fuzz_input_build("fuzz_client_hello", NULL, 0, &t, &setup, err, sizeof err));
    assert_int_equal(t.n_actions, 2);
    assert_int_equal(t.actions[0].n_mutations, 1);
    assert_int_equal(t.actions[0].mutations[0].kind, SD_MUT_BODY);
    assert_int_equal(t.actions[0].mutations[0].bytes_len, 0);
    sd_trace_free(&t);

    /* The largest input a fuzz target runs, every byte value. */
    uint8_t *big = malloc(SD_FUZZ_MAX_INPUT);
    assert_non_null(big);
    for (size_t i = 0; i < SD_FUZZ_MAX_INPUT; i++) big[i] = (uint8_t)(i * 7);
    assert_true(
        sd_fuzz_input_build("fuzz_client_hello", big, SD_FUZZ_MAX_INPUT, &t, &setup, err, sizeof err));
    assert_int_equal(t.actions[0].mutations[0].bytes_len, SD_FUZZ_MAX_INPUT);
    assert_memory_equal(t.actions[0].mutations[0].bytes, big, SD_FUZZ_MAX_INPUT);
    sd_trace_free(&t);
    free(big);
}

static void test_unknown_target(void **state) {
    (void)state;
    sd_trace t;
    sd_fuzz_setup setup = {.role = SD_ROLE_CLIENT};
    char err[200] = "";
    static const uint8_t one = 1;
    assert_false(sd_fuzz_input_build("fuzz_nothing", &one, 1, &t, &setup, err, sizeof err));
    assert_non_null(strstr(err, "fuzz_nothing"));
    assert_int_equal(t.n_actions, 0);
    assert_int_equal(setup.role, SD_ROLE_CLIENT); /* untouched on failure */
    sd_trace_free(&t);                            /* nothing to free, and safe */
    assert_false(sd_fuzz_input_build(NULL, &one, 1, &t, &setup, err, sizeof err));
    sd_trace_free(&t);
    /* No err buffer is fine too. */
    assert_false(sd_fuzz_input_build("", &one, 1, &t, &setup, NULL, 0));
    sd_trace_free(&t);
}

static void test_known_names(void **state) {
    (void)state;
    assert_true(sd_fuzz_target_known("fuzz_client_hello"));
    assert_false(sd_fuzz_target_known("fuzz_client"));
    assert_false(sd_fuzz_target_known(""));
    assert_false(sd_fuzz_target_known(NULL));
    /* Every listed name builds a trace: the list and the builder agree. */
    for (size_t i = 0; sd_fuzz_target_names[i]; i++) {
        sd_trace t;
        sd_fuzz_setup setup;
        char err[200];
        assert_true(sd_fuzz_input_build(sd_fuzz_target_names[i], NULL, 0, &t, &setup, err, sizeof err));
        sd_trace_free(&t);
    }
}

static void test_target_from_path(void **state) {
    (void)state;
    assert_string_equal(sd_fuzz_target_from_path("corpus/fuzz_client_hello/xyz"), "fuzz_client_hello");
    assert_string_equal(sd_fuzz_target_from_path("/abs/corpus/regressions/fuzz_client_hello/crash-1"),
                        "fuzz_client_hello");
    assert_string_equal(sd_fuzz_target_from_path("fuzz_client_hello/x"), "fuzz_client_hello");
    assert_string_equal(sd_fuzz_target_from_path("findings/fuzz_client_hello//0123abcd"),
                        "fuzz_client_hello");
    /* A target folder further out still counts... */
    assert_string_equal(sd_fuzz_target_from_path("fuzz_client_hello/sub/dir/x"), "fuzz_client_hello");
    /* ...but the file's own name never does, nor a near miss. */
    assert_null(sd_fuzz_target_from_path("fuzz_client_hello"));
    assert_null(sd_fuzz_target_from_path("crashes/fuzz_client_hello"));
    assert_null(sd_fuzz_target_from_path("corpus/fuzz_client_hello2/x"));
    assert_null(sd_fuzz_target_from_path("corpus/xfuzz_client_hello/x"));
    assert_null(sd_fuzz_target_from_path("x"));
    assert_null(sd_fuzz_target_from_path("/x"));
    assert_null(sd_fuzz_target_from_path("/"));
    assert_null(sd_fuzz_target_from_path(""));
    assert_null(sd_fuzz_target_from_path(NULL));
}

static void test_print(void **state) {
    (void)state;
    static const uint8_t input[] = {0x01, 0x00, 0xab};
    sd_trace t;
    sd_fuzz_setup setup;
    char err[200];
    assert_true(sd_fuzz_input_build("fuzz_client_hello", input, sizeof input, &t, &setup, err, sizeof err));
    char *script = script_of(&t);
    assert_non_null(strstr(script, "send ClientHello body="));
    assert_string_equal(script, "send ClientHello body=0100ab\nexpect ServerHello\n");

    /* The printed script reads back as the same trace: what repro shows is
     * what ran. */
    sd_trace back;
    assert_true(sd_trace_parse("printed", script, strlen(script), &back, err, sizeof err));
    assert_true(sd_trace_equal(&t, &back));
    sd_trace_free(&back);
    free(script);
    sd_trace_free(&t);
}

/* Builds target's trace for input and checks its script and setup. */
static sd_fuzz_setup build_and_check(const char *target, const uint8_t *input, size_t len,
                                     const char *want_script) {
    sd_trace t;
    sd_fuzz_setup setup;
    char err[200];
    assert_true(sd_fuzz_input_build(target, input, len, &t, &setup, err, sizeof err));
    char *script = script_of(&t);
    assert_string_equal(script, want_script);
    free(script);
    sd_trace_free(&t);
    return setup;
}

static void test_hello_retry_request_trace(void **state) {
    (void)state;
    static const uint8_t input[] = {0x00, 0xaa, 0xbb};
    sd_fuzz_setup s = build_and_check("fuzz_hello_retry_request", input, sizeof input,
                                      "expect ClientHello\n"
                                      "send HelloRetryRequest body=aabb\n"
                                      "expect ClientHello\n"
                                      "send ServerHello\nsend EncryptedExtensions\nsend Certificate\n"
                                      "send CertificateVerify\nsend Finished\nexpect Finished\n");
    assert_int_equal(s.role, SD_ROLE_CLIENT);
    assert_int_equal(s.version, SD_TLS13);
    assert_int_equal(s.cipher_suite, 0);
    assert_null(s.server_credential);
    assert_int_equal(s.client_auth, SD_CLIENT_AUTH_NONE);
}

static void test_tls12_client_side_shapes(void **state) {
    (void)state;
    /* ECDHE_RSA (bits 4-5 = 1), honest ServerKeyExchange with one flip at
     * offset 3 and an appended byte. */
    static const uint8_t edit[] = {0x11, 0x01, 0x00, 0x03, 0x80, 0xee};
    sd_fuzz_setup s = build_and_check("fuzz_server_key_exchange", edit, sizeof edit,
                                      "expect ClientHello\nsend ServerHello\nsend Certificate\n"
                                      "send ServerKeyExchange flip=3:0x80 append=ee\n"
                                      "send ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\n"
                                      "expect Finished\nsend-ccs\nsend Finished\n");
    assert_int_equal(s.role, SD_ROLE_CLIENT);
    assert_int_equal(s.version, SD_TLS12);
    assert_int_equal(s.cipher_suite, SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    assert_string_equal(s.server_credential, "leaf-rsa");
    assert_null(s.target_client_credential);

    /* Static RSA has no ServerKeyExchange, but the message under test is
     * sent anyway (RFC 5246 §7.4.3); the other targets leave it out. */
    static const uint8_t rsa[] = {0x20};
    s = build_and_check("fuzz_server_key_exchange", rsa, sizeof rsa,
                        "expect ClientHello\nsend ServerHello\nsend Certificate\n"
                        "send ServerKeyExchange body=\nsend ServerHelloDone\nexpect ClientKeyExchange\n"
                        "expect-ccs\nexpect Finished\nsend-ccs\nsend Finished\n");
    assert_int_equal(s.cipher_suite, SD_TLS_RSA_WITH_AES_128_GCM_SHA256);
    static const uint8_t rsa_done[] = {0x21};
    build_and_check("fuzz_server_hello_done", rsa_done, sizeof rsa_done,
                    "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerHelloDone\n"
                    "expect ClientKeyExchange\nexpect-ccs\nexpect Finished\nsend-ccs\nsend Finished\n");

    /* Client authentication (bit 6): the client presents its certificate;
     * with bit 7 it has none and sends no CertificateVerify. A ticket is
     * announced and sent before the server's CCS (RFC 5077 §3.3). */
    static const uint8_t auth[] = {0x71};
    s = build_and_check("fuzz_tls12_server_hello", auth, sizeof auth,
                        "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerKeyExchange\n"
                        "send CertificateRequest\nsend ServerHelloDone\nexpect Certificate\n"
                        "expect ClientKeyExchange\nexpect CertificateVerify\nexpect-ccs\nexpect Finished\n"
                        "send-ccs\nsend Finished\n");
    assert_string_equal(s.target_client_credential, "client");
    assert_int_equal(s.cipher_suite, SD_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);
    assert_string_equal(s.server_credential, "leaf");
    static const uint8_t no_cert[] = {0xc1};
    s = build_and_check("fuzz_tls12_new_session_ticket", no_cert, sizeof no_cert,
                        "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerKeyExchange\n"
                        "send CertificateRequest\nsend ServerHelloDone\nexpect Certificate\n"
                        "expect ClientKeyExchange\nexpect-ccs\nexpect Finished\nsend NewSessionTicket\n"
                        "send-ccs\nsend Finished\n");
    assert_null(s.target_client_credential);
    assert_true(s.announce_ticket);
}

static void test_tls12_server_side_shapes(void **state) {
    (void)state;
    /* CertificateVerify is received by the server, which asks for it. */
    static const uint8_t cv[] = {0x01};
    sd_fuzz_setup s = build_and_check("fuzz_tls12_certificate_verify", cv, sizeof cv,
                                      "send ClientHello\nexpect ServerHello\nexpect Certificate\n"
                                      "expect ServerKeyExchange\nexpect CertificateRequest\n"
                                      "expect ServerHelloDone\nsend Certificate\nsend ClientKeyExchange\n"
                                      "send CertificateVerify\nsend-ccs\nsend Finished\nexpect-ccs\n"
                                      "expect Finished\n");
    assert_int_equal(s.role, SD_ROLE_SERVER);
    assert_int_equal(s.client_auth, SD_CLIENT_AUTH_REQUEST);
    assert_string_equal(s.client_credential, "client");

    /* The side bit of an either-side message; CCS framing (bits 2-3 = 3)
     * puts a second CCS right before the fuzzed Finished. */
    static const uint8_t fin[] = {0x2e, 0x00};
    s = build_and_check("fuzz_tls12_finished", fin, sizeof fin,
                        "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerHelloDone\n"
                        "send ClientKeyExchange\nsend-ccs\nsend-ccs\nsend Finished body=00\nexpect-ccs\n"
                        "expect Finished\n");
    assert_int_equal(s.role, SD_ROLE_SERVER);
    assert_int_equal(s.client_auth, SD_CLIENT_AUTH_NONE);

    /* The setup lands in the run configuration. */
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, SD_ROLE_CLIENT, NULL);
    sd_fuzz_setup_apply(&s, &cfg);
    assert_int_equal(cfg.target_role, SD_ROLE_SERVER);
    assert_int_equal(cfg.version, SD_TLS12);
    assert_int_equal(cfg.cipher_suite, SD_TLS_RSA_WITH_AES_128_GCM_SHA256);
    assert_string_equal(cfg.target_credential, "leaf-rsa");
    assert_string_equal(cfg.driver_credential, "leaf-rsa");

    /* A TLS 1.3 target's setup is the defaults'. */
    static const uint8_t tls13[] = {0x71};
    sd_trace t;
    assert_true(sd_fuzz_input_build("fuzz_certificate", tls13, sizeof tls13, &t, &s, NULL, 0));
    sd_trace_free(&t);
    sd_run_config_defaults(&cfg, &sd_target_model, SD_ROLE_CLIENT, NULL);
    sd_fuzz_setup_apply(&s, &cfg);
    assert_int_equal(cfg.version, SD_TLS13);
    assert_int_equal(cfg.cipher_suite, 0);
    assert_string_equal(cfg.driver_credential, "leaf");
    assert_int_equal(cfg.client_auth, SD_CLIENT_AUTH_NONE);
}

static void test_signature(void **state) {
    (void)state;
    sd_outcome m, b;
    sd_outcome_init(&m);
    sd_outcome_init(&b);
    m.kind = SD_OUTCOME_ALERT;
    m.alert_level = SD_ALERT_LEVEL_FATAL;
    m.alert = SD_decode_error;
    m.step = 0;
    snprintf(m.detail, sizeof m.detail, "details never enter the signature");
    b.kind = SD_OUTCOME_WAITING;
    b.step = 1;
    char sig[256];
    sd_finding_signature("fuzz_client_hello", &m, &b, sig, sizeof sig);
    assert_string_equal(sig, "fuzz_client_hello:model=alert(decode_error)@0:boringssl=waiting@1");
    assert_null(strchr(sig, ' '));

    /* Same kinds, alerts and steps: same signature, whatever the details. */
    sd_outcome m2 = m;
    snprintf(m2.detail, sizeof m2.detail, "other words");
    m2.elapsed_ms = 123;
    char sig2[256];
    sd_finding_signature("fuzz_client_hello", &m2, &b, sig2, sizeof sig2);
    assert_string_equal(sig, sig2);
    assert_true(sd_signature_hash(sig) == sd_signature_hash(sig2));

    /* An alert outside the registry is written as its number. */
    m2.alert = 201;
    sd_finding_signature("t", &m2, &b, sig2, sizeof sig2);
    assert_string_equal(sig2, "t:model=alert(201)@0:boringssl=waiting@1");
    assert_true(sd_signature_hash(sig) != sd_signature_hash(sig2));

    /* Blanks in the id cannot split the word; a tiny buffer is still a
     * string. */
    sd_finding_signature("a b", &m, &b, sig2, sizeof sig2);
    assert_null(strchr(sig2, ' '));
    char tiny[8];
    sd_finding_signature("fuzz_client_hello", &m, &b, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_hello_trace),
        cmocka_unit_test(test_empty_and_odd_inputs),
        cmocka_unit_test(test_unknown_target),
        cmocka_unit_test(test_known_names),
        cmocka_unit_test(test_target_from_path),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_hello_retry_request_trace),
        cmocka_unit_test(test_tls12_client_side_shapes),
        cmocka_unit_test(test_tls12_server_side_shapes),
        cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
