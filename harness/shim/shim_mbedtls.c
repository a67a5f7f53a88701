/* shim_mbedtls.c — mbedTLS 2.28 behind the shim contract
 * (docs/shim-contract.md).
 *
 * mbedTLS 2.28 speaks TLS 1.2 only: a request for TLS 1.3 alone is refused as
 * "unsupported:" (the harness reports SKIP); a range that reaches 1.3 is
 * served as 1.2, as the library itself would negotiate.
 *
 * I/O goes through mbedtls_ssl_set_bio with callbacks on the shim's memory
 * queues; an empty queue is MBEDTLS_ERR_SSL_WANT_READ.
 *
 * mbedTLS 2.28 has no alert callback, and it sends its alerts itself. Its
 * debug output names every alert it sends and receives, so the shim listens
 * to that (level 3) and reads the two numbers.
 *
 * --groups is mbedtls_ssl_conf_curves, which limits the curve of the peer's
 * certificate as well as the key exchange: a client forced to P-384 refuses
 * a P-256 server certificate.
 *
 * No exporter: 2.28 has no RFC 5705 call, so the shim answers EXPORT with
 * nothing and the harness's export_keying_material says false.
 *
 * Resumption, when the harness asks: a server seals tickets with an
 * mbedtls_ssl_ticket_context (its key from the shim's DRBG) and keeps TLS 1.2
 * sessions in an mbedtls_ssl_cache_context; both outlive the connection for
 * the next (NEXT, mbedtls_ssl_session_reset). A client hands its session over
 * with mbedtls_ssl_session_save and takes it back with
 * mbedtls_ssl_session_load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/debug.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "shim/shim_stack.h"

typedef struct {
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_x509_crt chain, ca;
    mbedtls_x509_crl crl; /* --crl, else empty */
    mbedtls_pk_context key;
    mbedtls_ssl_cache_context cache;   /* server with --session-cache */
    mbedtls_ssl_ticket_context ticket; /* server with --session-tickets */
    mbedtls_ecp_group_id curves[8];
    int suites[16];
    int sig_hashes[8]; /* --sigalgs: mbedtls_ssl_conf_sig_hashes */
    shim_conn *c;
    shim_role role;
    int64_t time;
    bool closed;
} mbed;

static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
    mbed *m = ctx;
    shim_write(m->c, buf, len);
    return (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len) {
    mbed *m = ctx;
    size_t n = shim_read(m->c, buf, len);
    /* Not end of stream: the peer may send more later. */
    return n == 0 ? MBEDTLS_ERR_SSL_WANT_READ : (int)n;
}

/* "send alert level=%u message=%u" and "got an alert message, type: [%u:%u]"
 * are mbedTLS 2.28's own debug lines in ssl_msg.c. */
static void debug_cb(void *ctx, int level, const char *file, int line, const char *str) {
    (void)level;
    (void)file;
    (void)line;
    mbed *m = ctx;
    shim_status *st = shim_st(m->c);
    unsigned lv, desc;
    const char *p;
    if ((p = strstr(str, "send alert level=")) != NULL &&
        sscanf(p, "send alert level=%u message=%u", &lv, &desc) == 2) {
        if (desc == MBEDTLS_SSL_ALERT_MSG_CLOSE_NOTIFY) {
            st->close_notify_sent = true;
        } else {
            st->alert_sent = (int)desc;
            st->alert_sent_level = (int)lv;
        }
    } else if ((p = strstr(str, "got an alert message, type: [")) != NULL &&
               sscanf(p, "got an alert message, type: [%u:%u]", &lv, &desc) == 2) {
        st->alert_received = (int)desc;
    }
}

/* mbedTLS checks certificate dates against the wall clock; re-judge them at
 * the harness's validation time (--time) so results do not change with the
 * calendar. Called for every certificate of the chain. */
static int cmp_time(const mbedtls_x509_time *a, const struct tm *b) {
    int av[6] = {a->year, a->mon, a->day, a->hour, a->min, a->sec};
    int bv[6] = {b->tm_year + 1900, b->tm_mon + 1, b->tm_mday, b->tm_hour, b->tm_min, b->tm_sec};
    for (int i = 0; i < 6; i++)
        if (av[i] != bv[i]) return av[i] < bv[i] ? -1 : 1;
    return 0;
}

static int verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags) {
    (void)depth;
    mbed *m = ctx;
    if (m->time == 0) return 0;
    time_t t = (time_t)m->time;
    struct tm now;
    if (gmtime_r(&t, &now) == NULL) return 0;
    *flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
    if (cmp_time(&crt->valid_to, &now) < 0) *flags |= MBEDTLS_X509_BADCERT_EXPIRED;
    if (cmp_time(&crt->valid_from, &now) > 0) *flags |= MBEDTLS_X509_BADCERT_FUTURE;
    return 0;
}

typedef struct {
    mbed *m;
    size_t n;
    char bad[128];
} list_ctx;

static bool add_curve(const char *item, void *ctx) {
    list_ctx *l = ctx;
    static const struct {
        const char *name;
        mbedtls_ecp_group_id id;
    } names[] = {
        {"secp256r1", MBEDTLS_ECP_DP_SECP256R1}, {"secp384r1", MBEDTLS_ECP_DP_SECP384R1},
        {"secp521r1", MBEDTLS_ECP_DP_SECP521R1}, {"x25519", MBEDTLS_ECP_DP_CURVE25519},
        {"x448", MBEDTLS_ECP_DP_CURVE448},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(names[i].name, item) == 0 && l->n + 1 < sizeof l->m->curves / sizeof l->m->curves[0]) {
            l->m->curves[l->n++] = names[i].id;
            return true;
        }
    }
    snprintf(l->bad, sizeof l->bad, "%s", item);
    return false;
}

static bool add_suite(const char *item, void *ctx) {
    list_ctx *l = ctx;
    /* mbedTLS spells the IANA names with '-' for '_'. */
    char name[128];
    snprintf(name, sizeof name, "%s", item);
    for (char *p = name; *p; p++)
        if (*p == '_') *p = '-';
    int id = mbedtls_ssl_get_ciphersuite_id(name);
    if (id == 0 || l->n + 1 >= sizeof l->m->suites / sizeof l->m->suites[0]) {
        snprintf(l->bad, sizeof l->bad, "%s", item);
        return false;
    }
    l->m->suites[l->n++] = id;
    return true;
}

/* --sigalgs. mbedTLS 2.28 takes hashes only (mbedtls_ssl_conf_sig_hashes)
 * and makes the TLS 1.2 pairs (RFC 5246 §7.4.1.4.1) itself: a client
 * offers (hash, ecdsa) then (hash, rsa) for each hash, a server's
 * CertificateRequest lists (hash, rsa) then (hash, ecdsa) for each hash it
 * can verify a CertificateVerify with (SHA-256, SHA-384). So the hashes
 * are those of the list in its order, and the list is taken only if those
 * hashes give exactly it back; anything else (RSA-PSS, Ed25519, a pair
 * without its twin) cannot be sent and is refused. */
static bool sig_hashes_of(mbed *m, const char *list, shim_role role, char *err, size_t err_len) {
    static const struct {
        uint8_t tls;
        mbedtls_md_type_t md;
        bool verify; /* a server can check a CertificateVerify with it */
    } hashes[] = {
        {2, MBEDTLS_MD_SHA1, false},
        {4, MBEDTLS_MD_SHA256, true},
        {5, MBEDTLS_MD_SHA384, true},
        {6, MBEDTLS_MD_SHA512, false},
    };
    enum { SIG_RSA = 1, SIG_ECDSA = 3 };
    uint16_t want[16], made[16];
    size_t n_want = 0, n_made = 0, n_md = 0;
    const size_t max_md = sizeof m->sig_hashes / sizeof m->sig_hashes[0] - 1;
    char item[64];
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        p += len + (p[len] == ',');
        uint16_t id = shim_sigalg_id(item);
        if (id == 0 || n_want == sizeof want / sizeof want[0]) {
            snprintf(err, err_len, "unsupported: signature scheme %s", item);
            return false;
        }
        want[n_want++] = id;
        for (size_t h = 0; h < sizeof hashes / sizeof hashes[0]; h++) {
            if (hashes[h].tls != id >> 8) continue;
            bool known = false;
            for (size_t i = 0; i < n_md; i++) known |= m->sig_hashes[i] == (int)hashes[h].md;
            if (known || n_md == max_md) break;
            m->sig_hashes[n_md++] = (int)hashes[h].md;
            if (role == SHIM_SERVER && !hashes[h].verify) break;
            uint16_t pair = (uint16_t)(hashes[h].tls << 8);
            made[n_made++] = pair | (role == SHIM_CLIENT ? SIG_ECDSA : SIG_RSA);
            made[n_made++] = pair | (role == SHIM_CLIENT ? SIG_RSA : SIG_ECDSA);
        }
    }
    m->sig_hashes[n_md] = MBEDTLS_MD_NONE;
    if (n_made != n_want || memcmp(made, want, n_want * sizeof want[0]) != 0) {
        snprintf(
            err, err_len, "unsupported: signature schemes %s (mbedTLS 2.28 takes hashes only, and %s)", list,
            role == SHIM_CLIENT ? "offers (hash, ecdsa) then (hash, rsa) for each"
                                : "asks for (hash, rsa) then (hash, ecdsa) for each of SHA-256 and SHA-384");
        return false;
    }
    return true;
}

static void mbed_destroy(void *p);

static void *mbed_create(const shim_opts *o, shim_conn *c, char *err, size_t err_len) {
    /* A range that reaches TLS 1.3 is refused too, not narrowed to TLS 1.2
     * (docs/shim-contract.md: "refused, never approximated"): a client
     * that offers TLS 1.3 checks a TLS 1.2 ServerHello's downgrade
     * sentinel, and a server that could answer TLS 1.3 sets it (RFC 8446
     * §4.1.3); a TLS 1.2-only stack does neither. */
    if (o->max_version >= SHIM_TLS13) {
        snprintf(err, err_len, "unsupported: mbedTLS 2.28 has no TLS 1.3");
        return NULL;
    }
    /* 0-RTT is TLS 1.3's (RFC 8446 §4.2.10). */
    if (o->max_early_data || o->early_data) {
        snprintf(err, err_len, "unsupported: 0-RTT (mbedTLS 2.28 has no TLS 1.3)");
        return NULL;
    }
    /* record_size_limit (RFC 8449) is mbedTLS 3's (MBEDTLS_SSL_RECORD_SIZE_LIMIT). */
    if (o->record_size_limit) {
        snprintf(err, err_len, "unsupported: record_size_limit (mbedTLS 2.28 does not implement RFC 8449)");
        return NULL;
    }
    mbed *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->c = c;
    m->role = o->role;
    m->time = o->time;
    mbedtls_ssl_init(&m->ssl);
    mbedtls_ssl_config_init(&m->conf);
    mbedtls_entropy_init(&m->entropy);
    mbedtls_ctr_drbg_init(&m->drbg);
    mbedtls_x509_crt_init(&m->chain);
    mbedtls_x509_crt_init(&m->ca);
    mbedtls_x509_crl_init(&m->crl);
    mbedtls_pk_init(&m->key);
    mbedtls_ssl_cache_init(&m->cache);
    mbedtls_ssl_ticket_init(&m->ticket);
    char msg[128];
    int r;
    static const unsigned char pers[] = "shakedown-shim-mbedtls";
    if ((r = mbedtls_ctr_drbg_seed(&m->drbg, mbedtls_entropy_func, &m->entropy, pers, sizeof pers - 1)) !=
            0 ||
        (r = mbedtls_ssl_config_defaults(
             &m->conf, o->role == SHIM_CLIENT ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER,
             MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
        goto mbed_fail;
    mbedtls_ssl_conf_rng(&m->conf, mbedtls_ctr_drbg_random, &m->drbg);
    mbedtls_ssl_conf_dbg(&m->conf, debug_cb, m);
    mbedtls_debug_set_threshold(3);
    /* TLS 1.2 only: 3.3 on the wire. */
    mbedtls_ssl_conf_min_version(&m->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&m->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    /* No session tickets unless asked for (a client does not offer them; a
     * server without a ticket context issues none): each run starts from
     * scratch. */
    mbedtls_ssl_conf_session_tickets(&m->conf, o->session_tickets ? MBEDTLS_SSL_SESSION_TICKETS_ENABLED
                                                                  : MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
    if (o->role == SHIM_SERVER && o->session_tickets) {
        /* RFC 5077 §4's recommended construction is the library's: one key
         * for the process, lifetime a day (mbedTLS's example servers'). */
        if ((r = mbedtls_ssl_ticket_setup(&m->ticket, mbedtls_ctr_drbg_random, &m->drbg,
                                          MBEDTLS_CIPHER_AES_256_GCM, 86400)) != 0)
            goto mbed_fail;
        mbedtls_ssl_conf_session_tickets_cb(&m->conf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse,
                                            &m->ticket);
    }
    /* --renegotiation on: mbedtls_ssl_read renegotiates when the peer asks
     * (a HelloRequest, or a client's ClientHello after the handshake); the
     * library's default, MBEDTLS_SSL_LEGACY_NO_RENEGOTIATION, keeps it to
     * secure renegotiation (RFC 5746 §4.2, §4.4). Off (the library's
     * default too), mbedtls_ssl_read answers either with a warning
     * no_renegotiation (RFC 5246 §7.2.2). */
    mbedtls_ssl_conf_renegotiation(&m->conf, o->renegotiation ? MBEDTLS_SSL_RENEGOTIATION_ENABLED
                                                              : MBEDTLS_SSL_RENEGOTIATION_DISABLED);
    /* encrypt_then_mac (RFC 7366): on by default in mbedTLS (a client
     * offers it, a server accepts it for a CBC suite). */
    if (o->encrypt_then_mac != SHIM_SWITCH_DEFAULT)
        mbedtls_ssl_conf_encrypt_then_mac(&m->conf, o->encrypt_then_mac == SHIM_SWITCH_ON
                                                        ? MBEDTLS_SSL_ETM_ENABLED
                                                        : MBEDTLS_SSL_ETM_DISABLED);
    /* max_fragment_length (RFC 6066 §4): a client requests the length;
     * an mbedTLS server accepts a request without being told to. */
    if (o->role == SHIM_CLIENT && o->max_fragment_length) {
        _Static_assert(MBEDTLS_SSL_MAX_FRAG_LEN_512 == 1 && MBEDTLS_SSL_MAX_FRAG_LEN_4096 == 4,
                       "mbedTLS's MaxFragmentLength constants are RFC 6066's codes");
        if ((r = mbedtls_ssl_conf_max_frag_len(&m->conf,
                                               shim_max_fragment_length_code(o->max_fragment_length))) != 0)
            goto mbed_fail;
    }
    if (o->role == SHIM_SERVER && o->session_cache)
        mbedtls_ssl_conf_session_cache(&m->conf, &m->cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
    mbedtls_ssl_conf_verify(&m->conf, verify_cb, m);

    if (o->cert) {
        const char *key_file = o->key ? o->key : o->cert;
        r = mbedtls_pk_parse_keyfile(&m->key, key_file, NULL);
        if (r == MBEDTLS_ERR_PK_UNKNOWN_PK_ALG) {
            /* An Ed25519 or Ed448 credential (RFC 8410): mbedTLS 2.28 has
             * no EdDSA, so a run with it is one this stack cannot play
             * (SKIP), not a failure of the harness. */
            snprintf(err, err_len, "unsupported: the key algorithm of %s (mbedTLS 2.28 has no EdDSA)",
                     key_file);
            goto fail;
        }
        if (r != 0 || (r = mbedtls_x509_crt_parse_file(&m->chain, o->cert)) != 0 ||
            (r = mbedtls_ssl_conf_own_cert(&m->conf, &m->chain, &m->key)) != 0) {
            mbedtls_strerror(r, msg, sizeof msg);
            snprintf(err, err_len, "cannot load the credential %s: %s", o->cert, msg);
            goto fail;
        }
    } else if (o->role == SHIM_SERVER) {
        snprintf(err, err_len, "a server needs --cert and --key");
        goto fail;
    }
    if (o->trust) {
        if ((r = mbedtls_x509_crt_parse_file(&m->ca, o->trust)) != 0) {
            mbedtls_strerror(r, msg, sizeof msg);
            snprintf(err, err_len, "cannot load the trust anchors %s: %s", o->trust, msg);
            goto fail;
        }
        /* RFC 5280 §6.3: mbedTLS consults a CRL for the certificates of
         * its issuer only; a listed one is MBEDTLS_X509_BADCERT_REVOKED. */
        if (o->crl && (r = mbedtls_x509_crl_parse_file(&m->crl, o->crl)) != 0) {
            mbedtls_strerror(r, msg, sizeof msg);
            snprintf(err, err_len, "cannot load the CRL %s: %s", o->crl, msg);
            goto fail;
        }
        mbedtls_ssl_conf_ca_chain(&m->conf, &m->ca, o->crl ? &m->crl : NULL);
    }
    if (o->role == SHIM_CLIENT) {
        mbedtls_ssl_conf_authmode(&m->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
        mbedtls_ssl_conf_authmode(&m->conf, o->client_auth == SHIM_AUTH_REQUIRE ? MBEDTLS_SSL_VERIFY_REQUIRED
                                            : o->client_auth == SHIM_AUTH_REQUEST
                                                ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                                : MBEDTLS_SSL_VERIFY_NONE);
    }
    if (o->groups) {
        list_ctx l = {m, 0, {0}};
        if (!shim_each(o->groups, add_curve, &l)) {
            snprintf(err, err_len, "unsupported: group %s", l.bad);
            goto fail;
        }
        m->curves[l.n] = MBEDTLS_ECP_DP_NONE;
        mbedtls_ssl_conf_curves(&m->conf, m->curves);
    }
    if (o->ciphers) {
        list_ctx l = {m, 0, {0}};
        if (!shim_each(o->ciphers, add_suite, &l)) {
            snprintf(err, err_len, "unsupported: cipher suite %s", l.bad);
            goto fail;
        }
        m->suites[l.n] = 0;
        mbedtls_ssl_conf_ciphersuites(&m->conf, m->suites);
    }
    if (o->sigalgs) {
        if (!sig_hashes_of(m, o->sigalgs, o->role, err, err_len)) goto fail;
        mbedtls_ssl_conf_sig_hashes(&m->conf, m->sig_hashes);
    }
    if ((r = mbedtls_ssl_setup(&m->ssl, &m->conf)) != 0) goto mbed_fail;
    if (o->role == SHIM_CLIENT && o->server_name &&
        (r = mbedtls_ssl_set_hostname(&m->ssl, o->server_name)) != 0)
        goto mbed_fail;
    mbedtls_ssl_set_bio(&m->ssl, m, bio_send, bio_recv, NULL);
    if (o->role == SHIM_CLIENT && o->resume_session) {
        mbedtls_ssl_session sess;
        mbedtls_ssl_session_init(&sess);
        r = mbedtls_ssl_session_load(&sess, o->resume_session, o->resume_session_len);
        if (r == 0) r = mbedtls_ssl_set_session(&m->ssl, &sess);
        mbedtls_ssl_session_free(&sess);
        if (r != 0) {
            mbedtls_strerror(r, msg, sizeof msg);
            snprintf(err, err_len, "--resume-session-hex is no mbedTLS session: %s", msg);
            goto fail;
        }
    }
    return m;

mbed_fail:
    mbedtls_strerror(r, msg, sizeof msg);
    snprintf(err, err_len, "mbedtls: %s", msg);
fail:
    mbed_destroy(m);
    return NULL;
}

static void fail_mbed(mbed *m, int r) {
    char msg[160];
    mbedtls_strerror(r, msg, sizeof msg);
    uint32_t v = mbedtls_ssl_get_verify_result(&m->ssl);
    if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && v != 0 && v != (uint32_t)-1) {
        char why[160];
        mbedtls_x509_crt_verify_info(why, sizeof why, "", v);
        why[strcspn(why, "\n")] = '\0';
        shim_fail(m->c, "%s: %s", msg, why);
        return;
    }
    shim_fail(m->c, "%s", msg);
}

static void mbed_step(void *p, shim_conn *c) {
    mbed *m = p;
    shim_status *st = shim_st(c);
    if (st->failed || m->closed) return;
    if (!st->handshake_done) {
        int r = mbedtls_ssl_handshake(&m->ssl);
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return;
        if (r != 0) {
            fail_mbed(m, r);
            return;
        }
        st->handshake_done = true;
    }
    /* The echo contract: every application-data byte read is written back,
     * or with --app-reply-hex a request line is answered (shim_app_answer). */
    unsigned char buf[16384];
    for (;;) {
        int n = mbedtls_ssl_read(&m->ssl, buf, sizeof buf);
        if (n > 0) {
            size_t len = (size_t)n;
            const void *answer = shim_app_answer(c, buf, &len);
            if (answer == NULL) continue;
            int w = mbedtls_ssl_write(&m->ssl, answer, len);
            if (w != (int)len) {
                fail_mbed(m, w < 0 ? w : MBEDTLS_ERR_SSL_INTERNAL_ERROR);
                return;
            }
            continue;
        }
        if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) return;
        if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == 0) {
            /* The peer's close_notify: answer with ours (RFC 5246 §7.2.1). */
            m->closed = true;
            /* Unless ours went first (CLOSE): one close_notify per side. */
            if (!shim_st(m->c)->close_notify_sent) mbedtls_ssl_close_notify(&m->ssl);
            return;
        }
        fail_mbed(m, n);
        return;
    }
}

static void mbed_status(void *p, shim_conn *c) {
    mbed *m = p;
    shim_status *st = shim_st(c);
    if (!st->handshake_done) return;
    st->version = (uint16_t)(m->ssl.major_ver << 8 | m->ssl.minor_ver);
    const char *suite = mbedtls_ssl_get_ciphersuite(&m->ssl);
    st->cipher = suite ? (uint16_t)mbedtls_ssl_get_ciphersuite_id(suite) : 0;
    /* 2.28 does not expose the negotiated curve after the handshake: 0. */
    /* Either role: a chain verified (a server verifies only what it asks
     * for, docs/shim-contract.md). */
    st->peer_authenticated = st->handshake_done && mbedtls_ssl_get_peer_cert(&m->ssl) != NULL &&
                             mbedtls_ssl_get_verify_result(&m->ssl) == 0;
}

static const char *mbed_version(void) {
    static char v[64];
    mbedtls_version_get_string_full(v);
    return v;
}

static void mbed_destroy(void *p) {
    mbed *m = p;
    if (m == NULL) return;
    mbedtls_ssl_free(&m->ssl);
    mbedtls_ssl_config_free(&m->conf);
    mbedtls_x509_crt_free(&m->chain);
    mbedtls_x509_crt_free(&m->ca);
    mbedtls_x509_crl_free(&m->crl);
    mbedtls_pk_free(&m->key);
    mbedtls_ssl_cache_free(&m->cache);
    mbedtls_ssl_ticket_free(&m->ticket);
    mbedtls_ctr_drbg_free(&m->drbg);
    mbedtls_entropy_free(&m->entropy);
    free(m);
}

/* NEXT: the same context reset for a new connection; the configuration,
 * with the session cache and the ticket key, stays. */
static bool mbed_next(void *p, shim_conn *c, char *err, size_t err_len) {
    mbed *m = p;
    m->c = c;
    m->closed = false;
    int r = mbedtls_ssl_session_reset(&m->ssl);
    if (r != 0) {
        char msg[128];
        mbedtls_strerror(r, msg, sizeof msg);
        snprintf(err, err_len, "mbedtls_ssl_session_reset: %s", msg);
        return false;
    }
    return true;
}

/* SESSION: mbedTLS's saved session, if it names one to resume (a session
 * id or a ticket). */
static size_t mbed_export_session(void *p, uint8_t *out, size_t cap) {
    mbed *m = p;
    mbedtls_ssl_session sess;
    mbedtls_ssl_session_init(&sess);
    size_t n = 0;
    if (mbedtls_ssl_get_session(&m->ssl, &sess) == 0 && (sess.id_len > 0 || sess.ticket_len > 0) &&
        mbedtls_ssl_session_save(&sess, out, cap, &n) != 0)
        n = 0;
    mbedtls_ssl_session_free(&sess);
    return n;
}

/* CLOSE: our close_notify (the debug hook records it); the peer's answer,
 * if it comes, is read by step() as usual. */
static void mbed_close(void *p, shim_conn *c) {
    (void)c;
    mbed *m = p;
    mbedtls_ssl_close_notify(&m->ssl);
}

const shim_stack shim_stack_mbedtls = {
    .name = "mbedtls",
    .version = mbed_version,
    .create = mbed_create,
    .step = mbed_step,
    .status = mbed_status,
    .destroy = mbed_destroy,
    .close = mbed_close,
    .next_connection = mbed_next,
    .export_session = mbed_export_session,
    /* Everything it keeps is in the contexts that destroy() frees;
     * its clock is ours (m->time). */
    .resets = true,
};
