/*
 * test_gbench.c - the Google Benchmark shim (harness/gbench.h): run names as
 * registered, every repetition and each aggregate exactly once, times in
 * seconds per iteration, rate counters, error runs, the machine context, and
 * that the library prints nothing while it runs.
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gbench.h"

#include "expect.h"

#define MANUAL_NAME "manual/const 1ms"
#define SPIN_NAME "spin/50us"
#define ERROR_NAME "planted error"
#define EARLY_NAME "returns early"
#define FIXED_NAME "fixed 7 iterations"
#define FIXED_ITERS 7
#define FIXED_SECONDS 2e-3
#define MANUAL_SECONDS 1e-3
#define SPIN_SECONDS 50e-6
#define FLOPS 1000.0
#define REPS 5

static const char *const AGGREGATES[] = {"mean", "median", "stddev", "cv", "min"};
#define N_AGG 5

/* --- bodies ------------------------------------------------------------ */

static void manual_body(kb_gb_state *st, void *user)
{
    (void)user;
    while (kb_gb_keep_running(st))
        kb_gb_set_iteration_time(st, MANUAL_SECONDS);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void spin_body(kb_gb_state *st, void *user)
{
    (void)user;
    while (kb_gb_keep_running(st)) {
        double t0 = now();
        while (now() - t0 < SPIN_SECONDS) {
        }
    }
    kb_gb_set_counter(st, "flops", FLOPS, KB_GB_RATE | KB_GB_ITERATION_INVARIANT);
}

static void error_body(kb_gb_state *st, void *user)
{
    (void)user;
    kb_gb_skip_with_error(st, "planted failure");
    while (kb_gb_keep_running(st)) {
    }
}

/* A fixed iteration count with min_time and a warm-up also given: the library
 * cannot combine them, the shim warms up itself, once, before the first
 * repetition.  Records how many iterations each call of the body ran. */
typedef struct fixed_log {
    int calls;
    int64_t iters[8];
} fixed_log;

static void fixed_body(kb_gb_state *st, void *user)
{
    fixed_log *log = user;
    int64_t n = 0;
    while (kb_gb_keep_running(st)) {
        double t0 = now();
        while (now() - t0 < 20e-6) {
        }
        kb_gb_set_iteration_time(st, FIXED_SECONDS);
        n++;
    }
    if (log->calls < 8) log->iters[log->calls] = n;
    log->calls++;
}

/* Forgets the loop: the shim must turn this into an error run, not an abort. */
static void early_body(kb_gb_state *st, void *user)
{
    (void)st;
    (void)user;
}

/* --- what came back ---------------------------------------------------- */

typedef struct seen_run {
    char name[64];
    kb_gb_run_type type;
    char agg[16];
    int pct;
    int64_t reps, rep_index, iters;
    double real, cpu;
    int error;
    char msg[128];
    int has_flops;
    double flops;
} seen_run;

typedef struct seen {
    seen_run runs[64];
    int n;
    int overflow;
} seen;

static void on_run(const kb_gb_run *r, void *user)
{
    seen *s = user;
    if (s->n == (int)(sizeof s->runs / sizeof s->runs[0])) {
        s->overflow = 1;
        return;
    }
    seen_run *o = &s->runs[s->n++];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", r->run_name);
    o->type = r->run_type;
    snprintf(o->agg, sizeof o->agg, "%s", r->aggregate_name);
    o->pct = r->aggregate_is_percentage;
    o->reps = r->repetitions;
    o->rep_index = r->repetition_index;
    o->iters = r->iterations;
    o->real = r->real_time;
    o->cpu = r->cpu_time;
    o->error = r->error;
    snprintf(o->msg, sizeof o->msg, "%s", r->error_message ? r->error_message : "(null)");
    for (int i = 0; i < r->counter_count; i++)
        if (strcmp(r->counters[i].name, "flops") == 0) {
            o->has_flops = 1;
            o->flops = r->counters[i].value;
        }
}

static int count_named(const seen *s, const char *name)
{
    int n = 0;
    for (int i = 0; i < s->n; i++) n += strcmp(s->runs[i].name, name) == 0;
    return n;
}

static const seen_run *find(const seen *s, const char *name, kb_gb_run_type type, const char *agg)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->runs[i].name, name) == 0 && s->runs[i].type == type &&
            (!agg || strcmp(s->runs[i].agg, agg) == 0))
            return &s->runs[i];
    return NULL;
}

/* --- stdout and stderr into a file while the library runs --------------- */

typedef struct capture {
    char path[64];
    int fd, saved_out, saved_err;
} capture;

static void capture_begin(capture *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/kbench_test_gbench_XXXXXX");
    c->fd = mkstemp(c->path);
    if (c->fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    /* Should a sanitizer stop the run while captured, its report is here. */
    printf("(library output captured in %s while it runs)\n", c->path);
    fflush(stdout);
    fflush(stderr);
    c->saved_out = dup(1);
    c->saved_err = dup(2);
    dup2(c->fd, 1);
    dup2(c->fd, 2);
}

/* Restores the streams; returns what was written (malloc'd, maybe ""). */
static char *capture_end(capture *c)
{
    fflush(stdout);
    fflush(stderr);
    dup2(c->saved_out, 1);
    dup2(c->saved_err, 2);
    close(c->saved_out);
    close(c->saved_err);
    off_t len = lseek(c->fd, 0, SEEK_END);
    char *text = calloc((size_t)(len > 0 ? len : 0) + 1, 1);
    if (text && len > 0) {
        lseek(c->fd, 0, SEEK_SET);
        ssize_t got = read(c->fd, text, (size_t)len);
        (void)got;
    }
    close(c->fd);
    unlink(c->path);
    return text;
}

/* --- the checks --------------------------------------------------------- */

static void check_manual(const seen *s)
{
    EXPECT(count_named(s, MANUAL_NAME) == REPS + N_AGG,
           "'%s': %d runs, want %d repetitions + %d aggregates", MANUAL_NAME,
           count_named(s, MANUAL_NAME), REPS, N_AGG);

    int index_seen[REPS] = {0};
    for (int i = 0; i < s->n; i++) {
        const seen_run *r = &s->runs[i];
        if (strcmp(r->name, MANUAL_NAME) != 0 || r->type != KB_GB_ITERATION) continue;
        EXPECT(r->rep_index >= 0 && r->rep_index < REPS, "repetition_index %lld out of range",
               (long long)r->rep_index);
        if (r->rep_index >= 0 && r->rep_index < REPS) index_seen[r->rep_index]++;
        EXPECT(r->reps == REPS, "iteration run: repetitions %lld, want %d", (long long)r->reps, REPS);
        EXPECT(r->agg[0] == '\0', "iteration run has aggregate name '%s'", r->agg);
        EXPECT(!r->error, "iteration run reports an error: %s", r->msg);
        EXPECT(r->iters >= 1, "iteration run with %lld iterations", (long long)r->iters);
        EXPECT(fabs(r->real - MANUAL_SECONDS) <= 1e-12, "manual real_time %.17g s, want %g",
               r->real, MANUAL_SECONDS);
    }
    for (int k = 0; k < REPS; k++)
        EXPECT(index_seen[k] == 1, "repetition_index %d seen %d times, want once", k, index_seen[k]);

    for (int a = 0; a < N_AGG; a++) {
        int n = 0;
        for (int i = 0; i < s->n; i++) {
            const seen_run *r = &s->runs[i];
            if (strcmp(r->name, MANUAL_NAME) != 0 || r->type != KB_GB_AGGREGATE ||
                strcmp(r->agg, AGGREGATES[a]) != 0)
                continue;
            n++;
            EXPECT(r->rep_index == -1, "aggregate %s: repetition_index %lld, want -1", r->agg,
                   (long long)r->rep_index);
            EXPECT(r->reps == REPS, "aggregate %s: repetitions %lld", r->agg, (long long)r->reps);
            EXPECT(r->pct == (strcmp(r->agg, "cv") == 0), "aggregate %s: percentage flag %d",
                   r->agg, r->pct);
        }
        EXPECT(n == 1, "aggregate '%s' reported %d times, want once", AGGREGATES[a], n);
    }

    const seen_run *median = find(s, MANUAL_NAME, KB_GB_AGGREGATE, "median");
    const seen_run *mean = find(s, MANUAL_NAME, KB_GB_AGGREGATE, "mean");
    const seen_run *min = find(s, MANUAL_NAME, KB_GB_AGGREGATE, "min");
    const seen_run *sd = find(s, MANUAL_NAME, KB_GB_AGGREGATE, "stddev");
    const seen_run *cv = find(s, MANUAL_NAME, KB_GB_AGGREGATE, "cv");
    if (median)
        EXPECT(fabs(median->real - MANUAL_SECONDS) <= 1e-12, "median real_time %.17g s, want %g",
               median->real, MANUAL_SECONDS);
    if (mean)
        EXPECT(fabs(mean->real - MANUAL_SECONDS) <= 1e-12, "mean real_time %.17g s, want %g",
               mean->real, MANUAL_SECONDS);
    if (min)
        EXPECT(fabs(min->real - MANUAL_SECONDS) <= 1e-12, "min real_time %.17g s, want %g",
               min->real, MANUAL_SECONDS);
    /* Identical repetitions: the library's stddev (sqrt of a difference of
     * means of squares) is zero up to rounding; 1e-12 s is far below it. */
    if (sd) EXPECT(fabs(sd->real) <= 1e-12, "stddev real_time %.17g s, want 0", sd->real);
    if (cv) EXPECT(fabs(cv->real) <= 1e-9, "cv %.17g, want 0 (a ratio)", cv->real);
}

static void check_spin(const seen *s)
{
    EXPECT(count_named(s, SPIN_NAME) == 1, "'%s': %d runs, want 1 (no aggregates for 1 repetition)",
           SPIN_NAME, count_named(s, SPIN_NAME));
    const seen_run *r = find(s, SPIN_NAME, KB_GB_ITERATION, NULL);
    if (!r) return;
    EXPECT(!r->error, "spin run reports an error: %s", r->msg);
    EXPECT(r->rep_index == 0 && r->reps == 1, "spin run: repetition %lld of %lld",
           (long long)r->rep_index, (long long)r->reps);
    EXPECT(r->real >= 40e-6 && r->real <= 5e-3, "spin real_time %g s per iteration, want 40 us .. 5 ms",
           r->real);
    EXPECT(r->cpu > 0 && r->cpu <= 5e-3, "spin cpu_time %g s per iteration", r->cpu);
    EXPECT(r->has_flops, "spin run has no 'flops' counter");
    if (r->has_flops && r->real > 0) {
        double want = FLOPS / r->real;
        EXPECT(fabs(r->flops - want) <= 0.01 * want, "flops %g, want %g (1000 per iteration / real_time)",
               r->flops, want);
    }
}

static void check_error(const seen *s, const char *name, const char *msg)
{
    EXPECT(count_named(s, name) == 1, "'%s': %d runs, want 1", name, count_named(s, name));
    const seen_run *r = find(s, name, KB_GB_ITERATION, NULL);
    if (!r) return;
    EXPECT(r->error == 1, "'%s': error %d, want 1", name, r->error);
    EXPECT(strstr(r->msg, msg) != NULL, "'%s': error message '%s', want '%s'", name, r->msg, msg);
}

static void check_fixed(const seen *s, const fixed_log *log)
{
    EXPECT(count_named(s, FIXED_NAME) == 2 + N_AGG, "'%s': %d runs, want 2 repetitions + %d aggregates",
           FIXED_NAME, count_named(s, FIXED_NAME), N_AGG);
    for (int i = 0; i < s->n; i++) {
        const seen_run *r = &s->runs[i];
        if (strcmp(r->name, FIXED_NAME) != 0 || r->type != KB_GB_ITERATION) continue;
        EXPECT(!r->error, "fixed: error %s", r->msg);
        EXPECT(r->iters == FIXED_ITERS, "fixed: %lld iterations, want %d", (long long)r->iters, FIXED_ITERS);
        /* Warm-up iterations' times must not be counted. */
        EXPECT(fabs(r->real - FIXED_SECONDS) <= 1e-12, "fixed: real_time %.17g s, want %g", r->real,
               FIXED_SECONDS);
    }
    /* One call of the body per repetition; only the first one warms up
     * (5 ms of 20 us iterations: well over 10 extra). */
    EXPECT(log->calls == 2, "fixed: body called %d times, want 2", log->calls);
    if (log->calls == 2) {
        EXPECT(log->iters[0] >= FIXED_ITERS + 10, "fixed: first repetition ran %lld iterations, want %d + warm-up",
               (long long)log->iters[0], FIXED_ITERS);
        EXPECT(log->iters[1] == FIXED_ITERS, "fixed: second repetition ran %lld iterations, want exactly %d",
               (long long)log->iters[1], FIXED_ITERS);
    }
}

static void check_register_rejects(void)
{
    kb_gb_options ok = {0.01, 0, 1, 0, 0};
    kb_gb_options no_reps = {0.01, 0, 0, 0, 0};
    kb_gb_options bad_warm = {0.01, -1, 1, 0, 0};
    kb_gb_options bad_iters = {0.01, 0, 1, 0, -1};
    kb_gb_options nan_time = {NAN, 0, 1, 0, 0};
    EXPECT(kb_gb_register(NULL, early_body, NULL, &ok) == -1, "NULL name accepted");
    EXPECT(kb_gb_register("", early_body, NULL, &ok) == -1, "empty name accepted");
    EXPECT(kb_gb_register("x", NULL, NULL, &ok) == -1, "NULL body accepted");
    EXPECT(kb_gb_register("x", early_body, NULL, &no_reps) == -1, "0 repetitions accepted");
    EXPECT(kb_gb_register("x", early_body, NULL, &bad_warm) == -1, "negative warm-up accepted");
    EXPECT(kb_gb_register("x", early_body, NULL, &nan_time) == -1, "NaN min_time accepted");
    EXPECT(kb_gb_register("x", early_body, NULL, &bad_iters) == -1, "negative iterations accepted");
}

static void check_context(void)
{
    kb_gb_context c;
    kb_gb_get_context(&c);
    EXPECT(c.num_cpus >= 1, "context: num_cpus %d", c.num_cpus);
    EXPECT(c.cache_count >= 0 && c.cache_count <= 16, "context: cache_count %d", c.cache_count);
    for (int i = 0; i < c.cache_count; i++)
        EXPECT(c.caches[i].type && c.caches[i].level >= 1 && c.caches[i].size > 0,
               "context: cache %d malformed", i);
    EXPECT(c.load_avg_count >= 0 && c.load_avg_count <= 3, "context: load_avg_count %d", c.load_avg_count);
    EXPECT(c.library_build_type &&
               (strcmp(c.library_build_type, "debug") == 0 || strcmp(c.library_build_type, "release") == 0),
           "context: library_build_type '%s'", c.library_build_type ? c.library_build_type : "(null)");
    printf("context: %d cpus, %.0f MHz, scaling %s, %d caches, libbenchmark %s\n", c.num_cpus,
           c.mhz_per_cpu, c.cpu_scaling_enabled ? "on" : "off", c.cache_count,
           c.library_build_type ? c.library_build_type : "?");
}

int main(void)
{
    check_register_rejects();

    kb_gb_options manual = {0.01, 0, REPS, 1, 0};
    kb_gb_options spin = {0.01, 0, 1, 0, 0};
    kb_gb_options once = {0.01, 0, 1, 0, 0};
    kb_gb_options fixed = {0.5, 0.005, 2, 1, FIXED_ITERS};
    static fixed_log flog;
    EXPECT(kb_gb_register(MANUAL_NAME, manual_body, NULL, &manual) == 0, "register manual");
    EXPECT(kb_gb_register(SPIN_NAME, spin_body, NULL, &spin) == 0, "register spin");
    EXPECT(kb_gb_register(ERROR_NAME, error_body, NULL, &once) == 0, "register error");
    EXPECT(kb_gb_register(EARLY_NAME, early_body, NULL, &once) == 0, "register early");
    EXPECT(kb_gb_register(FIXED_NAME, fixed_body, &flog, &fixed) == 0, "register fixed iterations");

    static seen s;
    capture cap;
    capture_begin(&cap);
    int ran = kb_gb_run_all(on_run, &s);
    /* Everything was cleared: a second run finds nothing and says nothing. */
    static seen again;
    int ran_again = kb_gb_run_all(on_run, &again);
    char *printed = capture_end(&cap);

    EXPECT(printed && printed[0] == '\0', "the library printed while running:\n%s",
           printed ? printed : "(capture failed)");
    free(printed);
    EXPECT(ran == 5, "kb_gb_run_all ran %d benchmarks, want 5", ran);
    EXPECT(ran_again == 0 && again.n == 0, "after clearing: ran %d, %d runs, want none", ran_again,
           again.n);
    EXPECT(!s.overflow, "more runs than expected");

    /* Registration order: all of a benchmark's runs before the next one's. */
    if (s.n == REPS + N_AGG + 3 + 2 + N_AGG) {
        EXPECT(strcmp(s.runs[0].name, MANUAL_NAME) == 0 && strcmp(s.runs[REPS + N_AGG].name, SPIN_NAME) == 0 &&
                   strcmp(s.runs[REPS + N_AGG + 1].name, ERROR_NAME) == 0 &&
                   strcmp(s.runs[REPS + N_AGG + 2].name, EARLY_NAME) == 0 &&
                   strcmp(s.runs[REPS + N_AGG + 3].name, FIXED_NAME) == 0,
               "runs not in registration order");
        for (int i = 0; i < REPS; i++)
            EXPECT(s.runs[i].type == KB_GB_ITERATION, "run %d: aggregates before repetitions", i);
    } else {
        EXPECT(0, "%d runs reported, want %d", s.n, REPS + N_AGG + 3 + 2 + N_AGG);
    }

    check_manual(&s);
    check_spin(&s);
    check_error(&s, ERROR_NAME, "planted failure");
    check_error(&s, EARLY_NAME, "returned before");
    check_fixed(&s, &flog);
    check_context();

    for (int i = 0; failures && i < s.n; i++)
        fprintf(stderr, "  run %2d: %-18s %-9s %-6s rep %lld/%lld iters %lld real %.6g s cpu %.6g s err %d %s\n", i,
                s.runs[i].name, s.runs[i].type == KB_GB_AGGREGATE ? "aggregate" : "iteration", s.runs[i].agg,
                (long long)s.runs[i].rep_index, (long long)s.runs[i].reps, (long long)s.runs[i].iters,
                s.runs[i].real, s.runs[i].cpu, s.runs[i].error, s.runs[i].error ? s.runs[i].msg : "");
    if (failures) {
        fprintf(stderr, "test_gbench: %d check(s) failed\n", failures);
        return 1;
    }
    printf("test_gbench: all checks passed (%d runs)\n", s.n);
    return 0;
}
