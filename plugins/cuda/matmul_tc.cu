/*
 * matmul_tc.cu - run() of the "tc" matmul: tensor-core GEMM (mma.sync) fed
 * by a multi-stage cp.async pipeline (matmul_tc_kernel.cuh).
 *
 * Which instantiation runs is decided in plan_matmul.c (kbc_mm_tc_plan_of):
 *   f16/bf16, aligned: each operand keeps its global layout in shared memory
 *     (K-major via ldmatrix, M/N-major via ldmatrix.trans), 16-byte cp.async;
 *   f16/bf16, unaligned base or leading dimension: element-wise loads into
 *     K-major tiles;
 *   i8: the s8 mma needs K-contiguous A and B fragments and ldmatrix cannot
 *     transpose bytes, so an operand whose K is not contiguous (A with
 *     trans_a, B without trans_b) is first transposed into the workspace by
 *     repack_transpose_i8; then both are K-major.
 */
#include <cuda_runtime.h>

#include "cuda_check.h"
#include "kernels.h"
#include "matmul_tc_kernel.cuh"
#include "plan_matmul.h"

namespace {

using namespace kbc_mm;

/* dst[c][r] = src[r][c] for a rows x cols byte matrix; 64 x 64 tiles through
 * shared memory so that both the reads and the writes are coalesced.  The
 * pitch of 68 bytes puts the 32 column reads of a warp in 32 banks. */
__global__ void __launch_bounds__(KBC_MM_REPACK_THREADS) repack_transpose_i8(const int8_t *src, int64_t lds,
                                                                            int64_t rows, int64_t cols, int8_t *dst,
                                                                            int64_t ldd)
{
    constexpr int T = KBC_MM_REPACK_TILE, PITCH = T + 4, YSTEP = KBC_MM_REPACK_THREADS / T;
    __shared__ int8_t tile[T * PITCH];
    const int x = threadIdx.x % T, y = threadIdx.x / T;
    const int64_t tiles_c = (cols + T - 1) / T, total = ((rows + T - 1) / T) * tiles_c;
    for (int64_t t = blockIdx.x; t < total; t += gridDim.x) {
        const int64_t r0 = (t / tiles_c) * T, c0 = (t % tiles_c) * T;
        for (int i = y; i < T; i += YSTEP) {
            const int64_t r = r0 + i, c = c0 + x;
            tile[i * PITCH + x] = r < rows && c < cols ? src[r * lds + c] : int8_t(0);
        }
        __syncthreads();
        for (int i = y; i < T; i += YSTEP) {
            const int64_t c = c0 + i, r = r0 + x;
            if (c < cols && r < rows)
                dst[c * ldd + r] = tile[x * PITCH + i];
        }
        __syncthreads();
    }
}

kb_status repack(const void *src, int64_t lds, int64_t rows, int64_t cols, void *dst, int64_t ldd, cudaStream_t s,
                 char *err, size_t err_len)
{
    const int64_t tiles = ((rows + KBC_MM_REPACK_TILE - 1) / KBC_MM_REPACK_TILE) *
                          ((cols + KBC_MM_REPACK_TILE - 1) / KBC_MM_REPACK_TILE);
    const unsigned blocks = (unsigned)(tiles < KBC_MM_REPACK_MAX_BLOCKS ? tiles : KBC_MM_REPACK_MAX_BLOCKS);
    repack_transpose_i8<<<blocks, KBC_MM_REPACK_THREADS, 0, s>>>(static_cast<const int8_t *>(src), lds, rows, cols,
                                                                 static_cast<int8_t *>(dst), ldd);
    KBC_CHECK_LAUNCH("matmul tc repack", err, err_len);
    return KB_OK;
}

template <class Tr, bool A_K, bool B_K, bool VEC>
kb_status launch(const TcArgs &args, const kbc_mm_tc_plan &plan, cudaStream_t s, char *err, size_t err_len)
{
    void (*kernel)(const TcArgs) = tc_gemm<Tr, A_K, B_K, VEC>;
    KBC_TRY(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)plan.smem),
            "matmul tc: cudaFuncSetAttribute", err, err_len);
    kernel<<<(unsigned)plan.blocks, plan.threads, plan.smem, s>>>(args);
    KBC_CHECK_LAUNCH("matmul tc", err, err_len);
    return KB_OK;
}

template <class Tr>
kb_status launch_float(const TcArgs &args, const kbc_mm_tc_plan &plan, cudaStream_t s, char *err, size_t err_len)
{
    if (plan.load != KBC_MM_LOAD_VECTOR)
        return launch<Tr, true, true, false>(args, plan, s, err, err_len);
    if (plan.a_kmajor)
        return plan.b_kmajor ? launch<Tr, true, true, true>(args, plan, s, err, err_len)
                             : launch<Tr, true, false, true>(args, plan, s, err, err_len);
    return plan.b_kmajor ? launch<Tr, false, true, true>(args, plan, s, err, err_len)
                         : launch<Tr, false, false, true>(args, plan, s, err, err_len);
}

} // namespace

extern "C" kb_status kbc_matmul_tc_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream, char *err,
                                       size_t err_len)
{
    kb_status st = kbc_matmul_tc_supports(plugin_ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!plugin_ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "matmul tc: plugin not initialised");
    const kb_matmul_params *mm = &p->u.matmul;
    kbc_mm_tc_plan plan;
    kbc_mm_tc_plan_of(mm, &plan);
    if (plan.blocks == 0)
        return KB_OK; /* C is empty */
    if (plan.workspace && !workspace)
        return kb_fail(KB_ERR_INVALID, err, err_len, "matmul tc: the %zu-byte workspace is missing", plan.workspace);
    const cudaStream_t s = kbc_stream(static_cast<const kbc_context *>(plugin_ctx), stream);

    TcArgs args;
    args.a = mm->a.data;
    args.b = mm->b.data;
    args.c = mm->c.data;
    args.lda = mm->a.strides[0];
    args.ldb = mm->b.strides[0];
    args.ldc = mm->c.strides[0];
    args.m = (int)mm->m;
    args.n = (int)mm->n;
    args.k = (int)mm->k;
    args.a_mn_major = mm->trans_a != 0;
    args.b_mn_major = mm->trans_b == 0;
    args.alpha = mm->alpha;
    args.beta = mm->beta;
    args.c_dtype = mm->c.dtype;
    args.c_pair_ok = plan.c_pair_ok;
    args.tiles_m = plan.tiles_m;
    args.tiles_n = plan.tiles_n;

    switch (plan.in) {
    case KB_DTYPE_F16: return launch_float<TraitsF16>(args, plan, s, err, err_len);
    case KB_DTYPE_BF16: return launch_float<TraitsBF16>(args, plan, s, err, err_len);
    case KB_DTYPE_I8: break;
    default: return kb_fail(KB_ERR_INTERNAL, err, err_len, "matmul tc: no kernel for %s", kb_dtype_name(plan.in));
    }

    /* i8: transpose the operands whose K is not contiguous (nothing to read
     * when k == 0). */
    char *ws = static_cast<char *>(workspace);
    if (plan.repack_a && mm->k > 0) {
        st = repack(mm->a.data, mm->a.strides[0], mm->k, mm->m, ws, plan.lda_ws, s, err, err_len);
        if (st != KB_OK)
            return st;
        args.a = ws;
        args.lda = plan.lda_ws;
        args.a_mn_major = 0;
    }
    if (plan.repack_b && mm->k > 0) {
        st = repack(mm->b.data, mm->b.strides[0], mm->k, mm->n, ws + plan.ws_b_offset, plan.ldb_ws, s, err, err_len);
        if (st != KB_OK)
            return st;
        args.b = ws + plan.ws_b_offset;
        args.ldb = plan.ldb_ws;
        args.b_mn_major = 0;
    }
    /* The plan took the workspace as 16-byte aligned (the ABI gives 64). */
    if (plan.workspace && reinterpret_cast<uintptr_t>(workspace) % 16 != 0)
        plan.load = KBC_MM_LOAD_SCALAR;
    if (plan.load == KBC_MM_LOAD_VECTOR)
        return launch<TraitsS8, true, true, true>(args, plan, s, err, err_len);
    return launch<TraitsS8, true, true, false>(args, plan, s, err, err_len);
}
