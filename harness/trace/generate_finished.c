/* generate_finished.c — gen-finished: every way the driver's Finished can be
 * wrong, or missing. Expected: decrypt_error (RFC 8446 §4.4.4, RFC 5246
 * §7.4.9), or decode_error as well where its length is wrong. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "trace/generate_family.h"
#include "wire/names.h"

/* What differs between the versions' Finished. */
static const struct {
    unsigned verify_data_len;
    const char *wrong_key; /* how a Finished with the other side's secret was made */
} finished_of[N_GEN_VERSIONS] = {
    /* verify_data is Hash.length bytes: 32 with the SHA-256 suites both
     * stacks choose by default. */
    [GEN_TLS13] = {32, "computed with the other side's key"},
    /* verify_data is 12 bytes (RFC 5246 §7.4.9, verify_data_length). */
    [GEN_TLS12] = {12, "computed with the other side's label"},
};

/* A Finished of another length than verify_data's fixed one is both wrong
 * (decrypt_error, RFC 8446 §4.4.4, RFC 5246 §7.4.9 and §7.2.2) and not of
 * the message's syntax (decode_error, RFC 8446 §6, RFC 5246 §7.2.2): the
 * RFCs name both, so either passes (R_FINISHED_LENGTH cites both). */
static const char expect_length[] = "alert decrypt_error | decode_error";

void gen_finished(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    size_t pos = 0;
    while (pos < s->n_steps && !(s->steps[pos].from == h->driver && s->steps[pos].msg == SD_Finished)) pos++;
    if (pos == s->n_steps) return;
    const char *whose = h->target == SD_ROLE_CLIENT ? "server" : "client";
    /* A suite with another hash (TLS 1.3: SHA-384) gives another length. */
    unsigned len = h->p && h->p->finished_len ? h->p->finished_len : finished_of[h->v->id].verify_data_len;
    char zeros[8 + 2 * 64], length_short[16];
    snprintf(zeros, sizeof zeros, "body=");
    memset(zeros + 5, '0', 2 * len);
    zeros[5 + 2 * len] = '\0';
    snprintf(length_short, sizeof length_short, "length=%u", len - 1);
    struct {
        const char *detail, *what, *mutation;
        bool length; /* a Finished of another length */
    } forms[] = {
        {"flip-first", "whose first byte is flipped", "flip=first:0x01", false},
        {"flip-middle", "whose middle byte is flipped", "flip=middle:0x01", false},
        {"flip-last", "whose last byte is flipped", "flip=last:0x80", false},
        {"truncated", "that is one byte short", "truncate=1", true},
        {"extended", "with one extra byte", "append=00", true},
        {"empty", "that is empty", "body=", true},
        {"all-zero", "of all-zero bytes", zeros, false},
        {"wrong-key", finished_of[h->v->id].wrong_key, "wrong-key", false},
        {"wrong-transcript", "computed over a transcript without the last message", "wrong-transcript",
         false},
        {"length-short", "whose length field is one byte short", length_short, true},
    };
    char title[400];
    for (size_t f = 0; f < sizeof forms / sizeof forms[0] && g->ok; f++) {
        snprintf(title, sizeof title, "%s rejects a %s Finished %s", gen_who(h), whose, forms[f].what);
        gen_begin(g, "gen-finished", h, forms[f].detail, title,
                  forms[f].length ? R_FINISHED_LENGTH : R_FINISHED,
                  forms[f].length ? expect_length : "alert decrypt_error", NULL, "finished");
        gen_put_steps(g, h, 0, pos);
        sd_buf_appendf(&g->text, "send Finished %s\n", forms[f].mutation);
        gen_finish(g, "gen-finished");
    }
    /* Missing: application data where the Finished belongs (in TLS 1.2,
     * after the ChangeCipherSpec; a Finished without its ChangeCipherSpec
     * is gen-order's finished-instead-of-change-cipher-spec). */
    snprintf(title, sizeof title, "%s rejects application data sent in place of the %s Finished", gen_who(h),
             whose);
    gen_begin(g, "gen-finished", h, "missing", title, R_PREMATURE_APPDATA, "alert unexpected_message", NULL,
              "finished, appdata");
    gen_put_steps(g, h, 0, pos);
    gen_put(g, "send-appdata \"ping\"\n");
    gen_finish(g, "gen-finished");
}
