/* target_pair.h — a client and a server target made with the fixture's
 * defaults and talked through in memory, for the tests that set one
 * stack's targets against another's (test_shims, test_inprocess). */
#ifndef SHAKEDOWN_TESTS_TARGET_PAIR_H
#define SHAKEDOWN_TESTS_TARGET_PAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/pki.h"
#include "protocol/target.h"
#include "wire/bytes.h"

/* A target of `ops` in `role`, pinned to `version`, the server showing the
 * fixture's leaf; NULL (and why on stderr) if the stack cannot. */
static sd_target *pair_target_make(const sd_pki *pki, const sd_target_ops *ops, sd_role role,
                                   uint16_t version) {
    sd_target_config cfg = {
        .role = role,
        .min_version = version,
        .max_version = version,
        .credential = role == SD_ROLE_SERVER ? sd_pki_find(pki, "leaf") : NULL,
        .pki = pki,
        .server_name = SD_PKI_SERVER_NAME,
        .now = SD_PKI_DEFAULT_TIME,
        .seed = 1,
    };
    sd_target_error err = {0};
    sd_target *t = ops->create(&cfg, &err);
    if (!t) fprintf(stderr, "%s %s: %s\n", ops->name, sd_role_name(role), err.text);
    return t;
}

/* Moves bytes between the two until neither has anything to say. */
static void pair_pump(sd_target *client, sd_target *server) {
    client->ops->start(client);
    server->ops->start(server);
    for (int round = 0; round < 20; round++) {
        sd_buf a, b;
        sd_buf_init(&a);
        sd_buf_init(&b);
        client->ops->drain(client, &a);
        if (a.len) server->ops->feed(server, sd_buf_span(&a));
        server->ops->drain(server, &b);
        if (b.len) client->ops->feed(client, sd_buf_span(&b));
        bool quiet = a.len == 0 && b.len == 0;
        sd_buf_free(&a);
        sd_buf_free(&b);
        if (quiet) break;
    }
}

#endif
