/* generate_malformed.c — gen-malformed: each message the driver sends,
 * other than Finished (gen-finished) and ChangeCipherSpec (gen-record),
 * broken in one way: truncated, emptied, with trailing bytes, with a lying
 * length, under a wrong type. The body still comes from the session state,
 * so only the named defect differs from an honest message. In TLS 1.2, the
 * hellos' fields too. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "trace/generate_family.h"
#include "wire/names.h"

/* Lengths that do not depend on the run: EncryptedExtensions with no
 * extensions is always 2 bytes (RFC 8446 §4.3.1). The others carry a random
 * session id echo, a certificate chain or a signature whose length varies,
 * so a lying length field is only generated where the true one is known. */
static long fixed_body_len(uint16_t msg) { return msg == SD_EncryptedExtensions ? 2 : -1; }

/* --- The hellos' fields (TLS 1.2) ----------------------------------------------
 * Offsets in the driver's hellos (RFC 5246 §7.4.1.2, §7.4.1.3), which are
 * fixed because the driver's session id is empty and it offers one suite
 * and one compression method. */
enum {
    HELLO_VERSION_MINOR = 1, /* the low byte of client_version / server_version */
    HELLO_SESSION_ID_LEN = 34,
    CH_COMPRESSION = 40, /* after the suites' length (35) and suite (37), the methods' length (39) */
    CH_EXTENSIONS_LEN_LOW = 42,
    SH_SUITE_HIGH = 35,
    SH_COMPRESSION = 37,
    SH_EXTENSIONS_LEN_LOW = 39,
};

/* A byte of the honest hello flipped, or a ClientHello written out with
 * these vectors. */
typedef struct {
    sd_role target; /* the side that receives the hello */
    const char *detail, *what;
    requirement r;
    const char *expect;
    int offset, mask;                 /* flip=offset:mask; offset < 0: written out */
    const char *suites, *compression; /* the written-out vectors, hex with their lengths */
} hello_field;

static const hello_field hello_fields12[] = {
    {SD_ROLE_SERVER, "client-hello.session-id-length-long", "whose session_id length is one too long",
     R_CLIENT_HELLO_DECODE, "alert decode_error", HELLO_SESSION_ID_LEN, 0x01, NULL, NULL},
    {SD_ROLE_SERVER, "client-hello.extensions-length-wrong", "whose extensions length is off by one",
     R_CLIENT_HELLO_DECODE, "alert decode_error", CH_EXTENSIONS_LEN_LOW, 0x01, NULL, NULL},
    {SD_ROLE_SERVER, "client-hello.empty-cipher-suites", "with an empty cipher_suites list",
     R_CLIENT_HELLO_DECODE, "alert decode_error", -1, 0, "0000", "0100"},
    {SD_ROLE_SERVER, "client-hello.odd-cipher-suites-length", "whose cipher_suites length is odd",
     R_CLIENT_HELLO_DECODE, "alert decode_error", -1, 0, "0003c02b00", "0100"},
    {SD_ROLE_SERVER, "client-hello.empty-compression-methods", "with an empty compression_methods list",
     R_CLIENT_HELLO_DECODE, "alert decode_error", -1, 0, "0002c02b", "00"},
    {SD_ROLE_SERVER, "client-hello.no-null-compression", "whose compression_methods lack null", R_COMPRESSION,
     "alert illegal_parameter", CH_COMPRESSION, 0x01, NULL, NULL},
    {SD_ROLE_SERVER, "client-hello.version-tls11", "offering TLS 1.1 only (client_version 0x0302)",
     R_CH_VERSION, "alert protocol_version", HELLO_VERSION_MINOR, 0x01, NULL, NULL},
    {SD_ROLE_CLIENT, "server-hello.session-id-length-long", "whose session_id length is one too long",
     R_DECODE, "alert decode_error", HELLO_SESSION_ID_LEN, 0x01, NULL, NULL},
    {SD_ROLE_CLIENT, "server-hello.extensions-length-wrong", "whose extensions length is off by one",
     R_DECODE, "alert decode_error", SH_EXTENSIONS_LEN_LOW, 0x01, NULL, NULL},
    {SD_ROLE_CLIENT, "server-hello.compression-deflate",
     "selecting compression method 1, which was not offered", R_SH_COMPRESSION, "alert illegal_parameter",
     SH_COMPRESSION, 0x01, NULL, NULL},
    /* 0x80 in the high byte: a suite no client offers (0x402b, 0x809c, ...). */
    {SD_ROLE_CLIENT, "server-hello.suite-not-offered", "selecting a cipher suite that was not offered",
     R_SH_SUITE, "alert illegal_parameter", SH_SUITE_HIGH, 0x80, NULL, NULL},
    {SD_ROLE_CLIENT, "server-hello.version-tls11", "selecting TLS 1.1 (server_version 0x0302)", R_SH_VERSION,
     "alert protocol_version", HELLO_VERSION_MINOR, 0x01, NULL, NULL},
};

/* The hello cases of each version: its hellos' layout is in the table. */
static const struct {
    const hello_field *fields;
    size_t n;
} hello_fields[N_GEN_VERSIONS] = {
    [GEN_TLS12] = {hello_fields12, sizeof(hello_fields12) / sizeof(hello_fields12[0])},
};

/* A ClientHello written out (random 00..1f, no session id), with these
 * cipher_suites and compression_methods vectors (hex with their length), and
 * the extensions the driver sends. */
static void put_client_hello12(gen *g, const char *suites, const char *compression) {
    sd_buf_appendf(
        &g->text,
        "send ClientHello body=0303000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00%s%s"
        "0045"                                                         /* extensions: */
        "0000001a00180000157365727665722e7368616b65646f776e2e74657374" /* server_name */
        "000a00080006001d00170018"                                     /* supported_groups */
        "000d000e000c040305030804080508060807"                         /* signature_algorithms */
        "00170000ff01000100\n",                                        /* ems, renegotiation_info */
        suites, compression);
}

static void hellos(gen *g, const honest *h) {
    char title[400];
    for (size_t f = 0; f < hello_fields[h->v->id].n && g->ok; f++) {
        const hello_field *field = &hello_fields[h->v->id].fields[f];
        if (field->target != h->target) continue;
        /* A written-out ClientHello names one suite: only the ECDSA profile's. */
        if (field->offset < 0 && strcmp(h->p->name, "ecdhe-ecdsa") != 0) continue;
        const char *msg = h->target == SD_ROLE_SERVER ? "ClientHello" : "ServerHello";
        snprintf(title, sizeof title, "%s rejects a %s %s", gen_who(h), msg, field->what);
        /* "old-version": the refusal rests on the peer not taking TLS 1.1,
         * which a peer over TCP may be set up to take (run/probe.c). */
        bool old_version = field->r == R_CH_VERSION || field->r == R_SH_VERSION;
        gen_begin(g, "gen-malformed", h, field->detail, title, field->r, field->expect, NULL,
                  old_version ? "malformed, hello, old-version" : "malformed, hello");
        if (h->target == SD_ROLE_CLIENT) gen_put(g, "expect ClientHello\n");
        if (field->offset >= 0)
            sd_buf_appendf(&g->text, "send %s flip=%d:0x%02x\n", msg, field->offset, field->mask);
        else
            put_client_hello12(g, field->suites, field->compression);
        gen_finish(g, "gen-malformed");
    }
}

/* --- Each message the driver sends ------------------------------------------------ */

static void message(gen *g, const honest *h, size_t pos) {
    const sd_shape *s = h->shape;
    const sd_step *st = &s->steps[pos];
    /* What the script sends ("HelloRetryRequest" is a message of its own
     * there), and what titles call it ("second ClientHello"). */
    const char *name = sd_step_name(st->msg);
    const char *who = gen_who(h);
    const char *extra = gen_honest_extra(h, st->msg);
    char k[48], label_buf[48], detail[256], title[400], tw[8];
    gen_step_kebab(h, pos, k, sizeof k);
    const char *label = gen_step_title(h, pos, label_buf, sizeof label_buf);
    if (strncmp(label, "the ", 4) == 0) label += 4;
    /* ServerHelloDone is empty (RFC 5246 §7.4.5): only trailing bytes
     * break it. */
    bool empty_body = st->msg == SD_ServerHelloDone;
    static const struct {
        const char *detail, *what, *mutation;
        bool on_empty;
    } forms[] = {
        {"truncated", "one byte short", "truncate=1", false},
        {"empty", "with an empty body", "body=", false},
        {"trailing-byte", "with a trailing byte", "append=00", true},
        {"trailing-bytes", "with 16 trailing bytes", "append=00000000000000000000000000000000", true},
    };
    /* The ClientHello's own rule where the version states one (RFC 5246
     * §7.4.1.2). */
    requirement decode =
        st->msg == SD_ClientHello ? gen_cited_or(h->v, R_CLIENT_HELLO_DECODE, R_DECODE) : R_DECODE;
    for (size_t f = 0; f < sizeof forms / sizeof forms[0] && g->ok; f++) {
        if (empty_body && !forms[f].on_empty) continue;
        snprintf(detail, sizeof detail, "%s.%s", k, forms[f].detail);
        snprintf(title, sizeof title, "%s rejects a %s %s", who, label, forms[f].what);
        gen_begin(g, "gen-malformed", h, detail, title, decode, "alert decode_error", NULL, "malformed");
        gen_put_steps(g, h, 0, pos);
        sd_buf_appendf(&g->text, "send %s%s %s\n", name, extra, forms[f].mutation);
        gen_finish(g, "gen-malformed");
    }

    long len = fixed_body_len(st->msg);
    if (len >= 0 && g->ok) {
        /* Too short: the body ends one byte early and that byte is left
         * over as the start of another message. */
        snprintf(detail, sizeof detail, "%s.length-short", k);
        snprintf(title, sizeof title, "%s rejects a %s whose length field is one byte short", who, label);
        gen_begin(g, "gen-malformed", h, detail, title, decode, "alert decode_error", NULL,
                  "malformed, length");
        gen_put_steps(g, h, 0, pos);
        sd_buf_appendf(&g->text, "send %s%s length=%ld\n", name, extra, len - 1);
        gen_finish(g, "gen-malformed");
        /* The next driver message of the same flight, if any. */
        bool next_in_flight = pos + 1 < s->n_steps && s->steps[pos + 1].from == h->driver &&
                              gen_protected(h, pos + 1) == gen_protected(h, pos);
        if (next_in_flight) {
            /* Too long: the body swallows the first byte of the next
             * message of the flight, which then no longer parses. (At
             * the end of a flight a too-long length just makes the
             * receiver wait, which is right, so it is not generated.) */
            snprintf(detail, sizeof detail, "%s.length-long", k);
            snprintf(title, sizeof title, "%s rejects a %s whose length field is one byte long", who, label);
            gen_begin(g, "gen-malformed", h, detail, title, decode, "alert decode_error", NULL,
                      "malformed, length");
            gen_put_steps(g, h, 0, pos);
            sd_buf_appendf(&g->text, "send %s%s length=%ld\n", name, extra, len + 1);
            gen_put_steps(g, h, pos + 1, pos + 2);
            gen_finish(g, "gen-malformed");
        }
    }

    /* Wrong type: the honest body under a type the tables refuse here: the
     * next step's (a real handshake type: not ChangeCipherSpec nor
     * HelloRetryRequest), and a type no registry defines. The parameters
     * do not change how a receiver dispatches on the type. */
    if (h->parameter_cases_only) return;
    uint16_t next = pos + 1 < s->n_steps ? s->steps[pos + 1].msg : SD_KeyUpdate;
    uint8_t wrong[2] = {next > 0xff || next == st->msg ? SD_KeyUpdate : (uint8_t)next, 99};
    for (size_t w = 0; w < 2 && g->ok; w++) {
        if (gen_accepted(h, pos, wrong[w])) continue;
        /* A client in a handshake ignores HelloRequest (RFC 5246 §7.4.1.1). */
        if (h->v->has_hello_request && wrong[w] == SD_HelloRequest && h->target == SD_ROLE_CLIENT) continue;
        char wt[40];
        gen_kebab(wrong[w], wt, sizeof wt);
        snprintf(detail, sizeof detail, "%s.type-%s", k, wt);
        snprintf(title, sizeof title, "%s rejects a %s body sent under handshake type %s", who, label,
                 gen_type_word(wrong[w], tw, sizeof tw));
        gen_begin(g, "gen-malformed", h, detail, title, R_ORDER, "alert unexpected_message", NULL,
                  "malformed, type");
        gen_put_steps(g, h, 0, pos);
        sd_buf_appendf(&g->text, "send %s%s type=%s\n", name, extra, gen_type_word(wrong[w], tw, sizeof tw));
        gen_finish(g, "gen-malformed");
    }
}

/* Whether the message's content depends on the suite, group or
 * credentials: the hellos (suite, key share), the key exchange (group),
 * the certificates and signatures and what they are asked for with. */
static bool carries_parameters(uint16_t msg) {
    switch (msg) {
    case SD_ClientHello:
    case SD_ServerHello:
    case SD_MSG_HELLO_RETRY_REQUEST:
    case SD_Certificate:
    case SD_CertificateRequest:
    case SD_CertificateVerify:
    case SD_ServerKeyExchange:
    case SD_ClientKeyExchange:
        return true;
    default:
        return false;
    }
}

void gen_malformed(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    /* From the HelloRetryRequest itself where the driver sends it: it is
     * the message a profile from_retry adds. */
    size_t from = h->from;
    if (from > 0 && s->steps[from - 1].from == h->driver) from--;
    for (size_t pos = from; pos < s->n_steps && g->ok; pos++) {
        const sd_step *st = &s->steps[pos];
        if (st->from != h->driver || st->msg == SD_Finished || st->msg == SD_MSG_CHANGE_CIPHER_SPEC) continue;
        if (h->parameter_cases_only && !carries_parameters(st->msg)) continue;
        message(g, h, pos);
    }
    /* The hello fields' cases flip bytes at fixed offsets, the same in
     * every row. */
    if (!h->parameter_cases_only) hellos(g, h);
}
