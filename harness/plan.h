/*
 * plan.h - stage 3: from the options to the work: which plugins are loaded,
 * which of them are selected, and which (plugin, kernel) pairs apply to a case.
 */
#ifndef KBENCH_HARNESS_PLAN_H
#define KBENCH_HARNESS_PLAN_H

#include "cli.h"
#include "kb_case.h"
#include "load.h"
#include "verify.h"

typedef enum kb_plan_mode {
    KB_PLAN_STRICT, /* load errors are warnings; a --plugin PATH that fails exits 2 */
    KB_PLAN_SURVEY  /* load errors are left in reg->errors for the caller to show */
} kb_plan_mode;

/* Discover and load plugins as the options say.  Exits 2 when --plugin names
 * a plugin that is not there (and, strict, a file that did not load). */
void kb_plan_load(const kb_options *o, kb_registry *reg, kb_plan_mode mode);

/* The oracle, or exit 2 with a message if it is missing. */
kb_loaded_plugin *kb_plan_oracle(kb_registry *reg);

/* Targets for case c: selected plugins' kernels of c's op that pass the
 * filters (the oracle only if named, when skip_oracle).  Returns how many
 * were written (at most max). */
int kb_plan_targets(const kb_options *o, kb_registry *reg, const kb_case *c, int skip_oracle, kb_verify_target *out,
                    int max);

#endif
