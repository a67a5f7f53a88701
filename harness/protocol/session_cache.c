/* session_cache.c — see session_cache.h. */
#include "protocol/session_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    bool used;
    char stack[32];
    uint8_t id[32];
    size_t id_len;
    sd_buf blob;
    unsigned long age; /* insertion order, for replacing the oldest */
} entry;

struct sd_session_cache {
    entry entries[SD_SESSION_CACHE_CAPACITY];
    unsigned long next_age;
};

sd_session_cache *sd_session_cache_new(void) { return calloc(1, sizeof(sd_session_cache)); }

void sd_session_cache_free(sd_session_cache *cache) {
    if (!cache) return;
    for (size_t i = 0; i < SD_SESSION_CACHE_CAPACITY; i++)
        if (cache->entries[i].used) sd_buf_free(&cache->entries[i].blob);
    free(cache);
}

static entry *find(const sd_session_cache *cache, const char *stack, sd_span id) {
    for (size_t i = 0; cache && i < SD_SESSION_CACHE_CAPACITY; i++) {
        const entry *e = &cache->entries[i];
        if (e->used && e->id_len == id.len && memcmp(e->id, id.data, id.len) == 0 &&
            strcmp(e->stack, stack) == 0)
            return (entry *)e;
    }
    return NULL;
}

bool sd_session_cache_put(sd_session_cache *cache, const char *stack, sd_span id, sd_span blob) {
    if (!cache || id.len == 0 || id.len > 32 || strlen(stack) >= sizeof(((entry *)0)->stack)) return false;
    entry *e = find(cache, stack, id);
    for (size_t i = 0; !e && i < SD_SESSION_CACHE_CAPACITY; i++)
        if (!cache->entries[i].used) e = &cache->entries[i];
    if (!e) {
        e = &cache->entries[0];
        for (size_t i = 1; i < SD_SESSION_CACHE_CAPACITY; i++)
            if (cache->entries[i].age < e->age) e = &cache->entries[i];
    }
    if (!e->used) {
        sd_buf_init(&e->blob);
        e->used = true;
    }
    snprintf(e->stack, sizeof e->stack, "%s", stack);
    memcpy(e->id, id.data, id.len);
    e->id_len = id.len;
    e->age = cache->next_age++;
    sd_buf_reset(&e->blob);
    sd_buf_append_span(&e->blob, blob);
    return true;
}

bool sd_session_cache_get(const sd_session_cache *cache, const char *stack, sd_span id, sd_span *out) {
    const entry *e = find(cache, stack, id);
    if (!e) return false;
    *out = sd_buf_span(&e->blob);
    return true;
}

void sd_session_cache_remove(sd_session_cache *cache, const char *stack, sd_span id) {
    entry *e = find(cache, stack, id);
    if (!e) return;
    sd_buf_free(&e->blob);
    memset(e, 0, sizeof *e);
}

size_t sd_session_cache_count(const sd_session_cache *cache) {
    size_t n = 0;
    for (size_t i = 0; cache && i < SD_SESSION_CACHE_CAPACITY; i++) n += cache->entries[i].used;
    return n;
}
