/* tls12.c — see tls12.h. Syntax only: which group, scheme, certificate type
 * or ticket is acceptable is the model's decision. */
#include "wire/tls12.h"

#include "wire/names.h"

static bool fail_decode(uint8_t *out_alert) {
    if (out_alert != NULL) *out_alert = SD_decode_error;
    return false;
}

/* A vector <min..max> with a prefix_bytes length (RFC 5246 §4.3); fails
 * without advancing on truncation or a length out of range. */
static bool read_vector(sd_reader *r, size_t prefix_bytes, size_t min, size_t max, sd_span *out) {
    sd_reader tmp = *r;
    sd_span v;
    if (!sd_read_prefixed(&tmp, prefix_bytes, &v) || v.len < min || v.len > max) return false;
    *r = tmp;
    *out = v;
    return true;
}

static void write_vector(sd_buf *out, size_t prefix_bytes, sd_span v) {
    size_t p = sd_buf_open_prefix(out, prefix_bytes);
    sd_buf_append_span(out, v);
    sd_buf_close_prefix(out, p, prefix_bytes);
}

/* --- ServerKeyExchange (RFC 8422 §5.4) ------------------------------------------------ */

bool sd_parse_tls12_ske_ecdhe(sd_span body, sd_tls12_ske *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_tls12_ske s;
    if (!sd_read_u8(&r, &s.curve_type) || s.curve_type != SD_EC_CURVE_TYPE_NAMED_CURVE ||
        !sd_read_u16(&r, &s.group) || !read_vector(&r, 1, 1, 0xFF, &s.point)) {
        return fail_decode(out_alert);
    }
    s.params = sd_span_of(body.data, body.len - r.len);
    if (!sd_read_u16(&r, &s.sig_alg) || !read_vector(&r, 2, 0, 0xFFFF, &s.signature) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    *out = s;
    return true;
}

void sd_build_tls12_ske_ecdhe(sd_buf *out, const sd_tls12_ske *ske) {
    sd_buf_u8(out, ske->curve_type == 0 ? SD_EC_CURVE_TYPE_NAMED_CURVE : ske->curve_type);
    sd_buf_u16(out, ske->group);
    write_vector(out, 1, ske->point);
    sd_buf_u16(out, ske->sig_alg);
    write_vector(out, 2, ske->signature);
}

void sd_build_tls12_server_ecdh_params(sd_buf *out, uint16_t group, sd_span point) {
    sd_buf_u8(out, SD_EC_CURVE_TYPE_NAMED_CURVE);
    sd_buf_u16(out, group);
    write_vector(out, 1, point);
}

/* --- ServerKeyExchange for DHE (RFC 5246 §7.4.3) ------------------------------------- */

bool sd_parse_tls12_ske_dhe(sd_span body, sd_tls12_ske_dhe *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_tls12_ske_dhe s;
    if (!read_vector(&r, 2, 1, 0xFFFF, &s.p) || !read_vector(&r, 2, 1, 0xFFFF, &s.g) ||
        !read_vector(&r, 2, 1, 0xFFFF, &s.ys))
        return fail_decode(out_alert);
    s.params = sd_span_of(body.data, body.len - r.len);
    if (!sd_read_u16(&r, &s.sig_alg) || !read_vector(&r, 2, 0, 0xFFFF, &s.signature) || !sd_reader_done(&r))
        return fail_decode(out_alert);
    *out = s;
    return true;
}

void sd_build_tls12_server_dh_params(sd_buf *out, sd_span p, sd_span g, sd_span ys) {
    write_vector(out, 2, p);
    write_vector(out, 2, g);
    write_vector(out, 2, ys);
}

void sd_build_tls12_ske_dhe(sd_buf *out, const sd_tls12_ske_dhe *ske) {
    sd_build_tls12_server_dh_params(out, ske->p, ske->g, ske->ys);
    sd_buf_u16(out, ske->sig_alg);
    write_vector(out, 2, ske->signature);
}

/* --- ClientKeyExchange --------------------------------------------------------------- */

bool sd_parse_tls12_cke_rsa(sd_span body, sd_span *out_encrypted_pms, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_span v;
    if (!read_vector(&r, 2, 0, 0xFFFF, &v) || !sd_reader_done(&r)) return fail_decode(out_alert);
    *out_encrypted_pms = v;
    return true;
}

void sd_build_tls12_cke_rsa(sd_buf *out, sd_span encrypted_pms) { write_vector(out, 2, encrypted_pms); }

bool sd_parse_tls12_cke_ecdhe(sd_span body, sd_span *out_point, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_span v;
    if (!read_vector(&r, 1, 1, 0xFF, &v) || !sd_reader_done(&r)) return fail_decode(out_alert);
    *out_point = v;
    return true;
}

void sd_build_tls12_cke_ecdhe(sd_buf *out, sd_span point) { write_vector(out, 1, point); }

bool sd_parse_tls12_cke_dhe(sd_span body, sd_span *out_yc, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_span v;
    if (!read_vector(&r, 2, 1, 0xFFFF, &v) || !sd_reader_done(&r)) return fail_decode(out_alert);
    *out_yc = v;
    return true;
}

void sd_build_tls12_cke_dhe(sd_buf *out, sd_span yc) { write_vector(out, 2, yc); }

/* --- Certificate (RFC 5246 §7.4.2) ---------------------------------------------------- */

int sd_tls12_certificate_next(sd_reader *it, sd_span *out_cert, uint8_t *out_alert) {
    if (sd_reader_done(it)) return 0;
    sd_span c;
    if (!read_vector(it, 3, 1, 0xFFFFFF, &c)) {
        fail_decode(out_alert);
        return -1;
    }
    *out_cert = c;
    return 1;
}

bool sd_parse_tls12_certificate(sd_span body, sd_tls12_certificate *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_tls12_certificate c;
    if (!read_vector(&r, 3, 0, 0xFFFFFF, &c.certificate_list) || !sd_reader_done(&r))
        return fail_decode(out_alert);
    sd_reader it = sd_reader_of(c.certificate_list);
    sd_span cert;
    int rc;
    while ((rc = sd_tls12_certificate_next(&it, &cert, out_alert)) == 1) {
    }
    if (rc < 0) return false;
    *out = c;
    return true;
}

void sd_build_tls12_certificate(sd_buf *out, const sd_tls12_certificate *c) {
    write_vector(out, 3, c->certificate_list);
}

void sd_build_tls12_certificate_entry(sd_buf *list, sd_span cert) { write_vector(list, 3, cert); }

void sd_build_tls12_certificate_chain(sd_buf *out, const uint8_t *const *der, const size_t *der_len,
                                      size_t n) {
    size_t p = sd_buf_open_prefix(out, 3);
    for (size_t i = 0; i < n; i++) sd_build_tls12_certificate_entry(out, sd_span_of(der[i], der_len[i]));
    sd_buf_close_prefix(out, p, 3);
}

/* --- CertificateRequest (RFC 5246 §7.4.4) --------------------------------------------- */

int sd_tls12_distinguished_name_next(sd_reader *it, sd_span *out_dn, uint8_t *out_alert) {
    if (sd_reader_done(it)) return 0;
    sd_span dn;
    if (!read_vector(it, 2, 1, 0xFFFF, &dn)) {
        fail_decode(out_alert);
        return -1;
    }
    *out_dn = dn;
    return 1;
}

bool sd_parse_tls12_certificate_request(sd_span body, sd_tls12_certificate_request *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_tls12_certificate_request cr;
    if (!read_vector(&r, 1, 1, 0xFF, &cr.certificate_types) ||
        !read_vector(&r, 2, 2, 0xFFFE, &cr.supported_signature_algorithms) ||
        cr.supported_signature_algorithms.len % 2 != 0 ||
        !read_vector(&r, 2, 0, 0xFFFF, &cr.certificate_authorities) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    sd_reader it = sd_reader_of(cr.certificate_authorities);
    sd_span dn;
    int rc;
    while ((rc = sd_tls12_distinguished_name_next(&it, &dn, out_alert)) == 1) {
    }
    if (rc < 0) return false;
    *out = cr;
    return true;
}

void sd_build_tls12_certificate_request(sd_buf *out, const sd_tls12_certificate_request *cr) {
    write_vector(out, 1, cr->certificate_types);
    write_vector(out, 2, cr->supported_signature_algorithms);
    write_vector(out, 2, cr->certificate_authorities);
}

/* --- NewSessionTicket (RFC 5077 §3.3) ------------------------------------------------- */

bool sd_parse_tls12_new_session_ticket(sd_span body, sd_tls12_new_session_ticket *out, uint8_t *out_alert) {
    /* An empty ticket is valid syntax: RFC 5077 §3.3 "If the server
     * determines that it does not want to include a ticket after it has
     * included the SessionTicket extension in the ServerHello, then it
     * sends a zero-length ticket in the NewSessionTicket handshake message." */
    sd_reader r = sd_reader_of(body);
    sd_tls12_new_session_ticket t;
    if (!sd_read_u32(&r, &t.lifetime_hint) || !read_vector(&r, 2, 0, 0xFFFF, &t.ticket) ||
        !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    *out = t;
    return true;
}

void sd_build_tls12_new_session_ticket(sd_buf *out, const sd_tls12_new_session_ticket *t) {
    sd_buf_u32(out, t->lifetime_hint);
    write_vector(out, 2, t->ticket);
}

/* --- CertificateStatus (RFC 6066 §8) -------------------------------------------------- */

bool sd_parse_tls12_certificate_status(sd_span body, sd_tls12_certificate_status *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_tls12_certificate_status cs;
    if (!sd_read_u8(&r, &cs.status_type) || cs.status_type != SD_CERTIFICATE_STATUS_OCSP ||
        !read_vector(&r, 3, 1, 0xFFFFFF, &cs.ocsp_response) || !sd_reader_done(&r)) {
        return fail_decode(out_alert);
    }
    *out = cs;
    return true;
}

void sd_build_tls12_certificate_status(sd_buf *out, const sd_tls12_certificate_status *cs) {
    sd_buf_u8(out, cs->status_type);
    write_vector(out, 3, cs->ocsp_response);
}

/* --- Empty bodies --------------------------------------------------------------------- */

bool sd_parse_tls12_server_hello_done(sd_span body, uint8_t *out_alert) {
    return body.len == 0 ? true : fail_decode(out_alert);
}

bool sd_parse_tls12_hello_request(sd_span body, uint8_t *out_alert) {
    return body.len == 0 ? true : fail_decode(out_alert);
}

/* --- Extensions ----------------------------------------------------------------------- */

bool sd_parse_renegotiation_info(sd_span body, sd_span *out_renegotiated_connection, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    sd_span v;
    if (!read_vector(&r, 1, 0, 0xFF, &v) || !sd_reader_done(&r)) return fail_decode(out_alert);
    *out_renegotiated_connection = v;
    return true;
}

void sd_build_renegotiation_info(sd_buf *out, sd_span renegotiated_connection) {
    write_vector(out, 1, renegotiated_connection);
}

bool sd_parse_extended_master_secret(sd_span body, uint8_t *out_alert) {
    return body.len == 0 ? true : fail_decode(out_alert);
}
