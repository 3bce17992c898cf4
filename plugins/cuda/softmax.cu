/*
 * softmax.cu - softmax and log-softmax over the rows of x (kernel "online").
 *
 * Three shapes, chosen by plan_softmax.c:
 *   WARP   one warp per row (cols <= 1024): each lane holds PER elements;
 *   BLOCK  one block per row (cols <= 16384): each thread holds PER elements;
 *   LOOP   one block per row, any length: an online (max, sum) pass over x,
 *          then a pass that reads x again and writes y.
 * WARP and BLOCK read x once: max reduction, then exp and sum reduction on
 * the values in registers, then y.  Accesses are 16 bytes wide when every row
 * allows it (VEC elements), scalar otherwise.
 *
 * Arithmetic is f32.  d = (x - max) * scale is exactly 0 at the maximum and
 * never overflows where scale * x would.  f32 rows use the accurate expf and
 * an IEEE division (f32 outputs are checked to a few ulp); f16 and bf16 rows
 * use exp2f and a multiplication by 1 / sum, whose extra ulp of f32 vanishes
 * in their rounding and cuts the instructions per element.
 * Edge rules (ops.h): a NaN or +inf in a row makes the row NaN; an all -inf
 * row gives 0 (log: -inf); -inf entries give 0 (log: -inf).  In the register
 * paths a max of +inf means NaN; a NaN beside a finite max reaches the sum
 * and through it every output; a max of -inf (only -inf and NaN entries)
 * takes a second, rare reduction that looks for NaN.  The loop path tracks
 * NaN and +inf in its online state.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>

#include "cuda_check.h"
#include "kernels.h"
#include "plan_softmax.h"

namespace {

struct SoftmaxArgs {
    const void *x;
    void *y;
    int64_t rows, cols;
    int64_t ldx, ldy; /* row strides in elements */
    float scale;
    int log_softmax;
};

/* ---- element conversion and vector access ---- */

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_f32(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T from_f32(float v);
template <> __device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <> __device__ __forceinline__ __half from_f32<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v)
{
    return __float2bfloat16_rn(v);
}

/* V consecutive elements at p (16 bytes when V * sizeof(T) == 16, which the
 * plan allows only for 16-byte aligned rows) into out[0..V). */
template <typename T, int V> __device__ __forceinline__ void load_vec(const T *p, float *out)
{
    if constexpr (V == 1) {
        out[0] = to_f32(p[0]);
    } else {
        static_assert(V * sizeof(T) == 16, "vector accesses are 16 bytes");
        union {
            uint4 u;
            T t[V];
        } b;
        b.u = *reinterpret_cast<const uint4 *>(p);
#pragma unroll
        for (int k = 0; k < V; k++)
            out[k] = to_f32(b.t[k]);
    }
}

/* Two values rounded to nearest even into one 32-bit pair, first value in
 * the low half (the lower address): one conversion instruction for both. */
__device__ __forceinline__ uint32_t pack2(__half, float lo, float hi)
{
    const __half2 h = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<const uint32_t *>(&h);
}
__device__ __forceinline__ uint32_t pack2(__nv_bfloat16, float lo, float hi)
{
    const __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<const uint32_t *>(&h);
}

template <typename T, int V> __device__ __forceinline__ void store_vec(T *p, const float *in)
{
    if constexpr (V == 1) {
        p[0] = from_f32<T>(in[0]);
    } else if constexpr (sizeof(T) == 4) {
        *reinterpret_cast<float4 *>(p) = make_float4(in[0], in[1], in[2], in[3]);
    } else {
        static_assert(V == 8, "8 halves make 16 bytes");
        *reinterpret_cast<uint4 *>(p) = make_uint4(pack2(T(), in[0], in[1]), pack2(T(), in[2], in[3]),
                                                   pack2(T(), in[4], in[5]), pack2(T(), in[6], in[7]));
    }
}

/* ---- reductions ---- */

__device__ __forceinline__ float warp_max(float v)
{
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
    return v;
}

__device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

/* Block-wide reductions: every thread of the block calls them and gets the
 * same value (all threads read the per-warp results in the same order).
 * The second barrier lets the caller reuse `sh` at once. */
__device__ __forceinline__ float block_max(float v, float *sh)
{
    const int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    if ((threadIdx.x & 31) == 0)
        sh[warp] = v;
    __syncthreads();
    float r = sh[0];
    for (int w = 1; w < warps; w++)
        r = fmaxf(r, sh[w]);
    __syncthreads();
    return r;
}

__device__ __forceinline__ float block_sum(float v, float *sh)
{
    const int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    if ((threadIdx.x & 31) == 0)
        sh[warp] = v;
    __syncthreads();
    float r = sh[0];
    for (int w = 1; w < warps; w++)
        r += sh[w];
    __syncthreads();
    return r;
}

/* Online softmax state over raw x: m = max x (+inf once the row is bad),
 * s = sum exp((x - m) * scale).  (-inf, 0) is the empty state. */
struct MaxSum {
    float m, s;
};

__device__ __forceinline__ void online_add(MaxSum &st, float x, float scale)
{
    if (x != x || x == INFINITY) {
        st.m = INFINITY; /* the row is NaN whatever else it holds */
    } else if (x > st.m) {
        /* st.m == -inf gives expf(-inf) = 0 and s = 1; never NaN. */
        st.s = st.s * expf((st.m - x) * scale) + 1.0f;
        st.m = x;
    } else if (x != -INFINITY && st.m != INFINITY) {
        st.s += expf((x - st.m) * scale);
    }
}

/* Merge with the rescale rule; infinite maxima short-cut (inf - inf is NaN). */
__device__ __forceinline__ MaxSum online_merge(MaxSum a, MaxSum b, float scale)
{
    const float m = fmaxf(a.m, b.m);
    if (m == -INFINITY || m == INFINITY)
        return MaxSum{m, 0.0f};
    return MaxSum{m, a.s * expf((a.m - m) * scale) + b.s * expf((b.m - m) * scale)};
}

__device__ __forceinline__ MaxSum warp_merge(MaxSum v, float scale)
{
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        MaxSum o{__shfl_xor_sync(0xffffffffu, v.m, off), __shfl_xor_sync(0xffffffffu, v.s, off)};
        v = online_merge(v, o, scale);
    }
    return v;
}

__device__ __forceinline__ MaxSum block_merge(MaxSum v, float scale, float *shm, float *shs)
{
    const int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_merge(v, scale);
    if ((threadIdx.x & 31) == 0) {
        shm[warp] = v.m;
        shs[warp] = v.s;
    }
    __syncthreads();
    MaxSum r{shm[0], shs[0]};
    for (int w = 1; w < warps; w++)
        r = online_merge(r, MaxSum{shm[w], shs[w]}, scale);
    __syncthreads();
    return r;
}

/* ---- the register kernels: WARP (a warp per row) and BLOCK (a block per row) ---- */

/* Fill value of a row without finite max: NaN (bad row), or the all -inf rule. */
__device__ __forceinline__ float edge_fill(bool nan_row, int log_softmax)
{
    if (nan_row)
        return __int_as_float(0x7fc00000);
    return log_softmax ? -INFINITY : 0.0f;
}

constexpr float LOG2E = 1.4426950408889634f;

/* Each thread (lane) of a team of `team` threads owns vectors
 * i * team + tid (i < PER / V) of the row: coalesced across the team.
 * Per element: one max, exp, one add, one division (f32) or multiplication
 * by the reciprocal (f16, bf16: exp2f too; their rounding hides both). */
template <typename T, int V, int PER, bool WARP>
__global__ void __launch_bounds__(WARP ? 32 * KBC_SOFTMAX_WARPS_PER_BLOCK : 1024)
    softmax_regs_kernel(SoftmaxArgs a)
{
    constexpr int NV = PER / V;
    constexpr bool F32 = sizeof(T) == 4;
    __shared__ float sh[32];
    const int team = WARP ? 32 : (int)blockDim.x;
    const int tid = WARP ? (int)(threadIdx.x & 31) : (int)threadIdx.x;
    const int64_t teams_per_block = WARP ? (blockDim.x >> 5) : 1;
    const int64_t first = (int64_t)blockIdx.x * teams_per_block + (WARP ? (threadIdx.x >> 5) : 0);
    const int64_t step = (int64_t)gridDim.x * teams_per_block;

    /* The row index is uniform over the team, and so is every value that
     * decides a branch below (m, nan_seen): each reduction is reached by
     * every thread that takes part in it. */
    for (int64_t r = first; r < a.rows; r += step) {
        const T *xr = static_cast<const T *>(a.x) + r * a.ldx;
        T *yr = static_cast<T *>(a.y) + r * a.ldy;
        float v[PER];
        float m = -INFINITY;
#pragma unroll
        for (int i = 0; i < NV; i++) {
            const int64_t c = ((int64_t)i * team + tid) * V;
            if (c < a.cols) { /* whole vectors: cols is a multiple of V */
                load_vec<T, V>(xr + c, v + i * V);
            } else {
#pragma unroll
                for (int k = 0; k < V; k++)
                    v[i * V + k] = -INFINITY;
            }
#pragma unroll
            for (int k = 0; k < V; k++)
                m = fmaxf(m, v[i * V + k]); /* skips NaN: see below */
        }
        m = WARP ? warp_max(m) : block_max(m, sh);

        /* m == +inf: the row holds +inf, so it is NaN.  m == -inf: every
         * entry is -inf or NaN; a second reduction (rare) tells which rule
         * applies.  A finite m with a NaN in the row needs nothing special:
         * the NaN reaches the sum, and every output through it. */
        if (m == INFINITY || m == -INFINITY) {
            float nan_seen = 0.0f;
            if (m == -INFINITY) {
#pragma unroll
                for (int e = 0; e < PER; e++)
                    nan_seen = v[e] != v[e] ? 1.0f : nan_seen;
                nan_seen = WARP ? warp_max(nan_seen) : block_max(nan_seen, sh);
            }
            const float fill = edge_fill(m == INFINITY || nan_seen != 0.0f, a.log_softmax);
#pragma unroll
            for (int i = 0; i < NV; i++) {
                const int64_t c = ((int64_t)i * team + tid) * V;
                if (c < a.cols) {
                    float f[V];
#pragma unroll
                    for (int k = 0; k < V; k++)
                        f[k] = fill;
                    store_vec<T, V>(yr + c, f);
                }
            }
            continue; /* m is uniform over the team: all of it continues */
        }

        /* v becomes exp(d) (softmax) or d (log-softmax), d = (x - max) * scale,
         * exactly 0 at the max; -inf slots give 0. */
        float sum = 0.0f;
        if (a.log_softmax) {
#pragma unroll
            for (int e = 0; e < PER; e++) {
                const float d = (v[e] - m) * a.scale;
                sum += F32 ? expf(d) : exp2f(d * LOG2E);
                v[e] = d;
            }
        } else {
            const float k = F32 ? a.scale : a.scale * LOG2E;
#pragma unroll
            for (int e = 0; e < PER; e++) {
                const float d = (v[e] - m) * k;
                v[e] = F32 ? expf(d) : exp2f(d);
                sum += v[e];
            }
        }
        sum = WARP ? warp_sum(sum) : block_sum(sum, sh);

        const float log_sum = a.log_softmax ? logf(sum) : 0.0f;
        const float inv = F32 ? 0.0f : __frcp_rn(sum);
#pragma unroll
        for (int i = 0; i < NV; i++) {
            const int64_t c = ((int64_t)i * team + tid) * V;
            if (c < a.cols) {
                float out[V];
#pragma unroll
                for (int k = 0; k < V; k++) {
                    const float p = v[i * V + k];
                    out[k] = a.log_softmax ? p - log_sum : (F32 ? __fdiv_rn(p, sum) : p * inv);
                }
                store_vec<T, V>(yr + c, out);
            }
        }
    }
}

/* ---- LOOP: a block per row, two passes over x ---- */

template <typename T, int V>
__global__ void __launch_bounds__(KBC_SOFTMAX_LOOP_THREADS) softmax_loop_kernel(SoftmaxArgs a)
{
    __shared__ float shm[32], shs[32];
    const int64_t stride = (int64_t)blockDim.x * V;
    for (int64_t r = blockIdx.x; r < a.rows; r += gridDim.x) { /* uniform over the block */
        const T *xr = static_cast<const T *>(a.x) + r * a.ldx;
        T *yr = static_cast<T *>(a.y) + r * a.ldy;

        MaxSum st{-INFINITY, 0.0f};
#pragma unroll 4
        for (int64_t c = (int64_t)threadIdx.x * V; c < a.cols; c += stride) {
            float v[V];
            load_vec<T, V>(xr + c, v);
#pragma unroll
            for (int k = 0; k < V; k++)
                online_add(st, v[k], a.scale);
        }
        st = block_merge(st, a.scale, shm, shs);

        const bool edge = st.m == INFINITY || st.m == -INFINITY;
        const float fill = edge_fill(st.m == INFINITY, a.log_softmax);
        const float log_sum = (!edge && a.log_softmax) ? logf(st.s) : 0.0f;
#pragma unroll 4
        for (int64_t c = (int64_t)threadIdx.x * V; c < a.cols; c += stride) {
            float v[V];
            if (!edge)
                load_vec<T, V>(xr + c, v);
#pragma unroll
            for (int k = 0; k < V; k++) {
                if (edge) {
                    v[k] = fill;
                } else {
                    const float d = (v[k] - st.m) * a.scale;
                    v[k] = a.log_softmax ? d - log_sum : __fdiv_rn(expf(d), st.s);
                }
            }
            store_vec<T, V>(yr + c, v);
        }
    }
}

/* ---- launch ---- */

/* Each returns false when this file has no kernel for the plan (a bug in
 * plan_softmax.c: the unit test checks the plans against these lists). */
template <typename T, int V>
bool launch_regs(const kbc_softmax_plan &pl, const SoftmaxArgs &a, cudaStream_t stream)
{
    const dim3 grid((unsigned)pl.blocks), block((unsigned)pl.threads);
    if (pl.path == KBC_SOFTMAX_WARP) {
        switch (pl.per_thread) {
        case 4:
            if constexpr (V <= 4) {
                softmax_regs_kernel<T, V, 4, true><<<grid, block, 0, stream>>>(a);
                return true;
            }
            return false;
        case 8: softmax_regs_kernel<T, V, 8, true><<<grid, block, 0, stream>>>(a); return true;
        case 16: softmax_regs_kernel<T, V, 16, true><<<grid, block, 0, stream>>>(a); return true;
        case 32: softmax_regs_kernel<T, V, 32, true><<<grid, block, 0, stream>>>(a); return true;
        default: return false;
        }
    }
    switch (pl.per_thread) {
    case 8: softmax_regs_kernel<T, V, 8, false><<<grid, block, 0, stream>>>(a); return true;
    case 16: /* vector rows only: 16 scalar values a thread spill at 1024 threads */
        if constexpr (V > 1) {
            softmax_regs_kernel<T, V, 16, false><<<grid, block, 0, stream>>>(a);
            return true;
        }
        return false;
    default: return false;
    }
}

template <typename T> bool launch_typed(const kbc_softmax_plan &pl, const SoftmaxArgs &a, cudaStream_t stream)
{
    constexpr int VW = 16 / sizeof(T);
    if (pl.vec != VW && pl.vec != 1)
        return false;
    if (pl.path == KBC_SOFTMAX_LOOP) {
        const dim3 grid((unsigned)pl.blocks), block((unsigned)pl.threads);
        if (pl.vec == VW)
            softmax_loop_kernel<T, VW><<<grid, block, 0, stream>>>(a);
        else
            softmax_loop_kernel<T, 1><<<grid, block, 0, stream>>>(a);
        return true;
    }
    return pl.vec == VW ? launch_regs<T, VW>(pl, a, stream) : launch_regs<T, 1>(pl, a, stream);
}

} // namespace

extern "C" kb_status kbc_softmax_online_run(void *plugin_ctx, const kb_problem *p, void *workspace,
                                            void *stream, char *err, size_t err_len)
{
    (void)workspace;
    kb_status st = kbc_softmax_online_supports(plugin_ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!plugin_ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "softmax: plugin not initialised");
    const kb_softmax_params *s = &p->u.softmax;
    const kbc_softmax_plan pl = kbc_softmax_plan_make(s);
    if (pl.path == KBC_SOFTMAX_NONE)
        return KB_OK;
    const SoftmaxArgs a = {s->x.data, s->y.data, s->rows, s->cols, s->x.strides[0], s->y.strides[0],
                           s->scale, s->log_softmax != 0};
    const cudaStream_t cs = kbc_stream(static_cast<const kbc_context *>(plugin_ctx), stream);
    bool launched;
    switch (s->x.dtype) {
    case KB_DTYPE_F32: launched = launch_typed<float>(pl, a, cs); break;
    case KB_DTYPE_F16: launched = launch_typed<__half>(pl, a, cs); break;
    default: launched = launch_typed<__nv_bfloat16>(pl, a, cs); break;
    }
    if (!launched)
        return kb_fail(KB_ERR_INTERNAL, err, err_len, "softmax: no kernel for path %d, %d elements a thread, vec %d",
                        (int)pl.path, pl.per_thread, pl.vec);
    KBC_CHECK_LAUNCH("softmax online", err, err_len);
    return KB_OK;
}
