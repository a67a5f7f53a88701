/* pki_common.h — what the three files behind pki.h share: pki.c (loading
 * the fixture PKI), pki_verify.c (chain verification) and pki_revocation.c
 * (OCSP and CRL checks). Not for use outside harness/crypto.
 *
 * The calls go one way. pki_revocation.c calls neither of the others;
 * pki_verify.c calls pki_revocation.c; pki.c calls both, because loading a
 * PKI checks its own CRL and OCSP responses once (pki_prepare_revocation)
 * and freeing it empties the verdict cache (sd_verify_cache_clear). The
 * other two only read the loaded sd_pki, so the small helpers all three
 * use are inline here rather than in any one of them. */
#ifndef SHAKEDOWN_CRYPTO_PKI_COMMON_H
#define SHAKEDOWN_CRYPTO_PKI_COMMON_H

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/nid.h>
#include <openssl/x509.h>

#include "crypto/pki.h"
#include "util/util.h"

/* --- Helpers for all three files ------------------------------------------ */

/* Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's
 * civil_from_days), so that messages need no gmtime_r. */
static inline void pki_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
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

/* Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ", for messages. */
static inline void pki_format_time(int64_t t, char *buf, size_t len) {
    int64_t days = t / 86400;
    int64_t secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    pki_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d, (unsigned)(secs / 3600),
             (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
}

/* The file of the PKI directory named `file` (e.g. "crl.der"); NULL if
 * there is none. */
static inline const sd_pki_file *pki_find_file(const sd_pki *pki, const char *file) {
    if (pki == NULL || file == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < pki->n_blobs; i++) {
        if (strcmp(pki->blobs[i].name, file) == 0) {
            return &pki->blobs[i];
        }
    }
    return NULL;
}

/* The certificate `der` holds, all of it: NULL if it does not parse or if
 * bytes trail it. */
static inline X509 *pki_x509_from_der(const uint8_t *der, size_t len) {
    const uint8_t *p = der;
    X509 *x = der != NULL && len <= (size_t)LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
    if (x != NULL && p != der + len) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

/* "MD5" or "SHA-1" for a digest too weak to trust in a signature, NULL for
 * any other. The one list for certificates (RFC 8446 §4.4.2.4, see
 * weak_signature_hash in pki_verify.c) and OCSP responses. */
static inline const char *pki_weak_digest(int md_nid) {
    switch (md_nid) {
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

/* --- pki_revocation.c, for pki.c -------------------------------------------- */

/* Parses crl.der into pki->crl, and records in each sd_pki_file.signer the
 * CA key its signature verifies with (see pki_revocation.c). */
void pki_prepare_revocation(sd_pki *pki);

/* --- pki_revocation.c, for pki_verify.c ------------------------------------- */

/* The CRL `crl` holds (sd_verify_params.crl), parsed, in *out (the caller
 * frees it); *out is NULL if `crl` is NULL or empty. False, with a message,
 * if it does not parse. */
bool pki_configured_crl(const sd_pki *pki, const sd_span *crl, X509_CRL **out, char *err, size_t err_len);

/* What pki_check_own_crl needs from sd_verify_chain: the X509_STORE_CTX's
 * app data. */
typedef struct {
    const sd_pki *pki;
    int64_t now; /* the validation time, as set in the X509_VERIFY_PARAM */
    /* pki_check_own_crl met a case it does not cover: verify again with
     * BoringSSL's own CRL check. */
    bool needs_default_check;
} pki_crl_check_state;

/* An X509_STORE check_crl for the PKI's own CRL (pki->crl) that skips the
 * signature pki_prepare_revocation verified; see pki_revocation.c. */
int pki_check_own_crl(X509_STORE_CTX *ctx, X509_CRL *crl);

/* Checks a stapled OCSP response `der` for `leaf`, issued by `issuer`, at
 * `now`. False with the alert and a message if it is unusable or says the
 * leaf is revoked. */
bool pki_check_stapled_ocsp(const sd_pki *pki, sd_span der, X509 *leaf, X509 *issuer, int64_t now,
                            uint8_t *out_alert, char *err, size_t err_len);

#endif
