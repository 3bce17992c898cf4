#include "clock.h"
#include "timing.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gbench.h"
#include "inputs.h"
#include "workload.h"

#define MAX_SETS 8

size_t kb_llc_bytes(void)
{
    /* sysfs describes the cache this CPU really shares; glibc's sysconf can
     * report a whole package's worth inside a VM. */
    size_t best = 0;
    int best_level = 0;
    for (int i = 0; i < 8; i++) {
        char path[96], buf[32];
        int level = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f) break;
        if (fscanf(f, "%d", &level) != 1) level = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if (!(f = fopen(path, "r"))) continue;
        if (fgets(buf, sizeof buf, f)) {
            char *end;
            size_t v = strtoul(buf, &end, 10);
            if (*end == 'K') v <<= 10;
            else if (*end == 'M') v <<= 20;
            if (level >= best_level && v) { best_level = level; best = v; }
        }
        fclose(f);
    }
    if (best) return best;
    long v = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (v <= 0) v = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return v > 0 ? (size_t)v : (size_t)32 << 20;
}

/* Everything one benchmark body needs. */
typedef struct job {
    kb_loaded_plugin *lp;
    const kb_kernel *k;
    int device;
    kb_workload sets[MAX_SETS];
    kb_problem dev_problems[MAX_SETS]; /* device plugins: the sets on the device */
    void *dev_blocks[MAX_SETS][KB_MAX_ROLES];
    int nsets;
    void *ws;
    int cold;
    unsigned char *flush;
    size_t flush_bytes;
    kb_figures fig;
    char err[256];
    kb_timing *out;
} job;

/* Evict the caches: write, then read, a buffer twice the last-level cache
 * (host), or ask the device plugin to flush its own (L2). */
static void flush_caches(job *j)
{
    if (j->device) {
        const kb_device_hooks *d = &j->lp->desc->device;
        char err[64];
        if (d->flush_cache) d->flush_cache(j->lp->ctx, NULL, err, sizeof err);
        return;
    }
    static unsigned char salt;
    memset(j->flush, ++salt, j->flush_bytes);
    volatile unsigned char sink = 0;
    for (size_t i = 0; i < j->flush_bytes; i += 64) sink ^= j->flush[i];
    (void)sink;
}

/* One timed call of the kernel on input set s; seconds, or < 0 on failure. */
static double timed_run(job *j, int s)
{
    kb_status st;
    double t;
    if (j->device) {
        const kb_device_hooks *d = &j->lp->desc->device;
        void *ctx = j->lp->ctx;
        st = d->timer_start(ctx, NULL, j->err, sizeof j->err);
        if (st == KB_OK) st = j->k->run(ctx, &j->dev_problems[s], j->ws, NULL, j->err, sizeof j->err);
        if (st == KB_OK) st = d->timer_stop(ctx, NULL, &t, j->err, sizeof j->err);
    } else {
        double t0 = kb_now();
        st = j->k->run(j->lp->ctx, &j->sets[s].p, j->ws, NULL, j->err, sizeof j->err);
        t = kb_now() - t0;
    }
    if (st != KB_OK) {
        if (!j->err[0]) snprintf(j->err, sizeof j->err, "run() failed with status %d", (int)st);
        return -1;
    }
    return t;
}

static void body(kb_gb_state *st, void *user)
{
    job *j = user;
    int s = 0;
    while (kb_gb_keep_running(st)) {
        if (j->cold) flush_caches(j);
        double t = timed_run(j, s);
        if (t < 0) {
            kb_gb_skip_with_error(st, j->err);
            break;
        }
        kb_gb_set_iteration_time(st, t);
        s = (s + 1) % j->nsets;
    }
    if (j->fig.flops > 0) kb_gb_set_counter(st, "flop_per_second", j->fig.flops, KB_GB_RATE | KB_GB_ITERATION_INVARIANT);
    if (j->fig.bytes > 0) kb_gb_set_counter(st, "bytes_per_second", j->fig.bytes, KB_GB_RATE | KB_GB_ITERATION_INVARIANT);
}

static void on_run(const kb_gb_run *r, void *user)
{
    kb_timing *t = user;
    if (r->error) {
        t->ok = 0;
        snprintf(t->error, sizeof t->error, "%s", r->error_message ? r->error_message : "failed");
        return;
    }
    kb_timed_run *nr = realloc(t->runs, (size_t)(t->run_count + 1) * sizeof *nr);
    if (!nr) return;
    t->runs = nr;
    kb_timed_run *x = &nr[t->run_count++];
    memset(x, 0, sizeof *x);
    x->aggregate = r->run_type == KB_GB_AGGREGATE;
    snprintf(x->aggregate_name, sizeof x->aggregate_name, "%s", r->aggregate_name ? r->aggregate_name : "");
    x->percentage = r->aggregate_is_percentage;
    x->repetition_index = r->repetition_index;
    x->iterations = r->iterations;
    x->real_time = r->real_time;
    x->cpu_time = r->cpu_time;
    if (!x->aggregate) return;
    if (!strcmp(x->aggregate_name, "median")) t->median = x->real_time;
    else if (!strcmp(x->aggregate_name, "mean")) t->mean = x->real_time;
    else if (!strcmp(x->aggregate_name, "stddev")) t->stddev = x->real_time;
    else if (!strcmp(x->aggregate_name, "cv")) t->cv = x->real_time;
    else if (!strcmp(x->aggregate_name, "min")) t->min = x->real_time;
}

static size_t workload_bytes(const kb_workload *w)
{
    size_t b = 0;
    for (int i = 0; i < w->block_count; i++) b += w->block_bytes[i];
    return b;
}

/* Device plugins: copy every set to device memory once, before timing. */
static int upload_sets(job *j)
{
    const kb_device_hooks *d = &j->lp->desc->device;
    for (int s = 0; s < j->nsets; s++) {
        kb_workload *w = &j->sets[s];
        j->dev_problems[s] = w->p;
        for (int b = 0; b < w->block_count; b++) {
            if (d->alloc(j->lp->ctx, w->block_bytes[b], &j->dev_blocks[s][b], j->err, sizeof j->err) != KB_OK ||
                d->upload(j->lp->ctx, j->dev_blocks[s][b], w->blocks[b], w->block_bytes[b], j->err,
                          sizeof j->err) != KB_OK)
                return -1;
        }
        kb_problem_retarget(&j->dev_problems[s], w, j->dev_blocks[s]);
    }
    return 0;
}

static void release(job *j)
{
    const kb_device_hooks *d = &j->lp->desc->device;
    for (int s = 0; s < j->nsets; s++) {
        for (int b = 0; b < KB_MAX_ROLES; b++)
            if (j->dev_blocks[s][b]) d->free(j->lp->ctx, j->dev_blocks[s][b]);
        kb_workload_free(&j->sets[s]);
    }
    if (j->ws) {
        if (j->device) d->free(j->lp->ctx, j->ws);
        else free(j->ws);
    }
    free(j->flush);
}

int kb_time_kernel(kb_loaded_plugin *lp, const kb_kernel *k, const kb_case *c, const char *name,
                   const kb_timing_options *opt, kb_timing *out)
{
    memset(out, 0, sizeof *out);
    job *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return -1;
    }
    j->lp = lp;
    j->k = k;
    j->device = strcmp(lp->desc->backend, KB_BACKEND_HOST) != 0;
    j->cold = opt->cold;
    j->fig = kb_case_figures(c);
    j->out = out;
    int rc = -1;

    /* Input sets: enough to fill the last-level cache, when one set fits in half of it. */
    size_t llc = kb_llc_bytes();
    if (kb_workload_init(&j->sets[0], c, KB_DTYPE_INVALID, NULL, j->err, sizeof j->err)) goto done;
    j->nsets = 1;
    size_t set_bytes = workload_bytes(&j->sets[0]);
    int want = opt->cold || set_bytes * 2 > llc ? 1 : (int)(llc / set_bytes);
    if (want > MAX_SETS) want = MAX_SETS;
    for (; j->nsets < want; j->nsets++)
        if (kb_workload_init(&j->sets[j->nsets], c, KB_DTYPE_INVALID, NULL, j->err, sizeof j->err)) goto done;
    for (int s = 0; s < j->nsets; s++) kb_fill_inputs(&j->sets[s], "random", opt->seed + 7919u * (uint64_t)s);
    out->input_sets = j->nsets;

    size_t wsb = k->workspace_bytes ? k->workspace_bytes(lp->ctx, &j->sets[0].p) : 0;
    if (wsb) {
        if (j->device) {
            if (lp->desc->device.alloc(lp->ctx, wsb, &j->ws, j->err, sizeof j->err) != KB_OK) goto fail_run;
        } else if (!(j->ws = aligned_alloc(64, (wsb + 63) / 64 * 64))) {
            snprintf(j->err, sizeof j->err, "cannot allocate the %zu-byte workspace", wsb);
            goto done;
        }
    }
    if (j->device && upload_sets(j)) goto fail_run;
    if (j->cold && !j->device) {
        j->flush_bytes = 2 * llc;
        if (!(j->flush = malloc(j->flush_bytes))) {
            snprintf(j->err, sizeof j->err, "cannot allocate the %zu-byte cache-flush buffer", j->flush_bytes);
            goto done;
        }
    }

    kb_gb_options go = {opt->min_time, opt->warmup, opt->repetitions, 1, 0};
    if (j->cold) {
        /* The flush is untimed, so the library would size the iteration count
         * on kernel time alone; fix it so that flushes stay within ~2 s a repetition. */
        double f0 = kb_now();
        flush_caches(j);
        double tf = kb_now() - f0, tk = timed_run(j, 0);
        if (tk < 0) goto fail_run;
        int64_t iters = (int64_t)(opt->min_time / (tk > 1e-9 ? tk : 1e-9)) + 1;
        int64_t cap = (int64_t)(2.0 / (tf + tk)) + 1;
        go.iterations = iters < cap ? iters : cap;
    }
    out->ok = 1;
    out->repetitions = opt->repetitions;
    if (kb_gb_register(name, body, j, &go)) {
        snprintf(out->error, sizeof out->error, "Google Benchmark refused the options");
        out->ok = 0;
        rc = 0;
        goto out;
    }
    kb_gb_run_all(on_run, out);
    if (out->ok && opt->repetitions == 1) { /* no aggregates: the one repetition is all of them */
        for (int i = 0; i < out->run_count; i++)
            if (!out->runs[i].aggregate) out->median = out->mean = out->min = out->runs[i].real_time;
    }
    if (out->ok && out->run_count == 0) {
        out->ok = 0;
        snprintf(out->error, sizeof out->error, "no timing came back from Google Benchmark");
    }
    rc = 0;
    goto out;
fail_run:
    out->ok = 0;
    snprintf(out->error, sizeof out->error, "%s", j->err[0] ? j->err : "device setup failed");
    rc = 0;
    goto out;
done:
    snprintf(out->error, sizeof out->error, "%s", j->err);
out:
    release(j);
    free(j);
    return rc;
}

void kb_timing_free(kb_timing *t)
{
    free(t->runs);
    t->runs = NULL;
    t->run_count = 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One aggregate over the repetitions' values v[0..n) (sorted in place). */
static void aggregate(kb_timed_run *out, const char *name, double *v, int n, int which)
{
    double mean = 0, ss = 0;
    for (int i = 0; i < n; i++) mean += v[i];
    mean /= n;
    for (int i = 0; i < n; i++) ss += (v[i] - mean) * (v[i] - mean);
    double sd = n > 1 ? sqrt(ss / (n - 1)) : 0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    double x = !strcmp(name, "mean") ? mean : !strcmp(name, "median") ? med : !strcmp(name, "stddev") ? sd
             : !strcmp(name, "cv") ? (mean > 0 ? sd / mean : 0) : v[0];
    if (which == 0) out->real_time = x;
    else out->cpu_time = x;
}

int kb_timing_merge(kb_timing *into, const kb_timing *more)
{
    static const char *const names[] = {"mean", "median", "stddev", "cv", "min"};
    int reps = 0;
    for (int i = 0; i < into->run_count; i++) reps += !into->runs[i].aggregate;
    for (int i = 0; i < more->run_count; i++) reps += !more->runs[i].aggregate;
    kb_timed_run *runs = calloc((size_t)reps + 5, sizeof *runs);
    double *v = malloc(((size_t)reps + 1) * sizeof *v);
    if (!runs || !v) {
        free(runs);
        free(v);
        return -1;
    }
    int n = 0;
    const kb_timing *parts[2] = {into, more};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < parts[p]->run_count; i++)
            if (!parts[p]->runs[i].aggregate) {
                runs[n] = parts[p]->runs[i];
                runs[n].repetition_index = n;
                n++;
            }
    int total = n;
    if (n > 1) /* one repetition has no aggregates, as Google Benchmark writes it */
        for (int a = 0; a < 5; a++) {
            kb_timed_run *x = &runs[total++];
            x->aggregate = 1;
            snprintf(x->aggregate_name, sizeof x->aggregate_name, "%s", names[a]);
            x->percentage = a == 3;
            x->iterations = n;
            for (int w = 0; w < 2; w++) {
                for (int i = 0; i < n; i++) v[i] = w ? runs[i].cpu_time : runs[i].real_time;
                aggregate(x, names[a], v, n, w);
            }
        }
    free(v);
    free(into->runs);
    into->runs = runs;
    into->run_count = total;
    into->repetitions = n;
    if (!into->input_sets) into->input_sets = more->input_sets;
    into->ok = n > 0;
    for (int i = n; i < total; i++) {
        const kb_timed_run *x = &runs[i];
        if (!strcmp(x->aggregate_name, "median")) into->median = x->real_time;
        else if (!strcmp(x->aggregate_name, "mean")) into->mean = x->real_time;
        else if (!strcmp(x->aggregate_name, "stddev")) into->stddev = x->real_time;
        else if (!strcmp(x->aggregate_name, "cv")) into->cv = x->real_time;
        else if (!strcmp(x->aggregate_name, "min")) into->min = x->real_time;
    }
    if (n == 1) into->median = into->mean = into->min = runs[0].real_time;
    return 0;
}
