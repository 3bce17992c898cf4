/*
 * null_run.c -> kb_null_run.so: plugin "null_run" whose one kernel has
 * run == NULL, an inconsistent descriptor.  The loader must reject the whole
 * plugin when it loads it ("kernel softmax.no_run has a NULL run"), before
 * anything could call through the NULL pointer.  supports() accepts f32
 * softmax, so a loader that let it through would crash the first verify.
 */
#include <stdio.h>

#include <kbench/kbench.h>

static kb_status no_run_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    if (p->op != KB_OP_SOFTMAX || p->u.softmax.x.dtype != KB_DTYPE_F32) {
        snprintf(why, why_len, "only f32 softmax");
        return KB_ERR_UNSUPPORTED;
    }
    return KB_OK;
}

static size_t no_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    (void)p;
    return 0;
}

static const kb_kernel null_run_kernels[] = {
    {"no_run", KB_OP_SOFTMAX, "has no run function (must never be called)",
     no_run_supports, no_workspace, NULL /* the fault */},
};

static const kb_plugin null_run_plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "null_run",
    .version = "0.0.1",
    .backend = KB_BACKEND_HOST,
    .description = "test plugin: a kernel with run == NULL; the loader must reject it",
    .kernel_count = 1,
    .kernels = null_run_kernels,
};

KB_PLUGIN_ENTRY
{
    return &null_run_plugin;
}
