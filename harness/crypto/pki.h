/* pki.h — the fixture PKI (made by corpus/pki/make_pki.c) and certificate
 * chain validation with the alert RFC 8446 §6.2 prescribes per defect. */
#ifndef SHAKEDOWN_CRYPTO_PKI_H
#define SHAKEDOWN_CRYPTO_PKI_H

#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "wire/bytes.h"

#define SD_MAX_CHAIN 8

/* A certificate chain (leaf first) and the leaf's private key. */
typedef struct {
    char name[64];          /* fixture name, e.g. "leaf", "expired" */
    size_t chain_len;
    uint8_t *chain_der[SD_MAX_CHAIN];
    size_t chain_der_len[SD_MAX_CHAIN];
    EVP_PKEY *key;          /* may be NULL for a chain without key */
} sd_credential;

#define SD_MAX_CREDENTIALS 64

/* The fixture PKI loaded from a directory: trust anchor(s) and credentials. */
typedef struct {
    char dir[512];
    X509 *root;                  /* the trust anchor every good chain ends at */
    uint8_t *root_der;
    size_t root_der_len;
    size_t n_credentials;
    sd_credential credentials[SD_MAX_CREDENTIALS];
} sd_pki;

/* The host name all good leaves are issued for. */
#define SD_PKI_SERVER_NAME "server.shakedown.test"
/* The validation time every run uses unless told otherwise (2026-01-01T00:00Z),
 * so results do not change with the calendar. Good certificates are valid
 * 2025..2035; "expired" ended in 2021; "not-yet-valid" starts in 2030. */
#define SD_PKI_DEFAULT_TIME ((int64_t)1767225600)

/* Loads dir/root.pem and each dir/<name>.chain.pem + dir/<name>.key.pem.
 * On failure writes a message to err. */
bool sd_pki_load(sd_pki *pki, const char *dir, char *err, size_t err_len);
void sd_pki_free(sd_pki *pki);
/* NULL if there is no credential of that name. */
const sd_credential *sd_pki_find(const sd_pki *pki, const char *name);
/* The default directory: $SHAKEDOWN_PKI_DIR, else the build's pki folder. */
const char *sd_pki_default_dir(void);

typedef struct {
    const sd_pki *pki;       /* trust anchor: pki->root */
    const char *host_name;   /* checked against the leaf; NULL skips the check */
    int64_t now;             /* validation time, seconds since the epoch */
} sd_verify_params;

/* Validates chain (leaf first, DER). On success returns true and, if
 * out_leaf_key is not NULL, the leaf's public key (caller frees). On failure
 * returns false, sets *out_alert per RFC 8446 §6.2 / RFC 5246 §7.2.2
 * (certificate_expired, unknown_ca, bad_certificate, unsupported_certificate,
 * decode_error for bytes that are not DER) and describes the defect in err. */
bool sd_verify_chain(const sd_verify_params *p, const sd_span *chain, size_t chain_len,
                     EVP_PKEY **out_leaf_key, uint8_t *out_alert, char *err, size_t err_len);

#endif
