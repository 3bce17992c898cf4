/*
 * load.h - stage 2: dlopen each discovered file, check its ABI version before
 * touching anything else, validate the descriptor, and init the plugin.
 * A file that fails is one line in `errors` and the others still load.
 */
#ifndef KBENCH_HARNESS_LOAD_H
#define KBENCH_HARNESS_LOAD_H

#include <stddef.h>

#include <kbench/plugin.h>

#include "discover.h"

typedef struct kb_loaded_plugin {
    char *path;
    void *handle;
    const kb_plugin *desc;
    void *ctx;         /* from init() */
    int available;     /* init succeeded */
    char why[256];     /* why not available */
    int explicit_;     /* named with --plugin PATH */
    int isolated;      /* a shadow: the plugin lives in a worker process (isolate.h);
                          desc has names and kernels but no code, handle and ctx are NULL */
} kb_loaded_plugin;

typedef struct kb_registry {
    kb_loaded_plugin *plugins;
    int count;
    char **errors; /* "PATH: reason", one per file that did not load */
    int error_count;
    kb_host_context host;
    int32_t *cpus; /* host.cpus points here */
    struct kb_pool *pool; /* the worker processes when isolated (isolate.h), else NULL */
} kb_registry;

/* Load every file in `found` and init each plugin with `threads` threads. */
int kb_registry_load(const kb_found *found, int threads, kb_registry *reg);
void kb_registry_free(kb_registry *reg);

/* Re-initialise every plugin for a new placement: fini, then init with the
 * new thread count and PU list (cpu_count 0: no restriction); isolated,
 * every worker restarts.  A plugin
 * whose init now fails becomes unavailable with the reason.  Returns 0, or
 * -1 on out-of-memory. */
int kb_registry_set_placement(kb_registry *reg, int threads, const int32_t *cpus, int cpu_count);

/* Add "PATH: reason" to reg->errors.  Returns 0, or -1 when out of memory. */
int kb_registry_push_error(kb_registry *reg, const char *path, const char *reason);

/* Find a loaded plugin by name (NULL if none). */
kb_loaded_plugin *kb_registry_find(kb_registry *reg, const char *name);

/* Check a descriptor's fields; 0 if consistent, else -1 with the reason. */
int kb_validate_descriptor(const kb_plugin *p, char *why, size_t why_len);

/* Find a kernel of a plugin by op and name. */
const kb_kernel *kb_find_kernel(const kb_plugin *p, kb_op op, const char *name);

#endif
