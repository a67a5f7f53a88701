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
 * - fuzz_psk_client_hello and fuzz_early_data build two connections, the
 *   second offering the ticket of the first (with early_data and early
 *   records for fuzz_early_data), the input's mutations on them, and their
 *   honest inputs resume (with 0-RTT) on both stacks;
 * - signatures are one word naming both outcomes, and stable;
 * - fuzz_trace runs a binary trace with its setup (version 3: either TLS
 *   version, any credential) and one without as before (TLS 1.3, the role
 *   the trace implies); a setup names only what the fuzz targets run;
 * - a scenario's headers as a setup make the run configuration conform
 *   makes, so every scenario's fuzz_trace seed replays as the scenario:
 *   the seed of tls13.client.certificate.expired ends, on both stacks, in
 *   the scenario's certificate_expired, not in a happy handshake. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
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
#include "run/differential.h"
#include "driver/outcome.h"
#include "pki_fixture.h"
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
    assert_string_equal(s.server_credential, "");
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
    assert_string_equal(s.target_client_credential, "");

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
    assert_string_equal(s.target_client_credential, "");
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

/* Connection 1 of both resumption targets: a full handshake that leaves the
 * driver the server's ticket. */
#define TICKET_CONNECTION                                                                    \
    "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\nexpect Certificate\n" \
    "expect CertificateVerify\nexpect Finished\nsend Finished\nexpect NewSessionTicket\nconnection\n"
/* Connection 2's server flight, resumed or full (RFC 8446 §2.2). */
#define RESUMED_FLIGHT                                                             \
    "expect ServerHello\nexpect EncryptedExtensions\nexpect Certificate if-full\n" \
    "expect CertificateVerify if-full\nexpect Finished\n"
#define FINISH_AND_PING "send Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n"

/* Two connections, and the second one's ClientHello offers the ticket. */
static void check_two_connections(const char *target, const uint8_t *input, size_t len) {
    sd_trace t;
    sd_fuzz_setup setup;
    char err[200];
    assert_true(sd_fuzz_input_build(target, input, len, &t, &setup, err, sizeof err));
    assert_int_equal(sd_trace_connections(&t), 2);
    size_t at;
    assert_true(sd_trace_check_connections(&t, &at, err, sizeof err));
    sd_trace_free(&t);
}

static void test_psk_client_hello_trace(void **state) {
    (void)state;
    /* Empty: the honest PSK offer, with a SHA-256 ticket. */
    sd_fuzz_setup s = build_and_check("fuzz_psk_client_hello", NULL, 0,
                                      TICKET_CONNECTION "send ClientHello\n" RESUMED_FLIGHT FINISH_AND_PING);
    assert_int_equal(s.role, SD_ROLE_SERVER);
    assert_int_equal(s.version, SD_TLS13);
    assert_true(s.session_tickets);
    assert_false(s.early_data);
    assert_int_equal(s.cipher_suite, SD_TLS_AES_128_GCM_SHA256);
    check_two_connections("fuzz_psk_client_hello", NULL, 0);

    /* Every PSK mutation, a SHA-384 ticket, two flips (the second counted
     * from the end) and an appended byte. The age flip lands on byte 1 of
     * the last identity's age: before the binders list of 2 + 3 * (1 + 40)
     * bytes and the age's 3 other bytes. */
    static const uint8_t all[] = {0x9f, 2, 3, 40, 1, 0, 2, 0x00, 0x05, 0x01, 0x80, 0x00, 0x02, 0xee};
    s = build_and_check(
        "fuzz_psk_client_hello", all, sizeof all,
        TICKET_CONNECTION
        "send ClientHello psk-not-last psk-identities=2 binders=3 binder-length=40 "
        "flip-ext=pre_shared_key:-128:0x80 flip=5:0x01 flip=last:0x02 append=ee\n" RESUMED_FLIGHT
            FINISH_AND_PING);
    assert_int_equal(s.cipher_suite, SD_TLS_AES_256_GCM_SHA384);
    check_two_connections("fuzz_psk_client_hello", all, sizeof all);

    /* More flips than mutations left: those that do not fit go with the
     * appended bytes. Records of 32 bytes (framing 2). */
    static const uint8_t many[] = {0x5e, 1, 1, 32, 0, 0, 6, 0, 1, 1, 0, 2, 2, 0, 3, 3, 0, 4, 4};
    build_and_check("fuzz_psk_client_hello", many, sizeof many,
                    TICKET_CONNECTION "send ClientHello psk-identities=1 binders=1 binder-length=32 "
                                      "flip-ext=pre_shared_key:-39:0x80 split=32 flip=1:0x01 flip=2:0x02 "
                                      "append=000303000404\n" RESUMED_FLIGHT FINISH_AND_PING);

    /* Framing 3: a ChangeCipherSpec after the ClientHello (§5). */
    static const uint8_t ccs[] = {0x60};
    build_and_check("fuzz_psk_client_hello", ccs, sizeof ccs,
                    TICKET_CONNECTION "send ClientHello\nsend-ccs\n" RESUMED_FLIGHT FINISH_AND_PING);
}

static void test_early_data_trace(void **state) {
    (void)state;
    /* Empty: early_data offered, no early records, one EndOfEarlyData. */
    sd_fuzz_setup s = build_and_check("fuzz_early_data", NULL, 0,
                                      TICKET_CONNECTION "send ClientHello early-data\n" RESUMED_FLIGHT
                                                        "send EndOfEarlyData\n" FINISH_AND_PING);
    assert_int_equal(s.role, SD_ROLE_SERVER);
    assert_int_equal(s.version, SD_TLS13);
    assert_true(s.session_tickets);
    assert_true(s.early_data);
    check_two_connections("fuzz_early_data", NULL, 0);

    /* One record of each kind, after the server's Finished (bit 2);
     * EndOfEarlyData twice, with a body, unprotected. */
    static const uint8_t all[] = {0x1e, 2, 0xaa, 0xbb, 0, 2, 'h', 'i', 0x19, 1, 0x16, 2, 0x38, 0x00, 0x27, 0};
    build_and_check("fuzz_early_data", all, sizeof all,
                    TICKET_CONNECTION "send ClientHello early-data\n" RESUMED_FLIGHT
                                      "send-appdata \"hi\"\nsend-raw handshake 16 plaintext\n"
                                      "send-raw application_data hex= fill=14337 encrypted\n"
                                      "send-appdata \"\" inner-padding=48\n"
                                      "send EndOfEarlyData body=aabb plaintext\n"
                                      "send EndOfEarlyData body=aabb plaintext\n" FINISH_AND_PING);
    check_two_connections("fuzz_early_data", all, sizeof all);

    /* Right after the ClientHello (the honest place), a record whose tag is
     * flipped, and no EndOfEarlyData. */
    static const uint8_t early[] = {0x01, 3, 1, 'x'};
    build_and_check("fuzz_early_data", early, sizeof early,
                    TICKET_CONNECTION
                    "send ClientHello early-data\nsend-appdata \"x\" record-flip=last:0x01\n" RESUMED_FLIGHT
                        FINISH_AND_PING);

    /* EndOfEarlyData before the data (3): the records follow it. */
    static const uint8_t before[] = {0x03, 0, 1, 'A'};
    build_and_check("fuzz_early_data", before, sizeof before,
                    TICKET_CONNECTION "send ClientHello early-data\n" RESUMED_FLIGHT
                                      "send EndOfEarlyData\nsend-appdata \"A\"\n" FINISH_AND_PING);
}

/* The honest inputs of both targets on both stacks: the ticket of
 * connection 1 resumes connection 2, with 0-RTT for fuzz_early_data, and
 * the connection works. */
static void test_resumption_targets_resume(void **state) {
    (void)state;
    static const uint8_t early[] = {0x00, 0, 5, 'e', 'a', 'r', 'l', 'y'};
    const struct {
        const char *target;
        const uint8_t *input;
        size_t len;
    } honest[] = {{"fuzz_psk_client_hello", NULL, 0}, {"fuzz_early_data", early, sizeof early}};
    for (size_t i = 0; i < sizeof honest / sizeof honest[0]; i++) {
        sd_trace t;
        sd_fuzz_setup setup;
        char err[200];
        assert_true(sd_fuzz_input_build(honest[i].target, honest[i].input, honest[i].len, &t, &setup, err,
                                        sizeof err));
        assert_true(sd_fuzz_setup_runs(&setup, &pki, err, sizeof err));
        sd_run_config cfg;
        sd_run_config_defaults(&cfg, &sd_target_model, setup.role, &pki);
        sd_fuzz_setup_apply(&setup, &cfg);
        sd_outcome m, b;
        sd_divergence div;
        sd_differential_run_config(&t, &cfg, &m, &b, &div, NULL, 0);
        const sd_outcome *both[] = {&m, &b};
        for (size_t k = 0; k < 2; k++) {
            if (both[k]->kind != SD_OUTCOME_COMPLETED || !both[k]->resumed || both[k]->connections != 2)
                fail_msg("%s on %s: %s, resumed %d, %u connections", honest[i].target,
                         k ? "boringssl" : "model", sd_outcome_kind_name(both[k]->kind), both[k]->resumed,
                         both[k]->connections);
        }
        assert_false(sd_divergence_is_difference(div));
        sd_trace_free(&t);
    }
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
    assert_string_equal(
        sig, "fuzz_client_hello:model=alert(decode_error)@0:boringssl=waiting@1:tls13-client:hs=0/0:"
             "on=start");
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
    assert_string_equal(sig2, "t:model=alert(201)@0:boringssl=waiting@1:tls13-client:hs=0/0:on=start");
    assert_true(sd_signature_hash(sig) != sd_signature_hash(sig2));

    /* Blanks in the id cannot split the word; a tiny buffer is still a
     * string. */
    sd_finding_signature("a b", &m, &b, sig2, sizeof sig2);
    assert_null(strchr(sig2, ' '));
    char tiny[8];
    sd_finding_signature("fuzz_client_hello", &m, &b, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

static void add(sd_outcome *o, sd_direction from, sd_event_kind kind, uint8_t code) {
    sd_event e = {.from = from, .kind = kind, .code = code};
    sd_outcome_add_event(o, &e);
}

/* Where the runs part: the last message of the driver's both ladders share,
 * after how many handshake messages of each side; which certificate a
 * Certificate carried; the version and role the run was set up with. */
static void test_signature_names_where_the_runs_part(void **state) {
    (void)state;
    sd_outcome m, b;
    sd_outcome_init(&m);
    sd_outcome_init(&b);
    m.configured_version = b.configured_version = SD_TLS13;
    /* A client under test: its ClientHello, the driver's ServerHello and
     * EncryptedExtensions, then a Certificate the model refuses and
     * BoringSSL takes (and then waits). */
    sd_outcome *both[2] = {&m, &b};
    for (int i = 0; i < 2; i++) {
        add(both[i], SD_FROM_TARGET, SD_EVENT_HANDSHAKE, SD_ClientHello);
        add(both[i], SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_ServerHello);
        add(both[i], SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_EncryptedExtensions);
        add(both[i], SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_Certificate);
        both[i]->events[both[i]->n_events - 1].encrypted = true;
        both[i]->events[both[i]->n_events - 1].credential = 1;
        snprintf(both[i]->credentials[0], sizeof both[i]->credentials[0], "expired");
    }
    add(&m, SD_FROM_TARGET, SD_EVENT_ALERT, SD_certificate_expired);
    m.events[m.n_events - 1].level = SD_ALERT_LEVEL_FATAL;
    m.kind = SD_OUTCOME_ALERT;
    m.alert = SD_certificate_expired;
    m.step = 3;
    b.kind = SD_OUTCOME_WAITING;
    b.step = 3;
    char sig[256];
    sd_finding_signature("fuzz_trace", &m, &b, sig, sizeof sig);
    assert_string_equal(
        sig, "fuzz_trace:model=alert(certificate_expired)@3:boringssl=waiting@3:tls13-client:hs=2/1:"
             "on=Certificate[expired]+encrypted");

    /* A server under test in TLS 1.2 given an empty raw handshake record
     * first: the model refuses it, BoringSSL skips it and answers the
     * ClientHello. A target's compatibility CCS is passed over only in TLS
     * 1.3; here the ladders part at the model's alert. */
    sd_outcome_init(&m);
    sd_outcome_init(&b);
    m.configured_version = b.configured_version = SD_TLS12;
    m.target_is_server = b.target_is_server = true;
    for (int i = 0; i < 2; i++) {
        add(both[i], SD_FROM_PEER, SD_EVENT_RAW, SD_handshake);
        both[i]->events[0].mutated = true;
    }
    add(&m, SD_FROM_TARGET, SD_EVENT_ALERT, SD_unexpected_message);
    add(&b, SD_FROM_PEER, SD_EVENT_HANDSHAKE, SD_ClientHello);
    add(&b, SD_FROM_TARGET, SD_EVENT_HANDSHAKE, SD_ServerHello);
    m.kind = SD_OUTCOME_ALERT;
    m.alert = SD_unexpected_message;
    m.step = 0;
    b.kind = SD_OUTCOME_COMPLETED;
    b.step = 9;
    sd_finding_signature("fuzz_trace", &m, &b, sig, sizeof sig);
    assert_string_equal(
        sig, "fuzz_trace:model=alert(unexpected_message)@0:boringssl=completed@9:tls12-server:hs=0/0:"
             "on=raw(handshake,0)");
}

/* fuzz_record: a last record cut short whose length field says more than
 * any input can hold is completed with zeros to that length (fill=), so a
 * few bytes are a record of 2^14+1, which both stacks refuse with
 * record_overflow (RFC 8446 §5.1); shorter lengths, and those past
 * SD_RAW_FILL_MAX, send what there is, as before. */
static void test_record_fill(void **state) {
    (void)state;
    static const struct {
        uint8_t len_hi, len_lo;
        size_t fill;
    } cases[] = {
        {0x40, 0x01, 16385},           /* 2^14+1: filled */
        {0x40, 0x00, 16384},           /* 2^14: filled, an input cannot hold it whole */
        {0x3f, 0xfb, 0},               /* 16379: an input could hold it; what there is */
        {0x01, 0x00, 0},               /* 256, cut short: what there is */
        {0x49, 0x00, SD_RAW_FILL_MAX}, /* the largest fill */
        {0x49, 0x01, 0},               /* past it: what there is */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint8_t input[] = {SD_handshake, 0x03, 0x01, cases[i].len_hi, cases[i].len_lo, 0x01, 0x02};
        sd_trace t;
        sd_fuzz_setup setup;
        char err[200];
        assert_true(sd_fuzz_input_build("fuzz_record", input, sizeof input, &t, &setup, err, sizeof err));
        assert_int_equal(t.n_actions, 2);
        assert_int_equal(t.actions[0].kind, SD_ACT_SEND_RAW);
        assert_int_equal(t.actions[0].bytes_len, 2);
        assert_int_equal(t.actions[0].fill, cases[i].fill);
        sd_trace_free(&t);
    }

    /* 2^14+1 bytes: both stacks refuse the record as too long. */
    static const uint8_t over[] = {SD_handshake, 0x03, 0x01, 0x40, 0x01, SD_ClientHello};
    sd_trace t;
    sd_fuzz_setup setup;
    char err[200];
    assert_true(sd_fuzz_input_build("fuzz_record", over, sizeof over, &t, &setup, err, sizeof err));
    sd_outcome m, b;
    sd_divergence div;
    sd_differential_run(&t, setup.role, &pki, 1, &m, &b, &div, NULL, 0);
    assert_int_equal(m.kind, SD_OUTCOME_ALERT);
    assert_int_equal(m.alert, SD_record_overflow);
    assert_int_equal(b.kind, SD_OUTCOME_ALERT);
    assert_int_equal(b.alert, SD_record_overflow);
    assert_int_equal(div, SD_DIV_SAME);
    sd_trace_free(&t);
}

/* --- fuzz_trace and its setup ------------------------------------------------ */

static void encode(const char *script, const sd_fuzz_setup *setup, sd_buf *out) {
    sd_trace t;
    char err[300];
    if (!sd_trace_parse("test", script, strlen(script), &t, err, sizeof err)) fail_msg("%s", err);
    sd_buf_init(out);
    if (!sd_trace_encode_with_setup(&t, setup, out, err, sizeof err)) fail_msg("%s", err);
    sd_trace_free(&t);
}

/* A target's random is its own random bytes (BoringSSL's differ every
 * run): in a fuzz_trace input, a random= check shorter than 8 bytes is
 * dropped, so a finding never rests on a chance match; an 8-byte one (RFC
 * 8446 §4.1.3's downgrade sentinel) is kept. */
/* Only a downgrade sentinel is a check of the target's random: a short
 * check passes by chance, and 8 other bytes are the model's own random,
 * which the fuzzer can learn (it did: 2919648c137cb1a7). */
static void test_short_random_checks_are_dropped(void **state) {
    (void)state;
    sd_fuzz_setup setup = {.role = SD_ROLE_CLIENT, .version = SD_TLS13};
    sd_buf in;
    encode("expect ClientHello random=70\nsend ServerHello\nexpect ServerHello random=444f574e47524401\n"
           "expect ServerHello random=2919648c137cb1a7\nexpect ServerHello random=00444f574e47524400\n",
           &setup, &in);
    sd_trace t;
    char err[200];
    assert_true(sd_fuzz_input_build("fuzz_trace", in.data, in.len, &t, NULL, err, sizeof err));
    assert_int_equal(t.n_actions, 5);
    assert_int_equal(t.actions[0].bytes_len, 0);
    assert_null(t.actions[0].bytes);
    assert_int_equal(t.actions[2].bytes_len, 8);
    assert_int_equal(t.actions[3].bytes_len, 0);
    assert_int_equal(t.actions[4].bytes_len, 9);
    sd_trace_free(&t);
    sd_buf_free(&in);
}

static void test_trace_runs_with_its_setup(void **state) {
    (void)state;
    static const char tls12_client[] = "expect ClientHello\nsend ServerHello\nsend Certificate\n"
                                       "send ServerHelloDone\nexpect ClientKeyExchange\n";
    sd_fuzz_setup want;
    memset(&want, 0, sizeof want);
    want.role = SD_ROLE_CLIENT;
    want.version = SD_TLS12;
    want.cipher_suite = SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    snprintf(want.server_credential, sizeof want.server_credential, "weak-key");
    want.client_auth = SD_CLIENT_AUTH_REQUEST;
    sd_buf b;
    encode(tls12_client, &want, &b);
    sd_trace t;
    sd_fuzz_setup got;
    char err[200];
    assert_true(sd_fuzz_input_build("fuzz_trace", b.data, b.len, &t, &got, err, sizeof err));
    assert_int_equal(t.n_actions, 5);
    assert_int_equal(got.role, SD_ROLE_CLIENT);
    assert_int_equal(got.version, SD_TLS12);
    assert_int_equal(got.cipher_suite, SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    assert_string_equal(got.server_credential, "weak-key");
    assert_int_equal(got.client_auth, SD_CLIENT_AUTH_REQUEST);
    assert_false(sd_fuzz_setup_implied(&got, &t));
    sd_trace_free(&t);
    sd_buf_free(&b);

    /* Without a setup: TLS 1.3, the defaults, the role the trace implies
     * (the same trace, which expects a ClientHello: a client under test). */
    encode(tls12_client, NULL, &b);
    assert_int_equal(b.data[3], 1);
    assert_true(sd_fuzz_input_build("fuzz_trace", b.data, b.len, &t, &got, err, sizeof err));
    assert_int_equal(got.role, SD_ROLE_CLIENT);
    assert_int_equal(got.version, SD_TLS13);
    assert_string_equal(got.server_credential, "");
    assert_true(sd_fuzz_setup_implied(&got, &t));
    char line[400];
    sd_fuzz_setup_describe(&got, line, sizeof line);
    assert_string_equal(line, "TLS 1.3, client under test");
    sd_trace_free(&t);
    sd_buf_free(&b);

    /* The setup lands in the run configuration, names pointing into it. */
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, SD_ROLE_SERVER, &pki);
    sd_fuzz_setup_apply(&want, &cfg);
    assert_int_equal(cfg.target_role, SD_ROLE_CLIENT);
    assert_int_equal(cfg.version, SD_TLS12);
    assert_string_equal(cfg.driver_credential, "weak-key");
    assert_null(cfg.target_client_credential);
    assert_int_equal(cfg.target_min_version, 0); /* the version alone */
    sd_fuzz_setup_describe(&want, line, sizeof line);
    assert_string_equal(line,
                        "TLS 1.2, client under test, cipher suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "
                        "server credential weak-key, client authentication requested");

    /* The versions of the stack under test (`versions:`): through the
     * binary form, into the run configuration, named by describe, and no
     * longer the setup a bare trace implies. */
    sd_fuzz_setup ranged;
    memset(&ranged, 0, sizeof ranged);
    ranged.role = SD_ROLE_CLIENT;
    ranged.version = SD_TLS12;
    ranged.min_version = SD_TLS12;
    ranged.max_version = SD_TLS13;
    encode(tls12_client, &ranged, &b);
    assert_true(sd_fuzz_input_build("fuzz_trace", b.data, b.len, &t, &got, err, sizeof err));
    assert_int_equal(got.min_version, SD_TLS12);
    assert_int_equal(got.max_version, SD_TLS13);
    assert_false(sd_fuzz_setup_implied(&got, &t));
    sd_fuzz_setup_describe(&got, line, sizeof line);
    assert_string_equal(line, "TLS 1.2, client under test, the client speaks TLS 1.2-1.3");
    sd_run_config_defaults(&cfg, &sd_target_model, SD_ROLE_SERVER, &pki);
    sd_fuzz_setup_apply(&got, &cfg);
    assert_int_equal(cfg.version, SD_TLS12);
    assert_int_equal(cfg.target_min_version, SD_TLS12);
    assert_int_equal(cfg.target_max_version, SD_TLS13);
    sd_trace_free(&t);
    sd_buf_free(&b);
}

/* A setup can name anything a script can; the fuzz targets run only what
 * both stacks support and the PKI has. */
static void test_setup_runs(void **state) {
    (void)state;
    sd_fuzz_setup s;
    memset(&s, 0, sizeof s);
    s.role = SD_ROLE_SERVER;
    s.version = SD_TLS13;
    char why[300] = "";
    assert_true(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    /* every fixture credential the mutator and the dictionaries name */
    static const char *const names[] = {"expired",     "revoked",        "weak-key",  "malformed-der",
                                        "empty-chain", "client-ed25519", "leaf-p384", "md5-signature"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(s.client_credential, sizeof s.client_credential, "%s", names[i]);
        if (!sd_fuzz_setup_runs(&s, &pki, why, sizeof why)) fail_msg("%s: %s", names[i], why);
    }
    snprintf(s.client_credential, sizeof s.client_credential, "no-such-credential");
    assert_false(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    assert_non_null(strstr(why, "no-such-credential"));
    s.client_credential[0] = '\0';
    /* A TLS 1.2 suite in TLS 1.3 and the reverse; an unknown suite. */
    s.cipher_suite = SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    assert_false(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    s.version = SD_TLS12;
    assert_true(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    s.cipher_suite = SD_TLS_AES_256_GCM_SHA384;
    assert_false(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    s.version = SD_TLS13;
    assert_true(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    s.cipher_suite = 0x1234;
    assert_false(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    /* A TLS 1.2 suite pinned on a stack that speaks TLS 1.3 too: BoringSSL
     * cannot be set up so. Without the suite, or TLS 1.2 alone, it runs. */
    s.version = SD_TLS12;
    s.cipher_suite = SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    s.min_version = SD_TLS12;
    s.max_version = SD_TLS13;
    assert_false(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    assert_non_null(strstr(why, "TLS 1.3 too"));
    s.max_version = SD_TLS12;
    assert_true(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
    s.max_version = SD_TLS13;
    s.cipher_suite = 0;
    assert_true(sd_fuzz_setup_runs(&s, &pki, why, sizeof why));
}

/* The setups BoringSSL cannot run (sd_fuzz_setup_boringssl_runs) are
 * apart from those the model or the PKI cannot (sd_fuzz_setup_model_runs):
 * the two-party targets skip both, as they always did, and a second
 * reference (`shakedown fuzz --reference`) takes the first. */
static void test_setup_runs_splits_boringssl_gaps(void **state) {
    (void)state;
    sd_fuzz_setup s;
    memset(&s, 0, sizeof s);
    s.role = SD_ROLE_SERVER;
    s.version = SD_TLS12;
    s.max_version = SD_TLS12;
    char why[300] = "";
    /* Each one BoringSSL lacks, and the model has. */
    for (int gap = 0; gap < 5; gap++) {
        sd_fuzz_setup g = s;
        if (gap == 0) g.cipher_suite = SD_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
        if (gap == 1) g.encrypt_then_mac = true;
        if (gap == 2) g.record_size_limit = 1024;
        if (gap == 3) g.max_fragment_length = 1;
        if (gap == 4) {
            g.version = g.max_version = SD_TLS13;
            g.groups[g.n_groups++] = SD_x448;
        }
        if (!sd_fuzz_setup_model_runs(&g, &pki, why, sizeof why)) fail_msg("gap %d: %s", gap, why);
        assert_false(sd_fuzz_setup_boringssl_runs(&g, why, sizeof why));
        assert_non_null(strstr(why, "BoringSSL"));
        assert_false(sd_fuzz_setup_runs(&g, &pki, why, sizeof why));
    }
    /* What the PKI or the model lacks is no setup for any reference. */
    snprintf(s.client_credential, sizeof s.client_credential, "no-such-credential");
    assert_false(sd_fuzz_setup_model_runs(&s, &pki, why, sizeof why));
    s.client_credential[0] = '\0';
    s.cipher_suite = 0x1234;
    assert_false(sd_fuzz_setup_model_runs(&s, &pki, why, sizeof why));
    assert_true(sd_fuzz_setup_boringssl_runs(&s, why, sizeof why));
}

/* With a second reference, a DHE setup runs on the model and on it: both
 * answer an honest ClientHello that offers only the DHE suite alike. */
static void test_second_reference_runs_dhe(void **state) {
    (void)state;
    char err[600];
    const sd_target_ops *gnutls = sd_stack_under_test_find("gnutls", err, sizeof err);
    if (!gnutls) {
        printf("skipped: this build has no gnutls stack to be the second reference (%s)\n", err);
        skip();
    }
    sd_fuzz_setup s;
    memset(&s, 0, sizeof s);
    s.role = SD_ROLE_SERVER;
    s.version = SD_TLS12;
    s.max_version = SD_TLS12;
    s.cipher_suite = SD_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256;
    sd_trace t;
    static const char script[] = "send ClientHello\nexpect ServerHello\n";
    if (!sd_trace_parse("test", script, strlen(script), &t, err, sizeof err)) fail_msg("%s", err);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, s.role, &pki);
    sd_fuzz_setup_apply(&s, &cfg);
    sd_outcome model, reference;
    sd_divergence div;
    char why[1000];
    sd_differential_run_reference(&t, &cfg, gnutls, "gnutls", &model, &reference, &div, why, sizeof why);
    char dm[300], dr[300];
    sd_outcome_describe(&model, dm, sizeof dm);
    sd_outcome_describe(&reference, dr, sizeof dr);
    if (model.kind == SD_OUTCOME_UNSUPPORTED || model.kind == SD_OUTCOME_HARNESS_ERROR ||
        reference.kind == SD_OUTCOME_UNSUPPORTED || reference.kind == SD_OUTCOME_HARNESS_ERROR)
        fail_msg("model: %s; gnutls: %s", dm, dr);
    if (div != SD_DIV_SAME) fail_msg("%s: %s (model: %s; gnutls: %s)", sd_divergence_name(div), why, dm, dr);
    sd_trace_free(&t);
}

/* Calls fn for every scenario file. */
static void each_scenario(void (*fn)(const sd_scenario *s, void *ctx), void *ctx) {
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    int n = 0;
    for (int v = 0; v < 2; v++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/scenarios/%s", src ? src : SHAKEDOWN_SOURCE_DIR, v ? "tls12" : "tls13");
        DIR *d = opendir(dir);
        if (!d) fail_msg("cannot open %s", dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len < 4 || strcmp(e->d_name + len - 3, ".sd") != 0) continue;
            char path[1400], err[600];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            sd_scenario s;
            if (!sd_scenario_load(path, &s, err, sizeof err)) fail_msg("%s", err);
            fn(&s, ctx);
            sd_scenario_free(&s);
            n++;
        }
        closedir(d);
    }
    assert_true(n >= 60);
}

/* Two credential names, NULL counting as none. */
static bool same_name(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

/* The seed of a scenario: its trace with its headers as the setup,
 * through the binary form and fuzz_trace's reading of it, as
 * record_seeds writes it and the fuzz target and repro read it. */
static void seed_of(const sd_scenario *s, sd_trace *t, sd_fuzz_setup *setup) {
    sd_fuzz_setup from;
    sd_fuzz_setup_from_scenario(s, &from);
    sd_buf b;
    sd_buf_init(&b);
    char err[300];
    if (!sd_trace_encode_with_setup(&s->trace, &from, &b, err, sizeof err)) fail_msg("%s: %s", s->id, err);
    if (!sd_fuzz_input_build("fuzz_trace", b.data, b.len, t, setup, err, sizeof err))
        fail_msg("%s: %s", s->id, err);
    sd_buf_free(&b);
    if (!sd_trace_equal(&s->trace, t)) fail_msg("%s: the seed's trace is not the scenario's", s->id);
}

static void check_config(const sd_scenario *s, void *ctx) {
    (void)ctx;
    sd_trace t;
    sd_fuzz_setup setup;
    seed_of(s, &t, &setup);
    sd_run_config conform, fuzz;
    sd_run_config_defaults(&conform, &sd_target_model, s->role, &pki);
    sd_run_config_apply_scenario(&conform, s);
    sd_run_config_defaults(&fuzz, &sd_target_model, setup.role, &pki);
    sd_fuzz_setup_apply(&setup, &fuzz);
    if (conform.target_role != fuzz.target_role || conform.version != fuzz.version ||
        conform.cipher_suite != fuzz.cipher_suite || conform.client_auth != fuzz.client_auth ||
        conform.session_tickets != fuzz.session_tickets || conform.early_data != fuzz.early_data ||
        conform.tls12_announce_ticket != fuzz.tls12_announce_ticket ||
        conform.target_min_version != fuzz.target_min_version ||
        conform.target_max_version != fuzz.target_max_version ||
        !same_name(conform.driver_credential, fuzz.driver_credential) ||
        !same_name(conform.staple, fuzz.staple) || !sd_span_eq(conform.target_alpn, fuzz.target_alpn) ||
        conform.record_size_limit != fuzz.record_size_limit ||
        conform.max_fragment_length != fuzz.max_fragment_length ||
        conform.encrypt_then_mac != fuzz.encrypt_then_mac ||
        !same_name(conform.target_client_credential, fuzz.target_client_credential) ||
        /* the target's credential counts where the target is the server */
        (s->role == SD_ROLE_SERVER && !same_name(conform.target_credential, fuzz.target_credential)))
        fail_msg("%s: its seed's setup runs another configuration than conform's", s->id);
    sd_trace_free(&t);
}

static void test_scenario_setup_is_conforms(void **state) {
    (void)state;
    each_scenario(check_config, NULL);
}

/* On the model, a scenario's seed ends as the scenario does: the same
 * outcome, alert and step. The fuzz targets' message size limits
 * (fuzz_setup.c) are left out: the one scenario about them deliberately
 * exceeds them; so is their skip_signature_algorithms_cert, which the
 * scenarios about malformed signature_algorithms_cert lists test. */
static void check_model_outcome(const sd_scenario *s, void *ctx) {
    int *n = ctx;
    sd_trace t;
    sd_fuzz_setup setup;
    seed_of(s, &t, &setup);
    sd_run_config conform, fuzz;
    sd_run_config_defaults(&conform, &sd_target_model, s->role, &pki);
    sd_run_config_apply_scenario(&conform, s);
    sd_run_config_defaults(&fuzz, &sd_target_model, setup.role, &pki);
    sd_fuzz_setup_apply(&setup, &fuzz);
    fuzz.max_handshake_message = fuzz.max_post_handshake_message = 0;
    fuzz.skip_signature_algorithms_cert = false;
    sd_outcome a, b;
    sd_driver_run(&s->trace, &conform, &a);
    sd_driver_run(&t, &fuzz, &b);
    if (a.kind != b.kind || a.alert != b.alert || a.step != b.step)
        fail_msg("%s: as a scenario %s (alert %u) at step %d; as a seed %s (alert %u) at step %d", s->id,
                 sd_outcome_kind_name(a.kind), a.alert, a.step, sd_outcome_kind_name(b.kind), b.alert,
                 b.step);
    (*n)++;
    sd_trace_free(&t);
}

static void test_scenario_seeds_replay_as_scenarios(void **state) {
    (void)state;
    int n = 0;
    each_scenario(check_model_outcome, &n);
    assert_true(n >= 60);
}

/* The checked-in seed (corpus/fuzz_trace, written by record_seeds) of a
 * defective certificate: both stacks refuse it as the scenario asks, as
 * `shakedown repro` of that file shows; before the seeds kept their
 * headers it was a happy handshake. */
static void test_expired_seed_is_refused(void **state) {
    (void)state;
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char path[1200], err[600];
    snprintf(path, sizeof path, "%s/corpus/fuzz_trace/scenario-tls13.client.certificate.expired",
             src ? src : SHAKEDOWN_SOURCE_DIR);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot read %s", path);
    uint8_t data[4096];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    sd_trace t;
    sd_fuzz_setup setup;
    assert_true(sd_fuzz_input_build(sd_fuzz_target_from_path(path), data, len, &t, &setup, err, sizeof err));
    assert_string_equal(setup.server_credential, "expired");
    assert_int_equal(setup.role, SD_ROLE_CLIENT);
    assert_true(sd_fuzz_setup_runs(&setup, &pki, err, sizeof err));

    snprintf(path, sizeof path, "%s/scenarios/tls13/client.certificate.expired.sd",
             src ? src : SHAKEDOWN_SOURCE_DIR);
    sd_scenario s;
    if (!sd_scenario_load(path, &s, err, sizeof err)) fail_msg("%s", err);
    assert_true(sd_trace_equal(&s.trace, &t));

    /* What repro does with the file (cli/repro.c). */
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, setup.role, &pki);
    sd_fuzz_setup_apply(&setup, &cfg);
    sd_outcome m, b;
    sd_divergence div;
    sd_differential_run_config(&t, &cfg, &m, &b, &div, NULL, 0);
    assert_int_equal(m.kind, SD_OUTCOME_ALERT);
    assert_int_equal(m.alert, SD_certificate_expired);
    assert_int_equal(b.kind, SD_OUTCOME_ALERT);
    assert_int_equal(b.alert, SD_certificate_expired);
    assert_false(m.handshake_done || b.handshake_done);
    char why[300];
    assert_int_equal(sd_classify(&s, &m, why, sizeof why), SD_VERDICT_PASS);
    assert_int_equal(sd_classify(&s, &b, why, sizeof why), SD_VERDICT_PASS);
    sd_scenario_free(&s);
    sd_trace_free(&t);
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
        cmocka_unit_test(test_psk_client_hello_trace),
        cmocka_unit_test(test_early_data_trace),
        cmocka_unit_test(test_resumption_targets_resume),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_signature_names_where_the_runs_part),
        cmocka_unit_test(test_record_fill),
        cmocka_unit_test(test_short_random_checks_are_dropped),
        cmocka_unit_test(test_trace_runs_with_its_setup),
        cmocka_unit_test(test_setup_runs),
        cmocka_unit_test(test_setup_runs_splits_boringssl_gaps),
        cmocka_unit_test(test_second_reference_runs_dhe),
        cmocka_unit_test(test_scenario_setup_is_conforms),
        cmocka_unit_test(test_scenario_seeds_replay_as_scenarios),
        cmocka_unit_test(test_expired_seed_is_refused),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
