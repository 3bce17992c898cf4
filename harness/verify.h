/*
 * verify.h - stage 4: check kernels against the reference plugin on one case.
 *
 * The case's inputs are drawn once per pattern and trial; the oracle (ref's
 * "exact" kernel, f64 outputs) and the storage-dtype yardstick (ref's
 * "storage" kernel) run once on them, on a sample of rows when the full
 * reference would be slow; then every kernel runs on poisoned outputs and is
 * compared (check.h).  A kernel's first failure ends its checking.
 */
#ifndef KBENCH_HARNESS_VERIFY_H
#define KBENCH_HARNESS_VERIFY_H

#include <stdint.h>

#include "check.h"
#include "kb_case.h"
#include "load.h"

typedef enum kb_verdict { KB_VERDICT_PASS, KB_VERDICT_FAIL, KB_VERDICT_SKIP } kb_verdict;

typedef struct kb_verify_target {
    kb_loaded_plugin *plugin;
    const kb_kernel *kernel;
    /* results */
    kb_verdict verdict;
    char reason[640];      /* FAIL: what and where; SKIP: why */
    kb_check_result worst; /* the trial closest to (or past) its bound */
    int trials_run;
} kb_verify_target;

typedef struct kb_verify_options {
    uint64_t seed;
    int trials;              /* random trials before the adversarial patterns */
    double ref_budget;       /* reference work (kb_case_ref_cost units) before sampling rows */
    int verbose;
} kb_verify_options;

/* The oracle plugin's kernels used by verify. */
typedef struct kb_oracle {
    kb_loaded_plugin *plugin;
} kb_oracle;

/* Verify every target on case `c`.  Returns 0, or -1 if the oracle itself
 * failed (message in `err`): a harness or oracle bug, not a kernel's.
 * In-process: kb_verify_admit, then per input pattern kb_verify_oracle and
 * kb_verify_check.  The worker processes (isolate.h) use the same steps,
 * the oracle's outputs travelling between them by kb_verify_export/import. */
int kb_verify_case(const kb_case *c, const kb_oracle *oracle, kb_verify_target *targets, int target_count,
                   const kb_verify_options *opt, int64_t *sampled_rows, char *err, size_t err_len);

/* Reset a target's results; SKIP it when its plugin is unavailable.
 * Returns 1 when it may run (its supports() is asked next). */
int kb_verify_target_reset(kb_verify_target *t);

/* Decide whether a target runs at all: its plugin is available and its
 * supports() accepts the case (asked on shapes only).  Sets verdict to
 * PASS (runs) or SKIP with the reason, and resets the target's results. */
void kb_verify_admit(kb_verify_target *t, const kb_case *c);

/* One case's verification state: the inputs, the oracle's outputs (f64),
 * the storage-dtype yardstick, matmul C's initial values, the sampled rows
 * and the input patterns.  Deterministic: two sessions of the same case and
 * options lay out identical buffers. */
typedef struct kb_verify_session {
    kb_case c;
    kb_verify_options opt;
    struct kb_workload *w, *ref, *storage, *c_initial; /* storage, c_initial may be NULL */
    int64_t *rows, row_count;                          /* rows NULL: all rows */
    const char *patterns[16];
    int pattern_count;
    int pattern;         /* the input pattern loaded now, -1 none */
    uint64_t input_hash; /* of the inputs of that pattern */
} kb_verify_session;

int kb_verify_begin(kb_verify_session *s, const kb_case *c, const kb_verify_options *opt, char *err, size_t err_len);
void kb_verify_end(kb_verify_session *s);

/* Load input pattern `pattern` (0 .. pattern_count-1) and run the oracle on
 * it.  Returns 0, or -1 with the oracle's failure in err. */
int kb_verify_oracle(kb_verify_session *s, const kb_loaded_plugin *oracle, int pattern, char *err, size_t err_len);

/* Check one admitted target on the loaded pattern; its verdict becomes FAIL
 * on a failure (returns 1), and its worst result is updated. */
int kb_verify_check(kb_verify_session *s, kb_verify_target *t);

/* The session's buffers as bytes (inputs, oracle outputs, yardstick, C's
 * initial values) and back, for a session of the same case in another
 * process.  import returns -1 (message in err) if the layouts differ. */
size_t kb_verify_export_bytes(const kb_verify_session *s);
void kb_verify_export(const kb_verify_session *s, void *dst);
int kb_verify_import(kb_verify_session *s, int pattern, const void *src, size_t n, char *err, size_t err_len);

/* Run kernel k of plugin lp once on w's buffers as verify does: host
 * plugins in place, device plugins through their memory hooks (every buffer
 * copied there and back).  Returns run()'s status, message in err. */
struct kb_workload;
kb_status kb_verify_run(const kb_loaded_plugin *lp, const kb_kernel *k, struct kb_workload *w, char *err,
                        size_t err_len);

/* "OK", "UNSUPPORTED", ... for messages. */
const char *kb_status_name(kb_status st);

#endif
