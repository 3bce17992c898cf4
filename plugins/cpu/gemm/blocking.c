/*
 * blocking.c - KC, MC and NC from the cache sizes, read once per process.
 *
 * The rule (Goto & van de Geijn 2008; BLIS's analytical model):
 *   KC: the B micro-panel (KC x NR) is reused by every A micro-panel of the
 *       block, so it must stay in L1 next to the streaming A micro-panel
 *       (MR x KC) and the C tile: KC x NR x 4 bytes <= L1d / 2.
 *   MC: the packed A block (MC x KC) is reused for every B micro-panel, so it
 *       lives in L2, leaving half of L2 for B micro-panels passing through:
 *       MC x KC x 4 <= L2 / 2.
 *   NC: the packed B panel (KC x NC) is shared by all threads and reused for
 *       every A block, so it lives in the shared L3 (half of it):
 *       KC x NC x 4 <= L3 / 2.
 * Zen 5 here: L1d 48 KiB, L2 1 MiB, L3 32 MiB -> KC 384, MC 336, NC 10912.
 * The i8 paths pack 4-byte units holding 2 (16-bit pairs) or 4 (bytes) K
 * values, so their KC is 2 or 4 times as long for the same footprint.
 */
#include <pthread.h>

#include "../caches.h"
#include "gemm.h"

typedef struct cache_sizes {
    int64_t l1d, l2, l3;
} cache_sizes;

static cache_sizes caches;
static pthread_once_t caches_once = PTHREAD_ONCE_INIT;

static void read_caches(void)
{
    caches.l1d = kb_cpu_cache_bytes(1, 32 << 10);
    caches.l2 = kb_cpu_cache_bytes(2, 512 << 10);
    caches.l3 = kb_cpu_cache_bytes(3, 8 << 20);
}

static int64_t clamp_down(int64_t v, int64_t lo, int64_t hi, int64_t multiple)
{
    v = v < lo ? lo : v > hi ? hi : v;
    return v / multiple * multiple;
}

kb_gemm_blocks kb_gemm_block_sizes(int k_per_unit)
{
    pthread_once(&caches_once, read_caches);
    const int64_t unit = 4; /* bytes of one packed unit: an f32, two i16 or four i8 */
    kb_gemm_blocks b;
    int64_t units = clamp_down(caches.l1d / 2 / (KB_GEMM_NR * unit), 64, 512, 8);
    b.kc = units * k_per_unit;
    b.mc = clamp_down(caches.l2 / 2 / (units * unit), KB_GEMM_MR, 1020, KB_GEMM_MR);
    b.nc = clamp_down(caches.l3 / 2 / (units * unit), KB_GEMM_NR, 16384, KB_GEMM_NR);
    return b;
}
