/* fuzz_compressed_certificate.c — differential fuzzing of the server's CompressedCertificate (RFC 8879) as a TLS 1.3 client reads it.
 *
 * Targets:
 *   - the model: sd_parse_compressed_certificate, the algorithm check and
 *     sd_cert_decompress (harness/wire/cert_compression.c: zlib and
 *     brotli, stopped at uncompressed_length), model_decompress_certificate
 *     (harness/model/checks.c), then what fuzz_certificate reaches with the
 *     decompressed Certificate;
 *   - BoringSSL: its CompressedCertificate handling and the decompression
 *     callbacks the adapter lends it (harness/stacks/boringssl_target.c).
 *
 * Input (harness/trace/fuzz_input.c): a variant byte, then the message
 * body. Variant bit 0: 0 = the body replaces the honest one (algorithm,
 * uncompressed_length, compressed data), 1 = the driver's honest body
 * (the Certificate compressed with zlib, the first algorithm the client
 * offers) edited by the input (flips + appended bytes); bits 2-3: framing
 * (one record, two, 16-byte records, after a ChangeCipherSpec). The setup
 * has the client under test offer zlib and brotli (compress_certificate).
 *
 * Trace (stack under test: client):
 *     expect ClientHello
 *     send ServerHello; send EncryptedExtensions
 *     send CompressedCertificate <fuzzed>
 *     send CertificateVerify; send Finished
 *     expect Finished
 *
 * Findings, run-time files and environment: differential_target.h.
 * Builds: <this>_replay, <this> (libFuzzer), <this>_afl (AFL++). */
#include "differential_target.h"

SD_DIFFERENTIAL_FUZZ_TARGET("fuzz_compressed_certificate")
