/*
 * results.h - what a `kbench run` produced: one kb_result per (plugin,
 * kernel, case, placement), verified and, if it passed, timed.  The record
 * stage (record_json.c, record_csv.c) and the console report
 * (report_table.c) read this and nothing else.
 */
#ifndef KBENCH_HARNESS_RESULTS_H
#define KBENCH_HARNESS_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "figures.h"
#include "kb_case.h"
#include "peak.h"
#include "placement.h"
#include "timing.h"
#include "verify.h"

typedef struct kb_result {
    kb_case c;
    char name[400];     /* op/plugin.kernel/case/threads=N */
    char plugin[72], kernel[72];
    int threads;
    const kb_placement *placement; /* points into the record's placements */
    kb_verdict verdict; /* PASS: timed (unless timing failed); FAIL: not timed; SKIP */
    char reason[640];   /* FAIL or SKIP: why */
    kb_check_result verify;
    int64_t verified_rows, rows;
    kb_figures fig;
    kb_timing timing;   /* timing.ok: timed */
    double speedup;     /* baseline median / this median; 0: no baseline */
    kb_roofline roofline; /* bound for this case and placement; bound 0: no ceilings */
    double roofline_pct;  /* achieved / bound * 100 */
    char host_pus[64];    /* device plugins: the PUs near the device the host thread ran on; "" otherwise */
    int on_device;        /* the plugin's backend is not host */
} kb_result;

typedef struct kb_plugin_fact {
    char name[72], version[40], backend[24], path[512];
    int available;
} kb_plugin_fact;

typedef struct kb_run_record {
    char date[40];      /* ISO 8601 with the UTC offset, as Google Benchmark writes it */
    char suite[256];
    uint64_t seed;
    int threads, repetitions, cold;
    int rounds;          /* --rounds: processes the repetitions were split over */
    double min_time;
    char baseline[160]; /* --baseline, "" if none */
    char fingerprint[32];
    json_t *topology;    /* kb_topology_json of this machine (owned) */
    json_t *devices;     /* kb_devices_json of the device plugins (owned) */
    int have_peak;
    kb_peak peak;        /* this fingerprint's ceilings */
    kb_placement *placements;
    int placement_count;
    kb_plugin_fact *plugins;
    int plugin_count;
    kb_result *results;
    int count;
    int incomplete;       /* still running (a streamed file), or stopped by a signal */
    char stopped_by[16];  /* "SIGINT", "SIGTERM": what stopped it; "" otherwise */
} kb_run_record;

/* Each timed result's share of its roofline bound. */
void kb_results_apply_roofline(kb_run_record *rec);

/* Speedups against the baseline plugin[.kernel] (best of its kernels per case). */
void kb_results_apply_baseline(kb_run_record *rec);

/* Did any result fail verification or timing? */
int kb_results_failed(const kb_run_record *rec);

void kb_run_record_free(kb_run_record *rec);

/* Write Google Benchmark's JSON schema (docs/results.md) / CSV, atomically. */
int kb_write_json(const char *path, const kb_run_record *rec, char *err, size_t err_len);
int kb_write_csv(const char *path, const kb_run_record *rec, char *err, size_t err_len);

/* The console table. */
void kb_print_table(FILE *f, const kb_run_record *rec);

#endif
