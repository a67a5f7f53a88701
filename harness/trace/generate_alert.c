/* generate_alert.c — gen-alert: every alert description at both levels
 * wherever the driver is about to speak, then the rest of the honest
 * handshake: a target that ignored an error alert completes and FAILs; one
 * that stopped PASSes. Then alerts in records of the wrong kind: of the
 * wrong size (TLS 1.3), warnings in a row (TLS 1.2), in the clear where
 * records are protected. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>

#include "trace/generate_family.h"
#include "wire/names.h"

static const uint8_t all_alerts[] = {
#define SD_ALERT_ENTRY(name, value) value,
    SD_ALERTS(SD_ALERT_ENTRY)
#undef SD_ALERT_ENTRY
};
/* Descriptions no registry defines. */
static const uint8_t unknown_alerts[] = {1, 127, 255};

/* Where BoringSSL answers otherwise, and why. */
static const char note_warning_alert[] =
    "BoringSSL answers with its own decode_error alert (SOFT): ssl_process_alert in ssl/tls_record.cc "
    "rejects any TLS 1.3 warning alert other than close_notify and user_canceled as SSL_R_BAD_ALERT "
    "with SSL_AD_DECODE_ERROR. It does stop, and does not complete.";

static const char note12_warning[] =
    "RFC 5246 §7.2.2 leaves it to the receiver whether to go on after a warning (if it stops it SHOULD send "
    "a "
    "fatal alert). The suite expects what BoringSSL and the model do, carry on (ssl_process_alert in "
    "ssl/tls_record.cc discards TLS 1.2 warnings): a stack that stops here chose otherwise within the RFC.";

/* A warning, per version: an error to stop at (TLS 1.3, where BoringSSL
 * answers decode_error), or something to carry on after (TLS 1.2). */
static const char *const warning_note[N_GEN_VERSIONS] = {
    [GEN_TLS13] = note_warning_alert,
    [GEN_TLS12] = note12_warning,
};

/* The descriptions RFC 5246 §7.2.2 lets a sender use at warning level: the
 * certificate alerts, for which it names no level. The others are "always
 * fatal" (a sender that sends one as a warning broke the RFC, and what the
 * receiver then does is not decided), no_renegotiation answers a
 * renegotiation only, and unknown descriptions have no meaning to weigh. */
static bool warning_allowed12(uint8_t desc) {
    return desc == SD_bad_certificate || desc == SD_unsupported_certificate ||
           desc == SD_certificate_revoked || desc == SD_certificate_expired || desc == SD_certificate_unknown;
}

/* --- Every description at both levels ----------------------------------------- */

static void one_alert(gen *g, const honest *h, size_t pos, uint8_t level, uint8_t desc) {
    char at_buf[48];
    const char *at = gen_step_title(h, pos, at_buf, sizeof at_buf);
    const char *who = gen_who(h);
    const char *name = sd_alert_name(desc);
    const char *lv = level == SD_ALERT_LEVEL_FATAL ? "fatal" : "warning";
    bool closure = desc == SD_close_notify || desc == SD_user_canceled;
    /* A TLS 1.2 warning lets the connection go on (RFC 5246 §7.2.2). */
    bool carry_on = level == SD_ALERT_LEVEL_WARNING && !closure && !h->v->alert_level_ignored;
    char before[48], number[8], detail[256], title[400];
    gen_step_kebab(h, pos, before, sizeof before);
    snprintf(number, sizeof number, "%u", desc);
    snprintf(detail, sizeof detail, "before-%s.%s.%s%s", before, lv, name ? "" : "alert-",
             name ? name : number);

    requirement r = name ? R_ERROR_ALERT : gen_cited_or(h->v, R_UNKNOWN_ALERT, R_ERROR_ALERT);
    const char *note = NULL;
    if (desc == SD_close_notify) {
        r = R_CLOSE_NOTIFY;
        if (h->v->alert_level_ignored)
            snprintf(title, sizeof title, "%s ignores everything after a %s close_notify sent before %s", who,
                     lv, at);
        else
            snprintf(title, sizeof title, "%s stops after a %s close_notify before %s", who, lv, at);
    } else if (desc == SD_user_canceled) {
        r = R_USER_CANCELED;
        snprintf(title, sizeof title, "%s stops after a %s user_canceled and close_notify %s %s", who, lv,
                 h->v->alert_level_ignored ? "sent before" : "before", at);
    } else if (carry_on) {
        r = R_WARNING_ALERT;
        snprintf(title, sizeof title, "%s carries on after a warning %s alert before %s", who, name, at);
        note = warning_note[h->v->id];
    } else if (h->v->alert_level_ignored) {
        /* RFC 8446 §6: an error alert whatever its level. */
        snprintf(title, sizeof title, "%s treats a %s %s alert before %s as an error and stops", who, lv,
                 name ? name : number, at);
        if (level == SD_ALERT_LEVEL_WARNING) note = warning_note[h->v->id];
    } else {
        snprintf(title, sizeof title, "%s stops after a fatal %s%s alert before %s", who,
                 name ? "" : "alert-", name ? name : number, at);
    }
    gen_begin(g, "gen-alert", h, detail, title, r, carry_on ? "complete" : "closed", note,
              carry_on  ? "alert, warning, policy"
              : closure ? "alert, closure"
              : name    ? "alert"
                        : "alert, unknown");
    gen_put_steps(g, h, 0, pos);
    sd_buf_appendf(&g->text, "send-alert %s %u\n", lv, desc);
    /* user_canceled "SHOULD be followed by a close_notify" (RFC 8446 §6.1,
     * RFC 5246 §7.2.2): the pair is what closes; the cancel alone does not
     * oblige the receiver to stop. */
    if (desc == SD_user_canceled) gen_put(g, "send-alert warning close_notify\n");
    gen_put_steps(g, h, pos, h->shape->n_steps);
    if (carry_on) gen_put_ping(g);
    gen_finish(g, "gen-alert");
}

static void descriptions(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    for (size_t pos = h->from; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver) continue;
        for (int lv = SD_ALERT_LEVEL_WARNING; lv <= SD_ALERT_LEVEL_FATAL && g->ok; lv++) {
            for (size_t a = 0; a < sizeof(all_alerts) + sizeof(unknown_alerts) && g->ok; a++) {
                uint8_t desc =
                    a < sizeof(all_alerts) ? all_alerts[a] : unknown_alerts[a - sizeof(all_alerts)];
                bool closure = desc == SD_close_notify || desc == SD_user_canceled;
                bool warning = lv == SD_ALERT_LEVEL_WARNING && !closure;
                /* Before the ServerHello no version is agreed: the TLS 1.3
                 * rule that the level is ignored does not bind the receiver
                 * yet (a receiver that may still speak TLS 1.2 may carry on
                 * after a warning, RFC 5246 §7.2.2, as BoringSSL does), and
                 * a TLS 1.2 receiver does not know yet that it will not
                 * speak TLS 1.3, where every warning but the closures is an
                 * error (RFC 8446 §6). Only the closure alerts, which mean
                 * the same in both versions, are generated there at warning
                 * level. */
                if (warning && !gen_version_agreed(h, pos)) continue;
                if (warning && !h->v->alert_level_ignored && !warning_allowed12(desc)) continue;
                one_alert(g, h, pos, (uint8_t)lv, desc);
            }
        }
    }
}

/* --- Alert records ------------------------------------------------------------------ */

static const char note_empty_protected_alert[] =
    "BoringSSL answers decode_error (SOFT): tls_open_record in ssl/tls_record.cc counts an empty record "
    "against kMaxEmptyRecords and passes it on, and ssl_process_alert refuses an alert record of any "
    "length but two (SSL_R_BAD_ALERT, SSL_AD_DECODE_ERROR) instead of applying RFC 8446 §5.4. It does "
    "refuse.";

/* RFC 8446 §5.1: an alert record holds exactly one alert. An empty one is
 * §5.4's when protected (unexpected_message); in the clear the RFC allows
 * two readings (R_EMPTY_ALERT_PLAINTEXT). */
static void wrong_sizes13(gen *g, const honest *h, size_t pos, const char *before, const char *enc) {
    static const struct {
        const char *detail, *what, *raw1, *raw2;
    } forms[] = {
        {"fragmented", "an alert split over two records", "02", "28"},
        {"doubled", "two alerts coalesced in one record", "02280228", NULL},
        {"empty", "an empty alert record", "hex=", NULL},
        {"one-byte", "a one-byte alert record", "02", NULL},
        {"long", "a three-byte alert record", "022800", NULL},
    };
    char detail[256], title[400], at[48];
    gen_step_title(h, pos, at, sizeof at);
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]) && g->ok; f++) {
        snprintf(detail, sizeof(detail), "before-%s.record-%s", before, forms[f].detail);
        snprintf(title, sizeof(title), "%s rejects %s before %s", gen_who(h), forms[f].what, at);
        bool empty = forms[f].raw1[0] == 'h'; /* "hex=" */
        bool prot = enc[0] != '\0';
        gen_begin(g, "gen-alert", h, detail, title,
                  !empty ? R_ALERT_RECORD
                  : prot ? R_EMPTY_INNER
                         : R_EMPTY_ALERT_PLAINTEXT,
                  !empty ? "alert decode_error"
                  : prot ? "alert unexpected_message"
                         : "alert decode_error | unexpected_message",
                  empty && prot ? note_empty_protected_alert : NULL, "alert, record");
        gen_put_steps(g, h, 0, pos);
        sd_buf_appendf(&g->text, "send-raw alert %s%s\n", forms[f].raw1, enc);
        if (forms[f].raw2) sd_buf_appendf(&g->text, "send-raw alert %s%s\n", forms[f].raw2, enc);
        gen_put_steps(g, h, pos, h->shape->n_steps);
        gen_finish(g, "gen-alert");
    }
}

/* Four warnings are carried (BoringSSL's limit, which the model follows); a
 * fifth in a row is refused. RFC 5246 sets no limit, so the suite follows
 * BoringSSL, as the model does where the RFC leaves the choice. */
static void warnings_in_a_row12(gen *g, const honest *h, size_t pos, const char *before, const char *enc) {
    char detail[256], title[400], at[48];
    gen_step_title(h, pos, at, sizeof at);
    for (int n = 4; n <= 5 && g->ok; n++) {
        snprintf(detail, sizeof detail, "before-%s.warnings-%d", before, n);
        snprintf(title, sizeof title, "%s %s %d warning alerts in a row before %s", gen_who(h),
                 n == 4 ? "carries on after" : "stops after", n, at);
        gen_begin(g, "gen-alert", h, detail, title, n == 4 ? R_WARNING_ALERT : R_TOO_MANY_WARNINGS,
                  n == 4 ? "complete" : "alert unexpected_message",
                  n == 4
                      ? note12_warning
                      : "RFC 5246 sets no limit on warning alerts; this suite expects BoringSSL's (four in a "
                        "row, then unexpected_message: SSL_R_TOO_MANY_WARNING_ALERTS in ssl/tls_record.cc), "
                        "which bounds what a peer can make the receiver do without progress.",
                  "alert, warning, policy");
        gen_put_steps(g, h, 0, pos);
        for (int i = 0; i < n; i++) sd_buf_appendf(&g->text, "send-alert warning bad_certificate%s\n", enc);
        gen_put_steps(g, h, pos, h->shape->n_steps);
        if (n == 4) gen_put_ping(g);
        gen_finish(g, "gen-alert");
    }
}

/* An alert in the clear where the driver's records are protected, per
 * version: TLS 1.3 reads every record after the ServerHello as
 * TLSCiphertext (RFC 8446 §5.2), TLS 1.2 the records after the
 * ChangeCipherSpec (RFC 5246 §7.1). */
static const struct {
    const char *what, *expect, *note, *tags;
} plaintext_alert[N_GEN_VERSIONS] = {
    [GEN_TLS13] = {"an unprotected fatal alert where records are protected", "alert unexpected_message",
                   gen_note_decrypts_everything, "alert, record"},
    [GEN_TLS12] = {"an unprotected alert after the ChangeCipherSpec", "alert bad_record_mac", NULL,
                   "alert, record, ccs"},
};

static void in_the_clear(gen *g, const honest *h, size_t pos, const char *before) {
    char detail[256], title[400];
    snprintf(detail, sizeof detail, "before-%s.plaintext-fatal", before);
    snprintf(title, sizeof title, "%s rejects %s", gen_who(h), plaintext_alert[h->v->id].what);
    gen_begin(g, "gen-alert", h, detail, title, R_PLAINTEXT_AFTER_KEYS, plaintext_alert[h->v->id].expect,
              plaintext_alert[h->v->id].note, plaintext_alert[h->v->id].tags);
    gen_put_steps(g, h, 0, pos);
    gen_put(g, "send-alert fatal handshake_failure plaintext\n");
    gen_put_steps(g, h, pos, h->shape->n_steps);
    gen_finish(g, "gen-alert");
}

/* At two places: the first where the driver speaks (in TLS 1.2, once the
 * version is agreed, for warnings to mean what RFC 5246 says), in the
 * clear; and where its Finished belongs, protected. */
static void records(gen *g, const honest *h) {
    const sd_shape *s = h->shape;
    bool done_first = false;
    for (size_t pos = h->from; pos < s->n_steps && g->ok; pos++) {
        if (s->steps[pos].from != h->driver) continue;
        bool is_first = !done_first && (h->v->alert_level_ignored || gen_version_agreed(h, pos));
        bool is_fin = s->steps[pos].msg == SD_Finished;
        if (!is_first && !is_fin) continue;
        if (is_first) done_first = true;
        char before[48];
        gen_step_kebab(h, pos, before, sizeof before);
        bool prot = gen_protected(h, pos);
        const char *enc = prot ? " encrypted" : "";
        if (h->v->alert_level_ignored)
            wrong_sizes13(g, h, pos, before, enc);
        else if (!is_fin)
            warnings_in_a_row12(g, h, pos, before, enc);
        if (prot && g->ok) in_the_clear(g, h, pos, before);
    }
}

void gen_alert(gen *g, const honest *h) {
    descriptions(g, h);
    records(g, h);
}
