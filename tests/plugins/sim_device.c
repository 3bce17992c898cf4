/*
 * sim_device.c - a plugin whose "device" memory is host memory behind the
 * device hooks, so the harness's device path (alloc, upload, run on device
 * pointers, synchronize, download) is tested on a machine without a GPU.
 *
 * Built twice:
 *   kb_sim_device.so  (plugin "sim"):   works; its kernel refuses any pointer
 *                                        that its own alloc hook did not return,
 *                                        so a harness that passed host pointers fails;
 *   kb_sim_absent.so  (plugin "sim_absent", -DSIM_ABSENT): init fails the way a
 *                                        GPU plugin does on a machine without a GPU.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <kbench/kbench.h>

#include "plain_softmax.h"

#ifdef SIM_ABSENT
#define SIM_NAME "sim_absent"
#else
#define SIM_NAME "sim"
#endif

#define MAGIC 0x5153494Du /* "MISQ" */

typedef struct header { uint32_t magic; uint32_t pad; size_t bytes; double align_; } header;

typedef struct sim_ctx { double t0; long live; } sim_ctx;

static int is_device(const void *p)
{
    return p && ((const header *)p - 1)->magic == MAGIC;
}

static kb_status init(const kb_host_context *host, void **ctx, char *err, size_t n)
{
    (void)host;
#ifdef SIM_ABSENT
    (void)ctx;
    snprintf(err, n, "no simulated device present (this plugin stands in for a GPU plugin without a GPU)");
    return KB_ERR_DEVICE;
#else
    (void)err; (void)n;
    *ctx = calloc(1, sizeof(sim_ctx));
    return *ctx ? KB_OK : KB_ERR_NOMEM;
#endif
}

static void fini(void *ctx) { free(ctx); }

static kb_status dev_alloc(void *ctx, size_t bytes, void **ptr, char *err, size_t n)
{
    header *h = malloc(sizeof *h + bytes);
    if (!h) { snprintf(err, n, "simulated device out of memory"); return KB_ERR_NOMEM; }
    h->magic = MAGIC;
    h->bytes = bytes;
    ((sim_ctx *)ctx)->live++;
    *ptr = h + 1;
    return KB_OK;
}

static void dev_free(void *ctx, void *ptr)
{
    if (!ptr) return;
    header *h = (header *)ptr - 1;
    h->magic = 0;
    ((sim_ctx *)ctx)->live--;
    free(h);
}

static kb_status copy(void *dst, const void *src, size_t bytes, const void *dev, char *err, size_t n)
{
    if (!is_device(dev) || ((const header *)dev - 1)->bytes < bytes) {
        snprintf(err, n, "copy with a pointer that is not a device allocation of that size");
        return KB_ERR_INVALID;
    }
    memcpy(dst, src, bytes);
    return KB_OK;
}

static kb_status upload(void *ctx, void *dst, const void *src, size_t bytes, char *err, size_t n)
{
    (void)ctx;
    return copy(dst, src, bytes, dst, err, n);
}

static kb_status download(void *ctx, void *dst, const void *src, size_t bytes, char *err, size_t n)
{
    (void)ctx;
    return copy(dst, src, bytes, src, err, n);
}

static kb_status sync(void *ctx, void *stream, char *err, size_t n)
{
    (void)ctx; (void)stream; (void)err; (void)n;
    return KB_OK;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static kb_status timer_start(void *ctx, void *stream, char *err, size_t n)
{
    (void)stream; (void)err; (void)n;
    ((sim_ctx *)ctx)->t0 = now();
    return KB_OK;
}

static kb_status timer_stop(void *ctx, void *stream, double *seconds, char *err, size_t n)
{
    (void)stream; (void)err; (void)n;
    *seconds = now() - ((sim_ctx *)ctx)->t0;
    return KB_OK;
}

/* Facts a real plugin reads from its driver; the PCI bus id is the VM's
 * first PCI device, so the harness's binding near a device is exercised. */
static kb_status info(void *ctx, kb_device_info *out, char *err, size_t n)
{
    (void)ctx; (void)err; (void)n;
    snprintf(out->name, sizeof out->name, "simulated device");
    snprintf(out->driver, sizeof out->driver, "sim 1.0");
    snprintf(out->pci_bus_id, sizeof out->pci_bus_id, "%s", getenv("KB_SIM_PCI_BUS_ID") ? getenv("KB_SIM_PCI_BUS_ID") : "");
    out->memory_bytes = 1ull << 30;
    out->l2_bytes = 4u << 20;
    out->multiprocessors = 2;
    return KB_OK;
}

static kb_status dev_copy(void *ctx, void *dst, const void *src, size_t bytes, void *stream, char *err, size_t n)
{
    (void)ctx; (void)stream;
    if (!is_device(dst) || !is_device(src)) {
        snprintf(err, n, "copy with a pointer that is not a device allocation");
        return KB_ERR_INVALID;
    }
    memcpy(dst, src, bytes);
    return KB_OK;
}

static kb_status supports(void *ctx, const kb_problem *p, char *why, size_t n)
{
    (void)ctx;
    if (p->u.softmax.x.dtype != KB_DTYPE_F32) {
        if (why) snprintf(why, n, "only f32 is implemented");
        return KB_ERR_UNSUPPORTED;
    }
    return KB_OK;
}

/* Plain f32 softmax over device pointers. */
static kb_status run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t n)
{
    (void)ctx; (void)ws; (void)stream;
    const kb_softmax_params *s = &p->u.softmax;
    if (!is_device(s->x.data) || !is_device(s->y.data)) {
        snprintf(err, n, "tensor data is not device memory from this plugin's alloc hook");
        return KB_ERR_INVALID;
    }
    kb_test_plain_softmax(s);
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"plain", KB_OP_SOFTMAX, "f32 softmax on simulated device memory", supports, NULL, run},
};

static const kb_plugin plugin = {
    KB_ABI_VERSION, sizeof(kb_plugin), SIM_NAME, "1.0", "sim",
    "test plugin: host memory behind the device hooks",
    init, fini,
    {dev_alloc, dev_free, upload, download, sync, timer_start, timer_stop, NULL, info, dev_copy},
    1, kernels,
};

KB_PLUGIN_ENTRY { return &plugin; }
