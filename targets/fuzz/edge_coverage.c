/* edge_coverage.c — edges reached per instrumented module; see
 * edge_coverage.h. */
#define _GNU_SOURCE /* dl_iterate_phdr */
#include "edge_coverage.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { MAX_MODULES = 16 };

typedef struct {
    char name[128];          /* the file's basename */
    const uint8_t *counters; /* the module's __sancov_cntrs, live */
    size_t n;
    uint8_t *seen; /* a byte per edge: reached by some input */
    unsigned long n_seen;
} module;

static module g_modules[MAX_MODULES];
static size_t g_n_modules;
static bool g_initialized;

/* The address and size of the section named `wanted` in the ELF file at
 * path, as the file says (before relocation); false if it has none. */
static bool find_section(const char *path, const char *wanted, uint64_t *addr, uint64_t *size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool found = false;
    Elf64_Ehdr eh;
    Elf64_Shdr *sections = NULL;
    char *names = NULL;
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 ||
        eh.e_shstrndx >= eh.e_shnum)
        goto done;
    size_t table = (size_t)eh.e_shnum * sizeof(Elf64_Shdr);
    sections = malloc(table);
    if (!sections || pread(fd, sections, table, (off_t)eh.e_shoff) != (ssize_t)table) goto done;
    const Elf64_Shdr *strtab = &sections[eh.e_shstrndx];
    if (strtab->sh_size == 0 || strtab->sh_size > (1u << 24)) goto done;
    names = malloc(strtab->sh_size + 1);
    if (!names || pread(fd, names, strtab->sh_size, (off_t)strtab->sh_offset) != (ssize_t)strtab->sh_size)
        goto done;
    names[strtab->sh_size] = '\0';
    for (size_t i = 0; i < eh.e_shnum && !found; i++) {
        if (sections[i].sh_name >= strtab->sh_size) continue;
        if (strcmp(names + sections[i].sh_name, wanted) != 0) continue;
        *addr = sections[i].sh_addr;
        *size = sections[i].sh_size;
        found = *size > 0;
    }
done:
    free(names);
    free(sections);
    close(fd);
    return found;
}

static int add_module(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    if (g_n_modules == MAX_MODULES) return 1;
    /* The executable comes with an empty name; the vDSO with one that is
     * no file. */
    bool executable = info->dlpi_name == NULL || info->dlpi_name[0] == '\0';
    const char *path = executable ? "/proc/self/exe" : info->dlpi_name;
    uint64_t addr, bytes;
    if (!find_section(path, "__sancov_cntrs", &addr, &bytes)) return 0;
    module *m = &g_modules[g_n_modules];
    m->seen = calloc(bytes, 1);
    if (!m->seen) return 1;
    m->counters = (const uint8_t *)(uintptr_t)(info->dlpi_addr + addr);
    m->n = (size_t)bytes;
    char exe[512];
    if (executable) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        path = exe;
    }
    const char *slash = strrchr(path, '/');
    snprintf(m->name, sizeof m->name, "%.127s", slash ? slash + 1 : path);
    g_n_modules++;
    return 0;
}

void sd_edge_coverage_init(void) {
    if (g_initialized) return;
    g_initialized = true;
    dl_iterate_phdr(add_module, NULL);
}

void sd_edge_coverage_after_input(void) {
    for (size_t i = 0; i < g_n_modules; i++) {
        module *m = &g_modules[i];
        /* Most counters stay zero in one input: skip them eight at a time. */
        for (size_t e = 0; e < m->n; e += 8) {
            uint64_t word = 0;
            size_t k = m->n - e < 8 ? m->n - e : 8;
            memcpy(&word, m->counters + e, k);
            if (word == 0) continue;
            for (size_t j = e; j < e + k; j++) {
                if (m->counters[j] && !m->seen[j]) {
                    m->seen[j] = 1;
                    m->n_seen++;
                }
            }
        }
    }
}

void sd_edge_coverage_print(FILE *f, double every_seconds) {
    if (g_n_modules == 0) return;
    static double last;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    if (every_seconds > 0 && last > 0 && now - last < every_seconds) return;
    last = now;
    fprintf(f, "#shakedown coverage:");
    for (size_t i = 0; i < g_n_modules; i++)
        fprintf(f, "%s %s %lu/%zu edges", i ? "," : "", g_modules[i].name, g_modules[i].n_seen,
                g_modules[i].n);
    fprintf(f, "\n");
}

unsigned long sd_edge_coverage_of(const char *name, unsigned long *total) {
    for (size_t i = 0; i < g_n_modules; i++) {
        if (!strstr(g_modules[i].name, name)) continue;
        if (total) *total = g_modules[i].n;
        return g_modules[i].n_seen;
    }
    if (total) *total = 0;
    return 0;
}
