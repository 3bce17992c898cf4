/*
 * main.c - `kbench <command> [options]`: dispatch to a command.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "diag.h"

#ifndef KBENCH_VERSION
#define KBENCH_VERSION "unknown"
#endif

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"list", kb_cmd_list, "list plugins, their kernels and what they support"},
    {"verify", kb_cmd_verify, "check kernels against the reference plugin"},
    {"run", kb_cmd_run, "verify, then time with Google Benchmark; table and result files"},
    {"topo", kb_cmd_topo, "the machine (hwloc): cores, caches, NUMA, GPUs, and its fingerprint"},
    {"peak", kb_cmd_peak, "measure the roofline ceilings: FMA GFLOP/s, copy and triad GB/s"},
    {"compare", kb_cmd_compare, "compare two result files: U test, threshold, verdict per benchmark"},
    {"history", kb_cmd_history, "each benchmark across the saved runs, with change points (SQLite)"},
    {"report", kb_cmd_report, "one self-contained HTML page (or markdown) of result files: roofline, bars"},
    {"check-plugin", kb_cmd_check_plugin, "conformance report on one plugin file, for its author"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: kbench <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`kbench <command> --help` describes a command's options.  Docs: docs/.\n"
               "exit status: 0 success, 1 a check failed, 2 usage or input error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return KB_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return KB_EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("kbench %s (plugin ABI %u)\n", KBENCH_VERSION, 1u);
        return KB_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name)) return commands[i].fn(argc - 1, argv + 1);
    kb_usage_error("unknown command '%s' (see kbench --help)", cmd);
}
