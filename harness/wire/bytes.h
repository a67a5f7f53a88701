/* bytes.h — bounds-checked reading and writing of TLS wire bytes.
 *
 * sd_reader is a non-owning view over the caller's bytes (BoringSSL's CBS is
 * the model). Every read either succeeds and advances, or fails and leaves the
 * reader untouched, so parsers can chain reads with &&.
 *
 * sd_buf is a growable owned buffer. Errors are sticky (`failed`), so a builder
 * can write a whole message and check once. Length prefixes are opened as a
 * placeholder and closed later; sd_buf_close_prefix_as() writes a chosen value
 * instead of the true length, which is how mutators write lying lengths.
 */
#ifndef SHAKEDOWN_WIRE_BYTES_H
#define SHAKEDOWN_WIRE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/util.h"

typedef struct {
    const uint8_t *data;
    size_t len;
} sd_span;

static inline sd_span sd_span_of(const uint8_t *data, size_t len) {
    sd_span s = {data, len};
    return s;
}
bool sd_span_eq(sd_span a, sd_span b);

typedef struct {
    const uint8_t *data;
    size_t len;
} sd_reader;

static inline sd_reader sd_reader_of(sd_span s) {
    sd_reader r = {s.data, s.len};
    return r;
}
static inline bool sd_reader_done(const sd_reader *r) { return r->len == 0; }

bool sd_read_u8(sd_reader *r, uint8_t *out);
bool sd_read_u16(sd_reader *r, uint16_t *out);
bool sd_read_u24(sd_reader *r, uint32_t *out);
bool sd_read_u32(sd_reader *r, uint32_t *out);
bool sd_read_bytes(sd_reader *r, size_t n, sd_span *out);
/* Reads a length (1, 2 or 3 bytes) and then that many bytes. */
bool sd_read_prefixed(sd_reader *r, size_t prefix_bytes, sd_span *out);
bool sd_skip(sd_reader *r, size_t n);

typedef struct {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed; /* sticky: allocation failure or a value too big for its field */
} sd_buf;

void sd_buf_init(sd_buf *b);
void sd_buf_free(sd_buf *b);
void sd_buf_reset(sd_buf *b); /* len = 0, failed = false, keeps memory */
bool sd_buf_reserve(sd_buf *b, size_t extra);
void sd_buf_append(sd_buf *b, const void *data, size_t len);
void sd_buf_append_span(sd_buf *b, sd_span s);
/* printf onto the end of the buffer, whatever the length (no NUL kept). */
void sd_buf_appendf(sd_buf *b, const char *fmt, ...) SD_PRINTF(2, 3);
void sd_buf_u8(sd_buf *b, uint8_t v);
void sd_buf_u16(sd_buf *b, uint16_t v);
void sd_buf_u24(sd_buf *b, uint32_t v);
void sd_buf_u32(sd_buf *b, uint32_t v);
/* Removes the first n bytes (n <= len). */
void sd_buf_consume(sd_buf *b, size_t n);
static inline sd_span sd_buf_span(const sd_buf *b) { return sd_span_of(b->data, b->len); }

/* Opens a length prefix of prefix_bytes (1..3) and returns its offset. */
size_t sd_buf_open_prefix(sd_buf *b, size_t prefix_bytes);
/* Writes the true length of everything appended since the prefix was opened. */
void sd_buf_close_prefix(sd_buf *b, size_t offset, size_t prefix_bytes);
/* Writes `value` into the prefix regardless of the true length (a lie).
 * The value must still fit in prefix_bytes; one that does not sets failed. */
void sd_buf_close_prefix_as(sd_buf *b, size_t offset, size_t prefix_bytes, uint32_t value);

/* Hex helpers for scripts and reports. Decoding accepts either case and skips
 * ASCII whitespace and ':' between bytes (not between the two digits of one
 * byte). Returns false on an odd digit count, a bad character or allocation
 * failure, and then appends nothing. */
SD_MUST_CHECK bool sd_hex_decode(const char *hex, size_t hex_len, sd_buf *out);
void sd_hex_encode(sd_span s, sd_buf *out_text); /* appends lowercase hex, no NUL */

#endif
