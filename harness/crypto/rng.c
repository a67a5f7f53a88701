/* rng.c — the seeded random generator behind the model's deterministic runs.
 *
 * The stream is the ChaCha20 keystream (RFC 8439 §2.4, via BoringSSL's
 * CRYPTO_chacha_20) under a key derived from the seed. The same seed always
 * gives the same bytes, on every platform, so a finding replays with its seed
 * alone. It is not a DRBG for secrets that must stay secret: every fuzz seed
 * is public on purpose. */
#include "crypto/crypto.h"

#include <string.h>

#include <openssl/chacha.h>
#include <openssl/mem.h>
#include <openssl/sha.h>

/* Domain separation: the key is SHA-256(label || seed as 8 little-endian
 * bytes), so a seed never collides with some other use of the same number. */
static const char kRngLabel[] = "shakedown sd_rng v1";

void sd_rng_init(sd_rng *rng, uint64_t seed) {
    uint8_t input[sizeof(kRngLabel) - 1 + 8];
    memcpy(input, kRngLabel, sizeof(kRngLabel) - 1);
    for (size_t i = 0; i < 8; i++) {
        input[sizeof(kRngLabel) - 1 + i] = (uint8_t)(seed >> (8 * i));
    }
    SHA256(input, sizeof(input), rng->key);
    rng->counter = 0;
    memset(rng->block, 0, sizeof(rng->block));
    rng->block_used = sizeof(rng->block); /* empty: the first call refills */
}

/* One 64-byte keystream block. ChaCha20's block counter is 32 bits; the upper
 * 32 bits of our 64-bit counter go into the nonce, so the stream never
 * repeats within 2^64 blocks. */
static void rng_refill(sd_rng *rng) {
    static const uint8_t zeros[64] = {0};
    uint8_t nonce[12] = {0};
    uint32_t high = (uint32_t)(rng->counter >> 32);
    for (size_t i = 0; i < 4; i++) {
        nonce[i] = (uint8_t)(high >> (8 * i));
    }
    CRYPTO_chacha_20(rng->block, zeros, sizeof(rng->block), rng->key, nonce, (uint32_t)rng->counter);
    rng->counter++;
    rng->block_used = 0;
}

void sd_rng_bytes(sd_rng *rng, uint8_t *out, size_t len) {
    while (len > 0) {
        if (rng->block_used == sizeof(rng->block)) {
            rng_refill(rng);
        }
        size_t n = sizeof(rng->block) - rng->block_used;
        if (n > len) {
            n = len;
        }
        memcpy(out, rng->block + rng->block_used, n);
        /* Bytes handed out are not kept: they may become private keys. */
        OPENSSL_cleanse(rng->block + rng->block_used, n);
        rng->block_used += n;
        out += n;
        len -= n;
    }
}
