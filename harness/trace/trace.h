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
#include "util/util.h"

typedef enum {
    SD_ACT_SEND,           /* send a handshake message built from the session state */
    SD_ACT_SEND_ALERT,     /* send an alert record */
    SD_ACT_SEND_CCS,       /* send a ChangeCipherSpec record */
    SD_ACT_SEND_APPDATA,   /* send application data */
    SD_ACT_SEND_RAW,       /* send a record with this content type and payload, as given */
    SD_ACT_EXPECT,         /* the target must send this handshake message next */
    SD_ACT_EXPECT_APPDATA, /* the target must send application data (the echo) */
    SD_ACT_EXPECT_CLOSE,   /* the target must send close_notify */
    SD_ACT_EXPECT_CCS,     /* the target must send a ChangeCipherSpec record next (TLS 1.2, RFC 5246 §7.1) */
    SD_ACT_RENEGOTIATE,    /* TLS 1.2, driver as client: a new ClientHello under the current keys after the
                            * handshake (RFC 5246 §7.4.1.2, RFC 5746 §3.5); takes SEND's mutations */
    SD_ACT_CONNECTION,     /* ends the connection so far and starts the next one against the same stack,
                            * which resumes what the last one left (sd_trace_check_connections) */
} sd_action_kind;

/* The most connections one trace holds (connection lines + 1). */
#define SD_MAX_CONNECTIONS 8

/* A pseudo handshake type for SEND and EXPECT: HelloRetryRequest, which on
 * the wire is a ServerHello (type 2) with the special random of RFC 8446
 * §4.1.3. Scripts spell it `HelloRetryRequest`. Outside the 0-255 range of
 * real types, and the same value as the model's SD_MSG_HELLO_RETRY_REQUEST
 * step (protocol/sequences.h). */
#define SD_MSG_TYPE_HELLO_RETRY_REQUEST 0x100u

/* How a mutation's argument is written, and which sd_mutation fields hold
 * it. The script parser and printer (script.c), the binary encoding
 * (binary.c) and sd_trace_equal switch over the shape, not over the kinds,
 * so a new kind of an existing shape is one row of SD_MUTATIONS below plus
 * what the driver does with it. */
typedef enum {
    SD_MUT_ARG_NONE,            /* a bare word; no fields */
    SD_MUT_ARG_BYTES,           /* name=<hex>: `bytes` */
    SD_MUT_ARG_FLIP,            /* name=<offset>:<mask>: `offset` a byte index, negative from the end (or
                                 * first, last, middle = SD_OFFSET_MIDDLE); `value` the mask 0-255 */
    SD_MUT_ARG_U24,             /* name=<n>: `value` 0-2^24-1, the range of a handshake length */
    SD_MUT_ARG_SPLIT,           /* name=<n>: `value` a record size 1-16384 */
    SD_MUT_ARG_HANDSHAKE_TYPE,  /* name=<HandshakeType>: `value` 0-255, a name or a number */
    SD_MUT_ARG_EXTENSION,       /* name=<extension>: `value` 0-65535, a name or a number */
    SD_MUT_ARG_EXTENSION_BYTES, /* name=<extension>[:<hex>]: `value` as EXTENSION, `bytes` (none without :) */
    SD_MUT_ARG_U16,             /* name=<n>: `value` 0-0xffff, printed as 0x%04x */
    SD_MUT_ARG_CREDENTIAL,      /* name=<credential>: `text`, a fixture credential name [a-z0-9._-]{1,63} */
    SD_MUT_ARG_BYTES8,          /* name=<hex>: `bytes`, 0-255 of them (an opaque vector with a one-byte
                                 * length, RFC 8446 §3.4, so that a length prefix can say how many) */
    SD_MUT_ARG_EXTENSION_FLIP,  /* name=<extension>:<offset>:<mask>: `value` the extension as EXTENSION,
                                 * `offset` as FLIP, `mask` the mask 0-255 */
    SD_MUT_ARG_BYTES32,         /* name=<hex>: `bytes`, 1-32 of them (the end of a hello's 32-byte
                                 * random, or all of it) */
    SD_MUT_ARG_U8,              /* name=<n>: `value` 0-255, a count or length of a one-byte field */
    SD_MUT_ARG_U8_PAIR,         /* name=<n>:<m>: `value` 0-255, `mask` 0-255 (cbc-padding=<length>:<byte>) */
} sd_mutation_arg;

/* Named deviations, applied to a message after it is built (BoGo's
 * ProtocolBugs play this role; each is one plain idea). One row per kind:
 *   X(enum name, script name, argument shape, binary trace version that introduced it)
 * The rows are in the order of their enum values, which are the kind byte
 * of the binary trace encoding (binary.h): corpus files depend on them, so a
 * new kind goes at the end, with the binary version that first carries it,
 * and no row ever moves. */
// clang-format off
#define SD_MUTATIONS(X)                                                                                     \
    /* replace the body with `bytes` */                                                                     \
    X(BODY, "body", SD_MUT_ARG_BYTES, 1)                                                                    \
    /* XOR body[offset] with mask (`value`); offset < 0 counts from the end (-1 is the                      \
     * last byte); SD_OFFSET_MIDDLE means body[len / 2] */                                                  \
    X(FLIP, "flip", SD_MUT_ARG_FLIP, 1)                                                                     \
    /* drop the last `value` bytes of the body */                                                           \
    X(TRUNCATE, "truncate", SD_MUT_ARG_U24, 1)                                                              \
    /* append `bytes` to the body */                                                                        \
    X(APPEND, "append", SD_MUT_ARG_BYTES, 1)                                                                \
    /* write `value` in the handshake header's length field */                                              \
    X(LENGTH, "length", SD_MUT_ARG_U24, 1)                                                                  \
    /* write `value` as the handshake message type */                                                       \
    X(TYPE, "type", SD_MUT_ARG_HANDSHAKE_TYPE, 1)                                                           \
    /* send unprotected even when keys are in use */                                                        \
    X(PLAINTEXT, "plaintext", SD_MUT_ARG_NONE, 1)                                                           \
    /* Certificate: present this fixture credential (`text`) */                                             \
    X(CERT, "cert", SD_MUT_ARG_CREDENTIAL, 1)                                                               \
    /* Certificate: empty certificate_list */                                                               \
    X(EMPTY, "empty", SD_MUT_ARG_NONE, 1)                                                                   \
    /* Finished/CertificateVerify: use a key that is not the right one */                                   \
    X(WRONG_KEY, "wrong-key", SD_MUT_ARG_NONE, 1)                                                           \
    /* split the message into records of `value` bytes */                                                   \
    X(SPLIT, "split", SD_MUT_ARG_SPLIT, 1)                                                                  \
    /* repeat the extension of type `value` (it must be there) at the end of the block */                   \
    X(DUP_EXT, "dup-ext", SD_MUT_ARG_EXTENSION, 2)                                                          \
    /* add an extension of type `value` with body `bytes` at the end of the block */                        \
    X(ADD_EXT, "add-ext", SD_MUT_ARG_EXTENSION_BYTES, 2)                                                    \
    /* remove the extension of type `value` */                                                              \
    X(DROP_EXT, "drop-ext", SD_MUT_ARG_EXTENSION, 2)                                                        \
    /* key share / ECDHE point not on the curve (X25519: the all-zero point) */                             \
    X(BAD_POINT, "bad-point", SD_MUT_ARG_NONE, 2)                                                           \
    /* write `value` as the version of the message's plaintext records */                                   \
    X(RECORD_VERSION, "record-version", SD_MUT_ARG_U16, 2)                                                  \
    /* CertificateVerify / ServerKeyExchange: sign with the key of credential `text`,                       \
     * with a scheme that fits that key */                                                                  \
    X(SIGN_WITH, "sign-with", SD_MUT_ARG_CREDENTIAL, 2)                                                     \
    /* Finished: the right key over a transcript without its last message */                                \
    X(WRONG_TRANSCRIPT, "wrong-transcript", SD_MUT_ARG_NONE, 2)                                             \
    /* grow the body to `value` bytes with a padding extension (RFC 7685) at the end of the                 \
     * extension block, as far as the block's 2^16-1 bytes allow */                                         \
    X(PAD, "pad", SD_MUT_ARG_U24, 2)                                                                        \
    /* add `value` empty extensions of types no registry assigns, at the end of the block,                  \
     * as many as the block's 2^16-1 bytes allow */                                                         \
    X(UNKNOWN_EXTS, "unknown-exts", SD_MUT_ARG_U24, 2)                                                      \
    /* ClientHello / ServerHello: the legacy_session_id (echo) is `bytes`, with a length                    \
     * prefix that says so, whatever the RFC's <0..32> allows */                                            \
    X(SESSION_ID, "session-id", SD_MUT_ARG_BYTES8, 2)                                                       \
    /* XOR byte `offset` of the body of the first extension of type `value` with `mask`                     \
     * (offsets as FLIP's, within that extension's body) */                                                 \
    X(FLIP_EXT, "flip-ext", SD_MUT_ARG_EXTENSION_FLIP, 2)                                                   \
    /* TLS 1.2 RSA ClientKeyExchange: write `value` as the client_version of the encrypted                  \
     * PreMasterSecret (RFC 5246 §7.4.7.1; the honest one is ClientHello.client_version) */                 \
    X(PREMASTER_VERSION, "premaster-version", SD_MUT_ARG_U16, 2)                                            \
    /* ClientHello / ServerHello / HelloRetryRequest: the last `bytes_len` bytes of the                     \
     * random become `bytes` (all 32: the whole random), e.g. a TLS 1.2 ServerHello ending                  \
     * with a downgrade sentinel of RFC 8446 §4.1.3 */                                                      \
    X(RANDOM, "random", SD_MUT_ARG_BYTES32, 2)                                                              \
    /* TLS 1.3 ClientHello offering a PSK: pre_shared_key goes before the last other                        \
     * extension (RFC 8446 §4.2.11 wants it last); the binder is computed over that layout */               \
    X(PSK_NOT_LAST, "psk-not-last", SD_MUT_ARG_NONE, 4)                                                     \
    /* TLS 1.3 ClientHello offering a PSK: each binder is `value` bytes, the honest HMAC                    \
     * cut or extended with zeros (PskBinderEntry is opaque<32..255>, §4.2.11) */                           \
    X(BINDER_LENGTH, "binder-length", SD_MUT_ARG_U8, 4)                                                     \
    /* TLS 1.3 ClientHello offering a PSK: the binders list holds `value` binders (honest:                  \
     * one per identity, §4.2.11) */                                                                        \
    X(BINDERS, "binders", SD_MUT_ARG_U8, 4)                                                                 \
    /* TLS 1.3 ClientHello offering a PSK: the ticket is offered as `value` identities, and                 \
     * as many binders unless binders= says otherwise */                                                    \
    X(PSK_IDENTITIES, "psk-identities", SD_MUT_ARG_U8, 4)                                                   \
    /* ClientHello: append cipher suite `value` to cipher_suites, e.g. TLS_FALLBACK_SCSV                    \
     * (0x5600, RFC 7507 §3) after the suites the driver offers */                                          \
    X(ADD_SUITE, "add-suite", SD_MUT_ARG_U16, 2)                                                            \
    /* TLS 1.3 ClientHello offering a PSK: an early_data extension (RFC 8446 §4.2.10)                       \
     * before pre_shared_key, and from then on the driver writes under                                      \
     * client_early_traffic_secret (§7.1) until EndOfEarlyData or the server's refusal */                   \
    X(EARLY_DATA, "early-data", SD_MUT_ARG_NONE, 4)                                                         \
    /* ClientHello: the first ClientHello of the last connection, byte for byte, with                       \
     * its key share, PSK and early keys (RFC 8446 §8: a replayed 0-RTT flight) */                          \
    X(REPLAY, "replay", SD_MUT_ARG_NONE, 4)                                                                 \
    /* Record-level (sd_mutation_on_records): XOR byte `offset` of the first record's                       \
     * fragment, as sent (after protection), with mask (`value`); offsets as FLIP's. A                      \
     * protected record's explicit nonce, ciphertext, tag, or (CBC) the MAC and padding                     \
     * through the ciphertext block that holds them */                                                      \
    X(RECORD_FLIP, "record-flip", SD_MUT_ARG_FLIP, 2)                                                       \
    /* Record-level, TLS 1.2 CBC: the padding of each record is `mask` bytes, padding_length                \
     * `value`; as many padding bytes as `value` when that fills whole blocks, else the                     \
     * honest count (RFC 5246 §6.2.3.2: every byte equals padding_length) */                                \
    X(CBC_PADDING, "cbc-padding", SD_MUT_ARG_U8_PAIR, 2)                                                    \
    /* Record-level, TLS 1.3: `value` zero bytes after each record's inner content type                     \
     * (RFC 8446 §5.4), as many as the record's 16-bit length allows */                                     \
    X(INNER_PADDING, "inner-padding", SD_MUT_ARG_U24, 2)                                                   \
    /* Record-level: the action's records go out under write sequence numbers `value`                      \
     * higher than the honest ones (RFC 8446 §5.3 nonce, RFC 5246 §6.2.3.3 additional data                  \
     * and §6.2.3.1 MAC), and the connection goes on from there */                                          \
    X(SEQ_SKIP, "seq-skip", SD_MUT_ARG_U8, 2)                                                            \
    /* CertificateVerify (both versions) / TLS 1.2 ServerKeyExchange: write SignatureScheme                 \
     * `value` and sign with it as far as the key can (driver_messages.c, signed_with_scheme) */             \
    X(SCHEME, "scheme", SD_MUT_ARG_U16, 4)                                                                  \
    /* TLS 1.2 DHE ServerKeyExchange / ClientKeyExchange: the public value (dh_Ys, dh_Yc) is                \
     * the integer `value`, padded to the size of p, honestly signed (RFC 7919 §3, §4) */                   \
    X(DH_PUBLIC, "dh-public", SD_MUT_ARG_U8, 4)                                                             \
    /* the same with the integer p - `value` (p - 1, or p itself for 0) */                                  \
    X(DH_PUBLIC_P_MINUS, "dh-public-p-minus", SD_MUT_ARG_U8, 4)                                             \
    /* TLS 1.2 DHE ServerKeyExchange: dh_g is the one-byte integer `value`, honestly signed */              \
    X(DH_G, "dh-g", SD_MUT_ARG_U8, 4)                                                                       \
    /* TLS 1.2 DHE ServerKeyExchange: the parameters of group `value`, an RFC 7919 NamedGroup,              \
     * or below 256 an IKE group number: 2 is RFC 2409 §6.2's 1024-bit MODP group (g = 2) */                \
    X(DH_GROUP, "dh-group", SD_MUT_ARG_U16, 4)                                                              \
    /* TLS 1.2 ClientKeyExchange (DHE, ECDHE) / TLS 1.3 ServerHello: the driver draws its                   \
     * key until the shared secret Z starts with a zero byte, which TLS 1.2 DHE strips                      \
     * (RFC 5246 §8.1.2) and the others keep (RFC 8422 §5.10, RFC 8446 §7.4.1, §7.4.2) */                   \
    X(SECRET_LEADING_ZERO, "secret-leading-zero", SD_MUT_ARG_NONE, 4)                                       \
    /* CompressedCertificate (RFC 8879 §4): write `value` as the algorithm, and compress                    \
     * with it when it is zlib or brotli (else with zlib) */                                                 \
    X(COMPRESSION_ALG, "compression-alg", SD_MUT_ARG_U16, 4)                                                \
    /* CompressedCertificate: write `value` as uncompressed_length (honest: the length of                   \
     * what was compressed, less any inflate=) */                                                           \
    X(UNCOMPRESSED_LENGTH, "uncompressed-length", SD_MUT_ARG_U24, 4)                                        \
    /* CompressedCertificate: compress `bytes` instead of the honest Certificate body */                    \
    X(UNCOMPRESSED, "uncompressed", SD_MUT_ARG_BYTES, 4)                                                    \
    /* CompressedCertificate: compress the Certificate body followed by `value` zero bytes,                 \
     * uncompressed_length still the body's: output past the announced length (a                           \
     * decompression bomb) */                                                                               \
    X(INFLATE, "inflate", SD_MUT_ARG_U24, 4)
// clang-format on

#define SD_MUT_ENUM_ENTRY(kind, name, arg, version) SD_MUT_##kind,
typedef enum { SD_MUTATIONS(SD_MUT_ENUM_ENTRY) } sd_mutation_kind;
#undef SD_MUT_ENUM_ENTRY

/* How many kinds there are: 0 .. SD_MUT_COUNT - 1. Not an enum member, so
 * that switches over sd_mutation_kind need no case for it. */
#define SD_MUT_COUNT_ONE(kind, name, arg, version) +1
enum { SD_MUT_COUNT = 0 SD_MUTATIONS(SD_MUT_COUNT_ONE) };
#undef SD_MUT_COUNT_ONE

typedef struct {
    const char *name; /* in scripts: `name` for SD_MUT_ARG_NONE, else `name=<argument>` */
    sd_mutation_arg arg;
    int binary_version; /* the first binary trace version that can carry it (binary.h) */
} sd_mutation_info;

/* The row of a kind, or NULL for a value that is not one (a corrupt or
 * hand-built mutation). */
const sd_mutation_info *sd_mutation_info_of(sd_mutation_kind kind);
/* The kind whose script name is name[0..len) (no NUL needed). */
bool sd_mutation_from_name(const char *name, size_t len, sd_mutation_kind *out);

/* The mutations that act on the records a message goes in rather than on
 * the message (record-flip, cbc-padding, inner-padding, seq-skip): the only ones
 * send-appdata takes besides send and renegotiate. */
bool sd_mutation_on_records(sd_mutation_kind kind);

/* Which fields of sd_mutation a shape uses; `value` lies within
 * [value_min, value_max] when it is used. What sd_trace_equal compares and
 * every form of a trace checks. */
typedef struct {
    bool value, offset, bytes, text, mask;
    long value_min, value_max;
    size_t bytes_min; /* when `bytes` is used: the fewest it may hold */
    size_t bytes_max; /* when `bytes` is used: the most it may hold; 0: as many as an action carries */
} sd_mutation_fields;

/* The fields of a shape, or NULL for a value that is not one. */
const sd_mutation_fields *sd_mutation_arg_fields(sd_mutation_arg arg);

typedef struct {
    sd_mutation_kind kind;
    long value;
    long offset;
    uint8_t *bytes; /* owned */
    size_t bytes_len;
    char text[64];
    /* SD_MUT_ARG_EXTENSION_FLIP's mask (`value` holds its extension there;
     * flip= keeps its mask in `value`); SD_MUT_ARG_U8_PAIR's second number. */
    uint8_t mask;
} sd_mutation;

#define SD_MAX_MUTATIONS 8

/* SD_MUT_FLIP offset meaning "the middle byte" (len / 2, resolved by the
 * driver once the length is known). LONG_MIN because no real offset from
 * either end can be that large. Scripts spell it `middle`. */
#define SD_OFFSET_MIDDLE LONG_MIN

typedef struct {
    sd_action_kind kind;
    int line;             /* script line, 0 if the action did not come from a script */
    uint16_t msg_type;    /* SEND, EXPECT: a handshake type 0-255, or SD_MSG_TYPE_HELLO_RETRY_REQUEST;
                           * RENEGOTIATE: always ClientHello */
    uint8_t alert_level;  /* SEND_ALERT */
    uint8_t alert;        /* SEND_ALERT */
    uint8_t content_type; /* SEND_RAW */
    /* SEND_RAW payload, SEND_APPDATA/EXPECT_APPDATA data; owned. EXPECT of a
     * ClientHello or ServerHello (`random=<hex>`): 1-32 bytes (bytes_len)
     * the random of the target's hello must end with (RFC 8446 §4.1.3's
     * downgrade sentinels are its last 8), none for no check. */
    uint8_t *bytes;
    size_t bytes_len;
    /* SEND_RAW (`fill=<n>`): the record's payload is `bytes` followed by
     * zero bytes up to n bytes in all (a payload of n bytes or more goes as
     * it is); 0: no fill, 1..SD_RAW_FILL_MAX otherwise. How a trace says "a
     * record of 2^14+1 bytes" (RFC 8446 §5.1 record_overflow) in a few
     * bytes: a fuzz input is at most 16 KiB, and one action's data too. */
    size_t fill;
    bool encrypted; /* SEND_RAW, SEND_ALERT: protect with the current keys (default: as the state requires) */
    bool force_plaintext;
    /* SEND_CCS (TLS 1.2, `send-ccs empty-master`): from this CCS on, the
     * driver protects what it sends under keys from an empty master secret,
     * PRF("", "key expansion", server_random + client_random) (RFC 5246
     * §6.3): the keys a peer with CVE-2014-0224 installs on a CCS that comes
     * before the key exchange. A target that took the early CCS then reads
     * the driver's next message, and carries on with a connection whose
     * keys anyone on the path can compute. */
    bool empty_master;
    /* EXPECT ServerHello, `psk=<n>|none`: the answers to the driver's PSK
     * offer (RFC 8446 §4.2.11) that the target's ServerHello may give, read
     * from the wire: bit n (0-14) a pre_shared_key selecting identity n,
     * SD_EXPECT_PSK_NONE none (a full handshake); 0: no check. */
    uint16_t expect_psk;
    /* EXPECT, `if-full`: taken only when this connection's ServerHello
     * selected no PSK (RFC 8446 §2.2: a resumed handshake has no
     * Certificate or CertificateVerify), and passed over otherwise, so that
     * one trace follows either answer where the RFC allows both. */
    bool if_full;
    /* EXPECT NewSessionTicket, `if-announced` (TLS 1.2, the server under
     * test): taken only when this connection's ServerHello carried a
     * session_ticket extension, and passed over when it did not. RFC 5077
     * §3.3: the NewSessionTicket "MUST be sent if the server included a
     * SessionTicket extension in the ServerHello" and "MUST NOT be sent if
     * the server did not", while §3.2 leaves the announcement to the
     * server; so one trace follows a server that renews a ticket after a
     * declined one and a server that does not. */
    bool if_announced;
    size_t n_mutations; /* SEND, RENEGOTIATE; SEND_APPDATA: record-level ones only (sd_mutation_on_records) */
    sd_mutation mutations[SD_MAX_MUTATIONS];
} sd_action;

/* The largest `fill=`: past the largest record either RFC allows, TLS
 * 1.2's TLSCiphertext of 2^14+2048 bytes (RFC 5246 §6.2.3), by 256, so a
 * trace can send a record on either side of every limit of RFC 8446 §5.1,
 * §5.2 and RFC 5246 §6.2, and no more (a record's length field would take
 * up to 2^16-1). */
#define SD_RAW_FILL_MAX (16384u + 2048u + 256u)

/* Whether `expect <msg_type>` may check the end of the random
 * (sd_action.bytes, `random=`): a ClientHello's or ServerHello's, which the
 * target chose. Not HelloRetryRequest, whose random RFC 8446 §4.1.3 fixes. */
bool sd_expect_random_allowed(uint16_t msg_type);

/* `psk=none`: the ServerHello carries no pre_shared_key. Identities 0-14
 * take the bits below it. */
#define SD_EXPECT_PSK_NONE 0x8000u
#define SD_EXPECT_PSK_MAX_INDEX 14

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

/* How many connections the trace plays: one more than its `connection`
 * actions. */
size_t sd_trace_connections(const sd_trace *t);
/* The rules every form of a trace keeps (docs/script-format.md): a
 * `connection` is neither the first nor the last action, never follows
 * another (each connection does something), and a trace plays at most
 * SD_MAX_CONNECTIONS. On a break returns false with the index of the action
 * at fault in *at and the rule in why. */
bool sd_trace_check_connections(const sd_trace *t, size_t *at, char *why, size_t why_len);

/* --- Scenarios ------------------------------------------------------------ */

typedef enum {
    SD_EXPECT_COMPLETE, /* the handshake completes and the trace runs to its end */
    SD_EXPECT_ALERT,    /* the target refuses with this exact fatal alert, or one of a set */
    SD_EXPECT_CLOSED,   /* the target must not complete and must end the connection without
                         * an alert of its own: what RFC 8446 §6 asks of a receiver of an
                         * error alert ("MUST NOT allow any further data to be sent or
                         * received on the connection") */
} sd_expectation_kind;

#define SD_MAX_TAGS 12
/* The most alerts one `expect: alert a | b | ...` names. */
#define SD_MAX_EXPECT_ALERTS 4
/* The most groups a `groups:` header names. */
#define SD_MAX_SCENARIO_GROUPS 8
/* The most schemes a `signature-algorithms:` header names. */
#define SD_MAX_SCENARIO_SIGALGS 16

typedef struct {
    char id[128];
    char title[200];
    char rfc[600];    /* "RFC 8446 §4.4.4: \"...requirement sentence...\"" */
    sd_role role;     /* role of the stack under test */
    uint16_t version; /* SD_TLS13: the version the driver plays */
    /* `versions: 1.2-1.3`: the versions the stack under test is configured
     * to speak, min_version <= max_version (each SD_TLS12 or SD_TLS13); 0
     * and 0 without the header: `version` alone. */
    uint16_t min_version, max_version;
    char tags[SD_MAX_TAGS][32];
    size_t n_tags;
    sd_expectation_kind expect;
    /* SD_EXPECT_ALERT: the alert the target must refuse with. Where the RFCs
     * allow more than one (`expect: alert decrypt_error | decode_error`,
     * each with its citation in `rfc:`), this is the first, and the others
     * follow in expect_alert_also; any of them is a PASS. */
    uint8_t expect_alert;
    uint8_t expect_alert_also[SD_MAX_EXPECT_ALERTS - 1];
    size_t n_expect_alert_also;
    char credential[64];   /* what the driver presents when it plays the server ("leaf") */
    uint16_t cipher_suite; /* the one suite the driver offers (client) or picks (server); 0: its defaults */
    sd_client_auth client_auth; /* server under test: ask the driver for a certificate (`client-auth:`) */
    bool session_tickets;       /* server under test: issue session tickets (`session-tickets: issue`) */
    /* `early-data: on` (RFC 8446 §4.2.10): a server under test issues
     * tickets that allow 0-RTT and accepts it; a client under test sends
     * early data when its ticket allows; the driver as server issues such
     * tickets and accepts the client's 0-RTT. */
    bool early_data;
    /* `renegotiation: allowed` (RFC 5746): the stack under test renegotiates
     * a TLS 1.2 connection when asked (a client answers a HelloRequest with
     * a new ClientHello, a server takes a new ClientHello); without it, or
     * with `refused`, it refuses (RFC 5246 §7.2.2 no_renegotiation). */
    bool renegotiation;
    bool renegotiation_stated; /* the header is there, with either value */
    /* `staple:`: client under test, the fixture PKI's file <staple>.der, an
     * OCSP response the driver staples as the server when the client asks
     * (RFC 6066 §8, RFC 8446 §4.4.2.1); "": none. */
    char staple[64];
    /* `client-credential:`: with role: client and client-auth, the fixture
     * credential the client under test presents when asked ("": "client"). */
    char client_credential[64];
    /* `groups:`: the named groups the stack under test accepts (a server)
     * or offers (a client), in its order of preference; none: its own
     * defaults. A server that accepts only groups the driver's ClientHello
     * has no key share for must answer with a HelloRetryRequest (RFC 8446
     * §4.1.1). */
    uint16_t groups[SD_MAX_SCENARIO_GROUPS];
    size_t n_groups;
    /* `signature-algorithms:`: the signature schemes the stack under test
     * offers and accepts for the peer's signatures (a client's
     * signature_algorithms, a server's CertificateRequest; RFC 8446 §4.2.3,
     * RFC 5246 §7.4.1.4.1), in its order of preference; n 0: its defaults. */
    uint16_t sigalgs[SD_MAX_SCENARIO_SIGALGS];
    size_t n_sigalgs;
    /* `alpn: h2,http/1.1` (RFC 7301): the application protocols the stack
     * under test offers (a client) or speaks (a server), in its order of
     * preference, as a protocol_name_list's content (each name with its
     * length byte, wire/handshake.h); alpn_len 0: none, no ALPN. */
    uint8_t alpn[256];
    size_t alpn_len;
    /* `record-size-limit: 256` (RFC 8449): the limit the stack under test
     * advertises (sd_target_config.record_size_limit), and the driver's
     * own, which it offers (client) or answers with (server); 0: none. */
    uint16_t record_size_limit;
    /* `max-fragment-length: 512` (RFC 6066 §4): the MaxFragmentLength
     * code (1-4 for 2^9-2^12) a client under test requests, or that a
     * server under test accepts, and the driver requests or echoes; 0:
     * none. */
    uint8_t max_fragment_length;
    /* `encrypt-then-mac: on` (RFC 7366): the stack under test and the
     * driver offer (a client) or accept (a server, for a CBC suite)
     * encrypt-then-MAC. */
    bool encrypt_then_mac;
    /* `certificate-compression: zlib,brotli` (RFC 8879): the algorithms the
     * stack under test and the driver offer (a client in its ClientHello, a
     * server with client authentication in its CertificateRequest) and
     * compress with, in order of preference (sd_target_config); none: no
     * part in it. */
    uint16_t cert_compression[SD_MAX_CERT_COMPRESSION];
    size_t n_cert_compression;
    char note[400]; /* why a known stack deviates, if one does */
    char path[512]; /* where it was read from */
    sd_trace trace;
} sd_scenario;

void sd_scenario_free(sd_scenario *s);

/* Whether `alert` is one the scenario expects (SD_EXPECT_ALERT: the first
 * or one of the others of its set). */
bool sd_scenario_expects_alert(const sd_scenario *s, uint8_t alert);

/* Longest script line, without its line ending. Big enough for a printed
 * fuzz input: a `send ClientHello body=<hex>` of SD_FUZZ_MAX_INPUT (16 KiB,
 * one record) is 32 KiB of hex, and a line may carry body= and append=. */
#define SD_SCRIPT_MAX_LINE 65536

/* Parses a scenario script (docs/script-format.md). `out` need not be
 * initialised. On success the caller owns out (sd_scenario_free). On error
 * returns false, leaves nothing to free in out, and writes
 * "file:line: message" into err. */
SD_MUST_CHECK bool sd_scenario_parse(const char *path, const char *text, size_t len, sd_scenario *out,
                                     char *err, size_t err_len);
SD_MUST_CHECK bool sd_scenario_load(const char *path, sd_scenario *out, char *err, size_t err_len);

/* Parses a script as a bare trace: header lines are optional (checked, then
 * dropped) and zero actions is fine. This is what reads back the output of
 * sd_trace_print, and what `repro`/`trace` use for scripts that are not
 * scenarios. Same error contract as sd_scenario_parse; `out` need not be
 * initialised. */
SD_MUST_CHECK bool sd_trace_parse(const char *path, const char *text, size_t len, sd_trace *out, char *err,
                                  size_t err_len);

/* Appends the trace as a script, actions only, one per line, no NUL (the
 * inverse of the action part of the parser: sd_trace_parse of the output
 * gives an equal trace). */
void sd_trace_print(const sd_trace *t, sd_buf *out);

#endif
