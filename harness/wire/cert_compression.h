/* cert_compression.h — TLS certificate compression (RFC 8879): the
 * compress_certificate extension's algorithm list (§3), the
 * CompressedCertificate message (§4), and the algorithms themselves, zlib
 * (RFC 1950, Debian's zlib) and brotli (RFC 7932, Debian's libbrotli).
 * zstd (3) is named but not implemented: a list may carry it, nothing
 * compresses or decompresses with it. */
#ifndef SHAKEDOWN_WIRE_CERT_COMPRESSION_H
#define SHAKEDOWN_WIRE_CERT_COMPRESSION_H

#include "wire/bytes.h"
#include "wire/handshake.h"
#include "util/util.h"

/* RFC 8879 §3 CertificateCompressionAlgorithm. */
enum { SD_CERT_COMPRESSION_ZLIB = 1, SD_CERT_COMPRESSION_BROTLI = 2, SD_CERT_COMPRESSION_ZSTD = 3 };

/* The most algorithms a configuration names: every one this build knows,
 * and one more for a list that repeats or names an unknown one. */
#define SD_MAX_CERT_COMPRESSION 4

/* "zlib", "brotli", "zstd"; NULL for another value. */
const char *sd_cert_compression_name(uint16_t alg);
/* The value of a name above, or a number (decimal or 0x hex) up to 65535. */
bool sd_cert_compression_from_name(const char *name, size_t len, uint16_t *out);
/* Whether this build compresses and decompresses with alg. */
bool sd_cert_compression_supported(uint16_t alg);

/* RFC 8879 §3: "CertificateCompressionAlgorithm algorithms<2..2^8-2>;" an
 * empty list or an odd length is decode_error (RFC 8446 §6.2). */
SD_MUST_CHECK bool sd_parse_compress_certificate(sd_span ext_body, sd_u16_list *out, uint8_t *out_alert);
/* The extension's body for algs[0..n). */
void sd_build_compress_certificate(sd_buf *out, const uint16_t *algs, size_t n);
/* The first algorithm of the peer's list that `own` also holds and this
 * build supports (the order of the list the peer sent, RFC 8879 §3 gives
 * no preference rule); 0 for none. */
uint16_t sd_cert_compression_pick(sd_u16_list peer, const uint16_t *own, size_t n_own);

/* RFC 8879 §4:
 *   struct {
 *        CertificateCompressionAlgorithm algorithm;
 *        uint24 uncompressed_length;
 *        opaque compressed_certificate_message<1..2^24-1>;
 *   } CompressedCertificate;
 * An empty compressed_certificate_message or trailing bytes are
 * decode_error. */
typedef struct {
    uint16_t algorithm;
    uint32_t uncompressed_length;
    sd_span compressed;
} sd_compressed_certificate;
SD_MUST_CHECK bool sd_parse_compressed_certificate(sd_span body, sd_compressed_certificate *out,
                                                   uint8_t *out_alert);
void sd_build_compressed_certificate(sd_buf *out, const sd_compressed_certificate *cc);

/* Appends in, compressed with alg (one this build supports). False on a
 * failure of the library or an unsupported alg. */
SD_MUST_CHECK bool sd_cert_compress(uint16_t alg, sd_span in, sd_buf *out);
/* Decompresses in with alg into exactly `expected_len` bytes appended to
 * out, never writing more: RFC 8879 §4, "If, after decompression, the
 * specified length does not match the actual length, the party receiving
 * the invalid message MUST abort the connection with the "bad_certificate"
 * alert"; the field lets the receiver "enforce limits on the message size
 * before performing decompression", so output past it (a decompression
 * bomb) stops there. Output longer or shorter than expected_len, data that does not decompress
 * (§4 "If the received CompressedCertificate message cannot be
 * decompressed, the connection MUST be terminated with the
 * "bad_certificate" alert"), or bytes after the compressed stream: false,
 * with why. The memory used is expected_len bytes and the library's
 * state. */
SD_MUST_CHECK bool sd_cert_decompress(uint16_t alg, sd_span in, size_t expected_len, sd_buf *out,
                                      const char **why);

#endif
