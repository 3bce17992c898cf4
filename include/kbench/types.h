/*
 * kbench/types.h - status codes, element types and tensors of the kbench
 * plugin ABI.
 *
 * Everything here is plain data: a plugin author reads these structs, the
 * harness fills them.  Structs only ever grow at the end (see abi.md).
 */
#ifndef KBENCH_TYPES_H
#define KBENCH_TYPES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every ABI function returns one of these.  Functions that can fail also take
 * an error buffer (char *err, size_t err_len) to explain why in one line. */
typedef enum kb_status {
    KB_OK = 0,
    KB_ERR_UNSUPPORTED = 1, /* the problem is valid but this kernel cannot run it */
    KB_ERR_INVALID = 2,     /* the problem or an argument is malformed */
    KB_ERR_NOMEM = 3,       /* an allocation failed */
    KB_ERR_DEVICE = 4,      /* the device or its runtime failed or is absent */
    KB_ERR_INTERNAL = 5     /* anything else; the message says what */
} kb_status;

/* Element types.  f16, bf16 and fp8 travel as raw bits (uint16_t / uint8_t);
 * kbench/convert.h converts them.  KB_DTYPE_F64 is used by the reference
 * plugin to hand the harness its high-precision results; other plugins need
 * not support it.  Values are stable across ABI versions. */
typedef enum kb_dtype {
    KB_DTYPE_INVALID = 0,
    KB_DTYPE_F32 = 1,
    KB_DTYPE_F16 = 2,      /* IEEE 754 binary16 */
    KB_DTYPE_BF16 = 3,     /* bfloat16: the top half of an f32 */
    KB_DTYPE_FP8_E4M3 = 4, /* OCP FP8 E4M3 (fn): no infinities, one NaN code per sign, max 448 */
    KB_DTYPE_FP8_E5M2 = 5, /* OCP FP8 E5M2: IEEE-like, infinities, max 57344 */
    KB_DTYPE_I8 = 6,
    KB_DTYPE_I32 = 7,
    KB_DTYPE_F64 = 8
} kb_dtype;

/* Size in bytes of one element, 0 for an unknown dtype. */
static inline size_t kb_dtype_size(kb_dtype t)
{
    switch (t) {
    case KB_DTYPE_F32: case KB_DTYPE_I32: return 4;
    case KB_DTYPE_F16: case KB_DTYPE_BF16: return 2;
    case KB_DTYPE_FP8_E4M3: case KB_DTYPE_FP8_E5M2: case KB_DTYPE_I8: return 1;
    case KB_DTYPE_F64: return 8;
    default: return 0;
    }
}

/* Short lower-case name ("f32", "e4m3", ...), the spelling used everywhere
 * in kbench's output and suite files; NULL for an unknown dtype. */
static inline const char *kb_dtype_name(kb_dtype t)
{
    switch (t) {
    case KB_DTYPE_F32: return "f32";
    case KB_DTYPE_F16: return "f16";
    case KB_DTYPE_BF16: return "bf16";
    case KB_DTYPE_FP8_E4M3: return "e4m3";
    case KB_DTYPE_FP8_E5M2: return "e5m2";
    case KB_DTYPE_I8: return "i8";
    case KB_DTYPE_I32: return "i32";
    case KB_DTYPE_F64: return "f64";
    default: return NULL;
    }
}

static inline int kb_dtype_is_float(kb_dtype t)
{
    return t == KB_DTYPE_F32 || t == KB_DTYPE_F16 || t == KB_DTYPE_BF16 ||
           t == KB_DTYPE_FP8_E4M3 || t == KB_DTYPE_FP8_E5M2 || t == KB_DTYPE_F64;
}

#define KB_MAX_RANK 4

/* A strided view of memory.  shape[] and strides[] use only the first `rank`
 * entries; strides count elements, not bytes.  Element (i0, i1, ...) lives at
 * data + (i0*strides[0] + i1*strides[1] + ...) * kb_dtype_size(dtype).
 * For a host plugin `data` is a host pointer; for a device plugin it is what
 * the plugin's alloc hook returned.  The harness always hands out tensors whose
 * innermost stride is 1; outer strides may be larger than the packed size
 * (leading dimensions). */
typedef struct kb_tensor {
    kb_dtype dtype;
    int32_t rank;
    int64_t shape[KB_MAX_RANK];
    int64_t strides[KB_MAX_RANK];
    void *data;
} kb_tensor;

/* Number of elements (product of the shape). */
static inline int64_t kb_tensor_numel(const kb_tensor *t)
{
    int64_t n = 1;
    for (int32_t i = 0; i < t->rank; i++)
        n *= t->shape[i];
    return n;
}

/* Element offset (in elements) of a multi-index with `rank` entries. */
static inline int64_t kb_tensor_offset(const kb_tensor *t, const int64_t *index)
{
    int64_t off = 0;
    for (int32_t i = 0; i < t->rank; i++)
        off += index[i] * t->strides[i];
    return off;
}

/* Offset of element (i, j) of a rank-2 tensor, the common case. */
static inline int64_t kb_tensor_offset2(const kb_tensor *t, int64_t i, int64_t j)
{
    return i * t->strides[0] + j * t->strides[1];
}

#ifdef __cplusplus
}
#endif
#endif /* KBENCH_TYPES_H */
