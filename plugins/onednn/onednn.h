/*
 * onednn.h - what the onednn plugin's files share: the plugin context with
 * its engine, stream and primitive cache, and the matmul kernel's entry
 * points.
 */
#ifndef KB_ONEDNN_H
#define KB_ONEDNN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <dnnl.h>
#include <kbench/kbench.h>

#include "../baseline/baseline.h"

/* What identifies a matmul primitive: everything of the problem but its data
 * pointers.  Compared with memcmp, so keys are zeroed before being filled. */
typedef struct kb_dnnl_key {
    int64_t m, n, k;
    int64_t a_strides[2], b_strides[2], c_strides[2]; /* of op(A) [M,K], op(B) [K,N], C */
    int32_t a_dtype, c_dtype;
    float alpha, beta;
    int32_t accumulate; /* i8 with beta 1: oneDNN writes A B into packed s32, we add it to C */
    int32_t pad_;
} kb_dnnl_key;

/* One cached primitive, or a cached refusal (prim_desc NULL, `why` set). */
typedef struct kb_dnnl_entry {
    int used;
    uint64_t last_use;
    kb_dnnl_key key;
    kb_status status;
    char why[200];
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t prim;          /* created on first run: JIT code generation */
    dnnl_memory_t a, b, c, scratch; /* handles re-pointed at every run */
    size_t scratch_bytes;           /* user scratchpad, carved from the workspace */
} kb_dnnl_entry;

#define KB_DNNL_CACHE 64 /* primitives kept; least recently used goes first */

typedef struct kb_dnnl_ctx {
    int threads;
    dnnl_cpu_isa_t isa; /* the ISA oneDNN dispatches to (after the cap) */
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    pthread_mutex_t lock; /* the cache and the stream */
    uint64_t clock;
    kb_dnnl_entry cache[KB_DNNL_CACHE];
} kb_dnnl_ctx;

/* Drop every cached primitive (fini). */
void kb_dnnl_cache_clear(kb_dnnl_ctx *ctx);

/* "avx2", "avx2_vnni", ...; and whether that ISA has the VNNI dot products,
 * without which oneDNN's int8 GEMM is not exact (matmul.c). */
const char *kb_dnnl_isa_name(dnnl_cpu_isa_t isa);
int kb_dnnl_isa_has_vnni(dnnl_cpu_isa_t isa);

/* Make this thread's OpenMP parallel regions use the placement's count. */
void kb_dnnl_use_threads(const kb_dnnl_ctx *ctx);

kb_status kb_dnnl_matmul_supports(void *ctx, const kb_problem *p, char *why, size_t why_len);
size_t kb_dnnl_matmul_workspace(void *ctx, const kb_problem *p);
kb_status kb_dnnl_matmul_run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err,
                             size_t err_len);

#endif /* KB_ONEDNN_H */
