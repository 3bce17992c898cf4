/*
 * cmd_peak.c - `kbench peak`: measure the roofline ceilings (peak.h) and
 * print them as a table or as JSON; --save writes the JSON atomically.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "commands.h"
#include "devices.h"
#include "diag.h"
#include "discover.h"
#include "load.h"
#include "peak.h"
#include "peak_device.h"
#include "store.h"
#include "topology.h"

static const char usage[] =
    "usage: kbench peak [options]\n"
    "\n"
    "Measure this machine's roofline ceilings: FP32 FMA GFLOP/s and STREAM copy and\n"
    "triad GB/s with arrays far larger than the last-level cache (DRAM) and with\n"
    "arrays totalling half of it (LLC), on one core and on all cores, each thread\n"
    "pinned to its own CPU.  Best of several trials; a few seconds.  Then each\n"
    "available device plugin's device: bandwidth from its copy hook, matrix\n"
    "throughput from its fastest f16 matmul kernel.  docs/roofline.md explains the method.\n"
    "\n"
    "options:\n"
    "  --threads N   threads for the all-core figures (default: the CPUs available)\n"
    "  --json        print the JSON instead of the table\n"
    "  --save FILE   also write the JSON to FILE (atomically)\n"
    "  --store       also write it to RESULTS-DIR/<fingerprint>/peak.json, where\n"
    "                `kbench run` looks for this machine's ceilings\n"
    "  --results-dir DIR  the results store for --store (default: results)\n"
    "  --plugin PATH also load this plugin file (repeatable), to measure its device\n"
    "  -h, --help    this text\n";

static void print_table(const kb_peak *p, double seconds)
{
    char all[32];
    snprintf(all, sizeof all, "%d core%s", p->cores, p->cores == 1 ? "" : "s");
    printf("kbench peak: ISA path %s, LLC %.1f MiB, measured %s\n\n", p->isa, (double)p->llc_bytes / (1 << 20),
           p->date);
    printf("%-24s %12s %12s\n", "ceiling", "1 core", all);
    printf("%-24s %12.1f %12.1f\n", "FP32 FMA GFLOP/s", p->fma_gflops_1, p->fma_gflops_all);
    printf("%-24s %12.1f %12.1f\n", "copy DRAM GB/s", p->copy_dram_gbs_1, p->copy_dram_gbs_all);
    printf("%-24s %12.1f %12.1f\n", "triad DRAM GB/s", p->triad_dram_gbs_1, p->triad_dram_gbs_all);
    printf("%-24s %12.1f %12.1f\n", "copy LLC GB/s", p->copy_llc_gbs_1, p->copy_llc_gbs_all);
    printf("%-24s %12.1f %12.1f\n", "triad LLC GB/s", p->triad_llc_gbs_1, p->triad_llc_gbs_all);
    printf("\nGB/s = 1e9 bytes/s, counted as STREAM does (copy 16, triad 24 bytes per element).\n");
    for (int i = 0; i < p->device_count; i++) {
        const kb_device_peak *d = &p->devices[i];
        printf("device %s (%s): copy %.1f GB/s, f16 matmul %.1f GFLOP/s%s%s%s\n", d->plugin,
               d->name[0] ? d->name : "no device_info", d->copy_gbs, d->matmul_gflops,
               d->matmul_kernel[0] ? " (kernel " : "", d->matmul_kernel, d->matmul_kernel[0] ? ")" : "");
        if (d->note[0]) printf("  note: %s\n", d->note);
    }
    if (!p->device_count) printf("no available device plugin: no device ceilings\n");
    printf("took %.1f s\n", seconds);
}

int kb_cmd_peak(int argc, char **argv)
{
    static const struct option longopts[] = {{"threads", required_argument, NULL, 't'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"save", required_argument, NULL, 's'},
                                             {"store", no_argument, NULL, 'S'},
                                             {"results-dir", required_argument, NULL, 'R'},
                                             {"plugin", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int threads = 0, json = 0, store = 0, npaths = 0;
    const char *save = NULL, *results_dir = "results", *paths[KB_MAX_PLUGIN_ARGS];
    int avail = kb_online_cpus();
    opterr = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(usage, stdout); return KB_EXIT_OK;
        case 't': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > avail)
                kb_usage_error("peak: --threads needs an integer in [1, %d] (the CPUs available), got '%s'", avail,
                               optarg);
            threads = (int)v;
            break;
        }
        case 'j': json = 1; break;
        case 's': save = kb_check_writable("peak", "--save", optarg); break;
        case 'S': store = 1; break;
        case 'R': results_dir = optarg; break;
        case 'p':
            if (npaths == KB_MAX_PLUGIN_ARGS) kb_usage_error("peak: too many --plugin options");
            paths[npaths++] = optarg;
            break;
        case ':': kb_usage_error("peak: option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) kb_usage_error("peak: unknown option '-%c' (see kbench peak --help)", optopt);
            kb_usage_error("peak: unknown option '%s' (see kbench peak --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) kb_usage_error("peak: unexpected argument '%s' (see kbench peak --help)", argv[optind]);

    kb_peak p;
    char err[256];
    double t0 = kb_now();
    kb_topology *topo;
    if (kb_topology_load(&topo, NULL, err, sizeof err)) kb_usage_error("peak: hardware topology: %s", err);
    char store_path[4200] = "";
    if (store) {
        char dir[4100];
        if (kb_store_dir(results_dir, kb_topology_fingerprint(topo), dir, sizeof dir, err, sizeof err))
            kb_usage_error("peak: --store: %s", err);
        snprintf(store_path, sizeof store_path, "%s/peak.json", dir);
    }
    if (kb_peak_measure(&p, threads, err, sizeof err)) kb_usage_error("peak: %s", err);
    snprintf(p.fingerprint, sizeof p.fingerprint, "%s", kb_topology_fingerprint(topo));
    kb_topology_free(topo);
    kb_found found;
    kb_registry reg;
    if (kb_discover(paths, npaths, &found) || kb_registry_load(&found, threads ? threads : avail, &reg))
        kb_usage_error("out of memory");
    for (int i = 0; i < reg.error_count; i++) kb_warn("%s", reg.errors[i]);
    kb_device_fact devs[KB_MAX_DEVICES];
    kb_peak_measure_devices(&p, devs, kb_collect_devices(&reg, devs, KB_MAX_DEVICES), &reg);
    kb_registry_free(&reg);
    kb_found_free(&found);
    double seconds = kb_now() - t0;
    if (save && kb_peak_save(&p, save, err, sizeof err)) kb_usage_error("peak: %s", err);
    if (store && kb_peak_save(&p, store_path, err, sizeof err)) kb_usage_error("peak: %s", err);
    if (json) {
        if (kb_peak_save(&p, "-", err, sizeof err)) kb_usage_error("peak: %s", err);
    } else {
        print_table(&p, seconds);
        if (save) printf("saved %s\n", save);
        if (store) printf("stored %s\n", store_path);
    }
    return KB_EXIT_OK;
}
