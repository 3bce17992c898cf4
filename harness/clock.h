/*
 * clock.h - the one clock kbench reads for wall time: CLOCK_MONOTONIC, in
 * seconds (never adjusted by NTP, unlike CLOCK_REALTIME).
 */
#ifndef KBENCH_HARNESS_CLOCK_H
#define KBENCH_HARNESS_CLOCK_H

#include <time.h>

static inline double kb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#endif
