/*
 * slow.c - a kernel with a knob, for testing regression detection
 * (kbench compare, docs/ci.md): a correct f32 softmax that then busy-waits,
 * so that its time is steady and set by the environment:
 *
 *   KB_SLOW_PERCENT=P  the wait is 200 us * (1 + P/100): P percent slower
 *   KB_SLOW_FAIL=1     the first output element is off by 1%: it stops verifying
 *   KB_SLOW_FAIL_AFTER=N  run() fails from its (N+1)-th call on (per init): a
 *                      kernel that verifies, then fails while being timed
 *
 * A busy-wait on CLOCK_MONOTONIC is far steadier than real work on a shared
 * runner, so a planted 30% is a real 30% and a planted 2% a real 2%.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <kbench/kbench.h>

#include "plain_softmax.h"

#define BASE_WAIT_S 200e-6

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct knobs { double wait; int fail; long fail_after, calls; } knobs;

static kb_status init(const kb_host_context *host, void **ctx, char *err, size_t n)
{
    (void)host;
    knobs *k = malloc(sizeof *k);
    if (!k) { snprintf(err, n, "out of memory"); return KB_ERR_NOMEM; }
    const char *p = getenv("KB_SLOW_PERCENT"), *f = getenv("KB_SLOW_FAIL");
    k->wait = BASE_WAIT_S * (1.0 + (p ? atof(p) : 0.0) / 100.0);
    k->fail = f && atoi(f) != 0;
    const char *a = getenv("KB_SLOW_FAIL_AFTER");
    k->fail_after = a ? atol(a) : -1;
    k->calls = 0;
    *ctx = k;
    return KB_OK;
}

static void fini(void *ctx) { free(ctx); }

static kb_status supports(void *ctx, const kb_problem *p, char *why, size_t n)
{
    (void)ctx;
    if (p->u.softmax.x.dtype != KB_DTYPE_F32) {
        if (why) snprintf(why, n, "only f32 is implemented");
        return KB_ERR_UNSUPPORTED;
    }
    return KB_OK;
}

static kb_status run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ws; (void)stream;
    knobs *k = ctx;
    if (k->fail_after >= 0 && ++k->calls > k->fail_after) {
        snprintf(err, n, "planted failure on call %ld (KB_SLOW_FAIL_AFTER=%ld)", k->calls, k->fail_after);
        return KB_ERR_INTERNAL;
    }
    double t0 = now();
    const kb_softmax_params *s = &p->u.softmax;
    kb_test_plain_softmax(s);
    if (k->fail) ((float *)s->y.data)[0] *= 1.01f;
    while (now() - t0 < k->wait) {
    }
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"knob", KB_OP_SOFTMAX, "f32 softmax plus a steady busy-wait set by KB_SLOW_PERCENT", supports, NULL, run},
};

static const kb_plugin plugin = {
    KB_ABI_VERSION, sizeof(kb_plugin), "slow", "1.0", KB_BACKEND_HOST,
    "test plugin: a kernel whose speed (and correctness) a knob sets",
    init, fini, {0}, 1, kernels,
};

KB_PLUGIN_ENTRY { return &plugin; }
