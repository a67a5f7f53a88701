/* record.h — TLS record framing (RFC 8446 §5.1, RFC 5246 §6.2), alerts
 * (§6) and handshake-message framing and reassembly (§4). No crypto here:
 * protection lives in crypto/record_protection.h. */
#ifndef SHAKEDOWN_WIRE_RECORD_H
#define SHAKEDOWN_WIRE_RECORD_H

#include "wire/bytes.h"
#include "util/util.h"

/* RFC 8446 §5.1: "The length MUST NOT exceed 2^14 bytes." A protected record
 * may add up to 256 bytes (§5.2). */
#define SD_MAX_PLAINTEXT 16384u
#define SD_MAX_CIPHERTEXT (16384u + 256u)
#define SD_RECORD_HEADER_LEN 5u
/* RFC 8446 §4, RFC 5246 §7.4: a handshake message's length is a uint24. */
#define SD_MAX_HANDSHAKE_LEN 0xffffffu

typedef struct {
    uint8_t content_type;
    uint16_t legacy_version;
    sd_span header; /* the 5 header bytes: additional data for AEAD */
    sd_span fragment;
} sd_record;

/* Parses one record from the front of r.
 * Returns 1 and advances r on success, 0 if r holds only part of a record
 * (r untouched), -1 on a malformed record with *out_alert set
 * (record_overflow for an oversized length, §5.2). */
int sd_parse_record(sd_reader *r, sd_record *out, uint8_t *out_alert);
void sd_build_record(sd_buf *out, uint8_t content_type, uint16_t legacy_version, sd_span fragment);

typedef struct {
    uint8_t level;
    uint8_t description;
} sd_alert;

/* An alert fragment is exactly two bytes (§6); anything else is decode_error. */
SD_MUST_CHECK bool sd_parse_alert(sd_span fragment, sd_alert *out, uint8_t *out_alert);
void sd_build_alert(sd_buf *out, uint8_t level, uint8_t description);

/* RFC 8446 §4: Handshake { msg_type u8; length u24; body } */
typedef struct {
    uint8_t type;
    sd_span body;
    sd_span whole; /* header + body, the bytes the transcript hashes */
} sd_handshake_msg;

/* Writes a handshake header and body. length_override < 0 writes the true
 * length; otherwise that value goes into the u24 (a lie for mutators). */
void sd_build_handshake(sd_buf *out, uint8_t type, sd_span body, long length_override);

/* Reassembles handshake messages from record fragments: one message may span
 * records, and one record may carry several messages (§5.1). */
typedef struct {
    sd_buf pending;
    size_t consumed; /* bytes of `pending` already handed out */
} sd_hs_reassembler;

void sd_hs_reassembler_init(sd_hs_reassembler *h);
void sd_hs_reassembler_free(sd_hs_reassembler *h);
void sd_hs_reassembler_push(sd_hs_reassembler *h, sd_span fragment);
/* 1: *out is the next whole message (valid until the next push); 0: need
 * more bytes; -1 with *out_alert set: the declared length exceeds max_len
 * (illegal_parameter, see record.c), or buffering failed (internal_error).
 * A -1 is final: the same call keeps returning it. */
int sd_hs_reassembler_next(sd_hs_reassembler *h, size_t max_len, sd_handshake_msg *out, uint8_t *out_alert);
/* True if part of a message is buffered (RFC 8446 §5.1: handshake messages
 * MUST NOT span key changes). */
bool sd_hs_reassembler_has_partial(const sd_hs_reassembler *h);

#endif
