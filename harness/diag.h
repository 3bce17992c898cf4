/*
 * diag.h - how kbench talks about problems: one line on stderr, prefixed
 * "kbench: ", and the documented exit codes.
 */
#ifndef KBENCH_HARNESS_DIAG_H
#define KBENCH_HARNESS_DIAG_H

enum {
    KB_EXIT_OK = 0,      /* everything checked out */
    KB_EXIT_FAILED = 1,  /* a check failed (verification, regression) */
    KB_EXIT_USAGE = 2    /* the user asked for something wrong or unreadable */
};

/* Print "kbench: MSG" and exit with KB_EXIT_USAGE. */
void kb_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Print "kbench: warning: MSG". */
void kb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "kbench: MSG" (no exit). */
void kb_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
