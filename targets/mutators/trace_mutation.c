/* trace_mutation.c — the trace mutation engine; see trace_mutation.h. */
#include "trace_mutation.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace/binary.h"
#include "trace/trace.h"
#include "wire/names.h"

typedef struct {
    uint64_t s;
} rng;

static uint32_t next(rng *r) {
    /* xorshift64*: small, and the same sequence on every platform. */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint32_t below(rng *r, uint32_t n) { return n ? next(r) % n : 0; }

/* The messages a TLS 1.3 handshake is made of, most likely first. */
static const uint8_t handshake_types[] = {
    SD_ClientHello, SD_ServerHello,        SD_EncryptedExtensions, SD_Certificate,     SD_CertificateVerify,
    SD_Finished,    SD_CertificateRequest, SD_NewSessionTicket,    SD_KeyUpdate,       SD_EndOfEarlyData,
    SD_MessageHash, SD_HelloRequest,       SD_ServerKeyExchange,   SD_ServerHelloDone, SD_ClientKeyExchange,
};

/* Credential names of the fixture PKI (corpus/pki/make_pki.c). */
static const char *const credentials[] = {"leaf",       "expired",       "not-yet-valid", "unknown-ca",
                                          "wrong-name", "bad-signature", "client"};

static uint8_t some_type(rng *r) {
    if (below(r, 16) == 0) return (uint8_t)next(r);
    return handshake_types[below(r, sizeof handshake_types)];
}

/* A message for send and expect: now and then the pseudo message
 * HelloRetryRequest (SD_MSG_TYPE_HELLO_RETRY_REQUEST; RFC 8446 §4.1.4:
 * send asks the client for another share, expect takes only an HRR), else
 * a real type. Type mutations (SD_MUT_TYPE) take real types only. */
static uint16_t some_message(rng *r) {
    if (below(r, 12) == 0) return SD_MSG_TYPE_HELLO_RETRY_REQUEST;
    return some_type(r);
}

static uint8_t some_alert(rng *r) {
    static const uint8_t common[] = {SD_close_notify,      SD_unexpected_message, SD_bad_record_mac,
                                     SD_handshake_failure, SD_bad_certificate,    SD_illegal_parameter,
                                     SD_decode_error,      SD_decrypt_error,      SD_user_canceled,
                                     SD_internal_error,    SD_missing_extension,  SD_certificate_required};
    if (below(r, 8) == 0) return (uint8_t)next(r);
    return common[below(r, sizeof common)];
}

static uint8_t *random_bytes(rng *r, size_t n) {
    if (n == 0) return NULL;
    uint8_t *b = malloc(n);
    if (b)
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)next(r);
    return b;
}

/* Byte edits of an owned buffer: flip, set, insert, erase. */
static void edit_bytes(rng *r, uint8_t **bytes, size_t *len) {
    switch (below(r, 4)) {
    case 0:
        if (*len) (*bytes)[below(r, (uint32_t)*len)] ^= (uint8_t)(1u << below(r, 8));
        return;
    case 1:
        if (*len) (*bytes)[below(r, (uint32_t)*len)] = (uint8_t)next(r);
        return;
    case 2: {
        if (*len >= 4096) return;
        uint8_t *g = realloc(*bytes, *len + 1);
        if (!g) return;
        size_t at = below(r, (uint32_t)*len + 1);
        memmove(g + at + 1, g + at, *len - at);
        g[at] = (uint8_t)next(r);
        *bytes = g;
        (*len)++;
        return;
    }
    default:
        if (*len) {
            size_t at = below(r, (uint32_t)*len);
            memmove(*bytes + at, *bytes + at + 1, *len - at - 1);
            (*len)--;
        }
        return;
    }
}

/* A random mutation of any kind, with an argument of its shape (values the
 * driver's messages make interesting, now and then any). */
static void random_mutation(rng *r, sd_mutation *m) {
    memset(m, 0, sizeof *m);
    m->kind = (sd_mutation_kind)below(r, SD_MUT_COUNT);
    switch (sd_mutation_info_of(m->kind)->arg) {
    case SD_MUT_ARG_NONE:
        break;
    case SD_MUT_ARG_BYTES:
        m->bytes_len = below(r, 8);
        m->bytes = random_bytes(r, m->bytes_len);
        if (!m->bytes) m->bytes_len = 0;
        break;
    case SD_MUT_ARG_FLIP:
        switch (below(r, 4)) {
        case 0:
            m->offset = 0;
            break;
        case 1:
            m->offset = -1 - (long)below(r, 4);
            break;
        case 2:
            m->offset = SD_OFFSET_MIDDLE;
            break;
        default:
            m->offset = (long)below(r, 256);
            break;
        }
        m->value = 1 + below(r, 255);
        break;
    case SD_MUT_ARG_U24:
        /* length= now and then claims the largest length there is. */
        if (m->kind == SD_MUT_LENGTH)
            m->value = below(r, 4) == 0 ? 0xffffff : below(r, 512);
        else
            m->value = 1 + below(r, 8);
        break;
    case SD_MUT_ARG_HANDSHAKE_TYPE:
        m->value = some_type(r);
        break;
    case SD_MUT_ARG_SPLIT:
        m->value = 1 + below(r, 64);
        break;
    case SD_MUT_ARG_CREDENTIAL: {
        const char *c = credentials[below(r, sizeof credentials / sizeof credentials[0])];
        memcpy(m->text, c, strlen(c) + 1);
        break;
    }
    case SD_MUT_ARG_EXTENSION_BYTES:
        m->bytes_len = below(r, 8);
        m->bytes = random_bytes(r, m->bytes_len);
        if (!m->bytes) m->bytes_len = 0;
        /* fall through */
    case SD_MUT_ARG_EXTENSION: {
        /* Extensions the driver's messages carry, and one nobody knows. */
        static const uint16_t exts[] = {0, 10, 13, 16, 23, 43, 45, 51, 65281, 0xfde8};
        m->value = exts[below(r, sizeof exts / sizeof exts[0])];
        break;
    }
    /* The one u16 is record-version: the versions of SSL 3.0 to TLS 1.3. */
    case SD_MUT_ARG_U16:
        m->value = 0x0300 + below(r, 5);
        break;
    }
}

static void free_action(sd_action *a) {
    free(a->bytes);
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS; i++) free(a->mutations[i].bytes);
}

static void random_action(rng *r, sd_action *a) {
    memset(a, 0, sizeof *a);
    /* expect-ccs: in TLS 1.2 the ChangeCipherSpec is a step of the
     * handshake (RFC 5246 §7.1), in TLS 1.3 an optional record the driver
     * otherwise skips (RFC 8446 §D.4). */
    static const sd_action_kind kinds[] = {SD_ACT_SEND,         SD_ACT_SEND,         SD_ACT_EXPECT,
                                           SD_ACT_EXPECT,       SD_ACT_SEND_ALERT,   SD_ACT_SEND_CCS,
                                           SD_ACT_SEND_RAW,     SD_ACT_SEND_APPDATA, SD_ACT_EXPECT_APPDATA,
                                           SD_ACT_EXPECT_CLOSE, SD_ACT_EXPECT_CCS};
    a->kind = kinds[below(r, sizeof kinds / sizeof kinds[0])];
    switch (a->kind) {
    case SD_ACT_SEND:
    case SD_ACT_EXPECT:
        a->msg_type = some_message(r);
        break;
    case SD_ACT_SEND_ALERT:
        a->alert_level = below(r, 4) == 0 ? SD_ALERT_LEVEL_WARNING : SD_ALERT_LEVEL_FATAL;
        a->alert = some_alert(r);
        break;
    case SD_ACT_SEND_RAW:
        a->content_type = (uint8_t)(SD_change_cipher_spec + below(r, 5));
        a->encrypted = below(r, 2);
        a->bytes_len = below(r, 8);
        a->bytes = random_bytes(r, a->bytes_len);
        if (!a->bytes) a->bytes_len = 0;
        break;
    case SD_ACT_SEND_APPDATA:
    case SD_ACT_EXPECT_APPDATA:
        a->bytes_len = below(r, 8);
        a->bytes = random_bytes(r, a->bytes_len);
        if (!a->bytes) a->bytes_len = 0;
        break;
    default:
        break;
    }
}

/* Deep copy of an action (its bytes and its mutations' bytes). */
static bool copy_action(const sd_action *from, sd_action *to) {
    *to = *from;
    to->bytes = NULL;
    for (size_t i = 0; i < SD_MAX_MUTATIONS; i++) to->mutations[i].bytes = NULL;
    if (from->bytes_len) {
        to->bytes = malloc(from->bytes_len);
        if (!to->bytes) return false;
        memcpy(to->bytes, from->bytes, from->bytes_len);
    }
    for (size_t i = 0; i < from->n_mutations && i < SD_MAX_MUTATIONS; i++) {
        const sd_mutation *m = &from->mutations[i];
        if (m->bytes_len) {
            to->mutations[i].bytes = malloc(m->bytes_len);
            if (!to->mutations[i].bytes) {
                to->n_mutations = i;
                free_action(to);
                return false;
            }
            memcpy(to->mutations[i].bytes, m->bytes, m->bytes_len);
        }
    }
    return true;
}

/* Opens a zeroed slot at index `at` (sd_trace_add appends; move it). */
static sd_action *insert_at(sd_trace *t, size_t at) {
    if (!sd_trace_add(t, SD_ACT_EXPECT_CLOSE)) return NULL;
    sd_action tmp = t->actions[t->n_actions - 1];
    memmove(&t->actions[at + 1], &t->actions[at], (t->n_actions - 1 - at) * sizeof(sd_action));
    t->actions[at] = tmp;
    return &t->actions[at];
}

static void remove_at(sd_trace *t, size_t at) {
    free_action(&t->actions[at]);
    memmove(&t->actions[at], &t->actions[at + 1], (t->n_actions - at - 1) * sizeof(sd_action));
    t->n_actions--;
}

/* An honest handshake with the stack as the server: where a fuzzer starts
 * when its input is not a trace. */
static void honest_trace(sd_trace *t) {
    static const struct {
        sd_action_kind kind;
        uint8_t type;
    } steps[] = {{SD_ACT_SEND, SD_ClientHello},
                 {SD_ACT_EXPECT, SD_ServerHello},
                 {SD_ACT_EXPECT, SD_EncryptedExtensions},
                 {SD_ACT_EXPECT, SD_Certificate},
                 {SD_ACT_EXPECT, SD_CertificateVerify},
                 {SD_ACT_EXPECT, SD_Finished},
                 {SD_ACT_SEND, SD_Finished}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sd_action *a = sd_trace_add(t, steps[i].kind);
        if (a) a->msg_type = steps[i].type;
    }
}

static sd_action *pick_send(rng *r, sd_trace *t) {
    size_t n = 0;
    for (size_t i = 0; i < t->n_actions; i++) n += t->actions[i].kind == SD_ACT_SEND;
    if (!n) return NULL;
    size_t k = below(r, (uint32_t)n);
    for (size_t i = 0; i < t->n_actions; i++)
        if (t->actions[i].kind == SD_ACT_SEND && k-- == 0) return &t->actions[i];
    return NULL;
}

/* One change. Returns false if it did not apply (the caller tries another). */
static bool mutate_once(rng *r, sd_trace *t) {
    size_t n = t->n_actions;
    switch (below(r, 10)) {
    case 0: { /* insert a new action */
        if (n >= 64) return false;
        sd_action *a = insert_at(t, below(r, (uint32_t)n + 1));
        if (!a) return false;
        random_action(r, a);
        return true;
    }
    case 1: /* drop an action */
        if (!n) return false;
        remove_at(t, below(r, (uint32_t)n));
        return true;
    case 2: { /* duplicate an action */
        if (!n || n >= 64) return false;
        size_t from = below(r, (uint32_t)n);
        sd_action copy;
        if (!copy_action(&t->actions[from], &copy)) return false;
        sd_action *a = insert_at(t, below(r, (uint32_t)n + 1));
        if (!a) {
            free_action(&copy);
            return false;
        }
        *a = copy;
        return true;
    }
    case 3: { /* swap two actions */
        if (n < 2) return false;
        size_t i = below(r, (uint32_t)n), j = below(r, (uint32_t)n);
        if (i == j) return false;
        sd_action tmp = t->actions[i];
        t->actions[i] = t->actions[j];
        t->actions[j] = tmp;
        return true;
    }
    case 4:
    case 5: { /* add a mutation to a send */
        sd_action *a = pick_send(r, t);
        if (!a || a->n_mutations >= SD_MAX_MUTATIONS) return false;
        random_mutation(r, &a->mutations[a->n_mutations++]);
        return true;
    }
    case 6: { /* drop a mutation */
        sd_action *a = pick_send(r, t);
        if (!a || !a->n_mutations) return false;
        size_t k = below(r, (uint32_t)a->n_mutations);
        free(a->mutations[k].bytes);
        memmove(&a->mutations[k], &a->mutations[k + 1], (a->n_mutations - k - 1) * sizeof(sd_mutation));
        a->n_mutations--;
        return true;
    }
    case 7: { /* change a mutation's value */
        sd_action *a = pick_send(r, t);
        if (!a || !a->n_mutations) return false;
        sd_mutation *m = &a->mutations[below(r, (uint32_t)a->n_mutations)];
        switch (sd_mutation_info_of(m->kind)->arg) {
        case SD_MUT_ARG_BYTES:
            edit_bytes(r, &m->bytes, &m->bytes_len);
            return true;
        case SD_MUT_ARG_FLIP:
            if (below(r, 2))
                m->offset = m->offset == SD_OFFSET_MIDDLE ? 0 : m->offset + (long)below(r, 5) - 2;
            else
                m->value = 1 + below(r, 255);
            return true;
        case SD_MUT_ARG_U24:
            m->value = (long)below(r, 2) ? m->value + 1 : (m->value > 0 ? m->value - 1 : 0);
            return true;
        case SD_MUT_ARG_SPLIT:
            m->value = 1 + below(r, 64);
            return true;
        case SD_MUT_ARG_HANDSHAKE_TYPE:
            m->value = some_type(r);
            return true;
        default:
            /* Another kind: random_mutation starts from a blank mutation,
             * so free what an add-ext's bytes held first. */
            free(m->bytes);
            random_mutation(r, m);
            return true;
        }
    }
    case 8: { /* change an action's fields */
        if (!n) return false;
        sd_action *a = &t->actions[below(r, (uint32_t)n)];
        switch (a->kind) {
        case SD_ACT_SEND:
        case SD_ACT_EXPECT:
            a->msg_type = some_message(r);
            return true;
        case SD_ACT_SEND_ALERT:
            if (below(r, 2))
                a->alert = some_alert(r);
            else
                a->alert_level = below(r, 3) ? (uint8_t)(1 + below(r, 2)) : (uint8_t)next(r);
            return true;
        case SD_ACT_SEND_CCS:
        case SD_ACT_SEND_RAW:
            /* none, plaintext, encrypted */
            switch (below(r, 3)) {
            case 0:
                a->force_plaintext = a->encrypted = false;
                break;
            case 1:
                a->force_plaintext = true, a->encrypted = false;
                break;
            default:
                a->force_plaintext = false, a->encrypted = true;
                break;
            }
            if (a->kind == SD_ACT_SEND_RAW && below(r, 2)) a->content_type = (uint8_t)(20 + below(r, 5));
            return true;
        default:
            return false;
        }
    }
    default: { /* edit a payload */
        if (!n) return false;
        sd_action *a = &t->actions[below(r, (uint32_t)n)];
        if (a->kind != SD_ACT_SEND_RAW && a->kind != SD_ACT_SEND_APPDATA && a->kind != SD_ACT_EXPECT_APPDATA)
            return false;
        edit_bytes(r, &a->bytes, &a->bytes_len);
        return true;
    }
    }
}

static size_t encode_into(const sd_trace *t, uint8_t *out, size_t max) {
    sd_buf b;
    sd_buf_init(&b);
    size_t n = 0;
    if (sd_trace_encode(t, &b, NULL, 0) && b.len <= max) {
        memcpy(out, b.data, b.len);
        n = b.len;
    }
    sd_buf_free(&b);
    return n;
}

size_t sd_trace_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    rng r = {0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 1 | 1)};
    sd_trace t;
    if (!sd_trace_decode(data, size, &t, NULL, 0)) {
        sd_trace_init(&t);
        honest_trace(&t);
    }
    /* One to three changes, as libFuzzer stacks its own. */
    unsigned changes = 1 + below(&r, 3);
    for (unsigned i = 0, tries = 0; i < changes && tries < 32; tries++)
        if (mutate_once(&r, &t)) i++;
    size_t n = encode_into(&t, data, max_size);
    sd_trace_free(&t);
    if (n == 0 && size <= max_size) return size; /* nothing fit: leave the input as it was */
    return n;
}

size_t sd_trace_cross_over(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size, uint8_t *out,
                           size_t max_out, unsigned int seed) {
    rng r = {0xd1b54a32d192ed03ull ^ ((uint64_t)seed << 1 | 1)};
    sd_trace ta, tb, out_t;
    bool ok_a = sd_trace_decode(a, a_size, &ta, NULL, 0);
    bool ok_b = sd_trace_decode(b, b_size, &tb, NULL, 0);
    if (!ok_a) sd_trace_init(&ta);
    if (!ok_b) sd_trace_init(&tb);
    sd_trace_init(&out_t);
    size_t cut_a = below(&r, (uint32_t)ta.n_actions + 1), cut_b = below(&r, (uint32_t)tb.n_actions + 1);
    bool ok = true;
    for (size_t i = 0; i < cut_a && ok; i++) {
        sd_action *slot = sd_trace_add(&out_t, SD_ACT_EXPECT_CLOSE);
        ok = slot && copy_action(&ta.actions[i], slot);
        if (slot && !ok) out_t.n_actions--;
    }
    for (size_t i = cut_b; i < tb.n_actions && ok && out_t.n_actions < 64; i++) {
        sd_action *slot = sd_trace_add(&out_t, SD_ACT_EXPECT_CLOSE);
        ok = slot && copy_action(&tb.actions[i], slot);
        if (slot && !ok) out_t.n_actions--;
    }
    size_t n = (ok_a || ok_b) ? encode_into(&out_t, out, max_out) : 0;
    sd_trace_free(&ta);
    sd_trace_free(&tb);
    sd_trace_free(&out_t);
    return n;
}
