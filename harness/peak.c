/*
 * peak.c - `kbench peak`'s bookkeeping: which CPUs, a team of pinned threads,
 * array sizes, calibrated best-of-N trials, the JSON file and the roofline.
 * The inner loops are in peak_kernels.c; docs/roofline.md explains the method.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* sched_getaffinity, pthread_setaffinity_np */
#endif
#include "clock.h"
#include "peak.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "atomic_file.h"
#include "timing.h"

/* ---- how long and how big ---------------------------------------------- */

typedef struct config {
    double target;         /* seconds one trial should last */
    int trials;            /* timed trials after the calibration; the best counts */
    int dram_llc_factor;   /* DRAM arrays: each this many times the LLC ... */
    size_t dram_min, dram_max; /* ... but at least / at most this many bytes */
} config;

static const config full_config = {0.06, 5, 4, (size_t)32 << 20, (size_t)1 << 30};
static const config quick_config = {0.005, 2, 1, (size_t)8 << 20, (size_t)32 << 20};

#define TRIAD_SCALAR 3.0 /* STREAM's */
#define PAGE_DOUBLES 512 /* 4 KiB: each thread's part starts on its own page */

/* ---- CPUs --------------------------------------------------------------- */

static int read_int(const char *fmt, int cpu)
{
    char path[128];
    snprintf(path, sizeof path, fmt, cpu);
    FILE *f = fopen(path, "r");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1) v = -1;
        fclose(f);
    }
    return v;
}

/* The CPUs this process may use, one per physical core first (so that N
 * threads land on N different cores where there are N), then the SMT
 * siblings.  Returns the count (0 if the affinity cannot be read). */
static int usable_cpus(int *cpus, int max)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;
    int all[CPU_SETSIZE], n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &set)) all[n++] = c;
    int *pkg = malloc(sizeof(int) * (size_t)(n ? n : 1)), *core = malloc(sizeof(int) * (size_t)(n ? n : 1));
    if (!pkg || !core) { /* keep the plain order */
        free(pkg);
        free(core);
        memcpy(cpus, all, sizeof(int) * (size_t)n);
        return n;
    }
    for (int i = 0; i < n; i++) {
        pkg[i] = read_int("/sys/devices/system/cpu/cpu%d/topology/physical_package_id", all[i]);
        core[i] = read_int("/sys/devices/system/cpu/cpu%d/topology/core_id", all[i]);
    }
    int k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n; i++) {
            int first = 1; /* the first usable CPU of its (package, core)? */
            for (int j = 0; j < i && first; j++)
                if (core[i] >= 0 && pkg[j] == pkg[i] && core[j] == core[i]) first = 0;
            if (first == (pass == 0)) cpus[k++] = all[i];
        }
    free(pkg);
    free(core);
    return n;
}

/* ---- a team of pinned threads ------------------------------------------- */

/* A reusable barrier whose head count can drop (if starting a thread fails,
 * the ones already waiting must still be released). */
typedef struct barrier {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int total, arrived;
    unsigned gen;
} barrier;

static void barrier_wait(barrier *b)
{
    pthread_mutex_lock(&b->m);
    unsigned gen = b->gen;
    if (++b->arrived >= b->total) {
        b->arrived = 0;
        b->gen++;
        pthread_cond_broadcast(&b->cv);
    } else {
        while (gen == b->gen) pthread_cond_wait(&b->cv, &b->m);
    }
    pthread_mutex_unlock(&b->m);
}

static void barrier_shrink(barrier *b, int total)
{
    pthread_mutex_lock(&b->m);
    b->total = total;
    if (b->arrived >= b->total) {
        b->arrived = 0;
        b->gen++;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->m);
}

enum { CMD_QUIT, CMD_FMA, CMD_COPY, CMD_TRIAD };

struct team;

typedef struct worker {
    struct team *t;
    int cpu;
    size_t off;            /* first element of this thread's part of each array */
    size_t len[2];         /* elements it processes: [0] copy, [1] triad */
    float fma_result;
    int pin_error;         /* errno of pthread_setaffinity_np, 0 if pinned */
} worker;

typedef struct team {
    int n;
    worker *w;
    pthread_t *th;
    barrier bar;
    const kb_peak_kernels *k;
    double *a, *b, *c;     /* NULL for the FMA team */
    size_t stride;         /* elements between two threads' parts */
    /* the next command, written by the main thread before the start barrier */
    int cmd;
    long reps;
} team;

static void *worker_main(void *arg)
{
    worker *w = arg;
    team *t = w->t;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(w->cpu, &set);
    w->pin_error = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (t->a && !w->pin_error) {
        /* First touch from the pinned thread: its pages are local to it. */
        for (size_t i = w->off; i < w->off + t->stride; i++) {
            t->a[i] = 0.0;
            t->b[i] = 2.0;
            t->c[i] = 1.0;
        }
    }
    barrier_wait(&t->bar); /* ready */
    for (;;) {
        barrier_wait(&t->bar); /* start */
        if (t->cmd == CMD_QUIT) break;
        if (t->cmd == CMD_FMA) {
            /* a and b keep every chain finite: x -> b / (1 - a) = 1. */
            w->fma_result = t->k->fma(t->reps, 0.9999999f, 1e-7f);
        } else if (t->cmd == CMD_COPY) {
            for (long r = 0; r < t->reps; r++) t->k->copy(t->a + w->off, t->b + w->off, w->len[0]);
        } else {
            for (long r = 0; r < t->reps; r++)
                t->k->triad(t->a + w->off, t->b + w->off, t->c + w->off, TRIAD_SCALAR, w->len[1]);
        }
        barrier_wait(&t->bar); /* done */
    }
    return NULL;
}

static void team_stop(team *t, int started)
{
    t->cmd = CMD_QUIT;
    barrier_wait(&t->bar);
    for (int i = 0; i < started; i++) pthread_join(t->th[i], NULL);
}

static void team_free(team *t)
{
    pthread_mutex_destroy(&t->bar.m);
    pthread_cond_destroy(&t->bar.cv);
    free(t->w);
    free(t->th);
    free(t->a);
    free(t->b);
    free(t->c);
    memset(t, 0, sizeof *t);
}

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

/* Start n threads on cpus[0..n-1].  With elems[0] (copy) / elems[1] (triad)
 * nonzero, allocate three arrays split into n parts, each thread processing
 * about elems[k] / n elements of its part and touching its part first. */
static int team_start(team *t, int n, const int *cpus, const kb_peak_kernels *k, const size_t elems[2],
                      char *err, size_t err_len)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    t->k = k;
    pthread_mutex_init(&t->bar.m, NULL);
    pthread_cond_init(&t->bar.cv, NULL);
    t->bar.total = n + 1;
    t->w = calloc((size_t)n, sizeof *t->w);
    t->th = calloc((size_t)n, sizeof *t->th);
    if (!t->w || !t->th) {
        snprintf(err, err_len, "out of memory");
        team_free(t);
        return -1;
    }
    size_t per[2] = {0, 0};
    if (elems) {
        for (int j = 0; j < 2; j++) per[j] = round_up((elems[j] + (size_t)n - 1) / (size_t)n, 16);
        t->stride = round_up(per[0] > per[1] ? per[0] : per[1], PAGE_DOUBLES);
        size_t bytes = t->stride * (size_t)n * sizeof(double);
        t->a = aligned_alloc(4096, bytes);
        t->b = aligned_alloc(4096, bytes);
        t->c = aligned_alloc(4096, bytes);
        if (!t->a || !t->b || !t->c) {
            snprintf(err, err_len, "cannot allocate three %zu MiB arrays", bytes >> 20);
            team_free(t);
            return -1;
        }
    }
    int started = 0;
    for (int i = 0; i < n; i++) {
        worker *w = &t->w[i];
        w->t = t;
        w->cpu = cpus[i];
        w->off = t->stride * (size_t)i;
        w->len[0] = per[0];
        w->len[1] = per[1];
        int rc = pthread_create(&t->th[i], NULL, worker_main, w);
        if (rc) {
            snprintf(err, err_len, "cannot start a thread: %s", strerror(rc));
            barrier_shrink(&t->bar, started + 1);
            break;
        }
        started++;
    }
    if (started == n) {
        barrier_wait(&t->bar); /* ready: pinned, pages touched */
        for (int i = 0; i < n; i++)
            if (t->w[i].pin_error) {
                snprintf(err, err_len, "cannot pin a thread to CPU %d: %s", t->w[i].cpu, strerror(t->w[i].pin_error));
                started = -started;
                break;
            }
        if (started > 0) return 0;
        started = -started;
    } else {
        barrier_wait(&t->bar); /* ready, with the threads that did start */
    }
    team_stop(t, started);
    team_free(t);
    return -1;
}

static double trial(team *t, int cmd, long reps)
{
    t->cmd = cmd;
    t->reps = reps;
    double t0 = kb_now();
    barrier_wait(&t->bar); /* start */
    barrier_wait(&t->bar); /* done */
    return kb_now() - t0;
}

/* Calibrate the repetitions so that a trial lasts about cfg->target (the
 * calibration runs double as warm-up), then return the best rate of
 * cfg->trials trials: `work` units per repetition. */
static double best_rate(team *t, int cmd, long reps, double work, const config *cfg)
{
    double dt = trial(t, cmd, reps);
    while (dt < cfg->target / 4 && reps < LONG_MAX / 64) {
        double f = dt > 0 ? cfg->target / dt : 64;
        reps = (long)((double)reps * (f > 64 ? 64 : f < 2 ? 2 : f));
        dt = trial(t, cmd, reps);
    }
    double scaled = (double)reps * cfg->target / (dt > 0 ? dt : cfg->target);
    reps = scaled < 1 ? 1 : (long)scaled;
    double best = INFINITY;
    for (int i = 0; i < cfg->trials; i++) {
        dt = trial(t, cmd, reps);
        if (dt < best) best = dt;
    }
    return best > 0 ? work * (double)reps / best : 0;
}

/* ---- the measurements --------------------------------------------------- */

static int measure_fma(const kb_peak_kernels *k, int n, const int *cpus, const config *cfg, double *gflops,
                       char *err, size_t err_len)
{
    team t;
    if (team_start(&t, n, cpus, k, NULL, err, err_len)) return -1;
    double rate = best_rate(&t, CMD_FMA, 1 << 14, k->fma_flops_per_iter * n, cfg);
    float sum = 0.f;
    for (int i = 0; i < n; i++) sum += t.w[i].fma_result;
    team_stop(&t, n);
    team_free(&t);
    if (!isfinite(sum)) { /* every chain converges to 1: a bug, not a speed */
        snprintf(err, err_len, "the FMA kernel produced %g", (double)sum);
        return -1;
    }
    *gflops = rate * 1e-9;
    return 0;
}

/* Did every thread's part come out as the kernel says? (a few spots each) */
static int check_arrays(const team *t, int cmd)
{
    double want = cmd == CMD_COPY ? 2.0 : 2.0 + TRIAD_SCALAR * 1.0;
    for (int i = 0; i < t->n; i++) {
        size_t len = t->w[i].len[cmd == CMD_TRIAD], off = t->w[i].off;
        if (!len) continue;
        if (t->a[off] != want || t->a[off + len / 2] != want || t->a[off + len - 1] != want) return -1;
    }
    return 0;
}

/* Copy and triad GB/s (1e9 bytes/s) with n threads on arrays of elems[0]
 * (copy) and elems[1] (triad) doubles in all. */
static int measure_stream(const kb_peak_kernels *k, int n, const int *cpus, const size_t elems[2],
                          const config *cfg, double *copy_gbs, double *triad_gbs, char *err, size_t err_len)
{
    team t;
    if (team_start(&t, n, cpus, k, elems, err, err_len)) return -1;
    size_t total[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        total[0] += t.w[i].len[0];
        total[1] += t.w[i].len[1];
    }
    /* STREAM's byte counts: copy reads b and writes a, triad reads b and c and
     * writes a; the write-allocate read of a is not counted. */
    double rate_copy = best_rate(&t, CMD_COPY, 1, 2.0 * sizeof(double) * (double)total[0], cfg);
    int bad = check_arrays(&t, CMD_COPY);
    double rate_triad = best_rate(&t, CMD_TRIAD, 1, 3.0 * sizeof(double) * (double)total[1], cfg);
    bad = bad || check_arrays(&t, CMD_TRIAD);
    team_stop(&t, n);
    team_free(&t);
    if (bad) {
        snprintf(err, err_len, "the copy or triad kernel wrote wrong values");
        return -1;
    }
    *copy_gbs = rate_copy * 1e-9;
    *triad_gbs = rate_triad * 1e-9;
    return 0;
}

static int measure(kb_peak *out, int cores, const config *cfg, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    int *cpus = malloc(sizeof(int) * CPU_SETSIZE);
    if (!cpus) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    int avail = usable_cpus(cpus, CPU_SETSIZE);
    if (avail <= 0) {
        cpus[0] = 0; /* affinity unknown: try CPU 0 alone */
        avail = 1;
    }
    if (cores <= 0) cores = avail;
    if (cores > avail) {
        snprintf(err, err_len, "%d threads asked for, but this process may use only %d CPU%s", cores, avail,
                 avail == 1 ? "" : "s");
        free(cpus);
        return -1;
    }
    const kb_peak_kernels *k = kb_peak_kernels_select(0);
    out->cores = cores;
    out->llc_bytes = kb_llc_bytes();
    snprintf(out->isa, sizeof out->isa, "%s", k->isa);

    size_t dram = out->llc_bytes * (size_t)cfg->dram_llc_factor;
    if (dram < cfg->dram_min) dram = cfg->dram_min;
    if (dram > cfg->dram_max) dram = cfg->dram_max;
    /* DRAM: every array dram bytes; LLC: the arrays of each kernel total half the LLC. */
    size_t dram_elems[2] = {dram / sizeof(double), dram / sizeof(double)};
    size_t llc_elems[2] = {out->llc_bytes / 4 / sizeof(double), out->llc_bytes / 6 / sizeof(double)};

    int rc = measure_fma(k, 1, cpus, cfg, &out->fma_gflops_1, err, err_len);
    if (!rc) rc = measure_stream(k, 1, cpus, llc_elems, cfg, &out->copy_llc_gbs_1, &out->triad_llc_gbs_1, err, err_len);
    if (!rc)
        rc = measure_stream(k, 1, cpus, dram_elems, cfg, &out->copy_dram_gbs_1, &out->triad_dram_gbs_1, err, err_len);
    if (cores == 1) {
        out->fma_gflops_all = out->fma_gflops_1;
        out->copy_llc_gbs_all = out->copy_llc_gbs_1;
        out->triad_llc_gbs_all = out->triad_llc_gbs_1;
        out->copy_dram_gbs_all = out->copy_dram_gbs_1;
        out->triad_dram_gbs_all = out->triad_dram_gbs_1;
    } else {
        if (!rc) rc = measure_fma(k, cores, cpus, cfg, &out->fma_gflops_all, err, err_len);
        if (!rc)
            rc = measure_stream(k, cores, cpus, llc_elems, cfg, &out->copy_llc_gbs_all, &out->triad_llc_gbs_all, err,
                                err_len);
        if (!rc)
            rc = measure_stream(k, cores, cpus, dram_elems, cfg, &out->copy_dram_gbs_all, &out->triad_dram_gbs_all,
                                err, err_len);
    }
    free(cpus);
    if (rc) return -1;

    time_t tnow = time(NULL);
    struct tm tm;
    if (gmtime_r(&tnow, &tm)) strftime(out->date, sizeof out->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return 0;
}

int kb_peak_measure(kb_peak *out, int cores, char *err, size_t err_len)
{
    return measure(out, cores, &full_config, err, err_len);
}

int kb_peak_measure_quick(kb_peak *out, int cores, char *err, size_t err_len)
{
    return measure(out, cores, &quick_config, err, err_len);
}

/* ---- the roofline ------------------------------------------------------- */

/* Single-thread figure at 1 thread, all-core figure from `cores` threads on,
 * linear in between. */
static double scale(double one, double all, int threads, int cores)
{
    if (threads >= cores) return all; /* also cores == 1 */
    if (threads <= 1) return one;
    return one + (all - one) * (double)(threads - 1) / (double)(cores - 1);
}

kb_roofline kb_peak_roofline(const kb_peak *p, double flops, double bytes, int threads)
{
    kb_roofline r = {0, 0, 0};
    int cores = p->cores > 0 ? p->cores : 1;
    if (threads < 1) threads = 1;
    int in_llc = bytes <= (double)p->llc_bytes / 2;
    double bw = in_llc ? scale(p->triad_llc_gbs_1, p->triad_llc_gbs_all, threads, cores)
                       : scale(p->triad_dram_gbs_1, p->triad_dram_gbs_all, threads, cores);
    bw *= 1e9;
    if (flops <= 0) {
        r.bound = bw;
        r.memory_bound = 1;
        r.intensity = 0;
        return r;
    }
    double compute = p->fma_gflops_1 * (double)(threads < cores ? threads : cores);
    if (compute > p->fma_gflops_all) compute = p->fma_gflops_all;
    compute *= 1e9;
    r.intensity = bytes > 0 ? flops / bytes : INFINITY;
    double memory = bytes > 0 ? r.intensity * bw : INFINITY;
    r.memory_bound = memory < compute;
    r.bound = r.memory_bound ? memory : compute;
    return r;
}

/* ---- the JSON file ------------------------------------------------------ */

#define FIGURES(X)                                                                                      \
    X(fma_gflops_1) X(fma_gflops_all) X(copy_dram_gbs_1) X(copy_dram_gbs_all) X(triad_dram_gbs_1)       \
    X(triad_dram_gbs_all) X(copy_llc_gbs_1) X(copy_llc_gbs_all) X(triad_llc_gbs_1) X(triad_llc_gbs_all)

json_t *kb_peak_json(const kb_peak *p, char *err, size_t err_len)
{
    json_t *o = json_object();
    int bad = !o;
    if (bad) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    bad |= json_object_set_new(o, "kbench_peak", json_integer(1));
    bad |= json_object_set_new(o, "fingerprint", json_string(p->fingerprint));
    bad |= json_object_set_new(o, "date", json_string(p->date));
    bad |= json_object_set_new(o, "isa", json_string(p->isa));
    bad |= json_object_set_new(o, "cores", json_integer(p->cores));
    bad |= json_object_set_new(o, "llc_bytes", json_integer((json_int_t)p->llc_bytes));
#define PUT(name)                                                                                       \
    if (!bad && !isfinite(p->name)) {                                                                   \
        snprintf(err, err_len, "%s is not a finite number", #name);                                     \
        json_decref(o);                                                                                 \
        return NULL;                                                                                    \
    }                                                                                                   \
    bad |= json_object_set_new(o, #name, json_real(p->name));
    FIGURES(PUT)
#undef PUT
    json_t *devs = json_array();
    for (int i = 0; i < p->device_count && devs; i++) {
        const kb_device_peak *d = &p->devices[i];
        json_t *x = json_object();
        json_object_set_new(x, "plugin", json_string(d->plugin));
        json_object_set_new(x, "name", json_string(d->name));
        json_object_set_new(x, "copy_gbs", json_real(isfinite(d->copy_gbs) ? d->copy_gbs : 0));
        json_object_set_new(x, "matmul_gflops", json_real(isfinite(d->matmul_gflops) ? d->matmul_gflops : 0));
        json_object_set_new(x, "matmul_kernel", json_string(d->matmul_kernel));
        json_object_set_new(x, "note", json_string(d->note));
        json_array_append_new(devs, x);
    }
    bad |= json_object_set_new(o, "devices", devs);
    if (bad) {
        snprintf(err, err_len, "out of memory");
        json_decref(o);
        return NULL;
    }
    return o;
}

static int write_json(FILE *f, void *user, char *err, size_t err_len)
{
    json_t *o = kb_peak_json(user, err, err_len);
    if (!o) return -1;
    if (json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF) {
        snprintf(err, err_len, "write failed");
        json_decref(o);
        return -1;
    }
    json_decref(o);
    return 0;
}

int kb_peak_save(const kb_peak *p, const char *path, char *err, size_t err_len)
{
    if (strcmp(path, "-") == 0) {
        char why[200] = "";
        if (write_json(stdout, (void *)p, why, sizeof why) || fflush(stdout)) {
            snprintf(err, err_len, "stdout: %s", why[0] ? why : "write failed");
            return -1;
        }
        return 0;
    }
    return kb_write_file_atomic(path, write_json, (void *)p, err, err_len);
}

static int get_string(json_t *o, const char *key, char *dst, size_t n, int required, const char *path, char *err,
                      size_t err_len)
{
    json_t *v = json_object_get(o, key);
    if (!v && !required) {
        dst[0] = '\0';
        return 0;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) >= n) {
        snprintf(err, err_len, "%s: \"%s\" is %s", path, key,
                 !v ? "missing" : json_is_string(v) ? "too long" : "not a string");
        return -1;
    }
    snprintf(dst, n, "%s", json_string_value(v));
    return 0;
}

int kb_peak_load(kb_peak *p, const char *path, char *err, size_t err_len)
{
    json_error_t je;
    json_t *o = json_load_file(path, 0, &je);
    if (!o) {
        if (je.line > 0) snprintf(err, err_len, "%s: line %d: %s", path, je.line, je.text);
        else snprintf(err, err_len, "%s: %s", path, je.text);
        return -1;
    }
    kb_peak q;
    memset(&q, 0, sizeof q);
    int rc = -1;
    if (!json_is_object(o)) {
        snprintf(err, err_len, "%s: not a kbench peak file (the JSON is not an object)", path);
        goto out;
    }
    json_t *v = json_object_get(o, "kbench_peak");
    if (!json_is_integer(v) || json_integer_value(v) != 1) {
        snprintf(err, err_len, "%s: not a kbench peak file (\"kbench_peak\": 1 missing)", path);
        goto out;
    }
    if (get_string(o, "fingerprint", q.fingerprint, sizeof q.fingerprint, 0, path, err, err_len) ||
        get_string(o, "date", q.date, sizeof q.date, 0, path, err, err_len) ||
        get_string(o, "isa", q.isa, sizeof q.isa, 1, path, err, err_len))
        goto out;
    v = json_object_get(o, "cores");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1 << 20) {
        snprintf(err, err_len, "%s: \"cores\" is %s", path, v ? "not a positive integer" : "missing");
        goto out;
    }
    q.cores = (int)json_integer_value(v);
    v = json_object_get(o, "llc_bytes");
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        snprintf(err, err_len, "%s: \"llc_bytes\" is %s", path, v ? "not a positive integer" : "missing");
        goto out;
    }
    q.llc_bytes = (size_t)json_integer_value(v);
#define GET(name)                                                                                       \
    v = json_object_get(o, #name);                                                                      \
    if (!json_is_number(v) || !(json_number_value(v) >= 0) || !isfinite(json_number_value(v))) {        \
        snprintf(err, err_len, "%s: \"%s\" is %s", path, #name, v ? "not a non-negative number" : "missing"); \
        goto out;                                                                                       \
    }                                                                                                   \
    q.name = json_number_value(v);
    FIGURES(GET)
#undef GET
    json_t *devs = json_object_get(o, "devices"); /* optional: files from before devices were measured */
    if (devs && !json_is_array(devs)) {
        snprintf(err, err_len, "%s: \"devices\" is not an array", path);
        goto out;
    }
    for (size_t i = 0; devs && i < json_array_size(devs) && q.device_count < KB_PEAK_MAX_DEVICES; i++) {
        json_t *x = json_array_get(devs, i);
        kb_device_peak *d = &q.devices[q.device_count];
        json_t *cg = json_object_get(x, "copy_gbs"), *mg = json_object_get(x, "matmul_gflops");
        if (!json_is_object(x) || get_string(x, "plugin", d->plugin, sizeof d->plugin, 1, path, err, err_len) ||
            get_string(x, "name", d->name, sizeof d->name, 0, path, err, err_len) ||
            get_string(x, "matmul_kernel", d->matmul_kernel, sizeof d->matmul_kernel, 0, path, err, err_len) ||
            get_string(x, "note", d->note, sizeof d->note, 0, path, err, err_len) || !json_is_number(cg) ||
            !json_is_number(mg)) {
            if (!json_is_object(x) || !json_is_number(cg) || !json_is_number(mg))
                snprintf(err, err_len, "%s: devices[%zu] is not {plugin, copy_gbs, matmul_gflops, ...}", path, i);
            goto out;
        }
        d->copy_gbs = json_number_value(cg);
        d->matmul_gflops = json_number_value(mg);
        q.device_count++;
    }
    *p = q;
    rc = 0;
out:
    json_decref(o);
    return rc;
}

kb_roofline kb_peak_device_roofline(const kb_device_peak *d, double flops, double bytes)
{
    kb_roofline r = {0, 0, bytes > 0 ? flops / bytes : 0};
    double mem = d->copy_gbs * 1e9, comp = d->matmul_gflops * 1e9;
    if (flops <= 0) {
        r.bound = mem;
        r.memory_bound = 1;
        return r;
    }
    if (comp <= 0) return r; /* no compute ceiling: no bound */
    r.bound = comp;
    if (mem > 0 && r.intensity * mem < comp) {
        r.bound = r.intensity * mem;
        r.memory_bound = 1;
    }
    return r;
}

const kb_device_peak *kb_peak_device(const kb_peak *p, const char *plugin)
{
    for (int i = 0; i < p->device_count; i++)
        if (!strcmp(p->devices[i].plugin, plugin)) return &p->devices[i];
    return NULL;
}
