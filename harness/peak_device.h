/*
 * peak_device.h - device ceilings for kbench peak, measured through each
 * available device plugin's hooks and kernels (peak_device.c).
 */
#ifndef KBENCH_HARNESS_PEAK_DEVICE_H
#define KBENCH_HARNESS_PEAK_DEVICE_H

#include "devices.h"
#include "load.h"
#include "peak.h"

/* Measure every available device plugin among `devs` into p->devices.
 * Returns how many were measured. */
int kb_peak_measure_devices(kb_peak *p, const kb_device_fact *devs, int ndev, const kb_registry *reg);

#endif
