/* test_matrix.c — the handshake matrix: every supported combination of
 * group × cipher suite × certificate type × client authentication × HelloRetryRequest,
 * in both directions (model client with BoringSSL server, BoringSSL client
 * with model server). Every cell must complete, both sides must agree on the
 * negotiated parameters, and both must derive the same exporter secret
 * (RFC 8446 §7.5). A combination a stack cannot be configured for is counted
 * and printed as skipped, with the stack's reason. TLS 1.2 has its own
 * matrix (with resumption by ticket and by session id, under client
 * authentication too) and tests for OCSP stapling (RFC 6066 §8), unknown
 * session ids and the identity a resumed session keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/pki.h"
#include "protocol/session_cache.h"
#include "protocol/target.h"
#include "wire/names.h"
#include "wire/record.h"
#include "wire/tls12.h"

#include "pki_fixture.h"
#include "stacks/stacks.h"

typedef struct {
    const sd_target_ops *client, *server;
    uint16_t group, suite;
    const char *cert;
    bool client_auth, hrr, resume;
} cell;

typedef enum { CELL_OK, CELL_SKIP, CELL_FAIL } cell_result;

static void describe(const cell *c, char *buf, size_t len) {
    snprintf(buf, len, "%s client / %s server, %s, %s, %s%s%s%s", c->client->name, c->server->name,
             sd_group_name(c->group), sd_cipher_suite_name(c->suite), c->cert,
             c->client_auth ? ", client auth" : "", c->hrr ? ", HRR" : "", c->resume ? ", resumed" : "");
}

/* One connection between the two; fills both statuses and exporter values. */
static cell_result connect_pair(const cell *c, const sd_target_config *ccfg, const sd_target_config *scfg,
                                sd_target_status *cs, sd_target_status *ss, uint8_t *ce, uint8_t *se,
                                bool *exported, sd_buf *session, sd_buf *server_sent, char *why,
                                size_t why_len) {
    sd_target_error err = {0};
    sd_target *cl = c->client->create(ccfg, &err);
    if (!cl) {
        snprintf(why, why_len, "%s client: %s%s", c->client->name, err.unsupported ? "unsupported: " : "",
                 err.text);
        return err.unsupported ? CELL_SKIP : CELL_FAIL;
    }
    sd_target *sv = c->server->create(scfg, &err);
    if (!sv) {
        cl->ops->destroy(cl);
        snprintf(why, why_len, "%s server: %s%s", c->server->name, err.unsupported ? "unsupported: " : "",
                 err.text);
        return err.unsupported ? CELL_SKIP : CELL_FAIL;
    }
    cl->ops->start(cl);
    sd_buf buf;
    sd_buf_init(&buf);
    for (int i = 0; i < 20; i++) {
        sd_buf_reset(&buf);
        cl->ops->drain(cl, &buf);
        if (buf.len) sv->ops->feed(sv, sd_buf_span(&buf));
        size_t moved = buf.len;
        sd_buf_reset(&buf);
        sv->ops->drain(sv, &buf);
        if (buf.len) cl->ops->feed(cl, sd_buf_span(&buf));
        if (server_sent) sd_buf_append_span(server_sent, sd_buf_span(&buf));
        if (!moved && !buf.len) break;
    }
    sd_buf_free(&buf);
    cl->ops->status(cl, cs);
    sv->ops->status(sv, ss);
    memset(ce, 0, 32);
    memset(se, 1, 32);
    *exported = cl->ops->export_keying_material && sv->ops->export_keying_material &&
                cl->ops->export_keying_material(cl, "EXPORTER-shakedown-matrix", ce, 32) &&
                sv->ops->export_keying_material(sv, "EXPORTER-shakedown-matrix", se, 32);
    if (session && cl->ops->export_session) cl->ops->export_session(cl, session);
    cl->ops->destroy(cl);
    sv->ops->destroy(sv);
    return CELL_OK;
}

static cell_result run_cell(const cell *c, char *why, size_t why_len) {
    /* The model side is told the suite; BoringSSL's TLS 1.3 suites are fixed,
     * so it runs on its defaults and must still agree. With hrr, the client
     * leads with a share for another group, which the server refuses. */
    uint16_t other = c->group == SD_x25519 ? SD_secp256r1 : SD_x25519;
    uint16_t client_groups[2] = {other, c->group};
    uint16_t server_groups[1] = {c->group};
    const sd_credential *cred = sd_pki_find(&pki, c->cert);
    /* The client presents the client credential of the server's key type,
     * so that every scheme signs and verifies in both roles. */
    static const char *const kClientOf[][2] = {{"leaf", "client"},
                                               {"leaf-p384", "client-p384"},
                                               {"leaf-p521", "client-p521"},
                                               {"leaf-rsa", "client-rsa"},
                                               {"leaf-ed25519", "client-ed25519"}};
    const char *client_name = "client";
    for (size_t i = 0; i < sizeof kClientOf / sizeof kClientOf[0]; i++)
        if (strcmp(kClientOf[i][0], c->cert) == 0) client_name = kClientOf[i][1];
    const sd_credential *client_cred = sd_pki_find(&pki, client_name);
    if (!cred) {
        snprintf(why, why_len, "no credential \"%s\" in the fixture PKI yet", c->cert);
        return CELL_SKIP;
    }
    sd_target_config base = {.min_version = SD_TLS13,
                             .max_version = SD_TLS13,
                             .pki = &pki,
                             .server_name = SD_PKI_SERVER_NAME,
                             .now = SD_PKI_DEFAULT_TIME,
                             .seed = 5};
    sd_target_config ccfg = base, scfg = base;
    ccfg.role = SD_ROLE_CLIENT;
    ccfg.groups = c->hrr ? client_groups : server_groups;
    ccfg.n_groups = c->hrr ? 2 : 1;
    ccfg.client_credential = c->client_auth ? client_cred : NULL;
    scfg.role = SD_ROLE_SERVER;
    scfg.credential = cred;
    scfg.groups = server_groups;
    scfg.n_groups = 1;
    scfg.client_auth = c->client_auth ? SD_CLIENT_AUTH_REQUIRE : SD_CLIENT_AUTH_NONE;
    if (c->client == &sd_target_model) {
        ccfg.cipher_suites = &c->suite;
        ccfg.n_cipher_suites = 1;
    } else {
        scfg.cipher_suites = &c->suite;
        scfg.n_cipher_suites = 1;
    }

    if (c->resume) scfg.session_tickets = true;
    sd_target_status cs, ss;
    uint8_t ce[32], se[32];
    bool exported;
    sd_buf session;
    sd_buf_init(&session);
    cell_result r = connect_pair(c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, &session, NULL, why, why_len);
    if (r == CELL_OK && c->resume) {
        /* Second connection: the client offers the ticket it was given. */
        if (session.len == 0) {
            snprintf(why, why_len, "the client kept no session from the first handshake");
            r = CELL_FAIL;
        } else {
            ccfg.resume_session = sd_buf_span(&session);
            r = connect_pair(c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, why_len);
            if (r == CELL_OK && (!cs.resumed || !ss.resumed)) {
                snprintf(why, why_len, "not resumed: client %d, server %d", cs.resumed, ss.resumed);
                r = CELL_FAIL;
            }
        }
    }
    sd_buf_free(&session);
    if (r != CELL_OK) return r;
    if (!cs.handshake_done || !ss.handshake_done)
        snprintf(why, why_len, "did not complete: client %s (%.100s), server %s (%.100s)",
                 cs.handshake_done ? "done" : "not done", cs.error, ss.handshake_done ? "done" : "not done",
                 ss.error);
    else if (cs.version != SD_TLS13 || ss.version != SD_TLS13)
        snprintf(why, why_len, "version 0x%04x / 0x%04x", cs.version, ss.version);
    else if (cs.cipher_suite != c->suite || ss.cipher_suite != c->suite)
        snprintf(why, why_len, "cipher suite 0x%04x / 0x%04x", cs.cipher_suite, ss.cipher_suite);
    else if (cs.group != c->group || ss.group != c->group)
        snprintf(why, why_len, "group %u / %u", cs.group, ss.group);
    else if (!exported || memcmp(ce, se, sizeof ce) != 0)
        snprintf(why, why_len, "exporter secrets differ (or could not be exported)");
    else if (!cs.peer_authenticated)
        snprintf(why, why_len, "client did not authenticate the server");
    else if (c->client_auth && !c->resume && !ss.peer_authenticated)
        snprintf(why, why_len, "server did not authenticate the client");
    else
        return CELL_OK;
    return CELL_FAIL;
}

static void handshake_matrix(void **state) {
    (void)state;
    /* Every group both stacks have (BoringSSL has no X448 and no FFDHE). */
    static const uint16_t groups[] = {SD_x25519, SD_secp256r1, SD_secp384r1, SD_secp521r1};
    static const uint16_t suites[] = {SD_TLS_AES_128_GCM_SHA256, SD_TLS_AES_256_GCM_SHA384,
                                      SD_TLS_CHACHA20_POLY1305_SHA256};
    static const char *const certs[] = {"leaf", "leaf-p384", "leaf-rsa", "leaf-ed25519", "leaf-p521"};
    const sd_target_ops *directions[][2] = {{&sd_target_model, &sd_target_boringssl},
                                            {&sd_target_boringssl, &sd_target_model}};
    int ok = 0, skipped = 0, failed = 0;
    for (size_t d = 0; d < 2; d++)
        for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
            for (size_t s = 0; s < 3; s++)
                for (size_t k = 0; k < sizeof certs / sizeof certs[0]; k++)
                    for (int auth = 0; auth < 2; auth++)
                        for (int hrr = 0; hrr < 2; hrr++)
                            for (int resume = 0; resume < 2; resume++) {
                                cell c = {directions[d][0],
                                          directions[d][1],
                                          groups[g],
                                          suites[s],
                                          certs[k],
                                          auth,
                                          hrr,
                                          resume};
                                char name[200], why[300] = "";
                                describe(&c, name, sizeof name);
                                switch (run_cell(&c, why, sizeof why)) {
                                case CELL_OK:
                                    ok++;
                                    break;
                                case CELL_SKIP:
                                    skipped++;
                                    printf("SKIP %s: %s\n", name, why);
                                    break;
                                case CELL_FAIL:
                                    failed++;
                                    printf("FAIL %s: %s\n", name, why);
                                    break;
                                }
                            }
    printf("handshake matrix: %d completed, %d skipped, %d failed\n", ok, skipped, failed);
    assert_int_equal(failed, 0);
    assert_true(ok >= 144);
}

/* TLS 1.2: every suite the model implements, with the certificate its key
 * exchange needs, in both directions; both sides configured for TLS 1.2
 * only and for that one suite (RFC 5246 §7.4.1.2). */
/* A TLS 1.2 client and server configuration over the fixture PKI, held to
 * one suite; the tests then set credentials, client auth and resumption. */
static void tls12_pair(const uint16_t *suite, uint64_t seed, sd_target_config *client,
                       sd_target_config *server) {
    sd_target_config base = {.min_version = SD_TLS12,
                             .max_version = SD_TLS12,
                             .pki = &pki,
                             .server_name = SD_PKI_SERVER_NAME,
                             .now = SD_PKI_DEFAULT_TIME,
                             .seed = seed,
                             .cipher_suites = suite,
                             .n_cipher_suites = 1};
    *client = base;
    *server = base;
    client->role = SD_ROLE_CLIENT;
    server->role = SD_ROLE_SERVER;
}

static void tls12_matrix(void **state) {
    (void)state;
    static const uint16_t suites[] = {0xC02B, 0xC02C, 0xC02F, 0xC030, 0xCCA9, 0xCCA8,
                                      0xC009, 0xC013, 0x009C, 0x009D, 0x002F};
    const sd_target_ops *directions[][2] = {{&sd_target_model, &sd_target_boringssl},
                                            {&sd_target_boringssl, &sd_target_model},
                                            {&sd_target_model, &sd_target_model}};
    /* resume: 0 none, 1 by ticket (RFC 5077), 2 by session id (RFC 5246
     * §7.4.1.2, through a session cache). Under client authentication a
     * resumed session keeps the client's identity (RFC 5077 §4), so the
     * server still counts it authenticated. */
    static const char *const resume_names[] = {"", ", resumed by ticket", ", resumed by session id"};
    int ok = 0, failed = 0;
    for (size_t d = 0; d < 3; d++)
        for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
            for (int auth = 0; auth < 2; auth++)
                for (int resume = 0; resume < 3; resume++) {
                    uint16_t suite = suites[i];
                    bool ecdsa = suite == 0xC02B || suite == 0xC02C || suite == 0xCCA9 || suite == 0xC009;
                    sd_target_config ccfg, scfg;
                    tls12_pair(&suite, 9, &ccfg, &scfg);
                    scfg.credential = sd_pki_find(&pki, ecdsa ? "leaf" : "leaf-rsa");
                    if (auth) {
                        scfg.client_auth = SD_CLIENT_AUTH_REQUIRE;
                        ccfg.client_credential = sd_pki_find(&pki, "client");
                    }
                    cell c = {directions[d][0],
                              directions[d][1],
                              SD_secp256r1,
                              suite,
                              ecdsa ? "leaf" : "leaf-rsa",
                              auth,
                              0,
                              resume};
                    sd_target_status cs, ss;
                    uint8_t ce[32], se[32];
                    bool exported;
                    char why[300] = "";
                    sd_buf session;
                    sd_buf_init(&session);
                    scfg.session_tickets = resume == 1;
                    sd_session_cache *cache = resume == 2 ? sd_session_cache_new() : NULL;
                    scfg.session_cache = cache;
                    cell_result r = connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, &session,
                                                 NULL, why, sizeof why);
                    if (r == CELL_OK && resume) {
                        /* The session from the first handshake resumes the second,
                 * abbreviated (RFC 5246 §7.3 Figure 2). */
                        if (!session.len) {
                            snprintf(why, sizeof why, "no session kept from the first handshake");
                            r = CELL_FAIL;
                        } else {
                            ccfg.resume_session = sd_buf_span(&session);
                            r = connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why,
                                             sizeof why);
                            if (r == CELL_OK && (!cs.resumed || !ss.resumed))
                                snprintf(why, sizeof why, "not resumed: client %d, server %d", cs.resumed,
                                         ss.resumed);
                        }
                    }
                    sd_buf_free(&session);
                    sd_session_cache_free(cache);
                    if (r == CELL_OK) {
                        if (!cs.handshake_done || !ss.handshake_done)
                            snprintf(why, sizeof why, "did not complete: client (%.100s), server (%.100s)",
                                     cs.error, ss.error);
                        else if (cs.version != SD_TLS12 || ss.version != SD_TLS12 ||
                                 cs.cipher_suite != suite || ss.cipher_suite != suite)
                            snprintf(why, sizeof why, "negotiated 0x%04x/0x%04x, suite 0x%04x/0x%04x",
                                     cs.version, ss.version, cs.cipher_suite, ss.cipher_suite);
                        else if (!exported || memcmp(ce, se, sizeof ce) != 0)
                            snprintf(why, sizeof why, "exporter secrets differ (RFC 5705)");
                        else if (!cs.peer_authenticated)
                            snprintf(why, sizeof why, "client did not authenticate the server");
                        else if (auth && !ss.peer_authenticated)
                            snprintf(why, sizeof why, "server did not authenticate the client");
                        else
                            ok++;
                    }
                    if (why[0]) {
                        failed++;
                        printf("FAIL TLS 1.2 %s client / %s server, 0x%04x%s%s: %s\n", c.client->name,
                               c.server->name, suite, auth ? ", client auth" : "", resume_names[resume], why);
                    }
                }
    printf("TLS 1.2 matrix: %d completed, %d failed\n", ok, failed);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 3 * 11 * 2 * 3);
}

/* RFC 5246 §7.4.1.3: a session id the server does not know (its cache lost
 * it, or the id is wrong) gets a full handshake with a new id, not an
 * error. Each direction, and model with model. */
static void tls12_unknown_session_id(void **state) {
    (void)state;
    const sd_target_ops *directions[][2] = {{&sd_target_model, &sd_target_boringssl},
                                            {&sd_target_boringssl, &sd_target_model},
                                            {&sd_target_model, &sd_target_model}};
    static const uint16_t suite = 0xC02F; /* ECDHE-RSA-AES128-GCM-SHA256 */
    for (size_t d = 0; d < 3; d++) {
        sd_target_config ccfg, scfg;
        tls12_pair(&suite, 13, &ccfg, &scfg);
        scfg.credential = sd_pki_find(&pki, "leaf-rsa");
        cell c = {directions[d][0], directions[d][1], SD_secp256r1, suite, "leaf-rsa", 0, 0, 0};
        sd_target_status cs, ss;
        uint8_t ce[32], se[32];
        bool exported;
        char why[300] = "";
        sd_buf session;
        sd_buf_init(&session);
        sd_session_cache *first = sd_session_cache_new(), *second = sd_session_cache_new();
        assert_true(first && second);
        scfg.session_cache = first;
        assert_int_equal(
            connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, &session, NULL, why, sizeof why),
            CELL_OK);
        assert_true(cs.handshake_done && ss.handshake_done);
        assert_int_equal(sd_session_cache_count(first), 1);
        assert_true(session.len > 0);

        /* The same session at a server whose cache is empty. */
        ccfg.resume_session = sd_buf_span(&session);
        scfg.session_cache = second;
        assert_int_equal(
            connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why),
            CELL_OK);
        if (!cs.handshake_done || !ss.handshake_done)
            printf("FAIL unknown session id, %s client / %s server: client (%s), server (%s)\n",
                   c.client->name, c.server->name, cs.error, ss.error);
        assert_true(cs.handshake_done && ss.handshake_done);
        assert_false(cs.resumed);
        assert_false(ss.resumed);
        assert_true(exported);
        assert_memory_equal(ce, se, sizeof ce);
        assert_int_equal(sd_session_cache_count(second), 1); /* the new session */

        /* The model's session blob ends with the id: one wrong byte there,
         * at the server that holds the real one, is a full handshake too. */
        if (c.client == &sd_target_model) {
            session.data[session.len - 1] ^= 0x01;
            scfg.session_cache = first;
            assert_int_equal(
                connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why),
                CELL_OK);
            assert_true(cs.handshake_done && ss.handshake_done);
            assert_false(cs.resumed || ss.resumed);
            assert_memory_equal(ce, se, sizeof ce);
            /* And the right id resumes. */
            session.data[session.len - 1] ^= 0x01;
            assert_int_equal(
                connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why),
                CELL_OK);
            assert_true(cs.resumed && ss.resumed);
            assert_memory_equal(ce, se, sizeof ce);
        }
        sd_buf_free(&session);
        sd_session_cache_free(first);
        sd_session_cache_free(second);
    }
}

/* The OCSP response of the CertificateStatus (RFC 6066 §8, status_type
 * ocsp) in the server's plaintext TLS 1.2 flight, copied to *response, if
 * there is one. Records before the server's ChangeCipherSpec are
 * plaintext. */
static bool find_certificate_status(sd_span server_sent, sd_buf *response) {
    sd_reader records = sd_reader_of(server_sent);
    sd_record rec;
    uint8_t alert;
    sd_hs_reassembler hs;
    sd_hs_reassembler_init(&hs);
    bool found = false;
    while (!found && sd_parse_record(&records, &rec, &alert) == 1 && rec.content_type == SD_handshake) {
        sd_hs_reassembler_push(&hs, rec.fragment);
        sd_handshake_msg msg;
        sd_tls12_certificate_status status;
        while (!found && sd_hs_reassembler_next(&hs, 1u << 20, &msg, &alert) == 1)
            found = msg.type == SD_CertificateStatus &&
                    sd_parse_tls12_certificate_status(msg.body, &status, &alert);
        if (found) {
            sd_buf_reset(response);
            sd_buf_append_span(response, status.ocsp_response);
        }
    }
    sd_hs_reassembler_free(&hs);
    return found;
}

/* TLS 1.2 OCSP stapling (RFC 6066 §8): a client's status_request, a server
 * with a response for its credential staples it in CertificateStatus, and
 * the model client checks it. Both directions and model with model. */
static void tls12_ocsp_stapling(void **state) {
    (void)state;
    const sd_target_ops *directions[][2] = {{&sd_target_model, &sd_target_boringssl},
                                            {&sd_target_boringssl, &sd_target_model},
                                            {&sd_target_model, &sd_target_model}};
    static const uint16_t suite = 0xC02B; /* ECDHE-ECDSA-AES128-GCM-SHA256 */
    const sd_span *leaf_response = sd_pki_blob(&pki, "ocsp-leaf.der");
    assert_non_null(leaf_response);
    for (size_t d = 0; d < 3; d++) {
        const sd_target_ops *client = directions[d][0], *server = directions[d][1];
        sd_target_config ccfg, scfg;
        tls12_pair(&suite, 11, &ccfg, &scfg);
        cell c = {client, server, SD_secp256r1, suite, "leaf", 0, 0, 0};
        sd_target_status cs, ss;
        uint8_t ce[32], se[32];
        bool exported;
        char why[300] = "";
        sd_buf sent;
        sd_buf_init(&sent);

        /* "leaf" has ocsp-leaf.der: stapled, accepted, same keys. */
        scfg.credential = sd_pki_find(&pki, "leaf");
        assert_int_equal(
            connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, &sent, why, sizeof why),
            CELL_OK);
        if (!cs.handshake_done || !ss.handshake_done)
            printf("FAIL stapling %s client / %s server: client (%s), server (%s)\n", client->name,
                   server->name, cs.error, ss.error);
        assert_true(cs.handshake_done && ss.handshake_done && cs.peer_authenticated);
        assert_true(exported);
        assert_memory_equal(ce, se, sizeof ce);
        sd_buf stapled;
        sd_buf_init(&stapled);
        assert_true(find_certificate_status(sd_buf_span(&sent), &stapled));
        assert_int_equal(stapled.len, leaf_response->len);
        assert_memory_equal(stapled.data, leaf_response->data, leaf_response->len);

        /* "leaf-p384" has no response: no CertificateStatus, and the
         * handshake completes as before. */
        sd_buf_reset(&sent);
        scfg.credential = sd_pki_find(&pki, "leaf-p384");
        assert_non_null(scfg.credential);
        assert_int_equal(
            connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, &sent, why, sizeof why),
            CELL_OK);
        assert_true(cs.handshake_done && ss.handshake_done);
        assert_false(find_certificate_status(sd_buf_span(&sent), &stapled));

        /* "revoked" staples ocsp-revoked.der. A model client whose PKI has
         * no CRL refuses it on the stapled response's word alone:
         * certificate_revoked (RFC 8446 §6.2 "A certificate was revoked by
         * its signer"; RFC 6066 §8 clients "MUST check the OCSP response").
         * BoringSSL's client leaves the response to the application. */
        if (client == &sd_target_model) {
            sd_pki *no_crl = malloc(sizeof *no_crl);
            assert_non_null(no_crl);
            memcpy(no_crl, &pki, sizeof *no_crl); /* borrows everything; not freed */
            for (size_t i = 0; i < no_crl->n_blobs; i++)
                if (strcmp(no_crl->blobs[i].name, "crl.der") == 0)
                    strcpy(no_crl->blobs[i].name, "crl.der.off");
            no_crl->crl = NULL;
            sd_target_config revoked_ccfg = ccfg;
            revoked_ccfg.pki = no_crl;
            sd_buf_reset(&sent);
            scfg.credential = sd_pki_find(&pki, "revoked");
            assert_non_null(scfg.credential);
            assert_int_equal(connect_pair(&c, &revoked_ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, &sent,
                                          why, sizeof why),
                             CELL_OK);
            assert_true(find_certificate_status(sd_buf_span(&sent), &stapled));
            assert_false(cs.handshake_done);
            assert_int_equal(cs.alert_sent, SD_certificate_revoked);
            assert_non_null(strstr(cs.error, "OCSP"));
            /* With the CRL as well: still certificate_revoked. */
            assert_int_equal(
                connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why),
                CELL_OK);
            assert_int_equal(cs.alert_sent, SD_certificate_revoked);
            free(no_crl);

            /* A server whose response is about another certificate (its
             * PKI's ocsp-leaf.der holds the revoked leaf's response): the
             * response is unsatisfactory, bad_certificate_status_response
             * (RFC 6066 §8). */
            sd_pki *wrong = malloc(sizeof *wrong);
            assert_non_null(wrong);
            memcpy(wrong, &pki, sizeof *wrong);
            const sd_span *revoked_response = sd_pki_blob(&pki, "ocsp-revoked.der");
            assert_non_null(revoked_response);
            for (size_t i = 0; i < wrong->n_blobs; i++)
                if (strcmp(wrong->blobs[i].name, "ocsp-leaf.der") == 0)
                    wrong->blobs[i].span = *revoked_response;
            sd_target_config wrong_scfg = scfg;
            wrong_scfg.pki = wrong;
            wrong_scfg.credential = sd_pki_find(wrong, "leaf");
            assert_int_equal(connect_pair(&c, &ccfg, &wrong_scfg, &cs, &ss, ce, se, &exported, NULL, NULL,
                                          why, sizeof why),
                             CELL_OK);
            assert_false(cs.handshake_done);
            assert_int_equal(cs.alert_sent, SD_bad_certificate_status_response);
            /* Bytes that are no OCSPResponse at all: the same. */
            static const uint8_t junk[] = {0x30, 0x03, 0x0a, 0x01, 0x00};
            for (size_t i = 0; i < wrong->n_blobs; i++)
                if (strcmp(wrong->blobs[i].name, "ocsp-leaf.der") == 0)
                    wrong->blobs[i].span = sd_span_of(junk, sizeof junk);
            assert_int_equal(connect_pair(&c, &ccfg, &wrong_scfg, &cs, &ss, ce, se, &exported, NULL, NULL,
                                          why, sizeof why),
                             CELL_OK);
            assert_false(cs.handshake_done);
            assert_int_equal(cs.alert_sent, SD_bad_certificate_status_response);
            assert_non_null(strstr(cs.error, "not a DER OCSPResponse"));
            free(wrong);
        }
        sd_buf_free(&stapled);
        sd_buf_free(&sent);
    }
}

/* A resumed TLS 1.2 session is as authenticated as the one it resumes
 * (RFC 5077 §4, RFC 5246 §7.4.1.2): a client that sent no certificate
 * resumes unauthenticated, and a model server that now requires a client
 * certificate does not resume such a session but runs a full handshake,
 * which the certificate-less client then fails (handshake_failure, RFC 5246
 * §7.4.6). By ticket and by session id; model and BoringSSL clients. */
static void tls12_resumed_identity(void **state) {
    (void)state;
    const sd_target_ops *clients[] = {&sd_target_model, &sd_target_boringssl};
    static const uint16_t suite = 0xC02F;
    for (size_t k = 0; k < 2; k++)
        for (int by_id = 0; by_id < 2; by_id++) {
            sd_target_config ccfg, scfg;
            tls12_pair(&suite, 17, &ccfg, &scfg);
            scfg.credential = sd_pki_find(&pki, "leaf-rsa");
            scfg.client_auth = SD_CLIENT_AUTH_REQUEST;
            sd_session_cache *cache = by_id ? sd_session_cache_new() : NULL;
            scfg.session_cache = cache;
            scfg.session_tickets = !by_id;
            cell c = {clients[k], &sd_target_model, SD_secp256r1, suite, "leaf-rsa", 0, 0, 0};
            sd_target_status cs, ss;
            uint8_t ce[32], se[32];
            bool exported;
            char why[300] = "";
            sd_buf session;
            sd_buf_init(&session);
            assert_int_equal(
                connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, &session, NULL, why, sizeof why),
                CELL_OK);
            assert_true(cs.handshake_done && ss.handshake_done);
            assert_false(ss.peer_authenticated);
            assert_true(session.len > 0);
            ccfg.resume_session = sd_buf_span(&session);
            assert_int_equal(
                connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why),
                CELL_OK);
            assert_true(cs.resumed && ss.resumed);
            assert_false(ss.peer_authenticated);
            scfg.client_auth = SD_CLIENT_AUTH_REQUIRE;
            assert_int_equal(
                connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why),
                CELL_OK);
            assert_false(ss.resumed);
            assert_false(ss.handshake_done);
            assert_int_equal(ss.alert_sent, SD_handshake_failure);
            sd_buf_free(&session);
            sd_session_cache_free(cache);
        }
}

/* Version negotiation across stacks (RFC 8446 §4.2.1): each side offers a
 * range; the handshake settles on the highest version both have. */
static void version_negotiation(void **state) {
    (void)state;
    static const struct {
        uint16_t cmin, cmax, smin, smax, want;
    } cases[] = {
        {SD_TLS12, SD_TLS13, SD_TLS12, SD_TLS13, SD_TLS13},
        {SD_TLS12, SD_TLS13, SD_TLS12, SD_TLS12, SD_TLS12},
        {SD_TLS12, SD_TLS12, SD_TLS12, SD_TLS13, SD_TLS12},
        {SD_TLS13, SD_TLS13, SD_TLS12, SD_TLS13, SD_TLS13},
    };
    const sd_target_ops *directions[][2] = {{&sd_target_model, &sd_target_boringssl},
                                            {&sd_target_boringssl, &sd_target_model}};
    int failed = 0;
    for (size_t d = 0; d < 2; d++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            sd_target_config base = {
                .pki = &pki, .server_name = SD_PKI_SERVER_NAME, .now = SD_PKI_DEFAULT_TIME, .seed = 3};
            sd_target_config ccfg = base, scfg = base;
            ccfg.role = SD_ROLE_CLIENT;
            ccfg.min_version = cases[i].cmin;
            ccfg.max_version = cases[i].cmax;
            scfg.role = SD_ROLE_SERVER;
            scfg.min_version = cases[i].smin;
            scfg.max_version = cases[i].smax;
            scfg.credential = sd_pki_find(&pki, "leaf");
            cell c = {directions[d][0], directions[d][1], SD_x25519, 0, "leaf", 0, 0, 0};
            sd_target_status cs, ss;
            uint8_t ce[32], se[32];
            bool exported;
            char why[300] = "";
            if (connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why) !=
                    CELL_OK ||
                !cs.handshake_done || !ss.handshake_done || cs.version != cases[i].want ||
                ss.version != cases[i].want) {
                failed++;
                printf(
                    "FAIL versions %s client [%04x..%04x] / %s server [%04x..%04x]: got %04x/%04x %s %s %s\n",
                    c.client->name, cases[i].cmin, cases[i].cmax, c.server->name, cases[i].smin,
                    cases[i].smax, cs.version, ss.version, why, cs.error, ss.error);
            }
        }
    assert_int_equal(failed, 0);
}

/* TLS 1.2 ECDHE_ECDSA with the P-384, P-521 and Ed25519 credentials, the
 * client presenting the client credential of the same key type, both
 * directions: each side verifies the other's ServerKeyExchange or
 * CertificateVerify. The client lists the server key's curve in
 * supported_groups (RFC 8422 §4); the model's client cannot list P-521 while
 * the model has no P-521 key exchange, so that direction is left out for it. */
static void tls12_signature_credentials(void **state) {
    (void)state;
    static const struct {
        const char *server, *client;
        uint16_t curve; /* the server key's group, 0 for Ed25519 */
    } kCreds[] = {{"leaf-p384", "client-p384", SD_secp384r1},
                  {"leaf-ed25519", "client-ed25519", 0},
                  {"leaf-p521", "client-p521", SD_secp521r1}};
    const sd_target_ops *directions[][2] = {{&sd_target_model, &sd_target_boringssl},
                                            {&sd_target_boringssl, &sd_target_model}};
    uint16_t suite = SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    int ok = 0, failed = 0, left_out = 0;
    for (size_t d = 0; d < 2; d++)
        for (size_t k = 0; k < sizeof kCreds / sizeof kCreds[0]; k++) {
            if (directions[d][0] == &sd_target_model && kCreds[k].curve == SD_secp521r1) {
                left_out++;
                continue;
            }
            sd_target_config ccfg, scfg;
            tls12_pair(&suite, 11, &ccfg, &scfg);
            uint16_t client_groups[2] = {SD_x25519, kCreds[k].curve};
            ccfg.groups = client_groups;
            ccfg.n_groups = kCreds[k].curve ? 2 : 1;
            scfg.credential = sd_pki_find(&pki, kCreds[k].server);
            scfg.client_auth = SD_CLIENT_AUTH_REQUIRE;
            ccfg.client_credential = sd_pki_find(&pki, kCreds[k].client);
            assert_non_null(scfg.credential);
            assert_non_null(ccfg.client_credential);
            cell c = {directions[d][0], directions[d][1], SD_x25519, suite, kCreds[k].server, 1, 0, 0};
            sd_target_status cs, ss;
            uint8_t ce[32], se[32];
            bool exported;
            char why[300] = "";
            cell_result r =
                connect_pair(&c, &ccfg, &scfg, &cs, &ss, ce, se, &exported, NULL, NULL, why, sizeof why);
            if (r == CELL_OK) {
                if (!cs.handshake_done || !ss.handshake_done)
                    snprintf(why, sizeof why, "did not complete: client (%.100s), server (%.100s)", cs.error,
                             ss.error);
                else if (!exported || memcmp(ce, se, sizeof ce) != 0)
                    snprintf(why, sizeof why, "exporter secrets differ (RFC 5705)");
                else if (!cs.peer_authenticated || !ss.peer_authenticated)
                    snprintf(why, sizeof why, "not authenticated: client %d, server %d",
                             cs.peer_authenticated, ss.peer_authenticated);
                else
                    ok++;
            } else if (!why[0]) {
                snprintf(why, sizeof why, "did not run");
            }
            if (why[0]) {
                failed++;
                printf("FAIL TLS 1.2 %s client / %s server, %s and %s: %s\n", c.client->name, c.server->name,
                       kCreds[k].server, kCreds[k].client, why);
            }
        }
    printf("TLS 1.2 signature credentials: %d completed, %d left out, %d failed\n", ok, left_out, failed);
    assert_int_equal(failed, 0);
    assert_int_equal(ok, 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(handshake_matrix),
                                       cmocka_unit_test(tls12_matrix),
                                       cmocka_unit_test(tls12_signature_credentials),
                                       cmocka_unit_test(tls12_ocsp_stapling),
                                       cmocka_unit_test(tls12_unknown_session_id),
                                       cmocka_unit_test(tls12_resumed_identity),
                                       cmocka_unit_test(version_negotiation)};
    return cmocka_run_group_tests(tests, load_pki, free_pki);
}
