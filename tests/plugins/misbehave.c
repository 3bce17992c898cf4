/*
 * misbehave.c -> kb_misbehave.so: a host plugin whose softmax kernels each
 * break one rule that `kbench check-plugin` checks (docs/check-plugin.md),
 * while computing the right softmax otherwise.  The kernel's name names its
 * fault:
 *
 *   softmax.fails_run        supports() says yes, run() returns KB_ERR_INTERNAL
 *   softmax.writes_input     overwrites x[0, 0] after computing y
 *   softmax.writes_past      writes one float just past y's last element
 *                            (the row padding or the guard zone)
 *   softmax.nondeterministic every other call nudges y[0, 0] by one ulp
 *   softmax.thread_dependent y[0, 0] is 1% off when init got threads >= 2
 *
 * And the plugin as a whole ignores the thread count: init starts
 * threads + 1 idle workers (two extra threads even with threads=1), joined
 * by fini.  check-plugin must FAIL the supports, writes, determinism,
 * threads and verify checks on it.  Never installed.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <kbench/kbench.h>

#include "plain_softmax.h"

typedef struct pool {
    int threads, workers;
    pthread_t tid[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
} pool;

static void *idle_worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static kb_status init(const kb_host_context *host, void **ctx, char *err, size_t n)
{
    pool *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, n, "out of memory");
        return KB_ERR_NOMEM;
    }
    p->threads = host->threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    int want = host->threads + 1 < 64 ? host->threads + 1 : 64; /* FAULT: one too many, always */
    for (; p->workers < want; p->workers++)
        if (pthread_create(&p->tid[p->workers], NULL, idle_worker, p)) break;
    *ctx = p;
    return KB_OK;
}

static void fini(void *ctx)
{
    pool *p = ctx;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->workers; i++) pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static kb_status supports(void *ctx, const kb_problem *p, char *why, size_t n)
{
    (void)ctx;
    if (p->u.softmax.x.dtype != KB_DTYPE_F32 || p->u.softmax.y.dtype != KB_DTYPE_F32) {
        if (why) snprintf(why, n, "only f32 is implemented");
        return KB_ERR_UNSUPPORTED;
    }
    return KB_OK;
}

static kb_status fails_run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx; (void)p; (void)ws; (void)stream;
    snprintf(err, n, "planted failure");
    return KB_ERR_INTERNAL;
}

static kb_status writes_input(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)n;
    kb_test_plain_softmax(&p->u.softmax);
    ((float *)p->u.softmax.x.data)[0] += 1.0f; /* FAULT */
    return KB_OK;
}

static kb_status writes_past(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)n;
    const kb_softmax_params *s = &p->u.softmax;
    kb_test_plain_softmax(s);
    float *y = s->y.data;
    y[(s->rows - 1) * s->y.strides[0] + s->cols] = 0.0f; /* FAULT: one past the last element */
    return KB_OK;
}

static kb_status nondeterministic(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)n;
    static unsigned calls;
    kb_test_plain_softmax(&p->u.softmax);
    float *y = p->u.softmax.y.data;
    if (calls++ & 1) y[0] = nextafterf(y[0], INFINITY); /* FAULT */
    return KB_OK;
}

static kb_status thread_dependent(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ws; (void)stream; (void)err; (void)n;
    const pool *pl = ctx;
    kb_test_plain_softmax(&p->u.softmax);
    if (pl->threads >= 2) ((float *)p->u.softmax.y.data)[0] *= 1.01f; /* FAULT */
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"fails_run", KB_OP_SOFTMAX, "supports() yes, run() fails", supports, NULL, fails_run},
    {"writes_input", KB_OP_SOFTMAX, "writes into its input", supports, NULL, writes_input},
    {"writes_past", KB_OP_SOFTMAX, "writes one element past its output", supports, NULL, writes_past},
    {"nondeterministic", KB_OP_SOFTMAX, "output changes from call to call", supports, NULL, nondeterministic},
    {"thread_dependent", KB_OP_SOFTMAX, "wrong when given two threads", supports, NULL, thread_dependent},
};

static const kb_plugin plugin = {
    KB_ABI_VERSION, sizeof(kb_plugin), "misbehave", "1.0", KB_BACKEND_HOST,
    "test plugin: each kernel breaks one rule check-plugin checks",
    init, fini, {0}, sizeof kernels / sizeof kernels[0], kernels,
};

KB_PLUGIN_ENTRY { return &plugin; }
