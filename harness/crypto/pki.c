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
#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
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

/* The PEM "CERTIFICATE" blocks of a chain file as the raw bytes they hold:
 * what the peer will receive, parseable or not. No block at all is a chain
 * of length 0. */
static bool read_chain_blocks(const char *path, sd_credential *c, char *err, size_t err_len) {
    BIO *bio = BIO_new_file(path, "r");
    if (bio == NULL) {
        set_err(err, err_len, "cannot open %s", path);
        ERR_clear_error();
        return false;
    }
    bool ok = true;
    for (;;) {
        char *name = NULL, *header = NULL;
        uint8_t *data = NULL;
        long len = 0;
        if (!PEM_read_bio(bio, &name, &header, &data, &len)) {
            uint32_t e = ERR_peek_last_error();
            if (!(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
                set_err(err, err_len, "%s: malformed PEM block", path);
                ok = false;
            }
            break;
        }
        bool is_cert = strcmp(name, "CERTIFICATE") == 0;
        OPENSSL_free(name);
        OPENSSL_free(header);
        if (!is_cert || len <= 0 || c->chain_len == SD_MAX_CHAIN) {
            OPENSSL_free(data);
            set_err(err, err_len, "%s: %s", path,
                    !is_cert ? "a PEM block that is not a CERTIFICATE"
                    : len <= 0 ? "an empty CERTIFICATE block"
                               : "more certificates than SD_MAX_CHAIN");
            ok = false;
            break;
        }
        c->chain_der[c->chain_len] = data;
        c->chain_der_len[c->chain_len] = (size_t)len;
        c->chain_len++;
    }
    ERR_clear_error();
    BIO_free(bio);
    return ok;
}

static EVP_PKEY *read_key(const char *path) {
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

static bool load_credential(sd_credential *c, const char *dir, const char *name, char *err,
                            size_t err_len) {
    char path[1024], mismatched_path[1024];
    X509 *leaf = NULL;
    bool ok = false;
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, name, kChainSuffix) >= sizeof(path)) {
        set_err(err, err_len, "path too long for credential %s", name);
        return false;
    }
    if (!read_chain_blocks(path, c, err, err_len)) {
        goto out;
    }
    /* The leaf, if it parses, to check the key against. */
    if (c->chain_len > 0) {
        const uint8_t *der = c->chain_der[0];
        leaf = d2i_X509(NULL, &der, (long)c->chain_der_len[0]);
        if (leaf != NULL && der != c->chain_der[0] + c->chain_der_len[0]) {
            X509_free(leaf);
            leaf = NULL;
        }
    }
    /* The key is optional: a chain without one can still be sent or checked. */
    if ((size_t)snprintf(path, sizeof(path), "%s/%s.key.pem", dir, name) >= sizeof(path) ||
        (size_t)snprintf(mismatched_path, sizeof(mismatched_path), "%s/%s.mismatched-key.pem", dir, name) >=
            sizeof(mismatched_path)) {
        set_err(err, err_len, "path too long for credential %s", name);
        goto out;
    }
    bool has_key = file_exists(path), has_mismatched = file_exists(mismatched_path);
    if (has_key && has_mismatched) {
        set_err(err, err_len, "%s and %s both exist; keep one", path, mismatched_path);
        goto out;
    }
    if (has_key || has_mismatched) {
        const char *key_path = has_key ? path : mismatched_path;
        c->key = read_key(key_path);
        if (c->key == NULL) {
            set_err(err, err_len, "%s: not a PEM private key", key_path);
            goto out;
        }
        c->key_mismatched = has_mismatched;
        if (leaf != NULL) {
            bool matches = X509_check_private_key(leaf, c->key) == 1;
            /* A key that does not belong to the leaf would make every
             * CertificateVerify fail for a reason no scenario intends,
             * unless the file name says that this is the point. */
            if (has_key && !matches) {
                set_err(err, err_len, "%s does not match the leaf of %s%s", path, name, kChainSuffix);
                goto out;
            }
            if (has_mismatched && matches) {
                set_err(err, err_len, "%s matches the leaf of %s%s; name it %s.key.pem", mismatched_path,
                        name, kChainSuffix, name);
                goto out;
            }
        } else if (has_mismatched) {
            set_err(err, err_len, "%s: no parseable leaf to mismatch", mismatched_path);
            goto out;
        }
    }
    ok = true;
out:
    X509_free(leaf);
    ERR_clear_error();
    if (!ok) {
        credential_free(c);
    }
    return ok;
}

static int credential_cmp(const void *a, const void *b) {
    return strcmp(((const sd_credential *)a)->name, ((const sd_credential *)b)->name);
}

/* A .der file, whole, up to 1 MiB (a CRL or an OCSP response). */
static bool load_blob(sd_pki *pki, const char *dir, const char *file, char *err, size_t err_len) {
    enum { kMaxBlob = 1 << 20 };
    char path[1024];
    if (pki->n_blobs == SD_MAX_PKI_BLOBS) {
        set_err(err, err_len, "%s: more than %d .der files", dir, SD_MAX_PKI_BLOBS);
        return false;
    }
    if (strlen(file) >= sizeof(pki->blobs[0].name) ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
        set_err(err, err_len, "%s/%s: name too long", dir, file);
        return false;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        set_err(err, err_len, "cannot open %s", path);
        return false;
    }
    uint8_t *data = OPENSSL_malloc(kMaxBlob);
    size_t len = data != NULL ? fread(data, 1, kMaxBlob, f) : 0;
    bool ok = data != NULL && !ferror(f) && len < kMaxBlob;
    fclose(f);
    if (!ok) {
        OPENSSL_free(data);
        set_err(err, err_len, "%s: cannot read it, or larger than %d bytes", path, kMaxBlob - 1);
        return false;
    }
    uint8_t *fitted = OPENSSL_realloc(data, len > 0 ? len : 1);
    if (fitted != NULL) {
        data = fitted;
    }
    snprintf(pki->blobs[pki->n_blobs].name, sizeof(pki->blobs[0].name), "%s", file);
    pki->blobs[pki->n_blobs].data = data;
    pki->blobs[pki->n_blobs].span = sd_span_of(data, len);
    pki->n_blobs++;
    return true;
}

static void prepare_revocation(sd_pki *pki);

static int blob_cmp(const void *a, const void *b) {
    return strcmp(((const sd_pki_file *)a)->name, ((const sd_pki_file *)b)->name);
}

static bool has_suffix(const char *s, const char *suffix, size_t *stem_len) {
    size_t len = strlen(s), suffix_len = strlen(suffix);
    if (len <= suffix_len || strcmp(s + len - suffix_len, suffix) != 0) {
        return false;
    }
    *stem_len = len - suffix_len;
    return true;
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
        size_t stem_len = 0;
        if (e->d_name[0] != '.' && has_suffix(e->d_name, ".der", &stem_len)) {
            ok = load_blob(pki, dir, e->d_name, err, err_len);
            continue;
        }
        if (!has_suffix(e->d_name, kChainSuffix, &stem_len)) {
            continue;
        }
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
    qsort(pki->blobs, pki->n_blobs, sizeof(pki->blobs[0]), blob_cmp);
    prepare_revocation(pki);
    return true;
}

void sd_pki_free(sd_pki *pki) {
    /* Verdicts name the trust anchor by its bytes, so they would stay right
     * for a PKI loaded later; they are dropped to free their memory. */
    sd_verify_cache_clear();
    for (size_t i = 0; i < pki->n_credentials; i++) {
        credential_free(&pki->credentials[i]);
    }
    for (size_t i = 0; i < pki->n_blobs; i++) {
        OPENSSL_free(pki->blobs[i].data);
        EVP_PKEY_free(pki->blobs[i].signer);
    }
    X509_CRL_free(pki->crl);
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

const sd_span *sd_pki_blob(const sd_pki *pki, const char *file) {
    if (pki == NULL || file == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < pki->n_blobs; i++) {
        if (strcmp(pki->blobs[i].name, file) == 0) {
            return &pki->blobs[i].span;
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
 * (ssl/ssl_x509.cc), so the model and the BoringSSL oracle agree; the
 * deliberate differences are a bad signature and an unknown critical
 * extension (see below). */
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

    /* RFC 5280 §4.2: "A certificate-using system MUST reject the
     * certificate if it encounters a critical extension it does not
     * recognize". The certificate is well-formed and correctly signed, so
     * not bad_certificate; it carries something we do not support, and RFC
     * 8446 §4.4.2.2 makes unsupported_certificate the default for a chain
     * the client cannot accept. BoringSSL falls to its default,
     * certificate_unknown: a known difference. */
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
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
static void describe_verify_error(X509_STORE_CTX *ctx, STACK_OF(X509) *presented, int e,
                                  const sd_verify_params *p, char *err, size_t err_len) {
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
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        /* The verifier skips a would-be issuer that may not issue (RFC 5280
         * §6.1.4 (k) cA, (n) keyCertSign) and reports no issuer at all;
         * say so when the peer did send one ("leaf-as-ca"). */
        for (size_t i = 0; cert != NULL && i < sk_X509_num(presented); i++) {
            X509 *candidate = sk_X509_value(presented, i);
            if (X509_NAME_cmp(X509_get_subject_name(candidate), X509_get_issuer_name(cert)) == 0 &&
                !(X509_get_extension_flags(candidate) & EXFLAG_CA)) {
                char issuer[256];
                X509_NAME_oneline(X509_get_subject_name(candidate), issuer, sizeof(issuer));
                set_err(err, err_len, "the issuer %s is not a CA certificate (basicConstraints): %s at depth %d",
                        issuer, subject, depth);
                return;
            }
        }
        set_err(err, err_len, "no issuer for %s at depth %d (%s, X509 error %d)", subject, depth, reason, e);
        break;
    default:
        set_err(err, err_len, "%s (X509 error %d): %s at depth %d", reason, e, subject, depth);
        break;
    }
}

/* --- Policy beyond X509_verify_cert ---------------------------------------- */

/* The digest of a certificate's signature algorithm, NID_undef for
 * Ed25519 or an algorithm we cannot name. */
static int signature_digest_nid(const X509 *x) {
    int md_nid = NID_undef, pk_nid = NID_undef;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md_nid, &pk_nid)) {
        return NID_undef;
    }
    return md_nid;
}

static void subject_of(X509 *x, char *buf, size_t len) {
    snprintf(buf, len, "(no certificate)");
    if (x != NULL) {
        X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len);
    }
}

/* RFC 8446 §4.4.2.4: "Any endpoint receiving any certificate which it would
 * need to validate using any signature algorithm using an MD5 hash MUST
 * abort the handshake with a "bad_certificate" alert. SHA-1 is deprecated,
 * and it is RECOMMENDED that any endpoint receiving any certificate which it
 * would need to validate using any signature algorithm using a SHA-1 hash
 * abort the handshake with a "bad_certificate" alert." We follow the
 * recommendation (RFC 9155 deprecates SHA-1 signatures in TLS 1.2 too). The
 * trust anchor's own signature is not validated, so it is not checked. */
static const char *weak_signature_hash(const X509 *x) {
    switch (signature_digest_nid(x)) {
    case NID_md5:
    case NID_md4:
    case NID_md5_sha1:
        return "MD5";
    case NID_sha1:
        return "SHA-1";
    default:
        return NULL;
    }
}

/* The checks X509_verify_cert does not make, over the path it built (leaf
 * first, trust anchor last). Returns false with the alert and a message on
 * the first failure. */
static bool check_policy(STACK_OF(X509) *path, const sd_verify_params *p, uint8_t *out_alert, char *err,
                         size_t err_len) {
    char subject[256];
    size_t n = sk_X509_num(path);
    X509 *leaf = sk_X509_value(path, 0);
    for (size_t i = 0; i + 1 < n; i++) {
        X509 *x = sk_X509_value(path, i);
        const char *weak = weak_signature_hash(x);
        if (weak != NULL) {
            *out_alert = SD_bad_certificate;
            subject_of(x, subject, sizeof(subject));
            set_err(err, err_len, "certificate signed with %s (%s): %s at depth %zu", weak,
                    OBJ_nid2ln(X509_get_signature_nid(x)), subject, i);
            return false;
        }
    }
    for (size_t i = 0; i + 1 < n; i++) {
        /* A key too small to trust (SD_PKI_MIN_RSA_BITS). No §6.2 alert
         * names it: the certificate is intact but of a kind we refuse, and
         * RFC 8446 §4.4.2.2 makes unsupported_certificate the default for a
         * chain the client cannot accept. (insufficient_security is for a
         * failed negotiation, §6.2.) */
        X509 *x = sk_X509_value(path, i);
        EVP_PKEY *key = X509_get_pubkey(x);
        int bits = key != NULL && EVP_PKEY_id(key) == EVP_PKEY_RSA ? EVP_PKEY_bits(key) : 0;
        EVP_PKEY_free(key);
        if (bits > 0 && bits < SD_PKI_MIN_RSA_BITS) {
            *out_alert = SD_unsupported_certificate;
            subject_of(x, subject, sizeof(subject));
            set_err(err, err_len, "weak key: RSA-%d, under the %d bits required: %s at depth %zu", bits,
                    SD_PKI_MIN_RSA_BITS, subject, i);
            return false;
        }
    }
    subject_of(leaf, subject, sizeof(subject));
    /* A CA certificate as the peer's end-entity certificate. RFC 5280 path
     * validation (§6.1) checks cA only on intermediates, so X509_verify_cert
     * accepts it; a TLS peer's key is an end-entity key (RFC 5280 §4.2.1.9:
     * cA marks a key that verifies certificate signatures; CA/Browser Forum
     * BRs §7.1.2.7.8: subscriber certificates have cA false).
     * unsupported_certificate, as for any certificate unfit for this use
     * (§4.4.2.2's default). */
    if (X509_get_extension_flags(leaf) & EXFLAG_CA) {
        *out_alert = SD_unsupported_certificate;
        set_err(err, err_len, "the peer's certificate is a CA certificate (basicConstraints cA): %s", subject);
        return false;
    }
    /* RFC 5280 §4.2.1.3 keyUsage, when present, limits the key's use. RFC
     * 8446 §4.4.2.2: "the digitalSignature bit MUST be set if the Key Usage
     * extension is present"; RFC 5246 §7.4.2 has the same for the key
     * exchange's signatures, and keyEncipherment for static RSA.
     * unsupported_certificate, as BoringSSL sends for a key usage that
     * forbids the use (X509_V_ERR_INVALID_PURPOSE). (BoringSSL's own TLS 1.3
     * check, ssl_cert_check_key_usage in tls13_both.cc, sends
     * illegal_parameter instead.) */
    uint32_t ku = X509_get_key_usage(leaf);
    uint32_t need = p->key_use == SD_KEY_USE_ENCIPHER ? KU_KEY_ENCIPHERMENT : KU_DIGITAL_SIGNATURE;
    if ((ku & need) == 0) {
        *out_alert = SD_unsupported_certificate;
        set_err(err, err_len, "keyUsage lacks %s: %s",
                need == KU_DIGITAL_SIGNATURE ? "digitalSignature" : "keyEncipherment", subject);
        return false;
    }
    return true;
}

/* --- OCSP (RFC 6960) ------------------------------------------------------- */

static sd_span span_of_cbs(const CBS *cbs) { return sd_span_of(CBS_data(cbs), CBS_len(cbs)); }

/* GeneralizedTime in its DER form (RFC 5280 §4.1.2.5.2, which RFC 6960
 * uses: "YYYYMMDDHHMMSSZ", no fractions) to seconds since the epoch. */
static bool parse_generalized_time(CBS *in, int64_t *out) {
    CBS t;
    if (!CBS_get_asn1(in, &t, CBS_ASN1_GENERALIZEDTIME) || CBS_len(&t) != 15 || CBS_data(&t)[14] != 'Z') {
        return false;
    }
    const uint8_t *c = CBS_data(&t);
    unsigned v[6]; /* year, month, day, hour, minute, second */
    static const unsigned kDigits[6] = {4, 2, 2, 2, 2, 2};
    for (size_t f = 0, pos = 0; f < 6; f++) {
        v[f] = 0;
        for (unsigned k = 0; k < kDigits[f]; k++, pos++) {
            if (c[pos] < '0' || c[pos] > '9') {
                return false;
            }
            v[f] = v[f] * 10 + (unsigned)(c[pos] - '0');
        }
    }
    static const unsigned kDays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > kDays[v[1] - 1] || (v[1] == 2 && v[2] == 29 && !leap) ||
        v[3] > 23 || v[4] > 59 || v[5] > 59) {
        return false;
    }
    /* days_from_civil (H. Hinnant), the inverse of civil_from_days above. */
    int64_t y = (int64_t)v[0] - (v[1] <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (v[1] > 2 ? v[1] - 3 : v[1] + 9) + 2) / 5 + v[2] - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + (int64_t)doe - 719468;
    *out = days * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
    return true;
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
static bool parse_algorithm_identifier(CBS *in, CBS *out_element, CBS *out_oid) {
    CBS alg;
    if (!CBS_get_asn1_element(in, out_element, CBS_ASN1_SEQUENCE)) {
        return false;
    }
    alg = *out_element;
    CBS body, params;
    if (!CBS_get_asn1(&alg, &body, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&body, out_oid, CBS_ASN1_OBJECT) ||
        CBS_len(out_oid) == 0) {
        return false;
    }
    unsigned tag;
    if (CBS_len(&body) > 0 && (!CBS_get_any_asn1(&body, &params, &tag) || CBS_len(&body) != 0)) {
        return false;
    }
    return true;
}

static bool parse_single(sd_span *responses, sd_ocsp_single *out) {
    CBS in, single, cert_id, alg_element, oid, name_hash, key_hash, serial, status;
    memset(out, 0, sizeof(*out));
    out->revocation_reason = -1;
    CBS_init(&in, responses->data, responses->len);
    /* SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus,
     *   thisUpdate GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime
     *   OPTIONAL, singleExtensions [1] EXPLICIT Extensions OPTIONAL }
     * CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier,
     *   issuerNameHash OCTET STRING, issuerKeyHash OCTET STRING,
     *   serialNumber CertificateSerialNumber } */
    if (!CBS_get_asn1(&in, &single, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&single, &cert_id, CBS_ASN1_SEQUENCE) ||
        !parse_algorithm_identifier(&cert_id, &alg_element, &oid) ||
        !CBS_get_asn1(&cert_id, &name_hash, CBS_ASN1_OCTETSTRING) ||
        !CBS_get_asn1(&cert_id, &key_hash, CBS_ASN1_OCTETSTRING) ||
        !CBS_get_asn1_element(&cert_id, &serial, CBS_ASN1_INTEGER) || CBS_len(&serial) < 3 ||
        CBS_len(&cert_id) != 0) {
        return false;
    }
    out->hash_algorithm = span_of_cbs(&oid);
    out->issuer_name_hash = span_of_cbs(&name_hash);
    out->issuer_key_hash = span_of_cbs(&key_hash);
    out->serial = span_of_cbs(&serial);
    /* CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT
     *   RevokedInfo, unknown [2] IMPLICIT UnknownInfo (NULL) }
     * RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime,
     *   revocationReason [0] EXPLICIT CRLReason OPTIONAL } */
    /* (CBS_get_asn1 may advance even when the tag does not match: peek
     * first.) */
    if (CBS_peek_asn1_tag(&single, CBS_ASN1_CONTEXT_SPECIFIC | 0)) {
        if (!CBS_get_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | 0) || CBS_len(&status) != 0) {
            return false;
        }
        out->status = SD_OCSP_GOOD;
    } else if (CBS_peek_asn1_tag(&single, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1)) {
        out->status = SD_OCSP_REVOKED;
        if (!CBS_get_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) ||
            !parse_generalized_time(&status, &out->revocation_time)) {
            return false;
        }
        CBS reason_tag, reason;
        int present = 0;
        if (!CBS_get_optional_asn1(&status, &reason_tag, &present,
                                   CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0)) {
            return false;
        }
        if (present) {
            /* CRLReason ::= ENUMERATED, values 0..10 (RFC 5280 §5.3.1). */
            uint8_t r;
            if (!CBS_get_asn1(&reason_tag, &reason, CBS_ASN1_ENUMERATED) || CBS_len(&reason_tag) != 0 ||
                !CBS_get_u8(&reason, &r) || CBS_len(&reason) != 0 || r > 10) {
                return false;
            }
            out->revocation_reason = r;
        }
        if (CBS_len(&status) != 0) {
            return false;
        }
    } else if (CBS_peek_asn1_tag(&single, CBS_ASN1_CONTEXT_SPECIFIC | 2)) {
        if (!CBS_get_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | 2) || CBS_len(&status) != 0) {
            return false;
        }
        out->status = SD_OCSP_UNKNOWN;
    } else {
        return false;
    }
    CBS next, ext;
    int has_next = 0, has_ext = 0;
    if (!parse_generalized_time(&single, &out->this_update) ||
        !CBS_get_optional_asn1(&single, &next, &has_next, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        (has_next && (!parse_generalized_time(&next, &out->next_update) || CBS_len(&next) != 0)) ||
        !CBS_get_optional_asn1(&single, &ext, &has_ext, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) ||
        CBS_len(&single) != 0) {
        return false;
    }
    if (has_ext) {
        /* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension: checked for
         * shape only; none is understood, and a critical one is not looked
         * for (RFC 6960 §4.4 defines no critical single extensions). */
        CBS exts;
        if (!CBS_get_asn1(&ext, &exts, CBS_ASN1_SEQUENCE) || CBS_len(&ext) != 0 || CBS_len(&exts) == 0) {
            return false;
        }
    }
    out->has_next_update = has_next != 0;
    responses->data = CBS_data(&in);
    responses->len = CBS_len(&in);
    return true;
}

bool sd_ocsp_next_single(sd_span *responses, sd_ocsp_single *out) {
    /* Neither *responses nor *out changes unless a whole SingleResponse
     * parses. */
    sd_ocsp_single single;
    sd_span rest = *responses;
    if (!parse_single(&rest, &single)) {
        return false;
    }
    *out = single;
    *responses = rest;
    return true;
}

bool sd_ocsp_parse(sd_span der, sd_ocsp_response *out) {
    memset(out, 0, sizeof(*out));
    if (der.data == NULL) {
        return false;
    }
    CBS in, resp, status, rb_tag, rb, type, basic_os, basic, tbs_element;
    CBS_init(&in, der.data, der.len);
    /* OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus,
     *   responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
     * OCSPResponseStatus ::= ENUMERATED { successful (0), malformedRequest
     *   (1), internalError (2), tryLater (3), -- (4) is not used --
     *   sigRequired (5), unauthorized (6) } */
    uint8_t st;
    if (!CBS_get_asn1(&in, &resp, CBS_ASN1_SEQUENCE) || CBS_len(&in) != 0 ||
        !CBS_get_asn1(&resp, &status, CBS_ASN1_ENUMERATED) || !CBS_get_u8(&status, &st) ||
        CBS_len(&status) != 0 || st > 6 || st == 4) {
        return false;
    }
    out->response_status = st;
    if (st != 0) {
        /* §4.2.1: "If the value of responseStatus is one of the error
         * conditions, the responseBytes field is not set." */
        return CBS_len(&resp) == 0;
    }
    /* ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response
     * OCTET STRING }; only id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1). */
    static const uint8_t kOcspBasic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
    if (!CBS_get_asn1(&resp, &rb_tag, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        CBS_len(&resp) != 0 || !CBS_get_asn1(&rb_tag, &rb, CBS_ASN1_SEQUENCE) || CBS_len(&rb_tag) != 0 ||
        !CBS_get_asn1(&rb, &type, CBS_ASN1_OBJECT) ||
        !CBS_mem_equal(&type, kOcspBasic, sizeof(kOcspBasic)) ||
        !CBS_get_asn1(&rb, &basic_os, CBS_ASN1_OCTETSTRING) || CBS_len(&rb) != 0 ||
        /* BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData,
         *   signatureAlgorithm AlgorithmIdentifier, signature BIT STRING,
         *   certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL } */
        !CBS_get_asn1(&basic_os, &basic, CBS_ASN1_SEQUENCE) || CBS_len(&basic_os) != 0 ||
        !CBS_get_asn1_element(&basic, &tbs_element, CBS_ASN1_SEQUENCE)) {
        return false;
    }
    CBS sig_alg, sig_oid, sig_bits, certs_tag, certs;
    int has_certs = 0;
    uint8_t unused_bits;
    if (!parse_algorithm_identifier(&basic, &sig_alg, &sig_oid) ||
        !CBS_get_asn1(&basic, &sig_bits, CBS_ASN1_BITSTRING) || !CBS_get_u8(&sig_bits, &unused_bits) ||
        unused_bits != 0 ||
        !CBS_get_optional_asn1(&basic, &certs_tag, &has_certs,
                               CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        CBS_len(&basic) != 0) {
        return false;
    }
    if (has_certs) {
        if (!CBS_get_asn1(&certs_tag, &certs, CBS_ASN1_SEQUENCE) || CBS_len(&certs_tag) != 0) {
            return false;
        }
        out->certs = span_of_cbs(&certs);
        /* Each an element; not parsed as certificates here. */
        while (CBS_len(&certs) > 0) {
            CBS cert;
            if (!CBS_get_asn1(&certs, &cert, CBS_ASN1_SEQUENCE)) {
                return false;
            }
        }
    }
    out->tbs_response_data = span_of_cbs(&tbs_element);
    out->signature_algorithm = span_of_cbs(&sig_alg);
    out->signature = span_of_cbs(&sig_bits);

    /* ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
     *   responderID ResponderID, producedAt GeneralizedTime, responses
     *   SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT
     *   Extensions OPTIONAL }
     * ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
     * KeyHash ::= OCTET STRING -- SHA-1 hash of responder's public key */
    CBS tbs, version_tag, rid, responses, ext;
    int has_version = 0, has_ext = 0;
    if (!CBS_get_asn1(&tbs_element, &tbs, CBS_ASN1_SEQUENCE) ||
        !CBS_get_optional_asn1(&tbs, &version_tag, &has_version,
                               CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0)) {
        return false;
    }
    if (has_version) {
        /* DER omits a DEFAULT value, so an explicit v1 (0) is not DER, and
         * no other version exists. */
        return false;
    }
    if (CBS_peek_asn1_tag(&tbs, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1)) {
        CBS name;
        if (!CBS_get_asn1(&tbs, &rid, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) ||
            !CBS_get_asn1_element(&rid, &name, CBS_ASN1_SEQUENCE) || CBS_len(&rid) != 0) {
            return false;
        }
        out->responder_name = span_of_cbs(&name);
    } else if (CBS_peek_asn1_tag(&tbs, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2)) {
        CBS hash;
        if (!CBS_get_asn1(&tbs, &rid, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2) ||
            !CBS_get_asn1(&rid, &hash, CBS_ASN1_OCTETSTRING) || CBS_len(&rid) != 0 ||
            CBS_len(&hash) != SHA_DIGEST_LENGTH) {
            return false;
        }
        out->responder_key_hash = span_of_cbs(&hash);
    } else {
        return false;
    }
    if (!parse_generalized_time(&tbs, &out->produced_at) || !CBS_get_asn1(&tbs, &responses, CBS_ASN1_SEQUENCE) ||
        !CBS_get_optional_asn1(&tbs, &ext, &has_ext, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) ||
        CBS_len(&tbs) != 0) {
        return false;
    }
    if (has_ext) {
        CBS exts;
        if (!CBS_get_asn1(&ext, &exts, CBS_ASN1_SEQUENCE) || CBS_len(&ext) != 0 || CBS_len(&exts) == 0) {
            return false;
        }
    }
    out->responses = span_of_cbs(&responses);
    sd_span it = out->responses;
    while (it.len > 0) {
        sd_ocsp_single single;
        if (!sd_ocsp_next_single(&it, &single)) {
            return false;
        }
        out->n_responses++;
    }
    return out->n_responses > 0;
}

/* One hash of CertID (RFC 6960 §4.1.1) by its OID: SHA-1 (what RFC 5019
 * requires and responders use) or SHA-256. */
static const EVP_MD *cert_id_digest(sd_span oid) {
    CBS cbs;
    CBS_init(&cbs, oid.data, oid.len);
    switch (OBJ_cbs2nid(&cbs)) {
    case NID_sha1:
        return EVP_sha1();
    case NID_sha256:
        return EVP_sha256();
    default:
        return NULL;
    }
}

static bool digest_equals(const EVP_MD *md, const uint8_t *data, size_t len, sd_span want) {
    uint8_t h[EVP_MAX_MD_SIZE];
    unsigned h_len = 0;
    return EVP_Digest(data, len, h, &h_len, md, NULL) && want.len == h_len && memcmp(h, want.data, h_len) == 0;
}

/* RFC 6960 §4.2.2.3 ResponderID names `ca`: byName its subject, byKey the
 * SHA-1 hash of its public key's BIT STRING. */
static bool ocsp_responder_is(const sd_ocsp_response *r, X509 *ca) {
    const ASN1_BIT_STRING *key_bits = X509_get0_pubkey_bitstr(ca);
    if (r->responder_key_hash.len > 0) {
        return key_bits != NULL && digest_equals(EVP_sha1(), ASN1_STRING_get0_data(key_bits),
                                                 (size_t)ASN1_STRING_length(key_bits), r->responder_key_hash);
    }
    uint8_t *name = NULL;
    int name_len = i2d_X509_NAME(X509_get_subject_name(ca), &name);
    bool same = name_len > 0 && r->responder_name.len == (size_t)name_len &&
                memcmp(r->responder_name.data, name, r->responder_name.len) == 0;
    OPENSSL_free(name);
    return same;
}

/* The response's signature (RFC 6960 §4.2.1) verifies with `key`; MD5 and
 * SHA-1 refused, as for certificates. */
static bool ocsp_signature_verifies(const sd_ocsp_response *r, EVP_PKEY *key) {
    CBS alg, body, oid;
    CBS_init(&alg, r->signature_algorithm.data, r->signature_algorithm.len);
    int md_nid = NID_undef, pk_nid = NID_undef;
    bool sig_ok = false;
    if (CBS_get_asn1(&alg, &body, CBS_ASN1_SEQUENCE) && CBS_get_asn1(&body, &oid, CBS_ASN1_OBJECT) &&
        OBJ_find_sigid_algs(OBJ_cbs2nid(&oid), &md_nid, &pk_nid) && key != NULL &&
        EVP_PKEY_id(key) == pk_nid && md_nid != NID_md5 && md_nid != NID_sha1 && md_nid != NID_md5_sha1) {
        const EVP_MD *md = md_nid == NID_undef ? NULL : EVP_get_digestbynid(md_nid);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        sig_ok = ctx != NULL && (md != NULL || pk_nid == EVP_PKEY_ED25519) &&
                 EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
                 EVP_DigestVerify(ctx, r->signature.data, r->signature.len, r->tbs_response_data.data,
                                  r->tbs_response_data.len) == 1;
        EVP_MD_CTX_free(ctx);
    }
    ERR_clear_error();
    return sig_ok;
}

/* `der` is byte for byte one of the PKI's own files whose signature
 * verified with `key` when it was loaded (sd_pki_file.signer). */
static bool signed_at_load(const sd_pki *pki, sd_span der, EVP_PKEY *key) {
    for (size_t i = 0; pki != NULL && key != NULL && i < pki->n_blobs; i++) {
        const sd_pki_file *f = &pki->blobs[i];
        if (f->signer != NULL && f->span.len == der.len && memcmp(f->span.data, der.data, der.len) == 0) {
            return EVP_PKEY_cmp(f->signer, key) == 1;
        }
    }
    return false;
}

/* Checks a stapled OCSP response for `leaf`, issued by `issuer`. RFC 8446
 * §6.2 bad_certificate_status_response: "Sent by clients when an invalid or
 * unacceptable OCSP response is provided by the server via the
 * "certificate_status" extension (see [RFC6066])", and RFC 6066 §8: clients
 * "MUST check the OCSP response and abort the handshake if the response is
 * not satisfactory with bad_certificate_status_response(113) alert". A
 * response that says "revoked" is satisfactory and damning:
 * certificate_revoked (§6.2 "A certificate was revoked by its signer"). */
static bool check_ocsp(const sd_pki *pki, sd_span der, X509 *leaf, X509 *issuer, int64_t now, uint8_t *out_alert,
                       char *err, size_t err_len) {
    sd_ocsp_response r;
    *out_alert = SD_bad_certificate_status_response;
    if (!sd_ocsp_parse(der, &r)) {
        set_err(err, err_len, "the stapled OCSP response is not a DER OCSPResponse");
        return false;
    }
    if (r.response_status != 0) {
        set_err(err, err_len, "the stapled OCSP response has responseStatus %u, not successful",
                r.response_status);
        return false;
    }
    /* §4.2.2.2: the signer must be the CA that issued the certificate, a
     * delegated responder it certified, or a locally configured one. Only
     * the first is supported: ResponderID must name the issuer. */
    const ASN1_BIT_STRING *issuer_key_bits = X509_get0_pubkey_bitstr(issuer);
    uint8_t *issuer_name = NULL;
    int issuer_name_len = i2d_X509_NAME(X509_get_subject_name(issuer), &issuer_name);
    if (issuer_name_len <= 0 || issuer_key_bits == NULL || !ocsp_responder_is(&r, issuer)) {
        OPENSSL_free(issuer_name);
        set_err(err, err_len, "the stapled OCSP response is not signed by the leaf's issuer (delegated "
                              "responders are not supported)");
        return false;
    }
    /* The signature, with the issuer's key; verified once, at load, for the
     * PKI's own responses. */
    EVP_PKEY *key = X509_get_pubkey(issuer);
    bool sig_ok = signed_at_load(pki, der, key) || ocsp_signature_verifies(&r, key);
    EVP_PKEY_free(key);
    if (!sig_ok) {
        OPENSSL_free(issuer_name);
        set_err(err, err_len, "the stapled OCSP response's signature does not verify with the issuer's key");
        return false;
    }
    /* §4.1.1 CertID: the hash of the issuer's name and key, and the leaf's
     * serial number. */
    uint8_t *serial = NULL;
    int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(leaf), &serial);
    sd_span it = r.responses;
    sd_ocsp_single s;
    bool found = false;
    while (serial_len > 0 && it.len > 0 && sd_ocsp_next_single(&it, &s)) {
        const EVP_MD *md = cert_id_digest(s.hash_algorithm);
        if (md != NULL && s.serial.len == (size_t)serial_len && memcmp(s.serial.data, serial, s.serial.len) == 0 &&
            digest_equals(md, issuer_name, (size_t)issuer_name_len, s.issuer_name_hash) &&
            digest_equals(md, ASN1_STRING_get0_data(issuer_key_bits), (size_t)ASN1_STRING_length(issuer_key_bits),
                          s.issuer_key_hash)) {
            found = true;
            break;
        }
    }
    OPENSSL_free(serial);
    OPENSSL_free(issuer_name);
    if (!found) {
        set_err(err, err_len, "the stapled OCSP response has no status for the leaf");
        return false;
    }
    /* §4.2.2.1: "Responses whose nextUpdate value is earlier than the local
     * system time value SHOULD be considered unreliable. Responses whose
     * thisUpdate time is later than the local system time SHOULD be
     * considered unreliable." */
    char when[40], now_text[40];
    format_posix(now, now_text, sizeof(now_text));
    if (s.this_update > now) {
        format_posix(s.this_update, when, sizeof(when));
        set_err(err, err_len, "the stapled OCSP response is not yet valid (thisUpdate %s, validation time %s)",
                when, now_text);
        return false;
    }
    if (s.has_next_update && s.next_update < now) {
        format_posix(s.next_update, when, sizeof(when));
        set_err(err, err_len, "the stapled OCSP response is stale (nextUpdate %s, validation time %s)", when,
                now_text);
        return false;
    }
    switch (s.status) {
    case SD_OCSP_GOOD:
        return true;
    case SD_OCSP_REVOKED:
        *out_alert = SD_certificate_revoked;
        format_posix(s.revocation_time, when, sizeof(when));
        set_err(err, err_len, "certificate revoked (stapled OCSP response: revoked %s, reason %d)", when,
                s.revocation_reason);
        return false;
    case SD_OCSP_UNKNOWN:
    default:
        /* §2.2 "unknown": the responder does not know the certificate;
         * not a satisfactory answer (RFC 6066 §8). */
        set_err(err, err_len, "the stapled OCSP response says \"unknown\" for the leaf");
        return false;
    }
}

/* --- The PKI's own CRL and OCSP responses, checked once ------------------- */

/* Every certificate of the PKI that could sign its CRL or responses: the
 * root and each certificate after the leaf in a chain that parses. */
static STACK_OF(X509) *pki_issuer_candidates(const sd_pki *pki) {
    STACK_OF(X509) *cas = sk_X509_new_null();
    if (cas == NULL || !X509_up_ref(pki->root) || !sk_X509_push(cas, pki->root)) {
        sk_X509_pop_free(cas, X509_free);
        return NULL;
    }
    for (size_t i = 0; i < pki->n_credentials; i++) {
        const sd_credential *c = &pki->credentials[i];
        for (size_t k = 1; k < c->chain_len; k++) {
            const uint8_t *der = c->chain_der[k];
            X509 *x = c->chain_der_len[k] <= (size_t)LONG_MAX ? d2i_X509(NULL, &der, (long)c->chain_der_len[k]) : NULL;
            if (x != NULL && !sk_X509_push(cas, x)) {
                X509_free(x);
            }
        }
    }
    return cas;
}

/* Parses crl.der into pki->crl, and records in each sd_pki_file.signer the
 * CA key its signature verifies with. Nothing here is an error: a file
 * that does not parse or verify is checked (and refused) on use as
 * before. The CRL gets a signer only when it is direct and complete (no
 * issuingDistributionPoint, no deltaCRLIndicator, RFC 5280 §5.2.4-5):
 * check_pki_crl covers only that case. */
static void prepare_revocation(sd_pki *pki) {
    STACK_OF(X509) *cas = pki_issuer_candidates(pki);
    for (size_t i = 0; cas != NULL && i < pki->n_blobs; i++) {
        sd_pki_file *f = &pki->blobs[i];
        sd_ocsp_response r;
        bool is_crl = strcmp(f->name, "crl.der") == 0;
        if (is_crl) {
            const uint8_t *der = f->span.data;
            pki->crl = f->span.len <= (size_t)LONG_MAX ? d2i_X509_CRL(NULL, &der, (long)f->span.len) : NULL;
            if (pki->crl != NULL && der != f->span.data + f->span.len) {
                X509_CRL_free(pki->crl);
                pki->crl = NULL;
            }
            if (pki->crl == NULL || X509_CRL_get_ext_by_NID(pki->crl, NID_issuing_distribution_point, -1) >= 0 ||
                X509_CRL_get_ext_by_NID(pki->crl, NID_delta_crl, -1) >= 0) {
                continue;
            }
        } else if (strncmp(f->name, "ocsp-", 5) != 0 || !sd_ocsp_parse(f->span, &r) || r.response_status != 0) {
            continue;
        }
        for (size_t k = 0; k < sk_X509_num(cas) && f->signer == NULL; k++) {
            X509 *ca = sk_X509_value(cas, k);
            EVP_PKEY *key = X509_get_pubkey(ca);
            bool signs = key != NULL &&
                         (is_crl ? X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(pki->crl)) == 0 &&
                                       X509_CRL_verify(pki->crl, key) == 1
                                 : ocsp_responder_is(&r, ca) && ocsp_signature_verifies(&r, key));
            if (signs) {
                f->signer = key;
            } else {
                EVP_PKEY_free(key);
            }
        }
    }
    sk_X509_pop_free(cas, X509_free);
    ERR_clear_error();
}

/* What check_pki_crl needs from sd_verify_chain. */
typedef struct {
    const sd_pki *pki;
    int64_t now; /* the validation time, as set in the X509_VERIFY_PARAM */
    /* check_pki_crl met a case it does not cover: verify again with
     * BoringSSL's own CRL check. */
    bool needs_default_check;
} crl_check_state;

/* X509_STORE check_crl for the PKI's own CRL: BoringSSL's default check
 * (RFC 5280 §6.3.3: the issuer may sign CRLs, the CRL is current, its
 * signature verifies) minus the signature, which prepare_revocation
 * verified once. It covers exactly the case where the default's other
 * checks are known to pass: pki->crl (direct and complete) issued by the
 * next certificate of the path, with the key that signed it. Any other
 * case sets needs_default_check and fails, so that sd_verify_chain
 * verifies again without this shortcut; the result is the same as
 * BoringSSL's, only cheaper. */
static int check_pki_crl(X509_STORE_CTX *ctx, X509_CRL *crl) {
    crl_check_state *state = X509_STORE_CTX_get_app_data(ctx);
    const sd_pki *pki = state->pki;
    const sd_pki_file *file = NULL;
    for (size_t i = 0; i < pki->n_blobs; i++) {
        if (strcmp(pki->blobs[i].name, "crl.der") == 0) {
            file = &pki->blobs[i];
        }
    }
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    X509 *issuer = X509_STORE_CTX_get0_current_issuer(ctx);
    EVP_PKEY *key = issuer != NULL ? X509_get_pubkey(issuer) : NULL;
    bool covered = crl == pki->crl && file != NULL && file->signer != NULL && key != NULL && depth >= 0 &&
                   (size_t)depth + 1 < sk_X509_num(chain) && issuer == sk_X509_value(chain, (size_t)depth + 1) &&
                   EVP_PKEY_cmp(key, file->signer) == 1;
    EVP_PKEY_free(key);
    if (!covered) {
        state->needs_default_check = true;
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_UNSPECIFIED);
        return 0;
    }
    /* §6.3.3 (f): the CRL issuer's keyUsage, when present, has cRLSign. */
    if ((X509_get_extension_flags(issuer) & EXFLAG_KUSAGE) && !(X509_get_key_usage(issuer) & KU_CRL_SIGN)) {
        X509_STORE_CTX_set_error(ctx, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN);
        return 0;
    }
    /* §6.3.3 (a)(1): thisUpdate <= now <= nextUpdate, at the run's time. */
    time_t now = (time_t)state->now;
    int cmp = X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &now);
    if (cmp == 0 || cmp > 0) {
        X509_STORE_CTX_set_error(ctx, cmp == 0 ? X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD : X509_V_ERR_CRL_NOT_YET_VALID);
        return 0;
    }
    if (X509_CRL_get0_nextUpdate(crl) != NULL) {
        cmp = X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &now);
        if (cmp == 0 || cmp < 0) {
            X509_STORE_CTX_set_error(ctx, cmp == 0 ? X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD : X509_V_ERR_CRL_HAS_EXPIRED);
            return 0;
        }
    }
    return 1;
}

/* --- sd_verify_chain ------------------------------------------------------- */

static bool verify_chain_uncached(const sd_verify_params *p, const sd_span *chain, size_t chain_len,
                                  EVP_PKEY **out_leaf_key, uint8_t *out_alert, char *err, size_t err_len) {
    bool ok = false;
    X509 *leaf = NULL;
    X509_CRL *crl = NULL;
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
         * that cannot be decoded: decode_error ("some field was out of the
         * specified range"), as BoringSSL sends when ssl_parse_cert_chain or
         * its X509 parse fails. (bad_certificate's "corrupt" would also read
         * on it; we keep BoringSSL's choice.) */
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

    /* RFC 5280 §6.3: the CRL, when it is the leaf issuer's. It is our own
     * configuration, not the peer's bytes: one that does not parse is a
     * harness error. The PKI's own crl.der is parsed once (pki->crl). */
    if (p->crl != NULL && p->crl->len > 0) {
        const sd_span *own = sd_pki_blob(p->pki, "crl.der");
        if (p->pki->crl != NULL && own != NULL && own->data == p->crl->data && own->len == p->crl->len) {
            crl = p->pki->crl;
            X509_CRL_up_ref(crl);
        } else {
            const uint8_t *der = p->crl->data;
            crl = p->crl->len <= (size_t)LONG_MAX ? d2i_X509_CRL(NULL, &der, (long)p->crl->len) : NULL;
            if (crl == NULL || der != p->crl->data + p->crl->len) {
                set_err(err, err_len, "the configured CRL is not a DER CRL");
                goto out;
            }
        }
    }
    bool crl_check = crl != NULL && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(leaf)) == 0;
    crl_check_state crl_state = {.pki = p->pki, .now = p->now, .needs_default_check = false};
    /* Twice at most: the second time without check_pki_crl, when it met a
     * case it does not cover. */
    for (bool shortcut = crl == p->pki->crl;; shortcut = false) {
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
        store = X509_STORE_new();
        ctx = X509_STORE_CTX_new();
        if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, p->pki->root) ||
            (crl_check && !X509_STORE_add_crl(store, crl))) {
            set_err(err, err_len, "cannot set up certificate validation");
            goto out;
        }
        if (crl_check && shortcut) {
            X509_STORE_set_check_crl(store, check_pki_crl);
        }
        if (!X509_STORE_CTX_init(ctx, store, leaf, intermediates) ||
            !X509_STORE_CTX_set_app_data(ctx, &crl_state)) {
            set_err(err, err_len, "cannot set up certificate validation");
            goto out;
        }
        X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
        /* The run's clock, never the wall clock: results must not change with
         * the calendar (SD_PKI_DEFAULT_TIME). It applies to the CRL too. */
        X509_VERIFY_PARAM_set_time(param, (time_t)p->now);
        if (crl_check) {
            /* The leaf only: the fixture's CRL is the intermediate's. */
            X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK);
        }
        /* RFC 5280 §4.2.1.12: with a purpose, an extendedKeyUsage present in
         * the leaf must allow it (BoringSSL's "ssl_server"/"ssl_client"
         * purposes, which its TLS stack sets by role). Without one, as before:
         * no EKU check. */
        if (p->purpose != SD_VERIFY_PURPOSE_ANY &&
            !X509_VERIFY_PARAM_set_purpose(param, p->purpose == SD_VERIFY_PURPOSE_SERVER ? X509_PURPOSE_SSL_SERVER
                                                                                         : X509_PURPOSE_SSL_CLIENT)) {
            set_err(err, err_len, "cannot set the purpose to check");
            goto out;
        }
        /* RFC 8446 §4.4.2.4 leaves "detailed certificate validation procedures"
         * to RFC 5280; the server identity check is RFC 6125 §6 (now RFC 9525),
         * with the name the client asked for as the reference identity. */
        if (p->host_name != NULL &&
            !X509_VERIFY_PARAM_set1_host(param, p->host_name, strlen(p->host_name))) {
            set_err(err, err_len, "cannot set the host name to check");
            goto out;
        }
        if (X509_verify_cert(ctx) == 1) {
            break;
        }
        if (crl_state.needs_default_check && shortcut) {
            continue;
        }
        int e = X509_STORE_CTX_get_error(ctx);
        *out_alert = alert_for_verify_error(e);
        describe_verify_error(ctx, intermediates, e, p, err, err_len);
        goto out;
    }
    STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
    if (path == NULL || sk_X509_num(path) == 0) {
        set_err(err, err_len, "no verified chain");
        goto out;
    }
    if (!check_policy(path, p, out_alert, err, err_len)) {
        goto out;
    }
    if (p->stapled_ocsp != NULL && p->stapled_ocsp->len > 0) {
        X509 *issuer = sk_X509_num(path) > 1 ? sk_X509_value(path, 1) : leaf;
        if (!check_ocsp(p->pki, *p->stapled_ocsp, leaf, issuer, p->now, out_alert, err, err_len)) {
            goto out;
        }
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
    X509_CRL_free(crl);
    sk_X509_pop_free(intermediates, X509_free);
    X509_free(leaf);
    ERR_clear_error();
    return ok;
}

/* --- The chain cache ------------------------------------------------------- */

/* Fuzz targets and benchmarks validate the same honest chain in every
 * handshake; its signatures cost more than the rest of the model's
 * handshake. So accepted chains are remembered per process: the key is
 * every input of the verdict, byte for byte (the trust anchor's DER, the
 * validation time, name, purpose, key use, the CRL's and the stapled
 * response's bytes, and the chain), so a hit gives exactly what
 * verify_chain_uncached would (tests/test_pki.c compares them). Refusals
 * are not kept: they are cheap or rare, and mutated chains would only push
 * the honest ones out. Single-threaded, like the rest of the harness. */
#define CHAIN_CACHE_SLOTS 32

typedef struct {
    uint8_t *key; /* the serialised inputs; NULL: slot empty */
    size_t key_len;
    uint64_t hash;
    EVP_PKEY *leaf_key;
    uint8_t alert;
    char err[256];
} chain_cache_entry;

static chain_cache_entry chain_cache[CHAIN_CACHE_SLOTS];
static size_t chain_cache_next; /* the slot to fill next (round robin) */
static bool chain_cache_off;
static size_t chain_cache_hit_count;

static void key_span(sd_buf *key, const uint8_t *data, size_t len) {
    sd_buf_u32(key, (uint32_t)len);
    sd_buf_append(key, data, len);
}

/* Serialises every input of sd_verify_chain's verdict. A field added to
 * sd_verify_params must be added here too. */
static void chain_cache_key(const sd_verify_params *p, const sd_span *chain, size_t chain_len, sd_buf *key) {
    /* The anchor verification uses is pki->root (root_der is only its file's
     * copy, and a caller may swap the X509). */
    uint8_t *root = NULL;
    int root_len = i2d_X509(p->pki->root, &root);
    if (root_len <= 0) {
        key->failed = true;
        return;
    }
    key_span(key, root, (size_t)root_len);
    OPENSSL_free(root);
    sd_buf_u32(key, (uint32_t)((uint64_t)p->now >> 32));
    sd_buf_u32(key, (uint32_t)p->now);
    sd_buf_u8(key, (uint8_t)p->purpose);
    sd_buf_u8(key, (uint8_t)p->key_use);
    sd_buf_u8(key, p->host_name != NULL);
    if (p->host_name != NULL) key_span(key, (const uint8_t *)p->host_name, strlen(p->host_name));
    sd_span none = {0};
    const sd_span *crl = p->crl != NULL ? p->crl : &none, *ocsp = p->stapled_ocsp != NULL ? p->stapled_ocsp : &none;
    key_span(key, crl->data, crl->len);
    key_span(key, ocsp->data, ocsp->len);
    sd_buf_u32(key, (uint32_t)chain_len);
    for (size_t i = 0; i < chain_len; i++) key_span(key, chain[i].data, chain[i].len);
}

static uint64_t fnv1a(const uint8_t *data, size_t len) {
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) h = (h ^ data[i]) * 0x100000001b3u;
    return h;
}

static void chain_cache_entry_clear(chain_cache_entry *e) {
    OPENSSL_free(e->key);
    EVP_PKEY_free(e->leaf_key);
    memset(e, 0, sizeof *e);
}

void sd_verify_cache_set_enabled(bool enabled) {
    chain_cache_off = !enabled;
    sd_verify_cache_clear();
}

void sd_verify_cache_clear(void) {
    for (size_t i = 0; i < CHAIN_CACHE_SLOTS; i++) chain_cache_entry_clear(&chain_cache[i]);
    chain_cache_next = 0;
}

size_t sd_verify_cache_hits(void) { return chain_cache_hit_count; }

bool sd_verify_chain(const sd_verify_params *p, const sd_span *chain, size_t chain_len,
                     EVP_PKEY **out_leaf_key, uint8_t *out_alert, char *err, size_t err_len) {
    /* Without out_leaf_key the leaf's key is not loaded, which is a check
     * of its own (unsupported_certificate): such calls are not cached. */
    if (chain_cache_off || out_leaf_key == NULL || p == NULL || p->pki == NULL || p->pki->root == NULL ||
        chain == NULL || chain_len == 0) {
        return verify_chain_uncached(p, chain, chain_len, out_leaf_key, out_alert, err, err_len);
    }
    sd_buf key;
    sd_buf_init(&key);
    chain_cache_key(p, chain, chain_len, &key);
    uint64_t hash = fnv1a(key.data, key.len);
    for (size_t i = 0; !key.failed && i < CHAIN_CACHE_SLOTS; i++) {
        chain_cache_entry *e = &chain_cache[i];
        if (e->key != NULL && e->hash == hash && e->key_len == key.len && memcmp(e->key, key.data, key.len) == 0 &&
            EVP_PKEY_up_ref(e->leaf_key)) {
            chain_cache_hit_count++;
            sd_buf_free(&key);
            *out_leaf_key = e->leaf_key;
            *out_alert = e->alert;
            set_err(err, err_len, "%s", e->err);
            return true;
        }
    }
    char own_err[1024] = "";
    bool ok = verify_chain_uncached(p, chain, chain_len, out_leaf_key, out_alert, own_err, sizeof own_err);
    set_err(err, err_len, "%s", own_err);
    if (ok && !key.failed && strlen(own_err) < sizeof chain_cache[0].err && EVP_PKEY_up_ref(*out_leaf_key)) {
        chain_cache_entry *e = &chain_cache[chain_cache_next];
        chain_cache_next = (chain_cache_next + 1) % CHAIN_CACHE_SLOTS;
        chain_cache_entry_clear(e);
        e->key = OPENSSL_memdup(key.data, key.len);
        if (e->key == NULL) {
            EVP_PKEY_free(*out_leaf_key);
        } else {
            e->key_len = key.len;
            e->hash = hash;
            e->leaf_key = *out_leaf_key;
            e->alert = *out_alert;
            snprintf(e->err, sizeof e->err, "%s", own_err);
        }
    }
    sd_buf_free(&key);
    return ok;
}
