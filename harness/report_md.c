/*
 * report_md.c - `kbench report --markdown`: the report's tables as GitHub
 * markdown on stdout (a CI job summary), without the charts.
 */
#include <math.h>
#include <string.h>

#include "report.h"
#include "units.h"

/* A cell: '|' escaped, newlines flattened. */
static void cell(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '\n') fputc(' ', f);
        else fputc(*s, f);
    }
}

static void code(FILE *f, const char *s)
{
    fputc('`', f);
    for (; s && *s; s++) fputc(*s == '`' ? '\'' : *s == '|' ? '/' : *s, f);
    fputc('`', f);
}

static const char *ctx(const kb_report_input *in, const char *key)
{
    const char *s = json_string_value(json_object_get(in->context, key));
    return s && *s ? s : "-";
}

int kb_report_write_markdown(FILE *f, const kb_report *r)
{
    fputs("# kbench report\n\n| file | date | commit | fingerprint | CPU |\n| :-- | :-- | :-- | :-- | :-- |\n", f);
    for (int i = 0; i < r->input_count; i++) {
        const kb_report_input *in = &r->inputs[i];
        json_t *t = json_object_get(in->context, "kbench_topology");
        const char *model = json_string_value(json_object_get(t, "cpu_model"));
        fputs("| ", f);
        code(f, in->path);
        fputs(" | ", f);
        cell(f, ctx(in, "date"));
        fputs(" | ", f);
        cell(f, ctx(in, "kbench_git_commit"));
        fputs(" | ", f);
        cell(f, in->rf.fingerprint ? in->rf.fingerprint : "-");
        fputs(" | ", f);
        cell(f, model ? model : "-");
        if (t)
            fprintf(f, ", %lld cores, %lld PUs", (long long)json_integer_value(json_object_get(t, "cores")),
                    (long long)json_integer_value(json_object_get(t, "pus")));
        fputs(" |\n", f);
    }
    const char *ops[64];
    int nops = kb_report_ops(r, ops, 64);
    for (int o = 0; o < nops; o++) {
        fprintf(f, "\n## %s\n\n| benchmark | time | throughput | roofline |%s\n| :-- | --: | --: | --: |%s\n", ops[o],
                r->baseline ? " speedup |" : "", r->baseline ? " --: |" : "");
        for (int i = 0; i < r->count; i++) {
            const kb_report_bench *b = &r->benches[i];
            if (strcmp(b->op, ops[o])) continue;
            char t[32];
            const char *unit;
            double v = kb_report_throughput(b, &unit);
            kb_format_seconds(t, sizeof t, b->median_s);
            fputs("| ", f);
            code(f, b->name);
            fprintf(f, " | %s | ", t);
            if (v > 0) fprintf(f, "%.3g %s", v, unit);
            else fputs("-", f);
            if (isfinite(b->roof_percent)) fprintf(f, " | %.1f%% |", b->roof_percent);
            else fputs(" | - |", f);
            if (r->baseline) {
                if (isfinite(b->speedup)) fprintf(f, " %.2fx |", b->speedup);
                else fputs(" - |", f);
            }
            fputc('\n', f);
        }
    }
    if (r->has_base == 2) {
        const kb_compare_result *c = &r->cmp;
        fputs("\n## Change against BASE\n\n| benchmark | change | verdict |\n| :-- | --: | :-- |\n", f);
        for (int i = 0; i < c->row_count; i++) {
            fputs("| ", f);
            code(f, c->rows[i].name);
            if (isfinite(c->rows[i].ratio)) fprintf(f, " | %+.1f%% | ", (c->rows[i].ratio - 1) * 100);
            else fputs(" | - | ", f);
            fprintf(f, "%s |\n", kb_cmp_verdict_name(c->rows[i].verdict));
        }
        fprintf(f, "\n%d matched: %d slower, %d faster, %d same, %d noisy, %d failed, %d fixed\n", c->row_count,
                c->counts[KB_CMP_SLOWER], c->counts[KB_CMP_FASTER], c->counts[KB_CMP_SAME], c->counts[KB_CMP_NOISY],
                c->counts[KB_CMP_FAILED], c->counts[KB_CMP_FIXED]);
    }
    int failed = 0, passed = 0;
    for (int i = 0; i < r->count; i++) {
        const char *v = r->benches[i].verify;
        failed += !strcmp(v, "FAIL") || !strcmp(v, "ERROR");
        passed += !strcmp(v, "PASS");
    }
    fprintf(f, "\n## Verification\n\n%d passed, %d failed, %d without verification\n", passed, failed,
            r->count - passed - failed);
    if (failed) {
        fputs("\n| benchmark | verdict | max error | bound | reason |\n| :-- | :-- | --: | --: | :-- |\n", f);
        for (int i = 0; i < r->count; i++) {
            const kb_report_bench *b = &r->benches[i];
            if (strcmp(b->verify, "FAIL") && strcmp(b->verify, "ERROR")) continue;
            fputs("| ", f);
            code(f, b->name);
            fprintf(f, " | **%s** | ", b->verify);
            if (isfinite(b->max_err)) fprintf(f, "%.3g", b->max_err);
            else fputs("-", f);
            fputs(" | ", f);
            if (isfinite(b->bound)) fprintf(f, "%.3g", b->bound);
            else fputs("-", f);
            fputs(" | ", f);
            cell(f, b->reason ? b->reason : "-");
            fputs(" |\n", f);
        }
    }
    return ferror(f) ? -1 : 0;
}
