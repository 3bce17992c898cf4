/*
 * test_timing_merge.c - kb_timing_merge (run --rounds): repetitions from
 * separate rounds pooled in order and renumbered, the rounds' own
 * aggregates dropped, and mean / median / stddev / cv / min recomputed over
 * all repetitions with Google Benchmark's definitions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "timing.h"

#include "expect.h"

/* A round as Google Benchmark reports it: repetitions, then (n > 1) its
 * aggregates, which must not survive the merge. */
static kb_timing round_of(const double *t, int n)
{
    kb_timing r;
    memset(&r, 0, sizeof r);
    r.ok = 1;
    r.input_sets = 3;
    r.runs = calloc((size_t)n + 1, sizeof *r.runs);
    for (int i = 0; i < n; i++) {
        r.runs[i].repetition_index = i;
        r.runs[i].iterations = 100 + i;
        r.runs[i].real_time = t[i];
        r.runs[i].cpu_time = 2 * t[i];
    }
    r.run_count = n;
    if (n > 1) {
        kb_timed_run *a = &r.runs[r.run_count++];
        a->aggregate = 1;
        snprintf(a->aggregate_name, sizeof a->aggregate_name, "median");
        a->real_time = 999; /* a round's own aggregate: must be dropped */
    }
    return r;
}

static const kb_timed_run *agg(const kb_timing *t, const char *name)
{
    for (int i = 0; i < t->run_count; i++)
        if (t->runs[i].aggregate && !strcmp(t->runs[i].aggregate_name, name)) return &t->runs[i];
    return NULL;
}

static int close_to(double a, double b) { return fabs(a - b) <= 1e-12 * (fabs(b) + 1e-30); }

int main(void)
{
    const double r1[] = {3e-6, 1e-6}, r2[] = {4e-6, 2e-6}, r3[] = {5e-6};
    kb_timing all;
    memset(&all, 0, sizeof all);
    const double *rounds[] = {r1, r2, r3};
    int sizes[] = {2, 2, 1};
    for (int k = 0; k < 3; k++) {
        kb_timing one = round_of(rounds[k], sizes[k]);
        EXPECT(kb_timing_merge(&all, &one) == 0, "merge %d failed", k);
        kb_timing_free(&one);
    }
    /* 5 repetitions in round order, renumbered 0..4, then 5 aggregates. */
    EXPECT(all.ok && all.repetitions == 5, "ok %d repetitions %d", all.ok, all.repetitions);
    EXPECT(all.run_count == 10, "%d runs, expected 5 repetitions + 5 aggregates", all.run_count);
    const double order[] = {3e-6, 1e-6, 4e-6, 2e-6, 5e-6};
    for (int i = 0; i < 5 && i < all.run_count; i++) {
        EXPECT(!all.runs[i].aggregate && all.runs[i].repetition_index == i, "run %d: not repetition %d", i, i);
        EXPECT(all.runs[i].real_time == order[i], "repetition %d: %g, expected %g", i, all.runs[i].real_time, order[i]);
    }
    /* values 1..5 us: mean 3, median 3, sample stddev sqrt(2.5), cv sqrt(2.5)/3, min 1 */
    double sd = sqrt(2.5e-12);
    EXPECT(close_to(all.mean, 3e-6) && close_to(all.median, 3e-6), "mean %g median %g", all.mean, all.median);
    EXPECT(close_to(all.stddev, sd) && close_to(all.cv, sd / 3e-6), "stddev %g cv %g", all.stddev, all.cv);
    EXPECT(all.min == 1e-6, "min %g", all.min);
    const kb_timed_run *cv = agg(&all, "cv"), *med = agg(&all, "median");
    EXPECT(cv && cv->percentage && close_to(cv->real_time, sd / 3e-6), "cv aggregate");
    EXPECT(med && close_to(med->cpu_time, 6e-6) && med->iterations == 5, "median aggregate: cpu %g, iterations %lld",
           med ? med->cpu_time : 0, med ? (long long)med->iterations : 0);
    EXPECT(!agg(&all, "nope") && all.input_sets == 3, "input sets %d", all.input_sets);
    /* An even count: the median is the mean of the middle two. */
    const double r4[] = {10e-6};
    kb_timing one = round_of(r4, 1);
    kb_timing_merge(&all, &one);
    kb_timing_free(&one);
    EXPECT(close_to(all.median, 3.5e-6), "median of 6: %g, expected 3.5e-6", all.median);
    kb_timing_free(&all);
    /* A single repetition: no aggregates, its time is the median. */
    kb_timing single;
    memset(&single, 0, sizeof single);
    one = round_of(r3, 1);
    kb_timing_merge(&single, &one);
    kb_timing_free(&one);
    EXPECT(single.run_count == 1 && single.median == 5e-6, "single: %d runs, median %g", single.run_count,
           single.median);
    kb_timing_free(&single);
    if (failures) fprintf(stderr, "%d failures\n", failures);
    return failures != 0;
}
