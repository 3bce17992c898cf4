/*
 * poison.h - what outputs hold before a kernel runs.  Each dtype's poison is
 * a value no correct kernel produces (a NaN with a private payload, an int8
 * code outside the symmetric range, a negative index), so an element still
 * holding it was not written.
 */
#ifndef KBENCH_HARNESS_POISON_H
#define KBENCH_HARNESS_POISON_H

#include <stdint.h>

#include <kbench/types.h>

#include "workload.h"

/* Fill every output of w with its dtype's poison; an output that is also an
 * input (matmul C with beta != 0) keeps its initial values. */
void kb_poison_outputs(kb_workload *w);
void kb_poison_tensor(kb_tensor *t);

/* Does element `offset` of t hold the poison? */
int kb_is_poison(const kb_tensor *t, int64_t offset);

#endif
