/* suite.c — the TLS 1.3 cipher suites (RFC 8446 §B.4): each names the AEAD
 * that protects records and the hash used by HKDF and the transcript. */
#include "crypto/crypto.h"

#include <openssl/digest.h>

#include "wire/names.h"

static const sd_suite kSuites[] = {
    /* §B.4 TLS_AES_128_GCM_SHA256 {0x13,0x01}: AES-128-GCM, 16-byte key. */
    {SD_TLS_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", EVP_sha256, EVP_aead_aes_128_gcm, 32, 16},
    /* §B.4 TLS_AES_256_GCM_SHA384 {0x13,0x02}: AES-256-GCM, 32-byte key. */
    {SD_TLS_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", EVP_sha384, EVP_aead_aes_256_gcm, 48, 32},
    /* §B.4 TLS_CHACHA20_POLY1305_SHA256 {0x13,0x03}: RFC 8439, 32-byte key. */
    {SD_TLS_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", EVP_sha256, EVP_aead_chacha20_poly1305,
     32, 32},
};

const sd_suite *sd_suite_find(uint16_t id) {
    for (size_t i = 0; i < sizeof(kSuites) / sizeof(kSuites[0]); i++) {
        if (kSuites[i].id == id) {
            return &kSuites[i];
        }
    }
    return NULL;
}
