/* make_pki.c — makes shakedown's fixture PKI: good and deliberately bad
 * certificates for the conformance scenarios. Never made by hand.
 *
 *   usage: make_pki OUTDIR
 *
 * The output is byte-for-byte reproducible (tests/test_pki.c runs this
 * program twice and compares every byte):
 *  - every private key is derived from its name: EC scalars are
 *    SHA-256/SHA-384("shakedown fixture key: <name>") reduced mod the group
 *    order; Ed25519 keys come from the 32-byte seed SHA-256 of the same
 *    string; RSA primes are searched from a SHA-256 expansion of the name
 *    (rsa_key), since BoringSSL's RSA_generate_key_ex cannot be seeded;
 *  - every date and serial number is fixed;
 *  - ECDSA signatures use a nonce derived from the key and the message
 *    (ecdsa_sign) instead of BoringSSL's random one; RSA PKCS#1 v1.5 and
 *    Ed25519 signatures are deterministic by construction.
 * Running it again rewrites identical files; each file is replaced
 * atomically (temp file + rename).
 *
 * Hierarchy (CA keys ECDSA P-256 unless named; signatures ecdsa-with-SHA256
 * unless named):
 *
 *   root.pem            "shakedown Test Root"          (the trust anchor)
 *     ├ "shakedown Test Intermediate"  (pathlen 0)
 *     │   ├ leaf            P-256, server.shakedown.test, serverAuth+clientAuth
 *     │   ├ leaf-p384       P-384, otherwise as leaf
 *     │   ├ leaf-rsa        RSA-2048 (digitalSignature+keyEncipherment)
 *     │   ├ leaf-ed25519    Ed25519
 *     │   ├ leaf-p521       P-521
 *     │   ├ client          P-256, client.shakedown.test, clientAuth
 *     │   ├ client-rsa      RSA-2048, clientAuth
 *     │   ├ client-ed25519  Ed25519, clientAuth
 *     │   ├ client-p384     P-384, clientAuth
 *     │   ├ client-p521     P-521, clientAuth
 *     │   └ the defective server leaves, one defect each (kCredentials)
 *     ├ "shakedown Test RSA Intermediate"  (RSA-2048, pathlen 0)
 *     │   ├ sha1-signature  signed with sha1WithRSAEncryption
 *     │   └ md5-signature   signed with md5WithRSAEncryption
 *     └ "issuer.shakedown.test"  an end-entity certificate (CA:FALSE)
 *         └ leaf-as-ca      a server leaf it "issued"
 *   untrusted-root.pem  "shakedown Untrusted Root"     (not a trust anchor)
 *     └ "shakedown Untrusted Intermediate"
 *         └ unknown-ca      otherwise a good server leaf
 *   all-rsa-root.pem    "shakedown Test All-RSA Root"  (RSA-2048, sha256WithRSAEncryption
 *     │                                                throughout; a separate trust anchor)
 *     └ "shakedown Test All-RSA Intermediate"  (RSA-2048, pathlen 0)
 *         └ leaf-all-rsa    RSA-2048, otherwise as leaf-rsa
 *   An all-RSA chain is what nearly every client accepts, including one whose
 *   signature_algorithms_cert names RSA only: `shakedown serve` presents it by
 *   default, and a client trusts it with -CAfile all-rsa-root.pem. It is no
 *   part of any scenario, so the runs' trust anchor stays root.pem.
 *
 * Files, for each credential NAME:
 *   NAME.chain.pem   the chain as sent, leaf first, then the issuer if it is
 *                    not the root. Loaded as raw PEM blocks (harness/crypto/
 *                    pki.c), so malformed-der's broken DER reaches the peer
 *                    as it is, and empty-chain's file holds no block at all;
 *   NAME.key.pem     the leaf's private key (unencrypted PKCS#8);
 *   NAME.mismatched-key.pem  instead of NAME.key.pem when the key does not
 *                    belong to the leaf on purpose (key-mismatch), so no tool
 *                    mistakes it for a usable pair.
 * And: root.pem, untrusted-root.pem, all-rsa-root.pem; intermediate.pem,
 * intermediate-rsa.pem, all-rsa-intermediate.pem
 * (the CA certificates); root.ca-key.pem, intermediate.ca-key.pem,
 * intermediate-rsa.ca-key.pem (CA keys, for tests that re-issue a
 * certificate without its defect); crl.pem and crl.der (the intermediate's
 * CRL, listing "revoked"); ocsp-leaf.der and ocsp-revoked.der (RFC 6960
 * OCSPResponses from the intermediate for "leaf" and "revoked", to staple:
 * ocsp-NAME.der is what a server presenting NAME staples). And three
 * responses that a driver playing the server staples to "leaf" to test a
 * client's check (a scenario's `staple:`), each wrong in one way only:
 * ocsp-leaf-revoked.der (the leaf's serial, status revoked; the leaf is in
 * no CRL), ocsp-leaf-wrong-serial.der (good, from the leaf's issuer, but for
 * "leaf-p384"'s serial) and ocsp-leaf-stale.der (the leaf, good, but its
 * nextUpdate has passed at the runs' validation time).
 * And claims.txt: for every credential and stapled response, what a peer
 * that verifies it must do (accept, or refuse with which alerts) and the
 * name of its defect, from the table kClaims below; the differential
 * oracle's security-claim check reads it (docs/outcomes.md).
 *
 * Each defective credential has exactly one defect; everything else about
 * it is as good as "leaf" (tests/test_pki.c removes each defect and checks
 * that the result validates). The CAs are valid 2020-01-01..2040-01-01 so
 * that the expired and not-yet-valid leaves are the only certificates out
 * of their validity at any time a test picks; the good leaves are valid
 * 2025-01-01..2035-01-01 and the runs validate at 2026-01-01
 * (SD_PKI_DEFAULT_TIME in harness/crypto/pki.h).
 *
 * Links only BoringSSL's libcrypto. */
#define _POSIX_C_SOURCE 200809L /* mkdir */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/bytestring.h>
#include <openssl/curve25519.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static const char *g_outdir;

static void fail(const char *what) {
    fprintf(stderr, "make_pki: %s\n", what);
    uint32_t e;
    while ((e = ERR_get_error()) != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        fprintf(stderr, "make_pki:   %s\n", buf);
    }
}

/* --- Keys ------------------------------------------------------------------ */

typedef enum { KEY_P256, KEY_P384, KEY_P521, KEY_ED25519, KEY_RSA2048, KEY_RSA1024 } key_type;

static const char kKeyPrefix[] = "shakedown fixture key: ";

/* The EC key named `name` on curve `nid`: d = H("shakedown fixture key: "
 * name) mod n, with H = SHA-256 for P-256 (the hash as long as the order),
 * SHA-384 for P-384 and SHA-512 for P-521 (a 512-bit value is already below
 * the 521-bit order). A zero scalar (probability 2^-256) is reported, not
 * patched. */
static EVP_PKEY *ec_key(const char *name, int nid) {
    uint8_t digest[SHA512_DIGEST_LENGTH];
    size_t digest_len;
    if (nid == NID_secp521r1) {
        SHA512_CTX sha;
        SHA512_Init(&sha);
        SHA512_Update(&sha, kKeyPrefix, sizeof(kKeyPrefix) - 1);
        SHA512_Update(&sha, name, strlen(name));
        SHA512_Final(digest, &sha);
        digest_len = SHA512_DIGEST_LENGTH;
    } else if (nid == NID_X9_62_prime256v1) {
        SHA256_CTX sha;
        SHA256_Init(&sha);
        SHA256_Update(&sha, kKeyPrefix, sizeof(kKeyPrefix) - 1);
        SHA256_Update(&sha, name, strlen(name));
        SHA256_Final(digest, &sha);
        digest_len = SHA256_DIGEST_LENGTH;
    } else {
        SHA512_CTX sha;
        SHA384_Init(&sha);
        SHA384_Update(&sha, kKeyPrefix, sizeof(kKeyPrefix) - 1);
        SHA384_Update(&sha, name, strlen(name));
        SHA384_Final(digest, &sha);
        digest_len = SHA384_DIGEST_LENGTH;
    }

    EVP_PKEY *pkey = NULL;
    EC_KEY *ec = EC_KEY_new_by_curve_name(nid);
    BIGNUM *d = BN_bin2bn(digest, digest_len, NULL);
    BN_CTX *bn_ctx = BN_CTX_new();
    EC_POINT *pub = NULL;
    if (ec == NULL || d == NULL || bn_ctx == NULL) {
        goto out;
    }
    const EC_GROUP *group = EC_KEY_get0_group(ec);
    pub = EC_POINT_new(group);
    if (pub == NULL || !BN_nnmod(d, d, EC_GROUP_get0_order(group), bn_ctx) || BN_is_zero(d) ||
        !EC_KEY_set_private_key(ec, d) || !EC_POINT_mul(group, pub, d, NULL, NULL, bn_ctx) ||
        !EC_KEY_set_public_key(ec, pub) || !EC_KEY_check_key(ec)) {
        goto out;
    }
    pkey = EVP_PKEY_new();
    if (pkey == NULL || !EVP_PKEY_set1_EC_KEY(pkey, ec)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    OPENSSL_cleanse(digest, sizeof(digest));
    EC_POINT_free(pub);
    BN_CTX_free(bn_ctx);
    BN_clear_free(d);
    EC_KEY_free(ec);
    return pkey;
}

/* The Ed25519 key named `name`: RFC 8032 §5.1.5 derives the key pair from a
 * 32-byte seed; ours is SHA-256("shakedown fixture key: " name). */
static EVP_PKEY *ed25519_key(const char *name) {
    uint8_t seed[SHA256_DIGEST_LENGTH];
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, kKeyPrefix, sizeof(kKeyPrefix) - 1);
    SHA256_Update(&sha, name, strlen(name));
    SHA256_Final(seed, &sha);
    EVP_PKEY *pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
    OPENSSL_cleanse(seed, sizeof(seed));
    return pkey;
}

/* A prime of exactly `bits` bits (a multiple of 8, at most 1024) for the
 * RSA key `name`: the candidate is the SHA-256 expansion
 *   SHA-256("shakedown fixture rsa: " name "/" label "/" counter) || ...
 * with the top two bits set (so that p*q has exactly 2*bits bits) and the
 * low bit set, then stepped by 2 until BN_primality_test calls it prime and
 * gcd(e, p-1) = 1 (so that e is invertible, FIPS 186-4 §B.3.1). The
 * primality test's random bases only decide between "prime" and "composite
 * with probability < 2^-80", so the search ends at the same number every
 * time. */
static BIGNUM *derive_prime(const char *name, const char *label, int bits, const BIGNUM *e, BN_CTX *ctx) {
    static const char kPrefix[] = "shakedown fixture rsa: ";
    uint8_t buf[128];
    size_t n = (size_t)bits / 8;
    if (bits % 8 != 0 || n > sizeof(buf)) {
        return NULL;
    }
    for (size_t off = 0, counter = 0; off < n; counter++) {
        uint8_t block[SHA256_DIGEST_LENGTH];
        uint8_t ctr[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8),
                          (uint8_t)counter};
        SHA256_CTX sha;
        SHA256_Init(&sha);
        SHA256_Update(&sha, kPrefix, sizeof(kPrefix) - 1);
        SHA256_Update(&sha, name, strlen(name));
        SHA256_Update(&sha, "/", 1);
        SHA256_Update(&sha, label, strlen(label));
        SHA256_Update(&sha, "/", 1);
        SHA256_Update(&sha, ctr, sizeof(ctr));
        SHA256_Final(block, &sha);
        size_t take = n - off < sizeof(block) ? n - off : sizeof(block);
        memcpy(buf + off, block, take);
        off += take;
    }
    buf[0] |= 0xc0;
    buf[n - 1] |= 0x01;
    BIGNUM *p = BN_bin2bn(buf, n, NULL);
    BIGNUM *p1 = BN_new(), *g = BN_new();
    OPENSSL_cleanse(buf, sizeof(buf));
    bool ok = false;
    while (p != NULL && p1 != NULL && g != NULL && BN_num_bits(p) == (unsigned)bits) {
        int is_prime = 0;
        if (!BN_primality_test(&is_prime, p, BN_prime_checks_for_generation, ctx, 1, NULL)) {
            break;
        }
        if (is_prime) {
            if (!BN_copy(p1, p) || !BN_sub_word(p1, 1) || !BN_gcd(g, p1, e, ctx)) {
                break;
            }
            if (BN_is_one(g)) {
                ok = true;
                break;
            }
        }
        if (!BN_add_word(p, 2)) {
            break;
        }
    }
    BN_free(g);
    BN_free(p1);
    if (!ok) {
        BN_clear_free(p);
        return NULL;
    }
    return p;
}

/* The RSA key named `name` with a `bits`-bit modulus and e = 65537:
 * p and q from derive_prime, d = e^-1 mod lcm(p-1, q-1) (FIPS 186-4
 * §B.3.1), the CRT values from d, and RSA_check_key over the result. */
static EVP_PKEY *rsa_key(const char *name, int bits) {
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *e = BN_new(), *p = NULL, *q = NULL, *n = BN_new(), *d = BN_new();
    BIGNUM *p1 = BN_new(), *q1 = BN_new(), *g = BN_new(), *lcm = BN_new();
    BIGNUM *dmp1 = BN_new(), *dmq1 = BN_new(), *iqmp = BN_new();
    RSA *rsa = NULL;
    EVP_PKEY *pkey = NULL;
    if (ctx == NULL || e == NULL || n == NULL || d == NULL || p1 == NULL || q1 == NULL || g == NULL ||
        lcm == NULL || dmp1 == NULL || dmq1 == NULL || iqmp == NULL || !BN_set_word(e, RSA_F4)) {
        goto out;
    }
    p = derive_prime(name, "p", bits / 2, e, ctx);
    q = derive_prime(name, "q", bits / 2, e, ctx);
    if (p == NULL || q == NULL || BN_cmp(p, q) == 0) {
        goto out;
    }
    if (BN_cmp(p, q) < 0) { /* p > q, the PKCS #1 convention for qInv */
        BIGNUM *t = p;
        p = q;
        q = t;
    }
    if (!BN_mul(n, p, q, ctx) || !BN_copy(p1, p) || !BN_sub_word(p1, 1) || !BN_copy(q1, q) ||
        !BN_sub_word(q1, 1) || !BN_gcd(g, p1, q1, ctx) || !BN_mul(lcm, p1, q1, ctx) ||
        !BN_div(lcm, NULL, lcm, g, ctx) || !BN_mod_inverse(d, e, lcm, ctx) || !BN_mod(dmp1, d, p1, ctx) ||
        !BN_mod(dmq1, d, q1, ctx) || !BN_mod_inverse(iqmp, q, p, ctx) || BN_num_bits(n) != (unsigned)bits) {
        goto out;
    }
    rsa = RSA_new();
    if (rsa == NULL || !RSA_set0_key(rsa, n, e, d)) {
        goto out;
    }
    n = e = d = NULL; /* owned by rsa */
    if (!RSA_set0_factors(rsa, p, q)) {
        goto out;
    }
    p = q = NULL;
    if (!RSA_set0_crt_params(rsa, dmp1, dmq1, iqmp)) {
        goto out;
    }
    dmp1 = dmq1 = iqmp = NULL;
    if (!RSA_check_key(rsa)) {
        goto out;
    }
    pkey = EVP_PKEY_new();
    if (pkey == NULL || !EVP_PKEY_set1_RSA(pkey, rsa)) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
out:
    RSA_free(rsa);
    BN_clear_free(iqmp);
    BN_clear_free(dmq1);
    BN_clear_free(dmp1);
    BN_clear_free(lcm);
    BN_clear_free(g);
    BN_clear_free(q1);
    BN_clear_free(p1);
    BN_clear_free(d);
    BN_free(n);
    BN_clear_free(q);
    BN_clear_free(p);
    BN_free(e);
    BN_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *fixture_key(const char *name, key_type type) {
    EVP_PKEY *key = NULL;
    switch (type) {
    case KEY_P256:
        key = ec_key(name, NID_X9_62_prime256v1);
        break;
    case KEY_P384:
        key = ec_key(name, NID_secp384r1);
        break;
    case KEY_P521:
        key = ec_key(name, NID_secp521r1);
        break;
    case KEY_ED25519:
        key = ed25519_key(name);
        break;
    case KEY_RSA2048:
        key = rsa_key(name, 2048);
        break;
    case KEY_RSA1024:
        key = rsa_key(name, 1024);
        break;
    }
    if (key == NULL) {
        fprintf(stderr, "make_pki: cannot derive the key \"%s\"\n", name);
    }
    return key;
}

/* --- Deterministic signatures ------------------------------------------------- */

/* ECDSA over `tbs` with the hash `md` (FIPS 186-4 §6.4) and the nonce
 * k = SHA-256("shakedown fixture nonce" || d || md(tbs)) mod (n-1) + 1,
 * so that the same key and message always give the same signature. This is
 * sound only because the fixture keys are public anyway; it is not RFC 6979
 * and must never sign with a real key. The CA keys are P-256 and the hashes
 * SHA-256 or SHA-1, never longer than the order, so e needs no truncation.
 * Returns the DER ECDSA-Sig-Value. */
static bool ecdsa_sign(EVP_PKEY *key, const EVP_MD *md, const uint8_t *tbs, size_t tbs_len, uint8_t **out_sig,
                       size_t *out_sig_len) {
    static const char kNonceLabel[] = "shakedown fixture nonce";
    bool ok = false;
    const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(key);
    const EC_GROUP *group = ec != NULL ? EC_KEY_get0_group(ec) : NULL;
    const BIGNUM *d = ec != NULL ? EC_KEY_get0_private_key(ec) : NULL;
    uint8_t h[EVP_MAX_MD_SIZE], kbytes[SHA256_DIGEST_LENGTH], dbytes[32];
    unsigned h_len = 0;
    BN_CTX *bn_ctx = BN_CTX_new();
    BIGNUM *e = BN_new(), *k = BN_new(), *kinv = BN_new(), *r = BN_new(), *s = BN_new();
    BIGNUM *n_minus_1 = BN_new();
    EC_POINT *R = group != NULL ? EC_POINT_new(group) : NULL;
    ECDSA_SIG *sig = NULL;
    if (group == NULL || d == NULL || bn_ctx == NULL || e == NULL || k == NULL || kinv == NULL || r == NULL ||
        s == NULL || n_minus_1 == NULL || R == NULL ||
        EC_GROUP_get_curve_name(group) != NID_X9_62_prime256v1 || EVP_MD_size(md) > 32) {
        goto out;
    }
    const BIGNUM *n = EC_GROUP_get0_order(group);
    if (!EVP_Digest(tbs, tbs_len, h, &h_len, md, NULL) || !BN_bn2bin_padded(dbytes, sizeof(dbytes), d)) {
        goto out;
    }
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, kNonceLabel, sizeof(kNonceLabel) - 1);
    SHA256_Update(&sha, dbytes, sizeof(dbytes));
    SHA256_Update(&sha, h, h_len);
    SHA256_Final(kbytes, &sha);
    /* k in [1, n-1]; e = the hash as an integer. */
    if (!BN_bin2bn(kbytes, sizeof(kbytes), k) || !BN_copy(n_minus_1, n) || !BN_sub_word(n_minus_1, 1) ||
        !BN_nnmod(k, k, n_minus_1, bn_ctx) || !BN_add_word(k, 1) || !BN_bin2bn(h, h_len, e) ||
        !BN_nnmod(e, e, n, bn_ctx)) {
        goto out;
    }
    /* r = x(kG) mod n; s = k^-1 (e + r d) mod n; neither may be zero. */
    if (!EC_POINT_mul(group, R, k, NULL, NULL, bn_ctx) ||
        !EC_POINT_get_affine_coordinates_GFp(group, R, r, NULL, bn_ctx) || !BN_nnmod(r, r, n, bn_ctx) ||
        BN_is_zero(r) || !BN_mod_inverse(kinv, k, n, bn_ctx) || !BN_mod_mul(s, r, d, n, bn_ctx) ||
        !BN_mod_add(s, s, e, n, bn_ctx) || !BN_mod_mul(s, s, kinv, n, bn_ctx) || BN_is_zero(s)) {
        goto out;
    }
    sig = ECDSA_SIG_new();
    if (sig == NULL || !ECDSA_SIG_set0(sig, r, s)) {
        goto out;
    }
    r = NULL; /* owned by sig now */
    s = NULL;
    ok = ECDSA_SIG_to_bytes(out_sig, out_sig_len, sig) == 1;
out:
    OPENSSL_cleanse(dbytes, sizeof(dbytes));
    OPENSSL_cleanse(kbytes, sizeof(kbytes));
    ECDSA_SIG_free(sig);
    EC_POINT_free(R);
    BN_free(n_minus_1);
    BN_free(s);
    BN_free(r);
    BN_clear_free(kinv);
    BN_clear_free(k);
    BN_free(e);
    BN_CTX_free(bn_ctx);
    return ok;
}

/* A signature over `tbs` with `key`: deterministic ECDSA for EC keys,
 * RSASSA-PKCS1-v1_5 (deterministic by construction, RFC 8017 §8.2) for RSA
 * keys. The caller frees *out_sig with OPENSSL_free. */
static bool sign_der(EVP_PKEY *key, const EVP_MD *md, const uint8_t *tbs, size_t tbs_len, uint8_t **out_sig,
                     size_t *out_sig_len) {
    if (EVP_PKEY_id(key) == EVP_PKEY_EC) {
        return ecdsa_sign(key, md, tbs, tbs_len, out_sig, out_sig_len);
    }
    if (EVP_PKEY_id(key) != EVP_PKEY_RSA) {
        return false;
    }
    bool ok = false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    if (ctx == NULL || !EVP_DigestSignInit(ctx, NULL, md, NULL, key) ||
        !EVP_DigestSign(ctx, NULL, &sig_len, tbs, tbs_len) || (sig = OPENSSL_malloc(sig_len)) == NULL ||
        !EVP_DigestSign(ctx, sig, &sig_len, tbs, tbs_len)) {
        OPENSSL_free(sig);
        goto out;
    }
    *out_sig = sig;
    *out_sig_len = sig_len;
    ok = true;
out:
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* The AlgorithmIdentifier for signing with `key` and `md`: parameters
 * absent for ECDSA (RFC 5758 §3.2), NULL for RSA PKCS#1 v1.5 (RFC 4055
 * §5 / RFC 3279 §2.2.1). */
static X509_ALGOR *sig_algor(EVP_PKEY *key, const EVP_MD *md) {
    int sig_nid = NID_undef;
    if (!OBJ_find_sigid_by_algs(&sig_nid, EVP_MD_type(md), EVP_PKEY_id(key))) {
        fprintf(stderr, "make_pki: no signature algorithm for %s with %s\n", OBJ_nid2sn(EVP_MD_type(md)),
                OBJ_nid2sn(EVP_PKEY_id(key)));
        return NULL;
    }
    X509_ALGOR *alg = X509_ALGOR_new();
    int param_type = EVP_PKEY_id(key) == EVP_PKEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF;
    if (alg == NULL || !X509_ALGOR_set0(alg, OBJ_nid2obj(sig_nid), param_type, NULL)) {
        X509_ALGOR_free(alg);
        return NULL;
    }
    return alg;
}

/* Signs x with issuer_key and md: sets the signature algorithm (in the TBS
 * and the outer Certificate), then the signature value over the re-encoded
 * TBS. */
static bool sign_cert(X509 *x, EVP_PKEY *issuer_key, const EVP_MD *md) {
    bool ok = false;
    uint8_t *tbs = NULL, *sig = NULL;
    size_t sig_len = 0;
    X509_ALGOR *alg = sig_algor(issuer_key, md);
    if (alg == NULL || !X509_set1_signature_algo(x, alg)) {
        goto out;
    }
    int tbs_len = i2d_re_X509_tbs(x, &tbs);
    if (tbs_len <= 0 || !sign_der(issuer_key, md, tbs, (size_t)tbs_len, &sig, &sig_len) ||
        !X509_set1_signature_value(x, sig, sig_len)) {
        goto out;
    }
    ok = true;
out:
    OPENSSL_free(sig);
    OPENSSL_free(tbs);
    X509_ALGOR_free(alg);
    return ok;
}

/* --- Certificates ---------------------------------------------------------------- */

typedef struct {
    const char *cn;         /* subject commonName */
    const char *san;        /* subjectAltName value, e.g. "DNS:x"; NULL for none */
    const char *not_before; /* UTCTime "YYMMDDHHMMSSZ" (RFC 5280 §4.1.2.5.1: until 2049) */
    const char *not_after;
    long serial;               /* unique per issuer, positive (RFC 5280 §4.1.2.2) */
    const char *basic;         /* basicConstraints */
    const char *key_usage;     /* keyUsage; NULL for none */
    const char *ext_key_usage; /* extendedKeyUsage; NULL for none */
} cert_spec;

static bool add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value) {
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    bool ok = ext != NULL && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (!ok) {
        fprintf(stderr, "make_pki: cannot add extension %s = %s\n", OBJ_nid2sn(nid), value);
    }
    return ok;
}

/* An extension no implementation knows, marked critical. The OID lies
 * under IANA's private enterprise number 32473, which RFC 5612 reserves for
 * examples in documentation, so it names nothing; the value is a
 * UTF8String saying so. */
#define UNKNOWN_EXTENSION_OID "1.3.6.1.4.1.32473.1"
static bool add_unknown_critical_ext(X509 *x) {
    static const char kText[] = "shakedown: deliberately unknown critical extension";
    uint8_t value[2 + sizeof(kText) - 1];
    value[0] = CBS_ASN1_UTF8STRING;
    value[1] = (uint8_t)(sizeof(kText) - 1);
    memcpy(value + 2, kText, sizeof(kText) - 1);
    ASN1_OBJECT *obj = OBJ_txt2obj(UNKNOWN_EXTENSION_OID, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *ext = NULL;
    bool ok = obj != NULL && os != NULL && ASN1_OCTET_STRING_set(os, value, (int)sizeof(value)) &&
              (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os)) != NULL && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok;
}

static bool set_time(ASN1_TIME *t, const char *utc) { return ASN1_TIME_set_string(t, utc) == 1; }

/* A v3 certificate for subject_key, issued by issuer (NULL: self-signed)
 * and signed with md. */
static X509 *make_cert(const cert_spec *spec, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key,
                       const EVP_MD *md, bool unknown_critical) {
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    ASN1_TIME *nb = ASN1_TIME_new(), *na = ASN1_TIME_new();
    bool ok = false;
    if (x == NULL || name == NULL || nb == NULL || na == NULL) {
        goto out;
    }
    if (!X509_set_version(x, X509_VERSION_3) || !ASN1_INTEGER_set(X509_get_serialNumber(x), spec->serial) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const uint8_t *)spec->cn, -1, -1, 0) ||
        !X509_set_subject_name(x, name) ||
        !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) ||
        !set_time(nb, spec->not_before) || !set_time(na, spec->not_after) || !X509_set1_notBefore(x, nb) ||
        !X509_set1_notAfter(x, na) || !X509_set_pubkey(x, subject_key)) {
        goto out;
    }
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    /* RFC 5280 §4.2.1.9 basicConstraints, §4.2.1.3 keyUsage, §4.2.1.12
     * extKeyUsage, §4.2.1.6 subjectAltName, §4.2.1.2 subjectKeyIdentifier
     * ("MUST appear in all conforming CA certificates"), §4.2.1.1
     * authorityKeyIdentifier ("MUST be included in all certificates
     * generated by conforming CAs", self-signed ones excepted; we include it
     * there too, as most CAs do). */
    if (!add_ext(x, &ctx, NID_basic_constraints, spec->basic) ||
        (spec->key_usage != NULL && !add_ext(x, &ctx, NID_key_usage, spec->key_usage)) ||
        (spec->ext_key_usage != NULL && !add_ext(x, &ctx, NID_ext_key_usage, spec->ext_key_usage)) ||
        (spec->san != NULL && !add_ext(x, &ctx, NID_subject_alt_name, spec->san)) ||
        !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
        (unknown_critical && !add_unknown_critical_ext(x))) {
        goto out;
    }
    if (!sign_cert(x, issuer_key, md)) {
        goto out;
    }
    /* Self-check: the signature we computed must verify. */
    if (X509_verify(x, issuer_key) != 1) {
        fprintf(stderr, "make_pki: self-check failed: the signature on \"%s\" does not verify\n", spec->cn);
        goto out;
    }
    ok = true;
out:
    ASN1_TIME_free(na);
    ASN1_TIME_free(nb);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* RFC 5280 §4.1.1.3 signatureValue: flips the lowest bit of the last byte
 * of the DER ECDSA-Sig-Value (the low bit of s). The structure stays
 * well-formed DER, so the defect is "a signature that does not verify", not
 * "a certificate that does not parse". */
static bool flip_signature_bit(X509 *x) {
    const ASN1_BIT_STRING *sig = NULL;
    X509_get0_signature(&sig, NULL, x);
    if (sig == NULL || ASN1_STRING_length(sig) <= 0) {
        return false;
    }
    size_t len = (size_t)ASN1_STRING_length(sig);
    uint8_t *copy = OPENSSL_malloc(len);
    if (copy == NULL) {
        return false;
    }
    memcpy(copy, ASN1_STRING_get0_data(sig), len);
    copy[len - 1] ^= 0x01;
    bool ok = X509_set1_signature_value(x, copy, len) == 1;
    OPENSSL_free(copy);
    return ok;
}

/* --- Output ---------------------------------------------------------------------- */

static bool mkdir_p(const char *dir) {
    char path[1024];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof(path)) {
        return false;
    }
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char c = path[i];
            path[i] = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST) {
                fprintf(stderr, "make_pki: cannot create %s: %s\n", path, strerror(errno));
                return false;
            }
            path[i] = c;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "make_pki: %s is not a directory\n", dir);
        return false;
    }
    return true;
}

/* Writes `len` bytes to OUTDIR/file through a temp file and a rename, so a
 * reader never sees half a file. */
static bool write_bytes(const char *file, const uint8_t *data, size_t len) {
    char path[1100], tmp[1100];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", g_outdir, file) >= sizeof(path) ||
        (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", g_outdir, file) >= sizeof(tmp)) {
        fprintf(stderr, "make_pki: output path too long\n");
        return false;
    }
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        fprintf(stderr, "make_pki: cannot write %s: %s\n", tmp, strerror(errno));
        return false;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "make_pki: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return false;
    }
    printf("make_pki: wrote %s\n", path);
    return true;
}

static bool write_file(const char *file, BIO *bio) {
    const uint8_t *data = NULL;
    size_t len = 0;
    if (!BIO_mem_contents(bio, &data, &len)) {
        fail("cannot read a memory BIO");
        return false;
    }
    return write_bytes(file, data, len);
}

typedef struct {
    const uint8_t *der; /* raw bytes for this block, or NULL to encode the X509 */
    size_t len;
} raw_block;

/* Certificates as PEM blocks, in order, after an optional comment. A block
 * whose raw[i].der is set is written as those bytes, parseable or not. */
static bool write_certs_raw(const char *file, X509 *const *certs, const raw_block *raw, size_t n,
                            const char *comment) {
    BIO *bio = BIO_new(BIO_s_mem());
    bool ok = bio != NULL;
    if (ok && comment != NULL) {
        /* Text outside PEM blocks is ignored by PEM readers. */
        ok = BIO_puts(bio, comment) > 0;
    }
    for (size_t i = 0; ok && i < n; i++) {
        if (raw != NULL && raw[i].der != NULL) {
            ok = PEM_write_bio(bio, "CERTIFICATE", "", raw[i].der, (long)raw[i].len) > 0;
        } else {
            ok = PEM_write_bio_X509(bio, certs[i]) == 1;
        }
    }
    ok = ok && write_file(file, bio);
    BIO_free(bio);
    if (!ok) {
        fprintf(stderr, "make_pki: cannot write %s\n", file);
    }
    return ok;
}

static bool write_certs(const char *file, X509 *const *certs, size_t n) {
    return write_certs_raw(file, certs, NULL, n, NULL);
}

static bool write_key(const char *file, EVP_PKEY *key) {
    BIO *bio = BIO_new(BIO_s_mem());
    /* Unencrypted PKCS#8 ("PRIVATE KEY"). */
    bool ok = bio != NULL && PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
              write_file(file, bio);
    BIO_free(bio);
    if (!ok) {
        fprintf(stderr, "make_pki: cannot write %s\n", file);
    }
    return ok;
}

/* --- The fixture --------------------------------------------------------------------- */

#define CA_NOT_BEFORE "200101000000Z"   /* 2020-01-01 */
#define CA_NOT_AFTER "400101000000Z"    /* 2040-01-01 */
#define GOOD_NOT_BEFORE "250101000000Z" /* 2025-01-01 */
#define GOOD_NOT_AFTER "350101000000Z"  /* 2035-01-01 */

#define CA_BASIC "critical,CA:TRUE"
#define INTERMEDIATE_BASIC "critical,CA:TRUE,pathlen:0"
#define CA_KEY_USAGE "critical,keyCertSign,cRLSign"
#define LEAF_BASIC "critical,CA:FALSE"
#define LEAF_KEY_USAGE "critical,digitalSignature"
/* RSA server leaves also decrypt the TLS 1.2 static-RSA premaster secret
 * (RFC 5280 §4.2.1.3 keyEncipherment; RFC 5246 §7.4.2). */
#define RSA_LEAF_KEY_USAGE "critical,digitalSignature,keyEncipherment"
#define SERVER_EKU "serverAuth,clientAuth"
#define CLIENT_EKU "clientAuth"
#define SERVER_SAN "DNS:server.shakedown.test"
#define SERVER_CN "server.shakedown.test"
#define CLIENT_CN "client.shakedown.test"

/* A good server leaf under `serial`: the template every defect starts from. */
#define GOOD_SERVER(serial) \
    { SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, serial, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU }

typedef enum {
    ISSUER_INTERMEDIATE,     /* "shakedown Test Intermediate" */
    ISSUER_INTERMEDIATE_RSA, /* "shakedown Test RSA Intermediate" */
    ISSUER_UNTRUSTED,        /* "shakedown Untrusted Intermediate" */
    ISSUER_END_ENTITY,       /* "issuer.shakedown.test", an end-entity certificate */
} issuer_id;

/* How a credential departs from a good one (besides its cert_spec). */
enum {
    D_FLIP_SIGNATURE = 1 << 0,   /* one bit of the signature flipped */
    D_LEAF_ONLY = 1 << 1,        /* the chain file holds the leaf alone */
    D_CORRUPT_DER = 1 << 2,      /* the leaf's DER made unparseable */
    D_EMPTY_CHAIN = 1 << 3,      /* no certificate at all */
    D_UNKNOWN_CRITICAL = 1 << 4, /* an unknown extension marked critical */
    D_MISMATCHED_KEY = 1 << 5,   /* the key file holds another key than the leaf's */
};

typedef struct {
    const char *name; /* credential name: file stem and key name */
    key_type key;     /* the leaf's key type */
    issuer_id issuer;
    const EVP_MD *(*md)(void); /* the issuer's signature hash; NULL: SHA-256 */
    unsigned defects;          /* D_* */
    cert_spec spec;
} credential_spec;

static const credential_spec kCredentials[] = {
    /* --- Good credentials: one per key type, all issued by the intermediate. */

    /* The good server credential every positive scenario uses. */
    {"leaf", KEY_P256, ISSUER_INTERMEDIATE, NULL, 0, GOOD_SERVER(16)},
    {"leaf-p384", KEY_P384, ISSUER_INTERMEDIATE, NULL, 0, GOOD_SERVER(23)},
    /* rsa_pss_rsae_* in TLS 1.3 (RFC 8446 §4.2.3: rsaEncryption keys), and
     * static RSA / ECDHE_RSA in TLS 1.2. */
    {"leaf-rsa",
     KEY_RSA2048,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 24, LEAF_BASIC, RSA_LEAF_KEY_USAGE,
      SERVER_EKU}},
    {"leaf-ed25519", KEY_ED25519, ISSUER_INTERMEDIATE, NULL, 0, GOOD_SERVER(25)},
    /* ecdsa_secp521r1_sha512 (RFC 8446 §4.2.3); TLS 1.2 ECDHE_ECDSA. */
    {"leaf-p521", KEY_P521, ISSUER_INTERMEDIATE, NULL, 0, GOOD_SERVER(40)},
    /* The good client credentials: RFC 5280 §4.2.1.12 id-kp-clientAuth only. */
    {"client",
     KEY_P256,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {CLIENT_CN, NULL, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 22, LEAF_BASIC, LEAF_KEY_USAGE, CLIENT_EKU}},
    {"client-rsa",
     KEY_RSA2048,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {CLIENT_CN, NULL, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 26, LEAF_BASIC, LEAF_KEY_USAGE, CLIENT_EKU}},
    {"client-ed25519",
     KEY_ED25519,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {CLIENT_CN, NULL, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 27, LEAF_BASIC, LEAF_KEY_USAGE, CLIENT_EKU}},
    {"client-p384",
     KEY_P384,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {CLIENT_CN, NULL, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 41, LEAF_BASIC, LEAF_KEY_USAGE, CLIENT_EKU}},
    {"client-p521",
     KEY_P521,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {CLIENT_CN, NULL, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 42, LEAF_BASIC, LEAF_KEY_USAGE, CLIENT_EKU}},

    /* --- Defective server credentials, one defect each. These names are an
     * interface: scenario files name them. */

    /* RFC 5280 §4.1.2.5 / §6.1.3 (a)(2): "The certificate validity period
     * includes the current time" fails: notAfter (2021-01-01) is before any
     * validation time a run uses. */
    {"expired",
     KEY_P256,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {SERVER_CN, SERVER_SAN, "200101000000Z", "210101000000Z", 17, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU}},
    /* RFC 5280 §4.1.2.5 / §6.1.3 (a)(2) the other way round: notBefore
     * (2030-01-01) is after the validation time. */
    {"not-yet-valid",
     KEY_P256,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {SERVER_CN, SERVER_SAN, "300101000000Z", "350101000000Z", 18, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU}},
    /* A valid RFC 5280 path, but its §4.2.1.6 subjectAltName (and CN) name
     * another host: the server identity check of RFC 6125 §6 (now RFC 9525)
     * fails for server.shakedown.test. Not an RFC 5280 defect as such: path
     * validation does not look at names. */
    {"wrong-name",
     KEY_P256,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {"other.shakedown.test", "DNS:other.shakedown.test", GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 19, LEAF_BASIC,
      LEAF_KEY_USAGE, SERVER_EKU}},
    /* RFC 5280 §6.1: a path must begin at a trust anchor (§6.1.1 (d)); this
     * chain ends at "shakedown Untrusted Root", which no run trusts. */
    {"unknown-ca", KEY_P256, ISSUER_UNTRUSTED, NULL, 0, GOOD_SERVER(20)},
    /* RFC 5280 §6.1.3 (a)(1): "The signature on the certificate can be
     * verified using working_public_key_algorithm, the working_public_key,
     * and the working_public_key_parameters" fails: one bit of the
     * signatureValue (§4.1.1.3) is flipped after signing. */
    {"bad-signature", KEY_P256, ISSUER_INTERMEDIATE, NULL, D_FLIP_SIGNATURE, GOOD_SERVER(21)},
    /* RFC 5280 §6.1.4 (k): for every certificate but the last, "verify that
     * the certificate is a CA certificate (as specified in a
     * basicConstraints extension or as verified out-of-band)", and §4.2.1.9:
     * without cA "the certified public key MUST NOT be used to verify
     * certificate signatures". The leaf's issuer "issuer.shakedown.test" is
     * an ordinary server certificate (CA:FALSE, digitalSignature). It is
     * issued by the root, not the intermediate: under the intermediate's
     * pathlen:0 it would break §6.1.4 (l) too, and removing the defect
     * (making the issuer a CA) would leave that second one. */
    {"leaf-as-ca", KEY_P256, ISSUER_END_ENTITY, NULL, 0, GOOD_SERVER(16)},
    /* A CA certificate (basicConstraints cA TRUE, keyCertSign) presented as
     * the server's end-entity certificate. RFC 5280 §4.2.1.9 / §4.2.1.3 make
     * cA and keyCertSign the marks of a certificate whose key signs
     * certificates; such a key is not a TLS server's key (CA/Browser Forum
     * Baseline Requirements §7.1.2.7.8: subscriber certificates "cA MUST be
     * false"). It also asserts digitalSignature, so the CA flag is its only
     * defect. Path validation alone accepts it (§6.1 checks cA only on
     * intermediates): the harness rejects it by policy. */
    {"ca-as-leaf",
     KEY_P256,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 28, CA_BASIC,
      "critical,digitalSignature,keyCertSign,cRLSign", SERVER_EKU}},
    /* RFC 5280 §4.2.1.3: keyUsage without digitalSignature ("asserted when
     * the subject public key is used for verifying digital signatures");
     * this ECDSA key may only be used for keyEncipherment, which an ECDSA
     * key cannot even do. RFC 8446 §4.4.2.2: "the digitalSignature bit MUST
     * be set if the Key Usage extension is present". */
    {"wrong-key-usage",
     KEY_P256,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 29, LEAF_BASIC, "critical,keyEncipherment",
      SERVER_EKU}},
    /* RFC 5280 §4.2.1.12: "If the extension is present, then the
     * certificate MUST only be used for one of the purposes indicated";
     * this one names id-kp-clientAuth only and is presented by a server
     * (id-kp-serverAuth is "TLS WWW server authentication"). */
    {"wrong-eku",
     KEY_P256,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 30, LEAF_BASIC, LEAF_KEY_USAGE, CLIENT_EKU}},
    /* RFC 5280 §6.1: the path is root -> intermediate -> leaf and the
     * relying party has only the root; the chain file (and so the
     * Certificate message) holds the leaf alone (RFC 8446 §4.4.2: the
     * sender's certificate list "MUST" let the peer build the path, the
     * intermediate included). */
    {"missing-intermediate", KEY_P256, ISSUER_INTERMEDIATE, NULL, D_LEAF_ONLY, GOOD_SERVER(31)},
    /* RFC 5280 §4.1: a Certificate is DER; this leaf's tbsCertificate
     * length claims one byte more than there is, so nothing after it parses
     * (byte 7, the low byte of the tbsCertificate's two-byte length, is one
     * too high; tests undo exactly that). The PEM block is intact: the
     * broken DER is what the peer receives. */
    {"malformed-der", KEY_P256, ISSUER_INTERMEDIATE, NULL, D_CORRUPT_DER, GOOD_SERVER(32)},
    /* RFC 5280 §6.1 needs a certification path of at least one
     * certificate; RFC 8446 §4.4.2.4: "If the server supplies an empty
     * Certificate message, the client MUST abort the handshake with a
     * "decode_error" alert". empty-chain.chain.pem holds no PEM block; the
     * key file holds a key of its own, so a trace can still make a
     * CertificateVerify. */
    {"empty-chain", KEY_P256, ISSUER_INTERMEDIATE, NULL, D_EMPTY_CHAIN, GOOD_SERVER(0)},
    /* RFC 5280 §4.2: "A certificate-using system MUST reject the
     * certificate if it encounters a critical extension it does not
     * recognize or a critical extension that contains information that it
     * cannot process." (UNKNOWN_EXTENSION_OID.) */
    {"unknown-critical-extension", KEY_P256, ISSUER_INTERMEDIATE, NULL, D_UNKNOWN_CRITICAL, GOOD_SERVER(33)},
    /* An RSA-1024 leaf. RFC 5280 sets no key size (§4.1.2.7 defers to RFC
     * 3279/4055); the rule it breaks is policy: NIST SP 800-131A Rev. 2
     * §2 disallows RSA keys under 2048 bits for signatures since 2013, and
     * the CA/Browser Forum BRs §6.1.5 require 2048. The harness's verifier
     * rejects RSA under 2048 bits (SD_PKI_MIN_RSA_BITS). Key usage as
     * leaf-rsa, whose key removes the defect. */
    {"weak-key",
     KEY_RSA1024,
     ISSUER_INTERMEDIATE,
     NULL,
     0,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 34, LEAF_BASIC, RSA_LEAF_KEY_USAGE,
      SERVER_EKU}},
    /* Signed with sha1WithRSAEncryption (RFC 3279 §2.2.1) by the RSA
     * intermediate. RFC 5280 §4.1.1.2 allows any algorithm; RFC 8446
     * §4.4.2.4: "SHA-1 is deprecated, and it is RECOMMENDED that any
     * endpoint receiving any certificate which it would need to validate
     * using any signature algorithm using a SHA-1 hash abort the handshake
     * with a "bad_certificate" alert." (RFC 9155 deprecates it in TLS 1.2
     * too.) */
    {"sha1-signature", KEY_P256, ISSUER_INTERMEDIATE_RSA, EVP_sha1, 0, GOOD_SERVER(16)},
    /* Signed with md5WithRSAEncryption (RFC 3279 §2.2.1; RFC 6151 §2: MD5
     * is not collision resistant). RFC 8446 §4.4.2.4: "Any endpoint
     * receiving any certificate which it would need to validate using any
     * signature algorithm using an MD5 hash MUST abort the handshake with a
     * "bad_certificate" alert." */
    {"md5-signature", KEY_P256, ISSUER_INTERMEDIATE_RSA, EVP_md5, 0, GOOD_SERVER(17)},
    /* A good chain whose key file holds another key: the certificate
     * carries "leaf"'s public key, key-mismatch.mismatched-key.pem the key
     * named "key-mismatch". No RFC 5280 rule is broken (path validation
     * never sees the private key): the peer's CertificateVerify does not
     * verify with the certified key, and RFC 8446 §4.4.3 says "If the
     * verification fails, the receiver MUST terminate the handshake with a
     * "decrypt_error" alert." */
    {"key-mismatch", KEY_P256, ISSUER_INTERMEDIATE, NULL, D_MISMATCHED_KEY, GOOD_SERVER(35)},
    /* RFC 5280 §6.3 / §5.3.3 (and RFC 6960 §2.2 "revoked"): listed as
     * revoked (keyCompromise, 2025-06-01) in the intermediate's CRL
     * (crl.pem) and in ocsp-revoked.der. Valid in every other respect, and
     * valid when no revocation source is consulted. */
    {"revoked", KEY_P256, ISSUER_INTERMEDIATE, NULL, 0, GOOD_SERVER(36)},
};

#define REVOCATION_TIME_UTC "250601000000Z"   /* 2025-06-01, CRL (UTCTime) */
#define REVOCATION_TIME_GEN "20250601000000Z" /* the same, OCSP (GeneralizedTime) */
#define STATUS_THIS_UPDATE_UTC "250601000000Z"
#define STATUS_THIS_UPDATE_GEN "20250601000000Z"
#define STATUS_NEXT_UPDATE_UTC "350101000000Z" /* as long as the good leaves */
#define STATUS_NEXT_UPDATE_GEN "20350101000000Z"
/* ocsp-leaf-stale.der: a month of validity that ended before the runs'
 * validation time (2026-01-01). */
#define STALE_NEXT_UPDATE_GEN "20250701000000Z"
#define CRL_REASON_KEY_COMPROMISE 1 /* RFC 5280 §5.3.1 */

typedef struct {
    EVP_PKEY *root_key, *int_key, *int_rsa_key, *ee_issuer_key;
    X509 *root, *intermediate, *intermediate_rsa, *ee_issuer;
} hierarchy;

static void hierarchy_free(hierarchy *h) {
    X509_free(h->ee_issuer);
    X509_free(h->intermediate_rsa);
    X509_free(h->intermediate);
    X509_free(h->root);
    EVP_PKEY_free(h->ee_issuer_key);
    EVP_PKEY_free(h->int_rsa_key);
    EVP_PKEY_free(h->int_key);
    EVP_PKEY_free(h->root_key);
    memset(h, 0, sizeof(*h));
}

static bool make_hierarchy(hierarchy *h, const char *root_name, const char *root_cn, const char *int_name,
                           const char *int_cn) {
    memset(h, 0, sizeof(*h));
    const cert_spec root_spec = {root_cn, NULL, CA_NOT_BEFORE, CA_NOT_AFTER, 1, CA_BASIC, CA_KEY_USAGE, NULL};
    const cert_spec int_spec = {int_cn,       NULL, CA_NOT_BEFORE, CA_NOT_AFTER, 2, INTERMEDIATE_BASIC,
                                CA_KEY_USAGE, NULL};
    h->root_key = fixture_key(root_name, KEY_P256);
    h->int_key = fixture_key(int_name, KEY_P256);
    if (h->root_key == NULL || h->int_key == NULL) {
        hierarchy_free(h);
        return false;
    }
    h->root = make_cert(&root_spec, h->root_key, NULL, h->root_key, EVP_sha256(), false);
    h->intermediate =
        h->root != NULL ? make_cert(&int_spec, h->int_key, h->root, h->root_key, EVP_sha256(), false) : NULL;
    if (h->intermediate == NULL) {
        fprintf(stderr, "make_pki: cannot make the CAs \"%s\" and \"%s\"\n", root_cn, int_cn);
        hierarchy_free(h);
        return false;
    }
    return true;
}

/* The trusted hierarchy's other issuers: the RSA intermediate and the
 * end-entity certificate that "issues" leaf-as-ca, both under the root. */
static bool make_extra_issuers(hierarchy *h) {
    const cert_spec rsa_spec = {"shakedown Test RSA Intermediate",
                                NULL,
                                CA_NOT_BEFORE,
                                CA_NOT_AFTER,
                                3,
                                INTERMEDIATE_BASIC,
                                CA_KEY_USAGE,
                                NULL};
    /* An ordinary server certificate: nothing in it says CA. */
    const cert_spec ee_spec = {"issuer.shakedown.test",
                               "DNS:issuer.shakedown.test",
                               GOOD_NOT_BEFORE,
                               GOOD_NOT_AFTER,
                               4,
                               LEAF_BASIC,
                               LEAF_KEY_USAGE,
                               SERVER_EKU};
    h->int_rsa_key = fixture_key("intermediate-rsa", KEY_RSA2048);
    h->ee_issuer_key = fixture_key("leaf-as-issuer", KEY_P256);
    if (h->int_rsa_key == NULL || h->ee_issuer_key == NULL) {
        return false;
    }
    h->intermediate_rsa = make_cert(&rsa_spec, h->int_rsa_key, h->root, h->root_key, EVP_sha256(), false);
    h->ee_issuer = make_cert(&ee_spec, h->ee_issuer_key, h->root, h->root_key, EVP_sha256(), false);
    return h->intermediate_rsa != NULL && h->ee_issuer != NULL;
}

/* The all-RSA hierarchy: root and intermediate keys RSA-2048, every
 * signature sha256WithRSAEncryption. In the hierarchy struct's root and
 * intermediate slots, so that make_credential's ISSUER_INTERMEDIATE issues
 * from it. */
static bool make_all_rsa_hierarchy(hierarchy *h) {
    memset(h, 0, sizeof(*h));
    const cert_spec root_spec = {
        "shakedown Test All-RSA Root", NULL, CA_NOT_BEFORE, CA_NOT_AFTER, 1, CA_BASIC, CA_KEY_USAGE, NULL};
    const cert_spec int_spec = {"shakedown Test All-RSA Intermediate",
                                NULL,
                                CA_NOT_BEFORE,
                                CA_NOT_AFTER,
                                2,
                                INTERMEDIATE_BASIC,
                                CA_KEY_USAGE,
                                NULL};
    h->root_key = fixture_key("all-rsa-root", KEY_RSA2048);
    h->int_key = fixture_key("all-rsa-intermediate", KEY_RSA2048);
    if (h->root_key != NULL && h->int_key != NULL) {
        h->root = make_cert(&root_spec, h->root_key, NULL, h->root_key, EVP_sha256(), false);
        h->intermediate = h->root != NULL
                              ? make_cert(&int_spec, h->int_key, h->root, h->root_key, EVP_sha256(), false)
                              : NULL;
    }
    if (h->intermediate == NULL) {
        fprintf(stderr, "make_pki: cannot make the all-RSA CAs\n");
        hierarchy_free(h);
        return false;
    }
    return true;
}

/* The server credential of the all-RSA hierarchy: a good RSA server leaf
 * (as leaf-rsa) under its intermediate. */
static const credential_spec kAllRsaLeaf = {
    "leaf-all-rsa",
    KEY_RSA2048,
    ISSUER_INTERMEDIATE,
    NULL,
    0,
    {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 3, LEAF_BASIC, RSA_LEAF_KEY_USAGE, SERVER_EKU}};

/* RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE ...}.
 * Both lengths of a fixture leaf take two bytes (30 82 hi lo 30 82 hi lo);
 * adds one to the tbsCertificate's length. */
static bool corrupt_der(uint8_t *der, size_t len) {
    if (len < 8 || der[0] != 0x30 || der[1] != 0x82 || der[4] != 0x30 || der[5] != 0x82 || der[7] == 0xff) {
        return false;
    }
    der[7]++;
    return true;
}

static bool make_credential(const credential_spec *c, const hierarchy *h, const hierarchy *untrusted,
                            X509 **out_leaf) {
    char file[128];
    bool ok = false;
    X509 *leaf = NULL, *issuer = NULL;
    EVP_PKEY *issuer_key = NULL, *key = NULL, *cert_key = NULL;
    uint8_t *der = NULL;
    switch (c->issuer) {
    case ISSUER_INTERMEDIATE:
        issuer = h->intermediate;
        issuer_key = h->int_key;
        break;
    case ISSUER_INTERMEDIATE_RSA:
        issuer = h->intermediate_rsa;
        issuer_key = h->int_rsa_key;
        break;
    case ISSUER_UNTRUSTED:
        issuer = untrusted->intermediate;
        issuer_key = untrusted->int_key;
        break;
    case ISSUER_END_ENTITY:
        issuer = h->ee_issuer;
        issuer_key = h->ee_issuer_key;
        break;
    }
    key = fixture_key(c->name, c->key);
    if (key == NULL) {
        goto out;
    }
    if (c->defects & D_EMPTY_CHAIN) {
        snprintf(file, sizeof(file), "%s.chain.pem", c->name);
        ok = write_certs_raw(file, NULL, NULL, 0,
                             "empty-chain: deliberately no certificate (corpus/pki/make_pki.c)\n") &&
             (snprintf(file, sizeof(file), "%s.key.pem", c->name), write_key(file, key));
        goto out;
    }
    /* key-mismatch: the certificate certifies "leaf"'s key. */
    cert_key = (c->defects & D_MISMATCHED_KEY) ? fixture_key("leaf", KEY_P256) : key;
    if (cert_key == NULL) {
        goto out;
    }
    leaf = make_cert(&c->spec, cert_key, issuer, issuer_key, c->md != NULL ? c->md() : EVP_sha256(),
                     (c->defects & D_UNKNOWN_CRITICAL) != 0);
    if (leaf == NULL) {
        fprintf(stderr, "make_pki: cannot make the credential \"%s\"\n", c->name);
        goto out;
    }
    if (c->defects & D_FLIP_SIGNATURE) {
        if (!flip_signature_bit(leaf) || X509_verify(leaf, issuer_key) == 1) {
            fprintf(stderr, "make_pki: cannot spoil the signature of \"%s\"\n", c->name);
            goto out;
        }
        ERR_clear_error(); /* the failed X509_verify above is the intent */
    }
    X509 *chain[2] = {leaf, issuer};
    raw_block raw[2] = {{NULL, 0}, {NULL, 0}};
    if (c->defects & D_CORRUPT_DER) {
        int len = i2d_X509(leaf, &der);
        if (len <= 0 || !corrupt_der(der, (size_t)len)) {
            fprintf(stderr, "make_pki: cannot corrupt the DER of \"%s\"\n", c->name);
            goto out;
        }
        raw[0].der = der;
        raw[0].len = (size_t)len;
    }
    snprintf(file, sizeof(file), "%s.chain.pem", c->name);
    if (!write_certs_raw(file, chain, raw, (c->defects & D_LEAF_ONLY) ? 1 : 2, NULL)) {
        goto out;
    }
    snprintf(file, sizeof(file), (c->defects & D_MISMATCHED_KEY) ? "%s.mismatched-key.pem" : "%s.key.pem",
             c->name);
    ok = write_key(file, key);
    if (ok && out_leaf != NULL) {
        *out_leaf = leaf;
        leaf = NULL;
    }
out:
    OPENSSL_free(der);
    X509_free(leaf);
    if (cert_key != key) {
        EVP_PKEY_free(cert_key);
    }
    EVP_PKEY_free(key);
    if (!ok) {
        fprintf(stderr, "make_pki: cannot make the credential \"%s\"\n", c->name);
    }
    return ok;
}

/* --- Revocation: CRL (RFC 5280 §5) ---------------------------------------------------- */

/* The intermediate's v2 CRL listing `revoked` (keyCompromise). RFC 5280
 * §5.2.1 authorityKeyIdentifier and §5.2.3 cRLNumber are included ("MUST"
 * for conforming CAs); thisUpdate/nextUpdate bracket every validation time
 * the tests use. Written as crl.pem (for tools) and crl.der (for the
 * harness). */
static bool make_crl(const hierarchy *h, X509 *revoked) {
    bool ok = false;
    X509_CRL *crl = X509_CRL_new();
    X509_REVOKED *rev = X509_REVOKED_new();
    ASN1_TIME *this_update = ASN1_TIME_new(), *next_update = ASN1_TIME_new(), *rev_time = ASN1_TIME_new();
    ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
    ASN1_INTEGER *number = ASN1_INTEGER_new();
    X509_EXTENSION *akid = NULL;
    X509_ALGOR *alg = NULL;
    uint8_t *tbs = NULL, *sig = NULL, *der = NULL;
    size_t sig_len = 0;
    BIO *bio = NULL;
    if (crl == NULL || rev == NULL || this_update == NULL || next_update == NULL || rev_time == NULL ||
        reason == NULL || number == NULL) {
        goto out;
    }
    if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
        !X509_CRL_set_issuer_name(crl, X509_get_subject_name(h->intermediate)) ||
        !set_time(this_update, STATUS_THIS_UPDATE_UTC) || !set_time(next_update, STATUS_NEXT_UPDATE_UTC) ||
        !X509_CRL_set1_lastUpdate(crl, this_update) || !X509_CRL_set1_nextUpdate(crl, next_update)) {
        goto out;
    }
    /* §5.3.1 reasonCode. */
    if (!set_time(rev_time, REVOCATION_TIME_UTC) ||
        !X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(revoked)) ||
        !X509_REVOKED_set_revocationDate(rev, rev_time) ||
        !ASN1_ENUMERATED_set(reason, CRL_REASON_KEY_COMPROMISE) ||
        !X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) || !X509_CRL_add0_revoked(crl, rev)) {
        goto out;
    }
    rev = NULL; /* owned by crl */
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, h->intermediate, NULL, NULL, crl, 0);
    akid = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (akid == NULL || !X509_CRL_add_ext(crl, akid, -1) || !ASN1_INTEGER_set(number, 1) ||
        !X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0)) {
        goto out;
    }
    alg = sig_algor(h->int_key, EVP_sha256());
    if (alg == NULL || !X509_CRL_set1_signature_algo(crl, alg)) {
        goto out;
    }
    int tbs_len = i2d_re_X509_CRL_tbs(crl, &tbs);
    if (tbs_len <= 0 || !sign_der(h->int_key, EVP_sha256(), tbs, (size_t)tbs_len, &sig, &sig_len) ||
        !X509_CRL_set1_signature_value(crl, sig, sig_len) || X509_CRL_verify(crl, h->int_key) != 1) {
        goto out;
    }
    int der_len = i2d_X509_CRL(crl, &der);
    bio = BIO_new(BIO_s_mem());
    ok = der_len > 0 && bio != NULL && PEM_write_bio_X509_CRL(bio, crl) == 1 && write_file("crl.pem", bio) &&
         write_bytes("crl.der", der, (size_t)der_len);
out:
    BIO_free(bio);
    OPENSSL_free(der);
    OPENSSL_free(sig);
    OPENSSL_free(tbs);
    X509_ALGOR_free(alg);
    X509_EXTENSION_free(akid);
    ASN1_INTEGER_free(number);
    ASN1_ENUMERATED_free(reason);
    ASN1_TIME_free(rev_time);
    ASN1_TIME_free(next_update);
    ASN1_TIME_free(this_update);
    X509_REVOKED_free(rev);
    X509_CRL_free(crl);
    if (!ok) {
        fail("cannot make the CRL");
    }
    return ok;
}

/* --- Revocation: OCSP (RFC 6960) -------------------------------------------------------- */

/* BoringSSL has no OCSP module; the response is built with CBB from the
 * RFC 6960 §4.2.1 / Appendix B.1 ASN.1 module (DEFINITIONS EXPLICIT TAGS,
 * so [n] is explicit unless written IMPLICIT). */

static bool add_oid(CBB *cbb, const char *oid) {
    CBB child;
    return CBB_add_asn1(cbb, &child, CBS_ASN1_OBJECT) &&
           CBB_add_asn1_oid_from_text(&child, oid, strlen(oid)) && CBB_flush(cbb);
}

static bool add_generalized_time(CBB *cbb, const char *t) {
    CBB child;
    return CBB_add_asn1(cbb, &child, CBS_ASN1_GENERALIZEDTIME) &&
           CBB_add_bytes(&child, (const uint8_t *)t, strlen(t)) && CBB_flush(cbb);
}

static bool add_octet_string(CBB *cbb, const uint8_t *data, size_t len) {
    CBB child;
    return CBB_add_asn1(cbb, &child, CBS_ASN1_OCTETSTRING) && CBB_add_bytes(&child, data, len) &&
           CBB_flush(cbb);
}

/* CertID (§4.1.1) with SHA-1, as RFC 5019 §2.2.1 (the profile stapling
 * uses) requires: issuerNameHash over the DER of the issuer's subject
 * Name, issuerKeyHash over the value of its subjectPublicKey BIT STRING
 * ("excluding the tag and length fields"). */
static bool add_cert_id(CBB *cbb, X509 *leaf, X509 *issuer) {
    uint8_t name_hash[SHA_DIGEST_LENGTH], key_hash[SHA_DIGEST_LENGTH];
    uint8_t *name_der = NULL, *serial_der = NULL;
    int name_len = i2d_X509_NAME(X509_get_subject_name(issuer), &name_der);
    int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(leaf), &serial_der);
    const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(issuer);
    bool ok = false;
    if (name_len > 0 && serial_len > 0 && key != NULL) {
        SHA1(name_der, (size_t)name_len, name_hash);
        SHA1(ASN1_STRING_get0_data(key), (size_t)ASN1_STRING_length(key), key_hash);
        CBB cert_id, alg, null;
        ok = CBB_add_asn1(cbb, &cert_id, CBS_ASN1_SEQUENCE) &&
             CBB_add_asn1(&cert_id, &alg, CBS_ASN1_SEQUENCE) &&
             add_oid(&alg, "1.3.14.3.2.26") /* id-sha1 */ && CBB_add_asn1(&alg, &null, CBS_ASN1_NULL) &&
             CBB_flush(&cert_id) && add_octet_string(&cert_id, name_hash, sizeof(name_hash)) &&
             add_octet_string(&cert_id, key_hash, sizeof(key_hash)) &&
             CBB_add_bytes(&cert_id, serial_der, (size_t)serial_len) && CBB_flush(cbb);
    }
    OPENSSL_free(serial_der);
    OPENSSL_free(name_der);
    return ok;
}

/* An OCSPResponse (successful, id-pkix-ocsp-basic) from the issuing CA
 * itself (§4.2.2.2: the CA may sign its own responses), for one
 * certificate: good, or revoked at REVOCATION_TIME with keyCompromise;
 * thisUpdate (and producedAt) STATUS_THIS_UPDATE_GEN, nextUpdate
 * next_update. */
static bool make_ocsp(const char *file, X509 *leaf, X509 *issuer, EVP_PKEY *issuer_key, bool revoked,
                      const char *next_update) {
    CBB tbs, out;
    uint8_t *tbs_der = NULL, *sig = NULL, *der = NULL;
    size_t tbs_len = 0, sig_len = 0, der_len = 0;
    bool ok = false;
    uint8_t key_hash[SHA_DIGEST_LENGTH];
    const ASN1_BIT_STRING *issuer_key_bits = X509_get0_pubkey_bitstr(issuer);
    if (issuer_key_bits == NULL) {
        return false;
    }
    SHA1(ASN1_STRING_get0_data(issuer_key_bits), (size_t)ASN1_STRING_length(issuer_key_bits), key_hash);

    /* ResponseData ::= SEQUENCE {
     *   version [0] EXPLICIT Version DEFAULT v1,   -- v1: omitted (DER)
     *   responderID ResponderID,                   -- byKey [2] KeyHash
     *   producedAt GeneralizedTime,
     *   responses SEQUENCE OF SingleResponse,
     *   responseExtensions [1] EXPLICIT Extensions OPTIONAL } */
    /* reason and e live as long as single: CBB_flush(&single) below walks
     * down to them. */
    CBB rd, rid, responses, single, status, next, reason, e;
    if (!CBB_init(&tbs, 256) || !CBB_add_asn1(&tbs, &rd, CBS_ASN1_SEQUENCE) ||
        !CBB_add_asn1(&rd, &rid, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2) ||
        !add_octet_string(&rid, key_hash, sizeof(key_hash)) ||
        !add_generalized_time(&rd, STATUS_THIS_UPDATE_GEN) ||
        !CBB_add_asn1(&rd, &responses, CBS_ASN1_SEQUENCE) ||
        /* SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate,
         *   nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, ... } */
        !CBB_add_asn1(&responses, &single, CBS_ASN1_SEQUENCE) || !add_cert_id(&single, leaf, issuer)) {
        goto out;
    }
    if (revoked) {
        /* revoked [1] IMPLICIT RevokedInfo ::= SEQUENCE { revocationTime
         *   GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL } */
        if (!CBB_add_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1) ||
            !add_generalized_time(&status, REVOCATION_TIME_GEN) ||
            !CBB_add_asn1(&status, &reason, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
            !CBB_add_asn1(&reason, &e, CBS_ASN1_ENUMERATED) || !CBB_add_u8(&e, CRL_REASON_KEY_COMPROMISE)) {
            goto out;
        }
    } else if (!CBB_add_asn1(&single, &status, CBS_ASN1_CONTEXT_SPECIFIC | 0)) { /* good [0] IMPLICIT NULL */
        goto out;
    }
    if (!CBB_flush(&single) || !add_generalized_time(&single, STATUS_THIS_UPDATE_GEN) ||
        !CBB_add_asn1(&single, &next, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        !add_generalized_time(&next, next_update) || !CBB_finish(&tbs, &tbs_der, &tbs_len)) {
        goto out;
    }
    if (!sign_der(issuer_key, EVP_sha256(), tbs_der, tbs_len, &sig, &sig_len)) {
        goto out;
    }

    /* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED,
     *   responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
     * ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER,
     *   response OCTET STRING }   -- the DER of a BasicOCSPResponse
     * BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData,
     *   signatureAlgorithm AlgorithmIdentifier, signature BIT STRING,
     *   certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL } */
    CBB resp, st, rb_tag, rb, resp_os, basic, alg, bits;
    if (!CBB_init(&out, 512) || !CBB_add_asn1(&out, &resp, CBS_ASN1_SEQUENCE) ||
        !CBB_add_asn1(&resp, &st, CBS_ASN1_ENUMERATED) || !CBB_add_u8(&st, 0) /* successful */ ||
        !CBB_add_asn1(&resp, &rb_tag, CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0) ||
        !CBB_add_asn1(&rb_tag, &rb, CBS_ASN1_SEQUENCE) || !add_oid(&rb, "1.3.6.1.5.5.7.48.1.1") ||
        !CBB_add_asn1(&rb, &resp_os, CBS_ASN1_OCTETSTRING) ||
        !CBB_add_asn1(&resp_os, &basic, CBS_ASN1_SEQUENCE) || !CBB_add_bytes(&basic, tbs_der, tbs_len) ||
        !CBB_add_asn1(&basic, &alg, CBS_ASN1_SEQUENCE) ||
        !add_oid(&alg, "1.2.840.10045.4.3.2") /* ecdsa-with-SHA256, no parameters */ ||
        !CBB_add_asn1(&basic, &bits, CBS_ASN1_BITSTRING) || !CBB_add_u8(&bits, 0) /* no unused bits */ ||
        !CBB_add_bytes(&bits, sig, sig_len) || !CBB_finish(&out, &der, &der_len)) {
        CBB_cleanup(&out);
        goto out;
    }
    ok = write_bytes(file, der, der_len);
out:
    CBB_cleanup(&tbs);
    OPENSSL_free(der);
    OPENSSL_free(sig);
    OPENSSL_free(tbs_der);
    if (!ok) {
        fprintf(stderr, "make_pki: cannot make %s\n", file);
    }
    return ok;
}

/* --- What a verifying peer must do with each fixture (claims.txt) ------------------------
 *
 * The label of each fixture's defect, stated here where the fixture is made
 * and written to OUTDIR/claims.txt, so that the differential oracle's
 * security-claim check (harness/oracle/claims.c, docs/outcomes.md) holds
 * every stack, the model included, to what the RFCs say rather than to what
 * any verifier does: a stack that verifies its peer and completes a
 * handshake after being shown a fixture labelled `refuse` has accepted a
 * defective credential. Written by hand from the rules cited with each
 * credential in kCredentials, never from a verifier's answers.
 *
 * One line per fixture and side that shows it:
 *   fixture   a credential name, or "<credential>+<response>" for a
 *             credential with that OCSP response stapled (RFC 6066 §8, RFC
 *             8446 §4.4.2.1); a stapled response is judged with the
 *             credential it was made for, so other pairs have no line;
 *   shown-by  server (a client verifies it) or client (a server that asked
 *             for a client certificate verifies it);
 *   verdict   accept, or refuse:<alert>[|<alert>...] (RFC 8446 §6.2 / RFC
 *             5246 §7.2.2 names; any of them is a refusal), or
 *             refuse-signature:<alerts> for a defect outside the chain: the
 *             signature made with the credential's key (key-mismatch), which
 *             a trace may replace with a good one;
 *   defect    one word naming the defect ("none" for accept), the finding's
 *             name: claim:accepted-defective-credential(<defect>);
 *   rule      after " -- ": the rule the defect breaks. */
typedef struct {
    const char *fixture, *shown_by, *verdict, *defect, *rule;
} claim_label;

#define SERVER_AND_CLIENT(fixture, verdict, defect, rule) \
    {fixture, "server", verdict, defect, rule}, { fixture, "client", verdict, defect, rule }

static const claim_label kClaims[] = {
    SERVER_AND_CLIENT("leaf", "accept", "none", "a good chain (serverAuth and clientAuth)"),
    SERVER_AND_CLIENT("leaf-p384", "accept", "none", "a good chain"),
    SERVER_AND_CLIENT("leaf-rsa", "accept", "none", "a good chain"),
    SERVER_AND_CLIENT("leaf-ed25519", "accept", "none", "a good chain"),
    SERVER_AND_CLIENT("leaf-p521", "accept", "none", "a good chain"),
    /* The client leaves name client.shakedown.test and id-kp-clientAuth only. */
    {"client", "server", "refuse:bad_certificate|unsupported_certificate", "client-cert-as-server",
     "RFC 9525 §6 (the name is not the server's) and RFC 5280 §4.2.1.12 (no id-kp-serverAuth)"},
    {"client", "client", "accept", "none", "a good client chain"},
    {"client-rsa", "server", "refuse:bad_certificate|unsupported_certificate", "client-cert-as-server",
     "RFC 9525 §6 and RFC 5280 §4.2.1.12, as client"},
    {"client-rsa", "client", "accept", "none", "a good client chain"},
    {"client-ed25519", "server", "refuse:bad_certificate|unsupported_certificate", "client-cert-as-server",
     "RFC 9525 §6 and RFC 5280 §4.2.1.12, as client"},
    {"client-ed25519", "client", "accept", "none", "a good client chain"},
    {"client-p384", "server", "refuse:bad_certificate|unsupported_certificate", "client-cert-as-server",
     "RFC 5280 §4.2.1.12: id-kp-clientAuth only"},
    {"client-p384", "client", "accept", "none", "a good client chain"},
    {"client-p521", "server", "refuse:bad_certificate|unsupported_certificate", "client-cert-as-server",
     "RFC 5280 §4.2.1.12: id-kp-clientAuth only"},
    {"client-p521", "client", "accept", "none", "a good client chain"},
    /* A good chain under another trust anchor than the runs' root.pem. */
    SERVER_AND_CLIENT("leaf-all-rsa", "refuse:unknown_ca|bad_certificate", "untrusted-anchor",
                      "RFC 5280 §6.1.1 (d): the path ends at all-rsa-root.pem, which no run trusts"),
    SERVER_AND_CLIENT("expired", "refuse:certificate_expired", "expired",
                      "RFC 5280 §6.1.3 (a)(2): the validity period must include the current time"),
    SERVER_AND_CLIENT("not-yet-valid", "refuse:certificate_expired|bad_certificate", "not-yet-valid",
                      "RFC 5280 §6.1.3 (a)(2): the validity period must include the current time"),
    {"wrong-name", "server", "refuse:bad_certificate", "wrong-name",
     "RFC 9525 §6 (RFC 6125 §6): the presented identifier must match the reference identifier"},
    /* A server checks no name of its client's (RFC 8446 §4.4.2.4). */
    {"wrong-name", "client", "accept", "none", "a server does not match a client certificate to a name"},
    SERVER_AND_CLIENT("unknown-ca", "refuse:unknown_ca", "unknown-ca",
                      "RFC 5280 §6.1.1 (d): the path must begin at a trust anchor"),
    SERVER_AND_CLIENT("bad-signature", "refuse:bad_certificate|decrypt_error", "bad-signature",
                      "RFC 5280 §6.1.3 (a)(1): the signature on the certificate must verify"),
    SERVER_AND_CLIENT("leaf-as-ca", "refuse:unknown_ca|bad_certificate", "issuer-not-ca",
                      "RFC 5280 §6.1.4 (k): an issuer must be a CA certificate (basicConstraints cA)"),
    SERVER_AND_CLIENT("ca-as-leaf", "refuse:unsupported_certificate|bad_certificate", "ca-leaf",
                      "RFC 5280 §4.2.1.9 and CA/Browser Forum BRs §7.1.2.7.8: an end-entity certificate has "
                      "cA false (a policy: path validation checks cA on issuers only)"),
    SERVER_AND_CLIENT(
        "wrong-key-usage", "refuse:unsupported_certificate|bad_certificate", "key-usage",
        "RFC 8446 §4.4.2.2: \"the digitalSignature bit MUST be set if the Key Usage extension is "
        "present\" (RFC 5280 §4.2.1.3)"),
    {"wrong-eku", "server", "refuse:unsupported_certificate|bad_certificate", "extended-key-usage",
     "RFC 5280 §4.2.1.12: \"the certificate MUST only be used for one of the purposes indicated\" "
     "(id-kp-clientAuth only, shown by a server)"},
    {"wrong-eku", "client", "accept", "none", "id-kp-clientAuth is the purpose of a client certificate"},
    SERVER_AND_CLIENT("missing-intermediate", "refuse:unknown_ca|bad_certificate", "missing-intermediate",
                      "RFC 5280 §6.1: no path from the leaf alone to the trust anchor"),
    SERVER_AND_CLIENT("malformed-der", "refuse:decode_error|bad_certificate", "malformed-der",
                      "RFC 5280 §4.1: a certificate is DER; this one does not parse"),
    {"empty-chain", "server", "refuse:decode_error|bad_certificate|handshake_failure", "empty-chain",
     "RFC 8446 §4.4.2.4: \"If the server supplies an empty Certificate message, the client MUST abort the "
     "handshake with a \"decode_error\" alert\""},
    {"empty-chain", "client", "refuse:certificate_required|handshake_failure|decode_error", "empty-chain",
     "RFC 8446 §4.4.2.4 and RFC 5246 §7.4.6: without a certificate the client is not authenticated (a server "
     "that only requested one may go on unauthenticated)"},
    SERVER_AND_CLIENT(
        "unknown-critical-extension", "refuse:unsupported_certificate|bad_certificate",
        "unknown-critical-extension",
        "RFC 5280 §4.2: \"A certificate-using system MUST reject the certificate if it encounters "
        "a critical extension it does not recognize\""),
    SERVER_AND_CLIENT(
        "weak-key", "refuse:unsupported_certificate|bad_certificate|insufficient_security", "weak-key",
        "NIST SP 800-131A Rev. 2 and CA/Browser Forum BRs §6.1.5: RSA keys of 2048 bits at least "
        "(a policy: no TLS RFC sets a size)"),
    SERVER_AND_CLIENT("sha1-signature", "refuse:bad_certificate|unsupported_certificate", "sha1-signature",
                      "RFC 8446 §4.4.2.4: it is RECOMMENDED to abort on a certificate validated with SHA-1 "
                      "(RFC 9155 for TLS 1.2)"),
    SERVER_AND_CLIENT("md5-signature", "refuse:bad_certificate|unsupported_certificate", "md5-signature",
                      "RFC 8446 §4.4.2.4: an endpoint \"MUST abort the handshake with a \"bad_certificate\" "
                      "alert\" on an MD5 signature (RFC 6151 §2; RFC 9155 for TLS 1.2)"),
    SERVER_AND_CLIENT(
        "key-mismatch", "refuse-signature:decrypt_error|bad_certificate|handshake_failure", "key-mismatch",
        "RFC 8446 §4.4.3: \"If the verification fails, the receiver MUST terminate the handshake "
        "with a \"decrypt_error\" alert\" (RFC 5246 §7.4.3, §7.4.8)"),
    SERVER_AND_CLIENT("revoked", "refuse:certificate_revoked", "revoked",
                      "RFC 5280 §6.3: listed in the issuer's CRL (crl.der), which every run consults"),
    /* Stapled responses, judged with the credential they were made for. */
    {"leaf+ocsp-leaf", "server", "accept", "none", "RFC 6960 §2.2: a good, current response for the leaf"},
    {"revoked+ocsp-revoked", "server", "refuse:certificate_revoked|bad_certificate_status_response",
     "revoked", "RFC 6960 §2.2 \"revoked\" (and the CRL lists it)"},
    {"leaf+ocsp-leaf-revoked", "server", "refuse:certificate_revoked|bad_certificate_status_response",
     "ocsp-revoked",
     "RFC 6066 §8: a client \"MUST check the OCSP response and abort the handshake if the response is not "
     "satisfactory\"; RFC 6960 §2.2 \"revoked\""},
    {"leaf+ocsp-leaf-wrong-serial", "server", "refuse:bad_certificate_status_response", "ocsp-wrong-serial",
     "RFC 6066 §8, as above; RFC 6960 §4.1.1: the CertID's serialNumber is another certificate's"},
    {"leaf+ocsp-leaf-stale", "server", "refuse:bad_certificate_status_response", "ocsp-stale",
     "RFC 6960 §4.2.2.1: \"Responses whose nextUpdate value is earlier than the local system time value "
     "SHOULD "
     "be considered unreliable\" (a SHOULD)"},
};

/* Writes claims.txt; fails if a credential made here has no line for each
 * side, so that a new fixture cannot go unlabelled. */
static bool write_claims(void) {
    for (size_t i = 0; i <= sizeof(kCredentials) / sizeof(kCredentials[0]); i++) {
        const char *name =
            i < sizeof(kCredentials) / sizeof(kCredentials[0]) ? kCredentials[i].name : kAllRsaLeaf.name;
        unsigned sides = 0;
        for (size_t j = 0; j < sizeof(kClaims) / sizeof(kClaims[0]); j++)
            if (strcmp(kClaims[j].fixture, name) == 0)
                sides |= strcmp(kClaims[j].shown_by, "server") == 0 ? 1 : 2;
        if (sides != 3) {
            fprintf(stderr, "make_pki: credential \"%s\" lacks a claims line for each side (kClaims)\n",
                    name);
            return false;
        }
    }
    BIO *bio = BIO_new(BIO_s_mem());
    bool ok =
        bio != NULL &&
        BIO_printf(bio, "# claims.txt, written by make_pki (kClaims in corpus/pki/make_pki.c): what a peer "
                        "that verifies\n# each fixture must do. <fixture> <shown-by> <verdict> <defect> -- "
                        "<rule>\n") > 0;
    for (size_t j = 0; ok && j < sizeof(kClaims) / sizeof(kClaims[0]); j++) {
        const claim_label *c = &kClaims[j];
        ok = BIO_printf(bio, "%s %s %s %s -- %s\n", c->fixture, c->shown_by, c->verdict, c->defect, c->rule) >
             0;
    }
    ok = ok && write_file("claims.txt", bio);
    BIO_free(bio);
    return ok;
}

/* --- main ------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '\0') {
        fprintf(stderr, "usage: make_pki OUTDIR\n"
                        "Writes the fixture PKI (root.pem, untrusted-root.pem, NAME.chain.pem,\n"
                        "NAME.key.pem, crl.pem, ocsp-*.der, ...) into OUTDIR, creating it if needed.\n");
        return 2;
    }
    g_outdir = argv[1];
    if (!mkdir_p(g_outdir)) {
        return 1;
    }
    hierarchy trusted, untrusted;
    if (!make_hierarchy(&trusted, "root", "shakedown Test Root", "intermediate",
                        "shakedown Test Intermediate") ||
        !make_extra_issuers(&trusted)) {
        fail("cannot make the trusted hierarchy");
        hierarchy_free(&trusted);
        return 1;
    }
    if (!make_hierarchy(&untrusted, "untrusted-root", "shakedown Untrusted Root", "untrusted-intermediate",
                        "shakedown Untrusted Intermediate")) {
        fail("cannot make the untrusted hierarchy");
        hierarchy_free(&trusted);
        return 1;
    }
    hierarchy all_rsa;
    if (!make_all_rsa_hierarchy(&all_rsa)) {
        fail("cannot make the all-RSA hierarchy");
        hierarchy_free(&untrusted);
        hierarchy_free(&trusted);
        return 1;
    }
    bool ok = write_certs("root.pem", &trusted.root, 1) &&
              write_certs("untrusted-root.pem", &untrusted.root, 1) &&
              write_certs("intermediate.pem", &trusted.intermediate, 1) &&
              write_certs("intermediate-rsa.pem", &trusted.intermediate_rsa, 1) &&
              write_key("root.ca-key.pem", trusted.root_key) &&
              write_key("intermediate.ca-key.pem", trusted.int_key) &&
              write_key("intermediate-rsa.ca-key.pem", trusted.int_rsa_key) &&
              write_certs("all-rsa-root.pem", &all_rsa.root, 1) &&
              write_certs("all-rsa-intermediate.pem", &all_rsa.intermediate, 1) &&
              make_credential(&kAllRsaLeaf, &all_rsa, &untrusted, NULL);
    X509 *good = NULL, *revoked = NULL, *p384 = NULL;
    for (size_t i = 0; ok && i < sizeof(kCredentials) / sizeof(kCredentials[0]); i++) {
        const credential_spec *c = &kCredentials[i];
        X509 **keep = strcmp(c->name, "leaf") == 0        ? &good
                      : strcmp(c->name, "revoked") == 0   ? &revoked
                      : strcmp(c->name, "leaf-p384") == 0 ? &p384
                                                          : NULL;
        ok = make_credential(c, &trusted, &untrusted, keep);
    }
    X509 *issuer = trusted.intermediate;
    EVP_PKEY *issuer_key = trusted.int_key;
    ok = ok && good != NULL && revoked != NULL && p384 != NULL && make_crl(&trusted, revoked) &&
         make_ocsp("ocsp-leaf.der", good, issuer, issuer_key, false, STATUS_NEXT_UPDATE_GEN) &&
         make_ocsp("ocsp-revoked.der", revoked, issuer, issuer_key, true, STATUS_NEXT_UPDATE_GEN) &&
         /* RFC 6960 §2.2 "revoked" for a leaf no CRL lists: only the
          * stapled response can tell a client (RFC 6066 §8). */
         make_ocsp("ocsp-leaf-revoked.der", good, issuer, issuer_key, true, STATUS_NEXT_UPDATE_GEN) &&
         /* A genuine response of the leaf's issuer, about another of its
          * certificates: §4.1.1 CertID's serialNumber is not the leaf's. */
         make_ocsp("ocsp-leaf-wrong-serial.der", p384, issuer, issuer_key, false, STATUS_NEXT_UPDATE_GEN) &&
         /* §4.2.2.1: "Responses whose nextUpdate value is earlier than the
          * local system time value SHOULD be considered unreliable." */
         make_ocsp("ocsp-leaf-stale.der", good, issuer, issuer_key, false, STALE_NEXT_UPDATE_GEN) &&
         write_claims();
    X509_free(p384);
    X509_free(revoked);
    X509_free(good);
    hierarchy_free(&all_rsa);
    hierarchy_free(&untrusted);
    hierarchy_free(&trusted);
    if (!ok) {
        fail("failed; the output directory may be incomplete");
        return 1;
    }
    return 0;
}
