/* trace.c — the trace IR: a growable list of actions that own their bytes. */
#include "trace/trace.h"

#include <stdlib.h>
#include <string.h>

#include "wire/names.h"

void sd_trace_init(sd_trace *t) {
    t->n_actions = 0;
    t->cap = 0;
    t->actions = NULL;
}

static void action_free(sd_action *a) {
    free(a->bytes);
    a->bytes = NULL;
    a->bytes_len = 0;
    /* n_mutations is clamped: a trace built by hand (or by a buggy decoder)
     * must not make us walk past the array. */
    size_t n = a->n_mutations < SD_MAX_MUTATIONS ? a->n_mutations : SD_MAX_MUTATIONS;
    for (size_t i = 0; i < n; i++) {
        free(a->mutations[i].bytes);
        a->mutations[i].bytes = NULL;
        a->mutations[i].bytes_len = 0;
    }
}

void sd_trace_free(sd_trace *t) {
    if (t == NULL) return;
    for (size_t i = 0; i < t->n_actions; i++) action_free(&t->actions[i]);
    free(t->actions);
    sd_trace_init(t);
}

sd_action *sd_trace_add(sd_trace *t, sd_action_kind kind) {
    if (t->n_actions == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        /* Refuse rather than wrap: a fuzzer can ask for absurd traces. */
        if (cap < t->cap || cap > SIZE_MAX / sizeof(sd_action)) return NULL;
        sd_action *grown = realloc(t->actions, cap * sizeof(sd_action));
        if (grown == NULL) return NULL;
        t->actions = grown;
        t->cap = cap;
    }
    sd_action *a = &t->actions[t->n_actions++];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    return a;
}

static bool bytes_equal(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
    if (a_len != b_len) return false;
    return a_len == 0 || memcmp(a, b, a_len) == 0;
}

/* --- The mutation table ------------------------------------------------------ */

#define SD_MUT_INFO_ROW(kind, name, arg, version) [SD_MUT_##kind] = {name, arg, version},
static const sd_mutation_info mutation_info[SD_MUT_COUNT] = {SD_MUTATIONS(SD_MUT_INFO_ROW)};
#undef SD_MUT_INFO_ROW

const sd_mutation_info *sd_mutation_info_of(sd_mutation_kind kind) {
    /* Unsigned: a corrupt kind may be negative. */
    return (unsigned)kind < SD_MUT_COUNT ? &mutation_info[kind] : NULL;
}

bool sd_mutation_from_name(const char *name, size_t len, sd_mutation_kind *out) {
    for (size_t k = 0; k < SD_MUT_COUNT; k++) {
        if (strlen(mutation_info[k].name) == len && memcmp(mutation_info[k].name, name, len) == 0) {
            *out = (sd_mutation_kind)k;
            return true;
        }
    }
    return false;
}

bool sd_mutation_on_records(sd_mutation_kind kind) {
    return kind == SD_MUT_RECORD_FLIP || kind == SD_MUT_CBC_PADDING || kind == SD_MUT_INNER_PADDING ||
           kind == SD_MUT_SEQ_SKIP;
}

/* Largest values a mutation may carry: bodies and handshake lengths are
 * uint24 (RFC 8446 §4); a record carries at most 2^14 bytes (§5.1), so a
 * split into larger records would not be a split. */
#define MAX_U24 0xffffffL
#define MAX_SPLIT 16384L

static const sd_mutation_fields arg_fields[] = {
    [SD_MUT_ARG_NONE] = {0},
    [SD_MUT_ARG_BYTES] = {.bytes = true},
    [SD_MUT_ARG_FLIP] = {.value = true, .offset = true, .value_min = 0, .value_max = 255},
    [SD_MUT_ARG_U24] = {.value = true, .value_min = 0, .value_max = MAX_U24},
    [SD_MUT_ARG_SPLIT] = {.value = true, .value_min = 1, .value_max = MAX_SPLIT},
    [SD_MUT_ARG_HANDSHAKE_TYPE] = {.value = true, .value_min = 0, .value_max = 255},
    [SD_MUT_ARG_EXTENSION] = {.value = true, .value_min = 0, .value_max = 0xffff},
    [SD_MUT_ARG_EXTENSION_BYTES] = {.value = true, .bytes = true, .value_min = 0, .value_max = 0xffff},
    [SD_MUT_ARG_U16] = {.value = true, .value_min = 0, .value_max = 0xffff},
    [SD_MUT_ARG_CREDENTIAL] = {.text = true},
    /* A one-byte length prefix counts at most 255 bytes. */
    [SD_MUT_ARG_BYTES8] = {.bytes = true, .bytes_max = 255},
    [SD_MUT_ARG_EXTENSION_FLIP] =
        {.value = true, .offset = true, .mask = true, .value_min = 0, .value_max = 0xffff},
    /* A hello's random is 32 bytes (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2);
     * empty would change nothing. */
    [SD_MUT_ARG_BYTES32] = {.bytes = true, .bytes_min = 1, .bytes_max = 32},
    [SD_MUT_ARG_U8] = {.value = true, .value_min = 0, .value_max = 255},
    /* Two one-byte fields: a CBC padding_length and the padding bytes'
     * value (RFC 5246 §6.2.3.2). */
    [SD_MUT_ARG_U8_PAIR] = {.value = true, .mask = true, .value_min = 0, .value_max = 255},
};

const sd_mutation_fields *sd_mutation_arg_fields(sd_mutation_arg arg) {
    return (unsigned)arg < sizeof arg_fields / sizeof arg_fields[0] ? &arg_fields[arg] : NULL;
}

/* --- Equality ----------------------------------------------------------------- */

/* Compares only the fields that mean something for the mutation's shape,
 * so that leftovers in unused fields do not make two identical deviations
 * look different. */
static bool mutation_equal(const sd_mutation *a, const sd_mutation *b) {
    if (a->kind != b->kind) return false;
    /* An out-of-range kind: compare everything rather than guess. */
    static const sd_mutation_fields all = {
        .value = true, .offset = true, .bytes = true, .text = true, .mask = true};
    const sd_mutation_info *info = sd_mutation_info_of(a->kind);
    const sd_mutation_fields *f = info ? sd_mutation_arg_fields(info->arg) : &all;
    return (!f->value || a->value == b->value) && (!f->offset || a->offset == b->offset) &&
           (!f->bytes || bytes_equal(a->bytes, a->bytes_len, b->bytes, b->bytes_len)) &&
           (!f->text || strncmp(a->text, b->text, sizeof(a->text)) == 0) && (!f->mask || a->mask == b->mask);
}

static bool mutations_equal(const sd_action *a, const sd_action *b) {
    if (a->n_mutations != b->n_mutations || a->n_mutations > SD_MAX_MUTATIONS) return false;
    for (size_t i = 0; i < a->n_mutations; i++)
        if (!mutation_equal(&a->mutations[i], &b->mutations[i])) return false;
    return true;
}

/* Same idea for actions: the fields each kind uses are listed in trace.h. */
static bool action_equal(const sd_action *a, const sd_action *b) {
    if (a->kind != b->kind) return false;
    bool flags = a->encrypted == b->encrypted && a->force_plaintext == b->force_plaintext;
    bool data = bytes_equal(a->bytes, a->bytes_len, b->bytes, b->bytes_len);
    switch (a->kind) {
    case SD_ACT_SEND:
    case SD_ACT_RENEGOTIATE:
        return a->msg_type == b->msg_type && mutations_equal(a, b);
    case SD_ACT_EXPECT:
        return a->msg_type == b->msg_type && data && a->expect_psk == b->expect_psk &&
               a->if_full == b->if_full && a->if_announced == b->if_announced;
    case SD_ACT_SEND_ALERT:
        return a->alert_level == b->alert_level && a->alert == b->alert && flags;
    case SD_ACT_SEND_CCS:
        return flags && a->empty_master == b->empty_master;
    case SD_ACT_SEND_APPDATA:
        return data && flags && mutations_equal(a, b);
    case SD_ACT_SEND_RAW:
        return a->content_type == b->content_type && data && flags && a->fill == b->fill;
    case SD_ACT_EXPECT_APPDATA:
        return data;
    case SD_ACT_EXPECT_CLOSE:
    case SD_ACT_EXPECT_CCS:
    case SD_ACT_CONNECTION:
        return true;
    }
    return false;
}

bool sd_trace_equal(const sd_trace *a, const sd_trace *b) {
    if (a->n_actions != b->n_actions) return false;
    for (size_t i = 0; i < a->n_actions; i++)
        if (!action_equal(&a->actions[i], &b->actions[i])) return false;
    return true;
}

size_t sd_trace_connections(const sd_trace *t) {
    size_t n = 1;
    for (size_t i = 0; i < t->n_actions; i++) n += t->actions[i].kind == SD_ACT_CONNECTION;
    return n;
}

bool sd_trace_check_connections(const sd_trace *t, size_t *at, char *why, size_t why_len) {
    size_t connections = 1;
    for (size_t i = 0; i < t->n_actions; i++) {
        if (t->actions[i].kind != SD_ACT_CONNECTION) continue;
        *at = i;
        /* A connection that does nothing tests nothing, and would make two
         * spellings of one run. */
        if (i == 0) return sd_set_error(why, why_len, "connection before any action of the first one"), false;
        if (t->actions[i - 1].kind == SD_ACT_CONNECTION)
            return sd_set_error(why, why_len, "connection right after another: connection %zu does nothing",
                                connections),
                   false;
        if (i + 1 == t->n_actions)
            return sd_set_error(why, why_len, "connection as the last action: connection %zu does nothing",
                                connections + 1),
                   false;
        if (++connections > SD_MAX_CONNECTIONS)
            return sd_set_error(why, why_len, "more than %d connections", SD_MAX_CONNECTIONS), false;
    }
    return true;
}

bool sd_expect_random_allowed(uint16_t msg_type) {
    return msg_type == SD_ClientHello || msg_type == SD_ServerHello;
}

void sd_scenario_free(sd_scenario *s) {
    if (s == NULL) return;
    sd_trace_free(&s->trace);
}
