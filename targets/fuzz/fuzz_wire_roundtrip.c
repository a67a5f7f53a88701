/* fuzz_wire_roundtrip.c — parse → build → parse must agree, for every
 * message type and extension parser of the wire codec. No stack runs.
 *
 * Targets (harness/wire/handshake.c, harness/wire/record.c):
 *   sd_parse_client_hello / sd_build_client_hello,
 *   sd_parse_server_hello / sd_build_server_hello,
 *   sd_parse_encrypted_extensions / sd_build_encrypted_extensions,
 *   sd_parse_certificate + sd_certificate_next_entry / sd_build_certificate
 *     + sd_build_certificate_entry,
 *   sd_parse_certificate_verify / sd_build_certificate_verify,
 *   sd_parse_new_session_ticket / sd_build_new_session_ticket,
 *   sd_extensions_next + sd_extensions_check / sd_build_extension,
 *   sd_parse_supported_versions_ch + sd_u16_list_parse / sd_build_u16_list,
 *   sd_parse_supported_versions_sh, sd_parse_key_share_ch +
 *     sd_key_share_next / sd_build_key_share_entry, sd_parse_key_share_sh,
 *     sd_parse_key_share_hrr, sd_parse_server_name / sd_build_server_name,
 *   sd_parse_alpn / sd_build_alpn and sd_build_alpn_answer,
 *   sd_parse_record_size_limit / sd_build_record_size_limit,
 *   sd_parse_max_fragment_length / sd_max_fragment_length_bytes,
 *   sd_parse_compressed_certificate / sd_build_compressed_certificate with
 *     sd_cert_decompress / sd_cert_compress, sd_parse_compress_certificate /
 *     sd_build_compress_certificate (harness/wire/cert_compression.c),
 *   sd_parse_record / sd_build_record, sd_parse_alert / sd_build_alert,
 *   sd_build_handshake / sd_hs_reassembler.
 *
 * Input: a selector byte (mod the number of parsers), then the bytes to
 * parse. For what parses: building it again and parsing that must succeed
 * and give the same fields; where the encoding is unique (every length is a
 * true length, parsers reject trailing bytes) the rebuilt bytes must also
 * equal the input. A failed parse must name an alert. Any disagreement
 * aborts with the input hex-dumped. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/cert_compression.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/record.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

#define ROUNDTRIP_TARGET "fuzz_wire_roundtrip"
#include "roundtrip_check.h"

/* A failed parse names an alert (the codec's contract): nonzero, and one
 * of the registry's. */
static void check_alert(uint8_t alert, const char *what) {
    CHECK(alert != 0 && sd_alert_name(alert) != NULL, what);
}

static void client_hello(sd_span in) {
    sd_client_hello a, b;
    uint8_t alert = 0;
    if (!sd_parse_client_hello(in, &a, &alert)) return check_alert(alert, "ClientHello alert");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_client_hello(&out, &a);
    CHECK(sd_parse_client_hello(sd_buf_span(&out), &b, &alert), "rebuilt ClientHello parses");
    CHECK(a.legacy_version == b.legacy_version && same(a.random, b.random) &&
              same(a.legacy_session_id, b.legacy_session_id) && same(a.cipher_suites, b.cipher_suites) &&
              same(a.compression_methods, b.compression_methods) && same(a.extensions, b.extensions) &&
              a.has_extensions == b.has_extensions,
          "ClientHello fields");
    CHECK(same(sd_buf_span(&out), in), "ClientHello bytes");
    sd_buf_free(&out);
}

static void server_hello(sd_span in) {
    sd_server_hello a, b;
    uint8_t alert = 0;
    if (!sd_parse_server_hello(in, &a, &alert)) return check_alert(alert, "ServerHello alert");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_server_hello(&out, &a);
    CHECK(sd_parse_server_hello(sd_buf_span(&out), &b, &alert), "rebuilt ServerHello parses");
    CHECK(a.legacy_version == b.legacy_version && same(a.random, b.random) &&
              same(a.legacy_session_id_echo, b.legacy_session_id_echo) && a.cipher_suite == b.cipher_suite &&
              a.legacy_compression_method == b.legacy_compression_method && same(a.extensions, b.extensions),
          "ServerHello fields");
    CHECK(sd_server_hello_is_hrr(&a) == sd_server_hello_is_hrr(&b), "HelloRetryRequest-ness");
    /* The builder always writes the extension block (handshake.h), so the
     * bytes match when the input had one: its length is then nonzero or
     * the input ends in the empty block. */
    if (out.len == in.len) CHECK(same(sd_buf_span(&out), in), "ServerHello bytes");
    sd_buf_free(&out);
}

static void encrypted_extensions(sd_span in) {
    sd_span a, b;
    uint8_t alert = 0;
    if (!sd_parse_encrypted_extensions(in, &a, &alert))
        return check_alert(alert, "EncryptedExtensions alert");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_encrypted_extensions(&out, a);
    CHECK(sd_parse_encrypted_extensions(sd_buf_span(&out), &b, &alert), "rebuilt EncryptedExtensions parses");
    CHECK(same(a, b), "EncryptedExtensions fields");
    CHECK(same(sd_buf_span(&out), in), "EncryptedExtensions bytes");
    sd_buf_free(&out);
}

static void certificate(sd_span in) {
    sd_certificate a, b;
    uint8_t alert = 0;
    if (!sd_parse_certificate(in, &a, &alert)) return check_alert(alert, "Certificate alert");
    /* Rebuild the list entry by entry, as the driver does. */
    sd_buf list, out;
    sd_buf_init(&list);
    sd_buf_init(&out);
    sd_reader it = sd_reader_of(a.certificate_list);
    sd_certificate_entry e;
    int got;
    bool entries_ok = true;
    while ((got = sd_certificate_next_entry(&it, &e, &alert)) == 1)
        sd_build_certificate_entry(&list, e.cert_data, e.extensions);
    if (got < 0) {
        check_alert(alert, "Certificate entry alert");
        entries_ok = false;
    }
    sd_certificate c = {a.request_context, entries_ok ? sd_buf_span(&list) : a.certificate_list};
    sd_build_certificate(&out, &c);
    CHECK(sd_parse_certificate(sd_buf_span(&out), &b, &alert), "rebuilt Certificate parses");
    CHECK(same(a.request_context, b.request_context) && same(a.certificate_list, b.certificate_list),
          "Certificate fields");
    CHECK(same(sd_buf_span(&out), in), "Certificate bytes");
    sd_buf_free(&list);
    sd_buf_free(&out);
}

static void certificate_verify(sd_span in) {
    sd_certificate_verify a, b;
    uint8_t alert = 0;
    if (!sd_parse_certificate_verify(in, &a, &alert)) return check_alert(alert, "CertificateVerify alert");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_certificate_verify(&out, &a);
    CHECK(sd_parse_certificate_verify(sd_buf_span(&out), &b, &alert), "rebuilt CertificateVerify parses");
    CHECK(a.algorithm == b.algorithm && same(a.signature, b.signature), "CertificateVerify fields");
    CHECK(same(sd_buf_span(&out), in), "CertificateVerify bytes");
    sd_buf_free(&out);
}

static void new_session_ticket(sd_span in) {
    sd_new_session_ticket a, b;
    uint8_t alert = 0;
    if (!sd_parse_new_session_ticket(in, &a, &alert)) return check_alert(alert, "NewSessionTicket alert");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_new_session_ticket(&out, &a);
    CHECK(sd_parse_new_session_ticket(sd_buf_span(&out), &b, &alert), "rebuilt NewSessionTicket parses");
    CHECK(a.ticket_lifetime == b.ticket_lifetime && a.ticket_age_add == b.ticket_age_add &&
              same(a.ticket_nonce, b.ticket_nonce) && same(a.ticket, b.ticket) &&
              same(a.extensions, b.extensions),
          "NewSessionTicket fields");
    CHECK(same(sd_buf_span(&out), in), "NewSessionTicket bytes");
    sd_buf_free(&out);
}

/* An extension block body (no outer length): iterate, rebuild, compare. */
static void extension_block(sd_span in) {
    uint8_t alert = 0;
    bool checked = sd_extensions_check(in, &alert);
    if (!checked) check_alert(alert, "extension block alert");
    sd_reader it = sd_reader_of(in);
    sd_buf out;
    sd_buf_init(&out);
    uint16_t type;
    sd_span body;
    int got;
    while ((got = sd_extensions_next(&it, &type, &body, &alert)) == 1) {
        sd_build_extension(&out, type, body);
        sd_span found;
        /* find() returns the first of a type; in a checked block it is this one. */
        if (checked)
            CHECK(sd_extensions_find(in, type, &found) && found.data == body.data, "extensions_find");
    }
    if (got == 0) {
        CHECK(same(sd_buf_span(&out), in), "extension block bytes");
    } else {
        check_alert(alert, "extension alert");
        CHECK(!checked, "a block check() accepted fails next()");
    }
    sd_buf_free(&out);
}

static void supported_versions(sd_span in) {
    uint8_t alert = 0;
    sd_u16_list l;
    if (sd_parse_supported_versions_ch(in, &l, &alert)) {
        size_t n = sd_u16_list_count(l);
        uint16_t *v = malloc((n ? n : 1) * sizeof *v);
        if (!v) return;
        for (size_t i = 0; i < n; i++) v[i] = sd_u16_list_at(l, i);
        sd_buf out;
        sd_buf_init(&out);
        sd_build_u16_list(&out, 1, v, n);
        CHECK(same(sd_buf_span(&out), in), "supported_versions (ClientHello) bytes");
        for (size_t i = 0; i < n; i++) CHECK(sd_u16_list_contains(l, v[i]), "u16_list_contains");
        sd_buf_free(&out);
        free(v);
    } else {
        check_alert(alert, "supported_versions alert");
    }
    uint16_t one;
    if (sd_parse_supported_versions_sh(in, &one, &alert)) {
        CHECK(in.len == 2 && one == (uint16_t)(in.data[0] << 8 | in.data[1]),
              "supported_versions (ServerHello)");
    } else {
        check_alert(alert, "supported_versions (ServerHello) alert");
    }
}

static void key_share(sd_span in) {
    uint8_t alert = 0;
    sd_span entries;
    if (sd_parse_key_share_ch(in, &entries, &alert)) {
        sd_reader it = sd_reader_of(entries);
        sd_key_share_entry e;
        sd_buf list;
        sd_buf_init(&list);
        int got;
        while ((got = sd_key_share_next(&it, &e, &alert)) == 1)
            sd_build_key_share_entry(&list, e.group, e.key_exchange);
        if (got == 0) {
            sd_buf out;
            sd_buf_init(&out);
            size_t p = sd_buf_open_prefix(&out, 2);
            sd_buf_append_span(&out, sd_buf_span(&list));
            sd_buf_close_prefix(&out, p, 2);
            CHECK(same(sd_buf_span(&out), in), "key_share (ClientHello) bytes");
            sd_buf_free(&out);
        } else {
            check_alert(alert, "key_share entry alert");
        }
        sd_buf_free(&list);
    } else {
        check_alert(alert, "key_share (ClientHello) alert");
    }
    sd_key_share_entry e;
    if (sd_parse_key_share_sh(in, &e, &alert)) {
        sd_buf out;
        sd_buf_init(&out);
        sd_build_key_share_entry(&out, e.group, e.key_exchange);
        CHECK(same(sd_buf_span(&out), in), "key_share (ServerHello) bytes");
        sd_buf_free(&out);
    } else {
        check_alert(alert, "key_share (ServerHello) alert");
    }
    uint16_t group;
    if (sd_parse_key_share_hrr(in, &group, &alert))
        CHECK(in.len == 2 && group == (uint16_t)(in.data[0] << 8 | in.data[1]),
              "key_share (HelloRetryRequest)");
    else
        check_alert(alert, "key_share (HelloRetryRequest) alert");
}

static void server_name(sd_span in) {
    uint8_t alert = 0;
    sd_span host, again;
    if (!sd_parse_server_name(in, &host, &alert)) return check_alert(alert, "server_name alert");
    if (host.len == 0) return; /* no host_name entry */
    sd_buf out;
    sd_buf_init(&out);
    sd_build_server_name(&out, host);
    CHECK(sd_parse_server_name(sd_buf_span(&out), &again, &alert), "rebuilt server_name parses");
    CHECK(same(host, again), "server_name host");
    sd_buf_free(&out);
}

static void alpn(sd_span in) {
    uint8_t alert = 0;
    sd_span names, again;
    bool answer = sd_parse_alpn(in, true, &names, &alert);
    if (!sd_parse_alpn(in, false, &names, &alert)) {
        CHECK(!answer, "an ALPN answer that is not a valid list");
        return check_alert(alert, "application_layer_protocol_negotiation alert");
    }
    /* Every length is a true length and nothing may follow: unique. */
    sd_buf out;
    sd_buf_init(&out);
    sd_build_alpn(&out, names);
    CHECK(same(sd_buf_span(&out), in), "application_layer_protocol_negotiation bytes");
    CHECK(sd_parse_alpn(sd_buf_span(&out), false, &again, &alert) && same(names, again),
          "rebuilt application_layer_protocol_negotiation parses");
    sd_reader it = sd_reader_of(names);
    sd_span first;
    CHECK(sd_alpn_next(&it, &first), "a valid list has a first name");
    CHECK(answer == sd_reader_done(&it), "an answer is exactly one name");
    sd_buf_reset(&out);
    sd_build_alpn_answer(&out, first);
    CHECK(sd_parse_alpn(sd_buf_span(&out), true, &again, &alert), "a one-name answer parses");
    sd_buf_free(&out);
}

/* RFC 8449 §4: one uint16 of at least 64; the encoding is unique. */
static void record_size_limit(sd_span in) {
    uint8_t alert = 0;
    uint16_t limit = 0, again = 0;
    if (!sd_parse_record_size_limit(in, &limit, &alert)) {
        CHECK(in.len != 2 || ((in.data[0] << 8 | in.data[1]) < 64 && alert == SD_illegal_parameter),
              "a two-byte record_size_limit of 64 or more parses");
        return check_alert(alert, "record_size_limit alert");
    }
    CHECK(limit >= 64, "a parsed record_size_limit is at least 64");
    sd_buf out;
    sd_buf_init(&out);
    sd_build_record_size_limit(&out, limit);
    CHECK(same(sd_buf_span(&out), in), "record_size_limit bytes");
    CHECK(sd_parse_record_size_limit(sd_buf_span(&out), &again, &alert) && again == limit,
          "rebuilt record_size_limit parses");
    sd_buf_free(&out);
}

/* RFC 6066 §4: one byte, 1-4, naming 2^9-2^12. */
static void max_fragment_length(sd_span in) {
    uint8_t alert = 0, code = 0;
    if (!sd_parse_max_fragment_length(in, &code, &alert)) {
        CHECK(in.len != 1 || in.data[0] < 1 || in.data[0] > 4, "a MaxFragmentLength of 1-4 parses");
        return check_alert(alert, "max_fragment_length alert");
    }
    CHECK(in.len == 1 && code == in.data[0], "max_fragment_length is its one byte");
    CHECK(sd_max_fragment_length_bytes(code) == (size_t)1 << (8 + code), "max_fragment_length bytes");
}

static void records(sd_span in) {
    sd_reader r = sd_reader_of(in);
    sd_record rec;
    uint8_t alert = 0;
    sd_buf out;
    sd_buf_init(&out);
    int got;
    size_t consumed = 0;
    while ((got = sd_parse_record(&r, &rec, &alert)) == 1) {
        sd_build_record(&out, rec.content_type, rec.legacy_version, rec.fragment);
        consumed = in.len - r.len;
        CHECK(rec.fragment.len <= SD_MAX_CIPHERTEXT, "record length bound");
        sd_alert a;
        uint8_t alert2 = 0;
        if (rec.content_type == SD_alert) {
            if (sd_parse_alert(rec.fragment, &a, &alert2)) {
                sd_buf al;
                sd_buf_init(&al);
                sd_build_alert(&al, a.level, a.description);
                CHECK(same(sd_buf_span(&al), rec.fragment), "alert bytes");
                sd_buf_free(&al);
            } else {
                check_alert(alert2, "alert alert");
            }
        }
    }
    if (got < 0) check_alert(alert, "record alert");
    CHECK(same(sd_buf_span(&out), sd_span_of(in.data, consumed)), "record bytes");
    sd_buf_free(&out);
}

/* Handshake framing: the input as record fragments of every size 1..7
 * must reassemble into the same messages as in one piece. */
static void handshake_framing(sd_span in) {
    if (in.len == 0) return;
    size_t piece = (in.data[0] % 7) + 1;
    sd_hs_reassembler whole, parts;
    sd_hs_reassembler_init(&whole);
    sd_hs_reassembler_init(&parts);
    sd_hs_reassembler_push(&whole, in);
    sd_buf a, b;
    sd_buf_init(&a);
    sd_buf_init(&b);
    sd_handshake_msg m;
    uint8_t alert = 0;
    int got;
    while ((got = sd_hs_reassembler_next(&whole, 1u << 16, &m, &alert)) == 1) {
        sd_build_handshake(&a, m.type, m.body, -1);
        CHECK(m.whole.len == m.body.len + 4, "handshake whole = header + body");
    }
    int got_whole = got;
    for (size_t off = 0; off < in.len; off += piece) {
        size_t n = in.len - off < piece ? in.len - off : piece;
        sd_hs_reassembler_push(&parts, sd_span_of(in.data + off, n));
        while ((got = sd_hs_reassembler_next(&parts, 1u << 16, &m, &alert)) == 1)
            sd_buf_append_span(&b, m.whole);
        if (got < 0) break;
    }
    CHECK((got_whole < 0) == (got < 0), "framing: whole and pieces agree on failure");
    if (got_whole >= 0) CHECK(same(sd_buf_span(&a), sd_buf_span(&b)), "framing: whole and pieces agree");
    sd_hs_reassembler_free(&whole);
    sd_hs_reassembler_free(&parts);
    sd_buf_free(&a);
    sd_buf_free(&b);
}

/* RFC 8879 §4: CompressedCertificate's encoding is unique. What
 * decompresses (to at most 64 KiB, to keep an execution short) is exactly
 * uncompressed_length bytes, and compressing those again with the same
 * algorithm decompresses back to them. */
static void compressed_certificate(sd_span in) {
    uint8_t alert = 0;
    sd_compressed_certificate cc, again;
    if (!sd_parse_compressed_certificate(in, &cc, &alert))
        return check_alert(alert, "CompressedCertificate alert");
    CHECK(cc.compressed.len > 0, "compressed_certificate_message<1..2^24-1>");
    sd_buf out, plain, packed, back;
    sd_buf_init(&out);
    sd_buf_init(&plain);
    sd_buf_init(&packed);
    sd_buf_init(&back);
    sd_build_compressed_certificate(&out, &cc);
    CHECK(same(sd_buf_span(&out), in), "CompressedCertificate bytes");
    CHECK(sd_parse_compressed_certificate(sd_buf_span(&out), &again, &alert) &&
              again.algorithm == cc.algorithm && again.uncompressed_length == cc.uncompressed_length &&
              same(again.compressed, cc.compressed),
          "rebuilt CompressedCertificate parses");
    const char *why = NULL;
    if (cc.uncompressed_length <= (1u << 16) &&
        sd_cert_decompress(cc.algorithm, cc.compressed, cc.uncompressed_length, &plain, &why)) {
        CHECK(plain.len == cc.uncompressed_length, "decompressed to uncompressed_length bytes");
        CHECK(sd_cert_compress(cc.algorithm, sd_buf_span(&plain), &packed), "what decompressed compresses");
        CHECK(sd_cert_decompress(cc.algorithm, sd_buf_span(&packed), plain.len, &back, &why) &&
                  same(sd_buf_span(&back), sd_buf_span(&plain)),
              "compressed again, it decompresses to the same bytes");
    }
    sd_buf_free(&out);
    sd_buf_free(&plain);
    sd_buf_free(&packed);
    sd_buf_free(&back);
}

/* RFC 8879 §3: algorithms<2..2^8-2>, an even length; unique. */
static void compress_certificate(sd_span in) {
    uint8_t alert = 0;
    sd_u16_list algs;
    if (!sd_parse_compress_certificate(in, &algs, &alert))
        return check_alert(alert, "compress_certificate alert");
    size_t n = sd_u16_list_count(algs);
    CHECK(n >= 1 && n <= 127, "one to 127 algorithms");
    uint16_t list[127];
    for (size_t i = 0; i < n; i++) list[i] = sd_u16_list_at(algs, i);
    sd_buf out;
    sd_buf_init(&out);
    sd_build_compress_certificate(&out, list, n);
    CHECK(same(sd_buf_span(&out), in), "compress_certificate bytes");
    sd_buf_free(&out);
}

typedef void (*roundtrip_fn)(sd_span);
static const roundtrip_fn roundtrips[] = {
    client_hello,
    server_hello,
    encrypted_extensions,
    certificate,
    certificate_verify,
    new_session_ticket,
    extension_block,
    supported_versions,
    key_share,
    server_name,
    records,
    handshake_framing,
    /* Appended, so that the selectors of the seeds (record_seeds.c) keep
     * their parsers. */
    alpn,
    record_size_limit,
    max_fragment_length,
    compressed_certificate,
    compress_certificate,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    roundtrip_input(data, size);
    roundtrips[data[0] % (sizeof roundtrips / sizeof roundtrips[0])](sd_span_of(data + 1, size - 1));
    return 0;
}
