/* generate_common.c — the script builder and the honest handshake the
 * generated families share; see generate_family.h. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "trace/generate_family.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/names.h"

const uint8_t gen_all_types[] = {
#define SD_TYPE_ENTRY(name, value) value,
    SD_HANDSHAKE_TYPES(SD_TYPE_ENTRY)
#undef SD_TYPE_ENTRY
};
const size_t gen_n_all_types = sizeof(gen_all_types);

const char gen_note_decrypts_everything[] =
    "BoringSSL answers bad_record_mac (SOFT): once keys are in use, tls_open_record in ssl/tls_record.cc "
    "exempts only the one-byte plaintext ChangeCipherSpec 01 from decryption, so any other record "
    "that is not protected fails to decrypt (RFC 8446 §5.2: a record that fails to deprotect is "
    "bad_record_mac). It does refuse.";

const char gen_note_no_inner_type[] =
    "BoringSSL answers decrypt_error (SOFT): tls_open_record in ssl/tls_record.cc strips zero padding "
    "and, finding no content type, fails with SSL_AD_DECRYPT_ERROR. It does refuse.";

/* --- The honest handshake ----------------------------------------------------- */

/* The driver's client certificate when the server under test asks for one. */
#define CLIENT_CREDENTIAL "client"

honest gen_honest(const gen_version *v, const gen_profile *p, sd_role target) {
    honest h = {.v = v, .p = p, .target = target, .post_handshake = true};
    h.driver = target == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    if (!p) {
        h.shape = sd_shape_with_flags(v->shape_flags);
        return h;
    }
    unsigned flags = target == SD_ROLE_SERVER ? p->server_flags : p->client_flags;
    if (p->resumes) {
        /* Connection 2's shape is the generator's own statement of it;
         * connection 1's, an honest full handshake, the table's. */
        h.first = flags ? sd_shape_with_flags(p->first_flags) : NULL;
        h.shape = h.first ? gen_resumed_shape(flags) : NULL;
        /* Cases start after connection 2's ClientHello: before it the
         * server under test is where every connection starts, which the
         * one-connection runs cover (and from 0, gen_put_steps would play
         * connection 1 again after the deviation). */
        h.from = 1;
        return h;
    }
    h.shape = flags ? sd_shape_with_flags(flags) : NULL;
    if (h.shape && p->from_retry) {
        h.post_handshake = false;
        h.from = gen_after_retry(h.shape);
    }
    return h;
}

size_t gen_after_retry(const sd_shape *shape) {
    size_t from = 0;
    for (size_t i = 0; i < shape->n_steps; i++)
        if (shape->steps[i].msg == SD_MSG_HELLO_RETRY_REQUEST) from = i + 1;
    return from;
}

size_t gen_first_driver_place(const honest *h) {
    size_t pos = h->from;
    while (pos < h->shape->n_steps && h->shape->steps[pos].from != h->driver) pos++;
    return pos;
}

bool gen_protected(const honest *h, size_t pos) {
    const sd_shape *s = h->shape;
    for (size_t i = 0; i < pos && i < s->n_steps; i++) {
        /* After its own ChangeCipherSpec (RFC 5246 §7.1); after the
         * ServerHello, whoever sent it (RFC 8446 §2). */
        if (h->v->ccs_is_step ? s->steps[i].from == h->driver && s->steps[i].msg == SD_MSG_CHANGE_CIPHER_SPEC
                              : s->steps[i].msg == SD_ServerHello)
            return true;
    }
    return false;
}

bool gen_version_agreed(const honest *h, size_t pos) {
    /* RFC 8446 §4.1.4: a HelloRetryRequest selects the version as a
     * ServerHello does ("The value of selected_version in the
     * HelloRetryRequest "supported_versions" extension MUST be retained in
     * the ServerHello"). */
    for (size_t i = 0; i < pos && i < h->shape->n_steps; i++)
        if (h->shape->steps[i].msg == SD_ServerHello || h->shape->steps[i].msg == SD_MSG_HELLO_RETRY_REQUEST)
            return true;
    return false;
}

static bool same_prefix(const sd_shape *a, const sd_shape *b, size_t pos) {
    for (size_t i = 0; i < pos; i++)
        if (a->steps[i].from != b->steps[i].from || a->steps[i].msg != b->steps[i].msg) return false;
    return true;
}

/* A shape that a message announces (CertificateRequest: client
 * authentication; HelloRetryRequest) is only entered when that message
 * comes, so before it the shape without it also applies: a server may
 * leave CertificateRequest out, or answer with a ServerHello where a
 * HelloRetryRequest could come. The tables have no shape with both a
 * ticket and client authentication, so up to the ticket the shape without
 * the ticket applies too: a server that announced a ticket may still ask
 * for a certificate. */
bool gen_accepted(const honest *h, size_t pos, uint16_t type) {
    /* Connection 2 of a resumption case: RFC 8446 §2.2 Figure 3 and RFC
     * 5246 §7.3 Figure 2 have no optional step and no message that
     * announces another shape once the ServerHello resumed, so the one
     * message that may come is the next step. (Before it, a TLS 1.3
     * server could still send a HelloRetryRequest, which is no handshake
     * type the order family sends.) */
    if (h->first)
        return pos < h->shape->n_steps && h->shape->steps[pos].from == h->driver &&
               h->shape->steps[pos].msg == type;
    if (sd_shape_accept(h->shape, pos, h->driver, type)) return true;
    const sd_shape *s = h->shape;
    static const unsigned announced[] = {SD_SHAPE_CLIENT_AUTH | SD_SHAPE_NO_CLIENT_CERT, SD_SHAPE_HRR};
    for (size_t i = 0; i < sizeof announced / sizeof announced[0]; i++) {
        if (!(s->flags & announced[i])) continue;
        const sd_shape *base = sd_shape_with_flags(s->flags & ~announced[i]);
        if (base && same_prefix(base, s, pos) && sd_shape_accept(base, pos, h->driver, type)) return true;
    }
    if (s->flags & SD_SHAPE_TICKET) {
        const sd_shape *base = sd_shape_with_flags(s->flags & ~(unsigned)SD_SHAPE_TICKET);
        if (base && pos < base->n_steps && same_prefix(base, s, pos + 1) &&
            sd_shape_accept(base, pos, h->driver, type))
            return true;
    }
    return false;
}

const char *gen_honest_extra(const honest *h, uint16_t msg) {
    if (h->driver == SD_ROLE_CLIENT && (msg == SD_Certificate || msg == SD_CertificateVerify))
        return h->p && h->p->client_cert_mutation ? h->p->client_cert_mutation : " cert=" CLIENT_CREDENTIAL;
    /* RFC 5077 §3.2: the server announces a ticket with an empty
     * SessionTicket extension in its ServerHello. */
    if (h->driver == SD_ROLE_SERVER && msg == SD_ServerHello && (h->shape->flags & SD_SHAPE_TICKET))
        return " add-ext=session_ticket";
    return "";
}

/* --- Names ---------------------------------------------------------------------- */

const char *gen_kebab(uint16_t msg, char *buf, size_t len) {
    if (msg == SD_MSG_CHANGE_CIPHER_SPEC) {
        snprintf(buf, len, "change-cipher-spec");
        return buf;
    }
    const char *name = msg == SD_MSG_HELLO_RETRY_REQUEST ? "HelloRetryRequest" : sd_handshake_type_name(msg);
    if (!name) {
        snprintf(buf, len, "type-%u", msg);
        return buf;
    }
    size_t o = 0;
    for (size_t i = 0; name[i] && o + 2 < len; i++) {
        char c = name[i];
        if (isupper((unsigned char)c)) {
            if (i > 0) buf[o++] = '-';
            buf[o++] = (char)tolower((unsigned char)c);
        } else {
            buf[o++] = c;
        }
    }
    buf[o] = '\0';
    return buf;
}

/* Whether the sender of step pos sent the same message earlier in the
 * shape: the ClientHello that answers a HelloRetryRequest. */
static bool sent_before(const honest *h, size_t pos) {
    const sd_step *st = &h->shape->steps[pos];
    for (size_t i = 0; i < pos; i++)
        if (h->shape->steps[i].from == st->from && h->shape->steps[i].msg == st->msg) return true;
    return false;
}

const char *gen_step_kebab(const honest *h, size_t pos, char *buf, size_t len) {
    char k[40];
    gen_kebab(h->shape->steps[pos].msg, k, sizeof k);
    snprintf(buf, len, "%s%s", sent_before(h, pos) ? "second-" : "", k);
    return buf;
}

const char *gen_step_title(const honest *h, size_t pos, char *buf, size_t len) {
    snprintf(buf, len, "%s%s", sent_before(h, pos) ? "the second " : "",
             sd_step_name(h->shape->steps[pos].msg));
    return buf;
}

const char *gen_type_word(unsigned type, char *buf, size_t len) {
    const char *name = sd_handshake_type_name(type);
    if (name) return name;
    snprintf(buf, len, "%u", type);
    return buf;
}

const char *gen_who(const honest *h) { return h->target == SD_ROLE_CLIENT ? "Client" : "Server"; }

/* --- Script text ------------------------------------------------------------------ */

void gen_put(gen *g, const char *s) { sd_buf_append(&g->text, s, strlen(s)); }

void gen_fail(gen *g, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, g->err_len, fmt, ap);
    va_end(ap);
    g->ok = false;
}

void gen_put_step(gen *g, const sd_step *st, sd_role driver, const char *extra) {
    bool ours = st->from == driver;
    if (st->msg == SD_MSG_CHANGE_CIPHER_SPEC) {
        gen_put(g, ours ? "send-ccs\n" : "expect-ccs\n");
        return;
    }
    /* sd_step_name: a HelloRetryRequest is a message of its own in scripts. */
    sd_buf_appendf(&g->text, "%s %s%s\n", ours ? "send" : "expect", sd_step_name(st->msg),
                   ours && extra ? extra : "");
}

void gen_put_first_connection(gen *g, const honest *h) {
    honest first = *h;
    first.shape = h->first;
    first.first = NULL;
    gen_put_steps(g, &first, 0, first.shape->n_steps);
    /* RFC 8446 §4.6.1: the server issues the ticket connection 2 offers
     * after the handshake. A TLS 1.2 server names its session in the
     * ServerHello (RFC 5246 §7.4.1.3), which the driver keeps. */
    if (!h->v->ccs_is_step)
        gen_put(g, h->target == SD_ROLE_SERVER ? "expect NewSessionTicket\n" : "send NewSessionTicket\n");
    gen_put(g, "connection\n");
}

void gen_put_steps(gen *g, const honest *h, size_t from, size_t to) {
    if (h->first && from == 0) gen_put_first_connection(g, h);
    for (size_t i = from; i < to && i < h->shape->n_steps; i++) {
        const sd_step *st = &h->shape->steps[i];
        /* A TLS 1.3 server under test must resume: its ServerHello selects
         * the one identity offered (RFC 8446 §4.2.11), or the case would
         * test a full handshake. (A TLS 1.2 server that does not resume
         * sends its Certificate where the trace expects its
         * ChangeCipherSpec.) */
        if (h->first && st->from != h->driver && st->msg == SD_ServerHello && !h->v->ccs_is_step) {
            gen_put(g, "expect ServerHello psk=0\n");
            continue;
        }
        /* RFC 8446 §2.3 Figure 4: the ClientHello that offers 0-RTT, then
         * the early data under client_early_traffic_secret. The driver's
         * server reads the client's right after its ClientHello
         * (docs/script-format.md, "0-RTT"). */
        if (h->first && st->msg == SD_ClientHello && (h->shape->flags & SD_SHAPE_EARLY_DATA)) {
            gen_put(g, st->from == h->driver ? "send ClientHello early-data\nsend-appdata \"" GEN_EARLY_TEXT
                                               "\"\n"
                                             : "expect ClientHello\nexpect-appdata hex=" GEN_EARLY_HEX "\n");
            continue;
        }
        gen_put_step(g, st, h->driver, gen_honest_extra(h, st->msg));
    }
}

void gen_put_ping(gen *g) { gen_put(g, "send-appdata \"ping\"\nexpect-appdata \"ping\"\n"); }

void gen_put_header(gen *g, const gen_version *v, const char *id, const char *title, const char *rfc,
                    sd_role role, const char *tags, const char *expect) {
    sd_buf_reset(&g->text);
    sd_buf_appendf(&g->text, "id: %s\n", id);
    sd_buf_appendf(&g->text, "title: %s\n", title);
    sd_buf_appendf(&g->text, "rfc: %s\n", rfc);
    sd_buf_appendf(&g->text, "role: %s\n", role == SD_ROLE_CLIENT ? "client" : "server");
    sd_buf_appendf(&g->text, "version: %s\n", v->number);
    sd_buf_appendf(&g->text, "tags: %s\n", tags);
    sd_buf_appendf(&g->text, "expect: %s\n", expect);
}

void gen_begin(gen *g, const char *family, const honest *h, const char *detail, const char *title,
               requirement r, const char *expect, const char *note, const char *tags) {
    const gen_version *v = h->v;
    const char *rfc = v->citations[r];
    if (!rfc) {
        /* A family asked for a requirement its version does not state. */
        if (g->ok)
            gen_fail(g, "generate: %s has no citation for requirement %d (%s)", v->name, (int)r, family);
        rfc = "";
    }
    const char *role = h->target == SD_ROLE_CLIENT ? "client" : "server";
    char id[256], full_title[400], all_tags[160];
    /* In TLS 1.2 gen-alert runs over one profile and no base run
     * (generate.c), so its ids leave the profile out: they are long enough
     * already. Where there is a base run (TLS 1.3), or in a resumption
     * case, the profile tells the ids apart. */
    if (h->p && (strcmp(family, "gen-alert") != 0 || h->v->base_run || h->first))
        snprintf(id, sizeof id, "%s.%s.%s.%s.%s", v->name, role, family, h->p->name, detail);
    else
        snprintf(id, sizeof id, "%s.%s.%s.%s", v->name, role, family, detail);
    if (h->p)
        snprintf(full_title, sizeof full_title, "%s (%s)", title, h->p->name);
    else
        snprintf(full_title, sizeof full_title, "%s", title);
    bool early = h->shape && (h->shape->flags & SD_SHAPE_EARLY_DATA);
    const char *profile_tag = h->p && h->p->tag ? h->p->tag : NULL;
    snprintf(all_tags, sizeof all_tags, "generated, %s, %s, %s%s%s%s%s%s%s", family, role, v->name,
             h->first ? (v->ccs_is_step ? ", resumption, session" : ", resumption, psk") : "",
             early ? ", early-data, 0-rtt" : "", profile_tag ? ", " : "", profile_tag ? profile_tag : "",
             tags && *tags ? ", " : "", tags ? tags : "");
    gen_put_header(g, v, id, full_title, rfc, h->target, all_tags, expect);
    if (h->p) {
        if (h->p->credential) sd_buf_appendf(&g->text, "credential: %s\n", h->p->credential);
        if (h->p->suite) sd_buf_appendf(&g->text, "cipher-suite: %s\n", h->p->suite);
        if (h->p->client_auth) gen_put(g, "client-auth: require\n");
        if (h->p->client_auth && h->p->client_credential && h->target == SD_ROLE_CLIENT)
            sd_buf_appendf(&g->text, "client-credential: %s\n", h->p->client_credential);
        /* A ticket in either connection (RFC 5077 §3.2): a server under
         * test issues it, a client under test asks for it. */
        if ((h->shape->flags | (h->first ? h->first->flags : 0)) & SD_SHAPE_TICKET)
            gen_put(g, "session-tickets: issue\n");
        /* A TLS 1.3 server under test issues the ticket connection 2
         * resumes. */
        if (h->first && !h->v->ccs_is_step && h->target == SD_ROLE_SERVER)
            gen_put(g, "session-tickets: issue\n");
        if (h->p->server_groups && h->target == SD_ROLE_SERVER)
            sd_buf_appendf(&g->text, "groups: %s\n", h->p->server_groups);
        if (h->p->client_groups && h->target == SD_ROLE_CLIENT)
            sd_buf_appendf(&g->text, "groups: %s\n", h->p->client_groups);
        /* 0-RTT: tickets that allow it, and a client that sends it. */
        if (early) gen_put(g, "early-data: on\n");
    }
    /* A profile BoringSSL cannot play (a DHE suite, an X448 or FFDHE
     * group) says why it SKIPs, before the case's own note when both fit in
     * the header's 399 bytes. */
    const char *why_skipped = NULL;
    const char *groups =
        h->p ? (h->target == SD_ROLE_SERVER ? h->p->server_groups : h->p->client_groups) : NULL;
    if (h->p && h->p->suite && strstr(h->p->suite, "_DHE_"))
        why_skipped = "BoringSSL has no finite-field DHE suites (RFC 5246 §7.4.3): it SKIPs this profile.";
    else if (groups && strstr(groups, "x448"))
        why_skipped = "BoringSSL has no X448 (RFC 8446 §4.2.7): it SKIPs this profile.";
    else if (groups && strstr(groups, "ffdhe"))
        why_skipped =
            "BoringSSL has no finite-field (FFDHE) groups (RFC 8446 §4.2.7): it SKIPs this profile.";
    char with_why[400];
    size_t why_len = why_skipped ? strlen(why_skipped) : 0, note_len = note ? strlen(note) : 0;
    if (why_skipped && note_len == 0) {
        note = why_skipped;
    } else if (why_skipped && why_len + 1 + note_len < sizeof with_why) {
        memcpy(with_why, why_skipped, why_len);
        with_why[why_len] = ' ';
        memcpy(with_why + why_len + 1, note, note_len + 1);
        note = with_why;
    }
    if (note && *note) sd_buf_appendf(&g->text, "note: %s\n", note);
    gen_put(g, "\n");
}

void gen_finish(gen *g, const char *family) {
    if (!g->ok) return;
    if (g->text.failed) {
        gen_fail(g, "generate: out of memory");
        return;
    }
    sd_generated *out = g->out;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        sd_scenario *items = realloc(out->items, cap * sizeof(*items));
        if (!items) {
            gen_fail(g, "generate: out of memory");
            return;
        }
        out->items = items;
        out->cap = cap;
    }
    char path[64];
    snprintf(path, sizeof(path), "generated:%s", family);
    sd_scenario *s = &out->items[out->n];
    if (!sd_scenario_parse(path, (const char *)g->text.data, g->text.len, s, g->err, g->err_len)) {
        /* A generated script that does not parse is a bug here: say which. */
        size_t n = strlen(g->err);
        snprintf(g->err + n, g->err_len - n, " (generated script:\n%.*s)", (int)g->text.len,
                 (const char *)g->text.data);
        g->ok = false;
        return;
    }
    snprintf(s->path, sizeof(s->path), "%s", path);
    out->n++;
}
