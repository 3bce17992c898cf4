/*
 * threads.h - a tiny persistent thread pool with one operation: a parallel
 * for over an index range [0, n), handed out in chunks of `grain` indices.
 *
 * Why persistent: the harness times small problems too, and creating threads
 * in every run() would dominate them.  Chunks are claimed dynamically (one
 * atomic counter) so that uneven work (causal attention) still balances.
 *
 * Participants are numbered 0..threads-1 (`tid`), which kernels use to pick
 * their slice of the workspace.  Without a CPU set the caller takes part as
 * participant 0; with one, `threads` pinned workers do all the work and the
 * caller only waits, so that every computing thread runs where the harness's
 * placement says.  A job of one chunk runs on the caller alone (participant
 * 0): kernels make small problems one chunk (KB_CPU_SERIAL_WORK), because
 * waking workers would cost more than the work and make its time erratic.
 */
#ifndef KB_CPU_THREADS_H
#define KB_CPU_THREADS_H

#include <stddef.h>
#include <stdint.h>

typedef struct kb_cpu_pool kb_cpu_pool;

/* Work on indices [begin, end) as participant `tid`. */
typedef void (*kb_cpu_task)(void *arg, int64_t begin, int64_t end, int tid);

/* Start a pool of `threads` participants, pinned one per CPU of `cpus` (in
 * order, wrapping around) when cpu_count > 0.  NULL on failure, with the
 * reason in err. */
kb_cpu_pool *kb_cpu_pool_create(int threads, const int32_t *cpus, int cpu_count,
                                char *err, size_t err_len);

/* Stop and join the workers and free the pool.  NULL is fine. */
void kb_cpu_pool_destroy(kb_cpu_pool *pool);

/* Run fn over [0, n) in chunks of `grain` (>= 1) indices; returns when all
 * chunks are done.  Calls from several threads are serialised. */
void kb_cpu_parallel_for(kb_cpu_pool *pool, int64_t n, int64_t grain, kb_cpu_task fn,
                         void *arg);

#endif /* KB_CPU_THREADS_H */
