/* test_shims.c — stacks in their own process: each built shim completes a
 * handshake with the model and with BoringSSL in both roles (through the shim
 * target), also with client authentication required and with a forced group
 * or cipher suite, and its exporter agrees with its peer's; a shim killed by
 * a signal is the stack's CRASH and the next run works, in each shim mode
 * (a persistent shim killed in the middle of a later run too, through
 * `shakedown conform` as well), a shim that stops answering is its HANG, and what a stack cannot do (mbedTLS 2.28 and TLS
 * 1.3, Botan 2.19 and TLS 1.3, 0-RTT through wolfSSL and mbedTLS) is unsupported, which the driver
 * makes an unsupported outcome and the oracle SKIP; shims renegotiate TLS
 * 1.2 only when allowed; the OpenSSL and GnuTLS shims accept and send
 * 0-RTT; shims send exactly the signature schemes pinned by
 * `signature-algorithms:` (--sigalgs) or refuse them; shim clients offer
 * encrypt_then_mac, max_fragment_length and record_size_limit exactly as
 * their flags say, or refuse them as unsupported. The Go crypto/tls shim (a Go program, not shim_common.c) takes
 * part in all of these where crypto/tls can, has its own crash and hang
 * hooks tested, and refuses what crypto/tls lacks as unsupported. The
 * Botan 2.19 shim (C++) takes part as mbedTLS does, in TLS 1.2 only, and
 * refuses an EdDSA credential; its client offers session_ticket only when
 * asked. The Java JSSE shim takes part too, without an exporter, a client
 * session handed over or a client's refusal of renegotiation (JSSE has
 * none), and refuses what JSSE lacks. Shims that were not built are
 * skipped (the Go one without golang-go, the Botan one without
 * libbotan-2-dev, the JSSE one without a JDK). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target_pair.h"

#include "crypto/pki.h"
#include "driver/driver.h"
#include "oracle/oracle.h"
#include "driver/outcome.h"
#include "protocol/session_cache.h"
#include "shim/shim_protocol.h"
#include "stacks/shim_target.h"
#include "protocol/target.h"
#include "trace/trace.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/tls12.h"
#include "stacks/stacks.h"
#include "run/scenario_set.h"

#define SLOW_START_TIMEOUT_MS "10000"

static sd_pki pki;
static sd_scenario server_happy, client_happy;

static int setup(void **state) {
    (void)state;
    char err[512];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "pki: %s\n", err);
        return -1;
    }
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/scenarios/tls13/server.handshake.happy.sd", src ? src : ".");
    if (!sd_scenario_load(path, &server_happy, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    snprintf(path, sizeof path, "%s/scenarios/tls13/client.handshake.happy.sd", src ? src : ".");
    if (!sd_scenario_load(path, &client_happy, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    /* A limit that a JVM starting on a busy machine keeps (the JSSE shim:
     * its first frames take a second or more); the hang tests set their
     * own short one. */
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", SLOW_START_TIMEOUT_MS, 1);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sd_scenario_free(&server_happy);
    sd_scenario_free(&client_happy);
    sd_pki_free(&pki);
    return 0;
}

static void handshake_pair(const sd_target_ops *client_ops, const sd_target_ops *server_ops,
                           uint16_t version) {
    sd_target *c = pair_target_make(&pki, client_ops, SD_ROLE_CLIENT, version);
    sd_target *s = pair_target_make(&pki, server_ops, SD_ROLE_SERVER, version);
    assert_non_null(c);
    assert_non_null(s);
    pair_pump(c, s);
    sd_target_status cs, ss;
    c->ops->status(c, &cs);
    s->ops->status(s, &ss);
    if (!cs.handshake_done || !ss.handshake_done)
        fprintf(stderr, "%s client -> %s server: client [%s] server [%s]\n", client_ops->name,
                server_ops->name, cs.error, ss.error);
    assert_true(cs.handshake_done);
    assert_true(ss.handshake_done);
    assert_true(cs.peer_authenticated);
    assert_int_equal(cs.version, version);
    assert_int_equal(ss.version, version);
    assert_int_equal(cs.cipher_suite, ss.cipher_suite);
    assert_false(cs.crashed || cs.hung || ss.crashed || ss.hung);
    c->ops->destroy(c);
    s->ops->destroy(s);
}

static int n_shims_tested;

/* ---- Pairs with options ------------------------------------------------------
 * The shim side gets the forced groups and suites; client authentication
 * applies to whichever side is client or server. */
typedef struct {
    sd_client_auth client_auth; /* the server's */
    bool client_cert;           /* the client presents "client" */
    const uint16_t *groups;     /* for the shim side */
    size_t n_groups;
    const uint16_t *suites; /* for the shim side */
    size_t n_suites;
} pair_opts;

typedef struct {
    sd_target_status cs, ss;
    bool c_exported, s_exported;
    uint8_t c_ekm[32], s_ekm[32];
} pair_result;

static const char ekm_label[] = "EXPERIMENTAL shakedown";

static sd_target *make_with(const sd_target_ops *ops, sd_role role, uint16_t version, const pair_opts *po,
                            bool shim_side) {
    sd_target_config cfg = {
        .role = role,
        .min_version = version,
        .max_version = version,
        .credential = role == SD_ROLE_SERVER ? sd_pki_find(&pki, "leaf") : NULL,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
        .client_auth = role == SD_ROLE_SERVER ? po->client_auth : SD_CLIENT_AUTH_NONE,
        .client_credential = role == SD_ROLE_CLIENT && po->client_cert ? sd_pki_find(&pki, "client") : NULL,
    };
    if (shim_side) {
        cfg.groups = po->groups;
        cfg.n_groups = po->n_groups;
        cfg.cipher_suites = po->suites;
        cfg.n_cipher_suites = po->n_suites;
    }
    sd_target_error err = {0};
    sd_target *t = ops->create(&cfg, &err);
    if (!t) fprintf(stderr, "%s %s: %s\n", ops->name, sd_role_name(role), err.text);
    return t;
}

static void run_pair(const sd_target_ops *client_ops, const sd_target_ops *server_ops, uint16_t version,
                     const pair_opts *po, bool shim_is_client, pair_result *r) {
    memset(r, 0, sizeof *r);
    sd_target *c = make_with(client_ops, SD_ROLE_CLIENT, version, po, shim_is_client);
    sd_target *s = make_with(server_ops, SD_ROLE_SERVER, version, po, !shim_is_client);
    assert_non_null(c);
    assert_non_null(s);
    pair_pump(c, s);
    c->ops->status(c, &r->cs);
    s->ops->status(s, &r->ss);
    if (r->cs.handshake_done && c->ops->export_keying_material)
        r->c_exported = c->ops->export_keying_material(c, ekm_label, r->c_ekm, sizeof r->c_ekm);
    if (r->ss.handshake_done && s->ops->export_keying_material)
        r->s_exported = s->ops->export_keying_material(s, ekm_label, r->s_ekm, sizeof r->s_ekm);
    assert_false(r->cs.crashed || r->cs.hung || r->ss.crashed || r->ss.hung);
    c->ops->destroy(c);
    s->ops->destroy(s);
}

/* Whether the stack has a keying-material exporter (RFC 5705, RFC 8446
 * §7.5): all but mbedTLS 2.28 and JSSE 17 (no public API before Java 25). */
static bool has_exporter(const sd_target_ops *ops) {
    return strcmp(ops->name, "mbedtls") != 0 && strcmp(ops->name, "jsse") != 0;
}

/* Both sides finished; the client accepted the server; both exporters agree
 * (a shim that can export must). */
static void assert_completed(const sd_target_ops *client_ops, const sd_target_ops *server_ops,
                             const pair_result *r, uint16_t version) {
    if (!r->cs.handshake_done || !r->ss.handshake_done)
        fprintf(stderr, "%s client -> %s server: client [%s] server [%s]\n", client_ops->name,
                server_ops->name, r->cs.error, r->ss.error);
    assert_true(r->cs.handshake_done);
    assert_true(r->ss.handshake_done);
    assert_false(r->cs.failed || r->ss.failed);
    assert_true(r->cs.peer_authenticated);
    assert_int_equal(r->cs.version, version);
    assert_int_equal(r->ss.version, version);
    assert_int_equal(r->cs.cipher_suite, r->ss.cipher_suite);
    const sd_target_ops *ops[2] = {client_ops, server_ops};
    const bool exported[2] = {r->c_exported, r->s_exported};
    for (int i = 0; i < 2; i++) assert_int_equal(exported[i], has_exporter(ops[i]));
    if (r->c_exported && r->s_exported) assert_memory_equal(r->c_ekm, r->s_ekm, sizeof r->c_ekm);
}

/* The shims whose stack speaks TLS 1.2 only (mbedTLS 2.28, Botan 2.19):
 * they refuse a --max-version of 1.3 as unsupported. */
static bool tls12_only(const sd_target_ops *shim) {
    return strcmp(shim->name, "mbedtls") == 0 || strcmp(shim->name, "botan") == 0;
}

/* The peer of a shim for option tests: the model where the shim speaks TLS
 * 1.3, else BoringSSL in TLS 1.2 (mbedTLS 2.28, Botan 2.19). */
static const sd_target_ops *peer_of(const sd_target_ops *shim, uint16_t *version) {
    bool tls13 = !tls12_only(shim);
    *version = tls13 ? SD_TLS13 : SD_TLS12;
    return tls13 ? &sd_target_model : &sd_target_boringssl;
}

/* Client authentication required, both roles: a client with a certificate
 * gets in, one without is refused by a shim server; requested (not
 * required) lets a client without one in. */
static void shims_with_client_auth(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        uint16_t v;
        const sd_target_ops *peer = peer_of(shim, &v);
        pair_opts po = {.client_auth = SD_CLIENT_AUTH_REQUIRE, .client_cert = true};
        pair_result r;
        run_pair(peer, shim, v, &po, false, &r);
        assert_completed(peer, shim, &r, v);
        run_pair(shim, peer, v, &po, true, &r);
        assert_completed(shim, peer, &r, v);

        po.client_cert = false;
        run_pair(peer, shim, v, &po, false, &r);
        if (r.ss.handshake_done || !r.ss.failed)
            fprintf(stderr, "%s server let a client without a certificate in: [%s]\n", shim->name,
                    r.ss.error);
        assert_false(r.ss.handshake_done);
        assert_true(r.ss.failed);

        po.client_auth = SD_CLIENT_AUTH_REQUEST;
        run_pair(peer, shim, v, &po, false, &r);
        assert_completed(peer, shim, &r, v);
    }
}

/* A group forced on the shim is the one negotiated, in both roles (the
 * model client offers an x25519 share first, so a shim server forced to
 * P-384 asks for another with a HelloRetryRequest). mbedTLS 2.28 applies
 * its curve list to the server's certificate too, so with the P-256 leaf it
 * is forced to P-256 (not the default choice of X25519 either). */
static void shims_with_a_forced_group(void **state) {
    (void)state;
    static const uint16_t p384[] = {SD_secp384r1}, p256[] = {SD_secp256r1};
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        uint16_t v;
        const sd_target_ops *peer = peer_of(shim, &v);
        bool mbed = strcmp(shim->name, "mbedtls") == 0;
        pair_opts po = {.groups = mbed ? p256 : p384, .n_groups = 1};
        pair_result r;
        run_pair(peer, shim, v, &po, false, &r);
        assert_completed(peer, shim, &r, v);
        /* mbedTLS 2.28 does not say which group it used: its peer does. */
        assert_int_equal(r.cs.group, po.groups[0]);
        if (!mbed) assert_int_equal(r.ss.group, po.groups[0]);
        run_pair(shim, peer, v, &po, true, &r);
        assert_completed(shim, peer, &r, v);
        assert_int_equal(r.ss.group, po.groups[0]);
        if (!mbed) assert_int_equal(r.cs.group, po.groups[0]);
    }
}

/* A cipher suite forced on the shim is the one negotiated, both roles. */
static void shims_with_a_forced_cipher_suite(void **state) {
    (void)state;
    static const uint16_t aes256_13[] = {SD_TLS_AES_256_GCM_SHA384};
    static const uint16_t aes256_12[] = {0xc02c}; /* TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 */
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        uint16_t v;
        const sd_target_ops *peer = peer_of(shim, &v);
        /* crypto/tls enables every TLS 1.3 suite (go_refuses_what_crypto_tls_lacks):
         * its forced suite is a TLS 1.2 one, against BoringSSL. */
        if (strcmp(shim->name, "go") == 0) {
            v = SD_TLS12;
            peer = &sd_target_boringssl;
        }
        pair_opts po = {.suites = v == SD_TLS13 ? aes256_13 : aes256_12, .n_suites = 1};
        pair_result r;
        run_pair(peer, shim, v, &po, false, &r);
        assert_completed(peer, shim, &r, v);
        assert_int_equal(r.ss.cipher_suite, po.suites[0]);
        run_pair(shim, peer, v, &po, true, &r);
        assert_completed(shim, peer, &r, v);
        assert_int_equal(r.cs.cipher_suite, po.suites[0]);
    }
}

/* TLS 1.2 exporters (RFC 5705, no context) agree with BoringSSL's too. */
static void shims_export_like_boringssl_in_tls12(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        pair_opts po = {.client_auth = SD_CLIENT_AUTH_NONE};
        pair_result r;
        run_pair(shim, &sd_target_boringssl, SD_TLS12, &po, true, &r);
        assert_completed(shim, &sd_target_boringssl, &r, SD_TLS12);
        run_pair(&sd_target_boringssl, shim, SD_TLS12, &po, false, &r);
        assert_completed(&sd_target_boringssl, shim, &r, SD_TLS12);
    }
}

/* What no shim can do is unsupported (SKIP), not a harness error: a group
 * without a name. */
static void shims_say_unsupported(void **state) {
    (void)state;
    const sd_target_ops *shim = NULL;
    for (size_t i = 0; sd_shim_targets[i] && !shim; i++) shim = sd_target_find(sd_shim_targets[i]->name);
    if (!shim) skip();
    static const uint16_t odd_group[] = {0x6399};
    sd_target_config cfg = {
        .role = SD_ROLE_SERVER,
        .min_version = SD_TLS12,
        .max_version = SD_TLS13,
        .credential = sd_pki_find(&pki, "leaf"),
        .pki = &pki,
        .now = SD_PKI_DEFAULT_TIME,
        .groups = odd_group,
        .n_groups = 1,
    };
    sd_target_error err = {0};
    assert_null(shim->create(&cfg, &err));
    assert_true(err.unsupported);
    assert_non_null(strstr(err.text, "0x6399"));
}

/* One connection of a resumption pair: a model client against a shim
 * server, or a shim client against a model server. Returns the model's
 * status (its `resumed` is what the test checks) and, for a shim client,
 * the session it exported. */
static sd_target_status resumption_connection(const sd_target_ops *shim, bool shim_is_server,
                                              uint16_t version, sd_session_cache *cache, uint64_t seed,
                                              sd_span resume, sd_buf *session) {
    sd_target_config ccfg = {
        .role = SD_ROLE_CLIENT,
        .min_version = version,
        .max_version = version,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = seed,
        .ticket_seed = 7, /* a run of several connections */
        .resume_session = resume,
    };
    sd_target_config scfg = ccfg;
    scfg.role = SD_ROLE_SERVER;
    scfg.credential = sd_pki_find(&pki, "leaf");
    scfg.session_tickets = version == SD_TLS13;
    scfg.session_cache = cache;
    scfg.resume_session = sd_span_of(NULL, 0);
    sd_target_error err = {0};
    sd_target *c = (shim_is_server ? &sd_target_model : shim)->create(&ccfg, &err);
    if (!c) fprintf(stderr, "client: %s\n", err.text);
    sd_target *s = (shim_is_server ? shim : &sd_target_model)->create(&scfg, &err);
    if (!s) fprintf(stderr, "server: %s\n", err.text);
    assert_non_null(c);
    assert_non_null(s);
    pair_pump(c, s);
    sd_target_status cs, ss;
    c->ops->status(c, &cs);
    s->ops->status(s, &ss);
    if (!cs.handshake_done || !ss.handshake_done)
        fprintf(stderr, "%s resumption, %s: client [%s] server [%s]\n", shim->name,
                shim_is_server ? "shim server" : "shim client", cs.error, ss.error);
    assert_true(cs.handshake_done && ss.handshake_done);
    assert_false(cs.crashed || cs.hung || ss.crashed || ss.hung);
    /* The connection ends with close_notify both ways, as the driver ends
     * one: OpenSSL forgets a session whose connection was not closed so. */
    assert_non_null(c->ops->close);
    c->ops->close(c);
    sd_buf bytes;
    sd_buf_init(&bytes);
    c->ops->drain(c, &bytes);
    s->ops->feed(s, sd_buf_span(&bytes));
    sd_buf_reset(&bytes);
    s->ops->drain(s, &bytes);
    c->ops->feed(c, sd_buf_span(&bytes));
    sd_buf_free(&bytes);
    s->ops->status(s, &ss);
    assert_true(ss.close_notify_sent);
    if (session) {
        sd_buf_reset(session);
        assert_true(c->ops->export_session(c, session));
    }
    c->ops->destroy(c);
    s->ops->destroy(s);
    return shim_is_server ? cs : ss;
}

/* Resumption through every built shim (docs/shim-contract.md, "Several
 * connections"), against the model, whose status says whether it resumed:
 * a shim server's second connection, on the process NEXT kept, resumes the
 * model client's session (a TLS 1.2 session id from its cache, a TLS 1.3
 * ticket under its ticket key); a shim client resumes the session its
 * SESSION answer handed over. A server of another run (a new cache) starts
 * afresh, and does not resume. */
static void shims_resume_sessions(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        assert_true(shim->resumes_across_targets && shim->export_session);
        /* Go's crypto/tls (1.19) has no TLS 1.2 session cache and cannot
         * hand a client session to another process: go_refuses_what_crypto_tls_lacks
         * checks that it says so; its server resumes by TLS 1.3 tickets.
         * A JSSE client cannot either (no SSLSession serialization:
         * jsse_refuses_what_jsse_lacks); its server resumes both ways. */
        bool go = strcmp(shim->name, "go") == 0;
        bool client_hands_over = !go && strcmp(shim->name, "jsse") != 0;
        for (uint16_t version = go ? SD_TLS13 : SD_TLS12; version <= SD_TLS13; version++) {
            if (version == SD_TLS13 && tls12_only(shim)) continue;
            sd_buf session;
            sd_buf_init(&session);
            sd_session_cache *cache = sd_session_cache_new(), *other = sd_session_cache_new();
            assert_true(cache && other);
            sd_span none = sd_span_of(NULL, 0);
            /* Shim server: the model client's session resumes on the next
             * connection of the run, not at a server of another run. */
            sd_target_status st = resumption_connection(shim, true, version, cache, 1, none, &session);
            assert_false(st.resumed);
            st = resumption_connection(shim, true, version, cache, 2, sd_buf_span(&session), NULL);
            if (!st.resumed) fprintf(stderr, "%s server, 0x%04x: no resumption\n", shim->name, version);
            assert_true(st.resumed);
            st = resumption_connection(shim, true, version, other, 3, sd_buf_span(&session), NULL);
            assert_false(st.resumed);
            if (!client_hands_over) {
                sd_session_cache_free(other);
                sd_buf_free(&session);
                sd_session_cache_free(cache);
                continue;
            }
            /* Shim client: the session it handed over resumes. */
            sd_session_cache *cache2 = sd_session_cache_new();
            assert_non_null(cache2);
            st = resumption_connection(shim, false, version, cache2, 1, none, &session);
            assert_false(st.resumed);
            assert_true(session.len > 0);
            st = resumption_connection(shim, false, version, cache2, 2, sd_buf_span(&session), NULL);
            if (!st.resumed) fprintf(stderr, "%s client, 0x%04x: no resumption\n", shim->name, version);
            assert_true(st.resumed);
            sd_session_cache_free(cache2);
            sd_session_cache_free(other);
            sd_buf_free(&session);
            sd_session_cache_free(cache);
        }
    }
}

/* Every built shim, both roles, against model (TLS 1.3 only) and BoringSSL
 * (TLS 1.3, and 1.2 too). */
static void shims_handshake_with_model_and_boringssl(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) {
            fprintf(stderr, "(%s shim not built: skipped)\n", sd_shim_targets[i]->name);
            continue;
        }
        n_shims_tested++;
        bool tls13 = !tls12_only(shim);
        if (tls13) {
            handshake_pair(shim, &sd_target_model, SD_TLS13);
            handshake_pair(&sd_target_model, shim, SD_TLS13);
            handshake_pair(shim, &sd_target_boringssl, SD_TLS13);
            handshake_pair(&sd_target_boringssl, shim, SD_TLS13);
        }
        handshake_pair(shim, &sd_target_boringssl, SD_TLS12);
        handshake_pair(&sd_target_boringssl, shim, SD_TLS12);
    }
}

/* The same through the driver and the happy scenarios: echo and close too. */
static void shims_pass_the_happy_scenarios(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim || tls12_only(shim)) continue;
        const sd_scenario *sc[] = {&server_happy, &client_happy};
        for (size_t k = 0; k < 2; k++) {
            sd_run_config cfg;
            sd_run_config_defaults(&cfg, shim, sc[k]->role, &pki);
            sd_outcome o;
            sd_driver_run(&sc[k]->trace, &cfg, &o);
            if (o.kind != SD_OUTCOME_COMPLETED)
                fprintf(stderr, "%s %s: %s\n", shim->name, sc[k]->id, o.detail);
            assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
        }
    }
}

static const sd_target_ops *any_shim(void) {
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (shim && !tls12_only(shim)) return shim;
    }
    return NULL;
}

/* Loads scenarios/<rel> from the source tree. */
static void load_scenario(const char *rel, sd_scenario *out) {
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/scenarios/%s", src ? src : ".", rel);
    if (!sd_scenario_load(path, out, err, sizeof err)) fprintf(stderr, "%s\n", err);
    assert_non_null(out->id);
}

/* The shims get the PKI's CRL (--crl) and the certificate purpose to check:
 * every shim client refuses the revoked leaf and the leaf meant for client
 * authentication only (GnuTLS checks extendedKeyUsage only when the shim
 * asks it to), a TLS 1.3 one in the scenario files, a TLS 1.2-only one
 * (mbedTLS 2.28, Botan 2.19) in their generated TLS 1.2 twins. OpenSSL,
 * wolfSSL, mbedTLS and Botan name the revocation exactly
 * (certificate_revoked). */
static void shim_clients_check_revocation_and_purpose(void **state) {
    (void)state;
    static const char *const refused[] = {"tls13/client.certificate.revoked.sd",
                                          "tls13/client.certificate.wrong-eku.sd"};
    static const char *const refused12[] = {"tls12.client.gen-certificate.revoked",
                                            "tls12.client.gen-certificate.wrong-eku"};
    sd_scenario_set gen12[2];
    for (size_t k = 0; k < 2; k++) {
        assert_true(sd_scenario_set_load("test_shims", NULL, 0, refused12[k], true, &gen12[k]));
        assert_int_equal(gen12[k].n, 1);
    }
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        for (size_t k = 0; k < 2; k++) {
            sd_scenario file;
            memset(&file, 0, sizeof file);
            const sd_scenario *sc = &gen12[k].items[0];
            if (!tls12_only(shim)) {
                load_scenario(refused[k], &file);
                sc = &file;
            }
            sd_run_config cfg;
            sd_run_config_defaults(&cfg, shim, sc->role, &pki);
            sd_run_config_apply_scenario(&cfg, sc);
            sd_outcome o;
            sd_driver_run(&sc->trace, &cfg, &o);
            char why[256] = "";
            sd_verdict v = sd_classify(sc, &o, why, sizeof why);
            if (v != SD_VERDICT_PASS && v != SD_VERDICT_SOFT)
                fprintf(stderr, "%s %s: %s (%s)\n", shim->name, sc->id, sd_verdict_name(v), o.detail);
            assert_true(v == SD_VERDICT_PASS || v == SD_VERDICT_SOFT);
            /* crypto/tls answers every refusal of VerifyPeerCertificate,
             * where the Go shim checks the CRL, with bad_certificate. */
            if (k == 0 && strcmp(shim->name, "gnutls") != 0 && strcmp(shim->name, "go") != 0)
                assert_int_equal(v, SD_VERDICT_PASS);
            if (sc == &file) sd_scenario_free(&file);
        }
    }
    for (size_t k = 0; k < 2; k++) sd_scenario_set_free(&gen12[k]);
}

/* 0-RTT through the shims (--max-early-data, --early-data-hex,
 * docs/shim-contract.md): the accept scenarios of both roles PASS through
 * the OpenSSL and GnuTLS shims: the server accepts the early data offered
 * with its ticket, reads it up to EndOfEarlyData and echoes it once its
 * handshake is done; the client sends SD_EARLY_DATA_TEXT with the ticket
 * and EndOfEarlyData before its Finished (RFC 8446 §4.2.10, §4.5). Each
 * scenario fails on a shim that ignores the flags: its server would not
 * accept (the driver's EndOfEarlyData would be refused), its client would
 * send no early data (the trace expects it). A shim whose stack has no
 * 0-RTT (Debian's wolfSSL, mbedTLS 2.28) says unsupported: SKIP. Skipped
 * when the OpenSSL shim, the one that must PASS, was not built. */
static void shims_accept_0rtt(void **state) {
    (void)state;
    if (!sd_target_find("openssl")) {
        fprintf(stderr, "(openssl shim not built: 0-RTT test skipped)\n");
        skip();
    }
    static const char *const accept[] = {"tls13/server.early-data.accept.sd",
                                         "tls13/client.early-data.accept.sd"};
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        bool has_0rtt = strcmp(shim->name, "openssl") == 0 || strcmp(shim->name, "gnutls") == 0;
        for (size_t k = 0; k < sizeof accept / sizeof accept[0]; k++) {
            sd_scenario sc;
            memset(&sc, 0, sizeof sc);
            load_scenario(accept[k], &sc);
            assert_true(sc.early_data);
            sd_run_config cfg;
            sd_run_config_defaults(&cfg, shim, sc.role, &pki);
            sd_run_config_apply_scenario(&cfg, &sc);
            sd_outcome o;
            sd_driver_run(&sc.trace, &cfg, &o);
            char why[256] = "";
            sd_verdict v = sd_classify(&sc, &o, why, sizeof why);
            fprintf(stderr, "%s %s: %s (%s)\n", shim->name, sc.id, sd_verdict_name(v), o.detail);
            assert_int_equal(v, has_0rtt ? SD_VERDICT_PASS : SD_VERDICT_SKIP);
            /* mbedTLS 2.28 is refused for TLS 1.3 before 0-RTT is asked. */
            if (strcmp(shim->name, "wolfssl") == 0) assert_non_null(strstr(o.detail, "0-RTT"));
            sd_scenario_free(&sc);
        }
    }
}

/* Runs scenarios/<rel> on shim; renegotiation as the scenario says, or
 * turned off when refuse is set. */
static sd_verdict run_with_renegotiation(const sd_target_ops *shim, const char *rel, bool refuse,
                                         sd_outcome *o) {
    sd_scenario sc;
    memset(&sc, 0, sizeof sc);
    load_scenario(rel, &sc);
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, shim, sc.role, &pki);
    sd_run_config_apply_scenario(&cfg, &sc);
    if (refuse) cfg.renegotiation = false;
    sd_driver_run(&sc.trace, &cfg, o);
    char why[256] = "";
    sd_verdict v = sd_classify(&sc, o, why, sizeof why);
    fprintf(stderr, "%s %s%s: %s (%s)\n", shim->name, sc.id, refuse ? " (refused)" : "", sd_verdict_name(v),
            o->detail);
    sd_scenario_free(&sc);
    return v;
}

/* --renegotiation reaches the stack (docs/shim-contract.md): a shim whose
 * stack can renegotiate completes a secure renegotiation in both roles when
 * allowed (RFC 5746 §3.5, §3.7), and the same client trace, with
 * renegotiation refused, ends in no_renegotiation instead (RFC 5246
 * §7.2.2); a stack that cannot (Debian's wolfSSL) says unsupported when
 * allowed, and still refuses. A JSSE client cannot refuse: it answers
 * every HelloRequest of a server that signalled RFC 5746 with a new
 * handshake, and has no setting against it (docs/shim-contract.md). */
static void shims_renegotiate_only_when_allowed(void **state) {
    (void)state;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        assert_true(shim->sets_renegotiation);
        sd_outcome o;
        sd_verdict client = run_with_renegotiation(shim, "tls12/client.renegotiation.secure.sd", false, &o);
        bool can = client != SD_VERDICT_SKIP;
        if (can) assert_int_equal(client, SD_VERDICT_PASS);
        sd_verdict server = run_with_renegotiation(shim, "tls12/server.renegotiation.secure.sd", false, &o);
        /* A crypto/tls server cannot renegotiate at all (its client can). */
        bool server_can = can && strcmp(shim->name, "go") != 0;
        assert_int_equal(server, server_can ? SD_VERDICT_PASS : SD_VERDICT_SKIP);
        sd_verdict refused = run_with_renegotiation(shim, "tls12/client.renegotiation.secure.sd", true, &o);
        if (strcmp(shim->name, "jsse") == 0) {
            assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
        } else {
            assert_int_not_equal(refused, SD_VERDICT_PASS);
            assert_int_equal(o.kind, SD_OUTCOME_ALERT);
            assert_int_equal(o.alert, SD_no_renegotiation);
        }
        sd_verdict unasked = run_with_renegotiation(shim, "tls12/client.renegotiation.refused.sd", false, &o);
        if (strcmp(shim->name, "jsse") == 0)
            assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
        else
            assert_int_equal(unasked, SD_VERDICT_PASS);
    }
}

/* Debian's wolfSSL is built without WOLFSSL_STATIC_RSA: asked for a static
 * RSA suite, its shim says "unsupported:" (SKIP), not a handshake that
 * cannot succeed (FAIL); the shim target reads those words at its
 * boundary into an unsupported error, without them. */
static void wolfssl_without_static_rsa_says_unsupported(void **state) {
    (void)state;
    const sd_target_ops *w = sd_target_find("wolfssl");
    if (!w) skip();
    static const uint16_t rsa_suite[] = {0x009c}; /* TLS_RSA_WITH_AES_128_GCM_SHA256 */
    sd_target_config cfg = {
        .role = SD_ROLE_CLIENT,
        .min_version = SD_TLS12,
        .max_version = SD_TLS12,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .cipher_suites = rsa_suite,
        .n_cipher_suites = 1,
    };
    sd_target_error err = {0};
    sd_target *t = w->create(&cfg, &err);
    if (t) {
        /* A wolfSSL built with static RSA: it must then complete with it. */
        w->destroy(t);
        skip();
    }
    assert_true(err.unsupported);
    assert_null(strstr(err.text, SD_TARGET_UNSUPPORTED_PREFIX));
    assert_non_null(strstr(err.text, "TLS_RSA_WITH_AES_128_GCM_SHA256"));
}

/* A shim killed by a signal mid-run is that run's CRASH, named by signal;
 * the next run with the same stack works. */
static void shim_dies_by_sigsegv_on_the_test_hook(const sd_target_ops *shim) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, shim, SD_ROLE_SERVER, &pki);
    sd_outcome o;
    /* Frame 1 is START, frame 2 the ClientHello. */
    setenv("SHAKEDOWN_SHIM_CRASH_AFTER", "2", 1);
    sd_driver_run(&server_happy.trace, &cfg, &o);
    unsetenv("SHAKEDOWN_SHIM_CRASH_AFTER");
    assert_int_equal(o.kind, SD_OUTCOME_CRASH);
    assert_non_null(strstr(o.detail, "SIGSEGV"));

    sd_driver_run(&server_happy.trace, &cfg, &o);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
}

static void killed_shim_is_crash_and_the_run_continues(void **state) {
    (void)state;
    const sd_target_ops *shim = any_shim();
    if (!shim) skip();
    shim_dies_by_sigsegv_on_the_test_hook(shim);
}

/* Removes dir and the files in it, one level deep (what the test made). */
static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* How many lines file has (0 if it does not exist). */
static size_t count_lines(const char *file) {
    FILE *f = fopen(file, "r");
    if (!f) return 0;
    size_t n = 0;
    for (int ch; (ch = fgetc(f)) != EOF;) n += ch == '\n';
    fclose(f);
    return n;
}

/* The same through `shakedown conform`, in each shim mode, sequentially and
 * with -j 2: one shim process dies by SIGSEGV in the middle of a run (a
 * wrapper in $SHAKEDOWN_SHIM_DIR sets SHAKEDOWN_SHIM_CRASH_AFTER for that
 * one process only: on the second frame of its first run in the process
 * mode, of its second run, a later cell than the one it started for, in
 * the persistent mode). That cell is CRASH, named by signal; every other
 * cell still ran and passed, and conform exits 1 (a CRASH) with all its
 * reports. The wrapper counts the shim processes: one per cell in the
 * process mode; in the persistent mode one per worker, both workers'
 * shims serving their two cells each (the killed one dies in its last). */
static void conform_reports_a_killed_shim_and_completes_the_run(void **state) {
    (void)state;
    const char *bin = getenv("SHAKEDOWN_BIN");
    const sd_target_ops *shim = any_shim();
    char real[PATH_MAX];
    if (!bin || access(bin, X_OK) != 0 || !shim || !sd_shim_path(shim->name, real, sizeof real)) skip();
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    static const char *const files[] = {"server.handshake.happy.sd", "client.handshake.happy.sd",
                                        "server.finished.bitflip-first.sd",
                                        "client.finished.bitflip-middle.sd"};
    const size_t n_files = sizeof files / sizeof files[0];
    static const char *const jobs[] = {"1", "2"};
    static const char *const modes[] = {"process", "persistent"};
    for (size_t m = 0; m < 2; m++)
        for (size_t j = 0; j < 2; j++) {
            bool persistent = strcmp(modes[m], "persistent") == 0;
            char dir[] = "/tmp/shakedown-test-crash-XXXXXX";
            assert_non_null(mkdtemp(dir));
            char wrapper[PATH_MAX], run[PATH_MAX], execs[PATH_MAX];
            snprintf(wrapper, sizeof wrapper, "%s/shakedown-shim-%s", dir, shim->name);
            snprintf(run, sizeof run, "%s/run", dir);
            snprintf(execs, sizeof execs, "%s/execs", dir);
            FILE *f = fopen(wrapper, "w");
            assert_non_null(f);
            /* mkdir is atomic: exactly one shim process (with --fd: not the
             * --version probe) gets the crash, even with two workers. */
            fprintf(f,
                    "#!/bin/sh\n"
                    "case \" $* \" in *\" --fd \"*) echo >> '%s'; mkdir '%s/crashed' 2>/dev/null && "
                    "SHAKEDOWN_SHIM_CRASH_AFTER=2 && export SHAKEDOWN_SHIM_CRASH_AFTER%s ;; esac\n"
                    "exec '%s' \"$@\"\n",
                    execs, dir,
                    persistent ? " && SHAKEDOWN_SHIM_CRASH_RUN=2 && export SHAKEDOWN_SHIM_CRASH_RUN" : "",
                    real);
            fclose(f);
            assert_int_equal(chmod(wrapper, 0755), 0);

            char paths[4][PATH_MAX];
            char *argv[16] = {(char *)bin,     "conform", "--stack", (char *)shim->name, "-q", "-j",
                              (char *)jobs[j], "--out",   run};
            size_t n = 9;
            for (size_t i = 0; i < n_files; i++) {
                snprintf(paths[i], sizeof paths[i], "%s/scenarios/tls13/%s", src ? src : ".", files[i]);
                argv[n++] = paths[i];
            }
            argv[n] = NULL;
            setenv("SHAKEDOWN_SHIM_DIR", dir, 1);
            setenv("SHAKEDOWN_SHIM_MODE", modes[m], 1);
            pid_t pid = fork();
            assert_true(pid >= 0);
            if (pid == 0) {
                FILE *quiet = freopen("/dev/null", "w", stdout);
                (void)quiet;
                execv(bin, argv);
                _exit(127);
            }
            unsetenv("SHAKEDOWN_SHIM_DIR");
            unsetenv("SHAKEDOWN_SHIM_MODE");
            int status;
            assert_int_equal(waitpid(pid, &status, 0), pid);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 1); /* a CRASH, and the reports were written */

            char results[PATH_MAX + 16];
            snprintf(results, sizeof results, "%s/results.json", run);
            json_error_t jerr;
            json_t *doc = json_load_file(results, 0, &jerr);
            assert_non_null(doc);
            json_t *cells = json_object_get(doc, "results");
            assert_int_equal(json_array_size(cells), n_files);
            size_t crashes = 0, passes = 0;
            for (size_t i = 0; i < json_array_size(cells); i++) {
                json_t *c = json_array_get(cells, i);
                assert_true(json_is_true(json_object_get(c, "ran")));
                const char *v = json_string_value(json_object_get(c, "verdict"));
                assert_non_null(v);
                if (strcmp(v, "CRASH") == 0) {
                    crashes++;
                    const char *detail =
                        json_string_value(json_object_get(json_object_get(c, "outcome"), "detail"));
                    assert_non_null(detail);
                    assert_non_null(strstr(detail, "SIGSEGV"));
                    /* Mid-run: on a frame of the run, not when the shim
                     * started or reset. */
                    assert_null(strstr(detail, "at startup"));
                    assert_null(strstr(detail, "on RESET"));
                } else if (strcmp(v, "PASS") == 0) {
                    passes++;
                }
            }
            json_decref(doc);
            assert_int_equal(crashes, 1);
            assert_int_equal(passes, n_files - 1);
            assert_int_equal(count_lines(execs), persistent ? 2 : n_files);
            remove_tree(dir);
        }
}

/* In the persistent mode, in this process: a shim killed by a signal in
 * the middle of its second run (the first ran to the end in the same
 * process) is that run's CRASH, named by signal; the run after it gets a
 * new process and completes. In the process mode the same hook kills the
 * shim of the run it started for, and the next run is not touched. */
static void shim_killed_mid_run_in_each_mode(const sd_target_ops *shim) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, shim, SD_ROLE_SERVER, &pki);
    sd_outcome o;

    setenv("SHAKEDOWN_SHIM_MODE", "persistent", 1);
    sd_shim_pool_clear();
    /* Frame 1 of a run is START, frame 2 the ClientHello. */
    setenv("SHAKEDOWN_SHIM_CRASH_AFTER", "2", 1);
    setenv("SHAKEDOWN_SHIM_CRASH_RUN", "2", 1);
    static const sd_outcome_kind persistent_runs[] = {SD_OUTCOME_COMPLETED, SD_OUTCOME_CRASH,
                                                      SD_OUTCOME_COMPLETED};
    for (size_t i = 0; i < 3; i++) {
        sd_driver_run(&server_happy.trace, &cfg, &o);
        assert_int_equal(o.kind, persistent_runs[i]);
        if (o.kind == SD_OUTCOME_CRASH) {
            assert_non_null(strstr(o.detail, "SIGSEGV"));
            assert_non_null(strstr(o.detail, "on DATA"));
        }
    }
    unsetenv("SHAKEDOWN_SHIM_CRASH_RUN");

    setenv("SHAKEDOWN_SHIM_MODE", "process", 1);
    sd_shim_pool_clear();
    static const sd_outcome_kind process_runs[] = {SD_OUTCOME_CRASH, SD_OUTCOME_CRASH};
    for (size_t i = 0; i < 2; i++) {
        sd_driver_run(&server_happy.trace, &cfg, &o);
        assert_int_equal(o.kind, process_runs[i]);
        assert_non_null(strstr(o.detail, "on DATA"));
    }
    unsetenv("SHAKEDOWN_SHIM_CRASH_AFTER");
    sd_driver_run(&server_happy.trace, &cfg, &o);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
    unsetenv("SHAKEDOWN_SHIM_MODE");
    sd_shim_pool_clear();
}

/* For a shim of shim_common.c and for the Go shim (its own main loop and
 * hooks), if built. */
static void shim_killed_mid_run_is_that_runs_crash_in_each_mode(void **state) {
    (void)state;
    const sd_target_ops *shim = any_shim();
    if (!shim) skip();
    shim_killed_mid_run_in_each_mode(shim);
    const sd_target_ops *go = sd_target_find("go");
    if (go)
        shim_killed_mid_run_in_each_mode(go);
    else
        fprintf(stderr, "(go shim not built, no golang-go: its part skipped)\n");
}

/* A shim that stops answering is killed after the time limit: HANG. */
static void shim_hangs_on_the_test_hook(const sd_target_ops *shim) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, shim, SD_ROLE_CLIENT, &pki);
    sd_outcome o;
    setenv("SHAKEDOWN_SHIM_HANG_AFTER", "2", 1);
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", "200", 1);
    sd_driver_run(&client_happy.trace, &cfg, &o);
    unsetenv("SHAKEDOWN_SHIM_HANG_AFTER");
    setenv("SHAKEDOWN_SHIM_TIMEOUT_MS", SLOW_START_TIMEOUT_MS, 1);
    assert_int_equal(o.kind, SD_OUTCOME_HANG);
    assert_non_null(strstr(o.detail, "200 ms"));

    sd_driver_run(&client_happy.trace, &cfg, &o);
    assert_int_equal(o.kind, SD_OUTCOME_COMPLETED);
}

static void silent_shim_is_hang(void **state) {
    (void)state;
    const sd_target_ops *shim = any_shim();
    if (!shim) skip();
    shim_hangs_on_the_test_hook(shim);
}

/* The Go shim is a Go program, not shim_common.c: its own test hooks must
 * end it by SIGSEGV (the Go runtime catches that signal unless told not
 * to) and make it stop answering (a HANG, not the runtime's deadlock
 * exit). Skipped without Debian's golang-go, which builds it. */
static void go_shim_crashes_and_hangs_on_the_test_hooks(void **state) {
    (void)state;
    const sd_target_ops *go = sd_target_find("go");
    if (!go) {
        fprintf(stderr, "(go shim not built, no golang-go: skipped)\n");
        skip();
    }
    shim_dies_by_sigsegv_on_the_test_hook(go);
    shim_hangs_on_the_test_hook(go);
}

/* One create() of a shim that must be refused as unsupported, with words
 * that name what its stack lacks. */
static void assert_go_unsupported(const sd_target_ops *go, const sd_target_config *cfg, const char *words) {
    sd_target_error err = {0};
    sd_target *t = go->create(cfg, &err);
    if (t) {
        t->ops->destroy(t);
        fail_msg("%s shim accepted what it cannot do (%s)", go->name, words);
    }
    if (!err.unsupported || !strstr(err.text, words))
        fail_msg("%s shim: [%s], expected unsupported: %s", go->name, err.text, words);
}

/* The JSSE shim is a Java program started by a launcher: it refuses what
 * JSSE 17 lacks as unsupported (a client session from another process: an
 * SSLSession has no serialization; 0-RTT is shims_accept_0rtt's), names
 * the alert it sent (read from JSSE's debug log), and its
 * process-wide settings (jdk.tls.namedGroups, read once per JVM) follow
 * each run in the persistent mode: a run with a forced group, then one
 * without, each negotiate their own group (a shim whose JVM fixed other
 * settings leaves on RESET and a new one takes the run).
 * Skipped without a JDK, which builds it. */
static void jsse_refuses_what_jsse_lacks(void **state) {
    (void)state;
    const sd_target_ops *jsse = sd_target_find("jsse");
    if (!jsse) {
        fprintf(stderr, "(jsse shim not built, no JDK 17: skipped)\n");
        skip();
    }
    static const uint8_t session[] = "a session";
    const sd_target_config client = {
        .role = SD_ROLE_CLIENT,
        .min_version = SD_TLS12,
        .max_version = SD_TLS13,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .resume_session = {session, sizeof session},
    };
    assert_go_unsupported(jsse, &client, "cannot serialize an SSLSession");

    /* The alert it sends is read from JSSE's debug log ("Fatal (NAME)"):
     * its STATUS names the one the model received. */
    pair_opts refused = {.client_auth = SD_CLIENT_AUTH_REQUIRE, .client_cert = false};
    pair_result r;
    run_pair(&sd_target_model, jsse, SD_TLS13, &refused, false, &r);
    assert_true(r.ss.failed);
    assert_true(r.ss.alert_sent >= 0);
    assert_int_equal(r.ss.alert_sent_level, 2);
    assert_int_equal(r.ss.alert_sent, r.cs.alert_received);

    static const uint16_t p384[] = {SD_secp384r1};
    const uint16_t *forced[] = {p384, NULL};
    for (size_t k = 0; k < 2; k++) {
        pair_opts po = {.groups = forced[k], .n_groups = forced[k] ? 1 : 0};
        run_pair(&sd_target_model, jsse, SD_TLS13, &po, false, &r);
        assert_completed(&sd_target_model, jsse, &r, SD_TLS13);
        /* The model client's first choice, x25519, without a forced group. */
        assert_int_equal(r.ss.group, forced[k] ? forced[k][0] : SD_x25519);
    }
}

/* What crypto/tls (Go 1.19) cannot do exactly is refused, never
 * approximated (docs/shim-contract.md): a subset of the TLS 1.3 suites (it
 * enables all three), X448, 0-RTT, renegotiation as a server, a TLS 1.2
 * session cache without tickets, a client session from another process
 * (no ClientSessionState serialization before Go 1.21), and a list of
 * signature schemes (tls.Config has none). */
static void go_refuses_what_crypto_tls_lacks(void **state) {
    (void)state;
    const sd_target_ops *go = sd_target_find("go");
    if (!go) {
        fprintf(stderr, "(go shim not built, no golang-go: skipped)\n");
        skip();
    }
    static const uint16_t aes256_13[] = {SD_TLS_AES_256_GCM_SHA384}, x448[] = {SD_x448};
    const sd_target_config server = {
        .role = SD_ROLE_SERVER,
        .min_version = SD_TLS12,
        .max_version = SD_TLS13,
        .credential = sd_pki_find(&pki, "leaf"),
        .pki = &pki,
        .now = SD_PKI_DEFAULT_TIME,
    };
    sd_target_config cfg = server;
    cfg.cipher_suites = aes256_13;
    cfg.n_cipher_suites = 1;
    assert_go_unsupported(go, &cfg, "TLS 1.3 suites");
    cfg = server;
    cfg.groups = x448;
    cfg.n_groups = 1;
    assert_go_unsupported(go, &cfg, "group x448");
    cfg = server;
    cfg.max_early_data = SD_EARLY_DATA_MAX;
    assert_go_unsupported(go, &cfg, "0-RTT");
    cfg = server;
    cfg.renegotiation = true;
    assert_go_unsupported(go, &cfg, "renegotiation as a server");
    sd_session_cache *cache = sd_session_cache_new();
    assert_non_null(cache);
    cfg = server;
    cfg.session_cache = cache;
    assert_go_unsupported(go, &cfg, "TLS 1.2 session cache");
    sd_session_cache_free(cache);
    static const uint16_t p256_sha256[] = {SD_ecdsa_secp256r1_sha256};
    cfg = server;
    cfg.sigalgs = p256_sha256;
    cfg.n_sigalgs = 1;
    assert_go_unsupported(go, &cfg, "signature schemes");

    /* A client handed a session by an earlier Go client, which can only
     * say that the session exists. */
    static const char marker[] = "go1.19 crypto/tls: a ClientSessionState cannot be serialized";
    cfg = (sd_target_config){
        .role = SD_ROLE_CLIENT,
        .min_version = SD_TLS13,
        .max_version = SD_TLS13,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .ticket_seed = 7,
        .resume_session = sd_span_of((const uint8_t *)marker, sizeof marker - 1),
    };
    assert_go_unsupported(go, &cfg, "ClientSessionState");
}

/* The body of the first handshake message of type `type` in a flight of
 * plaintext records (the handshake records before the first other one are
 * joined, so a message may span records); false if there is none. */
static bool plaintext_message(sd_span flight, uint8_t type, sd_buf *joined, sd_span *body) {
    for (size_t at = 0; at + 5 <= flight.len;) {
        size_t len = (size_t)flight.data[at + 3] << 8 | flight.data[at + 4];
        if (flight.data[at] != 22 || at + 5 + len > flight.len) break;
        sd_buf_append(joined, flight.data + at + 5, len);
        at += 5 + len;
    }
    for (size_t at = 0; at + 4 <= joined->len;) {
        size_t len =
            (size_t)joined->data[at + 1] << 16 | (size_t)joined->data[at + 2] << 8 | joined->data[at + 3];
        if (at + 4 + len > joined->len) break;
        if (joined->data[at] == type) {
            *body = sd_span_of(joined->data + at + 4, len);
            return true;
        }
        at += 4 + len;
    }
    return false;
}

static void assert_same_schemes(const char *stack, const char *where, sd_span got, const uint16_t *want,
                                size_t n_want) {
    sd_u16_list l = {got};
    bool same = sd_u16_list_count(l) == n_want;
    for (size_t i = 0; same && i < n_want; i++) same = sd_u16_list_at(l, i) == want[i];
    if (!same) {
        fprintf(stderr, "%s %s:", stack, where);
        for (size_t i = 0; i < sd_u16_list_count(l); i++) fprintf(stderr, " %04x", sd_u16_list_at(l, i));
        fprintf(stderr, " (want");
        for (size_t i = 0; i < n_want; i++) fprintf(stderr, " %04x", want[i]);
        fprintf(stderr, ")\n");
    }
    assert_true(same);
}

/* The ClientHello a shim client set up with cfg sends first. ch's spans
 * point into *joined, which the caller frees. */
static void shim_client_hello(const sd_target_ops *shim, const sd_target_config *cfg, sd_buf *joined,
                              sd_client_hello *ch) {
    sd_target_error err = {0};
    sd_target *c = shim->create(cfg, &err);
    if (!c) fail_msg("%s client: %s", shim->name, err.text);
    c->ops->start(c);
    sd_buf flight;
    sd_buf_init(&flight);
    sd_buf_init(joined);
    c->ops->drain(c, &flight);
    sd_span body;
    uint8_t alert;
    assert_true(plaintext_message(sd_buf_span(&flight), 1, joined, &body));
    assert_true(sd_parse_client_hello(body, ch, &alert));
    sd_buf_free(&flight);
    c->ops->destroy(c);
}

/* The shim stack's ClientHello offers exactly `want` in signature_algorithms
 * (RFC 8446 §4.2.3). */
static void assert_client_offers(const sd_target_ops *shim, uint16_t version, const uint16_t *want,
                                 size_t n) {
    sd_target_config cfg = {
        .role = SD_ROLE_CLIENT,
        .min_version = version,
        .max_version = version,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
        .sigalgs = want,
        .n_sigalgs = n,
    };
    sd_buf joined;
    sd_client_hello ch;
    sd_span ext;
    shim_client_hello(shim, &cfg, &joined, &ch);
    assert_true(sd_extensions_find(ch.extensions, SD_signature_algorithms, &ext));
    assert_true(ext.len >= 2);
    assert_same_schemes(shim->name, "ClientHello", sd_span_of(ext.data + 2, ext.len - 2), want, n);
    sd_buf_free(&joined);
}

/* The shim stack's TLS 1.2 CertificateRequest (plaintext, RFC 5246 §7.4.4)
 * lists exactly `want`, to a BoringSSL client. */
static void assert_server_asks(const sd_target_ops *shim, const uint16_t *want, size_t n) {
    sd_target_config cfg = {
        .role = SD_ROLE_SERVER,
        .min_version = SD_TLS12,
        .max_version = SD_TLS12,
        .credential = sd_pki_find(&pki, "leaf"),
        .pki = &pki,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
        .client_auth = SD_CLIENT_AUTH_REQUIRE,
        .sigalgs = want,
        .n_sigalgs = n,
    };
    sd_target_error err = {0};
    sd_target *s = shim->create(&cfg, &err);
    if (!s) fail_msg("%s server with pinned schemes: %s", shim->name, err.text);
    sd_target *c = pair_target_make(&pki, &sd_target_boringssl, SD_ROLE_CLIENT, SD_TLS12);
    assert_non_null(c);
    c->ops->start(c);
    s->ops->start(s);
    sd_buf hello, flight, joined;
    sd_buf_init(&hello);
    sd_buf_init(&flight);
    sd_buf_init(&joined);
    c->ops->drain(c, &hello);
    s->ops->feed(s, sd_buf_span(&hello));
    s->ops->drain(s, &flight);
    sd_span body;
    sd_tls12_certificate_request cr;
    uint8_t alert;
    assert_true(plaintext_message(sd_buf_span(&flight), 13, &joined, &body));
    assert_true(sd_parse_tls12_certificate_request(body, &cr, &alert));
    assert_same_schemes(shim->name, "CertificateRequest", cr.supported_signature_algorithms, want, n);
    sd_buf_free(&joined);
    sd_buf_free(&flight);
    sd_buf_free(&hello);
    c->ops->destroy(c);
    s->ops->destroy(s);
}

/* `signature-algorithms:` through the shims (--sigalgs): a shim client
 * offers exactly the pinned schemes, in their order, in TLS 1.3 and 1.2; a
 * shim server asks for exactly them in its TLS 1.2 CertificateRequest; and
 * the control scenario with pinned schemes runs (PASS, not SKIP) on every
 * TLS 1.3 shim but Go's, whose crypto/tls has no such setting
 * (go_refuses_what_crypto_tls_lacks). wolfSSL sends rsa_pss_pss_sha256 with
 * rsa_pss_rsae_sha256 (the scenarios list both), and refuses the one
 * without the other as unsupported; mbedTLS 2.28 takes hashes only (no
 * RSA-PSS): it gets a list it can send exactly, and refuses the control's
 * (SKIP), never sending another. Each check fails on a shim that ignores
 * the flag: the stacks' defaults list more schemes. */
static void shims_send_exactly_the_pinned_signature_schemes(void **state) {
    (void)state;
    static const uint16_t pinned[] = {SD_ecdsa_secp256r1_sha256, SD_rsa_pss_rsae_sha256};
    static const uint16_t wolf[] = {SD_ecdsa_secp256r1_sha256, SD_rsa_pss_rsae_sha256, SD_rsa_pss_pss_sha256};
    static const uint16_t mbed_client[] = {SD_ecdsa_secp256r1_sha256, SD_rsa_pkcs1_sha256};
    static const uint16_t mbed_server[] = {SD_rsa_pkcs1_sha256, SD_ecdsa_secp256r1_sha256};
    sd_scenario control;
    memset(&control, 0, sizeof control);
    load_scenario("tls13/client.signature-algorithms.pinned-completes.sd", &control);
    assert_true(control.n_sigalgs > 0);
    int ran = 0;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim || strcmp(shim->name, "go") == 0) continue;
        bool mbed = strcmp(shim->name, "mbedtls") == 0, wolfssl = strcmp(shim->name, "wolfssl") == 0;
        if (mbed) {
            assert_client_offers(shim, SD_TLS12, mbed_client, 2);
            assert_server_asks(shim, mbed_server, 2);
        } else {
            const uint16_t *list = wolfssl ? wolf : pinned;
            size_t n = wolfssl ? 3 : 2;
            if (!tls12_only(shim)) assert_client_offers(shim, SD_TLS13, list, n);
            assert_client_offers(shim, SD_TLS12, list, n);
            assert_server_asks(shim, list, n);
        }
        /* wolfSSL cannot send rsa_pss_rsae_sha256 without
         * rsa_pss_pss_sha256 after it: that list is refused, never sent
         * with a scheme more. */
        if (wolfssl) {
            sd_target_config cfg = {
                .role = SD_ROLE_CLIENT,
                .min_version = SD_TLS13,
                .max_version = SD_TLS13,
                .pki = &pki,
                .now = SD_PKI_DEFAULT_TIME,
                .sigalgs = pinned,
                .n_sigalgs = 2,
            };
            sd_target_error err = {0};
            sd_target *t = shim->create(&cfg, &err);
            if (t) t->ops->destroy(t);
            assert_null(t);
            assert_true(err.unsupported);
            assert_non_null(strstr(err.text, "rsa_pss_pss_sha256"));
        }
        /* The control's list (RSA-PSS) is one mbedTLS 2.28 cannot send;
         * the control is TLS 1.3, which Botan 2.19 cannot speak. */
        bool exact = !tls12_only(shim);
        sd_run_config cfg;
        sd_run_config_defaults(&cfg, shim, control.role, &pki);
        sd_run_config_apply_scenario(&cfg, &control);
        sd_outcome o;
        sd_driver_run(&control.trace, &cfg, &o);
        char why[256] = "";
        sd_verdict v = sd_classify(&control, &o, why, sizeof why);
        if (v != (exact ? SD_VERDICT_PASS : SD_VERDICT_SKIP))
            fprintf(stderr, "%s %s: %s (%s)\n", shim->name, control.id, sd_verdict_name(v), why);
        assert_int_equal(v, exact ? SD_VERDICT_PASS : SD_VERDICT_SKIP);
        ran += v == SD_VERDICT_PASS;
    }
    sd_scenario_free(&control);
    if (ran == 0) {
        fprintf(stderr, "(no TLS 1.3 shim other than Go's built: pinned schemes untested)\n");
        skip();
    }
}

static bool read_exactly(int fd, uint8_t *buf, size_t n) {
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return false;
        got += (size_t)r;
    }
    return true;
}

/* One frame from a shim (docs/shim-contract.md, "Talking"): its type, and
 * its payload appended to *payload. */
static int read_frame(int fd, sd_buf *payload) {
    uint8_t h[SHIM_FRAME_HEADER_LEN];
    if (!read_exactly(fd, h, sizeof h)) return -1;
    uint32_t len = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    bool ok = read_exactly(fd, buf, len);
    if (ok) sd_buf_append(payload, buf, len);
    free(buf);
    return ok ? h[0] : -1;
}

/* Starts the shim program of `stack` as the harness does (execve, its
 * socket on fd 3), a TLS client with the usual flags and then `extra`
 * (NULL-terminated), and sends START: true with the ClientHello flight in
 * *flight, or false with the first STATUS's error in err (the setup
 * refused). The flags reach the program as they are, not through
 * sd_shim_args_build, so that what no scenario asks for (`off`) is
 * tested too. */
static bool shim_program_client_hello(const char *stack, const char *const *extra, sd_buf *flight, char *err,
                                      size_t err_len) {
    char prog[PATH_MAX], trust[PATH_MAX];
    assert_true(sd_shim_path(stack, prog, sizeof prog));
    snprintf(trust, sizeof trust, "%s/root.pem", pki.dir);
    const char *argv[32] = {prog,  "--role",        "client",          "--fd", "3", "--trust",
                            trust, "--server-name", SD_PKI_SERVER_NAME};
    int argc = 9;
    for (size_t i = 0; extra[i]; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    /* Close-on-exec, as the harness's: a shim that stays for a RESET after
     * refusing its setup ends only when the last copy of our end is
     * closed, so the child must not keep one. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (sv[1] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(sv[1], 3) < 0) _exit(127);
        execv(prog, (char *const *)argv);
        _exit(127);
    }
    close(sv[1]);
    sd_buf status;
    sd_buf_init(&status);
    assert_int_equal(read_frame(sv[0], &status), SHIM_FRAME_STATUS);
    sd_buf_append(&status, (const uint8_t *)"", 1);
    const char *text = (const char *)status.data;
    bool configured = strstr(text, "failed=0\n") != NULL;
    if (!configured) {
        const char *e = strstr(text, "error=");
        snprintf(err, err_len, "%.*s", e ? (int)strcspn(e + 6, "\n") : 0, e ? e + 6 : "");
    } else {
        static const uint8_t start[SHIM_FRAME_HEADER_LEN] = {SHIM_FRAME_START};
        assert_int_equal(write(sv[0], start, sizeof start), (ssize_t)sizeof start);
        int type;
        while ((type = read_frame(sv[0], flight)) == SHIM_FRAME_DATA) continue;
        assert_int_equal(type, SHIM_FRAME_STATUS);
    }
    sd_buf_free(&status);
    close(sv[0]);
    int wstatus;
    assert_int_equal(waitpid(pid, &wstatus, 0), pid);
    return configured;
}

/* What a shim client's ClientHello carries with `extra` flags: the
 * extension `type`'s data in *ext (ext_len -1: no such extension). False
 * with err for a refused setup. */
static bool shim_hello_carries(const char *stack, const char *const *extra, uint16_t type, uint8_t *ext,
                               long *ext_len, char *err, size_t err_len) {
    sd_buf flight, joined;
    sd_buf_init(&flight);
    sd_buf_init(&joined);
    bool ok = shim_program_client_hello(stack, extra, &flight, err, err_len);
    *ext_len = -1;
    sd_span body, e;
    sd_client_hello ch;
    uint8_t alert;
    if (ok) {
        assert_true(plaintext_message(sd_buf_span(&flight), 1, &joined, &body));
        assert_true(sd_parse_client_hello(body, &ch, &alert));
        /* Copied before joined, which the span points into, goes. */
        if (sd_extensions_find(ch.extensions, type, &e)) {
            assert_true(e.len <= 8);
            memcpy(ext, e.data, e.len);
            *ext_len = (long)e.len;
        }
    }
    sd_buf_free(&joined);
    sd_buf_free(&flight);
    return ok;
}

static void assert_unsupported_naming(const char *stack, bool configured, const char *err, const char *what) {
    if (configured || strncmp(err, "unsupported: ", 13) != 0 || strstr(err, what) == NULL)
        fail_msg("%s: want \"unsupported: ...%s...\", got %s \"%s\"", stack, what,
                 configured ? "a configured shim" : "the error", err);
}

/* The record-layer extensions through the shims (docs/shim-contract.md):
 * --encrypt-then-mac on|off (RFC 7366), --max-fragment-length (RFC 6066
 * §4), --record-size-limit (RFC 8449). On the wire, each shim client's
 * TLS 1.2 ClientHello carries encrypt_then_mac, empty, with `on` and not
 * with `off` (every C stack's default offers it, so `off` is seen to act);
 * max_fragment_length, code 1, with 512 and not without; GnuTLS's
 * record_size_limit is 256 with 256 in TLS 1.2 and in TLS 1.3 (without the
 * flag it sends its own 16384 or 16385). What a stack lacks is refused as
 * "unsupported:" naming the extension: record_size_limit outside GnuTLS,
 * and in GnuTLS with both versions enabled (it would advertise one value
 * and hold TLS 1.2 records to one byte less); all three `on` settings in
 * Go's crypto/tls, whose `off` is what it always does. And the harness
 * passes the flags for a scenario's headers (sd_shim_args_build): its
 * max_fragment_length code 1 reaches the ClientHello. */
static void shims_send_the_record_extensions_as_asked(void **state) {
    (void)state;
    int checked = 0;
    for (size_t i = 0; sd_shim_targets[i]; i++) {
        const sd_target_ops *shim = sd_target_find(sd_shim_targets[i]->name);
        if (!shim) continue;
        const char *name = shim->name;
        bool go = strcmp(name, "go") == 0, gnutls = strcmp(name, "gnutls") == 0;
        uint8_t ext[8];
        long len;
        char err[256] = "";
#define TLS12 "--min-version", "1.2", "--max-version", "1.2"
        const char *const plain[] = {TLS12, NULL};
        const char *const etm_on[] = {TLS12, "--encrypt-then-mac", "on", NULL};
        const char *const etm_off[] = {TLS12, "--encrypt-then-mac", "off", NULL};
        const char *const mfl[] = {TLS12, "--max-fragment-length", "512", NULL};
        const char *const rsl12[] = {TLS12, "--record-size-limit", "256", NULL};
        const char *const rsl13[] = {"--min-version", "1.3", "--max-version", "1.3", "--record-size-limit",
                                     "256",           NULL};
        const char *const rsl_both[] = {"--record-size-limit", "256", NULL};
#undef TLS12
        /* Defaults first: no max_fragment_length unasked. */
        assert_true(shim_hello_carries(name, plain, SD_max_fragment_length, ext, &len, err, sizeof err));
        assert_int_equal(len, -1);
        long etm_by_default;
        assert_true(
            shim_hello_carries(name, plain, SD_encrypt_then_mac, ext, &etm_by_default, err, sizeof err));
        /* JSSE 17 has no encrypt-then-MAC (RFC 7366): none by default. */
        bool jsse = strcmp(name, "jsse") == 0;
        if (!go && !jsse && etm_by_default != 0)
            fail_msg("%s: no empty encrypt_then_mac by default (%ld)", name, etm_by_default);
        if (jsse && etm_by_default != -1) fail_msg("jsse: encrypt_then_mac by default (%ld)", etm_by_default);
        bool botan = strcmp(name, "botan") == 0;
        if (botan || jsse) {
            /* docs/shim-contract.md: Botan has encrypt-then-MAC only, JSSE
             * none of the three. */
            if (botan) {
                assert_true(
                    shim_hello_carries(name, etm_on, SD_encrypt_then_mac, ext, &len, err, sizeof err));
                assert_int_equal(len, 0);
                assert_true(
                    shim_hello_carries(name, etm_off, SD_encrypt_then_mac, ext, &len, err, sizeof err));
                assert_int_equal(len, -1);
            }
            const char *const *const asks[] = {etm_on, mfl, rsl12};
            for (size_t k = botan ? 1 : 0; k < sizeof asks / sizeof *asks; k++)
                assert_unsupported_naming(
                    name, shim_hello_carries(name, asks[k], SD_encrypt_then_mac, ext, &len, err, sizeof err),
                    err, jsse ? "JSSE 17" : "record_size_limit");
            checked++;
            continue;
        }
        assert_true(shim_hello_carries(name, etm_off, SD_encrypt_then_mac, ext, &len, err, sizeof err));
        assert_int_equal(len, -1);
        if (go) {
            assert_unsupported_naming(
                name, shim_hello_carries(name, etm_on, SD_encrypt_then_mac, ext, &len, err, sizeof err), err,
                "encrypt_then_mac");
            assert_unsupported_naming(
                name, shim_hello_carries(name, mfl, SD_max_fragment_length, ext, &len, err, sizeof err), err,
                "max_fragment_length");
        } else {
            assert_true(shim_hello_carries(name, etm_on, SD_encrypt_then_mac, ext, &len, err, sizeof err));
            assert_int_equal(len, 0);
            if (!shim_hello_carries(name, mfl, SD_max_fragment_length, ext, &len, err, sizeof err))
                fail_msg("%s --max-fragment-length 512: %s", name, err);
            assert_int_equal(len, 1);
            assert_int_equal(ext[0], 1);
        }
        if (gnutls) {
            assert_true(shim_hello_carries(name, rsl12, SD_record_size_limit, ext, &len, err, sizeof err));
            assert_int_equal(len, 2);
            assert_int_equal(ext[0] << 8 | ext[1], 256);
            assert_true(shim_hello_carries(name, rsl13, SD_record_size_limit, ext, &len, err, sizeof err));
            assert_int_equal(len, 2);
            assert_int_equal(ext[0] << 8 | ext[1], 256);
            assert_unsupported_naming(
                name, shim_hello_carries(name, rsl_both, SD_record_size_limit, ext, &len, err, sizeof err),
                err, "TLS 1.2 and 1.3 both");
        } else {
            assert_unsupported_naming(
                name, shim_hello_carries(name, rsl12, SD_record_size_limit, ext, &len, err, sizeof err), err,
                "record_size_limit");
        }
        checked++;
    }
    if (checked == 0) skip();

    /* The harness's side: a scenario's `max-fragment-length: 512` reaches
     * a shim as --max-fragment-length 512. */
    const sd_target_ops *shim = any_shim();
    if (!shim || strcmp(shim->name, "go") == 0) return;
    sd_target_config cfg = {
        .role = SD_ROLE_CLIENT,
        .min_version = SD_TLS12,
        .max_version = SD_TLS12,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .max_fragment_length = 1,
    };
    sd_buf joined;
    sd_client_hello ch;
    sd_span ext;
    shim_client_hello(shim, &cfg, &joined, &ch);
    assert_true(sd_extensions_find(ch.extensions, SD_max_fragment_length, &ext));
    assert_int_equal(ext.len, 1);
    assert_int_equal(ext.data[0], 1);
    sd_buf_free(&joined);
}

/* A TLS 1.2-only stack (mbedTLS 2.28, Botan 2.19) has no TLS 1.3: create()
 * says unsupported with `reason`, the driver's outcome is unsupported and
 * the oracle's verdict SKIP, with the shim's reason as why. */
static void refuses_tls13_as_unsupported(const char *stack, const char *reason) {
    const sd_target_ops *m = sd_target_find(stack);
    if (!m) {
        fprintf(stderr, "(%s shim not built: skipped)\n", stack);
        skip();
    }
    sd_target_config cfg = {
        .role = SD_ROLE_CLIENT,
        .min_version = SD_TLS13,
        .max_version = SD_TLS13,
        .pki = &pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
    };
    sd_target_error err = {0};
    sd_target *t = m->create(&cfg, &err);
    assert_null(t);
    assert_true(err.unsupported);
    assert_string_equal(err.text, reason);
    /* A range that reaches TLS 1.3 is refused as well, not narrowed to TLS
     * 1.2 (a `versions: 1.2-1.3` scenario); TLS 1.2 alone is not. */
    cfg.min_version = SD_TLS12;
    err = (sd_target_error){0};
    assert_null(m->create(&cfg, &err));
    assert_true(err.unsupported);
    assert_string_equal(err.text, reason);
    cfg.max_version = SD_TLS12;
    err = (sd_target_error){0};
    t = m->create(&cfg, &err);
    if (!t) fail_msg("%s, TLS 1.2 alone: %s", stack, err.text);
    t->ops->destroy(t);

    sd_run_config rc;
    sd_run_config_defaults(&rc, m, SD_ROLE_CLIENT, &pki);
    sd_run_config_apply_scenario(&rc, &client_happy);
    sd_outcome o;
    sd_driver_run(&client_happy.trace, &rc, &o);
    assert_int_equal(o.kind, SD_OUTCOME_UNSUPPORTED);
    assert_string_equal(o.detail, reason);
    char why[200];
    assert_int_equal(sd_classify(&client_happy, &o, why, sizeof why), SD_VERDICT_SKIP);
    assert_string_equal(why, reason);
}

static void mbedtls_refuses_tls13_as_unsupported(void **state) {
    (void)state;
    refuses_tls13_as_unsupported("mbedtls", "mbedTLS 2.28 has no TLS 1.3");
}

/* Botan 2.19 as mbedTLS; and what else its shim must not approximate: an
 * EdDSA credential (Botan 2.19's TLS 1.2 has no EdDSA suite or client
 * certificate type) is unsupported, and its client, which would offer
 * session_ticket in every ClientHello, offers it only with
 * --session-tickets on (docs/shim-contract.md). */
static void botan_refuses_what_it_cannot_do(void **state) {
    (void)state;
    refuses_tls13_as_unsupported("botan", "Botan 2.19 has no TLS 1.3");
    const sd_target_ops *b = sd_target_find("botan");
    sd_target_config cfg = {
        .role = SD_ROLE_SERVER,
        .min_version = SD_TLS12,
        .max_version = SD_TLS12,
        .credential = sd_pki_find(&pki, "leaf-ed25519"),
        .pki = &pki,
        .now = SD_PKI_DEFAULT_TIME,
    };
    assert_non_null(cfg.credential);
    sd_target_error err = {0};
    assert_null(b->create(&cfg, &err));
    assert_true(err.unsupported);
    assert_non_null(strstr(err.text, "EdDSA"));

    for (int tickets = 0; tickets < 2; tickets++) {
        sd_target_config cc = {
            .role = SD_ROLE_CLIENT,
            .min_version = SD_TLS12,
            .max_version = SD_TLS12,
            .pki = &pki,
            .server_name = SD_PKI_SERVER_NAME,
            .now = SD_PKI_DEFAULT_TIME,
            .session_tickets = tickets,
        };
        sd_buf joined;
        sd_client_hello ch;
        sd_span ext;
        shim_client_hello(b, &cc, &joined, &ch);
        assert_int_equal(sd_extensions_find(ch.extensions, SD_session_ticket, &ext), tickets);
        sd_buf_free(&joined);
    }
}

/* A shim that is asked for something impossible fails create() with its
 * words; a missing shim is not registered at all. */
static void bad_configuration_and_missing_shims(void **state) {
    (void)state;
    assert_null(sd_target_find("no-such-stack"));
    const sd_target_ops *shim = any_shim();
    if (!shim) skip();
    sd_credential bogus;
    memset(&bogus, 0, sizeof bogus);
    snprintf(bogus.name, sizeof bogus.name, "does-not-exist");
    sd_target_config cfg = {
        .role = SD_ROLE_SERVER,
        .min_version = SD_TLS13,
        .max_version = SD_TLS13,
        .credential = &bogus,
        .pki = &pki,
        .now = SD_PKI_DEFAULT_TIME,
    };
    sd_target_error err = {0};
    assert_null(shim->create(&cfg, &err));
    assert_false(err.unsupported);
    assert_non_null(strstr(err.text, "does-not-exist"));

    setenv("SHAKEDOWN_SHIM_DIR", "/nonexistent", 1);
    assert_null(sd_target_find(shim->name));
    unsetenv("SHAKEDOWN_SHIM_DIR");
    assert_non_null(sd_target_find(shim->name));
    const char *v = shim->version();
    assert_non_null(v);
    assert_null(strstr(v, "not found"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shims_handshake_with_model_and_boringssl),
        cmocka_unit_test(shims_pass_the_happy_scenarios),
        cmocka_unit_test(shims_with_client_auth),
        cmocka_unit_test(shims_with_a_forced_group),
        cmocka_unit_test(shims_with_a_forced_cipher_suite),
        cmocka_unit_test(shims_export_like_boringssl_in_tls12),
        cmocka_unit_test(shims_say_unsupported),
        cmocka_unit_test(shims_resume_sessions),
        cmocka_unit_test(shim_clients_check_revocation_and_purpose),
        cmocka_unit_test(shims_renegotiate_only_when_allowed),
        cmocka_unit_test(shims_accept_0rtt),
        cmocka_unit_test(shims_send_exactly_the_pinned_signature_schemes),
        cmocka_unit_test(shims_send_the_record_extensions_as_asked),
        cmocka_unit_test(wolfssl_without_static_rsa_says_unsupported),
        cmocka_unit_test(killed_shim_is_crash_and_the_run_continues),
        cmocka_unit_test(conform_reports_a_killed_shim_and_completes_the_run),
        cmocka_unit_test(shim_killed_mid_run_is_that_runs_crash_in_each_mode),
        cmocka_unit_test(silent_shim_is_hang),
        cmocka_unit_test(go_shim_crashes_and_hangs_on_the_test_hooks),
        cmocka_unit_test(jsse_refuses_what_jsse_lacks),
        cmocka_unit_test(go_refuses_what_crypto_tls_lacks),
        cmocka_unit_test(mbedtls_refuses_tls13_as_unsupported),
        cmocka_unit_test(botan_refuses_what_it_cannot_do),
        cmocka_unit_test(bad_configuration_and_missing_shims),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
