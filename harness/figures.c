#include "figures.h"

#include <stdio.h>

#include <kbench/types.h>

static double elem(kb_dtype t) { return (double)kb_dtype_size(t); }

kb_figures kb_case_figures(const kb_case *c)
{
    kb_figures f = {0, 0, 0};
    double n = (double)c->rows * (double)c->cols;
    switch (c->op) {
    case KB_OP_SOFTMAX:
        f.bytes = 2.0 * n * elem(c->dtype);
        break;
    case KB_OP_ATTENTION: {
        double q = (double)c->batch * c->heads_q * c->seq_q * c->head_dim;
        double kv = (double)c->batch * c->heads_kv * c->seq_kv * c->head_dim;
        f.flops = 4.0 * c->batch * c->heads_q * (double)c->seq_q * (double)c->seq_kv * (double)c->head_dim;
        if (c->causal) f.flops /= 2; /* FlashAttention's benchmark convention */
        f.bytes = (2.0 * q + 2.0 * kv) * elem(c->dtype) + 4.0 * c->batch * c->heads_q * c->seq_q;
        f.compute_bound = 1;
        break;
    }
    case KB_OP_QUANTIZE: {
        double groups = c->group_size ? (double)((c->cols + c->group_size - 1) / c->group_size) : 1;
        double scales = c->granularity == KB_SCALE_PER_TENSOR ? 1
                        : c->granularity == KB_SCALE_PER_ROW  ? (double)c->rows
                                                              : (double)c->rows * groups;
        switch (c->qkind) {
        case KB_QUANT_INT8: case KB_QUANT_DEQUANT_INT8: f.bytes = 5.0 * n + 4.0 * scales; break;
        case KB_QUANT_CAST: f.bytes = 4.0 * n + n * elem(c->out_dtype); break;
        case KB_QUANT_VQ: /* GEMM-shaped: the x.c products dominate, so it is reported in FLOP/s */
            f.bytes = 4.0 * n + 4.0 * (double)c->codes * c->cols + 4.0 * c->rows;
            f.flops = 2.0 * (double)c->rows * (double)c->codes * (double)c->cols;
            f.compute_bound = 1;
            break;
        }
        break;
    }
    case KB_OP_MATMUL: {
        f.flops = 2.0 * (double)c->m * (double)c->n * (double)c->k;
        double cbytes = (double)c->m * c->n * elem(c->out_dtype);
        f.bytes = ((double)c->m * c->k + (double)c->k * c->n) * elem(c->dtype) + cbytes * (c->beta != 0 ? 2 : 1);
        f.compute_bound = 1;
        break;
    }
    default:
        break;
    }
    return f;
}

void kb_benchmark_name(char *buf, size_t n, const kb_case *c, const char *plugin, const char *kernel,
                       const char *placement)
{
    snprintf(buf, n, "%s/%s.%s/%s/%s", kb_op_name(c->op), plugin, kernel, c->id, placement);
}
