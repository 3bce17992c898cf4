/*
 * fuzz_result.c - libFuzzer target for the result-file reader
 * (harness/result_file.c, kb_result_file_parse).
 *
 * Any bytes go in as a result file.  Besides crashes and sanitizer reports it
 * checks the reader's contract: an error is exactly one non-empty line and
 * leaves the result empty; a success holds named benchmarks whose times are
 * finite and not negative (compare and report rely on that).
 * tests/fuzz/replay.c runs the same function over the stored inputs in the
 * ordinary build.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "result_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kb_result_file f;
    char err[512] = "";
    if (kb_result_file_parse((const char *)data, size, "fuzz.json", &f, err, sizeof err) == 0) {
        if (f.count <= 0 || !f.path) abort();
        for (int i = 0; i < f.count; i++) {
            const kb_result_bench *b = &f.benches[i];
            if (!b->name || !b->name[0] || b->n < 0 || b->n > b->cap) abort();
            if (b->n == 0 && !kb_result_bench_failed(b)) abort();
            for (int r = 0; r < b->n; r++)
                if (!isfinite(b->times[r]) || b->times[r] < 0) abort();
        }
        kb_result_file_free(&f);
    } else if (!err[0] || strpbrk(err, "\r\n") || f.count || f.benches || f.path) {
        fprintf(stderr, "bad error contract: '%s'\n", err);
        abort();
    }
    return 0;
}
