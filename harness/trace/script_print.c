/* script_print.c — the printer of the text form of a trace: sd_trace_print,
 * the inverse of the action part of the parser (script.c). Every trace the
 * parser or the binary decoder accepts prints as a script that parses back
 * to an equal trace; keep the two files and docs/script-format.md in step. */
#include "trace/trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wire/names.h"

static void put(sd_buf *out, const char *s) { sd_buf_append(out, s, strlen(s)); }

/* A registry value by its name when it has one, else as a number. */
static void put_named(sd_buf *out, const char *name, unsigned value) {
    if (name != NULL) {
        put(out, name);
    } else {
        sd_buf_appendf(out, "%u", value);
    }
}

static void put_msg_type(sd_buf *out, uint16_t type) {
    if (type == SD_MSG_TYPE_HELLO_RETRY_REQUEST)
        put(out, "HelloRetryRequest");
    else
        put_named(out, sd_handshake_type_name(type), type);
}

static void put_hex(sd_buf *out, const uint8_t *bytes, size_t len) {
    if (len > 0) sd_hex_encode(sd_span_of(bytes, len), out);
}

/* Quoted text when it reads as text and needs no escaping, else hex=. */
static void put_data(sd_buf *out, const uint8_t *bytes, size_t len) {
    bool text = true;
    for (size_t i = 0; i < len; i++)
        if (bytes[i] < 0x20 || bytes[i] > 0x7e || bytes[i] == '"' || bytes[i] == '\\') text = false;
    if (text) {
        put(out, "\"");
        if (len > 0) sd_buf_append(out, bytes, len);
        put(out, "\"");
    } else {
        put(out, "hex=");
        put_hex(out, bytes, len);
    }
}

static void put_flags(sd_buf *out, const sd_action *a) {
    if (a->force_plaintext) put(out, " plaintext");
    if (a->encrypted) put(out, " encrypted");
}

/* <offset>:<mask> of flip= and flip-ext=: first, last, middle or the number;
 * the mask as 0x and two hex digits. */
static void put_offset_mask(sd_buf *out, long offset, unsigned mask) {
    if (offset == 0) {
        put(out, "first");
    } else if (offset == -1) {
        put(out, "last");
    } else if (offset == SD_OFFSET_MIDDLE) {
        put(out, "middle");
    } else {
        sd_buf_appendf(out, "%ld", offset);
    }
    sd_buf_appendf(out, ":0x%02x", mask & 0xff);
}

static void put_mutation(sd_buf *out, const sd_mutation *m) {
    const sd_mutation_info *info = sd_mutation_info_of(m->kind);
    if (info == NULL) return; /* not a mutation we know; nothing we could write back */
    put(out, " ");
    put(out, info->name);
    switch (info->arg) {
    case SD_MUT_ARG_NONE:
        break;
    case SD_MUT_ARG_BYTES:
    case SD_MUT_ARG_BYTES8:
    case SD_MUT_ARG_BYTES32:
        put(out, "=");
        put_hex(out, m->bytes, m->bytes_len);
        break;
    case SD_MUT_ARG_FLIP:
        put(out, "=");
        put_offset_mask(out, m->offset, (unsigned)(m->value & 0xff));
        break;
    case SD_MUT_ARG_EXTENSION_FLIP:
        put(out, "=");
        put_named(out, sd_extension_name((unsigned)(m->value & 0xffff)), (unsigned)(m->value & 0xffff));
        put(out, ":");
        put_offset_mask(out, m->offset, m->mask);
        break;
    case SD_MUT_ARG_U24:
    case SD_MUT_ARG_SPLIT:
    case SD_MUT_ARG_U8:
        sd_buf_appendf(out, "=%ld", m->value);
        break;
    case SD_MUT_ARG_U8_PAIR:
        sd_buf_appendf(out, "=%ld:0x%02x", m->value, m->mask);
        break;
    case SD_MUT_ARG_HANDSHAKE_TYPE:
        put(out, "=");
        put_named(out, sd_handshake_type_name((unsigned)(m->value & 0xff)), (unsigned)(m->value & 0xff));
        break;
    case SD_MUT_ARG_EXTENSION:
    case SD_MUT_ARG_EXTENSION_BYTES:
        put(out, "=");
        put_named(out, sd_extension_name((unsigned)(m->value & 0xffff)), (unsigned)(m->value & 0xffff));
        if (info->arg == SD_MUT_ARG_EXTENSION_BYTES && m->bytes_len) {
            put(out, ":");
            put_hex(out, m->bytes, m->bytes_len);
        }
        break;
    case SD_MUT_ARG_U16:
        sd_buf_appendf(out, "=0x%04lx", (unsigned long)m->value & 0xffff);
        break;
    case SD_MUT_ARG_CREDENTIAL: {
        /* text may fill the array without a NUL if it came from elsewhere. */
        const char *nul = memchr(m->text, '\0', sizeof(m->text));
        size_t n = nul ? (size_t)(nul - m->text) : sizeof(m->text);
        put(out, "=");
        sd_buf_append(out, m->text, n);
        break;
    }
    }
}

void sd_trace_print(const sd_trace *t, sd_buf *out) {
    for (size_t i = 0; i < t->n_actions; i++) {
        const sd_action *a = &t->actions[i];
        switch (a->kind) {
        case SD_ACT_SEND: {
            put(out, "send ");
            put_msg_type(out, a->msg_type);
            size_t n = a->n_mutations < SD_MAX_MUTATIONS ? a->n_mutations : SD_MAX_MUTATIONS;
            for (size_t k = 0; k < n; k++) put_mutation(out, &a->mutations[k]);
            break;
        }
        case SD_ACT_RENEGOTIATE: {
            put(out, "renegotiate");
            size_t n = a->n_mutations < SD_MAX_MUTATIONS ? a->n_mutations : SD_MAX_MUTATIONS;
            for (size_t k = 0; k < n; k++) put_mutation(out, &a->mutations[k]);
            break;
        }
        case SD_ACT_EXPECT:
            put(out, "expect ");
            put_msg_type(out, a->msg_type);
            if (a->bytes_len) {
                put(out, " random=");
                put_hex(out, a->bytes, a->bytes_len);
            }
            if (a->expect_psk) {
                const char *sep = " psk=";
                for (unsigned id = 0; id <= SD_EXPECT_PSK_MAX_INDEX; id++) {
                    if (!(a->expect_psk >> id & 1)) continue;
                    char n[24];
                    snprintf(n, sizeof n, "%s%u", sep, id);
                    put(out, n);
                    sep = "|";
                }
                if (a->expect_psk & SD_EXPECT_PSK_NONE) {
                    put(out, sep);
                    put(out, "none");
                }
            }
            if (a->if_full) put(out, " if-full");
            if (a->if_announced) put(out, " if-announced");
            break;
        case SD_ACT_SEND_ALERT:
            put(out, "send-alert ");
            put_named(out, sd_alert_level_name(a->alert_level), a->alert_level);
            put(out, " ");
            put_named(out, sd_alert_name(a->alert), a->alert);
            put_flags(out, a);
            break;
        case SD_ACT_SEND_CCS:
            put(out, a->empty_master ? "send-ccs empty-master" : "send-ccs");
            put_flags(out, a);
            break;
        case SD_ACT_SEND_APPDATA:
            put(out, "send-appdata ");
            put_data(out, a->bytes, a->bytes_len);
            for (size_t k = 0; k < a->n_mutations && k < SD_MAX_MUTATIONS; k++)
                put_mutation(out, &a->mutations[k]);
            put_flags(out, a);
            break;
        case SD_ACT_EXPECT_APPDATA:
            put(out, "expect-appdata ");
            put_data(out, a->bytes, a->bytes_len);
            break;
        case SD_ACT_EXPECT_CLOSE:
            put(out, "expect-close");
            break;
        case SD_ACT_EXPECT_CCS:
            put(out, "expect-ccs");
            break;
        case SD_ACT_CONNECTION:
            put(out, "connection");
            break;
        case SD_ACT_SEND_RAW:
            put(out, "send-raw ");
            put_named(out, sd_content_type_name(a->content_type), a->content_type);
            put(out, " ");
            if (a->bytes_len == 0) put(out, "hex=");
            put_hex(out, a->bytes, a->bytes_len);
            if (a->fill) sd_buf_appendf(out, " fill=%zu", a->fill);
            put_flags(out, a);
            break;
        default:
            /* A corrupt kind: say so in a comment rather than drop it silently. */
            sd_buf_appendf(out, "# unknown action kind %d", (int)a->kind);
            break;
        }
        put(out, "\n");
    }
}
