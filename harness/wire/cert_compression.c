/* cert_compression.c — RFC 8879 certificate compression; see
 * cert_compression.h. */
#include "wire/cert_compression.h"

#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include "wire/names.h"

static const struct {
    uint16_t alg;
    const char *name;
} kAlgorithms[] = {
    {SD_CERT_COMPRESSION_ZLIB, "zlib"},
    {SD_CERT_COMPRESSION_BROTLI, "brotli"},
    {SD_CERT_COMPRESSION_ZSTD, "zstd"},
};

const char *sd_cert_compression_name(uint16_t alg) {
    for (size_t i = 0; i < sizeof kAlgorithms / sizeof kAlgorithms[0]; i++)
        if (kAlgorithms[i].alg == alg) return kAlgorithms[i].name;
    return NULL;
}

bool sd_cert_compression_from_name(const char *name, size_t len, uint16_t *out) {
    for (size_t i = 0; i < sizeof kAlgorithms / sizeof kAlgorithms[0]; i++)
        if (strlen(kAlgorithms[i].name) == len && memcmp(kAlgorithms[i].name, name, len) == 0) {
            *out = kAlgorithms[i].alg;
            return true;
        }
    char text[16];
    if (len == 0 || len >= sizeof text) return false;
    memcpy(text, name, len);
    text[len] = '\0';
    char *end;
    unsigned long v = strtoul(text, &end, 0);
    if (*end != '\0' || text[0] == '-' || text[0] == '+' || v > 0xffff) return false;
    *out = (uint16_t)v;
    return true;
}

bool sd_cert_compression_supported(uint16_t alg) {
    return alg == SD_CERT_COMPRESSION_ZLIB || alg == SD_CERT_COMPRESSION_BROTLI;
}

bool sd_parse_compress_certificate(sd_span ext_body, sd_u16_list *out, uint8_t *out_alert) {
    /* A one-byte length: at most 255 bytes, and an odd count is refused
     * with the rest, so the list is 2..254 bytes as <2..2^8-2> says. */
    return sd_u16_list_parse(ext_body, 1, false, out, out_alert);
}

void sd_build_compress_certificate(sd_buf *out, const uint16_t *algs, size_t n) {
    size_t at = sd_buf_open_prefix(out, 1);
    for (size_t i = 0; i < n; i++) sd_buf_u16(out, algs[i]);
    sd_buf_close_prefix(out, at, 1);
}

uint16_t sd_cert_compression_pick(sd_u16_list peer, const uint16_t *own, size_t n_own) {
    for (size_t i = 0; i < sd_u16_list_count(peer); i++) {
        uint16_t alg = sd_u16_list_at(peer, i);
        if (!sd_cert_compression_supported(alg)) continue;
        for (size_t j = 0; j < n_own; j++)
            if (own[j] == alg) return alg;
    }
    return 0;
}

bool sd_parse_compressed_certificate(sd_span body, sd_compressed_certificate *out, uint8_t *out_alert) {
    sd_reader r = sd_reader_of(body);
    if (!sd_read_u16(&r, &out->algorithm) || !sd_read_u24(&r, &out->uncompressed_length) ||
        !sd_read_prefixed(&r, 3, &out->compressed) || out->compressed.len == 0 || !sd_reader_done(&r)) {
        if (out_alert) *out_alert = SD_decode_error;
        return false;
    }
    return true;
}

void sd_build_compressed_certificate(sd_buf *out, const sd_compressed_certificate *cc) {
    sd_buf_u16(out, cc->algorithm);
    sd_buf_u24(out, cc->uncompressed_length);
    size_t at = sd_buf_open_prefix(out, 3);
    sd_buf_append_span(out, cc->compressed);
    sd_buf_close_prefix(out, at, 3);
}

/* --- The algorithms ------------------------------------------------------------ */

bool sd_cert_compress(uint16_t alg, sd_span in, sd_buf *out) {
    if (alg == SD_CERT_COMPRESSION_ZLIB) {
        /* RFC 8879 §4: "the Certificate message MUST be compressed with the
         * ZLIB compression algorithm, as defined in [RFC1950]": compress2's
         * zlib stream. */
        uLongf cap = compressBound((uLong)in.len);
        if (!sd_buf_reserve(out, cap)) return false;
        if (compress2(out->data + out->len, &cap, in.data, (uLong)in.len, Z_BEST_COMPRESSION) != Z_OK)
            return false;
        out->len += cap;
        return true;
    }
    if (alg == SD_CERT_COMPRESSION_BROTLI) {
        /* "... with the Brotli compression algorithm, as defined in
         * [RFC7932]". */
        size_t cap = BrotliEncoderMaxCompressedSize(in.len);
        if (cap == 0 || !sd_buf_reserve(out, cap)) return false;
        if (!BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.len,
                                   in.data, &cap, out->data + out->len))
            return false;
        out->len += cap;
        return true;
    }
    return false;
}

static bool fail_why(const char **why, const char *text) {
    if (why) *why = text;
    return false;
}

static bool inflate_zlib(sd_span in, uint8_t *dst, size_t expected_len, const char **why) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK) return fail_why(why, "zlib could not start");
    /* One byte more than expected: output that reaches it is too long, and
     * decompression stops there. */
    uint8_t extra;
    z.next_in = (Bytef *)in.data;
    z.avail_in = (uInt)in.len;
    z.next_out = dst;
    z.avail_out = (uInt)expected_len;
    int rc = inflate(&z, Z_FINISH);
    if (rc != Z_STREAM_END && z.avail_out == 0 && rc != Z_DATA_ERROR && rc != Z_NEED_DICT) {
        z.next_out = &extra;
        z.avail_out = 1;
        rc = inflate(&z, Z_FINISH);
        if (z.avail_out == 0) {
            inflateEnd(&z);
            return fail_why(why, "decompresses to more bytes than uncompressed_length");
        }
    }
    size_t produced = z.total_out;
    size_t left_in = z.avail_in;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) return fail_why(why, "is not a complete zlib stream");
    if (left_in != 0) return fail_why(why, "has bytes after the zlib stream");
    if (produced != expected_len)
        return fail_why(why, "decompresses to fewer bytes than uncompressed_length");
    return true;
}

static bool inflate_brotli(sd_span in, uint8_t *dst, size_t expected_len, const char **why) {
    BrotliDecoderState *st = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!st) return fail_why(why, "brotli could not start");
    const uint8_t *next_in = in.data;
    size_t avail_in = in.len, avail_out = expected_len, total = 0;
    uint8_t *next_out = dst;
    BrotliDecoderResult rc =
        BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, &total);
    if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
        uint8_t extra;
        uint8_t *p = &extra;
        size_t one = 1;
        rc = BrotliDecoderDecompressStream(st, &avail_in, &next_in, &one, &p, &total);
        if (one == 0) {
            BrotliDecoderDestroyInstance(st);
            return fail_why(why, "decompresses to more bytes than uncompressed_length");
        }
    }
    BrotliDecoderDestroyInstance(st);
    if (rc != BROTLI_DECODER_RESULT_SUCCESS) return fail_why(why, "is not a complete brotli stream");
    if (avail_in != 0) return fail_why(why, "has bytes after the brotli stream");
    if (total != expected_len) return fail_why(why, "decompresses to fewer bytes than uncompressed_length");
    return true;
}

bool sd_cert_decompress(uint16_t alg, sd_span in, size_t expected_len, sd_buf *out, const char **why) {
    if (!sd_cert_compression_supported(alg)) return fail_why(why, "uses an algorithm this build lacks");
    if (!sd_buf_reserve(out, expected_len + 1)) return fail_why(why, "out of memory");
    uint8_t *dst = out->data + out->len;
    bool ok = alg == SD_CERT_COMPRESSION_ZLIB ? inflate_zlib(in, dst, expected_len, why)
                                              : inflate_brotli(in, dst, expected_len, why);
    if (ok) out->len += expected_len;
    return ok;
}
