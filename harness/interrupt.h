/*
 * interrupt.h - SIGINT and SIGTERM during a run: the first one lets the
 * kernel in flight finish and then stops, so that everything finished is
 * written (marked incomplete); the second one stops the kernel in flight too
 * (its worker is killed; with --no-isolate, kbench dies of the signal, and
 * the result files already streamed stay valid).
 */
#ifndef KBENCH_HARNESS_INTERRUPT_H
#define KBENCH_HARNESS_INTERRUPT_H

/* Catch SIGINT and SIGTERM from now on.  `in_process`: kernels run in this
 * process (--no-isolate), so the second signal kills kbench. */
void kb_interrupt_install(int in_process);

/* How many signals arrived (0, 1, 2...). */
int kb_interrupted(void);

/* The first signal's number (0 if none). */
int kb_interrupt_signal(void);

/* kb_interrupted() >= 2, for kb_msg_recv. */
int kb_interrupt_hard(void);

/* The documented exit code of an interrupted run: 128 + the signal. */
int kb_interrupt_exit_code(void);

#endif
