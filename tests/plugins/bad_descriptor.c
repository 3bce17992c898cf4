/*
 * bad_descriptor.c -> kb_bad_<what>.so: descriptors the loader must refuse
 * with one line before calling anything in them (docs/robustness.md).
 * Built once per fault with -DKB_BAD=<number>:
 *
 *   1 count      kernel_count = 2^30, kernels pointing at one entry
 *   2 null_desc  kbench_plugin() returns NULL
 *   3 no_version version is NULL
 *   4 no_hooks   backend "cuda" without the device memory hooks
 *
 * The kernel itself would work; nothing of it may run.
 */
#include <stdio.h>

#include <kbench/kbench.h>

#ifndef KB_BAD
#error "build with -DKB_BAD=<1..4>"
#endif

static kb_status supports(void *ctx, const kb_problem *p, char *why, size_t n)
{
    (void)ctx, (void)p;
    snprintf(why, n, "must never be asked");
    return KB_ERR_UNSUPPORTED;
}

static kb_status run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx, (void)p, (void)ws, (void)stream;
    snprintf(err, n, "must never run");
    return KB_ERR_INTERNAL;
}

static const kb_kernel kernels[] = {
    {"k", KB_OP_SOFTMAX, "never runs", supports, NULL, run},
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "bad_descriptor",
    .version = KB_BAD == 3 ? NULL : "0",
    .backend = KB_BAD == 4 ? KB_BACKEND_CUDA : KB_BACKEND_HOST,
    .description = "test plugin: a descriptor the loader must refuse",
    .kernel_count = KB_BAD == 1 ? 1u << 30 : 1,
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    return KB_BAD == 2 ? NULL : &plugin;
}
