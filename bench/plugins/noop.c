/*
 * noop.c - the cheapest kernel that still verifies: softmax over rows of one
 * column (every output is 1, or the edge-rule value).  Timing it measures
 * what kbench's timing loop itself costs per iteration (bench/harness-overhead.sh).
 */
#include <math.h>
#include <stdio.h>

#include <kbench/kbench.h>

static kb_status supports(void *ctx, const kb_problem *p, char *why, size_t n)
{
    (void)ctx;
    const kb_softmax_params *s = &p->u.softmax;
    if (s->x.dtype != KB_DTYPE_F32 || s->cols != 1) {
        if (why) snprintf(why, n, "only f32 rows of one column");
        return KB_ERR_UNSUPPORTED;
    }
    return KB_OK;
}

static kb_status run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)n;
    const kb_softmax_params *s = &p->u.softmax;
    const float *x = s->x.data;
    float *y = s->y.data;
    for (int64_t r = 0; r < s->rows; r++) {
        float v = s->scale * x[r * s->x.strides[0]];
        float out = s->log_softmax ? 0.0f : 1.0f;
        if (isnan(v) || v == INFINITY) out = NAN;
        else if (v == -INFINITY) out = s->log_softmax ? -INFINITY : 0.0f;
        y[r * s->y.strides[0]] = out;
    }
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"noop", KB_OP_SOFTMAX, "one-column softmax: next to no work, for measuring kbench's overhead", supports, NULL,
     run},
};

static const kb_plugin plugin = {
    KB_ABI_VERSION, sizeof(kb_plugin), "noop", "1.0", KB_BACKEND_HOST,
    "benchmark plugin: a kernel that costs next to nothing",
    NULL, NULL, {0}, 1, kernels,
};

KB_PLUGIN_ENTRY { return &plugin; }
