/*
 * figures.h - the work a case represents, as docs/ops.md defines it once:
 * FLOPs for matmul and attention, bytes read + written for softmax and
 * quantize.  Every throughput kbench prints or records comes from here.
 */
#ifndef KBENCH_HARNESS_FIGURES_H
#define KBENCH_HARNESS_FIGURES_H

#include "kb_case.h"

typedef struct kb_figures {
    double flops;      /* floating-point (int8 matmul: integer) operations per run; 0 if not counted */
    double bytes;      /* bytes read + written per run (each tensor once) */
    int compute_bound; /* 1: report GFLOP/s (matmul, attention); 0: GB/s */
} kb_figures;

kb_figures kb_case_figures(const kb_case *c);

/* "op/plugin.kernel/case/PLACEMENT", e.g.
 * "matmul/cpu.simple/m=64,n=64,k=64,a=f16,c=f32/threads=2,bind=compact":
 * the stable benchmark name. */
void kb_benchmark_name(char *buf, size_t n, const kb_case *c, const char *plugin, const char *kernel,
                       const char *placement);

#endif
