/* record_seeds.c — records the seed corpus of fuzz_client_hello from real
 * handshakes.
 *
 *     record_seeds [-f] [OUT_DIR]     (default: <source>/corpus/fuzz_client_hello)
 *
 * Seeds are recorded, never written by hand, so they are what real clients
 * send. For each configuration below, a client target (BoringSSL's libssl,
 * or the model) is created and started; its first flight is drained, split
 * into records (sd_parse_record), reassembled into handshake messages, and
 * the body of the ClientHello (the fuzz target's input format) is written to
 * OUT_DIR/<stack>-<variant>. The body is checked with sd_parse_client_hello
 * first, so a seed is always a well-formed ClientHello.
 *
 * Existing files are kept unless -f is given: BoringSSL draws its random and
 * key shares from libcrypto, which cannot be seeded, so re-recording changes
 * those seeds' bytes (the model's are reproducible from their seed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto/pki.h"
#include "targets/target.h"
#include "wire/handshake.h"
#include "wire/names.h"
#include "wire/record.h"

typedef struct {
    const char *stack;   /* sd_target_find name */
    const char *variant; /* file name suffix */
    uint16_t min_version, max_version;
    const char *server_name;
    uint64_t seed;
} recording;

/* Distinct ClientHellos: each changes what the offer holds (SNI, the
 * TLS 1.2 suites and versions BoringSSL adds, a different random and key
 * share), so the fuzzer starts from several shapes. */
static const recording recordings[] = {
    {"boringssl", "tls13", SD_TLS13, SD_TLS13, SD_PKI_SERVER_NAME, 1},
    {"boringssl", "tls12-tls13", SD_TLS12, SD_TLS13, SD_PKI_SERVER_NAME, 1},
    {"boringssl", "tls13-no-sni", SD_TLS13, SD_TLS13, NULL, 1},
    {"boringssl", "tls12-tls13-no-sni", SD_TLS12, SD_TLS13, NULL, 1},
    {"model", "seed1", SD_TLS13, SD_TLS13, SD_PKI_SERVER_NAME, 1},
    {"model", "seed2", SD_TLS13, SD_TLS13, SD_PKI_SERVER_NAME, 2},
    {"model", "seed1-no-sni", SD_TLS13, SD_TLS13, NULL, 1},
};

/* Starts a client of this configuration and returns the body of its
 * ClientHello in `body`. */
static bool record_client_hello(const recording *r, const sd_pki *pki, sd_buf *body, char *err,
                                size_t err_len) {
    const sd_target_ops *ops = sd_target_find(r->stack);
    if (!ops) {
        snprintf(err, err_len, "no stack \"%s\"", r->stack);
        return false;
    }
    sd_target_config cfg = {
        .role = SD_ROLE_CLIENT,
        .min_version = r->min_version,
        .max_version = r->max_version,
        .pki = pki,
        .server_name = r->server_name,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = r->seed,
    };
    sd_target *t = ops->create(&cfg, err, err_len);
    if (!t) return false;
    t->ops->start(t);
    sd_buf flight;
    sd_buf_init(&flight);
    t->ops->drain(t, &flight);
    t->ops->destroy(t);

    bool ok = false;
    sd_hs_reassembler hs;
    sd_hs_reassembler_init(&hs);
    sd_reader rd = sd_reader_of(sd_buf_span(&flight));
    sd_record rec;
    uint8_t alert = 0;
    int got;
    while ((got = sd_parse_record(&rd, &rec, &alert)) == 1) {
        /* A client's first flight is plaintext handshake records (a
         * compatibility CCS may follow, RFC 8446 §D.4); stop at the first
         * record of another type. */
        if (rec.content_type != SD_handshake) break;
        sd_hs_reassembler_push(&hs, rec.fragment);
        sd_handshake_msg msg;
        int next = sd_hs_reassembler_next(&hs, 1u << 24, &msg, &alert);
        if (next < 0) {
            snprintf(err, err_len, "bad handshake framing (alert %u)", (unsigned)alert);
            goto done;
        }
        if (next == 0) continue; /* the ClientHello spans records */
        if (msg.type != SD_ClientHello) {
            snprintf(err, err_len, "first message is type %u, not ClientHello", (unsigned)msg.type);
            goto done;
        }
        sd_client_hello ch;
        if (!sd_parse_client_hello(msg.body, &ch, &alert)) {
            snprintf(err, err_len, "the recorded ClientHello does not parse (alert %s)",
                     sd_alert_name(alert) ? sd_alert_name(alert) : "?");
            goto done;
        }
        sd_buf_append_span(body, msg.body);
        ok = !body->failed;
        if (!ok) snprintf(err, err_len, "out of memory");
        goto done;
    }
    if (got < 0)
        snprintf(err, err_len, "malformed record in the first flight");
    else
        snprintf(err, err_len, "no ClientHello in the first flight (%zu bytes)", flight.len);
done:
    sd_hs_reassembler_free(&hs);
    sd_buf_free(&flight);
    return ok;
}

/* Writes data to path via a temporary file; says what failed on stderr. */
static bool write_file(const char *path, sd_span data) {
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "record_seeds: cannot write %s: %s\n", tmp, strerror(errno));
        return false;
    }
    bool ok = fwrite(data.data, 1, data.len, f) == data.len;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        fprintf(stderr, "record_seeds: cannot write %s: %s\n", path, strerror(errno));
        remove(tmp);
        return false;
    }
    return true;
}

int main(int argc, char **argv) {
    bool force = false;
    const char *out_dir = SHAKEDOWN_SOURCE_DIR "/corpus/fuzz_client_hello";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-f") == 0) {
            force = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: %s [-f] [OUT_DIR]\n"
                   "Records the ClientHello bodies of real clients (BoringSSL, the model) as\n"
                   "fuzz_client_hello seeds. Default OUT_DIR: %s. -f overwrites.\n",
                   argv[0], out_dir);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], argv[i]);
            return 2;
        } else {
            out_dir = argv[i];
        }
    }
    if (mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: cannot create %s: %s\n", argv[0], out_dir, strerror(errno));
        return 2;
    }

    sd_pki pki;
    char err[512];
    if (!sd_pki_load(&pki, sd_pki_default_dir(), err, sizeof err)) {
        fprintf(stderr, "%s: cannot load the fixture PKI from %s: %s\n", argv[0], sd_pki_default_dir(),
                err);
        return 2;
    }
    int status = 0;
    for (size_t i = 0; i < sizeof recordings / sizeof recordings[0]; i++) {
        const recording *r = &recordings[i];
        char path[1024];
        snprintf(path, sizeof path, "%s/%s-%s", out_dir, r->stack, r->variant);
        struct stat st;
        if (!force && stat(path, &st) == 0) {
            printf("kept      %s\n", path);
            continue;
        }
        sd_buf body;
        sd_buf_init(&body);
        if (!record_client_hello(r, &pki, &body, err, sizeof err)) {
            fprintf(stderr, "%s: %s-%s: %s\n", argv[0], r->stack, r->variant, err);
            status = 1;
        } else if (!write_file(path, sd_buf_span(&body))) {
            status = 1;
        } else {
            printf("recorded  %s (%zu bytes)\n", path, body.len);
        }
        sd_buf_free(&body);
    }
    sd_pki_free(&pki);
    return status;
}
