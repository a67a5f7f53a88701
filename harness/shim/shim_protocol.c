/* shim_protocol.c — the names of groups, cipher suites and signature schemes both sides of
 * the shim contract use; see shim_protocol.h. */
#include "shim/shim_protocol.h"

#include <stddef.h>
#include <string.h>

/* ---- Names ------------------------------------------------------------------ */

typedef struct {
    const char *name;
    uint16_t id;
} named_id;

/* IANA TLS Supported Groups registry (RFC 8446 §4.2.7, RFC 7919). */
static const named_id groups[] = {
    {"secp256r1", 23},  {"secp384r1", 24},  {"secp521r1", 25},  {"x25519", 29},     {"x448", 30},
    {"ffdhe2048", 256}, {"ffdhe3072", 257}, {"ffdhe4096", 258}, {"ffdhe6144", 259}, {"ffdhe8192", 260},
};

/* IANA TLS Cipher Suites registry: the suites the scenarios use. */
static const named_id ciphers[] = {
    {"TLS_AES_128_GCM_SHA256", 0x1301},
    {"TLS_AES_256_GCM_SHA384", 0x1302},
    {"TLS_CHACHA20_POLY1305_SHA256", 0x1303},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", 0x002f},
    {"TLS_DHE_RSA_WITH_AES_128_CBC_SHA", 0x0033},
    {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", 0x009e},
    {"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", 0x009f},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", 0xc013},
    {"TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xccaa},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 0xc009},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xc02b},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xc02c},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xc02f},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", 0xc030},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca8},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", 0xcca9},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009c},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", 0x009d},
};

/* IANA TLS SignatureScheme registry (RFC 8446 §4.2.3): the schemes the
 * scenarios' `signature-algorithms:` may name. */
static const named_id sigalgs[] = {
    {"rsa_pkcs1_sha256", 0x0401},
    {"rsa_pkcs1_sha384", 0x0501},
    {"rsa_pkcs1_sha512", 0x0601},
    {"ecdsa_secp256r1_sha256", 0x0403},
    {"ecdsa_secp384r1_sha384", 0x0503},
    {"ecdsa_secp521r1_sha512", 0x0603},
    {"rsa_pss_rsae_sha256", 0x0804},
    {"rsa_pss_rsae_sha384", 0x0805},
    {"rsa_pss_rsae_sha512", 0x0806},
    {"ed25519", 0x0807},
    {"rsa_pss_pss_sha256", 0x0809},
    {"rsa_pkcs1_sha1", 0x0201},
    {"ecdsa_sha1", 0x0203},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

uint16_t shim_group_id(const char *name) {
    for (size_t i = 0; i < N_OF(groups); i++)
        if (strcmp(groups[i].name, name) == 0) return groups[i].id;
    return 0;
}

const char *shim_group_name(uint16_t id) {
    for (size_t i = 0; i < N_OF(groups); i++)
        if (groups[i].id == id) return groups[i].name;
    return NULL;
}

uint16_t shim_cipher_id(const char *name) {
    for (size_t i = 0; i < N_OF(ciphers); i++)
        if (strcmp(ciphers[i].name, name) == 0) return ciphers[i].id;
    return 0;
}

const char *shim_cipher_name(uint16_t id) {
    for (size_t i = 0; i < N_OF(ciphers); i++)
        if (ciphers[i].id == id) return ciphers[i].name;
    return NULL;
}

uint16_t shim_sigalg_id(const char *name) {
    for (size_t i = 0; i < N_OF(sigalgs); i++)
        if (strcmp(sigalgs[i].name, name) == 0) return sigalgs[i].id;
    return 0;
}

const char *shim_sigalg_name(uint16_t id) {
    for (size_t i = 0; i < N_OF(sigalgs); i++)
        if (sigalgs[i].id == id) return sigalgs[i].name;
    return NULL;
}
