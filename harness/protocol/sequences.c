/* sequences.c — the handshake shapes: TLS 1.3's of RFC 8446 §2 (Figure 1,
 * Figure 2) and §4.4.2 / §4.4.3 (client authentication), and TLS 1.2's of
 * RFC 5246 §7.3 (Figures 1 and 2) with the variants listed below.
 *
 * The model checks messages against these rows and the generated scenarios
 * take their expectations from them, so a mistake here would hide itself.
 * tests/test_rfc_orders.c checks the rows, their flags and sd_shape_accept
 * against tests/rfc_orders/handshake-flows.txt, the same RFC figures written
 * down separately as a grammar: a change here goes with a change there. */
#include "protocol/sequences.h"

#include <stdbool.h>

#include "wire/names.h"

/* One row of the table: a shape's name, its flags, and its steps, which
 * also give n_steps, so that no row can state a count its steps do not
 * have. A row of more than SD_MAX_STEPS steps draws the compiler's "excess
 * elements in array initializer". */
// clang-format off
#define SHAPE(name, flags, ...) \
    {name, flags, sizeof((const sd_step[]){__VA_ARGS__}) / sizeof(sd_step), {__VA_ARGS__}}

#define C(m) {SD_ROLE_CLIENT, SD_##m}
#define S(m) {SD_ROLE_SERVER, SD_##m}
#define HRR {SD_ROLE_SERVER, SD_MSG_HELLO_RETRY_REQUEST}
#define CCS(side) {SD_ROLE_##side, SD_MSG_CHANGE_CIPHER_SPEC}

/* The server's flight is the same in every shape; the client's last flight
 * depends on client authentication. RFC 8446 §4.4.2: a client asked for a
 * certificate "MUST send a Certificate message"; it sends CertificateVerify
 * only if that message was non-empty (§4.4.3). */
const sd_shape sd_shapes[] = {
    SHAPE("full", 0,
      C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(Certificate), S(CertificateVerify),
      S(Finished), C(Finished)),
    SHAPE("full+client-auth", SD_SHAPE_CLIENT_AUTH,
      C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(CertificateRequest), S(Certificate),
      S(CertificateVerify), S(Finished), C(Certificate), C(CertificateVerify), C(Finished)),
    SHAPE("full+client-auth-no-cert", SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT,
      C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(CertificateRequest), S(Certificate),
      S(CertificateVerify), S(Finished), C(Certificate), C(Finished)),
    SHAPE("hrr", SD_SHAPE_HRR,
      C(ClientHello), HRR, C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(Certificate),
      S(CertificateVerify), S(Finished), C(Finished)),
    SHAPE("hrr+client-auth", SD_SHAPE_HRR | SD_SHAPE_CLIENT_AUTH,
      C(ClientHello), HRR, C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(CertificateRequest),
      S(Certificate), S(CertificateVerify), S(Finished), C(Certificate), C(CertificateVerify), C(Finished)),
    SHAPE("hrr+client-auth-no-cert", SD_SHAPE_HRR | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT,
      C(ClientHello), HRR, C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(CertificateRequest),
      S(Certificate), S(CertificateVerify), S(Finished), C(Certificate), C(Finished)),
    /* §2.2 resumption: the PSK authenticates, so no certificates, and §4.3.2
     * "Servers which are authenticating with a PSK MUST NOT send the
     * CertificateRequest message in the main handshake". */
    SHAPE("psk", SD_SHAPE_PSK,
      C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(Finished), C(Finished)),
    SHAPE("hrr+psk", SD_SHAPE_HRR | SD_SHAPE_PSK,
      C(ClientHello), HRR, C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(Finished), C(Finished)),
    /* §2.3 Figure 4, 0-RTT accepted: §4.5 "If the server sent an
     * "early_data" extension in EncryptedExtensions, the client MUST send
     * an EndOfEarlyData message after receiving the server Finished". Never
     * after a HelloRetryRequest (§4.2.10: "A client MUST NOT include the
     * "early_data" extension in its followup ClientHello"). The model's
     * server enters it once its EncryptedExtensions accepted the early
     * data; its client sends EndOfEarlyData itself. */
    SHAPE("psk+early-data", SD_SHAPE_PSK | SD_SHAPE_EARLY_DATA,
      C(ClientHello), S(ServerHello), S(EncryptedExtensions), S(Finished), C(EndOfEarlyData), C(Finished)),
    /* RFC 5246 §7.3 Figure 1, with the key exchange of RFC 8422 §2 (ECDHE)
     * or RFC 5246 §7.4.7.1 (static RSA, no ServerKeyExchange, §7.4.3), in
     * every combination of:
     *  - client authentication (§7.4.4, §7.4.6, §7.4.8): with
     *    CertificateRequest the client sends Certificate first, and
     *    CertificateVerify after its key exchange "only ... following a
     *    client certificate that has signing capability";
     *  - a ticket (RFC 5077 §3.1): NewSessionTicket after the client's
     *    Finished and before the server's ChangeCipherSpec;
     *  - OCSP stapling (RFC 6066 §8): CertificateStatus "immediately after
     *    the "Certificate" message (and before any "ServerKeyExchange" or
     *    "CertificateRequest" messages)". Like the key exchange, it is
     *    decided by content: the status_request echo in ServerHello. */
    SHAPE("tls12-ecdhe", SD_SHAPE_TLS12,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerKeyExchange), S(ServerHelloDone), C(ClientKeyExchange),
      CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerHelloDone), C(ClientKeyExchange), CCS(CLIENT),
      C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+client-auth", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerKeyExchange), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), C(CertificateVerify), CCS(CLIENT), C(Finished),
      CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+client-auth", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateRequest), S(ServerHelloDone), C(Certificate),
      C(ClientKeyExchange), C(CertificateVerify), CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+client-auth-no-cert", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerKeyExchange), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+client-auth-no-cert", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateRequest), S(ServerHelloDone), C(Certificate),
      C(ClientKeyExchange), CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+ticket", SD_SHAPE_TLS12 | SD_SHAPE_TICKET,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerKeyExchange), S(ServerHelloDone), C(ClientKeyExchange),
      CCS(CLIENT), C(Finished), S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+ticket", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_TICKET,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerHelloDone), C(ClientKeyExchange), CCS(CLIENT),
      C(Finished), S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+client-auth+ticket", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_TICKET,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerKeyExchange), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), C(CertificateVerify), CCS(CLIENT), C(Finished),
      S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+client-auth+ticket", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_TICKET,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateRequest), S(ServerHelloDone), C(Certificate),
      C(ClientKeyExchange), C(CertificateVerify), CCS(CLIENT), C(Finished), S(NewSessionTicket), CCS(SERVER),
      S(Finished)),
    SHAPE("tls12-ecdhe+client-auth-no-cert+ticket", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT | SD_SHAPE_TICKET,
      C(ClientHello), S(ServerHello), S(Certificate), S(ServerKeyExchange), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), CCS(CLIENT), C(Finished), S(NewSessionTicket),
      CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+client-auth-no-cert+ticket", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT | SD_SHAPE_TICKET,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateRequest), S(ServerHelloDone), C(Certificate),
      C(ClientKeyExchange), CCS(CLIENT), C(Finished), S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+ocsp", SD_SHAPE_TLS12 | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerKeyExchange), S(ServerHelloDone),
      C(ClientKeyExchange), CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+ocsp", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerHelloDone), C(ClientKeyExchange),
      CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+ocsp+client-auth", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerKeyExchange),
      S(CertificateRequest), S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), C(CertificateVerify),
      CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+ocsp+client-auth", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), C(CertificateVerify), CCS(CLIENT), C(Finished),
      CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+ocsp+client-auth-no-cert", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerKeyExchange),
      S(CertificateRequest), S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), CCS(CLIENT), C(Finished),
      CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+ocsp+client-auth-no-cert", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), CCS(CLIENT), C(Finished), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+ocsp+ticket", SD_SHAPE_TLS12 | SD_SHAPE_TICKET | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerKeyExchange), S(ServerHelloDone),
      C(ClientKeyExchange), CCS(CLIENT), C(Finished), S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+ocsp+ticket", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_TICKET | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerHelloDone), C(ClientKeyExchange),
      CCS(CLIENT), C(Finished), S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+ocsp+client-auth+ticket", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_TICKET | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerKeyExchange),
      S(CertificateRequest), S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), C(CertificateVerify),
      CCS(CLIENT), C(Finished), S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+ocsp+client-auth+ticket", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_TICKET | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), C(CertificateVerify), CCS(CLIENT), C(Finished),
      S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-ecdhe+ocsp+client-auth-no-cert+ticket", SD_SHAPE_TLS12 | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT | SD_SHAPE_TICKET | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(ServerKeyExchange),
      S(CertificateRequest), S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), CCS(CLIENT), C(Finished),
      S(NewSessionTicket), CCS(SERVER), S(Finished)),
    SHAPE("tls12-rsa+ocsp+client-auth-no-cert+ticket", SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX | SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT | SD_SHAPE_TICKET | SD_SHAPE_OCSP,
      C(ClientHello), S(ServerHello), S(Certificate), S(CertificateStatus), S(CertificateRequest),
      S(ServerHelloDone), C(Certificate), C(ClientKeyExchange), CCS(CLIENT), C(Finished), S(NewSessionTicket),
      CCS(SERVER), S(Finished)),

    /* RFC 5246 §7.3 Figure 2: resumption; the server finishes first. */
    SHAPE("tls12-resumed", SD_SHAPE_TLS12 | SD_SHAPE_RESUMED,
      C(ClientHello), S(ServerHello), CCS(SERVER), S(Finished), CCS(CLIENT), C(Finished)),
    /* RFC 5077 §3.1 Figure 2: a resuming server "MAY renew the ticket by
     * including a NewSessionTicket handshake message after the ServerHello
     * in the abbreviated handshake", announced by an empty SessionTicket
     * extension in the ServerHello (§3.2, §3.3). */
    SHAPE("tls12-resumed+ticket", SD_SHAPE_TLS12 | SD_SHAPE_RESUMED | SD_SHAPE_TICKET,
      C(ClientHello), S(ServerHello), S(NewSessionTicket), CCS(SERVER), S(Finished), CCS(CLIENT), C(Finished)),
};
// clang-format on
const size_t sd_n_shapes = sizeof(sd_shapes) / sizeof(sd_shapes[0]);

const sd_shape *sd_shape_initial(void) { return &sd_shapes[0]; }

const sd_shape *sd_shape_with_flags(unsigned flags) {
    for (size_t i = 0; i < sd_n_shapes; i++)
        if (sd_shapes[i].flags == flags) return &sd_shapes[i];
    return NULL;
}

static bool same_history(const sd_shape *a, const sd_shape *b, size_t pos) {
    if (a->n_steps < pos || b->n_steps < pos) return false;
    for (size_t i = 0; i < pos; i++)
        if (a->steps[i].from != b->steps[i].from || a->steps[i].msg != b->steps[i].msg) return false;
    return true;
}

/* The flags a message announces by being sent. */
static const struct {
    unsigned flag;
    uint16_t msg;
} kAnnouncedBy[] = {
    {SD_SHAPE_HRR, SD_MSG_HELLO_RETRY_REQUEST},
    {SD_SHAPE_CLIENT_AUTH, SD_CertificateRequest},
};

/* Steps that a shape's deciding message made possible but not certain: the
 * sender may leave them out, and then the message that follows them comes
 * instead. RFC 6066 §8: "a server MAY also choose not to send a
 * "CertificateStatus" message, even if has received a "status_request"
 * extension in the client hello message and has sent a "status_request"
 * extension in the server hello message." Only the shapes that the
 * ServerHello's status_request echo selected hold the step, so without the
 * echo a CertificateStatus stays out of order. */
static const struct {
    unsigned flag;
    uint16_t msg;
} kOptionalStep[] = {
    {SD_SHAPE_OCSP, SD_CertificateStatus},
};

static const sd_shape *accept_in(const sd_shape *current, size_t pos, sd_role from, uint16_t msg) {
    if (pos < current->n_steps && current->steps[pos].from == from && current->steps[pos].msg == msg)
        return current;
    for (size_t i = 0; i < sizeof(kAnnouncedBy) / sizeof(kAnnouncedBy[0]); i++) {
        if (kAnnouncedBy[i].msg != msg || (current->flags & kAnnouncedBy[i].flag)) continue;
        const sd_shape *s = sd_shape_with_flags(current->flags | kAnnouncedBy[i].flag);
        if (s && pos < s->n_steps && s->steps[pos].from == from && s->steps[pos].msg == msg &&
            same_history(current, s, pos))
            return s;
    }
    return NULL;
}

const sd_shape *sd_shape_accept(const sd_shape *current, size_t pos, sd_role from, uint16_t msg) {
    const sd_shape *next = accept_in(current, pos, from, msg);
    for (size_t i = 0; !next && i < sizeof(kOptionalStep) / sizeof(kOptionalStep[0]); i++) {
        if (!(current->flags & kOptionalStep[i].flag) || pos >= current->n_steps ||
            current->steps[pos].msg != kOptionalStep[i].msg)
            continue;
        /* The same shape without the step: the message must be in order
         * there (or announce a shape from there, as CertificateRequest
         * does). */
        const sd_shape *without = sd_shape_with_flags(current->flags & ~kOptionalStep[i].flag);
        if (without && same_history(current, without, pos)) next = accept_in(without, pos, from, msg);
    }
    return next;
}

uint16_t sd_step_of_message(uint8_t type, bool compression_offered) {
    return type == SD_CompressedCertificate && compression_offered ? SD_Certificate : type;
}

const char *sd_step_name(uint16_t msg) {
    if (msg == SD_MSG_HELLO_RETRY_REQUEST) return "HelloRetryRequest";
    if (msg == SD_MSG_CHANGE_CIPHER_SPEC) return "ChangeCipherSpec";
    const char *n = sd_handshake_type_name(msg);
    return n ? n : "unknown";
}
