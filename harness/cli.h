/*
 * cli.h - the options every command shares (docs/cli.md): plugin, op and
 * kernel filters, the suite, the seed.  Parsing errors are usage errors:
 * one line naming the option, exit 2.
 */
#ifndef KBENCH_HARNESS_CLI_H
#define KBENCH_HARNESS_CLI_H

#include <stdint.h>

#define KB_MAX_PLUGIN_ARGS 64

/* --timeout's default: a kernel request that takes longer is a hang, not a
 * slow kernel (docs/robustness.md). */
#define KB_DEFAULT_TIMEOUT_S 300.0

/* Which shared options a command accepts. */
enum {
    KB_OPT_PLUGIN = 1 << 0,  /* --plugin NAME|PATH (repeatable, comma lists) */
    KB_OPT_OP = 1 << 1,      /* --op OP[,OP] */
    KB_OPT_KERNEL = 1 << 2,  /* --kernel GLOB */
    KB_OPT_SUITE = 1 << 3,   /* --suite smoke|default|perf|FILE */
    KB_OPT_SEED = 1 << 4,    /* --seed N */
    KB_OPT_TRIALS = 1 << 5,  /* --trials N */
    KB_OPT_THREADS = 1 << 6, /* --threads N */
    KB_OPT_VERBOSE = 1 << 7, /* -v, --verbose */
    KB_OPT_TIMING = 1 << 8,  /* --repetitions --min-time --warmup --cold --baseline --json --csv */
    KB_OPT_PLACEMENT = 1 << 9, /* --threads LIST, --bind, --save, --results-dir */
    KB_OPT_ISOLATE = 1 << 10   /* --no-isolate, --timeout, --memory-limit (isolate.h) */
};

typedef struct kb_options {
    const char *command;
    const char *plugin_names[KB_MAX_PLUGIN_ARGS]; /* --plugin NAME */
    int plugin_name_count;
    const char *plugin_paths[KB_MAX_PLUGIN_ARGS]; /* --plugin PATH (has a '/' or ends in .so) */
    int plugin_path_count;
    unsigned op_mask;          /* bit (1 << op); 0 = every op */
    const char *kernel_glob;   /* NULL = every kernel */
    const char *suite;
    uint64_t seed;
    int trials;
    double ref_budget; /* --ref-budget: oracle work per case before rows are sampled */
    int threads;
    int verbose;
    /* timing (KB_OPT_TIMING) */
    int repetitions;
    int rounds;           /* --rounds: repetitions split over this many fresh worker processes */
    double min_time, warmup;
    int cold;
    const char *baseline; /* PLUGIN or PLUGIN.KERNEL */
    const char *json_path, *csv_path;
    /* placement and the results store (KB_OPT_PLACEMENT) */
    const char *threads_spec; /* "1,2,all"; NULL: all */
    const char *bind_spec;    /* "compact", "spread", "none" or a PU list; NULL: compact */
    int save;
    const char *results_dir;
    /* worker processes (KB_OPT_ISOLATE; isolate is 0 for other commands) */
    int isolate;
    double timeout_s;    /* per kernel request; 0: none */
    double memory_limit; /* bytes a host plugin's worker may add; 0: none */
    char *owned[KB_MAX_PLUGIN_ARGS]; /* strings split from comma lists */
    int owned_count;
} kb_options;

/* Parse argv (argv[0] is the command name).  `accepted` is a mask of KB_OPT_*;
 * `usage` is printed for --help (then exit 0).  Exits 2 on a bad option. */
void kb_parse_options(int argc, char **argv, unsigned accepted, const char *usage, kb_options *o);
void kb_options_free(kb_options *o);

/* Does kernel "plugin.kernel" of `op` pass the --op and --kernel filters? */
int kb_options_match_kernel(const kb_options *o, const char *plugin, int op, const char *kernel);

/* Is plugin `name` selected by --plugin?  With no --plugin, every plugin
 * is, except the oracle "ref" when `skip_oracle` (verify: checking the
 * oracle against itself proves nothing; run: ref is a useful baseline). */
int kb_options_match_plugin(const kb_options *o, const char *name, int explicit_path, int skip_oracle);

/* Refuse (exit 2) an output path whose folder is missing or read-only now,
 * not after a long measurement.  Returns path. */
const char *kb_check_writable(const char *command, const char *opt, const char *path);

/* Number of logical CPUs this process may run on. */
int kb_online_cpus(void);

#endif
