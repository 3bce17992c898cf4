/*
 * report_html.c - the HTML page of `kbench report` (docs/report.md): one
 * file, inline CSS and SVG only (no scripts, fonts or links), so it can be
 * mailed, attached to a CI job or opened offline.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "svg.h"
#include "units.h"

#define esc kb_svg_escape
#define MAX_KEYS 256

/* Plugins in order of first appearance: their index picks the colour, the
 * same in every chart. */
static int plugin_index(const kb_report *r, const char *plugin)
{
    const char *seen[MAX_KEYS];
    int n = 0;
    for (int i = 0; i < r->count; i++) {
        int k = 0;
        while (k < n && strcmp(seen[k], r->benches[i].plugin)) k++;
        if (k == n && n < MAX_KEYS) seen[n++] = r->benches[i].plugin;
        if (!strcmp(r->benches[i].plugin, plugin)) return k;
    }
    return 0;
}

static const char *ctx_str(const kb_report_input *in, const char *key)
{
    const char *s = json_string_value(json_object_get(in->context, key));
    return s && *s ? s : "-";
}

static void fmt_bytes(char *b, size_t n, double v)
{
    if (!(v > 0)) snprintf(b, n, "-");
    else if (v >= 1 << 30) snprintf(b, n, "%.1f GiB", v / (1 << 30));
    else if (v >= 1 << 20) snprintf(b, n, "%.0f MiB", v / (1 << 20));
    else snprintf(b, n, "%.0f KiB", v / 1024);
}

static void header(FILE *f, const kb_report *r)
{
    fputs("<h2>Machines and runs</h2>\n<table>\n<tr><th>file</th><th>date</th><th>commit</th><th>kbench</th>"
          "<th>suite</th><th>host</th><th>fingerprint</th><th>topology</th></tr>\n",
          f);
    for (int i = 0; i < r->input_count; i++) {
        const kb_report_input *in = &r->inputs[i];
        json_t *t = json_object_get(in->context, "kbench_topology");
        const char *cells[] = {in->path,
                               ctx_str(in, "date"),
                               ctx_str(in, "kbench_git_commit"),
                               ctx_str(in, "kbench_version"),
                               ctx_str(in, "kbench_suite"),
                               ctx_str(in, "host_name"),
                               in->rf.fingerprint ? in->rf.fingerprint : "-"};
        fputs("<tr>", f);
        for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
            fputs(c == 2 || c == 6 ? "<td><code>" : "<td>", f);
            esc(f, cells[c]);
            fputs(c == 2 || c == 6 ? "</code></td>" : "</td>", f);
        }
        fputs("<td>", f);
        if (t) {
            char llc[32], mem[32];
            fmt_bytes(llc, sizeof llc, json_number_value(json_object_get(t, "llc_bytes")));
            fmt_bytes(mem, sizeof mem, json_number_value(json_object_get(t, "memory_bytes")));
            const char *model = json_string_value(json_object_get(t, "cpu_model"));
            esc(f, model ? model : "unknown CPU");
            fprintf(f, ": %lld package(s), %lld cores, %lld PUs, %zu NUMA node(s), LLC %s, memory %s",
                    (long long)json_integer_value(json_object_get(t, "packages")),
                    (long long)json_integer_value(json_object_get(t, "cores")),
                    (long long)json_integer_value(json_object_get(t, "pus")),
                    json_array_size(json_object_get(t, "numa_nodes")), llc, mem);
            size_t g;
            json_t *gpu;
            json_array_foreach(json_object_get(t, "gpus"), g, gpu) {
                const char *name = json_string_value(json_object_get(gpu, "name"));
                fputs(g ? ", " : "; GPUs: ", f);
                esc(f, name ? name : "GPU");
            }
        } else {
            fputs("-", f);
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void legend_plugins(FILE *f, const kb_report *r)
{
    const char *seen[MAX_KEYS];
    int n = 0;
    fputs("<p class=\"legend\">", f);
    for (int i = 0; i < r->count; i++) {
        int k = 0;
        while (k < n && strcmp(seen[k], r->benches[i].plugin)) k++;
        if (k < n || n == MAX_KEYS) continue;
        seen[n++] = r->benches[i].plugin;
        fprintf(f, "<span><i style=\"background:%s\"></i>", kb_svg_color(k));
        esc(f, *r->benches[i].plugin ? r->benches[i].plugin : "(no plugin)");
        fputs("</span> ", f);
    }
    fputs("</p>\n", f);
}

static double peak_num(json_t *p, const char *k)
{
    json_t *v = json_object_get(p, k);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A roof: I * bw up to the compute ceiling, then flat; GFLOP/s and GB/s. */
static void roof(FILE *f, const kb_svg_scale *x, const kb_svg_scale *y, double compute, double bw,
                 const char *color, const char *dash, const char *label)
{
    if (!(compute > 0) || !(bw > 0)) return;
    double ridge = compute / bw;
    double x0 = x->lo, y0 = x0 * bw;
    if (y0 < y->lo) x0 = y->lo / bw, y0 = y->lo;
    double rx = ridge < x->hi ? ridge : x->hi;
    kb_svg_line(f, kb_svg_map(x, x0), kb_svg_map(y, y0), kb_svg_map(x, rx), kb_svg_map(y, rx * bw), color, 2,
                dash);
    if (ridge < x->hi)
        kb_svg_line(f, kb_svg_map(x, ridge), kb_svg_map(y, compute), x->px1, kb_svg_map(y, compute), color, 2,
                    dash);
    kb_svg_text(f, x->px1 - 4, kb_svg_map(y, compute) - 5, "end", 11, color, label);
}

/* A benchmark's point on fingerprint fp's roofline: its GFLOP/s, or 0 when
 * it has no place there (another machine, no FLOPs, no time). */
static double roofline_point(const kb_report *r, const kb_report_bench *b, const char *fp)
{
    const char *ifp = r->inputs[b->file].rf.fingerprint ? r->inputs[b->file].rf.fingerprint : "";
    const char *unit;
    double g = kb_report_throughput(b, &unit);
    return strcmp(ifp, fp) || !(b->intensity > 0) || !(g > 0) || !(b->flops > 0) ? 0 : g;
}

static void roofline(FILE *f, const kb_report *r, const char *fp)
{
    json_t *peak = NULL;
    int npts = 0;
    double xlo = INFINITY, xhi = 0, ylo = INFINITY, yhi = 0;
    for (int i = 0; i < r->input_count; i++) {
        const char *ifp = r->inputs[i].rf.fingerprint ? r->inputs[i].rf.fingerprint : "";
        if (strcmp(ifp, fp)) continue;
        if (!peak) peak = json_object_get(r->inputs[i].context, "kbench_peak");
    }
    for (int i = 0; i < r->count; i++) {
        const kb_report_bench *b = &r->benches[i];
        double g = roofline_point(r, b, fp);
        if (!(g > 0)) continue;
        npts++;
        if (b->intensity < xlo) xlo = b->intensity;
        if (b->intensity > xhi) xhi = b->intensity;
        if (g < ylo) ylo = g;
        if (g > yhi) yhi = g;
    }
    fputs("<h3>Machine <code>", f);
    esc(f, *fp ? fp : "(no fingerprint)");
    fputs("</code></h3>\n", f);
    if (!npts) {
        fputs("<p>No case with FLOPs and a time on this machine: nothing to place on a roofline.</p>\n", f);
        return;
    }
    double C = peak_num(peak, "fma_gflops_all"), C1 = peak_num(peak, "fma_gflops_1");
    double Bd = peak_num(peak, "triad_dram_gbs_all"), Bl = peak_num(peak, "triad_llc_gbs_all");
    double Bd1 = peak_num(peak, "triad_dram_gbs_1");
    if (C > 0 && Bd > 0) {
        if (C > yhi) yhi = C;
        if (C / Bd > xhi) xhi = C / Bd;
        if (C / Bd < xlo) xlo = C / Bd;
    }
    xlo /= 2, xhi *= 2, ylo /= 2, yhi *= 2;
    kb_svg_log_decades(&xlo, &xhi);
    kb_svg_log_decades(&ylo, &yhi);
    const int W = 960, H = 540, L = 80, R = 20, T = 20, B = 60;
    kb_svg_scale x = {xlo, xhi, 1, L, W - R}, y = {ylo, yhi, 1, H - B, T};
    char label[160];
    snprintf(label, sizeof label, "roofline of machine %s", *fp ? fp : "(no fingerprint)");
    fputs("<div class=\"chart\">", f);
    kb_svg_open(f, W, H, label);
    fputs("<g class=\"roofline\">\n", f);
    kb_svg_axis_x(f, &x, H - B, T, "arithmetic intensity (FLOP/byte)");
    kb_svg_axis_y(f, &y, L, W - R, "GFLOP/s");
    if (peak) {
        char t[96];
        snprintf(t, sizeof t, "all cores: %.0f GFLOP/s, triad DRAM %.0f GB/s", C, Bd);
        roof(f, &x, &y, C, Bd, "#222", NULL, t);
        roof(f, &x, &y, C, Bl, "#666", "6 4", "");
        snprintf(t, sizeof t, "1 core: %.0f GFLOP/s, %.0f GB/s", C1, Bd1);
        roof(f, &x, &y, C1, Bd1, "#999", "2 3", t);
        if (Bl > 0 && C > 0)
            kb_svg_text(f, kb_svg_map(&x, C / Bl) - 6, kb_svg_map(&y, C) + 14, "end", 10, "#666",
                        "triad LLC");
    }
    int k = 0;
    for (int i = 0; i < r->count; i++) {
        const kb_report_bench *b = &r->benches[i];
        double g = roofline_point(r, b, fp);
        if (!(g > 0)) continue;
        char tip[1024], num[16];
        snprintf(tip, sizeof tip, "#%d %s: %.3g GFLOP/s at %.3g FLOP/byte", ++k, b->name, g, b->intensity);
        double px = kb_svg_map(&x, b->intensity), py = kb_svg_map(&y, g);
        kb_svg_point(f, px, py, 4, kb_svg_color(plugin_index(r, b->plugin)), tip);
        snprintf(num, sizeof num, "%d", k);
        kb_svg_text(f, px + 5, py - 4, "start", 8, "#444", num);
    }
    fputs("</g>\n", f);
    kb_svg_close(f);
    fputs("</div>\n", f);
    legend_plugins(f, r);
    if (!peak)
        fputs("<p>No <code>kbench_peak</code> in these files: the ceilings are unknown (run <code>kbench peak "
              "--store</code>, then <code>kbench run</code>).</p>\n",
              f);
    else
        fputs("<p>Solid: all-core FMA ceiling and triad DRAM bandwidth; dashed: triad LLC bandwidth; dotted: one "
              "core.</p>\n",
              f);
    fputs("<details><summary>points</summary><table>\n<tr><th>#</th><th>benchmark</th><th>FLOP/byte</th>"
          "<th>GFLOP/s</th><th>% of roofline</th></tr>\n",
          f);
    k = 0;
    for (int i = 0; i < r->count; i++) {
        const kb_report_bench *b = &r->benches[i];
        double g = roofline_point(r, b, fp);
        if (!(g > 0)) continue;
        fprintf(f, "<tr><td>%d</td><td><code>", ++k);
        esc(f, b->name);
        fprintf(f, "</code></td><td>%.3g</td><td>%.3g</td><td>", b->intensity, g);
        if (isfinite(b->roof_percent)) fprintf(f, "%.1f%%", b->roof_percent);
        else fputs("-", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></details>\n", f);
}

static void rooflines(FILE *f, const kb_report *r)
{
    fputs("<h2>Roofline</h2>\n<p>Each case with FLOPs (matmul, attention) at its arithmetic intensity and measured "
          "GFLOP/s (median time). Softmax and quantize count no FLOPs and are in the bar charts only. Hover a "
          "point for its name.</p>\n",
          f);
    for (int i = 0; i < r->input_count; i++) {
        const char *fp = r->inputs[i].rf.fingerprint ? r->inputs[i].rf.fingerprint : "";
        int dup = 0;
        for (int j = 0; j < i && !dup; j++)
            dup = !strcmp(fp, r->inputs[j].rf.fingerprint ? r->inputs[j].rf.fingerprint : "");
        if (!dup) roofline(f, r, fp);
    }
}

/* Same case and placement (and file): one group of bars. */
static int same_group(const kb_report_bench *a, const kb_report_bench *b)
{
    return a->file == b->file && !strcmp(a->kcase, b->kcase) && !strcmp(a->placement, b->placement);
}

static void op_bars(FILE *f, const kb_report *r, const char *op)
{
    int n = 0, groups = 0;
    double vmax = 0;
    const char *unit = "GB/s";
    int *order = malloc((size_t)r->count * sizeof *order), *done = calloc((size_t)r->count, sizeof *done);
    if (!order || !done) {
        free(order);
        free(done);
        return;
    }
    /* Order: by group in first appearance, bars of a group in file order. */
    for (int i = 0; i < r->count; i++) {
        if (done[i] || strcmp(r->benches[i].op, op)) continue;
        groups++;
        for (int j = i; j < r->count; j++) {
            if (done[j] || strcmp(r->benches[j].op, op) || !same_group(&r->benches[i], &r->benches[j])) continue;
            done[j] = 1;
            order[n++] = j;
            double v = kb_report_throughput(&r->benches[j], &unit);
            if (v > vmax) vmax = v;
        }
    }
    fputs("<h3>", f);
    esc(f, *op ? op : "(no op)");
    fprintf(f, "</h3>\n<p>%d benchmark(s) in %d case(s); throughput %s from the median time", n, groups, unit);
    if (r->baseline) {
        fputs(", speedup against the fastest <code>", f);
        esc(f, r->baseline);
        fputs("</code> kernel of the same case", f);
    }
    fputs(".</p>\n", f);
    const int W = 1000, LBL = 250, X0 = 255, X1 = 820, BAR = 13, HEAD = 16, GAP = 6;
    int H = groups * (HEAD + GAP) + n * BAR + 56; /* + the axis and its title */
    kb_svg_scale x = {0, vmax > 0 ? vmax : 1, 0, X0, X1};
    char label[96];
    snprintf(label, sizeof label, "%s throughput per case", op);
    fputs("<div class=\"chart\">", f);
    kb_svg_open(f, W, H, label);
    fputs("<g class=\"bars\">\n", f);
    double yy = 10;
    for (int i = 0; i < n; i++) {
        const kb_report_bench *b = &r->benches[order[i]];
        if (i == 0 || !same_group(b, &r->benches[order[i - 1]])) {
            char g[600];
            yy += GAP;
            snprintf(g, sizeof g, "%s / %s", *b->kcase ? b->kcase : b->name, b->placement);
            if (r->input_count > 1)
                snprintf(g + strlen(g), sizeof g - strlen(g), " (%s)", r->inputs[b->file].path);
            kb_svg_text(f, 6, yy + 11, "start", 11, "#000", g);
            yy += HEAD;
        }
        char lab[300], val[96], tip[1024];
        const char *u;
        double v = kb_report_throughput(b, &u);
        snprintf(lab, sizeof lab, "%s.%s", b->plugin, b->kernel);
        kb_svg_text(f, LBL, yy + 10, "end", 10, "#333", lab);
        if (v > 0) {
            int k = snprintf(val, sizeof val, "%.3g %s", v, u);
            if (isfinite(b->speedup)) snprintf(val + k, sizeof val - (size_t)k, "  x%.2f", b->speedup);
        } else {
            snprintf(val, sizeof val, "%s", strcmp(b->verify, "PASS") && strcmp(b->verify, "-") ? "failed" : "-");
        }
        snprintf(tip, sizeof tip, "%s: %s", b->name, val);
        double w = v > 0 ? kb_svg_map(&x, v) - X0 : 0;
        kb_svg_rect(f, X0, yy + 1, w < 1 && v > 0 ? 1 : w, BAR - 2, kb_svg_color(plugin_index(r, b->plugin)), tip);
        kb_svg_text(f, X0 + w + 4, yy + 10, "start", 10, "#333", val);
        yy += BAR;
    }
    kb_svg_axis_x(f, &x, yy + 4, yy + 4, unit);
    fputs("</g>\n", f);
    kb_svg_close(f);
    fputs("</div>\n", f);
    free(order);
    free(done);
}

static void bars(FILE *f, const kb_report *r)
{
    const char *ops[64];
    int n = kb_report_ops(r, ops, 64);
    fputs("<h2>Throughput per op</h2>\n", f);
    legend_plugins(f, r);
    for (int i = 0; i < n; i++) op_bars(f, r, ops[i]);
}

static const char *verdict_color(kb_cmp_verdict v)
{
    switch (v) {
    case KB_CMP_SLOWER: return "#d62728";
    case KB_CMP_FASTER: return "#2ca02c";
    case KB_CMP_NOISY: return "#ff9f1c";
    case KB_CMP_FAILED: return "#7f0000";
    case KB_CMP_FIXED: return "#1f77b4";
    default: return "#999999";
    }
}

static void changes(FILE *f, const kb_report *r)
{
    const kb_compare_result *c = &r->cmp;
    fputs("<h2>Change against BASE</h2>\n<p>BASE <code>", f);
    esc(f, r->base_path);
    fputs("</code>, NEW <code>", f);
    esc(f, r->inputs[0].path);
    fprintf(f, "</code>: ratio of median times new/base (left of 1 is faster), coloured by "
               "<code>kbench compare</code>'s verdict. %d matched: %d slower, %d faster, %d same, %d noisy, "
               "%d failed, %d fixed; %d only in BASE, %d only in NEW.",
            c->row_count, c->counts[KB_CMP_SLOWER], c->counts[KB_CMP_FASTER], c->counts[KB_CMP_SAME],
            c->counts[KB_CMP_NOISY], c->counts[KB_CMP_FAILED], c->counts[KB_CMP_FIXED], c->only_base_count,
            c->only_new_count);
    if (isfinite(c->geomean_ratio)) fprintf(f, " Geomean ratio %.3f.", c->geomean_ratio);
    fputs("</p>\n", f);
    if (r->base_machine_differs)
        fputs("<p class=\"warn\">BASE and NEW come from different machines (fingerprints differ): differences "
              "may be the machines', not the code's.</p>\n",
              f);
    fputs("<p class=\"legend\">", f);
    for (int v = 0; v < KB_CMP_VERDICTS; v++)
        fprintf(f, "<span><i style=\"background:%s\"></i>%s</span> ", verdict_color((kb_cmp_verdict)v),
                kb_cmp_verdict_name((kb_cmp_verdict)v));
    fputs("</p>\n", f);
    double lo = 1, hi = 1;
    int n = 0;
    for (int i = 0; i < c->row_count; i++) {
        double q = c->rows[i].ratio;
        if (!(q > 0) || !isfinite(q)) continue;
        n++;
        if (q < lo) lo = q;
        if (q > hi) hi = q;
    }
    /* Symmetric around 1, so faster and slower by the same factor look alike. */
    double span = fmax(hi, 1 / lo) * 1.1;
    const int W = 1100, X0 = 600, X1 = 1000, ROW = 15;
    kb_svg_scale x = {1 / span, span, 1, X0, X1};
    int H = (n + (c->row_count - n)) * ROW + 50;
    fputs("<div class=\"chart\">", f);
    kb_svg_open(f, W, H, "change per benchmark against BASE");
    fputs("<g class=\"changes\">\n", f);
    double yy = 8, one = kb_svg_map(&x, 1);
    for (int i = 0; i < c->row_count; i++) {
        const kb_compare_row *row = &c->rows[i];
        char tip[1024], val[64];
        kb_svg_text(f, X0 - 6, yy + 11, "end", 10, "#333", row->name);
        if (row->ratio > 0 && isfinite(row->ratio))
            snprintf(val, sizeof val, "%+.1f%% %s", (row->ratio - 1) * 100, kb_cmp_verdict_name(row->verdict));
        else
            snprintf(val, sizeof val, "%s", kb_cmp_verdict_name(row->verdict));
        snprintf(tip, sizeof tip, "%s: %s%s%s", row->name, val, *row->reason ? ": " : "", row->reason);
        double px = row->ratio > 0 && isfinite(row->ratio) ? kb_svg_map(&x, row->ratio) : one;
        kb_svg_rect(f, one, yy + 2, px - one == 0 ? 2 : px - one, ROW - 4, verdict_color(row->verdict), tip);
        kb_svg_text(f, X1 + 6, yy + 11, "start", 10, "#333", val);
        yy += ROW;
    }
    kb_svg_line(f, one, 4, one, yy + 4, "#000", 1, NULL);
    kb_svg_axis_x(f, &x, yy + 4, yy + 4, "new / base");
    fputs("</g>\n", f);
    kb_svg_close(f);
    fputs("</div>\n", f);
}

static void fmt_num(char *b, size_t n, double v)
{
    if (isfinite(v)) snprintf(b, n, "%.3g", v);
    else snprintf(b, n, "-");
}

static void verification(FILE *f, const kb_report *r)
{
    int failed = 0;
    fputs("<h2>Verification</h2>\n<table>\n<tr><th>benchmark</th><th>verdict</th><th>max error</th><th>bound</th>"
          "<th>median time</th></tr>\n",
          f);
    for (int i = 0; i < r->count; i++) {
        const kb_report_bench *b = &r->benches[i];
        char e[32], bd[32], t[32];
        fmt_num(e, sizeof e, b->max_err);
        fmt_num(bd, sizeof bd, b->bound);
        kb_format_seconds(t, sizeof t, b->median_s);
        int bad = !strcmp(b->verify, "FAIL") || !strcmp(b->verify, "ERROR");
        failed += bad;
        fputs("<tr><td><code>", f);
        esc(f, b->name);
        fprintf(f, "</code></td><td class=\"%s\">%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                bad ? "fail" : "pass", b->verify, e, bd, t);
    }
    fputs("</table>\n", f);
    fprintf(f, "<h2>Failures</h2>\n");
    if (!failed) {
        fputs("<p>None: every benchmark verified (or carries no verification).</p>\n", f);
        return;
    }
    fprintf(f, "<p>%d benchmark(s) failed verification or errored:</p>\n<ul class=\"failures\">\n", failed);
    for (int i = 0; i < r->count; i++) {
        const kb_report_bench *b = &r->benches[i];
        if (strcmp(b->verify, "FAIL") && strcmp(b->verify, "ERROR")) continue;
        fputs("<li><code>", f);
        esc(f, b->name);
        fputs("</code>: ", f);
        esc(f, b->reason ? b->reason : "(no reason given)");
        fputs("</li>\n", f);
    }
    fputs("</ul>\n", f);
}

static const char style[] =
    "body{font-family:sans-serif;margin:24px;color:#111;max-width:1200px}"
    "table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}.fail{color:#b00;font-weight:bold}.pass{color:#070}"
    ".legend span{margin-right:14px;font-size:13px}"
    ".legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:middle}"
    ".chart{overflow-x:auto}.warn{color:#a60}code{font-size:12px}";

int kb_report_write_html(FILE *f, const kb_report *r, char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>kbench report</title>\n"
               "<style>%s</style>\n</head>\n<body>\n<h1>kbench report</h1>\n",
            style);
    header(f, r);
    rooflines(f, r);
    bars(f, r);
    if (r->has_base == 2) changes(f, r);
    verification(f, r);
    fputs("</body>\n</html>\n", f);
    return ferror(f) ? -1 : 0;
}
