/* tls13_psk.c — the model's TLS 1.3 resumption (RFC 8446 §2.2): the tickets
 * a server seals and opens (§4.6.1), the PSK a client offers and its binder
 * (§4.2.11, §4.2.11.2), and the session blob a client keeps. tls13.c calls
 * here; this file calls only down, into checks.c, crypto/ and wire/. */
#include <string.h>

#include <openssl/mem.h>

#include "model/model_state.h"
#include "protocol/session_cache.h"
#include "wire/handshake.h"
#include "wire/names.h"

/* --- Tickets and binders ---------------------------------------------------- */

/* A ticket is the server's own sealed state (RFC 8446 §4.6.1 leaves its
 * format to the server): nonce(12) || AES-128-GCM(suite(2) psk_len(1) psk
 * max_early_data_size(4)), the last what the ticket allows of 0-RTT
 * (§4.2.10: the early data's parameters "are those associated with the PSK
 * in use"). */
static void seal_ticket(sd_model *m, const uint8_t *psk, size_t psk_len, uint32_t max_early, sd_buf *out) {
    uint8_t plain[3 + SD_MAX_HASH_LEN + 4];
    plain[0] = (uint8_t)(m->suite->id >> 8);
    plain[1] = (uint8_t)m->suite->id;
    plain[2] = (uint8_t)psk_len;
    memcpy(plain + 3, psk, psk_len);
    for (int i = 0; i < 4; i++) plain[3 + psk_len + (size_t)i] = (uint8_t)(max_early >> (24 - 8 * i));
    model_seal_ticket(m, plain, 3 + psk_len + 4, out);
    OPENSSL_cleanse(plain, sizeof plain);
}

/* Opens a ticket of ours; false for anything else (a PSK the server does not
 * know is simply not selected, §4.2.11). */
static bool open_ticket(const sd_model *m, sd_span ticket, const sd_suite **suite, uint8_t *psk,
                        size_t *psk_len, uint32_t *max_early) {
    if (ticket.len < 12 + 16 + 3) return false;
    uint8_t plain[3 + SD_MAX_HASH_LEN + 4 + 16];
    size_t plain_len = 0;
    bool ok = model_open_ticket(m, ticket, plain, sizeof plain, &plain_len);
    if (!ok || plain_len < 3 || plain[2] > SD_MAX_HASH_LEN || plain_len != 3u + plain[2] + 4u) return false;
    *suite = sd_suite_find((uint16_t)(plain[0] << 8 | plain[1]));
    *psk_len = plain[2];
    memcpy(psk, plain + 3, *psk_len);
    const uint8_t *e = plain + 3 + *psk_len;
    *max_early = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
    OPENSSL_cleanse(plain, sizeof plain);
    return *suite != NULL;
}

/* --- Client ----------------------------------------------------------------- */

void tls13_write_binder(sd_model *m, sd_buf *body) {
    size_t binder_len = m->psk_suite->hash_len;
    /* The binder covers the message up to its binders list (§4.2.11.2):
     * header and body, less the list (u16 length, u8 length, binder). */
    uint8_t header[4] = {SD_ClientHello, (uint8_t)(body->len >> 16), (uint8_t)(body->len >> 8),
                         (uint8_t)body->len};
    size_t cut = body->len - (2 + 1 + binder_len);
    sd_buf truncated;
    sd_buf_init(&truncated);
    sd_buf_append(&truncated, header, 4);
    sd_buf_append(&truncated, body->data, cut);
    uint8_t binder[SD_MAX_HASH_LEN];
    if (!sd_psk_binder(m->psk_suite, m->psk, m->psk_len, sd_buf_span(&m->rl.transcript.bytes),
                       sd_buf_span(&truncated), binder))
        model_fatal(m, SD_internal_error, "binder computation failed");
    else
        memcpy(body->data + body->len - binder_len, binder, binder_len);
    sd_buf_free(&truncated);
}

bool tls13_load_session(sd_model *m, sd_span blob) {
    /* The blob written on NewSessionTicket: version 1, suite, PSK,
     * ticket_age_add, ticket, max_early_data_size (0: no 0-RTT). */
    sd_reader r = sd_reader_of(blob);
    uint8_t version = 0, psk_len = 0;
    uint16_t suite = 0;
    sd_span psk, ticket;
    if (!sd_read_u8(&r, &version) || version != 1 || !sd_read_u16(&r, &suite) || !sd_read_u8(&r, &psk_len) ||
        !sd_read_bytes(&r, psk_len, &psk) || !sd_read_u32(&r, &m->ticket_age_add) ||
        !sd_read_prefixed(&r, 2, &ticket) || ticket.len == 0 || !sd_read_u32(&r, &m->ticket_max_early) ||
        !sd_reader_done(&r) || !(m->psk_suite = sd_suite_find(suite)) || psk_len != m->psk_suite->hash_len)
        return false;
    memcpy(m->psk, psk.data, psk_len);
    m->psk_len = psk_len;
    sd_buf_append_span(&m->ticket, ticket);
    m->psk_offered = true;
    return true;
}

void tls13_on_new_session_ticket(sd_model *m, sd_span body) {
    uint8_t alert;
    sd_new_session_ticket t;
    if (!sd_parse_new_session_ticket(body, &t, &alert) || !sd_extensions_check(t.extensions, &alert))
        return model_fatal(m, alert, "malformed NewSessionTicket");
    /* §4.2.10: in a NewSessionTicket, EarlyDataIndication is uint32
     * max_early_data_size; §6: a body that does not parse is decode_error. */
    sd_span early;
    uint32_t max_early = 0;
    if (sd_extensions_find(t.extensions, SD_early_data, &early)) {
        if (early.len != 4)
            return model_fatal(m, SD_decode_error, "malformed early_data in NewSessionTicket");
        max_early = (uint32_t)early.data[0] << 24 | (uint32_t)early.data[1] << 16 |
                    (uint32_t)early.data[2] << 8 | early.data[3];
    }
    /* §4.6.1: "The value of zero indicates that the ticket should be
     * discarded immediately": not kept, so never offered. */
    if (t.ticket_lifetime == 0) return;
    /* §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret,
     * "resumption", ticket_nonce, Hash.length). Kept as the session
     * blob: version, suite, PSK, ticket_age_add, ticket. */
    uint8_t psk[SD_MAX_HASH_LEN];
    if (!sd_hkdf_expand_label(m->suite->md(), m->ks.resumption_master, "resumption", t.ticket_nonce.data,
                              t.ticket_nonce.len, psk, m->suite->hash_len))
        return model_fatal(m, SD_internal_error, "resumption secret");
    sd_buf_reset(&m->session_out);
    sd_buf_u8(&m->session_out, 1);
    sd_buf_u16(&m->session_out, m->suite->id);
    sd_buf_u8(&m->session_out, (uint8_t)m->suite->hash_len);
    sd_buf_append(&m->session_out, psk, m->suite->hash_len);
    sd_buf_u32(&m->session_out, t.ticket_age_add);
    sd_buf_u16(&m->session_out, (uint16_t)t.ticket.len);
    sd_buf_append_span(&m->session_out, t.ticket);
    sd_buf_u32(&m->session_out, max_early);
    OPENSSL_cleanse(psk, sizeof psk);
}

/* --- Server ----------------------------------------------------------------- */

/* RFC 8446 §4.2.9 and §4.2.11 syntax. On success *identities and *binders
 * hold the offer's lists (NULL data if no PSK is offered), and *dhe_ke says
 * whether psk_dhe_ke is among the modes. */
bool tls13_check_psk_offer(sd_model *m, const sd_client_hello *ch, sd_span *out_identities,
                           sd_span *out_binders, bool *dhe_ke) {
    uint8_t alert;
    *out_identities = *out_binders = sd_span_of(NULL, 0);
    sd_span modes_body, psk_body;
    bool has_modes = sd_extensions_find(ch->extensions, SD_psk_key_exchange_modes, &modes_body);
    bool has_psk = sd_extensions_find(ch->extensions, SD_pre_shared_key, &psk_body);
    if (!model_check_psk_modes(m, ch, dhe_ke)) return false;
    if (!has_psk) return true;
    /* §4.2.11: "The "pre_shared_key" extension MUST be the last extension in
     * the ClientHello ... Servers MUST check that it is the last extension and
     * otherwise fail the handshake with an "illegal_parameter" alert." */
    sd_reader it = sd_reader_of(ch->extensions);
    uint16_t type = 0;
    sd_span b;
    while (sd_extensions_next(&it, &type, &b, &alert) > 0) {
    }
    if (type != SD_pre_shared_key) {
        model_fatal(m, SD_illegal_parameter, "pre_shared_key is not the last extension");
        return false;
    }
    /* OfferedPsks { PskIdentity identities<7..2^16-1>;
     *               PskBinderEntry binders<33..2^16-1>; }
     * PskIdentity { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; }
     * PskBinderEntry opaque<32..255>; */
    sd_reader r = sd_reader_of(psk_body);
    sd_span identities, binders;
    if (!sd_read_prefixed(&r, 2, &identities) || identities.len < 7 || !sd_read_prefixed(&r, 2, &binders) ||
        binders.len < 33 || !sd_reader_done(&r)) {
        model_fatal(m, SD_decode_error, "malformed pre_shared_key");
        return false;
    }
    size_t n_identities = 0, n_binders = 0;
    for (sd_reader ids = sd_reader_of(identities); !sd_reader_done(&ids); n_identities++) {
        sd_span identity;
        uint32_t age;
        if (!sd_read_prefixed(&ids, 2, &identity) || identity.len == 0 || !sd_read_u32(&ids, &age)) {
            model_fatal(m, SD_decode_error, "malformed PskIdentity");
            return false;
        }
    }
    for (sd_reader bs = sd_reader_of(binders); !sd_reader_done(&bs); n_binders++) {
        sd_span binder;
        if (!sd_read_prefixed(&bs, 1, &binder) || binder.len < 32) {
            model_fatal(m, SD_decode_error, "malformed PskBinderEntry");
            return false;
        }
    }
    /* §4.2.11: the binders list "in the same order as the identities
     * list"; a count mismatch cannot be paired up. */
    if (n_identities != n_binders) {
        model_fatal(m, SD_illegal_parameter, "%zu PSK identities but %zu binders", n_identities, n_binders);
        return false;
    }
    /* §4.2.9: "If clients offer "pre_shared_key" without a
     * "psk_key_exchange_modes" extension, servers MUST abort the handshake." */
    if (!has_modes) {
        model_fatal(m, SD_missing_extension, "pre_shared_key without psk_key_exchange_modes");
        return false;
    }
    *out_identities = identities;
    *out_binders = binders;
    return true;
}

/* Server: picks the first offered ticket of ours whose hash matches the
 * chosen suite, and checks its binder. `body` is the ClientHello body, the
 * last bytes of the transcript. Returns false after a fatal alert. */
bool tls13_select_psk(sd_model *m, sd_span body, sd_span identities, sd_span binders) {
    sd_reader ids = sd_reader_of(identities);
    for (int i = 0; !sd_reader_done(&ids); i++) {
        sd_span identity;
        uint32_t age;
        const sd_suite *suite;
        uint8_t psk[SD_MAX_HASH_LEN];
        size_t psk_len;
        uint32_t max_early = 0;
        if (!sd_read_prefixed(&ids, 2, &identity) || !sd_read_u32(&ids, &age)) return true;
        if (i > 0 && m->cfg.psk_first_identity_only) return true;
        /* §4.2.11: "the server MUST ensure that it selects a compatible PSK
         * (if any) and cipher suite". */
        if (!open_ticket(m, identity, &suite, psk, &psk_len, &max_early) || suite->md() != m->suite->md())
            continue;
        sd_reader bs = sd_reader_of(binders);
        sd_span binder = {0};
        for (int j = 0; j <= i; j++) sd_read_prefixed(&bs, 1, &binder);
        /* The truncated ClientHello: header and body up to the binders list
         * (its 2-byte length included in what is cut). */
        const sd_buf *t = &m->rl.transcript.bytes;
        size_t ch_start = t->len - (4 + body.len);
        size_t cut = (size_t)(binders.data - 2 - body.data);
        uint8_t expected[SD_MAX_HASH_LEN];
        if (!sd_psk_binder(suite, psk, psk_len, sd_span_of(t->data, ch_start),
                           sd_span_of(t->data + ch_start, 4 + cut), expected)) {
            model_fatal(m, SD_internal_error, "binder computation failed");
            return false;
        }
        /* §4.2.11: "Prior to accepting PSK key establishment, the server MUST
         * validate the corresponding binder value ... If this value is not
         * present or does not validate, the server MUST abort the handshake";
         * §6.2: decrypt_error covers failing to "validate ... a PSK binder". */
        if (binder.len != suite->hash_len || CRYPTO_memcmp(binder.data, expected, binder.len) != 0) {
            model_fatal(m, SD_decrypt_error, "PSK binder does not verify");
            return false;
        }
        m->psk_accepted = true;
        m->psk_index = i;
        m->ticket_max_early = max_early;
        m->ticket_suite = suite->id;
        m->psk_binder_len = binder.len < sizeof m->psk_binder ? binder.len : sizeof m->psk_binder;
        memcpy(m->psk_binder, binder.data, m->psk_binder_len);
        m->psk_len = psk_len;
        memcpy(m->psk, psk, psk_len);
        OPENSSL_cleanse(psk, sizeof psk);
        return true;
    }
    return true;
}

/* Server, after the client's Finished: one NewSessionTicket (§4.6.1). */
void tls13_send_session_ticket(sd_model *m) {
    uint8_t hash[SD_MAX_HASH_LEN], psk[SD_MAX_HASH_LEN];
    static const uint8_t nonce[1] = {0};
    if (!model_transcript_hash(m, hash) || !sd_ks_resumption(&m->ks, hash) ||
        !sd_hkdf_expand_label(m->suite->md(), m->ks.resumption_master, "resumption", nonce, sizeof nonce, psk,
                              m->suite->hash_len))
        return model_fatal(m, SD_internal_error, "resumption secret");
    sd_buf ticket, body;
    sd_buf_init(&ticket);
    sd_buf_init(&body);
    seal_ticket(m, psk, m->suite->hash_len, m->cfg.max_early_data, &ticket);
    uint8_t age_add[4];
    sd_rng_bytes(&m->rng, age_add, sizeof age_add);
    sd_new_session_ticket nst = {
        .ticket_lifetime = 7200, /* §4.6.1: at most seven days; two hours is plenty for tests */
        .ticket_age_add =
            (uint32_t)age_add[0] << 24 | (uint32_t)age_add[1] << 16 | (uint32_t)age_add[2] << 8 | age_add[3],
        .ticket_nonce = sd_span_of(nonce, sizeof nonce),
        .ticket = sd_buf_span(&ticket),
        .extensions = sd_span_of(NULL, 0),
    };
    /* §4.6.1: "early_data ... indicates that the ticket may be used to send
     * 0-RTT data"; its max_early_data_size is the configured one. */
    uint8_t early_ext[8] = {SD_early_data >> 8,
                            SD_early_data & 0xff,
                            0,
                            4,
                            (uint8_t)(m->cfg.max_early_data >> 24),
                            (uint8_t)(m->cfg.max_early_data >> 16),
                            (uint8_t)(m->cfg.max_early_data >> 8),
                            (uint8_t)m->cfg.max_early_data};
    if (m->cfg.max_early_data) nst.extensions = sd_span_of(early_ext, sizeof early_ext);
    if (ticket.len) {
        sd_build_new_session_ticket(&body, &nst);
        sd_rl_send_handshake(&m->rl, SD_NewSessionTicket, sd_buf_span(&body));
    }
    sd_buf_free(&ticket);
    sd_buf_free(&body);
    OPENSSL_cleanse(psk, sizeof psk);
}

/* --- 0-RTT (RFC 8446 §2.3, §4.2.10, §8) --------------------------------------- */

/* The store of §8.2's ClientHello recording: the run's session cache
 * (protocol/session_cache.h), which every server of the run shares, under
 * this name, keyed by the validated binder. */
static const char kEarlyDataRecord[] = "model 0-RTT";

bool tls13_accept_early_data(sd_model *m) {
    /* §4.2.10: "In order to accept early data, the server MUST have
     * accepted a PSK cipher suite and selected the first key offered in the
     * client's "pre_shared_key" extension. In addition, it MUST verify that
     * the following values are the same as those associated with the
     * selected PSK: The TLS version number, The selected cipher suite, The
     * selected ALPN protocol" (tickets are TLS 1.3's alone). The model's
     * tickets do not keep the ALPN protocol, so a server with protocols
     * (cfg.alpn) cannot verify it and accepts no 0-RTT; one without never
     * selects one, in any connection. A ticket issued without early_data
     * allows none (§4.6.1), nor does a server not configured for it. */
    if (!m->cfg.max_early_data || m->cfg.alpn.len || !m->psk_accepted || m->psk_index != 0 ||
        m->ticket_max_early == 0 || m->ticket_suite != m->suite->id || m->psk_binder_len == 0)
        return false;
    /* §8: "The server MUST ensure that any instance of it ... would accept
     * 0-RTT for the same 0-RTT handshake at most once"; §8.2: record "a
     * unique value derived from the ClientHello (generally either the random
     * value or the PSK binder)" and, for a match, "accepts the PSK but
     * rejects 0-RTT". The key is the binder the server validated ("The
     * server MUST derive the storage key only from validated sections of the
     * ClientHello"). Without a store to record in, the model cannot keep
     * that promise, so it accepts no 0-RTT at all. */
    struct sd_session_cache *record = m->cfg.session_cache;
    sd_span key = sd_span_of(m->psk_binder, m->psk_binder_len), seen;
    if (!record || sd_session_cache_get(record, kEarlyDataRecord, key, &seen)) return false;
    static const uint8_t accepted = 1;
    return sd_session_cache_put(record, kEarlyDataRecord, key, sd_span_of(&accepted, 1));
}

bool tls13_derive_early_secret(sd_model *m, const sd_suite *suite) {
    const EVP_MD *md = suite->md();
    sd_key_schedule early;
    uint8_t hash[SD_MAX_HASH_LEN];
    unsigned n = 0;
    const sd_buf *t = &m->rl.transcript.bytes;
    bool ok = sd_ks_init(&early, suite, m->psk, m->psk_len) &&
              EVP_Digest(t->data, t->len, hash, &n, md, NULL) &&
              sd_derive_secret(md, early.early_secret, "c e traffic", hash, m->client_early_traffic);
    OPENSSL_cleanse(&early, sizeof early);
    if (!ok) model_fatal(m, SD_internal_error, "cannot derive client_early_traffic_secret");
    return ok;
}
