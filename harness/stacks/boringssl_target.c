/* boringssl_target.c — BoringSSL's libssl behind the target interface.
 *
 * BoringSSL is the oracle of the differential runs, so this adapter adds as
 * little behaviour of its own as it can: it configures an SSL object, moves
 * bytes in and out, and reports what libssl says. It is in-process and fast.
 *
 * I/O goes through one custom BIO (both rbio and wbio) whose read side is a
 * queue of the bytes the peer sent and whose write side is an append-only
 * buffer that drain() empties. We use our own BIO rather than BIO_s_mem or a
 * BIO pair because:
 *   - BIO_s_mem memmoves the rest of its buffer on every read, and libssl reads
 *     a record header and body separately, so a large fuzz input of many small
 *     records would cost O(n^2);
 *   - a BIO pair has a fixed capacity, so feed() and libssl's writes would
 *     have to handle partial transfers and interleave with drain().
 * Our BIO never blocks on write and has no size limit; reading an empty queue
 * is "retry", which libssl reports as SSL_ERROR_WANT_READ.
 *
 * Determinism: libssl draws its randoms from libcrypto, which we cannot
 * seed, so cfg->seed (or cfg->ticket_seed) only keys the session tickets.
 * Everything that would add variation between runs and that we can switch
 * off is off: session tickets only when cfg->session_tickets asks for them
 * (one per connection, sealed with keys from the seed), the session cache
 * only when the caller passes one (cfg->session_cache); GREASE and
 * extension permutation are off by default in BoringSSL and we leave them
 * off. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/base.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "crypto/tls12.h"
#include "protocol/session_cache.h"
#include "protocol/target.h"
#include "wire/cert_compression.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "stacks/stacks.h"
#include "util/util.h"

typedef struct {
    sd_target base; /* must be first: the driver holds us as sd_target * */
    sd_role role;
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *bio;

    /* What the peer sent and libssl has not read yet: in.data[in_off..in.len). */
    sd_buf in;
    size_t in_off;
    /* What libssl wrote and drain() has not taken yet. */
    sd_buf out;

    bool handshake_done;
    /* What the last completed handshake negotiated and proved: during a
     * renegotiation libssl's getters read the new handshake's session, half
     * made, but the connection still runs on these until it completes. */
    uint16_t done_version, done_suite, done_group;
    bool done_peer_authenticated;
    bool failed;
    bool closed; /* close_notify received and answered; nothing more to do */
    bool close_notify_sent;
    int alert_sent, alert_sent_level, alert_received;
    char error[sizeof(((sd_target_status *)0)->error)];
    sd_buf session;                  /* client: the newest resumable session, serialised */
    sd_session_cache *session_cache; /* server: cfg->session_cache */
    sd_span app_reply;               /* cfg->app_reply: sent instead of the echo if set */
    unsigned app_replies;            /* times app_reply went out (sd_target_status) */
    /* 0-RTT (RFC 8446 §4.2.10). Server: early data read before the
     * handshake is done, echoed once it is (target.h). Client: the bytes
     * to send as early data (cfg->early_data), once. */
    sd_buf early_in;
    sd_span early_data;
    bool early_written;
    sd_span alpn; /* cfg->alpn: the protocols, in order of preference */
} bssl_target;

static bssl_target *from_base(sd_target *t) { return (bssl_target *)t; }

static void set_err(char *err, size_t err_len, const char *msg) {
    if (err != NULL && err_len > 0) sd_set_error(err, err_len, "boringssl target: %s", msg);
}

/* BoringSSL lacks what the configuration asks for: the reason alone, which
 * becomes the SKIP's why. */
static void set_unsupported(sd_target_error *err, const char *reason) {
    snprintf(err->text, sizeof err->text, "%s", reason);
    err->unsupported = true;
}

/* ---- The BIO ---------------------------------------------------------------
 * BIO_set_data holds the owning bssl_target. The BIO does not own it: the
 * target frees the SSL (and with it the BIO) first, then its buffers. */

static int queue_bio_read(BIO *bio, char *dst, int dst_len) {
    bssl_target *t = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    size_t avail = t->in.len - t->in_off;
    if (avail == 0) {
        /* Not end of stream: the peer may send more later. */
        BIO_set_retry_read(bio);
        return -1;
    }
    if (dst_len <= 0) return 0;
    size_t n = avail < (size_t)dst_len ? avail : (size_t)dst_len;
    memcpy(dst, t->in.data + t->in_off, n);
    t->in_off += n;
    if (t->in_off == t->in.len) {
        /* Everything consumed: rewind for free instead of moving bytes. */
        sd_buf_reset(&t->in);
        t->in_off = 0;
    }
    return (int)n;
}

static int queue_bio_write(BIO *bio, const char *src, int src_len) {
    bssl_target *t = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    if (src_len <= 0) return 0;
    sd_buf_append(&t->out, src, (size_t)src_len);
    /* An allocation failure makes libssl see a write error (SSL_ERROR_SYSCALL);
     * we report it as such rather than pretending the bytes went out. */
    return t->out.failed ? -1 : src_len;
}

static long queue_bio_ctrl(BIO *bio, int cmd, long larg, void *parg) {
    (void)larg;
    (void)parg;
    bssl_target *t = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH: /* libssl flushes after each flight; nothing to do */
        return 1;
    case BIO_CTRL_PENDING:
        return (long)(t->in.len - t->in_off);
    case BIO_CTRL_WPENDING:
        return (long)t->out.len;
    default:
        return 0;
    }
}

static BIO_METHOD *queue_bio_method;
static pthread_once_t queue_bio_once = PTHREAD_ONCE_INIT;

/* One method for the process; never freed (it is a few bytes and reachable,
 * so LeakSanitizer does not count it). */
static void queue_bio_method_init(void) {
    BIO_METHOD *m = BIO_meth_new(0, "shakedown queue");
    if (m == NULL) return;
    if (!BIO_meth_set_read(m, queue_bio_read) || !BIO_meth_set_write(m, queue_bio_write) ||
        !BIO_meth_set_ctrl(m, queue_bio_ctrl)) {
        BIO_meth_free(m);
        return;
    }
    queue_bio_method = m;
}

/* ---- Status tracking -------------------------------------------------------- */

/* libssl calls this for every alert it reads or writes (value = level << 8 |
 * description). alert_sent records every alert except close_notify, which has
 * its own flag: in TLS 1.3 every other alert is fatal whatever its level field
 * says (RFC 8446 §6), and BoringSSL sends no other warning alerts, so in
 * practice alert_sent is "the fatal alert it sent". The level is kept so that a
 * stack that sends a fatal condition at warning level can be told apart. */
static void info_callback(const SSL *ssl, int type, int value) {
    bssl_target *t = SSL_get_app_data(ssl);
    if (t == NULL) return;
    int level = (value >> 8) & 0xff, desc = value & 0xff;
    if (type == SSL_CB_WRITE_ALERT) {
        if (desc == SSL_AD_CLOSE_NOTIFY) {
            t->close_notify_sent = true;
        } else {
            t->alert_sent = desc;
            t->alert_sent_level = level;
        }
    } else if (type == SSL_CB_READ_ALERT) {
        t->alert_received = desc;
    }
}

/* Marks the connection failed and keeps the first reason only: later errors
 * are usually consequences of the first. The error queue is per thread and
 * shared with every other user of libcrypto in the process, so it is cleared
 * before each libssl call (see drive()) and after we read it here. */
static void fail(bssl_target *t, int ssl_err, const char *what) {
    uint32_t e = ERR_get_error();
    if (!t->failed) {
        t->failed = true;
        const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;
        char code[96];
        if (e != 0 && reason == NULL) {
            ERR_error_string_n(e, code, sizeof code);
            reason = code;
        }
        if (reason == NULL) {
            snprintf(t->error, sizeof t->error, "%s failed, SSL_get_error=%d, no error queued", what,
                     ssl_err);
        } else if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
            /* CERTIFICATE_VERIFY_FAILED alone does not say which defect.
             * (Only then: before any verification the result is
             * X509_V_ERR_INVALID_CALL, which would mislead.) */
            snprintf(t->error, sizeof t->error, "%s: %s", reason,
                     X509_verify_cert_error_string(SSL_get_verify_result(t->ssl)));
        } else {
            snprintf(t->error, sizeof t->error, "%s", reason);
        }
    }
    ERR_clear_error();
}

/* The handshake is done: BoringSSL holds TLS 1.3 tickets back "until the
 * server performs a write", so a server writes zero bytes to flush them, as
 * a server that answers at once would; then the echo of the 0-RTT it read
 * before (target.h). False after a failure. */
static bool handshake_completed(bssl_target *t) {
    t->handshake_done = true;
    const SSL_CIPHER *cipher = SSL_get_current_cipher(t->ssl);
    if (cipher != NULL) {
        t->done_version = (uint16_t)SSL_version(t->ssl);
        t->done_suite = SSL_CIPHER_get_protocol_id(cipher);
        t->done_group = SSL_get_curve_id(t->ssl);
    }
    t->done_peer_authenticated =
        SSL_get0_peer_certificates(t->ssl) != NULL && SSL_get_verify_result(t->ssl) == X509_V_OK;
    if (t->role == SD_ROLE_SERVER) SSL_write(t->ssl, "", 0);
    if (t->early_in.len && !t->app_reply.len) {
        int w = SSL_write(t->ssl, t->early_in.data, (int)t->early_in.len);
        if (w != (int)t->early_in.len) {
            fail(t, SSL_get_error(t->ssl, w), "SSL_write (the echo of early data)");
            return false;
        }
    }
    sd_buf_reset(&t->early_in);
    return true;
}

/* Runs libssl as far as the queued input allows: the handshake, then the echo
 * of application data, then the answer to a close_notify. */
static void drive(bssl_target *t) {
    if (t->failed || t->closed) return;
    while (!t->handshake_done) {
        ERR_clear_error();
        int r = SSL_do_handshake(t->ssl);
        if (r == 1 && SSL_in_init(t->ssl)) {
            /* BoringSSL returns from the handshake into 0-RTT (SSL_in_early_data):
             * a client writes its early data now, a server reads it below;
             * the rest of the handshake goes on from the next input. */
            if (t->role == SD_ROLE_CLIENT && t->early_data.len && !t->early_written) {
                t->early_written = true;
                int w = SSL_write(t->ssl, t->early_data.data, (int)t->early_data.len);
                if (w <= 0) {
                    fail(t, SSL_get_error(t->ssl, w), "SSL_write (early data)");
                    return;
                }
            }
            break;
        }
        if (r == 1) {
            if (!handshake_completed(t)) return;
        } else {
            int e = SSL_get_error(t->ssl, r);
            if (e == SSL_ERROR_WANT_READ) return;
            /* The server refused the client's 0-RTT: the handshake goes on
             * without it (BoringSSL's contract for SSL_ERROR_EARLY_DATA_REJECTED;
             * the data is not sent again, RFC 8446 §4.2.10 "SHOULD NOT
             * automatically resend early data"). */
            if (e == SSL_ERROR_EARLY_DATA_REJECTED) {
                SSL_reset_early_data_reject(t->ssl);
                continue;
            }
            /* A close_notify during the handshake ends it too (BoringSSL
             * reports ZERO_RETURN); SSL_shutdown is refused while in init, so
             * there is nothing to answer with. */
            if (e == SSL_ERROR_ZERO_RETURN) {
                t->failed = true;
                snprintf(t->error, sizeof t->error, "close_notify received before the handshake completed");
                ERR_clear_error();
                return;
            }
            fail(t, e, "SSL_do_handshake");
            return;
        }
    }

    /* The echo contract (target.h): every application-data byte read is
     * written back; with app_reply, a read holding a newline is answered
     * with it and one without is answered with nothing. Records may carry
     * up to 2^14 bytes; a larger buffer would not make SSL_read return more
     * per call. */
    uint8_t buf[16384];
    for (;;) {
        ERR_clear_error();
        int n = SSL_read(t->ssl, buf, (int)sizeof buf);
        /* The handshake may finish inside SSL_read, after 0-RTT. */
        if (!t->handshake_done && !SSL_in_init(t->ssl) && !handshake_completed(t)) return;
        if (n > 0 && !t->handshake_done) {
            /* 0-RTT read before the handshake is done: kept for the echo. */
            sd_buf_append(&t->early_in, buf, (size_t)n);
            continue;
        }
        if (n > 0) {
            ERR_clear_error();
            const uint8_t *reply = buf;
            if (t->app_reply.len) {
                if (!memchr(buf, '\n', (size_t)n)) continue;
                reply = t->app_reply.data;
                n = (int)t->app_reply.len;
                t->app_replies++;
            }
            int w = SSL_write(t->ssl, reply, n);
            if (w != n) {
                fail(t, SSL_get_error(t->ssl, w), "SSL_write");
                return;
            }
            continue;
        }
        int e = SSL_get_error(t->ssl, n);
        if (e == SSL_ERROR_WANT_READ) return;
        if (e == SSL_ERROR_ZERO_RETURN) {
            /* The peer's close_notify: answer with ours (target.h). With the
             * peer's already received, SSL_shutdown sends and returns 1. */
            t->closed = true;
            ERR_clear_error();
            int s = SSL_shutdown(t->ssl);
            if (s < 0) fail(t, SSL_get_error(t->ssl, s), "SSL_shutdown");
            return;
        }
        fail(t, e, "SSL_read");
        return;
    }
}

/* ---- Configuration ---------------------------------------------------------- */

static bool version_ok(uint16_t v) { return v == SD_TLS12 || v == SD_TLS13; }

/* Installs a certificate chain and its key (the server's, or the client's
 * for client authentication). */
static bool set_credential(SSL_CTX *ctx, const sd_credential *cred, char *err, size_t err_len) {
    if (cred->chain_len == 0 || cred->chain_len > SD_MAX_CHAIN) {
        char m[160];
        snprintf(m, sizeof m, "credential \"%s\" has %zu certificates", cred->name, cred->chain_len);
        set_err(err, err_len, m);
        return false;
    }
    if (cred->key == NULL) {
        char m[160];
        snprintf(m, sizeof m, "credential \"%s\" has no private key", cred->name);
        set_err(err, err_len, m);
        return false;
    }
    /* The CRYPTO_BUFFER API sends the DER exactly as given, without a parse
     * and re-encode through X509, so deliberately odd fixtures go out as
     * made. It still checks that the key matches the leaf. */
    CRYPTO_BUFFER *bufs[SD_MAX_CHAIN] = {0};
    bool ok = true;
    for (size_t i = 0; i < cred->chain_len && ok; i++) {
        bufs[i] = CRYPTO_BUFFER_new(cred->chain_der[i], cred->chain_der_len[i], NULL);
        ok = bufs[i] != NULL;
    }
    ERR_clear_error();
    if (ok && !SSL_CTX_set_chain_and_key(ctx, bufs, cred->chain_len, cred->key, NULL)) {
        uint32_t e = ERR_get_error();
        char m[200];
        snprintf(m, sizeof m, "credential \"%s\" rejected: %s", cred->name,
                 e != 0 && ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown reason");
        set_err(err, err_len, m);
        ok = false;
    } else if (!ok) {
        set_err(err, err_len, "out of memory");
    }
    for (size_t i = 0; i < cred->chain_len; i++) CRYPTO_BUFFER_free(bufs[i]);
    ERR_clear_error();
    return ok;
}

/* Trust anchor and validation time, for whichever side checks certificates. */
static bool set_trust(SSL_CTX *ctx, const sd_target_config *cfg, char *err, size_t err_len) {
    if (cfg->pki == NULL || cfg->pki->root == NULL) {
        set_err(err, err_len, "checking certificates needs the PKI's trust anchor (cfg->pki->root)");
        return false;
    }
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    if (store == NULL || !X509_STORE_add_cert(store, cfg->pki->root)) {
        set_err(err, err_len, "cannot add the trust anchor to the X509_STORE");
        ERR_clear_error();
        return false;
    }
    /* Validate at the configured time, not the wall clock, so that results do
     * not change with the calendar. */
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx), (time_t)cfg->now);
    /* The PKI's CRL, when it has one, as the model checks it: leaves only
     * (the CRL is the intermediate's). Parsed once, by sd_pki_load. */
    if (sd_pki_blob(cfg->pki, "crl.der")) {
        if (!cfg->pki->crl || !X509_STORE_add_crl(store, cfg->pki->crl)) {
            set_err(err, err_len, "cannot load the PKI's CRL");
            ERR_clear_error();
            return false;
        }
        X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_CRL_CHECK);
    }
    return true;
}

/* Server: ALPN as target.h asks (RFC 7301 §3.2): the first of the
 * server's protocols that the client offers; none in common is
 * SSL_TLSEXT_ERR_ALERT_FATAL, which BoringSSL sends as
 * no_application_protocol (ssl_negotiate_alpn). BoringSSL has checked the
 * client's list (decode_error) before it calls this. */
static int select_alpn(SSL *ssl, const uint8_t **out, uint8_t *out_len, const uint8_t *in, unsigned in_len,
                       void *arg) {
    (void)arg;
    const bssl_target *t = SSL_get_app_data(ssl);
    sd_span chosen;
    if (!t || !sd_alpn_select(t->alpn, sd_span_of(in, in_len), &chosen)) return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = chosen.data;
    *out_len = (uint8_t)chosen.len;
    return SSL_TLSEXT_ERR_OK;
}

/* Certificate compression (RFC 8879): BoringSSL implements the messages
 * and leaves the algorithms to its caller (SSL_CTX_add_cert_compression_alg,
 * one pair of callbacks per algorithm), so the adapter lends it the same
 * zlib and brotli code the model and the driver use. The decompression
 * callback must produce exactly uncompressed_len bytes, which
 * sd_cert_decompress enforces (and stops at: a decompression bomb). */
static int cert_compress(uint16_t alg, CBB *out, const uint8_t *in, size_t in_len) {
    sd_buf compressed;
    sd_buf_init(&compressed);
    bool ok = sd_cert_compress(alg, sd_span_of(in, in_len), &compressed) && !compressed.failed &&
              CBB_add_bytes(out, compressed.data, compressed.len);
    sd_buf_free(&compressed);
    return ok;
}

static int cert_decompress(uint16_t alg, CRYPTO_BUFFER **out, size_t uncompressed_len, const uint8_t *in,
                           size_t in_len) {
    sd_buf plain;
    sd_buf_init(&plain);
    const char *why = NULL;
    bool ok = sd_cert_decompress(alg, sd_span_of(in, in_len), uncompressed_len, &plain, &why);
    *out = ok ? CRYPTO_BUFFER_new(plain.data, plain.len, NULL) : NULL;
    sd_buf_free(&plain);
    return *out != NULL;
}

static int compress_zlib(SSL *ssl, CBB *out, const uint8_t *in, size_t in_len) {
    (void)ssl;
    return cert_compress(SD_CERT_COMPRESSION_ZLIB, out, in, in_len);
}
static int decompress_zlib(SSL *ssl, CRYPTO_BUFFER **out, size_t uncompressed_len, const uint8_t *in,
                           size_t in_len) {
    (void)ssl;
    return cert_decompress(SD_CERT_COMPRESSION_ZLIB, out, uncompressed_len, in, in_len);
}
static int compress_brotli(SSL *ssl, CBB *out, const uint8_t *in, size_t in_len) {
    (void)ssl;
    return cert_compress(SD_CERT_COMPRESSION_BROTLI, out, in, in_len);
}
static int decompress_brotli(SSL *ssl, CRYPTO_BUFFER **out, size_t uncompressed_len, const uint8_t *in,
                             size_t in_len) {
    (void)ssl;
    return cert_decompress(SD_CERT_COMPRESSION_BROTLI, out, uncompressed_len, in, in_len);
}

/* The target's algorithms, in its order of preference (a BoringSSL server
 * compresses with the first of these the client offers). */
static bool set_cert_compression(SSL_CTX *ctx, const sd_target_config *cfg, sd_target_error *err) {
    /* BoringSSL's compress_certificate is a ClientHello extension only
     * (ssl/extensions.cc): it compresses and decompresses the server's
     * Certificate. The other direction, a CertificateRequest that offers it
     * for the client's Certificate (RFC 8879 §3), it does not take part
     * in: a BoringSSL server set up with algorithms answers a compressed
     * client Certificate with unexpected_message, as one it never asked
     * for. A scenario with client authentication would test what it does
     * not do. */
    bool client_certificate = cfg->role == SD_ROLE_SERVER ? cfg->client_auth != SD_CLIENT_AUTH_NONE
                                                          : cfg->client_credential != NULL;
    if (cfg->n_cert_compression && client_certificate) {
        set_unsupported(err,
                        "compressed client certificates (RFC 8879 §3 in a CertificateRequest): BoringSSL "
                        "compresses the server's Certificate only");
        return false;
    }
    for (size_t i = 0; i < cfg->n_cert_compression && i < SD_MAX_CERT_COMPRESSION; i++) {
        uint16_t alg = cfg->cert_compression[i];
        int ok = alg == SD_CERT_COMPRESSION_ZLIB
                     ? SSL_CTX_add_cert_compression_alg(ctx, alg, compress_zlib, decompress_zlib)
                 : alg == SD_CERT_COMPRESSION_BROTLI
                     ? SSL_CTX_add_cert_compression_alg(ctx, alg, compress_brotli, decompress_brotli)
                     : 0;
        if (!ok) {
            char m[96];
            snprintf(m, sizeof m, "certificate compression algorithm %u (RFC 8879)", alg);
            set_unsupported(err, m);
            return false;
        }
    }
    return true;
}

/* Groups by their BoringSSL names; false for one it does not know. */
static bool set_groups(SSL_CTX *ctx, const sd_target_config *cfg, sd_target_error *err) {
    if (cfg->n_groups == 0) return true;
    char list[256] = "";
    for (size_t i = 0; i < cfg->n_groups; i++) {
        const char *name = cfg->groups[i] == SD_x25519      ? "X25519"
                           : cfg->groups[i] == SD_secp256r1 ? "P-256"
                           : cfg->groups[i] == SD_secp384r1 ? "P-384"
                           : cfg->groups[i] == SD_secp521r1 ? "P-521"
                                                            : NULL;
        if (!name || strlen(list) + strlen(name) + 2 > sizeof list) {
            /* BoringSSL implements no X448 and, since it removed DHE, no
             * finite-field group (RFC 7919): say so, not just the number. */
            const char *group_name = sd_group_name(cfg->groups[i]);
            char m[160];
            if (cfg->groups[i] == SD_x448)
                snprintf(m, sizeof m, "group x448 (0x001e): BoringSSL has no X448");
            else if (cfg->groups[i] >= SD_ffdhe2048 && cfg->groups[i] <= SD_ffdhe8192)
                snprintf(m, sizeof m, "group %s (0x%04x): BoringSSL has no finite-field (FFDHE) groups",
                         group_name, cfg->groups[i]);
            else
                snprintf(m, sizeof m, "group %s (0x%04x): BoringSSL cannot be set up with it",
                         group_name ? group_name : "?", cfg->groups[i]);
            set_unsupported(err, m);
            return false;
        }
        if (i) strcat(list, ":");
        strcat(list, name);
    }
    if (!SSL_CTX_set1_curves_list(ctx, list)) {
        set_err(err->text, sizeof err->text, "cannot set the groups");
        ERR_clear_error();
        return false;
    }
    return true;
}

/* TLS 1.2 suites, by BoringSSL's names for their code points; the strict
 * setter fails on any name it does not know, rather than skipping it. */
static bool set_tls12_suites(SSL_CTX *ctx, const sd_target_config *cfg, sd_target_error *err) {
    char list[1024] = "";
    for (size_t i = 0; i < cfg->n_cipher_suites; i++) {
        const SSL_CIPHER *c = SSL_get_cipher_by_value(cfg->cipher_suites[i]);
        const sd_tls12_suite *ours = sd_tls12_suite_find(cfg->cipher_suites[i]);
        if (ours && ours->kx == SD_KX_DHE_RSA) {
            /* BoringSSL removed finite-field DHE (its DHE_RSA suites are
             * gone; ssl/ssl_cipher.cc lists none). */
            char m[120];
            snprintf(m, sizeof m, "BoringSSL has no finite-field DHE cipher suites (%s)", ours->name);
            set_unsupported(err, m);
            return false;
        }
        if (!c || strlen(list) + strlen(SSL_CIPHER_get_name(c)) + 2 > sizeof list) {
            char m[80];
            snprintf(m, sizeof m, "cipher suite 0x%04x", cfg->cipher_suites[i]);
            set_unsupported(err, m);
            return false;
        }
        if (i) strcat(list, ":");
        strcat(list, SSL_CIPHER_get_name(c));
    }
    if (!SSL_CTX_set_strict_cipher_list(ctx, list)) {
        set_unsupported(err, "BoringSSL refuses that cipher suite list");
        ERR_clear_error();
        return false;
    }
    return true;
}

/* Signature schemes BoringSSL accepts from the peer: its defaults plus
 * Ed25519 and ECDSA P-521, which it supports but does not offer unless
 * asked (the fixture's leaf-p521 and client-p521 need the latter). */
static bool set_verify_prefs(SSL_CTX *ctx, const sd_target_config *cfg) {
    /* `signature-algorithms:`: exactly the scenario's schemes, which
     * BoringSSL offers in its signature_algorithms or CertificateRequest
     * and holds the peer's signature to (ssl_public_key_verify). */
    if (cfg->n_sigalgs) return SSL_CTX_set_verify_algorithm_prefs(ctx, cfg->sigalgs, cfg->n_sigalgs);
    static const uint16_t prefs[] = {
        SSL_SIGN_ECDSA_SECP256R1_SHA256, SSL_SIGN_RSA_PSS_RSAE_SHA256, SSL_SIGN_RSA_PKCS1_SHA256,
        SSL_SIGN_ECDSA_SECP384R1_SHA384, SSL_SIGN_RSA_PSS_RSAE_SHA384, SSL_SIGN_RSA_PKCS1_SHA384,
        SSL_SIGN_RSA_PSS_RSAE_SHA512,    SSL_SIGN_RSA_PKCS1_SHA512,    SSL_SIGN_ED25519,
        SSL_SIGN_ECDSA_SECP521R1_SHA512,
    };
    return SSL_CTX_set_verify_algorithm_prefs(ctx, prefs, sizeof prefs / sizeof prefs[0]);
}

/* Server: a new session goes into the caller's cache under its id. */
static int on_new_server_session(SSL *ssl, SSL_SESSION *session) {
    bssl_target *t = SSL_get_app_data(ssl);
    unsigned id_len = 0;
    const uint8_t *id = SSL_SESSION_get_id(session, &id_len);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (t && t->session_cache && id_len && SSL_SESSION_to_bytes(session, &bytes, &len)) {
        sd_session_cache_put(t->session_cache, "boringssl", sd_span_of(id, id_len), sd_span_of(bytes, len));
        OPENSSL_free(bytes);
    }
    return 0; /* no reference kept */
}

/* Server: the session a ClientHello's session id names, from the cache. */
static SSL_SESSION *on_get_server_session(SSL *ssl, const uint8_t *id, int id_len, int *out_copy) {
    bssl_target *t = SSL_get_app_data(ssl);
    sd_span blob;
    *out_copy = 0; /* the returned reference is BoringSSL's */
    if (!t || id_len <= 0 ||
        !sd_session_cache_get(t->session_cache, "boringssl", sd_span_of(id, (size_t)id_len), &blob))
        return NULL;
    SSL_SESSION *session = SSL_SESSION_from_bytes(blob.data, blob.len, SSL_get_SSL_CTX(ssl));
    ERR_clear_error();
    return session;
}

static bool configure_server(SSL_CTX *ctx, const sd_target_config *cfg, char *err, size_t err_len) {
    if (cfg->credential == NULL) {
        set_err(err, err_len, "a server needs a credential");
        return false;
    }
    if (!set_credential(ctx, cfg->credential, err, err_len)) return false;
    /* The PKI's OCSP response for this credential (ocsp-<name>.der), which
     * BoringSSL staples when the client asks (RFC 6066 §8, RFC 8446 §4.4.2.1). */
    char ocsp_file[96];
    snprintf(ocsp_file, sizeof ocsp_file, "ocsp-%s.der", cfg->credential->name);
    const sd_span *ocsp = sd_pki_blob(cfg->pki, ocsp_file);
    if (ocsp && !SSL_CTX_set_ocsp_response(ctx, ocsp->data, ocsp->len)) {
        set_err(err, err_len, "cannot set the OCSP response");
        ERR_clear_error();
        return false;
    }
    if (cfg->client_auth != SD_CLIENT_AUTH_NONE) {
        /* RFC 8446 §4.3.2 CertificateRequest; REQUIRE answers an empty client
         * Certificate with certificate_required (§4.4.2.4). */
        if (!set_trust(ctx, cfg, err, err_len)) return false;
        SSL_CTX_set_verify(
            ctx,
            SSL_VERIFY_PEER |
                (cfg->client_auth == SD_CLIENT_AUTH_REQUIRE ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
            NULL);
    }

    if (cfg->session_cache) {
        /* RFC 5246 §7.4.1.2: sessions cached by id, in the caller's cache,
         * so that the next server (another SSL_CTX) finds them. */
        static const uint8_t sid_ctx[] = "shakedown";
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
        SSL_CTX_sess_set_new_cb(ctx, on_new_server_session);
        SSL_CTX_sess_set_get_cb(ctx, on_get_server_session);
        if (!SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx - 1)) {
            set_err(err, err_len, "cannot set the session id context");
            ERR_clear_error();
            return false;
        }
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    /* 0-RTT: tickets that allow it (BoringSSL's max_early_data_size is its
     * own, 14336 = SD_EARLY_DATA_MAX), and early data accepted with them. */
    if (cfg->max_early_data) SSL_CTX_set_early_data_enabled(ctx, 1);
    if (!cfg->session_tickets) {
        /* No resumption state: each run starts from scratch, and no
         * NewSessionTicket follows the handshake (BoringSSL sends two by
         * default). */
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(ctx, 0);
        return true;
    }
    /* One ticket, sealed with keys from the seed, so that another server of
     * this stack with the same seed resumes it (harness/protocol/target.h). */
    SSL_CTX_set_num_tickets(ctx, 1);
    uint8_t keys[48];
    uint64_t seed = cfg->ticket_seed ? cfg->ticket_seed : cfg->seed;
    for (size_t i = 0; i < sizeof keys; i++) keys[i] = (uint8_t)(seed >> (8 * (i % 8))) ^ (uint8_t)(0x5d + i);
    return SSL_CTX_set_tlsext_ticket_keys(ctx, keys, sizeof keys) == 1;
}

static int on_new_session(SSL *ssl, SSL_SESSION *session) {
    bssl_target *t = SSL_get_app_data(ssl);
    uint8_t *bytes = NULL;
    size_t len = 0;
    /* A ticket of lifetime zero "should be discarded immediately" (RFC 8446
     * §4.6.1): BoringSSL still hands over its session, already expired; the
     * application keeps the session it had, as the model does. */
    if (SSL_SESSION_get_timeout(session) == 0) return 0;
    if (t && SSL_SESSION_to_bytes(session, &bytes, &len)) {
        sd_buf_reset(&t->session);
        sd_buf_append(&t->session, bytes, len);
        OPENSSL_free(bytes);
    }
    return 0; /* we did not keep a reference */
}

static bool configure_client(SSL_CTX *ctx, const sd_target_config *cfg, char *err, size_t err_len) {
    if (!set_trust(ctx, cfg, err, err_len)) return false;
    if (cfg->client_credential && !set_credential(ctx, cfg->client_credential, err, err_len)) return false;
    /* Keep each session a ticket makes resumable, for export_session. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
    /* A failed verification aborts the handshake with the alert libssl maps
     * the defect to; that alert is what the conformance oracle grades. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* Ask for a stapled OCSP response (RFC 6066 §8 status_request), in TLS
     * 1.2 and 1.3 alike, as the model client does (so request_ocsp is met
     * whatever it says). BoringSSL keeps the response for the application
     * (SSL_get0_ocsp_response) and does not check it itself. This adapter
     * adds no check: one would be the model's own code
     * (crypto/pki_revocation.c) run again, and a comparison of the model
     * with itself. The scenarios that staple an unsatisfactory response
     * list BoringSSL in scenarios/known-failures.txt. */
    SSL_CTX_enable_ocsp_stapling(ctx);
    /* 0-RTT when the resumed session allows it (RFC 8446 §4.2.10). */
    if (cfg->early_data.len) SSL_CTX_set_early_data_enabled(ctx, 1);
    return true;
}

static void bssl_destroy(sd_target *base);

static sd_target *bssl_create(const sd_target_config *cfg, sd_target_error *error) {
    char *err = error->text;
    size_t err_len = sizeof error->text;
    if (cfg == NULL) {
        set_err(err, err_len, "no configuration");
        return NULL;
    }
    if (cfg->role != SD_ROLE_CLIENT && cfg->role != SD_ROLE_SERVER) {
        set_err(err, err_len, "unknown role");
        return NULL;
    }
    if (!version_ok(cfg->min_version) || !version_ok(cfg->max_version) ||
        cfg->min_version > cfg->max_version) {
        char m[120];
        snprintf(m, sizeof m, "unsupported version range 0x%04x..0x%04x (TLS 1.2..1.3 only)",
                 cfg->min_version, cfg->max_version);
        set_err(err, err_len, m);
        return NULL;
    }
    pthread_once(&queue_bio_once, queue_bio_method_init);
    if (queue_bio_method == NULL) {
        set_err(err, err_len, "cannot create the BIO method");
        return NULL;
    }

    bssl_target *t = calloc(1, sizeof *t);
    if (t == NULL) {
        set_err(err, err_len, "out of memory");
        return NULL;
    }
    t->base.ops = &sd_target_boringssl;
    t->role = cfg->role;
    t->session_cache = cfg->session_cache;
    t->app_reply = cfg->app_reply;
    t->alert_sent = -1;
    t->alert_sent_level = -1;
    t->alert_received = -1;
    sd_buf_init(&t->in);
    sd_buf_init(&t->out);
    sd_buf_init(&t->session);
    sd_buf_init(&t->early_in);
    t->early_data = cfg->early_data;

    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_method());
    if (t->ctx == NULL || !SSL_CTX_set_min_proto_version(t->ctx, cfg->min_version) ||
        !SSL_CTX_set_max_proto_version(t->ctx, cfg->max_version)) {
        set_err(err, err_len, "cannot create SSL_CTX");
        goto fail;
    }
    SSL_CTX_set_info_callback(t->ctx, info_callback);
    if (cfg->n_cipher_suites > 0 && cfg->max_version >= SD_TLS13) {
        /* BoringSSL fixes its TLS 1.3 suites and their order. */
        set_unsupported(error, "BoringSSL's TLS 1.3 cipher suites cannot be configured");
        goto fail;
    }
    if (cfg->renegotiation && cfg->role == SD_ROLE_SERVER) {
        /* ssl_do_post_handshake (ssl/ssl_lib.cc) answers any handshake
         * message after the handshake on a server with
         * SSL_R_NO_RENEGOTIATION; there is no setting for it. */
        set_unsupported(error, "BoringSSL servers never renegotiate");
        goto fail;
    }
    if (cfg->record_size_limit) {
        /* BoringSSL has no record_size_limit (RFC 8449): it neither offers
         * nor answers the extension, so a scenario that sets a limit would
         * test nothing of it. */
        set_unsupported(error, "record_size_limit (RFC 8449): BoringSSL does not implement it");
        goto fail;
    }
    if (cfg->encrypt_then_mac) {
        /* Nor encrypt_then_mac (RFC 7366): its CBC records are always
         * MAC-then-encrypt. */
        set_unsupported(error, "encrypt_then_mac (RFC 7366): BoringSSL does not implement it");
        goto fail;
    }
    if (cfg->max_fragment_length) {
        /* Nor max_fragment_length (RFC 6066 §4). */
        set_unsupported(error, "max_fragment_length (RFC 6066 §4): BoringSSL does not implement it");
        goto fail;
    }
    if (cfg->n_cipher_suites > 0 && !set_tls12_suites(t->ctx, cfg, error)) goto fail;
    if (!set_groups(t->ctx, cfg, error) || !set_verify_prefs(t->ctx, cfg) ||
        !set_cert_compression(t->ctx, cfg, error))
        goto fail;
    if (cfg->alpn.len) {
        /* RFC 7301: a client offers the list (SSL_CTX_set_alpn_protos
         * returns 0 on success), a server selects from it (select_alpn). */
        t->alpn = cfg->alpn;
        if (!sd_alpn_list_valid(cfg->alpn)) {
            set_unsupported(error, "malformed ALPN protocol list");
            goto fail;
        }
        if (cfg->role == SD_ROLE_CLIENT) {
            if (SSL_CTX_set_alpn_protos(t->ctx, cfg->alpn.data, cfg->alpn.len) != 0) {
                set_err(err, err_len, "SSL_CTX_set_alpn_protos failed");
                goto fail;
            }
        } else {
            SSL_CTX_set_alpn_select_cb(t->ctx, select_alpn, NULL);
        }
    }
    bool ok = cfg->role == SD_ROLE_SERVER ? configure_server(t->ctx, cfg, err, err_len)
                                          : configure_client(t->ctx, cfg, err, err_len);
    if (!ok) goto fail;

    t->ssl = SSL_new(t->ctx);
    t->bio = BIO_new(queue_bio_method);
    if (t->ssl == NULL || t->bio == NULL) {
        set_err(err, err_len, "out of memory");
        goto fail;
    }
    BIO_set_data(t->bio, t);
    BIO_set_init(t->bio, 1);
    /* One BIO serves both directions; SSL_set_bio takes our one reference. */
    SSL_set_bio(t->ssl, t->bio, t->bio);
    t->bio = NULL;
    SSL_set_app_data(t->ssl, t);

    if (cfg->role == SD_ROLE_SERVER) {
        SSL_set_accept_state(t->ssl);
    } else {
        SSL_set_connect_state(t->ssl);
        /* A BoringSSL client renegotiates only when told to; it then does
         * so inside SSL_read, which drive() calls for the echo. */
        if (cfg->renegotiation) SSL_set_renegotiate_mode(t->ssl, ssl_renegotiate_freely);
        if (cfg->resume_session.len) {
            SSL_SESSION *session =
                SSL_SESSION_from_bytes(cfg->resume_session.data, cfg->resume_session.len, t->ctx);
            if (session == NULL || !SSL_set_session(t->ssl, session)) {
                SSL_SESSION_free(session);
                set_err(err, err_len, "resume_session is not a BoringSSL session");
                goto fail;
            }
            SSL_SESSION_free(session);
        }
        if (cfg->server_name != NULL) {
            /* SNI, and the name the leaf must carry. */
            if (!SSL_set_tlsext_host_name(t->ssl, cfg->server_name) ||
                !SSL_set1_host(t->ssl, cfg->server_name)) {
                set_err(err, err_len, "cannot set the server name");
                goto fail;
            }
        }
    }
    ERR_clear_error();
    return &t->base;

fail:
    ERR_clear_error();
    bssl_destroy(&t->base);
    return NULL;
}

/* ---- The interface ---------------------------------------------------------- */

static void bssl_start(sd_target *base) {
    bssl_target *t = from_base(base);
    /* A client writes its ClientHello and then waits; a server waits at once. */
    if (t->role == SD_ROLE_CLIENT) drive(t);
}

static void bssl_feed(sd_target *base, sd_span bytes) {
    bssl_target *t = from_base(base);
    /* After a failure or a completed close libssl will not read any more, so
     * later bytes are dropped rather than buffered forever. */
    if (t->failed || t->closed) return;
    if (bytes.len > 0) {
        /* Drop what libssl has consumed before growing the queue, so the
         * queue never holds more than one feed plus an unread tail. */
        if (t->in_off > 0) {
            sd_buf_consume(&t->in, t->in_off);
            t->in_off = 0;
        }
        sd_buf_append(&t->in, bytes.data, bytes.len);
        if (t->in.failed) {
            /* A harness problem, not the stack's: say so in the error. */
            t->failed = true;
            snprintf(t->error, sizeof t->error, "harness: out of memory queueing %zu bytes", bytes.len);
            return;
        }
    }
    drive(t);
}

static void bssl_drain(sd_target *base, sd_buf *out) {
    bssl_target *t = from_base(base);
    if (t->out.len > 0) sd_buf_append(out, t->out.data, t->out.len);
    sd_buf_reset(&t->out);
}

static void bssl_status(sd_target *base, sd_target_status *out) {
    bssl_target *t = from_base(base);
    memset(out, 0, sizeof *out);
    out->handshake_done = t->handshake_done;
    out->failed = t->failed;
    out->alert_sent = t->alert_sent;
    out->alert_sent_level = t->alert_sent_level;
    out->alert_received = t->alert_received;
    out->close_notify_sent = t->close_notify_sent;
    out->app_replies = t->app_replies;
    /* Before the version is negotiated SSL_version reports a placeholder, so
     * the negotiated parameters are read only once a cipher is chosen. */
    const SSL_CIPHER *cipher = SSL_get_current_cipher(t->ssl);
    bool renegotiating = t->handshake_done && SSL_in_init(t->ssl);
    if (renegotiating) {
        out->version = t->done_version;
        out->cipher_suite = t->done_suite;
        out->group = t->done_group;
    } else if (cipher != NULL) {
        out->version = (uint16_t)SSL_version(t->ssl);
        out->cipher_suite = SSL_CIPHER_get_protocol_id(cipher);
        out->group = SSL_get_curve_id(t->ssl);
    }
    /* With SSL_VERIFY_PEER libssl finishes a client handshake only after the
     * chain verified and (TLS 1.3) CertificateVerify checked out, or (TLS 1.2)
     * the key exchange bound the server's key; the extra checks keep this
     * honest should the verify mode ever change. */
    out->resumed = t->handshake_done && SSL_session_reused(t->ssl);
    out->peer_authenticated = renegotiating
                                  ? t->done_peer_authenticated
                                  : t->handshake_done && SSL_get0_peer_certificates(t->ssl) != NULL &&
                                        SSL_get_verify_result(t->ssl) == X509_V_OK;
    snprintf(out->error, sizeof out->error, "%s", t->error);
}

#define SD_STR2(x) #x
#define SD_STR(x) SD_STR2(x)

static bool bssl_export(sd_target *base, const char *label, uint8_t *out, size_t len) {
    bssl_target *t = from_base(base);
    return t->handshake_done &&
           SSL_export_keying_material(t->ssl, out, len, label, strlen(label), NULL, 0, 0) == 1;
}

static bool bssl_export_session(sd_target *base, sd_buf *out) {
    bssl_target *t = from_base(base);
    if (t->session.len == 0) return false;
    sd_buf_append_span(out, sd_buf_span(&t->session));
    return true;
}

static const char *bssl_version(void) {
    /* The library has no runtime version beyond its name (OpenSSL_version
     * returns "BoringSSL"); the API version is fixed at compile time. The
     * Debian package android-libboringssl-dev is the Android 13 build. */
    return "BoringSSL (BORINGSSL_API_VERSION " SD_STR(BORINGSSL_API_VERSION) ")";
}

/* close (target.h): our close_notify first, once the handshake is done.
 * SSL_shutdown sends it and returns 0 while the peer's is still to come;
 * nothing is read or echoed after it, as in the model. */
static void bssl_close(sd_target *base) {
    bssl_target *t = from_base(base);
    if (!t->handshake_done || t->failed || t->closed || t->close_notify_sent) return;
    ERR_clear_error();
    int s = SSL_shutdown(t->ssl);
    if (s < 0) {
        fail(t, SSL_get_error(t->ssl, s), "SSL_shutdown");
        return;
    }
    t->closed = true;
}

static void bssl_destroy(sd_target *base) {
    if (base == NULL) return;
    bssl_target *t = from_base(base);
    SSL_free(t->ssl); /* frees the BIO it owns */
    BIO_free(t->bio); /* only set if create failed before SSL_set_bio */
    SSL_CTX_free(t->ctx);
    sd_buf_free(&t->in);
    sd_buf_free(&t->out);
    sd_buf_free(&t->session);
    sd_buf_free(&t->early_in);
    free(t);
}

const sd_target_ops sd_target_boringssl = {
    .name = "boringssl",
    .create = bssl_create,
    .start = bssl_start,
    .feed = bssl_feed,
    .drain = bssl_drain,
    .status = bssl_status,
    .export_keying_material = bssl_export,
    .export_session = bssl_export_session,
    .version = bssl_version,
    .destroy = bssl_destroy,
    .close = bssl_close,
    .resumes_across_targets = true,
    .sets_renegotiation = true,
};
