/*
 * compare.c - match two result files by benchmark name and judge each pair
 * (compare.h; the rules are docs/compare.md's).
 *
 * A benchmark's name (run_name) is op/plugin.kernel/case/placement, so two
 * entries match only when they measured the same kernel on the same case
 * with the same placement.  Per pair, in this order:
 *
 *   failed  NEW fails (error_occurred or verification FAIL): a regression
 *           whatever its speed, also when BASE failed too (still broken);
 *   fixed   BASE failed, NEW does not;
 *   noisy   fewer than 2 repetitions on a side, a median of zero, or the cv
 *           of a side above max_cv: too noisy to call;
 *   slower  new/base > 1 + threshold, and the U test finds NEW's times
 *           above BASE's times multiplied by 1 + threshold (p < alpha):
 *           slower by more than the threshold, significantly, not merely
 *           slower and past the threshold;
 *   faster  the same downwards (BASE's times multiplied by 1 - threshold);
 *   same    otherwise.
 */
#include "compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

void kb_compare_defaults(kb_compare_options *o)
{
    o->alpha = 0.05;
    o->threshold = 0.05;
    o->max_cv = 0.20;
    o->filter = NULL;
}

const char *kb_cmp_verdict_name(kb_cmp_verdict v)
{
    static const char *const names[KB_CMP_VERDICTS] = {"same", "slower", "faster", "noisy", "failed", "fixed"};
    return (unsigned)v < KB_CMP_VERDICTS ? names[v] : "?";
}

int kb_compare_fingerprints_differ(const kb_result_file *base, const kb_result_file *nw)
{
    return base->fingerprint && nw->fingerprint && strcmp(base->fingerprint, nw->fingerprint) != 0;
}

void kb_compare_result_free(kb_compare_result *r)
{
    if (!r) return;
    free(r->rows);
    free(r->only_base);
    free(r->only_new);
    memset(r, 0, sizeof *r);
}

static int selected(const kb_compare_options *o, const char *name)
{
    return !o->filter || regexec(o->filter, name, 0, NULL, 0) == 0;
}

static const char *failure_text(const kb_result_bench *b)
{
    if (b->error_message && *b->error_message) return b->error_message;
    if (b->verify_reason && *b->verify_reason) return b->verify_reason;
    return b->errored ? "error_occurred" : "verification FAIL";
}

/* The name without "/" + its placement label, as (pointer, length). */
static size_t stem_len(const kb_result_bench *b)
{
    size_t n = strlen(b->name);
    if (!b->placement) return n;
    size_t l = strlen(b->placement);
    if (l + 1 < n && b->name[n - l - 1] == '/' && !strcmp(b->name + n - l, b->placement)) return n - l - 1;
    return n;
}

/* The U test's p of NEW against BASE's times multiplied by f. */
static double p_moved(const kb_result_bench *b, const kb_result_bench *n, double f)
{
    double *moved = malloc((size_t)b->n * sizeof *moved);
    if (!moved) return NAN;
    for (int i = 0; i < b->n; i++) moved[i] = b->times[i] * f;
    double p = kb_mann_whitney_p(moved, b->n, n->times, n->n);
    free(moved);
    return p;
}

static void judge(const kb_result_bench *b, const kb_result_bench *n, const kb_compare_options *o,
                  kb_compare_row *row)
{
    memset(row, 0, sizeof *row);
    row->name = b->name;
    row->base_n = b->n;
    row->new_n = n->n;
    row->base_median = b->n ? kb_median(b->times, b->n) : NAN;
    row->new_median = n->n ? kb_median(n->times, n->n) : NAN;
    row->base_cv = b->n >= 2 ? kb_cv(b->times, b->n) : NAN;
    row->new_cv = n->n >= 2 ? kb_cv(n->times, n->n) : NAN;
    row->ratio = row->base_median > 0 && row->new_median > 0 ? row->new_median / row->base_median : NAN;
    row->p_value = b->n >= 2 && n->n >= 2 ? kb_mann_whitney_p(b->times, b->n, n->times, n->n) : NAN;
    row->p_beyond = NAN;
    if (b->n >= 2 && n->n >= 2 && row->ratio == row->ratio)
        row->p_beyond = p_moved(b, n, row->ratio >= 1 ? 1 + o->threshold : 1 - o->threshold);

    int base_fail = kb_result_bench_failed(b), new_fail = kb_result_bench_failed(n);
    const char *ran = b->verification == KB_RF_VERIFY_PASS ? "verified" : "ran";
    double change = (row->ratio - 1) * 100, thr = o->threshold * 100, cvmax = o->max_cv * 100;
    if (new_fail && base_fail) {
        row->verdict = KB_CMP_FAILED;
        snprintf(row->reason, sizeof row->reason, "still broken: fails in BASE and in NEW: %s", failure_text(n));
    } else if (new_fail) {
        row->verdict = KB_CMP_FAILED;
        snprintf(row->reason, sizeof row->reason, "%s in BASE, fails in NEW: %s", ran, failure_text(n));
    } else if (base_fail) {
        row->verdict = KB_CMP_FIXED;
        snprintf(row->reason, sizeof row->reason, "failed in BASE (%s), %s in NEW", failure_text(b),
                 n->verification == KB_RF_VERIFY_PASS ? "verified" : "ran");
    } else if (b->n < 2 || n->n < 2) {
        row->verdict = KB_CMP_NOISY;
        snprintf(row->reason, sizeof row->reason, "fewer than 2 repetitions (BASE %d, NEW %d): cannot test", b->n,
                 n->n);
    } else if (!(row->base_median > 0 && row->new_median > 0)) {
        row->verdict = KB_CMP_NOISY;
        snprintf(row->reason, sizeof row->reason, "a median time of zero: no ratio");
    } else if (row->base_cv > o->max_cv || row->new_cv > o->max_cv) {
        row->verdict = KB_CMP_NOISY;
        if (row->base_cv > o->max_cv && row->new_cv > o->max_cv)
            snprintf(row->reason, sizeof row->reason, "cv %.1f%% in BASE and %.1f%% in NEW, above --max-cv %g%%",
                     row->base_cv * 100, row->new_cv * 100, cvmax);
        else
            snprintf(row->reason, sizeof row->reason, "cv %.1f%% in %s, above --max-cv %g%%",
                     (row->base_cv > o->max_cv ? row->base_cv : row->new_cv) * 100,
                     row->base_cv > o->max_cv ? "BASE" : "NEW", cvmax);
    } else if (row->ratio > 1 + o->threshold && row->p_beyond < o->alpha) {
        row->verdict = KB_CMP_SLOWER;
        snprintf(row->reason, sizeof row->reason, "%+.1f%% beyond +%g%%, p %.4g < %g", change, thr,
                 row->p_beyond, o->alpha);
    } else if (row->ratio < 1 - o->threshold && row->p_beyond < o->alpha) {
        row->verdict = KB_CMP_FASTER;
        snprintf(row->reason, sizeof row->reason, "%+.1f%% beyond -%g%%, p %.4g < %g", change, thr,
                 row->p_beyond, o->alpha);
    } else {
        row->verdict = KB_CMP_SAME;
        if (fabs(row->ratio - 1) <= o->threshold)
            snprintf(row->reason, sizeof row->reason, "%+.1f%% within +-%g%%", change, thr);
        else
            snprintf(row->reason, sizeof row->reason, "%+.1f%%, not significantly beyond %s%g%% (p %.4g >= %g)",
                     change, change > 0 ? "+" : "-", thr, row->p_beyond, o->alpha);
    }
}

typedef struct {
    const char *name;
    int index;
} name_index;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const name_index *)a)->name, ((const name_index *)b)->name);
}

int kb_compare(const kb_result_file *base, const kb_result_file *nw, const kb_compare_options *o,
               kb_compare_result *out)
{
    memset(out, 0, sizeof *out);
    out->geomean_ratio = NAN;
    size_t nb = (size_t)base->count, nn = (size_t)nw->count;
    name_index *sorted = malloc((nn ? nn : 1) * sizeof *sorted);
    char *new_matched = calloc(nn ? nn : 1, 1);
    double *ratios = malloc((nb ? nb : 1) * sizeof *ratios);
    const kb_result_bench **only_base_b = malloc((nb ? nb : 1) * sizeof *only_base_b);
    out->rows = malloc((nb ? nb : 1) * sizeof *out->rows);
    out->only_base = malloc((nb ? nb : 1) * sizeof *out->only_base);
    out->only_new = malloc((nn ? nn : 1) * sizeof *out->only_new);
    int rc = -1;
    if (!sorted || !new_matched || !ratios || !only_base_b || !out->rows || !out->only_base || !out->only_new)
        goto done;
    for (size_t i = 0; i < nn; i++) sorted[i] = (name_index){nw->benches[i].name, (int)i};
    qsort(sorted, nn, sizeof *sorted, cmp_name);

    /* Matched pairs in BASE's order, and what is only in BASE. */
    for (size_t i = 0; i < nb; i++) {
        const kb_result_bench *b = &base->benches[i];
        if (!selected(o, b->name)) continue;
        name_index key = {b->name, 0};
        const name_index *hit = nn ? bsearch(&key, sorted, nn, sizeof *sorted, cmp_name) : NULL;
        if (!hit) {
            only_base_b[out->only_base_count] = b;
            out->only_base[out->only_base_count++] = b->name;
            continue;
        }
        new_matched[hit->index] = 1;
        kb_compare_row *row = &out->rows[out->row_count++];
        judge(b, &nw->benches[hit->index], o, row);
        out->counts[row->verdict]++;
        if (row->verdict == KB_CMP_SLOWER || row->verdict == KB_CMP_FAILED) out->regression = 1;
        if (isfinite(row->ratio)) ratios[out->geomean_n++] = row->ratio;
        if (!isnan(row->p_value) && (row->base_n < KB_CMP_GOOD_REPETITIONS || row->new_n < KB_CMP_GOOD_REPETITIONS)) {
            if (!out->low_power || row->base_n < out->low_power_base_n) out->low_power_base_n = row->base_n;
            if (!out->low_power || row->new_n < out->low_power_new_n) out->low_power_new_n = row->new_n;
            out->low_power = 1;
        }
    }
    if (out->geomean_n) out->geomean_ratio = kb_geomean(ratios, out->geomean_n);

    /* Only in NEW, and pairs that differ only in their placement. */
    for (size_t j = 0; j < nn; j++) {
        const kb_result_bench *n = &nw->benches[j];
        if (new_matched[j] || !selected(o, n->name)) continue;
        out->only_new[out->only_new_count++] = n->name;
        if (!n->placement) continue;
        size_t ln = stem_len(n);
        for (int i = 0; i < out->only_base_count; i++) {
            const kb_result_bench *b = only_base_b[i];
            if (!b->placement || stem_len(b) != ln || strncmp(b->name, n->name, ln)) continue;
            if (!out->placement_pairs++) {
                out->placement_base = b->placement;
                out->placement_new = n->placement;
            }
            break;
        }
    }
    rc = 0;
done:
    free(only_base_b);
    free(sorted);
    free(new_matched);
    free(ratios);
    if (rc) kb_compare_result_free(out);
    return rc;
}
