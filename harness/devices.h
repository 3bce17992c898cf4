/*
 * devices.h - the devices behind the loaded device plugins, as their
 * device_info hooks describe them: recorded with results and shown by
 * `kbench topo`.  hwloc sees GPUs on PCI; only the plugin knows which one it
 * drives.
 */
#ifndef KBENCH_HARNESS_DEVICES_H
#define KBENCH_HARNESS_DEVICES_H

#include <jansson.h>

#include <kbench/plugin.h>

#include "load.h"

typedef struct kb_device_fact {
    char plugin[72];
    char backend[24];
    int available;
    char why[256];       /* unavailable: the plugin's reason */
    int has_info;
    kb_device_info info;
} kb_device_fact;

#define KB_MAX_DEVICES 16

/* One entry per loaded plugin whose backend is not host.  Returns how many. */
int kb_collect_devices(const kb_registry *reg, kb_device_fact *out, int max);

json_t *kb_devices_json(const kb_device_fact *d, int n);
void kb_devices_print(const kb_device_fact *d, int n, FILE *f);

#endif
