/* script.c — the text form of a trace: the scenario/trace parser (its
 * inverse, the printer, is script_print.c). The format is specified in
 * docs/script-format.md; keep the three in step.
 *
 * The parser reads untrusted input (it is fuzzed), so it works line by line on
 * a bounded copy, validates every line (length, NUL, UTF-8) before looking at
 * it, and frees everything it built on any error. Every error names the file
 * and line: "path:line: what is wrong". */
#include "trace/trace.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/handshake.h"
#include "wire/cert_compression.h"
#include "wire/names.h"

#define MAX_TOKENS 32          /* words per action line: verb, arguments, mutations */
#define MAX_FILE (1024 * 1024) /* sd_scenario_load: scenarios are small; refuse the absurd */

/* --- Name lists for error messages, straight from the X-macro tables -------- */

#define SD_LIST_NAME(name, value) #name ", "
static const char handshake_list[] = SD_HANDSHAKE_TYPES(SD_LIST_NAME);
static const char alert_list[] = SD_ALERTS(SD_LIST_NAME);
static const char content_type_list[] = SD_CONTENT_TYPES(SD_LIST_NAME);
static const char group_list[] = SD_GROUPS(SD_LIST_NAME);
static const char scheme_list[] = SD_SIGNATURE_SCHEMES(SD_LIST_NAME);
#undef SD_LIST_NAME
/* Each list ends in ", "; print it without that tail. */
#define LIST(l) (int)(sizeof(l) - 3), (l)

/* --- One table per vocabulary, shared by parser and printer ----------------- */

static const struct {
    const char *verb;
    sd_action_kind kind;
} verbs[] = {
    {"send", SD_ACT_SEND},
    {"expect", SD_ACT_EXPECT},
    {"send-alert", SD_ACT_SEND_ALERT},
    {"send-ccs", SD_ACT_SEND_CCS},
    {"send-appdata", SD_ACT_SEND_APPDATA},
    {"expect-appdata", SD_ACT_EXPECT_APPDATA},
    {"expect-close", SD_ACT_EXPECT_CLOSE},
    {"send-raw", SD_ACT_SEND_RAW},
    {"expect-ccs", SD_ACT_EXPECT_CCS},
    {"renegotiate", SD_ACT_RENEGOTIATE},
    {"connection", SD_ACT_CONNECTION},
};
#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

enum {
    H_ID,
    H_TITLE,
    H_RFC,
    H_ROLE,
    H_VERSION,
    H_TAGS,
    H_EXPECT,
    H_CREDENTIAL,
    H_NOTE,
    H_CIPHER_SUITE,
    H_CLIENT_AUTH,
    H_SESSION_TICKETS,
    H_GROUPS,
    H_STAPLE,
    H_VERSIONS,
    H_EARLY_DATA,
    H_RENEGOTIATION,
    H_ALPN,
    H_CLIENT_CREDENTIAL,
    H_RECORD_SIZE_LIMIT,
    H_MAX_FRAGMENT_LENGTH,
    H_ENCRYPT_THEN_MAC,
    H_CERTIFICATE_COMPRESSION,
    H_SIGNATURE_ALGORITHMS,
    N_HEADERS
};
static const struct {
    const char *key;
    bool required; /* for scenarios; a bare trace needs none */
} headers[N_HEADERS] = {
    [H_ID] = {"id", true},
    [H_TITLE] = {"title", true},
    [H_RFC] = {"rfc", true},
    [H_ROLE] = {"role", true},
    [H_VERSION] = {"version", false},
    [H_TAGS] = {"tags", false},
    [H_EXPECT] = {"expect", true},
    [H_CREDENTIAL] = {"credential", false},
    [H_NOTE] = {"note", false},
    [H_CIPHER_SUITE] = {"cipher-suite", false},
    [H_CLIENT_AUTH] = {"client-auth", false},
    [H_SESSION_TICKETS] = {"session-tickets", false},
    [H_GROUPS] = {"groups", false},
    [H_STAPLE] = {"staple", false},
    [H_VERSIONS] = {"versions", false},
    [H_EARLY_DATA] = {"early-data", false},
    [H_RENEGOTIATION] = {"renegotiation", false},
    [H_ALPN] = {"alpn", false},
    [H_CLIENT_CREDENTIAL] = {"client-credential", false},
    [H_RECORD_SIZE_LIMIT] = {"record-size-limit", false},
    [H_MAX_FRAGMENT_LENGTH] = {"max-fragment-length", false},
    [H_ENCRYPT_THEN_MAC] = {"encrypt-then-mac", false},
    [H_CERTIFICATE_COMPRESSION] = {"certificate-compression", false},
    [H_SIGNATURE_ALGORITHMS] = {"signature-algorithms", false},
};

/* --- Errors ----------------------------------------------------------------- */

typedef struct {
    const char *path;
    int line;
    char *err;
    size_t err_len;
    sd_scenario *s;
    int header_line[N_HEADERS]; /* where each header was given; 0 = not yet */
    int first_action_line;      /* 0 = no action yet */
} parser;

static bool fail(parser *p, const char *fmt, ...) SD_PRINTF(2, 3);
static bool fail(parser *p, const char *fmt, ...) {
    if (p->err == NULL || p->err_len == 0) return false;
    int n = snprintf(p->err, p->err_len, "%s:%d: ", p->path, p->line);
    if (n < 0) {
        p->err[0] = '\0';
        return false;
    }
    if ((size_t)n < p->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A word from the input, made safe to quote in an error message: control
 * bytes become \xNN and long words are cut (at a UTF-8 boundary) with "...",
 * so that an error never floods or garbles a terminal. */
typedef struct {
    char s[256]; /* 48 input bytes, each at most 4 bytes shown ("\\xNN"), plus "..." */
} shown;

static shown show(const char *word) {
    shown out;
    size_t o = 0;
    const size_t limit = 48;
    size_t i = 0;
    for (; word[i] != '\0' && i < limit; i++) {
        unsigned char ch = (unsigned char)word[i];
        if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(out.s + o, sizeof(out.s) - o, "\\x%02x", ch);
        } else {
            out.s[o++] = (char)ch;
        }
    }
    if (word[i] != '\0') {
        /* Back off to the start of a UTF-8 sequence so the cut stays valid. */
        while (o > 0 && ((unsigned char)out.s[o - 1] & 0xc0) == 0x80) o--;
        if (o > 0 && ((unsigned char)out.s[o - 1] & 0xc0) == 0xc0) o--;
        memcpy(out.s + o, "...", 3);
        o += 3;
    }
    out.s[o] = '\0';
    return out;
}

/* --- Small lexical helpers -------------------------------------------------- */

static bool is_space(char c) { return c == ' ' || c == '\t'; }

static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* [a-z0-9._-]+ : ids, tags and credential names, so they are safe in file
 * names, report anchors and shell-free command lines alike. */
static bool is_name(const char *s) {
    if (*s == '\0') return false;
    for (; *s; s++)
        if (!is_name_char(*s)) return false;
    return true;
}

static bool is_key_char(char c) { return (c >= 'a' && c <= 'z') || c == '-' || c == '_'; }

static bool utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            unsigned d = s[i + k];
            if ((d & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        /* Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8. */
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

static int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* [-]decimal or [-]0xhex within [min, max]. Hand-written rather than strtol
 * so that no sign, space or locale quirk slips through and overflow is a
 * plain "no". LONG_MIN itself is never produced, which keeps it free as
 * SD_OFFSET_MIDDLE. */
static bool parse_long(const char *s, long min, long max, long *out) {
    bool neg = false;
    if (*s == '-') {
        neg = true;
        s++;
    }
    unsigned long base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (*s == '\0') return false;
    unsigned long mag = 0;
    for (; *s; s++) {
        int d = digit_value(*s);
        if (d < 0 || (unsigned long)d >= base) return false;
        if (mag > ((unsigned long)LONG_MAX - (unsigned long)d) / base) return false;
        mag = mag * base + (unsigned long)d;
    }
    long v = neg ? -(long)mag : (long)mag;
    if (v < min || v > max) return false;
    *out = v;
    return true;
}

static bool parse_u8(const char *s, uint8_t *out) {
    long v;
    if (!parse_long(s, 0, 255, &v)) return false;
    *out = (uint8_t)v;
    return true;
}

/* names.h has no reverse lookup for content types; scan the forward one. */
static bool content_type_from_name(const char *name, uint8_t *out) {
    for (unsigned v = 0; v < 256; v++) {
        const char *n = sd_content_type_name(v);
        if (n != NULL && strcmp(n, name) == 0) {
            *out = (uint8_t)v;
            return true;
        }
    }
    return false;
}

/* Hex as scripts write it: an even number of hex digits, nothing else (no
 * 0x, no spaces). Checked here so the error is precise whatever
 * sd_hex_decode tolerates. Empty is allowed and gives no bytes. */
static bool decode_hex(parser *p, const char *what, const char *hex, uint8_t **out, size_t *out_len) {
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i++) {
        if (digit_value(hex[i]) < 0)
            return fail(p, "bad hex in %s \"%s\": '%s' is not a hex digit", what, show(hex).s,
                        show((char[]){hex[i], '\0'}).s);
    }
    if (n % 2 != 0) return fail(p, "bad hex in %s \"%s\": odd number of hex digits", what, show(hex).s);
    *out = NULL;
    *out_len = 0;
    if (n == 0) return true;
    sd_buf b;
    sd_buf_init(&b);
    if (!sd_hex_decode(hex, n, &b) || b.failed || b.len != n / 2) {
        sd_buf_free(&b);
        return fail(p, "bad hex in %s \"%s\"", what, show(hex).s);
    }
    /* The trace owns its bytes and frees them with free(): copy out of the
     * sd_buf rather than assume how bytes.c allocates. */
    uint8_t *copy = malloc(b.len);
    if (copy == NULL) {
        sd_buf_free(&b);
        return fail(p, "out of memory");
    }
    memcpy(copy, b.data, b.len);
    *out = copy;
    *out_len = b.len;
    sd_buf_free(&b);
    return true;
}

static bool copy_text(parser *p, const char *key, char *dst, size_t dst_size, const char *value) {
    size_t n = strlen(value);
    if (n == 0) return fail(p, "%s: empty value", key);
    if (n >= dst_size) return fail(p, "%s: value too long (%zu bytes, max %zu)", key, n, dst_size - 1);
    memcpy(dst, value, n + 1);
    return true;
}

/* --- Headers ---------------------------------------------------------------- */

static bool parse_tags(parser *p, char *value) {
    sd_scenario *s = p->s;
    char *item = value;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma != NULL) *comma = '\0';
        while (is_space(*item)) item++;
        size_t n = strlen(item);
        while (n > 0 && is_space(item[n - 1])) item[--n] = '\0';
        if (n == 0) return fail(p, "tags: empty tag (tags are separated by single commas)");
        if (!is_name(item))
            return fail(p, "tags: bad tag \"%s\" (use a-z, 0-9, '.', '_', '-')", show(item).s);
        if (n >= sizeof(s->tags[0]))
            return fail(p, "tags: tag \"%s\" too long (max %zu bytes)", show(item).s, sizeof(s->tags[0]) - 1);
        if (s->n_tags == SD_MAX_TAGS) return fail(p, "tags: too many tags (max %d)", SD_MAX_TAGS);
        memcpy(s->tags[s->n_tags++], item, n + 1);
        if (comma == NULL) return true;
        item = comma + 1;
    }
}

/* `groups: secp256r1, x25519`: the named groups the stack under test
 * accepts (a server) or offers (a client), in its order of preference;
 * names from SD_GROUPS or numbers 0-0xffff, each at most once. */
/* A comma-separated list of 16-bit code points, each a name from_name
 * knows (names lists them for the error) or a number, each once, at most
 * max: `groups:` and `signature-algorithms:`. */
static bool parse_code_points(parser *p, const char *header, const char *what, char *value,
                              bool (*from_name)(const char *, uint16_t *), int names_len, const char *names,
                              uint16_t *out, size_t *n_out, size_t max) {
    char *item = value;
    for (;;) {
        char *comma = strchr(item, ',');
        if (comma != NULL) *comma = '\0';
        while (is_space(*item)) item++;
        size_t n = strlen(item);
        while (n > 0 && is_space(item[n - 1])) item[--n] = '\0';
        if (n == 0) return fail(p, "%s: empty %s (separated by single commas)", header, what);
        uint16_t code;
        long v;
        if (!from_name(item, &code)) {
            if (!parse_long(item, 0, 0xffff, &v))
                return fail(p, "%s: unknown %s \"%s\" (expected one of %.*s, or a number 0-0xffff)", header,
                            what, show(item).s, names_len, names);
            code = (uint16_t)v;
        }
        for (size_t i = 0; i < *n_out; i++)
            if (out[i] == code) return fail(p, "%s: %s \"%s\" is listed twice", header, what, show(item).s);
        if (*n_out == max) return fail(p, "%s: too many %ss (max %zu)", header, what, max);
        out[(*n_out)++] = code;
        if (comma == NULL) return true;
        item = comma + 1;
    }
}

static bool parse_expectation(parser *p, char *value) {
    sd_scenario *s = p->s;
    char *word = value;
    char *rest = value;
    while (*rest && !is_space(*rest)) rest++;
    if (*rest) *rest++ = '\0';
    while (is_space(*rest)) rest++;
    if (strcmp(word, "complete") == 0 || strcmp(word, "closed") == 0) {
        if (*rest) return fail(p, "expect: unexpected \"%s\" after \"%s\"", show(rest).s, word);
        s->expect = strcmp(word, "complete") == 0 ? SD_EXPECT_COMPLETE : SD_EXPECT_CLOSED;
        return true;
    }
    if (strcmp(word, "alert") == 0) {
        if (*rest == '\0')
            return fail(p, "expect: alert needs an alert name, e.g. \"expect: alert decrypt_error\"");
        /* One alert, or a set where the RFCs allow more than one:
         * `alert decrypt_error | decode_error`, blanks around '|' optional. */
        uint8_t set[SD_MAX_EXPECT_ALERTS];
        size_t n = 0;
        char *item = rest;
        for (;;) {
            char *bar = strchr(item, '|');
            if (bar) *bar = '\0';
            while (is_space(*item)) item++;
            size_t len = strlen(item);
            while (len > 0 && is_space(item[len - 1])) item[--len] = '\0';
            if (len == 0)
                return fail(p, "expect: empty alert in a set (write \"alert decode_error | decrypt_error\")");
            for (char *c = item; *c; c++)
                if (is_space(*c))
                    return fail(p,
                                "expect: unexpected \"%s\" after the alert (alerts of a set are separated by "
                                "'|')",
                                show(c + strspn(c, " \t")).s);
            uint8_t a;
            if (!sd_alert_from_name(item, &a) && !parse_u8(item, &a))
                return fail(p, "expect: unknown alert \"%s\" (expected one of %.*s, or a number 0-255)",
                            show(item).s, LIST(alert_list));
            for (size_t i = 0; i < n; i++)
                if (set[i] == a) return fail(p, "expect: alert \"%s\" is in the set twice", show(item).s);
            if (n == SD_MAX_EXPECT_ALERTS)
                return fail(p, "expect: too many alerts in the set (max %d)", SD_MAX_EXPECT_ALERTS);
            set[n++] = a;
            if (!bar) break;
            item = bar + 1;
        }
        s->expect = SD_EXPECT_ALERT;
        s->expect_alert = set[0];
        s->n_expect_alert_also = n - 1;
        for (size_t i = 1; i < n; i++) s->expect_alert_also[i - 1] = set[i];
        return true;
    }
    return fail(
        p,
        "expect: unknown expectation \"%s\" (expected complete, closed, alert <name> or alert <name> | "
        "<name>)",
        show(word).s);
}

/* 1.2 or 1.3, the spelling of `version:`; false for anything else. */
static bool version_number(const char *text, size_t len, uint16_t *out) {
    if (len == 3 && memcmp(text, "1.2", 3) == 0) {
        *out = SD_TLS12;
    } else if (len == 3 && memcmp(text, "1.3", 3) == 0) {
        *out = SD_TLS13;
    } else {
        return false;
    }
    return true;
}

/* versions: <min>-<max> (1.2-1.3), or one version (1.2, which is 1.2-1.2):
 * the versions the stack under test is configured to speak. */
static bool parse_versions(parser *p, const char *value) {
    sd_scenario *s = p->s;
    const char *dash = strchr(value, '-');
    size_t first_len = dash ? (size_t)(dash - value) : strlen(value);
    const char *second = dash ? dash + 1 : value;
    if (!version_number(value, first_len, &s->min_version) ||
        !version_number(second, strlen(second), &s->max_version))
        return fail(p, "versions: expected <min>-<max> of 1.2 and 1.3 (1.2-1.3) or one of them, got \"%s\"",
                    show(value).s);
    if (s->min_version > s->max_version)
        return fail(p, "versions: \"%s\" runs backwards (the lower version comes first: 1.2-1.3)",
                    show(value).s);
    return true;
}

static bool parse_header(parser *p, const char *key, size_t key_len, char *value) {
    int h = -1;
    for (int i = 0; i < N_HEADERS; i++) {
        if (strlen(headers[i].key) == key_len && memcmp(headers[i].key, key, key_len) == 0) h = i;
    }
    if (h < 0) {
        char k[64];
        snprintf(k, sizeof(k), "%.*s", (int)(key_len < 40 ? key_len : 40), key);
        return fail(p,
                    "unknown header \"%s:\" (expected one of id, title, rfc, role, version, tags, "
                    "expect, credential, note, cipher-suite, client-auth, session-tickets, groups, "
                    "staple, versions, early-data, renegotiation, alpn, client-credential, "
                    "record-size-limit, max-fragment-length, encrypt-then-mac, certificate-compression)",
                    k);
    }
    const char *name = headers[h].key;
    if (p->first_action_line)
        return fail(p, "header \"%s:\" after the first action (line %d); headers must come first", name,
                    p->first_action_line);
    if (p->header_line[h])
        return fail(p, "duplicate header \"%s:\" (first given on line %d)", name, p->header_line[h]);
    p->header_line[h] = p->line;

    /* The value: a '#' after whitespace starts a comment, as on action lines;
     * surrounding whitespace is not part of the value. */
    for (char *c = value; *c; c++) {
        if (*c == '#' && (c == value || is_space(c[-1]))) {
            *c = '\0';
            break;
        }
    }
    while (is_space(*value)) value++;
    size_t n = strlen(value);
    while (n > 0 && is_space(value[n - 1])) value[--n] = '\0';

    sd_scenario *s = p->s;
    switch (h) {
    case H_ID:
        if (!copy_text(p, name, s->id, sizeof(s->id), value)) return false;
        if (!is_name(s->id))
            return fail(p, "id: \"%s\" is not a valid id (use a-z, 0-9, '.', '_', '-')", show(value).s);
        return true;
    case H_TITLE:
        return copy_text(p, name, s->title, sizeof(s->title), value);
    case H_RFC:
        return copy_text(p, name, s->rfc, sizeof(s->rfc), value);
    case H_NOTE:
        return copy_text(p, name, s->note, sizeof(s->note), value);
    case H_CREDENTIAL:
        if (!copy_text(p, name, s->credential, sizeof(s->credential), value)) return false;
        if (!is_name(s->credential))
            return fail(p, "credential: \"%s\" is not a credential name (use a-z, 0-9, '.', '_', '-')",
                        show(value).s);
        return true;
    case H_ROLE:
        if (strcmp(value, "server") == 0) {
            s->role = SD_ROLE_SERVER;
        } else if (strcmp(value, "client") == 0) {
            s->role = SD_ROLE_CLIENT;
        } else {
            return fail(p, "role: expected server or client, got \"%s\"", show(value).s);
        }
        return true;
    case H_VERSION:
        if (strcmp(value, "1.3") == 0) {
            s->version = SD_TLS13;
        } else if (strcmp(value, "1.2") == 0) {
            s->version = SD_TLS12;
        } else {
            return fail(p, "version: expected 1.3 or 1.2, got \"%s\"", show(value).s);
        }
        return true;
    case H_VERSIONS:
        return parse_versions(p, value);
    case H_TAGS:
        if (*value == '\0') return fail(p, "tags: empty value");
        return parse_tags(p, value);
    case H_EXPECT:
        if (*value == '\0') return fail(p, "expect: empty value (expected complete, closed or alert <name>)");
        return parse_expectation(p, value);
    case H_CIPHER_SUITE: {
        /* A suite name from the registry (TLS_RSA_WITH_AES_128_GCM_SHA256)
         * or a number 0x0000-0xffff. */
        char *end = NULL;
        unsigned long v = 0;
        if (sd_cipher_suite_from_name(value, &s->cipher_suite)) return true;
        if (value[0] >= '0' && value[0] <= '9') v = strtoul(value, &end, 0);
        if (end && *end == '\0' && v <= 0xffff) {
            s->cipher_suite = (uint16_t)v;
            return true;
        }
        return fail(p,
                    "cipher-suite: unknown cipher suite \"%s\" (expected a name such as "
                    "TLS_RSA_WITH_AES_128_GCM_SHA256, or a number 0-0xffff)",
                    show(value).s);
    }
    case H_CLIENT_AUTH:
        if (strcmp(value, "request") == 0) {
            s->client_auth = SD_CLIENT_AUTH_REQUEST;
        } else if (strcmp(value, "require") == 0) {
            s->client_auth = SD_CLIENT_AUTH_REQUIRE;
        } else {
            return fail(p, "client-auth: expected request or require, got \"%s\"", show(value).s);
        }
        return true;
    case H_SESSION_TICKETS:
        if (strcmp(value, "issue") != 0)
            return fail(p, "session-tickets: expected issue, got \"%s\"", show(value).s);
        s->session_tickets = true;
        return true;
    case H_EARLY_DATA:
        if (strcmp(value, "on") != 0) return fail(p, "early-data: expected on, got \"%s\"", show(value).s);
        s->early_data = true;
        return true;
    case H_RENEGOTIATION:
        s->renegotiation_stated = true;
        if (strcmp(value, "allowed") == 0) {
            s->renegotiation = true;
        } else if (strcmp(value, "refused") != 0) {
            return fail(p, "renegotiation: expected allowed or refused, got \"%s\"", show(value).s);
        }
        return true;
    case H_GROUPS:
        return parse_code_points(p, "groups", "group", value, sd_group_from_name, LIST(group_list), s->groups,
                                 &s->n_groups, SD_MAX_SCENARIO_GROUPS);
    case H_SIGNATURE_ALGORITHMS:
        return parse_code_points(p, "signature-algorithms", "scheme", value, sd_signature_scheme_from_name,
                                 LIST(scheme_list), s->sigalgs, &s->n_sigalgs, SD_MAX_SCENARIO_SIGALGS);
    case H_ALPN: {
        /* `alpn: h2,http/1.1`: the protocols the stack under test offers
         * (a client) or speaks (a server), in its order of preference, as
         * RFC 7301 §3.1 names them: non-empty byte strings of at most 255
         * bytes, here without commas or blanks. */
        char why[160];
        for (const char *c = value; *c; c++)
            if (is_space(*c))
                return fail(p, "alpn: \"%s\" holds a blank (names are separated by single commas)",
                            show(value).s);
        /* 255 bytes at most: one length byte says them in a binary trace's
         * setup (binary.h). */
        if (!sd_alpn_from_text(value, s->alpn, sizeof s->alpn - 1, &s->alpn_len, why, sizeof why))
            return fail(p, "alpn: %s", why);
        return true;
    }
    case H_CLIENT_CREDENTIAL:
        if (!copy_text(p, name, s->client_credential, sizeof(s->client_credential), value)) return false;
        if (!is_name(s->client_credential))
            return fail(p, "client-credential: \"%s\" is not a credential name (use a-z, 0-9, '.', '_', '-')",
                        show(value).s);
        return true;
    case H_RECORD_SIZE_LIMIT: {
        /* RFC 8449 §4: a limit under 64 is never sent, and none above 2^14+1
         * (TLS 1.3's; "an endpoint MUST NOT send a value higher than the
         * protocol-defined maximum record size"). A trace sends a smaller
         * one with add-ext=record_size_limit:<hex>. */
        long v;
        if (!parse_long(value, SD_RECORD_SIZE_LIMIT_MIN, SD_RECORD_SIZE_LIMIT_TLS13, &v))
            return fail(p, "record-size-limit: expected a number from 64 to 16385 (RFC 8449 §4), got \"%s\"",
                        show(value).s);
        s->record_size_limit = (uint16_t)v;
        return true;
    }
    case H_CERTIFICATE_COMPRESSION: {
        /* `certificate-compression: zlib,brotli`: RFC 8879 §3's algorithms
         * by name (or number), each once, the ones this build implements
         * (a trace offers others with add-ext=compress_certificate:<hex>). */
        s->n_cert_compression = 0;
        for (const char *c = value;;) {
            const char *end = strchr(c, ',');
            size_t len = end ? (size_t)(end - c) : strlen(c);
            uint16_t alg;
            if (!sd_cert_compression_from_name(c, len, &alg) || !sd_cert_compression_supported(alg))
                return fail(
                    p, "certificate-compression: expected zlib and/or brotli separated by commas, got \"%s\"",
                    show(value).s);
            for (size_t i = 0; i < s->n_cert_compression; i++)
                if (s->cert_compression[i] == alg)
                    return fail(p, "certificate-compression: \"%s\" names an algorithm twice", show(value).s);
            if (s->n_cert_compression == SD_MAX_CERT_COMPRESSION)
                return fail(p, "certificate-compression: more than %d algorithms", SD_MAX_CERT_COMPRESSION);
            s->cert_compression[s->n_cert_compression++] = alg;
            if (!end) break;
            c = end + 1;
        }
        return true;
    }
    case H_ENCRYPT_THEN_MAC:
        /* RFC 7366: the stack under test and the driver offer (client) or
         * accept (server) encrypt-then-MAC for a CBC suite. */
        if (strcmp(value, "on") != 0)
            return fail(p, "encrypt-then-mac: expected on, got \"%s\"", show(value).s);
        s->encrypt_then_mac = true;
        return true;
    case H_MAX_FRAGMENT_LENGTH: {
        /* RFC 6066 §4: "The allowed values for this field are: 2^9, 2^10,
         * 2^11, and 2^12", written as the lengths; a trace sends another
         * code with add-ext=max_fragment_length:<hex>. */
        long v;
        if (!parse_long(value, 512, 4096, &v) || (v & (v - 1)) != 0)
            return fail(p, "max-fragment-length: expected 512, 1024, 2048 or 4096 (RFC 6066 §4), got \"%s\"",
                        show(value).s);
        s->max_fragment_length = (uint8_t)(v == 512 ? 1 : v == 1024 ? 2 : v == 2048 ? 3 : 4);
        return true;
    }
    case H_STAPLE:
        /* A file of the fixture PKI by its name without ".der"
         * (ocsp-leaf-revoked), as `credential:` names its chain. */
        if (!copy_text(p, name, s->staple, sizeof(s->staple), value)) return false;
        if (!is_name(s->staple))
            return fail(p,
                        "staple: \"%s\" is not the name of a fixture file without .der (use a-z, 0-9, '.', "
                        "'_', '-')",
                        show(value).s);
        return true;
    }
    return fail(p, "internal error: unhandled header");
}

/* --- Actions ---------------------------------------------------------------- */

typedef struct {
    const char *s;
    bool quoted; /* "text": s is the text between the quotes */
} token;

/* Splits an action line into words, in place. A word starting with '"' runs
 * to the next '"' (no escapes; the printer falls back to hex= for text that
 * would need them). A word starting with '#' starts a comment. */
static bool tokenize(parser *p, char *line, token *tok, size_t *n_tok) {
    size_t n = 0;
    char *c = line;
    for (;;) {
        while (is_space(*c)) c++;
        if (*c == '\0' || *c == '#') break;
        if (n == MAX_TOKENS) return fail(p, "too many words on one line (max %d)", MAX_TOKENS);
        if (*c == '"') {
            char *end = strchr(c + 1, '"');
            if (end == NULL) return fail(p, "unterminated quoted text (missing closing '\"')");
            *end = '\0';
            tok[n].s = c + 1;
            tok[n].quoted = true;
            n++;
            c = end + 1;
            if (*c != '\0' && !is_space(*c))
                return fail(p, "text right after a closing quote (put a space after it)");
        } else {
            tok[n].s = c;
            tok[n].quoted = false;
            n++;
            while (*c && !is_space(*c)) c++;
            if (*c) *c++ = '\0';
        }
    }
    *n_tok = n;
    return true;
}

static bool handshake_type_arg(parser *p, const char *verb, const token *t, uint16_t *out) {
    if (t->quoted) return fail(p, "%s: expected a handshake message name, got quoted text", verb);
    uint8_t type;
    if (sd_handshake_type_from_name(t->s, &type) || parse_u8(t->s, &type)) {
        *out = type;
        return true;
    }
    /* A pseudo message: a ServerHello with the HelloRetryRequest random. */
    if (strcmp(t->s, "HelloRetryRequest") == 0) {
        *out = SD_MSG_TYPE_HELLO_RETRY_REQUEST;
        return true;
    }
    return fail(
        p, "unknown handshake message \"%s\" (expected one of %.*s, HelloRetryRequest, or a number 0-255)",
        show(t->s).s, LIST(handshake_list));
}

/* Trailing flags of the record-level actions: plaintext forces an
 * unprotected record, encrypted forces a protected one; neither means "as
 * the connection state requires". */
static bool parse_flags(parser *p, sd_action *a, const char *verb, const token *tok, size_t from, size_t n) {
    for (size_t i = from; i < n; i++) {
        if (!tok[i].quoted && strcmp(tok[i].s, "plaintext") == 0) {
            if (a->force_plaintext) return fail(p, "%s: plaintext given twice", verb);
            a->force_plaintext = true;
        } else if (!tok[i].quoted && strcmp(tok[i].s, "encrypted") == 0) {
            if (a->encrypted) return fail(p, "%s: encrypted given twice", verb);
            a->encrypted = true;
        } else {
            return fail(p, "%s: unexpected \"%s\" (expected plaintext or encrypted)", verb, show(tok[i].s).s);
        }
    }
    if (a->force_plaintext && a->encrypted)
        return fail(p, "%s: plaintext and encrypted contradict each other", verb);
    return true;
}

/* "text" or hex=<hex>: the payload of send-appdata / expect-appdata. */
static bool parse_data(parser *p, sd_action *a, const char *verb, const token *t) {
    if (t->quoted) {
        size_t n = strlen(t->s);
        if (n == 0) return true;
        a->bytes = malloc(n);
        if (a->bytes == NULL) return fail(p, "out of memory");
        memcpy(a->bytes, t->s, n);
        a->bytes_len = n;
        return true;
    }
    if (strncmp(t->s, "hex=", 4) == 0) return decode_hex(p, verb, t->s + 4, &a->bytes, &a->bytes_len);
    return fail(p, "%s: expected \"text\" or hex=<hex>, got \"%s\"", verb, show(t->s).s);
}

/* The names of every mutation, for the error about a word that is none:
 * those that take a value first ("body=, flip=, ..."), then the bare words,
 * each group in the order of SD_MUTATIONS. */
static void mutation_list(char *out, size_t out_len) {
    sd_mutation_kind order[SD_MUT_COUNT];
    size_t n = 0;
    for (int bare = 0; bare < 2; bare++)
        for (size_t k = 0; k < SD_MUT_COUNT; k++)
            if ((sd_mutation_info_of((sd_mutation_kind)k)->arg == SD_MUT_ARG_NONE) == bare)
                order[n++] = (sd_mutation_kind)k;
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < out_len; i++) {
        const sd_mutation_info *m = sd_mutation_info_of(order[i]);
        int w = snprintf(out + used, out_len - used, "%s%s%s",
                         i == 0       ? ""
                         : i + 1 == n ? " or "
                                      : ", ",
                         m->name, m->arg == SD_MUT_ARG_NONE ? "" : "=");
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* <offset>:<mask>, the argument of flip= and the tail of flip-ext=: offset
 * a number (negative from the end) or first, middle, last; mask 0-255.
 * `form` is the whole argument's usage, for the error about its shape. */
static bool parse_offset_mask(parser *p, const char *name, const char *value, const char *form,
                              const char *example, long *offset, long *mask) {
    const char *colon = strchr(value, ':');
    if (colon == NULL || strchr(colon + 1, ':') != NULL)
        return fail(p, "bad %s=%s: expected %s=%s, e.g. %s", name, show(value).s, name, form, example);
    char off[32];
    size_t off_len = (size_t)(colon - value);
    if (off_len >= sizeof(off)) return fail(p, "bad %s= offset \"%s\"", name, show(value).s);
    memcpy(off, value, off_len);
    off[off_len] = '\0';
    if (strcmp(off, "first") == 0) {
        *offset = 0;
    } else if (strcmp(off, "last") == 0) {
        *offset = -1;
    } else if (strcmp(off, "middle") == 0) {
        *offset = SD_OFFSET_MIDDLE;
    } else if (!parse_long(off, LONG_MIN + 1, LONG_MAX, offset)) {
        return fail(
            p, "bad %s= offset \"%s\" (expected a number, negative from the end, or first, middle, last)",
            name, show(off).s);
    }
    if (!parse_long(colon + 1, 0, 255, mask))
        return fail(p, "bad %s= mask \"%s\" (expected 0x00-0xff or 0-255)", name, show(colon + 1).s);
    return true;
}

/* flip=<offset>:<mask>: the mask goes in `value`. */
static bool parse_flip(parser *p, const char *name, const char *value, sd_mutation *mut) {
    char example[64];
    snprintf(example, sizeof example, "%s=0:0x01 or %s=last:0x80", name, name);
    return parse_offset_mask(p, name, value, "<offset>:<mask>", example, &mut->offset, &mut->value);
}

/* <extension>, or with bytes <extension>:<hex> (no ':' is an empty body). */
static bool parse_extension(parser *p, const char *name, const char *value, bool with_bytes,
                            const sd_mutation_fields *f, sd_mutation *mut) {
    char ext[48];
    const char *colon = with_bytes ? strchr(value, ':') : NULL;
    size_t ext_len = colon ? (size_t)(colon - value) : strlen(value);
    if (ext_len == 0 || ext_len >= sizeof(ext))
        return fail(p, "bad %s=%s (expected an extension name or a number 0-65535%s)", name, show(value).s,
                    with_bytes ? ", then optionally :<hex>" : "");
    memcpy(ext, value, ext_len);
    ext[ext_len] = '\0';
    uint16_t type;
    if (sd_extension_from_name(ext, &type)) {
        mut->value = type;
    } else if (!parse_long(ext, f->value_min, f->value_max, &mut->value)) {
        return fail(p,
                    "bad %s=%s: unknown extension \"%s\" (expected a name such as key_share or a number "
                    "0-65535)",
                    name, show(value).s, show(ext).s);
    }
    if (colon) {
        char what[32];
        snprintf(what, sizeof(what), "%s=", name);
        if (!decode_hex(p, what, colon + 1, &mut->bytes, &mut->bytes_len)) return false;
    }
    return true;
}

/* flip-ext=<extension>:<offset>:<mask>: the extension in `value` (a name or
 * a number, as parse_extension reads it), then flip='s offset and mask. */
static bool parse_extension_flip(parser *p, const char *name, const char *value, const sd_mutation_fields *f,
                                 sd_mutation *mut) {
    static const char form[] = "<extension>:<offset>:<mask>";
    char example[64];
    snprintf(example, sizeof example, "%s=cookie:last:0x01", name);
    const char *colon = strchr(value, ':');
    char ext[48];
    size_t ext_len = colon ? (size_t)(colon - value) : 0;
    if (colon == NULL || ext_len >= sizeof ext)
        return fail(p, "bad %s=%s: expected %s=%s, e.g. %s", name, show(value).s, name, form, example);
    memcpy(ext, value, ext_len);
    ext[ext_len] = '\0';
    if (!parse_extension(p, name, ext, false, f, mut)) return false;
    long mask = 0;
    if (!parse_offset_mask(p, name, colon + 1, form, example, &mut->offset, &mask)) return false;
    mut->mask = (uint8_t)mask;
    return true;
}

static bool parse_mutation(parser *p, sd_action *a, const token *t) {
    if (t->quoted) return fail(p, "send: unexpected quoted text (mutations are words such as flip=0:0x01)");
    const char *word = t->s;
    const char *eq = strchr(word, '=');
    size_t name_len = eq ? (size_t)(eq - word) : strlen(word);
    const char *value = eq ? eq + 1 : NULL;

    sd_mutation mut;
    memset(&mut, 0, sizeof(mut));
    if (!sd_mutation_from_name(word, name_len, &mut.kind)) {
        char list[1024];
        mutation_list(list, sizeof(list));
        return fail(p, "unknown mutation \"%s\" (expected %s)", show(word).s, list);
    }
    const sd_mutation_info *info = sd_mutation_info_of(mut.kind);
    const sd_mutation_fields *f = sd_mutation_arg_fields(info->arg);
    const char *name = info->name;
    if (info->arg != SD_MUT_ARG_NONE && value == NULL)
        return fail(p, "mutation %s needs a value (%s=...)", name, name);
    if (info->arg == SD_MUT_ARG_NONE && value != NULL) return fail(p, "mutation %s takes no value", name);
    if (a->n_mutations == SD_MAX_MUTATIONS)
        return fail(p, "too many mutations (max %d per message)", SD_MAX_MUTATIONS);

    switch (info->arg) {
    case SD_MUT_ARG_NONE:
        break;
    case SD_MUT_ARG_BYTES:
    case SD_MUT_ARG_BYTES8:
    case SD_MUT_ARG_BYTES32: {
        char what[32];
        snprintf(what, sizeof(what), "%s=", name);
        if (!decode_hex(p, what, value, &mut.bytes, &mut.bytes_len)) return false;
        if (mut.bytes_len < f->bytes_min || (f->bytes_max && mut.bytes_len > f->bytes_max)) {
            size_t n = mut.bytes_len;
            free(mut.bytes);
            const char *why = info->arg == SD_MUT_ARG_BYTES8 ? "its length prefix is one byte"
                                                             : "a hello's random is 32 bytes";
            if (f->bytes_min == 0)
                return fail(p, "bad %s=: %zu bytes (at most %zu: %s)", name, n, f->bytes_max, why);
            return fail(p, "bad %s=: %zu bytes (%zu-%zu: %s)", name, n, f->bytes_min, f->bytes_max, why);
        }
        break;
    }
    case SD_MUT_ARG_FLIP:
        if (!parse_flip(p, name, value, &mut)) return false;
        break;
    case SD_MUT_ARG_EXTENSION_FLIP:
        if (!parse_extension_flip(p, name, value, f, &mut)) return false;
        break;
    case SD_MUT_ARG_U24:
        if (!parse_long(value, f->value_min, f->value_max, &mut.value))
            return fail(p, "bad %s=%s (expected a number %ld-%ld)", name, show(value).s, f->value_min,
                        f->value_max);
        break;
    case SD_MUT_ARG_SPLIT:
        if (!parse_long(value, f->value_min, f->value_max, &mut.value))
            return fail(p, "bad %s=%s (expected a record size %ld-%ld)", name, show(value).s, f->value_min,
                        f->value_max);
        break;
    case SD_MUT_ARG_HANDSHAKE_TYPE: {
        uint8_t type;
        if (!sd_handshake_type_from_name(value, &type) && !parse_u8(value, &type))
            return fail(p, "bad %s=%s (expected a handshake message name or a number 0-255)", name,
                        show(value).s);
        mut.value = type;
        break;
    }
    case SD_MUT_ARG_EXTENSION:
    case SD_MUT_ARG_EXTENSION_BYTES:
        if (!parse_extension(p, name, value, info->arg == SD_MUT_ARG_EXTENSION_BYTES, f, &mut)) return false;
        break;
    case SD_MUT_ARG_U16:
        if (!parse_long(value, f->value_min, f->value_max, &mut.value))
            return fail(p, "bad %s=%s (expected a number 0-0xffff, e.g. 0x0301)", name, show(value).s);
        break;
    case SD_MUT_ARG_U8:
        if (!parse_long(value, f->value_min, f->value_max, &mut.value))
            return fail(p, "bad %s=%s (expected a number 0-255)", name, show(value).s);
        break;
    case SD_MUT_ARG_U8_PAIR: {
        /* <n>:<m>, two numbers 0-255 (cbc-padding=<length>:<byte>). */
        const char *colon = strchr(value, ':');
        long second = 0;
        char first[32];
        size_t first_len = colon ? (size_t)(colon - value) : 0;
        if (colon == NULL || first_len >= sizeof first)
            return fail(p, "bad %s=%s (expected <n>:<m>, two numbers 0-255, e.g. %s=11:0x0a)", name,
                        show(value).s, name);
        memcpy(first, value, first_len);
        first[first_len] = '\0';
        if (!parse_long(first, f->value_min, f->value_max, &mut.value) ||
            !parse_long(colon + 1, 0, 255, &second))
            return fail(p, "bad %s=%s (expected <n>:<m>, two numbers 0-255, e.g. %s=11:0x0a)", name,
                        show(value).s, name);
        mut.mask = (uint8_t)second;
        break;
    }
    case SD_MUT_ARG_CREDENTIAL:
        if (!is_name(value) || strlen(value) >= sizeof(mut.text))
            return fail(p, "bad %s=%s (expected a credential name: a-z, 0-9, '.', '_', '-', max %zu bytes)",
                        name, show(value).s, sizeof(mut.text) - 1);
        memcpy(mut.text, value, strlen(value) + 1);
        break;
    }
    a->mutations[a->n_mutations++] = mut;
    return true;
}

#define EXPECT_USAGE "expect <HandshakeType> [random=<hex>] [psk=<n>|none...] [if-full] [if-announced]"

/* expect ServerHello psk=1|none: which answers to the driver's PSK offer
 * pass (RFC 8446 §4.2.11), a set of identities 0-14 and `none`. */
static bool parse_expect_psk(parser *p, sd_action *a, const char *s) {
    if (a->msg_type != SD_ServerHello) return fail(p, "expect: psk= checks a ServerHello's pre_shared_key");
    if (a->expect_psk) return fail(p, "expect: psk= given twice");
    const char *at = s;
    for (;;) {
        const char *bar = strchr(at, '|');
        size_t len = bar ? (size_t)(bar - at) : strlen(at);
        uint16_t bit = 0;
        if (len == 4 && strncmp(at, "none", 4) == 0) {
            bit = SD_EXPECT_PSK_NONE;
        } else {
            unsigned long n = 0;
            size_t k = 0;
            for (; k < len && at[k] >= '0' && at[k] <= '9' && n <= SD_EXPECT_PSK_MAX_INDEX; k++)
                n = n * 10 + (unsigned long)(at[k] - '0');
            if (k == 0 || k != len || n > SD_EXPECT_PSK_MAX_INDEX)
                return fail(p,
                            "bad psk=%s: expected identities 0-%d or none, separated by |, e.g. psk=1|none",
                            show(s).s, SD_EXPECT_PSK_MAX_INDEX);
            bit = (uint16_t)(1u << n);
        }
        if (a->expect_psk & bit) return fail(p, "bad psk=%s: an answer given twice", show(s).s);
        a->expect_psk |= bit;
        if (!bar) return true;
        at = bar + 1;
    }
}

static bool parse_expect_random(parser *p, sd_action *a, const token *t);

/* The options of expect, in any order, each at most once. */
static bool parse_expect_option(parser *p, sd_action *a, const token *t) {
    if (!t->quoted && strcmp(t->s, "if-full") == 0) {
        if (a->if_full) return fail(p, "expect: if-full given twice");
        a->if_full = true;
        return true;
    }
    if (!t->quoted && strcmp(t->s, "if-announced") == 0) {
        /* RFC 5077 §3.3: what the ServerHello's session_ticket announces is
         * a NewSessionTicket, and nothing else. */
        if (a->msg_type != SD_NewSessionTicket)
            return fail(p, "expect: if-announced is for a NewSessionTicket (RFC 5077 §3.3)");
        /* Headers come before actions, so a scenario's version is known
         * here (a bare trace has none). A TLS 1.3 server announces no
         * ticket: it may send one at any time after its Finished (RFC 8446
         * §4.6.1), so the step would never be taken. */
        bool only_tls13 = p->header_line[H_VERSIONS] ? p->s->min_version == SD_TLS13
                                                     : p->header_line[H_VERSION] && p->s->version == SD_TLS13;
        if (only_tls13)
            return fail(p, "expect: if-announced is for TLS 1.2, where the ServerHello's session_ticket "
                           "announces the NewSessionTicket (RFC 5077 §3.3); TLS 1.3 has no such announcement "
                           "(RFC 8446 §4.6.1)");
        if (a->if_announced) return fail(p, "expect: if-announced given twice");
        a->if_announced = true;
        return true;
    }
    if (!t->quoted && strncmp(t->s, "psk=", 4) == 0) return parse_expect_psk(p, a, t->s + 4);
    if (!t->quoted && strncmp(t->s, "random=", 7) == 0 && a->bytes_len)
        return fail(p, "expect: random= given twice");
    return parse_expect_random(p, a, t);
}

/* expect <hello> random=<hex>: the target's hello random must end with
 * these 1-32 bytes (RFC 8446 §4.1.3 puts its downgrade sentinels in the
 * last 8), kept in the action's bytes. */
static bool parse_expect_random(parser *p, sd_action *a, const token *t) {
    if (t->quoted || strncmp(t->s, "random=", 7) != 0)
        return fail(p, "expect: unknown argument (usage: " EXPECT_USAGE ")");
    if (!sd_expect_random_allowed(a->msg_type))
        return fail(p, "expect: random= checks the random of a ClientHello or ServerHello");
    if (!decode_hex(p, "random=", t->s + 7, &a->bytes, &a->bytes_len)) return false;
    if (a->bytes_len < 1 || a->bytes_len > SD_RANDOM_LEN)
        return fail(p, "bad random=: %zu bytes (1-%d: a hello's random is %d bytes)", a->bytes_len,
                    SD_RANDOM_LEN, SD_RANDOM_LEN);
    return true;
}

/* How many words an action takes: verb plus required arguments, and whether
 * more may follow (flags or mutations). */
static bool need_args(parser *p, const char *verb, size_t n_tok, size_t required, bool more_allowed,
                      const char *usage) {
    if (n_tok < required + 1) return fail(p, "%s: missing argument (usage: %s)", verb, usage);
    if (!more_allowed && n_tok > required + 1)
        return fail(p, "%s: too many arguments (usage: %s)", verb, usage);
    return true;
}

static bool parse_action(parser *p, char *line) {
    token tok[MAX_TOKENS];
    size_t n = 0;
    if (!tokenize(p, line, tok, &n)) return false;
    if (n == 0) return true; /* unreachable: blank lines are skipped earlier */
    if (tok[0].quoted) return fail(p, "expected an action, got quoted text");
    const char *verb = tok[0].s;
    size_t v = N_VERBS;
    for (size_t i = 0; i < N_VERBS; i++)
        if (strcmp(verbs[i].verb, verb) == 0) v = i;
    if (v == N_VERBS)
        return fail(p,
                    "unknown action \"%s\" (expected one of send, expect, send-alert, send-ccs, "
                    "send-appdata, expect-appdata, expect-close, send-raw, expect-ccs, renegotiate, "
                    "connection)",
                    show(verb).s);

    if (!p->first_action_line) p->first_action_line = p->line;
    sd_action *a = sd_trace_add(&p->s->trace, verbs[v].kind);
    if (a == NULL) return fail(p, "out of memory");
    a->line = p->line;

    switch (a->kind) {
    case SD_ACT_SEND:
        if (!need_args(p, verb, n, 1, true, "send <HandshakeType> [mutations...]")) return false;
        if (!handshake_type_arg(p, verb, &tok[1], &a->msg_type)) return false;
        for (size_t i = 2; i < n; i++)
            if (!parse_mutation(p, a, &tok[i])) return false;
        return true;
    case SD_ACT_RENEGOTIATE:
        /* The new ClientHello takes send's mutations. */
        a->msg_type = SD_ClientHello;
        for (size_t i = 1; i < n; i++)
            if (!parse_mutation(p, a, &tok[i])) return false;
        return true;
    case SD_ACT_EXPECT:
        if (!need_args(p, verb, n, 1, true, EXPECT_USAGE)) return false;
        if (!handshake_type_arg(p, verb, &tok[1], &a->msg_type)) return false;
        if (n > 6) return fail(p, "expect: too many arguments (usage: " EXPECT_USAGE ")");
        for (size_t i = 2; i < n; i++)
            if (!parse_expect_option(p, a, &tok[i])) return false;
        return true;
    case SD_ACT_SEND_ALERT:
        if (!need_args(p, verb, n, 2, true, "send-alert <level> <description> [plaintext|encrypted]"))
            return false;
        if (tok[1].quoted ||
            (!sd_alert_level_from_name(tok[1].s, &a->alert_level) && !parse_u8(tok[1].s, &a->alert_level)))
            return fail(p,
                        "send-alert: unknown alert level \"%s\" (expected warning, fatal or a number 0-255)",
                        show(tok[1].s).s);
        if (tok[2].quoted || (!sd_alert_from_name(tok[2].s, &a->alert) && !parse_u8(tok[2].s, &a->alert)))
            return fail(p, "unknown alert \"%s\" (expected one of %.*s, or a number 0-255)", show(tok[2].s).s,
                        LIST(alert_list));
        return parse_flags(p, a, verb, tok, 3, n);
    case SD_ACT_SEND_CCS:
        /* `empty-master` first, then the record flags. */
        if (n > 1 && !tok[1].quoted && strcmp(tok[1].s, "empty-master") == 0) {
            a->empty_master = true;
            return parse_flags(p, a, verb, tok, 2, n);
        }
        return parse_flags(p, a, verb, tok, 1, n);
    case SD_ACT_SEND_APPDATA: {
        if (!need_args(p, verb, n, 1, true,
                       "send-appdata \"text\"|hex=<hex> [record mutations...] [plaintext|encrypted]"))
            return false;
        if (!parse_data(p, a, verb, &tok[1])) return false;
        /* The record-level mutations (record-flip=, cbc-padding=,
         * inner-padding=, seq-skip=), then the flags. */
        size_t from = 2;
        for (; from < n && !tok[from].quoted && strcmp(tok[from].s, "plaintext") != 0 &&
               strcmp(tok[from].s, "encrypted") != 0;
             from++) {
            if (!parse_mutation(p, a, &tok[from])) return false;
            if (!sd_mutation_on_records(a->mutations[a->n_mutations - 1].kind))
                return fail(p,
                            "send-appdata: %s is not a record mutation (expected record-flip=, cbc-padding=, "
                            "inner-padding= or seq-skip=)",
                            sd_mutation_info_of(a->mutations[a->n_mutations - 1].kind)->name);
        }
        return parse_flags(p, a, verb, tok, from, n);
    }
    case SD_ACT_EXPECT_APPDATA:
        if (!need_args(p, verb, n, 1, false, "expect-appdata \"text\"|hex=<hex>")) return false;
        return parse_data(p, a, verb, &tok[1]);
    case SD_ACT_EXPECT_CLOSE:
        return need_args(p, verb, n, 0, false, "expect-close");
    case SD_ACT_EXPECT_CCS:
        return need_args(p, verb, n, 0, false, "expect-ccs");
    case SD_ACT_CONNECTION:
        return need_args(p, verb, n, 0, false, "connection");
    case SD_ACT_SEND_RAW: {
        if (!need_args(p, verb, n, 2, true, "send-raw <content-type> <hex> [fill=<n>] [plaintext|encrypted]"))
            return false;
        if (tok[1].quoted ||
            (!content_type_from_name(tok[1].s, &a->content_type) && !parse_u8(tok[1].s, &a->content_type)))
            return fail(p, "send-raw: unknown content type \"%s\" (expected one of %.*s, or a number 0-255)",
                        show(tok[1].s).s, LIST(content_type_list));
        if (tok[2].quoted) return fail(p, "send-raw: the payload is hex, not quoted text");
        /* hex= is accepted too, and is the only way to write an empty payload. */
        const char *hex = strncmp(tok[2].s, "hex=", 4) == 0 ? tok[2].s + 4 : tok[2].s;
        if (!decode_hex(p, verb, hex, &a->bytes, &a->bytes_len)) return false;
        /* fill=<n>: zero bytes after the payload up to n in all, so that a
         * record past 2^14 bytes needs no 2^15 hex digits (trace.h). */
        size_t from = 3;
        if (n > 3 && !tok[3].quoted && strncmp(tok[3].s, "fill=", 5) == 0) {
            long fill;
            if (!parse_long(tok[3].s + 5, 1, SD_RAW_FILL_MAX, &fill))
                return fail(p, "send-raw: fill= takes a record size 1-%u, not \"%s\"", SD_RAW_FILL_MAX,
                            show(tok[3].s + 5).s);
            a->fill = (size_t)fill;
            from = 4;
        }
        return parse_flags(p, a, verb, tok, from, n);
    }
    }
    return fail(p, "internal error: unhandled action");
}

/* --- Lines and files -------------------------------------------------------- */

static bool parse_line(parser *p, char *line) {
    char *c = line;
    while (is_space(*c)) c++;
    if (*c == '\0' || *c == '#') return true;
    /* key: value — a lowercase word glued to a ':' (actions never are). */
    size_t k = 0;
    while (is_key_char(c[k])) k++;
    if (k > 0 && c[k] == ':') return parse_header(p, c, k, c + k + 1);
    return parse_action(p, c);
}

static bool parse_script(const char *path, const char *text, size_t len, sd_scenario *s, bool scenario_mode,
                         char *err, size_t err_len) {
    memset(s, 0, sizeof(*s));
    sd_trace_init(&s->trace);
    s->version = SD_TLS13;
    memcpy(s->credential, "leaf", 5);
    if (path == NULL) path = "<script>";
    snprintf(s->path, sizeof(s->path), "%s", path);
    if (err != NULL && err_len > 0) err[0] = '\0';

    parser p;
    memset(&p, 0, sizeof(p));
    p.path = path;
    p.err = err;
    p.err_len = err_len;
    p.s = s;

    if (text == NULL) len = 0;
    size_t pos = 0;
    int line = 0;
    bool any_header = false;
    /* One line at a time, NUL-terminated, so the line parsers can use the
     * string functions and write terminators into words. On the heap: a
     * fuzzing thread's stack may be small. */
    char *buf = malloc(SD_SCRIPT_MAX_LINE + 1);
    if (buf == NULL) {
        fail(&p, "out of memory");
        goto error;
    }
    while (pos < len) {
        if (line == INT_MAX) {
            fail(&p, "too many lines");
            goto error;
        }
        p.line = ++line;
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && start[n - 1] == '\r') n--; /* CRLF files read the same */
        if (n > SD_SCRIPT_MAX_LINE) {
            fail(&p, "line too long (%zu bytes, max %d)", n, SD_SCRIPT_MAX_LINE);
            goto error;
        }
        if (memchr(start, '\0', n) != NULL) {
            fail(&p, "NUL byte in line");
            goto error;
        }
        if (!utf8_valid((const unsigned char *)start, n)) {
            fail(&p, "invalid UTF-8");
            goto error;
        }
        memcpy(buf, start, n);
        buf[n] = '\0';
        if (!parse_line(&p, buf)) goto error;
    }
    free(buf);
    buf = NULL;
    for (int h = 0; h < N_HEADERS; h++)
        if (p.header_line[h]) any_header = true;
    size_t at = 0;
    char why[160];
    if (!sd_trace_check_connections(&s->trace, &at, why, sizeof why)) {
        p.line = s->trace.actions[at].line;
        fail(&p, "%s", why);
        goto error;
    }

    if (scenario_mode) {
        if (!any_header && s->trace.n_actions == 0) {
            p.line = 1;
            fail(&p, "empty scenario: expected headers (id:, title:, rfc:, role:, expect:) and actions");
            goto error;
        }
        if (s->trace.n_actions == 0) {
            p.line = line > 0 ? line : 1;
            fail(&p, "no actions: a scenario needs at least one action after its headers");
            goto error;
        }
        /* Missing headers are reported where the header block ended. */
        p.line = p.first_action_line;
        for (int h = 0; h < N_HEADERS; h++) {
            if (headers[h].required && !p.header_line[h]) {
                fail(&p,
                     "missing header \"%s:\" (id, title, rfc, role and expect are required, "
                     "before the first action)",
                     headers[h].key);
                goto error;
            }
        }
        /* The client under test presents a certificate only when asked. */
        if (s->client_credential[0] && (s->role != SD_ROLE_CLIENT || s->client_auth == SD_CLIENT_AUTH_NONE)) {
            p.line = p.header_line[H_CLIENT_CREDENTIAL];
            fail(&p, "client-credential: names the certificate of a client under test (role: client) that "
                     "the server asks for one (client-auth:)");
            goto error;
        }
        /* Only a server staples (RFC 6066 §8): the driver, when it plays
         * one. */
        if (s->staple[0] && s->role == SD_ROLE_SERVER) {
            p.line = p.header_line[H_STAPLE];
            fail(&p, "staple: the driver staples an OCSP response only as the server (role: client)");
            goto error;
        }
    }
    return true;

error:
    free(buf);
    sd_scenario_free(s);
    return false;
}

bool sd_scenario_parse(const char *path, const char *text, size_t len, sd_scenario *out, char *err,
                       size_t err_len) {
    return parse_script(path, text, len, out, true, err, err_len);
}

bool sd_trace_parse(const char *path, const char *text, size_t len, sd_trace *out, char *err,
                    size_t err_len) {
    /* A whole sd_scenario is a few KB; keep it off the (possibly small)
     * stack of a fuzzing thread. */
    sd_scenario *s = malloc(sizeof(*s));
    sd_trace_init(out);
    if (s == NULL) {
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "%s:0: out of memory", path ? path : "<script>");
        return false;
    }
    bool ok = parse_script(path, text, len, s, false, err, err_len);
    if (ok) *out = s->trace; /* move: the scenario's headers are dropped */
    free(s);
    return ok;
}

bool sd_scenario_load(const char *path, sd_scenario *out, char *err, size_t err_len) {
    memset(out, 0, sizeof(*out));
    sd_trace_init(&out->trace);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (err != NULL && err_len > 0) snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return false;
    }
    char *text = malloc(MAX_FILE + 1);
    if (text == NULL) {
        fclose(f);
        if (err != NULL && err_len > 0) snprintf(err, err_len, "%s: out of memory", path);
        return false;
    }
    size_t len = fread(text, 1, MAX_FILE + 1, f);
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (read_error || len > MAX_FILE) {
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, read_error ? "%s: read error" : "%s: file too large (max %d bytes)", path,
                     MAX_FILE);
        free(text);
        return false;
    }
    bool ok = sd_scenario_parse(path, text, len, out, err, err_len);
    free(text);
    return ok;
}

bool sd_scenario_expects_alert(const sd_scenario *s, uint8_t alert) {
    if (s->expect != SD_EXPECT_ALERT) return false;
    if (alert == s->expect_alert) return true;
    for (size_t i = 0; i < s->n_expect_alert_also && i < SD_MAX_EXPECT_ALERTS - 1; i++)
        if (s->expect_alert_also[i] == alert) return true;
    return false;
}
