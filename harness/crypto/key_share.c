/* key_share.c — (EC)DHE key exchange: TLS 1.3 key shares (RFC 8446 §4.2.8,
 * §7.4) and TLS 1.2 ECDHE (RFC 8422 §5.4, §5.10): X25519 and X448 (RFC
 * 7748) and the NIST curves P-256, P-384 and P-521. X448 is Nettle's
 * (libhogweed): BoringSSL has none.
 *
 * Key pairs come from the caller's sd_rng, so a seeded model produces the
 * same key shares on every run. Both steps are pure functions of their
 * inputs (the private key; it and the peer's value), so their results are
 * remembered (memo.c): a seeded run computes the same ones every time. */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/curve25519.h>
#include <openssl/ec.h>
#include <openssl/mem.h>
#include <openssl/nid.h>

#include <nettle/curve448.h>

#include "crypto/memo.h"
#include "wire/names.h"

/* The memo's key: the group, the private key, and what else the step
 * takes (the peer's public value). */
static void memo_input(sd_buf *input, uint16_t group, const uint8_t *private_key, size_t private_len,
                       sd_span peer) {
    sd_buf_u16(input, group);
    sd_buf_u8(input, (uint8_t)private_len);
    sd_buf_append(input, private_key, private_len);
    if (peer.len && peer.data) sd_buf_append(input, peer.data, peer.len);
}

/* The public key remembered for ks's private key, if any; *ticket names
 * its entry for public_to_memo. */
static bool public_from_memo(sd_key_share *ks, sd_memo_ticket *ticket) {
    sd_buf input, value;
    sd_buf_init(&input);
    sd_buf_init(&value);
    memo_input(&input, ks->group, ks->private_key, ks->private_len, sd_span_of(NULL, 0));
    bool ok = !input.failed &&
              sd_memo_find(SD_MEMO_KEYGEN, SD_MEMO_KEY_NONE, NULL, sd_buf_span(&input), &value, ticket) &&
              value.len > 0 && value.len <= sizeof ks->public_key;
    if (input.failed) ticket->usable = false;
    if (ok) {
        memcpy(ks->public_key, value.data, value.len);
        ks->public_len = value.len;
    }
    if (input.data) OPENSSL_cleanse(input.data, input.len);
    sd_buf_free(&input);
    sd_buf_free(&value);
    return ok;
}

static void public_to_memo(const sd_key_share *ks, const sd_memo_ticket *ticket) {
    sd_memo_put(ticket, NULL, sd_span_of(ks->public_key, ks->public_len));
}

const uint16_t sd_key_share_groups[] = {SD_x25519, SD_secp256r1, SD_secp384r1, SD_secp521r1, SD_x448};
const size_t sd_n_key_share_groups = sizeof sd_key_share_groups / sizeof sd_key_share_groups[0];

bool sd_group_supported(uint16_t group) {
    for (size_t i = 0; i < sd_n_key_share_groups; i++)
        if (sd_key_share_groups[i] == group) return true;
    return false;
}

/* The curve of an EC group, its scalar/coordinate length. NID_undef if the
 * group is not an EC group we support. */
static int ec_group_nid(uint16_t group, size_t *coord_len) {
    switch (group) {
    case SD_secp256r1:
        *coord_len = 32;
        return NID_X9_62_prime256v1;
    case SD_secp384r1:
        *coord_len = 48;
        return NID_secp384r1;
    case SD_secp521r1:
        /* ceil(521 / 8): §4.2.8.2's coordinate_length for secp521r1. */
        *coord_len = 66;
        return NID_secp521r1;
    default:
        *coord_len = 0;
        return NID_undef;
    }
}

static bool ec_generate(sd_key_share *ks, int nid, size_t coord_len, sd_rng *rng) {
    bool ok = false;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
    BIGNUM *priv = BN_new();
    EC_POINT *pub = group != NULL ? EC_POINT_new(group) : NULL;
    BN_CTX *bn_ctx = BN_CTX_new();
    uint8_t buf[66];
    if (group == NULL || priv == NULL || pub == NULL || bn_ctx == NULL || coord_len > sizeof buf) {
        goto out;
    }
    const BIGNUM *order = EC_GROUP_get0_order(group);
    /* A random string as long as the order in bits (P-521's order has 521
     * of the 528 bits of coord_len bytes: the spare high bits are cleared),
     * drawn again while it is zero or not below the order, so the private
     * key is uniform in [1, n-1]. */
    unsigned spare_bits = (unsigned)(8 * coord_len) - BN_num_bits(order);
    for (int tries = 0;; tries++) {
        if (tries == 64) {
            goto out;
        }
        sd_rng_bytes(rng, buf, coord_len);
        buf[0] &= (uint8_t)(0xff >> spare_bits);
        if (BN_bin2bn(buf, coord_len, priv) == NULL) {
            goto out;
        }
        if (!BN_is_zero(priv) && BN_cmp(priv, order) < 0) {
            break;
        }
    }
    if (!BN_bn2bin_padded(ks->private_key, coord_len, priv)) {
        goto out;
    }
    ks->private_len = coord_len;
    sd_memo_ticket ticket;
    if (public_from_memo(ks, &ticket)) {
        ok = true;
        goto out;
    }
    if (!EC_POINT_mul(group, pub, priv, NULL, NULL, bn_ctx)) {
        goto out;
    }
    /* §4.2.8.2: the UncompressedPointRepresentation, legacy_form = 4 || X || Y. */
    size_t n = EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, ks->public_key,
                                  sizeof(ks->public_key), bn_ctx);
    if (n != 1 + 2 * coord_len) {
        goto out;
    }
    ks->public_len = n;
    public_to_memo(ks, &ticket);
    ok = true;
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    BN_CTX_free(bn_ctx);
    EC_POINT_free(pub);
    BN_clear_free(priv);
    EC_GROUP_free(group);
    return ok;
}

bool sd_key_share_generate(sd_key_share *ks, uint16_t group, sd_rng *rng) {
    OPENSSL_cleanse(ks, sizeof(*ks));
    ks->group = group;
    if (group == SD_x25519) {
        /* RFC 7748 §6.1: the private key is 32 random bytes (clamped inside X25519). */
        sd_rng_bytes(rng, ks->private_key, 32);
        ks->private_len = 32;
        sd_memo_ticket ticket;
        if (!public_from_memo(ks, &ticket)) {
            X25519_public_from_private(ks->public_key, ks->private_key);
            ks->public_len = 32;
            public_to_memo(ks, &ticket);
        }
        return true;
    }
    if (group == SD_x448) {
        /* RFC 7748 §6.2: the private key is 56 random bytes; Nettle's
         * curve448_mul_g clamps them (§5: the two low bits cleared, the top
         * bit set) as X448 does, and returns X448(a, 5). */
        sd_rng_bytes(rng, ks->private_key, CURVE448_SIZE);
        ks->private_len = CURVE448_SIZE;
        sd_memo_ticket ticket;
        if (!public_from_memo(ks, &ticket)) {
            curve448_mul_g(ks->public_key, ks->private_key);
            ks->public_len = CURVE448_SIZE;
            public_to_memo(ks, &ticket);
        }
        return true;
    }
    size_t coord_len;
    int nid = ec_group_nid(group, &coord_len);
    if (nid == NID_undef || !ec_generate(ks, nid, coord_len, rng)) {
        OPENSSL_cleanse(ks, sizeof(*ks));
        ks->group = group;
        return false;
    }
    return true;
}

static bool ec_derive(const sd_key_share *ks, int nid, size_t coord_len, sd_span peer, uint8_t *out_secret,
                      size_t *out_len, uint8_t *out_alert) {
    bool ok = false;
    EC_GROUP *group = EC_GROUP_new_by_curve_name(nid);
    EC_POINT *peer_point = group != NULL ? EC_POINT_new(group) : NULL;
    EC_POINT *shared = group != NULL ? EC_POINT_new(group) : NULL;
    BIGNUM *priv = BN_bin2bn(ks->private_key, ks->private_len, NULL);
    BIGNUM *x = BN_new();
    BN_CTX *bn_ctx = BN_CTX_new();
    *out_alert = SD_internal_error;
    if (group == NULL || peer_point == NULL || shared == NULL || priv == NULL || x == NULL ||
        bn_ctx == NULL || ks->private_len != coord_len) {
        goto out;
    }
    /* §4.2.8.2: "struct { uint8 legacy_form = 4; opaque X[coordinate_length];
     * opaque Y[coordinate_length]; } UncompressedPointRepresentation;" and
     * "Peers MUST validate each other's public key Y by ensuring that the
     * point is a valid point on the elliptic curve." Only the uncompressed
     * form of exactly the right length is accepted; EC_POINT_oct2point
     * checks that the point is on the curve. */
    if (peer.len != 1 + 2 * coord_len || peer.data == NULL || peer.data[0] != 0x04 ||
        !EC_POINT_oct2point(group, peer_point, peer.data, peer.len, bn_ctx)) {
        *out_alert = SD_illegal_parameter;
        goto out;
    }
    /* §7.4.2: "the shared secret is the x-coordinate of the ECDH shared
     * secret elliptic curve point represented as an octet string. Note that
     * this octet string ("Z" in IEEE 1363 terminology) as output by FE2OSP
     * (the Field Element to Octet String Conversion Primitive) has constant
     * length for any given field; leading zeros found in this octet string
     * MUST NOT be truncated." */
    if (!EC_POINT_mul(group, shared, NULL, peer_point, priv, bn_ctx)) {
        goto out;
    }
    if (EC_POINT_is_at_infinity(group, shared)) {
        *out_alert = SD_illegal_parameter;
        goto out;
    }
    if (!EC_POINT_get_affine_coordinates_GFp(group, shared, x, NULL, bn_ctx) ||
        !BN_bn2bin_padded(out_secret, coord_len, x)) {
        goto out;
    }
    *out_len = coord_len;
    ok = true;
out:
    BN_CTX_free(bn_ctx);
    BN_clear_free(x);
    BN_clear_free(priv);
    EC_POINT_free(shared);
    EC_POINT_free(peer_point);
    EC_GROUP_free(group);
    return ok;
}

/* out_secret must hold SD_MAX_SHARED_SECRET_LEN bytes. */
static bool derive(const sd_key_share *ks, sd_span peer_public, uint8_t *out_secret, size_t *out_len,
                   uint8_t *out_alert) {
    *out_len = 0;
    if (ks->group == SD_x25519) {
        /* §4.2.8.2: "For X25519 and X448, the contents of the public value
         * are the byte string inputs and outputs of the corresponding
         * functions defined in [RFC7748]: 32 bytes for X25519". */
        if (peer_public.len != 32 || peer_public.data == NULL || ks->private_len != 32) {
            *out_alert = SD_illegal_parameter;
            return false;
        }
        /* §7.4.2: "For X25519 and X448, implementations MUST check whether
         * the computed Diffie-Hellman shared secret is the all-zero value and
         * abort if so". BoringSSL's X25519() returns 0 in that case. */
        if (!X25519(out_secret, ks->private_key, peer_public.data)) {
            OPENSSL_cleanse(out_secret, 32);
            *out_alert = SD_illegal_parameter;
            return false;
        }
        *out_len = 32;
        return true;
    }
    if (ks->group == SD_x448) {
        /* §4.2.8.2: "56 bytes for X448". */
        if (peer_public.len != CURVE448_SIZE || peer_public.data == NULL ||
            ks->private_len != CURVE448_SIZE) {
            *out_alert = SD_illegal_parameter;
            return false;
        }
        /* §7.4.2: the all-zero check applies to X448 as to X25519 (RFC 7748
         * §6.2: a peer's low-order point, u = 0 or u = 1, gives it).
         * curve448_mul reports nothing, so the result is checked here,
         * every byte read whatever the earlier ones were. */
        curve448_mul(out_secret, ks->private_key, peer_public.data);
        uint8_t any_bit = 0;
        for (size_t i = 0; i < CURVE448_SIZE; i++) any_bit |= out_secret[i];
        if (any_bit == 0) {
            *out_alert = SD_illegal_parameter;
            return false;
        }
        *out_len = CURVE448_SIZE;
        return true;
    }
    size_t coord_len;
    int nid = ec_group_nid(ks->group, &coord_len);
    if (nid == NID_undef) {
        *out_alert = SD_internal_error;
        return false;
    }
    return ec_derive(ks, nid, coord_len, peer_public, out_secret, out_len, out_alert);
}

bool sd_key_share_derive(const sd_key_share *ks, sd_span peer_public, uint8_t *out_secret, size_t *out_len,
                         uint8_t *out_alert) {
    /* Only agreements are remembered: a refused peer value is rare (a
     * mutation's) and cheap to refuse again. */
    sd_buf input, value;
    sd_buf_init(&input);
    sd_buf_init(&value);
    memo_input(&input, ks->group, ks->private_key, ks->private_len, peer_public);
    if (peer_public.len && !peer_public.data) input.failed = true; /* not a value to remember */
    bool ok;
    sd_memo_ticket ticket = {0};
    if (!input.failed &&
        sd_memo_find(SD_MEMO_DERIVE, SD_MEMO_KEY_NONE, NULL, sd_buf_span(&input), &value, &ticket) &&
        value.len > 0 && value.len <= SD_MAX_SHARED_SECRET_LEN) {
        memcpy(out_secret, value.data, value.len);
        *out_len = value.len;
        ok = true;
    } else {
        ok = derive(ks, peer_public, out_secret, out_len, out_alert);
        if (ok) sd_memo_put(&ticket, NULL, sd_span_of(out_secret, *out_len));
    }
    if (input.data) OPENSSL_cleanse(input.data, input.len);
    if (value.data) OPENSSL_cleanse(value.data, value.len);
    sd_buf_free(&input);
    sd_buf_free(&value);
    return ok;
}
