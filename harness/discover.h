/*
 * discover.h - stage 1: find plugin files.
 *
 * Search order (docs/abi.md): the plugin folder next to the program
 * (<bin>/../lib/kbench/plugins: the build tree and an install share this
 * layout), the configured install folder, every folder in KBENCH_PLUGIN_PATH
 * (colon-separated), then the files named with --plugin PATH.  The first
 * plugin of a name wins (so the oracle "ref" is kbench's own), and a file
 * reached twice (same real path) is listed once.
 */
#ifndef KBENCH_HARNESS_DISCOVER_H
#define KBENCH_HARNESS_DISCOVER_H

typedef struct kb_found_file {
    char *path;
    int explicit_; /* named with --plugin PATH */
} kb_found_file;

typedef struct kb_found {
    kb_found_file *files;
    int count;
    char **problems; /* one line each: a search folder that is not usable */
    int problem_count;
} kb_found;

/* Returns 0, or -1 on out-of-memory.  An explicit path that does not exist
 * is still listed, so that the loader reports it. */
int kb_discover(const char *const *explicit_paths, int explicit_count, kb_found *out);
void kb_found_free(kb_found *f);

#endif
