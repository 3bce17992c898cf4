#include "workload.h"

#include "guarded.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kbench/types.h>

#define GUARD_BYTE 0xA5 /* fills padding and guard zones */

size_t kb_tensor_span_bytes(const kb_tensor *t)
{
    if (t->rank == 0) return 0;
    int64_t last = 0;
    for (int i = 0; i < t->rank; i++) last += (t->shape[i] - 1) * t->strides[i];
    return (size_t)(last + 1) * kb_dtype_size(t->dtype);
}

/* Describe a tensor: shape given, row-major, `pad` extra elements per row. */
static void shape_tensor(kb_tensor *t, kb_dtype dtype, int rank, const int64_t *shape, int64_t pad)
{
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->rank = rank;
    int64_t stride = 1;
    for (int i = rank - 1; i >= 0; i--) {
        t->shape[i] = shape[i];
        t->strides[i] = stride;
        stride *= shape[i] + (i == rank - 1 ? pad : 0);
    }
}

static int add_role(kb_workload *w, kb_tensor *t, const char *name, int input, int output, int row_dims,
                    kb_check_kind check)
{
    kb_tensor_role *r = &w->roles[w->role_count++];
    r->t = t;
    r->name = name;
    r->input = input;
    r->output = output;
    r->row_dims = row_dims;
    r->check = check;
    return 0;
}

static void set_roles(kb_workload *w, kb_dtype fo)
{
    const kb_case *c = &w->c;
    kb_problem *p = &w->p;
    p->op = c->op;
    switch (c->op) {
    case KB_OP_SOFTMAX: {
        kb_softmax_params *s = &p->u.softmax;
        s->rows = c->rows;
        s->cols = c->cols;
        s->scale = c->scale;
        s->log_softmax = c->log_softmax;
        int64_t shape[2] = {c->rows, c->cols};
        shape_tensor(&s->x, c->dtype, 2, shape, c->pad);
        shape_tensor(&s->y, fo ? fo : c->dtype, 2, shape, c->pad);
        add_role(w, &s->x, "x", 1, 0, 1, KB_CHECK_FLOAT);
        add_role(w, &s->y, "y", 0, 1, 1, KB_CHECK_FLOAT);
        break;
    }
    case KB_OP_ATTENTION: {
        kb_attention_params *a = &p->u.attention;
        a->batch = c->batch;
        a->heads_q = c->heads_q;
        a->heads_kv = c->heads_kv;
        a->seq_q = c->seq_q;
        a->seq_kv = c->seq_kv;
        a->head_dim = c->head_dim;
        a->scale = c->scale;
        a->causal = c->causal;
        int64_t qs[4] = {c->batch, c->heads_q, c->seq_q, c->head_dim};
        int64_t ks[4] = {c->batch, c->heads_kv, c->seq_kv, c->head_dim};
        shape_tensor(&a->q, c->dtype, 4, qs, 0);
        shape_tensor(&a->k, c->dtype, 4, ks, 0);
        shape_tensor(&a->v, c->dtype, 4, ks, 0);
        shape_tensor(&a->o, fo ? fo : c->dtype, 4, qs, 0);
        shape_tensor(&a->lse, fo ? fo : KB_DTYPE_F32, 3, qs, 0);
        add_role(w, &a->q, "q", 1, 0, 3, KB_CHECK_FLOAT);
        add_role(w, &a->k, "k", 1, 0, 0, KB_CHECK_FLOAT);
        add_role(w, &a->v, "v", 1, 0, 0, KB_CHECK_FLOAT);
        add_role(w, &a->o, "o", 0, 1, 3, KB_CHECK_FLOAT);
        add_role(w, &a->lse, "lse", 0, 1, 3, KB_CHECK_FLOAT);
        break;
    }
    case KB_OP_QUANTIZE: {
        kb_quantize_params *q = &p->u.quantize;
        q->kind = c->qkind;
        q->rows = c->rows;
        q->cols = c->cols;
        q->granularity = c->granularity;
        q->group_size = c->group_size;
        q->saturate = c->saturate;
        q->codes = c->codes;
        int64_t shape[2] = {c->rows, c->cols};
        int64_t groups = c->group_size ? (c->cols + c->group_size - 1) / c->group_size : 1;
        int64_t sshape[2] = {c->granularity == KB_SCALE_PER_TENSOR ? 1 : c->rows, groups};
        int srank = c->granularity == KB_SCALE_PER_GROUP ? 2 : 1;
        int srow = c->granularity == KB_SCALE_PER_TENSOR ? 0 : 1;
        switch (c->qkind) {
        case KB_QUANT_INT8:
            shape_tensor(&q->x, KB_DTYPE_F32, 2, shape, 0);
            shape_tensor(&q->q, KB_DTYPE_I8, 2, shape, 0);
            shape_tensor(&q->scales, KB_DTYPE_F32, srank, sshape, 0);
            add_role(w, &q->x, "x", 1, 0, 1, KB_CHECK_FLOAT);
            add_role(w, &q->scales, "scales", 0, 1, srow, KB_CHECK_SCALE);
            add_role(w, &q->q, "q", 0, 1, 1, KB_CHECK_QUANT_Q);
            break;
        case KB_QUANT_DEQUANT_INT8:
            shape_tensor(&q->q, KB_DTYPE_I8, 2, shape, 0);
            shape_tensor(&q->scales, KB_DTYPE_F32, srank, sshape, 0);
            /* One f32 rounding is the definition, so even the oracle writes f32. */
            shape_tensor(&q->y, KB_DTYPE_F32, 2, shape, 0);
            add_role(w, &q->q, "q", 1, 0, 1, KB_CHECK_EXACT);
            add_role(w, &q->scales, "scales", 1, 0, srow, KB_CHECK_EXACT);
            add_role(w, &q->y, "y", 0, 1, 1, KB_CHECK_EXACT);
            break;
        case KB_QUANT_CAST:
            q->out_dtype = c->out_dtype;
            shape_tensor(&q->x, KB_DTYPE_F32, 2, shape, 0);
            shape_tensor(&q->y, c->out_dtype, 2, shape, 0);
            add_role(w, &q->x, "x", 1, 0, 1, KB_CHECK_FLOAT);
            add_role(w, &q->y, "y", 0, 1, 1, KB_CHECK_BITS);
            break;
        case KB_QUANT_VQ: {
            int64_t cshape[2] = {c->codes, c->cols};
            shape_tensor(&q->x, KB_DTYPE_F32, 2, shape, 0);
            shape_tensor(&q->codebook, KB_DTYPE_F32, 2, cshape, 0);
            shape_tensor(&q->indices, KB_DTYPE_I32, 1, shape, 0);
            add_role(w, &q->x, "x", 1, 0, 1, KB_CHECK_FLOAT);
            add_role(w, &q->codebook, "codebook", 1, 0, 0, KB_CHECK_FLOAT);
            add_role(w, &q->indices, "indices", 0, 1, 1, KB_CHECK_INDEX);
            break;
        }
        }
        break;
    }
    case KB_OP_MATMUL: {
        kb_matmul_params *m = &p->u.matmul;
        m->m = c->m;
        m->n = c->n;
        m->k = c->k;
        m->trans_a = c->trans_a;
        m->trans_b = c->trans_b;
        m->alpha = c->alpha;
        m->beta = c->beta;
        int64_t as[2] = {c->trans_a ? c->k : c->m, c->trans_a ? c->m : c->k};
        int64_t bs[2] = {c->trans_b ? c->n : c->k, c->trans_b ? c->k : c->n};
        int64_t cs[2] = {c->m, c->n};
        int int_path = c->dtype == KB_DTYPE_I8;
        shape_tensor(&m->a, c->dtype, 2, as, c->pad);
        shape_tensor(&m->b, c->dtype, 2, bs, c->pad);
        shape_tensor(&m->c, (fo && !int_path) ? fo : c->out_dtype, 2, cs, c->pad);
        add_role(w, &m->a, "a", 1, 0, c->trans_a ? 0 : 1, KB_CHECK_FLOAT);
        add_role(w, &m->b, "b", 1, 0, 0, KB_CHECK_FLOAT);
        add_role(w, &m->c, "c", c->beta != 0.0f, 1, 1, int_path ? KB_CHECK_EXACT : KB_CHECK_FLOAT);
        break;
    }
    default:
        break;
    }
}

void kb_workload_shape(kb_workload *w, const kb_case *c, kb_dtype float_out)
{
    static max_align_t nowhere; /* a non-NULL address for probes; never read */
    memset(w, 0, sizeof *w);
    w->c = *c;
    set_roles(w, float_out == KB_DTYPE_INVALID ? (kb_dtype)0 : float_out);
    for (int i = 0; i < w->role_count; i++) w->roles[i].t->data = &nowhere;
}

int kb_workload_init(kb_workload *w, const kb_case *c, kb_dtype float_out, const kb_workload *share,
                     char *err, size_t err_len)
{
    memset(w, 0, sizeof *w);
    w->c = *c;
    set_roles(w, float_out == KB_DTYPE_INVALID ? (kb_dtype)0 : float_out);
    for (int i = 0; i < w->role_count; i++) {
        kb_tensor_role *r = &w->roles[i];
        if (share && r->input && !r->output) {
            r->t->data = share->roles[i].t->data;
            continue;
        }
        size_t bytes = kb_tensor_span_bytes(r->t), total = 0;
        /* Guard pages on both sides; the slack up to the page end is the
         * canary zone (kb_workload_arm_guards). */
        void *mem = kb_guarded_alloc(bytes + KB_GUARD_BYTES, bytes, r->name, &total);
        if (!mem) {
            snprintf(err, err_len, "cannot allocate %zu bytes for tensor %s", bytes + KB_GUARD_BYTES, r->name);
            kb_workload_free(w);
            return -1;
        }
        r->t->data = mem;
        w->blocks[w->block_count] = mem;
        w->block_bytes[w->block_count++] = total;
    }
    return 0;
}

void kb_workload_free(kb_workload *w)
{
    for (int i = 0; i < w->block_count; i++) kb_guarded_free(w->blocks[i]);
    w->block_count = 0;
}

uint64_t kb_workload_input_hash(const kb_workload *w)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < w->role_count; i++) {
        const kb_tensor_role *r = &w->roles[i];
        if (!r->input || r->output) continue;
        const unsigned char *p = r->t->data;
        size_t n = kb_tensor_span_bytes(r->t);
        for (size_t j = 0; j < n; j++) h = (h ^ p[j]) * 1099511628211ull;
    }
    return h;
}

/* Padding elements: the ones past shape[rank-1] within each row. */
static int is_padded(const kb_tensor *t)
{
    return t->rank >= 2 && t->strides[t->rank - 2] > t->shape[t->rank - 1];
}

static void fill_padding(const kb_tensor *t)
{
    size_t es = kb_dtype_size(t->dtype);
    int64_t rows = kb_tensor_numel(t) / t->shape[t->rank - 1];
    int64_t ld = t->strides[t->rank - 2], w = t->shape[t->rank - 1];
    for (int64_t r = 0; r < rows; r++)
        memset((char *)t->data + (size_t)(r * ld + w) * es, GUARD_BYTE, (size_t)(ld - w) * es);
}

static int padding_intact(const kb_tensor *t)
{
    size_t es = kb_dtype_size(t->dtype);
    int64_t rows = kb_tensor_numel(t) / t->shape[t->rank - 1];
    int64_t ld = t->strides[t->rank - 2], w = t->shape[t->rank - 1];
    for (int64_t r = 0; r < rows - 1; r++) /* the last row's padding lies past the span */
        for (int64_t i = w; i < ld; i++)
            for (size_t b = 0; b < es; b++)
                if (((unsigned char *)t->data)[(size_t)(r * ld + i) * es + b] != GUARD_BYTE) return 0;
    return 1;
}

void kb_workload_arm_guards(kb_workload *w)
{
    for (int i = 0; i < w->role_count; i++) {
        kb_tensor *t = w->roles[i].t;
        for (int b = 0; b < w->block_count; b++) {
            if (w->blocks[b] != t->data) continue;
            size_t span = kb_tensor_span_bytes(t);
            memset((char *)t->data + span, GUARD_BYTE, w->block_bytes[b] - span);
            if (is_padded(t)) fill_padding(t);
        }
    }
}

const char *kb_workload_check_guards(const kb_workload *w, int *in_padding)
{
    for (int i = 0; i < w->role_count; i++) {
        const kb_tensor *t = w->roles[i].t;
        for (int b = 0; b < w->block_count; b++) {
            if (w->blocks[b] != t->data) continue;
            size_t span = kb_tensor_span_bytes(t);
            const unsigned char *g = (const unsigned char *)t->data + span;
            for (size_t j = 0; j < w->block_bytes[b] - span; j++)
                if (g[j] != GUARD_BYTE) { *in_padding = 0; return w->roles[i].name; }
            if (is_padded(t) && !padding_intact(t)) { *in_padding = 1; return w->roles[i].name; }
        }
    }
    return NULL;
}

void kb_elem_iter_init(kb_elem_iter *it, const kb_tensor *t, int row_dims, const int64_t *rows, int64_t row_count)
{
    memset(it, 0, sizeof *it);
    it->t = t;
    it->row_dims = row_dims;
    int64_t total_rows = 1;
    for (int i = 0; i < row_dims; i++) total_rows *= t->shape[i];
    it->inner_count = 1;
    for (int i = row_dims; i < t->rank; i++) it->inner_count *= t->shape[i];
    /* A tensor without rows (row_dims == 0) is always compared whole. */
    if (row_dims == 0 || !rows) {
        it->rows = NULL;
        it->row_count = total_rows;
    } else {
        it->rows = rows;
        it->row_count = row_count;
    }
}

int kb_elem_iter_next(kb_elem_iter *it, int64_t *offset, int64_t index[KB_MAX_RANK])
{
    if (it->inner == it->inner_count) {
        it->inner = 0;
        it->row_i++;
    }
    if (it->row_i >= it->row_count || it->inner_count == 0) return 0;
    const kb_tensor *t = it->t;
    int64_t row = it->rows ? it->rows[it->row_i] : it->row_i;
    int64_t inner = it->inner++;
    for (int d = t->rank - 1; d >= it->row_dims; d--) {
        index[d] = inner % t->shape[d];
        inner /= t->shape[d];
    }
    for (int d = it->row_dims - 1; d >= 0; d--) {
        index[d] = row % t->shape[d];
        row /= t->shape[d];
    }
    *offset = kb_tensor_offset(t, index);
    return 1;
}

void kb_format_index(char *buf, size_t n, const kb_tensor *t, const int64_t *index)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int d = 0; d < t->rank && len < n; d++)
        len += (size_t)snprintf(buf + len, n - len, "%s%lld", d ? "," : "[", (long long)index[d]);
    if (len < n) snprintf(buf + len, n - len, "]");
}

void kb_problem_retarget(kb_problem *dp, const kb_workload *w, void *const *blocks)
{
    for (int i = 0; i < w->role_count; i++) {
        size_t off = (size_t)((const char *)w->roles[i].t - (const char *)&w->p);
        kb_tensor *t = (kb_tensor *)((char *)dp + off);
        for (int b = 0; b < w->block_count; b++)
            if (w->roles[i].t->data == w->blocks[b]) t->data = blocks[b];
    }
}
