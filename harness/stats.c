/*
 * stats.c - order statistics and the Mann-Whitney U test (stats.h).
 *
 * The U test follows scipy.stats.mannwhitneyu (scipy 1.10, the version
 * google/benchmark's compare.py is run with on Debian) step by step, so that
 * kbench compare and compare.py print the same p-value for the same files:
 *
 *   - method 'auto': the normal approximation when both samples have more
 *     than 8 values, or when any value is tied; otherwise the exact null
 *     distribution of U (scipy's _mwu_choose_method);
 *   - ranks are average ranks of the pooled sample; U1 = R1 - n1(n1+1)/2,
 *     U = max(U1, n1 n2 - U1), and the two-sided p-value is twice the
 *     survival function at U, clipped to [0, 1];
 *   - exact: sf(U) = P(U' >= U) = cdf(n1 n2 - U), the number of ways
 *     counted exactly and divided by binom(n1 + n2, n1);
 *   - normal: z = (U - n1 n2 / 2 - 0.5) / s with the tie-corrected
 *     s = sqrt(n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1)))).
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double kb_median(const double *x, int n)
{
    if (n <= 0) return 0;
    double *s = malloc((size_t)n * sizeof *s);
    if (!s) return NAN;
    memcpy(s, x, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

double kb_mean(const double *x, int n)
{
    if (n <= 0) return 0;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    return sum / n;
}

double kb_stddev(const double *x, int n)
{
    if (n < 2) return 0;
    double m = kb_mean(x, n), ss = 0;
    for (int i = 0; i < n; i++) ss += (x[i] - m) * (x[i] - m);
    return sqrt(ss / (n - 1));
}

double kb_cv(const double *x, int n)
{
    double m = kb_mean(x, n);
    return m != 0 ? kb_stddev(x, n) / m : 0;
}

double kb_geomean(const double *x, int n)
{
    if (n <= 0) return 0;
    double s = 0;
    for (int i = 0; i < n; i++) s += log(x[i]);
    return exp(s / n);
}

/* P(U <= k) under the null for samples of sizes m and n, no ties: the
 * number of partitions of j <= k that fit in an m x n box, over
 * binom(m + n, m).  Counted with additions only (values 1..n as parts, at
 * most m of them), so the counts stay accurate as doubles.  -1 on no memory. */
static double exact_cdf(int m, int n, long k)
{
    if (m > n) { int t = m; m = n; n = t; } /* the box is symmetric */
    if (k < 0) return 0;
    /* ways[c][j]: partitions of j into exactly c parts, all <= the current part size */
    size_t width = (size_t)k + 1;
    double *ways = calloc((size_t)(m + 1) * width, sizeof *ways);
    if (!ways) return -1;
    ways[0] = 1;
    for (int v = 1; v <= n; v++)         /* allow parts of size v ... */
        for (int c = 1; c <= m; c++)     /* ... any number of them (in-place unbounded knapsack) */
            for (long j = v; j <= k; j++) ways[(size_t)c * width + (size_t)j] += ways[(size_t)(c - 1) * width + (size_t)(j - v)];
    double count = 0;
    for (int c = 0; c <= m; c++)
        for (long j = 0; j <= k; j++) count += ways[(size_t)c * width + (size_t)j];
    free(ways);
    double binom = 1; /* binom(m + n, m), m the smaller size */
    for (int i = 1; i <= m; i++) binom = binom * (n + i) / i;
    return count / binom;
}

typedef struct {
    double v;
    int from_x;
} pooled;

static int cmp_pooled(const void *a, const void *b)
{
    return cmp_double(&((const pooled *)a)->v, &((const pooled *)b)->v);
}

double kb_mann_whitney_p(const double *x, int nx, const double *y, int ny)
{
    if (nx <= 0 || ny <= 0) return 1;
    int n = nx + ny;
    pooled *p = malloc((size_t)n * sizeof *p);
    if (!p) return 1;
    for (int i = 0; i < nx; i++) p[i] = (pooled){x[i], 1};
    for (int i = 0; i < ny; i++) p[nx + i] = (pooled){y[i], 0};
    for (int i = 0; i < n; i++)
        if (isnan(p[i].v)) { /* scipy refuses NaN; nothing can be concluded */
            free(p);
            return 1;
        }
    qsort(p, (size_t)n, sizeof *p, cmp_pooled);

    /* Average ranks (1-based), the rank sum of x and the tie term. */
    double r1 = 0, tie_term = 0;
    int ties = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && p[j].v == p[i].v) j++;
        double t = j - i, rank = (i + 1 + j) / 2.0; /* mean of ranks i+1 .. j */
        for (int k = i; k < j; k++)
            if (p[k].from_x) r1 += rank;
        if (t > 1) {
            ties = 1;
            tie_term += t * t * t - t;
        }
        i = j;
    }
    free(p);
    double u1 = r1 - nx * (nx + 1.0) / 2, mn = (double)nx * ny;
    double u = fmax(u1, mn - u1), pv;

    if ((nx > 8 && ny > 8) || ties) {
        double s = sqrt(mn / 12 * ((n + 1) - tie_term / ((double)n * (n - 1))));
        double z = (u - mn / 2 - 0.5) / s; /* s == 0 (all equal): -inf, p = 1 */
        pv = erfc(z / sqrt(2.0));          /* 2 * the normal survival function */
    } else {
        double cdf = exact_cdf(nx, ny, (long)(mn - u + 0.5));
        if (cdf < 0) return 1;
        pv = 2 * cdf;
    }
    if (pv > 1) pv = 1;
    if (pv < 0) pv = 0;
    return pv;
}
