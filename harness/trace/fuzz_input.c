/* fuzz_input.c — fuzz input bytes to trace; see fuzz_input.h. */
#include "trace/fuzz_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/binary.h"
#include "trace/step_under_test.h"
#include "wire/handshake.h"
#include "wire/cert_compression.h"
#include "wire/names.h"

const char *const sd_fuzz_target_names[] = {
    "fuzz_client_hello",
    "fuzz_server_hello",
    "fuzz_encrypted_extensions",
    "fuzz_certificate",
    "fuzz_certificate_request",
    "fuzz_certificate_verify",
    "fuzz_finished",
    "fuzz_new_session_ticket",
    "fuzz_key_update",
    "fuzz_hello_retry_request",
    "fuzz_tls12_client_hello",
    "fuzz_tls12_server_hello",
    "fuzz_tls12_certificate",
    "fuzz_server_key_exchange",
    "fuzz_tls12_certificate_request",
    "fuzz_server_hello_done",
    "fuzz_client_key_exchange",
    "fuzz_tls12_certificate_verify",
    "fuzz_tls12_finished",
    "fuzz_tls12_new_session_ticket",
    "fuzz_alert",
    "fuzz_record",
    "fuzz_trace",
    "fuzz_compressed_certificate",
    "fuzz_psk_client_hello",
    "fuzz_early_data",
    NULL,
};

bool sd_fuzz_target_known(const char *name) {
    if (name == NULL) return false;
    for (size_t i = 0; sd_fuzz_target_names[i]; i++)
        if (strcmp(sd_fuzz_target_names[i], name) == 0) return true;
    return false;
}

static void say(char *err, size_t err_len, const char *msg, const char *arg) {
    if (err && err_len) snprintf(err, err_len, msg, arg);
}

/* --- Small builders --------------------------------------------------------- */

/* A TLS 1.3 server's flight in a full handshake (§2, Figure 1). */
static const uint16_t server_flight13[] = {SD_ServerHello, SD_EncryptedExtensions, SD_Certificate,
                                           SD_CertificateVerify, SD_Finished};

static sd_action *add(sd_trace *t, sd_action_kind kind, uint16_t msg_type) {
    sd_action *a = sd_trace_add(t, kind);
    if (a) a->msg_type = msg_type;
    return a;
}

static bool copy_bytes(const uint8_t *data, size_t len, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (len == 0) return true;
    *out = malloc(len);
    if (!*out) return false;
    memcpy(*out, data, len);
    *out_len = len;
    return true;
}

static sd_mutation *add_mutation(sd_action *a, sd_mutation_kind kind) {
    if (a->n_mutations >= SD_MAX_MUTATIONS) return NULL;
    sd_mutation *m = &a->mutations[a->n_mutations++];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    return m;
}

/* send ClientHello body=<input>; expect ServerHello. The driver builds an
 * honest ClientHello first and the body mutation replaces it, so the record
 * and handshake headers stay honest (type 1, true length) and only the body
 * is the fuzzer's: every input reaches the stack's ClientHello parser. */
static bool client_hello_trace(const uint8_t *data, size_t len, sd_trace *out, sd_role *role) {
    sd_action *send = add(out, SD_ACT_SEND, SD_ClientHello);
    if (!send) return false;
    sd_mutation *m = add_mutation(send, SD_MUT_BODY);
    if (!copy_bytes(data, len, &m->bytes, &m->bytes_len)) return false;
    if (!add(out, SD_ACT_EXPECT, SD_ServerHello)) return false;
    *role = SD_ROLE_SERVER;
    return true;
}

/* --- Handshake-message targets ----------------------------------------------
 * One table row per target: the version, the message and the role that
 * receives it. The trace is the honest handshake of that version, in the
 * shape the variant byte chooses, with the driver's send of the message
 * under test fuzzed (sd_fuzz_setup tells the run the version, suite,
 * credential and client authentication).
 *
 * Input: one variant byte, then the message body. The variant byte:
 *   bit 0     shape: 0 = the rest of the input replaces the body;
 *                    1 = the driver's honest body, edited by the rest of the
 *                        input: n = input[1] % 7 flips, each (offset u16 BE,
 *                        mask u8), then any bytes left are appended.
 *                        Messages that depend on the live handshake
 *                        (ServerHello's session id echo and key share,
 *                        CertificateVerify's signature, Finished's MAC,
 *                        ServerKeyExchange's signature, ClientKeyExchange's
 *                        share) can only be reached this way: a replaced
 *                        body cannot guess them. The TLS 1.3
 *                        CertificateRequest, NewSessionTicket and KeyUpdate
 *                        targets ignore this bit: their body is always
 *                        replaced.
 *   bit 1     side, for messages either peer sends (Finished, KeyUpdate,
 *             the TLS 1.2 Certificate): 0 = the stack under test is the
 *             client, 1 = the server.
 *   bits 2-3  framing: 0 = one record; 1 = two records (split in the
 *             middle); 2 = records of at most 16 bytes (at most 64
 *             records); 3 = one record after a ChangeCipherSpec, which
 *             RFC 8446 §5 allows during a TLS 1.3 handshake and forbids
 *             after it; in TLS 1.2 it is an early or second CCS (RFC 5246
 *             §7.1: the CCS comes right before Finished).
 *   bits 4-5  TLS 1.2 only, the key exchange (the suite the driver offers
 *             or picks, and the server's credential): 0 = ECDHE_ECDSA
 *             (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "leaf"),
 *             1 = ECDHE_RSA (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
 *             "leaf-rsa"), 2 = static RSA (TLS_RSA_WITH_AES_128_GCM_SHA256,
 *             "leaf-rsa"), 3 = ECDHE_ECDSA with the SHA-384 PRF
 *             (TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "leaf").
 *   bit 6     TLS 1.2 only, client authentication: the server asks for a
 *             certificate (RFC 5246 §7.4.4). A client under test answers
 *             with its "client" certificate and a CertificateVerify
 *             (§7.4.6, §7.4.8); a server under test gets the driver's
 *             "client" certificate and CertificateVerify. Always on where
 *             the message under test needs it (CertificateRequest,
 *             CertificateVerify, and the client's Certificate).
 *   bit 7     TLS 1.2 only, with client authentication and a client under
 *             test: the client has no certificate and answers with an
 *             empty Certificate and no CertificateVerify (§7.4.6).
 * Bits 4-7 are ignored by the TLS 1.3 targets.
 * An empty input is variant 0 with an empty body. */

typedef enum { RECEIVED_BY_CLIENT, RECEIVED_BY_SERVER, RECEIVED_BY_EITHER } receiver;

typedef struct {
    const char *name;
    uint16_t version;
    uint16_t type; /* handshake type, or SD_MSG_TYPE_HELLO_RETRY_REQUEST */
    receiver receiver;
    bool honest; /* the driver can build the honest body */
} message_target;

static const message_target message_targets[] = {
    {"fuzz_server_hello", SD_TLS13, SD_ServerHello, RECEIVED_BY_CLIENT, true},
    {"fuzz_hello_retry_request", SD_TLS13, SD_MSG_TYPE_HELLO_RETRY_REQUEST, RECEIVED_BY_CLIENT, true},
    {"fuzz_encrypted_extensions", SD_TLS13, SD_EncryptedExtensions, RECEIVED_BY_CLIENT, true},
    {"fuzz_certificate", SD_TLS13, SD_Certificate, RECEIVED_BY_CLIENT, true},
    /* RFC 8879 §4, in the server Certificate's place; the setup has the
     * client offer zlib and brotli (message_trace). */
    {"fuzz_compressed_certificate", SD_TLS13, SD_CompressedCertificate, RECEIVED_BY_CLIENT, true},
    {"fuzz_certificate_request", SD_TLS13, SD_CertificateRequest, RECEIVED_BY_CLIENT, false},
    {"fuzz_certificate_verify", SD_TLS13, SD_CertificateVerify, RECEIVED_BY_CLIENT, true},
    {"fuzz_finished", SD_TLS13, SD_Finished, RECEIVED_BY_EITHER, true},
    {"fuzz_new_session_ticket", SD_TLS13, SD_NewSessionTicket, RECEIVED_BY_CLIENT, false},
    {"fuzz_key_update", SD_TLS13, SD_KeyUpdate, RECEIVED_BY_EITHER, false},
    {"fuzz_tls12_client_hello", SD_TLS12, SD_ClientHello, RECEIVED_BY_SERVER, true},
    {"fuzz_tls12_server_hello", SD_TLS12, SD_ServerHello, RECEIVED_BY_CLIENT, true},
    {"fuzz_tls12_certificate", SD_TLS12, SD_Certificate, RECEIVED_BY_EITHER, true},
    {"fuzz_server_key_exchange", SD_TLS12, SD_ServerKeyExchange, RECEIVED_BY_CLIENT, true},
    {"fuzz_tls12_certificate_request", SD_TLS12, SD_CertificateRequest, RECEIVED_BY_CLIENT, true},
    {"fuzz_server_hello_done", SD_TLS12, SD_ServerHelloDone, RECEIVED_BY_CLIENT, true},
    {"fuzz_client_key_exchange", SD_TLS12, SD_ClientKeyExchange, RECEIVED_BY_SERVER, true},
    {"fuzz_tls12_certificate_verify", SD_TLS12, SD_CertificateVerify, RECEIVED_BY_SERVER, true},
    {"fuzz_tls12_finished", SD_TLS12, SD_Finished, RECEIVED_BY_EITHER, true},
    {"fuzz_tls12_new_session_ticket", SD_TLS12, SD_NewSessionTicket, RECEIVED_BY_CLIENT, true},
};

static const message_target *find_message_target(const char *name) {
    for (size_t i = 0; i < sizeof message_targets / sizeof message_targets[0]; i++)
        if (strcmp(message_targets[i].name, name) == 0) return &message_targets[i];
    return NULL;
}

/* The TLS 1.2 key exchanges of variant bits 4-5: the one suite the driver
 * offers or picks, and the server credential that fits it. */
static const struct {
    uint16_t suite;
    const char *credential;
} tls12_key_exchanges[4] = {
    {SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "leaf"},
    {SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "leaf-rsa"},
    {SD_TLS_RSA_WITH_AES_128_GCM_SHA256, "leaf-rsa"},
    {SD_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "leaf"},
};

void sd_fuzz_tls12_key_exchange(unsigned kx, uint16_t *suite, const char **credential) {
    kx &= 3;
    if (suite) *suite = tls12_key_exchanges[kx].suite;
    if (credential) *credential = tls12_key_exchanges[kx].credential;
}

/* Puts the fuzzer's edits on the send action `a` (see above). */
static bool fuzz_message(const message_target *mt, uint8_t variant, const uint8_t *body, size_t len,
                         sd_action *a) {
    bool edit = (variant & 1) && mt->honest;
    size_t body_len = len; /* for the framing: roughly the bytes sent */
    if (edit) {
        size_t pos = 0;
        /* At most 6 flips, so that flips, the append and the split fit in
         * SD_MAX_MUTATIONS (8). */
        unsigned n = len > 0 ? body[pos++] % 7 : 0;
        for (unsigned i = 0; i < n && pos + 3 <= len; i++, pos += 3) {
            sd_mutation *m = add_mutation(a, SD_MUT_FLIP);
            if (!m) return false;
            m->offset = (long)((unsigned)body[pos] << 8 | body[pos + 1]);
            m->value = body[pos + 2];
        }
        if (pos < len) {
            sd_mutation *m = add_mutation(a, SD_MUT_APPEND);
            if (!m) return false;
            if (!copy_bytes(body + pos, len - pos, &m->bytes, &m->bytes_len)) return false;
        }
        body_len = 256; /* honest messages are of this order */
    } else {
        sd_mutation *m = add_mutation(a, SD_MUT_BODY);
        if (!m || !copy_bytes(body, len, &m->bytes, &m->bytes_len)) return false;
    }
    unsigned framing = (variant >> 2) & 3;
    size_t whole = body_len + 4; /* handshake header + body */
    if (framing == 1 || framing == 2) {
        sd_mutation *m = add_mutation(a, SD_MUT_SPLIT);
        if (!m) return false;
        size_t split = framing == 1 ? (whole + 1) / 2 : 16;
        if (framing == 2 && whole / 16 > 64) split = whole / 64 + 1;
        if (split < 1) split = 1;
        if (split > 16384) split = 16384;
        m->value = (long)split;
    }
    return true;
}

/* Writes the honest handshake into out, with the message under test
 * fuzzed where the driver sends it. */
typedef struct {
    const message_target *mt;
    uint8_t variant;
    const uint8_t *body;
    size_t len;
    sd_trace *out;
    bool placed; /* the message under test is in the trace */
} message_builder;

static bool expect_msg(message_builder *b, uint16_t type) { return add(b->out, SD_ACT_EXPECT, type) != NULL; }

/* The driver sends `type`; the first send of the message under test is the
 * fuzzed one, after a ChangeCipherSpec when the framing asks for it. */
static bool send_msg(message_builder *b, uint16_t type) {
    bool fuzzed = !b->placed && type == b->mt->type;
    if (fuzzed && ((b->variant >> 2) & 3) == 3 && !add(b->out, SD_ACT_SEND_CCS, 0)) return false;
    sd_action *a = add(b->out, SD_ACT_SEND, type);
    if (!a) return false;
    if (!fuzzed) return true;
    b->placed = true;
    return fuzz_message(b->mt, b->variant, b->body, b->len, a);
}

static bool sends(const message_builder *b, uint16_t type) { return b->mt->type == type; }

/* TLS 1.3 (RFC 8446 §2, Figure 1). Stack = client: the driver plays an
 * honest server (with a HelloRetryRequest first when that is the message
 * under test, Figure 2) and fuzzes one message of its flight, or a
 * post-handshake message after the client's Finished. Stack = server: the
 * driver plays an honest client up to its Finished, then a post-handshake
 * message. */
static bool tls13_trace(message_builder *b, sd_role stack) {
    bool ok = true;
    if (stack == SD_ROLE_CLIENT) {
        ok = expect_msg(b, SD_ClientHello);
        if (ok && sends(b, SD_MSG_TYPE_HELLO_RETRY_REQUEST))
            ok = send_msg(b, SD_MSG_TYPE_HELLO_RETRY_REQUEST) && expect_msg(b, SD_ClientHello);
        ok = ok && send_msg(b, SD_ServerHello) && send_msg(b, SD_EncryptedExtensions);
        /* CertificateRequest only when it is the message under test; §4.4.2:
         * a client asked for a certificate answers with a (here empty)
         * Certificate before its Finished. */
        bool cr = sends(b, SD_CertificateRequest);
        ok = ok && (!cr || send_msg(b, SD_CertificateRequest));
        /* RFC 8879 §4: a CompressedCertificate "replacing the Certificate
         * message" when it is the message under test. */
        uint16_t certificate = sends(b, SD_CompressedCertificate) ? SD_CompressedCertificate : SD_Certificate;
        ok = ok && send_msg(b, certificate) && send_msg(b, SD_CertificateVerify) && send_msg(b, SD_Finished);
        ok = ok && (!cr || expect_msg(b, SD_Certificate)) && expect_msg(b, SD_Finished);
    } else {
        static const uint16_t server_flight[] = {SD_ServerHello, SD_EncryptedExtensions, SD_Certificate,
                                                 SD_CertificateVerify, SD_Finished};
        ok = send_msg(b, SD_ClientHello);
        for (size_t i = 0; ok && i < sizeof server_flight / sizeof server_flight[0]; i++)
            ok = expect_msg(b, server_flight[i]);
        ok = ok && send_msg(b, SD_Finished);
    }
    if (!ok || b->placed) return ok;
    /* A post-handshake message (§4.6). */
    if (!send_msg(b, b->mt->type)) return false;
    if (stack == SD_ROLE_CLIENT && sends(b, SD_NewSessionTicket)) {
        /* The connection still works after the ticket (targets echo
         * application data, target.h). A KeyUpdate the stack accepts
         * changes its read keys, which the driver does not follow, so that
         * trace ends at the KeyUpdate. */
        sd_action *d = add(b->out, SD_ACT_SEND_APPDATA, 0);
        sd_action *e = add(b->out, SD_ACT_EXPECT_APPDATA, 0);
        if (!d || !e || !copy_bytes((const uint8_t *)"ping", 4, &d->bytes, &d->bytes_len) ||
            !copy_bytes((const uint8_t *)"ping", 4, &e->bytes, &e->bytes_len))
            return false;
    }
    return true;
}

/* TLS 1.2 (RFC 5246 §7.3, Figure 1), full handshake. Optional messages
 * appear when the shape has them (ServerKeyExchange for ECDHE, RFC 8422
 * §2; CertificateRequest and the client's Certificate and
 * CertificateVerify with client authentication) or when they are the
 * message under test (so a ServerKeyExchange is also sent, unexpected, in
 * a static RSA handshake, §7.4.3). The ChangeCipherSpec is a step (§7.1). */
static bool tls12_trace(message_builder *b, sd_role stack, bool ecdhe, bool client_auth, bool client_cert) {
    bool ske = ecdhe || sends(b, SD_ServerKeyExchange);
    bool cr = client_auth || sends(b, SD_CertificateRequest);
    bool ok;
    if (stack == SD_ROLE_CLIENT) {
        ok = expect_msg(b, SD_ClientHello) && send_msg(b, SD_ServerHello) && send_msg(b, SD_Certificate) &&
             (!ske || send_msg(b, SD_ServerKeyExchange)) && (!cr || send_msg(b, SD_CertificateRequest)) &&
             send_msg(b, SD_ServerHelloDone) && (!cr || expect_msg(b, SD_Certificate)) &&
             expect_msg(b, SD_ClientKeyExchange) &&
             (!cr || !client_cert || expect_msg(b, SD_CertificateVerify)) &&
             add(b->out, SD_ACT_EXPECT_CCS, 0) && expect_msg(b, SD_Finished);
        /* RFC 5077 §3.3: the ticket comes before the server's CCS (the
         * ServerHello announced it, sd_fuzz_setup). */
        ok = ok && (!sends(b, SD_NewSessionTicket) || send_msg(b, SD_NewSessionTicket));
        ok = ok && add(b->out, SD_ACT_SEND_CCS, 0) && send_msg(b, SD_Finished);
    } else {
        ok = send_msg(b, SD_ClientHello) && expect_msg(b, SD_ServerHello) && expect_msg(b, SD_Certificate) &&
             (!ecdhe || expect_msg(b, SD_ServerKeyExchange)) &&
             (!client_auth || expect_msg(b, SD_CertificateRequest)) && expect_msg(b, SD_ServerHelloDone) &&
             (!client_auth || send_msg(b, SD_Certificate)) && send_msg(b, SD_ClientKeyExchange) &&
             (!client_auth || send_msg(b, SD_CertificateVerify)) && add(b->out, SD_ACT_SEND_CCS, 0) &&
             send_msg(b, SD_Finished) && add(b->out, SD_ACT_EXPECT_CCS, 0) && expect_msg(b, SD_Finished);
    }
    return ok;
}

/* A setup's name field: every name here is a literal well under its
 * 64 bytes. */
static void set_name(char out[64], const char *name) { snprintf(out, 64, "%s", name); }

static bool message_trace(const message_target *mt, const uint8_t *data, size_t len, sd_trace *out,
                          sd_fuzz_setup *setup) {
    uint8_t variant = len > 0 ? data[0] : 0;
    message_builder b = {.mt = mt,
                         .variant = variant,
                         .body = len > 0 ? data + 1 : data,
                         .len = len > 0 ? len - 1 : 0,
                         .out = out};
    sd_role stack = mt->receiver == RECEIVED_BY_SERVER                         ? SD_ROLE_SERVER
                    : mt->receiver == RECEIVED_BY_EITHER && (variant & 2) != 0 ? SD_ROLE_SERVER
                                                                               : SD_ROLE_CLIENT;
    setup->role = stack;
    setup->version = mt->version;
    if (mt->type == SD_CompressedCertificate) {
        /* RFC 8879 §3: the client under test offers both algorithms the
         * stacks implement, so the honest message is in order. */
        setup->cert_compression[0] = SD_CERT_COMPRESSION_ZLIB;
        setup->cert_compression[1] = SD_CERT_COMPRESSION_BROTLI;
        setup->n_cert_compression = 2;
    }
    if (mt->version != SD_TLS12) return tls13_trace(&b, stack);

    unsigned kx = (variant >> 4) & 3;
    /* The server under test asks for the client certificate it is sent. */
    bool client_auth = (variant & 0x40) != 0 || mt->type == SD_CertificateRequest ||
                       mt->type == SD_CertificateVerify ||
                       (mt->type == SD_Certificate && stack == SD_ROLE_SERVER);
    setup->cipher_suite = tls12_key_exchanges[kx].suite;
    set_name(setup->server_credential, tls12_key_exchanges[kx].credential);
    bool client_cert = !(variant & 0x80);
    if (stack == SD_ROLE_SERVER && client_auth) {
        setup->client_auth = SD_CLIENT_AUTH_REQUEST;
        set_name(setup->client_credential, "client");
    }
    if (stack == SD_ROLE_CLIENT && client_auth && client_cert)
        set_name(setup->target_client_credential, "client");
    setup->announce_ticket = mt->type == SD_NewSessionTicket;
    return tls12_trace(&b, stack, kx != 2, client_auth, client_cert);
}

/* --- fuzz_alert ---------------------------------------------------------------
 * Input: position, level, description, flags, then an optional payload.
 *   position % 8: where the alert goes in an otherwise honest handshake.
 *     Stack = server (driver = client): 0 before the ClientHello, 1 after
 *     it (the server's handshake keys are in use), 2 after the client's
 *     Finished (application keys), 3 instead of the client's Finished.
 *     Stack = client (driver = server): 4 before the ServerHello, 5 after
 *     it, 6 after the server's Finished, 7 after the client's Finished.
 *     The rest of the honest handshake follows the alert, so a stack that
 *     wrongly ignores an error alert is seen to carry on (RFC 8446 §6).
 *   flags bit 0: force plaintext; bit 1: force encryption (ignored when
 *     bit 0 is set); bit 2: instead of one well-formed alert, send the
 *     payload (the input after the fourth byte) as the body of one alert
 *     record: fragments, coalesced alerts, trailing bytes (RFC 8446 §5.1:
 *     "Alert messages MUST NOT be fragmented across records, and multiple
 *     alert messages MUST NOT be coalesced into a single TLSPlaintext
 *     record"); bit 3: send it twice. */
static bool add_alert(sd_trace *out, const uint8_t *data, size_t len) {
    uint8_t level = len > 1 ? data[1] : SD_ALERT_LEVEL_FATAL;
    uint8_t desc = len > 2 ? data[2] : SD_handshake_failure;
    uint8_t flags = len > 3 ? data[3] : 0;
    const uint8_t *payload = len > 4 ? data + 4 : NULL;
    size_t payload_len = len > 4 ? len - 4 : 0;
    for (int i = 0; i < ((flags & 8) ? 2 : 1); i++) {
        sd_action *a = add(out, (flags & 4) ? SD_ACT_SEND_RAW : SD_ACT_SEND_ALERT, 0);
        if (!a) return false;
        a->force_plaintext = (flags & 1) != 0;
        a->encrypted = !(flags & 1) && (flags & 2);
        if (flags & 4) {
            a->content_type = SD_alert;
            /* send-raw sends as the connection state requires only when
             * told: without a flag it is plaintext (driver.c), so "as the
             * state requires" is spelled out as encrypted here unless the
             * input asked for plaintext. */
            if (!(flags & 1)) a->encrypted = true;
            if (!copy_bytes(payload, payload_len, &a->bytes, &a->bytes_len)) return false;
        } else {
            a->alert_level = level;
            a->alert = desc;
        }
    }
    return true;
}

static bool alert_trace(const uint8_t *data, size_t len, sd_trace *out, sd_role *role) {
    unsigned pos = (len > 0 ? data[0] : 0) % 8;
    if (pos < 4) {
        *role = SD_ROLE_SERVER;
        if (pos == 0 && !add_alert(out, data, len)) return false;
        if (!add(out, SD_ACT_SEND, SD_ClientHello)) return false;
        if (pos == 1 && !add_alert(out, data, len)) return false;
        for (size_t i = 0; i < sizeof server_flight13 / sizeof server_flight13[0]; i++)
            if (!add(out, SD_ACT_EXPECT, server_flight13[i])) return false;
        if (pos == 3) return add_alert(out, data, len);
        if (!add(out, SD_ACT_SEND, SD_Finished)) return false;
        return pos != 2 || add_alert(out, data, len);
    }
    *role = SD_ROLE_CLIENT;
    if (!add(out, SD_ACT_EXPECT, SD_ClientHello)) return false;
    if (pos == 4 && !add_alert(out, data, len)) return false;
    for (size_t i = 0; i < sizeof server_flight13 / sizeof server_flight13[0]; i++) {
        if (!add(out, SD_ACT_SEND, server_flight13[i])) return false;
        if (i == 0 && pos == 5 && !add_alert(out, data, len)) return false;
    }
    if (pos == 6 && !add_alert(out, data, len)) return false;
    if (!add(out, SD_ACT_EXPECT, SD_Finished)) return false;
    return pos != 7 || add_alert(out, data, len);
}

/* --- fuzz_record ---------------------------------------------------------------
 * Input: raw record-layer bytes from a client, as BoringSSL's own server
 * fuzzer takes them. They are cut into records at their header's length
 * (RFC 8446 §5.1: type u8, legacy_record_version u16, length u16,
 * fragment); each becomes one plaintext send-raw of that content type and
 * fragment (the driver writes the record header itself, so the version
 * field is not the fuzzer's). A last record that is cut short sends what
 * there is, except one whose length field says more than any input can
 * hold (over SD_FUZZ_MAX_INPUT - 5 bytes, up to SD_RAW_FILL_MAX): that one
 * is completed with zero bytes to its length (send-raw fill=), the one way
 * an input under the cap carries a record at or past the 2^14 limit of RFC
 * 8446 §5.1 ("The length MUST NOT exceed 2^14 bytes"). At most 64 records.
 * Then: expect ServerHello. */
static bool record_trace(const uint8_t *data, size_t len, sd_trace *out, sd_role *role) {
    *role = SD_ROLE_SERVER;
    size_t pos = 0;
    for (int n = 0; pos < len && n < 64; n++) {
        uint8_t type = data[pos];
        size_t frag_len = 0, start = pos + 5;
        if (pos + 5 <= len) frag_len = (size_t)data[pos + 3] << 8 | data[pos + 4];
        if (start > len) start = len;
        size_t fill = frag_len > SD_FUZZ_MAX_INPUT - 5 && frag_len <= SD_RAW_FILL_MAX ? frag_len : 0;
        if (frag_len > len - start) frag_len = len - start;
        if (fill == frag_len) fill = 0; /* complete after all (an input over the cap, replayed by hand) */
        sd_action *a = add(out, SD_ACT_SEND_RAW, 0);
        if (!a) return false;
        a->content_type = type;
        a->fill = fill;
        a->force_plaintext = true;
        if (!copy_bytes(data + start, frag_len, &a->bytes, &a->bytes_len)) return false;
        pos = start + frag_len;
    }
    return add(out, SD_ACT_EXPECT, SD_ServerHello) != NULL;
}

/* --- Resumption targets --------------------------------------------------------
 * fuzz_psk_client_hello and fuzz_early_data: the stack is a TLS 1.3 server
 * that issues tickets (sd_fuzz_setup.session_tickets). Connection 1 is an
 * honest full handshake that leaves the driver the target's ticket
 * (RFC 8446 §4.6.1); connection 2 offers it as a PSK (§4.2.11, the binder
 * computed over the real ticket and the ClientHello as sent, so only what
 * the input edits is wrong) and is fuzzed; the rest of connection 2 is what
 * an honest client does, whether the server resumes or declines the PSK
 * (§2.2: Certificate and CertificateVerify only in a full handshake). */

/* Connection 1 and the `connection` line that ends it. */
static bool ticket_connection(sd_trace *out) {
    if (!add(out, SD_ACT_SEND, SD_ClientHello)) return false;
    for (size_t i = 0; i < sizeof server_flight13 / sizeof server_flight13[0]; i++)
        if (!add(out, SD_ACT_EXPECT, server_flight13[i])) return false;
    return add(out, SD_ACT_SEND, SD_Finished) && add(out, SD_ACT_EXPECT, SD_NewSessionTicket) &&
           add(out, SD_ACT_CONNECTION, 0);
}

/* The server's answer to connection 2's ClientHello, resumed or full. */
static bool expect_resumed_flight(sd_trace *out) {
    for (size_t i = 0; i < sizeof server_flight13 / sizeof server_flight13[0]; i++) {
        /* Set before the next add, which may move the actions. */
        sd_action *a = add(out, SD_ACT_EXPECT, server_flight13[i]);
        if (!a) return false;
        a->if_full = server_flight13[i] == SD_Certificate || server_flight13[i] == SD_CertificateVerify;
    }
    return true;
}

/* The client's Finished and one echoed record: the connection works. */
static bool finish_and_ping(sd_trace *out) {
    if (!add(out, SD_ACT_SEND, SD_Finished)) return false;
    sd_action *d = add(out, SD_ACT_SEND_APPDATA, 0);
    sd_action *e = add(out, SD_ACT_EXPECT_APPDATA, 0);
    return d && e && copy_bytes((const uint8_t *)"ping", 4, &d->bytes, &d->bytes_len) &&
           copy_bytes((const uint8_t *)"ping", 4, &e->bytes, &e->bytes_len);
}

static uint8_t input_byte(const uint8_t *data, size_t len, size_t at) { return at < len ? data[at] : 0; }

/* --- fuzz_psk_client_hello ----------------------------------------------------
 * Input: a header of six bytes (those past the input's end read as 0), then
 * edits of the honest ClientHello body.
 *   byte 0, flags:
 *     bit 0     psk-not-last: pre_shared_key before the last other extension
 *               (§4.2.11: "MUST be the last extension");
 *     bit 1     psk-identities=<byte 1 % 8>: the ticket offered that many times;
 *     bit 2     binders=<byte 2 % 8>: that many binders (honest: one per
 *               identity);
 *     bit 3     binder-length=<byte 3>: each binder that long, the honest HMAC
 *               cut or followed by zeros (PskBinderEntry is opaque<32..255>);
 *     bit 4     the last identity's obfuscated_ticket_age (§4.2.11.1): its
 *               byte <byte 4 % 4> XORed with <byte 5> (0 reads as 0x80), the
 *               binder computed over that;
 *     bits 5-6  framing: 0 one record; 1 records of at most 256 bytes; 2 of at
 *               most 32; 3 one record, then a ChangeCipherSpec, which §5 has a
 *               server drop "at any time after the first ClientHello";
 *     bit 7     the suite, and so the ticket's hash: 0 TLS_AES_128_GCM_SHA256,
 *               1 TLS_AES_256_GCM_SHA384 (setup.cipher_suite, for both
 *               connections).
 *   byte 6: n = byte % 7 flips, as many as the mutations left allow, each
 *     (offset u16 BE, mask u8): offsets below 0x8000 count from the body's
 *     start, the others from its end (0x8000 is the last byte), where
 *     pre_shared_key is; then any bytes left are appended to the body.
 * The driver computes the binders again over the edited body, unless an
 * edit touched them (driver_rebind_psk13). */
enum { PSK_HEADER = 6 };

static bool psk_client_hello_trace(const uint8_t *data, size_t len, sd_trace *out, sd_fuzz_setup *setup) {
    uint8_t flags = input_byte(data, len, 0);
    bool sha384 = (flags & 0x80) != 0;
    setup->role = SD_ROLE_SERVER;
    setup->version = SD_TLS13;
    setup->session_tickets = true;
    setup->cipher_suite = sha384 ? SD_TLS_AES_256_GCM_SHA384 : SD_TLS_AES_128_GCM_SHA256;
    if (!ticket_connection(out)) return false;
    sd_action *hello = add(out, SD_ACT_SEND, SD_ClientHello);
    if (!hello) return false;
    sd_mutation *m;
    long identities = 1, hash_len = sha384 ? 48 : 32;
    if ((flags & 1) && !add_mutation(hello, SD_MUT_PSK_NOT_LAST)) return false;
    if (flags & 2) {
        if (!(m = add_mutation(hello, SD_MUT_PSK_IDENTITIES))) return false;
        m->value = identities = input_byte(data, len, 1) % 8;
    }
    long binders = identities, binder_len = hash_len;
    if (flags & 4) {
        if (!(m = add_mutation(hello, SD_MUT_BINDERS))) return false;
        m->value = binders = input_byte(data, len, 2) % 8;
    }
    if (flags & 8) {
        if (!(m = add_mutation(hello, SD_MUT_BINDER_LENGTH))) return false;
        m->value = binder_len = input_byte(data, len, 3);
    }
    if ((flags & 0x10) && identities > 0) {
        /* OfferedPsks ends with the binders list (u16 length, then each
         * binder with its u8 length), right after the last identity's
         * 4-byte age. */
        long binders_list = 2 + binders * (1 + binder_len);
        uint8_t mask = input_byte(data, len, 5);
        if (!(m = add_mutation(hello, SD_MUT_FLIP_EXT))) return false;
        m->value = SD_pre_shared_key;
        m->offset = -(binders_list + 4 - input_byte(data, len, 4) % 4);
        m->mask = mask ? mask : 0x80;
    }
    unsigned framing = (flags >> 5) & 3;
    if (framing == 1 || framing == 2) {
        if (!(m = add_mutation(hello, SD_MUT_SPLIT))) return false;
        m->value = framing == 1 ? 256 : 32;
    }
    size_t pos = PSK_HEADER;
    const uint8_t *edits = len > pos ? data + pos : NULL;
    size_t edits_len = len > pos ? len - pos : 0, at = 0;
    unsigned n = edits_len > 0 ? edits[at++] % 7 : 0;
    for (unsigned i = 0; i < n && at + 3 <= edits_len; i++, at += 3) {
        /* Keep a mutation for the bytes after this flip, if any: a flip
         * that does not fit is appended with them. */
        bool rest = at + 3 < edits_len;
        if (hello->n_mutations + (rest ? 2u : 1u) > SD_MAX_MUTATIONS) break;
        m = add_mutation(hello, SD_MUT_FLIP);
        unsigned offset = (unsigned)edits[at] << 8 | edits[at + 1];
        m->offset = offset < 0x8000 ? (long)offset : -(long)(offset - 0x8000) - 1;
        m->value = edits[at + 2];
    }
    if (at < edits_len && hello->n_mutations < SD_MAX_MUTATIONS) {
        m = add_mutation(hello, SD_MUT_APPEND);
        if (!copy_bytes(edits + at, edits_len - at, &m->bytes, &m->bytes_len)) return false;
    }
    if (framing == 3 && !add(out, SD_ACT_SEND_CCS, 0)) return false;
    return expect_resumed_flight(out) && finish_and_ping(out);
}

/* --- fuzz_early_data ----------------------------------------------------------
 * The server also accepts 0-RTT (setup.early_data, `early-data: on`):
 * connection 2 offers the ticket with early_data (§4.2.10), sends 0-RTT
 * records under client_early_traffic_secret and EndOfEarlyData (§4.5).
 * Input: flags, an optional EndOfEarlyData body, then the early records.
 *   byte 0, flags:
 *     bits 0-1  EndOfEarlyData: 0 once, after the server's Finished (§4.5);
 *               1 never; 2 twice; 3 once, before the early records, which
 *               then follow it (under the handshake keys, §4.5);
 *     bit 2     the early records go after the server's Finished is read
 *               rather than right after the ClientHello (a client may write
 *               0-RTT data until its EndOfEarlyData);
 *     bit 3     EndOfEarlyData's body is the input's (honest: empty, §4.5):
 *               byte 1 its length n, then n bytes;
 *     bit 4     EndOfEarlyData goes unprotected (`plaintext`).
 *   Then at most 8 records, each a kind byte and what it needs:
 *     kind % 4 = 0: send-appdata, a length byte n and n bytes of data;
 *                1: send-raw of content type 20 + (kind >> 2) % 4
 *                   (change_cipher_spec, alert, handshake, application_data),
 *                   protected unless kind bit 4, a length byte and the payload;
 *                2: send-raw application_data, protected, of u16 BE % 
 *                   SD_RAW_FILL_MAX + 1 zero bytes: sizes around the ticket's
 *                   max_early_data_size (SD_EARLY_DATA_MAX, §4.6.1) and the
 *                   record limits (§5.1, §5.2);
 *                3: send-appdata as 0 with one record-level mutation by
 *                   (kind >> 2) % 4: record-flip of the tag's last byte,
 *                   inner-padding of ((kind >> 4) + 1) * 16 bytes, seq-skip=1
 *                   (§5.3), record-flip of the first byte.
 *   A record cut short by the input's end takes what there is. */
enum { EARLY_MAX_RECORDS = 8 };

/* Adds the early records of data[*at..len) to out. */
static bool add_early_records(const uint8_t *data, size_t len, size_t at, sd_trace *out) {
    for (int n = 0; at < len && n < EARLY_MAX_RECORDS; n++) {
        uint8_t kind = data[at++];
        sd_action *a;
        if (kind % 4 == 2) {
            unsigned size = (unsigned)input_byte(data, len, at) << 8 | input_byte(data, len, at + 1);
            at += 2;
            if (!(a = add(out, SD_ACT_SEND_RAW, 0))) return false;
            a->content_type = SD_application_data;
            a->encrypted = true;
            a->fill = size % SD_RAW_FILL_MAX + 1;
            continue;
        }
        size_t n_bytes = input_byte(data, len, at++);
        if (n_bytes > (at < len ? len - at : 0)) n_bytes = at < len ? len - at : 0;
        const uint8_t *bytes = data + (at < len ? at : len);
        at += n_bytes;
        if (kind % 4 == 1) {
            if (!(a = add(out, SD_ACT_SEND_RAW, 0))) return false;
            a->content_type = (uint8_t)(SD_change_cipher_spec + (kind >> 2) % 4);
            a->force_plaintext = (kind & 0x10) != 0;
            a->encrypted = !a->force_plaintext;
        } else {
            if (!(a = add(out, SD_ACT_SEND_APPDATA, 0))) return false;
        }
        if (!copy_bytes(bytes, n_bytes, &a->bytes, &a->bytes_len)) return false;
        if (kind % 4 != 3) continue;
        static const sd_mutation_kind record_mutations[4] = {SD_MUT_RECORD_FLIP, SD_MUT_INNER_PADDING,
                                                             SD_MUT_SEQ_SKIP, SD_MUT_RECORD_FLIP};
        unsigned which = (kind >> 2) % 4;
        sd_mutation *m = add_mutation(a, record_mutations[which]);
        m->value = which == 0 ? 0x01 : which == 1 ? ((kind >> 4) + 1) * 16 : which == 2 ? 1 : 0x80;
        m->offset = which == 0 ? -1 : 0;
    }
    return true;
}

static bool end_of_early_data(const uint8_t *data, size_t len, uint8_t flags, sd_trace *out) {
    sd_action *a = add(out, SD_ACT_SEND, SD_EndOfEarlyData);
    if (!a) return false;
    if (flags & 8) {
        size_t n = input_byte(data, len, 1), have = len > 2 ? len - 2 : 0;
        sd_mutation *m = add_mutation(a, SD_MUT_BODY);
        if (!copy_bytes(data + 2, n < have ? n : have, &m->bytes, &m->bytes_len)) return false;
    }
    return !(flags & 0x10) || add_mutation(a, SD_MUT_PLAINTEXT);
}

static bool early_data_trace(const uint8_t *data, size_t len, sd_trace *out, sd_fuzz_setup *setup) {
    uint8_t flags = input_byte(data, len, 0);
    setup->role = SD_ROLE_SERVER;
    setup->version = SD_TLS13;
    setup->session_tickets = true;
    setup->early_data = true;
    /* Where the records start: after the flags and the body, if any. */
    size_t records = 1;
    if (flags & 8) records = 2 + input_byte(data, len, 1);
    if (records > len) records = len;
    unsigned eoed = flags & 3;
    bool records_late = (flags & 4) || eoed == 3;
    if (!ticket_connection(out)) return false;
    sd_action *hello = add(out, SD_ACT_SEND, SD_ClientHello);
    if (!hello || !add_mutation(hello, SD_MUT_EARLY_DATA)) return false;
    if (!records_late && !add_early_records(data, len, records, out)) return false;
    if (!expect_resumed_flight(out)) return false;
    if (eoed == 3 && !end_of_early_data(data, len, flags, out)) return false;
    if (records_late && !add_early_records(data, len, records, out)) return false;
    for (unsigned i = 0; i < (eoed == 0 ? 1u : eoed == 2 ? 2u : 0u); i++)
        if (!end_of_early_data(data, len, flags, out)) return false;
    return finish_and_ping(out);
}

/* --- fuzz_trace ----------------------------------------------------------------
 * Input: a binary trace (harness/trace/binary.h). A trace with a setup
 * (version 3) runs as it says: TLS 1.2 or 1.3, the role, suite, fixture
 * credentials and client authentication of the setup. A trace without one
 * runs TLS 1.3 with the defaults; the stack under test is the client if
 * the trace's first action about the ClientHello expects one (the driver
 * is then the server), else the server. An input that does not decode is
 * an empty trace, which the fuzz target skips. */
static bool binary_trace(const uint8_t *data, size_t len, sd_trace *out, sd_fuzz_setup *setup) {
    char err[160];
    sd_fuzz_setup decoded;
    bool has_setup = false;
    if (!sd_trace_decode_with_setup(data, len, out, &decoded, &has_setup, err, sizeof err)) {
        sd_trace_init(out);
        return true;
    }
    /* `expect <hello> random=`: the end of a target's random is its own
     * random bytes, which BoringSSL draws afresh each run and the model
     * from its seed, so any other check passes by chance, or because the
     * fuzzer learned the model's bytes, and its finding would not replay.
     * Only a check that the random ends with one of RFC 8446 §4.1.3's
     * downgrade sentinels, "44 4F 57 4E 47 52 44 01" and "... 00", is a
     * check of the target, and kept. */
    static const uint8_t sentinel[7] = {0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44};
    for (size_t i = 0; i < out->n_actions; i++) {
        sd_action *a = &out->actions[i];
        if (a->kind != SD_ACT_EXPECT || a->bytes_len == 0) continue;
        const uint8_t *end = a->bytes_len >= 8 ? a->bytes + a->bytes_len - 8 : NULL;
        if (!end || memcmp(end, sentinel, sizeof sentinel) != 0 || end[7] > 1) {
            free(a->bytes);
            a->bytes = NULL;
            a->bytes_len = 0;
        }
    }
    if (has_setup)
        *setup = decoded;
    else
        setup->role = sd_trace_role_under_test(out);
    return true;
}

void sd_fuzz_setup_from_scenario(const sd_scenario *s, sd_fuzz_setup *out) {
    memset(out, 0, sizeof *out);
    out->role = s->role;
    out->version = s->version ? s->version : SD_TLS13;
    out->cipher_suite = s->cipher_suite;
    /* `credential:` is the driver's whatever its role, and the target's
     * when it is the server (sd_run_config_apply_scenario): the server's
     * credential of the setup, which sd_fuzz_setup_apply gives to both. */
    snprintf(out->server_credential, sizeof out->server_credential, "%s", s->credential);
    out->client_auth = s->client_auth;
    out->session_tickets = s->session_tickets;
    out->early_data = s->early_data;
    out->renegotiation = s->renegotiation;
    out->n_groups = s->n_groups;
    memcpy(out->groups, s->groups, s->n_groups * sizeof s->groups[0]);
    snprintf(out->staple, sizeof out->staple, "%s", s->staple);
    snprintf(out->target_client_credential, sizeof out->target_client_credential, "%s", s->client_credential);
    out->min_version = s->min_version;
    out->max_version = s->max_version;
    /* sd_scenario.alpn holds at most 255 bytes (script.c), as the setup. */
    out->alpn_len = s->alpn_len <= sizeof out->alpn ? s->alpn_len : 0;
    memcpy(out->alpn, s->alpn, out->alpn_len);
    out->record_size_limit = s->record_size_limit;
    out->max_fragment_length = s->max_fragment_length;
    out->encrypt_then_mac = s->encrypt_then_mac;
    out->n_cert_compression = s->n_cert_compression;
    memcpy(out->cert_compression, s->cert_compression, s->n_cert_compression * sizeof s->cert_compression[0]);
    out->n_sigalgs = s->n_sigalgs;
    memcpy(out->sigalgs, s->sigalgs, s->n_sigalgs * sizeof s->sigalgs[0]);
}

int sd_fuzz_first_deviation(const sd_fuzz_setup *setup, const sd_trace *t) {
    /* A scenario is large (its trace, its note): on the heap. */
    sd_scenario *s = calloc(1, sizeof *s);
    if (!s) return 0; /* judge from the first action: nothing is passed over */
    s->role = setup->role;
    s->version = setup->version;
    s->cipher_suite = setup->cipher_suite;
    s->client_auth = setup->client_auth;
    s->session_tickets = setup->session_tickets;
    snprintf(s->credential, sizeof s->credential, "%s", setup->server_credential);
    snprintf(s->staple, sizeof s->staple, "%s", setup->staple);
    s->n_cert_compression = setup->n_cert_compression;
    memcpy(s->cert_compression, setup->cert_compression,
           setup->n_cert_compression * sizeof s->cert_compression[0]);
    s->trace = *t; /* borrowed: s is freed, not the trace */
    int step = sd_scenario_first_deviation(s);
    free(s);
    return step;
}

bool sd_fuzz_setup_implied(const sd_fuzz_setup *s, const sd_trace *t) {
    return s->version == SD_TLS13 && s->role == sd_trace_role_under_test(t) && s->cipher_suite == 0 &&
           !s->server_credential[0] && !s->client_credential[0] && !s->target_client_credential[0] &&
           s->client_auth == SD_CLIENT_AUTH_NONE && !s->session_tickets && !s->announce_ticket &&
           s->n_groups == 0 && !s->staple[0] && !s->min_version && !s->early_data && !s->renegotiation &&
           s->alpn_len == 0 && !s->record_size_limit && !s->max_fragment_length && !s->encrypt_then_mac &&
           s->n_cert_compression == 0 && s->n_sigalgs == 0;
}

void sd_fuzz_setup_describe(const sd_fuzz_setup *s, char *out, size_t out_len) {
    if (!out || !out_len) return;
    size_t n = 0;
#define PUT(...)                                                 \
    do {                                                         \
        if (n < out_len) {                                       \
            int w = snprintf(out + n, out_len - n, __VA_ARGS__); \
            n = w < 0 ? out_len : n + (size_t)w;                 \
        }                                                        \
    } while (0)
    PUT("%s, %s under test", s->version == SD_TLS12 ? "TLS 1.2" : "TLS 1.3", sd_role_name(s->role));
    if (s->cipher_suite) {
        const char *name = sd_cipher_suite_name(s->cipher_suite);
        if (name)
            PUT(", cipher suite %s", name);
        else
            PUT(", cipher suite 0x%04x", (unsigned)s->cipher_suite);
    }
    if (s->server_credential[0]) PUT(", server credential %s", s->server_credential);
    if (s->client_credential[0]) PUT(", driver's client credential %s", s->client_credential);
    if (s->target_client_credential[0]) PUT(", target's client credential %s", s->target_client_credential);
    if (s->client_auth != SD_CLIENT_AUTH_NONE)
        PUT(", client authentication %s",
            s->client_auth == SD_CLIENT_AUTH_REQUIRE ? "required" : "requested");
    if (s->session_tickets) PUT(", the server issues session tickets");
    if (s->announce_ticket) PUT(", the driver's ServerHello announces a ticket");
    if (s->early_data) PUT(", 0-RTT allowed");
    if (s->renegotiation) PUT(", renegotiation allowed");
    for (size_t i = 0; i < s->n_groups && i < SD_MAX_SCENARIO_GROUPS; i++) {
        const char *name = sd_group_name(s->groups[i]);
        if (name)
            PUT("%s%s", i ? " " : ", groups ", name);
        else
            PUT("%s0x%04x", i ? " " : ", groups ", (unsigned)s->groups[i]);
    }
    if (s->staple[0]) PUT(", the driver staples %s.der", s->staple);
    if (s->alpn_len) {
        /* The names as `alpn:` writes them. */
        sd_reader it = sd_reader_of(sd_span_of(s->alpn, s->alpn_len));
        sd_span name;
        for (int i = 0; sd_alpn_next(&it, &name); i++)
            PUT("%s%.*s", i ? "," : ", ALPN ", (int)name.len, name.data);
    }
    if (s->record_size_limit) PUT(", record_size_limit %u", (unsigned)s->record_size_limit);
    if (s->encrypt_then_mac) PUT(", encrypt_then_mac");
    for (size_t i = 0; i < s->n_cert_compression && i < SD_MAX_CERT_COMPRESSION; i++) {
        const char *name = sd_cert_compression_name(s->cert_compression[i]);
        PUT("%s%s", i ? "," : ", certificate compression ", name ? name : "?");
    }
    for (size_t i = 0; i < s->n_sigalgs && i < SD_MAX_SCENARIO_SIGALGS; i++) {
        const char *name = sd_signature_scheme_name(s->sigalgs[i]);
        if (name)
            PUT("%s%s", i ? "," : ", signature schemes ", name);
        else
            PUT("%s0x%04x", i ? "," : ", signature schemes ", (unsigned)s->sigalgs[i]);
    }
    if (s->max_fragment_length)
        PUT(", max_fragment_length %zu", sd_max_fragment_length_bytes(s->max_fragment_length));
    if (s->min_version)
        PUT(", the %s speaks TLS 1.%d-1.%d", sd_role_name(s->role), s->min_version == SD_TLS12 ? 2 : 3,
            s->max_version == SD_TLS12 ? 2 : 3);
#undef PUT
}

sd_role sd_trace_role_under_test(const sd_trace *t) {
    for (size_t i = 0; i < t->n_actions; i++) {
        const sd_action *a = &t->actions[i];
        if ((a->kind == SD_ACT_SEND || a->kind == SD_ACT_EXPECT) && a->msg_type == SD_ClientHello)
            return a->kind == SD_ACT_EXPECT ? SD_ROLE_CLIENT : SD_ROLE_SERVER;
    }
    return SD_ROLE_SERVER;
}

bool sd_fuzz_input_build(const char *target, const uint8_t *data, size_t len, sd_trace *out,
                         sd_fuzz_setup *setup, char *err, size_t err_len) {
    sd_trace_init(out);
    if (err && err_len) err[0] = '\0';
    if (len > 0 && data == NULL) {
        say(err, err_len, "%s: no input bytes", target ? target : "(null)");
        return false;
    }
    sd_fuzz_setup s = {.role = SD_ROLE_SERVER, .version = SD_TLS13};
    bool ok;
    const message_target *mt = target ? find_message_target(target) : NULL;
    if (target && strcmp(target, "fuzz_client_hello") == 0) {
        ok = client_hello_trace(data, len, out, &s.role);
    } else if (mt) {
        ok = message_trace(mt, data, len, out, &s);
    } else if (target && strcmp(target, "fuzz_alert") == 0) {
        ok = alert_trace(data, len, out, &s.role);
    } else if (target && strcmp(target, "fuzz_record") == 0) {
        ok = record_trace(data, len, out, &s.role);
    } else if (target && strcmp(target, "fuzz_psk_client_hello") == 0) {
        ok = psk_client_hello_trace(data, len, out, &s);
    } else if (target && strcmp(target, "fuzz_early_data") == 0) {
        ok = early_data_trace(data, len, out, &s);
    } else if (target && strcmp(target, "fuzz_trace") == 0) {
        ok = binary_trace(data, len, out, &s);
    } else {
        say(err, err_len, "unknown fuzz target \"%s\"", target ? target : "(null)");
        return false;
    }
    if (!ok) {
        sd_trace_free(out);
        say(err, err_len, "%s: out of memory building the trace", target);
        return false;
    }
    if (setup) *setup = s;
    return true;
}

const char *sd_fuzz_target_from_path(const char *path) {
    if (path == NULL) return NULL;
    /* Walk the folder components from the file outwards, so the nearest
     * folder wins (findings/fuzz_x/... beats an outer folder of another
     * name). The last component is the file itself and never counts: a
     * file named after a target says nothing about its contents. */
    const char *end = strrchr(path, '/');
    while (end != NULL) {
        const char *begin = end;
        while (begin > path && begin[-1] != '/') begin--;
        size_t n = (size_t)(end - begin);
        for (size_t i = 0; n > 0 && sd_fuzz_target_names[i]; i++) {
            const char *name = sd_fuzz_target_names[i];
            if (strlen(name) == n && memcmp(name, begin, n) == 0) return name;
        }
        if (begin == path) break;
        end = begin - 1; /* the '/' before this component */
    }
    return NULL;
}
