/* sequences.h — the allowed TLS 1.3 and TLS 1.2 message sequences, as data.
 *
 * Each handshake shape is one row: the messages in order and who sends them
 * (s2n-tls's tls/s2n_handshake_io.c is the model for this). An endpoint keeps
 * its position in the current shape. A message is in order if it is the next
 * entry of the current shape, or of another shape with the same history
 * (that is how CertificateRequest or HelloRetryRequest switch shapes).
 * Anything else is unexpected_message (RFC 8446 §6.2, RFC 5246 §7.2.2).
 * The scenario generator and the reports read the same table. */
#ifndef SHAKEDOWN_PROTOCOL_SEQUENCES_H
#define SHAKEDOWN_PROTOCOL_SEQUENCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/target.h"

/* HelloRetryRequest travels as a ServerHello (RFC 8446 §4.1.4) but is its
 * own step in the tables. */
#define SD_MSG_HELLO_RETRY_REQUEST 0x100u
/* TLS 1.2's ChangeCipherSpec is a record, not a handshake message, but its
 * place in the handshake is an order rule like any other (RFC 5246 §7.3;
 * CVE-2014-0224 is a CCS out of place), so it is a step in the tables. */
#define SD_MSG_CHANGE_CIPHER_SPEC 0x101u

typedef struct {
    sd_role from;
    uint16_t msg; /* handshake type, or SD_MSG_HELLO_RETRY_REQUEST */
} sd_step;

enum {
    SD_SHAPE_HRR = 1u << 0,            /* the server asked for another key share */
    SD_SHAPE_CLIENT_AUTH = 1u << 1,    /* the server sent CertificateRequest */
    SD_SHAPE_NO_CLIENT_CERT = 1u << 2, /* the client answered with an empty Certificate */
    SD_SHAPE_PSK = 1u << 3,            /* the server accepted a pre-shared key: no certificates */
    SD_SHAPE_TLS12 = 1u << 4,          /* TLS 1.2 (RFC 5246 §7.3), ECDHE key exchange */
    SD_SHAPE_RSA_KX = 1u << 5,         /* TLS 1.2 static-RSA key exchange: no ServerKeyExchange */
    SD_SHAPE_TICKET = 1u << 6,         /* TLS 1.2: the server sends a NewSessionTicket (RFC 5077) */
    SD_SHAPE_RESUMED = 1u << 7,        /* TLS 1.2 abbreviated handshake (RFC 5246 §7.3 Figure 2) */
    SD_SHAPE_OCSP = 1u << 8,           /* TLS 1.2: the server sends CertificateStatus (RFC 6066 §8) */
    SD_SHAPE_EARLY_DATA =
        1u << 9, /* TLS 1.3: EncryptedExtensions accepted 0-RTT: EndOfEarlyData (RFC 8446 §4.5) */
};

#define SD_MAX_STEPS 16

typedef struct {
    const char *name;
    unsigned flags;
    size_t n_steps; /* counted from steps (SHAPE in sequences.c) */
    sd_step steps[SD_MAX_STEPS];
} sd_shape;

extern const sd_shape sd_shapes[];
extern const size_t sd_n_shapes;

/* The shape a handshake starts in (full, no HRR, no client auth). */
const sd_shape *sd_shape_initial(void);
/* Given the current shape and position, returns the shape in which `msg`
 * from `from` is the step at `pos`, or NULL if no shape allows it.
 *
 * Only a message that announces a shape by itself can switch to it:
 * HelloRetryRequest and CertificateRequest. Shapes decided by a message's
 * content (an accepted PSK in ServerHello, an empty client Certificate) are
 * switched to by the handler that reads that content. Otherwise a peer could
 * skip CertificateVerify after a non-empty Certificate and land in the
 * no-certificate shape (CVE-2022-25640).
 *
 * One step is optional where its shape was chosen: a CertificateStatus the
 * ServerHello's status_request echo announced (RFC 6066 §8 lets the server
 * leave it out). When the next message comes instead, the handshake goes on
 * in the same shape without SD_SHAPE_OCSP. */
const sd_shape *sd_shape_accept(const sd_shape *current, size_t pos, sd_role from, uint16_t msg);
/* Returns the shape with these flags, or NULL. */
const sd_shape *sd_shape_with_flags(unsigned flags);
/* The step a handshake message of `type` takes in the tables. RFC 8879 §4:
 * where the receiver offered compress_certificate (TLS 1.3: a client in its
 * ClientHello, a server in its CertificateRequest), the peer "MAY compress
 * their corresponding Certificate messages ... and send them in the form of
 * the CompressedCertificate message (replacing the Certificate message)":
 * there a CompressedCertificate takes the Certificate's step
 * (`compression_offered`). Elsewhere it keeps its own type, which no shape
 * holds, so it is out of order (unexpected_message), as is every other type
 * that no shape holds. */
uint16_t sd_step_of_message(uint8_t type, bool compression_offered);
/* Printable name of a step's message ("HelloRetryRequest" for the pseudo type). */
const char *sd_step_name(uint16_t msg);

#endif
