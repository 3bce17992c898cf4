/*
 * suite.h - suites of cases: the built-in ones (harness/suites/NAME.suite,
 * compiled in) and suite files in the same format (docs/suites.md).
 */
#ifndef KBENCH_HARNESS_SUITE_H
#define KBENCH_HARNESS_SUITE_H

#include <stddef.h>

#include "kb_case.h"

typedef struct kb_suite {
    char name[256]; /* "smoke", "default", "perf" or the file's path */
    kb_case *cases;
    int count;
} kb_suite;

/* Load a built-in suite by name, or a suite file by path.  On error returns
 * -1 with a one-line message naming the file, line and field at fault. */
int kb_suite_load(const char *spec, kb_suite *out, char *err, size_t err_len);

/* Parse suite text; `origin` names it in messages. */
int kb_suite_parse(const char *text, const char *origin, kb_suite *out, char *err, size_t err_len);

void kb_suite_free(kb_suite *s);

/* Names of the built-in suites, NULL-terminated. */
extern const char *const kb_builtin_suite_names[];

/* Rough count of the arithmetic the plain reference needs per output row and
 * in total; used to decide when to verify by sampling rows. */
double kb_case_ref_cost(const kb_case *c);
int64_t kb_case_output_rows(const kb_case *c);

/* Host bytes verifying the case holds at once: its inputs and outputs
 * (padding and guard zones included), the oracle's f64 outputs, and the
 * extra output copies verify makes.  Suites refuse a case above physical
 * memory with this figure. */
double kb_case_host_bytes(const kb_case *c);

#endif
