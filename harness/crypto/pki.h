/* pki.h — the fixture PKI (made by corpus/pki/make_pki.c) and certificate
 * chain validation with the alert RFC 8446 §6.2 (RFC 5246 §7.2.2 in TLS
 * 1.2) prescribes per defect. Three parts: loading the PKI (pki.c), chain
 * verification (pki_verify.c) and revocation, OCSP and CRL
 * (pki_revocation.c). */
#ifndef SHAKEDOWN_CRYPTO_PKI_H
#define SHAKEDOWN_CRYPTO_PKI_H

#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/util.h"
#include "wire/bytes.h"

/* --- Loading the fixture PKI (pki.c) ----------------------------------------- */

#define SD_MAX_CHAIN 8

/* A certificate chain (leaf first) and the leaf's private key. */
typedef struct {
    char name[64]; /* fixture name, e.g. "leaf", "expired" */
    size_t chain_len;
    uint8_t *chain_der[SD_MAX_CHAIN];
    size_t chain_der_len[SD_MAX_CHAIN];
    EVP_PKEY *key; /* may be NULL for a chain without key */
    /* The key deliberately does not belong to the leaf: it was loaded from
     * <name>.mismatched-key.pem (fixture "key-mismatch"), so every
     * CertificateVerify made with it fails (RFC 8446 §4.4.3 decrypt_error). */
    bool key_mismatched;
} sd_credential;

#define SD_MAX_CREDENTIALS 64
#define SD_MAX_PKI_BLOBS 16

/* A whole file of the PKI directory (see sd_pki_blob). */
typedef struct {
    char name[64];
    sd_span span; /* points into data */
    uint8_t *data;
    /* crl.der and ocsp-*.der: the public key of the PKI's CA certificate
     * whose signature over the file verified when it was loaded; NULL if
     * none did. sd_verify_chain then need not verify the PKI's own CRL or
     * responses again on every handshake (their signature is most of what
     * checking them costs). */
    EVP_PKEY *signer;
} sd_pki_file;

/* The fixture PKI loaded from a directory: trust anchor(s) and credentials. */
typedef struct {
    char dir[512];
    X509 *root; /* the trust anchor every good chain ends at */
    uint8_t *root_der;
    size_t root_der_len;
    size_t n_credentials;
    sd_credential credentials[SD_MAX_CREDENTIALS];
    /* Every dir/<file>.der, by file name, sorted: crl.der (the
     * intermediate's CRL), ocsp-leaf.der and ocsp-revoked.der (OCSP
     * responses for "leaf" and "revoked"), and the defective responses for
     * "leaf" a scenario staples (ocsp-leaf-revoked.der, ...,
     * corpus/pki/make_pki.c). See sd_pki_blob. */
    size_t n_blobs;
    sd_pki_file blobs[SD_MAX_PKI_BLOBS];
    /* crl.der parsed once, NULL if there is none or it does not parse.
     * sd_verify_chain uses it when sd_verify_params.crl is that blob's
     * span. */
    X509_CRL *crl;
} sd_pki;

/* The host name all good leaves are issued for. */
#define SD_PKI_SERVER_NAME "server.shakedown.test"
/* The validation time every run uses unless told otherwise (2026-01-01T00:00Z),
 * so results do not change with the calendar. Good certificates are valid
 * 2025..2035; "expired" ended in 2021; "not-yet-valid" starts in 2030. */
#define SD_PKI_DEFAULT_TIME ((int64_t)1767225600)

/* Loads dir/root.pem, each dir/<name>.chain.pem with its dir/<name>.key.pem
 * (or dir/<name>.mismatched-key.pem), and each dir/<file>.der.
 *  - A chain file's PEM "CERTIFICATE" blocks are kept as the raw bytes they
 *    hold, not re-encoded, so a deliberately broken DER ("malformed-der")
 *    reaches the peer as it is; a chain file without any block gives a
 *    credential with chain_len 0 ("empty-chain").
 *  - A key must match the leaf, unless it comes from <name>.mismatched-key.pem,
 *    where it must not (key_mismatched); a leaf that does not parse is not
 *    checked against its key.
 * On failure writes a message to err. */
SD_MUST_CHECK bool sd_pki_load(sd_pki *pki, const char *dir, char *err, size_t err_len);
void sd_pki_free(sd_pki *pki);
/* NULL if there is no credential of that name. */
const sd_credential *sd_pki_find(const sd_pki *pki, const char *name);
/* The bytes of dir/<file> loaded by sd_pki_load (file ends in .der, e.g.
 * "crl.der", "ocsp-leaf.der"); NULL if there is none. The span lives as long
 * as the sd_pki, and can go straight into sd_verify_params.crl or
 * .stapled_ocsp. */
const sd_span *sd_pki_blob(const sd_pki *pki, const char *file);
/* The same by the name without ".der" ("ocsp-leaf"), as a scenario's
 * `staple:` names it; NULL if there is none. */
const sd_span *sd_pki_der(const sd_pki *pki, const char *stem);
/* The default directory: $SHAKEDOWN_PKI_DIR, else the build's pki folder. */
const char *sd_pki_default_dir(void);

/* --- Chain verification (pki_verify.c) --------------------------------------- */

/* Whose certificate is checked, for extendedKeyUsage (RFC 5280 §4.2.1.12). */
typedef enum {
    SD_VERIFY_PURPOSE_ANY = 0, /* no extendedKeyUsage check */
    SD_VERIFY_PURPOSE_SERVER,  /* a TLS server's: id-kp-serverAuth if the EKU is present */
    SD_VERIFY_PURPOSE_CLIENT,  /* a TLS client's: id-kp-clientAuth if the EKU is present */
} sd_verify_purpose;

/* What the leaf key will do, for keyUsage (RFC 5280 §4.2.1.3). */
typedef enum {
    /* Sign (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange and
     * CertificateVerify): digitalSignature, if keyUsage is present. */
    SD_KEY_USE_SIGN = 0,
    /* Decrypt the TLS 1.2 static-RSA premaster secret (RFC 5246 §7.4.7.1):
     * keyEncipherment, if keyUsage is present. */
    SD_KEY_USE_ENCIPHER,
} sd_key_use;

/* The smallest RSA modulus accepted anywhere in a chain (policy: NIST SP
 * 800-131A Rev. 2; CA/Browser Forum BRs §6.1.5). The fixture's "weak-key"
 * is RSA-1024. */
#define SD_PKI_MIN_RSA_BITS 2048

/* Validation inputs. Zero in the fields after `now` (as in
 * `{pki, host, now}`) means: no EKU check, a signing key, no revocation
 * check. */
typedef struct {
    const sd_pki *pki;     /* trust anchor: pki->root */
    const char *host_name; /* checked against the leaf; NULL skips the check */
    int64_t now;           /* validation time, seconds since the epoch */
    sd_verify_purpose purpose;
    sd_key_use key_use;
    /* A DER CRL (RFC 5280 §5) to consult for the leaf; NULL or empty: none.
     * It applies when its issuer is the leaf's issuer; a leaf from another
     * issuer is not checked against it. */
    const sd_span *crl;
    /* A DER OCSPResponse (RFC 6960 §4.2.1) the peer stapled for its leaf:
     * TLS 1.2 CertificateStatus (RFC 6066 §8), TLS 1.3 status_request in
     * the leaf's CertificateEntry (RFC 8446 §4.4.2.1). NULL or empty: none.
     * Only responses signed by the leaf's issuer itself are accepted. */
    const sd_span *stapled_ocsp;
    /* A new field must also join the verdict cache's key (chain_cache_key
     * in pki_verify.c). */
} sd_verify_params;

/* Validates chain (leaf first, DER). On success returns true and, if
 * out_leaf_key is not NULL, the leaf's public key (caller frees). On failure
 * returns false, sets *out_alert per RFC 8446 §6.2 / RFC 5246 §7.2.2 and
 * describes the defect in err:
 *   decode_error                     no certificate, or bytes that are not DER
 *   certificate_expired              outside its validity at p->now
 *   unknown_ca                       no path to the trust anchor (untrusted
 *                                    root, missing intermediate, issuer not a CA)
 *   bad_certificate                  a signature that does not verify, an MD5
 *                                    or SHA-1 signature, a name mismatch
 *   unsupported_certificate          unfit for the use: keyUsage, EKU, a CA
 *                                    certificate as leaf, an unknown critical
 *                                    extension, an RSA key under 2048 bits
 *   certificate_revoked              revoked by p->crl or p->stapled_ocsp
 *   bad_certificate_status_response  a stapled OCSP response that is unusable
 *   internal_error                   the validator itself failed (or p->crl
 *                                    does not parse)
 * pki_verify.c (alert_for_verify_error, check_policy) and
 * pki_revocation.c (the CRL and OCSP checks) give the reasoning for each.
 * A leaf key that does not match the peer's private key is not visible
 * here: the CertificateVerify check (sd_verify, decrypt_error) catches it. */
SD_MUST_CHECK bool sd_verify_chain(const sd_verify_params *p, const sd_span *chain, size_t chain_len,
                                   EVP_PKEY **out_leaf_key, uint8_t *out_alert, char *err, size_t err_len);

/* sd_verify_chain remembers the chains it accepted (with out_leaf_key set),
 * per process, keyed by every input of the verdict byte for byte, so that a
 * repeated honest chain is not validated again: the answer is the same,
 * only cheaper. Not thread-safe (nor is the harness). On by default; turning
 * it on or off empties it, and so does sd_pki_free. */
void sd_verify_cache_set_enabled(bool enabled);
void sd_verify_cache_clear(void);
/* How many sd_verify_chain calls the cache answered, for tests. */
size_t sd_verify_cache_hits(void);

/* The public key of the DER certificate at the start of der, as d2i_X509
 * and X509_get_pubkey give it: false if no certificate parses there; else
 * true, with *out_key a new reference, or NULL for a key libcrypto cannot
 * load. What a peer sent is not validated here (sd_verify_chain does
 * that): this is the key a client encrypts a premaster secret to. The keys
 * of the last few certificates are remembered by their exact bytes, with
 * the chain cache and under its switch: a fuzz execution's driver reads
 * the same leaf in both of its runs, and in every execution. */
SD_MUST_CHECK bool sd_certificate_public_key(sd_span der, EVP_PKEY **out_key);
/* How many sd_certificate_public_key calls were answered from memory. */
size_t sd_certificate_key_hits(void);

/* --- OCSP (RFC 6960), in pki_revocation.c --------------------------------------
 * A bounds-checked parser over the caller's bytes: no allocation, every
 * length checked, trailing bytes rejected at every level (DER).
 * sd_verify_chain checks a stapled response (sd_verify_params.stapled_ocsp)
 * with it. */

typedef enum { SD_OCSP_GOOD = 0, SD_OCSP_REVOKED = 1, SD_OCSP_UNKNOWN = 2 } sd_ocsp_cert_status;

typedef struct {
    unsigned response_status; /* OCSPResponseStatus: 0 successful ... 6 unauthorized */
    /* The rest is set only for a successful response with a BasicOCSPResponse. */
    sd_span tbs_response_data;   /* ResponseData, the whole DER element (the signed bytes) */
    sd_span signature_algorithm; /* AlgorithmIdentifier, the whole DER element */
    sd_span signature;           /* the BIT STRING's bits (no unused-bits octet) */
    sd_span responder_name;      /* ResponderID byName: the Name element; empty if byKey */
    sd_span responder_key_hash;  /* ResponderID byKey: the SHA-1 hash; empty if byName */
    int64_t produced_at;
    sd_span responses;  /* contents of SEQUENCE OF SingleResponse */
    size_t n_responses; /* at least 1 */
    sd_span certs;      /* contents of certs [0]; empty if absent */
} sd_ocsp_response;

typedef struct {
    sd_span hash_algorithm;   /* CertID.hashAlgorithm's OID (contents) */
    sd_span issuer_name_hash; /* OCTET STRING contents */
    sd_span issuer_key_hash;
    sd_span serial; /* serialNumber, the whole INTEGER element */
    sd_ocsp_cert_status status;
    int64_t revocation_time; /* SD_OCSP_REVOKED only */
    int revocation_reason;   /* CRLReason, -1 if absent */
    int64_t this_update;
    bool has_next_update;
    int64_t next_update;
} sd_ocsp_single;

/* Parses a DER OCSPResponse (every SingleResponse included). Returns false
 * if it is not one. A response_status other than 0 parses (the structure
 * allows it) with only response_status set. */
SD_MUST_CHECK bool sd_ocsp_parse(sd_span der, sd_ocsp_response *out);
/* Takes the next SingleResponse from *responses (start with
 * sd_ocsp_response.responses) and advances it; false at the end or on a
 * malformed one, and then neither *responses nor *out changes. */
bool sd_ocsp_next_single(sd_span *responses, sd_ocsp_single *out);

#endif
