/*
 * conformance.h - the runtime checks of `kbench check-plugin` (checks 2-7 of
 * docs/check-plugin.md) on one loaded plugin, each reported as one line
 * "PASS|FAIL|WARN  check-name  detail" on stdout.
 */
#ifndef KBENCH_HARNESS_CONFORMANCE_H
#define KBENCH_HARNESS_CONFORMANCE_H

#include <stdint.h>

#include "load.h"
#include "suite.h"
#include "verify.h"

typedef enum kb_conf_verdict { KB_CONF_PASS, KB_CONF_FAIL, KB_CONF_WARN } kb_conf_verdict;

typedef struct kb_conf_report {
    int passed, failed, warned;
} kb_conf_report;

/* Print one check's line and count it. */
void kb_conf_emit(kb_conf_report *r, kb_conf_verdict v, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Threads of this process now (entries of /proc/self/task); -1 if unknown. */
int kb_conf_task_count(void);

typedef struct kb_conf_input {
    kb_registry *target;   /* holds only the plugin under test, inited with threads=1 */
    kb_loaded_plugin *lp;  /* that plugin */
    const kb_suite *suite;
    uint64_t seed;
    int threads;           /* thread count for checks 3-5 and 7 */
    int baseline_tasks;    /* process threads before the plugin was loaded */
    kb_oracle oracle;
} kb_conf_input;

/* Checks 2-7.  The plugin must have loaded. */
void kb_conf_runtime(const kb_conf_input *in, kb_conf_report *r);

#endif
