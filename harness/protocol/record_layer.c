/* record_layer.c — see record_layer.h. */
#include "protocol/record_layer.h"

#include <stdio.h>
#include <string.h>

#include "wire/names.h"

void sd_rl_init(sd_record_layer *rl) {
    memset(rl, 0, sizeof(*rl));
    sd_buf_init(&rl->in);
    sd_buf_init(&rl->out);
    sd_buf_init(&rl->plaintext);
    sd_buf_init(&rl->alerts);
    sd_hs_reassembler_init(&rl->hs);
    sd_record_keys_init(&rl->read);
    sd_record_keys_init(&rl->write);
    sd_transcript_init(&rl->transcript);
    /* Large enough for any certificate chain a test uses; bounded so that a
     * hostile length cannot make us buffer 16 MiB. */
    rl->max_handshake_len = 1u << 17;
}

void sd_rl_free(sd_record_layer *rl) {
    sd_buf_free(&rl->in);
    sd_buf_free(&rl->out);
    sd_buf_free(&rl->plaintext);
    sd_buf_free(&rl->alerts);
    sd_hs_reassembler_free(&rl->hs);
    sd_record_keys_clear(&rl->read);
    sd_record_keys_clear(&rl->write);
    sd_transcript_free(&rl->transcript);
}

void sd_rl_receive(sd_record_layer *rl, sd_span bytes) { sd_buf_append_span(&rl->in, bytes); }

static sd_rl_event_kind fail(sd_rl_event *ev, uint8_t alert, const char *detail) {
    ev->kind = SD_RL_ERROR;
    ev->alert_to_send = alert;
    snprintf(ev->detail, sizeof(ev->detail), "%s", detail);
    return ev->kind;
}

/* Hands one record's content to the caller (or to the reassembler, then
 * SD_RL_NONE: the caller loops for the next message). */
static sd_rl_event_kind deliver(sd_record_layer *rl, sd_rl_event *ev, uint8_t type, sd_span content) {
    uint8_t alert = 0;
    /* RFC 6066 §4: once negotiated, "no fragment larger than the negotiated
     * length is sent"; RFC 8446 §6.2 names the answer to one that is. */
    if (rl->max_fragment_len && content.len > rl->max_fragment_len)
        return fail(ev, SD_record_overflow, "record longer than the negotiated max_fragment_length");
    /* As with a partial handshake message below: a split alert is completed
     * before a record of another type, unless TLS 1.2's interleaving
     * (tls12_records) lets the other record in between. */
    if (type != SD_alert && rl->alerts.len && !rl->tls12_records)
        return fail(ev, SD_unexpected_message, "record interleaved with a partial alert");
    switch (type) {
    case SD_handshake:
        /* RFC 8446 §5.1: "Implementations MUST NOT send zero-length
         * fragments of Handshake types, even if those fragments contain
         * padding"; for a protected one §5.4 prescribes the answer (below,
         * for alerts), which the model gives to any empty one. */
        if (content.len == 0) return fail(ev, SD_unexpected_message, "empty handshake record");
        sd_hs_reassembler_push(&rl->hs, content);
        return SD_RL_NONE;
    case SD_alert:
        /* RFC 8446 §5.4: "Implementations MUST NOT send Handshake and Alert
         * records that have a zero-length TLSInnerPlaintext.content; if
         * such a message is received, the receiving implementation MUST
         * terminate the connection with an "unexpected_message" alert."
         * Padding or not. Only a TLS 1.3 protected record has a
         * TLSInnerPlaintext: an empty alert record in the clear is an alert
         * that does not parse (decode_error below). */
        if (content.len == 0 && ev->protected_record && !rl->read.tls12)
            return fail(ev, SD_unexpected_message, "empty protected alert record");
        /* RFC 8446 §5.1: "Handshake messages MUST NOT be interleaved with
         * other record types"; §5: an unexpected record type MUST get
         * "unexpected_message". */
        if (sd_hs_reassembler_has_partial(&rl->hs) && !rl->tls12_records)
            return fail(ev, SD_unexpected_message, "alert interleaved with a partial handshake message");
        if (rl->tls12_records && content.len) {
            /* Reported from rl->alerts by sd_rl_next, two bytes at a time. */
            sd_buf_append_span(&rl->alerts, content);
            rl->alerts_protected = ev->protected_record;
            return SD_RL_NONE;
        }
        if (!sd_parse_alert(content, &ev->alert, &alert)) return fail(ev, alert, "malformed alert");
        return ev->kind = SD_RL_ALERT;
    case SD_change_cipher_spec:
        ev->data = content;
        return ev->kind = SD_RL_CCS;
    default:
        /* Application data is refused inside a handshake message in TLS
         * 1.2 too: RFC 5246 §6.2.1 asks recipients to "process interleaved
         * application layer traffic during handshakes subsequent to the
         * first one", and there is none of those here: before the first
         * handshake completes application data is out of place whatever
         * surrounds it, and after it the model renegotiates nothing (a
         * handshake message then starts a renegotiation it refuses). */
        if (sd_hs_reassembler_has_partial(&rl->hs))
            return fail(ev, SD_unexpected_message,
                        "application data interleaved with a partial handshake message");
        ev->data = content;
        return ev->kind = SD_RL_APPDATA;
    }
}

/* Notes the plaintext length of a protected record; false when it is over
 * this side's advertised record_size_limit (RFC 8449 §4). */
static bool within_own_limit(sd_record_layer *rl, size_t plaintext_len) {
    if (plaintext_len > rl->largest_protected_plaintext) rl->largest_protected_plaintext = plaintext_len;
    return !rl->own_record_limit || plaintext_len <= rl->own_record_limit;
}

sd_rl_event_kind sd_rl_next(sd_record_layer *rl, sd_rl_event *ev) {
    memset(ev, 0, sizeof(*ev));
    for (;;) {
        uint8_t alert = 0;
        if (rl->alerts.len >= 2) {
            /* A TLS 1.2 alert put together from rl->alerts (tls12_records):
             * exactly two bytes, which sd_parse_alert always accepts. */
            bool two_bytes = sd_parse_alert(sd_span_of(rl->alerts.data, 2), &ev->alert, &alert);
            (void)two_bytes;
            sd_buf_consume(&rl->alerts, 2);
            ev->protected_record = rl->alerts_protected;
            ev->outer_type = SD_alert;
            return ev->kind = SD_RL_ALERT;
        }
        int got = sd_hs_reassembler_next(&rl->hs, rl->max_handshake_len, &ev->msg, &alert);
        if (got < 0) return fail(ev, alert, "handshake message too long");
        if (got > 0) {
            ev->kind = SD_RL_HANDSHAKE;
            ev->protected_record = rl->read.active;
            /* TLS 1.2 protected records keep their real type (RFC 5246 §6.2.3). */
            ev->outer_type = rl->read.active && !rl->read.tls12 ? SD_application_data : SD_handshake;
            return ev->kind;
        }

        sd_reader r = sd_reader_of(sd_buf_span(&rl->in));
        sd_record rec;
        int parsed = sd_parse_record(&r, &rec, &alert);
        if (parsed == 0) return ev->kind = SD_RL_NONE;
        if (parsed < 0) return fail(ev, alert, "malformed record header");
        size_t record_len = rl->in.len - r.len;

        uint8_t type = rec.content_type;
        if (rl->read.active && rl->read.tls12) {
            /* TLS 1.2 (RFC 5246 §6.2.3): once the read state is active every
             * record is protected, whatever its type, change_cipher_spec
             * included: a renegotiation's ChangeCipherSpec travels under the
             * keys it replaces (§6.1: records are processed under the
             * current read state; §7.1: only the records after it use the
             * new one). reject_plaintext_after_keys is a TLS 1.3 rule and
             * does not apply. */
            if (type != SD_change_cipher_spec && type != SD_alert && type != SD_handshake &&
                type != SD_application_data) {
                sd_buf_consume(&rl->in, record_len);
                /* §6: "If a TLS implementation receives an unexpected record
                 * type, it MUST send an unexpected_message alert." */
                return fail(ev, SD_unexpected_message, "unknown record content type");
            }
            ev->outer_type = type;
            sd_buf_reset(&rl->plaintext);
            {
                uint8_t inner = type;
                if (!sd_record_open(&rl->read, rec.header, rec.fragment, &inner, &rl->plaintext, &alert)) {
                    sd_buf_consume(&rl->in, record_len);
                    return fail(ev, alert,
                                alert == SD_bad_record_mac ? "record failed to decrypt" : "bad record");
                }
                ev->protected_record = true;
            }
            sd_buf_consume(&rl->in, record_len);
            /* RFC 8449 §4: in TLS 1.2 the limit "covers all input to
             * compression and encryption", the content. */
            if (!within_own_limit(rl, rl->plaintext.len))
                return fail(ev, SD_record_overflow, "record larger than the advertised record_size_limit");
            sd_rl_event_kind kind = deliver(rl, ev, type, sd_buf_span(&rl->plaintext));
            if (kind != SD_RL_NONE) return kind;
            continue;
        }
        if (rl->reject_plaintext_after_keys && rl->read.active && type != SD_application_data &&
            type != SD_change_cipher_spec) {
            sd_buf_consume(&rl->in, record_len);
            /* RFC 8446 §5: "An implementation which receives any other
             * [unprotected] record type ... MUST terminate the connection
             * with an "unexpected_message" alert." */
            return fail(ev, SD_unexpected_message, "plaintext record after keys changed");
        }
        sd_span content = rec.fragment;
        ev->outer_type = type;
        /* RFC 8446 §5: protected records always carry opaque_type
         * application_data; CCS is never protected. Anything else arriving in
         * plaintext is reported as such and the caller decides. */
        if (rl->read.active && type == SD_application_data) {
            sd_buf_reset(&rl->plaintext);
            if (!sd_record_open(&rl->read, rec.header, rec.fragment, &type, &rl->plaintext, &alert)) {
                sd_buf_consume(&rl->in, record_len);
                return fail(ev, alert,
                            alert == SD_bad_record_mac ? "record failed to decrypt" : "bad inner plaintext");
            }
            content = sd_buf_span(&rl->plaintext);
            ev->protected_record = true;
            /* RFC 8449 §4: in TLS 1.3 the limit counts "the complete length
             * of TLSInnerPlaintext": the fragment without the AEAD's
             * 16-byte tag (every TLS 1.3 suite's, RFC 8446 §5.2). */
            if (!within_own_limit(rl, rec.fragment.len > 16 ? rec.fragment.len - 16 : 0)) {
                sd_buf_consume(&rl->in, record_len);
                return fail(ev, SD_record_overflow, "record larger than the advertised record_size_limit");
            }
            if (type != SD_change_cipher_spec && type != SD_alert && type != SD_handshake &&
                type != SD_application_data) {
                /* The type inside the protection (TLSInnerPlaintext.type),
                 * held to the same rule as the outer one: RFC 8446 §5: "If
                 * a TLS implementation receives an unexpected record type,
                 * it MUST terminate the connection with an
                 * "unexpected_message" alert." (A protected CCS is the
                 * caller's to refuse, by protected_record.) */
                sd_buf_consume(&rl->in, record_len);
                return fail(ev, SD_unexpected_message, "unknown protected record content type");
            }
        } else if (type != SD_change_cipher_spec && type != SD_alert && type != SD_handshake &&
                   type != SD_application_data) {
            sd_buf_consume(&rl->in, record_len);
            /* RFC 8446 §5: "If a TLS implementation receives an unexpected
             * record type, it MUST terminate the connection with an
             * "unexpected_message" alert." */
            return fail(ev, SD_unexpected_message, "unknown record content type");
        } else if (rec.fragment.len > SD_MAX_PLAINTEXT) {
            sd_buf_consume(&rl->in, record_len);
            /* RFC 8446 §5.1: "The length MUST NOT exceed 2^14 bytes. An
             * endpoint that receives a record that exceeds this length MUST
             * terminate the connection with a "record_overflow" alert." */
            return fail(ev, SD_record_overflow, "plaintext record longer than 2^14 bytes");
        } else {
            /* Copy out: the record's bytes go away with sd_buf_consume. */
            sd_buf_reset(&rl->plaintext);
            sd_buf_append_span(&rl->plaintext, content);
            content = sd_buf_span(&rl->plaintext);
        }
        sd_buf_consume(&rl->in, record_len);
        sd_rl_event_kind kind = deliver(rl, ev, type, content);
        if (kind != SD_RL_NONE) return kind;
    }
}

size_t sd_rl_peer_content_limit(const sd_record_layer *rl) {
    if (!rl->peer_record_limit || !rl->write.active) return 0;
    /* RFC 8449 §4: "an endpoint MUST NOT generate a protected record with
     * plaintext that is larger than the RecordSizeLimit value it receives
     * from its peer"; in TLS 1.3 that plaintext holds the content type
     * too (and padding, of which the record layer adds none). */
    size_t limit = rl->write.tls12 ? rl->peer_record_limit : rl->peer_record_limit - 1;
    return limit < SD_MAX_PLAINTEXT ? limit : SD_MAX_PLAINTEXT;
}

void sd_rl_send(sd_record_layer *rl, uint8_t type, sd_span content, bool force_plaintext,
                size_t max_fragment) {
    bool caller_chose = max_fragment != 0;
    /* A fragment length the caller chose is kept, even past the peer's
     * limit: the driver breaks the limit that way (split=). */
    if (max_fragment == 0 && !force_plaintext) max_fragment = sd_rl_peer_content_limit(rl);
    /* RFC 6066 §4: "the client and server MUST immediately begin fragmenting
     * messages (including handshake messages), to ensure that no fragment
     * larger than the negotiated length is sent", protected or not. */
    if (rl->max_fragment_len && (max_fragment == 0 || max_fragment > rl->max_fragment_len) && !caller_chose)
        max_fragment = rl->max_fragment_len;
    if (max_fragment == 0 || max_fragment > SD_MAX_PLAINTEXT) max_fragment = SD_MAX_PLAINTEXT;
    size_t off = 0;
    do {
        size_t n = content.len - off < max_fragment ? content.len - off : max_fragment;
        sd_span piece = sd_span_of(content.data ? content.data + off : NULL, n);
        if (rl->write.active && !force_plaintext) {
            /* A record that cannot be protected is never sent in the clear:
             * the output is marked failed, as a failed append marks it. */
            if (!sd_record_seal(&rl->write, type, piece, 0, &rl->out)) rl->out.failed = true;
        } else
            /* RFC 8446 §5.1: legacy_record_version 0x0303 for all records but
             * possibly the first ClientHello; 0x0303 is always accepted. */
            sd_build_record(&rl->out, type, SD_TLS12, piece);
        off += n;
    } while (off < content.len);
}

void sd_rl_send_alert(sd_record_layer *rl, uint8_t level, uint8_t description) {
    uint8_t body[2] = {level, description};
    sd_rl_send(rl, SD_alert, sd_span_of(body, 2), false, 0);
}

void sd_rl_send_handshake(sd_record_layer *rl, uint8_t type, sd_span body) {
    sd_buf msg;
    sd_buf_init(&msg);
    sd_build_handshake(&msg, type, body, -1);
    sd_transcript_add(&rl->transcript, sd_buf_span(&msg));
    sd_rl_send(rl, SD_handshake, sd_buf_span(&msg), false, 0);
    sd_buf_free(&msg);
}

bool sd_rl_transcript_hash(const sd_record_layer *rl, const sd_suite *suite, uint8_t *out) {
    return sd_transcript_hash(&rl->transcript, suite->md(), out);
}
