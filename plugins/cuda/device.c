/*
 * device.c - the memory hooks, event timer, cache flush and device facts of a
 * CUDA plugin.  Copies go through the plugin's own non-blocking stream and
 * are waited for: a pageable cudaMemcpy may return before its DMA is done,
 * and the legacy default stream does not order against non-blocking streams.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "cuda_check.h"
#include "device.h"

kb_status kbc_context_init(kbc_context *c, char *err, size_t err_len)
{
    int count = 0;
    cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        /* The static runtime says "driver version is insufficient" also when
         * there is no driver at all; say which it is. */
        void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
        if (driver)
            dlclose(driver);
        return kb_fail(KB_ERR_DEVICE, err, err_len, "CUDA: %s (%s)",
                        driver ? cudaGetErrorString(e) : "no NVIDIA driver (libcuda.so.1 not found)",
                        cudaGetErrorName(e));
    }
    if (count < 1)
        return kb_fail(KB_ERR_DEVICE, err, err_len, "CUDA: no device");
    c->device = 0;
    const char *want = getenv("KBENCH_CUDA_DEVICE");
    if (want && *want) {
        char *end;
        long d = strtol(want, &end, 10);
        if (*end || d < 0 || d >= count)
            return kb_fail(KB_ERR_INVALID, err, err_len, "KBENCH_CUDA_DEVICE=%s: expected 0..%d", want,
                            count - 1);
        c->device = (int)d;
    }
    KBC_TRY(cudaSetDevice(c->device), "cudaSetDevice", err, err_len);
    struct cudaDeviceProp prop;
    KBC_TRY(cudaGetDeviceProperties(&prop, c->device), "cudaGetDeviceProperties", err, err_len);
    c->sm_count = prop.multiProcessorCount;
    c->cc_major = prop.major;
    c->cc_minor = prop.minor;
    c->l2_bytes = (size_t)prop.l2CacheSize;
    c->smem_optin = prop.sharedMemPerBlockOptin;
    cudaStream_t s;
    KBC_TRY(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate", err, err_len);
    c->stream = s;
    cudaEvent_t b, f;
    KBC_TRY(cudaEventCreate(&b), "cudaEventCreate", err, err_len);
    c->timer_begin = b;
    KBC_TRY(cudaEventCreate(&f), "cudaEventCreate", err, err_len);
    c->timer_end = f;
    return KB_OK;
}

void kbc_context_fini(kbc_context *c)
{
    if (!c)
        return;
    if (c->stream)
        cudaStreamSynchronize((cudaStream_t)c->stream);
    if (c->flush_buffer)
        cudaFree(c->flush_buffer);
    if (c->timer_begin)
        cudaEventDestroy((cudaEvent_t)c->timer_begin);
    if (c->timer_end)
        cudaEventDestroy((cudaEvent_t)c->timer_end);
    if (c->stream)
        cudaStreamDestroy((cudaStream_t)c->stream);
    c->flush_buffer = c->timer_begin = c->timer_end = c->stream = NULL;
}

kb_status kbc_dev_alloc(void *ctx, size_t bytes, void **ptr, char *err, size_t err_len)
{
    (void)ctx;
    *ptr = NULL;
    KBC_TRY(cudaMalloc(ptr, bytes ? bytes : 1), "cudaMalloc", err, err_len);
    return KB_OK;
}

void kbc_dev_free(void *ctx, void *ptr)
{
    (void)ctx;
    if (ptr)
        cudaFree(ptr);
}

static kb_status copy_and_wait(kbc_context *c, void *dst, const void *src, size_t bytes,
                               enum cudaMemcpyKind kind, const char *what, char *err, size_t err_len)
{
    cudaStream_t s = (cudaStream_t)c->stream;
    KBC_TRY(cudaMemcpyAsync(dst, src, bytes, kind, s), what, err, err_len);
    KBC_TRY(cudaStreamSynchronize(s), what, err, err_len);
    return KB_OK;
}

kb_status kbc_dev_upload(void *ctx, void *dst, const void *src, size_t bytes, char *err, size_t err_len)
{
    return copy_and_wait(ctx, dst, src, bytes, cudaMemcpyHostToDevice, "upload", err, err_len);
}

kb_status kbc_dev_download(void *ctx, void *dst, const void *src, size_t bytes, char *err, size_t err_len)
{
    return copy_and_wait(ctx, dst, src, bytes, cudaMemcpyDeviceToHost, "download", err, err_len);
}

kb_status kbc_dev_synchronize(void *ctx, void *stream, char *err, size_t err_len)
{
    KBC_TRY(cudaStreamSynchronize(kbc_stream(ctx, stream)), "cudaStreamSynchronize", err, err_len);
    /* A kernel fault is sticky and reported by the sync above; this catches a
     * launch error that a run() forgot to check. */
    KBC_TRY(cudaGetLastError(), "after synchronize", err, err_len);
    return KB_OK;
}

kb_status kbc_dev_timer_start(void *ctx, void *stream, char *err, size_t err_len)
{
    kbc_context *c = ctx;
    KBC_TRY(cudaEventRecord((cudaEvent_t)c->timer_begin, kbc_stream(c, stream)), "cudaEventRecord", err,
            err_len);
    return KB_OK;
}

kb_status kbc_dev_timer_stop(void *ctx, void *stream, double *seconds, char *err, size_t err_len)
{
    kbc_context *c = ctx;
    float ms = 0;
    KBC_TRY(cudaEventRecord((cudaEvent_t)c->timer_end, kbc_stream(c, stream)), "cudaEventRecord", err,
            err_len);
    KBC_TRY(cudaEventSynchronize((cudaEvent_t)c->timer_end), "cudaEventSynchronize", err, err_len);
    KBC_TRY(cudaEventElapsedTime(&ms, (cudaEvent_t)c->timer_begin, (cudaEvent_t)c->timer_end),
            "cudaEventElapsedTime", err, err_len);
    *seconds = (double)ms * 1e-3;
    return KB_OK;
}

/* Writing a buffer four times the L2 size leaves none of the inputs there. */
kb_status kbc_dev_flush_cache(void *ctx, void *stream, char *err, size_t err_len)
{
    kbc_context *c = ctx;
    if (!c->flush_buffer) {
        size_t bytes = 4 * (c->l2_bytes ? c->l2_bytes : ((size_t)64 << 20));
        KBC_TRY(cudaMalloc(&c->flush_buffer, bytes), "cudaMalloc (cache flush buffer)", err, err_len);
        c->flush_bytes = bytes;
    }
    static int value;
    value = (value + 1) & 0xff; /* a new value each time: nothing to elide */
    KBC_TRY(cudaMemsetAsync(c->flush_buffer, value, c->flush_bytes, kbc_stream(c, stream)), "cudaMemsetAsync",
            err, err_len);
    return KB_OK;
}

kb_status kbc_dev_info(void *ctx, kb_device_info *info, char *err, size_t err_len)
{
    kbc_context *c = ctx;
    struct cudaDeviceProp prop;
    KBC_TRY(cudaGetDeviceProperties(&prop, c->device), "cudaGetDeviceProperties", err, err_len);
    int driver = 0, runtime = 0;
    KBC_TRY(cudaDriverGetVersion(&driver), "cudaDriverGetVersion", err, err_len);
    KBC_TRY(cudaRuntimeGetVersion(&runtime), "cudaRuntimeGetVersion", err, err_len);
    snprintf(info->name, sizeof info->name, "%.127s", prop.name);
    snprintf(info->driver, sizeof info->driver, "CUDA driver %d.%d, runtime %d.%d, sm_%d%d", driver / 1000,
             (driver % 1000) / 10, runtime / 1000, (runtime % 1000) / 10, prop.major, prop.minor);
    snprintf(info->pci_bus_id, sizeof info->pci_bus_id, "%04x:%02x:%02x.0", (unsigned)prop.pciDomainID,
             (unsigned)prop.pciBusID, (unsigned)prop.pciDeviceID);
    info->memory_bytes = prop.totalGlobalMem;
    info->l2_bytes = (uint64_t)prop.l2CacheSize;
    info->multiprocessors = prop.multiProcessorCount;
    return KB_OK;
}

kb_status kbc_dev_copy(void *ctx, void *dst, const void *src, size_t bytes, void *stream, char *err,
                       size_t err_len)
{
    KBC_TRY(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, kbc_stream(ctx, stream)),
            "cudaMemcpyAsync (device to device)", err, err_len);
    return KB_OK;
}
