/* record_protection.c — TLS 1.3 record protection (RFC 8446 §5.2, §5.3, §5.4).
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

#include <openssl/mem.h>

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
    int ok = EVP_AEAD_CTX_init(&k->aead, suite->aead(), key, suite->key_len,
                               EVP_AEAD_DEFAULT_TAG_LENGTH, NULL);
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

bool sd_record_seal(sd_record_keys *k, uint8_t content_type, sd_span content, size_t padding, sd_buf *out) {
    uint8_t header[SD_RECORD_HEADER_LEN];
    if (content.len > 0 && content.data == NULL) {
        return false;
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

bool sd_record_open(sd_record_keys *k, sd_span header, sd_span fragment, uint8_t *out_type,
                    sd_buf *out, uint8_t *out_alert) {
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
    if (plain == NULL ||
        EVP_AEAD_CTX_open(&k->aead, plain, &plain_len, fragment.len, nonce, sizeof(nonce),
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
