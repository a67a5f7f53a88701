/* trace_mutation.c — the trace mutation engine; see trace_mutation.h. */
#include "trace_mutation.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "trace/binary.h"
#include "trace/trace.h"
#include "wire/handshake.h"
#include "wire/names.h"

typedef struct {
    uint64_t s;
} rng;

static uint32_t next(rng *r) {
    /* xorshift64*: small, and the same sequence on every platform. */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint32_t below(rng *r, uint32_t n) { return n ? next(r) % n : 0; }

/* The messages of each version's handshake (RFC 8446 §4, RFC 5246 §7.4),
 * then a few of the other version's, which a confused peer might send. A
 * random type is one of its trace's version, so that a TLS 1.2 trace gets
 * ServerKeyExchange dropped, repeated or sent out of place, not mostly
 * EncryptedExtensions. */
static const uint8_t tls13_types[] = {
    SD_ClientHello, SD_ServerHello,        SD_EncryptedExtensions, SD_Certificate,     SD_CertificateVerify,
    SD_Finished,    SD_CertificateRequest, SD_NewSessionTicket,    SD_KeyUpdate,       SD_EndOfEarlyData,
    SD_MessageHash, SD_HelloRequest,       SD_ServerKeyExchange,   SD_ServerHelloDone, SD_ClientKeyExchange,
};
static const uint8_t tls12_types[] = {
    SD_ClientHello,         SD_ServerHello,        SD_Certificate,
    SD_ServerKeyExchange,   SD_CertificateRequest, SD_ServerHelloDone,
    SD_ClientKeyExchange,   SD_CertificateVerify,  SD_Finished,
    SD_NewSessionTicket,    SD_HelloRequest,       SD_CertificateStatus,
    SD_EncryptedExtensions, SD_KeyUpdate,
};

/* The fixture PKI's credentials (corpus/pki/make_pki.c), with their key:
 * the honest ones and every defect, so that a `cert=`, `sign-with=` or a
 * setup presents each (validly signed where only one property is wrong:
 * expired, wrong name, revoked, ...). */
typedef enum { KEY_EC, KEY_RSA, KEY_ED25519 } key_kind;
/* Whose honest credential it is: a stack under test presents only these
 * (driver/fuzz_setup.c sd_fuzz_setup_runs); the driver presents any. */
typedef enum { DEFECTIVE, HONEST_SERVER, HONEST_CLIENT } honest_for;
static const struct {
    const char *name;
    key_kind key;
    honest_for honest;
} credentials[] = {
    {"leaf", KEY_EC, HONEST_SERVER},
    {"leaf-p384", KEY_EC, HONEST_SERVER},
    {"leaf-rsa", KEY_RSA, HONEST_SERVER},
    {"leaf-ed25519", KEY_ED25519, HONEST_SERVER},
    {"client", KEY_EC, HONEST_CLIENT},
    {"client-rsa", KEY_RSA, HONEST_CLIENT},
    {"client-ed25519", KEY_ED25519, HONEST_CLIENT},
    {"leaf-p521", KEY_EC, HONEST_SERVER},
    {"client-p384", KEY_EC, HONEST_CLIENT},
    {"client-p521", KEY_EC, HONEST_CLIENT},
    {"expired", KEY_EC, DEFECTIVE},
    {"not-yet-valid", KEY_EC, DEFECTIVE},
    {"wrong-name", KEY_EC, DEFECTIVE},
    {"unknown-ca", KEY_EC, DEFECTIVE},
    {"bad-signature", KEY_EC, DEFECTIVE},
    {"leaf-as-ca", KEY_EC, DEFECTIVE},
    {"ca-as-leaf", KEY_EC, DEFECTIVE},
    {"wrong-key-usage", KEY_EC, DEFECTIVE},
    {"wrong-eku", KEY_EC, DEFECTIVE},
    {"missing-intermediate", KEY_EC, DEFECTIVE},
    {"malformed-der", KEY_EC, DEFECTIVE},
    {"empty-chain", KEY_EC, DEFECTIVE},
    {"unknown-critical-extension", KEY_EC, DEFECTIVE},
    {"weak-key", KEY_RSA, DEFECTIVE},
    {"sha1-signature", KEY_EC, DEFECTIVE},
    {"md5-signature", KEY_EC, DEFECTIVE},
    {"key-mismatch", KEY_EC, DEFECTIVE},
    {"revoked", KEY_EC, DEFECTIVE},
};
#define N_CREDENTIALS (sizeof credentials / sizeof credentials[0])

const char *sd_trace_mutation_credential(size_t i) { return i < N_CREDENTIALS ? credentials[i].name : NULL; }

/* TLS 1.2 suites both stacks run (crypto/tls12.c's table), by the key the
 * server's certificate needs (RFC 5246 §7.4.2, RFC 8422 §2): ECDSA suites
 * an EC key, the RSA and static RSA suites an RSA key. TLS 1.3 suites do
 * not depend on the key (RFC 8446 §4.4.3). */
static const uint16_t tls12_ec_suites[] = {
    SD_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, SD_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    SD_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, SD_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA};
static const uint16_t tls12_rsa_suites[] = {SD_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                            SD_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                            SD_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                                            SD_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
                                            SD_TLS_RSA_WITH_AES_128_GCM_SHA256,
                                            SD_TLS_RSA_WITH_AES_256_GCM_SHA384,
                                            SD_TLS_RSA_WITH_AES_128_CBC_SHA};
static const uint16_t tls13_suites[] = {SD_TLS_AES_128_GCM_SHA256, SD_TLS_AES_256_GCM_SHA384,
                                        SD_TLS_CHACHA20_POLY1305_SHA256};

/* A trace and how it runs; `setup` holds the defaults of a trace without
 * one (TLS 1.3, the role its first ClientHello action implies). */
typedef struct {
    sd_trace t;
    sd_fuzz_setup setup;
    bool has_setup;
} work;

static bool tls12(const work *w) { return w->setup.version == SD_TLS12; }

static uint8_t some_type(rng *r, bool tls12_trace) {
    if (below(r, 16) == 0) return (uint8_t)next(r);
    if (tls12_trace) return tls12_types[below(r, sizeof tls12_types)];
    return tls13_types[below(r, sizeof tls13_types)];
}

/* A message for send and expect: in TLS 1.3 now and then the pseudo
 * message HelloRetryRequest (SD_MSG_TYPE_HELLO_RETRY_REQUEST; RFC 8446
 * §4.1.4: send asks the client for another share, expect takes only an
 * HRR), else a real type. Type mutations (SD_MUT_TYPE) take real types
 * only. */
static uint16_t some_message(rng *r, bool tls12_trace) {
    if (!tls12_trace && below(r, 12) == 0) return SD_MSG_TYPE_HELLO_RETRY_REQUEST;
    return some_type(r, tls12_trace);
}

static uint8_t some_alert(rng *r) {
    static const uint8_t common[] = {SD_close_notify,      SD_unexpected_message, SD_bad_record_mac,
                                     SD_handshake_failure, SD_bad_certificate,    SD_illegal_parameter,
                                     SD_decode_error,      SD_decrypt_error,      SD_user_canceled,
                                     SD_internal_error,    SD_missing_extension,  SD_certificate_required};
    if (below(r, 8) == 0) return (uint8_t)next(r);
    return common[below(r, sizeof common)];
}

static uint8_t *random_bytes(rng *r, size_t n) {
    if (n == 0) return NULL;
    uint8_t *b = malloc(n);
    if (b)
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)next(r);
    return b;
}

/* Byte edits of an owned buffer: flip, set, insert, erase. */
static void edit_bytes(rng *r, uint8_t **bytes, size_t *len) {
    switch (below(r, 4)) {
    case 0:
        if (*len) (*bytes)[below(r, (uint32_t)*len)] ^= (uint8_t)(1u << below(r, 8));
        return;
    case 1:
        if (*len) (*bytes)[below(r, (uint32_t)*len)] = (uint8_t)next(r);
        return;
    case 2: {
        if (*len >= 4096) return;
        uint8_t *g = realloc(*bytes, *len + 1);
        if (!g) return;
        size_t at = below(r, (uint32_t)*len + 1);
        memmove(g + at + 1, g + at, *len - at);
        g[at] = (uint8_t)next(r);
        *bytes = g;
        (*len)++;
        return;
    }
    default:
        if (*len) {
            size_t at = below(r, (uint32_t)*len);
            memmove(*bytes + at, *bytes + at + 1, *len - at - 1);
            (*len)--;
        }
        return;
    }
}

/* A flip offset: the first byte, one of the last, the middle, or one of
 * the first 256 (past the end wraps around, trace.h). */
static long some_offset(rng *r) {
    switch (below(r, 4)) {
    case 0:
        return 0;
    case 1:
        return -1 - (long)below(r, 4);
    case 2:
        return SD_OFFSET_MIDDLE;
    default:
        return (long)below(r, 256);
    }
}

/* An extension the driver's hellos, HelloRetryRequests or
 * EncryptedExtensions carry with a body to flip (flip-ext=): server_name,
 * supported_groups, signature_algorithms, ALPN, supported_versions, cookie,
 * psk_key_exchange_modes, key_share, renegotiation_info. */
static uint16_t some_extension_with_body(rng *r) {
    static const uint16_t exts[] = {0, 10, 13, 16, 43, 44, 45, 51, 65281};
    return exts[below(r, sizeof exts / sizeof exts[0])];
}

/* The end of a hello's random (random=, and what an expect of a hello
 * checks): mostly a downgrade sentinel of RFC 8446 §4.1.3, "DOWNGRD" then
 * 01 (TLS 1.2) or 00 (TLS 1.1 or below); now and then the whole
 * HelloRetryRequest random, or 1-32 bytes of anything. Fills *bytes with
 * 1-32 bytes (none if out of memory). */
static void some_random_tail(rng *r, uint8_t **bytes, size_t *len) {
    static const uint8_t sentinel[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01};
    unsigned pick = below(r, 8);
    *len = pick < 6 ? sizeof sentinel : pick == 6 ? SD_RANDOM_LEN : 1 + below(r, SD_RANDOM_LEN);
    *bytes = random_bytes(r, *len);
    if (!*bytes) {
        *len = 0;
        return;
    }
    if (pick < 6) {
        memcpy(*bytes, sentinel, sizeof sentinel);
        if (pick >= 4) (*bytes)[7] = 0x00;
    } else if (pick == 6) {
        memcpy(*bytes, sd_hrr_random, SD_RANDOM_LEN);
    }
}

/* A send-raw's fill= (trace.h): none, or a size on either side of a record
 * limit: TLSPlaintext 2^14 (RFC 8446 §5.1, RFC 5246 §6.2.1), TLS 1.3's
 * TLSInnerPlaintext 2^14+1 and TLSCiphertext 2^14+256 (§5.2, §5.4), TLS
 * 1.2's TLSCompressed 2^14+1024 (§6.2.2) and TLSCiphertext 2^14+2048
 * (§6.2.3); or, from a fill there is, one or two bytes more or less, so a
 * seed at a limit reaches the size just past it. */
static size_t some_fill(rng *r, size_t now) {
    static const size_t limits[] = {16384, 16385, 16640, 17408, 18432};
    if (now && below(r, 2)) {
        long step = (long)below(r, 2) + 1;
        long next_fill = (long)now + (below(r, 2) ? step : -step);
        if (next_fill < 1) next_fill = 1;
        if (next_fill > (long)SD_RAW_FILL_MAX) next_fill = SD_RAW_FILL_MAX;
        return (size_t)next_fill;
    }
    if (below(r, 6) == 0) return 0;
    size_t at = limits[below(r, sizeof limits / sizeof limits[0])];
    return at + below(r, 3) - 1; /* the limit, or one byte either side */
}

/* A random mutation of any kind, with an argument of its shape (values the
 * driver's messages make interesting, now and then any). */
static void random_mutation_of(rng *r, sd_mutation *m, sd_mutation_kind kind, bool tls12_trace) {
    memset(m, 0, sizeof *m);
    m->kind = kind;
    switch (sd_mutation_info_of(m->kind)->arg) {
    case SD_MUT_ARG_NONE:
        break;
    case SD_MUT_ARG_BYTES:
        m->bytes_len = below(r, 8);
        m->bytes = random_bytes(r, m->bytes_len);
        if (!m->bytes) m->bytes_len = 0;
        break;
    case SD_MUT_ARG_BYTES8: {
        /* A session id (session-id=): empty, the 32 bytes the RFCs allow
         * at most (RFC 8446 §4.1.2 legacy_session_id<0..32>), just past
         * that, or any length its one-byte prefix can say. */
        static const size_t lengths[] = {0, 1, 16, 31, 32, 33, 34, 64, 255};
        m->bytes_len =
            below(r, 4) == 0 ? below(r, 256) : lengths[below(r, sizeof lengths / sizeof lengths[0])];
        m->bytes = random_bytes(r, m->bytes_len);
        if (!m->bytes) m->bytes_len = 0;
        break;
    }
    case SD_MUT_ARG_BYTES32:
        some_random_tail(r, &m->bytes, &m->bytes_len);
        break;
    case SD_MUT_ARG_FLIP:
        m->offset = some_offset(r);
        m->value = 1 + below(r, 255);
        break;
    case SD_MUT_ARG_EXTENSION_FLIP:
        m->value = some_extension_with_body(r);
        m->offset = some_offset(r);
        m->mask = (uint8_t)(1 + below(r, 255));
        break;
    case SD_MUT_ARG_U24:
        /* length= now and then claims the largest length there is. */
        if (m->kind == SD_MUT_LENGTH)
            m->value = below(r, 4) == 0 ? 0xffffff : below(r, 512);
        else if (m->kind == SD_MUT_INNER_PADDING) {
            /* TLS 1.3 padding (RFC 8446 §5.4): a little, or enough to bring
             * a short record to the 2^14+1 bytes of TLSInnerPlaintext and
             * past it. */
            static const long paddings[] = {1, 15, 255, 16379, 16380, 16384, 16400};
            m->value = paddings[below(r, sizeof paddings / sizeof paddings[0])];
        } else if (m->kind == SD_MUT_UNCOMPRESSED_LENGTH || m->kind == SD_MUT_INFLATE) {
            /* RFC 8879 §4: a length one off, the largest, or a bomb's worth
             * of zeros (1 MiB: a bounded cost per execution). */
            static const long lengths[] = {0, 1, 255, 4096, 65536, 1 << 20, 0xffffff};
            size_t n = sizeof lengths / sizeof lengths[0] - (m->kind == SD_MUT_INFLATE ? 1 : 0);
            m->value = lengths[below(r, n)];
        } else
            m->value = 1 + below(r, 8);
        break;
    case SD_MUT_ARG_HANDSHAKE_TYPE:
        m->value = some_type(r, tls12_trace);
        break;
    case SD_MUT_ARG_U8_PAIR:
        /* cbc-padding=: a padding_length, and mostly the byte RFC 5246
         * §6.2.3.2 wants (the length itself), else one bit off it. */
        m->value = below(r, 256);
        m->mask = (uint8_t)(below(r, 2) ? m->value : m->value ^ (1u << below(r, 8)));
        break;
    case SD_MUT_ARG_SPLIT:
        m->value = 1 + below(r, 64);
        break;
    case SD_MUT_ARG_U8:
        if (m->kind == SD_MUT_SEQ_SKIP) {
            /* A record or two lost, now and then many. */
            m->value = below(r, 4) == 0 ? below(r, 256) : 1 + below(r, 2);
            break;
        }
        /* A PSK offer's counts and binder length: around the honest one
         * identity and the hash lengths (32, 48), now and then any. */
        m->value = below(r, 4) == 0 ? below(r, 256) : (long)(below(r, 3) + (below(r, 2) ? 31 : 0));
        break;
    case SD_MUT_ARG_CREDENTIAL: {
        const char *c = credentials[below(r, N_CREDENTIALS)].name;
        memcpy(m->text, c, strlen(c) + 1);
        break;
    }
    case SD_MUT_ARG_EXTENSION_BYTES:
        m->bytes_len = below(r, 8);
        m->bytes = random_bytes(r, m->bytes_len);
        if (!m->bytes) m->bytes_len = 0;
        /* fall through */
    case SD_MUT_ARG_EXTENSION: {
        /* Extensions the driver's messages carry, and one nobody knows. */
        static const uint16_t exts[] = {0, 10, 13, 16, 23, 43, 45, 51, 65281, 0xfde8};
        m->value = exts[below(r, sizeof exts / sizeof exts[0])];
        break;
    }
    /* record-version and premaster-version: the versions of SSL 3.0 to
     * TLS 1.3; add-suite: signalling values (TLS_FALLBACK_SCSV, RFC 7507;
     * TLS_EMPTY_RENEGOTIATION_INFO_SCSV, RFC 5746), a GREASE value
     * (RFC 8701) and suites of both versions; scheme: below. */
    case SD_MUT_ARG_U16:
        if (m->kind == SD_MUT_ADD_SUITE) {
            static const uint16_t suites[] = {0x5600, 0x00ff, 0x0a0a, 0x1301, 0xc02b, 0x009c};
            m->value = suites[below(r, sizeof suites / sizeof suites[0])];
        } else if (m->kind == SD_MUT_COMPRESSION_ALG) {
            /* RFC 8879 §3: zlib, brotli, zstd, none, the largest. */
            static const uint16_t algs[] = {0, 1, 2, 3, 0xffff};
            m->value = algs[below(r, sizeof algs / sizeof algs[0])];
        } else if (m->kind == SD_MUT_SCHEME) {
            /* scheme=: SHA-1 and PKCS#1 (refused in a TLS 1.3 CertificateVerify,
             * RFC 8446 §4.2.3), each curve's ECDSA, RSA-PSS of both key
             * kinds, Ed25519, Ed448, and a private-use value. */
            static const uint16_t schemes[] = {0x0201, 0x0203, 0x0401, 0x0403, 0x0503, 0x0603,
                                               0x0804, 0x0807, 0x0808, 0x0809, 0xfe00};
            m->value = schemes[below(r, sizeof schemes / sizeof schemes[0])];
        } else {
            m->value = 0x0300 + below(r, 5);
        }
        break;
    }
}

static void random_mutation(rng *r, sd_mutation *m, bool tls12_trace) {
    random_mutation_of(r, m, (sd_mutation_kind)below(r, SD_MUT_COUNT), tls12_trace);
}

static void free_action(sd_action *a) {
    free(a->bytes);
    for (size_t i = 0; i < a->n_mutations && i < SD_MAX_MUTATIONS; i++) free(a->mutations[i].bytes);
}

static void random_action(rng *r, sd_action *a, bool tls12_trace) {
    memset(a, 0, sizeof *a);
    /* expect-ccs: in TLS 1.2 the ChangeCipherSpec is a step of the
     * handshake (RFC 5246 §7.1), in TLS 1.3 an optional record the driver
     * otherwise skips (RFC 8446 §D.4). renegotiate: TLS 1.2 only (RFC 5246
     * §7.4.1.2; TLS 1.3 has none, RFC 8446 §4.1.2). */
    static const sd_action_kind kinds[] = {SD_ACT_SEND,         SD_ACT_SEND,         SD_ACT_EXPECT,
                                           SD_ACT_EXPECT,       SD_ACT_SEND_ALERT,   SD_ACT_SEND_CCS,
                                           SD_ACT_SEND_RAW,     SD_ACT_SEND_APPDATA, SD_ACT_EXPECT_APPDATA,
                                           SD_ACT_EXPECT_CLOSE, SD_ACT_EXPECT_CCS,   SD_ACT_RENEGOTIATE};
    size_t n_kinds = sizeof kinds / sizeof kinds[0] - (tls12_trace ? 0 : 1);
    a->kind = kinds[below(r, (uint32_t)n_kinds)];
    switch (a->kind) {
    case SD_ACT_SEND:
    case SD_ACT_EXPECT:
        a->msg_type = some_message(r, tls12_trace);
        break;
    case SD_ACT_RENEGOTIATE:
        a->msg_type = SD_ClientHello;
        break;
    case SD_ACT_SEND_ALERT:
        a->alert_level = below(r, 4) == 0 ? SD_ALERT_LEVEL_WARNING : SD_ALERT_LEVEL_FATAL;
        a->alert = some_alert(r);
        break;
    case SD_ACT_SEND_RAW:
        a->content_type = (uint8_t)(SD_change_cipher_spec + below(r, 5));
        a->encrypted = below(r, 2);
        a->bytes_len = below(r, 8);
        a->bytes = random_bytes(r, a->bytes_len);
        if (!a->bytes) a->bytes_len = 0;
        if (below(r, 4) == 0) a->fill = some_fill(r, 0);
        break;
    case SD_ACT_SEND_APPDATA:
    case SD_ACT_EXPECT_APPDATA:
        a->bytes_len = below(r, 8);
        a->bytes = random_bytes(r, a->bytes_len);
        if (!a->bytes) a->bytes_len = 0;
        /* Now and then a record-level deviation of the data's record
         * (trace.h sd_mutation_on_records). */
        if (a->kind == SD_ACT_SEND_APPDATA && below(r, 4) == 0) {
            static const sd_mutation_kind on_records[] = {SD_MUT_RECORD_FLIP, SD_MUT_CBC_PADDING,
                                                          SD_MUT_INNER_PADDING, SD_MUT_SEQ_SKIP};
            random_mutation_of(r, &a->mutations[a->n_mutations++],
                               on_records[below(r, sizeof on_records / sizeof on_records[0])], tls12_trace);
        }
        break;
    default:
        break;
    }
}

/* Deep copy of an action (its bytes and its mutations' bytes). */
static bool copy_action(const sd_action *from, sd_action *to) {
    *to = *from;
    to->bytes = NULL;
    for (size_t i = 0; i < SD_MAX_MUTATIONS; i++) to->mutations[i].bytes = NULL;
    if (from->bytes_len) {
        to->bytes = malloc(from->bytes_len);
        if (!to->bytes) return false;
        memcpy(to->bytes, from->bytes, from->bytes_len);
    }
    for (size_t i = 0; i < from->n_mutations && i < SD_MAX_MUTATIONS; i++) {
        const sd_mutation *m = &from->mutations[i];
        if (m->bytes_len) {
            to->mutations[i].bytes = malloc(m->bytes_len);
            if (!to->mutations[i].bytes) {
                to->n_mutations = i;
                free_action(to);
                return false;
            }
            memcpy(to->mutations[i].bytes, m->bytes, m->bytes_len);
        }
    }
    return true;
}

/* Opens a zeroed slot at index `at` (sd_trace_add appends; move it). */
static sd_action *insert_at(sd_trace *t, size_t at) {
    if (!sd_trace_add(t, SD_ACT_EXPECT_CLOSE)) return NULL;
    sd_action tmp = t->actions[t->n_actions - 1];
    memmove(&t->actions[at + 1], &t->actions[at], (t->n_actions - 1 - at) * sizeof(sd_action));
    t->actions[at] = tmp;
    return &t->actions[at];
}

static void remove_at(sd_trace *t, size_t at) {
    free_action(&t->actions[at]);
    memmove(&t->actions[at], &t->actions[at + 1], (t->n_actions - at - 1) * sizeof(sd_action));
    t->n_actions--;
}

/* An honest full handshake of one version and role (RFC 8446 §2 Figure 1,
 * RFC 5246 §7.3 Figure 1, with the ServerKeyExchange of the ECDHE suite the
 * default "leaf" credential gets): where a fuzzer starts when its input is
 * not a trace. The TLS 1.3 one with the stack as the server is written
 * without a setup, as before there were setups; the others with theirs. */
static void honest_start(rng *r, work *w) {
    typedef struct {
        bool driver_sends; /* else: expects */
        bool ccs;          /* a ChangeCipherSpec, not a handshake message */
        uint8_t type;
    } step;
    /* Each written from the driver's side of a server under test; a client
     * under test flips every step. */
    static const step tls13[] = {{true, false, SD_ClientHello},
                                 {false, false, SD_ServerHello},
                                 {false, false, SD_EncryptedExtensions},
                                 {false, false, SD_Certificate},
                                 {false, false, SD_CertificateVerify},
                                 {false, false, SD_Finished},
                                 {true, false, SD_Finished}};
    static const step tls12_steps[] = {{true, false, SD_ClientHello},
                                       {false, false, SD_ServerHello},
                                       {false, false, SD_Certificate},
                                       {false, false, SD_ServerKeyExchange},
                                       {false, false, SD_ServerHelloDone},
                                       {true, false, SD_ClientKeyExchange},
                                       {true, true, 0},
                                       {true, false, SD_Finished},
                                       {false, true, 0},
                                       {false, false, SD_Finished}};
    unsigned shape = below(r, 4);
    bool v12 = shape >= 2, client = shape % 2 == 1;
    const step *steps = v12 ? tls12_steps : tls13;
    size_t n = v12 ? sizeof tls12_steps / sizeof tls12_steps[0] : sizeof tls13 / sizeof tls13[0];
    memset(&w->setup, 0, sizeof w->setup);
    w->setup.role = client ? SD_ROLE_CLIENT : SD_ROLE_SERVER;
    w->setup.version = v12 ? SD_TLS12 : SD_TLS13;
    w->has_setup = v12 || client;
    for (size_t i = 0; i < n; i++) {
        /* The TLS 1.2 client under test sends its flight, then the server
         * its CCS and Finished: the same order, sides swapped. */
        bool sends = steps[i].driver_sends != client;
        sd_action_kind kind = steps[i].ccs ? (sends ? SD_ACT_SEND_CCS : SD_ACT_EXPECT_CCS)
                                           : (sends ? SD_ACT_SEND : SD_ACT_EXPECT);
        sd_action *a = sd_trace_add(&w->t, kind);
        if (a) a->msg_type = steps[i].type;
    }
}

static sd_action *pick_send(rng *r, sd_trace *t) {
    size_t n = 0;
    for (size_t i = 0; i < t->n_actions; i++)
        n += t->actions[i].kind == SD_ACT_SEND || t->actions[i].kind == SD_ACT_RENEGOTIATE;
    if (!n) return NULL;
    size_t k = below(r, (uint32_t)n);
    for (size_t i = 0; i < t->n_actions; i++)
        if ((t->actions[i].kind == SD_ACT_SEND || t->actions[i].kind == SD_ACT_RENEGOTIATE) && k-- == 0)
            return &t->actions[i];
    return NULL;
}

/* --- The setup --------------------------------------------------------------- */

static key_kind suite_key(uint16_t suite) {
    for (size_t i = 0; i < sizeof tls12_rsa_suites / sizeof tls12_rsa_suites[0]; i++)
        if (tls12_rsa_suites[i] == suite) return KEY_RSA;
    return KEY_EC;
}

static key_kind credential_key(const char *name) {
    for (size_t i = 0; i < N_CREDENTIALS; i++)
        if (strcmp(credentials[i].name, name) == 0) return credentials[i].key;
    return KEY_EC; /* "" is "leaf" */
}

/* Whether a certificate with this key serves a TLS 1.2 suite of that key
 * (suite_key): ECDHE_ECDSA takes an ECDSA or EdDSA key (RFC 8422 §2.1), the
 * RSA suites an RSA key (RFC 8422 §2.2, RFC 5246 §7.4.2). */
static bool serves(key_kind key, key_kind suite) {
    return suite == KEY_RSA ? key == KEY_RSA : key != KEY_RSA;
}

/* A credential: any (DEFECTIVE), or an honest one of `whose`; with
 * `match`, one that serves the suites of `key`. */
static const char *some_credential(rng *r, honest_for whose, bool match, key_kind key) {
    for (int tries = 0; tries < 256; tries++) {
        size_t i = below(r, N_CREDENTIALS);
        if ((whose == DEFECTIVE || credentials[i].honest == whose) &&
            (!match || serves(credentials[i].key, key)))
            return credentials[i].name;
    }
    if (whose == HONEST_CLIENT) return key == KEY_RSA ? "client-rsa" : "client";
    return key == KEY_RSA ? "leaf-rsa" : "leaf";
}

static void set_name(char out[64], const char *name) {
    size_t n = strlen(name);
    if (n > 63) n = 63;
    memcpy(out, name, n);
    out[n] = '\0';
}

/* The fixture PKI's OCSP responses (corpus/pki/make_pki.c), which a setup
 * whose client is under test has the driver staple (`staple:`): the good
 * one for "leaf", and the ones the client must refuse. */
static const char *const staples[] = {"ocsp-leaf", "ocsp-revoked", "ocsp-leaf-revoked",
                                      "ocsp-leaf-wrong-serial", "ocsp-leaf-stale"};

/* A suite for the setup's version that fits its server credential; now and
 * then 0, the driver's defaults. */
static uint16_t some_suite(rng *r, const sd_fuzz_setup *s) {
    if (below(r, 4) == 0) return 0;
    if (s->version != SD_TLS12) return tls13_suites[below(r, sizeof tls13_suites / sizeof tls13_suites[0])];
    if (credential_key(s->server_credential) == KEY_RSA)
        return tls12_rsa_suites[below(r, sizeof tls12_rsa_suites / sizeof tls12_rsa_suites[0])];
    return tls12_ec_suites[below(r, sizeof tls12_ec_suites / sizeof tls12_ec_suites[0])];
}

/* One change of how the trace runs. The values stay ones both stacks run
 * (driver/fuzz_setup.c sd_fuzz_setup_runs): fixture credentials, suites of
 * the version that fit the server's key. The role stays: a trace is
 * written from one side. */
static bool mutate_setup(rng *r, work *w) {
    sd_fuzz_setup *s = &w->setup;
    bool v12 = s->version == SD_TLS12;
    switch (below(r, 9)) {
    case 0: /* the other version; the suite follows */
        s->version = v12 ? SD_TLS13 : SD_TLS12;
        s->cipher_suite = some_suite(r, s);
        break;
    case 1: /* the server's credential: the driver's, any; the stack under test's, an honest one */
        set_name(s->server_credential,
                 some_credential(r, s->role == SD_ROLE_CLIENT ? DEFECTIVE : HONEST_SERVER,
                                 v12 && s->cipher_suite != 0, suite_key(s->cipher_suite)));
        break;
    case 2:
        s->cipher_suite = some_suite(r, s);
        break;
    case 3: /* client authentication, and the client's credential */
        s->client_auth = (sd_client_auth)below(r, 3);
        if (s->role == SD_ROLE_SERVER) {
            /* The driver's certificate as a client: defective ones too. */
            if (below(r, 4) == 0)
                s->client_credential[0] = '\0';
            else
                set_name(s->client_credential, some_credential(r, DEFECTIVE, false, KEY_EC));
        } else if (below(r, 3) == 0) {
            set_name(s->target_client_credential, some_credential(r, HONEST_CLIENT, false, KEY_EC));
        } else {
            s->target_client_credential[0] = '\0';
        }
        break;
    case 4:
        s->session_tickets = !s->session_tickets;
        break;
    case 5: /* a response to staple, or none; only the driver as server staples */
        if (s->role == SD_ROLE_CLIENT && below(r, 4) != 0)
            set_name(s->staple, staples[below(r, sizeof staples / sizeof staples[0])]);
        else
            s->staple[0] = '\0';
        break;
    case 6: { /* the versions the stack under test speaks (`versions:`): its own, or a range */
        static const uint16_t ranges[][2] = {
            {0, 0}, {SD_TLS12, SD_TLS13}, {SD_TLS12, SD_TLS13}, {SD_TLS12, SD_TLS12}, {SD_TLS13, SD_TLS13}};
        size_t k = below(r, sizeof ranges / sizeof ranges[0]);
        s->min_version = ranges[k][0];
        s->max_version = ranges[k][1];
        break;
    }
    case 7: /* 0-RTT allowed by the tickets, offered by a client under test */
        s->early_data = !s->early_data;
        break;
    default:
        s->announce_ticket = !s->announce_ticket;
        break;
    }
    /* A TLS 1.2 suite pinned on a stack that speaks TLS 1.3 too is a
     * setup BoringSSL cannot be configured for (sd_fuzz_setup_runs): the
     * driver's defaults then. */
    if (s->version == SD_TLS12 && s->cipher_suite && s->max_version >= SD_TLS13) s->cipher_suite = 0;
    w->has_setup = true;
    return true;
}

/* --- One change ---------------------------------------------------------------- */

/* One change. Returns false if it did not apply (the caller tries another).
 * The structural ones (insert, drop, duplicate, swap, insert a send) are
 * what reaches a skipped, repeated or reordered message of either
 * version; the others edit what an action sends. */
static bool mutate_once(rng *r, work *w) {
    sd_trace *t = &w->t;
    size_t n = t->n_actions;
    bool v12 = tls12(w);
    switch (below(r, 13)) {
    case 0: { /* insert a new action */
        if (n >= 64) return false;
        sd_action *a = insert_at(t, below(r, (uint32_t)n + 1));
        if (!a) return false;
        random_action(r, a, v12);
        return true;
    }
    case 1: /* insert an honest send of a message of the version: one the peer does not expect there */
    case 2: {
        if (n >= 64) return false;
        sd_action *a = insert_at(t, below(r, (uint32_t)n + 1));
        if (!a) return false;
        a->kind = SD_ACT_SEND;
        a->msg_type = some_message(r, v12);
        return true;
    }
    case 3: /* drop an action: a message skipped */
        if (!n) return false;
        remove_at(t, below(r, (uint32_t)n));
        return true;
    case 4: { /* duplicate an action: a message repeated, in place or later */
        if (!n || n >= 64) return false;
        size_t from = below(r, (uint32_t)n);
        sd_action copy;
        if (!copy_action(&t->actions[from], &copy)) return false;
        sd_action *a = insert_at(t, below(r, 2) ? from + 1 : below(r, (uint32_t)n + 1));
        if (!a) {
            free_action(&copy);
            return false;
        }
        *a = copy;
        return true;
    }
    case 5: { /* swap two actions: messages reordered, mostly neighbours */
        if (n < 2) return false;
        size_t i = below(r, (uint32_t)n), j;
        if (below(r, 2)) {
            j = i + 1 < n ? i + 1 : i - 1;
        } else {
            j = below(r, (uint32_t)n);
            if (i == j) return false;
        }
        sd_action tmp = t->actions[i];
        t->actions[i] = t->actions[j];
        t->actions[j] = tmp;
        return true;
    }
    case 6: { /* add a mutation to a send */
        sd_action *a = pick_send(r, t);
        if (!a || a->n_mutations >= SD_MAX_MUTATIONS) return false;
        random_mutation(r, &a->mutations[a->n_mutations++], v12);
        return true;
    }
    case 7: { /* drop a mutation */
        sd_action *a = pick_send(r, t);
        if (!a || !a->n_mutations) return false;
        size_t k = below(r, (uint32_t)a->n_mutations);
        free(a->mutations[k].bytes);
        memmove(&a->mutations[k], &a->mutations[k + 1], (a->n_mutations - k - 1) * sizeof(sd_mutation));
        a->n_mutations--;
        return true;
    }
    case 8: { /* change a mutation's value */
        sd_action *a = pick_send(r, t);
        if (!a || !a->n_mutations) return false;
        sd_mutation *m = &a->mutations[below(r, (uint32_t)a->n_mutations)];
        switch (sd_mutation_info_of(m->kind)->arg) {
        case SD_MUT_ARG_BYTES:
            edit_bytes(r, &m->bytes, &m->bytes_len);
            return true;
        case SD_MUT_ARG_BYTES8:
            /* One byte more or less, as far as the length prefix counts
             * (a 32-byte session id becomes 33). */
            edit_bytes(r, &m->bytes, &m->bytes_len);
            if (m->bytes_len > sd_mutation_arg_fields(SD_MUT_ARG_BYTES8)->bytes_max)
                m->bytes_len = sd_mutation_arg_fields(SD_MUT_ARG_BYTES8)->bytes_max;
            return true;
        case SD_MUT_ARG_BYTES32:
            /* One byte of the random's end changed, added or taken away,
             * within the 1-32 bytes a random has. */
            edit_bytes(r, &m->bytes, &m->bytes_len);
            if (m->bytes_len > SD_RANDOM_LEN) m->bytes_len = SD_RANDOM_LEN;
            if (m->bytes_len == 0) {
                free(m->bytes);
                some_random_tail(r, &m->bytes, &m->bytes_len);
            }
            return true;
        case SD_MUT_ARG_FLIP:
            if (below(r, 2))
                m->offset = m->offset == SD_OFFSET_MIDDLE ? 0 : m->offset + (long)below(r, 5) - 2;
            else
                m->value = 1 + below(r, 255);
            return true;
        case SD_MUT_ARG_EXTENSION_FLIP:
            switch (below(r, 3)) {
            case 0:
                m->offset = m->offset == SD_OFFSET_MIDDLE ? 0 : m->offset + (long)below(r, 5) - 2;
                break;
            case 1:
                m->mask = (uint8_t)(1 + below(r, 255));
                break;
            default:
                m->value = some_extension_with_body(r);
                break;
            }
            return true;
        case SD_MUT_ARG_U24:
            m->value = (long)below(r, 2) ? m->value + 1 : (m->value > 0 ? m->value - 1 : 0);
            return true;
        case SD_MUT_ARG_SPLIT:
            m->value = 1 + below(r, 64);
            return true;
        case SD_MUT_ARG_HANDSHAKE_TYPE:
            m->value = some_type(r, v12);
            return true;
        default:
            /* Another kind: random_mutation starts from a blank mutation,
             * so free what an add-ext's bytes held first. */
            free(m->bytes);
            random_mutation(r, m, v12);
            return true;
        }
    }
    case 9: { /* change an action's fields */
        if (!n) return false;
        sd_action *a = &t->actions[below(r, (uint32_t)n)];
        switch (a->kind) {
        case SD_ACT_SEND:
            a->msg_type = some_message(r, v12);
            return true;
        case SD_ACT_EXPECT:
            /* Another message, or, for a hello, the end of its random
             * checked (a downgrade sentinel, RFC 8446 §4.1.3) or not. */
            if (sd_expect_random_allowed(a->msg_type) && below(r, 2)) {
                free(a->bytes);
                a->bytes = NULL;
                a->bytes_len = 0;
                if (below(r, 2)) some_random_tail(r, &a->bytes, &a->bytes_len);
                return true;
            }
            a->msg_type = some_message(r, v12);
            if (!sd_expect_random_allowed(a->msg_type)) {
                free(a->bytes);
                a->bytes = NULL;
                a->bytes_len = 0;
            }
            return true;
        case SD_ACT_SEND_ALERT:
            if (below(r, 2))
                a->alert = some_alert(r);
            else
                a->alert_level = below(r, 3) ? (uint8_t)(1 + below(r, 2)) : (uint8_t)next(r);
            return true;
        case SD_ACT_SEND_RAW:
            /* The record's size: on either side of a limit (fill=). */
            if (below(r, 2)) {
                a->fill = some_fill(r, a->fill);
                return true;
            }
            /* fall through */
        case SD_ACT_SEND_CCS:
            /* none, plaintext, encrypted */
            switch (below(r, 3)) {
            case 0:
                a->force_plaintext = a->encrypted = false;
                break;
            case 1:
                a->force_plaintext = true, a->encrypted = false;
                break;
            default:
                a->force_plaintext = false, a->encrypted = true;
                break;
            }
            if (a->kind == SD_ACT_SEND_RAW && below(r, 2)) a->content_type = (uint8_t)(20 + below(r, 5));
            /* TLS 1.2: a CCS that installs a CVE-2014-0224 peer's keys
             * (trace.h), so that an early CCS a target takes is exploited. */
            if (a->kind == SD_ACT_SEND_CCS && v12) a->empty_master = below(r, 2);
            return true;
        default:
            return false;
        }
    }
    case 10:
    case 11: { /* edit a payload */
        if (!n) return false;
        sd_action *a = &t->actions[below(r, (uint32_t)n)];
        if (a->kind != SD_ACT_SEND_RAW && a->kind != SD_ACT_SEND_APPDATA && a->kind != SD_ACT_EXPECT_APPDATA)
            return false;
        edit_bytes(r, &a->bytes, &a->bytes_len);
        return true;
    }
    default: /* how the trace runs */
        return mutate_setup(r, w);
    }
}

static size_t encode_into(const work *w, uint8_t *out, size_t max) {
    sd_buf b;
    sd_buf_init(&b);
    size_t n = 0;
    if (sd_trace_encode_with_setup(&w->t, w->has_setup ? &w->setup : NULL, &b, NULL, 0) && b.len <= max) {
        memcpy(out, b.data, b.len);
        n = b.len;
    }
    sd_buf_free(&b);
    return n;
}

/* Decodes data into w; a trace without a setup gets the one fuzz_trace
 * runs it with (fuzz_input.h), to be written only if a change makes it
 * matter. */
static bool decode_work(const uint8_t *data, size_t size, work *w) {
    if (!sd_trace_decode_with_setup(data, size, &w->t, &w->setup, &w->has_setup, NULL, 0)) {
        sd_trace_init(&w->t);
        memset(&w->setup, 0, sizeof w->setup);
        w->has_setup = false;
        return false;
    }
    if (!w->has_setup) {
        w->setup.version = SD_TLS13;
        /* sd_trace_role_under_test (fuzz_input.c), which this engine does
         * not link: the first ClientHello action says. */
        w->setup.role = SD_ROLE_SERVER;
        for (size_t i = 0; i < w->t.n_actions; i++) {
            const sd_action *a = &w->t.actions[i];
            if ((a->kind == SD_ACT_SEND || a->kind == SD_ACT_EXPECT) && a->msg_type == SD_ClientHello) {
                if (a->kind == SD_ACT_EXPECT) w->setup.role = SD_ROLE_CLIENT;
                break;
            }
        }
    }
    return true;
}

size_t sd_trace_mutate(uint8_t *data, size_t size, size_t max_size, unsigned int seed) {
    rng r = {0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 1 | 1)};
    work w;
    if (!decode_work(data, size, &w)) honest_start(&r, &w);
    /* One to three changes, as libFuzzer stacks its own. */
    unsigned changes = 1 + below(&r, 3);
    for (unsigned i = 0, tries = 0; i < changes && tries < 32; tries++)
        if (mutate_once(&r, &w)) i++;
    size_t n = encode_into(&w, data, max_size);
    sd_trace_free(&w.t);
    if (n == 0 && size <= max_size) return size; /* nothing fit: leave the input as it was */
    return n;
}

size_t sd_trace_cross_over(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size, uint8_t *out,
                           size_t max_out, unsigned int seed) {
    rng r = {0xd1b54a32d192ed03ull ^ ((uint64_t)seed << 1 | 1)};
    work wa, wb, out_w;
    bool ok_a = decode_work(a, a_size, &wa);
    bool ok_b = decode_work(b, b_size, &wb);
    sd_trace_init(&out_w.t);
    /* The prefix's setup: it decides the version and role the first
     * actions were written for. */
    out_w.setup = ok_a ? wa.setup : wb.setup;
    out_w.has_setup = ok_a ? wa.has_setup : wb.has_setup;
    size_t cut_a = below(&r, (uint32_t)wa.t.n_actions + 1), cut_b = below(&r, (uint32_t)wb.t.n_actions + 1);
    bool ok = true;
    for (size_t i = 0; i < cut_a && ok; i++) {
        sd_action *slot = sd_trace_add(&out_w.t, SD_ACT_EXPECT_CLOSE);
        ok = slot && copy_action(&wa.t.actions[i], slot);
        if (slot && !ok) out_w.t.n_actions--;
    }
    for (size_t i = cut_b; i < wb.t.n_actions && ok && out_w.t.n_actions < 64; i++) {
        sd_action *slot = sd_trace_add(&out_w.t, SD_ACT_EXPECT_CLOSE);
        ok = slot && copy_action(&wb.t.actions[i], slot);
        if (slot && !ok) out_w.t.n_actions--;
    }
    size_t n = (ok_a || ok_b) ? encode_into(&out_w, out, max_out) : 0;
    sd_trace_free(&wa.t);
    sd_trace_free(&wb.t);
    sd_trace_free(&out_w.t);
    return n;
}
