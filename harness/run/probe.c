/* probe.c — what a stack over TCP is set up for (run/probe.h).
 *
 * Every question is one honest handshake, run by the driver like any
 * scenario, from a trace written here. A question is asked only when a
 * scenario of the set needs its answer, and the answers are read from the
 * outcome's ladder: which messages the peer sent, whether it completed,
 * which alert it refused with. A question whose handshake failed for
 * another reason stays unanswered (UNKNOWN), and an unanswered question
 * skips nothing: the probe can only remove scenarios that would have
 * tested nothing, never a finding. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* the build defines it too; this is for building alone */
#endif

#include "run/probe.h"

#include <stdio.h>
#include <string.h>

#include "crypto/tls12.h"
#include "driver/driver.h"
#include "stacks/tcp_target.h"
#include "trace/step_under_test.h"
#include "wire/handshake.h"
#include "wire/names.h"

/* --- The honest conversations --------------------------------------------- */

/* "ping" and a newline: line-based echo servers answer only whole lines.
 * With HTTP the driver sends its request instead, and with none nothing. */
#define APP_AND_CLOSE                   \
    "send-appdata hex=70696e670a\n"     \
    "expect-appdata hex=70696e670a\n"   \
    "send-alert warning close_notify\n" \
    "expect-close\n"

/* Server under test. %s: the driver's Certificate and CertificateVerify
 * options (" cert=unknown-ca"), for the client-authentication forms. */
static const char server13[] = "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                               "expect Certificate\nexpect CertificateVerify\nexpect Finished\n"
                               "send Finished\n" APP_AND_CLOSE;
static const char server13_auth[] =
    "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
    "expect CertificateRequest\nexpect Certificate\nexpect CertificateVerify\n"
    "expect Finished\nsend Certificate%s\nsend CertificateVerify%s\n"
    "send Finished\n" APP_AND_CLOSE;
/* TLS 1.2, %s: "expect ServerKeyExchange\n" for an ECDHE suite. */
static const char server12[] = "send ClientHello\nexpect ServerHello\nexpect Certificate\n%s"
                               "expect ServerHelloDone\nsend ClientKeyExchange\nsend-ccs\nsend Finished\n"
                               "expect-ccs\nexpect Finished\n" APP_AND_CLOSE;
static const char server12_auth[] = "send ClientHello\nexpect ServerHello\nexpect Certificate\n%s"
                                    "expect CertificateRequest\nexpect ServerHelloDone\nsend Certificate%s\n"
                                    "send ClientKeyExchange\nsend CertificateVerify%s\nsend-ccs\n"
                                    "send Finished\nexpect-ccs\nexpect Finished\n" APP_AND_CLOSE;
/* Server under test, two connections: the first a full handshake that
 * leaves a session, the second offers it. TLS 1.3, %s: " early-data" and
 * "send EndOfEarlyData\n" for the 0-RTT form (an early_data offer with no
 * data, which §4.2.10 allows: EndOfEarlyData ends it). */
static const char resume13[] = "send ClientHello\nexpect ServerHello\nexpect EncryptedExtensions\n"
                               "expect Certificate\nexpect CertificateVerify\nexpect Finished\n"
                               "send Finished\nexpect NewSessionTicket\nconnection\n"
                               "send ClientHello%s\nexpect ServerHello psk=0\nexpect EncryptedExtensions\n"
                               "expect Finished\n%ssend Finished\n" APP_AND_CLOSE;
/* TLS 1.2, %s: "expect ServerKeyExchange\n" for an ECDHE suite, then
 * "expect NewSessionTicket\n" for the ticket form (RFC 5077 §3.1 Figure 1). */
static const char resume12[] =
    "send ClientHello\nexpect ServerHello\nexpect Certificate\n%s"
    "expect ServerHelloDone\nsend ClientKeyExchange\nsend-ccs\nsend Finished\n%s"
    "expect-ccs\nexpect Finished\nconnection\nsend ClientHello\nexpect ServerHello\n"
    "expect-ccs\nexpect Finished\nsend-ccs\nsend Finished\n" APP_AND_CLOSE;
/* Client under test. */
static const char client13[] =
    "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
    "send Certificate\nsend CertificateVerify\nsend Finished\nexpect Finished\n" APP_AND_CLOSE;
static const char client13_auth[] = "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\n"
                                    "send CertificateRequest\nsend Certificate\nsend CertificateVerify\n"
                                    "send Finished\nexpect Certificate\nexpect CertificateVerify\n"
                                    "expect Finished\n" APP_AND_CLOSE;
static const char client12[] = "expect ClientHello\nsend ServerHello\nsend Certificate\n%s"
                               "send ServerHelloDone\nexpect ClientKeyExchange\nexpect-ccs\n"
                               "expect Finished\nsend-ccs\nsend Finished\n" APP_AND_CLOSE;
static const char client12_auth[] = "expect ClientHello\nsend ServerHello\nsend Certificate\n%s"
                                    "send CertificateRequest\nsend ServerHelloDone\nexpect Certificate\n"
                                    "expect ClientKeyExchange\nexpect CertificateVerify\nexpect-ccs\n"
                                    "expect Finished\nsend-ccs\nsend Finished\n" APP_AND_CLOSE;

/* Client under test, two connections: the driver's server leaves a session
 * in the first and resumes it in the second. TLS 1.3: a NewSessionTicket
 * after the client's Finished, then the PSK selected (RFC 8446 §2.2).
 * TLS 1.2, %s: " add-ext=session_ticket" for the ticket form, then the
 * ServerKeyExchange step, then "send NewSessionTicket\n" for the ticket
 * form (RFC 5077 §3.1 Figure 1); else the session id of the ServerHello
 * (RFC 5246 §7.3); the second an abbreviated handshake either way. */
static const char client_resume13[] =
    "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\nsend Certificate\n"
    "send CertificateVerify\nsend Finished\nexpect Finished\nsend NewSessionTicket\nconnection\n"
    "expect ClientHello\nsend ServerHello\nsend EncryptedExtensions\nsend Finished\nexpect "
    "Finished\n" APP_AND_CLOSE;
static const char client_resume12[] =
    "expect ClientHello\nsend ServerHello%s\nsend Certificate\n%ssend ServerHelloDone\n"
    "expect ClientKeyExchange\nexpect-ccs\nexpect Finished\n%ssend-ccs\nsend Finished\nconnection\n"
    "expect ClientHello\nsend ServerHello\nsend-ccs\nsend Finished\nexpect-ccs\nexpect "
    "Finished\n" APP_AND_CLOSE;

/* --- Which credentials test what a peer checks ----------------------------- */

/* A certificate that only a peer verifying chains refuses (RFC 5280 §6
 * path validation: issuer, validity, key usage, constraints, signature
 * algorithm), by the fixture's names (corpus/pki/make_pki.c). Not here: a
 * malformed or empty list and a CertificateVerify by another key, which
 * every peer must refuse whether or not it verifies chains. The host name
 * and revocation are checks of their own, set up apart (a trust store
 * without a name to match, or without a CRL). */
typedef enum { CHECK_NONE, CHECK_CHAIN, CHECK_NAME, CHECK_REVOCATION } cert_check;

static cert_check check_of(const char *credential) {
    static const char *const chain[] = {
        "expired",    "not-yet-valid",   "unknown-ca",   "bad-signature",        "leaf-as-ca",
        "ca-as-leaf", "wrong-key-usage", "wrong-eku",    "missing-intermediate", "unknown-critical-extension",
        "weak-key",   "sha1-signature",  "md5-signature"};
    if (!credential || !*credential) return CHECK_NONE;
    if (strcmp(credential, "wrong-name") == 0) return CHECK_NAME;
    if (strcmp(credential, "revoked") == 0) return CHECK_REVOCATION;
    for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++)
        if (strcmp(credential, chain[i]) == 0) return CHECK_CHAIN;
    return CHECK_NONE;
}

/* The certificate the driver shows in a scenario: as the server (client
 * under test), the `credential:` header; as the client (server under
 * test), a `cert=` on its Certificate. */
static const char *shown_credential(const sd_scenario *s) {
    if (s->role == SD_ROLE_CLIENT) return s->credential;
    for (size_t i = 0; i < s->trace.n_actions; i++) {
        const sd_action *a = &s->trace.actions[i];
        if (a->kind != SD_ACT_SEND || a->msg_type != SD_Certificate) continue;
        for (size_t m = 0; m < a->n_mutations && m < SD_MAX_MUTATIONS; m++)
            if (a->mutations[m].kind == SD_MUT_CERT) return a->mutations[m].text;
    }
    return NULL;
}

/* The driver, as a client, sends an empty client Certificate. */
static bool sends_empty_certificate(const sd_scenario *s) {
    for (size_t i = 0; i < s->trace.n_actions; i++) {
        const sd_action *a = &s->trace.actions[i];
        if (a->kind != SD_ACT_SEND || a->msg_type != SD_Certificate) continue;
        for (size_t m = 0; m < a->n_mutations && m < SD_MAX_MUTATIONS; m++)
            if (a->mutations[m].kind == SD_MUT_EMPTY) return true;
    }
    return false;
}

/* --- Running one question ------------------------------------------------- */

typedef struct {
    const sd_target_ops *stack;
    sd_role role;
    const sd_pki *pki;
    int64_t now;
    uint64_t seed;
    sd_peer_profile *p;
    sd_buf from_peer; /* what the peer sent in the question being asked */
    /* A client under test: what it sent from its last ClientHello on (the
     * last connection's), and the driver's first ServerHello flight (the
     * first connection's), to tell which session the client offered. */
    sd_buf last_hello, first_server_hello;
} prober;

/* Bytes that begin with a plaintext record of a handshake message of
 * `type`: what each connection's first flight begins with (a connection's
 * first bytes come in one piece, as the driver reads or writes them). */
static bool starts_with_message(sd_span bytes, uint8_t type) {
    return bytes.len > 5 && bytes.data[0] == SD_handshake && bytes.data[5] == type;
}

static void keep_peer_bytes(void *ctx, sd_direction from, sd_span bytes) {
    prober *pr = ctx;
    if (from == SD_FROM_TARGET && pr->from_peer.len < 65536)
        sd_buf_append(&pr->from_peer, bytes.data, bytes.len);
    if (pr->role != SD_ROLE_CLIENT) return;
    if (from == SD_FROM_TARGET && starts_with_message(bytes, SD_ClientHello)) sd_buf_reset(&pr->last_hello);
    if (from == SD_FROM_TARGET && pr->last_hello.len < 65536)
        sd_buf_append(&pr->last_hello, bytes.data, bytes.len);
    if (from == SD_FROM_PEER && !pr->first_server_hello.len && starts_with_message(bytes, SD_ServerHello))
        sd_buf_append(&pr->first_server_hello, bytes.data, bytes.len);
}

typedef struct {
    uint16_t version, suite;
    sd_client_auth client_auth; /* server under test: how the trace answers; client: has a certificate */
    const char *credential;     /* the driver's server certificate (client under test) */
    bool session_tickets;       /* server under test: the driver's TLS 1.2 ClientHello asks for a ticket */
} question;

/* Runs script (a trace in the script format) and fills out. False if the
 * script did not parse (a bug here, said on stderr). */
static bool ask(prober *pr, const question *q, const char *script, sd_outcome *out) {
    sd_trace trace;
    char err[256];
    if (!sd_trace_parse("probe", script, strlen(script), &trace, err, sizeof err)) {
        fprintf(stderr, "shakedown: probe script: %s\n", err);
        return false;
    }
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, pr->stack, pr->role, pr->pki);
    cfg.version = q->version;
    cfg.cipher_suite = q->suite;
    cfg.client_auth = q->client_auth;
    cfg.session_tickets = q->session_tickets;
    if (q->credential) cfg.driver_credential = q->credential;
    cfg.now = pr->now;
    cfg.seed = pr->seed + pr->p->connections;
    cfg.on_bytes = keep_peer_bytes;
    cfg.observer_ctx = pr;
    sd_buf_reset(&pr->from_peer);
    sd_buf_reset(&pr->last_hello);
    sd_buf_reset(&pr->first_server_hello);
    sd_driver_run(&trace, &cfg, out);
    sd_trace_free(&trace);
    pr->p->connections++;
    return true;
}

static bool peer_sent(const sd_outcome *o, uint8_t type) {
    for (size_t i = 0; i < o->n_events; i++)
        if (o->events[i].from == SD_FROM_TARGET && o->events[i].kind == SD_EVENT_HANDSHAKE &&
            o->events[i].code == type)
            return true;
    return false;
}

/* Both sides sent their Finished: the peer took the whole handshake, up to
 * the exchange of data. */
static bool both_finished(const sd_outcome *o) {
    bool ours = false;
    for (size_t i = 0; i < o->n_events; i++)
        if (o->events[i].from == SD_FROM_PEER && o->events[i].kind == SD_EVENT_HANDSHAKE &&
            o->events[i].code == SD_Finished)
            ours = true;
    return ours && peer_sent(o, SD_Finished);
}

/* The peer answered something: not silent, and the run was not ended by
 * the harness (an "unsupported" from the driver's reading of a refusal is
 * an answer). */
static bool answered(const sd_outcome *o) {
    if (o->kind == SD_OUTCOME_HANG || o->kind == SD_OUTCOME_HARNESS_ERROR) return false;
    for (size_t i = 0; i < o->n_events; i++)
        if (o->events[i].from == SD_FROM_TARGET) return true;
    return false;
}

/* --- A server under test --------------------------------------------------- */

/* The ServerKeyExchange step of a TLS 1.2 suite (none for RSA key
 * exchange, RFC 5246 §7.4.3): awaited from a server under test, sent by
 * the driver to a client under test. */
static const char *kx_step(uint16_t suite, sd_role peer) {
    const sd_tls12_suite *s = sd_tls12_suite_find(suite);
    if (s && s->kx == SD_KX_RSA) return "";
    return peer == SD_ROLE_SERVER ? "expect ServerKeyExchange\n" : "send ServerKeyExchange\n";
}

/* The good fixture leaf the driver presents, as a server, in a TLS 1.2
 * suite: an RSA one for an RSA or ECDHE-RSA suite (RFC 5246 §7.4.2). */
static const char *credential_for(uint16_t suite) {
    const sd_tls12_suite *s = sd_tls12_suite_find(suite);
    return s && s->kx != SD_KX_ECDHE_ECDSA ? "leaf-rsa" : "leaf";
}

/* One handshake of `version` (and `suite` in TLS 1.2). with_auth: the
 * trace expects a CertificateRequest and answers it with `cert` (a
 * credential name, or NULL for the fixture's client) and its
 * CertificateVerify; without, an unplanned request gets an empty
 * Certificate from the driver. */
static void server_handshake(prober *pr, uint16_t version, uint16_t suite, bool with_auth, const char *cert,
                             sd_outcome *out) {
    char script[1024], opt[64] = "";
    if (cert) snprintf(opt, sizeof opt, " cert=%s", cert);
    if (version == SD_TLS13)
        snprintf(script, sizeof script, with_auth ? server13_auth : server13, opt, opt);
    else if (with_auth)
        snprintf(script, sizeof script, server12_auth, kx_step(suite, pr->role), opt, opt);
    else
        snprintf(script, sizeof script, server12, kx_step(suite, pr->role));
    question q = {.version = version,
                  .suite = suite,
                  .client_auth = with_auth ? SD_CLIENT_AUTH_REQUIRE : SD_CLIENT_AUTH_NONE};
    if (!ask(pr, &q, script, out)) out->kind = SD_OUTCOME_HARNESS_ERROR;
}

/* Tries the other application behaviours after a handshake that
 * completed but whose data exchange did not: the first that completes is
 * the server's, and the run uses it. */
static void find_app(prober *pr, uint16_t version, uint16_t suite, bool with_auth, sd_outcome *out) {
    static const sd_app_protocol order[] = {SD_APP_HTTP, SD_APP_ECHO, SD_APP_NONE};
    int tried = sd_tcp_app(pr->role);
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if ((int)order[i] == tried) continue;
        sd_tcp_use_app(pr->role, (int)order[i]);
        server_handshake(pr, version, suite, with_auth, NULL, out);
        if (out->kind == SD_OUTCOME_COMPLETED) {
            pr->p->app = (int)order[i];
            return;
        }
        if (!both_finished(out)) break;
    }
    sd_tcp_use_app(pr->role, SD_TCP_APP_DEFAULT);
}

/* Asks a version (and a TLS 1.2 suite) and learns the client
 * authentication policy on the way, if not known yet. Returns the
 * answer: whether the server speaks it (a ServerHello of it came back). */
static sd_probe_answer server_version(prober *pr, uint16_t version, uint16_t suite, bool detect_app) {
    sd_peer_profile *p = pr->p;
    sd_outcome o;
    bool with_auth = p->requires_certificate == SD_PROBE_YES;
    server_handshake(pr, version, suite, with_auth, NULL, &o);
    if (answered(&o)) p->reachable = true;
    /* Refused before a ServerHello: it does not speak this (the driver's
     * reading of the wire already calls a handshake_failure or
     * protocol_version to its honest ClientHello "unsupported"). */
    if (!peer_sent(&o, SD_ServerHello))
        return o.kind == SD_OUTCOME_ALERT || o.kind == SD_OUTCOME_CLOSED || o.kind == SD_OUTCOME_UNSUPPORTED
                   ? SD_PROBE_NO
                   : SD_PROBE_UNKNOWN;
    if (!with_auth && peer_sent(&o, SD_CertificateRequest)) {
        p->asks_certificate = SD_PROBE_YES;
        /* The driver answered the request it did not plan with an empty
         * Certificate (RFC 8446 §4.4.2, RFC 5246 §7.4.6). A server that
         * then completes only requests one; one that refuses requires it
         * (RFC 8446 §4.4.2.4, RFC 5246 §7.4.6: certificate_required or
         * handshake_failure, or a bare close). */
        if (both_finished(&o) || o.kind == SD_OUTCOME_COMPLETED) {
            p->requires_certificate = SD_PROBE_NO;
        } else if (o.kind == SD_OUTCOME_ALERT || o.kind == SD_OUTCOME_CLOSED) {
            p->requires_certificate = SD_PROBE_YES;
            with_auth = true;
            server_handshake(pr, version, suite, true, NULL, &o);
        }
    } else if (!with_auth && both_finished(&o) && p->asks_certificate == SD_PROBE_UNKNOWN) {
        p->asks_certificate = SD_PROBE_NO;
    }
    if (o.kind != SD_OUTCOME_COMPLETED && both_finished(&o) && detect_app && p->app < 0)
        find_app(pr, version, suite, with_auth, &o);
    if (o.kind == SD_OUTCOME_COMPLETED && !p->version) {
        p->version = o.version;
        p->cipher_suite = o.cipher_suite;
        p->group = o.group;
    }
    return SD_PROBE_YES;
}

/* Whether the peer sent a handshake message of `type` in connection `c`. */
static bool peer_sent_in(const sd_outcome *o, uint8_t type, uint8_t c) {
    for (size_t i = 0; i < o->n_events; i++)
        if (o->events[i].from == SD_FROM_TARGET && o->events[i].kind == SD_EVENT_HANDSHAKE &&
            o->events[i].code == type && o->events[i].connection == c)
            return true;
    return false;
}

/* Whether the server resumed the first connection's session in the
 * second: yes if the abbreviated handshake completed; no if it issued no
 * ticket where the form waits for one (the first connection finished
 * without it), or answered the offer with a full handshake (a Certificate
 * in the second connection); else not known. */
static sd_probe_answer resumed(const sd_outcome *o, bool waits_for_ticket) {
    if (o->kind == SD_OUTCOME_COMPLETED) return SD_PROBE_YES;
    if (peer_sent_in(o, SD_Certificate, 1)) return SD_PROBE_NO;
    if (waits_for_ticket && peer_sent_in(o, SD_Finished, 0) && !peer_sent_in(o, SD_NewSessionTicket, 0))
        return SD_PROBE_NO;
    return SD_PROBE_UNKNOWN;
}

/* What a scenario of several connections needs of the peer: that it
 * resumes the first connection's session, each version its own way, and
 * for a 0-RTT offer to a server, whether it takes early data. */
typedef enum {
    RESUMES_NOTHING,
    RESUMES_TLS13,        /* a TLS 1.3 ticket (RFC 8446 §2.2) */
    RESUMES_TLS12_ID,     /* a TLS 1.2 session id (RFC 5246 §7.4.1.2) */
    RESUMES_TLS12_TICKET, /* a TLS 1.2 ticket (RFC 5077 §3.1) */
    RESUMES_EARLY_DATA,   /* a TLS 1.3 ticket, and the 0-RTT offered with it (§4.2.10) */
    RESUMES_KINDS
} resumption_need;

static bool offers_early_data(const sd_scenario *s) {
    for (size_t i = 0; i < s->trace.n_actions; i++) {
        const sd_action *a = &s->trace.actions[i];
        for (size_t k = 0; a->kind == SD_ACT_SEND && k < a->n_mutations && k < SD_MAX_MUTATIONS; k++)
            if (a->mutations[k].kind == SD_MUT_EARLY_DATA) return true;
    }
    return false;
}

static resumption_need resumption_of(const sd_scenario *s) {
    if (sd_trace_connections(&s->trace) < 2) return RESUMES_NOTHING;
    if (s->version == SD_TLS12) return s->session_tickets ? RESUMES_TLS12_TICKET : RESUMES_TLS12_ID;
    return offers_early_data(s) ? RESUMES_EARLY_DATA : RESUMES_TLS13;
}

/* Asks what the scenarios need (need[k] for each resumption_need k).
 * `suite`: a TLS 1.2 suite the server accepts (0: the driver's offer). */
static void probe_resumption(prober *pr, const bool need[RESUMES_KINDS], uint16_t suite) {
    sd_peer_profile *p = pr->p;
    char script[1024];
    sd_outcome o;
    if ((need[RESUMES_TLS13] || need[RESUMES_EARLY_DATA]) && p->tls13 == SD_PROBE_YES) {
        snprintf(script, sizeof script, resume13, "", "");
        question q = {.version = SD_TLS13};
        if (ask(pr, &q, script, &o)) p->resumes13 = resumed(&o, true);
    }
    if (need[RESUMES_EARLY_DATA] && p->resumes13 == SD_PROBE_YES) {
        snprintf(script, sizeof script, resume13, " early-data", "send EndOfEarlyData\n");
        question q = {.version = SD_TLS13};
        /* It resumed (no Certificate in the second connection) and then
         * refused the EndOfEarlyData: its EncryptedExtensions had no
         * early_data, so it took no 0-RTT (§4.5: only "If the server sent
         * an "early_data" extension in EncryptedExtensions, the client
         * MUST send an EndOfEarlyData message"). */
        if (ask(pr, &q, script, &o)) {
            bool refused_after_resuming = peer_sent_in(&o, SD_ServerHello, 1) &&
                                          !peer_sent_in(&o, SD_Certificate, 1) &&
                                          (o.kind == SD_OUTCOME_ALERT || o.kind == SD_OUTCOME_CLOSED);
            p->accepts_early_data = o.kind == SD_OUTCOME_COMPLETED ? SD_PROBE_YES
                                    : refused_after_resuming       ? SD_PROBE_NO
                                                                   : SD_PROBE_UNKNOWN;
        }
    }
    if (p->tls12 != SD_PROBE_YES) return;
    if (need[RESUMES_TLS12_ID]) {
        snprintf(script, sizeof script, resume12, kx_step(suite, pr->role), "");
        question q = {.version = SD_TLS12, .suite = suite};
        if (ask(pr, &q, script, &o)) p->resumes12_id = resumed(&o, false);
    }
    if (need[RESUMES_TLS12_TICKET]) {
        snprintf(script, sizeof script, resume12, kx_step(suite, pr->role), "expect NewSessionTicket\n");
        question q = {.version = SD_TLS12, .suite = suite, .session_tickets = true};
        if (ask(pr, &q, script, &o)) p->resumes12_ticket = resumed(&o, true);
    }
}

static void add_suite(sd_peer_profile *p, uint16_t suite, sd_probe_answer a) {
    for (size_t i = 0; i < p->n_suites; i++)
        if (p->suites[i] == suite) return;
    if (p->n_suites == SD_PROBE_MAX_LIST) return;
    p->suites[p->n_suites] = suite;
    p->suite_ok[p->n_suites++] = a;
}

static sd_probe_answer *suite_answer(sd_peer_profile *p, uint16_t suite) {
    for (size_t i = 0; i < p->n_suites; i++)
        if (p->suites[i] == suite) return &p->suite_ok[i];
    return NULL;
}

static void probe_server(prober *pr, const sd_scenario *sc, size_t n, bool detect_app) {
    sd_peer_profile *p = pr->p;
    bool need13 = false, need12 = false, need_check[4] = {false}, need_resumption[RESUMES_KINDS] = {false};
    for (size_t i = 0; i < n; i++) {
        if (sc[i].role != SD_ROLE_SERVER) continue;
        need_resumption[resumption_of(&sc[i])] = true;
        if (sc[i].version == SD_TLS12) {
            need12 = true;
            /* The suite a TLS 1.2 scenario pins, if it does. */
            if (sc[i].cipher_suite) add_suite(p, sc[i].cipher_suite, SD_PROBE_UNKNOWN);
        } else {
            need13 = true;
        }
        /* A scenario that says which versions the server speaks
         * (`versions:`) needs both known, in or out of its range. */
        if (sc[i].min_version) need12 = need13 = true;
        if (sc[i].client_auth != SD_CLIENT_AUTH_NONE) need_check[check_of(shown_credential(&sc[i]))] = true;
    }
    if (need13) p->tls13 = server_version(pr, SD_TLS13, 0, detect_app);
    /* A server that answered nothing (each silence costs the first-answer
     * time limit) will answer no other question either. */
    if (need13 && !p->reachable) return;
    if (need12) {
        /* With the driver's own offer first (the scenarios that pin no
         * suite), then each suite a scenario pins: a TLS 1.2 server is one
         * that accepts any of them. */
        p->tls12 = server_version(pr, SD_TLS12, 0, detect_app);
        for (size_t i = 0; i < p->n_suites && p->reachable; i++) {
            p->suite_ok[i] = server_version(pr, SD_TLS12, p->suites[i], detect_app);
            if (p->suite_ok[i] == SD_PROBE_YES) p->tls12 = SD_PROBE_YES;
        }
    }
    /* A server that refused every honest handshake is not one set up
     * without some feature: it is broken, or no TLS server. */
    if (p->tls13 != SD_PROBE_YES && p->tls12 != SD_PROBE_YES) {
        p->refused_all = true;
        return;
    }
    /* Resumption, with the handshakes above (a server that requires a
     * client certificate is not asked: the forms have none to show). */
    uint16_t accepted12 = 0;
    for (size_t i = 0; i < p->n_suites && !accepted12; i++)
        if (p->suite_ok[i] == SD_PROBE_YES) accepted12 = p->suites[i];
    if (p->requires_certificate != SD_PROBE_YES) probe_resumption(pr, need_resumption, accepted12);
    /* Whether a server that asks verifies what it gets: a certificate from
     * an unknown CA, signed for with its own key (RFC 8446 §4.4.2.4: "If
     * the client Certificate message ... is not appropriate ... the server
     * MAY continue the handshake without client authentication or abort",
     * so going on is allowed only as if no certificate came; a server set
     * up to verify refuses it). */
    if (p->asks_certificate != SD_PROBE_YES) return;
    uint16_t version = p->tls13 == SD_PROBE_YES ? SD_TLS13 : SD_TLS12;
    uint16_t suite = 0;
    for (size_t i = 0; version == SD_TLS12 && i < p->n_suites; i++)
        if (p->suite_ok[i] == SD_PROBE_YES) suite = p->suites[i];
    if (version == SD_TLS12 && !suite) return;
    /* Each check with the client certificate that only it refuses; the
     * revocation check rests on a verified chain. */
    static const struct {
        cert_check check;
        const char *credential;
    } checks[] = {{CHECK_CHAIN, "unknown-ca"}, {CHECK_REVOCATION, "revoked"}};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        if (!need_check[checks[i].check] && !(checks[i].check == CHECK_CHAIN && need_check[CHECK_REVOCATION]))
            continue;
        if (checks[i].check != CHECK_CHAIN && p->checks_chain == SD_PROBE_NO) break;
        sd_outcome o;
        server_handshake(pr, version, suite, true, checks[i].credential, &o);
        sd_probe_answer a = o.kind == SD_OUTCOME_COMPLETED || both_finished(&o)         ? SD_PROBE_NO
                            : o.kind == SD_OUTCOME_ALERT || o.kind == SD_OUTCOME_CLOSED ? SD_PROBE_YES
                                                                                        : SD_PROBE_UNKNOWN;
        if (checks[i].check == CHECK_CHAIN)
            p->checks_chain = a;
        else
            p->checks_revocation = a;
    }
}

/* --- A client under test --------------------------------------------------- */

/* The client's ClientHello from the bytes it sent: the handshake records'
 * payloads joined until the first message is whole. */
/* Parses the ClientHello at the start of bytes into ch, which points into
 * msg (cap bytes). */
static bool client_hello_of(const sd_buf *bytes, uint8_t *msg, size_t cap, sd_client_hello *ch) {
    size_t have = 0, need = 0;
    for (size_t pos = 0; pos + 5 <= bytes->len;) {
        const uint8_t *h = bytes->data + pos;
        size_t len = (size_t)h[3] << 8 | h[4];
        if (pos + 5 + len > bytes->len) break;
        if (h[0] != SD_handshake) break;
        size_t take = len < cap - have ? len : cap - have;
        memcpy(msg + have, h + 5, take);
        have += take;
        pos += 5 + len;
        if (have >= 4) {
            need = 4 + ((size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3]);
            if (have >= need) break;
        }
    }
    uint8_t alert;
    return have >= 4 && msg[0] == SD_ClientHello && need <= have &&
           sd_parse_client_hello(sd_span_of(msg + 4, need - 4), ch, &alert);
}

static bool read_client_hello(const sd_buf *bytes, sd_peer_profile *p) {
    uint8_t msg[16384], alert;
    sd_client_hello ch;
    if (!client_hello_of(bytes, msg, sizeof msg, &ch)) return false;
    sd_u16_list list;
    for (size_t i = 0; i + 1 < ch.cipher_suites.len && p->n_suites < SD_PROBE_MAX_LIST; i += 2)
        add_suite(p, (uint16_t)(ch.cipher_suites.data[i] << 8 | ch.cipher_suites.data[i + 1]), SD_PROBE_YES);
    sd_span body;
    /* RFC 8446 §4.2.1: a client offering TLS 1.3 lists its versions in
     * supported_versions; without it, legacy_version is the one it
     * offers (RFC 5246 §7.4.1.2). */
    p->tls13 = p->tls12 = SD_PROBE_NO;
    if (sd_extensions_find(ch.extensions, SD_supported_versions, &body) &&
        sd_parse_supported_versions_ch(body, &list, &alert)) {
        if (sd_u16_list_contains(list, SD_TLS13)) p->tls13 = SD_PROBE_YES;
        if (sd_u16_list_contains(list, SD_TLS12)) p->tls12 = SD_PROBE_YES;
        p->offers_old_version = SD_PROBE_NO;
        for (size_t i = 0; i < sd_u16_list_count(list); i++) {
            uint16_t v = sd_u16_list_at(list, i);
            if (v >= 0x0300 && v < SD_TLS12) p->offers_old_version = SD_PROBE_YES;
        }
    } else {
        if (ch.legacy_version >= SD_TLS12) p->tls12 = SD_PROBE_YES;
        p->offers_old_version = ch.legacy_version < SD_TLS12 ? SD_PROBE_YES : SD_PROBE_NO;
    }
    if (sd_extensions_find(ch.extensions, SD_supported_groups, &body) &&
        sd_u16_list_parse(body, 2, true, &list, &alert))
        for (size_t i = 0; i < sd_u16_list_count(list) && p->n_groups < SD_PROBE_MAX_LIST; i++)
            p->groups[p->n_groups++] = sd_u16_list_at(list, i);
    if (sd_extensions_find(ch.extensions, SD_signature_algorithms, &body) &&
        sd_u16_list_parse(body, 2, true, &list, &alert))
        for (size_t i = 0; i < sd_u16_list_count(list) && p->n_sigalgs < SD_PROBE_MAX_LIST; i++)
            p->sigalgs[p->n_sigalgs++] = sd_u16_list_at(list, i);
    return true;
}

/* The first TLS 1.2 suite of the client's offer that the driver runs;
 * ecdsa: one for the fixture's ECDSA leaves (the certificates a check is
 * asked with). */
static uint16_t client_suite12(const sd_peer_profile *p, bool ecdsa) {
    for (size_t i = 0; i < p->n_suites; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(p->suites[i]);
        if (s && (!ecdsa || s->kx == SD_KX_ECDHE_ECDSA)) return s->id;
    }
    return 0;
}

/* One handshake with the driver as the server of `version`, showing
 * `credential` (NULL: the fixture's good leaf that fits); with_auth asks
 * for the client's certificate. In TLS 1.2 the suite is the client's first
 * that the driver runs and whose key exchange fits the credential. False
 * if there is none: the question cannot be asked. */
static bool client_handshake(prober *pr, uint16_t version, const char *credential, bool with_auth,
                             sd_outcome *out) {
    char script[1024];
    uint16_t suite = 0;
    if (version == SD_TLS13) {
        snprintf(script, sizeof script, "%s", with_auth ? client13_auth : client13);
    } else {
        suite = client_suite12(pr->p, credential != NULL);
        if (!suite) return false;
        snprintf(script, sizeof script, with_auth ? client12_auth : client12, kx_step(suite, pr->role));
        if (!credential) credential = credential_for(suite);
    }
    question q = {.version = version,
                  .suite = suite,
                  .client_auth = with_auth ? SD_CLIENT_AUTH_REQUEST : SD_CLIENT_AUTH_NONE,
                  .credential = credential};
    if (!ask(pr, &q, script, out)) return false;
    return true;
}

/* The session id of the ServerHello at the start of bytes (RFC 5246
 * §7.4.1.3), empty if none. */
static sd_span server_hello_session_id(const sd_buf *bytes) {
    sd_server_hello sh;
    uint8_t alert;
    if (bytes->len < 9) return sd_span_of(NULL, 0);
    size_t len = (size_t)bytes->data[6] << 16 | (size_t)bytes->data[7] << 8 | bytes->data[8];
    if (bytes->len - 9 < len || !sd_parse_server_hello(sd_span_of(bytes->data + 9, len), &sh, &alert))
        return sd_span_of(NULL, 0);
    return sh.legacy_session_id_echo;
}

/* Whether the client resumed the first connection's session in the
 * second: yes if the abbreviated handshake completed; no if its second
 * ClientHello did not offer the session (a TLS 1.3 pre_shared_key, RFC
 * 8446 §4.2.11; a TLS 1.2 ticket in session_ticket, RFC 5077 §3.2; the
 * session id the first ServerHello gave, RFC 5246 §7.4.1.2); a client
 * that offered it and then failed is not known (that may be a finding). */
static sd_probe_answer client_resumed(const prober *pr, const sd_outcome *o, resumption_need need) {
    if (o->kind == SD_OUTCOME_COMPLETED) return SD_PROBE_YES;
    if (o->connections < 2) return SD_PROBE_UNKNOWN;
    uint8_t msg[16384];
    sd_client_hello ch;
    if (!client_hello_of(&pr->last_hello, msg, sizeof msg, &ch)) return SD_PROBE_UNKNOWN;
    sd_span body;
    bool offered;
    if (need == RESUMES_TLS12_ID) {
        sd_span id = server_hello_session_id(&pr->first_server_hello);
        offered = id.len > 0 && sd_span_eq(id, ch.legacy_session_id);
    } else {
        uint16_t type = need == RESUMES_TLS12_TICKET ? SD_session_ticket : SD_pre_shared_key;
        offered = sd_extensions_find(ch.extensions, type, &body) && body.len > 0;
    }
    return offered ? SD_PROBE_UNKNOWN : SD_PROBE_NO;
}

/* Asks a client what the scenarios need (need[k] for each
 * resumption_need k), with `suite` for TLS 1.2 (0: none it takes). A
 * client given no way to hand its session over (--client-resume-cmd) is
 * not asked: the tcp target already says so for each scenario. */
static void probe_client_resumption(prober *pr, const bool need[RESUMES_KINDS], uint16_t suite) {
    sd_peer_profile *p = pr->p;
    char script[1024];
    sd_outcome o;
    if (!sd_tcp_hands_over_sessions()) return;
    if ((need[RESUMES_TLS13] || need[RESUMES_EARLY_DATA]) && p->tls13 == SD_PROBE_YES) {
        question q = {.version = SD_TLS13};
        if (ask(pr, &q, client_resume13, &o)) p->resumes13 = client_resumed(pr, &o, RESUMES_TLS13);
    }
    if (p->tls12 != SD_PROBE_YES || !suite) return;
    for (resumption_need k = RESUMES_TLS12_ID; k <= RESUMES_TLS12_TICKET; k++) {
        if (!need[k]) continue;
        bool ticket = k == RESUMES_TLS12_TICKET;
        snprintf(script, sizeof script, client_resume12, ticket ? " add-ext=session_ticket" : "",
                 kx_step(suite, pr->role), ticket ? "send NewSessionTicket\n" : "");
        question q = {.version = SD_TLS12,
                      .suite = suite,
                      .credential = credential_for(suite),
                      .session_tickets = ticket};
        if (!ask(pr, &q, script, &o)) continue;
        sd_probe_answer a = client_resumed(pr, &o, k);
        if (ticket)
            p->resumes12_ticket = a;
        else
            p->resumes12_id = a;
    }
}

static void probe_client(prober *pr, const sd_scenario *sc, size_t n) {
    sd_peer_profile *p = pr->p;
    bool need_auth = false, need[4] = {false}, need_resumption[RESUMES_KINDS] = {false};
    for (size_t i = 0; i < n; i++) {
        if (sc[i].role != SD_ROLE_CLIENT) continue;
        need_resumption[resumption_of(&sc[i])] = true;
        if (sc[i].client_auth != SD_CLIENT_AUTH_NONE) need_auth = true;
        need[check_of(shown_credential(&sc[i]))] = true;
    }
    /* The first connection: its ClientHello says what the client offers. */
    sd_outcome o;
    client_handshake(pr, SD_TLS13, NULL, false, &o);
    if (answered(&o)) p->reachable = true;
    if (!read_client_hello(&pr->from_peer, p)) {
        p->tls13 = p->tls12 = SD_PROBE_UNKNOWN;
        return;
    }
    uint16_t version = 0;
    if (p->tls13 == SD_PROBE_YES && o.kind == SD_OUTCOME_COMPLETED) version = SD_TLS13;
    if (p->tls12 == SD_PROBE_YES) {
        sd_outcome o12;
        if (client_handshake(pr, SD_TLS12, NULL, false, &o12) && !version &&
            o12.kind == SD_OUTCOME_COMPLETED) {
            version = SD_TLS12;
            o = o12;
        }
    }
    if (!version) return; /* no honest handshake completed: nothing more can be told */
    p->version = o.version;
    p->cipher_suite = o.cipher_suite;
    p->group = o.group;
    probe_client_resumption(pr, need_resumption, client_suite12(p, false));
    if (need_auth && client_handshake(pr, version, NULL, true, &o)) {
        /* RFC 8446 §4.4.2, RFC 5246 §7.4.6: a client with a certificate
         * sends it, then a CertificateVerify; one without sends an empty
         * Certificate and no CertificateVerify. */
        if (peer_sent(&o, SD_CertificateVerify))
            p->shows_certificate = SD_PROBE_YES;
        else if (peer_sent(&o, SD_Certificate))
            p->shows_certificate = SD_PROBE_NO;
    }
    /* Each check with the certificate that only it refuses. A client that
     * completes with it does not make that check; one that refuses does. */
    static const struct {
        cert_check check;
        const char *credential;
    } checks[] = {{CHECK_CHAIN, "unknown-ca"}, {CHECK_NAME, "wrong-name"}, {CHECK_REVOCATION, "revoked"}};
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        if (!need[checks[i].check]) continue;
        /* A client that verifies no chain makes no check that rests on one. */
        if (checks[i].check != CHECK_CHAIN && p->checks_chain == SD_PROBE_NO) break;
        if (!client_handshake(pr, version, checks[i].credential, false, &o)) continue;
        sd_probe_answer a = o.kind == SD_OUTCOME_COMPLETED                              ? SD_PROBE_NO
                            : o.kind == SD_OUTCOME_ALERT || o.kind == SD_OUTCOME_CLOSED ? SD_PROBE_YES
                                                                                        : SD_PROBE_UNKNOWN;
        if (checks[i].check == CHECK_CHAIN)
            p->checks_chain = a;
        else if (checks[i].check == CHECK_NAME)
            p->checks_name = a;
        else
            p->checks_revocation = a;
    }
}

void sd_probe_peer(const sd_target_ops *stack, sd_role role, const sd_scenario *scenarios, size_t n,
                   const sd_pki *pki, int64_t now, uint64_t seed, bool detect_app, sd_peer_profile *out) {
    memset(out, 0, sizeof *out);
    out->role = role;
    out->app = -1;
    prober pr = {.stack = stack, .role = role, .pki = pki, .now = now, .seed = seed, .p = out};
    sd_buf_init(&pr.from_peer);
    sd_buf_init(&pr.last_hello);
    sd_buf_init(&pr.first_server_hello);
    if (role == SD_ROLE_SERVER)
        probe_server(&pr, scenarios, n, detect_app);
    else
        probe_client(&pr, scenarios, n);
    sd_buf_free(&pr.from_peer);
    sd_buf_free(&pr.last_hello);
    sd_buf_free(&pr.first_server_hello);
    if (out->app < 0) out->app = sd_tcp_app(role);
    out->round_trip_ms = sd_tcp_quiet_ms();
    out->done = true;
}

/* --- Judging a scenario against the profile ------------------------------- */

static bool has_tag(const sd_scenario *s, const char *tag) {
    for (size_t i = 0; i < s->n_tags; i++)
        if (strcmp(s->tags[i], tag) == 0) return true;
    return false;
}

static const char *version_name(uint16_t v) { return v == SD_TLS12 ? "TLS 1.2" : "TLS 1.3"; }

/* The scenario tests a server's answer to its very first message (a
 * malformed ClientHello, another message in its place, an alert): the
 * server judges that before it chooses a version or a suite, so one that
 * lacks the scenario's still answers what is tested. */
static bool tests_first_message(const sd_scenario *s) {
    return s->role == SD_ROLE_SERVER && sd_scenario_step_under_test(s) == 0;
}

/* A scenario of several connections tests what the server does with the
 * session it resumes (or the 0-RTT with it): against a server that does
 * not resume, its second connection is a full handshake and tests nothing
 * of that. A scenario that offers 0-RTT to a server set up without it
 * (`early-data:` absent: it must refuse it) needs one that refuses it. */
static bool lacks_resumption(const sd_peer_profile *p, const sd_scenario *s, char *why, size_t len) {
    resumption_need need = resumption_of(s);
    sd_probe_answer resumes = need == RESUMES_TLS12_ID       ? p->resumes12_id
                              : need == RESUMES_TLS12_TICKET ? p->resumes12_ticket
                              : need != RESUMES_NOTHING      ? p->resumes13
                                                             : SD_PROBE_UNKNOWN;
    const char *how = need == RESUMES_TLS12_ID       ? "by its TLS 1.2 session id"
                      : need == RESUMES_TLS12_TICKET ? "from its TLS 1.2 ticket (RFC 5077)"
                                                     : "from its TLS 1.3 ticket";
    if (resumes == SD_PROBE_NO && s->role == SD_ROLE_SERVER) {
        snprintf(why, len,
                 "probe: the server did not resume a session %s in a second connection, and this "
                 "scenario tests what it does with one it resumes",
                 how);
        return true;
    }
    if (resumes == SD_PROBE_NO) {
        snprintf(why, len,
                 "probe: the client did not offer, in a second connection, the session of the first %s "
                 "(does --client-resume-cmd hand it {session-in}?), and this scenario tests what it does "
                 "with a session it resumes",
                 how);
        return true;
    }
    if (need == RESUMES_EARLY_DATA && p->accepts_early_data == (s->early_data ? SD_PROBE_NO : SD_PROBE_YES)) {
        snprintf(why, len,
                 "probe: the server %s 0-RTT with its ticket, and this scenario needs one set up %s it",
                 s->early_data ? "refused" : "accepted", s->early_data ? "to accept" : "without");
        return true;
    }
    return false;
}

bool sd_peer_profile_lacks(const sd_peer_profile *p, const sd_scenario *s, char *why, size_t len) {
    /* A peer that answered no honest handshake told nothing: it is broken
     * or no TLS peer, and its scenarios must run to show it. */
    if (!p || !p->done || p->role != s->role || !p->reachable || p->refused_all) return false;
    const char *peer = s->role == SD_ROLE_SERVER ? "server" : "client";
    uint16_t version = s->version ? s->version : SD_TLS13;
    sd_probe_answer speaks = version == SD_TLS12 ? p->tls12 : p->tls13;
    /* `versions:`: the peer over TCP speaks the versions it was started
     * with, which must be the scenario's (a client that offers TLS 1.3 is
     * held to RFC 8446 §4.1.3's downgrade check, a TLS 1.2-only one is
     * not; a server that speaks TLS 1.3 marks a TLS 1.2 ServerHello). Even
     * where the first message is the step under test: the version a server
     * chooses for it may be the point. */
    for (uint16_t v = SD_TLS12; s->min_version && v <= SD_TLS13; v++) {
        sd_probe_answer a = v == SD_TLS12 ? p->tls12 : p->tls13;
        bool in_range = v >= s->min_version && v <= s->max_version;
        if (a == (in_range ? SD_PROBE_NO : SD_PROBE_YES)) {
            snprintf(why, len, "probe: the %s %s %s, and this scenario needs one set up for TLS %s%s%s", peer,
                     in_range ? (s->role == SD_ROLE_SERVER ? "does not accept" : "does not offer")
                              : (s->role == SD_ROLE_SERVER ? "accepts" : "offers"),
                     version_name(v), s->min_version == SD_TLS12 ? "1.2" : "1.3",
                     s->min_version == s->max_version ? "" : "-",
                     s->min_version == s->max_version ? ""
                     : s->max_version == SD_TLS12     ? "1.2"
                                                      : "1.3");
            return true;
        }
    }
    if (tests_first_message(s)) return false;
    if (speaks == SD_PROBE_NO) {
        snprintf(why, len, "probe: the %s does not %s %s", peer,
                 s->role == SD_ROLE_SERVER ? "accept" : "offer", version_name(version));
        return true;
    }
    if (version == SD_TLS12 && s->cipher_suite) {
        sd_probe_answer *a = suite_answer((sd_peer_profile *)p, s->cipher_suite);
        const char *name = sd_cipher_suite_name(s->cipher_suite);
        if ((s->role == SD_ROLE_SERVER && a && *a == SD_PROBE_NO) ||
            (s->role == SD_ROLE_CLIENT && p->n_suites && !a)) {
            snprintf(why, len, "probe: the %s does not %s %s", peer,
                     s->role == SD_ROLE_SERVER ? "accept" : "offer", name ? name : "this scenario's suite");
            return true;
        }
    }
    if (s->role == SD_ROLE_SERVER && s->client_auth != SD_CLIENT_AUTH_NONE) {
        if (p->asks_certificate == SD_PROBE_NO) {
            snprintf(why, len, "probe: the server does not ask for a client certificate");
            return true;
        }
        /* Only a server that requires a certificate must refuse an empty
         * one (RFC 8446 §4.4.2.4, RFC 5246 §7.4.6). */
        if (p->requires_certificate == SD_PROBE_NO && sends_empty_certificate(s)) {
            snprintf(why, len,
                     "probe: the server only requests a client certificate (it went on without one), and "
                     "this scenario needs one that requires it");
            return true;
        }
    }
    if (s->role == SD_ROLE_CLIENT && s->client_auth != SD_CLIENT_AUTH_NONE &&
        p->shows_certificate == SD_PROBE_NO) {
        snprintf(why, len,
                 "probe: the client answered a CertificateRequest with an empty Certificate; this scenario "
                 "needs a client with the fixture's client certificate");
        return true;
    }
    if (s->role == SD_ROLE_CLIENT && p->offers_old_version == SD_PROBE_YES && has_tag(s, "old-version")) {
        snprintf(why, len,
                 "probe: the client offers versions below TLS 1.2, so a ServerHello choosing one is not "
                 "a version it refuses (set it up for TLS 1.2 and up to judge this)");
        return true;
    }
    if (lacks_resumption(p, s, why, len)) return true;
    cert_check check = check_of(shown_credential(s));
    const char *shown = shown_credential(s);
    if (check != CHECK_NONE && p->checks_chain == SD_PROBE_NO) {
        snprintf(why, len,
                 "probe: the %s accepted a certificate from an unknown CA, so it verifies no certificate "
                 "chain, and its answer to '%s' would test nothing (trust the fixture root to judge it)",
                 peer, shown);
        return true;
    }
    if (check == CHECK_NAME && p->checks_name == SD_PROBE_NO) {
        snprintf(why, len,
                 "probe: the client accepted a certificate for another name, so it checks no host "
                 "name (give it the name %s to check)",
                 SD_PKI_SERVER_NAME);
        return true;
    }
    if (check == CHECK_REVOCATION && p->checks_revocation == SD_PROBE_NO) {
        snprintf(why, len,
                 "probe: the %s accepted a certificate the fixture's CRL revokes, so it checks no "
                 "revocation (give it crl.pem to judge it)",
                 peer);
        return true;
    }
    return false;
}

/* --- The summary ------------------------------------------------------------ */

static const char *answer_word(sd_probe_answer a, const char *yes, const char *no) {
    return a == SD_PROBE_YES ? yes : a == SD_PROBE_NO ? no : "not known";
}

static void put_list(sd_buf *out, const char *label, const uint16_t *v, size_t n,
                     const char *(*name)(unsigned)) {
    if (!n) return;
    sd_buf_appendf(out, "  %s:", label);
    for (size_t i = 0; i < n; i++) {
        const char *s = name(v[i]);
        if (s)
            sd_buf_appendf(out, " %s", s);
        else
            sd_buf_appendf(out, " 0x%04x", v[i]);
    }
    sd_buf_appendf(out, "\n");
}

void sd_peer_profile_describe(const sd_peer_profile *p, sd_buf *out) {
    if (!p->done) return;
    bool server = p->role == SD_ROLE_SERVER;
    sd_buf_appendf(out, "probe of the %s (%u connection%s):\n", server ? "server" : "client", p->connections,
                   p->connections == 1 ? "" : "s");
    if (!p->reachable) {
        sd_buf_appendf(out, "  no answer to an honest handshake: nothing is skipped\n");
        return;
    }
    if (p->refused_all) {
        sd_buf_appendf(out, "  refused every honest handshake: nothing is skipped\n");
        return;
    }
    const char *yes = server ? "accepted" : "offered", *no = server ? "refused" : "not offered";
    sd_buf_appendf(out, "  TLS 1.3 %s, TLS 1.2 %s\n", answer_word(p->tls13, yes, no),
                   answer_word(p->tls12, yes, no));
    if (p->version) {
        const char *suite = sd_cipher_suite_name(p->cipher_suite), *group = sd_group_name(p->group);
        sd_buf_appendf(out, "  first honest handshake: %s, %s%s%s\n", version_name(p->version),
                       suite ? suite : "?", group ? ", " : "", group ? group : "");
    }
    if (server) {
        for (size_t i = 0; i < p->n_suites; i++) {
            const char *name = sd_cipher_suite_name(p->suites[i]);
            sd_buf_appendf(out, "  TLS 1.2 %s: %s\n", name ? name : "?",
                           answer_word(p->suite_ok[i], yes, no));
        }
        if (p->asks_certificate != SD_PROBE_UNKNOWN)
            sd_buf_appendf(out, "  client certificate: %s\n",
                           p->asks_certificate == SD_PROBE_NO        ? "not asked for"
                           : p->requires_certificate == SD_PROBE_YES ? "required"
                           : p->requires_certificate == SD_PROBE_NO  ? "requested (it goes on without one)"
                                                                     : "asked for");
        if (p->app >= 0)
            sd_buf_appendf(out, "  application data: %s\n",
                           p->app == SD_APP_HTTP   ? "HTTP"
                           : p->app == SD_APP_ECHO ? "echo"
                                                   : "none");
    } else {
        put_list(out, "suites offered", p->suites, p->n_suites, sd_cipher_suite_name);
        put_list(out, "groups offered", p->groups, p->n_groups, sd_group_name);
        put_list(out, "signature schemes offered", p->sigalgs, p->n_sigalgs, sd_signature_scheme_name);
        if (p->offers_old_version == SD_PROBE_YES) sd_buf_appendf(out, "  offers TLS 1.1 or older too\n");
        if (p->shows_certificate != SD_PROBE_UNKNOWN)
            sd_buf_appendf(out, "  shows a client certificate when asked: %s\n",
                           answer_word(p->shows_certificate, "yes", "no"));
    }
    /* Resumption: a server asked to resume a session the driver offers, a
     * client handed its own by --client-resume-cmd. */
    const struct {
        const char *what;
        sd_probe_answer answer;
    } resumption[] = {
        {"resumes a TLS 1.3 session (ticket)", p->resumes13},
        {"accepts 0-RTT", p->accepts_early_data},
        {"resumes a TLS 1.2 session by id", p->resumes12_id},
        {"resumes a TLS 1.2 session from a ticket", p->resumes12_ticket},
    };
    for (size_t i = 0; i < sizeof resumption / sizeof resumption[0]; i++)
        if (resumption[i].answer != SD_PROBE_UNKNOWN)
            sd_buf_appendf(out, "  %s: %s\n", resumption[i].what,
                           answer_word(resumption[i].answer, "yes", "no"));
    if (p->checks_chain != SD_PROBE_UNKNOWN)
        sd_buf_appendf(out, "  verifies the %s certificate chain: %s\n", server ? "client's" : "server's",
                       answer_word(p->checks_chain, "yes", "NO (it accepted an unknown CA)"));
    if (p->checks_name != SD_PROBE_UNKNOWN)
        sd_buf_appendf(out, "  checks the host name: %s\n", answer_word(p->checks_name, "yes", "NO"));
    if (p->checks_revocation != SD_PROBE_UNKNOWN)
        sd_buf_appendf(out, "  checks revocation: %s\n", answer_word(p->checks_revocation, "yes", "NO"));
    sd_buf_appendf(out, "  quiet window: %.0f ms\n", p->round_trip_ms);
}
