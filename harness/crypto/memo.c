/* memo.c — the results of public-key operations, remembered per process.
 *
 * A differential fuzz execution runs one trace twice, against the model and
 * against BoringSSL, and fuzzing runs thousands of executions that differ
 * in one message. Against the model both sides draw their randoms and keys
 * from seeded generators (seed 1 for every fuzz input), so the model run
 * of an execution signs, generates, derives and verifies with the inputs
 * the model run of an earlier execution with the same setup had: the same
 * ServerKeyExchange content, the same key shares, the same RSA premaster
 * secret. Public-key operations are nearly all of an execution's time
 * (bench/bench_fuzz.c); an RSA-2048 private operation alone costs half a
 * bare BoringSSL handshake. So their results are kept here and looked up
 * first.
 *
 * What makes this safe:
 *  - every input of the operation is in the entry's key (the scheme, the
 *    message, the signature, the ciphertext, the private key's bytes, the
 *    peer's public value; the same key object for private keys, the same
 *    SubjectPublicKeyInfo for public ones), through SHA-256, so two inputs
 *    share an entry only if they are the same bytes;
 *  - the operations are pure functions of those inputs, except that ECDSA,
 *    RSA-PSS and PKCS#1 v1.5 encryption draw randomness from libcrypto. For
 *    those the memo hands back the result of an earlier call, which is as
 *    valid as a fresh one (a signature with another nonce, padding with
 *    other random bytes): an outcome, and so a finding's signature, never
 *    depends on which valid value it got (without the memo, each run gets
 *    a new one anyway);
 *  - on what a peer sent, every check of ours still runs on every
 *    handshake (lengths, point format, PKCS#1 padding and version, the
 *    all-zero secret, which key and scheme may verify what); only the
 *    libcrypto arithmetic under it is looked up, keyed by exactly the
 *    bytes received. Verifications are remembered only when they
 *    succeeded, refused (EC)DH peer values not at all, so a forgery or a
 *    bad point is computed and refused afresh every time, as the chain
 *    cache (pki_verify.c) does for certificates;
 *  - against BoringSSL, which randomises its own side, the inputs differ
 *    every run and the memo just misses.
 *
 * Storage is fixed, in static tables: remembering a result allocates
 * nothing and forgetting one frees nothing, and an entry keeps nothing of
 * a handshake alive (public keys are named by digest; only the last
 * NAMED_KEYS keys named are held, each one replacing another). libFuzzer
 * runs a LeakSanitizer pass after every execution that allocated more than
 * it freed, and stops looking for leaks after a thousand such executions; a
 * memo that allocated per entry would do both.
 *
 * Single-threaded, like the rest of the harness. Entries for private keys
 * hold a reference to the fixture's key object, so sd_pki_free clears the
 * memo (sd_crypto_memo_clear), and
 * sd_crypto_memo_set_enabled(false) measures or tests without it
 * (bench/bench_handshake.c compares stacks doing the same work). */
#include "crypto/memo.h"

#include <string.h>

#include <openssl/mem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "crypto/crypto.h"

/* Per kind, a set-associative table: an entry lives in the set its digest
 * names, and a full set forgets the entry it used longest ago. A
 * differential execution's model run needs a few entries per kind, the
 * same ones whenever an input's setup comes back (every corpus input has
 * its own: its versions, suites, groups and credentials decide what is
 * signed); its BoringSSL run adds as many that never come back. 2048
 * entries per kind keep hundreds of inputs' worth through that churn. */
#define MEMO_SETS 256
#define MEMO_WAYS 8
#define MEMO_ENTRIES (MEMO_SETS * MEMO_WAYS)
/* The longest value kept: a signature or RSA block of a 4096-bit key. */
#define MEMO_MAX_VALUE 512

typedef struct {
    uint8_t digest[32];
    EVP_PKEY *key;      /* SD_MEMO_KEY_SAME: referenced; else NULL */
    uint64_t last_used; /* 0: empty */
    uint16_t value_len;
} memo_entry;

static memo_entry memo[SD_MEMO_KINDS][MEMO_SETS][MEMO_WAYS];
/* Values, in tables as wide as each kind's longest. */
static uint8_t sign_values[MEMO_ENTRIES][MEMO_MAX_VALUE];
/* A public value and a shared secret: up to an FFDHE-8192 number. (The
 * tables are zero until used, so the pages stay unmapped until then.) */
static uint8_t keygen_values[MEMO_ENTRIES][SD_MAX_DH_PRIME_LEN];
static uint8_t derive_values[MEMO_ENTRIES][SD_MAX_SHARED_SECRET_LEN];
static uint8_t rsa_encrypt_values[MEMO_ENTRIES][MEMO_MAX_VALUE];
static uint8_t rsa_decrypt_values[MEMO_ENTRIES][MEMO_MAX_VALUE];
static uint64_t memo_clock;
static bool memo_off;
static size_t memo_hit_count;

/* Where entry (set, way) of kind keeps its value, and how much fits. */
static uint8_t *value_of(sd_memo_kind kind, size_t set, size_t way, size_t *capacity) {
    size_t i = set * MEMO_WAYS + way;
    switch (kind) {
    case SD_MEMO_SIGN:
        *capacity = sizeof sign_values[0];
        return sign_values[i];
    case SD_MEMO_KEYGEN:
        *capacity = sizeof keygen_values[0];
        return keygen_values[i];
    case SD_MEMO_DERIVE:
        *capacity = sizeof derive_values[0];
        return derive_values[i];
    case SD_MEMO_RSA_ENCRYPT:
        *capacity = sizeof rsa_encrypt_values[0];
        return rsa_encrypt_values[i];
    case SD_MEMO_RSA_DECRYPT:
        *capacity = sizeof rsa_decrypt_values[0];
        return rsa_decrypt_values[i];
    default:
        *capacity = 0;
        return NULL;
    }
}

static void entry_clear(memo_entry *e) {
    EVP_PKEY_free(e->key);
    memset(e, 0, sizeof *e);
}

/* Public keys named lately, with their names (SHA-256 of the
 * SubjectPublicKeyInfo). Encoding an EC public key converts its point to
 * affine coordinates, a field inversion that cost more than the rest of a
 * lookup; and the keys are few: a model run verifies with the leaf key the
 * chain cache (pki_verify.c) hands out, the same object every time. Each
 * slot holds a reference, so its key cannot be freed and the address taken
 * by another key while the slot names it; a key's public half never
 * changes once parsed. The name is a function of the key alone, so what an
 * earlier execution left here changes no result, only its cost. */
#define NAMED_KEYS 8
static struct {
    EVP_PKEY *key; /* referenced; NULL: slot empty */
    uint8_t spki_digest[32];
    uint64_t last_used;
} named_keys[NAMED_KEYS];
static uint64_t named_keys_clock;

static void named_keys_clear(void) {
    for (size_t i = 0; i < NAMED_KEYS; i++) {
        EVP_PKEY_free(named_keys[i].key);
        memset(&named_keys[i], 0, sizeof named_keys[i]);
    }
}

/* SHA-256 of key's SubjectPublicKeyInfo; false if it has none. */
static bool public_key_name(EVP_PKEY *key, uint8_t out[32]) {
    size_t pick = 0;
    for (size_t i = 0; i < NAMED_KEYS; i++) {
        if (named_keys[i].key == key) {
            named_keys[i].last_used = ++named_keys_clock;
            memcpy(out, named_keys[i].spki_digest, 32);
            return true;
        }
        if (named_keys[i].last_used < named_keys[pick].last_used) pick = i;
    }
    uint8_t *spki = NULL;
    int spki_len = i2d_PUBKEY(key, &spki);
    if (spki_len <= 0) return false;
    SHA256(spki, (size_t)spki_len, out);
    OPENSSL_free(spki);
    if (!EVP_PKEY_up_ref(key)) return true; /* named, just not remembered */
    EVP_PKEY_free(named_keys[pick].key);
    named_keys[pick].key = key;
    memcpy(named_keys[pick].spki_digest, out, 32);
    named_keys[pick].last_used = ++named_keys_clock;
    return true;
}

/* SHA-256 over the kind, how the key is named, the key's name and the
 * input. False if the key cannot be named. */
static bool digest_of(sd_memo_kind kind, sd_memo_key_match match, EVP_PKEY *key, sd_span input,
                      uint8_t digest[32]) {
    SHA256_CTX sha;
    SHA256_Init(&sha);
    uint8_t head[2] = {(uint8_t)kind, (uint8_t)match};
    SHA256_Update(&sha, head, sizeof head);
    if (match == SD_MEMO_KEY_SAME) {
        /* The object itself; the entry's reference keeps the address its
         * own (key_matches checks it too). */
        if (key == NULL) return false;
        uintptr_t address = (uintptr_t)key;
        SHA256_Update(&sha, &address, sizeof address);
    } else if (match == SD_MEMO_KEY_PUBLIC) {
        uint8_t spki_digest[32];
        if (key == NULL || !public_key_name(key, spki_digest)) return false;
        SHA256_Update(&sha, spki_digest, sizeof spki_digest);
    } else if (key != NULL) {
        return false;
    }
    if (input.len) SHA256_Update(&sha, input.data, input.len);
    SHA256_Final(digest, &sha);
    return true;
}

bool sd_memo_find(sd_memo_kind kind, sd_memo_key_match match, EVP_PKEY *key, sd_span input, sd_buf *out,
                  sd_memo_ticket *ticket) {
    memset(ticket, 0, sizeof *ticket);
    ticket->kind = kind;
    ticket->match = match;
    if (memo_off || kind >= SD_MEMO_KINDS || (input.len && !input.data)) return false;
    ticket->usable = digest_of(kind, match, key, input, ticket->digest);
    if (!ticket->usable) return false;
    size_t set = ticket->digest[0] | (size_t)ticket->digest[1] << 8;
    set %= MEMO_SETS;
    for (size_t way = 0; way < MEMO_WAYS; way++) {
        memo_entry *e = &memo[kind][set][way];
        if (e->last_used == 0 || memcmp(e->digest, ticket->digest, sizeof e->digest) != 0 ||
            (match == SD_MEMO_KEY_SAME && e->key != key))
            continue;
        size_t capacity;
        const uint8_t *value = value_of(kind, set, way, &capacity);
        e->last_used = ++memo_clock;
        memo_hit_count++;
        if (e->value_len) sd_buf_append(out, value, e->value_len);
        return !out->failed;
    }
    return false;
}

void sd_memo_put(const sd_memo_ticket *ticket, EVP_PKEY *key, sd_span value) {
    if (memo_off || !ticket->usable || ticket->kind >= SD_MEMO_KINDS || (value.len && !value.data)) return;
    if (ticket->match == SD_MEMO_KEY_SAME && key == NULL) return;
    size_t set = ticket->digest[0] | (size_t)ticket->digest[1] << 8;
    set %= MEMO_SETS;
    memo_entry *ways = memo[ticket->kind][set];
    /* The entry already there for this digest, an empty way, else the one
     * used longest ago. */
    size_t pick = 0;
    for (size_t way = 0; way < MEMO_WAYS; way++) {
        if (ways[way].last_used != 0 &&
            memcmp(ways[way].digest, ticket->digest, sizeof ticket->digest) == 0 &&
            ways[way].key == (ticket->match == SD_MEMO_KEY_SAME ? key : NULL)) {
            pick = way;
            break;
        }
        if (ways[way].last_used < ways[pick].last_used) pick = way;
    }
    size_t capacity;
    uint8_t *slot_value = value_of(ticket->kind, set, pick, &capacity);
    if (value.len > capacity) return;
    memo_entry *e = &ways[pick];
    entry_clear(e);
    if (ticket->match == SD_MEMO_KEY_SAME) {
        if (!EVP_PKEY_up_ref(key)) return;
        e->key = key;
    }
    if (value.len) memcpy(slot_value, value.data, value.len);
    memcpy(e->digest, ticket->digest, sizeof e->digest);
    e->value_len = (uint16_t)value.len;
    e->last_used = ++memo_clock;
}

void sd_crypto_memo_clear(void) {
    named_keys_clear();
    for (size_t kind = 0; kind < SD_MEMO_KINDS; kind++)
        for (size_t set = 0; set < MEMO_SETS; set++)
            for (size_t way = 0; way < MEMO_WAYS; way++) entry_clear(&memo[kind][set][way]);
}

void sd_crypto_memo_set_enabled(bool enabled) {
    memo_off = !enabled;
    sd_crypto_memo_clear();
}

size_t sd_crypto_memo_hits(void) { return memo_hit_count; }
