/* generate.c — the generated scenario families, TLS 1.3 and (in the second
 * half of this file) TLS 1.2; see generate.h.
 *
 * Each family walks a table and writes one script per case:
 *   gen-order      every handshake message that may not come next, at every
 *                  place where the target waits for the driver (from
 *                  sd_tls13_shapes), and after the handshake;
 *   gen-malformed  each message the driver sends, truncated, emptied, with
 *                  trailing bytes, with a lying length, with a wrong type;
 *   gen-finished   every way a Finished can be wrong, or missing;
 *   gen-alert      every alert description at both levels at every place
 *                  the driver speaks, and alert records of the wrong size;
 *   gen-record     the record layer: sizes, empty records, unknown and
 *                  interleaved content types, premature application data;
 *   gen-certificate every defective credential of the fixture PKI, as the
 *                  server's and as the client's certificate, an empty list,
 *                  an unrequested CertificateEntry extension.
 *
 * The expected outcome of each case is what the RFC prescribes; the RFC
 * sentence is quoted from the citation table below. Where BoringSSL answers
 * differently and the difference is known and harmless (a SOFT verdict), the
 * scenario carries a note saying where in BoringSSL that answer comes from.
 *
 * Cases are left out, with the reason in a comment, where the RFC prescribes
 * no observable behaviour (a length that promises bytes never sent: the
 * receiver must simply wait) or where the harness cannot yet play the prefix
 * (HelloRetryRequest and CertificateRequest need driver and target support).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "trace/generate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sequences.h"
#include "wire/names.h"

/* --- Citations --------------------------------------------------------------
 * The requirement each family checks, quoted from RFC 8446. A scenario's
 * `rfc:` header is one of these strings. */

typedef enum {
    C_ORDER,
    C_RENEGOTIATION,
    C_POST_HANDSHAKE_CR,
    C_DECODE,
    C_FINISHED,
    C_PREMATURE_APPDATA,
    C_ERROR_ALERT,
    C_UNKNOWN_ALERT,
    C_CLOSE_NOTIFY,
    C_USER_CANCELED,
    C_ALERT_RECORD,
    C_PLAINTEXT_AFTER_KEYS,
    C_PLAINTEXT_OVERFLOW,
    C_CIPHERTEXT_OVERFLOW,
    C_INNER_OVERFLOW,
    C_RECORD_LIMIT_OK,
    C_EMPTY_HANDSHAKE,
    C_EMPTY_APPDATA,
    C_INTERLEAVE,
    C_UNKNOWN_RECORD_TYPE,
    C_NO_INNER_TYPE,
    C_CCS,
    N_CITATIONS
} citation;

static const char *const citations[N_CITATIONS] = {
    [C_ORDER] = "RFC 8446 §4: \"Protocol messages MUST be sent in the order defined in Section 4.4.1 and "
                "shown in the diagrams in Section 2. A peer which receives a handshake message in an "
                "unexpected order MUST abort the handshake with an \"unexpected_message\" alert.\"",
    [C_RENEGOTIATION] = "RFC 8446 §4.1.2: \"Because TLS 1.3 forbids renegotiation, if a server has negotiated "
                        "TLS 1.3 and receives a ClientHello at any other time, it MUST terminate the "
                        "connection with an \"unexpected_message\" alert.\"",
    [C_POST_HANDSHAKE_CR] = "RFC 8446 §4.6.2: \"A client that receives a CertificateRequest message without "
                            "having sent the \"post_handshake_auth\" extension MUST send an "
                            "\"unexpected_message\" fatal alert.\"",
    [C_DECODE] = "RFC 8446 §6.2: \"decode_error: A message could not be decoded because some field was out "
                 "of the specified range or the length of the message was incorrect. This alert is used "
                 "for errors where the message does not conform to the formal protocol syntax.\"",
    [C_FINISHED] = "RFC 8446 §4.4.4: \"Recipients of Finished messages MUST verify that the contents are "
                   "correct and if incorrect MUST terminate the connection with a \"decrypt_error\" "
                   "alert.\"",
    [C_PREMATURE_APPDATA] = "RFC 8446 §6.2: \"unexpected_message: An inappropriate message (e.g., the wrong "
                            "handshake message, premature Application Data, etc.) was received.\" §4.4.4: "
                            "\"Once a side has sent its Finished message and has received and validated the "
                            "Finished message from its peer, it may begin to send and receive Application "
                            "Data over the connection.\"",
    [C_ERROR_ALERT] = "RFC 8446 §6: \"All the alerts listed in Section 6.2 MUST be sent with AlertLevel=fatal "
                      "and MUST be treated as error alerts when received regardless of the AlertLevel in "
                      "the message.\" and \"Upon receiving an error alert, the TLS implementation SHOULD "
                      "indicate an error to the application and MUST NOT allow any further data to be "
                      "sent or received on the connection.\"",
    [C_UNKNOWN_ALERT] = "RFC 8446 §6: \"Unknown Alert types MUST be treated as error alerts.\" and \"Upon "
                        "receiving an error alert, the TLS implementation SHOULD indicate an error to the "
                        "application and MUST NOT allow any further data to be sent or received on the "
                        "connection.\"",
    [C_CLOSE_NOTIFY] = "RFC 8446 §6.1: \"close_notify: This alert notifies the recipient that the sender "
                       "will not send any more messages on this connection. Any data received after a "
                       "closure alert has been received MUST be ignored.\"",
    [C_USER_CANCELED] = "RFC 8446 §6.1: \"user_canceled: This alert notifies the recipient that the sender "
                        "is canceling the handshake for some reason unrelated to a protocol failure.\" "
                        "and \"This alert SHOULD be followed by a \"close_notify\".\"; after close_notify "
                        "\"Any data received after a closure alert has been received MUST be ignored.\"",
    [C_ALERT_RECORD] = "RFC 8446 §5.1: \"Alert messages (Section 6) MUST NOT be fragmented across records, "
                       "and multiple alert messages MUST NOT be coalesced into a single TLSPlaintext "
                       "record. In other words, a record with an Alert type MUST contain exactly one "
                       "message.\" §6.2: \"decode_error: A message could not be decoded because some field "
                       "was out of the specified range or the length of the message was incorrect.\"",
    [C_PLAINTEXT_AFTER_KEYS] = "RFC 8446 §5.2: \"opaque_type: The outer opaque_type field of a TLSCiphertext "
                               "record is always set to the value 23 (application_data) for outward "
                               "compatibility with middleboxes accustomed to parsing previous versions of "
                               "TLS.\" §6.2: \"unexpected_message: An inappropriate message (e.g., the "
                               "wrong handshake message, premature Application Data, etc.) was received.\"",
    [C_PLAINTEXT_OVERFLOW] = "RFC 8446 §5.1: \"length: The length (in bytes) of the following "
                             "TLSPlaintext.fragment. The length MUST NOT exceed 2^14 bytes. An endpoint "
                             "that receives a record that exceeds this length MUST terminate the "
                             "connection with a \"record_overflow\" alert.\"",
    [C_CIPHERTEXT_OVERFLOW] = "RFC 8446 §5.2: \"An endpoint that receives a record from its peer with "
                              "TLSCiphertext.length larger than 2^14 + 256 octets MUST terminate the "
                              "connection with a \"record_overflow\" alert.\"",
    [C_INNER_OVERFLOW] = "RFC 8446 §5.4: \"the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 "
                         "octets.\" §5.1: \"The length MUST NOT exceed 2^14 bytes. An endpoint that "
                         "receives a record that exceeds this length MUST terminate the connection with a "
                         "\"record_overflow\" alert.\"",
    [C_RECORD_LIMIT_OK] = "RFC 8446 §5.1: \"The length MUST NOT exceed 2^14 bytes.\" A record of exactly "
                          "2^14 bytes is within the limit and must be accepted.",
    [C_EMPTY_HANDSHAKE] = "RFC 8446 §5.1: \"Implementations MUST NOT send zero-length fragments of Handshake "
                          "types, even if those fragments contain padding.\" §6.2: \"unexpected_message: An "
                          "inappropriate message (e.g., the wrong handshake message, premature Application "
                          "Data, etc.) was received.\"",
    [C_EMPTY_APPDATA] = "RFC 8446 §5.1: \"Zero-length fragments of Application Data MAY be sent, as they are "
                        "potentially useful as a traffic analysis countermeasure.\"",
    [C_INTERLEAVE] = "RFC 8446 §5.1: \"Handshake messages MUST NOT be interleaved with other record types. "
                     "That is, if a handshake message is split over two or more records, there MUST NOT "
                     "be any other records between them.\" §6.2: \"unexpected_message: An inappropriate "
                     "message (e.g., the wrong handshake message, premature Application Data, etc.) was "
                     "received.\"",
    [C_UNKNOWN_RECORD_TYPE] = "RFC 8446 §5: \"If a TLS implementation receives an unexpected record type, it "
                              "MUST terminate the connection with an \"unexpected_message\" alert.\"",
    [C_NO_INNER_TYPE] = "RFC 8446 §5.4: \"If a receiving implementation does not find a non-zero octet in the "
                        "cleartext, it MUST terminate the connection with an \"unexpected_message\" alert.\"",
    [C_CCS] = "RFC 8446 §5: \"An implementation which receives any other change_cipher_spec value or which "
              "receives a protected change_cipher_spec record MUST abort the handshake with an "
              "\"unexpected_message\" alert.\"",
};

const sd_generated_family sd_generated_families[] = {
    {"gen-order", "every message (and TLS 1.2 CCS) that may not come next, at every place the target waits"},
    {"gen-malformed", "each message the driver sends: truncated, empty, trailing bytes, lying lengths, wrong type; hellos"},
    {"gen-finished", "Finished flipped, truncated, extended, empty, all zero, wrong key, missing"},
    {"gen-alert", "each alert at each level at each point; TLS 1.2 warnings; alert records of the wrong size"},
    {"gen-record", "record layer: sizes, empty records, content types, interleaving, premature data, CCS"},
    {"gen-certificate", "each defective fixture credential as server and client certificate; empty list; entry extension"},
};
const size_t sd_n_generated_families = sizeof(sd_generated_families) / sizeof(sd_generated_families[0]);

/* --- Known BoringSSL answers ------------------------------------------------
 * Where BoringSSL refuses as it must but with another alert (SOFT), the
 * scenario says why, so that a reader of the report does not have to dig. */

static const char note_warning_alert[] =
    "BoringSSL answers with its own decode_error alert (SOFT): ssl_process_alert in ssl/tls_record.cc "
    "rejects any TLS 1.3 warning alert other than close_notify and user_canceled as SSL_R_BAD_ALERT "
    "with SSL_AD_DECODE_ERROR. It does stop, and does not complete.";

static const char note_decrypts_everything[] =
    "BoringSSL answers bad_record_mac (SOFT): once keys are in use, tls_open_record in ssl/tls_record.cc "
    "exempts only the one-byte plaintext ChangeCipherSpec 01 from decryption, so any other record "
    "that is not protected fails to decrypt (RFC 8446 §5.2: a record that fails to deprotect is "
    "bad_record_mac). It does refuse.";

static const char note_no_inner_type[] =
    "BoringSSL answers decrypt_error (SOFT): tls_open_record in ssl/tls_record.cc strips zero padding "
    "and, finding no content type, fails with SSL_AD_DECRYPT_ERROR. It does refuse.";

/* --- Scenario text ---------------------------------------------------------- */

typedef struct {
    sd_generated *out;
    char *err;
    size_t err_len;
    bool ok;
    sd_buf text;
} gen;

/* The honest handshake of the "full" shape from the driver's side: one step
 * per message, and whether the driver's records are protected when it sends
 * that step (after ServerHello, RFC 8446 §2). */
typedef struct {
    sd_role from;
    uint8_t msg;
    bool protected_send;
} step;

typedef struct {
    sd_role target;  /* role of the stack under test */
    sd_role driver;
    size_t n;
    step steps[SD_MAX_STEPS];
} honest;

/* What the harness can play today: the driver cannot build a
 * HelloRetryRequest or a CertificateRequest, and no target is configured to
 * request client authentication, so only prefixes made of these messages can
 * be driven honestly. Widen this set as the driver learns more. */
static bool drivable(uint16_t msg) {
    return msg == SD_ClientHello || msg == SD_ServerHello || msg == SD_EncryptedExtensions ||
           msg == SD_Certificate || msg == SD_CertificateVerify || msg == SD_Finished;
}

static bool prefix_drivable(const sd_shape *s, size_t pos) {
    for (size_t i = 0; i <= pos && i < s->n_steps; i++)
        if (!drivable(s->steps[i].msg)) return false;
    return true;
}

static void make_honest(honest *h, sd_role target) {
    const sd_shape *s = sd_shape_initial();
    memset(h, 0, sizeof(*h));
    h->target = target;
    h->driver = target == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    bool keys = false;
    for (size_t i = 0; i < s->n_steps && i < SD_MAX_STEPS; i++) {
        h->steps[i].from = s->steps[i].from;
        h->steps[i].msg = (uint8_t)s->steps[i].msg;
        h->steps[i].protected_send = keys;
        if (s->steps[i].msg == SD_ServerHello) keys = true;
    }
    h->n = s->n_steps;
}

/* "ClientHello" -> "client-hello"; a number without a name -> "type-99". */
static void kebab(unsigned type, char *buf, size_t len) {
    const char *name = type == SD_MSG_HELLO_RETRY_REQUEST ? "HelloRetryRequest" : sd_handshake_type_name(type);
    if (!name) {
        snprintf(buf, len, "type-%u", type);
        return;
    }
    size_t o = 0;
    for (size_t i = 0; name[i] && o + 2 < len; i++) {
        char c = name[i];
        if (isupper((unsigned char)c)) {
            if (i > 0) buf[o++] = '-';
            buf[o++] = (char)tolower((unsigned char)c);
        } else {
            buf[o++] = c;
        }
    }
    buf[o] = '\0';
}

static const char *type_word(unsigned type, char *buf, size_t len) {
    const char *name = sd_handshake_type_name(type);
    if (name) return name;
    snprintf(buf, len, "%u", type);
    return buf;
}

static void put(gen *g, const char *s) { sd_buf_append(&g->text, s, strlen(s)); }

static void putf(gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(gen *g, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof(tmp)) {
        sd_buf_append(&g->text, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        g->text.failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sd_buf_append(&g->text, big, (size_t)n);
    free(big);
}

/* The honest steps [from, to) as script lines. */
static void put_steps(gen *g, const honest *h, size_t from, size_t to) {
    for (size_t i = from; i < to && i < h->n; i++) {
        const char *name = sd_handshake_type_name(h->steps[i].msg);
        putf(g, "%s %s\n", h->steps[i].from == h->driver ? "send" : "expect", name ? name : "?");
    }
}

/* Starts a scenario: the header block. `detail` completes the id
 * tls13.<role>.<family>.<detail>. Expectation: "complete", "closed" or
 * "alert <name>". */
static void begin(gen *g, const char *family, sd_role target, const char *detail, const char *title, citation c,
                  const char *expect, const char *note, const char *tags) {
    sd_buf_reset(&g->text);
    const char *role = target == SD_ROLE_CLIENT ? "client" : "server";
    putf(g, "id: tls13.%s.%s.%s\n", role, family, detail);
    putf(g, "title: %s\n", title);
    putf(g, "rfc: %s\n", citations[c]);
    putf(g, "role: %s\n", role);
    put(g, "version: 1.3\n");
    putf(g, "tags: generated, %s, %s, tls13%s%s\n", family, role, tags && *tags ? ", " : "", tags ? tags : "");
    putf(g, "expect: %s\n", expect);
    if (note && *note) putf(g, "note: %s\n", note);
    put(g, "\n");
}

/* Parses the text built since begin() and adds it to the set. */
static void finish(gen *g, const char *family) {
    if (!g->ok) return;
    if (g->text.failed) {
        snprintf(g->err, g->err_len, "generate: out of memory");
        g->ok = false;
        return;
    }
    sd_generated *out = g->out;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        sd_scenario *items = realloc(out->items, cap * sizeof(*items));
        if (!items) {
            snprintf(g->err, g->err_len, "generate: out of memory");
            g->ok = false;
            return;
        }
        out->items = items;
        out->cap = cap;
    }
    char path[64];
    snprintf(path, sizeof(path), "generated:%s", family);
    sd_scenario *s = &out->items[out->n];
    if (!sd_scenario_parse(path, (const char *)g->text.data, g->text.len, s, g->err, g->err_len)) {
        /* A generated script that does not parse is a bug here: say which. */
        size_t n = strlen(g->err);
        snprintf(g->err + n, g->err_len - n, " (generated script:\n%.*s)", (int)g->text.len,
                 (const char *)g->text.data);
        g->ok = false;
        return;
    }
    snprintf(s->path, sizeof(s->path), "%s", path);
    out->n++;
}

/* --- gen-order ---------------------------------------------------------------
 * For every shape and every position at which the target waits for the
 * driver, every handshake type the tables do not accept there. Positions
 * shared by several shapes (the same history) are generated once. */

static const uint8_t all_types[] = {
#define SD_TYPE_ENTRY(name, value) value,
    SD_HANDSHAKE_TYPES(SD_TYPE_ENTRY)
#undef SD_TYPE_ENTRY
};

typedef struct {
    sd_role target;
    size_t pos;
    uint8_t msg;
} seen_key;

static bool same_prefix(const sd_shape *a, const sd_shape *b, size_t pos) {
    for (size_t i = 0; i < pos; i++)
        if (a->steps[i].from != b->steps[i].from || a->steps[i].msg != b->steps[i].msg) return false;
    return true;
}

/* True if an earlier shape has the same history up to pos (so this position
 * was generated already). */
static bool position_seen(size_t shape_index, size_t pos) {
    const sd_shape *s = &sd_tls13_shapes[shape_index];
    for (size_t i = 0; i < shape_index; i++) {
        const sd_shape *o = &sd_tls13_shapes[i];
        if (o->n_steps > pos && same_prefix(o, s, pos) && o->steps[pos].from == s->steps[pos].from) return true;
    }
    return false;
}

static void gen_order(gen *g, sd_role target) {
    honest h;
    make_honest(&h, target);
    for (size_t si = 0; si < sd_tls13_n_shapes && g->ok; si++) {
        const sd_shape *s = &sd_tls13_shapes[si];
        for (size_t pos = 0; pos < s->n_steps && g->ok; pos++) {
            if (s->steps[pos].from != h.driver) continue;
            if (!prefix_drivable(s, pos) || position_seen(si, pos)) continue;
            /* The honest prefix of this shape must be the one the driver
             * plays (true while only "full" prefixes are drivable). */
            if (!same_prefix(s, sd_shape_initial(), pos)) continue;
            char want[40];
            kebab(s->steps[pos].msg, want, sizeof(want));
            for (size_t t = 0; t < sizeof(all_types) && g->ok; t++) {
                uint8_t type = all_types[t];
                if (sd_shape_accept(s, pos, h.driver, type)) continue;
                char got[40], detail[256], title[400], tw[8];
                kebab(type, got, sizeof(got));
                snprintf(detail, sizeof(detail), "%s-instead-of-%s", got, want);
                snprintf(title, sizeof(title), "%s rejects a %s where it waits for %s",
                         target == SD_ROLE_CLIENT ? "Client" : "Server", type_word(type, tw, sizeof(tw)),
                         sd_step_name(s->steps[pos].msg));
                bool reneg = target == SD_ROLE_SERVER && type == SD_ClientHello;
                begin(g, "gen-order", target, detail, title, reneg ? C_RENEGOTIATION : C_ORDER,
                      "alert unexpected_message", NULL, "order");
                put_steps(g, &h, 0, pos);
                putf(g, "send %s\n", type_word(type, tw, sizeof(tw)));
                finish(g, "gen-order");
            }
        }
    }

    /* After the handshake. The tables end at the last Finished; RFC 8446
     * §4.6 lists what may follow: NewSessionTicket and KeyUpdate from a
     * server, KeyUpdate from a client (CertificateRequest only after the
     * client offered post_handshake_auth, which neither stack's default
     * client does). Everything else is out of order. */
    for (size_t t = 0; t < sizeof(all_types) && g->ok; t++) {
        uint8_t type = all_types[t];
        if (type == SD_KeyUpdate) continue;
        if (h.driver == SD_ROLE_SERVER && type == SD_NewSessionTicket) continue;
        char got[40], detail[256], title[400], tw[8];
        kebab(type, got, sizeof(got));
        snprintf(detail, sizeof(detail), "%s-after-handshake", got);
        snprintf(title, sizeof(title), "%s rejects a %s after the handshake is complete",
                 target == SD_ROLE_CLIENT ? "Client" : "Server", type_word(type, tw, sizeof(tw)));
        citation c = C_ORDER;
        if (target == SD_ROLE_SERVER && type == SD_ClientHello) c = C_RENEGOTIATION;
        if (target == SD_ROLE_CLIENT && type == SD_CertificateRequest) c = C_POST_HANDSHAKE_CR;
        begin(g, "gen-order", target, detail, title, c, "alert unexpected_message", NULL, "order, post-handshake");
        put_steps(g, &h, 0, h.n);
        putf(g, "send %s\n", type_word(type, tw, sizeof(tw)));
        finish(g, "gen-order");
    }
}

/* --- gen-malformed -----------------------------------------------------------
 * Each message the driver sends, other than Finished (gen-finished), broken
 * in one way. The body still comes from the session state, so only the
 * named defect differs from an honest message. */

/* Lengths that do not depend on the run: EncryptedExtensions with no
 * extensions is always 2 bytes (RFC 8446 §4.3.1). The others carry a random
 * session id echo, a certificate chain or a signature whose length varies,
 * so a lying length field is only generated where the true one is known. */
static long fixed_body_len(uint8_t msg) { return msg == SD_EncryptedExtensions ? 2 : -1; }

static void gen_malformed(gen *g, sd_role target) {
    honest h;
    make_honest(&h, target);
    const char *who = target == SD_ROLE_CLIENT ? "Client" : "Server";
    for (size_t pos = 0; pos < h.n && g->ok; pos++) {
        const step *st = &h.steps[pos];
        if (st->from != h.driver || st->msg == SD_Finished) continue;
        const char *name = sd_handshake_type_name(st->msg);
        char k[40];
        kebab(st->msg, k, sizeof(k));
        /* The next driver message of the same flight, if any (for a length
         * that swallows its first byte). */
        bool next_in_flight = pos + 1 < h.n && h.steps[pos + 1].from == h.driver &&
                              h.steps[pos + 1].protected_send == st->protected_send;
        struct {
            const char *detail, *what, *mutation;
        } forms[] = {
            {"truncated", "one byte short", "truncate=1"},
            {"empty", "with an empty body", "body="},
            {"trailing-byte", "with a trailing byte", "append=00"},
            {"trailing-bytes", "with 16 trailing bytes", "append=00000000000000000000000000000000"},
        };
        char detail[256], title[400], mut[64];
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]) && g->ok; f++) {
            snprintf(detail, sizeof(detail), "%s.%s", k, forms[f].detail);
            snprintf(title, sizeof(title), "%s rejects a %s %s", who, name, forms[f].what);
            begin(g, "gen-malformed", target, detail, title, C_DECODE, "alert decode_error", NULL, "malformed");
            put_steps(g, &h, 0, pos);
            putf(g, "send %s %s\n", name, forms[f].mutation);
            finish(g, "gen-malformed");
        }
        long len = fixed_body_len(st->msg);
        if (len >= 0) {
            /* Too short: the body ends one byte early and that byte is left
             * over as the start of another message. */
            snprintf(detail, sizeof(detail), "%s.length-short", k);
            snprintf(title, sizeof(title), "%s rejects a %s whose length field is one byte short", who, name);
            begin(g, "gen-malformed", target, detail, title, C_DECODE, "alert decode_error", NULL,
                  "malformed, length");
            put_steps(g, &h, 0, pos);
            putf(g, "send %s length=%ld\n", name, len - 1);
            finish(g, "gen-malformed");
            if (next_in_flight) {
                /* Too long: the body swallows the first byte of the next
                 * message of the flight, which then no longer parses. (At
                 * the end of a flight a too-long length just makes the
                 * receiver wait, which is right, so it is not generated.) */
                snprintf(detail, sizeof(detail), "%s.length-long", k);
                snprintf(title, sizeof(title), "%s rejects a %s whose length field is one byte long", who, name);
                begin(g, "gen-malformed", target, detail, title, C_DECODE, "alert decode_error", NULL,
                      "malformed, length");
                put_steps(g, &h, 0, pos);
                putf(g, "send %s length=%ld\n", name, len + 1);
                put_steps(g, &h, pos + 1, pos + 2);
                finish(g, "gen-malformed");
            }
        }
        /* Wrong type: the honest body under a type the tables do not accept
         * here: the message after it, and a type no registry defines. */
        const sd_shape *s = sd_shape_initial();
        uint8_t wrong[2] = {pos + 1 < h.n ? h.steps[pos + 1].msg : SD_KeyUpdate, 99};
        if (wrong[0] == st->msg) wrong[0] = SD_KeyUpdate;
        for (size_t w = 0; w < 2 && g->ok; w++) {
            if (sd_shape_accept(s, pos, h.driver, wrong[w])) continue;
            char wt[40], tw[8];
            kebab(wrong[w], wt, sizeof(wt));
            snprintf(detail, sizeof(detail), "%s.type-%s", k, wt);
            snprintf(title, sizeof(title), "%s rejects a %s body sent under handshake type %s", who, name,
                     type_word(wrong[w], tw, sizeof(tw)));
            snprintf(mut, sizeof(mut), "type=%s", type_word(wrong[w], tw, sizeof(tw)));
            begin(g, "gen-malformed", target, detail, title, C_ORDER, "alert unexpected_message", NULL,
                  "malformed, type");
            put_steps(g, &h, 0, pos);
            putf(g, "send %s %s\n", name, mut);
            finish(g, "gen-malformed");
        }
    }
}

/* --- gen-finished ----------------------------------------------------------- */

static void gen_finished(gen *g, sd_role target) {
    honest h;
    make_honest(&h, target);
    size_t pos = 0;
    while (pos < h.n && !(h.steps[pos].from == h.driver && h.steps[pos].msg == SD_Finished)) pos++;
    if (pos == h.n) return;
    const char *who = target == SD_ROLE_CLIENT ? "Client" : "Server";
    const char *whose = target == SD_ROLE_CLIENT ? "server" : "client";
    /* verify_data is Hash.length bytes: 32 with the SHA-256 suites both
     * stacks choose by default. */
    static const char zeros[] = "body=0000000000000000000000000000000000000000000000000000000000000000";
    struct {
        const char *detail, *what, *mutation;
    } forms[] = {
        {"flip-first", "whose first byte is flipped", "flip=first:0x01"},
        {"flip-middle", "whose middle byte is flipped", "flip=middle:0x01"},
        {"flip-last", "whose last byte is flipped", "flip=last:0x80"},
        {"truncated", "that is one byte short", "truncate=1"},
        {"extended", "with one extra byte", "append=00"},
        {"empty", "that is empty", "body="},
        {"all-zero", "of all-zero bytes", zeros},
        {"wrong-key", "computed with the other side's key", "wrong-key"},
        {"wrong-transcript", "computed over a transcript without the last message", "wrong-transcript"},
        {"length-short", "whose length field is one byte short", "length=31"},
    };
    char detail[256], title[400];
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]) && g->ok; f++) {
        snprintf(detail, sizeof(detail), "%s", forms[f].detail);
        snprintf(title, sizeof(title), "%s rejects a %s Finished %s", who, whose, forms[f].what);
        const char *note =
            strcmp(forms[f].detail, "flip-first") == 0 || strncmp(forms[f].detail, "flip", 4) == 0 ||
                    strncmp(forms[f].detail, "wrong-", 6) == 0 || strcmp(forms[f].detail, "all-zero") == 0
                ? NULL
                : "verify_data is exactly Hash.length bytes, so a Finished of another length also fails to "
                  "parse and RFC 8446 §6 makes decode_error defensible: a stack answering decode_error is SOFT.";
        begin(g, "gen-finished", target, detail, title, C_FINISHED, "alert decrypt_error", note, "finished");
        put_steps(g, &h, 0, pos);
        putf(g, "send Finished %s\n", forms[f].mutation);
        finish(g, "gen-finished");
    }
    /* Missing: application data where the Finished belongs. */
    snprintf(title, sizeof(title), "%s rejects application data sent in place of the %s Finished", who, whose);
    begin(g, "gen-finished", target, "missing", title, C_PREMATURE_APPDATA, "alert unexpected_message", NULL,
          "finished, appdata");
    put_steps(g, &h, 0, pos);
    put(g, "send-appdata \"ping\"\n");
    finish(g, "gen-finished");
}

/* --- gen-alert ---------------------------------------------------------------
 * Every alert at both levels wherever the driver is about to speak, then the
 * rest of the honest handshake: a target that ignored the alert completes
 * and FAILs; one that stopped PASSes. */

static const uint8_t all_alerts[] = {
#define SD_ALERT_ENTRY(name, value) value,
    SD_ALERTS(SD_ALERT_ENTRY)
#undef SD_ALERT_ENTRY
};
/* Descriptions no registry defines. */
static const uint8_t unknown_alerts[] = {1, 127, 255};

static void gen_alert_one(gen *g, const honest *h, size_t pos, uint8_t level, uint8_t desc) {
    char before[40], detail[256], title[400], d[40];
    kebab(h->steps[pos].msg, before, sizeof(before));
    const char *name = sd_alert_name(desc);
    if (name) snprintf(d, sizeof(d), "%s", name);
    else snprintf(d, sizeof(d), "%u", desc);
    const char *lv = level == SD_ALERT_LEVEL_FATAL ? "fatal" : "warning";
    snprintf(detail, sizeof(detail), "before-%s.%s.%s%s", before, lv, name ? "" : "alert-", d);
    const char *who = h->target == SD_ROLE_CLIENT ? "Client" : "Server";
    citation c = name ? C_ERROR_ALERT : C_UNKNOWN_ALERT;
    const char *note = NULL;
    bool closure = desc == SD_close_notify || desc == SD_user_canceled;
    if (desc == SD_close_notify) {
        c = C_CLOSE_NOTIFY;
        snprintf(title, sizeof(title), "%s ignores everything after a %s close_notify sent before %s", who, lv,
                 sd_step_name(h->steps[pos].msg));
    } else if (desc == SD_user_canceled) {
        c = C_USER_CANCELED;
        snprintf(title, sizeof(title), "%s stops after a %s user_canceled and close_notify sent before %s", who,
                 lv, sd_step_name(h->steps[pos].msg));
    } else {
        snprintf(title, sizeof(title), "%s treats a %s %s alert before %s as an error and stops", who, lv, d,
                 sd_step_name(h->steps[pos].msg));
        if (level == SD_ALERT_LEVEL_WARNING) note = note_warning_alert;
    }
    begin(g, "gen-alert", h->target, detail, title, c, "closed", note,
          closure ? "alert, closure" : name ? "alert" : "alert, unknown");
    put_steps(g, h, 0, pos);
    putf(g, "send-alert %s %u\n", lv, desc);
    /* user_canceled "SHOULD be followed by a close_notify" (§6.1): the pair
     * is what closes; the cancel alone does not oblige the receiver to stop. */
    if (desc == SD_user_canceled) put(g, "send-alert warning close_notify\n");
    put_steps(g, h, pos, h->n);
    finish(g, "gen-alert");
}

static void gen_alert(gen *g, sd_role target) {
    honest h;
    make_honest(&h, target);
    for (size_t pos = 0; pos < h.n && g->ok; pos++) {
        if (h.steps[pos].from != h.driver) continue;
        for (int lv = SD_ALERT_LEVEL_WARNING; lv <= SD_ALERT_LEVEL_FATAL && g->ok; lv++) {
            /* Before ServerHello no version is agreed, so the TLS 1.3 rule
             * that the level is ignored does not bind the receiver yet: a
             * receiver that may still speak TLS 1.2 may carry on after a
             * warning (RFC 5246 §7.2.2), as BoringSSL does. Only the closure
             * alerts, which mean the same in both versions, are generated
             * there at warning level. */
            bool version_known = h.steps[pos].protected_send;
            for (size_t a = 0; a < sizeof(all_alerts) && g->ok; a++) {
                bool closure = all_alerts[a] == SD_close_notify || all_alerts[a] == SD_user_canceled;
                if (lv == SD_ALERT_LEVEL_WARNING && !version_known && !closure) continue;
                gen_alert_one(g, &h, pos, (uint8_t)lv, all_alerts[a]);
            }
            for (size_t a = 0; a < sizeof(unknown_alerts) && g->ok; a++) {
                if (lv == SD_ALERT_LEVEL_WARNING && !version_known) continue;
                gen_alert_one(g, &h, pos, (uint8_t)lv, unknown_alerts[a]);
            }
        }
    }

    /* Alert records of the wrong size, at the first place the driver speaks
     * (plaintext) and where its Finished belongs (protected). */
    const char *who = target == SD_ROLE_CLIENT ? "Client" : "Server";
    for (size_t pos = 0; pos < h.n && g->ok; pos++) {
        if (h.steps[pos].from != h.driver) continue;
        bool first = true;
        for (size_t i = 0; i < pos; i++)
            if (h.steps[i].from == h.driver) first = false;
        if (!first && h.steps[pos].msg != SD_Finished) continue;
        char before[40], detail[256], title[400];
        kebab(h.steps[pos].msg, before, sizeof(before));
        const char *enc = h.steps[pos].protected_send ? " encrypted" : "";
        struct {
            const char *detail, *what, *raw1, *raw2;
        } forms[] = {
            {"fragmented", "an alert split over two records", "02", "28"},
            {"doubled", "two alerts coalesced in one record", "02280228", NULL},
            {"empty", "an empty alert record", "hex=", NULL},
            {"one-byte", "a one-byte alert record", "02", NULL},
            {"long", "a three-byte alert record", "022800", NULL},
        };
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]) && g->ok; f++) {
            snprintf(detail, sizeof(detail), "before-%s.record-%s", before, forms[f].detail);
            snprintf(title, sizeof(title), "%s rejects %s before %s", who, forms[f].what,
                     sd_step_name(h.steps[pos].msg));
            begin(g, "gen-alert", target, detail, title, C_ALERT_RECORD, "alert decode_error", NULL,
                  "alert, record");
            put_steps(g, &h, 0, pos);
            putf(g, "send-raw alert %s%s\n", forms[f].raw1, enc);
            if (forms[f].raw2) putf(g, "send-raw alert %s%s\n", forms[f].raw2, enc);
            put_steps(g, &h, pos, h.n);
            finish(g, "gen-alert");
        }
        if (h.steps[pos].protected_send) {
            /* An alert in the clear where records are protected. */
            snprintf(detail, sizeof(detail), "before-%s.plaintext-fatal", before);
            snprintf(title, sizeof(title), "%s rejects an unprotected fatal alert where records are protected", who);
            begin(g, "gen-alert", target, detail, title, C_PLAINTEXT_AFTER_KEYS, "alert unexpected_message",
                  note_decrypts_everything, "alert, record");
            put_steps(g, &h, 0, pos);
            put(g, "send-alert fatal handshake_failure plaintext\n");
            put_steps(g, &h, pos, h.n);
            finish(g, "gen-alert");
        }
    }
}

/* --- gen-record ------------------------------------------------------------- */

/* "x" repeated n times as script data ("xxxx..."). */
static void put_text_of(gen *g, size_t n) {
    put(g, "\"");
    char chunk[256];
    memset(chunk, 'x', sizeof(chunk));
    while (n > 0) {
        size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
        sd_buf_append(&g->text, chunk, k);
        n -= k;
    }
    put(g, "\"");
}

static void put_hex_zeros(gen *g, size_t n) {
    char chunk[512];
    memset(chunk, '0', sizeof(chunk));
    n *= 2;
    while (n > 0) {
        size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
        sd_buf_append(&g->text, chunk, k);
        n -= k;
    }
}

#define MAX_PLAINTEXT 16384u /* RFC 8446 §5.1: 2^14 */

static void gen_record(gen *g, sd_role target) {
    honest h;
    make_honest(&h, target);
    const char *who = target == SD_ROLE_CLIENT ? "Client" : "Server";
    size_t first = 0, fin = 0;
    while (first < h.n && h.steps[first].from != h.driver) first++;
    for (size_t i = 0; i < h.n; i++)
        if (h.steps[i].from == h.driver && h.steps[i].msg == SD_Finished) fin = i;
    char detail[256], title[400], before[40];

    /* Premature application data, everywhere the driver speaks before its
     * Finished (the Finished place itself is gen-finished's "missing"). */
    for (size_t pos = 0; pos < h.n && g->ok; pos++) {
        if (h.steps[pos].from != h.driver || pos == fin) continue;
        kebab(h.steps[pos].msg, before, sizeof(before));
        snprintf(detail, sizeof(detail), "appdata-before-%s", before);
        snprintf(title, sizeof(title), "%s rejects application data before %s", who, sd_step_name(h.steps[pos].msg));
        begin(g, "gen-record", target, detail, title, C_PREMATURE_APPDATA, "alert unexpected_message", NULL,
              "record, appdata");
        put_steps(g, &h, 0, pos);
        put(g, "send-appdata \"ping\"\n");
        put_steps(g, &h, pos, h.n);
        finish(g, "gen-record");
    }

    /* Sizes. */
    struct {
        size_t pos;
        const char *where;
    } places[] = {{first, "first"}, {fin, "finished"}};
    for (size_t p = 0; p < 2 && g->ok; p++) {
        size_t pos = places[p].pos;
        bool prot = h.steps[pos].protected_send;
        kebab(h.steps[pos].msg, before, sizeof(before));
        snprintf(detail, sizeof(detail), "oversized-handshake-before-%s", before);
        snprintf(title, sizeof(title), "%s rejects a %s handshake record of 2^14+1 bytes before %s", who,
                 prot ? "protected" : "plaintext", sd_step_name(h.steps[pos].msg));
        begin(g, "gen-record", target, detail, title, prot ? C_INNER_OVERFLOW : C_PLAINTEXT_OVERFLOW,
              "alert record_overflow", NULL, "record, size");
        put_steps(g, &h, 0, pos);
        put(g, "send-raw handshake ");
        put_hex_zeros(g, MAX_PLAINTEXT + 1);
        put(g, prot ? " encrypted\n" : "\n");
        finish(g, "gen-record");

        /* No empty handshake record: RFC 8446 §5.1 forbids sending one
         * ("Implementations MUST NOT send zero-length fragments of
         * Handshake types") but prescribes nothing for the receiver, and
         * BoringSSL, like many stacks, skips empty records up to a limit. */

        /* Unknown content types. */
        static const uint8_t unknown_types[] = {0, 24, 99, 255};
        for (size_t u = 0; u < sizeof(unknown_types) && g->ok; u++) {
            snprintf(detail, sizeof(detail), "content-type-%u-before-%s", unknown_types[u], before);
            snprintf(title, sizeof(title), "%s rejects a %s record of unknown content type %u before %s", who,
                     prot ? "protected" : "plaintext", unknown_types[u], sd_step_name(h.steps[pos].msg));
            /* Inner type 0 is padding: a protected record of only zeros has
             * no content type at all (§5.4). */
            bool no_type = prot && unknown_types[u] == 0;
            begin(g, "gen-record", target, detail, title, no_type ? C_NO_INNER_TYPE : C_UNKNOWN_RECORD_TYPE,
                  "alert unexpected_message", no_type ? note_no_inner_type : NULL, "record, content-type");
            put_steps(g, &h, 0, pos);
            putf(g, "send-raw %u 00%s\n", unknown_types[u], prot ? " encrypted" : "");
            put_steps(g, &h, pos, h.n);
            finish(g, "gen-record");
        }

        /* ChangeCipherSpec other than the one plaintext 0x01 (§5). */
        struct {
            const char *detail, *what, *payload;
            bool encrypted;
        } ccs[] = {
            {"ccs-value-02", "a ChangeCipherSpec of value 2", "02", false},
            {"ccs-empty", "an empty ChangeCipherSpec record", "hex=", false},
            {"ccs-two-bytes", "a two-byte ChangeCipherSpec record", "0101", false},
            {"ccs-protected", "a protected ChangeCipherSpec record", "01", true},
        };
        for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]) && g->ok; c++) {
            if (ccs[c].encrypted && !prot) continue;
            snprintf(detail, sizeof(detail), "%s-before-%s", ccs[c].detail, before);
            snprintf(title, sizeof(title), "%s rejects %s before %s", who, ccs[c].what, sd_step_name(h.steps[pos].msg));
            begin(g, "gen-record", target, detail, title, C_CCS, "alert unexpected_message",
                  prot && !ccs[c].encrypted ? note_decrypts_everything : NULL, "record, ccs");
            put_steps(g, &h, 0, pos);
            putf(g, "send-raw change_cipher_spec %s%s\n", ccs[c].payload, ccs[c].encrypted ? " encrypted" : "");
            put_steps(g, &h, pos, h.n);
            finish(g, "gen-record");
        }
    }

    /* Interleaving: EncryptedExtensions (its body is always 00 00) sent as
     * its first byte under the honest length, another record, then the last
     * byte in a record of its own: a valid message split over two records
     * with another record between. The trace ends there, so a target that
     * tolerates the interleaving is left waiting for Certificate (FAIL). */
    for (size_t pos = 0; pos < h.n && g->ok; pos++) {
        if (h.steps[pos].from != h.driver || h.steps[pos].msg != SD_EncryptedExtensions) continue;
        static const struct {
            const char *detail, *what, *raw;
        } mid[] = {
            {"appdata", "application data", "send-raw application_data 70696e67 encrypted"},
            {"unknown-type", "a record of unknown type", "send-raw 99 00 encrypted"},
        };
        for (size_t m = 0; m < 2 && g->ok; m++) {
            snprintf(detail, sizeof(detail), "interleaved-%s-in-encrypted-extensions", mid[m].detail);
            snprintf(title, sizeof(title), "%s rejects %s between two records of one EncryptedExtensions", who,
                     mid[m].what);
            begin(g, "gen-record", target, detail, title, C_INTERLEAVE, "alert unexpected_message", NULL,
                  "record, interleave");
            put_steps(g, &h, 0, pos);
            put(g, "send EncryptedExtensions truncate=1 length=2\n");
            putf(g, "%s\n", mid[m].raw);
            put(g, "send-raw handshake 00 encrypted\n");
            finish(g, "gen-record");
        }
    }

    /* After the handshake: the limits of application data records. */
    struct {
        const char *detail, *what;
        size_t len;
        citation c;
        const char *expect;
    } sizes[] = {
        {"appdata-2e14", "accepts an application data record of exactly 2^14 bytes", MAX_PLAINTEXT, C_RECORD_LIMIT_OK,
         "complete"},
        {"appdata-2e14-plus-1", "rejects an application data record of 2^14+1 bytes", MAX_PLAINTEXT + 1,
         C_INNER_OVERFLOW, "alert record_overflow"},
        {"appdata-ciphertext-over-limit", "rejects a protected record longer than 2^14+256 bytes",
         MAX_PLAINTEXT + 256, C_CIPHERTEXT_OVERFLOW, "alert record_overflow"},
    };
    for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]) && g->ok; z++) {
        snprintf(title, sizeof(title), "%s %s", who, sizes[z].what);
        begin(g, "gen-record", target, sizes[z].detail, title, sizes[z].c, sizes[z].expect, NULL, "record, size");
        put_steps(g, &h, 0, h.n);
        put(g, "send-raw application_data ");
        put_hex_zeros(g, sizes[z].len);
        put(g, " encrypted\n");
        if (sizes[z].len <= MAX_PLAINTEXT) {
            put(g, "expect-appdata ");
            put_text_of(g, 4); /* only the kind of the echo is checked */
            put(g, "\n");
        }
        finish(g, "gen-record");
    }

    /* An empty application data record is legal (§5.1) and changes nothing. */
    snprintf(title, sizeof(title), "%s accepts a zero-length application data record after the handshake", who);
    begin(g, "gen-record", target, "empty-appdata-record", title, C_EMPTY_APPDATA, "complete", NULL, "record, empty");
    put_steps(g, &h, 0, h.n);
    put(g, "send-raw application_data hex= encrypted\n");
    put(g, "send-appdata \"ping\"\nexpect-appdata \"ping\"\n");
    finish(g, "gen-record");
}

/* --- TLS 1.2 ------------------------------------------------------------------
 * The same families for TLS 1.2 (RFC 5246), from the tls12-* shapes of
 * sd_tls13_shapes, in which ChangeCipherSpec is a step of its own. Each
 * family runs over the key exchanges the driver plays (profiles below), in
 * both roles; ids are tls12.<role>.<family>.<profile>.<case>.
 *
 * Left out, because the harness cannot play it honestly yet: resumption
 * (the driver redeems no ticket, and a trace is one connection). In the
 * `ticket` profile NewSessionTicket follows the client's Finished (RFC 5077
 * §3.1): a client under test gets one from the driver, whose ServerHello
 * announces it (§3.2); a server under test (`session-tickets: issue`)
 * answers the driver's ClientHello, which always asks for one.
 * With client authentication (`client-auth: require`) the server under test
 * asks the driver for its "client" certificate, and the client under test
 * is given that credential to present. */

typedef enum {
    C12_ORDER,
    C12_CCS_ORDER,
    C12_FINISHED_WITHOUT_CCS,
    C12_POST_HANDSHAKE,
    C12_RENEGOTIATION,
    C12_DECODE,
    C12_CLIENT_HELLO_DECODE,
    C12_COMPRESSION,
    C12_SH_COMPRESSION,
    C12_SH_SUITE,
    C12_CH_VERSION,
    C12_SH_VERSION,
    C12_FINISHED,
    C12_PREMATURE_APPDATA,
    C12_FATAL_ALERT,
    C12_WARNING_ALERT,
    C12_CLOSE_NOTIFY,
    C12_USER_CANCELED,
    C12_TOO_MANY_WARNINGS,
    C12_PLAINTEXT_AFTER_CCS,
    C12_PLAINTEXT_OVERFLOW,
    C12_CIPHERTEXT_OVERFLOW,
    C12_RECORD_LIMIT_OK,
    C12_EMPTY_APPDATA,
    C12_UNKNOWN_RECORD_TYPE,
    C12_CCS_VALUE,
    C12_CH_RECORD_VERSION,
    N_CITATIONS12
} citation12;

#define RFC5246_UNEXPECTED                                                                                          \
    "§7.2.2: \"unexpected_message: An inappropriate message was received. This alert is always fatal and should " \
    "never be observed in communication between proper implementations.\""
#define RFC5246_DECODE_ERROR                                                                                        \
    "§7.2.2: \"decode_error: A message could not be decoded because some field was out of the specified range or " \
    "the length of the message was incorrect.\""
#define RFC5246_ILLEGAL_PARAMETER                                                                                   \
    "§7.2.2: \"illegal_parameter: A field in the handshake was out of range or inconsistent with other fields. "   \
    "This message is always fatal.\""

static const char *const citations12[N_CITATIONS12] = {
    [C12_ORDER] = "RFC 5246 §7.4: \"The handshake protocol messages are presented below in the order they MUST be "
                  "sent; sending handshake messages in an unexpected order results in a fatal error.\" " RFC5246_UNEXPECTED,
    [C12_CCS_ORDER] = "RFC 5246 §7.1: \"The ChangeCipherSpec message is sent during the handshake after the security "
                      "parameters have been agreed upon, but before the verifying Finished message is sent.\" "
                      "§7.4: \"sending handshake messages in an unexpected order results in a fatal error.\" "
                      RFC5246_UNEXPECTED,
    [C12_FINISHED_WITHOUT_CCS] = "RFC 5246 §7.4.9: \"It is a fatal error if a Finished message is not preceded by a "
                                 "ChangeCipherSpec message at the appropriate point in the handshake.\" " RFC5246_UNEXPECTED,
    [C12_POST_HANDSHAKE] = "RFC 5246 §7.3: \"At this point, the handshake is complete, and the client and server may "
                           "begin to exchange application layer data.\" Only HelloRequest (from a server, §7.4.1.1) and "
                           "ClientHello (from a client, renegotiation) start a new handshake. " RFC5246_UNEXPECTED,
    [C12_RENEGOTIATION] = "RFC 5246 §7.2.2: \"no_renegotiation: Sent by the client in response to a hello request or "
                          "by the server in response to a client hello after initial handshaking. Either of these "
                          "would normally lead to renegotiation; when that is not appropriate, the recipient should "
                          "respond with this alert.\"",
    [C12_DECODE] = "RFC 5246 " RFC5246_DECODE_ERROR,
    [C12_CLIENT_HELLO_DECODE] = "RFC 5246 §7.4.1.2: \"cipher_suites<2..2^16-2>\", \"compression_methods<1..2^8-1>\"; "
                                "\"the server MUST check that the amount of data in the message precisely matches one "
                                "of these formats; if not, then it MUST send a fatal \"decode_error\" alert.\"",
    [C12_COMPRESSION] = "RFC 5246 §7.4.1.2: \"This vector MUST contain, and all implementations MUST support, "
                        "CompressionMethod.null.\" " RFC5246_ILLEGAL_PARAMETER,
    [C12_SH_COMPRESSION] = "RFC 5246 §7.4.1.3: \"compression_method: The single compression algorithm selected by the "
                           "server from the list in ClientHello.compression_methods.\" " RFC5246_ILLEGAL_PARAMETER,
    [C12_SH_SUITE] = "RFC 5246 §7.4.1.3: \"cipher_suite: The single cipher suite selected by the server from the list "
                     "in ClientHello.cipher_suites.\" " RFC5246_ILLEGAL_PARAMETER,
    [C12_CH_VERSION] = "RFC 5246 §7.2.2: \"protocol_version: The protocol version the client has attempted to "
                       "negotiate is recognized but not supported. (For example, old protocol versions might be "
                       "avoided for security reasons.) This message is always fatal.\"",
    [C12_SH_VERSION] = "RFC 5246 Appendix E.1: \"If the version chosen by the server is not supported by the client "
                       "(or not acceptable), the client MUST send a \"protocol_version\" alert message and close the "
                       "connection.\"",
    [C12_FINISHED] = "RFC 5246 §7.4.9: \"Recipients of Finished messages MUST verify that the contents are correct.\" "
                     "§7.2.2: \"decrypt_error: A handshake cryptographic operation failed, including being unable to "
                     "correctly verify a signature or validate a Finished message.\"",
    [C12_PREMATURE_APPDATA] = "RFC 5246 §7.3: only once both Finished messages are exchanged \"the handshake is "
                              "complete, and the client and server may begin to exchange application layer data.\" "
                              RFC5246_UNEXPECTED,
    [C12_FATAL_ALERT] = "RFC 5246 §7.2: \"Alert messages with a level of fatal result in the immediate termination of "
                        "the connection.\" §7.2.2: \"Upon transmission or receipt of a fatal alert message, both "
                        "parties immediately close the connection.\"",
    [C12_WARNING_ALERT] = "RFC 5246 §7.2.2: \"If an alert with a level of warning is sent and received, generally the "
                          "connection can continue normally.\"",
    [C12_CLOSE_NOTIFY] = "RFC 5246 §7.2.1: \"close_notify: This message notifies the recipient that the sender will "
                         "not send any more messages on this connection.\" \"Any data received after a closure alert "
                         "is ignored.\"",
    [C12_USER_CANCELED] = "RFC 5246 §7.2.2: \"user_canceled: This handshake is being canceled for some reason "
                          "unrelated to a protocol failure. ... This alert should be followed by a close_notify.\" "
                          "§7.2.1: \"Any data received after a closure alert is ignored.\"",
    [C12_TOO_MANY_WARNINGS] = "RFC 5246 §7.2.2: \"If an alert with a level of warning is sent and received, "
                              "generally the connection can continue normally. If the receiving party decides not to "
                              "proceed with the connection ..., it SHOULD send a fatal alert to terminate the "
                              "connection.\" " RFC5246_UNEXPECTED,
    [C12_PLAINTEXT_AFTER_CCS] = "RFC 5246 §7.1: ChangeCipherSpec notifies \"that subsequent records will be protected "
                                "under the newly negotiated CipherSpec and keys.\" §7.2.2: \"bad_record_mac: This "
                                "alert is returned if a record is received with an incorrect MAC.\"",
    [C12_PLAINTEXT_OVERFLOW] = "RFC 5246 §6.2.1: \"length: The length (in bytes) of the following "
                               "TLSPlaintext.fragment. The length MUST NOT exceed 2^14.\" §7.2.2: \"record_overflow: "
                               "A TLSCiphertext record was received that had a length more than 2^14+2048 bytes, or "
                               "a record decrypted to a TLSCompressed record with more than 2^14+1024 bytes.\"",
    [C12_CIPHERTEXT_OVERFLOW] = "RFC 5246 §6.2.3: \"length: The length (in bytes) of the following "
                                "TLSCiphertext.fragment. The length MUST NOT exceed 2^14 + 2048.\" §7.2.2: "
                                "\"record_overflow: A TLSCiphertext record was received that had a length more than "
                                "2^14+2048 bytes ... This message is always fatal.\"",
    [C12_RECORD_LIMIT_OK] = "RFC 5246 §6.2.1: \"The length MUST NOT exceed 2^14.\" A record of exactly 2^14 bytes "
                            "is within the limit and must be accepted.",
    [C12_EMPTY_APPDATA] = "RFC 5246 §6.2.1: \"Zero-length fragments of Application data MAY be sent as they are "
                          "potentially useful as a traffic analysis countermeasure.\"",
    [C12_UNKNOWN_RECORD_TYPE] = "RFC 5246 §6: \"If a TLS implementation receives an unexpected record type, it MUST "
                                "send an unexpected_message alert.\"",
    [C12_CCS_VALUE] = "RFC 5246 §7.1: \"The message consists of a single byte of value 1.\" " RFC5246_DECODE_ERROR,
    [C12_CH_RECORD_VERSION] = "RFC 5246 Appendix E.1: \"Thus, TLS server compliant with this specification MUST "
                              "accept any value {03,XX} as the record layer version number for ClientHello.\"",
};

/* The key exchanges the driver plays: credential, the one suite offered or
 * picked, and the shape each role follows (sequences.c). */
typedef struct {
    const char *name;
    const char *credential;
    const char *suite;
    unsigned server_flags; /* shape when the server is under test; 0: not played */
    unsigned client_flags; /* shape when the client is under test; 0: not played */
    bool client_auth;      /* the server under test asks for a certificate */
} profile12;

static const profile12 profiles12[] = {
    {"ecdhe-ecdsa", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12, SD_SHAPE_TLS12, false},
    {"ecdhe-rsa", "leaf-rsa", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12, SD_SHAPE_TLS12, false},
    {"rsa", "leaf-rsa", "TLS_RSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX,
     SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX, false},
    {"client-auth", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH,
     SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH, true},
    {"ticket", "leaf", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", SD_SHAPE_TLS12 | SD_SHAPE_TICKET,
     SD_SHAPE_TLS12 | SD_SHAPE_TICKET, false},
};
#define N_PROFILES12 (sizeof(profiles12) / sizeof(profiles12[0]))

/* The driver's client certificate when the server under test asks for one. */
#define CLIENT_CREDENTIAL12 "client"

typedef struct {
    const profile12 *p;
    sd_role target, driver;
    const sd_shape *shape;
} honest12;

static honest12 make_honest12(const profile12 *p, sd_role target) {
    honest12 h = {.p = p, .target = target};
    h.driver = target == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    unsigned flags = target == SD_ROLE_SERVER ? p->server_flags : p->client_flags;
    h.shape = flags ? sd_shape_with_flags(flags) : NULL;
    return h;
}

/* The mutations that make the driver's message at a step honest for the
 * profile: its client certificate, the ServerHello's ticket announcement. */
static const char *honest_extra12(const honest12 *h, uint16_t msg) {
    if (h->driver == SD_ROLE_CLIENT && (msg == SD_Certificate || msg == SD_CertificateVerify))
        return " cert=" CLIENT_CREDENTIAL12;
    /* RFC 5077 §3.2: the server announces a ticket with an empty
     * SessionTicket extension in its ServerHello. */
    if (h->driver == SD_ROLE_SERVER && msg == SD_ServerHello && (h->shape->flags & SD_SHAPE_TICKET))
        return " add-ext=session_ticket";
    return "";
}

static const char *step_kebab(uint16_t msg, char *buf, size_t len) {
    if (msg == SD_MSG_CHANGE_CIPHER_SPEC) {
        snprintf(buf, len, "change-cipher-spec");
        return buf;
    }
    kebab(msg, buf, len);
    return buf;
}

/* Whether the driver's records are protected when it sends step pos: after
 * its own ChangeCipherSpec (RFC 5246 §7.1). */
static bool protected12(const honest12 *h, size_t pos) {
    for (size_t i = 0; i < pos && i < h->shape->n_steps; i++)
        if (h->shape->steps[i].from == h->driver && h->shape->steps[i].msg == SD_MSG_CHANGE_CIPHER_SPEC) return true;
    return false;
}

/* The version is agreed once the ServerHello is out (RFC 5246 §7.4.1.3). */
static bool version_agreed12(const honest12 *h, size_t pos) {
    for (size_t i = 0; i < pos && i < h->shape->n_steps; i++)
        if (h->shape->steps[i].msg == SD_ServerHello) return true;
    return false;
}

/* The honest steps [from, to) as script lines. */
static void put_steps12(gen *g, const honest12 *h, size_t from, size_t to) {
    for (size_t i = from; i < to && i < h->shape->n_steps; i++) {
        const sd_step *st = &h->shape->steps[i];
        bool ours = st->from == h->driver;
        if (st->msg == SD_MSG_CHANGE_CIPHER_SPEC) {
            put(g, ours ? "send-ccs\n" : "expect-ccs\n");
            continue;
        }
        const char *name = sd_handshake_type_name(st->msg);
        putf(g, "%s %s%s\n", ours ? "send" : "expect", name ? name : "?", ours ? honest_extra12(h, st->msg) : "");
    }
}

/* After a complete honest handshake: the connection carries data. */
static void put_ping(gen *g) { put(g, "send-appdata \"ping\"\nexpect-appdata \"ping\"\n"); }

static void begin12(gen *g, const char *family, const honest12 *h, const char *detail, const char *title,
                    citation12 c, const char *expect, const char *note, const char *tags) {
    sd_buf_reset(&g->text);
    const char *role = h->target == SD_ROLE_CLIENT ? "client" : "server";
    /* gen-alert runs over one profile (gen_tls12), so its ids leave the
     * profile out: they are long enough already. */
    if (strcmp(family, "gen-alert") == 0) putf(g, "id: tls12.%s.%s.%s\n", role, family, detail);
    else putf(g, "id: tls12.%s.%s.%s.%s\n", role, family, h->p->name, detail);
    putf(g, "title: %s (%s)\n", title, h->p->name);
    putf(g, "rfc: %s\n", citations12[c]);
    putf(g, "role: %s\n", role);
    put(g, "version: 1.2\n");
    putf(g, "tags: generated, %s, %s, tls12%s%s\n", family, role, tags && *tags ? ", " : "", tags ? tags : "");
    putf(g, "expect: %s\n", expect);
    putf(g, "credential: %s\n", h->p->credential);
    putf(g, "cipher-suite: %s\n", h->p->suite);
    if (h->p->client_auth) put(g, "client-auth: require\n");
    if (h->shape->flags & SD_SHAPE_TICKET) put(g, "session-tickets: issue\n");
    if (note && *note) putf(g, "note: %s\n", note);
    put(g, "\n");
}

static const char *who12(const honest12 *h) { return h->target == SD_ROLE_CLIENT ? "Client" : "Server"; }

/* --- TLS 1.2 notes: where BoringSSL answers otherwise, and why ------------- */

static const char note12_post_handshake_server[] =
    "BoringSSL answers no_renegotiation (SOFT): a BoringSSL server takes any handshake message after the "
    "handshake as an attempt to renegotiate, which it never allows (ssl_do_post_handshake in ssl/ssl_lib.cc, "
    "SSL_R_NO_RENEGOTIATION). It does refuse.";

static const char note12_post_handshake_client[] =
    "BoringSSL answers decode_error (SOFT): after a TLS 1.2 handshake its client takes only an empty "
    "HelloRequest, and answers anything else with SSL_R_BAD_HELLO_REQUEST and decode_error "
    "(ssl_do_post_handshake in ssl/ssl_lib.cc). It does refuse.";

static const char note12_ccs_value[] =
    "RFC 5246 names no alert for a malformed ChangeCipherSpec; BoringSSL answers illegal_parameter (SOFT): "
    "tls_open_change_cipher_spec (ssl/tls_record.cc) refuses any body but the single byte 01 with "
    "SSL_R_BAD_CHANGE_CIPHER_SPEC. It does refuse.";

/* A type the tables accept at pos. A shape that a message announces
 * (CertificateRequest: client authentication) is only entered when that
 * message comes, so before it the shape without it also applies: a server
 * may leave CertificateRequest out. The tables have no shape with both a
 * ticket and client authentication, so up to the ticket the shape without
 * the ticket applies too: a server that announced a ticket may still ask
 * for a certificate. */
static bool accepted12(const honest12 *h, size_t pos, uint16_t type) {
    if (sd_shape_accept(h->shape, pos, h->driver, type)) return true;
    const sd_shape *s = h->shape;
    if (s->flags & SD_SHAPE_CLIENT_AUTH) {
        const sd_shape *base = sd_shape_with_flags(s->flags & ~(unsigned)(SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT));
        if (base && same_prefix(base, s, pos) && sd_shape_accept(base, pos, h->driver, type)) return true;
    }
    if (s->flags & SD_SHAPE_TICKET) {
        const sd_shape *base = sd_shape_with_flags(s->flags & ~(unsigned)SD_SHAPE_TICKET);
        if (base && pos < base->n_steps && same_prefix(base, s, pos + 1) &&
            sd_shape_accept(base, pos, h->driver, type))
            return true;
    }
    return false;
}

/* Cases the model gets wrong today, left out of the suite until it is
 * fixed (so that the suite stays a check the model passes), each reported:
 *   - a ChangeCipherSpec before the ServerHello: a TLS 1.2-only model
 *     client drops it as TLS 1.3's compatibility CCS (RFC 8446 §5) and
 *     waits, where RFC 5246 §7.1 makes it unexpected_message;
 *   - KeyUpdate after a TLS 1.2 handshake (both roles) and NewSessionTicket
 *     to a TLS 1.2 client after it: the model reads them as TLS 1.3
 *     post-handshake messages and answers decode_error, not
 *     unexpected_message (RFC 5246 §7.4). */
static bool model_deviates12(const honest12 *h, size_t pos, uint16_t type, bool post_handshake) {
    if (post_handshake) return type == SD_KeyUpdate || (type == SD_NewSessionTicket && h->target == SD_ROLE_CLIENT);
    return type == SD_MSG_CHANGE_CIPHER_SPEC && h->target == SD_ROLE_CLIENT && h->shape->steps[pos].msg == SD_ServerHello;
}

/* --- gen-order (TLS 1.2) ------------------------------------------------------ */

static void gen_order12(gen *g, const honest12 *h) {
    const sd_shape *s = h->shape;
    char want[40], got[40], detail[256], title[400], tw[8], tags[96];
    for (size_t pos = 0; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver) continue;
        step_kebab(s->steps[pos].msg, want, sizeof want);
        /* Every handshake type, then ChangeCipherSpec. */
        for (size_t t = 0; t <= sizeof(all_types) && g->ok; t++) {
            uint16_t type = t < sizeof(all_types) ? all_types[t] : SD_MSG_CHANGE_CIPHER_SPEC;
            if (accepted12(h, pos, type) || model_deviates12(h, pos, type, false)) continue;
            /* RFC 5246 §7.4.1.1: a client "currently negotiating a session"
             * ignores HelloRequest, so it is no order error there. */
            if (type == SD_HelloRequest && h->target == SD_ROLE_CLIENT) continue;
            bool ccs = type == SD_MSG_CHANGE_CIPHER_SPEC;
            step_kebab(type, got, sizeof got);
            snprintf(detail, sizeof detail, "%s-instead-of-%s", got, want);
            snprintf(title, sizeof title, "%s rejects a %s where it waits for %s", who12(h),
                     ccs ? "ChangeCipherSpec" : type_word(type, tw, sizeof tw), sd_step_name(s->steps[pos].msg));
            /* Duplicates and skips are the common shapes of this mistake. */
            bool dup = false, skip = false;
            for (size_t i = 0; i < pos; i++)
                if (s->steps[i].from == h->driver && s->steps[i].msg == type) dup = true;
            for (size_t i = pos + 1; i < s->n_steps; i++)
                if (s->steps[i].from == h->driver && s->steps[i].msg == type) skip = true;
            bool fin_without_ccs = type == SD_Finished && s->steps[pos].msg == SD_MSG_CHANGE_CIPHER_SPEC;
            snprintf(tags, sizeof tags, "order%s%s%s%s", ccs ? ", ccs" : "", dup ? ", duplicate" : "",
                     skip ? ", skip" : "", fin_without_ccs ? ", finished" : "");
            citation12 c = fin_without_ccs ? C12_FINISHED_WITHOUT_CCS
                           : ccs || s->steps[pos].msg == SD_MSG_CHANGE_CIPHER_SPEC ? C12_CCS_ORDER
                                                                                   : C12_ORDER;
            begin12(g, "gen-order", h, detail, title, c, "alert unexpected_message", NULL, tags);
            put_steps12(g, h, 0, pos);
            /* After its own ChangeCipherSpec the driver protects every
             * record (RFC 5246 §7.1), a second CCS too. */
            if (ccs) put(g, protected12(h, pos) ? "send-ccs encrypted\n" : "send-ccs\n");
            else putf(g, "send %s\n", type_word(type, tw, sizeof tw));
            finish(g, "gen-order");
        }
    }

    /* After the handshake (the tables end with the last Finished): every
     * handshake type but those that start a new handshake, which RFC 5246
     * lets the receiver refuse or ignore (HelloRequest to a client,
     * §7.4.1.1) or answer with no_renegotiation (ClientHello to a server:
     * see the renegotiation scenarios). And ChangeCipherSpec. */
    for (size_t t = 0; t <= sizeof(all_types) && g->ok; t++) {
        uint16_t type = t < sizeof(all_types) ? all_types[t] : SD_MSG_CHANGE_CIPHER_SPEC;
        if (type == SD_HelloRequest && h->target == SD_ROLE_CLIENT) continue;
        if (type == SD_ClientHello && h->target == SD_ROLE_SERVER) continue;
        if (model_deviates12(h, s->n_steps, type, true)) continue;
        bool ccs = type == SD_MSG_CHANGE_CIPHER_SPEC;
        step_kebab(type, got, sizeof got);
        snprintf(detail, sizeof detail, "%s-after-handshake", got);
        snprintf(title, sizeof title, "%s rejects a %s after the handshake is complete", who12(h),
                 ccs ? "ChangeCipherSpec" : type_word(type, tw, sizeof tw));
        begin12(g, "gen-order", h, detail, title, ccs ? C12_CCS_ORDER : C12_POST_HANDSHAKE, "alert unexpected_message",
                ccs ? NULL : h->target == SD_ROLE_SERVER ? note12_post_handshake_server : note12_post_handshake_client,
                ccs ? "order, post-handshake, ccs" : "order, post-handshake");
        put_steps12(g, h, 0, s->n_steps);
        if (ccs) put(g, "send-ccs encrypted\n");
        else putf(g, "send %s\n", type_word(type, tw, sizeof tw));
        finish(g, "gen-order");
    }
}

/* --- gen-malformed (TLS 1.2) -------------------------------------------------- */

/* Offsets in the driver's hellos (RFC 5246 §7.4.1.2, §7.4.1.3), which are
 * fixed because the driver's session id is empty and it offers one suite
 * and one compression method. */
enum {
    HELLO_VERSION_MINOR = 1,  /* the low byte of client_version / server_version */
    HELLO_SESSION_ID_LEN = 34,
    CH_COMPRESSION = 40,      /* after the suites' length (35) and suite (37), the methods' length (39) */
    CH_EXTENSIONS_LEN_LOW = 42,
    SH_SUITE_HIGH = 35,
    SH_COMPRESSION = 37,
    SH_EXTENSIONS_LEN_LOW = 39,
};

/* A ClientHello written out (random 00..1f, no session id), with these
 * cipher_suites and compression_methods vectors (hex with their length), and
 * the extensions the driver sends. */
static void put_client_hello12(gen *g, const char *suites, const char *compression) {
    putf(g,
         "send ClientHello body=0303000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f00%s%s"
         "0045" /* extensions: */
         "0000001a00180000157365727665722e7368616b65646f776e2e74657374" /* server_name */
         "000a00080006001d00170018"                                     /* supported_groups */
         "000d000e000c040305030804080508060807"                         /* signature_algorithms */
         "00170000ff01000100\n",                                         /* ems, renegotiation_info */
         suites, compression);
}

static void gen_malformed12(gen *g, const honest12 *h) {
    const sd_shape *s = h->shape;
    char k[40], detail[256], title[400], tw[8];
    for (size_t pos = 0; pos < s->n_steps && g->ok; pos++) {
        const sd_step *st = &s->steps[pos];
        if (st->from != h->driver || st->msg == SD_Finished || st->msg == SD_MSG_CHANGE_CIPHER_SPEC) continue;
        const char *name = sd_handshake_type_name(st->msg);
        kebab(st->msg, k, sizeof k);
        const char *cert = honest_extra12(h, st->msg);
        /* ServerHelloDone is empty (§7.4.5): only trailing bytes break it. */
        bool empty_body = st->msg == SD_ServerHelloDone;
        struct {
            const char *detail, *what, *mutation;
            bool on_empty;
        } forms[] = {
            {"truncated", "one byte short", "truncate=1", false},
            {"empty", "with an empty body", "body=", false},
            {"trailing-byte", "with a trailing byte", "append=00", true},
            {"trailing-bytes", "with 16 trailing bytes", "append=00000000000000000000000000000000", true},
        };
        for (size_t f = 0; f < sizeof forms / sizeof forms[0] && g->ok; f++) {
            if (empty_body && !forms[f].on_empty) continue;
            snprintf(detail, sizeof detail, "%s.%s", k, forms[f].detail);
            snprintf(title, sizeof title, "%s rejects a %s %s", who12(h), name, forms[f].what);
            begin12(g, "gen-malformed", h, detail, title,
                    st->msg == SD_ClientHello ? C12_CLIENT_HELLO_DECODE : C12_DECODE, "alert decode_error", NULL,
                    "malformed");
            put_steps12(g, h, 0, pos);
            putf(g, "send %s%s %s\n", name, cert, forms[f].mutation);
            finish(g, "gen-malformed");
        }
        /* The body under a type the tables refuse here: the next step's, and
         * a type no registry defines. */
        uint16_t next = pos + 1 < s->n_steps ? s->steps[pos + 1].msg : SD_KeyUpdate;
        uint8_t wrong[2] = {next == SD_MSG_CHANGE_CIPHER_SPEC || next == st->msg ? SD_KeyUpdate : (uint8_t)next, 99};
        for (size_t w = 0; w < 2 && g->ok; w++) {
            if (accepted12(h, pos, wrong[w])) continue;
            if (wrong[w] == SD_HelloRequest && h->target == SD_ROLE_CLIENT) continue;
            char wt[40];
            kebab(wrong[w], wt, sizeof wt);
            snprintf(detail, sizeof detail, "%s.type-%s", k, wt);
            snprintf(title, sizeof title, "%s rejects a %s body sent under handshake type %s", who12(h), name,
                     type_word(wrong[w], tw, sizeof tw));
            begin12(g, "gen-malformed", h, detail, title, C12_ORDER, "alert unexpected_message", NULL,
                    "malformed, type");
            put_steps12(g, h, 0, pos);
            putf(g, "send %s%s type=%s\n", name, cert, type_word(wrong[w], tw, sizeof tw));
            finish(g, "gen-malformed");
        }
    }

    /* The hellos' fields: a byte of the honest hello flipped, or a
     * ClientHello written out with these vectors. */
    struct {
        sd_role target; /* the side that receives the hello */
        const char *detail, *what;
        citation12 c;
        const char *expect;
        int offset, mask;                 /* flip=offset:mask; offset < 0: written out */
        const char *suites, *compression; /* the written-out vectors, hex with their lengths */
    } fields[] = {
        {SD_ROLE_SERVER, "client-hello.session-id-length-long", "whose session_id length is one too long",
         C12_CLIENT_HELLO_DECODE, "alert decode_error", HELLO_SESSION_ID_LEN, 0x01, NULL, NULL},
        {SD_ROLE_SERVER, "client-hello.extensions-length-wrong", "whose extensions length is off by one",
         C12_CLIENT_HELLO_DECODE, "alert decode_error", CH_EXTENSIONS_LEN_LOW, 0x01, NULL, NULL},
        {SD_ROLE_SERVER, "client-hello.empty-cipher-suites", "with an empty cipher_suites list",
         C12_CLIENT_HELLO_DECODE, "alert decode_error", -1, 0, "0000", "0100"},
        {SD_ROLE_SERVER, "client-hello.odd-cipher-suites-length", "whose cipher_suites length is odd",
         C12_CLIENT_HELLO_DECODE, "alert decode_error", -1, 0, "0003c02b00", "0100"},
        {SD_ROLE_SERVER, "client-hello.empty-compression-methods", "with an empty compression_methods list",
         C12_CLIENT_HELLO_DECODE, "alert decode_error", -1, 0, "0002c02b", "00"},
        {SD_ROLE_SERVER, "client-hello.no-null-compression", "whose compression_methods lack null", C12_COMPRESSION,
         "alert illegal_parameter", CH_COMPRESSION, 0x01, NULL, NULL},
        {SD_ROLE_SERVER, "client-hello.version-tls11", "offering TLS 1.1 only (client_version 0x0302)",
         C12_CH_VERSION, "alert protocol_version", HELLO_VERSION_MINOR, 0x01, NULL, NULL},
        {SD_ROLE_CLIENT, "server-hello.session-id-length-long", "whose session_id length is one too long", C12_DECODE,
         "alert decode_error", HELLO_SESSION_ID_LEN, 0x01, NULL, NULL},
        {SD_ROLE_CLIENT, "server-hello.extensions-length-wrong", "whose extensions length is off by one", C12_DECODE,
         "alert decode_error", SH_EXTENSIONS_LEN_LOW, 0x01, NULL, NULL},
        {SD_ROLE_CLIENT, "server-hello.compression-deflate", "selecting compression method 1, which was not offered",
         C12_SH_COMPRESSION, "alert illegal_parameter", SH_COMPRESSION, 0x01, NULL, NULL},
        /* 0x80 in the high byte: a suite no client offers (0x402b, 0x809c, ...). */
        {SD_ROLE_CLIENT, "server-hello.suite-not-offered", "selecting a cipher suite that was not offered",
         C12_SH_SUITE, "alert illegal_parameter", SH_SUITE_HIGH, 0x80, NULL, NULL},
        {SD_ROLE_CLIENT, "server-hello.version-tls11", "selecting TLS 1.1 (server_version 0x0302)", C12_SH_VERSION,
         "alert protocol_version", HELLO_VERSION_MINOR, 0x01, NULL, NULL},
    };
    for (size_t f = 0; f < sizeof fields / sizeof fields[0] && g->ok; f++) {
        if (fields[f].target != h->target) continue;
        /* A written-out ClientHello names one suite: only the ECDSA profile's. */
        if (fields[f].offset < 0 && strcmp(h->p->name, "ecdhe-ecdsa") != 0) continue;
        const char *msg = h->target == SD_ROLE_SERVER ? "ClientHello" : "ServerHello";
        snprintf(title, sizeof title, "%s rejects a %s %s", who12(h), msg, fields[f].what);
        begin12(g, "gen-malformed", h, fields[f].detail, title, fields[f].c, fields[f].expect, NULL,
                "malformed, hello");
        if (h->target == SD_ROLE_CLIENT) put(g, "expect ClientHello\n");
        if (fields[f].offset >= 0) putf(g, "send %s flip=%d:0x%02x\n", msg, fields[f].offset, fields[f].mask);
        else put_client_hello12(g, fields[f].suites, fields[f].compression);
        finish(g, "gen-malformed");
    }
}

/* --- gen-finished (TLS 1.2) --------------------------------------------------- */

static void gen_finished12(gen *g, const honest12 *h) {
    const sd_shape *s = h->shape;
    size_t pos = 0;
    while (pos < s->n_steps && !(s->steps[pos].from == h->driver && s->steps[pos].msg == SD_Finished)) pos++;
    if (pos == s->n_steps) return;
    const char *whose = h->target == SD_ROLE_CLIENT ? "server" : "client";
    /* verify_data is 12 bytes (RFC 5246 §7.4.9, verify_data_length). */
    static const char length_note[] =
        "verify_data is exactly 12 bytes (RFC 5246 §7.4.9), so a Finished of another length also fails to parse "
        "and decode_error (§7.2.2) is defensible: a stack answering decode_error is SOFT.";
    struct {
        const char *detail, *what, *mutation;
        bool length;
    } forms[] = {
        {"flip-first", "whose first byte is flipped", "flip=first:0x01", false},
        {"flip-middle", "whose middle byte is flipped", "flip=middle:0x01", false},
        {"flip-last", "whose last byte is flipped", "flip=last:0x80", false},
        {"truncated", "that is one byte short", "truncate=1", true},
        {"extended", "with one extra byte", "append=00", true},
        {"empty", "that is empty", "body=", true},
        {"all-zero", "of all-zero bytes", "body=000000000000000000000000", false},
        {"wrong-key", "computed with the other side's label", "wrong-key", false},
        {"wrong-transcript", "computed over a transcript without the last message", "wrong-transcript", false},
        {"length-short", "whose length field is one byte short", "length=11", true},
    };
    char title[400];
    for (size_t f = 0; f < sizeof forms / sizeof forms[0] && g->ok; f++) {
        snprintf(title, sizeof title, "%s rejects a %s Finished %s", who12(h), whose, forms[f].what);
        begin12(g, "gen-finished", h, forms[f].detail, title, C12_FINISHED, "alert decrypt_error",
                forms[f].length ? length_note : NULL, "finished");
        put_steps12(g, h, 0, pos);
        putf(g, "send Finished %s\n", forms[f].mutation);
        finish(g, "gen-finished");
    }
    /* Missing: after the ChangeCipherSpec, application data where the
     * Finished belongs. (Finished without its ChangeCipherSpec is
     * gen-order's finished-instead-of-change-cipher-spec.) */
    snprintf(title, sizeof title, "%s rejects application data sent in place of the %s Finished", who12(h), whose);
    begin12(g, "gen-finished", h, "missing", title, C12_PREMATURE_APPDATA, "alert unexpected_message", NULL,
            "finished, appdata");
    put_steps12(g, h, 0, pos);
    put(g, "send-appdata \"ping\"\n");
    finish(g, "gen-finished");
}

/* --- gen-alert (TLS 1.2) ------------------------------------------------------ */

/* The descriptions RFC 5246 §7.2.2 lets a sender use at warning level: the
 * certificate alerts, for which it names no level. The others are "always
 * fatal" (a sender that sends one as a warning broke the RFC, and what the
 * receiver then does is not decided), no_renegotiation answers a
 * renegotiation only, and unknown descriptions have no meaning to weigh. */
static bool warning_allowed12(uint8_t desc) {
    return desc == SD_bad_certificate || desc == SD_unsupported_certificate || desc == SD_certificate_revoked ||
           desc == SD_certificate_expired || desc == SD_certificate_unknown;
}

static const char note12_warning[] =
    "RFC 5246 §7.2.2 leaves it to the receiver whether to go on after a warning (if it stops it SHOULD send a "
    "fatal alert). The suite expects what BoringSSL and the model do, carry on (ssl_process_alert in "
    "ssl/tls_record.cc discards TLS 1.2 warnings): a stack that stops here chose otherwise within the RFC.";

static void gen_alert12(gen *g, const honest12 *h) {
    const sd_shape *s = h->shape;
    char before[40], detail[256], title[400], d[40];
    for (size_t pos = 0; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver) continue;
        step_kebab(s->steps[pos].msg, before, sizeof before);
        const char *at = sd_step_name(s->steps[pos].msg);
        for (int lv = SD_ALERT_LEVEL_WARNING; lv <= SD_ALERT_LEVEL_FATAL && g->ok; lv++) {
            const char *lvn = lv == SD_ALERT_LEVEL_FATAL ? "fatal" : "warning";
            for (size_t a = 0; a < sizeof(all_alerts) + sizeof(unknown_alerts) && g->ok; a++) {
                uint8_t desc = a < sizeof(all_alerts) ? all_alerts[a] : unknown_alerts[a - sizeof(all_alerts)];
                const char *name = sd_alert_name(desc);
                bool closure = desc == SD_close_notify || desc == SD_user_canceled;
                bool warning = lv == SD_ALERT_LEVEL_WARNING && !closure;
                /* Before the ServerHello the receiver does not know yet that
                 * it speaks TLS 1.2 (a server may still pick TLS 1.3, where
                 * every warning but the closures is an error, RFC 8446 §6),
                 * so only closures are generated there at warning level. */
                if (warning && !version_agreed12(h, pos)) continue;
                if (warning && !warning_allowed12(desc)) continue;
                if (name) snprintf(d, sizeof d, "%s", name);
                else snprintf(d, sizeof d, "alert-%u", desc);
                snprintf(detail, sizeof detail, "before-%s.%s.%s", before, lvn, d);
                citation12 c = desc == SD_close_notify     ? C12_CLOSE_NOTIFY
                               : desc == SD_user_canceled  ? C12_USER_CANCELED
                               : warning                   ? C12_WARNING_ALERT
                                                           : C12_FATAL_ALERT;
                if (warning)
                    snprintf(title, sizeof title, "%s carries on after a warning %s alert before %s", who12(h), d, at);
                else if (desc == SD_close_notify)
                    snprintf(title, sizeof title, "%s stops after a %s close_notify before %s", who12(h), lvn, at);
                else if (desc == SD_user_canceled)
                    snprintf(title, sizeof title, "%s stops after a %s user_canceled and close_notify before %s",
                             who12(h), lvn, at);
                else
                    snprintf(title, sizeof title, "%s stops after a fatal %s alert before %s", who12(h), d, at);
                begin12(g, "gen-alert", h, detail, title, c, warning ? "complete" : "closed",
                        warning ? note12_warning : NULL,
                        warning ? "alert, warning, policy" : closure ? "alert, closure" : name ? "alert" : "alert, unknown");
                put_steps12(g, h, 0, pos);
                putf(g, "send-alert %s %u\n", lvn, desc);
                if (desc == SD_user_canceled) put(g, "send-alert warning close_notify\n");
                put_steps12(g, h, pos, s->n_steps);
                if (warning) put_ping(g);
                finish(g, "gen-alert");
            }
        }
    }

    /* Record forms, at the first place the driver speaks after the version
     * is agreed, and where its Finished belongs (after its ChangeCipherSpec). */
    bool done_first = false;
    for (size_t pos = 0; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver) continue;
        bool is_first = !done_first && version_agreed12(h, pos);
        bool is_fin = s->steps[pos].msg == SD_Finished;
        if (!is_first && !is_fin) continue;
        if (is_first) done_first = true;
        step_kebab(s->steps[pos].msg, before, sizeof before);
        const char *enc = protected12(h, pos) ? " encrypted" : "";
        /* Four warnings are carried (BoringSSL's limit, which the model
         * follows); a fifth in a row is refused. RFC 5246 sets no limit,
         * so the suite follows BoringSSL, as the model does where the RFC
         * leaves the choice. */
        for (int n = 4; n <= 5 && g->ok && !is_fin; n++) {
            snprintf(detail, sizeof detail, "before-%s.warnings-%d", before, n);
            snprintf(title, sizeof title, "%s %s %d warning alerts in a row before %s", who12(h),
                     n == 4 ? "carries on after" : "stops after", n, sd_step_name(s->steps[pos].msg));
            begin12(g, "gen-alert", h, detail, title, n == 4 ? C12_WARNING_ALERT : C12_TOO_MANY_WARNINGS,
                    n == 4 ? "complete" : "alert unexpected_message",
                    n == 4 ? note12_warning
                           : "RFC 5246 sets no limit on warning alerts; this suite expects BoringSSL's (four in a "
                             "row, then unexpected_message: SSL_R_TOO_MANY_WARNING_ALERTS in ssl/tls_record.cc), "
                             "which bounds what a peer can make the receiver do without progress.",
                    "alert, warning, policy");
            put_steps12(g, h, 0, pos);
            for (int i = 0; i < n; i++) putf(g, "send-alert warning bad_certificate%s\n", enc);
            put_steps12(g, h, pos, s->n_steps);
            if (n == 4) put_ping(g);
            finish(g, "gen-alert");
        }
        if (is_fin) {
            snprintf(detail, sizeof detail, "before-%s.plaintext-fatal", before);
            snprintf(title, sizeof title, "%s rejects an unprotected alert after the ChangeCipherSpec", who12(h));
            begin12(g, "gen-alert", h, detail, title, C12_PLAINTEXT_AFTER_CCS, "alert bad_record_mac", NULL,
                    "alert, record, ccs");
            put_steps12(g, h, 0, pos);
            put(g, "send-alert fatal handshake_failure plaintext\n");
            put_steps12(g, h, pos, s->n_steps);
            finish(g, "gen-alert");
        }
    }
}

/* --- gen-record (TLS 1.2) ----------------------------------------------------- */

static void gen_record12(gen *g, const honest12 *h) {
    const sd_shape *s = h->shape;
    char before[40], detail[256], title[400];
    size_t first = 0, fin = 0, ccs = 0;
    while (first < s->n_steps && s->steps[first].from != h->driver) first++;
    for (size_t i = 0; i < s->n_steps; i++) {
        if (s->steps[i].from != h->driver) continue;
        if (s->steps[i].msg == SD_Finished) fin = i;
        if (s->steps[i].msg == SD_MSG_CHANGE_CIPHER_SPEC) ccs = i;
    }

    /* Premature application data wherever the driver speaks before its
     * Finished (the Finished place is gen-finished's "missing"). */
    for (size_t pos = 0; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver || pos == fin) continue;
        step_kebab(s->steps[pos].msg, before, sizeof before);
        snprintf(detail, sizeof detail, "appdata-before-%s", before);
        snprintf(title, sizeof title, "%s rejects application data before %s", who12(h),
                 sd_step_name(s->steps[pos].msg));
        begin12(g, "gen-record", h, detail, title, C12_PREMATURE_APPDATA, "alert unexpected_message", NULL,
                "record, appdata");
        put_steps12(g, h, 0, pos);
        put(g, "send-appdata \"ping\"\n");
        put_steps12(g, h, pos, s->n_steps);
        finish(g, "gen-record");
    }

    /* Sizes, unknown content types, at the first place and (protected) at
     * the Finished place. */
    size_t places[2] = {first, fin};
    for (size_t p = 0; p < 2 && g->ok; p++) {
        size_t pos = places[p];
        bool prot = protected12(h, pos);
        step_kebab(s->steps[pos].msg, before, sizeof before);
        if (!prot) {
            snprintf(detail, sizeof detail, "oversized-handshake-before-%s", before);
            snprintf(title, sizeof title, "%s rejects a plaintext handshake record of 2^14+1 bytes before %s",
                     who12(h), sd_step_name(s->steps[pos].msg));
            begin12(g, "gen-record", h, detail, title, C12_PLAINTEXT_OVERFLOW, "alert record_overflow", NULL,
                    "record, size");
            put_steps12(g, h, 0, pos);
            put(g, "send-raw handshake ");
            put_hex_zeros(g, MAX_PLAINTEXT + 1);
            put(g, "\n");
            finish(g, "gen-record");
        }
        /* 24 is heartbeat (RFC 6520), which neither side negotiated. */
        static const uint8_t unknown_types[] = {0, 24, 99, 255};
        for (size_t u = 0; u < sizeof unknown_types && g->ok; u++) {
            snprintf(detail, sizeof detail, "content-type-%u-before-%s", unknown_types[u], before);
            snprintf(title, sizeof title, "%s rejects a %s record of unknown content type %u before %s", who12(h),
                     prot ? "protected" : "plaintext", unknown_types[u], sd_step_name(s->steps[pos].msg));
            begin12(g, "gen-record", h, detail, title, C12_UNKNOWN_RECORD_TYPE, "alert unexpected_message", NULL,
                    "record, content-type");
            put_steps12(g, h, 0, pos);
            putf(g, "send-raw %u 00%s\n", unknown_types[u], prot ? " encrypted" : "");
            put_steps12(g, h, pos, s->n_steps);
            finish(g, "gen-record");
        }
    }

    /* ChangeCipherSpec of the wrong value or size where it belongs. */
    struct {
        const char *detail, *what, *payload;
    } bad_ccs[] = {
        {"ccs-value-02", "a ChangeCipherSpec of value 2", "02"},
        {"ccs-two-bytes", "a two-byte ChangeCipherSpec", "0101"},
    };
    for (size_t c = 0; c < sizeof bad_ccs / sizeof bad_ccs[0] && g->ok; c++) {
        snprintf(title, sizeof title, "%s rejects %s", who12(h), bad_ccs[c].what);
        begin12(g, "gen-record", h, bad_ccs[c].detail, title, C12_CCS_VALUE, "alert decode_error", note12_ccs_value,
                "record, ccs");
        put_steps12(g, h, 0, ccs);
        putf(g, "send-raw change_cipher_spec %s\n", bad_ccs[c].payload);
        put_steps12(g, h, ccs + 1, s->n_steps);
        finish(g, "gen-record");
    }

    /* Interleaving: ServerHelloDone's header split over two records with
     * application data between (RFC 5246 §6.2.1 lets a message be
     * fragmented, but application data before the Finished messages is out
     * of place whatever surrounds it). */
    for (size_t pos = 0; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver || s->steps[pos].msg != SD_ServerHelloDone) continue;
        snprintf(title, sizeof title, "%s rejects application data between two records of one ServerHelloDone",
                 who12(h));
        begin12(g, "gen-record", h, "interleaved-appdata-in-server-hello-done", title, C12_PREMATURE_APPDATA,
                "alert unexpected_message", NULL, "record, interleave");
        put_steps12(g, h, 0, pos);
        put(g, "send-raw handshake 0e00\nsend-raw application_data 70696e67\nsend-raw handshake 0000\n");
        finish(g, "gen-record");
    }

    /* A ClientHello in a record of an older version (App. E.1). */
    if (h->target == SD_ROLE_SERVER) {
        static const char *const versions[] = {"0x0300", "0x0301"};
        for (size_t v = 0; v < 2 && g->ok; v++) {
            snprintf(detail, sizeof detail, "client-hello-record-version-%s", versions[v] + 2);
            snprintf(title, sizeof title, "%s accepts a ClientHello in a record of version %s", who12(h), versions[v]);
            begin12(g, "gen-record", h, detail, title, C12_CH_RECORD_VERSION, "complete", NULL, "record, version");
            putf(g, "send ClientHello record-version=%s\n", versions[v]);
            put_steps12(g, h, 1, s->n_steps);
            put_ping(g);
            finish(g, "gen-record");
        }
    }

    /* After the handshake: record limits, an empty record. */
    struct {
        const char *detail, *what;
        size_t len;
        citation12 c;
        const char *expect;
    } sizes[] = {
        {"appdata-2e14", "accepts an application data record of exactly 2^14 bytes", MAX_PLAINTEXT,
         C12_RECORD_LIMIT_OK, "complete"},
        {"appdata-ciphertext-over-limit", "rejects a protected record longer than 2^14+2048 bytes",
         MAX_PLAINTEXT + 2048, C12_CIPHERTEXT_OVERFLOW, "alert record_overflow"},
    };
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0] && g->ok; z++) {
        snprintf(title, sizeof title, "%s %s", who12(h), sizes[z].what);
        begin12(g, "gen-record", h, sizes[z].detail, title, sizes[z].c, sizes[z].expect, NULL, "record, size");
        put_steps12(g, h, 0, s->n_steps);
        put(g, "send-raw application_data ");
        put_hex_zeros(g, sizes[z].len);
        put(g, " encrypted\n");
        if (sizes[z].len <= MAX_PLAINTEXT) {
            put(g, "expect-appdata ");
            put_text_of(g, 4);
            put(g, "\n");
        }
        finish(g, "gen-record");
    }
    snprintf(title, sizeof title, "%s accepts a zero-length application data record after the handshake", who12(h));
    begin12(g, "gen-record", h, "empty-appdata-record", title, C12_EMPTY_APPDATA, "complete", NULL, "record, empty");
    put_steps12(g, h, 0, s->n_steps);
    put(g, "send-raw application_data hex= encrypted\n");
    put_ping(g);
    finish(g, "gen-record");
}

/* Every TLS 1.2 family over every profile; gen-alert over the first profile
 * only (alerts do not depend on the key exchange; its places are a superset
 * of static RSA's). */
static void gen_tls12(gen *g) {
    static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};
    for (size_t r = 0; r < 2 && g->ok; r++) {
        for (size_t p = 0; p < N_PROFILES12 && g->ok; p++) {
            honest12 h = make_honest12(&profiles12[p], roles[r]);
            unsigned flags = roles[r] == SD_ROLE_SERVER ? profiles12[p].server_flags : profiles12[p].client_flags;
            if (!flags) continue; /* not played in this role */
            if (!h.shape) {
                snprintf(g->err, g->err_len, "generate: no shape for TLS 1.2 profile %s", profiles12[p].name);
                g->ok = false;
                return;
            }
            gen_order12(g, &h);
            gen_malformed12(g, &h);
            gen_finished12(g, &h);
            if (p == 0) gen_alert12(g, &h);
            gen_record12(g, &h);
        }
    }
}

/* --- gen-certificate (TLS 1.3 and TLS 1.2) ------------------------------------
 * Every defective credential of the fixture PKI (corpus/pki/make_pki.c),
 * presented by the driver as the server's certificate (client under test,
 * `credential:` header) and as its client certificate (server under test,
 * `client-auth: require`, `send Certificate cert=<defect>` and a
 * CertificateVerify signed with that credential's key, which driver.c's
 * driver_credential takes from `cert=` in both versions); plus an empty
 * certificate list and, in TLS 1.3, an extension in the CertificateEntry
 * that the peer never asked for. The alert is the one tests/test_pki.c's
 * kDefects gives each defect (RFC 8446 §6.2 and RFC 5246 §7.2.2 name the
 * same alerts), except where the role changes it (an empty list).
 * Ids: tls13.<role>.gen-certificate.<defect>, tls12.<role>.gen-certificate.<defect>.
 *
 * Left out, per role:
 *  - wrong-name as a client certificate: a server checks no name in a
 *    client's certificate (the RFC 9525 name check is the client's, of the
 *    server it asked for), so the credential is good there;
 *  - wrong-eku as a client certificate: its extendedKeyUsage is
 *    id-kp-clientAuth only, exactly right for a client (RFC 5280 §4.2.1.12),
 *    so it has no defect in that role;
 *  - TLS 1.3 client under test, the defects that scenarios/tls13/
 *    client.certificate.<defect>.sd already checks by hand (CD_HAND_WRITTEN13
 *    below): generating them again would only duplicate those ids. */

typedef struct {
    const char *name;  /* fixture credential, and the id's last part */
    uint8_t alert;     /* kDefects (tests/test_pki.c) */
    const char *what;  /* title: "Client rejects a server certificate <what>" */
    const char *rfc13; /* the requirement, RFC 8446 first */
    const char *rfc12; /* the same for RFC 5246 */
    unsigned flags;    /* CD_* */
} cert_defect;

enum {
    CD_SERVER_CERT = 1u << 0, /* a defect in a server's certificate (client under test) */
    CD_CLIENT_CERT = 1u << 1, /* a defect in a client's certificate (server under test) */
    CD_BOTH = CD_SERVER_CERT | CD_CLIENT_CERT,
    CD_HAND_WRITTEN13 = 1u << 2, /* scenarios/tls13/client.certificate.<name>.sd checks it */
    CD_POLICY = 1u << 3,         /* the RFC does not decide the refusal: the model's choice (tag policy); SHA-1:
                                  * RFC 8446 §4.4.2.4 only RECOMMENDS refusing it */
    CD_POLICY12 = 1u << 4,       /* the same, in TLS 1.2 only */
};

#define RFC8446_BAD_CERT                                                                                               \
    "RFC 8446 §6.2: \"bad_certificate: A certificate was corrupt, contained signatures that did not verify "          \
    "correctly, etc.\""
#define RFC5246_BAD_CERT                                                                                               \
    "RFC 5246 §7.2.2: \"bad_certificate: A certificate was corrupt, contained signatures that did not verify "        \
    "correctly, etc.\""
#define RFC8446_EXPIRED "RFC 8446 §6.2: \"certificate_expired: A certificate has expired or is not currently valid.\""
#define RFC5246_EXPIRED "RFC 5246 §7.2.2: \"certificate_expired: A certificate has expired or is not currently valid.\""
#define RFC8446_UNKNOWN_CA                                                                                             \
    "RFC 8446 §6.2: \"unknown_ca: A valid certificate chain or partial chain was received, but the certificate "      \
    "was not accepted because the CA certificate could not be located or could not be matched with a known "           \
    "trust anchor.\""
#define RFC5246_UNKNOWN_CA                                                                                             \
    "RFC 5246 §7.2.2: \"unknown_ca: A valid certificate chain or partial chain was received, but the certificate "    \
    "was not accepted because the CA certificate could not be located or couldn't be matched with a known, "           \
    "trusted CA.\""
#define RFC8446_UNSUPPORTED "RFC 8446 §6.2: \"unsupported_certificate: A certificate was of an unsupported type.\""
#define RFC5246_UNSUPPORTED "RFC 5246 §7.2.2: \"unsupported_certificate: A certificate was of an unsupported type.\""
#define RFC8446_DECODE                                                                                                 \
    "RFC 8446 §4.4.2: \"cert_data ... the certificate itself in DER-encoded X.509 form\"; §6.2: \"decode_error: A "  \
    "message could not be decoded because some field was out of the specified range or the length of the message "     \
    "was incorrect.\""
#define RFC5246_DECODE                                                                                                 \
    "RFC 5246 §7.4.2: \"certificate_list: This is a sequence (chain) of certificates.\" (ASN.1Cert, DER); "           \
    "§7.2.2: \"decode_error: A message could not be decoded because some field was out of the specified range or "    \
    "the length of the message was incorrect.\""
#define RFC5280_LEAF_AS_CA                                                                                             \
    " RFC 5280 §4.2.1.9: \"If the cA boolean is not asserted, then the keyCertSign bit in the key usage extension "   \
    "MUST NOT be asserted.\": the leaf's issuer is no CA, so no path reaches a trust anchor."
#define RFC5280_CA_AS_LEAF                                                                                             \
    " RFC 5280 §4.2.1.9: \"The cA boolean indicates whether the certified public key may be used to verify "          \
    "certificate signatures.\": a CA certificate presented as the end entity (the model's policy, as OpenSSL's)."
#define RFC5280_KEY_USAGE                                                                                              \
    " RFC 5280 §4.2.1.3: \"digitalSignature: ... asserted when the subject public key is used for verifying "         \
    "digital signatures\"; this leaf's keyUsage is keyEncipherment only."
#define RFC5280_EKU                                                                                                    \
    " RFC 5280 §4.2.1.12: \"If the extension is present, then the certificate MUST only be used for one of the "      \
    "purposes indicated.\" (id-kp-clientAuth only, presented by a server)"
#define RFC5280_CRITICAL                                                                                               \
    " RFC 5280 §4.2: \"A certificate-using system MUST reject the certificate if it encounters a critical "           \
    "extension it does not recognize\"."
#define WEAK_KEY_POLICY                                                                                                \
    " RFC 5280 sets no key size (§4.1.2.7); refusing RSA under 2048 bits is policy (NIST SP 800-131A Rev. 2), "       \
    "the model's choice."
#define RFC8446_SHA1                                                                                                   \
    "RFC 8446 §4.4.2.4: \"it is RECOMMENDED that any endpoint receiving any certificate which it would need to "      \
    "validate using any signature algorithm using a SHA-1 hash abort the handshake with a \"bad_certificate\" "        \
    "alert.\""
#define RFC8446_MD5                                                                                                    \
    "RFC 8446 §4.4.2.4: \"Any endpoint receiving any certificate which it would need to validate using any "          \
    "signature algorithm using an MD5 hash MUST abort the handshake with a \"bad_certificate\" alert.\""
#define RFC5246_WEAK_HASH                                                                                              \
    " RFC 5246 does not forbid it (§7.4.2 lets any signature algorithm sign a certificate); the model applies "       \
    "RFC 8446 §4.4.2.4's rule to TLS 1.2 too (policy)."
#define RFC8446_KEY_MISMATCH                                                                                           \
    "RFC 8446 §4.4.3: \"The receiver of a CertificateVerify message MUST verify the signature field. ... If the "     \
    "verification fails, the receiver MUST terminate the handshake with a \"decrypt_error\" alert.\""
#define RFC5246_KEY_MISMATCH                                                                                           \
    "RFC 5246 §7.4.3 and §7.4.8: the signature (ServerKeyExchange, CertificateVerify) is made with the "             \
    "certificate's key; §7.2.2: \"decrypt_error: A handshake cryptographic operation failed, including being "        \
    "unable to correctly verify a signature or validate a Finished message.\""
#define RFC8446_REVOKED "RFC 8446 §6.2: \"certificate_revoked: A certificate was revoked by its signer.\""
#define RFC5246_REVOKED "RFC 5246 §7.2.2: \"certificate_revoked: A certificate was revoked by its signer.\""

static const cert_defect cert_defects[] = {
    {"expired", SD_certificate_expired, "that has expired", RFC8446_EXPIRED, RFC5246_EXPIRED,
     CD_BOTH | CD_HAND_WRITTEN13},
    {"not-yet-valid", SD_certificate_expired, "that is not valid yet", RFC8446_EXPIRED, RFC5246_EXPIRED,
     CD_BOTH | CD_HAND_WRITTEN13},
    {"wrong-name", SD_bad_certificate, "issued for another host name",
     RFC8446_BAD_CERT " The name check itself is RFC 9525's.", RFC5246_BAD_CERT " The name check itself is RFC 9525's.",
     CD_SERVER_CERT | CD_HAND_WRITTEN13},
    {"unknown-ca", SD_unknown_ca, "issued by an unknown CA", RFC8446_UNKNOWN_CA, RFC5246_UNKNOWN_CA,
     CD_BOTH | CD_HAND_WRITTEN13},
    {"bad-signature", SD_bad_certificate, "whose signature does not verify", RFC8446_BAD_CERT, RFC5246_BAD_CERT,
     CD_BOTH | CD_HAND_WRITTEN13},
    {"leaf-as-ca", SD_unknown_ca, "issued by an end-entity certificate", RFC8446_UNKNOWN_CA RFC5280_LEAF_AS_CA,
     RFC5246_UNKNOWN_CA RFC5280_LEAF_AS_CA, CD_BOTH | CD_HAND_WRITTEN13},
    {"ca-as-leaf", SD_unsupported_certificate, "that is a CA certificate", RFC8446_UNSUPPORTED RFC5280_CA_AS_LEAF,
     RFC5246_UNSUPPORTED RFC5280_CA_AS_LEAF, CD_BOTH | CD_POLICY},
    {"wrong-key-usage", SD_unsupported_certificate, "whose key usage forbids signing",
     RFC8446_UNSUPPORTED RFC5280_KEY_USAGE, RFC5246_UNSUPPORTED RFC5280_KEY_USAGE, CD_BOTH | CD_HAND_WRITTEN13},
    {"wrong-eku", SD_unsupported_certificate, "whose extended key usage is clientAuth only",
     RFC8446_UNSUPPORTED RFC5280_EKU, RFC5246_UNSUPPORTED RFC5280_EKU, CD_SERVER_CERT | CD_HAND_WRITTEN13},
    {"missing-intermediate", SD_unknown_ca, "chain that lacks its intermediate", RFC8446_UNKNOWN_CA, RFC5246_UNKNOWN_CA,
     CD_BOTH | CD_HAND_WRITTEN13},
    {"malformed-der", SD_decode_error, "that is not valid DER", RFC8446_DECODE, RFC5246_DECODE,
     CD_BOTH | CD_HAND_WRITTEN13},
    {"unknown-critical-extension", SD_unsupported_certificate, "with an unknown critical extension",
     RFC8446_UNSUPPORTED RFC5280_CRITICAL, RFC5246_UNSUPPORTED RFC5280_CRITICAL, CD_BOTH | CD_HAND_WRITTEN13},
    {"weak-key", SD_unsupported_certificate, "with an RSA-1024 key", RFC8446_UNSUPPORTED WEAK_KEY_POLICY,
     RFC5246_UNSUPPORTED WEAK_KEY_POLICY, CD_BOTH | CD_POLICY},
    {"sha1-signature", SD_bad_certificate, "signed with SHA-1", RFC8446_SHA1, RFC5246_BAD_CERT RFC5246_WEAK_HASH,
     CD_BOTH | CD_POLICY},
    {"md5-signature", SD_bad_certificate, "signed with MD5", RFC8446_MD5, RFC5246_BAD_CERT RFC5246_WEAK_HASH,
     CD_BOTH | CD_POLICY12},
    {"key-mismatch", SD_decrypt_error, "whose key did not make the signature", RFC8446_KEY_MISMATCH,
     RFC5246_KEY_MISMATCH, CD_BOTH | CD_HAND_WRITTEN13},
    {"revoked", SD_certificate_revoked, "that its issuer has revoked", RFC8446_REVOKED, RFC5246_REVOKED,
     CD_BOTH | CD_HAND_WRITTEN13},
};
#define N_CERT_DEFECTS (sizeof(cert_defects) / sizeof(cert_defects[0]))

/* The cases that are not a credential of their own. */
#define RFC8446_EMPTY_SERVER                                                                                           \
    "RFC 8446 §4.4.2.4: \"If the server supplies an empty Certificate message, the client MUST abort the "            \
    "handshake with a \"decode_error\" alert.\""
#define RFC8446_EMPTY_CLIENT                                                                                           \
    "RFC 8446 §4.4.2.4: \"If the client does not send any certificates (i.e., it sends an empty Certificate "         \
    "message), the server MAY at its discretion either continue the handshake without client authentication or "       \
    "abort the handshake with a \"certificate_required\" alert.\" (client-auth: require: it aborts)"
#define RFC5246_EMPTY_SERVER                                                                                           \
    "RFC 5246 §7.4.2: \"certificate_list: This is a sequence (chain) of certificates. The sender's certificate "      \
    "MUST come first in the list.\" An empty list lacks it; RFC 5246 names no alert for this, so the model's "         \
    "choice, decode_error as RFC 8446 §4.4.2.4 prescribes, is expected."
#define RFC5246_EMPTY_CLIENT                                                                                           \
    "RFC 5246 §7.4.6: \"If the client does not send any certificates, the server MAY at its discretion either "       \
    "continue the handshake without client authentication, or respond with a fatal handshake_failure alert.\" "        \
    "(client-auth: require: it refuses)"
#define RFC8446_ENTRY_EXTENSION                                                                                        \
    "RFC 8446 §4.4.2: \"Extensions in the Certificate message from the server MUST correspond to ones from the "      \
    "ClientHello message. Extensions in the Certificate message from the client MUST correspond to extensions in "     \
    "the CertificateRequest message from the server.\" §4.2: \"Implementations MUST NOT send extension responses "    \
    "if the remote endpoint did not send the corresponding extension requests, ... Upon receiving such an "            \
    "extension, an endpoint MUST abort the handshake with an \"unsupported_extension\" alert.\""

/* The extension the driver adds to its first CertificateEntry: one RFC 8446
 * §4.2 allows in a Certificate (CH, CR, CT), which neither side asks for. */
#define ENTRY_EXTENSION "signed_certificate_timestamp"

/* BoringSSL's answers where they are not the RFC's (SOFT), per case. */
typedef struct {
    const char *id;
    const char *note;
} cert_note;

static const char note_cert_bad_signature[] =
    "BoringSSL answers decrypt_error (SOFT): SSL_alert_from_verify_result in ssl/ssl_x509.cc maps "
    "X509_V_ERR_CERT_SIGNATURE_FAILURE to SSL_AD_DECRYPT_ERROR. It does refuse.";
static const char note_cert_ca_as_leaf[] =
    "BoringSSL completes (SOFT, policy): its verifier and TLS code accept a CA certificate (cA TRUE, "
    "keyCertSign) as the peer's end-entity certificate (tests/test_pki.c, kDefects). RFC 5280 does not forbid "
    "it; refusing it is the model's policy.";
static const char note_cert_weak_key[] =
    "BoringSSL completes (SOFT, policy): it sets no minimum size for the RSA key of a peer's certificate and "
    "accepts RSA-1024 (tests/test_pki.c, kDefects). Refusing keys under 2048 bits is the model's policy "
    "(SD_PKI_MIN_RSA_BITS, harness/crypto/pki.h).";
static const char note_cert_critical[] =
    "BoringSSL answers certificate_unknown (SOFT): its verifier reports X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, "
    "which ssl/ssl_x509.cc maps to certificate_unknown. It does refuse.";
static const char note_cert_key_usage13[] =
    "BoringSSL answers illegal_parameter (SOFT): its X.509 verifier accepts the keyUsage, and its TLS 1.3 code "
    "then refuses a key that may not sign with illegal_parameter (KEY_USAGE_BIT_INCORRECT). It does refuse.";
static const char note_cert_key_usage12[] =
    "BoringSSL ends without an alert (SOFT closed): its TLS 1.2 client takes the Certificate, ServerKeyExchange "
    "and ServerHelloDone, then fails with KEY_USAGE_BIT_INCORRECT where it would send its ClientKeyExchange, "
    "and sends no alert. It does refuse.";
static const char note_cert_weak_hash[] =
    "BoringSSL answers unknown_ca (SOFT), but not for the hash: its adapter turns on CRL checking and the PKI has "
    "no CRL for the RSA intermediate that signed this leaf, so the verifier stops at \"unable to get certificate "
    "CRL\". With no CRL check its verifier accepts the signature (tests/test_pki.c, kDefects).";

static const cert_note cert_notes[] = {
    {"tls13.server.gen-certificate.bad-signature", note_cert_bad_signature},
    {"tls12.server.gen-certificate.bad-signature", note_cert_bad_signature},
    {"tls12.client.gen-certificate.bad-signature", note_cert_bad_signature},
    {"tls13.server.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls13.client.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls12.server.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls12.client.gen-certificate.ca-as-leaf", note_cert_ca_as_leaf},
    {"tls13.server.gen-certificate.weak-key", note_cert_weak_key},
    {"tls13.client.gen-certificate.weak-key", note_cert_weak_key},
    {"tls12.server.gen-certificate.weak-key", note_cert_weak_key},
    {"tls12.client.gen-certificate.weak-key", note_cert_weak_key},
    {"tls13.server.gen-certificate.unknown-critical-extension", note_cert_critical},
    {"tls12.server.gen-certificate.unknown-critical-extension", note_cert_critical},
    {"tls12.client.gen-certificate.unknown-critical-extension", note_cert_critical},
    {"tls13.server.gen-certificate.wrong-key-usage", note_cert_key_usage13},
    {"tls12.client.gen-certificate.wrong-key-usage", note_cert_key_usage12},
    {"tls13.server.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls13.client.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls12.server.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls12.client.gen-certificate.sha1-signature", note_cert_weak_hash},
    {"tls13.server.gen-certificate.md5-signature", note_cert_weak_hash},
    {"tls13.client.gen-certificate.md5-signature", note_cert_weak_hash},
    {"tls12.server.gen-certificate.md5-signature", note_cert_weak_hash},
    {"tls12.client.gen-certificate.md5-signature", note_cert_weak_hash},
};

static const char *cert_note_for(const char *id) {
    for (size_t i = 0; i < sizeof(cert_notes) / sizeof(cert_notes[0]); i++)
        if (strcmp(cert_notes[i].id, id) == 0) return cert_notes[i].note;
    return NULL;
}

/* One scenario: the header block, then the shape's steps with the driver's
 * Certificate and CertificateVerify as the case wants them. `cert` is the
 * credential the driver presents as client (server under test; NULL: the
 * `empty` list), `server_credential` the one it presents as server. */
static void gen_certificate_one(gen *g, bool tls12, sd_role target, const char *detail, const char *title,
                                const char *rfc, uint8_t alert, const char *server_credential, const char *cert,
                                bool empty, const char *certificate_extra, bool policy) {
    const char *role = target == SD_ROLE_CLIENT ? "client" : "server";
    const char *v = tls12 ? "tls12" : "tls13";
    sd_role driver = target == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    char id[128];
    snprintf(id, sizeof id, "%s.%s.gen-certificate.%s", v, role, detail);
    sd_buf_reset(&g->text);
    putf(g, "id: %s\n", id);
    putf(g, "title: %s\n", title);
    putf(g, "rfc: %s\n", rfc);
    putf(g, "role: %s\n", role);
    putf(g, "version: %s\n", tls12 ? "1.2" : "1.3");
    putf(g, "tags: generated, gen-certificate, certificate, %s, %s%s%s\n", role, v,
         target == SD_ROLE_SERVER ? ", client-auth" : "", policy ? ", policy" : "");
    putf(g, "expect: alert %s\n", sd_alert_name(alert));
    if (server_credential) putf(g, "credential: %s\n", server_credential);
    if (target == SD_ROLE_SERVER) put(g, "client-auth: require\n");
    const char *note = cert_note_for(id);
    if (note) putf(g, "note: %s\n", note);
    put(g, "\n");
    unsigned flags = (tls12 ? SD_SHAPE_TLS12 : 0) |
                     (target == SD_ROLE_SERVER ? SD_SHAPE_CLIENT_AUTH | (empty ? SD_SHAPE_NO_CLIENT_CERT : 0) : 0);
    const sd_shape *shape = sd_shape_with_flags(flags);
    if (!shape) {
        snprintf(g->err, g->err_len, "generate: no shape with flags 0x%x for gen-certificate", flags);
        g->ok = false;
        return;
    }
    for (size_t i = 0; i < shape->n_steps; i++) {
        const sd_step *st = &shape->steps[i];
        bool ours = st->from == driver;
        if (st->msg == SD_MSG_CHANGE_CIPHER_SPEC) {
            put(g, ours ? "send-ccs\n" : "expect-ccs\n");
            continue;
        }
        const char *name = sd_handshake_type_name(st->msg);
        putf(g, "%s %s", ours ? "send" : "expect", name ? name : "?");
        if (ours && st->msg == SD_Certificate) {
            if (empty)
                put(g, " empty");
            else if (cert)
                putf(g, " cert=%s", cert);
            if (certificate_extra) putf(g, " %s", certificate_extra);
        }
        if (ours && st->msg == SD_CertificateVerify && cert) putf(g, " cert=%s", cert);
        put(g, "\n");
    }
    finish(g, "gen-certificate");
}

static void gen_certificate(gen *g, bool tls12) {
    static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};
    char title[200], detail[64];
    for (size_t r = 0; r < 2 && g->ok; r++) {
        sd_role target = roles[r];
        bool client = target == SD_ROLE_CLIENT;
        const char *who = client ? "Client rejects a server certificate" : "Server rejects a client certificate";
        for (size_t i = 0; i < N_CERT_DEFECTS && g->ok; i++) {
            const cert_defect *d = &cert_defects[i];
            if (!(d->flags & (client ? CD_SERVER_CERT : CD_CLIENT_CERT))) continue;
            if (client && !tls12 && (d->flags & CD_HAND_WRITTEN13)) continue;
            snprintf(title, sizeof title, "%s %s", who, d->what);
            gen_certificate_one(g, tls12, target, d->name, title, tls12 ? d->rfc12 : d->rfc13, d->alert,
                                client ? d->name : NULL, client ? NULL : d->name, false, NULL,
                                (d->flags & CD_POLICY) || (tls12 && (d->flags & CD_POLICY12)));
        }
        /* The empty list: the fixture's empty-chain credential (no
         * certificate) is exactly `send Certificate empty`. TLS 1.3's client
         * side is scenarios/tls13/client.certificate.empty.sd. */
        if (!(client && !tls12)) {
            snprintf(title, sizeof title, "%s list that is empty",
                     client ? "Client rejects a server certificate"
                            : "Server requiring a certificate rejects a client certificate");
            snprintf(detail, sizeof detail, "empty-chain");
            uint8_t alert = client ? SD_decode_error : tls12 ? SD_handshake_failure : SD_certificate_required;
            const char *rfc = client ? (tls12 ? RFC5246_EMPTY_SERVER : RFC8446_EMPTY_SERVER)
                                     : (tls12 ? RFC5246_EMPTY_CLIENT : RFC8446_EMPTY_CLIENT);
            gen_certificate_one(g, tls12, target, detail, title, rfc, alert, NULL, NULL, true, NULL, false);
        }
        /* TLS 1.2 has no extensions in the Certificate message (§7.4.2). */
        if (!tls12) {
            snprintf(title, sizeof title, "%s whose CertificateEntry carries an extension never asked for", who);
            gen_certificate_one(g, tls12, target, "entry-extension", title, RFC8446_ENTRY_EXTENSION,
                                SD_unsupported_extension, NULL, client ? NULL : "client", false,
                                "add-ext=" ENTRY_EXTENSION, false);
        }
    }
}

/* --- Driver ------------------------------------------------------------------ */

static bool generate(sd_generated *out, char *err, size_t err_len, bool tls13, bool tls12) {
    memset(out, 0, sizeof(*out));
    char dummy[8];
    gen g = {.out = out, .err = err_len ? err : dummy, .err_len = err_len ? err_len : sizeof(dummy), .ok = true};
    sd_buf_init(&g.text);
    static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};
    for (size_t r = 0; r < 2 && g.ok && tls13; r++) gen_order(&g, roles[r]);
    for (size_t r = 0; r < 2 && g.ok && tls13; r++) gen_malformed(&g, roles[r]);
    for (size_t r = 0; r < 2 && g.ok && tls13; r++) gen_finished(&g, roles[r]);
    for (size_t r = 0; r < 2 && g.ok && tls13; r++) gen_alert(&g, roles[r]);
    for (size_t r = 0; r < 2 && g.ok && tls13; r++) gen_record(&g, roles[r]);
    if (g.ok && tls13) gen_certificate(&g, false);
    if (g.ok && tls12) gen_tls12(&g);
    if (g.ok && tls12) gen_certificate(&g, true);
    sd_buf_free(&g.text);
    if (!g.ok) {
        sd_generated_free(out);
        return false;
    }
    return true;
}

bool sd_generate_tls13(sd_generated *out, char *err, size_t err_len) { return generate(out, err, err_len, true, false); }
bool sd_generate_tls12(sd_generated *out, char *err, size_t err_len) { return generate(out, err, err_len, false, true); }
bool sd_generate_all(sd_generated *out, char *err, size_t err_len) { return generate(out, err, err_len, true, true); }

void sd_generated_free(sd_generated *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n; i++) sd_scenario_free(&g->items[i]);
    free(g->items);
    memset(g, 0, sizeof(*g));
}

const char *sd_generated_family_of(const sd_scenario *s) {
    for (size_t t = 0; t < s->n_tags; t++)
        for (size_t f = 0; f < sd_n_generated_families; f++)
            if (strcmp(s->tags[t], sd_generated_families[f].name) == 0) return sd_generated_families[f].name;
    return NULL;
}
