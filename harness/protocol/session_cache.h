/* session_cache.h — a TLS 1.2 server's session cache (RFC 5246 §7.4.1.2:
 * "the server will look in its session cache for a match"), owned by the
 * caller and passed in sd_target_config.session_cache, so that servers of
 * one stack share it across connections without hidden global state (a
 * fuzzing run stays deterministic: nothing survives but what the caller
 * keeps).
 *
 * Entries are opaque blobs keyed by the stack that wrote them and the
 * session id; a stack never reads another's blobs. The capacity is fixed;
 * when it is full the oldest entry makes room. */
#ifndef SHAKEDOWN_PROTOCOL_SESSION_CACHE_H
#define SHAKEDOWN_PROTOCOL_SESSION_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "wire/bytes.h"

#define SD_SESSION_CACHE_CAPACITY 64

typedef struct sd_session_cache sd_session_cache;

/* NULL if out of memory. */
sd_session_cache *sd_session_cache_new(void);
void sd_session_cache_free(sd_session_cache *cache);
/* Stores a copy of blob under (stack, id), replacing any entry with that
 * key. id is 1..32 bytes (RFC 5246 §7.4.1.2 SessionID<0..32>, an empty one
 * names no session). False if id is out of range or memory runs out. */
bool sd_session_cache_put(sd_session_cache *cache, const char *stack, sd_span id, sd_span blob);
/* The blob stored under (stack, id): true and *out (valid until the next
 * put or remove), or false. */
bool sd_session_cache_get(const sd_session_cache *cache, const char *stack, sd_span id, sd_span *out);
void sd_session_cache_remove(sd_session_cache *cache, const char *stack, sd_span id);
/* Entries held, for tests. */
size_t sd_session_cache_count(const sd_session_cache *cache);

#endif
