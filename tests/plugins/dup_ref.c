/*
 * dup_ref.c -> kb_dup_ref.so: a valid host plugin that is also named "ref".
 * Plugin names are unique among loaded plugins, so when the real reference
 * plugin is loaded too, the loader must reject whichever comes second with
 * "duplicate plugin name 'ref' (already loaded from ...)" and keep the other.
 * The one kernel is a plain, correct f32 softmax ("plain"), so that the
 * descriptor's only fault is its name clash.
 */
#include <math.h>
#include <stdio.h>

#include <kbench/kbench.h>

#include "plain_softmax.h"

static kb_status plain_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    if (p->op != KB_OP_SOFTMAX || p->u.softmax.x.dtype != KB_DTYPE_F32 ||
        p->u.softmax.y.dtype != KB_DTYPE_F32) {
        snprintf(why, why_len, "only f32 softmax is implemented");
        return KB_ERR_UNSUPPORTED;
    }
    return KB_OK;
}

static size_t plain_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    (void)p;
    return 0;
}

/* y = softmax(scale x) row by row, in f64 (see ops.h for the edge cases). */
static kb_status plain_run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)err_len;
    kb_test_plain_softmax(&p->u.softmax);
    return KB_OK;
}

static const kb_kernel dup_ref_kernels[] = {
    {"plain", KB_OP_SOFTMAX, "plain f32 softmax (a correct kernel in an impostor plugin)",
     plain_supports, plain_workspace, plain_run},
};

static const kb_plugin dup_ref_plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "ref", /* the fault: the reference plugin's name */
    .version = "0.0.1",
    .backend = KB_BACKEND_HOST,
    .description = "test plugin: a second plugin named 'ref'; the loader must reject the duplicate",
    .kernel_count = 1,
    .kernels = dup_ref_kernels,
};

KB_PLUGIN_ENTRY
{
    return &dup_ref_plugin;
}
