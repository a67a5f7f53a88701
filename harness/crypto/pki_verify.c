/* pki_verify.c — validating a peer's certificate chain (RFC 5280 path
 * validation, names, key usage and EKU, basic constraints, weak hashes and
 * keys) with the alert RFC 8446 §6.2 (RFC 5246 §7.2.2 for TLS 1.2)
 * prescribes for each defect, and the cache of accepted chains. CRL and OCSP
 * checks come from pki_revocation.c; nothing here calls pki.c. */
#include "crypto/pki.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/pki_common.h"
#include "wire/names.h"

/* --- The alert and the message for each defect ------------------------------ */

static void format_asn1_time(const ASN1_TIME *t, char *buf, size_t len) {
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int days = 0, secs = 0;
    if (t != NULL && epoch != NULL && ASN1_TIME_diff(&days, &secs, epoch, t)) {
        pki_format_time((int64_t)days * 86400 + secs, buf, len);
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

/* The subject of x, one line, for messages. */
static void subject_of(X509 *x, char *buf, size_t len) {
    snprintf(buf, len, "(no certificate)");
    if (x != NULL) {
        X509_NAME_oneline(X509_get_subject_name(x), buf, (int)len);
    }
}

/* A short description of the defect, with the dates for time errors. */
static void describe_verify_error(X509_STORE_CTX *ctx, STACK_OF(X509) * presented, int e,
                                  const sd_verify_params *p, char *err, size_t err_len) {
    char subject[256];
    char when[40], now_text[40];
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
    int depth = X509_STORE_CTX_get_error_depth(ctx);
    subject_of(cert, subject, sizeof(subject));
    pki_format_time(p->now, now_text, sizeof(now_text));
    const char *reason = X509_verify_cert_error_string(e);
    switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        format_asn1_time(cert != NULL ? X509_get0_notAfter(cert) : NULL, when, sizeof(when));
        sd_set_error(err, err_len, "certificate expired (notAfter %s, validation time %s): %s at depth %d",
                     when, now_text, subject, depth);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        format_asn1_time(cert != NULL ? X509_get0_notBefore(cert) : NULL, when, sizeof(when));
        sd_set_error(err, err_len,
                     "certificate not yet valid (notBefore %s, validation time %s): %s at depth %d", when,
                     now_text, subject, depth);
        break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
        sd_set_error(err, err_len, "certificate not issued for host %s (%s): %s at depth %d",
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
                subject_of(candidate, issuer, sizeof(issuer));
                sd_set_error(err, err_len,
                             "the issuer %s is not a CA certificate (basicConstraints): %s at depth %d",
                             issuer, subject, depth);
                return;
            }
        }
        sd_set_error(err, err_len, "no issuer for %s at depth %d (%s, X509 error %d)", subject, depth, reason,
                     e);
        break;
    default:
        sd_set_error(err, err_len, "%s (X509 error %d): %s at depth %d", reason, e, subject, depth);
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

/* RFC 8446 §4.4.2.4: "Any endpoint receiving any certificate which it would
 * need to validate using any signature algorithm using an MD5 hash MUST
 * abort the handshake with a "bad_certificate" alert. SHA-1 is deprecated,
 * and it is RECOMMENDED that any endpoint receiving any certificate which it
 * would need to validate using any signature algorithm using a SHA-1 hash
 * abort the handshake with a "bad_certificate" alert." We follow the
 * recommendation (RFC 9155 deprecates SHA-1 signatures in TLS 1.2 too). The
 * trust anchor's own signature is not validated, so it is not checked. */
static const char *weak_signature_hash(const X509 *x) { return pki_weak_digest(signature_digest_nid(x)); }

/* The checks X509_verify_cert does not make, over the path it built (leaf
 * first, trust anchor last). Returns false with the alert and a message on
 * the first failure. */
static bool check_policy(STACK_OF(X509) * path, const sd_verify_params *p, uint8_t *out_alert, char *err,
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
            sd_set_error(err, err_len, "certificate signed with %s (%s): %s at depth %zu", weak,
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
            sd_set_error(err, err_len, "weak key: RSA-%d, under the %d bits required: %s at depth %zu", bits,
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
        sd_set_error(err, err_len, "the peer's certificate is a CA certificate (basicConstraints cA): %s",
                     subject);
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
        sd_set_error(err, err_len, "keyUsage lacks %s: %s",
                     need == KU_DIGITAL_SIGNATURE ? "digitalSignature" : "keyEncipherment", subject);
        return false;
    }
    return true;
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
        sd_set_error(err, err_len, "no trust anchor loaded");
        return false;
    }
    /* §4.4.2.4: "If the server supplies an empty Certificate message, the
     * client MUST abort the handshake with a "decode_error" alert." (A
     * server that requires client authentication sends certificate_required
     * instead; that choice is the caller's, which knows the role.) */
    if (chain == NULL || chain_len == 0) {
        *out_alert = SD_decode_error;
        sd_set_error(err, err_len, "empty certificate chain");
        return false;
    }

    intermediates = sk_X509_new_null();
    if (intermediates == NULL) {
        sd_set_error(err, err_len, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < chain_len; i++) {
        /* §4.4.2: cert_data is a DER-encoded X.509v3 certificate. Bytes that
         * do not parse as one, or that carry trailing bytes, are a message
         * that cannot be decoded: decode_error ("some field was out of the
         * specified range"), as BoringSSL sends when ssl_parse_cert_chain or
         * its X509 parse fails. (bad_certificate's "corrupt" would also read
         * on it; we keep BoringSSL's choice.) */
        X509 *x = pki_x509_from_der(chain[i].data, chain[i].len);
        if (x == NULL) {
            *out_alert = SD_decode_error;
            sd_set_error(err, err_len, "certificate %zu of %zu is not a DER X.509 certificate", i, chain_len);
            goto out;
        }
        if (i == 0) {
            leaf = x;
        } else if (!sk_X509_push(intermediates, x)) {
            X509_free(x);
            sd_set_error(err, err_len, "out of memory");
            goto out;
        }
    }

    /* RFC 5280 §6.3: the CRL, when it is the leaf issuer's. One that does
     * not parse is the harness's error (internal_error). */
    if (!pki_configured_crl(p->pki, p->crl, &crl, err, err_len)) {
        goto out;
    }
    bool crl_check = crl != NULL && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(leaf)) == 0;
    pki_crl_check_state crl_state = {.pki = p->pki, .now = p->now, .needs_default_check = false};
    /* Twice at most: the second time without pki_check_own_crl, when it met
     * a case it does not cover. */
    for (bool shortcut = crl == p->pki->crl;; shortcut = false) {
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
        store = X509_STORE_new();
        ctx = X509_STORE_CTX_new();
        if (store == NULL || ctx == NULL || !X509_STORE_add_cert(store, p->pki->root) ||
            (crl_check && !X509_STORE_add_crl(store, crl))) {
            sd_set_error(err, err_len, "cannot set up certificate validation");
            goto out;
        }
        if (crl_check && shortcut) {
            X509_STORE_set_check_crl(store, pki_check_own_crl);
        }
        if (!X509_STORE_CTX_init(ctx, store, leaf, intermediates) ||
            !X509_STORE_CTX_set_app_data(ctx, &crl_state)) {
            sd_set_error(err, err_len, "cannot set up certificate validation");
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
         * purposes, which its TLS stack sets by role). Without one
         * (SD_VERIFY_PURPOSE_ANY): no EKU check. */
        if (p->purpose != SD_VERIFY_PURPOSE_ANY &&
            !X509_VERIFY_PARAM_set_purpose(param, p->purpose == SD_VERIFY_PURPOSE_SERVER
                                                      ? X509_PURPOSE_SSL_SERVER
                                                      : X509_PURPOSE_SSL_CLIENT)) {
            sd_set_error(err, err_len, "cannot set the purpose to check");
            goto out;
        }
        /* RFC 8446 §4.4.2.4 leaves "detailed certificate validation procedures"
         * to RFC 5280; the server identity check is RFC 6125 §6 (now RFC 9525),
         * with the name the client asked for as the reference identity. */
        if (p->host_name != NULL && !X509_VERIFY_PARAM_set1_host(param, p->host_name, strlen(p->host_name))) {
            sd_set_error(err, err_len, "cannot set the host name to check");
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
        sd_set_error(err, err_len, "no verified chain");
        goto out;
    }
    if (!check_policy(path, p, out_alert, err, err_len)) {
        goto out;
    }
    if (p->stapled_ocsp != NULL && p->stapled_ocsp->len > 0) {
        X509 *issuer = sk_X509_num(path) > 1 ? sk_X509_value(path, 1) : leaf;
        if (!pki_check_stapled_ocsp(p->pki, *p->stapled_ocsp, leaf, issuer, p->now, out_alert, err,
                                    err_len)) {
            goto out;
        }
    }
    if (out_leaf_key != NULL) {
        *out_leaf_key = X509_get_pubkey(leaf);
        if (*out_leaf_key == NULL) {
            /* BoringSSL: X509_V_ERR_UNABLE_TO_GET_CERTS_PUBLIC_KEY ->
             * unsupported_certificate; a key type BoringSSL cannot load. */
            *out_alert = SD_unsupported_certificate;
            sd_set_error(err, err_len, "the leaf's public key is of an unsupported type");
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
    const sd_span *crl = p->crl != NULL ? p->crl : &none,
                  *ocsp = p->stapled_ocsp != NULL ? p->stapled_ocsp : &none;
    key_span(key, crl->data, crl->len);
    key_span(key, ocsp->data, ocsp->len);
    sd_buf_u32(key, (uint32_t)chain_len);
    for (size_t i = 0; i < chain_len; i++) key_span(key, chain[i].data, chain[i].len);
}

static void chain_cache_entry_clear(chain_cache_entry *e) {
    OPENSSL_free(e->key);
    EVP_PKEY_free(e->leaf_key);
    memset(e, 0, sizeof *e);
}

/* --- Certificate keys --------------------------------------------------------- */

/* The last CERT_KEY_SLOTS certificates sd_certificate_public_key parsed,
 * byte for byte, with their keys. A public key never changes once parsed,
 * so handing out another reference to it is handing out the same key. */
#define CERT_KEY_SLOTS 4

static struct {
    uint8_t *der; /* NULL: slot empty */
    size_t der_len;
    EVP_PKEY *key;
} cert_keys[CERT_KEY_SLOTS];
static size_t cert_keys_next; /* the slot to fill next (round robin) */
static size_t cert_key_hit_count;

static void cert_keys_clear(void) {
    for (size_t i = 0; i < CERT_KEY_SLOTS; i++) {
        OPENSSL_free(cert_keys[i].der);
        EVP_PKEY_free(cert_keys[i].key);
        memset(&cert_keys[i], 0, sizeof cert_keys[i]);
    }
    cert_keys_next = 0;
}

bool sd_certificate_public_key(sd_span der, EVP_PKEY **out_key) {
    *out_key = NULL;
    if (der.len == 0 || der.data == NULL || der.len > LONG_MAX) return false;
    for (size_t i = 0; !chain_cache_off && i < CERT_KEY_SLOTS; i++) {
        if (cert_keys[i].der != NULL && cert_keys[i].der_len == der.len &&
            memcmp(cert_keys[i].der, der.data, der.len) == 0 && EVP_PKEY_up_ref(cert_keys[i].key)) {
            cert_key_hit_count++;
            *out_key = cert_keys[i].key;
            return true;
        }
    }
    const uint8_t *p = der.data;
    X509 *x = d2i_X509(NULL, &p, (long)der.len);
    if (x == NULL) return false;
    EVP_PKEY *key = X509_get_pubkey(x);
    X509_free(x);
    /* Only keys are remembered: a certificate without one is rare and its
     * parse cheap to repeat. */
    uint8_t *copy = key == NULL || chain_cache_off ? NULL : OPENSSL_memdup(der.data, der.len);
    if (copy != NULL && EVP_PKEY_up_ref(key)) {
        OPENSSL_free(cert_keys[cert_keys_next].der);
        EVP_PKEY_free(cert_keys[cert_keys_next].key);
        cert_keys[cert_keys_next].der = copy;
        cert_keys[cert_keys_next].der_len = der.len;
        cert_keys[cert_keys_next].key = key;
        cert_keys_next = (cert_keys_next + 1) % CERT_KEY_SLOTS;
    } else {
        OPENSSL_free(copy);
    }
    *out_key = key;
    return true;
}

size_t sd_certificate_key_hits(void) { return cert_key_hit_count; }

void sd_verify_cache_set_enabled(bool enabled) {
    chain_cache_off = !enabled;
    sd_verify_cache_clear();
}

void sd_verify_cache_clear(void) {
    cert_keys_clear();
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
    for (size_t i = 0; !key.failed && i < CHAIN_CACHE_SLOTS; i++) {
        chain_cache_entry *e = &chain_cache[i];
        /* Lengths first, then the bytes: memcmp stops at the first that
         * differs, sooner than hashing the whole key (a few kilobytes) would. */
        if (e->key != NULL && e->key_len == key.len && memcmp(e->key, key.data, key.len) == 0 &&
            EVP_PKEY_up_ref(e->leaf_key)) {
            chain_cache_hit_count++;
            sd_buf_free(&key);
            *out_leaf_key = e->leaf_key;
            *out_alert = e->alert;
            sd_set_error(err, err_len, "%s", e->err);
            return true;
        }
    }
    char own_err[1024] = "";
    bool ok = verify_chain_uncached(p, chain, chain_len, out_leaf_key, out_alert, own_err, sizeof own_err);
    sd_set_error(err, err_len, "%s", own_err);
    if (ok && !key.failed && strlen(own_err) < sizeof chain_cache[0].err && EVP_PKEY_up_ref(*out_leaf_key)) {
        chain_cache_entry *e = &chain_cache[chain_cache_next];
        chain_cache_next = (chain_cache_next + 1) % CHAIN_CACHE_SLOTS;
        chain_cache_entry_clear(e);
        e->key = OPENSSL_memdup(key.data, key.len);
        if (e->key == NULL) {
            EVP_PKEY_free(*out_leaf_key);
        } else {
            e->key_len = key.len;
            e->leaf_key = *out_leaf_key;
            e->alert = *out_alert;
            snprintf(e->err, sizeof e->err, "%.255s", own_err); /* the first words are the reason */
        }
    }
    sd_buf_free(&key);
    return ok;
}
