/*
 * test_history.c - the run history (history.h): synthetic runs recorded into
 * a temporary database and read back, date order across UTC offsets, a
 * failed record that leaves the database as it was, concurrent writers, the
 * errors of a missing, foreign or newer database, and the change-point rule.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "history.h"
#include "expect.h"

#define REPS 5

/* One synthetic result: REPS repetition times t[i] (seconds) and the aggregates. */
typedef struct synth {
    const char *op_kernel; /* "softmax/cpu.online" */
    kb_op op;
    kb_verdict verdict;
    double t[REPS];
    int reps;
} synth;

static kb_placement placement = {.threads = 1, .bind = KB_BIND_COMPACT, .label = "threads=1,bind=compact"};

static double median_of(const double *x, int n)
{
    double s[16];
    memcpy(s, x, (size_t)n * sizeof *x);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
            double tmp = s[j];
            s[j] = s[j - 1];
            s[j - 1] = tmp;
        }
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* A run record of `n` results; free with free_record. */
static kb_run_record make_record(const char *date, const char *fp, const synth *s, int n)
{
    kb_run_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.date, sizeof rec.date, "%s", date);
    snprintf(rec.suite, sizeof rec.suite, "smoke");
    snprintf(rec.fingerprint, sizeof rec.fingerprint, "%s", fp);
    rec.seed = UINT64_MAX; /* the top bit survives the round trip through a signed column */
    rec.threads = 1;
    rec.repetitions = REPS;
    rec.min_time = 0.002;
    rec.results = calloc((size_t)n, sizeof *rec.results);
    rec.count = n;
    for (int i = 0; i < n; i++) {
        kb_result *r = &rec.results[i];
        r->c.op = s[i].op;
        snprintf(r->c.id, sizeof r->c.id, "rows=%d,cols=64", 8 + i);
        const char *dot = strchr(s[i].op_kernel, '.'), *slash = strchr(s[i].op_kernel, '/');
        snprintf(r->plugin, sizeof r->plugin, "%.*s", (int)(dot - slash - 1), slash + 1);
        snprintf(r->kernel, sizeof r->kernel, "%s", dot + 1);
        r->threads = 1;
        r->placement = &placement;
        snprintf(r->name, sizeof r->name, "%s/%s/%s", s[i].op_kernel, r->c.id, placement.label);
        r->verdict = s[i].verdict;
        r->verify.max_err = 1e-7;
        r->verify.bound = 1e-6;
        r->fig.bytes = 4096;
        if (s[i].verdict == KB_VERDICT_FAIL) {
            snprintf(r->reason, sizeof r->reason, "max error 1 exceeds the bound");
            continue;
        }
        kb_timing *t = &r->timing;
        int reps = s[i].reps ? s[i].reps : REPS;
        t->ok = 1;
        t->repetitions = reps;
        t->runs = calloc((size_t)reps + 2, sizeof *t->runs);
        for (int k = 0; k < reps; k++) {
            t->runs[k].repetition_index = k;
            t->runs[k].iterations = 100;
            t->runs[k].real_time = t->runs[k].cpu_time = s[i].t[k];
        }
        t->median = median_of(s[i].t, reps);
        t->runs[reps] = (kb_timed_run){1, "median", 0, 0, 100, t->median, t->median};
        t->runs[reps + 1] = (kb_timed_run){1, "cv", 1, 0, 100, 0.01, 0.01};
        t->run_count = reps + 2;
        t->mean = t->median;
        t->min = t->median * 0.98;
        t->stddev = t->median * 0.01;
        t->cv = 0.01;
    }
    return rec;
}

static void free_record(kb_run_record *rec)
{
    for (int i = 0; i < rec->count; i++) free(rec->results[i].timing.runs);
    free(rec->results);
}

static int count_rows(const char *db_path, const char *table)
{
    sqlite3 *db;
    char sql[128];
    int n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

static void exec_sql(const char *db_path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open(db_path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fprintf(stderr, "%s: %s: %s\n", db_path, sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

static const char *SOFTMAX = "softmax/cpu.online/rows=8,cols=64/threads=1,bind=compact";
static const char *QUANT = "quantize/cpu.basic/rows=9,cols=64/threads=1,bind=compact";
static const char *ATTN = "attention/broken.nan/rows=10,cols=64/threads=1,bind=compact";

/* Three runs recorded out of date order, read back in date order. */
static void test_record_and_read(const char *db)
{
    char err[4400];
    synth r1[] = {{"softmax/cpu.online", KB_OP_SOFTMAX, KB_VERDICT_PASS, {1.00e-6, 1.01e-6, 0.99e-6, 1.02e-6, 0.98e-6}, 0},
                  {"quantize/cpu.basic", KB_OP_QUANTIZE, KB_VERDICT_PASS, {2.00e-6, 2.02e-6, 1.98e-6, 2.01e-6, 1.99e-6}, 0},
                  {"attention/broken.nan", KB_OP_ATTENTION, KB_VERDICT_PASS, {5e-6, 5e-6, 5e-6, 5e-6, 5e-6}, 0}};
    /* the next run: softmax 30% slower, quantize 2% slower (overlapping), attention stopped verifying */
    synth r2[] = {{"softmax/cpu.online", KB_OP_SOFTMAX, KB_VERDICT_PASS, {1.30e-6, 1.31e-6, 1.29e-6, 1.32e-6, 1.28e-6}, 0},
                  {"quantize/cpu.basic", KB_OP_QUANTIZE, KB_VERDICT_PASS, {2.04e-6, 2.01e-6, 2.05e-6, 2.03e-6, 2.00e-6}, 0},
                  {"attention/broken.nan", KB_OP_ATTENTION, KB_VERDICT_FAIL, {0}, 0}};
    /* the earliest run (07:00 UTC), though its local date reads later than r1's (10:00 UTC) */
    synth r0[] = {{"softmax/cpu.online", KB_OP_SOFTMAX, KB_VERDICT_PASS, {1.00e-6, 1.00e-6, 1.00e-6, 1.00e-6, 1.00e-6}, 0}};
    kb_run_record a = make_record("2026-01-01T10:00:00+00:00", "aaaaaaaaaaaa", r1, 3);
    kb_run_record b = make_record("2026-01-02T09:00:00+02:00", "aaaaaaaaaaaa", r2, 3);
    kb_run_record c = make_record("2026-01-01T12:00:00+05:00", "aaaaaaaaaaaa", r0, 1);
    EXPECT(kb_history_record(db, &a, "0123456789ab", err, sizeof err) == 0, "record a: %s", err);
    EXPECT(kb_history_record(db, &b, "ba9876543210", err, sizeof err) == 0, "record b: %s", err);
    EXPECT(kb_history_record(db, &c, "", err, sizeof err) == 0, "record c: %s", err);
    EXPECT(count_rows(db, "runs") == 3, "runs: %d", count_rows(db, "runs"));
    EXPECT(count_rows(db, "results") == 7, "results: %d", count_rows(db, "results"));
    EXPECT(count_rows(db, "repetitions") == 6 * REPS, "repetitions: %d", count_rows(db, "repetitions"));
    EXPECT(count_rows(db, "schema_version") == 1, "schema_version rows: %d", count_rows(db, "schema_version"));

    kb_history *h;
    if (kb_history_open(db, &h, err, sizeof err)) {
        EXPECT(0, "open: %s", err);
        return;
    }
    kb_history_run *runs;
    int n;
    EXPECT(kb_history_runs(h, NULL, &runs, &n, err, sizeof err) == 0, "runs: %s", err);
    EXPECT(n == 3, "%d runs", n);
    if (n == 3) {
        EXPECT(!strcmp(runs[0].date, "2026-01-01T12:00:00+05:00"), "first run %s", runs[0].date);
        EXPECT(!strcmp(runs[1].git_commit, "0123456789ab"), "second run commit %s", runs[1].git_commit);
        EXPECT(!strcmp(runs[2].git_commit, "ba9876543210"), "third run commit %s", runs[2].git_commit);
        EXPECT(runs[0].date_unix == 1767250800, "date_unix %lld", (long long)runs[0].date_unix);
        EXPECT(runs[1].seed == UINT64_MAX, "seed %llu", (unsigned long long)runs[1].seed);
        EXPECT(runs[1].result_count == 3 && runs[0].result_count == 1, "result counts %d %d", runs[1].result_count,
               runs[0].result_count);
        EXPECT(runs[1].repetitions == REPS && !strcmp(runs[1].suite, "smoke") &&
                   !strcmp(runs[1].fingerprint, "aaaaaaaaaaaa") && runs[1].kbench_version[0],
               "run facts");
    }
    free(runs);
    EXPECT(kb_history_runs(h, "bbbbbbbbbbbb", &runs, &n, err, sizeof err) == 0 && n == 0, "other machine: %d runs", n);
    free(runs);

    char **names;
    EXPECT(kb_history_benchmarks(h, NULL, &names, &n, err, sizeof err) == 0, "benchmarks: %s", err);
    EXPECT(n == 3 && !strcmp(names[0], ATTN) && !strcmp(names[1], QUANT) && !strcmp(names[2], SOFTMAX),
           "%d benchmarks", n);
    kb_history_names_free(names, n);

    kb_history_point *p;
    EXPECT(kb_history_series(h, SOFTMAX, NULL, &p, &n, err, sizeof err) == 0, "series: %s", err);
    EXPECT(n == 3, "softmax in %d runs", n);
    if (n == 3) {
        EXPECT(p[0].median == 1.00e-6 && p[1].median == 1.00e-6 && p[2].median == 1.30e-6, "medians %g %g %g",
               p[0].median, p[1].median, p[2].median);
        EXPECT(p[1].time_count == REPS && p[1].times[1] == 1.01e-6 && p[2].times[4] == 1.28e-6, "repetition times");
        EXPECT(!strcmp(p[2].status, "PASS") && p[2].timed && p[2].cv == 0.01, "status");
        kb_history_change ch = kb_history_compare(&p[1], &p[2], 5, 0.05);
        EXPECT(ch.compared && fabs(ch.change_pct - 30) < 1e-9 && ch.p < 0.05 && ch.change_point,
               "30%% shift: change %g p %g", ch.change_pct, ch.p);
    }
    kb_history_series_free(p, n);

    EXPECT(kb_history_series(h, QUANT, NULL, &p, &n, err, sizeof err) == 0 && n == 2, "quantize in %d runs", n);
    if (n == 2) {
        kb_history_change ch = kb_history_compare(&p[0], &p[1], 5, 0.05);
        EXPECT(ch.compared && fabs(ch.change_pct - 1.5) < 1e-9 && !ch.change_point, "2%% shift: change %g p %g",
               ch.change_pct, ch.p);
    }
    kb_history_series_free(p, n);

    EXPECT(kb_history_series(h, ATTN, "aaaaaaaaaaaa", &p, &n, err, sizeof err) == 0 && n == 2, "attention in %d runs", n);
    if (n == 2) {
        EXPECT(!strcmp(p[1].status, "FAIL") && !p[1].timed && p[1].time_count == 0, "FAIL point");
        kb_history_change ch = kb_history_compare(&p[0], &p[1], 5, 0.05);
        EXPECT(ch.status && ch.change_point && !ch.compared, "PASS -> FAIL is a change point");
    }
    kb_history_series_free(p, n);
    kb_history_close(h);
    char wal[4300];
    snprintf(wal, sizeof wal, "%s-wal", db);
    EXPECT(access(wal, F_OK) != 0, "%s left behind by the reader", wal);

    /* A run that fails midway (a second result of the same name violates
     * UNIQUE (run_id, name) after the run row and the first result went in)
     * leaves nothing behind. */
    synth bad[] = {{"softmax/cpu.online", KB_OP_SOFTMAX, KB_VERDICT_PASS, {1e-6, 1e-6, 1e-6, 1e-6, 1e-6}, 0},
                   {"softmax/cpu.online", KB_OP_SOFTMAX, KB_VERDICT_PASS, {1e-6, 1e-6, 1e-6, 1e-6, 1e-6}, 0}};
    kb_run_record d = make_record("2026-01-03T10:00:00+00:00", "aaaaaaaaaaaa", bad, 2);
    snprintf(d.results[1].name, sizeof d.results[1].name, "%s", d.results[0].name);
    err[0] = '\0';
    EXPECT(kb_history_record(db, &d, "deadbeef", err, sizeof err) == -1, "a duplicate result was recorded");
    EXPECT(strstr(err, db) && strstr(err, "UNIQUE"), "message: %s", err);
    EXPECT(count_rows(db, "runs") == 3, "runs after a failed record: %d", count_rows(db, "runs"));
    EXPECT(count_rows(db, "results") == 7, "results after a failed record: %d", count_rows(db, "results"));
    EXPECT(count_rows(db, "repetitions") == 6 * REPS, "repetitions after a failed record: %d",
           count_rows(db, "repetitions"));

    /* A read-only database (not for root, who may write anyway). */
    if (geteuid() != 0) {
        chmod(db, 0444);
        snprintf(d.results[1].name, sizeof d.results[1].name, "other");
        EXPECT(kb_history_record(db, &d, "deadbeef", err, sizeof err) == -1, "recorded into a read-only database");
        EXPECT(count_rows(db, "runs") == 3, "runs after a read-only record: %d", count_rows(db, "runs"));
        chmod(db, 0644);
    }
    free_record(&a);
    free_record(&b);
    free_record(&c);
    free_record(&d);
}

/* Several processes recording at once all succeed (busy timeout, WAL). */
static void test_concurrent(const char *db)
{
    enum { PROCS = 4, EACH = 5 };
    synth s[] = {{"softmax/cpu.online", KB_OP_SOFTMAX, KB_VERDICT_PASS, {1e-6, 1e-6, 1e-6, 1e-6, 1e-6}, 0}};
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            kb_run_record rec = make_record("2026-02-01T10:00:00+00:00", "cccccccccccc", s, 1);
            char err[4400];
            int bad = 0;
            for (int k = 0; k < EACH; k++)
                if (kb_history_record(db, &rec, "", err, sizeof err)) {
                    fprintf(stderr, "writer %d: %s\n", i, err);
                    bad = 1;
                }
            free_record(&rec);
            _exit(bad);
        }
    }
    for (int i = 0; i < PROCS; i++) {
        int status = 1;
        waitpid(pids[i], &status, 0);
        EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", i);
    }
    EXPECT(count_rows(db, "runs") == PROCS * EACH, "concurrent runs: %d", count_rows(db, "runs"));
}

static void test_errors(const char *dir)
{
    char err[4400], path[4200];
    kb_history *h = NULL;
    snprintf(path, sizeof path, "%s/missing.sqlite", dir);
    EXPECT(kb_history_open(path, &h, err, sizeof err) == -1 && strstr(err, path) && strstr(err, "No such file"),
           "missing: %s", err);

    snprintf(path, sizeof path, "%s/garbage.sqlite", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < 200; i++) fputs("this is not an SQLite database\n", f);
    if (f) fclose(f);
    EXPECT(kb_history_open(path, &h, err, sizeof err) == -1 && strstr(err, path), "garbage: %s", err);
    synth s[] = {{"softmax/cpu.online", KB_OP_SOFTMAX, KB_VERDICT_PASS, {1e-6, 1e-6, 1e-6, 1e-6, 1e-6}, 0}};
    kb_run_record rec = make_record("2026-02-01T10:00:00+00:00", "cccccccccccc", s, 1);
    EXPECT(kb_history_record(path, &rec, "", err, sizeof err) == -1 && strstr(err, path), "record into garbage: %s",
           err);

    snprintf(path, sizeof path, "%s/other.sqlite", dir); /* an SQLite database, not ours */
    exec_sql(path, "CREATE TABLE t (x)");
    EXPECT(kb_history_open(path, &h, err, sizeof err) == -1 && strstr(err, "not a kbench history database"),
           "foreign: %s", err);

    snprintf(path, sizeof path, "%s/newer.sqlite", dir);
    EXPECT(kb_history_record(path, &rec, "", err, sizeof err) == 0, "record: %s", err);
    exec_sql(path, "UPDATE schema_version SET version = 99");
    EXPECT(kb_history_open(path, &h, err, sizeof err) == -1 && strstr(err, "schema version 99"), "newer: %s", err);
    EXPECT(kb_history_record(path, &rec, "", err, sizeof err) == -1 && strstr(err, "schema version 99"),
           "record into newer: %s", err);
    EXPECT(count_rows(path, "runs") == 1, "newer: %d runs", count_rows(path, "runs"));

    snprintf(path, sizeof path, "%s/no/such/folder/h.sqlite", dir);
    EXPECT(kb_history_record(path, &rec, "", err, sizeof err) == -1 && strstr(err, path), "no folder: %s", err);
    free_record(&rec);
}

/* The rule on its own: threshold AND p < alpha; status changes. */
static void test_rule(void)
{
    double base[] = {1.00, 1.01, 0.99, 1.02, 0.98}, up30[] = {1.30, 1.31, 1.29, 1.32, 1.28},
           up2[] = {1.02, 1.03, 1.01, 1.04, 1.00}, noisy[] = {0.70, 1.60, 1.30, 1.35, 0.9};
    kb_history_point a = {.status = "PASS", .timed = 1, .median = 1.00, .times = base, .time_count = 5};
    kb_history_point b = {.status = "PASS", .timed = 1, .median = 1.30, .times = up30, .time_count = 5};
    kb_history_change c = kb_history_compare(&a, &b, 5, 0.05);
    EXPECT(c.change_point && c.timing && !c.status && c.p < 0.05, "30%% separated: p %g", c.p);
    c = kb_history_compare(&b, &a, 5, 0.05);
    EXPECT(c.change_point && c.change_pct < -20, "30%% faster: %g", c.change_pct);
    EXPECT(!kb_history_compare(&a, &b, 40, 0.05).change_point, "below a 40%% threshold");

    kb_history_point d = {.status = "PASS", .timed = 1, .median = 1.02, .times = up2, .time_count = 5};
    c = kb_history_compare(&a, &d, 5, 0.05);
    EXPECT(!c.change_point && fabs(c.change_pct - 2) < 1e-9, "2%% shift: %g", c.change_pct);

    /* above the threshold but not significant: noisy repetitions */
    kb_history_point e = {.status = "PASS", .timed = 1, .median = 1.30, .times = noisy, .time_count = 5};
    c = kb_history_compare(&a, &e, 5, 0.05);
    EXPECT(!c.change_point && c.p >= 0.05, "noisy 30%%: p %g", c.p);

    /* three repetitions each: the exact test's smallest p is 2/20 */
    kb_history_point f = {.status = "PASS", .timed = 1, .median = 1.00, .times = base, .time_count = 3};
    kb_history_point g = {.status = "PASS", .timed = 1, .median = 1.30, .times = up30, .time_count = 3};
    EXPECT(!kb_history_compare(&f, &g, 5, 0.05).change_point, "3 vs 3 repetitions cannot be significant");
    EXPECT(fabs(kb_history_min_p(3, 3) - 0.1) < 1e-9, "min p 3x3: %g", kb_history_min_p(3, 3));
    EXPECT(kb_history_min_p(5, 5) < 0.05, "min p 5x5: %g", kb_history_min_p(5, 5));

    kb_history_point fail = {.status = "FAIL"};
    c = kb_history_compare(&a, &fail, 5, 0.05);
    EXPECT(c.change_point && c.status && !c.compared, "PASS -> FAIL");
    c = kb_history_compare(&fail, &a, 5, 0.05);
    EXPECT(c.change_point && c.status, "FAIL -> PASS");
    c = kb_history_compare(&fail, &fail, 5, 0.05);
    EXPECT(!c.change_point, "FAIL -> FAIL");
}

int main(void)
{
    char dir[] = "/tmp/kbench-history-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char db[4200], db2[4200];
    snprintf(db, sizeof db, "%s/history.sqlite", dir);
    snprintf(db2, sizeof db2, "%s/concurrent.sqlite", dir);
    test_record_and_read(db);
    test_concurrent(db2);
    test_errors(dir);
    test_rule();
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    if (failures) fprintf(stderr, "%d checks failed\n", failures);
    else printf("history: all checks passed\n");
    return failures != 0;
}
