/*
 * conformance.c - checks 2-7 of `kbench check-plugin`.  Every (smoke case,
 * kernel of its op) pair that supports() accepts is a "probe"; the probes run
 * at threads=1, then threads=2 (check 6), then at the requested thread count
 * (checks 3-5), then go through kb_verify_case (check 7).
 */
#include "conformance.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "poison.h"
#include "workload.h"

#define MAX_DETAILS 8 /* detail lines under a FAIL */

void kb_conf_emit(kb_conf_report *r, kb_conf_verdict v, const char *check, const char *fmt, ...)
{
    static const char *const names[] = {"PASS", "FAIL", "WARN"};
    va_list ap;
    va_start(ap, fmt);
    printf("%s  %-12s  ", names[v], check);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    r->passed += v == KB_CONF_PASS;
    r->failed += v == KB_CONF_FAIL;
    r->warned += v == KB_CONF_WARN;
}

int kb_conf_task_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

typedef struct probe {
    const kb_case *c;
    const kb_kernel *k;
    unsigned char *out1; /* outputs at threads=1 */
    size_t out_bytes;
    int ok1, ok2;        /* run() returned KB_OK at threads=1 / 2 */
    int differs;         /* threads=1 and threads=2 outputs not bit-identical */
} probe;

typedef struct details {
    int count;
    char lines[MAX_DETAILS][1024];
} details;

static void add_detail(details *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_detail(details *d, const char *fmt, ...)
{
    if (d->count < MAX_DETAILS) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->lines[d->count], sizeof d->lines[0], fmt, ap);
        va_end(ap);
    }
    d->count++;
}

static void print_details(const details *d)
{
    for (int i = 0; i < d->count && i < MAX_DETAILS; i++) printf("      %s\n", d->lines[i]);
    if (d->count > MAX_DETAILS) printf("      ... and %d more\n", d->count - MAX_DETAILS);
    fflush(stdout);
}

/* Same inputs every time (seeded), fresh guards and poisoned outputs. */
static void prepare(kb_workload *w, uint64_t seed)
{
    kb_workload_arm_guards(w);
    kb_fill_inputs(w, "random", kb_input_seed(seed, &w->c, "random", 0));
    kb_poison_outputs(w);
}

static size_t output_bytes(const kb_workload *w)
{
    size_t n = 0;
    for (int i = 0; i < w->role_count; i++)
        if (w->roles[i].output) n += kb_tensor_span_bytes(w->roles[i].t);
    return n;
}

static void copy_outputs(const kb_workload *w, unsigned char *dst)
{
    for (int i = 0; i < w->role_count; i++)
        if (w->roles[i].output) {
            size_t n = kb_tensor_span_bytes(w->roles[i].t);
            memcpy(dst, w->roles[i].t->data, n);
            dst += n;
        }
}

static int same_outputs(const kb_workload *w, const unsigned char *ref)
{
    for (int i = 0; i < w->role_count; i++)
        if (w->roles[i].output) {
            size_t n = kb_tensor_span_bytes(w->roles[i].t);
            if (memcmp(ref, w->roles[i].t->data, n)) return 0;
            ref += n;
        }
    return 1;
}

static int supported(const kb_loaded_plugin *lp, const kb_kernel *k, const kb_workload *w)
{
    char why[256] = "";
    return k->supports(lp->ctx, &w->p, why, sizeof why) == KB_OK;
}

/* The probes: every smoke case times every kernel of its op that says yes. */
static int collect_probes(const kb_conf_input *in, probe **out)
{
    const kb_plugin *p = in->lp->desc;
    int n = 0;
    probe *pr = calloc((size_t)in->suite->count * p->kernel_count + 1, sizeof *pr);
    if (!pr) return -1;
    for (int i = 0; i < in->suite->count; i++) {
        const kb_case *c = &in->suite->cases[i];
        kb_workload w;
        kb_workload_shape(&w, c, KB_DTYPE_INVALID);
        for (uint32_t k = 0; k < p->kernel_count; k++)
            if (p->kernels[k].op == c->op && supported(in->lp, &p->kernels[k], &w)) {
                pr[n].c = c;
                pr[n].k = &p->kernels[k];
                n++;
            }
    }
    *out = pr;
    return n;
}

/* Threads=1 (store outputs, count threads) or threads=2 (compare). */
static void run_threads_phase(const kb_conf_input *in, probe *pr, int n, int phase, int *max_tasks)
{
    char err[256];
    for (int i = 0; i < n; i++) {
        kb_workload w;
        if (kb_workload_init(&w, pr[i].c, KB_DTYPE_INVALID, NULL, err, sizeof err)) continue;
        prepare(&w, in->seed);
        int ok = kb_verify_run(in->lp, pr[i].k, &w, err, sizeof err) == KB_OK;
        int t = kb_conf_task_count();
        if (t > *max_tasks) *max_tasks = t;
        if (phase == 1) {
            pr[i].ok1 = ok;
            pr[i].out_bytes = output_bytes(&w);
            if (ok && (pr[i].out1 = malloc(pr[i].out_bytes ? pr[i].out_bytes : 1))) copy_outputs(&w, pr[i].out1);
        } else {
            pr[i].ok2 = ok;
            pr[i].differs = ok && pr[i].out1 && !same_outputs(&w, pr[i].out1);
        }
        kb_workload_free(&w);
    }
}

/* Verify one kernel on one case at the registry's current placement. */
static int verify_one(const kb_conf_input *in, const kb_case *c, const kb_kernel *k, int trials, char *why,
                      size_t why_len)
{
    kb_verify_target t;
    memset(&t, 0, sizeof t);
    t.plugin = in->lp;
    t.kernel = k;
    kb_verify_options vo = {in->seed, trials, 1e9, 0};
    int64_t sampled;
    char err[512];
    if (kb_verify_case(c, &in->oracle, &t, 1, &vo, &sampled, err, sizeof err)) {
        snprintf(why, why_len, "%s", err);
        return -1;
    }
    snprintf(why, why_len, "%s", t.reason);
    return t.verdict == KB_VERDICT_FAIL ? -1 : 0;
}

static int placement(const kb_conf_input *in, int threads, details *d)
{
    if (kb_registry_set_placement(in->target, threads, NULL, 0)) {
        add_detail(d, "out of memory re-initialising with threads=%d", threads);
        return -1;
    }
    if (!in->lp->available) {
        add_detail(d, "threads=%d: %s", threads, in->lp->why);
        return -1;
    }
    return 0;
}

/* Checks 3, 4 and 5 at the requested thread count. */
static void check_runs(const kb_conf_input *in, probe *pr, int n, kb_conf_report *r)
{
    details runs = {0}, writes = {0}, det = {0};
    char err[256], who[400];
    int ran = 0;
    for (int i = 0; i < n; i++) {
        kb_workload w;
        snprintf(who, sizeof who, "%s.%s %s %s", in->lp->desc->name, pr[i].k->name, kb_op_name(pr[i].c->op),
                 pr[i].c->id);
        if (kb_workload_init(&w, pr[i].c, KB_DTYPE_INVALID, NULL, err, sizeof err)) {
            add_detail(&runs, "%s: harness could not build the case: %s", who, err);
            continue;
        }
        if (!supported(in->lp, pr[i].k, &w)) { /* said yes at threads=1: note, don't run */
            kb_workload_free(&w);
            continue;
        }
        prepare(&w, in->seed);
        uint64_t h = kb_workload_input_hash(&w);
        err[0] = '\0';
        kb_status st = kb_verify_run(in->lp, pr[i].k, &w, err, sizeof err);
        if (st != KB_OK) {
            add_detail(&runs, "%s: supports() said yes, run() returned %s: %s", who, kb_status_name(st),
                       err[0] ? err : "no message");
            kb_workload_free(&w);
            continue;
        }
        ran++;
        int in_padding = 0;
        const char *bad = kb_workload_check_guards(&w, &in_padding);
        if (bad)
            add_detail(&writes, "%s: wrote %s tensor %s", who,
                       in_padding ? "into the row padding of" : "past the end of", bad);
        if (kb_workload_input_hash(&w) != h) add_detail(&writes, "%s: changed an input tensor", who);
        unsigned char *first = malloc(output_bytes(&w) + 1);
        if (!first) {
            kb_workload_free(&w);
            continue;
        }
        copy_outputs(&w, first);
        prepare(&w, in->seed);
        st = kb_verify_run(in->lp, pr[i].k, &w, err, sizeof err);
        if (st != KB_OK)
            add_detail(&det, "%s: second run() returned %s: %s", who, kb_status_name(st), err);
        else if (!same_outputs(&w, first))
            add_detail(&det, "%s: two runs on identical inputs gave different outputs", who);
        free(first);
        kb_workload_free(&w);
    }
    if (runs.count) {
        kb_conf_emit(r, KB_CONF_FAIL, "supports", "%d of %d supported (kernel, case) pairs failed to run", runs.count,
                     n);
        print_details(&runs);
    } else if (!n) {
        kb_conf_emit(r, KB_CONF_WARN, "supports", "no kernel supports any case of suite %s", in->suite->name);
    } else {
        kb_conf_emit(r, KB_CONF_PASS, "supports", "run() returned OK on all %d (kernel, case) pairs supports() "
                     "accepted (threads=%d)", n, in->threads);
    }
    if (writes.count) {
        kb_conf_emit(r, KB_CONF_FAIL, "writes", "%d writes outside the outputs", writes.count);
        print_details(&writes);
    } else {
        kb_conf_emit(r, ran ? KB_CONF_PASS : KB_CONF_WARN, "writes",
                     "inputs, guard zones and row padding intact after %d runs", ran);
    }
    if (det.count) {
        kb_conf_emit(r, KB_CONF_FAIL, "determinism", "%d of %d pairs not bit-identical across two runs", det.count,
                     ran);
        print_details(&det);
    } else {
        kb_conf_emit(r, ran ? KB_CONF_PASS : KB_CONF_WARN, "determinism",
                     "%d pairs bit-identical across two runs on identical inputs", ran);
    }
}

/* Check 6 from the threads=1 / threads=2 phases. */
static void check_threads(const kb_conf_input *in, probe *pr, int n, int extra1, int extra2, const details *init_d,
                          kb_conf_report *r)
{
    details d = {0};
    int host = !strcmp(in->lp->desc->backend, KB_BACKEND_HOST), differ = 0, bad = 0;
    char why[640];
    for (int i = 0; i < n; i++) {
        if (pr[i].ok1 != pr[i].ok2)
            add_detail(&d, "%s %s %s: run() %s at threads=1 but %s at threads=2", pr[i].k->name,
                       kb_op_name(pr[i].c->op), pr[i].c->id, pr[i].ok1 ? "OK" : "failed",
                       pr[i].ok2 ? "OK" : "failed");
        differ += pr[i].differs;
    }
    bad = d.count;
    /* Outputs that differ by thread count must each be right: verify both. */
    for (int i = 0; i < n && differ; i++) {
        if (!pr[i].differs) continue;
        for (int t = 1; t <= 2; t++) {
            if (placement(in, t, &d)) {
                bad++;
                break;
            }
            if (verify_one(in, pr[i].c, pr[i].k, 1, why, sizeof why)) {
                add_detail(&d, "%s %s %s: outputs differ between threads=1 and 2 and threads=%d fails "
                           "verification: %s", pr[i].k->name, kb_op_name(pr[i].c->op), pr[i].c->id, t, why);
                bad++;
            }
        }
    }
    if (host && extra1 > 1) {
        add_detail(&d, "with threads=1 the process had %d more threads than before the plugin loaded (allowed: 1)",
                   extra1);
        bad++;
    }
    if (init_d->count) bad++;
    char counted[128] = "";
    if (host)
        snprintf(counted, sizeof counted, "; extra threads alive after init/run: %d at threads=1 (max 1), %d at "
                 "threads=2", extra1, extra2);
    else
        snprintf(counted, sizeof counted, "; threads not counted (backend %s)", in->lp->desc->backend);
    if (bad) {
        kb_conf_emit(r, KB_CONF_FAIL, "threads", "%d problems with threads=1 vs threads=2%s", bad, counted);
        print_details(init_d);
        print_details(&d);
    } else {
        kb_conf_emit(r, KB_CONF_PASS, "threads", "threads=1 and threads=2 agree on %d pairs (%d bit-identical, %d "
                     "within tolerance)%s", n, n - differ, differ, counted);
    }
}

/* Check 7: kb_verify_case for every kernel on every case of the suite. */
static void check_verify(const kb_conf_input *in, kb_conf_report *r)
{
    details d = {0};
    const kb_plugin *p = in->lp->desc;
    int passed = 0, skipped = 0;
    kb_verify_options vo = {in->seed, 3, 1e9, 0};
    kb_verify_target *t = calloc(p->kernel_count, sizeof *t);
    char err[512];
    if (!t) return;
    for (int i = 0; i < in->suite->count; i++) {
        const kb_case *c = &in->suite->cases[i];
        int n = 0;
        for (uint32_t k = 0; k < p->kernel_count; k++)
            if (p->kernels[k].op == c->op) {
                memset(&t[n], 0, sizeof t[n]);
                t[n].plugin = in->lp;
                t[n++].kernel = &p->kernels[k];
            }
        if (!n) continue;
        int64_t sampled;
        if (kb_verify_case(c, &in->oracle, t, n, &vo, &sampled, err, sizeof err)) {
            add_detail(&d, "%s %s: %s", kb_op_name(c->op), c->id, err);
            continue;
        }
        for (int j = 0; j < n; j++) {
            passed += t[j].verdict == KB_VERDICT_PASS;
            skipped += t[j].verdict == KB_VERDICT_SKIP;
            if (t[j].verdict == KB_VERDICT_FAIL)
                add_detail(&d, "%s.%s %s %s: %s", p->name, t[j].kernel->name, kb_op_name(c->op), c->id,
                           t[j].reason);
        }
    }
    free(t);
    if (d.count) {
        kb_conf_emit(r, KB_CONF_FAIL, "verify", "%d (kernel, case) pairs failed verification, %d passed, %d "
                     "skipped (suite %s, seed %llu)", d.count, passed, skipped, in->suite->name,
                     (unsigned long long)in->seed);
        print_details(&d);
    } else {
        kb_conf_emit(r, passed ? KB_CONF_PASS : KB_CONF_WARN, "verify", "%d (kernel, case) pairs passed, %d "
                     "skipped as unsupported (suite %s, seed %llu)", passed, skipped, in->suite->name,
                     (unsigned long long)in->seed);
    }
}

void kb_conf_runtime(const kb_conf_input *in, kb_conf_report *r)
{
    kb_loaded_plugin *lp = in->lp;
    int host = !strcmp(lp->desc->backend, KB_BACKEND_HOST);
    if (!lp->available) {
        if (!host) {
            kb_conf_emit(r, KB_CONF_WARN, "init", "device plugin unavailable here (%s); runtime checks skipped",
                         lp->why);
        } else {
            kb_conf_emit(r, KB_CONF_FAIL, "init", "%s; runtime checks skipped", lp->why);
        }
        return;
    }
    probe *pr = NULL;
    int n = collect_probes(in, &pr);
    if (n < 0) return;
    int max1 = in->baseline_tasks, max2 = in->baseline_tasks;
    details init_d = {0};
    /* The target registry was inited with threads=1 by the caller. */
    int t1 = kb_conf_task_count();
    if (t1 > max1) max1 = t1;
    run_threads_phase(in, pr, n, 1, &max1);
    if (!placement(in, 2, &init_d)) {
        int t2 = kb_conf_task_count();
        if (t2 > max2) max2 = t2;
        run_threads_phase(in, pr, n, 2, &max2);
    }
    int init_ok = !init_d.count && !placement(in, in->threads, &init_d);
    if (!init_ok) {
        kb_conf_emit(r, KB_CONF_FAIL, "init", "init failed when re-initialised after fini");
        print_details(&init_d);
    } else {
        kb_conf_emit(r, KB_CONF_PASS, "init", "init succeeded with threads=1, 2 and %d; fini ran between them",
                     in->threads);
        check_runs(in, pr, n, r);
    }
    int base = in->baseline_tasks;
    check_threads(in, pr, n, base >= 0 ? max1 - base : 0, base >= 0 ? max2 - base : 0, &init_d, r);
    if (init_ok && !placement(in, in->threads, &init_d)) check_verify(in, r);
    for (int i = 0; i < n; i++) free(pr[i].out1);
    free(pr);
}
