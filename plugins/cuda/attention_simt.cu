/*
 * attention_simt.cu - attention forward without tensor cores ("simt"):
 * f32, f16 and bf16, any head dim <= 1024, f32 FMA and accurate expf.
 *
 * One warp per query row; a CTA holds KBC_SIMT_WARPS consecutive rows of one
 * (batch, head), so the K and V tiles it stages in shared memory (converted
 * to f32, tile_keys keys at a time) serve all of its warps.  Each lane holds
 * head-dim elements lane, lane + 32, ... of its row's q and O accumulator
 * (DC chunks of 32).  Per tile a warp computes one score per key (a warp sum
 * of the lanes' partial dot products; lane j keeps key j's score), rescales
 * its accumulator once by the new running max (online softmax), and adds
 * p_j V[j] with p_j broadcast from lane j.  Key tiles past the CTA's causal
 * range are not loaded; a warp whose row sees no key of a tile skips it.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "cuda_check.h"
#include "kernels.h"
#include "plan_attention.h"

namespace {

/* Element types: storage type, load as f32, store rounded from f32. */
struct SimtF32 {
    using T = float;
    static __device__ __forceinline__ float load(const float *p) { return __ldg(p); }
    static __device__ __forceinline__ void store(float *p, float x) { *p = x; }
};
struct SimtF16 {
    using T = uint16_t;
    static __device__ __forceinline__ float load(const uint16_t *p) { return __half2float(__ushort_as_half(__ldg(p))); }
    static __device__ __forceinline__ void store(uint16_t *p, float x) { *p = __half_as_ushort(__float2half_rn(x)); }
};
struct SimtBF16 {
    using T = uint16_t;
    static __device__ __forceinline__ float load(const uint16_t *p)
    {
        return __bfloat162float(__ushort_as_bfloat16(__ldg(p)));
    }
    static __device__ __forceinline__ void store(uint16_t *p, float x)
    {
        *p = __bfloat16_as_ushort(__float2bfloat16_rn(x));
    }
};

struct SimtArgs {
    const void *q, *k, *v;
    void *o;
    float *lse;
    int64_t q_sb, q_sh, q_ss; /* strides (elements) over batch, head, sequence */
    int64_t k_sb, k_sh, k_ss;
    int64_t v_sb, v_sh, v_ss;
    int64_t o_sb, o_sh, o_ss;
    int64_t l_sb, l_sh, l_ss;
    int64_t heads_q, group, q_blocks; /* group = heads_q / heads_kv */
    int seq_q, seq_kv, head_dim, causal, tile_keys;
    float scale;
};

__device__ __forceinline__ float warp_sum(float x)
{
#pragma unroll
    for (int m = 16; m > 0; m >>= 1)
        x += __shfl_xor_sync(0xffffffffu, x, m);
    return x;
}

__device__ __forceinline__ float warp_max(float x)
{
#pragma unroll
    for (int m = 16; m > 0; m >>= 1)
        x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, m));
    return x;
}

/* Registers for q and the accumulator grow with DC: ask for fewer resident
 * CTAs as it grows (ptxas otherwise spills the small instances). */
template <class E, int DC>
__global__ void __launch_bounds__(32 * KBC_SIMT_WARPS, DC >= 32 ? 1 : (DC >= 16 ? 2 : 4))
    simt_kernel(const SimtArgs a)
{
    using T = typename E::T;
    constexpr int DPAD = 32 * DC;
    constexpr int NT = 32 * KBC_SIMT_WARPS;
    extern __shared__ float tiles[]; /* K [tile_keys][DPAD], then V */
    const int tk = a.tile_keys;
    float *const sK = tiles;
    float *const sV = tiles + tk * DPAD;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    int64_t b, h, qb;
    kbc_attn_cta_coords(blockIdx.x, a.q_blocks, a.heads_q, &b, &h, &qb);
    const int64_t kvh = h / a.group;
    const int seq_q = a.seq_q, seq_kv = a.seq_kv, d = a.head_dim;
    const int q0 = (int)qb * KBC_SIMT_WARPS;
    const int row = q0 + warp;
    const bool active = row < seq_q; /* idle warps still help load tiles */
    /* Keys 0 .. visible-1 are this row's (bottom-right causal mask). */
    int visible = seq_kv;
    if (a.causal) {
        visible = row + seq_kv - seq_q + 1;
        visible = visible < 0 ? 0 : (visible > seq_kv ? seq_kv : visible);
    }

    const T *const gq = static_cast<const T *>(a.q) + b * a.q_sb + h * a.q_sh + (int64_t)row * a.q_ss;
    const T *const gk = static_cast<const T *>(a.k) + b * a.k_sb + kvh * a.k_sh;
    const T *const gv = static_cast<const T *>(a.v) + b * a.v_sb + kvh * a.v_sh;

    float q[DC], acc[DC];
#pragma unroll
    for (int c = 0; c < DC; ++c) {
        const int col = lane + 32 * c;
        q[c] = active && col < d ? E::load(gq + col) : 0.f;
        acc[c] = 0.f;
    }
    float m = -INFINITY, l = 0.f; /* running max; this lane's share of the sum */

    const kbc_attn_kv_range range = kbc_attn_kv_blocks(q0, KBC_SIMT_WARPS, tk, seq_q, seq_kv, a.causal);
    for (int kb = 0; kb < (int)range.end; ++kb) {
        const int k0 = kb * tk;
        __syncthreads(); /* the previous tile is no longer read */
        for (int e = tid; e < tk * DPAD; e += NT) {
            const int r = e / DPAD, col = e % DPAD, key = k0 + r;
            const bool ok = key < seq_kv && col < d;
            sK[e] = ok ? E::load(gk + (int64_t)key * a.k_ss + col) : 0.f;
            sV[e] = ok ? E::load(gv + (int64_t)key * a.v_ss + col) : 0.f;
        }
        __syncthreads();
        if (!active || k0 >= visible) /* warp-uniform */
            continue;
        const int n = min(tk, visible - k0); /* keys of this tile the row sees */
        float s = -INFINITY;                 /* lane j: score of key k0 + j */
        for (int j = 0; j < n; ++j) {
            float part = 0.f;
#pragma unroll
            for (int c = 0; c < DC; ++c)
                part = fmaf(q[c], sK[j * DPAD + lane + 32 * c], part);
            part = warp_sum(part);
            if (lane == j)
                s = part * a.scale;
        }
        const float mx = fmaxf(m, warp_max(s));
        const float base = mx == -INFINITY ? 0.f : mx; /* never -inf - -inf */
        const float alpha = expf(m - base);
        const float p = expf(s - base);
        l = l * alpha + p;
        m = mx;
#pragma unroll
        for (int c = 0; c < DC; ++c)
            acc[c] *= alpha;
        for (int j = 0; j < n; ++j) {
            const float pj = __shfl_sync(0xffffffffu, p, j);
#pragma unroll
            for (int c = 0; c < DC; ++c)
                acc[c] = fmaf(pj, sV[j * DPAD + lane + 32 * c], acc[c]);
        }
    }
    l = warp_sum(l);
    if (!active)
        return;
    const float inv = l > 0.f ? 1.f / l : 0.f;
    T *const go = static_cast<T *>(a.o) + b * a.o_sb + h * a.o_sh + (int64_t)row * a.o_ss;
#pragma unroll
    for (int c = 0; c < DC; ++c) {
        const int col = lane + 32 * c;
        if (col < d)
            E::store(go + col, acc[c] * inv);
    }
    if (lane == 0)
        a.lse[b * a.l_sb + h * a.l_sh + (int64_t)row * a.l_ss] = l > 0.f ? m + logf(l) : -INFINITY;
}

template <class E, int DC>
kb_status launch(const kbc_simt_plan &plan, const SimtArgs &args, cudaStream_t stream, char *err, size_t err_len)
{
    if (plan.dim_chunks != DC || plan.threads != 32 * KBC_SIMT_WARPS ||
        plan.smem_bytes != 2u * (size_t)plan.tile_keys * 32u * DC * sizeof(float) || plan.smem_bytes > 48u * 1024u)
        return kb_fail(KB_ERR_INTERNAL, err, err_len, "attention simt: plan and kernel disagree");
    simt_kernel<E, DC><<<(unsigned)plan.ctas, plan.threads, plan.smem_bytes, stream>>>(args);
    KBC_CHECK_LAUNCH("attention simt", err, err_len);
    return KB_OK;
}

template <class E>
kb_status dispatch(const kbc_simt_plan &plan, const SimtArgs &args, cudaStream_t stream, char *err, size_t err_len)
{
    switch (plan.dim_chunks) {
    case 1: return launch<E, 1>(plan, args, stream, err, err_len);
    case 2: return launch<E, 2>(plan, args, stream, err, err_len);
    case 4: return launch<E, 4>(plan, args, stream, err, err_len);
    case 8: return launch<E, 8>(plan, args, stream, err, err_len);
    case 16: return launch<E, 16>(plan, args, stream, err, err_len);
    case 32: return launch<E, 32>(plan, args, stream, err, err_len);
    default: return kb_fail(KB_ERR_INTERNAL, err, err_len, "attention simt: dim_chunks %d", plan.dim_chunks);
    }
}

} // namespace

extern "C" kb_status kbc_attention_simt_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream,
                                            char *err, size_t err_len)
{
    (void)workspace;
    if (!plugin_ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "attention simt: no plugin context");
    kbc_simt_plan plan;
    kb_status st = kbc_simt_plan_make(plugin_ctx, p, &plan, err, err_len);
    if (st != KB_OK || plan.ctas == 0)
        return st;
    const kb_attention_params *at = &p->u.attention;
    SimtArgs a;
    a.q = at->q.data;
    a.k = at->k.data;
    a.v = at->v.data;
    a.o = at->o.data;
    a.lse = static_cast<float *>(at->lse.data);
    a.q_sb = at->q.strides[0], a.q_sh = at->q.strides[1], a.q_ss = at->q.strides[2];
    a.k_sb = at->k.strides[0], a.k_sh = at->k.strides[1], a.k_ss = at->k.strides[2];
    a.v_sb = at->v.strides[0], a.v_sh = at->v.strides[1], a.v_ss = at->v.strides[2];
    a.o_sb = at->o.strides[0], a.o_sh = at->o.strides[1], a.o_ss = at->o.strides[2];
    a.l_sb = at->lse.strides[0], a.l_sh = at->lse.strides[1], a.l_ss = at->lse.strides[2];
    a.heads_q = at->heads_q;
    a.group = at->heads_q / at->heads_kv;
    a.q_blocks = plan.q_blocks;
    a.seq_q = (int)at->seq_q;
    a.seq_kv = (int)at->seq_kv;
    a.head_dim = (int)at->head_dim;
    a.causal = at->causal != 0;
    a.tile_keys = plan.tile_keys;
    a.scale = at->scale;
    cudaStream_t s = kbc_stream(static_cast<const kbc_context *>(plugin_ctx), stream);
    switch (at->q.dtype) {
    case KB_DTYPE_F32: return dispatch<SimtF32>(plan, a, s, err, err_len);
    case KB_DTYPE_F16: return dispatch<SimtF16>(plan, a, s, err, err_len);
    default: return dispatch<SimtBF16>(plan, a, s, err, err_len);
    }
}
