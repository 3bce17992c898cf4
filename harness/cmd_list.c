/*
 * cmd_list.c - `kbench list`: every plugin found, whether it is available,
 * its kernels with their op and the dtype combinations they support, and
 * every file that failed to load with the reason.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "diag.h"
#include "isolate.h"
#include "plan.h"
#include "suite.h"

static const char usage[] =
    "usage: kbench list [options]\n"
    "\n"
    "List the plugins kbench finds (build folder, install folder, KBENCH_PLUGIN_PATH,\n"
    "--plugin PATH), whether each is available, and each kernel's op and the dtype\n"
    "combinations it supports (probed with supports() on the built-in suites' cases).\n"
    "Files that failed to load are listed with the reason.\n"
    "\n"
    "options:\n"
    "  --plugin NAME|PATH  only these plugins (repeatable, comma lists); a PATH is loaded too\n"
    "  --op OP[,OP]        only kernels of these ops\n"
    "  --kernel GLOB       only kernels whose name or plugin.name matches\n"
    "  --threads N         threads handed to each plugin's init (default: the CPUs available)\n"
    "  --timeout S         a plugin that takes longer to load or answer is reported as hung (default 300)\n"
    "  --no-isolate        load the plugins inside kbench instead of one worker process each\n"
    "  -h, --help          this text\n";

/* The dtype combinations of the built-in suites that a kernel accepts. */
static void print_dtypes(kb_registry *reg, kb_loaded_plugin *lp, const kb_kernel *k, const kb_suite *suites,
                         int nsuites)
{
    char seen[64][24];
    int nseen = 0;
    for (int s = 0; s < nsuites; s++)
        for (int i = 0; i < suites[s].count; i++) {
            const kb_case *c = &suites[s].cases[i];
            if (c->op != k->op) continue;
            int dup = 0;
            for (int j = 0; j < nseen && !dup; j++) dup = !strcmp(seen[j], c->dtypes);
            if (dup || nseen == 64) continue;
            char why[640];
            if (kb_pool_admit(reg, lp, k, c, why, sizeof why) != KB_VERDICT_PASS) continue;
            snprintf(seen[nseen++], sizeof seen[0], "%s", c->dtypes);
        }
    for (int j = 0; j < nseen; j++) printf("%s%s", j ? " " : "", seen[j]);
    if (!nseen) printf("(none of the built-in cases)");
}

int kb_cmd_list(int argc, char **argv)
{
    kb_options o;
    kb_parse_options(argc, argv, KB_OPT_PLUGIN | KB_OPT_OP | KB_OPT_KERNEL | KB_OPT_THREADS | KB_OPT_ISOLATE,
                     usage, &o);
    kb_registry reg;
    kb_plan_load(&o, &reg, KB_PLAN_SURVEY);
    kb_suite suites[8];
    char err[256];
    int nsuites = 0;
    for (int i = 0; kb_builtin_suite_names[i] && nsuites < 8; i++)
        if (kb_suite_load(kb_builtin_suite_names[i], &suites[nsuites], err, sizeof err) == 0) nsuites++;

    for (int i = 0; i < reg.count; i++) {
        kb_loaded_plugin *lp = &reg.plugins[i];
        const kb_plugin *p = lp->desc;
        if (o.plugin_name_count + o.plugin_path_count && !kb_options_match_plugin(&o, p->name, lp->explicit_, 0))
            continue;
        printf("%s %s  backend %s  %s  %s\n", p->name, p->version, p->backend,
               lp->available ? "available" : "UNAVAILABLE", lp->path);
        if (!lp->available) printf("    reason: %s\n", lp->why);
        if (p->description) printf("    %s\n", p->description);
        for (uint32_t k = 0; k < p->kernel_count; k++) {
            const kb_kernel *kern = &p->kernels[k];
            if (!kb_options_match_kernel(&o, p->name, kern->op, kern->name)) continue;
            printf("    %-10s %-18s ", kb_op_name(kern->op), kern->name);
            if (lp->available) print_dtypes(&reg, lp, kern, suites, nsuites);
            else printf("-");
            if (kern->description) printf("  -- %s", kern->description);
            printf("\n");
        }
    }
    if (reg.error_count) {
        printf("not loaded:\n");
        for (int i = 0; i < reg.error_count; i++) printf("    %s\n", reg.errors[i]);
    }
    if (!reg.count) printf("no plugins found (build them, or set KBENCH_PLUGIN_PATH)\n");
    for (int i = 0; i < nsuites; i++) kb_suite_free(&suites[i]);
    kb_registry_free(&reg);
    kb_options_free(&o);
    return KB_EXIT_OK;
}
