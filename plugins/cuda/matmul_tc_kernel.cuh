/*
 * matmul_tc_kernel.cuh - the tc GEMM kernel: C[BM x BN tile] of one CTA from
 * a STAGES-deep cp.async pipeline, ldmatrix fragments and mma.sync.
 *
 * Shared memory, per stage: an A tile then a B tile, each either
 *   K-major:  rows = M (or N) index, BKB bytes of K per row (chunks of 16 B),
 *             chunk c of row r stored at chunk c ^ ((r >> 1) & 3) (64-byte
 *             rows) or c ^ (r & 7) (128-byte rows);
 *   MN-major: rows = k, BM (BN) elements per row, chunk c of row r stored at
 *             c ^ (r & 7)   (f16/bf16 only; read with ldmatrix.trans).
 * Both swizzles put the 8 row addresses of every ldmatrix phase, and every 8
 * consecutive 16-byte cp.async writes, in 8 different bank groups.
 *
 * Pipeline (per k tile of BKB bytes, BKB / 32 mma k-steps): fragments of the next
 * k-step are loaded from shared memory while the current one is multiplied;
 * the wait + barrier before the last k-step of a tile both makes the next
 * stage visible and frees the stage just finished, which the first k-step of
 * the next tile refills (tile kt + STAGES - 1).
 */
#ifndef KBC_MATMUL_TC_KERNEL_CUH
#define KBC_MATMUL_TC_KERNEL_CUH

#include <cstdint>
#include <type_traits>

#include "matmul_tc_ptx.cuh"
#include "matmul_tc_store.cuh"
#include "plan_matmul.h"

namespace kbc_mm {

constexpr int BM = KBC_MM_TC_BM;
constexpr int BN = KBC_MM_TC_BN;
constexpr int BKB = KBC_MM_TC_BK_BYTES; /* bytes of K per stage */
constexpr int STAGES = KBC_MM_TC_STAGES;
constexpr int THREADS = KBC_MM_TC_THREADS;
constexpr int WARPS_N = KBC_MM_TC_WARPS_N;
constexpr int WM = BM / KBC_MM_TC_WARPS_M; /* 64 rows per warp */
constexpr int WN = BN / KBC_MM_TC_WARPS_N; /* 64 columns per warp */
constexpr int MI = WM / 16;                /* m16 tiles per warp */
constexpr int NI = WN / 8;                 /* n8 tiles per warp */
constexpr int A_STAGE_BYTES = BM * BKB;
constexpr int STAGE_BYTES = KBC_MM_TC_STAGE_BYTES;
constexpr int KSTEPS = BKB / 32; /* mma k-steps per stage: 32 bytes of K each */
constexpr int KCPR = BKB / 16;    /* 16-byte chunks per row of a K-major tile */
static_assert(BKB == 64 || BKB == 128, "K-major swizzles exist for 64- and 128-byte rows");
static_assert(KSTEPS % 2 == 0, "the fragment double buffer alternates on even k-step counts");
static_assert(WM == 64 && WN == 64, "the epilogue and fragment maps assume 64 x 64 warp tiles");
static_assert((THREADS / KCPR) % 8 == 0, "a thread's K-major rows must share one swizzle phase");

/* Kernel arguments; a and b are what the kernel reads (a repacked copy for
 * i8 operands whose K is not contiguous).  a_mn_major / b_mn_major: the
 * tensor is stored [k][m] / [k][n] (M or N contiguous); read by the scalar
 * loader only, the vector loaders take the layout as a template argument. */
struct TcArgs {
    const void *a;
    const void *b;
    void *c;
    int64_t lda, ldb, ldc;
    int m, n, k;
    int a_mn_major, b_mn_major;
    float alpha, beta;
    int c_dtype;   /* kb_dtype */
    int c_pair_ok; /* C allows 2-element accesses */
    int64_t tiles_m, tiles_n;
};

/* Per input dtype: accumulator type, the mma, element size. */
struct TraitsF16 {
    using Acc = float;
    using Mma = MmaF16;
    static constexpr int ES = 2;
};
struct TraitsBF16 {
    using Acc = float;
    using Mma = MmaBF16;
    static constexpr int ES = 2;
};
struct TraitsS8 {
    using Acc = int;
    using Mma = MmaS8;
    static constexpr int ES = 1;
};

/* Shared-memory byte offsets of 16-byte chunk c of row r within a tile.
 * 64-byte rows: two rows share a 128-byte bank line, so rows r and r+1 take
 * its halves and (r >> 1) & 3 permutes the chunks; 128-byte rows: r & 7. */
__device__ __forceinline__ uint32_t kmajor_off(int r, int c)
{
    const int phase = BKB == 64 ? (r >> 1) & 3 : r & 7;
    return (uint32_t)(r * BKB + ((c ^ phase) << 4));
}

template <int ROW_BYTES>
__device__ __forceinline__ uint32_t mnmajor_off(int r, int c)
{
    return (uint32_t)(r * ROW_BYTES + ((c ^ (r & 7)) << 4));
}

/* Bytes of a 16-byte chunk that lie inside the tensor, given `left`
 * elements from the chunk's first one to the end of its row. */
template <int ES>
__device__ __forceinline__ int chunk_bytes(int64_t left)
{
    return left <= 0 ? 0 : left >= 16 / ES ? 16 : (int)left * ES;
}

/* ---- loaders: one k tile of one operand into one stage --------------------
 * ROWS: the tile's extent in M (A) or N (B).  Each thread owns the same
 * chunk column in every row group it loads, so its per-chunk offsets are a
 * base plus a multiple of a constant. */

/* 16-byte cp.async; the tensor is K-major ([rows][k], ld along rows). */
template <int ROWS, int ES>
struct KMajorVecLoader {
    static constexpr int PER = ROWS * KCPR / THREADS;
    static constexpr int ROW_STEP = THREADS / KCPR;
    static constexpr int EPC = 16 / ES; /* elements per chunk */
    static_assert(PER * THREADS == ROWS * KCPR, "whole chunks per thread");
    const char *base, *p;
    int64_t step; /* bytes between this thread's rows */
    int k, k_first;
    unsigned row_ok;
    uint32_t soff;

    __device__ __forceinline__ KMajorVecLoader(const void *t, int64_t ld, int rows, int row0, int k_, int /*trans*/)
    {
        const int c = (int)(threadIdx.x % KCPR), r = (int)(threadIdx.x / KCPR); /* unsigned: shifts */
        base = static_cast<const char *>(t);
        k = k_;
        k_first = c * EPC;
        p = base + ((int64_t)(row0 + r) * ld + k_first) * ES;
        step = (int64_t)ROW_STEP * ld * ES;
        row_ok = 0;
#pragma unroll
        for (int i = 0; i < PER; ++i)
            row_ok |= (row0 + r + i * ROW_STEP < rows ? 1u : 0u) << i;
        soff = kmajor_off(r, c);
    }

    __device__ __forceinline__ void load(uint32_t tile, int kt)
    {
        const int64_t kbeg = (int64_t)kt * (BKB / ES);
        const int bytes = chunk_bytes<ES>(k - kbeg - k_first);
        const char *src = p + kbeg * ES;
#pragma unroll
        for (int i = 0; i < PER; ++i) {
            const int n = (row_ok >> i) & 1 ? bytes : 0;
            cp_async_16(tile + soff + i * ROW_STEP * BKB, n ? src + i * step : base, n);
        }
    }
};

/* 16-byte cp.async; the tensor is MN-major ([k][rows]); 2-byte elements. */
template <int ROWS, int ES>
struct MnMajorVecLoader {
    static_assert(ES == 2, "M/N-major tiles are f16/bf16 only");
    static constexpr int BK = BKB / ES;              /* k rows per tile */
    static constexpr int ROW_BYTES = ROWS * ES;      /* bytes per k row */
    static constexpr int CPR = ROW_BYTES / 16;       /* chunks per k row */
    static constexpr int ROW_STEP = THREADS / CPR;   /* k rows between this thread's chunks */
    static constexpr int PER = BK / ROW_STEP;
    static_assert(THREADS % CPR == 0 && PER * ROW_STEP == BK, "whole chunks per thread");
    static_assert(ROW_STEP % 8 == 0, "the swizzle phase (r & 7) must not change between a thread's rows");
    const char *base, *p;
    int64_t step, tile_step;
    int k, r;
    int col_bytes;
    uint32_t soff;

    __device__ __forceinline__ MnMajorVecLoader(const void *t, int64_t ld, int rows, int row0, int k_, int /*trans*/)
    {
        const int c = (int)(threadIdx.x % CPR);
        r = (int)(threadIdx.x / CPR);
        base = static_cast<const char *>(t);
        k = k_;
        const int col = row0 + c * (16 / ES);
        col_bytes = chunk_bytes<ES>((int64_t)rows - col);
        p = base + ((int64_t)r * ld + col) * ES;
        step = (int64_t)ROW_STEP * ld * ES;
        tile_step = (int64_t)BK * ld * ES;
        soff = mnmajor_off<ROW_BYTES>(r, c);
    }

    __device__ __forceinline__ void load(uint32_t tile, int kt)
    {
        const int kbeg = kt * BK + r;
        const char *src = p + kt * tile_step;
#pragma unroll
        for (int i = 0; i < PER; ++i) {
            const int n = kbeg + i * ROW_STEP < k ? col_bytes : 0;
            cp_async_16(tile + soff + i * ROW_STEP * ROW_BYTES, n ? src + i * step : base, n);
        }
    }
};

/* Element by element into a K-major tile, any alignment, either global
 * layout (trans: the tensor is stored [k][rows]).  Synchronous loads: the slow,
 * always-correct path. */
template <int ROWS, int ES>
struct ScalarLoader {
    static constexpr int PER = ROWS * KCPR / THREADS;
    static constexpr int ROW_STEP = THREADS / KCPR;
    static constexpr int EPC = 16 / ES;
    using Elem = typename std::conditional<ES == 2, uint16_t, uint8_t>::type;
    const Elem *base;
    int64_t ld;
    int rows, row, k, k_first, trans;
    uint32_t soff;

    __device__ __forceinline__ ScalarLoader(const void *t, int64_t ld_, int rows_, int row0, int k_, int trans_)
    {
        const int c = (int)(threadIdx.x % KCPR), r = (int)(threadIdx.x / KCPR); /* unsigned: shifts */
        base = static_cast<const Elem *>(t);
        ld = ld_;
        rows = rows_;
        row = row0 + r;
        k = k_;
        k_first = c * EPC;
        trans = trans_;
        soff = kmajor_off(r, c);
    }

    __device__ __forceinline__ void load(uint32_t tile, int kt)
    {
        const int kb = kt * (BKB / ES) + k_first;
#pragma unroll 1
        for (int i = 0; i < PER; ++i) {
            const int rr = row + i * ROW_STEP;
            uint32_t w[4] = {0u, 0u, 0u, 0u};
#pragma unroll
            for (int e = 0; e < EPC; ++e) {
                const int kk = kb + e;
                uint32_t v = 0;
                if (rr < rows && kk < k)
                    v = base[trans ? (int64_t)kk * ld + rr : (int64_t)rr * ld + kk];
                w[e * ES / 4] |= v << (8 * ((e * ES) & 3));
            }
            st_shared_16(tile + soff + i * ROW_STEP * BKB, w[0], w[1], w[2], w[3]);
        }
    }
};

template <int ROWS, int ES, bool KMAJOR, bool VEC>
using LoaderOf = typename std::conditional<
    !VEC, ScalarLoader<ROWS, ES>,
    typename std::conditional<KMAJOR, KMajorVecLoader<ROWS, ES>, MnMajorVecLoader<ROWS, ES>>::type>::type;

/* ---- fragments ------------------------------------------------------------ */

/* A fragments of k-step kk for this warp's MI m16 tiles. */
template <bool A_K>
__device__ __forceinline__ void load_a_frags(uint32_t (&af)[MI][4], uint32_t tile, int warp_m, int lane, int kk)
{
#pragma unroll
    for (int mi = 0; mi < MI; ++mi) {
        const int m = warp_m * WM + mi * 16;
        if (A_K) {
            ldmatrix_x4(af[mi], tile + kmajor_off(m + (lane & 15), 2 * kk + (lane >> 4)));
        } else {
            const int kr = kk * 16 + (lane & 7) + ((lane >> 4) << 3);
            ldmatrix_x4_trans(af[mi], tile + mnmajor_off<BM * 2>(kr, m / 8 + ((lane >> 3) & 1)));
        }
    }
}

/* B fragments of k-step kk for this warp's NI n8 tiles, two per ldmatrix. */
template <bool B_K>
__device__ __forceinline__ void load_b_frags(uint32_t (&bf)[NI][2], uint32_t tile, int warp_n, int lane, int kk)
{
#pragma unroll
    for (int nj = 0; nj < NI / 2; ++nj) {
        const int n = warp_n * WN + nj * 16;
        uint32_t r[4];
        if (B_K) {
            ldmatrix_x4(r, tile + kmajor_off(n + (lane & 7) + ((lane >> 4) << 3), 2 * kk + ((lane >> 3) & 1)));
        } else {
            const int kr = kk * 16 + (lane & 7) + (((lane >> 3) & 1) << 3);
            ldmatrix_x4_trans(r, tile + mnmajor_off<BN * 2>(kr, n / 8 + (lane >> 4)));
        }
        bf[2 * nj][0] = r[0];
        bf[2 * nj][1] = r[1];
        bf[2 * nj + 1][0] = r[2];
        bf[2 * nj + 1][1] = r[3];
    }
}

/* ---- epilogues ------------------------------------------------------------- */

template <typename T>
__device__ __forceinline__ void store_tile(const TcArgs &args, const float (&acc)[MI][NI][4], int row0, int col0,
                                           int lane)
{
    T *c = static_cast<T *>(args.c);
    const bool pair = args.c_pair_ok != 0;
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int mi = 0; mi < MI; ++mi) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int row = row0 + mi * 16 + g + 8 * h;
            if (row >= args.m)
                continue;
            T *crow = c + (int64_t)row * args.ldc;
#pragma unroll
            for (int ni = 0; ni < NI; ++ni) {
                const int col = col0 + ni * 8 + 2 * t;
                if (col < args.n)
                    update_two(crow + col, acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1], args.alpha, args.beta, pair,
                               args.n - col);
            }
        }
    }
}

__device__ __forceinline__ void epilogue(const TcArgs &args, const float (&acc)[MI][NI][4], int row0, int col0,
                                         int lane)
{
    switch (args.c_dtype) {
    case KB_DTYPE_F16: store_tile<__half>(args, acc, row0, col0, lane); break;
    case KB_DTYPE_BF16: store_tile<__nv_bfloat16>(args, acc, row0, col0, lane); break;
    default: store_tile<float>(args, acc, row0, col0, lane); break;
    }
}

/* i32: C = AB (beta 0) or C += AB (beta 1), wrapping like the reference. */
__device__ __forceinline__ void epilogue(const TcArgs &args, const int (&acc)[MI][NI][4], int row0, int col0, int lane)
{
    int *c = static_cast<int *>(args.c);
    const bool add = args.beta != 0.0f, pair = args.c_pair_ok != 0;
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int mi = 0; mi < MI; ++mi) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            const int row = row0 + mi * 16 + g + 8 * h;
            if (row >= args.m)
                continue;
            int *crow = c + (int64_t)row * args.ldc;
#pragma unroll
            for (int ni = 0; ni < NI; ++ni) {
                const int col = col0 + ni * 8 + 2 * t;
                if (col >= args.n)
                    continue;
                uint32_t x = (uint32_t)acc[mi][ni][2 * h], y = (uint32_t)acc[mi][ni][2 * h + 1];
                if (pair && col + 1 < args.n) {
                    int2 *p = reinterpret_cast<int2 *>(crow + col);
                    if (add) {
                        const int2 old = *p;
                        x += (uint32_t)old.x;
                        y += (uint32_t)old.y;
                    }
                    *p = make_int2((int)x, (int)y);
                } else {
                    crow[col] = (int)(x + (add ? (uint32_t)crow[col] : 0u));
                    if (col + 1 < args.n)
                        crow[col + 1] = (int)(y + (add ? (uint32_t)crow[col + 1] : 0u));
                }
            }
        }
    }
}

/* ---- the kernel ------------------------------------------------------------- */

template <class Tr, bool A_K, bool B_K, bool VEC>
__global__ void __launch_bounds__(THREADS, KBC_MM_TC_MIN_BLOCKS) tc_gemm(const TcArgs args)
{
    using Acc = typename Tr::Acc;
    constexpr int ES = Tr::ES;
    constexpr int BK = BKB / ES;
    extern __shared__ __align__(1024) unsigned char smem[];

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int warp_m = warp / WARPS_N, warp_n = warp % WARPS_N;
    int64_t tile_m, tile_n;
    kbc_mm_tile_of(blockIdx.x, args.tiles_m, args.tiles_n, KBC_MM_GROUP_M, &tile_m, &tile_n);
    const int m0 = (int)tile_m * BM, n0 = (int)tile_n * BN;

    LoaderOf<BM, ES, A_K, VEC> load_a(args.a, args.lda, args.m, m0, args.k, args.a_mn_major);
    LoaderOf<BN, ES, B_K, VEC> load_b(args.b, args.ldb, args.n, n0, args.k, args.b_mn_major);

    const uint32_t sbase = smem_addr(smem);
    const int ktiles = (args.k + BK - 1) / BK;

    Acc acc[MI][NI][4];
#pragma unroll
    for (int mi = 0; mi < MI; ++mi)
#pragma unroll
        for (int ni = 0; ni < NI; ++ni)
#pragma unroll
            for (int r = 0; r < 4; ++r)
                acc[mi][ni][r] = Acc(0);

    /* Prologue: tiles 0 .. STAGES-2 in flight, one commit group each (empty
     * groups past the last tile keep the group count uniform). */
#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < ktiles) {
            load_a.load(sbase + s * STAGE_BYTES, s);
            load_b.load(sbase + s * STAGE_BYTES + A_STAGE_BYTES, s);
        }
        cp_async_commit();
    }
    cp_async_wait<STAGES - 2>();
    __syncthreads();

    uint32_t af[2][MI][4], bf[2][NI][2];
    int read_stage = 0, write_stage = STAGES - 1;
    load_a_frags<A_K>(af[0], sbase, warp_m, lane, 0);
    load_b_frags<B_K>(bf[0], sbase + A_STAGE_BYTES, warp_n, lane, 0);

#pragma unroll 1
    for (int kt = 0; kt < ktiles; ++kt) {
#pragma unroll
        for (int kk = 0; kk < KSTEPS; ++kk) {
            if (kk == KSTEPS - 1) {
                /* Tile kt+1 has landed (at most STAGES-2 younger groups are
                 * pending) and every warp is done reading tile kt-1's stage. */
                cp_async_wait<STAGES - 2>();
                __syncthreads();
                read_stage = read_stage + 1 == STAGES ? 0 : read_stage + 1;
            }
            const uint32_t rs = sbase + read_stage * STAGE_BYTES;
            const int nkk = (kk + 1) % KSTEPS;
            load_a_frags<A_K>(af[(kk + 1) & 1], rs, warp_m, lane, nkk);
            load_b_frags<B_K>(bf[(kk + 1) & 1], rs + A_STAGE_BYTES, warp_n, lane, nkk);
            if (kk == 0) {
                const int next = kt + STAGES - 1;
                if (next < ktiles) {
                    const uint32_t ws = sbase + write_stage * STAGE_BYTES;
                    load_a.load(ws, next);
                    load_b.load(ws + A_STAGE_BYTES, next);
                }
                cp_async_commit();
                write_stage = write_stage + 1 == STAGES ? 0 : write_stage + 1;
            }
#pragma unroll
            for (int mi = 0; mi < MI; ++mi)
#pragma unroll
                for (int ni = 0; ni < NI; ++ni)
                    Tr::Mma::run(acc[mi][ni], af[kk & 1][mi], bf[kk & 1][ni]);
        }
    }
    cp_async_wait<0>();

    epilogue(args, acc, m0 + warp_m * WM, n0 + warp_n * WN, lane);
}

} // namespace kbc_mm

#endif /* KBC_MATMUL_TC_KERNEL_CUH */
