/*
 * record_json.c - stage 6 (record): the run as a Google Benchmark JSON file
 * ("context" and "benchmarks", the fields and types Google Benchmark's JSON
 * reporter writes), so google/benchmark's tools/compare.py reads it
 * unchanged.  kbench's own facts go in extra fields: "kbench_*" keys in the
 * context and a "kbench" object in each benchmark.  docs/results.md is the
 * field-by-field description.  Built with jansson.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"
#include "gbench.h"
#include "results.h"

#ifndef KBENCH_VERSION
#define KBENCH_VERSION "unknown"
#endif
#ifndef KBENCH_GIT_COMMIT
#define KBENCH_GIT_COMMIT ""
#endif

static const char *verdict_name(kb_verdict v)
{
    return v == KB_VERDICT_PASS ? "PASS" : v == KB_VERDICT_FAIL ? "FAIL" : "SKIP";
}

static json_t *placement_json(const kb_placement *p)
{
    static const char *const binds[] = {"compact", "spread", "none", "list"};
    json_t *o = json_object();
    json_object_set_new(o, "label", json_string(p->label));
    json_object_set_new(o, "threads", json_integer(p->threads));
    json_object_set_new(o, "bind", json_string(binds[p->bind]));
    json_t *pus = json_array();
    for (int i = 0; i < p->cpu_count; i++) json_array_append_new(pus, json_integer(p->cpus[i]));
    json_object_set_new(o, "pus", pus);
    return o;
}

static json_t *context_json(const kb_run_record *rec)
{
    kb_gb_context gc;
    kb_gb_get_context(&gc);
    json_t *ctx = json_object();
    char host[256] = "", exe[PATH_MAX] = "";
    gethostname(host, sizeof host - 1);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) exe[n] = '\0';
    json_object_set_new(ctx, "date", json_string(rec->date));
    json_object_set_new(ctx, "host_name", json_string(host));
    json_object_set_new(ctx, "executable", json_string(exe));
    json_object_set_new(ctx, "num_cpus", json_integer(gc.num_cpus));
    json_object_set_new(ctx, "mhz_per_cpu", json_integer((json_int_t)(gc.mhz_per_cpu + 0.5)));
    json_object_set_new(ctx, "cpu_scaling_enabled", json_boolean(gc.cpu_scaling_enabled));
    json_t *caches = json_array();
    for (int i = 0; i < gc.cache_count; i++) {
        json_t *c = json_object();
        json_object_set_new(c, "type", json_string(gc.caches[i].type));
        json_object_set_new(c, "level", json_integer(gc.caches[i].level));
        json_object_set_new(c, "size", json_integer(gc.caches[i].size));
        json_object_set_new(c, "num_sharing", json_integer(gc.caches[i].num_sharing));
        json_array_append_new(caches, c);
    }
    json_object_set_new(ctx, "caches", caches);
    json_t *load = json_array();
    for (int i = 0; i < gc.load_avg_count; i++) json_array_append_new(load, json_real(gc.load_avg[i]));
    json_object_set_new(ctx, "load_avg", load);
    json_object_set_new(ctx, "library_build_type", json_string(gc.library_build_type));

    json_object_set_new(ctx, "kbench_version", json_string(KBENCH_VERSION));
    json_object_set_new(ctx, "kbench_git_commit", json_string(KBENCH_GIT_COMMIT));
    json_object_set_new(ctx, "kbench_suite", json_string(rec->suite));
    json_object_set_new(ctx, "kbench_seed", json_integer((json_int_t)rec->seed));
    json_object_set_new(ctx, "kbench_threads", json_integer(rec->threads));
    json_object_set_new(ctx, "kbench_repetitions", json_integer(rec->repetitions));
    json_object_set_new(ctx, "kbench_rounds", json_integer(rec->rounds > 0 ? rec->rounds : 1));
    json_object_set_new(ctx, "kbench_min_time", json_real(rec->min_time));
    json_object_set_new(ctx, "kbench_cold", json_boolean(rec->cold));
    json_object_set_new(ctx, "kbench_baseline", json_string(rec->baseline));
    json_object_set_new(ctx, "kbench_fingerprint", json_string(rec->fingerprint));
    if (rec->topology) json_object_set(ctx, "kbench_topology", rec->topology);
    if (rec->devices) json_object_set(ctx, "kbench_devices", rec->devices);
    char perr[128];
    json_t *peak = rec->have_peak ? kb_peak_json(&rec->peak, perr, sizeof perr) : NULL;
    if (peak) json_object_set_new(ctx, "kbench_peak", peak);
    json_t *plugins = json_array();
    for (int i = 0; i < rec->plugin_count; i++) {
        const kb_plugin_fact *p = &rec->plugins[i];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(p->name));
        json_object_set_new(o, "version", json_string(p->version));
        json_object_set_new(o, "backend", json_string(p->backend));
        json_object_set_new(o, "path", json_string(p->path));
        json_object_set_new(o, "available", json_boolean(p->available));
        json_array_append_new(plugins, o);
    }
    json_object_set_new(ctx, "kbench_plugins", plugins);
    json_t *skipped = json_array();
    for (int i = 0; i < rec->count; i++) {
        const kb_result *r = &rec->results[i];
        if (r->verdict != KB_VERDICT_SKIP) continue;
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(r->name));
        json_object_set_new(o, "reason", json_string(r->reason));
        json_array_append_new(skipped, o);
    }
    json_object_set_new(ctx, "kbench_skipped", skipped);
    /* Written as cases finish: a file read before the end, or left by an
     * interrupted run, says so (docs/results.md). */
    json_object_set_new(ctx, "kbench_incomplete", json_boolean(rec->incomplete));
    if (rec->stopped_by[0]) json_object_set_new(ctx, "kbench_stopped_by", json_string(rec->stopped_by));
    return ctx;
}

/* The case's parameters as an object: "m=1024,a=f16,ta" -> {"m": "1024", "a": "f16", "ta": "1"}. */
static json_t *params_json(const char *id)
{
    json_t *o = json_object();
    char buf[sizeof(((kb_case *)0)->id)], *save = NULL;
    snprintf(buf, sizeof buf, "%s", id);
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (eq) {
            *eq = '\0';
            json_object_set_new(o, kv, json_string(eq + 1));
        } else {
            json_object_set_new(o, kv, json_string("1"));
        }
    }
    return o;
}

static json_t *kbench_json(const kb_result *r, const kb_run_record *rec)
{
    json_t *o = json_object();
    json_object_set_new(o, "op", json_string(kb_op_name(r->c.op)));
    json_object_set_new(o, "plugin", json_string(r->plugin));
    json_object_set_new(o, "kernel", json_string(r->kernel));
    json_object_set_new(o, "case", json_string(r->c.id));
    json_object_set_new(o, "params", params_json(r->c.id));
    json_object_set_new(o, "dtypes", json_string(r->c.dtypes));
    json_object_set_new(o, "threads", json_integer(r->threads));
    if (r->placement) json_object_set_new(o, "placement", placement_json(r->placement));
    if (r->host_pus[0]) json_object_set_new(o, "host_thread_near_device", json_string(r->host_pus));
    json_object_set_new(o, "cold", json_boolean(rec->cold));
    if (r->roofline.bound > 0) {
        json_t *rl = json_object();
        json_object_set_new(rl, "bound", json_real(r->roofline.bound));
        json_object_set_new(rl, "bound_unit", json_string(r->fig.flops > 0 ? "FLOP/s" : "bytes/s"));
        json_object_set_new(rl, "memory_bound", json_boolean(r->roofline.memory_bound));
        json_object_set_new(rl, "intensity", json_real(r->roofline.intensity));
        if (r->roofline_pct > 0) json_object_set_new(rl, "percent", json_real(r->roofline_pct));
        json_object_set_new(o, "roofline", rl);
    }
    json_object_set_new(o, "flops", json_real(r->fig.flops));
    json_object_set_new(o, "bytes", json_real(r->fig.bytes));
    json_object_set_new(o, "input_sets", json_integer(r->timing.input_sets));
    if (r->speedup > 0) json_object_set_new(o, "speedup", json_real(r->speedup));
    json_t *v = json_object();
    json_object_set_new(v, "status", json_string(verdict_name(r->verdict)));
    json_object_set_new(v, "max_err", json_real(r->verify.max_err));
    json_object_set_new(v, "norm_err", json_real(r->verify.max_ref > 0 ? r->verify.max_err / r->verify.max_ref : 0));
    json_object_set_new(v, "bound", json_real(r->verify.bound));
    json_object_set_new(v, "near_ties", json_integer(r->verify.near_ties));
    json_object_set_new(v, "rows_checked", json_integer(r->verified_rows));
    json_object_set_new(v, "rows", json_integer(r->rows));
    if (r->verdict == KB_VERDICT_FAIL) json_object_set_new(v, "reason", json_string(r->reason));
    json_object_set_new(o, "verification", v);
    return o;
}

/* The fields every Google Benchmark entry starts with. */
static json_t *entry_head(const kb_result *r, const char *name, int family, const char *run_type)
{
    json_t *b = json_object();
    json_object_set_new(b, "name", json_string(name));
    json_object_set_new(b, "family_index", json_integer(family));
    json_object_set_new(b, "per_family_instance_index", json_integer(0));
    json_object_set_new(b, "run_name", json_string(r->name));
    json_object_set_new(b, "run_type", json_string(run_type));
    json_object_set_new(b, "repetitions", json_integer(r->timing.repetitions > 0 ? r->timing.repetitions : 1));
    return b;
}

static void add_time_fields(json_t *b, const kb_result *r, const kb_timed_run *t)
{
    json_object_set_new(b, "threads", json_integer(1)); /* Google Benchmark's threads, not the kernel's */
    json_object_set_new(b, "iterations", json_integer(t->iterations));
    /* Times in ns always, so the same benchmark has the same unit in every file. */
    double scale = t->percentage ? 1.0 : 1e9;
    json_object_set_new(b, "real_time", json_real(t->real_time * scale));
    json_object_set_new(b, "cpu_time", json_real(t->cpu_time * scale));
    json_object_set_new(b, "time_unit", json_string("ns"));
    int rate = !t->aggregate || !strcmp(t->aggregate_name, "mean") || !strcmp(t->aggregate_name, "median") ||
               !strcmp(t->aggregate_name, "min");
    if (rate && t->real_time > 0) {
        if (r->fig.flops > 0) json_object_set_new(b, "flop_per_second", json_real(r->fig.flops / t->real_time));
        if (r->fig.bytes > 0) json_object_set_new(b, "bytes_per_second", json_real(r->fig.bytes / t->real_time));
    }
}

static json_t *benchmarks_json(const kb_run_record *rec)
{
    json_t *arr = json_array();
    int family = 0;
    for (int i = 0; i < rec->count; i++) {
        const kb_result *r = &rec->results[i];
        if (r->verdict == KB_VERDICT_SKIP) continue;
        if (!r->timing.ok) { /* failed verification (or timing): an errored run, as Google Benchmark writes one */
            json_t *b = entry_head(r, r->name, family, "iteration");
            json_object_set_new(b, "repetition_index", json_integer(0));
            json_object_set_new(b, "threads", json_integer(1));
            json_object_set_new(b, "error_occurred", json_true());
            json_object_set_new(b, "error_message",
                                json_string(r->verdict == KB_VERDICT_FAIL ? r->reason : r->timing.error));
            json_object_set_new(b, "kbench", kbench_json(r, rec));
            json_array_append_new(arr, b);
            family++;
            continue;
        }
        for (int k = 0; k < r->timing.run_count; k++) {
            const kb_timed_run *t = &r->timing.runs[k];
            char name[sizeof r->name + 16];
            json_t *b;
            if (t->aggregate) {
                snprintf(name, sizeof name, "%s_%s", r->name, t->aggregate_name);
                b = entry_head(r, name, family, "aggregate");
                json_object_set_new(b, "aggregate_name", json_string(t->aggregate_name));
                json_object_set_new(b, "aggregate_unit", json_string(t->percentage ? "percentage" : "time"));
            } else {
                b = entry_head(r, r->name, family, "iteration");
                json_object_set_new(b, "repetition_index", json_integer(t->repetition_index));
            }
            add_time_fields(b, r, t);
            json_object_set_new(b, "kbench", kbench_json(r, rec));
            json_array_append_new(arr, b);
        }
        family++;
    }
    return arr;
}

static int write_json(FILE *f, void *user, char *err, size_t err_len)
{
    const kb_run_record *rec = user;
    json_t *root = json_object();
    json_object_set_new(root, "context", context_json(rec));
    json_object_set_new(root, "benchmarks", benchmarks_json(rec));
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) == 0 ? 0 : -1;
    if (rc) snprintf(err, err_len, "JSON encoding failed");
    else fputc('\n', f);
    json_decref(root);
    return rc;
}

int kb_write_json(const char *path, const kb_run_record *rec, char *err, size_t err_len)
{
    return kb_write_file_atomic(path, write_json, (void *)rec, err, err_len);
}
