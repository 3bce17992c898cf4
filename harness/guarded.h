/*
 * guarded.h - tensor buffers between two inaccessible pages.
 *
 * A kernel that writes (or reads) a little past its tensor hits the
 * canaries workload.c checks; one that goes further, or before the start,
 * hits a PROT_NONE page and faults at once, in the worker process, where
 * worker_guard.c names the tensor and the distance.  The table of live
 * buffers is kept for that handler: reading it is async-signal-safe.
 */
#ifndef KBENCH_HARNESS_GUARDED_H
#define KBENCH_HARNESS_GUARDED_H

#include <stddef.h>

/* At least `bytes` (rounded up to whole pages, *usable gets the size) of
 * page-aligned memory with 64 KiB of guard pages on each side; `name` (static
 * storage) names it in fault reports, which count distances from
 * `data_bytes`, the end of the tensor's own elements.  NULL when out of
 * memory. */
void *kb_guarded_alloc(size_t bytes, size_t data_bytes, const char *name, size_t *usable);
void kb_guarded_free(void *p);

/* Describe `addr` relative to the live buffers, e.g. "12 bytes past the end
 * of tensor o", or "" when it is not in a guard page.  Async-signal-safe:
 * no allocation, no stdio. */
void kb_guarded_describe(const void *addr, char *buf, size_t n);

#endif
