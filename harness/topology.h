/*
 * topology.h - the machine a benchmark ran on, discovered by hwloc
 * (docs/topology.md): packages, cores, PUs, NUMA nodes and their memory,
 * caches, GPUs and coprocessors with their CPU locality.
 *
 * Results are keyed by the fingerprint: a short hash of the machine's stable
 * facts only, so identical machines share it and it survives reboots.  The
 * hwloc XML export is stored beside results so `lstopo -i` can draw it.
 */
#ifndef KBENCH_HARNESS_TOPOLOGY_H
#define KBENCH_HARNESS_TOPOLOGY_H

#include <stddef.h>
#include <stdio.h>

#include <hwloc.h>
#include <jansson.h>

typedef struct kb_topology kb_topology;

/* Discover this machine (xml_path NULL) or read a saved hwloc XML file.
 * Disallowed PUs/NUMA nodes (cgroups, taskset) are kept and important I/O
 * devices (GPUs, coprocessors, NICs, disks) are kept, the same way for both,
 * so a machine and its saved XML give the same fingerprint.  Returns 0, or
 * -1 with a one-line message naming the file in err. */
int kb_topology_load(kb_topology **out, const char *xml_path, char *err, size_t err_len);
void kb_topology_free(kb_topology *t);

/* 12 lower-case hex digits: the top 48 bits of FNV-1a 64 over
 * kb_topology_fingerprint_text(). */
const char *kb_topology_fingerprint(const kb_topology *t);
/* The canonical text hashed: one "key=value" fact per line, fixed order. */
const char *kb_topology_fingerprint_text(const kb_topology *t);

/* Write the hwloc XML atomically.  Returns 0, or -1 with "PATH: reason". */
int kb_topology_export_xml(const kb_topology *t, const char *path, char *err, size_t err_len);

/* Whole-machine figures (not this process's cgroup share: kb_online_cpus()
 * in cli.h gives that). */
hwloc_topology_t kb_topology_hwloc(const kb_topology *t);
int kb_topology_packages(const kb_topology *t);
int kb_topology_cores(const kb_topology *t);
int kb_topology_pus(const kb_topology *t);
int kb_topology_numa_nodes(const kb_topology *t);
size_t kb_topology_llc_bytes(const kb_topology *t); /* largest data or unified CPU cache; 0 if unknown */
const char *kb_topology_cpu_model(const kb_topology *t); /* "unknown" when hwloc has none */
double kb_topology_memory_bytes(const kb_topology *t);  /* all NUMA nodes together */

/* A readable summary: fingerprint first, then CPU, memory, caches, GPUs and
 * the fingerprint's facts. */
void kb_topology_print(const kb_topology *t, FILE *f);
/* The same facts as a new JSON object (caller owns the reference). */
json_t *kb_topology_json(const kb_topology *t);

#endif
