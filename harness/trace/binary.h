/* binary.h — the compact binary form of a trace, for fuzzers and corpus files.
 *
 * A trace has three forms that convert losslessly (docs/architecture.md): the text
 * script (script.c), this binary encoding, and the in-memory IR (trace.h).
 * The binary form is what fuzz_trace reads and what its custom mutators
 * write, so it is built for that:
 *   - a 4-byte header, then the actions back to back until the end of the
 *     input (no count: dropping or splicing whole actions keeps a valid
 *     trace);
 *   - every field has one encoding (minimal varints, flags with no unused
 *     bits), so decode then encode gives back the same bytes and a fuzzer's
 *     corpus has no two spellings of one trace;
 *   - the decoder accepts exactly the traces a script can express (the same
 *     value ranges as script.c), so every decoded trace prints as a script
 *     that parses back to an equal trace.
 *
 * Layout (version 4; version 1 is the same without the parts marked v2, v3
 * and v4, version 2 without those marked v3 and v4, version 3 without those
 * marked v4):
 *
 *     trace    = "SDT" version:u8 [setup] action*
 *                                          version 1 or 2: a trace without a setup, the
 *                                           lowest version that can express it (v1 files
 *                                           read unchanged; a v2 header on a trace v1 can
 *                                           express is refused, so each trace has one
 *                                           encoding); version 3: a trace with its setup,
 *                                           whatever its actions need; version 4: a trace
 *                                           with its setup that needs v4 (connections, the
 *                                           PSK mutations, expect's psk=, if-full and
 *                                           if-announced), and
 *                                           only such a one
 *     setup    = role:u8 version:u16 cipher_suite:u16 client_auth:u8 flags:u8     v3
 *                [flags2:u8]
 *                server_credential:name client_credential:name
 *                target_client_credential:name n_groups:u8 group:u16{n_groups}
 *                [staple:name] [min_version:u16 max_version:u16] [alpn:len:u8 bytes]
 *                [record_size_limit:u16] [max_fragment_length:u8]
 *                [n_cert_compression:u8 algorithm:u16{n_cert_compression}]
 *                [n_sigalgs:u8 scheme:u16{n_sigalgs}]
 *       role          sd_role: 0 client, 1 server (of the stack under test)
 *       version       0x0303 (TLS 1.2) or 0x0304 (TLS 1.3), big-endian like every u16
 *       cipher_suite  any (0: the driver's defaults), as a script's `cipher-suite:`
 *       client_auth   sd_client_auth: 0 none, 1 request, 2 require
 *       flags         bit 0 session_tickets, bit 1 announce_ticket, bit 2 staple,
 *                     bit 3 versions, bit 4 early_data, bit 5 renegotiation, bit 6
 *                     alpn, bit 7 flags2 follows
 *       flags2        only with flag bit 7, and then not 0: bit 0 record_size_limit,
 *                     bit 1 max_fragment_length, bit 2 encrypt_then_mac, bit 3
 *                     cert_compression (others 0)
 *       groups        0..SD_MAX_SCENARIO_GROUPS named groups the stack under test
 *                     accepts or offers, as a script's `groups:` (0: its defaults)
 *       staple        only with flag bit 2, and then of 1..63 bytes: the fixture file
 *                     (without .der) of the OCSP response the driver staples as a
 *                     server, as a script's `staple:` (without the flag: none; so the
 *                     setups written before it read, and encode, as they were)
 *       min_version, max_version
 *                     only with flag bit 3, and then each 0x0303 or 0x0304, lowest
 *                     first: the versions the stack under test speaks, as a script's
 *                     `versions:` (without the flag: `version` alone; the same reason)
 *       alpn          only with flag bit 6, and then 2..255 bytes: the protocols the
 *                     stack under test offers or speaks, as a script's `alpn:` (a
 *                     protocol_name_list's content, RFC 7301 §3.1, well-formed)
 *       record_size_limit
 *                     only with flags2 bit 0, and then 64..16385: the limit of a
 *                     script's `record-size-limit:` (RFC 8449)
 *       max_fragment_length
 *                     only with flags2 bit 1, and then 1..4: the MaxFragmentLength
 *                     code of a script's `max-fragment-length:` (RFC 6066 §4)
 *       cert_compression
 *                     only with flags2 bit 3, and then 1..4 algorithms, each once and
 *                     zlib (1) or brotli (2): a script's `certificate-compression:`
 *                     (RFC 8879 §3)
 *     name     = len:u8 (0..63) name[len] ([a-z0-9._-]; length 0: none)           v3
 *     action   = kind:u8 fields            (kind = sd_action_kind, or 0x80 | kind for the
 *                                           HelloRetryRequest pseudo message of SEND, EXPECT)
 *       SEND            msg_type:u8 n:u8 mutation{n}        n <= SD_MAX_MUTATIONS
 *       EXPECT          msg_type:u8
 *       EXPECT_RANDOM   msg_type:u8 bytes (1..32)           v2; kind 0x45: EXPECT of a ClientHello or
 *                                                           ServerHello with random=<hex>
 *       SEND_ALERT      flags:u8 level:u8 description:u8
 *       SEND_CCS        flags:u8
 *       SEND_APPDATA    flags:u8 bytes [n:u8 mutation{n}]
 *                                                           the mutations (v2) only with flag bit 4,
 *                                                           and then 1..SD_MAX_MUTATIONS of the
 *                                                           record-level kinds (trace.h
 *                                                           sd_mutation_on_records)
 *       SEND_RAW        flags:u8 content_type:u8 bytes [fill:varint]
 *                                                           fill (v2) only with flag bit 3, and then
 *                                                           1..SD_RAW_FILL_MAX: `fill=` (trace.h)
 *       EXPECT_APPDATA  bytes
 *       EXPECT_CLOSE    (nothing)
 *       EXPECT_CCS      (nothing)
 *       RENEGOTIATE     n:u8 mutation{n}                    v2; kind 9, always a ClientHello
 *       CONNECTION      (nothing)                           v4; kind 10: the next connection begins
 *                                                           (trace.h, sd_trace_check_connections: never
 *                                                           first, last or twice in a row; at most
 *                                                           SD_MAX_CONNECTIONS connections)
 *       SEND_HRR        n:u8 mutation{n}                    kind 0x80: SEND of HelloRetryRequest
 *       EXPECT_HRR      (nothing)                           kind 0x85: EXPECT of HelloRetryRequest
 *       EXPECT_PSK      the fields of EXPECT, EXPECT_RANDOM v4; kind 0x20 | 0x05, 0x65 or 0xa5: an
 *                       or EXPECT_HRR, then psk:u16         EXPECT with `psk=` (trace.h expect_psk, not
 *                       if:u8 (bit 0 if-full, bit 1          0 on a ServerHello only), `if-full` or
 *                       if-announced, others 0)             `if-announced` (NewSessionTicket only);
 *                                                           at least one of them set (a u8 that was the
 *                                                           0-or-1 if-full flag: old traces read as ever)
 *     flags    = bit 0 force_plaintext, bit 1 encrypted (not both), bit 2 empty_master
 *                (SEND_CCS only, v3: so a trace that sends one needs its setup),
 *                bit 3 fill (SEND_RAW only, v2: a record of up to SD_RAW_FILL_MAX bytes
 *                in a few bytes of input), bit 4 mutations (SEND_APPDATA only, v2: its
 *                records flipped or padded); others 0
 *     mutation = kind:u8 fields            (kind = sd_mutation_kind; a kind needs the binary
 *                                           version of its row in SD_MUTATIONS, trace.h: 1 for
 *                                           body .. split, 2 for dup-ext .. random, add-suite
 *                                           and record-flip .. seq-skip, 4 for
 *                                           psk-not-last .. psk-identities, early-data, replay)
 *       fields by the kind's argument shape (sd_mutation_arg):
 *       NONE            (nothing)
 *       BYTES           bytes
 *       BYTES8          bytes                          (len 0..255)
 *       BYTES32         bytes                          (len 1..32)
 *       FLIP            offset:zigzag-varint mask:u8   (LONG_MIN = middle)
 *       EXTENSION_FLIP  type:u16 offset:zigzag-varint mask:u8
 *       U24             value:varint (0..2^24-1)
 *       SPLIT           value:varint (1..16384)
 *       HANDSHAKE_TYPE  value:u8
 *       U8              value:u8                                             v4
 *       U8_PAIR         value:u8 mask:u8                                     v2
 *       EXTENSION, U16  value:u16 (big-endian)
 *       EXTENSION_BYTES type:u16 bytes
 *       CREDENTIAL      len:u8 (1..63) name[len] ([a-z0-9._-])
 *     bytes    = len:varint data[len]
 *     varint   = LEB128, unsigned, at most 10 bytes, minimal (no 0x80 padding)
 *
 * Fields an action kind or a mutation's shape does not use (trace.h lists
 * them) are not encoded;
 * sd_trace_equal ignores them too, and script line numbers.
 *
 * The setup (version 3) is how the trace runs besides its actions: what a
 * scenario's headers say. Without one, fuzz_trace runs a trace with TLS
 * 1.3, the default credentials and the role its first ClientHello action
 * implies (fuzz_input.h); with one, as the setup says, so one fuzz target
 * explores both versions, every fixture credential and client
 * authentication, and a seed made from a scenario runs as the scenario. */
#ifndef SHAKEDOWN_TRACE_BINARY_H
#define SHAKEDOWN_TRACE_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"
#include "wire/bytes.h"
#include "util/util.h"

/* The newest version this build writes and reads (it reads all older ones). */
#define SD_TRACE_BINARY_VERSION 4
#define SD_TRACE_BINARY_HEADER_LEN 4
/* The first version that carries a setup. */
#define SD_TRACE_BINARY_SETUP_VERSION 3
/* The first version that carries connections (and the PSK mutations). */
#define SD_TRACE_BINARY_CONNECTIONS_VERSION 4

/* How a trace runs besides its actions: what a scenario's headers say
 * (role, version, cipher-suite, credential, client-auth, session-tickets,
 * groups, staple, versions), what a fuzz target decides from its input
 * (trace/fuzz_input.h), and what
 * a binary trace of version 3 carries. driver/fuzz_setup.c applies it to a
 * run configuration. An empty name means none. */
typedef struct {
    sd_role role;          /* of the stack under test */
    uint16_t version;      /* SD_TLS13 or SD_TLS12 */
    uint16_t cipher_suite; /* the one suite the driver offers or picks; 0: its defaults */
    char
        server_credential[64]; /* the server's fixture credential, the driver's or the target's; "": "leaf" */
    char client_credential[64]; /* the driver's as a client, when asked for one; "": server_credential's */
    /* A client under test's, when asked; "": with client_auth the fixture's
     * "client", else none (an empty Certificate). */
    char target_client_credential[64];
    sd_client_auth
        client_auth;      /* server under test: ask for a client certificate; client under test: have one */
    bool session_tickets; /* a server under test issues session tickets */
    bool announce_ticket; /* TLS 1.2: the driver's ServerHello announces a ticket (RFC 5077 §3.2) */
    /* The named groups the stack under test accepts (a server) or offers (a
     * client), as `groups:` (trace.h); none: its defaults. */
    uint16_t groups[SD_MAX_SCENARIO_GROUPS];
    size_t n_groups;
    /* The fixture PKI's <staple>.der, an OCSP response the driver staples
     * as the server when the client asks, as `staple:` (trace.h); "": none. */
    char staple[64];
    /* The versions the stack under test is configured to speak, lowest
     * first, as `versions:` (trace.h); 0 and 0: `version` alone. */
    uint16_t min_version, max_version;
    /* `early-data: on` (trace.h sd_scenario.early_data): 0-RTT allowed by
     * the server's tickets and offered by a client under test. */
    bool early_data;
    /* `renegotiation: allowed` (trace.h sd_scenario.renegotiation). */
    bool renegotiation;
    /* `alpn:` (trace.h sd_scenario.alpn): the stack under test's ALPN
     * protocols, a protocol_name_list's content; alpn_len 0: none. At most
     * 255 bytes, what the setup's one length byte says. */
    uint8_t alpn[255];
    size_t alpn_len;
    /* `record-size-limit:` (trace.h sd_scenario.record_size_limit); 0:
     * none. */
    uint16_t record_size_limit;
    /* `max-fragment-length:` (trace.h sd_scenario.max_fragment_length), a
     * code 1-4; 0: none. */
    uint8_t max_fragment_length;
    /* `encrypt-then-mac: on` (trace.h sd_scenario.encrypt_then_mac). */
    bool encrypt_then_mac;
    /* `certificate-compression:` (trace.h sd_scenario.cert_compression);
     * n 0: none. */
    uint16_t cert_compression[SD_MAX_CERT_COMPRESSION];
    size_t n_cert_compression;
    /* `signature-algorithms:` (trace.h sd_scenario.sigalgs); n 0: the
     * stack's defaults. */
    uint16_t sigalgs[SD_MAX_SCENARIO_SIGALGS];
    size_t n_sigalgs;
} sd_fuzz_setup;

/* True if data starts with the binary trace header (any version): what
 * `shakedown trace` uses to tell a binary trace from a script. */
bool sd_trace_binary_is(const uint8_t *data, size_t len);

/* Appends the encoding of t to out, without a setup (version 1 or 2).
 * Returns false, appending nothing, if t holds something the encoding (and
 * so the script) cannot express: an unknown action or mutation kind, more
 * than SD_MAX_MUTATIONS mutations, a value out of its range, both flags, a
 * bad credential name; err says which action. Also false if out fails (out
 * of memory). */
SD_MUST_CHECK bool sd_trace_encode(const sd_trace *t, sd_buf *out, char *err, size_t err_len);

/* The same with the setup the trace runs with (version 3); a NULL setup is
 * sd_trace_encode. Also false for a setup out of its ranges (a role,
 * version or client_auth that is none of those above, a bad name). */
SD_MUST_CHECK bool sd_trace_encode_with_setup(const sd_trace *t, const sd_fuzz_setup *setup, sd_buf *out,
                                              char *err, size_t err_len);

/* Decodes data[0..len). `out` need not be initialised. On success the
 * caller owns out (sd_trace_free). On any error (bad header, unknown
 * version or kind, a field out of range, a truncated field, a non-minimal
 * varint, out of memory) returns false, leaves nothing to free and writes
 * "offset N: message" into err. Never reads outside data. A version 3
 * setup is checked, then dropped: callers that run the trace want
 * sd_trace_decode_with_setup. */
SD_MUST_CHECK bool sd_trace_decode(const uint8_t *data, size_t len, sd_trace *out, char *err, size_t err_len);

/* The same, and the setup: *has_setup says whether the trace carries one
 * (version 3), and if so *setup is it; else *setup is zeroed. */
SD_MUST_CHECK bool sd_trace_decode_with_setup(const uint8_t *data, size_t len, sd_trace *out,
                                              sd_fuzz_setup *setup, bool *has_setup, char *err,
                                              size_t err_len);

#endif
