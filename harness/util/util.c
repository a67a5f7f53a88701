/* util.c — see util.h. */
#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double sd_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void sd_set_error(char *err, size_t err_len, const char *fmt, ...) {
    if (err == NULL || err_len == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

bool sd_file_read(const char *path, size_t max, uint8_t **out, size_t *out_len, char *err, size_t err_len) {
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        sd_set_error(err, err_len, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap + 1);
    while (buf != NULL) {
        if (len == cap) {
            if (cap > max) break; /* more than max bytes: refused below */
            uint8_t *grown = cap <= (SIZE_MAX - 1) / 2 ? realloc(buf, cap * 2 + 1) : NULL;
            if (grown == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) break;
    }
    bool read_error = ferror(f) != 0;
    fclose(f);
    if (buf == NULL) {
        sd_set_error(err, err_len, "%s: out of memory", path);
        return false;
    }
    if (read_error) {
        free(buf);
        sd_set_error(err, err_len, "cannot read %s", path);
        return false;
    }
    if (len > max) {
        free(buf);
        sd_set_error(err, err_len, "%s: larger than %zu bytes", path, max);
        return false;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return true;
}

bool sd_write_all(int fd, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return false;
        if (w == 0) {
            errno = EIO; /* write(2) never returns 0 for a positive count; be safe */
            return false;
        }
        p += w;
        len -= (size_t)w;
    }
    return true;
}

bool sd_file_write_atomic(const char *path, const void *data, size_t len, char *err, size_t err_len) {
    /* The temporary file sits in the same folder (rename does not cross
     * filesystems), hidden, and named by process so that two writers of one
     * path do not share it. */
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    char tmp[4096];
    int n =
        snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.%ld", dir_len, path, slash ? slash + 1 : path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        sd_set_error(err, err_len, "%s: path too long", path);
        return false;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        sd_set_error(err, err_len, "%s: %s", tmp, strerror(errno));
        return false;
    }
    if (!sd_write_all(fd, data, len)) {
        sd_set_error(err, err_len, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return false;
    }
    /* fsync before rename: otherwise a crash can leave the new name pointing
     * at an empty file on some filesystems, which is the one thing atomic
     * writing is meant to prevent. */
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS) {
        sd_set_error(err, err_len, "%s: fsync: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return false;
    }
    if (close(fd) != 0) {
        sd_set_error(err, err_len, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        return false;
    }
    if (rename(tmp, path) != 0) {
        sd_set_error(err, err_len, "rename %s -> %s: %s", tmp, path, strerror(errno));
        unlink(tmp);
        return false;
    }
    return true;
}

bool sd_make_dirs(const char *path, char *err, size_t err_len) {
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s", path);
    if (n < 0 || (size_t)n >= sizeof buf) {
        sd_set_error(err, err_len, "%s: path too long", path);
        return false;
    }
    /* Each prefix that ends at a '/', then the whole path; p starts past the
     * first byte so that an absolute path's root is not made. */
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            sd_set_error(err, err_len, "cannot create %s: %s", buf, strerror(errno));
            return false;
        }
        *p = c;
        if (c == '\0') break;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        sd_set_error(err, err_len, "%s exists and is not a folder", path);
        return false;
    }
    return true;
}

void sd_die_with_parent(pid_t parent) {
#ifdef __linux__
    /* The signal is tied to the thread that forked: shakedown forks from
     * its only thread. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    /* The parent may have died before prctl took effect: then this child
     * already belongs to another process. */
    if (getppid() != parent) _exit(127);
}
