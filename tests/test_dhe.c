/* test_dhe.c — TLS 1.2 finite-field DHE (RFC 5246 §7.4.3, §7.4.7.2, §8.1.2;
 * RFC 7919): the premaster secret and its leading zeros, the range check on
 * the peer's value, recognising the RFC 7919 groups from dh_p and dh_g, and
 * the ServerDHParams / ClientDiffieHellmanPublic codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/tls12.h"
#include "wire/names.h"
#include "wire/tls12.h"

static const uint8_t kTwo = 2;

static sd_span prime_of(uint16_t group, uint8_t *buf) {
    size_t len = sd_ffdhe_prime(group, buf, SD_MAX_DH_PRIME_LEN);
    assert_true(len > 0);
    return sd_span_of(buf, len);
}

/* §8.1.2: "Leading bytes of Z that contain all zero bits are stripped". */
static void test_strip_premaster(void **state) {
    (void)state;
    uint8_t z[5] = {0, 0, 7, 0, 9};
    assert_int_equal(sd_dh_strip_premaster(z, sizeof z), 3);
    assert_memory_equal(z, ((const uint8_t[]){7, 0, 9}), 3);
    uint8_t no_zero[3] = {1, 0, 0};
    assert_int_equal(sd_dh_strip_premaster(no_zero, sizeof no_zero), 3);
    assert_memory_equal(no_zero, ((const uint8_t[]){1, 0, 0}), 3);
    uint8_t all_zero[4] = {0};
    assert_int_equal(sd_dh_strip_premaster(all_zero, sizeof all_zero), 0);
}

/* Both sides of ffdhe2048 agree, and the premaster secret is Z without its
 * leading zero bytes: the TLS 1.3 secret of the same exchange (RFC 8446
 * §7.4.1: Z "left-padded with zeros up to the size of the prime") with
 * them cut off. Seeds are tried until Z starts with a zero byte (about
 * one exchange in 256), so the stripping is seen to happen. */
static void test_premaster_strips_leading_zeros(void **state) {
    (void)state;
    uint8_t prime[SD_MAX_DH_PRIME_LEN];
    sd_span p = prime_of(SD_ffdhe2048, prime);
    bool seen_leading_zero = false, seen_full_length = false;
    for (uint64_t seed = 1; seed < 4000 && !(seen_leading_zero && seen_full_length); seed++) {
        sd_rng rng;
        sd_rng_init(&rng, seed);
        sd_key_share a, b;
        assert_true(sd_dh_generate(&a, SD_ffdhe2048, p, sd_span_of(&kTwo, 1), &rng));
        assert_true(sd_dh_generate(&b, SD_ffdhe2048, p, sd_span_of(&kTwo, 1), &rng));
        assert_int_equal(a.public_len, 256);
        uint8_t pms_a[SD_MAX_SHARED_SECRET_LEN], pms_b[SD_MAX_SHARED_SECRET_LEN], z[SD_MAX_SHARED_SECRET_LEN];
        size_t len_a = 0, len_b = 0, z_len = 0;
        uint8_t alert = 0;
        assert_true(sd_dh_premaster(&a, p, sd_span_of(b.public_key, b.public_len), pms_a, &len_a, &alert));
        assert_true(sd_dh_premaster(&b, p, sd_span_of(a.public_key, a.public_len), pms_b, &len_b, &alert));
        assert_int_equal(len_a, len_b);
        assert_memory_equal(pms_a, pms_b, len_a);
        /* The same exchange as an RFC 8446 key share: Z padded to 256. */
        assert_true(sd_key_share_derive(&a, sd_span_of(b.public_key, b.public_len), z, &z_len, &alert));
        assert_int_equal(z_len, 256);
        size_t zeros = 0;
        while (zeros < z_len && z[zeros] == 0) zeros++;
        assert_int_equal(len_a, z_len - zeros);
        assert_memory_equal(pms_a, z + zeros, len_a);
        assert_true(len_a == 0 || pms_a[0] != 0);
        if (zeros)
            seen_leading_zero = true;
        else
            seen_full_length = true;
    }
    assert_true(seen_leading_zero);
    assert_true(seen_full_length);
}

static void expect_out_of_range(const sd_key_share *ks, sd_span p, const uint8_t *y, size_t len) {
    uint8_t pms[SD_MAX_SHARED_SECRET_LEN];
    size_t pms_len = 0;
    uint8_t alert = 0;
    assert_false(sd_dh_premaster(ks, p, sd_span_of(y, len), pms, &pms_len, &alert));
    /* RFC 7919 §3 (client) and §4 (server): handshake_failure(40). */
    assert_int_equal(alert, SD_handshake_failure);
}

/* RFC 7919 §5.1: 1 < Y < p-1. 0, 1, p-1 and p are refused, padded or not;
 * 2 and p-2 are taken. TLS 1.2 gives dh_Yc no fixed width (RFC 5246
 * §7.4.7.2 opaque dh_Yc<1..2^16-1>), so a short encoding of a value in
 * range is the value. */
static void test_peer_value_range(void **state) {
    (void)state;
    uint8_t prime[SD_MAX_DH_PRIME_LEN];
    sd_span p = prime_of(SD_ffdhe2048, prime);
    sd_rng rng;
    sd_rng_init(&rng, 3);
    sd_key_share own;
    assert_true(sd_dh_generate(&own, SD_ffdhe2048, p, sd_span_of(&kTwo, 1), &rng));
    uint8_t y[256] = {0};
    expect_out_of_range(&own, p, y, 256); /* 0 */
    expect_out_of_range(&own, p, y, 1);   /* 0, one byte */
    y[255] = 1;
    expect_out_of_range(&own, p, y, 256);     /* 1 */
    expect_out_of_range(&own, p, y + 255, 1); /* 1, one byte */
    memcpy(y, p.data, 256);
    expect_out_of_range(&own, p, y, 256); /* p */
    y[255] -= 1;
    expect_out_of_range(&own, p, y, 256); /* p-1 */
    y[255] -= 1;                          /* p-2 */
    uint8_t pms[SD_MAX_SHARED_SECRET_LEN];
    size_t pms_len = 0;
    uint8_t alert = 0;
    assert_true(sd_dh_premaster(&own, p, sd_span_of(y, 256), pms, &pms_len, &alert));
    uint8_t two = 2;
    assert_true(sd_dh_premaster(&own, p, sd_span_of(&two, 1), pms, &pms_len, &alert));
    /* A value past p, with a byte more than p has. */
    uint8_t big[257];
    memset(big, 0xFF, sizeof big);
    expect_out_of_range(&own, p, big, sizeof big);
}

/* RFC 7919 §3: the client compares dh_p and dh_g with the known groups. */
static void test_group_of(void **state) {
    (void)state;
    uint8_t prime[SD_MAX_DH_PRIME_LEN + 1];
    for (uint16_t g = SD_ffdhe2048; g <= SD_ffdhe8192; g++) {
        size_t len = sd_ffdhe_prime(g, prime + 1, SD_MAX_DH_PRIME_LEN);
        assert_true(len >= 256 && len <= 1024);
        assert_int_equal(sd_ffdhe_group_of(sd_span_of(prime + 1, len), sd_span_of(&kTwo, 1)), g);
        /* A zero byte in front is the same integer. */
        prime[0] = 0;
        const uint8_t padded_two[2] = {0, 2};
        assert_int_equal(sd_ffdhe_group_of(sd_span_of(prime, len + 1), sd_span_of(padded_two, 2)), g);
        /* Another generator is another group. */
        const uint8_t five = 5, one = 1;
        assert_int_equal(sd_ffdhe_group_of(sd_span_of(prime + 1, len), sd_span_of(&five, 1)), 0);
        assert_int_equal(sd_ffdhe_group_of(sd_span_of(prime + 1, len), sd_span_of(&one, 1)), 0);
        /* A prime one bit off is not the group's. */
        prime[len] ^= 0x02;
        assert_int_equal(sd_ffdhe_group_of(sd_span_of(prime + 1, len), sd_span_of(&kTwo, 1)), 0);
    }
    assert_int_equal(sd_ffdhe_prime(SD_x25519, prime, sizeof prime), 0);
    assert_int_equal(sd_ffdhe_prime(SD_ffdhe2048, prime, 255), 0); /* does not fit */
}

/* A suite table entry per DHE_RSA suite, with an RSA key exchange's needs. */
static void test_dhe_suites(void **state) {
    (void)state;
    static const uint16_t ids[] = {
        SD_TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, SD_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,
        SD_TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, SD_TLS_DHE_RSA_WITH_AES_128_CBC_SHA};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const sd_tls12_suite *s = sd_tls12_suite_find(ids[i]);
        assert_non_null(s);
        assert_int_equal(s->kx, SD_KX_DHE_RSA);
        /* Not in the default offer: BoringSSL has none. */
        for (size_t j = 0; j < sd_tls12_n_default_suites; j++)
            assert_int_not_equal(sd_tls12_default_suites[j], ids[i]);
    }
    assert_true(sd_tls12_suite_find(SD_TLS_DHE_RSA_WITH_AES_256_GCM_SHA384)->prf_md() == EVP_sha384());
}

/* RFC 5246 §7.4.3 ServerDHParams and §7.4.7.2 dh_Yc: what is built parses
 * back; an empty vector or a trailing byte is decode_error. */
static void test_codec(void **state) {
    (void)state;
    const uint8_t p[] = {0xF7}, g[] = {2}, ys[] = {0x11, 0x22}, sig[] = {0xAA, 0xBB, 0xCC};
    sd_tls12_ske_dhe in = {.p = sd_span_of(p, sizeof p),
                           .g = sd_span_of(g, sizeof g),
                           .ys = sd_span_of(ys, sizeof ys),
                           .sig_alg = SD_rsa_pss_rsae_sha256,
                           .signature = sd_span_of(sig, sizeof sig)};
    sd_buf body, params;
    sd_buf_init(&body);
    sd_buf_init(&params);
    sd_build_tls12_ske_dhe(&body, &in);
    sd_build_tls12_server_dh_params(&params, in.p, in.g, in.ys);
    sd_tls12_ske_dhe out;
    uint8_t alert = 0;
    assert_true(sd_parse_tls12_ske_dhe(sd_buf_span(&body), &out, &alert));
    assert_true(sd_span_eq(out.p, in.p) && sd_span_eq(out.g, in.g) && sd_span_eq(out.ys, in.ys));
    assert_true(sd_span_eq(out.params, sd_buf_span(&params)));
    assert_int_equal(out.sig_alg, SD_rsa_pss_rsae_sha256);
    assert_true(sd_span_eq(out.signature, in.signature));
    /* A trailing byte. */
    sd_buf_u8(&body, 0);
    alert = 0;
    assert_false(sd_parse_tls12_ske_dhe(sd_buf_span(&body), &out, &alert));
    assert_int_equal(alert, SD_decode_error);
    /* An empty dh_g (dh_g<1..2^16-1>). */
    sd_buf_reset(&body);
    in.g = sd_span_of(NULL, 0);
    sd_build_tls12_ske_dhe(&body, &in);
    alert = 0;
    assert_false(sd_parse_tls12_ske_dhe(sd_buf_span(&body), &out, &alert));
    assert_int_equal(alert, SD_decode_error);

    sd_buf_reset(&body);
    sd_build_tls12_cke_dhe(&body, sd_span_of(ys, sizeof ys));
    sd_span yc;
    assert_true(sd_parse_tls12_cke_dhe(sd_buf_span(&body), &yc, &alert));
    assert_true(sd_span_eq(yc, sd_span_of(ys, sizeof ys)));
    const uint8_t empty[] = {0, 0};
    alert = 0;
    assert_false(sd_parse_tls12_cke_dhe(sd_span_of(empty, sizeof empty), &yc, &alert));
    assert_int_equal(alert, SD_decode_error);
    sd_buf_free(&body);
    sd_buf_free(&params);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_premaster),  cmocka_unit_test(test_premaster_strips_leading_zeros),
        cmocka_unit_test(test_peer_value_range), cmocka_unit_test(test_group_of),
        cmocka_unit_test(test_dhe_suites),       cmocka_unit_test(test_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
