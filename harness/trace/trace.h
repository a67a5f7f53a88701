/* trace.h — the one representation of "what the peer does".
 *
 * A trace is a list of actions executed in order by the driver. The text
 * script form (docs/script-format.md) is for people and scenario files; the
 * in-memory IR below is what the driver runs. Scenario metadata (id, title,
 * RFC citation, expectation) rides along in sd_scenario. */
#ifndef SHAKEDOWN_TRACE_TRACE_H
#define SHAKEDOWN_TRACE_TRACE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/target.h"
#include "wire/bytes.h"

typedef enum {
    SD_ACT_SEND,         /* send a handshake message built from the session state */
    SD_ACT_SEND_ALERT,   /* send an alert record */
    SD_ACT_SEND_CCS,     /* send a ChangeCipherSpec record */
    SD_ACT_SEND_APPDATA, /* send application data */
    SD_ACT_SEND_RAW,     /* send a record with this content type and payload, as given */
    SD_ACT_EXPECT,       /* the target must send this handshake message next */
    SD_ACT_EXPECT_APPDATA, /* the target must send application data (the echo) */
    SD_ACT_EXPECT_CLOSE, /* the target must send close_notify */
    SD_ACT_EXPECT_CCS,   /* the target must send a ChangeCipherSpec record next (TLS 1.2, RFC 5246 §7.1) */
    SD_ACT_RENEGOTIATE,  /* TLS 1.2, driver as client: a new ClientHello under the current keys after the
                          * handshake (RFC 5246 §7.4.1.2, RFC 5746 §3.5); takes SEND's mutations */
} sd_action_kind;

/* A pseudo handshake type for SEND and EXPECT: HelloRetryRequest, which on
 * the wire is a ServerHello (type 2) with the special random of RFC 8446
 * §4.1.3. Scripts spell it `HelloRetryRequest`. Outside the 0-255 range of
 * real types, and the same value as the model's SD_MSG_HELLO_RETRY_REQUEST
 * step (protocol/sequences.h). */
#define SD_MSG_TYPE_HELLO_RETRY_REQUEST 0x100u

/* Named deviations, applied to a message after it is built (BoGo's
 * ProtocolBugs play this role; each is one plain idea). */
typedef enum {
    SD_MUT_BODY,        /* replace the body with `bytes` */
    SD_MUT_FLIP,        /* XOR body[offset] with mask (`value`); offset < 0 counts from the
                         * end (-1 is the last byte); SD_OFFSET_MIDDLE means body[len / 2] */
    SD_MUT_TRUNCATE,    /* drop the last `value` bytes of the body */
    SD_MUT_APPEND,      /* append `bytes` to the body */
    SD_MUT_LENGTH,      /* write `value` in the handshake header's length field */
    SD_MUT_TYPE,        /* write `value` as the handshake message type */
    SD_MUT_PLAINTEXT,   /* send unprotected even when keys are in use */
    SD_MUT_CERT,        /* Certificate: present this fixture credential (`text`) */
    SD_MUT_EMPTY,       /* Certificate: empty certificate_list */
    SD_MUT_WRONG_KEY,   /* Finished/CertificateVerify: use a key that is not the right one */
    SD_MUT_SPLIT,       /* split the message into records of `value` bytes */
    /* Binary trace version 2 (binary.h) and later: */
    SD_MUT_DUP_EXT,     /* repeat the extension of type `value` (it must be there) at the end of the block */
    SD_MUT_ADD_EXT,     /* add an extension of type `value` with body `bytes` at the end of the block */
    SD_MUT_DROP_EXT,    /* remove the extension of type `value` */
    SD_MUT_BAD_POINT,   /* key share / ECDHE point not on the curve (X25519: the all-zero point) */
    SD_MUT_RECORD_VERSION, /* write `value` as the version of the message's plaintext records */
    SD_MUT_SIGN_WITH,   /* CertificateVerify / ServerKeyExchange: sign with the key of credential `text`,
                         * with a scheme that fits that key */
    SD_MUT_WRONG_TRANSCRIPT, /* Finished: the right key over a transcript without its last message */
} sd_mutation_kind;

/* The last mutation kind of binary trace version 1. */
#define SD_MUT_LAST_V1 SD_MUT_SPLIT
#define SD_MUT_LAST SD_MUT_WRONG_TRANSCRIPT

typedef struct {
    sd_mutation_kind kind;
    long value;
    long offset;
    uint8_t *bytes;     /* owned */
    size_t bytes_len;
    char text[64];
} sd_mutation;

#define SD_MAX_MUTATIONS 8

/* SD_MUT_FLIP offset meaning "the middle byte" (len / 2, resolved by the
 * driver once the length is known). LONG_MIN because no real offset from
 * either end can be that large. Scripts spell it `middle`. */
#define SD_OFFSET_MIDDLE LONG_MIN

typedef struct {
    sd_action_kind kind;
    int line;                 /* script line, 0 if the action did not come from a script */
    uint16_t msg_type;        /* SEND, EXPECT: a handshake type 0-255, or SD_MSG_TYPE_HELLO_RETRY_REQUEST;
                               * RENEGOTIATE: always ClientHello */
    uint8_t alert_level;      /* SEND_ALERT */
    uint8_t alert;            /* SEND_ALERT */
    uint8_t content_type;     /* SEND_RAW */
    uint8_t *bytes;           /* SEND_RAW payload, SEND_APPDATA/EXPECT_APPDATA data; owned */
    size_t bytes_len;
    bool encrypted;           /* SEND_RAW, SEND_ALERT: protect with the current keys (default: as the state requires) */
    bool force_plaintext;
    size_t n_mutations;       /* SEND, RENEGOTIATE */
    sd_mutation mutations[SD_MAX_MUTATIONS];
} sd_action;

typedef struct {
    size_t n_actions;
    size_t cap;
    sd_action *actions;
} sd_trace;

void sd_trace_init(sd_trace *t);
void sd_trace_free(sd_trace *t);
/* Appends a zeroed action and returns it (NULL on allocation failure). */
sd_action *sd_trace_add(sd_trace *t, sd_action_kind kind);
/* True if both traces do the same thing: same actions with the same fields
 * and mutations. Script line numbers are ignored. */
bool sd_trace_equal(const sd_trace *a, const sd_trace *b);

/* --- Scenarios ------------------------------------------------------------ */

typedef enum {
    SD_EXPECT_COMPLETE,   /* the handshake completes and the trace runs to its end */
    SD_EXPECT_ALERT,      /* the target refuses with this exact fatal alert */
    SD_EXPECT_CLOSED,     /* the target must not complete and must end the connection without
                           * an alert of its own: what RFC 8446 §6 asks of a receiver of an
                           * error alert ("MUST NOT allow any further data to be sent or
                           * received on the connection") */
} sd_expectation_kind;

#define SD_MAX_TAGS 12

typedef struct {
    char id[96];
    char title[200];
    char rfc[600];            /* "RFC 8446 §4.4.4: \"...requirement sentence...\"" */
    sd_role role;             /* role of the stack under test */
    uint16_t version;         /* SD_TLS13 */
    char tags[SD_MAX_TAGS][32];
    size_t n_tags;
    sd_expectation_kind expect;
    uint8_t expect_alert;
    char credential[64];      /* what the driver presents when it plays the server ("leaf") */
    uint16_t cipher_suite;    /* the one suite the driver offers (client) or picks (server); 0: its defaults */
    sd_client_auth client_auth; /* server under test: ask the driver for a certificate (`client-auth:`) */
    bool session_tickets;     /* server under test: issue session tickets (`session-tickets: issue`) */
    char note[400];           /* why a known stack deviates, if one does */
    char path[512];           /* where it was read from */
    sd_trace trace;
} sd_scenario;

void sd_scenario_free(sd_scenario *s);

/* Longest script line, without its line ending. Big enough for a printed
 * fuzz input: a `send ClientHello body=<hex>` of SD_FUZZ_MAX_INPUT (16 KiB,
 * one record) is 32 KiB of hex, and a line may carry body= and append=. */
#define SD_SCRIPT_MAX_LINE 65536

/* Parses a scenario script (docs/script-format.md). `out` need not be
 * initialised. On success the caller owns out (sd_scenario_free). On error
 * returns false, leaves nothing to free in out, and writes
 * "file:line: message" into err. */
bool sd_scenario_parse(const char *path, const char *text, size_t len, sd_scenario *out,
                       char *err, size_t err_len);
bool sd_scenario_load(const char *path, sd_scenario *out, char *err, size_t err_len);

/* Parses a script as a bare trace: header lines are optional (checked, then
 * dropped) and zero actions is fine. This is what reads back the output of
 * sd_trace_print, and what `repro`/`trace` use for scripts that are not
 * scenarios. Same error contract as sd_scenario_parse; `out` need not be
 * initialised. */
bool sd_trace_parse(const char *path, const char *text, size_t len, sd_trace *out, char *err,
                    size_t err_len);

/* Appends the trace as a script, actions only, one per line, no NUL (the
 * inverse of the action part of the parser: sd_trace_parse of the output
 * gives an equal trace). */
void sd_trace_print(const sd_trace *t, sd_buf *out);

#endif
