/* driver_keys.c — the peer's keys and connection state: key shares, the
 * TLS 1.3 key schedule and KeyUpdate, TLS 1.2 key derivation, and the
 * secrets the observers get. The state moves by what each side actually sent,
 * whatever its order: the target's messages through
 * driver_on_target_handshake, the driver's through driver_on_sent_handshake.
 *
 * TLS 1.2 (cfg->version SD_TLS12): the driver tracks the suite, the randoms,
 * the server's key and ECDHE share, derives the master secret (RFC 5246
 * §8.1, or RFC 7627 §4 when both sides sent extended_master_secret) and key
 * block once ClientKeyExchange is in the transcript, and makes the pending
 * keys current where RFC 5246 §7.1 says: its own write keys right after it
 * sends ChangeCipherSpec, the target's read keys when the target's
 * ChangeCipherSpec arrives. The crypto is shared with the model (crypto/tls12.h,
 * wire/tls12.h), so both put the same bytes on the wire. */
#include "driver/driver_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/mem.h>
#include <openssl/x509.h>

#include "protocol/messages.h"
#include "wire/cert_compression.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/tls12.h"

static uint16_t find_record_size_limit(const driver *d, sd_span exts);
static uint8_t find_max_fragment_length(const driver *d, sd_span exts);

/* What the target's ClientHello offers: suites, signature schemes, groups,
 * whether it asks for OCSP. Unparsable lists are left empty: the driver
 * observes, the oracle judges. */
/* The whole list, in its order (driver_state.h); without memory the
 * driver keeps none and signs with a scheme of its own offer. */
static void keep_peer_sigalgs(driver *d, sd_u16_list l) {
    size_t n = sd_u16_list_count(l);
    free(d->peer_sigalgs);
    d->peer_sigalgs = n ? malloc(n * sizeof *d->peer_sigalgs) : NULL;
    d->n_peer_sigalgs = d->peer_sigalgs ? n : 0;
    for (size_t i = 0; i < d->n_peer_sigalgs; i++) d->peer_sigalgs[i] = sd_u16_list_at(l, i);
}

/* RFC 8879 §3: the first algorithm of a compress_certificate extension in
 * the block that the driver has (zlib, brotli); 0 for none. */
static uint16_t peer_cert_compression(sd_span extensions) {
    static const uint16_t own[] = {SD_CERT_COMPRESSION_ZLIB, SD_CERT_COMPRESSION_BROTLI};
    sd_span body;
    sd_u16_list algs;
    uint8_t alert;
    if (!sd_extensions_find(extensions, SD_compress_certificate, &body) ||
        !sd_parse_compress_certificate(body, &algs, &alert))
        return 0;
    return sd_cert_compression_pick(algs, own, sizeof own / sizeof own[0]);
}

/* RFC 8879 §4: a target's CompressedCertificate where the driver offered
 * compression, held to the RFC; the fault for its event, or NULL. */
static const char *compressed_certificate_fault(const driver *d, sd_span body) {
    sd_compressed_certificate cc;
    uint8_t alert;
    if (!sd_parse_compressed_certificate(body, &cc, &alert)) return "CompressedCertificate does not parse";
    if (!sd_u16_in(d->cfg->cert_compression, d->cfg->n_cert_compression, cc.algorithm))
        return "CompressedCertificate uses an algorithm the driver did not offer (RFC 8879 §4: \"The "
               "algorithm "
               "MUST be one of the algorithms listed in the peer's compress_certificate extension.\")";
    sd_buf out;
    sd_buf_init(&out);
    const char *why = NULL;
    bool ok = sd_cert_decompress(cc.algorithm, cc.compressed, cc.uncompressed_length, &out, &why);
    sd_certificate c;
    bool parses = ok && sd_parse_certificate(sd_buf_span(&out), &c, &alert);
    sd_buf_free(&out);
    if (!ok) return "CompressedCertificate does not decompress to uncompressed_length bytes (RFC 8879 §4)";
    if (!parses) return "CompressedCertificate holds no Certificate (RFC 8879 §4)";
    return NULL;
}

static void remember_offer(driver *d, const sd_client_hello *ch) {
    uint8_t alert;
    sd_span body;
    d->peer_record_limit_offer = find_record_size_limit(d, ch->extensions);
    d->peer_fragment_length_request = find_max_fragment_length(d, ch->extensions);
    d->peer_offers_etm = d->cfg->encrypt_then_mac &&
                         sd_extensions_find(ch->extensions, SD_encrypt_then_mac, &body) && body.len == 0;
    /* RFC 7366 §2: a client "includes the encrypt_then_mac extension in its
     * client_hello if it wishes to use encrypt-then-MAC"; one set up for it
     * (`encrypt-then-mac: on`) that offers TLS 1.2 and leaves it out, or
     * sends a body, is not doing what it was asked to. */
    if (d->cfg->encrypt_then_mac && d->tls12 && !d->peer_offers_etm)
        d->hello_fault =
            "ClientHello carries no empty encrypt_then_mac, though the client is set up to offer "
            "it (RFC 7366 §2: \"the client includes the encrypt_then_mac extension in its "
            "client_hello if it wishes to use encrypt-then-MAC\")";
    /* RFC 6066 §8: CertificateStatusRequest starts with status_type, ocsp(1)
     * the one defined; what follows (responder ids, extensions) the driver
     * does not use. */
    d->peer_wants_ocsp =
        sd_extensions_find(ch->extensions, SD_status_request, &body) && body.len > 0 && body.data[0] == 1;
    d->cc_peer_alg = peer_cert_compression(ch->extensions);
    sd_u16_list l, suites = {ch->cipher_suites};
    d->n_peer_suites = 0;
    for (size_t i = 0; i < sd_u16_list_count(suites) && d->n_peer_suites < 32; i++)
        d->peer_suites[d->n_peer_suites++] = sd_u16_list_at(suites, i);
    sd_u16_list none = {{0}};
    if (sd_extensions_find(ch->extensions, SD_signature_algorithms, &body) &&
        sd_u16_list_parse(body, 2, false, &l, &alert))
        keep_peer_sigalgs(d, l);
    else
        keep_peer_sigalgs(d, none);
    d->n_peer_groups = 0;
    if (sd_extensions_find(ch->extensions, SD_supported_groups, &body) &&
        sd_u16_list_parse(body, 2, false, &l, &alert))
        for (size_t i = 0; i < sd_u16_list_count(l) && d->n_peer_groups < 16; i++)
            d->peer_groups[d->n_peer_groups++] = sd_u16_list_at(l, i);
    /* RFC 7301 §3.1: the client's protocols "in descending order of
     * preference"; the driver would select the first. */
    sd_span names, first;
    d->peer_alpn_valid = false;
    if (sd_extensions_find(ch->extensions, SD_application_layer_protocol_negotiation, &body) &&
        sd_parse_alpn(body, false, &names, &alert)) {
        sd_reader it = sd_reader_of(names);
        if (sd_alpn_next(&it, &first)) {
            memcpy(d->peer_alpn_first, first.data, first.len);
            d->peer_alpn_first_len = first.len;
            d->peer_alpn_valid = true;
        }
    }
}

/* record_size_limit (RFC 8449 §4) in `exts`, when the scenario set one:
 * its value, or 0 when absent or not a valid limit. */
static uint16_t find_record_size_limit(const driver *d, sd_span exts) {
    sd_span body;
    uint16_t limit;
    uint8_t alert;
    if (!d->cfg->record_size_limit || !sd_extensions_find(exts, SD_record_size_limit, &body) ||
        !sd_parse_record_size_limit(body, &limit, &alert))
        return 0;
    return limit;
}

/* max_fragment_length (RFC 6066 §4) in `exts`, when the scenario set one:
 * its code, or 0 when absent or not 1-4. */
static uint8_t find_max_fragment_length(const driver *d, sd_span exts) {
    sd_span body;
    uint8_t code, alert;
    if (!d->cfg->max_fragment_length || !sd_extensions_find(exts, SD_max_fragment_length, &body) ||
        !sd_parse_max_fragment_length(body, &code, &alert))
        return 0;
    return code;
}

/* Server: the driver's answer as sent (EncryptedExtensions, or a TLS 1.2
 * ServerHello) negotiates the limits: the target's offer for the driver's
 * records, the driver's answer for the target's; and the maximum fragment
 * length it echoes, for both (RFC 6066 §4: from this message on). */
static void note_record_size_limit_answer(driver *d, sd_span exts) {
    uint8_t echoed = find_max_fragment_length(d, exts);
    if (echoed && d->peer_fragment_length_request)
        d->rl.max_fragment_len = sd_max_fragment_length_bytes(echoed);
    uint16_t own = find_record_size_limit(d, exts);
    if (!own || !d->peer_record_limit_offer) return;
    d->rl.peer_record_limit = d->peer_record_limit_offer;
    d->rl.own_record_limit = own;
}

/* Client: the ALPN list the ClientHello as sent carried. */
static void note_alpn_offer(driver *d, const sd_client_hello *ch) {
    sd_span body, names;
    uint8_t alert;
    d->alpn_offered = sd_extensions_find(ch->extensions, SD_application_layer_protocol_negotiation, &body);
    d->alpn_offer_valid =
        d->alpn_offered && sd_parse_alpn(body, false, &names, &alert) && names.len <= sizeof d->alpn_offer;
    d->alpn_offer_len = 0;
    if (d->alpn_offer_valid) {
        memcpy(d->alpn_offer, names.data, names.len);
        d->alpn_offer_len = names.len;
    }
}

/* Client: what the server answers among `exts` (its EncryptedExtensions,
 * or a TLS 1.2 ServerHello) on the extensions the trace may add to the
 * ClientHello: no echo of padding (RFC 7685), and an ALPN answer held to
 * what an honest client checks and, when the scenario set the server up
 * with protocols, to the choice RFC 7301 §3.2 asks of it. A fault is left
 * in hello_fault for the event. */
static void check_server_extensions(driver *d, sd_span exts) {
    sd_span body, names, name = {0}, want;
    uint8_t alert;
    /* RFC 8449 §4: the server's record_size_limit answers the driver's
     * offer; from here each side keeps to the other's limit. */
    uint16_t server_limit = find_record_size_limit(d, exts);
    if (server_limit && d->record_limit_offered) {
        d->rl.peer_record_limit = server_limit;
        d->rl.own_record_limit = d->record_limit_offered;
    }
    /* RFC 7366 §3: "If a server receives an encrypt-then-MAC request
     * extension from a client and then selects a stream or Authenticated
     * Encryption with Associated Data (AEAD) ciphersuite, it MUST NOT send
     * an encrypt-then-MAC response extension back to the client." */
    if (d->tls12 && d->cfg->encrypt_then_mac && sd_extensions_find(exts, SD_encrypt_then_mac, &body) &&
        d->suite12 && d->suite12->bulk != SD_BULK_AES_128_CBC_SHA) {
        d->hello_fault = "echoes encrypt_then_mac with a suite that is not a CBC one (RFC 7366 §3: \"it MUST "
                         "NOT send an encrypt-then-MAC response extension back to the client\")";
        return;
    }
    /* RFC 7366 §2: "If the server is capable of meeting this requirement,
     * it responds with an encrypt_then_mac in its server_hello": a server
     * set up for it that chose a CBC suite answers the driver's offer. */
    if (d->tls12 && d->cfg->encrypt_then_mac && d->etm_offered && d->suite12 &&
        d->suite12->bulk == SD_BULK_AES_128_CBC_SHA &&
        !sd_extensions_find(exts, SD_encrypt_then_mac, &body)) {
        d->hello_fault = "no encrypt_then_mac echo for a CBC suite, though the server is set up for it (RFC "
                         "7366 §2: \"If the server is capable of meeting this requirement, it responds with "
                         "an encrypt_then_mac in its server_hello\")";
        return;
    }
    /* RFC 6066 §4: an answer to the driver's request negotiates the length
     * for both directions; one of another length is the server's fault. */
    if (d->cfg->max_fragment_length && d->fragment_length_requested &&
        sd_extensions_find(exts, SD_max_fragment_length, &body)) {
        uint8_t code = find_max_fragment_length(d, exts);
        if (code != d->fragment_length_requested) {
            d->hello_fault = "max_fragment_length answer is not the length requested (RFC 6066 §4: its "
                             "value \"is the same as the requested maximum fragment length\")";
            return;
        }
        d->rl.max_fragment_len = sd_max_fragment_length_bytes(code);
    }
    /* RFC 7685 §3: "The server MUST NOT echo the extension." (padding,
     * whether or not the ClientHello carried it). */
    if (sd_extensions_find(exts, SD_padding, &body)) {
        d->hello_fault =
            "echoes the padding extension (RFC 7685 §3: \"The server MUST NOT echo the extension.\")";
        return;
    }
    /* RFC 5246 §7.4.1.4: no extension the ClientHello did not carry; here
     * extended_master_secret, which a trace may leave out of the
     * ClientHello (drop-ext): an echo then would have the server derive the
     * extended master secret alone (RFC 7627 §5.2). */
    if (d->tls12 && !d->client_ems && sd_extensions_find(exts, SD_extended_master_secret, &body)) {
        d->hello_fault = "echoes extended_master_secret, which the ClientHello did not carry (RFC 5246 "
                         "§7.4.1.4: \"An extension type MUST NOT appear in the ServerHello unless the same "
                         "extension type appeared in the corresponding ClientHello.\")";
        return;
    }
    bool answered = sd_extensions_find(exts, SD_application_layer_protocol_negotiation, &body);
    if (answered && !d->alpn_offered) {
        d->hello_fault = "ALPN answer to a ClientHello that offered none (RFC 8446 §4.2, RFC 5246 "
                         "§7.4.1.4: no extension responses the client did not request)";
        return;
    }
    if (answered) {
        if (!sd_parse_alpn(body, true, &names, &alert)) {
            d->hello_fault = "ALPN answer is not exactly one non-empty protocol name (RFC 7301 §3.1: the "
                             "\"ProtocolNameList\" MUST contain exactly one \"ProtocolName\")";
            return;
        }
        /* The one name sd_parse_alpn found there. */
        sd_reader it = sd_reader_of(names);
        if (!sd_alpn_next(&it, &name)) return;
        if (d->alpn_offer_valid && !sd_alpn_contains(sd_span_of(d->alpn_offer, d->alpn_offer_len), name)) {
            d->hello_fault = "ALPN answer names a protocol the driver did not offer (RFC 7301 §3.2: a "
                             "protocol \"that it supports and that is also advertised by the client\")";
            return;
        }
    }
    if (d->role == SD_ROLE_CLIENT && d->cfg->target_alpn.len && d->alpn_offer_valid &&
        sd_alpn_select(d->cfg->target_alpn, sd_span_of(d->alpn_offer, d->alpn_offer_len), &want) &&
        !(answered && sd_span_eq(name, want)))
        d->hello_fault = answered
                             ? "ALPN answer is not the server's most preferred protocol the driver offered "
                               "(RFC 7301 §3.2: \"the server SHOULD select the most highly preferred "
                               "protocol that it supports and that is also advertised by the client\")"
                             : "no ALPN answer, though the server speaks a protocol the driver offered "
                               "(RFC 7301 §3.2: \"the server SHOULD select the most highly preferred "
                               "protocol that it supports and that is also advertised by the client\")";
}

/* --- Secrets for observers ----------------------------------------------- */

/* NSS key log format, so that Wireshark can decrypt an exported trace. */
static void report_secret(driver *d, const char *label, const uint8_t *secret) {
    if (d->cfg->on_secret)
        d->cfg->on_secret(d->cfg->observer_ctx, label, d->client_random, secret, d->suite->hash_len);
}

/* --- TLS 1.3 key schedule (RFC 8446 §7.1) and KeyUpdate (§7.2) ------------ */

/* application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length),
 * then that side's record keys. */
void driver_harness_failed(driver *d, const char *what) {
    if (d->harness_error[0] == '\0') snprintf(d->harness_error, sizeof d->harness_error, "driver: %s", what);
}

/* Keys the driver derived go into a record key slot; failing that is ours. */
static void set_record_keys(driver *d, sd_record_keys *k, const uint8_t *secret) {
    if (!sd_record_keys_set(k, d->suite, secret)) driver_harness_failed(d, "cannot install record keys");
}

static void update_traffic_keys(driver *d, sd_role side) {
    if (!d->have_application_secrets) return;
    uint8_t *secret =
        side == SD_ROLE_CLIENT ? d->ks.client_application_traffic : d->ks.server_application_traffic;
    uint8_t next[SD_MAX_HASH_LEN];
    if (!sd_hkdf_expand_label(d->suite->md(), secret, "traffic upd", NULL, 0, next, d->suite->hash_len))
        return;
    memcpy(secret, next, d->suite->hash_len);
    OPENSSL_cleanse(next, sizeof next);
    set_record_keys(d, side == d->role ? &d->rl.write : &d->rl.read, secret);
}

static void derive_handshake(driver *d, const uint8_t *ecdhe, size_t ecdhe_len) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!d->suite || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return;
    /* §7.1: a resumed handshake's Early Secret is from the PSK; a full
     * one's from zeros. */
    bool client = d->role == SD_ROLE_CLIENT;
    const sd_suite *psk_suite = client ? d->offer_suite : d->session ? d->session->suite : NULL;
    const uint8_t *psk_bytes = client ? d->offer_psk : d->session ? d->session->psk : NULL;
    bool psk = d->psk_accepted && psk_suite;
    if (!sd_ks_init(&d->ks, d->suite, psk ? psk_bytes : NULL, psk ? psk_suite->hash_len : 0) ||
        !sd_ks_handshake(&d->ks, ecdhe, ecdhe_len, hash))
        return;
    d->have_handshake_secrets = true;
    report_secret(d, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", d->ks.client_handshake_traffic);
    report_secret(d, "SERVER_HANDSHAKE_TRAFFIC_SECRET", d->ks.server_handshake_traffic);
    /* §4.2.10: 0-RTT goes on under the early keys until the server says
     * whether it reads them (EncryptedExtensions); a ServerHello without
     * the PSK has refused them already. */
    if (client && d->early_writing && !psk) d->early_refused = true;
    if (!client || !d->early_writing)
        set_record_keys(d, &d->rl.write,
                        client ? d->ks.client_handshake_traffic : d->ks.server_handshake_traffic);
    if (client || !d->early_reading)
        set_record_keys(d, &d->rl.read,
                        client ? d->ks.server_handshake_traffic : d->ks.client_handshake_traffic);
}

/* §7.1: client_early_traffic_secret = Derive-Secret(Early Secret, "c e
 * traffic", ClientHello), the transcript holding the ClientHello alone;
 * false if it cannot be made. */
static bool derive_early(driver *d, const sd_suite *suite, const uint8_t *psk) {
    sd_key_schedule early;
    uint8_t hash[SD_MAX_HASH_LEN];
    bool ok = suite && sd_ks_init(&early, suite, psk, suite->hash_len) &&
              sd_rl_transcript_hash(&d->rl, suite, hash) &&
              sd_derive_secret(suite->md(), early.early_secret, "c e traffic", hash, d->client_early_traffic);
    OPENSSL_cleanse(&early, sizeof early);
    if (ok && d->cfg->on_secret)
        d->cfg->on_secret(d->cfg->observer_ctx, "CLIENT_EARLY_TRAFFIC_SECRET", d->client_random,
                          d->client_early_traffic, suite->hash_len);
    return ok;
}

/* After the server's Finished is in the transcript (§7.1). */
static void derive_application(driver *d) {
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!d->have_handshake_secrets || !sd_rl_transcript_hash(&d->rl, d->suite, hash)) return;
    if (!sd_ks_application(&d->ks, hash)) return;
    d->have_application_secrets = true;
    report_secret(d, "CLIENT_TRAFFIC_SECRET_0", d->ks.client_application_traffic);
    report_secret(d, "SERVER_TRAFFIC_SECRET_0", d->ks.server_application_traffic);
    report_secret(d, "EXPORTER_SECRET", d->ks.exporter_master);
}

static const uint8_t *app_secret(driver *d, sd_role side) {
    if (!d->have_application_secrets) return NULL;
    return side == SD_ROLE_CLIENT ? d->ks.client_application_traffic : d->ks.server_application_traffic;
}

/* --- TLS 1.2 keys (RFC 5246 §6.3, §7.1, §8.1; RFC 7627 §4) --------------- */

/* Master secret and key block, once ClientKeyExchange is in the
 * transcript: the session hash of RFC 7627 covers it. */
static void derive12(driver *d) {
    if (!d->suite12 || d->pms_len == 0) return;
    if (!sd_tls12_derive_session_keys(d->suite12, d->pms, d->pms_len, d->client_random, d->server_random,
                                      d->client_ems && d->server_ems, &d->rl.transcript, d->master,
                                      &d->keys12))
        return;
    OPENSSL_cleanse(d->pms, sizeof d->pms);
    d->have_master = true;
    /* NSS key log: "CLIENT_RANDOM <client random> <master secret>". */
    if (d->cfg->on_secret)
        d->cfg->on_secret(d->cfg->observer_ctx, "CLIENT_RANDOM", d->client_random, d->master,
                          sizeof d->master);
}

void driver_install_keys12(driver *d, sd_record_keys *k, bool client_side) {
    if (!d->have_master) return;
    if (!sd_tls12_install_keys(k, d->suite12, &d->keys12, client_side) ||
        !sd_record_keys_set_encrypt_then_mac(k, d->etm12))
        driver_harness_failed(d, "cannot install TLS 1.2 record keys");
}

void driver_install_empty_master_keys12(driver *d) {
    /* The suite says the key and IV lengths: known from the ServerHello.
     * Before it there is nothing to derive keys for (the attack of
     * CVE-2014-0224 needs the negotiated suite), so the CCS goes out as a
     * plain one and the records after it stay in the clear: a fuzzed trace
     * that puts it there tests an early CCS, not a harness error. */
    if (!d->suite12) return;
    sd_tls12_key_block kb;
    if (!sd_tls12_derive_keys_from(d->suite12, NULL, 0, d->client_random, d->server_random, &kb) ||
        !sd_tls12_install_keys(&d->rl.write, d->suite12, &kb, d->role == SD_ROLE_CLIENT))
        driver_harness_failed(d, "cannot install TLS 1.2 keys from an empty master secret");
    OPENSSL_cleanse(&kb, sizeof kb);
}

/* The ClientHello fields TLS 1.2 needs, from the target's or from what the
 * driver itself sent. */
static void note_client_hello12(driver *d, const sd_client_hello *ch) {
    sd_span body;
    uint8_t alert;
    memcpy(d->client_random, ch->random.data, SD_RANDOM_LEN);
    d->client_version = ch->legacy_version;
    d->client_ems = sd_extensions_find(ch->extensions, SD_extended_master_secret, &body);
    sd_u16_list suites = {ch->cipher_suites};
    d->client_reneg = sd_extensions_find(ch->extensions, SD_renegotiation_info, &body) ||
                      sd_u16_list_contains(suites, 0x00FF); /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
    (void)alert;
}

/* The ServerHello fields both sides need, from the target's or from what
 * the driver sent (so a mutated suite or random is what the keys use). Once
 * the handshake's master secret is derived, a ServerHello starts nothing (a
 * renegotiation starts afresh, driver_start_renegotiation): the keys stay
 * those of the suite they were derived for, whatever suite a ServerHello
 * sent after them names (a TLS 1.3 one, from a fuzzed trace, would leave
 * none to install them with). */
static bool note_server_hello12(driver *d, sd_span sh_body) {
    sd_server_hello sh;
    sd_span body;
    uint8_t alert;
    if (!sd_parse_server_hello(sh_body, &sh, &alert)) return false;
    if (d->have_master) return true;
    d->server_reneg = sd_extensions_find(sh.extensions, SD_renegotiation_info, &body);
    memcpy(d->server_random, sh.random.data, SD_RANDOM_LEN);
    d->suite12 = sd_tls12_suite_find(sh.cipher_suite);
    /* RFC 7366 §3: encrypt-then-MAC applies to a CBC suite only; an echo
     * with another (a deviation) leaves the driver's records as they are. */
    d->etm12 = d->cfg->encrypt_then_mac && sd_extensions_find(sh.extensions, SD_encrypt_then_mac, &body) &&
               d->suite12 && d->suite12->bulk == SD_BULK_AES_128_CBC_SHA;
    d->server_ems = sd_extensions_find(sh.extensions, SD_extended_master_secret, &body);
    /* The session id the ServerHello named (the driver's own as sent, when
     * it is the server), under which the session is kept. */
    if (sh.legacy_session_id_echo.len <= sizeof d->server_session_id12) {
        memcpy(d->server_session_id12, sh.legacy_session_id_echo.data, sh.legacy_session_id_echo.len);
        d->server_session_id12_len = sh.legacy_session_id_echo.len;
    }
    /* RFC 5246 §7.4.1.3: a server that resumes answers with the session id
     * the client offered (RFC 5077 §3.4 the same with a ticket); the keys
     * come from that session's master secret and the new randoms (§8.1,
     * §6.3), with no key exchange. A client takes a ServerHello that
     * echoes its id with the session's suite as resuming; a server resumes
     * when the client offered the kept session and the ServerHello as sent
     * echoes the client's id with the session's suite (a trace that
     * changed either answers with a full handshake, or with a deviation
     * the client refuses before keys matter). */
    const driver_session *s = d->session;
    bool offered = d->role == SD_ROLE_CLIENT ? d->session_id_len > 0 : d->peer_offers_session12;
    if (s && s->have_session12 && offered &&
        sd_span_eq(sh.legacy_session_id_echo, sd_span_of(d->session_id, d->session_id_len)) &&
        d->suite12 == s->suite12) {
        memcpy(d->master, s->master12, sizeof d->master);
        if (sd_tls12_derive_keys_from(d->suite12, d->master, sizeof d->master, d->client_random,
                                      d->server_random, &d->keys12)) {
            d->have_master = true;
            d->resumed12 = true;
        }
    }
    return true;
}

/* Server: a client under test that renegotiates a connection whose
 * secure_renegotiation flag is set (both hellos of the last handshake
 * signalled RFC 5746, §3.4) must say so in its new ClientHello, RFC 5746
 * §3.5: "The client MUST include the "renegotiation_info" extension in the
 * ClientHello, containing the saved client_verify_data. The SCSV MUST NOT
 * be included." A fault is left in hello_fault for the event. (With the
 * flag unset, §4.2, a client should not renegotiate at all: the scenario's
 * expectation judges that.) */
static void check_renegotiating_client_hello(driver *d, sd_span body) {
    sd_client_hello ch;
    sd_span info;
    uint8_t alert;
    if (!d->client_reneg || !d->server_reneg || !sd_parse_client_hello(body, &ch, &alert)) return;
    sd_u16_list suites = {ch.cipher_suites};
    if (sd_u16_list_contains(suites, 0x00FF)) /* TLS_EMPTY_RENEGOTIATION_INFO_SCSV */
        d->hello_fault =
            "renegotiating ClientHello carries TLS_EMPTY_RENEGOTIATION_INFO_SCSV (RFC 5746 §3.5: "
            "\"The SCSV MUST NOT be included.\")";
    else if (!sd_extensions_find(ch.extensions, SD_renegotiation_info, &info))
        d->hello_fault = "renegotiating ClientHello has no renegotiation_info (RFC 5746 §3.5: \"The client "
                         "MUST include the \"renegotiation_info\" extension in the ClientHello\")";
    else if (info.len != 1 + sizeof d->client_verify_data || info.data[0] != sizeof d->client_verify_data ||
             memcmp(info.data + 1, d->client_verify_data, sizeof d->client_verify_data) != 0)
        d->hello_fault = "renegotiating ClientHello's renegotiation_info is not the saved client_verify_data "
                         "(RFC 5746 §3.5: \"containing the saved client_verify_data\")";
}

/* TLS 1.2: every handshake message is in the transcript (RFC 5246 §7.4.9:
 * "all of the data from all messages in this handshake"), but HelloRequest
 * (§7.4.1.1). */
static void on_target_handshake12(driver *d, const sd_handshake_msg *msg) {
    uint8_t alert;
    if (msg->type == SD_HelloRequest) return;
    bool client = d->role == SD_ROLE_CLIENT;
    /* A ClientHello from the client under test once both Finished have
     * gone over the wire starts a renegotiation (RFC 5246 §7.4.1.2): a new
     * handshake, under the keys in use until its ChangeCipherSpec. */
    if (!client && msg->type == SD_ClientHello && d->have_client_verify_data && d->have_server_verify_data) {
        check_renegotiating_client_hello(d, msg->body);
        driver_start_renegotiation(d);
        d->target_finished = d->driver_finished = false;
    }
    sd_transcript_add(&d->rl.transcript, msg->whole);
    if (msg->type == SD_Finished) driver_note_finished12(d, !client, msg->body);
    if (client && msg->type == SD_ServerHello) {
        note_server_hello12(d, msg->body);
        sd_server_hello sh;
        if (sd_parse_server_hello(msg->body, &sh, &alert)) check_server_extensions(d, sh.extensions);
    } else if (client && msg->type == SD_Certificate) {
        sd_tls12_certificate c;
        sd_reader it;
        sd_span leaf;
        if (!sd_parse_tls12_certificate(msg->body, &c, &alert)) return;
        it = sd_reader_of(c.certificate_list);
        if (sd_tls12_certificate_next(&it, &leaf, &alert) <= 0) return;
        EVP_PKEY *key;
        if (!sd_certificate_public_key(leaf, &key)) return;
        EVP_PKEY_free(d->server_key12);
        d->server_key12 = key;
    } else if (client && msg->type == SD_ServerKeyExchange && d->suite12 && d->suite12->kx == SD_KX_DHE_RSA) {
        sd_tls12_ske_dhe ske;
        d->dh_p12_len = d->dh_g12_len = d->dh_ys12_len = 0;
        if (!sd_parse_tls12_ske_dhe(msg->body, &ske, &alert) || ske.p.len > sizeof d->dh_p12 ||
            ske.g.len > sizeof d->dh_g12 || ske.ys.len > sizeof d->dh_ys12)
            return;
        memcpy(d->dh_p12, ske.p.data, d->dh_p12_len = ske.p.len);
        memcpy(d->dh_g12, ske.g.data, d->dh_g12_len = ske.g.len);
        memcpy(d->dh_ys12, ske.ys.data, d->dh_ys12_len = ske.ys.len);
        d->group12 = sd_ffdhe_group_of(ske.p, ske.g);
    } else if (client && msg->type == SD_ServerKeyExchange) {
        sd_tls12_ske ske;
        if (!sd_parse_tls12_ske_ecdhe(msg->body, &ske, &alert)) return;
        d->group12 = ske.group;
        sd_buf_reset(&d->peer_share);
        sd_buf_append_span(&d->peer_share, ske.point);
    } else if (client && msg->type == SD_CertificateRequest) {
        /* §7.4.8: the driver's CertificateVerify uses one of these schemes. */
        sd_tls12_certificate_request cr;
        if (!sd_parse_tls12_certificate_request(msg->body, &cr, &alert)) return;
        sd_u16_list l = {cr.supported_signature_algorithms};
        keep_peer_sigalgs(d, l);
    } else if (client && msg->type == SD_NewSessionTicket) {
        /* RFC 5077 §3.3: the ticket to offer in a later connection; "If the
         * server determines that it does not want to include a ticket ... it
         * sends a zero-length ticket", and the client keeps none then. */
        sd_tls12_new_session_ticket t;
        if (!sd_parse_tls12_new_session_ticket(msg->body, &t, &alert)) return;
        sd_buf_reset(&d->ticket12_new);
        sd_buf_append_span(&d->ticket12_new, t.ticket);
        d->ticket12_new_seen = true;
    } else if (!client && msg->type == SD_ClientHello) {
        sd_client_hello ch;
        if (!sd_parse_client_hello(msg->body, &ch, &alert)) return;
        note_client_hello12(d, &ch);
        remember_offer(d, &ch);
        /* The id the client offered, which a resuming ServerHello echoes
         * (RFC 5246 §7.4.1.3; RFC 5077 §3.4 with a ticket). The parser
         * bounds it to 32 bytes. */
        memcpy(d->session_id, ch.legacy_session_id.data, ch.legacy_session_id.len);
        d->session_id_len = ch.legacy_session_id.len;
        /* Does it offer the session the driver kept: its ticket in
         * session_ticket (RFC 5077 §3.1; "If a ticket is presented by the
         * client, the server MUST NOT attempt to use the Session ID in the
         * ClientHello for stateful session resumption", §3.4), or else its
         * id (RFC 5246 §7.4.1.2)? A renegotiation resumes nothing here. */
        const driver_session *s = d->session;
        sd_span ticket;
        bool has_ticket = sd_extensions_find(ch.extensions, SD_session_ticket, &ticket) && ticket.len > 0;
        d->peer_offers_session12 =
            s && s->have_session12 && !d->have_master &&
            (has_ticket
                 ? s->ticket12.len > 0 && sd_span_eq(ticket, sd_buf_span(&s->ticket12))
                 : s->session_id12_len > 0 && ch.legacy_session_id.len > 0 &&
                       sd_span_eq(ch.legacy_session_id, sd_span_of(s->session_id12, s->session_id12_len)));
    } else if (!client && msg->type == SD_ClientKeyExchange && d->suite12) {
        /* The key of the certificate the driver presented (cert= included). */
        const char *name = d->cfg->driver_credential ? d->cfg->driver_credential : "leaf";
        const sd_credential *cred = d->cred12 ? d->cred12 : sd_pki_find(d->cfg->pki, name);
        if (d->suite12->kx == SD_KX_RSA) {
            sd_span encrypted;
            uint8_t random_pms[48];
            if (!cred || !cred->key || !sd_parse_tls12_cke_rsa(msg->body, &encrypted, &alert)) return;
            /* §7.4.7.1: a bad encryption gives a random premaster secret. */
            sd_rng_bytes(&d->rng, random_pms, sizeof random_pms);
            if (!sd_tls12_rsa_decrypt_pms(cred->key, encrypted, d->client_version, random_pms, d->pms))
                return;
            d->pms_len = 48;
        } else if (d->suite12->kx == SD_KX_DHE_RSA) {
            /* RFC 5246 §7.4.7.2, §8.1.2: Z with the client's dh_Yc. */
            sd_span yc;
            if (!sd_parse_tls12_cke_dhe(msg->body, &yc, &alert) ||
                !sd_dh_premaster(&d->share, sd_span_of(d->dh_p12, d->dh_p12_len), yc, d->pms, &d->pms_len,
                                 &alert))
                return;
        } else {
            sd_span point;
            if (!sd_parse_tls12_cke_ecdhe(msg->body, &point, &alert) ||
                !sd_key_share_derive(&d->share, point, d->pms, &d->pms_len, &alert))
                return;
        }
        derive12(d);
    }
}

/* --- Resumption (RFC 8446 §2.2, §4.6.1, §4.2.11) ---------------------------- */

/* A client keeps the last ticket the server gave it once the connection is
 * up, with the PSK its nonce makes: the transcript then runs from
 * ClientHello to the client's Finished, what resumption_master_secret
 * covers (§7.1), since NewSessionTicket and KeyUpdate stay outside it. */
static void keep_ticket13(driver *d, sd_span body) {
    sd_new_session_ticket t;
    uint8_t alert, hash[SD_MAX_HASH_LEN];
    driver_session *s = d->session;
    if (s && d->role == SD_ROLE_CLIENT && d->have_application_secrets && !d->driver_finished) {
        /* Half-RTT: the resumption secret needs the driver's Finished. */
        sd_buf_reset(&d->half_rtt_ticket);
        sd_buf_append_span(&d->half_rtt_ticket, body);
        return;
    }
    if (!s || d->role != SD_ROLE_CLIENT || !d->have_application_secrets || !d->driver_finished ||
        !sd_parse_new_session_ticket(body, &t, &alert) || t.ticket.len == 0 ||
        !sd_rl_transcript_hash(&d->rl, d->suite, hash) || !sd_ks_resumption(&d->ks, hash) ||
        !sd_hkdf_expand_label(d->suite->md(), d->ks.resumption_master, "resumption", t.ticket_nonce.data,
                              t.ticket_nonce.len, s->psk, d->suite->hash_len))
        return;
    s->have_ticket13 = true;
    s->suite = d->suite;
    s->ticket_age_add = t.ticket_age_add;
    s->ticket_lifetime = t.ticket_lifetime;
    s->received_ms = sd_now_ms();
    sd_buf_reset(&s->ticket);
    sd_buf_append_span(&s->ticket, t.ticket);
}

void driver_keep_issued_ticket13(driver *d, sd_span ticket, sd_span nonce, uint32_t age_add) {
    driver_session *s = d->session;
    uint8_t hash[SD_MAX_HASH_LEN];
    if (!s || d->role != SD_ROLE_SERVER || !d->have_application_secrets || !d->target_finished ||
        !sd_rl_transcript_hash(&d->rl, d->suite, hash) || !sd_ks_resumption(&d->ks, hash) ||
        !sd_hkdf_expand_label(d->suite->md(), d->ks.resumption_master, "resumption", nonce.data, nonce.len,
                              s->psk, d->suite->hash_len))
        return;
    s->have_ticket13 = true;
    s->suite = d->suite;
    s->ticket_age_add = age_add;
    s->received_ms = sd_now_ms();
    sd_buf_reset(&s->ticket);
    sd_buf_append_span(&s->ticket, ticket);
}

/* Server: which identity of the client's offer is the ticket the driver
 * issued (§4.2.11), -1 if none. The binder is not checked: the driver
 * obeys the trace, and the client's Finished under the PSK's keys shows
 * whether both hold the same PSK. */
static int find_issued_ticket13(const driver *d, const sd_client_hello *ch) {
    const driver_session *s = d->session;
    sd_span body, identities, identity;
    uint32_t age;
    if (!s || !s->have_ticket13 || !sd_extensions_find(ch->extensions, SD_pre_shared_key, &body)) return -1;
    sd_reader r = sd_reader_of(body);
    if (!sd_read_prefixed(&r, 2, &identities)) return -1;
    sd_reader ids = sd_reader_of(identities);
    for (int i = 0; sd_read_prefixed(&ids, 2, &identity) && sd_read_u32(&ids, &age); i++)
        if (sd_span_eq(identity, sd_buf_span(&s->ticket))) return i;
    return -1;
}

static long psk_mutation(const sd_action *a, sd_mutation_kind kind, long honest) {
    const sd_mutation *m = driver_find_mutation(a, kind);
    return m ? m->value : honest;
}

void driver_offer_psk13(driver *d, const sd_action *a, sd_buf *body) {
    driver_session *s = d->session;
    bool first_offered = d->psk_offered;
    d->psk_offered = false;
    if (!s || !s->have_ticket13 || d->tls12 || d->role != SD_ROLE_CLIENT) return;
    /* §4.1.2: a second ClientHello may only update "the "pre_shared_key"
     * extension if present" in the first; it adds none (after a `replay`
     * of a ClientHello that offered no PSK). */
    if (d->first_hello_kept && !first_offered) return;
    sd_client_hello ch;
    uint8_t alert;
    if (!sd_parse_client_hello(sd_buf_span(body), &ch, &alert) || !ch.has_extensions) return;
    size_t hash_len = s->suite->hash_len;
    size_t n_ids = (size_t)psk_mutation(a, SD_MUT_PSK_IDENTITIES, 1);
    size_t n_binders = (size_t)psk_mutation(a, SD_MUT_BINDERS, (long)n_ids);
    size_t binder_len = (size_t)psk_mutation(a, SD_MUT_BINDER_LENGTH, (long)hash_len);
    /* §4.2.11.1: obfuscated_ticket_age = the ticket's age in milliseconds
     * plus ticket_age_add, modulo 2^32. */
    double age = sd_now_ms() - s->received_ms;
    uint32_t obfuscated = (uint32_t)(age > 0 ? (uint64_t)age : 0) + s->ticket_age_add;
    /* OfferedPsks (§4.2.11): identities, then binders, whose values are
     * written once the rest of the message is fixed. */
    sd_buf psk, exts, out;
    sd_buf_init(&psk);
    sd_buf_init(&exts);
    sd_buf_init(&out);
    size_t off = sd_buf_open_prefix(&psk, 2);
    for (size_t i = 0; i < n_ids; i++) {
        size_t id = sd_buf_open_prefix(&psk, 2);
        sd_buf_append_span(&psk, sd_buf_span(&s->ticket));
        sd_buf_close_prefix(&psk, id, 2);
        sd_buf_u32(&psk, obfuscated);
    }
    sd_buf_close_prefix(&psk, off, 2);
    size_t binders_in_psk = psk.len; /* where the binders list's length starts */
    off = sd_buf_open_prefix(&psk, 2);
    for (size_t i = 0; i < n_binders; i++) {
        sd_buf_u8(&psk, (uint8_t)binder_len);
        for (size_t k = 0; k < binder_len; k++) sd_buf_u8(&psk, 0);
    }
    sd_buf_close_prefix(&psk, off, 2);
    /* The extensions as built, pre_shared_key last (§4.2.11: "MUST be the
     * last extension"), or before the last other one with psk-not-last. */
    bool not_last = driver_find_mutation(a, SD_MUT_PSK_NOT_LAST) != NULL;
    sd_reader it = sd_reader_of(ch.extensions);
    uint16_t type;
    sd_span ext;
    size_t last_start = 0, psk_at = 0;
    while (sd_extensions_next(&it, &type, &ext, &alert) > 0) {
        last_start = exts.len;
        sd_build_extension(&exts, type, ext);
    }
    /* early-data: §4.2.10 "it MUST supply both the "pre_shared_key" and
     * "early_data" extensions", the first before the last. */
    if (driver_find_mutation(a, SD_MUT_EARLY_DATA)) {
        last_start = exts.len;
        sd_build_extension(&exts, SD_early_data, sd_span_of(NULL, 0));
    }
    sd_buf tail;
    sd_buf_init(&tail);
    if (not_last && exts.len) {
        sd_buf_append(&tail, exts.data + last_start, exts.len - last_start);
        exts.len = last_start;
    }
    psk_at = exts.len + 4; /* the extension's body, after its type and length */
    sd_build_extension(&exts, SD_pre_shared_key, sd_buf_span(&psk));
    sd_buf_append_span(&exts, sd_buf_span(&tail));
    /* The body up to the extensions block, the block's new length, the
     * block. */
    size_t head = (size_t)(ch.extensions.data - body->data) - 2;
    sd_buf_append(&out, body->data, head);
    sd_buf_u16(&out, (uint16_t)exts.len);
    size_t exts_at = out.len;
    sd_buf_append_span(&out, sd_buf_span(&exts));
    /* §4.2.11.2: the binder covers the transcript so far and this
     * ClientHello, its header included, up to the binders list, with the
     * lengths of the message as sent. */
    size_t cut = exts_at + psk_at + binders_in_psk;
    uint8_t header[4] = {SD_ClientHello, (uint8_t)(out.len >> 16), (uint8_t)(out.len >> 8), (uint8_t)out.len};
    sd_buf truncated;
    sd_buf_init(&truncated);
    sd_buf_append(&truncated, header, sizeof header);
    sd_buf_append(&truncated, out.data, cut);
    uint8_t binder[SD_MAX_HASH_LEN];
    if (!sd_psk_binder(s->suite, s->psk, s->suite->hash_len, sd_buf_span(&d->rl.transcript.bytes),
                       sd_buf_span(&truncated), binder)) {
        driver_harness_failed(d, "cannot compute a PSK binder");
    } else if (!out.failed) {
        /* Each binder the honest one, cut or extended with zeros by
         * binder-length=. */
        size_t at = cut + 2;
        for (size_t i = 0; i < n_binders; i++) {
            memcpy(out.data + at + 1, binder, binder_len < hash_len ? binder_len : hash_len);
            at += 1 + binder_len;
        }
        sd_buf_reset(body);
        sd_buf_append_span(body, sd_buf_span(&out));
        d->psk_offered = true;
        d->psk_identities = n_ids;
        d->offer_suite = s->suite;
        memcpy(d->offer_psk, s->psk, sizeof d->offer_psk);
    }
    OPENSSL_cleanse(binder, sizeof binder);
    sd_buf_free(&truncated);
    sd_buf_free(&tail);
    sd_buf_free(&psk);
    sd_buf_free(&exts);
    sd_buf_free(&out);
}

/* Where the binders list of a ClientHello body's pre_shared_key starts (at
 * its u16 length), and where the extension ends; false if the body does not
 * frame as a ClientHello with that extension over identities. */
static bool find_psk_binders(sd_span body, size_t *binders_at, size_t *ext_end) {
    sd_client_hello ch;
    uint8_t alert;
    uint16_t type;
    sd_span ext, identities;
    if (!sd_parse_client_hello(body, &ch, &alert) || !ch.has_extensions) return false;
    sd_reader it = sd_reader_of(ch.extensions);
    while (sd_extensions_next(&it, &type, &ext, &alert) > 0) {
        if (type != SD_pre_shared_key) continue;
        sd_reader r = sd_reader_of(ext);
        if (!sd_read_prefixed(&r, 2, &identities)) return false;
        *binders_at = (size_t)(ext.data - body.data) + (ext.len - r.len);
        *ext_end = (size_t)(ext.data - body.data) + ext.len;
        return true;
    }
    return false;
}

void driver_rebind_psk13(driver *d, sd_span built, sd_buf *body) {
    size_t built_at, built_end, at, end;
    if (!d->psk_offered || !d->offer_suite || !find_psk_binders(built, &built_at, &built_end) ||
        !find_psk_binders(sd_buf_span(body), &at, &end))
        return;
    /* Binders a mutation edited (flip-ext=pre_shared_key:last, ...) are
     * the deviation itself: they stay as sent. */
    if (!sd_span_eq(sd_span_of(built.data + built_at, built_end - built_at),
                    sd_span_of(body->data + at, end - at)))
        return;
    uint8_t header[4] = {SD_ClientHello, (uint8_t)(body->len >> 16), (uint8_t)(body->len >> 8),
                         (uint8_t)body->len};
    sd_buf truncated;
    sd_buf_init(&truncated);
    sd_buf_append(&truncated, header, sizeof header);
    sd_buf_append(&truncated, body->data, at);
    uint8_t binder[SD_MAX_HASH_LEN];
    size_t hash_len = d->offer_suite->hash_len;
    if (!truncated.failed &&
        sd_psk_binder(d->offer_suite, d->offer_psk, d->offer_suite->hash_len,
                      sd_buf_span(&d->rl.transcript.bytes), sd_buf_span(&truncated), binder)) {
        /* The list as built: entries of one length each (binder-length=),
         * each the honest HMAC cut or followed by zeros. */
        sd_reader r = sd_reader_of(sd_span_of(body->data + at, end - at));
        sd_span list, entry;
        if (sd_read_prefixed(&r, 2, &list)) {
            sd_reader entries = sd_reader_of(list);
            while (sd_read_prefixed(&entries, 1, &entry))
                memcpy((uint8_t *)entry.data, binder, entry.len < hash_len ? entry.len : hash_len);
        }
    }
    OPENSSL_cleanse(binder, sizeof binder);
    sd_buf_free(&truncated);
}

/* --- What each side sent ------------------------------------------------- */

/* A handshake message from the target: record it, and move the key schedule
 * as the protocol says. Parsing failures just leave the state alone: the
 * driver observes, the oracle judges. */
/* Server: whether the binder at `index` of the ClientHello body's
 * pre_shared_key is the one the ticket the driver issued makes over the
 * transcript so far (§4.2.11.2); a binder of another length does not. */
static bool issued_binder_verifies(driver *d, sd_span body, int index) {
    const driver_session *s = d->session;
    size_t at, end;
    if (!s || !s->suite || index < 0 || !find_psk_binders(body, &at, &end)) return false;
    uint8_t header[4] = {SD_ClientHello, (uint8_t)(body.len >> 16), (uint8_t)(body.len >> 8),
                         (uint8_t)body.len};
    sd_buf truncated;
    sd_buf_init(&truncated);
    sd_buf_append(&truncated, header, sizeof header);
    sd_buf_append(&truncated, body.data, at);
    uint8_t binder[SD_MAX_HASH_LEN];
    bool ok = false;
    if (!truncated.failed &&
        sd_psk_binder(s->suite, s->psk, s->suite->hash_len, sd_buf_span(&d->rl.transcript.bytes),
                      sd_buf_span(&truncated), binder)) {
        sd_reader r = sd_reader_of(sd_span_of(body.data + at, end - at));
        sd_span list, entry;
        if (sd_read_prefixed(&r, 2, &list)) {
            sd_reader entries = sd_reader_of(list);
            for (int i = 0; sd_read_prefixed(&entries, 1, &entry); i++)
                if (i == index) {
                    ok = entry.len == s->suite->hash_len && CRYPTO_memcmp(entry.data, binder, entry.len) == 0;
                    break;
                }
        }
    }
    OPENSSL_cleanse(binder, sizeof binder);
    sd_buf_free(&truncated);
    return ok;
}

void driver_on_target_handshake(driver *d, const sd_handshake_msg *msg) {
    uint8_t alert;
    if (d->tls12) return on_target_handshake12(d, msg);
    if (d->role == SD_ROLE_CLIENT && msg->type == SD_ServerHello) {
        sd_server_hello sh;
        if (!sd_parse_server_hello(msg->body, &sh, &alert)) {
            sd_transcript_add(&d->rl.transcript, msg->whole);
            return;
        }
        d->suite = sd_suite_find(sh.cipher_suite);
        sd_span padding;
        if (sd_extensions_find(sh.extensions, SD_padding, &padding))
            d->hello_fault =
                "echoes the padding extension (RFC 7685 §3: \"The server MUST NOT echo the extension.\")";
        /* RFC 8446 §4.2: record_size_limit (RFC 8449 §4: "In TLS 1.3, the
         * server sends the "record_size_limit" extension in the
         * EncryptedExtensions message") and max_fragment_length are "CH,
         * EE": a TLS 1.3 ServerHello does not carry them. */
        if ((d->cfg->record_size_limit &&
             sd_extensions_find(sh.extensions, SD_record_size_limit, &padding)) ||
            (d->cfg->max_fragment_length &&
             sd_extensions_find(sh.extensions, SD_max_fragment_length, &padding)))
            d->hello_fault = "answers record_size_limit or max_fragment_length in a TLS 1.3 ServerHello (RFC "
                             "8446 §4.2: their answer goes in EncryptedExtensions)";
        if (sd_server_hello_is_hrr(&sh)) {
            uint16_t group = 0;
            sd_span body;
            /* §4.2.10: a HelloRetryRequest refuses the 0-RTT; the second
             * ClientHello goes in the clear. */
            if (d->early_writing) d->early_refused = true;
            if (d->suite && !sd_transcript_replace_with_message_hash(&d->rl.transcript, d->suite->md()))
                driver_harness_failed(d, "cannot hash ClientHello1 into the transcript");
            sd_transcript_add(&d->rl.transcript, msg->whole);
            if (sd_extensions_find(sh.extensions, SD_key_share, &body) &&
                sd_parse_key_share_hrr(body, &group, &alert)) {
                /* A group the driver cannot make a share for keeps the old
                 * share: the second ClientHello then shows the target what
                 * it does with a share of the wrong group. */
                bool made_share = sd_key_share_generate(&d->share, group, &d->rng);
                (void)made_share;
            }
            /* §4.2.2: the cookie goes back in the second ClientHello. */
            d->cookie_len = 0;
            if (sd_extensions_find(sh.extensions, SD_cookie, &body) && body.len >= 2 &&
                body.len - 2 == ((size_t)body.data[0] << 8 | body.data[1]) &&
                body.len - 2 <= sizeof d->cookie) {
                memcpy(d->cookie, body.data + 2, body.len - 2);
                d->cookie_len = body.len - 2;
            }
            return;
        }
        sd_transcript_add(&d->rl.transcript, msg->whole);
        sd_span body;
        /* §4.2.11: "selected_identity ... the server's chosen identity
         * expressed as a (0-based) index into the identities in the
         * client's "OfferedPsks.identities" list"; the PSK's hash must be
         * the suite's (§4.2.11: "compatible"). */
        d->psk_accepted = d->psk_offered && d->suite && d->offer_suite &&
                          d->offer_suite->md() == d->suite->md() &&
                          sd_extensions_find(sh.extensions, SD_pre_shared_key, &body) && body.len == 2 &&
                          ((size_t)body.data[0] << 8 | body.data[1]) < d->psk_identities;
        sd_key_share_entry ks;
        uint8_t ecdhe[SD_MAX_SHARED_SECRET_LEN];
        size_t ecdhe_len;
        if (sd_extensions_find(sh.extensions, SD_key_share, &body)) {
            if (sd_parse_key_share_sh(body, &ks, &alert) && ks.group == d->share.group &&
                sd_key_share_derive(&d->share, ks.key_exchange, ecdhe, &ecdhe_len, &alert))
                derive_handshake(d, ecdhe, ecdhe_len);
        } else if (d->psk_accepted && d->offered_psk_ke) {
            /* §4.2.9 psk_ke: "In this mode, the server MUST NOT supply a
             * "key_share" value"; §7.1: the (EC)DHE input is then the
             * 0-value. Only when the client offered that mode. */
            derive_handshake(d, NULL, 0);
        }
        return;
    }
    if (d->role == SD_ROLE_SERVER && msg->type == SD_ClientHello) {
        sd_client_hello ch;
        bool parsed = sd_parse_client_hello(msg->body, &ch, &alert);
        if (parsed) d->psk_selected = find_issued_ticket13(d, &ch);
        /* The binder is over the transcript before this ClientHello. */
        bool binder_ok =
            !parsed || d->psk_selected < 0 || issued_binder_verifies(d, msg->body, d->psk_selected);
        sd_transcript_add(&d->rl.transcript, msg->whole);
        if (!parsed) return;
        memcpy(d->client_random, ch.random.data, SD_RANDOM_LEN);
        memcpy(d->session_id, ch.legacy_session_id.data, ch.legacy_session_id.len);
        d->session_id_len = ch.legacy_session_id.len;
        remember_offer(d, &ch);
        sd_span early, psk_ext;
        bool offers_early = sd_extensions_find(ch.extensions, SD_early_data, &early);
        bool first_hello = d->driver_hrrs == 0;
        const driver_session *s = d->session;
        /* What the RFC forbids a client to offer, which the driver would
         * otherwise answer as an honest server does and pass over. */
        if (!binder_ok)
            /* §4.2.11.2: the binder of the ticket the driver issued, over
             * the transcript so far and this ClientHello up to the binders
             * (after a HelloRetryRequest §4.1.2 has the client recompute
             * it). */
            d->hello_fault = "binder for the driver's ticket does not verify (RFC 8446 §4.2.11.2)";
        else if (offers_early && !first_hello)
            d->hello_fault =
                "ClientHello after HelloRetryRequest offers early_data (RFC 8446 §4.2.10: \"A client "
                "MUST NOT include the \"early_data\" extension in its followup ClientHello.\")";
        else if (offers_early && !sd_extensions_find(ch.extensions, SD_pre_shared_key, &psk_ext))
            d->hello_fault =
                "ClientHello offers early_data without pre_shared_key (RFC 8446 §4.2.10: \"it MUST "
                "supply both the \"pre_shared_key\" and \"early_data\" extensions\")";
        else if (offers_early && d->psk_selected == 0 && s && s->have_ticket13 && !s->issued_early)
            d->hello_fault =
                "ClientHello offers early_data with a ticket issued without early_data (RFC 8446 "
                "§4.2.10: 0-RTT is for a PSK for which \"early data is allowed\"; §4.6.1)";
        /* §4.2.10: the driver reads 0-RTT offered with the ticket it issued
         * as the first identity, in the first ClientHello, when the run
         * allows it (`early-data: on`): records under
         * client_early_traffic_secret, whether or not its
         * EncryptedExtensions then accept them (as sent,
         * driver_on_sent_handshake), so that a trace sees what the client
         * sent. */
        d->early_reading = false;
        if (first_hello && offers_early && d->cfg->early_data && d->psk_selected == 0 && s && s->suite &&
            derive_early(d, s->suite, s->psk)) {
            if (!sd_record_keys_set(&d->rl.read, s->suite, d->client_early_traffic))
                driver_harness_failed(d, "cannot install early traffic keys");
            d->early_reading = true;
        } else if (offers_early && first_hello) {
            d->early_skipping = true;
        }
        sd_span body, entries;
        /* Take the first share in a group we support. */
        sd_buf_reset(&d->peer_share);
        d->n_peer_share_groups = 0;
        if (sd_extensions_find(ch.extensions, SD_key_share, &body) &&
            sd_parse_key_share_ch(body, &entries, &alert)) {
            sd_reader it = sd_reader_of(entries);
            sd_key_share_entry e;
            bool taken = false;
            while (sd_key_share_next(&it, &e, &alert) > 0) {
                /* Every share's group: a HelloRetryRequest asks for none of
                 * them (RFC 8446 §4.2.8). */
                if (d->n_peer_share_groups < sizeof d->peer_share_groups / sizeof *d->peer_share_groups)
                    d->peer_share_groups[d->n_peer_share_groups++] = e.group;
                if (!taken && sd_group_supported(e.group)) {
                    d->share.group = e.group;
                    sd_buf_append_span(&d->peer_share, e.key_exchange);
                    taken = true;
                }
            }
        }
        return;
    }
    /* §4.6: post-handshake messages are outside the transcript; a server may
     * send its tickets before the client's Finished ("half-RTT"). */
    if (msg->type == SD_KeyUpdate) {
        /* §4.6.3: after its KeyUpdate the target sends under its next
         * secret; the driver reads with it from the next record on. */
        if (d->have_application_secrets)
            update_traffic_keys(d, d->role == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT);
        return;
    }
    if (msg->type == SD_NewSessionTicket) return keep_ticket13(d, msg->body);
    sd_transcript_add(&d->rl.transcript, msg->whole);
    if (d->role == SD_ROLE_CLIENT && msg->type == SD_EncryptedExtensions) {
        sd_span ee_exts;
        if (sd_parse_encrypted_extensions(msg->body, &ee_exts, &alert)) check_server_extensions(d, ee_exts);
    }
    /* RFC 8879 §3: the server under test's algorithms for the driver's
     * Certificate; §4: its CompressedCertificate where the driver offered. */
    if (d->role == SD_ROLE_CLIENT && msg->type == SD_CertificateRequest) {
        sd_reader r = sd_reader_of(msg->body);
        sd_span context, exts;
        d->cc_peer_alg = sd_read_prefixed(&r, 1, &context) && sd_read_prefixed(&r, 2, &exts)
                             ? peer_cert_compression(exts)
                             : 0;
    }
    if (msg->type == SD_CompressedCertificate && d->cc_offered)
        d->hello_fault = compressed_certificate_fault(d, msg->body);
    if (d->role == SD_ROLE_CLIENT && msg->type == SD_EncryptedExtensions && d->early_writing) {
        /* §4.2.10: an early_data extension accepts the 0-RTT; without one
         * the client's next flight goes under the handshake keys. */
        sd_span exts, early;
        bool accepted = sd_parse_encrypted_extensions(msg->body, &exts, &alert) &&
                        sd_extensions_find(exts, SD_early_data, &early);
        if (!accepted) d->early_refused = true;
        return;
    }
    if (d->role == SD_ROLE_SERVER && msg->type == SD_EndOfEarlyData && d->early_reading) {
        /* §4.5: after EndOfEarlyData the client writes under its handshake
         * keys. */
        d->early_reading = false;
        if (d->have_handshake_secrets) set_record_keys(d, &d->rl.read, d->ks.client_handshake_traffic);
        return;
    }
    if (msg->type != SD_Finished) return;
    if (d->role == SD_ROLE_CLIENT) {
        /* The server's Finished: application secrets, and the server's
         * application keys for what it sends next. */
        derive_application(d);
        if (app_secret(d, SD_ROLE_SERVER)) set_record_keys(d, &d->rl.read, app_secret(d, SD_ROLE_SERVER));
    } else if (app_secret(d, SD_ROLE_CLIENT)) {
        set_record_keys(d, &d->rl.read, app_secret(d, SD_ROLE_CLIENT));
    }
}

/* True if the ClientHello body carries the driver's own key share. */
static bool sends_our_share(const driver *d, sd_span body) {
    sd_client_hello ch;
    sd_span ext, entries;
    uint8_t alert;
    if (d->share.public_len == 0 || !sd_parse_client_hello(body, &ch, &alert) ||
        !sd_extensions_find(ch.extensions, SD_key_share, &ext) ||
        !sd_parse_key_share_ch(ext, &entries, &alert))
        return false;
    sd_reader it = sd_reader_of(entries);
    sd_key_share_entry e;
    while (sd_key_share_next(&it, &e, &alert) > 0)
        if (e.group == d->share.group &&
            sd_span_eq(e.key_exchange, sd_span_of(d->share.public_key, d->share.public_len)))
            return true;
    return false;
}

void driver_on_sent_handshake(driver *d, const sd_action *a, sd_span sent, sd_span honest) {
    bool server = d->role == SD_ROLE_SERVER;
    if (d->tls12) {
        /* What was actually sent is what the keys use. A ServerHello the
         * mutations made unparseable (a repeated extension) still sets the
         * suite and random: the honest one's. */
        sd_client_hello ch;
        uint8_t alert;
        if (a->msg_type == SD_ClientHello && !server && sd_parse_client_hello(sent, &ch, &alert)) {
            note_client_hello12(d, &ch);
            note_alpn_offer(d, &ch);
            d->record_limit_offered = find_record_size_limit(d, ch.extensions);
            d->fragment_length_requested = find_max_fragment_length(d, ch.extensions);
            sd_span etm;
            d->etm_offered = sd_extensions_find(ch.extensions, SD_encrypt_then_mac, &etm);
        }
        sd_server_hello sent_sh;
        if (a->msg_type == SD_ServerHello && server && sd_parse_server_hello(sent, &sent_sh, &alert))
            note_record_size_limit_answer(d, sent_sh.extensions);
        if (a->msg_type == SD_ServerHello && server && !note_server_hello12(d, sent))
            note_server_hello12(d, honest);
        if (a->msg_type == SD_ClientKeyExchange && !server) derive12(d);
        if (a->msg_type == SD_Finished) driver_note_finished12(d, !server, sent);
        return;
    }
    sd_client_hello sent_hello;
    uint8_t parse_alert;
    if (a->msg_type == SD_ClientHello && !server && sd_parse_client_hello(sent, &sent_hello, &parse_alert)) {
        /* The legacy_session_id the ClientHello carried (session-id= may
         * have set it) is the one the server echoes (§4.1.3) and a second
         * ClientHello repeats (§4.1.2). The parser bounds it to 32 bytes. */
        memcpy(d->session_id, sent_hello.legacy_session_id.data, sent_hello.legacy_session_id.len);
        d->session_id_len = sent_hello.legacy_session_id.len;
        note_alpn_offer(d, &sent_hello);
        d->record_limit_offered = find_record_size_limit(d, sent_hello.extensions);
        d->fragment_length_requested = find_max_fragment_length(d, sent_hello.extensions);
        /* And its random (random= may have set it), which names the
         * secrets the observers are given (SSLKEYLOGFILE). */
        memcpy(d->client_random, sent_hello.random.data, SD_RANDOM_LEN);
        /* §4.2.9: the modes the ClientHello as sent offered. */
        sd_span modes;
        d->offered_psk_ke = false;
        if (sd_extensions_find(sent_hello.extensions, SD_psk_key_exchange_modes, &modes) && modes.len >= 1)
            for (size_t i = 1; i < modes.len && i <= modes.data[0]; i++)
                if (modes.data[i] == 0) d->offered_psk_ke = true;
    }
    sd_span ee_exts;
    if (a->msg_type == SD_EncryptedExtensions && server &&
        sd_parse_encrypted_extensions(sent, &ee_exts, &parse_alert))
        note_record_size_limit_answer(d, ee_exts);
    sd_span early;
    if (a->msg_type == SD_ClientHello && !server && d->psk_offered && d->target_hrrs == 0 &&
        sd_parse_client_hello(sent, &sent_hello, &parse_alert) &&
        sd_extensions_find(sent_hello.extensions, SD_early_data, &early)) {
        /* §4.2.10, §7.1: 0-RTT follows, under client_early_traffic_secret. */
        if (derive_early(d, d->offer_suite, d->offer_psk) &&
            sd_record_keys_set(&d->rl.write, d->offer_suite, d->client_early_traffic))
            d->early_writing = true;
        else
            driver_harness_failed(d, "cannot install early traffic keys");
    }
    if (a->msg_type == SD_ClientHello && !server && !d->first_hello_kept && d->session) {
        /* What a `replay` in the next connection sends again (RFC 8446 §8). */
        driver_session *s = d->session;
        d->first_hello_kept = true;
        sd_buf_reset(&s->replay_hello);
        sd_buf_append_span(&s->replay_hello, sent);
        memcpy(s->replay_random, d->client_random, SD_RANDOM_LEN);
        memcpy(s->replay_session_id, d->session_id, d->session_id_len);
        s->replay_session_id_len = d->session_id_len;
        s->replay_share = d->share;
        s->replay_psk_offered = d->psk_offered;
        s->replay_psk_identities = d->psk_identities;
        s->replay_psk_suite = d->offer_suite;
        memcpy(s->replay_psk, d->offer_psk, sizeof s->replay_psk);
    }
    if (a->msg_type == SD_EndOfEarlyData && !server && d->early_writing) {
        /* §4.5, §4.2.10: EndOfEarlyData is the last message under the early
         * keys. */
        d->early_writing = false;
        if (d->have_handshake_secrets) set_record_keys(d, &d->rl.write, d->ks.client_handshake_traffic);
    }
    if (a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST && server) {
        /* §4.2.10: a HelloRetryRequest refuses the 0-RTT; the second
         * ClientHello comes in the clear (§5), and early records that come
         * after it are skipped. */
        d->driver_hrrs++;
        if (d->early_reading) {
            d->early_reading = false;
            d->early_skipping = true;
            sd_record_keys_clear(&d->rl.read);
        }
    }
    if (a->msg_type == SD_NewSessionTicket && server && d->session) {
        /* §4.6.1: what the ticket as sent allows of 0-RTT. */
        sd_new_session_ticket t;
        sd_span early_ext;
        d->session->issued_early = sd_parse_new_session_ticket(sent, &t, &parse_alert) &&
                                   sd_extensions_find(t.extensions, SD_early_data, &early_ext);
        d->session->issued_max_early = d->session->issued_early && early_ext.len == 4
                                           ? (uint32_t)early_ext.data[0] << 24 |
                                                 (uint32_t)early_ext.data[1] << 16 |
                                                 (uint32_t)early_ext.data[2] << 8 | early_ext.data[3]
                                           : 0;
    }
    if (a->msg_type == SD_EncryptedExtensions && server && d->early_reading) {
        /* The EncryptedExtensions as sent decide (§4.2.10): without
         * early_data the 0-RTT is refused, and the records under the early
         * keys are skipped. */
        sd_span exts;
        if (!sd_parse_encrypted_extensions(sent, &exts, &parse_alert) ||
            !sd_extensions_find(exts, SD_early_data, &early)) {
            d->early_reading = false;
            d->early_skipping = true;
            if (d->have_handshake_secrets) set_record_keys(d, &d->rl.read, d->ks.client_handshake_traffic);
        }
    }
    if (a->msg_type == SD_ClientHello && !server && !sends_our_share(d, sent)) {
        /* The trace replaced our key share: the driver cannot derive the
         * target's keys, and must not pretend to. */
        memset(&d->share, 0, sizeof(d->share));
    }
    /* Key changes that follow the message (§7.1 and Figure 1). */
    if (a->msg_type == SD_KeyUpdate) {
        /* §4.6.3: "sender MUST ... update its sending key" after KeyUpdate;
         * update_requested (1) asks for one back. */
        if (sent.len == 1 && sent.data[0] == 1) d->key_update_owed = true;
        update_traffic_keys(d, d->role);
    } else if (a->msg_type == SD_ServerHello && server && d->peer_share.len) {
        /* The keys follow the ServerHello as sent: one the trace stripped
         * of its pre_shared_key makes a full handshake (§7.1). */
        sd_server_hello sh;
        sd_span psk;
        uint8_t parse_alert2;
        if (d->psk_accepted && sd_parse_server_hello(sent, &sh, &parse_alert2) &&
            !sd_extensions_find(sh.extensions, SD_pre_shared_key, &psk))
            d->psk_accepted = false;
        uint8_t ecdhe[SD_MAX_SHARED_SECRET_LEN], alert;
        size_t ecdhe_len;
        if (sd_key_share_derive(&d->share, sd_buf_span(&d->peer_share), ecdhe, &ecdhe_len, &alert))
            derive_handshake(d, ecdhe, ecdhe_len);
    } else if (a->msg_type == SD_Finished) {
        if (server) derive_application(d);
        if (app_secret(d, d->role)) set_record_keys(d, &d->rl.write, app_secret(d, d->role));
        if (!server && d->half_rtt_ticket.len && d->driver_finished) {
            sd_buf held = d->half_rtt_ticket;
            sd_buf_init(&d->half_rtt_ticket);
            keep_ticket13(d, sd_buf_span(&held));
            sd_buf_free(&held);
        }
    }
}

void driver_keep_session12(driver *d) {
    driver_session *s = d->session;
    if (!s || !d->tls12 || !d->have_master || !d->suite12) return;
    if (d->resumed12) {
        /* The same session goes on; RFC 5077 §3.1 Figure 2: a resumed
         * handshake may bring a new ticket for it. */
        if (d->ticket12_new_seen) {
            sd_buf_reset(&s->ticket12);
            sd_buf_append_span(&s->ticket12, sd_buf_span(&d->ticket12_new));
        }
        return;
    }
    /* A full handshake makes a new session, named by the ServerHello's id
     * (RFC 5246 §7.4.1.3) or carried by a ticket (RFC 5077 §3.3); one with
     * neither cannot be resumed. The driver keeps the newest session only. */
    bool ticket = d->ticket12_new_seen && d->ticket12_new.len > 0;
    s->have_session12 = ticket || d->server_session_id12_len > 0;
    if (!s->have_session12) return;
    memcpy(s->session_id12, d->server_session_id12, d->server_session_id12_len);
    s->session_id12_len = d->server_session_id12_len;
    sd_buf_reset(&s->ticket12);
    if (ticket) sd_buf_append_span(&s->ticket12, sd_buf_span(&d->ticket12_new));
    s->suite12 = d->suite12;
    s->ems12 = d->client_ems && d->server_ems;
    memcpy(s->master12, d->master, sizeof s->master12);
}

void driver_start_renegotiation(driver *d) {
    /* A new transcript and a new client random; the record keys stay until
     * the new ChangeCipherSpec. */
    sd_transcript_free(&d->rl.transcript);
    sd_transcript_init(&d->rl.transcript);
    sd_rng_bytes(&d->rng, d->client_random, SD_RANDOM_LEN);
    d->have_master = false;
    d->pms_len = 0;
    d->resumed12 = false;
    d->renegotiation12 = true;
}

void driver_note_finished12(driver *d, bool from_client, sd_span verify_data) {
    /* RFC 5746 §3.1: the verify_data "from the Finished message sent by the
     * client (server) on the immediately previous handshake". TLS 1.2's is
     * 12 bytes (RFC 5246 §7.4.9); a Finished of another length cannot be
     * one a handshake completed with. */
    if (verify_data.len != sizeof d->client_verify_data) return;
    memcpy(from_client ? d->client_verify_data : d->server_verify_data, verify_data.data, verify_data.len);
    if (from_client)
        d->have_client_verify_data = true;
    else
        d->have_server_verify_data = true;
}

bool driver_replay_client_hello(driver *d, sd_buf *body) {
    const driver_session *s = d->session;
    if (!s || s->replay_hello.len == 0 || d->tls12 || d->role != SD_ROLE_CLIENT) return false;
    /* The same bytes, and the secrets that go with them: the random and
     * session id the keys and the echo use, the key share's private half,
     * and the PSK the binder is made with, so that the driver can carry on
     * whichever way the server answers. */
    sd_buf_reset(body);
    sd_buf_append_span(body, sd_buf_span(&s->replay_hello));
    memcpy(d->client_random, s->replay_random, SD_RANDOM_LEN);
    memcpy(d->session_id, s->replay_session_id, s->replay_session_id_len);
    d->session_id_len = s->replay_session_id_len;
    d->share = s->replay_share;
    d->psk_offered = s->replay_psk_offered;
    d->psk_identities = s->replay_psk_identities;
    d->offer_suite = s->replay_psk_suite;
    memcpy(d->offer_psk, s->replay_psk, sizeof d->offer_psk);
    return true;
}

void driver_end_refused_early_data(driver *d) {
    if (!d->early_refused || !d->early_writing) return;
    /* The refusal came while the trace was still sending 0-RTT; the next
     * handshake message goes as the server now reads: under the handshake
     * keys, or in the clear after a HelloRetryRequest (§4.2.10). */
    d->early_refused = d->early_writing = false;
    if (d->have_handshake_secrets)
        set_record_keys(d, &d->rl.write, d->ks.client_handshake_traffic);
    else
        sd_record_keys_clear(&d->rl.write);
}
