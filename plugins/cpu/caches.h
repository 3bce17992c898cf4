/*
 * caches.h - this CPU's cache sizes (caches.c), for the kernels that size
 * their blocks from them (gemm/blocking.c) or choose streaming stores by them
 * (vmath_avx2.h).
 */
#ifndef KB_CPU_CACHES_H
#define KB_CPU_CACHES_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of cpu0's data or unified cache at `level` (1, 2, 3): sysfs, then
 * sysconf, then `fallback`.  Reads the files on every call: call it once. */
int64_t kb_cpu_cache_bytes(int level, int64_t fallback);

/* Bytes of the last-level cache (the highest level present; 32 MiB if none is
 * known); read once, safe to call from any thread. */
size_t kb_cpu_llc_bytes(void);

#endif /* KB_CPU_CACHES_H */
