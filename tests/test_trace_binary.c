/* test_trace_binary.c — the binary trace encoding (harness/trace/binary.c).
 *
 * - every scenario in scenarios/ and a script using every action, flag and
 *   mutation encode, decode to an equal trace (sd_trace_equal), and encode
 *   again to the same bytes;
 * - a decoded trace prints as a script that parses back equal (the three
 *   forms convert losslessly);
 * - the decoder refuses, with an offset in its message and nothing to
 *   free: a bad header or version, unknown kinds, truncation at every byte,
 *   non-minimal varints, values out of range, contradicting flags;
 * - the encoder refuses what the decoder would refuse;
 * - random bytes and random mutations of valid encodings never crash it
 *   (the fuzz target fuzz_trace_binary does this at scale);
 * - the mutation table (SD_MUTATIONS, trace.h): the kinds keep their
 *   historical values, which are the binary encoding, and every kind, at
 *   the edges of its shape's range, survives every form of a trace;
 * - version 3 carries a setup (role, version, suite, credentials, client
 *   authentication, tickets) in pinned bytes, round-trips it with any
 *   action, refuses one out of its ranges, and versions 1 and 2 still read
 *   as before, without one. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "trace/binary.h"
#include "trace/trace.h"
#include "wire/bytes.h"

static const char every_feature[] =
    "send ClientHello body=0303aabb flip=first:0x01 flip=last:0x80 flip=middle:0xff flip=-7:0x10 "
    "flip=123456789:0x02 truncate=3 append=00\n"
    "send ServerHello length=16777215 type=Finished plaintext split=1 wrong-key empty cert=wrong-name\n"
    "send Certificate split=16384 cert=a.b_c-9 body=\n"
    "send 99\n"
    "expect ServerHello\n"
    "expect 250\n"
    "send-alert fatal decrypt_error\n"
    "send-alert warning 253 plaintext\n"
    "send-alert 0 0 encrypted\n"
    "send-ccs\n"
    "send-ccs encrypted\n"
    "send-ccs plaintext\n"
    "send-appdata \"hello world\"\n"
    "send-appdata hex=00ff plaintext\n"
    "send-appdata \"\"\n"
    "send-raw handshake 0100 encrypted\n"
    "send-raw 99 hex=\n"
    "expect-appdata \"echo\"\n"
    "expect-appdata hex=\n"
    "expect-close\n";

/* What version 2 added: the renegotiate action and the mutations from
 * dup-ext on. */
static const char every_v2_feature[] =
    "send ClientHello dup-ext=supported_groups add-ext=key_share:0017 add-ext=65000 drop-ext=13 bad-point "
    "record-version=0x0301\n"
    "send ClientHello pad=512 unknown-exts=3 session-id=00 flip-ext=cookie:last:0x01 flip-ext=44:middle:0xff "
    "flip-ext=65535:-300:0x00 session-id=\n"
    "send ClientKeyExchange premaster-version=0x0302\n"
    "send ServerHello random=444f574e47524401 "
    "random=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
    "expect ServerHello random=444f574e47524400\n"
    "expect ClientHello random=ff\n"
    "send CertificateVerify sign-with=leaf-rsa\n"
    "send Finished wrong-transcript\n"
    "renegotiate drop-ext=signature_algorithms add-ext=signature_algorithms_cert:00020403\n"
    "renegotiate\n"
    "send-raw handshake hex= fill=16385 encrypted\n"
    "send-raw 23 0102 fill=18688\n"
    "send Finished record-flip=-1:0x01 cbc-padding=255:0x00 inner-padding=16384\n"
    "send-appdata \"ping\" record-flip=first:0x80 cbc-padding=0:0xff inner-padding=0 plaintext\n"
    "send-appdata hex= inner-padding=16777215 seq-skip=255\n";

/* The setup the tests write where a trace needs one. */
static const sd_fuzz_setup test_setup = {.role = SD_ROLE_SERVER, .version = 0x0303};

/* Whether only a trace with its setup says it: send-ccs empty-master
 * (version 3), a connection or a mutation of version 4. */
static bool needs_setup(const sd_trace *t) {
    for (size_t i = 0; i < t->n_actions; i++) {
        const sd_action *a = &t->actions[i];
        if (a->empty_master || a->kind == SD_ACT_CONNECTION || a->expect_psk || a->if_full || a->if_announced)
            return true;
        for (size_t k = 0; k < a->n_mutations && k < SD_MAX_MUTATIONS; k++) {
            const sd_mutation_info *info = sd_mutation_info_of(a->mutations[k].kind);
            if (info && info->binary_version >= 3) return true;
        }
    }
    return false;
}

/* sd_trace_encode, with test_setup where the trace needs one. */
static bool encode_as_needed(const sd_trace *t, sd_buf *b, char *err, size_t err_len) {
    return sd_trace_encode_with_setup(t, needs_setup(t) ? &test_setup : NULL, b, err, err_len);
}

/* How many bytes test_setup takes after the header. */
static size_t test_setup_len(void) {
    sd_trace empty;
    sd_trace_init(&empty);
    sd_buf b;
    sd_buf_init(&b);
    assert_true(sd_trace_encode_with_setup(&empty, &test_setup, &b, NULL, 0));
    size_t n = b.len - SD_TRACE_BINARY_HEADER_LEN;
    sd_buf_free(&b);
    return n;
}

static void parse_script(const char *text, sd_trace *t) {
    char err[300] = "";
    bool ok = sd_trace_parse("test", text, strlen(text), t, err, sizeof err);
    if (!ok) fail_msg("parse: %s", err);
}

/* encode -> decode -> equal -> encode gives the same bytes -> prints as a
 * script that parses back equal. */
static void check_round_trip(const sd_trace *t, const char *what) {
    sd_buf a, b, script;
    sd_buf_init(&a);
    sd_buf_init(&b);
    sd_buf_init(&script);
    char err[300] = "";
    /* What only versions 3 and 4 say goes with a setup. */
    const sd_fuzz_setup *with = needs_setup(t) ? &test_setup : NULL;
    if (!sd_trace_encode_with_setup(t, with, &a, err, sizeof err)) fail_msg("%s: encode: %s", what, err);
    assert_true(sd_trace_binary_is(a.data, a.len));
    sd_trace d;
    if (!sd_trace_decode(a.data, a.len, &d, err, sizeof err)) fail_msg("%s: decode: %s", what, err);
    if (!sd_trace_equal(t, &d)) fail_msg("%s: decoded trace differs", what);
    assert_true(sd_trace_encode_with_setup(&d, with, &b, err, sizeof err));
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);

    sd_trace_print(&d, &script);
    sd_trace p;
    if (!sd_trace_parse("printed", (const char *)script.data, script.len, &p, err, sizeof err))
        fail_msg("%s: printed script does not parse: %s", what, err);
    if (!sd_trace_equal(&p, &d)) fail_msg("%s: printed script parses to another trace", what);
    sd_trace_free(&p);
    sd_trace_free(&d);
    sd_buf_free(&a);
    sd_buf_free(&b);
    sd_buf_free(&script);
}

static void test_every_feature(void **state) {
    (void)state;
    sd_trace t;
    parse_script(every_feature, &t);
    check_round_trip(&t, "every feature");
    sd_trace_free(&t);
}

static void test_every_v2_feature(void **state) {
    (void)state;
    sd_trace t;
    parse_script(every_v2_feature, &t);
    check_round_trip(&t, "every version 2 feature");
    sd_trace_free(&t);
}

/* The version byte is the lowest that can express the trace: version 1
 * files (the corpus) keep their bytes, and one new action makes it 2. */
static void test_version_is_the_lowest_needed(void **state) {
    (void)state;
    sd_trace t;
    sd_buf b;
    char err[200];
    parse_script("send ClientHello truncate=1\nexpect ServerHello\n", &t);
    sd_buf_init(&b);
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    assert_int_equal(b.data[3], 1);
    sd_buf_free(&b);
    sd_trace_free(&t);

    parse_script("renegotiate add-ext=0x1234:ff\n", &t);
    sd_buf_init(&b);
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    /* "SDT" 2, renegotiate (9), one mutation: add-ext (12), type 0x1234, 1 byte ff */
    static const uint8_t want[] = {'S', 'D', 'T', 2, 9, 1, 12, 0x12, 0x34, 1, 0xff};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    sd_trace d;
    assert_true(sd_trace_decode(b.data, b.len, &d, err, sizeof err));
    assert_int_equal(d.actions[0].kind, SD_ACT_RENEGOTIATE);
    assert_int_equal(d.actions[0].msg_type, 1); /* a ClientHello */
    assert_int_equal(d.actions[0].mutations[0].kind, SD_MUT_ADD_EXT);
    assert_int_equal(d.actions[0].mutations[0].value, 0x1234);
    sd_trace_free(&d);
    sd_buf_free(&b);
    sd_trace_free(&t);
}

static void test_empty_trace(void **state) {
    (void)state;
    sd_trace t;
    sd_trace_init(&t);
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    assert_int_equal(b.len, SD_TRACE_BINARY_HEADER_LEN);
    assert_memory_equal(b.data, "SDT\x01", 4);
    check_round_trip(&t, "empty");
    sd_buf_free(&b);
}

/* Exact bytes for a small trace, so the layout in binary.h is pinned. */
static void test_layout(void **state) {
    (void)state;
    sd_trace t;
    parse_script(
        "send ClientHello flip=-1:0x80 truncate=300\nexpect ServerHello\nsend-alert fatal 50 plaintext\n",
        &t);
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    static const uint8_t want[] = {'S', 'D', 'T', 1,
                                   /* send ClientHello, 2 mutations */
                                   0, 1, 2,
                                   /* flip: zigzag(-1) = 1, mask 0x80 */
                                   1, 0x01, 0x80,
                                   /* truncate 300 = 0xac 0x02 */
                                   2, 0xac, 0x02,
                                   /* expect ServerHello */
                                   5, 2,
                                   /* send-alert: flags plaintext, fatal, decode_error */
                                   1, 1, 2, 50};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    sd_buf_free(&b);
    sd_trace_free(&t);
}

/* Exact bytes of the three mutations that came last, so their layout in
 * binary.h is pinned. */
static void test_layout_session_id_flip_ext_premaster(void **state) {
    (void)state;
    sd_trace t;
    parse_script("send ClientHello session-id=aabb flip-ext=cookie:-2:0x01\n"
                 "send ClientKeyExchange premaster-version=0x0302\n",
                 &t);
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    static const uint8_t want[] = {'S', 'D', 'T', 2,
                                   /* send ClientHello, 2 mutations */
                                   0, 1, 2,
                                   /* session-id (kind 20): length 2, aa bb */
                                   20, 2, 0xaa, 0xbb,
                                   /* flip-ext (kind 21): cookie (44), zigzag(-2) = 3, mask 0x01 */
                                   21, 0x00, 0x2c, 3, 0x01,
                                   /* send ClientKeyExchange (16), 1 mutation */
                                   0, 16, 1,
                                   /* premaster-version (kind 22): 0x0302 */
                                   22, 0x03, 0x02};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    sd_buf_free(&b);
    sd_trace_free(&t);
}

static void test_every_scenario(void **state) {
    (void)state;
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    int n = 0;
    for (int v = 0; v < 2; v++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/scenarios/%s", src ? src : SHAKEDOWN_SOURCE_DIR, v ? "tls12" : "tls13");
        DIR *d = opendir(dir);
        if (!d) fail_msg("cannot open %s", dir);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len < 4 || strcmp(e->d_name + len - 3, ".sd") != 0) continue;
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            sd_scenario s;
            char err[400];
            if (!sd_scenario_load(path, &s, err, sizeof err)) fail_msg("%s", err);
            check_round_trip(&s.trace, path);
            sd_scenario_free(&s);
            n++;
        }
        closedir(d);
    }
    assert_true(n >= 30);
}

/* Decoding must fail, say where, and leave nothing to free. */
static void expect_reject(const uint8_t *data, size_t len, const char *needle) {
    sd_trace t;
    char err[300] = "";
    if (sd_trace_decode(data, len, &t, err, sizeof err)) {
        sd_trace_free(&t);
        fail_msg("decoded what it should refuse (want \"%s\")", needle);
    }
    assert_int_equal(t.n_actions, 0);
    assert_null(t.actions);
    if (strncmp(err, "offset ", 7) != 0) fail_msg("error without an offset: %s", err);
    if (needle && !strstr(err, needle)) fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
}

static void test_rejects(void **state) {
    (void)state;
    expect_reject(NULL, 0, "not a binary trace");
    expect_reject((const uint8_t *)"SDT", 3, "not a binary trace");
    expect_reject((const uint8_t *)"XDT\x01", 4, "not a binary trace");
    expect_reject((const uint8_t *)"SDT\x05", 4, "version 5");
    /* One encoding per trace: version 2 only for what version 1 cannot say. */
    expect_reject((const uint8_t *)"SDT\x02", 4, "version 1 can express");
    expect_reject((const uint8_t *)"SDT\x02\x08", 5, "version 1 can express");
    /* unknown action and mutation kinds; version 2 kinds in a version 1 trace */
    expect_reject((const uint8_t *)"SDT\x01\x09", 5, "action kind 9 needs binary trace version 2");
    expect_reject((const uint8_t *)"SDT\x02\x0b", 5, "unknown action kind 11");
    expect_reject((const uint8_t *)"SDT\x01\x81", 5, "unknown action kind 129");
    expect_reject((const uint8_t *)"SDT\x02\x89\x00", 6, "unknown action kind 137");
    expect_reject((const uint8_t *)"SDT\x01\x00\x01\x01\x0b", 8,
                  "mutation kind 11 needs binary trace version 2");
    /* A kind past every row (SD_MUT_COUNT grows as rows are added; 0x7f
     * stays unknown far longer than the next free number). */
    assert_true(SD_MUT_COUNT < 0x7f);
    expect_reject((const uint8_t *)"SDT\x02\x00\x01\x01\x7f", 8, "unknown mutation kind 127");
    /* session-id: a length its one-byte prefix cannot say; flip-ext cut
     * short after its extension type and after its offset */
    {
        uint8_t long_id[8 + 2 + 256] = {'S', 'D', 'T', 2, 0, 1, 1, 20, 0x80, 0x02};
        expect_reject(long_id, sizeof long_id, "session-id= of 256 bytes (at most 255)");
    }
    expect_reject((const uint8_t *)"SDT\x02\x00\x01\x01\x15\x00\x2c", 10, "input ends inside a flip offset");
    expect_reject((const uint8_t *)"SDT\x02\x00\x01\x01\x15\x00\x2c\x01", 11,
                  "input ends before a flip mask");
    /* version 2 fields: a u16 cut short, a sign-with name that is not one */
    expect_reject((const uint8_t *)"SDT\x02\x00\x01\x01\x0b\x00", 9, "extension type or version");
    expect_reject((const uint8_t *)"SDT\x02\x00\x01\x01\x10\x01"
                                   "A",
                  10, "credential name");
    /* too many mutations */
    expect_reject((const uint8_t *)"SDT\x01\x00\x01\x09", 7, "9 mutations");
    /* flags: unknown bits, and both */
    expect_reject((const uint8_t *)"SDT\x01\x03\x04", 6, "unknown flag bits");
    expect_reject((const uint8_t *)"SDT\x01\x02\x03", 6, "contradict");
    /* non-minimal varint: length 0 written as 0x80 0x00 */
    expect_reject((const uint8_t *)"SDT\x01\x06\x80\x00", 7, "not minimally encoded");
    /* bytes past the end */
    expect_reject((const uint8_t *)"SDT\x01\x06\x05"
                                   "ab",
                  8, "runs past the end");
    /* out-of-range values: split 0, flip mask via TYPE is u8 so fine, length 2^24 */
    expect_reject((const uint8_t *)"SDT\x01\x00\x01\x01\x0a\x00", 9, "split 0");
    expect_reject((const uint8_t *)"SDT\x01\x00\x01\x01\x04\x80\x80\x80\x08", 12, "out of range");
    /* credential names: empty, bad character */
    expect_reject((const uint8_t *)"SDT\x01\x00\x0b\x01\x07\x00", 9, "credential name of 0");
    expect_reject((const uint8_t *)"SDT\x01\x00\x0b\x01\x07\x01"
                                   "A",
                  10, "credential name");
    /* a varint longer than 10 bytes */
    expect_reject((const uint8_t *)"SDT\x01\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 16, NULL);
}

/* Exact bytes of random= and of an expect that checks a random, so their
 * layout in binary.h is pinned: the mutation is a kind of its own, the
 * expect a kind byte with 0x40 set, so a plain expect keeps its bytes. */
static void test_layout_random(void **state) {
    (void)state;
    sd_trace t;
    parse_script(
        "send ServerHello random=444f574e47524401\nexpect ServerHello random=0102\nexpect Finished\n", &t);
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    static const uint8_t want[] = {'S', 'D', 'T', 2,
                                   /* send ServerHello, 1 mutation */
                                   0, 2, 1,
                                   /* random (kind 23): length 8, DOWNGRD 01 */
                                   23, 8, 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01,
                                   /* expect ServerHello with a random: 0x45, type 2, length 2, 01 02 */
                                   0x45, 2, 2, 0x01, 0x02,
                                   /* expect Finished */
                                   5, 20};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    sd_buf_free(&b);
    sd_trace_free(&t);
    /* An expect that checks a random needs version 2, is never empty and
     * is of a hello; 0xc5 (a HelloRetryRequest with one) is no kind. */
    expect_reject((const uint8_t *)"SDT\x01\x45\x02\x01\x00", 8,
                  "action kind 69 needs binary trace version 2");
    expect_reject((const uint8_t *)"SDT\x02\x45\x02\x00", 7, "an expected random of 0 bytes");
    expect_reject((const uint8_t *)"SDT\x02\x45\x14\x01\x00", 8,
                  "random= checks the random of a ClientHello");
    expect_reject((const uint8_t *)"SDT\x02\xc5\x01\x00", 7, "unknown action kind 197");
    {
        uint8_t long_random[7 + 33] = {'S', 'D', 'T', 2, 0x45, 2, 33};
        expect_reject(long_random, sizeof long_random, "random= of 33 bytes (1-32)");
    }
}

/* send-appdata with record-level mutations (version 2): flag bit 4, then
 * after the data a count and the mutations; a send-appdata without any
 * keeps its version 1 bytes, and only record mutations go there. */
static void test_layout_appdata_mutations(void **state) {
    (void)state;
    sd_trace t;
    parse_script(
        "send-appdata \"pi\" record-flip=-1:0x01 cbc-padding=11:0x0b plaintext\nsend-appdata \"pi\"\n", &t);
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    static const uint8_t want[] = {'S', 'D', 'T', 2,
                                   /* send-appdata: flags plaintext | mutations, "pi", two mutations:
                                    * record-flip (kind 31) offset -1 (zigzag 1) mask 01, cbc-padding
                                    * (kind 32) 11 and 0x0b */
                                   3, 0x11, 2, 'p', 'i', 2, 31, 1, 0x01, 32, 11, 0x0b,
                                   /* send-appdata "pi": no mutations */
                                   3, 0x00, 2, 'p', 'i'};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    sd_trace back;
    assert_true(sd_trace_decode(b.data, b.len, &back, err, sizeof err));
    assert_true(sd_trace_equal(&t, &back));
    sd_trace_free(&back);
    sd_buf_free(&b);
    sd_trace_free(&t);

    /* Without mutations the same action is version 1, as before. */
    parse_script("send-appdata \"pi\"\n", &t);
    sd_buf_init(&b);
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    assert_int_equal(b.data[3], 1);
    sd_buf_free(&b);

    /* The encoder refuses a mutation of the message on send-appdata. */
    t.actions[0].n_mutations = 1;
    t.actions[0].mutations[0].kind = SD_MUT_FLIP;
    t.actions[0].mutations[0].value = 1;
    sd_buf_init(&b);
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_non_null(strstr(err, "send-appdata takes record mutations only, not flip="));
    assert_int_equal(b.len, 0);
    sd_buf_free(&b);
    t.actions[0].n_mutations = 0;
    sd_trace_free(&t);

    /* So does the parser. */
    sd_trace bad;
    const char *text = "send-appdata \"x\" flip=0:0x01\n";
    assert_false(sd_trace_parse("t", text, strlen(text), &bad, err, sizeof err));
    assert_non_null(strstr(err, "flip is not a record mutation"));

    /* The decoder: flag bit 4 needs version 2 and a send-appdata, then 1-8
     * record mutations. */
    expect_reject((const uint8_t *)"SDT\x01\x03\x10\x00\x01\x1f\x00\x01", 11, "unknown flag bits 0x10");
    expect_reject((const uint8_t *)"SDT\x02\x02\x10", 6, "unknown flag bits 0x10");
    expect_reject((const uint8_t *)"SDT\x02\x03\x10\x00\x00", 8, "0 mutations (1-8)");
    expect_reject((const uint8_t *)"SDT\x02\x03\x10\x00\x09", 8, "9 mutations (1-8)");
    expect_reject((const uint8_t *)"SDT\x02\x03\x10\x00\x01\x01\x00\x01", 11,
                  "send-appdata takes record mutations only, not flip=");
    expect_reject((const uint8_t *)"SDT\x02\x03\x10\x00\x01\x20\x0b", 10, "input ends");
}

/* send-raw fill=<n> (version 2): flag bit 3, then the fill as a varint
 * after the payload; a send-raw without one keeps its version 1 bytes. */
static void test_layout_raw_fill(void **state) {
    (void)state;
    sd_trace t;
    parse_script("send-raw handshake 01 fill=16385 plaintext\nsend-raw alert 0232\n", &t);
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    static const uint8_t want[] = {'S', 'D', 'T', 2,
                                   /* send-raw: flags plaintext | fill, handshake, 1 byte 01, fill 16385 */
                                   4, 0x09, 22, 1, 0x01, 0x81, 0x80, 0x01,
                                   /* send-raw alert 0232: no fill */
                                   4, 0x00, 21, 2, 0x02, 0x32};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    sd_buf_free(&b);
    sd_trace_free(&t);

    /* Without fill= the same record is version 1, as before. */
    parse_script("send-raw alert 0232\n", &t);
    sd_buf_init(&b);
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    assert_int_equal(b.data[3], 1);
    sd_buf_free(&b);

    /* The encoder refuses a fill out of its range or on another action. */
    t.actions[0].fill = SD_RAW_FILL_MAX + 1;
    sd_buf_init(&b);
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_non_null(strstr(err, "fill=18689"));
    t.actions[0].fill = 0;
    t.actions[0].kind = SD_ACT_SEND_APPDATA;
    t.actions[0].fill = 5;
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_non_null(strstr(err, "fill= belongs to send-raw only"));
    assert_int_equal(b.len, 0);
    sd_buf_free(&b);
    sd_trace_free(&t);

    /* The decoder: flag bit 3 needs version 2 and a send-raw; the fill is
     * 1..SD_RAW_FILL_MAX. */
    expect_reject((const uint8_t *)"SDT\x01\x04\x08\x16\x00\x01", 9, "unknown flag bits 0x08");
    expect_reject((const uint8_t *)"SDT\x02\x03\x08\x00", 7, "unknown flag bits 0x08");
    expect_reject((const uint8_t *)"SDT\x02\x04\x08\x16\x00\x00", 9, "fill=0 (1-18688)");
    expect_reject((const uint8_t *)"SDT\x02\x04\x08\x16\x00\x81\x92\x01", 11, "fill=18689 (1-18688)");
    expect_reject((const uint8_t *)"SDT\x02\x04\x08\x16\x00", 8, "input ends inside a fill");
}

/* Every proper prefix of a valid encoding that ends inside an action is
 * refused; prefixes that end between actions decode to fewer actions. */
static void test_truncation(void **state) {
    (void)state;
    sd_trace t;
    parse_script(every_feature, &t);
    sd_buf b;
    sd_buf_init(&b);
    char err[300];
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    size_t ok = 0;
    for (size_t n = 0; n < b.len; n++) {
        sd_trace d;
        if (sd_trace_decode(b.data, n, &d, err, sizeof err)) {
            ok++;
            assert_true(d.n_actions < t.n_actions);
            sd_trace_free(&d);
        } else {
            assert_int_equal(d.n_actions, 0);
        }
    }
    /* The header alone, then one prefix per complete action but the last. */
    assert_int_equal(ok, t.n_actions);
    sd_buf_free(&b);
    sd_trace_free(&t);
}

static void test_encoder_refuses(void **state) {
    (void)state;
    sd_trace t;
    sd_trace_init(&t);
    sd_action *a = sd_trace_add(&t, SD_ACT_SEND_CCS);
    assert_non_null(a);
    a->encrypted = a->force_plaintext = true;
    sd_buf b;
    sd_buf_init(&b);
    char err[200] = "";
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_int_equal(b.len, 0);
    assert_non_null(strstr(err, "action 1"));
    a->encrypted = false;
    a = sd_trace_add(&t, SD_ACT_SEND);
    a->n_mutations = 1;
    a->mutations[0].kind = SD_MUT_SPLIT;
    a->mutations[0].value = 0;
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_non_null(strstr(err, "action 2"));
    a->mutations[0].value = 5;
    a->mutations[1].kind = (sd_mutation_kind)77;
    a->n_mutations = 2;
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    a->n_mutations = 1;
    assert_true(sd_trace_encode(&t, &b, err, sizeof err));
    sd_buf_free(&b);
    sd_trace_free(&t);
}

/* A deterministic generator, so a failure reproduces. */
static uint64_t rng_state = 0x1234567887654321ull;
static uint32_t next_rand(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

/* Random garbage and random byte edits of a valid encoding: whatever
 * decodes must re-encode to exactly the input (one encoding per trace). */
static void test_garbage(void **state) {
    (void)state;
    sd_trace t;
    parse_script(every_feature, &t);
    sd_buf valid;
    sd_buf_init(&valid);
    char err[300];
    assert_true(sd_trace_encode(&t, &valid, err, sizeof err));
    sd_trace_free(&t);
    uint8_t buf[512];
    size_t decoded = 0;
    for (int i = 0; i < 20000; i++) {
        size_t n;
        if (i % 2) {
            n = valid.len < sizeof buf ? valid.len : sizeof buf;
            memcpy(buf, valid.data, n);
            for (int k = 0; k < 1 + (int)(next_rand() % 4); k++) buf[next_rand() % n] = (uint8_t)next_rand();
            n = next_rand() % 8 == 0 ? next_rand() % (n + 1) : n;
        } else {
            n = next_rand() % 64;
            memcpy(buf, "SDT\x01", 4);
            for (size_t k = 4; k < n; k++) buf[k] = (uint8_t)(next_rand() % 12);
        }
        sd_trace d;
        sd_fuzz_setup setup;
        bool has_setup = false;
        if (!sd_trace_decode_with_setup(buf, n, &d, &setup, &has_setup, err, sizeof err)) continue;
        decoded++;
        sd_buf again;
        sd_buf_init(&again);
        assert_true(sd_trace_encode_with_setup(&d, has_setup ? &setup : NULL, &again, err, sizeof err));
        assert_int_equal(again.len, n);
        assert_memory_equal(again.data, buf, n);
        sd_buf_free(&again);
        sd_trace_free(&d);
    }
    assert_true(decoded > 100);
    sd_buf_free(&valid);
}

/* --- The mutation table ------------------------------------------------------ */

/* The kind byte of every binary trace ever written: kinds 0..24 in this
 * order, the first 11 from version 1. A table row that moves breaks corpus
 * files; new kinds go at the end. */
static const struct {
    sd_mutation_kind kind;
    const char *name;
    sd_mutation_arg arg;
    int binary_version;
} historical[] = {
    {SD_MUT_BODY, "body", SD_MUT_ARG_BYTES, 1},
    {SD_MUT_FLIP, "flip", SD_MUT_ARG_FLIP, 1},
    {SD_MUT_TRUNCATE, "truncate", SD_MUT_ARG_U24, 1},
    {SD_MUT_APPEND, "append", SD_MUT_ARG_BYTES, 1},
    {SD_MUT_LENGTH, "length", SD_MUT_ARG_U24, 1},
    {SD_MUT_TYPE, "type", SD_MUT_ARG_HANDSHAKE_TYPE, 1},
    {SD_MUT_PLAINTEXT, "plaintext", SD_MUT_ARG_NONE, 1},
    {SD_MUT_CERT, "cert", SD_MUT_ARG_CREDENTIAL, 1},
    {SD_MUT_EMPTY, "empty", SD_MUT_ARG_NONE, 1},
    {SD_MUT_WRONG_KEY, "wrong-key", SD_MUT_ARG_NONE, 1},
    {SD_MUT_SPLIT, "split", SD_MUT_ARG_SPLIT, 1},
    {SD_MUT_DUP_EXT, "dup-ext", SD_MUT_ARG_EXTENSION, 2},
    {SD_MUT_ADD_EXT, "add-ext", SD_MUT_ARG_EXTENSION_BYTES, 2},
    {SD_MUT_DROP_EXT, "drop-ext", SD_MUT_ARG_EXTENSION, 2},
    {SD_MUT_BAD_POINT, "bad-point", SD_MUT_ARG_NONE, 2},
    {SD_MUT_RECORD_VERSION, "record-version", SD_MUT_ARG_U16, 2},
    {SD_MUT_SIGN_WITH, "sign-with", SD_MUT_ARG_CREDENTIAL, 2},
    {SD_MUT_WRONG_TRANSCRIPT, "wrong-transcript", SD_MUT_ARG_NONE, 2},
    {SD_MUT_PAD, "pad", SD_MUT_ARG_U24, 2},
    {SD_MUT_UNKNOWN_EXTS, "unknown-exts", SD_MUT_ARG_U24, 2},
    {SD_MUT_SESSION_ID, "session-id", SD_MUT_ARG_BYTES8, 2},
    {SD_MUT_FLIP_EXT, "flip-ext", SD_MUT_ARG_EXTENSION_FLIP, 2},
    {SD_MUT_PREMASTER_VERSION, "premaster-version", SD_MUT_ARG_U16, 2},
    {SD_MUT_RANDOM, "random", SD_MUT_ARG_BYTES32, 2},
    {SD_MUT_PSK_NOT_LAST, "psk-not-last", SD_MUT_ARG_NONE, 4},
    {SD_MUT_BINDER_LENGTH, "binder-length", SD_MUT_ARG_U8, 4},
    {SD_MUT_BINDERS, "binders", SD_MUT_ARG_U8, 4},
    {SD_MUT_PSK_IDENTITIES, "psk-identities", SD_MUT_ARG_U8, 4},
    {SD_MUT_ADD_SUITE, "add-suite", SD_MUT_ARG_U16, 2},
    {SD_MUT_EARLY_DATA, "early-data", SD_MUT_ARG_NONE, 4},
    {SD_MUT_REPLAY, "replay", SD_MUT_ARG_NONE, 4},
    {SD_MUT_RECORD_FLIP, "record-flip", SD_MUT_ARG_FLIP, 2},
    {SD_MUT_CBC_PADDING, "cbc-padding", SD_MUT_ARG_U8_PAIR, 2},
    {SD_MUT_INNER_PADDING, "inner-padding", SD_MUT_ARG_U24, 2},
    {SD_MUT_SEQ_SKIP, "seq-skip", SD_MUT_ARG_U8, 2},
    {SD_MUT_SCHEME, "scheme", SD_MUT_ARG_U16, 4},
    {SD_MUT_DH_PUBLIC, "dh-public", SD_MUT_ARG_U8, 4},
    {SD_MUT_DH_PUBLIC_P_MINUS, "dh-public-p-minus", SD_MUT_ARG_U8, 4},
    {SD_MUT_DH_G, "dh-g", SD_MUT_ARG_U8, 4},
    {SD_MUT_DH_GROUP, "dh-group", SD_MUT_ARG_U16, 4},
    {SD_MUT_SECRET_LEADING_ZERO, "secret-leading-zero", SD_MUT_ARG_NONE, 4},
    {SD_MUT_COMPRESSION_ALG, "compression-alg", SD_MUT_ARG_U16, 4},
    {SD_MUT_UNCOMPRESSED_LENGTH, "uncompressed-length", SD_MUT_ARG_U24, 4},
    {SD_MUT_UNCOMPRESSED, "uncompressed", SD_MUT_ARG_BYTES, 4},
    {SD_MUT_INFLATE, "inflate", SD_MUT_ARG_U24, 4},
};
#define N_HISTORICAL (sizeof historical / sizeof historical[0])

static void test_mutation_table_is_historical(void **state) {
    (void)state;
    assert_int_equal(SD_MUT_COUNT, N_HISTORICAL);
    for (size_t k = 0; k < N_HISTORICAL; k++) {
        assert_int_equal(historical[k].kind, (int)k);
        const sd_mutation_info *info = sd_mutation_info_of(historical[k].kind);
        assert_non_null(info);
        assert_string_equal(info->name, historical[k].name);
        assert_int_equal(info->arg, historical[k].arg);
        assert_int_equal(info->binary_version, historical[k].binary_version);
        assert_true(info->binary_version >= 1 && info->binary_version <= SD_TRACE_BINARY_VERSION);
        assert_non_null(sd_mutation_arg_fields(info->arg));
        sd_mutation_kind back;
        assert_true(sd_mutation_from_name(info->name, strlen(info->name), &back));
        assert_int_equal(back, historical[k].kind);
    }
    /* Names are matched whole, and only kinds have rows. */
    sd_mutation_kind back;
    assert_false(sd_mutation_from_name("bodyx", 5, &back));
    assert_true(sd_mutation_from_name("bodyx", 4, &back));
    assert_int_equal(back, SD_MUT_BODY);
    assert_false(sd_mutation_from_name("", 0, &back));
    assert_null(sd_mutation_info_of((sd_mutation_kind)SD_MUT_COUNT));
    assert_null(sd_mutation_info_of((sd_mutation_kind)-1));
}

/* A mutation of this kind whose argument sits at one edge of its shape:
 * `high` picks the largest value, else the smallest (and a different
 * spelling of the other fields). */
static void sample_mutation(sd_mutation_kind kind, bool high, sd_mutation *m) {
    /* As many bytes as the largest bounded shape takes (BYTES8: 255). */
    static uint8_t bytes[255] = {0x00, 0xff, 0x17};
    memset(m, 0, sizeof *m);
    m->kind = kind;
    const sd_mutation_info *info = sd_mutation_info_of(kind);
    const sd_mutation_fields *f = sd_mutation_arg_fields(info->arg);
    if (f->value) m->value = high ? f->value_max : f->value_min;
    if (f->offset) m->offset = high ? SD_OFFSET_MIDDLE : -7;
    if (f->mask) m->mask = high ? 0xff : 0;
    if (f->bytes && (high || f->bytes_min)) {
        m->bytes = bytes;
        m->bytes_len = !high ? f->bytes_min : f->bytes_max ? f->bytes_max : 3;
    }
    if (f->text) memcpy(m->text, high ? "a.b_c-9" : "leaf", high ? 8 : 5);
}

/* One send (or renegotiate) carrying m, owned by the caller's stack. */
static void one_mutation_trace(sd_trace *t, sd_action *a, sd_action_kind kind, const sd_mutation *m) {
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->msg_type = 1; /* ClientHello: what renegotiate always sends */
    a->n_mutations = 1;
    a->mutations[0] = *m;
    t->n_actions = 1;
    t->cap = 1;
    t->actions = a;
}

static void test_mutation_table_round_trips(void **state) {
    (void)state;
    char what[80], err[300];
    for (size_t k = 0; k < SD_MUT_COUNT; k++) {
        const sd_mutation_info *info = sd_mutation_info_of((sd_mutation_kind)k);
        const sd_mutation_fields *f = sd_mutation_arg_fields(info->arg);
        for (int high = 0; high < 2; high++) {
            for (int reneg = 0; reneg < 2; reneg++) {
                sd_mutation m;
                sample_mutation((sd_mutation_kind)k, high, &m);
                sd_trace t;
                sd_action a;
                one_mutation_trace(&t, &a, reneg ? SD_ACT_RENEGOTIATE : SD_ACT_SEND, &m);
                snprintf(what, sizeof what, "%s (%s, %s)", info->name, high ? "high" : "low",
                         reneg ? "renegotiate" : "send");
                /* binary and script, both ways */
                check_round_trip(&t, what);

                /* The kind byte is the enum value, and the version byte the
                 * kind's own (or renegotiate's, 2). */
                sd_buf b;
                sd_buf_init(&b);
                assert_true(encode_as_needed(&t, &b, err, sizeof err));
                int version = reneg && info->binary_version < 2 ? 2 : info->binary_version;
                size_t setup_len = needs_setup(&t) ? test_setup_len() : 0;
                assert_int_equal(b.data[3], version);
                assert_int_equal(b.data[setup_len + (reneg ? 6 : 7)], (int)k);
                /* An older header cannot carry it. */
                if (!reneg && info->binary_version > 1) {
                    b.data[3] = (uint8_t)(info->binary_version - 1);
                    char needle[80];
                    snprintf(needle, sizeof needle, "mutation kind %zu needs binary trace version %d", k,
                             info->binary_version);
                    expect_reject(b.data, b.len, needle);
                }
                sd_buf_free(&b);

                /* The script names the kind with its table name. */
                sd_buf script;
                sd_buf_init(&script);
                sd_trace_print(&t, &script);
                sd_buf_u8(&script, 0);
                const char *word = strchr((const char *)script.data, ' ');
                if (!reneg) word = strchr(word + 1, ' ');
                assert_non_null(word);
                size_t name_len = strlen(info->name);
                if (strncmp(word + 1, info->name, name_len) != 0 ||
                    (word[1 + name_len] != (info->arg == SD_MUT_ARG_NONE ? '\n' : '=')))
                    fail_msg("%s printed as %s", what, (const char *)script.data);
                sd_buf_free(&script);

                /* One byte more than a bounded shape holds: refused. */
                if (f->bytes && f->bytes_max && high) {
                    static uint8_t too_many[256];
                    sd_mutation over = m;
                    over.bytes = too_many;
                    over.bytes_len = f->bytes_max + 1;
                    one_mutation_trace(&t, &a, reneg ? SD_ACT_RENEGOTIATE : SD_ACT_SEND, &over);
                    sd_buf_init(&b);
                    if (encode_as_needed(&t, &b, err, sizeof err))
                        fail_msg("%s: encoded %zu bytes", what, over.bytes_len);
                    sd_buf_free(&b);
                }
                /* One byte fewer than a shape's least: refused. */
                if (f->bytes && f->bytes_min && !high) {
                    sd_mutation under = m;
                    under.bytes_len = f->bytes_min - 1;
                    one_mutation_trace(&t, &a, reneg ? SD_ACT_RENEGOTIATE : SD_ACT_SEND, &under);
                    sd_buf_init(&b);
                    if (encode_as_needed(&t, &b, err, sizeof err))
                        fail_msg("%s: encoded %zu bytes", what, under.bytes_len);
                    sd_buf_free(&b);
                }
                /* Just past either edge of the value's range: the encoder
                 * refuses it (the decoder checks the same rules). */
                if (f->value) {
                    m.value = high ? f->value_max + 1 : f->value_min - 1;
                    one_mutation_trace(&t, &a, reneg ? SD_ACT_RENEGOTIATE : SD_ACT_SEND, &m);
                    sd_buf_init(&b);
                    if (encode_as_needed(&t, &b, err, sizeof err))
                        fail_msg("%s: encoded a value out of range", what);
                    sd_buf_free(&b);
                }
            }
        }
    }
}

/* A word that names no mutation: the error lists every name of the table. */
static void test_unknown_mutation_lists_every_name(void **state) {
    (void)state;
    sd_trace t;
    char err[1200] = "";
    const char *text = "send ClientHello frobnicate\n";
    assert_false(sd_trace_parse("t", text, strlen(text), &t, err, sizeof err));
    assert_non_null(strstr(err, "unknown mutation \"frobnicate\""));
    for (size_t k = 0; k < SD_MUT_COUNT; k++) {
        const sd_mutation_info *info = sd_mutation_info_of((sd_mutation_kind)k);
        char word[40];
        snprintf(word, sizeof word, " %s%s", info->name, info->arg == SD_MUT_ARG_NONE ? "" : "=");
        if (!strstr(err, word)) fail_msg("\"%s\" not in: %s", word, err);
    }
    assert_non_null(strstr(err, "body=, flip="));
    assert_non_null(strstr(err, " or secret-leading-zero)"));
}

/* --- Version 3: the setup --------------------------------------------------- */

static sd_fuzz_setup tls12_setup(void) {
    sd_fuzz_setup s;
    memset(&s, 0, sizeof s);
    s.role = SD_ROLE_CLIENT;
    s.version = 0x0303;
    s.cipher_suite = 0xc02b;
    snprintf(s.server_credential, sizeof s.server_credential, "expired");
    snprintf(s.target_client_credential, sizeof s.target_client_credential, "client-rsa");
    s.client_auth = SD_CLIENT_AUTH_REQUIRE;
    s.announce_ticket = true;
    return s;
}

static bool setup_equal(const sd_fuzz_setup *a, const sd_fuzz_setup *b) {
    return a->role == b->role && a->version == b->version && a->cipher_suite == b->cipher_suite &&
           strcmp(a->server_credential, b->server_credential) == 0 &&
           strcmp(a->client_credential, b->client_credential) == 0 &&
           strcmp(a->target_client_credential, b->target_client_credential) == 0 &&
           a->client_auth == b->client_auth && a->session_tickets == b->session_tickets &&
           a->announce_ticket == b->announce_ticket && a->early_data == b->early_data &&
           a->n_groups == b->n_groups &&
           memcmp(a->groups, b->groups, a->n_groups * sizeof a->groups[0]) == 0 &&
           strcmp(a->staple, b->staple) == 0 && a->min_version == b->min_version &&
           a->max_version == b->max_version && a->alpn_len == b->alpn_len &&
           memcmp(a->alpn, b->alpn, a->alpn_len) == 0 && a->record_size_limit == b->record_size_limit &&
           a->max_fragment_length == b->max_fragment_length && a->encrypt_then_mac == b->encrypt_then_mac &&
           a->n_cert_compression == b->n_cert_compression &&
           memcmp(a->cert_compression, b->cert_compression,
                  a->n_cert_compression * sizeof a->cert_compression[0]) == 0 &&
           a->n_sigalgs == b->n_sigalgs &&
           memcmp(a->sigalgs, b->sigalgs, a->n_sigalgs * sizeof a->sigalgs[0]) == 0;
}

/* t encoded with setup s has the second flags byte flags2 and, where tail
 * is given, those bytes at `at`; it decodes back to the same setup. */
static void assert_setup_round_trip(const sd_trace *t, const sd_fuzz_setup *s, uint8_t flags2,
                                    const uint8_t *tail, size_t tail_len, size_t at) {
    char err[256] = "";
    sd_buf sb;
    sd_buf_init(&sb);
    assert_true(sd_trace_encode_with_setup(t, s, &sb, err, sizeof err));
    assert_int_equal(sb.data[11], flags2);
    if (tail) assert_memory_equal(sb.data + at, tail, tail_len);
    sd_trace back;
    sd_fuzz_setup got;
    bool has_setup = false;
    assert_true(sd_trace_decode_with_setup(sb.data, sb.len, &back, &got, &has_setup, err, sizeof err));
    assert_true(setup_equal(s, &got));
    sd_trace_free(&back);
    sd_buf_free(&sb);
}

/* Setup s is no setup: encoding with it fails, the error naming `what`
 * (NULL: whatever it says). */
static void assert_setup_refused(const sd_trace *t, const sd_fuzz_setup *s, const char *what) {
    char err[256] = "";
    sd_buf sb;
    sd_buf_init(&sb);
    assert_false(sd_trace_encode_with_setup(t, s, &sb, err, sizeof err));
    if (what) assert_non_null(strstr(err, what));
    sd_buf_free(&sb);
}

/* Exact bytes, so the setup's layout in binary.h is pinned. */
static void test_setup_layout(void **state) {
    (void)state;
    sd_trace t;
    parse_script("expect ClientHello\nsend ServerHello\n", &t);
    sd_fuzz_setup s = tls12_setup();
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_true(sd_trace_encode_with_setup(&t, &s, &b, err, sizeof err));
    static const uint8_t want[] = {'S', 'D', 'T', 3,
                                   /* role client, TLS 1.2, suite 0xc02b, require, flags announce */
                                   0, 0x03, 0x03, 0xc0, 0x2b, 2, 2,
                                   /* server "expired", client none, target "client-rsa" */
                                   7, 'e', 'x', 'p', 'i', 'r', 'e', 'd', 0, 10, 'c', 'l', 'i', 'e', 'n', 't',
                                   '-', 'r', 's', 'a',
                                   /* no groups */
                                   0,
                                   /* expect ClientHello, send ServerHello (no mutations) */
                                   5, 1, 0, 2, 0};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    /* A stapled file: flag bit 2, and its name after the groups. */
    sd_fuzz_setup stapled = s;
    snprintf(stapled.staple, sizeof stapled.staple, "ocsp-leaf");
    sd_buf sb;
    sd_buf_init(&sb);
    assert_true(sd_trace_encode_with_setup(&t, &stapled, &sb, err, sizeof err));
    static const uint8_t want_stapled[] = {'S', 'D', 'T', 3,   0,   0x03, 0x03, 0xc0, 0x2b, 2,   2 | 4, 7,
                                           'e', 'x', 'p', 'i', 'r', 'e',  'd',  0,    10,   'c', 'l',   'i',
                                           'e', 'n', 't', '-', 'r', 's',  'a',  0,    9,    'o', 'c',   's',
                                           'p', '-', 'l', 'e', 'a', 'f',  5,    1,    0,    2,   0};
    assert_int_equal(sb.len, sizeof want_stapled);
    assert_memory_equal(sb.data, want_stapled, sizeof want_stapled);
    sd_buf_free(&sb);
    /* Versions: flag bit 3, and min then max after the stapled file. */
    sd_fuzz_setup ranged = stapled;
    ranged.min_version = 0x0303;
    ranged.max_version = 0x0304;
    sd_buf_init(&sb);
    assert_true(sd_trace_encode_with_setup(&t, &ranged, &sb, err, sizeof err));
    static const uint8_t want_ranged[] = {
        'S', 'D', 'T', 3,   0,   0x03, 0x03, 0xc0, 0x2b, 2,    2 | 4 | 8, 7,    'e', 'x', 'p', 'i', 'r',
        'e', 'd', 0,   10,  'c', 'l',  'i',  'e',  'n',  't',  '-',       'r',  's', 'a', 0,   9,   'o',
        'c', 's', 'p', '-', 'l', 'e',  'a',  'f',  0x03, 0x03, 0x03,      0x04, 5,   1,   0,   2,   0};
    assert_int_equal(sb.len, sizeof want_ranged);
    assert_memory_equal(sb.data, want_ranged, sizeof want_ranged);
    sd_buf_free(&sb);
    /* Without a stapled file they follow the groups. */
    ranged.staple[0] = '\0';
    ranged.min_version = ranged.max_version = 0x0303;
    sd_buf_init(&sb);
    assert_true(sd_trace_encode_with_setup(&t, &ranged, &sb, err, sizeof err));
    static const uint8_t want_one[] = {'S',  'D',  'T',  3,   0,   0x03, 0x03, 0xc0, 0x2b, 2,  2 | 8,
                                       7,    'e',  'x',  'p', 'i', 'r',  'e',  'd',  0,    10, 'c',
                                       'l',  'i',  'e',  'n', 't', '-',  'r',  's',  'a',  0,  0x03,
                                       0x03, 0x03, 0x03, 5,   1,   0,    2,    0};
    assert_int_equal(sb.len, sizeof want_one);
    assert_memory_equal(sb.data, want_one, sizeof want_one);
    sd_buf_free(&sb);
    /* ALPN: flag bit 6, and its length and protocols last, after the
     * versions. */
    sd_fuzz_setup with_alpn = ranged;
    memcpy(with_alpn.alpn, "\x02h2", 3);
    with_alpn.alpn_len = 3;
    sd_buf_init(&sb);
    assert_true(sd_trace_encode_with_setup(&t, &with_alpn, &sb, err, sizeof err));
    static const uint8_t want_alpn[] = {
        'S', 'D', 'T',  3,    0,    0x03, 0x03, 0xc0, 0x2b, 2,   2 | 8 | 64, 7,   'e', 'x', 'p',
        'i', 'r', 'e',  'd',  0,    10,   'c',  'l',  'i',  'e', 'n',        't', '-', 'r', 's',
        'a', 0,   0x03, 0x03, 0x03, 0x03, 3,    2,    'h',  '2', 5,          1,   0,   2,   0};
    assert_int_equal(sb.len, sizeof want_alpn);
    assert_memory_equal(sb.data, want_alpn, sizeof want_alpn);
    sd_buf_free(&sb);
    /* record_size_limit (RFC 8449): flag bit 7, a second flags byte with
     * bit 0, and the limit last, after the ALPN protocols; it decodes back
     * the same. */
    sd_fuzz_setup with_limit = with_alpn;
    with_limit.record_size_limit = 0x0100;
    sd_buf_init(&sb);
    assert_true(sd_trace_encode_with_setup(&t, &with_limit, &sb, err, sizeof err));
    static const uint8_t want_limit[] = {
        'S',  'D',  'T',  3,    0,   0x03, 0x03, 0xc0, 0x2b, 2,    2 | 8 | 64 | 128,
        1,    7,    'e',  'x',  'p', 'i',  'r',  'e',  'd',  0,    10,
        'c',  'l',  'i',  'e',  'n', 't',  '-',  'r',  's',  'a',  0,
        0x03, 0x03, 0x03, 0x03, 3,   2,    'h',  '2',  0x01, 0x00, 5,
        1,    0,    2,    0};
    assert_int_equal(sb.len, sizeof want_limit);
    assert_memory_equal(sb.data, want_limit, sizeof want_limit);
    {
        sd_trace back;
        sd_fuzz_setup got_limit;
        bool has_setup = false;
        assert_true(
            sd_trace_decode_with_setup(sb.data, sb.len, &back, &got_limit, &has_setup, err, sizeof err));
        assert_true(has_setup);
        assert_true(setup_equal(&with_limit, &got_limit));
        sd_trace_free(&back);
    }
    sd_buf_free(&sb);
    /* max_fragment_length (RFC 6066 §4): bit 1 of the second flags byte,
     * its code after the record_size_limit. */
    with_limit.max_fragment_length = 1;
    assert_setup_round_trip(&t, &with_limit, 1 | 2, NULL, 0, 0);
    with_limit.max_fragment_length = 5;
    assert_setup_refused(&t, &with_limit, "max_fragment_length");
    with_limit.max_fragment_length = 0;
    /* after the limit, before the actions */
    const size_t tail_at = sizeof want_limit - 5;
    /* Certificate compression (RFC 8879): bit 3 of the second flags byte,
     * then the count and the algorithms, last. */
    with_limit.n_cert_compression = 2;
    with_limit.cert_compression[0] = 2;
    with_limit.cert_compression[1] = 1;
    static const uint8_t want_compression[] = {2, 0, 2, 0, 1};
    assert_setup_round_trip(&t, &with_limit, 1 | 8, want_compression, sizeof want_compression, tail_at);
    /* zstd (not implemented) or an algorithm twice is no setup. */
    with_limit.cert_compression[1] = 3;
    assert_setup_refused(&t, &with_limit, "certificate compression");
    with_limit.cert_compression[1] = 2;
    assert_setup_refused(&t, &with_limit, NULL);
    with_limit.n_cert_compression = 0;
    /* `signature-algorithms:`: bit 4 of the second flags byte, then the
     * count and the schemes, last. */
    with_limit.n_sigalgs = 2;
    with_limit.sigalgs[0] = 0x0804;
    with_limit.sigalgs[1] = 0x0403;
    static const uint8_t want_sigalgs[] = {2, 0x08, 0x04, 0x04, 0x03};
    assert_setup_round_trip(&t, &with_limit, 1 | 16, want_sigalgs, sizeof want_sigalgs, tail_at);
    /* A scheme twice is no setup. */
    with_limit.sigalgs[1] = 0x0804;
    assert_setup_refused(&t, &with_limit, "signature scheme");
    with_limit.n_sigalgs = 0;
    /* Under 64 (RFC 8449 §4) is no setup. */
    with_limit.record_size_limit = 63;
    assert_setup_refused(&t, &with_limit, "record_size_limit");
    /* A list that is not one (an empty name) is no setup. */
    with_alpn.alpn[0] = 0;
    assert_setup_refused(&t, &with_alpn, "ALPN");

    sd_trace d;
    sd_fuzz_setup got;
    bool has = false;
    assert_true(sd_trace_decode_with_setup(b.data, b.len, &d, &got, &has, err, sizeof err));
    assert_true(has);
    assert_true(setup_equal(&s, &got));
    assert_true(sd_trace_equal(&t, &d));
    sd_trace_free(&d);
    /* Without the setup's API, the same trace, setup dropped. */
    assert_true(sd_trace_decode(b.data, b.len, &d, err, sizeof err));
    assert_true(sd_trace_equal(&t, &d));
    sd_trace_free(&d);
    /* A NULL setup is the version 1 encoding. */
    sd_buf_free(&b);
    sd_buf_init(&b);
    assert_true(sd_trace_encode_with_setup(&t, NULL, &b, err, sizeof err));
    assert_memory_equal(b.data, "SDT\x01", 4);
    assert_true(sd_trace_decode_with_setup(b.data, b.len, &d, &got, &has, err, sizeof err));
    assert_false(has);
    assert_int_equal(got.version, 0);
    assert_string_equal(got.server_credential, "");
    sd_trace_free(&d);
    sd_buf_free(&b);
    sd_trace_free(&t);
}

/* A setup goes with every action and mutation, whatever version they need,
 * and the empty trace; decode then encode keeps the bytes. */
static void test_setup_round_trips(void **state) {
    (void)state;
    const char *scripts[] = {every_feature, every_v2_feature, ""};
    sd_fuzz_setup setups[3];
    setups[0] = tls12_setup();
    memset(&setups[1], 0, sizeof setups[1]);
    setups[1].role = SD_ROLE_SERVER;
    setups[1].version = 0x0304;
    setups[1].session_tickets = true;
    snprintf(setups[1].client_credential, sizeof setups[1].client_credential, "%s",
             "a-credential.name_of-63-bytes-is-the-longest-there-can-be-0123");
    snprintf(setups[1].staple, sizeof setups[1].staple, "%s", "ocsp-leaf-wrong-serial");
    setups[2] = setups[1];
    setups[2].client_auth = SD_CLIENT_AUTH_REQUEST;
    setups[2].cipher_suite = 0xffff;
    /* every group slot, any value */
    setups[2].n_groups = SD_MAX_SCENARIO_GROUPS;
    for (size_t g = 0; g < SD_MAX_SCENARIO_GROUPS; g++) setups[2].groups[g] = (uint16_t)(0x0017 + 0x1111 * g);
    setups[2].min_version = 0x0303;
    setups[2].max_version = 0x0304;
    setups[0].min_version = setups[0].max_version = 0x0304;
    /* the longest ALPN list: one name of 254 bytes */
    setups[2].alpn[0] = 254;
    memset(setups[2].alpn + 1, 'p', 254);
    setups[2].alpn_len = 255;
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        for (size_t k = 0; k < sizeof setups / sizeof setups[0]; k++) {
            sd_trace t;
            parse_script(scripts[i], &t);
            sd_buf a, b;
            sd_buf_init(&a);
            sd_buf_init(&b);
            char err[300];
            if (!sd_trace_encode_with_setup(&t, &setups[k], &a, err, sizeof err)) fail_msg("encode: %s", err);
            assert_int_equal(a.data[3], 3);
            sd_trace d;
            sd_fuzz_setup got;
            bool has = false;
            if (!sd_trace_decode_with_setup(a.data, a.len, &d, &got, &has, err, sizeof err))
                fail_msg("decode: %s", err);
            assert_true(has);
            assert_true(setup_equal(&setups[k], &got));
            assert_true(sd_trace_equal(&t, &d));
            assert_true(sd_trace_encode_with_setup(&d, &got, &b, err, sizeof err));
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.data, b.data, a.len);
            /* Every proper prefix that ends inside the setup is refused. */
            size_t setup_end = SD_TRACE_BINARY_HEADER_LEN + 7 + 3 + strlen(got.server_credential) +
                               strlen(got.client_credential) + strlen(got.target_client_credential) + 1 +
                               2 * got.n_groups + (got.staple[0] ? 1 + strlen(got.staple) : 0) +
                               (got.min_version ? 4 : 0) + (got.alpn_len ? 1 + got.alpn_len : 0);
            for (size_t n = SD_TRACE_BINARY_HEADER_LEN; n < setup_end; n++) {
                sd_trace cut;
                if (sd_trace_decode_with_setup(a.data, n, &cut, &got, &has, err, sizeof err))
                    fail_msg("a setup cut at %zu bytes decodes", n);
                assert_non_null(strstr(err, "setup"));
            }
            sd_trace_free(&d);
            sd_trace_free(&t);
            sd_buf_free(&a);
            sd_buf_free(&b);
        }
    }
}

/* send-ccs empty-master is version 3: it round-trips with a setup, is
 * refused without one, and its flag bit is unknown to versions 1 and 2. */
static void test_empty_master_needs_a_setup(void **state) {
    (void)state;
    sd_trace t, d;
    parse_script("send ClientHello\nsend-ccs empty-master\nsend-ccs empty-master encrypted\n", &t);
    assert_true(t.actions[1].empty_master && t.actions[2].empty_master && t.actions[2].encrypted);
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_non_null(strstr(err, "setup"));
    assert_int_equal(b.len, 0);
    sd_fuzz_setup s = tls12_setup();
    assert_true(sd_trace_encode_with_setup(&t, &s, &b, err, sizeof err));
    assert_true(sd_trace_decode(b.data, b.len, &d, err, sizeof err));
    assert_true(sd_trace_equal(&t, &d));
    sd_trace_free(&d);
    /* A CCS whose flags say empty-master (bit 2) in a version 1 trace */
    expect_reject((const uint8_t *)"SDT\x01\x03\x04", 6, "unknown flag bits");
    sd_buf_free(&b);
    sd_trace_free(&t);
}

static void test_setup_rejects(void **state) {
    (void)state;
    /* role 2; version 1.1; client authentication 3; flag bit 3; a name with
     * a capital; a name of 64 bytes; a name past the end */
    expect_reject((const uint8_t *)"SDT\x03\x02\x03\x04\x00\x00\x00\x00\x00\x00\x00\x00", 15, "role 2");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x02\x00\x00\x00\x00\x00\x00\x00\x00", 15, "0x0302");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x03\x00\x00\x00\x00\x00", 15,
                  "client authentication 3");
    /* nine groups; a group cut short */
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x00\x00\x00\x00\x09", 15, "9 groups");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x00\x00\x00\x00\x01\x00", 16,
                  "a group of the setup");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x80\x20\x00\x00\x00", 15,
                  "unknown setup flag bits");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x80\x00\x00\x00\x00", 15,
                  "second flags are 0");
    /* the ALPN flag (bit 6): an empty list (one encoding: none is the flag
     * clear), a list cut short, a list that is not one (an empty name) */
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x40\x00\x00\x00\x00\x00", 16,
                  "ALPN protocols are empty");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x40\x00\x00\x00\x00\x03\x02h", 18,
                  "the setup's ALPN protocols");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x40\x00\x00\x00\x00\x02\x00h", 18,
                  "non-empty names");
    /* the versions flag (bit 3): cut short, 0 (one encoding: no range is
     * the flag clear), TLS 1.1, backwards */
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x08\x00\x00\x00\x00\x03\x03\x03", 18,
                  "the setup's highest version");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00", 19,
                  "the setup's versions start at 0x0000");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x08\x00\x00\x00\x00\x03\x02\x03\x04", 19,
                  "versions 0x0302-0x0304");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x08\x00\x00\x00\x00\x03\x04\x03\x03", 19,
                  "lowest first");
    /* the staple flag (bit 2): a name of 0 bytes (one encoding: no file is
     * the flag clear), none at all, one with a capital */
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x04\x00\x00\x00\x00\x00", 16,
                  "stapled file has an empty name");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x04\x00\x00\x00\x00", 15, "stapled file");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x04\x00\x00\x00\x00\x01"
                                   "O",
                  17, "stapled file with a byte outside");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x00\x01"
                                   "A\x00\x00",
                  15, "server credential with a byte outside");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x00\x40", 12, "of 64 bytes");
    expect_reject((const uint8_t *)"SDT\x03\x00\x03\x04\x00\x00\x00\x00\x00\x00\x05"
                                   "ab",
                  16, "runs past the end");
    /* and the encoder refuses what the decoder would */
    sd_trace t;
    sd_trace_init(&t);
    sd_fuzz_setup s = tls12_setup();
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    s.version = 0x0302;
    assert_false(sd_trace_encode_with_setup(&t, &s, &b, err, sizeof err));
    assert_non_null(strstr(err, "0x0302"));
    s = tls12_setup();
    snprintf(s.client_credential, sizeof s.client_credential, "Leaf");
    assert_false(sd_trace_encode_with_setup(&t, &s, &b, err, sizeof err));
    assert_int_equal(b.len, 0);
    s = tls12_setup();
    snprintf(s.staple, sizeof s.staple, "ocsp leaf");
    assert_false(sd_trace_encode_with_setup(&t, &s, &b, err, sizeof err));
    assert_non_null(strstr(err, "stapled file"));
    assert_int_equal(b.len, 0);
    s = tls12_setup();
    s.max_version = 0x0304; /* a max without a min */
    assert_false(sd_trace_encode_with_setup(&t, &s, &b, err, sizeof err));
    assert_non_null(strstr(err, "versions 0x0000-0x0304"));
    assert_int_equal(b.len, 0);
    sd_buf_free(&b);
}

/* The corpus written before setups (versions 1 and 2) reads as it did:
 * every such file of corpus/fuzz_trace decodes without a setup and
 * encodes back to its bytes. */
static void test_old_corpus_reads(void **state) {
    (void)state;
    const char *src = getenv("SHAKEDOWN_SOURCE_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/corpus/fuzz_trace", src ? src : SHAKEDOWN_SOURCE_DIR);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    struct dirent *e;
    int old = 0, with_setup = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        static uint8_t data[1 << 16];
        size_t n = fread(data, 1, sizeof data, f);
        fclose(f);
        sd_trace t;
        sd_fuzz_setup setup;
        bool has = false;
        char err[300];
        if (!sd_trace_decode_with_setup(data, n, &t, &setup, &has, err, sizeof err))
            fail_msg("%s: %s", path, err);
        assert_int_equal(has, data[3] >= 3);
        if (has)
            with_setup++;
        else
            old++;
        sd_buf b;
        sd_buf_init(&b);
        assert_true(sd_trace_encode_with_setup(&t, has ? &setup : NULL, &b, err, sizeof err));
        assert_int_equal(b.len, n);
        assert_memory_equal(b.data, data, n);
        sd_buf_free(&b);
        sd_trace_free(&t);
    }
    closedir(d);
    assert_true(old > 0);
    assert_true(with_setup > 0);
}

/* A trace of several connections: version 4 with its setup, read back
 * equal; refused without a setup, in an older version, and where the
 * connections break the script's rules (with the action named). */
static void test_connections(void **state) {
    (void)state;
    sd_trace t;
    parse_script(
        "send ClientHello\nexpect ServerHello\nsend Finished\nconnection\n"
        "send ClientHello psk-identities=2 binders=1\nconnection\nsend ClientHello binder-length=255\n",
        &t);
    check_round_trip(&t, "three connections");
    sd_buf b;
    sd_buf_init(&b);
    char err[300];
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_non_null(strstr(err, "needs a binary trace with its setup (version 4)"));
    assert_true(sd_trace_encode_with_setup(&t, &test_setup, &b, err, sizeof err));
    assert_int_equal(b.data[3], 4);
    size_t at = SD_TRACE_BINARY_HEADER_LEN + test_setup_len();
    /* send ClientHello (kind 0, type 1, no mutations), expect ServerHello,
     * send Finished, then the connection: kind 10 and nothing else. */
    assert_int_equal(b.data[at + 3 + 2 + 3], SD_ACT_CONNECTION);
    sd_trace d;
    sd_fuzz_setup setup;
    bool has = false;
    assert_true(sd_trace_decode_with_setup(b.data, b.len, &d, &setup, &has, err, sizeof err));
    assert_true(has);
    assert_int_equal(sd_trace_connections(&d), 3);
    sd_trace_free(&d);
    /* A version 3 header cannot carry a connection. */
    b.data[3] = 3;
    expect_reject(b.data, b.len, "action kind 10 (connection) needs binary trace version 4");
    /* A version 4 trace that version 3 could say is another spelling. */
    sd_trace one;
    parse_script("send ClientHello\n", &one);
    sd_buf v3;
    sd_buf_init(&v3);
    assert_true(sd_trace_encode_with_setup(&one, &test_setup, &v3, err, sizeof err));
    assert_int_equal(v3.data[3], 3);
    v3.data[3] = 4;
    expect_reject(v3.data, v3.len, "holds only what version 3 can express");
    /* Cut anywhere inside the last action: a clear error, never a crash. */
    for (size_t n = b.len - 1; n > at + 8; n--) {
        b.data[3] = 4;
        if (sd_trace_decode(b.data, n, &d, err, sizeof err)) {
            sd_trace_free(&d);
            continue; /* cut between two actions: a shorter trace, or one ending in a connection */
        }
        assert_true(strncmp(err, "offset ", 7) == 0);
    }
    /* Ending on a connection: refused, naming the action. */
    uint8_t ends[64];
    size_t n = SD_TRACE_BINARY_HEADER_LEN + test_setup_len();
    memcpy(ends, v3.data, n);
    ends[3] = 4;
    ends[n++] = SD_ACT_SEND, ends[n++] = 1, ends[n++] = 0, ends[n++] = SD_ACT_CONNECTION;
    assert_false(sd_trace_decode(ends, n, &d, err, sizeof err));
    char want[160];
    snprintf(want, sizeof want,
             "offset %zu: action 2: connection as the last action: connection 2 does nothing", n - 1);
    assert_string_equal(err, want);
    /* Two in a row. */
    size_t second = n;
    ends[n++] = SD_ACT_CONNECTION, ends[n++] = SD_ACT_SEND, ends[n++] = 1, ends[n++] = 0;
    assert_false(sd_trace_decode(ends, n, &d, err, sizeof err));
    snprintf(want, sizeof want,
             "offset %zu: action 3: connection right after another: connection 2 does nothing", second);
    assert_string_equal(err, want);
    sd_buf_free(&v3);
    sd_trace_free(&one);
    sd_buf_free(&b);
    sd_trace_free(&t);
}

/* expect's psk= and if-full: version 4 with its setup, the kind byte with
 * 0x20 set and the answers and flag after the fields of the expect they
 * go on; read back equal; refused in version 3, with neither option, with
 * an if-full flag other than 0 or 1, and psk= on a message other than a
 * ServerHello. */
static void test_expect_psk(void **state) {
    (void)state;
    sd_trace t;
    parse_script("send ClientHello\nexpect ServerHello psk=1|none\nexpect Certificate if-full\n"
                 "expect HelloRetryRequest if-full\nexpect ServerHello random=01 psk=0 if-full\n",
                 &t);
    check_round_trip(&t, "psk= and if-full");
    sd_buf b;
    sd_buf_init(&b);
    char err[300];
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_true(sd_trace_encode_with_setup(&t, &test_setup, &b, err, sizeof err));
    assert_int_equal(b.data[3], 4);
    size_t at = SD_TRACE_BINARY_HEADER_LEN + test_setup_len() + 3;
    static const uint8_t want[] = {/* expect ServerHello psk=1|none: 0x25, type 2, 0x8002, 0 */
                                   0x25, 2, 0x80, 0x02, 0,
                                   /* expect Certificate if-full: 0x25, type 11, 0, 1 */
                                   0x25, 11, 0, 0, 1,
                                   /* expect HelloRetryRequest if-full: 0xa5, no type */
                                   0xa5, 0, 0, 1,
                                   /* random= too: 0x65, type 2, the random, psk=0, if-full */
                                   0x65, 2, 1, 0x01, 0, 0x01, 1};
    assert_int_equal(b.len - at, sizeof want);
    assert_memory_equal(b.data + at, want, sizeof want);
    b.data[3] = 3;
    expect_reject(b.data, b.len, "(expect with psk=, if-full or if-announced) needs binary trace version 4");
    b.data[3] = 4;
    b.data[at + 9] = 4;
    expect_reject(b.data, b.len, "expect flags 0x04 (bit 0 if-full, bit 1 if-announced)");
    b.data[at + 9] = 0;
    expect_reject(b.data, b.len, "an expect with none of psk=, if-full and if-announced");
    b.data[at + 9] = 2; /* if-announced on a Certificate */
    expect_reject(b.data, b.len, "if-announced is for a NewSessionTicket (RFC 5077 §3.3)");
    b.data[at + 9] = 1;
    b.data[at + 6] = 20, b.data[at + 7] = 0x80; /* psk= on a Finished */
    expect_reject(b.data, b.len, "psk= checks a ServerHello's pre_shared_key");
    sd_buf_free(&b);
    sd_trace_free(&t);
}

/* expect NewSessionTicket if-announced: the flags byte after expect_psk,
 * bit 1 (bit 0 is if-full, which was the whole byte before: the bytes of
 * test_expect_psk, written before if-announced, still read back the same);
 * read back equal; refused in version 3, and refused on another message
 * in a script and in the binary form alike. */
static void test_expect_if_announced(void **state) {
    (void)state;
    sd_trace t;
    parse_script("send ClientHello\nexpect NewSessionTicket if-announced\n"
                 "expect NewSessionTicket if-full if-announced\nexpect NewSessionTicket\n",
                 &t);
    check_round_trip(&t, "if-announced");
    sd_buf b;
    sd_buf_init(&b);
    char err[300];
    assert_false(sd_trace_encode(&t, &b, err, sizeof err));
    assert_true(sd_trace_encode_with_setup(&t, &test_setup, &b, err, sizeof err));
    assert_int_equal(b.data[3], 4);
    size_t at = SD_TRACE_BINARY_HEADER_LEN + test_setup_len() + 3;
    static const uint8_t want[] = {/* if-announced: 0x25, type 4, psk 0, flags 2 */
                                   0x25, 4, 0, 0, 2,
                                   /* if-full if-announced: flags 3 */
                                   0x25, 4, 0, 0, 3,
                                   /* a plain expect: kind 5, type 4 */
                                   5, 4};
    assert_int_equal(b.len - at, sizeof want);
    assert_memory_equal(b.data + at, want, sizeof want);
    b.data[3] = 3;
    expect_reject(b.data, b.len, "(expect with psk=, if-full or if-announced) needs binary trace version 4");
    b.data[3] = 4;
    b.data[at + 1] = 20; /* on a Finished */
    expect_reject(b.data, b.len, "if-announced is for a NewSessionTicket (RFC 5077 §3.3)");
    b.data[at + 1] = 4;
    sd_trace back;
    if (!sd_trace_decode(b.data, b.len, &back, err, sizeof err)) fail_msg("%s", err);
    assert_true(back.actions[1].if_announced);
    assert_false(back.actions[1].if_full);
    assert_true(back.actions[2].if_announced && back.actions[2].if_full);
    assert_false(back.actions[3].if_announced);
    sd_trace_free(&back);
    sd_buf_free(&b);
    sd_trace_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expect_psk),
        cmocka_unit_test(test_expect_if_announced),
        cmocka_unit_test(test_every_feature),
        cmocka_unit_test(test_empty_trace),
        cmocka_unit_test(test_every_v2_feature),
        cmocka_unit_test(test_layout_appdata_mutations),
        cmocka_unit_test(test_version_is_the_lowest_needed),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_layout_session_id_flip_ext_premaster),
        cmocka_unit_test(test_layout_random),
        cmocka_unit_test(test_layout_raw_fill),
        cmocka_unit_test(test_every_scenario),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_encoder_refuses),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_mutation_table_is_historical),
        cmocka_unit_test(test_mutation_table_round_trips),
        cmocka_unit_test(test_unknown_mutation_lists_every_name),
        cmocka_unit_test(test_setup_layout),
        cmocka_unit_test(test_setup_round_trips),
        cmocka_unit_test(test_setup_rejects),
        cmocka_unit_test(test_empty_master_needs_a_setup),
        cmocka_unit_test(test_old_corpus_reads),
        cmocka_unit_test(test_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
