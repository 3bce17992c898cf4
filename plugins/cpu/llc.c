/*
 * llc.c - the size of the last-level cache this CPU shares, read once.
 * The *_avx2.c kernels use it to decide whether a problem lives in DRAM
 * (then non-temporal stores pay) or in cache (then they would hurt).
 */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "llc.h"

/* sysfs first: inside a VM glibc's sysconf can report the whole package
 * (384 MiB on the development VM, whose L3 slice is 32 MiB). */
static size_t read_llc(void)
{
    size_t size = 0;
    int top = 0;
    for (int i = 0; i < 16; i++) {
        char path[96], text[32];
        int level = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        int got = fscanf(f, "%d", &level);
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (got != 1 || level < top || !(f = fopen(path, "r")))
            continue;
        if (fgets(text, sizeof text, f)) {
            char *unit;
            size_t v = strtoul(text, &unit, 10);
            v <<= *unit == 'K' ? 10 : *unit == 'M' ? 20 : 0;
            if (v) {
                top = level;
                size = v;
            }
        }
        fclose(f);
    }
    if (size)
        return size;
    long v = sysconf(_SC_LEVEL3_CACHE_SIZE);
    return v > 0 ? (size_t)v : (size_t)32 << 20;
}

size_t kb_cpu_llc_bytes(void)
{
    static atomic_size_t cached; /* 0 until the first call; every caller computes the same */
    size_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!v) {
        v = read_llc();
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
}
