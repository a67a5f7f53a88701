/* bench_handshake.c — in-memory handshakes per second, client and server in
 * one process, for each pairing of the model and BoringSSL, as ratios against
 * BoringSSL↔BoringSSL measured in the same run (machines here are noisy, so
 * only ratios mean anything). Two configurations: TLS 1.3 with X25519 and an
 * ECDSA P-256 leaf, and TLS 1.2 static RSA (TLS_RSA_WITH_AES_128_GCM_SHA256)
 * with an RSA-2048 leaf; then the same two resumed: TLS 1.3 PSK resumption
 * with a ticket (RFC 8446 §2.2, psk_dhe_ke: a key share but no certificate
 * or signature) and TLS 1.2 resumption by session id (RFC 5246 §7.3 Figure
 * 2: no key exchange at all) and by session ticket (RFC 5077 §3.1 Figure 2:
 * the same, the server's state in the ticket). For those, one full handshake of the pairing
 * sets up the session (the client's exported session, the server's ticket
 * key or session cache), and each timed handshake resumes it; a handshake
 * that does not resume stops the bench.
 *
 * usage: bench_handshake [seconds-per-pairing]   (default 2)
 *        bench_handshake --count N CLIENT SERVER 1.3|1.2|1.3-resumed|1.2-resumed|1.2-ticket
 * The second form runs exactly N handshakes of one pairing and no clock, for
 * instruction counting under `valgrind --tool=callgrind`, which other load
 * on the machine does not disturb: (Ir at N2 - Ir at N1) / (N2 - N1) is the
 * cost of one handshake without the start-up.
 *
 * The model's per-process cache of accepted chains (sd_verify_chain) and
 * its memo of public-key results (crypto/memo.c) are switched off, so that
 * every handshake verifies its chain and signs, generates and derives as
 * BoringSSL's does: the ratios compare the same work. A last line shows the
 * model client with both on, as a fuzz target runs it (here each handshake
 * has its own seed, so the memo seldom answers; in fuzzing every model run
 * has seed 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/pki.h"
#include "protocol/session_cache.h"
#include "protocol/target.h"
#include "wire/names.h"
#include "stacks/stacks.h"
#include "util/util.h"

typedef struct {
    const char *title;
    uint16_t version;
    const char *credential;
    const uint16_t *suites;
    size_t n_suites;
    bool resumed; /* each timed handshake resumes the session set up first */
    bool ticket;  /* TLS 1.2: by an RFC 5077 ticket rather than the session id */
} bench_config;

static const bench_config *current;

/* What a resumed handshake starts from: the client's exported session, and
 * (TLS 1.2) the servers' shared session cache. TLS 1.3 servers share their
 * ticket key through ticket_seed. */
static sd_span resume_session;
static sd_session_cache *server_cache;

static sd_target *make(const sd_target_ops *ops, sd_role role, const sd_pki *pki, uint64_t seed) {
    sd_target_config cfg = {
        .role = role,
        .min_version = current->version,
        .max_version = current->version,
        .credential = role == SD_ROLE_SERVER ? sd_pki_find(pki, current->credential) : NULL,
        .pki = pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = seed,
        .cipher_suites = current->suites,
        .n_cipher_suites = current->n_suites,
    };
    if (current->resumed) {
        if (role == SD_ROLE_CLIENT) cfg.resume_session = resume_session;
        cfg.session_tickets = role == SD_ROLE_SERVER && (current->version == SD_TLS13 || current->ticket);
        cfg.session_cache = role == SD_ROLE_SERVER ? server_cache : NULL;
        cfg.ticket_seed = 1;
    }
    sd_target_error err = {0};
    sd_target *t = ops->create(&cfg, &err);
    if (!t) {
        fprintf(stderr, "%s: %s\n", ops->name, err.text);
        exit(2);
    }
    return t;
}

/* One complete handshake; returns false if it did not complete, or (with a
 * session to resume) did not resume. With `session`, the client's session
 * after it is exported there. */
static bool one_handshake_keeping(const sd_target_ops *c_ops, const sd_target_ops *s_ops, const sd_pki *pki,
                                  uint64_t seed, sd_buf *buf, sd_buf *session) {
    sd_target *c = make(c_ops, SD_ROLE_CLIENT, pki, seed);
    sd_target *s = make(s_ops, SD_ROLE_SERVER, pki, seed);
    c->ops->start(c);
    for (int i = 0; i < 20; i++) {
        sd_buf_reset(buf);
        c->ops->drain(c, buf);
        if (buf->len) s->ops->feed(s, sd_buf_span(buf));
        size_t moved = buf->len;
        sd_buf_reset(buf);
        s->ops->drain(s, buf);
        if (buf->len) c->ops->feed(c, sd_buf_span(buf));
        if (!moved && !buf->len) break;
    }
    sd_target_status cs, ss;
    c->ops->status(c, &cs);
    s->ops->status(s, &ss);
    bool exported = !session || (c->ops->export_session && c->ops->export_session(c, session));
    c->ops->destroy(c);
    s->ops->destroy(s);
    bool resumed = !current->resumed || resume_session.len == 0 || (cs.resumed && ss.resumed);
    return cs.handshake_done && ss.handshake_done && exported && resumed;
}

static bool one_handshake(const sd_target_ops *c_ops, const sd_target_ops *s_ops, const sd_pki *pki,
                          uint64_t seed, sd_buf *buf) {
    return one_handshake_keeping(c_ops, s_ops, pki, seed, buf, NULL);
}

/* For a resumed configuration: a full handshake of the pairing whose
 * session the timed ones resume. */
static sd_buf session_blob;
static void set_up_session(const sd_target_ops *c, const sd_target_ops *s, const sd_pki *pki) {
    if (!current->resumed) return;
    sd_session_cache_free(server_cache);
    server_cache = sd_session_cache_new();
    sd_buf_reset(&session_blob);
    resume_session = (sd_span){0};
    sd_buf buf;
    sd_buf_init(&buf);
    bool ok = server_cache && one_handshake_keeping(c, s, pki, 1, &buf, &session_blob);
    sd_buf_free(&buf);
    if (!ok) {
        fprintf(stderr, "%s client with %s server: no session to resume\n", c->name, s->name);
        exit(1);
    }
    resume_session = sd_buf_span(&session_blob);
}

static double rate(const sd_target_ops *c, const sd_target_ops *s, const sd_pki *pki, double seconds) {
    set_up_session(c, s, pki);
    sd_buf buf;
    sd_buf_init(&buf);
    long n = 0;
    double start = sd_now_ms() / 1e3, end = start + seconds, t;
    while ((t = sd_now_ms() / 1e3) < end) {
        if (!one_handshake(c, s, pki, (uint64_t)n + 1, &buf)) {
            fprintf(stderr, "%s client with %s server: handshake did not %s\n", c->name, s->name,
                    current->resumed ? "complete and resume" : "complete");
            exit(1);
        }
        n++;
    }
    sd_buf_free(&buf);
    return (double)n / (t - start);
}

static const uint16_t rsa_gcm[] = {0x009C};
static const bench_config configs[] = {
    {"TLS 1.3, X25519, ECDSA P-256 leaf + intermediate", SD_TLS13, "leaf", NULL, 0, false, false},
    {"TLS 1.2 static RSA (TLS_RSA_WITH_AES_128_GCM_SHA256), RSA-2048 leaf + intermediate", SD_TLS12,
     "leaf-rsa", rsa_gcm, 1, false, false},
    {"TLS 1.3 PSK resumption (ticket, psk_dhe_ke, X25519)", SD_TLS13, "leaf", NULL, 0, true, false},
    {"TLS 1.2 resumption by session id (TLS_RSA_WITH_AES_128_GCM_SHA256)", SD_TLS12, "leaf-rsa", rsa_gcm, 1,
     true, false},
    {"TLS 1.2 resumption by session ticket, RFC 5077 (TLS_RSA_WITH_AES_128_GCM_SHA256)", SD_TLS12, "leaf-rsa",
     rsa_gcm, 1, true, true},
};

/* --count N CLIENT SERVER VERSION: N handshakes, no timing. */
static int run_count(int argc, char **argv, const sd_pki *pki) {
    long count = argc == 6 ? atol(argv[2]) : 0;
    const sd_target_ops *c = argc == 6 ? sd_target_find(argv[3]) : NULL;
    const sd_target_ops *s = argc == 6 ? sd_target_find(argv[4]) : NULL;
    current = argc != 6                             ? NULL
              : strcmp(argv[5], "1.3") == 0         ? &configs[0]
              : strcmp(argv[5], "1.2") == 0         ? &configs[1]
              : strcmp(argv[5], "1.3-resumed") == 0 ? &configs[2]
              : strcmp(argv[5], "1.2-resumed") == 0 ? &configs[3]
              : strcmp(argv[5], "1.2-ticket") == 0  ? &configs[4]
                                                    : NULL;
    if (count <= 0 || !c || !s || !current) {
        fprintf(stderr, "usage: %s --count N CLIENT SERVER 1.3|1.2|1.3-resumed|1.2-resumed|1.2-ticket\n",
                argv[0]);
        return 2;
    }
    set_up_session(c, s, pki);
    sd_buf buf;
    sd_buf_init(&buf);
    for (long n = 0; n < count; n++) {
        if (!one_handshake(c, s, pki, (uint64_t)n + 1, &buf)) {
            fprintf(stderr, "%s client with %s server: handshake did not complete\n", c->name, s->name);
            return 1;
        }
    }
    sd_buf_free(&buf);
    printf("%ld handshakes, %s client with %s server, %s\n", count, c->name, s->name, current->title);
    return 0;
}

int main(int argc, char **argv) {
    bool counted = argc > 1 && strcmp(argv[1], "--count") == 0;
    double seconds = argc > 1 && !counted ? atof(argv[1]) : 2.0;
    if (seconds <= 0) {
        fprintf(stderr,
                "usage: %s [seconds-per-pairing]\n       %s --count N CLIENT SERVER "
                "1.3|1.2|1.3-resumed|1.2-resumed|1.2-ticket\n",
                argv[0], argv[0]);
        return 2;
    }
    sd_pki pki;
    char err[256];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof(err))) {
        fprintf(stderr, "cannot load the fixture PKI: %s\n", err);
        return 2;
    }
    sd_verify_cache_set_enabled(false);
    sd_crypto_memo_set_enabled(false);
    if (counted) {
        int rc = run_count(argc, argv, &pki);
        sd_pki_free(&pki);
        return rc;
    }
    for (size_t c = 0; c < sizeof configs / sizeof configs[0]; c++) {
        current = &configs[c];
        printf("%s, in memory, one core, %.1f s each\n", current->title, seconds);
        double base = rate(&sd_target_boringssl, &sd_target_boringssl, &pki, seconds);
        printf("  %-28s %9.0f handshakes/s  1.00x\n", "boringssl <-> boringssl", base);
        const sd_target_ops *pairs[][2] = {
            {&sd_target_model, &sd_target_model},
            {&sd_target_model, &sd_target_boringssl},
            {&sd_target_boringssl, &sd_target_model},
        };
        for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
            double r = rate(pairs[i][0], pairs[i][1], &pki, seconds);
            char name[64];
            snprintf(name, sizeof(name), "%s <-> %s", pairs[i][0]->name, pairs[i][1]->name);
            printf("  %-28s %9.0f handshakes/s  %.2fx of boringssl\n", name, r, r / base);
        }
        sd_verify_cache_set_enabled(true);
        sd_crypto_memo_set_enabled(true);
        double cached = rate(&sd_target_model, &sd_target_boringssl, &pki, seconds);
        sd_verify_cache_set_enabled(false);
        sd_crypto_memo_set_enabled(false);
        printf(
            "  %-28s %9.0f handshakes/s  %.2fx of boringssl (chains and crypto remembered, as in fuzzing)\n",
            "model <-> boringssl", cached, cached / base);
    }
    sd_session_cache_free(server_cache);
    sd_buf_free(&session_blob);
    sd_pki_free(&pki);
    return 0;
}
