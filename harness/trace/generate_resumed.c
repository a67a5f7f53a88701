/* generate_resumed.c — what the families need for resumption cases beyond
 * the order connection 2 follows (generate_resumed_orders.c): the PSK
 * offer's and answer's fields (gen-malformed over the `psk` profile). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "protocol/target.h"
#include "trace/generate_family.h"
#include "wire/names.h"

/* --- The PSK fields ----------------------------------------------------------
 * The driver's offer in connection 2 (RFC 8446 §4.2.11) is one identity,
 * the ticket it kept, and one binder. With a SHA-256 suite (the `psk`
 * profile) the extension ends with the binders list, 2 + 1 + 32 = 35
 * bytes, after the identity's obfuscated_ticket_age (4 bytes), so offsets
 * counted from the end are fixed whatever the ticket's length:
 *   -40 the ticket's last byte, -39..-36 the age, -35/-34 the binders
 *   list's length, -33 the binder's, -32..-1 the binder.
 * Offsets from the start: 0/1 the identities list's length, 2/3 the
 * identity's, 4 the ticket's first byte. The driver computes the binder
 * again over a ClientHello whose mutations leave the binders as built
 * (docs/script-format.md), so a flip outside them changes only that
 * field. */

typedef enum { ANSWER_ALERT, ANSWER_FULL, ANSWER_EITHER } psk_answer;

typedef struct {
    sd_role target;
    const char *detail, *what, *mutation;
    requirement r;
    psk_answer answer;
    const char *alert; /* ANSWER_ALERT: the expectation */
    const char *note;  /* where BoringSSL answers otherwise (SOFT), why */
} psk_case;

static const char note_unknown_psk_identity[] =
    "BoringSSL answers unknown_psk_identity (SOFT): ssl_ext_pre_shared_key_parse_serverhello in "
    "ssl/extensions.cc refuses any selected_identity but 0 (it offers one identity) with "
    "SSL_R_PSK_IDENTITY_NOT_FOUND and SSL_AD_UNKNOWN_PSK_IDENTITY. It does refuse.";

static const psk_case psk_cases[] = {
    /* Lengths that break the syntax of §4.2.11 and §4.2.9. */
    {SD_ROLE_SERVER, "identities-length-off-by-one", "whose identities list length is off by one",
     "flip-ext=pre_shared_key:1:0x01", R_PSK_DECODE, ANSWER_ALERT, "decode_error", NULL},
    {SD_ROLE_SERVER, "identity-length-off-by-one", "whose identity's length is off by one",
     "flip-ext=pre_shared_key:3:0x01", R_PSK_DECODE, ANSWER_ALERT, "decode_error", NULL},
    {SD_ROLE_SERVER, "binders-length-short", "whose binders list length is one byte short",
     "flip-ext=pre_shared_key:-34:0x01", R_PSK_DECODE, ANSWER_ALERT, "decode_error", NULL},
    {SD_ROLE_SERVER, "binder-entry-length-long", "whose binder's length promises a byte more than it has",
     "flip-ext=pre_shared_key:-33:0x01", R_PSK_DECODE, ANSWER_ALERT, "decode_error", NULL},
    {SD_ROLE_SERVER, "binder-31-bytes", "whose binder is 31 bytes, under PskBinderEntry's 32",
     "binder-length=31", R_PSK_BINDER_LENGTH, ANSWER_ALERT, "decode_error | decrypt_error", NULL},
    {SD_ROLE_SERVER, "binder-empty", "whose binder is empty", "binder-length=0", R_PSK_BINDER_LENGTH,
     ANSWER_ALERT, "decode_error | decrypt_error", NULL},
    {SD_ROLE_SERVER, "binders-empty", "whose binders list is empty", "binders=0", R_PSK_DECODE, ANSWER_ALERT,
     "decode_error", NULL},
    {SD_ROLE_SERVER, "identities-empty", "with empty identities and binders lists", "psk-identities=0",
     R_PSK_DECODE, ANSWER_ALERT, "decode_error", NULL},
    {SD_ROLE_SERVER, "modes-length-zero",
     "whose psk_key_exchange_modes list length is 0 with a mode after it",
     "flip-ext=psk_key_exchange_modes:0:0x01", R_PSK_DECODE, ANSWER_ALERT, "decode_error", NULL},
    {SD_ROLE_SERVER, "modes-length-long", "whose psk_key_exchange_modes list length promises 3 modes of 1",
     "flip-ext=psk_key_exchange_modes:0:0x02", R_PSK_DECODE, ANSWER_ALERT, "decode_error", NULL},
    /* Well formed, but the binder does not validate. */
    {SD_ROLE_SERVER, "binder-first-byte", "whose binder's first byte is flipped",
     "flip-ext=pre_shared_key:-32:0x01", R_PSK_BINDER, ANSWER_ALERT, "decrypt_error", NULL},
    {SD_ROLE_SERVER, "binder-middle-byte", "whose binder's middle byte is flipped",
     "flip-ext=pre_shared_key:-16:0x01", R_PSK_BINDER, ANSWER_ALERT, "decrypt_error", NULL},
    {SD_ROLE_SERVER, "binder-48-bytes", "whose binder is 48 bytes for a SHA-256 PSK", "binder-length=48",
     R_PSK_BINDER, ANSWER_ALERT, "decrypt_error", NULL},
    {SD_ROLE_SERVER, "binder-255-bytes", "whose binder is 255 bytes", "binder-length=255", R_PSK_BINDER,
     ANSWER_ALERT, "decrypt_error", NULL},
    /* The ticket's last byte: whether the server's seal covers it is the
     * server's own format (§4.6.1), so resuming is as good as declining
     * (wolfSSL resumes: its default ticket seal leaves the ticket's last 16
     * bytes unchecked, docs/stack-findings.md). */
    {SD_ROLE_SERVER, "ticket-last-byte", "whose ticket's last byte is flipped",
     "flip-ext=pre_shared_key:-40:0x01", R_PSK_TICKET_TAIL, ANSWER_EITHER, NULL, NULL},
    /* A ticket the server cannot open: ignored, a full handshake. */
    {SD_ROLE_SERVER, "ticket-middle-byte", "whose ticket's middle byte is flipped",
     "flip-ext=pre_shared_key:middle:0x01", R_PSK_DECLINE, ANSWER_FULL, NULL, NULL},
    /* The only mode listed is none the RFC defines (3): no mode to select. */
    {SD_ROLE_SERVER, "modes-unknown-only", "listing only an unknown PSK key exchange mode",
     "flip-ext=psk_key_exchange_modes:1:0x02", R_PSK_MODES, ANSWER_FULL, NULL, NULL},
    /* A wrong age without early data: resume or decline. */
    {SD_ROLE_SERVER, "age-plus-hours", "whose obfuscated_ticket_age is 2^24 ms off",
     "flip-ext=pre_shared_key:-39:0x01", R_PSK_AGE, ANSWER_EITHER, NULL, NULL},
    {SD_ROLE_SERVER, "age-one-ms", "whose obfuscated_ticket_age is 1 ms off",
     "flip-ext=pre_shared_key:-36:0x01", R_PSK_AGE, ANSWER_EITHER, NULL, NULL},
    {SD_ROLE_SERVER, "age-low-byte", "whose obfuscated_ticket_age's low byte is inverted",
     "flip-ext=pre_shared_key:-36:0xff", R_PSK_AGE, ANSWER_EITHER, NULL, NULL},
    /* The ServerHello's pre_shared_key (selected_identity, a uint16): out
     * of the client's range of one identity, or not two bytes. */
    {SD_ROLE_CLIENT, "selected-identity-1", "selecting identity 1 of one", "flip-ext=pre_shared_key:1:0x01",
     R_PSK_SELECTED_IDENTITY, ANSWER_ALERT, "illegal_parameter", note_unknown_psk_identity},
    {SD_ROLE_CLIENT, "selected-identity-256", "selecting identity 256 of one",
     "flip-ext=pre_shared_key:0:0x01", R_PSK_SELECTED_IDENTITY, ANSWER_ALERT, "illegal_parameter",
     note_unknown_psk_identity},
    {SD_ROLE_CLIENT, "selected-identity-65535", "selecting identity 65535 of one",
     "flip-ext=pre_shared_key:0:0xff flip-ext=pre_shared_key:1:0xff", R_PSK_SELECTED_IDENTITY, ANSWER_ALERT,
     "illegal_parameter", note_unknown_psk_identity},
    {SD_ROLE_CLIENT, "selected-identity-one-byte", "whose pre_shared_key is one byte",
     "drop-ext=pre_shared_key add-ext=pre_shared_key:00", R_DECODE, ANSWER_ALERT, "decode_error", NULL},
    {SD_ROLE_CLIENT, "selected-identity-three-bytes", "whose pre_shared_key is three bytes",
     "drop-ext=pre_shared_key add-ext=pre_shared_key:000000", R_DECODE, ANSWER_ALERT, "decode_error", NULL},
};

void gen_psk_fields(gen *g, const honest *h) {
    char title[400], expect[64];
    for (size_t i = 0; i < sizeof psk_cases / sizeof psk_cases[0] && g->ok; i++) {
        const psk_case *c = &psk_cases[i];
        if (c->target != h->target) continue;
        bool server = h->target == SD_ROLE_SERVER;
        snprintf(title, sizeof title, "%s %s a %s %s", gen_who(h),
                 c->answer == ANSWER_ALERT  ? "refuses"
                 : c->answer == ANSWER_FULL ? "makes a full handshake on"
                                            : "resumes or makes a full handshake on",
                 server ? "PSK offer" : "ServerHello", c->what);
        if (c->answer == ANSWER_ALERT)
            snprintf(expect, sizeof expect, "alert %s", c->alert);
        else
            snprintf(expect, sizeof expect, "complete");
        char detail[96];
        snprintf(detail, sizeof detail, "%s.psk-%s", server ? "client-hello" : "server-hello", c->detail);
        gen_begin(g, "gen-malformed", h, detail, title, c->r, expect, c->note, "psk-fields");
        gen_put_first_connection(g, h);
        if (!server) {
            sd_buf_appendf(&g->text, "expect ClientHello\nsend ServerHello %s\n", c->mutation);
            gen_finish(g, "gen-malformed");
            continue;
        }
        sd_buf_appendf(&g->text, "send ClientHello %s\n", c->mutation);
        if (c->answer != ANSWER_ALERT) {
            /* RFC 8446 §2.2: a full handshake has the server's
             * certificate flight; a resumed one does not. */
            const char *full = c->answer == ANSWER_FULL ? "" : " if-full";
            sd_buf_appendf(&g->text,
                           "expect ServerHello psk=%s\nexpect EncryptedExtensions\nexpect Certificate%s\n"
                           "expect CertificateVerify%s\nexpect Finished\nsend Finished\n",
                           c->answer == ANSWER_FULL ? "none" : "0|none", full, full);
            gen_put_ping(g);
        }
        gen_finish(g, "gen-malformed");
    }
}

/* --- 0-RTT ---------------------------------------------------------------------
 * With the server under test, over a profile whose connection 2 accepts
 * early data: the amount of it against the ticket's max_early_data_size
 * (SD_EARLY_DATA_MAX, which the server under test is set up with), in one
 * record and over two (§4.6.1 counts the 0-RTT data, not records), and
 * EndOfEarlyData sent before the early data, which then goes under the
 * handshake keys. The order of the client's flight itself (EndOfEarlyData
 * left out, repeated, another message in its place) is gen-order's, over
 * the generator's Figure 4 row. */

typedef struct {
    const char *family, *detail, *title;
    requirement r;
    const char *expect;
    /* The early data: send-raw lines (records of that many bytes), or
     * NULL for the honest "early" after EndOfEarlyData. */
    unsigned sizes[2];
} early_case;

static const early_case early_cases[] = {
    {"gen-record",
     "early-data-at-max-size",
     "accepts 0-RTT data of exactly max_early_data_size bytes",
     R_EARLY_DATA_SIZE_OK,
     "complete",
     {SD_EARLY_DATA_MAX, 0}},
    {"gen-record",
     "early-data-over-max-size",
     "refuses 0-RTT data of max_early_data_size + 1 bytes",
     R_EARLY_DATA_LIMIT,
     "alert unexpected_message",
     {SD_EARLY_DATA_MAX + 1, 0}},
    {"gen-record",
     "early-data-over-max-size-in-two-records",
     "refuses 0-RTT data of max_early_data_size + 1 bytes in two records",
     R_EARLY_DATA_LIMIT,
     "alert unexpected_message",
     {SD_EARLY_DATA_MAX, 1}},
    {"gen-order",
     "end-of-early-data-before-early-data",
     "refuses early data sent after EndOfEarlyData, under the handshake keys",
     R_EARLY_DATA_AFTER_EOED,
     "alert unexpected_message",
     {0, 0}},
};

void gen_early_data_cases(gen *g, const honest *h) {
    if (h->target != SD_ROLE_SERVER) return;
    char title[300];
    for (size_t i = 0; i < sizeof early_cases / sizeof early_cases[0] && g->ok; i++) {
        const early_case *c = &early_cases[i];
        snprintf(title, sizeof title, "%s %s", gen_who(h), c->title);
        gen_begin(g, c->family, h, c->detail, title, c->r, c->expect, NULL,
                  c->sizes[0] ? "early-data-flow, size" : "early-data-flow, order");
        gen_put_first_connection(g, h);
        gen_put(g, "send ClientHello early-data\n");
        /* Protected under client_early_traffic_secret (§7.1): the driver
         * writes under it from the ClientHello that offers 0-RTT on. */
        for (size_t k = 0; k < 2; k++)
            if (c->sizes[k])
                sd_buf_appendf(&g->text, "send-raw application_data hex= fill=%u encrypted\n", c->sizes[k]);
        gen_put(g, "expect ServerHello psk=0\nexpect EncryptedExtensions\nexpect Finished\n"
                   "send EndOfEarlyData\n");
        if (!c->sizes[0]) gen_put(g, "send-appdata \"" GEN_EARLY_TEXT "\"\n");
        gen_put(g, "send Finished\n");
        /* Accepted: the server echoes the early data once its handshake is
         * done (target.h), then the connection carries data. */
        if (strcmp(c->expect, "complete") == 0) {
            gen_put(g, "expect-appdata hex=00\n");
            gen_put_ping(g);
        }
        gen_finish(g, c->family);
    }
}
