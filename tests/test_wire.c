/* test_wire.c — unit tests for the wire codec (harness/wire).
 *
 * The anchor is RFC 8448 §3: every message of its simple 1-RTT handshake must
 * parse and rebuild byte-exact. Around it: truncation at every offset and a
 * trailing byte must fail with decode_error (and, under ASan, without reading
 * a byte past the end: truncated inputs are exact-size heap copies), lying
 * lengths written by the builders must be caught by the parsers, and the
 * reassembler must deliver the same messages however the stream is cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rfc8448_vectors.h"
#include "wire/bytes.h"
#include "wire/cert_compression.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/record.h"

/* --- Helpers ---------------------------------------------------------------- */

static sd_buf from_hex(const char *hex) {
    sd_buf b;
    sd_buf_init(&b);
    assert_true(sd_hex_decode(hex, strlen(hex), &b));
    assert_false(b.failed);
    return b;
}

static void assert_span_eq(sd_span got, sd_span want) {
    assert_int_equal(got.len, want.len);
    if (want.len > 0) {
        assert_memory_equal(got.data, want.data, want.len);
    }
}

static void assert_span_hex(sd_span got, const char *hex) {
    sd_buf want = from_hex(hex);
    assert_span_eq(got, sd_buf_span(&want));
    sd_buf_free(&want);
}

/* Splits a whole handshake message (RFC 8446 §4) into its body, checking the
 * type and that the u24 length covers exactly the rest. */
static sd_span body_of(sd_span whole, uint8_t want_type) {
    sd_reader r = sd_reader_of(whole);
    uint8_t type;
    sd_span body;
    assert_true(sd_read_u8(&r, &type));
    assert_int_equal(type, want_type);
    assert_true(sd_read_prefixed(&r, 3, &body));
    assert_true(sd_reader_done(&r));
    return body;
}

/* Frames body as a handshake message and compares with the original. */
static void assert_rebuilds(sd_span original, uint8_t type, const sd_buf *body) {
    assert_false(body->failed);
    sd_buf msg;
    sd_buf_init(&msg);
    sd_build_handshake(&msg, type, sd_buf_span(body), -1);
    assert_false(msg.failed);
    assert_span_eq(sd_buf_span(&msg), original);
    sd_buf_free(&msg);
}

/* A parser reduced to "does this body parse, and with which alert". */
typedef bool (*parse_fn)(sd_span body, uint8_t *out_alert);

static bool parse_ch(sd_span b, uint8_t *a) {
    sd_client_hello ch;
    return sd_parse_client_hello(b, &ch, a);
}
static bool parse_sh(sd_span b, uint8_t *a) {
    sd_server_hello sh;
    return sd_parse_server_hello(b, &sh, a);
}
static bool parse_ee(sd_span b, uint8_t *a) {
    sd_span ext;
    return sd_parse_encrypted_extensions(b, &ext, a);
}
static bool parse_cert(sd_span b, uint8_t *a) {
    sd_certificate c;
    return sd_parse_certificate(b, &c, a);
}
static bool parse_cv(sd_span b, uint8_t *a) {
    sd_certificate_verify cv;
    return sd_parse_certificate_verify(b, &cv, a);
}
static bool parse_nst(sd_span b, uint8_t *a) {
    sd_new_session_ticket t;
    return sd_parse_new_session_ticket(b, &t, a);
}
static bool parse_sv_ch(sd_span b, uint8_t *a) {
    sd_u16_list l;
    return sd_parse_supported_versions_ch(b, &l, a);
}
static bool parse_ks_ch(sd_span b, uint8_t *a) {
    sd_span e;
    return sd_parse_key_share_ch(b, &e, a);
}
static bool parse_ks_sh(sd_span b, uint8_t *a) {
    sd_key_share_entry e;
    return sd_parse_key_share_sh(b, &e, a);
}
static bool parse_sni(sd_span b, uint8_t *a) {
    sd_span h;
    return sd_parse_server_name(b, &h, a);
}

/* Runs parse on an exact-size heap copy of body, so that ASan reports any
 * read past the end. */
static bool parse_copy(parse_fn parse, const uint8_t *data, size_t n, uint8_t *alert) {
    uint8_t *copy = malloc(n > 0 ? n : 1);
    assert_non_null(copy);
    if (n > 0) {
        memcpy(copy, data, n);
    }
    bool ok = parse(sd_span_of(copy, n), alert);
    free(copy);
    return ok;
}

/* Every proper prefix of body must fail with decode_error, except the one
 * length valid_at (SIZE_MAX: none), where the message legitimately ends
 * (e.g. a hello without extensions). */
static void check_every_truncation(parse_fn parse, sd_span body, size_t valid_at) {
    for (size_t n = 0; n < body.len; n++) {
        uint8_t alert = 0xEE;
        bool ok = parse_copy(parse, body.data, n, &alert);
        if (n == valid_at) {
            assert_true(ok);
        } else {
            if (ok) {
                print_error("truncation to %zu of %zu bytes parsed\n", n, body.len);
            }
            assert_false(ok);
            assert_int_equal(alert, SD_decode_error);
        }
    }
    uint8_t alert = 0xEE;
    assert_true(parse_copy(parse, body.data, body.len, &alert));
}

/* The whole body plus one byte must fail with decode_error. */
static void check_trailing_byte(parse_fn parse, sd_span body) {
    uint8_t *longer = malloc(body.len + 1);
    assert_non_null(longer);
    memcpy(longer, body.data, body.len);
    longer[body.len] = 0;
    uint8_t alert = 0xEE;
    assert_false(parse_copy(parse, longer, body.len + 1, &alert));
    assert_int_equal(alert, SD_decode_error);
    free(longer);
}

/* --- bytes: reader ---------------------------------------------------------- */

static void test_reader_reads_big_endian(void **state) {
    (void)state;
    static const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a};
    sd_reader r = sd_reader_of(sd_span_of(data, sizeof data));
    uint8_t u8;
    uint16_t u16;
    uint32_t u24, u32;
    assert_true(sd_read_u8(&r, &u8));
    assert_int_equal(u8, 0x01);
    assert_true(sd_read_u16(&r, &u16));
    assert_int_equal(u16, 0x0203);
    assert_true(sd_read_u24(&r, &u24));
    assert_int_equal(u24, 0x040506);
    assert_true(sd_read_u32(&r, &u32));
    assert_int_equal(u32, 0x0708090a);
    assert_true(sd_reader_done(&r));
    assert_false(sd_read_u8(&r, &u8));
}

static void test_reader_fails_without_advancing(void **state) {
    (void)state;
    static const uint8_t data[] = {0x05, 0xaa, 0xbb};
    sd_reader r = sd_reader_of(sd_span_of(data, sizeof data));
    uint32_t u32;
    sd_span s;
    assert_false(sd_read_u32(&r, &u32));
    assert_false(sd_read_bytes(&r, 4, &s));
    assert_false(sd_skip(&r, 4));
    /* A length (5) that runs past the end leaves the reader at the length. */
    assert_false(sd_read_prefixed(&r, 1, &s));
    /* Prefix sizes other than 1..3 are refused. */
    assert_false(sd_read_prefixed(&r, 0, &s));
    assert_false(sd_read_prefixed(&r, 4, &s));
    assert_ptr_equal(r.data, data);
    assert_int_equal(r.len, sizeof data);

    static const uint8_t pre[] = {0x02, 0xaa, 0xbb, 0xcc};
    r = sd_reader_of(sd_span_of(pre, sizeof pre));
    assert_true(sd_read_prefixed(&r, 1, &s));
    assert_int_equal(s.len, 2);
    assert_ptr_equal(s.data, pre + 1);
    assert_int_equal(r.len, 1);

    /* Empty readers and zero-length reads. */
    sd_reader e = sd_reader_of(sd_span_of(NULL, 0));
    assert_true(sd_reader_done(&e));
    assert_true(sd_read_bytes(&e, 0, &s));
    assert_int_equal(s.len, 0);
}

static void test_span_eq(void **state) {
    (void)state;
    static const uint8_t a[] = {1, 2, 3}, b[] = {1, 2, 3}, c[] = {1, 2, 4};
    assert_true(sd_span_eq(sd_span_of(a, 3), sd_span_of(b, 3)));
    assert_false(sd_span_eq(sd_span_of(a, 3), sd_span_of(c, 3)));
    assert_false(sd_span_eq(sd_span_of(a, 3), sd_span_of(b, 2)));
    assert_true(sd_span_eq(sd_span_of(NULL, 0), sd_span_of(a, 0)));
}

/* --- bytes: writer ---------------------------------------------------------- */

static void test_buf_writes_big_endian(void **state) {
    (void)state;
    sd_buf b;
    sd_buf_init(&b);
    sd_buf_u8(&b, 0x01);
    sd_buf_u16(&b, 0x0203);
    sd_buf_u24(&b, 0x040506);
    sd_buf_u32(&b, 0x0708090a);
    sd_buf_append(&b, "\x0b\x0c", 2);
    sd_buf_append(&b, NULL, 0);
    assert_false(b.failed);
    assert_span_hex(sd_buf_span(&b), "01 0203 040506 0708090a 0b0c");
    sd_buf_consume(&b, 3);
    assert_span_hex(sd_buf_span(&b), "040506 0708090a 0b0c");
    sd_buf_consume(&b, 100); /* more than held: empties */
    assert_int_equal(b.len, 0);
    sd_buf_free(&b);
    assert_null(b.data);
}

static void test_buf_failure_is_sticky(void **state) {
    (void)state;
    sd_buf b;
    sd_buf_init(&b);
    sd_buf_u8(&b, 1);
    sd_buf_u24(&b, 0x1000000); /* does not fit a u24 */
    assert_true(b.failed);
    sd_buf_u8(&b, 2);
    assert_int_equal(b.len, 1);
    assert_false(sd_buf_reserve(&b, 1));
    sd_buf_reset(&b);
    assert_false(b.failed);
    assert_int_equal(b.len, 0);
    sd_buf_u8(&b, 3);
    assert_span_hex(sd_buf_span(&b), "03");
    /* A reservation that cannot be represented fails too. */
    assert_false(sd_buf_reserve(&b, SIZE_MAX));
    assert_true(b.failed);
    sd_buf_free(&b);
}

static void test_buf_append_from_itself(void **state) {
    (void)state;
    sd_buf b;
    sd_buf_init(&b);
    sd_buf_append(&b, "abcd", 4);
    /* Doubling from its own bytes forces a realloc mid-append at some size. */
    for (int i = 0; i < 12; i++) {
        sd_buf_append(&b, b.data, b.len);
    }
    assert_false(b.failed);
    assert_int_equal(b.len, 4u << 12);
    for (size_t i = 0; i < b.len; i++) {
        assert_int_equal(b.data[i], "abcd"[i % 4]);
    }
    sd_buf_free(&b);
}

static void test_buf_prefixes(void **state) {
    (void)state;
    sd_buf b;
    sd_buf_init(&b);
    size_t outer = sd_buf_open_prefix(&b, 2);
    size_t inner = sd_buf_open_prefix(&b, 1);
    sd_buf_append(&b, "xyz", 3);
    sd_buf_close_prefix(&b, inner, 1);
    size_t big = sd_buf_open_prefix(&b, 3);
    sd_buf_close_prefix(&b, big, 3);
    sd_buf_close_prefix(&b, outer, 2);
    assert_false(b.failed);
    assert_span_hex(sd_buf_span(&b), "0007 03 78797a 000000");
    sd_buf_free(&b);

    /* A body too long for its prefix fails the buffer. */
    sd_buf_init(&b);
    size_t p = sd_buf_open_prefix(&b, 1);
    for (int i = 0; i < 256; i++) {
        sd_buf_u8(&b, 0);
    }
    sd_buf_close_prefix(&b, p, 1);
    assert_true(b.failed);
    sd_buf_free(&b);

    /* Bad prefix sizes fail too. */
    sd_buf_init(&b);
    sd_buf_open_prefix(&b, 4);
    assert_true(b.failed);
    sd_buf_free(&b);
}

static void test_buf_close_prefix_as_lies(void **state) {
    (void)state;
    sd_buf b;
    sd_buf_init(&b);
    size_t p = sd_buf_open_prefix(&b, 2);
    sd_buf_append(&b, "ab", 2);
    sd_buf_close_prefix_as(&b, p, 2, 0xFFFF); /* claims 65535 bytes */
    assert_false(b.failed);
    assert_span_hex(sd_buf_span(&b), "ffff 6162");
    /* The reader sees through the lie: the vector runs past the end. */
    sd_reader r = sd_reader_of(sd_buf_span(&b));
    sd_span s;
    assert_false(sd_read_prefixed(&r, 2, &s));
    /* A lie must still fit its field. */
    sd_buf_close_prefix_as(&b, p, 2, 0x10000);
    assert_true(b.failed);
    sd_buf_free(&b);

    /* A short lie, and a zero. */
    sd_buf_init(&b);
    p = sd_buf_open_prefix(&b, 3);
    sd_buf_append(&b, "abcd", 4);
    sd_buf_close_prefix_as(&b, p, 3, 1);
    assert_span_hex(sd_buf_span(&b), "000001 61626364");
    sd_buf_close_prefix_as(&b, p, 3, 0);
    assert_span_hex(sd_buf_span(&b), "000000 61626364");
    assert_false(b.failed);
    sd_buf_free(&b);
}

/* A ClientHello whose cipher_suites length lies must be refused by the parser,
 * whether the lie is longer or shorter than the truth. */
static void test_lying_lengths_are_caught(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_CLIENT_HELLO);
    sd_client_hello ch;
    uint8_t alert = 0;
    assert_true(sd_parse_client_hello(body_of(sd_buf_span(&msg), SD_ClientHello), &ch, &alert));

    static const uint32_t lies[] = {0, 2, 4, 8, 0xFFFE, 0xFFFF};
    for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
        sd_buf b;
        sd_buf_init(&b);
        sd_buf_u16(&b, ch.legacy_version);
        sd_buf_append_span(&b, ch.random);
        size_t p = sd_buf_open_prefix(&b, 1);
        sd_buf_append_span(&b, ch.legacy_session_id);
        sd_buf_close_prefix(&b, p, 1);
        p = sd_buf_open_prefix(&b, 2);
        sd_buf_append_span(&b, ch.cipher_suites);
        sd_buf_close_prefix_as(&b, p, 2, lies[i]);
        p = sd_buf_open_prefix(&b, 1);
        sd_buf_append_span(&b, ch.compression_methods);
        sd_buf_close_prefix(&b, p, 1);
        p = sd_buf_open_prefix(&b, 2);
        sd_buf_append_span(&b, ch.extensions);
        sd_buf_close_prefix(&b, p, 2);
        assert_false(b.failed);
        alert = 0;
        assert_false(parse_copy(parse_ch, b.data, b.len, &alert));
        assert_int_equal(alert, SD_decode_error);
        sd_buf_free(&b);
    }

    /* A handshake header whose u24 lies: the reassembler waits for bytes
     * that never come (too long) or cuts the message short (too short). */
    sd_span body = body_of(sd_buf_span(&msg), SD_ClientHello);
    sd_buf framed;
    sd_buf_init(&framed);
    sd_build_handshake(&framed, SD_ClientHello, body, (long)body.len + 1);
    sd_hs_reassembler h;
    sd_hs_reassembler_init(&h);
    sd_hs_reassembler_push(&h, sd_buf_span(&framed));
    sd_handshake_msg m;
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 0);
    assert_true(sd_hs_reassembler_has_partial(&h));
    sd_hs_reassembler_free(&h);

    sd_buf_reset(&framed);
    sd_build_handshake(&framed, SD_ClientHello, body, (long)body.len - 1);
    sd_hs_reassembler_init(&h);
    sd_hs_reassembler_push(&h, sd_buf_span(&framed));
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 1);
    assert_int_equal(m.body.len, body.len - 1);
    alert = 0;
    assert_false(sd_parse_client_hello(m.body, &ch, &alert));
    assert_int_equal(alert, SD_decode_error);
    sd_hs_reassembler_free(&h);

    /* Lengths that do not fit a u24 cannot be written. */
    sd_buf_reset(&framed);
    sd_build_handshake(&framed, SD_ClientHello, body, 0x1000000L);
    assert_true(framed.failed);
    sd_buf_reset(&framed);
    sd_build_handshake(&framed, SD_ClientHello, body, 0xFFFFFFL);
    assert_false(framed.failed);
    assert_span_hex(sd_span_of(framed.data, 4), "01 ffffff");
    sd_buf_free(&framed);
    sd_buf_free(&msg);
}

/* --- bytes: hex -------------------------------------------------------------- */

static void test_hex_decode(void **state) {
    (void)state;
    sd_buf b;
    sd_buf_init(&b);
    const char *ok = "00 Ff aB\n\t10:20:30\r\n";
    assert_true(sd_hex_decode(ok, strlen(ok), &b));
    static const uint8_t want[] = {0x00, 0xff, 0xab, 0x10, 0x20, 0x30};
    assert_span_eq(sd_buf_span(&b), sd_span_of(want, sizeof want));

    /* Failures append nothing. */
    const char *bad[] = {"0", "0g", "abc", "a b", "ab c", "-1", "0x12"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(sd_hex_decode(bad[i], strlen(bad[i]), &b));
        assert_int_equal(b.len, sizeof want);
        assert_false(b.failed);
    }
    /* hex_len bounds the input: no NUL needed, nothing past it read. */
    assert_true(sd_hex_decode("12345", 4, &b));
    assert_int_equal(b.len, sizeof want + 2);
    assert_true(sd_hex_decode("", 0, &b));
    assert_true(sd_hex_decode(" : ", 3, &b));
    assert_int_equal(b.len, sizeof want + 2);
    sd_buf_free(&b);
}

static void test_hex_encode(void **state) {
    (void)state;
    static const uint8_t data[] = {0x00, 0x0f, 0xa0, 0xff};
    sd_buf t;
    sd_buf_init(&t);
    sd_buf_append(&t, "x=", 2);
    sd_hex_encode(sd_span_of(data, sizeof data), &t);
    assert_int_equal(t.len, 10);
    assert_memory_equal(t.data, "x=000fa0ff", 10);
    /* And back. */
    sd_buf back;
    sd_buf_init(&back);
    assert_true(sd_hex_decode((const char *)t.data + 2, t.len - 2, &back));
    assert_span_eq(sd_buf_span(&back), sd_span_of(data, sizeof data));
    sd_buf_free(&back);
    sd_buf_free(&t);
}

/* --- names -------------------------------------------------------------------- */

static void test_names_both_ways(void **state) {
    (void)state;
    uint8_t u8;
    uint16_t u16;

    /* Every entry of every table, both directions. */
#define CHECK_CT(name, value) assert_string_equal(sd_content_type_name(value), #name);
    SD_CONTENT_TYPES(CHECK_CT)
#define CHECK_HS(name, value)                                  \
    assert_string_equal(sd_handshake_type_name(value), #name); \
    assert_true(sd_handshake_type_from_name(#name, &u8));      \
    assert_int_equal(u8, value);
    SD_HANDSHAKE_TYPES(CHECK_HS)
#define CHECK_ALERT(name, value)                      \
    assert_string_equal(sd_alert_name(value), #name); \
    assert_true(sd_alert_from_name(#name, &u8));      \
    assert_int_equal(u8, value);
    SD_ALERTS(CHECK_ALERT)
#define CHECK_EXT(name, value)                            \
    assert_string_equal(sd_extension_name(value), #name); \
    assert_true(sd_extension_from_name(#name, &u16));     \
    assert_int_equal(u16, value);
    SD_EXTENSION_TYPES(CHECK_EXT)
#define CHECK_GROUP(name, value)                      \
    assert_string_equal(sd_group_name(value), #name); \
    assert_true(sd_group_from_name(#name, &u16));     \
    assert_int_equal(u16, value);
    SD_GROUPS(CHECK_GROUP)
#define CHECK_SIG(name, value) assert_string_equal(sd_signature_scheme_name(value), #name);
    SD_SIGNATURE_SCHEMES(CHECK_SIG)
#define CHECK_SUITE(name, value)                             \
    assert_string_equal(sd_cipher_suite_name(value), #name); \
    assert_true(sd_cipher_suite_from_name(#name, &u16));     \
    assert_int_equal(u16, value);
    SD_CIPHER_SUITES(CHECK_SUITE)

    /* Spot checks against the RFC numbers, so a table typo shows. */
    assert_string_equal(sd_alert_name(50), "decode_error");
    assert_string_equal(sd_alert_name(47), "illegal_parameter");
    assert_string_equal(sd_extension_name(43), "supported_versions");
    assert_string_equal(sd_extension_name(65281), "renegotiation_info");
    assert_string_equal(sd_handshake_type_name(20), "Finished");
    assert_string_equal(sd_content_type_name(23), "application_data");
    assert_string_equal(sd_signature_scheme_name(0x0804), "rsa_pss_rsae_sha256");
    assert_string_equal(sd_group_name(29), "x25519");
    assert_string_equal(sd_cipher_suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
    assert_string_equal(sd_alert_level_name(1), "warning");
    assert_string_equal(sd_alert_level_name(2), "fatal");
    assert_true(sd_alert_level_from_name("fatal", &u8));
    assert_int_equal(u8, 2);
    assert_true(sd_alert_level_from_name("warning", &u8));
    assert_int_equal(u8, 1);

    /* Unknown values and names. */
    assert_null(sd_content_type_name(24));
    assert_null(sd_handshake_type_name(3));
    assert_null(sd_alert_name(255));
    assert_null(sd_extension_name(0xfafa));
    assert_null(sd_group_name(0));
    assert_null(sd_signature_scheme_name(0));
    assert_null(sd_cipher_suite_name(0x1305));
    assert_null(sd_alert_level_name(0));
    assert_null(sd_alert_level_name(3));
    u8 = 0x77;
    u16 = 0x7777;
    assert_false(sd_handshake_type_from_name("clienthello", &u8)); /* exact spelling */
    assert_false(sd_handshake_type_from_name("", &u8));
    assert_false(sd_handshake_type_from_name(NULL, &u8));
    assert_false(sd_alert_from_name("decode", &u8));
    assert_false(sd_extension_from_name("key_share ", &u16));
    assert_false(sd_group_from_name("X25519", &u16));
    assert_false(sd_cipher_suite_from_name("TLS_AES_128_GCM", &u16));
    assert_false(sd_alert_level_from_name("error", &u8));
    assert_int_equal(u8, 0x77);
    assert_int_equal(u16, 0x7777);
}

/* --- record ------------------------------------------------------------------- */

static void test_record_parse_and_build(void **state) {
    (void)state;
    sd_buf rec = from_hex(RFC8448_CLIENT_HELLO_RECORD);
    sd_buf ch = from_hex(RFC8448_CLIENT_HELLO);
    sd_reader r = sd_reader_of(sd_buf_span(&rec));
    sd_record out;
    uint8_t alert = 0;
    assert_int_equal(sd_parse_record(&r, &out, &alert), 1);
    assert_true(sd_reader_done(&r));
    assert_int_equal(out.content_type, SD_handshake);
    assert_int_equal(out.legacy_version, 0x0301);
    assert_span_eq(out.fragment, sd_buf_span(&ch));
    assert_span_eq(out.header, sd_span_of(rec.data, 5));

    sd_buf built;
    sd_buf_init(&built);
    sd_build_record(&built, out.content_type, out.legacy_version, out.fragment);
    assert_span_eq(sd_buf_span(&built), sd_buf_span(&rec));

    /* Two records back to back, then each in turn. */
    sd_buf two = from_hex(RFC8448_SERVER_HELLO_RECORD);
    sd_buf_append_span(&two, sd_buf_span(&rec));
    r = sd_reader_of(sd_buf_span(&two));
    assert_int_equal(sd_parse_record(&r, &out, &alert), 1);
    assert_int_equal(out.fragment.len, 90);
    assert_int_equal(sd_parse_record(&r, &out, &alert), 1);
    assert_int_equal(out.fragment.len, 196);
    assert_int_equal(sd_parse_record(&r, &out, &alert), 0);

    /* A fragment too long for the u16 cannot be framed. */
    uint8_t *huge = calloc(1, 0x10000);
    assert_non_null(huge);
    sd_buf_reset(&built);
    sd_build_record(&built, SD_application_data, SD_TLS12, sd_span_of(huge, 0x10000));
    assert_true(built.failed);
    free(huge);

    sd_buf_free(&two);
    sd_buf_free(&built);
    sd_buf_free(&ch);
    sd_buf_free(&rec);
}

static void test_record_partial(void **state) {
    (void)state;
    sd_buf rec = from_hex(RFC8448_CLIENT_FINISHED_RECORD);
    for (size_t n = 0; n < rec.len; n++) {
        uint8_t *copy = malloc(n > 0 ? n : 1);
        assert_non_null(copy);
        memcpy(copy, rec.data, n);
        sd_reader r = sd_reader_of(sd_span_of(copy, n));
        sd_record out;
        uint8_t alert = 0xEE;
        assert_int_equal(sd_parse_record(&r, &out, &alert), 0);
        assert_ptr_equal(r.data, copy);
        assert_int_equal(r.len, n);
        assert_int_equal(alert, 0xEE);
        free(copy);
    }
    sd_buf_free(&rec);
}

static void test_record_overflow(void **state) {
    (void)state;
    /* RFC 8446 §5.2: over 2^14 + 256 is record_overflow, known from the
     * header alone. */
    static const uint8_t over[] = {0x17, 0x03, 0x03, 0x41, 0x01};
    sd_reader r = sd_reader_of(sd_span_of(over, sizeof over));
    sd_record out;
    uint8_t alert = 0;
    assert_int_equal(sd_parse_record(&r, &out, &alert), -1);
    assert_int_equal(alert, SD_record_overflow);
    assert_int_equal(r.len, sizeof over);

    static const uint8_t max16[] = {0x17, 0x03, 0x03, 0xff, 0xff};
    r = sd_reader_of(sd_span_of(max16, sizeof max16));
    assert_int_equal(sd_parse_record(&r, &out, &alert), -1);

    /* Exactly 2^14 + 256 is allowed. */
    size_t n = SD_RECORD_HEADER_LEN + SD_MAX_CIPHERTEXT;
    uint8_t *at_max = calloc(1, n);
    assert_non_null(at_max);
    at_max[0] = 0x17;
    at_max[1] = 0x03;
    at_max[2] = 0x03;
    at_max[3] = (uint8_t)(SD_MAX_CIPHERTEXT >> 8);
    at_max[4] = (uint8_t)SD_MAX_CIPHERTEXT;
    r = sd_reader_of(sd_span_of(at_max, n));
    assert_int_equal(sd_parse_record(&r, &out, &alert), 1);
    assert_int_equal(out.fragment.len, SD_MAX_CIPHERTEXT);
    /* ... and one byte short is still partial. */
    r = sd_reader_of(sd_span_of(at_max, n - 1));
    assert_int_equal(sd_parse_record(&r, &out, &alert), 0);
    free(at_max);
}

static void test_alerts(void **state) {
    (void)state;
    static const uint8_t ok[] = {2, 50};
    sd_alert a;
    uint8_t alert = 0;
    assert_true(sd_parse_alert(sd_span_of(ok, 2), &a, &alert));
    assert_int_equal(a.level, SD_ALERT_LEVEL_FATAL);
    assert_int_equal(a.description, SD_decode_error);
    /* §6: exactly two bytes, anything else is decode_error. */
    static const uint8_t three[] = {2, 50, 0};
    assert_false(sd_parse_alert(sd_span_of(three, 3), &a, &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_parse_alert(sd_span_of(ok, 1), &a, &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_parse_alert(sd_span_of(NULL, 0), &a, &alert));
    assert_int_equal(alert, SD_decode_error);

    sd_buf b;
    sd_buf_init(&b);
    sd_build_alert(&b, SD_ALERT_LEVEL_WARNING, SD_close_notify);
    assert_span_hex(sd_buf_span(&b), "01 00");
    sd_buf_free(&b);
}

/* --- reassembler ----------------------------------------------------------------- */

static const char *const *rfc8448_messages(size_t *n) {
    static const char *const all[] = {
        RFC8448_CLIENT_HELLO,    RFC8448_SERVER_HELLO,       RFC8448_ENCRYPTED_EXTENSIONS,
        RFC8448_CERTIFICATE,     RFC8448_CERTIFICATE_VERIFY, RFC8448_SERVER_FINISHED,
        RFC8448_CLIENT_FINISHED, RFC8448_NEW_SESSION_TICKET,
    };
    *n = sizeof all / sizeof all[0];
    return all;
}

typedef struct {
    sd_buf stream;  /* all messages concatenated */
    sd_buf msgs[8]; /* each message */
    size_t count;
} message_stream;

static void stream_init(message_stream *s) {
    size_t n;
    const char *const *all = rfc8448_messages(&n);
    assert_true(n <= 8);
    s->count = n;
    sd_buf_init(&s->stream);
    for (size_t i = 0; i < n; i++) {
        s->msgs[i] = from_hex(all[i]);
        sd_buf_append_span(&s->stream, sd_buf_span(&s->msgs[i]));
    }
    assert_false(s->stream.failed);
}

static void stream_free(message_stream *s) {
    for (size_t i = 0; i < s->count; i++) {
        sd_buf_free(&s->msgs[i]);
    }
    sd_buf_free(&s->stream);
}

/* Drains every message now available and checks each against the next
 * expected one. */
static void drain(sd_hs_reassembler *h, const message_stream *s, size_t *next) {
    sd_handshake_msg m;
    uint8_t alert = 0;
    int rc;
    while ((rc = sd_hs_reassembler_next(h, 1 << 16, &m, &alert)) == 1) {
        assert_true(*next < s->count);
        sd_span want = sd_buf_span(&s->msgs[*next]);
        assert_span_eq(m.whole, want);
        assert_int_equal(m.type, want.data[0]);
        assert_span_eq(m.body, sd_span_of(want.data + 4, want.len - 4));
        (*next)++;
    }
    assert_int_equal(rc, 0);
}

static void test_reassembler_split_at_every_offset(void **state) {
    (void)state;
    message_stream s;
    stream_init(&s);
    const uint8_t *d = s.stream.data;
    size_t n = s.stream.len;
    for (size_t k = 0; k <= n; k++) {
        sd_hs_reassembler h;
        sd_hs_reassembler_init(&h);
        size_t next = 0;
        sd_hs_reassembler_push(&h, sd_span_of(d, k));
        drain(&h, &s, &next);
        sd_hs_reassembler_push(&h, sd_span_of(d + k, n - k));
        drain(&h, &s, &next);
        assert_int_equal(next, s.count);
        assert_false(sd_hs_reassembler_has_partial(&h));
        sd_hs_reassembler_free(&h);
    }
    stream_free(&s);
}

static void test_reassembler_byte_at_a_time(void **state) {
    (void)state;
    message_stream s;
    stream_init(&s);
    sd_hs_reassembler h;
    sd_hs_reassembler_init(&h);
    size_t next = 0;
    for (size_t i = 0; i < s.stream.len; i++) {
        sd_hs_reassembler_push(&h, sd_span_of(s.stream.data + i, 1));
        drain(&h, &s, &next);
        /* A partial message is buffered exactly when the cut is not on a
         * message boundary. */
        size_t boundary = 0;
        bool on_boundary = false;
        for (size_t j = 0; j < s.count; j++) {
            boundary += s.msgs[j].len;
            on_boundary = on_boundary || boundary == i + 1;
        }
        assert_int_equal(sd_hs_reassembler_has_partial(&h), !on_boundary);
    }
    assert_int_equal(next, s.count);
    sd_hs_reassembler_free(&h);
    stream_free(&s);
}

static void test_reassembler_coalesced(void **state) {
    (void)state;
    message_stream s;
    stream_init(&s);
    sd_hs_reassembler h;
    sd_hs_reassembler_init(&h);
    sd_hs_reassembler_push(&h, sd_buf_span(&s.stream));
    /* Take every message before looking at any: all spans must stay valid
     * until the next push. */
    sd_handshake_msg got[8];
    uint8_t alert = 0;
    for (size_t i = 0; i < s.count; i++) {
        assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &got[i], &alert), 1);
    }
    sd_handshake_msg extra;
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &extra, &alert), 0);
    for (size_t i = 0; i < s.count; i++) {
        assert_span_eq(got[i].whole, sd_buf_span(&s.msgs[i]));
    }
    assert_false(sd_hs_reassembler_has_partial(&h));

    /* Three-and-a-half messages, then the rest: the half stays buffered
     * while the whole ones are handed out. */
    size_t cut = s.msgs[0].len + s.msgs[1].len + s.msgs[2].len + 10;
    sd_hs_reassembler_push(&h, sd_span_of(s.stream.data, cut));
    size_t next = 0;
    drain(&h, &s, &next);
    assert_int_equal(next, 3);
    assert_true(sd_hs_reassembler_has_partial(&h));
    sd_hs_reassembler_push(&h, sd_span_of(s.stream.data + cut, s.stream.len - cut));
    drain(&h, &s, &next);
    assert_int_equal(next, s.count);
    sd_hs_reassembler_free(&h);
    stream_free(&s);
}

static void test_reassembler_max_len(void **state) {
    (void)state;
    /* A header declaring 2^24 - 1 bytes is refused at once, before any body
     * arrives, and the refusal is final. */
    static const uint8_t hdr[] = {SD_Certificate, 0xff, 0xff, 0xff};
    sd_hs_reassembler h;
    sd_hs_reassembler_init(&h);
    sd_hs_reassembler_push(&h, sd_span_of(hdr, 3));
    sd_handshake_msg m;
    uint8_t alert = 0;
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 0);
    sd_hs_reassembler_push(&h, sd_span_of(hdr + 3, 1));
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), -1);
    assert_int_equal(alert, SD_illegal_parameter);
    alert = 0;
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), -1);
    assert_int_equal(alert, SD_illegal_parameter);
    sd_hs_reassembler_free(&h);

    /* max_len itself is allowed; one more is not. */
    sd_buf msg = from_hex(RFC8448_SERVER_FINISHED);
    sd_hs_reassembler_init(&h);
    sd_hs_reassembler_push(&h, sd_buf_span(&msg));
    assert_int_equal(sd_hs_reassembler_next(&h, 31, &m, &alert), -1);
    assert_int_equal(sd_hs_reassembler_next(&h, 32, &m, &alert), 1);
    assert_span_eq(m.whole, sd_buf_span(&msg));
    sd_hs_reassembler_free(&h);
    sd_buf_free(&msg);

    /* An empty body is a whole message. */
    static const uint8_t empty[] = {SD_ServerHelloDone, 0, 0, 0};
    sd_hs_reassembler_init(&h);
    sd_hs_reassembler_push(&h, sd_span_of(empty, sizeof empty));
    assert_int_equal(sd_hs_reassembler_next(&h, 0, &m, &alert), 1);
    assert_int_equal(m.type, SD_ServerHelloDone);
    assert_int_equal(m.body.len, 0);
    assert_int_equal(m.whole.len, 4);
    sd_hs_reassembler_free(&h);
}

static void test_reassembler_odd_cases(void **state) {
    (void)state;
    sd_buf msgs = from_hex(RFC8448_SERVER_FINISHED);
    sd_buf_append_span(&msgs, sd_buf_span(&msgs)); /* the message twice */
    sd_hs_reassembler h;
    sd_hs_reassembler_init(&h);
    sd_handshake_msg m;
    uint8_t alert = 0;
    /* Nothing pushed yet, and empty pushes. */
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 0);
    assert_false(sd_hs_reassembler_has_partial(&h));
    sd_hs_reassembler_push(&h, sd_span_of(NULL, 0));
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 0);

    /* Pushing back bytes the reassembler itself handed out (a message span
     * points into its buffer) must not read freed or moved memory. */
    sd_hs_reassembler_push(&h, sd_span_of(msgs.data, msgs.len - 1));
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 1);
    sd_span first = m.whole;
    sd_hs_reassembler_push(&h, sd_span_of(first.data + first.len - 1, 1)); /* the missing last byte */
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 1);
    assert_span_eq(m.whole, sd_span_of(msgs.data, msgs.len / 2));
    sd_hs_reassembler_push(&h, m.whole); /* a third copy, from inside */
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 1);
    assert_span_eq(m.whole, sd_span_of(msgs.data, msgs.len / 2));
    assert_false(sd_hs_reassembler_has_partial(&h));

    /* A failed buffer (out of memory) is final: internal_error (§6.2). */
    h.pending.failed = true;
    assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), -1);
    assert_int_equal(alert, SD_internal_error);
    sd_hs_reassembler_free(&h);
    sd_buf_free(&msgs);
}

/* --- RFC 8448 §3: every message parses and rebuilds byte-exact ------------------ */

static void test_rfc8448_client_hello(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_CLIENT_HELLO);
    assert_int_equal(msg.len, 196);
    sd_span body = body_of(sd_buf_span(&msg), SD_ClientHello);
    sd_client_hello ch;
    uint8_t alert = 0;
    assert_true(sd_parse_client_hello(body, &ch, &alert));
    assert_int_equal(ch.legacy_version, SD_TLS12);
    assert_span_hex(ch.random, "cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2 1a 8d 99 12 ec 18 a2 "
                               "ef 62 83 02 4d ec e7");
    assert_int_equal(ch.legacy_session_id.len, 0);
    assert_span_hex(ch.compression_methods, "00");
    assert_true(ch.has_extensions);
    assert_int_equal(ch.extensions.len, 0x91);

    sd_u16_list suites;
    assert_true(sd_u16_list_parse(ch.cipher_suites, 0, false, &suites, &alert));
    assert_int_equal(sd_u16_list_count(suites), 3);
    assert_int_equal(sd_u16_list_at(suites, 0), SD_TLS_AES_128_GCM_SHA256);
    assert_int_equal(sd_u16_list_at(suites, 1), SD_TLS_CHACHA20_POLY1305_SHA256);
    assert_int_equal(sd_u16_list_at(suites, 2), SD_TLS_AES_256_GCM_SHA384);
    assert_int_equal(sd_u16_list_at(suites, 3), 0); /* out of range */
    assert_true(sd_u16_list_contains(suites, 0x1302));
    assert_false(sd_u16_list_contains(suites, 0x1304));

    /* The extensions, in order. */
    static const uint16_t want_types[] = {
        SD_server_name,      SD_renegotiation_info, SD_supported_groups,     SD_session_ticket,
        SD_key_share,        SD_supported_versions, SD_signature_algorithms, SD_psk_key_exchange_modes,
        SD_record_size_limit};
    sd_reader it = sd_reader_of(ch.extensions);
    uint16_t type;
    sd_span ext;
    size_t i = 0;
    while (sd_extensions_next(&it, &type, &ext, &alert) == 1) {
        assert_true(i < sizeof want_types / sizeof want_types[0]);
        assert_int_equal(type, want_types[i]);
        i++;
    }
    assert_int_equal(i, sizeof want_types / sizeof want_types[0]);
    assert_true(sd_extensions_check(ch.extensions, &alert));

    /* server_name: "server" */
    sd_span host;
    assert_true(sd_extensions_find(ch.extensions, SD_server_name, &ext));
    assert_true(sd_parse_server_name(ext, &host, &alert));
    assert_int_equal(host.len, 6);
    assert_memory_equal(host.data, "server", 6);
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_build_server_name(&rebuilt, host);
    assert_span_eq(sd_buf_span(&rebuilt), ext);

    /* supported_groups */
    sd_u16_list groups;
    assert_true(sd_extensions_find(ch.extensions, SD_supported_groups, &ext));
    assert_true(sd_u16_list_parse(ext, 2, false, &groups, &alert));
    assert_int_equal(sd_u16_list_count(groups), 9);
    assert_int_equal(sd_u16_list_at(groups, 0), SD_x25519);
    assert_true(sd_u16_list_contains(groups, SD_secp256r1));
    uint16_t g[9];
    for (size_t j = 0; j < 9; j++) {
        g[j] = sd_u16_list_at(groups, j);
    }
    sd_buf_reset(&rebuilt);
    sd_build_u16_list(&rebuilt, 2, g, 9);
    assert_span_eq(sd_buf_span(&rebuilt), ext);

    /* key_share: one x25519 entry with the client's public key */
    sd_span entries;
    assert_true(sd_extensions_find(ch.extensions, SD_key_share, &ext));
    assert_true(sd_parse_key_share_ch(ext, &entries, &alert));
    sd_reader ks = sd_reader_of(entries);
    sd_key_share_entry e;
    assert_int_equal(sd_key_share_next(&ks, &e, &alert), 1);
    assert_int_equal(e.group, SD_x25519);
    assert_span_hex(e.key_exchange, RFC8448_CLIENT_X25519_PUBLIC);
    assert_int_equal(sd_key_share_next(&ks, &e, &alert), 0);
    sd_buf_reset(&rebuilt);
    size_t p = sd_buf_open_prefix(&rebuilt, 2);
    sd_build_key_share_entry(&rebuilt, SD_x25519, e.key_exchange);
    sd_buf_close_prefix(&rebuilt, p, 2);
    assert_span_eq(sd_buf_span(&rebuilt), ext);

    /* supported_versions: TLS 1.3 only */
    sd_u16_list versions;
    assert_true(sd_extensions_find(ch.extensions, SD_supported_versions, &ext));
    assert_true(sd_parse_supported_versions_ch(ext, &versions, &alert));
    assert_int_equal(sd_u16_list_count(versions), 1);
    assert_int_equal(sd_u16_list_at(versions, 0), SD_TLS13);

    /* signature_algorithms: 15 schemes, rsa_pss_rsae_sha256 among them */
    sd_u16_list sigs;
    assert_true(sd_extensions_find(ch.extensions, SD_signature_algorithms, &ext));
    assert_true(sd_u16_list_parse(ext, 2, false, &sigs, &alert));
    assert_int_equal(sd_u16_list_count(sigs), 15);
    assert_true(sd_u16_list_contains(sigs, SD_rsa_pss_rsae_sha256));

    assert_false(sd_extensions_find(ch.extensions, SD_early_data, &ext));

    /* Rebuild the extension block from its parts, then the whole message. */
    sd_buf_reset(&rebuilt);
    it = sd_reader_of(ch.extensions);
    while (sd_extensions_next(&it, &type, &ext, &alert) == 1) {
        sd_build_extension(&rebuilt, type, ext);
    }
    assert_span_eq(sd_buf_span(&rebuilt), ch.extensions);

    sd_buf_reset(&rebuilt);
    sd_build_client_hello(&rebuilt, &ch);
    assert_rebuilds(sd_buf_span(&msg), SD_ClientHello, &rebuilt);

    sd_buf_free(&rebuilt);
    sd_buf_free(&msg);
}

static void test_rfc8448_server_hello(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_SERVER_HELLO);
    sd_span body = body_of(sd_buf_span(&msg), SD_ServerHello);
    sd_server_hello sh;
    uint8_t alert = 0;
    assert_true(sd_parse_server_hello(body, &sh, &alert));
    assert_int_equal(sh.legacy_version, SD_TLS12);
    assert_int_equal(sh.random.len, SD_RANDOM_LEN);
    assert_int_equal(sh.random.data[0], 0xa6);
    assert_int_equal(sh.legacy_session_id_echo.len, 0);
    assert_int_equal(sh.cipher_suite, SD_TLS_AES_128_GCM_SHA256);
    assert_int_equal(sh.legacy_compression_method, 0);
    assert_false(sd_server_hello_is_hrr(&sh));
    assert_true(sd_extensions_check(sh.extensions, &alert));

    sd_span ext;
    sd_key_share_entry e;
    assert_true(sd_extensions_find(sh.extensions, SD_key_share, &ext));
    assert_true(sd_parse_key_share_sh(ext, &e, &alert));
    assert_int_equal(e.group, SD_x25519);
    assert_span_hex(e.key_exchange, RFC8448_SERVER_X25519_PUBLIC);
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_build_key_share_entry(&rebuilt, e.group, e.key_exchange);
    assert_span_eq(sd_buf_span(&rebuilt), ext);

    uint16_t version;
    assert_true(sd_extensions_find(sh.extensions, SD_supported_versions, &ext));
    assert_true(sd_parse_supported_versions_sh(ext, &version, &alert));
    assert_int_equal(version, SD_TLS13);

    sd_buf_reset(&rebuilt);
    sd_build_server_hello(&rebuilt, &sh);
    assert_rebuilds(sd_buf_span(&msg), SD_ServerHello, &rebuilt);
    sd_buf_free(&rebuilt);
    sd_buf_free(&msg);
}

static void test_rfc8448_encrypted_extensions(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_ENCRYPTED_EXTENSIONS);
    sd_span body = body_of(sd_buf_span(&msg), SD_EncryptedExtensions);
    sd_span exts, ext;
    uint8_t alert = 0;
    assert_true(sd_parse_encrypted_extensions(body, &exts, &alert));
    assert_true(sd_extensions_find(exts, SD_supported_groups, &ext));
    assert_int_equal(ext.len, 0x14);
    assert_true(sd_extensions_find(exts, SD_record_size_limit, &ext));
    assert_span_hex(ext, "40 01");
    /* The server's server_name is empty (RFC 6066 §3). */
    assert_true(sd_extensions_find(exts, SD_server_name, &ext));
    assert_int_equal(ext.len, 0);

    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_build_encrypted_extensions(&rebuilt, exts);
    assert_rebuilds(sd_buf_span(&msg), SD_EncryptedExtensions, &rebuilt);
    sd_buf_free(&rebuilt);
    sd_buf_free(&msg);
}

static void test_rfc8448_certificate(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_CERTIFICATE);
    sd_span body = body_of(sd_buf_span(&msg), SD_Certificate);
    sd_certificate c;
    uint8_t alert = 0;
    assert_true(sd_parse_certificate(body, &c, &alert));
    assert_int_equal(c.request_context.len, 0);
    assert_int_equal(c.certificate_list.len, 0x1b5);

    sd_reader it = sd_reader_of(c.certificate_list);
    sd_certificate_entry e;
    sd_buf list;
    sd_buf_init(&list);
    size_t n = 0;
    while (sd_certificate_next_entry(&it, &e, &alert) == 1) {
        assert_int_equal(e.cert_data.len, 0x1b0);
        assert_int_equal(e.cert_data.data[0], 0x30); /* DER SEQUENCE */
        assert_int_equal(e.extensions.len, 0);
        sd_build_certificate_entry(&list, e.cert_data, e.extensions);
        n++;
    }
    assert_int_equal(n, 1);
    assert_span_eq(sd_buf_span(&list), c.certificate_list);

    sd_certificate again = {c.request_context, sd_buf_span(&list)};
    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_build_certificate(&rebuilt, &again);
    assert_rebuilds(sd_buf_span(&msg), SD_Certificate, &rebuilt);
    sd_buf_free(&rebuilt);
    sd_buf_free(&list);
    sd_buf_free(&msg);
}

static void test_rfc8448_certificate_verify(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_CERTIFICATE_VERIFY);
    sd_span body = body_of(sd_buf_span(&msg), SD_CertificateVerify);
    sd_certificate_verify cv;
    uint8_t alert = 0;
    assert_true(sd_parse_certificate_verify(body, &cv, &alert));
    assert_int_equal(cv.algorithm, SD_rsa_pss_rsae_sha256);
    assert_int_equal(cv.signature.len, 128);

    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_build_certificate_verify(&rebuilt, &cv);
    assert_rebuilds(sd_buf_span(&msg), SD_CertificateVerify, &rebuilt);
    sd_buf_free(&rebuilt);
    sd_buf_free(&msg);
}

static void test_rfc8448_finished(void **state) {
    (void)state;
    /* Finished is opaque verify_data[Hash.length] (§4.4.4): its only
     * structure is the framing. */
    static const char *const fins[2][2] = {
        {RFC8448_SERVER_FINISHED, RFC8448_SERVER_FINISHED_VERIFY_DATA},
        {RFC8448_CLIENT_FINISHED, RFC8448_CLIENT_FINISHED_VERIFY_DATA},
    };
    for (size_t i = 0; i < 2; i++) {
        sd_buf msg = from_hex(fins[i][0]);
        sd_hs_reassembler h;
        sd_hs_reassembler_init(&h);
        sd_hs_reassembler_push(&h, sd_buf_span(&msg));
        sd_handshake_msg m;
        uint8_t alert = 0;
        assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 1);
        assert_int_equal(m.type, SD_Finished);
        assert_span_hex(m.body, fins[i][1]);
        sd_buf body;
        sd_buf_init(&body);
        sd_buf_append_span(&body, m.body);
        assert_rebuilds(sd_buf_span(&msg), SD_Finished, &body);
        sd_buf_free(&body);
        sd_hs_reassembler_free(&h);
        sd_buf_free(&msg);
    }
}

static void test_rfc8448_new_session_ticket(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_NEW_SESSION_TICKET);
    sd_span body = body_of(sd_buf_span(&msg), SD_NewSessionTicket);
    sd_new_session_ticket t;
    uint8_t alert = 0;
    assert_true(sd_parse_new_session_ticket(body, &t, &alert));
    assert_int_equal(t.ticket_lifetime, 30);
    assert_int_equal(t.ticket_age_add, 0xfad6aac5);
    assert_span_hex(t.ticket_nonce, "00 00");
    assert_int_equal(t.ticket.len, 0xb2);
    sd_span ext;
    assert_true(sd_extensions_find(t.extensions, SD_early_data, &ext));
    assert_span_hex(ext, "00 00 04 00"); /* max_early_data_size 1024 */

    sd_buf rebuilt;
    sd_buf_init(&rebuilt);
    sd_build_new_session_ticket(&rebuilt, &t);
    assert_rebuilds(sd_buf_span(&msg), SD_NewSessionTicket, &rebuilt);
    sd_buf_free(&rebuilt);
    sd_buf_free(&msg);
}

/* The server's handshake flight from RFC 8448 is one record carrying four
 * messages: opened (by the crypto layer) it is their concatenation. Here the
 * plaintext is assembled and pushed as one fragment. */
static void test_rfc8448_flight_through_reassembler(void **state) {
    (void)state;
    static const char *const flight[] = {RFC8448_ENCRYPTED_EXTENSIONS, RFC8448_CERTIFICATE,
                                         RFC8448_CERTIFICATE_VERIFY, RFC8448_SERVER_FINISHED};
    static const uint8_t types[] = {SD_EncryptedExtensions, SD_Certificate, SD_CertificateVerify,
                                    SD_Finished};
    sd_buf all;
    sd_buf_init(&all);
    for (size_t i = 0; i < 4; i++) {
        assert_true(sd_hex_decode(flight[i], strlen(flight[i]), &all));
    }
    assert_int_equal(all.len, 657); /* RFC 8448: 674 - 16 (tag) - 1 (type) */
    sd_hs_reassembler h;
    sd_hs_reassembler_init(&h);
    sd_hs_reassembler_push(&h, sd_buf_span(&all));
    for (size_t i = 0; i < 4; i++) {
        sd_handshake_msg m;
        uint8_t alert = 0;
        assert_int_equal(sd_hs_reassembler_next(&h, 1 << 16, &m, &alert), 1);
        assert_int_equal(m.type, types[i]);
        assert_span_hex(m.whole, flight[i]);
    }
    sd_hs_reassembler_free(&h);
    sd_buf_free(&all);
}

/* --- Malformed messages ------------------------------------------------------------ */

static void test_truncation_at_every_offset(void **state) {
    (void)state;
    struct {
        const char *hex;
        uint8_t type;
        parse_fn parse;
        size_t valid_at; /* a legitimate shorter form, or SIZE_MAX */
    } cases[] = {
        /* A ClientHello may end after compression_methods (RFC 5246
         * §7.4.1.2): 2 + 32 + 1 + (2 + 6) + (1 + 1) = 45. */
        {RFC8448_CLIENT_HELLO, SD_ClientHello, parse_ch, 45},
        /* A ServerHello likewise (RFC 5246 §7.4.1.3): 2 + 32 + 1 + 2 + 1. */
        {RFC8448_SERVER_HELLO, SD_ServerHello, parse_sh, 38},
        {RFC8448_ENCRYPTED_EXTENSIONS, SD_EncryptedExtensions, parse_ee, SIZE_MAX},
        {RFC8448_CERTIFICATE, SD_Certificate, parse_cert, SIZE_MAX},
        {RFC8448_CERTIFICATE_VERIFY, SD_CertificateVerify, parse_cv, SIZE_MAX},
        {RFC8448_NEW_SESSION_TICKET, SD_NewSessionTicket, parse_nst, SIZE_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sd_buf msg = from_hex(cases[i].hex);
        sd_span body = body_of(sd_buf_span(&msg), cases[i].type);
        check_every_truncation(cases[i].parse, body, cases[i].valid_at);
        check_trailing_byte(cases[i].parse, body);
        sd_buf_free(&msg);
    }
}

static void test_truncated_extension_bodies(void **state) {
    (void)state;
    sd_buf msg = from_hex(RFC8448_CLIENT_HELLO);
    sd_client_hello ch;
    uint8_t alert = 0;
    assert_true(sd_parse_client_hello(body_of(sd_buf_span(&msg), SD_ClientHello), &ch, &alert));
    struct {
        uint16_t type;
        parse_fn parse;
    } cases[] = {
        {SD_supported_versions, parse_sv_ch},
        {SD_key_share, parse_ks_ch},
        {SD_server_name, parse_sni},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sd_span ext;
        assert_true(sd_extensions_find(ch.extensions, cases[i].type, &ext));
        check_every_truncation(cases[i].parse, ext, SIZE_MAX);
        check_trailing_byte(cases[i].parse, ext);
    }
    sd_buf_free(&msg);

    sd_buf sh = from_hex(RFC8448_SERVER_HELLO);
    sd_server_hello s;
    assert_true(sd_parse_server_hello(body_of(sd_buf_span(&sh), SD_ServerHello), &s, &alert));
    sd_span ext;
    assert_true(sd_extensions_find(s.extensions, SD_key_share, &ext));
    check_every_truncation(parse_ks_sh, ext, SIZE_MAX);
    check_trailing_byte(parse_ks_sh, ext);
    sd_buf_free(&sh);
}

/* Builds a ClientHello body from parts, for the malformed-field cases. */
static void build_ch(sd_buf *out, size_t session_id_len, const char *suites_hex, const char *compression_hex,
                     const char *extensions_hex) {
    sd_client_hello ch;
    memset(&ch, 0, sizeof ch);
    static const uint8_t zeros[64] = {0};
    sd_buf suites = from_hex(suites_hex), comp = from_hex(compression_hex);
    sd_buf exts;
    sd_buf_init(&exts);
    ch.legacy_version = SD_TLS12;
    ch.random = sd_span_of(zeros, 32);
    ch.legacy_session_id = sd_span_of(zeros, session_id_len);
    ch.cipher_suites = sd_buf_span(&suites);
    ch.compression_methods = sd_buf_span(&comp);
    ch.has_extensions = extensions_hex != NULL;
    if (extensions_hex != NULL) {
        assert_true(sd_hex_decode(extensions_hex, strlen(extensions_hex), &exts));
        ch.extensions = sd_buf_span(&exts);
    }
    sd_buf_reset(out);
    sd_build_client_hello(out, &ch);
    assert_false(out->failed);
    sd_buf_free(&suites);
    sd_buf_free(&comp);
    sd_buf_free(&exts);
}

static void expect_ch(const sd_buf *b, bool ok, uint8_t want_alert) {
    uint8_t alert = 0xEE;
    assert_int_equal(parse_copy(parse_ch, b->data, b->len, &alert), ok);
    assert_int_equal(alert, ok ? 0xEE : want_alert);
}

static void test_client_hello_fields(void **state) {
    (void)state;
    sd_buf b;
    sd_buf_init(&b);
    build_ch(&b, 32, "1301", "00", "");
    expect_ch(&b, true, 0);
    /* legacy_session_id<0..32>: 33 is out of range. */
    build_ch(&b, 33, "1301", "00", "");
    expect_ch(&b, false, SD_decode_error);
    /* cipher_suites<2..2^16-2>: empty and odd lengths cannot be decoded. */
    build_ch(&b, 0, "", "00", "");
    expect_ch(&b, false, SD_decode_error);
    build_ch(&b, 0, "130102", "00", "");
    expect_ch(&b, false, SD_decode_error);
    /* legacy_compression_methods<1..2^8-1>: empty is out of range. */
    build_ch(&b, 0, "1301", "", "");
    expect_ch(&b, false, SD_decode_error);
    /* Values are not the codec's business: a TLS 1.3 model refuses
     * compression 01, the codec parses it. */
    build_ch(&b, 0, "1301", "0100", "");
    expect_ch(&b, true, 0);
    /* A malformed extension block: a length running past the block. */
    build_ch(&b, 0, "1301", "00", "0000 0005 0000");
    expect_ch(&b, false, SD_decode_error);
    /* Half an extension header. */
    build_ch(&b, 0, "1301", "00", "00");
    expect_ch(&b, false, SD_decode_error);

    /* No extensions at all, and an empty block: both parse, both rebuild. */
    build_ch(&b, 0, "1301", "00", NULL);
    sd_client_hello ch;
    uint8_t alert = 0;
    assert_true(sd_parse_client_hello(sd_buf_span(&b), &ch, &alert));
    assert_false(ch.has_extensions);
    assert_int_equal(ch.extensions.len, 0);
    sd_buf again;
    sd_buf_init(&again);
    sd_build_client_hello(&again, &ch);
    assert_span_eq(sd_buf_span(&again), sd_buf_span(&b));

    build_ch(&b, 0, "1301", "00", "");
    assert_true(sd_parse_client_hello(sd_buf_span(&b), &ch, &alert));
    assert_true(ch.has_extensions);
    assert_int_equal(ch.extensions.len, 0);
    sd_buf_reset(&again);
    sd_build_client_hello(&again, &ch);
    assert_span_eq(sd_buf_span(&again), sd_buf_span(&b));

    /* A parse failure leaves the output untouched. */
    build_ch(&b, 33, "1301", "00", "");
    memset(&ch, 0x5a, sizeof ch);
    assert_false(sd_parse_client_hello(sd_buf_span(&b), &ch, &alert));
    assert_int_equal(ch.legacy_version, 0x5a5a);

    sd_buf_free(&again);
    sd_buf_free(&b);
}

static void test_duplicate_extensions(void **state) {
    (void)state;
    uint8_t alert = 0;
    sd_buf blk = from_hex("002b 0003 020304  0033 0002 0000  002b 0003 020303");
    /* Each extension is well-formed, so iteration succeeds... */
    sd_reader it = sd_reader_of(sd_buf_span(&blk));
    uint16_t type;
    sd_span body;
    int n = 0;
    while (sd_extensions_next(&it, &type, &body, &alert) == 1) {
        n++;
    }
    assert_int_equal(n, 3);
    /* ...but the block is refused: RFC 8446 §4.2, decode_error (see
     * handshake.c for why this alert). */
    assert_false(sd_extensions_check(sd_buf_span(&blk), &alert));
    assert_int_equal(alert, SD_decode_error);
    /* find returns the first. */
    assert_true(sd_extensions_find(sd_buf_span(&blk), SD_supported_versions, &body));
    assert_span_hex(body, "020304");

    /* Every message parser refuses a block with duplicates. */
    sd_buf b;
    sd_buf_init(&b);
    build_ch(&b, 0, "1301", "00", "0000 0000 0000 0000");
    expect_ch(&b, false, SD_decode_error);
    build_ch(&b, 0, "1301", "00", "0000 0000 0001 0000"); /* distinct types */
    expect_ch(&b, true, 0);

    sd_buf_reset(&b);
    sd_build_encrypted_extensions(&b, sd_buf_span(&blk));
    alert = 0;
    assert_false(parse_copy(parse_ee, b.data, b.len, &alert));
    assert_int_equal(alert, SD_decode_error);

    /* Types that differ only in the high byte, and 0 vs 65535, are distinct. */
    sd_buf distinct = from_hex("0001 0000 0101 0000 0000 0000 ffff 0000");
    assert_true(sd_extensions_check(sd_buf_span(&distinct), &alert));
    sd_buf_free(&distinct);

    /* Malformed blocks: decode_error from check, false from find, -1 from next. */
    sd_buf bad = from_hex("0000 0001");
    alert = 0;
    assert_false(sd_extensions_check(sd_buf_span(&bad), &alert));
    assert_int_equal(alert, SD_decode_error);
    assert_false(sd_extensions_find(sd_buf_span(&bad), 0, &body));
    it = sd_reader_of(sd_buf_span(&bad));
    assert_int_equal(sd_extensions_next(&it, &type, &body, &alert), -1);
    assert_int_equal(it.len, 4);                                   /* not advanced */
    assert_true(sd_extensions_check(sd_span_of(NULL, 0), &alert)); /* empty block */

    /* Builders write duplicates if told to: mutators need that. */
    sd_buf_reset(&b);
    sd_build_extension(&b, SD_key_share, sd_span_of(NULL, 0));
    sd_build_extension(&b, SD_key_share, sd_span_of(NULL, 0));
    assert_span_hex(sd_buf_span(&b), "0033 0000 0033 0000");

    sd_buf_free(&bad);
    sd_buf_free(&b);
    sd_buf_free(&blk);
}

static void test_server_hello_and_hrr(void **state) {
    (void)state;
    /* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with the special
     * random. */
    sd_buf exts;
    sd_buf_init(&exts);
    sd_buf sel;
    sd_buf_init(&sel);
    sd_buf_u16(&sel, SD_TLS13);
    sd_build_extension(&exts, SD_supported_versions, sd_buf_span(&sel));
    sd_buf_reset(&sel);
    sd_buf_u16(&sel, SD_secp256r1);
    sd_build_extension(&exts, SD_key_share, sd_buf_span(&sel));
    sd_server_hello hrr = {
        .legacy_version = SD_TLS12,
        .random = sd_span_of(sd_hrr_random, SD_RANDOM_LEN),
        .legacy_session_id_echo = sd_span_of(sd_hrr_random, 32),
        .cipher_suite = SD_TLS_AES_128_GCM_SHA256,
        .legacy_compression_method = 0,
        .extensions = sd_buf_span(&exts),
    };
    sd_buf b;
    sd_buf_init(&b);
    sd_build_server_hello(&b, &hrr);
    sd_server_hello sh;
    uint8_t alert = 0;
    assert_true(sd_parse_server_hello(sd_buf_span(&b), &sh, &alert));
    assert_true(sd_server_hello_is_hrr(&sh));
    assert_int_equal(sh.legacy_session_id_echo.len, 32);
    sd_span ext;
    uint16_t group;
    assert_true(sd_extensions_find(sh.extensions, SD_key_share, &ext));
    assert_true(sd_parse_key_share_hrr(ext, &group, &alert));
    assert_int_equal(group, SD_secp256r1);
    /* selected_group is exactly one u16. */
    static const uint8_t three[] = {0, 23, 0};
    alert = 0;
    assert_false(sd_parse_key_share_hrr(sd_span_of(three, 3), &group, &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_parse_key_share_hrr(sd_span_of(three, 1), &group, &alert));
    assert_int_equal(alert, SD_decode_error);
    /* The special value itself: SHA-256("HelloRetryRequest"). */
    assert_span_hex(
        sd_span_of(sd_hrr_random, SD_RANDOM_LEN),
        "CF 21 AD 74 E5 9A 61 11 BE 1D 8C 02 1E 65 B8 91 C2 A2 11 16 7A BB 8C 5E 07 9E 09 E2 C8 A8 33 9C");

    /* Any other random is not an HRR. */
    uint8_t other[SD_RANDOM_LEN];
    memcpy(other, sd_hrr_random, sizeof other);
    other[31] ^= 1;
    sh.random = sd_span_of(other, sizeof other);
    assert_false(sd_server_hello_is_hrr(&sh));
    sh.random = sd_span_of(sd_hrr_random, 31);
    assert_false(sd_server_hello_is_hrr(&sh));

    /* Session id echo over 32 is out of range. */
    static const uint8_t long_id[33] = {0};
    hrr.legacy_session_id_echo = sd_span_of(long_id, 33);
    sd_buf_reset(&b);
    sd_build_server_hello(&b, &hrr);
    alert = 0;
    assert_false(parse_copy(parse_sh, b.data, b.len, &alert));
    assert_int_equal(alert, SD_decode_error);

    /* A TLS 1.2 ServerHello without extensions parses with an empty block. */
    static const uint8_t sh12[] = {
        0x03, 0x03, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14,   15,   16,   17,
        18,   19,   20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 0x00, 0xc0, 0x2f, 0x00,
    };
    assert_true(sd_parse_server_hello(sd_span_of(sh12, sizeof sh12), &sh, &alert));
    assert_int_equal(sh.cipher_suite, 0xc02f);
    assert_int_equal(sh.extensions.len, 0);

    sd_buf_free(&b);
    sd_buf_free(&sel);
    sd_buf_free(&exts);
}

static void test_certificate_fields(void **state) {
    (void)state;
    uint8_t alert = 0;
    sd_certificate c;
    /* An empty certificate_list is valid syntax (client without a cert). */
    sd_buf b = from_hex("00 000000");
    assert_true(sd_parse_certificate(sd_buf_span(&b), &c, &alert));
    assert_int_equal(c.certificate_list.len, 0);
    sd_buf_free(&b);
    /* A request context, two entries, one with an extension. */
    b = from_hex("02 abcd 000012  000002 3001 0000  000001 30 0005 0005 0001 01");
    assert_true(sd_parse_certificate(sd_buf_span(&b), &c, &alert));
    assert_span_hex(c.request_context, "abcd");
    sd_reader it = sd_reader_of(c.certificate_list);
    sd_certificate_entry e;
    assert_int_equal(sd_certificate_next_entry(&it, &e, &alert), 1);
    assert_span_hex(e.cert_data, "3001");
    assert_int_equal(sd_certificate_next_entry(&it, &e, &alert), 1);
    assert_span_hex(e.cert_data, "30");
    assert_span_hex(e.extensions, "0005 0001 01");
    assert_int_equal(sd_certificate_next_entry(&it, &e, &alert), 0);
    sd_buf_free(&b);
    /* cert_data<1..2^24-1>: an empty one is out of range. */
    b = from_hex("00 000005 000000 0000");
    alert = 0;
    assert_false(sd_parse_certificate(sd_buf_span(&b), &c, &alert));
    assert_int_equal(alert, SD_decode_error);
    it = sd_reader_of(sd_span_of(b.data + 4, 5));
    alert = 0;
    assert_int_equal(sd_certificate_next_entry(&it, &e, &alert), -1);
    assert_int_equal(alert, SD_decode_error);
    assert_int_equal(it.len, 5); /* not advanced */
    sd_buf_free(&b);
    /* An entry whose extensions are malformed, or duplicated. */
    b = from_hex("00 00000a 000001 30 0005 0005 0002 01");
    alert = 0;
    assert_false(sd_parse_certificate(sd_buf_span(&b), &c, &alert));
    assert_int_equal(alert, SD_decode_error);
    sd_buf_free(&b);
    b = from_hex("00 00000e 000001 30 0008 0005 0000 0005 0000");
    alert = 0;
    assert_false(sd_parse_certificate(sd_buf_span(&b), &c, &alert));
    assert_int_equal(alert, SD_decode_error);
    sd_buf_free(&b);
    /* A list that ends inside an entry. */
    b = from_hex("00 000004 000001 30");
    alert = 0;
    assert_false(sd_parse_certificate(sd_buf_span(&b), &c, &alert));
    assert_int_equal(alert, SD_decode_error);
    sd_buf_free(&b);
}

static void test_certificate_verify_fields(void **state) {
    (void)state;
    uint8_t alert = 0;
    sd_certificate_verify cv;
    /* An empty signature is valid syntax; it fails verification later with
     * decrypt_error (§4.4.3), so the codec must not call it decode_error. */
    sd_buf b = from_hex("0804 0000");
    assert_true(sd_parse_certificate_verify(sd_buf_span(&b), &cv, &alert));
    assert_int_equal(cv.signature.len, 0);
    sd_buf again;
    sd_buf_init(&again);
    sd_build_certificate_verify(&again, &cv);
    assert_span_eq(sd_buf_span(&again), sd_buf_span(&b));
    sd_buf_free(&again);
    sd_buf_free(&b);
    b = from_hex("0804");
    alert = 0;
    assert_false(sd_parse_certificate_verify(sd_buf_span(&b), &cv, &alert));
    assert_int_equal(alert, SD_decode_error);
    sd_buf_free(&b);
}

static void test_new_session_ticket_fields(void **state) {
    (void)state;
    uint8_t alert = 0;
    sd_new_session_ticket t;
    /* ticket<1..2^16-1>: empty is out of range. */
    sd_buf b = from_hex("00000001 00000002 00 0000 0000");
    assert_false(sd_parse_new_session_ticket(sd_buf_span(&b), &t, &alert));
    assert_int_equal(alert, SD_decode_error);
    sd_buf_free(&b);
    b = from_hex("00000001 00000002 00 0001 aa 0000");
    assert_true(sd_parse_new_session_ticket(sd_buf_span(&b), &t, &alert));
    assert_int_equal(t.ticket_nonce.len, 0);
    assert_span_hex(t.ticket, "aa");
    sd_buf_free(&b);

    /* extensions<0..2^16-2>: a block of 2^16-1 bytes is out of range, even
     * if it is well-formed; 2^16-2 is fine. */
    for (size_t block_len = 0xFFFE; block_len <= 0xFFFF; block_len++) {
        sd_buf big;
        sd_buf_init(&big);
        sd_buf_u32(&big, 1);
        sd_buf_u32(&big, 2);
        sd_buf_u8(&big, 0);
        sd_buf_u16(&big, 1);
        sd_buf_u8(&big, 0xaa);
        size_t p = sd_buf_open_prefix(&big, 2);
        sd_buf_u16(&big, SD_padding);
        size_t q = sd_buf_open_prefix(&big, 2);
        for (size_t i = 0; i < block_len - 4; i++) {
            sd_buf_u8(&big, 0);
        }
        sd_buf_close_prefix(&big, q, 2);
        sd_buf_close_prefix(&big, p, 2);
        assert_false(big.failed);
        alert = 0xEE;
        bool ok = sd_parse_new_session_ticket(sd_buf_span(&big), &t, &alert);
        assert_int_equal(ok, block_len == 0xFFFE);
        assert_int_equal(alert, ok ? 0xEE : SD_decode_error);
        sd_buf_free(&big);
    }
}

static void test_supported_versions(void **state) {
    (void)state;
    uint8_t alert;
    sd_u16_list l;
    uint16_t v;
    struct {
        const char *hex;
        bool ok;
    } ch_cases[] = {
        {"02 0304", true},     {"06 0304 0303 7f1c", true}, {"00", false}, /* versions<2..254>: empty */
        {"03 030403", false},                                              /* odd */
        {"02 0304 00", false},                                             /* trailing */
        {"04 0304", false},                                                /* runs past the end */
        {"", false},
    };
    for (size_t i = 0; i < sizeof ch_cases / sizeof ch_cases[0]; i++) {
        sd_buf b = from_hex(ch_cases[i].hex);
        alert = 0xEE;
        assert_int_equal(sd_parse_supported_versions_ch(sd_buf_span(&b), &l, &alert), ch_cases[i].ok);
        assert_int_equal(alert, ch_cases[i].ok ? 0xEE : SD_decode_error);
        sd_buf_free(&b);
    }
    static const uint8_t sv[] = {0x03, 0x04, 0x00};
    assert_true(sd_parse_supported_versions_sh(sd_span_of(sv, 2), &v, &alert));
    assert_int_equal(v, SD_TLS13);
    alert = 0;
    assert_false(sd_parse_supported_versions_sh(sd_span_of(sv, 3), &v, &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_parse_supported_versions_sh(sd_span_of(sv, 1), &v, &alert));
    assert_int_equal(alert, SD_decode_error);

    /* Built from an array, parsed back. */
    static const uint16_t versions[] = {SD_TLS13, SD_TLS12};
    sd_buf b;
    sd_buf_init(&b);
    sd_build_u16_list(&b, 1, versions, 2);
    assert_span_hex(sd_buf_span(&b), "04 0304 0303");
    assert_true(sd_parse_supported_versions_ch(sd_buf_span(&b), &l, &alert));
    assert_int_equal(sd_u16_list_count(l), 2);
    assert_int_equal(sd_u16_list_at(l, 1), SD_TLS12);
    sd_buf_free(&b);
}

static void test_u16_lists(void **state) {
    (void)state;
    uint8_t alert = 0;
    sd_u16_list l;
    sd_buf b = from_hex("0004 001d 0017");
    assert_true(sd_u16_list_parse(sd_buf_span(&b), 2, false, &l, &alert));
    assert_int_equal(sd_u16_list_count(l), 2);
    assert_int_equal(sd_u16_list_at(l, 1), SD_secp256r1);
    /* Without a prefix, the span is the list. */
    assert_true(sd_u16_list_parse(sd_span_of(b.data + 2, 4), 0, false, &l, &alert));
    assert_int_equal(sd_u16_list_at(l, 0), SD_x25519);
    /* Trailing byte after the list, odd length, empty. */
    sd_buf_u8(&b, 0);
    alert = 0;
    assert_false(sd_u16_list_parse(sd_buf_span(&b), 2, false, &l, &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_u16_list_parse(sd_span_of(b.data + 2, 3), 0, true, &l, &alert));
    assert_int_equal(alert, SD_decode_error);
    static const uint8_t empty[] = {0, 0};
    alert = 0;
    assert_false(sd_u16_list_parse(sd_span_of(empty, 2), 2, false, &l, &alert));
    assert_int_equal(alert, SD_decode_error);
    assert_true(sd_u16_list_parse(sd_span_of(empty, 2), 2, true, &l, &alert));
    assert_int_equal(sd_u16_list_count(l), 0);
    assert_false(sd_u16_list_contains(l, 0));
    sd_buf_free(&b);

    /* Build with no prefix, and with a prefix. */
    static const uint16_t v[] = {0x0403, 0x0804};
    sd_buf_init(&b);
    sd_build_u16_list(&b, 0, v, 2);
    sd_build_u16_list(&b, 2, v, 2);
    sd_build_u16_list(&b, 2, v, 0);
    assert_span_hex(sd_buf_span(&b), "0403 0804  0004 0403 0804  0000");
    sd_buf_free(&b);
}

static void test_key_share(void **state) {
    (void)state;
    uint8_t alert;
    sd_span entries;
    sd_key_share_entry e;
    struct {
        const char *hex;
        bool ok;
    } ch_cases[] = {
        {"0000", true}, /* client_shares may be empty (HRR requested) */
        {"0006 001d 0002 abcd", true},
        {"000c 001d 0002 abcd 0017 0002 0102", true},
        /* Two entries for the same group parse: refusing them is a MAY for
         * the model (§4.2.8). */
        {"000c 001d 0002 abcd 001d 0002 0102", true},
        {"0004 001d 0000", false},      /* key_exchange<1..2^16-1> */
        {"0006 001d 0003 abcd", false}, /* entry runs past the list */
        {"0007 001d 0002 abcd ef", false},
        {"0006 001d 0002 abcd 00", false}, /* trailing after the list */
        {"00", false},
    };
    for (size_t i = 0; i < sizeof ch_cases / sizeof ch_cases[0]; i++) {
        sd_buf b = from_hex(ch_cases[i].hex);
        alert = 0xEE;
        assert_int_equal(parse_copy(parse_ks_ch, b.data, b.len, &alert), ch_cases[i].ok);
        assert_int_equal(alert, ch_cases[i].ok ? 0xEE : SD_decode_error);
        sd_buf_free(&b);
    }
    /* Iterating a parsed list. */
    sd_buf b = from_hex("000c 001d 0002 abcd 0017 0002 0102");
    assert_true(sd_parse_key_share_ch(sd_buf_span(&b), &entries, &alert));
    sd_reader it = sd_reader_of(entries);
    assert_int_equal(sd_key_share_next(&it, &e, &alert), 1);
    assert_int_equal(e.group, SD_x25519);
    assert_int_equal(sd_key_share_next(&it, &e, &alert), 1);
    assert_int_equal(e.group, SD_secp256r1);
    assert_span_hex(e.key_exchange, "0102");
    assert_int_equal(sd_key_share_next(&it, &e, &alert), 0);
    sd_buf_free(&b);

    /* ServerHello form: exactly one entry. */
    b = from_hex("001d 0002 abcd 001d 0002 abcd");
    alert = 0;
    assert_false(sd_parse_key_share_sh(sd_buf_span(&b), &e, &alert));
    assert_int_equal(alert, SD_decode_error);
    alert = 0;
    assert_false(sd_parse_key_share_sh(sd_span_of(b.data, 0), &e, &alert));
    assert_int_equal(alert, SD_decode_error);
    assert_true(sd_parse_key_share_sh(sd_span_of(b.data, 6), &e, &alert));
    assert_span_hex(e.key_exchange, "abcd");
    sd_buf_free(&b);
}

/* RFC 7301 §3.1: ProtocolName<1..2^8-1>, protocol_name_list<2..2^16-1>;
 * "Empty strings MUST NOT be included and byte strings MUST NOT be
 * truncated"; a server's answer holds "exactly one "ProtocolName"". */
static void test_alpn_parse(void **state) {
    (void)state;
    struct {
        const char *hex;
        bool ok_client, ok_server;
        const char *names; /* the list content on success */
    } cases[] = {
        {"0003 026832", true, true, "026832"},
        {"000c 026832 08687474702f312e31", true, false, "026832 08687474702f312e31"},
        {"0002 0161", true, true, "0161"},
        {"", false, false, NULL},               /* no list at all */
        {"00", false, false, NULL},             /* half a length */
        {"0000", false, false, NULL},           /* list<2..>: empty */
        {"0001 00", false, false, NULL},        /* list of one empty name */
        {"0004 00 026832", false, false, NULL}, /* an empty name first */
        {"0004 026832 00", false, false, NULL}, /* an empty name last */
        {"0003 056832", false, false, NULL},    /* name runs past the list */
        {"0010 026832", false, false, NULL},    /* list runs past the body */
        {"0003 026832 00", false, false, NULL}, /* a byte after the list */
        {"0002 026832", false, false, NULL},    /* list cuts the name short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sd_buf b = from_hex(cases[i].hex);
        for (int server = 0; server <= 1; server++) {
            bool want = server ? cases[i].ok_server : cases[i].ok_client;
            uint8_t alert = 0xEE;
            sd_span names = {0};
            bool ok = sd_parse_alpn(sd_buf_span(&b), server, &names, &alert);
            assert_int_equal(ok, want);
            if (!ok) {
                assert_int_equal(alert, SD_decode_error);
                continue;
            }
            assert_int_equal(alert, 0xEE);
            sd_buf expect = from_hex(cases[i].names);
            assert_true(sd_span_eq(names, sd_buf_span(&expect)));
            assert_true(sd_alpn_list_valid(names));
            sd_buf_free(&expect);
        }
        sd_buf_free(&b);
    }
    assert_false(sd_alpn_list_valid(sd_span_of(NULL, 0)));
}

static sd_span alpn_list(const char *text, uint8_t *buf, size_t cap) {
    size_t len = 0;
    char why[160];
    assert_true(sd_alpn_from_text(text, buf, cap, &len, why, sizeof why));
    return sd_span_of(buf, len);
}

static bool alpn_name_is(sd_span name, const char *text) {
    return sd_span_eq(name, sd_span_of((const uint8_t *)text, strlen(text)));
}

/* RFC 7301 §3.2: "the server SHOULD select the most highly preferred
 * protocol that it supports and that is also advertised by the client": the
 * server's order decides, not the client's. */
static void test_alpn_select(void **state) {
    (void)state;
    uint8_t own_buf[64], offered_buf[64];
    sd_span own = alpn_list("h2,http/1.1", own_buf, sizeof own_buf), chosen;
    assert_true(sd_alpn_select(own, alpn_list("http/1.1,h2", offered_buf, sizeof offered_buf), &chosen));
    assert_true(alpn_name_is(chosen, "h2"));
    assert_true(sd_alpn_select(own, alpn_list("spdy/1,http/1.1", offered_buf, sizeof offered_buf), &chosen));
    assert_true(alpn_name_is(chosen, "http/1.1"));
    /* No protocol in common; and names match whole, never by prefix. */
    assert_false(sd_alpn_select(own, alpn_list("spdy/1,h3", offered_buf, sizeof offered_buf), &chosen));
    assert_false(sd_alpn_select(own, alpn_list("h,h2c,http/1", offered_buf, sizeof offered_buf), &chosen));
    sd_span offered = alpn_list("h2c,http/1.1", offered_buf, sizeof offered_buf);
    assert_true(sd_alpn_contains(offered, sd_span_of((const uint8_t *)"h2c", 3)));
    assert_false(sd_alpn_contains(offered, sd_span_of((const uint8_t *)"h2", 2)));
    assert_false(sd_alpn_contains(offered, sd_span_of((const uint8_t *)"http/1.11", 9)));

    /* What is built parses back: a list, and a server's one-name answer. */
    sd_buf b;
    sd_buf_init(&b);
    sd_span names;
    uint8_t alert;
    sd_build_alpn(&b, own);
    assert_true(sd_parse_alpn(sd_buf_span(&b), false, &names, &alert));
    assert_true(sd_span_eq(names, own));
    assert_false(sd_parse_alpn(sd_buf_span(&b), true, &names, &alert));
    sd_buf_reset(&b);
    sd_build_alpn_answer(&b, sd_span_of((const uint8_t *)"h2", 2));
    assert_true(sd_parse_alpn(sd_buf_span(&b), true, &names, &alert));
    sd_reader it = sd_reader_of(names);
    sd_span first;
    assert_true(sd_alpn_next(&it, &first));
    assert_true(alpn_name_is(first, "h2"));
    assert_false(sd_alpn_next(&it, &first));
    sd_buf_free(&b);
}

/* The text form of `alpn:` and `serve --alpn`. */
static void test_alpn_from_text(void **state) {
    (void)state;
    uint8_t buf[300];
    size_t len = 0;
    char why[160];
    assert_true(sd_alpn_from_text("h2,http/1.1", buf, sizeof buf, &len, why, sizeof why));
    sd_buf want = from_hex("026832 08687474702f312e31");
    assert_true(sd_span_eq(sd_span_of(buf, len), sd_buf_span(&want)));
    sd_buf_free(&want);
    const char *bad[] = {"", ",", "h2,", ",h2", "h2,,http/1.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sd_alpn_from_text(bad[i], buf, sizeof buf, &len, why, sizeof why));
    char longest[257];
    memset(longest, 'a', 255);
    longest[255] = '\0';
    assert_true(sd_alpn_from_text(longest, buf, sizeof buf, &len, why, sizeof why));
    assert_int_equal(len, 256);
    longest[255] = 'a';
    longest[256] = '\0';
    assert_false(sd_alpn_from_text(longest, buf, sizeof buf, &len, why, sizeof why));
    /* A list that does not fit the caller's buffer is refused, not cut. */
    assert_false(sd_alpn_from_text("h2,http/1.1", buf, 5, &len, why, sizeof why));
}

static void test_server_name(void **state) {
    (void)state;
    uint8_t alert;
    sd_span host;
    struct {
        const char *hex;
        bool ok;
        uint8_t alert;
        const char *host;
    } cases[] = {
        {"0009 00 0006 736572766572", true, 0, "server"},
        /* An unknown name type before the host name is skipped (RFC 6066
         * §3: new types begin with a u16 length). */
        {"000b 05 0001 ff 00 0004 686f7374", true, 0, "host"},
        /* No host_name entry at all: no host, but valid. */
        {"0004 07 0001 ff", true, 0, ""},
        {"0000", false, SD_decode_error, NULL},         /* list<1..2^16-1> */
        {"0003 00 0000", false, SD_decode_error, NULL}, /* HostName<1..2^16-1> */
        {"0005 00 0003 6162", false, SD_decode_error, NULL},
        {"0004 00 0001 61 00", false, SD_decode_error, NULL}, /* trailing */
        {"", false, SD_decode_error, NULL},
        /* Two names of one type: "MUST NOT", illegal_parameter. */
        {"0008 00 0001 61 00 0001 62", false, SD_illegal_parameter, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sd_buf b = from_hex(cases[i].hex);
        alert = 0xEE;
        bool ok = sd_parse_server_name(sd_buf_span(&b), &host, &alert);
        assert_int_equal(ok, cases[i].ok);
        if (ok) {
            assert_int_equal(alert, 0xEE);
            assert_int_equal(host.len, strlen(cases[i].host));
            if (host.len > 0) {
                assert_memory_equal(host.data, cases[i].host, host.len);
            }
        } else {
            assert_int_equal(alert, cases[i].alert);
        }
        sd_buf_free(&b);
    }
    sd_buf b;
    sd_buf_init(&b);
    sd_build_server_name(&b, sd_span_of((const uint8_t *)"example.com", 11));
    assert_span_hex(sd_buf_span(&b), "000e 00 000b 6578616d706c652e636f6d");
    assert_true(sd_parse_server_name(sd_buf_span(&b), &host, &alert));
    assert_int_equal(host.len, 11);
    sd_buf_free(&b);
}

/* A whole ClientHello built only from builders, as the driver would, parses
 * back to the same fields. */
static void test_build_client_hello_from_parts(void **state) {
    (void)state;
    sd_buf exts, tmp;
    sd_buf_init(&exts);
    sd_buf_init(&tmp);
    sd_build_server_name(&tmp, sd_span_of((const uint8_t *)"a.test", 6));
    sd_build_extension(&exts, SD_server_name, sd_buf_span(&tmp));
    static const uint16_t versions[] = {SD_TLS13};
    sd_buf_reset(&tmp);
    sd_build_u16_list(&tmp, 1, versions, 1);
    sd_build_extension(&exts, SD_supported_versions, sd_buf_span(&tmp));
    static const uint8_t pub[32] = {9};
    sd_buf_reset(&tmp);
    size_t p = sd_buf_open_prefix(&tmp, 2);
    sd_build_key_share_entry(&tmp, SD_x25519, sd_span_of(pub, 32));
    sd_buf_close_prefix(&tmp, p, 2);
    sd_build_extension(&exts, SD_key_share, sd_buf_span(&tmp));
    assert_false(exts.failed);

    static const uint16_t suites[] = {SD_TLS_AES_128_GCM_SHA256, SD_TLS_AES_256_GCM_SHA384};
    sd_buf suite_bytes;
    sd_buf_init(&suite_bytes);
    sd_build_u16_list(&suite_bytes, 0, suites, 2);
    static const uint8_t random[32] = {1, 2, 3};
    static const uint8_t null_compression[] = {0};
    sd_client_hello ch = {
        .legacy_version = SD_TLS12,
        .random = sd_span_of(random, 32),
        .legacy_session_id = sd_span_of(random, 0),
        .cipher_suites = sd_buf_span(&suite_bytes),
        .compression_methods = sd_span_of(null_compression, 1),
        .extensions = sd_buf_span(&exts),
        .has_extensions = true,
    };
    sd_buf body, msg;
    sd_buf_init(&body);
    sd_buf_init(&msg);
    sd_build_client_hello(&body, &ch);
    sd_build_handshake(&msg, SD_ClientHello, sd_buf_span(&body), -1);
    assert_false(msg.failed);

    sd_client_hello back;
    uint8_t alert = 0;
    assert_true(sd_parse_client_hello(body_of(sd_buf_span(&msg), SD_ClientHello), &back, &alert));
    assert_span_eq(back.cipher_suites, ch.cipher_suites);
    assert_span_eq(back.extensions, ch.extensions);
    sd_span ext, host;
    assert_true(sd_extensions_find(back.extensions, SD_server_name, &ext));
    assert_true(sd_parse_server_name(ext, &host, &alert));
    assert_memory_equal(host.data, "a.test", 6);

    sd_buf_free(&msg);
    sd_buf_free(&body);
    sd_buf_free(&suite_bytes);
    sd_buf_free(&tmp);
    sd_buf_free(&exts);
}

/* NULL out_alert is allowed: a caller that only wants yes/no. */
static void test_null_alert_pointer(void **state) {
    (void)state;
    static const uint8_t junk[] = {1, 2, 3};
    sd_client_hello ch;
    assert_false(sd_parse_client_hello(sd_span_of(junk, 3), &ch, NULL));
    sd_alert a;
    assert_false(sd_parse_alert(sd_span_of(junk, 3), &a, NULL));
    static const uint8_t big[] = {0x17, 0x03, 0x03, 0xff, 0xff};
    sd_reader r = sd_reader_of(sd_span_of(big, 5));
    sd_record rec;
    assert_int_equal(sd_parse_record(&r, &rec, NULL), -1);
}

/* --- Certificate compression (RFC 8879) -------------------------------------- */

/* §3: algorithms<2..2^8-2>; an empty list, an odd length, a length that is
 * not the body's, are decode_error. */
static void test_compress_certificate_extension(void **state) {
    (void)state;
    struct {
        const char *hex;
        bool ok;
        size_t n;
    } cases[] = {
        {"02 0001", true, 1},  {"04 0002 0001", true, 2}, {"00", false, 0}, {"03 000100", false, 0},
        {"04 0001", false, 0}, {"02 0001 00", false, 0},  {"", false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sd_buf b = from_hex(cases[i].hex);
        sd_u16_list algs;
        uint8_t alert = 0xEE;
        bool ok = sd_parse_compress_certificate(sd_buf_span(&b), &algs, &alert);
        assert_int_equal(ok, cases[i].ok);
        if (ok) {
            assert_int_equal(sd_u16_list_count(algs), cases[i].n);
            uint16_t list[4];
            for (size_t k = 0; k < cases[i].n; k++) list[k] = sd_u16_list_at(algs, k);
            sd_buf again;
            sd_buf_init(&again);
            sd_build_compress_certificate(&again, list, cases[i].n);
            assert_int_equal(again.len, b.len);
            assert_memory_equal(again.data, b.data, b.len);
            sd_buf_free(&again);
        } else {
            assert_int_equal(alert, SD_decode_error);
        }
        sd_buf_free(&b);
    }
    /* The first of the peer's list this side also has, zstd never. */
    sd_buf b = from_hex("06 0003 0002 0001");
    sd_u16_list algs;
    uint8_t alert;
    assert_true(sd_parse_compress_certificate(sd_buf_span(&b), &algs, &alert));
    static const uint16_t both[] = {1, 2, 3}, zlib_only[] = {1}, zstd_only[] = {3};
    assert_int_equal(sd_cert_compression_pick(algs, both, 3), SD_CERT_COMPRESSION_BROTLI);
    assert_int_equal(sd_cert_compression_pick(algs, zlib_only, 1), SD_CERT_COMPRESSION_ZLIB);
    assert_int_equal(sd_cert_compression_pick(algs, zstd_only, 1), 0);
    sd_buf_free(&b);
    uint16_t v;
    assert_true(sd_cert_compression_from_name("brotli", 6, &v) && v == 2);
    assert_true(sd_cert_compression_from_name("0x0003", 6, &v) && v == 3);
    assert_false(sd_cert_compression_from_name("lzma", 4, &v));
    assert_false(sd_cert_compression_from_name("65536", 5, &v));
}

/* §4: the struct, with an empty compressed_certificate_message or bytes
 * after it refused as decode_error. */
static void test_compressed_certificate_parse(void **state) {
    (void)state;
    sd_compressed_certificate cc;
    uint8_t alert = 0xEE;
    sd_buf b = from_hex("0001 000100 000002 abcd");
    assert_true(sd_parse_compressed_certificate(sd_buf_span(&b), &cc, &alert));
    assert_int_equal(cc.algorithm, 1);
    assert_int_equal(cc.uncompressed_length, 256);
    assert_int_equal(cc.compressed.len, 2);
    sd_buf again;
    sd_buf_init(&again);
    sd_build_compressed_certificate(&again, &cc);
    assert_memory_equal(again.data, b.data, b.len);
    sd_buf_free(&again);
    sd_buf_free(&b);
    static const char *const bad[] = {"0001 000100 000000", "0001 000100 000002 abcd 00",
                                      "0001 000100 000003 abcd", "0001 0001", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = from_hex(bad[i]);
        alert = 0xEE;
        assert_false(sd_parse_compressed_certificate(sd_buf_span(&b), &cc, &alert));
        assert_int_equal(alert, SD_decode_error);
        sd_buf_free(&b);
    }
}

/* Both algorithms decompress what they compress to exactly the length
 * given, and refuse every other length: shorter, longer (stopping there:
 * a 4 MiB bomb is refused with 1 KiB of output room), garbage, bytes after
 * the stream, and an algorithm the build lacks. */
static void test_cert_compress_round_trip(void **state) {
    (void)state;
    uint8_t text[1000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = (uint8_t)(i * 7 % 13);
    static const uint16_t algs[] = {SD_CERT_COMPRESSION_ZLIB, SD_CERT_COMPRESSION_BROTLI};
    for (size_t a = 0; a < 2; a++) {
        sd_buf packed, out;
        sd_buf_init(&packed);
        sd_buf_init(&out);
        assert_true(sd_cert_compress(algs[a], sd_span_of(text, sizeof text), &packed));
        assert_true(packed.len < sizeof text);
        const char *why = NULL;
        assert_true(sd_cert_decompress(algs[a], sd_buf_span(&packed), sizeof text, &out, &why));
        assert_int_equal(out.len, sizeof text);
        assert_memory_equal(out.data, text, sizeof text);
        sd_buf_reset(&out);
        assert_false(sd_cert_decompress(algs[a], sd_buf_span(&packed), sizeof text - 1, &out, &why));
        assert_non_null(strstr(why, "more bytes"));
        assert_int_equal(out.len, 0);
        assert_false(sd_cert_decompress(algs[a], sd_buf_span(&packed), sizeof text + 1, &out, &why));
        assert_non_null(strstr(why, "fewer bytes"));
        sd_buf_u8(&packed, 0);
        assert_false(sd_cert_decompress(algs[a], sd_buf_span(&packed), sizeof text, &out, &why));
        static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef};
        assert_false(sd_cert_decompress(algs[a], sd_span_of(garbage, sizeof garbage), 256, &out, &why));
        /* A bomb: 4 MiB of zeros, announced as 1 KiB. */
        sd_buf zeros, bomb;
        sd_buf_init(&zeros);
        sd_buf_init(&bomb);
        for (size_t i = 0; i < (4u << 20) / sizeof text; i++) {
            uint8_t z[1000] = {0};
            sd_buf_append(&zeros, z, sizeof z);
        }
        assert_true(sd_cert_compress(algs[a], sd_buf_span(&zeros), &bomb));
        sd_buf_reset(&out);
        assert_false(sd_cert_decompress(algs[a], sd_buf_span(&bomb), 1024, &out, &why));
        assert_non_null(strstr(why, "more bytes"));
        assert_true(out.cap < (64u << 10)); /* never held more than the room it was given */
        sd_buf_free(&zeros);
        sd_buf_free(&bomb);
        sd_buf_free(&packed);
        sd_buf_free(&out);
    }
    sd_buf out;
    sd_buf_init(&out);
    const char *why = NULL;
    assert_false(sd_cert_decompress(SD_CERT_COMPRESSION_ZSTD, sd_span_of(text, 4), 4, &out, &why));
    assert_false(sd_cert_compression_supported(SD_CERT_COMPRESSION_ZSTD));
    sd_buf_free(&out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reader_reads_big_endian),
        cmocka_unit_test(test_reader_fails_without_advancing),
        cmocka_unit_test(test_span_eq),
        cmocka_unit_test(test_buf_writes_big_endian),
        cmocka_unit_test(test_buf_failure_is_sticky),
        cmocka_unit_test(test_buf_append_from_itself),
        cmocka_unit_test(test_buf_prefixes),
        cmocka_unit_test(test_buf_close_prefix_as_lies),
        cmocka_unit_test(test_lying_lengths_are_caught),
        cmocka_unit_test(test_hex_decode),
        cmocka_unit_test(test_hex_encode),
        cmocka_unit_test(test_names_both_ways),
        cmocka_unit_test(test_record_parse_and_build),
        cmocka_unit_test(test_record_partial),
        cmocka_unit_test(test_record_overflow),
        cmocka_unit_test(test_alerts),
        cmocka_unit_test(test_reassembler_split_at_every_offset),
        cmocka_unit_test(test_reassembler_byte_at_a_time),
        cmocka_unit_test(test_reassembler_coalesced),
        cmocka_unit_test(test_reassembler_max_len),
        cmocka_unit_test(test_reassembler_odd_cases),
        cmocka_unit_test(test_rfc8448_client_hello),
        cmocka_unit_test(test_rfc8448_server_hello),
        cmocka_unit_test(test_rfc8448_encrypted_extensions),
        cmocka_unit_test(test_rfc8448_certificate),
        cmocka_unit_test(test_rfc8448_certificate_verify),
        cmocka_unit_test(test_rfc8448_finished),
        cmocka_unit_test(test_rfc8448_new_session_ticket),
        cmocka_unit_test(test_rfc8448_flight_through_reassembler),
        cmocka_unit_test(test_truncation_at_every_offset),
        cmocka_unit_test(test_truncated_extension_bodies),
        cmocka_unit_test(test_client_hello_fields),
        cmocka_unit_test(test_duplicate_extensions),
        cmocka_unit_test(test_server_hello_and_hrr),
        cmocka_unit_test(test_certificate_fields),
        cmocka_unit_test(test_certificate_verify_fields),
        cmocka_unit_test(test_new_session_ticket_fields),
        cmocka_unit_test(test_supported_versions),
        cmocka_unit_test(test_u16_lists),
        cmocka_unit_test(test_key_share),
        cmocka_unit_test(test_server_name),
        cmocka_unit_test(test_alpn_parse),
        cmocka_unit_test(test_alpn_select),
        cmocka_unit_test(test_alpn_from_text),
        cmocka_unit_test(test_compress_certificate_extension),
        cmocka_unit_test(test_compressed_certificate_parse),
        cmocka_unit_test(test_cert_compress_round_trip),
        cmocka_unit_test(test_build_client_hello_from_parts),
        cmocka_unit_test(test_null_alert_pointer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
