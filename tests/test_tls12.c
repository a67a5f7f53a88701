/* test_tls12.c — TLS 1.2 crypto (harness/crypto/tls12.c), TLS 1.2 record
 * protection (record_protection.c, record_layer.c) and the TLS 1.2 wire
 * messages (harness/wire/tls12.c).
 *
 *  - the PRF against the published "PRF Testvector" for P_SHA256 and
 *    P_SHA384 (IETF TLS list); master secret, extended master secret,
 *    Finished and key block against values computed with an independent
 *    implementation (Python's hmac module) of RFC 5246 §5/§6.3/§7.4.9/§8.1
 *    and RFC 7627 §4;
 *  - every suite against BoringSSL: a real TLS 1.2 handshake in memory, the
 *    key block compared with SSL_generate_key_block, a record BoringSSL
 *    sealed opened by us and a record we sealed read by BoringSSL;
 *  - seal/open round trips for every bulk kind, tampering at every byte and
 *    truncation at every length giving bad_record_mac, record_overflow;
 *  - the TLS 1.2 record layer (every type but CCS protected);
 *  - static RSA: round trip and the Bleichenbacher countermeasure;
 *  - ServerKeyExchange signatures and the TLS 1.2 scheme/key rules;
 *  - wire round trips, and truncation at every offset giving decode_error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/aes.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "protocol/record_layer.h"
#include "crypto/tls12.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/record.h"
#include "wire/tls12.h"

static sd_pki g_pki;

static sd_buf unhex(const char *hex) {
    sd_buf b;
    sd_buf_init(&b);
    assert_true(sd_hex_decode(hex, strlen(hex), &b));
    return b;
}

static void assert_hex_equal(const uint8_t *got, size_t len, const char *hex) {
    sd_buf want = unhex(hex);
    assert_int_equal(want.len, len);
    assert_memory_equal(got, want.data, len);
    sd_buf_free(&want);
}

static const sd_credential *cred(const char *name) {
    const sd_credential *c = sd_pki_find(&g_pki, name);
    assert_non_null(c);
    assert_non_null(c->key);
    return c;
}

/* --- PRF and key derivation --------------------------------------------------------- */

/* The "PRF Testvector" for the TLS 1.2 PRF posted to the IETF TLS list
 * (msg03416), also used by the PKCS#11 TC: data only. */
static void test_prf_vectors(void **state) {
    (void)state;
    sd_buf secret = unhex("9bbe436ba940f017b17652849a71db35");
    sd_buf seed = unhex("a0ba9f936cda311827a6f796ffd5198c");
    uint8_t out[148];
    assert_true(
        sd_tls12_prf(EVP_sha256(), secret.data, secret.len, "test label", seed.data, seed.len, out, 100));
    assert_hex_equal(out, 100,
                     "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
                     "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
                     "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
                     "87347b66");
    /* A prefix of the output is the shorter output (P_hash is a stream). */
    uint8_t shorter[33];
    assert_true(
        sd_tls12_prf(EVP_sha256(), secret.data, secret.len, "test label", seed.data, seed.len, shorter, 33));
    assert_memory_equal(shorter, out, 33);
    sd_buf_free(&secret);
    sd_buf_free(&seed);

    secret = unhex("b80b733d6ceefcdc71566ea48e5567df");
    seed = unhex("cd665cf6a8447dd6ff8b27555edb7465");
    assert_true(
        sd_tls12_prf(EVP_sha384(), secret.data, secret.len, "test label", seed.data, seed.len, out, 148));
    assert_hex_equal(out, 148,
                     "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
                     "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
                     "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
                     "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6"
                     "91c8f3a26854308d5eaa3be85e0990703d73e56f");
    sd_buf_free(&secret);
    sd_buf_free(&seed);
}

/* Inputs of the derivation vectors below (computed with Python's hmac):
 * pms = 03 03 10 11 .. 3d, client_random = 00 .. 1f, server_random = 80 .. 9f,
 * session hash = SHA-256/SHA-384("shakedown session hash"). */
static void derivation_inputs(uint8_t pms[48], uint8_t cr[32], uint8_t sr[32]) {
    pms[0] = 3;
    pms[1] = 3;
    for (int i = 0; i < 46; i++) pms[2 + i] = (uint8_t)(0x10 + i);
    for (int i = 0; i < 32; i++) cr[i] = (uint8_t)i, sr[i] = (uint8_t)(0x80 + i);
}

static void test_master_secret_finished_key_block(void **state) {
    (void)state;
    uint8_t pms[48], cr[32], sr[32], ms[48], ems[48], fin[12];
    derivation_inputs(pms, cr, sr);
    struct {
        uint16_t suite;
        const char *ms, *ems, *fin_c, *fin_s, *kb, *session_hash;
    } v[] = {
        {SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
         "ba062dadb0cbc4e0fe7751dfbfe34a79a1c2209de2186a2c48978755226f35482e2acc8c3072b9d434a3cfeab27928e1",
         "f65cbf46ca8eeeeb0e9aa75a643f635b774d3af66e9a6d773c1dece2dcfe2733f52673064f79bd95ccb9aa65e9d4f1fd",
         "905682e669edc08ecfa2d4c4", "fd17f764dabc8e80fdfe21ef",
         "5f7141d28a056175a48db3a7e5138548a7625f75109cb1f8145dadee86669fb13035cf23b81c9e4e",
         "755d936a3fed7396d851d5641123a09bdc29e7fb3fff9a3cd138302b2f99155f"},
        {SD_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
         "4e6a0fcd2dc3a58560d8a65fd3d1e1b58034811f26eb544c231729d5a957c4294e4b9e54fc01b29bd322705989439d09",
         "fefdc550ccdc72e3a4c67ca03be5625179e3338557b09c32f14b181538faf09c93bad430fb10a4af9e730c4021239ab9",
         "54205e430556752bf6657fc6", "14fbb546548477f725a759c9",
         "5f218af0ad2634518e4319adc9590d3be9fb81032cbb0949a0c3dc622bdedd6711e1f7e9fb8719023dc4fdbb415db07f"
         "3a89b6ede19ebe4e2d1c66f5531a32ff8e681bfe091fe31d",
         "78f7bc7109d23cc30b728b574e03db62c6df9db3c07051a3e66ededd32d0b65037cbebdcf20385e3e3a1497bbcb19c56"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(v[i].suite);
        assert_non_null(s);
        sd_buf sh = unhex(v[i].session_hash);
        assert_true(sd_tls12_master_secret(s, pms, 48, cr, sr, NULL, 0, ms));
        assert_hex_equal(ms, 48, v[i].ms);
        assert_true(sd_tls12_master_secret(s, pms, 48, NULL, NULL, sh.data, sh.len, ems));
        assert_hex_equal(ems, 48, v[i].ems);
        /* Finished over the "session hash" as handshake hash. */
        assert_true(sd_tls12_finished(s, ms, true, sh.data, fin));
        assert_hex_equal(fin, 12, v[i].fin_c);
        assert_true(sd_tls12_finished(s, ms, false, sh.data, fin));
        assert_hex_equal(fin, 12, v[i].fin_s);
        sd_tls12_key_block kb;
        assert_true(sd_tls12_derive_keys(s, ms, cr, sr, &kb));
        sd_buf want = unhex(v[i].kb);
        assert_int_equal(sd_tls12_key_block_len(s), want.len);
        size_t kl = s->key_len;
        assert_memory_equal(kb.client_key, want.data, kl);
        assert_memory_equal(kb.server_key, want.data + kl, kl);
        assert_memory_equal(kb.client_iv, want.data + 2 * kl, 4);
        assert_memory_equal(kb.server_iv, want.data + 2 * kl + 4, 4);
        sd_buf_free(&want);
        sd_buf_free(&sh);
    }
    /* Missing randoms without a session hash. */
    assert_false(sd_tls12_master_secret(sd_tls12_suite_find(0xC02F), pms, 48, NULL, sr, NULL, 0, ms));
}

static void test_suites(void **state) {
    (void)state;
    assert_int_equal(sd_tls12_n_default_suites, 11);
    for (size_t i = 0; i < sd_tls12_n_default_suites; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(sd_tls12_default_suites[i]);
        assert_non_null(s);
        /* The name table and the suite agree. */
        assert_string_equal(sd_cipher_suite_name(s->id), s->name);
        size_t want = 0;
        switch (s->bulk) {
        case SD_BULK_AES_128_GCM:
            want = 2 * (16 + 4);
            break;
        case SD_BULK_AES_256_GCM:
            want = 2 * (32 + 4);
            break;
        case SD_BULK_CHACHA20_POLY1305:
            want = 2 * (32 + 12);
            break;
        case SD_BULK_AES_128_CBC_SHA:
            want = 2 * (20 + 16);
            break;
        }
        assert_int_equal(sd_tls12_key_block_len(s), want);
        assert_int_equal(EVP_MD_size(s->prf_md()), s->bulk == SD_BULK_AES_256_GCM ? 48 : 32);
        /* Preference: no CBC suite before a non-CBC one. */
        if (i > 0 && s->bulk != SD_BULK_AES_128_CBC_SHA)
            assert_int_not_equal(sd_tls12_suite_find(sd_tls12_default_suites[i - 1])->bulk,
                                 SD_BULK_AES_128_CBC_SHA);
    }
    assert_null(sd_tls12_suite_find(0x1301));
    assert_null(sd_tls12_suite_find(0x0000));
    uint16_t id = 0;
    assert_true(sd_cipher_suite_from_name("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", &id));
    assert_int_equal(id, 0xCCA9);
}

/* --- BoringSSL cross-check ---------------------------------------------------------- */

static enum ssl_verify_result_t accept_any(SSL *ssl, uint8_t *out_alert) {
    (void)ssl;
    (void)out_alert;
    return ssl_verify_ok;
}

static const char *openssl_name(uint16_t id) {
    const SSL_CIPHER *c = SSL_get_cipher_by_value(id);
    assert_non_null(c);
    return SSL_CIPHER_get_name(c);
}

/* Opens the next records of `bytes` (possibly several) with k, returns the
 * concatenated application data. */
static void open_all(sd_record_keys *k, sd_span bytes, sd_buf *out) {
    sd_reader r = sd_reader_of(bytes);
    while (!sd_reader_done(&r)) {
        sd_record rec;
        uint8_t alert = 0, type = 0;
        assert_int_equal(sd_parse_record(&r, &rec, &alert), 1);
        assert_true(sd_record_open(k, rec.header, rec.fragment, &type, out, &alert));
        assert_int_equal(type, SD_application_data);
    }
}

static void test_against_boringssl(void **state) {
    (void)state;
    for (size_t i = 0; i < sd_tls12_n_default_suites; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(sd_tls12_default_suites[i]);
        const sd_credential *c = cred(s->kx == SD_KX_ECDHE_ECDSA ? "leaf" : "leaf-rsa");
        SSL_CTX *sctx = SSL_CTX_new(TLS_with_buffers_method()),
                *cctx = SSL_CTX_new(TLS_with_buffers_method());
        assert_non_null(sctx);
        assert_non_null(cctx);
        CRYPTO_BUFFER *bufs[SD_MAX_CHAIN];
        for (size_t j = 0; j < c->chain_len; j++)
            bufs[j] = CRYPTO_BUFFER_new(c->chain_der[j], c->chain_der_len[j], NULL);
        assert_true(SSL_CTX_set_chain_and_key(sctx, bufs, c->chain_len, c->key, NULL));
        for (size_t j = 0; j < c->chain_len; j++) CRYPTO_BUFFER_free(bufs[j]);
        SSL_CTX *ctxs[2] = {sctx, cctx};
        for (int j = 0; j < 2; j++) {
            assert_true(SSL_CTX_set_min_proto_version(ctxs[j], TLS1_2_VERSION));
            assert_true(SSL_CTX_set_max_proto_version(ctxs[j], TLS1_2_VERSION));
            assert_true(SSL_CTX_set_strict_cipher_list(ctxs[j], openssl_name(s->id)));
        }
        SSL_CTX_set_custom_verify(cctx, SSL_VERIFY_PEER, accept_any);
        SSL *client = SSL_new(cctx), *server = SSL_new(sctx);
        BIO *bc, *bs;
        assert_true(BIO_new_bio_pair(&bc, 0, &bs, 0));
        SSL_set_bio(client, bc, bc);
        SSL_set_bio(server, bs, bs);
        SSL_set_connect_state(client);
        SSL_set_accept_state(server);
        int rc = 0, rs = 0;
        for (int round = 0; round < 20 && (rc != 1 || rs != 1); round++) {
            if (rc != 1) rc = SSL_do_handshake(client);
            if (rs != 1) rs = SSL_do_handshake(server);
        }
        if (rc != 1 || rs != 1) ERR_print_errors_fp(stderr);
        assert_int_equal(rc, 1);
        assert_int_equal(rs, 1);
        assert_int_equal(SSL_CIPHER_get_value(SSL_get_current_cipher(client)), s->id);

        /* Key block: ours from BoringSSL's master secret and randoms. */
        uint8_t master[48], cr[32], sr[32], theirs[2 * (20 + 32 + 12)];
        assert_int_equal(SSL_SESSION_get_master_key(SSL_get_session(client), master, 48), 48);
        assert_int_equal(SSL_get_client_random(client, cr, 32), 32);
        assert_int_equal(SSL_get_server_random(client, sr, 32), 32);
        size_t kb_len = sd_tls12_key_block_len(s);
        assert_true(SSL_generate_key_block(client, theirs, kb_len));
        sd_tls12_key_block kb;
        assert_true(sd_tls12_derive_keys(s, master, cr, sr, &kb));
        const uint8_t *p = theirs;
        assert_memory_equal(kb.client_mac, p, s->mac_key_len), p += s->mac_key_len;
        assert_memory_equal(kb.server_mac, p, s->mac_key_len), p += s->mac_key_len;
        assert_memory_equal(kb.client_key, p, s->key_len), p += s->key_len;
        assert_memory_equal(kb.server_key, p, s->key_len), p += s->key_len;
        assert_memory_equal(kb.client_iv, p, s->fixed_iv_len), p += s->fixed_iv_len;
        assert_memory_equal(kb.server_iv, p, s->fixed_iv_len);

        /* Records: the Finished took sequence number 0 in each direction. */
        sd_record_keys cw, sw;
        sd_record_keys_init(&cw);
        sd_record_keys_init(&sw);
        assert_true(sd_record_keys_set_tls12(&cw, s, kb.client_key, kb.client_iv, kb.client_mac, false));
        assert_true(sd_record_keys_set_tls12(&sw, s, kb.server_key, kb.server_iv, kb.server_mac, false));
        cw.seq = 1;
        sw.seq = 1;
        /* BoringSSL client -> us (as the server reading client_write). */
        static const char kHello[] = "hello from boringssl";
        assert_int_equal(SSL_write(client, kHello, sizeof(kHello)), (int)sizeof(kHello));
        uint8_t wire[4096];
        int n = BIO_read(bs, wire, sizeof(wire));
        assert_true(n > 0);
        sd_buf plain;
        sd_buf_init(&plain);
        open_all(&cw, sd_span_of(wire, (size_t)n), &plain);
        assert_int_equal(plain.len, sizeof(kHello));
        assert_memory_equal(plain.data, kHello, sizeof(kHello));
        /* Us (as the server) -> BoringSSL client; twice, with extra CBC padding the second time. */
        for (int k = 0; k < 2; k++) {
            static const char kReply[] = "hello from shakedown";
            sd_buf rec;
            sd_buf_init(&rec);
            size_t pad = (k == 1 && s->bulk == SD_BULK_AES_128_CBC_SHA) ? 64 : 0;
            assert_true(sd_record_seal(&sw, SD_application_data,
                                       sd_span_of((const uint8_t *)kReply, sizeof(kReply)), pad, &rec));
            assert_int_equal(BIO_write(bs, rec.data, (int)rec.len), (int)rec.len);
            char got[64];
            assert_int_equal(SSL_read(client, got, sizeof(got)), (int)sizeof(kReply));
            assert_memory_equal(got, kReply, sizeof(kReply));
            sd_buf_free(&rec);
        }
        sd_buf_free(&plain);
        sd_record_keys_clear(&cw);
        sd_record_keys_clear(&sw);
        SSL_free(client);
        SSL_free(server);
        SSL_CTX_free(cctx);
        SSL_CTX_free(sctx);
    }
}

/* --- Record protection ------------------------------------------------------------------- */

static void keys_for(sd_record_keys *k, const sd_tls12_suite *s, uint8_t fill) {
    uint8_t key[32], iv[12], mac[20];
    memset(key, fill, sizeof(key));
    memset(iv, fill ^ 0x55, sizeof(iv));
    memset(mac, fill ^ 0xaa, sizeof(mac));
    sd_record_keys_init(k);
    assert_true(sd_record_keys_set_tls12(k, s, key, iv, mac, false));
}

static void test_record_round_trip_and_tamper(void **state) {
    (void)state;
    const uint16_t suites[] = {0xC02B, 0xC02C, 0xCCA9, 0x002F};
    for (size_t si = 0; si < 4; si++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(suites[si]);
        sd_record_keys w, r;
        for (size_t len = 0; len < 40; len += 13) {
            uint8_t content[64];
            for (size_t i = 0; i < len; i++) content[i] = (uint8_t)(i * 7);
            keys_for(&w, s, 1);
            sd_buf rec;
            sd_buf_init(&rec);
            assert_true(sd_record_seal(&w, SD_handshake, sd_span_of(content, len), 0, &rec));
            assert_int_equal(w.seq, 1);
            /* Header: real type, 0x0303, the length of the rest. */
            assert_int_equal(rec.data[0], SD_handshake);
            assert_int_equal(rec.data[1], 3);
            assert_int_equal(rec.data[2], 3);
            assert_int_equal((size_t)((rec.data[3] << 8) | rec.data[4]), rec.len - 5);
            size_t overhead = rec.len - 5 - len;
            switch (s->bulk) {
            case SD_BULK_CHACHA20_POLY1305:
                assert_int_equal(overhead, 16);
                break;
            case SD_BULK_AES_128_CBC_SHA:
                assert_true(overhead >= 16 + 20 + 1 && (rec.len - 5) % 16 == 0);
                break;
            default:
                assert_int_equal(overhead, 8 + 16);
                break; /* explicit nonce = seq 0 */
            }
            if (s->bulk == SD_BULK_AES_128_GCM || s->bulk == SD_BULK_AES_256_GCM)
                assert_memory_equal(rec.data + 5, "\0\0\0\0\0\0\0\0", 8);

            for (size_t pos = 0; pos <= rec.len; pos++) {
                /* pos == rec.len: untouched, must open. Header length bytes
                 * (3, 4) are framing, not authenticated input: skip. */
                if (pos == 3 || pos == 4) continue;
                sd_buf copy;
                sd_buf_init(&copy);
                sd_buf_append(&copy, rec.data, rec.len);
                if (pos < rec.len) copy.data[pos] ^= 0x01;
                keys_for(&r, s, 1);
                sd_buf out;
                sd_buf_init(&out);
                uint8_t type = 0, alert = 0;
                bool ok = sd_record_open(&r, sd_span_of(copy.data, 5),
                                         sd_span_of(copy.data + 5, copy.len - 5), &type, &out, &alert);
                if (pos == rec.len) {
                    assert_true(ok);
                    assert_int_equal(type, SD_handshake);
                    assert_int_equal(out.len, len);
                    if (len) assert_memory_equal(out.data, content, len);
                    assert_int_equal(r.seq, 1);
                } else {
                    if (ok) fprintf(stderr, "suite %04x len %zu: flip at %zu opened\n", s->id, len, pos);
                    assert_false(ok);
                    assert_int_equal(alert, SD_bad_record_mac);
                    assert_int_equal(r.seq, 0);
                }
                sd_record_keys_clear(&r);
                sd_buf_free(&out);
                sd_buf_free(&copy);
            }
            /* Truncated fragments of every length. */
            for (size_t cut = 0; cut < rec.len - 5; cut++) {
                keys_for(&r, s, 1);
                sd_buf out;
                sd_buf_init(&out);
                uint8_t type = 0, alert = 0;
                assert_false(sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, cut), &type,
                                            &out, &alert));
                assert_int_equal(alert, SD_bad_record_mac);
                sd_record_keys_clear(&r);
                sd_buf_free(&out);
            }
            /* The wrong sequence number or the wrong keys. */
            keys_for(&r, s, 1);
            r.seq = 1;
            sd_buf out;
            sd_buf_init(&out);
            uint8_t type = 0, alert = 0;
            assert_false(sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5),
                                        &type, &out, &alert));
            assert_int_equal(alert, SD_bad_record_mac);
            sd_record_keys_clear(&r);
            keys_for(&r, s, 2);
            assert_false(sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5),
                                        &type, &out, &alert));
            assert_int_equal(alert, SD_bad_record_mac);
            sd_record_keys_clear(&r);
            sd_record_keys_clear(&w);
            sd_buf_free(&out);
            sd_buf_free(&rec);
        }
        /* AEAD suites take no padding; CBC takes whole extra blocks up to 256 bytes in all. */
        keys_for(&w, s, 1);
        sd_buf rec;
        sd_buf_init(&rec);
        if (s->bulk != SD_BULK_AES_128_CBC_SHA) {
            assert_false(sd_record_seal(&w, SD_alert, sd_span_of((const uint8_t *)"\1\0", 2), 1, &rec));
        } else {
            assert_false(sd_record_seal(&w, SD_alert, sd_span_of((const uint8_t *)"\1\0", 2), 5, &rec));
            /* 2 + 20 = 22 -> minimum padding 10; + 240 = 250 <= 256. */
            assert_true(sd_record_seal(&w, SD_alert, sd_span_of((const uint8_t *)"\1\0", 2), 240, &rec));
            assert_int_equal(rec.len, 5 + 16 + 2 + 20 + 250);
            assert_false(sd_record_seal(&w, SD_alert, sd_span_of((const uint8_t *)"\1\0", 2), 256, &rec));
            keys_for(&r, s, 1);
            sd_buf out;
            sd_buf_init(&out);
            uint8_t type = 0, alert = 0;
            assert_true(sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5),
                                       &type, &out, &alert));
            assert_int_equal(type, SD_alert);
            assert_int_equal(out.len, 2);
            sd_record_keys_clear(&r);
            sd_buf_free(&out);
        }
        sd_record_keys_clear(&w);
        sd_buf_free(&rec);
    }
}

static void test_record_cbc_iv_and_overflow(void **state) {
    (void)state;
    const sd_tls12_suite *s = sd_tls12_suite_find(SD_TLS_RSA_WITH_AES_128_CBC_SHA);
    uint8_t key[16] = {1}, mac[20] = {2};
    sd_record_keys a, b;
    sd_record_keys_init(&a);
    sd_record_keys_init(&b);
    /* Derived IVs: the same keys and sequence number give the same record,
     * the next sequence number another IV. */
    assert_true(sd_record_keys_set_tls12(&a, s, key, NULL, mac, false));
    assert_true(sd_record_keys_set_tls12(&b, s, key, NULL, mac, false));
    sd_buf ra, rb, ra2;
    sd_buf_init(&ra);
    sd_buf_init(&rb);
    sd_buf_init(&ra2);
    sd_span msg = sd_span_of((const uint8_t *)"same", 4);
    assert_true(sd_record_seal(&a, SD_application_data, msg, 0, &ra));
    assert_true(sd_record_seal(&b, SD_application_data, msg, 0, &rb));
    assert_int_equal(ra.len, rb.len);
    assert_memory_equal(ra.data, rb.data, ra.len);
    assert_true(sd_record_seal(&a, SD_application_data, msg, 0, &ra2));
    assert_memory_not_equal(ra.data + 5, ra2.data + 5, 16);
    /* Random IVs differ between two keys at the same sequence number. */
    assert_true(sd_record_keys_set_tls12(&a, s, key, NULL, mac, true));
    assert_true(sd_record_keys_set_tls12(&b, s, key, NULL, mac, true));
    sd_buf_reset(&ra);
    sd_buf_reset(&rb);
    assert_true(sd_record_seal(&a, SD_application_data, msg, 0, &ra));
    assert_true(sd_record_seal(&b, SD_application_data, msg, 0, &rb));
    assert_memory_not_equal(ra.data + 5, rb.data + 5, 16);
    /* Missing MAC key for CBC, or a wrong bulk/key combination. */
    assert_false(sd_record_keys_set_tls12(&a, s, key, NULL, NULL, false));
    assert_false(a.active);
    sd_record_keys_clear(&b);

    /* record_overflow: a plaintext over 2^14 (sealing allows it: mutators), a fragment over 2^14 + 2048. */
    const uint16_t suites[] = {0xC02F, 0xCCA8, 0xC013};
    static uint8_t big[SD_MAX_PLAINTEXT + 1];
    for (size_t i = 0; i < 3; i++) {
        const sd_tls12_suite *t = sd_tls12_suite_find(suites[i]);
        keys_for(&a, t, 3);
        keys_for(&b, t, 3);
        sd_buf_reset(&ra);
        assert_true(sd_record_seal(&a, SD_application_data, sd_span_of(big, sizeof(big)), 0, &ra));
        sd_buf out;
        sd_buf_init(&out);
        uint8_t type = 0, alert = 0;
        assert_false(sd_record_open(&b, sd_span_of(ra.data, 5), sd_span_of(ra.data + 5, ra.len - 5), &type,
                                    &out, &alert));
        assert_int_equal(alert, SD_record_overflow);
        static uint8_t huge[16384 + 2048 + 1];
        uint8_t hdr[5] = {SD_application_data, 3, 3, 0xff, 0xff};
        assert_false(
            sd_record_open(&b, sd_span_of(hdr, 5), sd_span_of(huge, sizeof(huge)), &type, &out, &alert));
        assert_int_equal(alert, SD_record_overflow);
        sd_buf_free(&out);
        sd_record_keys_clear(&a);
        sd_record_keys_clear(&b);
    }
    sd_buf_free(&ra);
    sd_buf_free(&rb);
    sd_buf_free(&ra2);
}

/* The record layer with TLS 1.2 keys: handshake, alert and application
 * data protected (with their real types in the header); a CCS in the clear
 * before keys, and protected by the keys in use after them (a
 * renegotiation's, RFC 5246 §6.1). */
static void test_record_layer_tls12(void **state) {
    (void)state;
    const uint16_t suites[] = {0xC02B, 0x002F};
    for (size_t si = 0; si < 2; si++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(suites[si]);
        sd_record_layer a, b;
        sd_rl_init(&a);
        sd_rl_init(&b);
        b.reject_plaintext_after_keys = true; /* a TLS 1.3 rule: no effect here */
        /* RFC 5246 §7.1: the CCS goes out, then the write state changes; the
         * reader changes its read state once it has seen the CCS. */
        uint8_t ccs = 1;
        sd_rl_send(&a, SD_change_cipher_spec, sd_span_of(&ccs, 1), false, 0);
        keys_for(&a.write, s, 9);
        uint8_t verify_data[12] = {0xf1};
        sd_rl_send_handshake(&a, SD_Finished, sd_span_of(verify_data, 12));
        sd_rl_send(&a, SD_application_data, sd_span_of((const uint8_t *)"data", 4), false, 0);
        sd_rl_send_alert(&a, SD_ALERT_LEVEL_WARNING, SD_close_notify);
        assert_int_equal(a.out.data[0], SD_change_cipher_spec);
        assert_true(a.out.len > 6 && a.out.data[6] == SD_handshake); /* the real type */
        /* The CCS record (5-byte header, 1 byte), read before the reader's
         * keys change; the rest after. */
        sd_rl_receive(&b, sd_span_of(a.out.data, 6));
        sd_rl_event ev;
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_CCS);
        assert_false(ev.protected_record);
        assert_int_equal(ev.data.len, 1);
        keys_for(&b.read, s, 9);
        sd_rl_receive(&b, sd_span_of(a.out.data + 6, a.out.len - 6));
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_HANDSHAKE);
        assert_true(ev.protected_record);
        assert_int_equal(ev.outer_type, SD_handshake);
        assert_int_equal(ev.msg.type, SD_Finished);
        assert_memory_equal(ev.msg.body.data, verify_data, 12);
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_APPDATA);
        assert_true(ev.protected_record);
        assert_int_equal(ev.outer_type, SD_application_data);
        assert_memory_equal(ev.data.data, "data", 4);
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_ALERT);
        assert_true(ev.protected_record);
        assert_int_equal(ev.outer_type, SD_alert);
        assert_int_equal(ev.alert.description, SD_close_notify);
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_NONE);

        /* A renegotiation's CCS goes under the keys in use, and is read
         * as a CCS once opened. */
        sd_buf_reset(&a.out);
        sd_rl_send(&a, SD_change_cipher_spec, sd_span_of(&ccs, 1), false, 0);
        assert_true(a.out.len > 6); /* sealed: longer than the plaintext record */
        sd_rl_receive(&b, sd_buf_span(&a.out));
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_CCS);
        assert_true(ev.protected_record);
        assert_int_equal(ev.data.len, 1);
        assert_int_equal(ev.data.data[0], 1);

        /* A plaintext alert once keys are active fails to decrypt. */
        sd_buf raw;
        sd_buf_init(&raw);
        sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\2\50", 2));
        sd_rl_receive(&b, sd_buf_span(&raw));
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_ERROR);
        assert_int_equal(ev.alert_to_send, SD_bad_record_mac);
        /* An unknown content type is unexpected_message. */
        sd_buf_reset(&raw);
        sd_build_record(&raw, 99, SD_TLS12, sd_span_of((const uint8_t *)"xx", 2));
        sd_rl_receive(&b, sd_buf_span(&raw));
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_ERROR);
        assert_int_equal(ev.alert_to_send, SD_unexpected_message);
        sd_buf_free(&raw);
        sd_rl_free(&a);
        sd_rl_free(&b);
    }
}

/* record_size_limit (RFC 8449 §4) in the record layer, with TLS 1.2 keys
 * (AES-GCM and AES-CBC) and TLS 1.3 keys. The limit counts the plaintext of
 * protected records: in TLS 1.2 the content, in TLS 1.3 the whole
 * TLSInnerPlaintext ("The value includes the content type and padding added
 * in TLS 1.3"), so a TLS 1.3 record carries one byte of content less. A
 * sender splits to the peer's limit unless the caller chose a fragment
 * length (how the driver breaks it); a receiver refuses a protected record
 * over its own limit with record_overflow ("A TLS endpoint that receives a
 * record larger than its advertised limit MUST generate a fatal
 * "record_overflow" alert"); plaintext records are not subject to it. */
static void test_record_layer_record_size_limit(void **state) {
    (void)state;
    enum { LIMIT = 100 };
    uint8_t data[250];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 3 + 1);
    for (int kind = 0; kind < 3; kind++) {
        bool tls13 = kind == 2;
        size_t per_record = tls13 ? LIMIT - 1 : LIMIT;
        sd_record_layer a, b;
        sd_rl_init(&a);
        sd_rl_init(&b);
        a.peer_record_limit = LIMIT;
        b.own_record_limit = LIMIT;
        sd_rl_event ev;
        /* Unprotected records are not subject to the limit: one record. */
        sd_rl_send(&a, SD_application_data, sd_span_of(data, sizeof data), false, 0);
        assert_int_equal(a.out.len, 5 + sizeof data);
        sd_rl_receive(&b, sd_buf_span(&a.out));
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_APPDATA);
        assert_int_equal(ev.data.len, sizeof data);
        assert_int_equal(b.largest_protected_plaintext, 0);
        sd_buf_reset(&a.out);

        if (tls13) {
            uint8_t secret[32];
            memset(secret, 0x42, sizeof secret);
            const sd_suite *suite = sd_suite_find(SD_TLS_AES_128_GCM_SHA256);
            assert_true(sd_record_keys_set(&a.write, suite, secret));
            assert_true(sd_record_keys_set(&b.read, suite, secret));
        } else {
            const sd_tls12_suite *s = sd_tls12_suite_find(kind == 0 ? 0xC02B : 0x002F);
            keys_for(&a.write, s, 5);
            keys_for(&b.read, s, 5);
        }
        assert_int_equal(sd_rl_peer_content_limit(&a), per_record);
        /* Honest records keep to the peer's limit: 250 bytes in records of
         * per_record bytes, each accepted at exactly the limit. */
        sd_rl_send(&a, SD_application_data, sd_span_of(data, sizeof data), false, 0);
        sd_rl_receive(&b, sd_buf_span(&a.out));
        sd_buf_reset(&a.out);
        size_t got = 0;
        while (got < sizeof data) {
            assert_int_equal(sd_rl_next(&b, &ev), SD_RL_APPDATA);
            size_t want = sizeof data - got < per_record ? sizeof data - got : per_record;
            assert_int_equal(ev.data.len, want);
            assert_memory_equal(ev.data.data, data + got, want);
            got += want;
        }
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_NONE);
        assert_int_equal(b.largest_protected_plaintext, LIMIT);
        /* A fragment length the caller chose is kept past the limit, and
         * one byte over is refused. */
        sd_rl_send(&a, SD_application_data, sd_span_of(data, per_record + 1), false, per_record + 1);
        sd_rl_receive(&b, sd_buf_span(&a.out));
        sd_buf_reset(&a.out);
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_ERROR);
        assert_int_equal(ev.alert_to_send, SD_record_overflow);
        assert_int_equal(b.largest_protected_plaintext, LIMIT + 1);
        /* Without a limit of its own the receiver takes it. */
        b.own_record_limit = 0;
        sd_rl_send(&a, SD_application_data, sd_span_of(data, per_record + 1), false, per_record + 1);
        sd_rl_receive(&b, sd_buf_span(&a.out));
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_APPDATA);
        assert_int_equal(ev.data.len, per_record + 1);
        sd_rl_free(&a);
        sd_rl_free(&b);
    }
    /* The wire form (wire/handshake.c): a uint16, at least 64. */
    uint16_t limit = 0;
    uint8_t alert = 0;
    assert_true(sd_parse_record_size_limit(sd_span_of((const uint8_t *)"\x00\x40", 2), &limit, &alert));
    assert_int_equal(limit, 64);
    assert_false(sd_parse_record_size_limit(sd_span_of((const uint8_t *)"\x00\x3f", 2), &limit, &alert));
    assert_int_equal(alert, SD_illegal_parameter);
    assert_false(sd_parse_record_size_limit(sd_span_of((const uint8_t *)"\x01", 1), &limit, &alert));
    assert_int_equal(alert, SD_decode_error);
    assert_false(sd_parse_record_size_limit(sd_span_of((const uint8_t *)"\x01\x00\x00", 3), &limit, &alert));
    assert_int_equal(alert, SD_decode_error);
}

/* max_fragment_length (RFC 6066 §4) in the record layer: once negotiated
 * "no fragment larger than the negotiated length is sent", every record
 * "including handshake messages", protected or not; a longer one received
 * is record_overflow (RFC 8446 §6.2: "or some other negotiated limit"). A
 * fragment length the caller chose is kept (how the driver breaks it). */
static void test_record_layer_max_fragment_length(void **state) {
    (void)state;
    uint8_t data[1200];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 5 + 2);
    assert_int_equal(sd_max_fragment_length_bytes(1), 512);
    assert_int_equal(sd_max_fragment_length_bytes(4), 4096);
    assert_int_equal(sd_max_fragment_length_bytes(5), 0);
    for (int kind = 0; kind < 3; kind++) {
        /* 0: in the clear, 1: TLS 1.2 AES-CBC, 2: TLS 1.3 AES-GCM. */
        sd_record_layer a, b;
        sd_rl_init(&a);
        sd_rl_init(&b);
        a.max_fragment_len = b.max_fragment_len = sd_max_fragment_length_bytes(1);
        if (kind == 1) {
            const sd_tls12_suite *s = sd_tls12_suite_find(0x002F);
            keys_for(&a.write, s, 7);
            keys_for(&b.read, s, 7);
        } else if (kind == 2) {
            uint8_t secret[32];
            memset(secret, 0x17, sizeof secret);
            const sd_suite *suite = sd_suite_find(SD_TLS_AES_128_GCM_SHA256);
            assert_true(sd_record_keys_set(&a.write, suite, secret));
            assert_true(sd_record_keys_set(&b.read, suite, secret));
        }
        sd_rl_event ev;
        sd_rl_send(&a, SD_application_data, sd_span_of(data, sizeof data), false, 0);
        sd_rl_receive(&b, sd_buf_span(&a.out));
        sd_buf_reset(&a.out);
        size_t got = 0;
        while (got < sizeof data) {
            assert_int_equal(sd_rl_next(&b, &ev), SD_RL_APPDATA);
            size_t want = sizeof data - got < 512 ? sizeof data - got : 512;
            assert_int_equal(ev.data.len, want);
            assert_memory_equal(ev.data.data, data + got, want);
            got += want;
        }
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_NONE);
        /* A handshake message is fragmented the same way. */
        sd_rl_send_handshake(&a, SD_Certificate, sd_span_of(data, 700));
        sd_rl_receive(&b, sd_buf_span(&a.out));
        sd_buf_reset(&a.out);
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_HANDSHAKE);
        assert_int_equal(ev.msg.body.len, 700);
        /* 513 bytes in one record, as the caller asked, are refused. */
        sd_rl_send(&a, SD_application_data, sd_span_of(data, 513), false, 513);
        sd_rl_receive(&b, sd_buf_span(&a.out));
        assert_int_equal(sd_rl_next(&b, &ev), SD_RL_ERROR);
        assert_int_equal(ev.alert_to_send, SD_record_overflow);
        sd_rl_free(&a);
        sd_rl_free(&b);
    }
    uint8_t code = 0, alert = 0;
    assert_true(sd_parse_max_fragment_length(sd_span_of((const uint8_t *)"\x04", 1), &code, &alert));
    assert_int_equal(code, 4);
    assert_false(sd_parse_max_fragment_length(sd_span_of((const uint8_t *)"\x05", 1), &code, &alert));
    assert_int_equal(alert, SD_illegal_parameter);
    assert_false(sd_parse_max_fragment_length(sd_span_of((const uint8_t *)"\x00", 1), &code, &alert));
    assert_int_equal(alert, SD_illegal_parameter);
    assert_false(sd_parse_max_fragment_length(sd_span_of((const uint8_t *)"\x01\x01", 2), &code, &alert));
    assert_int_equal(alert, SD_decode_error);
}

/* Encrypt-then-MAC (RFC 7366 §3) records, checked against the RFC's layout
 * computed here with AES-CBC and HMAC-SHA1 directly: IV || ENC(content ||
 * padding || padding_length) || MAC, with MAC = HMAC(MAC_write_key, seq_num
 * + type + version + length + IV + ENC(...)) and length that of IV and
 * ENC(...). Every byte flipped is bad_record_mac, MAC-then-encrypt keys
 * cannot read the record, and the padding bytes are checked. */
static void test_record_encrypt_then_mac(void **state) {
    (void)state;
    const sd_tls12_suite *cbc = sd_tls12_suite_find(0x002F), *gcm = sd_tls12_suite_find(0xC02B);
    sd_record_keys w, r;
    keys_for(&w, gcm, 3);
    assert_false(sd_record_keys_set_encrypt_then_mac(&w, true));
    assert_true(sd_record_keys_set_encrypt_then_mac(&w, false));
    sd_record_keys_clear(&w);
    uint8_t enc_key[32], mac_key[20];
    memset(enc_key, 3, sizeof enc_key);
    memset(mac_key, 3 ^ 0xaa, sizeof mac_key);
    for (size_t len = 0; len <= 40; len += 7) {
        uint8_t content[48];
        for (size_t i = 0; i < len; i++) content[i] = (uint8_t)(i * 11 + 1);
        keys_for(&w, cbc, 3);
        keys_for(&r, cbc, 3);
        assert_true(sd_record_keys_set_encrypt_then_mac(&w, true));
        assert_true(sd_record_keys_set_encrypt_then_mac(&r, true));
        w.seq = r.seq = 5;
        sd_buf rec;
        sd_buf_init(&rec);
        assert_true(sd_record_seal(&w, SD_application_data, sd_span_of(content, len), 0, &rec));
        size_t enc_len = (len / 16 + 1) * 16; /* content, then 1-16 bytes of padding */
        assert_int_equal(rec.len, 5 + 16 + enc_len + 20);
        /* The MAC, computed as §3 writes it. */
        uint8_t ad[13] = {0,
                          0,
                          0,
                          0,
                          0,
                          0,
                          0,
                          5,
                          SD_application_data,
                          3,
                          3,
                          (uint8_t)((16 + enc_len) >> 8),
                          (uint8_t)(16 + enc_len)};
        uint8_t mac[20];
        unsigned mac_len = 0;
        HMAC_CTX h;
        HMAC_CTX_init(&h);
        assert_true(HMAC_Init_ex(&h, mac_key, 20, EVP_sha1(), NULL));
        assert_true(HMAC_Update(&h, ad, sizeof ad));
        assert_true(HMAC_Update(&h, rec.data + 5, 16 + enc_len));
        assert_true(HMAC_Final(&h, mac, &mac_len));
        HMAC_CTX_cleanup(&h);
        assert_memory_equal(rec.data + 5 + 16 + enc_len, mac, 20);
        /* The plaintext under the encryption: content, then padding whose
         * bytes and length byte are the padding length, and no MAC. */
        uint8_t plain[64], iv[16];
        AES_KEY aes;
        assert_int_equal(AES_set_decrypt_key(enc_key, 128, &aes), 0);
        memcpy(iv, rec.data + 5, 16);
        AES_cbc_encrypt(rec.data + 5 + 16, plain, enc_len, &aes, iv, AES_DECRYPT);
        assert_memory_equal(plain, content, len);
        for (size_t i = len; i < enc_len; i++) assert_int_equal(plain[i], enc_len - len - 1);
        /* It opens under encrypt-then-MAC keys, and under no others. */
        sd_buf out;
        sd_buf_init(&out);
        uint8_t type = 0, alert = 0;
        sd_span header = sd_span_of(rec.data, 5), frag = sd_span_of(rec.data + 5, rec.len - 5);
        assert_true(sd_record_open(&r, header, frag, &type, &out, &alert));
        assert_int_equal(out.len, len);
        assert_memory_equal(out.data, content, len);
        sd_record_keys mte;
        keys_for(&mte, cbc, 3);
        mte.seq = 5;
        sd_buf_reset(&out);
        assert_false(sd_record_open(&mte, header, frag, &type, &out, &alert));
        assert_int_equal(alert, SD_bad_record_mac);
        sd_record_keys_clear(&mte);
        for (size_t at = 0; at < rec.len - 5; at++) {
            sd_record_keys_clear(&r); /* fresh keys for each try, freed first */
            keys_for(&r, cbc, 3);
            assert_true(sd_record_keys_set_encrypt_then_mac(&r, true));
            r.seq = 5;
            rec.data[5 + at] ^= 0x40;
            sd_buf_reset(&out);
            assert_false(sd_record_open(&r, header, frag, &type, &out, &alert));
            assert_int_equal(alert, SD_bad_record_mac);
            rec.data[5 + at] ^= 0x40;
        }
        sd_buf_free(&out);
        sd_buf_free(&rec);
        sd_record_keys_clear(&w);
        sd_record_keys_clear(&r);
    }
    /* Padding: under encrypt-then-MAC the fewest bytes fill the content
     * alone; bytes other than the length, under a valid MAC, are refused. */
    keys_for(&w, cbc, 3);
    keys_for(&r, cbc, 3);
    assert_true(sd_record_keys_set_encrypt_then_mac(&w, true));
    assert_true(sd_record_keys_set_encrypt_then_mac(&r, true));
    assert_int_equal(sd_record_cbc_padding_min_for(&w, 4), 11);
    assert_int_equal(sd_record_cbc_padding_min(4), 7);
    sd_buf rec, out;
    sd_buf_init(&rec);
    sd_buf_init(&out);
    assert_true(sd_record_seal_cbc_padding(&w, SD_application_data, sd_span_of((const uint8_t *)"ping", 4),
                                           11, 0, 11, &rec));
    uint8_t type = 0, alert = 0;
    assert_false(sd_record_open(&r, sd_span_of(rec.data, 5), sd_span_of(rec.data + 5, rec.len - 5), &type,
                                &out, &alert));
    assert_int_equal(alert, SD_bad_record_mac);
    sd_buf_free(&rec);
    sd_buf_free(&out);
    sd_record_keys_clear(&w);
    sd_record_keys_clear(&r);
}

/* RFC 5246 §6.2.1: "a single message MAY be fragmented across several
 * records" and several "MAY be coalesced into a single TLSPlaintext record",
 * alerts included, and "Data of different TLS record layer content types MAY
 * be interleaved". With tls12_records (the model sets it in TLS 1.2) the
 * record layer reports each two-byte alert however the records cut them,
 * and a record of another type between its halves is taken. Without it (the
 * driver; TLS 1.3, where RFC 8446 §5.1 forbids both) an alert record holds
 * exactly one alert, and another record inside a split alert or a split
 * handshake message is unexpected_message. */
static void test_record_layer_alert_reassembly(void **state) {
    (void)state;
    sd_record_layer rl;
    sd_rl_event ev;
    sd_buf raw;
    sd_buf_init(&raw);
    sd_rl_init(&rl);
    sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\2", 1));
    sd_rl_receive(&rl, sd_buf_span(&raw));
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ERROR);
    assert_int_equal(ev.alert_to_send, SD_decode_error);
    sd_rl_free(&rl);

    sd_rl_init(&rl);
    rl.tls12_records = true;
    sd_buf_reset(&raw);
    sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\2", 1));
    sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\50", 1));
    sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\1\144\2", 3));
    sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\50", 1));
    sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of(NULL, 0));
    sd_rl_receive(&rl, sd_buf_span(&raw));
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ALERT);
    assert_int_equal(ev.alert.level, SD_ALERT_LEVEL_FATAL);
    assert_int_equal(ev.alert.description, SD_handshake_failure);
    assert_false(ev.protected_record);
    assert_int_equal(ev.outer_type, SD_alert);
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ALERT);
    assert_int_equal(ev.alert.level, SD_ALERT_LEVEL_WARNING);
    assert_int_equal(ev.alert.description, SD_no_renegotiation);
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ALERT);
    assert_int_equal(ev.alert.level, SD_ALERT_LEVEL_FATAL);
    assert_int_equal(ev.alert.description, SD_handshake_failure);
    /* §6.2.1: "Implementations MUST NOT send zero-length fragments of ...
     * Alert ... content types": still malformed. */
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ERROR);
    assert_int_equal(ev.alert_to_send, SD_decode_error);
    sd_rl_free(&rl);

    /* Interleaved: half an alert, a ServerHelloDone, the other half; then
     * half a ServerHelloDone, a whole alert, the other half. */
    for (int tls12 = 0; tls12 <= 1; tls12++) {
        sd_rl_init(&rl);
        rl.tls12_records = tls12;
        sd_buf_reset(&raw);
        sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\2", 1));
        sd_build_record(&raw, SD_handshake, SD_TLS12, sd_span_of((const uint8_t *)"\16\0\0\0", 4));
        sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\50", 1));
        sd_build_record(&raw, SD_handshake, SD_TLS12, sd_span_of((const uint8_t *)"\16\0", 2));
        sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\1\144", 2));
        sd_build_record(&raw, SD_handshake, SD_TLS12, sd_span_of((const uint8_t *)"\0\0", 2));
        sd_rl_receive(&rl, sd_buf_span(&raw));
        if (!tls12) {
            /* The one-byte alert does not parse before anything else. */
            assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ERROR);
            assert_int_equal(ev.alert_to_send, SD_decode_error);
            sd_rl_free(&rl);
            continue;
        }
        assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_HANDSHAKE);
        assert_int_equal(ev.msg.type, SD_ServerHelloDone);
        assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ALERT);
        assert_int_equal(ev.alert.description, SD_handshake_failure);
        assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ALERT);
        assert_int_equal(ev.alert.level, SD_ALERT_LEVEL_WARNING);
        assert_int_equal(ev.alert.description, SD_no_renegotiation);
        assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_HANDSHAKE);
        assert_int_equal(ev.msg.type, SD_ServerHelloDone);
        assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_NONE);
        sd_rl_free(&rl);
    }
    /* Application data inside a split handshake message stays refused in
     * TLS 1.2 (record_layer.c says why). */
    sd_rl_init(&rl);
    rl.tls12_records = true;
    sd_buf_reset(&raw);
    sd_build_record(&raw, SD_handshake, SD_TLS12, sd_span_of((const uint8_t *)"\16\0", 2));
    sd_build_record(&raw, SD_application_data, SD_TLS12, sd_span_of((const uint8_t *)"ping", 4));
    sd_rl_receive(&rl, sd_buf_span(&raw));
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ERROR);
    assert_int_equal(ev.alert_to_send, SD_unexpected_message);
    sd_rl_free(&rl);
    /* TLS 1.3 rules: an alert inside a split handshake message. */
    sd_rl_init(&rl);
    sd_buf_reset(&raw);
    sd_build_record(&raw, SD_handshake, SD_TLS12, sd_span_of((const uint8_t *)"\16\0", 2));
    sd_build_record(&raw, SD_alert, SD_TLS12, sd_span_of((const uint8_t *)"\1\144", 2));
    sd_rl_receive(&rl, sd_buf_span(&raw));
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ERROR);
    assert_int_equal(ev.alert_to_send, SD_unexpected_message);
    sd_rl_free(&rl);

    /* Protected: one byte per record under TLS 1.2 keys. */
    const sd_tls12_suite *s = sd_tls12_suite_find(0xC02B);
    sd_record_layer a;
    sd_rl_init(&a);
    sd_rl_init(&rl);
    rl.tls12_records = true;
    keys_for(&a.write, s, 5);
    keys_for(&rl.read, s, 5);
    static const uint8_t fatal_decrypt_error[2] = {SD_ALERT_LEVEL_FATAL, SD_decrypt_error};
    sd_rl_send(&a, SD_alert, sd_span_of(fatal_decrypt_error, 2), false, 1);
    sd_rl_receive(&rl, sd_buf_span(&a.out));
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_ALERT);
    assert_true(ev.protected_record);
    assert_int_equal(ev.alert.description, SD_decrypt_error);
    assert_int_equal(sd_rl_next(&rl, &ev), SD_RL_NONE);
    sd_rl_free(&a);
    sd_rl_free(&rl);
    sd_buf_free(&raw);
}

/* --- Static RSA -------------------------------------------------------------------- */

static void test_rsa_pms(void **state) {
    (void)state;
    EVP_PKEY *key = cred("leaf-rsa")->key;
    uint8_t pms[48], random_pms[48], out[48];
    pms[0] = 3;
    pms[1] = 3;
    for (int i = 2; i < 48; i++) pms[i] = (uint8_t)(i * 3);
    memset(random_pms, 0xee, sizeof(random_pms));
    sd_buf enc;
    sd_buf_init(&enc);
    assert_true(sd_tls12_rsa_encrypt_pms(key, pms, &enc));
    assert_int_equal(enc.len, (size_t)EVP_PKEY_size(key));
    assert_true(sd_tls12_rsa_decrypt_pms(key, sd_buf_span(&enc), SD_TLS12, random_pms, out));
    assert_memory_equal(out, pms, 48);

    /* Wrong version (the client offered 0x0303; the PMS says otherwise, or
     * the server compares against another version): the random PMS, no failure. */
    assert_true(sd_tls12_rsa_decrypt_pms(key, sd_buf_span(&enc), 0x0302, random_pms, out));
    assert_memory_equal(out, random_pms, 48);
    sd_buf_reset(&enc);
    uint8_t old[48];
    memcpy(old, pms, 48);
    old[1] = 1;
    assert_true(sd_tls12_rsa_encrypt_pms(key, old, &enc));
    assert_true(sd_tls12_rsa_decrypt_pms(key, sd_buf_span(&enc), SD_TLS12, random_pms, out));
    assert_memory_equal(out, random_pms, 48);

    /* A well-padded message of the wrong length (47 and 49 bytes). */
    RSA *rsa = EVP_PKEY_get0_RSA(key);
    for (size_t mlen = 47; mlen <= 49; mlen += 2) {
        uint8_t ct[512], msg[49];
        size_t ct_len = 0;
        memcpy(msg, pms, 48);
        msg[48] = 0x77;
        assert_true(RSA_encrypt(rsa, &ct_len, ct, sizeof(ct), msg, mlen, RSA_PKCS1_PADDING));
        assert_true(sd_tls12_rsa_decrypt_pms(key, sd_span_of(ct, ct_len), SD_TLS12, random_pms, out));
        assert_memory_equal(out, random_pms, 48);
    }
    /* Garbage: a flipped byte, all zeros, too short, too long, empty, >= n. */
    sd_buf_reset(&enc);
    assert_true(sd_tls12_rsa_encrypt_pms(key, pms, &enc));
    enc.data[enc.len / 2] ^= 0x40;
    assert_true(sd_tls12_rsa_decrypt_pms(key, sd_buf_span(&enc), SD_TLS12, random_pms, out));
    assert_memory_equal(out, random_pms, 48);
    uint8_t junk[600];
    memset(junk, 0, sizeof(junk));
    size_t k = (size_t)EVP_PKEY_size(key);
    size_t lens[] = {k, k - 1, k + 1, 0, 48};
    for (size_t i = 0; i < 5; i++) {
        memset(out, 0, 48);
        assert_true(sd_tls12_rsa_decrypt_pms(key, sd_span_of(junk, lens[i]), SD_TLS12, random_pms, out));
        assert_memory_equal(out, random_pms, 48);
    }
    memset(junk, 0xff, k);
    assert_true(sd_tls12_rsa_decrypt_pms(key, sd_span_of(junk, k), SD_TLS12, random_pms, out));
    assert_memory_equal(out, random_pms, 48);
    /* Not an RSA key: an internal error, not a silent success. */
    assert_false(sd_tls12_rsa_decrypt_pms(cred("leaf")->key, sd_buf_span(&enc), SD_TLS12, random_pms, out));
    assert_false(sd_tls12_rsa_encrypt_pms(cred("leaf")->key, pms, &enc));
    assert_int_equal(ERR_peek_error(), 0);
    sd_buf_free(&enc);
}

/* The memo (crypto/memo.c): the same premaster secret to the same public
 * key gets the same ciphertext, which decrypts as before; switched off,
 * PKCS#1 v1.5's random padding makes each encryption differ. */
static void test_rsa_pms_memo(void **state) {
    (void)state;
    EVP_PKEY *key = cred("leaf-rsa")->key;
    uint8_t *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    assert_true(der_len > 0);
    const uint8_t *p = der;
    EVP_PKEY *public_only = d2i_PUBKEY(NULL, &p, der_len);
    assert_non_null(public_only);
    uint8_t pms[48], random_pms[48], out[48];
    for (int i = 0; i < 48; i++) pms[i] = (uint8_t)(i < 2 ? 3 : 200 - i);
    memset(random_pms, 0xee, sizeof random_pms);
    sd_buf a, b;
    sd_buf_init(&a);
    sd_buf_init(&b);

    sd_crypto_memo_set_enabled(true);
    assert_true(sd_tls12_rsa_encrypt_pms(key, pms, &a));
    size_t hits = sd_crypto_memo_hits();
    /* A key object of its own, as parsed from each handshake's certificate. */
    assert_true(sd_tls12_rsa_encrypt_pms(public_only, pms, &b));
    assert_int_equal(sd_crypto_memo_hits(), hits + 1);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    for (int round = 0; round < 2; round++) {
        memset(out, 0, sizeof out);
        hits = sd_crypto_memo_hits();
        assert_true(sd_tls12_rsa_decrypt_pms(key, sd_buf_span(&a), SD_TLS12, random_pms, out));
        assert_memory_equal(out, pms, 48);
        assert_int_equal(sd_crypto_memo_hits(), hits + (round ? 1 : 0));
    }
    /* The checks still run on a remembered result: the wrong version gives
     * the random premaster secret. */
    assert_true(sd_tls12_rsa_decrypt_pms(key, sd_buf_span(&a), 0x0302, random_pms, out));
    assert_memory_equal(out, random_pms, 48);

    sd_crypto_memo_set_enabled(false);
    sd_buf_reset(&a);
    sd_buf_reset(&b);
    hits = sd_crypto_memo_hits();
    assert_true(sd_tls12_rsa_encrypt_pms(key, pms, &a));
    assert_true(sd_tls12_rsa_encrypt_pms(key, pms, &b));
    assert_int_equal(sd_crypto_memo_hits(), hits);
    assert_false(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    assert_true(sd_tls12_rsa_decrypt_pms(key, sd_buf_span(&b), SD_TLS12, random_pms, out));
    assert_memory_equal(out, pms, 48);
    sd_crypto_memo_set_enabled(true);

    OPENSSL_free(der);
    EVP_PKEY_free(public_only);
    sd_buf_free(&a);
    sd_buf_free(&b);
}

/* --- Signatures ---------------------------------------------------------------------- */

static void test_ske_signatures(void **state) {
    (void)state;
    uint8_t cr[32], sr[32];
    memset(cr, 0xc1, 32);
    memset(sr, 0x5e, 32);
    sd_rng rng;
    sd_rng_init(&rng, 7);
    sd_key_share share;
    assert_true(sd_key_share_generate(&share, SD_secp256r1, &rng));
    sd_buf params, content;
    sd_buf_init(&params);
    sd_buf_init(&content);
    sd_build_tls12_server_ecdh_params(&params, SD_secp256r1, sd_span_of(share.public_key, share.public_len));
    sd_tls12_ske_signed_content(cr, sr, sd_buf_span(&params), &content);
    assert_int_equal(content.len, 64 + params.len);
    assert_memory_equal(content.data, cr, 32);
    assert_memory_equal(content.data + 32, sr, 32);
    assert_memory_equal(content.data + 64, params.data, params.len);

    struct {
        const char *cred;
        uint16_t scheme;
    } ok[] = {
        {"leaf", SD_ecdsa_secp256r1_sha256},
        {"leaf", SD_ecdsa_secp384r1_sha384}, /* any curve/hash in 1.2 */
        {"leaf", SD_ecdsa_sha1},
        {"leaf-p384", SD_ecdsa_secp256r1_sha256},
        {"leaf-rsa", SD_rsa_pkcs1_sha256},
        {"leaf-rsa", SD_rsa_pkcs1_sha1},
        {"leaf-rsa", SD_rsa_pkcs1_sha512},
        {"leaf-rsa", SD_rsa_pss_rsae_sha256},
        {"leaf-ed25519", SD_ed25519},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        EVP_PKEY *key = cred(ok[i].cred)->key;
        assert_true(sd_tls12_signature_scheme_matches_key(ok[i].scheme, key));
        sd_buf sig;
        sd_buf_init(&sig);
        assert_true(sd_tls12_sign(key, ok[i].scheme, sd_buf_span(&content), &sig));
        assert_true(sd_tls12_verify(key, ok[i].scheme, sd_buf_span(&content), sd_buf_span(&sig)));
        /* The same signature on other params, or under another hash, fails. */
        content.data[70] ^= 1;
        assert_false(sd_tls12_verify(key, ok[i].scheme, sd_buf_span(&content), sd_buf_span(&sig)));
        content.data[70] ^= 1;
        uint16_t other = ok[i].scheme == SD_rsa_pkcs1_sha256 ? SD_rsa_pkcs1_sha384 : SD_rsa_pkcs1_sha256;
        assert_false(sd_tls12_verify(key, other, sd_buf_span(&content), sd_buf_span(&sig)));
        /* And the SKE message carries it through the wire codec. */
        sd_tls12_ske ske = {.group = SD_secp256r1,
                            .point = sd_span_of(share.public_key, share.public_len),
                            .sig_alg = ok[i].scheme,
                            .signature = sd_buf_span(&sig)};
        sd_buf body;
        sd_buf_init(&body);
        sd_build_tls12_ske_ecdhe(&body, &ske);
        sd_tls12_ske parsed;
        uint8_t alert = 0;
        assert_true(sd_parse_tls12_ske_ecdhe(sd_buf_span(&body), &parsed, &alert));
        assert_true(sd_span_eq(parsed.params, sd_buf_span(&params)));
        sd_buf signed2;
        sd_buf_init(&signed2);
        sd_tls12_ske_signed_content(cr, sr, parsed.params, &signed2);
        assert_true(sd_tls12_verify(key, parsed.sig_alg, sd_buf_span(&signed2), parsed.signature));
        sd_buf_free(&signed2);
        sd_buf_free(&body);
        sd_buf_free(&sig);
    }
    struct {
        const char *cred;
        uint16_t scheme;
    } bad[] = {
        {"leaf", SD_rsa_pkcs1_sha256},           {"leaf", SD_ed25519},
        {"leaf-rsa", SD_ecdsa_secp256r1_sha256}, {"leaf-ed25519", SD_ecdsa_sha1},
        {"leaf-rsa", SD_rsa_pss_pss_sha256},     {"leaf-rsa", 0x0101 /* md5 */},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        EVP_PKEY *key = cred(bad[i].cred)->key;
        assert_false(sd_tls12_signature_scheme_matches_key(bad[i].scheme, key));
        sd_buf sig;
        sd_buf_init(&sig);
        assert_false(sd_tls12_sign(key, bad[i].scheme, sd_buf_span(&content), &sig));
        sd_buf_free(&sig);
    }
    /* TLS 1.3's rules stay stricter: PKCS#1 is refused there. */
    assert_false(sd_signature_scheme_matches_key(SD_rsa_pkcs1_sha256, cred("leaf-rsa")->key));
    /* A PKCS#1 v1.5 signature made by TLS 1.2's rules (what the driver's
     * scheme=0x0401 puts in a TLS 1.3 CertificateVerify) is a good
     * signature that TLS 1.3's verification still refuses (RFC 8446
     * §4.4.3); the same for a P-384 key under ecdsa_secp256r1_sha256, which
     * TLS 1.3 binds to P-256 (§4.2.3) and TLS 1.2 does not. */
    static const struct {
        const char *cred;
        uint16_t scheme;
    } tls12_only[] = {{"leaf-rsa", SD_rsa_pkcs1_sha256},
                      {"leaf-p384", SD_ecdsa_secp256r1_sha256},
                      {"leaf-p521", SD_ecdsa_secp384r1_sha384}};
    for (size_t i = 0; i < sizeof(tls12_only) / sizeof(tls12_only[0]); i++) {
        EVP_PKEY *key = cred(tls12_only[i].cred)->key;
        sd_buf sig;
        sd_buf_init(&sig);
        assert_true(sd_tls12_sign_steady(key, tls12_only[i].scheme, sd_buf_span(&content), &sig));
        assert_true(sd_tls12_verify(key, tls12_only[i].scheme, sd_buf_span(&content), sd_buf_span(&sig)));
        assert_false(sd_signature_scheme_matches_key(tls12_only[i].scheme, key));
        assert_false(sd_verify(key, tls12_only[i].scheme, sd_buf_span(&content), sd_buf_span(&sig)));
        sd_buf_free(&sig);
    }
    /* P-521 in both versions: ecdsa_secp521r1_sha512 fits it everywhere. */
    EVP_PKEY *p521 = cred("leaf-p521")->key;
    assert_true(sd_tls12_signature_scheme_matches_key(SD_ecdsa_secp521r1_sha512, p521));
    assert_true(sd_signature_scheme_matches_key(SD_ecdsa_secp521r1_sha512, p521));
    sd_buf_free(&params);
    sd_buf_free(&content);
}

/* --- Wire -------------------------------------------------------------------------------- */

typedef bool (*parse_fn)(sd_span body);

/* parse_fn wrappers: each parses into a throwaway value, and a refusal must
 * be decode_error (RFC 5246 §7.2.2). */
#define PARSE_WRAPPER(name, type, parser)              \
    static bool name(sd_span b) {                      \
        type x;                                        \
        uint8_t a = 0;                                 \
        bool ok = parser(b, &x, &a);                   \
        if (!ok) assert_int_equal(a, SD_decode_error); \
        return ok;                                     \
    }
PARSE_WRAPPER(p_ske, sd_tls12_ske, sd_parse_tls12_ske_ecdhe)
PARSE_WRAPPER(p_cke_rsa, sd_span, sd_parse_tls12_cke_rsa)
PARSE_WRAPPER(p_cke_ecdhe, sd_span, sd_parse_tls12_cke_ecdhe)
PARSE_WRAPPER(p_cert, sd_tls12_certificate, sd_parse_tls12_certificate)
PARSE_WRAPPER(p_cr, sd_tls12_certificate_request, sd_parse_tls12_certificate_request)
PARSE_WRAPPER(p_nst, sd_tls12_new_session_ticket, sd_parse_tls12_new_session_ticket)
PARSE_WRAPPER(p_cs, sd_tls12_certificate_status, sd_parse_tls12_certificate_status)
PARSE_WRAPPER(p_ri, sd_span, sd_parse_renegotiation_info)

/* A valid body parses; every strict prefix and the body plus a trailing byte
 * are decode_error. */
static void check_truncation(parse_fn parse, sd_span body) {
    assert_true(parse(body));
    for (size_t cut = 0; cut < body.len; cut++) {
        if (parse(sd_span_of(body.data, cut))) fail_msg("prefix of %zu bytes (of %zu) parsed", cut, body.len);
    }
    sd_buf longer;
    sd_buf_init(&longer);
    sd_buf_append_span(&longer, body);
    sd_buf_u8(&longer, 0);
    assert_false(parse(sd_buf_span(&longer)));
    sd_buf_free(&longer);
}

static void test_wire_round_trips(void **state) {
    (void)state;
    uint8_t point[65];
    memset(point, 4, sizeof(point));
    uint8_t sig[72];
    memset(sig, 0x30, sizeof(sig));
    sd_buf b;
    sd_buf_init(&b);
    uint8_t alert = 0;

    /* ServerKeyExchange */
    sd_tls12_ske ske = {.group = SD_x25519,
                        .point = sd_span_of(point, 32),
                        .sig_alg = SD_rsa_pkcs1_sha256,
                        .signature = sd_span_of(sig, 72)};
    sd_build_tls12_ske_ecdhe(&b, &ske);
    assert_int_equal(b.len, 1 + 2 + 1 + 32 + 2 + 2 + 72);
    assert_int_equal(b.data[0], 3);
    sd_tls12_ske ps;
    assert_true(sd_parse_tls12_ske_ecdhe(sd_buf_span(&b), &ps, &alert));
    assert_int_equal(ps.group, SD_x25519);
    assert_int_equal(ps.curve_type, 3);
    assert_true(sd_span_eq(ps.point, ske.point));
    assert_int_equal(ps.sig_alg, SD_rsa_pkcs1_sha256);
    assert_true(sd_span_eq(ps.signature, ske.signature));
    assert_int_equal(ps.params.len, 1 + 2 + 1 + 32);
    assert_ptr_equal(ps.params.data, b.data);
    check_truncation(p_ske, sd_buf_span(&b));
    /* explicit_prime (1), an empty point; an empty signature parses. */
    sd_buf_reset(&b);
    ske.curve_type = 1;
    sd_build_tls12_ske_ecdhe(&b, &ske);
    assert_false(p_ske(sd_buf_span(&b)));
    sd_buf_reset(&b);
    ske.curve_type = 0;
    ske.point = sd_span_of(point, 0);
    sd_build_tls12_ske_ecdhe(&b, &ske);
    assert_false(p_ske(sd_buf_span(&b)));
    sd_buf_reset(&b);
    ske.point = sd_span_of(point, 65);
    ske.signature = sd_span_of(sig, 0);
    sd_build_tls12_ske_ecdhe(&b, &ske);
    assert_true(p_ske(sd_buf_span(&b)));

    /* ClientKeyExchange */
    sd_buf_reset(&b);
    sd_build_tls12_cke_rsa(&b, sd_span_of(sig, 72));
    assert_int_equal(b.len, 74);
    sd_span got;
    assert_true(sd_parse_tls12_cke_rsa(sd_buf_span(&b), &got, &alert));
    assert_true(sd_span_eq(got, sd_span_of(sig, 72)));
    check_truncation(p_cke_rsa, sd_buf_span(&b));
    sd_buf_reset(&b);
    sd_build_tls12_cke_ecdhe(&b, sd_span_of(point, 65));
    assert_int_equal(b.len, 66);
    assert_true(sd_parse_tls12_cke_ecdhe(sd_buf_span(&b), &got, &alert));
    assert_true(sd_span_eq(got, sd_span_of(point, 65)));
    check_truncation(p_cke_ecdhe, sd_buf_span(&b));
    assert_false(p_cke_ecdhe(sd_span_of((const uint8_t *)"\0", 1))); /* point<1..> */

    /* Certificate, from a credential and by hand. */
    const sd_credential *c = cred("leaf");
    sd_buf_reset(&b);
    sd_tls12_build_certificate(&b, c);
    sd_tls12_certificate pc;
    assert_true(sd_parse_tls12_certificate(sd_buf_span(&b), &pc, &alert));
    sd_reader it = sd_reader_of(pc.certificate_list);
    sd_span cert;
    size_t n = 0;
    while (sd_tls12_certificate_next(&it, &cert, &alert) == 1) {
        assert_true(sd_span_eq(cert, sd_span_of(c->chain_der[n], c->chain_der_len[n])));
        n++;
    }
    assert_int_equal(n, c->chain_len);
    check_truncation(p_cert, sd_buf_span(&b));
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_build_tls12_certificate(&rebuilt, &pc);
    assert_true(sd_span_eq(sd_buf_span(&rebuilt), sd_buf_span(&b)));
    sd_buf_free(&rebuilt);
    assert_true(p_cert(sd_span_of((const uint8_t *)"\0\0\0", 3)));        /* empty list */
    assert_false(p_cert(sd_span_of((const uint8_t *)"\0\0\3\0\0\0", 6))); /* empty ASN.1Cert */

    /* CertificateRequest */
    sd_buf_reset(&b);
    uint8_t types[] = {1, 64};
    uint8_t algs[] = {4, 3, 8, 4, 4, 1};
    sd_buf cas;
    sd_buf_init(&cas);
    size_t p = sd_buf_open_prefix(&cas, 2);
    sd_buf_append(&cas, "\x30\x03\x31\x01\x00", 5);
    sd_buf_close_prefix(&cas, p, 2);
    p = sd_buf_open_prefix(&cas, 2);
    sd_buf_append(&cas, "\x30\x00", 2);
    sd_buf_close_prefix(&cas, p, 2);
    sd_tls12_certificate_request cr = {sd_span_of(types, 2), sd_span_of(algs, 6), sd_buf_span(&cas)};
    sd_build_tls12_certificate_request(&b, &cr);
    sd_tls12_certificate_request pcr;
    assert_true(sd_parse_tls12_certificate_request(sd_buf_span(&b), &pcr, &alert));
    assert_true(sd_span_eq(pcr.certificate_types, cr.certificate_types));
    assert_true(sd_span_eq(pcr.supported_signature_algorithms, cr.supported_signature_algorithms));
    assert_true(sd_span_eq(pcr.certificate_authorities, cr.certificate_authorities));
    it = sd_reader_of(pcr.certificate_authorities);
    sd_span dn;
    assert_int_equal(sd_tls12_distinguished_name_next(&it, &dn, &alert), 1);
    assert_int_equal(dn.len, 5);
    assert_int_equal(sd_tls12_distinguished_name_next(&it, &dn, &alert), 1);
    assert_int_equal(sd_tls12_distinguished_name_next(&it, &dn, &alert), 0);
    check_truncation(p_cr, sd_buf_span(&b));
    /* No certificate types; an odd or empty algorithm list; an empty DistinguishedName. */
    sd_tls12_certificate_request bad = cr;
    bad.certificate_types = sd_span_of(types, 0);
    sd_buf_reset(&b);
    sd_build_tls12_certificate_request(&b, &bad);
    assert_false(p_cr(sd_buf_span(&b)));
    bad = cr;
    bad.supported_signature_algorithms = sd_span_of(algs, 5);
    sd_buf_reset(&b);
    sd_build_tls12_certificate_request(&b, &bad);
    assert_false(p_cr(sd_buf_span(&b)));
    bad.supported_signature_algorithms = sd_span_of(algs, 0);
    sd_buf_reset(&b);
    sd_build_tls12_certificate_request(&b, &bad);
    assert_false(p_cr(sd_buf_span(&b)));
    bad = cr;
    bad.certificate_authorities = sd_span_of((const uint8_t *)"\0\0", 2);
    sd_buf_reset(&b);
    sd_build_tls12_certificate_request(&b, &bad);
    assert_false(p_cr(sd_buf_span(&b)));
    bad.certificate_authorities = sd_span_of(types, 0);
    sd_buf_reset(&b);
    sd_build_tls12_certificate_request(&b, &bad);
    assert_true(p_cr(sd_buf_span(&b)));
    sd_buf_free(&cas);

    /* NewSessionTicket: an empty ticket parses (RFC 5077 §3.3). */
    sd_buf_reset(&b);
    sd_tls12_new_session_ticket t = {7200, sd_span_of(sig, 40)};
    sd_build_tls12_new_session_ticket(&b, &t);
    sd_tls12_new_session_ticket pt;
    assert_true(sd_parse_tls12_new_session_ticket(sd_buf_span(&b), &pt, &alert));
    assert_int_equal(pt.lifetime_hint, 7200);
    assert_true(sd_span_eq(pt.ticket, t.ticket));
    check_truncation(p_nst, sd_buf_span(&b));
    assert_true(p_nst(sd_span_of((const uint8_t *)"\0\0\0\0\0\0", 6)));

    /* CertificateStatus */
    sd_buf_reset(&b);
    const sd_span *ocsp = sd_pki_blob(&g_pki, "ocsp-leaf.der");
    assert_non_null(ocsp);
    sd_tls12_certificate_status cs = {SD_CERTIFICATE_STATUS_OCSP, *ocsp};
    sd_build_tls12_certificate_status(&b, &cs);
    sd_tls12_certificate_status pcs;
    assert_true(sd_parse_tls12_certificate_status(sd_buf_span(&b), &pcs, &alert));
    assert_int_equal(pcs.status_type, 1);
    assert_true(sd_span_eq(pcs.ocsp_response, *ocsp));
    check_truncation(p_cs, sd_buf_span(&b));
    b.data[0] = 2; /* not ocsp */
    assert_false(p_cs(sd_buf_span(&b)));
    assert_false(p_cs(sd_span_of((const uint8_t *)"\1\0\0\0", 4))); /* OCSPResponse<1..> */

    /* Empty bodies */
    assert_true(sd_parse_tls12_server_hello_done(sd_span_of(NULL, 0), &alert));
    assert_true(sd_parse_tls12_hello_request(sd_span_of(NULL, 0), &alert));
    assert_true(sd_parse_extended_master_secret(sd_span_of(NULL, 0), &alert));
    alert = 0;
    assert_false(sd_parse_tls12_server_hello_done(sd_span_of((const uint8_t *)"\0", 1), &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_parse_tls12_hello_request(sd_span_of((const uint8_t *)"\0", 1), &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_parse_extended_master_secret(sd_span_of((const uint8_t *)"\0", 1), &alert));
    assert_int_equal(alert, SD_decode_error);

    /* renegotiation_info: empty on an initial handshake, 12 or 24 bytes on a renegotiation. */
    sd_buf_reset(&b);
    sd_build_renegotiation_info(&b, sd_span_of(sig, 0));
    assert_int_equal(b.len, 1);
    assert_true(p_ri(sd_buf_span(&b)));
    sd_buf_reset(&b);
    sd_build_renegotiation_info(&b, sd_span_of(sig, 24));
    assert_true(sd_parse_renegotiation_info(sd_buf_span(&b), &got, &alert));
    assert_int_equal(got.len, 24);
    check_truncation(p_ri, sd_buf_span(&b));
    sd_buf_free(&b);
}

static int setup(void **state) {
    (void)state;
    char err[256];
    if (!sd_pki_load(&g_pki, sd_pki_default_dir(), err, sizeof(err))) {
        fprintf(stderr, "cannot load the fixture PKI: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    sd_pki_free(&g_pki);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prf_vectors),
        cmocka_unit_test(test_master_secret_finished_key_block),
        cmocka_unit_test(test_suites),
        cmocka_unit_test(test_against_boringssl),
        cmocka_unit_test(test_record_round_trip_and_tamper),
        cmocka_unit_test(test_record_cbc_iv_and_overflow),
        cmocka_unit_test(test_record_layer_tls12),
        cmocka_unit_test(test_record_layer_alert_reassembly),
        cmocka_unit_test(test_record_layer_record_size_limit),
        cmocka_unit_test(test_record_layer_max_fragment_length),
        cmocka_unit_test(test_record_encrypt_then_mac),
        cmocka_unit_test(test_rsa_pms),
        cmocka_unit_test(test_rsa_pms_memo),
        cmocka_unit_test(test_ske_signatures),
        cmocka_unit_test(test_wire_round_trips),
    };
    return cmocka_run_group_tests_name("tls12", tests, setup, teardown) == 0 ? 0 : 1;
}
