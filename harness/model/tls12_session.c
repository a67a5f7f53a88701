/* tls12_session.c — the model's TLS 1.2 sessions: the tickets a server
 * seals and opens (RFC 5077), the session cache keyed by session id (RFC
 * 5246 §7.4.1.2, §7.4.1.3), and the session blob a client keeps for a later
 * resumption. tls12.c calls here; this file calls only down, into checks.c,
 * crypto/, wire/ and the session cache. */
#include <string.h>

#include <openssl/mem.h>
#include <openssl/sha.h>

#include "model/model_state.h"
#include "protocol/session_cache.h"
#include "wire/names.h"
#include "wire/tls12.h"

/* --- Sessions: tickets (RFC 5077), the session cache (RFC 5246 §7.4.1.2) --- */

/* What a TLS 1.2 session keeps (RFC 5246 §7.4.1.2 lists the session
 * state; RFC 5077 §4 the ticket's): suite(2) ems(1)
 * client_authenticated(1) master(48). The peer identity is kept as whether
 * the client proved a certificate (the PKI's, checked when it was sent), so
 * that a resumed session is as authenticated as the one it resumes. */
enum { SESSION12_LEN = 2 + 1 + 1 + 48 };

static void write_session12(const sd_model *m, uint8_t out[SESSION12_LEN]) {
    out[0] = (uint8_t)(m->suite12->id >> 8);
    out[1] = (uint8_t)m->suite12->id;
    out[2] = m->ems;
    out[3] = m->cfg.role == SD_ROLE_SERVER && m->st.peer_authenticated;
    memcpy(out + 4, m->master, 48);
}

/* False if the suite is not one of ours. */
static bool read_session12(const uint8_t in[SESSION12_LEN], const sd_tls12_suite **suite, bool *ems,
                           bool *client_authenticated, uint8_t master[48]) {
    *suite = sd_tls12_suite_find((uint16_t)(in[0] << 8 | in[1]));
    *ems = in[2];
    *client_authenticated = in[3];
    memcpy(master, in + 4, 48);
    return *suite != NULL;
}

/* The ticket is the server's own sealed state (RFC 5077 §4 recommends a
 * format; its content is the server's choice): nonce(12) ||
 * AES-128-GCM("12" session). The key is the one TLS 1.3 tickets use; the
 * leading tag keeps the two kinds apart. */
static void seal_ticket12(sd_model *m, sd_buf *out) {
    uint8_t plain[1 + SESSION12_LEN];
    plain[0] = 0x12;
    write_session12(m, plain + 1);
    model_seal_ticket(m, plain, sizeof plain, out);
    OPENSSL_cleanse(plain, sizeof plain);
}

/* True if the ticket is one of ours for TLS 1.2; fills the session. */
bool tls12_open_ticket(const sd_model *m, sd_span ticket, const sd_tls12_suite **suite, bool *ems,
                       bool *client_authenticated, uint8_t master[48]) {
    uint8_t plain[1 + SESSION12_LEN + 16];
    size_t plain_len = 0;
    if (ticket.len != 12 + 1 + SESSION12_LEN + 16) return false;
    bool ok = model_open_ticket(m, ticket, plain, sizeof plain, &plain_len) &&
              plain_len == 1 + SESSION12_LEN && plain[0] == 0x12 &&
              read_session12(plain + 1, suite, ems, client_authenticated, master);
    OPENSSL_cleanse(plain, sizeof plain);
    return ok;
}

/* The session cached under a session id (RFC 5246 §7.4.1.2), if any. */
bool tls12_lookup_session(const sd_model *m, sd_span id, const sd_tls12_suite **suite, bool *ems,
                          bool *client_authenticated, uint8_t master[48]) {
    sd_span blob;
    return sd_session_cache_get(m->cfg.session_cache, "model", id, &blob) && blob.len == SESSION12_LEN &&
           read_session12(blob.data, suite, ems, client_authenticated, master);
}

/* The handshake is complete: the server caches the session, the client
 * keeps it for export. */
void tls12_on_handshake_done(sd_model *m) {
    if (m->st.resumed) return;
    if (m->cfg.role == SD_ROLE_SERVER) {
        /* §7.4.1.3: the session id the ServerHello gave names it now. */
        if (!m->server_session_id_len) return;
        uint8_t session[SESSION12_LEN];
        write_session12(m, session);
        sd_session_cache_put(m->cfg.session_cache, "model",
                             sd_span_of(m->server_session_id, m->server_session_id_len),
                             sd_span_of(session, sizeof session));
        OPENSSL_cleanse(session, sizeof session);
        return;
    }
    /* Client: a session id without a ticket is a session to export
     * (version 3 of the model's session blob: suite, ems, master, id).
     * Only the first handshake's: which session a client offers later is
     * its choice (RFC 5246 §7.4.1.2), and the model, as BoringSSL's client
     * does, offers none that a renegotiation made. */
    if (m->session_out.len || !m->server_session_id_len || m->renegotiating12) return;
    sd_buf_u8(&m->session_out, 3);
    sd_buf_u16(&m->session_out, m->suite12->id);
    sd_buf_u8(&m->session_out, m->ems);
    sd_buf_append(&m->session_out, m->master, 48);
    sd_buf_u8(&m->session_out, (uint8_t)m->server_session_id_len);
    sd_buf_append(&m->session_out, m->server_session_id, m->server_session_id_len);
}

/* Client: a TLS 1.2 session blob (export_session) to offer; false if the
 * blob is not one. */
bool tls12_load_session(sd_model *m, sd_span blob) {
    /* Version 2 of the model's session blob: suite, ems, master, ticket;
     * version 3: suite, ems, master, session id (RFC 5246 §7.4.1.2). */
    sd_reader r = sd_reader_of(blob);
    uint8_t version, ems;
    uint16_t suite;
    sd_span master, ticket = {0}, id = {0};
    if (!sd_read_u8(&r, &version) || (version != 2 && version != 3) || !sd_read_u16(&r, &suite) ||
        !sd_read_u8(&r, &ems) || !sd_read_bytes(&r, 48, &master) ||
        (version == 2 && (!sd_read_prefixed(&r, 2, &ticket) || ticket.len == 0)) ||
        (version == 3 && (!sd_read_prefixed(&r, 1, &id) || id.len == 0 || id.len > 32)) ||
        !sd_reader_done(&r) || !(m->resume_suite12 = sd_tls12_suite_find(suite)))
        return false;
    m->resume_ems12 = ems;
    memcpy(m->resume_master12, master.data, 48);
    sd_buf_append_span(&m->ticket, ticket);
    if (id.len) memcpy(m->resume_session_id12, id.data, id.len);
    m->resume_session_id12_len = id.len;
    m->resuming12 = true;
    m->offer.tls12_ticket = sd_buf_span(&m->ticket);
    return true;
}

/* A new session id (§7.4.1.3) for a full handshake. It must differ from the
 * one the client offered, which a ServerHello echoes only to resume (RFC
 * 5246 §7.4.1.3); the model's random stream alone would repeat it when
 * servers share a seed (harness/protocol/target.h), so the id also hashes the
 * client's random and offered id. */
void tls12_new_session_id(sd_model *m, sd_span offered) {
    uint8_t fresh[32];
    sd_rng_bytes(&m->rng, fresh, sizeof fresh);
    SHA256_CTX sha;
    SHA256_Init(&sha);
    SHA256_Update(&sha, fresh, sizeof fresh);
    SHA256_Update(&sha, m->client_random, SD_RANDOM_LEN);
    SHA256_Update(&sha, offered.data, offered.len);
    SHA256_Final(m->server_session_id, &sha);
    m->server_session_id_len = 32;
    if (sd_span_eq(offered, sd_span_of(m->server_session_id, 32))) m->server_session_id[0] ^= 1;
}

/* Server: the NewSessionTicket its ServerHello promised, sent before its
 * ChangeCipherSpec (RFC 5077 §3.3). */
void tls12_send_session_ticket(sd_model *m) {
    sd_buf ticket, body;
    sd_buf_init(&ticket);
    sd_buf_init(&body);
    seal_ticket12(m, &ticket);
    sd_tls12_new_session_ticket nst = {.lifetime_hint = 7200, .ticket = sd_buf_span(&ticket)};
    sd_build_tls12_new_session_ticket(&body, &nst);
    sd_rl_send_handshake(&m->rl, SD_NewSessionTicket, sd_buf_span(&body));
    sd_buf_free(&ticket);
    sd_buf_free(&body);
}

/* Client: the ticket, kept as the session to export (version 2 of the
 * model's session blob). */
void tls12_on_new_session_ticket(sd_model *m, const model_received *in) {
    uint8_t alert;
    sd_tls12_new_session_ticket nst;
    if (!sd_parse_tls12_new_session_ticket(in->body, &nst, &alert))
        return model_fatal(m, alert, "malformed NewSessionTicket");
    /* A renegotiation's ticket is not kept (tls12_on_handshake_done). */
    if (m->renegotiating12) return;
    /* RFC 5077 §3.3: an empty ticket means none after all. */
    sd_buf_reset(&m->session_out);
    if (!nst.ticket.len) return;
    sd_buf_u8(&m->session_out, 2);
    sd_buf_u16(&m->session_out, m->suite12->id);
    sd_buf_u8(&m->session_out, m->ems);
    sd_buf_append(&m->session_out, m->master, 48);
    sd_buf_u16(&m->session_out, (uint16_t)nst.ticket.len);
    sd_buf_append_span(&m->session_out, nst.ticket);
}

void tls12_forget_session(sd_model *m) {
    if (m->cfg.role == SD_ROLE_SERVER) {
        if (m->cfg.session_cache && m->server_session_id_len)
            sd_session_cache_remove(m->cfg.session_cache, "model",
                                    sd_span_of(m->server_session_id, m->server_session_id_len));
        return;
    }
    sd_buf_reset(&m->session_out);
}
