/* shim_openssl.c — OpenSSL 3 behind the shim contract (docs/shim-contract.md).
 *
 * OpenSSL and BoringSSL export the same symbols, so OpenSSL can only be
 * tested from its own process: this one. I/O is a pair of memory BIOs: the
 * peer's bytes are written into the read BIO, and what libssl writes is taken
 * out of the write BIO after each step. Like the BoringSSL adapter, it adds as
 * little behaviour of its own as it can: no session tickets, no cache, unless
 * the harness asks (--session-tickets, --session-cache); then OpenSSL's own
 * ticket keys and session cache serve the connections of this process (NEXT),
 * and a client hands its session over with i2d_SSL_SESSION. 0-RTT only when
 * asked too (--max-early-data, --early-data-hex): a server reads it with
 * SSL_read_early_data, a client sends it with SSL_write_early_data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "shim_common.h"

typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl */
    shim_role role;
    const shim_opts *opt; /* lives as long as the process */
    bool closed;
    /* 0-RTT of this connection is behind it: a server's SSL_read_early_data
     * said FINISH, a client sent its early data or found its session does
     * not allow any. */
    bool early_done;
} ossl;

/* Every alert libssl reads or writes (value = level << 8 | description).
 * close_notify has its own flag; every other alert counts as "sent". */
static void info_cb(const SSL *ssl, int where, int value) {
    shim_conn *c = SSL_get_app_data(ssl);
    if (c == NULL) return;
    int level = (value >> 8) & 0xff, desc = value & 0xff;
    shim_status *st = shim_st(c);
    if (where == SSL_CB_WRITE_ALERT) {
        if (desc == SSL3_AD_CLOSE_NOTIFY) {
            st->close_notify_sent = true;
        } else {
            st->alert_sent = desc;
            st->alert_sent_level = level;
        }
    } else if (where == SSL_CB_READ_ALERT) {
        st->alert_received = desc;
    }
}

/* The first error only; the queue is cleared so later calls start clean. */
static void fail_ssl(ossl *o, shim_conn *c, const char *what, int ssl_err) {
    unsigned long e = ERR_peek_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    if (e && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        shim_fail(c, "%s: %s", reason ? reason : "certificate verify failed",
                  X509_verify_cert_error_string(SSL_get_verify_result(o->ssl)));
    } else if (reason) {
        shim_fail(c, "%s", reason);
    } else {
        shim_fail(c, "%s failed, SSL_get_error=%d", what, ssl_err);
    }
    ERR_clear_error();
}

/* With --crl, the fixture PKI has a CRL for some issuers only (its
 * intermediate's): a certificate whose issuer has none is not checked for
 * revocation, as in the model, rather than refused for the missing CRL. */
static int verify_cb(int ok, X509_STORE_CTX *store) {
    if (!ok && X509_STORE_CTX_get_error(store) == X509_V_ERR_UNABLE_TO_GET_CRL) return 1;
    return ok;
}

static const char *group_openssl_name(const char *iana) {
    if (strcmp(iana, "secp256r1") == 0) return "prime256v1";
    if (strcmp(iana, "x25519") == 0) return "X25519";
    if (strcmp(iana, "x448") == 0) return "X448";
    return iana; /* secp384r1, secp521r1, ffdhe2048, ffdhe3072 */
}

typedef struct {
    char list[512];
    char bad[128];
} name_list;

static void add_name(name_list *l, const char *name) {
    size_t n = strlen(l->list);
    snprintf(l->list + n, sizeof l->list - n, "%s%s", n ? ":" : "", name);
}

static bool add_group(const char *item, void *ctx) {
    name_list *l = ctx;
    if (shim_group_id(item) == 0) {
        snprintf(l->bad, sizeof l->bad, "%s", item);
        return false;
    }
    add_name(l, group_openssl_name(item));
    return true;
}

/* libssl knows the signature schemes by their IANA names (RFC 8446
 * §4.2.3), TLS 1.2's (hash, signature) pairs included. */
static bool add_sigalg(const char *item, void *ctx) {
    name_list *l = ctx;
    if (shim_sigalg_id(item) == 0) {
        snprintf(l->bad, sizeof l->bad, "%s", item);
        return false;
    }
    add_name(l, item);
    return true;
}

/* TLS 1.3 suites are configured by their IANA names; TLS 1.2 suites by
 * OpenSSL's own names, found by the IANA ("standard") name. */
typedef struct {
    name_list tls13, tls12;
    STACK_OF(SSL_CIPHER) * all;
} cipher_lists;

static bool add_cipher(const char *item, void *ctx) {
    cipher_lists *l = ctx;
    if (strncmp(item, "TLS_AES_", 8) == 0 || strncmp(item, "TLS_CHACHA20_", 13) == 0) {
        add_name(&l->tls13, item);
        return true;
    }
    for (int i = 0; i < sk_SSL_CIPHER_num(l->all); i++) {
        const SSL_CIPHER *ci = sk_SSL_CIPHER_value(l->all, i);
        const char *std = SSL_CIPHER_standard_name(ci);
        if (std && strcmp(std, item) == 0) {
            add_name(&l->tls12, SSL_CIPHER_get_name(ci));
            return true;
        }
    }
    snprintf(l->tls12.bad, sizeof l->tls12.bad, "%s", item);
    return false;
}

static void ossl_destroy(void *p);

/* One connection on o->ctx, with its memory BIOs; c receives its I/O. */
static bool new_connection(ossl *o, shim_conn *c, char *err, size_t err_len) {
    const shim_opts *opt = o->opt;
    SSL_free(o->ssl);
    o->closed = false;
    o->early_done = false;
    o->ssl = SSL_new(o->ctx);
    o->rbio = BIO_new(BIO_s_mem());
    o->wbio = BIO_new(BIO_s_mem());
    if (o->ssl == NULL || o->rbio == NULL || o->wbio == NULL) {
        BIO_free(o->rbio);
        BIO_free(o->wbio);
        o->rbio = o->wbio = NULL;
        snprintf(err, err_len, "out of memory");
        return false;
    }
    /* An empty read BIO means "wait for more", not end of stream. */
    BIO_set_mem_eof_return(o->rbio, -1);
    SSL_set_bio(o->ssl, o->rbio, o->wbio);
    SSL_set_app_data(o->ssl, c);
    if (opt->role == SHIM_SERVER) {
        SSL_set_accept_state(o->ssl);
        return true;
    }
    SSL_set_connect_state(o->ssl);
    if (opt->server_name && (SSL_set_tlsext_host_name(o->ssl, opt->server_name) != 1 ||
                             SSL_set1_host(o->ssl, opt->server_name) != 1)) {
        snprintf(err, err_len, "cannot set the server name");
        return false;
    }
    if (opt->resume_session) {
        const unsigned char *p = opt->resume_session;
        SSL_SESSION *sess = d2i_SSL_SESSION(NULL, &p, (long)opt->resume_session_len);
        bool ok = sess != NULL && SSL_set_session(o->ssl, sess) == 1;
        SSL_SESSION_free(sess);
        if (!ok) {
            snprintf(err, err_len, "--resume-session-hex is no OpenSSL session");
            return false;
        }
    }
    return true;
}

static void *ossl_create(const shim_opts *opt, shim_conn *c, char *err, size_t err_len) {
    ossl *o = calloc(1, sizeof *o);
    if (o == NULL) return NULL;
    o->role = opt->role;
    o->opt = opt;
    o->ctx = SSL_CTX_new(TLS_method());
    if (o->ctx == NULL || !SSL_CTX_set_min_proto_version(o->ctx, opt->min_version) ||
        !SSL_CTX_set_max_proto_version(o->ctx, opt->max_version)) {
        snprintf(err, err_len, "cannot create SSL_CTX");
        goto fail;
    }
    SSL_CTX_set_info_callback(o->ctx, info_cb);
    /* A server offers the DHE_RSA suites with parameters libssl picks for
     * the key's strength (RFC 7919's groups), as `openssl s_server` does;
     * without them it has no DHE suite to choose (RFC 5246 §7.4.3). */
    if (opt->role == SHIM_SERVER) SSL_CTX_set_dh_auto(o->ctx, 1);
    /* By default each run starts from scratch, and no NewSessionTicket
     * follows the handshake (OpenSSL sends two by default in TLS 1.3).
     * --session-tickets leaves OpenSSL's defaults: a server sends its two
     * tickets, encrypted under the SSL_CTX's own key, which lives as long
     * as this process; a client offers session_ticket in TLS 1.2. */
    if (!opt->session_tickets) {
        SSL_CTX_set_options(o->ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(o->ctx, 0);
    }
    /* Renegotiation (TLS 1.2) only with --renegotiation on: a client then
     * answers a HelloRequest with a new ClientHello (libssl's client default),
     * a server takes a client's (SSL_OP_ALLOW_CLIENT_RENEGOTIATION, off by
     * default since 3.0). Off, libssl answers either with a warning
     * no_renegotiation (RFC 5246 §7.2.2). Insecure renegotiation stays
     * refused either way (RFC 5746 §4.2, §4.4: no
     * SSL_OP_LEGACY_SERVER_CONNECT or SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION). */
    if (opt->renegotiation) {
        SSL_CTX_clear_options(o->ctx, SSL_OP_NO_RENEGOTIATION);
        if (opt->role == SHIM_SERVER) SSL_CTX_set_options(o->ctx, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
    } else {
        SSL_CTX_set_options(o->ctx, SSL_OP_NO_RENEGOTIATION);
    }
    /* encrypt_then_mac (RFC 7366): libssl offers and accepts it unless
     * told not to. */
    if (opt->encrypt_then_mac == SHIM_SWITCH_OFF) SSL_CTX_set_options(o->ctx, SSL_OP_NO_ENCRYPT_THEN_MAC);
    /* max_fragment_length (RFC 6066 §4): a client requests the length and
     * refuses another in the answer with illegal_parameter; a libssl
     * server accepts a request without being told to. */
    if (opt->role == SHIM_CLIENT && opt->max_fragment_length) {
        _Static_assert(TLSEXT_max_fragment_length_512 == 1 && TLSEXT_max_fragment_length_4096 == 4,
                       "libssl's MaxFragmentLength constants are RFC 6066's codes");
        if (SSL_CTX_set_tlsext_max_fragment_length(
                o->ctx, shim_max_fragment_length_code(opt->max_fragment_length)) != 1) {
            snprintf(err, err_len, "cannot set max_fragment_length %u", (unsigned)opt->max_fragment_length);
            goto fail;
        }
    }
    /* record_size_limit (RFC 8449): OpenSSL 3.0 has none (no
     * TLSEXT_TYPE_record_size_limit; it ignores the extension). */
    if (opt->record_size_limit) {
        snprintf(err, err_len, "unsupported: record_size_limit (OpenSSL 3.0 does not implement RFC 8449)");
        goto fail;
    }
    /* 0-RTT (--max-early-data): tickets that allow it (RFC 8446 §4.6.1),
     * and no more early data read than they allow (the receive limit is
     * OpenSSL's own otherwise, 16384). OpenSSL's anti-replay (RFC 8446
     * §8), on by default, keeps the sessions of such tickets in the
     * server's session cache and lets each one be resumed once (single-use
     * tickets, §8.1), so the cache is on for it. */
    bool early_server = opt->role == SHIM_SERVER && opt->max_early_data > 0;
    if (early_server && (SSL_CTX_set_max_early_data(o->ctx, opt->max_early_data) != 1 ||
                         SSL_CTX_set_recv_max_early_data(o->ctx, opt->max_early_data) != 1)) {
        snprintf(err, err_len, "cannot set max_early_data %u", (unsigned)opt->max_early_data);
        goto fail;
    }
    /* --session-cache: the server's internal cache (RFC 5246 §7.4.1.2),
     * which also makes its TLS 1.2 ServerHello name the session. A client
     * keeps its session in its SSL object, for SESSION. */
    SSL_CTX_set_session_cache_mode(o->ctx, opt->role == SHIM_SERVER && (opt->session_cache || early_server)
                                               ? SSL_SESS_CACHE_SERVER
                                               : SSL_SESS_CACHE_OFF);
    /* A server that verifies client certificates resumes only sessions of
     * its own session id context (OpenSSL refuses the resumption without
     * one); one context serves every connection of this process. */
    static const unsigned char sid_ctx[] = "shakedown-shim";
    if (opt->role == SHIM_SERVER && (opt->session_tickets || opt->session_cache || early_server) &&
        SSL_CTX_set_session_id_context(o->ctx, sid_ctx, sizeof sid_ctx - 1) != 1) {
        snprintf(err, err_len, "cannot set the session id context");
        goto fail;
    }

    if (opt->cert &&
        (SSL_CTX_use_certificate_chain_file(o->ctx, opt->cert) != 1 ||
         SSL_CTX_use_PrivateKey_file(o->ctx, opt->key ? opt->key : opt->cert, SSL_FILETYPE_PEM) != 1 ||
         SSL_CTX_check_private_key(o->ctx) != 1)) {
        snprintf(err, err_len, "cannot load the credential %s: %s", opt->cert,
                 ERR_reason_error_string(ERR_peek_error()));
        goto fail;
    }
    if (opt->role == SHIM_SERVER && opt->cert == NULL) {
        snprintf(err, err_len, "a server needs --cert and --key");
        goto fail;
    }
    if (opt->trust && SSL_CTX_load_verify_locations(o->ctx, opt->trust, NULL) != 1) {
        snprintf(err, err_len, "cannot load the trust anchors %s", opt->trust);
        goto fail;
    }
    if (opt->crl) {
        /* RFC 5280 §6.3: the leaf's issuer's CRL; a listed leaf fails with
         * X509_V_ERR_CERT_REVOKED, which libssl answers with
         * certificate_revoked. */
        X509_LOOKUP *lookup = X509_STORE_add_lookup(SSL_CTX_get_cert_store(o->ctx), X509_LOOKUP_file());
        if (lookup == NULL || X509_load_crl_file(lookup, opt->crl, X509_FILETYPE_PEM) <= 0) {
            snprintf(err, err_len, "cannot load the CRL %s", opt->crl);
            goto fail;
        }
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(o->ctx), X509_V_FLAG_CRL_CHECK);
    }
    /* Validate at the harness's time, not the wall clock (results must not
     * change with the calendar). */
    if (opt->time) X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(o->ctx), (time_t)opt->time);
    if (opt->role == SHIM_CLIENT) {
        /* A failed verification aborts the handshake with the alert libssl
         * maps the defect to: that alert is what the oracle grades. */
        SSL_CTX_set_verify(o->ctx, SSL_VERIFY_PEER, verify_cb);
    } else if (opt->client_auth != SHIM_AUTH_NONE) {
        SSL_CTX_set_verify(o->ctx,
                           SSL_VERIFY_PEER |
                               (opt->client_auth == SHIM_AUTH_REQUIRE ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           verify_cb);
    }
    if (opt->groups) {
        name_list l = {{0}, {0}};
        if (!shim_each(opt->groups, add_group, &l)) {
            snprintf(err, err_len, "unsupported: group %s", l.bad);
            goto fail;
        }
        if (SSL_CTX_set1_groups_list(o->ctx, l.list) != 1) {
            snprintf(err, err_len, "unsupported: groups %s", opt->groups);
            goto fail;
        }
    }
    /* --sigalgs. A client's list (SSL_CTX_set1_sigalgs_list) is its
     * signature_algorithms, and libssl accepts the server's signature under
     * it only. A server's (SSL_CTX_set1_client_sigalgs_list) is its
     * CertificateRequest's list, the one libssl checks the client's
     * CertificateVerify against; its own signing is left to the client's
     * list, as the model's is. */
    if (opt->sigalgs) {
        name_list l = {{0}, {0}};
        if (!shim_each(opt->sigalgs, add_sigalg, &l)) {
            snprintf(err, err_len, "unsupported: signature scheme %s", l.bad);
            goto fail;
        }
        int set = opt->role == SHIM_CLIENT ? SSL_CTX_set1_sigalgs_list(o->ctx, l.list)
                                           : SSL_CTX_set1_client_sigalgs_list(o->ctx, l.list);
        if (set != 1) {
            snprintf(err, err_len, "unsupported: signature schemes %s", opt->sigalgs);
            goto fail;
        }
    }
    if (opt->ciphers) {
        cipher_lists l;
        memset(&l, 0, sizeof l);
        SSL *probe = SSL_new(o->ctx);
        if (probe == NULL || SSL_set_cipher_list(probe, "ALL:COMPLEMENTOFALL") != 1) {
            SSL_free(probe);
            snprintf(err, err_len, "cannot list the cipher suites");
            goto fail;
        }
        l.all = SSL_get_ciphers(probe);
        bool ok = shim_each(opt->ciphers, add_cipher, &l);
        SSL_free(probe);
        if (!ok) {
            snprintf(err, err_len, "unsupported: cipher suite %s", l.tls12.bad);
            goto fail;
        }
        /* An empty list for one version disables that version's suites. */
        if (SSL_CTX_set_ciphersuites(o->ctx, l.tls13.list) != 1 ||
            (l.tls12.list[0] && SSL_CTX_set_cipher_list(o->ctx, l.tls12.list) != 1)) {
            snprintf(err, err_len, "unsupported: cipher suites %s", opt->ciphers);
            goto fail;
        }
    }

    if (!new_connection(o, c, err, err_len)) goto fail;
    ERR_clear_error();
    return o;
fail:
    ERR_clear_error();
    ossl_destroy(o);
    return NULL;
}

static void flush(ossl *o, shim_conn *c) {
    char buf[16384];
    int n;
    while ((n = BIO_read(o->wbio, buf, (int)sizeof buf)) > 0) shim_write(c, buf, (size_t)n);
}

/* 0-RTT (RFC 8446 §4.2.10), before the rest of the handshake. A server
 * reads early data with SSL_read_early_data (OpenSSL accepts none through
 * SSL_do_handshake) and keeps it for the echo, until FINISH: the client's
 * EndOfEarlyData, or no early data accepted. A client whose session allows
 * its early data sends it with SSL_write_early_data, which writes the
 * ClientHello first; libssl sends EndOfEarlyData itself if the server
 * accepts (§4.5). False while the stack waits for the peer, or after a
 * failure. */
static bool early_data(ossl *o, shim_conn *c) {
    const shim_opts *opt = o->opt;
    if (o->early_done) return true;
    if (opt->role == SHIM_CLIENT) {
        o->early_done = true;
        SSL_SESSION *sess = SSL_get_session(o->ssl);
        /* Only what the ticket allows (§4.6.1 max_early_data_size): a
         * session without early_data, or with less room than the bytes,
         * gets none. */
        if (opt->early_data == NULL || sess == NULL ||
            SSL_SESSION_get_max_early_data(sess) < opt->early_data_len)
            return true;
        size_t written = 0;
        ERR_clear_error();
        int r = SSL_write_early_data(o->ssl, opt->early_data, opt->early_data_len, &written);
        if (r != 1 || written != opt->early_data_len) {
            fail_ssl(o, c, "SSL_write_early_data", SSL_get_error(o->ssl, r));
            return false;
        }
        return true;
    }
    if (opt->max_early_data == 0) {
        o->early_done = true;
        return true;
    }
    char buf[16384];
    for (;;) {
        size_t got = 0;
        ERR_clear_error();
        int r = SSL_read_early_data(o->ssl, buf, sizeof buf, &got);
        if (r == SSL_READ_EARLY_DATA_SUCCESS) {
            shim_early_data_keep(c, buf, got);
            continue;
        }
        if (r == SSL_READ_EARLY_DATA_FINISH) {
            o->early_done = true;
            return true;
        }
        int e = SSL_get_error(o->ssl, 0);
        if (e == SSL_ERROR_WANT_READ) return false;
        if (e == SSL_ERROR_ZERO_RETURN) {
            shim_fail(c, "close_notify received before the handshake completed");
            return false;
        }
        fail_ssl(o, c, "SSL_read_early_data", e);
        return false;
    }
}

static void drive(ossl *o, shim_conn *c) {
    shim_status *st = shim_st(c);
    if (st->failed || o->closed) return;
    if (!st->handshake_done) {
        if (!early_data(o, c)) return;
        ERR_clear_error();
        int r = SSL_do_handshake(o->ssl);
        if (r != 1) {
            int e = SSL_get_error(o->ssl, r);
            if (e == SSL_ERROR_WANT_READ) return;
            if (e == SSL_ERROR_ZERO_RETURN) {
                shim_fail(c, "close_notify received before the handshake completed");
                return;
            }
            fail_ssl(o, c, "SSL_do_handshake", e);
            return;
        }
        st->handshake_done = true;
        /* The echo of the 0-RTT read before, now that the handshake is
         * done (shim_early_data_echo). */
        size_t n;
        const void *early = shim_early_data_echo(c, &n);
        if (early) {
            int w = SSL_write(o->ssl, early, (int)n);
            if (w != (int)n) {
                fail_ssl(o, c, "SSL_write (the echo of early data)", SSL_get_error(o->ssl, w));
                return;
            }
        }
    }
    /* The echo contract: every application-data byte read is written back,
     * or with --app-reply-hex a request line is answered (shim_app_answer). */
    char buf[16384];
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(o->ssl, buf, (int)sizeof buf);
        if (n > 0) {
            size_t len = (size_t)n;
            const void *answer = shim_app_answer(c, buf, &len);
            if (answer == NULL) continue;
            int w = SSL_write(o->ssl, answer, (int)len);
            if (w != (int)len) {
                fail_ssl(o, c, "SSL_write", SSL_get_error(o->ssl, w));
                return;
            }
            continue;
        }
        int e = SSL_get_error(o->ssl, n);
        if (e == SSL_ERROR_WANT_READ) return;
        if (e == SSL_ERROR_ZERO_RETURN) {
            /* The peer's close_notify: answer with ours (RFC 8446 §6.1). */
            o->closed = true;
            SSL_shutdown(o->ssl);
            ERR_clear_error();
            return;
        }
        fail_ssl(o, c, "SSL_read", e);
        return;
    }
}

static void ossl_step(void *p, shim_conn *c) {
    ossl *o = p;
    char buf[16384];
    size_t n;
    while ((n = shim_read(c, buf, sizeof buf)) > 0) BIO_write(o->rbio, buf, (int)n);
    drive(o, c);
    flush(o, c);
}

static uint16_t group_iana(int nid) {
    switch (nid) {
    case NID_X9_62_prime256v1:
        return 23;
    case NID_secp384r1:
        return 24;
    case NID_secp521r1:
        return 25;
    case NID_X25519:
        return 29;
    case NID_X448:
        return 30;
    case NID_ffdhe2048:
        return 256;
    case NID_ffdhe3072:
        return 257;
    default:
        return 0;
    }
}

static void ossl_status(void *p, shim_conn *c) {
    ossl *o = p;
    shim_status *st = shim_st(c);
    const SSL_CIPHER *ci = SSL_get_current_cipher(o->ssl);
    if (ci != NULL) {
        st->version = (uint16_t)SSL_version(o->ssl);
        st->cipher = SSL_CIPHER_get_protocol_id(ci);
        st->group = group_iana(SSL_get_negotiated_group(o->ssl));
    }
    /* Either role: a chain verified (a server verifies only what it asks
     * for, docs/shim-contract.md). */
    st->peer_authenticated = st->handshake_done && SSL_get0_peer_certificate(o->ssl) != NULL &&
                             SSL_get_verify_result(o->ssl) == X509_V_OK;
}

static bool ossl_export(void *p, const char *label, uint8_t *out, size_t len) {
    ossl *o = p;
    bool ok = SSL_export_keying_material(o->ssl, out, len, label, strlen(label), NULL, 0, 0) == 1;
    ERR_clear_error();
    return ok;
}

/* NEXT: the old connection goes (OpenSSL drops its session from the cache
 * unless it ended with close_notify), the SSL_CTX with its cache and
 * ticket key stays. */
static bool ossl_next(void *p, shim_conn *c, char *err, size_t err_len) {
    ossl *o = p;
    bool ok = new_connection(o, c, err, err_len);
    ERR_clear_error();
    return ok;
}

/* SESSION: the session a later --resume-session-hex resumes, if OpenSSL
 * considers it resumable (a ticket, or a TLS 1.2 session id). */
static size_t ossl_export_session(void *p, uint8_t *out, size_t cap) {
    ossl *o = p;
    SSL_SESSION *sess = SSL_get1_session(o->ssl);
    size_t n = 0;
    if (sess && SSL_SESSION_is_resumable(sess)) {
        int len = i2d_SSL_SESSION(sess, NULL);
        if (len > 0 && (size_t)len <= cap) {
            unsigned char *q = out;
            n = i2d_SSL_SESSION(sess, &q) == len ? (size_t)len : 0;
        }
    }
    SSL_SESSION_free(sess);
    ERR_clear_error();
    return n;
}

static const char *ossl_version(void) { return OpenSSL_version(OPENSSL_VERSION); }

static void ossl_destroy(void *p) {
    ossl *o = p;
    if (o == NULL) return;
    SSL_free(o->ssl);
    SSL_CTX_free(o->ctx);
    free(o);
    /* Nothing of this run for the next (shim_stack.resets): libssl keeps
     * sessions and ticket keys in the SSL_CTX, and only this thread's error
     * queue outlives it. */
    ERR_clear_error();
}

/* CLOSE: our close_notify (info_cb records it); the peer's answer, if it
 * comes, is read by step() as usual. */
static void ossl_close(void *p, shim_conn *c) {
    ossl *o = p;
    SSL_shutdown(o->ssl);
    ERR_clear_error();
    flush(o, c);
}

int main(int argc, char **argv) {
    static const shim_stack stack = {
        .name = "openssl",
        .version = ossl_version,
        .create = ossl_create,
        .step = ossl_step,
        .status = ossl_status,
        .destroy = ossl_destroy,
        .export_keying_material = ossl_export,
        .close = ossl_close,
        .next_connection = ossl_next,
        .export_session = ossl_export_session,
        .resets = true,
    };
    return shim_main(argc, argv, &stack);
}
