/*
 * plan_quantize.h - how quantize.cu launches each kind of quantize problem,
 * and the bit-exact element rules its kernels apply (int8 rounding, the
 * narrow-float encoder).  Plain C; the element rules compile for the host
 * too, so the unit test checks them against kbench/convert.h without a GPU.
 */
#ifndef KBC_PLAN_QUANTIZE_H
#define KBC_PLAN_QUANTIZE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kbc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- launch plans ---- */

typedef enum kbc_quant_path {
    KBC_QUANT_NONE = 0,       /* nothing to compute */
    KBC_QUANT_INT8_TEAM = 1,  /* per row / per group: `team` lanes of a warp per segment, in registers */
    KBC_QUANT_INT8_BLOCK = 2, /* per row / per group: a block per segment, in registers */
    KBC_QUANT_INT8_LOOP = 3,  /* per row / per group: a block per segment, two passes (any length) */
    KBC_QUANT_INT8_TENSOR = 4,/* per tensor: partial absmax kernel, then a quantize kernel */
    KBC_QUANT_DEQUANT = 5,    /* elementwise */
    KBC_QUANT_CAST = 6,       /* elementwise */
    KBC_QUANT_VQ = 7          /* codebook norms, then the tiled distance kernel */
} kbc_quant_path;

#define KBC_QUANT_TEAM_MAX_LEN 512    /* longest segment a warp team holds in registers */
#define KBC_QUANT_BLOCK_MAX_COLS 8192 /* longest segment the register block path holds (scalar) */
#define KBC_QUANT_BLOCK_MAX_COLS_VEC 16384 /* ... with 16-byte loads */
#define KBC_QUANT_TEAM_THREADS 256
#define KBC_QUANT_LOOP_THREADS 512
#define KBC_QUANT_EW_THREADS 256      /* elementwise kernels and the absmax partials */
#define KBC_QUANT_EW_UNROLL 4         /* vectors each elementwise thread has in flight */
#define KBC_QUANT_PARTIALS 1024       /* per tensor: most partial maxima (workspace slots) */
#define KBC_QUANT_GRID_CAP (1 << 20)  /* blocks stride over the work beyond this */
#define KBC_VQ_BM 64                  /* VQ tile: rows of x */
#define KBC_VQ_BN 64                  /*          codebook rows */
#define KBC_VQ_BK 16                  /*          dimensions per shared-memory step */
#define KBC_VQ_THREADS 256            /* 16 x 16 threads, 4 x 4 distances each */
#define KBC_VQ_NORM_THREADS 256       /* norms: a warp per code */

typedef struct kbc_quant_plan {
    kbc_quant_path path;
    int vec;             /* elements per access of x / y: 4 (16-byte f32) or 1 */
    int per_thread;      /* TEAM, BLOCK: elements each thread holds; TEAM: 1, 2, 4, 8, 16 (>= vec),
                            BLOCK: 8, or 16 with vec 4 */
    int team;            /* TEAM: lanes per segment (1, 2, 4, ..., 32) */
    int threads;         /* threads per block of the main kernel */
    int64_t groups;      /* segments per row: 1 (per row) or ceil(cols / group_size) */
    int64_t seg_len;     /* elements per segment (the last group of a row may be shorter) */
    int64_t segments;    /* rows * groups */
    int64_t blocks;      /* grid.x of the main kernel */
    int64_t aux_blocks;  /* per tensor: partial-max blocks; VQ: norm blocks */
    size_t workspace;    /* bytes */
} kbc_quant_plan;

/* The launch for a problem that kbc_quantize_vec_supports() accepted;
 * sm_count sizes the grid-stride kernels (<= 0: a default). */
kbc_quant_plan kbc_quant_plan_make(const kb_quantize_params *q, int sm_count);

/* ---- element rules, shared by host (tests) and device ---- */

#if defined(__CUDACC__)
#define KBC_HD __host__ __device__
#else
#define KBC_HD
#endif

static inline KBC_HD uint32_t kbc_f32_bits(float x)
{
#if defined(__CUDA_ARCH__)
    return __float_as_uint(x);
#else
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
#endif
}

static inline KBC_HD float kbc_bits_f32(uint32_t u)
{
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
#endif
}

/* IEEE f32 division and reciprocal, rounded to nearest even, whatever the
 * fast-math flags; f32 product without contraction into an FMA. */
static inline KBC_HD float kbc_fdiv(float a, float b)
{
#if defined(__CUDA_ARCH__)
    return __fdiv_rn(a, b);
#else
    return a / b;
#endif
}

static inline KBC_HD float kbc_frcp(float a)
{
#if defined(__CUDA_ARCH__)
    return __frcp_rn(a);
#else
    return 1.0f / a;
#endif
}

static inline KBC_HD float kbc_fmul(float a, float b)
{
#if defined(__CUDA_ARCH__)
    return __fmul_rn(a, b);
#else
    return a * b;
#endif
}

/* |x| as bits: comparing these as unsigned integers orders magnitudes, and
 * NaN (above +inf) wins every max, so a block's absmax is NaN when it holds
 * one, +inf when it holds an infinity. */
static inline KBC_HD uint32_t kbc_abs_bits(float x) { return kbc_f32_bits(x) & 0x7FFFFFFFu; }

/* The int8 scale of a block from its absmax: an f32 division (ops.h). */
static inline KBC_HD float kbc_int8_scale(float absmax) { return kbc_fdiv(absmax, 127.0f); }

/* q = clamp(round_half_even(x / scale), -127, 127), 0 when scale == 0,
 * rounding the exact quotient Q = x / scale; inv = kbc_frcp(scale).
 * Fast path: t = x * inv is within |Q| 2^-23 < 2^-16 of Q while |t| < 126.5;
 * when t is also more than 2^-14 away from every half-integer, Q lies on the
 * same side of all of them and rounds like t.  Otherwise (near or on a tie,
 * near the clamp, inv overflowed, non-finite input) the f64 quotient
 * decides: it is within 2^-46 of Q, while a non-tie f32 / f32 quotient near
 * n + 0.5 stays at least 2^-26 away from it, so its rounding is Q's. */
#define KBC_INT8_TIE_GUARD 6.103515625e-05f /* 2^-14 */

/* The fast path: 1 and the code in *q, or 0 when the exact rule must decide. */
static inline KBC_HD int kbc_int8_code_fast(float x, float inv, int *q)
{
    const float t = kbc_fmul(x, inv);
    const float r = rintf(t);
    const float g = fabsf(t - r) - 0.5f; /* -(distance to the nearest half-integer) */
    const int ok = fabsf(t) < 126.5f && fabsf(g) > KBC_INT8_TIE_GUARD; /* false for NaN */
    *q = ok ? (int)r : 0; /* converts only in range */
    return ok;
}

/* The exact rule through the f64 quotient (scale != 0). */
static inline KBC_HD int kbc_int8_code_exact(float x, float scale)
{
    double q = rint((double)x / (double)scale);
    if (!(q == q))
        return 0; /* non-finite block: q is unspecified */
    q = q > 127.0 ? 127.0 : (q < -127.0 ? -127.0 : q);
    return (int)q;
}

static inline KBC_HD int kbc_int8_code(float x, float scale, float inv)
{
    int q;
    if (scale == 0.0f)
        return 0;
    return kbc_int8_code_fast(x, inv, &q) ? q : kbc_int8_code_exact(x, scale);
}

/* Narrow float formats for the cast, by their field widths. */
#define KBC_FMT_F16 5, 10, 1
#define KBC_FMT_BF16 8, 7, 1
#define KBC_FMT_E4M3 4, 3, 0
#define KBC_FMT_E5M2 5, 2, 1

/* Round an f32 to nearest even in the format (ebits, mbits, has_inf), with
 * the overflow rule of ops.h: saturate clamps to the largest finite value
 * (+-inf too), otherwise +-inf (NaN for e4m3, which has none).  NaN gives the
 * canonical quiet NaN with x's sign.  Same results as convert.h's
 * kb_encode_float, in 32-bit integer arithmetic. */
static inline KBC_HD uint32_t kbc_encode_narrow(float x, int ebits, int mbits, int has_inf, int saturate)
{
    const uint32_t bits = kbc_f32_bits(x);
    const uint32_t sign = (bits >> 31) << (ebits + mbits);
    const uint32_t a = bits & 0x7FFFFFFFu;
    const int bias = (1 << (ebits - 1)) - 1;
    const uint32_t efield_max = (1u << ebits) - 1u;
    const uint32_t mmask = (1u << mbits) - 1u;
    /* e4m3 ("fn"): the top exponent field holds normals, mantissa 111 is NaN. */
    const uint32_t max_code = has_inf ? (((efield_max - 1u) << mbits) | mmask) : ((efield_max << mbits) | (mmask - 1u));
    const uint32_t inf_code = efield_max << mbits;
    const uint32_t nan_code = has_inf ? (inf_code | (1u << (mbits - 1))) : ((efield_max << mbits) | mmask);
    const uint32_t overflow = saturate ? max_code : (has_inf ? inf_code : nan_code);
    if (a > 0x7F800000u)
        return sign | nan_code;
    if (a == 0x7F800000u)
        return sign | overflow;
    if (a == 0)
        return sign;

    /* |x| = M * 2^E exactly; e is its binade (f32 subnormals lie below every
     * target's smallest normal binade, -126). */
    const int efield = (int)(a >> 23);
    const uint32_t M = efield ? (a & 0x7FFFFFu) | 0x800000u : a;
    const int E = efield ? efield - 150 : -149;
    const int emin = 1 - bias;
    const int emax = (has_inf ? (int)efield_max - 1 : (int)efield_max) - bias;
    int e = efield ? efield - 127 : -127;
    if (e < emin)
        e = emin;
    /* t = |x| / quantum rounded half to even, quantum = 2^(e - mbits). */
    const int shift = e - mbits - E; /* > 0: the formats have fewer mantissa bits than f32 */
    uint32_t t;
    if (shift > 25) {
        t = 0; /* M < 2^24 < half a quantum */
    } else {
        t = M >> shift;
        const uint32_t rem = M & ((1u << shift) - 1u), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (t & 1u)))
            t++;
    }
    if (t == 0)
        return sign;
    if (t >= (2u << mbits)) { /* rounding carried into the next binade */
        t >>= 1;
        e++;
    }
    const uint32_t tmax = has_inf ? (2u << mbits) - 1u : (2u << mbits) - 2u;
    if (e > emax || (e == emax && t > tmax))
        return sign | overflow;
    if (t < (1u << mbits))
        return sign | t; /* subnormal */
    return sign | ((uint32_t)(e + bias) << mbits) | (t - (1u << mbits));
}

#ifdef __cplusplus
}
#endif
#endif /* KBC_PLAN_QUANTIZE_H */
