/* binary.c — the binary trace encoding; see binary.h for the layout.
 *
 * One table of rules serves both directions: check_action() and
 * check_setup() say whether an action or a setup is expressible, and both
 * the encoder (before writing) and the decoder (after reading) call them,
 * so the two can never disagree about what a valid trace is. */
#include "trace/binary.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/handshake.h"
#include "wire/cert_compression.h"
#include "wire/names.h"
#include "util/util.h"

static const uint8_t magic[3] = {'S', 'D', 'T'};

/* The value limits are the script parser's (sd_mutation_arg_fields), so
 * that every decoded trace prints as a script that parses back (the three
 * forms of a trace convert losslessly). */

/* Every kind's binary version is one this build reads. */
#define SD_MUT_VERSION_CHECK(kind, name, arg, version)                     \
    _Static_assert((version) >= 1 && (version) <= SD_TRACE_BINARY_VERSION, \
                   "mutation " name ": binary version");
SD_MUTATIONS(SD_MUT_VERSION_CHECK)
#undef SD_MUT_VERSION_CHECK

/* The data of one action (payload, body=, append=) in all: printed as hex
 * it must fit one script line (SD_SCRIPT_MAX_LINE), and one record carries at
 * most 2^14 bytes (RFC 8446 §5.1), so more would only test record splitting. */
#define MAX_ACTION_DATA 16384u

/* FLAG_EMPTY_MASTER: SEND_CCS only, version 3; FLAG_FILL: SEND_RAW only,
 * version 2; FLAG_MUTATIONS: SEND_APPDATA only, version 2, a count (1..)
 * and record-level mutations follow the data (binary.h). */
enum { FLAG_PLAINTEXT = 1, FLAG_ENCRYPTED = 2, FLAG_EMPTY_MASTER = 4, FLAG_FILL = 8, FLAG_MUTATIONS = 16 };

/* SEND and EXPECT of the pseudo message HelloRetryRequest (msg_type
 * SD_MSG_TYPE_HELLO_RETRY_REQUEST, which does not fit the u8 msg_type
 * field) are written as their kind with this bit set, and no msg_type. */
/* EXPECT with a random to check (`expect ServerHello random=<hex>`, version
 * 2) is written as its kind with KIND_RANDOM_BIT set, then its msg_type and
 * bytes, so that a plain EXPECT keeps its bytes. */
enum {
    KIND_HRR_BIT = 0x80,
    KIND_SEND_HRR = KIND_HRR_BIT | SD_ACT_SEND,
    KIND_EXPECT_HRR = KIND_HRR_BIT | SD_ACT_EXPECT,
    KIND_RANDOM_BIT = 0x40,
    KIND_EXPECT_RANDOM = KIND_RANDOM_BIT | SD_ACT_EXPECT,
    /* EXPECT with psk=, if-full or if-announced (version 4): its kind with
     * this bit set (with the bits above as they apply), then after its
     * msg_type and random a u16 expect_psk and a u8 of EXPECT_IF_* flags. */
    KIND_PSK_BIT = 0x20
};

/* The flags byte after expect_psk. It began as the if-full flag, 0 or 1,
 * so traces written before if-announced read as ever. */
enum {
    EXPECT_IF_FULL = 0x01,
    EXPECT_IF_ANNOUNCED = 0x02,
    EXPECT_IF_ALL = EXPECT_IF_FULL | EXPECT_IF_ANNOUNCED
};

/* The expect carries psk=, if-full or if-announced, which only version 4
 * says. */
static bool expect_has_psk_options(const sd_action *a) {
    return a->kind == SD_ACT_EXPECT && (a->expect_psk || a->if_full || a->if_announced);
}

bool sd_trace_binary_is(const uint8_t *data, size_t len) {
    return data != NULL && len >= SD_TRACE_BINARY_HEADER_LEN && memcmp(data, magic, sizeof magic) == 0;
}

static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Length of a valid credential name in text, or 0 if it is not one. */
static size_t cert_name_len(const char *text, size_t cap) {
    size_t n = 0;
    while (n < cap && text[n] != '\0') {
        if (!is_name_char(text[n])) return 0;
        n++;
    }
    return n < cap ? n : 0; /* must be NUL-terminated inside the array */
}

/* --- The rules, shared by both directions --------------------------------- */

/* What a range error calls a mutation's value. */
static const char *value_noun(sd_mutation_arg arg) {
    switch (arg) {
    case SD_MUT_ARG_FLIP:
        return "flip mask";
    case SD_MUT_ARG_HANDSHAKE_TYPE:
        return "type";
    case SD_MUT_ARG_SPLIT:
        return "split";
    default:
        return "value";
    }
}

static bool check_mutation(const sd_mutation *m, char *why, size_t why_len) {
    const sd_mutation_info *info = sd_mutation_info_of(m->kind);
    if (info == NULL) {
        sd_set_error(why, why_len, "unknown mutation kind %d", (int)m->kind);
        return false;
    }
    const sd_mutation_fields *f = sd_mutation_arg_fields(info->arg);
    if (f->bytes && m->bytes_len > 0 && m->bytes == NULL)
        return sd_set_error(why, why_len, "bytes missing"), false;
    if (f->bytes && f->bytes_max && m->bytes_len > f->bytes_max)
        return sd_set_error(why, why_len, "%s= of %zu bytes (at most %zu)", info->name, m->bytes_len,
                            f->bytes_max),
               false;
    if (f->bytes && m->bytes_len < f->bytes_min)
        return sd_set_error(why, why_len, "%s= of %zu bytes (at least %zu)", info->name, m->bytes_len,
                            f->bytes_min),
               false;
    if (f->value && (m->value < f->value_min || m->value > f->value_max))
        return sd_set_error(why, why_len, "%s %ld not %ld-%ld", value_noun(info->arg), m->value, f->value_min,
                            f->value_max),
               false;
    if (f->text && cert_name_len(m->text, sizeof m->text) == 0)
        return sd_set_error(why, why_len, "%s= needs a credential name [a-z0-9._-]{1,%zu}", info->name,
                            sizeof m->text - 1),
               false;
    return true;
}

static bool uses_flags(sd_action_kind k) {
    return k == SD_ACT_SEND_ALERT || k == SD_ACT_SEND_CCS || k == SD_ACT_SEND_APPDATA || k == SD_ACT_SEND_RAW;
}

static bool uses_bytes(sd_action_kind k) {
    return k == SD_ACT_SEND_APPDATA || k == SD_ACT_SEND_RAW || k == SD_ACT_EXPECT_APPDATA;
}

static bool check_action(const sd_action *a, char *why, size_t why_len) {
    if ((unsigned)a->kind > (unsigned)SD_ACT_CONNECTION) {
        sd_set_error(why, why_len, "unknown action kind %d", (int)a->kind);
        return false;
    }
    size_t data = 0;
    if (uses_flags(a->kind) && a->force_plaintext && a->encrypted) {
        sd_set_error(why, why_len, "plaintext and encrypted contradict each other");
        return false;
    }
    if (a->empty_master && a->kind != SD_ACT_SEND_CCS) {
        sd_set_error(why, why_len, "empty-master belongs to send-ccs only");
        return false;
    }
    if (a->fill && a->kind != SD_ACT_SEND_RAW) {
        sd_set_error(why, why_len, "fill= belongs to send-raw only");
        return false;
    }
    if (a->fill > SD_RAW_FILL_MAX) {
        sd_set_error(why, why_len, "fill=%zu (1-%u)", a->fill, SD_RAW_FILL_MAX);
        return false;
    }
    if (uses_bytes(a->kind)) {
        if (a->bytes_len > 0 && a->bytes == NULL) return sd_set_error(why, why_len, "bytes missing"), false;
        data = a->bytes_len;
    }
    if ((a->kind == SD_ACT_SEND || a->kind == SD_ACT_EXPECT) && a->msg_type > 0xff &&
        a->msg_type != SD_MSG_TYPE_HELLO_RETRY_REQUEST) {
        sd_set_error(why, why_len, "handshake type %u not 0-255 or HelloRetryRequest", (unsigned)a->msg_type);
        return false;
    }
    if (a->kind == SD_ACT_EXPECT && a->bytes_len > 0) {
        if (a->bytes == NULL) return sd_set_error(why, why_len, "bytes missing"), false;
        if (!sd_expect_random_allowed(a->msg_type))
            return sd_set_error(why, why_len, "random= checks the random of a ClientHello or ServerHello"),
                   false;
        if (a->bytes_len > SD_RANDOM_LEN)
            return sd_set_error(why, why_len, "random= of %zu bytes (1-%d)", a->bytes_len, SD_RANDOM_LEN),
                   false;
    }
    if (a->kind == SD_ACT_EXPECT && a->expect_psk && a->msg_type != SD_ServerHello)
        return sd_set_error(why, why_len, "psk= checks a ServerHello's pre_shared_key"), false;
    if (a->kind == SD_ACT_EXPECT && a->if_announced && a->msg_type != SD_NewSessionTicket)
        return sd_set_error(why, why_len, "if-announced is for a NewSessionTicket (RFC 5077 §3.3)"), false;
    if (a->kind == SD_ACT_RENEGOTIATE && a->msg_type != SD_ClientHello) {
        sd_set_error(why, why_len, "renegotiate sends a ClientHello, not type %u", (unsigned)a->msg_type);
        return false;
    }
    bool takes_mutations =
        a->kind == SD_ACT_SEND || a->kind == SD_ACT_RENEGOTIATE || a->kind == SD_ACT_SEND_APPDATA;
    if (takes_mutations) {
        if (a->n_mutations > SD_MAX_MUTATIONS) {
            sd_set_error(why, why_len, "%zu mutations (max %d)", a->n_mutations, SD_MAX_MUTATIONS);
            return false;
        }
        for (size_t i = 0; i < a->n_mutations; i++) {
            const sd_mutation *m = &a->mutations[i];
            if (!check_mutation(m, why, why_len)) return false;
            if (a->kind == SD_ACT_SEND_APPDATA && !sd_mutation_on_records(m->kind))
                return sd_set_error(why, why_len, "send-appdata takes record mutations only, not %s=",
                                    sd_mutation_info_of(m->kind)->name),
                       false;
            if (sd_mutation_arg_fields(sd_mutation_info_of(m->kind)->arg)->bytes) {
                if (m->bytes_len > MAX_ACTION_DATA - data) {
                    sd_set_error(why, why_len, "more than %u bytes of data in one action", MAX_ACTION_DATA);
                    return false;
                }
                data += m->bytes_len;
            }
        }
    }
    if (data > MAX_ACTION_DATA) {
        sd_set_error(why, why_len, "more than %u bytes of data in one action", MAX_ACTION_DATA);
        return false;
    }
    return true;
}

/* The setup's ranges (binary.h): the values a scenario's headers can say. */
static bool check_setup(const sd_fuzz_setup *s, char *why, size_t why_len) {
    if (s->role != SD_ROLE_CLIENT && s->role != SD_ROLE_SERVER)
        return sd_set_error(why, why_len, "setup: role %d is neither client (0) nor server (1)",
                            (int)s->role),
               false;
    if (s->version != SD_TLS12 && s->version != SD_TLS13)
        return sd_set_error(why, why_len, "setup: version 0x%04x is neither TLS 1.2 nor TLS 1.3",
                            (unsigned)s->version),
               false;
    if (s->client_auth != SD_CLIENT_AUTH_NONE && s->client_auth != SD_CLIENT_AUTH_REQUEST &&
        s->client_auth != SD_CLIENT_AUTH_REQUIRE)
        return sd_set_error(why, why_len, "setup: client authentication %d is not 0-2", (int)s->client_auth),
               false;
    if (s->n_groups > SD_MAX_SCENARIO_GROUPS)
        return sd_set_error(why, why_len, "setup: %zu groups (0-%d)", s->n_groups, SD_MAX_SCENARIO_GROUPS),
               false;
    const char *names[] = {s->server_credential, s->client_credential, s->target_client_credential};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i][0] != '\0' && cert_name_len(names[i], sizeof s->server_credential) == 0)
            return sd_set_error(why, why_len, "setup: a credential name is not [a-z0-9._-]{1,%zu}",
                                sizeof s->server_credential - 1),
                   false;
    bool no_range = s->min_version == 0 && s->max_version == 0;
    bool known = (s->min_version == SD_TLS12 || s->min_version == SD_TLS13) &&
                 (s->max_version == SD_TLS12 || s->max_version == SD_TLS13);
    if (!no_range && (!known || s->min_version > s->max_version))
        return sd_set_error(why, why_len,
                            "setup: versions 0x%04x-0x%04x are not TLS 1.2 and/or 1.3, lowest first",
                            (unsigned)s->min_version, (unsigned)s->max_version),
               false;
    if (s->alpn_len > sizeof s->alpn ||
        (s->alpn_len && !sd_alpn_list_valid(sd_span_of(s->alpn, s->alpn_len))))
        return sd_set_error(
                   why, why_len,
                   "setup: the ALPN protocols are not a list of non-empty names (RFC 7301 §3.1) of at "
                   "most %zu bytes",
                   sizeof s->alpn),
               false;
    /* RFC 8449 §4: 64 at least, 2^14+1 (TLS 1.3's) at most, as
     * `record-size-limit:` takes. */
    if (s->record_size_limit && (s->record_size_limit < SD_RECORD_SIZE_LIMIT_MIN ||
                                 s->record_size_limit > SD_RECORD_SIZE_LIMIT_TLS13))
        return sd_set_error(why, why_len, "setup: record_size_limit %u is not 64-16385 (RFC 8449 §4)",
                            (unsigned)s->record_size_limit),
               false;
    if (s->max_fragment_length > 4)
        return sd_set_error(why, why_len, "setup: max_fragment_length code %u is not 1-4 (RFC 6066 §4)",
                            (unsigned)s->max_fragment_length),
               false;
    if (s->staple[0] != '\0' && cert_name_len(s->staple, sizeof s->staple) == 0)
        return sd_set_error(why, why_len, "setup: the stapled file's name is not [a-z0-9._-]{1,%zu}",
                            sizeof s->staple - 1),
               false;
    /* As `certificate-compression:` takes them: each once, each one this
     * build implements. */
    if (s->n_cert_compression > SD_MAX_CERT_COMPRESSION)
        return sd_set_error(why, why_len, "setup: %zu certificate compression algorithms (0-%d)",
                            s->n_cert_compression, SD_MAX_CERT_COMPRESSION),
               false;
    /* As `signature-algorithms:` takes them: each once. */
    if (s->n_sigalgs > SD_MAX_SCENARIO_SIGALGS)
        return sd_set_error(why, why_len, "setup: %zu signature schemes (0-%d)", s->n_sigalgs,
                            SD_MAX_SCENARIO_SIGALGS),
               false;
    for (size_t i = 0; i < s->n_sigalgs; i++)
        for (size_t j = 0; j < i; j++)
            if (s->sigalgs[j] == s->sigalgs[i])
                return sd_set_error(why, why_len, "setup: signature scheme 0x%04x is repeated",
                                    (unsigned)s->sigalgs[i]),
                       false;
    for (size_t i = 0; i < s->n_cert_compression; i++) {
        bool repeated = false;
        for (size_t j = 0; j < i; j++)
            repeated = repeated || s->cert_compression[j] == s->cert_compression[i];
        if (repeated || !sd_cert_compression_supported(s->cert_compression[i]))
            return sd_set_error(
                       why, why_len,
                       "setup: certificate compression algorithm %u is repeated or not zlib or brotli "
                       "(RFC 8879 §3)",
                       (unsigned)s->cert_compression[i]),
                   false;
    }
    return true;
}

/* --- Encoding ---------------------------------------------------------------- */

static void put_varint(sd_buf *out, uint64_t v) {
    while (v >= 0x80) {
        sd_buf_u8(out, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    sd_buf_u8(out, (uint8_t)v);
}

/* Zigzag: small magnitudes of either sign stay short (-1 -> 1, 1 -> 2). */
static uint64_t zigzag(long v) {
    uint64_t u = (uint64_t)(int64_t)v;
    return (u << 1) ^ (uint64_t)((int64_t)v >> 63);
}

static void put_bytes(sd_buf *out, const uint8_t *b, size_t n) {
    put_varint(out, n);
    if (n) sd_buf_append(out, b, n);
}

static uint8_t flags_of(const sd_action *a) {
    return (uint8_t)((a->force_plaintext ? FLAG_PLAINTEXT : 0) | (a->encrypted ? FLAG_ENCRYPTED : 0) |
                     (a->empty_master ? FLAG_EMPTY_MASTER : 0) | (a->fill ? FLAG_FILL : 0) |
                     (a->kind == SD_ACT_SEND_APPDATA && a->n_mutations ? FLAG_MUTATIONS : 0));
}

/* One encoding per shape (binary.h); check_mutation has passed. */
static void put_mutation(sd_buf *out, const sd_mutation *m) {
    sd_buf_u8(out, (uint8_t)m->kind);
    switch (sd_mutation_info_of(m->kind)->arg) {
    case SD_MUT_ARG_NONE:
        break;
    case SD_MUT_ARG_BYTES:
    case SD_MUT_ARG_BYTES8:
    case SD_MUT_ARG_BYTES32:
        put_bytes(out, m->bytes, m->bytes_len);
        break;
    case SD_MUT_ARG_FLIP:
        put_varint(out, zigzag(m->offset));
        sd_buf_u8(out, (uint8_t)m->value);
        break;
    case SD_MUT_ARG_EXTENSION_FLIP:
        sd_buf_u16(out, (uint16_t)m->value);
        put_varint(out, zigzag(m->offset));
        sd_buf_u8(out, m->mask);
        break;
    case SD_MUT_ARG_U24:
    case SD_MUT_ARG_SPLIT:
        put_varint(out, (uint64_t)m->value);
        break;
    case SD_MUT_ARG_HANDSHAKE_TYPE:
    case SD_MUT_ARG_U8:
        sd_buf_u8(out, (uint8_t)m->value);
        break;
    case SD_MUT_ARG_U8_PAIR:
        sd_buf_u8(out, (uint8_t)m->value);
        sd_buf_u8(out, m->mask);
        break;
    case SD_MUT_ARG_EXTENSION:
    case SD_MUT_ARG_U16:
        sd_buf_u16(out, (uint16_t)m->value);
        break;
    case SD_MUT_ARG_EXTENSION_BYTES:
        sd_buf_u16(out, (uint16_t)m->value);
        put_bytes(out, m->bytes, m->bytes_len);
        break;
    case SD_MUT_ARG_CREDENTIAL: {
        size_t n = cert_name_len(m->text, sizeof m->text);
        sd_buf_u8(out, (uint8_t)n);
        sd_buf_append(out, m->text, n);
        break;
    }
    }
}

static void put_name(sd_buf *out, const char *name, size_t cap) {
    size_t n = name[0] ? cert_name_len(name, cap) : 0;
    sd_buf_u8(out, (uint8_t)n);
    sd_buf_append(out, name, n);
}

/* SETUP_STAPLE: a name (the stapled file) follows the groups. A flag
 * rather than a name always there, so that the setups written before it
 * keep their bytes. */
/* SETUP_VERSIONS: the stack under test's versions (min, max) follow, after
 * the stapled file if there is one; the same reason. */
/* SETUP_EARLY_DATA: `early-data: on` (0-RTT, RFC 8446 §4.2.10); nothing
 * follows. A flag of its own, so the setups written before it read, and
 * encode, as they were. */
enum {
    SETUP_SESSION_TICKETS = 1,
    SETUP_ANNOUNCE_TICKET = 2,
    SETUP_STAPLE = 4,
    SETUP_VERSIONS = 8,
    SETUP_EARLY_DATA = 16,
    SETUP_RENEGOTIATION = 32,
    /* The ALPN protocols follow; the same reason. */
    SETUP_ALPN = 64,
    /* A second flags byte follows the first (the flags byte is full), never
     * 0: one encoding per setup. */
    SETUP_MORE_FLAGS = 128
};
/* The second flags byte. */
enum {
    /* The record_size_limit (RFC 8449) follows, last. */
    SETUP2_RECORD_SIZE_LIMIT = 1,
    /* The max_fragment_length code (RFC 6066 §4) follows, last. */
    SETUP2_MAX_FRAGMENT_LENGTH = 2,
    /* encrypt_then_mac (RFC 7366); nothing follows. */
    SETUP2_ENCRYPT_THEN_MAC = 4,
    /* The certificate compression algorithms (RFC 8879) follow. */
    SETUP2_CERT_COMPRESSION = 8,
    /* The signature schemes of `signature-algorithms:` follow, last. */
    SETUP2_SIGALGS = 16
};

/* Whether the setup needs the second flags byte. */
static bool has_flags2(const sd_fuzz_setup *s) {
    return s->record_size_limit || s->max_fragment_length || s->encrypt_then_mac || s->n_cert_compression ||
           s->n_sigalgs;
}

/* check_setup has passed. */
static void put_setup(sd_buf *out, const sd_fuzz_setup *s) {
    sd_buf_u8(out, (uint8_t)s->role);
    sd_buf_u16(out, s->version);
    sd_buf_u16(out, s->cipher_suite);
    sd_buf_u8(out, (uint8_t)s->client_auth);
    sd_buf_u8(out,
              (uint8_t)((s->session_tickets ? SETUP_SESSION_TICKETS : 0) |
                        (s->announce_ticket ? SETUP_ANNOUNCE_TICKET : 0) | (s->staple[0] ? SETUP_STAPLE : 0) |
                        (s->min_version ? SETUP_VERSIONS : 0) | (s->early_data ? SETUP_EARLY_DATA : 0) |
                        (s->renegotiation ? SETUP_RENEGOTIATION : 0) | (s->alpn_len ? SETUP_ALPN : 0) |
                        (has_flags2(s) ? SETUP_MORE_FLAGS : 0)));
    if (has_flags2(s))
        sd_buf_u8(out, (uint8_t)((s->record_size_limit ? SETUP2_RECORD_SIZE_LIMIT : 0) |
                                 (s->max_fragment_length ? SETUP2_MAX_FRAGMENT_LENGTH : 0) |
                                 (s->encrypt_then_mac ? SETUP2_ENCRYPT_THEN_MAC : 0) |
                                 (s->n_cert_compression ? SETUP2_CERT_COMPRESSION : 0) |
                                 (s->n_sigalgs ? SETUP2_SIGALGS : 0)));
    put_name(out, s->server_credential, sizeof s->server_credential);
    put_name(out, s->client_credential, sizeof s->client_credential);
    put_name(out, s->target_client_credential, sizeof s->target_client_credential);
    sd_buf_u8(out, (uint8_t)s->n_groups);
    for (size_t i = 0; i < s->n_groups; i++) sd_buf_u16(out, s->groups[i]);
    if (s->staple[0]) put_name(out, s->staple, sizeof s->staple);
    if (s->min_version) {
        sd_buf_u16(out, s->min_version);
        sd_buf_u16(out, s->max_version);
    }
    if (s->alpn_len) {
        sd_buf_u8(out, (uint8_t)s->alpn_len);
        sd_buf_append(out, s->alpn, s->alpn_len);
    }
    if (s->record_size_limit) sd_buf_u16(out, s->record_size_limit);
    if (s->max_fragment_length) sd_buf_u8(out, s->max_fragment_length);
    if (s->n_cert_compression) {
        sd_buf_u8(out, (uint8_t)s->n_cert_compression);
        for (size_t i = 0; i < s->n_cert_compression; i++) sd_buf_u16(out, s->cert_compression[i]);
    }
    if (s->n_sigalgs) {
        sd_buf_u8(out, (uint8_t)s->n_sigalgs);
        for (size_t i = 0; i < s->n_sigalgs; i++) sd_buf_u16(out, s->sigalgs[i]);
    }
}

static void put_action(sd_buf *out, const sd_action *a) {
    bool hrr = a->msg_type == SD_MSG_TYPE_HELLO_RETRY_REQUEST;
    uint8_t psk_bit = expect_has_psk_options(a) ? KIND_PSK_BIT : 0;
    if (hrr && a->kind == SD_ACT_SEND)
        sd_buf_u8(out, KIND_SEND_HRR);
    else if (hrr && a->kind == SD_ACT_EXPECT)
        sd_buf_u8(out, KIND_EXPECT_HRR | psk_bit);
    else if (a->kind == SD_ACT_EXPECT && a->bytes_len)
        sd_buf_u8(out, KIND_EXPECT_RANDOM | psk_bit);
    else
        sd_buf_u8(out, (uint8_t)(a->kind | psk_bit));
    switch (a->kind) {
    case SD_ACT_SEND:
    case SD_ACT_RENEGOTIATE:
        if (!hrr && a->kind == SD_ACT_SEND) sd_buf_u8(out, (uint8_t)a->msg_type);
        sd_buf_u8(out, (uint8_t)a->n_mutations);
        for (size_t i = 0; i < a->n_mutations; i++) put_mutation(out, &a->mutations[i]);
        break;
    case SD_ACT_EXPECT:
        if (!hrr) sd_buf_u8(out, (uint8_t)a->msg_type);
        if (a->bytes_len) put_bytes(out, a->bytes, a->bytes_len);
        if (psk_bit) {
            sd_buf_u16(out, a->expect_psk);
            sd_buf_u8(out, (uint8_t)((a->if_full ? EXPECT_IF_FULL : 0) |
                                     (a->if_announced ? EXPECT_IF_ANNOUNCED : 0)));
        }
        break;
    case SD_ACT_SEND_ALERT:
        sd_buf_u8(out, flags_of(a));
        sd_buf_u8(out, a->alert_level);
        sd_buf_u8(out, a->alert);
        break;
    case SD_ACT_SEND_CCS:
        sd_buf_u8(out, flags_of(a));
        break;
    case SD_ACT_SEND_APPDATA:
        sd_buf_u8(out, flags_of(a));
        put_bytes(out, a->bytes, a->bytes_len);
        if (a->n_mutations) {
            sd_buf_u8(out, (uint8_t)a->n_mutations);
            for (size_t i = 0; i < a->n_mutations; i++) put_mutation(out, &a->mutations[i]);
        }
        break;
    case SD_ACT_SEND_RAW:
        sd_buf_u8(out, flags_of(a));
        sd_buf_u8(out, a->content_type);
        put_bytes(out, a->bytes, a->bytes_len);
        if (a->fill) put_varint(out, a->fill);
        break;
    case SD_ACT_EXPECT_APPDATA:
        put_bytes(out, a->bytes, a->bytes_len);
        break;
    case SD_ACT_EXPECT_CLOSE:
    case SD_ACT_EXPECT_CCS:
    case SD_ACT_CONNECTION:
        break;
    }
}

/* The lowest version that can express the action (one encoding per trace:
 * a trace that version 1 can express is written as version 1): that of the
 * action kind, and of each mutation kind (SD_MUTATIONS). */
static int version_needed(const sd_action *a) {
    if (a->kind == SD_ACT_CONNECTION || expect_has_psk_options(a)) return SD_TRACE_BINARY_CONNECTIONS_VERSION;
    if (a->kind == SD_ACT_SEND_CCS && a->empty_master) return 3;
    int v = a->kind == SD_ACT_RENEGOTIATE || (a->kind == SD_ACT_EXPECT && a->bytes_len) ||
                    (a->kind == SD_ACT_SEND_RAW && a->fill) ||
                    (a->kind == SD_ACT_SEND_APPDATA && a->n_mutations)
                ? 2
                : 1;
    if (a->kind == SD_ACT_SEND || a->kind == SD_ACT_RENEGOTIATE || a->kind == SD_ACT_SEND_APPDATA)
        for (size_t i = 0; i < a->n_mutations; i++) {
            const sd_mutation_info *info = sd_mutation_info_of(a->mutations[i].kind);
            if (info && info->binary_version > v) v = info->binary_version;
        }
    return v;
}

static int trace_version(const sd_trace *t) {
    int v = 1;
    for (size_t i = 0; i < t->n_actions; i++)
        if (version_needed(&t->actions[i]) > v) v = version_needed(&t->actions[i]);
    return v;
}

/* The version a trace is written as: without a setup the lowest that can
 * express it (1 or 2); with one, 3, or 4 for what only 4 can say. */
static int written_version(const sd_trace *t, bool with_setup) {
    int v = trace_version(t);
    return with_setup && v < SD_TRACE_BINARY_SETUP_VERSION ? SD_TRACE_BINARY_SETUP_VERSION : v;
}

bool sd_trace_encode_with_setup(const sd_trace *t, const sd_fuzz_setup *setup, sd_buf *out, char *err,
                                size_t err_len) {
    if (err && err_len) err[0] = '\0';
    char why[160];
    if (setup && !check_setup(setup, why, sizeof why)) {
        sd_set_error(err, err_len, "%s", why);
        return false;
    }
    for (size_t i = 0; i < t->n_actions; i++) {
        if (!check_action(&t->actions[i], why, sizeof why)) {
            sd_set_error(err, err_len, "action %zu: %s", i + 1, why);
            return false;
        }
    }
    size_t at = 0;
    if (!sd_trace_check_connections(t, &at, why, sizeof why)) {
        sd_set_error(err, err_len, "action %zu: %s", at + 1, why);
        return false;
    }
    /* Without a setup a trace is version 1 or 2 (a version 3 or 4 header
     * says a setup follows): what only version 3 or 4 can say needs one. */
    if (!setup && trace_version(t) >= SD_TRACE_BINARY_SETUP_VERSION) {
        sd_set_error(err, err_len, "%s needs a binary trace with its setup (version %d)",
                     trace_version(t) >= SD_TRACE_BINARY_CONNECTIONS_VERSION
                         ? "a trace of several connections or a PSK mutation"
                         : "send-ccs empty-master",
                     trace_version(t));
        return false;
    }
    size_t start = out->len;
    bool was_failed = out->failed;
    sd_buf_append(out, magic, sizeof magic);
    sd_buf_u8(out, (uint8_t)written_version(t, setup != NULL));
    if (setup) put_setup(out, setup);
    for (size_t i = 0; i < t->n_actions; i++) put_action(out, &t->actions[i]);
    if (out->failed && !was_failed) {
        out->len = start;
        sd_set_error(err, err_len, "out of memory");
        return false;
    }
    return !out->failed;
}

bool sd_trace_encode(const sd_trace *t, sd_buf *out, char *err, size_t err_len) {
    return sd_trace_encode_with_setup(t, NULL, out, err, err_len);
}

/* --- Decoding ---------------------------------------------------------------- */

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    int version; /* of the trace being read */
    char *err;
    size_t err_len;
    bool failed;
} reader;

__attribute__((format(printf, 2, 3))) static bool fail(reader *r, const char *fmt, ...) {
    if (r->failed) return false; /* the first error is the one worth reporting */
    r->failed = true;
    if (r->err && r->err_len) {
        int n = snprintf(r->err, r->err_len, "offset %zu: ", r->pos);
        if (n > 0 && (size_t)n < r->err_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->err + n, r->err_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return false;
}

static bool get_u8(reader *r, const char *what, uint8_t *out) {
    if (r->pos >= r->len) return fail(r, "input ends before %s", what);
    *out = r->data[r->pos++];
    return true;
}

static bool get_varint(reader *r, const char *what, uint64_t *out) {
    uint64_t v = 0;
    size_t start = r->pos;
    for (unsigned shift = 0;; shift += 7) {
        if (r->pos >= r->len) return fail(r, "input ends inside %s", what);
        uint8_t b = r->data[r->pos++];
        if (shift == 63 && (b & 0x7e)) return fail(r, "%s does not fit 64 bits", what);
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            /* Minimal: a final 0x00 byte after the first adds nothing, so
             * there is exactly one encoding of each value. */
            if (b == 0 && r->pos - start > 1) {
                r->pos = start;
                return fail(r, "%s is not minimally encoded", what);
            }
            break;
        }
        if (shift == 63) return fail(r, "%s is longer than 10 bytes", what);
    }
    *out = v;
    return true;
}

/* Reads len + bytes into a fresh allocation (NULL for none). */
static bool get_bytes(reader *r, const char *what, uint8_t **out, size_t *out_len) {
    uint64_t n = 0;
    if (!get_varint(r, what, &n)) return false;
    if (n > MAX_ACTION_DATA)
        return fail(r, "%s of %llu bytes (max %u)", what, (unsigned long long)n, MAX_ACTION_DATA);
    if (n > r->len - r->pos)
        return fail(r, "%s of %llu bytes runs past the end", what, (unsigned long long)n);
    *out = NULL;
    *out_len = 0;
    if (n == 0) return true;
    *out = malloc((size_t)n);
    if (!*out) return fail(r, "out of memory");
    memcpy(*out, r->data + r->pos, (size_t)n);
    *out_len = (size_t)n;
    r->pos += (size_t)n;
    return true;
}

static bool get_flags(reader *r, sd_action *a) {
    uint8_t f = 0;
    if (!get_u8(r, "the flags", &f)) return false;
    uint8_t known = FLAG_PLAINTEXT | FLAG_ENCRYPTED;
    if (a->kind == SD_ACT_SEND_CCS && r->version >= SD_TRACE_BINARY_SETUP_VERSION) known |= FLAG_EMPTY_MASTER;
    if (a->kind == SD_ACT_SEND_RAW && r->version >= 2) known |= FLAG_FILL;
    if (a->kind == SD_ACT_SEND_APPDATA && r->version >= 2) known |= FLAG_MUTATIONS;
    if (f & ~known) return fail(r, "unknown flag bits 0x%02x", f);
    a->force_plaintext = (f & FLAG_PLAINTEXT) != 0;
    a->encrypted = (f & FLAG_ENCRYPTED) != 0;
    a->empty_master = (f & FLAG_EMPTY_MASTER) != 0;
    /* The fill itself follows the payload; a placeholder until then. */
    a->fill = (f & FLAG_FILL) != 0;
    /* Likewise the mutations of a send-appdata: a placeholder count. */
    a->n_mutations = (f & FLAG_MUTATIONS) != 0;
    return true;
}

/* A flip offset: a zigzag varint, LONG_MIN for the middle. */
static bool get_offset(reader *r, long *out) {
    uint64_t v = 0;
    if (!get_varint(r, "a flip offset", &v)) return false;
    /* Undo the zigzag. */
    int64_t off = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
#if LONG_MAX < INT64_MAX
    if (off < LONG_MIN || off > LONG_MAX) return fail(r, "flip offset out of range");
#endif
    *out = (long)off;
    return true;
}

static bool get_mutation(reader *r, sd_mutation *m) {
    uint8_t kind = 0;
    if (!get_u8(r, "a mutation kind", &kind)) return false;
    const sd_mutation_info *info = sd_mutation_info_of((sd_mutation_kind)kind);
    if (info == NULL) return fail(r, "unknown mutation kind %u", kind);
    if (info->binary_version > r->version)
        return fail(r, "mutation kind %u needs binary trace version %d (this is version %d)", kind,
                    info->binary_version, r->version);
    m->kind = (sd_mutation_kind)kind;
    uint64_t v = 0;
    uint8_t b = 0;
    switch (info->arg) {
    case SD_MUT_ARG_NONE:
        return true;
    case SD_MUT_ARG_BYTES:
    case SD_MUT_ARG_BYTES8:
    case SD_MUT_ARG_BYTES32:
        /* BYTES8's and BYTES32's bounds are checked with the action
         * (check_mutation). */
        return get_bytes(r, "mutation bytes", &m->bytes, &m->bytes_len);
    case SD_MUT_ARG_FLIP:
        if (!get_offset(r, &m->offset) || !get_u8(r, "a flip mask", &b)) return false;
        m->value = b;
        return true;
    case SD_MUT_ARG_EXTENSION_FLIP: {
        uint8_t hi = 0, lo = 0;
        if (!get_u8(r, "an extension type", &hi) || !get_u8(r, "an extension type", &lo)) return false;
        m->value = (long)hi << 8 | lo;
        return get_offset(r, &m->offset) && get_u8(r, "a flip mask", &m->mask);
    }
    case SD_MUT_ARG_U24:
    case SD_MUT_ARG_SPLIT:
        if (!get_varint(r, "a mutation value", &v)) return false;
        /* Read up to the largest varint shape's bound (u24); the range of
         * this kind's own shape is checked with the action (check_mutation). */
        if (v > (uint64_t)sd_mutation_arg_fields(SD_MUT_ARG_U24)->value_max)
            return fail(r, "mutation value %llu out of range", (unsigned long long)v);
        m->value = (long)v;
        return true;
    case SD_MUT_ARG_HANDSHAKE_TYPE:
        if (!get_u8(r, "a handshake type", &b)) return false;
        m->value = b;
        return true;
    case SD_MUT_ARG_U8:
        if (!get_u8(r, "a mutation value", &b)) return false;
        m->value = b;
        return true;
    case SD_MUT_ARG_U8_PAIR:
        if (!get_u8(r, "a mutation value", &b)) return false;
        m->value = b;
        return get_u8(r, "a mutation's second value", &m->mask);
    case SD_MUT_ARG_EXTENSION:
    case SD_MUT_ARG_EXTENSION_BYTES:
    case SD_MUT_ARG_U16: {
        uint8_t hi = 0, lo = 0;
        if (!get_u8(r, "an extension type or version", &hi) ||
            !get_u8(r, "an extension type or version", &lo))
            return false;
        m->value = (long)hi << 8 | lo;
        if (info->arg == SD_MUT_ARG_EXTENSION_BYTES)
            return get_bytes(r, "extension bytes", &m->bytes, &m->bytes_len);
        return true;
    }
    case SD_MUT_ARG_CREDENTIAL:
        if (!get_u8(r, "a credential name length", &b)) return false;
        if (b == 0 || b >= sizeof m->text)
            return fail(r, "credential name of %u bytes (1-%zu)", b, sizeof m->text - 1);
        if (b > r->len - r->pos) return fail(r, "credential name runs past the end");
        for (uint8_t i = 0; i < b; i++)
            if (!is_name_char((char)r->data[r->pos + i]))
                return fail(r, "credential name with a byte outside [a-z0-9._-]");
        memcpy(m->text, r->data + r->pos, b);
        m->text[b] = '\0';
        r->pos += b;
        return true;
    }
    return fail(r, "unknown mutation kind %u", kind);
}

/* A name of the setup: len:u8 (0 for none) then the name. */
static bool get_name(reader *r, const char *what, char *out, size_t cap) {
    uint8_t n = 0;
    if (!get_u8(r, what, &n)) return false;
    if (n >= cap) return fail(r, "%s of %u bytes (0-%zu)", what, n, cap - 1);
    if (n > r->len - r->pos) return fail(r, "%s runs past the end", what);
    for (uint8_t i = 0; i < n; i++)
        if (!is_name_char((char)r->data[r->pos + i]))
            return fail(r, "%s with a byte outside [a-z0-9._-]", what);
    memcpy(out, r->data + r->pos, n);
    out[n] = '\0';
    r->pos += n;
    return true;
}

static bool get_setup(reader *r, sd_fuzz_setup *s) {
    size_t start = r->pos;
    uint8_t role = 0, auth = 0, flags = 0, hi = 0, lo = 0;
    if (!get_u8(r, "the setup's role", &role)) return false;
    if (!get_u8(r, "the setup's version", &hi) || !get_u8(r, "the setup's version", &lo)) return false;
    s->version = (uint16_t)(hi << 8 | lo);
    if (!get_u8(r, "the setup's cipher suite", &hi) || !get_u8(r, "the setup's cipher suite", &lo))
        return false;
    s->cipher_suite = (uint16_t)(hi << 8 | lo);
    if (!get_u8(r, "the setup's client authentication", &auth) || !get_u8(r, "the setup's flags", &flags))
        return false;
    if (flags & ~(SETUP_SESSION_TICKETS | SETUP_ANNOUNCE_TICKET | SETUP_STAPLE | SETUP_VERSIONS |
                  SETUP_EARLY_DATA | SETUP_RENEGOTIATION | SETUP_ALPN | SETUP_MORE_FLAGS))
        return fail(r, "unknown setup flag bits 0x%02x", flags);
    uint8_t flags2 = 0;
    if (flags & SETUP_MORE_FLAGS) {
        if (!get_u8(r, "the setup's second flags", &flags2)) return false;
        if (flags2 & ~(SETUP2_RECORD_SIZE_LIMIT | SETUP2_MAX_FRAGMENT_LENGTH | SETUP2_ENCRYPT_THEN_MAC |
                       SETUP2_CERT_COMPRESSION | SETUP2_SIGALGS))
            return fail(r, "unknown setup flag bits 0x%02x (second byte)", flags2);
        if (!flags2) return fail(r, "the setup's second flags are 0");
    }
    /* Out-of-range values are kept as they are, for check_setup to name. */
    s->role = (sd_role)role;
    s->client_auth = (sd_client_auth)auth;
    s->session_tickets = (flags & SETUP_SESSION_TICKETS) != 0;
    s->announce_ticket = (flags & SETUP_ANNOUNCE_TICKET) != 0;
    s->early_data = (flags & SETUP_EARLY_DATA) != 0;
    s->renegotiation = (flags & SETUP_RENEGOTIATION) != 0;
    if (!get_name(r, "the setup's server credential", s->server_credential, sizeof s->server_credential) ||
        !get_name(r, "the setup's client credential", s->client_credential, sizeof s->client_credential) ||
        !get_name(r, "the setup's target client credential", s->target_client_credential,
                  sizeof s->target_client_credential))
        return false;
    uint8_t n_groups = 0;
    if (!get_u8(r, "the setup's group count", &n_groups)) return false;
    if (n_groups > SD_MAX_SCENARIO_GROUPS)
        return fail(r, "%u groups in the setup (0-%d)", n_groups, SD_MAX_SCENARIO_GROUPS);
    for (uint8_t i = 0; i < n_groups; i++) {
        if (!get_u8(r, "a group of the setup", &hi) || !get_u8(r, "a group of the setup", &lo)) return false;
        s->groups[i] = (uint16_t)(hi << 8 | lo);
    }
    s->n_groups = n_groups;
    if (flags & SETUP_STAPLE) {
        if (!get_name(r, "the setup's stapled file", s->staple, sizeof s->staple)) return false;
        /* One encoding per setup: no stapled file is the flag clear. */
        if (!s->staple[0]) return fail(r, "the setup's stapled file has an empty name");
    }
    if (flags & SETUP_VERSIONS) {
        if (!get_u8(r, "the setup's lowest version", &hi) || !get_u8(r, "the setup's lowest version", &lo))
            return false;
        s->min_version = (uint16_t)(hi << 8 | lo);
        if (!get_u8(r, "the setup's highest version", &hi) || !get_u8(r, "the setup's highest version", &lo))
            return false;
        s->max_version = (uint16_t)(hi << 8 | lo);
        /* One encoding per setup: no range is the flag clear, and a range
         * is two versions (check_setup), never 0. */
        if (!s->min_version) return fail(r, "the setup's versions start at 0x0000");
    }
    if (flags & SETUP_ALPN) {
        uint8_t n = 0;
        if (!get_u8(r, "the setup's ALPN length", &n)) return false;
        /* One encoding per setup: no protocols is the flag clear. */
        if (n == 0) return fail(r, "the setup's ALPN protocols are empty");
        for (uint8_t i = 0; i < n; i++)
            if (!get_u8(r, "the setup's ALPN protocols", &s->alpn[i])) return false;
        s->alpn_len = n;
    }
    s->encrypt_then_mac = (flags2 & SETUP2_ENCRYPT_THEN_MAC) != 0;
    if (flags2 & SETUP2_RECORD_SIZE_LIMIT) {
        if (!get_u8(r, "the setup's record_size_limit", &hi) ||
            !get_u8(r, "the setup's record_size_limit", &lo))
            return false;
        s->record_size_limit = (uint16_t)(hi << 8 | lo);
        /* One encoding per setup: no limit is the flag clear. */
        if (!s->record_size_limit) return fail(r, "the setup's record_size_limit is 0");
    }
    if (flags2 & SETUP2_MAX_FRAGMENT_LENGTH) {
        if (!get_u8(r, "the setup's max_fragment_length", &s->max_fragment_length)) return false;
        /* One encoding per setup: no request is the flag clear. */
        if (!s->max_fragment_length) return fail(r, "the setup's max_fragment_length is 0");
    }
    if (flags2 & SETUP2_CERT_COMPRESSION) {
        uint8_t n = 0;
        if (!get_u8(r, "the setup's certificate compression count", &n)) return false;
        /* One encoding per setup: none is the flag clear. */
        if (n == 0 || n > SD_MAX_CERT_COMPRESSION)
            return fail(r, "%u certificate compression algorithms in the setup (1-%d)", n,
                        SD_MAX_CERT_COMPRESSION);
        for (uint8_t i = 0; i < n; i++) {
            if (!get_u8(r, "a certificate compression algorithm", &hi) ||
                !get_u8(r, "a certificate compression algorithm", &lo))
                return false;
            s->cert_compression[i] = (uint16_t)(hi << 8 | lo);
        }
        s->n_cert_compression = n;
    }
    if (flags2 & SETUP2_SIGALGS) {
        uint8_t n = 0;
        if (!get_u8(r, "the setup's signature scheme count", &n)) return false;
        /* One encoding per setup: the stack's defaults are the flag clear. */
        if (n == 0 || n > SD_MAX_SCENARIO_SIGALGS)
            return fail(r, "%u signature schemes in the setup (1-%d)", n, SD_MAX_SCENARIO_SIGALGS);
        for (uint8_t i = 0; i < n; i++) {
            if (!get_u8(r, "a signature scheme", &hi) || !get_u8(r, "a signature scheme", &lo)) return false;
            s->sigalgs[i] = (uint16_t)(hi << 8 | lo);
        }
        s->n_sigalgs = n;
    }
    char why[160];
    if (!check_setup(s, why, sizeof why)) {
        r->pos = start;
        return fail(r, "%s", why);
    }
    return true;
}

static bool get_action(reader *r, sd_trace *t) {
    size_t start = r->pos;
    uint8_t kind = 0;
    if (!get_u8(r, "an action kind", &kind)) return false;
    /* The psk= / if-full / if-announced bit goes on EXPECT kinds only, from
     * version 4. */
    bool psk_options = (kind & ~(KIND_HRR_BIT | KIND_RANDOM_BIT)) == (KIND_PSK_BIT | SD_ACT_EXPECT) &&
                       !((kind & KIND_HRR_BIT) && (kind & KIND_RANDOM_BIT));
    if (psk_options && r->version < SD_TRACE_BINARY_CONNECTIONS_VERSION) {
        r->pos = start;
        return fail(r,
                    "action kind %u (expect with psk=, if-full or if-announced) needs binary trace version "
                    "%d (this is "
                    "version %d)",
                    kind, SD_TRACE_BINARY_CONNECTIONS_VERSION, r->version);
    }
    if (psk_options) kind &= (uint8_t)~KIND_PSK_BIT;
    if (kind > SD_ACT_CONNECTION && kind != KIND_SEND_HRR && kind != KIND_EXPECT_HRR &&
        kind != KIND_EXPECT_RANDOM) {
        r->pos = start;
        return fail(r, "unknown action kind %u", kind);
    }
    if ((kind == SD_ACT_RENEGOTIATE || kind == KIND_EXPECT_RANDOM) && r->version < 2) {
        r->pos = start;
        return fail(r, "action kind %u needs binary trace version 2 (this is version %d)", kind, r->version);
    }
    if (kind == SD_ACT_CONNECTION && r->version < SD_TRACE_BINARY_CONNECTIONS_VERSION) {
        r->pos = start;
        return fail(r, "action kind %u (connection) needs binary trace version %d (this is version %d)", kind,
                    SD_TRACE_BINARY_CONNECTIONS_VERSION, r->version);
    }
    bool hrr = kind == KIND_SEND_HRR || kind == KIND_EXPECT_HRR;
    sd_action *a =
        sd_trace_add(t, kind == KIND_SEND_HRR                                   ? SD_ACT_SEND
                        : kind == KIND_EXPECT_HRR || kind == KIND_EXPECT_RANDOM ? SD_ACT_EXPECT
                                                                                : (sd_action_kind)kind);
    if (!a) return fail(r, "out of memory");
    uint8_t n = 0, type = 0;
    if (hrr) a->msg_type = SD_MSG_TYPE_HELLO_RETRY_REQUEST;
    if (a->kind == SD_ACT_RENEGOTIATE) a->msg_type = SD_ClientHello;
    switch (a->kind) {
    case SD_ACT_SEND:
    case SD_ACT_RENEGOTIATE:
        if (!hrr && a->kind == SD_ACT_SEND && !get_u8(r, "a handshake type", &type)) return false;
        if (!hrr && a->kind == SD_ACT_SEND) a->msg_type = type;
        if (!get_u8(r, "the mutation count", &n)) return false;
        if (n > SD_MAX_MUTATIONS) return fail(r, "%u mutations (max %d)", n, SD_MAX_MUTATIONS);
        for (uint8_t i = 0; i < n; i++) {
            /* Counted as it goes, so sd_trace_free frees what a failure
             * leaves half-read. */
            a->n_mutations = (size_t)i + 1;
            if (!get_mutation(r, &a->mutations[i])) return false;
        }
        break;
    case SD_ACT_EXPECT:
        if (!hrr && !get_u8(r, "a handshake type", &type)) return false;
        if (!hrr) a->msg_type = type;
        /* One encoding: a random to check is never empty (check_action
         * bounds it). */
        if (kind == KIND_EXPECT_RANDOM) {
            if (!get_bytes(r, "the random to expect", &a->bytes, &a->bytes_len)) return false;
            if (a->bytes_len == 0) return fail(r, "an expected random of 0 bytes (1-%d)", SD_RANDOM_LEN);
        }
        if (psk_options) {
            uint8_t if_flags = 0, hi = 0, lo = 0;
            if (!get_u8(r, "the PSK answers to expect", &hi) ||
                !get_u8(r, "the PSK answers to expect", &lo) ||
                !get_u8(r, "the if-full and if-announced flags", &if_flags))
                return false;
            a->expect_psk = (uint16_t)(hi << 8 | lo);
            /* One encoding: the bit is set only when an option is. */
            if (if_flags & ~EXPECT_IF_ALL)
                return fail(r, "expect flags 0x%02x (bit 0 if-full, bit 1 if-announced)", if_flags);
            a->if_full = (if_flags & EXPECT_IF_FULL) != 0;
            a->if_announced = (if_flags & EXPECT_IF_ANNOUNCED) != 0;
            if (!a->expect_psk && !a->if_full && !a->if_announced)
                return fail(r, "an expect with none of psk=, if-full and if-announced");
        }
        break;
    case SD_ACT_SEND_ALERT:
        if (!get_flags(r, a) || !get_u8(r, "an alert level", &a->alert_level) ||
            !get_u8(r, "an alert description", &a->alert))
            return false;
        break;
    case SD_ACT_SEND_CCS:
        if (!get_flags(r, a)) return false;
        break;
    case SD_ACT_SEND_APPDATA: {
        if (!get_flags(r, a)) return false;
        bool mutations = a->n_mutations != 0;
        a->n_mutations = 0;
        if (!get_bytes(r, "application data", &a->bytes, &a->bytes_len)) return false;
        if (!mutations) break;
        if (!get_u8(r, "the mutation count", &n)) return false;
        /* One encoding: the flag is set only when mutations follow. */
        if (n == 0 || n > SD_MAX_MUTATIONS) return fail(r, "%u mutations (1-%d)", n, SD_MAX_MUTATIONS);
        for (uint8_t i = 0; i < n; i++) {
            a->n_mutations = (size_t)i + 1;
            if (!get_mutation(r, &a->mutations[i])) return false;
        }
        break;
    }
    case SD_ACT_SEND_RAW:
        if (!get_flags(r, a) || !get_u8(r, "a content type", &a->content_type) ||
            !get_bytes(r, "a record payload", &a->bytes, &a->bytes_len))
            return false;
        if (a->fill) {
            uint64_t fill = 0;
            if (!get_varint(r, "a fill", &fill)) return false;
            if (fill == 0 || fill > SD_RAW_FILL_MAX)
                return fail(r, "fill=%llu (1-%u)", (unsigned long long)fill, SD_RAW_FILL_MAX);
            a->fill = (size_t)fill;
        }
        break;
    case SD_ACT_EXPECT_APPDATA:
        if (!get_bytes(r, "application data", &a->bytes, &a->bytes_len)) return false;
        break;
    case SD_ACT_EXPECT_CLOSE:
    case SD_ACT_EXPECT_CCS:
    case SD_ACT_CONNECTION:
        break;
    }
    char why[160];
    if (!check_action(a, why, sizeof why)) {
        r->pos = start;
        return fail(r, "action %zu: %s", t->n_actions, why);
    }
    return true;
}

bool sd_trace_decode_with_setup(const uint8_t *data, size_t len, sd_trace *out, sd_fuzz_setup *setup,
                                bool *has_setup, char *err, size_t err_len) {
    sd_trace_init(out);
    if (err && err_len) err[0] = '\0';
    sd_fuzz_setup scratch;
    if (!setup) setup = &scratch;
    memset(setup, 0, sizeof *setup);
    if (has_setup) *has_setup = false;
    reader r = {.data = data, .len = data ? len : 0, .pos = 0, .err = err, .err_len = err_len};
    if (len > 0 && data == NULL) return fail(&r, "no input bytes");
    if (r.len < SD_TRACE_BINARY_HEADER_LEN || memcmp(data, magic, sizeof magic) != 0)
        return fail(&r, "not a binary trace (it starts with \"SDT\" and a version byte)");
    if (data[3] < 1 || data[3] > SD_TRACE_BINARY_VERSION) {
        r.pos = 3;
        return fail(&r, "binary trace version %u; this build reads versions 1-%d", data[3],
                    SD_TRACE_BINARY_VERSION);
    }
    r.version = data[3];
    r.pos = SD_TRACE_BINARY_HEADER_LEN;
    bool with_setup = r.version >= SD_TRACE_BINARY_SETUP_VERSION;
    if (with_setup && !get_setup(&r, setup)) {
        memset(setup, 0, sizeof *setup);
        return false;
    }
    /* Where each action starts, for an error about its place among the
     * connections. */
    size_t *starts = NULL, n_starts = 0;
    while (r.pos < r.len) {
        size_t *more = realloc(starts, (n_starts + 1) * sizeof *starts);
        if (!more) {
            free(starts);
            sd_trace_free(out);
            memset(setup, 0, sizeof *setup);
            return fail(&r, "out of memory");
        }
        starts = more;
        starts[n_starts++] = r.pos;
        if (!get_action(&r, out)) {
            free(starts);
            sd_trace_free(out);
            memset(setup, 0, sizeof *setup);
            return false;
        }
    }
    /* The connections keep the rules a script's do; the error names the
     * action and where it starts. */
    size_t at = 0;
    char why[160];
    if (!sd_trace_check_connections(out, &at, why, sizeof why)) {
        sd_set_error(err, err_len, "offset %zu: action %zu: %s", at < n_starts ? starts[at] : r.pos, at + 1,
                     why);
        free(starts);
        sd_trace_free(out);
        memset(setup, 0, sizeof *setup);
        return false;
    }
    free(starts);
    /* One encoding per trace: without a setup, version 2 only for what
     * version 1 cannot say; with one, version 4 only for what version 3
     * cannot. */
    if (r.version > written_version(out, with_setup)) {
        r.pos = 3;
        fail(&r, "binary trace version %d holds only what version %d can express (write it as version %d)",
             r.version, written_version(out, with_setup), written_version(out, with_setup));
        sd_trace_free(out);
        memset(setup, 0, sizeof *setup);
        return false;
    }
    if (has_setup) *has_setup = with_setup;
    return true;
}

bool sd_trace_decode(const uint8_t *data, size_t len, sd_trace *out, char *err, size_t err_len) {
    return sd_trace_decode_with_setup(data, len, out, NULL, NULL, err, err_len);
}
