/* shim_wolfssl.c — wolfSSL behind the shim contract (docs/shim-contract.md).
 *
 * I/O goes through wolfSSL's receive/send callbacks into the shim's memory
 * queues; an empty queue is WOLFSSL_CBIO_ERR_WANT_READ, which wolfSSL reports
 * as WOLFSSL_ERROR_WANT_READ. Alerts come from wolfSSL's alert history (the
 * last one sent and received).
 *
 * Resumption, when the harness asks: a server's tickets are sealed by
 * wolfSSL's own default ticket callback, keyed per WOLFSSL_CTX, and its TLS
 * 1.2 sessions go to wolfSSL's internal session cache; both outlive the
 * connection for the next (NEXT). A client hands its session over with
 * wolfSSL_i2d_SSL_SESSION and takes it back with wolfSSL_d2i_SSL_SESSION.
 *
 * What wolfSSL keeps for the whole process, and how destroy() gives it
 * back, so that a run in process (the wolfssl-inprocess target) starts
 * from a clean state and leaves nothing to the next or to BoringSSL and
 * the model: wolfCrypt's clock (wc_SetTimeCb; wolfSSL's own, never libc's
 * time()) is the run's validation time while a context lives and
 * wolfCrypt's default again after the last one goes; the session cache is
 * one table for the process (ssl.c's SessionCache, shared by every
 * WOLFSSL_CTX), which this wolfSSL cannot empty (wolfSSL_flush_sessions
 * does nothing, wolfSSL_CTX_flush_sessions is not built), so destroy()
 * evicts the session of every connection of the run by its id
 * (wolfSSL_SSL_CTX_remove_session). */
#include <wolfssl/options.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/dh.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shim/shim_stack.h"

typedef struct {
    WOLFSSL_CTX *ctx;
    WOLFSSL *ssl;
    shim_conn *c;
    shim_role role;
    const shim_opts *o; /* lives as long as the stack (until destroy) */
    bool closed;
    /* The sessions of this context's connections, one reference each, for
     * destroy() to evict from the process-wide cache. */
    WOLFSSL_SESSION **sessions;
    size_t n_sessions, cap_sessions;
} wolf;

/* Certificate dates are checked against wolfCrypt's clock, one for the
 * process: while a context lives it is set to the harness's validation
 * time (a run has one wolfSSL context at a time), and the last context to
 * go gives wolfCrypt its default back. */
static time_t fixed_time;
static unsigned live_contexts;
static time_t clock_at_fixed_time(time_t *t) {
    if (t) *t = fixed_time;
    return fixed_time;
}

/* Keeps a reference to the session of w's connection, if it has one, for
 * the eviction at destroy(). False if out of memory. */
static bool remember_session(wolf *w) {
    if (w->ssl == NULL) return true;
    WOLFSSL_SESSION *sess = wolfSSL_get1_session(w->ssl);
    if (sess == NULL) return true;
    if (w->n_sessions == w->cap_sessions) {
        size_t cap = w->cap_sessions ? 2 * w->cap_sessions : 4;
        WOLFSSL_SESSION **p = realloc(w->sessions, cap * sizeof *p);
        if (p == NULL) {
            wolfSSL_SESSION_free(sess);
            return false;
        }
        w->sessions = p;
        w->cap_sessions = cap;
    }
    w->sessions[w->n_sessions++] = sess;
    return true;
}

/* With --crl, the fixture PKI has a CRL for some issuers only (its
 * intermediate's): a certificate whose issuer has none is not checked for
 * revocation, as in the model, rather than refused for the missing CRL. */
static int verify_cb(int ok, WOLFSSL_X509_STORE_CTX *store) {
    if (!ok && wolfSSL_X509_STORE_CTX_get_error(store) == CRL_MISSING) return 1;
    return ok;
}

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx) {
    (void)ssl;
    wolf *w = ctx;
    size_t n = sz > 0 ? shim_read(w->c, buf, (size_t)sz) : 0;
    /* Not end of stream: the peer may send more later. */
    return n == 0 ? WOLFSSL_CBIO_ERR_WANT_READ : (int)n;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx) {
    (void)ssl;
    wolf *w = ctx;
    if (sz > 0) shim_write(w->c, buf, (size_t)sz);
    return sz;
}

typedef struct {
    char list[256];
    char bad[128];
} name_list;

/* wolfSSL's names of a signature scheme (wolfSSL_set1_sigalgs_list:
 * <signature>+<hash>, OpenSSL 1.0.2's spelling of TLS 1.2's pairs, RFC
 * 5246 §7.4.1.4.1). wolfSSL's "RSA-PSS+SHA256" is rsa_pss_rsae_sha256
 * then rsa_pss_pss_sha256 (0804 0809 on the wire), so a list has both, in
 * that order, or neither; either alone cannot be sent: unsupported. The
 * other RSA-PSS hashes would come in such pairs too, but the shims have no
 * name for rsa_pss_pss_sha384 or _sha512. */
typedef struct {
    name_list l;
    bool pending_pss; /* rsa_pss_rsae_sha256 was the last: rsa_pss_pss_sha256 must follow */
} sigalg_list;

static bool add_sigalg(const char *item, void *ctx) {
    sigalg_list *sl = ctx;
    static const struct {
        uint16_t id;
        const char *name; /* NULL: the second of a pair, named by the first */
    } names[] = {
        {0x0401, "RSA+SHA256"},     {0x0501, "RSA+SHA384"},   {0x0601, "RSA+SHA512"},
        {0x0403, "ECDSA+SHA256"},   {0x0503, "ECDSA+SHA384"}, {0x0603, "ECDSA+SHA512"},
        {0x0807, "ED25519"},        {0x0201, "RSA+SHA1"},     {0x0203, "ECDSA+SHA1"},
        {0x0804, "RSA-PSS+SHA256"}, {0x0809, NULL},
    };
    uint16_t id = shim_sigalg_id(item);
    if (sl->pending_pss) {
        sl->pending_pss = false;
        if (id == 0x0809) return true; /* rsa_pss_pss_sha256, sent with rsa_pss_rsae_sha256 */
        snprintf(sl->l.bad, sizeof sl->l.bad, "rsa_pss_rsae_sha256 followed by %s", item);
        return false;
    }
    for (size_t i = 0; id && i < sizeof names / sizeof names[0]; i++) {
        if (names[i].id != id || names[i].name == NULL) continue;
        size_t n = strlen(sl->l.list);
        snprintf(sl->l.list + n, sizeof sl->l.list - n, "%s%s", n ? ":" : "", names[i].name);
        sl->pending_pss = id == 0x0804;
        return true;
    }
    snprintf(sl->l.bad, sizeof sl->l.bad, "%s", item);
    return false;
}

static bool add_group(const char *item, void *ctx) {
    name_list *l = ctx;
    /* wolfSSL's OpenSSL-compatible names: P-256 style curves by NIST name. */
    static const char *const names[][2] = {
        {"secp256r1", "P-256"}, {"secp384r1", "P-384"}, {"secp521r1", "P-521"},
        {"x25519", "X25519"},   {"x448", "X448"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i][0], item) == 0) {
            size_t n = strlen(l->list);
            snprintf(l->list + n, sizeof l->list - n, "%s%s", n ? ":" : "", names[i][1]);
            return true;
        }
    }
    snprintf(l->bad, sizeof l->bad, "%s", item);
    return false;
}

/* Cipher suites by their two-byte IANA ids, which wolfSSL takes as they are
 * (wolfSSL_CTX_set_cipher_list_bytes), so no name mapping can go wrong. */
typedef struct {
    unsigned char bytes[64];
    int n;
    char bad[128];
} suite_bytes;

static bool add_suite(const char *item, void *ctx) {
    suite_bytes *l = ctx;
    uint16_t id = shim_cipher_id(item);
    if (id == 0 || l->n + 2 > (int)sizeof l->bytes) {
        snprintf(l->bad, sizeof l->bad, "%s", item);
        return false;
    }
#ifndef WOLFSSL_STATIC_RSA
    /* A build without WOLFSSL_STATIC_RSA (Debian's) has no static RSA key
     * exchange: wolfSSL_CTX_set_cipher_list_bytes takes the id anyway and
     * every handshake then fails with "can't match cipher suite". Refused
     * here, so the scenario is SKIP for what it is. */
    if (strncmp(item, "TLS_RSA_WITH_", 13) == 0) {
        snprintf(l->bad, sizeof l->bad, "%s (this wolfSSL is built without WOLFSSL_STATIC_RSA)", item);
        return false;
    }
#endif
    l->bytes[l->n++] = (unsigned char)(id >> 8);
    l->bytes[l->n++] = (unsigned char)id;
    return true;
}

/* RFC 5280 §6.3: a listed leaf fails with CRL_CERT_REVOKED. wolfSSL checks
 * a CRL's signature when it loads it, against its CA table, and the CRL's
 * issuer (the fixture's intermediate) is no trust anchor: so the issuer is
 * a CA just while the CRL loads, and the CA table is emptied before the
 * trust anchors go in. The CRL is checked for leaves only. */
/* RFC 7919 Appendix A.1's ffdhe2048, as wolfSSL itself holds it, for one
 * connection. Per connection rather than on the context: wolfSSL proves
 * the prime of context parameters at once (about 47 ms here, for every
 * server made), and of a connection's only when a DHE suite is chosen,
 * with the same check (dhDoKeyTest). */
static bool set_ffdhe2048(WOLFSSL *ssl) {
    const DhParams *dh = wc_Dh_ffdhe2048_Get();
    return dh && wolfSSL_SetTmpDH(ssl, dh->p, (int)dh->p_len, dh->g, (int)dh->g_len) == WOLFSSL_SUCCESS;
}

static bool load_crl(wolf *w, const char *crl, const char *issuer) {
    return (issuer == NULL || wolfSSL_CTX_load_verify_locations(w->ctx, issuer, NULL) == WOLFSSL_SUCCESS) &&
           wolfSSL_CTX_EnableCRL(w->ctx, 0) == WOLFSSL_SUCCESS &&
           wolfSSL_CTX_LoadCRLFile(w->ctx, crl, WOLFSSL_FILETYPE_PEM) == WOLFSSL_SUCCESS &&
           wolfSSL_CTX_UnloadCAs(w->ctx) == WOLFSSL_SUCCESS;
}

static void wolf_destroy(void *p);

/* One connection (WOLFSSL) on w->ctx. */
static bool new_connection(wolf *w, char *err, size_t err_len) {
    const shim_opts *o = w->o;
    if (!remember_session(w)) {
        snprintf(err, err_len, "out of memory");
        return false;
    }
    wolfSSL_free(w->ssl);
    w->ssl = NULL;
    w->closed = false;
    w->ssl = wolfSSL_new(w->ctx);
    if (w->ssl == NULL) {
        snprintf(err, err_len, "cannot create WOLFSSL");
        return false;
    }
    wolfSSL_SetIOReadCtx(w->ssl, w);
    wolfSSL_SetIOWriteCtx(w->ssl, w);
    /* A server offers the DHE_RSA suites with RFC 7919's ffdhe2048 (wolfSSL
     * has none by default, so it would have no DHE suite to choose, RFC
     * 5246 §7.4.3). */
    if (o->role == SHIM_SERVER && !set_ffdhe2048(w->ssl)) {
        snprintf(err, err_len, "cannot set the DHE parameters");
        return false;
    }
    /* encrypt_then_mac (RFC 7366): wolfSSL offers and accepts it unless
     * disallowed (Debian's build has HAVE_ENCRYPT_THEN_MAC). */
    if (o->encrypt_then_mac != SHIM_SWITCH_DEFAULT &&
        wolfSSL_AllowEncryptThenMac(w->ssl, o->encrypt_then_mac == SHIM_SWITCH_ON) != WOLFSSL_SUCCESS) {
        snprintf(err, err_len, "unsupported: encrypt_then_mac (wolfSSL_AllowEncryptThenMac failed)");
        return false;
    }
    /* max_fragment_length (RFC 6066 §4): a client requests the length;
     * a wolfSSL server accepts a request without being told to. */
    if (o->role == SHIM_CLIENT && o->max_fragment_length) {
        _Static_assert(WOLFSSL_MFL_2_9 == 1 && WOLFSSL_MFL_2_12 == 4,
                       "wolfSSL's MaxFragmentLength constants for 2^9..2^12 are RFC 6066's codes");
        if (wolfSSL_UseMaxFragment(w->ssl, shim_max_fragment_length_code(o->max_fragment_length)) !=
            WOLFSSL_SUCCESS) {
            snprintf(err, err_len, "cannot request max_fragment_length %u", (unsigned)o->max_fragment_length);
            return false;
        }
    }
    /* --renegotiation on: wolfSSL renegotiates only when the application
     * forces it on per connection (wolfSSL_UseSecureRenegotiation), and only
     * securely (RFC 5746). A build without HAVE_SECURE_RENEGOTIATION (only
     * HAVE_SERVER_RENEGOTIATION_INFO, which sends renegotiation_info and
     * never renegotiates) has no way to: unsupported. */
    if (o->renegotiation) {
#ifdef HAVE_SECURE_RENEGOTIATION
        if (wolfSSL_UseSecureRenegotiation(w->ssl) != WOLFSSL_SUCCESS) {
            snprintf(err, err_len, "unsupported: renegotiation (wolfSSL_UseSecureRenegotiation failed)");
            return false;
        }
#else
        snprintf(err, err_len,
                 "unsupported: renegotiation (this wolfSSL is built without HAVE_SECURE_RENEGOTIATION)");
        return false;
#endif
    }
    /* --sigalgs, per connection and last: wolfSSL rebuilds its list of
     * schemes whenever it rebuilds its suites (wolfSSL_new,
     * wolfSSL_SetTmpDH above), so a list set earlier would be lost. It is
     * a client's signature_algorithms and a server's CertificateRequest
     * list. */
    if (o->sigalgs) {
        sigalg_list sl;
        memset(&sl, 0, sizeof sl);
        bool named = shim_each(o->sigalgs, add_sigalg, &sl);
        if (named && sl.pending_pss) {
            snprintf(sl.l.bad, sizeof sl.l.bad, "rsa_pss_rsae_sha256 without rsa_pss_pss_sha256 after it");
            named = false;
        }
        if (!named) {
            snprintf(err, err_len,
                     "unsupported: signature schemes %s (wolfSSL cannot send %s: its RSA-PSS+SHA256 is "
                     "rsa_pss_rsae_sha256 then rsa_pss_pss_sha256)",
                     o->sigalgs, sl.l.bad);
            return false;
        }
        if (wolfSSL_set1_sigalgs_list(w->ssl, sl.l.list) != WOLFSSL_SUCCESS) {
            snprintf(err, err_len, "unsupported: signature schemes %s (wolfSSL list %s)", o->sigalgs,
                     sl.l.list);
            return false;
        }
    }
    if (o->role != SHIM_CLIENT) return true;
    if (o->server_name) {
        if (wolfSSL_UseSNI(w->ssl, WOLFSSL_SNI_HOST_NAME, o->server_name,
                           (unsigned short)strlen(o->server_name)) != WOLFSSL_SUCCESS ||
            wolfSSL_check_domain_name(w->ssl, o->server_name) != WOLFSSL_SUCCESS) {
            snprintf(err, err_len, "cannot set the server name");
            return false;
        }
    }
    /* A TLS 1.2 client offers session_ticket only when told to (RFC 5077
     * §3.2); TLS 1.3 tickets need no offer. */
    if (o->session_tickets && wolfSSL_UseSessionTicket(w->ssl) != WOLFSSL_SUCCESS) {
        snprintf(err, err_len, "cannot offer session tickets");
        return false;
    }
    if (o->resume_session) {
        const unsigned char *p = o->resume_session;
        WOLFSSL_SESSION *sess = wolfSSL_d2i_SSL_SESSION(NULL, &p, (long)o->resume_session_len);
        bool ok = sess != NULL && wolfSSL_set_session(w->ssl, sess) == WOLFSSL_SUCCESS;
        wolfSSL_SESSION_free(sess);
        if (!ok) {
            snprintf(err, err_len, "--resume-session-hex is no wolfSSL session");
            return false;
        }
    }
    return true;
}

static void *wolf_create(const shim_opts *o, shim_conn *c, char *err, size_t err_len) {
    /* 0-RTT (RFC 8446 §4.2.10) needs wolfSSL_read_early_data and
     * wolfSSL_write_early_data, which a wolfSSL built without
     * WOLFSSL_EARLY_DATA lacks, as Debian's does. */
    if (o->max_early_data || o->early_data) {
#ifdef WOLFSSL_EARLY_DATA
        snprintf(err, err_len, "unsupported: 0-RTT (early data) through the wolfSSL shim");
#else
        snprintf(err, err_len, "unsupported: 0-RTT (this wolfSSL is built without WOLFSSL_EARLY_DATA)");
#endif
        return NULL;
    }
    /* record_size_limit (RFC 8449): wolfSSL 5.5 has none (no
     * TLSX_RECORD_SIZE_LIMIT; it ignores the extension). */
    if (o->record_size_limit) {
        snprintf(err, err_len, "unsupported: record_size_limit (wolfSSL 5.5 does not implement RFC 8449)");
        return NULL;
    }
    wolfSSL_Init();
    wolf *w = calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    live_contexts++;
    if (o->time) {
        fixed_time = (time_t)o->time;
        wc_SetTimeCb(clock_at_fixed_time);
    }
    w->c = c;
    w->role = o->role;
    w->o = o;
    /* The version-flexible method, bounded on both sides. */
    WOLFSSL_METHOD *m = o->role == SHIM_CLIENT ? wolfSSLv23_client_method() : wolfSSLv23_server_method();
    w->ctx = m ? wolfSSL_CTX_new(m) : NULL;
    if (w->ctx == NULL) {
        snprintf(err, err_len, "cannot create WOLFSSL_CTX");
        goto fail;
    }
    if (wolfSSL_CTX_SetMinVersion(w->ctx, o->min_version == SHIM_TLS13 ? WOLFSSL_TLSV1_3 : WOLFSSL_TLSV1_2) !=
            WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_max_proto_version(w->ctx, o->max_version) != WOLFSSL_SUCCESS) {
        snprintf(err, err_len, "cannot set the version range");
        goto fail;
    }
    wolfSSL_CTX_SetIORecv(w->ctx, io_recv);
    wolfSSL_CTX_SetIOSend(w->ctx, io_send);
    /* No session tickets unless asked for: each run starts from scratch. */
    if (!o->session_tickets) {
        wolfSSL_CTX_no_ticket_TLSv13(w->ctx);
        wolfSSL_CTX_NoTicketTLSv12(w->ctx);
    }

    if (o->cert) {
        if (wolfSSL_CTX_use_certificate_chain_file(w->ctx, o->cert) != WOLFSSL_SUCCESS ||
            wolfSSL_CTX_use_PrivateKey_file(w->ctx, o->key ? o->key : o->cert, WOLFSSL_FILETYPE_PEM) !=
                WOLFSSL_SUCCESS) {
            snprintf(err, err_len, "cannot load the credential %s", o->cert);
            goto fail;
        }
    } else if (o->role == SHIM_SERVER) {
        snprintf(err, err_len, "a server needs --cert and --key");
        goto fail;
    }
    /* Before the trust anchors: loading the CRL empties the CA table. */
    if (o->crl && !load_crl(w, o->crl, o->crl_issuer)) {
        snprintf(err, err_len, "cannot load the CRL %s (signed by %s)", o->crl,
                 o->crl_issuer ? o->crl_issuer : "a trust anchor");
        goto fail;
    }
    if (o->trust && wolfSSL_CTX_load_verify_locations(w->ctx, o->trust, NULL) != WOLFSSL_SUCCESS) {
        snprintf(err, err_len, "cannot load the trust anchors %s", o->trust);
        goto fail;
    }
    if (o->role == SHIM_CLIENT) {
        wolfSSL_CTX_set_verify(w->ctx, WOLFSSL_VERIFY_PEER, verify_cb);
    } else if (o->client_auth != SHIM_AUTH_NONE) {
        wolfSSL_CTX_set_verify(
            w->ctx,
            WOLFSSL_VERIFY_PEER |
                (o->client_auth == SHIM_AUTH_REQUIRE ? WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
            verify_cb);
    } else {
        wolfSSL_CTX_set_verify(w->ctx, WOLFSSL_VERIFY_NONE, NULL);
    }
    if (o->groups) {
        name_list l;
        memset(&l, 0, sizeof l);
        if (!shim_each(o->groups, add_group, &l)) {
            snprintf(err, err_len, "unsupported: group %s", l.bad);
            goto fail;
        }
        if (wolfSSL_CTX_set1_groups_list(w->ctx, l.list) != WOLFSSL_SUCCESS) {
            snprintf(err, err_len, "unsupported: groups %s", o->groups);
            goto fail;
        }
    }

    if (o->ciphers) {
        suite_bytes l;
        memset(&l, 0, sizeof l);
        if (!shim_each(o->ciphers, add_suite, &l)) {
            snprintf(err, err_len, "unsupported: cipher suite %s", l.bad);
            goto fail;
        }
        if (wolfSSL_CTX_set_cipher_list_bytes(w->ctx, l.bytes, l.n) != WOLFSSL_SUCCESS) {
            snprintf(err, err_len, "unsupported: cipher suites %s", o->ciphers);
            goto fail;
        }
    }

    if (!new_connection(w, err, err_len)) goto fail;
    return w;
fail:
    wolf_destroy(w);
    return NULL;
}

/* The alert history holds the last alert each way; a level of 0 means none
 * yet (real alerts are warning = 1 or fatal = 2). */
static void update_alerts(wolf *w) {
    WOLFSSL_ALERT_HISTORY h;
    memset(&h, 0, sizeof h);
    if (wolfSSL_get_alert_history(w->ssl, &h) != WOLFSSL_SUCCESS) return;
    shim_status *st = shim_st(w->c);
    if (h.last_tx.level != 0) {
        if (h.last_tx.code == 0) {
            st->close_notify_sent = true;
        } else {
            st->alert_sent = h.last_tx.code;
            st->alert_sent_level = h.last_tx.level;
        }
    }
    if (h.last_rx.level != 0) st->alert_received = h.last_rx.code;
}

static void fail_wolf(wolf *w, int ret) {
    int e = wolfSSL_get_error(w->ssl, ret);
    char buf[WOLFSSL_MAX_ERROR_SZ];
    wolfSSL_ERR_error_string_n((unsigned long)e, buf, sizeof buf);
    shim_fail(w->c, "%s (%d)", buf, e);
}

static void drive(wolf *w) {
    shim_status *st = shim_st(w->c);
    if (st->failed || w->closed) return;
    if (!st->handshake_done) {
        int r = wolfSSL_negotiate(w->ssl);
        if (r != WOLFSSL_SUCCESS) {
            int e = wolfSSL_get_error(w->ssl, r);
            if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) return;
            if (e == WOLFSSL_ERROR_ZERO_RETURN) {
                shim_fail(w->c, "close_notify received before the handshake completed");
                return;
            }
            fail_wolf(w, r);
            return;
        }
        st->handshake_done = true;
    }
    /* The echo contract: every application-data byte read is written back,
     * or with --app-reply-hex a request line is answered (shim_app_answer). */
    char buf[16384];
    for (;;) {
        int n = wolfSSL_read(w->ssl, buf, (int)sizeof buf);
        if (n > 0) {
            size_t len = (size_t)n;
            const void *answer = shim_app_answer(w->c, buf, &len);
            if (answer == NULL) continue;
            if (wolfSSL_write(w->ssl, answer, (int)len) != (int)len) {
                fail_wolf(w, -1);
                return;
            }
            continue;
        }
        int e = wolfSSL_get_error(w->ssl, n);
        if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) return;
        if (e == WOLFSSL_ERROR_ZERO_RETURN) {
            /* The peer's close_notify: answer with ours (RFC 8446 §6.1). */
            w->closed = true;
            wolfSSL_shutdown(w->ssl);
            return;
        }
        fail_wolf(w, n);
        return;
    }
}

static void wolf_step(void *p, shim_conn *c) {
    (void)c;
    wolf *w = p;
    drive(w);
    update_alerts(w);
}

static void wolf_status(void *p, shim_conn *c) {
    wolf *w = p;
    shim_status *st = shim_st(c);
    if (!st->handshake_done) return;
    int v = wolfSSL_version(w->ssl);
    st->version = v == TLS1_3_VERSION ? SHIM_TLS13 : v == TLS1_2_VERSION ? SHIM_TLS12 : 0;
    int cs = wolfSSL_get_current_cipher_suite(w->ssl);
    st->cipher = cs >= 0 ? (uint16_t)cs : 0;
    const char *curve = wolfSSL_get_curve_name(w->ssl);
    if (curve) {
        /* "SECP256R1", "X25519" → the IANA names. */
        char low[64];
        size_t i = 0;
        for (; curve[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)curve[i]);
        low[i] = '\0';
        st->group = shim_group_id(low);
    }
    WOLFSSL_X509 *peer = wolfSSL_get_peer_certificate(w->ssl);
    /* Either role: a chain verified (a server verifies only what it asks
     * for, docs/shim-contract.md). */
    st->peer_authenticated =
        st->handshake_done && peer != NULL && wolfSSL_get_verify_result(w->ssl) == 0; /* X509_V_OK */
    wolfSSL_X509_free(peer);
}

static bool wolf_export(void *p, const char *label, uint8_t *out, size_t len) {
    wolf *w = p;
    return wolfSSL_export_keying_material(w->ssl, out, len, label, strlen(label), NULL, 0, 0) ==
           WOLFSSL_SUCCESS;
}

static const char *wolf_version(void) {
    static char v[64];
    snprintf(v, sizeof v, "wolfSSL %s", wolfSSL_lib_version());
    return v;
}

static void wolf_destroy(void *p) {
    wolf *w = p;
    if (w == NULL) return;
    /* The run's sessions leave the process-wide cache with it (at the top).
     * Out of memory for the last reference, that session is evicted now. */
    if (!remember_session(w)) {
        WOLFSSL_SESSION *sess = wolfSSL_get1_session(w->ssl);
        if (sess) wolfSSL_SSL_CTX_remove_session(w->ctx, sess);
        wolfSSL_SESSION_free(sess);
    }
    for (size_t i = 0; i < w->n_sessions; i++) {
        if (w->ctx) wolfSSL_SSL_CTX_remove_session(w->ctx, w->sessions[i]);
        wolfSSL_SESSION_free(w->sessions[i]);
    }
    free(w->sessions);
    wolfSSL_free(w->ssl);
    wolfSSL_CTX_free(w->ctx);
    free(w);
    wolfSSL_ERR_clear_error();
    if (--live_contexts == 0) {
        fixed_time = 0;
        wc_SetTimeCb(NULL);
    }
}

/* NEXT: a new WOLFSSL; the WOLFSSL_CTX's ticket key and the session cache
 * stay. */
static bool wolf_next(void *p, shim_conn *c, char *err, size_t err_len) {
    wolf *w = p;
    w->c = c;
    return new_connection(w, err, err_len);
}

/* SESSION: wolfSSL's serialized session, if it can be resumed (a ticket, or
 * a TLS 1.2 session id). */
static size_t wolf_export_session(void *p, uint8_t *out, size_t cap) {
    wolf *w = p;
    WOLFSSL_SESSION *sess = wolfSSL_get1_session(w->ssl);
    size_t n = 0;
    if (sess && wolfSSL_SESSION_is_resumable(sess)) {
        int len = wolfSSL_i2d_SSL_SESSION(sess, NULL);
        if (len > 0 && (size_t)len <= cap) {
            unsigned char *q = out;
            n = wolfSSL_i2d_SSL_SESSION(sess, &q) == len ? (size_t)len : 0;
        }
    }
    wolfSSL_SESSION_free(sess);
    return n;
}

/* CLOSE: our close_notify (the alert history records it); the peer's
 * answer, if it comes, is read by drive() as usual. */
static void wolf_close(void *p, shim_conn *c) {
    (void)c;
    wolf *w = p;
    wolfSSL_shutdown(w->ssl);
    update_alerts(w);
}

const shim_stack shim_stack_wolfssl = {
    .name = "wolfssl",
    .version = wolf_version,
    .create = wolf_create,
    .step = wolf_step,
    .status = wolf_status,
    .destroy = wolf_destroy,
    .export_keying_material = wolf_export,
    .close = wolf_close,
    .next_connection = wolf_next,
    .export_session = wolf_export_session,
    /* No RESET: wolfSSL's session cache is one table for the process
     * (ssl.c's SessionCache, shared by every WOLFSSL_CTX), and this
     * wolfSSL has no call that empties it (wolfSSL_flush_sessions does
     * nothing, wolfSSL_CTX_flush_sessions is not built). destroy()
     * evicts the run's own sessions one by one (at the top), which the
     * in-process target relies on; the shim program stays one run a
     * process, as exec leaves nothing at all. */
    .resets = false,
};
