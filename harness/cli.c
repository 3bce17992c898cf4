#include "cli.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kbench/ops.h>

#include "diag.h"

int kb_online_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static long long parse_count(const kb_options *o, const char *opt, const char *val, long long lo, long long hi)
{
    char *end;
    errno = 0;
    long long v = strtoll(val, &end, 10);
    if (errno || end == val || *end || v < lo || v > hi)
        kb_usage_error("%s: %s needs an integer in [%lld, %lld], got '%s'", o->command, opt, lo, hi, val);
    return v;
}

static double parse_seconds(const kb_options *o, const char *opt, const char *val)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (errno || end == val || *end || !(v >= 0 && v <= 3600))
        kb_usage_error("%s: %s needs seconds in [0, 3600], got '%s'", o->command, opt, val);
    return v;
}

/* A number in [0, hi] (0: no limit), e.g. --timeout 2.5, --memory-limit 0.5. */
static double parse_positive(const kb_options *o, const char *opt, const char *val, double hi, const char *unit)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (errno || end == val || *end || !(v >= 0 && v <= hi))
        kb_usage_error("%s: %s needs %s in [0, %g] (0: no limit), got '%s'", o->command, opt, unit, hi, val);
    return v;
}

static double physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
    return pages > 0 && ps > 0 ? (double)pages * (double)ps : 0;
}

const char *kb_check_writable(const char *command, const char *opt, const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    if (!*path || path[strlen(path) - 1] == '/')
        kb_usage_error("%s: %s needs a file name, got '%s'", command, opt, path);
    if (access(dir, W_OK) != 0)
        kb_usage_error("%s: %s %s: folder '%s' does not exist or is not writable", command, opt, path, dir);
    return path;
}

static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 3 && !strcmp(s + n - 3, ".so"));
}

static void add_plugin_arg(kb_options *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL;
    if (!copy || o->owned_count == KB_MAX_PLUGIN_ARGS)
        kb_usage_error("%s: too many --plugin options", o->command);
    o->owned[o->owned_count++] = copy;
    for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        if (o->plugin_name_count == KB_MAX_PLUGIN_ARGS || o->plugin_path_count == KB_MAX_PLUGIN_ARGS)
            kb_usage_error("%s: too many --plugin values", o->command);
        if (looks_like_path(s)) o->plugin_paths[o->plugin_path_count++] = s;
        else o->plugin_names[o->plugin_name_count++] = s;
    }
}

static void add_ops(kb_options *o, const char *arg)
{
    char *copy = strdup(arg), *save = NULL;
    if (!copy) kb_usage_error("out of memory");
    for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int op = 1; op <= KB_OP_COUNT; op++)
            if (!strcmp(s, kb_op_name((kb_op)op))) {
                o->op_mask |= 1u << op;
                found = 1;
            }
        if (!found) {
            char name[64];
            snprintf(name, sizeof name, "%s", s);
            free(copy);
            kb_usage_error("%s: unknown op '%s' (softmax, attention, quantize, matmul)", o->command, name);
        }
    }
    free(copy);
}

void kb_parse_options(int argc, char **argv, unsigned accepted, const char *usage, kb_options *o)
{
    static const struct option longopts[] = {
        {"plugin", required_argument, NULL, 'p'}, {"op", required_argument, NULL, 'o'},
        {"kernel", required_argument, NULL, 'k'}, {"suite", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},   {"trials", required_argument, NULL, 'T'},
        {"threads", required_argument, NULL, 't'}, {"verbose", no_argument, NULL, 'v'},
        {"repetitions", required_argument, NULL, 'r'}, {"min-time", required_argument, NULL, 'm'},
        {"warmup", required_argument, NULL, 'w'}, {"cold", no_argument, NULL, 'c'},
        {"baseline", required_argument, NULL, 'b'}, {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'C'},    {"bind", required_argument, NULL, 'B'},
        {"save", no_argument, NULL, 'V'},         {"results-dir", required_argument, NULL, 'R'},
        {"ref-budget", required_argument, NULL, 'X'},
        {"no-isolate", no_argument, NULL, 'N'},   {"timeout", required_argument, NULL, 'O'},
        {"memory-limit", required_argument, NULL, 'M'}, {"rounds", required_argument, NULL, 'U'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    static const struct { int ch; unsigned bit; } bits[] = {
        {'p', KB_OPT_PLUGIN}, {'o', KB_OPT_OP},     {'k', KB_OPT_KERNEL},  {'s', KB_OPT_SUITE},
        {'S', KB_OPT_SEED},   {'T', KB_OPT_TRIALS}, {'X', KB_OPT_TRIALS}, {'t', KB_OPT_THREADS}, {'v', KB_OPT_VERBOSE},
        {'r', KB_OPT_TIMING}, {'m', KB_OPT_TIMING}, {'w', KB_OPT_TIMING}, {'c', KB_OPT_TIMING},
        {'b', KB_OPT_TIMING}, {'j', KB_OPT_TIMING}, {'C', KB_OPT_TIMING}, {'U', KB_OPT_TIMING},
        {'B', KB_OPT_PLACEMENT}, {'V', KB_OPT_PLACEMENT}, {'R', KB_OPT_PLACEMENT},
        {'N', KB_OPT_ISOLATE}, {'O', KB_OPT_ISOLATE}, {'M', KB_OPT_ISOLATE}};
    memset(o, 0, sizeof *o);
    o->command = argv[0];
    o->suite = "default";
    o->seed = 1;
    o->trials = 3;
    o->ref_budget = 1e9;
    o->threads = kb_online_cpus();
    o->repetitions = 5;
    o->rounds = 1;
    o->min_time = 0.1;
    o->warmup = 0.05;
    o->results_dir = "results";
    o->isolate = (accepted & KB_OPT_ISOLATE) != 0;
    o->timeout_s = KB_DEFAULT_TIMEOUT_S;
    o->memory_limit = physical_memory();
    opterr = 0;
    optind = 1;
    int ch, li = -1;
    while ((li = -1, ch = getopt_long(argc, argv, ":hv", longopts, &li)) != -1) {
        if (ch == 'h') {
            fputs(usage, stdout);
            exit(KB_EXIT_OK);
        }
        if (ch == '?') {
            if (optopt) kb_usage_error("%s: unknown option '-%c' (see kbench %s --help)", o->command, optopt, o->command);
            kb_usage_error("%s: unknown option '%s' (see kbench %s --help)", o->command, argv[optind - 1], o->command);
        }
        if (ch == ':') kb_usage_error("%s: option '%s' needs a value", o->command, argv[optind - 1]);
        char optname[32];
        if (li >= 0) snprintf(optname, sizeof optname, "--%s", longopts[li].name);
        else snprintf(optname, sizeof optname, "-%c", ch);
        for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
            if (bits[i].ch == ch && !(accepted & bits[i].bit))
                kb_usage_error("%s: option '%s' does not apply to this command (see kbench %s --help)",
                               o->command, optname, o->command);
        switch (ch) {
        case 'p': add_plugin_arg(o, optarg); break;
        case 'o': add_ops(o, optarg); break;
        case 'k': o->kernel_glob = optarg; break;
        case 's': o->suite = optarg; break;
        case 'S': o->seed = (uint64_t)parse_count(o, "--seed", optarg, 0, 0x7FFFFFFFFFFFFFFFll); break;
        case 'T': o->trials = (int)parse_count(o, "--trials", optarg, 1, 1000); break;
        case 'X': o->ref_budget = (double)parse_count(o, "--ref-budget", optarg, 1000000, 1000000000000ll); break;
        case 't':
            if (accepted & KB_OPT_PLACEMENT) o->threads_spec = optarg; /* a list: placement.c parses it */
            else o->threads = (int)parse_count(o, "--threads", optarg, 1, 4096);
            break;
        case 'B': o->bind_spec = optarg; break;
        case 'V': o->save = 1; break;
        case 'R': o->results_dir = optarg; break;
        case 'v': o->verbose = 1; break;
        case 'r': o->repetitions = (int)parse_count(o, "--repetitions", optarg, 1, 1000); break;
        case 'U': o->rounds = (int)parse_count(o, "--rounds", optarg, 1, 100); break;
        case 'm': o->min_time = parse_seconds(o, "--min-time", optarg); break;
        case 'w': o->warmup = parse_seconds(o, "--warmup", optarg); break;
        case 'c': o->cold = 1; break;
        case 'b': o->baseline = optarg; break;
        case 'j': o->json_path = kb_check_writable(o->command, "--json", optarg); break;
        case 'C': o->csv_path = kb_check_writable(o->command, "--csv", optarg); break;
        case 'N': o->isolate = 0; break;
        case 'O': o->timeout_s = parse_positive(o, "--timeout", optarg, 86400, "seconds"); break;
        case 'M': o->memory_limit = parse_positive(o, "--memory-limit", optarg, 1 << 20, "GiB") * (1 << 30); break;
        }
    }
    if (o->rounds > o->repetitions)
        kb_usage_error("%s: --rounds %d needs at least as many --repetitions (got %d)", o->command, o->rounds,
                       o->repetitions);
    if (optind < argc)
        kb_usage_error("%s: unexpected argument '%s' (see kbench %s --help)", o->command, argv[optind], o->command);
}

void kb_options_free(kb_options *o)
{
    for (int i = 0; i < o->owned_count; i++) free(o->owned[i]);
    o->owned_count = 0;
}

int kb_options_match_kernel(const kb_options *o, const char *plugin, int op, const char *kernel)
{
    if (o->op_mask && !(o->op_mask & (1u << op))) return 0;
    if (!o->kernel_glob) return 1;
    char full[160], globs[512], *save = NULL;
    snprintf(full, sizeof full, "%s.%s", plugin, kernel);
    snprintf(globs, sizeof globs, "%s", o->kernel_glob);
    for (char *g = strtok_r(globs, ",", &save); g; g = strtok_r(NULL, ",", &save))
        if (fnmatch(g, kernel, 0) == 0 || fnmatch(g, full, 0) == 0) return 1;
    return 0;
}

int kb_options_match_plugin(const kb_options *o, const char *name, int explicit_path, int skip_oracle)
{
    if (explicit_path) return 1;
    for (int i = 0; i < o->plugin_name_count; i++)
        if (!strcmp(o->plugin_names[i], name)) return 1;
    if (o->plugin_name_count || o->plugin_path_count) return 0;
    return !skip_oracle || strcmp(name, "ref") != 0;
}
