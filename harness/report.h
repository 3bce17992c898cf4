/*
 * report.h - `kbench report`: the data of one or more result files, read
 * for charts (report_data.c), and the two renderings: a self-contained HTML
 * page with inline SVG charts (report_html.c) and a markdown summary
 * (report_md.c).  docs/report.md describes what they show.
 */
#ifndef KBENCH_HARNESS_REPORT_H
#define KBENCH_HARNESS_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "compare.h"
#include "result_file.h"

/* One benchmark (run_name) of one file, with what the charts need. */
typedef struct kb_report_bench {
    const char *name;        /* run_name, points into the file's JSON */
    const char *op, *plugin, *kernel, *kcase, *placement; /* kbench fields, or "" */
    int file;                /* index of its file */
    double median_s;         /* median real_time of the repetitions, seconds; NAN without */
    double flops, bytes;     /* per iteration; NAN when absent */
    double intensity;        /* FLOP/byte; NAN without FLOPs and bytes */
    double roof_percent;     /* kbench.roofline.percent, NAN when absent */
    const char *verify;      /* "PASS", "FAIL", "ERROR" (errored) or "-" */
    double max_err, bound;   /* kbench.verification; NAN when absent */
    const char *reason;      /* failure reason or error message, or NULL */
    double speedup;          /* against --baseline; NAN when not asked or no match */
} kb_report_bench;

typedef struct kb_report_input {
    const char *path;
    json_t *root;            /* the whole file */
    json_t *context;         /* its "context" object, or NULL */
    kb_result_file rf;       /* as compare reads it */
} kb_report_input;

typedef struct kb_report {
    kb_report_input *inputs;
    int input_count;
    kb_report_bench *benches; /* all files, in file order */
    int count;
    const char *baseline;     /* --baseline PLUGIN, or NULL */
    /* --base: compare(base, inputs[0]) */
    int has_base;
    kb_result_file base;
    const char *base_path;
    kb_compare_result cmp;
    int base_machine_differs;
} kb_report;

/* Read the files (and BASE when base_path is not NULL).  0, or -1 with the
 * one-line message compare gives for an unreadable or malformed file. */
int kb_report_load(kb_report *r, char **paths, int n, const char *base_path, const char *baseline, char *err,
                   size_t err_len);
void kb_report_free(kb_report *r);

/* Throughput of a benchmark for its bar: GFLOP/s with FLOPs, else GB/s;
 * NAN without a time. *unit is "GFLOP/s" or "GB/s". */
double kb_report_throughput(const kb_report_bench *b, const char **unit);

/* Distinct ops / plugins in order of first appearance; returns the count. */
int kb_report_ops(const kb_report *r, const char **out, int max);

int kb_report_write_html(FILE *f, const kb_report *r, char *err, size_t err_len);
int kb_report_write_markdown(FILE *f, const kb_report *r);

#endif
