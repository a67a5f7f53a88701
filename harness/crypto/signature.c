/* signature.c — TLS 1.3 signatures: the CertificateVerify content (RFC 8446
 * §4.4.3) and the SignatureScheme values (§4.2.3) a TLS 1.3 endpoint may use
 * with a given key. */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>

#include "wire/names.h"

/* §4.4.3: "The digital signature is then computed over the concatenation of:
 *  -  A string that consists of octet 32 (0x20) repeated 64 times
 *  -  The context string
 *  -  A single 0 byte which serves as the separator
 *  -  The content to be signed"
 * where the context string is "TLS 1.3, server CertificateVerify" or
 * "TLS 1.3, client CertificateVerify" and the content is the transcript hash. */
void sd_certificate_verify_input(bool server, const uint8_t *transcript_hash, size_t hash_len, sd_buf *out) {
    static const char kServer[] = "TLS 1.3, server CertificateVerify";
    static const char kClient[] = "TLS 1.3, client CertificateVerify";
    uint8_t spaces[64];
    memset(spaces, 0x20, sizeof(spaces));
    sd_buf_append(out, spaces, sizeof(spaces));
    if (server) {
        sd_buf_append(out, kServer, sizeof(kServer) - 1);
    } else {
        sd_buf_append(out, kClient, sizeof(kClient) - 1);
    }
    sd_buf_u8(out, 0);
    sd_buf_append(out, transcript_hash, hash_len);
}

typedef enum { KIND_ECDSA, KIND_RSA_PSS, KIND_ED25519 } scheme_kind;

typedef struct {
    uint16_t scheme;
    scheme_kind kind;
    const EVP_MD *(*md)(void); /* NULL for Ed25519, which hashes internally */
    int curve_nid;             /* ECDSA only */
} scheme_info;

/* The schemes TLS 1.3 allows for CertificateVerify and that BoringSSL can
 * compute. Deliberately absent:
 *  - rsa_pkcs1_*: §4.4.3 "RSA signatures MUST use an RSASSA-PSS algorithm,
 *    regardless of whether RSASSA-PKCS1-v1_5 algorithms appear in
 *    "signature_algorithms"" (PKCS#1 is only for certificates, §4.2.3);
 *  - rsa_pkcs1_sha1, ecdsa_sha1: §4.2.3 "SHA-1 ... MUST NOT be used" for
 *    CertificateVerify in TLS 1.3;
 *  - rsa_pss_pss_*: needs an RSASSA-PSS (id-RSASSA-PSS) key, which
 *    BoringSSL does not load;
 *  - ecdsa_secp521r1_sha512: P-521 is outside this harness's groups. */
static const scheme_info kSchemes[] = {
    /* §4.2.3: "ecdsa_secp256r1_sha256 ... indicate a signature algorithm
     * using ECDSA [ECDSA], the corresponding curve as defined in ANSI X9.62
     * [ECDSA] and FIPS 186-4 [DSS], and the corresponding hash algorithm" */
    {SD_ecdsa_secp256r1_sha256, KIND_ECDSA, EVP_sha256, NID_X9_62_prime256v1},
    {SD_ecdsa_secp384r1_sha384, KIND_ECDSA, EVP_sha384, NID_secp384r1},
    /* §4.2.3: "RSASSA-PSS RSAE algorithms ... If the public key is carried
     * in an X.509 certificate, it MUST use the rsaEncryption OID" and "The
     * length of the Salt MUST be equal to the length of the output of the
     * digest algorithm." */
    {SD_rsa_pss_rsae_sha256, KIND_RSA_PSS, EVP_sha256, NID_undef},
    {SD_rsa_pss_rsae_sha384, KIND_RSA_PSS, EVP_sha384, NID_undef},
    {SD_rsa_pss_rsae_sha512, KIND_RSA_PSS, EVP_sha512, NID_undef},
    /* §4.2.3: "EdDSA algorithms: Indicates a signature algorithm using EdDSA
     * as defined in RFC 8032 or its successors." */
    {SD_ed25519, KIND_ED25519, NULL, NID_undef},
};

static const scheme_info *find_scheme(uint16_t scheme) {
    for (size_t i = 0; i < sizeof(kSchemes) / sizeof(kSchemes[0]); i++) {
        if (kSchemes[i].scheme == scheme) {
            return &kSchemes[i];
        }
    }
    return NULL;
}

static bool info_matches_key(const scheme_info *info, const EVP_PKEY *key) {
    if (info == NULL || key == NULL) {
        return false;
    }
    switch (info->kind) {
    case KIND_ECDSA: {
        /* §4.2.3 (TLS 1.3 binds the curve to the scheme, unlike TLS 1.2). */
        const EC_KEY *ec = EVP_PKEY_id(key) == EVP_PKEY_EC ? EVP_PKEY_get0_EC_KEY(key) : NULL;
        const EC_GROUP *group = ec != NULL ? EC_KEY_get0_group(ec) : NULL;
        return group != NULL && EC_GROUP_get_curve_name(group) == info->curve_nid;
    }
    case KIND_RSA_PSS: {
        if (EVP_PKEY_id(key) != EVP_PKEY_RSA) {
            return false;
        }
        /* RFC 8017 §9.1.1: emLen >= hLen + sLen + 2 with sLen = hLen, so
         * e.g. a 1024-bit key cannot make an rsa_pss_rsae_sha512 signature. */
        size_t hash_len = EVP_MD_size(info->md());
        size_t key_bytes = (size_t)EVP_PKEY_size(key);
        return key_bytes >= 2 * hash_len + 2;
    }
    case KIND_ED25519:
        return EVP_PKEY_id(key) == EVP_PKEY_ED25519;
    }
    return false;
}

bool sd_signature_scheme_matches_key(uint16_t scheme, const EVP_PKEY *key) {
    return info_matches_key(find_scheme(scheme), key);
}

/* Sets up ctx for `scheme`; for RSA-PSS also the padding and salt length. */
static bool init_ctx(EVP_MD_CTX *ctx, const scheme_info *info, EVP_PKEY *key, bool sign) {
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = info->md != NULL ? info->md() : NULL;
    int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, key)
                  : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key);
    if (ok != 1) {
        return false;
    }
    if (info->kind == KIND_RSA_PSS) {
        /* -1: salt length = digest length (§4.2.3). */
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, -1) != 1) {
            return false;
        }
    }
    return true;
}

bool sd_sign(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature) {
    static const uint8_t empty[1] = {0};
    const scheme_info *info = find_scheme(scheme);
    if (!info_matches_key(info, key)) {
        return false;
    }
    const uint8_t *msg = message.data != NULL ? message.data : empty;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = false;
    size_t sig_len = 0;
    if (ctx == NULL || !init_ctx(ctx, info, key, true) ||
        EVP_DigestSign(ctx, NULL, &sig_len, msg, message.len) != 1) {
        goto out;
    }
    size_t start = out_signature->len;
    if (!sd_buf_reserve(out_signature, sig_len)) {
        goto out;
    }
    if (EVP_DigestSign(ctx, out_signature->data + start, &sig_len, msg, message.len) != 1) {
        goto out;
    }
    out_signature->len = start + sig_len;
    ok = !out_signature->failed;
out:
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        ERR_clear_error();
    }
    return ok;
}

bool sd_verify(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature) {
    static const uint8_t empty[1] = {0};
    const scheme_info *info = find_scheme(scheme);
    if (!info_matches_key(info, key)) {
        return false;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL && init_ctx(ctx, info, key, false) &&
              EVP_DigestVerify(ctx, signature.data != NULL ? signature.data : empty, signature.len,
                               message.data != NULL ? message.data : empty, message.len) == 1;
    EVP_MD_CTX_free(ctx);
    /* A failed verification leaves an error on BoringSSL's queue; it is an
     * expected outcome here, not a library fault. */
    ERR_clear_error();
    return ok;
}
