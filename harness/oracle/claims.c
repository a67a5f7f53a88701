/* claims.c — the security-claim check: a side that completed a handshake
 * after being shown a credential the fixture PKI labels defective; see
 * claims.h. */
#include "oracle/claims.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/target.h"
#include "trace/trace.h"
#include "wire/names.h"

/* --- claims.txt --------------------------------------------------------------- */

static bool word_ok(const char *w, size_t n, size_t cap) {
    return n > 0 && n < cap && memchr(w, ' ', n) == NULL;
}

/* Parses one non-comment line into *l; false with a message in err. */
static bool parse_line(const char *p, size_t n, sd_claim_label *l, char *err, size_t err_len) {
    const char *sep = NULL;
    for (size_t i = 0; i + 4 <= n; i++) {
        if (memcmp(p + i, " -- ", 4) == 0) {
            sep = p + i;
            break;
        }
    }
    if (!sep) {
        sd_set_error(err, err_len, "no \" -- \" before the rule");
        return false;
    }
    const char *fields[4];
    size_t lens[4];
    size_t nf = 0;
    const char *q = p;
    while (q < sep && nf < 4) {
        while (q < sep && *q == ' ') q++;
        if (q == sep) break;
        const char *start = q;
        while (q < sep && *q != ' ') q++;
        fields[nf] = start;
        lens[nf++] = (size_t)(q - start);
    }
    while (q < sep && *q == ' ') q++;
    if (nf != 4 || q != sep) {
        sd_set_error(err, err_len, "want <fixture> <shown-by> <verdict> <defect> -- <rule>");
        return false;
    }
    if (!word_ok(fields[0], lens[0], sizeof l->fixture) || !word_ok(fields[3], lens[3], sizeof l->defect)) {
        sd_set_error(err, err_len, "fixture or defect empty or too long");
        return false;
    }
    memcpy(l->fixture, fields[0], lens[0]);
    l->fixture[lens[0]] = '\0';
    memcpy(l->defect, fields[3], lens[3]);
    l->defect[lens[3]] = '\0';
    if (lens[1] == 6 && memcmp(fields[1], "server", 6) == 0)
        l->shown_by_server = true;
    else if (lens[1] == 6 && memcmp(fields[1], "client", 6) == 0)
        l->shown_by_server = false;
    else {
        sd_set_error(err, err_len, "shown-by must be server or client");
        return false;
    }
    const char *v = fields[2];
    size_t vn = lens[2];
    static const char refuse[] = "refuse:", refuse_sig[] = "refuse-signature:";
    size_t prefix = 0;
    if (vn == 6 && memcmp(v, "accept", 6) == 0) {
        l->refuse = false;
    } else if (vn > sizeof refuse - 1 && memcmp(v, refuse, sizeof refuse - 1) == 0) {
        l->refuse = true;
        prefix = sizeof refuse - 1;
    } else if (vn > sizeof refuse_sig - 1 && memcmp(v, refuse_sig, sizeof refuse_sig - 1) == 0) {
        l->refuse = l->signature_defect = true;
        prefix = sizeof refuse_sig - 1;
    } else {
        sd_set_error(err, err_len, "verdict must be accept, refuse:<alerts> or refuse-signature:<alerts>");
        return false;
    }
    if (l->refuse) {
        /* Each alert must be one the registry knows: a misspelt name would
         * otherwise sit in the table unnoticed. */
        const char *a = v + prefix, *end = v + vn;
        while (a < end) {
            const char *bar = memchr(a, '|', (size_t)(end - a));
            size_t an = (size_t)((bar ? bar : end) - a);
            char name[64];
            if (an == 0 || an >= sizeof name) {
                sd_set_error(err, err_len, "an empty or overlong alert name");
                return false;
            }
            memcpy(name, a, an);
            name[an] = '\0';
            uint8_t code;
            if (!sd_alert_from_name(name, &code)) {
                sd_set_error(err, err_len, "unknown alert \"%s\"", name);
                return false;
            }
            a += an + (bar ? 1 : 0);
        }
        if (vn - prefix >= sizeof l->alerts) {
            sd_set_error(err, err_len, "alert list too long");
            return false;
        }
        memcpy(l->alerts, v + prefix, vn - prefix);
        l->alerts[vn - prefix] = '\0';
    }
    size_t rn = n - (size_t)(sep + 4 - p);
    if (rn == 0 || rn >= sizeof l->rule) {
        sd_set_error(err, err_len, "the rule is empty or longer than %zu characters", sizeof l->rule - 1);
        return false;
    }
    memcpy(l->rule, sep + 4, rn);
    l->rule[rn] = '\0';
    return true;
}

bool sd_claim_labels_parse(const char *name, const char *text, size_t len, sd_claim_labels *out, char *err,
                           size_t err_len) {
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    int line = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((eol ? eol : end) - p);
        line++;
        const char *cur = p;
        p += n + (eol ? 1 : 0);
        while (n > 0 && (cur[n - 1] == '\r' || cur[n - 1] == ' ')) n--;
        if (n == 0 || cur[0] == '#') continue;
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            sd_claim_label *items = realloc(out->items, ncap * sizeof *items);
            if (!items) {
                sd_claim_labels_free(out);
                sd_set_error(err, err_len, "%s: out of memory", name);
                return false;
            }
            out->items = items;
            cap = ncap;
        }
        sd_claim_label *l = &out->items[out->n];
        memset(l, 0, sizeof *l);
        char why[200];
        if (!parse_line(cur, n, l, why, sizeof why)) {
            sd_claim_labels_free(out);
            sd_set_error(err, err_len, "%s:%d: %s", name, line, why);
            return false;
        }
        if (sd_claim_label_find(out, l->fixture, l->shown_by_server)) {
            /* The message first: l points into what the free releases. */
            sd_set_error(err, err_len, "%s:%d: a second line for %s shown by the %s", name, line, l->fixture,
                         l->shown_by_server ? "server" : "client");
            sd_claim_labels_free(out);
            return false;
        }
        l->line = line;
        out->n++;
    }
    return true;
}

bool sd_claim_labels_load(const char *pki_dir, sd_claim_labels *out, char *err, size_t err_len) {
    char path[1100];
    snprintf(path, sizeof path, "%s/claims.txt", pki_dir);
    uint8_t *data = NULL;
    size_t len = 0;
    if (!sd_file_read(path, 1u << 20, &data, &len, err, err_len)) {
        memset(out, 0, sizeof *out);
        return false;
    }
    bool ok = sd_claim_labels_parse(path, (const char *)data, len, out, err, err_len);
    free(data);
    return ok;
}

void sd_claim_labels_free(sd_claim_labels *labels) {
    free(labels->items);
    labels->items = NULL;
    labels->n = 0;
}

const sd_claim_label *sd_claim_label_find(const sd_claim_labels *labels, const char *fixture,
                                          bool shown_by_server) {
    for (size_t i = 0; labels && i < labels->n; i++)
        if (labels->items[i].shown_by_server == shown_by_server &&
            strcmp(labels->items[i].fixture, fixture) == 0)
            return &labels->items[i];
    return NULL;
}

/* --- The check ----------------------------------------------------------------- */

/* The mutations that leave the credential shown as it is: the choice of
 * the credential (`cert=`) and how its records are framed. Any other edit
 * of the message may have made the chain something else, valid or not. */
static bool mutations_keep_credential(const sd_event *e) {
    if (!e->mutated) return true;
    const uint64_t framing =
        (UINT64_C(1) << SD_MUT_CERT) | (UINT64_C(1) << SD_MUT_SPLIT) | (UINT64_C(1) << SD_MUT_RECORD_VERSION);
    return e->mutations != 0 && (e->mutations & ~framing) == 0;
}

static bool mutations_keep_signature(const sd_event *e) {
    if (!e->mutated) return true;
    const uint64_t framing = (UINT64_C(1) << SD_MUT_SPLIT) | (UINT64_C(1) << SD_MUT_RECORD_VERSION);
    return e->mutations != 0 && (e->mutations & ~framing) == 0;
}

/* Whether the side verified its peer and, having done so, claims it
 * authenticated (see claims.h). */
static bool accepted_peer(const sd_outcome *o) {
    if (!o->handshake_done) return false;
    if (!o->target_is_server) return true;
    switch (o->configured_client_auth) {
    case SD_CLIENT_AUTH_REQUIRE:
        return true;
    case SD_CLIENT_AUTH_REQUEST:
        return o->peer_authenticated;
    default:
        return false;
    }
}

/* The refusing label that applies to a credential (and the response
 * stapled to it, "" if none), or NULL. */
static const sd_claim_label *refusing_label(const sd_claim_labels *labels, const char *credential,
                                            const char *staple, bool shown_by_server, char *shown,
                                            size_t shown_len) {
    const sd_claim_label *own = sd_claim_label_find(labels, credential, shown_by_server);
    snprintf(shown, shown_len, "%s", credential);
    if (own && own->refuse) return own;
    if (!staple[0]) return NULL;
    char pair[sizeof((sd_claim_label *)0)->fixture];
    if ((size_t)snprintf(pair, sizeof pair, "%s+%s", credential, staple) >= sizeof pair) return NULL;
    const sd_claim_label *paired = sd_claim_label_find(labels, pair, shown_by_server);
    if (paired && paired->refuse) {
        memcpy(shown, pair, shown_len < sizeof pair ? shown_len : sizeof pair);
        shown[shown_len - 1] = '\0';
        return paired;
    }
    return NULL;
}

bool sd_claim_check(const sd_claim_labels *labels, const sd_outcome *o, sd_claim_violation *out) {
    if (!labels || labels->n == 0 || !accepted_peer(o)) return false;
    /* The driver shows the server's chain to a client under test and the
     * client's to a server under test. */
    bool shown_by_server = !o->target_is_server;
    bool signatures_kept = true;
    /* The Certificate with a fixture credential (and its TLS 1.3 staple),
     * then a TLS 1.2 CertificateStatus's staple. */
    int cert_step = -1;
    char credential[64] = "", staple[64] = "", signer[64] = "";
    for (size_t i = 0; i < o->n_events; i++) {
        const sd_event *e = &o->events[i];
        if (e->from != SD_FROM_PEER) continue;
        /* The first handshake of the first connection is judged: the
         * driver's Finished ends its flight of credentials, and what a
         * renegotiation or a later connection shows belongs to a handshake
         * whose completion the outcome does not tell apart. */
        if (e->connection != 0 || (e->kind == SD_EVENT_HANDSHAKE && e->code == SD_Finished)) break;
        if (e->kind == SD_EVENT_RAW) {
            /* Raw handshake bytes the driver wrote itself could be a
             * Certificate or CertificateStatus of any content. */
            if (e->code == SD_handshake && e->length > 0 &&
                (e->head[0] == SD_Certificate || e->head[0] == SD_CertificateStatus))
                return false;
            continue;
        }
        if (e->kind != SD_EVENT_HANDSHAKE) continue;
        if (e->code == SD_CertificateVerify || e->code == SD_ServerKeyExchange) {
            signatures_kept &= mutations_keep_signature(e);
            /* The key that signed must be the shown credential's own for its
             * defect to be what was shown (a `send CertificateVerify` after
             * `cert=` on the Certificate alone signs with the setup's). */
            if (e->signer == 0 || e->signer > SD_MAX_OUTCOME_CREDENTIALS)
                signatures_kept = false;
            else if (!signer[0])
                snprintf(signer, sizeof signer, "%s", o->credentials[e->signer - 1]);
            else if (strcmp(signer, o->credentials[e->signer - 1]) != 0)
                signatures_kept = false;
            continue;
        }
        if (e->code != SD_Certificate && e->code != SD_CertificateStatus) continue;
        if (!mutations_keep_credential(e)) return false;
        if (e->credential == 0 || e->credential > SD_MAX_OUTCOME_CREDENTIALS) {
            /* An empty Certificate (`empty`), or more distinct credentials
             * than the outcome names: nothing known was shown. A second
             * Certificate of unknown content makes the first one's verdict
             * uncertain too. */
            if (e->code == SD_Certificate && credential[0]) return false;
            continue;
        }
        const char *name = o->credentials[e->credential - 1];
        if (e->code == SD_CertificateStatus) {
            if (credential[0] && !staple[0]) snprintf(staple, sizeof staple, "%s", name);
            continue;
        }
        if (credential[0]) {
            /* A second Certificate (after a HelloRetryRequest there is
             * none): judge the first one only if both show the same. */
            const char *comma = strchr(name, ',');
            size_t n = comma ? (size_t)(comma - name) : strlen(name);
            if (strlen(credential) != n || memcmp(credential, name, n) != 0) return false;
            continue;
        }
        const char *comma = strchr(name, ',');
        size_t n = comma ? (size_t)(comma - name) : strlen(name);
        if (n >= sizeof credential) return false;
        memcpy(credential, name, n);
        credential[n] = '\0';
        if (comma) snprintf(staple, sizeof staple, "%s", comma + 1);
        cert_step = e->step;
    }
    if (!credential[0]) return false;
    char shown[sizeof out->shown];
    const sd_claim_label *l =
        refusing_label(labels, credential, staple, shown_by_server, shown, sizeof shown);
    if (!l) return false;
    /* key-mismatch: the chain is sound; its defect is the key that signed,
     * which a trace may swap for the right one (`sign-with=`, `cert=` on
     * the CertificateVerify). */
    if (l->signature_defect && (!signatures_kept || strcmp(signer, credential) != 0)) return false;
    if (out) {
        out->label = l;
        snprintf(out->shown, sizeof out->shown, "%s", shown);
        out->step = cert_step;
    }
    return true;
}

void sd_claim_signature(const char *target, const char *stack, const sd_outcome *o,
                        const sd_claim_violation *v, char *out, size_t out_len) {
    if (!out || out_len == 0) return;
    uint16_t version = o->configured_version;
    snprintf(out, out_len, "%s:claim:accepted-defective-credential(%s):by=%s:%s-%s:shown=%s",
             target && target[0] ? target : "trace", v->label->defect, stack,
             version == SD_TLS12 ? "tls12" : "tls13", o->target_is_server ? "server" : "client", v->shown);
}

void sd_claim_describe(const char *stack, const sd_outcome *o, const sd_claim_violation *v, char *out,
                       size_t out_len) {
    snprintf(
        out, out_len,
        "%s completed the handshake%s after being shown %s (step %d), which a verifying %s must refuse (%s): "
        "%s (claims.txt:%d)",
        stack, o->target_is_server && o->peer_authenticated ? ", the client authenticated," : "", v->shown,
        v->step, o->target_is_server ? "server" : "client", v->label->alerts, v->label->rule, v->label->line);
}
