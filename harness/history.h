/*
 * history.h - the run history: every `kbench run --save` is also recorded in
 * an SQLite database (<results-dir>/history.sqlite), one row per run, per
 * result and per repetition time, so that `kbench history` can follow a
 * benchmark across runs and mark where it changed.  docs/history.md has the
 * schema and the change-point rule.
 */
#ifndef KBENCH_HARNESS_HISTORY_H
#define KBENCH_HARNESS_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* The schema this kbench writes and reads (schema_version table). */
#define KB_HISTORY_SCHEMA_VERSION 1

/* Record `rec` (its run, results and repetition times) in the database at
 * db_path, created with its schema when missing.  All in one transaction:
 * on failure nothing of this run is in the database.  git_commit may be
 * NULL or "" (outside a checkout).  Returns 0, or -1 with "PATH: reason". */
int kb_history_record(const char *db_path, const kb_run_record *rec, const char *git_commit, char *err,
                      size_t err_len);

/* --- reading --- */

typedef struct kb_history kb_history; /* an open database, for reading */

/* Open an existing history database for reading only (never created or
 * written) and check its schema version.
 * Returns 0, or -1 with "PATH: reason" (missing, not a database, not a
 * kbench history, a newer schema). */
int kb_history_open(const char *db_path, kb_history **out, char *err, size_t err_len);
void kb_history_close(kb_history *h);

typedef struct kb_history_run {
    int64_t id;
    char date[40];          /* ISO 8601 with the UTC offset, as in the result file */
    int64_t date_unix;      /* the same instant in seconds since the epoch: the order of runs */
    char git_commit[48];    /* "" outside a checkout */
    char fingerprint[32];
    char suite[256];
    uint64_t seed;
    int threads, repetitions, cold;
    double min_time;
    char kbench_version[32];
    int result_count;
} kb_history_run;

/* All runs in date order (oldest first), or only those of one fingerprint
 * (NULL: all).  *runs is malloc'ed (free it).  Returns 0, or -1 with a message. */
int kb_history_runs(kb_history *h, const char *fingerprint, kb_history_run **runs, int *count, char *err,
                    size_t err_len);

/* The distinct benchmark names recorded (for one fingerprint, or all when
 * NULL), sorted.  Free with kb_history_names_free.  Returns 0 or -1. */
int kb_history_benchmarks(kb_history *h, const char *fingerprint, char ***names, int *count, char *err,
                          size_t err_len);
void kb_history_names_free(char **names, int count);

/* One benchmark in one run. */
typedef struct kb_history_point {
    int64_t run_id;
    char date[40];
    int64_t date_unix;
    char git_commit[48];
    char fingerprint[32];
    char status[8];     /* verification: "PASS", "FAIL" or "SKIP" */
    int timed;          /* timing ran and succeeded: the figures below are set */
    double median, mean, stddev, cv, min; /* seconds per iteration; cv a ratio */
    double max_err, bound;
    double *times;      /* the repetitions' seconds per iteration, in repetition order */
    int time_count;
} kb_history_point;

/* Benchmark `name` in every run that has it (of one fingerprint, or all
 * when NULL), in date order.  Free with kb_history_series_free.  Returns 0 or -1. */
int kb_history_series(kb_history *h, const char *name, const char *fingerprint, kb_history_point **points,
                      int *count, char *err, size_t err_len);
void kb_history_series_free(kb_history_point *points, int count);

/* --- the change-point rule --- */

typedef struct kb_history_change {
    int compared;       /* both runs were timed: change_pct and p are set */
    double change_pct;  /* (cur.median - prev.median) / prev.median * 100 */
    double p;           /* Mann-Whitney U two-sided p between the repetition times */
    int timing;         /* |change_pct| > threshold and p < alpha */
    int status;         /* the verification status changed (PASS -> FAIL, FAIL -> PASS, ...) */
    int change_point;   /* timing || status */
} kb_history_change;

/* Compare a run of a benchmark with the previous one (same fingerprint). */
kb_history_change kb_history_compare(const kb_history_point *prev, const kb_history_point *cur,
                                     double threshold_pct, double alpha);

/* The smallest two-sided p-value the exact U test can give for samples of
 * nx and ny values (2 / C(nx+ny, nx)); with few repetitions it may never be
 * below alpha. */
double kb_history_min_p(int nx, int ny);

#endif
