/*
 * device.h - one CUDA device behind the ABI's memory hooks.  Shared by the
 * cuda plugin and the cublas baseline plugin: both keep a kbc_context as the
 * first member of their state, so these hooks work on either.
 */
#ifndef KBC_DEVICE_H
#define KBC_DEVICE_H

#include "kbc.h"

/* Pick the device (KBENCH_CUDA_DEVICE, default 0), create the stream and
 * events, read the properties.  Fails with the runtime's reason when there is
 * no driver or no device, which is what `kbench list` then shows. */
kb_status kbc_context_init(kbc_context *c, char *err, size_t err_len);
void kbc_context_fini(kbc_context *c);

kb_status kbc_dev_alloc(void *ctx, size_t bytes, void **ptr, char *err, size_t err_len);
void kbc_dev_free(void *ctx, void *ptr);
kb_status kbc_dev_upload(void *ctx, void *dst, const void *src, size_t bytes, char *err, size_t err_len);
kb_status kbc_dev_download(void *ctx, void *dst, const void *src, size_t bytes, char *err, size_t err_len);
kb_status kbc_dev_synchronize(void *ctx, void *stream, char *err, size_t err_len);
kb_status kbc_dev_timer_start(void *ctx, void *stream, char *err, size_t err_len);
kb_status kbc_dev_timer_stop(void *ctx, void *stream, double *seconds, char *err, size_t err_len);
kb_status kbc_dev_flush_cache(void *ctx, void *stream, char *err, size_t err_len);
kb_status kbc_dev_info(void *ctx, kb_device_info *info, char *err, size_t err_len);
kb_status kbc_dev_copy(void *ctx, void *dst, const void *src, size_t bytes, void *stream, char *err,
                       size_t err_len);

/* The kb_device_hooks initializer for a descriptor. */
#define KBC_DEVICE_HOOKS                                                                           \
    {                                                                                              \
        kbc_dev_alloc, kbc_dev_free, kbc_dev_upload, kbc_dev_download, kbc_dev_synchronize,        \
            kbc_dev_timer_start, kbc_dev_timer_stop, kbc_dev_flush_cache, kbc_dev_info, kbc_dev_copy \
    }

#endif /* KBC_DEVICE_H */
