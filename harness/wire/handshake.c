/* handshake.c — TLS 1.3 (and 1.2) handshake message bodies and extensions.
 *
 * Alert rules, from RFC 8446 §6: "Peers which receive a message which cannot
 * be parsed according to the syntax (e.g., have a length extending beyond the
 * message boundary or contain an out-of-range length) MUST terminate the
 * connection with a "decode_error" alert." So truncation, trailing bytes and
 * a vector length outside its <floor..ceiling> (§3.4) are all decode_error.
 * A value that parses but that the RFC forbids is illegal_parameter (§6.2:
 * "A field in the handshake was incorrect or inconsistent with other
 * fields").
 *
 * The codec checks syntax, which is the same for every version and every
 * state. Rules that depend on the negotiated version, the role or the
 * connection's history (legacy_version, compression must be {0} in TLS 1.3,
 * the key_share group must be offered, ...) belong to the model, which has
 * that context. The driver parses with these same functions and must be able
 * to read anything a peer legitimately sends.
 *
 * Parsers fill the caller's struct only on success. */
#include "wire/handshake.h"

#include <stdio.h>
#include <string.h>

#include "wire/names.h"

/* RFC 8446 §4.1.3: SHA-256("HelloRetryRequest"). */
const uint8_t sd_hrr_random[SD_RANDOM_LEN] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static void set_alert(uint8_t *out_alert, uint8_t alert) {
    if (out_alert != NULL) {
        *out_alert = alert;
    }
}

static bool fail_decode(uint8_t *out_alert) {
    set_alert(out_alert, SD_decode_error);
    return false;
}

/* Reads a vector <min..max> with a prefix_bytes length (RFC 8446 §3.4).
 * Fails without advancing on truncation or on a length out of range; both
 * are decode_error (§6). */
static bool read_vector(sd_reader *r, size_t prefix_bytes, size_t min, size_t max, sd_span *out) {
    sd_reader tmp = *r;
    sd_span v;
    if (!sd_read_prefixed(&tmp, prefix_bytes, &v) || v.len < min || v.len > max) {
        return false;
    }
    *r = tmp;
    *out = v;
    return true;
}

/* An empty span at the reader's position (never a NULL pointer, so callers
 * can still tell where in the message it would have been). */
static sd_span empty_at(const sd_reader *r) { return sd_span_of(r->data, 0); }

/* --- Extension blocks (RFC 8446 §4.2) --------------------------------------- */

int sd_extensions_next(sd_reader *it, uint16_t *out_type, sd_span *out_body, uint8_t *out_alert) {
    if (sd_reader_done(it)) {
        return 0;
    }
    /* struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } */
    sd_reader tmp = *it;
    uint16_t type;
    sd_span body;
    if (!sd_read_u16(&tmp, &type) || !sd_read_prefixed(&tmp, 2, &body)) {
        set_alert(out_alert, SD_decode_error);
        return -1;
    }
    *it = tmp;
    *out_type = type;
    *out_body = body;
    return 1;
}

bool sd_extensions_check(sd_span block, uint8_t *out_alert) {
    /* One bit per possible ExtensionType: a block of up to 2^16 - 1 bytes
     * holds up to 16383 extensions, too many for a pairwise comparison in
     * a fuzzing loop. 8 KiB on the stack, cleared once. */
    uint64_t seen[65536 / 64];
    memset(seen, 0, sizeof seen);
    sd_reader it = sd_reader_of(block);
    uint16_t type;
    sd_span body;
    int rc;
    while ((rc = sd_extensions_next(&it, &type, &body, out_alert)) == 1) {
        uint64_t bit = (uint64_t)1 << (type % 64);
        if (seen[type / 64] & bit) {
            /* RFC 8446 §4.2: "There MUST NOT be more than one extension of
             * the same type in a given extension block." The RFC names no
             * alert. decode_error, because the oracle does so where it
             * matters most: BoringSSL rejects a ClientHello with duplicates
             * while parsing it (ssl/extensions.cc
             * tls1_check_duplicate_extensions, called from
             * ssl_client_hello_init) and do_read_client_hello in
             * ssl/handshake_server.cc then sends SSL_AD_DECODE_ERROR.
             * Caveat: for TLS 1.3 ServerHello and HelloRetryRequest,
             * BoringSSL's ssl_parse_extensions (ssl/handshake.cc) sends
             * illegal_parameter instead; a model that wants to agree there
             * maps the alert itself. */
            set_alert(out_alert, SD_decode_error);
            return false;
        }
        seen[type / 64] |= bit;
    }
    return rc == 0;
}

bool sd_extensions_find(sd_span block, uint16_t type, sd_span *out_body) {
    sd_reader it = sd_reader_of(block);
    uint16_t t;
    sd_span body;
    while (sd_extensions_next(&it, &t, &body, NULL) == 1) {
        if (t == type) {
            *out_body = body;
            return true;
        }
    }
    return false;
}

void sd_build_extension(sd_buf *block, uint16_t type, sd_span body) {
    sd_buf_u16(block, type);
    size_t p = sd_buf_open_prefix(block, 2);
    sd_buf_append_span(block, body);
    sd_buf_close_prefix(block, p, 2);
}

/* Reads an optional trailing extension block: absent if the message ends
 * here, else u16-prefixed, well-formed, and the last thing in the message. */
static bool read_trailing_extensions(sd_reader *r, sd_span *out, bool *present, uint8_t *out_alert) {
    if (sd_reader_done(r)) {
        *out = empty_at(r);
        *present = false;
        return true;
    }
    sd_span block;
    if (!read_vector(r, 2, 0, 0xFFFF, &block) || !sd_reader_done(r)) {
        return fail_decode(out_alert);
    }
    if (!sd_extensions_check(block, out_alert)) {
        return false;
    }
    *out = block;
    *present = true;
    return true;
}

/* --- ClientHello (RFC 8446 §4.1.2) ---------------------------------------- */

bool sd_parse_client_hello(sd_span body, sd_client_hello *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_client_hello ch;
    memset(&ch, 0, sizeof ch);
    /* uint16 ProtocolVersion;
     * opaque Random[32];
     * opaque legacy_session_id<0..32>;
     * CipherSuite cipher_suites<2..2^16-2>;
     * opaque legacy_compression_methods<1..2^8-1>; */
    if (!sd_read_u16(&r, &ch.legacy_version) || !sd_read_bytes(&r, SD_RANDOM_LEN, &ch.random) ||
        !read_vector(&r, 1, 0, 32, &ch.legacy_session_id) ||
        !read_vector(&r, 2, 2, 0xFFFE, &ch.cipher_suites) ||
        !read_vector(&r, 1, 1, 0xFF, &ch.compression_methods)) {
        return fail_decode(out_alert);
    }
    /* A CipherSuite is two bytes; a list of an odd length cannot be
     * decoded. */
    if (ch.cipher_suites.len % 2 != 0) {
        return fail_decode(out_alert);
    }
    /* Extension extensions<8..2^16-1> in TLS 1.3, but RFC 5246 §7.4.1.2
     * lets a TLS 1.2 ClientHello end after the compression methods ("the
     * presence of extensions can be detected by determining whether there
     * are bytes following the compression_methods"), and an empty block is
     * valid there. The floor of 8 is the model's to enforce once it knows
     * the client offered TLS 1.3. */
    if (!read_trailing_extensions(&r, &ch.extensions, &ch.has_extensions, out_alert)) {
        return false;
    }
    *out = ch;
    return true;
}

void sd_build_client_hello(sd_buf *out, const sd_client_hello *ch) {
    sd_buf_u16(out, ch->legacy_version);
    sd_buf_append_span(out, ch->random);
    size_t p = sd_buf_open_prefix(out, 1);
    sd_buf_append_span(out, ch->legacy_session_id);
    sd_buf_close_prefix(out, p, 1);
    p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, ch->cipher_suites);
    sd_buf_close_prefix(out, p, 2);
    p = sd_buf_open_prefix(out, 1);
    sd_buf_append_span(out, ch->compression_methods);
    sd_buf_close_prefix(out, p, 1);
    if (ch->has_extensions) {
        p = sd_buf_open_prefix(out, 2);
        sd_buf_append_span(out, ch->extensions);
        sd_buf_close_prefix(out, p, 2);
    }
}

/* --- ServerHello / HelloRetryRequest (RFC 8446 §4.1.3) -------------------- */

bool sd_parse_server_hello(sd_span body, sd_server_hello *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_server_hello sh;
    memset(&sh, 0, sizeof sh);
    /* ProtocolVersion legacy_version; Random random;
     * opaque legacy_session_id_echo<0..32>; CipherSuite cipher_suite;
     * uint8 legacy_compression_method; */
    if (!sd_read_u16(&r, &sh.legacy_version) || !sd_read_bytes(&r, SD_RANDOM_LEN, &sh.random) ||
        !read_vector(&r, 1, 0, 32, &sh.legacy_session_id_echo) || !sd_read_u16(&r, &sh.cipher_suite) ||
        !sd_read_u8(&r, &sh.legacy_compression_method)) {
        return fail_decode(out_alert);
    }
    /* Extension extensions<6..2^16-1> in TLS 1.3; a TLS 1.2 ServerHello may
     * end here (RFC 5246 §7.4.1.3). Absent reads as an empty span; note that
     * sd_build_server_hello always writes the block. */
    bool present;
    if (!read_trailing_extensions(&r, &sh.extensions, &present, out_alert)) {
        return false;
    }
    *out = sh;
    return true;
}

bool sd_server_hello_is_hrr(const sd_server_hello *sh) {
    return sh->random.len == SD_RANDOM_LEN && memcmp(sh->random.data, sd_hrr_random, SD_RANDOM_LEN) == 0;
}

void sd_build_server_hello(sd_buf *out, const sd_server_hello *sh) {
    sd_buf_u16(out, sh->legacy_version);
    sd_buf_append_span(out, sh->random);
    size_t p = sd_buf_open_prefix(out, 1);
    sd_buf_append_span(out, sh->legacy_session_id_echo);
    sd_buf_close_prefix(out, p, 1);
    sd_buf_u16(out, sh->cipher_suite);
    sd_buf_u8(out, sh->legacy_compression_method);
    p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, sh->extensions);
    sd_buf_close_prefix(out, p, 2);
}

/* --- EncryptedExtensions (RFC 8446 §4.3.1) -------------------------------- */

bool sd_parse_encrypted_extensions(sd_span body, sd_span *out_extensions, uint8_t *out_alert) {
    /* struct { Extension extensions<0..2^16-1>; } EncryptedExtensions; */
    sd_reader r = sd_reader_of(body);
    sd_span block;
    if (!read_vector(&r, 2, 0, 0xFFFF, &block) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    if (!sd_extensions_check(block, out_alert)) {
        return false;
    }
    *out_extensions = block;
    return true;
}

void sd_build_encrypted_extensions(sd_buf *out, sd_span extensions) {
    size_t p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, extensions);
    sd_buf_close_prefix(out, p, 2);
}

/* --- Certificate (RFC 8446 §4.4.2) ---------------------------------------- */

int sd_certificate_next_entry(sd_reader *it, sd_certificate_entry *out, uint8_t *out_alert) {
    if (sd_reader_done(it)) {
        return 0;
    }
    /* struct { opaque cert_data<1..2^24-1>; Extension extensions<0..2^16-1>; }
     * (the RawPublicKey form has the same shape). An empty cert_data is out
     * of range: decode_error. */
    sd_reader tmp = *it;
    sd_certificate_entry e;
    if (!read_vector(&tmp, 3, 1, 0xFFFFFF, &e.cert_data) || !read_vector(&tmp, 2, 0, 0xFFFF, &e.extensions)) {
        set_alert(out_alert, SD_decode_error);
        return -1;
    }
    if (!sd_extensions_check(e.extensions, out_alert)) {
        return -1;
    }
    *it = tmp;
    *out = e;
    return 1;
}

bool sd_parse_certificate(sd_span body, sd_certificate *out, uint8_t *out_alert) {
    /* struct { opaque certificate_request_context<0..2^8-1>;
     *          CertificateEntry certificate_list<0..2^24-1>; } Certificate; */
    sd_reader r = sd_reader_of(body);
    sd_certificate c;
    if (!read_vector(&r, 1, 0, 0xFF, &c.request_context) ||
        !read_vector(&r, 3, 0, 0xFFFFFF, &c.certificate_list) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    /* Walk the entries once, so that a parsed Certificate is well-formed
     * throughout and iterating it later cannot fail. An empty list is valid
     * syntax (a client without a certificate, §4.4.2.4). */
    sd_reader it = sd_reader_of(c.certificate_list);
    sd_certificate_entry e;
    int rc;
    while ((rc = sd_certificate_next_entry(&it, &e, out_alert)) == 1) {
    }
    if (rc < 0) {
        return false;
    }
    *out = c;
    return true;
}

void sd_build_certificate(sd_buf *out, const sd_certificate *c) {
    size_t p = sd_buf_open_prefix(out, 1);
    sd_buf_append_span(out, c->request_context);
    sd_buf_close_prefix(out, p, 1);
    p = sd_buf_open_prefix(out, 3);
    sd_buf_append_span(out, c->certificate_list);
    sd_buf_close_prefix(out, p, 3);
}

void sd_build_certificate_entry(sd_buf *list, sd_span cert_data, sd_span extensions) {
    size_t p = sd_buf_open_prefix(list, 3);
    sd_buf_append_span(list, cert_data);
    sd_buf_close_prefix(list, p, 3);
    p = sd_buf_open_prefix(list, 2);
    sd_buf_append_span(list, extensions);
    sd_buf_close_prefix(list, p, 2);
}

/* --- CertificateVerify (RFC 8446 §4.4.3) ---------------------------------- */

bool sd_parse_certificate_verify(sd_span body, sd_certificate_verify *out, uint8_t *out_alert) {
    /* struct { SignatureScheme algorithm; opaque signature<0..2^16-1>; }
     * An empty signature is valid syntax: it fails verification, and §4.4.3
     * makes that a decrypt_error ("If the verification fails, the receiver
     * MUST terminate the handshake with a "decrypt_error" alert"), which is
     * also what BoringSSL sends. Refusing it here as decode_error would
     * report the wrong alert. */
    sd_reader r = sd_reader_of(body);
    sd_certificate_verify cv;
    if (!sd_read_u16(&r, &cv.algorithm) || !read_vector(&r, 2, 0, 0xFFFF, &cv.signature) ||
        !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    *out = cv;
    return true;
}

void sd_build_certificate_verify(sd_buf *out, const sd_certificate_verify *cv) {
    sd_buf_u16(out, cv->algorithm);
    size_t p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, cv->signature);
    sd_buf_close_prefix(out, p, 2);
}

/* --- NewSessionTicket (RFC 8446 §4.6.1) ----------------------------------- */

bool sd_parse_new_session_ticket(sd_span body, sd_new_session_ticket *out, uint8_t *out_alert) {
    /* struct { uint32 ticket_lifetime; uint32 ticket_age_add;
     *          opaque ticket_nonce<0..255>; opaque ticket<1..2^16-1>;
     *          Extension extensions<0..2^16-2>; } NewSessionTicket;
     * The ceiling 2^16-2 of extensions is the RFC's, so a length of 0xFFFF
     * is out of range. ticket_lifetime over 604800 is a server's MUST NOT
     * with no prescribed client reaction; the model decides. */
    sd_reader r = sd_reader_of(body);
    sd_new_session_ticket t;
    if (!sd_read_u32(&r, &t.ticket_lifetime) || !sd_read_u32(&r, &t.ticket_age_add) ||
        !read_vector(&r, 1, 0, 0xFF, &t.ticket_nonce) || !read_vector(&r, 2, 1, 0xFFFF, &t.ticket) ||
        !read_vector(&r, 2, 0, 0xFFFE, &t.extensions) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    if (!sd_extensions_check(t.extensions, out_alert)) {
        return false;
    }
    *out = t;
    return true;
}

void sd_build_new_session_ticket(sd_buf *out, const sd_new_session_ticket *t) {
    sd_buf_u32(out, t->ticket_lifetime);
    sd_buf_u32(out, t->ticket_age_add);
    size_t p = sd_buf_open_prefix(out, 1);
    sd_buf_append_span(out, t->ticket_nonce);
    sd_buf_close_prefix(out, p, 1);
    p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, t->ticket);
    sd_buf_close_prefix(out, p, 2);
    p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, t->extensions);
    sd_buf_close_prefix(out, p, 2);
}

/* --- Lists of u16 ------------------------------------------------------------ */

bool sd_u16_list_parse(sd_span body_with_prefix, size_t prefix_bytes, bool allow_empty, sd_u16_list *out,
                       uint8_t *out_alert) {
    sd_span raw;
    if (prefix_bytes == 0) {
        raw = body_with_prefix;
    } else {
        sd_reader r = sd_reader_of(body_with_prefix);
        if (!sd_read_prefixed(&r, prefix_bytes, &raw) || !sd_reader_done(&r)) {
            return fail_decode(out_alert);
        }
    }
    /* Elements are two bytes: an odd length cannot be decoded; an empty list
     * is out of range for every list whose floor is 2 (§3.4). */
    if (raw.len % 2 != 0 || (raw.len == 0 && !allow_empty)) {
        return fail_decode(out_alert);
    }
    out->raw = raw;
    return true;
}

size_t sd_u16_list_count(sd_u16_list l) { return l.raw.len / 2; }

uint16_t sd_u16_list_at(sd_u16_list l, size_t i) {
    if (i >= l.raw.len / 2) {
        return 0;
    }
    return (uint16_t)((l.raw.data[2 * i] << 8) | l.raw.data[2 * i + 1]);
}

bool sd_u16_list_contains(sd_u16_list l, uint16_t v) {
    size_t n = sd_u16_list_count(l);
    for (size_t i = 0; i < n; i++) {
        if (sd_u16_list_at(l, i) == v) {
            return true;
        }
    }
    return false;
}

void sd_build_u16_list(sd_buf *out, size_t prefix_bytes, const uint16_t *v, size_t n) {
    size_t p = 0;
    if (prefix_bytes > 0) {
        p = sd_buf_open_prefix(out, prefix_bytes);
    }
    for (size_t i = 0; i < n; i++) {
        sd_buf_u16(out, v[i]);
    }
    if (prefix_bytes > 0) {
        sd_buf_close_prefix(out, p, prefix_bytes);
    }
}

/* --- supported_versions (RFC 8446 §4.2.1) --------------------------------- */

bool sd_parse_supported_versions_ch(sd_span body, sd_u16_list *out, uint8_t *out_alert) {
    /* ProtocolVersion versions<2..254>: u8 length, non-empty, even (the odd
     * ceiling 255 is thereby excluded too). */
    return sd_u16_list_parse(body, 1, false, out, out_alert);
}

bool sd_parse_supported_versions_sh(sd_span body, uint16_t *out, uint8_t *out_alert) {
    /* ProtocolVersion selected_version: exactly one u16. */
    if (body.len != 2) {
        return fail_decode(out_alert);
    }
    *out = (uint16_t)((body.data[0] << 8) | body.data[1]);
    return true;
}

/* --- key_share (RFC 8446 §4.2.8) ------------------------------------------- */

int sd_key_share_next(sd_reader *it, sd_key_share_entry *out, uint8_t *out_alert) {
    if (sd_reader_done(it)) {
        return 0;
    }
    /* struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } */
    sd_reader tmp = *it;
    sd_key_share_entry e;
    if (!sd_read_u16(&tmp, &e.group) || !read_vector(&tmp, 2, 1, 0xFFFF, &e.key_exchange)) {
        set_alert(out_alert, SD_decode_error);
        return -1;
    }
    *it = tmp;
    *out = e;
    return 1;
}

bool sd_parse_key_share_ch(sd_span body, sd_span *out_entries, uint8_t *out_alert) {
    /* KeyShareEntry client_shares<0..2^16-1>: may be empty ("This vector MAY
     * be empty if the client is requesting a HelloRetryRequest"). Every
     * entry is checked so iterating later cannot fail. Duplicate groups are
     * not refused here: §4.2.8 says servers "MAY check for violations of
     * these rules and abort the handshake with an "illegal_parameter"
     * alert", a policy the model chooses. */
    sd_reader r = sd_reader_of(body);
    sd_span entries;
    if (!read_vector(&r, 2, 0, 0xFFFF, &entries) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    sd_reader it = sd_reader_of(entries);
    sd_key_share_entry e;
    int rc;
    while ((rc = sd_key_share_next(&it, &e, out_alert)) == 1) {
    }
    if (rc < 0) {
        return false;
    }
    *out_entries = entries;
    return true;
}

bool sd_parse_key_share_sh(sd_span body, sd_key_share_entry *out, uint8_t *out_alert) {
    /* KeyShareEntry server_share: exactly one entry, nothing after it. */
    sd_reader r = sd_reader_of(body);
    sd_key_share_entry e;
    if (sd_key_share_next(&r, &e, out_alert) != 1 || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    *out = e;
    return true;
}

bool sd_parse_key_share_hrr(sd_span body, uint16_t *out_group, uint8_t *out_alert) {
    /* NamedGroup selected_group: exactly one u16. */
    if (body.len != 2) {
        return fail_decode(out_alert);
    }
    *out_group = (uint16_t)((body.data[0] << 8) | body.data[1]);
    return true;
}

void sd_build_key_share_entry(sd_buf *out, uint16_t group, sd_span key_exchange) {
    sd_buf_u16(out, group);
    size_t p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, key_exchange);
    sd_buf_close_prefix(out, p, 2);
}

/* --- server_name (RFC 6066 §3) ------------------------------------------------ */

bool sd_parse_server_name(sd_span body, sd_span *out_host_name, uint8_t *out_alert) {
    /* struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
     * struct { NameType name_type; select (name_type) {
     *              case host_name: HostName; } name; } ServerName;
     * opaque HostName<1..2^16-1>;
     * This is the ClientHello form; in ServerHello and EncryptedExtensions
     * the extension_data "SHALL be empty" and the caller checks that. */
    sd_reader r = sd_reader_of(body);
    sd_span list;
    if (!read_vector(&r, 2, 1, 0xFFFF, &list) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    uint64_t seen[256 / 64] = {0};
    sd_span host = sd_span_of(NULL, 0);
    sd_reader it = sd_reader_of(list);
    while (!sd_reader_done(&it)) {
        uint8_t type;
        sd_span name;
        /* Unknown name types are read with a u16 length too: "all future
         * data structures associated with new NameTypes MUST begin with a
         * 16-bit length field" (RFC 6066 §3). */
        if (!sd_read_u8(&it, &type) || !read_vector(&it, 2, 1, 0xFFFF, &name)) {
            return fail_decode(out_alert);
        }
        uint64_t bit = (uint64_t)1 << (type % 64);
        if (seen[type / 64] & bit) {
            /* "The ServerNameList MUST NOT contain more than one name of the
             * same name_type." The list decodes; its content is forbidden:
             * illegal_parameter (RFC 6066 names no alert). */
            set_alert(out_alert, SD_illegal_parameter);
            return false;
        }
        seen[type / 64] |= bit;
        if (type == 0) { /* host_name */
            host = name;
        }
    }
    *out_host_name = host;
    return true;
}

void sd_build_server_name(sd_buf *out, sd_span host_name) {
    size_t list = sd_buf_open_prefix(out, 2);
    sd_buf_u8(out, 0); /* host_name */
    size_t p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, host_name);
    sd_buf_close_prefix(out, p, 2);
    sd_buf_close_prefix(out, list, 2);
}

/* --- ALPN (RFC 7301) -------------------------------------------------------- */

bool sd_alpn_next(sd_reader *it, sd_span *out_name) { return read_vector(it, 1, 1, 0xFF, out_name); }

bool sd_alpn_list_valid(sd_span names) {
    if (names.len == 0) return false;
    sd_reader it = sd_reader_of(names);
    sd_span name;
    while (sd_alpn_next(&it, &name)) {
    }
    return sd_reader_done(&it);
}

bool sd_parse_alpn(sd_span body, bool server_answer, sd_span *out_names, uint8_t *out_alert) {
    /* protocol_name_list<2..2^16-1>: the smallest list is one name of one
     * byte. */
    sd_reader r = sd_reader_of(body);
    sd_span list;
    if (!read_vector(&r, 2, 2, 0xFFFF, &list) || !sd_reader_done(&r) || !sd_alpn_list_valid(list))
        return fail_decode(out_alert);
    if (server_answer) {
        sd_reader it = sd_reader_of(list);
        sd_span first;
        if (!sd_alpn_next(&it, &first) || !sd_reader_done(&it)) return fail_decode(out_alert);
    }
    *out_names = list;
    return true;
}

bool sd_alpn_contains(sd_span names, sd_span name) {
    sd_reader it = sd_reader_of(names);
    sd_span n;
    while (sd_alpn_next(&it, &n))
        if (sd_span_eq(n, name)) return true;
    return false;
}

bool sd_alpn_select(sd_span own, sd_span offered, sd_span *out_name) {
    sd_reader it = sd_reader_of(own);
    sd_span n;
    while (sd_alpn_next(&it, &n))
        if (sd_alpn_contains(offered, n)) {
            *out_name = n;
            return true;
        }
    return false;
}

void sd_build_alpn(sd_buf *out, sd_span names) {
    size_t p = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, names);
    sd_buf_close_prefix(out, p, 2);
}

void sd_build_alpn_answer(sd_buf *out, sd_span name) {
    size_t list = sd_buf_open_prefix(out, 2);
    size_t p = sd_buf_open_prefix(out, 1);
    sd_buf_append_span(out, name);
    sd_buf_close_prefix(out, p, 1);
    sd_buf_close_prefix(out, list, 2);
}

bool sd_alpn_from_text(const char *text, uint8_t *out, size_t out_cap, size_t *out_len, char *why,
                       size_t why_len) {
    size_t n = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0) {
            snprintf(why, why_len,
                     "empty protocol name (RFC 7301 §3.1: \"Empty strings MUST NOT be included\")");
            return false;
        }
        if (len > 0xFF) {
            snprintf(why, why_len, "protocol name of %zu bytes (at most 255, RFC 7301 §3.1)", len);
            return false;
        }
        if (n + 1 + len > out_cap) {
            snprintf(why, why_len, "protocol list over %zu bytes", out_cap);
            return false;
        }
        out[n++] = (uint8_t)len;
        memcpy(out + n, p, len);
        n += len;
        if (!comma) break;
        p = comma + 1;
    }
    *out_len = n;
    return true;
}

bool sd_parse_record_size_limit(sd_span body, uint16_t *out_limit, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    uint16_t limit;
    if (!sd_read_u16(&r, &limit) || !sd_reader_done(&r)) {
        *out_alert = SD_decode_error;
        return false;
    }
    if (limit < SD_RECORD_SIZE_LIMIT_MIN) {
        *out_alert = SD_illegal_parameter;
        return false;
    }
    *out_limit = limit;
    return true;
}

void sd_build_record_size_limit(sd_buf *out, uint16_t limit) { sd_buf_u16(out, limit); }

bool sd_parse_max_fragment_length(sd_span body, uint8_t *out_code, uint8_t *out_alert) {
    if (body.len != 1) {
        *out_alert = SD_decode_error;
        return false;
    }
    if (body.data[0] < 1 || body.data[0] > 4) {
        *out_alert = SD_illegal_parameter;
        return false;
    }
    *out_code = body.data[0];
    return true;
}

size_t sd_max_fragment_length_bytes(uint8_t code) {
    return code >= 1 && code <= 4 ? (size_t)1 << (8 + code) : 0;
}
