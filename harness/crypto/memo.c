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
 *  - every input of the operation is in the entry's key, byte for byte
 *    (the scheme, the message, the signature, the ciphertext, the private
 *    key's bytes, the peer's public value), and the key object is the same
 *    one (private keys) or an equal one (public keys, EVP_PKEY_cmp); the
 *    hash only skips compares;
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
 * Single-threaded, like the rest of the harness. Entries hold a reference
 * to their key, so sd_pki_free clears the memo (sd_crypto_memo_clear), and
 * sd_crypto_memo_set_enabled(false) measures or tests without it
 * (bench/bench_handshake.c compares stacks doing the same work). */
#include "crypto/memo.h"

#include <string.h>

#include <openssl/mem.h>

#include "crypto/crypto.h"

/* Per kind, a set-associative table: an entry lives in the set its hash
 * names, and a full set forgets the entry it used longest ago. A
 * differential execution's model run needs a few entries per kind, the
 * same ones whenever an input's setup comes back (every corpus input has
 * its own: its versions, suites, groups and credentials decide what is
 * signed); its BoringSSL run adds as many that never come back. 2048
 * entries per kind keep a corpus of hundreds of inputs' worth through
 * that churn; lookups touch one set. */
#define MEMO_SETS 256
#define MEMO_WAYS 8
/* Inputs larger than this (a TLS 1.2 CertificateVerify signs the whole
 * transcript) are not kept: they are rare and would only cost memory. */
#define MEMO_MAX_INPUT 65536
/* Bytes of inputs and values per kind; past it the kind starts afresh. */
#define MEMO_MAX_BYTES (16u << 20)

typedef struct {
    uint8_t *input; /* NULL: slot empty */
    size_t input_len;
    uint64_t hash;
    EVP_PKEY *key; /* referenced, or NULL */
    uint8_t *value;
    size_t value_len;
    uint64_t last_used;
} memo_entry;

static memo_entry memo[SD_MEMO_KINDS][MEMO_SETS][MEMO_WAYS];
static size_t memo_bytes[SD_MEMO_KINDS];
static uint64_t memo_clock;
static bool memo_off;
static size_t memo_hit_count;

static uint64_t fnv1a(const uint8_t *data, size_t len) {
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) h = (h ^ data[i]) * 0x100000001b3u;
    return h;
}

static void entry_clear(sd_memo_kind kind, memo_entry *e) {
    memo_bytes[kind] -= e->input != NULL ? e->input_len + e->value_len : 0;
    OPENSSL_free(e->input);
    OPENSSL_free(e->value);
    EVP_PKEY_free(e->key);
    memset(e, 0, sizeof *e);
}

static void kind_clear(sd_memo_kind kind) {
    for (size_t set = 0; set < MEMO_SETS; set++)
        for (size_t way = 0; way < MEMO_WAYS; way++) entry_clear(kind, &memo[kind][set][way]);
}

static bool key_matches(const memo_entry *e, sd_memo_key_match match, EVP_PKEY *key) {
    switch (match) {
    case SD_MEMO_KEY_NONE:
        return e->key == NULL && key == NULL;
    case SD_MEMO_KEY_SAME:
        return key != NULL && e->key == key;
    case SD_MEMO_KEY_EQUAL:
        /* EVP_PKEY_cmp: 1 for the same type and public key. */
        return key != NULL && e->key != NULL && (e->key == key || EVP_PKEY_cmp(e->key, key) == 1);
    }
    return false;
}

static memo_entry *lookup(sd_memo_kind kind, sd_memo_key_match match, EVP_PKEY *key, sd_span input,
                          uint64_t hash) {
    memo_entry *set = memo[kind][hash % MEMO_SETS];
    for (size_t way = 0; way < MEMO_WAYS; way++) {
        memo_entry *e = &set[way];
        if (e->input != NULL && e->hash == hash && e->input_len == input.len &&
            (input.len == 0 || memcmp(e->input, input.data, input.len) == 0) && key_matches(e, match, key))
            return e;
    }
    return NULL;
}

bool sd_memo_find(sd_memo_kind kind, sd_memo_key_match match, EVP_PKEY *key, sd_span input, sd_buf *out) {
    if (memo_off || kind >= SD_MEMO_KINDS || input.len > MEMO_MAX_INPUT || (input.len && !input.data))
        return false;
    memo_entry *e = lookup(kind, match, key, input, fnv1a(input.data, input.len));
    if (e == NULL) return false;
    e->last_used = ++memo_clock;
    memo_hit_count++;
    sd_buf_append(out, e->value, e->value_len);
    return !out->failed;
}

void sd_memo_put(sd_memo_kind kind, sd_memo_key_match match, EVP_PKEY *key, sd_span input, sd_span value) {
    if (memo_off || kind >= SD_MEMO_KINDS || input.len > MEMO_MAX_INPUT || (input.len && !input.data) ||
        (value.len && !value.data) || (match == SD_MEMO_KEY_NONE) != (key == NULL))
        return;
    uint64_t hash = fnv1a(input.data, input.len);
    if (memo_bytes[kind] + input.len + value.len > MEMO_MAX_BYTES) kind_clear(kind);
    memo_entry *slot = lookup(kind, match, key, input, hash);
    if (slot == NULL) {
        /* An empty way of the set, else the one used longest ago. */
        memo_entry *set = memo[kind][hash % MEMO_SETS];
        slot = &set[0];
        for (size_t way = 0; way < MEMO_WAYS && slot->input != NULL; way++)
            if (set[way].input == NULL || set[way].last_used < slot->last_used) slot = &set[way];
    }
    entry_clear(kind, slot);
    /* One byte at least, so that an empty input still marks the slot used. */
    slot->input = OPENSSL_malloc(input.len ? input.len : 1);
    slot->value = OPENSSL_malloc(value.len ? value.len : 1);
    if (slot->input == NULL || slot->value == NULL || (key != NULL && !EVP_PKEY_up_ref(key))) {
        OPENSSL_free(slot->input);
        OPENSSL_free(slot->value);
        memset(slot, 0, sizeof *slot);
        return;
    }
    if (input.len) memcpy(slot->input, input.data, input.len);
    if (value.len) memcpy(slot->value, value.data, value.len);
    slot->input_len = input.len;
    slot->value_len = value.len;
    slot->hash = hash;
    slot->key = key;
    slot->last_used = ++memo_clock;
    memo_bytes[kind] += input.len + value.len;
}

void sd_crypto_memo_clear(void) {
    for (size_t kind = 0; kind < SD_MEMO_KINDS; kind++) kind_clear((sd_memo_kind)kind);
}

void sd_crypto_memo_set_enabled(bool enabled) {
    memo_off = !enabled;
    sd_crypto_memo_clear();
}

size_t sd_crypto_memo_hits(void) { return memo_hit_count; }
