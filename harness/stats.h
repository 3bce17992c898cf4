/*
 * stats.h - the statistics kbench's comparisons use: order statistics and the
 * Mann-Whitney U test, computed the way google/benchmark's compare.py gets
 * them from scipy, so that kbench and compare.py agree on the same files.
 */
#ifndef KBENCH_HARNESS_STATS_H
#define KBENCH_HARNESS_STATS_H

/* Median, mean, sample standard deviation (n-1), cv = stddev / mean.
 * x is not modified; n >= 1 (stddev and cv are 0 for n == 1). */
double kb_median(const double *x, int n);
double kb_mean(const double *x, int n);
double kb_stddev(const double *x, int n);
double kb_cv(const double *x, int n);

/* Two-sided p-value of the Mann-Whitney U test between samples x and y, as
 * scipy.stats.mannwhitneyu(x, y, alternative="two-sided") computes it with
 * its default method (scipy 1.10): the exact distribution unless both
 * samples have more than 8 values or a value is tied, otherwise the normal
 * approximation with tie correction and continuity correction.  Returns 1 when either
 * sample is empty. */
double kb_mann_whitney_p(const double *x, int nx, const double *y, int ny);

/* Geometric mean of positive values (ratios); 0 if n == 0. */
double kb_geomean(const double *x, int n);

#endif
