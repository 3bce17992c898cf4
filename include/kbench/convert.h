/*
 * kbench/convert.h - correctly rounded conversions between f32/f64 and the
 * 16- and 8-bit float formats that travel as raw bits, plus element load and
 * store for any kb_dtype.  Header-only, no libm.
 *
 * Narrowing conversions round to nearest, ties to even (IEEE 754 default).
 * Out-of-range values follow the OCP 8-bit floating point specification:
 *   non-saturating (the plain names):  |x| rounding above the largest finite
 *       value gives +-inf (f16, bf16, e5m2) or NaN (e4m3, which has no inf);
 *       +-inf stays +-inf (NaN for e4m3);
 *   saturating (the _sat names): such values, +-inf included, clamp to the
 *       largest finite value of the right sign.
 * NaN always converts to NaN (canonical quiet NaN code, sign kept).
 *
 * Formats (bias, largest finite):  f16 (15, 65504)  bf16 (127, ~3.39e38)
 *   e4m3 (7, 448; exponent field 15 holds normals except mantissa 111 = NaN)
 *   e5m2 (15, 57344; IEEE-like with inf and NaN).
 * The exhaustive tests in tests/unit/test_convert.c check every code.
 */
#ifndef KBENCH_CONVERT_H
#define KBENCH_CONVERT_H

#include <stdint.h>
#include <string.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Description of one small float format. */
typedef struct kb_float_format {
    int ebits, mbits, bias;
    int has_inf;         /* exponent field all ones = inf/NaN (IEEE style) */
    uint32_t max_code;   /* code of the largest finite value (positive) */
    uint32_t inf_code;   /* positive infinity; unused if !has_inf */
    uint32_t nan_code;   /* canonical positive quiet NaN */
} kb_float_format;

static const kb_float_format KB_FMT_F16 = {5, 10, 15, 1, 0x7BFFu, 0x7C00u, 0x7E00u};
static const kb_float_format KB_FMT_BF16 = {8, 7, 127, 1, 0x7F7Fu, 0x7F80u, 0x7FC0u};
static const kb_float_format KB_FMT_E4M3 = {4, 3, 7, 0, 0x7Eu, 0u, 0x7Fu};
static const kb_float_format KB_FMT_E5M2 = {5, 2, 15, 1, 0x7Bu, 0x7Cu, 0x7Eu};

/* 2^e as a double, for -1022 <= e <= 1023 (built from bits: no libm). */
static inline double kb__pow2(int e)
{
    uint64_t bits = (uint64_t)(e + 1023) << 52;
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* +inf and a positive quiet NaN, from bits (inf - inf would give x86's
 * default NaN, whose sign bit is set). */
static inline double kb__from_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Decode a code of format f to double (exact: every value fits).  NaN codes
 * decode to a quiet NaN of the code's sign. */
static inline double kb_decode_float(const kb_float_format *f, uint32_t code)
{
    uint32_t sign = (code >> (f->ebits + f->mbits)) & 1u;
    uint32_t expf = (code >> f->mbits) & ((1u << f->ebits) - 1u);
    uint32_t mant = code & ((1u << f->mbits) - 1u);
    uint32_t emax_field = (1u << f->ebits) - 1u;
    double v;
    if (f->has_inf && expf == emax_field) {
        v = kb__from_bits(mant ? 0x7FF8000000000000ull : 0x7FF0000000000000ull);
    } else if (!f->has_inf && expf == emax_field && mant == (1u << f->mbits) - 1u) {
        v = kb__from_bits(0x7FF8000000000000ull);
    } else if (expf == 0) {
        v = (double)mant * kb__pow2(1 - f->bias - f->mbits);
    } else {
        v = (double)((1u << f->mbits) + mant) * kb__pow2((int)expf - f->bias - f->mbits);
    }
    return sign ? -v : v;
}

/* Encode a double into format f, rounding to nearest even.  Why by hand: no
 * Debian C library offers correctly rounded, saturating fp8 conversion, and
 * the oracle must not depend on the compiler's _Float16 support.
 * Method: find the quantum (ulp) of the target format at |x|'s binade,
 * clamped at the subnormal quantum; divide (exact: a power of two); round the
 * integer significand half-to-even; multiply back and re-encode. */
static inline uint32_t kb_encode_float(const kb_float_format *f, double x, int saturate)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint32_t sign = (uint32_t)(bits >> 63) << (f->ebits + f->mbits);
    uint64_t abits = bits & 0x7FFFFFFFFFFFFFFFull;
    if (abits > 0x7FF0000000000000ull) /* NaN */
        return sign | f->nan_code;
    if (abits == 0x7FF0000000000000ull) /* inf */
        return sign | (saturate ? f->max_code : (f->has_inf ? f->inf_code : f->nan_code));
    if (abits == 0)
        return sign;
    double a;
    memcpy(&a, &abits, sizeof a);
    int e = (int)(abits >> 52) - 1023; /* binade; -1023 for double subnormals */
    int emin = 1 - f->bias;
    if (e < emin)
        e = emin;
    if (e - f->mbits < -1022) /* far below the format's range: rounds to 0 */
        return sign;
    double quantum = kb__pow2(e - f->mbits);
    double r = a / quantum;                  /* exact */
    if (r >= 9007199254740992.0)             /* 2^53: far above any format's range */
        return sign | (saturate ? f->max_code : (f->has_inf ? f->inf_code : f->nan_code));
    uint64_t t = (uint64_t)r;                /* truncation, exact */
    double frac = r - (double)t;             /* exact */
    if (frac > 0.5 || (frac == 0.5 && (t & 1u)))
        t++;
    double max_finite = kb_decode_float(f, f->max_code);
    if ((double)t * quantum > max_finite)
        return sign | (saturate ? f->max_code : (f->has_inf ? f->inf_code : f->nan_code));
    if (t == 0)
        return sign;
    uint64_t implicit = 1ull << f->mbits;
    if (t < implicit) /* subnormal (only when e == emin) */
        return sign | (uint32_t)t;
    if (t >= implicit << 1) { /* rounding carried into the next binade */
        t >>= 1;
        e++;
    }
    uint32_t expf = (uint32_t)(e + f->bias);
    return sign | (expf << f->mbits) | (uint32_t)(t - implicit);
}

static inline float kb_f16_to_f32(uint16_t h) { return (float)kb_decode_float(&KB_FMT_F16, h); }
static inline float kb_bf16_to_f32(uint16_t h) { return (float)kb_decode_float(&KB_FMT_BF16, h); }
static inline float kb_e4m3_to_f32(uint8_t c) { return (float)kb_decode_float(&KB_FMT_E4M3, c); }
static inline float kb_e5m2_to_f32(uint8_t c) { return (float)kb_decode_float(&KB_FMT_E5M2, c); }

static inline uint16_t kb_f32_to_f16(float x) { return (uint16_t)kb_encode_float(&KB_FMT_F16, x, 0); }
static inline uint16_t kb_f32_to_f16_sat(float x) { return (uint16_t)kb_encode_float(&KB_FMT_F16, x, 1); }
static inline uint16_t kb_f32_to_bf16(float x) { return (uint16_t)kb_encode_float(&KB_FMT_BF16, x, 0); }
static inline uint16_t kb_f32_to_bf16_sat(float x) { return (uint16_t)kb_encode_float(&KB_FMT_BF16, x, 1); }
static inline uint8_t kb_f32_to_e4m3(float x) { return (uint8_t)kb_encode_float(&KB_FMT_E4M3, x, 0); }
static inline uint8_t kb_f32_to_e4m3_sat(float x) { return (uint8_t)kb_encode_float(&KB_FMT_E4M3, x, 1); }
static inline uint8_t kb_f32_to_e5m2(float x) { return (uint8_t)kb_encode_float(&KB_FMT_E5M2, x, 0); }
static inline uint8_t kb_f32_to_e5m2_sat(float x) { return (uint8_t)kb_encode_float(&KB_FMT_E5M2, x, 1); }

/* The format of a small float dtype, NULL for f32, f64 and integers. */
static inline const kb_float_format *kb_dtype_format(kb_dtype t)
{
    switch (t) {
    case KB_DTYPE_F16: return &KB_FMT_F16;
    case KB_DTYPE_BF16: return &KB_FMT_BF16;
    case KB_DTYPE_FP8_E4M3: return &KB_FMT_E4M3;
    case KB_DTYPE_FP8_E5M2: return &KB_FMT_E5M2;
    default: return NULL;
    }
}

/* Load element `offset` (in elements) of an array of dtype t as a double. */
static inline double kb_load_f64(const void *base, kb_dtype t, int64_t offset)
{
    switch (t) {
    case KB_DTYPE_F32: return ((const float *)base)[offset];
    case KB_DTYPE_F64: return ((const double *)base)[offset];
    case KB_DTYPE_F16: case KB_DTYPE_BF16:
        return kb_decode_float(kb_dtype_format(t), ((const uint16_t *)base)[offset]);
    case KB_DTYPE_FP8_E4M3: case KB_DTYPE_FP8_E5M2:
        return kb_decode_float(kb_dtype_format(t), ((const uint8_t *)base)[offset]);
    case KB_DTYPE_I8: return ((const int8_t *)base)[offset];
    case KB_DTYPE_I32: return ((const int32_t *)base)[offset];
    default: return 0.0;
    }
}

/* Store v into element `offset` of an array of dtype t, rounded once to
 * nearest even.  Floats overflow as the non-saturating (saturate == 0) or
 * saturating rules say.  Integers: v rounded half-to-even and clamped to the
 * type's range (NaN stores 0). */
static inline void kb_store_f64(void *base, kb_dtype t, int64_t offset, double v, int saturate)
{
    switch (t) {
    case KB_DTYPE_F32:
        if (saturate && !(v != v)) {
            if (v > 3.4028234663852886e38) v = 3.4028234663852886e38;
            if (v < -3.4028234663852886e38) v = -3.4028234663852886e38;
        }
        ((float *)base)[offset] = (float)v;
        break;
    case KB_DTYPE_F64: ((double *)base)[offset] = v; break;
    case KB_DTYPE_F16: case KB_DTYPE_BF16:
        ((uint16_t *)base)[offset] = (uint16_t)kb_encode_float(kb_dtype_format(t), v, saturate);
        break;
    case KB_DTYPE_FP8_E4M3: case KB_DTYPE_FP8_E5M2:
        ((uint8_t *)base)[offset] = (uint8_t)kb_encode_float(kb_dtype_format(t), v, saturate);
        break;
    case KB_DTYPE_I8: case KB_DTYPE_I32: {
        double lo = t == KB_DTYPE_I8 ? -128.0 : -2147483648.0;
        double hi = t == KB_DTYPE_I8 ? 127.0 : 2147483647.0;
        double r;
        if (v != v) r = 0.0;
        else if (v <= lo) r = lo;
        else if (v >= hi) r = hi;
        else {
            double fl = (double)(int64_t)v; /* truncation toward zero */
            if (fl > v) fl -= 1.0;          /* now floor(v) */
            double frac = v - fl;
            r = fl;
            if (frac > 0.5 || (frac == 0.5 && ((int64_t)fl & 1)))
                r = fl + 1.0;
        }
        if (t == KB_DTYPE_I8) ((int8_t *)base)[offset] = (int8_t)r;
        else ((int32_t *)base)[offset] = (int32_t)r;
        break;
    }
    default: break;
    }
}

#ifdef __cplusplus
}
#endif
#endif /* KBENCH_CONVERT_H */
