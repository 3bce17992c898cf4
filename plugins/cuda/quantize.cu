/*
 * quantize.cu - the quantize kinds of ops.h (kernel "vec"); plan_quantize.c
 * picks the path, plan_quantize.h holds the bit-exact element rules.
 *
 *   INT8 per row / per group: the data is cut into segments (a row, or a
 *     group of a row).  TEAM: a team of 1..32 lanes of one warp holds a
 *     segment (up to 512 values) in registers: absmax by shuffles, scale,
 *     codes; x is read once.  BLOCK: a block holds a segment of up to 16384
 *     values in registers.  LOOP: a block per segment of any length, two
 *     passes over x (absmax, then codes).
 *   INT8 per tensor: a grid-stride kernel writes one partial absmax per
 *     block into the workspace; the quantize kernel reduces them (every block
 *     does, they are few) and quantizes.  Absmax is an unsigned max over the
 *     bits of |x| (exact; NaN beats everything, as ops.h wants).
 *   DEQUANT_INT8, CAST: grid-stride elementwise kernels.
 *   VQ: |c|^2 per code into the workspace, then 64 x 64 tiles of
 *     |c|^2 - 2 x.c (|x|^2 is the same for every code of a row) with the
 *     codebook and x staged in shared memory; the smallest distance wins,
 *     exact ties to the lowest index.  Identical codebook rows give identical
 *     f32 distances (same operations in the same order), so duplicated codes
 *     tie exactly and the first copy wins.
 * int8 codes round the exact quotient x / scale (kbc_int8_code): x times the
 * reciprocal where that provably rounds the same, the f64 quotient near
 * ties (rare; out of line).
 * Accesses are 16 bytes of f32 (4 values) where alignment allows, else scalar.
 */
#include <stdint.h>

#include <type_traits>

#include "cuda_check.h"
#include "kernels.h"
#include "plan_quantize.h"

namespace {

constexpr unsigned FULL = 0xffffffffu;

/* Unsigned 64-bit quotient, through the much cheaper 32-bit division when
 * both operands fit. */
__device__ __forceinline__ uint64_t udiv(uint64_t a, uint64_t b)
{
    if ((a >> 32) == 0 && (b >> 32) == 0)
        return (uint32_t)a / (uint32_t)b;
    return a / b;
}

/* V f32 values at p (16-byte aligned when V == 4). */
template <int V> __device__ __forceinline__ void load_f32(const float *p, float *out)
{
    if constexpr (V == 4) {
        const float4 t = *reinterpret_cast<const float4 *>(p);
        out[0] = t.x;
        out[1] = t.y;
        out[2] = t.z;
        out[3] = t.w;
    } else {
#pragma unroll
        for (int k = 0; k < V; k++)
            out[k] = p[k];
    }
}

template <int V> __device__ __forceinline__ void store_f32(float *p, const float *in)
{
    if constexpr (V == 4) {
        *reinterpret_cast<float4 *>(p) = make_float4(in[0], in[1], in[2], in[3]);
    } else {
#pragma unroll
        for (int k = 0; k < V; k++)
            p[k] = in[k];
    }
}

/* V int8 codes at p (4-byte aligned when V == 4). */
template <int V> __device__ __forceinline__ void store_i8(int8_t *p, const int *codes)
{
    if constexpr (V == 4) {
        const uint32_t w = (uint32_t)(codes[0] & 0xff) | (uint32_t)(codes[1] & 0xff) << 8 |
                           (uint32_t)(codes[2] & 0xff) << 16 | (uint32_t)(codes[3] & 0xff) << 24;
        *reinterpret_cast<uint32_t *>(p) = w;
    } else {
#pragma unroll
        for (int k = 0; k < V; k++)
            p[k] = (int8_t)codes[k];
    }
}

template <int V> __device__ __forceinline__ void load_i8(const int8_t *p, float *out)
{
    if constexpr (V == 4) {
        const uint32_t w = *reinterpret_cast<const uint32_t *>(p);
#pragma unroll
        for (int k = 0; k < 4; k++)
            out[k] = (float)(int8_t)(w >> (8 * k));
    } else {
#pragma unroll
        for (int k = 0; k < V; k++)
            out[k] = (float)p[k];
    }
}

/* Block-wide unsigned max; every thread gets the result.  The second barrier
 * lets the caller reuse `sh` at once. */
__device__ __forceinline__ uint32_t block_max_u32(uint32_t v, uint32_t *sh)
{
    const int warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
#pragma unroll
    for (int off = 16; off > 0; off >>= 1)
        v = max(v, __shfl_xor_sync(FULL, v, off));
    if ((threadIdx.x & 31) == 0)
        sh[warp] = v;
    __syncthreads();
    uint32_t r = sh[0];
    for (int w = 1; w < warps; w++)
        r = max(r, sh[w]);
    __syncthreads();
    return r;
}

/* ---- INT8 per row / per group ---- */

struct SegArgs {
    const float *x;
    int8_t *q;
    float *scales;
    int64_t cols, ldx, ldq, lds; /* lds: row stride of scales (per group), 1 (per row) */
    int64_t group;               /* values per segment: group_size, or cols for per row */
    int64_t groups;              /* segments per row */
    int64_t segments;            /* rows * groups */
};

struct Segment {
    int64_t row, group, start, len;
};

__device__ __forceinline__ Segment segment_at(const SegArgs &a, int64_t seg)
{
    Segment s;
    s.row = a.groups == 1 ? seg : (int64_t)udiv((uint64_t)seg, (uint64_t)a.groups);
    s.group = seg - s.row * a.groups;
    s.start = s.group * a.group;
    s.len = min(a.group, a.cols - s.start);
    return s;
}

/* kbc_int8_code's rare exact path, out of line: one copy of the f64
 * division instead of one per unrolled element. */
__device__ __noinline__ int int8_code_exact(float x, float scale) { return kbc_int8_code_exact(x, scale); }

/* Codes of V values under one scale (inv = kbc_frcp(scale)), stored at q:
 * kbc_int8_code, element by element. */
template <int V> __device__ __forceinline__ void quantize_store(int8_t *q, const float *v, float scale, float inv)
{
    int codes[V];
#pragma unroll
    for (int k = 0; k < V; k++) {
        if (scale == 0.0f)
            codes[k] = 0;
        else if (!kbc_int8_code_fast(v[k], inv, &codes[k]))
            codes[k] = int8_code_exact(v[k], scale);
    }
    store_i8<V>(q, codes);
}

/* TEAM: lanes [k * team, (k + 1) * team) of a warp share a segment; lane t
 * of the team owns vectors i * team + t (i < PER / V).  Loop bounds are
 * uniform per warp, so every lane reaches every shuffle. */
template <int V, int PER>
__global__ void __launch_bounds__(KBC_QUANT_TEAM_THREADS) int8_team_kernel(SegArgs a, int team)
{
    constexpr int NV = PER / V;
    const int lane = threadIdx.x & 31;
    const int t = lane & (team - 1);
    const int64_t teams_per_warp = 32 / team;
    const int64_t warp = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t base = warp * teams_per_warp; base < a.segments; base += warps * teams_per_warp) {
        const int64_t seg = base + lane / team;
        const bool valid = seg < a.segments;
        Segment s{0, 0, 0, 0};
        if (valid)
            s = segment_at(a, seg);
        const float *xs = a.x + s.row * a.ldx + s.start;
        float v[PER];
        uint32_t amax = 0;
#pragma unroll
        for (int i = 0; i < NV; i++) {
            const int64_t c = ((int64_t)i * team + t) * V;
            if (c < s.len) { /* whole vectors: len is a multiple of V */
                load_f32<V>(xs + c, v + i * V);
            } else {
#pragma unroll
                for (int k = 0; k < V; k++)
                    v[i * V + k] = 0.0f;
            }
#pragma unroll
            for (int k = 0; k < V; k++)
                amax = max(amax, kbc_abs_bits(v[i * V + k]));
        }
        for (int off = team >> 1; off > 0; off >>= 1)
            amax = max(amax, __shfl_xor_sync(FULL, amax, off));
        const float scale = kbc_int8_scale(kbc_bits_f32(amax)), inv = kbc_frcp(scale);
        if (valid && t == 0)
            a.scales[s.row * a.lds + s.group] = scale;
        int8_t *qs = a.q + s.row * a.ldq + s.start;
#pragma unroll
        for (int i = 0; i < NV; i++) {
            const int64_t c = ((int64_t)i * team + t) * V;
            if (c < s.len)
                quantize_store<V>(qs + c, v + i * V, scale, inv);
        }
    }
}

/* BLOCK: a block per segment; thread t owns vectors i * blockDim + t. */
template <int V, int PER> __global__ void __launch_bounds__(1024) int8_block_kernel(SegArgs a)
{
    constexpr int NV = PER / V;
    __shared__ uint32_t sh[32];
    for (int64_t seg = blockIdx.x; seg < a.segments; seg += gridDim.x) { /* uniform over the block */
        const Segment s = segment_at(a, seg);
        const float *xs = a.x + s.row * a.ldx + s.start;
        float v[PER];
        uint32_t amax = 0;
#pragma unroll
        for (int i = 0; i < NV; i++) {
            const int64_t c = ((int64_t)i * blockDim.x + threadIdx.x) * V;
            if (c < s.len) {
                load_f32<V>(xs + c, v + i * V);
            } else {
#pragma unroll
                for (int k = 0; k < V; k++)
                    v[i * V + k] = 0.0f;
            }
#pragma unroll
            for (int k = 0; k < V; k++)
                amax = max(amax, kbc_abs_bits(v[i * V + k]));
        }
        amax = block_max_u32(amax, sh);
        const float scale = kbc_int8_scale(kbc_bits_f32(amax)), inv = kbc_frcp(scale);
        if (threadIdx.x == 0)
            a.scales[s.row * a.lds + s.group] = scale;
        int8_t *qs = a.q + s.row * a.ldq + s.start;
#pragma unroll
        for (int i = 0; i < NV; i++) {
            const int64_t c = ((int64_t)i * blockDim.x + threadIdx.x) * V;
            if (c < s.len)
                quantize_store<V>(qs + c, v + i * V, scale, inv);
        }
    }
}

/* LOOP: a block per segment of any length; x is read twice. */
template <int V> __global__ void __launch_bounds__(KBC_QUANT_LOOP_THREADS) int8_loop_kernel(SegArgs a)
{
    __shared__ uint32_t sh[32];
    const int64_t stride = (int64_t)blockDim.x * V;
    for (int64_t seg = blockIdx.x; seg < a.segments; seg += gridDim.x) { /* uniform over the block */
        const Segment s = segment_at(a, seg);
        const float *xs = a.x + s.row * a.ldx + s.start;
        uint32_t amax = 0;
#pragma unroll 4
        for (int64_t c = (int64_t)threadIdx.x * V; c < s.len; c += stride) {
            float v[V];
            load_f32<V>(xs + c, v);
#pragma unroll
            for (int k = 0; k < V; k++)
                amax = max(amax, kbc_abs_bits(v[k]));
        }
        amax = block_max_u32(amax, sh);
        const float scale = kbc_int8_scale(kbc_bits_f32(amax)), inv = kbc_frcp(scale);
        if (threadIdx.x == 0)
            a.scales[s.row * a.lds + s.group] = scale;
        int8_t *qs = a.q + s.row * a.ldq + s.start;
#pragma unroll 4
        for (int64_t c = (int64_t)threadIdx.x * V; c < s.len; c += stride) {
            float v[V];
            load_f32<V>(xs + c, v);
            quantize_store<V>(qs + c, v, scale, inv);
        }
    }
}

/* ---- elementwise walks over [rows, cols] in vectors of V ---- */

/* Thread g of T visits vectors g, g + T, g + 2T, ... of the row-major
 * [rows, vpr] grid of vectors; (r, c) advance by (T / vpr, T % vpr) with a
 * carry, so there is no division in the loop. */
struct Walk {
    int64_t rows, vpr, r, c, dr, dc;

    __device__ __forceinline__ Walk(int64_t rows_, int64_t vpr_) : rows(rows_), vpr(vpr_)
    {
        const int64_t g = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
        const int64_t step = (int64_t)gridDim.x * blockDim.x;
        if (vpr == 0) { /* nothing to visit */
            r = rows;
            c = dr = dc = 0;
            return;
        }
        r = (int64_t)udiv((uint64_t)g, (uint64_t)vpr);
        c = g - r * vpr;
        dr = (int64_t)udiv((uint64_t)step, (uint64_t)vpr);
        dc = step - dr * vpr;
    }
    __device__ __forceinline__ bool more() const { return r < rows; }
    __device__ __forceinline__ void next()
    {
        c += dc;
        r += dr;
        if (c >= vpr) {
            c -= vpr;
            r++;
        }
    }
};

constexpr int U = KBC_QUANT_EW_UNROLL;

/* Per-tensor pass 1: one absmax (as |x| bits) per block. */
template <int V>
__global__ void __launch_bounds__(KBC_QUANT_EW_THREADS)
    absmax_partial_kernel(const float *x, int64_t rows, int64_t vpr, int64_t ldx, uint32_t *partial)
{
    __shared__ uint32_t sh[32];
    uint32_t amax = 0;
    Walk w(rows, vpr);
    while (w.more()) {
        float v[U][V];
        bool ok[U];
#pragma unroll
        for (int u = 0; u < U; u++) { /* issue U loads before using any */
            ok[u] = w.more();
            if (ok[u])
                load_f32<V>(x + w.r * ldx + w.c * V, v[u]);
            w.next();
        }
#pragma unroll
        for (int u = 0; u < U; u++)
            if (ok[u])
#pragma unroll
                for (int k = 0; k < V; k++)
                    amax = max(amax, kbc_abs_bits(v[u][k]));
    }
    amax = block_max_u32(amax, sh);
    if (threadIdx.x == 0)
        partial[blockIdx.x] = amax;
}

/* Per-tensor pass 2: every block reduces the partials to the one scale
 * (block 0 writes it), then quantizes its share of the tensor. */
template <int V>
__global__ void __launch_bounds__(KBC_QUANT_EW_THREADS)
    int8_tensor_kernel(const float *x, int8_t *q, int64_t rows, int64_t vpr, int64_t ldx, int64_t ldq,
                       const uint32_t *partial, int partials, float *scale_out)
{
    __shared__ uint32_t sh[32];
    uint32_t amax = 0;
    for (int i = threadIdx.x; i < partials; i += blockDim.x)
        amax = max(amax, partial[i]);
    amax = block_max_u32(amax, sh);
    const float scale = kbc_int8_scale(kbc_bits_f32(amax)), inv = kbc_frcp(scale);
    if (blockIdx.x == 0 && threadIdx.x == 0)
        *scale_out = scale;
    Walk w(rows, vpr);
    while (w.more()) {
        float v[U][V];
        int64_t at[U];
        bool ok[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            ok[u] = w.more();
            at[u] = w.c * V;
            if (ok[u])
                load_f32<V>(x + w.r * ldx + at[u], v[u]);
            at[u] += w.r * ldq;
            w.next();
        }
#pragma unroll
        for (int u = 0; u < U; u++)
            if (ok[u])
                quantize_store<V>(q + at[u], v[u], scale, inv);
    }
}

/* DEQUANT_INT8: y = q * scale, one f32 multiplication (exact definition). */
struct DequantArgs {
    const int8_t *q;
    const float *scales;
    float *y;
    int64_t rows, vpr, ldq, ldy, lds;
    int granularity; /* KB_SCALE_* */
    int64_t group;
};

template <int V> __global__ void __launch_bounds__(KBC_QUANT_EW_THREADS) dequant_kernel(DequantArgs a)
{
    const float tensor_scale = a.granularity == KB_SCALE_PER_TENSOR ? a.scales[0] : 0.0f;
    Walk w(a.rows, a.vpr);
    while (w.more()) {
        float v[U][V];
        int64_t row[U], col[U];
        bool ok[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            ok[u] = w.more();
            row[u] = w.r;
            col[u] = w.c * V;
            if (ok[u])
                load_i8<V>(a.q + w.r * a.ldq + col[u], v[u]);
            w.next();
        }
#pragma unroll
        for (int u = 0; u < U; u++) {
            if (!ok[u])
                continue;
            if (a.granularity == KB_SCALE_PER_GROUP) {
                /* One division per vector; the group index steps within it. */
                const float *srow = a.scales + row[u] * a.lds;
                int64_t g = (int64_t)udiv((uint64_t)col[u], (uint64_t)a.group);
                int64_t in_group = col[u] - g * a.group;
#pragma unroll
                for (int k = 0; k < V; k++) {
                    if (in_group == a.group) {
                        g++;
                        in_group = 0;
                    }
                    v[u][k] = __fmul_rn(v[u][k], srow[g]);
                    in_group++;
                }
            } else {
                const float s = a.granularity == KB_SCALE_PER_TENSOR ? tensor_scale : a.scales[row[u] * a.lds];
#pragma unroll
                for (int k = 0; k < V; k++)
                    v[u][k] = __fmul_rn(v[u][k], s);
            }
            store_f32<V>(a.y + row[u] * a.ldy + col[u], v[u]);
        }
    }
}

/* CAST: f32 -> a narrow float (FMT: 0 f16, 1 bf16, 2 e4m3, 3 e5m2). */
template <int FMT> __device__ __forceinline__ uint32_t encode(float x, int sat)
{
    if constexpr (FMT == 0)
        return kbc_encode_narrow(x, KBC_FMT_F16, sat);
    else if constexpr (FMT == 1)
        return kbc_encode_narrow(x, KBC_FMT_BF16, sat);
    else if constexpr (FMT == 2)
        return kbc_encode_narrow(x, KBC_FMT_E4M3, sat);
    else
        return kbc_encode_narrow(x, KBC_FMT_E5M2, sat);
}

struct CastArgs {
    const float *x;
    void *y;
    int64_t rows, vpr, ldx, ldy;
    int saturate;
};

template <int V, int FMT> __global__ void __launch_bounds__(KBC_QUANT_EW_THREADS) cast_kernel(CastArgs a)
{
    using Code = typename std::conditional<(FMT <= 1), uint16_t, uint8_t>::type;
    Code *y = static_cast<Code *>(a.y);
    Walk w(a.rows, a.vpr);
    while (w.more()) {
        float v[U][V];
        int64_t at[U];
        bool ok[U];
#pragma unroll
        for (int u = 0; u < U; u++) {
            ok[u] = w.more();
            at[u] = w.c * V;
            if (ok[u])
                load_f32<V>(a.x + w.r * a.ldx + at[u], v[u]);
            at[u] += w.r * a.ldy;
            w.next();
        }
#pragma unroll
        for (int u = 0; u < U; u++) {
            if (!ok[u])
                continue;
            if constexpr (V == 4 && sizeof(Code) == 2) {
                uint2 packed;
                packed.x = encode<FMT>(v[u][0], a.saturate) | encode<FMT>(v[u][1], a.saturate) << 16;
                packed.y = encode<FMT>(v[u][2], a.saturate) | encode<FMT>(v[u][3], a.saturate) << 16;
                *reinterpret_cast<uint2 *>(y + at[u]) = packed;
            } else if constexpr (V == 4) {
                uint32_t packed = 0;
#pragma unroll
                for (int k = 0; k < 4; k++)
                    packed |= encode<FMT>(v[u][k], a.saturate) << (8 * k);
                *reinterpret_cast<uint32_t *>(y + at[u]) = packed;
            } else {
#pragma unroll
                for (int k = 0; k < V; k++)
                    y[at[u] + k] = (Code)encode<FMT>(v[u][k], a.saturate);
            }
        }
    }
}

/* ---- VQ ---- */

/* |c|^2 of every code: a warp per code, lanes stride over the dimensions,
 * then a fixed shuffle tree: the same arithmetic for identical rows. */
__global__ void __launch_bounds__(KBC_VQ_NORM_THREADS)
    vq_norms_kernel(const float *cb, int64_t codes, int64_t dim, int64_t ldc, float *norms)
{
    const int lane = threadIdx.x & 31;
    const int64_t warps = ((int64_t)gridDim.x * blockDim.x) >> 5;
    for (int64_t c = ((int64_t)blockIdx.x * blockDim.x + threadIdx.x) >> 5; c < codes; c += warps) {
        const float *row = cb + c * ldc;
        float s = 0.0f;
        for (int64_t d = lane; d < dim; d += 32)
            s = fmaf(row[d], row[d], s);
#pragma unroll
        for (int off = 16; off > 0; off >>= 1)
            s += __shfl_xor_sync(FULL, s, off);
        if (lane == 0)
            norms[c] = s;
    }
}

struct VqArgs {
    const float *x, *cb, *norms;
    int32_t *indices;
    int64_t rows, codes, dim, ldx, ldc;
};

/* Is (d, i) better than (bd, bi)?  Smaller distance, then lower index; NaN never wins. */
__device__ __forceinline__ bool vq_better(float d, int32_t i, float bd, int32_t bi)
{
    return d < bd || (d == bd && i < bi);
}

/* Block: 64 rows of x against all codes, 64 codes at a time.  Thread
 * (ty, tx) = (tid / 16, tid % 16) computes rows ty*4..+3 x codes tx*4..+3.
 * Shared tiles are stored k-major (transposed) so the inner loop reads
 * 4 consecutive rows / codes as one float4; padding by 4 keeps float4
 * alignment and spreads the transposing stores over banks. */
__global__ void __launch_bounds__(KBC_VQ_THREADS) vq_kernel(VqArgs a)
{
    constexpr int BM = KBC_VQ_BM, BN = KBC_VQ_BN, BK = KBC_VQ_BK, PAD = 4;
    static_assert(BM * BK == 4 * KBC_VQ_THREADS && BN * BK == 4 * KBC_VQ_THREADS, "4 loads a thread");
    __shared__ __align__(16) float xs[BK][BM + PAD];
    __shared__ __align__(16) float cs[BK][BN + PAD];
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;

    for (int64_t r0 = (int64_t)blockIdx.x * BM; r0 < a.rows; r0 += (int64_t)gridDim.x * BM) {
        float best_d[4];
        int32_t best_i[4];
#pragma unroll
        for (int i = 0; i < 4; i++) {
            best_d[i] = INFINITY;
            best_i[i] = INT32_MAX;
        }
        for (int64_t c0 = 0; c0 < a.codes; c0 += BN) {
            float acc[4][4] = {};
            for (int64_t k0 = 0; k0 < a.dim; k0 += BK) {
                /* Stage x[r0.., k0..] and cb[c0.., k0..]: consecutive threads
                 * read consecutive k of one row; zeros outside. */
#pragma unroll
                for (int l = 0; l < 4; l++) {
                    const int e = tid + l * KBC_VQ_THREADS;
                    const int rr = e / BK, kk = e % BK;
                    const int64_t gk = k0 + kk;
                    const int64_t gr = r0 + rr, gc = c0 + rr;
                    xs[kk][rr] = (gr < a.rows && gk < a.dim) ? a.x[gr * a.ldx + gk] : 0.0f;
                    cs[kk][rr] = (gc < a.codes && gk < a.dim) ? a.cb[gc * a.ldc + gk] : 0.0f;
                }
                __syncthreads();
#pragma unroll
                for (int kk = 0; kk < BK; kk++) {
                    const float4 xv = *reinterpret_cast<const float4 *>(&xs[kk][ty * 4]);
                    const float4 cv = *reinterpret_cast<const float4 *>(&cs[kk][tx * 4]);
                    const float xa[4] = {xv.x, xv.y, xv.z, xv.w}, ca[4] = {cv.x, cv.y, cv.z, cv.w};
#pragma unroll
                    for (int i = 0; i < 4; i++)
#pragma unroll
                        for (int j = 0; j < 4; j++)
                            acc[i][j] = fmaf(xa[i], ca[j], acc[i][j]);
                }
                __syncthreads();
            }
            /* Codes ascend within a thread: strict < keeps the first of a tie. */
#pragma unroll
            for (int j = 0; j < 4; j++) {
                const int64_t c = c0 + tx * 4 + j;
                if (c < a.codes) {
                    const float nc = a.norms[c];
#pragma unroll
                    for (int i = 0; i < 4; i++) {
                        const float d = fmaf(-2.0f, acc[i][j], nc);
                        if (vq_better(d, (int32_t)c, best_d[i], best_i[i])) {
                            best_d[i] = d;
                            best_i[i] = (int32_t)c;
                        }
                    }
                }
            }
        }
        /* The 16 threads of a row group (same ty) are 16 consecutive lanes. */
#pragma unroll
        for (int i = 0; i < 4; i++) {
#pragma unroll
            for (int off = 8; off > 0; off >>= 1) {
                const float od = __shfl_xor_sync(FULL, best_d[i], off);
                const int32_t oi = __shfl_xor_sync(FULL, best_i[i], off);
                if (vq_better(od, oi, best_d[i], best_i[i])) {
                    best_d[i] = od;
                    best_i[i] = oi;
                }
            }
            const int64_t r = r0 + ty * 4 + i;
            if (tx == 0 && r < a.rows)
                a.indices[r] = best_i[i] == INT32_MAX ? 0 : best_i[i]; /* all NaN: unspecified */
        }
    }
}

/* ---- launchers: false when this file has no kernel for the plan ---- */

bool launch_int8_segments(const kbc_quant_plan &pl, const kb_quantize_params *q, cudaStream_t st)
{
    const bool per_group = q->granularity == KB_SCALE_PER_GROUP;
    const SegArgs a = {static_cast<const float *>(q->x.data),
                       static_cast<int8_t *>(q->q.data),
                       static_cast<float *>(q->scales.data),
                       q->cols,
                       q->x.strides[0],
                       q->q.strides[0],
                       q->scales.strides[0], /* per row: rank 1, so 1 */
                       per_group ? q->group_size : q->cols,
                       pl.groups,
                       pl.segments};
    const dim3 grid((unsigned)pl.blocks), block((unsigned)pl.threads);
    if (pl.path == KBC_QUANT_INT8_LOOP) {
        if (pl.vec == 4)
            int8_loop_kernel<4><<<grid, block, 0, st>>>(a);
        else
            int8_loop_kernel<1><<<grid, block, 0, st>>>(a);
        return true;
    }
    if (pl.path == KBC_QUANT_INT8_BLOCK) {
        switch (pl.vec * 100 + pl.per_thread) {
        case 408: int8_block_kernel<4, 8><<<grid, block, 0, st>>>(a); return true;
        case 416: int8_block_kernel<4, 16><<<grid, block, 0, st>>>(a); return true;
        case 108: int8_block_kernel<1, 8><<<grid, block, 0, st>>>(a); return true;
        default: return false;
        }
    }
    const int team = pl.team;
    switch (pl.vec * 100 + pl.per_thread) {
    case 404: int8_team_kernel<4, 4><<<grid, block, 0, st>>>(a, team); return true;
    case 408: int8_team_kernel<4, 8><<<grid, block, 0, st>>>(a, team); return true;
    case 416: int8_team_kernel<4, 16><<<grid, block, 0, st>>>(a, team); return true;
    case 101: int8_team_kernel<1, 1><<<grid, block, 0, st>>>(a, team); return true;
    case 102: int8_team_kernel<1, 2><<<grid, block, 0, st>>>(a, team); return true;
    case 104: int8_team_kernel<1, 4><<<grid, block, 0, st>>>(a, team); return true;
    case 108: int8_team_kernel<1, 8><<<grid, block, 0, st>>>(a, team); return true;
    case 116: int8_team_kernel<1, 16><<<grid, block, 0, st>>>(a, team); return true;
    default: return false;
    }
}

kb_status launch_int8_tensor(const kbc_quant_plan &pl, const kb_quantize_params *q, void *workspace,
                             cudaStream_t st, char *err, size_t err_len)
{
    const float *x = static_cast<const float *>(q->x.data);
    int8_t *qd = static_cast<int8_t *>(q->q.data);
    float *scale = static_cast<float *>(q->scales.data);
    uint32_t *partial = static_cast<uint32_t *>(workspace);
    const int64_t vpr = q->cols / pl.vec, ldx = q->x.strides[0], ldq = q->q.strides[0];
    const unsigned aux = (unsigned)pl.aux_blocks, blocks = (unsigned)pl.blocks, threads = (unsigned)pl.threads;
    if (pl.vec == 4)
        absmax_partial_kernel<4><<<aux, threads, 0, st>>>(x, q->rows, vpr, ldx, partial);
    else
        absmax_partial_kernel<1><<<aux, threads, 0, st>>>(x, q->rows, vpr, ldx, partial);
    KBC_CHECK_LAUNCH("quantize int8 absmax partials", err, err_len);
    if (pl.vec == 4)
        int8_tensor_kernel<4><<<blocks, threads, 0, st>>>(x, qd, q->rows, vpr, ldx, ldq, partial, (int)aux, scale);
    else
        int8_tensor_kernel<1><<<blocks, threads, 0, st>>>(x, qd, q->rows, vpr, ldx, ldq, partial, (int)aux, scale);
    KBC_CHECK_LAUNCH("quantize int8 per tensor", err, err_len);
    return KB_OK;
}

void launch_dequant(const kbc_quant_plan &pl, const kb_quantize_params *q, cudaStream_t st)
{
    const DequantArgs a = {static_cast<const int8_t *>(q->q.data),
                           static_cast<const float *>(q->scales.data),
                           static_cast<float *>(q->y.data),
                           q->rows,
                           q->cols / pl.vec,
                           q->q.strides[0],
                           q->y.strides[0],
                           q->scales.strides[0],
                           (int)q->granularity,
                           q->granularity == KB_SCALE_PER_GROUP ? q->group_size : 1};
    if (pl.vec == 4)
        dequant_kernel<4><<<(unsigned)pl.blocks, pl.threads, 0, st>>>(a);
    else
        dequant_kernel<1><<<(unsigned)pl.blocks, pl.threads, 0, st>>>(a);
}

template <int V> void launch_cast_v(const kbc_quant_plan &pl, const CastArgs &a, kb_dtype out, cudaStream_t st)
{
    const dim3 grid((unsigned)pl.blocks), block((unsigned)pl.threads);
    switch (out) {
    case KB_DTYPE_F16: cast_kernel<V, 0><<<grid, block, 0, st>>>(a); break;
    case KB_DTYPE_BF16: cast_kernel<V, 1><<<grid, block, 0, st>>>(a); break;
    case KB_DTYPE_FP8_E4M3: cast_kernel<V, 2><<<grid, block, 0, st>>>(a); break;
    default: cast_kernel<V, 3><<<grid, block, 0, st>>>(a); break;
    }
}

void launch_cast(const kbc_quant_plan &pl, const kb_quantize_params *q, cudaStream_t st)
{
    const CastArgs a = {static_cast<const float *>(q->x.data), q->y.data, q->rows, q->cols / pl.vec,
                        q->x.strides[0], q->y.strides[0], q->saturate != 0};
    if (pl.vec == 4)
        launch_cast_v<4>(pl, a, q->out_dtype, st);
    else
        launch_cast_v<1>(pl, a, q->out_dtype, st);
}

kb_status launch_vq(const kbc_quant_plan &pl, const kb_quantize_params *q, void *workspace, cudaStream_t st,
                    char *err, size_t err_len)
{
    float *norms = static_cast<float *>(workspace);
    vq_norms_kernel<<<(unsigned)pl.aux_blocks, KBC_VQ_NORM_THREADS, 0, st>>>(
        static_cast<const float *>(q->codebook.data), q->codes, q->cols, q->codebook.strides[0], norms);
    KBC_CHECK_LAUNCH("quantize vq norms", err, err_len);
    const VqArgs a = {static_cast<const float *>(q->x.data),
                      static_cast<const float *>(q->codebook.data),
                      norms,
                      static_cast<int32_t *>(q->indices.data),
                      q->rows,
                      q->codes,
                      q->cols,
                      q->x.strides[0],
                      q->codebook.strides[0]};
    vq_kernel<<<(unsigned)pl.blocks, pl.threads, 0, st>>>(a);
    KBC_CHECK_LAUNCH("quantize vq", err, err_len);
    return KB_OK;
}

} // namespace

extern "C" kb_status kbc_quantize_vec_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream,
                                          char *err, size_t err_len)
{
    kb_status st = kbc_quantize_vec_supports(plugin_ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!plugin_ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "quantize: plugin not initialised");
    const kbc_context *ctx = static_cast<const kbc_context *>(plugin_ctx);
    const kb_quantize_params *q = &p->u.quantize;
    const kbc_quant_plan pl = kbc_quant_plan_make(q, ctx->sm_count);
    if (pl.workspace > 0 && !workspace)
        return kb_fail(KB_ERR_INVALID, err, err_len, "quantize: workspace of %zu bytes missing", pl.workspace);
    const cudaStream_t cs = kbc_stream(ctx, stream);
    switch (pl.path) {
    case KBC_QUANT_NONE: return KB_OK;
    case KBC_QUANT_INT8_TEAM: case KBC_QUANT_INT8_BLOCK: case KBC_QUANT_INT8_LOOP:
        if (!launch_int8_segments(pl, q, cs))
            return kb_fail(KB_ERR_INTERNAL, err, err_len, "quantize: no int8 kernel for vec %d, %d a thread",
                            pl.vec, pl.per_thread);
        KBC_CHECK_LAUNCH("quantize int8", err, err_len);
        return KB_OK;
    case KBC_QUANT_INT8_TENSOR: return launch_int8_tensor(pl, q, workspace, cs, err, err_len);
    case KBC_QUANT_DEQUANT:
        launch_dequant(pl, q, cs);
        KBC_CHECK_LAUNCH("quantize dequant", err, err_len);
        return KB_OK;
    case KBC_QUANT_CAST:
        launch_cast(pl, q, cs);
        KBC_CHECK_LAUNCH("quantize cast", err, err_len);
        return KB_OK;
    case KBC_QUANT_VQ: return launch_vq(pl, q, workspace, cs, err, err_len);
    }
    return kb_fail(KB_ERR_INTERNAL, err, err_len, "quantize: unknown plan path %d", (int)pl.path);
}
