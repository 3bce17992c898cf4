/*
 * isolate.h - plugins in worker processes.
 *
 * kbench never runs plugin code in its own process unless asked to
 * (--no-isolate): every plugin file is loaded, initialised and run in a
 * worker, a fork of kbench that serves requests over a pipe (worker.c).  The
 * harness keeps a shadow of each plugin (names, kernels, availability, device
 * facts: no code), so planning and recording work as before.  A worker that
 * crashes, exits, hangs past the timeout or runs out of memory fails the
 * request it was serving, with the signal or reason, and is started again
 * for the next one.
 *
 * Verification keeps one oracle run per case: the worker of the reference
 * plugin computes the expected outputs into memory shared with every worker
 * (the arena, mapped before any fork), and each plugin's worker checks its
 * kernels against them.  docs/robustness.md has the whole story.
 */
#ifndef KBENCH_HARNESS_ISOLATE_H
#define KBENCH_HARNESS_ISOLATE_H

#include <stddef.h>
#include <stdint.h>

#include "discover.h"
#include "kb_case.h"
#include "load.h"
#include "timing.h"
#include "verify.h"

struct hwloc_topology;

typedef struct kb_isolation {
    double timeout_s;     /* per request (one kernel's check or timing); <= 0: none */
    double memory_limit;  /* bytes of memory a host plugin's worker may map beyond its start; 0: none */
    struct hwloc_topology *topo; /* for binding a worker near its device; may be NULL */
} kb_isolation;

/* Load every file of `found` in a worker process of its own and fill `reg`
 * with shadows; load failures (a crash included) become reg->errors.
 * Returns 0, or -1 when the shared arena or a pipe cannot be made. */
int kb_pool_load(const kb_found *found, int threads, const kb_isolation *iso, kb_registry *reg);

/* Where workers bind themselves near a device (kb_pool_time's bus_id). */
void kb_pool_set_topology(kb_registry *reg, struct hwloc_topology *topo);

/* The registry's pool: workers stopped, shadows freed (kb_registry_free). */
void kb_pool_free(kb_registry *reg);

/* New placement: every worker is restarted bound as kbench is now, with
 * `threads` threads and those PUs; availability is asked again. */
int kb_pool_set_placement(kb_registry *reg, int threads, const int32_t *cpus, int cpu_count);

/* kb_verify_case, with every kernel (the oracle's included) in its worker.
 * A worker that dies fails the kernel it was running; an oracle that dies
 * fails the case (-1, message in err).  Without a pool (--no-isolate), it is
 * kb_verify_case itself. */
int kb_pool_verify_case(kb_registry *reg, const kb_case *c, kb_loaded_plugin *oracle, kb_verify_target *targets,
                        int target_count, const kb_verify_options *opt, int64_t *sampled_rows, char *err,
                        size_t err_len);

/* kb_verify_admit in lp's worker (in this process without a pool): PASS
 * when kernel k accepts case c, else SKIP (or FAIL, when the worker died)
 * with the reason. */
kb_verdict kb_pool_admit(kb_registry *reg, kb_loaded_plugin *lp, const kb_kernel *k, const kb_case *c, char *why,
                         size_t why_len);

/* kb_time_kernel in lp's worker.  `bus_id` (may be NULL): the PCI device
 * whose nearest PUs the worker's thread runs on while timing (their list in
 * `where`, "" when not moved).  A worker that
 * dies leaves out->ok 0 and the reason in out->error. */
int kb_pool_time(kb_registry *reg, kb_loaded_plugin *lp, const kb_kernel *k, const kb_case *c, const char *name,
                 const kb_timing_options *opt, const char *bus_id, char *where, size_t where_len, kb_timing *out);

/* How a process that ran plugin code ended, from its wait status, with
 * its last words (a KB_REPLY_FAULT text, may be NULL): "worker crashed:
 * SIGSEGV (Segmentation fault), invalid access at 0x0 (a NULL pointer)". */
void kb_describe_death(int status, const char *fault, char *buf, size_t n);

/* Device facts the workers reported at load (kb_collect_devices). */
struct kb_device_fact;
int kb_pool_devices(const kb_registry *reg, struct kb_device_fact *out, int max);

#endif
