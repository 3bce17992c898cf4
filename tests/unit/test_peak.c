/*
 * test_peak.c - kbench peak: the roofline formula against hand-computed
 * values, the JSON file's round trip and its errors, the kernels' results,
 * and one quick real measurement checked for sanity only (CI is noisy).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"
#include "peak.h"

static int near(double got, double want) { return fabs(got - want) <= 1e-9 * fabs(want); }

/* A made-up 4-core machine with round numbers. */
static kb_peak made_up(void)
{
    kb_peak p;
    memset(&p, 0, sizeof p);
    snprintf(p.fingerprint, sizeof p.fingerprint, "test-fp-0123");
    p.cores = 4;
    p.fma_gflops_1 = 100;
    p.fma_gflops_all = 300; /* less than 4 x 100: the cap matters */
    p.copy_dram_gbs_1 = 9;
    p.copy_dram_gbs_all = 18;
    p.triad_dram_gbs_1 = 10;
    p.triad_dram_gbs_all = 40;
    p.copy_llc_gbs_1 = 90;
    p.copy_llc_gbs_all = 300;
    p.triad_llc_gbs_1 = 100;
    p.triad_llc_gbs_all = 400;
    p.llc_bytes = 32u << 20;
    snprintf(p.isa, sizeof p.isa, "avx2+fma");
    snprintf(p.date, sizeof p.date, "2024-01-02T03:04:05Z");
    return p;
}

static void expect_roof(const kb_peak *p, double flops, double bytes, int threads, double bound, int memory_bound,
                        double intensity, int line)
{
    kb_roofline r = kb_peak_roofline(p, flops, bytes, threads);
    EXPECT(near(r.bound, bound), "line %d: bound %.17g, expected %.17g", line, r.bound, bound);
    EXPECT(r.memory_bound == memory_bound, "line %d: memory_bound %d, expected %d", line, r.memory_bound,
           memory_bound);
    EXPECT(near(r.intensity, intensity), "line %d: intensity %.17g, expected %.17g", line, r.intensity, intensity);
}

static void test_roofline(void)
{
    kb_peak p = made_up();
    const double G = 1e9, MiB = 1 << 20;
    double dram = 1024 * MiB, llc = 8 * MiB; /* bytes per run: beyond half the LLC, within it */

    /* Compute-bound, 1 thread: intensity 1e12 / 1 GiB ~ 931 FLOP/byte; memory
     * 931 x 10 GB/s >> 100 GFLOP/s. */
    expect_roof(&p, 1e12, dram, 1, 100 * G, 0, 1e12 / dram, __LINE__);
    /* Memory-bound from DRAM, 1 thread: 1 FLOP/byte x 10 GB/s = 10 GFLOP/s. */
    expect_roof(&p, dram, dram, 1, 10 * G, 1, 1.0, __LINE__);
    /* The same intensity within half the LLC: the LLC triad, 100 GB/s -> 100
     * GFLOP/s equals compute: not memory-bound (memory < compute is false). */
    expect_roof(&p, llc, llc, 1, 100 * G, 0, 1.0, __LINE__);
    /* Intensity 0.5 in the LLC: 50 GFLOP/s, memory-bound. */
    expect_roof(&p, 0.5 * llc, llc, 1, 50 * G, 1, 0.5, __LINE__);
    /* Exactly half the LLC still counts as LLC-sized; one byte more is DRAM. */
    expect_roof(&p, 0, 16 * MiB, 1, 100 * G, 1, 0, __LINE__);
    expect_roof(&p, 0, 16 * MiB + 1, 1, 10 * G, 1, 0, __LINE__);

    /* Thread scaling of compute: 2 threads 200; 3 threads 300; 4 threads
     * 400 capped at 300; 8 threads still 300. */
    expect_roof(&p, 1e12, dram, 2, 200 * G, 0, 1e12 / dram, __LINE__);
    expect_roof(&p, 1e12, dram, 3, 300 * G, 0, 1e12 / dram, __LINE__);
    expect_roof(&p, 1e12, dram, 4, 300 * G, 0, 1e12 / dram, __LINE__);
    expect_roof(&p, 1e12, dram, 8, 300 * G, 0, 1e12 / dram, __LINE__);
    /* Thread scaling of memory, DRAM triad 10 -> 40 over 1..4 threads: 2
     * threads 20, 3 threads 30, 4 and more 40 (bytes/s with flops == 0). */
    expect_roof(&p, 0, dram, 2, 20 * G, 1, 0, __LINE__);
    expect_roof(&p, 0, dram, 3, 30 * G, 1, 0, __LINE__);
    expect_roof(&p, 0, dram, 4, 40 * G, 1, 0, __LINE__);
    expect_roof(&p, 0, dram, 16, 40 * G, 1, 0, __LINE__);
    /* LLC triad 100 -> 400: 3 threads 300. */
    expect_roof(&p, 0, llc, 3, 300 * G, 1, 0, __LINE__);
    /* 0 or negative threads count as 1. */
    expect_roof(&p, 0, dram, 0, 10 * G, 1, 0, __LINE__);
    /* Memory-bound with threads: intensity 2, 2 threads of DRAM (20 GB/s) ->
     * 40 GFLOP/s < 200. */
    expect_roof(&p, 2 * dram, dram, 2, 40 * G, 1, 2.0, __LINE__);

    /* No bytes: compute-bound, infinite intensity. */
    kb_roofline r = kb_peak_roofline(&p, 1e9, 0, 1);
    EXPECT(near(r.bound, 100 * G) && !r.memory_bound && isinf(r.intensity), "bytes == 0: %g %d %g", r.bound,
           r.memory_bound, r.intensity);

    /* One core: the single and all figures are the same thing. */
    kb_peak one = made_up();
    one.cores = 1;
    one.fma_gflops_all = 100;
    one.triad_dram_gbs_all = 10;
    expect_roof(&one, 1e12, dram, 4, 100 * G, 0, 1e12 / dram, __LINE__);
    expect_roof(&one, 0, dram, 4, 10 * G, 1, 0, __LINE__);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static void expect_load_fails(const char *dir, const char *name, const char *text, const char *needle)
{
    char path[512], err[256] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (text) write_text(path, text);
    kb_peak p;
    int rc = kb_peak_load(&p, path, err, sizeof err);
    EXPECT(rc == -1, "%s: load returned %d", name, rc);
    EXPECT(err[0] && !strchr(err, '\n'), "%s: message '%s' is not one line", name, err);
    EXPECT(strstr(err, path) != NULL, "%s: message '%s' does not name the file", name, err);
    EXPECT(!needle || strstr(err, needle), "%s: message '%s' lacks '%s'", name, err, needle);
    if (text) unlink(path);
}

static void test_file(void)
{
    char dir[] = "/tmp/kbench-test-peak-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    char path[512], err[256] = "";
    snprintf(path, sizeof path, "%s/peak.json", dir);

    kb_peak p = made_up();
    p.fma_gflops_1 = 93.123456789012345; /* every digit must come back */
    p.copy_llc_gbs_all = 1.0 / 3.0;
    EXPECT(kb_peak_save(&p, path, err, sizeof err) == 0, "save: %s", err);
    kb_peak q;
    memset(&q, 0xff, sizeof q);
    EXPECT(kb_peak_load(&q, path, err, sizeof err) == 0, "load: %s", err);
    EXPECT(!strcmp(q.fingerprint, p.fingerprint) && !strcmp(q.isa, p.isa) && !strcmp(q.date, p.date),
           "strings: '%s' '%s' '%s'", q.fingerprint, q.isa, q.date);
    EXPECT(q.cores == p.cores && q.llc_bytes == p.llc_bytes, "cores %d llc %zu", q.cores, q.llc_bytes);
#define SAME(f) EXPECT(q.f == p.f, #f ": %.17g, saved %.17g", q.f, p.f);
    SAME(fma_gflops_1) SAME(fma_gflops_all) SAME(copy_dram_gbs_1) SAME(copy_dram_gbs_all)
    SAME(triad_dram_gbs_1) SAME(triad_dram_gbs_all) SAME(copy_llc_gbs_1) SAME(copy_llc_gbs_all)
    SAME(triad_llc_gbs_1) SAME(triad_llc_gbs_all)
#undef SAME

    /* A figure that JSON cannot hold: save refuses, and the old file stays. */
    kb_peak bad = p;
    bad.triad_dram_gbs_1 = NAN;
    EXPECT(kb_peak_save(&bad, path, err, sizeof err) == -1 && strstr(err, "triad_dram_gbs_1"), "NaN save: '%s'",
           err);
    EXPECT(kb_peak_load(&q, path, err, sizeof err) == 0 && q.triad_dram_gbs_1 == p.triad_dram_gbs_1,
           "the old file did not survive a refused save");
    /* Saving into a folder that does not exist fails with the path. */
    char nodir[600];
    snprintf(nodir, sizeof nodir, "%s/no/such/folder/peak.json", dir);
    EXPECT(kb_peak_save(&p, nodir, err, sizeof err) == -1 && strstr(err, nodir), "save to a missing folder: '%s'",
           err);

    /* Missing, truncated, garbage, and well-formed JSON that is not ours. */
    expect_load_fails(dir, "missing.json", NULL, NULL);
    FILE *f = fopen(path, "r");
    char full[4096];
    size_t n = f ? fread(full, 1, sizeof full - 1, f) : 0;
    if (f) fclose(f);
    full[n] = '\0';
    full[n / 2] = '\0';
    expect_load_fails(dir, "truncated.json", full, "line");
    expect_load_fails(dir, "garbage.json", "\x01\x02 not json at all", NULL);
    expect_load_fails(dir, "empty.json", "", NULL);
    expect_load_fails(dir, "array.json", "[1, 2, 3]", "not a kbench peak file");
    expect_load_fails(dir, "other.json", "{\"context\": {}, \"benchmarks\": []}", "not a kbench peak file");
    expect_load_fails(dir, "nocores.json", "{\"kbench_peak\": 1, \"isa\": \"scalar\", \"llc_bytes\": 1024}",
                      "\"cores\"");
    /* A figure missing, or of the wrong type. */
    const char *head =
        "{\"kbench_peak\": 1, \"isa\": \"scalar\", \"cores\": 2, \"llc_bytes\": 1048576, \"fma_gflops_1\": 1,"
        " \"fma_gflops_all\": 2, \"copy_dram_gbs_1\": 1, \"copy_dram_gbs_all\": 1, \"triad_dram_gbs_1\": 1,"
        " \"triad_dram_gbs_all\": 1, \"copy_llc_gbs_1\": 1, \"copy_llc_gbs_all\": 1, \"triad_llc_gbs_1\": 1";
    char text[4096];
    snprintf(text, sizeof text, "%s}", head);
    expect_load_fails(dir, "nofigure.json", text, "triad_llc_gbs_all");
    snprintf(text, sizeof text, "%s, \"triad_llc_gbs_all\": \"fast\"}", head);
    expect_load_fails(dir, "string.json", text, "triad_llc_gbs_all");
    snprintf(text, sizeof text, "%s, \"triad_llc_gbs_all\": -1}", head);
    expect_load_fails(dir, "negative.json", text, "triad_llc_gbs_all");
    /* ... and with it a number, the same file loads. */
    snprintf(text, sizeof text, "%s, \"triad_llc_gbs_all\": 4.5}", head);
    snprintf(path, sizeof path, "%s/minimal.json", dir);
    write_text(path, text);
    EXPECT(kb_peak_load(&q, path, err, sizeof err) == 0 && q.triad_llc_gbs_all == 4.5 && q.cores == 2 &&
               !q.fingerprint[0],
           "minimal file: %s", err);
    unlink(path);
    snprintf(path, sizeof path, "%s/peak.json", dir);
    unlink(path);
    rmdir(dir);
}

/* Both kernel sets compute what they say, on lengths that are not multiples
 * of the vector step and on unaligned pointers. */
static void test_kernels(void)
{
    for (int portable = 0; portable < 2; portable++) {
        const kb_peak_kernels *k = kb_peak_kernels_select(portable);
        EXPECT(k->fma_flops_per_iter > 0, "%s: flops per iteration", k->isa);
        float s = k->fma(1000, 0.5f, 1.0f); /* every chain converges to 2 */
        EXPECT(isfinite(s) && s > 0, "%s: fma gave %g", k->isa, (double)s);
        enum { N = 203 };
        double *a = calloc(N + 1, sizeof(double)), *b = malloc((N + 1) * sizeof(double)),
               *c = malloc((N + 1) * sizeof(double));
        if (!a || !b || !c) exit(1);
        for (int off = 0; off < 2; off++) {
            for (int i = 0; i <= N; i++) {
                a[i] = -1;
                b[i] = i;
                c[i] = 0.5 * i;
            }
            k->copy(a + off, b + off, N - off);
            int ok = 1;
            for (int i = off; i < N; i++) ok &= a[i] == b[i];
            EXPECT(ok && a[N] == -1, "%s: copy (offset %d)", k->isa, off);
            k->triad(a + off, b + off, c + off, 3.0, N - off);
            ok = 1;
            for (int i = off; i < N; i++) ok &= a[i] == b[i] + 3.0 * c[i];
            EXPECT(ok && a[N] == -1, "%s: triad (offset %d)", k->isa, off);
        }
        free(a);
        free(b);
        free(c);
    }
}

static void test_measure(void)
{
    kb_peak p;
    char err[256] = "";
    int rc = kb_peak_measure_quick(&p, 0, err, sizeof err);
    EXPECT(rc == 0, "quick measurement: %s", err);
    if (rc) return;
    printf("quick: %d cores, %s, LLC %zu: fma %.1f / %.1f GFLOP/s; copy DRAM %.1f / %.1f, triad DRAM %.1f / %.1f, "
           "copy LLC %.1f / %.1f, triad LLC %.1f / %.1f GB/s\n",
           p.cores, p.isa, p.llc_bytes, p.fma_gflops_1, p.fma_gflops_all, p.copy_dram_gbs_1, p.copy_dram_gbs_all,
           p.triad_dram_gbs_1, p.triad_dram_gbs_all, p.copy_llc_gbs_1, p.copy_llc_gbs_all, p.triad_llc_gbs_1,
           p.triad_llc_gbs_all);
    EXPECT(p.cores >= 1 && p.llc_bytes > 0, "cores %d llc %zu", p.cores, p.llc_bytes);
    EXPECT(!strcmp(p.isa, "avx2+fma") || !strcmp(p.isa, "scalar"), "isa '%s'", p.isa);
    EXPECT(p.date[0] && !p.fingerprint[0], "date '%s' fingerprint '%s'", p.date, p.fingerprint);
    EXPECT(p.fma_gflops_1 > 1, "fma %.3f GFLOP/s", p.fma_gflops_1);
    EXPECT(p.fma_gflops_all >= 0.25 * p.fma_gflops_1, "fma all %.3f vs one %.3f", p.fma_gflops_all, p.fma_gflops_1);
    double one[] = {p.copy_dram_gbs_1, p.triad_dram_gbs_1, p.copy_llc_gbs_1, p.triad_llc_gbs_1};
    double all[] = {p.copy_dram_gbs_all, p.triad_dram_gbs_all, p.copy_llc_gbs_all, p.triad_llc_gbs_all};
    for (int i = 0; i < 4; i++) {
        EXPECT(one[i] > 0.5, "bandwidth %d: %.3f GB/s", i, one[i]);
        EXPECT(all[i] >= 0.25 * one[i], "bandwidth %d: all %.3f vs one %.3f", i, all[i], one[i]);
    }
    /* One thread asked for: the all figures are the single ones. */
    rc = kb_peak_measure_quick(&p, 1, err, sizeof err);
    EXPECT(rc == 0 && p.cores == 1 && p.fma_gflops_all == p.fma_gflops_1, "quick, 1 core: %s", err);
    /* More threads than CPUs: refused with a message. */
    rc = kb_peak_measure_quick(&p, 1 << 16, err, sizeof err);
    EXPECT(rc == -1 && strstr(err, "CPU"), "too many threads: rc %d '%s'", rc, err);
}

int main(void)
{
    test_roofline();
    test_file();
    test_kernels();
    test_measure();
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
