/*
 * atomic_file.h - write a file so that readers see the old content or the
 * complete new one, never a part: a temporary file in the same folder,
 * flushed to disk, then renamed over the target.
 */
#ifndef KBENCH_HARNESS_ATOMIC_FILE_H
#define KBENCH_HARNESS_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Fills the open stream; returns 0, or -1 with a message. */
typedef int (*kb_file_writer)(FILE *f, void *user, char *err, size_t err_len);

/* Returns 0, or -1 with "PATH: reason" in err (the target is left as it was). */
int kb_write_file_atomic(const char *path, kb_file_writer fn, void *user, char *err, size_t err_len);

#endif
