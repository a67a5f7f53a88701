/* generate.c — the generated scenario families, for TLS 1.3 and TLS 1.2;
 * see generate.h.
 *
 * Each family walks a table and writes one script per case, one generator
 * per family for both versions:
 *   gen-order      every handshake message (and TLS 1.2's ChangeCipherSpec)
 *                  that may not come next, at every place where the target
 *                  waits for the driver, and after the handshake
 *                  (generate_order.c);
 *   gen-malformed  each message the driver sends, truncated, emptied, with
 *                  trailing bytes, with a lying length, with a wrong type;
 *                  TLS 1.2's hellos' fields (generate_malformed.c);
 *   gen-finished   every way a Finished can be wrong, or missing
 *                  (generate_finished.c);
 *   gen-alert      every alert description at both levels at every place
 *                  the driver speaks, and alert records of the wrong kind
 *                  (generate_alert.c);
 *   gen-record     the record layer: sizes, empty records, unknown and
 *                  interleaved content types, premature application data,
 *                  ChangeCipherSpec records (generate_record.c);
 *   gen-certificate every defective credential of the fixture PKI, as the
 *                  server's and as the client's certificate, an empty list,
 *                  an unrequested CertificateEntry extension
 *                  (generate_certificate.c);
 *   gen-protection the driver's protected records tampered with over every
 *                  suite: flipped nonce, ciphertext, tag, MAC and padding,
 *                  CBC padding of the wrong content or length, TLS 1.3
 *                  inner padding, records at the size limits
 *                  (generate_protection.c).
 *
 * The expected outcome of each case is what the RFC of its version
 * prescribes; the RFC sentence is quoted from the citation tables of
 * generate_versions.c, which also say how the versions differ where a
 * family asks (generate_family.h). Where BoringSSL answers differently and
 * the difference is known and harmless (a SOFT verdict), the scenario
 * carries a note saying where in BoringSSL that answer comes from.
 *
 * Cases are left out, with the reason in a comment, where the RFC prescribes
 * no observable behaviour (a length that promises bytes never sent: the
 * receiver must simply wait) or where the model is known to deviate
 * (generate_order.c). Each version plays the honest handshakes of
 * gen_version: TLS 1.3 the shape a handshake starts in (no HelloRetryRequest,
 * no client authentication), then the HelloRetryRequest shapes from the
 * retry on (profiles `hrr` and `hrr-client-auth`); TLS 1.2 one shape per
 * key exchange profile. Over the resumption profiles (gen_version.resumption)
 * each case is two connections, an honest full handshake and then the
 * resumed one the case deviates in, whose order comes from the generator's
 * own rows (generate_resumed.c), with the PSK fields besides in TLS 1.3.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "trace/generate.h"

#include <stdlib.h>
#include <string.h>

#include "trace/generate_family.h"

const sd_generated_family sd_generated_families[] = {
    {"gen-order", "every message (and TLS 1.2 CCS) that may not come next, at every place the target waits"},
    {"gen-malformed",
     "each message the driver sends: truncated, empty, trailing bytes, lying lengths, wrong type; hellos"},
    {"gen-finished", "Finished flipped, truncated, extended, empty, all zero, wrong key, missing"},
    {"gen-alert",
     "each alert at each level at each point; TLS 1.2 warnings; alert records of the wrong size"},
    {"gen-record", "record layer: sizes, empty records, content types, interleaving, premature data, CCS"},
    {"gen-certificate",
     "each defective fixture credential as server and client certificate; empty list; entry extension"},
    {"gen-protection",
     "per suite: protected records with a flipped nonce, ciphertext, tag, MAC or padding; CBC and TLS 1.3 "
     "padding; size limits"},
};
const size_t sd_n_generated_families = sizeof(sd_generated_families) / sizeof(sd_generated_families[0]);

/* --- Driver ------------------------------------------------------------------ */

static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};

/* Role by role, every family over every profile of the version; gen-alert
 * over the profiles that ask for it (TLS 1.2: the first, whose places are a
 * superset of static RSA's; TLS 1.3: the HelloRetryRequest without client
 * authentication). */
static void generate_profiles(gen *g, const gen_version *v) {
    for (size_t r = 0; r < 2 && g->ok; r++) {
        for (size_t p = 0; p < v->n_profiles && g->ok; p++) {
            const gen_profile *profile = &v->profiles[p];
            unsigned flags = roles[r] == SD_ROLE_SERVER ? profile->server_flags : profile->client_flags;
            if (!flags) continue; /* not played in this role */
            honest h = gen_honest(v, profile, roles[r]);
            if (!h.shape) {
                gen_fail(g, "generate: no shape for %s profile %s", v->name, profile->name);
                return;
            }
            gen_order(g, &h);
            gen_malformed(g, &h);
            gen_finished(g, &h);
            if (profile->alerts) gen_alert(g, &h);
            gen_record(g, &h);
        }
    }
}

/* Resumption: connection 1 an honest full handshake, connection 2 the
 * resumed one under test (generate_resumed.c): every family that deviates
 * in the handshake (gen-order, gen-finished; gen-alert over the profiles
 * that ask for it), and in TLS 1.3 the PSK fields. The record layer of a
 * resumed connection is that of a full one (gen-record), and its messages
 * are those of the full handshake (gen-malformed). */
static void generate_resumption(gen *g, const gen_version *v) {
    for (size_t r = 0; r < 2 && g->ok; r++) {
        for (size_t p = 0; p < v->n_resumption && g->ok; p++) {
            const gen_profile *profile = &v->resumption[p];
            unsigned flags = roles[r] == SD_ROLE_SERVER ? profile->server_flags : profile->client_flags;
            if (!flags) continue; /* not played in this role */
            honest h = gen_honest(v, profile, roles[r]);
            if (!h.shape || !h.first) {
                gen_fail(g, "generate: no resumed shape for %s profile %s", v->name, profile->name);
                return;
            }
            gen_order(g, &h);
            gen_finished(g, &h);
            if (profile->alerts) gen_alert(g, &h);
            if (!v->ccs_is_step && p == 0) gen_psk_fields(g, &h);
            if (h.shape->flags & SD_SHAPE_EARLY_DATA) gen_early_data_cases(g, &h);
        }
    }
}

/* TLS 1.3: family by family, each in both roles, over the shape a handshake
 * starts in; then the HelloRetryRequest profiles. */
static void generate_tls13(gen *g) {
    static void (*const families[])(gen *, const honest *) = {gen_order, gen_malformed, gen_finished,
                                                              gen_alert, gen_record};
    for (size_t f = 0; f < sizeof families / sizeof families[0] && g->ok; f++) {
        for (size_t r = 0; r < 2 && g->ok; r++) {
            honest h = gen_honest(&gen_tls13, NULL, roles[r]);
            if (!h.shape) {
                gen_fail(g, "generate: no TLS 1.3 shape");
                return;
            }
            families[f](g, &h);
        }
    }
    if (g->ok) generate_profiles(g, &gen_tls13);
    if (g->ok) gen_certificate(g, &gen_tls13);
    if (g->ok) gen_protection(g, &gen_tls13);
    if (g->ok) gen_matrix(g, &gen_tls13);
    if (g->ok) generate_resumption(g, &gen_tls13);
}

/* TLS 1.2: every key exchange profile; no run without one. */
static void generate_tls12(gen *g) {
    generate_profiles(g, &gen_tls12);
    if (g->ok) gen_certificate(g, &gen_tls12);
    if (g->ok) gen_protection(g, &gen_tls12);
    if (g->ok) gen_matrix(g, &gen_tls12);
    if (g->ok) generate_resumption(g, &gen_tls12);
}

static bool generate(sd_generated *out, char *err, size_t err_len, bool tls13, bool tls12) {
    memset(out, 0, sizeof(*out));
    char dummy[8];
    gen g = {
        .out = out, .err = err_len ? err : dummy, .err_len = err_len ? err_len : sizeof(dummy), .ok = true};
    sd_buf_init(&g.text);
    if (tls13) generate_tls13(&g);
    if (g.ok && tls12) generate_tls12(&g);
    sd_buf_free(&g.text);
    if (!g.ok) {
        sd_generated_free(out);
        return false;
    }
    return true;
}

bool sd_generate_tls13(sd_generated *out, char *err, size_t err_len) {
    return generate(out, err, err_len, true, false);
}
bool sd_generate_tls12(sd_generated *out, char *err, size_t err_len) {
    return generate(out, err, err_len, false, true);
}
bool sd_generate_all(sd_generated *out, char *err, size_t err_len) {
    return generate(out, err, err_len, true, true);
}

const char *sd_generated_covering_array(bool tls12, char *buf, size_t len, size_t *n_rows) {
    return gen_matrix_dimensions(tls12 ? &gen_tls12 : &gen_tls13, buf, len, n_rows);
}

void sd_generated_free(sd_generated *g) {
    if (!g) return;
    for (size_t i = 0; i < g->n; i++) sd_scenario_free(&g->items[i]);
    free(g->items);
    memset(g, 0, sizeof(*g));
}

const char *sd_generated_family_of(const sd_scenario *s) {
    for (size_t t = 0; t < s->n_tags; t++)
        for (size_t f = 0; f < sd_n_generated_families; f++)
            if (strcmp(s->tags[t], sd_generated_families[f].name) == 0) return sd_generated_families[f].name;
    return NULL;
}
