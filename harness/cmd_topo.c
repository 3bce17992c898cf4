/*
 * cmd_topo.c - `kbench topo`: the machine as hwloc sees it, its fingerprint
 * and the facts behind it (docs/topology.md), as text or JSON, of this
 * machine or of a saved hwloc XML file.
 *
 * Its options are its own, so it parses them with getopt_long directly
 * rather than through the shared kb_parse_options (cli.c).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "devices.h"
#include "diag.h"
#include "discover.h"
#include "load.h"
#include "topology.h"

static const char usage[] =
    "usage: kbench topo [options]\n"
    "\n"
    "Show the machine as hwloc discovers it: CPU model, packages, cores, PUs, NUMA\n"
    "nodes and memory, caches, GPUs and coprocessors with the cores near them, and\n"
    "the topology fingerprint that keys results/, with the facts it hashes; and\n"
    "the devices of the device plugins found (their device_info hook).\n"
    "\n"
    "options:\n"
    "  --json         the same facts as a JSON object\n"
    "  --input FILE   a saved hwloc XML topology instead of this machine\n"
    "                 (results/<fingerprint>/topology.xml, or `lstopo --of xml`)\n"
    "  --plugin PATH  also load this plugin file (repeatable), for its device\n"
    "  -h, --help     this text\n";

int kb_cmd_topo(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"input", required_argument, NULL, 'i'},
        {"plugin", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *input = NULL, *paths[KB_MAX_PLUGIN_ARGS];
    int json = 0, ch, npaths = 0;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(usage, stdout); return KB_EXIT_OK;
        case 'j': json = 1; break;
        case 'i': input = optarg; break;
        case 'p':
            if (npaths == KB_MAX_PLUGIN_ARGS) kb_usage_error("topo: too many --plugin options");
            paths[npaths++] = optarg;
            break;
        case ':': kb_usage_error("topo: option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt) kb_usage_error("topo: unknown option '-%c' (see kbench topo --help)", optopt);
            kb_usage_error("topo: unknown option '%s' (see kbench topo --help)", argv[optind - 1]);
        }
    }
    if (optind < argc) kb_usage_error("topo: unexpected argument '%s' (see kbench topo --help)", argv[optind]);

    kb_topology *t;
    char err[512];
    if (kb_topology_load(&t, input, err, sizeof err) != 0) /* an unreadable input: exit 2 */
        kb_usage_error("topo: %s%s", input ? "--input " : "", err);
    /* Devices come from this machine's plugins, so not with --input. */
    kb_device_fact devs[KB_MAX_DEVICES];
    int ndev = 0, have_devices = !input;
    kb_found found;
    kb_registry reg;
    if (have_devices) {
        if (kb_discover(paths, npaths, &found) || kb_registry_load(&found, kb_online_cpus(), &reg))
            kb_usage_error("out of memory");
        for (int i = 0; i < reg.error_count; i++) kb_warn("%s", reg.errors[i]);
        ndev = kb_collect_devices(&reg, devs, KB_MAX_DEVICES);
    }
    if (json) {
        json_t *j = kb_topology_json(t);
        if (have_devices) json_object_set_new(j, "devices", kb_devices_json(devs, ndev));
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    } else {
        kb_topology_print(t, stdout);
        if (have_devices) kb_devices_print(devs, ndev, stdout);
    }
    if (have_devices) {
        kb_registry_free(&reg);
        kb_found_free(&found);
    }
    kb_topology_free(t);
    return KB_EXIT_OK;
}
