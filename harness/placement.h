/*
 * placement.h - where a run's threads go: `--threads 1,2,all` times
 * `--bind compact|spread|none|PU-LIST`.  Each placement is a thread count and
 * the OS indices of the PUs (logical CPUs) it may use; kbench binds its own
 * thread (and, on several NUMA nodes, its memory) there with hwloc and hands
 * the plugin the same thread count and PU list through kb_host_context.
 * docs/placement.md describes the choices.
 */
#ifndef KBENCH_HARNESS_PLACEMENT_H
#define KBENCH_HARNESS_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include <hwloc.h>

#define KB_MAX_PLACEMENTS 16
#define KB_MAX_PUS 1024

typedef enum kb_bind_kind {
    KB_BIND_COMPACT = 0, /* the first PUs in hwloc's logical order: SMT siblings and neighbours first */
    KB_BIND_SPREAD,      /* as far apart as possible (hwloc_distrib): one per core, across packages */
    KB_BIND_NONE,        /* no binding: the OS places threads; the plugin gets no PU list */
    KB_BIND_LIST         /* the PUs named, in that order */
} kb_bind_kind;

/* What the user asked for, parsed but not yet matched to a machine. */
typedef struct kb_placement_spec {
    int thread_value_count;
    int thread_values[KB_MAX_PLACEMENTS]; /* 0 = "all" */
    kb_bind_kind bind;
    int list_count;
    int32_t list[KB_MAX_PUS];             /* KB_BIND_LIST: OS indices */
} kb_placement_spec;

/* One placement on this machine. */
typedef struct kb_placement {
    int threads;
    kb_bind_kind bind;
    int cpu_count;          /* 0 for KB_BIND_NONE */
    int32_t cpus[KB_MAX_PUS];
    char label[128];        /* "threads=2,bind=compact": part of every benchmark name */
} kb_placement;

/* Parse --threads (NULL: "all") and --bind (NULL: "compact").  A PU list is
 * OS indices and ranges joined by '+' or ',' ("0+2", "0-3").  Returns 0, or
 * -1 with a one-line message naming the option. */
int kb_placement_parse(const char *threads_spec, const char *bind_spec, kb_placement_spec *out, char *err,
                       size_t err_len);

/* Resolve the spec on a machine: one placement per distinct thread count, in
 * the order given.  `allowed` is the set of PUs this process may use (NULL:
 * the topology's allowed set).  Returns how many placements, or -1 with a
 * message (a thread count above the PUs available, a PU that is not there). */
int kb_placement_resolve(const kb_placement_spec *spec, hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                         kb_placement *out, int max, char *err, size_t err_len);

/* Bind the calling thread to the placement's PUs (and its memory to their
 * NUMA nodes when there are several); KB_BIND_NONE restores `original`.
 * Returns 0, or -1 with a message. */
int kb_placement_bind(const kb_placement *p, hwloc_topology_t topo, hwloc_const_cpuset_t original, char *err,
                      size_t err_len);



/* Bind the calling thread to the PUs nearest the PCI device `bus_id`
 * ("0000:65:00.0"): the CPU set of its first non-I/O ancestor in hwloc's
 * tree, the host thread of a device plugin then launches from the device's
 * own socket.  Returns 0, or -1 with a message (device not seen by hwloc). */
int kb_bind_near_pci(hwloc_topology_t topo, const char *bus_id, char *where, size_t where_len, char *err,
                     size_t err_len);
#endif
