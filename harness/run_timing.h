/*
 * run_timing.h - the time stage of `kbench run` for one placement: a
 * verified kernel timed in its worker process (or in kbench, --no-isolate),
 * from the PUs nearest its device for a device plugin, and with --rounds R
 * its repetitions split over R passes (docs/timing.md).
 */
#ifndef KBENCH_HARNESS_RUN_TIMING_H
#define KBENCH_HARNESS_RUN_TIMING_H

#include <hwloc.h>

#include "devices.h"
#include "load.h"
#include "placement.h"
#include "results.h"
#include "timing.h"
#include "verify.h"

typedef struct kb_run_timer {
    kb_registry *reg;
    const kb_timing_options *to; /* to->repetitions: all rounds together */
    int rounds;
    const kb_device_fact *devs;  /* the device plugins' devices (their PCI bus ids) */
    int ndev;
    hwloc_topology_t hw;
    const kb_placement *pl;
    hwloc_const_bitmap_t original; /* kbench's binding to return to */
} kb_run_timer;

/* Time target t on case c into r->timing: all repetitions, or round 1's
 * share of them with --rounds. */
void kb_run_time_first(const kb_run_timer *rt, kb_verify_target *t, const kb_case *c, kb_result *r);

/* Round k (1 .. rounds-1): one pass over every benchmark timed so far in
 * this placement (rec->results[from..count)), in fresh worker processes,
 * each benchmark's share of repetitions added to its timing (a failure
 * makes it a timing failure, printed as a FAIL line). */
void kb_run_time_round(const kb_run_timer *rt, kb_run_record *rec, int from, int k);

#endif
