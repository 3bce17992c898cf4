/*
 * cast.cu - f16/bf16 <-> f32 over a strided [rows, cols] matrix, for the
 * via_f32 path of the matmul "lt" (see cast.h).  Memory-bound and simple:
 * one element per thread and step; block rows stride over the matrix rows
 * (gridDim.y is capped at 65535), threads stride over the columns.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cast.h"
#include "cuda_check.h"

namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxGridX = 4096;  /* the column loop covers wider rows */
constexpr int64_t kMaxGridY = 65535; /* the hardware limit of gridDim.y */

__device__ __forceinline__ float widen(__half v) { return __half2float(v); }
__device__ __forceinline__ float widen(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T> __device__ __forceinline__ T narrow(float v);
template <> __device__ __forceinline__ __half narrow<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 narrow<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

template <typename T>
__global__ void to_f32_kernel(const T *__restrict__ src, int64_t src_ld, float *__restrict__ dst, int64_t dst_ld,
                              int64_t rows, int64_t cols)
{
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y)
        for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += (int64_t)gridDim.x * blockDim.x)
            dst[r * dst_ld + c] = widen(src[r * src_ld + c]);
}

template <typename T>
__global__ void from_f32_kernel(const float *__restrict__ src, int64_t src_ld, T *__restrict__ dst, int64_t dst_ld,
                                int64_t rows, int64_t cols)
{
    for (int64_t r = blockIdx.y; r < rows; r += gridDim.y)
        for (int64_t c = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; c < cols; c += (int64_t)gridDim.x * blockDim.x)
            dst[r * dst_ld + c] = narrow<T>(src[r * src_ld + c]);
}

dim3 grid_for(int64_t rows, int64_t cols)
{
    int64_t gx = (cols + kThreads - 1) / kThreads;
    gx = gx < kMaxGridX ? gx : kMaxGridX;
    int64_t gy = rows < kMaxGridY ? rows : kMaxGridY;
    return dim3((unsigned)gx, (unsigned)gy, 1);
}

const char *dtype_name(kb_dtype t)
{
    const char *s = kb_dtype_name(t);
    return s ? s : "invalid";
}

} // namespace

extern "C" kb_status kbcl_cast_to_f32(const void *src, kb_dtype src_dtype, int64_t src_ld, float *dst, int64_t dst_ld,
                                      int64_t rows, int64_t cols, void *stream, char *err, size_t err_len)
{
    if (rows <= 0 || cols <= 0)
        return KB_OK;
    cudaStream_t s = (cudaStream_t)stream;
    dim3 grid = grid_for(rows, cols);
    switch (src_dtype) {
    case KB_DTYPE_F16:
        to_f32_kernel<__half><<<grid, kThreads, 0, s>>>((const __half *)src, src_ld, dst, dst_ld, rows, cols);
        break;
    case KB_DTYPE_BF16:
        to_f32_kernel<__nv_bfloat16>
            <<<grid, kThreads, 0, s>>>((const __nv_bfloat16 *)src, src_ld, dst, dst_ld, rows, cols);
        break;
    default:
        return kb_fail(KB_ERR_INTERNAL, err, err_len, "cast to f32: no %s kernel", dtype_name(src_dtype));
    }
    KBC_CHECK_LAUNCH("kbcl to_f32", err, err_len);
    return KB_OK;
}

extern "C" kb_status kbcl_cast_from_f32(const float *src, int64_t src_ld, void *dst, kb_dtype dst_dtype,
                                        int64_t dst_ld, int64_t rows, int64_t cols, void *stream, char *err,
                                        size_t err_len)
{
    if (rows <= 0 || cols <= 0)
        return KB_OK;
    cudaStream_t s = (cudaStream_t)stream;
    dim3 grid = grid_for(rows, cols);
    switch (dst_dtype) {
    case KB_DTYPE_F16:
        from_f32_kernel<__half><<<grid, kThreads, 0, s>>>(src, src_ld, (__half *)dst, dst_ld, rows, cols);
        break;
    case KB_DTYPE_BF16:
        from_f32_kernel<__nv_bfloat16><<<grid, kThreads, 0, s>>>(src, src_ld, (__nv_bfloat16 *)dst, dst_ld, rows, cols);
        break;
    default:
        return kb_fail(KB_ERR_INTERNAL, err, err_len, "cast from f32: no %s kernel", dtype_name(dst_dtype));
    }
    KBC_CHECK_LAUNCH("kbcl from_f32", err, err_len);
    return KB_OK;
}
