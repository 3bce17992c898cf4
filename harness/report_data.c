/*
 * report_data.c - read result files for `kbench report` (report.h).  Each
 * file is read twice: by kb_result_file_load, which checks it and gives the
 * same messages as `kbench compare`, and by jansson for the fields the
 * charts need beyond times (kbench.roofline, flops, bytes, verification).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "stats.h"

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static const kb_result_bench *find_rf(const kb_result_file *f, const char *name)
{
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->benches[i].name, name)) return &f->benches[i];
    return NULL;
}

static int seen(const kb_report *r, int from, int file, const char *name)
{
    for (int i = from; i < r->count; i++)
        if (r->benches[i].file == file && !strcmp(r->benches[i].name, name)) return 1;
    return 0;
}

/* One bench per run_name of file `fi`, from its first iteration entry. */
static int add_benches(kb_report *r, int fi)
{
    kb_report_input *in = &r->inputs[fi];
    json_t *arr = json_object_get(in->root, "benchmarks");
    int first = r->count;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *rt = json_string_value(json_object_get(e, "run_type"));
        if (rt && strcmp(rt, "iteration")) continue;
        const char *name = json_string_value(json_object_get(e, "run_name"));
        if (!name) name = json_string_value(json_object_get(e, "name"));
        if (!name || seen(r, first, fi, name)) continue;
        kb_report_bench *nb = realloc(r->benches, (size_t)(r->count + 1) * sizeof *nb);
        if (!nb) return -1;
        r->benches = nb;
        kb_report_bench *b = &r->benches[r->count++];
        memset(b, 0, sizeof *b);
        json_t *k = json_object_get(e, "kbench");
        b->name = name;
        b->file = fi;
        b->op = str(k, "op");
        b->plugin = str(k, "plugin");
        b->kernel = str(k, "kernel");
        b->kcase = str(k, "case");
        b->placement = str(json_object_get(k, "placement"), "label");
        b->flops = num(k, "flops");
        b->bytes = num(k, "bytes");
        b->intensity = b->flops > 0 && b->bytes > 0 ? b->flops / b->bytes : NAN;
        b->roof_percent = num(json_object_get(k, "roofline"), "percent");
        json_t *v = json_object_get(k, "verification");
        b->max_err = num(v, "max_err");
        b->bound = num(v, "bound");
        b->speedup = NAN;
        const kb_result_bench *rb = find_rf(&in->rf, name);
        b->median_s = rb && rb->n ? kb_median(rb->times, rb->n) : NAN;
        if (rb && rb->errored) {
            b->verify = "ERROR";
            b->reason = rb->error_message;
        } else if (rb && rb->verification == KB_RF_VERIFY_FAIL) {
            b->verify = "FAIL";
            b->reason = rb->verify_reason;
        } else if (rb && rb->verification == KB_RF_VERIFY_PASS) {
            b->verify = "PASS";
        } else {
            b->verify = "-";
        }
    }
    return 0;
}

/* Speedup = the baseline plugin's fastest kernel on the same case and
 * placement in the same file, over this one's time. */
static void speedups(kb_report *r)
{
    if (!r->baseline) return;
    for (int i = 0; i < r->count; i++) {
        kb_report_bench *b = &r->benches[i];
        double best = NAN;
        for (int j = 0; j < r->count; j++) {
            const kb_report_bench *o = &r->benches[j];
            if (o->file != b->file || strcmp(o->plugin, r->baseline) || strcmp(o->op, b->op) ||
                strcmp(o->kcase, b->kcase) || strcmp(o->placement, b->placement) || !(o->median_s > 0))
                continue;
            if (isnan(best) || o->median_s < best) best = o->median_s;
        }
        if (best > 0 && b->median_s > 0) b->speedup = best / b->median_s;
    }
}

int kb_report_load(kb_report *r, char **paths, int n, const char *base_path, const char *baseline, char *err,
                   size_t err_len)
{
    memset(r, 0, sizeof *r);
    r->baseline = baseline;
    r->inputs = calloc((size_t)n, sizeof *r->inputs);
    if (!r->inputs) goto oom;
    for (int i = 0; i < n; i++) {
        kb_report_input *in = &r->inputs[i];
        in->path = paths[i];
        if (kb_result_file_load(paths[i], &in->rf, err, err_len)) goto fail;
        r->input_count = i + 1;
        /* It parsed once already, so this cannot fail but for memory. */
        in->root = json_load_file(paths[i], 0, NULL);
        if (!in->root) goto oom;
        in->context = json_object_get(in->root, "context");
        if (add_benches(r, i)) goto oom;
    }
    speedups(r);
    if (base_path) {
        r->base_path = base_path;
        if (kb_result_file_load(base_path, &r->base, err, err_len)) goto fail;
        r->has_base = 1;
        kb_compare_options o;
        kb_compare_defaults(&o);
        if (kb_compare(&r->base, &r->inputs[0].rf, &o, &r->cmp)) goto oom;
        r->base_machine_differs = kb_compare_fingerprints_differ(&r->base, &r->inputs[0].rf);
        r->has_base = 2; /* cmp is filled */
    }
    return 0;
oom:
    snprintf(err, err_len, "out of memory");
fail:
    kb_report_free(r);
    return -1;
}

void kb_report_free(kb_report *r)
{
    for (int i = 0; i < r->input_count; i++) {
        kb_result_file_free(&r->inputs[i].rf);
        if (r->inputs[i].root) json_decref(r->inputs[i].root);
    }
    free(r->inputs);
    free(r->benches);
    if (r->has_base) kb_result_file_free(&r->base);
    if (r->has_base == 2) kb_compare_result_free(&r->cmp);
    memset(r, 0, sizeof *r);
}

double kb_report_throughput(const kb_report_bench *b, const char **unit)
{
    if (b->flops > 0) {
        *unit = "GFLOP/s";
        return b->median_s > 0 ? b->flops / b->median_s / 1e9 : NAN;
    }
    *unit = "GB/s";
    return b->median_s > 0 && b->bytes > 0 ? b->bytes / b->median_s / 1e9 : NAN;
}

int kb_report_ops(const kb_report *r, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < r->count; i++) {
        int dup = 0;
        for (int j = 0; j < n && !dup; j++) dup = !strcmp(out[j], r->benches[i].op);
        if (!dup && n < max) out[n++] = r->benches[i].op;
    }
    return n;
}
