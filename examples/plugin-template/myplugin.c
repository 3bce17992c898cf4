/*
 * myplugin.c - a minimal out-of-tree kbench plugin: one op (softmax), one
 * kernel ("plain", f32).  Copy this folder, rename the plugin, and replace
 * the kernel with yours; docs/writing-a-plugin.md explains every field.
 *
 * The math and its edge rules are in kbench/ops.h and docs/ops.md:
 *   y[r, :] = softmax(scale * x[r, :])      or log_softmax when asked;
 *   -inf entries give 0 (log: -inf); an all -inf row gives 0 (log: -inf);
 *   a row holding NaN or +inf gives NaN everywhere in that row.
 * Rows are addressed through strides[0]: the harness pads rows to catch a
 * kernel that assumes packed tensors.
 */
#include <math.h>
#include <stdio.h>

#include <kbench/checks.h> /* kb_check_softmax, kb_fail: optional helpers for supports() */
#include <kbench/kbench.h>

/* Which problems this kernel takes.  Cheap, and never touches tensor data.
 * kb_check_softmax (kbench/checks.h) answers whether the problem is a
 * well-formed softmax (shapes, strides, data pointers, scale, dtypes), with
 * a one-line reason if not; what is left is what this kernel can do. */
static kb_status plain_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    kb_status st = kb_check_softmax(p, why, why_len);
    if (st != KB_OK)
        return st;
    if (p->u.softmax.x.dtype != KB_DTYPE_F32)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "only f32 is implemented");
    return KB_OK;
}

/* One row: max, sum of exponentials (in double, so long rows stay
 * accurate), then the outputs. */
static void softmax_row(const float *x, float *y, int64_t cols, double scale, int log_mode)
{
    double max = -INFINITY;
    int poisoned = 0; /* a NaN or +inf in the row makes the whole row NaN */
    for (int64_t c = 0; c < cols; c++) {
        double z = scale * x[c];
        if (isnan(z) || z == INFINITY) poisoned = 1;
        else if (z > max) max = z;
    }
    if (poisoned) {
        for (int64_t c = 0; c < cols; c++) y[c] = NAN;
        return;
    }
    if (max == -INFINITY) { /* every entry masked: the limit, not 0/0 */
        for (int64_t c = 0; c < cols; c++) y[c] = log_mode ? -INFINITY : 0.0f;
        return;
    }
    double sum = 0.0;
    for (int64_t c = 0; c < cols; c++) sum += exp(scale * x[c] - max); /* exp(-inf) = 0 */
    double log_sum = log(sum);
    for (int64_t c = 0; c < cols; c++) {
        double z = scale * x[c] - max;
        y[c] = (float)(log_mode ? z - log_sum : exp(z) / sum);
    }
}

static kb_status plain_run(void *ctx, const kb_problem *p, void *workspace, void *stream,
                           char *err, size_t err_len)
{
    (void)ctx; (void)workspace; (void)stream; /* host kernel: no scratch, no stream */
    const kb_softmax_params *s = &p->u.softmax;
    if (s->x.dtype != KB_DTYPE_F32 || s->y.dtype != KB_DTYPE_F32) {
        if (err) snprintf(err, err_len, "plain: expected f32 x and y");
        return KB_ERR_INVALID;
    }
    for (int64_t r = 0; r < s->rows; r++) {
        const float *x = (const float *)s->x.data + r * s->x.strides[0];
        float *y = (float *)s->y.data + r * s->y.strides[0];
        softmax_row(x, y, s->cols, (double)s->scale, s->log_softmax != 0);
    }
    return KB_OK;
}

static const kb_kernel kernels[] = {
    /* name, op, description, supports, workspace_bytes (NULL: none), run */
    {"plain", KB_OP_SOFTMAX, "f32 softmax, one row at a time, sums in double",
     plain_supports, NULL, plain_run},
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "myplugin", /* unique among loaded plugins: [a-z0-9_-]+ */
    .version = "0.1.0",
    .backend = KB_BACKEND_HOST,
    .description = "template out-of-tree plugin: f32 softmax",
    .init = NULL, /* nothing to set up; a thread pool would go here */
    .fini = NULL,
    .device = {0}, /* host plugin: no device hooks */
    .kernel_count = sizeof kernels / sizeof kernels[0],
    .kernels = kernels,
};

KB_PLUGIN_ENTRY { return &plugin; }
