/*
 * result_file.h - reading a result file back for `kbench compare`: kbench's
 * own files (docs/results.md) and plain Google Benchmark JSON.
 *
 * Per benchmark (its run_name) it keeps what a comparison needs: the real
 * time of every repetition in seconds, whether it failed (error_occurred,
 * or kbench's verification status FAIL), and kbench's placement label.
 */
#ifndef KBENCH_HARNESS_RESULT_FILE_H
#define KBENCH_HARNESS_RESULT_FILE_H

#include <stddef.h>

typedef enum {
    KB_RF_VERIFY_NONE = 0, /* no kbench.verification (plain Google Benchmark) */
    KB_RF_VERIFY_PASS,
    KB_RF_VERIFY_FAIL
} kb_rf_verify;

typedef struct kb_result_bench {
    char *name;          /* run_name (the name of an iteration entry when there is none) */
    double *times;       /* real_time per repetition, in seconds, file order */
    int n;               /* repetitions with a time */
    int cap;
    int errored;         /* some entry has "error_occurred": true */
    char *error_message; /* the first such entry's "error_message", or NULL */
    kb_rf_verify verification;
    char *verify_reason; /* kbench.verification.reason of a FAIL, or NULL */
    char *placement;     /* kbench.placement.label, or NULL */
} kb_result_bench;

typedef struct kb_result_file {
    char *path;
    char *fingerprint;   /* context.kbench_fingerprint, or NULL */
    kb_result_bench *benches; /* in order of first appearance */
    int count;
} kb_result_file;

/* Read `path`.  0 on success; -1 with one line in err, "PATH: problem"
 * (empty file, JSON syntax with its line, a wrong schema naming the entry
 * and field, no benchmarks), and *out left empty. */
int kb_result_file_load(const char *path, kb_result_file *out, char *err, size_t err_len);

/* The same from memory: `len` bytes of `text` (no terminating NUL needed),
 * named `origin` in messages and in out->path.  kb_result_file_load reads
 * the file and calls this; the fuzzer (tests/fuzz) calls it directly. */
int kb_result_file_parse(const char *text, size_t len, const char *origin, kb_result_file *out, char *err,
                         size_t err_len);
void kb_result_file_free(kb_result_file *f);

/* Does the benchmark fail (errored, or verification FAIL)? */
int kb_result_bench_failed(const kb_result_bench *b);

#endif
