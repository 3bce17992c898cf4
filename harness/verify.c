#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kbench/convert.h>

#include "inputs.h"
#include "poison.h"
#include "rng.h"
#include "suite.h"
#include "workload.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Rows to verify: all when the reference is cheap enough, else the first,
 * the last and random others, as many as the budget allows. */
static int64_t *choose_rows(const kb_case *c, double budget, uint64_t seed, int64_t *count)
{
    int64_t total = kb_case_output_rows(c);
    double cost = kb_case_ref_cost(c);
    if (cost <= budget || total <= 2) {
        *count = total;
        return NULL;
    }
    int64_t n = (int64_t)(budget / (cost / (double)total));
    if (n < 2) n = 2;
    if (n > total) n = total;
    int64_t *rows = malloc((size_t)n * sizeof *rows);
    if (!rows) {
        *count = total;
        return NULL;
    }
    kb_rng r;
    kb_rng_seed(&r, seed);
    rows[0] = 0;
    rows[1] = total - 1;
    int64_t got = 2;
    while (got < n) { /* rejection sampling: n is far below total here */
        int64_t cand = (int64_t)kb_rng_below(&r, (uint64_t)total);
        int dup = 0;
        for (int64_t i = 0; i < got && !dup; i++) dup = rows[i] == cand;
        if (!dup) rows[got++] = cand;
    }
    qsort(rows, (size_t)n, sizeof *rows, cmp_i64);
    *count = n;
    return rows;
}

static kb_status run_kernel(const kb_kernel *k, void *ctx, const kb_problem *p, char *err, size_t err_len)
{
    size_t ws = k->workspace_bytes ? k->workspace_bytes(ctx, p) : 0;
    void *mem = NULL;
    if (ws) {
        mem = aligned_alloc(64, (ws + 63) / 64 * 64);
        if (!mem) {
            snprintf(err, err_len, "cannot allocate the %zu-byte workspace the kernel asked for", ws);
            return KB_ERR_NOMEM;
        }
    }
    err[0] = '\0';
    kb_status st = k->run(ctx, p, mem, NULL, err, err_len);
    free(mem);
    return st;
}

/* A device plugin's run: every buffer of w (guard zones, padding and poison
 * included) is copied to device memory from the plugin's alloc hook, the
 * kernel runs on device pointers, and everything comes back, so the host-side
 * checks see exactly what the device holds. */
static kb_status run_on_device(const kb_loaded_plugin *lp, const kb_kernel *k, kb_workload *w, char *err,
                               size_t err_len)
{
    const kb_device_hooks *d = &lp->desc->device;
    void *ctx = lp->ctx, *dev[KB_MAX_ROLES] = {0}, *ws = NULL;
    kb_status st = KB_OK;
    err[0] = '\0';
    for (int i = 0; i < w->block_count && st == KB_OK; i++) {
        st = d->alloc(ctx, w->block_bytes[i], &dev[i], err, err_len);
        if (st == KB_OK) st = d->upload(ctx, dev[i], w->blocks[i], w->block_bytes[i], err, err_len);
    }
    kb_problem dp = w->p;
    kb_problem_retarget(&dp, w, dev);
    size_t wsb = st == KB_OK && k->workspace_bytes ? k->workspace_bytes(ctx, &dp) : 0;
    if (st == KB_OK && wsb) st = d->alloc(ctx, wsb, &ws, err, err_len);
    if (st == KB_OK) st = k->run(ctx, &dp, ws, NULL, err, err_len);
    if (st == KB_OK) st = d->synchronize(ctx, NULL, err, err_len);
    for (int i = 0; i < w->block_count && st == KB_OK; i++)
        st = d->download(ctx, w->blocks[i], dev[i], w->block_bytes[i], err, err_len);
    if (ws) d->free(ctx, ws);
    for (int i = 0; i < w->block_count; i++)
        if (dev[i]) d->free(ctx, dev[i]);
    return st;
}

static const char *status_name(kb_status st)
{
    switch (st) {
    case KB_OK: return "OK";
    case KB_ERR_UNSUPPORTED: return "UNSUPPORTED";
    case KB_ERR_INVALID: return "INVALID";
    case KB_ERR_NOMEM: return "NOMEM";
    case KB_ERR_DEVICE: return "DEVICE";
    case KB_ERR_INTERNAL: return "INTERNAL";
    default: return "unknown status";
    }
}

/* Copy matmul C's initial values (an input when beta != 0) into another
 * workload's C, converting dtype (exact: every value fits). */
static void copy_c(const kb_workload *from, kb_workload *to)
{
    const kb_tensor *s = &from->p.u.matmul.c;
    kb_tensor *d = &to->p.u.matmul.c;
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK];
    kb_elem_iter_init(&it, s, 0, NULL, 0);
    while (kb_elem_iter_next(&it, &off, idx))
        kb_store_f64(d->data, d->dtype, kb_tensor_offset(d, idx), kb_load_f64(s->data, s->dtype, off), 0);
}

static int needs_c_input(const kb_case *c) { return c->op == KB_OP_MATMUL && c->beta != 0.0f; }

/* Does the op have float outputs with a storage-dtype yardstick? */
static int has_yardstick(const kb_case *c)
{
    return c->op == KB_OP_SOFTMAX || c->op == KB_OP_ATTENTION || (c->op == KB_OP_MATMUL && c->dtype != KB_DTYPE_I8);
}

static int run_oracle(const kb_kernel *k, void *ctx, kb_workload *w, const char *what, char *err, size_t err_len)
{
    char msg[256];
    kb_status st = run_kernel(k, ctx, &w->p, msg, sizeof msg);
    if (st != KB_OK) {
        snprintf(err, err_len, "reference ref.%s failed on %s %s: %s (%s)", what, kb_op_name(w->c.op), w->c.id,
                 status_name(st), msg[0] ? msg : "no message");
        return -1;
    }
    return 0;
}

/* One kernel on the current inputs; returns 1 if it failed. */
static int check_target(kb_verify_target *t, kb_workload *w, const kb_workload *ref, const kb_workload *storage,
                        const kb_workload *c_initial, const int64_t *rows, int64_t row_count, uint64_t input_hash,
                        const char *pattern, int trial, const kb_verify_options *opt)
{
    char label[64], msg[256];
    snprintf(label, sizeof label, "%s#%d", pattern, trial);
    kb_workload_arm_guards(w);
    kb_poison_outputs(w);
    if (c_initial) copy_c(c_initial, w);
    int on_device = strcmp(t->plugin->desc->backend, KB_BACKEND_HOST) != 0;
    kb_status st = on_device ? run_on_device(t->plugin, t->kernel, w, msg, sizeof msg)
                             : run_kernel(t->kernel, t->plugin->ctx, &w->p, msg, sizeof msg);
    t->trials_run++;
    if (st != KB_OK) {
        snprintf(t->reason, sizeof t->reason, "%s: run() returned %s: %s", label, status_name(st),
                 msg[0] ? msg : "no message");
        return 1;
    }
    int in_padding = 0;
    const char *bad = kb_workload_check_guards(w, &in_padding);
    if (bad) {
        snprintf(t->reason, sizeof t->reason, "%s: wrote %s tensor %s", label,
                 in_padding ? "into the row padding (past the row length) of" : "past the end of", bad);
        return 1;
    }
    if (kb_workload_input_hash(w) != input_hash) {
        snprintf(t->reason, sizeof t->reason, "%s: wrote into an input tensor", label);
        return 1;
    }
    kb_check_result res;
    memset(&res, 0, sizeof res);
    kb_check_outputs(w, ref, storage, rows, row_count, &res);
    if (opt->verbose)
        printf("        %-10s %s.%s err %.3g bound %.3g%s%s\n", label, t->plugin->desc->name, t->kernel->name,
               res.max_err, res.bound, res.failed ? "  FAIL: " : "", res.failed ? res.reason : "");
    if (res.ratio >= t->worst.ratio || res.failed) {
        int64_t ties = t->worst.near_ties + res.near_ties;
        t->worst = res;
        t->worst.near_ties = ties;
    } else {
        t->worst.near_ties += res.near_ties;
    }
    if (res.failed) {
        snprintf(t->reason, sizeof t->reason, "%s: %s", label, res.reason);
        return 1;
    }
    return 0;
}

_Static_assert(KB_MAX_PATTERNS <= sizeof ((kb_verify_session *)0)->patterns / sizeof(char *),
               "kb_verify_session holds every pattern");

int kb_verify_target_reset(kb_verify_target *t)
{
    t->verdict = KB_VERDICT_PASS;
    t->reason[0] = '\0';
    memset(&t->worst, 0, sizeof t->worst);
    t->trials_run = 0;
    if (t->plugin->available) return 1;
    t->verdict = KB_VERDICT_SKIP;
    snprintf(t->reason, sizeof t->reason, "plugin unavailable: %s", t->plugin->why);
    return 0;
}

void kb_verify_admit(kb_verify_target *t, const kb_case *c)
{
    char why[256] = "";
    if (!kb_verify_target_reset(t)) return;
    kb_workload shape;
    kb_workload_shape(&shape, c, KB_DTYPE_INVALID);
    if (t->kernel->supports(t->plugin->ctx, &shape.p, why, sizeof why) != KB_OK) {
        t->verdict = KB_VERDICT_SKIP;
        snprintf(t->reason, sizeof t->reason, "unsupported: %s", why[0] ? why : "no reason given");
    }
}

static kb_workload *new_workload(const kb_case *c, kb_dtype float_out, const kb_workload *share, char *err,
                                 size_t err_len)
{
    kb_workload *w = malloc(sizeof *w);
    if (!w) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (kb_workload_init(w, c, float_out, share, err, err_len)) {
        free(w);
        return NULL;
    }
    return w;
}

static void free_workload(kb_workload *w)
{
    if (!w) return;
    kb_workload_free(w);
    free(w);
}

void kb_verify_end(kb_verify_session *s)
{
    free(s->rows);
    free_workload(s->c_initial);
    free_workload(s->storage);
    free_workload(s->ref);
    free_workload(s->w);
    memset(s, 0, sizeof *s);
    s->pattern = -1;
}

int kb_verify_begin(kb_verify_session *s, const kb_case *c, const kb_verify_options *opt, char *err, size_t err_len)
{
    memset(s, 0, sizeof *s);
    s->c = *c;
    s->opt = *opt;
    s->pattern = -1;
    if (!(s->w = new_workload(c, KB_DTYPE_INVALID, NULL, err, err_len)) ||
        !(s->ref = new_workload(c, KB_DTYPE_F64, s->w, err, err_len)) ||
        (has_yardstick(c) && !(s->storage = new_workload(c, KB_DTYPE_INVALID, s->w, err, err_len))) ||
        (needs_c_input(c) && !(s->c_initial = new_workload(c, KB_DTYPE_INVALID, s->w, err, err_len)))) {
        kb_verify_end(s);
        return -1;
    }
    s->rows = choose_rows(c, opt->ref_budget, kb_input_seed(opt->seed, c, "rows", 0), &s->row_count);
    s->ref->p.sample_rows = s->rows;
    s->ref->p.sample_row_count = s->rows ? s->row_count : 0;
    if (s->storage) {
        s->storage->p.sample_rows = s->ref->p.sample_rows;
        s->storage->p.sample_row_count = s->ref->p.sample_row_count;
    }
    s->pattern_count = kb_input_patterns(c, opt->trials, s->patterns, KB_MAX_PATTERNS);
    return 0;
}

/* The n-th trial of pattern p (patterns repeat: random#1, random#2, ...). */
static int trial_of(const kb_verify_session *s, int p) { return kb_input_trial(s->patterns, p); }

/* Draw pattern p's inputs into the session (C's initial values included). */
static void load_inputs(kb_verify_session *s, int p)
{
    kb_workload_arm_guards(s->w);
    kb_fill_inputs(s->w, s->patterns[p], kb_input_seed(s->opt.seed, &s->c, s->patterns[p], trial_of(s, p)));
    if (s->c_initial) {
        /* kb_fill_inputs wrote C's initial values into w: keep them. */
        copy_c(s->w, s->c_initial);
        copy_c(s->w, s->ref);
    }
    s->pattern = p;
    s->input_hash = kb_workload_input_hash(s->w);
}

int kb_verify_oracle(kb_verify_session *s, const kb_loaded_plugin *oracle, int p, char *err, size_t err_len)
{
    const kb_plugin *op = oracle->desc;
    const kb_case *c = &s->c;
    const kb_kernel *exact = kb_find_kernel(op, c->op, "exact");
    const kb_kernel *yard = s->storage ? kb_find_kernel(op, c->op, "storage") : NULL;
    if (!exact || (s->storage && !yard)) {
        snprintf(err, err_len, "the reference plugin has no %s kernel named '%s'", kb_op_name(c->op),
                 exact ? "storage" : "exact");
        return -1;
    }
    load_inputs(s, p);
    kb_poison_outputs(s->ref);
    if (run_oracle(exact, oracle->ctx, s->ref, "exact", err, err_len)) return -1;
    if (s->storage) {
        kb_poison_outputs(s->storage);
        if (s->c_initial) copy_c(s->w, s->storage);
        if (yard->supports(oracle->ctx, &s->storage->p, NULL, 0) == KB_OK &&
            run_oracle(yard, oracle->ctx, s->storage, "storage", err, err_len))
            return -1;
    }
    return 0;
}

int kb_verify_check(kb_verify_session *s, kb_verify_target *t)
{
    if (t->verdict != KB_VERDICT_PASS) return 0;
    int p = s->pattern;
    if (!check_target(t, s->w, s->ref, s->storage, s->c_initial, s->rows, s->row_count, s->input_hash,
                      s->patterns[p], trial_of(s, p) + 1, &s->opt))
        return 0;
    t->verdict = KB_VERDICT_FAIL;
    /* A kernel that scribbled on the inputs must not spoil the others' check. */
    if (kb_workload_input_hash(s->w) != s->input_hash)
        kb_fill_inputs(s->w, s->patterns[p], kb_input_seed(s->opt.seed, &s->c, s->patterns[p], trial_of(s, p)));
    return 1;
}

/* The workloads whose blocks travel, in a fixed order. */
static int session_parts(const kb_verify_session *s, const kb_workload **parts)
{
    int n = 0;
    parts[n++] = s->w;
    parts[n++] = s->ref;
    if (s->storage) parts[n++] = s->storage;
    if (s->c_initial) parts[n++] = s->c_initial;
    return n;
}

size_t kb_verify_export_bytes(const kb_verify_session *s)
{
    const kb_workload *parts[4];
    size_t total = 0;
    for (int i = 0, n = session_parts(s, parts); i < n; i++)
        for (int b = 0; b < parts[i]->block_count; b++) total += parts[i]->block_bytes[b];
    return total;
}

void kb_verify_export(const kb_verify_session *s, void *dst)
{
    const kb_workload *parts[4];
    char *o = dst;
    for (int i = 0, n = session_parts(s, parts); i < n; i++)
        for (int b = 0; b < parts[i]->block_count; b++) {
            memcpy(o, parts[i]->blocks[b], parts[i]->block_bytes[b]);
            o += parts[i]->block_bytes[b];
        }
}

int kb_verify_import(kb_verify_session *s, int pattern, const void *src, size_t n, char *err, size_t err_len)
{
    if (n != kb_verify_export_bytes(s) || pattern < 0 || pattern >= s->pattern_count) {
        snprintf(err, err_len, "verification data of %zu bytes for pattern %d does not match this case", n, pattern);
        return -1;
    }
    const kb_workload *parts[4];
    const char *in = src;
    for (int i = 0, np = session_parts(s, parts); i < np; i++)
        for (int b = 0; b < parts[i]->block_count; b++) {
            memcpy(parts[i]->blocks[b], in, parts[i]->block_bytes[b]);
            in += parts[i]->block_bytes[b];
        }
    s->pattern = pattern;
    s->input_hash = kb_workload_input_hash(s->w);
    return 0;
}

int kb_verify_case(const kb_case *c, const kb_oracle *oracle, kb_verify_target *targets, int target_count,
                   const kb_verify_options *opt, int64_t *sampled_rows, char *err, size_t err_len)
{
    int alive = 0;
    for (int i = 0; i < target_count; i++) {
        kb_verify_admit(&targets[i], c);
        alive += targets[i].verdict == KB_VERDICT_PASS;
    }
    *sampled_rows = kb_case_output_rows(c);
    if (!alive) return 0;
    kb_verify_session s;
    if (kb_verify_begin(&s, c, opt, err, err_len)) return -1;
    *sampled_rows = s.row_count;
    for (int p = 0; p < s.pattern_count && alive; p++) {
        if (kb_verify_oracle(&s, oracle->plugin, p, err, err_len)) {
            kb_verify_end(&s);
            return -1;
        }
        for (int i = 0; i < target_count; i++) alive -= kb_verify_check(&s, &targets[i]);
    }
    kb_verify_end(&s);
    return 0;
}

kb_status kb_verify_run(const kb_loaded_plugin *lp, const kb_kernel *k, kb_workload *w, char *err, size_t err_len)
{
    if (strcmp(lp->desc->backend, KB_BACKEND_HOST) != 0) return run_on_device(lp, k, w, err, err_len);
    return run_kernel(k, lp->ctx, &w->p, err, err_len);
}

const char *kb_status_name(kb_status st) { return status_name(st); }
