/* step_under_test.c — the action a scenario tests; see step_under_test.h.
 *
 * The honest order is the one table every part of shakedown reads
 * (protocol/sequences.c). The walk keeps every shape of the scenario's
 * version that agrees with the messages so far, because some shapes are
 * chosen by content rather than announced (static RSA has no
 * ServerKeyExchange, an empty client Certificate has no CertificateVerify):
 * a message is in order if any shape still possible has it next. */
#include "trace/step_under_test.h"

#include <stdio.h>
#include <string.h>

#include "crypto/tls12.h"
#include "protocol/sequences.h"
#include "wire/names.h"

/* More than the table has (sequences.c); a shape past it is never a
 * candidate, which can only make more messages look out of order. */
#define MAX_SHAPES 64

typedef struct {
    bool alive[MAX_SHAPES]; /* the shapes the messages so far agree with */
    size_t pos;             /* how many steps of them have gone by */
    bool done;              /* a shape still possible has ended: the handshake is over */
} walk;

static size_t n_shapes(void) { return sd_n_shapes < MAX_SHAPES ? sd_n_shapes : MAX_SHAPES; }

/* Only the shapes the scenario's setup allows: shapes decided by content
 * that the trace does not show message by message. The first connection
 * resumes no session (a later one: walk_resumed12); a pinned TLS 1.2
 * suite decides the key exchange (static RSA has no ServerKeyExchange,
 * RFC 5246 §7.4.3); a TLS 1.2 ticket comes only from
 * a server that announced it (RFC 5077 §3.2): with the server under test,
 * one set up to issue tickets; with the driver as server, its ServerHello's
 * session_ticket extension, seen when it is sent. A TLS 1.2
 * CertificateStatus (RFC 6066 §8) comes only from a driver playing the
 * server with a response to staple (`staple:`), whose ServerHello then
 * echoes the status_request every client under test is set up to send
 * (sd_target_config.request_ocsp), and the shapes with and without it
 * stay possible (RFC 6066 §8: the server "MAY also choose not to send" it
 * after the echo). A server under test staples nothing, because the
 * driver's TLS 1.2 ClientHello asks for nothing. */
static void walk_init(walk *w, const sd_scenario *s, bool tls12) {
    memset(w, 0, sizeof *w);
    const sd_tls12_suite *suite = tls12 && s->cipher_suite ? sd_tls12_suite_find(s->cipher_suite) : NULL;
    bool stapling = s->role == SD_ROLE_CLIENT && s->staple[0];
    for (size_t i = 0; i < n_shapes(); i++) {
        unsigned f = sd_shapes[i].flags;
        bool ok = ((f & SD_SHAPE_TLS12) != 0) == tls12 && !(f & (SD_SHAPE_PSK | SD_SHAPE_RESUMED)) &&
                  (stapling || !(f & SD_SHAPE_OCSP));
        if (suite && ((f & SD_SHAPE_RSA_KX) != 0) != (suite->kx == SD_KX_RSA)) ok = false;
        if ((f & SD_SHAPE_TICKET) && s->role == SD_ROLE_SERVER && !s->session_tickets) ok = false;
        w->alive[i] = ok;
    }
}

/* Only the TLS 1.2 abbreviated handshakes (RFC 5246 §7.3 Figure 2; RFC
 * 5077 §3.1 Figure 2 with a new ticket, which the ServerHello announces). */
static void walk_resumed12(walk *w) {
    for (size_t i = 0; i < n_shapes(); i++) {
        unsigned f = sd_shapes[i].flags;
        w->alive[i] = (f & SD_SHAPE_TLS12) && (f & SD_SHAPE_RESUMED);
    }
}

/* Keeps only the shapes whose flags include (want) or exclude (!want)
 * `flag`: what a message's content decided. */
static void walk_keep(walk *w, unsigned flag, bool want) {
    for (size_t i = 0; i < n_shapes(); i++)
        if (((sd_shapes[i].flags & flag) != 0) != want) w->alive[i] = false;
}

static bool has_step(const sd_shape *s, size_t pos, sd_role from, uint16_t msg) {
    return pos < s->n_steps && s->steps[pos].from == from && s->steps[pos].msg == msg;
}

/* Moves the walk on by one message if some shape still possible has it
 * next; false (and nothing changes) if none has. */
static bool walk_step(walk *w, sd_role from, uint16_t msg) {
    bool any = false;
    for (size_t i = 0; i < n_shapes(); i++) any |= w->alive[i] && has_step(&sd_shapes[i], w->pos, from, msg);
    if (!any) return false;
    for (size_t i = 0; i < n_shapes(); i++)
        w->alive[i] = w->alive[i] && has_step(&sd_shapes[i], w->pos, from, msg);
    w->pos++;
    for (size_t i = 0; i < n_shapes(); i++) w->done |= w->alive[i] && sd_shapes[i].n_steps == w->pos;
    return true;
}

/* The fixture's credentials without a defect (corpus/pki/make_pki.c), for
 * the role that presents them: a server's leaf certifies the server name
 * for serverAuth, a client's for clientAuth. Any other is a defect under
 * test (expired, unknown-ca, wrong-key-usage, a server leaf shown by a
 * client, ...). */
static bool good_credential(const char *name, sd_role presenter) {
    static const char *const server[] = {"leaf", "leaf-rsa", "leaf-p384", "leaf-ed25519", "leaf-p521"};
    static const char *const client[] = {"client", "client-rsa", "client-ed25519", "client-p384",
                                         "client-p521"};
    const char *const *list = presenter == SD_ROLE_SERVER ? server : client;
    size_t n = presenter == SD_ROLE_SERVER ? sizeof server / sizeof *server : sizeof client / sizeof *client;
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, list[i]) == 0) return true;
    return false;
}

/* The mutations a family writes to set up an honest run rather than to
 * deviate (generate_common.c, gen_honest_extra; the key-update scenarios). */
static bool honest_mutation(const sd_action *a, const sd_mutation *m, bool tls12, sd_role driver) {
    switch (m->kind) {
    case SD_MUT_CERT:
        return (a->msg_type == SD_Certificate || a->msg_type == SD_CompressedCertificate ||
                a->msg_type == SD_CertificateVerify) &&
               good_credential(m->text, driver);
    case SD_MUT_ADD_EXT:
        /* RFC 5077 §3.2: a server announces a ticket with an empty
         * SessionTicket extension in its ServerHello. */
        return tls12 && driver == SD_ROLE_SERVER && a->msg_type == SD_ServerHello &&
               m->value == SD_session_ticket && m->bytes_len == 0;
    case SD_MUT_BODY:
        /* RFC 8446 §4.6.3: update_not_requested(0) or update_requested(1). */
        return !tls12 && a->msg_type == SD_KeyUpdate && m->bytes_len == 1 && m->bytes[0] <= 1;
    default:
        return false;
    }
}

static bool honest_mutations(const sd_action *a, bool tls12, sd_role driver) {
    size_t n = a->n_mutations < SD_MAX_MUTATIONS ? a->n_mutations : SD_MAX_MUTATIONS;
    for (size_t i = 0; i < n; i++)
        if (!honest_mutation(a, &a->mutations[i], tls12, driver)) return false;
    return true;
}

/* After the handshake an honest peer may still send these (RFC 8446 §4.6:
 * KeyUpdate either way, NewSessionTicket from the server; RFC 5246
 * §7.4.1.1: HelloRequest from the server, "at any time"). */
static bool honest_after_handshake(uint16_t msg, bool tls12, sd_role driver) {
    if (tls12) return msg == SD_HelloRequest && driver == SD_ROLE_SERVER;
    return msg == SD_KeyUpdate || (msg == SD_NewSessionTicket && driver == SD_ROLE_SERVER);
}

/* The OCSP response an honest server staples: the PKI's own for its
 * credential (ocsp-<credential>.der, corpus/pki/make_pki.c, as the model
 * and BoringSSL servers staple it). Any other is the defect under test. */
static bool honest_staple(const sd_scenario *s) {
    char own[sizeof s->credential + 8];
    snprintf(own, sizeof own, "ocsp-%s", s->credential);
    return strcmp(s->staple, own) == 0;
}

static bool has_mutation(const sd_action *a, sd_mutation_kind kind) {
    size_t n = a->n_mutations < SD_MAX_MUTATIONS ? a->n_mutations : SD_MAX_MUTATIONS;
    for (size_t i = 0; i < n; i++)
        if (a->mutations[i].kind == kind) return true;
    return false;
}

int sd_scenario_first_deviation(const sd_scenario *s) {
    const sd_trace *trace = &s->trace;
    sd_role target_role = s->role;
    bool tls12 = s->version == SD_TLS12;
    sd_role driver = target_role == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    /* A defective credential the driver presents as a server: its first
     * Certificate is the step under test. */
    bool bad_credential =
        driver == SD_ROLE_SERVER && s->credential[0] && !good_credential(s->credential, SD_ROLE_SERVER);
    /* A response the driver as server staples that is not the credential's
     * own: the message that carries it is the step under test. */
    bool bad_staple = driver == SD_ROLE_SERVER && s->staple[0] && !honest_staple(s);
    uint16_t staple_carrier = tls12 ? SD_CertificateStatus : SD_Certificate;
    /* RFC 8879: with `certificate-compression:` the target offers it, a
     * client in its ClientHello, a server with client authentication in
     * its CertificateRequest; the driver's CompressedCertificate is then
     * its Certificate, compressed (§4), and takes that step. */
    bool compression_offered = !tls12 && s->n_cert_compression > 0 &&
                               (driver == SD_ROLE_SERVER || s->client_auth != SD_CLIENT_AUTH_NONE);
    walk w;
    walk_init(&w, s, tls12);
    bool first_flight_sent = false, compat_ccs_sent = false, finished_sent = false;
    for (size_t i = 0; i < trace->n_actions; i++) {
        const sd_action *a = &trace->actions[i];
        int step = (int)i;
        switch (a->kind) {
        case SD_ACT_SEND: {
            uint16_t msg = a->msg_type <= 0xff ? sd_step_of_message((uint8_t)a->msg_type, compression_offered)
                                               : a->msg_type;
            if (!honest_mutations(a, tls12, driver)) return step;
            if (bad_credential && msg == SD_Certificate && !a->n_mutations) return step;
            if (bad_staple && msg == staple_carrier) return step;
            if (w.done) {
                if (!honest_after_handshake(a->msg_type, tls12, driver)) return step;
                break;
            }
            if (!walk_step(&w, driver, msg)) return step;
            /* Content that decides the shape: a client Certificate that is
             * not empty is followed by CertificateVerify (RFC 8446 §4.4.3,
             * RFC 5246 §7.4.8); a ServerHello without the session_ticket
             * extension announces no ticket. */
            if (driver == SD_ROLE_CLIENT && msg == SD_Certificate)
                walk_keep(&w, SD_SHAPE_NO_CLIENT_CERT, has_mutation(a, SD_MUT_EMPTY));
            if (tls12 && driver == SD_ROLE_SERVER && a->msg_type == SD_ServerHello)
                walk_keep(&w, SD_SHAPE_TICKET, has_mutation(a, SD_MUT_ADD_EXT));
            if (a->msg_type == SD_ClientHello || a->msg_type == SD_ServerHello ||
                a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST)
                first_flight_sent = true;
            if (a->msg_type == SD_Finished) finished_sent = true;
            break;
        }
        case SD_ACT_EXPECT:
            /* What the trace waits for moves the walk on; a wait the tables
             * do not foresee is the trace's business, not a deviation of
             * the driver's. */
            if (!w.done) (void)walk_step(&w, target_role, a->msg_type);
            break;
        case SD_ACT_EXPECT_CCS:
            if (tls12 && !w.done) (void)walk_step(&w, target_role, SD_MSG_CHANGE_CIPHER_SPEC);
            break;
        case SD_ACT_SEND_CCS:
            /* Keys from an empty master secret are no honest peer's. */
            if (a->encrypted || a->force_plaintext || a->empty_master) return step;
            if (tls12) {
                if (w.done || !walk_step(&w, driver, SD_MSG_CHANGE_CIPHER_SPEC)) return step;
                break;
            }
            /* RFC 8446 §D.4: one compatibility CCS, after the sender's first
             * flight began and before its Finished (§5: a receiver drops
             * it only in that window). */
            if (w.done || !first_flight_sent || finished_sent || compat_ccs_sent) return step;
            compat_ccs_sent = true;
            break;
        case SD_ACT_SEND_ALERT:
            /* RFC 8446 §6.1, RFC 5246 §7.2.1: close_notify ends a connection
             * that is done; any other alert, or one mid-handshake, is what
             * the scenario tests. */
            if (!w.done || a->alert != SD_close_notify || a->alert_level != SD_ALERT_LEVEL_WARNING ||
                a->encrypted || a->force_plaintext)
                return step;
            break;
        case SD_ACT_SEND_APPDATA:
            /* Record-level mutations (a flipped tag, wrong padding) are
             * the deviation; so is any before the handshake is done. */
            if (!w.done || a->encrypted || a->force_plaintext || a->n_mutations) return step;
            break;
        case SD_ACT_SEND_RAW:
        case SD_ACT_RENEGOTIATE:
            return step;
        case SD_ACT_EXPECT_APPDATA:
        case SD_ACT_EXPECT_CLOSE:
            break;
        case SD_ACT_CONNECTION:
            /* A new connection starts a new handshake: an honest peer
             * plays one of the shapes again (its resumption offer is
             * honest too, RFC 8446 §4.2.11). In TLS 1.2 the driver as
             * server resumes the session the client under test offers
             * (driver_messages.c, build_server_hello12): its honest
             * connection is the abbreviated handshake of RFC 5246 §7.3
             * Figure 2, and a full one after a ServerHello is the
             * deviation. */
            walk_init(&w, s, tls12);
            if (tls12 && driver == SD_ROLE_SERVER) walk_resumed12(&w);
            first_flight_sent = compat_ccs_sent = finished_sent = false;
            break;
        }
    }
    return SD_STEP_WHOLE_RUN;
}

static bool sends(const sd_action *a) {
    switch (a->kind) {
    case SD_ACT_SEND:
    case SD_ACT_SEND_ALERT:
    case SD_ACT_SEND_CCS:
    case SD_ACT_SEND_APPDATA:
    case SD_ACT_SEND_RAW:
    case SD_ACT_RENEGOTIATE:
        return true;
    case SD_ACT_EXPECT:
    case SD_ACT_EXPECT_APPDATA:
    case SD_ACT_EXPECT_CLOSE:
    case SD_ACT_EXPECT_CCS:
    case SD_ACT_CONNECTION:
        return false;
    }
    return false;
}

int sd_scenario_step_under_test(const sd_scenario *s) {
    if (s->expect == SD_EXPECT_COMPLETE) return SD_STEP_WHOLE_RUN;
    int step = sd_scenario_first_deviation(s);
    if (step != SD_STEP_WHOLE_RUN) return step;
    /* Every action is honest: the refusal the scenario expects answers the
     * last thing the driver sends. */
    for (size_t i = s->trace.n_actions; i > 0; i--)
        if (sends(&s->trace.actions[i - 1])) return (int)(i - 1);
    return SD_STEP_WHOLE_RUN;
}
