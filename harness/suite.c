/*
 * suite.c - parse suite text into cases and check each case against the op
 * contracts in ops.h, so that every later stage can trust a kb_case.
 *
 * Format (docs/suites.md): one case per line, `OP key=value ...`; '#' starts
 * a comment.  Why a hand-written parser: the format is a flat list of words,
 * and a JSON or INI dependency would make suite files harder to write.
 */
#include "suite.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kbench/types.h>

#include "workload.h"

extern const char kb_builtin_suite_smoke[];
extern const char kb_builtin_suite_default[];
extern const char kb_builtin_suite_perf[];

/* Largest tensor a case may ask for, in elements: keeps byte sizes far from
 * overflow and refuses absurd shapes before anything is allocated. */
#define KB_MAX_NUMEL ((int64_t)1 << 34)

typedef struct parse_ctx {
    const char *origin;
    int line;
    char *err;
    size_t err_len;
} parse_ctx;

static int fail(parse_ctx *pc, const char *fmt, ...)
{
    char msg[512]; /* room for a 160-byte case id and a value quoted back */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(pc->err, pc->err_len, "%s:%d: %s", pc->origin, pc->line, msg);
    /* One line without terminal escapes, whatever bytes the value quoted
     * in the message holds. */
    for (char *c = pc->err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    return -1;
}

static int parse_i64(parse_ctx *pc, const char *key, const char *val, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (end == val || *end)
        return fail(pc, "%s=%s is not an integer", key, val);
    if (errno == ERANGE || v < lo || v > hi) /* ERANGE: past what int64 holds */
        return fail(pc, "%s=%s is out of range [%lld, %lld]", key, val, (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

static int parse_flag(parse_ctx *pc, const char *key, const char *val, int *out)
{
    int64_t v = 0;
    if (parse_i64(pc, key, val, 0, 1, &v))
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_float(parse_ctx *pc, const char *key, const char *val, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    /* errno: overflow gives HUGE_VAL (not finite) and underflow a tiny value,
     * both refused below. */
    if (end == val || *end || !isfinite(v))
        return fail(pc, "%s=%s is not a finite number", key, val);
    /* The case holds a float: converting a double outside float's range is
     * undefined behaviour, and a tiny value rounding to 0 would silently
     * mean "default" for attention's scale. */
    if (fabs(v) > FLT_MAX || (v != 0 && fabs(v) < FLT_MIN))
        return fail(pc, "%s=%s is out of range for a 32-bit float", key, val);
    *out = (float)v;
    return 0;
}

static kb_dtype dtype_from_name(const char *s)
{
    for (int t = KB_DTYPE_F32; t <= KB_DTYPE_I32; t++)
        if (strcmp(s, kb_dtype_name((kb_dtype)t)) == 0)
            return (kb_dtype)t;
    return KB_DTYPE_INVALID;
}

static int parse_dtype(parse_ctx *pc, const char *key, const char *val, kb_dtype *out)
{
    *out = dtype_from_name(val);
    if (*out == KB_DTYPE_INVALID)
        return fail(pc, "%s=%s is not a dtype (f32, f16, bf16, e4m3, e5m2, i8, i32)", key, val);
    return 0;
}

#define DIM_MAX ((int64_t)1 << 31)

/* One key=value for the case's op; returns 1 if the key is unknown. */
static int apply_key(parse_ctx *pc, kb_case *c, const char *key, const char *val)
{
    switch (c->op) {
    case KB_OP_SOFTMAX:
        if (!strcmp(key, "dtype")) return parse_dtype(pc, key, val, &c->dtype);
        if (!strcmp(key, "rows")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->rows);
        if (!strcmp(key, "cols")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->cols);
        if (!strcmp(key, "scale")) return parse_float(pc, key, val, &c->scale);
        if (!strcmp(key, "log")) return parse_flag(pc, key, val, &c->log_softmax);
        if (!strcmp(key, "pad")) return parse_i64(pc, key, val, 0, 4096, &c->pad);
        break;
    case KB_OP_ATTENTION:
        if (!strcmp(key, "dtype")) return parse_dtype(pc, key, val, &c->dtype);
        if (!strcmp(key, "b")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->batch);
        if (!strcmp(key, "hq")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->heads_q);
        if (!strcmp(key, "hkv")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->heads_kv);
        if (!strcmp(key, "sq")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->seq_q);
        if (!strcmp(key, "skv")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->seq_kv);
        if (!strcmp(key, "d")) return parse_i64(pc, key, val, 1, 1024, &c->head_dim);
        if (!strcmp(key, "causal")) return parse_flag(pc, key, val, &c->causal);
        if (!strcmp(key, "scale")) return parse_float(pc, key, val, &c->scale);
        break;
    case KB_OP_QUANTIZE:
        if (!strcmp(key, "kind")) {
            static const char *const names[] = {NULL, "int8", "dequant", "cast", "vq"};
            for (int i = 1; i <= 4; i++)
                if (!strcmp(val, names[i])) { c->qkind = (kb_quant_kind)i; return 0; }
            return fail(pc, "kind=%s is not one of int8, dequant, cast, vq", val);
        }
        if (!strcmp(key, "gran")) {
            static const char *const names[] = {NULL, "tensor", "row", "group"};
            for (int i = 1; i <= 3; i++)
                if (!strcmp(val, names[i])) { c->granularity = (kb_scale_granularity)i; return 0; }
            return fail(pc, "gran=%s is not one of tensor, row, group", val);
        }
        if (!strcmp(key, "group")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->group_size);
        if (!strcmp(key, "rows")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->rows);
        if (!strcmp(key, "cols")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->cols);
        if (!strcmp(key, "codes")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->codes);
        if (!strcmp(key, "out")) return parse_dtype(pc, key, val, &c->out_dtype);
        if (!strcmp(key, "sat")) return parse_flag(pc, key, val, &c->saturate);
        break;
    case KB_OP_MATMUL:
        if (!strcmp(key, "a")) return parse_dtype(pc, key, val, &c->dtype);
        if (!strcmp(key, "c")) return parse_dtype(pc, key, val, &c->out_dtype);
        if (!strcmp(key, "m")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->m);
        if (!strcmp(key, "n")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->n);
        if (!strcmp(key, "k")) return parse_i64(pc, key, val, 1, DIM_MAX, &c->k);
        if (!strcmp(key, "ta")) return parse_flag(pc, key, val, &c->trans_a);
        if (!strcmp(key, "tb")) return parse_flag(pc, key, val, &c->trans_b);
        if (!strcmp(key, "alpha")) return parse_float(pc, key, val, &c->alpha);
        if (!strcmp(key, "beta")) return parse_float(pc, key, val, &c->beta);
        if (!strcmp(key, "pad")) return parse_i64(pc, key, val, 0, 4096, &c->pad);
        break;
    default:
        break;
    }
    return 1;
}

static int need(parse_ctx *pc, int64_t v, const char *key)
{
    return v > 0 ? 0 : fail(pc, "missing %s=", key);
}

static int too_big(parse_ctx *pc, double numel, const char *what)
{
    if (numel > (double)KB_MAX_NUMEL)
        return fail(pc, "%s has %.3g elements, more than kbench allows (%lld)", what, numel,
                    (long long)KB_MAX_NUMEL);
    return 0;
}

static int is_float_storage(kb_dtype t)
{
    return t == KB_DTYPE_F32 || t == KB_DTYPE_F16 || t == KB_DTYPE_BF16;
}

/* Check the case against ops.h and fill its id and dtype label. */
static int finish_case(parse_ctx *pc, kb_case *c)
{
    char *id = c->id;
    size_t n = sizeof c->id;
    switch (c->op) {
    case KB_OP_SOFTMAX:
        if (need(pc, c->rows, "rows") || need(pc, c->cols, "cols")) return -1;
        if (!is_float_storage(c->dtype)) return fail(pc, "softmax dtype must be f32, f16 or bf16");
        if (!(c->scale > 0)) return fail(pc, "softmax scale must be > 0");
        if (too_big(pc, (double)c->rows * c->cols, "x")) return -1;
        snprintf(id, n, "rows=%lld,cols=%lld,dtype=%s,scale=%g%s", (long long)c->rows,
                 (long long)c->cols, kb_dtype_name(c->dtype), c->scale, c->log_softmax ? ",log" : "");
        snprintf(c->dtypes, sizeof c->dtypes, "%s", kb_dtype_name(c->dtype));
        return 0;
    case KB_OP_ATTENTION: {
        if (need(pc, c->batch, "b") || need(pc, c->heads_q, "hq") || need(pc, c->seq_q, "sq") ||
            need(pc, c->seq_kv, "skv") || need(pc, c->head_dim, "d"))
            return -1;
        if (c->heads_kv == 0) c->heads_kv = c->heads_q;
        if (c->heads_q % c->heads_kv) return fail(pc, "hq=%lld is not a multiple of hkv=%lld",
                                                 (long long)c->heads_q, (long long)c->heads_kv);
        if (!is_float_storage(c->dtype)) return fail(pc, "attention dtype must be f32, f16 or bf16");
        if (c->scale < 0) return fail(pc, "attention scale must be > 0");
        int custom_scale = c->scale != 0;
        if (!custom_scale) c->scale = (float)(1.0 / sqrt((double)c->head_dim));
        if (too_big(pc, (double)c->batch * c->heads_q * c->seq_q * c->head_dim, "q") ||
            too_big(pc, (double)c->batch * c->heads_kv * c->seq_kv * c->head_dim, "k"))
            return -1;
        int len = snprintf(id, n, "b=%lld,hq=%lld,hkv=%lld,sq=%lld,skv=%lld,d=%lld,dtype=%s%s",
                           (long long)c->batch, (long long)c->heads_q, (long long)c->heads_kv,
                           (long long)c->seq_q, (long long)c->seq_kv, (long long)c->head_dim,
                           kb_dtype_name(c->dtype), c->causal ? ",causal" : "");
        if (custom_scale) snprintf(id + len, n - len, ",scale=%g", c->scale);
        snprintf(c->dtypes, sizeof c->dtypes, "%s", kb_dtype_name(c->dtype));
        return 0;
    }
    case KB_OP_QUANTIZE: {
        if (need(pc, c->qkind, "kind") || need(pc, c->rows, "rows") || need(pc, c->cols, "cols"))
            return -1;
        if (too_big(pc, (double)c->rows * c->cols, "x")) return -1;
        int len = snprintf(id, n, "rows=%lld,cols=%lld", (long long)c->rows, (long long)c->cols);
        if (c->qkind == KB_QUANT_INT8 || c->qkind == KB_QUANT_DEQUANT_INT8) {
            if (need(pc, c->granularity, "gran")) return -1;
            if (c->granularity == KB_SCALE_PER_GROUP && need(pc, c->group_size, "group")) return -1;
            c->dtype = c->qkind == KB_QUANT_INT8 ? KB_DTYPE_F32 : KB_DTYPE_I8;
            c->out_dtype = c->qkind == KB_QUANT_INT8 ? KB_DTYPE_I8 : KB_DTYPE_F32;
            static const char *const g[] = {"", "tensor", "row", "group"};
            len += snprintf(id + len, n - len, ",kind=%s,gran=%s",
                            c->qkind == KB_QUANT_INT8 ? "int8" : "dequant", g[c->granularity]);
            if (c->granularity == KB_SCALE_PER_GROUP)
                snprintf(id + len, n - len, ",group=%lld", (long long)c->group_size);
        } else if (c->qkind == KB_QUANT_CAST) {
            kb_dtype o = c->out_dtype;
            if (o != KB_DTYPE_F16 && o != KB_DTYPE_BF16 && o != KB_DTYPE_FP8_E4M3 && o != KB_DTYPE_FP8_E5M2)
                return fail(pc, "cast needs out=f16, bf16, e4m3 or e5m2");
            c->dtype = KB_DTYPE_F32;
            snprintf(id + len, n - len, ",kind=cast,out=%s%s", kb_dtype_name(o), c->saturate ? ",sat" : "");
        } else {
            if (need(pc, c->codes, "codes")) return -1;
            if (too_big(pc, (double)c->codes * c->cols, "codebook")) return -1;
            c->dtype = KB_DTYPE_F32;
            c->out_dtype = KB_DTYPE_I32;
            snprintf(id + len, n - len, ",kind=vq,codes=%lld", (long long)c->codes);
        }
        static const char *const kinds[] = {"", "int8", "dequant", "cast", "vq"};
        snprintf(c->dtypes, sizeof c->dtypes, "%s:%s->%s", kinds[c->qkind], kb_dtype_name(c->dtype),
                 kb_dtype_name(c->out_dtype));
        return 0;
    }
    case KB_OP_MATMUL: {
        if (need(pc, c->m, "m") || need(pc, c->n, "n") || need(pc, c->k, "k")) return -1;
        if (c->dtype == KB_DTYPE_INVALID) return fail(pc, "missing a= (input dtype)");
        if (c->dtype == KB_DTYPE_I8) {
            if (c->out_dtype == KB_DTYPE_INVALID) c->out_dtype = KB_DTYPE_I32;
            if (c->out_dtype != KB_DTYPE_I32) return fail(pc, "i8 matmul needs c=i32");
            if (c->alpha != 1.0f) return fail(pc, "i8 matmul needs alpha=1");
            if (c->beta != 0.0f && c->beta != 1.0f) return fail(pc, "i8 matmul needs beta=0 or beta=1");
            if (c->k >= 131072) return fail(pc, "i8 matmul needs k < 131072 so that i32 cannot overflow");
        } else {
            if (!is_float_storage(c->dtype)) return fail(pc, "matmul a= must be f16, bf16, f32 or i8");
            if (c->out_dtype == KB_DTYPE_INVALID) c->out_dtype = KB_DTYPE_F32;
            if (!is_float_storage(c->out_dtype)) return fail(pc, "float matmul needs c=f32, f16 or bf16");
        }
        if (too_big(pc, (double)c->m * c->k, "a") || too_big(pc, (double)c->k * c->n, "b") ||
            too_big(pc, (double)c->m * c->n, "c"))
            return -1;
        int len = snprintf(id, n, "m=%lld,n=%lld,k=%lld,a=%s,c=%s", (long long)c->m, (long long)c->n,
                           (long long)c->k, kb_dtype_name(c->dtype), kb_dtype_name(c->out_dtype));
        if (c->trans_a) len += snprintf(id + len, n - len, ",ta");
        if (c->trans_b) len += snprintf(id + len, n - len, ",tb");
        if (c->alpha != 1.0f) len += snprintf(id + len, n - len, ",alpha=%g", c->alpha);
        if (c->beta != 0.0f) len += snprintf(id + len, n - len, ",beta=%g", c->beta);
        if (c->pad) snprintf(id + len, n - len, ",pad=%lld", (long long)c->pad);
        snprintf(c->dtypes, sizeof c->dtypes, "%s->%s", kb_dtype_name(c->dtype), kb_dtype_name(c->out_dtype));
        return 0;
    }
    default:
        return fail(pc, "internal: unknown op");
    }
}

/* One host buffer as kb_workload_init allocates it: the span and the canary
 * zone, rounded up to whole 4 KiB pages (the guard pages around it are
 * PROT_NONE and take no memory). */
static double buffer_bytes(const kb_tensor *t)
{
    return ceil(((double)kb_tensor_span_bytes(t) + KB_GUARD_BYTES) / 4096.0) * 4096.0;
}

double kb_case_host_bytes(const kb_case *c)
{
    /* Shapes only: nothing is allocated, and the layout (padding included)
     * is the one workload.c will use, not a second copy of its rules. */
    kb_workload w, ref;
    kb_workload_shape(&w, c, KB_DTYPE_INVALID);
    kb_workload_shape(&ref, c, KB_DTYPE_F64);
    double total = 0;
    for (int i = 0; i < w.role_count; i++) {
        total += buffer_bytes(w.roles[i].t);
        if (!w.roles[i].output) continue;
        total += buffer_bytes(ref.roles[i].t); /* the oracle's outputs (f64 for float ones) */
        total += buffer_bytes(w.roles[i].t);   /* the storage-dtype yardstick's outputs */
        if (c->op == KB_OP_MATMUL && c->beta != 0.0f)
            total += buffer_bytes(w.roles[i].t); /* C's initial values (beta != 0 reads C) */
    }
    return total;
}

/* Physical memory in bytes, or +inf when the system does not say. */
static double phys_mem_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? (double)pages * (double)page : INFINITY;
}

/* A case that cannot fit in memory is refused at load, not after minutes of
 * other cases and a failed (or, with overcommit, fatal) allocation. */
static int fits_memory(parse_ctx *pc, const kb_case *c)
{
    double need = kb_case_host_bytes(c), have = phys_mem_bytes();
    if (need > have)
        return fail(pc, "%s needs about %.1f GiB of host memory (inputs, outputs and the f64 reference), "
                        "more than this machine's %.1f GiB",
                    c->id, need / 1073741824.0, have / 1073741824.0);
    return 0;
}

static kb_op op_from_name(const char *s)
{
    for (int op = 1; op <= KB_OP_COUNT; op++)
        if (!strcmp(s, kb_op_name((kb_op)op)))
            return (kb_op)op;
    return KB_OP_INVALID;
}

static int parse_line(parse_ctx *pc, char *line, kb_case *c)
{
    char *save = NULL;
    char *word = strtok_r(line, " \t\r", &save);
    memset(c, 0, sizeof *c);
    c->line = pc->line;
    c->op = op_from_name(word);
    if (c->op == KB_OP_INVALID)
        return fail(pc, "unknown op '%s' (softmax, attention, quantize, matmul)", word);
    c->scale = c->op == KB_OP_SOFTMAX ? 1.0f : 0.0f;
    c->alpha = 1.0f;
    while ((word = strtok_r(NULL, " \t\r", &save))) {
        char *eq = strchr(word, '=');
        if (!eq || eq == word)
            return fail(pc, "'%s' is not key=value", word);
        *eq = '\0';
        int r = apply_key(pc, c, word, eq + 1);
        if (r < 0)
            return -1;
        if (r > 0)
            return fail(pc, "unknown key '%s' for %s", word, kb_op_name(c->op));
    }
    if (finish_case(pc, c)) return -1;
    return fits_memory(pc, c);
}

int kb_suite_parse(const char *text, const char *origin, kb_suite *out, char *err, size_t err_len)
{
    parse_ctx pc = {origin, 0, err, err_len};
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", origin);
    int cap = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        pc.line++;
        char *line = malloc(len + 1);
        if (!line) { fail(&pc, "out of memory"); goto error; }
        memcpy(line, p, len);
        line[len] = '\0';
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        if (strspn(line, " \t\r") < strlen(line)) {
            if (out->count == cap) {
                cap = cap ? cap * 2 : 32;
                kb_case *nc = realloc(out->cases, (size_t)cap * sizeof *nc);
                if (!nc) { free(line); fail(&pc, "out of memory"); goto error; }
                out->cases = nc;
            }
            kb_case *c = &out->cases[out->count];
            int r = parse_line(&pc, line, c);
            if (r) { free(line); goto error; }
            for (int i = 0; i < out->count; i++)
                if (out->cases[i].op == c->op && !strcmp(out->cases[i].id, c->id)) {
                    free(line);
                    fail(&pc, "same case as line %d", out->cases[i].line);
                    goto error;
                }
            out->count++;
        }
        free(line);
        p += len + (nl ? 1 : 0);
    }
    if (out->count == 0) {
        snprintf(err, err_len, "%s: no cases", origin);
        goto error;
    }
    return 0;
error:
    kb_suite_free(out);
    return -1;
}

int kb_suite_load(const char *spec, kb_suite *out, char *err, size_t err_len)
{
    if (!strcmp(spec, "smoke"))
        return kb_suite_parse(kb_builtin_suite_smoke, "smoke", out, err, err_len);
    if (!strcmp(spec, "default"))
        return kb_suite_parse(kb_builtin_suite_default, "default", out, err, err_len);
    if (!strcmp(spec, "perf"))
        return kb_suite_parse(kb_builtin_suite_perf, "perf", out, err, err_len);
    FILE *f = fopen(spec, "rb");
    if (!f) {
        snprintf(err, err_len, "suite '%s': not a built-in suite (smoke, default, perf) and cannot open the file: %s",
                 spec, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len + 1 == cap) {
            char *nt = realloc(text, cap * 2);
            if (!nt) { free(text); text = NULL; break; }
            text = nt;
            cap *= 2;
        }
    }
    fclose(f);
    if (!text) {
        snprintf(err, err_len, "%s: out of memory", spec);
        return -1;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        snprintf(err, err_len, "%s: not a text file (contains NUL bytes)", spec);
        return -1;
    }
    int r = kb_suite_parse(text, spec, out, err, err_len);
    free(text);
    return r;
}

void kb_suite_free(kb_suite *s)
{
    free(s->cases);
    s->cases = NULL;
    s->count = 0;
}

int64_t kb_case_output_rows(const kb_case *c)
{
    switch (c->op) {
    case KB_OP_SOFTMAX: case KB_OP_QUANTIZE: return c->rows;
    case KB_OP_ATTENTION: return c->batch * c->heads_q * c->seq_q;
    case KB_OP_MATMUL: return c->m;
    default: return 0;
    }
}

double kb_case_ref_cost(const kb_case *c)
{
    switch (c->op) {
    case KB_OP_SOFTMAX: return 30.0 * (double)c->rows * (double)c->cols;
    case KB_OP_ATTENTION:
        return 4.0 * c->batch * c->heads_q * (double)c->seq_q * (double)c->seq_kv * (double)c->head_dim;
    case KB_OP_QUANTIZE:
        if (c->qkind == KB_QUANT_VQ) return 3.0 * (double)c->rows * (double)c->codes * (double)c->cols;
        return 20.0 * (double)c->rows * (double)c->cols;
    case KB_OP_MATMUL: return 2.0 * (double)c->m * (double)c->n * (double)c->k;
    default: return 0;
    }
}
