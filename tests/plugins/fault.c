/*
 * fault.c -> kb_fault_<what>.so: one test plugin per fault that kbench must
 * survive (docs/robustness.md).  Each has one kernel, softmax.k (f32), that
 * computes the right softmax except for its planted fault; the plugin is
 * named fault_<what>.  Built once per fault with -DKB_FAULT=<number>:
 *
 *   1 segv    run() writes through a NULL pointer
 *   2 abort   run() calls abort()
 *   3 exit    run() calls exit(3)
 *   4 hang    run() never returns
 *   5 oom     run() allocates and touches 256 MiB blocks until malloc fails,
 *             then uses the NULL it got, as careless code does
 *   6 oob     run() writes one float 16 KiB past the end of y: past the
 *             canaries, into the guard pages
 *   7 init    init() writes through a NULL pointer
 *   8 entry   kbench_plugin() writes through a NULL pointer (at load)
 *   9 late    run() is right 12 times, then writes through NULL: passes
 *             verification, crashes while timed
 *
 * Never installed; tests/integration/faults.sh uses them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kbench/kbench.h>

#include "plain_softmax.h"

#ifndef KB_FAULT
#error "build with -DKB_FAULT=<1..9>"
#endif

#define STR2(x) #x
#define STR(x) STR2(x)

static void crash(void)
{
    volatile int *volatile nowhere = NULL;
    *nowhere = 1;
}

static kb_status supports(void *ctx, const kb_problem *p, char *why, size_t n)
{
    (void)ctx;
    const kb_softmax_params *s = &p->u.softmax;
    if (p->op != KB_OP_SOFTMAX || s->x.dtype != KB_DTYPE_F32 || s->y.dtype != KB_DTYPE_F32) {
        if (why) snprintf(why, n, "f32 only");
        return KB_ERR_UNSUPPORTED;
    }
    return KB_OK;
}

static kb_status run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx, (void)ws, (void)stream, (void)err, (void)n;
    const kb_softmax_params *s = &p->u.softmax;
    kb_test_plain_softmax(s);
    switch (KB_FAULT) {
    case 1: crash(); break;
    case 2: abort();
    case 3: exit(3);
    case 4:
        for (;;) pause();
    case 5:
        for (int i = 0; i < 256; i++) { /* 64 GiB at most */
            char *block = malloc((size_t)256 << 20);
            memset(block, i + 1, (size_t)256 << 20); /* NULL here once memory runs out */
        }
        break;
    case 6: {
        float *y = s->y.data;
        size_t span = (size_t)((s->rows - 1) * s->y.strides[0] + s->cols);
        y[span + 4096] = 1.0f;
        break;
    }
    case 9: {
        static int calls;
        if (++calls > 12) crash();
        break;
    }
    }
    return KB_OK;
}

static kb_status init(const kb_host_context *host, void **ctx, char *err, size_t n)
{
    (void)host, (void)err, (void)n;
    *ctx = NULL;
    if (KB_FAULT == 7) crash();
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"k", KB_OP_SOFTMAX, "f32 softmax with a planted fault", supports, NULL, run},
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "fault_" STR(KB_FAULT_NAME),
    .version = "0",
    .backend = KB_BACKEND_HOST,
    .description = "test plugin: one planted fault (tests/plugins/fault.c)",
    .init = init,
    .kernel_count = 1,
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    if (KB_FAULT == 8) crash();
    return &plugin;
}
