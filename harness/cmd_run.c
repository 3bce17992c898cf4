/*
 * cmd_run.c - `kbench run`: verify every selected (plugin, kernel, case),
 * time the ones that pass with Google Benchmark, print the table, write the
 * result files.  A kernel that fails verification is reported and not timed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "commands.h"
#include "diag.h"
#include "figures.h"
#include "history.h"
#include "interrupt.h"
#include "isolate.h"
#include "plan.h"
#include "results.h"
#include "suite.h"
#include "devices.h"
#include "peak.h"
#include "peak_device.h"
#include "placement.h"
#include "run_timing.h"
#include "store.h"
#include "timing.h"
#include "topology.h"
#include "verify.h"
#include "warnings.h"

#ifndef KBENCH_GIT_COMMIT
#define KBENCH_GIT_COMMIT ""
#endif

static const char usage[] =
    "usage: kbench run [options]\n"
    "\n"
    "Verify every selected kernel against the reference plugin (as `kbench verify`),\n"
    "then time the ones that pass with Google Benchmark, print a table, and write\n"
    "result files in Google Benchmark's JSON schema.  A kernel that fails\n"
    "verification is reported and not timed.\n"
    "\n"
    "selection (as for verify):\n"
    "  --plugin NAME|PATH  only these plugins (repeatable, comma lists); a PATH is loaded too\n"
    "  --op OP[,OP]        only these ops: softmax, attention, quantize, matmul\n"
    "  --kernel GLOB[,GLOB] only kernels whose name or plugin.name matches (fnmatch)\n"
    "  --suite NAME|FILE   smoke, default (the default), perf or a suite file (docs/suites.md)\n"
    "  --seed N            seed of every random input (default 1)\n"
    "  --trials N          random verification trials per case (default 3)\n"
    "  --ref-budget OPS    oracle work per case above which only sampled rows are checked\n                      (default 1000000000; kb_case_ref_cost units, docs/verification.md)\n"
    "\n"
    "placement (docs/placement.md): each case runs once per placement\n"
    "  --threads LIST      thread counts, e.g. 1,2,all (default: all)\n"
    "  --bind HOW          compact (default), spread, none, or a PU list like 0+2 or 0-3\n"
    "\n"
    "timing (docs/timing.md):\n"
    "  --repetitions N     repetitions per benchmark (default 5): mean, median, stddev, cv, min\n"
    "  --min-time S        measured seconds per repetition at least (default 0.1)\n"
    "  --warmup S          untimed warm-up seconds before measuring (default 0.05)\n"
    "  --cold              evict the caches before every iteration (default: warm, inputs rotated)\n"
    "  --rounds R          split the repetitions over R rounds: a pass over every benchmark each,\n"
    "                      in fresh worker processes, so that each sample spans the whole run\n"
    "                      (default 1; docs/timing.md, docs/ci.md)\n"
    "  --baseline P[.K]    also show each case's speedup against plugin P (kernel K) in this run\n"
    "\n"
    "isolation (docs/robustness.md): each plugin runs in a worker process of its own\n"
    "  --timeout S         a kernel's check or timing that takes longer is a hang: FAIL, worker\n"
    "                      killed, the run goes on (default 300)\n"
    "  --memory-limit GIB  memory a host plugin's worker may add (default: the machine's; 0: none)\n"
    "  --no-isolate        run plugins inside kbench (for gdb); a crash then ends kbench\n"
    "\n"
    "output (--json, --csv and --save files are rewritten atomically as cases finish,\n"
    "marked incomplete until the run ends):\n"
    "  --json FILE         Google Benchmark JSON (google/benchmark's compare.py reads it)\n"
    "  --csv FILE          the same as CSV\n"
    "  --save              store the run in RESULTS-DIR/<fingerprint>/ (results/README.md) and record\n"
    "                      it in RESULTS-DIR/history.sqlite (kbench history, docs/history.md)\n"
    "  --results-dir DIR   the results store (default: results)\n"
    "  -v, --verbose       verification lines too\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 all kernels verified and were timed, 1 a kernel failed verification or\n"
    "timing (a crash, a hang), 2 usage or input error, 128+N stopped by signal N (SIGINT: 130,\n"
    "SIGTERM: 143): the kernel in flight finished, the files hold every finished case\n";

/* ISO 8601 local time with a +hh:mm offset, as Google Benchmark writes "date". */
static void iso_date(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char off[8];
    strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(off, sizeof off, "%z", &tm); /* +hhmm */
    size_t len = strlen(buf);
    if (strlen(off) == 5) snprintf(buf + len, n - len, "%.3s:%.2s", off, off + 3);
}

/* "[i/n] case ... elapsed, ~left" on stderr, redrawn in place; terminals only. */
static void progress(int tty, int done, int total, const char *what, double t0)
{
    if (!tty) return;
    double el = kb_now() - t0;
    char eta[32] = "";
    if (done > 0) snprintf(eta, sizeof eta, ", ~%.0f s left", el / done * (total - done));
    fprintf(stderr, "\r\033[K[%d/%d] %.90s  %.0f s%s", done + 1, total, what, el, eta);
    fflush(stderr);
}

static int push_result(kb_run_record *rec, int *cap)
{
    if (rec->count == *cap) {
        int nc = *cap ? *cap * 2 : 64;
        kb_result *nr = realloc(rec->results, (size_t)nc * sizeof *nr);
        if (!nr) kb_usage_error("out of memory");
        rec->results = nr;
        *cap = nc;
    }
    memset(&rec->results[rec->count], 0, sizeof rec->results[0]);
    return rec->count++;
}

static void record_plugins(kb_run_record *rec, const kb_registry *reg)
{
    rec->plugins = calloc((size_t)reg->count + 1, sizeof *rec->plugins);
    if (!rec->plugins) kb_usage_error("out of memory");
    for (int i = 0; i < reg->count; i++) {
        const kb_loaded_plugin *lp = &reg->plugins[i];
        kb_plugin_fact *f = &rec->plugins[rec->plugin_count++];
        snprintf(f->name, sizeof f->name, "%s", lp->desc->name);
        snprintf(f->version, sizeof f->version, "%s", lp->desc->version);
        snprintf(f->backend, sizeof f->backend, "%s", lp->desc->backend);
        snprintf(f->path, sizeof f->path, "%s", lp->path);
        f->available = lp->available;
    }
}

static void check_baseline(const kb_options *o, kb_registry *reg)
{
    if (!o->baseline) return;
    char name[160];
    snprintf(name, sizeof name, "%s", o->baseline);
    char *dot = strchr(name, '.');
    if (dot) *dot = '\0';
    kb_loaded_plugin *lp = kb_registry_find(reg, name);
    if (!lp) kb_usage_error("run: --baseline %s: no plugin named '%s' is loaded", o->baseline, name);
    if (dot) {
        int found = 0;
        for (uint32_t i = 0; i < lp->desc->kernel_count; i++) found |= !strcmp(lp->desc->kernels[i].name, dot + 1);
        if (!found) kb_usage_error("run: --baseline %s: plugin '%s' has no kernel '%s'", o->baseline, name, dot + 1);
    }
    if (!kb_options_match_plugin(o, name, lp->explicit_, 0))
        kb_usage_error("run: --baseline %s: add --plugin %s so that the baseline runs too", o->baseline, name);
}

/* Without -v, skipped cases are only counted; a plugin that could not run at
 * all (no GPU, say) still gets one line with its reason. */
static void print_unavailable(const kb_run_record *rec)
{
    static const char prefix[] = "plugin unavailable";
    for (int i = 0; i < rec->count; i++) {
        const kb_result *r = &rec->results[i];
        if (r->verdict != KB_VERDICT_SKIP || strncmp(r->reason, prefix, sizeof prefix - 1)) continue;
        int first = 1, n = 0;
        for (int j = 0; j < rec->count; j++) {
            const kb_result *q = &rec->results[j];
            if (q->verdict != KB_VERDICT_SKIP || strcmp(q->plugin, r->plugin) || strncmp(q->reason, prefix, sizeof prefix - 1))
                continue;
            if (j < i) first = 0;
            n++;
        }
        if (first) printf("SKIP  %s  %d case%s: %s\n", r->plugin, n, n == 1 ? "" : "s", r->reason);
    }
}

/* The ceilings for this fingerprint: <results-dir>/<fp>/peak.json; with
 * --save, measured and stored when missing. */
static void load_ceilings(kb_run_record *rec, const kb_options *o, int cores, const char *store_dir,
                          const kb_registry *reg)
{
    char path[4200], err[512];
    snprintf(path, sizeof path, "%s/%s/peak.json", o->results_dir, rec->fingerprint);
    if (kb_peak_load(&rec->peak, path, err, sizeof err) == 0) {
        rec->have_peak = 1;
        return;
    }
    if (!store_dir) {
        fprintf(stderr, "kbench: no roofline ceilings for this machine in %s, so no roofline percentages "
                        "(kbench run --save measures and stores them)\n", path);
        return;
    }
    fprintf(stderr, "kbench: no roofline ceilings for this machine in %s: measuring them now (kbench peak)\n", path);
    double t0 = kb_now();
    if (kb_peak_measure(&rec->peak, cores, err, sizeof err)) {
        kb_warn("cannot measure the roofline ceilings: %s; no roofline percentages", err);
        return;
    }
    snprintf(rec->peak.fingerprint, sizeof rec->peak.fingerprint, "%s", rec->fingerprint);
    kb_device_fact devs[KB_MAX_DEVICES];
    kb_peak_measure_devices(&rec->peak, devs, kb_collect_devices(reg, devs, KB_MAX_DEVICES), reg);
    rec->have_peak = 1;
    fprintf(stderr, "kbench: ceilings measured in %.1f s\n", kb_now() - t0);
    snprintf(path, sizeof path, "%s/peak.json", store_dir);
    if (kb_peak_save(&rec->peak, path, err, sizeof err)) kb_warn("%s", err);
}

/* --save: the run's JSON at `saved` in <results-dir>/<fp>/, and the topology XML once. */
static int save_run(const kb_run_record *rec, const kb_topology *topo, const char *store_dir, const char *saved)
{
    char path[4200], err[512];
    snprintf(path, sizeof path, "%s/topology.xml", store_dir);
    if (access(path, F_OK) != 0 && kb_topology_export_xml(topo, path, err, sizeof err)) {
        kb_error("%s", err);
        return -1;
    }
    if (kb_write_json(saved, rec, err, sizeof err)) {
        kb_error("%s", err);
        return -1;
    }
    return 0;
}

/* Rewrite the result files with what is finished so far (atomically, marked
 * incomplete), so that a run stopped by a signal or killed keeps them.  A
 * failure is reported once; the final write reports it again. */
static void stream_outputs(kb_run_record *rec, const kb_options *o, const char *saved)
{
    static int warned;
    char err[512];
    kb_results_apply_baseline(rec);
    kb_results_apply_roofline(rec);
    int bad = (o->json_path && kb_write_json(o->json_path, rec, err, sizeof err)) ||
              (o->csv_path && kb_write_csv(o->csv_path, rec, err, sizeof err)) ||
              (saved[0] && kb_write_json(saved, rec, err, sizeof err));
    if (bad && !warned++) kb_warn("%s", err);
}

int kb_cmd_run(int argc, char **argv)
{
    kb_options o;
    kb_parse_options(argc, argv,
                     KB_OPT_PLUGIN | KB_OPT_OP | KB_OPT_KERNEL | KB_OPT_SUITE | KB_OPT_SEED | KB_OPT_TRIALS |
                         KB_OPT_THREADS | KB_OPT_VERBOSE | KB_OPT_TIMING | KB_OPT_PLACEMENT | KB_OPT_ISOLATE,
                     usage, &o);
    char err[512];
    kb_placement_spec spec;
    if (kb_placement_parse(o.threads_spec, o.bind_spec, &spec, err, sizeof err)) kb_usage_error("run: %s", err);
    kb_suite suite;
    if (kb_suite_load(o.suite, &suite, err, sizeof err)) kb_usage_error("%s", err);
    kb_topology *topo;
    if (kb_topology_load(&topo, NULL, err, sizeof err)) kb_usage_error("run: hardware topology: %s", err);
    hwloc_topology_t hw = kb_topology_hwloc(topo);
    hwloc_bitmap_t original = hwloc_bitmap_alloc();
    if (!original || hwloc_get_cpubind(hw, original, HWLOC_CPUBIND_THREAD) != 0)
        hwloc_bitmap_copy(original, hwloc_topology_get_allowed_cpuset(hw));

    kb_run_record rec;
    memset(&rec, 0, sizeof rec);
    rec.placements = calloc(KB_MAX_PLACEMENTS, sizeof *rec.placements);
    if (!rec.placements) kb_usage_error("out of memory");
    rec.placement_count = kb_placement_resolve(&spec, hw, original, rec.placements, KB_MAX_PLACEMENTS, err, sizeof err);
    if (rec.placement_count < 0) kb_usage_error("run: %s", err);

    o.threads = rec.placements[0].threads;
    kb_registry reg;
    kb_plan_load(&o, &reg, KB_PLAN_STRICT);
    kb_loaded_plugin *oracle = kb_plan_oracle(&reg);
    check_baseline(&o, &reg);

    iso_date(rec.date, sizeof rec.date);
    snprintf(rec.suite, sizeof rec.suite, "%s", suite.name);
    snprintf(rec.baseline, sizeof rec.baseline, "%s", o.baseline ? o.baseline : "");
    snprintf(rec.fingerprint, sizeof rec.fingerprint, "%s", kb_topology_fingerprint(topo));
    rec.topology = kb_topology_json(topo);
    rec.seed = o.seed;
    rec.threads = rec.placements[rec.placement_count - 1].threads;
    rec.repetitions = o.repetitions;
    rec.rounds = o.rounds;
    rec.cold = o.cold;
    rec.min_time = o.min_time;
    record_plugins(&rec, &reg);

    char store_dir[4200] = "";
    if (o.save && kb_store_dir(o.results_dir, rec.fingerprint, store_dir, sizeof store_dir, err, sizeof err))
        kb_usage_error("run: --save: %s", err);
    load_ceilings(&rec, &o, kb_topology_cores(topo), o.save ? store_dir : NULL, &reg);
    kb_measurement_warnings(o.repetitions, o.baseline != NULL);

    enum { MAX_TARGETS = 256 };
    kb_verify_target *targets = calloc(MAX_TARGETS, sizeof *targets);
    if (!targets) kb_usage_error("out of memory");
    int per_placement = 0;
    for (int i = 0; i < suite.count; i++)
        per_placement += kb_plan_targets(&o, &reg, &suite.cases[i], 0, targets, MAX_TARGETS);
    if (!per_placement) kb_usage_error("run: no kernel of the selected plugins matches the filters and the suite");
    int total = per_placement * rec.placement_count;

    kb_verify_options vo = {o.seed, o.trials, o.ref_budget, 0};
    kb_timing_options to = {o.repetitions, o.min_time, o.warmup, o.cold, o.seed};
    int tty = isatty(2), done = 0, cap = 0, oracle_failed = 0, ndev = 0;
    kb_device_fact devs[KB_MAX_DEVICES];
    kb_pool_set_topology(&reg, hw);
    kb_interrupt_install(!o.isolate);
    char saved[4300] = "";
    if (o.save) kb_store_run_path(saved, sizeof saved, store_dir, rec.date, KBENCH_GIT_COMMIT);
    rec.incomplete = 1;
    double t0 = kb_now();
    for (int pi = 0; pi < rec.placement_count && !kb_interrupted(); pi++) {
        const kb_placement *pl = &rec.placements[pi];
        if (kb_placement_bind(pl, hw, original, err, sizeof err)) kb_warn("%s", err);
        if (kb_registry_set_placement(&reg, pl->threads, pl->cpus, pl->cpu_count))
            kb_usage_error("out of memory");
        ndev = kb_collect_devices(&reg, devs, KB_MAX_DEVICES);
        int placement_start = rec.count;
        if (pi == 0) {
            if (rec.devices) json_decref(rec.devices);
            rec.devices = kb_devices_json(devs, ndev);
        }
        for (int ci = 0; ci < suite.count && !kb_interrupted(); ci++) {
            const kb_case *c = &suite.cases[ci];
            int n = kb_plan_targets(&o, &reg, c, 0, targets, MAX_TARGETS);
            if (!n) continue;
            char what[512];
            snprintf(what, sizeof what, "verify %s %s %s", kb_op_name(c->op), c->id, pl->label);
            progress(tty, done, total, what, t0);
            int64_t sampled = 0;
            if (kb_pool_verify_case(&reg, c, oracle, targets, n, &vo, &sampled, err, sizeof err)) {
                if (tty) fputc('\n', stderr);
                kb_error("%s", err);
                oracle_failed = 1;
                done += n;
                continue;
            }
            int case_start = rec.count;
            for (int j = 0; j < n; j++) {
                kb_verify_target *t = &targets[j];
                if (kb_interrupted()) { /* this benchmark is not finished: leave it out */
                    rec.count = case_start + j;
                    break;
                }
                int ri = push_result(&rec, &cap);
                kb_result *r = &rec.results[ri];
                r->c = *c;
                snprintf(r->plugin, sizeof r->plugin, "%s", t->plugin->desc->name);
                snprintf(r->kernel, sizeof r->kernel, "%s", t->kernel->name);
                r->threads = pl->threads;
                r->placement = pl;
                kb_benchmark_name(r->name, sizeof r->name, c, r->plugin, r->kernel, pl->label);
                r->verdict = t->verdict;
                snprintf(r->reason, sizeof r->reason, "%s", t->reason);
                r->verify = t->worst;
                r->verified_rows = sampled;
                r->rows = kb_case_output_rows(c);
                r->fig = kb_case_figures(c);
                r->on_device = strcmp(t->plugin->desc->backend, KB_BACKEND_HOST) != 0;
                if (o.verbose || t->verdict == KB_VERDICT_FAIL) {
                    static const char *const v[] = {"PASS", "FAIL", "SKIP"};
                    if (tty) fprintf(stderr, "\r\033[K");
                    printf("%s  %s.%s  %s %s %s  %s\n", v[t->verdict], r->plugin, r->kernel, kb_op_name(c->op), c->id,
                           pl->label, t->reason);
                    fflush(stdout);
                }
                if (t->verdict == KB_VERDICT_PASS) {
                    snprintf(what, sizeof what, "time %s", r->name);
                    progress(tty, done, total, what, t0);
                    kb_run_timer timer = {&reg, &to, o.rounds, devs, ndev, hw, pl, original};
                    kb_run_time_first(&timer, t, c, r);
                    if (!r->timing.ok) {
                        /* A kernel that verified but fails while timed (a device
                         * error, a crash) is a failure of that case, not of the run. */
                        if (tty) fprintf(stderr, "\r\033[K");
                        printf("FAIL  %s.%s  %s %s %s  timing: %s\n", r->plugin, r->kernel, kb_op_name(c->op),
                               c->id, pl->label, r->timing.error);
                        fflush(stdout);
                    }
                }
                done++;
            }
            stream_outputs(&rec, &o, saved);
        }
        if (o.rounds > 1) {
            if (tty) fprintf(stderr, "\r\033[Krounds 2-%d of the %d benchmarks timed at %s\n", o.rounds,
                             rec.count - placement_start, pl->label);
            kb_run_timer timer = {&reg, &to, o.rounds, devs, ndev, hw, pl, original};
            for (int k = 1; k < o.rounds && !kb_interrupted(); k++) {
                kb_run_time_round(&timer, &rec, placement_start, k);
                stream_outputs(&rec, &o, saved);
            }
        }
    }
    if (tty) fprintf(stderr, "\r\033[K");
    kb_placement_bind(&(kb_placement){.bind = KB_BIND_NONE}, hw, original, err, sizeof err);
    if (kb_interrupted()) {
        snprintf(rec.stopped_by, sizeof rec.stopped_by, "%s", kb_interrupt_signal() == SIGTERM ? "SIGTERM" : "SIGINT");
    } else {
        rec.incomplete = 0;
    }
    kb_results_apply_baseline(&rec);
    kb_results_apply_roofline(&rec);
    kb_print_table(stdout, &rec);

    if (!o.verbose) print_unavailable(&rec);
    int timed = 0, failed = 0, skipped = 0;
    for (int i = 0; i < rec.count; i++) {
        timed += rec.results[i].timing.ok;
        failed += rec.results[i].verdict == KB_VERDICT_FAIL ||
                  (rec.results[i].verdict == KB_VERDICT_PASS && !rec.results[i].timing.ok);
        skipped += rec.results[i].verdict == KB_VERDICT_SKIP;
    }
    printf("run: %d timed, %d failed, %d skipped (suite %s, %d placement%s, %d repetitions, %s, seed %llu, "
           "machine %s, %.1f s)\n",
           timed, failed, skipped, suite.name, rec.placement_count, rec.placement_count == 1 ? "" : "s",
           o.repetitions, o.cold ? "cold" : "warm", (unsigned long long)o.seed, rec.fingerprint, kb_now() - t0);
    int rc = failed || oracle_failed ? KB_EXIT_FAILED : KB_EXIT_OK;
    if (rec.incomplete) {
        printf("run: stopped by %s: the results hold the %d finished benchmarks and are marked incomplete\n",
               rec.stopped_by, rec.count);
        rc = kb_interrupt_exit_code();
    }
    if (o.json_path && kb_write_json(o.json_path, &rec, err, sizeof err)) {
        kb_error("%s", err);
        rc = KB_EXIT_USAGE;
    }
    if (o.csv_path && kb_write_csv(o.csv_path, &rec, err, sizeof err)) {
        kb_error("%s", err);
        rc = KB_EXIT_USAGE;
    }
    if (o.save) {
        if (save_run(&rec, topo, store_dir, saved)) {
            rc = KB_EXIT_USAGE;
        } else if (rec.incomplete) {
            printf("saved: %s (incomplete: not recorded in the history)\n", saved);
        } else {
            printf("saved: %s\n", saved);
            char db[4300];
            snprintf(db, sizeof db, "%s/history.sqlite", o.results_dir);
            if (kb_history_record(db, &rec, KBENCH_GIT_COMMIT, err, sizeof err)) { /* history.h */
                kb_error("%s", err);
                rc = KB_EXIT_USAGE;
            }
        }
    }
    free(targets);
    hwloc_bitmap_free(original);
    kb_run_record_free(&rec);
    kb_topology_free(topo);
    kb_suite_free(&suite);
    kb_registry_free(&reg);
    kb_options_free(&o);
    return rc;
}
