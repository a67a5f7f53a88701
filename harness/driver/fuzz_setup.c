/* fuzz_setup.c — a fuzz input's setup (trace/fuzz_input.h) applied to a run
 * configuration. It lives in the driver, above the traces, because the run
 * configuration is the driver's. */
#include "driver/driver.h"

void sd_fuzz_setup_apply(const sd_fuzz_setup *s, sd_run_config *cfg) {
    cfg->target_role = s->role;
    cfg->version = s->version;
    cfg->cipher_suite = s->cipher_suite;
    if (s->server_credential) cfg->target_credential = cfg->driver_credential = s->server_credential;
    /* The driver as a client presents its certificate only when asked. */
    if (s->client_credential) cfg->driver_credential = s->client_credential;
    cfg->client_auth = s->client_auth;
    cfg->target_client_credential = s->target_client_credential;
    cfg->tls12_announce_ticket = s->announce_ticket;
    /* RFC 8446 lets a handshake message be 2^24-1 bytes long, and the model
     * buffers that much by default. A fuzz run holds it to BoringSSL's
     * limits (ssl_max_handshake_message_len in ssl/s3_both.cc: during the
     * handshake 16 KiB for a server, 100 KiB for a client, which receives a
     * certificate chain; after it 16 KiB, what a client's NewSessionTicket
     * needs), which bounds what a length field and the driver's padding can
     * make it buffer, and keeps BoringSSL's size policy, which the RFC does
     * not ask for, out of the comparison. The model is held to the RFC's
     * bound by the scenarios (tls13.server.client-hello.padded-past-64k)
     * and tests/test_model_rfc.c. */
    cfg->max_handshake_message = s->role == SD_ROLE_SERVER ? 16384 : 100 * 1024;
    cfg->max_post_handshake_message = 16384;
}
