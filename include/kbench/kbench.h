/*
 * kbench/kbench.h - everything a plugin author needs, in one include.
 *
 *   types.h    status codes, dtypes, tensors
 *   ops.h      the four ops and their problem descriptors
 *   plugin.h   the plugin and kernel descriptors, host context, entry point
 *   convert.h  correctly rounded f16/bf16/fp8 conversions, element load/store
 *
 * docs/abi.md explains the ABI; docs/ops.md gives the exact math of each op.
 */
#ifndef KBENCH_KBENCH_H
#define KBENCH_KBENCH_H

#include "types.h"
#include "ops.h"
#include "plugin.h"
#include "convert.h"

#endif /* KBENCH_KBENCH_H */
