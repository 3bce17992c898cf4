#include "run_timing.h"

#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "interrupt.h"
#include "isolate.h"

/* The PCI bus id a device plugin reported, or NULL. */
static const char *device_bus_id(const kb_run_timer *rt, const char *plugin)
{
    for (int i = 0; i < rt->ndev; i++) {
        const kb_device_fact *d = &rt->devs[i];
        if (!strcmp(d->plugin, plugin) && d->has_info && d->info.pci_bus_id[0]) return d->info.pci_bus_id;
    }
    return NULL;
}

/* Round k's share of the repetitions (9 in 3 rounds: 3, 3, 3). */
static int round_repetitions(const kb_run_timer *rt, int k)
{
    return rt->to->repetitions / rt->rounds + (k < rt->to->repetitions % rt->rounds);
}

/* One round of timing: in the plugin's worker, or here (--no-isolate),
 * from the PUs nearest the plugin's device if it has one. */
static void time_round(const kb_run_timer *rt, const kb_verify_target *t, const kb_case *c, kb_result *r, int k,
                       kb_timing *out)
{
    kb_timing_options to = *rt->to;
    to.repetitions = round_repetitions(rt, k);
    const char *bus = device_bus_id(rt, r->plugin);
    if (rt->reg->pool) {
        kb_pool_time(rt->reg, t->plugin, t->kernel, c, r->name, &to, bus, r->host_pus, sizeof r->host_pus, out);
        return;
    }
    char err[512];
    int moved = bus && kb_bind_near_pci(rt->hw, bus, r->host_pus, sizeof r->host_pus, err, sizeof err) == 0;
    if (bus && !moved) kb_warn("%s: %s", r->plugin, err);
    kb_time_kernel(t->plugin, t->kernel, c, r->name, &to, out);
    if (moved && kb_placement_bind(rt->pl, rt->hw, rt->original, err, sizeof err)) kb_warn("%s", err);
}

void kb_run_time_first(const kb_run_timer *rt, kb_verify_target *t, const kb_case *c, kb_result *r)
{
    time_round(rt, t, c, r, 0, &r->timing);
}

void kb_run_time_round(const kb_run_timer *rt, kb_run_record *rec, int from, int k)
{
    const kb_placement *pl = rt->pl;
    /* Fresh workers (or plugins initialised again, --no-isolate). */
    if (kb_registry_set_placement(rt->reg, pl->threads, pl->cpus, pl->cpu_count)) kb_usage_error("out of memory");
    for (int i = from; i < rec->count && !kb_interrupted(); i++) {
        kb_result *r = &rec->results[i];
        if (!r->timing.ok) continue;
        kb_verify_target t = {.plugin = kb_registry_find(rt->reg, r->plugin)};
        t.kernel = t.plugin ? kb_find_kernel(t.plugin->desc, r->c.op, r->kernel) : NULL;
        kb_timing one;
        memset(&one, 0, sizeof one);
        if (t.kernel) time_round(rt, &t, &r->c, r, k, &one);
        if (!one.ok || kb_timing_merge(&r->timing, &one)) {
            kb_timing_free(&r->timing);
            r->timing.ok = 0;
            snprintf(r->timing.error, sizeof r->timing.error, "round %d of %d: %.200s", k + 1, rt->rounds,
                     one.error[0] ? one.error : "plugin or kernel gone, or out of memory");
            printf("FAIL  %s.%s  %s %s %s  timing: %s\n", r->plugin, r->kernel, kb_op_name(r->c.op), r->c.id,
                   pl->label, r->timing.error);
            fflush(stdout);
        }
        kb_timing_free(&one);
    }
}
