#include "devices.h"

#include "isolate.h"

#include <stdio.h>
#include <string.h>

int kb_collect_devices(const kb_registry *reg, kb_device_fact *out, int max)
{
    if (reg->pool) return kb_pool_devices(reg, out, max); /* asked by the workers at load */
    int n = 0;
    for (int i = 0; i < reg->count && n < max; i++) {
        const kb_loaded_plugin *lp = &reg->plugins[i];
        if (!strcmp(lp->desc->backend, KB_BACKEND_HOST)) continue;
        kb_device_fact *d = &out[n++];
        memset(d, 0, sizeof *d);
        snprintf(d->plugin, sizeof d->plugin, "%s", lp->desc->name);
        snprintf(d->backend, sizeof d->backend, "%s", lp->desc->backend);
        d->available = lp->available;
        snprintf(d->why, sizeof d->why, "%s", lp->why);
        if (!lp->available || !lp->desc->device.device_info) continue;
        char err[256] = "";
        d->info.struct_size = sizeof d->info;
        if (lp->desc->device.device_info(lp->ctx, &d->info, err, sizeof err) == KB_OK) {
            d->has_info = 1;
            d->info.name[sizeof d->info.name - 1] = '\0'; /* a plugin's strings, made safe to print */
            d->info.driver[sizeof d->info.driver - 1] = '\0';
            d->info.pci_bus_id[sizeof d->info.pci_bus_id - 1] = '\0';
        } else {
            snprintf(d->why, sizeof d->why, "device_info failed: %s", err[0] ? err : "no reason given");
        }
    }
    return n;
}

json_t *kb_devices_json(const kb_device_fact *d, int n)
{
    json_t *arr = json_array();
    for (int i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "plugin", json_string(d[i].plugin));
        json_object_set_new(o, "backend", json_string(d[i].backend));
        json_object_set_new(o, "available", json_boolean(d[i].available));
        if (d[i].why[0]) json_object_set_new(o, "reason", json_string(d[i].why));
        if (d[i].has_info) {
            const kb_device_info *x = &d[i].info;
            json_object_set_new(o, "name", json_string(x->name));
            json_object_set_new(o, "driver", json_string(x->driver));
            json_object_set_new(o, "pci_bus_id", json_string(x->pci_bus_id));
            json_object_set_new(o, "memory_bytes", json_integer((json_int_t)x->memory_bytes));
            json_object_set_new(o, "l2_bytes", json_integer((json_int_t)x->l2_bytes));
            json_object_set_new(o, "multiprocessors", json_integer(x->multiprocessors));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

void kb_devices_print(const kb_device_fact *d, int n, FILE *f)
{
    if (!n) {
        fprintf(f, "devices      no device plugin loaded\n");
        return;
    }
    fprintf(f, "devices      (from device plugins)\n");
    for (int i = 0; i < n; i++) {
        if (!d[i].available) {
            fprintf(f, "  %-10s unavailable: %s\n", d[i].plugin, d[i].why);
        } else if (!d[i].has_info) {
            fprintf(f, "  %-10s %s\n", d[i].plugin, d[i].why[0] ? d[i].why : "no device_info hook");
        } else {
            const kb_device_info *x = &d[i].info;
            fprintf(f, "  %-10s %s, %.2f GiB, L2 %.1f MiB, %d multiprocessors, %s%s%s\n", d[i].plugin, x->name,
                    (double)x->memory_bytes / (1u << 30), (double)x->l2_bytes / (1u << 20), x->multiprocessors,
                    x->driver, x->pci_bus_id[0] ? ", PCI " : "", x->pci_bus_id);
        }
    }
}
