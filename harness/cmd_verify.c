/*
 * cmd_verify.c - `kbench verify`: every selected (plugin, kernel, case)
 * against the reference, one line each, a summary, exit 1 on any failure.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cli.h"
#include "commands.h"
#include "diag.h"
#include "interrupt.h"
#include "isolate.h"
#include "plan.h"
#include "suite.h"
#include "verify.h"

static const char usage[] =
    "usage: kbench verify [options]\n"
    "\n"
    "Check every selected kernel against the reference plugin on a suite of cases:\n"
    "seeded random trials plus adversarial inputs, outputs poisoned before each run,\n"
    "tolerances as in docs/verification.md.  One line per (plugin, kernel, case).\n"
    "\n"
    "options:\n"
    "  --plugin NAME|PATH  only these plugins (repeatable, comma lists); a PATH is loaded too.\n"
    "                      Default: every plugin found except the oracle 'ref'\n"
    "  --op OP[,OP]        only these ops: softmax, attention, quantize, matmul\n"
    "  --kernel GLOB[,GLOB] only kernels whose name or plugin.name matches (fnmatch)\n"
    "  --suite NAME|FILE   smoke, default (the default), perf or a suite file (docs/suites.md)\n"
    "  --seed N            seed of every random input (default 1)\n"
    "  --trials N          random trials per case before the adversarial ones (default 3)\n"
    "  --ref-budget OPS    oracle work per case above which only sampled rows are checked\n                      (default 1000000000; kb_case_ref_cost units, docs/verification.md)\n"
    "  --threads N         threads a plugin may use (default: the CPUs available)\n"
    "  -v, --verbose       one line per trial too\n"
    "\n"
    "isolation (docs/robustness.md): each plugin runs in a worker process of its own\n"
    "  --timeout S         a kernel's check that takes longer is a hang: FAIL, worker killed (default 300)\n"
    "  --memory-limit GIB  memory a host plugin's worker may add (default: the machine's; 0: none)\n"
    "  --no-isolate        run plugins inside kbench (for gdb); a crash then ends kbench\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 all checked kernels passed, 1 a kernel failed, 2 usage or input error,\n"
    "128+N stopped by signal N (SIGINT: 130, SIGTERM: 143) after the case in flight\n";

/* Reference work per case before verification samples rows (~1 s of ref). */

static void print_line(const kb_verify_target *t, const kb_case *c, int64_t sampled, int64_t total)
{
    static const char *const names[] = {"PASS", "FAIL", "SKIP"};
    char who[96];
    snprintf(who, sizeof who, "%s.%s", t->plugin->desc->name, t->kernel->name);
    printf("%s  %-24s %-9s %-52s", names[t->verdict], who, kb_op_name(c->op), c->id);
    if (t->verdict == KB_VERDICT_PASS) {
        const kb_check_result *w = &t->worst;
        printf("  err %.2e  norm %.2e  bound %.2e", w->max_err, w->max_ref > 0 ? w->max_err / w->max_ref : 0.0,
               w->bound);
        if (w->near_ties) printf("  near-ties %lld", (long long)w->near_ties);
        if (sampled < total) printf("  rows %lld/%lld", (long long)sampled, (long long)total);
        printf("\n");
    } else {
        printf("  %s\n", t->reason);
    }
}

int kb_cmd_verify(int argc, char **argv)
{
    kb_options o;
    kb_parse_options(argc, argv,
                     KB_OPT_PLUGIN | KB_OPT_OP | KB_OPT_KERNEL | KB_OPT_SUITE | KB_OPT_SEED | KB_OPT_TRIALS |
                         KB_OPT_THREADS | KB_OPT_VERBOSE | KB_OPT_ISOLATE,
                     usage, &o);
    kb_suite suite;
    char err[512];
    if (kb_suite_load(o.suite, &suite, err, sizeof err)) {
        kb_options_free(&o);
        kb_usage_error("%s", err);
    }
    kb_registry reg;
    kb_plan_load(&o, &reg, KB_PLAN_STRICT);
    kb_loaded_plugin *oracle = kb_plan_oracle(&reg);
    kb_verify_options vo = {o.seed, o.trials, o.ref_budget, o.verbose};
    kb_interrupt_install(!o.isolate);

    double t0 = kb_now();
    int passed = 0, failed = 0, skipped = 0, cases = 0, rc = KB_EXIT_OK;
    enum { MAX_TARGETS = 256 };
    kb_verify_target *targets = calloc(MAX_TARGETS, sizeof *targets);
    if (!targets) kb_usage_error("out of memory");
    for (int i = 0; i < suite.count; i++) {
        const kb_case *c = &suite.cases[i];
        int n = kb_plan_targets(&o, &reg, c, 1, targets, MAX_TARGETS);
        if (!n) continue;
        cases++;
        int64_t sampled = 0;
        if (kb_interrupted()) break;
        if (kb_pool_verify_case(&reg, c, oracle, targets, n, &vo, &sampled, err, sizeof err)) {
            kb_error("%s", err);
            rc = KB_EXIT_FAILED;
            failed++;
            continue;
        }
        for (int j = 0; j < n; j++) {
            print_line(&targets[j], c, sampled, kb_case_output_rows(c));
            passed += targets[j].verdict == KB_VERDICT_PASS;
            failed += targets[j].verdict == KB_VERDICT_FAIL;
            skipped += targets[j].verdict == KB_VERDICT_SKIP;
        }
        fflush(stdout);
    }
    double secs = kb_now() - t0;
    if (passed + failed + skipped == 0) {
        free(targets);
        kb_suite_free(&suite);
        kb_registry_free(&reg);
        kb_options_free(&o);
        kb_usage_error("verify: no kernel of the selected plugins matches the filters and the suite");
    }
    printf("verify: %d passed, %d failed, %d skipped (suite %s: %d cases, seed %llu, %.1f s)\n", passed, failed,
           skipped, suite.name, cases, (unsigned long long)o.seed, secs);
    if (failed) rc = KB_EXIT_FAILED;
    if (kb_interrupted()) {
        printf("verify: interrupted by %s: the cases after the last line were not checked\n",
               kb_interrupt_signal() == SIGTERM ? "SIGTERM" : "SIGINT");
        rc = kb_interrupt_exit_code();
    }
    free(targets);
    kb_suite_free(&suite);
    kb_registry_free(&reg);
    kb_options_free(&o);
    return rc;
}
