/*
 * record_csv.c - the run as CSV, one row per repetition and aggregate (and
 * one per failed kernel), with the same fields as the JSON file.  Written by
 * hand: RFC 4180 quoting is a few lines and no Debian C library does only that.
 */
#include <stdio.h>
#include <string.h>

#include "atomic_file.h"
#include "results.h"

static void field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void tail(FILE *f, const kb_result *r)
{
    static const char *const v[] = {"PASS", "FAIL", "SKIP"};
    fputc(',', f);
    field(f, kb_op_name(r->c.op));
    fputc(',', f);
    field(f, r->plugin);
    fputc(',', f);
    field(f, r->kernel);
    fputc(',', f);
    field(f, r->c.id);
    fputc(',', f);
    field(f, r->c.dtypes);
    fprintf(f, ",%d,", r->threads);
    field(f, r->placement ? r->placement->label : "");
    fprintf(f, ",%s,%.6g,%.6g,", v[r->verdict], r->verify.max_err, r->verify.bound);
    if (r->speedup > 0) fprintf(f, "%.6g", r->speedup);
    fputc(',', f);
    if (r->roofline_pct > 0) fprintf(f, "%.4g", r->roofline_pct);
    fputc('\n', f);
}

static int write_csv(FILE *f, void *user, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    const kb_run_record *rec = user;
    fputs("name,run_type,aggregate_name,repetition_index,iterations,real_time,cpu_time,time_unit,"
          "flop_per_second,bytes_per_second,error_occurred,error_message,"
          "op,plugin,kernel,case,dtypes,threads,placement,verify_status,verify_max_err,verify_bound,speedup,"
          "roofline_percent\n", f);
    for (int i = 0; i < rec->count; i++) {
        const kb_result *r = &rec->results[i];
        if (r->verdict == KB_VERDICT_SKIP) continue;
        if (!r->timing.ok) {
            field(f, r->name);
            fputs(",iteration,,0,,,,ns,,,true,", f);
            field(f, r->verdict == KB_VERDICT_FAIL ? r->reason : r->timing.error);
            tail(f, r);
            continue;
        }
        for (int k = 0; k < r->timing.run_count; k++) {
            const kb_timed_run *t = &r->timing.runs[k];
            char name[sizeof r->name + 16];
            snprintf(name, sizeof name, "%s%s%s", r->name, t->aggregate ? "_" : "", t->aggregate ? t->aggregate_name : "");
            field(f, name);
            double scale = t->percentage ? 1.0 : 1e9;
            fprintf(f, ",%s,%s,", t->aggregate ? "aggregate" : "iteration", t->aggregate_name);
            if (!t->aggregate) fprintf(f, "%lld", (long long)t->repetition_index);
            fprintf(f, ",%lld,%.17g,%.17g,ns,", (long long)t->iterations, t->real_time * scale, t->cpu_time * scale);
            int rate = !t->percentage && strcmp(t->aggregate_name, "stddev") && t->real_time > 0;
            if (rate && r->fig.flops > 0) fprintf(f, "%.17g", r->fig.flops / t->real_time);
            fputc(',', f);
            if (rate && r->fig.bytes > 0) fprintf(f, "%.17g", r->fig.bytes / t->real_time);
            fputs(",false,", f);
            tail(f, r);
        }
    }
    return ferror(f) ? -1 : 0;
}

int kb_write_csv(const char *path, const kb_run_record *rec, char *err, size_t err_len)
{
    return kb_write_file_atomic(path, write_csv, (void *)rec, err, err_len);
}
