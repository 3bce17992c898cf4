/*
 * attention_flash2.cu - FlashAttention-2 forward on tensor cores ("flash2"):
 * f16 / bf16 inputs, f32 accumulation, any head dim <= 256, GQA, bottom-right
 * causal mask, LSE.
 *
 * One CTA owns block_m query rows of one (batch, head): WARPS warps, each
 * owning MT m-tiles of 16 rows.  It walks the key blocks (block_n keys) the
 * causal range allows (plan_attention.h: kbc_attn_kv_blocks), K and V tiles
 * double-buffered in shared memory by cp.async: the next tile loads while
 * the current one is used.  Per key block, in registers:
 *   S = Q K^T           mma.sync m16n8k16, Q fragments kept in registers
 *                       when they fit, K fragments by ldmatrix
 *   scale, mask         only blocks from mask_from on (diagonal, Skv tail)
 *   online softmax      row max / sum over the 4 lanes sharing a row (shfl),
 *                       exp2 with log2(e) folded into the scale
 *   O += P V            P rounded to f16/bf16 in registers and used directly
 *                       as the A operand (its C layout is the A layout); V
 *                       fragments by ldmatrix.trans
 * then O / l in Q's dtype and LSE = m ln2 + ln l (-inf, O = 0 for a row that
 * sees no key).
 *
 * Shared memory rows are head_dim_pad elements, stored as 16-byte chunks
 * XOR-swizzled by the row (no bank conflicts for ldmatrix or cp.async);
 * columns past head_dim and rows past the sequence are zero-filled, so the
 * padding adds zeros to the dot products and never NaN from stale data.
 * Tensors whose rows are not 16-byte aligned (or head_dim % 8 != 0) are
 * staged element by element instead (VEC = false): same pipeline, plain
 * loads.
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#include "attention_mma.cuh"
#include "cuda_check.h"
#include "kernels.h"
#include "plan_attention.h"

namespace {

using namespace kbc_attn;

struct Flash2Args {
    const uint16_t *q, *k, *v;
    uint16_t *o;
    float *lse;
    int64_t q_sb, q_sh, q_ss; /* strides (elements) over batch, head, sequence */
    int64_t k_sb, k_sh, k_ss;
    int64_t v_sb, v_sh, v_ss;
    int64_t o_sb, o_sh, o_ss;
    int64_t l_sb, l_sh, l_ss;
    int64_t heads_q, group, q_blocks; /* group = heads_q / heads_kv */
    int seq_q, seq_kv, head_dim, causal;
    int pair_stores;
    float scale_log2; /* scale * log2(e) */
};

/* Element index of the first element of 16-byte chunk `chunk` of row `row`
 * in a tile of DP-element rows.  With CPR = DP / 8 chunks per row, the 8
 * rows an ldmatrix reads at one logical chunk land in 8 different bank
 * groups: chunk ^ (row % 8) for CPR >= 8; for CPR = 4 two rows share a
 * 128-byte line, so chunk ^ ((row / 2) % 4). */
template <int DP> __device__ __forceinline__ int swz(int row, int chunk)
{
    static_assert(DP == 32 || DP == 64 || DP == 128 || DP == 256, "head_dim_pad");
    if constexpr (DP / 8 >= 8)
        return row * DP + ((chunk ^ (row & 7)) << 3);
    else
        return row * DP + ((chunk ^ ((row >> 1) & 3)) << 3);
}

/* Stage rows [row0, row0 + ROWS) of a (seq, head_dim) slab into a swizzled
 * tile; rows >= rows_valid and columns >= d become zeros. */
template <int DP, int ROWS, int NT, bool VEC>
__device__ __forceinline__ void load_tile(uint16_t *tile, const uint16_t *g, int64_t row_stride, int row0,
                                          int rows_valid, int d, int tid)
{
    if constexpr (VEC) {
        /* Thread tid copies chunk tid % CPR of rows tid / CPR + i * RSTEP:
         * one base address per tile, constant steps (few registers). */
        constexpr int CPR = DP / 8, RSTEP = NT / CPR;
        static_assert(NT % CPR == 0 && ROWS % RSTEP == 0, "tile loader shape");
        const int r0 = tid / CPR, ch = tid % CPR;
        const bool col_ok = ch * 8 < d;
        const uint16_t *const src = g + (int64_t)(row0 + r0) * row_stride + ch * 8;
        const uint32_t dst = smem_u32(tile + swz<DP>(r0, ch));
#pragma unroll
        for (int i = 0; i < ROWS / RSTEP; ++i) {
            const bool ok = col_ok && row0 + r0 + i * RSTEP < rows_valid;
            /* The swizzle repeats every 8 rows. */
            const uint32_t dst_i = RSTEP % 8 == 0 ? dst + (uint32_t)(i * RSTEP * DP * 2)
                                                  : smem_u32(tile + swz<DP>(r0 + i * RSTEP, ch));
            cp_async_16(dst_i, ok ? src + (int64_t)i * RSTEP * row_stride : g, ok ? 16 : 0);
        }
    } else {
        constexpr int TOTAL = ROWS * DP;
#pragma unroll 1 /* the fallback path: few registers */
        for (int e = tid; e < TOTAL; e += NT) {
            const int r = e / DP, col = e % DP;
            uint16_t x = 0;
            if (row0 + r < rows_valid && col < d)
                x = g[(int64_t)(row0 + r) * row_stride + col];
            tile[swz<DP>(r, col >> 3) + (col & 7)] = x;
        }
    }
}

template <class Ty, int DP, int WARPS, int MT, int BN, bool VEC>
__global__ void __launch_bounds__(WARPS * 32) flash2_kernel(const Flash2Args a)
{
    constexpr int NT = WARPS * 32;
    constexpr int BM = 16 * MT * WARPS;
    constexpr int KD = DP / 16; /* k-steps of S = Q K^T */
    constexpr int NS = BN / 8;  /* n-tiles of S (8 keys each) */
    constexpr int ND = DP / 8;  /* n-tiles of O (8 columns each) */
    constexpr bool Q_IN_REGS = MT * DP <= 128;
    static_assert(BN % 16 == 0 && DP % 16 == 0, "tile shape");

    extern __shared__ __align__(128) uint16_t smem[];
    uint16_t *const sQ = smem;
    uint16_t *const sK = sQ + BM * DP; /* [2][BN][DP] */
    uint16_t *const sV = sK + 2 * BN * DP;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g8 = lane >> 2, t4 = lane & 3;

    int64_t b, h, qb;
    kbc_attn_cta_coords(blockIdx.x, a.q_blocks, a.heads_q, &b, &h, &qb);
    const int64_t kvh = h / a.group;
    const int q0 = (int)qb * BM;
    const int seq_q = a.seq_q, seq_kv = a.seq_kv, d = a.head_dim;
    const kbc_attn_kv_range range = kbc_attn_kv_blocks(q0, BM, BN, seq_q, seq_kv, a.causal);
    const int kv_end = (int)range.end, mask_from = (int)range.mask_from;

    const uint16_t *const gq = a.q + b * a.q_sb + h * a.q_sh;
    const uint16_t *const gk = a.k + b * a.k_sb + kvh * a.k_sh;
    const uint16_t *const gv = a.v + b * a.v_sb + kvh * a.v_sh;
    uint16_t *const go = a.o + b * a.o_sb + h * a.o_sh;
    float *const gl = a.lse + b * a.l_sb + h * a.l_sh;

    if (kv_end == 0) { /* causal, Sq > Skv: no row of this block sees a key */
        for (int e = tid; e < BM * d; e += NT) {
            const int row = q0 + e / d;
            if (row < seq_q)
                go[(int64_t)row * a.o_ss + e % d] = 0;
        }
        for (int r = tid; r < BM; r += NT)
            if (q0 + r < seq_q)
                gl[(int64_t)(q0 + r) * a.l_ss] = -INFINITY;
        return;
    }

    /* Prologue: Q and the first K/V tile. */
    load_tile<DP, BM, NT, VEC>(sQ, gq, a.q_ss, q0, seq_q, d, tid);
    load_tile<DP, BN, NT, VEC>(sK, gk, a.k_ss, 0, seq_kv, d, tid);
    load_tile<DP, BN, NT, VEC>(sV, gv, a.v_ss, 0, seq_kv, d, tid);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();

    /* Q fragments: ldmatrix.x4 matrices (rows 0-7, k 0-7), (rows 8-15, k 0-7),
     * (rows 0-7, k 8-15), (rows 8-15, k 8-15) are a0..a3. */
    const int q_row_lane = (lane & 7) + ((lane >> 3) & 1) * 8, q_chunk_lane = lane >> 4;
    const int warp_row0 = warp * 16 * MT; /* within the CTA's block */
    uint32_t qf[Q_IN_REGS ? MT : 1][Q_IN_REGS ? KD : 1][4];
    if constexpr (Q_IN_REGS) {
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int kk = 0; kk < KD; ++kk)
                ldmatrix_x4(qf[mt][kk], smem_u32(sQ + swz<DP>(warp_row0 + mt * 16 + q_row_lane, kk * 2 + q_chunk_lane)));
    }

    float acc_o[MT][ND][4];
    float row_max[MT][2], row_sum[MT][2]; /* row g and g + 8 of each m-tile; max in log2 units */
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
        for (int nt = 0; nt < ND; ++nt)
            acc_o[mt][nt][0] = acc_o[mt][nt][1] = acc_o[mt][nt][2] = acc_o[mt][nt][3] = 0.f;
        row_max[mt][0] = row_max[mt][1] = -INFINITY;
        row_sum[mt][0] = row_sum[mt][1] = 0.f;
    }

    /* K fragments (non-transposed, rows = keys): matrices (keys 0-7, k chunk
     * 0), (keys 0-7, chunk 1), (keys 8-15, chunk 0), (keys 8-15, chunk 1) are
     * b0, b1 of n-tile 0 and b0, b1 of n-tile 1. */
    const int k_row_lane = (lane & 7) + (lane >> 4) * 8, k_chunk_lane = (lane >> 3) & 1;
    /* V fragments (transposed, rows = keys): matrices (keys 0-7, d chunk 0),
     * (keys 8-15, chunk 0), (keys 0-7, chunk 1), (keys 8-15, chunk 1) are b0,
     * b1 of d-tile 0 and b0, b1 of d-tile 1. */
    const int v_row_lane = (lane & 7) + ((lane >> 3) & 1) * 8, v_chunk_lane = lane >> 4;
    const int offset = seq_kv - seq_q; /* causal: row i sees keys j <= i + offset */

    for (int kb = 0; kb < kv_end; ++kb) {
        const int stage = kb & 1;
        /* The other stage was last read in iteration kb - 1, which ended
         * with a barrier: refill it with the next tile. */
        if (kb + 1 < kv_end) {
            load_tile<DP, BN, NT, VEC>(sK + (stage ^ 1) * BN * DP, gk, a.k_ss, (kb + 1) * BN, seq_kv, d, tid);
            load_tile<DP, BN, NT, VEC>(sV + (stage ^ 1) * BN * DP, gv, a.v_ss, (kb + 1) * BN, seq_kv, d, tid);
        }
        cp_async_commit(); /* possibly empty: keeps the group count uniform */
        cp_async_wait<1>(); /* everything but the group just committed: tile kb */
        __syncthreads();

        const uint16_t *const sKs = sK + stage * BN * DP;
        const uint16_t *const sVs = sV + stage * BN * DP;

        /* S = Q K^T (raw dot products). */
        float s[MT][NS][4];
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int nt = 0; nt < NS; ++nt)
                s[mt][nt][0] = s[mt][nt][1] = s[mt][nt][2] = s[mt][nt][3] = 0.f;
#pragma unroll
        for (int kk = 0; kk < KD; ++kk) {
            uint32_t af[MT][4];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                if constexpr (Q_IN_REGS) {
#pragma unroll
                    for (int i = 0; i < 4; ++i)
                        af[mt][i] = qf[mt][kk][i];
                } else {
                    ldmatrix_x4(af[mt], smem_u32(sQ + swz<DP>(warp_row0 + mt * 16 + q_row_lane, kk * 2 + q_chunk_lane)));
                }
            }
#pragma unroll
            for (int np = 0; np < NS / 2; ++np) {
                uint32_t bf[4];
                ldmatrix_x4(bf, smem_u32(sKs + swz<DP>(np * 16 + k_row_lane, kk * 2 + k_chunk_lane)));
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    Ty::mma(s[mt][2 * np], af[mt], bf[0], bf[1]);
                    Ty::mma(s[mt][2 * np + 1], af[mt], bf[2], bf[3]);
                }
            }
        }

        /* Scale into log2 units; mask keys past seq_kv and (causal) past the
         * row's diagonal.  Blocks before mask_from are visible to every row. */
        const bool need_mask = kb >= mask_from;
        const int k0 = kb * BN;
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int nt = 0; nt < NS; ++nt)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    float x = s[mt][nt][e] * a.scale_log2;
                    if (need_mask) {
                        const int row = q0 + warp_row0 + mt * 16 + g8 + (e >> 1) * 8;
                        const int col = k0 + nt * 8 + t4 * 2 + (e & 1);
                        if (col >= seq_kv || (a.causal && col > row + offset))
                            x = -INFINITY;
                    }
                    s[mt][nt][e] = x;
                }

        /* Online softmax, rows g (r = 0) and g + 8 (r = 1) of each m-tile; the
         * 4 lanes of a quad hold the row's columns. */
#pragma unroll
        for (int mt = 0; mt < MT; ++mt)
#pragma unroll
            for (int r = 0; r < 2; ++r) {
                float mx = row_max[mt][r];
#pragma unroll
                for (int nt = 0; nt < NS; ++nt)
                    mx = fmaxf(mx, fmaxf(s[mt][nt][2 * r], s[mt][nt][2 * r + 1]));
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
                mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
                /* A row that has seen no key yet keeps max -inf: subtract 0
                 * instead, so exp2(-inf - base) = 0, never NaN. */
                const float base = mx == -INFINITY ? 0.f : mx;
                const float alpha = fast_exp2(row_max[mt][r] - base);
                row_max[mt][r] = mx;
                float sum = 0.f;
#pragma unroll
                for (int nt = 0; nt < NS; ++nt) {
                    const float p0 = fast_exp2(s[mt][nt][2 * r] - base);
                    const float p1 = fast_exp2(s[mt][nt][2 * r + 1] - base);
                    s[mt][nt][2 * r] = p0;
                    s[mt][nt][2 * r + 1] = p1;
                    sum += p0 + p1;
                }
                row_sum[mt][r] = row_sum[mt][r] * alpha + sum; /* this lane's columns only */
#pragma unroll
                for (int nt = 0; nt < ND; ++nt) {
                    acc_o[mt][nt][2 * r] *= alpha;
                    acc_o[mt][nt][2 * r + 1] *= alpha;
                }
            }

        /* O += P V: the C fragments of S n-tiles 2kc and 2kc + 1 are the A
         * fragment of key chunk kc. */
#pragma unroll
        for (int kc = 0; kc < BN / 16; ++kc) {
            uint32_t pa[MT][4];
#pragma unroll
            for (int mt = 0; mt < MT; ++mt) {
                pa[mt][0] = Ty::pack(s[mt][2 * kc][0], s[mt][2 * kc][1]);
                pa[mt][1] = Ty::pack(s[mt][2 * kc][2], s[mt][2 * kc][3]);
                pa[mt][2] = Ty::pack(s[mt][2 * kc + 1][0], s[mt][2 * kc + 1][1]);
                pa[mt][3] = Ty::pack(s[mt][2 * kc + 1][2], s[mt][2 * kc + 1][3]);
            }
#pragma unroll
            for (int dp = 0; dp < DP / 16; ++dp) {
                uint32_t bv[4];
                ldmatrix_x4_trans(bv, smem_u32(sVs + swz<DP>(kc * 16 + v_row_lane, dp * 2 + v_chunk_lane)));
#pragma unroll
                for (int mt = 0; mt < MT; ++mt) {
                    Ty::mma(acc_o[mt][2 * dp], pa[mt], bv[0], bv[1]);
                    Ty::mma(acc_o[mt][2 * dp + 1], pa[mt], bv[2], bv[3]);
                }
            }
        }
        __syncthreads(); /* this stage is refilled in iteration kb + 1 */
    }

    /* Epilogue: O / l, LSE. */
#pragma unroll
    for (int mt = 0; mt < MT; ++mt)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            float l = row_sum[mt][r];
            l += __shfl_xor_sync(0xffffffffu, l, 1);
            l += __shfl_xor_sync(0xffffffffu, l, 2);
            const int row = q0 + warp_row0 + mt * 16 + g8 + r * 8;
            if (row >= seq_q)
                continue;
            const float inv = l > 0.f ? 1.f / l : 0.f;
            uint16_t *const orow = go + (int64_t)row * a.o_ss;
#pragma unroll
            for (int nt = 0; nt < ND; ++nt) {
                const int col = nt * 8 + t4 * 2;
                if (col >= d)
                    continue;
                const float v0 = acc_o[mt][nt][2 * r] * inv, v1 = acc_o[mt][nt][2 * r + 1] * inv;
                if (a.pair_stores) { /* d even, 4-byte aligned rows */
                    *reinterpret_cast<uint32_t *>(orow + col) = Ty::pack(v0, v1);
                } else {
                    orow[col] = Ty::bits(v0);
                    if (col + 1 < d)
                        orow[col + 1] = Ty::bits(v1);
                }
            }
            if (t4 == 0)
                gl[(int64_t)row * a.l_ss] = l > 0.f ? row_max[mt][r] * 0.69314718055994531f + logf(l) : -INFINITY;
        }
}

template <class Ty, int DP, bool VEC>
kb_status launch(const kbc_flash2_plan &plan, const Flash2Args &args, cudaStream_t stream, char *err,
                 size_t err_len)
{
    constexpr int WARPS = KBC_FLASH2_WARPS(DP), MT = KBC_FLASH2_MTILES(DP), BN = KBC_FLASH2_BLOCK_N(DP);
    constexpr size_t smem = KBC_FLASH2_SMEM_BYTES(DP);
    if (plan.smem_bytes != smem || plan.threads != WARPS * 32 || plan.block_m != 16 * WARPS * MT ||
        plan.block_n != BN)
        return kb_fail(KB_ERR_INTERNAL, err, err_len, "attention flash2: plan and kernel disagree");
    auto kernel = flash2_kernel<Ty, DP, WARPS, MT, BN, VEC>;
    KBC_TRY(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem),
            "attention flash2: shared memory size", err, err_len);
    KBC_TRY(cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                                 (int)cudaSharedmemCarveoutMaxShared),
            "attention flash2: shared memory carveout", err, err_len);
    kernel<<<(unsigned)plan.ctas, WARPS * 32, smem, stream>>>(args);
    KBC_CHECK_LAUNCH("attention flash2", err, err_len);
    return KB_OK;
}

template <class Ty, bool VEC>
kb_status dispatch_dim(const kbc_flash2_plan &plan, const Flash2Args &args, cudaStream_t stream, char *err,
                       size_t err_len)
{
    switch (plan.head_dim_pad) {
    case 32: return launch<Ty, 32, VEC>(plan, args, stream, err, err_len);
    case 64: return launch<Ty, 64, VEC>(plan, args, stream, err, err_len);
    case 128: return launch<Ty, 128, VEC>(plan, args, stream, err, err_len);
    case 256: return launch<Ty, 256, VEC>(plan, args, stream, err, err_len);
    default: return kb_fail(KB_ERR_INTERNAL, err, err_len, "attention flash2: head_dim_pad %d", plan.head_dim_pad);
    }
}

template <class Ty>
kb_status dispatch(const kbc_flash2_plan &plan, const Flash2Args &args, cudaStream_t stream, char *err,
                   size_t err_len)
{
    return plan.vector_loads ? dispatch_dim<Ty, true>(plan, args, stream, err, err_len)
                             : dispatch_dim<Ty, false>(plan, args, stream, err, err_len);
}

} // namespace

extern "C" kb_status kbc_attention_flash2_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream,
                                              char *err, size_t err_len)
{
    (void)workspace;
    if (!plugin_ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "attention flash2: no plugin context");
    kbc_flash2_plan plan;
    kb_status st = kbc_flash2_plan_make(plugin_ctx, p, &plan, err, err_len);
    if (st != KB_OK || plan.ctas == 0)
        return st;
    const kb_attention_params *at = &p->u.attention;
    Flash2Args a;
    a.q = static_cast<const uint16_t *>(at->q.data);
    a.k = static_cast<const uint16_t *>(at->k.data);
    a.v = static_cast<const uint16_t *>(at->v.data);
    a.o = static_cast<uint16_t *>(at->o.data);
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
    a.pair_stores = plan.pair_stores;
    a.scale_log2 = at->scale * 1.4426950408889634f;
    cudaStream_t s = kbc_stream(static_cast<const kbc_context *>(plugin_ctx), stream);
    return at->q.dtype == KB_DTYPE_F16 ? dispatch<F16>(plan, a, s, err, err_len)
                                       : dispatch<BF16>(plan, a, s, err, err_len);
}
