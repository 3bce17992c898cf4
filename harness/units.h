/*
 * units.h - how kbench prints a time for people: "12.345 us", "1.2 ns";
 * "-" for NaN (no time).  One format for the run table, compare and history.
 */
#ifndef KBENCH_HARNESS_UNITS_H
#define KBENCH_HARNESS_UNITS_H

#include <stddef.h>

void kb_format_seconds(char *buf, size_t n, double seconds);

#endif
