/*
 * timing.h - stage 5: time one verified (kernel, case) with Google Benchmark
 * (gbench.h).
 *
 * Host kernels are timed on the wall clock around run(); device kernels with
 * the plugin's event timer (timer_start / timer_stop); both reach Google
 * Benchmark as manual time, so untimed work (a cache flush, rotating to the
 * next input set) never counts.  Warm runs rotate several input sets when a
 * set fits in the last-level cache; cold runs (--cold) evict the caches
 * before every iteration.  docs/timing.md explains the choices.
 */
#ifndef KBENCH_HARNESS_TIMING_H
#define KBENCH_HARNESS_TIMING_H

#include <stddef.h>
#include <stdint.h>

#include "figures.h"
#include "kb_case.h"
#include "load.h"

typedef struct kb_timing_options {
    int repetitions;     /* >= 1 */
    double min_time;     /* seconds of measured time per repetition */
    double warmup;       /* seconds of untimed warm-up */
    int cold;            /* flush caches before every iteration */
    uint64_t seed;       /* for the input sets */
} kb_timing_options;

/* One run as Google Benchmark reported it (a repetition or an aggregate). */
typedef struct kb_timed_run {
    int aggregate;           /* 0: a repetition */
    char aggregate_name[16]; /* "mean", "median", "stddev", "cv", "min" */
    int percentage;          /* cv: value is a ratio */
    int64_t repetition_index;
    int64_t iterations;
    double real_time, cpu_time; /* seconds per iteration (cv: ratio) */
} kb_timed_run;

typedef struct kb_timing {
    int ok;
    char error[256];
    int input_sets;           /* how many input sets were rotated */
    int repetitions;
    kb_timed_run *runs;       /* repetitions, then aggregates */
    int run_count;
    double median, mean, stddev, cv, min; /* seconds per iteration; cv a ratio */
} kb_timing;

/* Time kernel k of plugin lp on case c; `name` is the benchmark name.
 * Returns 0 (result in *out, out->ok says whether it ran), -1 on a harness
 * failure (out of memory) with the message in out->error. */
int kb_time_kernel(kb_loaded_plugin *lp, const kb_kernel *k, const kb_case *c, const char *name,
                   const kb_timing_options *opt, kb_timing *out);
void kb_timing_free(kb_timing *t);

/* Add `more`'s repetitions to `into` (renumbered after its own) and
 * recompute the aggregates over all of them with Google Benchmark's
 * definitions (mean, median, sample stddev, cv = stddev / mean, min), for
 * repetitions timed in separate rounds (run --rounds).  `into` may be empty
 * (run_count 0).  Returns 0, or -1 when out of memory. */
int kb_timing_merge(kb_timing *into, const kb_timing *more);

/* Bytes of the last-level cache (sysfs, then sysconf, then 32 MiB). */
size_t kb_llc_bytes(void);

#endif
