/* key_schedule.c — the TLS 1.3 transcript hash (RFC 8446 §4.4.1), HKDF and the
 * key schedule (§7.1), Finished (§4.4.4) and the traffic keys (§7.3).
 *
 * Every function here is checked against RFC 8448 §3 in tests/test_crypto.c. */
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/digest.h>
#include <openssl/hkdf.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>

#include "wire/names.h"

/* --- Transcript (§4.4.1) --------------------------------------------------- */

/* The hash of bytes[0, len) under md, so far. A TLS 1.3 handshake hashes
 * its transcript at every step (§4.4.1: each secret, CertificateVerify and
 * Finished take the hash "up to and including" some message), and each
 * side of a run hashes it over a dozen times; hashing the whole of it each
 * time, certificate chains included, cost more than the key schedule. */
struct sd_transcript_running {
    EVP_MD_CTX *ctx;
    const EVP_MD *md; /* NULL: nothing hashed yet */
    size_t len;
};

void sd_transcript_init(sd_transcript *t) {
    sd_buf_init(&t->bytes);
    /* Without it (out of memory) each hash starts over: slower, the same. */
    t->running = calloc(1, sizeof *t->running);
    if (t->running != NULL && (t->running->ctx = EVP_MD_CTX_new()) == NULL) {
        free(t->running);
        t->running = NULL;
    }
}

void sd_transcript_free(sd_transcript *t) {
    sd_buf_free(&t->bytes);
    if (t->running != NULL) {
        EVP_MD_CTX_free(t->running->ctx);
        free(t->running);
        t->running = NULL;
    }
}

void sd_transcript_add(sd_transcript *t, sd_span handshake_msg_with_header) {
    sd_buf_append_span(&t->bytes, handshake_msg_with_header);
}

static bool hash_bytes(const EVP_MD *md, const uint8_t *data, size_t len, uint8_t *out) {
    static const uint8_t empty[1] = {0};
    unsigned out_len = 0;
    if (md == NULL) {
        return false;
    }
    return EVP_Digest(data != NULL ? data : empty, len, out, &out_len, md, NULL) == 1 &&
           out_len == EVP_MD_size(md);
}

bool sd_transcript_hash(const sd_transcript *t, const EVP_MD *md, uint8_t *out) {
    /* A transcript whose buffer failed (allocation) is missing bytes: its
     * hash would be silently wrong, so refuse. */
    if (t->bytes.failed || md == NULL) {
        return false;
    }
    sd_transcript_running *r = t->running;
    /* A prefix of what the running hash has seen (bytes.len shortened for
     * a moment): hashed on its own, leaving the running hash as it is. */
    if (r == NULL || (r->md == md && r->len > t->bytes.len)) {
        return hash_bytes(md, t->bytes.data, t->bytes.len, out);
    }
    if (r->md != md) {
        /* The first hash, or another function (a suite that changed, or
         * ClientHello1 hashed for its message_hash): start over with it. */
        r->md = NULL;
        if (EVP_DigestInit_ex(r->ctx, md, NULL) != 1) {
            return hash_bytes(md, t->bytes.data, t->bytes.len, out);
        }
        r->md = md;
        r->len = 0;
    }
    if (t->bytes.len > r->len &&
        EVP_DigestUpdate(r->ctx, t->bytes.data + r->len, t->bytes.len - r->len) != 1) {
        r->md = NULL;
        return hash_bytes(md, t->bytes.data, t->bytes.len, out);
    }
    r->len = t->bytes.len;
    /* Finishing a copy keeps the running hash open for what comes next. */
    EVP_MD_CTX copy;
    EVP_MD_CTX_init(&copy);
    unsigned out_len = 0;
    bool ok = EVP_MD_CTX_copy_ex(&copy, r->ctx) == 1 && EVP_DigestFinal_ex(&copy, out, &out_len) == 1 &&
              out_len == EVP_MD_size(md);
    EVP_MD_CTX_cleanup(&copy);
    return ok;
}

/* §4.4.1: "When the server responds to a ClientHello with a
 * HelloRetryRequest, the value of ClientHello1 is replaced with a special
 * synthetic handshake message of handshake type "message_hash" containing
 * Hash(ClientHello1)":
 *     Transcript-Hash(ClientHello1, HelloRetryRequest, ... Mn) =
 *         Hash(message_hash ||        // Handshake type
 *              00 00 Hash.length  ||  // Handshake message length (bytes)
 *              Hash(ClientHello1) ||  // Hash of ClientHello1
 *              HelloRetryRequest  || ... || Mn)
 * The caller calls this after adding ClientHello1 and before adding the
 * HelloRetryRequest. */
bool sd_transcript_replace_with_message_hash(sd_transcript *t, const EVP_MD *md) {
    uint8_t h[SD_MAX_HASH_LEN];
    if (md == NULL || EVP_MD_size(md) > sizeof(h) || !sd_transcript_hash(t, md, h)) {
        return false;
    }
    size_t hash_len = EVP_MD_size(md);
    /* The bytes the running hash has seen are going. */
    if (t->running != NULL) t->running->md = NULL;
    sd_buf_reset(&t->bytes);
    sd_buf_u8(&t->bytes, SD_MessageHash);
    sd_buf_u24(&t->bytes, (uint32_t)hash_len);
    sd_buf_append(&t->bytes, h, hash_len);
    return !t->bytes.failed;
}

/* --- HKDF (RFC 5869) and the TLS 1.3 labels (§7.1) ------------------------- */

bool sd_hkdf_extract(const EVP_MD *md, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                     size_t ikm_len, uint8_t *out) {
    static const uint8_t empty[1] = {0};
    size_t out_len = 0;
    if (md == NULL) {
        return false;
    }
    /* BoringSSL's HKDF_extract takes the IKM before the salt (see hkdf.h). */
    return HKDF_extract(out, &out_len, md, ikm != NULL ? ikm : empty, ikm_len, salt != NULL ? salt : empty,
                        salt_len) == 1 &&
           out_len == EVP_MD_size(md);
}

/* §7.1:
 *     HKDF-Expand-Label(Secret, Label, Context, Length) =
 *          HKDF-Expand(Secret, HkdfLabel, Length)
 *     struct {
 *         uint16 length = Length;
 *         opaque label<7..255> = "tls13 " + Label;
 *         opaque context<0..255> = Context;
 *     } HkdfLabel;
 * The label's lower bound of 7 is not enforced: a fuzzer may want an empty
 * Label ("tls13 " alone, 6 bytes). */
bool sd_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret, const char *label, const uint8_t *context,
                          size_t context_len, uint8_t *out, size_t out_len) {
    static const char kPrefix[] = "tls13 ";
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t prefix_len = sizeof(kPrefix) - 1;
    size_t label_len = label != NULL ? strlen(label) : 0;
    if (md == NULL || secret == NULL || prefix_len + label_len > 255 || context_len > 255 ||
        (context_len > 0 && context == NULL) || out_len > 0xffff || out_len > 255 * (size_t)EVP_MD_size(md)) {
        return false;
    }
    size_t n = 0;
    info[n++] = (uint8_t)(out_len >> 8);
    info[n++] = (uint8_t)out_len;
    info[n++] = (uint8_t)(prefix_len + label_len);
    memcpy(info + n, kPrefix, prefix_len);
    n += prefix_len;
    if (label_len > 0) {
        memcpy(info + n, label, label_len);
        n += label_len;
    }
    info[n++] = (uint8_t)context_len;
    if (context_len > 0) {
        memcpy(info + n, context, context_len);
        n += context_len;
    }
    return HKDF_expand(out, out_len, md, secret, EVP_MD_size(md), info, n) == 1;
}

/* §7.1: Derive-Secret(Secret, Label, Messages) =
 *           HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length) */
bool sd_derive_secret(const EVP_MD *md, const uint8_t *secret, const char *label,
                      const uint8_t *transcript_hash, uint8_t *out) {
    if (md == NULL) {
        return false;
    }
    size_t hash_len = EVP_MD_size(md);
    return sd_hkdf_expand_label(md, secret, label, transcript_hash, hash_len, out, hash_len);
}

/* --- Key schedule (§7.1) ---------------------------------------------------- */
/*
 *             0
 *             |
 *             v
 *   PSK ->  HKDF-Extract = Early Secret
 *             |
 *             v
 *       Derive-Secret(., "derived", "")
 *             |
 *             v
 *   (EC)DHE -> HKDF-Extract = Handshake Secret
 *             |
 *             +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
 *             +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
 *             v
 *       Derive-Secret(., "derived", "")
 *             |
 *             v
 *   0 -> HKDF-Extract = Master Secret
 *             +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
 *             +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
 *             +-----> Derive-Secret(., "exp master", ClientHello...server Finished)
 *             +-----> Derive-Secret(., "res master", ClientHello...client Finished)
 *
 * "If a given secret is not available, then the 0-value consisting of a
 * string of Hash.length bytes set to zeros is used."
 */

static const EVP_MD *ks_md(const sd_key_schedule *ks) { return ks->suite != NULL ? ks->suite->md() : NULL; }

/* Derive-Secret(secret, "derived", ""): the salt of the next Extract. The
 * context is Transcript-Hash of no messages, i.e. Hash(""). */
static bool derived_salt(const sd_key_schedule *ks, const uint8_t *secret, uint8_t *out) {
    uint8_t empty_hash[SD_MAX_HASH_LEN];
    const EVP_MD *md = ks_md(ks);
    bool ok = hash_bytes(md, NULL, 0, empty_hash) && sd_derive_secret(md, secret, "derived", empty_hash, out);
    OPENSSL_cleanse(empty_hash, sizeof(empty_hash));
    return ok;
}

bool sd_ks_init(sd_key_schedule *ks, const sd_suite *suite, const uint8_t *psk, size_t psk_len) {
    static const uint8_t zeros[SD_MAX_HASH_LEN] = {0};
    OPENSSL_cleanse(ks, sizeof(*ks));
    if (suite == NULL || suite->hash_len > SD_MAX_HASH_LEN ||
        (size_t)EVP_MD_size(suite->md()) != suite->hash_len) {
        return false;
    }
    ks->suite = suite;
    ks->hash_len = suite->hash_len;
    if (psk == NULL) {
        psk = zeros;
        psk_len = ks->hash_len;
    }
    return sd_hkdf_extract(suite->md(), zeros, ks->hash_len, psk, psk_len, ks->early_secret);
}

bool sd_ks_handshake(sd_key_schedule *ks, const uint8_t *ecdhe, size_t ecdhe_len, const uint8_t *hash_ch_sh) {
    static const uint8_t zeros[SD_MAX_HASH_LEN] = {0};
    uint8_t salt[SD_MAX_HASH_LEN];
    const EVP_MD *md = ks_md(ks);
    if (md == NULL || hash_ch_sh == NULL) {
        return false;
    }
    if (ecdhe == NULL) { /* psk_ke: no (EC)DHE, so the 0-value */
        ecdhe = zeros;
        ecdhe_len = ks->hash_len;
    }
    bool ok =
        derived_salt(ks, ks->early_secret, salt) &&
        sd_hkdf_extract(md, salt, ks->hash_len, ecdhe, ecdhe_len, ks->handshake_secret) &&
        sd_derive_secret(md, ks->handshake_secret, "c hs traffic", hash_ch_sh,
                         ks->client_handshake_traffic) &&
        sd_derive_secret(md, ks->handshake_secret, "s hs traffic", hash_ch_sh, ks->server_handshake_traffic);
    OPENSSL_cleanse(salt, sizeof(salt));
    return ok;
}

bool sd_ks_application(sd_key_schedule *ks, const uint8_t *hash_ch_sf) {
    static const uint8_t zeros[SD_MAX_HASH_LEN] = {0};
    uint8_t salt[SD_MAX_HASH_LEN];
    const EVP_MD *md = ks_md(ks);
    if (md == NULL || hash_ch_sf == NULL) {
        return false;
    }
    bool ok =
        derived_salt(ks, ks->handshake_secret, salt) &&
        sd_hkdf_extract(md, salt, ks->hash_len, zeros, ks->hash_len, ks->master_secret) &&
        sd_derive_secret(md, ks->master_secret, "c ap traffic", hash_ch_sf, ks->client_application_traffic) &&
        sd_derive_secret(md, ks->master_secret, "s ap traffic", hash_ch_sf, ks->server_application_traffic) &&
        sd_derive_secret(md, ks->master_secret, "exp master", hash_ch_sf, ks->exporter_master);
    OPENSSL_cleanse(salt, sizeof(salt));
    return ok;
}

bool sd_ks_resumption(sd_key_schedule *ks, const uint8_t *hash_ch_cf) {
    const EVP_MD *md = ks_md(ks);
    if (md == NULL || hash_ch_cf == NULL) {
        return false;
    }
    return sd_derive_secret(md, ks->master_secret, "res master", hash_ch_cf, ks->resumption_master);
}

/* --- Finished (§4.4.4) -------------------------------------------------------- */
/*   finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)
 *   verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context,
 *                                                    Certificate*, CertificateVerify*)) */
bool sd_finished_verify_data(const EVP_MD *md, const uint8_t *base_key, const uint8_t *transcript_hash,
                             uint8_t *out) {
    uint8_t finished_key[SD_MAX_HASH_LEN];
    unsigned out_len = 0;
    if (md == NULL || base_key == NULL || transcript_hash == NULL ||
        (size_t)EVP_MD_size(md) > sizeof(finished_key)) {
        return false;
    }
    size_t hash_len = EVP_MD_size(md);
    bool ok = sd_hkdf_expand_label(md, base_key, "finished", NULL, 0, finished_key, hash_len) &&
              HMAC(md, finished_key, hash_len, transcript_hash, hash_len, out, &out_len) != NULL &&
              out_len == hash_len;
    OPENSSL_cleanse(finished_key, sizeof(finished_key));
    return ok;
}

/* --- Traffic keys (§7.3) -------------------------------------------------------- */
/*   [sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
 *   [sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length) */
bool sd_traffic_keys(const sd_suite *suite, const uint8_t *secret, uint8_t *key, uint8_t *iv) {
    if (suite == NULL || suite->key_len > SD_MAX_KEY_LEN) {
        return false;
    }
    const EVP_MD *md = suite->md();
    return sd_hkdf_expand_label(md, secret, "key", NULL, 0, key, suite->key_len) &&
           sd_hkdf_expand_label(md, secret, "iv", NULL, 0, iv, SD_IV_LEN);
}

/* §4.2.11.2 (crypto.h). */
bool sd_psk_binder(const sd_suite *suite, const uint8_t *psk, size_t psk_len, sd_span prefix,
                   sd_span truncated, uint8_t *out) {
    const EVP_MD *md = suite->md();
    sd_key_schedule early;
    uint8_t empty_hash[SD_MAX_HASH_LEN], binder_key[SD_MAX_HASH_LEN], hash[SD_MAX_HASH_LEN];
    unsigned n = 0;
    EVP_MD_CTX h;
    EVP_MD_CTX_init(&h);
    bool ok = sd_ks_init(&early, suite, psk, psk_len) && EVP_Digest(NULL, 0, empty_hash, &n, md, NULL) &&
              sd_derive_secret(md, early.early_secret, "res binder", empty_hash, binder_key) &&
              EVP_DigestInit_ex(&h, md, NULL) && EVP_DigestUpdate(&h, prefix.data, prefix.len) &&
              EVP_DigestUpdate(&h, truncated.data, truncated.len) && EVP_DigestFinal_ex(&h, hash, &n) &&
              sd_finished_verify_data(md, binder_key, hash, out);
    EVP_MD_CTX_cleanup(&h);
    OPENSSL_cleanse(&early, sizeof early);
    OPENSSL_cleanse(binder_key, sizeof binder_key);
    return ok;
}
