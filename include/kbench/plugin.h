/*
 * kbench/plugin.h - the plugin descriptor: what a plugin exports.
 *
 * A plugin is a shared object exporting exactly one function,
 *
 *     const kb_plugin *kbench_plugin(void);
 *
 * which returns a pointer to a constant descriptor (static storage, valid
 * until the plugin is unloaded).  The harness reads `abi_version` first and
 * touches nothing else if it is not KB_ABI_VERSION.  The model is the classic
 * C plugin ABIs (LADSPA, LV2): one entry point, plain structs, function
 * pointers.  docs/abi.md is the long form of this header.
 *
 * Rules every plugin follows:
 *  - every function returns a kb_status and, on failure, may write one line
 *    (no newline) into `err` (capacity `err_len`, always NUL-terminated);
 *  - a plugin never allocates host memory that the harness must free;
 *  - a kernel reads only its problem's inputs and writes only its outputs and
 *    the workspace it asked for;
 *  - the descriptor and its kernels never change after kbench_plugin()
 *    returns.
 */
#ifndef KBENCH_PLUGIN_H
#define KBENCH_PLUGIN_H

#include "ops.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change.  Compatible growth (fields appended at the
 * end of a struct) does not bump it; the harness checks `struct_size` fields
 * where it needs to know whether a newer field is present. */
#define KB_ABI_VERSION 1u

/* Name of the one exported symbol, for dlsym(). */
#define KB_ENTRY_SYMBOL "kbench_plugin"

/* Backends.  "host" plugins take host pointers; any other backend (e.g.
 * "cuda") owns its memory and must provide kb_device_hooks. */
#define KB_BACKEND_HOST "host"
#define KB_BACKEND_CUDA "cuda"

typedef enum kb_log_level {
    KB_LOG_ERROR = 0,
    KB_LOG_WARN = 1,
    KB_LOG_INFO = 2,
    KB_LOG_DEBUG = 3
} kb_log_level;

/* What the harness hands a plugin at init: where it may run and how to talk.
 * The harness calls init again (after fini) when the placement changes, so a
 * plugin may size its thread pool once per init. */
typedef struct kb_host_context {
    uint32_t abi_version;  /* the harness's KB_ABI_VERSION */
    uint32_t struct_size;  /* sizeof(kb_host_context) as the harness built it */
    int32_t threads;       /* worker threads the plugin may use (>= 1) */
    int32_t cpu_count;     /* entries in cpus; 0 = no restriction */
    const int32_t *cpus;   /* OS indices of the logical CPUs (PUs) to run on */
    /* Log sink; may be called from any thread.  `msg` is one line. */
    void (*log)(void *log_user, kb_log_level level, const char *msg);
    void *log_user;
} kb_host_context;

/* One kernel: a named variant of one op. */
typedef struct kb_kernel {
    const char *name;        /* variant name ("exact", "online"): [a-z0-9_-]+, unique
                                among this plugin's kernels of the same op */
    kb_op op;
    const char *description; /* one line for `kbench list`; may be NULL */

    /* Can this kernel run `p`?  KB_OK if yes; otherwise KB_ERR_UNSUPPORTED
     * with the reason in `why` ("f16 output not implemented").  Must be cheap
     * and must not touch tensor data.  `plugin_ctx` is what init produced. */
    kb_status (*supports)(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len);

    /* Scratch bytes run() needs for `p` (0 if none; the pointer may be NULL
     * for a kernel that never needs any).  The harness allocates it (with the
     * plugin's alloc hook for device plugins) and passes it to run(); it is
     * uninitialised and 64-byte aligned. */
    size_t (*workspace_bytes)(void *plugin_ctx, const kb_problem *p);

    /* Compute `p`.  `stream` is the device stream/queue to enqueue on
     * (NULL = the plugin's default); host plugins ignore it.  A device
     * plugin may return before the work completes: the harness calls
     * synchronize() before reading outputs or stopping a timer. */
    kb_status (*run)(void *plugin_ctx, const kb_problem *p, void *workspace,
                     void *stream, char *err, size_t err_len);
} kb_kernel;

/* What a device plugin says about its device (device_info hook).  kbench
 * records it with results and uses pci_bus_id to run its host thread on the
 * CPUs nearest the device. */
typedef struct kb_device_info {
    uint32_t struct_size;     /* sizeof(kb_device_info) as the harness built it */
    char name[128];           /* "NVIDIA H100 80GB HBM3" */
    char driver[64];          /* "CUDA driver 13.0, runtime 13.0" */
    char pci_bus_id[32];      /* "0000:65:00.0" (domain:bus:device.function); "" if not on PCI */
    uint64_t memory_bytes;    /* device memory */
    uint64_t l2_bytes;        /* last-level cache of the device */
    int32_t multiprocessors;  /* SMs / compute units */
    int32_t reserved_;
} kb_device_info;

/* Memory hooks for plugins whose tensors do not live in host memory.
 * Host plugins leave every pointer NULL.  Device plugins fill all of them
 * except flush_cache, device_info and copy, which are optional. */
typedef struct kb_device_hooks {
    kb_status (*alloc)(void *plugin_ctx, size_t bytes, void **ptr, char *err, size_t err_len);
    void (*free)(void *plugin_ctx, void *ptr);
    kb_status (*upload)(void *plugin_ctx, void *dst_device, const void *src_host,
                        size_t bytes, char *err, size_t err_len);
    kb_status (*download)(void *plugin_ctx, void *dst_host, const void *src_device,
                          size_t bytes, char *err, size_t err_len);
    kb_status (*synchronize)(void *plugin_ctx, void *stream, char *err, size_t err_len);
    /* Event timer on `stream`: timer_start records a start event,
     * timer_stop records a stop event, waits for it and returns the device
     * time between the two in seconds. */
    kb_status (*timer_start)(void *plugin_ctx, void *stream, char *err, size_t err_len);
    kb_status (*timer_stop)(void *plugin_ctx, void *stream, double *seconds,
                            char *err, size_t err_len);
    /* Evict the device's caches (e.g. write a buffer larger than L2), for
     * cold-cache timing.  Optional. */
    kb_status (*flush_cache)(void *plugin_ctx, void *stream, char *err, size_t err_len);
    /* Fill *info (the harness zeroes it and sets struct_size).  Optional. */
    kb_status (*device_info)(void *plugin_ctx, kb_device_info *info, char *err, size_t err_len);
    /* Device-to-device copy of `bytes`, enqueued on `stream`: kbench peak
     * times it (with the event timer) for the device's memory bandwidth
     * ceiling.  Optional. */
    kb_status (*copy)(void *plugin_ctx, void *dst_device, const void *src_device, size_t bytes, void *stream,
                      char *err, size_t err_len);
} kb_device_hooks;

/* The plugin descriptor. */
typedef struct kb_plugin {
    uint32_t abi_version;    /* KB_ABI_VERSION; read before anything else */
    uint32_t struct_size;    /* sizeof(kb_plugin) as the plugin was built */
    const char *name;        /* unique among loaded plugins: [a-z0-9_-]+ */
    const char *version;     /* free form, e.g. "1.0.0" */
    const char *backend;     /* KB_BACKEND_HOST, KB_BACKEND_CUDA, ... */
    const char *description; /* one line; may be NULL */

    /* Set up the plugin for one placement.  On success *plugin_ctx is the
     * plugin's own state (may be NULL), passed to every other call.  On
     * failure (no GPU, say) the plugin is listed as unavailable with `err` as
     * the reason and none of its kernels run.  May be NULL (nothing to do). */
    kb_status (*init)(const kb_host_context *host, void **plugin_ctx, char *err, size_t err_len);
    void (*fini)(void *plugin_ctx); /* may be NULL */

    kb_device_hooks device; /* all NULL for host plugins */

    uint32_t kernel_count;
    const kb_kernel *kernels; /* kernel_count entries */
} kb_plugin;

/* The entry point's type, for the harness's dlsym(). */
typedef const kb_plugin *(*kb_entry_fn)(void);

/* Plugins define their entry point with this, so that the symbol has C
 * linkage and default visibility even under -fvisibility=hidden. */
#if defined(__GNUC__)
#define KB_EXPORT __attribute__((visibility("default")))
#else
#define KB_EXPORT
#endif

#ifdef __cplusplus
#define KB_PLUGIN_ENTRY extern "C" KB_EXPORT const kb_plugin *kbench_plugin(void)
#else
#define KB_PLUGIN_ENTRY KB_EXPORT const kb_plugin *kbench_plugin(void)
#endif

#ifdef __cplusplus
}
#endif
#endif /* KBENCH_PLUGIN_H */
