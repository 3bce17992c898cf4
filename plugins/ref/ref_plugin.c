/*
 * plugins/ref/ref_plugin.c - the descriptor of the reference plugin.
 *
 * Two kernels per op: "exact" (the f64 truth the harness verifies against;
 * accepts f64 outputs) and "storage" (the straightforward computation in the
 * storage dtype, whose error the verifier uses as its yardstick).  No state:
 * init and fini are NULL, and nothing needs workspace.
 */
#include "ref.h"

static size_t no_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    (void)p;
    return 0;
}

/* The ABI's supports()/run() signatures around one op's check and run. */
#define REF_KERNEL_FNS(op, tag, mode)                                                         \
    static kb_status op##_##tag##_supports(void *ctx, const kb_problem *p, char *why,         \
                                           size_t why_len)                                    \
    {                                                                                         \
        (void)ctx;                                                                            \
        if (!p)                                                                               \
            return ref_fail(why, why_len, KB_ERR_INVALID, "problem is NULL");                 \
        return ref_##op##_check(p, mode, why, why_len);                                       \
    }                                                                                         \
    static kb_status op##_##tag##_run(void *ctx, const kb_problem *p, void *ws, void *stream, \
                                      char *err, size_t err_len)                              \
    {                                                                                         \
        (void)ctx;                                                                            \
        (void)ws;                                                                             \
        (void)stream;                                                                         \
        if (!p)                                                                               \
            return ref_fail(err, err_len, KB_ERR_INVALID, "problem is NULL");                 \
        return ref_##op##_run(p, mode, err, err_len);                                         \
    }

REF_KERNEL_FNS(softmax, exact, REF_EXACT)
REF_KERNEL_FNS(softmax, storage, REF_STORAGE)
REF_KERNEL_FNS(attention, exact, REF_EXACT)
REF_KERNEL_FNS(attention, storage, REF_STORAGE)
REF_KERNEL_FNS(quantize, exact, REF_EXACT)
REF_KERNEL_FNS(quantize, storage, REF_STORAGE)
REF_KERNEL_FNS(matmul, exact, REF_EXACT)
REF_KERNEL_FNS(matmul, storage, REF_STORAGE)

#define REF_KERNEL(op_, kop, tag, desc) \
    {#tag, kop, desc, op_##_##tag##_supports, no_workspace, op_##_##tag##_run}

static const kb_kernel kernels[] = {
    REF_KERNEL(softmax, KB_OP_SOFTMAX, exact, "f64 softmax rounded once; accepts an f64 y"),
    REF_KERNEL(softmax, KB_OP_SOFTMAX, storage, "f32 arithmetic rounded once to y: the verifier's yardstick"),
    REF_KERNEL(attention, KB_OP_ATTENTION, exact, "f64 scores, softmax and P V rounded once; accepts f64 O and LSE"),
    REF_KERNEL(attention, KB_OP_ATTENTION, storage,
               "S and P rounded to the input dtype, f32 accumulation: the verifier's yardstick"),
    REF_KERNEL(quantize, KB_OP_QUANTIZE, exact,
               "x/scale in f64 rounded half to even, f64 VQ distances; accepts an f64 dequant y"),
    REF_KERNEL(quantize, KB_OP_QUANTIZE, storage, "none: quantize outputs are checked exactly"),
    REF_KERNEL(matmul, KB_OP_MATMUL, exact, "f64 (int64) dot products rounded once; accepts an f64 C"),
    REF_KERNEL(matmul, KB_OP_MATMUL, storage,
               "f32 accumulation in k order rounded once to C (float path): the verifier's yardstick"),
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "ref",
    .version = "1.0.0",
    .backend = KB_BACKEND_HOST,
    .description = "reference oracle: plain loops over the definitions in docs/ops.md",
    .init = NULL,
    .fini = NULL,
    .device = {0},
    .kernel_count = sizeof kernels / sizeof kernels[0],
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    return &plugin;
}
