/*
 * cmd_topo.c - `kbench topo`: the machine as hwloc sees it, its fingerprint
 * and the facts behind it (docs/topology.md), as text or JSON, of this
 * machine or of a saved hwloc XML file.
 *
 * Its two options are its own, so it parses them with getopt_long directly
 * rather than through the shared kb_parse_options (cli.c).
 */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "diag.h"
#include "topology.h"

static const char usage[] =
    "usage: kbench topo [options]\n"
    "\n"
    "Show the machine as hwloc discovers it: CPU model, packages, cores, PUs, NUMA\n"
    "nodes and memory, caches, GPUs and coprocessors with the cores near them, and\n"
    "the topology fingerprint that keys results/, with the facts it hashes.\n"
    "\n"
    "options:\n"
    "  --json         the same facts as a JSON object\n"
    "  --input FILE   a saved hwloc XML topology instead of this machine\n"
    "                 (results/<fingerprint>/topology.xml, or `lstopo --of xml`)\n"
    "  -h, --help     this text\n";

int kb_cmd_topo(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"input", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *input = NULL;
    int json = 0, ch;
    opterr = 0;
    optind = 1;
    while ((ch = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': fputs(usage, stdout); return KB_EXIT_OK;
        case 'j': json = 1; break;
        case 'i': input = optarg; break;
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
    if (json) {
        json_t *j = kb_topology_json(t);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    } else {
        kb_topology_print(t, stdout);
    }
    kb_topology_free(t);
    return KB_EXIT_OK;
}
