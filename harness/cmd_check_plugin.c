/*
 * cmd_check_plugin.c - `kbench check-plugin PATH`: a conformance report on
 * one plugin file for its author (docs/check-plugin.md): one line per check,
 * a summary, exit 1 on any FAIL.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "conformance.h"
#include "diag.h"
#include "discover.h"
#include "ipc.h"
#include "isolate.h"
#include "plan.h"
#include "worker_guard.h"
#include "worker_proto.h"

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
    "  --timeout S         the plugin hangs if the checks take longer (default 300; 0: none)\n"
    "  --no-isolate        run the checks inside kbench (for gdb); by default a child process\n"
    "                      runs them, so that a crash is a FAIL line, not the end of kbench\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 no check failed, 1 a check failed, 2 usage error (missing file, bad option)\n";

static double parse_timeout(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v >= 0 && v <= 86400))
        kb_usage_error("check-plugin: --timeout needs seconds in [0, 86400] (0: none), got '%s'", s);
    return v;
}

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

/* The checks, in this process: load the oracle and the plugin, run them,
 * counting into *rp. */
static int run_checks(const char *given, const kb_suite *suite, uint64_t seed, int threads, kb_conf_report *rp)
{
    /* The oracle comes from ordinary discovery, loaded before the thread baseline. */
    kb_found found;
    kb_registry all;
    if (kb_discover(NULL, 0, &found) || kb_registry_load(&found, threads, &all))
        kb_usage_error("out of memory while loading plugins");
    kb_found_free(&found);
    kb_oracle oracle = {kb_plan_oracle(&all)};

    /* The plugin under test alone, so its load errors are its own. */
    int baseline = kb_conf_task_count();
    kb_found_file file = {(char *)given, 1};
    kb_found mine = {&file, 1, NULL, 0};
    kb_registry target;
    if (kb_registry_load(&mine, 1, &target)) kb_usage_error("out of memory while loading %s", given);
    if (target.count != 1) {
        kb_conf_emit(rp, KB_CONF_FAIL, "load", "%s", target.error_count ? target.errors[0] : "did not load");
    } else {
        kb_loaded_plugin *lp = &target.plugins[0];
        const kb_plugin *p = lp->desc;
        kb_conf_emit(rp, KB_CONF_PASS, "load", "'%s' %s, backend %s, ABI %u, %u kernels", p->name, p->version,
                     p->backend, p->abi_version, p->kernel_count);
        check_name_clash(&all, lp, rp);
        kb_conf_input in = {&target, lp, suite, seed, threads, baseline, oracle};
        kb_conf_runtime(&in, rp);
    }
    kb_registry_free(&target);
    kb_registry_free(&all);
    return rp->failed ? KB_EXIT_FAILED : KB_EXIT_OK;
}

/* The checks in a child process, as `run` isolates plugins (isolate.h): a
 * plugin that crashes, exits or hangs fails the check in flight, and the
 * report still ends with its counts (kept in shared memory). */
static int check_in_child(const char *given, const kb_suite *suite, uint64_t seed, int threads, double timeout,
                          kb_conf_report *rp)
{
    int fds[2];
    if (pipe(fds)) kb_usage_error("check-plugin: cannot make a pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) kb_usage_error("check-plugin: cannot start a process: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        kb_worker_guard_install(fds[1]);
        int rc = run_checks(given, suite, seed, threads, rp);
        fflush(stdout);
        fflush(stderr);
        _exit(rc);
    }
    close(fds[1]);
    int status = 0;
    double deadline = timeout > 0 ? kb_now() + timeout : 0;
    pid_t got;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0 && (!deadline || kb_now() < deadline)) usleep(20000);
    char fault[400] = "", why[600];
    if (got == 0) { /* still running at the deadline: a hang */
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        snprintf(why, sizeof why, "timed out after %g s (--timeout); killed", timeout);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) <= KB_EXIT_USAGE) {
        close(fds[0]);
        return WEXITSTATUS(status);
    } else {
        kb_msg m = {0};
        if (kb_msg_recv(fds[0], &m, 0.5, NULL) == 0 && kb_msg_get_u32(&m) == KB_REPLY_FAULT)
            kb_msg_get_str(&m, fault, sizeof fault);
        kb_msg_free(&m);
        kb_describe_death(status, fault[0] ? fault : NULL, why, sizeof why);
    }
    close(fds[0]);
    kb_conf_emit(rp, KB_CONF_FAIL, "survive", "the plugin stopped the checks: %s; the checks after the lines above did "
                 "not run", why);
    return KB_EXIT_FAILED;
}

int kb_cmd_check_plugin(int argc, char **argv)
{
    const char *path = NULL, *suite_spec = "smoke";
    uint64_t seed = 1;
    int isolated = 1;
    double timeout = KB_DEFAULT_TIMEOUT_S;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return KB_EXIT_OK;
        } else if (!strcmp(a, "--suite") || !strcmp(a, "--seed") || !strcmp(a, "--timeout")) {
            if (i + 1 >= argc) kb_usage_error("check-plugin: option '%s' needs a value", a);
            if (!strcmp(a, "--suite")) suite_spec = argv[++i];
            else if (!strcmp(a, "--seed")) seed = parse_seed(argv[++i]);
            else timeout = parse_timeout(argv[++i]);
        } else if (!strcmp(a, "--no-isolate")) {
            isolated = 0;
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
    printf("check-plugin %s (suite %s, seed %llu, threads %d)\n", path, suite.name, (unsigned long long)seed, threads);
    kb_conf_report *rp = mmap(NULL, sizeof *rp, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rp == MAP_FAILED) kb_usage_error("check-plugin: out of memory");
    memset(rp, 0, sizeof *rp);
    int rc = isolated ? check_in_child(given, &suite, seed, threads, timeout, rp)
                      : run_checks(given, &suite, seed, threads, rp);
    if (rc != KB_EXIT_USAGE)
        printf("check-plugin: %d passed, %d failed, %d warnings\n", rp->passed, rp->failed, rp->warned);
    munmap(rp, sizeof *rp);
    kb_suite_free(&suite);
    return rc;
}
