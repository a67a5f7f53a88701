/* memo.h — the results of public-key operations, remembered per process;
 * see memo.c. Not for use outside harness/crypto: callers see only the
 * switches in crypto.h (sd_crypto_memo_set_enabled, ...). */
#ifndef SHAKEDOWN_CRYPTO_MEMO_H
#define SHAKEDOWN_CRYPTO_MEMO_H

#include <openssl/evp.h>

#include "wire/bytes.h"

typedef enum {
    SD_MEMO_SIGN,        /* (private key, variant, scheme, message) -> signature */
    SD_MEMO_KEYGEN,      /* (group, private key bytes) -> public key bytes */
    SD_MEMO_DERIVE,      /* (group, private key bytes, peer's public value) -> shared secret */
    SD_MEMO_RSA_ENCRYPT, /* (public key, premaster secret) -> ciphertext */
    SD_MEMO_RSA_DECRYPT, /* (private key, ciphertext) -> raw RSA output */
    SD_MEMO_VERIFY,      /* (public key, variant, scheme, message, signature) -> verified (no value) */
    SD_MEMO_KINDS
} sd_memo_kind;

/* Which key an entry is for:
 *  - SD_MEMO_KEY_NONE: none (the key is in the input's bytes);
 *  - SD_MEMO_KEY_SAME: that EVP_PKEY object (private-key operations with
 *    the fixture's keys: the entry holds a reference, so the object cannot
 *    be freed and its address reused by another key while the entry lives);
 *  - SD_MEMO_KEY_PUBLIC: any object with that public key (keys parsed afresh
 *    from each handshake's certificate; named by a digest of their
 *    SubjectPublicKeyInfo, so the entry keeps nothing of the handshake's). */
typedef enum { SD_MEMO_KEY_NONE, SD_MEMO_KEY_SAME, SD_MEMO_KEY_PUBLIC } sd_memo_key_match;

/* What sd_memo_find looked for, for sd_memo_put to fill in. */
typedef struct {
    sd_memo_kind kind;
    sd_memo_key_match match;
    uint8_t digest[32];
    bool usable; /* false: the memo is off, or the key could not be named */
} sd_memo_ticket;

/* Appends the value remembered for (kind, key, input) to out and returns
 * true; false if there is none. Either way *ticket names the entry. */
bool sd_memo_find(sd_memo_kind kind, sd_memo_key_match match, EVP_PKEY *key, sd_span input, sd_buf *out,
                  sd_memo_ticket *ticket);
/* Remembers value under the ticket sd_memo_find gave for key, forgetting
 * the entry of that set used longest ago when all are taken. Does nothing
 * if the ticket is unusable or the value too long to keep (a memo may
 * always forget). */
void sd_memo_put(const sd_memo_ticket *ticket, EVP_PKEY *key, sd_span value);

/* One signing by libcrypto: signature.c's for TLS 1.3, tls12.c's for 1.2. */
typedef bool (*sd_sign_once_fn)(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature);
/* Appends a signature of message to out_signature: the remembered one for
 * (variant, key, scheme, message, steady), else sign_once's, remembered.
 * variant names sign_once (12 or 13). steady: an ECDSA signature is
 * sd_ecdsa_steady_signature_len(key) bytes long (crypto.h). */
bool sd_memo_sign(sd_sign_once_fn sign_once, uint8_t variant, EVP_PKEY *key, uint16_t scheme, sd_span message,
                  bool steady, sd_buf *out_signature);

/* One verification by libcrypto, and the memo around it, for signatures
 * that verified: true if (variant, key, scheme, message, signature) verified
 * before, else verify_once's verdict. */
typedef bool (*sd_verify_once_fn)(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature);
bool sd_memo_verify(sd_verify_once_fn verify_once, uint8_t variant, EVP_PKEY *key, uint16_t scheme,
                    sd_span message, sd_span signature);

#endif
