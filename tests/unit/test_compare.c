/*
 * test_compare.c - result_file.c and compare.c: the hand-made A/B files in
 * tests/data/results (a 30% slowdown, a 2% one, a noisy benchmark, one that
 * stops verifying, one fixed, one faster, one only in each file), plain
 * Google Benchmark files, every malformed input's message, and verdict
 * rules on hand-built data.
 *
 *   test_compare DATA_DIR   (tests/data/results)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "expect.h"
#include "result_file.h"

static const char *dir;

static const char *path_of(const char *file)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, file);
    return buf[k];
}

static int load(const char *file, kb_result_file *f)
{
    char err[512];
    if (kb_result_file_load(path_of(file), f, err, sizeof err)) {
        fprintf(stderr, "cannot load %s: %s\n", file, err);
        failures++;
        return -1;
    }
    return 0;
}

static const kb_compare_row *row_named(const kb_compare_result *r, const char *prefix)
{
    for (int i = 0; i < r->row_count; i++)
        if (!strncmp(r->rows[i].name, prefix, strlen(prefix))) return &r->rows[i];
    fprintf(stderr, "no row named %s...\n", prefix);
    failures++;
    return NULL;
}

static int close_rel(double got, double want, double rel)
{
    return fabs(got - want) <= rel * fabs(want);
}

static void test_ab_files(void)
{
    kb_result_file base, nw;
    if (load("base.json", &base) || load("new.json", &nw)) return;
    EXPECT(base.count == 7 && nw.count == 7, "7 benchmarks in each file, got %d and %d", base.count, nw.count);
    EXPECT(base.fingerprint && !strcmp(base.fingerprint, "aaaaaaaaaaaa"), "BASE's fingerprint");
    EXPECT(base.benches[0].n == 5, "5 repetitions (the aggregate entry is not one), got %d", base.benches[0].n);
    EXPECT(base.benches[0].times[0] == 10000.0 * 1e-9, "ns converted to seconds: %g", base.benches[0].times[0]);
    EXPECT(base.benches[0].placement && !strcmp(base.benches[0].placement, "threads=1,bind=compact"),
           "the placement label");
    EXPECT(base.benches[0].verification == KB_RF_VERIFY_PASS, "verification PASS read");
    EXPECT(kb_compare_fingerprints_differ(&base, &nw) == 0, "same machine");

    kb_compare_options o;
    kb_compare_defaults(&o);
    EXPECT(o.alpha == 0.05 && o.threshold == 0.05 && o.max_cv == 0.20, "defaults 0.05, 5%%, 20%%");
    kb_compare_result r;
    if (kb_compare(&base, &nw, &o, &r)) {
        EXPECT(0, "kb_compare failed");
        return;
    }
    EXPECT(r.row_count == 6, "6 matched, got %d", r.row_count);
    const kb_compare_row *x;
    if ((x = row_named(&r, "softmax/cpu.online/"))) {
        EXPECT(x->verdict == KB_CMP_SLOWER, "30%% slowdown: slower, got %s (%s)", kb_cmp_verdict_name(x->verdict),
               x->reason);
        EXPECT(close_rel(x->ratio, 13.05 / 10.05, 1e-12), "ratio of the medians: %.17g", x->ratio);
        /* u([10.0,10.1,9.9,10.2,10.05],[13.0,13.1,12.9,13.2,13.05],alternative='two-sided').pvalue */
        EXPECT(close_rel(x->p_value, 0.007936507936507936, 1e-9), "p %.17g", x->p_value);
        EXPECT(close_rel(x->base_median, 10.05e-6, 1e-12) && close_rel(x->new_median, 13.05e-6, 1e-12),
               "medians in seconds");
    }
    if ((x = row_named(&r, "softmax/cpu.twopass/")))
        EXPECT(x->verdict == KB_CMP_SAME, "2%% slowdown: same, got %s (%s)", kb_cmp_verdict_name(x->verdict),
               x->reason);
    if ((x = row_named(&r, "quantize/cpu.basic/"))) {
        EXPECT(x->verdict == KB_CMP_NOISY, "cv ~50%% in NEW: noisy, got %s", kb_cmp_verdict_name(x->verdict));
        EXPECT(strstr(x->reason, "in NEW, above --max-cv 20%") != NULL, "reason: %s", x->reason);
    }
    if ((x = row_named(&r, "matmul/cpu.simple/"))) {
        EXPECT(x->verdict == KB_CMP_FAILED, "stopped verifying: failed, got %s", kb_cmp_verdict_name(x->verdict));
        EXPECT(strstr(x->reason, "verified in BASE, fails in NEW: random#2") != NULL, "reason: %s", x->reason);
        EXPECT(isnan(x->ratio) && isnan(x->new_median), "no timing in NEW");
    }
    if ((x = row_named(&r, "softmax/broken.wrong_scale/"))) {
        EXPECT(x->verdict == KB_CMP_FIXED, "verifies again: fixed, got %s", kb_cmp_verdict_name(x->verdict));
        EXPECT(strstr(x->reason, "failed in BASE (max error 0.5") != NULL, "reason: %s", x->reason);
    }
    if ((x = row_named(&r, "matmul/cpu.faster/")))
        EXPECT(x->verdict == KB_CMP_FASTER, "25%% faster: faster, got %s", kb_cmp_verdict_name(x->verdict));
    EXPECT(r.counts[KB_CMP_SLOWER] == 1 && r.counts[KB_CMP_FASTER] == 1 && r.counts[KB_CMP_SAME] == 1 &&
               r.counts[KB_CMP_NOISY] == 1 && r.counts[KB_CMP_FAILED] == 1 && r.counts[KB_CMP_FIXED] == 1,
           "one of each verdict");
    EXPECT(r.regression == 1, "slower and failed are regressions");
    EXPECT(r.only_base_count == 1 && !strncmp(r.only_base[0], "attention/cpu.rowwise/", 22), "only in BASE");
    EXPECT(r.only_new_count == 1 && !strncmp(r.only_new[0], "attention/cpu.online/", 21), "only in NEW");
    EXPECT(r.placement_pairs == 0, "no placement pairs");
    /* Ratios with a timing on both sides: online, twopass, quantize (noisy counts), faster. */
    double want = pow(13.05 / 10.05 * 10.25 / 10.05 * 5.5 / 5.02 * 30.1 / 40.1, 0.25);
    EXPECT(r.geomean_n == 4 && close_rel(r.geomean_ratio, want, 1e-12), "geomean %.17g of %d, expected %.17g",
           r.geomean_ratio, r.geomean_n, want);
    EXPECT(r.low_power && r.low_power_base_n == 5 && r.low_power_new_n == 5, "5 < 9 repetitions: low power");
    kb_compare_result_free(&r);

    /* A looser threshold: the 30% slowdown is within 40%. */
    o.threshold = 0.40;
    if (!kb_compare(&base, &nw, &o, &r)) {
        if ((x = row_named(&r, "softmax/cpu.online/")))
            EXPECT(x->verdict == KB_CMP_SAME && strstr(x->reason, "within"), "30%% within 40%%: same (%s)", x->reason);
        EXPECT(r.regression == 1, "still failed");
        kb_compare_result_free(&r);
    }
    /* A stricter alpha than the exact test can reach with 5 and 5 (p >= 2/252). */
    kb_compare_defaults(&o);
    o.alpha = 0.005;
    if (!kb_compare(&base, &nw, &o, &r)) {
        if ((x = row_named(&r, "softmax/cpu.online/")))
            EXPECT(x->verdict == KB_CMP_SAME && strstr(x->reason, "not significant"), "p 0.0079 >= 0.005: same (%s)",
                   x->reason);
        kb_compare_result_free(&r);
    }
    /* --max-cv 60: the noisy one is judged. */
    kb_compare_defaults(&o);
    o.max_cv = 0.60;
    if (!kb_compare(&base, &nw, &o, &r)) {
        if ((x = row_named(&r, "quantize/cpu.basic/")))
            EXPECT(x->verdict != KB_CMP_NOISY, "cv below 60%%: judged, got %s", kb_cmp_verdict_name(x->verdict));
        kb_compare_result_free(&r);
    }
    /* --filter: only the softmax ones. */
    regex_t re;
    kb_compare_defaults(&o);
    if (regcomp(&re, "^softmax/cpu\\.", REG_EXTENDED | REG_NOSUB) == 0) {
        o.filter = &re;
        if (!kb_compare(&base, &nw, &o, &r)) {
            EXPECT(r.row_count == 2 && r.only_base_count == 0 && r.only_new_count == 0, "filter: 2 rows, got %d",
                   r.row_count);
            EXPECT(r.regression == 1 && r.counts[KB_CMP_SLOWER] == 1, "the filtered slowdown");
            kb_compare_result_free(&r);
        }
        regfree(&re);
    }
    kb_result_file_free(&nw);

    /* The same file on both sides: nothing changed. */
    if (!load("base.json", &nw)) {
        kb_compare_defaults(&o);
        if (!kb_compare(&base, &nw, &o, &r)) {
            EXPECT(r.counts[KB_CMP_SAME] == 6 && r.counts[KB_CMP_FAILED] == 1, "A/A: 6 same, 1 still broken");
            EXPECT(close_rel(r.geomean_ratio, 1, 1e-15), "A/A geomean 1, got %.17g", r.geomean_ratio);
            if ((x = row_named(&r, "softmax/broken.wrong_scale/")))
                EXPECT(strstr(x->reason, "still broken") != NULL, "both failing: %s", x->reason);
            kb_compare_result_free(&r);
        }
        kb_result_file_free(&nw);
    }

    /* Another machine. */
    if (!load("other_machine.json", &nw)) {
        EXPECT(kb_compare_fingerprints_differ(&base, &nw), "fingerprints aaaaaaaaaaaa and bbbbbbbbbbbb differ");
        kb_result_file_free(&nw);
    }
    /* Another placement: nothing matches, but the names do except for their placement. */
    if (!load("other_placement.json", &nw)) {
        kb_compare_defaults(&o);
        if (!kb_compare(&base, &nw, &o, &r)) {
            EXPECT(r.row_count == 0 && r.placement_pairs == 2, "0 matched, 2 placement pairs; got %d, %d",
                   r.row_count, r.placement_pairs);
            EXPECT(r.placement_base && !strcmp(r.placement_base, "threads=1,bind=compact") && r.placement_new &&
                       !strcmp(r.placement_new, "threads=2,bind=compact"),
                   "the two labels");
            EXPECT(isnan(r.geomean_ratio) && !r.regression, "no ratio, no regression");
            kb_compare_result_free(&r);
        }
        kb_result_file_free(&nw);
    }
    kb_result_file_free(&base);
}

static void test_plain_gbench(void)
{
    kb_result_file a, b;
    if (load("gbench_a.json", &a) || load("gbench_b.json", &b)) return;
    EXPECT(a.fingerprint == NULL, "no fingerprint in plain Google Benchmark output");
    EXPECT(a.count == 2 && a.benches[0].n == 3 && a.benches[0].verification == KB_RF_VERIFY_NONE &&
               a.benches[0].placement == NULL,
           "2 benchmarks of 3 repetitions, no kbench fields");
    EXPECT(close_rel(a.benches[0].times[0], 1e-6, 1e-12), "us to seconds: %g", a.benches[0].times[0]);
    EXPECT(close_rel(b.benches[1].times[0], 30e-9, 1e-12), "0.03 us = 30 ns: %g", b.benches[1].times[0]);
    kb_compare_options o;
    kb_compare_defaults(&o);
    kb_compare_result r;
    if (!kb_compare(&a, &b, &o, &r)) {
        const kb_compare_row *x = row_named(&r, "BM_memcpy/4096");
        /* 3 against 3, fully apart: p = 2/20 = 0.1, so +50% is not significant. */
        if (x) {
            EXPECT(close_rel(x->ratio, 1.5, 1e-12), "ratio 30 ns / 20 ns: %g", x->ratio);
            EXPECT(close_rel(x->p_value, 0.1, 1e-9), "p %.17g", x->p_value);
            EXPECT(x->verdict == KB_CMP_SAME, "not significant with 3 repetitions: %s", x->reason);
        }
        EXPECT(!r.regression && r.low_power, "no regression, low power");
        kb_compare_result_free(&r);
    }
    kb_result_file_free(&a);
    kb_result_file_free(&b);
}

static void expect_error(const char *file, const char *want)
{
    kb_result_file f;
    char err[512] = "";
    char full[1200];
    int rc = kb_result_file_load(path_of(file), &f, err, sizeof err);
    snprintf(full, sizeof full, "%s: %s", path_of(file), want);
    EXPECT(rc == -1, "%s loads, but should not", file);
    EXPECT(!strcmp(err, full), "%s:\n  got      '%s'\n  expected '%s'", file, err, full);
    EXPECT(f.count == 0 && f.benches == NULL, "%s: nothing left behind", file);
    if (rc == 0) kb_result_file_free(&f);
}

static void test_malformed(void)
{
    expect_error("empty.json", "empty file");
    expect_error("truncated.json", "line 4: unexpected end of input (truncated JSON?)");
    expect_error("wrong_schema.json", "not a benchmark result file: no \"benchmarks\" array");
    expect_error("bad_real_time.json", "benchmarks[1]: \"real_time\" is not a number");
    expect_error("no_benchmarks.json", "no benchmarks");
    expect_error("no-such-file.json", "No such file or directory");
}

/* Hand-built data: one benchmark per file. */
static kb_result_bench hb(char *name, double *t, int n, int errored, kb_rf_verify v)
{
    kb_result_bench b;
    memset(&b, 0, sizeof b);
    b.name = name;
    b.times = t;
    b.n = n;
    b.errored = errored;
    b.verification = v;
    return b;
}

static kb_compare_row judge1(kb_result_bench b, kb_result_bench n)
{
    kb_result_file fb = {0}, fn = {0};
    fb.benches = &b;
    fb.count = 1;
    fn.benches = &n;
    fn.count = 1;
    kb_compare_options o;
    kb_compare_defaults(&o);
    kb_compare_result r;
    kb_compare_row row;
    memset(&row, 0, sizeof row);
    if (kb_compare(&fb, &fn, &o, &r) || r.row_count != 1) {
        EXPECT(0, "kb_compare on one pair");
        return row;
    }
    row = r.rows[0];
    kb_compare_result_free(&r);
    return row;
}

static void test_rules(void)
{
    double t5[] = {1.0, 1.01, 0.99, 1.02, 1.005}, t5s[] = {1.5, 1.51, 1.49, 1.52, 1.505}, one[] = {1.0};
    char nm[] = "x";
    kb_compare_row r;
    /* Both failing: failed, still broken. */
    r = judge1(hb(nm, NULL, 0, 1, KB_RF_VERIFY_FAIL), hb(nm, NULL, 0, 1, KB_RF_VERIFY_FAIL));
    EXPECT(r.verdict == KB_CMP_FAILED && strstr(r.reason, "still broken"), "both failing: %s", r.reason);
    /* Failing in NEW with a timing (ran, then verification FAIL): failed, whatever its speed. */
    r = judge1(hb(nm, t5s, 5, 0, KB_RF_VERIFY_NONE), hb(nm, t5, 5, 0, KB_RF_VERIFY_FAIL));
    EXPECT(r.verdict == KB_CMP_FAILED && strstr(r.reason, "ran in BASE"), "faster but failing: %s", r.reason);
    /* One repetition: noisy. */
    r = judge1(hb(nm, one, 1, 0, KB_RF_VERIFY_PASS), hb(nm, t5s, 5, 0, KB_RF_VERIFY_PASS));
    EXPECT(r.verdict == KB_CMP_NOISY && strstr(r.reason, "fewer than 2 repetitions (BASE 1, NEW 5)"), "one rep: %s",
           r.reason);
    EXPECT(isnan(r.p_value) && close_rel(r.ratio, 1.505, 1e-12), "no p-value, a ratio");
    /* Faster and slower by the exact test's smallest p with 5 and 5. */
    r = judge1(hb(nm, t5s, 5, 0, KB_RF_VERIFY_PASS), hb(nm, t5, 5, 0, KB_RF_VERIFY_PASS));
    EXPECT(r.verdict == KB_CMP_FASTER, "faster: %s", r.reason);
    r = judge1(hb(nm, t5, 5, 0, KB_RF_VERIFY_PASS), hb(nm, t5s, 5, 0, KB_RF_VERIFY_PASS));
    EXPECT(r.verdict == KB_CMP_SLOWER && strstr(r.reason, "+49.8%"), "slower: %s", r.reason);
    /* A zero median: noisy, no ratio. */
    double z[] = {0, 0, 0};
    r = judge1(hb(nm, z, 3, 0, KB_RF_VERIFY_PASS), hb(nm, t5, 5, 0, KB_RF_VERIFY_PASS));
    EXPECT(r.verdict == KB_CMP_NOISY && isnan(r.ratio), "zero median: %s", r.reason);
    EXPECT(!strcmp(kb_cmp_verdict_name(KB_CMP_FIXED), "fixed") && !strcmp(kb_cmp_verdict_name(KB_CMP_SAME), "same"),
           "verdict names");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_compare DATA_DIR\n");
        return 2;
    }
    dir = argv[1];
    test_ab_files();
    test_plain_gbench();
    test_malformed();
    test_rules();
    if (failures) fprintf(stderr, "test_compare: %d failure(s)\n", failures);
    else printf("test_compare: all checks passed\n");
    return failures ? 1 : 0;
}
