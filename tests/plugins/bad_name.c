/*
 * bad_name.c -> kb_bad_name.so: a plugin named "Bad Name!".  Plugin names are
 * [a-z0-9_-]+ (they appear in case ids, file names and suite files), so the
 * loader must reject it: "plugin name 'Bad Name!' is not ... [a-z0-9_-]".
 * Everything else is a valid descriptor: one kernel that declines every
 * problem and would report an error if it ever ran.
 */
#include <stdio.h>

#include <kbench/kbench.h>

static kb_status decline_all(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    (void)p;
    snprintf(why, why_len, "this test plugin runs nothing");
    return KB_ERR_UNSUPPORTED;
}

static kb_status never_run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)p; (void)ws; (void)stream;
    snprintf(err, err_len, "bad_name's kernel ran, but its plugin should have been rejected");
    return KB_ERR_INTERNAL;
}

static size_t no_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    (void)p;
    return 0;
}

static const kb_kernel bad_name_kernels[] = {
    {"nothing", KB_OP_SOFTMAX, "declines every problem", decline_all, no_workspace, never_run},
};

static const kb_plugin bad_name_plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "Bad Name!", /* the fault: upper case, a space and '!' */
    .version = "0.0.1",
    .backend = KB_BACKEND_HOST,
    .description = "test plugin: invalid plugin name; the loader must reject it",
    .kernel_count = 1,
    .kernels = bad_name_kernels,
};

KB_PLUGIN_ENTRY
{
    return &bad_name_plugin;
}
