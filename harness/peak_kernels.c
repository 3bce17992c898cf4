/*
 * peak_kernels.c - the inner loops of `kbench peak`: FP32 FMA chains and
 * STREAM's copy and triad.  The AVX2+FMA versions are compiled for that
 * target function by function (no global -mavx2) and chosen at run time; the
 * portable ones are plain C that the compiler vectorises as it can.  The
 * bookkeeping (threads, sizes, timing) is in peak.c.
 */
#include <stddef.h>

#include "peak.h"

#if defined(__x86_64__) || defined(__i386__)
#define KB_PEAK_X86 1
#include <immintrin.h>
#else
#define KB_PEAK_X86 0
#endif

/* Chains per call: FMA latency (4-5 cycles on Zen 3/4/5, 4 on recent Intel)
 * times two FMA pipes is 8-10 chains in flight; 12 covers it with room and
 * still leaves ymm registers for a and b (14 of 16). */
#define CHAINS 12

#if KB_PEAK_X86

__attribute__((target("avx2,fma"))) static float fma_avx2(long iters, float a, float b)
{
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    const __m256 step = _mm256_setr_ps(0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f);
    /* Different starting points, so that no two chains are the same value. */
    __m256 x0 = _mm256_add_ps(step, _mm256_set1_ps(0.125f));
    __m256 x1 = _mm256_add_ps(step, _mm256_set1_ps(0.25f));
    __m256 x2 = _mm256_add_ps(step, _mm256_set1_ps(0.375f));
    __m256 x3 = _mm256_add_ps(step, _mm256_set1_ps(0.5f));
    __m256 x4 = _mm256_add_ps(step, _mm256_set1_ps(0.625f));
    __m256 x5 = _mm256_add_ps(step, _mm256_set1_ps(0.75f));
    __m256 x6 = _mm256_add_ps(step, _mm256_set1_ps(0.875f));
    __m256 x7 = _mm256_add_ps(step, _mm256_set1_ps(1.0f));
    __m256 x8 = _mm256_add_ps(step, _mm256_set1_ps(1.125f));
    __m256 x9 = _mm256_add_ps(step, _mm256_set1_ps(1.25f));
    __m256 x10 = _mm256_add_ps(step, _mm256_set1_ps(1.375f));
    __m256 x11 = _mm256_add_ps(step, _mm256_set1_ps(1.5f));
    for (long i = 0; i < iters; i++) {
        x0 = _mm256_fmadd_ps(x0, va, vb);
        x1 = _mm256_fmadd_ps(x1, va, vb);
        x2 = _mm256_fmadd_ps(x2, va, vb);
        x3 = _mm256_fmadd_ps(x3, va, vb);
        x4 = _mm256_fmadd_ps(x4, va, vb);
        x5 = _mm256_fmadd_ps(x5, va, vb);
        x6 = _mm256_fmadd_ps(x6, va, vb);
        x7 = _mm256_fmadd_ps(x7, va, vb);
        x8 = _mm256_fmadd_ps(x8, va, vb);
        x9 = _mm256_fmadd_ps(x9, va, vb);
        x10 = _mm256_fmadd_ps(x10, va, vb);
        x11 = _mm256_fmadd_ps(x11, va, vb);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
                             _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(x8, x9), _mm256_add_ps(x10, x11)));
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/* Aligned 32-byte loads and stores when the pointers allow (peak.c gives
 * 64-byte aligned parts), unaligned otherwise; 16 doubles a step. */
__attribute__((target("avx2,fma"))) static void copy_avx2(double *a, const double *b, size_t n)
{
    size_t i = 0;
    if ((((size_t)a | (size_t)b) & 31) == 0) {
        for (; i + 16 <= n; i += 16) {
            __m256d v0 = _mm256_load_pd(b + i), v1 = _mm256_load_pd(b + i + 4);
            __m256d v2 = _mm256_load_pd(b + i + 8), v3 = _mm256_load_pd(b + i + 12);
            _mm256_store_pd(a + i, v0);
            _mm256_store_pd(a + i + 4, v1);
            _mm256_store_pd(a + i + 8, v2);
            _mm256_store_pd(a + i + 12, v3);
        }
    } else {
        for (; i + 16 <= n; i += 16) {
            __m256d v0 = _mm256_loadu_pd(b + i), v1 = _mm256_loadu_pd(b + i + 4);
            __m256d v2 = _mm256_loadu_pd(b + i + 8), v3 = _mm256_loadu_pd(b + i + 12);
            _mm256_storeu_pd(a + i, v0);
            _mm256_storeu_pd(a + i + 4, v1);
            _mm256_storeu_pd(a + i + 8, v2);
            _mm256_storeu_pd(a + i + 12, v3);
        }
    }
    for (; i < n; i++) a[i] = b[i];
}

__attribute__((target("avx2,fma"))) static void triad_avx2(double *a, const double *b, const double *c, double s,
                                                          size_t n)
{
    const __m256d vs = _mm256_set1_pd(s);
    size_t i = 0;
    if ((((size_t)a | (size_t)b | (size_t)c) & 31) == 0) {
        for (; i + 16 <= n; i += 16) {
            _mm256_store_pd(a + i, _mm256_fmadd_pd(vs, _mm256_load_pd(c + i), _mm256_load_pd(b + i)));
            _mm256_store_pd(a + i + 4, _mm256_fmadd_pd(vs, _mm256_load_pd(c + i + 4), _mm256_load_pd(b + i + 4)));
            _mm256_store_pd(a + i + 8, _mm256_fmadd_pd(vs, _mm256_load_pd(c + i + 8), _mm256_load_pd(b + i + 8)));
            _mm256_store_pd(a + i + 12,
                            _mm256_fmadd_pd(vs, _mm256_load_pd(c + i + 12), _mm256_load_pd(b + i + 12)));
        }
    } else {
        for (; i + 4 <= n; i += 4)
            _mm256_storeu_pd(a + i, _mm256_fmadd_pd(vs, _mm256_loadu_pd(c + i), _mm256_loadu_pd(b + i)));
    }
    for (; i < n; i++) a[i] = b[i] + s * c[i];
}

#endif /* KB_PEAK_X86 */

/* Portable: CHAINS x 4 lanes of independent chains in a plain array, which
 * the compiler keeps in vector registers where it vectorises (SSE at -O2). */
static float fma_portable(long iters, float a, float b)
{
    enum { N = CHAINS * 4 };
    float x[N];
    for (int j = 0; j < N; j++) x[j] = 0.125f * (float)(j + 1);
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < N; j++) x[j] = x[j] * a + b;
    float s = 0.f;
    for (int j = 0; j < N; j++) s += x[j];
    return s;
}

static void copy_portable(double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] = b[i];
}

static void triad_portable(double *a, const double *b, const double *c, double s, size_t n)
{
    for (size_t i = 0; i < n; i++) a[i] = b[i] + s * c[i];
}

static const kb_peak_kernels portable = {"scalar", 2.0 * CHAINS * 4, fma_portable, copy_portable, triad_portable};
#if KB_PEAK_X86
static const kb_peak_kernels avx2 = {"avx2+fma", 2.0 * CHAINS * 8, fma_avx2, copy_avx2, triad_avx2};
#endif

const kb_peak_kernels *kb_peak_kernels_select(int force_portable)
{
#if KB_PEAK_X86
    if (!force_portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &avx2;
#else
    (void)force_portable;
#endif
    return &portable;
}
