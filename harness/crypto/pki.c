/* pki.c — loading the fixture PKI made by corpus/pki/make_pki.c: the trust
 * anchor, the credentials (chains and keys) and the CRL and OCSP response
 * files. Chain verification is pki_verify.c, OCSP and CRL checks
 * pki_revocation.c; loading calls both (pki_common.h says why). */
#define _POSIX_C_SOURCE 200809L /* opendir, readdir */

#include "crypto/pki.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

#include "crypto/pki_common.h"

#ifndef SHAKEDOWN_PKI_DIR
#define SHAKEDOWN_PKI_DIR "build/default/pki"
#endif

static const char kChainSuffix[] = ".chain.pem";

const char *sd_pki_default_dir(void) {
    const char *env = getenv("SHAKEDOWN_PKI_DIR");
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    return SHAKEDOWN_PKI_DIR;
}

static bool x509_to_der(X509 *x, uint8_t **out, size_t *out_len) {
    uint8_t *der = NULL;
    int n = i2d_X509(x, &der);
    if (n <= 0) {
        return false;
    }
    *out = der;
    *out_len = (size_t)n;
    return true;
}

/* The file at path, open for reading; NULL, with a message, if it cannot
 * be opened. */
static BIO *open_file(const char *path, char *err, size_t err_len) {
    BIO *bio = BIO_new_file(path, "r");
    if (bio == NULL) {
        sd_set_error(err, err_len, "cannot open %s", path);
        ERR_clear_error();
    }
    return bio;
}

/* Every certificate in a PEM file, in file order. */
static bool read_pem_certs(const char *path, X509 **certs, size_t max, size_t *n_out, char *err,
                           size_t err_len) {
    BIO *bio = open_file(path, err, err_len);
    *n_out = 0;
    if (bio == NULL) {
        return false;
    }
    size_t n = 0;
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (x == NULL) {
            break;
        }
        if (n == max) {
            X509_free(x);
            for (size_t i = 0; i < n; i++) {
                X509_free(certs[i]);
            }
            BIO_free(bio);
            sd_set_error(err, err_len, "%s: more than %zu certificates", path, max);
            return false;
        }
        certs[n++] = x;
    }
    /* The loop ends at end of file (PEM_R_NO_START_LINE) or on a broken
     * PEM block; tell them apart. */
    uint32_t e = ERR_peek_last_error();
    bool clean_eof = e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
    ERR_clear_error();
    BIO_free(bio);
    if (!clean_eof || n == 0) {
        for (size_t i = 0; i < n; i++) {
            X509_free(certs[i]);
        }
        sd_set_error(err, err_len, "%s: %s", path, n == 0 ? "no certificate" : "malformed PEM certificate");
        return false;
    }
    *n_out = n;
    return true;
}

static bool file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    fclose(f);
    return true;
}

static void credential_free(sd_credential *c) {
    for (size_t i = 0; i < c->chain_len; i++) {
        OPENSSL_free(c->chain_der[i]);
    }
    EVP_PKEY_free(c->key);
    memset(c, 0, sizeof(*c));
}

/* The PEM "CERTIFICATE" blocks of a chain file as the raw bytes they hold:
 * what the peer will receive, parseable or not. No block at all is a chain
 * of length 0. */
static bool read_chain_blocks(const char *path, sd_credential *c, char *err, size_t err_len) {
    BIO *bio = open_file(path, err, err_len);
    if (bio == NULL) {
        return false;
    }
    bool ok = true;
    for (;;) {
        char *name = NULL, *header = NULL;
        uint8_t *data = NULL;
        long len = 0;
        if (!PEM_read_bio(bio, &name, &header, &data, &len)) {
            uint32_t e = ERR_peek_last_error();
            if (!(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
                sd_set_error(err, err_len, "%s: malformed PEM block", path);
                ok = false;
            }
            break;
        }
        bool is_cert = strcmp(name, "CERTIFICATE") == 0;
        OPENSSL_free(name);
        OPENSSL_free(header);
        if (!is_cert || len <= 0 || c->chain_len == SD_MAX_CHAIN) {
            OPENSSL_free(data);
            sd_set_error(err, err_len, "%s: %s", path,
                         !is_cert   ? "a PEM block that is not a CERTIFICATE"
                         : len <= 0 ? "an empty CERTIFICATE block"
                                    : "more certificates than SD_MAX_CHAIN");
            ok = false;
            break;
        }
        c->chain_der[c->chain_len] = data;
        c->chain_der_len[c->chain_len] = (size_t)len;
        c->chain_len++;
    }
    ERR_clear_error();
    BIO_free(bio);
    return ok;
}

static EVP_PKEY *read_key(const char *path) {
    BIO *bio = BIO_new_file(path, "r");
    EVP_PKEY *key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return key;
}

static bool load_credential(sd_credential *c, const char *dir, const char *name, char *err, size_t err_len) {
    char path[1024], mismatched_path[1024];
    X509 *leaf = NULL;
    bool ok = false;
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    if ((size_t)snprintf(path, sizeof(path), "%s/%s%s", dir, name, kChainSuffix) >= sizeof(path)) {
        sd_set_error(err, err_len, "path too long for credential %s", name);
        return false;
    }
    if (!read_chain_blocks(path, c, err, err_len)) {
        goto out;
    }
    /* The leaf, if it parses, to check the key against. */
    if (c->chain_len > 0) {
        leaf = pki_x509_from_der(c->chain_der[0], c->chain_der_len[0]);
    }
    /* The key is optional: a chain without one can still be sent or checked. */
    if ((size_t)snprintf(path, sizeof(path), "%s/%s.key.pem", dir, name) >= sizeof(path) ||
        (size_t)snprintf(mismatched_path, sizeof(mismatched_path), "%s/%s.mismatched-key.pem", dir, name) >=
            sizeof(mismatched_path)) {
        sd_set_error(err, err_len, "path too long for credential %s", name);
        goto out;
    }
    bool has_key = file_exists(path), has_mismatched = file_exists(mismatched_path);
    if (has_key && has_mismatched) {
        sd_set_error(err, err_len, "%s and %s both exist; keep one", path, mismatched_path);
        goto out;
    }
    if (has_key || has_mismatched) {
        const char *key_path = has_key ? path : mismatched_path;
        c->key = read_key(key_path);
        if (c->key == NULL) {
            sd_set_error(err, err_len, "%s: not a PEM private key", key_path);
            goto out;
        }
        c->key_mismatched = has_mismatched;
        if (leaf != NULL) {
            bool matches = X509_check_private_key(leaf, c->key) == 1;
            /* A key that does not belong to the leaf would make every
             * CertificateVerify fail for a reason no scenario intends,
             * unless the file name says that this is the point. */
            if (has_key && !matches) {
                sd_set_error(err, err_len, "%s does not match the leaf of %s%s", path, name, kChainSuffix);
                goto out;
            }
            if (has_mismatched && matches) {
                sd_set_error(err, err_len, "%s matches the leaf of %s%s; name it %s.key.pem", mismatched_path,
                             name, kChainSuffix, name);
                goto out;
            }
        } else if (has_mismatched) {
            sd_set_error(err, err_len, "%s: no parseable leaf to mismatch", mismatched_path);
            goto out;
        }
    }
    ok = true;
out:
    X509_free(leaf);
    ERR_clear_error();
    if (!ok) {
        credential_free(c);
    }
    return ok;
}

static int credential_cmp(const void *a, const void *b) {
    return strcmp(((const sd_credential *)a)->name, ((const sd_credential *)b)->name);
}

/* A .der file, whole, up to 1 MiB (a CRL or an OCSP response). */
static bool load_blob(sd_pki *pki, const char *dir, const char *file, char *err, size_t err_len) {
    enum { kMaxBlob = 1 << 20 };
    char path[1024];
    if (pki->n_blobs == SD_MAX_PKI_BLOBS) {
        sd_set_error(err, err_len, "%s: more than %d .der files", dir, SD_MAX_PKI_BLOBS);
        return false;
    }
    if (strlen(file) >= sizeof(pki->blobs[0].name) ||
        (size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
        sd_set_error(err, err_len, "%s/%s: name too long", dir, file);
        return false;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        sd_set_error(err, err_len, "cannot open %s", path);
        return false;
    }
    uint8_t *data = OPENSSL_malloc(kMaxBlob);
    size_t len = data != NULL ? fread(data, 1, kMaxBlob, f) : 0;
    bool ok = data != NULL && !ferror(f) && len < kMaxBlob;
    fclose(f);
    if (!ok) {
        OPENSSL_free(data);
        sd_set_error(err, err_len, "%s: cannot read it, or larger than %d bytes", path, kMaxBlob - 1);
        return false;
    }
    uint8_t *fitted = OPENSSL_realloc(data, len > 0 ? len : 1);
    if (fitted != NULL) {
        data = fitted;
    }
    snprintf(pki->blobs[pki->n_blobs].name, sizeof(pki->blobs[0].name), "%s", file);
    pki->blobs[pki->n_blobs].data = data;
    pki->blobs[pki->n_blobs].span = sd_span_of(data, len);
    pki->n_blobs++;
    return true;
}

static int blob_cmp(const void *a, const void *b) {
    return strcmp(((const sd_pki_file *)a)->name, ((const sd_pki_file *)b)->name);
}

static bool has_suffix(const char *s, const char *suffix, size_t *stem_len) {
    size_t len = strlen(s), suffix_len = strlen(suffix);
    if (len <= suffix_len || strcmp(s + len - suffix_len, suffix) != 0) {
        return false;
    }
    *stem_len = len - suffix_len;
    return true;
}

bool sd_pki_load(sd_pki *pki, const char *dir, char *err, size_t err_len) {
    char path[1024];
    memset(pki, 0, sizeof(*pki));
    if (dir == NULL || strlen(dir) >= sizeof(pki->dir)) {
        sd_set_error(err, err_len, "PKI directory name missing or too long");
        return false;
    }
    snprintf(pki->dir, sizeof(pki->dir), "%s", dir);

    snprintf(path, sizeof(path), "%s/root.pem", dir);
    X509 *root[1];
    size_t n_root = 0;
    if (!read_pem_certs(path, root, 1, &n_root, err, err_len)) {
        sd_pki_free(pki);
        return false;
    }
    pki->root = root[0];
    if (!x509_to_der(pki->root, &pki->root_der, &pki->root_der_len)) {
        sd_set_error(err, err_len, "%s: cannot encode the root", path);
        sd_pki_free(pki);
        return false;
    }

    DIR *d = opendir(dir);
    if (d == NULL) {
        sd_set_error(err, err_len, "cannot list %s", dir);
        sd_pki_free(pki);
        return false;
    }
    struct dirent *e;
    bool ok = true;
    while (ok && (e = readdir(d)) != NULL) {
        size_t stem_len = 0;
        if (e->d_name[0] != '.' && has_suffix(e->d_name, ".der", &stem_len)) {
            ok = load_blob(pki, dir, e->d_name, err, err_len);
            continue;
        }
        if (!has_suffix(e->d_name, kChainSuffix, &stem_len)) {
            continue;
        }
        char name[sizeof(pki->credentials[0].name)];
        if (stem_len >= sizeof(name)) {
            sd_set_error(err, err_len, "%s/%s: credential name longer than %zu bytes", dir, e->d_name,
                         sizeof(name) - 1);
            ok = false;
            break;
        }
        if (pki->n_credentials == SD_MAX_CREDENTIALS) {
            sd_set_error(err, err_len, "%s: more than %d credentials", dir, SD_MAX_CREDENTIALS);
            ok = false;
            break;
        }
        memcpy(name, e->d_name, stem_len);
        name[stem_len] = '\0';
        ok = load_credential(&pki->credentials[pki->n_credentials], dir, name, err, err_len);
        if (ok) {
            pki->n_credentials++;
        }
    }
    closedir(d);
    if (!ok) {
        sd_pki_free(pki);
        return false;
    }
    /* readdir's order is the file system's; sort so runs are reproducible. */
    qsort(pki->credentials, pki->n_credentials, sizeof(pki->credentials[0]), credential_cmp);
    qsort(pki->blobs, pki->n_blobs, sizeof(pki->blobs[0]), blob_cmp);
    /* The PKI's own CRL and OCSP responses: parsed, and their signatures
     * verified, once here rather than on every handshake. */
    pki_prepare_revocation(pki);
    return true;
}

void sd_pki_free(sd_pki *pki) {
    /* Verdicts name the trust anchor by its bytes, so they would stay right
     * for a PKI loaded later; they are dropped to free their memory. */
    sd_verify_cache_clear();
    /* The public-key memo holds references to the credentials' keys. */
    sd_crypto_memo_clear();
    for (size_t i = 0; i < pki->n_credentials; i++) {
        credential_free(&pki->credentials[i]);
    }
    for (size_t i = 0; i < pki->n_blobs; i++) {
        OPENSSL_free(pki->blobs[i].data);
        EVP_PKEY_free(pki->blobs[i].signer);
    }
    X509_CRL_free(pki->crl);
    X509_free(pki->root);
    OPENSSL_free(pki->root_der);
    memset(pki, 0, sizeof(*pki));
}

const sd_credential *sd_pki_find(const sd_pki *pki, const char *name) {
    if (pki == NULL || name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < pki->n_credentials; i++) {
        if (strcmp(pki->credentials[i].name, name) == 0) {
            return &pki->credentials[i];
        }
    }
    return NULL;
}

const sd_span *sd_pki_blob(const sd_pki *pki, const char *file) {
    const sd_pki_file *f = pki_find_file(pki, file);
    return f != NULL ? &f->span : NULL;
}

const sd_span *sd_pki_der(const sd_pki *pki, const char *stem) {
    char file[sizeof(pki->blobs[0].name) + 1];
    if (pki == NULL || stem == NULL || (size_t)snprintf(file, sizeof(file), "%s.der", stem) >= sizeof(file)) {
        return NULL;
    }
    return sd_pki_blob(pki, file);
}
