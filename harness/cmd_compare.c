/*
 * cmd_compare.c - `kbench compare BASE NEW`: two result files, benchmark by
 * benchmark, with the Mann-Whitney U test over the repetitions and a
 * threshold (docs/compare.md); a console table, GitHub markdown or JSON.
 * Exit 1 when something got slower or stopped verifying.
 *
 * Its options are its own, so it parses them with getopt_long directly
 * rather than through the shared kb_parse_options (cli.c).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "commands.h"
#include "compare.h"
#include "diag.h"
#include "result_file.h"

static const char usage[] =
    "usage: kbench compare BASE NEW [options]\n"
    "\n"
    "Compare two result files (kbench run --json, or any Google Benchmark JSON with\n"
    "repetitions) benchmark by benchmark: the median times, their ratio, the\n"
    "Mann-Whitney U test over the repetitions (two-sided, as google/benchmark's\n"
    "compare.py) and a verdict: slower, faster, same, noisy, failed (stopped\n"
    "verifying or errors in NEW) or fixed.  Benchmarks match by name, which holds\n"
    "the op, plugin.kernel, case and placement.  Exit status 1 when anything is\n"
    "slower or failed, 0 otherwise, 2 for usage errors and unreadable files.\n"
    "\n"
    "options:\n"
    "  --alpha A          significance level of the U test (default 0.05)\n"
    "  --threshold PCT    smallest change in the median that counts (default 5)\n"
    "  --max-cv PCT       a side whose cv is above this is too noisy to call (default 20)\n"
    "  --filter REGEX     only benchmarks whose name matches (POSIX extended regex)\n"
    "  --markdown         a GitHub-flavoured markdown table (for a CI job summary)\n"
    "  --json             a JSON object\n"
    "  --allow-topology-mismatch\n"
    "                     compare files from machines with different fingerprints\n"
    "  -h, --help         this text\n"
    "\n"
    "docs/compare.md has the rules and examples.\n";

/* A number, with an optional trailing '%' for a percentage; `ok` says whether
 * it is in range, `range` how the message describes the range. */
static double parse_number(const char *opt, const char *val, int percent, int (*ok)(double), const char *range)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (percent && end != val && *end == '%') end++;
    if (errno || end == val || *end || !isfinite(v) || !ok(v))
        kb_usage_error("compare: %s needs %s in %s, got '%s'", opt, percent ? "a percentage" : "a number", range,
                       val);
    return v;
}

static int alpha_ok(double v) { return v > 0 && v < 1; }
static int threshold_ok(double v) { return v >= 0 && v <= 1000; }
static int max_cv_ok(double v) { return v > 0 && v <= 10000; }

static void fmt_change(char *buf, size_t n, double ratio)
{
    if (isnan(ratio)) snprintf(buf, n, "-");
    else snprintf(buf, n, "%+.1f%%", (ratio - 1) * 100);
}

static void fmt_p(char *buf, size_t n, double p)
{
    if (isnan(p)) snprintf(buf, n, "-");
    else if (p < 1e-4) snprintf(buf, n, "%.1e", p);
    else snprintf(buf, n, "%.4f", p);
}

/* Slower, faster and same explain themselves by their numbers. */
static const char *note(const kb_compare_row *r)
{
    return r->verdict == KB_CMP_NOISY || r->verdict == KB_CMP_FAILED || r->verdict == KB_CMP_FIXED ? r->reason : "";
}

static void print_summary(FILE *f, const kb_compare_result *r)
{
    fprintf(f, "compare: %d matched: %d slower, %d faster, %d same, %d noisy, %d failed, %d fixed; geomean ratio ",
            r->row_count, r->counts[KB_CMP_SLOWER], r->counts[KB_CMP_FASTER], r->counts[KB_CMP_SAME],
            r->counts[KB_CMP_NOISY], r->counts[KB_CMP_FAILED], r->counts[KB_CMP_FIXED]);
    if (isnan(r->geomean_ratio)) fprintf(f, "-\n");
    else fprintf(f, "%.3f\n", r->geomean_ratio);
}

static void print_console(FILE *f, const kb_compare_result *r, char warnings[][512], int nwarn)
{
    int w = 9;
    for (int i = 0; i < r->row_count; i++) {
        int l = (int)strlen(r->rows[i].name);
        if (l > w) w = l;
    }
    if (r->row_count) {
        fprintf(f, "%-*s  %11s  %11s  %8s  %8s  %-7s  note\n", w, "benchmark", "base", "new", "change", "p-value",
                "verdict");
        for (int i = 0; i < r->row_count; i++) {
            const kb_compare_row *row = &r->rows[i];
            char b[32], n[32], c[32], p[32];
            kb_format_seconds(b, sizeof b, row->base_median);
            kb_format_seconds(n, sizeof n, row->new_median);
            fmt_change(c, sizeof c, row->ratio);
            fmt_p(p, sizeof p, row->p_value);
            const char *why = note(row);
            fprintf(f, "%-*s  %11s  %11s  %8s  %8s  %-*s%s%s\n", w, row->name, b, n, c, p, *why ? 7 : 0,
                    kb_cmp_verdict_name(row->verdict), *why ? "  " : "", why);
        }
    }
    if (r->only_base_count) {
        fprintf(f, "only in BASE:\n");
        for (int i = 0; i < r->only_base_count; i++) fprintf(f, "  %s\n", r->only_base[i]);
    }
    if (r->only_new_count) {
        fprintf(f, "only in NEW:\n");
        for (int i = 0; i < r->only_new_count; i++) fprintf(f, "  %s\n", r->only_new[i]);
    }
    for (int i = 0; i < nwarn; i++) kb_warn("%s", warnings[i]);
    print_summary(f, r);
}

/* A name in a markdown table cell: code span, '|' escaped. */
static void md_name(FILE *f, const char *s)
{
    fputc('`', f);
    for (; *s; s++) {
        if (*s == '|') fputs("\\|", f);
        else if (*s == '`') fputc('\'', f);
        else fputc(*s, f);
    }
    fputc('`', f);
}

static void md_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '*' || *s == '_' || *s == '<' || *s == '`') fputc('\\', f);
        if (*s == '\n') fputc(' ', f);
        else fputc(*s, f);
    }
}

static void print_markdown(FILE *f, const kb_compare_result *r, char warnings[][512], int nwarn)
{
    fprintf(f, "| benchmark | base | new | change | p-value | verdict | note |\n");
    fprintf(f, "| :-- | --: | --: | --: | --: | :-- | :-- |\n");
    for (int i = 0; i < r->row_count; i++) {
        const kb_compare_row *row = &r->rows[i];
        char b[32], n[32], c[32], p[32];
        kb_format_seconds(b, sizeof b, row->base_median);
        kb_format_seconds(n, sizeof n, row->new_median);
        fmt_change(c, sizeof c, row->ratio);
        fmt_p(p, sizeof p, row->p_value);
        int bad = row->verdict == KB_CMP_SLOWER || row->verdict == KB_CMP_FAILED;
        fputs("| ", f);
        md_name(f, row->name);
        fprintf(f, " | %s | %s | %s | %s | %s%s%s | ", b, n, c, p, bad ? "**" : "",
                kb_cmp_verdict_name(row->verdict), bad ? "**" : "");
        md_text(f, note(row));
        fputs(" |\n", f);
    }
    const char *titles[2] = {"only in BASE:", "only in NEW:"};
    const char *const *lists[2] = {r->only_base, r->only_new};
    int counts[2] = {r->only_base_count, r->only_new_count};
    for (int k = 0; k < 2; k++) {
        if (!counts[k]) continue;
        fprintf(f, "\n%s\n\n", titles[k]);
        for (int i = 0; i < counts[k]; i++) {
            fputs("- ", f);
            md_name(f, lists[k][i]);
            fputc('\n', f);
        }
    }
    for (int i = 0; i < nwarn; i++) {
        fputs("\n> **warning:** ", f);
        md_text(f, warnings[i]);
        fputc('\n', f);
        kb_warn("%s", warnings[i]);
    }
    fputc('\n', f);
    print_summary(f, r);
}

static json_t *num_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void print_json(FILE *f, const kb_result_file *base, const kb_result_file *nw, const kb_compare_options *o,
                       const kb_compare_result *r, char warnings[][512], int nwarn)
{
    json_t *j = json_object();
    json_object_set_new(j, "base", json_string(base->path));
    json_object_set_new(j, "new", json_string(nw->path));
    json_object_set_new(j, "base_fingerprint", str_or_null(base->fingerprint));
    json_object_set_new(j, "new_fingerprint", str_or_null(nw->fingerprint));
    json_object_set_new(j, "alpha", json_real(o->alpha));
    json_object_set_new(j, "threshold", json_real(o->threshold * 100));
    json_object_set_new(j, "max_cv", json_real(o->max_cv * 100));
    json_t *rows = json_array();
    for (int i = 0; i < r->row_count; i++) {
        const kb_compare_row *row = &r->rows[i];
        json_t *b = json_object();
        json_object_set_new(b, "name", json_string(row->name));
        json_object_set_new(b, "base_median", num_or_null(row->base_median));
        json_object_set_new(b, "new_median", num_or_null(row->new_median));
        json_object_set_new(b, "ratio", num_or_null(row->ratio));
        json_object_set_new(b, "p_value", num_or_null(row->p_value));
        json_object_set_new(b, "p_beyond_threshold", num_or_null(row->p_beyond));
        json_object_set_new(b, "verdict", json_string(kb_cmp_verdict_name(row->verdict)));
        json_object_set_new(b, "reason", json_string(row->reason));
        json_object_set_new(b, "base_repetitions", json_integer(row->base_n));
        json_object_set_new(b, "new_repetitions", json_integer(row->new_n));
        json_object_set_new(b, "base_cv", num_or_null(row->base_cv));
        json_object_set_new(b, "new_cv", num_or_null(row->new_cv));
        json_array_append_new(rows, b);
    }
    json_object_set_new(j, "benchmarks", rows);
    json_t *ob = json_array(), *on = json_array(), *wa = json_array();
    for (int i = 0; i < r->only_base_count; i++) json_array_append_new(ob, json_string(r->only_base[i]));
    for (int i = 0; i < r->only_new_count; i++) json_array_append_new(on, json_string(r->only_new[i]));
    json_object_set_new(j, "only_in_base", ob);
    json_object_set_new(j, "only_in_new", on);
    json_t *s = json_object();
    json_object_set_new(s, "matched", json_integer(r->row_count));
    for (int v = 0; v < KB_CMP_VERDICTS; v++)
        json_object_set_new(s, kb_cmp_verdict_name((kb_cmp_verdict)v), json_integer(r->counts[v]));
    json_object_set_new(s, "only_in_base", json_integer(r->only_base_count));
    json_object_set_new(s, "only_in_new", json_integer(r->only_new_count));
    json_object_set_new(j, "summary", s);
    json_object_set_new(j, "geomean_ratio", num_or_null(r->geomean_ratio));
    json_object_set_new(j, "regression", json_boolean(r->regression));
    for (int i = 0; i < nwarn; i++) {
        json_array_append_new(wa, json_string(warnings[i]));
        kb_warn("%s", warnings[i]);
    }
    json_object_set_new(j, "warnings", wa);
    json_dumpf(j, f, JSON_INDENT(2));
    fputc('\n', f);
    json_decref(j);
}

enum { FMT_CONSOLE, FMT_MARKDOWN, FMT_JSON };
#define MAX_WARNINGS 4

int kb_cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"alpha", required_argument, NULL, 'a'},
        {"threshold", required_argument, NULL, 't'},
        {"max-cv", required_argument, NULL, 'c'},
        {"filter", required_argument, NULL, 'f'},
        {"markdown", no_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"allow-topology-mismatch", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    kb_compare_options o;
    kb_compare_defaults(&o);
    const char *filter = NULL;
    int format = FMT_CONSOLE, allow_mismatch = 0, ch;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(usage, stdout); return KB_EXIT_OK;
        case 'a': o.alpha = parse_number("--alpha", optarg, 0, alpha_ok, "(0, 1)"); break;
        case 't': o.threshold = parse_number("--threshold", optarg, 1, threshold_ok, "[0, 1000]") / 100; break;
        case 'c': o.max_cv = parse_number("--max-cv", optarg, 1, max_cv_ok, "(0, 10000]") / 100; break;
        case 'f': filter = optarg; break;
        case 'm':
            if (format == FMT_JSON) kb_usage_error("compare: --markdown and --json exclude each other");
            format = FMT_MARKDOWN;
            break;
        case 'j':
            if (format == FMT_MARKDOWN) kb_usage_error("compare: --markdown and --json exclude each other");
            format = FMT_JSON;
            break;
        case 'T': allow_mismatch = 1; break;
        case ':': kb_usage_error("compare: option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) kb_usage_error("compare: unknown option '-%c' (see kbench compare --help)", optopt);
            kb_usage_error("compare: unknown option '%s' (see kbench compare --help)", argv[optind - 1]);
        }
    }
    if (argc - optind != 2) {
        if (argc - optind > 2)
            kb_usage_error("compare: unexpected argument '%s': expected two result files, BASE and NEW",
                           argv[optind + 2]);
        kb_usage_error("compare: expected two result files, BASE and NEW (see kbench compare --help)");
    }
    const char *base_path = argv[optind], *new_path = argv[optind + 1];

    regex_t re;
    if (filter) {
        int rc = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char why[256];
            regerror(rc, &re, why, sizeof why);
            kb_usage_error("compare: --filter '%s': %s", filter, why);
        }
        o.filter = &re;
    }

    kb_result_file base, nw;
    char err[1024];
    if (kb_result_file_load(base_path, &base, err, sizeof err)) {
        if (filter) regfree(&re);
        kb_usage_error("compare: %s", err);
    }
    if (kb_result_file_load(new_path, &nw, err, sizeof err)) {
        kb_result_file_free(&base);
        if (filter) regfree(&re);
        kb_usage_error("compare: %s", err);
    }

    char warnings[MAX_WARNINGS][512];
    int nwarn = 0;
    if (kb_compare_fingerprints_differ(&base, &nw)) {
        if (!allow_mismatch) {
            snprintf(err, sizeof err,
                     "compare: BASE and NEW come from different machines (fingerprints %s and %s); "
                     "use --allow-topology-mismatch to compare anyway",
                     base.fingerprint, nw.fingerprint);
            kb_result_file_free(&base);
            kb_result_file_free(&nw);
            if (filter) regfree(&re);
            kb_usage_error("%s", err);
        }
        snprintf(warnings[nwarn++], sizeof warnings[0],
                 "compare: BASE and NEW come from different machines (fingerprints %s and %s): "
                 "differences may be the machines', not the code's",
                 base.fingerprint, nw.fingerprint);
    }

    kb_compare_result r;
    if (kb_compare(&base, &nw, &o, &r)) {
        kb_result_file_free(&base);
        kb_result_file_free(&nw);
        if (filter) regfree(&re);
        kb_usage_error("out of memory");
    }
    if (r.placement_pairs)
        snprintf(warnings[nwarn++], sizeof warnings[0],
                 "compare: %d benchmark%s of BASE %s in NEW with another placement (e.g. BASE %s, NEW %s): "
                 "placements are part of the names, so these are not compared",
                 r.placement_pairs, r.placement_pairs == 1 ? "" : "s", r.placement_pairs == 1 ? "is" : "are",
                 r.placement_base, r.placement_new);
    else if (!r.row_count && (r.only_base_count || r.only_new_count))
        snprintf(warnings[nwarn++], sizeof warnings[0], "compare: no benchmark is in both BASE and NEW");
    else if (!r.row_count && filter)
        snprintf(warnings[nwarn++], sizeof warnings[0], "compare: --filter '%.200s' matches no benchmark", filter);
    if (r.low_power)
        snprintf(warnings[nwarn++], sizeof warnings[0],
                 "compare: fewer than %d repetitions (BASE %d, NEW %d): the U test has little power; "
                 "use --repetitions %d or more",
                 KB_CMP_GOOD_REPETITIONS, r.low_power_base_n, r.low_power_new_n, KB_CMP_GOOD_REPETITIONS);

    if (format == FMT_JSON) print_json(stdout, &base, &nw, &o, &r, warnings, nwarn);
    else if (format == FMT_MARKDOWN) print_markdown(stdout, &r, warnings, nwarn);
    else print_console(stdout, &r, warnings, nwarn);
    fflush(stdout);

    int regression = r.regression;
    kb_compare_result_free(&r);
    kb_result_file_free(&base);
    kb_result_file_free(&nw);
    if (filter) regfree(&re);
    return regression ? KB_EXIT_FAILED : KB_EXIT_OK;
}
