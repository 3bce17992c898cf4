/*
 * matmul_simt.cu - run() of the "simt" matmul: shared-memory tiled f32 FMA
 * GEMM, no tensor cores.  Every float path (f32, f16, bf16 inputs; f32, f16,
 * bf16 C), any transposes, shapes and alignments.
 *
 * A CTA computes a 128 x 128 tile of C with 256 threads, 8 x 8 outputs each
 * (two 4-row by two 4-column blocks, so that a warp's shared-memory reads are
 * broadcasts or consecutive).  K advances 8 at a time: A and B tiles are
 * converted to f32 and stored k-major ([k][m], [k][n]) in one of two
 * shared-memory buffers while the other is multiplied; the next tile's global
 * loads are issued before the multiplication so that they overlap it.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "kernels.h"
#include "matmul_tc_store.cuh"
#include "plan_matmul.h"

namespace {

using namespace kbc_mm;

constexpr int SBM = KBC_MM_SIMT_BM, SBN = KBC_MM_SIMT_BN, SBK = KBC_MM_SIMT_BK;
constexpr int STHREADS = KBC_MM_SIMT_THREADS, PITCH = KBC_MM_SIMT_PITCH;
constexpr int PER_THREAD = SBM * SBK / STHREADS; /* elements of A (and of B) a thread stages per tile */
static_assert(SBM == SBN && SBM == 128 && SBK == 8 && STHREADS == 256, "index maps below assume these");

struct SimtArgs {
    const void *a, *b;
    void *c;
    int64_t lda, ldb, ldc;
    int m, n, k;
    int a_k_inner; /* A stored [m][k] (K contiguous) */
    int b_k_inner; /* B stored [n][k] */
    float alpha, beta;
    int c_dtype;
    int64_t tiles_m, tiles_n;
};

__device__ __forceinline__ float to_f32(float v) { return v; }
__device__ __forceinline__ float to_f32(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_f32(__nv_bfloat16 v) { return __bfloat162float(v); }

/* Element e (0..PER_THREAD-1) of this thread's share of a 128 x 8 tile:
 * (row within the tile, k within the tile).  When K is the contiguous
 * dimension, 8 consecutive threads read one row's 8 k values; otherwise
 * consecutive threads read consecutive rows.  Either way the shared-memory
 * store [k][row] with pitch 132 hits 32 different banks. */
__device__ __forceinline__ void stage_index(int e, bool k_inner, int &row, int &kk)
{
    const int idx = threadIdx.x + e * STHREADS;
    row = k_inner ? idx >> 3 : idx & (SBM - 1);
    kk = k_inner ? idx & 7 : idx >> 7;
}

template <typename T>
__device__ __forceinline__ void load_tile(const T *x, int64_t ld, bool k_inner, int rows, int row0, int k, int k0,
                                          float (&v)[PER_THREAD])
{
#pragma unroll
    for (int e = 0; e < PER_THREAD; ++e) {
        int r, kk;
        stage_index(e, k_inner, r, kk);
        const int gr = row0 + r, gk = k0 + kk;
        v[e] = 0.0f;
        if (gr < rows && gk < k)
            v[e] = to_f32(x[k_inner ? (int64_t)gr * ld + gk : (int64_t)gk * ld + gr]);
    }
}

__device__ __forceinline__ void store_tile(float *s, bool k_inner, const float (&v)[PER_THREAD])
{
#pragma unroll
    for (int e = 0; e < PER_THREAD; ++e) {
        int r, kk;
        stage_index(e, k_inner, r, kk);
        s[kk * PITCH + r] = v[e];
    }
}

template <typename T>
__device__ __forceinline__ void write_c(const SimtArgs &args, const float (&acc)[8][8], int row0, int col0)
{
    T *c = static_cast<T *>(args.c);
    const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
        const int row = row0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + i - 4);
        if (row >= args.m)
            continue;
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            const int col = col0 + (j < 4 ? tx * 4 + j : 64 + tx * 4 + j - 4);
            if (col < args.n)
                update_one(c + (int64_t)row * args.ldc + col, acc[i][j], args.alpha, args.beta);
        }
    }
}

template <typename T>
__global__ void __launch_bounds__(STHREADS) simt_gemm(const SimtArgs args)
{
    __shared__ __align__(16) float sa[2][SBK * PITCH];
    __shared__ __align__(16) float sb[2][SBK * PITCH];
    int64_t tile_m, tile_n;
    kbc_mm_tile_of(blockIdx.x, args.tiles_m, args.tiles_n, KBC_MM_GROUP_M, &tile_m, &tile_n);
    const int m0 = (int)tile_m * SBM, n0 = (int)tile_n * SBN;
    const T *a = static_cast<const T *>(args.a);
    const T *b = static_cast<const T *>(args.b);
    const bool ak = args.a_k_inner != 0, bk = args.b_k_inner != 0;
    const int ty = threadIdx.x / 16, tx = threadIdx.x % 16;

    float acc[8][8];
#pragma unroll
    for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j)
            acc[i][j] = 0.0f;

    float va[PER_THREAD], vb[PER_THREAD];
    const int ktiles = (args.k + SBK - 1) / SBK;
    if (ktiles > 0) {
        load_tile(a, args.lda, ak, args.m, m0, args.k, 0, va);
        load_tile(b, args.ldb, bk, args.n, n0, args.k, 0, vb);
        store_tile(sa[0], ak, va);
        store_tile(sb[0], bk, vb);
    }
    __syncthreads();

#pragma unroll 1
    for (int kt = 0; kt < ktiles; ++kt) {
        const int cur = kt & 1;
        const bool more = kt + 1 < ktiles;
        if (more) { /* in flight during the multiplication below */
            load_tile(a, args.lda, ak, args.m, m0, args.k, (kt + 1) * SBK, va);
            load_tile(b, args.ldb, bk, args.n, n0, args.k, (kt + 1) * SBK, vb);
        }
#pragma unroll
        for (int kk = 0; kk < SBK; ++kk) {
            const float4 a0 = *reinterpret_cast<const float4 *>(&sa[cur][kk * PITCH + ty * 4]);
            const float4 a1 = *reinterpret_cast<const float4 *>(&sa[cur][kk * PITCH + 64 + ty * 4]);
            const float4 b0 = *reinterpret_cast<const float4 *>(&sb[cur][kk * PITCH + tx * 4]);
            const float4 b1 = *reinterpret_cast<const float4 *>(&sb[cur][kk * PITCH + 64 + tx * 4]);
            const float ar[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const float br[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; ++i)
#pragma unroll
                for (int j = 0; j < 8; ++j)
                    acc[i][j] = fmaf(ar[i], br[j], acc[i][j]);
        }
        /* The other buffer was last read in iteration kt-1, before the
         * barrier that ended it. */
        if (more) {
            store_tile(sa[cur ^ 1], ak, va);
            store_tile(sb[cur ^ 1], bk, vb);
        }
        __syncthreads();
    }

    switch (args.c_dtype) {
    case KB_DTYPE_F16: write_c<__half>(args, acc, m0, n0); break;
    case KB_DTYPE_BF16: write_c<__nv_bfloat16>(args, acc, m0, n0); break;
    default: write_c<float>(args, acc, m0, n0); break;
    }
}

template <typename T>
kb_status launch(const SimtArgs &args, const kbc_mm_simt_plan &plan, cudaStream_t s, char *err, size_t err_len)
{
    simt_gemm<T><<<(unsigned)plan.blocks, plan.threads, 0, s>>>(args);
    KBC_CHECK_LAUNCH("matmul simt", err, err_len);
    return KB_OK;
}

} // namespace

extern "C" kb_status kbc_matmul_simt_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream,
                                         char *err, size_t err_len)
{
    (void)workspace;
    kb_status st = kbc_matmul_simt_supports(plugin_ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!plugin_ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "matmul simt: plugin not initialised");
    const kb_matmul_params *mm = &p->u.matmul;
    kbc_mm_simt_plan plan;
    kbc_mm_simt_plan_of(mm, &plan);
    if (plan.blocks == 0)
        return KB_OK; /* C is empty */
    SimtArgs args;
    args.a = mm->a.data;
    args.b = mm->b.data;
    args.c = mm->c.data;
    args.lda = mm->a.strides[0];
    args.ldb = mm->b.strides[0];
    args.ldc = mm->c.strides[0];
    args.m = (int)mm->m;
    args.n = (int)mm->n;
    args.k = (int)mm->k;
    args.a_k_inner = mm->trans_a == 0;
    args.b_k_inner = mm->trans_b != 0;
    args.alpha = mm->alpha;
    args.beta = mm->beta;
    args.c_dtype = mm->c.dtype;
    args.tiles_m = plan.tiles_m;
    args.tiles_n = plan.tiles_n;
    const cudaStream_t s = kbc_stream(static_cast<const kbc_context *>(plugin_ctx), stream);
    switch (mm->a.dtype) {
    case KB_DTYPE_F16: return launch<__half>(args, plan, s, err, err_len);
    case KB_DTYPE_BF16: return launch<__nv_bfloat16>(args, plan, s, err, err_len);
    case KB_DTYPE_F32: return launch<float>(args, plan, s, err, err_len);
    default: return kb_fail(KB_ERR_INTERNAL, err, err_len, "matmul simt: no kernel for %s", kb_dtype_name(mm->a.dtype));
    }
}
