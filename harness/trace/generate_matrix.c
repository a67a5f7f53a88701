/* generate_matrix.c — gen-finished and gen-malformed over a pairwise
 * covering array of the handshake's parameters.
 *
 * The other runs of the families fix one combination each (AES-128-GCM,
 * X25519, an ECDSA P-256 or RSA credential); a stack's code for the others
 * (a SHA-384 transcript, a P-521 or FFDHE share, an Ed25519 or RSA-PSS
 * CertificateVerify, a client certificate of another type) goes untested
 * there. Here each version has four dimensions, cipher suite x group x the
 * server's credential x client authentication (none, or the client's
 * credential), and the families run over the rows of a covering array that
 * holds every pair of values that can occur together
 * (util/covering_array.h), in both roles: every Finished defect under
 * every suite, every malformed message next to every group and every
 * credential, at a fraction of the full product's rows.
 *
 * Each row becomes a profile (generate_family.h): `cipher-suite:`,
 * `groups:` (the only group the stack under test accepts or offers),
 * `credential:`, and with client authentication `client-auth: require` and
 * the client's credential. A stack that lacks a row's group, suite or key
 * type SKIPs that row's scenarios with the reason (BoringSSL: no X448, no
 * FFDHE, no DHE suites).
 *
 * The shapes: a TLS 1.3 server under test whose group is not X25519 answers
 * the driver's ClientHello (an X25519 share) with a HelloRetryRequest (RFC
 * 8446 §4.1.1), and its cases start after the retry as in the `hrr`
 * profile; a TLS 1.3 client under test offers its one group with a share,
 * so it meets no retry. TLS 1.2 plays the key exchange of the suite
 * (static RSA: no ServerKeyExchange). */
#include <stdio.h>
#include <string.h>

#include "trace/generate_family.h"
#include "util/covering_array.h"

/* One value of a dimension: how profile names and titles call it ("" where
 * the row has none), and what the header says (NULL: no header). */
typedef struct {
    const char *name;
    const char *value;
} param;

enum { DIM_SUITE, DIM_GROUP, DIM_CREDENTIAL, DIM_CLIENT_AUTH, N_DIMS };

typedef struct {
    const param *values[N_DIMS];
    unsigned counts[N_DIMS];
    bool (*allowed)(const unsigned *row, void *ctx);
} matrix;

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- TLS 1.3 ------------------------------------------------------------------
 * Every suite of RFC 8446 §B.4 the model has, every group of §4.2.7 it
 * has (FFDHE up to 3072 bits: the larger ones only cost time), every
 * fixture credential's key type, and a client certificate of each. Every
 * combination can occur: in TLS 1.3 the suite, the group and the
 * signature scheme are negotiated apart (§4.1.1). */
static const param suites13[] = {
    {"aes128", "TLS_AES_128_GCM_SHA256"},
    {"aes256", "TLS_AES_256_GCM_SHA384"},
    {"chacha", "TLS_CHACHA20_POLY1305_SHA256"},
};
static const param groups13[] = {
    {"x25519", "x25519"}, {"p256", "secp256r1"},      {"p384", "secp384r1"},      {"p521", "secp521r1"},
    {"x448", "x448"},     {"ffdhe2048", "ffdhe2048"}, {"ffdhe3072", "ffdhe3072"},
};
static const param credentials13[] = {
    {"ecdsa", "leaf"},         {"rsa", "leaf-rsa"},         {"ecdsa384", "leaf-p384"},
    {"ecdsa521", "leaf-p521"}, {"ed25519", "leaf-ed25519"},
};
static const param client_auth13[] = {
    {"", NULL},
    {"client-ecdsa", "client"},
    {"client-rsa", "client-rsa"},
    {"client-ecdsa384", "client-p384"},
    {"client-ed25519", "client-ed25519"},
};

static bool any_combination(const unsigned *row, void *ctx) {
    (void)row;
    (void)ctx;
    return true;
}

static const matrix matrix13 = {
    {suites13, groups13, credentials13, client_auth13},
    {COUNT(suites13), COUNT(groups13), COUNT(credentials13), COUNT(client_auth13)},
    any_combination,
};

/* --- TLS 1.2 ------------------------------------------------------------------
 * Every suite the model has; in TLS 1.2 the suite names the key exchange
 * and the server's key type (RFC 5246 §7.4.2, RFC 8422 §2, RFC 7919), so
 * the group and the credential must fit it: ECDHE takes an elliptic curve
 * (RFC 8422 §5.1.1), DHE an FFDHE group (RFC 7919 §3), static RSA none;
 * ECDSA suites an ECDSA key, the others an RSA key. X448 is left out: the
 * model's TLS 1.2 ECDHE has the curves of RFC 8422 it signs with. */
static const param suites12[] = {
    {"ecdhe-ecdsa-aes128gcm", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {"ecdhe-ecdsa-aes256gcm", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {"ecdhe-ecdsa-chacha", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {"ecdhe-ecdsa-aes128cbc", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {"ecdhe-rsa-aes128gcm", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {"ecdhe-rsa-aes256gcm", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {"ecdhe-rsa-chacha", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {"ecdhe-rsa-aes128cbc", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {"dhe-rsa-aes128gcm", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {"dhe-rsa-aes256gcm", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {"dhe-rsa-chacha", "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {"dhe-rsa-aes128cbc", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {"rsa-aes128gcm", "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {"rsa-aes256gcm", "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {"rsa-aes128cbc", "TLS_RSA_WITH_AES_128_CBC_SHA"},
};
/* The first value: no group (static RSA). */
static const param groups12[] = {
    {"", NULL},
    {"x25519", "x25519"},
    {"p256", "secp256r1"},
    {"p384", "secp384r1"},
    {"p521", "secp521r1"},
    {"ffdhe2048", "ffdhe2048"},
    {"ffdhe3072", "ffdhe3072"},
};
static const param credentials12[] = {
    {"ecdsa", "leaf"},
    {"ecdsa384", "leaf-p384"},
    {"ecdsa521", "leaf-p521"},
    {"rsa", "leaf-rsa"},
};
static const param client_auth12[] = {
    {"", NULL},
    {"client-ecdsa", "client"},
    {"client-rsa", "client-rsa"},
};

static bool fits12(const unsigned *row, void *ctx) {
    (void)ctx;
    const char *suite = suites12[row[DIM_SUITE]].value;
    const char *group = groups12[row[DIM_GROUP]].value;
    bool ecdsa_key = strncmp(credentials12[row[DIM_CREDENTIAL]].value, "leaf-rsa", 8) != 0;
    if (strncmp(suite, "TLS_RSA_", 8) == 0) return !group && !ecdsa_key;
    if (!group) return false;
    bool ffdhe = strncmp(group, "ffdhe", 5) == 0;
    if (strncmp(suite, "TLS_DHE_RSA_", 12) == 0) return ffdhe && !ecdsa_key;
    return !ffdhe && ecdsa_key == (strstr(suite, "_ECDSA_") != NULL);
}

static const matrix matrix12 = {
    {suites12, groups12, credentials12, client_auth12},
    {COUNT(suites12), COUNT(groups12), COUNT(credentials12), COUNT(client_auth12)},
    fits12,
};

/* --- Rows as profiles ------------------------------------------------------------ */

/* The most rows a version's array may have (the greedy construction needs
 * about the product of the two largest dimensions). */
#define MAX_ROWS 64

static const matrix *matrix_of(const gen_version *v) { return v->ccs_is_step ? &matrix12 : &matrix13; }

static size_t rows_of(const gen_version *v, unsigned rows[][N_DIMS]) {
    const matrix *m = matrix_of(v);
    return sd_covering_array(m->counts, N_DIMS, m->allowed, NULL, &rows[0][0], MAX_ROWS);
}

/* The elliptic curve of an ECDSA fixture credential; NULL for RSA. */
static const char *curve_of(const char *credential) {
    if (strcmp(credential, "leaf") == 0) return "secp256r1";
    if (strcmp(credential, "leaf-p384") == 0) return "secp384r1";
    if (strcmp(credential, "leaf-p521") == 0) return "secp521r1";
    return NULL;
}

/* A profile and the text it points into. */
typedef struct {
    gen_profile p;
    char name[96];
    char groups[48];
    char cert_mutation[48];
} row_profile;

static void make_profile(const gen_version *v, const unsigned *row, row_profile *out) {
    const matrix *m = matrix_of(v);
    const param *suite = &m->values[DIM_SUITE][row[DIM_SUITE]];
    const param *group = &m->values[DIM_GROUP][row[DIM_GROUP]];
    const param *credential = &m->values[DIM_CREDENTIAL][row[DIM_CREDENTIAL]];
    const param *client = &m->values[DIM_CLIENT_AUTH][row[DIM_CLIENT_AUTH]];
    memset(out, 0, sizeof *out);
    /* <suite>[-<group>]-<credential>[-client-<its credential>], each part
     * omitted where the row has none. */
    snprintf(out->name, sizeof out->name, "%s%s%s-%s%s%s", suite->name, *group->name ? "-" : "", group->name,
             credential->name, *client->name ? "-" : "", client->name);
    out->p.name = out->name;
    out->p.tag = "covering-array";
    out->p.credential = credential->value;
    out->p.suite = suite->value;
    out->p.client_auth = client->value != NULL;
    if (client->value) {
        out->p.client_credential = client->value;
        snprintf(out->cert_mutation, sizeof out->cert_mutation, " cert=%s", client->value);
        out->p.client_cert_mutation = out->cert_mutation;
    }
    if (group->value) {
        /* TLS 1.2: an ECDSA certificate's curve must be one the client
         * offers (RFC 8422 §5.1.1, §5.3), so the stack under test names it
         * after the row's group. */
        const char *curve = v->ccs_is_step ? curve_of(credential->value) : NULL;
        if (curve && strcmp(curve, group->value) != 0)
            snprintf(out->groups, sizeof out->groups, "%s,%s", group->value, curve);
        else
            snprintf(out->groups, sizeof out->groups, "%s", group->value);
        out->p.server_groups = out->p.client_groups = out->groups;
    }
    /* Finished is as long as the suite's hash in TLS 1.3 (RFC 8446 §4.4.4);
     * 12 bytes in TLS 1.2 (RFC 5246 §7.4.9). */
    if (!v->ccs_is_step && strstr(suite->value, "SHA384")) out->p.finished_len = 48;
    unsigned auth = out->p.client_auth ? SD_SHAPE_CLIENT_AUTH : 0;
    if (v->ccs_is_step) {
        unsigned kx = group->value ? 0 : SD_SHAPE_RSA_KX;
        out->p.server_flags = out->p.client_flags = SD_SHAPE_TLS12 | kx | auth;
    } else {
        /* The driver's ClientHello has an X25519 share only (RFC 8446
         * §4.1.1: another group needs a HelloRetryRequest). */
        out->p.server_flags = auth | (strcmp(group->value, "x25519") != 0 ? SD_SHAPE_HRR : 0);
        out->p.client_flags = auth;
        out->p.from_retry = out->p.server_flags & SD_SHAPE_HRR;
    }
}

/* The honest handshake of a row in one role; as gen_honest, but the TLS 1.3
 * shape without retry or client authentication has flags 0 too. */
static honest row_honest(const gen_version *v, const gen_profile *p, sd_role target) {
    honest h = {.v = v, .p = p, .target = target, .parameter_cases_only = true};
    h.driver = target == SD_ROLE_CLIENT ? SD_ROLE_SERVER : SD_ROLE_CLIENT;
    h.shape = sd_shape_with_flags(target == SD_ROLE_SERVER ? p->server_flags : p->client_flags);
    if (h.shape && p->from_retry) h.from = gen_after_retry(h.shape);
    return h;
}

void gen_matrix(gen *g, const gen_version *v) {
    unsigned rows[MAX_ROWS][N_DIMS];
    size_t n = rows_of(v, rows);
    if (n == 0) {
        gen_fail(g, "generate: no covering array for %s", v->name);
        return;
    }
    static const sd_role roles[] = {SD_ROLE_SERVER, SD_ROLE_CLIENT};
    for (size_t r = 0; r < n && g->ok; r++) {
        row_profile rp;
        make_profile(v, rows[r], &rp);
        for (size_t role = 0; role < 2 && g->ok; role++) {
            honest h = row_honest(v, &rp.p, roles[role]);
            if (!h.shape) {
                gen_fail(g, "generate: no shape for %s row %s", v->name, rp.name);
                return;
            }
            gen_finished(g, &h);
            gen_malformed(g, &h);
        }
    }
}

const char *gen_matrix_dimensions(const gen_version *v, char *buf, size_t len, size_t *n_rows) {
    static const char *const names[N_DIMS] = {"suite", "group", "credential", "client auth"};
    unsigned rows[MAX_ROWS][N_DIMS];
    *n_rows = rows_of(v, rows);
    const matrix *m = matrix_of(v);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t d = 0; d < N_DIMS && o < len; d++) {
        int k = snprintf(buf + o, len - o, "%s%s (%u)", d ? " x " : "", names[d], m->counts[d]);
        if (k < 0) break;
        o += (size_t)k;
    }
    return buf;
}
