/* generate_resumed_orders.c — the handshakes connection 2 of a resumption
 * case follows, stated here from the RFC figures.
 *
 * Not read from harness/protocol/sequences.c, which the model checks
 * messages against: a row broken there would make the model accept a
 * message out of place and, were the cases read from it, delete the case
 * that catches it. tests/test_rfc_orders.c checks these rows against
 * tests/rfc_orders/handshake-flows.txt and against the rows of sequences.c
 * with the same flags. Its own file, below the families that read it
 * (generate_common.c, generate_resumed.c). */
#include "protocol/sequences.h"
#include "trace/generate.h"
#include "trace/generate_family.h"
#include "wire/names.h"

#define CLIENT(m) \
    { SD_ROLE_CLIENT, SD_##m }
#define SERVER(m) \
    { SD_ROLE_SERVER, SD_##m }
#define CCS_FROM(side) \
    { SD_ROLE_##side, SD_MSG_CHANGE_CIPHER_SPEC }

const sd_shape sd_generated_resumed_shapes[] = {
    /* RFC 8446 §2.2 Figure 3, the subsequent handshake: "As the server is
     * authenticating via a PSK, it does not send a Certificate or a
     * CertificateVerify message"; §4.3.2: no CertificateRequest with a PSK.
     * No EndOfEarlyData: the driver offers no early data. */
    {"psk (RFC 8446 Figure 3)",
     SD_SHAPE_PSK,
     5,
     {CLIENT(ClientHello), SERVER(ServerHello), SERVER(EncryptedExtensions), SERVER(Finished),
      CLIENT(Finished)}},
    /* RFC 8446 §2.3 Figure 4, 0-RTT accepted: the client's second flight
     * is "(EndOfEarlyData) {Finished}"; §4.5: "If the server sent an
     * "early_data" extension in EncryptedExtensions, the client MUST send
     * an EndOfEarlyData message after receiving the server Finished". */
    {"psk+early-data (RFC 8446 Figure 4)",
     SD_SHAPE_PSK | SD_SHAPE_EARLY_DATA,
     6,
     {CLIENT(ClientHello), SERVER(ServerHello), SERVER(EncryptedExtensions), SERVER(Finished),
      CLIENT(EndOfEarlyData), CLIENT(Finished)}},
    /* RFC 5246 §7.3 Figure 2: "both client and server MUST send
     * ChangeCipherSpec messages and proceed directly to Finished messages",
     * the server first. */
    {"tls12-abbreviated (RFC 5246 Figure 2)",
     SD_SHAPE_TLS12 | SD_SHAPE_RESUMED,
     6,
     {CLIENT(ClientHello), SERVER(ServerHello), CCS_FROM(SERVER), SERVER(Finished), CCS_FROM(CLIENT),
      CLIENT(Finished)}},
    /* RFC 5077 §3.1 Figure 2: the server resuming from a ticket "MAY renew
     * the ticket by including a NewSessionTicket handshake message after
     * the ServerHello in the abbreviated handshake"; §3.3: "This message
     * MUST be sent if the server included a SessionTicket extension in the
     * ServerHello. ... before the ChangeCipherSpec". */
    {"tls12-abbreviated-ticket (RFC 5077 Figure 2)",
     SD_SHAPE_TLS12 | SD_SHAPE_RESUMED | SD_SHAPE_TICKET,
     7,
     {CLIENT(ClientHello), SERVER(ServerHello), SERVER(NewSessionTicket), CCS_FROM(SERVER), SERVER(Finished),
      CCS_FROM(CLIENT), CLIENT(Finished)}},
};
const size_t sd_n_generated_resumed_shapes =
    sizeof(sd_generated_resumed_shapes) / sizeof(sd_generated_resumed_shapes[0]);

const sd_shape *gen_resumed_shape(unsigned flags) {
    for (size_t i = 0; i < sd_n_generated_resumed_shapes; i++)
        if (sd_generated_resumed_shapes[i].flags == flags) return &sd_generated_resumed_shapes[i];
    return NULL;
}
