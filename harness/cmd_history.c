/*
 * cmd_history.c - `kbench history`: each benchmark across the runs recorded
 * in the history database (history.h), in date order, with the change
 * against the previous run and the change points marked (docs/history.md).
 *
 * Its options are its own, so it parses them with getopt_long directly
 * rather than through the shared kb_parse_options (cli.c).
 */
#include <getopt.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "commands.h"
#include "diag.h"
#include "history.h"

static const char usage[] =
    "usage: kbench history [options]\n"
    "\n"
    "Show each benchmark across the runs recorded in the history database (every\n"
    "`kbench run --save` records one): per run, in date order, the date, the commit,\n"
    "the median time, the change against the previous run, the cv and the\n"
    "verification status.  A change point is marked where the median moved by more\n"
    "than the threshold and the Mann-Whitney U test on the two runs' repetition\n"
    "times gives p < alpha, or where the verification status changed.  Runs on\n"
    "different machines (topology fingerprints) are never compared: each machine\n"
    "is its own group.  docs/history.md describes the database.\n"
    "\n"
    "options:\n"
    "  --db PATH          the history database (default: RESULTS-DIR/history.sqlite)\n"
    "  --results-dir DIR  the results store holding history.sqlite (default: results; not with --db)\n"
    "  --filter REGEX     only benchmarks whose name matches (POSIX extended regex)\n"
    "  --fingerprint ID   only runs on this machine (kbench topo prints its fingerprint)\n"
    "  --threshold PCT    smallest change of the median that counts, in percent (default 5)\n"
    "  --alpha A          significance level of the U test (default 0.05)\n"
    "  -h, --help         this text\n"
    "\n"
    "exit status: 0 shown (change points included), 2 usage error or unreadable database\n";

static double parse_number(const char *opt, const char *s, double lo, double hi, int lo_open)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < lo || (lo_open && v == lo) || v > hi)
        kb_usage_error("history: %s needs a number in %s%g, %g], got '%s'", opt, lo_open ? "(" : "[", lo, hi, s);
    return v;
}

typedef struct opts {
    double threshold, alpha;
} opts;

typedef struct tally {
    int benchmarks, change_points, undetectable;
    double min_p; /* the largest "smallest possible p" among pairs that could not reach alpha */
    int nx, ny;
} tally;

/* One benchmark's block on one machine.  Returns 0, or -1 with a message. */
static int show_benchmark(kb_history *h, const char *name, const char *fingerprint, const opts *o, tally *t,
                          char *err, size_t err_len)
{
    kb_history_point *pts;
    int n;
    if (kb_history_series(h, name, fingerprint, &pts, &n, err, err_len)) return -1;
    if (n == 0) return 0;
    t->benchmarks++;
    printf("%s\n", name);
    for (int i = 0; i < n; i++) {
        const kb_history_point *p = &pts[i];
        char commit[16], med[32] = "-", chg[32] = "-", cv[16] = "-", status[32], mark[96] = "";
        snprintf(commit, sizeof commit, "%.7s", p->git_commit[0] ? p->git_commit : "nogit");
        if (p->timed) {
            kb_format_seconds(med, sizeof med, p->median);
            snprintf(cv, sizeof cv, "%.1f%%", p->cv * 100);
        }
        snprintf(status, sizeof status, "%s%s", p->status,
                 !strcmp(p->status, "PASS") && !p->timed ? " (not timed)" : "");
        if (i > 0) {
            kb_history_change c = kb_history_compare(&pts[i - 1], p, o->threshold, o->alpha);
            if (c.compared) snprintf(chg, sizeof chg, "%+.1f%%", c.change_pct);
            if (c.status)
                snprintf(mark, sizeof mark, "  <- change point (%s -> %s)", pts[i - 1].status, p->status);
            else if (c.timing)
                snprintf(mark, sizeof mark, "  <- change point (%s, p=%.3g)", c.change_pct > 0 ? "slower" : "faster",
                         c.p);
            t->change_points += c.change_point;
            if (c.compared && !c.timing && fabs(c.change_pct) > o->threshold) {
                double mp = kb_history_min_p(pts[i - 1].time_count, p->time_count);
                if (mp >= o->alpha) {
                    t->undetectable++;
                    t->min_p = mp;
                    t->nx = pts[i - 1].time_count;
                    t->ny = p->time_count;
                }
            }
        }
        printf("  %-25s  %-7s  %11s  %8s  %6s  %s%s\n", p->date, commit, med, chg, cv, status, mark);
    }
    kb_history_series_free(pts, n);
    return 0;
}

int kb_cmd_history(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"results-dir", required_argument, NULL, 'R'},
        {"filter", required_argument, NULL, 'f'},
        {"fingerprint", required_argument, NULL, 'F'},
        {"threshold", required_argument, NULL, 't'},
        {"alpha", required_argument, NULL, 'a'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db = NULL, *results_dir = NULL, *filter = NULL, *fingerprint = NULL;
    opts o = {5.0, 0.05};
    int ch;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(usage, stdout); return KB_EXIT_OK;
        case 'd': db = optarg; break;
        case 'R': results_dir = optarg; break;
        case 'f': filter = optarg; break;
        case 'F': fingerprint = optarg; break;
        case 't': o.threshold = parse_number("--threshold", optarg, 0, 1e6, 0); break;
        case 'a': o.alpha = parse_number("--alpha", optarg, 0, 1, 1); break;
        case ':': kb_usage_error("history: option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) kb_usage_error("history: unknown option '-%c' (see kbench history --help)", optopt);
            kb_usage_error("history: unknown option '%s' (see kbench history --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) kb_usage_error("history: unexpected argument '%s' (see kbench history --help)", argv[optind]);
    if (db && results_dir) kb_usage_error("history: give --db or --results-dir, not both");

    char path[4200];
    snprintf(path, sizeof path, "%s", db ? db : "");
    if (!db) snprintf(path, sizeof path, "%s/history.sqlite", results_dir ? results_dir : "results");

    regex_t re;
    if (filter) {
        int rc = regcomp(&re, filter, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char msg[256];
            regerror(rc, &re, msg, sizeof msg);
            kb_usage_error("history: --filter '%s': %s", filter, msg);
        }
    }

    char err[4400];
    kb_history *h;
    if (kb_history_open(path, &h, err, sizeof err)) {
        if (filter) regfree(&re);
        kb_usage_error("history: %s", err);
    }
    kb_history_run *runs = NULL;
    char **names = NULL;
    int nruns = 0, nnames = 0, rc = KB_EXIT_OK;
    if (kb_history_runs(h, fingerprint, &runs, &nruns, err, sizeof err) ||
        kb_history_benchmarks(h, fingerprint, &names, &nnames, err, sizeof err)) {
        kb_error("history: %s", err);
        rc = KB_EXIT_USAGE;
        goto out;
    }
    /* The benchmarks the filter keeps. */
    int kept = 0;
    for (int i = 0; i < nnames; i++) {
        if (filter && regexec(&re, names[i], 0, NULL, 0) != 0) {
            free(names[i]);
            continue;
        }
        names[kept++] = names[i];
    }
    nnames = kept;
    if (nnames == 0) {
        printf("history: no benchmark in %s%s%s%s%s\n", path, fingerprint ? " on machine " : "",
               fingerprint ? fingerprint : "", filter ? " matches " : "", filter ? filter : "");
        goto out;
    }

    /* The machines, in the order of their first run: never compared with each other. */
    char (*fps)[32] = calloc((size_t)nruns + 1, sizeof *fps);
    int *fp_runs = calloc((size_t)nruns + 1, sizeof *fp_runs);
    if (!fps || !fp_runs) kb_usage_error("out of memory");
    int nfp = 0;
    for (int i = 0; i < nruns; i++) {
        int j = 0;
        while (j < nfp && strcmp(fps[j], runs[i].fingerprint)) j++;
        if (j == nfp) snprintf(fps[nfp++], sizeof fps[0], "%s", runs[i].fingerprint);
        fp_runs[j]++;
    }
    printf("history: %s: %d run%s on %d machine%s, %d benchmark%s%s%s (threshold %g%%, alpha %g)\n", path, nruns,
           nruns == 1 ? "" : "s", nfp, nfp == 1 ? "" : "s", nnames, nnames == 1 ? "" : "s",
           filter ? " matching " : "", filter ? filter : "", o.threshold, o.alpha);
    tally t = {0, 0, 0, 0, 0, 0};
    for (int f = 0; f < nfp && rc == KB_EXIT_OK; f++) {
        printf("\nmachine %s (%d run%s)\n", fps[f], fp_runs[f], fp_runs[f] == 1 ? "" : "s");
        printf("  %-25s  %-7s  %11s  %8s  %6s  %s\n", "date", "commit", "median", "change", "cv", "verify");
        for (int i = 0; i < nnames; i++) {
            if (show_benchmark(h, names[i], fps[f], &o, &t, err, sizeof err)) {
                kb_error("history: %s", err);
                rc = KB_EXIT_USAGE;
                break;
            }
        }
    }
    if (rc == KB_EXIT_OK) {
        printf("\nhistory: %d change point%s\n", t.change_points, t.change_points == 1 ? "" : "s");
        if (t.undetectable)
            printf("note: %d change%s above the threshold could not be tested: with %d and %d repetitions the U "
                   "test's smallest p is %.3g, not below alpha %g; record more repetitions (--repetitions 5 or more)\n",
                   t.undetectable, t.undetectable == 1 ? "" : "s", t.nx, t.ny, t.min_p, o.alpha);
    }
    free(fps);
    free(fp_runs);
out:
    kb_history_names_free(names, nnames);
    free(runs);
    kb_history_close(h);
    if (filter) regfree(&re);
    return rc;
}
