/* util.h — the small things every layer needs, once: a monotonic clock,
 * error text, whole-file reads, folders and atomic writes, and the function
 * attributes the compiler checks callers with.
 *
 * The bottom layer: it uses nothing of shakedown. Every function that can
 * fail returns false and writes why into err (which may be NULL). */
#ifndef SHAKEDOWN_UTIL_UTIL_H
#define SHAKEDOWN_UTIL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#if defined(__GNUC__) || defined(__clang__)
/* printf-style arguments, checked by the compiler. */
#define SD_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
/* A result that says whether the call worked: ignoring it is a bug. */
#define SD_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SD_PRINTF(fmt_index, first_arg)
#define SD_MUST_CHECK
#endif

/* Milliseconds on the monotonic clock, for timeouts and elapsed times (never
 * for dates: its zero is arbitrary). */
double sd_now_ms(void);

/* printf into err[0..err_len) when err is not NULL; truncates. */
void sd_set_error(char *err, size_t err_len, const char *fmt, ...) SD_PRINTF(3, 4);

/* Reads the whole file at path into a new buffer (*out, free() it; one byte
 * past the end is a NUL, so text can be used as a string). A file larger
 * than max bytes is refused rather than half read. */
SD_MUST_CHECK bool sd_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len, char *err,
                                size_t err_len);

/* write(2) until all len bytes are written, across short writes and
 * signals; false with errno set if the descriptor fails. */
SD_MUST_CHECK bool sd_write_all(int fd, const void *data, size_t len);

/* Writes data to path through a temporary file next to it, fsync and
 * rename: a reader sees the old file or the whole new one, never a part,
 * even when the writer is killed half way. */
SD_MUST_CHECK bool sd_file_write_atomic(const char *path, const void *data, size_t len, char *err,
                                        size_t err_len);

/* mkdir -p: creates path and its missing parents; an existing folder is
 * fine. */
SD_MUST_CHECK bool sd_make_dirs(const char *path, char *err, size_t err_len);

/* Called in a child right after fork: the child is killed (SIGKILL) when
 * the process that forked it ends, however it ends (SIGKILL included), so
 * no shim, client or worker outlives shakedown. If that parent is already
 * gone (it died between fork and this call), the child exits at once.
 * Async-signal-safe. Linux only (prctl PR_SET_PDEATHSIG); elsewhere only
 * the check. */
void sd_die_with_parent(pid_t parent);

#endif
