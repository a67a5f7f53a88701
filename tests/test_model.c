/* test_model.c — the model against BoringSSL, in memory, both directions;
 * the model's order tables; determinism under a seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/pki.h"
#include "driver/driver.h"
#include "model/model.h"
#include "protocol/sequences.h"
#include "protocol/target.h"
#include "trace/trace.h"
#include "wire/names.h"
#include "wire/record.h"

#include "pki_fixture.h"
#include "stacks/stacks.h"

/* A target of the fixture PKI: the server presents "leaf". */
static sd_target *make_range(const sd_target_ops *ops, sd_role role, uint16_t min, uint16_t max,
                             uint64_t seed) {
    sd_target_config cfg = {
        .role = role,
        .min_version = min,
        .max_version = max,
        .credential = role == SD_ROLE_SERVER ? sd_pki_find(&pki, "leaf") : NULL,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = seed,
    };
    sd_target_error err = {0};
    sd_target *t = ops->create(&cfg, &err);
    if (!t) fprintf(stderr, "%s: %s\n", ops->name, err.text);
    assert_non_null(t);
    return t;
}

static sd_target *make(const sd_target_ops *ops, sd_role role, uint64_t seed) {
    return make_range(ops, role, SD_TLS13, SD_TLS13, seed);
}

/* Moves bytes between the two until neither has anything to say. Returns the
 * number of rounds that carried bytes. */
static int pump(sd_target *a, sd_target *b) {
    sd_buf buf;
    sd_buf_init(&buf);
    int rounds = 0;
    for (int i = 0; i < 50; i++) {
        bool moved = false;
        sd_buf_reset(&buf);
        a->ops->drain(a, &buf);
        if (buf.len) {
            b->ops->feed(b, sd_buf_span(&buf));
            moved = true;
        }
        sd_buf_reset(&buf);
        b->ops->drain(b, &buf);
        if (buf.len) {
            a->ops->feed(a, sd_buf_span(&buf));
            moved = true;
        }
        if (!moved) break;
        rounds++;
    }
    sd_buf_free(&buf);
    return rounds;
}

static void handshake(const sd_target_ops *client_ops, const sd_target_ops *server_ops) {
    sd_target *client = make(client_ops, SD_ROLE_CLIENT, 1);
    sd_target *server = make(server_ops, SD_ROLE_SERVER, 2);
    client->ops->start(client);
    server->ops->start(server);
    pump(client, server);
    sd_target_status cs, ss;
    client->ops->status(client, &cs);
    server->ops->status(server, &ss);
    if (!cs.handshake_done || !ss.handshake_done)
        fprintf(stderr, "%s client: done=%d error=%s alert=%d / %s server: done=%d error=%s alert=%d\n",
                client_ops->name, cs.handshake_done, cs.error, cs.alert_sent, server_ops->name,
                ss.handshake_done, ss.error, ss.alert_sent);
    assert_true(cs.handshake_done);
    assert_true(ss.handshake_done);
    assert_int_equal(cs.alert_sent, -1);
    assert_int_equal(ss.alert_sent, -1);
    /* Both sides agree on what was negotiated. */
    assert_int_equal(cs.version, SD_TLS13);
    assert_int_equal(ss.version, SD_TLS13);
    assert_int_equal(cs.cipher_suite, ss.cipher_suite);
    assert_int_equal(cs.group, ss.group);
    /* The client checked the server's certificate and signature. */
    assert_true(cs.peer_authenticated);
    client->ops->destroy(client);
    server->ops->destroy(server);
}

static void model_client_boringssl_server(void **state) {
    (void)state;
    handshake(&sd_target_model, &sd_target_boringssl);
}

static void boringssl_client_model_server(void **state) {
    (void)state;
    handshake(&sd_target_boringssl, &sd_target_model);
}

static void model_client_model_server(void **state) {
    (void)state;
    handshake(&sd_target_model, &sd_target_model);
}

/* The client's first flight depends only on the seed (RFC 8446 needs fresh
 * randomness; the model takes it from a seeded generator so that runs
 * replay exactly). */
static void model_is_deterministic(void **state) {
    (void)state;
    sd_buf first, second, other;
    sd_buf_init(&first);
    sd_buf_init(&second);
    sd_buf_init(&other);
    sd_target *a = make(&sd_target_model, SD_ROLE_CLIENT, 7);
    sd_target *b = make(&sd_target_model, SD_ROLE_CLIENT, 7);
    sd_target *c = make(&sd_target_model, SD_ROLE_CLIENT, 8);
    a->ops->start(a);
    b->ops->start(b);
    c->ops->start(c);
    a->ops->drain(a, &first);
    b->ops->drain(b, &second);
    c->ops->drain(c, &other);
    assert_true(first.len > 100);
    assert_int_equal(first.len, second.len);
    assert_memory_equal(first.data, second.data, first.len);
    assert_true(other.len != first.len || memcmp(other.data, first.data, first.len) != 0);

    /* A server fed the same ClientHello answers with the same ServerHello. */
    sd_target *s1 = make(&sd_target_model, SD_ROLE_SERVER, 3);
    sd_target *s2 = make(&sd_target_model, SD_ROLE_SERVER, 3);
    s1->ops->feed(s1, sd_buf_span(&first));
    s2->ops->feed(s2, sd_buf_span(&first));
    sd_buf_reset(&second);
    sd_buf_reset(&other);
    s1->ops->drain(s1, &second);
    s2->ops->drain(s2, &other);
    /* ServerHello is the first record: header + length. */
    assert_true(second.len > 5 && other.len > 5);
    size_t sh_len = 5 + ((size_t)second.data[3] << 8 | second.data[4]);
    assert_memory_equal(second.data, other.data, sh_len);

    a->ops->destroy(a);
    b->ops->destroy(b);
    c->ops->destroy(c);
    s1->ops->destroy(s1);
    s2->ops->destroy(s2);
    sd_buf_free(&first);
    sd_buf_free(&second);
    sd_buf_free(&other);
}

/* The tables: CertificateRequest switches to the client-auth shape, HRR to
 * the retry shape, and an out-of-order message has no shape. */
static void sequences_switch_shapes(void **state) {
    (void)state;
    const sd_shape *full = sd_shape_initial();
    assert_string_equal(full->name, "full");
    assert_ptr_equal(sd_shape_accept(full, 1, SD_ROLE_SERVER, SD_ServerHello), full);
    const sd_shape *hrr = sd_shape_accept(full, 1, SD_ROLE_SERVER, SD_MSG_HELLO_RETRY_REQUEST);
    assert_non_null(hrr);
    assert_true(hrr->flags & SD_SHAPE_HRR);
    const sd_shape *auth = sd_shape_accept(full, 3, SD_ROLE_SERVER, SD_CertificateRequest);
    assert_non_null(auth);
    assert_true(auth->flags & SD_SHAPE_CLIENT_AUTH);
    assert_null(sd_shape_accept(full, 4, SD_ROLE_SERVER, SD_Finished));    /* skips CertificateVerify */
    assert_null(sd_shape_accept(full, 2, SD_ROLE_CLIENT, SD_ClientHello)); /* a second ClientHello */
    /* CVE-2022-25640: under client auth, a Finished right after a non-empty
     * client Certificate must not slip into the no-certificate shape. */
    assert_null(sd_shape_accept(auth, 8, SD_ROLE_CLIENT, SD_Finished));
    /* Skipping the certificates is only a PSK handshake if the ServerHello
     * said so; the tables never infer it. */
    assert_null(sd_shape_accept(full, 3, SD_ROLE_SERVER, SD_Finished));

    /* TLS 1.2: CertificateStatus (RFC 6066 §8) comes right after the
     * Certificate, only in the shapes the ServerHello's status_request echo
     * selects; its arrival alone switches nothing. */
    const sd_shape *ecdhe = sd_shape_with_flags(SD_SHAPE_TLS12);
    const sd_shape *stapled = sd_shape_with_flags(SD_SHAPE_TLS12 | SD_SHAPE_OCSP);
    assert_non_null(ecdhe);
    assert_non_null(stapled);
    assert_int_equal(stapled->steps[2].msg, SD_Certificate);
    assert_int_equal(stapled->steps[3].msg, SD_CertificateStatus);
    assert_int_equal(stapled->steps[4].msg, SD_ServerKeyExchange);
    assert_null(sd_shape_accept(ecdhe, 3, SD_ROLE_SERVER, SD_CertificateStatus));
    /* RFC 6066 §8: after the echo the server "MAY also choose not to send"
     * it: the next message then goes on in the shape without it, also when
     * that message announces client authentication. */
    assert_ptr_equal(sd_shape_accept(stapled, 3, SD_ROLE_SERVER, SD_ServerKeyExchange), ecdhe);
    const sd_shape *rsa_stapled = sd_shape_with_flags(SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_OCSP);
    assert_ptr_equal(sd_shape_accept(rsa_stapled, 3, SD_ROLE_SERVER, SD_ServerHelloDone),
                     sd_shape_with_flags(SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX));
    assert_ptr_equal(sd_shape_accept(rsa_stapled, 3, SD_ROLE_SERVER, SD_CertificateRequest),
                     sd_shape_with_flags(SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH));
    /* Only that one step may go: not the key exchange after it as well. */
    assert_null(sd_shape_accept(stapled, 3, SD_ROLE_SERVER, SD_ServerHelloDone));
    assert_null(sd_shape_accept(stapled, 3, SD_ROLE_SERVER, SD_Finished));
    assert_null(sd_shape_accept(stapled, 4, SD_ROLE_SERVER, SD_ServerHelloDone));
    /* CVE-2022-25640 in TLS 1.2, with stapling: a client under client auth
     * that sent a certificate cannot skip its CertificateVerify. */
    const sd_shape *auth12 = sd_shape_with_flags(SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_OCSP);
    assert_non_null(auth12);
    assert_int_equal(auth12->steps[9].msg, SD_CertificateVerify);
    assert_null(sd_shape_accept(auth12, 9, SD_ROLE_CLIENT, SD_MSG_CHANGE_CIPHER_SPEC));
    const sd_shape *auth12_skipped = sd_shape_accept(auth12, 3, SD_ROLE_SERVER, SD_ServerKeyExchange);
    assert_non_null(auth12_skipped);
    assert_int_equal(auth12_skipped->steps[8].msg, SD_CertificateVerify);
    assert_null(sd_shape_accept(auth12_skipped, 8, SD_ROLE_CLIENT, SD_MSG_CHANGE_CIPHER_SPEC));
    /* Every combination of key exchange, client authentication (with and
     * without a client certificate), ticket and stapling has its row. */
    for (unsigned kx = 0; kx < 2; kx++)
        for (unsigned ca = 0; ca < 3; ca++)
            for (unsigned ticket = 0; ticket < 2; ticket++)
                for (unsigned ocsp = 0; ocsp < 2; ocsp++) {
                    unsigned flags = SD_SHAPE_TLS12 | (kx ? SD_SHAPE_RSA_KX : 0) |
                                     (ca ? SD_SHAPE_CLIENT_AUTH : 0) |
                                     (ca == 2 ? SD_SHAPE_NO_CLIENT_CERT : 0) |
                                     (ticket ? SD_SHAPE_TICKET : 0) | (ocsp ? SD_SHAPE_OCSP : 0);
                    assert_non_null(sd_shape_with_flags(flags));
                }
}

/* A ClientHello cut short after legacy_version is a decode_error
 * (RFC 8446 §6.2: "A message could not be decoded because some field was out
 * of the specified range or the length of the message was incorrect"). */
static void model_server_refuses_truncated_client_hello(void **state) {
    (void)state;
    sd_target *server = make(&sd_target_model, SD_ROLE_SERVER, 1);
    static const uint8_t garbage[] = {0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0x00, 0x02, 0x03, 0x03};
    server->ops->feed(server, sd_span_of(garbage, sizeof(garbage)));
    sd_target_status st;
    server->ops->status(server, &st);
    assert_true(st.failed);
    assert_int_equal(st.alert_sent, SD_decode_error);
    server->ops->destroy(server);
}

/* --- TLS 1.2 messages out of the handshake's order, through the driver -- */

#define HEAD12(role)                                                                     \
    "id: t.t\ntitle: t\nrfc: RFC 5246\nrole: " role "\nversion: 1.2\nexpect: complete\n" \
    "cipher-suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
#define SERVER12_HANDSHAKE                                                                        \
    "send ClientHello\nexpect ServerHello\nexpect Certificate\nexpect ServerKeyExchange\nexpect " \
    "ServerHelloDone\n"                                                                           \
    "send ClientKeyExchange\nsend-ccs\nsend Finished\nexpect-ccs\nexpect Finished\n"
#define CLIENT12_TO_CERTIFICATE "expect ClientHello\nsend ServerHello\nsend Certificate\n"
#define CLIENT12_FROM_KEY_EXCHANGE                                                                          \
    "send ServerKeyExchange\nsend ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\nexpect Finished\n" \
    "send-ccs\nsend Finished\n"
#define CLIENT12_HANDSHAKE CLIENT12_TO_CERTIFICATE CLIENT12_FROM_KEY_EXCHANGE

/* Runs a scenario text against the model; fails unless it ends as `kind`
 * (with `alert`, when kind is SD_OUTCOME_ALERT). */
static void model_outcome(const char *text, sd_outcome_kind kind, int alert) {
    sd_scenario s;
    char err[512];
    if (!sd_scenario_parse("t.sd", text, strlen(text), &s, err, sizeof err)) fail_msg("%s", err);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, s.role, &pki);
    sd_run_config_apply_scenario(&cfg, &s);
    static sd_outcome o;
    sd_driver_run(&s.trace, &cfg, &o);
    sd_scenario_free(&s);
    if (o.kind != kind || (kind == SD_OUTCOME_ALERT && o.alert != alert))
        fail_msg("got %s (%s), want %s alert %d", sd_outcome_kind_name(o.kind), o.detail,
                 sd_outcome_kind_name(kind), alert);
    /* The model's refusals are fatal alerts, no_renegotiation included (as
     * BoringSSL's). */
    if (kind == SD_OUTCOME_ALERT) assert_int_equal(o.alert_level, SD_ALERT_LEVEL_FATAL);
}

/* After a TLS 1.2 handshake (RFC 5246 §7.2.2, §7.4): a renegotiating
 * ClientHello or a HelloRequest is refused with no_renegotiation; TLS 1.3's
 * KeyUpdate (which once crashed the model: it used TLS 1.3 keys) and a
 * NewSessionTicket are unexpected_message; a HelloRequest with a body is
 * malformed (§7.4.1.1 "struct { } HelloRequest"). */
static void tls12_messages_after_handshake(void **state) {
    (void)state;
    model_outcome(HEAD12("server") SERVER12_HANDSHAKE "send KeyUpdate body=00\n", SD_OUTCOME_ALERT,
                  SD_unexpected_message);
    model_outcome(HEAD12("server") SERVER12_HANDSHAKE "renegotiate\n", SD_OUTCOME_ALERT, SD_no_renegotiation);
    model_outcome(HEAD12("client") CLIENT12_HANDSHAKE "send NewSessionTicket\n", SD_OUTCOME_ALERT,
                  SD_unexpected_message);
    model_outcome(HEAD12("client") CLIENT12_HANDSHAKE "send HelloRequest\n", SD_OUTCOME_ALERT,
                  SD_no_renegotiation);
    model_outcome(HEAD12("client") CLIENT12_HANDSHAKE "send HelloRequest body=00\n", SD_OUTCOME_ALERT,
                  SD_decode_error);
    model_outcome(HEAD12("client") CLIENT12_HANDSHAKE "send KeyUpdate body=00\n", SD_OUTCOME_ALERT,
                  SD_unexpected_message);
}

/* RFC 5246 §7.4.1.1: a client ignores a HelloRequest while it negotiates,
 * and leaves it out of the transcript (else its Finished check would fail
 * and the run would not complete). A HelloRequest with a body is malformed;
 * one between the server's ChangeCipherSpec and Finished breaks §7.4.9
 * ("always sent immediately after"); a server never takes one. */
static void tls12_hello_request_during_handshake(void **state) {
    (void)state;
    model_outcome(
        HEAD12("client") "expect ClientHello\nsend ServerHello\nsend HelloRequest\nsend Certificate\n"
                         "send HelloRequest\n" CLIENT12_FROM_KEY_EXCHANGE
                         "send-appdata \"ping\"\nexpect-appdata \"ping\"\n",
        SD_OUTCOME_COMPLETED, 0);
    model_outcome(HEAD12("client") "expect ClientHello\nsend ServerHello\nsend HelloRequest body=00\n",
                  SD_OUTCOME_ALERT, SD_decode_error);
    model_outcome(HEAD12("client") CLIENT12_TO_CERTIFICATE
                  "send ServerKeyExchange\nsend ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\n"
                  "expect Finished\nsend-ccs\nsend HelloRequest\nsend Finished\n",
                  SD_OUTCOME_ALERT, SD_unexpected_message);
    model_outcome(HEAD12("server") "send ClientHello\nexpect ServerHello\nexpect Certificate\n"
                                   "expect ServerKeyExchange\nexpect ServerHelloDone\nsend HelloRequest\n",
                  SD_OUTCOME_ALERT, SD_unexpected_message);
}

/* RFC 5246 §6.2.1: a TLS 1.2 alert may be split across records, or share
 * one with another; the model reads the alert either way (a fatal one ends
 * the connection without an answer, §7.2.2). Records of another type may
 * come between its halves ("Data of different TLS record layer content
 * types MAY be interleaved"): the handshake goes on, and half an alert that
 * is never completed ends nothing. TLS 1.3 forbids all of it (RFC 8446
 * §5.1): a one-byte alert record stays decode_error there. */
static void tls12_alerts_reassembled(void **state) {
    (void)state;
    model_outcome(HEAD12("client") CLIENT12_TO_CERTIFICATE
                  "send-raw alert 02\nsend-raw alert 28\n" CLIENT12_FROM_KEY_EXCHANGE,
                  SD_OUTCOME_CLOSED, 0);
    /* A warning (ignored in TLS 1.2, §7.2) and a fatal alert in one record. */
    model_outcome(HEAD12("client") CLIENT12_TO_CERTIFICATE
                  "send-raw alert 01640228\n" CLIENT12_FROM_KEY_EXCHANGE,
                  SD_OUTCOME_CLOSED, 0);
    model_outcome(HEAD12("client") CLIENT12_TO_CERTIFICATE "send-raw alert 02\n" CLIENT12_FROM_KEY_EXCHANGE,
                  SD_OUTCOME_COMPLETED, 0);
    /* ... and the half that comes after the handshake completes it. */
    model_outcome(HEAD12("client") CLIENT12_TO_CERTIFICATE "send-raw alert 02\n" CLIENT12_FROM_KEY_EXCHANGE
                                                           "send-raw alert 28 encrypted\n",
                  SD_OUTCOME_CLOSED, 0);
    model_outcome("id: t.t\ntitle: t\nrfc: RFC 8446\nrole: client\nexpect: complete\n"
                  "expect ClientHello\nsend-raw alert 02\nsend-raw alert 28\nsend ServerHello\n",
                  SD_OUTCOME_ALERT, SD_decode_error);
}

static sd_target *make_versions(sd_role role, uint16_t min, uint16_t max) {
    return make_range(&sd_target_model, role, min, max, 4);
}

/* Version negotiation (RFC 8446 §4.2.1) and downgrade protection (§4.1.3):
 * a TLS 1.3-capable server that negotiates TLS 1.2 marks its random, and a
 * TLS 1.3-capable client refuses such a ServerHello with illegal_parameter,
 * while a client that offered TLS 1.2 only goes on. */
static void downgrade_sentinel(void **state) {
    (void)state;
    sd_target *old_client = make_versions(SD_ROLE_CLIENT, SD_TLS12, SD_TLS12);
    sd_target *server = make_versions(SD_ROLE_SERVER, SD_TLS12, SD_TLS13);
    sd_target *new_client = make_versions(SD_ROLE_CLIENT, SD_TLS12, SD_TLS13);
    sd_buf hello, flight;
    sd_buf_init(&hello);
    sd_buf_init(&flight);
    old_client->ops->start(old_client);
    old_client->ops->drain(old_client, &hello);
    server->ops->feed(server, sd_buf_span(&hello));
    server->ops->drain(server, &flight);
    /* The ServerHello's random ends with "DOWNGRD" 01: record header 5,
     * handshake header 4, legacy_version 2, then 24 bytes in. */
    static const uint8_t sentinel[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01};
    assert_true(flight.len > 5 + 4 + 2 + 32);
    assert_memory_equal(flight.data + 5 + 4 + 2 + 24, sentinel, 8);

    /* The TLS 1.2-only client accepts it... */
    old_client->ops->feed(old_client, sd_buf_span(&flight));
    sd_target_status st;
    old_client->ops->status(old_client, &st);
    assert_int_equal(st.alert_sent, -1);
    /* ...the TLS 1.3-capable one must not. */
    new_client->ops->start(new_client);
    new_client->ops->feed(new_client, sd_buf_span(&flight));
    new_client->ops->status(new_client, &st);
    assert_int_equal(st.alert_sent, SD_illegal_parameter);

    old_client->ops->destroy(old_client);
    server->ops->destroy(server);
    new_client->ops->destroy(new_client);
    sd_buf_free(&hello);
    sd_buf_free(&flight);
}

/* RFC 8446 §4.4.2.1: a client that asked with status_request checks the
 * OCSP response stapled to the leaf. The model server and BoringSSL both
 * staple the PKI's ocsp-leaf.der; swapped for the response about another
 * certificate, the client refuses with bad_certificate_status_response
 * (RFC 8446 §6.2). */
static void stapled_ocsp_is_checked(void **state) {
    (void)state;
    const sd_target_ops *servers[] = {&sd_target_model, &sd_target_boringssl};
    for (size_t i = 0; i < 2; i++) {
        sd_target *client = make(&sd_target_model, SD_ROLE_CLIENT, 1);
        sd_target *server = make(servers[i], SD_ROLE_SERVER, 2);
        client->ops->start(client);
        pump(client, server);
        sd_target_status st;
        client->ops->status(client, &st);
        assert_true(st.handshake_done);
        client->ops->destroy(client);
        server->ops->destroy(server);
    }
    sd_pki_file *leaf_ocsp = NULL, *revoked_ocsp = NULL;
    for (size_t i = 0; i < pki.n_blobs; i++) {
        if (strcmp(pki.blobs[i].name, "ocsp-leaf.der") == 0) leaf_ocsp = &pki.blobs[i];
        if (strcmp(pki.blobs[i].name, "ocsp-revoked.der") == 0) revoked_ocsp = &pki.blobs[i];
    }
    assert_non_null(leaf_ocsp);
    assert_non_null(revoked_ocsp);
    sd_span saved = leaf_ocsp->span;
    leaf_ocsp->span = revoked_ocsp->span;
    for (size_t i = 0; i < 2; i++) {
        sd_target *client = make(&sd_target_model, SD_ROLE_CLIENT, 1);
        sd_target *server = make(servers[i], SD_ROLE_SERVER, 2);
        client->ops->start(client);
        pump(client, server);
        sd_target_status st;
        client->ops->status(client, &st);
        if (st.alert_sent != SD_bad_certificate_status_response)
            fprintf(stderr, "%s: %s\n", servers[i]->name, st.error);
        assert_int_equal(st.alert_sent, SD_bad_certificate_status_response);
        client->ops->destroy(client);
        server->ops->destroy(server);
    }
    leaf_ocsp->span = saved;
}

/* A ChangeCipherSpec before the ServerHello: a client that may still
 * negotiate TLS 1.3 drops it (RFC 8446 §5, middlebox compatibility); one
 * that speaks TLS 1.2 only has no such rule, and there the CCS is a step
 * of the handshake out of order (RFC 5246 §7.1): unexpected_message. */
static void early_ccs_by_version(void **state) {
    (void)state;
    static const uint8_t ccs[] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};
    const uint16_t max_versions[] = {SD_TLS13, SD_TLS12};
    for (size_t i = 0; i < 2; i++) {
        sd_target *client = make_range(&sd_target_model, SD_ROLE_CLIENT, SD_TLS12, max_versions[i], 1);
        client->ops->start(client);
        client->ops->feed(client, sd_span_of(ccs, sizeof ccs));
        sd_target_status st;
        client->ops->status(client, &st);
        if (max_versions[i] == SD_TLS13) {
            assert_false(st.failed);
            assert_int_equal(st.alert_sent, -1);
        } else {
            assert_true(st.failed);
            assert_int_equal(st.alert_sent, SD_unexpected_message);
        }
        client->ops->destroy(client);
    }
}

/* The server's plaintext TLS 1.2 flight with its CertificateStatus taken
 * out, in one record: a server that echoed status_request and then sent no
 * CertificateStatus. */
static void drop_certificate_status(sd_span flight, sd_buf *out) {
    sd_reader records = sd_reader_of(flight);
    sd_record rec;
    uint8_t alert;
    sd_buf messages;
    sd_buf_init(&messages);
    while (sd_parse_record(&records, &rec, &alert) == 1) {
        assert_int_equal(rec.content_type, SD_handshake);
        sd_buf_append_span(&messages, rec.fragment);
    }
    sd_buf kept;
    sd_buf_init(&kept);
    sd_reader r = sd_reader_of(sd_buf_span(&messages));
    bool dropped = false;
    while (!sd_reader_done(&r)) {
        uint8_t type;
        uint32_t len;
        sd_span body;
        assert_true(sd_read_u8(&r, &type) && sd_read_u24(&r, &len) && sd_read_bytes(&r, len, &body));
        if (type == SD_CertificateStatus) {
            dropped = true;
            continue;
        }
        sd_build_handshake(&kept, type, body, -1);
    }
    assert_true(dropped);
    sd_buf_reset(out);
    sd_build_record(out, SD_handshake, SD_TLS12, sd_buf_span(&kept));
    sd_buf_free(&messages);
    sd_buf_free(&kept);
}

/* RFC 6066 §8: "a server MAY also choose not to send a "CertificateStatus"
 * message, even if has received a "status_request" extension in the client
 * hello message and has sent a "status_request" extension in the server
 * hello message." The TLS 1.2 model client then goes on, validating the
 * chain without a response: "leaf" is accepted, "revoked" still refused on
 * the CRL's word. */
static void tls12_certificate_status_is_optional(void **state) {
    (void)state;
    static const uint16_t suite = SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    const char *credentials[] = {"leaf", "revoked"};
    for (size_t i = 0; i < 2; i++) {
        sd_target_config base = {.min_version = SD_TLS12,
                                 .max_version = SD_TLS12,
                                 .pki = &pki,
                                 .server_name = SD_PKI_SERVER_NAME,
                                 .now = SD_PKI_DEFAULT_TIME,
                                 .seed = 5,
                                 .cipher_suites = &suite,
                                 .n_cipher_suites = 1};
        sd_target_config ccfg = base, scfg = base;
        ccfg.role = SD_ROLE_CLIENT;
        scfg.role = SD_ROLE_SERVER;
        scfg.credential = sd_pki_find(&pki, credentials[i]);
        assert_non_null(scfg.credential);
        sd_target_error err = {0};
        sd_target *client = sd_target_model.create(&ccfg, &err);
        sd_target *server = sd_target_model.create(&scfg, &err);
        assert_non_null(client);
        assert_non_null(server);
        sd_buf hello, flight, edited;
        sd_buf_init(&hello);
        sd_buf_init(&flight);
        sd_buf_init(&edited);
        client->ops->start(client);
        client->ops->drain(client, &hello);
        server->ops->feed(server, sd_buf_span(&hello));
        server->ops->drain(server, &flight);
        drop_certificate_status(sd_buf_span(&flight), &edited);
        client->ops->feed(client, sd_buf_span(&edited));
        sd_target_status st;
        client->ops->status(client, &st);
        if (i == 0) {
            /* Accepted: the client answers with its key exchange, CCS and
             * Finished, having verified the ServerKeyExchange signature. */
            if (st.failed) fprintf(stderr, "%s: %s\n", credentials[i], st.error);
            assert_false(st.failed);
            assert_int_equal(st.alert_sent, -1);
            assert_true(st.peer_authenticated);
            sd_buf_reset(&hello);
            client->ops->drain(client, &hello);
            assert_true(hello.len > 0);
        } else {
            assert_true(st.failed);
            assert_int_equal(st.alert_sent, SD_certificate_revoked);
        }
        client->ops->destroy(client);
        server->ops->destroy(server);
        sd_buf_free(&hello);
        sd_buf_free(&flight);
        sd_buf_free(&edited);
    }
}

/* RFC 8879 between the model and BoringSSL, both ways, and model to model:
 * with an algorithm in common the server's Certificate goes compressed and
 * the client authenticates it all the same; with none in common (zlib
 * against brotli) it goes plain. Over the records the message types are
 * hidden, so the wire is looked at in test_driver; this is the interop. A
 * model set up with zstd, which it does not implement, is unsupported. */
static void certificate_compression_interop(void **state) {
    (void)state;
    static const sd_target_ops *const pairs[][2] = {{&sd_target_model, &sd_target_boringssl},
                                                    {&sd_target_boringssl, &sd_target_model},
                                                    {&sd_target_model, &sd_target_model}};
    static const uint16_t lists[][2] = {{SD_CERT_COMPRESSION_ZLIB, SD_CERT_COMPRESSION_ZLIB},
                                        {SD_CERT_COMPRESSION_BROTLI, SD_CERT_COMPRESSION_BROTLI},
                                        {SD_CERT_COMPRESSION_ZLIB, SD_CERT_COMPRESSION_BROTLI}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
            sd_target *ends[2];
            for (int side = 0; side < 2; side++) {
                sd_target_config cfg = {
                    .role = side ? SD_ROLE_SERVER : SD_ROLE_CLIENT,
                    .min_version = SD_TLS13,
                    .max_version = SD_TLS13,
                    .credential = side ? sd_pki_find(&pki, "leaf") : NULL,
                    .pki = &pki,
                    .server_name = SD_PKI_SERVER_NAME,
                    .now = SD_PKI_DEFAULT_TIME,
                    .seed = (uint64_t)side + 1,
                    .cert_compression = {lists[l][side]},
                    .n_cert_compression = 1,
                };
                sd_target_error err = {0};
                ends[side] = pairs[p][side]->create(&cfg, &err);
                if (!ends[side]) fail_msg("%s: %s", pairs[p][side]->name, err.text);
            }
            ends[0]->ops->start(ends[0]);
            ends[1]->ops->start(ends[1]);
            pump(ends[0], ends[1]);
            sd_target_status cs, ss;
            ends[0]->ops->status(ends[0], &cs);
            ends[1]->ops->status(ends[1], &ss);
            if (!cs.handshake_done || !ss.handshake_done || !cs.peer_authenticated)
                fail_msg("%s client, %s server, list %zu: %s / %s", pairs[p][0]->name, pairs[p][1]->name, l,
                         cs.error, ss.error);
            ends[0]->ops->destroy(ends[0]);
            ends[1]->ops->destroy(ends[1]);
        }
    }
    sd_target_config zstd = {.role = SD_ROLE_CLIENT,
                             .min_version = SD_TLS13,
                             .max_version = SD_TLS13,
                             .pki = &pki,
                             .cert_compression = {SD_CERT_COMPRESSION_ZSTD},
                             .n_cert_compression = 1};
    sd_target_error err = {0};
    assert_null(sd_target_model.create(&zstd, &err));
    assert_true(err.unsupported);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(model_client_boringssl_server),
        cmocka_unit_test(boringssl_client_model_server),
        cmocka_unit_test(model_client_model_server),
        cmocka_unit_test(certificate_compression_interop),
        cmocka_unit_test(model_is_deterministic),
        cmocka_unit_test(sequences_switch_shapes),
        cmocka_unit_test(model_server_refuses_truncated_client_hello),
        cmocka_unit_test(tls12_messages_after_handshake),
        cmocka_unit_test(tls12_hello_request_during_handshake),
        cmocka_unit_test(tls12_alerts_reassembled),
        cmocka_unit_test(downgrade_sentinel),
        cmocka_unit_test(stapled_ocsp_is_checked),
        cmocka_unit_test(tls12_certificate_status_is_optional),
        cmocka_unit_test(early_ccs_by_version),
    };
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
