/* model_target.c — the model behind the target interface. The model is
 * sans-IO already, so this is glue only. */
#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"
#include "stacks/stacks.h"

typedef struct {
    sd_target base;
    sd_model *model;
} model_target;

static sd_target *create(const sd_target_config *cfg, sd_target_error *err) {
    sd_model *m = sd_model_new(cfg, err->text, sizeof err->text);
    if (!m) {
        /* The model reports a configuration it lacks in words, an error
         * starting "unsupported:"; here it becomes the structural kind. */
        sd_target_error_read_words(err);
        return NULL;
    }
    model_target *t = calloc(1, sizeof(*t));
    if (!t) {
        sd_model_free(m);
        snprintf(err->text, sizeof err->text, "out of memory");
        return NULL;
    }
    t->base.ops = &sd_target_model;
    t->model = m;
    return &t->base;
}

static void start(sd_target *t) { sd_model_start(((model_target *)t)->model); }
static void feed(sd_target *t, sd_span bytes) { sd_model_feed(((model_target *)t)->model, bytes); }
static void drain(sd_target *t, sd_buf *out) { sd_model_drain(((model_target *)t)->model, out); }
static void status(sd_target *t, sd_target_status *out) { sd_model_status(((model_target *)t)->model, out); }
static bool export_keying_material(sd_target *t, const char *label, uint8_t *out, size_t len) {
    return sd_model_export(((model_target *)t)->model, label, out, len);
}
static bool export_session(sd_target *t, sd_buf *out) {
    return sd_model_export_session(((model_target *)t)->model, out);
}
static void close_connection(sd_target *t) { sd_model_close(((model_target *)t)->model); }
static const char *version(void) { return "shakedown model 0.1 (TLS 1.2, 1.3)"; }

static void destroy(sd_target *t) {
    if (!t) return;
    sd_model_free(((model_target *)t)->model);
    free(t);
}

const sd_target_ops sd_target_model = {
    .name = "model",
    .create = create,
    .start = start,
    .feed = feed,
    .drain = drain,
    .status = status,
    .export_keying_material = export_keying_material,
    .export_session = export_session,
    .version = version,
    .destroy = destroy,
    .close = close_connection,
    .resumes_across_targets = true,
    .sets_renegotiation = true,
};
