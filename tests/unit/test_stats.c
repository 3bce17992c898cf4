/*
 * test_stats.c - harness/stats.c against hand-computed order statistics and
 * against scipy.stats.mannwhitneyu (scipy 1.10, Debian's /usr/bin/python3):
 * each expected p-value comes from the python one-liner in its comment, with
 *   from scipy.stats import mannwhitneyu as u
 * and is checked to 1e-9 relative.
 */
#include <math.h>
#include <stdio.h>

#include "expect.h"
#include "stats.h"

#define N(a) ((int)(sizeof(a) / sizeof(a)[0]))

static int close_rel(double got, double want, double rel)
{
    if (want == 0) return fabs(got) <= rel;
    return fabs(got - want) <= rel * fabs(want);
}

#define EXPECT_REL(got, want, rel) \
    EXPECT(close_rel((got), (want), (rel)), "%s = %.17g, expected %.17g", #got, (double)(got), (double)(want))

static void test_order_statistics(void)
{
    double odd[] = {5, 1, 4, 2, 3};
    double even[] = {10, 2, 8, 4};
    double one[] = {7.5};
    EXPECT(kb_median(odd, N(odd)) == 3, "median of 1..5");
    EXPECT(kb_median(even, N(even)) == 6, "median of {2,4,8,10} is (4+8)/2");
    EXPECT(kb_median(one, 1) == 7.5, "median of one value");
    EXPECT(odd[0] == 5 && odd[4] == 3, "kb_median must not reorder its input");
    EXPECT(kb_mean(odd, N(odd)) == 3, "mean of 1..5");
    EXPECT(kb_mean(even, N(even)) == 6, "mean of {2,4,8,10}");
    /* sample stddev of 1..5: sqrt((4+1+0+1+4)/4) = sqrt(2.5) */
    EXPECT_REL(kb_stddev(odd, N(odd)), sqrt(2.5), 1e-15);
    /* {2,4,8,10}: mean 6, squares 16+4+4+16 = 40, /3 */
    EXPECT_REL(kb_stddev(even, N(even)), sqrt(40.0 / 3), 1e-15);
    EXPECT_REL(kb_cv(even, N(even)), sqrt(40.0 / 3) / 6, 1e-15);
    EXPECT(kb_stddev(one, 1) == 0 && kb_cv(one, 1) == 0, "stddev and cv of one value are 0");
    double ratios[] = {2, 8};         /* sqrt(16) = 4 */
    double thirds[] = {1.1, 0.9, 1.0}; /* cbrt(0.99) */
    EXPECT_REL(kb_geomean(ratios, 2), 4, 1e-15);
    EXPECT_REL(kb_geomean(thirds, 3), cbrt(0.99), 1e-14);
    EXPECT(kb_geomean(ratios, 0) == 0, "geomean of nothing is 0");
}

static void test_mann_whitney(void)
{
    /* Exact distribution (no ties, a sample with at most 8 values). */
    {
        double x[] = {1, 2, 3, 4, 5}, y[] = {6, 7, 8, 9, 10};
        /* u([1,2,3,4,5],[6,7,8,9,10],alternative='two-sided').pvalue */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.007936507936507936, 1e-9);
        EXPECT_REL(kb_mann_whitney_p(y, N(y), x, N(x)), 0.007936507936507936, 1e-9);
    }
    {
        double x[] = {19, 22, 16, 29, 24}, y[] = {20, 11, 17, 12};
        /* u([19,22,16,29,24],[20,11,17,12],alternative='two-sided').pvalue (scipy's docstring example) */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.1111111111111111, 1e-9);
    }
    {
        double x[] = {1.5, 2.25, 3.1, 4.7, 5.2, 9.9, 10.1, 11.3}, y[] = {2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 12.5};
        /* u([1.5,2.25,3.1,4.7,5.2,9.9,10.1,11.3],[2.0,3.0,4.0,5.0,6.0,7.0,8.0,12.5],alternative='two-sided').pvalue
         * 8 and 8 values: still exact */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.959129759129759, 1e-9);
    }
    {
        double x[] = {10.5, 20.5, 30.5}, y[20];
        for (int i = 0; i < 20; i++) y[i] = i + 1;
        /* u([10.5,20.5,30.5],[float(i) for i in range(1,21)],alternative='two-sided').pvalue: 3 and 20, exact */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.07566346696781479, 1e-9);
    }
    {
        double x[] = {9.1, 9.3, 9.2, 9.6, 9.4, 9.0, 9.7, 9.5, 9.8}, y[] = {1, 2, 3, 4, 5};
        /* u([9.1,9.3,9.2,9.6,9.4,9.0,9.7,9.5,9.8],[1,2,3,4,5],alternative='two-sided').pvalue: 9 and 5, exact */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.000999000999000999, 1e-9);
    }
    {
        double x[] = {1, 2, 3, 4, 5, 6, 7}, y[40];
        for (int i = 0; i < 40; i++) y[i] = i + 0.5;
        /* u([1,2,3,4,5,6,7],[float(i)+0.5 for i in range(40)],alternative='two-sided').pvalue: 7 and 40, exact */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.0002722466513320028, 1e-9);
    }
    {
        double x[] = {1, 4, 5, 8}, y[] = {2, 3, 6, 7};
        /* u([1,4,5,8],[2,3,6,7],alternative='two-sided').pvalue: U at the centre, clipped to 1 */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 1.0, 1e-9);
    }
    {
        /* Timings in seconds, a clear 30% slowdown. */
        double x[] = {28.7e-6, 28.4e-6, 25.2e-6, 29.2e-6, 29.21e-6}, y[] = {37.3e-6, 36.9e-6, 38.0e-6, 37.1e-6, 36.5e-6};
        /* u([28.7e-6,28.4e-6,25.2e-6,29.2e-6,29.21e-6],[37.3e-6,36.9e-6,38.0e-6,37.1e-6,36.5e-6],
         *   alternative='two-sided').pvalue */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.007936507936507936, 1e-9);
    }

    /* Normal approximation: ties, or both samples above 8 values. */
    {
        double x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, y[] = {3, 4, 5, 6, 7, 8, 9, 10, 11};
        /* u(list(range(1,10)),list(range(3,12)),alternative='two-sided').pvalue */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.16954911548312668, 1e-9);
    }
    {
        double x[] = {1, 1, 2, 2, 3}, y[] = {2, 3, 3, 4, 4};
        /* u([1,1,2,2,3],[2,3,3,4,4],alternative='two-sided').pvalue: small, but tied */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.05241162867102868, 1e-9);
    }
    {
        double x[] = {1.05, 2.1, 3.2, 4.3, 5.4, 6.5, 7.6, 8.7, 9.8}, y[] = {1.5, 2.6, 3.7, 4.8, 5.9, 7.0, 8.1, 9.2, 10.3};
        /* u([1.05,2.1,3.2,4.3,5.4,6.5,7.6,8.7,9.8],[1.5,2.6,3.7,4.8,5.9,7.0,8.1,9.2,10.3],
         *   alternative='two-sided').pvalue: 9 and 9, no ties */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.7239320396139757, 1e-9);
    }
    {
        double x[] = {1, 2, 2, 3, 3, 3, 4, 4, 4, 4}, y[] = {3, 4, 4, 5, 5, 5, 5, 6, 6, 7, 7, 8};
        /* u([1,2,2,3,3,3,4,4,4,4],[3,4,4,5,5,5,5,6,6,7,7,8],alternative='two-sided').pvalue: many ties */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.0008015696057875056, 1e-9);
    }
    {
        double x[12], y[10];
        for (int i = 0; i < 12; i++) x[i] = i * 1.1;
        for (int i = 0; i < 10; i++) y[i] = i * 1.3 + 0.05;
        /* u([float(i)*1.1 for i in range(12)],[float(i)*1.3+0.05 for i in range(10)],alternative='two-sided').pvalue */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 0.9736992897368464, 1e-9);
    }
    {
        double x[20], y[20];
        for (int i = 0; i < 20; i++) x[i] = i, y[i] = i + 100;
        /* u([float(i) for i in range(20)],[float(i)+100 for i in range(20)],alternative='two-sided').pvalue */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 6.795615128173358e-08, 1e-9);
    }
    {
        double x[100], y[80];
        for (int i = 0; i < 100; i++) x[i] = i;
        for (int i = 0; i < 80; i++) y[i] = i + 37.5;
        /* u(list(range(100)),[i+37.5 for i in range(80)],alternative='two-sided').pvalue */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 3.829505505829689e-09, 1e-9);
    }

    /* Degenerate samples. */
    {
        double x[] = {2, 2, 2}, y[] = {2, 2, 2};
        /* u([2.0,2.0,2.0],[2.0,2.0,2.0],alternative='two-sided').pvalue: all tied */
        EXPECT_REL(kb_mann_whitney_p(x, N(x), y, N(y)), 1.0, 1e-9);
        double a[] = {1}, b[] = {2};
        /* u([1.0],[2.0],alternative='two-sided').pvalue */
        EXPECT_REL(kb_mann_whitney_p(a, 1, b, 1), 1.0, 1e-9);
        EXPECT(kb_mann_whitney_p(a, 0, b, 1) == 1, "an empty sample gives 1");
        EXPECT(kb_mann_whitney_p(a, 1, b, 0) == 1, "an empty sample gives 1");
    }
}

int main(void)
{
    test_order_statistics();
    test_mann_whitney();
    if (failures) fprintf(stderr, "test_stats: %d failure(s)\n", failures);
    else printf("test_stats: all checks passed\n");
    return failures ? 1 : 0;
}
