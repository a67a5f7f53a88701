/* shim_args.c — a shim stack's argument vector for an sd_target_config; see
 * shim_args.h and docs/shim-contract.md ("Starting"). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "stacks/shim_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/session_cache.h"
#include "shim/shim_protocol.h"
#include "wire/names.h"

static const char *version_arg(uint16_t v) { return v == SD_TLS12 ? "1.2" : v == SD_TLS13 ? "1.3" : NULL; }

/* The fixture PKI's own PEM files of a credential: <dir>/<name>.chain.pem
 * and <dir>/<name>.key.pem. */
static bool credential_files(const sd_target_config *cfg, const sd_credential *cred, char *cert, char *key,
                             char *err, size_t err_len) {
    snprintf(cert, PATH_MAX, "%s/%s.chain.pem", cfg->pki->dir, cred->name);
    snprintf(key, PATH_MAX, "%s/%s.key.pem", cfg->pki->dir, cred->name);
    if (access(cert, R_OK) == 0 && access(key, R_OK) == 0) return true;
    sd_set_error(err, err_len, "credential \"%s\" has no PEM files in %s", cred->name, cfg->pki->dir);
    return false;
}

/* bytes as lower-case hex, NUL-terminated; NULL if out of memory. */
static char *hex_of(sd_span bytes) {
    char *hex = malloc(2 * bytes.len + 1);
    if (hex == NULL) return NULL;
    for (size_t i = 0; i < bytes.len; i++) snprintf(hex + 2 * i, 3, "%02x", bytes.data[i]);
    hex[2 * bytes.len] = '\0';
    return hex;
}

/* Code points as the shims' comma-separated IANA names (--groups,
 * --ciphers, --sigalgs); false, unsupported, for one no shim knows. */
static bool name_list(const uint16_t *ids, size_t n, const char *(*name_of)(uint16_t), const char *what,
                      char *out, size_t out_len, sd_target_error *err) {
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *name = name_of(ids[i]);
        if (name == NULL) {
            snprintf(err->text, sizeof err->text, "%s 0x%04x (the shims know it by no name)", what, ids[i]);
            err->unsupported = true;
            return false;
        }
        int w = snprintf(out + used, out_len - used, "%s%s", i ? "," : "", name);
        if (w < 0 || (size_t)w >= out_len - used) {
            snprintf(err->text, sizeof err->text, "too many %ss for a shim", what);
            return false;
        }
        used += (size_t)w;
    }
    return true;
}

bool sd_shim_args_build(sd_shim_args *a, const char *prog, const sd_target_config *cfg,
                        sd_target_error *error) {
    char *err = error->text;
    size_t err_len = sizeof error->text;
    memset(a, 0, sizeof *a);
    const char *minv = version_arg(cfg->min_version), *maxv = version_arg(cfg->max_version);
    if (!minv || !maxv || cfg->min_version > cfg->max_version) {
        snprintf(err, err_len, "unsupported version range 0x%04x..0x%04x (TLS 1.2..1.3 only)",
                 cfg->min_version, cfg->max_version);
        return false;
    }
    if (cfg->pki == NULL || cfg->pki->dir[0] == '\0') {
        snprintf(err, err_len, "a shim needs the PKI directory");
        return false;
    }
    /* 0-RTT goes to a shim as --max-early-data (server) and
     * --early-data-hex (client); a shim whose stack has none refuses them
     * itself, "unsupported:" (docs/shim-contract.md). */
    if (cfg->max_early_data > SHIM_MAX_EARLY_DATA || cfg->early_data.len > SHIM_MAX_EARLY_DATA) {
        snprintf(err, err_len, "0-RTT of %zu bytes (max_early_data %u); a shim takes up to %d",
                 cfg->early_data.len, (unsigned)cfg->max_early_data, SHIM_MAX_EARLY_DATA);
        return false;
    }
    if (cfg->role == SD_ROLE_CLIENT && cfg->resume_session.len > SHIM_MAX_SESSION) {
        snprintf(err, err_len, "a session of %zu bytes to resume; a shim takes up to %d",
                 cfg->resume_session.len, SHIM_MAX_SESSION);
        return false;
    }
    /* The contract has no flag that makes a shim's client ask for a
     * stapled OCSP response (status_request), and not every stack asks by
     * default: a scenario whose server staples one cannot count on it. */
    if (cfg->role == SD_ROLE_CLIENT && cfg->request_ocsp) {
        snprintf(err, err_len, "OCSP stapling (status_request) through a shim");
        error->unsupported = true;
        return false;
    }
    /* Nor one that sets a shim's ALPN protocols (RFC 7301): a scenario with
     * `alpn:` would test the library's default, no ALPN, instead. */
    if (cfg->alpn.len) {
        snprintf(err, err_len, "ALPN protocols (alpn:) through a shim");
        error->unsupported = true;
        return false;
    }
    /* Nor certificate compression (RFC 8879): the shim contract has no
     * switch for it, and the library's default (none) would be tested. */
    if (cfg->n_cert_compression) {
        snprintf(err, err_len, "certificate compression (certificate-compression:) through a shim");
        error->unsupported = true;
        return false;
    }
    if (cfg->app_reply.len > SHIM_MAX_APP_REPLY) {
        snprintf(err, err_len, "app_reply of %zu bytes; a shim takes up to %d", cfg->app_reply.len,
                 SHIM_MAX_APP_REPLY);
        return false;
    }
    /* The shims read the fixture PKI's own PEM files: <dir>/<name>.chain.pem,
     * <dir>/<name>.key.pem and <dir>/root.pem. */
    snprintf(a->trust, sizeof a->trust, "%s/root.pem", cfg->pki->dir);
    snprintf(a->now, sizeof a->now, "%lld", (long long)cfg->now);
    if (!name_list(cfg->groups, cfg->n_groups, shim_group_name, "group", a->groups, sizeof a->groups,
                   error) ||
        !name_list(cfg->cipher_suites, cfg->n_cipher_suites, shim_cipher_name, "cipher suite", a->ciphers,
                   sizeof a->ciphers, error) ||
        !name_list(cfg->sigalgs, cfg->n_sigalgs, shim_sigalg_name, "signature scheme", a->sigalgs,
                   sizeof a->sigalgs, error))
        return false;
    a->argv[a->argc++] = prog;
    a->argv[a->argc++] = "--role";
    a->argv[a->argc++] = cfg->role == SD_ROLE_SERVER ? "server" : "client";
    a->argv[a->argc++] = "--min-version";
    a->argv[a->argc++] = minv;
    a->argv[a->argc++] = "--max-version";
    a->argv[a->argc++] = maxv;
    a->argv[a->argc++] = "--trust";
    a->argv[a->argc++] = a->trust;
    a->argv[a->argc++] = "--time";
    a->argv[a->argc++] = a->now;
    /* The PKI's CRL, when it has one (<dir>/crl.pem), checked as the model
     * and the BoringSSL adapter check crl.der. It is the intermediate's,
     * which is no trust anchor: --crl-issuer names it for the shims that
     * need the signer when loading the CRL. */
    snprintf(a->crl, sizeof a->crl, "%s/crl.pem", cfg->pki->dir);
    snprintf(a->crl_issuer, sizeof a->crl_issuer, "%s/intermediate.pem", cfg->pki->dir);
    if (access(a->crl, R_OK) == 0) {
        a->argv[a->argc++] = "--crl";
        a->argv[a->argc++] = a->crl;
        if (access(a->crl_issuer, R_OK) == 0) {
            a->argv[a->argc++] = "--crl-issuer";
            a->argv[a->argc++] = a->crl_issuer;
        }
    }
    if (cfg->n_groups) {
        a->argv[a->argc++] = "--groups";
        a->argv[a->argc++] = a->groups;
    }
    if (cfg->n_cipher_suites) {
        a->argv[a->argc++] = "--ciphers";
        a->argv[a->argc++] = a->ciphers;
    }
    /* `signature-algorithms:`: a client offers these, a server asks for
     * them in its CertificateRequest; each accepts the peer's signature
     * under them only (docs/shim-contract.md), as the model does. A stack
     * that cannot send exactly this list refuses it, "unsupported:". */
    if (cfg->n_sigalgs) {
        a->argv[a->argc++] = "--sigalgs";
        a->argv[a->argc++] = a->sigalgs;
    }
    /* The server's credential, or the client's for client authentication:
     * --cert and --key serve both (docs/shim-contract.md). */
    const sd_credential *cred = cfg->role == SD_ROLE_SERVER ? cfg->credential : cfg->client_credential;
    if (cfg->role == SD_ROLE_SERVER && cred == NULL) {
        snprintf(err, err_len, "a server needs a credential");
        return false;
    }
    if (cred) {
        if (!credential_files(cfg, cred, a->cert, a->key, err, err_len)) return false;
        a->argv[a->argc++] = "--cert";
        a->argv[a->argc++] = a->cert;
        a->argv[a->argc++] = "--key";
        a->argv[a->argc++] = a->key;
    }
    if (cfg->role == SD_ROLE_SERVER) {
        a->argv[a->argc++] = "--client-auth";
        a->argv[a->argc++] = cfg->client_auth == SD_CLIENT_AUTH_REQUIRE   ? "require"
                             : cfg->client_auth == SD_CLIENT_AUTH_REQUEST ? "request"
                                                                          : "none";
    } else if (cfg->server_name) {
        a->argv[a->argc++] = "--server-name";
        a->argv[a->argc++] = cfg->server_name;
    }
    /* Resumption only when asked (docs/shim-contract.md), so that a run of
     * one connection starts the shim as it always did. A server issues
     * tickets when the scenario says so and keeps a session cache when the
     * run has several connections (the driver passes session_cache then).
     * A client asks for tickets and keeps them in a run of several
     * connections, which the driver marks with ticket_seed: in TLS 1.3 the
     * server's tickets need no request (RFC 8446 §4.6.1), but some stacks
     * (GnuTLS) ignore them unless told to keep them. */
    bool want_tickets = cfg->session_tickets || (cfg->role == SD_ROLE_CLIENT &&
                                                 (cfg->ticket_seed != 0 || cfg->resume_session.len > 0));
    if (want_tickets) {
        a->argv[a->argc++] = "--session-tickets";
        a->argv[a->argc++] = "on";
    }
    if (cfg->role == SD_ROLE_SERVER && cfg->session_cache) {
        a->argv[a->argc++] = "--session-cache";
        a->argv[a->argc++] = "on";
    }
    /* Off is the shim's default (docs/shim-contract.md): a HelloRequest or
     * a ClientHello after the handshake gets no_renegotiation (RFC 5246
     * §7.2.2), as sd_target_config.renegotiation == false asks. */
    if (cfg->renegotiation) {
        a->argv[a->argc++] = "--renegotiation";
        a->argv[a->argc++] = "on";
    }
    if (cfg->role == SD_ROLE_SERVER && cfg->max_early_data) {
        snprintf(a->max_early, sizeof a->max_early, "%u", (unsigned)cfg->max_early_data);
        a->argv[a->argc++] = "--max-early-data";
        a->argv[a->argc++] = a->max_early;
    }
    /* encrypt_then_mac (RFC 7366), max_fragment_length (RFC 6066 §4) and
     * record_size_limit (RFC 8449) go as the flags of the same names, each
     * only when the scenario asks: without them the shim's stack keeps its
     * own default, which the model ignores (it does not offer these, and
     * answers no offer of them). A stack that cannot honour one exactly
     * refuses it, "unsupported:" (docs/shim-contract.md). */
    if (cfg->encrypt_then_mac) {
        a->argv[a->argc++] = "--encrypt-then-mac";
        a->argv[a->argc++] = "on";
    }
    if (cfg->max_fragment_length) {
        if (cfg->max_fragment_length > 4) {
            snprintf(err, err_len, "max_fragment_length code %u (RFC 6066 §4 has 1-4)",
                     (unsigned)cfg->max_fragment_length);
            return false;
        }
        /* The MaxFragmentLength code n stands for 2^(8+n) bytes (§4). */
        snprintf(a->max_fragment, sizeof a->max_fragment, "%u", 1u << (8 + cfg->max_fragment_length));
        a->argv[a->argc++] = "--max-fragment-length";
        a->argv[a->argc++] = a->max_fragment;
    }
    if (cfg->record_size_limit) {
        snprintf(a->record_limit, sizeof a->record_limit, "%u", (unsigned)cfg->record_size_limit);
        a->argv[a->argc++] = "--record-size-limit";
        a->argv[a->argc++] = a->record_limit;
    }
    /* Bytes in hex: argv cannot carry every byte as it is. */
    if (cfg->app_reply.len) {
        if ((a->reply_hex = hex_of(cfg->app_reply)) == NULL) goto out_of_memory;
        a->argv[a->argc++] = "--app-reply-hex";
        a->argv[a->argc++] = a->reply_hex;
    }
    if (cfg->role == SD_ROLE_CLIENT && cfg->resume_session.len) {
        if ((a->session_hex = hex_of(cfg->resume_session)) == NULL) goto out_of_memory;
        a->argv[a->argc++] = "--resume-session-hex";
        a->argv[a->argc++] = a->session_hex;
    }
    if (cfg->role == SD_ROLE_CLIENT && cfg->early_data.len) {
        if ((a->early_hex = hex_of(cfg->early_data)) == NULL) goto out_of_memory;
        a->argv[a->argc++] = "--early-data-hex";
        a->argv[a->argc++] = a->early_hex;
    }
    snprintf(a->fd, sizeof a->fd, "%d", SD_SHIM_FD);
    a->argv[a->argc++] = "--fd";
    a->argv[a->argc++] = a->fd;
    a->argv[a->argc] = NULL;
    return true;
out_of_memory:
    sd_shim_args_free(a);
    snprintf(err, err_len, "out of memory");
    return false;
}

void sd_shim_args_free(sd_shim_args *a) {
    free(a->reply_hex);
    free(a->session_hex);
    free(a->early_hex);
    a->reply_hex = a->session_hex = a->early_hex = NULL;
}

char *sd_shim_args_join(const sd_shim_args *a) {
    size_t total = 1;
    for (int i = 0; i < a->argc; i++) total += strlen(a->argv[i]) + 1;
    char *args = malloc(total);
    if (args == NULL) return NULL;
    size_t used = 0;
    for (int i = 0; i < a->argc; i++) {
        size_t len = strlen(a->argv[i]);
        memcpy(args + used, a->argv[i], len);
        used += len;
        args[used++] = '\n';
    }
    args[used] = '\0';
    return args;
}

uint64_t sd_shim_token_new(void) {
    static uint64_t tokens;
    return ((uint64_t)getpid() << 32) ^ ++tokens;
}

static sd_span stack_key(const char *stack) { return sd_span_of((const uint8_t *)stack, strlen(stack)); }

bool sd_shim_token_put(sd_session_cache *cache, const char *name, const char *stack, uint64_t token) {
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(token >> (56 - 8 * i));
    return cache && sd_session_cache_put(cache, name, stack_key(stack), sd_span_of(bytes, sizeof bytes));
}

bool sd_shim_token_take(sd_session_cache *cache, const char *name, const char *stack, uint64_t token) {
    sd_span held;
    if (cache == NULL || !sd_session_cache_get(cache, name, stack_key(stack), &held) || held.len != 8)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | held.data[i];
    if (v != token) return false;
    sd_session_cache_remove(cache, name, stack_key(stack));
    return true;
}
