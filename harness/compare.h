/*
 * compare.h - matching two result files and the verdict per benchmark
 * (docs/compare.md).  No I/O: cmd_compare.c reads the files and prints.
 */
#ifndef KBENCH_HARNESS_COMPARE_H
#define KBENCH_HARNESS_COMPARE_H

#include <regex.h>

#include "result_file.h"

typedef enum {
    KB_CMP_SAME = 0,
    KB_CMP_SLOWER,
    KB_CMP_FASTER,
    KB_CMP_NOISY,
    KB_CMP_FAILED,
    KB_CMP_FIXED,
    KB_CMP_VERDICTS
} kb_cmp_verdict;

typedef struct kb_compare_options {
    double alpha;          /* significance level of the U test (0.05) */
    double threshold;      /* smallest change that counts, a fraction (0.05 = 5%) */
    double max_cv;         /* largest cv of either side that is not "noisy", a fraction (0.20) */
    const regex_t *filter; /* compare only names it matches; NULL: all */
} kb_compare_options;

/* The defaults above. */
void kb_compare_defaults(kb_compare_options *o);

/* Repetitions below this, the U test has little power (compare.py's
 * UTEST_OPTIMAL_REPETITIONS). */
#define KB_CMP_GOOD_REPETITIONS 9

typedef struct kb_compare_row {
    const char *name;           /* points into the BASE file */
    int base_n, new_n;          /* repetitions with a time */
    double base_median, new_median; /* seconds; NAN without times */
    double base_cv, new_cv;     /* fractions; NAN with fewer than 2 times */
    double ratio;               /* new / base median; NAN unless both are > 0 */
    double p_value;             /* U test; NAN unless both sides have >= 2 times */
    double p_beyond;            /* U test of NEW against BASE moved by the threshold in the
                                   direction of the change (the verdict's test); NAN as above */
    kb_cmp_verdict verdict;
    char reason[384];
} kb_compare_row;

typedef struct kb_compare_result {
    kb_compare_row *rows; /* matched benchmarks, in BASE's order */
    int row_count;
    const char **only_base, **only_new; /* names, pointing into the files */
    int only_base_count, only_new_count;
    int counts[KB_CMP_VERDICTS];
    double geomean_ratio; /* over rows with a ratio; NAN when there is none */
    int geomean_n;
    int regression;       /* any slower or failed */
    /* Some U test ran on fewer than KB_CMP_GOOD_REPETITIONS repetitions: the
     * smallest counts seen. */
    int low_power, low_power_base_n, low_power_new_n;
    /* Benchmarks only in BASE and only in NEW whose names differ only in the
     * placement suffix: how many, and one example of each label. */
    int placement_pairs;
    const char *placement_base, *placement_new;
} kb_compare_result;

/* Match base and nw by name and judge each pair.  0, or -1 out of memory. */
int kb_compare(const kb_result_file *base, const kb_result_file *nw, const kb_compare_options *o,
               kb_compare_result *out);
void kb_compare_result_free(kb_compare_result *r);

/* "same", "slower", "faster", "noisy", "failed", "fixed". */
const char *kb_cmp_verdict_name(kb_cmp_verdict v);

/* Do both files carry a topology fingerprint, and do they differ? */
int kb_compare_fingerprints_differ(const kb_result_file *base, const kb_result_file *nw);

#endif
