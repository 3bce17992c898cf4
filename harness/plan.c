#include "plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "discover.h"
#include "isolate.h"

void kb_plan_load(const kb_options *o, kb_registry *reg, kb_plan_mode mode)
{
    kb_found found;
    if (kb_discover(o->plugin_paths, o->plugin_path_count, &found)) kb_usage_error("out of memory while loading plugins");
    kb_isolation iso = {o->timeout_s, o->memory_limit, NULL};
    if (o->isolate ? kb_pool_load(&found, o->threads, &iso, reg) : kb_registry_load(&found, o->threads, reg))
        kb_usage_error("cannot load plugins: %s%s", o->isolate ? "no worker processes or shared memory: " : "",
                       strerror(errno));
    for (int i = 0; i < reg->error_count; i++) {
        const char *e = reg->errors[i];
        int explicit_ = 0;
        for (int j = 0; j < o->plugin_path_count; j++) {
            size_t n = strlen(o->plugin_paths[j]);
            explicit_ |= !strncmp(e, o->plugin_paths[j], n) && e[n] == ':';
        }
        if (explicit_ && mode == KB_PLAN_STRICT) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", e);
            kb_found_free(&found);
            kb_registry_free(reg);
            kb_usage_error("--plugin %s", msg);
        }
        if (mode == KB_PLAN_STRICT) kb_warn("%s", e);
    }
    kb_found_free(&found);
    for (int i = 0; i < o->plugin_name_count; i++)
        if (!kb_registry_find(reg, o->plugin_names[i])) {
            char names[512] = "";
            size_t len = 0;
            for (int j = 0; j < reg->count && len < sizeof names; j++)
                len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", j ? ", " : "",
                                        reg->plugins[j].desc->name);
            const char *bad = o->plugin_names[i];
            char copy[128];
            snprintf(copy, sizeof copy, "%s", bad);
            kb_registry_free(reg);
            kb_usage_error("%s: unknown plugin '%s' (loaded: %s)", o->command, copy, len ? names : "none");
        }
}

kb_loaded_plugin *kb_plan_oracle(kb_registry *reg)
{
    kb_loaded_plugin *ref = kb_registry_find(reg, "ref");
    if (!ref) {
        kb_registry_free(reg);
        kb_usage_error("the reference plugin 'ref' (kb_ref.so) was not found: build it, or add its folder "
                       "to KBENCH_PLUGIN_PATH");
    }
    if (!ref->available) {
        char why[256];
        snprintf(why, sizeof why, "%s", ref->why);
        kb_registry_free(reg);
        kb_usage_error("the reference plugin is unavailable: %s", why);
    }
    return ref;
}

int kb_plan_targets(const kb_options *o, kb_registry *reg, const kb_case *c, int skip_oracle, kb_verify_target *out,
                    int max)
{
    int n = 0;
    for (int i = 0; i < reg->count; i++) {
        kb_loaded_plugin *lp = &reg->plugins[i];
        if (!kb_options_match_plugin(o, lp->desc->name, lp->explicit_, skip_oracle)) continue;
        for (uint32_t k = 0; k < lp->desc->kernel_count && n < max; k++) {
            const kb_kernel *kern = &lp->desc->kernels[k];
            if (kern->op != c->op || !kb_options_match_kernel(o, lp->desc->name, kern->op, kern->name)) continue;
            memset(&out[n], 0, sizeof out[n]);
            out[n].plugin = lp;
            out[n].kernel = kern;
            n++;
        }
    }
    return n;
}
