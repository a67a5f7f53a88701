/* test_crypto.c — the crypto layer (harness/crypto). The fixture PKI and
 * chain validation are tested in test_pki.c.
 *
 *  - RFC 8448 §3 ("Simple 1-RTT Handshake") end to end: x25519, every secret
 *    of the key schedule, the traffic keys, both Finished values, the
 *    server's CertificateVerify, and the protected records, opened and
 *    re-sealed byte for byte;
 *  - record protection failures: bad_record_mac, unexpected_message,
 *    record_overflow, and the sequence number advancing only on success;
 *  - the seeded RNG, pinned to a known answer;
 *  - key shares for x25519, secp256r1 and secp384r1, and the peer values
 *    §4.2.8.2 and §7.4.2 require us to refuse;
 *  - signatures per scheme, and the schemes TLS 1.3 forbids;
 *  - steady-length ECDSA signatures and their other form (r, n - s), and
 *    the memo of public-key results giving what a fresh computation gives;
 *  - a TLS 1.2 session's keys as the driver derives and installs them, the
 *    same as the step-by-step PRF functions (whose RFC 5246 / RFC 7627
 *    known answers are in test_tls12.c), and which keys fit which suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/curve25519.h>
#include <openssl/digest.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "crypto/tls12.h"
#include "wire/names.h"

#include "rfc8448_vectors.h"

/* --- Helpers ------------------------------------------------------------------ */

/* Decodes an RFC-layout hex string into a fresh buffer (the caller frees). */
static sd_buf unhex(const char *hex) {
    sd_buf b;
    sd_buf_init(&b);
    assert_true(sd_hex_decode(hex, strlen(hex), &b));
    return b;
}

static void print_hex(const char *label, const uint8_t *p, size_t n) {
    fprintf(stderr, "  %s (%zu):", label, n);
    for (size_t i = 0; i < n; i++) {
        fprintf(stderr, "%s%02x", i % 32 == 0 ? "\n    " : " ", p[i]);
    }
    fprintf(stderr, "\n");
}

/* Compares bytes with an RFC hex string; on a mismatch prints both sides. */
#define assert_bytes_hex(got, got_len, hex) assert_bytes_hex_at(got, got_len, hex, #got, __FILE__, __LINE__)

static void assert_bytes_hex_at(const uint8_t *got, size_t got_len, const char *hex, const char *what,
                                const char *file, int line) {
    sd_buf want = unhex(hex);
    bool same = want.len == got_len && (got_len == 0 || memcmp(want.data, got, got_len) == 0);
    if (!same) {
        fprintf(stderr, "%s:%d: %s differs from the expected value\n", file, line, what);
        print_hex("expected", want.data, want.len);
        print_hex("actual", got, got_len);
    }
    sd_buf_free(&want);
    if (!same) {
        _fail(file, line);
    }
}

static sd_span buf_span(const sd_buf *b) { return sd_buf_span(b); }

/* The transcript of RFC 8448 §3 up to and including the n-th message. */
static const char *const *rfc8448_messages(size_t *n) {
    static const char *msgs[7];
    msgs[0] = RFC8448_CLIENT_HELLO;
    msgs[1] = RFC8448_SERVER_HELLO;
    msgs[2] = RFC8448_ENCRYPTED_EXTENSIONS;
    msgs[3] = RFC8448_CERTIFICATE;
    msgs[4] = RFC8448_CERTIFICATE_VERIFY;
    msgs[5] = RFC8448_SERVER_FINISHED;
    msgs[6] = RFC8448_CLIENT_FINISHED;
    *n = 7;
    return msgs;
}

static void transcript_add_hex(sd_transcript *t, const char *hex) {
    sd_buf m = unhex(hex);
    sd_transcript_add(t, buf_span(&m));
    sd_buf_free(&m);
}

/* Key share with a given X25519 private key. */
static sd_key_share x25519_share(const char *private_hex) {
    sd_key_share ks;
    memset(&ks, 0, sizeof(ks));
    sd_buf priv = unhex(private_hex);
    assert_int_equal(priv.len, 32);
    ks.group = SD_x25519;
    memcpy(ks.private_key, priv.data, 32);
    ks.private_len = 32;
    X25519_public_from_private(ks.public_key, ks.private_key);
    ks.public_len = 32;
    sd_buf_free(&priv);
    return ks;
}

/* --- RFC 8448 §3: key exchange and key schedule ------------------------------------ */

static void test_rfc8448_x25519(void **state) {
    (void)state;
    sd_key_share client = x25519_share(RFC8448_CLIENT_X25519_PRIVATE);
    sd_key_share server = x25519_share(RFC8448_SERVER_X25519_PRIVATE);
    assert_bytes_hex(client.public_key, client.public_len, RFC8448_CLIENT_X25519_PUBLIC);
    assert_bytes_hex(server.public_key, server.public_len, RFC8448_SERVER_X25519_PUBLIC);

    uint8_t secret[SD_MAX_HASH_LEN];
    size_t secret_len = 0;
    uint8_t alert = 0;
    /* Both sides reach the same shared secret, the "handshake" IKM. */
    assert_true(sd_key_share_derive(&client, sd_span_of(server.public_key, 32), secret, &secret_len, &alert));
    assert_bytes_hex(secret, secret_len, RFC8448_X25519_SHARED_SECRET);
    assert_true(sd_key_share_derive(&server, sd_span_of(client.public_key, 32), secret, &secret_len, &alert));
    assert_bytes_hex(secret, secret_len, RFC8448_X25519_SHARED_SECRET);
}

static void test_rfc8448_key_schedule(void **state) {
    (void)state;
    const sd_suite *suite = sd_suite_find(SD_TLS_AES_128_GCM_SHA256);
    assert_non_null(suite);
    const EVP_MD *md = suite->md();
    uint8_t h[SD_MAX_HASH_LEN], out[SD_MAX_HASH_LEN], empty_hash[SD_MAX_HASH_LEN];
    sd_key_schedule ks;
    sd_transcript t;
    sd_transcript_init(&t);

    /* {server} extract secret "early": HKDF-Extract(0, 0). */
    assert_true(sd_ks_init(&ks, suite, NULL, 0));
    assert_int_equal(ks.hash_len, 32);
    assert_bytes_hex(ks.early_secret, 32, RFC8448_EARLY_SECRET);

    /* {server} derive secret for handshake "tls13 derived". */
    assert_true(EVP_Digest("", 0, empty_hash, NULL, md, NULL));
    assert_true(sd_derive_secret(md, ks.early_secret, "derived", empty_hash, out));
    assert_bytes_hex(out, 32, RFC8448_DERIVED_FOR_HANDSHAKE);

    /* Transcript ClientHello..ServerHello. */
    transcript_add_hex(&t, RFC8448_CLIENT_HELLO);
    transcript_add_hex(&t, RFC8448_SERVER_HELLO);
    assert_true(sd_transcript_hash(&t, md, h));
    assert_bytes_hex(h, 32, RFC8448_HASH_CH_SH);

    /* {server} extract secret "handshake", derive "c hs traffic", "s hs traffic". */
    sd_buf shared = unhex(RFC8448_X25519_SHARED_SECRET);
    assert_true(sd_ks_handshake(&ks, shared.data, shared.len, h));
    sd_buf_free(&shared);
    assert_bytes_hex(ks.handshake_secret, 32, RFC8448_HANDSHAKE_SECRET);
    assert_bytes_hex(ks.client_handshake_traffic, 32, RFC8448_CLIENT_HANDSHAKE_TRAFFIC_SECRET);
    assert_bytes_hex(ks.server_handshake_traffic, 32, RFC8448_SERVER_HANDSHAKE_TRAFFIC_SECRET);

    /* {server} derive secret for master "tls13 derived". */
    assert_true(sd_derive_secret(md, ks.handshake_secret, "derived", empty_hash, out));
    assert_bytes_hex(out, 32, RFC8448_DERIVED_FOR_MASTER);

    /* {server} calculate finished "tls13 finished": over CH..CertificateVerify. */
    transcript_add_hex(&t, RFC8448_ENCRYPTED_EXTENSIONS);
    transcript_add_hex(&t, RFC8448_CERTIFICATE);
    transcript_add_hex(&t, RFC8448_CERTIFICATE_VERIFY);
    assert_true(sd_hkdf_expand_label(md, ks.server_handshake_traffic, "finished", NULL, 0, out, 32));
    assert_bytes_hex(out, 32, RFC8448_SERVER_FINISHED_KEY);
    assert_true(sd_transcript_hash(&t, md, h));
    assert_true(sd_finished_verify_data(md, ks.server_handshake_traffic, h, out));
    assert_bytes_hex(out, 32, RFC8448_SERVER_FINISHED_VERIFY_DATA);
    /* The Finished message is 14 00 00 20 || verify_data. */
    sd_buf fin = unhex(RFC8448_SERVER_FINISHED);
    assert_int_equal(fin.len, 36);
    assert_memory_equal(fin.data + 4, out, 32);
    sd_buf_free(&fin);

    /* {server} derive "c ap traffic", "s ap traffic", "exp master" over CH..server Finished. */
    transcript_add_hex(&t, RFC8448_SERVER_FINISHED);
    assert_true(sd_transcript_hash(&t, md, h));
    assert_bytes_hex(h, 32, RFC8448_HASH_CH_SERVER_FINISHED);
    assert_true(sd_ks_application(&ks, h));
    assert_bytes_hex(ks.master_secret, 32, RFC8448_MASTER_SECRET);
    assert_bytes_hex(ks.client_application_traffic, 32, RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET);
    assert_bytes_hex(ks.server_application_traffic, 32, RFC8448_SERVER_APPLICATION_TRAFFIC_SECRET);
    assert_bytes_hex(ks.exporter_master, 32, RFC8448_EXPORTER_MASTER_SECRET);

    /* {client} calculate finished "tls13 finished": over CH..server Finished. */
    assert_true(sd_hkdf_expand_label(md, ks.client_handshake_traffic, "finished", NULL, 0, out, 32));
    assert_bytes_hex(out, 32, RFC8448_CLIENT_FINISHED_KEY);
    assert_true(sd_finished_verify_data(md, ks.client_handshake_traffic, h, out));
    assert_bytes_hex(out, 32, RFC8448_CLIENT_FINISHED_VERIFY_DATA);

    /* {client} derive secret "tls13 res master" over CH..client Finished. */
    transcript_add_hex(&t, RFC8448_CLIENT_FINISHED);
    assert_true(sd_transcript_hash(&t, md, h));
    assert_bytes_hex(h, 32, RFC8448_HASH_CH_CLIENT_FINISHED);
    assert_true(sd_ks_resumption(&ks, h));
    assert_bytes_hex(ks.resumption_master, 32, RFC8448_RESUMPTION_MASTER_SECRET);

    sd_transcript_free(&t);
}

static void test_rfc8448_traffic_keys(void **state) {
    (void)state;
    const sd_suite *suite = sd_suite_find(SD_TLS_AES_128_GCM_SHA256);
    struct {
        const char *secret, *key, *iv;
    } cases[] = {
        {RFC8448_SERVER_HANDSHAKE_TRAFFIC_SECRET, RFC8448_SERVER_HANDSHAKE_KEY, RFC8448_SERVER_HANDSHAKE_IV},
        {RFC8448_CLIENT_HANDSHAKE_TRAFFIC_SECRET, RFC8448_CLIENT_HANDSHAKE_KEY, RFC8448_CLIENT_HANDSHAKE_IV},
        {RFC8448_SERVER_APPLICATION_TRAFFIC_SECRET, RFC8448_SERVER_APPLICATION_KEY,
         RFC8448_SERVER_APPLICATION_IV},
        {RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET, RFC8448_CLIENT_APPLICATION_KEY,
         RFC8448_CLIENT_APPLICATION_IV},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t key[SD_MAX_KEY_LEN], iv[SD_IV_LEN];
        sd_buf secret = unhex(cases[i].secret);
        assert_true(sd_traffic_keys(suite, secret.data, key, iv));
        assert_bytes_hex(key, suite->key_len, cases[i].key);
        assert_bytes_hex(iv, SD_IV_LEN, cases[i].iv);
        sd_buf_free(&secret);
    }
}

/* The server's CertificateVerify (rsa_pss_rsae_sha256 with the RFC's 1024-bit
 * RSA certificate) verifies over Transcript-Hash(CH..Certificate). */
static void test_rfc8448_certificate_verify(void **state) {
    (void)state;
    const EVP_MD *md = EVP_sha256();
    sd_transcript t;
    sd_transcript_init(&t);
    transcript_add_hex(&t, RFC8448_CLIENT_HELLO);
    transcript_add_hex(&t, RFC8448_SERVER_HELLO);
    transcript_add_hex(&t, RFC8448_ENCRYPTED_EXTENSIONS);
    transcript_add_hex(&t, RFC8448_CERTIFICATE);
    uint8_t h[32];
    assert_true(sd_transcript_hash(&t, md, h));

    /* Certificate: 0b 00 01 b9 | context 00 | list 00 01 b5 | cert 00 01 b0 <432 bytes> | ext 00 00 */
    sd_buf cert_msg = unhex(RFC8448_CERTIFICATE);
    assert_int_equal(cert_msg.len, 445);
    const uint8_t *der = cert_msg.data + 11;
    X509 *cert = d2i_X509(NULL, &der, 0x1b0);
    assert_non_null(cert);
    EVP_PKEY *key = X509_get_pubkey(cert);
    assert_non_null(key);
    assert_true(sd_signature_scheme_matches_key(SD_rsa_pss_rsae_sha256, key));
    /* RFC 8017 §9.1.1: a 1024-bit key is too small for PSS with SHA-512. */
    assert_false(sd_signature_scheme_matches_key(SD_rsa_pss_rsae_sha512, key));
    assert_false(sd_signature_scheme_matches_key(SD_rsa_pkcs1_sha256, key));

    /* CertificateVerify: 0f 00 00 84 | 08 04 | 00 80 | signature (128 bytes) */
    sd_buf cv = unhex(RFC8448_CERTIFICATE_VERIFY);
    assert_int_equal(cv.len, 136);
    assert_int_equal((cv.data[4] << 8) | cv.data[5], SD_rsa_pss_rsae_sha256);
    sd_buf input;
    sd_buf_init(&input);
    sd_certificate_verify_input(true, h, sizeof(h), &input);
    assert_true(sd_verify(key, SD_rsa_pss_rsae_sha256, buf_span(&input), sd_span_of(cv.data + 8, 128)));
    /* The client's context string gives other content: it must not verify. */
    sd_buf client_input;
    sd_buf_init(&client_input);
    sd_certificate_verify_input(false, h, sizeof(h), &client_input);
    assert_false(
        sd_verify(key, SD_rsa_pss_rsae_sha256, buf_span(&client_input), sd_span_of(cv.data + 8, 128)));
    /* Nor under PKCS#1 v1.5, which TLS 1.3 refuses for CertificateVerify. */
    assert_false(sd_verify(key, SD_rsa_pkcs1_sha256, buf_span(&input), sd_span_of(cv.data + 8, 128)));

    sd_buf_free(&client_input);
    sd_buf_free(&input);
    sd_buf_free(&cv);
    EVP_PKEY_free(key);
    X509_free(cert);
    sd_buf_free(&cert_msg);
    sd_transcript_free(&t);
}

/* --- RFC 8448 §3: records ---------------------------------------------------------- */

static sd_record_keys keys_from(const char *secret_hex) {
    sd_record_keys k;
    sd_record_keys_init(&k);
    sd_buf secret = unhex(secret_hex);
    assert_true(sd_record_keys_set(&k, sd_suite_find(SD_TLS_AES_128_GCM_SHA256), secret.data));
    sd_buf_free(&secret);
    return k;
}

/* EncryptedExtensions || Certificate || CertificateVerify || Finished. */
static sd_buf server_flight_plaintext(void) {
    sd_buf b;
    sd_buf_init(&b);
    size_t n;
    const char *const *msgs = rfc8448_messages(&n);
    for (size_t i = 2; i <= 5; i++) {
        sd_buf m = unhex(msgs[i]);
        sd_buf_append_span(&b, buf_span(&m));
        sd_buf_free(&m);
    }
    return b;
}

static void test_rfc8448_open_server_flight(void **state) {
    (void)state;
    sd_record_keys k = keys_from(RFC8448_SERVER_HANDSHAKE_TRAFFIC_SECRET);
    sd_buf rec = unhex(RFC8448_SERVER_HANDSHAKE_RECORD);
    sd_buf want = server_flight_plaintext();
    sd_buf out;
    sd_buf_init(&out);
    uint8_t type = 0, alert = 0;
    assert_int_equal(rec.len, 679);
    assert_true(sd_record_open(&k, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5), &type,
                               &out, &alert));
    assert_int_equal(type, SD_handshake);
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.data, want.data, want.len);
    assert_int_equal(k.seq, 1);
    sd_buf_free(&out);
    sd_buf_free(&want);
    sd_buf_free(&rec);
    sd_record_keys_clear(&k);
}

static void test_rfc8448_seal_records(void **state) {
    (void)state;
    /* The server's flight, sequence number 0, no padding. */
    sd_record_keys k = keys_from(RFC8448_SERVER_HANDSHAKE_TRAFFIC_SECRET);
    sd_buf plain = server_flight_plaintext();
    sd_buf out;
    sd_buf_init(&out);
    assert_true(sd_record_seal(&k, SD_handshake, buf_span(&plain), 0, &out));
    assert_bytes_hex(out.data, out.len, RFC8448_SERVER_HANDSHAKE_RECORD);
    assert_int_equal(k.seq, 1);
    sd_record_keys_clear(&k);
    sd_buf_free(&plain);

    /* The client's Finished under the client handshake keys. */
    k = keys_from(RFC8448_CLIENT_HANDSHAKE_TRAFFIC_SECRET);
    plain = unhex(RFC8448_CLIENT_FINISHED);
    sd_buf_reset(&out);
    assert_true(sd_record_seal(&k, SD_handshake, buf_span(&plain), 0, &out));
    assert_bytes_hex(out.data, out.len, RFC8448_CLIENT_FINISHED_RECORD);
    sd_record_keys_clear(&k);
    sd_buf_free(&plain);

    /* Application data, client side at sequence 0. */
    k = keys_from(RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET);
    plain = unhex(RFC8448_APPLICATION_DATA);
    sd_buf_reset(&out);
    assert_true(sd_record_seal(&k, SD_application_data, buf_span(&plain), 0, &out));
    assert_bytes_hex(out.data, out.len, RFC8448_CLIENT_APPLICATION_DATA_RECORD);
    sd_record_keys_clear(&k);

    /* Server side at sequence 1 (0 carried the NewSessionTicket): sealing
     * and opening both use the record sequence number in the nonce (§5.3). */
    k = keys_from(RFC8448_SERVER_APPLICATION_TRAFFIC_SECRET);
    k.seq = 1;
    sd_buf_reset(&out);
    assert_true(sd_record_seal(&k, SD_application_data, buf_span(&plain), 0, &out));
    assert_bytes_hex(out.data, out.len, RFC8448_SERVER_APPLICATION_DATA_RECORD);
    sd_record_keys_clear(&k);

    k = keys_from(RFC8448_SERVER_APPLICATION_TRAFFIC_SECRET);
    k.seq = 1;
    sd_buf rec = unhex(RFC8448_SERVER_APPLICATION_DATA_RECORD);
    sd_buf opened;
    sd_buf_init(&opened);
    uint8_t type = 0, alert = 0;
    assert_true(sd_record_open(&k, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5), &type,
                               &opened, &alert));
    assert_int_equal(type, SD_application_data);
    assert_int_equal(opened.len, plain.len);
    assert_memory_equal(opened.data, plain.data, plain.len);
    assert_int_equal(k.seq, 2);
    sd_record_keys_clear(&k);

    sd_buf_free(&opened);
    sd_buf_free(&rec);
    sd_buf_free(&plain);
    sd_buf_free(&out);
}

/* --- Record protection failures ------------------------------------------------------ */

/* §5.2: "If the decryption fails, the receiver MUST terminate the connection
 * with a "bad_record_mac" alert." A flipped bit anywhere, header included
 * (it is the additional data), must fail, and must not move the sequence
 * number nor leave plaintext behind. */
static void test_record_flipped_bit(void **state) {
    (void)state;
    sd_buf rec = unhex(RFC8448_SERVER_HANDSHAKE_RECORD);
    const size_t bits[] = {0,
                           3 * 8 + 1 /* length field */,
                           5 * 8 /* first ciphertext bit */,
                           300 * 8 + 5,
                           (rec.len - 17) * 8 /* last ciphertext byte */,
                           (rec.len - 1) * 8 + 7 /* last tag bit */};
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        sd_record_keys k = keys_from(RFC8448_SERVER_HANDSHAKE_TRAFFIC_SECRET);
        sd_buf bad;
        sd_buf_init(&bad);
        sd_buf_append(&bad, rec.data, rec.len);
        bad.data[bits[i] / 8] ^= (uint8_t)(1u << (bits[i] % 8));
        sd_buf out;
        sd_buf_init(&out);
        sd_buf_u8(&out, 0xaa); /* what was there before must stay */
        uint8_t type = 0, alert = 0;
        assert_false(sd_record_open(&k, sd_span_of(bad.data, 5), sd_span_of(bad.data + 5, bad.len - 5), &type,
                                    &out, &alert));
        assert_int_equal(alert, SD_bad_record_mac);
        assert_int_equal(k.seq, 0);
        assert_int_equal(out.len, 1);
        /* The untouched record still opens: the keys were not disturbed. */
        assert_true(sd_record_open(&k, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5), &type,
                                   &out, &alert));
        assert_int_equal(k.seq, 1);
        sd_buf_free(&out);
        sd_buf_free(&bad);
        sd_record_keys_clear(&k);
    }
    sd_buf_free(&rec);
}

/* Seals with `keys_hex`, opens with a fresh copy; returns the open result. */
static bool seal_then_open(uint8_t type_in, const uint8_t *content, size_t len, size_t padding,
                           uint8_t *type_out, sd_buf *plain, uint8_t *alert) {
    sd_record_keys w = keys_from(RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET);
    sd_record_keys r = keys_from(RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET);
    sd_buf rec;
    sd_buf_init(&rec);
    assert_true(sd_record_seal(&w, type_in, sd_span_of(content, len), padding, &rec));
    /* §5.2: length = content + padding + 1 + AEAD expansion (16 for GCM). */
    assert_int_equal(rec.len, 5 + len + padding + 1 + 16);
    assert_int_equal(rec.data[0], SD_application_data);
    assert_int_equal(rec.data[1], 3);
    assert_int_equal(rec.data[2], 3);
    assert_int_equal((rec.data[3] << 8) | rec.data[4], rec.len - 5);
    bool ok = sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5), type_out,
                             plain, alert);
    assert_int_equal(r.seq, ok ? 1 : 0);
    sd_buf_free(&rec);
    sd_record_keys_clear(&w);
    sd_record_keys_clear(&r);
    return ok;
}

static void test_record_padding(void **state) {
    (void)state;
    const uint8_t content[] = {1, 2, 3, 0, 0}; /* trailing zeros belong to the content */
    sd_buf plain;
    sd_buf_init(&plain);
    uint8_t type = 0, alert = 0;
    /* §5.4: the padding is stripped, the type is the last non-zero byte. */
    assert_true(seal_then_open(SD_handshake, content, sizeof(content), 100, &type, &plain, &alert));
    assert_int_equal(type, SD_handshake);
    assert_int_equal(plain.len, sizeof(content));
    assert_memory_equal(plain.data, content, sizeof(content));

    /* An empty application_data record is allowed (§5.1: zero-length
     * fragments of application data MAY be sent). */
    sd_buf_reset(&plain);
    assert_true(seal_then_open(SD_application_data, NULL, 0, 0, &type, &plain, &alert));
    assert_int_equal(type, SD_application_data);
    assert_int_equal(plain.len, 0);

    /* §5.4: "If a receiving implementation does not find a non-zero octet in
     * the cleartext, it MUST terminate the connection with an
     * "unexpected_message" alert." Content type 0 with zero padding. */
    sd_buf_reset(&plain);
    assert_false(seal_then_open(0, NULL, 0, 7, &type, &plain, &alert));
    assert_int_equal(alert, SD_unexpected_message);
    assert_int_equal(plain.len, 0);
    sd_buf_free(&plain);
}

static void test_record_overflow(void **state) {
    (void)state;
    uint8_t *big = calloc(16384 + 2, 1);
    assert_non_null(big);
    memset(big, 0x41, 16384 + 2);
    sd_buf plain;
    sd_buf_init(&plain);
    uint8_t type = 0, alert = 0;

    /* Exactly 2^14 bytes of content: the largest legal record. */
    assert_true(seal_then_open(SD_application_data, big, 16384, 0, &type, &plain, &alert));
    assert_int_equal(plain.len, 16384);

    /* §6.2 record_overflow: "a record decrypted to a TLSPlaintext record
     * with more than 2^14 bytes". One byte of content too many... */
    sd_buf_reset(&plain);
    assert_false(seal_then_open(SD_application_data, big, 16385, 0, &type, &plain, &alert));
    assert_int_equal(alert, SD_record_overflow);
    /* ...or legal content plus padding beyond 2^14 + 1 (§5.4: "the full
     * encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets"). */
    sd_buf_reset(&plain);
    assert_false(seal_then_open(SD_application_data, big, 16384, 1, &type, &plain, &alert));
    assert_int_equal(alert, SD_record_overflow);
    assert_int_equal(plain.len, 0);

    /* §5.2: a TLSCiphertext longer than 2^14 + 256 is refused before
     * decryption. */
    sd_record_keys r = keys_from(RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET);
    uint8_t header[5] = {23, 3, 3, (16384 + 257) >> 8, (16384 + 257) & 0xff};
    uint8_t *frag = calloc(16384 + 257, 1);
    assert_non_null(frag);
    assert_false(
        sd_record_open(&r, sd_span_of(header, 5), sd_span_of(frag, 16384 + 257), &type, &plain, &alert));
    assert_int_equal(alert, SD_record_overflow);
    /* A fragment shorter than the tag cannot authenticate. */
    assert_false(sd_record_open(&r, sd_span_of(header, 5), sd_span_of(frag, 10), &type, &plain, &alert));
    assert_int_equal(alert, SD_bad_record_mac);
    assert_false(sd_record_open(&r, sd_span_of(header, 5), sd_span_of(frag, 0), &type, &plain, &alert));
    assert_int_equal(alert, SD_bad_record_mac);
    assert_int_equal(r.seq, 0);
    sd_record_keys_clear(&r);

    free(frag);
    free(big);
    sd_buf_free(&plain);
}

/* §5.3: each record gets a fresh nonce from the sequence number, so records
 * open only in order. */
static void test_record_sequence(void **state) {
    (void)state;
    sd_record_keys w = keys_from(RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET);
    sd_record_keys r = keys_from(RFC8448_CLIENT_APPLICATION_TRAFFIC_SECRET);
    const uint8_t msg[] = "same content";
    sd_buf a, b, plain;
    sd_buf_init(&a);
    sd_buf_init(&b);
    sd_buf_init(&plain);
    assert_true(sd_record_seal(&w, SD_application_data, sd_span_of(msg, sizeof(msg)), 0, &a));
    assert_true(sd_record_seal(&w, SD_application_data, sd_span_of(msg, sizeof(msg)), 0, &b));
    assert_int_equal(w.seq, 2);
    assert_int_equal(a.len, b.len);
    assert_memory_not_equal(a.data + 5, b.data + 5, a.len - 5);
    uint8_t type, alert;
    /* b first: it was sealed with sequence 1, the reader expects 0. */
    assert_false(
        sd_record_open(&r, sd_span_of(b.data, 5), sd_span_of(b.data + 5, b.len - 5), &type, &plain, &alert));
    assert_int_equal(alert, SD_bad_record_mac);
    assert_true(
        sd_record_open(&r, sd_span_of(a.data, 5), sd_span_of(a.data + 5, a.len - 5), &type, &plain, &alert));
    assert_true(
        sd_record_open(&r, sd_span_of(b.data, 5), sd_span_of(b.data + 5, b.len - 5), &type, &plain, &alert));
    assert_int_equal(plain.len, 2 * sizeof(msg)); /* open appends */
    assert_int_equal(r.seq, 2);

    /* Inactive keys pass records in plaintext. */
    sd_record_keys none;
    sd_record_keys_init(&none);
    sd_buf_reset(&a);
    assert_true(sd_record_seal(&none, SD_handshake, sd_span_of(msg, 3), 0, &a));
    assert_int_equal(a.len, 8);
    assert_int_equal(a.data[0], SD_handshake);
    assert_false(
        sd_record_seal(&none, SD_handshake, sd_span_of(msg, 3), 1, &a)); /* no padding in TLSPlaintext */
    sd_buf_reset(&plain);
    assert_true(
        sd_record_open(&none, sd_span_of(a.data, 5), sd_span_of(a.data + 5, 3), &type, &plain, &alert));
    assert_int_equal(type, SD_handshake);
    assert_int_equal(plain.len, 3);
    sd_record_keys_clear(&none);

    sd_buf_free(&plain);
    sd_buf_free(&b);
    sd_buf_free(&a);
    sd_record_keys_clear(&w);
    sd_record_keys_clear(&r);
}

/* Every suite seals and opens, and the AES-256/ChaCha20 keys are 32 bytes. */
static void test_all_suites_round_trip(void **state) {
    (void)state;
    const uint16_t ids[] = {SD_TLS_AES_128_GCM_SHA256, SD_TLS_AES_256_GCM_SHA384,
                            SD_TLS_CHACHA20_POLY1305_SHA256};
    uint8_t secret[SD_MAX_HASH_LEN];
    memset(secret, 0x5a, sizeof(secret));
    for (size_t i = 0; i < 3; i++) {
        const sd_suite *s = sd_suite_find(ids[i]);
        assert_non_null(s);
        assert_int_equal(EVP_MD_size(s->md()), s->hash_len);
        assert_int_equal(EVP_AEAD_key_length(s->aead()), s->key_len);
        sd_record_keys w, r;
        sd_record_keys_init(&w);
        sd_record_keys_init(&r);
        assert_true(sd_record_keys_set(&w, s, secret));
        assert_true(sd_record_keys_set(&r, s, secret));
        sd_buf rec, plain;
        sd_buf_init(&rec);
        sd_buf_init(&plain);
        assert_true(sd_record_seal(&w, SD_alert, sd_span_of((const uint8_t *)"\x02\x28", 2), 3, &rec));
        uint8_t type, alert;
        assert_true(sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5), &type,
                                   &plain, &alert));
        assert_int_equal(type, SD_alert);
        assert_int_equal(plain.len, 2);
        sd_buf_free(&plain);
        sd_buf_free(&rec);
        sd_record_keys_clear(&w);
        sd_record_keys_clear(&r);
    }
    assert_null(sd_suite_find(0x1304)); /* TLS_AES_128_CCM_SHA256: not supported */
    assert_null(sd_suite_find(0x0000));
}

/* --- Transcript and HKDF ----------------------------------------------------------------- */

/* §4.4.1: after a HelloRetryRequest, ClientHello1 becomes
 * message_hash(254) || 00 00 Hash.length || Hash(ClientHello1). */
static void test_transcript_message_hash(void **state) {
    (void)state;
    const EVP_MD *md = EVP_sha384();
    sd_transcript t;
    sd_transcript_init(&t);
    transcript_add_hex(&t, RFC8448_CLIENT_HELLO);
    uint8_t ch_hash[48];
    assert_true(sd_transcript_hash(&t, md, ch_hash));
    assert_true(sd_transcript_replace_with_message_hash(&t, md));
    assert_int_equal(t.bytes.len, 4 + 48);
    assert_int_equal(t.bytes.data[0], 254);
    assert_int_equal(t.bytes.data[1], 0);
    assert_int_equal(t.bytes.data[2], 0);
    assert_int_equal(t.bytes.data[3], 48);
    assert_memory_equal(t.bytes.data + 4, ch_hash, 48);
    sd_transcript_free(&t);

    /* The empty transcript hashes to Hash(""). */
    sd_transcript_init(&t);
    uint8_t h[32];
    assert_true(sd_transcript_hash(&t, EVP_sha256(), h));
    assert_bytes_hex(
        h, 32,
        "e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55");
    sd_transcript_free(&t);
}

/* The running hash sd_transcript_hash keeps between calls gives what
 * hashing all the bytes at once gives: after each addition, with another
 * hash function in between, for a prefix (bytes.len shortened for a moment,
 * as TLS 1.2 Finished does) and after the message_hash replacement. */
static void assert_transcript_hash_whole(const sd_transcript *t, const EVP_MD *md) {
    uint8_t running[SD_MAX_HASH_LEN], whole[SD_MAX_HASH_LEN];
    unsigned whole_len = 0;
    assert_true(sd_transcript_hash(t, md, running));
    assert_true(EVP_Digest(t->bytes.data, t->bytes.len, whole, &whole_len, md, NULL));
    assert_memory_equal(running, whole, whole_len);
}

static void test_transcript_running_hash(void **state) {
    (void)state;
    sd_transcript t;
    sd_transcript_init(&t);
    assert_non_null(t.running);
    uint8_t msg[300];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 1);
    for (size_t step = 1; step <= 6; step++) {
        sd_transcript_add(&t, sd_span_of(msg, 37 * step));
        assert_transcript_hash_whole(&t, EVP_sha256());
        if (step == 3) assert_transcript_hash_whole(&t, EVP_sha384());
    }
    assert_transcript_hash_whole(&t, EVP_sha256()); /* nothing added since */
    size_t full = t.bytes.len;
    t.bytes.len = full - 100;
    assert_transcript_hash_whole(&t, EVP_sha256());
    t.bytes.len = full;
    sd_transcript_add(&t, sd_span_of(msg, 5));
    assert_transcript_hash_whole(&t, EVP_sha256());
    assert_true(sd_transcript_replace_with_message_hash(&t, EVP_sha256()));
    assert_transcript_hash_whole(&t, EVP_sha256());
    sd_transcript_add(&t, sd_span_of(msg, 11));
    assert_transcript_hash_whole(&t, EVP_sha256());
    sd_transcript_free(&t);
}

/* RFC 5869 A.1 (HKDF-SHA256 test case 1): Extract, and the Expand-Label
 * framing's refusal of over-long labels and contexts. */
static void test_hkdf(void **state) {
    (void)state;
    uint8_t ikm[22], salt[13], prk[32];
    memset(ikm, 0x0b, sizeof(ikm));
    for (size_t i = 0; i < sizeof(salt); i++) {
        salt[i] = (uint8_t)i;
    }
    assert_true(sd_hkdf_extract(EVP_sha256(), salt, sizeof(salt), ikm, sizeof(ikm), prk));
    assert_bytes_hex(
        prk, 32,
        "07 77 09 36 2c 2e 32 df 0d dc 3f 0d c4 7b ba 63 90 b6 c7 3b b5 0f 9c 31 22 ec 84 4a d7 c2 b3 e5");

    char long_label[251];
    memset(long_label, 'a', sizeof(long_label) - 1);
    long_label[sizeof(long_label) - 1] = '\0'; /* 250 + "tls13 " = 256 > 255 */
    uint8_t out[32], ctx[256] = {0};
    assert_false(sd_hkdf_expand_label(EVP_sha256(), prk, long_label, NULL, 0, out, 32));
    long_label[249] = '\0'; /* 249 + 6 = 255: the maximum */
    assert_true(sd_hkdf_expand_label(EVP_sha256(), prk, long_label, NULL, 0, out, 32));
    assert_false(sd_hkdf_expand_label(EVP_sha256(), prk, "key", ctx, 256, out, 32));
    assert_true(sd_hkdf_expand_label(EVP_sha256(), prk, "key", ctx, 255, out, 32));
}

/* --- Seeded RNG ------------------------------------------------------------------------------ */

static void test_rng_deterministic(void **state) {
    (void)state;
    /* Known answer: the ChaCha20 keystream (RFC 8439) under
     * SHA-256("shakedown sd_rng v1" || 01 00 00 00 00 00 00 00), computed
     * independently. Replays depend on this stream never changing. */
    static const char kSeed1[] =
        "65b5e9a5c6c6c100e43e7de1cf408918f5b360048a9a5bdf0a3c44df77f3fee37af3330898d9ecb2eb092e1777af94d3"
        "6c1b4d7838d03c60a3b9770731e94c2cd5a85a9286b363870e161515b7b178f9f06e186f9cc0b8f016a6c5488c116c63"
        "1a49d22b811f8b288d4afeaff878f06d87dea86c7b8d5596040ee5d99dc23bc252d1";
    uint8_t a[130], b[130];
    sd_rng r1, r2;
    sd_rng_init(&r1, 1);
    sd_rng_bytes(&r1, a, sizeof(a));
    assert_bytes_hex(a, sizeof(a), kSeed1);

    /* The same stream whatever the read sizes (crossing block boundaries). */
    sd_rng_init(&r2, 1);
    const size_t chunks[] = {1, 62, 1, 3, 63, 0, 0};
    size_t off = 0;
    for (size_t i = 0; off < sizeof(b); i++) {
        size_t n = chunks[i % 7];
        if (n > sizeof(b) - off) {
            n = sizeof(b) - off;
        }
        sd_rng_bytes(&r2, b + off, n);
        off += n;
        if (i > 1000) {
            fail();
        }
    }
    assert_memory_equal(a, b, sizeof(a));

    /* Another seed, another stream. */
    sd_rng_init(&r2, 2);
    sd_rng_bytes(&r2, b, sizeof(b));
    assert_memory_not_equal(a, b, sizeof(a));
}

/* --- Key shares ------------------------------------------------------------------------------- */

static void test_key_share_round_trip(void **state) {
    (void)state;
    const struct {
        uint16_t group;
        size_t public_len, secret_len;
    } cases[] = {{SD_x25519, 32, 32},       {SD_secp256r1, 65, 32},   {SD_secp384r1, 97, 48},
                 {SD_secp521r1, 133, 66},   {SD_x448, 56, 56},        {SD_ffdhe2048, 256, 256},
                 {SD_ffdhe3072, 384, 384},  {SD_ffdhe4096, 512, 512}, {SD_ffdhe6144, 768, 768},
                 {SD_ffdhe8192, 1024, 1024}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sd_rng rng;
        sd_rng_init(&rng, 42 + i);
        sd_key_share a, b, a_again;
        assert_true(sd_group_supported(cases[i].group));
        assert_true(sd_key_share_generate(&a, cases[i].group, &rng));
        assert_true(sd_key_share_generate(&b, cases[i].group, &rng));
        assert_int_equal(a.public_len, cases[i].public_len);
        if (cases[i].group != SD_x25519 && cases[i].group != SD_x448 && !sd_group_is_ffdhe(cases[i].group)) {
            assert_int_equal(a.public_key[0], 0x04); /* §4.2.8.2 uncompressed */
        }
        /* Determinism: the same seed gives the same key pair. */
        sd_rng_init(&rng, 42 + i);
        assert_true(sd_key_share_generate(&a_again, cases[i].group, &rng));
        assert_int_equal(a_again.public_len, a.public_len);
        assert_memory_equal(a_again.public_key, a.public_key, a.public_len);
        assert_memory_not_equal(a.public_key, b.public_key, a.public_len);

        uint8_t s1[SD_MAX_SHARED_SECRET_LEN], s2[SD_MAX_SHARED_SECRET_LEN];
        size_t l1 = 0, l2 = 0;
        uint8_t alert = 0;
        assert_true(sd_key_share_derive(&a, sd_span_of(b.public_key, b.public_len), s1, &l1, &alert));
        assert_true(sd_key_share_derive(&b, sd_span_of(a.public_key, a.public_len), s2, &l2, &alert));
        assert_int_equal(l1, cases[i].secret_len);
        assert_int_equal(l2, l1);
        assert_memory_equal(s1, s2, l1);
    }
    /* 0x001a, brainpoolP256r1 (RFC 7027), is a group the harness lacks. */
    assert_false(sd_group_supported(0x001a));
    sd_rng rng;
    sd_rng_init(&rng, 1);
    sd_key_share ks;
    assert_false(sd_key_share_generate(&ks, 0x001a, &rng));
}

static void expect_refused(const sd_key_share *ks, const uint8_t *peer, size_t len) {
    uint8_t secret[SD_MAX_SHARED_SECRET_LEN];
    size_t secret_len = 99;
    uint8_t alert = 0;
    assert_false(sd_key_share_derive(ks, sd_span_of(peer, len), secret, &secret_len, &alert));
    assert_int_equal(alert, SD_illegal_parameter);
    assert_int_equal(secret_len, 0);
}

/* RFC 8446 §4.2.8.1 for ffdhe2048 (RFC 7919 Appendix A.1): the public value
 * is padded to the prime's 256 bytes, and a peer's Y outside 1 < Y < p-1
 * (0, 1, p-1, p) or of another length is refused; 2 and p-2 are taken. */
static void test_ffdhe_rejects(void **state) {
    (void)state;
    static const char p2048[] = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
                                "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
                                "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
                                "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
                                "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
                                "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
                                "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
                                "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF";
    sd_rng rng;
    sd_rng_init(&rng, 11);
    sd_key_share own, other;
    assert_true(sd_key_share_generate(&own, SD_ffdhe2048, &rng));
    assert_true(sd_key_share_generate(&other, SD_ffdhe2048, &rng));
    sd_buf p = unhex(p2048);
    assert_int_equal(p.len, 256);
    /* The public value is below p (it is g^x mod p). */
    assert_true(memcmp(own.public_key, p.data, 256) < 0);
    uint8_t y[257] = {0};
    expect_refused(&own, y, 256); /* 0 */
    y[255] = 1;
    expect_refused(&own, y, 256); /* 1 */
    memcpy(y, p.data, 256);
    expect_refused(&own, y, 256); /* p */
    y[255] -= 1;
    expect_refused(&own, y, 256); /* p-1 */
    y[255] -= 1;                  /* p-2: in range */
    uint8_t secret[SD_MAX_SHARED_SECRET_LEN];
    size_t secret_len = 0;
    uint8_t alert = 0;
    assert_true(sd_key_share_derive(&own, sd_span_of(y, 256), secret, &secret_len, &alert));
    assert_int_equal(secret_len, 256);
    memset(y, 0, sizeof y);
    y[255] = 2; /* 2: in range, but only as 256 bytes */
    assert_true(sd_key_share_derive(&own, sd_span_of(y, 256), secret, &secret_len, &alert));
    expect_refused(&own, y + 1, 255); /* unpadded */
    expect_refused(&own, y, 257);     /* one byte too many */
    expect_refused(&own, other.public_key + 1, 255);
    /* A value of another group's size is not one of this group's. */
    sd_key_share ffdhe3072;
    assert_true(sd_key_share_generate(&ffdhe3072, SD_ffdhe3072, &rng));
    expect_refused(&own, ffdhe3072.public_key, ffdhe3072.public_len);
    sd_buf_free(&p);
}

/* RFC 7748 §6.2, the X448 Diffie-Hellman example: each private key times
 * the base point (u = 5) is its public key, and each private key times the
 * other's public key is the shared secret K. */
static sd_key_share x448_share(const char *private_hex) {
    sd_key_share ks;
    memset(&ks, 0, sizeof ks);
    sd_buf priv = unhex(private_hex);
    assert_int_equal(priv.len, 56);
    ks.group = SD_x448;
    memcpy(ks.private_key, priv.data, 56);
    ks.private_len = 56;
    sd_buf_free(&priv);
    return ks;
}

static void test_rfc7748_x448(void **state) {
    (void)state;
    static const char alice_private[] = "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28d"
                                        "d9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b";
    static const char alice_public[] = "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c"
                                       "22c5d9bbc836647241d953d40c5b12da88120d53177f80e532c41fa0";
    static const char bob_private[] = "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d"
                                      "6927c120bb5ee8972b0d3e21374c9c921b09d1b0366f10b65173992d";
    static const char bob_public[] = "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b430"
                                     "27d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609";
    static const char shared[] = "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282b"
                                 "b60c0b56fd2464c335543936521c24403085d59a449a5037514a879d";
    sd_crypto_memo_set_enabled(false);
    sd_key_share alice = x448_share(alice_private), bob = x448_share(bob_private);
    uint8_t base[56] = {5}, secret[SD_MAX_SHARED_SECRET_LEN];
    size_t secret_len = 0;
    uint8_t alert = 0;
    assert_true(sd_key_share_derive(&alice, sd_span_of(base, 56), secret, &secret_len, &alert));
    assert_bytes_hex(secret, secret_len, alice_public);
    assert_true(sd_key_share_derive(&bob, sd_span_of(base, 56), secret, &secret_len, &alert));
    assert_bytes_hex(secret, secret_len, bob_public);
    sd_buf pub = unhex(bob_public);
    assert_true(sd_key_share_derive(&alice, buf_span(&pub), secret, &secret_len, &alert));
    assert_bytes_hex(secret, secret_len, shared);
    sd_buf_free(&pub);
    pub = unhex(alice_public);
    assert_true(sd_key_share_derive(&bob, buf_span(&pub), secret, &secret_len, &alert));
    assert_bytes_hex(secret, secret_len, shared);

    /* §4.2.8.2: "56 bytes for X448": one byte short or long is refused. */
    uint8_t longer[57] = {0};
    memcpy(longer, pub.data, 56);
    expect_refused(&bob, pub.data, 55);
    expect_refused(&bob, longer, 57);
    sd_buf_free(&pub);
    /* RFC 8446 §7.4.2: "For X25519 and X448, implementations ... MUST check
     * whether the computed Diffie-Hellman shared secret is the all-zero
     * value and abort if so": u = 0 and u = 1 are points of low order. */
    uint8_t zero[56] = {0}, one[56] = {1};
    expect_refused(&alice, zero, 56);
    expect_refused(&alice, one, 56);
    sd_crypto_memo_set_enabled(true);
}

static void test_key_share_rejects(void **state) {
    (void)state;
    sd_rng rng;
    sd_rng_init(&rng, 7);

    /* §7.4.2: "implementations MUST check whether the computed
     * Diffie-Hellman shared secret is the all-zero value and abort if so":
     * the all-zero public value, and a small-order point (u = 1), both give
     * an all-zero result. */
    sd_key_share x;
    assert_true(sd_key_share_generate(&x, SD_x25519, &rng));
    uint8_t zero[32] = {0}, one[32] = {1};
    expect_refused(&x, zero, 32);
    expect_refused(&x, one, 32);
    expect_refused(&x, x.public_key, 31); /* wrong length */
    expect_refused(&x, NULL, 0);

    /* §4.2.8.2: "Peers MUST validate each other's public key Y by ensuring
     * that the point is a valid point on the elliptic curve". */
    sd_key_share p256, peer;
    assert_true(sd_key_share_generate(&p256, SD_secp256r1, &rng));
    assert_true(sd_key_share_generate(&peer, SD_secp256r1, &rng));
    uint8_t bad[65];
    memcpy(bad, peer.public_key, 65);
    bad[64] ^= 1; /* Y changed: off the curve */
    expect_refused(&p256, bad, 65);
    /* The compressed form (02/03 || X) is not the TLS 1.3 encoding. */
    uint8_t compressed[33];
    compressed[0] = (uint8_t)(0x02 | (peer.public_key[64] & 1));
    memcpy(compressed + 1, peer.public_key + 1, 32);
    expect_refused(&p256, compressed, 33);
    memcpy(bad, peer.public_key, 65);
    bad[0] = 0x06; /* hybrid form */
    expect_refused(&p256, bad, 65);
    expect_refused(&p256, peer.public_key, 64); /* truncated */
    uint8_t infinity[1] = {0};
    expect_refused(&p256, infinity, 1);
    /* A P-384 point is not a P-256 point. */
    sd_key_share p384;
    assert_true(sd_key_share_generate(&p384, SD_secp384r1, &rng));
    expect_refused(&p256, p384.public_key, p384.public_len);
    /* And the valid one still works. */
    uint8_t secret[SD_MAX_SHARED_SECRET_LEN];
    size_t secret_len;
    uint8_t alert;
    assert_true(sd_key_share_derive(&p256, sd_span_of(peer.public_key, 65), secret, &secret_len, &alert));

    /* P-384 and P-521 (§4.2.8.2: coordinate_length 48 and 66): a point off
     * the curve, one byte short, one byte long, and the compressed form. */
    const uint16_t nist[] = {SD_secp384r1, SD_secp521r1};
    for (size_t i = 0; i < 2; i++) {
        sd_key_share own, other;
        assert_true(sd_key_share_generate(&own, nist[i], &rng));
        assert_true(sd_key_share_generate(&other, nist[i], &rng));
        size_t len = other.public_len;
        uint8_t point[SD_MAX_KEY_SHARE_LEN + 1];
        memcpy(point, other.public_key, len);
        point[len - 1] ^= 1; /* Y changed: off the curve */
        expect_refused(&own, point, len);
        memcpy(point, other.public_key, len);
        expect_refused(&own, point, len - 1);
        point[len] = 0;
        expect_refused(&own, point, len + 1);
        point[0] = (uint8_t)(0x02 | (other.public_key[len - 1] & 1));
        expect_refused(&own, point, 1 + (len - 1) / 2);
        expect_refused(&own, p256.public_key, p256.public_len); /* another curve's point */
        assert_true(
            sd_key_share_derive(&own, sd_span_of(other.public_key, len), secret, &secret_len, &alert));
        assert_int_equal(secret_len, (len - 1) / 2);
    }
}

/* --- Signatures -------------------------------------------------------------------------------- */

static EVP_PKEY *ec_key(int nid) {
    EC_KEY *ec = EC_KEY_new_by_curve_name(nid);
    assert_non_null(ec);
    assert_true(EC_KEY_generate_key(ec));
    EVP_PKEY *pkey = EVP_PKEY_new();
    assert_non_null(pkey);
    assert_true(EVP_PKEY_assign_EC_KEY(pkey, ec));
    return pkey;
}

static void test_certificate_verify_input(void **state) {
    (void)state;
    uint8_t h[32];
    memset(h, 0xcc, sizeof(h));
    sd_buf in;
    sd_buf_init(&in);
    sd_certificate_verify_input(true, h, sizeof(h), &in);
    /* §4.4.3: 64 spaces, the context string, a zero byte, the hash. */
    static const char ctx[] = "TLS 1.3, server CertificateVerify";
    assert_int_equal(in.len, 64 + sizeof(ctx) - 1 + 1 + 32);
    for (size_t i = 0; i < 64; i++) {
        assert_int_equal(in.data[i], 0x20);
    }
    assert_memory_equal(in.data + 64, ctx, sizeof(ctx) - 1);
    assert_int_equal(in.data[64 + sizeof(ctx) - 1], 0);
    assert_memory_equal(in.data + 64 + sizeof(ctx), h, 32);
    sd_buf_reset(&in);
    sd_certificate_verify_input(false, h, sizeof(h), &in);
    assert_memory_equal(in.data + 64, "TLS 1.3, client CertificateVerify", sizeof(ctx) - 1);
    sd_buf_free(&in);
}

static void sign_verify_ok(EVP_PKEY *key, uint16_t scheme, uint16_t wrong_scheme) {
    uint8_t h[48];
    memset(h, 0x11, sizeof(h));
    sd_buf msg, sig;
    sd_buf_init(&msg);
    sd_buf_init(&sig);
    sd_certificate_verify_input(true, h, sizeof(h), &msg);
    assert_true(sd_signature_scheme_matches_key(scheme, key));
    assert_true(sd_sign(key, scheme, buf_span(&msg), &sig));
    assert_true(sd_verify(key, scheme, buf_span(&msg), buf_span(&sig)));
    /* The signature is bound to its scheme... */
    assert_false(sd_signature_scheme_matches_key(wrong_scheme, key));
    assert_false(sd_verify(key, wrong_scheme, buf_span(&msg), buf_span(&sig)));
    sd_buf other;
    sd_buf_init(&other);
    assert_false(sd_sign(key, wrong_scheme, buf_span(&msg), &other));
    assert_int_equal(other.len, 0);
    sd_buf_free(&other);
    /* ...and to the content and its own bytes. */
    msg.data[70] ^= 1;
    assert_false(sd_verify(key, scheme, buf_span(&msg), buf_span(&sig)));
    msg.data[70] ^= 1;
    sig.data[sig.len - 1] ^= 0x80;
    assert_false(sd_verify(key, scheme, buf_span(&msg), buf_span(&sig)));
    sd_buf_free(&sig);
    sd_buf_free(&msg);
}

static void test_signatures(void **state) {
    (void)state;
    EVP_PKEY *p256 = ec_key(NID_X9_62_prime256v1);
    EVP_PKEY *p384 = ec_key(NID_secp384r1);
    sign_verify_ok(p256, SD_ecdsa_secp256r1_sha256, SD_ecdsa_secp384r1_sha384);
    sign_verify_ok(p384, SD_ecdsa_secp384r1_sha384, SD_ecdsa_secp256r1_sha256);
    /* ecdsa_secp521r1_sha512: P-521 and SHA-512 only (§4.2.3 binds the
     * curve), and no other curve's scheme on a P-521 key. */
    EVP_PKEY *p521 = ec_key(NID_secp521r1);
    sign_verify_ok(p521, SD_ecdsa_secp521r1_sha512, SD_ecdsa_secp384r1_sha384);
    assert_false(sd_signature_scheme_matches_key(SD_ecdsa_secp521r1_sha512, p384));
    assert_false(sd_signature_scheme_matches_key(SD_ecdsa_secp256r1_sha256, p521));
    EVP_PKEY_free(p521);
    /* §4.2.3: SHA-1 schemes "MUST NOT be used" in CertificateVerify; ECDSA
     * on P-256 with SHA-1 is refused even though the key fits. */
    assert_false(sd_signature_scheme_matches_key(SD_ecdsa_sha1, p256));
    assert_false(sd_signature_scheme_matches_key(SD_ed25519, p256));
    assert_false(sd_signature_scheme_matches_key(SD_rsa_pss_rsae_sha256, p256));
    assert_false(sd_signature_scheme_matches_key(0xffff, p256));
    assert_false(sd_signature_scheme_matches_key(SD_ecdsa_secp256r1_sha256, NULL));

    /* Ed25519, RFC 8032 §7.1 test 1: deterministic, so a known answer. */
    sd_buf seed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    EVP_PKEY *ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed.data, seed.len);
    assert_non_null(ed);
    sd_buf sig;
    sd_buf_init(&sig);
    assert_true(sd_sign(ed, SD_ed25519, sd_span_of(NULL, 0), &sig));
    assert_bytes_hex(
        sig.data, sig.len,
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
        "1cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_true(sd_verify(ed, SD_ed25519, sd_span_of(NULL, 0), buf_span(&sig)));
    sign_verify_ok(ed, SD_ed25519, SD_ecdsa_secp256r1_sha256);
    sd_buf_free(&sig);
    sd_buf_free(&seed);

    /* RSA: PSS only (§4.4.3 "RSA signatures MUST use an RSASSA-PSS
     * algorithm"); PKCS#1 v1.5 and SHA-1 are refused. */
    RSA *rsa = RSA_new();
    BIGNUM *e = BN_new();
    assert_true(BN_set_word(e, RSA_F4));
    assert_true(RSA_generate_key_ex(rsa, 2048, e, NULL));
    EVP_PKEY *rsa_key = EVP_PKEY_new();
    assert_true(EVP_PKEY_assign_RSA(rsa_key, rsa));
    sign_verify_ok(rsa_key, SD_rsa_pss_rsae_sha256, SD_rsa_pkcs1_sha256);
    sign_verify_ok(rsa_key, SD_rsa_pss_rsae_sha384, SD_rsa_pkcs1_sha384);
    sign_verify_ok(rsa_key, SD_rsa_pss_rsae_sha512, SD_rsa_pkcs1_sha512);
    assert_false(sd_signature_scheme_matches_key(SD_rsa_pkcs1_sha1, rsa_key));
    assert_false(sd_signature_scheme_matches_key(SD_rsa_pss_pss_sha256, rsa_key));
    assert_false(sd_signature_scheme_matches_key(SD_ecdsa_secp256r1_sha256, rsa_key));
    BN_free(e);

    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p256);
}

/* --- Steady ECDSA signatures and the memo (crypto/memo.c) ------------------------ */

static void test_ecdsa_steady_signatures(void **state) {
    (void)state;
    /* Fresh signings only, so that every round draws a new nonce. */
    sd_crypto_memo_set_enabled(false);
    const int nids[] = {NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1};
    const uint16_t schemes[] = {SD_ecdsa_secp256r1_sha256, SD_ecdsa_secp384r1_sha384,
                                SD_ecdsa_secp521r1_sha512};
    /* The commonest DER lengths: P-256 2 + (2 + 33) + (2 + 32), P-384
     * 2 + (2 + 49) + (2 + 48), P-521 3 + (2 + 66) + (2 + 65): the order's
     * top byte holds one bit, so no integer takes a leading zero. */
    const size_t steady[] = {71, 103, 138};
    for (size_t k = 0; k < 3; k++) {
        EVP_PKEY *key = ec_key(nids[k]);
        size_t want = sd_ecdsa_steady_signature_len(key);
        assert_int_equal(want, steady[k]);
        size_t lengths_seen = 0; /* bit per length of the plain signatures */
        for (uint8_t round = 0; round < 32; round++) {
            uint8_t msg[40];
            memset(msg, round, sizeof msg);
            sd_buf sig, sig12, plain, other;
            sd_buf_init(&sig);
            sd_buf_init(&sig12);
            sd_buf_init(&plain);
            sd_buf_init(&other);
            assert_true(sd_sign_steady(key, schemes[k], sd_span_of(msg, sizeof msg), &sig));
            assert_int_equal(sig.len, want);
            assert_true(sd_verify(key, schemes[k], sd_span_of(msg, sizeof msg), buf_span(&sig)));
            assert_true(sd_tls12_sign_steady(key, schemes[k], sd_span_of(msg, sizeof msg), &sig12));
            assert_int_equal(sig12.len, want);
            assert_true(sd_tls12_verify(key, schemes[k], sd_span_of(msg, sizeof msg), buf_span(&sig12)));

            /* (r, n - s) verifies too, is another signature, and turning
             * it back gives the first. */
            assert_true(sd_sign(key, schemes[k], sd_span_of(msg, sizeof msg), &plain));
            lengths_seen |= (size_t)1 << (want + 1 - plain.len);
            sd_buf_append_span(&other, buf_span(&plain));
            assert_true(sd_ecdsa_signature_other_form(key, &other));
            assert_true(sd_verify(key, schemes[k], sd_span_of(msg, sizeof msg), buf_span(&other)));
            assert_false(other.len == plain.len && memcmp(other.data, plain.data, plain.len) == 0);
            assert_true(sd_ecdsa_signature_other_form(key, &other));
            assert_int_equal(other.len, plain.len);
            assert_memory_equal(other.data, plain.data, plain.len);
            sd_buf_free(&sig);
            sd_buf_free(&sig12);
            sd_buf_free(&plain);
            sd_buf_free(&other);
        }
        /* Plain signatures still come in more than one length: steadiness
         * is the steady functions' doing. */
        assert_true(lengths_seen & (lengths_seen - 1));
        EVP_PKEY_free(key);
    }
    /* Not an ECDSA key or not a signature: refused, left alone. */
    sd_buf seed = unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    EVP_PKEY *ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed.data, seed.len);
    assert_int_equal(sd_ecdsa_steady_signature_len(ed), 0);
    sd_buf junk;
    sd_buf_init(&junk);
    sd_buf_append(&junk, "\x30\x03\x02\x01", 4);
    assert_false(sd_ecdsa_signature_other_form(ed, &junk));
    EVP_PKEY *p256 = ec_key(NID_X9_62_prime256v1);
    assert_false(sd_ecdsa_signature_other_form(p256, &junk));
    assert_int_equal(junk.len, 4);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(ed);
    sd_buf_free(&junk);
    sd_buf_free(&seed);
    sd_crypto_memo_set_enabled(true);
}

static void test_memo_signatures(void **state) {
    (void)state;
    sd_crypto_memo_set_enabled(true);
    EVP_PKEY *key = ec_key(NID_X9_62_prime256v1), *stranger = ec_key(NID_X9_62_prime256v1);
    static const uint8_t msg[] = "ServerKeyExchange content";
    sd_span m = sd_span_of(msg, sizeof msg);
    sd_buf a, b, c;
    sd_buf_init(&a);
    sd_buf_init(&b);
    sd_buf_init(&c);
    /* The same message again: the remembered signature, byte for byte. */
    assert_true(sd_sign(key, SD_ecdsa_secp256r1_sha256, m, &a));
    size_t hits = sd_crypto_memo_hits();
    assert_true(sd_sign(key, SD_ecdsa_secp256r1_sha256, m, &b));
    assert_int_equal(sd_crypto_memo_hits(), hits + 1);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* Another key, or a scheme the key cannot make: not answered from it. */
    assert_true(sd_sign(stranger, SD_ecdsa_secp256r1_sha256, m, &c));
    assert_false(sd_verify(key, SD_ecdsa_secp256r1_sha256, m, buf_span(&c)));
    sd_buf_reset(&c);
    assert_false(sd_sign(key, SD_ecdsa_secp384r1_sha384, m, &c));
    assert_int_equal(c.len, 0);

    /* Verification: a remembered success answers only for exactly that
     * message, signature and public key; a forgery is refused every time. */
    assert_true(sd_verify(key, SD_ecdsa_secp256r1_sha256, m, buf_span(&a)));
    uint8_t *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    assert_true(der_len > 0);
    const uint8_t *p = der;
    EVP_PKEY *public_only = d2i_PUBKEY(NULL, &p, der_len);
    assert_non_null(public_only);
    hits = sd_crypto_memo_hits();
    assert_true(sd_verify(public_only, SD_ecdsa_secp256r1_sha256, m, buf_span(&a)));
    assert_int_equal(sd_crypto_memo_hits(), hits + 1);
    assert_false(sd_verify(stranger, SD_ecdsa_secp256r1_sha256, m, buf_span(&a)));
    a.data[a.len - 1] ^= 1;
    assert_false(sd_verify(key, SD_ecdsa_secp256r1_sha256, m, buf_span(&a)));
    assert_false(sd_verify(key, SD_ecdsa_secp256r1_sha256, m, buf_span(&a)));
    a.data[a.len - 1] ^= 1;
    assert_false(sd_verify(key, SD_ecdsa_secp256r1_sha256, sd_span_of(msg, sizeof msg - 1), buf_span(&a)));
    assert_false(sd_tls12_verify(key, SD_ecdsa_sha1, m, buf_span(&a)));
    assert_true(sd_tls12_verify(key, SD_ecdsa_secp256r1_sha256, m, buf_span(&a)));

    /* Public keys are named through a few held references (memo.c): a
     * stream of public keys, each freed after use so that a later one may
     * take its address once the memo lets go of it, never verifies what
     * another key signed. (The signing keys stay: the memo holds them.) */
    enum { STREAM = 24 };
    sd_buf earlier[STREAM];
    for (int i = 0; i < STREAM; i++) {
        EVP_PKEY *signer = ec_key(NID_X9_62_prime256v1);
        uint8_t *spki = NULL;
        int spki_len = i2d_PUBKEY(signer, &spki);
        const uint8_t *in = spki;
        EVP_PKEY *verifier = spki_len > 0 ? d2i_PUBKEY(NULL, &in, spki_len) : NULL;
        assert_non_null(verifier);
        sd_buf_init(&earlier[i]);
        assert_true(sd_sign(signer, SD_ecdsa_secp256r1_sha256, m, &earlier[i]));
        assert_true(sd_verify(verifier, SD_ecdsa_secp256r1_sha256, m, buf_span(&earlier[i])));
        assert_true(sd_verify(verifier, SD_ecdsa_secp256r1_sha256, m, buf_span(&earlier[i])));
        for (int j = 0; j < i; j++)
            assert_false(sd_verify(verifier, SD_ecdsa_secp256r1_sha256, m, buf_span(&earlier[j])));
        OPENSSL_free(spki);
        EVP_PKEY_free(verifier);
        EVP_PKEY_free(signer);
    }
    for (int i = 0; i < STREAM; i++) sd_buf_free(&earlier[i]);

    /* A remembered signature of any length does not answer for a steady
     * one (the driver's fixed-offset mutations need the steady length). */
    size_t want = sd_ecdsa_steady_signature_len(key);
    for (uint8_t i = 0; i < 16; i++) {
        uint8_t other_msg[8] = {i};
        sd_buf plain, steady;
        sd_buf_init(&plain);
        sd_buf_init(&steady);
        assert_true(sd_tls12_sign(key, SD_ecdsa_secp256r1_sha256, sd_span_of(other_msg, 8), &plain));
        assert_true(sd_tls12_sign_steady(key, SD_ecdsa_secp256r1_sha256, sd_span_of(other_msg, 8), &steady));
        assert_int_equal(steady.len, want);
        sd_buf_reset(&steady);
        assert_true(sd_sign_steady(key, SD_ecdsa_secp256r1_sha256, sd_span_of(other_msg, 8), &steady));
        assert_int_equal(steady.len, want);
        sd_buf_free(&plain);
        sd_buf_free(&steady);
    }

    /* Switched off: every signing is fresh, and ECDSA's nonce makes two
     * signatures of one message differ. */
    sd_crypto_memo_set_enabled(false);
    sd_buf_reset(&a);
    sd_buf_reset(&b);
    hits = sd_crypto_memo_hits();
    assert_true(sd_sign(key, SD_ecdsa_secp256r1_sha256, m, &a));
    assert_true(sd_sign(key, SD_ecdsa_secp256r1_sha256, m, &b));
    assert_int_equal(sd_crypto_memo_hits(), hits);
    assert_false(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    sd_crypto_memo_set_enabled(true);

    OPENSSL_free(der);
    EVP_PKEY_free(public_only);
    EVP_PKEY_free(stranger);
    EVP_PKEY_free(key);
    sd_buf_free(&a);
    sd_buf_free(&b);
    sd_buf_free(&c);
}

/* Key shares and secrets through the memo are the ones computed afresh. */
static void test_memo_key_shares(void **state) {
    (void)state;
    const uint16_t groups[] = {SD_x25519, SD_secp256r1, SD_secp384r1, SD_secp521r1, SD_x448};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        sd_key_share fresh[2], memo[2];
        uint8_t s_fresh[SD_MAX_SHARED_SECRET_LEN], s_memo[SD_MAX_SHARED_SECRET_LEN];
        size_t l_fresh = 0, l_memo = 0;
        uint8_t alert = 0;
        sd_rng rng;
        sd_crypto_memo_set_enabled(false);
        sd_rng_init(&rng, 77 + g);
        assert_true(sd_key_share_generate(&fresh[0], groups[g], &rng));
        assert_true(sd_key_share_generate(&fresh[1], groups[g], &rng));
        assert_true(sd_key_share_derive(&fresh[0], sd_span_of(fresh[1].public_key, fresh[1].public_len),
                                        s_fresh, &l_fresh, &alert));
        sd_crypto_memo_set_enabled(true);
        for (int round = 0; round < 2; round++) {
            /* Round 0 fills the memo, round 1 is answered from it. */
            size_t hits = sd_crypto_memo_hits();
            sd_rng_init(&rng, 77 + g);
            assert_true(sd_key_share_generate(&memo[0], groups[g], &rng));
            assert_true(sd_key_share_generate(&memo[1], groups[g], &rng));
            assert_true(sd_key_share_derive(&memo[0], sd_span_of(memo[1].public_key, memo[1].public_len),
                                            s_memo, &l_memo, &alert));
            assert_int_equal(sd_crypto_memo_hits(), hits + (round ? 3 : 0));
            for (int i = 0; i < 2; i++) {
                assert_int_equal(memo[i].public_len, fresh[i].public_len);
                assert_memory_equal(memo[i].public_key, fresh[i].public_key, fresh[i].public_len);
            }
            assert_int_equal(l_memo, l_fresh);
            assert_memory_equal(s_memo, s_fresh, l_fresh);
        }
        /* A peer value one bit off is not the remembered one. */
        memo[1].public_key[memo[1].public_len - 1] ^= 1;
        bool ok = sd_key_share_derive(&memo[0], sd_span_of(memo[1].public_key, memo[1].public_len), s_memo,
                                      &l_memo, &alert);
        assert_false(ok && l_memo == l_fresh && memcmp(s_memo, s_fresh, l_fresh) == 0);
    }
}

/* --- TLS 1.2 session keys ----------------------------------------------------------------- */

/* sd_tls12_derive_session_keys is the master secret (RFC 5246 §8.1, or
 * RFC 7627 §4 over the transcript's hash) then the key block (§6.3), and
 * sd_tls12_install_keys puts one side's part of the block in record keys. */
static void test_tls12_session_keys(void **state) {
    (void)state;
    const uint16_t ids[] = {SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, SD_TLS_RSA_WITH_AES_256_GCM_SHA384,
                            SD_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                            SD_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA};
    uint8_t pms[48], client_random[32], server_random[32];
    memset(pms, 0x03, sizeof pms);
    memset(client_random, 0xc1, sizeof client_random);
    memset(server_random, 0x5e, sizeof server_random);
    sd_transcript t;
    sd_transcript_init(&t);
    transcript_add_hex(&t, RFC8448_CLIENT_HELLO);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(ids[i]);
        assert_non_null(s);
        uint8_t master[2][48];
        for (int ems = 0; ems < 2; ems++) {
            uint8_t want_master[48], session_hash[SD_MAX_HASH_LEN];
            sd_tls12_key_block keys, want_keys;
            assert_true(sd_tls12_derive_session_keys(s, pms, sizeof pms, client_random, server_random, ems,
                                                     &t, master[ems], &keys));
            assert_true(sd_transcript_hash(&t, s->prf_md(), session_hash));
            assert_true(sd_tls12_master_secret(s, pms, sizeof pms, client_random, server_random,
                                               ems ? session_hash : NULL,
                                               ems ? (size_t)EVP_MD_size(s->prf_md()) : 0, want_master));
            assert_true(sd_tls12_derive_keys(s, want_master, client_random, server_random, &want_keys));
            assert_memory_equal(master[ems], want_master, 48);
            assert_memory_equal(&keys, &want_keys, sizeof keys);

            /* Each side's keys, installed, seal as the same keys set by hand. */
            for (int client_side = 0; client_side < 2; client_side++) {
                sd_record_keys installed, by_hand;
                sd_record_keys_init(&installed);
                sd_record_keys_init(&by_hand);
                assert_true(sd_tls12_install_keys(&installed, s, &keys, client_side));
                assert_true(sd_record_keys_set_tls12(&by_hand, s,
                                                     client_side ? keys.client_key : keys.server_key,
                                                     client_side ? keys.client_iv : keys.server_iv,
                                                     client_side ? keys.client_mac : keys.server_mac, false));
                sd_buf a, b;
                sd_buf_init(&a);
                sd_buf_init(&b);
                assert_true(sd_record_seal(&installed, SD_application_data,
                                           sd_span_of((const uint8_t *)"ping", 4), 0, &a));
                assert_true(sd_record_seal(&by_hand, SD_application_data,
                                           sd_span_of((const uint8_t *)"ping", 4), 0, &b));
                assert_int_equal(a.len, b.len);
                assert_memory_equal(a.data, b.data, a.len);
                sd_buf_free(&a);
                sd_buf_free(&b);
                sd_record_keys_clear(&installed);
                sd_record_keys_clear(&by_hand);
            }
        }
        /* The extended master secret is bound to the transcript; the other is not. */
        assert_memory_not_equal(master[0], master[1], 48);
    }
    const sd_tls12_suite *s = sd_tls12_suite_find(SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    uint8_t master[48];
    sd_tls12_key_block keys;
    assert_false(sd_tls12_derive_session_keys(NULL, pms, sizeof pms, client_random, server_random, false, &t,
                                              master, &keys));
    assert_false(sd_tls12_derive_session_keys(s, pms, sizeof pms, client_random, server_random, true, NULL,
                                              master, &keys));
    sd_transcript_free(&t);
}

/* ECDHE_ECDSA takes an EC or Ed25519 key (RFC 8422 §2.1); ECDHE_RSA and
 * static RSA an RSA key (RFC 8422 §2.2, RFC 5246 §7.4.2). */
static void test_tls12_key_fits_suite(void **state) {
    (void)state;
    const sd_tls12_suite *ecdsa = sd_tls12_suite_find(SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    const sd_tls12_suite *ecdhe_rsa = sd_tls12_suite_find(SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    const sd_tls12_suite *rsa = sd_tls12_suite_find(SD_TLS_RSA_WITH_AES_128_GCM_SHA256);
    EVP_PKEY *p256 = ec_key(NID_X9_62_prime256v1);
    uint8_t seed[32] = {0};
    EVP_PKEY *ed = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof seed);
    RSA *r = RSA_new();
    BIGNUM *e = BN_new();
    assert_true(BN_set_word(e, RSA_F4));
    assert_true(RSA_generate_key_ex(r, 2048, e, NULL));
    EVP_PKEY *rsa_key = EVP_PKEY_new();
    assert_true(EVP_PKEY_assign_RSA(rsa_key, r));
    assert_non_null(ed);

    assert_true(sd_tls12_key_fits_suite(ecdsa, p256));
    assert_true(sd_tls12_key_fits_suite(ecdsa, ed));
    assert_false(sd_tls12_key_fits_suite(ecdsa, rsa_key));
    assert_true(sd_tls12_key_fits_suite(ecdhe_rsa, rsa_key));
    assert_false(sd_tls12_key_fits_suite(ecdhe_rsa, p256));
    assert_true(sd_tls12_key_fits_suite(rsa, rsa_key));
    assert_false(sd_tls12_key_fits_suite(rsa, ed));
    assert_false(sd_tls12_key_fits_suite(rsa, NULL));
    assert_false(sd_tls12_key_fits_suite(NULL, rsa_key));

    BN_free(e);
    EVP_PKEY_free(rsa_key);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(p256);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcript_running_hash),
        cmocka_unit_test(test_rfc8448_x25519),
        cmocka_unit_test(test_rfc8448_key_schedule),
        cmocka_unit_test(test_rfc8448_traffic_keys),
        cmocka_unit_test(test_rfc8448_certificate_verify),
        cmocka_unit_test(test_rfc8448_open_server_flight),
        cmocka_unit_test(test_rfc8448_seal_records),
        cmocka_unit_test(test_record_flipped_bit),
        cmocka_unit_test(test_record_padding),
        cmocka_unit_test(test_record_overflow),
        cmocka_unit_test(test_record_sequence),
        cmocka_unit_test(test_all_suites_round_trip),
        cmocka_unit_test(test_transcript_message_hash),
        cmocka_unit_test(test_hkdf),
        cmocka_unit_test(test_rng_deterministic),
        cmocka_unit_test(test_key_share_round_trip),
        cmocka_unit_test(test_key_share_rejects),
        cmocka_unit_test(test_rfc7748_x448),
        cmocka_unit_test(test_ffdhe_rejects),
        cmocka_unit_test(test_certificate_verify_input),
        cmocka_unit_test(test_signatures),
        cmocka_unit_test(test_ecdsa_steady_signatures),
        cmocka_unit_test(test_memo_signatures),
        cmocka_unit_test(test_memo_key_shares),
        cmocka_unit_test(test_tls12_session_keys),
        cmocka_unit_test(test_tls12_key_fits_suite),
    };
    return cmocka_run_group_tests_name("crypto", tests, NULL, NULL) == 0 ? 0 : 1;
}
