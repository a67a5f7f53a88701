/* generate_record.c — gen-record: the record layer. Premature application
 * data, oversized records, unknown content types, ChangeCipherSpec records
 * that are not the one the version allows, a handshake message interleaved
 * with another record, and after the handshake the limits of application
 * data records and an empty one. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <string.h>

#include "trace/generate_family.h"
#include "wire/names.h"

#define MAX_PLAINTEXT 16384u /* RFC 8446 §5.1, RFC 5246 §6.2.1: 2^14 */

static const char note_empty_protected_handshake[] =
    "BoringSSL takes the record and completes (FAIL, an RFC deviation listed in "
    "scenarios/known-failures.txt): "
    "tls_open_record in ssl/tls_record.cc counts an empty record, protected or not, against "
    "kMaxEmptyRecords (32 in a row) and passes it on, where an empty handshake fragment adds nothing; RFC "
    "8446 §5.4 requires unexpected_message for a zero-length TLSInnerPlaintext.content of type handshake.";

static const char note12_ccs_value[] =
    "RFC 5246 names no alert for a malformed ChangeCipherSpec; BoringSSL answers illegal_parameter (SOFT): "
    "tls_open_change_cipher_spec (ssl/tls_record.cc) refuses any body but the single byte 01 with "
    "SSL_R_BAD_CHANGE_CIPHER_SPEC. It does refuse.";

/* c, n times. */
static void put_repeated(gen *g, char c, size_t n) {
    char chunk[512];
    memset(chunk, c, sizeof(chunk));
    while (n > 0) {
        size_t k = n < sizeof(chunk) ? n : sizeof(chunk);
        sd_buf_append(&g->text, chunk, k);
        n -= k;
    }
}

/* "x" repeated n times as script data ("xxxx..."). */
static void put_text_of(gen *g, size_t n) {
    gen_put(g, "\"");
    put_repeated(g, 'x', n);
    gen_put(g, "\"");
}

/* A send-raw payload of n zero bytes: `hex= fill=<n>` (fill=, trace.h), so
 * that the trace, and a fuzz_trace seed made of it, stays a few bytes long
 * where the record is past 2^14. */
static void put_zeros(gen *g, size_t n) { sd_buf_appendf(&g->text, "hex= fill=%zu", n); }

/* Premature application data, everywhere the driver speaks before its
 * Finished (the Finished place itself is gen-finished's "missing"). */
static void premature_appdata(gen *g, const honest *h, size_t fin) {
    const sd_shape *s = h->shape;
    char before[48], at[48], detail[256], title[400];
    for (size_t pos = h->from; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver || pos == fin) continue;
        gen_step_kebab(h, pos, before, sizeof before);
        snprintf(detail, sizeof detail, "appdata-before-%s", before);
        snprintf(title, sizeof title, "%s rejects application data before %s", gen_who(h),
                 gen_step_title(h, pos, at, sizeof at));
        gen_begin(g, "gen-record", h, detail, title, R_PREMATURE_APPDATA, "alert unexpected_message", NULL,
                  "record, appdata");
        gen_put_steps(g, h, 0, pos);
        gen_put(g, "send-appdata \"ping\"\n");
        gen_put_steps(g, h, pos, s->n_steps);
        gen_finish(g, "gen-record");
    }
}

/* A handshake record one byte over the limit. TLS 1.2 limits a protected
 * record's plaintext only through its ciphertext (2^14+2048, RFC 5246
 * §6.2.3), so there only the plaintext record is over. */
static void oversized_handshake(gen *g, const honest *h, size_t pos, const char *before) {
    bool prot = gen_protected(h, pos);
    if (prot && !gen_cites(h->v, R_INNER_OVERFLOW)) return;
    char detail[256], title[400], at[48];
    gen_step_title(h, pos, at, sizeof at);
    snprintf(detail, sizeof detail, "oversized-handshake-before-%s", before);
    snprintf(title, sizeof title, "%s rejects a %s handshake record of 2^14+1 bytes before %s", gen_who(h),
             prot ? "protected" : "plaintext", at);
    gen_begin(g, "gen-record", h, detail, title, prot ? R_INNER_OVERFLOW : R_PLAINTEXT_OVERFLOW,
              "alert record_overflow", NULL, "record, size");
    gen_put_steps(g, h, 0, pos);
    gen_put(g, "send-raw handshake ");
    put_zeros(g, MAX_PLAINTEXT + 1);
    gen_put(g, prot ? " encrypted\n" : "\n");
    gen_finish(g, "gen-record");

    /* An empty handshake record: RFC 8446 §5.1 forbids sending one
     * ("Implementations MUST NOT send zero-length fragments of Handshake
     * types") and says nothing of receiving one in the clear, where
     * BoringSSL, like many stacks, skips empty records up to a limit: not
     * generated there. A protected one has a zero-length
     * TLSInnerPlaintext.content, which §5.4 answers with unexpected_message.
     * TLS 1.2 has no such rule (RFC 5246 §6.2.1 forbids sending only). */
    if (!prot || !gen_cites(h->v, R_EMPTY_INNER) || !g->ok) return;
    snprintf(detail, sizeof detail, "empty-handshake-before-%s", before);
    snprintf(title, sizeof title, "%s rejects a protected handshake record with no content before %s",
             gen_who(h), at);
    gen_begin(g, "gen-record", h, detail, title, R_EMPTY_INNER, "alert unexpected_message",
              note_empty_protected_handshake, "record, empty");
    gen_put_steps(g, h, 0, pos);
    gen_put(g, "send-raw handshake hex= encrypted\n");
    gen_put_steps(g, h, pos, h->shape->n_steps);
    gen_finish(g, "gen-record");
}

static void unknown_content_types(gen *g, const honest *h, size_t pos, const char *before) {
    /* 24 is heartbeat (RFC 6520), which neither side negotiated. */
    static const uint8_t unknown_types[] = {0, 24, 99, 255};
    bool prot = gen_protected(h, pos);
    char detail[256], title[400], at[48];
    gen_step_title(h, pos, at, sizeof at);
    for (size_t u = 0; u < sizeof unknown_types && g->ok; u++) {
        snprintf(detail, sizeof detail, "content-type-%u-before-%s", unknown_types[u], before);
        snprintf(title, sizeof title, "%s rejects a %s record of unknown content type %u before %s",
                 gen_who(h), prot ? "protected" : "plaintext", unknown_types[u], at);
        /* TLS 1.3's inner type 0 is padding: a protected record of only
         * zeros has no content type at all (RFC 8446 §5.4). */
        bool no_type = prot && unknown_types[u] == 0 && gen_cites(h->v, R_NO_INNER_TYPE);
        gen_begin(g, "gen-record", h, detail, title, no_type ? R_NO_INNER_TYPE : R_UNKNOWN_RECORD_TYPE,
                  "alert unexpected_message", no_type ? gen_note_no_inner_type : NULL,
                  "record, content-type");
        gen_put_steps(g, h, 0, pos);
        sd_buf_appendf(&g->text, "send-raw %u 00%s\n", unknown_types[u], prot ? " encrypted" : "");
        gen_put_steps(g, h, pos, h->shape->n_steps);
        gen_finish(g, "gen-record");
    }
}

/* TLS 1.3: ChangeCipherSpec other than the one plaintext 0x01 the
 * compatibility mode allows (RFC 8446 §5), before a step. */
static void compat_ccs13(gen *g, const honest *h, size_t pos, const char *before) {
    static const struct {
        const char *detail, *what, *payload;
        bool encrypted;
    } ccs[] = {
        {"ccs-value-02", "a ChangeCipherSpec of value 2", "02", false},
        {"ccs-empty", "an empty ChangeCipherSpec record", "hex=", false},
        {"ccs-two-bytes", "a two-byte ChangeCipherSpec record", "0101", false},
        {"ccs-protected", "a protected ChangeCipherSpec record", "01", true},
    };
    bool prot = gen_protected(h, pos);
    char detail[256], title[400], at[48];
    gen_step_title(h, pos, at, sizeof at);
    for (size_t c = 0; c < sizeof(ccs) / sizeof(ccs[0]) && g->ok; c++) {
        if (ccs[c].encrypted && !prot) continue;
        snprintf(detail, sizeof(detail), "%s-before-%s", ccs[c].detail, before);
        snprintf(title, sizeof(title), "%s rejects %s before %s", gen_who(h), ccs[c].what, at);
        gen_begin(g, "gen-record", h, detail, title, R_COMPAT_CCS, "alert unexpected_message",
                  prot && !ccs[c].encrypted ? gen_note_decrypts_everything : NULL, "record, ccs");
        gen_put_steps(g, h, 0, pos);
        sd_buf_appendf(&g->text, "send-raw change_cipher_spec %s%s\n", ccs[c].payload,
                       ccs[c].encrypted ? " encrypted" : "");
        gen_put_steps(g, h, pos, h->shape->n_steps);
        gen_finish(g, "gen-record");
    }
}

/* TLS 1.2: the driver's ChangeCipherSpec of the wrong value or size, where
 * it belongs (RFC 5246 §7.1). */
static void ccs_values12(gen *g, const honest *h, size_t ccs) {
    static const struct {
        const char *detail, *what, *payload;
    } bad_ccs[] = {
        {"ccs-value-02", "a ChangeCipherSpec of value 2", "02"},
        {"ccs-two-bytes", "a two-byte ChangeCipherSpec", "0101"},
    };
    char title[400];
    for (size_t c = 0; c < sizeof bad_ccs / sizeof bad_ccs[0] && g->ok; c++) {
        snprintf(title, sizeof title, "%s rejects %s", gen_who(h), bad_ccs[c].what);
        gen_begin(g, "gen-record", h, bad_ccs[c].detail, title, R_CCS_VALUE, "alert decode_error",
                  note12_ccs_value, "record, ccs");
        gen_put_steps(g, h, 0, ccs);
        sd_buf_appendf(&g->text, "send-raw change_cipher_spec %s\n", bad_ccs[c].payload);
        gen_put_steps(g, h, ccs + 1, h->shape->n_steps);
        gen_finish(g, "gen-record");
    }
}

/* A handshake message split over two records with another record between,
 * per version:
 *  - TLS 1.3: EncryptedExtensions (its body is always 00 00) sent as its
 *    first byte under the honest length, another record, then the last
 *    byte in a record of its own: a valid message split over two records
 *    with another record between (RFC 8446 §5.1). The trace ends there, so
 *    a target that tolerates the interleaving is left waiting for
 *    Certificate (FAIL).
 *  - TLS 1.2: ServerHelloDone's header split over two records with
 *    application data between (RFC 5246 §6.2.1 lets a message be
 *    fragmented, but application data before the Finished messages is out
 *    of place whatever surrounds it). */
typedef struct {
    uint16_t msg; /* the message split */
    const char *detail, *what;
    requirement r;
    const char *lines; /* the first part, the record between, the rest */
} interleaving;

static const interleaving interleavings13[] = {
    {SD_EncryptedExtensions, "appdata", "application data", R_INTERLEAVE,
     "send EncryptedExtensions truncate=1 length=2\nsend-raw application_data 70696e67 encrypted\n"
     "send-raw handshake 00 encrypted\n"},
    {SD_EncryptedExtensions, "unknown-type", "a record of unknown type", R_INTERLEAVE,
     "send EncryptedExtensions truncate=1 length=2\nsend-raw 99 00 encrypted\nsend-raw handshake 00 "
     "encrypted\n"},
};

static const interleaving interleavings12[] = {
    {SD_ServerHelloDone, "appdata", "application data", R_PREMATURE_APPDATA,
     "send-raw handshake 0e00\nsend-raw application_data 70696e67\nsend-raw handshake 0000\n"},
};

static const struct {
    const interleaving *cases;
    size_t n;
} interleavings[N_GEN_VERSIONS] = {
    [GEN_TLS13] = {interleavings13, sizeof(interleavings13) / sizeof(interleavings13[0])},
    [GEN_TLS12] = {interleavings12, sizeof(interleavings12) / sizeof(interleavings12[0])},
};

static void interleaved(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    char k[40], detail[256], title[400];
    for (size_t pos = h->from; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver) continue;
        for (size_t m = 0; m < interleavings[h->v->id].n && g->ok; m++) {
            const interleaving *c = &interleavings[h->v->id].cases[m];
            if (s->steps[pos].msg != c->msg) continue;
            snprintf(detail, sizeof detail, "interleaved-%s-in-%s", c->detail,
                     gen_kebab(c->msg, k, sizeof k));
            snprintf(title, sizeof title, "%s rejects %s between two records of one %s", gen_who(h), c->what,
                     sd_step_name(c->msg));
            gen_begin(g, "gen-record", h, detail, title, c->r, "alert unexpected_message", NULL,
                      "record, interleave");
            gen_put_steps(g, h, 0, pos);
            gen_put(g, c->lines);
            gen_finish(g, "gen-record");
        }
    }
}

/* A ClientHello in a record of an older version (RFC 5246 Appendix E.1). */
static void client_hello_record_versions(gen *g, const honest *h) {
    static const char *const versions[] = {"0x0300", "0x0301"};
    char detail[256], title[400];
    for (size_t v = 0; v < 2 && g->ok; v++) {
        snprintf(detail, sizeof detail, "client-hello-record-version-%s", versions[v] + 2);
        snprintf(title, sizeof title, "%s accepts a ClientHello in a record of version %s", gen_who(h),
                 versions[v]);
        gen_begin(g, "gen-record", h, detail, title, R_CH_RECORD_VERSION, "complete", NULL,
                  "record, version");
        sd_buf_appendf(&g->text, "send ClientHello record-version=%s\n", versions[v]);
        gen_put_steps(g, h, 1, h->shape->n_steps);
        gen_put_ping(g);
        gen_finish(g, "gen-record");
    }
}

/* After the handshake: one application data record of len bytes. */
static void appdata_of(gen *g, const honest *h, const char *detail, const char *what, size_t len,
                       requirement r, const char *expect) {
    char title[400];
    snprintf(title, sizeof title, "%s %s", gen_who(h), what);
    gen_begin(g, "gen-record", h, detail, title, r, expect, NULL, "record, size");
    gen_put_steps(g, h, 0, h->shape->n_steps);
    gen_put(g, "send-raw application_data ");
    put_zeros(g, len);
    gen_put(g, " encrypted\n");
    if (len <= MAX_PLAINTEXT) {
        gen_put(g, "expect-appdata ");
        put_text_of(g, 4); /* only the kind of the echo is checked */
        gen_put(g, "\n");
    }
    gen_finish(g, "gen-record");
}

static void appdata_limits(gen *g, const honest *h) {
    appdata_of(g, h, "appdata-2e14", "accepts an application data record of exactly 2^14 bytes",
               MAX_PLAINTEXT, R_RECORD_LIMIT_OK, "complete");
    if (gen_cites(h->v, R_INNER_OVERFLOW) && g->ok)
        appdata_of(g, h, "appdata-2e14-plus-1", "rejects an application data record of 2^14+1 bytes",
                   MAX_PLAINTEXT + 1, R_INNER_OVERFLOW, "alert record_overflow");
    char what[80];
    snprintf(what, sizeof what, "rejects a protected record longer than 2^14+%u bytes",
             h->v->ciphertext_expansion);
    if (g->ok)
        appdata_of(g, h, "appdata-ciphertext-over-limit", what, MAX_PLAINTEXT + h->v->ciphertext_expansion,
                   R_CIPHERTEXT_OVERFLOW, "alert record_overflow");

    /* An empty application data record is legal (RFC 8446 §5.1, RFC 5246
     * §6.2.1) and changes nothing. */
    if (!g->ok) return;
    char title[400];
    snprintf(title, sizeof title, "%s accepts a zero-length application data record after the handshake",
             gen_who(h));
    gen_begin(g, "gen-record", h, "empty-appdata-record", title, R_EMPTY_APPDATA, "complete", NULL,
              "record, empty");
    gen_put_steps(g, h, 0, h->shape->n_steps);
    gen_put(g, "send-raw application_data hex= encrypted\n");
    gen_put_ping(g);
    gen_finish(g, "gen-record");
}

void gen_record(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    size_t first = gen_first_driver_place(h), fin = 0, ccs = 0;
    for (size_t i = 0; i < s->n_steps; i++) {
        if (s->steps[i].from != h->driver) continue;
        if (s->steps[i].msg == SD_Finished) fin = i;
        if (s->steps[i].msg == SD_MSG_CHANGE_CIPHER_SPEC) ccs = i;
    }
    premature_appdata(g, h, fin);

    /* At the first place the driver speaks, and where its Finished
     * belongs. */
    size_t places[2] = {first, fin};
    char before[48];
    for (size_t p = 0; p < 2 && g->ok; p++) {
        gen_step_kebab(h, places[p], before, sizeof before);
        oversized_handshake(g, h, places[p], before);
        unknown_content_types(g, h, places[p], before);
        if (!h->v->ccs_is_step) compat_ccs13(g, h, places[p], before);
    }
    if (h->v->ccs_is_step) ccs_values12(g, h, ccs);

    interleaved(g, h);
    /* Of the first ClientHello, and after the handshake: only where the
     * run starts at the beginning and goes past the end (h->from,
     * h->post_handshake). */
    if (h->target == SD_ROLE_SERVER && gen_cites(h->v, R_CH_RECORD_VERSION) && h->from == 0)
        client_hello_record_versions(g, h);
    if (h->post_handshake) appdata_limits(g, h);
}
