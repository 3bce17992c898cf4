/*
 * matmul_tc_store.cuh - reading and writing elements of C (f32, f16, bf16)
 * for the matmul epilogues (tc and simt): alpha * acc + beta * C in f32,
 * rounded once to C's dtype (round to nearest even, overflow to inf).
 * beta == 0 never reads C, so NaN poison in C cannot leak into the result.
 */
#ifndef KBC_MATMUL_TC_STORE_CUH
#define KBC_MATMUL_TC_STORE_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace kbc_mm {

template <typename T> struct CElem;

template <> struct CElem<float> {
    static __device__ __forceinline__ float load(const float *p) { return *p; }
    static __device__ __forceinline__ void store(float *p, float v) { *p = v; }
    static __device__ __forceinline__ float2 load2(const float *p) { return *reinterpret_cast<const float2 *>(p); }
    static __device__ __forceinline__ void store2(float *p, float x, float y)
    {
        *reinterpret_cast<float2 *>(p) = make_float2(x, y);
    }
};

template <> struct CElem<__half> {
    static __device__ __forceinline__ float load(const __half *p) { return __half2float(*p); }
    static __device__ __forceinline__ void store(__half *p, float v) { *p = __float2half_rn(v); }
    static __device__ __forceinline__ float2 load2(const __half *p)
    {
        return __half22float2(*reinterpret_cast<const __half2 *>(p));
    }
    static __device__ __forceinline__ void store2(__half *p, float x, float y)
    {
        *reinterpret_cast<__half2 *>(p) = __halves2half2(__float2half_rn(x), __float2half_rn(y));
    }
};

template <> struct CElem<__nv_bfloat16> {
    static __device__ __forceinline__ float load(const __nv_bfloat16 *p) { return __bfloat162float(*p); }
    static __device__ __forceinline__ void store(__nv_bfloat16 *p, float v) { *p = __float2bfloat16_rn(v); }
    static __device__ __forceinline__ float2 load2(const __nv_bfloat16 *p)
    {
        return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162 *>(p));
    }
    static __device__ __forceinline__ void store2(__nv_bfloat16 *p, float x, float y)
    {
        *reinterpret_cast<__nv_bfloat162 *>(p) = __halves2bfloat162(__float2bfloat16_rn(x), __float2bfloat16_rn(y));
    }
};

/* The value C[i, j] receives: alpha * acc (+ beta * C[i, j] when beta != 0). */
template <typename T>
__device__ __forceinline__ void update_one(T *p, float acc, float alpha, float beta)
{
    float v = alpha * acc;
    if (beta != 0.0f)
        v = fmaf(beta, CElem<T>::load(p), v);
    CElem<T>::store(p, v);
}

/* Two horizontally adjacent elements p[0], p[1]; `pair` says the address
 * allows one 2-element access, `n_left` how many of the two exist (1 or 2). */
template <typename T>
__device__ __forceinline__ void update_two(T *p, float a0, float a1, float alpha, float beta, bool pair, int n_left)
{
    if (pair && n_left >= 2) {
        float x = alpha * a0, y = alpha * a1;
        if (beta != 0.0f) {
            const float2 c = CElem<T>::load2(p);
            x = fmaf(beta, c.x, x);
            y = fmaf(beta, c.y, y);
        }
        CElem<T>::store2(p, x, y);
    } else {
        update_one(p, a0, alpha, beta);
        if (n_left >= 2)
            update_one(p + 1, a1, alpha, beta);
    }
}

} // namespace kbc_mm

#endif /* KBC_MATMUL_TC_STORE_CUH */
