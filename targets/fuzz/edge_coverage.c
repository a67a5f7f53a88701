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

/* "wolfssl=/path/libwolfssl.a": the instrumented stack this build links,
 * its archives separated by commas (targets/fuzz/CMakeLists.txt), "" if
 * none. */
#ifndef SHAKEDOWN_INSTRUMENTED_STACK
#define SHAKEDOWN_INSTRUMENTED_STACK ""
#endif

/* A run of counters that belongs to one code base: a whole module, or the
 * part of the executable an instrumented stack's archive was linked into. */
typedef struct {
    char name[128];
    const uint8_t *counters; /* live: the engine's __sancov_cntrs */
    size_t n;
    uint8_t *seen; /* a byte per edge: reached by some input */
    unsigned long n_seen;
} module;

static module g_modules[MAX_MODULES];
static size_t g_n_modules;
static bool g_initialized;

/* --- Reading an ELF file's sections and symbols --------------------------- */

typedef struct {
    int fd;
    Elf64_Ehdr eh;
    Elf64_Shdr *sections;
    char *names; /* the section-name string table */
    size_t names_len;
} elf_file;

static void elf_close(elf_file *e) {
    free(e->sections);
    free(e->names);
    if (e->fd >= 0) close(e->fd);
    memset(e, 0, sizeof *e);
    e->fd = -1;
}

static void *read_at(int fd, uint64_t offset, uint64_t size) {
    if (size == 0 || size > (1u << 30)) return NULL;
    void *p = malloc(size + 1);
    if (p && pread(fd, p, size, (off_t)offset) != (ssize_t)size) {
        free(p);
        return NULL;
    }
    if (p) ((char *)p)[size] = '\0';
    return p;
}

static bool elf_open(elf_file *e, const char *path) {
    memset(e, 0, sizeof *e);
    e->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (e->fd < 0) return false;
    Elf64_Ehdr *eh = &e->eh;
    bool ok = pread(e->fd, eh, sizeof *eh, 0) == (ssize_t)sizeof *eh &&
              memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
              eh->e_shentsize == sizeof(Elf64_Shdr) && eh->e_shnum > 0 && eh->e_shstrndx < eh->e_shnum;
    if (ok) e->sections = read_at(e->fd, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr));
    if (e->sections) {
        const Elf64_Shdr *s = &e->sections[eh->e_shstrndx];
        e->names = read_at(e->fd, s->sh_offset, s->sh_size);
        e->names_len = s->sh_size;
    }
    if (!e->names) {
        elf_close(e);
        return false;
    }
    return true;
}

static const Elf64_Shdr *elf_section(const elf_file *e, const char *name) {
    for (size_t i = 0; i < e->eh.e_shnum; i++)
        if (e->sections[i].sh_name < e->names_len && strcmp(e->names + e->sections[i].sh_name, name) == 0 &&
            e->sections[i].sh_size > 0)
            return &e->sections[i];
    return NULL;
}

/* --- An instrumented stack linked into the executable ------------------- */

/* The global names an archive defines, from its symbol index (the GNU ar
 * "/" member: a big-endian count, as many offsets, then the names), sorted
 * for bsearch. NULL if the archive cannot be read. */
static char **archive_symbols(const char *path, size_t *n_out) {
    *n_out = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char magic[8], header[60];
    char **names = NULL;
    uint8_t *index = NULL;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "!<arch>\n", 8) != 0 || fread(header, 1, 60, f) != 60 ||
        header[0] != '/' || header[1] != ' ')
        goto done;
    char size_text[11];
    memcpy(size_text, header + 48, 10);
    size_text[10] = '\0';
    size_t size = (size_t)strtoul(size_text, NULL, 10);
    if (size < 4 || size > (64u << 20) || !(index = malloc(size + 1)) || fread(index, 1, size, f) != size)
        goto done;
    index[size] = '\0';
    size_t count = (size_t)index[0] << 24 | (size_t)index[1] << 16 | (size_t)index[2] << 8 | index[3];
    if (count > size / 4) goto done;
    const char *p = (const char *)index + 4 + 4 * count, *end = (const char *)index + size;
    names = calloc(count ? count : 1, sizeof *names);
    for (size_t i = 0; names && i < count && p < end; i++) {
        names[i] = strdup(p);
        if (!names[i]) break;
        *n_out = i + 1;
        p += strlen(p) + 1;
    }
done:
    free(index);
    fclose(f);
    return names;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The executable's address range [*lo, *hi) of the functions an archive
 * defines, from its .symtab (before relocation); false if none are found. */
static bool archive_text_range(const elf_file *exe, const char *archive, uint64_t *lo, uint64_t *hi) {
    size_t n = 0;
    char **names = archive_symbols(archive, &n);
    if (!names) return false;
    qsort(names, n, sizeof *names, compare_names);
    const Elf64_Shdr *symtab = elf_section(exe, ".symtab");
    bool found = false;
    if (symtab && symtab->sh_link < exe->eh.e_shnum && symtab->sh_entsize == sizeof(Elf64_Sym)) {
        const Elf64_Shdr *strtab = &exe->sections[symtab->sh_link];
        Elf64_Sym *syms = read_at(exe->fd, symtab->sh_offset, symtab->sh_size);
        char *strs = read_at(exe->fd, strtab->sh_offset, strtab->sh_size);
        size_t n_syms = syms ? symtab->sh_size / sizeof(Elf64_Sym) : 0;
        *lo = UINT64_MAX;
        *hi = 0;
        for (size_t i = 0; strs && i < n_syms; i++) {
            const Elf64_Sym *s = &syms[i];
            if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || ELF64_ST_BIND(s->st_info) == STB_LOCAL ||
                s->st_value == 0 || s->st_name >= strtab->sh_size)
                continue;
            const char *name = strs + s->st_name;
            if (!bsearch(&name, names, n, sizeof *names, compare_names)) continue;
            if (s->st_value < *lo) *lo = s->st_value;
            if (s->st_value + s->st_size > *hi) *hi = s->st_value + s->st_size;
            found = true;
        }
        free(syms);
        free(strs);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return found;
}

static bool add(const char *name, const uint8_t *counters, size_t n) {
    if (g_n_modules == MAX_MODULES || n == 0) return false;
    module *m = &g_modules[g_n_modules];
    m->seen = calloc(n, 1);
    if (!m->seen) return false;
    m->counters = counters;
    m->n = n;
    snprintf(m->name, sizeof m->name, "%.127s", name);
    g_n_modules++;
    return true;
}

/* The executable's counters, split: an instrumented stack's archive was
 * linked as one piece (the linker puts the members it takes at the
 * archive's place), so the counters of the functions it defines are one
 * run of the table, found through the PC table that parallels it (one PC
 * per counter, -fsanitize-coverage=pc-table). The rest is the harness. */
static void add_executable(const elf_file *exe, uint64_t bias, const char *exe_name) {
    const Elf64_Shdr *cntrs = elf_section(exe, "__sancov_cntrs");
    if (!cntrs) return;
    const uint8_t *counters = (const uint8_t *)(uintptr_t)(bias + cntrs->sh_addr);
    size_t n = (size_t)cntrs->sh_size, from = n, to = 0;
    const char *stack = NULL;
    static const char spec[] = SHAKEDOWN_INSTRUMENTED_STACK;
    static char stack_name[64];
    const char *eq = strchr(spec, '=');
    const Elf64_Shdr *pcs = elf_section(exe, "__sancov_pcs");
    uint64_t lo = 0, hi = 0;
    /* The stack's archives (mbedTLS has three) follow one another in the
     * link: one range. */
    bool found = false;
    for (const char *a = eq ? eq + 1 : NULL; a && *a;) {
        size_t len = strcspn(a, ",");
        char archive[1024];
        uint64_t alo, ahi;
        snprintf(archive, sizeof archive, "%.*s", (int)len, a);
        if (archive_text_range(exe, archive, &alo, &ahi)) {
            lo = found && lo < alo ? lo : alo;
            hi = found && hi > ahi ? hi : ahi;
            found = true;
        }
        a += len + (a[len] ? 1 : 0);
    }
    if (found && pcs && pcs->sh_size / (2 * sizeof(uintptr_t)) == n) {
        snprintf(stack_name, sizeof stack_name, "%.*s", (int)(eq - spec), spec);
        stack = stack_name;
        const uintptr_t *table = (const uintptr_t *)(uintptr_t)(bias + pcs->sh_addr);
        for (size_t i = 0; i < n; i++) {
            uintptr_t pc = table[2 * i] - (uintptr_t)bias;
            if (pc < lo || pc >= hi) continue;
            if (i < from) from = i;
            to = i + 1;
        }
    }
    if (!stack || from >= to) {
        add(exe_name, counters, n);
        return;
    }
    char harness[160];
    snprintf(harness, sizeof harness, "%s (harness)", exe_name);
    add(harness, counters, from);
    add(stack, counters + from, to - from);
    if (to < n) add(harness, counters + to, n - to);
}

static int add_module(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    (void)data;
    /* The executable comes with an empty name; the vDSO with one that is
     * no file. */
    bool executable = info->dlpi_name == NULL || info->dlpi_name[0] == '\0';
    char path[512];
    if (executable) {
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
        path[n > 0 ? n : 0] = '\0';
    } else {
        snprintf(path, sizeof path, "%s", info->dlpi_name);
    }
    elf_file e;
    if (!elf_open(&e, executable ? "/proc/self/exe" : path)) return 0;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (executable) {
        add_executable(&e, info->dlpi_addr, base);
    } else {
        const Elf64_Shdr *cntrs = elf_section(&e, "__sancov_cntrs");
        if (cntrs) add(base, (const uint8_t *)(uintptr_t)(info->dlpi_addr + cntrs->sh_addr), cntrs->sh_size);
    }
    elf_close(&e);
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
    /* The harness's parts before and after a stack are one line item. */
    fprintf(f, "#shakedown coverage:");
    bool first = true;
    for (size_t i = 0; i < g_n_modules; i++) {
        unsigned long seen = g_modules[i].n_seen, total = g_modules[i].n;
        bool printed_before = false;
        for (size_t j = 0; j < i; j++) printed_before |= strcmp(g_modules[j].name, g_modules[i].name) == 0;
        if (printed_before) continue;
        for (size_t j = i + 1; j < g_n_modules; j++) {
            if (strcmp(g_modules[j].name, g_modules[i].name) != 0) continue;
            seen += g_modules[j].n_seen;
            total += g_modules[j].n;
        }
        fprintf(f, "%s %s %lu/%lu edges", first ? "" : ",", g_modules[i].name, seen, total);
        first = false;
    }
    fprintf(f, "\n");
}
