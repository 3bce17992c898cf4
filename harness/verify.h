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
 * failed (message in `err`): a harness or oracle bug, not a kernel's. */
int kb_verify_case(const kb_case *c, const kb_oracle *oracle, kb_verify_target *targets, int target_count,
                   const kb_verify_options *opt, int64_t *sampled_rows, char *err, size_t err_len);

/* Run kernel k of plugin lp once on w's buffers as verify does: host
 * plugins in place, device plugins through their memory hooks (every buffer
 * copied there and back).  Returns run()'s status, message in err. */
struct kb_workload;
kb_status kb_verify_run(const kb_loaded_plugin *lp, const kb_kernel *k, struct kb_workload *w, char *err,
                        size_t err_len);

/* "OK", "UNSUPPORTED", ... for messages. */
const char *kb_status_name(kb_status st);

#endif
