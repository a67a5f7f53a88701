/* trace.c — `shakedown trace`: convert traces between their forms, and
 * export a run of a trace as pcap + SSLKEYLOGFILE.
 *
 *   shakedown trace to-binary SCRIPT OUT     script (scenario or bare) -> binary trace
 *   shakedown trace to-script FILE           binary trace or script -> canonical script on stdout
 *   shakedown trace pcap FILE --out X.pcap --keylog X.keys [--stack NAME] ...
 *
 * A trace has three forms that convert losslessly (docs/architecture.md): the script
 * (harness/trace/script.c), the binary encoding (harness/trace/binary.c)
 * and the IR. `pcap` runs the trace once against a stack with the driver's
 * observers (driver.h on_bytes / on_secret) and writes what crossed the wire
 * as TCP over IPv4 on 127.0.0.1 (client port 49152, server port 443, so that
 * Wireshark dissects TLS without being told), with a three-way handshake
 * and sequence numbers so its TCP reassembly works, and the traffic secrets
 * in the NSS key log format, so Wireshark decrypts the handshake
 * (tls.keylog_file). The pcap is written with libpcap's pcap_dump API. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
/* libpcap's headers use the BSD types (u_char, u_int), which glibc only
 * declares with _DEFAULT_SOURCE. */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "cli/cli.h"
#include "crypto/pki.h"
#include "driver/driver.h"
#include "protocol/target.h"
#include "trace/binary.h"
#include "trace/fuzz_input.h"
#include "trace/trace.h"
#include "stacks/stacks.h"
#include "util/util.h"

static const char trace_cmd[] = "trace";

static void trace_usage(FILE *f) {
    fprintf(f, "usage: shakedown trace to-binary SCRIPT OUT\n"
               "       shakedown trace to-script FILE\n"
               "       shakedown trace pcap FILE --out X.pcap --keylog X.keys [options]\n"
               "\n"
               "Converts a trace between its forms, or exports one run of it for Wireshark.\n"
               "\n"
               "  to-binary   read a script (a scenario or bare actions) and write its binary\n"
               "              encoding to OUT (the fuzz_trace input format); a scenario's headers\n"
               "              (version, role, credential, suite, client-auth) go with it\n"
               "  to-script   print FILE, a binary trace or a script, as a canonical script\n"
               "              (a binary trace's setup as a comment)\n"
               "  pcap        run FILE against a stack and write the bytes on the wire as a pcap\n"
               "              (TCP/IPv4, 127.0.0.1, server port 443) and the traffic secrets as\n"
               "              an NSS key log: wireshark -o tls.keylog_file:X.keys X.pcap\n"
               "\n"
               "FILE for pcap: a script (*.sd scenario, or bare actions), a binary trace, or a\n"
               "fuzz input (corpus or crash file: --target, or the folder it is in).\n"
               "\n"
               "pcap options:\n"
               "  --out PATH      the pcap to write (required)\n"
               "  --keylog PATH   the key log to write (required)\n"
               "  --stack NAME    the stack to run against: model (default) or boringssl\n"
               "  --target NAME   FILE is an input of this fuzz target\n"
               "  --seed N        seed of the driver's and the model's randomness (default 1)\n"
               "  --pki DIR       fixture PKI (default $SHAKEDOWN_PKI_DIR, else the build's pki/)\n"
               "  -h, --help      this help\n"
               "\n"
               "exit codes: 0 done; 2 bad flag or unreadable/invalid file; 3 write error\n");
}

/* --- Reading a trace from any of its forms ---------------------------------- */

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Whole file, at most 1 MiB (the script loader's limit). */
static bool read_file(const char *path, uint8_t **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "shakedown trace: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    size_t cap = (1u << 20) + 1;
    uint8_t *data = malloc(cap);
    size_t n = data ? fread(data, 1, cap, f) : 0;
    bool bad = !data || ferror(f);
    fclose(f);
    if (bad || n == cap) {
        fprintf(stderr, "shakedown trace: %s: %s\n", path, bad ? "cannot read" : "larger than 1 MiB");
        free(data);
        return false;
    }
    *out = data;
    *len = n;
    return true;
}

typedef struct {
    sd_trace trace;
    sd_role role;
    bool have_role;
    bool is_scenario;
    sd_scenario scenario; /* when is_scenario: its headers (the trace is moved to trace) */
    bool is_fuzz_input;
    sd_fuzz_setup fuzz_setup; /* when is_fuzz_input: how its fuzz target runs it */
} loaded;

/* A binary trace, a scenario, a bare script, or (with a fuzz target) a
 * fuzz input. */
static bool load_trace(const char *path, const char *target, bool allow_fuzz, loaded *out) {
    memset(out, 0, sizeof *out);
    sd_trace_init(&out->trace);
    char err[700];
    if (has_suffix(path, ".sd")) {
        sd_scenario s;
        if (!sd_scenario_load(path, &s, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return false;
        }
        out->trace = s.trace;
        out->role = s.role;
        out->have_role = true;
        /* The headers (version, cipher suite, credential, client
         * authentication, tickets) are run as conform runs them. */
        out->is_scenario = true;
        out->scenario = s;
        sd_trace_init(&out->scenario.trace);
        return true; /* the trace moved out; nothing else in s is owned */
    }
    uint8_t *data;
    size_t len;
    if (!read_file(path, &data, &len)) return false;
    bool ok;
    if (!target && allow_fuzz) target = sd_fuzz_target_from_path(path);
    if (sd_trace_binary_is(data, len) && !(target && strcmp(target, "fuzz_trace") != 0)) {
        bool has_setup = false;
        ok =
            sd_trace_decode_with_setup(data, len, &out->trace, &out->fuzz_setup, &has_setup, err, sizeof err);
        if (!ok) fprintf(stderr, "%s: %s\n", path, err);
        /* A trace with its setup (version 3) runs as fuzz_trace runs it. */
        if (ok && has_setup) {
            out->role = out->fuzz_setup.role;
            out->have_role = true;
            out->is_fuzz_input = true;
        }
    } else if (target && allow_fuzz) {
        ok = len <= SD_FUZZ_MAX_INPUT &&
             sd_fuzz_input_build(target, data, len, &out->trace, &out->fuzz_setup, err, sizeof err);
        if (!ok)
            fprintf(stderr, "%s: %s\n", path, len > SD_FUZZ_MAX_INPUT ? "larger than a fuzz input" : err);
        out->role = out->fuzz_setup.role;
        out->have_role = ok;
        out->is_fuzz_input = ok;
    } else {
        ok = sd_trace_parse(path, (const char *)data, len, &out->trace, err, sizeof err);
        if (!ok) fprintf(stderr, "%s\n", err);
    }
    free(data);
    return ok;
}

/* --- to-binary, to-script ---------------------------------------------------- */

static int write_atomically(const char *path, const uint8_t *data, size_t len) {
    char err[4300];
    if (!sd_file_write_atomic(path, data, len, err, sizeof err)) {
        fprintf(stderr, "shakedown trace: %s\n", err);
        return SD_EXIT_HARNESS;
    }
    return SD_EXIT_OK;
}

static int to_binary(const char *in, const char *out_path) {
    loaded l;
    if (!load_trace(in, NULL, false, &l)) return SD_EXIT_USAGE;
    sd_buf b;
    sd_buf_init(&b);
    char err[300];
    int rc;
    /* A scenario's headers become the trace's setup, so that fuzz_trace
     * and repro run it as conform does; a binary trace keeps its own. */
    sd_fuzz_setup setup;
    const sd_fuzz_setup *with = l.is_fuzz_input ? &l.fuzz_setup : NULL;
    if (l.is_scenario) {
        sd_fuzz_setup_from_scenario(&l.scenario, &setup);
        with = &setup;
    }
    if (!sd_trace_encode_with_setup(&l.trace, with, &b, err, sizeof err)) {
        fprintf(stderr, "shakedown trace: %s: cannot encode: %s\n", in, err);
        rc = SD_EXIT_USAGE;
    } else {
        rc = write_atomically(out_path, b.data, b.len);
        if (rc == SD_EXIT_OK)
            printf("wrote %s (%zu bytes, %zu actions)\n", out_path, b.len, l.trace.n_actions);
    }
    sd_buf_free(&b);
    sd_trace_free(&l.trace);
    return rc;
}

static int to_script(const char *in) {
    loaded l;
    if (!load_trace(in, NULL, false, &l)) return SD_EXIT_USAGE;
    sd_buf s;
    sd_buf_init(&s);
    if (l.is_fuzz_input) {
        /* The setup has no action to print as; say it in a comment. */
        char setup[400];
        sd_fuzz_setup_describe(&l.fuzz_setup, setup, sizeof setup);
        sd_buf_appendf(&s, "# setup: %s\n", setup);
    }
    sd_trace_print(&l.trace, &s);
    if (s.len) fwrite(s.data, 1, s.len, stdout);
    sd_buf_free(&s);
    sd_trace_free(&l.trace);
    return SD_EXIT_OK;
}

/* --- pcap + keylog ------------------------------------------------------------- */

enum { CLIENT_PORT = 49152, SERVER_PORT = 443, MAX_SEGMENT = 16384 };

typedef struct {
    pcap_dumper_t *dumper;
    FILE *keylog;
    sd_role target_role;
    uint32_t seq[2]; /* next sequence number of [0] the client, [1] the server */
    uint64_t usec;   /* synthetic clock: 1 ms per packet, from a fixed start */
    unsigned packets;
    unsigned secrets;
    bool failed;
} exporter;

static uint16_t checksum_fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t checksum_add(uint32_t sum, const uint8_t *p, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

/* One TCP segment from the client (from_client) or the server, as a raw
 * IPv4 packet (LINKTYPE_RAW). */
static void emit(exporter *e, bool from_client, uint8_t flags, const uint8_t *payload, size_t len) {
    uint8_t pkt[20 + 20 + MAX_SEGMENT];
    size_t total = 40 + len;
    uint8_t *ip = pkt, *tcp = pkt + 20;
    memset(pkt, 0, 40);
    ip[0] = 0x45;
    ip[2] = (uint8_t)(total >> 8);
    ip[3] = (uint8_t)total;
    ip[4] = (uint8_t)(e->packets >> 8);
    ip[5] = (uint8_t)e->packets;
    ip[6] = 0x40; /* don't fragment */
    ip[8] = 64;   /* TTL */
    ip[9] = 6;    /* TCP */
    static const uint8_t lo[4] = {127, 0, 0, 1};
    memcpy(ip + 12, lo, 4);
    memcpy(ip + 16, lo, 4);
    uint16_t ipsum = checksum_fold(checksum_add(0, ip, 20));
    ip[10] = (uint8_t)(ipsum >> 8);
    ip[11] = (uint8_t)ipsum;

    int me = from_client ? 0 : 1;
    uint16_t sport = from_client ? CLIENT_PORT : SERVER_PORT, dport = from_client ? SERVER_PORT : CLIENT_PORT;
    uint32_t seq = e->seq[me], ack = e->seq[1 - me];
    tcp[0] = (uint8_t)(sport >> 8);
    tcp[1] = (uint8_t)sport;
    tcp[2] = (uint8_t)(dport >> 8);
    tcp[3] = (uint8_t)dport;
    for (int i = 0; i < 4; i++) {
        tcp[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
        tcp[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
    }
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp[14] = 0xff; /* window */
    tcp[15] = 0xff;
    if (len) memcpy(tcp + 20, payload, len);
    /* RFC 9293 §3.1: the checksum covers a pseudo-header (addresses,
     * protocol, TCP length) and the segment. */
    uint8_t pseudo[12];
    memcpy(pseudo, ip + 12, 8);
    pseudo[8] = 0;
    pseudo[9] = 6;
    pseudo[10] = (uint8_t)((20 + len) >> 8);
    pseudo[11] = (uint8_t)(20 + len);
    uint16_t tsum = checksum_fold(checksum_add(checksum_add(0, pseudo, 12), tcp, 20 + len));
    tcp[16] = (uint8_t)(tsum >> 8);
    tcp[17] = (uint8_t)tsum;

    struct pcap_pkthdr h;
    e->usec += 1000;
    h.ts.tv_sec = (time_t)(1767225600 + e->usec / 1000000); /* 2026-01-01, as SD_PKI_DEFAULT_TIME */
    h.ts.tv_usec = (suseconds_t)(e->usec % 1000000);
    h.caplen = h.len = (bpf_u_int32)total;
    pcap_dump((u_char *)e->dumper, &h, pkt);
    e->packets++;
    /* SYN and FIN count as one byte of sequence space. */
    e->seq[me] += (uint32_t)len + ((flags & 0x03) ? 1 : 0);
}

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };

static void on_bytes(void *ctx, sd_direction from, sd_span bytes) {
    exporter *e = ctx;
    /* The driver is the peer of the stack: it is the client when the stack
     * is the server. */
    bool driver_is_client = e->target_role == SD_ROLE_SERVER;
    bool from_client = (from == SD_FROM_PEER) == driver_is_client;
    for (size_t off = 0; off < bytes.len; off += MAX_SEGMENT) {
        size_t n = bytes.len - off < MAX_SEGMENT ? bytes.len - off : MAX_SEGMENT;
        emit(e, from_client, TCP_PSH | TCP_ACK, bytes.data + off, n);
    }
}

static void on_secret(void *ctx, const char *label, const uint8_t *client_random, const uint8_t *secret,
                      size_t secret_len) {
    exporter *e = ctx;
    /* NSS key log format: <label> <client_random hex> <secret hex>. */
    fprintf(e->keylog, "%s ", label);
    for (size_t i = 0; i < 32; i++) fprintf(e->keylog, "%02x", client_random[i]);
    fputc(' ', e->keylog);
    for (size_t i = 0; i < secret_len; i++) fprintf(e->keylog, "%02x", secret[i]);
    fputc('\n', e->keylog);
    e->secrets++;
}

static int pcap_export(const char *file, const char *target, const char *stack_name, uint64_t seed,
                       const char *pki_dir, const char *out_path, const char *keylog_path) {
    const sd_target_ops *stack = sd_target_find(stack_name);
    if (!stack) return sd_cli_usage_error(trace_cmd, "no stack '%s' (model or boringssl)", stack_name);
    loaded l;
    if (!load_trace(file, target, true, &l)) return SD_EXIT_USAGE;
    if (!l.have_role) l.role = sd_trace_role_under_test(&l.trace);

    sd_pki pki;
    char err[600];
    const char *dir = pki_dir ? pki_dir : sd_pki_default_dir();
    if (!sd_pki_load(&pki, dir, err, sizeof err)) {
        fprintf(stderr, "shakedown trace: cannot load the fixture PKI from %s: %s\n", dir, err);
        sd_trace_free(&l.trace);
        return SD_EXIT_USAGE;
    }
    int rc = SD_EXIT_OK;
    pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
    pcap_dumper_t *dumper = dead ? pcap_dump_open(dead, out_path) : NULL;
    FILE *keylog = fopen(keylog_path, "w");
    if (!dumper || !keylog) {
        fprintf(stderr, "shakedown trace: cannot write %s: %s\n", !dumper ? out_path : keylog_path,
                !dumper ? (dead ? pcap_geterr(dead) : "pcap_open_dead failed") : strerror(errno));
        rc = SD_EXIT_HARNESS;
    } else {
        exporter e = {.dumper = dumper, .keylog = keylog, .target_role = l.role, .seq = {1000, 5000}};
        /* The TCP three-way handshake, so that dissectors see a whole stream. */
        emit(&e, true, TCP_SYN, NULL, 0);
        emit(&e, false, TCP_SYN | TCP_ACK, NULL, 0);
        emit(&e, true, TCP_ACK, NULL, 0);

        sd_run_config cfg;
        sd_run_config_defaults(&cfg, stack, l.role, &pki);
        /* A scenario exactly as conform runs it (run/cells.c), so the
         * capture shows the handshake its verdict was about. */
        if (l.is_scenario) sd_run_config_apply_scenario(&cfg, &l.scenario);
        cfg.seed = seed;
        if (l.is_fuzz_input) sd_fuzz_setup_apply(&l.fuzz_setup, &cfg);
        cfg.on_bytes = on_bytes;
        cfg.on_secret = on_secret;
        cfg.observer_ctx = &e;
        sd_outcome o;
        sd_driver_run(&l.trace, &cfg, &o);

        emit(&e, true, TCP_FIN | TCP_ACK, NULL, 0);
        emit(&e, false, TCP_FIN | TCP_ACK, NULL, 0);
        emit(&e, true, TCP_ACK, NULL, 0);
        char what[300];
        sd_outcome_describe(&o, what, sizeof what);
        printf("ran %s against %s (stack is the %s): %s\n", file, stack->name, sd_role_name(l.role), what);
        printf("wrote %s (%u packets) and %s (%u secrets)\n", out_path, e.packets, keylog_path, e.secrets);
        printf("open with: wireshark -o tls.keylog_file:%s %s\n", keylog_path, out_path);
    }
    if (dumper) {
        if (pcap_dump_flush(dumper) != 0) rc = SD_EXIT_HARNESS;
        pcap_dump_close(dumper);
    }
    if (dead) pcap_close(dead);
    if (keylog && fclose(keylog) != 0) rc = SD_EXIT_HARNESS;
    sd_pki_free(&pki);
    sd_trace_free(&l.trace);
    return rc;
}

enum { OPT_OUT = 256, OPT_KEYLOG, OPT_STACK, OPT_TARGET, OPT_SEED, OPT_PKI };

int sd_cmd_trace(int argc, char **argv) {
    static const struct option longopts[] = {
        {"out", required_argument, NULL, OPT_OUT},
        {"keylog", required_argument, NULL, OPT_KEYLOG},
        {"stack", required_argument, NULL, OPT_STACK},
        {"target", required_argument, NULL, OPT_TARGET},
        {"seed", required_argument, NULL, OPT_SEED},
        {"pki", required_argument, NULL, OPT_PKI},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *keylog = NULL, *stack = "model", *target = NULL, *pki = NULL;
    uint64_t seed = 1;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_OUT:
            out = optarg;
            break;
        case OPT_KEYLOG:
            keylog = optarg;
            break;
        case OPT_STACK:
            stack = optarg;
            break;
        case OPT_TARGET:
            if (!sd_fuzz_target_known(optarg))
                return sd_cli_usage_error(trace_cmd, "no fuzz target '%s' (see shakedown repro --help)",
                                          optarg);
            target = optarg;
            break;
        case OPT_SEED:
            if (!sd_cli_parse_u64(optarg, &seed))
                return sd_cli_usage_error(trace_cmd, "--seed wants a number from 0 to 2^64-1, not '%s'",
                                          optarg);
            break;
        case OPT_PKI:
            pki = optarg;
            break;
        case 'h':
            trace_usage(stdout);
            return SD_EXIT_OK;
        default:
            return sd_cli_bad_option(trace_cmd, c, argv);
        }
    }
    if (optind >= argc) return sd_cli_usage_error(trace_cmd, "name what to do: to-binary, to-script or pcap");
    const char *verb = argv[optind];
    int n = argc - optind - 1;
    char **args = argv + optind + 1;
    if (strcmp(verb, "to-binary") == 0) {
        if (n != 2) return sd_cli_usage_error(trace_cmd, "to-binary takes SCRIPT OUT");
        return to_binary(args[0], args[1]);
    }
    if (strcmp(verb, "to-script") == 0) {
        if (n != 1) return sd_cli_usage_error(trace_cmd, "to-script takes one FILE");
        return to_script(args[0]);
    }
    if (strcmp(verb, "pcap") == 0) {
        if (n != 1) return sd_cli_usage_error(trace_cmd, "pcap takes one FILE");
        if (!out || !keylog)
            return sd_cli_usage_error(trace_cmd, "pcap needs --out X.pcap and --keylog X.keys");
        return pcap_export(args[0], target, stack, seed, pki, out, keylog);
    }
    return sd_cli_usage_error(trace_cmd, "unknown action '%s' (to-binary, to-script or pcap)", verb);
}
