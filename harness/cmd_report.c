/*
 * cmd_report.c - `kbench report RESULTS.json...`: one self-contained HTML
 * page (roofline, throughput bars, change against BASE, verification) or a
 * markdown summary (docs/report.md).  Its options are its own, parsed with
 * getopt_long as `kbench compare` parses its.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "atomic_file.h"
#include "commands.h"
#include "diag.h"
#include "report.h"

static const char usage[] =
    "usage: kbench report RESULTS.json [MORE.json ...] [options] (-o report.html | --markdown)\n"
    "\n"
    "Render result files (kbench run --json) as one self-contained HTML page: the\n"
    "machines, a roofline chart per machine fingerprint, each op's throughput per\n"
    "case and kernel, the change against BASE (with --base) and the verification\n"
    "table with the failures.  No scripts, fonts or links: the charts are inline SVG.\n"
    "Exit status 0 when the report was written, 2 for usage errors and unreadable\n"
    "files.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   write the HTML page to FILE (atomically)\n"
    "  --markdown          print a markdown summary (tables) to stdout instead\n"
    "  --base BASE.json    also chart each benchmark's change from BASE to the first\n"
    "                      RESULTS file, with kbench compare's verdicts\n"
    "  --baseline PLUGIN   show each case's speedup against PLUGIN's fastest kernel\n"
    "  -h, --help          this text\n"
    "\n"
    "docs/report.md describes the page.\n";

static int write_html(FILE *f, void *user, char *err, size_t err_len)
{
    return kb_report_write_html(f, user, err, err_len);
}

int kb_cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"markdown", no_argument, NULL, 'm'},
                                             {"base", required_argument, NULL, 'b'},
                                             {"baseline", required_argument, NULL, 'B'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *output = NULL, *base = NULL, *baseline = NULL;
    int markdown = 0, ch;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(usage, stdout); return KB_EXIT_OK;
        case 'o': output = optarg; break;
        case 'm': markdown = 1; break;
        case 'b': base = optarg; break;
        case 'B':
            if (!*optarg) kb_usage_error("report: --baseline needs a plugin name");
            baseline = optarg;
            break;
        case ':': kb_usage_error("report: option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) kb_usage_error("report: unknown option '-%c' (see kbench report --help)", optopt);
            kb_usage_error("report: unknown option '%s' (see kbench report --help)", argv[optind - 1]);
        }
    }
    if (output && markdown) kb_usage_error("report: -o and --markdown exclude each other");
    if (!output && !markdown)
        kb_usage_error("report: say where the report goes: -o report.html, or --markdown for stdout");
    if (optind >= argc) kb_usage_error("report: expected one or more result files (see kbench report --help)");

    kb_report r;
    char err[1024];
    if (kb_report_load(&r, argv + optind, argc - optind, base, baseline, err, sizeof err))
        kb_usage_error("report: %s", err);
    if (baseline) {
        int found = 0;
        for (int i = 0; i < r.count && !found; i++) found = !strcmp(r.benches[i].plugin, baseline);
        if (!found) kb_warn("report: --baseline %s: no benchmark of that plugin, so no speedups", baseline);
    }
    if (r.base_machine_differs) kb_warn("report: BASE and the first RESULTS file come from different machines");

    int rc = KB_EXIT_OK;
    if (markdown) {
        kb_report_write_markdown(stdout, &r);
        fflush(stdout);
    } else if (kb_write_file_atomic(output, write_html, &r, err, sizeof err)) {
        kb_error("report: %s", err);
        rc = KB_EXIT_USAGE;
    } else {
        fprintf(stderr, "report: wrote %s (%d benchmarks from %d file%s)\n", output, r.count, r.input_count,
                r.input_count == 1 ? "" : "s");
    }
    kb_report_free(&r);
    return rc;
}
