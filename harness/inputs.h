/*
 * inputs.h - the inputs a kernel is checked on: seeded random trials (fresh
 * inputs each) and adversarial patterns per op (docs/verification.md lists
 * them).  Never all zeros.
 */
#ifndef KBENCH_HARNESS_INPUTS_H
#define KBENCH_HARNESS_INPUTS_H

#include <stdint.h>

#include "kb_case.h"
#include "workload.h"

#define KB_MAX_PATTERNS 16

/* The input patterns for a case: "random" `trials` times, then the op's
 * adversarial patterns.  Returns how many were written to names[]. */
int kb_input_patterns(const kb_case *c, int trials, const char **names, int max);

/* Which trial of its pattern names[p] is (0-based): "random" repeats. */
int kb_input_trial(const char *const *names, int p);

/* Fill every input tensor of `w` (matmul's C too when beta != 0) for
 * pattern `name`, drawing from a generator seeded with `seed`. */
void kb_fill_inputs(kb_workload *w, const char *name, uint64_t seed);

/* A seed for (global seed, case, pattern, trial): the same case gets the same
 * inputs whatever else is selected, so a failure reproduces with --seed. */
uint64_t kb_input_seed(uint64_t seed, const kb_case *c, const char *pattern, int trial);

#endif
