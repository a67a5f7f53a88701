/* signature.c — TLS 1.3 signatures: the CertificateVerify content (RFC 8446
 * §4.4.3) and the SignatureScheme values (§4.2.3) a TLS 1.3 endpoint may use
 * with a given key. */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>

#include "crypto/memo.h"
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
 *    BoringSSL does not load. */
static const scheme_info kSchemes[] = {
    /* §4.2.3: "ecdsa_secp256r1_sha256 ... indicate a signature algorithm
     * using ECDSA [ECDSA], the corresponding curve as defined in ANSI X9.62
     * [ECDSA] and FIPS 186-4 [DSS], and the corresponding hash algorithm" */
    {SD_ecdsa_secp256r1_sha256, KIND_ECDSA, EVP_sha256, NID_X9_62_prime256v1},
    {SD_ecdsa_secp384r1_sha384, KIND_ECDSA, EVP_sha384, NID_secp384r1},
    {SD_ecdsa_secp521r1_sha512, KIND_ECDSA, EVP_sha512, NID_secp521r1},
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

static bool verify13_once(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature);

/* One signing, as libcrypto makes it (ECDSA and RSA-PSS are randomised). */
static bool sign13_once(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature) {
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

size_t sd_ecdsa_steady_signature_len(const EVP_PKEY *key) {
    const EC_KEY *ec = key != NULL && EVP_PKEY_id(key) == EVP_PKEY_EC ? EVP_PKEY_get0_EC_KEY(key) : NULL;
    const EC_GROUP *group = ec != NULL ? EC_KEY_get0_group(ec) : NULL;
    if (group == NULL) return 0;
    /* ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480
     * §2.2.3). r and s are uniform below the order n. With n of whole
     * bytes, an integer takes nbytes + 1 bytes half the time (a set top
     * bit needs a zero byte in front), nbytes otherwise; with a partial top
     * byte (P-521: one bit), nbytes or nbytes - 1 about half the time each.
     * The commonest pair is one of each. */
    unsigned bits = BN_num_bits(EC_GROUP_get0_order(group));
    size_t nbytes = (bits + 7) / 8;
    size_t content = 2 * (2 + nbytes) + (bits % 8 == 0 ? 1 : 0) - (bits % 8 == 0 ? 0 : 1);
    return content + (content < 128 ? 2 : 3);
}

bool sd_ecdsa_signature_other_form(const EVP_PKEY *key, sd_buf *signature) {
    const EC_KEY *ec = key != NULL && EVP_PKEY_id(key) == EVP_PKEY_EC ? EVP_PKEY_get0_EC_KEY(key) : NULL;
    const EC_GROUP *group = ec != NULL ? EC_KEY_get0_group(ec) : NULL;
    if (group == NULL || signature == NULL || signature->len == 0) return false;
    /* SEC 1 §4.1.3: s = k^-1 (e + r d) mod n. The nonce n - k gives the
     * same point's negation, so the same r, and s' = -s = n - s: the pair
     * (r, n - s) is the signature that nonce would have made, a valid
     * signature of the same message. */
    ECDSA_SIG *sig = ECDSA_SIG_from_bytes(signature->data, signature->len);
    BIGNUM *r = NULL, *s = BN_new();
    uint8_t *der = NULL;
    size_t der_len = 0;
    bool ok = false;
    if (sig == NULL || s == NULL) goto out;
    const BIGNUM *old_r, *old_s;
    ECDSA_SIG_get0(sig, &old_r, &old_s);
    if (BN_is_zero(old_s) || BN_cmp(old_s, EC_GROUP_get0_order(group)) >= 0 ||
        !BN_sub(s, EC_GROUP_get0_order(group), old_s) || (r = BN_dup(old_r)) == NULL ||
        !ECDSA_SIG_set0(sig, r, s))
        goto out;
    r = s = NULL; /* sig owns them now */
    if (!ECDSA_SIG_to_bytes(&der, &der_len, sig)) goto out;
    sd_buf_reset(signature);
    sd_buf_append(signature, der, der_len);
    ok = !signature->failed;
out:
    OPENSSL_free(der);
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    ERR_clear_error();
    return ok;
}

bool sd_memo_sign(sd_sign_once_fn sign_once, uint8_t variant, EVP_PKEY *key, uint16_t scheme, sd_span message,
                  bool steady, sd_buf *out_signature) {
    /* The memo's key: which signing function (the TLS 1.2 and 1.3 ones
     * accept different schemes), steadiness, scheme, then the message. */
    sd_buf input, sig;
    sd_buf_init(&input);
    sd_buf_init(&sig);
    sd_buf_u8(&input, (uint8_t)(variant << 1 | (steady ? 1 : 0)));
    sd_buf_u16(&input, scheme);
    if (message.len) sd_buf_append(&input, message.data, message.len);
    sd_memo_ticket ticket = {0};
    bool ok = !input.failed &&
              sd_memo_find(SD_MEMO_SIGN, SD_MEMO_KEY_SAME, key, sd_buf_span(&input), &sig, &ticket);
    if (!ok) {
        size_t want = steady ? sd_ecdsa_steady_signature_len(key) : 0;
        /* Half the signings come out at the steady length; nearly all of
         * the others get there as their other form. */
        for (int tries = 0; tries < 64; tries++) {
            sd_buf_reset(&sig);
            ok = sign_once(key, scheme, message, &sig);
            if (!ok || !want || sig.len == want) break;
            if (sd_ecdsa_signature_other_form(key, &sig) && sig.len == want) break;
        }
        if (ok) sd_memo_put(&ticket, key, sd_buf_span(&sig));
    }
    if (ok) {
        sd_buf_append(out_signature, sig.data, sig.len);
        ok = !out_signature->failed;
    }
    sd_buf_free(&input);
    sd_buf_free(&sig);
    return ok;
}

bool sd_sign(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature) {
    return sd_memo_sign(sign13_once, 13, key, scheme, message, false, out_signature);
}

bool sd_sign_steady(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_buf *out_signature) {
    return sd_memo_sign(sign13_once, 13, key, scheme, message, true, out_signature);
}

bool sd_memo_verify(sd_verify_once_fn verify_once, uint8_t variant, EVP_PKEY *key, uint16_t scheme,
                    sd_span message, sd_span signature) {
    /* The memo's key: which verifying function, the scheme, the message's
     * length and bytes, then the signature's; and the public key. Only signatures that verified are remembered: forged ones
     * are what fuzzing mostly sends, each different, and cheap to refuse. */
    sd_buf input, none;
    sd_buf_init(&input);
    sd_buf_init(&none);
    sd_buf_u8(&input, variant);
    sd_buf_u16(&input, scheme);
    sd_buf_u32(&input, (uint32_t)message.len);
    if (message.len && message.data) sd_buf_append(&input, message.data, message.len);
    if (signature.len && signature.data) sd_buf_append(&input, signature.data, signature.len);
    bool usable =
        !input.failed && (message.len == 0 || message.data) && (signature.len == 0 || signature.data);
    sd_memo_ticket ticket = {0};
    bool ok =
        usable && sd_memo_find(SD_MEMO_VERIFY, SD_MEMO_KEY_PUBLIC, key, sd_buf_span(&input), &none, &ticket);
    if (!ok) {
        ok = verify_once(key, scheme, message, signature);
        if (ok) sd_memo_put(&ticket, key, sd_span_of(NULL, 0));
    }
    sd_buf_free(&input);
    sd_buf_free(&none);
    return ok;
}

bool sd_verify(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature) {
    return sd_memo_verify(verify13_once, 13, key, scheme, message, signature);
}

/* One verification by libcrypto. */
static bool verify13_once(EVP_PKEY *key, uint16_t scheme, sd_span message, sd_span signature) {
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
