/*
 * quantize_avx2.c - the quantize kinds with AVX2 + FMA + F16C, kernel "avx2"
 * (VQ lives in vq_avx2.c).  All but VQ are memory bound: each row is read
 * once from memory (per row / per group: the absmax pass leaves the row in
 * L1 for the quantize pass, which meanwhile prefetches the next row, so
 * DRAM never waits for the arithmetic), outputs are written once, with
 * non-temporal stores when the problem lives in DRAM.  Rows are split over
 * the pool.
 *
 * INT8: scale = absmax / 127 (an f32 division, as defined); absmax is an
 *   integer max over the magnitude bits, which orders NaN above +inf above
 *   every finite value, so a non-finite block gets a non-finite scale for
 *   free.  q = clamp(rne(x / scale)), exactly as defined (no near-ties):
 *   - fast screen: x * (1 / scale) and round-to-nearest-even; a lane whose
 *     product lies within 2^-13 of a half-integer (the product is within
 *     2^-15 of the true quotient, so elsewhere both round alike) sends its
 *     block of 32 to the exact path (~1% of blocks of random data, every
 *     block of exact ties).  vdivps on every element made the in-cache
 *     loop ~25% slower;
 *   - exact path: t = x / scale with vdivps.  Rounding t can only go wrong
 *     where t lands exactly on a half-integer h that the exact quotient is
 *     not (a half-integer below 128 is an f32, so rounding cannot cross
 *     one); there fma(t, scale, -x) has the sign of t - x / scale (exact up
 *     to one rounding, which keeps the sign while scale >= 2^-100) and says
 *     which neighbour is right; a true tie gives 0 and keeps the even one.
 *   Blocks with a zero scale are 0; with a non-finite or tiny (< 2^-100)
 *   scale, a scalar f64 loop (as quantize.c) handles them.  Groups of 32
 *   are done eight at a time: one transposing reduction and two vdivps give
 *   the eight scales and their inverses.
 * DEQUANT_INT8: y = (float)q * scale, one rounding, exact by definition.
 * CAST: cast_avx2.h, bit-exact with convert.h for all four formats.
 */
#include <math.h>

#include "cast_avx2.h"
#include "quantize_avx2.h"

kb_status kb_cpu_quantize_avx2_supports(void *ctx, const kb_problem *p, char *why,
                                        size_t why_len)
{
    if (!kb_cpu_has_avx2_fma_f16c())
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs AVX2, FMA and F16C");
    return kb_cpu_quantize_supports(ctx, p, why, why_len);
}

size_t kb_cpu_quantize_avx2_workspace(void *ctx, const kb_problem *p)
{
    const kb_quantize_params *q = &p->u.quantize;
    if (q->kind == KB_QUANT_INT8 && q->granularity == KB_SCALE_PER_TENSOR)
        return (size_t)KB_CPU_ALIGN * (size_t)kb_cpu_threads(ctx) + KB_CPU_ALIGN; /* absmax slots */
    if (q->kind == KB_QUANT_VQ)
        return kb_cpu_vq_avx2_workspace(ctx, q);
    return 0;
}

/* ---- stores ------------------------------------------------------------------- */

KB_AVX2_INLINE void store32(void *p, __m256i v, int stream)
{
    if (stream && ((uintptr_t)p % 32) == 0)
        _mm256_stream_si256((__m256i *)p, v);
    else
        _mm256_storeu_si256((__m256i *)p, v);
}

KB_AVX2_INLINE void store_ps(float *p, __m256 v, int stream)
{
    if (stream && ((uintptr_t)p % 32) == 0)
        _mm256_stream_ps(p, v);
    else
        _mm256_storeu_ps(p, v);
}

/* ---- INT8 ----------------------------------------------------------------------- */

/* Largest magnitude bits of 8 lanes. */
KB_AVX2_INLINE uint32_t hmax_epu31(__m256i v)
{
    __m128i m = _mm_max_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = _mm_max_epi32(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(m);
}

KB_AVX2_INLINE float from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* max |x| over n values as magnitude bits: NaN > +inf > finite. */
KB_AVX2_INLINE uint32_t absmax_bits(const float *x, int64_t n)
{
    const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i m0 = _mm256_setzero_si256(), m1 = m0, m2 = m0, m3 = m0;
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        m0 = _mm256_max_epi32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + j)), mag));
        m1 = _mm256_max_epi32(m1, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + j + 8)), mag));
        m2 = _mm256_max_epi32(m2, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + j + 16)), mag));
        m3 = _mm256_max_epi32(m3, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + j + 24)), mag));
    }
    for (; j + 8 <= n; j += 8)
        m0 = _mm256_max_epi32(m0, _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + j)), mag));
    if (j < n) {
        __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n - j)),
                                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        m0 = _mm256_max_epi32(m0, _mm256_and_si256(_mm256_maskload_epi32((const int *)(x + j), lanes), mag));
    }
    return hmax_epu31(_mm256_max_epi32(_mm256_max_epi32(m0, m1), _mm256_max_epi32(m2, m3)));
}

/* rne(x / s), exact: the f32 quotient t is rounded to an integer, and lanes
 * where t is a half-integer move to the side the exact quotient is on:
 * fma(t, s, -x) = t s - x has the sign of t - x / s (0 for a true tie, which
 * keeps the even neighbour). */
KB_AVX2_INLINE __m256 rne_quotient(__m256 x, __m256 s)
{
    __m256 t = _mm256_div_ps(x, s);
    __m256 r = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 d = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(t, r));
    __m256 half = _mm256_cmp_ps(d, _mm256_set1_ps(0.5f), _CMP_EQ_OQ);
    if (__builtin_expect(_mm256_movemask_ps(half) == 0, 1))
        return r;
    __m256 rem = _mm256_fmsub_ps(t, s, x); /* > 0 when x / s < t */
    __m256 down = _mm256_and_ps(half, _mm256_cmp_ps(rem, _mm256_setzero_ps(), _CMP_GT_OQ));
    __m256 up = _mm256_and_ps(half, _mm256_cmp_ps(rem, _mm256_setzero_ps(), _CMP_LT_OQ));
    r = _mm256_blendv_ps(r, _mm256_sub_ps(t, _mm256_set1_ps(0.5f)), down);
    return _mm256_blendv_ps(r, _mm256_add_ps(t, _mm256_set1_ps(0.5f)), up);
}

/* The fast screen: t = x * inv, inv = 1 / s or 127 / absmax rounded, is
 * within 2^-15 of x / s (at most three roundings of 2^-24 relative, and
 * |x / s| <= 127).  Where t is more than 2^-13 away from
 * every half-integer, x / s is on the same side of all of them and
 * rne(t) = rne(x / s).  Returns rne(t); *dist gets |t - rne(t)| (exact). */
KB_AVX2_INLINE __m256 rne_screened(__m256 x, __m256 inv, __m256 *dist)
{
    __m256 t = _mm256_mul_ps(x, inv);
    __m256 r = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    *dist = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(t, r));
    return r;
}

/* 32 codes of x0..x3 with scale s (inv = 1 / s), in order.  A block with a
 * lane within 2^-13 of a half-integer (2^-12 of random inputs per lane, every
 * exact tie) is redone by rne_quotient.  No clamp is needed: |x| <= absmax
 * and s = absmax / 127 rounded keep |x / s| below 127.0001, so the codes
 * already lie in [-127, 127] (the saturating packs never reach -128). */
KB_AVX2_INLINE __m256i quant32(__m256 x0, __m256 x1, __m256 x2, __m256 x3, __m256 s, __m256 inv)
{
    __m256 d0, d1, d2, d3;
    __m256 r0 = rne_screened(x0, inv, &d0), r1 = rne_screened(x1, inv, &d1);
    __m256 r2 = rne_screened(x2, inv, &d2), r3 = rne_screened(x3, inv, &d3);
    __m256 d = _mm256_max_ps(_mm256_max_ps(d0, d1), _mm256_max_ps(d2, d3));
    if (__builtin_expect(_mm256_movemask_ps(_mm256_cmp_ps(d, _mm256_set1_ps(0.5f - 0x1p-13f), _CMP_GE_OQ)), 0)) {
        r0 = rne_quotient(x0, s);
        r1 = rne_quotient(x1, s);
        r2 = rne_quotient(x2, s);
        r3 = rne_quotient(x3, s);
    }
    __m256i a = _mm256_packs_epi32(_mm256_cvtps_epi32(r0), _mm256_cvtps_epi32(r1));
    __m256i b = _mm256_packs_epi32(_mm256_cvtps_epi32(r2), _mm256_cvtps_epi32(r3));
    return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(a, b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* Scalar exact path for scales the vector path does not take (tiny or
 * non-finite): the quotient in f64 is exact enough to see every tie. */
static void quant_scalar(const float *x, int8_t *q, int64_t n, float scale)
{
    double s = scale;
    for (int64_t j = 0; j < n; j++) {
        double v = rint((double)x[j] / s);
        v = v > 127.0 ? 127.0 : v < -127.0 ? -127.0 : v;
        q[j] = (int8_t)(v == v ? (int)v : 0);
    }
}

static int vector_scale(float scale) { return scale >= 0x1p-100f && scale < INFINITY; }

/* While a row is coded from L1, bring in the bytes of the next row that
 * match x[j..j+32) of this one (two lines; `next` NULL: no next row), so
 * DRAM keeps working during the arithmetic (the absmax pass then finds the
 * row in cache).  Measured on 4096 x 4096, one thread: per row 30 -> 40 GB/s,
 * per group of 32 23 -> 39 GB/s. */
KB_AVX2_INLINE void prefetch_next(const char *next, int64_t j)
{
    if (next) {
        _mm_prefetch(next + 4 * j, _MM_HINT_T0);
        _mm_prefetch(next + 4 * j + 64, _MM_HINT_T0);
    }
}

/* q[0..n) from x[0..n) with one scale; `next`: the next row's x or NULL. */
KB_AVX2_INLINE void quant_span(const float *x, int8_t *q, int64_t n, float scale, int stream,
                               const char *next)
{
    if (scale == 0.0f) {
        memset(q, 0, (size_t)n);
        return;
    }
    if (!vector_scale(scale)) {
        quant_scalar(x, q, n, scale);
        return;
    }
    const __m256 s = _mm256_set1_ps(scale), inv = _mm256_set1_ps(1.0f / scale);
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        prefetch_next(next, j);
        store32(q + j, quant32(_mm256_loadu_ps(x + j), _mm256_loadu_ps(x + j + 8),
                               _mm256_loadu_ps(x + j + 16), _mm256_loadu_ps(x + j + 24), s, inv),
                stream);
    }
    if (j < n) {
        float buf[32] = {0};
        int8_t out[32];
        memcpy(buf, x + j, (size_t)(n - j) * sizeof(float));
        _mm256_storeu_si256((__m256i *)out, quant32(_mm256_loadu_ps(buf), _mm256_loadu_ps(buf + 8),
                                                    _mm256_loadu_ps(buf + 16), _mm256_loadu_ps(buf + 24), s,
                                                    inv));
        memcpy(q + j, out, (size_t)(n - j));
    }
}

/* Groups of exactly 32 (llama.cpp's Q8_0). */

/* Per-lane max of the magnitude bits of the 32 values at x. */
KB_AVX2_INLINE __m256i group_mag(const float *x)
{
    const __m256i mag = _mm256_set1_epi32(0x7FFFFFFF);
    __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)x), mag);
    __m256i b = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + 8)), mag);
    __m256i c = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + 16)), mag);
    __m256i d = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(x + 24)), mag);
    return _mm256_max_epi32(_mm256_max_epi32(a, b), _mm256_max_epi32(c, d));
}

/* Lane g of the result = max over the lanes of v[g]: a transposing reduction,
 * 21 operations for 8 vectors instead of 7 each one by one. */
KB_AVX2_INLINE __m256i hmax_8x8(const __m256i v[8])
{
    __m256i p[4], h[2];
    for (int i = 0; i < 4; i++) /* [v0_0|2, v1_0|2, v0_1|3, v1_1|3] per 128-bit half */
        p[i] = _mm256_max_epi32(_mm256_unpacklo_epi32(v[2 * i], v[2 * i + 1]),
                                _mm256_unpackhi_epi32(v[2 * i], v[2 * i + 1]));
    for (int i = 0; i < 2; i++) /* [v0, v1, v2, v3] per 128-bit half */
        h[i] = _mm256_max_epi32(_mm256_unpacklo_epi64(p[2 * i], p[2 * i + 1]),
                                _mm256_unpackhi_epi64(p[2 * i], p[2 * i + 1]));
    return _mm256_max_epi32(_mm256_permute2x128_si256(h[0], h[1], 0x20),
                            _mm256_permute2x128_si256(h[0], h[1], 0x31));
}

/* Scales of eight groups of 32 (256 values, 1 KiB): one reduction and two
 * independent vdivps, absmax / 127 and 127 / absmax (the latter within two
 * roundings of 1 / scale: the screen's bound still holds, see quant32). */
typedef struct group8 {
    __m256 s, inv;
    int ok; /* every scale takes the vector path */
} group8;

KB_AVX2_INLINE group8 group8_scales(const float *x, float *scales)
{
    __m256i m[8];
    for (int g = 0; g < 8; g++)
        m[g] = group_mag(x + 32 * g);
    __m256 amax = _mm256_castsi256_ps(hmax_8x8(m));
    group8 r;
    r.s = _mm256_div_ps(amax, _mm256_set1_ps(127.0f));
    r.inv = _mm256_div_ps(_mm256_set1_ps(127.0f), amax);
    _mm256_storeu_ps(scales, r.s);
    __m256 ok = _mm256_and_ps(_mm256_cmp_ps(r.s, _mm256_set1_ps(0x1p-100f), _CMP_GE_OQ),
                              _mm256_cmp_ps(r.s, _mm256_set1_ps(INFINITY), _CMP_LT_OQ));
    r.ok = _mm256_movemask_ps(ok) == 0xFF;
    return r;
}

/* The codes of those eight groups (from L1 now); `next` as for quant_span. */
KB_AVX2_INLINE void group8_codes(const float *x, int8_t *q, const float *scales, group8 g8,
                                 int stream, const char *next)
{
    if (!g8.ok) { /* a zero, tiny or non-finite scale among them */
        for (int g = 0; g < 8; g++)
            quant_span(x + 32 * g, q + 32 * g, 32, scales[g], 0, NULL);
        return;
    }
    for (int g = 0; g < 8; g++) {
        const float *xg = x + 32 * g;
        __m256i lane = _mm256_set1_epi32(g);
        prefetch_next(next, 32 * g);
        store32(q + 32 * g, quant32(_mm256_loadu_ps(xg), _mm256_loadu_ps(xg + 8),
                                    _mm256_loadu_ps(xg + 16), _mm256_loadu_ps(xg + 24),
                                    _mm256_permutevar8x32_ps(g8.s, lane),
                                    _mm256_permutevar8x32_ps(g8.inv, lane)),
                stream);
    }
}

/* Whole batches of eight groups of 32 in a row of n values; returns how many
 * values were done.  In segments of up to 16 batches (16 KiB): first the
 * scales of the whole segment, a loop of mostly loads that keeps many cache
 * misses in flight, then the codes from L1, as per-row quantization does.
 * (Interleaving the two, batch by batch, measured ~15% slower with two
 * threads on 4096 x 4096.) */
#define SEGMENT_BATCHES 16

KB_AVX2_INLINE int64_t groups32_row(const float *x, int8_t *q, float *scales, int64_t n, int stream,
                                    const char *next)
{
    int64_t batches = n / 256;
    group8 g8[SEGMENT_BATCHES];
    for (int64_t b0 = 0; b0 < batches; b0 += SEGMENT_BATCHES) {
        int nb = batches - b0 < SEGMENT_BATCHES ? (int)(batches - b0) : SEGMENT_BATCHES;
        for (int b = 0; b < nb; b++)
            g8[b] = group8_scales(x + 256 * (b0 + b), scales + 8 * (b0 + b));
        for (int b = 0; b < nb; b++)
            group8_codes(x + 256 * (b0 + b), q + 256 * (b0 + b), scales + 8 * (b0 + b), g8[b], stream,
                         next ? next + 4 * 256 * (b0 + b) : NULL);
    }
    return batches * 256;
}

/* ---- DEQUANT_INT8 ------------------------------------------------------------------- */

KB_AVX2_INLINE __m256 deq8(const int8_t *q, __m256 s)
{
    __m128i b = _mm_loadl_epi64((const __m128i *)q);
    return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b)), s);
}

KB_AVX2_INLINE void dequant_span(const int8_t *q, float *y, int64_t n, float scale, int stream)
{
    const __m256 s = _mm256_set1_ps(scale);
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) {
        store_ps(y + j, deq8(q + j, s), stream);
        store_ps(y + j + 8, deq8(q + j + 8, s), stream);
        store_ps(y + j + 16, deq8(q + j + 16, s), stream);
        store_ps(y + j + 24, deq8(q + j + 24, s), stream);
    }
    for (; j + 8 <= n; j += 8)
        store_ps(y + j, deq8(q + j, s), stream);
    for (; j < n; j++)
        y[j] = (float)q[j] * scale;
}

/* ---- CAST ---------------------------------------------------------------------------- */

/* 32 values of x -> 32 codes of the output format (64 or 32 bytes) at y. */
KB_AVX2_INLINE void cast32(kb_dtype out, int sat, const float *x, void *y, int stream)
{
    __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8);
    __m256 v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
    unsigned char *b = y;
    switch (out) {
    case KB_DTYPE_F16:
        store32(b, _mm256_set_m128i(kb_cast_f16(v1, sat), kb_cast_f16(v0, sat)), stream);
        store32(b + 32, _mm256_set_m128i(kb_cast_f16(v3, sat), kb_cast_f16(v2, sat)), stream);
        break;
    case KB_DTYPE_BF16:
        store32(b, kb_pack_u16x16(kb_cast_bf16(v0, sat), kb_cast_bf16(v1, sat)), stream);
        store32(b + 32, kb_pack_u16x16(kb_cast_bf16(v2, sat), kb_cast_bf16(v3, sat)), stream);
        break;
    case KB_DTYPE_FP8_E4M3:
        store32(b, kb_pack_u8x32(kb_cast_fp8(v0, KB_FP8_E4M3, sat), kb_cast_fp8(v1, KB_FP8_E4M3, sat),
                                 kb_cast_fp8(v2, KB_FP8_E4M3, sat), kb_cast_fp8(v3, KB_FP8_E4M3, sat)),
                stream);
        break;
    default: /* e5m2 */
        store32(b, kb_pack_u8x32(kb_cast_fp8(v0, KB_FP8_E5M2, sat), kb_cast_fp8(v1, KB_FP8_E5M2, sat),
                                 kb_cast_fp8(v2, KB_FP8_E5M2, sat), kb_cast_fp8(v3, KB_FP8_E5M2, sat)),
                stream);
        break;
    }
}

KB_AVX2_INLINE void cast_row(kb_dtype out, int sat, const float *x, void *y, int64_t n, int stream)
{
    size_t es = kb_dtype_size(out);
    unsigned char *b = y;
    int64_t j = 0;
    for (; j + 32 <= n; j += 32)
        cast32(out, sat, x + j, b + (size_t)j * es, stream);
    if (j < n) {
        float buf[32] = {0};
        unsigned char codes[64];
        memcpy(buf, x + j, (size_t)(n - j) * sizeof(float));
        cast32(out, sat, buf, codes, 0);
        memcpy(b + (size_t)j * es, codes, (size_t)(n - j) * es);
    }
}

/* ---- rows over the pool ------------------------------------------------------------------ */

typedef struct q_job {
    const kb_quantize_params *q;
    unsigned char *slots; /* per-tensor absmax, one cache line per thread */
    float tensor_scale;
    int stream;
} q_job;

KB_AVX2_INLINE const float *x_row(const kb_quantize_params *q, int64_t r)
{
    return kb_cpu_at(&q->x, r * q->x.strides[0]);
}

static void absmax_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    const q_job *job = arg;
    uint32_t *slot = (uint32_t *)(job->slots + (size_t)tid * KB_CPU_ALIGN);
    for (int64_t r = r0; r < r1; r++) {
        uint32_t m = absmax_bits(x_row(job->q, r), job->q->cols);
        *slot = m > *slot ? m : *slot;
    }
}

static void int8_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const q_job *job = arg;
    const kb_quantize_params *q = job->q;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = x_row(q, r);
        const char *next = r + 1 < r1 ? (const char *)x_row(q, r + 1) : NULL;
        int8_t *qr = kb_cpu_at(&q->q, r * q->q.strides[0]);
        if (q->granularity == KB_SCALE_PER_TENSOR) {
            quant_span(x, qr, q->cols, job->tensor_scale, job->stream, next);
        } else if (q->granularity == KB_SCALE_PER_ROW) {
            float s = from_bits(absmax_bits(x, q->cols)) / 127.0f;
            ((float *)q->scales.data)[r * q->scales.strides[0]] = s;
            quant_span(x, qr, q->cols, s, job->stream, next);
        } else {
            float *sr = kb_cpu_at(&q->scales, r * q->scales.strides[0]);
            int64_t g = q->group_size, c0 = 0, gi = 0;
            if (g == 32) {
                c0 = groups32_row(x, qr, sr, q->cols, job->stream, next);
                gi = c0 / 32;
            }
            for (; c0 < q->cols; c0 += g, gi++) { /* other sizes, and a short last group */
                int64_t n = q->cols - c0 < g ? q->cols - c0 : g;
                float s = from_bits(absmax_bits(x + c0, n)) / 127.0f;
                sr[gi] = s;
                quant_span(x + c0, qr + c0, n, s, job->stream, NULL);
            }
        }
    }
    if (job->stream)
        _mm_sfence(); /* drain the streaming stores before the pool's join */
}

static void dequant_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const q_job *job = arg;
    const kb_quantize_params *q = job->q;
    for (int64_t r = r0; r < r1; r++) {
        const int8_t *qr = kb_cpu_at(&q->q, r * q->q.strides[0]);
        float *y = kb_cpu_at(&q->y, r * q->y.strides[0]);
        if (q->granularity == KB_SCALE_PER_GROUP) {
            const float *sr = kb_cpu_at(&q->scales, r * q->scales.strides[0]);
            for (int64_t c0 = 0, gi = 0; c0 < q->cols; c0 += q->group_size, gi++) {
                int64_t n = q->cols - c0 < q->group_size ? q->cols - c0 : q->group_size;
                dequant_span(qr + c0, y + c0, n, sr[gi], job->stream);
            }
        } else {
            const float *sc = q->scales.data;
            float s = q->granularity == KB_SCALE_PER_TENSOR ? sc[0] : sc[r * q->scales.strides[0]];
            dequant_span(qr, y, q->cols, s, job->stream);
        }
    }
    if (job->stream)
        _mm_sfence();
}

/* One instance per output format and saturation, so cast32's switch folds away. */
KB_AVX2_INLINE void cast_rows_of(kb_dtype out, int sat, const q_job *job, int64_t r0, int64_t r1)
{
    const kb_quantize_params *q = job->q;
    for (int64_t r = r0; r < r1; r++)
        cast_row(out, sat, x_row(q, r), kb_cpu_at(&q->y, r * q->y.strides[0]), q->cols, job->stream);
    if (job->stream)
        _mm_sfence();
}

#define CAST_TASK(name, out, sat)                                            \
    static void name(void *arg, int64_t r0, int64_t r1, int tid)            \
    {                                                                        \
        (void)tid;                                                           \
        cast_rows_of(out, sat, arg, r0, r1);                                 \
    }
CAST_TASK(cast_f16, KB_DTYPE_F16, 0)
CAST_TASK(cast_f16_sat, KB_DTYPE_F16, 1)
CAST_TASK(cast_bf16, KB_DTYPE_BF16, 0)
CAST_TASK(cast_bf16_sat, KB_DTYPE_BF16, 1)
CAST_TASK(cast_e4m3, KB_DTYPE_FP8_E4M3, 0)
CAST_TASK(cast_e4m3_sat, KB_DTYPE_FP8_E4M3, 1)
CAST_TASK(cast_e5m2, KB_DTYPE_FP8_E5M2, 0)
CAST_TASK(cast_e5m2_sat, KB_DTYPE_FP8_E5M2, 1)

static kb_cpu_task cast_task(kb_dtype out, int sat)
{
    switch (out) {
    case KB_DTYPE_F16: return sat ? cast_f16_sat : cast_f16;
    case KB_DTYPE_BF16: return sat ? cast_bf16_sat : cast_bf16;
    case KB_DTYPE_FP8_E4M3: return sat ? cast_e4m3_sat : cast_e4m3;
    default: return sat ? cast_e5m2_sat : cast_e5m2;
    }
}

kb_status kb_cpu_quantize_avx2(void *ctx, const kb_problem *p, void *ws, void *stream, char *err,
                               size_t err_len)
{
    (void)stream;
    kb_status st = kb_cpu_quantize_avx2_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    const kb_quantize_params *q = &p->u.quantize;
    if (kb_cpu_quantize_avx2_workspace(ctx, p) && !ws)
        return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    if (q->rows == 0 || q->cols == 0) {
        if (q->kind == KB_QUANT_INT8 && q->granularity == KB_SCALE_PER_TENSOR)
            *(float *)q->scales.data = 0.0f; /* an empty tensor's absmax */
        return KB_OK;
    }
    if (q->kind == KB_QUANT_VQ) {
        kb_cpu_vq_avx2(ctx, q, ws);
        return KB_OK;
    }
    kb_cpu_pool *pool = ((kb_cpu_ctx *)ctx)->pool;
    int threads = kb_cpu_threads(ctx);
    double n = (double)(q->rows * q->cols);
    q_job job = {q, NULL, 0.0f, 0};
    /* Rows per chunk: ~32k elements, at least 4 chunks per thread when rows allow. */
    int64_t grain = 32768 / q->cols;
    int64_t fair = q->rows / (4 * (int64_t)threads);
    grain = grain > fair ? fair : grain;
    grain = grain < 1 ? 1 : grain;
    if (q->rows * q->cols <= KB_CPU_SERIAL_WORK)
        grain = q->rows; /* one chunk: the caller alone */

    switch (q->kind) {
    case KB_QUANT_INT8:
        job.stream = kb_avx2_should_stream(5.0 * n, q->q.data, q->rows > 1 ? q->q.strides[0] : 0);
        if (q->granularity == KB_SCALE_PER_TENSOR) {
            job.slots = kb_cpu_align_ptr(ws);
            for (int t = 0; t < threads; t++)
                *(uint32_t *)(job.slots + (size_t)t * KB_CPU_ALIGN) = 0;
            kb_cpu_parallel_for(pool, q->rows, grain, absmax_rows, &job);
            uint32_t m = 0;
            for (int t = 0; t < threads; t++) {
                uint32_t a = *(uint32_t *)(job.slots + (size_t)t * KB_CPU_ALIGN);
                m = a > m ? a : m;
            }
            job.tensor_scale = from_bits(m) / 127.0f;
            *(float *)q->scales.data = job.tensor_scale;
        }
        kb_cpu_parallel_for(pool, q->rows, grain, int8_rows, &job);
        break;
    case KB_QUANT_DEQUANT_INT8:
        job.stream = kb_avx2_should_stream(5.0 * n, q->y.data,
                                           q->rows > 1 ? q->y.strides[0] * (int64_t)sizeof(float) : 0);
        kb_cpu_parallel_for(pool, q->rows, grain, dequant_rows, &job);
        break;
    default: { /* CAST */
        size_t es = kb_dtype_size(q->out_dtype);
        job.stream = kb_avx2_should_stream((4.0 + (double)es) * n, q->y.data,
                                           q->rows > 1 ? q->y.strides[0] * (int64_t)es : 0);
        kb_cpu_parallel_for(pool, q->rows, grain, cast_task(q->out_dtype, q->saturate != 0), &job);
        break;
    }
    }
    return KB_OK;
}
