/* generate_family.h — what the generated families share: the script
 * builder, the description of each TLS version they run for, and the honest
 * handshake a case departs from. Not for use outside harness/trace/generate*.c.
 *
 * One generator per family (generate_order.c, generate_malformed.c,
 * generate_finished.c, generate_alert.c, generate_record.c,
 * generate_certificate.c) writes the cases of both versions; where the
 * versions' RFCs say different things, the family reads it from the
 * gen_version it is given, or from a small table of its own indexed by
 * gen_version.id. */
#ifndef SHAKEDOWN_TRACE_GENERATE_FAMILY_H
#define SHAKEDOWN_TRACE_GENERATE_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/sequences.h"
#include "trace/generate.h"
#include "wire/bytes.h"

/* --- Requirements -----------------------------------------------------------
 * What a case checks. Each version quotes its own RFC for it (the citation
 * tables in generate_versions.c); a scenario's `rfc:` header is that quote.
 * A version that states no such requirement has no quote for it, and the
 * cases that check it are not generated for that version. */
typedef enum {
    /* Both versions. */
    R_ORDER,
    R_DECODE,
    R_FINISHED,
    R_FINISHED_LENGTH, /* a Finished of another length: decrypt_error or decode_error */
    R_PREMATURE_APPDATA,
    R_ERROR_ALERT, /* an error alert (TLS 1.2: a fatal alert) ends the connection */
    R_CLOSE_NOTIFY,
    R_USER_CANCELED,
    R_PLAINTEXT_AFTER_KEYS,
    R_PLAINTEXT_OVERFLOW,
    R_CIPHERTEXT_OVERFLOW,
    R_RECORD_LIMIT_OK,
    R_EMPTY_APPDATA,
    R_UNKNOWN_RECORD_TYPE,
    R_RECORD_MAC, /* a protected record that does not deprotect: bad_record_mac */
    /* TLS 1.3 only. */
    R_RENEGOTIATION, /* a ClientHello after the handshake: TLS 1.3 has no renegotiation */
    R_POST_HANDSHAKE_CR,
    R_UNKNOWN_ALERT,
    R_ALERT_RECORD,
    R_EMPTY_INNER,           /* a protected Handshake or Alert record with no content (§5.4) */
    R_EMPTY_ALERT_PLAINTEXT, /* an unprotected Alert record with no content */
    R_INNER_OVERFLOW,
    R_INTERLEAVE,
    R_NO_INNER_TYPE,
    R_COMPAT_CCS,             /* the compatibility ChangeCipherSpec (RFC 8446 §5) */
    R_INNER_PADDING_OK,       /* zeros after the inner content type, within 2^14 + 1 octets (§5.4) */
    R_INNER_PADDING_OVERFLOW, /* only the padding makes TLSInnerPlaintext longer than 2^14 + 1 octets */
    /* TLS 1.2 only. */
    R_CCS_ORDER,
    R_FINISHED_WITHOUT_CCS,
    R_POST_HANDSHAKE,
    R_CLIENT_HELLO_DECODE,
    R_COMPRESSION,
    R_SH_COMPRESSION,
    R_SH_SUITE,
    R_CH_VERSION,
    R_SH_VERSION,
    R_WARNING_ALERT,
    R_TOO_MANY_WARNINGS,
    R_CCS_VALUE,
    R_CH_RECORD_VERSION,
    R_CBC_PADDING,    /* a CBC padding whose bytes or length are wrong (RFC 5246 §6.2.3.2) */
    R_CBC_PADDING_OK, /* a CBC padding longer than needed, up to 255 bytes */
    /* Resumption (both versions): the abbreviated handshake's order. */
    R_RESUMED_ORDER,
    /* TLS 1.3 PSK offers (RFC 8446 §4.2.9, §4.2.11). */
    R_PSK_DECODE,
    R_PSK_BINDER,
    R_PSK_BINDER_LENGTH, /* a binder out of PskBinderEntry's range: decode_error or decrypt_error */
    R_PSK_DECLINE,
    R_PSK_TICKET_TAIL, /* the ticket's last byte: the server's own format decides, resume or decline */
    R_PSK_AGE,
    R_PSK_MODES,
    R_PSK_SELECTED_IDENTITY,
    /* TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10, §4.5, §4.6.1). */
    R_EARLY_ORDER,      /* connection 2's order with 0-RTT accepted: EndOfEarlyData before Finished */
    R_EARLY_DATA_LIMIT, /* more 0-RTT data than max_early_data_size: unexpected_message */
    R_EARLY_DATA_SIZE_OK,
    R_EARLY_DATA_AFTER_EOED, /* application data after EndOfEarlyData, before Finished */
    N_REQUIREMENTS
} requirement;

/* --- Versions ---------------------------------------------------------------- */

typedef enum { GEN_TLS13, GEN_TLS12, N_GEN_VERSIONS } gen_version_id;

/* A handshake the families are played over, besides (TLS 1.3) or instead
 * of (TLS 1.2) the version's own shape: in TLS 1.2 a key exchange the
 * driver plays, in TLS 1.3 a HelloRetryRequest. Its credential, the one
 * suite offered or picked, and the shape each role follows (sequences.c). */
typedef struct {
    const char *name;       /* in ids and titles */
    const char *credential; /* `credential:`; NULL: the default, no header */
    const char *suite;      /* `cipher-suite:`; NULL: the driver's defaults, no header */
    unsigned server_flags;  /* shape when the server is under test; 0: not played */
    unsigned client_flags;  /* shape when the client is under test; 0: not played */
    bool client_auth;       /* the server under test asks for a certificate */
    /* `groups:` of a server under test: the only groups it accepts. The
     * driver's ClientHello has a key share for x25519 alone, so a server
     * that accepts none of its groups but P-256 must ask for a P-256 share
     * with a HelloRetryRequest (RFC 8446 §4.1.1). NULL: its defaults. */
    const char *server_groups;
    /* gen-alert runs over this profile too (alerts depend neither on the
     * key exchange nor on client authentication). */
    bool alerts;
    /* Cases only from the HelloRetryRequest on: the places before it are
     * those of the shape without it, and after the handshake the
     * connection is the same, so the version's own run covers them. */
    bool from_retry;
    /* A resumption profile (gen_version.resumption): connection 1 is an
     * honest full handshake of this shape (sequences.c), after which the
     * server issues what connection 2 resumes; server_flags and
     * client_flags name connection 2's shape in gen_resumed_shapes, where
     * every case departs. */
    bool resumes;
    unsigned first_flags;
    /* Finished's verify_data length where the profile's suite makes it
     * other than the version's usual one (SHA-384: 48 bytes); 0: the
     * version's. */
    unsigned finished_len;
    /* `groups:` of a client under test: the only groups it offers. NULL:
     * its defaults. */
    const char *client_groups;
    /* With client_auth: the fixture credential the client presents (the
     * driver's `cert=`, a client under test's `client-credential:`), and
     * the driver's mutation that presents it (" cert=<name>"). NULL: the
     * fixture's `client`. */
    const char *client_credential;
    const char *client_cert_mutation;
    /* A tag its scenarios carry besides the family's; NULL: none. */
    const char *tag;
} gen_profile;

typedef struct {
    gen_version_id id;            /* index of the families' per-version tables */
    const char *name;             /* "tls13": the first part of ids, and a tag */
    const char *number;           /* "1.3": the `version:` header */
    unsigned shape_flags;         /* the flags its shapes carry in the table of sequences.c */
    const char *const *citations; /* [N_REQUIREMENTS]; NULL where the version states no such requirement */
    /* ChangeCipherSpec is a step of the handshake (RFC 5246 §7.1), which the
     * order cases send out of place and after which the driver's records
     * are protected. Otherwise records are protected from the ServerHello on
     * (RFC 8446 §2) and ChangeCipherSpec is only the compatibility record
     * (RFC 8446 §5). */
    bool ccs_is_step;
    /* Every alert but the closures is an error whatever its level (RFC 8446
     * §6). Otherwise a warning may let the connection go on (RFC 5246
     * §7.2.2). */
    bool alert_level_ignored;
    /* HelloRequest is a message of the version, which a client in the
     * middle of a handshake ignores (RFC 5246 §7.4.1.1). */
    bool has_hello_request;
    /* How far a protected record may exceed 2^14 bytes: 256 (RFC 8446
     * §5.2), 2048 (RFC 5246 §6.2.3). */
    unsigned ciphertext_expansion;
    /* The families run without a profile too, over the shape with
     * shape_flags and the target's defaults (TLS 1.3: the shape a
     * handshake starts in, no HelloRetryRequest and no client
     * authentication). */
    bool base_run;
    /* The profiles played (TLS 1.2: the key exchanges; TLS 1.3: the
     * HelloRetryRequest, with and without client authentication). */
    const gen_profile *profiles;
    size_t n_profiles;
    /* The resumption profiles: connection 2 resumes what connection 1 set
     * up (RFC 8446 §2.2, RFC 5246 §7.3 Figure 2), and the cases deviate in
     * connection 2 (generate_resumed.c). */
    const gen_profile *resumption;
    size_t n_resumption;
} gen_version;

extern const gen_version gen_tls13;
extern const gen_version gen_tls12;

static inline bool gen_cites(const gen_version *v, requirement r) { return v->citations[r] != NULL; }
/* The more specific requirement where the version states one, else the
 * general one. */
static inline requirement gen_cited_or(const gen_version *v, requirement specific, requirement general) {
    return gen_cites(v, specific) ? specific : general;
}

/* --- The honest handshake ------------------------------------------------------
 * The shape the driver plays with a target in one role, step by step; a case
 * plays a prefix of it, then its deviation, then (where the target should go
 * on) the rest. */
typedef struct {
    const gen_version *v;
    const gen_profile *p; /* NULL: the version's own run (base_run) */
    /* A resumption case: connection 1's honest full handshake, played
     * before `shape`, which is then connection 2's (a row of
     * gen_resumed_shapes, not of sequences.c). NULL: one connection. */
    const sd_shape *first;
    sd_role target, driver;
    const sd_shape *shape; /* NULL: the profile is not played in this role, or has no shape */
    /* The first place cases are generated at: 0, or with a profile
     * from_retry the place right after the HelloRetryRequest. */
    size_t from;
    /* Cases after the handshake are generated (not with from_retry). */
    bool post_handshake;
    /* A row of the covering array (generate_matrix.c): only the cases whose
     * check the parameters change (gen-malformed leaves out the wrong
     * types, the hello fields and the messages that carry none of them). */
    bool parameter_cases_only;
} honest;

honest gen_honest(const gen_version *v, const gen_profile *p, sd_role target);
/* The place right after the shape's HelloRetryRequest; 0 if it has none. */
size_t gen_after_retry(const sd_shape *shape);
/* The mutations that make the driver's message honest for the profile: its
 * client certificate, the ServerHello's ticket announcement. "" if none;
 * else starts with a space. */
const char *gen_honest_extra(const honest *h, uint16_t msg);
/* Whether the driver's records are protected when it sends step pos. */
bool gen_protected(const honest *h, size_t pos);
/* Whether the version is agreed before step pos: once the ServerHello is
 * out (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3). */
bool gen_version_agreed(const honest *h, size_t pos);
/* Whether the tables accept `type` from the driver at pos. In connection 2
 * of a resumption case: whether gen_resumed_shapes has it there. */
bool gen_accepted(const honest *h, size_t pos, uint16_t type);
/* The first place at or after h->from where the driver speaks; the shape's
 * length if none. */
size_t gen_first_driver_place(const honest *h);

/* What connection 2 of a 0-RTT case sends as early data: the driver's
 * (any text), and the client under test's SD_EARLY_DATA_TEXT ("early
 * data\n"), which scripts write in hex. */
#define GEN_EARLY_TEXT "early"
#define GEN_EARLY_HEX "6561726c7920646174610a"

/* --- Script text ---------------------------------------------------------------- */

typedef struct {
    sd_generated *out;
    char *err;
    size_t err_len;
    bool ok;
    sd_buf text;
} gen;

void gen_put(gen *g, const char *s);

/* Starts a scenario: the header block. The id is
 * <version>.<role>.<family>.<profile>.<detail> (no profile part where the
 * version has none, nor in gen-alert). Expectation: "complete", "closed" or
 * "alert <name>". `tags` are added after the family, role and version. */
void gen_begin(gen *g, const char *family, const honest *h, const char *detail, const char *title,
               requirement r, const char *expect, const char *note, const char *tags);
/* The header lines every scenario starts with, up to its expectation. */
void gen_put_header(gen *g, const gen_version *v, const char *id, const char *title, const char *rfc,
                    sd_role role, const char *tags, const char *expect);
/* Parses the text built since the header and adds it to the set. */
void gen_finish(gen *g, const char *family);
/* Fails the run with a message (a bug in a table). */
void gen_fail(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One step as a script line: `send`/`expect` and the message, `extra` after
 * a message the driver sends. */
void gen_put_step(gen *g, const sd_step *st, sd_role driver, const char *extra);
/* The honest steps [from, to) as script lines; from 0 in a resumption case,
 * connection 1 first (gen_put_first_connection). */
void gen_put_steps(gen *g, const honest *h, size_t from, size_t to);
/* Connection 1 of a resumption case, its ticket (TLS 1.3) and the
 * `connection` line. */
void gen_put_first_connection(gen *g, const honest *h);
/* After a complete honest handshake: the connection carries data. */
void gen_put_ping(gen *g);

/* "ClientHello" -> "client-hello", ChangeCipherSpec -> "change-cipher-spec";
 * a number without a name -> "type-99". Returns buf. */
const char *gen_kebab(uint16_t msg, char *buf, size_t len);
/* The step at pos as ids and titles name a place: gen_kebab's and
 * sd_step_name's, but a message its sender already sent earlier in the
 * shape (the ClientHello that answers a HelloRetryRequest) is the
 * "second-client-hello", the "second ClientHello". Returns buf. */
const char *gen_step_kebab(const honest *h, size_t pos, char *buf, size_t len);
const char *gen_step_title(const honest *h, size_t pos, char *buf, size_t len);
/* The message as a script names it: "ClientHello", or the number. */
const char *gen_type_word(unsigned type, char *buf, size_t len);
/* "Client" or "Server": the role under test, to start a title. */
const char *gen_who(const honest *h);

/* Every handshake type the registry names, in registry order. */
extern const uint8_t gen_all_types[];
extern const size_t gen_n_all_types;

/* Where BoringSSL refuses as it must but with another alert (SOFT), the
 * scenario says why, so that a reader of the report does not have to dig. */
extern const char gen_note_decrypts_everything[];
/* A TLS 1.3 protected record with no non-zero octet (RFC 8446 §5.4). */
extern const char gen_note_no_inner_type[];

/* --- The families ----------------------------------------------------------------- */

void gen_order(gen *g, const honest *h);
void gen_malformed(gen *g, const honest *h);
void gen_finished(gen *g, const honest *h);
void gen_alert(gen *g, const honest *h);
void gen_record(gen *g, const honest *h);
/* TLS 1.3 resumption: the PSK offer's and answer's fields
 * (generate_resumed.c). */
void gen_psk_fields(gen *g, const honest *h);
/* TLS 1.3 0-RTT, over a profile whose connection 2 accepts early data: its
 * size against max_early_data_size (gen-record) and EndOfEarlyData before
 * the early data (gen-order), server under test (generate_resumed.c). */
void gen_early_data_cases(gen *g, const honest *h);
/* The handshakes connection 2 of a resumption case follows: RFC 8446 §2.2
 * Figure 3 and RFC 5246 §7.3 Figure 2, written down here apart from
 * sequences.c (generate_resumed.c; tests/test_rfc_orders.c checks both
 * against tests/rfc_orders/handshake-flows.txt). */
const sd_shape *gen_resumed_shape(unsigned flags);

/* Both roles: the defects of the fixture PKI. */
void gen_certificate(gen *g, const gen_version *v);
/* Both roles: gen-finished and gen-malformed over the rows of the version's
 * pairwise covering array of suite x group x credential x client
 * authentication (generate_matrix.c). */
void gen_matrix(gen *g, const gen_version *v);
/* The dimensions the covering array of gen_matrix varies ("suite (3) x
 * group (7) x ...", into buf), and how many rows it has for the version. */
const char *gen_matrix_dimensions(const gen_version *v, char *buf, size_t len, size_t *n_rows);
/* Both roles, every suite of the version: the driver's protected records
 * tampered with (generate_protection.c). */
void gen_protection(gen *g, const gen_version *v);

#endif
