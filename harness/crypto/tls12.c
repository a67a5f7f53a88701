/* tls12.c — see tls12.h. */
#include "crypto/tls12.h"

#include <string.h>

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rsa.h>

#include "crypto/memo.h"
#include "wire/names.h"
#include "wire/tls12.h"

/* --- Suites ------------------------------------------------------------------- */

/* RFC 5288 §3 (GCM: 4-byte salt), RFC 5289 §3.2 ("TLS_ECDHE_..._AES_256_GCM_SHA384
 * ... PRF is the TLS PRF with SHA-384"), RFC 7905 §2 (ChaCha20-Poly1305:
 * 12-byte fixed IV, SHA-256), RFC 5246 §A.5/§C (AES_128_CBC_SHA: 16-byte
 * key, 20-byte MAC key, SHA-256 PRF as every TLS 1.2 suite unless stated). */
static const sd_tls12_suite kSuites[] = {
    {SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SD_KX_ECDHE_ECDSA,
     SD_BULK_AES_128_GCM, EVP_sha256, 16, 4, 0},
    {SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", SD_KX_ECDHE_RSA,
     SD_BULK_AES_128_GCM, EVP_sha256, 16, 4, 0},
    {SD_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", SD_KX_ECDHE_ECDSA,
     SD_BULK_AES_256_GCM, EVP_sha384, 32, 4, 0},
    {SD_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", SD_KX_ECDHE_RSA,
     SD_BULK_AES_256_GCM, EVP_sha384, 32, 4, 0},
    {SD_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
     SD_KX_ECDHE_ECDSA, SD_BULK_CHACHA20_POLY1305, EVP_sha256, 32, 12, 0},
    {SD_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
     SD_KX_ECDHE_RSA, SD_BULK_CHACHA20_POLY1305, EVP_sha256, 32, 12, 0},
    {SD_TLS_RSA_WITH_AES_128_GCM_SHA256, "TLS_RSA_WITH_AES_128_GCM_SHA256", SD_KX_RSA, SD_BULK_AES_128_GCM,
     EVP_sha256, 16, 4, 0},
    {SD_TLS_RSA_WITH_AES_256_GCM_SHA384, "TLS_RSA_WITH_AES_256_GCM_SHA384", SD_KX_RSA, SD_BULK_AES_256_GCM,
     EVP_sha384, 32, 4, 0},
    {SD_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", SD_KX_ECDHE_ECDSA,
     SD_BULK_AES_128_CBC_SHA, EVP_sha256, 16, 0, 20},
    {SD_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", SD_KX_ECDHE_RSA,
     SD_BULK_AES_128_CBC_SHA, EVP_sha256, 16, 0, 20},
    {SD_TLS_RSA_WITH_AES_128_CBC_SHA, "TLS_RSA_WITH_AES_128_CBC_SHA", SD_KX_RSA, SD_BULK_AES_128_CBC_SHA,
     EVP_sha256, 16, 0, 20},
    /* RFC 5246 §A.5 (DHE_RSA_WITH_AES_128_CBC_SHA), RFC 5288 §3 (the GCM
     * ones, SHA-384 PRF for AES-256), RFC 7905 §2 (ChaCha20-Poly1305). */
    {SD_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", SD_KX_DHE_RSA,
     SD_BULK_AES_128_GCM, EVP_sha256, 16, 4, 0},
    {SD_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", SD_KX_DHE_RSA,
     SD_BULK_AES_256_GCM, EVP_sha384, 32, 4, 0},
    {SD_TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", SD_KX_DHE_RSA,
     SD_BULK_CHACHA20_POLY1305, EVP_sha256, 32, 12, 0},
    {SD_TLS_DHE_RSA_WITH_AES_128_CBC_SHA, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", SD_KX_DHE_RSA,
     SD_BULK_AES_128_CBC_SHA, EVP_sha256, 16, 0, 20},
};

const uint16_t sd_tls12_default_suites[] = {
    SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    SD_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    SD_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    SD_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    SD_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    SD_TLS_RSA_WITH_AES_128_GCM_SHA256,
    SD_TLS_RSA_WITH_AES_256_GCM_SHA384,
    SD_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    SD_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    SD_TLS_RSA_WITH_AES_128_CBC_SHA,
};
const size_t sd_tls12_n_default_suites = sizeof(sd_tls12_default_suites) / sizeof(sd_tls12_default_suites[0]);

const sd_tls12_suite *sd_tls12_suite_find(uint16_t id) {
    for (size_t i = 0; i < sizeof(kSuites) / sizeof(kSuites[0]); i++) {
        if (kSuites[i].id == id) return &kSuites[i];
    }
    return NULL;
}

/* --- PRF (RFC 5246 §5) ---------------------------------------------------------- */

/* "P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
 *                         HMAC_hash(secret, A(2) + seed) + ...
 *  A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))"
 * "PRF(secret, label, seed) = P_<hash>(secret, label + seed)" */
bool sd_tls12_prf(const EVP_MD *md, const uint8_t *secret, size_t secret_len, const char *label,
                  const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len) {
    static const uint8_t empty[1] = {0};
    if (md == NULL || label == NULL || (out_len > 0 && out == NULL) || (secret_len > 0 && secret == NULL) ||
        (seed_len > 0 && seed == NULL)) {
        return false;
    }
    if (secret == NULL) secret = empty;
    size_t label_len = strlen(label);
    size_t hash_len = EVP_MD_size(md);
    uint8_t a[EVP_MAX_MD_SIZE], block[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    bool ok = false;
    HMAC_CTX ctx;
    HMAC_CTX_init(&ctx);
    /* A(1) = HMAC(secret, label + seed) */
    if (!HMAC_Init_ex(&ctx, secret, secret_len, md, NULL) ||
        !HMAC_Update(&ctx, (const uint8_t *)label, label_len) ||
        (seed_len > 0 && !HMAC_Update(&ctx, seed, seed_len)) || !HMAC_Final(&ctx, a, &n) || n != hash_len) {
        goto out;
    }
    size_t done = 0;
    while (done < out_len) {
        /* HMAC(secret, A(i) + label + seed) */
        if (!HMAC_Init_ex(&ctx, NULL, 0, NULL, NULL) || !HMAC_Update(&ctx, a, hash_len) ||
            !HMAC_Update(&ctx, (const uint8_t *)label, label_len) ||
            (seed_len > 0 && !HMAC_Update(&ctx, seed, seed_len)) || !HMAC_Final(&ctx, block, &n)) {
            goto out;
        }
        size_t take = out_len - done < hash_len ? out_len - done : hash_len;
        memcpy(out + done, block, take);
        done += take;
        if (done < out_len) {
            /* A(i+1) = HMAC(secret, A(i)) */
            if (!HMAC_Init_ex(&ctx, NULL, 0, NULL, NULL) || !HMAC_Update(&ctx, a, hash_len) ||
                !HMAC_Final(&ctx, a, &n)) {
                goto out;
            }
        }
    }
    ok = true;
out:
    HMAC_CTX_cleanup(&ctx);
    OPENSSL_cleanse(a, sizeof(a));
    OPENSSL_cleanse(block, sizeof(block));
    if (!ok) {
        if (out_len > 0) OPENSSL_cleanse(out, out_len);
        ERR_clear_error();
    }
    return ok;
}

/* --- Master secret, Finished, key block -------------------------------------------- */

bool sd_tls12_master_secret(const sd_tls12_suite *s, const uint8_t *pms, size_t pms_len,
                            const uint8_t *client_random, const uint8_t *server_random,
                            const uint8_t *session_hash, size_t session_hash_len, uint8_t out[48]) {
    if (s == NULL) return false;
    if (session_hash != NULL) {
        /* RFC 7627 §4: "master_secret = PRF(pre_master_secret, "extended master secret",
         *                                  session_hash)[0..47];" */
        return sd_tls12_prf(s->prf_md(), pms, pms_len, "extended master secret", session_hash,
                            session_hash_len, out, 48);
    }
    if (client_random == NULL || server_random == NULL) return false;
    /* §8.1: "master_secret = PRF(pre_master_secret, "master secret",
     *                           ClientHello.random + ServerHello.random)[0..47];" */
    uint8_t seed[64];
    memcpy(seed, client_random, 32);
    memcpy(seed + 32, server_random, 32);
    return sd_tls12_prf(s->prf_md(), pms, pms_len, "master secret", seed, sizeof(seed), out, 48);
}

bool sd_tls12_finished(const sd_tls12_suite *s, const uint8_t master[48], bool client,
                       const uint8_t *handshake_hash, uint8_t out[12]) {
    if (s == NULL || master == NULL || handshake_hash == NULL) return false;
    /* §7.4.9: "verify_data = PRF(master_secret, finished_label,
     * Hash(handshake_messages))[0..verify_data_length-1];" with
     * verify_data_length 12 for every suite here, and "the Hash MUST be the
     * Hash used as the basis for the PRF". */
    const EVP_MD *md = s->prf_md();
    return sd_tls12_prf(md, master, 48, client ? "client finished" : "server finished", handshake_hash,
                        EVP_MD_size(md), out, 12);
}

size_t sd_tls12_key_block_len(const sd_tls12_suite *s) {
    return s == NULL ? 0 : 2 * (s->mac_key_len + s->key_len + s->fixed_iv_len);
}

bool sd_tls12_derive_keys(const sd_tls12_suite *s, const uint8_t master[48], const uint8_t *client_random,
                          const uint8_t *server_random, sd_tls12_key_block *out) {
    return master != NULL && sd_tls12_derive_keys_from(s, master, 48, client_random, server_random, out);
}

bool sd_tls12_derive_keys_from(const sd_tls12_suite *s, const uint8_t *master, size_t master_len,
                               const uint8_t *client_random, const uint8_t *server_random,
                               sd_tls12_key_block *out) {
    if (s == NULL || (master == NULL && master_len) || client_random == NULL || server_random == NULL ||
        out == NULL || s->mac_key_len > sizeof(out->client_mac) || s->key_len > sizeof(out->client_key) ||
        s->fixed_iv_len > sizeof(out->client_iv)) {
        return false;
    }
    /* §6.3: "key_block = PRF(SecurityParameters.master_secret, "key expansion",
     *        SecurityParameters.server_random + SecurityParameters.client_random);"
     * (note the order of the randoms: server first). */
    uint8_t seed[64];
    memcpy(seed, server_random, 32);
    memcpy(seed + 32, client_random, 32);
    uint8_t block[2 * (20 + 32 + 12)];
    size_t len = sd_tls12_key_block_len(s);
    memset(out, 0, sizeof(*out));
    if (!sd_tls12_prf(s->prf_md(), master, master_len, "key expansion", seed, sizeof(seed), block, len))
        return false;
    const uint8_t *p = block;
    /* "client_write_MAC_key[mac_key_length] server_write_MAC_key[...]
     *  client_write_key[enc_key_length] server_write_key[...]
     *  client_write_IV[fixed_iv_length] server_write_IV[...]" */
    memcpy(out->client_mac, p, s->mac_key_len), p += s->mac_key_len;
    memcpy(out->server_mac, p, s->mac_key_len), p += s->mac_key_len;
    memcpy(out->client_key, p, s->key_len), p += s->key_len;
    memcpy(out->server_key, p, s->key_len), p += s->key_len;
    memcpy(out->client_iv, p, s->fixed_iv_len), p += s->fixed_iv_len;
    memcpy(out->server_iv, p, s->fixed_iv_len);
    OPENSSL_cleanse(block, sizeof(block));
    return true;
}

bool sd_tls12_derive_session_keys(const sd_tls12_suite *s, const uint8_t *pms, size_t pms_len,
                                  const uint8_t *client_random, const uint8_t *server_random, bool ems,
                                  const sd_transcript *transcript, uint8_t master[48],
                                  sd_tls12_key_block *keys) {
    if (s == NULL || transcript == NULL) return false;
    /* RFC 7627 §3: "session_hash = Hash(handshake_messages)", the messages
     * "up to and including the ClientKeyExchange", with the PRF's hash. */
    uint8_t session_hash[SD_MAX_HASH_LEN];
    if (ems && !sd_transcript_hash(transcript, s->prf_md(), session_hash)) return false;
    bool ok = sd_tls12_master_secret(s, pms, pms_len, client_random, server_random, ems ? session_hash : NULL,
                                     ems ? (size_t)EVP_MD_size(s->prf_md()) : 0, master) &&
              sd_tls12_derive_keys(s, master, client_random, server_random, keys);
    OPENSSL_cleanse(session_hash, sizeof session_hash);
    return ok;
}

bool sd_tls12_install_keys(sd_record_keys *k, const sd_tls12_suite *s, const sd_tls12_key_block *kb,
                           bool client_side) {
    if (kb == NULL) return false;
    return sd_record_keys_set_tls12(k, s, client_side ? kb->client_key : kb->server_key,
                                    client_side ? kb->client_iv : kb->server_iv,
                                    client_side ? kb->client_mac : kb->server_mac, false);
}

bool sd_tls12_key_fits_suite(const sd_tls12_suite *s, const EVP_PKEY *key) {
    if (s == NULL || key == NULL) return false;
    int type = EVP_PKEY_id(key);
    return s->kx == SD_KX_ECDHE_ECDSA ? type == EVP_PKEY_EC || type == EVP_PKEY_ED25519
                                      : type == EVP_PKEY_RSA;
}

/* --- Static RSA (§7.4.7.1) -------------------------------------------------------- */

bool sd_tls12_rsa_encrypt_pms(EVP_PKEY *server_key, const uint8_t pms[48], sd_buf *out_encrypted) {
    RSA *rsa =
        server_key != NULL && EVP_PKEY_id(server_key) == EVP_PKEY_RSA ? EVP_PKEY_get0_RSA(server_key) : NULL;
    if (rsa == NULL || pms == NULL) return false;
    size_t max = RSA_size(rsa), len = 0;
    size_t start = out_encrypted->len;
    /* The same premaster secret to the same key (a seeded run) gets the
     * ciphertext it got before: PKCS#1 v1.5 padding is random bytes, and
     * an earlier draw of them is as good as a new one (memo.c). */
    sd_memo_ticket ticket;
    if (sd_memo_find(SD_MEMO_RSA_ENCRYPT, SD_MEMO_KEY_PUBLIC, server_key, sd_span_of(pms, 48), out_encrypted,
                     &ticket))
        return true;
    out_encrypted->len = start; /* a failed append may have left part of it */
    if (!sd_buf_reserve(out_encrypted, max)) return false;
    /* "RSA-encrypted premaster secret message ... encrypted using the public
     * key from the server's certificate" with RSAES-PKCS1-v1_5 (§7.4.7.1). */
    if (!RSA_encrypt(rsa, &len, out_encrypted->data + start, max, pms, 48, RSA_PKCS1_PADDING)) {
        ERR_clear_error();
        return false;
    }
    out_encrypted->len = start + len;
    if (out_encrypted->failed) return false;
    sd_memo_put(&ticket, server_key, sd_span_of(out_encrypted->data + start, len));
    return true;
}

/* Constant-time helpers: all-ones or all-zeros masks, no branches on data. */
static inline unsigned ct_msb(unsigned x) { return 0u - (x >> (sizeof(x) * 8 - 1)); }
static inline unsigned ct_is_zero(unsigned x) { return ct_msb(~x & (x - 1)); }
static inline unsigned ct_eq(unsigned a, unsigned b) { return ct_is_zero(a ^ b); }
/* a < b for values below 2^31 */
static inline unsigned ct_lt(unsigned a, unsigned b) { return ct_msb(a - b); }

bool sd_tls12_rsa_decrypt_pms(EVP_PKEY *server_key, sd_span encrypted, uint16_t client_version,
                              const uint8_t random_pms[48], uint8_t out_pms[48]) {
    RSA *rsa =
        server_key != NULL && EVP_PKEY_id(server_key) == EVP_PKEY_RSA ? EVP_PKEY_get0_RSA(server_key) : NULL;
    if (rsa == NULL || random_pms == NULL || out_pms == NULL) return false;
    size_t k = RSA_size(rsa);
    if (k < 48 + 11) return false; /* no room for a PKCS#1 v1.5 block holding 48 bytes */
    uint8_t *em = OPENSSL_malloc(k);
    if (em == NULL) return false;
    /* §7.4.7.1: "a TLS server MUST NOT generate an alert if processing an
     * RSA-encrypted premaster secret message fails, or the version number is
     * not as expected. Instead, it MUST continue the handshake with a
     * randomly generated premaster secret." The raw RSA operation (no
     * padding) leaves the PKCS#1 check to the constant-time code below; its
     * own failures (a ciphertext of the wrong length or >= n) depend only on
     * public data. */
    size_t em_len = 0;
    unsigned good = ~0u;
    /* The raw RSA result is a function of the key and the ciphertext
     * alone; a ciphertext seen before (a seeded peer's, memo.c) gets the
     * result it got then. The checks below run on it either way. */
    sd_buf remembered;
    sd_buf_init(&remembered);
    sd_memo_ticket ticket = {0};
    if (encrypted.len != 0 && encrypted.data != NULL &&
        sd_memo_find(SD_MEMO_RSA_DECRYPT, SD_MEMO_KEY_SAME, server_key, encrypted, &remembered, &ticket) &&
        remembered.len == k) {
        memcpy(em, remembered.data, k);
        em_len = k;
    } else if (encrypted.len == 0 || encrypted.data == NULL ||
               !RSA_decrypt(rsa, &em_len, em, k, encrypted.data, encrypted.len, RSA_NO_PADDING) ||
               em_len != k) {
        ERR_clear_error();
        memset(em, 0, k);
        good = 0;
    } else {
        sd_memo_put(&ticket, server_key, sd_span_of(em, k));
    }
    if (remembered.data) OPENSSL_cleanse(remembered.data, remembered.len);
    sd_buf_free(&remembered);
    /* RFC 8017 §7.2.2 EME-PKCS1-v1_5: EM = 0x00 || 0x02 || PS || 0x00 || M,
     * PS at least 8 non-zero bytes; here M must be the 48-byte PMS, so the
     * separator must be exactly at k - 49 and PS fills em[2 .. k-50]. */
    good &= ct_eq(em[0], 0);
    good &= ct_eq(em[1], 2);
    unsigned ps_ok = ~0u;
    for (size_t i = 2; i < k - 49; i++) ps_ok &= ~ct_is_zero(em[i]);
    good &= ps_ok;
    good &= ct_eq(em[k - 49], 0);
    /* k - 49 - 2 >= 8 holds since k >= 59; kept as an explicit check. */
    good &= ~ct_lt((unsigned)(k - 51), 8);
    /* §7.4.7.1: "client_version: The latest (newest) version supported by
     * the client ... used to detect version rollback attacks", and the
     * server's check compares it with ClientHello.client_version. */
    const uint8_t *m = em + k - 48;
    good &= ct_eq(m[0], (unsigned)(client_version >> 8));
    good &= ct_eq(m[1], (unsigned)(client_version & 0xff));
    for (size_t i = 0; i < 48; i++) {
        out_pms[i] = (uint8_t)((m[i] & good) | (random_pms[i] & ~good));
    }
    OPENSSL_cleanse(em, k);
    OPENSSL_free(em);
    return true;
}

/* --- ServerKeyExchange content and signatures ---------------------------------------- */

void sd_tls12_ske_signed_content(const uint8_t *client_random, const uint8_t *server_random, sd_span params,
                                 sd_buf *out) {
    /* §7.4.3: "digitally-signed struct { opaque client_random[32];
     * opaque server_random[32]; ServerDHParams params; } signed_params;"
     * (RFC 8422 §5.4: ServerECDHParams in its place). */
    sd_buf_append(out, client_random, 32);
    sd_buf_append(out, server_random, 32);
    sd_buf_append_span(out, params);
}

typedef enum { K_RSA_PKCS1, K_RSA_PSS, K_ECDSA, K_ED25519 } kind;
typedef struct {
    uint16_t scheme;
    kind k;
    const EVP_MD *(*md)(void);
} scheme12;

/* §7.4.1.4.1 SignatureAndHashAlgorithm pairs as RFC 8446 §4.2.3 renamed
 * them, plus RSA-PSS rsae (RFC 8446 §4.2.3 makes them usable in TLS 1.2)
 * and Ed25519 (RFC 8422 §5.1.3). Absent: MD5 and SHA-224 pairs, DSA,
 * rsa_pss_pss_* (BoringSSL does not load id-RSASSA-PSS keys). */
static const scheme12 kSchemes12[] = {
    {SD_rsa_pkcs1_sha1, K_RSA_PKCS1, EVP_sha1},
    {SD_rsa_pkcs1_sha256, K_RSA_PKCS1, EVP_sha256},
    {SD_rsa_pkcs1_sha384, K_RSA_PKCS1, EVP_sha384},
    {SD_rsa_pkcs1_sha512, K_RSA_PKCS1, EVP_sha512},
    {SD_ecdsa_sha1, K_ECDSA, EVP_sha1},
    /* In TLS 1.2 "ecdsa_secp256r1_sha256" is (sha256, ecdsa): any curve. */
    {SD_ecdsa_secp256r1_sha256, K_ECDSA, EVP_sha256},
    {SD_ecdsa_secp384r1_sha384, K_ECDSA, EVP_sha384},
    {SD_ecdsa_secp521r1_sha512, K_ECDSA, EVP_sha512},
    {SD_rsa_pss_rsae_sha256, K_RSA_PSS, EVP_sha256},
    {SD_rsa_pss_rsae_sha384, K_RSA_PSS, EVP_sha384},
    {SD_rsa_pss_rsae_sha512, K_RSA_PSS, EVP_sha512},
    {SD_ed25519, K_ED25519, NULL},
};

static const scheme12 *find12(uint16_t scheme) {
    for (size_t i = 0; i < sizeof(kSchemes12) / sizeof(kSchemes12[0]); i++) {
        if (kSchemes12[i].scheme == scheme) return &kSchemes12[i];
    }
    return NULL;
}

static bool matches12(const scheme12 *info, const EVP_PKEY *key) {
    if (info == NULL || key == NULL) return false;
    switch (info->k) {
    case K_RSA_PKCS1:
        /* EMSA-PKCS1-v1_5 needs emLen >= tLen + 11 (RFC 8017 §9.2); the
         * DigestInfo of SHA-512 is 83 bytes. */
        return EVP_PKEY_id(key) == EVP_PKEY_RSA &&
               (size_t)EVP_PKEY_size(key) >= 19 + EVP_MD_size(info->md()) + 11;
    case K_RSA_PSS:
        return EVP_PKEY_id(key) == EVP_PKEY_RSA &&
               (size_t)EVP_PKEY_size(key) >= 2 * EVP_MD_size(info->md()) + 2;
    case K_ECDSA:
        return EVP_PKEY_id(key) == EVP_PKEY_EC;
    case K_ED25519:
        return EVP_PKEY_id(key) == EVP_PKEY_ED25519;
    }
    return false;
}

bool sd_tls12_signature_scheme_matches_key(uint16_t scheme, const EVP_PKEY *key) {
    return matches12(find12(scheme), key);
}

static bool init12(EVP_MD_CTX *ctx, const scheme12 *info, EVP_PKEY *key, bool sign) {
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = info->md != NULL ? info->md() : NULL;
    int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, key)
                  : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key);
    if (ok != 1) return false;
    if (info->k == K_RSA_PSS) {
        /* RFC 8446 §4.2.3: salt length = digest length. */
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, -1) == 1;
    }
    if (info->k == K_RSA_PKCS1) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    return true;
}

/* One signing, as libcrypto makes it (ECDSA and RSA-PSS are randomised). */
static bool sign12_once(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature) {
    static const uint8_t empty[1] = {0};
    const scheme12 *info = find12(scheme);
    if (!matches12(info, key)) return false;
    const uint8_t *msg = message.data != NULL ? message.data : empty;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = false;
    size_t sig_len = 0, start = out_signature->len;
    if (ctx == NULL || !init12(ctx, info, key, true) ||
        EVP_DigestSign(ctx, NULL, &sig_len, msg, message.len) != 1 ||
        !sd_buf_reserve(out_signature, sig_len) ||
        EVP_DigestSign(ctx, out_signature->data + start, &sig_len, msg, message.len) != 1) {
        goto out;
    }
    out_signature->len = start + sig_len;
    ok = !out_signature->failed;
out:
    EVP_MD_CTX_free(ctx);
    if (!ok) ERR_clear_error();
    return ok;
}

bool sd_tls12_sign(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature) {
    return sd_memo_sign(sign12_once, 12, key, scheme, message, false, out_signature);
}

bool sd_tls12_sign_steady(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature) {
    return sd_memo_sign(sign12_once, 12, key, scheme, message, true, out_signature);
}

/* One verification by libcrypto. */
static bool verify12_once(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature) {
    static const uint8_t empty[1] = {0};
    const scheme12 *info = find12(scheme);
    if (!matches12(info, key)) return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && init12(ctx, info, key, false) &&
              EVP_DigestVerify(ctx, signature.data != NULL ? signature.data : empty, signature.len,
                               message.data != NULL ? message.data : empty, message.len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error(); /* a failed verification is an outcome, not a fault */
    return ok;
}

bool sd_tls12_verify(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature) {
    return sd_memo_verify(verify12_once, 12, key, scheme, message, signature);
}

void sd_tls12_build_certificate(sd_buf *out, const sd_credential *cred) {
    if (!cred) {
        /* §7.4.6: a client without a certificate sends an empty list. */
        sd_build_tls12_certificate_chain(out, NULL, NULL, 0);
        return;
    }
    sd_build_tls12_certificate_chain(out, (const uint8_t *const *)cred->chain_der, cred->chain_der_len,
                                     cred->chain_len);
}
