/*
 * warnings.h - honest-measurement warnings before a timed run, in the style
 * of Google Benchmark's: things that make numbers less trustworthy.
 */
#ifndef KBENCH_HARNESS_WARNINGS_H
#define KBENCH_HARNESS_WARNINGS_H

/* Print "***WARNING*** ..." lines on stderr: CPU frequency scaling enabled,
 * other load on the CPUs, a debug or sanitizer build of kbench, and too few
 * repetitions for the comparison asked for (--baseline).  Returns how many. */
int kb_measurement_warnings(int repetitions, int comparing);

#endif
