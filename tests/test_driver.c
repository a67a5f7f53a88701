/* test_driver.c — the driver (the programmable peer): TLS 1.2 in both roles
 * against the model and BoringSSL, what its TLS 1.2 ClientHello carries,
 * mutations on TLS 1.2 messages, TLS 1.3 HelloRetryRequest, KeyUpdate,
 * CertificateRequest and NewSessionTicket, the final outcome when a
 * target closes after completing, and what a create() that fails becomes
 * (unsupported, or a harness error). */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "crypto/tls12.h"
#include "driver/driver.h"
#include "oracle/oracle.h"
#include "trace/trace.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/record.h"

#include "protocol/messages.h"

#include "pki_fixture.h"
#include "stacks/stacks.h"

static const sd_target_ops *const stacks[] = {&sd_target_model, &sd_target_boringssl};
#define N_STACKS (sizeof stacks / sizeof stacks[0])

/* Every byte the driver sent, and the target sent, for looking at their
 * messages. */
typedef struct {
    sd_buf from_peer, from_target;
} capture;

static void on_bytes(void *ctx, sd_direction from, sd_span bytes) {
    capture *c = ctx;
    sd_buf_append_span(from == SD_FROM_PEER ? &c->from_peer : &c->from_target, bytes);
}

/* Runs a scenario text against one stack and returns the outcome. */
static void run_text(const char *text, const sd_target_ops *stack, sd_outcome *out, capture *cap) {
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, stack, s.role, &pki);
    sd_run_config_apply_scenario(&cfg, &s);
    if (cap) {
        cfg.on_bytes = on_bytes;
        cfg.observer_ctx = cap;
    }
    sd_driver_run(&s.trace, &cfg, out);
    sd_scenario_free(&s);
}

static void expect_outcome(const char *text, sd_outcome_kind kind, int alert) {
    for (size_t i = 0; i < N_STACKS; i++) {
        sd_outcome o;
        run_text(text, stacks[i], &o, NULL);
        if (o.kind != kind || (kind == SD_OUTCOME_ALERT && o.alert != alert))
            fail_msg("%s: got %s (%s), want %s alert %d", stacks[i]->name, sd_outcome_kind_name(o.kind),
                     o.detail, sd_outcome_kind_name(kind), alert);
    }
}

#define HEAD(role, version) \
    "id: t.t\ntitle: t\nrfc: RFC 5246\nrole: " role "\nversion: " version "\nexpect: complete\n"

static const char *const tls12_server_happy[] = {
    HEAD("server", "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                          "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect "
                          "ServerKeyExchange\nexpect ServerHelloDone\n"
                          "send ClientKeyExchange\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n"
                          "send-appdata \"ping\"\nexpect-appdata \"ping\"\nsend-alert warning "
                          "close_notify\nexpect-close\n",
    HEAD("server", "1.2") "credential: leaf-rsa\ncipher-suite: TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256\n"
                          "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect "
                          "ServerKeyExchange\nexpect ServerHelloDone\n"
                          "send ClientKeyExchange\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n"
                          "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
    HEAD("server", "1.2") "credential: leaf-rsa\ncipher-suite: TLS_RSA_WITH_AES_128_CBC_SHA\n"
                          "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerHelloDone\n"
                          "send ClientKeyExchange\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n"
                          "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
    HEAD("server", "1.2") "credential: leaf-rsa\ncipher-suite: TLS_RSA_WITH_AES_256_GCM_SHA384\n"
                          "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerHelloDone\n"
                          "send ClientKeyExchange split=7\nsend-ccs\nsend Finished "
                          "split=3\nexpect-ccs\nexpect Finished\n"
                          "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
};

static const char *const tls12_client_happy[] = {
    HEAD("client", "1.2") "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerKeyExchange\n"
                          "send ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\nexpect "
                          "Finished\nsend-ccs\nsend Finished\n"
                          "send-appdata \"ping\"\nexpect-appdata \"ping\"\nsend-alert warning "
                          "close_notify\nexpect-close\n",
    HEAD("client", "1.2") "credential: leaf-rsa\ncipher-suite: TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA\n"
                          "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerKeyExchange\n"
                          "send ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\nexpect "
                          "Finished\nsend-ccs\nsend Finished\n"
                          "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
    HEAD("client",
         "1.2") "credential: leaf-rsa\ncipher-suite: TLS_RSA_WITH_AES_128_GCM_SHA256\n"
                "expect ClientHello\nsend ServerHello\nsend Certificate\n"
                "send ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\nexpect Finished\nsend-ccs\n"
                "send Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n",
    /* Static RSA where cert= picks the RSA credential: the driver decrypts
     * with the key of the certificate it presented. */
    HEAD("client",
         "1.2") "cipher-suite: TLS_RSA_WITH_AES_128_GCM_SHA256\n"
                "expect ClientHello\nsend ServerHello\nsend Certificate cert=leaf-rsa\n"
                "send ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\nexpect Finished\nsend-ccs\n"
                "send Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n",
};

/* TLS 1.2, both roles, several suites: the keys the driver derives are the
 * target's (the echo decrypts both ways). */
static void tls12_happy_paths(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof tls12_server_happy / sizeof *tls12_server_happy; i++)
        expect_outcome(tls12_server_happy[i], SD_OUTCOME_COMPLETED, 0);
    for (size_t i = 0; i < sizeof tls12_client_happy / sizeof *tls12_client_happy; i++) {
        expect_outcome(tls12_client_happy[i], SD_OUTCOME_COMPLETED, 0);
    }
}

/* The TLS 1.2 ClientHello: legacy_version 0x0303, the one suite asked for,
 * extended_master_secret and an empty renegotiation_info, and neither
 * supported_versions nor key_share. */
static void tls12_client_hello_shape(void **state) {
    (void)state;
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    sd_outcome o;
    run_text(HEAD("server", "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nsend ClientHello\n"
                                   "expect ServerHello\n",
             &sd_target_model, &o, &cap);
    sd_reader r = sd_reader_of(sd_buf_span(&cap.from_peer));
    sd_record rec;
    uint8_t alert;
    assert_int_equal(sd_parse_record(&r, &rec, &alert), 1);
    assert_int_equal(rec.content_type, SD_handshake);
    sd_span body = sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4);
    sd_client_hello ch;
    assert_true(sd_parse_client_hello(body, &ch, &alert));
    assert_int_equal(ch.legacy_version, SD_TLS12);
    assert_int_equal(ch.legacy_session_id.len, 0);
    assert_int_equal(ch.cipher_suites.len, 2);
    assert_int_equal(ch.cipher_suites.data[0] << 8 | ch.cipher_suites.data[1],
                     SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    sd_span ext;
    assert_true(sd_extensions_find(ch.extensions, SD_extended_master_secret, &ext));
    assert_true(sd_extensions_find(ch.extensions, SD_renegotiation_info, &ext));
    assert_int_equal(ext.len, 1);
    assert_true(sd_extensions_find(ch.extensions, SD_supported_groups, &ext));
    assert_true(sd_extensions_find(ch.extensions, SD_signature_algorithms, &ext));
    assert_false(sd_extensions_find(ch.extensions, SD_supported_versions, &ext));
    assert_false(sd_extensions_find(ch.extensions, SD_key_share, &ext));
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
}

/* Mutations work on TLS 1.2 messages: each is refused as the RFC says. */
static void tls12_mutations(void **state) {
    (void)state;
    static const char server_flight[] = "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect "
                                        "ServerKeyExchange\nexpect ServerHelloDone\n";
    char text[2048];
    /* Finished flipped, computed with the server's label, or over the
     * transcript without the ClientKeyExchange. */
    static const char *const finished[] = {"flip=first:0x01", "flip=last:0x80", "wrong-key",
                                           "wrong-transcript"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(text, sizeof text,
                 HEAD("server", "1.2") "%ssend ClientKeyExchange\nsend-ccs\nsend Finished %s\n",
                 server_flight, finished[i]);
        expect_outcome(text, SD_OUTCOME_ALERT, SD_decrypt_error);
    }
    /* A Finished in plaintext after the CCS: the target reads it as a
     * protected record and cannot open it. */
    snprintf(text, sizeof text,
             HEAD("server", "1.2") "%ssend ClientKeyExchange\nsend-ccs\nsend Finished plaintext\n",
             server_flight);
    expect_outcome(text, SD_OUTCOME_ALERT, SD_bad_record_mac);
    /* A ClientKeyExchange one byte short. */
    snprintf(text, sizeof text, HEAD("server", "1.2") "%ssend ClientKeyExchange truncate=1\n", server_flight);
    expect_outcome(text, SD_OUTCOME_ALERT, SD_decode_error);
    /* A ServerHelloDone with a body. */
    snprintf(text, sizeof text,
             HEAD("client",
                  "1.2") "expect ClientHello\nsend ServerHello\nsend Certificate\nsend ServerKeyExchange\n"
                         "send ServerHelloDone append=00\n");
    expect_outcome(text, SD_OUTCOME_ALERT, SD_decode_error);
    /* An empty Certificate from the server. */
    snprintf(text, sizeof text,
             HEAD("client", "1.2") "expect ClientHello\nsend ServerHello\nsend Certificate empty\n"
                                   "send ServerKeyExchange\nsend ServerHelloDone\n");
    for (size_t i = 0; i < N_STACKS; i++) {
        sd_outcome o;
        run_text(text, stacks[i], &o, NULL);
        assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    }
}

/* TLS 1.2: expect does not skip the CCS; expect-ccs takes it. */
static void tls12_ccs_is_a_step(void **state) {
    (void)state;
    sd_outcome o;
    run_text(
        HEAD("server", "1.2") "send ClientHello\nexpect ServerHello\nexpect Certificate\n"
                              "expect ServerKeyExchange\nexpect ServerHelloDone\nsend ClientKeyExchange\n"
                              "send-ccs\nsend Finished\nexpect Finished\n",
        &sd_target_model, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_DEVIATED);
    assert_non_null(strstr(o.detail, "ChangeCipherSpec"));
}

#define TLS13_CLIENT_FLIGHT \
    "send ServerHello\nsend EncryptedExtensions\nsend Certificate\nsend CertificateVerify\nsend Finished\n"

/* HelloRetryRequest: the target client answers with a second ClientHello in
 * the group asked for, and the handshake completes over message_hash. */
static void tls13_hello_retry_request(void **state) {
    (void)state;
    expect_outcome(
        HEAD("client",
             "1.3") "expect ClientHello\nsend HelloRetryRequest\nexpect ClientHello\n" TLS13_CLIENT_FLIGHT
                    "expect Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n",
        SD_OUTCOME_COMPLETED, 0);
    expect_outcome(HEAD("client", "1.3") "expect ClientHello\nsend HelloRetryRequest\nexpect ClientHello\n"
                                         "send HelloRetryRequest\n",
                   SD_OUTCOME_ALERT, SD_unexpected_message);
}

/* --- HelloRetryRequests the trace did not plan ---------------------------- */

/* The driver's ClientHello has a key share for x25519 only, and offers
 * x25519, P-256 and P-384 in supported_groups: a server that takes P-256
 * only asks for a share with a HelloRetryRequest. */
static const uint16_t p256_only[] = {SD_secp256r1};

/* Runs a scenario against one stack whose groups are `groups` (n 0: its
 * defaults). */
static void run_with_groups(const sd_scenario *s, const sd_target_ops *stack, const uint16_t *groups,
                            size_t n_groups, sd_outcome *out, capture *cap) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, stack, s->role, &pki);
    sd_run_config_apply_scenario(&cfg, s);
    cfg.target_groups = groups;
    cfg.n_target_groups = n_groups;
    if (cap) {
        cfg.on_bytes = on_bytes;
        cfg.observer_ctx = cap;
    }
    sd_driver_run(&s->trace, &cfg, out);
}

static void parse_text(const char *text, sd_scenario *s) {
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), s, err, sizeof err)) fail_msg("%s", err);
}

/* How many handshake events of this type (hrr: HelloRetryRequests) came
 * from that side; the last one's step and mutated flag. */
typedef struct {
    size_t n;
    int last_step;
    bool any_mutated;
} event_count;

static event_count count_events(const sd_outcome *o, sd_direction from, uint8_t type, bool hrr) {
    event_count c = {0, -1, false};
    for (size_t i = 0; i < o->n_events; i++) {
        const sd_event *e = &o->events[i];
        if (e->from != from || e->kind != SD_EVENT_HANDSHAKE || e->code != type || e->hrr != hrr) continue;
        c.n++;
        c.last_step = e->step;
        c.any_mutated |= e->mutated;
    }
    return c;
}

/* The body of the n-th plaintext handshake record the driver sent (the
 * ClientHellos go one to a record). */
static sd_span nth_message_body(const capture *cap, size_t n) {
    sd_reader r = sd_reader_of(sd_buf_span(&cap->from_peer));
    sd_record rec;
    uint8_t alert;
    for (size_t i = 0;; i++) {
        assert_int_equal(sd_parse_record(&r, &rec, &alert), 1);
        if (i == n) break;
    }
    assert_int_equal(rec.content_type, SD_handshake);
    assert_true(rec.fragment.len >= 4);
    return sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4);
}

/* The happy server scenario, unchanged, against a server that takes P-256
 * only: it sends a HelloRetryRequest the script does not plan, the driver
 * answers with a second ClientHello (RFC 8446 §4.1.2: one share, in the
 * group asked for; the same random and session id; the cookie back), and
 * the handshake completes in P-256 over message_hash (§4.4.1). With the
 * stack's own groups no HelloRetryRequest comes, and one ClientHello
 * does. */
static void tls13_unplanned_hello_retry_request(void **state) {
    (void)state;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/scenarios/tls13/server.handshake.happy.sd",
             getenv("SHAKEDOWN_SOURCE_DIR") ? getenv("SHAKEDOWN_SOURCE_DIR") : SHAKEDOWN_SOURCE_DIR);
    sd_scenario s;
    if (!sd_scenario_load(path, &s, err, sizeof err)) fail_msg("%s", err);
    for (size_t i = 0; i < N_STACKS; i++) {
        capture cap;
        sd_buf_init(&cap.from_peer);
        sd_buf_init(&cap.from_target);
        sd_outcome o;
        run_with_groups(&s, stacks[i], p256_only, 1, &o, &cap);
        if (o.kind != SD_OUTCOME_COMPLETED)
            fail_msg("%s: got %s (%s)", stacks[i]->name, sd_outcome_kind_name(o.kind), o.detail);
        assert_int_equal(o.group, SD_secp256r1);
        event_count retries = count_events(&o, SD_FROM_TARGET, SD_ServerHello, true);
        event_count hellos = count_events(&o, SD_FROM_PEER, SD_ClientHello, false);
        event_count server_hellos = count_events(&o, SD_FROM_TARGET, SD_ServerHello, false);
        assert_int_equal(retries.n, 1);
        assert_int_equal(server_hellos.n, 1);
        assert_int_equal(hellos.n, 2);
        assert_false(hellos.any_mutated);
        assert_int_equal(hellos.last_step, 1); /* sent while the trace waited for the ServerHello */

        sd_client_hello first, second;
        uint8_t alert;
        assert_true(sd_parse_client_hello(nth_message_body(&cap, 0), &first, &alert));
        assert_true(sd_parse_client_hello(nth_message_body(&cap, 1), &second, &alert));
        assert_true(sd_span_eq(first.random, second.random));
        assert_true(sd_span_eq(first.legacy_session_id, second.legacy_session_id));
        assert_true(sd_span_eq(first.cipher_suites, second.cipher_suites));
        sd_span ext, ext2, entries;
        assert_true(sd_extensions_find(first.extensions, SD_supported_groups, &ext));
        assert_true(sd_extensions_find(second.extensions, SD_supported_groups, &ext2));
        assert_true(sd_span_eq(ext, ext2));
        assert_true(sd_extensions_find(second.extensions, SD_key_share, &ext));
        assert_true(sd_parse_key_share_ch(ext, &entries, &alert));
        sd_reader it = sd_reader_of(entries);
        sd_key_share_entry e;
        assert_int_equal(sd_key_share_next(&it, &e, &alert), 1);
        assert_int_equal(e.group, SD_secp256r1);
        assert_int_equal(sd_key_share_next(&it, &e, &alert), 0);
        /* The model's HelloRetryRequest has a cookie, BoringSSL's none
         * (sd_target_config.hrr_no_cookie): the second ClientHello has
         * one exactly when there was one to echo. */
        assert_int_equal(sd_extensions_find(second.extensions, SD_cookie, &ext),
                         stacks[i] == &sd_target_model);
        assert_false(sd_extensions_find(first.extensions, SD_cookie, &ext));
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);

        run_with_groups(&s, stacks[i], NULL, 0, &o, NULL);
        assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
        assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_ServerHello, true).n, 0);
        assert_int_equal(count_events(&o, SD_FROM_PEER, SD_ClientHello, false).n, 1);
    }
    /* A ClientHello whose offer the trace changed is not followed by one
     * the driver makes up: it could not offer the same (§4.1.2). The
     * HelloRetryRequest is then the ServerHello the trace expected, as
     * before, and the server waits for a second ClientHello. */
    sd_scenario changed;
    parse_text(HEAD("server", "1.3") "send ClientHello add-ext=65000:00\nexpect ServerHello\n"
                                     "expect EncryptedExtensions\n",
               &changed);
    sd_outcome o;
    run_with_groups(&changed, &sd_target_model, p256_only, 1, &o, NULL);
    if (o.kind != SD_OUTCOME_WAITING) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_ServerHello, true).n, 1);
    assert_int_equal(count_events(&o, SD_FROM_PEER, SD_ClientHello, false).n, 1);
    sd_scenario_free(&changed);
    /* Framing (record-version=) is not the offer: answered. */
    parse_text(
        HEAD("server", "1.3") "send ClientHello record-version=0x0301\nexpect ServerHello\n"
                              "expect EncryptedExtensions\nexpect Certificate\nexpect CertificateVerify\n"
                              "expect Finished\nsend Finished\nsend-appdata \"ping\"\n"
                              "expect-appdata \"ping\"\n",
        &changed);
    run_with_groups(&changed, &sd_target_model, p256_only, 1, &o, NULL);
    if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_int_equal(count_events(&o, SD_FROM_PEER, SD_ClientHello, false).n, 2);
    sd_scenario_free(&changed);
    sd_scenario_free(&s);
}

/* A scenario's `groups:` is the target's: a server that accepts P-256 only
 * must answer the driver's x25519 share with a HelloRetryRequest (RFC 8446
 * §4.1.1), planned here, and the handshake completes in P-256. Its
 * `cipher-suite:` is the one suite the driver's TLS 1.3 ClientHello
 * offers, in both ClientHellos. */
static void tls13_groups_header_forces_a_retry(void **state) {
    (void)state;
    static const char text[] =
        HEAD("server", "1.3") "groups: secp256r1\ncipher-suite: TLS_AES_256_GCM_SHA384\n"
                              "send ClientHello\nexpect HelloRetryRequest\n"
                              "send ClientHello\nexpect ServerHello\n"
                              "expect EncryptedExtensions\nexpect Certificate\n"
                              "expect CertificateVerify\nexpect Finished\n"
                              "send Finished\nsend-appdata \"ping\"\n"
                              "expect-appdata \"ping\"\n";
    sd_scenario s;
    parse_text(text, &s);
    assert_int_equal(s.n_groups, 1);
    assert_int_equal(s.groups[0], SD_secp256r1);
    for (size_t i = 0; i < N_STACKS; i++) {
        capture cap;
        sd_buf_init(&cap.from_peer);
        sd_buf_init(&cap.from_target);
        sd_outcome o;
        run_with_groups(&s, stacks[i], s.groups, s.n_groups, &o, &cap);
        if (o.kind != SD_OUTCOME_COMPLETED)
            fail_msg("%s: got %s (%s)", stacks[i]->name, sd_outcome_kind_name(o.kind), o.detail);
        assert_int_equal(o.group, SD_secp256r1);
        assert_int_equal(o.cipher_suite, SD_TLS_AES_256_GCM_SHA384);
        assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_ServerHello, true).n, 1);
        sd_client_hello ch;
        uint8_t alert;
        assert_true(sd_parse_client_hello(nth_message_body(&cap, 0), &ch, &alert));
        assert_int_equal(ch.cipher_suites.len, 2);
        assert_int_equal(ch.cipher_suites.data[0] << 8 | ch.cipher_suites.data[1], SD_TLS_AES_256_GCM_SHA384);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);
    }
    /* Without the header the same stacks take the x25519 share: the
     * HelloRetryRequest the trace expects never comes. */
    sd_outcome o;
    run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_DEVIATED);
    sd_scenario_free(&s);
}

/* A peer that offered no signature scheme the credential's key can make
 * gets no honest Certificate: the run did not play the scenario's premise
 * (a peer that takes this credential), so a refusal, which RFC 8446
 * §4.4.2.2 may well ask for, is UNREACHED, not FAIL. The same credential to
 * a peer that offered its scheme completes (PASS). */
static void credential_the_peer_cannot_take_is_not_reached(void **state) {
    (void)state;
    static const char head[] =
        "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: client\nversion: 1.3\nexpect: complete\n"
        "credential: leaf-ed25519\n";
    static const char trace[] = "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                                "send Certificate\nsend CertificateVerify\nsend Finished\nexpect Finished\n";
    const char *lists[] = {"signature-algorithms: ecdsa_secp256r1_sha256\n",
                           "signature-algorithms: ecdsa_secp256r1_sha256, ed25519\n"};
    for (int i = 0; i < 2; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s\n%s", head, lists[i], trace);
        sd_scenario s;
        parse_text(text, &s);
        sd_outcome o;
        run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
        char why[700];
        sd_verdict v = sd_classify(&s, &o, why, sizeof why);
        if (i == 0) {
            assert_true(o.honest_not_made);
            assert_int_equal(v, SD_VERDICT_UNREACHED);
            assert_non_null(strstr(why, "no signature scheme that fits"));
        } else {
            assert_false(o.honest_not_made);
            assert_int_equal(v, SD_VERDICT_PASS);
        }
        sd_scenario_free(&s);
    }
}

/* A deviation the target's own choices left nothing to change is not made:
 * drop-ext=cookie against the model, whose HelloRetryRequest has a cookie,
 * is refused (§4.2.2); against BoringSSL, whose has none, the ClientHello
 * goes out as built, the run does not count it as reached, and the oracle
 * says UNREACHED rather than judging a handshake that deviated nowhere. */
static void unmade_deviation_is_not_reached(void **state) {
    (void)state;
    static const char text[] =
        "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: server\nversion: 1.3\nexpect: alert illegal_parameter\n"
        "groups: secp256r1\nsend ClientHello\nexpect HelloRetryRequest\nsend ClientHello drop-ext=cookie\n"
        "expect ServerHello\n";
    sd_scenario s;
    parse_text(text, &s);
    char why[512];
    sd_outcome o;
    run_with_groups(&s, &sd_target_model, s.groups, s.n_groups, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.alert, SD_illegal_parameter);
    assert_int_equal(o.reached, 2);
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_PASS);
    run_with_groups(&s, &sd_target_boringssl, s.groups, s.n_groups, &o, NULL);
    assert_int_not_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.reached, 1);
    assert_non_null(strstr(o.detail, "step 2's mutations changed nothing"));
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_UNREACHED);
    sd_scenario_free(&s);
    /* The same drop where the message has the extension is made. */
    parse_text(
        "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: server\nversion: 1.3\nexpect: alert missing_extension\n"
        "send ClientHello drop-ext=key_share\n",
        &s);
    run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
    assert_int_equal(o.reached, 0);
    assert_null(strstr(o.detail, "changed nothing"));
    sd_scenario_free(&s);
}

/* A client that offers only the group it sent a share for (wolfSSL when it
 * resumes) leaves a HelloRetryRequest no group to ask for (RFC 8446 §4.2.8:
 * the selected group must be in supported_groups and have no share). The
 * driver's then asks for none and carries a cookie instead (§4.1.4 asks
 * only for a change; §4.2.2), the client echoes it with the same share, and
 * the handshake completes. */
static void hello_retry_request_without_a_group_carries_a_cookie(void **state) {
    (void)state;
    static const uint16_t x25519_only[] = {SD_x25519};
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/scenarios/tls13/client.handshake.hello-retry-request.sd",
             getenv("SHAKEDOWN_SOURCE_DIR") ? getenv("SHAKEDOWN_SOURCE_DIR") : SHAKEDOWN_SOURCE_DIR);
    sd_scenario s;
    if (!sd_scenario_load(path, &s, err, sizeof err)) fail_msg("%s", err);
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    sd_outcome o;
    run_with_groups(&s, &sd_target_model, x25519_only, 1, &o, &cap);
    if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_null(strstr(o.detail, "not played"));
    assert_int_equal(sd_classify(&s, &o, err, sizeof err), SD_VERDICT_PASS);
    assert_int_equal(o.group, SD_x25519);

    sd_server_hello hrr;
    uint8_t alert;
    sd_span ext, cookie;
    assert_true(sd_parse_server_hello(nth_message_body(&cap, 0), &hrr, &alert));
    assert_true(sd_span_eq(hrr.random, sd_span_of(sd_hrr_random, SD_RANDOM_LEN)));
    assert_false(sd_extensions_find(hrr.extensions, SD_key_share, &ext));
    assert_true(sd_extensions_find(hrr.extensions, SD_cookie, &cookie));

    /* The target's second ClientHello: the cookie back, one x25519 share. */
    sd_reader r = sd_reader_of(sd_buf_span(&cap.from_target));
    sd_record rec;
    size_t hellos = 0;
    sd_client_hello second;
    while (hellos < 2 && sd_parse_record(&r, &rec, &alert) == 1)
        if (rec.content_type == SD_handshake && rec.fragment.len >= 4 &&
            rec.fragment.data[0] == SD_ClientHello && ++hellos == 2)
            assert_true(sd_parse_client_hello(sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4),
                                              &second, &alert));
    assert_int_equal(hellos, 2);
    assert_true(sd_extensions_find(second.extensions, SD_cookie, &ext));
    assert_true(sd_span_eq(ext, cookie));
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
    sd_scenario_free(&s);
}

/* A server that answers every ClientHello with a HelloRetryRequest for the
 * next group of retry_groups (0: nothing more), cookie-less, in
 * TLS_AES_128_GCM_SHA256: one that sends what the model and BoringSSL
 * never do. */
static uint16_t retry_groups[2];

typedef struct {
    sd_target base;
    size_t hellos;
    sd_buf out;
} retrier;

static void retrier_start(sd_target *t) { (void)t; }
static void retrier_feed(sd_target *t, sd_span bytes) {
    retrier *r = (retrier *)t;
    sd_reader in = sd_reader_of(bytes);
    sd_record rec;
    uint8_t alert;
    while (sd_parse_record(&in, &rec, &alert) == 1) {
        sd_client_hello ch;
        if (rec.content_type != SD_handshake || rec.fragment.len < 4 ||
            rec.fragment.data[0] != SD_ClientHello ||
            !sd_parse_client_hello(sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4), &ch, &alert))
            continue;
        size_t n = r->hellos++;
        if (n >= sizeof retry_groups / sizeof retry_groups[0] || !retry_groups[n]) continue;
        sd_buf body, msg;
        sd_buf_init(&body);
        sd_buf_init(&msg);
        sd_msg_server_hello(&body, true, sd_hrr_random, ch.legacy_session_id, SD_TLS_AES_128_GCM_SHA256,
                            retry_groups[n], NULL, sd_span_of(NULL, 0), -1);
        sd_build_handshake(&msg, SD_ServerHello, sd_buf_span(&body), -1);
        sd_build_record(&r->out, SD_handshake, SD_TLS12, sd_buf_span(&msg));
        sd_buf_free(&body);
        sd_buf_free(&msg);
    }
}
static void retrier_drain(sd_target *t, sd_buf *out) {
    retrier *r = (retrier *)t;
    sd_buf_append_span(out, sd_buf_span(&r->out));
    sd_buf_reset(&r->out);
}
static void retrier_status(sd_target *t, sd_target_status *st) {
    (void)t;
    memset(st, 0, sizeof *st);
    st->alert_sent = st->alert_sent_level = st->alert_received = -1;
}
static void retrier_destroy(sd_target *t) {
    sd_buf_free(&((retrier *)t)->out);
    free(t);
}
static sd_target *retrier_create(const sd_target_config *cfg, sd_target_error *err);
static const sd_target_ops retrier_ops = {
    .name = "retrier",
    .create = retrier_create,
    .start = retrier_start,
    .feed = retrier_feed,
    .drain = retrier_drain,
    .status = retrier_status,
    .destroy = retrier_destroy,
};
static sd_target *retrier_create(const sd_target_config *cfg, sd_target_error *err) {
    (void)cfg;
    (void)err;
    retrier *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->base.ops = &retrier_ops;
    sd_buf_init(&r->out);
    return &r->base;
}

/* The driver answers the first HelloRetryRequest of a connection only, and
 * only one an honest client would answer: a second one (§4.1.4: "If a
 * client receives a second HelloRetryRequest in the same connection ... it
 * MUST abort") is where the run deviates from the trace; one asking for
 * the group the first ClientHello already has a share for, or for a group
 * it did not offer (§4.2.8: "illegal_parameter"), gets no answer. */
static void tls13_unplanned_hello_retry_request_limits(void **state) {
    (void)state;
    sd_scenario s;
    parse_text(HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n",
               &s);
    sd_outcome o;

    retry_groups[0] = SD_secp256r1;
    retry_groups[1] = SD_secp384r1;
    run_with_groups(&s, &retrier_ops, NULL, 0, &o, NULL);
    if (o.kind != SD_OUTCOME_DEVIATED) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_int_equal(o.step, 1);
    assert_string_equal(o.detail, "expected ServerHello, target sent HelloRetryRequest");
    assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_ServerHello, true).n, 2);
    assert_int_equal(count_events(&o, SD_FROM_PEER, SD_ClientHello, false).n, 2);

    /* One HelloRetryRequest only: answered, and then the server has
     * nothing more to say. */
    retry_groups[1] = 0;
    run_with_groups(&s, &retrier_ops, NULL, 0, &o, NULL);
    if (o.kind != SD_OUTCOME_WAITING) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_int_equal(o.step, 1);
    assert_int_equal(count_events(&o, SD_FROM_PEER, SD_ClientHello, false).n, 2);

    /* Not answered: x25519, which the first ClientHello has a share for,
     * and P-521, which it does not offer. `expect ServerHello` then takes
     * the HelloRetryRequest, as it did before the driver answered any. */
    static const uint16_t unanswerable[] = {SD_x25519, SD_secp521r1};
    for (size_t i = 0; i < sizeof unanswerable / sizeof unanswerable[0]; i++) {
        retry_groups[0] = unanswerable[i];
        retry_groups[1] = SD_secp384r1;
        run_with_groups(&s, &retrier_ops, NULL, 0, &o, NULL);
        if (o.kind != SD_OUTCOME_WAITING) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
        assert_int_equal(o.step, 2);
        assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_ServerHello, true).n, 1);
        assert_int_equal(count_events(&o, SD_FROM_PEER, SD_ClientHello, false).n, 1);
    }
    sd_scenario_free(&s);
}

/* KeyUpdate both ways, with and without update_requested; the echo after it
 * proves both sides moved to the next secrets. */
static void tls13_key_update(void **state) {
    (void)state;
    expect_outcome(
        HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                              "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n"
                              "send KeyUpdate body=01\nsend-appdata \"ping\"\nexpect "
                              "KeyUpdate\nexpect-appdata \"ping\"\n"
                              "send KeyUpdate\nsend-appdata \"pong\"\nexpect-appdata \"pong\"\n",
        SD_OUTCOME_COMPLETED, 0);
    expect_outcome(HEAD("client", "1.3") "expect ClientHello\n" TLS13_CLIENT_FLIGHT "expect Finished\n"
                                         "send KeyUpdate body=01\nsend-appdata \"ping\"\nexpect "
                                         "KeyUpdate\nexpect-appdata \"ping\"\n",
                   SD_OUTCOME_COMPLETED, 0);
    /* An invalid request_update: illegal_parameter (§4.6.3) from the model;
     * BoringSSL answers decode_error (its KeyUpdate parser folds the value
     * check into decoding). */
    static const char invalid[] =
        HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\n"
                              "expect EncryptedExtensions\nexpect Certificate\nexpect "
                              "CertificateVerify\nexpect Finished\nsend Finished\n"
                              "send KeyUpdate body=02\nsend-appdata \"ping\"\n";
    static const uint8_t want[N_STACKS] = {SD_illegal_parameter, SD_decode_error};
    for (size_t i = 0; i < N_STACKS; i++) {
        sd_outcome o;
        run_text(invalid, stacks[i], &o, NULL);
        assert_int_equal(o.kind, SD_OUTCOME_ALERT);
        assert_int_equal(o.alert, want[i]);
    }
}

/* RFC 8446 §D.4: the compatibility CCS is optional, and a client may send
 * it before its second ClientHello (BoringSSL) or before its encrypted
 * flight (the model). A TLS 1.3 expect-ccs takes one where it comes, and is
 * met without one where the target sends its next message instead or
 * nothing at all; the message that came instead is the next expect's. */
static void tls13_expect_ccs_is_optional(void **state) {
    (void)state;
    expect_outcome(HEAD("client", "1.3") "expect ClientHello\nsend HelloRetryRequest\nexpect-ccs\nexpect "
                                         "ClientHello\n" TLS13_CLIENT_FLIGHT "expect-ccs\nexpect Finished\n"
                                         "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
                   SD_OUTCOME_COMPLETED, 0);
    expect_outcome(HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\nexpect-ccs\nexpect-ccs\n"
                                         "expect EncryptedExtensions\nexpect Certificate\nexpect "
                                         "CertificateVerify\nexpect Finished\nsend Finished\n"
                                         "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
                   SD_OUTCOME_COMPLETED, 0);
    /* Nothing more to come: the expect-ccs is met, the wait is the next
     * expect's. */
    for (size_t i = 0; i < N_STACKS; i++) {
        sd_outcome o;
        run_text(HEAD("client", "1.3") "expect ClientHello\nexpect-ccs\nexpect ClientHello\n", stacks[i], &o,
                 NULL);
        assert_int_equal(o.kind, SD_OUTCOME_WAITING);
        assert_int_equal(o.step, 2);
    }
    /* TLS 1.2: a step of the handshake (RFC 5246 §7.1), not optional. */
    for (size_t i = 0; i < N_STACKS; i++) {
        sd_outcome o;
        run_text(HEAD("client", "1.2") "expect ClientHello\nexpect-ccs\n", stacks[i], &o, NULL);
        assert_int_equal(o.kind, SD_OUTCOME_WAITING);
        assert_int_equal(o.step, 1);
    }
}

/* RFC 8446 §4.6.3: asked for a KeyUpdate, a stack owes one "prior to
 * sending its next Application Data record". One that answers at once (the
 * model) and one that answers with its next record (BoringSSL) both meet an
 * expect KeyUpdate placed before the driver's application data; a stack
 * that sent its data first would not. */
static void tls13_key_update_answer_is_due_before_data(void **state) {
    (void)state;
    expect_outcome(HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                                         "expect Certificate\nexpect CertificateVerify\nexpect Finished\n"
                                         "send Finished\nsend KeyUpdate body=01\nexpect KeyUpdate\n"
                                         "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
                   SD_OUTCOME_COMPLETED, 0);
}

/* A target that stops without an alert ends the run at the input that made
 * it stop, whatever the trace sends next and whatever of its own answer is
 * still unread: its ladder ends there, as one that refuses with an alert. */
static void silent_close_ends_the_run_at_its_input(void **state) {
    (void)state;
    /* The model ends the connection on a received error alert. */
    sd_outcome o;
    run_text(HEAD("server", "1.3") "send ClientHello\nsend-alert fatal handshake_failure\nsend Finished\n"
                                   "expect ServerHello\n",
             &sd_target_model, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_CLOSED);
    assert_int_equal(o.step, 1);
    assert_int_equal(o.reached, 1);
    assert_int_equal(o.events[o.n_events - 1].from, SD_FROM_PEER);
    assert_int_equal(o.events[o.n_events - 1].kind, SD_EVENT_ALERT);
    /* BoringSSL ends it on a close_notify before the handshake is done; the
     * model takes it and ignores what follows (RFC 8446 §6.1). */
    static const char early_close[] =
        HEAD("server", "1.3") "send ClientHello\nsend-alert warning close_notify\n"
                              "send Finished\nexpect Certificate\n";
    run_text(early_close, &sd_target_boringssl, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_CLOSED);
    assert_int_equal(o.step, 1);
    assert_int_equal(o.events[o.n_events - 1].kind, SD_EVENT_ALERT);
    run_text(early_close, &sd_target_model, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_DEVIATED);
    assert_int_equal(o.step, 3);
}

/* CertificateRequest: a target client without a certificate answers with
 * an empty Certificate; NewSessionTicket after the handshake is accepted. */
static void tls13_certificate_request_and_ticket(void **state) {
    (void)state;
    expect_outcome(
        HEAD("client",
             "1.3") "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                    "send CertificateRequest\nsend Certificate\nsend CertificateVerify\nsend Finished\n"
                    "expect Certificate\nexpect Finished\nsend NewSessionTicket\nsend-appdata \"ping\"\n"
                    "expect-appdata \"ping\"\n",
        SD_OUTCOME_COMPLETED, 0);
}

/* The model, except that once its handshake is done it sends a close_notify
 * of its own accord (in plaintext, which the driver reads all the same). */
/* The model, with one extra plaintext alert record appended to what it
 * sends: a stack that does something the model never does. When: after
 * the handshake (a close_notify the trace did not ask for), or after the
 * first flight (a TLS 1.2 warning). */
typedef enum { APPEND_AFTER_HANDSHAKE, APPEND_AFTER_FIRST_FLIGHT } append_when;
static struct {
    append_when when;
    uint8_t level, description;
} append_plan;

typedef struct {
    sd_target base;
    sd_target *inner;
    bool appended;
} appender;

static sd_target *appender_create(const sd_target_config *cfg, sd_target_error *err);
static void appender_start(sd_target *t) { ((appender *)t)->inner->ops->start(((appender *)t)->inner); }
static void appender_feed(sd_target *t, sd_span b) {
    ((appender *)t)->inner->ops->feed(((appender *)t)->inner, b);
}
static void appender_status(sd_target *t, sd_target_status *st) {
    ((appender *)t)->inner->ops->status(((appender *)t)->inner, st);
}
static void appender_drain(sd_target *t, sd_buf *out) {
    appender *w = (appender *)t;
    size_t before = out->len;
    w->inner->ops->drain(w->inner, out);
    sd_target_status st;
    w->inner->ops->status(w->inner, &st);
    bool now = append_plan.when == APPEND_AFTER_HANDSHAKE ? st.handshake_done : out->len > before;
    if (now && !w->appended) {
        const uint8_t alert[] = {SD_alert, 3, 3, 0, 2, append_plan.level, append_plan.description};
        sd_buf_append(out, alert, sizeof alert);
        w->appended = true;
    }
}
static void appender_destroy(sd_target *t) {
    ((appender *)t)->inner->ops->destroy(((appender *)t)->inner);
    free(t);
}
static const sd_target_ops appender_ops = {
    .name = "appender",
    .create = appender_create,
    .start = appender_start,
    .feed = appender_feed,
    .drain = appender_drain,
    .status = appender_status,
    .destroy = appender_destroy,
};
static sd_target *appender_create(const sd_target_config *cfg, sd_target_error *err) {
    appender *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->base.ops = &appender_ops;
    if (!(w->inner = sd_target_model.create(cfg, err))) {
        free(w);
        return NULL;
    }
    return &w->base;
}

/* A target that completes and then closes on its own did not complete the
 * trace: the outcome says closed. */
static void closed_after_completion_is_not_completed(void **state) {
    (void)state;
    sd_outcome o;
    append_plan.when = APPEND_AFTER_HANDSHAKE;
    append_plan.level = SD_ALERT_LEVEL_WARNING;
    append_plan.description = SD_close_notify;
    run_text(HEAD("server",
                  "1.3") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                         "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n",
             &appender_ops, &o, NULL);
    if (o.kind != SD_OUTCOME_CLOSED) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_true(o.handshake_done);
    /* The same trace with expect-close takes the close as asked for. */
    run_text(HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                                   "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend "
                                   "Finished\nexpect-close\n",
             &appender_ops, &o, NULL);
    if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    /* The driver's close_notify is answered: complete. */
    expect_outcome(
        HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                              "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n"
                              "send-alert warning close_notify\n",
        SD_OUTCOME_COMPLETED, 0);
    /* An unexpected message after the handshake: the target refuses with an
     * alert, whatever its status says about the handshake. */
    expect_outcome(
        HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                              "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n"
                              "send ServerHello\n",
        SD_OUTCOME_ALERT, SD_unexpected_message);
}

/* RFC 5246 §7.2.2: after a TLS 1.2 warning "the connection can continue
 * normally": the driver passes over it, and the handshake completes. Only
 * when the trace ends on it is the warning the target's answer. */
static void tls12_warning_does_not_end_the_run(void **state) {
    (void)state;
    sd_outcome o;
    /* RFC 6066 §3 allows unrecognized_name at warning level. */
    append_plan.when = APPEND_AFTER_FIRST_FLIGHT;
    append_plan.level = SD_ALERT_LEVEL_WARNING;
    append_plan.description = SD_unrecognized_name;
    run_text(tls12_server_happy[0], &appender_ops, &o, NULL);
    if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    run_text(
        HEAD("server",
             "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                    "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
                    "expect ServerHelloDone\n",
        &appender_ops, &o, NULL);
    if (o.kind != SD_OUTCOME_ALERT) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_int_equal(o.alert, SD_unrecognized_name);
    assert_int_equal(o.alert_level, SD_ALERT_LEVEL_WARNING);
    /* A trace that goes on past the warning waits for what it expects... */
    static const char waits[] =
        HEAD("server",
             "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                    "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
                    "expect ServerHelloDone\nexpect ServerHello\n";
    run_text(waits, &appender_ops, &o, NULL);
    if (o.kind != SD_OUTCOME_WAITING) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    /* ...unless the warning is no_renegotiation, the answer RFC 5246 §7.2.2
     * and RFC 5746 §4.2 give to a renegotiation the target refuses: then
     * that is its answer, though it waits on. */
    append_plan.description = SD_no_renegotiation;
    run_text(waits, &appender_ops, &o, NULL);
    if (o.kind != SD_OUTCOME_ALERT) fail_msg("got %s (%s)", sd_outcome_kind_name(o.kind), o.detail);
    assert_int_equal(o.alert, SD_no_renegotiation);
    assert_int_equal(o.alert_level, SD_ALERT_LEVEL_WARNING);
}

/* The first handshake message the driver sent, from the captured bytes
 * (its first record, plaintext). */
static sd_span first_message_body(const capture *cap) {
    sd_reader r = sd_reader_of(sd_buf_span(&cap->from_peer));
    sd_record rec;
    uint8_t alert;
    assert_int_equal(sd_parse_record(&r, &rec, &alert), 1);
    assert_int_equal(rec.content_type, SD_handshake);
    return sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4);
}

static size_t count_extension(sd_span block, uint16_t type) {
    sd_reader it = sd_reader_of(block);
    uint16_t t;
    sd_span body;
    size_t n = 0;
    uint8_t alert;
    while (sd_extensions_next(&it, &t, &body, &alert) > 0) n += t == type;
    return n;
}

/* dup-ext, add-ext, drop-ext and record-version change what goes on the
 * wire, and nothing else: the extension block still frames. */
static void extension_and_record_mutations(void **state) {
    (void)state;
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    sd_outcome o;
    run_text(HEAD("server", "1.3") "send ClientHello dup-ext=supported_groups drop-ext=server_name "
                                   "add-ext=65000:abcd record-version=0x0301\nexpect ServerHello\n",
             &sd_target_model, &o, &cap);
    assert_int_equal(cap.from_peer.data[1], 0x03); /* the record's version */
    assert_int_equal(cap.from_peer.data[2], 0x01);
    /* The parser refuses the repeat, so the block is found by hand:
     * version, random, session id, suites, compression, extensions. */
    sd_reader r = sd_reader_of(first_message_body(&cap));
    sd_span skip = {0}, block = {0};
    assert_true(sd_read_bytes(&r, 34, &skip) && sd_read_prefixed(&r, 1, &skip) &&
                sd_read_prefixed(&r, 2, &skip) && sd_read_prefixed(&r, 1, &skip) &&
                sd_read_prefixed(&r, 2, &block));
    assert_int_equal(r.len, 0);
    sd_client_hello ch = {.extensions = block};
    assert_int_equal(count_extension(ch.extensions, SD_supported_groups), 2);
    assert_int_equal(count_extension(ch.extensions, SD_server_name), 0);
    assert_int_equal(count_extension(ch.extensions, 65000), 1);
    sd_span ext;
    assert_true(sd_extensions_find(ch.extensions, 65000, &ext));
    assert_int_equal(ext.len, 2);
    assert_int_equal(ext.data[0], 0xab);
    /* Two supported_groups: the model refuses the ClientHello. */
    assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.alert, SD_decode_error);
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
}

/* A ClientHello body's legacy_session_id, read by hand (the parser refuses
 * one over 32 bytes): after 2 bytes of version and 32 of random. */
static sd_span hello_session_id(sd_span body) {
    assert_true(body.len > 35 && body.len >= 35u + body.data[34]);
    return sd_span_of(body.data + 35, body.data[34]);
}

/* session-id=: the hello's session id becomes exactly those bytes with a
 * length prefix that says so, the rest of the message as built (a 33-byte
 * one is refused by both stacks; one of 16 bytes completes, and a second
 * ClientHello after a HelloRetryRequest repeats it, RFC 8446 §4.1.2); on a
 * TLS 1.2 ServerHello too. */
static void session_id_mutation(void **state) {
    (void)state;
    static const char id33[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    char text[1024];
    for (size_t i = 0; i < N_STACKS; i++) {
        capture cap;
        sd_buf_init(&cap.from_peer);
        sd_buf_init(&cap.from_target);
        sd_outcome o;
        snprintf(text, sizeof text,
                 HEAD("server", "1.3") "send ClientHello session-id=%s\nexpect ServerHello\n", id33);
        run_text(text, stacks[i], &o, &cap);
        sd_span body = first_message_body(&cap);
        sd_span id = hello_session_id(body);
        assert_int_equal(id.len, 33);
        for (size_t k = 0; k < 33; k++) assert_int_equal(id.data[k], k);
        /* What follows still frames: suites, compression, extensions, end. */
        sd_reader r = sd_reader_of(sd_span_of(id.data + id.len, body.len - 35 - id.len));
        sd_span skip;
        assert_true(sd_read_prefixed(&r, 2, &skip) && sd_read_prefixed(&r, 1, &skip) &&
                    sd_read_prefixed(&r, 2, &skip) && r.len == 0);
        if (o.kind != SD_OUTCOME_ALERT || o.alert != SD_decode_error)
            fail_msg("%s: a 33-byte session id: %s", stacks[i]->name, o.detail);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);
    }
    /* 16 bytes, and a planned HelloRetryRequest: the second ClientHello the
     * driver builds carries the id the first one did, so the model (which
     * checks it) completes. */
    static const char retry[] =
        "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: server\nversion: 1.3\nexpect: complete\n"
        "groups: secp256r1\nsend ClientHello session-id=00112233445566778899aabbccddeeff\n"
        "expect HelloRetryRequest\nsend ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
        "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n";
    sd_scenario s;
    parse_text(retry, &s);
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    sd_outcome o;
    run_with_groups(&s, &sd_target_model, s.groups, s.n_groups, &o, &cap);
    if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("16-byte session id over a retry: %s", o.detail);
    static const uint8_t id16[] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    for (size_t n = 0; n < 2; n++) {
        sd_span id = hello_session_id(nth_message_body(&cap, n));
        assert_int_equal(id.len, sizeof id16);
        assert_memory_equal(id.data, id16, sizeof id16);
    }
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
    sd_scenario_free(&s);
    /* A TLS 1.2 ServerHello, whose honest session_id is empty (the driver
     * resumes nothing): 33 bytes there, refused by both clients. */
    snprintf(
        text, sizeof text,
        HEAD("client", "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nexpect ClientHello\n"
                              "send ServerHello session-id=%s\nsend Certificate\nsend ServerKeyExchange\n"
                              "send ServerHelloDone\n",
        id33);
    expect_outcome(text, SD_OUTCOME_ALERT, SD_decode_error);
    /* session-id= that leaves the id as built (a TLS 1.2 ServerHello's is
     * empty) made no deviation: not reached. */
    run_text(
        HEAD("client", "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nexpect ClientHello\n"
                              "send ServerHello session-id=\n",
        &sd_target_model, &o, NULL);
    assert_non_null(strstr(o.detail, "changed nothing"));
}

/* add-suite=: the ClientHello's cipher_suites gains the value at its end,
 * after the suites the driver offers, its length fixed up and the rest of
 * the message framed as before. With TLS_FALLBACK_SCSV (RFC 7507 §3) a
 * server whose highest version is TLS 1.3 refuses a TLS 1.2 ClientHello
 * (inappropriate_fallback), and a TLS 1.2-only one completes. */
static void add_suite_mutation(void **state) {
    (void)state;
    static const char fallback[] =
        HEAD("server", "1.2") "versions: 1.2-1.3\nsend ClientHello add-suite=0x5600\nexpect ServerHello\n";
    static const char pinned[] = HEAD(
        "server", "1.2") "versions: 1.2\ncipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                         "send ClientHello add-suite=0x5600\nexpect ServerHello\nexpect Certificate\n"
                         "expect ServerKeyExchange\nexpect ServerHelloDone\n"
                         "send ClientKeyExchange\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n";
    for (size_t i = 0; i < N_STACKS; i++) {
        capture cap;
        sd_buf_init(&cap.from_peer);
        sd_buf_init(&cap.from_target);
        sd_outcome o;
        run_text(fallback, stacks[i], &o, &cap);
        sd_client_hello ch;
        uint8_t alert;
        assert_true(sd_parse_client_hello(first_message_body(&cap), &ch, &alert));
        sd_u16_list suites = {ch.cipher_suites};
        size_t n = sd_u16_list_count(suites);
        assert_true(n >= 2);
        assert_int_equal(sd_u16_list_at(suites, n - 1), 0x5600);
        for (size_t k = 0; k + 1 < n; k++) assert_true(sd_u16_list_at(suites, k) != 0x5600);
        if (o.kind != SD_OUTCOME_ALERT || o.alert != SD_inappropriate_fallback)
            fail_msg("%s: TLS_FALLBACK_SCSV to a TLS 1.3 server: %s", stacks[i]->name, o.detail);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);
        run_text(pinned, stacks[i], &o, NULL);
        if (o.kind != SD_OUTCOME_COMPLETED)
            fail_msg("%s: TLS_FALLBACK_SCSV to a TLS 1.2-only server: %s", stacks[i]->name, o.detail);
    }
    /* On a message without cipher suites it changes nothing: not reached. */
    sd_outcome o;
    run_text(
        HEAD("client", "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nexpect ClientHello\n"
                              "send ServerHello add-suite=0x5600\n",
        &sd_target_model, &o, NULL);
    assert_non_null(strstr(o.detail, "changed nothing"));
}

/* The first handshake message the target sent, its body. */
static sd_span target_first_message_body(const capture *cap) {
    sd_reader r = sd_reader_of(sd_buf_span(&cap->from_target));
    sd_record rec;
    uint8_t alert;
    assert_int_equal(sd_parse_record(&r, &rec, &alert), 1);
    assert_int_equal(rec.content_type, SD_handshake);
    assert_true(rec.fragment.len >= 4 + 2 + SD_RANDOM_LEN);
    return sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4);
}

/* `versions:` reaches the stack under test while the driver plays
 * `version:`: a client set up for TLS 1.2 and 1.3 offers both
 * (supported_versions, RFC 8446 §4.2.1) to a driver that answers TLS 1.2; a
 * server set up so marks its TLS 1.2 ServerHello (§4.1.3), which
 * `expect ServerHello random=` checks, and without the range it does not.
 * random= on a TLS 1.2 ServerHello is what the driver's keys use: a TLS
 * 1.2-only client completes with it. */
static void versions_and_random(void **state) {
    (void)state;
    static const char client13[] =
        HEAD("client", "1.2") "versions: 1.2-1.3\nexpect ClientHello\nsend ServerHello\n"
                              "send Certificate\nsend ServerKeyExchange\n"
                              "send ServerHelloDone\nexpect ClientKeyExchange\n"
                              "expect-ccs\nexpect Finished\nsend-ccs\nsend Finished\n";
    static const char server13[] = HEAD(
        "server", "1.2") "versions: 1.2-1.3\nsend ClientHello\nexpect ServerHello random=444f574e47524401\n"
                         "expect Certificate\nexpect ServerKeyExchange\nexpect ServerHelloDone\n"
                         "send ClientKeyExchange\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n";
    static const char sentinel_to_tls12_client[] =
        HEAD("client", "1.2") "versions: 1.2\nexpect ClientHello\nsend ServerHello random=444f574e47524401\n"
                              "send Certificate\nsend ServerKeyExchange\n"
                              "send ServerHelloDone\nexpect ClientKeyExchange\n"
                              "expect-ccs\nexpect Finished\nsend-ccs\nsend Finished\n";
    for (size_t i = 0; i < N_STACKS; i++) {
        capture cap;
        sd_buf_init(&cap.from_peer);
        sd_buf_init(&cap.from_target);
        sd_outcome o;
        run_text(client13, stacks[i], &o, &cap);
        if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("%s: client 1.2-1.3: %s", stacks[i]->name, o.detail);
        assert_int_equal(o.version, SD_TLS12);
        sd_client_hello ch;
        uint8_t alert;
        sd_span ext;
        sd_u16_list versions;
        assert_true(sd_parse_client_hello(target_first_message_body(&cap), &ch, &alert));
        assert_true(sd_extensions_find(ch.extensions, SD_supported_versions, &ext));
        assert_true(sd_parse_supported_versions_ch(ext, &versions, &alert));
        assert_true(sd_u16_list_contains(versions, SD_TLS13));
        assert_true(sd_u16_list_contains(versions, SD_TLS12));
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);

        sd_buf_init(&cap.from_peer);
        sd_buf_init(&cap.from_target);
        run_text(server13, stacks[i], &o, &cap);
        if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("%s: server 1.2-1.3: %s", stacks[i]->name, o.detail);
        sd_span sh = target_first_message_body(&cap);
        assert_memory_equal(sh.data + 2 + 24, "DOWNGRD\x01", 8);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);

        /* The same server without the range: a TLS 1.2 server, whose
         * random is random; the check says what it wanted and got. */
        char text[2048];
        snprintf(text, sizeof text, "%s", server13);
        char *range = strstr(text, "versions: 1.2-1.3\n");
        assert_non_null(range);
        memmove(range, range + strlen("versions: 1.2-1.3\n"),
                strlen(range + strlen("versions: 1.2-1.3\n")) + 1);
        run_text(text, stacks[i], &o, NULL);
        assert_int_equal(o.kind, SD_OUTCOME_DEVIATED);
        assert_int_equal(o.step, 1);
        assert_non_null(
            strstr(o.detail, "expected ServerHello whose random ends 444f574e47524401, target's ends "));

        run_text(sentinel_to_tls12_client, stacks[i], &o, NULL);
        if (o.kind != SD_OUTCOME_COMPLETED)
            fail_msg("%s: TLS 1.2-only client, sentinel: %s", stacks[i]->name, o.detail);
    }
    /* The random the driver sent ends as random= says, the rest as built. */
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    sd_outcome o;
    run_text(HEAD("server", "1.3") "send ClientHello random=0102\nexpect ServerHello\n", &sd_target_model, &o,
             &cap);
    sd_span ch = first_message_body(&cap);
    assert_int_equal(ch.data[2 + 30], 0x01);
    assert_int_equal(ch.data[2 + 31], 0x02);
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
}

/* flip-ext=: exactly one byte changes, inside the body of the named
 * extension, where the offset says (wrapping as flip='s do); the ladder
 * names the extension; a message without it is sent as built and the step
 * is not reached. The cookie of the model's HelloRetryRequest echoed with
 * its last byte flipped is refused (RFC 8446 §4.2.2). */
static void flip_ext_mutation(void **state) {
    (void)state;
    static const char head[] = "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: server\nversion: 1.3\n"
                               "expect: alert illegal_parameter\ngroups: secp256r1\n"
                               "send ClientHello\nexpect HelloRetryRequest\n";
    /* Offsets in the cookie extension's body (a u16 length, then the
     * cookie) that land in the cookie itself; INT_MIN: the middle. */
    static const struct {
        const char *mutation;
        int offset;
    } cases[] = {{"flip-ext=cookie:last:0x01", -1},
                 {"flip-ext=cookie:middle:0x01", INT_MIN},
                 {"flip-ext=44:2:0x01", 2},
                 {"flip-ext=cookie:-2:0x01", -2}};
    capture honest;
    sd_buf_init(&honest.from_peer);
    sd_buf_init(&honest.from_target);
    char text[1024];
    sd_scenario s;
    sd_outcome o;
    snprintf(text, sizeof text, "%ssend ClientHello\n", head);
    parse_text(text, &s);
    run_with_groups(&s, &sd_target_model, s.groups, s.n_groups, &o, &honest);
    sd_scenario_free(&s);
    sd_span want = nth_message_body(&honest, 1);
    sd_client_hello ch;
    sd_span cookie;
    uint8_t alert;
    assert_true(sd_parse_client_hello(want, &ch, &alert));
    assert_true(sd_extensions_find(ch.extensions, SD_cookie, &cookie));
    assert_true(cookie.len > 4);
    size_t cookie_at = (size_t)(cookie.data - want.data);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        capture cap;
        sd_buf_init(&cap.from_peer);
        sd_buf_init(&cap.from_target);
        snprintf(text, sizeof text, "%ssend ClientHello %s\n", head, cases[c].mutation);
        parse_text(text, &s);
        run_with_groups(&s, &sd_target_model, s.groups, s.n_groups, &o, &cap);
        sd_span got = nth_message_body(&cap, 1);
        assert_int_equal(got.len, want.len);
        size_t at = cookie_at + (cases[c].offset == INT_MIN ? cookie.len / 2
                                 : cases[c].offset < 0      ? cookie.len - (size_t)-cases[c].offset
                                                            : (size_t)cases[c].offset);
        for (size_t k = 0; k < got.len; k++)
            if (got.data[k] != (want.data[k] ^ (k == at ? 0x01 : 0x00)))
                fail_msg("%s: byte %zu of the second ClientHello is %02x, want %02x", cases[c].mutation, k,
                         got.data[k], want.data[k] ^ (k == at ? 0x01 : 0x00));
        /* The model refuses a changed cookie. */
        if (o.kind != SD_OUTCOME_ALERT || o.reached != 2)
            fail_msg("%s: %s, reached %d", cases[c].mutation, o.detail, o.reached);
        /* The ladder says which extension was flipped. */
        bool named = false;
        for (size_t e = 0; e < o.n_events; e++)
            named |= o.events[e].mutated && (o.events[e].mutations & (1u << SD_MUT_FLIP_EXT)) &&
                     o.events[e].extension == SD_cookie;
        assert_true(named);
        sd_scenario_free(&s);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);
    }
    sd_buf_free(&honest.from_peer);
    sd_buf_free(&honest.from_target);
    /* The cookie's last byte is what the mutant model-tls13-hrr-cookie-presence-only
     * misses: the alert is the model's check of its contents. */
    snprintf(text, sizeof text, "%ssend ClientHello flip-ext=cookie:last:0x01\n", head);
    parse_text(text, &s);
    run_with_groups(&s, &sd_target_model, s.groups, s.n_groups, &o, NULL);
    assert_int_equal(o.alert, SD_illegal_parameter);
    assert_non_null(strstr(o.detail, "cookie"));
    sd_scenario_free(&s);
    /* An offset past the end wraps around the extension's body: on the
     * first ClientHello's supported_versions (02 03 04: one version),
     * offset 4 is offset 1. */
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    run_text(
        HEAD("server", "1.3") "send ClientHello flip-ext=supported_versions:4:0x07\nexpect ServerHello\n",
        &sd_target_model, &o, &cap);
    sd_span body = first_message_body(&cap);
    sd_span block = {0}, skip;
    sd_reader r = sd_reader_of(body);
    assert_true(sd_read_bytes(&r, 34, &skip) && sd_read_prefixed(&r, 1, &skip) &&
                sd_read_prefixed(&r, 2, &skip) && sd_read_prefixed(&r, 1, &skip) &&
                sd_read_prefixed(&r, 2, &block));
    sd_span versions;
    assert_true(sd_extensions_find(block, SD_supported_versions, &versions));
    assert_int_equal(versions.len, 3);
    assert_int_equal(versions.data[1], 0x03 ^ 0x07);
    assert_int_equal(versions.data[2], 0x04);
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
    /* An extension the message lacks: sent as built, step not reached. */
    run_text(HEAD("server", "1.3") "send ClientHello flip-ext=65000:0:0x01\nexpect ServerHello\n",
             &sd_target_model, &o, NULL);
    assert_int_equal(o.reached, -1);
    assert_non_null(strstr(o.detail, "changed nothing"));
}

/* premaster-version=: the client_version inside the RSA-encrypted
 * PreMasterSecret. Rolled back to 0x0302 under a ClientHello of 0x0303,
 * both servers go on with a random premaster secret (RFC 5246 §7.4.7.1) and
 * cannot read the driver's Finished: bad_record_mac. Equal to the
 * ClientHello's, it completes; without it the driver writes the
 * client_version its ClientHello carried (0x0304 here, which a TLS 1.2
 * server negotiates down from, RFC 8446 §4.2.1). */
static void premaster_version_mutation(void **state) {
    (void)state;
    static const char head[] =
        HEAD("server", "1.2") "credential: leaf-rsa\ncipher-suite: TLS_RSA_WITH_AES_128_GCM_SHA256\n";
    static const char tail[] = "send-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n";
    static const struct {
        const char *hello, *cke;
        sd_outcome_kind want;
    } cases[] = {
        {"", " premaster-version=0x0302", SD_OUTCOME_ALERT},
        {"", " premaster-version=0x0300", SD_OUTCOME_ALERT},
        {"", " premaster-version=0x0303", SD_OUTCOME_COMPLETED},
        {"", "", SD_OUTCOME_COMPLETED},
        /* legacy_version 0x0303 ^ 0x0007 = 0x0304 */
        {" flip=1:0x07", "", SD_OUTCOME_COMPLETED},
        {" flip=1:0x07", " premaster-version=0x0303", SD_OUTCOME_ALERT},
    };
    char text[2048];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(text, sizeof text,
                 "%ssend ClientHello%s\nexpect ServerHello\nexpect Certificate\nexpect ServerHelloDone\n"
                 "send ClientKeyExchange%s\n%s",
                 head, cases[c].hello, cases[c].cke, tail);
        for (size_t i = 0; i < N_STACKS; i++) {
            sd_outcome o;
            run_text(text, stacks[i], &o, NULL);
            if (o.kind != cases[c].want || (o.kind == SD_OUTCOME_ALERT && o.alert != SD_bad_record_mac))
                fail_msg("%s: ClientHello%s, ClientKeyExchange%s: %s", stacks[i]->name, cases[c].hello,
                         cases[c].cke, o.detail);
        }
    }
}

/* bad-point: an X25519 share of zeros, refused by both stacks; sign-with:
 * a CertificateVerify under a key that does not fit the certificate
 * (CVE-2022-25638), refused by both. */
static void point_and_signature_mutations(void **state) {
    (void)state;
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    sd_outcome o;
    run_text(HEAD("server", "1.3") "send ClientHello bad-point\nexpect ServerHello\n", &sd_target_model, &o,
             &cap);
    sd_client_hello ch;
    sd_span ks, entries;
    uint8_t alert;
    assert_true(sd_parse_client_hello(first_message_body(&cap), &ch, &alert));
    assert_true(sd_extensions_find(ch.extensions, SD_key_share, &ks));
    assert_true(sd_parse_key_share_ch(ks, &entries, &alert));
    sd_reader it = sd_reader_of(entries);
    sd_key_share_entry e;
    assert_int_equal(sd_key_share_next(&it, &e, &alert), 1);
    assert_int_equal(e.group, SD_x25519);
    static const uint8_t zeros[32] = {0};
    assert_int_equal(e.key_exchange.len, 32);
    assert_memory_equal(e.key_exchange.data, zeros, 32);
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
    for (size_t i = 0; i < N_STACKS; i++) {
        run_text(HEAD("server", "1.3") "send ClientHello bad-point\nexpect ServerHello\n", stacks[i], &o,
                 NULL);
        assert_int_equal(o.kind, SD_OUTCOME_ALERT);
        run_text(HEAD("client",
                      "1.3") "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                             "send Certificate\nsend CertificateVerify sign-with=leaf-rsa\nsend Finished\n",
                 stacks[i], &o, NULL);
        if (o.kind != SD_OUTCOME_ALERT)
            fail_msg("%s accepted a mismatched CertificateVerify: %s", stacks[i]->name, o.detail);
    }
    /* TLS 1.2 client authentication: an honest client certificate and
     * CertificateVerify complete; sign-with the RSA key does not. */
    static const char head[] = HEAD("server", "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                                                     "client-auth: require\n";
    static const char flight[] =
        "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
        "expect CertificateRequest\nexpect ServerHelloDone\nsend Certificate cert=client\n"
        "send ClientKeyExchange\n";
    char text[2048];
    snprintf(text, sizeof text,
             "%s%ssend CertificateVerify cert=client\nsend-ccs\nsend Finished\nexpect-ccs\n"
             "expect Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n",
             head, flight);
    expect_outcome(text, SD_OUTCOME_COMPLETED, 0);
    snprintf(text, sizeof text,
             "%s%ssend CertificateVerify cert=client sign-with=client-rsa\nsend-ccs\n"
             "send Finished\n",
             head, flight);
    for (size_t i = 0; i < N_STACKS; i++) {
        run_text(text, stacks[i], &o, NULL);
        assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    }
}

/* scheme=: the driver names that SignatureScheme and signs with it where
 * the key can. Where the scheme is legal (TLS 1.2: PKCS#1 v1.5; (sha256,
 * ecdsa) and (sha512, ecdsa) with a P-384 key, since TLS 1.2 binds no
 * curve) both stacks complete, which only a real signature under that
 * scheme's padding and hash allows; where TLS 1.3 forbids it (PKCS#1 in a
 * CertificateVerify, a P-256 scheme on a P-384 key) both refuse. */
static void scheme_mutation(void **state) {
    (void)state;
    static const char client_auth12[] =
        HEAD("server",
             "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nclient-auth: require\n"
                    "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
                    "expect CertificateRequest\nexpect ServerHelloDone\nsend Certificate cert=client-rsa\n"
                    "send ClientKeyExchange\nsend CertificateVerify cert=client-rsa scheme=0x0401\n"
                    "send-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n";
    expect_outcome(client_auth12, SD_OUTCOME_COMPLETED, 0);
    static const char *const ske_schemes[] = {"0x0403", "0x0603"};
    char text[2048];
    for (size_t k = 0; k < sizeof ske_schemes / sizeof ske_schemes[0]; k++) {
        snprintf(text, sizeof text,
                 HEAD("client",
                      "1.2") "credential: leaf-p384\ncipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                             "expect ClientHello\nsend ServerHello\nsend Certificate\n"
                             "send ServerKeyExchange scheme=%s\nsend ServerHelloDone\n"
                             "expect ClientKeyExchange\nexpect-ccs\nexpect Finished\nsend-ccs\n"
                             "send Finished\n",
                 ske_schemes[k]);
        expect_outcome(text, SD_OUTCOME_COMPLETED, 0);
    }
    static const struct {
        const char *credential, *scheme;
    } refused13[] = {{"leaf-rsa", "0x0401"}, {"leaf-p384", "0x0403"}};
    for (size_t k = 0; k < sizeof refused13 / sizeof refused13[0]; k++) {
        snprintf(text, sizeof text,
                 HEAD("client", "1.3") "credential: %s\nexpect ClientHello\nsend ServerHello\n"
                                       "send EncryptedExtensions\nsend Certificate\n"
                                       "send CertificateVerify scheme=%s\nsend Finished\n",
                 refused13[k].credential, refused13[k].scheme);
        for (size_t i = 0; i < N_STACKS; i++) {
            sd_outcome o;
            run_text(text, stacks[i], &o, NULL);
            if (o.kind != SD_OUTCOME_ALERT)
                fail_msg("%s accepted %s under %s in TLS 1.3: %s", stacks[i]->name, refused13[k].scheme,
                         refused13[k].credential, o.detail);
        }
    }
}

/* An empty signature_algorithms_cert list: the model refuses it
 * (RFC 8446 §4.2.3, §6 decode_error) unless told to leave the extension
 * unread as BoringSSL does, which the fuzz setups ask for. */
static void signature_algorithms_cert_skipped_in_fuzz_runs(void **state) {
    (void)state;
    static const char text[] =
        HEAD("server", "1.3") "send ClientHello add-ext=signature_algorithms_cert:0000\n"
                              "expect ServerHello\nexpect EncryptedExtensions\n"
                              "expect Certificate\nexpect CertificateVerify\n"
                              "expect Finished\nsend Finished\n";
    for (int skip = 0; skip < 2; skip++) {
        sd_scenario s;
        char err[512];
        if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
        sd_run_config cfg;
        sd_run_config_defaults(&cfg, &sd_target_model, s.role, &pki);
        sd_run_config_apply_scenario(&cfg, &s);
        cfg.skip_signature_algorithms_cert = skip;
        sd_outcome o;
        sd_driver_run(&s.trace, &cfg, &o);
        sd_scenario_free(&s);
        if (skip) {
            assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
        } else {
            assert_int_equal(o.kind, SD_OUTCOME_ALERT);
            assert_int_equal(o.alert, SD_decode_error);
        }
    }
}

/* renegotiate: a ClientHello under the current keys whose
 * renegotiation_info carries the driver's Finished (RFC 5746 §3.5).
 * BoringSSL can read it (it answers no_renegotiation, not bad_record_mac);
 * the model refuses it too. */
static void renegotiate_action(void **state) {
    (void)state;
    static const char text[] =
        HEAD("server",
             "1.2") "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                    "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect "
                    "ServerKeyExchange\nexpect ServerHelloDone\n"
                    "send ClientKeyExchange\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n"
                    "renegotiate drop-ext=signature_algorithms add-ext=signature_algorithms_cert:00020403\n";
    sd_outcome o;
    run_text(text, &sd_target_boringssl, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.alert, SD_no_renegotiation);
    assert_int_equal(o.step, 10);
    run_text(text, &sd_target_model, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.step, 10);
    /* The ladder shows the renegotiating ClientHello as sent encrypted. */
    bool seen = false;
    for (size_t i = 0; i < o.n_events; i++)
        if (o.events[i].step == 10 && o.events[i].from == SD_FROM_PEER) seen = o.events[i].encrypted;
    assert_true(seen);
}

/* The nth record (from 0) of a byte stream: header and fragment. */
static bool nth_record(const sd_buf *b, size_t n, sd_span *header, sd_span *fragment) {
    size_t pos = 0;
    for (size_t i = 0; pos + 5 <= b->len; i++) {
        size_t len = (size_t)b->data[pos + 3] << 8 | b->data[pos + 4];
        if (pos + 5 + len > b->len) return false;
        if (i == n) {
            *header = sd_span_of(b->data + pos, 5);
            *fragment = sd_span_of(b->data + pos + 5, len);
            return true;
        }
        pos += 5 + len;
    }
    return false;
}

/* TLS 1.2 client authentication against the model, the driver's
 * certificate and key "client"; cv is the CertificateVerify line. */
static void run_client_auth12(const char *cv, sd_outcome *o, capture *cap) {
    char text[2048];
    snprintf(text, sizeof text,
             "id: t.t\ntitle: t\nrfc: RFC 5246\nrole: server\nversion: 1.2\nexpect: complete\n"
             "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nclient-auth: require\n"
             "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
             "expect CertificateRequest\nexpect ServerHelloDone\nsend Certificate\nsend ClientKeyExchange\n"
             "%s\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n",
             cv);
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, s.role, &pki);
    sd_run_config_apply_scenario(&cfg, &s);
    cfg.driver_credential = "client";
    if (cap) {
        sd_buf_init(&cap->from_peer);
        sd_buf_init(&cap->from_target);
        cfg.on_bytes = on_bytes;
        cfg.observer_ctx = cap;
    }
    sd_driver_run(&s.trace, &cfg, o);
    sd_scenario_free(&s);
}

/* The body of the first handshake message of `type` in the plaintext
 * handshake records of b (those before the first ChangeCipherSpec). */
static bool plaintext_handshake_body(const sd_buf *b, uint8_t type, sd_buf *out) {
    sd_buf stream;
    sd_buf_init(&stream);
    sd_span h, f;
    for (size_t i = 0; nth_record(b, i, &h, &f) && h.data[0] != SD_change_cipher_spec; i++)
        if (h.data[0] == SD_handshake) sd_buf_append_span(&stream, f);
    bool found = false;
    for (size_t pos = 0; !found && pos + 4 <= stream.len;) {
        size_t len =
            (size_t)stream.data[pos + 1] << 16 | (size_t)stream.data[pos + 2] << 8 | stream.data[pos + 3];
        if (pos + 4 + len > stream.len) break;
        if (stream.data[pos] == type) {
            sd_buf_append(out, stream.data + pos + 4, len);
            found = true;
        }
        pos += 4 + len;
    }
    sd_buf_free(&stream);
    return found;
}

static void hex_of(sd_span bytes, char *out) {
    for (size_t i = 0; i < bytes.len; i++) sprintf(out + 2 * i, "%02x", bytes.data[i]);
}

/* body= on a TLS 1.2 CertificateVerify: the driver skips the honest
 * signature when the replacement cannot be it (another signature length),
 * and the run is the one it would be otherwise: "changed nothing" exactly
 * when the replacement is the honest body (the same seed and the memo make
 * the same signature), a refusal for a body that differs in its last byte
 * (built and signed, then replaced) or in its length (not signed at all:
 * one memo lookup fewer). */
static void tls12_certificate_verify_replaced(void **state) {
    (void)state;
    sd_outcome o;
    capture cap;
    run_client_auth12("send CertificateVerify", &o, &cap);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
    sd_buf honest;
    sd_buf_init(&honest);
    assert_true(plaintext_handshake_body(&cap.from_peer, SD_CertificateVerify, &honest));
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
    assert_true(honest.len > 8 && honest.len < 600);
    char hex[1300], line[1400];

    /* The honest body itself: the same outcome, and the mutation made no
     * deviation. */
    hex_of(sd_buf_span(&honest), hex);
    snprintf(line, sizeof line, "send CertificateVerify body=%s", hex);
    run_client_auth12(line, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
    assert_non_null(strstr(o.detail, "changed nothing"));

    /* The same length, the last byte flipped: signed, then replaced. */
    honest.data[honest.len - 1] ^= 0x01;
    hex_of(sd_buf_span(&honest), hex);
    honest.data[honest.len - 1] ^= 0x01;
    snprintf(line, sizeof line, "send CertificateVerify body=%s", hex);
    size_t hits = sd_crypto_memo_hits();
    run_client_auth12(line, &o, NULL);
    size_t signed_hits = sd_crypto_memo_hits() - hits;
    assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.alert, SD_decrypt_error);
    assert_null(strstr(o.detail, "changed nothing"));

    /* One byte shorter, its signature's length field to match: the same
     * refusal, without the signing. */
    sd_buf shorter;
    sd_buf_init(&shorter);
    sd_buf_append(&shorter, honest.data, honest.len - 1);
    size_t sig_len = (size_t)shorter.data[2] << 8 | shorter.data[3];
    shorter.data[2] = (uint8_t)((sig_len - 1) >> 8);
    shorter.data[3] = (uint8_t)(sig_len - 1);
    hex_of(sd_buf_span(&shorter), hex);
    snprintf(line, sizeof line, "send CertificateVerify body=%s", hex);
    hits = sd_crypto_memo_hits();
    run_client_auth12(line, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.alert, SD_decrypt_error);
    assert_null(strstr(o.detail, "changed nothing"));
    assert_int_equal(sd_crypto_memo_hits() - hits, signed_hits - 1);
    sd_buf_free(&shorter);
    sd_buf_free(&honest);
}

/* `send-ccs empty-master` (CVE-2014-0224): what the driver protects after
 * it opens under keys derived here, independently, from an empty master
 * secret and the two randoms. Sent in the CCS's honest place, so that the
 * record after it reaches the wire whatever the target does with it: the
 * model, which installed the session's keys, cannot open it
 * (bad_record_mac). */
static void empty_master_keys(void **state) {
    (void)state;
    static const char text[] =
        "id: t.t\ntitle: t\nrfc: RFC 5246\nrole: server\nversion: 1.2\nexpect: alert bad_record_mac\n"
        "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
        "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
        "expect ServerHelloDone\nsend ClientKeyExchange\nsend-ccs empty-master\nsend Finished\n";
    capture cap;
    sd_buf_init(&cap.from_peer);
    sd_buf_init(&cap.from_target);
    sd_outcome o;
    run_text(text, &sd_target_model, &o, &cap);
    assert_int_equal(o.kind, SD_OUTCOME_ALERT);
    assert_int_equal(o.alert, SD_bad_record_mac);
    /* The driver's ClientHello is its first record and the target's
     * ServerHello the target's first; the record after the CCS holds the
     * Finished. */
    sd_span ch_h = {0}, ch = {0}, sh_h = {0}, sh = {0}, h = {0}, f = {0};
    assert_true(nth_record(&cap.from_peer, 0, &ch_h, &ch));
    assert_true(nth_record(&cap.from_target, 0, &sh_h, &sh));
    size_t n = 0;
    while (nth_record(&cap.from_peer, n, &h, &f) && h.data[0] != SD_change_cipher_spec) n++;
    assert_true(nth_record(&cap.from_peer, n + 1, &h, &f));
    /* handshake header (4), version (2), then the 32-byte random */
    const uint8_t *client_random = ch.data + 6, *server_random = sh.data + 6;
    uint8_t seed[64], block[2 * (16 + 4)];
    memcpy(seed, server_random, 32);
    memcpy(seed + 32, client_random, 32);
    /* RFC 5246 §6.3 key block with a master secret of length 0; AES-128-GCM
     * has no MAC keys: client_write_key, server_write_key,
     * client_write_IV, server_write_IV. */
    assert_true(sd_tls12_prf(EVP_sha256(), NULL, 0, "key expansion", seed, sizeof seed, block, sizeof block));
    const sd_tls12_suite *suite = sd_tls12_suite_find(SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    sd_record_keys k;
    sd_record_keys_init(&k);
    assert_true(sd_record_keys_set_tls12(&k, suite, block, block + 32, NULL, false));
    uint8_t type = 0, alert = 0;
    sd_buf plain;
    sd_buf_init(&plain);
    assert_true(sd_record_open(&k, h, f, &type, &plain, &alert));
    assert_int_equal(type, SD_handshake);
    assert_int_equal(plain.data[0], SD_Finished);
    sd_buf_free(&plain);
    sd_record_keys_clear(&k);
    sd_buf_free(&cap.from_peer);
    sd_buf_free(&cap.from_target);
}

/* The records the driver sent, as their fragments' lengths; *n of them. */
static size_t record_lengths(const sd_buf *b, size_t *lens, size_t cap) {
    sd_span h, f;
    size_t n = 0;
    while (n < cap && nth_record(b, n, &h, &f)) lens[n++] = f.len;
    return n;
}

/* Runs text on the model with a capture; the outcome, and the peer's
 * bytes in *cap (the caller frees them). */
static void run_captured(const char *text, sd_outcome *o, capture *cap) {
    sd_buf_init(&cap->from_peer);
    sd_buf_init(&cap->from_target);
    run_text(text, &sd_target_model, o, cap);
}

#define TLS13_SERVER(expect)                                                                 \
    "id: t.t\ntitle: t\nrfc: RFC 8446\nrole: server\nversion: 1.3\nexpect: " expect "\n"     \
    "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\nexpect Certificate\n" \
    "expect CertificateVerify\nexpect Finished\n"
#define TLS12_CBC_SERVER(expect)                                                           \
    "id: t.t\ntitle: t\nrfc: RFC 5246\nrole: server\nversion: 1.2\nexpect: " expect "\n"   \
    "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA\n"                                 \
    "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n" \
    "expect ServerHelloDone\nsend ClientKeyExchange\nsend-ccs\n"

/* record-flip=: the driver's bytes are the honest run's (same seed) but
 * for one bit of the Finished record's fragment at the offset named, and
 * both stacks refuse the record (RFC 8446 §5.2: bad_record_mac). */
static void record_flip_mutation(void **state) {
    (void)state;
    static const struct {
        const char *flip;
        long at; /* from the fragment's start, or from its end when < 0 */
        uint8_t mask;
    } flips[] = {{"record-flip=-1:0x01", -1, 0x01},
                 {"record-flip=first:0x80", 0, 0x80},
                 {"record-flip=-16:0x10", -16, 0x10},
                 {"record-flip=-17:0x04", -17, 0x04}};
    sd_outcome honest_o;
    capture honest;
    run_captured(TLS13_SERVER("complete") "send Finished\n", &honest_o, &honest);
    assert_int_equal(honest_o.kind, SD_OUTCOME_COMPLETED);
    size_t lens[16];
    size_t n = record_lengths(&honest.from_peer, lens, 16);
    assert_true(n >= 2);
    sd_span fin_h, fin;
    assert_true(nth_record(&honest.from_peer, n - 1, &fin_h, &fin));
    size_t fin_at = (size_t)(fin.data - honest.from_peer.data);
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, TLS13_SERVER("alert bad_record_mac") "send Finished %s\n", flips[i].flip);
        sd_outcome o;
        capture cap;
        run_captured(text, &o, &cap);
        assert_int_equal(o.kind, SD_OUTCOME_ALERT);
        assert_int_equal(o.alert, SD_bad_record_mac);
        assert_int_equal(cap.from_peer.len, honest.from_peer.len);
        size_t at = fin_at + (size_t)(flips[i].at < 0 ? (long)fin.len + flips[i].at : flips[i].at);
        for (size_t k = 0; k < cap.from_peer.len; k++)
            if ((cap.from_peer.data[k] ^ honest.from_peer.data[k]) != (k == at ? flips[i].mask : 0))
                fail_msg("%s: byte %zu differs from the honest run's by %02x", flips[i].flip, k,
                         cap.from_peer.data[k] ^ honest.from_peer.data[k]);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);
        expect_outcome(text, SD_OUTCOME_ALERT, SD_bad_record_mac);
    }
    sd_buf_free(&honest.from_peer);
    sd_buf_free(&honest.from_target);
}

/* seq-skip=: the record goes out one sequence number late; the bytes
 * differ from the honest run's from that record on (a new nonce), the
 * length does not, and both stacks refuse it (RFC 8446 §5.3: the nonce is
 * the sequence number XOR the IV; RFC 5246 §6.2.3.3: it is in the
 * additional data). Without keys it is not made. */
static void seq_skip_mutation(void **state) {
    (void)state;
    static const char *const texts[] = {
        TLS13_SERVER("alert bad_record_mac") "send Finished seq-skip=1\n",
        TLS13_SERVER("alert bad_record_mac") "send Finished\nsend-appdata \"ping\" seq-skip=3\n",
        TLS12_CBC_SERVER("alert bad_record_mac") "send Finished seq-skip=1\n",
        "id: t.t\ntitle: t\nrfc: RFC 5246\nrole: server\nversion: 1.2\nexpect: alert bad_record_mac\n"
        "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
        "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
        "expect ServerHelloDone\nsend ClientKeyExchange\nsend-ccs\nsend Finished seq-skip=1\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        expect_outcome(texts[i], SD_OUTCOME_ALERT, SD_bad_record_mac);
    /* The GCM record's explicit nonce is the sequence number the driver
     * used (RFC 5288 §3): one more than the honest run's. */
    sd_outcome o;
    capture honest, late;
    run_captured("id: t.t\ntitle: t\nrfc: RFC 5246\nrole: server\nversion: 1.2\nexpect: complete\n"
                 "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                 "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
                 "expect ServerHelloDone\nsend ClientKeyExchange\nsend-ccs\nsend Finished\n",
                 &o, &honest);
    run_captured(texts[3], &o, &late);
    size_t lens[16];
    size_t n = record_lengths(&honest.from_peer, lens, 16);
    assert_int_equal(record_lengths(&late.from_peer, lens, 16), n);
    sd_span h1, f1, h2, f2;
    assert_true(nth_record(&honest.from_peer, n - 1, &h1, &f1));
    assert_true(nth_record(&late.from_peer, n - 1, &h2, &f2));
    assert_int_equal(f1.len, f2.len);
    assert_int_equal(f1.data[7], 0);
    assert_int_equal(f2.data[7], 1);
    sd_buf_free(&honest.from_peer);
    sd_buf_free(&honest.from_target);
    sd_buf_free(&late.from_peer);
    sd_buf_free(&late.from_target);
    sd_scenario s;
    parse_text("id: t.t\ntitle: t\nrfc: RFC 8446\nrole: server\nversion: 1.3\nexpect: alert bad_record_mac\n"
               "send ClientHello seq-skip=1\nexpect ServerHello\n",
               &s);
    run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
    assert_non_null(strstr(o.detail, "changed nothing"));
    sd_scenario_free(&s);
}

/* inner-padding=: the record grows by the padding (TLSInnerPlaintext
 * zeros, RFC 8446 §5.4); up to 2^14+1 bytes of inner plaintext both
 * stacks take it, one more is record_overflow; the most the length field
 * holds is sent as such. */
static void inner_padding_mutation(void **state) {
    (void)state;
    static const struct {
        long padding;
        size_t record_len; /* "ping", type, padding, 16-byte tag */
        sd_outcome_kind kind;
    } cases[] = {{0, 21, SD_OUTCOME_COMPLETED},
                 {100, 121, SD_OUTCOME_COMPLETED},
                 {16380, 16401, SD_OUTCOME_COMPLETED},
                 {16381, 16402, SD_OUTCOME_ALERT},
                 {16777215, 0xffff, SD_OUTCOME_ALERT}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        bool ok = cases[i].kind == SD_OUTCOME_COMPLETED;
        snprintf(text, sizeof text,
                 TLS13_SERVER("%s") "send Finished\nsend-appdata \"ping\" inner-padding=%ld\n%s",
                 ok ? "complete" : "alert record_overflow", cases[i].padding,
                 ok ? "expect-appdata \"ping\"\n" : "");
        sd_outcome o;
        capture cap;
        run_captured(text, &o, &cap);
        size_t lens[16];
        size_t n = record_lengths(&cap.from_peer, lens, 16);
        assert_true(n >= 1);
        assert_int_equal(lens[n - 1], cases[i].record_len);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);
        expect_outcome(text, cases[i].kind, SD_record_overflow);
    }
    /* Padding of a TLS 1.2 record's is no deviation: not made, not reached. */
    sd_scenario s;
    parse_text(TLS12_CBC_SERVER("alert bad_record_mac") "send Finished inner-padding=5\n", &s);
    sd_outcome o;
    run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
    assert_non_null(strstr(o.detail, "changed nothing"));
    sd_scenario_free(&s);
}

/* cbc-padding=<length>:<byte>: the padding's size in the record (16-byte
 * IV, "ping", 20-byte MAC, padding and its length byte), and whether the
 * stacks take it (RFC 5246 §6.2.3.2: any honest length up to 255; every
 * other is bad_record_mac). */
static void cbc_padding_mutation(void **state) {
    (void)state;
    static const struct {
        const char *padding;
        size_t record_len;
        bool accepted;
    } cases[] = {
        {"7:7", 48, true},      /* the fewest, honest */
        {"23:0x17", 64, true},  /* a block more, honest */
        {"247:247", 288, true}, /* the most "ping" allows */
        {"7:0x06", 48, false},  /* wrong content */
        {"23:0x00", 64, false}, /* wrong content, longer */
        {"8:8", 48, false},     /* padding_length one more than the padding */
        {"6:6", 48, false},     /* one fewer */
        {"255:255", 48, false}, /* longer than the record */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 TLS12_CBC_SERVER("%s") "send Finished\nexpect-ccs\nexpect Finished\nsend-appdata \"ping\" "
                                        "cbc-padding=%s\n%s",
                 cases[i].accepted ? "complete" : "alert bad_record_mac", cases[i].padding,
                 cases[i].accepted ? "expect-appdata \"ping\"\n" : "");
        sd_outcome o;
        capture cap;
        run_captured(text, &o, &cap);
        size_t lens[16];
        size_t n = record_lengths(&cap.from_peer, lens, 16);
        assert_true(n >= 1);
        if (lens[n - 1] != cases[i].record_len)
            fail_msg("cbc-padding=%s: a record of %zu bytes, want %zu", cases[i].padding, lens[n - 1],
                     cases[i].record_len);
        sd_buf_free(&cap.from_peer);
        sd_buf_free(&cap.from_target);
        expect_outcome(text, cases[i].accepted ? SD_OUTCOME_COMPLETED : SD_OUTCOME_ALERT, SD_bad_record_mac);
    }
    /* An AEAD suite's records have no padding: the deviation is not made,
     * and a scenario that expects the stack to take it tested nothing
     * (UNREACHED, not PASS); where it is made, PASS. */
    sd_scenario s;
    parse_text(TLS13_SERVER("alert bad_record_mac") "send Finished cbc-padding=11:0x0b\n", &s);
    sd_outcome o;
    run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
    assert_non_null(strstr(o.detail, "changed nothing"));
    sd_scenario_free(&s);
    char why[512];
    parse_text(TLS13_SERVER("complete") "send Finished cbc-padding=11:11\nsend-appdata \"ping\"\n"
                                        "expect-appdata \"ping\"\n",
               &s);
    run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_UNREACHED);
    assert_non_null(strstr(why, "was not made"));
    sd_scenario_free(&s);
    parse_text(TLS12_CBC_SERVER("complete") "send Finished cbc-padding=11:11\nexpect-ccs\nexpect Finished\n"
                                            "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
               &s);
    run_with_groups(&s, &sd_target_model, NULL, 0, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_PASS);
    sd_scenario_free(&s);
}

/* The script forms of the new actions print and parse back. */
static void new_actions_round_trip(void **state) {
    (void)state;
    static const char text[] = "send HelloRetryRequest flip=3:0x01\nexpect HelloRetryRequest\nexpect-ccs\n";
    sd_trace t, t2;
    char err[256];
    assert_true(sd_trace_parse("x", text, strlen(text), &t, err, sizeof err));
    assert_int_equal(t.actions[0].msg_type, SD_MSG_TYPE_HELLO_RETRY_REQUEST);
    assert_int_equal(t.actions[2].kind, SD_ACT_EXPECT_CCS);
    sd_buf b;
    sd_buf_init(&b);
    sd_trace_print(&t, &b);
    assert_int_equal(b.len, strlen(text));
    assert_memory_equal(b.data, text, b.len);
    assert_true(sd_trace_parse("y", (const char *)b.data, b.len, &t2, err, sizeof err));
    assert_true(sd_trace_equal(&t, &t2));
    sd_buf_free(&b);
    sd_trace_free(&t);
    sd_trace_free(&t2);
}

/* A stack whose create() always fails: unsupported or not, as asked. */
static bool refuse_as_unsupported;
static sd_target *refuser_create(const sd_target_config *cfg, sd_target_error *err) {
    (void)cfg;
    snprintf(err->text, sizeof err->text, "%s",
             refuse_as_unsupported ? "TLS 1.3 is not built in" : "no such file");
    err->unsupported = refuse_as_unsupported;
    return NULL;
}
static const sd_target_ops refuser_ops = {.name = "refuser", .create = refuser_create};

/* create() saying unsupported is an unsupported outcome, with the stack's
 * reason as detail, and SKIP (that reason its why) by the oracle; any other
 * create() failure is ours, a harness error, ERROR. The same holds for the
 * real stacks: a TLS 1.2 scenario pinned to a suite neither has (RC4). */
static void create_failures(void **state) {
    (void)state;
    const char *text = HEAD("server", "1.3") "send ClientHello\nexpect ServerHello\n";
    sd_scenario s;
    char err[512], why[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    sd_outcome o;

    refuse_as_unsupported = true;
    run_text(text, &refuser_ops, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_UNSUPPORTED);
    assert_int_equal(o.step, -1);
    assert_string_equal(o.detail, "TLS 1.3 is not built in");
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_SKIP);
    assert_string_equal(why, "TLS 1.3 is not built in");

    refuse_as_unsupported = false;
    run_text(text, &refuser_ops, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_HARNESS_ERROR);
    assert_string_equal(o.detail, "cannot configure refuser: no such file");
    assert_int_equal(sd_classify(&s, &o, why, sizeof why), SD_VERDICT_ERROR);
    sd_scenario_free(&s);

    const char *rc4 = HEAD("server", "1.2") "cipher-suite: 0x0005\nsend ClientHello\nexpect ServerHello\n";
    for (size_t i = 0; i < N_STACKS; i++) {
        run_text(rc4, stacks[i], &o, NULL);
        if (o.kind != SD_OUTCOME_UNSUPPORTED || strcmp(o.detail, "cipher suite 0x0005") != 0)
            fail_msg("%s: got %s (%s)", stacks[i]->name, sd_outcome_kind_name(o.kind), o.detail);
    }
}

/* --- OCSP stapling (`staple:`) ---------------------------------------------- */

/* A client that sends one ClientHello built here and then reads and says
 * nothing, so that what the driver sends back is all there is to look at:
 * with or without status_request (RFC 6066 §8), which the model and
 * BoringSSL clients always send. */
static struct {
    bool tls12;
    bool ask_ocsp;
} hello_plan;

typedef struct {
    sd_target base;
    sd_buf hello; /* the ClientHello record, until drained */
} hello_only;

static void hello_only_start(sd_target *t) { (void)t; }
static void hello_only_feed(sd_target *t, sd_span bytes) {
    (void)t;
    (void)bytes;
}
static void hello_only_drain(sd_target *t, sd_buf *out) {
    hello_only *h = (hello_only *)t;
    sd_buf_append_span(out, sd_buf_span(&h->hello));
    sd_buf_reset(&h->hello);
}
static void hello_only_status(sd_target *t, sd_target_status *st) {
    (void)t;
    memset(st, 0, sizeof *st);
    st->alert_sent = st->alert_sent_level = st->alert_received = -1;
}
static void hello_only_destroy(sd_target *t) {
    sd_buf_free(&((hello_only *)t)->hello);
    free(t);
}
static sd_target *hello_only_create(const sd_target_config *cfg, sd_target_error *err);
static const sd_target_ops hello_only_ops = {
    .name = "hello-only",
    .create = hello_only_create,
    .start = hello_only_start,
    .feed = hello_only_feed,
    .drain = hello_only_drain,
    .status = hello_only_status,
    .destroy = hello_only_destroy,
};
static sd_target *hello_only_create(const sd_target_config *cfg, sd_target_error *err) {
    (void)err;
    assert_true(cfg->request_ocsp); /* the scenario staples: clients are asked to ask */
    hello_only *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->base.ops = &hello_only_ops;
    sd_buf_init(&h->hello);
    sd_offer offer = sd_default_offer;
    if (hello_plan.tls12) {
        offer.min_version = offer.max_version = SD_TLS12;
        offer.sigalgs = sd_offered_sigalgs_tls12;
        offer.n_sigalgs = sd_n_offered_sigalgs_tls12;
        offer.suites = sd_tls12_default_suites;
        offer.n_suites = sd_tls12_n_default_suites;
        offer.tls12_status_request = true;
    }
    sd_rng rng;
    sd_rng_init(&rng, 7);
    sd_key_share share;
    memset(&share, 0, sizeof share);
    assert_true(sd_key_share_generate(&share, SD_x25519, &rng));
    uint8_t random[SD_RANDOM_LEN] = {1};
    sd_buf body, msg;
    sd_buf_init(&body);
    sd_buf_init(&msg);
    sd_msg_client_hello(&body, &offer, random, sd_span_of(NULL, 0), hello_plan.tls12 ? NULL : &share,
                        SD_PKI_SERVER_NAME, sd_span_of(NULL, 0), NULL);
    if (!hello_plan.ask_ocsp) {
        /* Not asked: the extension renamed to a GREASE type (RFC 8701),
         * which a server ignores, so nothing else changes. */
        sd_client_hello ch;
        sd_span ext;
        uint8_t alert;
        assert_true(sd_parse_client_hello(sd_buf_span(&body), &ch, &alert));
        assert_true(sd_extensions_find(ch.extensions, SD_status_request, &ext));
        size_t type_at = (size_t)(ext.data - 4 - body.data);
        body.data[type_at] = body.data[type_at + 1] = 0x5a;
    }
    sd_build_handshake(&msg, SD_ClientHello, sd_buf_span(&body), -1);
    sd_build_record(&h->hello, SD_handshake, SD_TLS12, sd_buf_span(&msg));
    sd_buf_free(&msg);
    sd_buf_free(&body);
    return &h->base;
}

/* What the driver sent, and the secret that protects its TLS 1.3 flight. */
typedef struct {
    sd_buf from_peer;
    uint8_t server_handshake_secret[SD_MAX_HASH_LEN];
} staple_watch;

static void watch_bytes(void *ctx, sd_direction from, sd_span bytes) {
    if (from == SD_FROM_PEER) sd_buf_append_span(&((staple_watch *)ctx)->from_peer, bytes);
}
static void watch_secret(void *ctx, const char *label, const uint8_t *client_random, const uint8_t *secret,
                         size_t len) {
    (void)client_random;
    if (strcmp(label, "SERVER_HANDSHAKE_TRAFFIC_SECRET") == 0 && len <= SD_MAX_HASH_LEN)
        memcpy(((staple_watch *)ctx)->server_handshake_secret, secret, len);
}

/* The status_request extension of the first CertificateEntry of a TLS 1.3
 * Certificate body (RFC 8446 §4.4.2.1); false if there is none. */
static bool entry_status(sd_span certificate_body, sd_span *status) {
    sd_certificate c;
    sd_certificate_entry e;
    uint8_t alert;
    assert_true(sd_parse_certificate(certificate_body, &c, &alert));
    sd_reader it = sd_reader_of(c.certificate_list);
    assert_int_equal(sd_certificate_next_entry(&it, &e, &alert), 1);
    return sd_extensions_find(e.extensions, SD_status_request, status);
}

/* RFC 6066 §8 CertificateStatus { status_type ocsp(1); OCSPResponse<1..2^24-1> }
 * holding exactly `response`. */
static void assert_certificate_status(sd_span status, const sd_span *response) {
    assert_int_equal(status.len, 4 + response->len);
    assert_int_equal(status.data[0], 1);
    assert_int_equal((size_t)status.data[1] << 16 | (size_t)status.data[2] << 8 | status.data[3],
                     response->len);
    assert_memory_equal(status.data + 4, response->data, response->len);
}

/* The driver as server staples the scenario's response only when the
 * client asked (RFC 6066 §8): TLS 1.3 in the leaf's CertificateEntry (RFC
 * 8446 §4.4.2.1), never in ServerHello; TLS 1.2 with an empty
 * status_request echo in ServerHello. A TLS 1.2 `send CertificateStatus`
 * carries the response whatever the client asked: the trace decides. */
static void stapling_follows_status_request(void **state) {
    (void)state;
    const sd_span *response = sd_pki_blob(&pki, "ocsp-leaf-revoked.der");
    assert_non_null(response);
    for (int v = 0; v < 2; v++) {
        for (int ask = 0; ask < 2; ask++) {
            hello_plan.tls12 = v == 1;
            hello_plan.ask_ocsp = ask == 1;
            const char *text =
                hello_plan.tls12
                    ? HEAD("client",
                           "1.2") "staple: ocsp-leaf-revoked\nexpect ClientHello\nsend ServerHello\n"
                                  "send Certificate\nsend CertificateStatus\n"
                    : HEAD("client",
                           "1.3") "staple: ocsp-leaf-revoked\nexpect ClientHello\nsend ServerHello\n"
                                  "send EncryptedExtensions\nsend Certificate\n";
            sd_scenario s;
            char err[512];
            if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
            staple_watch w;
            memset(&w, 0, sizeof w);
            sd_buf_init(&w.from_peer);
            sd_run_config cfg;
            sd_run_config_defaults(&cfg, &hello_only_ops, s.role, &pki);
            sd_run_config_apply_scenario(&cfg, &s);
            cfg.on_bytes = watch_bytes;
            cfg.on_secret = watch_secret;
            cfg.observer_ctx = &w;
            sd_outcome o;
            sd_driver_run(&s.trace, &cfg, &o);
            sd_scenario_free(&s);

            sd_reader r = sd_reader_of(sd_buf_span(&w.from_peer));
            sd_record rec;
            uint8_t alert;
            assert_int_equal(sd_parse_record(&r, &rec, &alert), 1);
            sd_server_hello sh;
            assert_true(
                sd_parse_server_hello(sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4), &sh, &alert));
            sd_span ext;
            bool echoed = sd_extensions_find(sh.extensions, SD_status_request, &ext);
            if (hello_plan.tls12) {
                /* "with empty "extension_data"", only when asked. */
                assert_int_equal(echoed, hello_plan.ask_ocsp);
                if (echoed) assert_int_equal(ext.len, 0);
                assert_int_equal(sd_parse_record(&r, &rec, &alert), 1); /* Certificate */
                assert_int_equal(rec.fragment.data[0], SD_Certificate);
                assert_int_equal(sd_parse_record(&r, &rec, &alert), 1);
                assert_int_equal(rec.fragment.data[0], SD_CertificateStatus);
                assert_certificate_status(sd_span_of(rec.fragment.data + 4, rec.fragment.len - 4), response);
            } else {
                assert_false(echoed);
                sd_record_keys k;
                sd_record_keys_init(&k);
                uint16_t suite = sh.cipher_suite;
                assert_true(sd_record_keys_set(&k, sd_suite_find(suite), w.server_handshake_secret));
                sd_buf plain;
                sd_buf_init(&plain);
                bool seen = false;
                while (sd_parse_record(&r, &rec, &alert) == 1) {
                    if (rec.content_type != SD_application_data) continue;
                    uint8_t type;
                    sd_buf_reset(&plain);
                    assert_true(sd_record_open(&k, rec.header, rec.fragment, &type, &plain, &alert));
                    if (type != SD_handshake || plain.data[0] != SD_Certificate) continue;
                    seen = true;
                    sd_span status;
                    bool stapled = entry_status(sd_span_of(plain.data + 4, plain.len - 4), &status);
                    assert_int_equal(stapled, hello_plan.ask_ocsp);
                    if (stapled) assert_certificate_status(status, response);
                }
                assert_true(seen);
                sd_buf_free(&plain);
                sd_record_keys_clear(&k);
            }
            sd_buf_free(&w.from_peer);
        }
    }
}

/* A scenario that staples a file the PKI lacks is the harness's error, not
 * the stack's. */
static void stapling_a_missing_file(void **state) {
    (void)state;
    sd_outcome o;
    run_text(HEAD("client", "1.3") "staple: ocsp-no-such\nexpect ClientHello\nsend ServerHello\n",
             &sd_target_model, &o, NULL);
    assert_int_equal(o.kind, SD_OUTCOME_HARNESS_ERROR);
    assert_non_null(strstr(o.detail, "ocsp-no-such.der"));
}

/* Several connections: the second resumes the ticket of the first on both
 * stacks (the target says so, and its ladder has no Certificate there);
 * without tickets the server makes a full handshake and the trace, which
 * expects none, deviates; a first connection that does not complete ends
 * the run before the second. */
static void connections_resume_a_ticket(void **state) {
    (void)state;
    static const char head[] = "id: t.t\ntitle: t\nrfc: RFC 8446 §2.2: \"x\"\nrole: server\n";
    static const char first[] =
        "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
        "expect Certificate\nexpect CertificateVerify\nexpect Finished\nsend Finished\n";
    static const char second[] =
        "connection\nsend ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
        "expect Finished\nsend Finished\nsend-appdata \"x\"\nexpect-appdata \"x\"\n";
    char text[2048];
    for (size_t i = 0; i < N_STACKS; i++) {
        sd_outcome o;
        snprintf(text, sizeof text, "%ssession-tickets: issue\nexpect: complete\n%s%s", head, first, second);
        run_text(text, stacks[i], &o, NULL);
        if (o.kind != SD_OUTCOME_COMPLETED || !o.resumed || o.connections != 2)
            fail_msg("%s: %s (%s), resumed %d, connections %d", stacks[i]->name, sd_outcome_kind_name(o.kind),
                     o.detail, o.resumed, o.connections);
        bool second_started = false;
        for (size_t e = 0; e < o.n_events; e++) {
            second_started |= o.events[e].connection == 1;
            if (second_started && o.events[e].kind == SD_EVENT_HANDSHAKE &&
                o.events[e].code == SD_Certificate)
                fail_msg("%s: a Certificate in the resumed connection", stacks[i]->name);
        }
        assert_true(second_started);

        snprintf(text, sizeof text, "%sexpect: complete\n%s%s", head, first, second);
        run_text(text, stacks[i], &o, NULL);
        if (o.kind != SD_OUTCOME_DEVIATED || o.resumed)
            fail_msg("%s without tickets: %s (%s)", stacks[i]->name, sd_outcome_kind_name(o.kind), o.detail);

        /* Connection 1 stops short of the client's Finished. */
        snprintf(text, sizeof text,
                 "%ssession-tickets: issue\nexpect: complete\nsend ClientHello\nexpect ServerHello\n%s", head,
                 second);
        run_text(text, stacks[i], &o, NULL);
        if (o.kind == SD_OUTCOME_COMPLETED || o.step != 2 || o.connections != 1 ||
            !strstr(o.detail, "connection 1 did not complete before connection 2 began"))
            fail_msg("%s, first incomplete: %s at %d (%s)", stacks[i]->name, sd_outcome_kind_name(o.kind),
                     o.step, o.detail);
    }
}

/* Whether the target's ServerHello carried a session_ticket extension. */
static bool target_announced_ticket(const capture *cap) {
    /* The ServerHello opens the target's first record, in plaintext (RFC
     * 5246 §7.3), behind its type and u24 length (§7.4); other messages
     * may follow it in the record. */
    sd_reader r = sd_reader_of(sd_buf_span(&cap->from_target));
    sd_record rec;
    uint8_t alert;
    if (sd_parse_record(&r, &rec, &alert) != 1 || rec.fragment.len < 4 ||
        rec.fragment.data[0] != SD_ServerHello)
        fail_msg("no ServerHello");
    size_t len =
        (size_t)rec.fragment.data[1] << 16 | (size_t)rec.fragment.data[2] << 8 | rec.fragment.data[3];
    if (len > rec.fragment.len - 4) fail_msg("ServerHello split over records");
    sd_server_hello sh;
    sd_span ext;
    if (!sd_parse_server_hello(sd_span_of(rec.fragment.data + 4, len), &sh, &alert))
        fail_msg("unparsable ServerHello");
    return sd_extensions_find(sh.extensions, SD_session_ticket, &ext);
}

/* expect NewSessionTicket if-announced (RFC 5077 §3.3): a server that
 * announced a ticket in its ServerHello (`session-tickets: issue`, the
 * driver's ClientHello asks for one) must send it and the step takes it; a
 * server that did not (tickets off, or the driver's ClientHello without
 * session_ticket) sends none and the step is passed over, where a plain
 * expect deviates at the ChangeCipherSpec that comes instead. (A ticket
 * the trace does not ask for is skipped as ever, run_expect.) */
static void tls12_new_session_ticket_if_announced(void **state) {
    (void)state;
    static const char head[] = "id: t.t\ntitle: t\nrfc: RFC 5077 §3.3: \"x\"\nrole: server\nversion: 1.2\n"
                               "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nexpect: complete\n";
    static const struct {
        const char *tickets, *client_hello, *ticket_step;
        bool announced;
        sd_outcome_kind want;
    } cases[] = {
        {"session-tickets: issue\n", "", "expect NewSessionTicket if-announced\n", true,
         SD_OUTCOME_COMPLETED},
        {"", "", "expect NewSessionTicket if-announced\n", false, SD_OUTCOME_COMPLETED},
        {"session-tickets: issue\n", " drop-ext=session_ticket", "expect NewSessionTicket if-announced\n",
         false, SD_OUTCOME_COMPLETED},
        {"", "", "expect NewSessionTicket\n", false, SD_OUTCOME_DEVIATED},
        /* Announced, the step takes the one ticket (§3.3 "MUST be sent"),
         * not passed over: a second expect finds none. Not announced, both
         * are passed over. */
        {"session-tickets: issue\n", "", "expect NewSessionTicket if-announced\nexpect NewSessionTicket\n",
         true, SD_OUTCOME_DEVIATED},
        {"", "", "expect NewSessionTicket if-announced\nexpect NewSessionTicket if-announced\n", false,
         SD_OUTCOME_COMPLETED},
    };
    char text[2048];
    for (size_t i = 0; i < N_STACKS; i++) {
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            snprintf(
                text, sizeof text,
                "%s%ssend ClientHello%s\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\n"
                "expect ServerHelloDone\nsend ClientKeyExchange\nsend-ccs\nsend Finished\n%s"
                "expect-ccs\nexpect Finished\nsend-appdata \"x\"\nexpect-appdata \"x\"\n",
                head, cases[c].tickets, cases[c].client_hello, cases[c].ticket_step);
            capture cap;
            sd_buf_init(&cap.from_peer);
            sd_buf_init(&cap.from_target);
            sd_outcome o;
            run_text(text, stacks[i], &o, &cap);
            if (o.kind != cases[c].want || target_announced_ticket(&cap) != cases[c].announced)
                fail_msg("%s, case %zu: %s (%s), announced %d", stacks[i]->name, c,
                         sd_outcome_kind_name(o.kind), o.detail, target_announced_ticket(&cap));
            /* Announced, one ticket comes; not announced, none. */
            if (count_events(&o, SD_FROM_TARGET, SD_NewSessionTicket, false).n !=
                (cases[c].announced ? 1u : 0u))
                fail_msg("%s, case %zu: the NewSessionTickets", stacks[i]->name, c);
            sd_buf_free(&cap.from_peer);
            sd_buf_free(&cap.from_target);
        }
    }
}

/* RFC 5246 §7.2: after a fatal alert "the session identifier MUST be
 * invalidated". The model takes a close_notify at level fatal as a closure
 * (it answers with its own, known_differences.txt), so connection 1 ends in
 * order and connection 2 offers its session id: the model server must make
 * a full handshake (a Certificate); with a warning close_notify it resumes. */
static void tls12_session_forgotten_after_a_fatal_alert(void **state) {
    (void)state;
    static const char head[] = "id: t.t\ntitle: t\nrfc: RFC 5246 §7.2: \"x\"\nrole: server\nversion: 1.2\n"
                               "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nexpect: complete\n";
    static const char first[] = "send ClientHello\nexpect ServerHello\nexpect Certificate\n"
                                "expect ServerKeyExchange\nexpect ServerHelloDone\nsend ClientKeyExchange\n"
                                "send-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n";
    static const char second[] = "connection\nsend ClientHello\nexpect ServerHello\n";
    char text[2048];
    const char *levels[] = {"warning", "fatal"};
    for (size_t l = 0; l < 2; l++) {
        sd_outcome o;
        snprintf(text, sizeof text, "%s%ssend-alert %s close_notify\n%s", head, first, levels[l], second);
        run_text(text, &sd_target_model, &o, NULL);
        bool full = false;
        for (size_t e = 0; e < o.n_events; e++)
            full |= o.events[e].connection == 1 && o.events[e].kind == SD_EVENT_HANDSHAKE &&
                    o.events[e].code == SD_Certificate;
        if (o.connections != 2 || full != (l == 1))
            fail_msg("%s close_notify: connections %d, full handshake %d (%s)", levels[l], o.connections,
                     full, o.detail);
    }
}

/* --- Certificate compression (RFC 8879) ------------------------------------- */

#define CC_HEAD(role) "id: t.t\ntitle: t\nrfc: RFC 8879\nrole: " role "\nversion: 1.3\nexpect: complete\n"

/* With `certificate-compression:` the driver's ClientHello offers the
 * algorithm and both stacks compress their Certificate (§4 "MAY"), which
 * `expect Certificate` takes; without it neither does. */
static void certificate_compression_server_compresses(void **state) {
    (void)state;
    static const char *const flight = "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                                      "expect Certificate\nexpect CertificateVerify\nexpect Finished\n"
                                      "send Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n";
    static const char *const headers[] = {"certificate-compression: zlib\n",
                                          "certificate-compression: brotli\n", ""};
    for (size_t i = 0; i < N_STACKS; i++) {
        for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++) {
            char text[1024];
            snprintf(text, sizeof text, "%s%s\n%s", CC_HEAD("server"), headers[h], flight);
            sd_outcome o;
            run_text(text, stacks[i], &o, NULL);
            if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("%s: %s", stacks[i]->name, o.detail);
            size_t want = headers[h][0] ? 1 : 0;
            assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_CompressedCertificate, false).n, want);
            assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_Certificate, false).n, 1 - want);
        }
    }
}

/* The driver's CompressedCertificate and its mutations, against the model
 * client: each broken message is refused with the alert of RFC 8879 §4,
 * the honest one completes, and one where nothing was offered is out of
 * order. */
static void certificate_compression_mutations(void **state) {
    (void)state;
    static const struct {
        const char *header, *mutations;
        sd_outcome_kind kind;
        int alert;
    } cases[] = {
        {"certificate-compression: zlib\n", "", SD_OUTCOME_COMPLETED, 0},
        {"certificate-compression: brotli,zlib\n", "", SD_OUTCOME_COMPLETED, 0},
        {"certificate-compression: zlib\n", " uncompressed-length=1", SD_OUTCOME_ALERT, SD_bad_certificate},
        {"certificate-compression: zlib\n", " inflate=100000", SD_OUTCOME_ALERT, SD_bad_certificate},
        {"certificate-compression: brotli\n", " inflate=100000", SD_OUTCOME_ALERT, SD_bad_certificate},
        {"certificate-compression: zlib\n", " compression-alg=2", SD_OUTCOME_ALERT, SD_illegal_parameter},
        {"certificate-compression: zlib\n", " uncompressed=00ffffff", SD_OUTCOME_ALERT, SD_decode_error},
        {"certificate-compression: zlib\n", " body=0001000100000000", SD_OUTCOME_ALERT, SD_decode_error},
        {"", "", SD_OUTCOME_ALERT, SD_unexpected_message},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "%s%s\nexpect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                 "send CompressedCertificate%s\nsend CertificateVerify\nsend Finished\nexpect Finished\n"
                 "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
                 CC_HEAD("client"), cases[c].header, cases[c].mutations);
        sd_outcome o;
        run_text(text, &sd_target_model, &o, NULL);
        if (o.kind != cases[c].kind || (o.kind == SD_OUTCOME_ALERT && o.alert != cases[c].alert))
            fail_msg("case %zu: got %s (%s)", c, sd_outcome_kind_name(o.kind), o.detail);
        event_count sent = count_events(&o, SD_FROM_PEER, SD_CompressedCertificate, false);
        assert_int_equal(sent.n, 1);
        assert_int_equal(sent.any_mutated, cases[c].mutations[0] != '\0');
    }
}

/* Client authentication: the model server offers its algorithm in its
 * CertificateRequest, the model client compresses its Certificate with it,
 * and the driver, which offered too, takes and checks the compressed one
 * in both directions. */
static void certificate_compression_client_certificates(void **state) {
    (void)state;
    sd_outcome o;
    run_text(
        CC_HEAD("client") "certificate-compression: brotli\nclient-auth: require\n\n"
                          "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                          "send CertificateRequest\nsend CompressedCertificate\nsend CertificateVerify\n"
                          "send Finished\nexpect Certificate\nexpect CertificateVerify\nexpect Finished\n",
        &sd_target_model, &o, NULL);
    if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("client: %s", o.detail);
    assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_CompressedCertificate, false).n, 1);
    run_text(CC_HEAD("server") "certificate-compression: zlib\nclient-auth: require\n\n"
                               "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                               "expect CertificateRequest\nexpect Certificate\nexpect CertificateVerify\n"
                               "expect Finished\nsend CompressedCertificate\nsend CertificateVerify\n"
                               "send Finished\nsend-appdata \"ping\"\nexpect-appdata \"ping\"\n",
             &sd_target_model, &o, NULL);
    if (o.kind != SD_OUTCOME_COMPLETED) fail_msg("server: %s", o.detail);
    assert_int_equal(count_events(&o, SD_FROM_TARGET, SD_CompressedCertificate, false).n, 1);
    assert_int_equal(count_events(&o, SD_FROM_PEER, SD_CompressedCertificate, false).n, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tls12_happy_paths),
        cmocka_unit_test(tls12_client_hello_shape),
        cmocka_unit_test(tls12_mutations),
        cmocka_unit_test(tls12_ccs_is_a_step),
        cmocka_unit_test(tls13_hello_retry_request),
        cmocka_unit_test(tls13_unplanned_hello_retry_request),
        cmocka_unit_test(tls13_unplanned_hello_retry_request_limits),
        cmocka_unit_test(tls13_groups_header_forces_a_retry),
        cmocka_unit_test(unmade_deviation_is_not_reached),
        cmocka_unit_test(credential_the_peer_cannot_take_is_not_reached),
        cmocka_unit_test(hello_retry_request_without_a_group_carries_a_cookie),
        cmocka_unit_test(tls13_key_update),
        cmocka_unit_test(tls13_certificate_request_and_ticket),
        cmocka_unit_test(closed_after_completion_is_not_completed),
        cmocka_unit_test(tls12_warning_does_not_end_the_run),
        cmocka_unit_test(new_actions_round_trip),
        cmocka_unit_test(extension_and_record_mutations),
        cmocka_unit_test(session_id_mutation),
        cmocka_unit_test(versions_and_random),
        cmocka_unit_test(add_suite_mutation),
        cmocka_unit_test(flip_ext_mutation),
        cmocka_unit_test(premaster_version_mutation),
        cmocka_unit_test(point_and_signature_mutations),
        cmocka_unit_test(scheme_mutation),
        cmocka_unit_test(signature_algorithms_cert_skipped_in_fuzz_runs),
        cmocka_unit_test(renegotiate_action),
        cmocka_unit_test(empty_master_keys),
        cmocka_unit_test(tls12_certificate_verify_replaced),
        cmocka_unit_test(record_flip_mutation),
        cmocka_unit_test(inner_padding_mutation),
        cmocka_unit_test(seq_skip_mutation),
        cmocka_unit_test(cbc_padding_mutation),
        cmocka_unit_test(create_failures),
        cmocka_unit_test(stapling_follows_status_request),
        cmocka_unit_test(stapling_a_missing_file),
        cmocka_unit_test(tls13_expect_ccs_is_optional),
        cmocka_unit_test(tls13_key_update_answer_is_due_before_data),
        cmocka_unit_test(silent_close_ends_the_run_at_its_input),
        cmocka_unit_test(connections_resume_a_ticket),
        cmocka_unit_test(tls12_new_session_ticket_if_announced),
        cmocka_unit_test(tls12_session_forgotten_after_a_fatal_alert),
        cmocka_unit_test(certificate_compression_server_compresses),
        cmocka_unit_test(certificate_compression_mutations),
        cmocka_unit_test(certificate_compression_client_certificates),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
