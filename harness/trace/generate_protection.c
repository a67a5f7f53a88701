/* generate_protection.c — gen-protection: the driver's protected records
 * tampered with, over every suite the model has, in both roles and both
 * versions. Each case is a (suite × record × deviation): the record is the
 * driver's Finished (the first it protects with the traffic keys of the
 * handshake, RFC 8446 §7.1, or after its ChangeCipherSpec, RFC 5246 §7.1)
 * or an application data record after the handshake; the deviation a
 * flipped bit at one class of position (record-flip=), a CBC padding of
 * the wrong content or length (cbc-padding=), or TLS 1.3 inner padding
 * (inner-padding=), with the records at the size limits besides.
 *
 * A flipped bit anywhere in a protected record is bad_record_mac (RFC 8446
 * §5.2, RFC 5246 §6.2.3.2, §6.2.3.3, §7.2.2): an AEAD refuses a changed
 * explicit nonce, ciphertext or tag; a CBC record's MAC (MAC-then-encrypt)
 * refuses a changed IV or ciphertext, and a changed last block spoils the
 * padding. How long a receiver takes to say so (RFC 5246 §6.2.3.2's
 * "essentially the same" processing time) is not observable here and not
 * tested. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "trace/generate_family.h"
#include "wire/names.h"

#define MAX_PLAINTEXT 16384u /* RFC 8446 §5.1, RFC 5246 §6.2.1: 2^14 */
#define TAG_LEN 16           /* every AEAD of the suites below */
#define CBC_BLOCK 16
#define CBC_MAC_LEN 20 /* HMAC-SHA1 */
#define PING "ping"    /* the application data the cases send */

typedef enum { BULK_GCM, BULK_CHACHA, BULK_CBC } bulk;

/* The suites the model speaks (docs/model.md), with ECDSA in TLS 1.2 so
 * that the credential is the default one. */
typedef struct {
    const char *name; /* in ids and titles */
    const char *suite;
    bulk kind;
    unsigned hash_len; /* TLS 1.3: the Finished's verify_data length */
} suite_profile;

static const suite_profile suites13[] = {
    {"aes-128-gcm", "TLS_AES_128_GCM_SHA256", BULK_GCM, 32},
    {"aes-256-gcm", "TLS_AES_256_GCM_SHA384", BULK_GCM, 48},
    {"chacha20-poly1305", "TLS_CHACHA20_POLY1305_SHA256", BULK_CHACHA, 32},
};

static const suite_profile suites12[] = {
    {"aes-128-gcm", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", BULK_GCM, 12},
    {"aes-256-gcm", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", BULK_GCM, 12},
    {"chacha20-poly1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", BULK_CHACHA, 12},
    {"aes-128-cbc-sha", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", BULK_CBC, 12},
};

/* Which record of the run is tampered with. */
typedef enum { AT_FINISHED, AT_APPDATA } record_at;

static const char *const at_name[] = {[AT_FINISHED] = "finished", [AT_APPDATA] = "appdata"};

typedef struct {
    gen *g;
    honest h;
    const suite_profile *suite;
    size_t fin;       /* the driver's Finished in the shape */
    const char *note; /* the next case's note, if it has one */
} ctx;

/* The content of the record at `at`: the Finished message (4-byte header
 * and verify_data) or the data. */
static size_t content_len(const ctx *c, record_at at) {
    return at == AT_FINISHED ? 4 + c->suite->hash_len : 4;
}

/* RFC 5246 §6.2.3.2: the fewest padding bytes (not counting padding_length)
 * that make content, MAC, padding and padding_length whole blocks. */
static size_t cbc_min_padding(size_t content) { return CBC_BLOCK - 1 - (content + CBC_MAC_LEN) % CBC_BLOCK; }

static void begin(ctx *c, record_at at, const char *detail, const char *what, requirement r,
                  const char *expect, const char *tags) {
    char id[160], title[400];
    snprintf(id, sizeof id, "%s.%s", at_name[at], detail);
    const char *whose = c->h.target == SD_ROLE_CLIENT ? "server" : "client";
    if (at == AT_FINISHED)
        snprintf(title, sizeof title, "%s %s the %s Finished record %s", gen_who(&c->h),
                 expect[0] == 'c' ? "accepts" : "rejects", whose, what);
    else
        snprintf(title, sizeof title, "%s %s an application data record %s after the handshake",
                 gen_who(&c->h), expect[0] == 'c' ? "accepts" : "rejects", what);
    gen_begin(c->g, "gen-protection", &c->h, id, title, r, expect, c->note, tags);
}

/* One case: the honest run up to the record, the record with the
 * mutation, and where the target must take it, the rest of the run and
 * data both ways. */
static void put_case(ctx *c, record_at at, const char *detail, const char *what, const char *mutation,
                     requirement r, const char *expect, const char *tags) {
    if (!c->g->ok) return;
    bool accepted = strcmp(expect, "complete") == 0;
    begin(c, at, detail, what, r, expect, tags);
    gen *g = c->g;
    if (at == AT_FINISHED) {
        gen_put_steps(g, &c->h, 0, c->fin);
        sd_buf_appendf(&g->text, "send Finished %s\n", mutation);
        if (accepted) {
            gen_put_steps(g, &c->h, c->fin + 1, c->h.shape->n_steps);
            gen_put_ping(g);
        }
    } else {
        gen_put_steps(g, &c->h, 0, c->h.shape->n_steps);
        sd_buf_appendf(&g->text, "send-appdata \"" PING "\" %s\n", mutation);
        if (accepted) gen_put(g, "expect-appdata \"" PING "\"\n");
    }
    gen_finish(g, "gen-protection");
}

/* A bit flipped at each class of position of the protected record
 * (record-flip=, trace.h): what the record holds depends on the version
 * and the cipher (RFC 8446 §5.2; RFC 5246 §6.2.3.2, §6.2.3.3; RFC 5288 §3;
 * RFC 7905 §2). */
static void flips(ctx *c, record_at at) {
    bool tls12 = c->h.v->ccs_is_step;
    const char *tags = "protection, record, bitflip";
    char mutation[64], what[160];
    /* The sequence number is no byte of the record but goes into its
     * nonce (RFC 8446 §5.3) or additional data and MAC (RFC 5246
     * §6.2.3.3, §6.2.3.1): a record sent one number late, as after a lost
     * one, does not open either. */
    put_case(c, at, "sequence-number-skipped",
             "sent under the next sequence number, as if one record were lost", "seq-skip=1", R_RECORD_MAC,
             "alert bad_record_mac", "protection, record, sequence");
    if (c->suite->kind == BULK_CBC) {
        /* GenericBlockCipher: IV (16) || E(content || MAC || padding ||
         * padding_length). Flipping byte k of the fragment flips plaintext
         * byte k of the record (CBC decryption XORs the block before), and
         * for k >= 16 garbles the plaintext block before it. */
        size_t content = content_len(c, at);
        put_case(c, at, "iv-first", "whose explicit IV's first byte is flipped", "record-flip=first:0x01",
                 R_RECORD_MAC, "alert bad_record_mac", tags);
        snprintf(mutation, sizeof mutation, "record-flip=%zu:0x01", content);
        snprintf(what, sizeof what,
                 "whose MAC's first byte is flipped (through the IV or ciphertext block before it)");
        put_case(c, at, "mac-first", what, mutation, R_RECORD_MAC, "alert bad_record_mac", tags);
        put_case(c, at, "padding-length-byte",
                 "whose padding_length byte is flipped (through the ciphertext block before it)",
                 "record-flip=-17:0x01", R_RECORD_MAC, "alert bad_record_mac", tags);
        put_case(c, at, "last-block", "whose last ciphertext block, which holds the padding, is flipped",
                 "record-flip=-1:0x01", R_RECORD_MAC, "alert bad_record_mac", tags);
        return;
    }
    size_t nonce = tls12 && c->suite->kind == BULK_GCM ? 8 : 0;
    if (nonce) {
        /* RFC 5288 §3: nonce = salt || nonce_explicit, the first 8 bytes. */
        put_case(c, at, "explicit-nonce-first", "whose explicit nonce's first byte is flipped",
                 "record-flip=first:0x01", R_RECORD_MAC, "alert bad_record_mac", tags);
        put_case(c, at, "explicit-nonce-last", "whose explicit nonce's last byte is flipped",
                 "record-flip=7:0x80", R_RECORD_MAC, "alert bad_record_mac", tags);
    }
    snprintf(mutation, sizeof mutation, "record-flip=%zu:0x01", nonce);
    put_case(c, at, "ciphertext-first", "whose first ciphertext byte is flipped", mutation, R_RECORD_MAC,
             "alert bad_record_mac", tags);
    /* In TLS 1.3 the byte before the tag is the encrypted inner content
     * type (RFC 8446 §5.2, TLSInnerPlaintext without padding). */
    put_case(c, at, tls12 ? "ciphertext-last" : "inner-content-type",
             tls12 ? "whose last ciphertext byte is flipped"
                   : "whose encrypted inner content type is flipped",
             "record-flip=-17:0x02", R_RECORD_MAC, "alert bad_record_mac", tags);
    put_case(c, at, "tag-first", "whose authentication tag's first byte is flipped", "record-flip=-16:0x80",
             R_RECORD_MAC, "alert bad_record_mac", tags);
    put_case(c, at, "tag-last", "whose authentication tag's last byte is flipped", "record-flip=-1:0x01",
             R_RECORD_MAC, "alert bad_record_mac", tags);
}

/* TLS 1.2 CBC: the padding of RFC 5246 §6.2.3.2 (cbc-padding=, trace.h),
 * honest and longer than needed (accepted: "The padding MAY be any length
 * up to 255 bytes"), with bytes that are not its length, and with a
 * padding_length that does not match it. */
static void cbc_paddings(ctx *c, record_at at) {
    size_t min = cbc_min_padding(content_len(c, at));
    size_t longest = min + CBC_BLOCK * ((255 - min) / CBC_BLOCK);
    char mutation[64], what[160];
    const char *tags = "protection, record, cbc-padding";
    snprintf(mutation, sizeof mutation, "cbc-padding=%zu:%zu", min + CBC_BLOCK, min + CBC_BLOCK);
    snprintf(what, sizeof what, "with %zu bytes of padding, one block more than needed", min + CBC_BLOCK);
    put_case(c, at, "padding-one-block-more", what, mutation, R_CBC_PADDING_OK, "complete", tags);
    snprintf(mutation, sizeof mutation, "cbc-padding=%zu:%zu", longest, longest);
    snprintf(what, sizeof what, "with %zu bytes of padding, the most the record allows", longest);
    put_case(c, at, "padding-longest", what, mutation, R_CBC_PADDING_OK, "complete", tags);
    snprintf(mutation, sizeof mutation, "cbc-padding=%zu:0x%02zx", min + CBC_BLOCK, (min + CBC_BLOCK) ^ 1);
    put_case(c, at, "padding-wrong-bytes", "whose padding bytes are not the padding length", mutation,
             R_CBC_PADDING, "alert bad_record_mac", tags);
    snprintf(mutation, sizeof mutation, "cbc-padding=%zu:0x00", min + CBC_BLOCK);
    put_case(c, at, "padding-zero-bytes", "whose padding bytes are zeros", mutation, R_CBC_PADDING,
             "alert bad_record_mac", tags);
    snprintf(mutation, sizeof mutation, "cbc-padding=%zu:%zu", min + 1, min + 1);
    put_case(c, at, "padding-length-plus-one", "whose padding_length names one byte more than the padding",
             mutation, R_CBC_PADDING, "alert bad_record_mac", tags);
    if (min > 0) {
        snprintf(mutation, sizeof mutation, "cbc-padding=%zu:%zu", min - 1, min - 1);
        put_case(c, at, "padding-length-minus-one",
                 "whose padding_length names one byte fewer than the padding", mutation, R_CBC_PADDING,
                 "alert bad_record_mac", tags);
    }
    put_case(c, at, "padding-length-past-record", "whose padding_length of 255 is longer than the record",
             "cbc-padding=255:255", R_CBC_PADDING, "alert bad_record_mac", tags);
}

static const char note_garbage_over_limit[] =
    "BoringSSL answers bad_record_mac (SOFT): tls_open_record in ssl/tls_record.cc refuses for its length "
    "only "
    "a record past SSL3_RT_MAX_ENCRYPTED_LENGTH, 2^14+320 bytes (include/openssl/ssl3.h), in both versions, "
    "so "
    "a TLS 1.3 record of 2^14+257 to 2^14+320 bytes is opened first and fails to decrypt. It does refuse.";

static const char note_padding_over_limit[] =
    "Only the padding is past 2^14+1: RFC 8446 §5.4 bounds TLSInnerPlaintext, and §6.2 names record_overflow "
    "for a record decrypted to a TLSPlaintext of more than 2^14 bytes, which this one (4 bytes or a "
    "Finished) "
    "is not; no sentence binds the receiver, so the case expects what the model and BoringSSL do (policy). "
    "OpenSSL 3.0 strips the padding, checks the content against 2^14 and takes the record.";

/* TLS 1.3: TLSInnerPlaintext's zeros (RFC 8446 §5.4, inner-padding=),
 * a little and up to the 2^14 + 1 octets of the whole, and one byte
 * past them. */
static void inner_paddings(ctx *c, record_at at) {
    size_t limit = MAX_PLAINTEXT - content_len(c, at); /* content + type + padding = 2^14 + 1 */
    char mutation[64], what[160];
    const char *tags = "protection, record, padding";
    put_case(c, at, "inner-padding-1", "with one byte of padding", "inner-padding=1", R_INNER_PADDING_OK,
             "complete", tags);
    put_case(c, at, "inner-padding-255", "with 255 bytes of padding", "inner-padding=255", R_INNER_PADDING_OK,
             "complete", tags);
    snprintf(mutation, sizeof mutation, "inner-padding=%zu", limit);
    snprintf(what, sizeof what, "padded to 2^14+1 bytes of TLSInnerPlaintext");
    put_case(c, at, "inner-padding-limit", what, mutation, R_INNER_PADDING_OK, "complete", tags);
    /* Only the padding is past the limit, the content is not: §5.4
     * bounds the encoding, and §6.2 names record_overflow for a decrypted
     * TLSPlaintext over 2^14 bytes, so no sentence makes the receiver
     * refuse it. The model and BoringSSL do (policy). */
    snprintf(mutation, sizeof mutation, "inner-padding=%zu", limit + 1);
    snprintf(what, sizeof what, "padded to 2^14+2 bytes of TLSInnerPlaintext");
    c->note = note_padding_over_limit;
    put_case(c, at, "inner-padding-over-limit", what, mutation, R_INNER_PADDING_OVERFLOW,
             "alert record_overflow", "protection, record, padding, policy");
    c->note = NULL;
}

/* After the handshake, records whose size is the case: no content type
 * at all (TLS 1.3, every octet zero), at the 2^14 limit, and past the
 * ciphertext limit of the version. */
static void sizes(ctx *c) {
    gen *g = c->g;
    bool tls13 = !c->h.v->ccs_is_step;
    static const struct {
        const char *detail, *what;
        unsigned fill; /* send-raw's fill=; 0: one zero byte */
        bool no_type;
    } zeros[] = {{"all-zeros", "whose inner plaintext is a single zero octet", 0, true},
                 {"all-zeros-limit", "whose inner plaintext is 2^14+1 zero octets", MAX_PLAINTEXT, true}};
    char title[400];
    for (size_t z = 0; tls13 && z < sizeof zeros / sizeof zeros[0] && g->ok; z++) {
        snprintf(title, sizeof title,
                 "%s rejects a protected record %s, with no content type, after the handshake",
                 gen_who(&c->h), zeros[z].what);
        char detail[80];
        snprintf(detail, sizeof detail, "appdata.%s", zeros[z].detail);
        gen_begin(g, "gen-protection", &c->h, detail, title, R_NO_INNER_TYPE, "alert unexpected_message",
                  gen_note_no_inner_type, "protection, record, padding");
        gen_put_steps(g, &c->h, 0, c->h.shape->n_steps);
        /* Content type 0 and no content: TLSInnerPlaintext is the type
         * octet, then fill's zeros (trace.h). */
        if (zeros[z].fill)
            sd_buf_appendf(&g->text, "send-raw 0 hex= fill=%u encrypted\n", zeros[z].fill);
        else
            gen_put(g, "send-raw 0 hex= encrypted\n");
        gen_finish(g, "gen-protection");
    }
    if (!g->ok) return;
    snprintf(title, sizeof title, "%s accepts an application data record of exactly 2^14 bytes",
             gen_who(&c->h));
    gen_begin(g, "gen-protection", &c->h, "appdata.size-2e14", title, R_RECORD_LIMIT_OK, "complete", NULL,
              "protection, record, size");
    gen_put_steps(g, &c->h, 0, c->h.shape->n_steps);
    sd_buf_appendf(&g->text, "send-raw application_data hex= fill=%u encrypted\nexpect-appdata \"xxxx\"\n",
                   MAX_PLAINTEXT);
    gen_finish(g, "gen-protection");
    if (!g->ok) return;
    unsigned over = MAX_PLAINTEXT + c->h.v->ciphertext_expansion;
    snprintf(title, sizeof title, "%s rejects a protected record longer than 2^14+%u bytes", gen_who(&c->h),
             c->h.v->ciphertext_expansion);
    gen_begin(g, "gen-protection", &c->h, "appdata.ciphertext-over-limit", title, R_CIPHERTEXT_OVERFLOW,
              "alert record_overflow", NULL, "protection, record, size");
    gen_put_steps(g, &c->h, 0, c->h.shape->n_steps);
    sd_buf_appendf(&g->text, "send-raw application_data hex= fill=%u encrypted\n", over);
    gen_finish(g, "gen-protection");

    /* Records that were never sealed (zeros), of a length the version
     * allows and of one past it: the first fails to decrypt
     * (bad_record_mac), the second must be refused for its length, before
     * any attempt to decrypt it (RFC 8446 §5.2, RFC 5246 §6.2.3, §7.2.2).
     * The one that fails to decrypt is 2^14+256 bytes in both versions:
     * RFC 5246 allows TLS 1.2 up to 2^14+2048, but the model refuses a
     * record past 2^14+256 for its length (wire/record.c: no suite in use
     * expands more) and BoringSSL one past 2^14+320, so from 2^14+257 on
     * they answer record_overflow where §7.2.2 names bad_record_mac. */
    static const struct {
        const char *detail, *what;
        bool over;
        requirement r;
        const char *expect, *note;
    } garbage[] = {
        {"appdata.garbage-2e14-plus-256", "rejects a record of 2^14+256 bytes that does not decrypt", false,
         R_RECORD_MAC, "alert bad_record_mac", NULL},
        {"appdata.garbage-over-limit",
         "rejects a record of 2^14+%u+1 bytes for its length, before decrypting it", true,
         R_CIPHERTEXT_OVERFLOW, "alert record_overflow", note_garbage_over_limit},
    };
    for (size_t k = 0; k < sizeof garbage / sizeof garbage[0] && g->ok; k++) {
        char what[160];
        snprintf(what, sizeof what, garbage[k].what, c->h.v->ciphertext_expansion);
        snprintf(title, sizeof title, "%s %s", gen_who(&c->h), what);
        gen_begin(g, "gen-protection", &c->h, garbage[k].detail, title, garbage[k].r, garbage[k].expect,
                  tls13 ? garbage[k].note : NULL, "protection, record, size");
        gen_put_steps(g, &c->h, 0, c->h.shape->n_steps);
        sd_buf_appendf(&g->text, "send-raw application_data hex= fill=%u\n",
                       garbage[k].over ? over + 1 : MAX_PLAINTEXT + 256);
        gen_finish(g, "gen-protection");
    }
}

static void one_suite(gen *g, const gen_version *v, const suite_profile *suite, sd_role target) {
    gen_profile profile = {.name = suite->name, .suite = suite->suite};
    /* The version's own shape (TLS 1.3's has no flags, which a profile
     * cannot name), under the suite's header. */
    ctx c = {.g = g, .h = gen_honest(v, NULL, target), .suite = suite};
    c.h.p = &profile;
    if (!c.h.shape) {
        gen_fail(g, "generate: no %s shape for gen-protection", v->name);
        return;
    }
    const sd_shape *s = c.h.shape;
    while (c.fin < s->n_steps && !(s->steps[c.fin].from == c.h.driver && s->steps[c.fin].msg == SD_Finished))
        c.fin++;
    if (c.fin == s->n_steps) {
        gen_fail(g, "generate: the %s shape has no Finished of the driver's", v->name);
        return;
    }
    for (record_at at = AT_FINISHED; at <= AT_APPDATA && g->ok; at++) {
        flips(&c, at);
        if (suite->kind == BULK_CBC) cbc_paddings(&c, at);
        if (!v->ccs_is_step) inner_paddings(&c, at);
    }
    if (g->ok) sizes(&c);
}

void gen_protection(gen *g, const gen_version *v) {
    const suite_profile *suites = v->ccs_is_step ? suites12 : suites13;
    size_t n = v->ccs_is_step ? sizeof suites12 / sizeof suites12[0] : sizeof suites13 / sizeof suites13[0];
    static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};
    for (size_t r = 0; r < 2 && g->ok; r++)
        for (size_t i = 0; i < n && g->ok; i++) one_suite(g, v, &suites[i], roles[r]);
}
