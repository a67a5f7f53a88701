/* bytes.c — bounds-checked reader and growable writer for TLS wire bytes.
 *
 * The reader never advances on failure, so a parser can chain reads with &&
 * and, on a short read, still hold the position of the field that failed.
 * The writer's error is sticky: once `failed` is set every later write is a
 * no-op, so a builder writes a whole message and checks once at the end. */
#include "wire/bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool sd_span_eq(sd_span a, sd_span b) {
    if (a.len != b.len) {
        return false;
    }
    /* memcmp with a NULL pointer is undefined even for length 0. */
    return a.len == 0 || memcmp(a.data, b.data, a.len) == 0;
}

/* --- Reader ---------------------------------------------------------------- */

/* Reads an n-byte big-endian integer (TLS is big-endian, RFC 8446 §3.3). */
static bool read_uint(sd_reader *r, size_t n, uint32_t *out) {
    if (r->len < n) {
        return false;
    }
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = (v << 8) | r->data[i];
    }
    r->data += n;
    r->len -= n;
    *out = v;
    return true;
}

bool sd_read_u8(sd_reader *r, uint8_t *out) {
    uint32_t v;
    if (!read_uint(r, 1, &v)) {
        return false;
    }
    *out = (uint8_t)v;
    return true;
}

bool sd_read_u16(sd_reader *r, uint16_t *out) {
    uint32_t v;
    if (!read_uint(r, 2, &v)) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

bool sd_read_u24(sd_reader *r, uint32_t *out) { return read_uint(r, 3, out); }

bool sd_read_u32(sd_reader *r, uint32_t *out) { return read_uint(r, 4, out); }

bool sd_read_bytes(sd_reader *r, size_t n, sd_span *out) {
    if (r->len < n) {
        return false;
    }
    *out = sd_span_of(r->data, n);
    if (n > 0) { /* an empty reader may hold NULL, and NULL + 0 is undefined */
        r->data += n;
        r->len -= n;
    }
    return true;
}

bool sd_read_prefixed(sd_reader *r, size_t prefix_bytes, sd_span *out) {
    if (prefix_bytes < 1 || prefix_bytes > 3) {
        return false;
    }
    /* Work on a copy so that a length which runs past the end leaves r at the
     * length field, not after it. */
    sd_reader tmp = *r;
    uint32_t len;
    if (!read_uint(&tmp, prefix_bytes, &len) || !sd_read_bytes(&tmp, len, out)) {
        return false;
    }
    *r = tmp;
    return true;
}

bool sd_skip(sd_reader *r, size_t n) {
    sd_span ignored;
    return sd_read_bytes(r, n, &ignored);
}

/* --- Writer ---------------------------------------------------------------- */

void sd_buf_init(sd_buf *b) {
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

void sd_buf_free(sd_buf *b) {
    free(b->data);
    sd_buf_init(b);
}

void sd_buf_reset(sd_buf *b) {
    b->len = 0;
    b->failed = false;
}

void sd_buf_appendf(sd_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    /* One byte more for vsnprintf's NUL, which len then leaves out. */
    if (n < 0 || !sd_buf_reserve(b, (size_t)n + 1)) return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

bool sd_buf_reserve(sd_buf *b, size_t extra) {
    if (b->failed) {
        return false;
    }
    if (extra > SIZE_MAX - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra;
    if (need <= b->cap) {
        return true;
    }
    /* Grow geometrically so that appending byte by byte stays linear. */
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void sd_buf_append(sd_buf *b, const void *data, size_t len) {
    if (b->failed || len == 0) {
        return;
    }
    /* The source may lie inside this very buffer (a mutator duplicating a
     * field, a reassembler pushing back what it handed out). realloc would
     * then free it under us, so remember it as an offset. */
    const uint8_t *src = data;
    bool inside = b->data != NULL && src >= b->data && src < b->data + b->cap;
    size_t src_off = inside ? (size_t)(src - b->data) : 0;
    if (!sd_buf_reserve(b, len)) {
        return;
    }
    if (inside) {
        src = b->data + src_off;
    }
    memmove(b->data + b->len, src, len);
    b->len += len;
}

void sd_buf_append_span(sd_buf *b, sd_span s) { sd_buf_append(b, s.data, s.len); }

/* Writes v as an n-byte big-endian integer at p. */
static void put_uint(uint8_t *p, size_t n, uint32_t v) {
    for (size_t i = 0; i < n; i++) {
        p[n - 1 - i] = (uint8_t)(v >> (8 * i));
    }
}

/* Largest value an n-byte field (n = 1..4) holds. */
static uint32_t field_max(size_t n) { return n >= 4 ? UINT32_MAX : ((uint32_t)1 << (8 * n)) - 1; }

static void append_uint(sd_buf *b, size_t n, uint32_t v) {
    if (v > field_max(n)) {
        b->failed = true;
        return;
    }
    if (!sd_buf_reserve(b, n)) {
        return;
    }
    put_uint(b->data + b->len, n, v);
    b->len += n;
}

void sd_buf_u8(sd_buf *b, uint8_t v) { append_uint(b, 1, v); }
void sd_buf_u16(sd_buf *b, uint16_t v) { append_uint(b, 2, v); }
void sd_buf_u24(sd_buf *b, uint32_t v) { append_uint(b, 3, v); }
void sd_buf_u32(sd_buf *b, uint32_t v) { append_uint(b, 4, v); }

void sd_buf_consume(sd_buf *b, size_t n) {
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

size_t sd_buf_open_prefix(sd_buf *b, size_t prefix_bytes) {
    size_t offset = b->len;
    if (prefix_bytes < 1 || prefix_bytes > 3) {
        b->failed = true;
        return offset;
    }
    static const uint8_t zeros[3] = {0, 0, 0};
    sd_buf_append(b, zeros, prefix_bytes);
    return offset;
}

void sd_buf_close_prefix_as(sd_buf *b, size_t offset, size_t prefix_bytes, uint32_t value) {
    if (b->failed) {
        return;
    }
    /* A prefix that was never opened here, or a value that cannot be written
     * in prefix_bytes bytes, is a bug in the builder: fail rather than write
     * something other than what was asked for. A lie must still fit its
     * field; mutators that want wrap-around mask the value themselves. */
    if (prefix_bytes < 1 || prefix_bytes > 3 || offset > b->len || b->len - offset < prefix_bytes ||
        value > field_max(prefix_bytes)) {
        b->failed = true;
        return;
    }
    put_uint(b->data + offset, prefix_bytes, value);
}

void sd_buf_close_prefix(sd_buf *b, size_t offset, size_t prefix_bytes) {
    if (b->failed) {
        return;
    }
    if (offset > b->len || b->len - offset < prefix_bytes) {
        b->failed = true;
        return;
    }
    size_t body = b->len - offset - prefix_bytes;
    /* A body too long for its prefix cannot be encoded truthfully. */
    if (prefix_bytes < 1 || prefix_bytes > 3 || body > field_max(prefix_bytes)) {
        b->failed = true;
        return;
    }
    sd_buf_close_prefix_as(b, offset, prefix_bytes, (uint32_t)body);
}

/* --- Hex ------------------------------------------------------------------- */

static int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Separators that scripts and RFC dumps put between bytes. */
static bool is_separator(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == ':';
}

bool sd_hex_decode(const char *hex, size_t hex_len, sd_buf *out) {
    if (out->failed) {
        return false;
    }
    size_t start = out->len;
    int hi = -1;
    for (size_t i = 0; i < hex_len; i++) {
        char c = hex[i];
        if (is_separator(c)) {
            /* A separator between the two digits of one byte ("a b") is
             * almost certainly a typo in a script; refuse it. */
            if (hi >= 0) {
                goto fail;
            }
            continue;
        }
        int v = hex_value(c);
        if (v < 0) {
            goto fail;
        }
        if (hi < 0) {
            hi = v;
        } else {
            sd_buf_u8(out, (uint8_t)((hi << 4) | v));
            hi = -1;
        }
    }
    if (hi >= 0 || out->failed) {
        goto fail;
    }
    return true;
fail:
    /* Leave nothing half-decoded behind. An allocation failure stays sticky. */
    if (start <= out->len) {
        out->len = start;
    }
    return false;
}

void sd_hex_encode(sd_span s, sd_buf *out_text) {
    static const char digits[] = "0123456789abcdef";
    if (s.len > SIZE_MAX / 2) {
        out_text->failed = true;
        return;
    }
    if (!sd_buf_reserve(out_text, s.len * 2)) {
        return;
    }
    for (size_t i = 0; i < s.len; i++) {
        out_text->data[out_text->len++] = (uint8_t)digits[s.data[i] >> 4];
        out_text->data[out_text->len++] = (uint8_t)digits[s.data[i] & 15];
    }
}
