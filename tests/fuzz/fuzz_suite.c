/*
 * fuzz_suite.c - libFuzzer target for the suite parser (harness/suite.c).
 *
 * Any bytes go in as suite text.  Besides crashes and sanitizer reports it
 * checks the parser's contract: an error is exactly one non-empty line, and
 * every accepted case can be sized by the helpers later stages call on it.
 * tests/fuzz/replay.c runs the same function over the stored inputs in the
 * ordinary build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* kb_suite_parse takes C text; kb_suite_load refuses files with NUL
     * bytes before parsing, so text past a NUL never reaches the parser. */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    kb_suite s;
    char err[512] = "";
    if (kb_suite_parse(text, "fuzz.suite", &s, err, sizeof err) == 0) {
        if (s.count <= 0 || !s.cases) abort();
        for (int i = 0; i < s.count; i++) {
            const kb_case *c = &s.cases[i];
            if (!c->id[0] || kb_case_output_rows(c) <= 0 || !(kb_case_ref_cost(c) > 0)) abort();
            if (!(kb_case_host_bytes(c) > 0)) abort();
        }
        kb_suite_free(&s);
    } else if (!err[0] || strpbrk(err, "\r\n") || s.cases || s.count) {
        fprintf(stderr, "bad error contract: '%s'\n", err);
        abort();
    }
    free(text);
    return 0;
}
