/* record_layer.h — one side's record layer: framing, protection and
 * handshake reassembly, over the wire codec and record protection.
 *
 * Shared by the model (which enforces the rules) and the driver (which obeys
 * a trace), so both put exactly the same bytes on the wire. Policy — which
 * record is acceptable when — is the caller's: this layer reports what
 * arrived and how (protected or not) and leaves judgement to the caller. */
#ifndef SHAKEDOWN_PROTOCOL_RECORD_LAYER_H
#define SHAKEDOWN_PROTOCOL_RECORD_LAYER_H

#include "crypto/crypto.h"
#include "wire/record.h"
#include "util/util.h"

typedef struct {
    sd_buf in;        /* received bytes not yet parsed into records */
    sd_buf out;       /* bytes waiting to be sent */
    sd_buf plaintext; /* scratch: the last decrypted record */
    sd_hs_reassembler hs;
    sd_record_keys read, write;
    sd_transcript transcript;
    size_t max_handshake_len; /* longest handshake message accepted */
    /* RFC 8446 §5.2: once read keys are active, records must be protected.
     * The model sets this (strict); the driver leaves it off (it observes). */
    bool reject_plaintext_after_keys;
    /* RFC 5246 §6.2.1: in TLS 1.2 "a single message MAY be fragmented across
     * several records" and several may share one, alerts included, and
     * "Data of different TLS record layer content types MAY be interleaved":
     * an alert may come between the fragments of a handshake message, and
     * a record of another type between those of an alert (application data
     * inside a handshake message stays refused: record_layer.c says why).
     * RFC 8446 §5.1 forbids all of that for alerts and interleaving
     * ("Handshake messages MUST NOT be interleaved with other record
     * types"). The model sets this while it speaks TLS 1.2; off (TLS 1.3,
     * and the driver), an alert record must hold exactly one alert and
     * nothing may come between fragments. */
    bool tls12_records;
    /* Negotiated record size limits (RFC 8449 §4), 0 when none; both
     * count the plaintext of protected records only ("Unprotected messages
     * are not subject to this limit"): in TLS 1.3 the whole
     * TLSInnerPlaintext (content, type and padding), in TLS 1.2 the content.
     * peer_record_limit is what the peer advertised: sd_rl_send puts at most
     * that much plaintext in a protected record (TLS 1.3: one byte less of
     * content, for the type), unless the caller chose a fragment length.
     * own_record_limit is what this side advertised: a protected record
     * whose plaintext is longer is SD_RL_ERROR record_overflow ("A TLS
     * endpoint that receives a record larger than its advertised limit MUST
     * generate a fatal "record_overflow" alert"). largest_protected_plaintext
     * is the longest such plaintext read so far, measured the same way, for
     * a TLS 1.3 client that learns in EncryptedExtensions, after opening the
     * records that carried it, that the limit was negotiated. */
    size_t peer_record_limit, own_record_limit, largest_protected_plaintext;
    /* The negotiated maximum fragment length (RFC 6066 §4), 0 when none: it
     * "limits the input that the record layer may process without
     * fragmentation (that is, the maximum value of TLSPlaintext.length)",
     * in both directions and for every record, protected or not
     * ("including handshake messages"). sd_rl_send fragments to it unless
     * the caller chose a fragment length; a record whose content is longer
     * is SD_RL_ERROR record_overflow (RFC 8446 §6.2: "a record decrypted to
     * a TLSPlaintext record with more than 2^14 bytes (or some other
     * negotiated limit)"). */
    size_t max_fragment_len;
    sd_buf alerts;         /* alert bytes received but not yet reported */
    bool alerts_protected; /* the last of them came in a protected record */
} sd_record_layer;

typedef enum {
    SD_RL_NONE,      /* nothing complete yet */
    SD_RL_HANDSHAKE, /* ev.msg */
    SD_RL_ALERT,     /* ev.alert */
    SD_RL_CCS,       /* ev.data is the CCS body */
    SD_RL_APPDATA,   /* ev.data */
    SD_RL_ERROR,     /* ev.alert_to_send: what the RFC says to answer */
} sd_rl_event_kind;

typedef struct {
    sd_rl_event_kind kind;
    bool protected_record; /* the record carrying it was AEAD-protected */
    uint8_t outer_type;    /* the record header's content type */
    sd_handshake_msg msg;
    sd_alert alert;
    sd_span data;
    uint8_t alert_to_send;
    char detail[96];
} sd_rl_event;

void sd_rl_init(sd_record_layer *rl);
void sd_rl_free(sd_record_layer *rl);

/* Queues bytes received from the peer. */
void sd_rl_receive(sd_record_layer *rl, sd_span bytes);
/* Returns the next event. Data spans stay valid until the next call. */
sd_rl_event_kind sd_rl_next(sd_record_layer *rl, sd_rl_event *ev);

/* Sends `content` as records of `type`, split at `max_fragment` bytes
 * (0: 2^14, or what peer_record_limit allows in a protected record),
 * protected when write keys are active unless force_plaintext. */
void sd_rl_send(sd_record_layer *rl, uint8_t type, sd_span content, bool force_plaintext,
                size_t max_fragment);
void sd_rl_send_alert(sd_record_layer *rl, uint8_t level, uint8_t description);
/* Frames a handshake message, adds it to the transcript and sends it. */
void sd_rl_send_handshake(sd_record_layer *rl, uint8_t type, sd_span body);

/* Hash of the transcript so far with the suite's hash. */
/* The most content a protected record may carry under peer_record_limit
 * with the current write keys (RFC 8449 §4); 0 when no limit applies. */
size_t sd_rl_peer_content_limit(const sd_record_layer *rl);

SD_MUST_CHECK bool sd_rl_transcript_hash(const sd_record_layer *rl, const sd_suite *suite, uint8_t *out);

#endif
