/* key_share.c — (EC)DHE key exchange: TLS 1.3 key shares (RFC 8446 §4.2.8,
 * §7.4) and TLS 1.2 ECDHE (RFC 8422 §5.4, §5.10): X25519 and X448 (RFC
 * 7748), the NIST curves P-256, P-384 and P-521, and in TLS 1.3 the
 * finite-field groups of RFC 7919 (ffdhe2048 to ffdhe8192); TLS 1.2
 * finite-field DHE (RFC 5246 §7.4.3, §8.1.2) over explicit parameters. X448 is
 * Nettle's (libhogweed): BoringSSL has none.
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

const uint16_t sd_key_share_groups[] = {SD_x25519,    SD_secp256r1, SD_secp384r1, SD_secp521r1, SD_x448,
                                        SD_ffdhe2048, SD_ffdhe3072, SD_ffdhe4096, SD_ffdhe6144, SD_ffdhe8192};
const size_t sd_n_key_share_groups = sizeof sd_key_share_groups / sizeof sd_key_share_groups[0];

bool sd_group_supported(uint16_t group) {
    for (size_t i = 0; i < sd_n_key_share_groups; i++)
        if (sd_key_share_groups[i] == group) return true;
    return false;
}

bool sd_group_is_ffdhe(uint16_t group) { return group >= SD_ffdhe2048 && group <= SD_ffdhe8192; }

/* --- Finite-field groups (RFC 7919) ----------------------------------------
 * The primes of RFC 7919 Appendix A.1 to A.5, as the RFC prints them (big
 * endian, hex); the generator is 2 for all five. Each is
 * p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1 with the X the
 * appendix gives for it. */
static const char ffdhe2048_prime[] = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
                                      "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
                                      "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
                                      "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
                                      "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
                                      "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
                                      "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
                                      "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF";

static const char ffdhe3072_prime[] = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
                                      "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
                                      "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
                                      "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
                                      "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
                                      "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
                                      "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
                                      "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
                                      "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
                                      "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
                                      "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
                                      "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF";

static const char ffdhe4096_prime[] = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
                                      "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
                                      "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
                                      "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
                                      "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
                                      "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
                                      "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
                                      "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
                                      "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
                                      "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
                                      "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
                                      "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
                                      "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A"
                                      "7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038"
                                      "092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
                                      "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E655F6AFFFFFFFFFFFFFFFF";

static const char ffdhe6144_prime[] = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
                                      "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
                                      "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
                                      "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
                                      "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
                                      "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
                                      "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
                                      "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
                                      "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
                                      "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
                                      "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
                                      "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
                                      "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A"
                                      "7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038"
                                      "092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
                                      "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E0DD9020BFD64B645036C7A"
                                      "4E677D2C38532A3A23BA4442CAF53EA63BB454329B7624C8917BDD64B1C0FD4C"
                                      "B38E8C334C701C3ACDAD0657FCCFEC719B1F5C3E4E46041F388147FB4CFDB477"
                                      "A52471F7A9A96910B855322EDB6340D8A00EF092350511E30ABEC1FFF9E3A26E"
                                      "7FB29F8C183023C3587E38DA0077D9B4763E4E4B94B2BBC194C6651E77CAF992"
                                      "EEAAC0232A281BF6B3A739C1226116820AE8DB5847A67CBEF9C9091B462D538C"
                                      "D72B03746AE77F5E62292C311562A846505DC82DB854338AE49F5235C95B9117"
                                      "8CCF2DD5CACEF403EC9D1810C6272B045B3B71F9DC6B80D63FDD4A8E9ADB1E69"
                                      "62A69526D43161C1A41D570D7938DAD4A40E329CD0E40E65FFFFFFFFFFFFFFFF";

static const char ffdhe8192_prime[] = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695"
                                      "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A"
                                      "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935"
                                      "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A"
                                      "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4"
                                      "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61"
                                      "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005"
                                      "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B"
                                      "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C"
                                      "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF"
                                      "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E"
                                      "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B669E1EF16E6F52C3164DF4FB"
                                      "7930E9E4E58857B6AC7D5F42D69F6D187763CF1D5503400487F55BA57E31CC7A"
                                      "7135C886EFB4318AED6A1E012D9E6832A907600A918130C46DC778F971AD0038"
                                      "092999A333CB8B7A1A1DB93D7140003C2A4ECEA9F98D0ACC0A8291CDCEC97DCF"
                                      "8EC9B55A7F88A46B4DB5A851F44182E1C68A007E5E0DD9020BFD64B645036C7A"
                                      "4E677D2C38532A3A23BA4442CAF53EA63BB454329B7624C8917BDD64B1C0FD4C"
                                      "B38E8C334C701C3ACDAD0657FCCFEC719B1F5C3E4E46041F388147FB4CFDB477"
                                      "A52471F7A9A96910B855322EDB6340D8A00EF092350511E30ABEC1FFF9E3A26E"
                                      "7FB29F8C183023C3587E38DA0077D9B4763E4E4B94B2BBC194C6651E77CAF992"
                                      "EEAAC0232A281BF6B3A739C1226116820AE8DB5847A67CBEF9C9091B462D538C"
                                      "D72B03746AE77F5E62292C311562A846505DC82DB854338AE49F5235C95B9117"
                                      "8CCF2DD5CACEF403EC9D1810C6272B045B3B71F9DC6B80D63FDD4A8E9ADB1E69"
                                      "62A69526D43161C1A41D570D7938DAD4A40E329CCFF46AAA36AD004CF600C838"
                                      "1E425A31D951AE64FDB23FCEC9509D43687FEB69EDD1CC5E0B8CC3BDF64B10EF"
                                      "86B63142A3AB8829555B2F747C932665CB2C0F1CC01BD70229388839D2AF05E4"
                                      "54504AC78B7582822846C0BA35C35F5C59160CC046FD8251541FC68C9C86B022"
                                      "BB7099876A460E7451A8A93109703FEE1C217E6C3826E52C51AA691E0E423CFC"
                                      "99E9E31650C1217B624816CDAD9A95F9D5B8019488D9C0A0A1FE3075A577E231"
                                      "83F81D4A3F2FA4571EFC8CE0BA8A4FE8B6855DFE72B0A66EDED2FBABFBE58A30"
                                      "FAFABE1C5D71A87E2F741EF8C1FE86FEA6BBFDE530677F0D97D11D49F7A8443D"
                                      "0822E506A9F4614E011E2A94838FF88CD68C8BB7C5C6424CFFFFFFFFFFFFFFFF";

/* A group's prime as text, and its size in bytes: the length of every
 * public value and shared secret in that group (RFC 8446 §4.2.8.1, §7.4.1). */
static const char *ffdhe_prime(uint16_t group, size_t *p_len) {
    switch (group) {
    case SD_ffdhe2048:
        *p_len = 256;
        return ffdhe2048_prime;
    case SD_ffdhe3072:
        *p_len = 384;
        return ffdhe3072_prime;
    case SD_ffdhe4096:
        *p_len = 512;
        return ffdhe4096_prime;
    case SD_ffdhe6144:
        *p_len = 768;
        return ffdhe6144_prime;
    case SD_ffdhe8192:
        *p_len = 1024;
        return ffdhe8192_prime;
    default:
        *p_len = 0;
        return NULL;
    }
}

/* The private exponent's length: 512 bits. RFC 7919 Appendix A asks a
 * peer that uses a short exponent (§5.2) for a secret key of at least 225
 * bits in ffdhe2048 up to 400 bits in ffdhe8192; 512 covers every group. */
#define FFDHE_PRIVATE_LEN 64

/* The memo's key for finite-field DH: p and g (NULL: none) too, since a
 * TLS 1.2 server sends its own (RFC 5246 §7.4.3), then as memo_input. */
static void dh_memo_input(sd_buf *input, const BIGNUM *p, const BIGNUM *g, const sd_key_share *ks,
                          sd_span peer) {
    uint8_t n[SD_MAX_DH_PRIME_LEN];
    if (BN_num_bytes(p) > sizeof n || (g && BN_num_bytes(g) > sizeof n)) {
        input->failed = true;
        return;
    }
    sd_buf_append(input, n, BN_bn2bin(p, n));
    if (g) sd_buf_append(input, n, BN_bn2bin(g, n));
    memo_input(input, ks->group, ks->private_key, ks->private_len, peer);
}

/* y = g^x mod p for a fresh exponent x, written big-endian and padded to
 * p_len bytes (RFC 8446 §4.2.8.1: "padded to the left with zeros to the
 * size of p in bytes"; RFC 5246 §7.4.3 sets no width, so TLS 1.2 writes it
 * the same way). Remembered (memo.c): a modular exponentiation of 2048 to
 * 8192 bits costs more than the rest of a handshake. */
static bool dh_generate(sd_key_share *ks, const BIGNUM *p, const BIGNUM *g, size_t p_len, sd_rng *rng) {
    if (p_len > sizeof ks->public_key) return false;
    /* A random exponent of 512 bits, at least 2 (x = 0 or 1 would give the
     * public value 1 or g). */
    do {
        sd_rng_bytes(rng, ks->private_key, FFDHE_PRIVATE_LEN);
    } while (ks->private_key[0] == 0);
    ks->private_len = FFDHE_PRIVATE_LEN;
    sd_buf input, value;
    sd_buf_init(&input);
    sd_buf_init(&value);
    dh_memo_input(&input, p, g, ks, sd_span_of(NULL, 0));
    sd_memo_ticket ticket = {0};
    bool ok = false;
    if (!input.failed &&
        sd_memo_find(SD_MEMO_KEYGEN, SD_MEMO_KEY_NONE, NULL, sd_buf_span(&input), &value, &ticket) &&
        value.len == p_len) {
        memcpy(ks->public_key, value.data, value.len);
        ks->public_len = p_len;
        ok = true;
    } else {
        BIGNUM *x = BN_bin2bn(ks->private_key, ks->private_len, NULL), *y = BN_new();
        BN_CTX *bn_ctx = BN_CTX_new();
        if (x != NULL && y != NULL && bn_ctx != NULL && BN_mod_exp_mont_consttime(y, g, x, p, bn_ctx, NULL) &&
            BN_bn2bin_padded(ks->public_key, p_len, y)) {
            ks->public_len = p_len;
            ok = true;
            if (!input.failed) sd_memo_put(&ticket, NULL, sd_span_of(ks->public_key, p_len));
        }
        BN_CTX_free(bn_ctx);
        BN_free(y);
        BN_clear_free(x);
    }
    if (input.data) OPENSSL_cleanse(input.data, input.len);
    sd_buf_free(&input);
    sd_buf_free(&value);
    return ok;
}

static bool ffdhe_generate(sd_key_share *ks, sd_rng *rng) {
    size_t p_len;
    const char *prime_hex = ffdhe_prime(ks->group, &p_len);
    if (prime_hex == NULL) return false;
    BIGNUM *p = NULL, *g = BN_new();
    bool ok = BN_hex2bn(&p, prime_hex) && g != NULL && BN_set_word(g, 2) && dh_generate(ks, p, g, p_len, rng);
    BN_free(g);
    BN_free(p);
    return ok;
}

/* Z = peer^x mod p into out (p_len bytes, left-padded with zeros), after
 * the check both RFCs ask for, which refuses with range_alert: RFC 8446
 * §4.2.8.1 and RFC 7919 §5.1 "Peers MUST validate each other's public key
 * Y ... by ensuring that 1 < Y < p-1. This simple check ensures that the
 * remote peer is properly behaved and isn't forcing the local system into
 * the 2-element subgroup." */
static bool dh_shared(const sd_key_share *ks, const BIGNUM *p, size_t p_len, sd_span peer, uint8_t *out,
                      uint8_t range_alert, uint8_t *out_alert) {
    *out_alert = SD_internal_error;
    bool ok = false;
    sd_buf input, value;
    sd_buf_init(&input);
    sd_buf_init(&value);
    BIGNUM *p_minus_1 = BN_new(), *y = BN_bin2bn(peer.data, peer.len, NULL),
           *x = BN_bin2bn(ks->private_key, ks->private_len, NULL), *z = BN_new();
    BN_CTX *bn_ctx = BN_CTX_new();
    if (p_minus_1 == NULL || y == NULL || x == NULL || z == NULL || bn_ctx == NULL ||
        !BN_copy(p_minus_1, p) || !BN_sub_word(p_minus_1, 1))
        goto out;
    if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, p_minus_1) >= 0) {
        *out_alert = range_alert;
        goto out;
    }
    /* Remembered like the public value; Z = Y^x mod p does not depend on
     * g. */
    dh_memo_input(&input, p, NULL, ks, peer);
    sd_memo_ticket ticket = {0};
    if (!input.failed &&
        sd_memo_find(SD_MEMO_DERIVE, SD_MEMO_KEY_NONE, NULL, sd_buf_span(&input), &value, &ticket) &&
        value.len == p_len) {
        memcpy(out, value.data, p_len);
        ok = true;
        goto out;
    }
    if (!BN_mod_exp_mont_consttime(z, y, x, p, bn_ctx, NULL) || !BN_bn2bin_padded(out, p_len, z)) goto out;
    if (!input.failed) sd_memo_put(&ticket, NULL, sd_span_of(out, p_len));
    ok = true;
out:
    if (input.data) OPENSSL_cleanse(input.data, input.len);
    if (value.data) OPENSSL_cleanse(value.data, value.len);
    sd_buf_free(&input);
    sd_buf_free(&value);
    BN_CTX_free(bn_ctx);
    BN_clear_free(z);
    BN_clear_free(x);
    BN_free(y);
    BN_free(p_minus_1);
    return ok;
}

static bool ffdhe_derive(const sd_key_share *ks, sd_span peer, uint8_t *out_secret, size_t *out_len,
                         uint8_t *out_alert) {
    size_t p_len;
    const char *prime_hex = ffdhe_prime(ks->group, &p_len);
    *out_alert = SD_internal_error;
    if (prime_hex == NULL || p_len > SD_MAX_SHARED_SECRET_LEN) return false;
    /* §4.2.8.1: the public value is "padded to the left with zeros to the
     * size of p in bytes": a value of another length is not one. */
    if (peer.len != p_len || peer.data == NULL) {
        *out_alert = SD_illegal_parameter;
        return false;
    }
    BIGNUM *p = NULL;
    /* §7.4.1: "The negotiated key (Z) is converted to a byte string by
     * encoding in big-endian form and left-padded with zeros up to the size
     * of the prime." */
    bool ok = BN_hex2bn(&p, prime_hex) &&
              dh_shared(ks, p, p_len, peer, out_secret, SD_illegal_parameter, out_alert);
    if (ok) *out_len = p_len;
    BN_free(p);
    return ok;
}

/* --- Finite-field DHE over explicit parameters (TLS 1.2) ------------------ */

size_t sd_ffdhe_prime(uint16_t group, uint8_t *out, size_t out_len) {
    size_t p_len;
    const char *prime_hex = ffdhe_prime(group, &p_len);
    BIGNUM *p = NULL;
    bool ok =
        prime_hex != NULL && p_len <= out_len && BN_hex2bn(&p, prime_hex) && BN_bn2bin_padded(out, p_len, p);
    BN_free(p);
    return ok ? p_len : 0;
}

/* The integer's bytes without leading zeros (RFC 5246 §4.3's opaque
 * vectors hold big-endian integers; a zero byte in front changes nothing). */
static sd_span strip_leading_zeros(sd_span v) {
    while (v.len > 0 && v.data[0] == 0) v.data++, v.len--;
    return v;
}

uint16_t sd_ffdhe_group_of(sd_span p, sd_span g) {
    p = strip_leading_zeros(p);
    g = strip_leading_zeros(g);
    if (g.len != 1 || g.data[0] != 2) return 0;
    uint8_t prime[SD_MAX_DH_PRIME_LEN];
    for (uint16_t group = SD_ffdhe2048; group <= SD_ffdhe8192; group++) {
        size_t len = sd_ffdhe_prime(group, prime, sizeof prime);
        if (len && len == p.len && memcmp(prime, p.data, len) == 0) return group;
    }
    return 0;
}

bool sd_dh_generate(sd_key_share *ks, uint16_t group, sd_span p, sd_span g, sd_rng *rng) {
    memset(ks, 0, sizeof(*ks));
    ks->group = group;
    p = strip_leading_zeros(p);
    if (p.len == 0 || p.len > SD_MAX_DH_PRIME_LEN) return false;
    BIGNUM *pn = BN_bin2bn(p.data, p.len, NULL), *gn = BN_bin2bn(g.data, g.len, NULL);
    bool ok = pn != NULL && gn != NULL && dh_generate(ks, pn, gn, p.len, rng);
    BN_free(gn);
    BN_free(pn);
    if (!ok) OPENSSL_cleanse(ks, sizeof(*ks));
    return ok;
}

bool sd_dh_premaster(const sd_key_share *ks, sd_span p, sd_span peer, uint8_t *out, size_t *out_len,
                     uint8_t *out_alert) {
    *out_alert = SD_internal_error;
    p = strip_leading_zeros(p);
    if (p.len == 0 || p.len > SD_MAX_SHARED_SECRET_LEN || peer.data == NULL) return false;
    BIGNUM *pn = BN_bin2bn(p.data, p.len, NULL);
    /* RFC 7919 §3 (client, dh_Ys) and §4 (server, dh_Yc): a value outside
     * 1 < Y < p-1 means "terminate the connection with a fatal
     * handshake_failure(40) alert". */
    bool ok = pn != NULL && dh_shared(ks, pn, p.len, peer, out, SD_handshake_failure, out_alert);
    BN_free(pn);
    if (!ok) return false;
    /* RFC 5246 §8.1.2: "Leading bytes of Z that contain all zero bits are
     * stripped before it is used as the pre_master_secret." */
    *out_len = sd_dh_strip_premaster(out, p.len);
    return true;
}

size_t sd_dh_strip_premaster(uint8_t *z, size_t len) {
    size_t zeros = 0;
    while (zeros < len && z[zeros] == 0) zeros++;
    memmove(z, z + zeros, len - zeros);
    return len - zeros;
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
    if (sd_group_is_ffdhe(group)) {
        if (!ffdhe_generate(ks, rng)) {
            OPENSSL_cleanse(ks, sizeof(*ks));
            ks->group = group;
            return false;
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
    if (sd_group_is_ffdhe(ks->group)) return ffdhe_derive(ks, peer_public, out_secret, out_len, out_alert);
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
