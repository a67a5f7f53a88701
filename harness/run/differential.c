/* differential.c — the model against BoringSSL on one trace; see
 * differential.h. */
#include "run/differential.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/target.h"
#include "wire/bytes.h"
#include "wire/names.h"
#include "stacks/stacks.h"
#include "util/util.h"

void sd_differential_run_config(const sd_trace *t, const sd_run_config *base, sd_outcome *model_out,
                                sd_outcome *boringssl_out, sd_divergence *div, char *why, size_t why_len) {
    sd_run_config cfg = *base;
    /* The model first: it is ours, so if the harness has a problem with
     * this trace it is likelier to show there, and the order never matters
     * to the result (each run has its own target and driver state). */
    cfg.stack = &sd_target_model;
    sd_driver_run(t, &cfg, model_out);
    cfg.stack = &sd_target_boringssl;
    sd_driver_run(t, &cfg, boringssl_out);
    sd_divergence d = sd_compare(model_out, boringssl_out, why, why_len);
    if (div) *div = d;
}

void sd_differential_run_stack(const sd_trace *t, const sd_run_config *base, const sd_target_ops *stack,
                               sd_outcome *out) {
    sd_run_config cfg = *base;
    cfg.stack = stack;
    sd_driver_run(t, &cfg, out);
}

void sd_differential_run_reference(const sd_trace *t, const sd_run_config *base,
                                   const sd_target_ops *reference, const char *name, sd_outcome *model_out,
                                   sd_outcome *reference_out, sd_divergence *div, char *why, size_t why_len) {
    sd_run_config cfg = *base;
    /* The model's pins to BoringSSL's choices (handshake message limits,
     * the first PSK identity) would make differences with a stack that
     * does not share them: the model as the RFCs have it instead, as a
     * three-party run judges a stack. */
    sd_fuzz_setup_unpin_model(&cfg);
    cfg.stack = &sd_target_model;
    sd_driver_run(t, &cfg, model_out);
    cfg.stack = reference;
    sd_driver_run(t, &cfg, reference_out);
    sd_divergence d = sd_compare_named(model_out, "model", reference_out, name, why, why_len);
    if (div) *div = d;
}

const sd_target_ops *sd_stack_under_test_find(const char *name, char *err, size_t err_len) {
    if (!name || !name[0]) {
        sd_set_error(err, err_len, "no stack named");
        return NULL;
    }
    if (strcmp(name, "model") == 0 || strcmp(name, "boringssl") == 0) {
        sd_set_error(err, err_len,
                     "%s is one of the two references every input runs against; to fuzz BoringSSL with its "
                     "own coverage, build it instrumented (scripts/build-stack.sh boringssl) and run without "
                     "--stack",
                     name);
        return NULL;
    }
    /* In process where the stack's symbols live beside BoringSSL's, so
     * that its coverage guides the fuzzer; else its shim. */
    char inprocess[80];
    snprintf(inprocess, sizeof inprocess, "%s-inprocess", name);
    const sd_target_ops *ops = sd_target_find(inprocess);
    if (!ops) ops = sd_target_find(name);
    if (!ops)
        sd_set_error(err, err_len, "no stack '%s' in this build (shakedown conform --help lists them)", name);
    return ops;
}

void sd_differential_run(const sd_trace *t, sd_role role_under_test, const sd_pki *pki, uint64_t seed,
                         sd_outcome *model_out, sd_outcome *boringssl_out, sd_divergence *div, char *why,
                         size_t why_len) {
    sd_run_config cfg;
    sd_run_config_defaults(&cfg, &sd_target_model, role_under_test, pki);
    cfg.seed = seed;
    sd_differential_run_config(t, &cfg, model_out, boringssl_out, div, why, why_len);
}

bool sd_claim_finding(const sd_claim_labels *labels, const sd_known_differences *known, const char *target,
                      const sd_outcome *model, const sd_outcome *boringssl, char *signature,
                      size_t signature_len, char *why, size_t why_len) {
    const sd_party parties[] = {{"model", model}, {"boringssl", boringssl}};
    return sd_parties_claim_finding(labels, known, target, parties, 2, signature, signature_len, why,
                                    why_len);
}

bool sd_parties_claim_finding(const sd_claim_labels *labels, const sd_known_differences *known,
                              const char *target, const sd_party *p, size_t n, char *signature,
                              size_t signature_len, char *why, size_t why_len) {
    for (size_t i = 0; i < n; i++) {
        sd_claim_violation v;
        if (!sd_claim_check(labels, p[i].outcome, &v)) continue;
        char sig[512];
        sd_claim_signature(target, p[i].name, p[i].outcome, &v, sig, sizeof sig);
        if (known && sd_known_differences_match(known, sig, p[i].name)) continue;
        if (signature && signature_len) snprintf(signature, signature_len, "%s", sig);
        if (why && why_len) sd_claim_describe(p[i].name, p[i].outcome, &v, why, why_len);
        return true;
    }
    return false;
}

/* "alert(decode_error)@0", "waiting@1": one side of a signature. */
static void side(const sd_outcome *o, char *buf, size_t len) {
    const char *kind = sd_outcome_kind_name(o->kind);
    if (o->kind == SD_OUTCOME_ALERT) {
        const char *name = sd_alert_name(o->alert);
        if (name)
            snprintf(buf, len, "%s(%s)@%d", kind, name, o->step);
        else
            snprintf(buf, len, "%s(%u)@%d", kind, (unsigned)o->alert, o->step);
    } else {
        snprintf(buf, len, "%s@%d", kind, o->step);
    }
}

/* The names both describers of an event use: a handshake type
 * (HelloRetryRequest for the ServerHello that is one; NULL for a type
 * outside the registry), and an alert's level and description, as numbers
 * when the registry has no name. */
static const char *handshake_name(const sd_event *e) {
    return e->hrr ? "HelloRetryRequest" : sd_handshake_type_name(e->code);
}

typedef struct {
    const char *level, *description;
    char level_number[8], description_number[8];
} alert_words;

static void alert_words_of(const sd_event *e, alert_words *w) {
    snprintf(w->level_number, sizeof w->level_number, "%u", (unsigned)e->level);
    snprintf(w->description_number, sizeof w->description_number, "%u", (unsigned)e->code);
    w->level = sd_alert_level_name(e->level);
    w->description = sd_alert_name(e->code);
    if (!w->level) w->level = w->level_number;
    if (!w->description) w->description = w->description_number;
}

/* One event of the ladder as a word: "ServerHello", "alert(warning,close_notify)",
 * "raw(handshake,0)", "raw(alert,2,0128)" (its length and first bytes),
 * "Certificate[expired]", with "+mutated(record-version,split)" (the kinds of
 * mutation the trace put on it) and "+encrypted"
 * where they apply (a raw record is always the driver's own bytes, so not
 * marked mutated). */
static void event_word(const sd_outcome *o, const sd_event *e, char *buf, size_t len) {
    char what[64];
    switch (e->kind) {
    case SD_EVENT_HANDSHAKE: {
        const char *name = handshake_name(e);
        if (name)
            snprintf(what, sizeof what, "%s", name);
        else
            snprintf(what, sizeof what, "handshake(%u)", (unsigned)e->code);
        break;
    }
    case SD_EVENT_ALERT: {
        alert_words w;
        alert_words_of(e, &w);
        snprintf(what, sizeof what, "alert(%s,%s)", w.level, w.description);
        break;
    }
    case SD_EVENT_CCS:
        snprintf(what, sizeof what, "ChangeCipherSpec");
        break;
    case SD_EVENT_APPDATA:
        snprintf(what, sizeof what, "application_data");
        break;
    case SD_EVENT_RAW: {
        const char *name = sd_content_type_name(e->code);
        char nm[8];
        snprintf(nm, sizeof nm, "%u", (unsigned)e->code);
        /* The first bytes, as hex, tell an alert's level and description
         * or a handshake message's type: "raw(alert,2,0128)". */
        char head[8] = "";
        if (e->length >= 2)
            snprintf(head, sizeof head, ",%02x%02x", e->head[0], e->head[1]);
        else if (e->length == 1)
            snprintf(head, sizeof head, ",%02x", e->head[0]);
        snprintf(what, sizeof what, "raw(%s,%u%s)", name ? name : nm, (unsigned)e->length, head);
        break;
    }
    default:
        snprintf(what, sizeof what, "close");
        break;
    }
    /* A Certificate says whose chain it carried: which certificate a stack
     * took or refused is most of what a difference there is about. */
    char cred[40] = "";
    if (e->credential > 0 && e->credential <= SD_MAX_OUTCOME_CREDENTIALS)
        snprintf(cred, sizeof cred, "[%s]", o->credentials[e->credential - 1]);
    /* "+mutated(record-version,split)": how the driver's message deviated. */
    char mutated[160] = "";
    if (e->mutated && e->kind != SD_EVENT_RAW) {
        size_t n = (size_t)snprintf(mutated, sizeof mutated, "+mutated");
        const char *sep = "(";
        bool extension_named = false;
        for (int k = 0; k < SD_MUT_COUNT && n < sizeof mutated; k++) {
            const sd_mutation_info *info = sd_mutation_info_of((sd_mutation_kind)k);
            if (!(e->mutations & (UINT64_C(1) << k)) || !info) continue;
            n += (size_t)snprintf(mutated + n, sizeof mutated - n, "%s%s", sep, info->name);
            sep = ",";
            /* "add-ext=supported_groups": the extension mutation of the
             * lowest kind says which extension it was about. */
            bool names_extension =
                k == SD_MUT_ADD_EXT || k == SD_MUT_DROP_EXT || k == SD_MUT_DUP_EXT || k == SD_MUT_FLIP_EXT;
            if (names_extension && !extension_named && n < sizeof mutated) {
                const char *ext = sd_extension_name(e->extension);
                n += ext ? (size_t)snprintf(mutated + n, sizeof mutated - n, "=%s", ext)
                         : (size_t)snprintf(mutated + n, sizeof mutated - n, "=%u", (unsigned)e->extension);
                extension_named = true;
            }
        }
        if (sep[0] == ',' && n < sizeof mutated) snprintf(mutated + n, sizeof mutated - n, ")");
    }
    snprintf(buf, len, "%s%s%s%s", what, cred, mutated, e->encrypted ? "+encrypted" : "");
}

/* Where the two runs part (sd_ladders_part): the last message the driver
 * gave both before their ladders differ, the input one of them answered
 * otherwise, and how many handshake messages the driver, then the target,
 * had sent before it in that connection ("hs=1/1": after one ClientHello of the driver's and
 * the target's HelloRetryRequest), then ":conn=N" when that was in
 * connection N > 1. "on=start" when they differ before the driver said
 * anything. */
void sd_finding_parting(const sd_outcome *model, const sd_outcome *boringssl, char *buf, size_t len) {
    size_t common, unused;
    sd_ladders_part(model, boringssl, &common, &unused);
    size_t input = common;
    for (size_t i = common; i > 0; i--) {
        if (model->events[i - 1].from == SD_FROM_PEER) {
            input = i - 1;
            break;
        }
    }
    /* Counted within the connection of that input, so that a difference
     * at the start of connection 2 reads as one at the start of a
     * connection ("hs=0/1"), and the entries written for it hold. */
    unsigned from_driver = 0, from_target = 0;
    uint8_t connection = input < model->n_events ? model->events[input].connection : 0;
    for (size_t i = 0; i < input && i < common; i++) {
        const sd_event *e = &model->events[i];
        if (e->kind != SD_EVENT_HANDSHAKE || e->connection != connection) continue;
        if (e->from == SD_FROM_PEER)
            from_driver++;
        else
            from_target++;
    }
    char word[256] = "start";
    if (input < common) event_word(model, &model->events[input], word, sizeof word);
    /* ":conn=2" after it for a later connection, whose messages carry what
     * each stack gave in the last (its own ticket, of its own length). */
    char conn[16] = "";
    if (connection > 0) snprintf(conn, sizeof conn, ":conn=%u", (unsigned)connection + 1);
    snprintf(buf, len, "hs=%u/%u:on=%s%s", from_driver, from_target, word, conn);
}

void sd_finding_signature(const char *target, const sd_outcome *model, const sd_outcome *boringssl, char *out,
                          size_t out_len) {
    const sd_party parties[] = {{"model", model}, {"boringssl", boringssl}};
    sd_parties_signature(target, parties, 2, out, out_len);
}

void sd_parties_signature(const char *target, const sd_party *p, size_t n, char *out, size_t out_len) {
    if (!out || out_len == 0) return;
    if (n < 2) {
        out[0] = '\0';
        return;
    }
    const sd_outcome *first = p[0].outcome, *second = p[1].outcome;
    char sides[400] = "", parting[320];
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof sides; i++) {
        char word[80];
        side(p[i].outcome, word, sizeof word);
        used += (size_t)snprintf(sides + used, sizeof sides - used, ":%s=%s", p[i].name, word);
    }
    sd_finding_parting(first, second, parting, sizeof parting);
    uint16_t version = first->configured_version ? first->configured_version : second->configured_version;
    /* A target set up for more versions than the one played (`versions:`)
     * may answer differently from one pinned to it, before the version is
     * settled, so the range ends the signature: an entry written for
     * pinned runs that ends without a glob does not cover ranged ones. */
    char range[40] = "";
    if (first->configured_max_version &&
        (first->configured_min_version != version || first->configured_max_version != version))
        snprintf(
            range, sizeof range, ":versions=%u.%u-%u.%u", (unsigned)(first->configured_min_version >> 8) - 2,
            (first->configured_min_version & 0xff) - 1u, (unsigned)(first->configured_max_version >> 8) - 2,
            (first->configured_max_version & 0xff) - 1u);
    snprintf(out, out_len, "%s%s:%s-%s:%s%s", target && target[0] ? target : "trace", sides,
             version == SD_TLS12 ? "tls12" : "tls13", first->target_is_server ? "server" : "client", parting,
             range);
    /* A signature is one word of known_differences.txt: a scenario id with
     * a blank (ids have none, but the caller's string is not ours to trust)
     * must not split it. */
    for (char *q = out; *q; q++)
        if (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') *q = '_';
}

uint64_t sd_signature_hash(const char *signature) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)signature; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return h;
}

const char *sd_known_differences_default_path(bool *from_env) {
    const char *env = getenv("SHAKEDOWN_KNOWN_DIFFERENCES");
    if (env && env[0]) {
        if (from_env) *from_env = true;
        return env;
    }
    if (from_env) *from_env = false;
    return SHAKEDOWN_SOURCE_DIR "/harness/oracle/known_differences.txt";
}

bool sd_stack_known_differences_path(const char *stack, char *buf, size_t len, bool *from_env) {
    const char *env = getenv("SHAKEDOWN_STACK_KNOWN_DIFFERENCES");
    if (env && env[0]) {
        if (from_env) *from_env = true;
        return snprintf(buf, len, "%s", env) < (int)len;
    }
    if (from_env) *from_env = false;
    return snprintf(buf, len, "%s/harness/oracle/known_differences/%s.txt", SHAKEDOWN_SOURCE_DIR, stack) <
           (int)len;
}

/* --- Printing ---------------------------------------------------------------- */

void sd_ladder_event_describe(const sd_event *e, char *buf, size_t len) {
    if (!buf || len == 0) return;
    const char *arrow = e->from == SD_FROM_PEER ? "\u2192" : "\u2190";
    char what[96];
    switch (e->kind) {
    case SD_EVENT_HANDSHAKE: {
        const char *name = handshake_name(e);
        if (name)
            snprintf(what, sizeof what, "%s", name);
        else
            snprintf(what, sizeof what, "handshake type %u", (unsigned)e->code);
        break;
    }
    case SD_EVENT_ALERT: {
        alert_words w;
        alert_words_of(e, &w);
        snprintf(what, sizeof what, "alert %s %s", w.level, w.description);
        break;
    }
    case SD_EVENT_CCS:
        snprintf(what, sizeof what, "ChangeCipherSpec");
        break;
    case SD_EVENT_APPDATA:
        snprintf(what, sizeof what, "application data");
        break;
    case SD_EVENT_RAW: {
        const char *name = sd_content_type_name(e->code);
        if (name)
            snprintf(what, sizeof what, "raw %s record", name);
        else
            snprintf(what, sizeof what, "raw record type %u", (unsigned)e->code);
        break;
    }
    case SD_EVENT_CLOSE:
        snprintf(what, sizeof what, "close");
        break;
    default:
        snprintf(what, sizeof what, "event %d", (int)e->kind);
        break;
    }
    snprintf(buf, len, "%s %s%s%s", arrow, what, e->mutated ? " (mutated)" : "",
             e->encrypted ? " [encrypted]" : "");
}

/* Columns are counted in characters, not bytes: the arrows are 3 bytes of
 * UTF-8 each but one column wide. */
static size_t columns(const char *s) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80) n++;
    return n;
}

enum { LABEL_W = 16, COLUMN_W = 46, MAX_PARTIES = 3 };

/* One row: a label, then one column per party. */
static void row(FILE *f, const char *label, const char *const *cells, size_t n) {
    fprintf(f, "  %-*s", LABEL_W, label);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, " %s", cells[i]);
        if (i + 1 < n)
            for (size_t w = columns(cells[i]); w < COLUMN_W; w++) fputc(' ', f);
    }
    fputc('\n', f);
}

static void alert_text(const sd_outcome *o, char *buf, size_t len) {
    if (o->kind != SD_OUTCOME_ALERT) {
        snprintf(buf, len, "-");
        return;
    }
    const char *level = sd_alert_level_name(o->alert_level);
    const char *name = sd_alert_name(o->alert);
    snprintf(buf, len, "%s %s (%u)", level ? level : "?", name ? name : "?", (unsigned)o->alert);
}

static void version_text(uint16_t v, char *buf, size_t len) {
    if (v == 0)
        snprintf(buf, len, "-");
    else if (v == SD_TLS13)
        snprintf(buf, len, "TLS 1.3");
    else if (v == SD_TLS12)
        snprintf(buf, len, "TLS 1.2");
    else
        snprintf(buf, len, "0x%04x", (unsigned)v);
}

void sd_differential_print(FILE *f, const sd_outcome *m, const sd_outcome *b) {
    const sd_party parties[] = {{"model", m}, {"boringssl", b}};
    sd_parties_print(f, parties, 2);
}

void sd_parties_print(FILE *f, const sd_party *p, size_t n) {
    if (n > MAX_PARTIES) n = MAX_PARTIES;
    char text[MAX_PARTIES][300] = {""};
    const char *cells[MAX_PARTIES] = {text[0], text[1], text[2]};
#define ROW(label, ...)                          \
    do {                                         \
        for (size_t i_ = 0; i_ < n; i_++) {      \
            const sd_outcome *o = p[i_].outcome; \
            (void)o;                             \
            __VA_ARGS__;                         \
        }                                        \
        row(f, label, cells, n);                 \
    } while (0)
    ROW("", snprintf(text[i_], sizeof text[i_], "%s", p[i_].name));
    ROW("outcome", sd_outcome_describe(o, text[i_], sizeof text[i_]));
    ROW("kind", snprintf(text[i_], sizeof text[i_], "%s", sd_outcome_kind_name(o->kind)));
    ROW("alert", alert_text(o, text[i_], sizeof text[i_]));
    ROW("step", snprintf(text[i_], sizeof text[i_], "%d", o->step));
    ROW("handshake done", snprintf(text[i_], sizeof text[i_], "%s", o->handshake_done ? "yes" : "no"));
    ROW("peer authed", snprintf(text[i_], sizeof text[i_], "%s", o->peer_authenticated ? "yes" : "no"));
    ROW("version", version_text(o->version, text[i_], sizeof text[i_]));
    bool several = false;
    for (size_t i = 0; i < n; i++) several = several || p[i].outcome->connections > 1;
    if (several) {
        /* A trace of several connections (trace.h): how far each run got,
         * and whether the last connection resumed, as the target says. */
        ROW("connections", snprintf(text[i_], sizeof text[i_], "%u", (unsigned)o->connections));
        ROW("resumed (last)", snprintf(text[i_], sizeof text[i_], "%s", o->resumed ? "yes" : "no"));
    }
#undef ROW
    /* Details are free text of up to 255 characters (the stack's error
     * string): one line each rather than a column that would wrap. */
    for (size_t i = 0; i < n; i++) {
        char label[40];
        snprintf(label, sizeof label, "detail (%.20s)", p[i].name);
        fprintf(f, "  %-*s %s\n", LABEL_W, label, p[i].outcome->detail[0] ? p[i].outcome->detail : "-");
    }
    size_t most = 0;
    bool truncated = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i].outcome->n_events > most) most = p[i].outcome->n_events;
        truncated = truncated || p[i].outcome->events_truncated;
    }
    for (size_t e = 0; e < most; e++) {
        /* Where a connection after the first begins, on any side. */
        unsigned starts = 0;
        for (size_t i = 0; i < n; i++) {
            const sd_outcome *o = p[i].outcome;
            text[i][0] = '\0';
            if (e < o->n_events) sd_ladder_event_describe(&o->events[e], text[i], sizeof text[i]);
            if (e > 0 && e < o->n_events && o->events[e].connection != o->events[e - 1].connection)
                starts = o->events[e].connection + 1u;
        }
        char label[32] = "";
        if (e == 0)
            snprintf(label, sizeof label, "ladder");
        else if (starts)
            snprintf(label, sizeof label, "connection %u", starts);
        row(f, label, cells, n);
    }
    if (most == 0) {
        for (size_t i = 0; i < n; i++) snprintf(text[i], sizeof text[i], "(nothing exchanged)");
        row(f, "ladder", cells, n);
    }
    if (truncated) {
        for (size_t i = 0; i < n; i++)
            snprintf(text[i], sizeof text[i], "%s",
                     p[i].outcome->events_truncated ? "... (later events not recorded)" : "");
        row(f, "", cells, n);
    }
}

/* --- Findings on disk ---------------------------------------------------------- */

static void write_hex(FILE *f, const uint8_t *data, size_t len) {
    for (size_t i = 0; i < len; i++) {
        fprintf(f, "%02x", data[i]);
        if (i + 1 < len && (i + 1) % 32 == 0) fputs("\n       ", f);
    }
}

bool sd_finding_write(const char *dir, const sd_finding *fd, char *path, size_t path_len, char *err,
                      size_t err_len) {
    char folder[1024], in_path[1100], txt_path[1110];
    if (snprintf(folder, sizeof folder, "%s/%s", dir, fd->target) >= (int)sizeof folder) {
        sd_set_error(err, err_len, "%s: path too long", dir);
        return false;
    }
    if (!sd_make_dirs(folder, err, err_len)) return false;
    snprintf(in_path, sizeof in_path, "%s/%016llx", folder,
             (unsigned long long)sd_signature_hash(fd->signature));
    snprintf(txt_path, sizeof txt_path, "%s.txt", in_path);
    if (path && path_len) snprintf(path, path_len, "%s", in_path);

    struct stat st;
    if (stat(in_path, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= fd->len) {
        return true; /* a reproducer as small or smaller is already there */
    }

    /* Both files are written whole or not at all: readers (a fuzzer's
     * other jobs, CI collecting artifacts) never see half a file. */
    if (!sd_file_write_atomic(in_path, fd->data, fd->len, err, err_len)) return false;

    char *text = NULL;
    size_t text_len = 0;
    FILE *f = open_memstream(&text, &text_len);
    if (!f) {
        sd_set_error(err, err_len, "%s: out of memory", txt_path);
        return false;
    }
    const char *why = fd->why ? fd->why : "";
    fprintf(f, "shakedown finding\n\n");
    fprintf(f, "target:     %s\n", fd->target);
    if (fd->stack) fprintf(f, "stack:      %s (judged against the model and BoringSSL)\n", fd->stack);
    if (fd->reference)
        fprintf(f, "reference:  %s (in BoringSSL's stead: a setup BoringSSL cannot run)\n", fd->reference);
    fprintf(f, "signature:  %s\n", fd->signature);
    fprintf(f, "%-11s %s%s%s\n", fd->stack ? "judgement:" : "divergence:", fd->judgement, why[0] ? ": " : "",
            why);
    if (fd->stack && fd->n_parties >= 3) {
        /* For the stack's maintainer: the message it took otherwise than
         * the references, and the rule, in the words of the reference that
         * enforced it (the model's checks cite their RFC section,
         * docs/model.md) or of the claim it broke. */
        char parting[320];
        sd_finding_parting(fd->parties[0].outcome, fd->parties[1].outcome, parting, sizeof parting);
        const char *on = strstr(parting, "on=");
        fprintf(f, "message:    %s\n", on ? on + 3 : parting);
        const sd_outcome *m = fd->parties[1].outcome, *b = fd->parties[2].outcome;
        bool m_refused = m->kind == SD_OUTCOME_ALERT || m->kind == SD_OUTCOME_CLOSED;
        bool b_refused = b->kind == SD_OUTCOME_ALERT || b->kind == SD_OUTCOME_CLOSED;
        if (strncmp(why, "claim: ", 7) == 0)
            fprintf(f, "rule:       %.*s\n", (int)strcspn(why + 7, ";"), why + 7);
        else if (m_refused || b_refused)
            fprintf(f, "rule:       %s refused: %s\n", m_refused ? "the model" : "boringssl",
                    m_refused ? m->detail : b->detail);
        else if (fd->parties[0].outcome->kind == SD_OUTCOME_ALERT ||
                 fd->parties[0].outcome->kind == SD_OUTCOME_CLOSED)
            fprintf(f, "rule:       both references took it; %s refused: %s\n", fd->stack,
                    fd->parties[0].outcome->detail);
        else
            fprintf(f, "rule:       none refused: %.*s\n", (int)strcspn(why, ";"), why);
    }
    fprintf(f, "input:      %s (%zu bytes)\n", in_path, fd->len);
    fprintf(f, "hex:        ");
    write_hex(f, fd->data, fd->len);
    fprintf(f, "\n\nreproduce:\n");
    if (fd->stack) {
        fprintf(f, "  shakedown repro --stack %s %s\n", fd->stack, in_path);
        fprintf(f, "  SHAKEDOWN_FUZZ_STACK=%s %s_replay %s    (the replay binary of the fuzz target)\n",
                fd->stack, fd->target, in_path);
    } else if (fd->reference) {
        fprintf(f, "  shakedown repro --reference %s %s\n", fd->reference, in_path);
        fprintf(f, "  SHAKEDOWN_FUZZ_REFERENCE=%s %s_replay %s    (the replay binary of the fuzz target)\n",
                fd->reference, fd->target, in_path);
    } else {
        fprintf(f, "  shakedown repro %s\n", in_path);
        fprintf(f, "  %s_replay %s    (the replay binary of the fuzz target)\n", fd->target, in_path);
    }
    fprintf(f, "\nkeep it (CI replays it forever):\n");
    fprintf(f, "  mkdir -p corpus/regressions/%s && cp %s corpus/regressions/%s/\n", fd->target, in_path,
            fd->target);
    fprintf(f, "\ntrace:\n");
    if (fd->trace) {
        sd_buf script;
        sd_buf_init(&script);
        sd_trace_print(fd->trace, &script);
        if (script.len) fwrite(script.data, 1, script.len, f);
        sd_buf_free(&script);
    }
    fprintf(f, "\noutcomes:\n");
    sd_parties_print(f, fd->parties, fd->n_parties);
    bool ok = fclose(f) == 0 && sd_file_write_atomic(txt_path, text, text_len, err, err_len);
    free(text);
    return ok;
}
