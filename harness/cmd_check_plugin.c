/*
 * cmd_check_plugin.c - `kbench check-plugin PATH`: a conformance report on
 * one plugin file for its author (docs/check-plugin.md): one line per check,
 * a summary, exit 1 on any FAIL.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "conformance.h"
#include "diag.h"
#include "discover.h"
#include "plan.h"

static const char usage[] =
    "usage: kbench check-plugin PATH.so [--suite smoke|FILE] [--seed N]\n"
    "\n"
    "Conformance report on one plugin file, for its author: load-time checks, init/fini,\n"
    "supports()/run() consistency, no writes outside the outputs, determinism, the thread\n"
    "count honoured, and verification against the reference plugin (docs/check-plugin.md).\n"
    "One line per check: PASS|FAIL|WARN  check  detail.\n"
    "\n"
    "options:\n"
    "  --suite NAME|FILE   cases to check on (default smoke)\n"
    "  --seed N            seed of the random inputs (default 1)\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 no check failed, 1 a check failed, 2 usage error (missing file, bad option)\n";

static uint64_t parse_seed(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || *s == '-') kb_usage_error("check-plugin: --seed needs a non-negative integer, got '%s'", s);
    return v;
}

/* A plugin whose name another discovered file also uses: discovery keeps
 * the first, so the author's file may be silently shadowed. */
static void check_name_clash(kb_registry *all, const kb_loaded_plugin *lp, kb_conf_report *r)
{
    char *mine = realpath(lp->path, NULL);
    for (int i = 0; i < all->count; i++) {
        const kb_loaded_plugin *o = &all->plugins[i];
        if (strcmp(o->desc->name, lp->desc->name)) continue;
        char *theirs = realpath(o->path, NULL);
        int same = mine && theirs && !strcmp(mine, theirs);
        free(theirs);
        if (!same)
            kb_conf_emit(r, KB_CONF_WARN, "name", "plugin name '%s' is also used by %s, which discovery finds first",
                         lp->desc->name, o->path);
    }
    free(mine);
}

int kb_cmd_check_plugin(int argc, char **argv)
{
    const char *path = NULL, *suite_spec = "smoke";
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return KB_EXIT_OK;
        } else if (!strcmp(a, "--suite") || !strcmp(a, "--seed")) {
            if (i + 1 >= argc) kb_usage_error("check-plugin: option '%s' needs a value", a);
            if (!strcmp(a, "--suite")) suite_spec = argv[++i];
            else seed = parse_seed(argv[++i]);
        } else if (a[0] == '-' && a[1]) {
            kb_usage_error("check-plugin: unknown option '%s'", a);
        } else if (path) {
            kb_usage_error("check-plugin: one plugin file at a time ('%s' and '%s')", path, a);
        } else {
            path = a;
        }
    }
    if (!path) kb_usage_error("check-plugin: which plugin file? (usage: kbench check-plugin PATH.so)");
    if (access(path, R_OK)) kb_usage_error("check-plugin: %s: %s", path, strerror(errno));
    /* dlopen searches the library path for a bare name: make it a path. */
    char given[4096];
    snprintf(given, sizeof given, "%s%s", strchr(path, '/') ? "" : "./", path);

    kb_suite suite;
    char err[512];
    if (kb_suite_load(suite_spec, &suite, err, sizeof err)) kb_usage_error("%s", err);
    int threads = kb_online_cpus();

    /* The oracle comes from ordinary discovery, loaded before the thread baseline. */
    kb_found found;
    kb_registry all;
    if (kb_discover(NULL, 0, &found) || kb_registry_load(&found, threads, &all))
        kb_usage_error("out of memory while loading plugins");
    kb_found_free(&found);
    kb_oracle oracle = {kb_plan_oracle(&all)};

    /* The plugin under test alone, so its load errors are its own. */
    int baseline = kb_conf_task_count();
    kb_found_file file = {given, 1};
    kb_found mine = {&file, 1, NULL, 0};
    kb_registry target;
    if (kb_registry_load(&mine, 1, &target)) kb_usage_error("out of memory while loading %s", path);

    kb_conf_report r = {0, 0, 0};
    printf("check-plugin %s (suite %s, seed %llu, threads %d)\n", path, suite.name, (unsigned long long)seed, threads);
    if (target.count != 1) {
        kb_conf_emit(&r, KB_CONF_FAIL, "load", "%s", target.error_count ? target.errors[0] : "did not load");
    } else {
        kb_loaded_plugin *lp = &target.plugins[0];
        const kb_plugin *p = lp->desc;
        kb_conf_emit(&r, KB_CONF_PASS, "load", "'%s' %s, backend %s, ABI %u, %u kernels", p->name, p->version,
                     p->backend, p->abi_version, p->kernel_count);
        check_name_clash(&all, lp, &r);
        kb_conf_input in = {&target, lp, &suite, seed, threads, baseline, oracle};
        kb_conf_runtime(&in, &r);
    }
    printf("check-plugin: %d passed, %d failed, %d warnings\n", r.passed, r.failed, r.warned);
    kb_registry_free(&target);
    kb_registry_free(&all);
    kb_suite_free(&suite);
    return r.failed ? KB_EXIT_FAILED : KB_EXIT_OK;
}
