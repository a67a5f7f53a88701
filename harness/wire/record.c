/* record.c — TLS record framing, alerts, handshake-message framing and
 * reassembly. No crypto and no policy here: which content types, versions
 * and message types are acceptable at a given moment is the model's
 * decision, made from its tables; the codec only frames. */
#include "wire/record.h"

#include "wire/names.h"

static void set_alert(uint8_t *out_alert, uint8_t alert) {
    if (out_alert != NULL) {
        *out_alert = alert;
    }
}

/* --- Records --------------------------------------------------------------- */

int sd_parse_record(sd_reader *r, sd_record *out, uint8_t *out_alert) {
    /* Parse from a copy: r moves only once a whole record is present. */
    sd_reader tmp = *r;
    const uint8_t *start = tmp.data;
    uint8_t type;
    uint16_t version, length;
    if (!sd_read_u8(&tmp, &type) || !sd_read_u16(&tmp, &version) || !sd_read_u16(&tmp, &length)) {
        return 0;
    }
    sd_span header = sd_span_of(start, SD_RECORD_HEADER_LEN);

    /* RFC 8446 §5.2: "The length MUST NOT exceed 2^14 + 256 bytes. An
     * endpoint that receives a record that exceeds this length MUST
     * terminate the connection with a "record_overflow" alert." Checked as
     * soon as the header is in, so a peer cannot make us wait for (and
     * buffer) a body we would refuse anyway. The limit also covers
     * plaintext records, which are capped lower still (§5.1: 2^14); the
     * tighter check needs to know whether the record is protected, so it
     * is the caller's. Note that RFC 5246 §6.2.3 lets a TLS 1.2
     * TLSCiphertext reach 2^14 + 2048; no cipher suite in use adds more
     * than 256 bytes, and BoringSSL refuses more too. */
    if (length > SD_MAX_CIPHERTEXT) {
        set_alert(out_alert, SD_record_overflow);
        return -1;
    }
    sd_span fragment;
    if (!sd_read_bytes(&tmp, length, &fragment)) {
        return 0;
    }
    /* Unknown content types and odd versions are framed, not refused:
     * RFC 8446 §5 makes an unexpected type an unexpected_message, which
     * depends on state the codec does not have, and legacy_record_version
     * "MUST be ignored for all purposes" (§5.1). */
    out->content_type = type;
    out->legacy_version = version;
    out->header = header;
    out->fragment = fragment;
    *r = tmp;
    return 1;
}

void sd_build_record(sd_buf *out, uint8_t content_type, uint16_t legacy_version, sd_span fragment) {
    sd_buf_u8(out, content_type);
    sd_buf_u16(out, legacy_version);
    /* No check against SD_MAX_CIPHERTEXT: oversized records are something
     * the harness must be able to send. Only a length that cannot be
     * written at all (> 2^16 - 1) fails the buffer. */
    size_t prefix = sd_buf_open_prefix(out, 2);
    sd_buf_append_span(out, fragment);
    sd_buf_close_prefix(out, prefix, 2);
}

/* --- Alerts ---------------------------------------------------------------- */

bool sd_parse_alert(sd_span fragment, sd_alert *out, uint8_t *out_alert) {
    /* RFC 8446 §6: struct { AlertLevel level; AlertDescription description; }
     * is exactly two bytes, and §5.1 forbids fragmenting alerts ("Alert
     * messages MUST NOT be fragmented across records, and multiple alert
     * messages MUST NOT be coalesced into a single TLSPlaintext record"), so
     * any other length is malformed: decode_error. Unknown levels and
     * descriptions are not refused here: §6 says "Unknown Alert types MUST
     * be treated as error alerts", which is the receiver's reaction, not a
     * syntax error. */
    if (fragment.len != 2) {
        set_alert(out_alert, SD_decode_error);
        return false;
    }
    out->level = fragment.data[0];
    out->description = fragment.data[1];
    return true;
}

void sd_build_alert(sd_buf *out, uint8_t level, uint8_t description) {
    sd_buf_u8(out, level);
    sd_buf_u8(out, description);
}

/* --- Handshake framing ----------------------------------------------------- */

void sd_build_handshake(sd_buf *out, uint8_t type, sd_span body, long length_override) {
    /* The length is a u24: a body or a lie over 2^24 - 1 cannot be
     * written, so it fails the buffer rather than wrapping silently. */
    unsigned long len = length_override < 0 ? (unsigned long)body.len : (unsigned long)length_override;
    if (length_override < 0 && body.len > 0xFFFFFFu) {
        len = 0x1000000ul;
    }
    if (len > 0xFFFFFFul) {
        out->failed = true;
        return;
    }
    sd_buf_u8(out, type);
    sd_buf_u24(out, (uint32_t)len);
    sd_buf_append_span(out, body);
}

void sd_hs_reassembler_init(sd_hs_reassembler *h) {
    sd_buf_init(&h->pending);
    h->consumed = 0;
}

void sd_hs_reassembler_free(sd_hs_reassembler *h) {
    sd_buf_free(&h->pending);
    h->consumed = 0;
}

void sd_hs_reassembler_push(sd_hs_reassembler *h, sd_span fragment) {
    /* Messages handed out by _next() point into `pending` and stay valid
     * until this call, so the bytes already handed out are dropped only
     * now, lazily. Append first and compact after: sd_buf_append copes with
     * a fragment that lies inside `pending` itself, a memmove first would
     * not. */
    sd_buf_append_span(&h->pending, fragment);
    if (h->consumed > 0) {
        sd_buf_consume(&h->pending, h->consumed);
        h->consumed = 0;
    }
}

int sd_hs_reassembler_next(sd_hs_reassembler *h, size_t max_len, sd_handshake_msg *out, uint8_t *out_alert) {
    if (h->pending.failed) {
        /* Buffering the peer's bytes failed (out of memory): nothing the
         * peer did, but the handshake cannot continue. RFC 8446 §6.2
         * names exactly this case: internal_error, "such as a memory
         * allocation failure". */
        set_alert(out_alert, SD_internal_error);
        return -1;
    }
    if (h->pending.len - h->consumed < 4) {
        return 0; /* not even a header (and pending.data may still be NULL) */
    }
    sd_reader r = sd_reader_of(sd_span_of(h->pending.data + h->consumed, h->pending.len - h->consumed));
    const uint8_t *start = r.data;
    uint8_t type;
    uint32_t len;
    if (!sd_read_u8(&r, &type) || !sd_read_u24(&r, &len)) {
        return 0;
    }
    /* The u24 allows 16 MiB messages (RFC 8446 §4), and a caller that
     * passes SD_MAX_HANDSHAKE_LEN takes them all. A caller may cap what it
     * will buffer below that (the driver; the model when its configuration
     * says so): RFC 8446 names no alert for a message over a local limit.
     * The length field parsed fine and holds a value this endpoint
     * forbids, which is illegal_parameter by §6.2's definitions; it is also
     * what BoringSSL sends (ssl/s3_both.cc, tls_can_accept_handshake_data:
     * SSL_R_EXCESSIVE_MESSAGE_SIZE with SSL_AD_ILLEGAL_PARAMETER), as do
     * OpenSSL and LibreSSL. Checked on the header alone, so a peer cannot
     * make us wait for (and buffer) a body we would refuse anyway. */
    if (len > max_len) {
        set_alert(out_alert, SD_illegal_parameter);
        return -1;
    }
    sd_span body;
    if (!sd_read_bytes(&r, len, &body)) {
        return 0;
    }
    out->type = type;
    out->body = body;
    out->whole = sd_span_of(start, 4 + (size_t)len);
    h->consumed += 4 + (size_t)len;
    if (h->consumed == h->pending.len) {
        /* Everything handed out: the next push may start at offset 0 again
         * without a memmove. The bytes stay in place until that push. */
        h->pending.len = 0;
        h->consumed = 0;
    }
    return 1;
}

bool sd_hs_reassembler_has_partial(const sd_hs_reassembler *h) { return h->pending.len > h->consumed; }
