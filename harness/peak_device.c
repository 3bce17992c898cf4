/*
 * peak_device.c - the ceilings of each available device plugin's device,
 * measured through the plugin itself (kbench cannot touch a device any other
 * way): memory bandwidth from its device-to-device copy hook, and matrix
 * throughput from its own fastest f16 x f16 -> f32 matmul kernel, both timed
 * with its event timer.
 */
#include <stdio.h>
#include <string.h>

#include "inputs.h"
#include "peak.h"
#include "peak_device.h"
#include "suite.h"
#include "workload.h"

#define COPY_TRIALS 5
#define MATMUL_TRIALS 3
#define MATMUL_CASE "matmul a=f16 c=f32 m=4096 n=4096 k=4096"

/* Best time of one call of fn over `trials` runs with the event timer. */
typedef kb_status (*timed_fn)(void *arg, char *err, size_t err_len);

static double best_time(const kb_loaded_plugin *lp, timed_fn fn, void *arg, int trials, char *err, size_t n)
{
    const kb_device_hooks *d = &lp->desc->device;
    double best = 0;
    for (int t = 0; t <= trials; t++) { /* the first call warms up and is not counted */
        double s = 0;
        if (d->timer_start(lp->ctx, NULL, err, n) != KB_OK || fn(arg, err, n) != KB_OK ||
            d->timer_stop(lp->ctx, NULL, &s, err, n) != KB_OK)
            return -1;
        if (t > 0 && s > 0 && (best == 0 || s < best)) best = s;
    }
    return best;
}

typedef struct copy_arg { const kb_loaded_plugin *lp; void *dst, *src; size_t bytes; } copy_arg;

static kb_status do_copy(void *arg, char *err, size_t n)
{
    copy_arg *c = arg;
    return c->lp->desc->device.copy(c->lp->ctx, c->dst, c->src, c->bytes, NULL, err, n);
}

/* Bandwidth of the copy hook on two buffers of 1/8 of device memory (at most
 * 256 MiB, at least 16 MiB), counted as bytes read + written. */
static void measure_copy(const kb_loaded_plugin *lp, const kb_device_info *info, kb_device_peak *out)
{
    const kb_device_hooks *d = &lp->desc->device;
    if (!d->copy) {
        snprintf(out->note, sizeof out->note, "no copy hook: device bandwidth not measured");
        return;
    }
    size_t bytes = (size_t)256 << 20;
    if (info && info->memory_bytes && info->memory_bytes / 8 < bytes) bytes = (size_t)(info->memory_bytes / 8);
    if (bytes < ((size_t)16 << 20)) bytes = (size_t)16 << 20;
    copy_arg c = {lp, NULL, NULL, bytes};
    char err[256] = "";
    if (d->alloc(lp->ctx, bytes, &c.src, err, sizeof err) == KB_OK &&
        d->alloc(lp->ctx, bytes, &c.dst, err, sizeof err) == KB_OK) {
        double t = best_time(lp, do_copy, &c, COPY_TRIALS, err, sizeof err);
        if (t > 0) out->copy_gbs = 2.0 * (double)bytes / t / 1e9;
    }
    if (out->copy_gbs == 0) snprintf(out->note, sizeof out->note, "copy failed: %s", err);
    if (c.src) d->free(lp->ctx, c.src);
    if (c.dst) d->free(lp->ctx, c.dst);
}

typedef struct mm_arg { const kb_loaded_plugin *lp; const kb_kernel *k; kb_problem *p; void *ws; } mm_arg;

static kb_status do_matmul(void *arg, char *err, size_t n)
{
    mm_arg *m = arg;
    return m->k->run(m->lp->ctx, m->p, m->ws, NULL, err, n);
}

/* The plugin's fastest f16 matmul kernel at 4096^3 (inputs random, on the device). */
static void measure_matmul(const kb_loaded_plugin *lp, kb_device_peak *out)
{
    kb_suite s;
    char err[256] = "";
    if (kb_suite_parse(MATMUL_CASE, "peak", &s, err, sizeof err)) return;
    kb_workload w;
    kb_workload_shape(&w, &s.cases[0], KB_DTYPE_INVALID);
    const kb_kernel *cands[64];
    int nc = 0;
    for (uint32_t i = 0; i < lp->desc->kernel_count && nc < 64; i++) {
        const kb_kernel *k = &lp->desc->kernels[i];
        if (k->op == KB_OP_MATMUL && k->supports(lp->ctx, &w.p, NULL, 0) == KB_OK) cands[nc++] = k;
    }
    if (!nc) {
        snprintf(out->note + strlen(out->note), sizeof out->note - strlen(out->note), "%sno f16 matmul kernel: "
                 "matrix throughput not measured", out->note[0] ? "; " : "");
        kb_suite_free(&s);
        return;
    }
    const kb_device_hooks *d = &lp->desc->device;
    void *dev[KB_MAX_ROLES] = {0};
    int ok = kb_workload_init(&w, &s.cases[0], KB_DTYPE_INVALID, NULL, err, sizeof err) == 0;
    if (ok) {
        kb_fill_inputs(&w, "random", 1);
        kb_problem dp = w.p;
        for (int b = 0; b < w.block_count && ok; b++)
            ok = d->alloc(lp->ctx, w.block_bytes[b], &dev[b], err, sizeof err) == KB_OK &&
                 d->upload(lp->ctx, dev[b], w.blocks[b], w.block_bytes[b], err, sizeof err) == KB_OK;
        kb_problem_retarget(&dp, &w, dev);
        for (int i = 0; i < nc && ok; i++) {
            size_t wsb = cands[i]->workspace_bytes ? cands[i]->workspace_bytes(lp->ctx, &dp) : 0;
            mm_arg m = {lp, cands[i], &dp, NULL};
            if (wsb && d->alloc(lp->ctx, wsb, &m.ws, err, sizeof err) != KB_OK) continue;
            double t = best_time(lp, do_matmul, &m, MATMUL_TRIALS, err, sizeof err);
            double gflops = t > 0 ? 2.0 * 4096.0 * 4096.0 * 4096.0 / t / 1e9 : 0;
            if (gflops > out->matmul_gflops) {
                out->matmul_gflops = gflops;
                snprintf(out->matmul_kernel, sizeof out->matmul_kernel, "%s", cands[i]->name);
            }
            if (m.ws) d->free(lp->ctx, m.ws);
        }
        for (int b = 0; b < w.block_count; b++)
            if (dev[b]) d->free(lp->ctx, dev[b]);
        kb_workload_free(&w);
    }
    if (out->matmul_gflops == 0)
        snprintf(out->note + strlen(out->note), sizeof out->note - strlen(out->note), "%smatmul failed: %s",
                 out->note[0] ? "; " : "", err);
    kb_suite_free(&s);
}

int kb_peak_measure_devices(kb_peak *p, const kb_device_fact *devs, int ndev, const kb_registry *reg)
{
    p->device_count = 0;
    for (int i = 0; i < ndev && p->device_count < KB_PEAK_MAX_DEVICES; i++) {
        if (!devs[i].available) continue;
        const kb_loaded_plugin *lp = NULL;
        for (int j = 0; j < reg->count && !lp; j++)
            if (!strcmp(reg->plugins[j].desc->name, devs[i].plugin)) lp = &reg->plugins[j];
        /* An isolated plugin's code is in its worker: `kbench peak` measures it. */
        if (!lp || lp->isolated) continue;
        kb_device_peak *d = &p->devices[p->device_count++];
        memset(d, 0, sizeof *d);
        snprintf(d->plugin, sizeof d->plugin, "%s", devs[i].plugin);
        snprintf(d->name, sizeof d->name, "%s", devs[i].has_info ? devs[i].info.name : "");
        measure_copy(lp, devs[i].has_info ? &devs[i].info : NULL, d);
        measure_matmul(lp, d);
    }
    return p->device_count;
}
