/*
 * report_table.c - the console table at the end of `kbench run`: one row per
 * (plugin, kernel, case, placement), failures included.
 */
#include <stdio.h>
#include <string.h>

#include "units.h"
#include "results.h"

/* roofline: "63.0%c" = 63% of the compute bound, "m" of the memory bound (docs/roofline.md). */
void kb_print_table(FILE *f, const kb_run_record *rec)
{
    int wk = 14, wc = 4;
    for (int i = 0; i < rec->count; i++) {
        char who[160];
        snprintf(who, sizeof who, "%s.%s", rec->results[i].plugin, rec->results[i].kernel);
        int a = (int)strlen(who), b = (int)strlen(rec->results[i].c.id) + 24;
        if (a > wk) wk = a;
        if (b > wc) wc = b;
    }
    if (wc > 90) wc = 90;
    fprintf(f, "%-9s  %-*s  %-*s  %11s  %14s  %8s  %6s  %8s  %s\n", "op", wk, "kernel", wc, "case/placement",
            "median", "throughput", "roofline", "cv", rec->baseline[0] ? "speedup" : "", "verify");
    for (int i = 0; i < rec->count; i++) {
        const kb_result *r = &rec->results[i];
        char who[160], cas[420], med[32] = "-", thr[32] = "-", roof[16] = "-", cv[16] = "-", sp[16] = "", ver[96];
        snprintf(who, sizeof who, "%s.%s", r->plugin, r->kernel);
        snprintf(cas, sizeof cas, "%s/%s", r->c.id, r->placement ? r->placement->label : "");
        if (r->verdict == KB_VERDICT_SKIP) continue;
        if (r->verdict == KB_VERDICT_FAIL) {
            snprintf(ver, sizeof ver, "FAIL (not timed)");
        } else {
            snprintf(ver, sizeof ver, "err %.2e", r->verify.max_ref > 0 ? r->verify.max_err / r->verify.max_ref : 0.0);
        }
        if (r->timing.ok) {
            double t = r->timing.median;
            kb_format_seconds(med, sizeof med, t);
            if (r->fig.compute_bound) snprintf(thr, sizeof thr, "%.2f GFLOP/s", r->fig.flops / t * 1e-9);
            else snprintf(thr, sizeof thr, "%.2f GB/s", r->fig.bytes / t * 1e-9);
            snprintf(cv, sizeof cv, "%.1f%%", r->timing.cv * 100);
            if (r->speedup > 0) snprintf(sp, sizeof sp, "%.2fx", r->speedup);
            if (r->roofline_pct > 0)
                snprintf(roof, sizeof roof, "%.1f%%%s", r->roofline_pct, r->roofline.memory_bound ? "m" : "c");
        } else if (r->verdict == KB_VERDICT_PASS) {
            snprintf(ver, sizeof ver, "timing failed: %.70s", r->timing.error);
        }
        fprintf(f, "%-9s  %-*s  %-*.*s  %11s  %14s  %8s  %6s  %8s  %s\n", kb_op_name(r->c.op), wk, who, wc, wc, cas,
                med, thr, roof, cv, sp, ver);
    }
}
