/*
 * gbench.h - a C API over Google Benchmark (libbenchmark), implemented in
 * gbench_shim.cc, the project's only C++ file.
 *
 * Google Benchmark does the timing and the statistics: iteration counts,
 * warm-up, minimum time, repetitions and the aggregates (mean, median,
 * stddev, cv, and kbench's "min").  kbench registers one benchmark per
 * (kernel, case, placement) with a C callback, runs them all, and receives
 * every run (each repetition and each aggregate) through a C callback fed
 * by a custom reporter.
 */
#ifndef KBENCH_HARNESS_GBENCH_H
#define KBENCH_HARNESS_GBENCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_gb_state kb_gb_state; /* wraps benchmark::State */

/* A benchmark body: loops `while (kb_gb_keep_running(st)) { ... }`. */
typedef void (*kb_gb_body)(kb_gb_state *st, void *user);

typedef struct kb_gb_options {
    double min_time;        /* seconds each repetition runs at least (MinTime); <= 0: library default */
    double min_warmup_time; /* untimed warm-up before measuring (MinWarmUpTime); 0: none */
    int repetitions;        /* >= 1; aggregates are reported when > 1 */
    int manual_time;        /* the body reports each iteration's time (UseManualTime) */
    int64_t iterations;     /* > 0: exactly this many per repetition (Iterations), for bodies
                               whose untimed work per iteration (a cache flush) would make the
                               library's automatic count run for minutes; 0: automatic */
} kb_gb_options;

/* Register a benchmark.  `name` is copied and is reported unchanged as the
 * run name (no "/manual_time" or "/repeats:" decorations).  `user` must live
 * until kb_gb_run_all returns.  Returns 0, or -1 for bad options. */
int kb_gb_register(const char *name, kb_gb_body body, void *user, const kb_gb_options *opt);

/* Inside a body. */
int kb_gb_keep_running(kb_gb_state *st);
void kb_gb_set_iteration_time(kb_gb_state *st, double seconds); /* manual time only */
void kb_gb_pause_timing(kb_gb_state *st);
void kb_gb_resume_timing(kb_gb_state *st);
void kb_gb_skip_with_error(kb_gb_state *st, const char *msg);
int64_t kb_gb_iterations(const kb_gb_state *st); /* iterations completed so far */

/* A counter reported with each run.  KB_GB_RATE divides by the run's
 * (real or manual) time, KB_GB_PER_ITERATION_INVARIANT multiplies by the
 * iteration count first: together they turn "FLOPs per iteration" into FLOP/s. */
enum {
    KB_GB_RATE = 1,
    KB_GB_ITERATION_INVARIANT = 2
};
void kb_gb_set_counter(kb_gb_state *st, const char *name, double value, unsigned flags);

typedef struct kb_gb_counter {
    const char *name;
    double value; /* after the flags were applied */
} kb_gb_counter;

typedef enum kb_gb_run_type { KB_GB_ITERATION = 0, KB_GB_AGGREGATE = 1 } kb_gb_run_type;

/* One run as the reporter sees it.  Pointers are valid during the callback. */
typedef struct kb_gb_run {
    const char *run_name;       /* the registered name */
    kb_gb_run_type run_type;
    const char *aggregate_name; /* "mean", "median", "stddev", "cv", "min"; "" for iterations */
    int aggregate_is_percentage;/* cv: the value is a ratio (0.05 = 5%), not a time */
    int64_t repetitions;        /* repetitions of this benchmark */
    int64_t repetition_index;   /* iterations: 0-based; aggregates: -1 */
    int64_t iterations;
    double real_time;           /* seconds per iteration (manual time when manual); cv: ratio */
    double cpu_time;            /* seconds per iteration of the calling thread's CPU time */
    int error;                  /* the body called kb_gb_skip_with_error */
    const char *error_message;
    int counter_count;
    const kb_gb_counter *counters;
} kb_gb_run;

typedef void (*kb_gb_run_fn)(const kb_gb_run *run, void *user);

/* Run every registered benchmark in registration order, reporting each run
 * through on_run (iterations first, then that benchmark's aggregates), then
 * clear the registrations.  Returns how many benchmarks ran. */
int kb_gb_run_all(kb_gb_run_fn on_run, void *user);

/* The machine as Google Benchmark describes it (the JSON "context"). */
typedef struct kb_gb_cache {
    const char *type; /* "Data", "Instruction", "Unified" */
    int level;
    int64_t size;     /* bytes */
    int num_sharing;
} kb_gb_cache;

typedef struct kb_gb_context {
    int num_cpus;
    double mhz_per_cpu;
    int cpu_scaling_enabled;
    int cache_count;
    kb_gb_cache caches[16];
    double load_avg[3];
    int load_avg_count;
    const char *library_build_type; /* "release" or "debug": how libbenchmark was built */
} kb_gb_context;

void kb_gb_get_context(kb_gb_context *out);

#ifdef __cplusplus
}
#endif
#endif
