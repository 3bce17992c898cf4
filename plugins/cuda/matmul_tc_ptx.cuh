/*
 * matmul_tc_ptx.cuh - the PTX the tc matmul kernel is built from: cp.async
 * (global -> shared, 16 bytes, zero-filling), ldmatrix (shared -> mma
 * fragments) and mma.sync for f16, bf16 and s8.  sm_80 and later.
 *
 * Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k16" and
 * "...m16n8k32"), with g = lane / 4 and t = lane % 4:
 *   A 16x16 (f16/bf16): a[0] = (g, 2t..2t+1), a[1] = (g+8, 2t..), a[2] = (g, 2t+8..), a[3] = (g+8, 2t+8..)
 *   A 16x32 (s8):       a[0] = (g, 4t..4t+3), a[1] = (g+8, 4t..), a[2] = (g, 4t+16..), a[3] = (g+8, 4t+16..)
 *   B 16x8  (f16/bf16): b[0] = (k 2t..2t+1, n g), b[1] = (k 2t+8.., n g)
 *   B 32x8  (s8):       b[0] = (k 4t..4t+3, n g), b[1] = (k 4t+16.., n g)
 *   C 16x8  (f32/s32):  c[0..1] = (g, 2t..2t+1), c[2..3] = (g+8, 2t..2t+1)
 * In bytes the s8 layouts are the f16 ones (16 bytes of a row = 8 f16 or 16
 * s8), so the same ldmatrix addressing serves both.
 */
#ifndef KBC_MATMUL_TC_PTX_CUH
#define KBC_MATMUL_TC_PTX_CUH

#include <cstdint>

namespace kbc_mm {

__device__ __forceinline__ uint32_t smem_addr(const void *p)
{
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

/* Copy `src_bytes` (0..16) bytes from global `src` to shared `dst` and zero
 * the rest of the 16: src_bytes 0 reads nothing, so `src` only has to be a
 * valid address, not an element of the tensor. */
__device__ __forceinline__ void cp_async_16(uint32_t dst, const void *src, int src_bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes));
}

__device__ __forceinline__ void cp_async_commit()
{
    asm volatile("cp.async.commit_group;\n" ::);
}

/* Wait until at most N of this thread's committed groups are in flight. */
template <int N>
__device__ __forceinline__ void cp_async_wait()
{
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void st_shared_16(uint32_t dst, uint32_t x, uint32_t y, uint32_t z, uint32_t w)
{
    asm volatile("st.shared.v4.b32 [%0], {%1, %2, %3, %4};\n" ::"r"(dst), "r"(x), "r"(y), "r"(z), "r"(w)
                 : "memory");
}

/* Four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i,
 * register i receives this lane's pair (row lane/4, columns 2(lane%4)..+1). */
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

/* The same, each matrix transposed: register i receives (rows 2(lane%4)..+1,
 * column lane/4) of matrix i. */
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}

/* D = A B + D on one 16x8 tile: k16 for f16/bf16, k32 for s8. */
struct MmaF16 {
    static __device__ __forceinline__ void run(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2])
    {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};

struct MmaBF16 {
    static __device__ __forceinline__ void run(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2])
    {
        asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};

/* Without .satfinite the s32 accumulation wraps, like the reference. */
struct MmaS8 {
    static __device__ __forceinline__ void run(int (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2])
    {
        asm volatile("mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
                     "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
                     : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
                     : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
    }
};

} // namespace kbc_mm

#endif /* KBC_MATMUL_TC_PTX_CUH */
