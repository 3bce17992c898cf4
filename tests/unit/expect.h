/* expect.h - a non-fatal check for the unit tests: report, count, go on. */
#ifndef KBENCH_TESTS_EXPECT_H
#define KBENCH_TESTS_EXPECT_H

#include <stdio.h>

static int failures = 0;

#define EXPECT(cond, ...)                                                 \
    do {                                                                  \
        if (!(cond)) {                                                    \
            failures++;                                                   \
            fprintf(stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);       \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

/* The one case a suite line describes; exits on a parse error.  (Only for
 * tests that include suite.h before this header.) */
#ifdef KBENCH_HARNESS_SUITE_H
#include <stdlib.h>
static inline kb_case kb_test_case(const char *line)
{
    kb_suite s;
    char err[256];
    if (kb_suite_parse(line, "test", &s, err, sizeof err)) {
        fprintf(stderr, "parse failed: %s\n", err);
        exit(1);
    }
    kb_case c = s.cases[0];
    kb_suite_free(&s);
    return c;
}
#endif

#endif
