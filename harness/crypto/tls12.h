/* tls12.h — TLS 1.2 crypto (RFC 5246 and its amendments): the cipher suites
 * the model implements, the P_hash PRF (§5), master secret (§8.1) and
 * extended master secret (RFC 7627 §4), Finished (§7.4.9), the key block
 * (§6.3) and the keys a session derives from them, static-RSA key transport with the Bleichenbacher countermeasure
 * (§7.4.7.1), the ServerKeyExchange signed content (§7.4.3) and TLS 1.2
 * signatures (§7.4.1.4.1).
 *
 * Record protection for these suites is sd_record_keys_set_tls12() in
 * crypto/crypto.h: after it, sd_record_seal/sd_record_open protect TLS 1.2
 * records. */
#ifndef SHAKEDOWN_CRYPTO_TLS12_H
#define SHAKEDOWN_CRYPTO_TLS12_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "wire/bytes.h"
#include "util/util.h"

/* TLS 1.2 cipher suites the model implements (RFC 5246, RFC 5289, RFC 7905).
 * DHE_RSA (RFC 5246 §7.4.3, groups of RFC 7919) is offered only when a
 * configuration names its suites: BoringSSL has none. */
typedef enum { SD_KX_RSA, SD_KX_ECDHE_ECDSA, SD_KX_ECDHE_RSA, SD_KX_DHE_RSA } sd_kx;
typedef enum {
    SD_BULK_AES_128_GCM,
    SD_BULK_AES_256_GCM,
    SD_BULK_CHACHA20_POLY1305,
    SD_BULK_AES_128_CBC_SHA
} sd_bulk;

/* The struct is tagged so that crypto.h can name it without this header. */
typedef struct sd_tls12_suite {
    uint16_t id;
    const char *name;
    sd_kx kx;
    sd_bulk bulk;
    const EVP_MD *(*prf_md)(void); /* SHA-256, or SHA-384 for the AES-256-GCM suites */
    /* GCM: key 16/32, fixed_iv 4 (the salt, RFC 5288 §3), mac 0.
     * ChaCha20-Poly1305: key 32, fixed_iv 12 (RFC 7905 §2), mac 0.
     * AES-128-CBC-SHA: key 16, fixed_iv 0, mac 20. TLS 1.2 derives no IV for
     * CBC (RFC 5246 §6.3: IVs are "only generated for implicit nonce
     * techniques"); each record carries its own 16-byte explicit IV. */
    size_t key_len, fixed_iv_len, mac_key_len;
} sd_tls12_suite;

/* NULL for a suite the model does not implement. */
const sd_tls12_suite *sd_tls12_suite_find(uint16_t id);
/* Preference order: ECDHE GCM, ECDHE ChaCha20, RSA GCM, CBC last. */
extern const uint16_t sd_tls12_default_suites[];
extern const size_t sd_tls12_n_default_suites;

/* RFC 5246 §5: PRF(secret, label, seed) = P_<hash>(secret, label + seed),
 * label without its NUL. Any out_len. */
SD_MUST_CHECK bool sd_tls12_prf(const EVP_MD *md, const uint8_t *secret, size_t secret_len, const char *label,
                                const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* §8.1 master_secret = PRF(pms, "master secret", client_random + server_random)[0..47];
 * RFC 7627 §4: PRF(pms, "extended master secret", session_hash)[0..47] when
 * session_hash != NULL (then the randoms are unused and may be NULL). */
SD_MUST_CHECK bool sd_tls12_master_secret(const sd_tls12_suite *s, const uint8_t *pms, size_t pms_len,
                                          const uint8_t *client_random, const uint8_t *server_random,
                                          const uint8_t *session_hash, size_t session_hash_len,
                                          uint8_t out[48]);

/* §7.4.9 verify_data = PRF(master, "client finished"|"server finished",
 * Hash(handshake_messages))[0..11]; handshake_hash is EVP_MD_size(prf_md()) bytes. */
SD_MUST_CHECK bool sd_tls12_finished(const sd_tls12_suite *s, const uint8_t master[48], bool client,
                                     const uint8_t *handshake_hash, uint8_t out[12]);

/* §6.3 key block = PRF(master, "key expansion", server_random + client_random),
 * cut into client_write_MAC_key, server_write_MAC_key, client_write_key,
 * server_write_key, client_write_IV, server_write_IV with the suite's
 * lengths. Unused tails of the arrays are zero. */
typedef struct {
    uint8_t client_mac[20], server_mac[20], client_key[32], server_key[32], client_iv[12], server_iv[12];
} sd_tls12_key_block;
SD_MUST_CHECK bool sd_tls12_derive_keys(const sd_tls12_suite *s, const uint8_t master[48],
                                        const uint8_t *client_random, const uint8_t *server_random,
                                        sd_tls12_key_block *out);
/* The same from a master secret of any length; an empty one (master_len 0)
 * gives the keys a peer with CVE-2014-0224 installs on a ChangeCipherSpec
 * that comes before the key exchange. */
SD_MUST_CHECK bool sd_tls12_derive_keys_from(const sd_tls12_suite *s, const uint8_t *master,
                                             size_t master_len, const uint8_t *client_random,
                                             const uint8_t *server_random, sd_tls12_key_block *out);
/* Total key block length for the suite: 2 * (mac_key_len + key_len + fixed_iv_len). */
size_t sd_tls12_key_block_len(const sd_tls12_suite *s);

/* A session's keys once ClientKeyExchange is in `transcript` (RFC 7627 §3:
 * the session hash covers it): the master secret, extended over the session
 * hash (the transcript's hash with prf_md) when `ems` (both sides sent
 * extended_master_secret), else §8.1's over the randoms; then the key block
 * (§6.3). The caller keeps the premaster secret, and cleanses it. */
SD_MUST_CHECK bool sd_tls12_derive_session_keys(const sd_tls12_suite *s, const uint8_t *pms, size_t pms_len,
                                                const uint8_t *client_random, const uint8_t *server_random,
                                                bool ems, const sd_transcript *transcript, uint8_t master[48],
                                                sd_tls12_key_block *keys);

/* One side's pending write keys from the key block become the current keys
 * of k (§7.1: after that side's ChangeCipherSpec): the client's when
 * client_side, else the server's. Derived (not random) CBC IVs. */
SD_MUST_CHECK bool sd_tls12_install_keys(sd_record_keys *k, const sd_tls12_suite *s,
                                         const sd_tls12_key_block *kb, bool client_side);

/* Whether a certificate with this key can serve the suite's key exchange:
 * ECDHE_ECDSA needs an ECDSA- or EdDSA-capable key (RFC 8422 §2.1),
 * ECDHE_RSA, DHE_RSA and static RSA an RSA key (RFC 8422 §2.2, RFC 5246
 * §7.4.2). */
bool sd_tls12_key_fits_suite(const sd_tls12_suite *s, const EVP_PKEY *key);

/* §7.4.7.1 static RSA: the client encrypts a 48-byte PMS (client_version ||
 * 46 random) with RSAES-PKCS1-v1_5. Appends the ciphertext (RSA_size bytes,
 * without the u16 length; see sd_build_tls12_cke_rsa). */
SD_MUST_CHECK bool sd_tls12_rsa_encrypt_pms(EVP_PKEY *server_key, const uint8_t pms[48],
                                            sd_buf *out_encrypted);
/* Server side with the Bleichenbacher countermeasure of §7.4.7.1: never
 * fails on bad input. On a decryption failure, a ciphertext of the wrong
 * length, bad PKCS#1 padding, a message that is not 48 bytes, or wrong
 * version bytes (compared with client_version, the ClientHello's
 * legacy_version) it writes `random_pms` instead. The padding, length and
 * version checks run in constant time (no early return, no branch on the
 * decrypted bytes: a constant-time select). Returns false only on internal
 * errors (not an RSA key, allocation failure). Note: the ciphertext length
 * is public; BoringSSL refuses a length other than RSA_size up front
 * (decrypt_error), which a caller may do too before calling this. */
SD_MUST_CHECK bool sd_tls12_rsa_decrypt_pms(EVP_PKEY *server_key, sd_span encrypted, uint16_t client_version,
                                            const uint8_t random_pms[48], uint8_t out_pms[48]);

/* The content ServerKeyExchange signs (§7.4.3): client_random || server_random || params. Appends. */
void sd_tls12_ske_signed_content(const uint8_t *client_random, const uint8_t *server_random, sd_span params,
                                 sd_buf *out);

/* TLS 1.2 signatures (§7.4.1.4.1; RFC 8446 §4.2.3 for the schemes that
 * TLS 1.2 also uses): like sd_sign/sd_verify but allowing rsa_pkcs1_sha1/
 * sha256/sha384/sha512 and ecdsa_sha1, and ECDSA with any curve/hash pair
 * (TLS 1.2 does not bind the curve to the hash). RSA-PSS rsae and Ed25519
 * (RFC 8422 §5.1.3) as in TLS 1.3. */
SD_MUST_CHECK bool sd_tls12_signature_scheme_matches_key(uint16_t scheme, const EVP_PKEY *key);
SD_MUST_CHECK bool sd_tls12_sign(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature);
/* Like sd_tls12_sign, but an ECDSA signature is
 * sd_ecdsa_steady_signature_len(key) long (crypto.h; the driver's). */
SD_MUST_CHECK bool sd_tls12_sign_steady(EVP_PKEY *key, uint16_t scheme, sd_span message,
                                        sd_buf *out_signature);
bool sd_tls12_verify(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature);

/* A TLS 1.2 Certificate body (RFC 5246 §7.4.2) from a credential's chain,
 * leaf first (see also sd_build_tls12_certificate_chain in wire/tls12.h);
 * NULL gives an empty certificate_list (§7.4.6). */
void sd_tls12_build_certificate(sd_buf *out, const sd_credential *cred);

#endif
