/* shim_gnutls.c — GnuTLS behind the shim contract (docs/shim-contract.md).
 *
 * I/O goes through GnuTLS's push/pull transport functions into the shim's
 * memory queues; an empty queue is EAGAIN, so gnutls_handshake and
 * gnutls_record_recv return GNUTLS_E_AGAIN when they need the peer.
 *
 * GnuTLS leaves alerts on errors to the application (gnutls-serv and
 * gnutls-cli call gnutls_alert_send_appropriate after a failed handshake), so
 * this shim does the same, as any real GnuTLS application would.
 *
 * Resumption, when the harness asks: a server's ticket key comes from
 * gnutls_session_ticket_key_generate once per process, and its TLS 1.2
 * session cache is the gnutls_db_* store an application provides (GnuTLS
 * keeps none itself; gnutls-serv keeps one the same way), so both outlive
 * the connection for the next (NEXT). A client hands its session over with
 * gnutls_session_get_data2 and takes it back with gnutls_session_set_data.
 *
 * 0-RTT, when the harness asks (--max-early-data, --early-data-hex): a
 * server made with GNUTLS_ENABLE_EARLY_DATA issues tickets that allow it and
 * reads it during gnutls_handshake, for gnutls_record_recv_early_data after
 * it; a client queues it with gnutls_record_send_early_data before its
 * ClientHello. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "shim/shim_stack.h"

typedef struct {
    gnutls_session_t session;
    gnutls_certificate_credentials_t cred;
    gnutls_priority_t prio;
    shim_conn *c;
    shim_role role;
    bool closed;
    gnutls_typed_vdata_st verify_data[2]; /* what the peer's certificate must match */
    const shim_opts *o;                   /* lives as long as the process */
    gnutls_datum_t ticket_key;            /* server with --session-tickets */
    gnutls_anti_replay_t anti_replay;     /* server with --max-early-data */
    /* A renegotiation (--renegotiation on) is under way: gnutls_handshake
     * runs again until it completes, before application data is read. */
    bool renegotiating;
} gtls;

/* A store of this process, by key; the oldest entry goes when it is full.
 * Two serve a server: its TLS 1.2 session cache (--session-cache), by
 * session id, and the record of its 0-RTT ClientHellos (--max-early-data),
 * by binder. */
#define DB_SLOTS 64
typedef struct {
    gnutls_datum_t key, data;
} db_entry;
typedef struct {
    db_entry slot[DB_SLOTS];
    size_t next;
} db_table;
static db_table session_db, replay_db;

static void db_free(db_entry *e) {
    free(e->key.data);
    free(e->data.data);
    memset(e, 0, sizeof *e);
}

static db_entry *db_find(db_table *t, gnutls_datum_t key) {
    for (size_t i = 0; i < DB_SLOTS; i++) {
        db_entry *e = &t->slot[i];
        if (e->key.data && e->key.size == key.size && memcmp(e->key.data, key.data, key.size) == 0) return e;
    }
    return NULL;
}

static int db_put(db_table *t, gnutls_datum_t key, gnutls_datum_t data) {
    db_entry *e = db_find(t, key);
    if (e == NULL) e = &t->slot[t->next++ % DB_SLOTS];
    db_free(e);
    e->key.data = malloc(key.size);
    e->data.data = malloc(data.size);
    if (e->key.data == NULL || e->data.data == NULL) {
        db_free(e);
        return -1;
    }
    memcpy(e->key.data, key.data, key.size);
    memcpy(e->data.data, data.data, data.size);
    e->key.size = key.size;
    e->data.size = data.size;
    return 0;
}

static int db_store(void *ptr, gnutls_datum_t key, gnutls_datum_t data) {
    (void)ptr;
    return db_put(&session_db, key, data);
}

/* GnuTLS frees what this returns with gnutls_free. */
static gnutls_datum_t db_retrieve(void *ptr, gnutls_datum_t key) {
    (void)ptr;
    gnutls_datum_t out = {NULL, 0};
    db_entry *e = db_find(&session_db, key);
    if (e && (out.data = gnutls_malloc(e->data.size)) != NULL) {
        memcpy(out.data, e->data.data, e->data.size);
        out.size = e->data.size;
    }
    return out;
}

static int db_remove(void *ptr, gnutls_datum_t key) {
    (void)ptr;
    db_entry *e = db_find(&session_db, key);
    if (e == NULL) return -1;
    db_free(e);
    return 0;
}

/* Anti-replay (RFC 8446 §8.2, ClientHello recording): GnuTLS adds each
 * ClientHello whose 0-RTT it would accept, keyed by its binder, and
 * refuses the 0-RTT of one already there (GNUTLS_E_DB_ENTRY_EXISTS). A
 * GnuTLS server without anti-replay accepts no 0-RTT at all
 * (lib/ext/pre_shared_key.c: "anti-replay is not enabled; rejecting early
 * data"). The 64 slots outlast the few connections of a run. */
static int replay_add(void *ptr, time_t exp_time, const gnutls_datum_t *key, const gnutls_datum_t *data) {
    (void)ptr;
    (void)exp_time;
    if (db_find(&replay_db, *key)) return GNUTLS_E_DB_ENTRY_EXISTS;
    return db_put(&replay_db, *key, *data);
}

/* Validation time for certificates: GnuTLS asks the library-wide clock, and
 * this process runs one run at a time, so the library-wide clock is ours
 * (gtls_destroy gives the library its own back). */
static time_t fixed_time;
static time_t clock_at_fixed_time(time_t *t) {
    if (t) *t = fixed_time;
    return fixed_time;
}

static ssize_t push(gnutls_transport_ptr_t p, const void *data, size_t len) {
    gtls *g = p;
    shim_write(g->c, data, len);
    return (ssize_t)len;
}

static ssize_t pull(gnutls_transport_ptr_t p, void *data, size_t len) {
    gtls *g = p;
    size_t n = shim_read(g->c, data, len);
    if (n == 0) {
        /* Not end of stream: the peer may send more later. */
        gnutls_transport_set_errno(g->session, EAGAIN);
        return -1;
    }
    return (ssize_t)n;
}

static int pull_timeout(gnutls_transport_ptr_t p, unsigned int ms) {
    (void)ms;
    gtls *g = p;
    return shim_pending(g->c) > 0 ? 1 : 0;
}

typedef struct {
    char prio[1024];
    char bad[128];
} prio_buf;

static bool add_group(const char *item, void *ctx) {
    prio_buf *b = ctx;
    if (shim_group_id(item) == 0) {
        snprintf(b->bad, sizeof b->bad, "%s", item);
        return false;
    }
    /* GnuTLS spells groups in capitals: GROUP-X25519, GROUP-SECP256R1. */
    char up[64];
    size_t i = 0;
    for (; item[i] && i < sizeof up - 1; i++) up[i] = (char)toupper((unsigned char)item[i]);
    up[i] = '\0';
    size_t n = strlen(b->prio);
    snprintf(b->prio + n, sizeof b->prio - n, ":+GROUP-%s", up);
    return true;
}

/* GnuTLS's names of a signature scheme (priority SIGN-*). It keeps
 * ECDSA's TLS 1.2 pairs (ECDSA-SHA256: any curve, RFC 5246 §7.4.1.4.1)
 * apart from TLS 1.3's schemes of one curve (ECDSA-SECP256R1-SHA256, RFC
 * 8446 §4.2.3) though both are the same code point, so such a code point
 * enables both, next to each other, and is sent once. */
static const struct {
    uint16_t id;
    const char *names;
} gnutls_sigalgs[] = {
    {0x0401, ":+SIGN-RSA-SHA256"},
    {0x0501, ":+SIGN-RSA-SHA384"},
    {0x0601, ":+SIGN-RSA-SHA512"},
    {0x0403, ":+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SHA256"},
    {0x0503, ":+SIGN-ECDSA-SECP384R1-SHA384:+SIGN-ECDSA-SHA384"},
    {0x0603, ":+SIGN-ECDSA-SECP521R1-SHA512:+SIGN-ECDSA-SHA512"},
    {0x0804, ":+SIGN-RSA-PSS-RSAE-SHA256"},
    {0x0805, ":+SIGN-RSA-PSS-RSAE-SHA384"},
    {0x0806, ":+SIGN-RSA-PSS-RSAE-SHA512"},
    {0x0807, ":+SIGN-EdDSA-Ed25519"},
    {0x0809, ":+SIGN-RSA-PSS-SHA256"},
    {0x0201, ":+SIGN-RSA-SHA1"},
    {0x0203, ":+SIGN-ECDSA-SHA1"},
};

static bool add_sigalg(const char *item, void *ctx) {
    prio_buf *b = ctx;
    uint16_t id = shim_sigalg_id(item);
    for (size_t i = 0; id && i < sizeof gnutls_sigalgs / sizeof gnutls_sigalgs[0]; i++) {
        if (gnutls_sigalgs[i].id != id) continue;
        size_t n = strlen(b->prio);
        snprintf(b->prio + n, sizeof b->prio - n, "%s", gnutls_sigalgs[i].names);
        return true;
    }
    snprintf(b->bad, sizeof b->bad, "%s", item);
    return false;
}

/* GnuTLS has no list of suites: a priority string enables ciphers, MACs and
 * key exchanges, and the suites are every combination of them. So each
 * suite asked for adds its parts (found in GnuTLS's own suite table), and
 * check_suites() then makes sure the combinations are exactly the suites
 * asked for. */
typedef struct {
    char ciphers[256], macs[128], kxs[128];
    uint16_t ids[32];
    size_t n;
    char bad[128];
} suite_parts;

static void add_part(char *list, size_t cap, const char *name) {
    char tok[64];
    snprintf(tok, sizeof tok, ":+%s", name);
    if (strstr(list, tok) == NULL) {
        size_t n = strlen(list);
        snprintf(list + n, cap - n, "%s", tok);
    }
}

static bool add_suite(const char *item, void *ctx) {
    suite_parts *sp = ctx;
    uint16_t want = shim_cipher_id(item);
    unsigned char id[2];
    gnutls_kx_algorithm_t kx;
    gnutls_cipher_algorithm_t cipher;
    gnutls_mac_algorithm_t mac;
    gnutls_protocol_t min;
    for (size_t i = 0; want && sp->n < sizeof sp->ids / sizeof sp->ids[0] &&
                       gnutls_cipher_suite_info(i, id, &kx, &cipher, &mac, &min) != NULL;
         i++) {
        if ((uint16_t)(id[0] << 8 | id[1]) != want) continue;
        add_part(sp->ciphers, sizeof sp->ciphers, gnutls_cipher_get_name(cipher));
        add_part(sp->macs, sizeof sp->macs, gnutls_mac_get_name(mac));
        if (min != GNUTLS_TLS1_3) add_part(sp->kxs, sizeof sp->kxs, gnutls_kx_get_name(kx));
        sp->ids[sp->n++] = want;
        return true;
    }
    snprintf(sp->bad, sizeof sp->bad, "%s", item);
    return false;
}

/* True if the priority enables exactly the suites of sp. */
static bool check_suites(gnutls_priority_t prio, const suite_parts *sp) {
    size_t found = 0;
    for (unsigned idx = 0;; idx++) {
        unsigned sidx;
        int r = gnutls_priority_get_cipher_suite_index(prio, idx, &sidx);
        if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
        if (r < 0) continue; /* not for the versions enabled */
        unsigned char id[2];
        if (gnutls_cipher_suite_info(sidx, id, NULL, NULL, NULL, NULL) == NULL) continue;
        uint16_t v = (uint16_t)(id[0] << 8 | id[1]);
        bool asked = false;
        for (size_t i = 0; i < sp->n; i++) asked |= sp->ids[i] == v;
        if (!asked) return false;
        found++;
    }
    return found == sp->n;
}

/* Server: a client certificate, if the client sent one, must chain to
 * --trust and be meant for client authentication (RFC 5280 §4.2.1.12). A
 * client without one is GnuTLS's to judge (GNUTLS_CERT_REQUIRE refuses it). */
static int verify_client(gnutls_session_t session) {
    unsigned n = 0;
    if (gnutls_certificate_get_peers(session, &n) == NULL || n == 0) return 0;
    gnutls_typed_vdata_st purpose = {.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                     .data = (void *)GNUTLS_KP_TLS_WWW_CLIENT};
    unsigned status = 0;
    return gnutls_certificate_verify_peers(session, &purpose, 1, &status) < 0 || status != 0
               ? GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR
               : 0;
}

static void gtls_destroy(void *p);

/* The size to give gnutls_record_set_max_recv_size for --record-size-limit,
 * 0 and err if none gives exactly that value. GnuTLS sends what it is given
 * plus one where TLS 1.3 may be spoken (a client: TLS 1.3 enabled; a
 * server: TLS 1.3 negotiated), RFC 8449 §4's content type octet, and
 * limits the content it receives to what it was given: so the value on
 * the wire is exact only when the version range is one version, and it
 * takes 64..2^14 (with %ALLOW_SMALL_RECORDS) bytes of content. */
static size_t gnutls_recv_size(const shim_opts *o, char *err, size_t err_len) {
    if (o->min_version != o->max_version) {
        snprintf(err, err_len,
                 "unsupported: --record-size-limit with TLS 1.2 and 1.3 both enabled (GnuTLS advertises its "
                 "limit plus 1 whenever TLS 1.3 is enabled, and receives one byte less than it "
                 "advertised if TLS 1.2 is negotiated)");
        return 0;
    }
    size_t content = o->record_size_limit - (o->max_version >= SHIM_TLS13 ? 1u : 0u);
    if (content < 64 || content > 16384) {
        snprintf(err, err_len,
                 "unsupported: --record-size-limit %u in TLS 1.%c (GnuTLS takes 64..16384 bytes of content, "
                 "plus the content type in TLS 1.3)",
                 (unsigned)o->record_size_limit, o->max_version >= SHIM_TLS13 ? '3' : '2');
        return 0;
    }
    return content;
}

/* One connection (gnutls_session_t) on the process's credentials, priority
 * and ticket key. */
static bool new_session(gtls *g, char *err, size_t err_len) {
    const shim_opts *o = g->o;
    if (g->session) gnutls_deinit(g->session);
    g->session = NULL;
    g->closed = false;
    g->renegotiating = false;
    /* No session tickets unless asked for: each run starts from scratch,
     * and nothing follows the handshake that the scenarios do not expect. */
    bool early = o->role == SHIM_SERVER ? o->max_early_data > 0 : o->early_data != NULL;
    unsigned flags = (o->role == SHIM_SERVER ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK |
                     (o->session_tickets ? 0 : GNUTLS_NO_TICKETS) | (early ? GNUTLS_ENABLE_EARLY_DATA : 0);
    int r = gnutls_init(&g->session, flags);
    if (r < 0) goto gnutls_fail;
    r = gnutls_priority_set(g->session, g->prio);
    if (r < 0) goto gnutls_fail;
    r = gnutls_credentials_set(g->session, GNUTLS_CRD_CERTIFICATE, g->cred);
    if (r < 0) goto gnutls_fail;
    gnutls_transport_set_ptr(g->session, g);
    gnutls_transport_set_push_function(g->session, push);
    gnutls_transport_set_pull_function(g->session, pull);
    gnutls_transport_set_pull_timeout_function(g->session, pull_timeout);
    /* record_size_limit (RFC 8449): the limit sent in the extension and
     * held to received records (gnutls_recv_size says why it is exact). */
    if (o->record_size_limit) {
        size_t content = gnutls_recv_size(o, err, err_len);
        if (content == 0) return false;
        r = (int)gnutls_record_set_max_recv_size(g->session, content);
        if (r < 0) goto gnutls_fail;
    }

    if (o->role == SHIM_CLIENT) {
        /* max_fragment_length (RFC 6066 §4): gnutls_record_set_max_size
         * requests the length (it is a power of two from 2^9 to 2^12) and
         * refuses an answer of another with illegal_parameter. A GnuTLS
         * server accepts a request without being told to. */
        if (o->max_fragment_length) {
            r = (int)gnutls_record_set_max_size(g->session, o->max_fragment_length);
            if (r < 0) goto gnutls_fail;
        }
        if (o->server_name) {
            r = gnutls_server_name_set(g->session, GNUTLS_NAME_DNS, o->server_name, strlen(o->server_name));
            if (r < 0) goto gnutls_fail;
        }
        /* Verify the chain, the name and the extended key usage during the
         * handshake, as gnutls-cli does; a failure aborts it
         * (GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR). Without the purpose
         * GnuTLS ignores extendedKeyUsage (RFC 5280 §4.2.1.12: "If the
         * extension is present, then the certificate MUST only be used for
         * one of the purposes indicated"). The data must outlive the
         * session: argv and a string constant do. */
        g->verify_data[0] = (gnutls_typed_vdata_st){.type = GNUTLS_DT_KEY_PURPOSE_OID,
                                                    .data = (void *)GNUTLS_KP_TLS_WWW_SERVER};
        unsigned n = 1;
        if (o->server_name)
            g->verify_data[n++] =
                (gnutls_typed_vdata_st){.type = GNUTLS_DT_DNS_HOSTNAME, .data = (void *)o->server_name};
        gnutls_session_set_verify_cert2(g->session, g->verify_data, n, 0);
        if (o->resume_session) {
            r = gnutls_session_set_data(g->session, o->resume_session, o->resume_session_len);
            if (r < 0) {
                snprintf(err, err_len, "--resume-session-hex is no GnuTLS session: %s", gnutls_strerror(r));
                return false;
            }
            /* 0-RTT, if the resumed session's ticket allows these bytes
             * (RFC 8446 §4.6.1 max_early_data_size; GnuTLS takes the limit
             * from the session): queued now, sent after the ClientHello. A
             * session that allows less gets none. */
            if (early && gnutls_record_get_max_early_data_size(g->session) >= o->early_data_len) {
                /* It queues all or nothing, and returns 0 for all (not the
                 * length its manual page promises). */
                ssize_t w = gnutls_record_send_early_data(g->session, o->early_data, o->early_data_len);
                if (w < 0) {
                    r = (int)w;
                    goto gnutls_fail;
                }
            }
        }
        return true;
    }
    if (o->client_auth != SHIM_AUTH_NONE)
        gnutls_certificate_server_set_request(
            g->session, o->client_auth == SHIM_AUTH_REQUIRE ? GNUTLS_CERT_REQUIRE : GNUTLS_CERT_REQUEST);
    if (o->session_tickets) {
        r = gnutls_session_ticket_enable_server(g->session, &g->ticket_key);
        if (r < 0) goto gnutls_fail;
    }
    /* 0-RTT: tickets whose early_data allows max_early_data bytes, and no
     * more read (GnuTLS's own default is 16384), with the anti-replay that
     * GnuTLS requires before it accepts any. */
    if (early) {
        r = gnutls_record_set_max_early_data_size(g->session, o->max_early_data);
        if (r < 0) goto gnutls_fail;
        gnutls_anti_replay_enable(g->session, g->anti_replay);
    }
    if (o->session_cache) {
        gnutls_db_set_retrieve_function(g->session, db_retrieve);
        gnutls_db_set_store_function(g->session, db_store);
        gnutls_db_set_remove_function(g->session, db_remove);
        gnutls_db_set_ptr(g->session, g);
    }
    return true;

gnutls_fail:
    snprintf(err, err_len, "gnutls: %s", gnutls_strerror(r));
    return false;
}

static void *gtls_create(const shim_opts *o, shim_conn *c, char *err, size_t err_len) {
    gtls *g = calloc(1, sizeof *g);
    if (g == NULL) return NULL;
    g->c = c;
    g->role = o->role;
    g->o = o;
    if (o->time) {
        fixed_time = (time_t)o->time;
        gnutls_global_set_time_function(clock_at_fixed_time);
    }
    int r = gnutls_certificate_allocate_credentials(&g->cred);
    if (r < 0) goto gnutls_fail;
    if (o->cert) {
        r = gnutls_certificate_set_x509_key_file(g->cred, o->cert, o->key ? o->key : o->cert,
                                                 GNUTLS_X509_FMT_PEM);
        if (r < 0) {
            snprintf(err, err_len, "cannot load the credential %s: %s", o->cert, gnutls_strerror(r));
            goto fail;
        }
    } else if (o->role == SHIM_SERVER) {
        snprintf(err, err_len, "a server needs --cert and --key");
        goto fail;
    }
    /* A server offers the DHE_RSA suites with GnuTLS's own RFC 7919
     * parameters, as `gnutls-serv` does; without them it has no DHE suite
     * to choose (RFC 5246 §7.4.3). A client that offers FFDHE groups gets
     * one of them (RFC 7919 §4) whatever these are. */
    if (o->role == SHIM_SERVER) {
        r = gnutls_certificate_set_known_dh_params(g->cred, GNUTLS_SEC_PARAM_MEDIUM);
        if (r < 0) goto gnutls_fail;
    }
    if (o->trust) {
        r = gnutls_certificate_set_x509_trust_file(g->cred, o->trust, GNUTLS_X509_FMT_PEM);
        if (r <= 0) {
            snprintf(err, err_len, "cannot load the trust anchors %s: %s", o->trust,
                     r < 0 ? gnutls_strerror(r) : "no certificates");
            goto fail;
        }
    }
    if (o->crl) {
        /* RFC 5280 §6.3: consulted for the certificates its issuer signed;
         * a listed one fails verification with GNUTLS_CERT_REVOKED. */
        r = gnutls_certificate_set_x509_crl_file(g->cred, o->crl, GNUTLS_X509_FMT_PEM);
        if (r <= 0) {
            snprintf(err, err_len, "cannot load the CRL %s: %s", o->crl,
                     r < 0 ? gnutls_strerror(r) : "no CRLs");
            goto fail;
        }
    }
    prio_buf pb;
    memset(&pb, 0, sizeof pb);
    snprintf(pb.prio, sizeof pb.prio, "NORMAL:-VERS-ALL%s%s",
             o->max_version >= SHIM_TLS13 ? ":+VERS-TLS1.3" : "",
             o->min_version <= SHIM_TLS12 ? ":+VERS-TLS1.2" : "");
    if (o->groups) {
        size_t n = strlen(pb.prio);
        snprintf(pb.prio + n, sizeof pb.prio - n, ":-GROUP-ALL");
        if (!shim_each(o->groups, add_group, &pb)) {
            snprintf(err, err_len, "unsupported: group %s", pb.bad);
            goto fail;
        }
    }
    /* --sigalgs: the priority's signature algorithms are what a client
     * offers in signature_algorithms and a server lists in its
     * CertificateRequest, in this order, and the only ones GnuTLS accepts
     * the peer's signature under. A server signs with one of them too. */
    if (o->sigalgs) {
        size_t n = strlen(pb.prio);
        snprintf(pb.prio + n, sizeof pb.prio - n, ":-SIGN-ALL");
        if (!shim_each(o->sigalgs, add_sigalg, &pb)) {
            snprintf(err, err_len, "unsupported: signature scheme %s", pb.bad);
            goto fail;
        }
    }
    suite_parts sp;
    memset(&sp, 0, sizeof sp);
    if (o->ciphers) {
        if (!shim_each(o->ciphers, add_suite, &sp)) {
            snprintf(err, err_len, "unsupported: cipher suite %s", sp.bad);
            goto fail;
        }
        size_t n = strlen(pb.prio);
        snprintf(pb.prio + n, sizeof pb.prio - n, ":-CIPHER-ALL%s:-MAC-ALL%s:-KX-ALL%s", sp.ciphers, sp.macs,
                 sp.kxs);
    }
    /* encrypt_then_mac (RFC 7366): GnuTLS offers and accepts it unless
     * its priority says %NO_ETM. */
    if (o->encrypt_then_mac == SHIM_SWITCH_OFF) {
        size_t n = strlen(pb.prio);
        snprintf(pb.prio + n, sizeof pb.prio - n, ":%%NO_ETM");
    }
    /* A record_size_limit under 512 needs %ALLOW_SMALL_RECORDS: without
     * it gnutls_record_set_max_recv_size refuses it. */
    if (o->record_size_limit) {
        size_t n = strlen(pb.prio);
        snprintf(pb.prio + n, sizeof pb.prio - n, ":%%ALLOW_SMALL_RECORDS");
    }
    /* Both would be two answers to one question: gnutls_record_set_max_size
     * sets the limit record_size_limit advertises as well. */
    if (o->record_size_limit && o->max_fragment_length) {
        snprintf(err, err_len,
                 "unsupported: --max-fragment-length with --record-size-limit (GnuTLS's max_fragment_length "
                 "sets the record_size_limit it sends)");
        goto fail;
    }
    /* A priority string cut short by its buffer would enable less than
     * asked, silently. */
    if (strlen(pb.prio) + 1 >= sizeof pb.prio) {
        snprintf(err, err_len, "priority string too long for the shim (%zu bytes)", sizeof pb.prio);
        goto fail;
    }
    const char *where = NULL;
    r = gnutls_priority_init(&g->prio, pb.prio, &where);
    if (r < 0) {
        if (o->ciphers) {
            snprintf(err, err_len, "unsupported: cipher suites %s (priority %s: %s)", o->ciphers, pb.prio,
                     gnutls_strerror(r));
        } else {
            snprintf(err, err_len, "priority string %s refused at '%s': %s", pb.prio, where ? where : "?",
                     gnutls_strerror(r));
        }
        goto fail;
    }
    if (o->ciphers && !check_suites(g->prio, &sp)) {
        snprintf(err, err_len, "unsupported: GnuTLS cannot enable exactly the suites %s", o->ciphers);
        goto fail;
    }
    if (o->role == SHIM_SERVER && o->client_auth != SHIM_AUTH_NONE) {
        /* A client certificate is verified like the other shims' servers
         * do (not gnutls_session_set_verify_cert, which also refuses a
         * client without one, as "request" must not). */
        gnutls_certificate_set_verify_function(g->cred, verify_client);
    }
    /* One ticket key for every connection of this process. */
    if (o->role == SHIM_SERVER && o->session_tickets &&
        (r = gnutls_session_ticket_key_generate(&g->ticket_key)) < 0)
        goto gnutls_fail;
    /* One anti-replay record for every connection of this process, as for
     * the ticket key. Its window (GnuTLS's default, 10 s) bounds the ticket
     * age it takes: far longer than a run. */
    if (o->role == SHIM_SERVER && o->max_early_data > 0) {
        if ((r = gnutls_anti_replay_init(&g->anti_replay)) < 0) goto gnutls_fail;
        gnutls_anti_replay_set_add_function(g->anti_replay, replay_add);
    }
    if (!new_session(g, err, err_len)) goto fail;
    return g;

gnutls_fail:
    snprintf(err, err_len, "gnutls: %s", gnutls_strerror(r));
fail:
    gtls_destroy(g);
    return NULL;
}

/* A fatal error: record it and tell the peer with the alert GnuTLS maps it
 * to, unless the error is the peer's own alert (RFC 8446 §6.2: on receiving
 * a fatal alert, close the connection; no alert goes back). */
static void fail_gnutls(gtls *g, int r) {
    shim_status *st = shim_st(g->c);
    if (r == GNUTLS_E_FATAL_ALERT_RECEIVED) {
        st->alert_received = (int)gnutls_alert_get(g->session);
    } else {
        int level = 0;
        int alert = gnutls_error_to_alert(r, &level);
        if (alert >= 0 && gnutls_alert_send_appropriate(g->session, r) == 0) {
            if (alert == GNUTLS_A_CLOSE_NOTIFY) {
                st->close_notify_sent = true;
            } else {
                st->alert_sent = alert;
                st->alert_sent_level = level;
            }
        }
    }
    if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
        gnutls_datum_t out = {NULL, 0};
        unsigned status = gnutls_session_get_verify_cert_status(g->session);
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) == 0) {
            shim_fail(g->c, "%s: %s", gnutls_strerror(r), (const char *)out.data);
            gnutls_free(out.data);
            return;
        }
    }
    shim_fail(g->c, "%s", gnutls_strerror(r));
}

/* Runs gnutls_handshake as far as the input allows: the first handshake,
 * or a renegotiation. True once it has completed. */
static bool run_handshake(gtls *g, shim_conn *c) {
    shim_status *st = shim_st(c);
    /* A bounded number of retries for non-fatal results (a warning alert
     * in TLS 1.2) and for records still queued; none of them consumes
     * nothing forever. */
    for (int tries = 0; tries < 64; tries++) {
        int r = gnutls_handshake(g->session);
        if (r == 0) return true;
        /* GnuTLS reads one record per call and says "again" after it even
         * when more of the peer's records are queued (a ClientHello in
         * five records): only an empty queue means it needs the peer. */
        if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
            if (shim_pending(c) == 0) return false;
            continue;
        }
        if (r == GNUTLS_E_WARNING_ALERT_RECEIVED) {
            int a = (int)gnutls_alert_get(g->session);
            st->alert_received = a;
            if (a == GNUTLS_A_CLOSE_NOTIFY) {
                shim_fail(c, "close_notify received before the handshake completed");
                return false;
            }
            continue;
        }
        if (!gnutls_error_is_fatal(r)) continue;
        fail_gnutls(g, r);
        return false;
    }
    return false;
}

static void gtls_step(void *p, shim_conn *c) {
    gtls *g = p;
    shim_status *st = shim_st(c);
    if (st->failed || g->closed) return;
    if (!st->handshake_done) {
        if (!run_handshake(g, c)) return;
        st->handshake_done = true;
        /* The 0-RTT GnuTLS read during the handshake, kept and echoed now
         * that it is done (shim_early_data_echo). */
        if (g->o->max_early_data > 0) {
            char early[16384];
            ssize_t n;
            while ((n = gnutls_record_recv_early_data(g->session, early, sizeof early)) > 0)
                shim_early_data_keep(c, early, (size_t)n);
            size_t len;
            const void *echo = shim_early_data_echo(c, &len);
            if (echo) {
                ssize_t w = gnutls_record_send(g->session, echo, len);
                if (w != (ssize_t)len) {
                    fail_gnutls(g, w < 0 ? (int)w : GNUTLS_E_INTERNAL_ERROR);
                    return;
                }
            }
        }
    }
    if (g->renegotiating) {
        if (!run_handshake(g, c)) return;
        g->renegotiating = false;
    }

    /* The echo contract: every application-data byte read is written back,
     * or with --app-reply-hex a request line is answered (shim_app_answer). */
    char buf[16384];
    /* Bounded as above: "again" with records still queued is read again. */
    for (int again = 0; again < 64;) {
        ssize_t n = gnutls_record_recv(g->session, buf, sizeof buf);
        if (n > 0) {
            size_t len = (size_t)n;
            const void *answer = shim_app_answer(c, buf, &len);
            if (answer == NULL) continue;
            ssize_t w = gnutls_record_send(g->session, answer, len);
            if (w != (ssize_t)len) {
                fail_gnutls(g, w < 0 ? (int)w : GNUTLS_E_INTERNAL_ERROR);
                return;
            }
            continue;
        }
        if (n == 0) {
            /* The peer's close_notify: answer with ours (RFC 8446 §6.1). */
            g->closed = true;
            /* Unless ours went first (CLOSE): one close_notify per side. */
            if (!st->close_notify_sent && gnutls_bye(g->session, GNUTLS_SHUT_WR) == 0)
                st->close_notify_sent = true;
            return;
        }
        if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
            if (shim_pending(c) == 0) return;
            again++;
            continue;
        }
        if (n == GNUTLS_E_WARNING_ALERT_RECEIVED) {
            st->alert_received = (int)gnutls_alert_get(g->session);
            continue;
        }
        if (n == GNUTLS_E_REHANDSHAKE) {
            /* A HelloRequest (client) or a ClientHello after the handshake
             * (server): GnuTLS leaves the answer to the application. With
             * --renegotiation on, run the handshake again (GnuTLS's own
             * priority default, %PARTIAL_RENEGOTIATION, keeps it to secure
             * renegotiation, RFC 5746 §4.2, §4.4); off, refuse it with a
             * warning no_renegotiation (RFC 5246 §7.2.2). */
            if (g->o->renegotiation) {
                g->renegotiating = true;
                if (!run_handshake(g, c)) return;
                g->renegotiating = false;
                continue;
            }
            int r = gnutls_alert_send(g->session, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
            if (r < 0) {
                fail_gnutls(g, r);
                return;
            }
            st->alert_sent = GNUTLS_A_NO_RENEGOTIATION;
            st->alert_sent_level = GNUTLS_AL_WARNING;
            /* A client goes on (GnuTLS consumed the HelloRequest). A
             * server cannot: the ClientHello stays in GnuTLS's buffer, and
             * gnutls_record_recv(3) says "A server receiving this error code
             * can only initiate a new handshake or terminate the session"
             * (reading on fails with GNUTLS_E_UNEXPECTED_PACKET). */
            if (g->role == SHIM_SERVER) {
                shim_fail(c,
                          "renegotiation refused: a GnuTLS server can only renegotiate or end the session");
                return;
            }
            again++;
            continue;
        }
        if (!gnutls_error_is_fatal((int)n)) continue;
        fail_gnutls(g, (int)n);
        return;
    }
}

/* The IANA id of the negotiated suite: GnuTLS reports its parts (key
 * exchange, cipher, MAC), and its suite table maps them back. */
static uint16_t cipher_iana(gnutls_session_t s, gnutls_protocol_t ver) {
    gnutls_kx_algorithm_t kx = gnutls_kx_get(s);
    gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(s);
    gnutls_mac_algorithm_t mac = gnutls_mac_get(s);
    unsigned char id[2];
    gnutls_kx_algorithm_t ekx;
    gnutls_cipher_algorithm_t ecipher;
    gnutls_mac_algorithm_t emac;
    gnutls_protocol_t emin;
    for (size_t i = 0; gnutls_cipher_suite_info(i, id, &ekx, &ecipher, &emac, &emin) != NULL; i++) {
        bool tls13_suite = emin == GNUTLS_TLS1_3;
        if ((ver == GNUTLS_TLS1_3) != tls13_suite) continue;
        if (ecipher != cipher || emac != mac) continue;
        if (!tls13_suite && ekx != kx) continue;
        return (uint16_t)(id[0] << 8 | id[1]);
    }
    return 0;
}

static void gtls_status(void *p, shim_conn *c) {
    gtls *g = p;
    shim_status *st = shim_st(c);
    if (!st->handshake_done) return;
    gnutls_protocol_t ver = gnutls_protocol_get_version(g->session);
    st->version = ver == GNUTLS_TLS1_3 ? SHIM_TLS13 : ver == GNUTLS_TLS1_2 ? SHIM_TLS12 : 0;
    st->cipher = cipher_iana(g->session, ver);
    const char *gname = gnutls_group_get_name(gnutls_group_get(g->session));
    if (gname) {
        char low[64];
        size_t i = 0;
        for (; gname[i] && i < sizeof low - 1; i++) low[i] = (char)tolower((unsigned char)gname[i]);
        low[i] = '\0';
        st->group = shim_group_id(low);
    }
    unsigned n_peers = 0;
    bool chain = gnutls_certificate_get_peers(g->session, &n_peers) != NULL && n_peers > 0;
    /* Either role: a chain verified. A client's verification is the
     * session's own (gnutls_session_set_verify_cert2); a server's is
     * verify_client, which fails the handshake on a chain it refuses, so
     * a chain kept is a chain verified (docs/shim-contract.md). Once
     * true it stays true for the connection: a renegotiation that fails
     * (RFC 5746) leaves GnuTLS without the peer's verified chain, yet the
     * first handshake did authenticate the peer, as the references say. */
    st->peer_authenticated =
        st->peer_authenticated ||
        (st->handshake_done && chain &&
         (g->role == SHIM_SERVER || gnutls_session_get_verify_cert_status(g->session) == 0));
}

/* RFC 5705 without a context (context NULL), as the other shims. */
static bool gtls_export(void *p, const char *label, uint8_t *out, size_t len) {
    gtls *g = p;
    return gnutls_prf_rfc5705(g->session, strlen(label), label, 0, NULL, len, (char *)out) == 0;
}

static const char *gtls_version(void) {
    static char v[64];
    snprintf(v, sizeof v, "GnuTLS %s", gnutls_check_version(NULL));
    return v;
}

static void gtls_destroy(void *p) {
    gtls *g = p;
    if (g == NULL) return;
    if (g->session) gnutls_deinit(g->session);
    if (g->prio) gnutls_priority_deinit(g->prio);
    if (g->cred) gnutls_certificate_free_credentials(g->cred);
    if (g->ticket_key.data) gnutls_free(g->ticket_key.data);
    if (g->anti_replay) gnutls_anti_replay_deinit(g->anti_replay);
    free(g);
    /* What this shim keeps process-wide goes too (shim_stack.resets): the
     * session cache, the 0-RTT record and the library-wide clock. */
    for (size_t i = 0; i < DB_SLOTS; i++) {
        db_free(&session_db.slot[i]);
        db_free(&replay_db.slot[i]);
    }
    session_db.next = replay_db.next = 0;
    fixed_time = 0;
    gnutls_global_set_time_function(time);
}

/* NEXT: a new gnutls_session_t; the ticket key and the session cache
 * stay. */
static bool gtls_next(void *p, shim_conn *c, char *err, size_t err_len) {
    gtls *g = p;
    g->c = c;
    return new_session(g, err, err_len);
}

/* SESSION: GnuTLS's packed session. In TLS 1.3 only a ticket makes it
 * resumable (without one GnuTLS hands out a placeholder that resumes
 * nothing), so none is given then. */
static size_t gtls_export_session(void *p, uint8_t *out, size_t cap) {
    gtls *g = p;
    if (gnutls_protocol_get_version(g->session) == GNUTLS_TLS1_3 &&
        !(gnutls_session_get_flags(g->session) & GNUTLS_SFLAGS_SESSION_TICKET))
        return 0;
    gnutls_datum_t d = {NULL, 0};
    if (gnutls_session_get_data2(g->session, &d) < 0) return 0;
    size_t n = d.size <= cap ? d.size : 0;
    if (n) memcpy(out, d.data, n);
    gnutls_free(d.data);
    return n;
}

/* CLOSE: our close_notify, the write side only; the peer's answer, if it
 * comes, is read by step() as usual. */
static void gtls_close(void *p, shim_conn *c) {
    gtls *g = p;
    if (gnutls_bye(g->session, GNUTLS_SHUT_WR) == 0) shim_st(c)->close_notify_sent = true;
}

const shim_stack shim_stack_gnutls = {
    .name = "gnutls",
    .version = gtls_version,
    .create = gtls_create,
    .step = gtls_step,
    .status = gtls_status,
    .destroy = gtls_destroy,
    .export_keying_material = gtls_export,
    .close = gtls_close,
    .next_connection = gtls_next,
    .export_session = gtls_export_session,
    .resets = true,
};
