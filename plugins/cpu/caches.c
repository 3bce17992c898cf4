/*
 * caches.c - cache sizes from sysfs.  sysfs first: inside a VM glibc's
 * sysconf can report the whole package (384 MiB of L3 on the development VM,
 * whose slice is 32 MiB).
 */
#define _POSIX_C_SOURCE 200809L /* sysconf */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "caches.h"

/* cpu0's data or unified cache at `level` from sysfs; 0 if absent. */
static int64_t sysfs_cache(int level)
{
    for (int idx = 0; idx < 16; idx++) {
        char path[96], type[32] = "";
        int lvl = 0;
        long long size = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        if (!f)
            return 0;
        int ok = fscanf(f, "%d", &lvl) == 1;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        f = fopen(path, "r");
        if (f) {
            ok = ok && fscanf(f, "%31s", type) == 1;
            fclose(f);
        }
        if (!ok || lvl != level || strcmp(type, "Instruction") == 0)
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        f = fopen(path, "r");
        if (!f)
            return 0;
        char unit = 'K'; /* Linux writes "48K"; take M and G too */
        ok = fscanf(f, "%lld%c", &size, &unit) >= 1;
        fclose(f);
        size <<= unit == 'G' ? 30 : unit == 'M' ? 20 : unit == 'K' ? 10 : 0;
        return ok && size > 0 ? (int64_t)size : 0;
    }
    return 0;
}

int64_t kb_cpu_cache_bytes(int level, int64_t fallback)
{
    int64_t bytes = sysfs_cache(level);
    if (bytes <= 0) {
        long s = sysconf(level == 1 ? _SC_LEVEL1_DCACHE_SIZE : level == 2 ? _SC_LEVEL2_CACHE_SIZE
                                                                           : _SC_LEVEL3_CACHE_SIZE);
        bytes = s > 0 ? s : fallback;
    }
    return bytes;
}

size_t kb_cpu_llc_bytes(void)
{
    static atomic_size_t cached; /* 0 until the first call; every caller computes the same */
    size_t v = atomic_load_explicit(&cached, memory_order_relaxed);
    if (!v) {
        int64_t b = sysfs_cache(3);
        if (b <= 0) b = sysfs_cache(2);
        if (b <= 0) b = kb_cpu_cache_bytes(3, (int64_t)32 << 20);
        v = (size_t)b;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
}
