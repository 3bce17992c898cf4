#include "load.h"

#include <dlfcn.h>
#include <elf.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "isolate.h"

#define KB_MAX_KERNELS 4096

static int valid_name(const char *s)
{
    if (!s || !*s || strlen(s) > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int why_fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int device_hooks_count(const kb_device_hooks *d)
{
    return !!d->alloc + !!d->free + !!d->upload + !!d->download + !!d->synchronize +
           !!d->timer_start + !!d->timer_stop + !!d->flush_cache + !!d->device_info + !!d->copy;
}

int kb_validate_descriptor(const kb_plugin *p, char *why, size_t n)
{
    if (p->struct_size < sizeof(kb_plugin))
        return why_fail(why, n, "descriptor struct_size %u is smaller than ABI v1's kb_plugin (%zu)",
                        p->struct_size, sizeof(kb_plugin));
    if (!p->name) return why_fail(why, n, "plugin name is NULL");
    if (!valid_name(p->name))
        return why_fail(why, n, "plugin name '%s' is not 1-64 characters of [a-z0-9_-]", p->name);
    if (!p->version) return why_fail(why, n, "plugin '%s': version is NULL", p->name);
    if (!p->backend || !*p->backend) return why_fail(why, n, "plugin '%s': backend is NULL or empty", p->name);
    int hooks = device_hooks_count(&p->device);
    int host = !strcmp(p->backend, KB_BACKEND_HOST);
    if (host && hooks)
        return why_fail(why, n, "plugin '%s': host backend but device memory hooks are set", p->name);
    if (!host) {
        const kb_device_hooks *d = &p->device;
        if (!d->alloc || !d->free || !d->upload || !d->download || !d->synchronize ||
            !d->timer_start || !d->timer_stop)
            return why_fail(why, n, "plugin '%s': backend '%s' needs alloc, free, upload, download, "
                            "synchronize, timer_start and timer_stop hooks", p->name, p->backend);
    }
    if (p->kernel_count == 0) return why_fail(why, n, "plugin '%s': no kernels", p->name);
    if (p->kernel_count > KB_MAX_KERNELS)
        return why_fail(why, n, "plugin '%s': kernel_count %u is absurd (max %d)", p->name,
                        p->kernel_count, KB_MAX_KERNELS);
    if (!p->kernels) return why_fail(why, n, "plugin '%s': kernels is NULL", p->name);
    for (uint32_t i = 0; i < p->kernel_count; i++) {
        const kb_kernel *k = &p->kernels[i];
        if (!valid_name(k->name))
            return why_fail(why, n, "plugin '%s': kernel %u has no valid name ([a-z0-9_-], 1-64)", p->name, i);
        if (!kb_op_name(k->op))
            return why_fail(why, n, "plugin '%s': kernel '%s' has unknown op %d", p->name, k->name, (int)k->op);
        if (!k->supports || !k->run)
            return why_fail(why, n, "plugin '%s': kernel %s.%s has a NULL %s", p->name, kb_op_name(k->op),
                            k->name, k->run ? "supports" : "run");
        for (uint32_t j = 0; j < i; j++)
            if (p->kernels[j].op == k->op && !strcmp(p->kernels[j].name, k->name))
                return why_fail(why, n, "plugin '%s': two %s kernels named '%s'", p->name,
                                kb_op_name(k->op), k->name);
    }
    return 0;
}

int kb_registry_push_error(kb_registry *reg, const char *path, const char *reason)
{
    char **ne = realloc(reg->errors, (size_t)(reg->error_count + 1) * sizeof *ne);
    if (!ne) return -1;
    reg->errors = ne;
    size_t n = strlen(path) + strlen(reason) + 3;
    if (!(ne[reg->error_count] = malloc(n))) return -1;
    snprintf(ne[reg->error_count++], n, "%s: %s", path, reason);
    return 0;
}

/* dlerror() repeats the path; keep only the reason, on one line. */
static const char *dl_reason(const char *msg, const char *path)
{
    if (!msg) return "unknown dlopen error";
    size_t n = strlen(path);
    if (!strncmp(msg, path, n) && msg[n] == ':') msg += n + 1;
    while (*msg == ' ') msg++;
    return msg;
}

static void log_to_stderr(void *user, kb_log_level level, const char *msg)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    const char *plugin = user;
    if (level <= KB_LOG_WARN)
        fprintf(stderr, "kbench: %s: %s: %s\n", plugin, names[level], msg);
}

/* Call a plugin's init with the registry's host context. */
static void init_plugin(kb_registry *reg, kb_loaded_plugin *lp)
{
    const kb_plugin *p = lp->desc;
    lp->available = 1;
    lp->ctx = NULL;
    lp->why[0] = '\0';
    if (!p->init) return;
    kb_host_context host = reg->host;
    host.log_user = (void *)p->name;
    char err[256] = "";
    kb_status st = p->init(&host, &lp->ctx, err, sizeof err);
    if (st != KB_OK) {
        lp->available = 0;
        lp->ctx = NULL;
        snprintf(lp->why, sizeof lp->why, "init failed: %s", err[0] ? err : "no reason given");
    }
}

int kb_registry_set_placement(kb_registry *reg, int threads, const int32_t *cpus, int cpu_count)
{
    if (reg->pool) return kb_pool_set_placement(reg, threads, cpus, cpu_count);
    int32_t *copy = NULL;
    if (cpu_count > 0) {
        if (!(copy = malloc((size_t)cpu_count * sizeof *copy))) return -1;
        memcpy(copy, cpus, (size_t)cpu_count * sizeof *copy);
    }
    for (int i = 0; i < reg->count; i++) {
        kb_loaded_plugin *lp = &reg->plugins[i];
        if (lp->available && lp->desc->fini) lp->desc->fini(lp->ctx);
        lp->available = 0;
    }
    free(reg->cpus);
    reg->cpus = copy;
    reg->host.threads = threads > 0 ? threads : 1;
    reg->host.cpus = copy;
    reg->host.cpu_count = cpu_count;
    for (int i = 0; i < reg->count; i++) init_plugin(reg, &reg->plugins[i]);
    return 0;
}

/* The machine this kbench runs on, as ELF names it. */
#if defined(__x86_64__)
#define KB_ELF_MACHINE EM_X86_64
#define KB_ELF_MACHINE_NAME "x86-64"
#elif defined(__aarch64__)
#define KB_ELF_MACHINE EM_AARCH64
#define KB_ELF_MACHINE_NAME "aarch64"
#endif

/* Why a file dlopen refused is the wrong kind of file, read from its ELF
 * header: glibc says "No such file or directory" for a library built for
 * another machine.  Returns 0 and leaves why alone when the header looks
 * right (dlopen's own reason is the better one then). */
static int elf_mismatch(const char *path, char *why, size_t n)
{
    unsigned char h[EI_NIDENT + 4];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(h, 1, sizeof h, f);
    fclose(f);
    if (got < EI_NIDENT || memcmp(h, ELFMAG, SELFMAG)) {
        snprintf(why, n, "cannot load: not an ELF shared object (%s)", got ? "no ELF magic number" : "empty file");
        return 1;
    }
    if (h[EI_CLASS] != ELFCLASS64) {
        snprintf(why, n, "cannot load: a %s-bit ELF file; kbench is 64-bit", h[EI_CLASS] == ELFCLASS32 ? "32" : "?");
        return 1;
    }
#ifdef KB_ELF_MACHINE
    if (got == sizeof h) {
        uint16_t machine;
        memcpy(&machine, h + EI_NIDENT + 2, sizeof machine); /* e_machine, after e_type */
        if (h[EI_DATA] == ELFDATA2LSB && machine != KB_ELF_MACHINE) {
            snprintf(why, n, "cannot load: built for another machine (ELF e_machine %u); this kbench runs on "
                     KB_ELF_MACHINE_NAME, (unsigned)machine);
            return 1;
        }
    }
#endif
    return 0;
}

static void load_one(kb_registry *reg, const kb_found_file *file)
{
    char why[512];
    void *h = dlopen(file->path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *reason = dl_reason(dlerror(), file->path);
        if (!elf_mismatch(file->path, why, sizeof why)) snprintf(why, sizeof why, "cannot load: %s", reason);
        kb_registry_push_error(reg, file->path, why);
        return;
    }
    dlerror();
    void *sym = dlsym(h, KB_ENTRY_SYMBOL);
    if (!sym) {
        kb_registry_push_error(reg, file->path, "not a kbench plugin: no '" KB_ENTRY_SYMBOL "' symbol");
        dlclose(h);
        return;
    }
    kb_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, as POSIX allows */
    const kb_plugin *p = entry();
    if (!p) {
        kb_registry_push_error(reg, file->path, KB_ENTRY_SYMBOL "() returned NULL");
        dlclose(h);
        return;
    }
    /* The version is the only field read before it is known to match. */
    if (p->abi_version != KB_ABI_VERSION) {
        snprintf(why, sizeof why, "ABI version %u, but this kbench speaks version %u",
                 p->abi_version, KB_ABI_VERSION);
        kb_registry_push_error(reg, file->path, why);
        dlclose(h);
        return;
    }
    if (kb_validate_descriptor(p, why, sizeof why)) {
        kb_registry_push_error(reg, file->path, why);
        dlclose(h);
        return;
    }
    kb_loaded_plugin *dup = kb_registry_find(reg, p->name);
    if (dup) {
        snprintf(why, sizeof why, "duplicate plugin name '%s' (already loaded from %s)", p->name, dup->path);
        kb_registry_push_error(reg, file->path, why);
        dlclose(h);
        return;
    }
    kb_loaded_plugin *np = realloc(reg->plugins, (size_t)(reg->count + 1) * sizeof *np);
    if (!np) { dlclose(h); return; }
    reg->plugins = np;
    kb_loaded_plugin *lp = &np[reg->count++];
    memset(lp, 0, sizeof *lp);
    lp->path = strdup(file->path);
    lp->handle = h;
    lp->desc = p;
    lp->explicit_ = file->explicit_;
    init_plugin(reg, lp);
}

int kb_registry_load(const kb_found *found, int threads, kb_registry *reg)
{
    memset(reg, 0, sizeof *reg);
    reg->host.abi_version = KB_ABI_VERSION;
    reg->host.struct_size = sizeof reg->host;
    reg->host.threads = threads > 0 ? threads : 1;
    reg->host.log = log_to_stderr;
    for (int i = 0; i < found->problem_count; i++)
        if (kb_registry_push_error(reg, "KBENCH_PLUGIN_PATH", found->problems[i])) return -1;
    for (int i = 0; i < found->count; i++)
        load_one(reg, &found->files[i]);
    return 0;
}

void kb_registry_free(kb_registry *reg)
{
    if (reg->pool) {
        kb_pool_free(reg);
        return;
    }
    for (int i = 0; i < reg->count; i++) {
        kb_loaded_plugin *lp = &reg->plugins[i];
        if (lp->available && lp->desc->fini) lp->desc->fini(lp->ctx);
        /* Sanitizer builds keep the code mapped so leak reports can name it. */
#ifndef KBENCH_KEEP_PLUGINS_MAPPED
        dlclose(lp->handle);
#endif
        free(lp->path);
    }
    for (int i = 0; i < reg->error_count; i++) free(reg->errors[i]);
    free(reg->cpus);
    free(reg->plugins);
    free(reg->errors);
    memset(reg, 0, sizeof *reg);
}

kb_loaded_plugin *kb_registry_find(kb_registry *reg, const char *name)
{
    for (int i = 0; i < reg->count; i++)
        if (!strcmp(reg->plugins[i].desc->name, name)) return &reg->plugins[i];
    return NULL;
}

const kb_kernel *kb_find_kernel(const kb_plugin *p, kb_op op, const char *name)
{
    for (uint32_t i = 0; i < p->kernel_count; i++)
        if (p->kernels[i].op == op && !strcmp(p->kernels[i].name, name)) return &p->kernels[i];
    return NULL;
}
