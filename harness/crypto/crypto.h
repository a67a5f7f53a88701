/* crypto.h — thin wrappers over BoringSSL's libcrypto for what TLS 1.3
 * needs: cipher suites, the HKDF key schedule (RFC 8446 §7.1), transcript
 * hashing (§4.4.1), Finished (§4.4.4), AEAD record protection (§5.2, §5.3),
 * key exchange (§4.2.8, §7.4), signatures (§4.4.3) and a seeded random
 * generator so that the model is deterministic. TLS 1.2 uses the same key
 * exchange, transcript hashing and record protection (with its own nonces
 * and CBC, record_protection.c); its PRF and key derivation are in
 * crypto/tls12.h. */
#ifndef SHAKEDOWN_CRYPTO_H
#define SHAKEDOWN_CRYPTO_H

#include <openssl/aead.h>
#include <openssl/evp.h>

#include "wire/bytes.h"
#include "util/util.h"

#define SD_MAX_HASH_LEN 48 /* SHA-384 */
#define SD_MAX_KEY_LEN 32
#define SD_IV_LEN 12

/* --- Seeded random generator ------------------------------------------- */
/* ChaCha20 keystream from a 64-bit seed: the same seed gives the same bytes. */
typedef struct {
    uint8_t key[32];
    uint64_t counter; /* 64-byte blocks produced so far */
    uint8_t block[64];
    size_t block_used; /* bytes of `block` already handed out */
} sd_rng;
void sd_rng_init(sd_rng *rng, uint64_t seed);
void sd_rng_bytes(sd_rng *rng, uint8_t *out, size_t len);

/* --- Cipher suites ------------------------------------------------------- */
typedef struct {
    uint16_t id;
    const char *name;
    const EVP_MD *(*md)(void);
    const EVP_AEAD *(*aead)(void);
    size_t hash_len;
    size_t key_len;
} sd_suite;
/* NULL for an unknown or unsupported suite. */
const sd_suite *sd_suite_find(uint16_t id);

/* --- Transcript (§4.4.1) ------------------------------------------------- */
/* The transcript keeps the raw handshake bytes, because the hash function is
 * known only after ServerHello, and HelloRetryRequest replaces ClientHello1
 * with a synthetic message_hash. bytes grows only through
 * sd_transcript_add, and is replaced only by
 * sd_transcript_replace_with_message_hash: sd_transcript_hash carries a
 * hash of the bytes it has seen from one call to the next (`running`), and
 * hashes only what was added since. A caller may shorten bytes.len for a
 * moment to hash a prefix (TLS 1.2 Finished), as long as it puts the same
 * bytes back. */
typedef struct sd_transcript_running sd_transcript_running;
typedef struct {
    sd_buf bytes;
    sd_transcript_running *running; /* NULL: every hash starts over */
} sd_transcript;
void sd_transcript_init(sd_transcript *t);
void sd_transcript_free(sd_transcript *t);
void sd_transcript_add(sd_transcript *t, sd_span handshake_msg_with_header);
/* Hash of everything added so far. out must hold EVP_MD_size(md). */
SD_MUST_CHECK bool sd_transcript_hash(const sd_transcript *t, const EVP_MD *md, uint8_t *out);
/* §4.4.1: replaces the transcript (ClientHello1) with
 * message_hash(254) || 00 00 Hash.length || Hash(ClientHello1). */
SD_MUST_CHECK bool sd_transcript_replace_with_message_hash(sd_transcript *t, const EVP_MD *md);

/* --- Key schedule (§7.1) ------------------------------------------------- */
SD_MUST_CHECK bool sd_hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                                   size_t ikm_len, uint8_t *out);
/* HKDF-Expand-Label(Secret, Label, Context, Length); label without "tls13 ". */
SD_MUST_CHECK bool sd_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret, const char *label,
                                        const uint8_t *context, size_t context_len, uint8_t *out,
                                        size_t out_len);
/* Derive-Secret(Secret, Label, Messages) with the transcript hash given. */
SD_MUST_CHECK bool sd_derive_secret(const EVP_MD *md, const uint8_t *secret, const char *label,
                                    const uint8_t *transcript_hash, uint8_t *out);

typedef struct {
    const sd_suite *suite;
    size_t hash_len;
    uint8_t early_secret[SD_MAX_HASH_LEN];
    uint8_t handshake_secret[SD_MAX_HASH_LEN];
    uint8_t master_secret[SD_MAX_HASH_LEN];
    uint8_t client_handshake_traffic[SD_MAX_HASH_LEN];
    uint8_t server_handshake_traffic[SD_MAX_HASH_LEN];
    uint8_t client_application_traffic[SD_MAX_HASH_LEN];
    uint8_t server_application_traffic[SD_MAX_HASH_LEN];
    uint8_t exporter_master[SD_MAX_HASH_LEN];
    uint8_t resumption_master[SD_MAX_HASH_LEN];
} sd_key_schedule;

/* Early Secret from the PSK, or from zeros when psk is NULL. */
SD_MUST_CHECK bool sd_ks_init(sd_key_schedule *ks, const sd_suite *suite, const uint8_t *psk, size_t psk_len);
/* Handshake Secret and both handshake traffic secrets; the hash covers
 * ClientHello..ServerHello. */
SD_MUST_CHECK bool sd_ks_handshake(sd_key_schedule *ks, const uint8_t *ecdhe, size_t ecdhe_len,
                                   const uint8_t *hash_ch_sh);
/* Master Secret, application traffic and exporter secrets; the hash covers
 * ClientHello..server Finished. */
SD_MUST_CHECK bool sd_ks_application(sd_key_schedule *ks, const uint8_t *hash_ch_sf);
/* resumption_master_secret; the hash covers ClientHello..client Finished. */
SD_MUST_CHECK bool sd_ks_resumption(sd_key_schedule *ks, const uint8_t *hash_ch_cf);

/* §4.4.4: verify_data = HMAC(finished_key, transcript_hash), finished_key =
 * HKDF-Expand-Label(base_key, "finished", "", Hash.length). */
SD_MUST_CHECK bool sd_finished_verify_data(const EVP_MD *md, const uint8_t *base_key,
                                           const uint8_t *transcript_hash, uint8_t *out);

/* §4.2.11.2: a resumption PSK's binder, HMAC with the finished key (§4.4.4)
 * of binder_key = Derive-Secret(Early Secret, "res binder", "") over
 * Transcript-Hash(prefix + truncated): `prefix` is the transcript before
 * this ClientHello (the first ClientHello and HelloRetryRequest, if any),
 * `truncated` this ClientHello up to its binders list. */
SD_MUST_CHECK bool sd_psk_binder(const sd_suite *suite, const uint8_t *psk, size_t psk_len, sd_span prefix,
                                 sd_span truncated, uint8_t *out);

/* §7.3: write_key and write_iv from a traffic secret. */
SD_MUST_CHECK bool sd_traffic_keys(const sd_suite *suite, const uint8_t *secret, uint8_t *key, uint8_t *iv);

/* --- Record protection (§5.2, §5.3) ------------------------------------- */
struct sd_tls12_suite; /* crypto/tls12.h */

typedef struct {
    bool active;
    const sd_suite *suite; /* TLS 1.3 keys; NULL for TLS 1.2 ones */
    EVP_AEAD_CTX aead;     /* TLS 1.3, TLS 1.2 GCM/ChaCha20; CBC: the opening direction */
    uint8_t iv[SD_IV_LEN]; /* TLS 1.3 write_iv; TLS 1.2 fixed IV (GCM salt in iv[0..3]) */
    uint64_t seq;
    /* TLS 1.2 (sd_record_keys_set_tls12): the header keeps the real content
     * type and there is no inner type or padding. */
    bool tls12;
    const struct sd_tls12_suite *tls12_suite;
    uint8_t tls12_mac_key[20]; /* CBC: HMAC-SHA1 key */
    uint8_t tls12_enc_key[32]; /* CBC: AES key (sealing runs on EVP_CIPHER) */
    bool tls12_cbc_random_iv;  /* CBC explicit IV from RAND_bytes, else derived (deterministic) */
    bool tls12_etm;            /* CBC: encrypt-then-MAC (RFC 7366), sd_record_keys_set_encrypt_then_mac */
} sd_record_keys;

void sd_record_keys_init(sd_record_keys *k); /* inactive: records pass in plaintext */
SD_MUST_CHECK bool sd_record_keys_set(sd_record_keys *k, const sd_suite *suite,
                                      const uint8_t *traffic_secret);
void sd_record_keys_clear(sd_record_keys *k);
/* Installs TLS 1.2 keys (crypto/tls12.h): key is suite->key_len bytes, iv
 * suite->fixed_iv_len bytes (NULL for CBC), mac_key suite->mac_key_len bytes
 * (NULL for AEAD suites); the sequence number starts at 0 (RFC 5246 §6.1).
 * sd_record_seal/sd_record_open then protect TLS 1.2 records:
 *  - the record header keeps the real content type;
 *  - AES-GCM (RFC 5288 §3): 8-byte explicit nonce = the sequence number,
 *    nonce = salt(4) || explicit(8), AD = seq_num(8) || type || version(2) ||
 *    plaintext length(2);
 *  - ChaCha20-Poly1305 (RFC 7905 §2): nonce = iv XOR seq, no explicit nonce,
 *    same AD;
 *  - AES-128-CBC-HMAC-SHA1 (RFC 5246 §6.2.3.2): MAC-then-encrypt with a
 *    16-byte explicit IV. The IV comes from RAND_bytes when cbc_random_iv,
 *    otherwise it is HMAC-SHA1(mac_key, "shakedown cbc iv" || seq)[0..15]:
 *    unpredictable without the key (so no BEAST), and deterministic, so a
 *    seeded model's output stays reproducible. Opening is BoringSSL's
 *    constant-time TLS CBC code (padding check and MAC over the maximum
 *    length, Lucky 13); every failure is bad_record_mac (never
 *    decryption_failed, §7.2.2).
 * For TLS 1.2 keys, sd_record_seal's `padding` must be 0 for AEAD suites;
 * for CBC it is extra padding beyond the minimum, a multiple of 16, with
 * the whole padding (length byte included) at most 256 bytes (§6.2.3.2).
 * sd_record_open sets *out_type to the header's type, and refuses a
 * fragment over 2^14 + 2048 or a plaintext over 2^14 with record_overflow
 * (§6.2.3, §6.2.1). */
SD_MUST_CHECK bool sd_record_keys_set_tls12(sd_record_keys *k, const struct sd_tls12_suite *s,
                                            const uint8_t *key, const uint8_t *iv, const uint8_t *mac_key,
                                            bool cbc_random_iv);
/* Encrypt-then-MAC (RFC 7366 §3) for TLS 1.2 AES-CBC keys just set: the
 * record is IV || ENC(content || padding || padding_length) || MAC, the
 * padding filling the blocks without a MAC inside, and
 *   MAC(MAC_write_key, seq_num + TLSCipherText.type +
 *       TLSCipherText.version + TLSCipherText.length + IV +
 *       ENC(content + padding + padding_length))
 * where the length is that of IV and ENC(...), without the MAC. Opening
 * checks the MAC over the ciphertext before decrypting; a wrong MAC, a
 * ciphertext that is not whole blocks, or a padding whose bytes are not its
 * length is bad_record_mac. False (nothing changed) to turn it on for keys
 * that are not AES-CBC; off is always accepted. */
SD_MUST_CHECK bool sd_record_keys_set_encrypt_then_mac(sd_record_keys *k, bool on);
/* Appends one TLSCiphertext record (header included) holding `content` of
 * inner type `content_type`, padded with `padding` zero bytes. */
SD_MUST_CHECK bool sd_record_seal(sd_record_keys *k, uint8_t content_type, sd_span content, size_t padding,
                                  sd_buf *out);
/* TLS 1.2 AES-CBC keys (RFC 5246 §6.2.3.2 GenericBlockCipher): whether k
 * are such keys; the fewest padding bytes (0-15, not counting the
 * padding_length byte) after content_len bytes of content and the MAC;
 * and a record sealed with the padding a mutator asks for: `count` bytes
 * of value `fill`, then padding_length `length_byte`, where the RFC has
 * every one of them equal to count ("Each uint8 in the padding data vector
 * MUST be filled with the padding length value"). Content, MAC, padding
 * and its length byte must fill whole blocks, and the padding with its
 * length byte be at most 256 bytes; else nothing is appended and false. */
bool sd_record_keys_cbc(const sd_record_keys *k);
/* The fewest padding bytes with the MAC inside the encryption (RFC 5246);
 * sd_record_cbc_padding_min_for the same for k, which under encrypt-then-MAC
 * has no MAC inside. */
size_t sd_record_cbc_padding_min(size_t content_len);
size_t sd_record_cbc_padding_min_for(const sd_record_keys *k, size_t content_len);
SD_MUST_CHECK bool sd_record_seal_cbc_padding(sd_record_keys *k, uint8_t content_type, sd_span content,
                                              size_t count, uint8_t fill, uint8_t length_byte, sd_buf *out);
/* Decrypts one record's fragment; header is its 5 bytes (AEAD additional
 * data). On success *out_type is the inner content type and out holds the
 * content. Returns false with *out_alert = bad_record_mac on a failed open
 * (§5.2), unexpected_message if the inner plaintext is all zeros (no type),
 * record_overflow if the plaintext exceeds 2^14 (§5.4). */
SD_MUST_CHECK bool sd_record_open(sd_record_keys *k, sd_span header, sd_span fragment, uint8_t *out_type,
                                  sd_buf *out, uint8_t *out_alert);

/* --- Key exchange (§4.2.8.1, §4.2.8.2, §7.4) ---------------------------- */
/* The longest private key kept (a P-521 scalar; an FFDHE exponent is 64
 * bytes), public value and shared secret (ffdhe8192's, the size of its
 * prime, RFC 8446 §4.2.8.1, §7.4.1). */
#define SD_MAX_KEY_SHARE_PRIVATE_LEN 66
#define SD_MAX_KEY_SHARE_LEN 1024
#define SD_MAX_SHARED_SECRET_LEN 1024
typedef struct {
    uint16_t group;
    uint8_t private_key[SD_MAX_KEY_SHARE_PRIVATE_LEN];
    size_t private_len;
    uint8_t public_key[SD_MAX_KEY_SHARE_LEN];
    size_t public_len;
} sd_key_share;

/* Every group the crypto layer makes key shares for, in a server's order
 * of preference (the model's when a server is set up to accept them all). */
extern const uint16_t sd_key_share_groups[];
extern const size_t sd_n_key_share_groups;
bool sd_group_supported(uint16_t group); /* one of sd_key_share_groups */
/* A finite-field group of RFC 7919 (ffdhe2048..ffdhe8192): a TLS 1.3 key
 * share, or TLS 1.2 DHE's (sd_dh_*); TLS 1.2's ECDHE takes the elliptic
 * curve groups alone (RFC 8422). */
bool sd_group_is_ffdhe(uint16_t group);
/* Generates a key pair from rng (so a seeded model is deterministic). */
SD_MUST_CHECK bool sd_key_share_generate(sd_key_share *ks, uint16_t group, sd_rng *rng);
/* Shared secret with the peer's public value, into out_secret, which holds
 * SD_MAX_SHARED_SECRET_LEN bytes. Fails with illegal_parameter for a value
 * of the wrong length or form, an off-curve point, an all-zero X25519 or
 * X448 result (§7.4.2), or an FFDHE value outside 1 < Y < p-1 (§4.2.8.1). */
SD_MUST_CHECK bool sd_key_share_derive(const sd_key_share *ks, sd_span peer_public, uint8_t *out_secret,
                                       size_t *out_len, uint8_t *out_alert);

/* TLS 1.2 finite-field DHE (RFC 5246 §7.4.3, §7.4.7.2, §8.1.2) over the
 * explicit dh_p and dh_g a ServerKeyExchange carries. Parameters are
 * big-endian integers; leading zero bytes are ignored. */
#define SD_MAX_DH_PRIME_LEN 1024
/* An RFC 7919 group's prime, big-endian, into out (out_len bytes at least
 * the prime's): its length, or 0 for a group that is not one. The
 * generator of all five is 2 (RFC 7919 Appendix A). */
size_t sd_ffdhe_prime(uint16_t group, uint8_t *out, size_t out_len);
/* The RFC 7919 group whose prime and generator p and g are, or 0. */
uint16_t sd_ffdhe_group_of(sd_span p, sd_span g);
/* A key pair in the group (p, g): a 512-bit exponent from rng, the public
 * value padded to the size of p. ks->group is `group`, for the caller (0
 * for a group that RFC 7919 does not name). False for a p longer than
 * SD_MAX_DH_PRIME_LEN or zero. */
SD_MUST_CHECK bool sd_dh_generate(sd_key_share *ks, uint16_t group, sd_span p, sd_span g, sd_rng *rng);
/* The premaster secret with the peer's public value: Z = peer^x mod p
 * with its leading zero bytes stripped (RFC 5246 §8.1.2), into out
 * (SD_MAX_SHARED_SECRET_LEN bytes). A peer value outside 1 < Y < p-1 fails
 * with handshake_failure (RFC 7919 §3, §4). */
SD_MUST_CHECK bool sd_dh_premaster(const sd_key_share *ks, sd_span p, sd_span peer, uint8_t *out,
                                   size_t *out_len, uint8_t *out_alert);
/* §8.1.2's stripping alone, in place: the length left. */
size_t sd_dh_strip_premaster(uint8_t *z, size_t len);

/* --- Signatures (§4.4.3) -------------------------------------------------- */
/* Builds the content covered by CertificateVerify: 64 spaces, the context
 * string, a zero byte, and the transcript hash. */
void sd_certificate_verify_input(bool server, const uint8_t *transcript_hash, size_t hash_len, sd_buf *out);
/* True if `scheme` is usable with `key` in TLS 1.3 (e.g. ecdsa_secp256r1_sha256
 * needs a P-256 key; RSA needs PSS; PKCS#1 and SHA-1 are refused). */
SD_MUST_CHECK bool sd_signature_scheme_matches_key(uint16_t scheme, const EVP_PKEY *key);
SD_MUST_CHECK bool sd_sign(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature);
bool sd_verify(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature);

/* Steady ECDSA signatures: the DER of (r, s) is 70 to 72 bytes for P-256
 * from one signing to the next, but a mutation at a fixed offset (the
 * driver's flip=, truncate=) must hit the same field in the run against
 * the model and in the run against BoringSSL, or the differential oracle
 * compares a forged signature with an honest one. So the driver's ECDSA
 * signatures have one length per key: the commonest. For P-256 and P-384
 * (an order of whole bytes) one of r and s needs a leading zero byte and
 * the other not, one under the maximum; for P-521 (one bit in the order's
 * top byte) one of them is a byte shorter than the order and the other
 * not. 0 for other key types, which sign to a fixed length already. */
size_t sd_ecdsa_steady_signature_len(const EVP_PKEY *key);
/* Like sd_sign, but an ECDSA signature is sd_ecdsa_steady_signature_len
 * long (the driver's). */
SD_MUST_CHECK bool sd_sign_steady(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature);
/* Rewrites the DER ECDSA signature (r, s) made with key as (r, n - s),
 * which verifies as well (what the nonce n - k would have made); its length
 * differs when exactly one of s and n - s needs a leading zero byte. False
 * (signature unchanged) if key is not an EC key or signature does not
 * parse. */
bool sd_ecdsa_signature_other_form(const EVP_PKEY *key, sd_buf *signature);

/* --- Memo of public-key results (memo.c) ---------------------------------
 * Signatures with our keys and the verifications that succeeded, key
 * shares from the seeded generator and their shared secrets, RSA
 * premaster encryption and the raw RSA decryption are remembered per
 * process, keyed by every input byte for byte, so the model run of each
 * fuzz execution (seeded: the same inputs every time) does not redo them.
 * On by default; switching it either way empties it. */
void sd_crypto_memo_set_enabled(bool enabled);
void sd_crypto_memo_clear(void);
size_t sd_crypto_memo_hits(void); /* lookups answered so far, for tests */

#endif
