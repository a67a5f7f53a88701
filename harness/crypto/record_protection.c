/* record_protection.c — TLS 1.3 record protection (RFC 8446 §5.2, §5.3, §5.4),
 * and TLS 1.2's (RFC 5246 §6.2.3) for keys set by sd_record_keys_set_tls12
 * (see the end of this file).
 *
 *   struct {
 *       opaque content[TLSPlaintext.length];
 *       ContentType type;
 *       uint8 zeros[length_of_padding];
 *   } TLSInnerPlaintext;
 *
 *   struct {
 *       ContentType opaque_type = application_data; // 23
 *       ProtocolVersion legacy_record_version = 0x0303; // TLS v1.2
 *       uint16 length;
 *       opaque encrypted_record[TLSCiphertext.length];
 *   } TLSCiphertext;
 */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/aes.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include "crypto/tls12.h"
#include "wire/names.h"

#define SD_RECORD_HEADER_LEN 5
/* §5.1: "The length MUST NOT exceed 2^14 bytes." (TLSPlaintext) */
#define SD_MAX_PLAINTEXT 16384u
/* §5.2: "The length [of TLSCiphertext] MUST NOT exceed 2^14 + 256 bytes." */
#define SD_MAX_CIPHERTEXT (16384u + 256u)

void sd_record_keys_init(sd_record_keys *k) {
    memset(k, 0, sizeof(*k));
    EVP_AEAD_CTX_zero(&k->aead);
    k->active = false;
}

void sd_record_keys_clear(sd_record_keys *k) {
    if (k->active) {
        EVP_AEAD_CTX_cleanup(&k->aead);
    }
    OPENSSL_cleanse(k, sizeof(*k));
    EVP_AEAD_CTX_zero(&k->aead);
    k->active = false;
}

/* §7.3 keys from the traffic secret; §5.3: "Each sequence number is set to
 * zero at the beginning of a connection and whenever the key is changed". */
bool sd_record_keys_set(sd_record_keys *k, const sd_suite *suite, const uint8_t *traffic_secret) {
    uint8_t key[SD_MAX_KEY_LEN];
    sd_record_keys_clear(k);
    if (suite == NULL || traffic_secret == NULL || !sd_traffic_keys(suite, traffic_secret, key, k->iv)) {
        sd_record_keys_clear(k);
        return false;
    }
    int ok =
        EVP_AEAD_CTX_init(&k->aead, suite->aead(), key, suite->key_len, EVP_AEAD_DEFAULT_TAG_LENGTH, NULL);
    OPENSSL_cleanse(key, sizeof(key));
    if (ok != 1) {
        sd_record_keys_clear(k);
        return false;
    }
    k->suite = suite;
    k->seq = 0;
    k->active = true;
    return true;
}

/* §5.3: "1. The 64-bit record sequence number is encoded in network byte
 * order and padded to the left with zeros to iv_length. 2. The padded
 * sequence number is XORed with either the static client_write_iv or
 * server_write_iv (depending on the role)." */
static void record_nonce(const sd_record_keys *k, uint8_t nonce[SD_IV_LEN]) {
    memcpy(nonce, k->iv, SD_IV_LEN);
    for (size_t i = 0; i < 8; i++) {
        nonce[SD_IV_LEN - 1 - i] ^= (uint8_t)(k->seq >> (8 * i));
    }
}

static void write_header(uint8_t header[SD_RECORD_HEADER_LEN], uint8_t type, size_t length) {
    header[0] = type;
    header[1] = 0x03; /* legacy_record_version 0x0303 (§5.1, §5.2) */
    header[2] = 0x03;
    header[3] = (uint8_t)(length >> 8);
    header[4] = (uint8_t)length;
}

static bool tls12_seal(sd_record_keys *k, uint8_t content_type, sd_span content, size_t padding, sd_buf *out);
static bool tls12_open(sd_record_keys *k, sd_span header, sd_span fragment, uint8_t *out_type, sd_buf *out,
                       uint8_t *out_alert);

bool sd_record_seal(sd_record_keys *k, uint8_t content_type, sd_span content, size_t padding, sd_buf *out) {
    uint8_t header[SD_RECORD_HEADER_LEN];
    if (content.len > 0 && content.data == NULL) {
        return false;
    }
    if (k->active && k->tls12) {
        return tls12_seal(k, content_type, content, padding, out);
    }
    if (!k->active) {
        /* Before keys are set, a TLSPlaintext record: it has no room for
         * padding (§5.4 pads only TLSInnerPlaintext). */
        if (padding != 0 || content.len > 0xffff) {
            return false;
        }
        write_header(header, content_type, content.len);
        sd_buf_append(out, header, sizeof(header));
        sd_buf_append_span(out, content);
        return !out->failed;
    }
    /* §5.3: "If a TLS implementation would need to wrap a sequence number,
     * it MUST either rekey or terminate the connection." */
    if (k->seq == UINT64_MAX) {
        return false;
    }
    size_t overhead = EVP_AEAD_max_overhead(EVP_AEAD_CTX_aead(&k->aead));
    /* Lengths beyond the §5.2 limits are allowed (mutators write them); only
     * what the 16-bit length field cannot express is refused. */
    if (content.len > 0xffff || padding > 0xffff) {
        return false;
    }
    size_t inner_len = content.len + 1 + padding;
    size_t record_len = inner_len + overhead;
    if (record_len > 0xffff) {
        return false;
    }
    /* §5.2: "The length (in bytes) of the following TLSCiphertext.encrypted_record,
     * which is the sum of the lengths of the content and the padding, plus
     * one for the inner content type, plus any expansion added by the AEAD
     * algorithm." The header is the AEAD's additional data:
     * "additional_data = TLSCiphertext.opaque_type || .legacy_record_version || .length" */
    write_header(header, SD_application_data, record_len);

    size_t start = out->len;
    if (!sd_buf_reserve(out, SD_RECORD_HEADER_LEN + record_len)) {
        return false;
    }
    uint8_t *rec = out->data + start;
    memcpy(rec, header, SD_RECORD_HEADER_LEN);
    uint8_t *inner = rec + SD_RECORD_HEADER_LEN;
    if (content.len > 0) {
        memcpy(inner, content.data, content.len);
    }
    inner[content.len] = content_type;
    memset(inner + content.len + 1, 0, padding);

    uint8_t nonce[SD_IV_LEN];
    record_nonce(k, nonce);
    size_t sealed_len = 0;
    /* In place: BoringSSL allows |in| and |out| to alias exactly. */
    int ok = EVP_AEAD_CTX_seal(&k->aead, inner, &sealed_len, record_len, nonce, sizeof(nonce), inner,
                               inner_len, header, sizeof(header));
    if (ok != 1 || sealed_len != record_len) {
        OPENSSL_cleanse(rec, SD_RECORD_HEADER_LEN + record_len);
        return false;
    }
    out->len = start + SD_RECORD_HEADER_LEN + record_len;
    k->seq++;
    return !out->failed;
}

bool sd_record_open(sd_record_keys *k, sd_span header, sd_span fragment, uint8_t *out_type, sd_buf *out,
                    uint8_t *out_alert) {
    *out_alert = SD_internal_error;
    if (header.len != SD_RECORD_HEADER_LEN || header.data == NULL ||
        (fragment.len > 0 && fragment.data == NULL)) {
        *out_alert = SD_decode_error;
        return false;
    }
    if (!k->active) {
        /* TLSPlaintext: the fragment is the content. §5.1: "The length MUST
         * NOT exceed 2^14 bytes. An endpoint that receives a record that
         * exceeds this length MUST terminate the connection with a
         * "record_overflow" alert." */
        if (fragment.len > SD_MAX_PLAINTEXT) {
            *out_alert = SD_record_overflow;
            return false;
        }
        *out_type = header.data[0];
        sd_buf_append_span(out, fragment);
        return !out->failed;
    }
    if (k->tls12) {
        return tls12_open(k, header, fragment, out_type, out, out_alert);
    }
    /* §5.2: "The length MUST NOT exceed 2^14 + 256 bytes. An endpoint that
     * receives a record that exceeds this length MUST terminate the
     * connection with a "record_overflow" alert." */
    if (fragment.len > SD_MAX_CIPHERTEXT) {
        *out_alert = SD_record_overflow;
        return false;
    }
    if (k->seq == UINT64_MAX) {
        return false; /* internal_error: §5.3 forbids wrapping */
    }
    size_t start = out->len;
    if (fragment.len > 0 && !sd_buf_reserve(out, fragment.len)) {
        return false;
    }
    uint8_t *plain = out->data != NULL ? out->data + start : NULL;
    uint8_t nonce[SD_IV_LEN];
    record_nonce(k, nonce);
    size_t plain_len = 0;
    /* §5.2: "If the decryption fails, the receiver MUST terminate the
     * connection with a "bad_record_mac" alert." A fragment shorter than the
     * tag fails here too. */
    if (plain == NULL || EVP_AEAD_CTX_open(&k->aead, plain, &plain_len, fragment.len, nonce, sizeof(nonce),
                                           fragment.data, fragment.len, header.data, header.len) != 1) {
        *out_alert = SD_bad_record_mac;
        return false;
    }
    /* §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1
     * octets", i.e. content plus padding at most 2^14; §6.2 record_overflow:
     * "a record decrypted to a TLSPlaintext record with more than 2^14
     * bytes". */
    if (plain_len > SD_MAX_PLAINTEXT + 1) {
        OPENSSL_cleanse(plain, plain_len);
        *out_alert = SD_record_overflow;
        return false;
    }
    /* §5.4: "the receiving implementation scans the field from the end
     * toward the beginning until it finds a non-zero octet. This non-zero
     * octet is the content type of the message. ... If a receiving
     * implementation does not find a non-zero octet in the cleartext, it
     * MUST terminate the connection with an "unexpected_message" alert." */
    size_t i = plain_len;
    while (i > 0 && plain[i - 1] == 0) {
        i--;
    }
    if (i == 0) {
        OPENSSL_cleanse(plain, plain_len);
        *out_alert = SD_unexpected_message;
        return false;
    }
    *out_type = plain[i - 1];
    out->len = start + (i - 1);
    k->seq++;
    return !out->failed;
}

/* --- TLS 1.2 (RFC 5246 §6.2.3) --------------------------------------------------------- */

/* RFC 5246 §6.2.3: "The length (in bytes) of the following
 * TLSCiphertext.fragment. The length MUST NOT exceed 2^14 + 2048." */
#define SD_TLS12_MAX_CIPHERTEXT (16384u + 2048u)
#define SD_GCM_EXPLICIT_NONCE_LEN 8
#define SD_AEAD_TAG_LEN 16
#define SD_CBC_BLOCK 16
#define SD_CBC_MAC_LEN 20

bool sd_record_keys_set_tls12(sd_record_keys *k, const struct sd_tls12_suite *s, const uint8_t *key,
                              const uint8_t *iv, const uint8_t *mac_key, bool cbc_random_iv) {
    sd_record_keys_clear(k);
    if (s == NULL || key == NULL || (s->fixed_iv_len > 0 && iv == NULL) ||
        (s->mac_key_len > 0 && mac_key == NULL) || s->fixed_iv_len > sizeof(k->iv) ||
        s->key_len > sizeof(k->tls12_enc_key) || s->mac_key_len > sizeof(k->tls12_mac_key)) {
        return false;
    }
    int ok = 0;
    switch (s->bulk) {
    case SD_BULK_AES_128_GCM:
    case SD_BULK_AES_256_GCM:
        ok = EVP_AEAD_CTX_init(
            &k->aead, s->bulk == SD_BULK_AES_128_GCM ? EVP_aead_aes_128_gcm() : EVP_aead_aes_256_gcm(), key,
            s->key_len, SD_AEAD_TAG_LEN, NULL);
        break;
    case SD_BULK_CHACHA20_POLY1305:
        ok =
            EVP_AEAD_CTX_init(&k->aead, EVP_aead_chacha20_poly1305(), key, s->key_len, SD_AEAD_TAG_LEN, NULL);
        break;
    case SD_BULK_AES_128_CBC_SHA: {
        /* Opening uses BoringSSL's TLS CBC AEAD (its key is MAC key ||
         * encryption key), whose padding check and MAC run in constant time
         * over the maximum padding length (Lucky 13). Sealing is ours (below),
         * so that mutators can choose the padding length. */
        uint8_t both[SD_CBC_MAC_LEN + 16];
        if (s->mac_key_len != SD_CBC_MAC_LEN || s->key_len != 16) break;
        memcpy(both, mac_key, SD_CBC_MAC_LEN);
        memcpy(both + SD_CBC_MAC_LEN, key, 16);
        ok = EVP_AEAD_CTX_init_with_direction(&k->aead, EVP_aead_aes_128_cbc_sha1_tls(), both, sizeof(both),
                                              EVP_AEAD_DEFAULT_TAG_LENGTH, evp_aead_open);
        OPENSSL_cleanse(both, sizeof(both));
        memcpy(k->tls12_mac_key, mac_key, SD_CBC_MAC_LEN);
        memcpy(k->tls12_enc_key, key, 16);
        break;
    }
    }
    if (ok != 1) {
        ERR_clear_error();
        sd_record_keys_clear(k);
        return false;
    }
    if (s->fixed_iv_len > 0) memcpy(k->iv, iv, s->fixed_iv_len);
    k->suite = NULL;
    k->tls12 = true;
    k->tls12_suite = s;
    k->tls12_cbc_random_iv = cbc_random_iv;
    k->seq =
        0; /* §6.1: "Sequence numbers ... are set to zero whenever a connection state is made the active state." */
    k->active = true;
    return true;
}

static void put_u64(uint8_t out[8], uint64_t v) {
    for (size_t i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* §6.2.3.3: "additional_data = seq_num + TLSCompressed.type +
 * TLSCompressed.version + TLSCompressed.length;" — also the MAC input prefix
 * of §6.2.3.1 (MAC(MAC_write_key, seq_num + type + version + length + fragment)). */
static void tls12_ad(uint8_t ad[13], uint64_t seq, uint8_t type, uint8_t v0, uint8_t v1, size_t len) {
    put_u64(ad, seq);
    ad[8] = type;
    ad[9] = v0;
    ad[10] = v1;
    ad[11] = (uint8_t)(len >> 8);
    ad[12] = (uint8_t)len;
}

/* The per-record AEAD nonce. GCM (RFC 5288 §3): "The nonce_explicit MAY be
 * the 64-bit sequence number", nonce = salt(4) || nonce_explicit(8).
 * ChaCha20-Poly1305 (RFC 7905 §2): "The 64-bit record sequence number is
 * serialized as an 8-byte, big-endian value and padded on the left with
 * four 0x00 bytes. The padded sequence number is XORed with the
 * client_write_IV (when the client is sending) or server_write_IV". */
static void tls12_nonce(const sd_record_keys *k, const uint8_t *explicit_nonce, uint8_t nonce[12]) {
    if (k->tls12_suite->bulk == SD_BULK_CHACHA20_POLY1305) {
        memcpy(nonce, k->iv, 12);
        for (size_t i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(k->seq >> (8 * i));
    } else {
        memcpy(nonce, k->iv, 4);
        memcpy(nonce + 4, explicit_nonce, SD_GCM_EXPLICIT_NONCE_LEN);
    }
}

/* The CBC record's explicit IV (§6.2.3.2: "The Initialization Vector (IV)
 * SHOULD be chosen at random, and MUST be unpredictable"). */
static bool cbc_iv(const sd_record_keys *k, uint8_t iv[SD_CBC_BLOCK]) {
    if (k->tls12_cbc_random_iv) return RAND_bytes(iv, SD_CBC_BLOCK) == 1;
    static const char kLabel[] = "shakedown cbc iv";
    uint8_t msg[sizeof(kLabel) - 1 + 8], mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    memcpy(msg, kLabel, sizeof(kLabel) - 1);
    put_u64(msg + sizeof(kLabel) - 1, k->seq);
    if (HMAC(EVP_sha1(), k->tls12_mac_key, SD_CBC_MAC_LEN, msg, sizeof(msg), mac, &mac_len) == NULL)
        return false;
    memcpy(iv, mac, SD_CBC_BLOCK);
    return true;
}

/* A CBC record's padding: `count` bytes of `fill`, then the
 * padding_length byte. */
typedef struct {
    size_t count;
    uint8_t fill, length_byte;
} cbc_padding;

static bool tls12_seal_padded(sd_record_keys *k, uint8_t content_type, sd_span content, size_t padding,
                              const cbc_padding *custom, sd_buf *out) {
    if (k->seq == UINT64_MAX || content.len > 0xffff) return false; /* §6.1: no wrapping */
    const sd_tls12_suite *s = k->tls12_suite;
    bool cbc = s->bulk == SD_BULK_AES_128_CBC_SHA;
    size_t record_len, pad_total = 0;
    cbc_padding pad = {0};
    if (custom && !cbc) return false;
    /* RFC 7366 §3: under encrypt-then-MAC the MAC follows the ciphertext
     * instead of sitting inside it. */
    size_t mac_inside = cbc && !k->tls12_etm ? SD_CBC_MAC_LEN : 0;
    if (cbc) {
        /* §6.2.3.2: "padding: Padding that is added to force the length of
         * the plaintext to be an integral multiple of the block cipher's
         * block length. The padding MAY be any length up to 255 bytes".
         * pad_total counts the padding_length byte too. */
        if (padding % SD_CBC_BLOCK != 0) return false;
        pad_total = SD_CBC_BLOCK - (content.len + mac_inside) % SD_CBC_BLOCK + padding;
        if (custom) pad_total = custom->count + 1;
        if (pad_total > 256 || (content.len + mac_inside + pad_total) % SD_CBC_BLOCK != 0) return false;
        /* "Each uint8 in the padding data vector MUST be filled with the
         * padding length value." */
        pad = custom ? *custom
                     : (cbc_padding){.count = pad_total - 1,
                                     .fill = (uint8_t)(pad_total - 1),
                                     .length_byte = (uint8_t)(pad_total - 1)};
        record_len =
            SD_CBC_BLOCK + content.len + mac_inside + pad_total + (k->tls12_etm ? SD_CBC_MAC_LEN : 0);
    } else {
        if (padding != 0) return false;
        record_len = content.len + SD_AEAD_TAG_LEN +
                     (s->bulk == SD_BULK_CHACHA20_POLY1305 ? 0 : SD_GCM_EXPLICIT_NONCE_LEN);
    }
    if (record_len > 0xffff) return false;
    size_t start = out->len;
    if (!sd_buf_reserve(out, SD_RECORD_HEADER_LEN + record_len)) return false;
    uint8_t *rec = out->data + start;
    /* §6.2.3: the header is type, version, length of the protected fragment. */
    rec[0] = content_type;
    rec[1] = 0x03;
    rec[2] = 0x03;
    rec[3] = (uint8_t)(record_len >> 8);
    rec[4] = (uint8_t)record_len;
    uint8_t *frag = rec + SD_RECORD_HEADER_LEN;
    uint8_t ad[13];
    tls12_ad(ad, k->seq, content_type, 0x03, 0x03, content.len);
    bool ok = false;
    if (cbc && k->tls12_etm) {
        /* RFC 7366 §3: IV || ENC(content || padding || padding_length) ||
         * MAC, the MAC over the header (its length without the MAC) and
         * everything before it. */
        uint8_t *iv = frag, *body = frag + SD_CBC_BLOCK;
        size_t body_len = content.len + pad_total;
        if (content.len > 0) memcpy(body, content.data, content.len);
        memset(body + content.len, pad.fill, pad.count);
        body[content.len + pad.count] = pad.length_byte;
        AES_KEY aes;
        ok = cbc_iv(k, iv) && AES_set_encrypt_key(k->tls12_enc_key, 128, &aes) == 0;
        if (ok) {
            uint8_t chain[SD_CBC_BLOCK];
            memcpy(chain, iv, SD_CBC_BLOCK);
            AES_cbc_encrypt(body, body, body_len, &aes, chain, AES_ENCRYPT);
            OPENSSL_cleanse(&aes, sizeof(aes));
            tls12_ad(ad, k->seq, content_type, 0x03, 0x03, SD_CBC_BLOCK + body_len);
            unsigned mac_len = 0;
            HMAC_CTX h;
            HMAC_CTX_init(&h);
            ok = HMAC_Init_ex(&h, k->tls12_mac_key, SD_CBC_MAC_LEN, EVP_sha1(), NULL) &&
                 HMAC_Update(&h, ad, sizeof(ad)) && HMAC_Update(&h, frag, SD_CBC_BLOCK + body_len) &&
                 HMAC_Final(&h, body + body_len, &mac_len) && mac_len == SD_CBC_MAC_LEN;
            HMAC_CTX_cleanup(&h);
        }
    } else if (cbc) {
        /* §6.2.3.2 GenericBlockCipher: IV || E(content || MAC || padding || padding_length),
         * MAC = HMAC(MAC_write_key, seq_num + type + version + length + content) (§6.2.3.1). */
        uint8_t *iv = frag, *body = frag + SD_CBC_BLOCK;
        size_t body_len = content.len + SD_CBC_MAC_LEN + pad_total;
        unsigned mac_len = 0;
        HMAC_CTX h;
        HMAC_CTX_init(&h);
        if (content.len > 0) memcpy(body, content.data, content.len);
        ok = cbc_iv(k, iv) && HMAC_Init_ex(&h, k->tls12_mac_key, SD_CBC_MAC_LEN, EVP_sha1(), NULL) &&
             HMAC_Update(&h, ad, sizeof(ad)) &&
             (content.len == 0 || HMAC_Update(&h, content.data, content.len)) &&
             HMAC_Final(&h, body + content.len, &mac_len) && mac_len == SD_CBC_MAC_LEN;
        HMAC_CTX_cleanup(&h);
        memset(body + content.len + SD_CBC_MAC_LEN, pad.fill, pad.count);
        body[content.len + SD_CBC_MAC_LEN + pad.count] = pad.length_byte;
        AES_KEY aes;
        if (ok && AES_set_encrypt_key(k->tls12_enc_key, 128, &aes) == 0) {
            uint8_t chain[SD_CBC_BLOCK];
            memcpy(chain, iv, SD_CBC_BLOCK);
            AES_cbc_encrypt(body, body, body_len, &aes, chain, AES_ENCRYPT);
            OPENSSL_cleanse(&aes, sizeof(aes));
        } else {
            ok = false;
        }
    } else {
        uint8_t nonce[12], explicit_nonce[SD_GCM_EXPLICIT_NONCE_LEN];
        put_u64(explicit_nonce, k->seq);
        tls12_nonce(k, explicit_nonce, nonce);
        uint8_t *ct = frag;
        if (s->bulk != SD_BULK_CHACHA20_POLY1305) {
            memcpy(frag, explicit_nonce, SD_GCM_EXPLICIT_NONCE_LEN);
            ct += SD_GCM_EXPLICIT_NONCE_LEN;
        }
        if (content.len > 0) memcpy(ct, content.data, content.len);
        size_t sealed = 0;
        size_t max = content.len + SD_AEAD_TAG_LEN;
        ok = EVP_AEAD_CTX_seal(&k->aead, ct, &sealed, max, nonce, sizeof(nonce), ct, content.len, ad,
                               sizeof(ad)) == 1 &&
             sealed == max;
    }
    if (!ok) {
        ERR_clear_error();
        OPENSSL_cleanse(rec, SD_RECORD_HEADER_LEN + record_len);
        return false;
    }
    out->len = start + SD_RECORD_HEADER_LEN + record_len;
    k->seq++;
    return !out->failed;
}

static bool tls12_seal(sd_record_keys *k, uint8_t content_type, sd_span content, size_t padding,
                       sd_buf *out) {
    return tls12_seal_padded(k, content_type, content, padding, NULL, out);
}

bool sd_record_keys_cbc(const sd_record_keys *k) {
    return k->active && k->tls12 && k->tls12_suite && k->tls12_suite->bulk == SD_BULK_AES_128_CBC_SHA;
}

size_t sd_record_cbc_padding_min(size_t content_len) {
    return SD_CBC_BLOCK - 1 - (content_len + SD_CBC_MAC_LEN) % SD_CBC_BLOCK;
}

size_t sd_record_cbc_padding_min_for(const sd_record_keys *k, size_t content_len) {
    return k->tls12_etm ? SD_CBC_BLOCK - 1 - content_len % SD_CBC_BLOCK
                        : sd_record_cbc_padding_min(content_len);
}

bool sd_record_keys_set_encrypt_then_mac(sd_record_keys *k, bool on) {
    if (on && !sd_record_keys_cbc(k)) return false;
    k->tls12_etm = on;
    return true;
}

/* RFC 7366 §3: the MAC first, over the header and the ciphertext, then the
 * decryption and the padding. The MAC is checked before anything depends on
 * the plaintext, so nothing here needs to run in constant time beyond the
 * MAC comparison. */
static bool etm_open(sd_record_keys *k, sd_span header, sd_span fragment, uint8_t *plain, size_t *plain_len) {
    if (fragment.len < SD_CBC_BLOCK + SD_CBC_BLOCK + SD_CBC_MAC_LEN ||
        (fragment.len - SD_CBC_BLOCK - SD_CBC_MAC_LEN) % SD_CBC_BLOCK != 0)
        return false;
    size_t cipher_len = fragment.len - SD_CBC_MAC_LEN;
    uint8_t ad[13], mac[EVP_MAX_MD_SIZE];
    tls12_ad(ad, k->seq, header.data[0], header.data[1], header.data[2], cipher_len);
    unsigned mac_len = 0;
    HMAC_CTX h;
    HMAC_CTX_init(&h);
    bool ok = HMAC_Init_ex(&h, k->tls12_mac_key, SD_CBC_MAC_LEN, EVP_sha1(), NULL) &&
              HMAC_Update(&h, ad, sizeof(ad)) && HMAC_Update(&h, fragment.data, cipher_len) &&
              HMAC_Final(&h, mac, &mac_len) && mac_len == SD_CBC_MAC_LEN &&
              CRYPTO_memcmp(mac, fragment.data + cipher_len, SD_CBC_MAC_LEN) == 0;
    HMAC_CTX_cleanup(&h);
    if (!ok) return false;
    AES_KEY aes;
    if (AES_set_decrypt_key(k->tls12_enc_key, 128, &aes) != 0) return false;
    uint8_t chain[SD_CBC_BLOCK];
    memcpy(chain, fragment.data, SD_CBC_BLOCK);
    size_t body_len = cipher_len - SD_CBC_BLOCK;
    AES_cbc_encrypt(fragment.data + SD_CBC_BLOCK, plain, body_len, &aes, chain, AES_DECRYPT);
    OPENSSL_cleanse(&aes, sizeof(aes));
    /* RFC 5246 §6.2.3.2: "Each uint8 in the padding data vector MUST be
     * filled with the padding length value. The receiver MUST check this
     * padding and MUST use the bad_record_mac alert to indicate padding
     * errors." */
    uint8_t pad = plain[body_len - 1];
    if ((size_t)pad + 1 > body_len) return false;
    for (size_t i = body_len - 1 - pad; i < body_len - 1; i++)
        if (plain[i] != pad) return false;
    *plain_len = body_len - 1 - pad;
    return true;
}

bool sd_record_seal_cbc_padding(sd_record_keys *k, uint8_t content_type, sd_span content, size_t count,
                                uint8_t fill, uint8_t length_byte, sd_buf *out) {
    if (!sd_record_keys_cbc(k) || (content.len > 0 && content.data == NULL)) return false;
    cbc_padding pad = {.count = count, .fill = fill, .length_byte = length_byte};
    return tls12_seal_padded(k, content_type, content, 0, &pad, out);
}

static bool tls12_open(sd_record_keys *k, sd_span header, sd_span fragment, uint8_t *out_type, sd_buf *out,
                       uint8_t *out_alert) {
    /* §6.2.3: "If the TLSCiphertext.length is greater than 2^14 + 2048 ...
     * record_overflow" (the §7.2.2 definition of record_overflow). */
    if (fragment.len > SD_TLS12_MAX_CIPHERTEXT) {
        *out_alert = SD_record_overflow;
        return false;
    }
    if (k->seq == UINT64_MAX) {
        *out_alert = SD_internal_error;
        return false;
    }
    const sd_tls12_suite *s = k->tls12_suite;
    size_t start = out->len;
    if (!sd_buf_reserve(out, fragment.len > 0 ? fragment.len : 1)) {
        *out_alert = SD_internal_error;
        return false;
    }
    uint8_t *plain = out->data + start;
    size_t plain_len = 0;
    bool ok = false;
    uint8_t ad[13];
    if (s->bulk == SD_BULK_AES_128_CBC_SHA && k->tls12_etm) {
        ok = etm_open(k, header, fragment, plain, &plain_len);
    } else if (s->bulk == SD_BULK_AES_128_CBC_SHA) {
        /* IV || ciphertext. BoringSSL's TLS CBC AEAD takes the 11-byte AD
         * (the length is filled in after removing padding) and the IV as its
         * nonce, and fails alike for bad length, padding or MAC. */
        if (fragment.len >= SD_CBC_BLOCK) {
            tls12_ad(ad, k->seq, header.data[0], header.data[1], header.data[2], 0);
            ok = EVP_AEAD_CTX_open(&k->aead, plain, &plain_len, fragment.len, fragment.data, SD_CBC_BLOCK,
                                   fragment.data + SD_CBC_BLOCK, fragment.len - SD_CBC_BLOCK, ad, 11) == 1;
        }
    } else {
        size_t explicit_len = s->bulk == SD_BULK_CHACHA20_POLY1305 ? 0 : SD_GCM_EXPLICIT_NONCE_LEN;
        if (fragment.len >= explicit_len + SD_AEAD_TAG_LEN) {
            size_t ct_len = fragment.len - explicit_len;
            uint8_t nonce[12];
            tls12_nonce(k, fragment.data, nonce);
            tls12_ad(ad, k->seq, header.data[0], header.data[1], header.data[2], ct_len - SD_AEAD_TAG_LEN);
            ok = EVP_AEAD_CTX_open(&k->aead, plain, &plain_len, fragment.len, nonce, sizeof(nonce),
                                   fragment.data + explicit_len, ct_len, ad, sizeof(ad)) == 1;
        }
    }
    if (!ok) {
        /* §6.2.3.2: "if a TLSCiphertext decrypted in an invalid way: either
         * it wasn't an even multiple of the block length, or its padding
         * values, when checked, weren't correct ... the receiver MUST
         * terminate the connection with a "bad_record_mac" alert" (and
         * §7.2.2: decryption_failed "MUST NOT be sent"). §6.2.3.3: AEAD
         * "decryption fails ... bad_record_mac". */
        ERR_clear_error();
        *out_alert = SD_bad_record_mac;
        return false;
    }
    /* §6.2.1 / §7.2.2 record_overflow: "a TLSCiphertext record was received
     * that had a length more than 2^14+2048 bytes, or a record decrypted to
     * a TLSCompressed record with more than 2^14+1024 bytes"; with null
     * compression the plaintext limit is §6.2.1's 2^14. */
    if (plain_len > SD_MAX_PLAINTEXT) {
        OPENSSL_cleanse(plain, plain_len);
        *out_alert = SD_record_overflow;
        return false;
    }
    *out_type = header.data[0];
    out->len = start + plain_len;
    k->seq++;
    return !out->failed;
}
