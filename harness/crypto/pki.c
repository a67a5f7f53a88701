/* pki.c — loading the fixture PKI made by corpus/pki/make_pki.c, and
 * validating a peer's certificate chain with the alert RFC 8446 §6.2
 * prescribes for each defect. */
#define _POSIX_C_SOURCE 200809L /* opendir, readdir */

#include "crypto/pki.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "wire/names.h"

#ifndef SHAKEDOWN_PKI_DIR
#define SHAKEDOWN_PKI_DIR "build/default/pki"
#endif

static const char kChainSuffix[] = ".chain.pem";

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_len, const char *fmt, ...) {
    if (err == NULL || err_len == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

const char *sd_pki_default_dir(void) {
    const char *env = getenv("SHAKEDOWN_PKI_DIR");
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    return SHAKEDOWN_PKI_DIR;
}

/* --- Loading ------------------------------------------------------------- */

static bool x509_to_der(X509 *x, uint8_t **out, size_t *out_len) {
    uint8_t *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0) {
        return false;
    }
    *out = der;
    *out_len = (size_t)n;
    return true;
}

/* Every certificate in a PEM file, in file order. */
static bool read_pem_certs(const char *path, X509 **certs, size_t max, size_t *n_out, char *err,
                           size_t err_len) {
    BIO *bio = BIO_new_file(path, "r");
    *n_out = 0;
    if (bio == NULL) {
        set_err(err, err_len, "cannot open %s", path);
        ERR_clear_error();
        return false;
    }
    size_t n = 0;
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL) {
            break;
        }
        if (n == max) {
            X509_free(x);
            for (size_t i = 0; i < n; i++) {
                X509_free(certs[i]);
            }
            BIO_free(bio);
            set_err(err, err_len, "%s: more than %zu certificates", path, max);
            return false;
        }
        certs[n++] = x;
    }
    /* The loop ends at end of file (PEM_R_NO_START_LINE) or on a broken
     * PEM block; tell them apart. */
    uint32_t e = ERR_peek_last_error();
    bool clean_eof = e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
    ERR_clear_error();
    BIO_free(bio);
    if (!clean_eof || n == 0) {
        for (size_t i = 0; i < n; i++) {
            X509_free(certs[i]);
        }
        set_err(err, err_len, "%s: %s", path, n == 0 ? "no certificate" : "malformed PEM certificate");
        return false;
    }
    *n_out = n;
    return true;
}

static bool file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    fclose(f);
    return true;
}

static void credential_free(sd_credential *c) {
    for (size_t i = 0; i < c->chain_len; i++) {
        OPENSSL_free(c->chain_der[i]);
    }
    EVP_PKEY_free(c->key);
    memset(c, 0, sizeof(*c));
}

static bool load_credential(sd_credential *c, const char *dir, const char *name, char *err,
                            size_t err_len) {
    char path[1024];
    X509 *certs[SD_MAX_CHAIN];
    size_t n = 0;
    bool ok = false;
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, name, kChainSuffix) >= sizeof(path)) {
        set_err(err, err_len, "path too long for credential %s", name);
        return false;
    }
    if (!read_pem_certs(path, certs, SD_MAX_CHAIN, &n, err, err_len)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!x509_to_der(certs[i], &c->chain_der[i], &c->chain_der_len[i])) {
            set_err(err, err_len, "%s: cannot encode certificate %zu", path, i);
            goto out;
        }
        c->chain_len = i + 1;
    }
    /* The key is optional: a chain without one can still be sent or checked. */
    if ((size_t)snprintf(path, sizeof(path), "%s/%s.key.pem", dir, name) >= sizeof(path)) {
        set_err(err, err_len, "path too long for credential %s", name);
        goto out;
    }
    if (file_exists(path)) {
        BIO *bio = BIO_new_file(path, "r");
        c->key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        if (c->key == NULL) {
            set_err(err, err_len, "%s: not a PEM private key", path);
            goto out;
        }
        /* A key that does not belong to the leaf would make every
         * CertificateVerify fail for a reason no scenario intends. */
        if (!X509_check_private_key(certs[0], c->key)) {
            set_err(err, err_len, "%s does not match the leaf of %s%s", path, name, kChainSuffix);
            goto out;
        }
    }
    ok = true;
out:
    for (size_t i = 0; i < n; i++) {
        X509_free(certs[i]);
    }
    ERR_clear_error();
    if (!ok) {
        credential_free(c);
    }
    return ok;
}

static int credential_cmp(const void *a, const void *b) {
    return strcmp(((const sd_credential *)a)->name, ((const sd_credential *)b)->name);
}

bool sd_pki_load(sd_pki *pki, const char *dir, char *err, size_t err_len) {
    char path[1024];
    memset(pki, 0, sizeof(*pki));
    if (dir == NULL || strlen(dir) >= sizeof(pki->dir)) {
        set_err(err, err_len, "PKI directory name missing or too long");
        return false;
    }
    snprintf(pki->dir, sizeof(pki->dir), "%s", dir);

    snprintf(path, sizeof(path), "%s/root.pem", dir);
    X509 *root[1];
    size_t n_root = 0;
    if (!read_pem_certs(path, root, 1, &n_root, err, err_len)) {
        sd_pki_free(pki);
        return false;
    }
    pki->root = root[0];
    if (!x509_to_der(pki->root, &pki->root_der, &pki->root_der_len)) {
        set_err(err, err_len, "%s: cannot encode the root", path);
        sd_pki_free(pki);
        return false;
    }

    DIR *d = opendir(dir);
    if (d == NULL) {
        set_err(err, err_len, "cannot list %s", dir);
        sd_pki_free(pki);
        return false;
    }
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        size_t suffix_len = sizeof(kChainSuffix) - 1;
        if (len <= suffix_len || strcmp(e->d_name + len - suffix_len, kChainSuffix) != 0) {
            continue;
        }
        size_t stem_len = len - suffix_len;
        char name[sizeof(pki->credentials[0].name)];
        if (stem_len >= sizeof(name)) {
            set_err(err, err_len, "%s/%s: credential name longer than %zu bytes", dir, e->d_name,
                    sizeof(name) - 1);
            ok = false;
            break;
        }
        if (pki->n_credentials == SD_MAX_CREDENTIALS) {
            set_err(err, err_len, "%s: more than %d credentials", dir, SD_MAX_CREDENTIALS);
            ok = false;
            break;
        }
        memcpy(name, e->d_name, stem_len);
        name[stem_len] = '\0';
        ok = load_credential(&pki->credentials[pki->n_credentials], dir, name, err, err_len);
        if (ok) {
            pki->n_credentials++;
        }
    }
    closedir(d);
    if (!ok) {
        sd_pki_free(pki);
        return false;
    }
    /* readdir's order is the file system's; sort so runs are reproducible. */
    qsort(pki->credentials, pki->n_credentials, sizeof(pki->credentials[0]), credential_cmp);
    return true;
}

void sd_pki_free(sd_pki *pki) {
    for (size_t i = 0; i < pki->n_credentials; i++) {
        credential_free(&pki->credentials[i]);
    }
    X509_free(pki->root);
    OPENSSL_free(pki->root_der);
    memset(pki, 0, sizeof(*pki));
}

const sd_credential *sd_pki_find(const sd_pki *pki, const char *name) {
    if (pki == NULL || name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < pki->n_credentials; i++) {
        if (strcmp(pki->credentials[i].name, name) == 0) {
            return &pki->credentials[i];
        }
    }
    return NULL;
}

/* --- Validation ------------------------------------------------------------ */

/* Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's
 * civil_from_days), so that messages need no gmtime_r. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void format_posix(int64_t t, char *buf, size_t len) {
    int64_t days = t / 86400;
    int64_t secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d, (unsigned)(secs / 3600),
             (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

static void format_asn1_time(const ASN1_TIME *t, char *buf, size_t len) {
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0, secs = 0;
    if (t != NULL && epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t)) {
        format_posix((int64_t)days * 86400 + secs, buf, len);
    } else {
        snprintf(buf, len, "(unreadable time)");
    }
    ASN1_TIME_free(epoch);
}

/* The alert for an X509_verify_cert error, per RFC 8446 §6.2. Where the RFC
 * leaves a choice we follow BoringSSL's SSL_alert_from_verify_result
 * (ssl/ssl_x509.cc), so the model and the BoringSSL oracle agree; the one
 * deliberate difference is a bad signature (see below). */
static uint8_t alert_for_verify_error(int e) {
    switch (e) {
    /* §6.2 certificate_expired: "A certificate has expired or is not
     * currently valid." A notBefore in the future is "not currently valid"
     * (RFC 5280 §4.1.2.5: the validity period is the interval between
     * notBefore and notAfter), so not-yet-valid gets this alert too.
     * BoringSSL agrees (CERT_NOT_YET_VALID -> certificate_expired);
     * OpenSSL's ssl_verify_alarm_type says bad_certificate instead. */
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
        return SD_certificate_expired;

    /* §6.2 unknown_ca: "A valid certificate chain or partial chain was
     * received, but the certificate was not accepted because the CA
     * certificate could not be located or could not be matched with a known
     * trust anchor." (BoringSSL: the same list.) */
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
        return SD_unknown_ca;

    /* §6.2 bad_certificate: "A certificate was corrupt, contained signatures
     * that did not verify correctly, etc." A signature that does not verify
     * is named in that sentence, so CERT_SIGNATURE_FAILURE is
     * bad_certificate here. BoringSSL sends decrypt_error for it ("a
     * handshake cryptographic operation failed ... unable to correctly
     * verify a signature"), which the RFC scopes to handshake signatures;
     * the differential oracle must list this as a known difference. */
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
    /* A leaf not issued for the name the client asked for is not "of an
     * unsupported type" nor a CA problem; of the §6.2 alerts only
     * bad_certificate ("corrupt ... etc.") and certificate_unknown ("Some
     * other (unspecified) issue arose in processing the certificate,
     * rendering it unacceptable") fit. BoringSSL sends bad_certificate for
     * HOSTNAME_MISMATCH; we agree, so both oracles line up. */
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return SD_bad_certificate;

    /* §6.2 certificate_revoked: "A certificate was revoked by its signer." */
    case X509_V_ERR_CERT_REVOKED:
        return SD_certificate_revoked;

    /* §6.2 unsupported_certificate: "A certificate was of an unsupported
     * type." A certificate whose key usage or extended key usage forbids
     * this use (BoringSSL: the same). */
    case X509_V_ERR_INVALID_PURPOSE:
        return SD_unsupported_certificate;

    /* The validator itself failed: not the peer's fault. */
    case X509_V_ERR_UNSPECIFIED:
    case X509_V_ERR_OUT_OF_MEM:
    case X509_V_ERR_INVALID_CALL:
    case X509_V_ERR_STORE_LOOKUP:
        return SD_internal_error;

    /* §6.2 certificate_unknown: "Some other (unspecified) issue arose in
     * processing the certificate, rendering it unacceptable." */
    default:
        return SD_certificate_unknown;
    }
}

/* A short description of the defect, with the dates for time errors. */
static void describe_verify_error(X509_STORE_CTX *ctx, int e, const sd_verify_params *p, char *err,
                                  size_t err_len) {
    char subject[256] = "(no certificate)";
    char when[40], now_text[40];
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    if (cert != NULL) {
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
    }
    format_posix(p->now, now_text, sizeof(now_text));
    const char *reason = X509_verify_cert_error_string(e);
    switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        format_asn1_time(cert != NULL ? X509_get0_notAfter(cert) : NULL, when, sizeof(when));
        set_err(err, err_len, "certificate expired (notAfter %s, validation time %s): %s at depth %d",
                when, now_text, subject, depth);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        format_asn1_time(cert != NULL ? X509_get0_notBefore(cert) : NULL, when, sizeof(when));
        set_err(err, err_len,
                "certificate not yet valid (notBefore %s, validation time %s): %s at depth %d", when,
                now_text, subject, depth);
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
        set_err(err, err_len, "certificate not issued for host %s (%s): %s at depth %d",
                p->host_name != NULL ? p->host_name : "(none)", reason, subject, depth);
        break;
    default:
        set_err(err, err_len, "%s (X509 error %d): %s at depth %d", reason, e, subject, depth);
        break;
    }
}

bool sd_verify_chain(const sd_verify_params *p, const sd_span *chain, size_t chain_len,
                     EVP_PKEY **out_leaf_key, uint8_t *out_alert, char *err, size_t err_len) {
    bool ok = false;
    X509 *leaf = NULL;
    STACK_OF(X509) *intermediates = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    if (out_leaf_key != NULL) {
        *out_leaf_key = NULL;
    }
    *out_alert = SD_internal_error;
    if (err != NULL && err_len > 0) {
        err[0] = '\0';
    }
    if (p == NULL || p->pki == NULL || p->pki->root == NULL) {
        set_err(err, err_len, "no trust anchor loaded");
        return false;
    }
    /* §4.4.2.4: "If the server supplies an empty Certificate message, the
     * client MUST abort the handshake with a "decode_error" alert." (A
     * server that requires client authentication sends certificate_required
     * instead; that choice is the caller's, which knows the role.) */
    if (chain == NULL || chain_len == 0) {
        *out_alert = SD_decode_error;
        set_err(err, err_len, "empty certificate chain");
        return false;
    }

    intermediates = sk_X509_new_null();
    if (intermediates == NULL) {
        set_err(err, err_len, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < chain_len; i++) {
        /* §4.4.2: cert_data is a DER-encoded X.509v3 certificate. Bytes that
         * do not parse as one, or that carry trailing bytes, are a message
         * that cannot be decoded: decode_error, as BoringSSL sends when
         * ssl_parse_cert_chain fails. */
        const uint8_t *der = chain[i].data;
        X509 *x = der != NULL && chain[i].len <= (size_t)LONG_MAX ? d2i_X509(NULL, &der, (long)chain[i].len)
                                                                    : NULL;
        if (x == NULL || der != chain[i].data + chain[i].len) {
            X509_free(x);
            *out_alert = SD_decode_error;
            set_err(err, err_len, "certificate %zu of %zu is not a DER X.509 certificate", i, chain_len);
            goto out;
        }
        if (i == 0) {
            leaf = x;
        } else if (!sk_X509_push(intermediates, x)) {
            X509_free(x);
            set_err(err, err_len, "out of memory");
            goto out;
        }
    }

    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, p->pki->root) ||
        !X509_STORE_CTX_init(ctx, store, leaf, intermediates)) {
        set_err(err, err_len, "cannot set up certificate validation");
        goto out;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    /* The run's clock, never the wall clock: results must not change with
     * the calendar (SD_PKI_DEFAULT_TIME). */
    X509_VERIFY_PARAM_set_time(param, (time_t)p->now);
    /* RFC 8446 §4.4.2.4 leaves "detailed certificate validation procedures"
     * to RFC 5280; the server identity check is RFC 6125 §6 (now RFC 9525),
     * with the name the client asked for as the reference identity. No
     * purpose (EKU) is set: one function checks both server and client
     * chains, and the fixture's "client" credential carries clientAuth only. */
    if (p->host_name != NULL &&
        !X509_VERIFY_PARAM_set1_host(param, p->host_name, strlen(p->host_name))) {
        set_err(err, err_len, "cannot set the host name to check");
        goto out;
    }
    if (X509_verify_cert(ctx) != 1) {
        int e = X509_STORE_CTX_get_error(ctx);
        *out_alert = alert_for_verify_error(e);
        describe_verify_error(ctx, e, p, err, err_len);
        goto out;
    }
    if (out_leaf_key != NULL) {
        *out_leaf_key = X509_get_pubkey(leaf);
        if (*out_leaf_key == NULL) {
            /* BoringSSL: X509_V_ERR_UNABLE_TO_GET_CERTS_PUBLIC_KEY ->
             * unsupported_certificate; a key type BoringSSL cannot load. */
            *out_alert = SD_unsupported_certificate;
            set_err(err, err_len, "the leaf's public key is of an unsupported type");
            goto out;
        }
    }
    ok = true;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(intermediates, X509_free);
    X509_free(leaf);
    ERR_clear_error();
    return ok;
}
