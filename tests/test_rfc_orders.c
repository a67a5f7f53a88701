/* test_rfc_orders.c — the message-order table (harness/protocol/sequences.c)
 * against a second statement of the same RFC figures, written separately
 * in another form: the grammar of tests/rfc_orders/handshake-flows.txt.
 *
 * The table is what the model checks messages against and what the
 * generated scenarios take their expectations from (gen-order asks it which
 * messages may come next). A transition wrongly allowed there would make
 * the model accept it and delete the one scenario that tests it, and
 * nothing else would notice. Here the grammar is expanded into every
 * complete handshake, and
 *   - that set must be the set of the table's rows (each step with its
 *     sender), both ways;
 *   - each row's flags must name the facts under which the grammar draws
 *     it;
 *   - after every prefix of every row, sd_shape_accept must allow exactly
 *     the messages the grammar allows next under the same facts, and move
 *     to a row the grammar still draws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/sequences.h"
#include "trace/generate.h"
#include "util/util.h"
#include "wire/names.h"

#ifndef SHAKEDOWN_SOURCE_DIR
#define SHAKEDOWN_SOURCE_DIR "."
#endif

/* --- The grammar ---------------------------------------------------------------- */

#define MAX_ATOMS 12
#define MAX_LITERALS 4
#define MAX_ITEMS 24
#define MAX_BRANCHES 4
#define MAX_NODES 256
#define MAX_FLOWS 8
#define MAX_EXCLUDES 8
#define MAX_FLOW_STEPS 32

/* A conjunction of facts, each maybe negated; `inverted` negates the whole
 * (the empty side of `[when c: x]`). No literals: always true. */
typedef struct {
    size_t n;
    struct {
        size_t atom;
        bool negated;
    } lits[MAX_LITERALS];
    bool inverted;
} condition;

typedef struct seq_node seq_node;

/* One element of a sequence: a message, or a choice among branches. */
typedef struct {
    bool is_message;
    sd_step step;
    size_t n_branches;
    seq_node *branches[MAX_BRANCHES];
} item;

/* A sequence; as a branch of a choice, possible only where `when` holds. */
struct seq_node {
    condition when;
    size_t n;
    item items[MAX_ITEMS];
};

typedef struct {
    char name[48];
    char citation[400];
    condition when;
    seq_node *body;
} flow;

typedef struct {
    condition when;
    char reason[400];
} exclusion;

typedef struct {
    char atoms[MAX_ATOMS][24];
    size_t n_atoms;
    flow flows[MAX_FLOWS];
    size_t n_flows;
    exclusion excludes[MAX_EXCLUDES];
    size_t n_excludes;
    seq_node nodes[MAX_NODES];
    size_t n_nodes;
} grammar;

/* --- Reading it ------------------------------------------------------------------- */

typedef enum { T_END, T_WORD, T_MESSAGE, T_STRING, T_PUNCT } token_kind;

typedef struct {
    const char *p;
    int line;
    token_kind kind;
    char text[400];
    char punct;
    sd_step step;
    grammar *g;
    char *err;
    size_t err_len;
    bool failed;
} parser;

static bool fail_at(parser *ps, const char *fmt, const char *arg) {
    if (!ps->failed) {
        char what[300];
        snprintf(what, sizeof what, fmt, arg);
        snprintf(ps->err, ps->err_len, "handshake-flows.txt:%d: %s", ps->line, what);
    }
    ps->failed = true;
    return false;
}

static bool word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A message name: the RFCs' HandshakeType names and the two steps that are
 * no handshake message. */
static bool message_from_name(const char *name, uint16_t *out) {
    if (strcmp(name, "HelloRetryRequest") == 0) {
        *out = SD_MSG_HELLO_RETRY_REQUEST;
        return true;
    }
    if (strcmp(name, "ChangeCipherSpec") == 0) {
        *out = SD_MSG_CHANGE_CIPHER_SPEC;
        return true;
    }
    uint8_t t;
    if (!sd_handshake_type_from_name(name, &t)) return false;
    *out = t;
    return true;
}

/* Reads the next token into ps. */
static bool next_token(parser *ps) {
    for (;;) {
        while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r' || *ps->p == '\n') {
            if (*ps->p == '\n') ps->line++;
            ps->p++;
        }
        if (*ps->p != '#') break;
        while (*ps->p && *ps->p != '\n') ps->p++;
    }
    ps->text[0] = '\0';
    if (!*ps->p) {
        ps->kind = T_END;
        return true;
    }
    if (*ps->p == '"') {
        const char *end = strchr(ps->p + 1, '"');
        const char *nl = strchr(ps->p + 1, '\n');
        if (!end || (nl && nl < end)) return fail_at(ps, "%s", "a string that does not end on its line");
        size_t len = (size_t)(end - ps->p - 1);
        if (len >= sizeof ps->text) return fail_at(ps, "%s", "a string too long");
        memcpy(ps->text, ps->p + 1, len);
        ps->text[len] = '\0';
        ps->kind = T_STRING;
        ps->p = end + 1;
        return true;
    }
    if (word_char(*ps->p)) {
        size_t len = 0;
        while (word_char(ps->p[len])) len++;
        if (len >= 64) return fail_at(ps, "%s", "a word too long");
        memcpy(ps->text, ps->p, len);
        ps->text[len] = '\0';
        ps->p += len;
        /* C:Name and S:Name are messages; a colon followed by anything
         * else ends a `when` condition. */
        if (len == 1 && (ps->text[0] == 'C' || ps->text[0] == 'S') && ps->p[0] == ':' &&
            word_char(ps->p[1])) {
            ps->step.from = ps->text[0] == 'C' ? SD_ROLE_CLIENT : SD_ROLE_SERVER;
            ps->p++;
            len = 0;
            while (word_char(ps->p[len])) len++;
            if (len >= 64) return fail_at(ps, "%s", "a message name too long");
            memcpy(ps->text, ps->p, len);
            ps->text[len] = '\0';
            ps->p += len;
            if (!message_from_name(ps->text, &ps->step.msg))
                return fail_at(ps, "unknown message '%s'", ps->text);
            ps->kind = T_MESSAGE;
            return true;
        }
        ps->kind = T_WORD;
        return true;
    }
    if (strchr("[]()|&!:", *ps->p)) {
        ps->kind = T_PUNCT;
        ps->punct = *ps->p++;
        return true;
    }
    char c[2] = {*ps->p, '\0'};
    return fail_at(ps, "unexpected character '%s'", c);
}

static bool at_punct(const parser *ps, char c) { return ps->kind == T_PUNCT && ps->punct == c; }
static bool at_word(const parser *ps, const char *w) {
    return ps->kind == T_WORD && strcmp(ps->text, w) == 0;
}

static bool expect_punct(parser *ps, char c) {
    char want[2] = {c, '\0'};
    if (!at_punct(ps, c)) return fail_at(ps, "expected '%s'", want);
    return next_token(ps);
}

static size_t atom_index(grammar *g, const char *name, bool *ok) {
    for (size_t i = 0; i < g->n_atoms; i++)
        if (strcmp(g->atoms[i], name) == 0) return i;
    if (g->n_atoms == MAX_ATOMS || strlen(name) >= sizeof g->atoms[0]) {
        *ok = false;
        return 0;
    }
    snprintf(g->atoms[g->n_atoms], sizeof g->atoms[0], "%s", name);
    return g->n_atoms++;
}

/* COND: fact (& fact)*, fact: [!]word. */
static bool parse_condition(parser *ps, condition *out) {
    memset(out, 0, sizeof *out);
    for (;;) {
        bool negated = false;
        if (at_punct(ps, '!')) {
            negated = true;
            if (!next_token(ps)) return false;
        }
        if (ps->kind != T_WORD || at_word(ps, "when") || at_word(ps, "flow") || at_word(ps, "exclude"))
            return fail_at(ps, "%s", "expected a fact");
        if (out->n == MAX_LITERALS) return fail_at(ps, "%s", "too many facts in one condition");
        bool ok = true;
        out->lits[out->n].atom = atom_index(ps->g, ps->text, &ok);
        out->lits[out->n].negated = negated;
        if (!ok) return fail_at(ps, "%s", "too many facts");
        out->n++;
        if (!next_token(ps)) return false;
        if (!at_punct(ps, '&')) return true;
        if (!next_token(ps)) return false;
    }
}

static seq_node *new_node(parser *ps) {
    if (ps->g->n_nodes == MAX_NODES) {
        fail_at(ps, "%s", "too many sequences");
        return NULL;
    }
    seq_node *n = &ps->g->nodes[ps->g->n_nodes++];
    memset(n, 0, sizeof *n);
    return n;
}

static bool at_sequence_end(const parser *ps) {
    return ps->kind == T_END || at_punct(ps, ']') || at_punct(ps, ')') || at_punct(ps, '|') ||
           at_word(ps, "flow") || at_word(ps, "exclude");
}

static bool parse_sequence(parser *ps, seq_node *into);

/* After `when`: COND ':' */
static bool parse_when(parser *ps, condition *out) {
    if (!next_token(ps) || !parse_condition(ps, out)) return false;
    return expect_punct(ps, ':');
}

static item *new_item(parser *ps, seq_node *into) {
    if (into->n == MAX_ITEMS) {
        fail_at(ps, "%s", "a sequence too long");
        return NULL;
    }
    item *it = &into->items[into->n++];
    memset(it, 0, sizeof *it);
    return it;
}

/* [ [when COND:] sequence ]: the sequence or nothing. */
static bool parse_optional(parser *ps, seq_node *into) {
    if (!next_token(ps)) return false;
    seq_node *present = new_node(ps), *absent = present ? new_node(ps) : NULL;
    item *it = absent ? new_item(ps, into) : NULL;
    if (!it) return false;
    if (at_word(ps, "when")) {
        if (!parse_when(ps, &present->when)) return false;
        absent->when = present->when;
        absent->when.inverted = true;
    }
    if (!parse_sequence(ps, present)) return false;
    if (present->n == 0) return fail_at(ps, "%s", "an empty [ ]");
    it->n_branches = 2;
    it->branches[0] = present;
    it->branches[1] = absent;
    return expect_punct(ps, ']');
}

/* ( [when COND:] sequence | ... ) */
static bool parse_choice(parser *ps, seq_node *into) {
    item *it = new_item(ps, into);
    if (!it) return false;
    do {
        if (!next_token(ps)) return false;
        if (it->n_branches == MAX_BRANCHES) return fail_at(ps, "%s", "too many alternatives");
        seq_node *branch = new_node(ps);
        if (!branch) return false;
        if (at_word(ps, "when") && !parse_when(ps, &branch->when)) return false;
        if (!parse_sequence(ps, branch)) return false;
        it->branches[it->n_branches++] = branch;
    } while (at_punct(ps, '|'));
    if (it->n_branches < 2) return fail_at(ps, "%s", "a ( ) with one alternative");
    return expect_punct(ps, ')');
}

static bool parse_sequence(parser *ps, seq_node *into) {
    while (!ps->failed && !at_sequence_end(ps)) {
        if (ps->kind == T_MESSAGE) {
            item *it = new_item(ps, into);
            if (!it) return false;
            it->is_message = true;
            it->step = ps->step;
            if (!next_token(ps)) return false;
        } else if (at_punct(ps, '[')) {
            if (!parse_optional(ps, into)) return false;
        } else if (at_punct(ps, '(')) {
            if (!parse_choice(ps, into)) return false;
        } else {
            return fail_at(ps, "unexpected '%s'", ps->kind == T_PUNCT ? (char[2]){ps->punct, 0} : ps->text);
        }
    }
    return !ps->failed;
}

static bool parse_grammar(const char *text, grammar *g, char *err, size_t err_len) {
    memset(g, 0, sizeof *g);
    parser ps = {.p = text, .line = 1, .g = g, .err = err, .err_len = err_len};
    if (!next_token(&ps)) return false;
    while (ps.kind != T_END) {
        if (at_word(&ps, "flow")) {
            if (g->n_flows == MAX_FLOWS) return fail_at(&ps, "%s", "too many flows");
            flow *f = &g->flows[g->n_flows++];
            if (!next_token(&ps)) return false;
            if (ps.kind != T_WORD) return fail_at(&ps, "%s", "expected the flow's name");
            snprintf(f->name, sizeof f->name, "%.47s", ps.text);
            if (!next_token(&ps)) return false;
            /* Each flow says which RFC figure it writes down. */
            if (ps.kind != T_STRING || strncmp(ps.text, "RFC ", 4) != 0)
                return fail_at(&ps, "flow %s: expected its citation, \"RFC ...\"", f->name);
            snprintf(f->citation, sizeof f->citation, "%s", ps.text);
            if (!next_token(&ps)) return false;
            if (at_word(&ps, "when")) {
                if (!next_token(&ps) || !parse_condition(&ps, &f->when)) return false;
            }
            if (!(f->body = new_node(&ps)) || !parse_sequence(&ps, f->body)) return false;
            if (f->body->n == 0) return fail_at(&ps, "flow %s has no messages", f->name);
            if (!at_word(&ps, "flow") && !at_word(&ps, "exclude") && ps.kind != T_END)
                return fail_at(&ps, "%s", "unbalanced ] or ) or a | outside ( )");
        } else if (at_word(&ps, "exclude")) {
            if (g->n_excludes == MAX_EXCLUDES) return fail_at(&ps, "%s", "too many exclusions");
            exclusion *x = &g->excludes[g->n_excludes++];
            if (!next_token(&ps) || !parse_condition(&ps, &x->when)) return false;
            if (ps.kind != T_STRING || !ps.text[0])
                return fail_at(&ps, "%s", "an exclusion needs its reason");
            snprintf(x->reason, sizeof x->reason, "%s", ps.text);
            if (!next_token(&ps)) return false;
        } else {
            return fail_at(&ps, "%s", "expected 'flow' or 'exclude'");
        }
    }
    if (g->n_flows == 0) return fail_at(&ps, "%s", "no flows");
    return true;
}

/* --- Expanding it --------------------------------------------------------------- */

/* The facts of one handshake: bit i is atom i. */
typedef unsigned facts;

typedef struct {
    size_t n;
    sd_step steps[MAX_FLOW_STEPS];
} sequence;

typedef struct {
    size_t n, cap;
    sequence *v;
} sequence_set;

static void set_free(sequence_set *s) {
    free(s->v);
    memset(s, 0, sizeof *s);
}

static bool same_step(sd_step a, sd_step b) { return a.from == b.from && a.msg == b.msg; }

static bool same_sequence(const sequence *a, const sequence *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (!same_step(a->steps[i], b->steps[i])) return false;
    return true;
}

static bool set_has(const sequence_set *s, const sequence *q) {
    for (size_t i = 0; i < s->n; i++)
        if (same_sequence(&s->v[i], q)) return true;
    return false;
}

static void set_add(sequence_set *s, const sequence *q) {
    if (set_has(s, q)) return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        assert_non_null(s->v);
    }
    s->v[s->n++] = *q;
}

static bool holds(const condition *c, facts f) {
    bool all = true;
    for (size_t i = 0; i < c->n; i++)
        if ((((f >> c->lits[i].atom) & 1u) != 0) == c->lits[i].negated) all = false;
    return c->inverted ? !all : all;
}

static void expand_node(const seq_node *node, facts f, sequence_set *out);

/* Every way to go on from each sequence of `in` with items[i..]. */
static void expand_items(const seq_node *node, size_t i, facts f, const sequence_set *in, sequence_set *out) {
    if (i == node->n) {
        for (size_t k = 0; k < in->n; k++) set_add(out, &in->v[k]);
        return;
    }
    const item *it = &node->items[i];
    sequence_set next = {0};
    if (it->is_message) {
        for (size_t k = 0; k < in->n; k++) {
            sequence q = in->v[k];
            assert_true(q.n < MAX_FLOW_STEPS);
            q.steps[q.n++] = it->step;
            set_add(&next, &q);
        }
    } else {
        for (size_t b = 0; b < it->n_branches; b++) {
            if (!holds(&it->branches[b]->when, f)) continue;
            sequence_set tails = {0};
            expand_node(it->branches[b], f, &tails);
            for (size_t k = 0; k < in->n; k++) {
                for (size_t t = 0; t < tails.n; t++) {
                    sequence q = in->v[k];
                    assert_true(q.n + tails.v[t].n <= MAX_FLOW_STEPS);
                    memcpy(q.steps + q.n, tails.v[t].steps, tails.v[t].n * sizeof(sd_step));
                    q.n += tails.v[t].n;
                    set_add(&next, &q);
                }
            }
            set_free(&tails);
        }
    }
    expand_items(node, i + 1, f, &next, out);
    set_free(&next);
}

static void expand_node(const seq_node *node, facts f, sequence_set *out) {
    sequence_set start = {0};
    sequence empty = {0};
    set_add(&start, &empty);
    expand_items(node, 0, f, &start, out);
    set_free(&start);
}

/* Every complete handshake the grammar draws under facts f. */
static void expand(const grammar *g, facts f, sequence_set *out) {
    for (size_t i = 0; i < g->n_flows; i++)
        if (holds(&g->flows[i].when, f)) expand_node(g->flows[i].body, f, out);
}

/* The exclusion that leaves out handshakes with facts f, or NULL. */
static const exclusion *excluded_by(const grammar *g, facts f) {
    for (size_t i = 0; i < g->n_excludes; i++)
        if (holds(&g->excludes[i].when, f)) return &g->excludes[i];
    return NULL;
}

/* The handshakes the harness plays: every complete one under every
 * combination of facts that no exclusion removes. */
static void expand_in_scope(const grammar *g, sequence_set *out) {
    for (facts f = 0; f < (1u << g->n_atoms); f++)
        if (!excluded_by(g, f)) expand(g, f, out);
}

/* --- Printing --------------------------------------------------------------------- */

static const char *step_text(sd_step s, char *buf, size_t len) {
    snprintf(buf, len, "%c:%s", s.from == SD_ROLE_CLIENT ? 'C' : 'S', sd_step_name(s.msg));
    return buf;
}

static void print_steps(const char *prefix, const sd_step *steps, size_t n) {
    char b[64];
    fprintf(stderr, "%s", prefix);
    for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", step_text(steps[i], b, sizeof b));
    fprintf(stderr, "\n");
}

/* --- The table in the grammar's terms ------------------------------------------------ */

/* What each flag of a row means. A flag is either a fact the grammar
 * names (decided by content), or marks the rows that hold a message the
 * sender chose to send (`held`), or both (OCSP: the status_request echo is
 * a fact, and the table keeps the rows where CertificateStatus was sent
 * apart). A flag that is neither means the test must learn it. */
static const struct {
    unsigned flag;
    const char *fact;
    uint16_t held;
} kFlagMeaning[] = {
    {SD_SHAPE_HRR, NULL, SD_MSG_HELLO_RETRY_REQUEST},
    {SD_SHAPE_CLIENT_AUTH, NULL, SD_CertificateRequest},
    {SD_SHAPE_NO_CLIENT_CERT, "empty-cert", 0},
    {SD_SHAPE_PSK, "psk", 0},
    {SD_SHAPE_TLS12, "tls12", 0},
    {SD_SHAPE_RSA_KX, "rsa-kx", 0},
    {SD_SHAPE_TICKET, "ticket", 0},
    {SD_SHAPE_RESUMED, "resumed", 0},
    {SD_SHAPE_OCSP, "status", SD_CertificateStatus},
    {SD_SHAPE_EARLY_DATA, "early-data", 0},
};
#define N_FLAG_MEANINGS (sizeof kFlagMeaning / sizeof kFlagMeaning[0])

static size_t find_atom(const grammar *g, const char *name) {
    for (size_t i = 0; i < g->n_atoms; i++)
        if (strcmp(g->atoms[i], name) == 0) return i;
    return SIZE_MAX;
}

/* The facts a row's flags state. */
static facts facts_of(const grammar *g, unsigned flags) {
    facts f = 0;
    for (size_t i = 0; i < N_FLAG_MEANINGS; i++) {
        if (!(flags & kFlagMeaning[i].flag) || !kFlagMeaning[i].fact) continue;
        size_t a = find_atom(g, kFlagMeaning[i].fact);
        assert_true(a != SIZE_MAX);
        f |= 1u << a;
    }
    return f;
}

static bool holds_message(const sd_shape *s, size_t upto, uint16_t msg) {
    for (size_t i = 0; i < upto && i < s->n_steps; i++)
        if (s->steps[i].msg == msg) return true;
    return false;
}

/* Whether an endpoint can be at `pos` of row s: a row that a message
 * announces (HelloRetryRequest, CertificateRequest) is entered when that
 * message comes, so before it the endpoint is in the row without it. */
static bool reachable(const sd_shape *s, size_t pos) {
    for (size_t i = 0; i < N_FLAG_MEANINGS; i++)
        if ((s->flags & kFlagMeaning[i].flag) && !kFlagMeaning[i].fact &&
            !holds_message(s, pos, kFlagMeaning[i].held))
            return false;
    return true;
}

static sequence sequence_of(const sd_shape *s) {
    sequence q = {0};
    assert_true(s->n_steps <= MAX_FLOW_STEPS);
    q.n = s->n_steps;
    memcpy(q.steps, s->steps, s->n_steps * sizeof(sd_step));
    return q;
}

/* Compares the grammar's handshakes with rows[0..n), printing each
 * difference; returns how many there are. */
static size_t compare_with_rows(const grammar *g, const sd_shape *rows, size_t n) {
    sequence_set drawn = {0}, table = {0};
    expand_in_scope(g, &drawn);
    size_t differences = 0;
    for (size_t i = 0; i < n; i++) {
        sequence q = sequence_of(&rows[i]);
        set_add(&table, &q);
        if (set_has(&drawn, &q)) continue;
        differences++;
        fprintf(stderr, "sequences.c row \"%s\" is no handshake of tests/rfc_orders/handshake-flows.txt:\n",
                rows[i].name);
        print_steps("   ", q.steps, q.n);
        for (facts f = 0; f < (1u << g->n_atoms); f++) {
            const exclusion *x = excluded_by(g, f);
            if (!x) continue;
            sequence_set out = {0};
            expand(g, f, &out);
            bool here = set_has(&out, &q);
            set_free(&out);
            if (here) {
                fprintf(stderr, "   (the flows draw it, but leave it out: %s)\n", x->reason);
                break;
            }
        }
    }
    for (size_t i = 0; i < drawn.n; i++) {
        if (set_has(&table, &drawn.v[i])) continue;
        differences++;
        print_steps("handshake-flows.txt draws a handshake that sequences.c has no row for:",
                    drawn.v[i].steps, drawn.v[i].n);
    }
    set_free(&drawn);
    set_free(&table);
    return differences;
}

/* --- Tests ------------------------------------------------------------------------- */

static grammar *the_grammar;

static int setup(void **state) {
    (void)state;
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/tests/rfc_orders/handshake-flows.txt", SHAKEDOWN_SOURCE_DIR);
    uint8_t *text = NULL;
    size_t len = 0;
    if (!sd_file_read(path, 1u << 20, &text, &len, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    the_grammar = malloc(sizeof *the_grammar);
    bool ok = the_grammar && parse_grammar((const char *)text, the_grammar, err, sizeof err);
    free(text);
    if (!ok) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    free(the_grammar);
    return 0;
}

/* The two statements draw the same complete handshakes, both ways. */
static void table_rows_are_the_rfc_handshakes(void **state) {
    (void)state;
    assert_int_equal(compare_with_rows(the_grammar, sd_shapes, sd_n_shapes), 0);
}

/* Every row's flags are the facts under which the grammar draws it, and a
 * flag that marks a chosen message is set exactly on the rows that hold
 * it. */
static void row_flags_are_the_facts_of_its_handshake(void **state) {
    (void)state;
    unsigned known = 0;
    for (size_t i = 0; i < N_FLAG_MEANINGS; i++) known |= kFlagMeaning[i].flag;
    for (size_t r = 0; r < sd_n_shapes; r++) {
        const sd_shape *s = &sd_shapes[r];
        if (s->flags & ~known)
            fail_msg(
                "row \"%s\" has a flag this test does not know (0x%x): say in kFlagMeaning what it means",
                s->name, s->flags & ~known);
        for (size_t i = 0; i < N_FLAG_MEANINGS; i++) {
            if (!kFlagMeaning[i].held) continue;
            bool flagged = (s->flags & kFlagMeaning[i].flag) != 0;
            if (flagged != holds_message(s, s->n_steps, kFlagMeaning[i].held))
                fail_msg("row \"%s\": its flag for %s says %s, its steps say otherwise", s->name,
                         sd_step_name(kFlagMeaning[i].held), flagged ? "sent" : "not sent");
        }
        facts f = facts_of(the_grammar, s->flags);
        sequence_set out = {0};
        expand(the_grammar, f, &out);
        sequence q = sequence_of(s);
        bool drawn = set_has(&out, &q);
        set_free(&out);
        if (!drawn) {
            fprintf(stderr, "row \"%s\" (flags 0x%x):", s->name, s->flags);
            print_steps("", q.steps, q.n);
            fail_msg("row \"%s\" is not a handshake of the facts its flags state", s->name);
        }
        /* Two rows with the same flags: sd_shape_with_flags finds only the
         * first. */
        for (size_t o = 0; o < r; o++)
            if (sd_shapes[o].flags == s->flags)
                fail_msg("rows \"%s\" and \"%s\" have the same flags", sd_shapes[o].name, s->name);
    }
}

/* After every prefix of every row an endpoint can be at, sd_shape_accept
 * allows exactly the messages the grammar allows next under the row's
 * facts, from either side, and what it allows leads to a row the grammar
 * still draws under those facts. */
static void next_message_relation_agrees_after_every_prefix(void **state) {
    (void)state;
    const grammar *g = the_grammar;
    uint16_t candidates[300];
    size_t n_candidates = 0;
    for (unsigned t = 0; t < 256; t++)
        if (sd_handshake_type_name(t)) candidates[n_candidates++] = (uint16_t)t;
    candidates[n_candidates++] = SD_MSG_HELLO_RETRY_REQUEST;
    candidates[n_candidates++] = SD_MSG_CHANGE_CIPHER_SPEC;
    static const sd_role sides[] = {SD_ROLE_CLIENT, SD_ROLE_SERVER};

    size_t checked = 0, disagreements = 0;
    for (size_t r = 0; r < sd_n_shapes; r++) {
        const sd_shape *s = &sd_shapes[r];
        facts f = facts_of(g, s->flags);
        sequence_set drawn = {0};
        expand(g, f, &drawn);
        for (size_t pos = 0; pos <= s->n_steps; pos++) {
            if (!reachable(s, pos)) continue;
            for (size_t side = 0; side < 2; side++) {
                for (size_t c = 0; c < n_candidates; c++) {
                    sd_step next = {sides[side], candidates[c]};
                    bool rfc = false;
                    for (size_t k = 0; k < drawn.n && !rfc; k++) {
                        const sequence *q = &drawn.v[k];
                        if (q->n <= pos || !same_step(q->steps[pos], next)) continue;
                        rfc = true;
                        for (size_t i = 0; i < pos; i++)
                            if (!same_step(q->steps[i], s->steps[i])) rfc = false;
                    }
                    const sd_shape *to = sd_shape_accept(s, pos, next.from, next.msg);
                    checked++;
                    char b[64];
                    if (rfc != (to != NULL)) {
                        disagreements++;
                        fprintf(stderr, "row \"%s\", after:", s->name);
                        print_steps("", s->steps, pos);
                        fprintf(stderr, "   %s: the RFC flows %s it, sd_shape_accept %s it\n",
                                step_text(next, b, sizeof b), rfc ? "allow" : "refuse",
                                to ? "allows" : "refuses");
                        continue;
                    }
                    if (!to) continue;
                    /* The row moved to goes on from here, and is still a
                     * handshake of these facts. */
                    sequence q = sequence_of(to);
                    bool continues = to->n_steps > pos && same_step(to->steps[pos], next);
                    for (size_t i = 0; i < pos && continues; i++)
                        continues = same_step(to->steps[i], s->steps[i]);
                    if (!continues || !set_has(&drawn, &q)) {
                        disagreements++;
                        fprintf(stderr, "row \"%s\" at %zu, %s: moves to row \"%s\", %s\n", s->name, pos,
                                step_text(next, b, sizeof b), to->name,
                                continues ? "a handshake of other facts" : "which does not go on from here");
                    }
                }
            }
        }
        set_free(&drawn);
    }
    fprintf(stderr, "%zu (row, prefix, message) cases checked\n", checked);
    assert_true(checked > 1000);
    assert_int_equal(disagreements, 0);
}

/* The comparison notices a row taken away and a row too many: the check
 * above could fail. */
static void comparison_catches_a_changed_table(void **state) {
    (void)state;
    sd_shape *rows = calloc(sd_n_shapes + 1, sizeof *rows);
    assert_non_null(rows);
    memcpy(rows, sd_shapes, sd_n_shapes * sizeof *rows);
    /* Counted from what the real table gives, so that this test says
     * whether the comparison works even when the table is wrong. */
    size_t before = compare_with_rows(the_grammar, sd_shapes, sd_n_shapes);
    fprintf(stderr, "(the differences printed below are expected)\n");
    /* One row fewer: TLS 1.2 static RSA without client authentication. */
    const sd_shape *rsa = sd_shape_with_flags(SD_SHAPE_TLS12 | SD_SHAPE_RSA_KX);
    assert_non_null(rsa);
    size_t at = (size_t)(rsa - sd_shapes);
    rows[at] = rows[sd_n_shapes - 1];
    assert_int_equal(compare_with_rows(the_grammar, rows, sd_n_shapes - 1), before + 1);
    /* One row too many: ECDHE with its ServerKeyExchange skipped. */
    memcpy(rows, sd_shapes, sd_n_shapes * sizeof *rows);
    sd_shape skipped = *sd_shape_with_flags(SD_SHAPE_TLS12);
    size_t ske = 0;
    while (ske < skipped.n_steps && skipped.steps[ske].msg != SD_ServerKeyExchange) ske++;
    assert_true(ske < skipped.n_steps);
    memmove(&skipped.steps[ske], &skipped.steps[ske + 1], (skipped.n_steps - ske - 1) * sizeof(sd_step));
    skipped.n_steps--;
    skipped.name = "tls12-ecdhe-without-ske";
    rows[sd_n_shapes] = skipped;
    /* The same steps as static RSA's row: a handshake the RFC draws, but not
     * under these facts. The sets agree; the flags check is what catches
     * it. */
    assert_int_equal(compare_with_rows(the_grammar, rows, sd_n_shapes + 1), before);
    sequence_set out = {0};
    expand(the_grammar, facts_of(the_grammar, skipped.flags), &out);
    sequence q = sequence_of(&skipped);
    assert_false(set_has(&out, &q));
    set_free(&out);
    /* A row no RFC draws: TLS 1.3 with the server's CertificateVerify
     * dropped. */
    sd_shape nocv = *sd_shape_initial();
    size_t cv = 0;
    while (cv < nocv.n_steps && nocv.steps[cv].msg != SD_CertificateVerify) cv++;
    assert_true(cv < nocv.n_steps);
    memmove(&nocv.steps[cv], &nocv.steps[cv + 1], (nocv.n_steps - cv - 1) * sizeof(sd_step));
    nocv.n_steps--;
    nocv.name = "full-without-certificate-verify";
    rows[sd_n_shapes] = nocv;
    assert_int_equal(compare_with_rows(the_grammar, rows, sd_n_shapes + 1), before + 1);
    free(rows);
}

/* Each exclusion leaves out something the flows draw and the table does
 * not have; one that leaves out nothing is stale. */
static void every_exclusion_leaves_something_out(void **state) {
    (void)state;
    const grammar *g = the_grammar;
    sequence_set in_scope = {0};
    expand_in_scope(g, &in_scope);
    for (size_t i = 0; i < g->n_excludes; i++) {
        size_t only_here = 0;
        for (facts f = 0; f < (1u << g->n_atoms); f++) {
            if (excluded_by(g, f) != &g->excludes[i]) continue;
            sequence_set out = {0};
            expand(g, f, &out);
            for (size_t k = 0; k < out.n; k++)
                if (!set_has(&in_scope, &out.v[k])) only_here++;
            set_free(&out);
        }
        if (only_here == 0) fail_msg("exclusion \"%s\" leaves nothing out", g->excludes[i].reason);
    }
    set_free(&in_scope);
}

/* The grammar's reader refuses mistakes, with the line, rather than read
 * something else than what was meant. */
static void grammar_reader_refuses_mistakes(void **state) {
    (void)state;
    static const struct {
        const char *text;
        const char *error;
    } kBad[] = {
        {"flow a \"RFC 1\"\n  C:ClientHello S:ServerHelo\n", ":2: unknown message 'ServerHelo'"},
        {"flow a \"RFC 1\" C:ClientHello [ S:ServerHello\n", "expected ']'"},
        {"flow a C:ClientHello\n", "expected its citation"},
        {"flow a \"RFC 1\" C:ClientHello ] S:ServerHello\n", "unbalanced"},
        {"flow a \"RFC 1\" C:ClientHello ( S:ServerHello )\n", "one alternative"},
        {"flow a \"RFC 1\" C:ClientHello\nexclude x\n", "needs its reason"},
        {"flow a \"RFC 1\" C:ClientHello [when : S:ServerHello]\n", "expected a fact"},
        {"", "no flows"},
    };
    grammar *g = malloc(sizeof *g);
    assert_non_null(g);
    for (size_t i = 0; i < sizeof kBad / sizeof kBad[0]; i++) {
        char err[512] = "";
        bool ok = parse_grammar(kBad[i].text, g, err, sizeof err);
        if (ok || !strstr(err, kBad[i].error))
            fail_msg("case %zu: %s, '%s' (wanted '%s')", i, ok ? "accepted" : "refused", err, kBad[i].error);
    }
    /* And a small correct one reads as meant: two handshakes. */
    char err[512] = "";
    assert_true(parse_grammar("flow a \"RFC 1\" C:ClientHello [when x: S:ServerHello] ( C:Finished | )\n", g,
                              err, sizeof err));
    sequence_set out = {0};
    expand(g, 0, &out);
    assert_int_equal(out.n, 2); /* x false: CH, CH Fin */
    set_free(&out);
    expand(g, 1, &out);
    assert_int_equal(out.n, 2); /* x true: CH SH, CH SH Fin */
    assert_int_equal(out.v[0].steps[1].msg, SD_ServerHello);
    set_free(&out);
    free(g);
}

/* The generator states connection 2 of its resumption cases apart from the
 * table (harness/trace/generate_resumed.c), so that the model, which
 * checks messages against the table, cannot move the expectations with
 * it. Each of those rows must be a handshake the grammar draws under the
 * facts its flags state; after every prefix the grammar must allow, of the
 * messages a gen-order case could send, exactly the row's next step (the
 * generator takes nothing else there); and the table's row with the same
 * flags must be the same handshake. */
static void generated_resumed_shapes_are_the_rfc_handshakes(void **state) {
    (void)state;
    const grammar *g = the_grammar;
    assert_true(sd_n_generated_resumed_shapes >= 3);
    static const sd_role sides[] = {SD_ROLE_CLIENT, SD_ROLE_SERVER};
    for (size_t r = 0; r < sd_n_generated_resumed_shapes; r++) {
        const sd_shape *s = &sd_generated_resumed_shapes[r];
        facts f = facts_of(g, s->flags);
        sequence_set drawn = {0};
        expand(g, f, &drawn);
        sequence q = sequence_of(s);
        if (!set_has(&drawn, &q)) {
            print_steps("generated resumed shape:", q.steps, q.n);
            fail_msg("generated resumed shape \"%s\" is no handshake of the facts its flags state", s->name);
        }
        for (size_t pos = 1; pos < s->n_steps; pos++) {
            for (size_t side = 0; side < 2; side++) {
                /* Every handshake type and ChangeCipherSpec; not
                 * HelloRetryRequest, which no case sends in its place
                 * (a TLS 1.3 server may still send one before its
                 * ServerHello). */
                for (unsigned t = 0; t <= 256 + 1; t++) {
                    uint16_t msg = t < 256 ? (uint16_t)t : SD_MSG_CHANGE_CIPHER_SPEC;
                    if (t == 256 || (t < 256 && !sd_handshake_type_name(t))) continue;
                    sd_step next = {sides[side], msg};
                    bool rfc = false;
                    for (size_t k = 0; k < drawn.n && !rfc; k++) {
                        const sequence *d = &drawn.v[k];
                        if (d->n <= pos || !same_step(d->steps[pos], next)) continue;
                        rfc = true;
                        for (size_t i = 0; i < pos; i++)
                            if (!same_step(d->steps[i], s->steps[i])) rfc = false;
                    }
                    bool generator = same_step(s->steps[pos], next);
                    if (rfc != generator) {
                        char b[64];
                        fprintf(stderr, "generated resumed shape \"%s\", after:", s->name);
                        print_steps("", s->steps, pos);
                        fail_msg("%s: the RFC flows %s it, the generator %s it", step_text(next, b, sizeof b),
                                 rfc ? "allow" : "refuse", generator ? "allows" : "refuses");
                    }
                }
            }
        }
        set_free(&drawn);
        const sd_shape *row = sd_shape_with_flags(s->flags);
        assert_non_null(row);
        sequence t = sequence_of(row);
        if (!same_sequence(&q, &t))
            fail_msg("sequences.c row \"%s\" differs from the generator's \"%s\"", row->name, s->name);
    }
}

/* RFC 8879 §4: a CompressedCertificate is "replacing the Certificate
 * message" where the receiver offered compress_certificate, so it takes the
 * Certificate's step there, and only there: wherever a TLS 1.3 row allows a
 * Certificate the mapped message is allowed and moves to the same row, and
 * unmapped (nothing offered) no row allows it anywhere, as the grammar,
 * which does not draw it, says. */
static void compressed_certificate_takes_the_certificate_step(void **state) {
    (void)state;
    assert_int_equal(sd_step_of_message(SD_CompressedCertificate, true), SD_Certificate);
    assert_int_equal(sd_step_of_message(SD_CompressedCertificate, false), SD_CompressedCertificate);
    assert_int_equal(sd_step_of_message(SD_Certificate, true), SD_Certificate);
    assert_int_equal(sd_step_of_message(SD_Finished, true), SD_Finished);
    size_t certificate_steps = 0;
    static const sd_role sides[] = {SD_ROLE_CLIENT, SD_ROLE_SERVER};
    for (size_t r = 0; r < sd_n_shapes; r++) {
        const sd_shape *s = &sd_shapes[r];
        for (size_t pos = 0; pos <= s->n_steps; pos++) {
            for (size_t side = 0; side < 2; side++) {
                assert_null(sd_shape_accept(s, pos, sides[side], SD_CompressedCertificate));
                const sd_shape *plain = sd_shape_accept(s, pos, sides[side], SD_Certificate);
                const sd_shape *mapped =
                    sd_shape_accept(s, pos, sides[side], sd_step_of_message(SD_CompressedCertificate, true));
                assert_ptr_equal(plain, mapped);
                if (plain && !(s->flags & SD_SHAPE_TLS12)) certificate_steps++;
            }
        }
    }
    assert_true(certificate_steps > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grammar_reader_refuses_mistakes),
        cmocka_unit_test(table_rows_are_the_rfc_handshakes),
        cmocka_unit_test(row_flags_are_the_facts_of_its_handshake),
        cmocka_unit_test(next_message_relation_agrees_after_every_prefix),
        cmocka_unit_test(generated_resumed_shapes_are_the_rfc_handshakes),
        cmocka_unit_test(every_exclusion_leaves_something_out),
        cmocka_unit_test(comparison_catches_a_changed_table),
        cmocka_unit_test(compressed_certificate_takes_the_certificate_step),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
