/* driver_mutations.c — the mutations an action asks for (trace.h), applied
 * to the honest message or record the driver built, or consulted while
 * building it (cert=, sign-with=, wrong-key, wrong-transcript, bad-point).
 * See driver_state.h for where this file sits. */
#include "driver/driver_state.h"

#include <limits.h>
#include <string.h>

#include "wire/handshake.h"
#include "wire/names.h"

const sd_mutation *driver_find_mutation(const sd_action *a, sd_mutation_kind kind) {
    for (size_t i = 0; i < a->n_mutations; i++)
        if (a->mutations[i].kind == kind) return &a->mutations[i];
    return NULL;
}

/* --- Extension mutations (dup-ext, add-ext, drop-ext) -------------------- */

/* Where the extension block of a message body starts (at its u16 length),
 * for the messages that carry one: ClientHello and ServerHello (RFC 8446
 * §4.1.2, §4.1.3; RFC 5246 §7.4.1.2, §7.4.1.3), EncryptedExtensions
 * (§4.3.1), the TLS 1.3 CertificateRequest (§4.3.2), the TLS 1.3
 * NewSessionTicket (§4.6.1) and the first entry of the TLS 1.3 Certificate
 * (§4.4.2). Only the layout is
 * read, not the content, so it works on bodies earlier mutations broke as
 * long as the fields before the block still frame. */
static bool find_extension_block(uint16_t msg_type, bool tls12, sd_span body, size_t *out_offset) {
    sd_reader r = sd_reader_of(body);
    sd_span skip;
    uint16_t u16;
    uint8_t u8;
    switch (msg_type) {
    case SD_ClientHello:
        if (!sd_read_bytes(&r, 2 + SD_RANDOM_LEN, &skip) || !sd_read_prefixed(&r, 1, &skip) ||
            !sd_read_prefixed(&r, 2, &skip) || !sd_read_prefixed(&r, 1, &skip))
            return false;
        break;
    case SD_ServerHello:
    case SD_MSG_TYPE_HELLO_RETRY_REQUEST:
        if (!sd_read_bytes(&r, 2 + SD_RANDOM_LEN, &skip) || !sd_read_prefixed(&r, 1, &skip) ||
            !sd_read_u16(&r, &u16) || !sd_read_u8(&r, &u8))
            return false;
        break;
    case SD_EncryptedExtensions:
        break;
    case SD_NewSessionTicket: {
        /* TLS 1.3 (§4.6.1): ticket_lifetime, ticket_age_add, ticket_nonce,
         * ticket, then the extensions (early_data). */
        uint32_t u32;
        if (tls12 || !sd_read_u32(&r, &u32) || !sd_read_u32(&r, &u32) || !sd_read_prefixed(&r, 1, &skip) ||
            !sd_read_prefixed(&r, 2, &skip))
            return false;
        break;
    }
    case SD_CertificateRequest:
        if (tls12 || !sd_read_prefixed(&r, 1, &skip)) return false;
        break;
    case SD_Certificate: {
        /* TLS 1.3 (§4.4.2): the first CertificateEntry's extensions, where
         * "If an extension applies to the entire chain, it SHOULD be
         * included". The list's u24 length is fixed up by the caller. */
        uint32_t list_len;
        if (tls12 || !sd_read_prefixed(&r, 1, &skip) || !sd_read_u24(&r, &list_len) ||
            !sd_read_prefixed(&r, 3, &skip))
            return false;
        break;
    }
    default:
        return false;
    }
    *out_offset = body.len - r.len;
    return r.len >= 2;
}

/* TLS 1.3 Certificate: after the first entry's extension block changed by
 * `delta` bytes, the certificate_list length (u24 after the context) must
 * say so too. */
static void fix_certificate_list_length(sd_buf *body, long delta) {
    if (body->len < 1 || body->len < 1u + body->data[0] + 3) return;
    size_t at = 1u + body->data[0];
    long len = (long)body->data[at] << 16 | (long)body->data[at + 1] << 8 | body->data[at + 2];
    len += delta;
    if (len < 0 || len > 0xffffff) return;
    body->data[at] = (uint8_t)(len >> 16);
    body->data[at + 1] = (uint8_t)(len >> 8);
    body->data[at + 2] = (uint8_t)len;
}

/* The most an extension block holds: its length is a uint16 (RFC 8446
 * §4.1.2 extensions<8..2^16-1>, §4.2). */
#define MAX_BLOCK 0xffffu

/* pad=<n>: a padding extension (RFC 7685 §3: "The client MAY use the
 * padding extension to pad the ClientHello to a desired size") of zero
 * bytes that makes the body, now body_len bytes, n bytes long: as long as
 * the block allows, and none if the body is that long already. */
static void add_padding(sd_buf *exts, size_t body_len, size_t n) {
    if (n <= body_len || exts->len + 4 > MAX_BLOCK) return;
    size_t pad = n - body_len > 4 ? n - body_len - 4 : 0;
    if (pad > MAX_BLOCK - 4 - exts->len) pad = MAX_BLOCK - 4 - exts->len;
    uint8_t zeros[256] = {0};
    sd_buf_u16(exts, SD_padding);
    sd_buf_u16(exts, (uint16_t)pad);
    for (size_t done = 0; done < pad;) {
        size_t k = pad - done < sizeof zeros ? pad - done : sizeof zeros;
        sd_buf_append(exts, zeros, k);
        done += k;
    }
}

/* unknown-exts=<n>: n empty extensions of types no registry assigns, from
 * 0x5000 up, leaving out the types the block already has and those
 * wire/names.h knows; as many as the block allows. A receiver must ignore
 * them (RFC 8446 §4.2: "Servers MUST ignore unrecognized extensions";
 * RFC 5246 §7.4.1.4). */
static void add_unknown_extensions(sd_buf *exts, sd_span block, size_t n) {
    for (uint32_t type = 0x5000; n > 0 && type <= 0xffff && exts->len + 4 <= MAX_BLOCK; type++) {
        sd_span ignored;
        if (sd_extension_name((uint16_t)type) || sd_extensions_find(block, (uint16_t)type, &ignored))
            continue;
        sd_build_extension(exts, (uint16_t)type, sd_span_of(NULL, 0));
        n--;
    }
}

/* Rewrites the extension block of `body` (a message of type msg_type):
 * drop-ext removes every extension of the type, dup-ext repeats the first
 * one at the end of the block, add-ext appends a new one. The block's
 * length is fixed up; a message without a block is left alone (the
 * deviation cannot be expressed there). */
void driver_edit_extensions(uint16_t msg_type, bool tls12, const sd_mutation *mu, sd_buf *body) {
    size_t at;
    if (!find_extension_block(msg_type, tls12, sd_buf_span(body), &at)) return;
    sd_reader r = sd_reader_of(sd_span_of(body->data + at, body->len - at));
    sd_span block;
    if (!sd_read_prefixed(&r, 2, &block)) return;
    size_t after = body->len - r.len; /* first byte past the block */
    sd_buf exts;
    sd_buf_init(&exts);
    sd_reader it = sd_reader_of(block);
    uint16_t type;
    sd_span ext_body, first = {0};
    bool found = false;
    while (sd_read_u16(&it, &type) && sd_read_prefixed(&it, 2, &ext_body)) {
        if (type == (uint16_t)mu->value && !found) {
            first = ext_body;
            found = true;
        }
        if (mu->kind == SD_MUT_DROP_EXT && type == (uint16_t)mu->value) continue;
        sd_build_extension(&exts, type, ext_body);
    }
    sd_buf_append_span(&exts, sd_span_of(it.data, it.len)); /* a broken tail stays as it was */
    if (mu->kind == SD_MUT_DUP_EXT && found) sd_build_extension(&exts, (uint16_t)mu->value, first);
    if (mu->kind == SD_MUT_ADD_EXT)
        sd_build_extension(&exts, (uint16_t)mu->value, sd_span_of(mu->bytes, mu->bytes_len));
    if (mu->kind == SD_MUT_PAD) add_padding(&exts, body->len, (size_t)mu->value);
    if (mu->kind == SD_MUT_UNKNOWN_EXTS) add_unknown_extensions(&exts, block, (size_t)mu->value);
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_buf_append(&rebuilt, body->data, at);
    sd_buf_u16(&rebuilt, (uint16_t)exts.len);
    sd_buf_append_span(&rebuilt, sd_buf_span(&exts));
    sd_buf_append(&rebuilt, body->data + after, body->len - after);
    long delta = (long)rebuilt.len - (long)body->len;
    sd_buf_reset(body);
    sd_buf_append_span(body, sd_buf_span(&rebuilt));
    if (msg_type == SD_Certificate) fix_certificate_list_length(body, delta);
    sd_buf_free(&rebuilt);
    sd_buf_free(&exts);
}

/* The byte a flip offset names in `len` bytes (len > 0): 0 and up from
 * the start, -1 and down from the end, SD_OFFSET_MIDDLE the middle. Offsets
 * wrap around, so that a flip always changes something: an ECDSA
 * signature's DER is 70 to 72 bytes from one signing to the next, and a
 * flip that fell past the end on one run and inside on the other made the
 * differential oracle compare a forged signature with an honest one. */
static size_t flip_index(long offset, size_t len) {
    long n = (long)len;
    long off = offset == SD_OFFSET_MIDDLE ? n / 2 : offset % n;
    if (off < 0) off += n;
    return (size_t)off;
}

/* flip-ext: XOR one byte of the body of the first extension of the type,
 * in place (no length changes). A message without that extension, or
 * with an empty one, is left as it is. */
static void flip_extension(uint16_t msg_type, bool tls12, const sd_mutation *mu, sd_buf *body) {
    size_t at;
    if (!find_extension_block(msg_type, tls12, sd_buf_span(body), &at)) return;
    sd_reader r = sd_reader_of(sd_span_of(body->data + at, body->len - at));
    sd_span block, ext_body;
    if (!sd_read_prefixed(&r, 2, &block)) return;
    sd_reader it = sd_reader_of(block);
    uint16_t type;
    while (sd_read_u16(&it, &type) && sd_read_prefixed(&it, 2, &ext_body)) {
        if (type != (uint16_t)mu->value) continue;
        if (ext_body.len == 0) return;
        /* ext_body points into body->data, which this function owns. */
        body->data[(size_t)(ext_body.data - body->data) + flip_index(mu->offset, ext_body.len)] ^= mu->mask;
        return;
    }
}

/* session-id: the hello's legacy_session_id (ClientHello, RFC 8446 §4.1.2,
 * RFC 5246 §7.4.1.2) or legacy_session_id_echo / session_id (ServerHello,
 * §4.1.3, RFC 5246 §7.4.1.3) becomes exactly `bytes`, its one-byte length
 * prefix saying how many: a well-formed vector longer than the <0..32> the
 * RFCs allow, if that is what the trace asks. A body whose fields before
 * it do not frame (an earlier body= or truncate=) is left as it is. */
static void set_session_id(uint16_t msg_type, const sd_mutation *mu, sd_buf *body) {
    if (msg_type != SD_ClientHello && msg_type != SD_ServerHello &&
        msg_type != SD_MSG_TYPE_HELLO_RETRY_REQUEST)
        return;
    size_t at = 2 + SD_RANDOM_LEN; /* legacy_version, random */
    if (body->len < at + 1 || body->len - at - 1 < body->data[at]) return;
    size_t after = at + 1 + body->data[at];
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_buf_append(&rebuilt, body->data, at);
    sd_buf_u8(&rebuilt, (uint8_t)mu->bytes_len); /* at most 255: SD_MUT_ARG_BYTES8 */
    sd_buf_append(&rebuilt, mu->bytes, mu->bytes_len);
    sd_buf_append(&rebuilt, body->data + after, body->len - after);
    sd_buf_reset(body);
    sd_buf_append_span(body, sd_buf_span(&rebuilt));
    sd_buf_free(&rebuilt);
}

/* random: the last bytes_len bytes of the hello's random (RFC 8446 §4.1.2,
 * §4.1.3; RFC 5246 §7.4.1.2) become `bytes` (1-32 of them,
 * SD_MUT_ARG_BYTES32): a ServerHello that ends with a downgrade sentinel,
 * say. The random follows the two-byte legacy_version in every hello; a
 * body too short to hold one (an earlier body= or truncate=) is left as it
 * is. The driver's keys use the random the message carried
 * (driver_on_sent_handshake). */
static void set_random(uint16_t msg_type, const sd_mutation *mu, sd_buf *body) {
    if (msg_type != SD_ClientHello && msg_type != SD_ServerHello &&
        msg_type != SD_MSG_TYPE_HELLO_RETRY_REQUEST)
        return;
    size_t end = 2 + SD_RANDOM_LEN;
    if (body->len < end || mu->bytes_len == 0 || mu->bytes_len > SD_RANDOM_LEN) return;
    memcpy(body->data + end - mu->bytes_len, mu->bytes, mu->bytes_len);
}

/* add-suite: cipher suite `value` appended to a ClientHello's
 * cipher_suites (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2), its length fixed up:
 * a signalling value such as TLS_FALLBACK_SCSV (RFC 7507 §3) next to the
 * suites the driver offers, so a server that ignores it still finds one it
 * can pick. A body whose fields before the list do not frame, or whose
 * list is already as long as its u16 length allows, is left as it is. */
static void add_cipher_suite(uint16_t msg_type, const sd_mutation *mu, sd_buf *body) {
    if (msg_type != SD_ClientHello) return;
    size_t at = 2 + SD_RANDOM_LEN; /* legacy_version, random */
    if (body->len < at + 1 || body->len - at - 1 < body->data[at]) return;
    at += 1u + body->data[at]; /* legacy_session_id */
    if (body->len - at < 2) return;
    size_t list_len = (size_t)body->data[at] << 8 | body->data[at + 1];
    if (body->len - at - 2 < list_len || list_len + 2 > 0xffff) return;
    size_t end = at + 2 + list_len;
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_buf_append(&rebuilt, body->data, at);
    sd_buf_u16(&rebuilt, (uint16_t)(list_len + 2));
    sd_buf_append(&rebuilt, body->data + at + 2, list_len);
    sd_buf_u16(&rebuilt, (uint16_t)mu->value);
    sd_buf_append(&rebuilt, body->data + end, body->len - end);
    sd_buf_reset(body);
    sd_buf_append_span(body, sd_buf_span(&rebuilt));
    sd_buf_free(&rebuilt);
}

/* bad-point: a copy of the share whose public value is not a point of the
 * group. X25519 and X448 have no off-curve points (every u is on the curve
 * or its twist), so they get the all-zero u-coordinate, a point of low
 * order whose shared secret is all zero (RFC 7748 §6.1, §6.2, RFC 8446
 * §7.4.2); a NIST curve point 04||X||Y gets its Y changed, which leaves the
 * curve (RFC 8446 §4.2.8.2); an FFDHE value becomes Y = 1, padded, outside
 * 1 < Y < p-1 (§4.2.8.1). */
sd_key_share driver_corrupt_point(const sd_key_share *ks) {
    sd_key_share bad = *ks;
    memset(bad.private_key, 0, sizeof bad.private_key);
    if (sd_group_is_ffdhe(bad.group) && bad.public_len > 0) {
        memset(bad.public_key, 0, bad.public_len);
        bad.public_key[bad.public_len - 1] = 1;
    } else if (bad.group == SD_x25519 || bad.group == SD_x448)
        memset(bad.public_key, 0, bad.public_len);
    else if (bad.public_len > 0)
        bad.public_key[bad.public_len - 1] ^= 0x01;
    return bad;
}

/* record-version: rewrites the version field of the plaintext records
 * appended to out since `from`. (A protected record's version is part of
 * its additional data, RFC 5246 §6.2.3.3 and RFC 8446 §5.2, so it is left
 * alone there: changing it would only test the MAC.) */
void driver_set_record_version(sd_buf *out, size_t from, uint16_t version) {
    for (size_t at = from; at + 5 <= out->len;) {
        size_t len = (size_t)out->data[at + 3] << 8 | out->data[at + 4];
        out->data[at + 1] = (uint8_t)(version >> 8);
        out->data[at + 2] = (uint8_t)version;
        at += 5 + len;
    }
}

uint32_t driver_apply_body_mutations(const driver *d, const sd_action *a, sd_buf *body) {
    uint32_t unchanged = 0;
    sd_buf before;
    sd_buf_init(&before);
    for (size_t i = 0; i < a->n_mutations; i++) {
        const sd_mutation *mu = &a->mutations[i];
        sd_buf_reset(&before);
        sd_buf_append_span(&before, sd_buf_span(body));
        switch (mu->kind) {
        case SD_MUT_BODY:
            sd_buf_reset(body);
            sd_buf_append(body, mu->bytes, mu->bytes_len);
            break;
        case SD_MUT_FLIP:
            if (body->len) body->data[flip_index(mu->offset, body->len)] ^= (uint8_t)mu->value;
            break;
        case SD_MUT_FLIP_EXT:
            flip_extension(a->msg_type, d->tls12, mu, body);
            break;
        case SD_MUT_SESSION_ID:
            set_session_id(a->msg_type, mu, body);
            break;
        case SD_MUT_RANDOM:
            set_random(a->msg_type, mu, body);
            break;
        case SD_MUT_ADD_SUITE:
            add_cipher_suite(a->msg_type, mu, body);
            break;
        case SD_MUT_TRUNCATE:
            body->len = (size_t)mu->value < body->len ? body->len - (size_t)mu->value : 0;
            break;
        case SD_MUT_APPEND:
            sd_buf_append(body, mu->bytes, mu->bytes_len);
            break;
        case SD_MUT_DUP_EXT:
        case SD_MUT_ADD_EXT:
        case SD_MUT_DROP_EXT:
        case SD_MUT_PAD:
        case SD_MUT_UNKNOWN_EXTS:
            driver_edit_extensions(a->msg_type, d->tls12, mu, body);
            break;
        default:
            continue; /* not a body edit */
        }
        if (i < 32 && sd_span_eq(sd_buf_span(&before), sd_buf_span(body))) unchanged |= 1u << i;
    }
    sd_buf_free(&before);
    return unchanged;
}

/* --- Keys and credentials the builders take from the mutations ---------- */

const sd_credential *driver_credential(const driver *d, const sd_action *a) {
    const sd_mutation *cert = driver_find_mutation(a, SD_MUT_CERT);
    const char *name = cert ? cert->text : d->cfg->driver_credential;
    return sd_pki_find(d->cfg->pki, name && name[0] ? name : "leaf");
}

/* A key of the same type as `key` that is not it: what wrong-key signs with. */
EVP_PKEY *driver_other_key(const driver *d, const EVP_PKEY *key) {
    static const char *const names[] = {"client",    "client-rsa", "client-ed25519",
                                        "leaf-p384", "leaf",       "leaf-rsa"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const sd_credential *c = sd_pki_find(d->cfg->pki, names[i]);
        if (c && c->key && EVP_PKEY_id(c->key) == EVP_PKEY_id(key) && EVP_PKEY_cmp(c->key, key) != 1)
            return c->key;
    }
    return NULL;
}

/* sign-with=<credential>: that credential's key, whatever the certificate
 * sent (CVE-2022-25638: a receiver must check the scheme against the
 * certificate's key, not only the signature against the scheme). */
EVP_PKEY *driver_sign_with_key(const driver *d, const sd_action *a) {
    const sd_mutation *mu = driver_find_mutation(a, SD_MUT_SIGN_WITH);
    const sd_credential *c = mu ? sd_pki_find(d->cfg->pki, mu->text) : NULL;
    return c ? c->key : NULL;
}

/* wrong-transcript: the hash of the transcript without its last handshake
 * message, as a peer computes it that missed (or never saw) that message. */
bool driver_hash_without_last(const driver *d, const EVP_MD *md, uint8_t *out) {
    const sd_buf *t = &d->rl.transcript.bytes;
    size_t at = 0, last = 0;
    while (at + 4 <= t->len) {
        last = at;
        at += 4 + ((size_t)t->data[at + 1] << 16 | (size_t)t->data[at + 2] << 8 | t->data[at + 3]);
    }
    sd_transcript shorter;
    sd_transcript_init(&shorter);
    sd_transcript_add(&shorter, sd_span_of(t->data, last));
    bool ok = sd_transcript_hash(&shorter, md, out);
    sd_transcript_free(&shorter);
    return ok;
}

/* --- Record-level mutations (record-flip, cbc-padding, inner-padding) ---- */

/* The most padding a TLS 1.3 record of `content_len` bytes can carry: its
 * TLSCiphertext.length, content + type byte + padding + the 16-byte tag of
 * every AEAD the suites use (RFC 8446 §5.2), is a uint16. */
static size_t max_inner_padding(size_t content_len) {
    size_t fixed = content_len + 1 + 16;
    return fixed < 0xffff ? 0xffff - fixed : 0;
}

/* cbc-padding=<length>:<byte> for a record of content_len bytes: `length`
 * padding bytes when content, MAC and length + 1 fill whole blocks (RFC
 * 5246 §6.2.3.2; under encrypt-then-MAC, RFC 7366 §3, without the MAC),
 * else the fewest that do, so the padding_length byte then names a length
 * other than the padding's. */
static size_t cbc_padding_count(const sd_record_keys *k, size_t content_len, long length) {
    size_t min = sd_record_cbc_padding_min_for(k, content_len);
    return ((size_t)length - min) % 16 == 0 && (size_t)length >= min ? (size_t)length : min;
}

bool driver_send_records(driver *d, const sd_action *a, uint8_t type, sd_span content, bool plaintext,
                         size_t max_fragment) {
    const sd_mutation *inner = driver_find_mutation(a, SD_MUT_INNER_PADDING);
    const sd_mutation *cbc = driver_find_mutation(a, SD_MUT_CBC_PADDING);
    sd_record_keys *k = &d->rl.write;
    bool protect = k->active && !plaintext;
    /* inner-padding needs TLS 1.3 keys (TLSInnerPlaintext, RFC 8446 §5.4),
     * cbc-padding TLS 1.2 CBC keys; anywhere else they do nothing. */
    if (inner && !(protect && !k->tls12)) inner = NULL;
    if (cbc && !(protect && sd_record_keys_cbc(k))) cbc = NULL;
    if (!inner && !cbc) {
        sd_rl_send(&d->rl, type, content, plaintext, max_fragment);
        return false;
    }
    /* The record layer's own fragmenting (sd_rl_send), with the padding
     * the mutation asks for in every record. */
    if (max_fragment == 0 || max_fragment > 16384) max_fragment = 16384;
    size_t off = 0;
    do {
        size_t n = content.len - off < max_fragment ? content.len - off : max_fragment;
        sd_span piece = sd_span_of(content.data ? content.data + off : NULL, n);
        bool ok;
        if (inner) {
            size_t padding =
                (size_t)inner->value < max_inner_padding(n) ? (size_t)inner->value : max_inner_padding(n);
            ok = sd_record_seal(k, type, piece, padding, &d->rl.out);
        } else {
            ok = sd_record_seal_cbc_padding(k, type, piece, cbc_padding_count(k, n, cbc->value), cbc->mask,
                                            (uint8_t)cbc->value, &d->rl.out);
        }
        if (!ok) d->rl.out.failed = true;
        off += n;
    } while (off < content.len);
    return true;
}

bool driver_flip_record(sd_buf *out, size_t from, const sd_mutation *m) {
    if (from + 5 > out->len) return false;
    size_t len = (size_t)out->data[from + 3] << 8 | out->data[from + 4];
    if (len == 0 || from + 5 + len > out->len) return false;
    out->data[from + 5 + flip_index(m->offset, len)] ^= (uint8_t)m->value;
    return (uint8_t)m->value != 0;
}
