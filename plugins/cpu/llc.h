/*
 * llc.h - the size of the last-level cache this CPU shares (llc.c).
 */
#ifndef KB_CPU_LLC_H
#define KB_CPU_LLC_H

#include <stddef.h>

/* Bytes of the last-level cache (sysfs, then sysconf, then 32 MiB); read
 * once, safe to call from any thread. */
size_t kb_cpu_llc_bytes(void);

#endif /* KB_CPU_LLC_H */
