#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results.h"

/* "plugin" or "plugin.kernel" */
static int matches_baseline(const kb_run_record *rec, const kb_result *r)
{
    const char *b = rec->baseline;
    size_t n = strlen(r->plugin);
    if (strncmp(b, r->plugin, n)) return 0;
    return b[n] == '\0' || (b[n] == '.' && !strcmp(b + n + 1, r->kernel));
}

void kb_results_apply_baseline(kb_run_record *rec)
{
    if (!rec->baseline[0]) return;
    for (int i = 0; i < rec->count; i++) {
        kb_result *r = &rec->results[i];
        if (!r->timing.ok || r->timing.median <= 0) continue;
        double best = 0;
        for (int j = 0; j < rec->count; j++) {
            const kb_result *b = &rec->results[j];
            if (!b->timing.ok || b->timing.median <= 0 || !matches_baseline(rec, b)) continue;
            if (b->c.op != r->c.op || strcmp(b->c.id, r->c.id) || b->placement != r->placement) continue;
            if (best == 0 || b->timing.median < best) best = b->timing.median;
        }
        r->speedup = best > 0 ? best / r->timing.median : 0;
    }
}

int kb_results_failed(const kb_run_record *rec)
{
    for (int i = 0; i < rec->count; i++) {
        const kb_result *r = &rec->results[i];
        if (r->verdict == KB_VERDICT_FAIL || (r->verdict == KB_VERDICT_PASS && !r->timing.ok)) return 1;
    }
    return 0;
}

void kb_results_apply_roofline(kb_run_record *rec)
{
    if (!rec->have_peak) return;
    for (int i = 0; i < rec->count; i++) {
        kb_result *r = &rec->results[i];
        /* kbench peak measures FP32 FMA, not integer multiply-add: an int8
         * matmul has no measured ceiling to be a share of. */
        if (r->c.op == KB_OP_MATMUL && r->c.dtype == KB_DTYPE_I8) continue;
        const kb_device_peak *dev = kb_peak_device(&rec->peak, r->plugin);
        if (dev) r->roofline = kb_peak_device_roofline(dev, r->fig.flops, r->fig.bytes);
        else if (!r->on_device) r->roofline = kb_peak_roofline(&rec->peak, r->fig.flops, r->fig.bytes, r->threads);
        else continue; /* a device plugin without measured ceilings: no bound, not the CPU's */
        if (!r->timing.ok || r->timing.median <= 0 || r->roofline.bound <= 0) continue;
        double achieved = (r->fig.flops > 0 ? r->fig.flops : r->fig.bytes) / r->timing.median;
        r->roofline_pct = achieved / r->roofline.bound * 100;
    }
}

void kb_run_record_free(kb_run_record *rec)
{
    for (int i = 0; i < rec->count; i++) kb_timing_free(&rec->results[i].timing);
    if (rec->topology) json_decref(rec->topology);
    if (rec->devices) json_decref(rec->devices);
    free(rec->results);
    free(rec->placements);
    free(rec->plugins);
    memset(rec, 0, sizeof *rec);
}
