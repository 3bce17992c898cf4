/*
 * peak.h - the machine's measured roofline ceilings (`kbench peak`): FP32 FMA
 * throughput and STREAM-style copy and triad bandwidth, at DRAM and
 * last-level-cache sizes, on one core and on all cores.  docs/roofline.md
 * describes the method and the roofline formula.
 */
#ifndef KBENCH_HARNESS_PEAK_H
#define KBENCH_HARNESS_PEAK_H

#include <stddef.h>

#include <jansson.h>

/* One device plugin's ceilings, measured through its own hooks and kernels
 * (peak_device.c). */
typedef struct kb_device_peak {
    char plugin[72], name[128];
    double copy_gbs;         /* device-to-device copy hook: bytes read + written per second / 1e9; 0: not measured */
    double matmul_gflops;    /* the plugin's best f16 x f16 -> f32 matmul kernel at 4096^3; 0: not measured */
    char matmul_kernel[72];  /* which kernel that was */
    char note[160];          /* why a figure is missing */
} kb_device_peak;

#define KB_PEAK_MAX_DEVICES 8

typedef struct kb_peak {
    char fingerprint[32];      /* filled by the caller; "" if unknown */
    int cores;                 /* threads used for the "all" figures */
    double fma_gflops_1, fma_gflops_all;         /* FP32 FMA */
    double copy_dram_gbs_1, copy_dram_gbs_all, triad_dram_gbs_1, triad_dram_gbs_all;
    double copy_llc_gbs_1, copy_llc_gbs_all, triad_llc_gbs_1, triad_llc_gbs_all;
    size_t llc_bytes;
    char isa[32];              /* "avx2+fma" or "scalar" */
    char date[40];
    int device_count;          /* device plugins measured (kb_peak_measure_devices) */
    kb_device_peak devices[KB_PEAK_MAX_DEVICES];
} kb_peak;

/* Measure the ceilings with `cores` threads for the "all" figures (<= 0: every
 * CPU this process may use), each thread pinned to its own CPU.  Fills every
 * field of *out; fingerprint is left "" for the caller.  Returns 0, or -1 with
 * a one-line message (more threads than CPUs, out of memory, pinning failed). */
int kb_peak_measure(kb_peak *out, int cores, char *err, size_t err_len);

/* The same with small arrays, short trials and two trials each: a sanity
 * check for tests (a second or so), not a ceiling. */
int kb_peak_measure_quick(kb_peak *out, int cores, char *err, size_t err_len);

/* The JSON object kb_peak_save writes (NULL with a message on failure). */
json_t *kb_peak_json(const kb_peak *p, char *err, size_t err_len);

/* path "-": the JSON goes to stdout instead of a file. */
int kb_peak_save(const kb_peak *p, const char *path, char *err, size_t err_len);  /* JSON, atomically (kb_write_file_atomic) */
int kb_peak_load(kb_peak *p, const char *path, char *err, size_t err_len);       /* 0 ok; -1 missing or malformed, with a one-line message */

/* Roofline: the attainable throughput for `threads` threads of a case with the given FLOPs and bytes per run,
   and whether it is compute- or memory-bound.  Compute ceiling: fma_gflops_1 * min(threads, cores), capped at
   fma_gflops_all.  Memory ceiling: triad bandwidth, LLC-sized when `bytes` fits in half the LLC, DRAM otherwise,
   single-thread figure for 1 thread, the all-core figure from `cores` threads, linear in between, capped.
   flops == 0 (softmax, quantize): the memory ceiling in bytes/s is the bound. */
typedef struct kb_roofline { double bound; int memory_bound; double intensity; } kb_roofline;  /* bound: FLOP/s, or bytes/s when flops == 0 */
kb_roofline kb_peak_roofline(const kb_peak *p, double flops, double bytes, int threads);

/* A device plugin's roofline: compute ceiling matmul_gflops, memory ceiling
 * copy_gbs; bound 0 when the figure the case needs was not measured. */
kb_roofline kb_peak_device_roofline(const kb_device_peak *d, double flops, double bytes);

/* The ceilings of device plugin `plugin`, or NULL. */
const kb_device_peak *kb_peak_device(const kb_peak *p, const char *plugin);

/*
 * Internal: the inner loops (peak_kernels.c), kept apart from the
 * bookkeeping (peak.c).  Not for use outside those two files and the tests.
 */
typedef struct kb_peak_kernels {
    const char *isa;            /* "avx2+fma" or "scalar" */
    double fma_flops_per_iter;  /* FLOPs one iteration of fma() performs */
    /* `iters` iterations of independent FP32 FMA chains x = x * a + b; returns
     * a value that depends on every chain, so that none can be dropped. */
    float (*fma)(long iters, float a, float b);
    /* a[i] = b[i] for i < n (STREAM copy). */
    void (*copy)(double *a, const double *b, size_t n);
    /* a[i] = b[i] + s * c[i] for i < n (STREAM triad). */
    void (*triad)(double *a, const double *b, const double *c, double s, size_t n);
} kb_peak_kernels;

/* The AVX2+FMA kernels when this CPU has both, else the portable ones;
 * force_portable picks the portable ones regardless. */
const kb_peak_kernels *kb_peak_kernels_select(int force_portable);

#endif
