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
}
