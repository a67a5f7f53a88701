/* make_pki.c — makes shakedown's fixture PKI: good and deliberately bad
 * certificates for the conformance scenarios. Never made by hand.
 *
 *   usage: make_pki OUTDIR
 *
 * The output is byte-for-byte reproducible: every private key is derived from
 * its name (SHA-256("shakedown fixture key: <name>") reduced mod the P-256
 * order), every date and serial number is fixed, and the ECDSA signatures use
 * a nonce derived from the key and the message (see sign_tbs) instead of
 * BoringSSL's random one. Running it again rewrites identical files; each
 * file is replaced atomically (temp file + rename).
 *
 * Hierarchy (all keys ECDSA P-256, all signatures ecdsa-with-SHA256):
 *
 *   root.pem            "shakedown Test Root"          (the trust anchor)
 *     └ "shakedown Test Intermediate"
 *         ├ leaf            server.shakedown.test, serverAuth+clientAuth
 *         ├ expired         notAfter in the past
 *         ├ not-yet-valid   notBefore in the future
 *         ├ wrong-name      issued for other.shakedown.test
 *         ├ bad-signature   a bit of the signature flipped
 *         └ client          client.shakedown.test, clientAuth
 *   untrusted-root.pem  "shakedown Untrusted Root"     (not a trust anchor)
 *     └ "shakedown Untrusted Intermediate"
 *         └ unknown-ca      otherwise a good server leaf
 *
 * For each credential NAME: NAME.chain.pem (leaf, then intermediate) and
 * NAME.key.pem (the leaf's key, PKCS#8). Each defective credential has
 * exactly one defect; everything else about it is as good as "leaf". The CAs
 * are valid 2020-01-01..2040-01-01 so that the expired and not-yet-valid
 * leaves are the only certificates out of their validity at any time a test
 * picks; the good leaves are valid 2025-01-01..2035-01-01 and the runs
 * validate at 2026-01-01 (SD_PKI_DEFAULT_TIME in harness/crypto/pki.h).
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
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
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

/* The P-256 key named `name`: d = SHA-256("shakedown fixture key: " name)
 * mod n. A zero scalar (probability 2^-256) is reported, not patched. */
static EVP_PKEY *fixture_key(const char *name) {
    static const char kPrefix[] = "shakedown fixture key: ";
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, kPrefix, sizeof(kPrefix) - 1);
    SHA256_Update(&sha, name, strlen(name));
    SHA256_Final(digest, &sha);

    EVP_PKEY *pkey = NULL;
    EC_KEY *ec = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
    BIGNUM *d = BN_bin2bn(digest, sizeof(digest), NULL);
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
    if (pkey == NULL) {
        fprintf(stderr, "make_pki: cannot derive the key \"%s\"\n", name);
    }
    return pkey;
}

/* --- Deterministic ECDSA ------------------------------------------------------ */

/* ECDSA P-256/SHA-256 over `tbs` (FIPS 186-4 §6.4) with the nonce
 * k = SHA-256("shakedown fixture nonce" || d || SHA-256(tbs)) mod (n-1) + 1,
 * so that the same key and message always give the same signature. This is
 * sound only because the fixture keys are public anyway; it is not RFC 6979
 * and must never sign with a real key. Returns the DER ECDSA-Sig-Value. */
static bool sign_tbs(EVP_PKEY *key, const uint8_t *tbs, size_t tbs_len, uint8_t **out_sig,
                     size_t *out_sig_len) {
    static const char kNonceLabel[] = "shakedown fixture nonce";
    bool ok = false;
    const EC_KEY *ec = EVP_PKEY_get0_EC_KEY(key);
    const EC_GROUP *group = ec != NULL ? EC_KEY_get0_group(ec) : NULL;
    const BIGNUM *d = ec != NULL ? EC_KEY_get0_private_key(ec) : NULL;
    uint8_t h[SHA256_DIGEST_LENGTH], kbytes[SHA256_DIGEST_LENGTH], dbytes[32];
    BN_CTX *bn_ctx = BN_CTX_new();
    BIGNUM *e = BN_new(), *k = BN_new(), *kinv = BN_new(), *r = BN_new(), *s = BN_new();
    BIGNUM *n_minus_1 = BN_new();
    EC_POINT *R = group != NULL ? EC_POINT_new(group) : NULL;
    ECDSA_SIG *sig = NULL;
    if (group == NULL || d == NULL || bn_ctx == NULL || e == NULL || k == NULL || kinv == NULL ||
        r == NULL || s == NULL || n_minus_1 == NULL || R == NULL ||
        EC_GROUP_get_curve_name(group) != NID_X9_62_prime256v1) {
        goto out;
    }
    const BIGNUM *n = EC_GROUP_get0_order(group);
    SHA256(tbs, tbs_len, h);
    if (!BN_bn2bin_padded(dbytes, sizeof(dbytes), d)) {
        goto out;
    }
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, kNonceLabel, sizeof(kNonceLabel) - 1);
    SHA256_Update(&sha, dbytes, sizeof(dbytes));
    SHA256_Update(&sha, h, sizeof(h));
    SHA256_Final(kbytes, &sha);
    /* k in [1, n-1]; e = the hash as an integer (P-256's order has 256 bits,
     * so no truncation, FIPS 186-4 §6.4). */
    if (!BN_bin2bn(kbytes, sizeof(kbytes), k) || !BN_copy(n_minus_1, n) || !BN_sub_word(n_minus_1, 1) ||
        !BN_nnmod(k, k, n_minus_1, bn_ctx) || !BN_add_word(k, 1) || !BN_bin2bn(h, sizeof(h), e) ||
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

/* Signs x with issuer_key: sets the signature algorithm (in the TBS and the
 * outer Certificate), then the signature value over the re-encoded TBS. */
static bool sign_cert(X509 *x, EVP_PKEY *issuer_key) {
    bool ok = false;
    uint8_t *tbs = NULL, *sig = NULL;
    size_t sig_len = 0;
    X509_ALGOR *alg = X509_ALGOR_new();
    if (alg == NULL || !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL) ||
        !X509_set1_signature_algo(x, alg)) {
        goto out;
    }
    int tbs_len = i2d_re_X509_tbs(x, &tbs);
    if (tbs_len <= 0 || !sign_tbs(issuer_key, tbs, (size_t)tbs_len, &sig, &sig_len) ||
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
    const char *cn;            /* subject commonName */
    const char *san;           /* subjectAltName value, e.g. "DNS:x"; NULL for none */
    const char *not_before;    /* UTCTime "YYMMDDHHMMSSZ" (RFC 5280 §4.1.2.5.1: until 2049) */
    const char *not_after;
    long serial;               /* unique per issuer, positive (RFC 5280 §4.1.2.2) */
    const char *basic;         /* basicConstraints */
    const char *key_usage;     /* keyUsage */
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

static bool set_time(ASN1_TIME *t, const char *utc) { return ASN1_TIME_set_string(t, utc) == 1; }

/* A v3 certificate for subject_key, issued by issuer (NULL: self-signed). */
static X509 *make_cert(const cert_spec *spec, EVP_PKEY *subject_key, X509 *issuer, EVP_PKEY *issuer_key) {
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
        !add_ext(x, &ctx, NID_key_usage, spec->key_usage) ||
        (spec->ext_key_usage != NULL && !add_ext(x, &ctx, NID_ext_key_usage, spec->ext_key_usage)) ||
        (spec->san != NULL && !add_ext(x, &ctx, NID_subject_alt_name, spec->san)) ||
        !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
        !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) {
        goto out;
    }
    if (!sign_cert(x, issuer_key)) {
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

/* Writes the contents of `bio` to OUTDIR/file through a temp file and a
 * rename, so a reader never sees half a file. */
static bool write_file(const char *file, BIO *bio) {
    char path[1100], tmp[1100];
    const uint8_t *data = NULL;
    size_t len = 0;
    if (!BIO_mem_contents(bio, &data, &len)) {
        fail("cannot read a memory BIO");
        return false;
    }
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

static bool write_certs(const char *file, X509 *const *certs, size_t n) {
    BIO *bio = BIO_new(BIO_s_mem());
    bool ok = bio != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        ok = PEM_write_bio_X509(bio, certs[i]) == 1;
    }
    ok = ok && write_file(file, bio);
    BIO_free(bio);
    if (!ok) {
        fprintf(stderr, "make_pki: cannot write %s\n", file);
    }
    return ok;
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

#define CA_NOT_BEFORE "200101000000Z" /* 2020-01-01 */
#define CA_NOT_AFTER "400101000000Z"  /* 2040-01-01 */
#define GOOD_NOT_BEFORE "250101000000Z" /* 2025-01-01 */
#define GOOD_NOT_AFTER "350101000000Z"  /* 2035-01-01 */

#define CA_BASIC "critical,CA:TRUE"
#define INTERMEDIATE_BASIC "critical,CA:TRUE,pathlen:0"
#define CA_KEY_USAGE "critical,keyCertSign,cRLSign"
#define LEAF_BASIC "critical,CA:FALSE"
#define LEAF_KEY_USAGE "critical,digitalSignature"
#define SERVER_EKU "serverAuth,clientAuth"
#define SERVER_SAN "DNS:server.shakedown.test"
#define SERVER_CN "server.shakedown.test"

typedef struct {
    const char *name;      /* credential name: file stem and key name */
    bool untrusted;        /* issued under the untrusted root */
    bool flip_signature;
    cert_spec spec;
} credential_spec;

static const credential_spec kCredentials[] = {
    /* The good server credential every positive scenario uses. */
    {"leaf", false, false,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 16, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU}},
    /* RFC 5280 §4.1.2.5 / §6.1.3 (a)(2): "The certificate validity period
     * includes the current time" fails: notAfter (2021-01-01) is before any
     * validation time a run uses. */
    {"expired", false, false,
     {SERVER_CN, SERVER_SAN, "200101000000Z", "210101000000Z", 17, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU}},
    /* RFC 5280 §4.1.2.5 / §6.1.3 (a)(2) the other way round: notBefore
     * (2030-01-01) is after the validation time. */
    {"not-yet-valid", false, false,
     {SERVER_CN, SERVER_SAN, "300101000000Z", "350101000000Z", 18, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU}},
    /* A valid RFC 5280 path, but its §4.2.1.6 subjectAltName (and CN) name
     * another host: the server identity check of RFC 6125 §6 (now RFC 9525)
     * fails for server.shakedown.test. Not an RFC 5280 defect as such: path
     * validation does not look at names. */
    {"wrong-name", false, false,
     {"other.shakedown.test", "DNS:other.shakedown.test", GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 19, LEAF_BASIC,
      LEAF_KEY_USAGE, SERVER_EKU}},
    /* RFC 5280 §6.1: a path must begin at a trust anchor (§6.1.1 (d)); this
     * chain ends at "shakedown Untrusted Root", which no run trusts. */
    {"unknown-ca", true, false,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 20, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU}},
    /* RFC 5280 §6.1.3 (a)(1): "The signature on the certificate can be
     * verified using working_public_key_algorithm, the working_public_key,
     * and the working_public_key_parameters" fails: one bit of the
     * signatureValue (§4.1.1.3) is flipped after signing. */
    {"bad-signature", false, true,
     {SERVER_CN, SERVER_SAN, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 21, LEAF_BASIC, LEAF_KEY_USAGE, SERVER_EKU}},
    /* The good client credential: RFC 5280 §4.2.1.12 id-kp-clientAuth only. */
    {"client", false, false,
     {"client.shakedown.test", NULL, GOOD_NOT_BEFORE, GOOD_NOT_AFTER, 22, LEAF_BASIC, LEAF_KEY_USAGE,
      "clientAuth"}},
};

typedef struct {
    EVP_PKEY *root_key, *int_key;
    X509 *root, *intermediate;
} hierarchy;

static void hierarchy_free(hierarchy *h) {
    X509_free(h->intermediate);
    X509_free(h->root);
    EVP_PKEY_free(h->int_key);
    EVP_PKEY_free(h->root_key);
    memset(h, 0, sizeof(*h));
}

static bool make_hierarchy(hierarchy *h, const char *root_name, const char *root_cn, long root_serial,
                           const char *int_name, const char *int_cn, long int_serial) {
    memset(h, 0, sizeof(*h));
    const cert_spec root_spec = {root_cn, NULL, CA_NOT_BEFORE, CA_NOT_AFTER, root_serial,
                                 CA_BASIC, CA_KEY_USAGE, NULL};
    const cert_spec int_spec = {int_cn, NULL, CA_NOT_BEFORE, CA_NOT_AFTER, int_serial,
                                INTERMEDIATE_BASIC, CA_KEY_USAGE, NULL};
    h->root_key = fixture_key(root_name);
    h->int_key = fixture_key(int_name);
    if (h->root_key == NULL || h->int_key == NULL) {
        hierarchy_free(h);
        return false;
    }
    h->root = make_cert(&root_spec, h->root_key, NULL, h->root_key);
    h->intermediate = h->root != NULL ? make_cert(&int_spec, h->int_key, h->root, h->root_key) : NULL;
    if (h->intermediate == NULL) {
        fprintf(stderr, "make_pki: cannot make the CAs \"%s\" and \"%s\"\n", root_cn, int_cn);
        hierarchy_free(h);
        return false;
    }
    return true;
}

static bool make_credential(const credential_spec *c, const hierarchy *h) {
    char file[128];
    bool ok = false;
    EVP_PKEY *key = fixture_key(c->name);
    X509 *leaf = key != NULL ? make_cert(&c->spec, key, h->intermediate, h->int_key) : NULL;
    if (leaf == NULL) {
        fprintf(stderr, "make_pki: cannot make the credential \"%s\"\n", c->name);
        goto out;
    }
    if (c->flip_signature) {
        if (!flip_signature_bit(leaf) || X509_verify(leaf, h->int_key) == 1) {
            fprintf(stderr, "make_pki: cannot spoil the signature of \"%s\"\n", c->name);
            goto out;
        }
        ERR_clear_error(); /* the failed X509_verify above is the intent */
    }
    X509 *chain[2] = {leaf, h->intermediate};
    snprintf(file, sizeof(file), "%s.chain.pem", c->name);
    if (!write_certs(file, chain, 2)) {
        goto out;
    }
    snprintf(file, sizeof(file), "%s.key.pem", c->name);
    ok = write_key(file, key);
out:
    X509_free(leaf);
    EVP_PKEY_free(key);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '\0') {
        fprintf(stderr, "usage: make_pki OUTDIR\n"
                        "Writes the fixture PKI (root.pem, untrusted-root.pem, NAME.chain.pem,\n"
                        "NAME.key.pem) into OUTDIR, creating it if needed.\n");
        return 2;
    }
    g_outdir = argv[1];
    if (!mkdir_p(g_outdir)) {
        return 1;
    }
    hierarchy trusted, untrusted;
    if (!make_hierarchy(&trusted, "root", "shakedown Test Root", 1, "intermediate",
                        "shakedown Test Intermediate", 2)) {
        fail("cannot make the trusted hierarchy");
        return 1;
    }
    if (!make_hierarchy(&untrusted, "untrusted-root", "shakedown Untrusted Root", 1,
                        "untrusted-intermediate", "shakedown Untrusted Intermediate", 2)) {
        fail("cannot make the untrusted hierarchy");
        hierarchy_free(&trusted);
        return 1;
    }
    bool ok = write_certs("root.pem", &trusted.root, 1) && write_certs("untrusted-root.pem", &untrusted.root, 1);
    for (size_t i = 0; ok && i < sizeof(kCredentials) / sizeof(kCredentials[0]); i++) {
        const credential_spec *c = &kCredentials[i];
        ok = make_credential(c, c->untrusted ? &untrusted : &trusted);
    }
    hierarchy_free(&untrusted);
    hierarchy_free(&trusted);
    if (!ok) {
        fail("failed; the output directory may be incomplete");
        return 1;
    }
    return 0;
}
