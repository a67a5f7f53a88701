/* record_seeds.c — records the seed corpora of the fuzz targets from real
 * handshakes.
 *
 *     record_seeds [-f] [CORPUS_DIR]     (default: <source>/corpus)
 *
 * Seeds are recorded, never written by hand, so they are what real stacks
 * send. Handshakes run in memory between a BoringSSL endpoint of our own
 * (libssl with SSL_CTX_set_msg_callback, which shows every handshake
 * message and alert decrypted, in both directions) and a peer: the model
 * (through the target interface) or a second BoringSSL endpoint. The second
 * pairing turns on what the model's own servers do not send, so that every
 * message type is seen: CertificateRequest with client authentication,
 * NewSessionTicket, KeyUpdate. Each handshake message body is checked with
 * the codec's parser where one exists and written, in each fuzz target's
 * input format (harness/trace/fuzz_input.c), to CORPUS_DIR/<target>/:
 *   - message targets: variant byte 0 (body replaced; 2 for the server side
 *     of fuzz_finished and fuzz_key_update) + the recorded body, and the
 *     variant-1 input "honest body, no edits";
 *   - fuzz_client_hello: the ClientHello bodies (BoringSSL with and without
 *     TLS 1.2, with and without SNI; the model with two seeds);
 *   - fuzz_record: the client's first flight, as raw records, and its
 *     ClientHello padded to a record of 2^14 and of 2^14+1 bytes (cut
 *     short; fuzz_record fills it with zeros);
 *   - fuzz_alert: the recorded alerts at every position of the handshake;
 *   - fuzz_wire_roundtrip: selector byte + every body its parsers take;
 *   - fuzz_trace, fuzz_trace_binary: every scenario (scenarios/, named
 *     scenario-<id>) and every generated gen-certificate one and gen-record
 *     record-size one, and every
 *     other seed's trace, binary-encoded with the
 *     setup it runs with (version, role, suite, credentials, client
 *     authentication: a scenario's headers), so that each replays under
 *     fuzz_trace as it does as a scenario or under its own target (a
 *     scenario that would be a fuzz_trace finding, a divergence or an
 *     accepted defective credential no known difference covers, goes to
 *     fuzz_trace_binary only: under fuzz_trace it would be a finding on
 *     every replay; one whose setup BoringSSL cannot run is judged so
 *     against GnuTLS, the second reference of `shakedown fuzz --reference
 *     gnutls`, and left out where the build has no GnuTLS);
 *     fuzz_script: the TLS 1.3 scenario files.
 *
 * Existing files are kept unless -f is given: BoringSSL draws its random
 * and key shares from libcrypto, which cannot be seeded, so re-recording
 * changes those seeds' bytes (the model's are reproducible from its seed). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>

#include "crypto/pki.h"
#include "driver/driver.h"
#include "protocol/target.h"
#include "run/differential.h"
#include "trace/binary.h"
#include "trace/fuzz_input.h"
#include "trace/generate.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/record.h"
#include "stacks/stacks.h"
#include "util/util.h"

static bool g_force;
static const char *g_root;
static int g_status;
static unsigned g_written, g_kept;

/* --- Files ------------------------------------------------------------------- */

/* Writes corpus/<target>/<name> = prefix[0..prefix_len) + data, atomically. */
static void seed(const char *target, const char *name, const uint8_t *prefix, size_t prefix_len,
                 sd_span data) {
    char dir[1024], path[1200], err[1400];
    snprintf(dir, sizeof dir, "%s/%s", g_root, target);
    if (!sd_make_dirs(dir, err, sizeof err)) {
        fprintf(stderr, "record_seeds: %s\n", err);
        g_status = 1;
        return;
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    if (!g_force && stat(path, &st) == 0) {
        g_kept++;
        return;
    }
    sd_buf file;
    sd_buf_init(&file);
    sd_buf_append(&file, prefix, prefix_len);
    sd_buf_append(&file, data.data, data.len);
    bool ok = !file.failed && sd_file_write_atomic(path, file.data, file.len, err, sizeof err);
    if (file.failed) snprintf(err, sizeof err, "%s: out of memory", path);
    sd_buf_free(&file);
    if (!ok) {
        fprintf(stderr, "record_seeds: %s\n", err);
        g_status = 1;
        return;
    }
    g_written++;
}

/* --- What a handshake showed -------------------------------------------------- */

#define MAX_MSGS 32

typedef struct {
    uint8_t type;
    bool from_client;
    sd_buf body;
} recorded_msg;

typedef struct {
    recorded_msg msgs[MAX_MSGS];
    size_t n;
    sd_buf alerts[8]; /* alert bodies (2 bytes each, as on the wire) */
    size_t n_alerts;
    sd_buf client_flight; /* the client's first flight, raw records */
} recording;

static void recording_free(recording *r) {
    for (size_t i = 0; i < r->n; i++) sd_buf_free(&r->msgs[i].body);
    for (size_t i = 0; i < r->n_alerts; i++) sd_buf_free(&r->alerts[i]);
    sd_buf_free(&r->client_flight);
    memset(r, 0, sizeof *r);
}

/* The BoringSSL endpoint we record from, and whether it is the client. */
typedef struct {
    recording *rec;
    bool is_client;
} observer;

static int g_observer_index = -1;

/* SSL_CTX_set_msg_callback: every handshake message and alert, decrypted,
 * as libssl sends (write_p) or receives it. */
static void on_message(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl,
                       void *arg) {
    (void)version;
    (void)arg;
    observer *o = SSL_get_ex_data(ssl, g_observer_index);
    if (!o) return;
    recording *r = o->rec;
    const uint8_t *p = buf;
    if (content_type == SSL3_RT_HANDSHAKE && len >= 4 && r->n < MAX_MSGS) {
        recorded_msg *m = &r->msgs[r->n++];
        m->type = p[0];
        m->from_client = write_p ? o->is_client : !o->is_client;
        sd_buf_init(&m->body);
        sd_buf_append(&m->body, p + 4, len - 4);
    } else if (content_type == SSL3_RT_ALERT && len == 2 && r->n_alerts < 8) {
        sd_buf_init(&r->alerts[r->n_alerts]);
        sd_buf_append(&r->alerts[r->n_alerts++], p, 2);
    }
}

/* --- A BoringSSL endpoint over memory BIOs ------------------------------------- */

typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out; /* in: bytes from the peer; out: bytes to it */
    observer obs;
} bssl;

static bool use_credential(SSL_CTX *ctx, const sd_credential *c) {
    CRYPTO_BUFFER *bufs[SD_MAX_CHAIN];
    for (size_t i = 0; i < c->chain_len; i++)
        bufs[i] = CRYPTO_BUFFER_new(c->chain_der[i], c->chain_der_len[i], NULL);
    bool ok = SSL_CTX_set_chain_and_key(ctx, bufs, c->chain_len, c->key, NULL);
    for (size_t i = 0; i < c->chain_len; i++) CRYPTO_BUFFER_free(bufs[i]);
    return ok;
}

/* Client authentication is requested but not checked: the seeds need the
 * messages, not a verdict. */
static enum ssl_verify_result_t accept_any(SSL *ssl, uint8_t *out_alert) {
    (void)ssl;
    (void)out_alert;
    return ssl_verify_ok;
}

/* What kind of handshake to record. */
typedef struct {
    uint16_t min_version, max_version;
    /* TLS 1.2: the key exchange of variant bits 4-5 (the one suite and the
     * server's credential, sd_fuzz_tls12_key_exchange); -1: the defaults. */
    int kx;
    /* TLS 1.3: the server takes P-256 only, so a client whose one share is
     * X25519 gets a HelloRetryRequest (RFC 8446 §4.1.4). */
    bool hello_retry;
} shape;

static const char *server_credential(const shape *sh) {
    const char *name = "leaf";
    if (sh->kx >= 0) sd_fuzz_tls12_key_exchange((unsigned)sh->kx, NULL, &name);
    return name;
}

static bool bssl_open(bssl *b, bool client, const sd_pki *pki, recording *rec, bool extras, const shape *sh,
                      const char *sni) {
    memset(b, 0, sizeof *b);
    b->ctx = SSL_CTX_new(TLS_method());
    if (!b->ctx) return false;
    SSL_CTX_set_min_proto_version(b->ctx, sh->min_version);
    SSL_CTX_set_max_proto_version(b->ctx, sh->max_version);
    SSL_CTX_set_msg_callback(b->ctx, on_message);
    SSL_CTX_set_custom_verify(b->ctx, SSL_VERIFY_PEER, accept_any);
    if (sh->kx >= 0) {
        uint16_t suite;
        sd_fuzz_tls12_key_exchange((unsigned)sh->kx, &suite, NULL);
        const SSL_CIPHER *c = SSL_get_cipher_by_value(suite);
        if (!c || !SSL_CTX_set_strict_cipher_list(b->ctx, SSL_CIPHER_get_name(c))) return false;
    }
    if (!client && sh->hello_retry && !SSL_CTX_set1_curves_list(b->ctx, "P-256")) return false;
    if (!client && !use_credential(b->ctx, sd_pki_find(pki, server_credential(sh)))) return false;
    if (client && extras && !use_credential(b->ctx, sd_pki_find(pki, "client"))) return false;
    if (!client && !extras) SSL_CTX_set_verify(b->ctx, SSL_VERIFY_NONE, NULL);
    if (!client && extras) SSL_CTX_set_num_tickets(b->ctx, 1);
    b->ssl = SSL_new(b->ctx);
    b->in = BIO_new(BIO_s_mem());
    b->out = BIO_new(BIO_s_mem());
    if (!b->ssl || !b->in || !b->out) return false;
    BIO_set_mem_eof_return(b->in, -1);
    SSL_set_bio(b->ssl, b->in, b->out);
    b->obs.rec = rec;
    b->obs.is_client = client;
    SSL_set_ex_data(b->ssl, g_observer_index, &b->obs);
    if (client) {
        SSL_set_connect_state(b->ssl);
        if (sni) SSL_set_tlsext_host_name(b->ssl, sni);
    } else {
        SSL_set_accept_state(b->ssl);
    }
    return true;
}

static void bssl_close(bssl *b) {
    if (b->ssl) SSL_free(b->ssl); /* frees the BIOs */
    if (b->ctx) SSL_CTX_free(b->ctx);
}

/* Runs the handshake or reads post-handshake data, and moves what it wrote
 * into out. */
static void bssl_step(bssl *b, sd_buf *out) {
    if (!SSL_is_init_finished(b->ssl)) {
        SSL_do_handshake(b->ssl);
    } else {
        uint8_t scratch[256];
        while (SSL_read(b->ssl, scratch, sizeof scratch) > 0) {
        }
    }
    const uint8_t *data;
    size_t len;
    BIO_mem_contents(b->out, &data, &len);
    sd_buf_append(out, data, len);
    BIO_reset(b->out);
}

static void bssl_feed(bssl *b, sd_span bytes) {
    if (bytes.len) BIO_write(b->in, bytes.data, (int)bytes.len);
}

/* --- Handshakes ------------------------------------------------------------------ */

/* BoringSSL (recorded) against the model through the target interface. */
static bool run_with_model(bool bssl_is_client, const sd_pki *pki, recording *rec, const shape *sh) {
    bssl b;
    bool ok = bssl_open(&b, bssl_is_client, pki, rec, false, sh, SD_PKI_SERVER_NAME);
    uint16_t suite = 0;
    if (sh->kx >= 0) sd_fuzz_tls12_key_exchange((unsigned)sh->kx, &suite, NULL);
    static const uint16_t p256 = SD_secp256r1;
    sd_target_config cfg = {
        .role = bssl_is_client ? SD_ROLE_SERVER : SD_ROLE_CLIENT,
        .min_version = sh->min_version,
        .max_version = sh->max_version,
        .cipher_suites = sh->kx >= 0 ? &suite : NULL,
        .n_cipher_suites = sh->kx >= 0 ? 1 : 0,
        .groups = sh->hello_retry && bssl_is_client ? &p256 : NULL,
        .n_groups = sh->hello_retry && bssl_is_client ? 1 : 0,
        .credential = bssl_is_client ? sd_pki_find(pki, server_credential(sh)) : NULL,
        .pki = pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
    };
    sd_target_error err = {0};
    sd_target *m = ok ? sd_target_model.create(&cfg, &err) : NULL;
    if (!m) {
        fprintf(stderr, "record_seeds: cannot set up the model: %s\n",
                ok ? err.text : "BoringSSL setup failed");
        bssl_close(&b);
        return false;
    }
    m->ops->start(m);
    sd_buf buf;
    sd_buf_init(&buf);
    for (int i = 0; i < 12; i++) {
        sd_buf_reset(&buf);
        m->ops->drain(m, &buf);
        bssl_feed(&b, sd_buf_span(&buf));
        size_t moved = buf.len;
        sd_buf_reset(&buf);
        bssl_step(&b, &buf);
        if (i == 0 && bssl_is_client) sd_buf_append_span(&rec->client_flight, sd_buf_span(&buf));
        if (buf.len) m->ops->feed(m, sd_buf_span(&buf));
        if (!moved && !buf.len && i > 2) break;
    }
    /* A close_notify, for the alert seeds. */
    SSL_shutdown(b.ssl);
    sd_target_status st;
    m->ops->status(m, &st);
    ok = st.handshake_done && SSL_is_init_finished(b.ssl);
    if (!ok) fprintf(stderr, "record_seeds: model handshake did not complete (%s)\n", st.error);
    m->ops->destroy(m);
    sd_buf_free(&buf);
    bssl_close(&b);
    return ok;
}

/* BoringSSL against BoringSSL, both recorded, with client authentication,
 * a ticket and a KeyUpdate. */
static bool run_bssl_pair(const sd_pki *pki, recording *rec, const shape *sh) {
    bssl c, s;
    recording unused;
    memset(&unused, 0, sizeof unused);
    bool ok = bssl_open(&c, true, pki, rec, true, sh, SD_PKI_SERVER_NAME) &&
              bssl_open(&s, false, pki, &unused, true, sh, NULL);
    sd_buf buf;
    sd_buf_init(&buf);
    for (int i = 0; ok && i < 12; i++) {
        sd_buf_reset(&buf);
        bssl_step(&c, &buf);
        if (i == 0) sd_buf_append_span(&rec->client_flight, sd_buf_span(&buf));
        bssl_feed(&s, sd_buf_span(&buf));
        size_t moved = buf.len;
        sd_buf_reset(&buf);
        bssl_step(&s, &buf);
        if (i == 4 && SSL_is_init_finished(s.ssl) && sh->max_version == TLS1_3_VERSION) {
            SSL_key_update(s.ssl, SSL_KEY_UPDATE_REQUESTED);
            SSL_write(s.ssl, "x", 1);
            const uint8_t *data;
            size_t len;
            BIO_mem_contents(s.out, &data, &len);
            sd_buf_append(&buf, data, len);
            BIO_reset(s.out);
        }
        bssl_feed(&c, sd_buf_span(&buf));
        if (!moved && !buf.len && i > 5) break;
    }
    ok = ok && SSL_is_init_finished(c.ssl) && SSL_is_init_finished(s.ssl);
    if (!ok) fprintf(stderr, "record_seeds: BoringSSL pair did not complete\n");
    sd_buf_free(&buf);
    bssl_close(&c);
    bssl_close(&s);
    recording_free(&unused);
    return ok;
}

/* A client target's ClientHello, for the fuzz_client_hello seeds. */
static bool client_first_flight(const char *stack, uint16_t min_version, const char *sni, uint64_t seed_value,
                                const sd_pki *pki, sd_buf *flight) {
    if (strcmp(stack, "boringssl") == 0) {
        recording r;
        memset(&r, 0, sizeof r);
        bssl b;
        shape sh = {min_version, TLS1_3_VERSION, -1, false};
        bool ok = bssl_open(&b, true, pki, &r, false, &sh, sni);
        if (ok) bssl_step(&b, flight);
        bssl_close(&b);
        recording_free(&r);
        return ok && flight->len;
    }
    sd_target_config cfg = {.role = SD_ROLE_CLIENT,
                            .min_version = SD_TLS13,
                            .max_version = SD_TLS13,
                            .pki = pki,
                            .server_name = sni,
                            .now = SD_PKI_DEFAULT_TIME,
                            .seed = seed_value};
    sd_target_error err = {0};
    sd_target *t = sd_target_model.create(&cfg, &err);
    if (!t) return false;
    t->ops->start(t);
    t->ops->drain(t, flight);
    t->ops->destroy(t);
    return flight->len > 0;
}

/* The body of the first handshake message in a plaintext flight. */
static bool first_message_body(sd_span flight, sd_buf *body) {
    sd_hs_reassembler hs;
    sd_hs_reassembler_init(&hs);
    sd_reader rd = sd_reader_of(flight);
    sd_record rec;
    uint8_t alert;
    bool ok = false;
    while (!ok && sd_parse_record(&rd, &rec, &alert) == 1 && rec.content_type == SD_handshake) {
        sd_hs_reassembler_push(&hs, rec.fragment);
        sd_handshake_msg msg;
        if (sd_hs_reassembler_next(&hs, 1u << 24, &msg, &alert) == 1) {
            sd_client_hello ch;
            ok = msg.type == SD_ClientHello && sd_parse_client_hello(msg.body, &ch, &alert);
            if (ok) sd_buf_append_span(body, msg.body);
            break;
        }
    }
    sd_hs_reassembler_free(&hs);
    return ok;
}

/* A fuzz_record input of one ClientHello record of exactly record_len
 * bytes: the ClientHello body grown with a padding extension (RFC 7685)
 * at the end of its block, and the input cut after that extension's
 * header, where its zero bytes would begin. fuzz_record fills a last
 * record cut short past the input cap with zeros to its length
 * (fuzz_input.c), so these few hundred bytes are a record at the limit of
 * RFC 8446 §5.1 (2^14) or past it, from which the fuzzer's changes to the
 * three length fields reach every size around it. False when the body has
 * a padding extension already (a second would be a duplicate, refused for
 * that) or a pre_shared_key, which must stay last (§4.2.11). */
static bool padded_client_hello(sd_span body, size_t record_len, sd_buf *out) {
    sd_reader rd = sd_reader_of(body);
    sd_span skipped;
    if (!sd_skip(&rd, 2 + SD_RANDOM_LEN) || !sd_read_prefixed(&rd, 1, &skipped) ||
        !sd_read_prefixed(&rd, 2, &skipped) || !sd_read_prefixed(&rd, 1, &skipped))
        return false;
    size_t ext_len_at = body.len - rd.len;
    sd_span exts, unused;
    if (!sd_read_prefixed(&rd, 2, &exts) || !sd_reader_done(&rd)) return false;
    if (sd_extensions_find(exts, SD_padding, &unused) || sd_extensions_find(exts, SD_pre_shared_key, &unused))
        return false;
    /* record = handshake header (4) + body + padding header (4) + zeros */
    if (record_len < 4 + body.len + 4 || exts.len + 4 + (record_len - 8 - body.len) > 0xffff) return false;
    size_t zeros = record_len - 8 - body.len;
    sd_buf_u8(out, SD_handshake);
    sd_buf_u16(out, 0x0301);
    sd_buf_u16(out, (uint16_t)record_len);
    sd_buf_u8(out, SD_ClientHello);
    sd_buf_u24(out, (uint32_t)(record_len - 4));
    sd_buf_append(out, body.data, ext_len_at);
    sd_buf_u16(out, (uint16_t)(exts.len + 4 + zeros));
    sd_buf_append_span(out, exts);
    sd_buf_u16(out, SD_padding);
    sd_buf_u16(out, (uint16_t)zeros);
    return !out->failed;
}

/* --- Writing the seeds -------------------------------------------------------------- */

typedef struct {
    uint8_t type;
    bool from_client;
    const char *target;
    int wire_selector; /* fuzz_wire_roundtrip parser, -1 for none */
} message_seed;

/* Which recorded TLS 1.3 message feeds which target. The client-side
 * messages (its Certificate, CertificateVerify) go to fuzz_wire_roundtrip
 * only: the TLS 1.3 message targets fuzz what a client receives. A
 * HelloRetryRequest (a ServerHello with the special random) goes to
 * fuzz_hello_retry_request instead. */
static const message_seed message_seeds13[] = {
    {SD_ClientHello, true, NULL, 0},
    {SD_ServerHello, false, "fuzz_server_hello", 1},
    {SD_EncryptedExtensions, false, "fuzz_encrypted_extensions", 2},
    {SD_Certificate, false, "fuzz_certificate", 3},
    {SD_CompressedCertificate, false, "fuzz_compressed_certificate", 15},
    {SD_Certificate, true, NULL, 3},
    {SD_CertificateRequest, false, "fuzz_certificate_request", -1},
    {SD_CertificateVerify, false, "fuzz_certificate_verify", 4},
    {SD_CertificateVerify, true, NULL, 4},
    {SD_Finished, false, "fuzz_finished", -1},
    {SD_Finished, true, "fuzz_finished", -1},
    {SD_NewSessionTicket, false, "fuzz_new_session_ticket", 5},
    {SD_KeyUpdate, false, "fuzz_key_update", -1},
    {SD_KeyUpdate, true, "fuzz_key_update", -1},
};

/* The same for TLS 1.2: every message has its target, on the side that
 * receives it. */
static const message_seed message_seeds12[] = {
    {SD_ClientHello, true, "fuzz_tls12_client_hello", -1},
    {SD_ServerHello, false, "fuzz_tls12_server_hello", -1},
    {SD_Certificate, false, "fuzz_tls12_certificate", -1},
    {SD_Certificate, true, "fuzz_tls12_certificate", -1},
    {SD_ServerKeyExchange, false, "fuzz_server_key_exchange", -1},
    {SD_CertificateRequest, false, "fuzz_tls12_certificate_request", -1},
    {SD_ServerHelloDone, false, "fuzz_server_hello_done", -1},
    {SD_ClientKeyExchange, true, "fuzz_client_key_exchange", -1},
    {SD_CertificateVerify, true, "fuzz_tls12_certificate_verify", -1},
    {SD_Finished, false, "fuzz_tls12_finished", -1},
    {SD_Finished, true, "fuzz_tls12_finished", -1},
    {SD_NewSessionTicket, false, "fuzz_tls12_new_session_ticket", -1},
};

static bool is_hello_retry_request(const recorded_msg *m) {
    return m->type == SD_ServerHello && m->body.len >= 2 + SD_RANDOM_LEN &&
           memcmp(m->body.data + 2, sd_hrr_random, SD_RANDOM_LEN) == 0;
}

/* Writes each recorded message as a seed of its target, in the shape it
 * was recorded in: variant byte 0 (body replaced), the side bit for what a
 * client sends (only either-side targets read it), and for TLS 1.2 the key
 * exchange (bits 4-5). */
static void write_message_seeds(const char *source, const recording *r, const shape *sh) {
    bool tls12 = sh->max_version == TLS1_2_VERSION;
    const message_seed *table = tls12 ? message_seeds12 : message_seeds13;
    size_t n = tls12 ? sizeof message_seeds12 / sizeof message_seeds12[0]
                     : sizeof message_seeds13 / sizeof message_seeds13[0];
    for (size_t i = 0; i < r->n; i++) {
        const recorded_msg *m = &r->msgs[i];
        for (size_t k = 0; k < n; k++) {
            const message_seed *ms = &table[k];
            if (ms->type != m->type || ms->from_client != m->from_client) continue;
            char name[128];
            const char *tname =
                is_hello_retry_request(m) ? "HelloRetryRequest" : sd_handshake_type_name(m->type);
            snprintf(name, sizeof name, "%s-%s-%s", source, m->from_client ? "client" : "server",
                     tname ? tname : "x");
            const char *target =
                ms->target && !tls12 && is_hello_retry_request(m) ? "fuzz_hello_retry_request" : ms->target;
            /* A HelloRetryRequest to the model client echoes the model's
             * session id, which is the same in every run of seed 1: the
             * model takes it as its own, BoringSSL (random ids) does not,
             * and the seed would be a divergence of our making. */
            if (is_hello_retry_request(m) && strncmp(source, "model-client", 12) == 0) target = NULL;
            if (target) {
                uint8_t variant = m->from_client ? 2 : 0;
                if (tls12) variant |= (uint8_t)(sh->kx << 4);
                seed(target, name, &variant, 1, sd_buf_span(&m->body));
            }
            if (ms->wire_selector >= 0 && !is_hello_retry_request(m)) {
                uint8_t sel = (uint8_t)ms->wire_selector;
                seed("fuzz_wire_roundtrip", name, &sel, 1, sd_buf_span(&m->body));
            }
        }
    }
}

static void write_alert_seeds(const char *source, const recording *r) {
    for (size_t i = 0; i < r->n_alerts; i++) {
        for (uint8_t pos = 0; pos < 8; pos++) {
            char name[96];
            snprintf(name, sizeof name, "%s-alert%zu-position%u", source, i, pos);
            /* position, level, description, flags 0 (one alert, as the state requires) */
            uint8_t input[4] = {pos, r->alerts[i].data[0], r->alerts[i].data[1], 0};
            seed("fuzz_alert", name, input, sizeof input, sd_span_of(NULL, 0));
        }
        char name[96];
        snprintf(name, sizeof name, "%s-alert%zu-raw-record", source, i);
        /* As a raw alert record body (flags bit 2), at position 1. */
        uint8_t input[4] = {1, r->alerts[i].data[0], r->alerts[i].data[1], 4};
        seed("fuzz_alert", name, input, sizeof input, sd_buf_span(&r->alerts[i]));
    }
}

/* "Honest body, no edits" (variant 1; 3 for the server side): the trace of
 * a plain handshake, from which the fuzzer's flips and appends start. */
static void write_honest_seeds(void) {
    static const char *const honest[] = {"fuzz_server_hello", "fuzz_encrypted_extensions",
                                         "fuzz_certificate",  "fuzz_certificate_verify",
                                         "fuzz_finished",     "fuzz_compressed_certificate"};
    for (size_t i = 0; i < sizeof honest / sizeof honest[0]; i++) {
        uint8_t v = 1;
        seed(honest[i], "honest-client", &v, 1, sd_span_of(NULL, 0));
    }
    uint8_t v = 3;
    seed("fuzz_finished", "honest-server", &v, 1, sd_span_of(NULL, 0));
    v = 1;
    seed("fuzz_hello_retry_request", "honest-client", &v, 1, sd_span_of(NULL, 0));

    /* TLS 1.2: every key exchange, with and without client authentication
     * (bit 6), on each side a target has. Not yet: a ticket with client
     * authentication, nor a client without a certificate (bit 7), which
     * the model does not handle (see corpus/regressions/pending/). */
    static const struct {
        const char *target;
        bool client_side, server_side;
    } honest12[] = {
        {"fuzz_tls12_client_hello", false, true},
        {"fuzz_tls12_server_hello", true, false},
        {"fuzz_tls12_certificate", true, true},
        {"fuzz_server_key_exchange", true, false},
        {"fuzz_tls12_certificate_request", true, false},
        {"fuzz_server_hello_done", true, false},
        {"fuzz_client_key_exchange", false, true},
        {"fuzz_tls12_certificate_verify", false, true},
        {"fuzz_tls12_finished", true, true},
        {"fuzz_tls12_new_session_ticket", true, false},
    };
    for (size_t i = 0; i < sizeof honest12 / sizeof honest12[0]; i++) {
        for (unsigned kx = 0; kx < 4; kx++) {
            for (unsigned auth = 0; auth < 2; auth++) {
                if (auth && strcmp(honest12[i].target, "fuzz_tls12_new_session_ticket") == 0) continue;
                for (unsigned side = 0; side < 2; side++) {
                    if (!(side ? honest12[i].server_side : honest12[i].client_side)) continue;
                    char name[64];
                    snprintf(name, sizeof name, "honest-%s-kx%u%s", side ? "server" : "client", kx,
                             auth ? "-client-auth" : "");
                    v = (uint8_t)(1 | (side ? 2 : 0) | kx << 4 | (auth ? 0x40 : 0));
                    seed(honest12[i].target, name, &v, 1, sd_span_of(NULL, 0));
                }
            }
        }
    }
}

/* Every file of a folder, recursively, sorted: calls fn(path, name). */
static void each_file(const char *dir, void (*fn)(const char *path, const char *name)) {
    DIR *d = opendir(dir);
    if (!d) return;
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 512)
        if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    }
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            each_file(path, fn);
        else if (names[i])
            fn(path, names[i]);
        free(names[i]);
    }
}

/* Writes the trace with its setup to fuzz_trace's corpus (when
 * `run_it`) and to fuzz_trace_binary's, which only decodes it. */
static void write_trace_seed(const char *name, const sd_trace *t, const sd_fuzz_setup *setup, bool run_it) {
    sd_buf b;
    sd_buf_init(&b);
    char err[200];
    if (sd_trace_encode_with_setup(t, setup, &b, err, sizeof err)) {
        if (run_it) seed("fuzz_trace", name, NULL, 0, sd_buf_span(&b));
        seed("fuzz_trace_binary", name, NULL, 0, sd_buf_span(&b));
    }
    sd_buf_free(&b);
}

static const sd_pki *g_pki;
static sd_known_differences g_known;
static sd_claim_labels g_claims;
/* GnuTLS in process, where the build has it: the second reference of
 * `shakedown fuzz --reference gnutls` for the setups BoringSSL cannot run,
 * with its own known differences. NULL: such scenarios stay out of
 * fuzz_trace's corpus, as they always did. */
static const char g_reference_name[] = "gnutls";
static const sd_target_ops *g_reference;
static sd_known_differences g_reference_known;

/* stacks_part_ways for a setup BoringSSL cannot run: the model against the
 * second reference. Such a seed is skipped by a campaign without
 * --reference (sd_fuzz_setup_boringssl_runs), and with it is where the
 * fuzzer starts from in those features; the reference refusing the setup
 * (unsupported) would make it nothing to compare. */
static bool model_and_reference_part_ways(const sd_trace *t, const sd_run_config *cfg, char *signature,
                                          size_t len) {
    if (!g_reference) {
        snprintf(signature, len, "no second reference (%s) in this build", g_reference_name);
        return true;
    }
    sd_outcome m, r;
    sd_divergence div;
    sd_differential_run_reference(t, cfg, g_reference, g_reference_name, &m, &r, &div, NULL, 0);
    const sd_party parties[] = {{"model", &m}, {g_reference_name, &r}};
    if (sd_parties_claim_finding(&g_claims, &g_reference_known, "fuzz_trace", parties, 2, signature, len,
                                 NULL, 0))
        return true;
    sd_parties_signature("fuzz_trace", parties, 2, signature, len);
    return r.kind == SD_OUTCOME_UNSUPPORTED ||
           ((div == SD_DIV_DIVERGES || div == SD_DIV_CRASH) &&
            !sd_known_differences_match(&g_reference_known, signature, g_reference_name));
}

/* Whether the trace run with its setup would be a fuzz_trace finding: the
 * model and BoringSSL part ways (diverge, or either crashes) where no known
 * difference covers the signature, or a side accepts a defective
 * credential (oracle/claims.h) no known difference covers. A scenario about
 * a deviation of BoringSSL's the project has not written up as a known
 * difference of fuzzing (a SOFT with its note, a FAIL of
 * scenarios/known-failures.txt named by scenario id only) is one, and as a
 * fuzz_trace seed it would be a finding on every replay, which stops
 * libFuzzer before it starts: it is left out of fuzz_trace's corpus. One
 * whose difference is known stays in: the defective-credential scenarios
 * (gen-certificate, ocsp) are the seeds from which the fuzzer reaches a
 * model that accepts what BoringSSL accepts too, which only the claim check
 * sees. */
static bool stacks_part_ways(const sd_trace *t, const sd_fuzz_setup *setup, char *signature, size_t len) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, setup->role, g_pki);
    sd_fuzz_setup_apply(setup, &cfg);
    if (!sd_fuzz_setup_boringssl_runs(setup, NULL, 0))
        return model_and_reference_part_ways(t, &cfg, signature, len);
    sd_outcome m, b;
    sd_divergence div;
    sd_differential_run_config(t, &cfg, &m, &b, &div, NULL, 0);
    if (sd_claim_finding(&g_claims, &g_known, "fuzz_trace", &m, &b, signature, len, NULL, 0)) return true;
    sd_finding_signature("fuzz_trace", &m, &b, signature, len);
    return (div == SD_DIV_DIVERGES || div == SD_DIV_CRASH) &&
           !sd_known_differences_match(&g_known, signature, "boringssl");
}

/* A scenario as fuzz_trace and fuzz_trace_binary seeds. With its headers
 * as the setup, the seed replays as the scenario:
 * tls13.client.certificate.expired presents the expired chain, a TLS 1.2
 * scenario runs TLS 1.2. Named by id, which is unique across both
 * versions' folders and the generated families. */
static void trace_seed_of(const sd_scenario *s) {
    char by_id[256];
    snprintf(by_id, sizeof by_id, "scenario-%s", s->id);
    sd_fuzz_setup setup;
    sd_fuzz_setup_from_scenario(s, &setup);
    char signature[512];
    bool part = stacks_part_ways(&s->trace, &setup, signature, sizeof signature);
    if (part)
        printf("record_seeds: %s: not a fuzz_trace seed, the stacks part ways (%s)\n", s->id, signature);
    write_trace_seed(by_id, &s->trace, &setup, !part);
}

static bool has_tag(const sd_scenario *s, const char *tag) {
    for (size_t i = 0; i < s->n_tags; i++)
        if (strcmp(s->tags[i], tag) == 0) return true;
    return false;
}

static void scenario_seed(const char *path, const char *name) {
    size_t n = strlen(name);
    if (n < 4 || strcmp(name + n - 3, ".sd") != 0) return;
    sd_scenario s;
    char err[600];
    if (!sd_scenario_load(path, &s, err, sizeof err)) {
        fprintf(stderr, "record_seeds: %s\n", err);
        g_status = 1;
        return;
    }
    trace_seed_of(&s);
    bool tls12 = s.version == SD_TLS12;
    sd_scenario_free(&s);
    /* fuzz_script reads the file; its seeds stay the TLS 1.3 ones, named
     * after the file as before. */
    if (tls12) return;
    char base[256];
    snprintf(base, sizeof base, "scenario-%.*s", (int)(n - 3), name);
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static uint8_t text[1 << 16];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    seed("fuzz_script", base, NULL, 0, sd_span_of(text, len));
}

/* The traces the other targets' seeds stand for, as fuzz_trace seeds. */
static const char *g_current_target;
static void target_seed_trace(const char *path, const char *name) {
    FILE *f = fopen(path, "rb");
    if (!f) return;
    static uint8_t data[SD_FUZZ_MAX_INPUT + 1];
    size_t len = fread(data, 1, sizeof data, f);
    fclose(f);
    if (len > SD_FUZZ_MAX_INPUT) return;
    sd_trace t;
    sd_fuzz_setup setup;
    char err[200];
    if (!sd_fuzz_input_build(g_current_target, data, len, &t, &setup, err, sizeof err)) return;
    char base[300];
    snprintf(base, sizeof base, "%s-%s", g_current_target, name);
    /* A trace that runs as fuzz_trace runs a trace without a setup (TLS
     * 1.3, the default credentials, the role its first ClientHello action
     * implies) is written without one, as before; every other with its
     * setup (TLS 1.2 in each key exchange, client authentication). */
    write_trace_seed(base, &t, sd_fuzz_setup_implied(&setup, &t) ? NULL : &setup, true);
    sd_trace_free(&t);
}

int main(int argc, char **argv) {
    g_root = SHAKEDOWN_SOURCE_DIR "/corpus";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-f") == 0) {
            g_force = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: %s [-f] [CORPUS_DIR]\n"
                   "Records every fuzz target's seeds from real handshakes (BoringSSL, the model)\n"
                   "into CORPUS_DIR/<target>/. Default CORPUS_DIR: %s. -f overwrites.\n",
                   argv[0], g_root);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], argv[i]);
            return 2;
        } else {
            g_root = argv[i];
        }
    }
    char err[512];
    if (!sd_make_dirs(g_root, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 2;
    }
    sd_pki pki;
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "%s: cannot load the fixture PKI from %s: %s\n", argv[0], sd_pki_default_dir(), err);
        return 2;
    }
    g_observer_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    g_pki = &pki;
    bool known_from_env = false;
    const char *kd_path = sd_known_differences_default_path(&known_from_env);
    if (!sd_known_differences_load(kd_path, &g_known, err, sizeof err) ||
        !sd_claim_labels_load(pki.dir, &g_claims, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", argv[0], err);
        return 2;
    }
    g_reference = sd_stack_under_test_find(g_reference_name, err, sizeof err);
    char reference_kd[1200];
    if (g_reference &&
        (!sd_stack_known_differences_path(g_reference_name, reference_kd, sizeof reference_kd, NULL) ||
         !sd_known_differences_load(reference_kd, &g_reference_known, err, sizeof err))) {
        fprintf(stderr, "%s: the known differences of %s: %s\n", argv[0], g_reference_name, err);
        return 2;
    }

    /* ClientHellos: distinct offers (SNI, TLS 1.2 too, other randoms). */
    static const struct {
        const char *stack, *variant;
        uint16_t min_version;
        const char *sni;
        uint64_t seed;
    } hellos[] = {
        {"boringssl", "tls13", TLS1_3_VERSION, SD_PKI_SERVER_NAME, 1},
        {"boringssl", "tls12-tls13", TLS1_2_VERSION, SD_PKI_SERVER_NAME, 1},
        {"boringssl", "tls13-no-sni", TLS1_3_VERSION, NULL, 1},
        {"boringssl", "tls12-tls13-no-sni", TLS1_2_VERSION, NULL, 1},
        {"model", "seed1", SD_TLS13, SD_PKI_SERVER_NAME, 1},
        {"model", "seed2", SD_TLS13, SD_PKI_SERVER_NAME, 2},
        {"model", "seed1-no-sni", SD_TLS13, NULL, 1},
    };
    for (size_t i = 0; i < sizeof hellos / sizeof hellos[0]; i++) {
        sd_buf flight, body;
        sd_buf_init(&flight);
        sd_buf_init(&body);
        char name[96];
        snprintf(name, sizeof name, "%s-%s", hellos[i].stack, hellos[i].variant);
        if (client_first_flight(hellos[i].stack, hellos[i].min_version, hellos[i].sni, hellos[i].seed, &pki,
                                &flight) &&
            first_message_body(sd_buf_span(&flight), &body)) {
            seed("fuzz_client_hello", name, NULL, 0, sd_buf_span(&body));
            seed("fuzz_record", name, NULL, 0, sd_buf_span(&flight));
            /* The same ClientHello in a record of 2^14 bytes, which both
             * stacks take, and of 2^14+1, which RFC 8446 §5.1 has them
             * refuse with record_overflow. */
            static const struct {
                const char *suffix;
                size_t record_len;
            } padded[] = {{"padded-2e14", 16384}, {"padded-2e14-plus-1", 16385}};
            for (size_t p = 0; p < sizeof padded / sizeof padded[0]; p++) {
                sd_buf input;
                sd_buf_init(&input);
                char padded_name[128];
                snprintf(padded_name, sizeof padded_name, "%s-%s", name, padded[p].suffix);
                if (padded_client_hello(sd_buf_span(&body), padded[p].record_len, &input))
                    seed("fuzz_record", padded_name, NULL, 0, sd_buf_span(&input));
                sd_buf_free(&input);
            }
            uint8_t sel = 0;
            seed("fuzz_wire_roundtrip", name, &sel, 1, sd_buf_span(&body));
            sel = 10; /* records */
            seed("fuzz_wire_roundtrip", name, &sel, 1, sd_buf_span(&flight));
        } else {
            fprintf(stderr, "record_seeds: no ClientHello from %s\n", name);
            g_status = 1;
        }
        sd_buf_free(&flight);
        sd_buf_free(&body);
    }

    /* Whole handshakes: every message type, TLS 1.3 (also with a
     * HelloRetryRequest) and TLS 1.2 in each key exchange. */
    static const struct {
        const char *name; /* "" for the plain TLS 1.3 handshake, whose seed names predate the others */
        shape sh;
    } shapes[] = {
        {"", {TLS1_3_VERSION, TLS1_3_VERSION, -1, false}},
        {"-hrr", {TLS1_3_VERSION, TLS1_3_VERSION, -1, true}},
        {"-tls12-kx0", {TLS1_2_VERSION, TLS1_2_VERSION, 0, false}},
        {"-tls12-kx1", {TLS1_2_VERSION, TLS1_2_VERSION, 1, false}},
        {"-tls12-kx2", {TLS1_2_VERSION, TLS1_2_VERSION, 2, false}},
        {"-tls12-kx3", {TLS1_2_VERSION, TLS1_2_VERSION, 3, false}},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *sh = &shapes[i].sh;
        bool plain = shapes[i].name[0] == '\0';
        char source[64];
        recording r;
        memset(&r, 0, sizeof r);
        snprintf(source, sizeof source, "model-server%s", shapes[i].name);
        if (run_with_model(true, &pki, &r, sh)) {
            write_message_seeds(source, &r, sh);
            if (plain) write_alert_seeds(source, &r);
        } else {
            g_status = 1;
        }
        recording_free(&r);
        snprintf(source, sizeof source, "model-client%s", shapes[i].name);
        if (run_with_model(false, &pki, &r, sh))
            write_message_seeds(source, &r, sh);
        else
            g_status = 1;
        recording_free(&r);
        snprintf(source, sizeof source, "boringssl%s", shapes[i].name);
        if (run_bssl_pair(&pki, &r, sh)) {
            write_message_seeds(source, &r, sh);
            if (plain) write_alert_seeds(source, &r);
        } else {
            g_status = 1;
        }
        recording_free(&r);
    }
    write_honest_seeds();

    /* Traces: the scenarios, and what every other target's seeds run. */
    each_file(SHAKEDOWN_SOURCE_DIR "/scenarios", scenario_seed);
    /* The generated gen-certificate scenarios too: each is a defective
     * credential in a setup (version, role, client authentication) that
     * the mutator rarely puts together by itself, and a certificate check
     * dropped from the model shows only with the right defect in the
     * right setup. And gen-record's record sizes (tag "size"): a record of
     * exactly 2^14 bytes and one just past each limit, in every setup,
     * written with fill= (a few bytes, where the records are 16 KiB and
     * more), from which the trace mutator's fill changes reach the sizes
     * around them. The other families are one mutation away from the
     * hand-written seeds. */
    sd_generated generated;
    char gen_err[300];
    if (sd_generate_all(&generated, gen_err, sizeof gen_err)) {
        for (size_t i = 0; i < generated.n; i++) {
            const char *family = sd_generated_family_of(&generated.items[i]);
            if (family && (strcmp(family, "gen-certificate") == 0 ||
                           (strcmp(family, "gen-record") == 0 && has_tag(&generated.items[i], "size"))))
                trace_seed_of(&generated.items[i]);
        }
        sd_generated_free(&generated);
    } else {
        fprintf(stderr, "record_seeds: %s\n", gen_err);
        g_status = 1;
    }
    for (size_t i = 0; sd_fuzz_target_names[i]; i++) {
        if (strcmp(sd_fuzz_target_names[i], "fuzz_trace") == 0) continue;
        g_current_target = sd_fuzz_target_names[i];
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/%s", g_root, g_current_target);
        each_file(dir, target_seed_trace);
    }

    printf("record_seeds: %u seeds written, %u kept (use -f to re-record) in %s\n", g_written, g_kept,
           g_root);
    sd_claim_labels_free(&g_claims);
    sd_known_differences_free(&g_known);
    sd_known_differences_free(&g_reference_known);
    sd_pki_free(&pki);
    return g_status;
}
