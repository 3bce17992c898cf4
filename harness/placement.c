#include "placement.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_int(const char *s, const char **end, long *out)
{
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno || e == s || v < 0) return -1;
    *end = e;
    *out = v;
    return 0;
}

static int parse_threads(const char *spec, kb_placement_spec *out, char *err, size_t n)
{
    out->thread_value_count = 0;
    const char *p = spec;
    for (;;) {
        if (out->thread_value_count == KB_MAX_PLACEMENTS)
            return fail(err, n, "--threads %s: more than %d values", spec, KB_MAX_PLACEMENTS);
        long v;
        if (!strncmp(p, "all", 3)) {
            v = 0;
            p += 3;
        } else if (parse_int(p, &p, &v) || v < 1 || v > KB_MAX_PUS) {
            return fail(err, n, "--threads %s: expected a list of counts (1-%d) or 'all', like 1,2,all", spec,
                        KB_MAX_PUS);
        }
        out->thread_values[out->thread_value_count++] = (int)v;
        if (!*p) return 0;
        if (*p != ',') return fail(err, n, "--threads %s: expected ',' between values", spec);
        p++;
    }
}

/* "0+2+4-7" or "0,2,4-7" */
static int parse_pu_list(const char *spec, kb_placement_spec *out, char *err, size_t n)
{
    const char *p = spec;
    out->list_count = 0;
    for (;;) {
        long a, b;
        if (parse_int(p, &p, &a)) return fail(err, n, "--bind %s: expected a PU number at '%s'", spec, p);
        b = a;
        if (*p == '-' && parse_int(p + 1, &p, &b)) return fail(err, n, "--bind %s: bad range", spec);
        if (b < a || b >= KB_MAX_PUS) return fail(err, n, "--bind %s: bad range %ld-%ld", spec, a, b);
        for (long i = a; i <= b; i++) {
            for (int j = 0; j < out->list_count; j++)
                if (out->list[j] == i) return fail(err, n, "--bind %s: PU %ld named twice", spec, i);
            if (out->list_count == KB_MAX_PUS) return fail(err, n, "--bind %s: too many PUs", spec);
            out->list[out->list_count++] = (int32_t)i;
        }
        if (!*p) return 0;
        if (*p != '+' && *p != ',') return fail(err, n, "--bind %s: expected '+' or ',' between PUs", spec);
        p++;
    }
}

int kb_placement_parse(const char *threads_spec, const char *bind_spec, kb_placement_spec *out, char *err,
                       size_t err_len)
{
    memset(out, 0, sizeof *out);
    if (parse_threads(threads_spec ? threads_spec : "all", out, err, err_len)) return -1;
    const char *b = bind_spec ? bind_spec : "compact";
    if (!strcmp(b, "compact")) out->bind = KB_BIND_COMPACT;
    else if (!strcmp(b, "spread")) out->bind = KB_BIND_SPREAD;
    else if (!strcmp(b, "none")) out->bind = KB_BIND_NONE;
    else if (b[0] >= '0' && b[0] <= '9') {
        out->bind = KB_BIND_LIST;
        if (parse_pu_list(b, out, err, err_len)) return -1;
    } else {
        return fail(err, err_len, "--bind %s: expected compact, spread, none or a PU list like 0+2", b);
    }
    return 0;
}

/* The allowed PUs in hwloc's logical order. */
static int allowed_pus(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int32_t *pus, int max)
{
    int n = 0, total = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    for (int i = 0; i < total && n < max; i++) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, (unsigned)i);
        if (hwloc_bitmap_isset(allowed, pu->os_index)) pus[n++] = (int32_t)pu->os_index;
    }
    return n;
}

static void make_label(kb_placement *p)
{
    static const char *const names[] = {"compact", "spread", "none", ""};
    int len = snprintf(p->label, sizeof p->label, "threads=%d,bind=", p->threads);
    if (p->bind != KB_BIND_LIST) {
        snprintf(p->label + len, sizeof p->label - (size_t)len, "%s", names[p->bind]);
        return;
    }
    for (int i = 0; i < p->cpu_count && len < (int)sizeof p->label; i++)
        len += snprintf(p->label + len, sizeof p->label - (size_t)len, "%s%d", i ? "+" : "", p->cpus[i]);
}

/* n PUs as far apart as possible: hwloc_distrib splits the machine into n
 * parts along its hierarchy (packages, then caches, then cores). */
static int spread_pus(hwloc_topology_t topo, hwloc_const_cpuset_t allowed, int n, int32_t *out)
{
    hwloc_bitmap_t *sets = calloc((size_t)n, sizeof *sets);
    hwloc_obj_t root = hwloc_get_root_obj(topo);
    hwloc_bitmap_t restricted = hwloc_bitmap_dup(root->cpuset);
    int rc = 0;
    if (!sets || !restricted) { free(sets); hwloc_bitmap_free(restricted); return -1; }
    hwloc_bitmap_and(restricted, restricted, allowed);
    /* Distribute over the allowed cores' objects: the root restricted by `allowed`. */
    hwloc_obj_t roots[1] = {root};
    if (hwloc_distrib(topo, roots, 1, sets, (unsigned)n, INT32_MAX, 0) != 0) rc = -1;
    for (int i = 0; i < n && rc == 0; i++) {
        hwloc_bitmap_and(sets[i], sets[i], restricted);
        if (hwloc_bitmap_iszero(sets[i])) { rc = -1; break; }
        out[i] = hwloc_bitmap_first(sets[i]);
    }
    for (int i = 0; i < n; i++) hwloc_bitmap_free(sets[i]);
    free(sets);
    hwloc_bitmap_free(restricted);
    /* Two parts may share a PU when `allowed` is smaller than the machine. */
    for (int i = 0; i < n && rc == 0; i++)
        for (int j = 0; j < i; j++)
            if (out[i] == out[j]) rc = -1;
    return rc;
}

int kb_placement_resolve(const kb_placement_spec *spec, hwloc_topology_t topo, hwloc_const_cpuset_t allowed,
                         kb_placement *out, int max, char *err, size_t err_len)
{
    if (!allowed) allowed = hwloc_topology_get_allowed_cpuset(topo);
    static int32_t pus[KB_MAX_PUS];
    int npus = allowed_pus(topo, allowed, pus, KB_MAX_PUS);
    if (npus == 0) return fail(err, err_len, "no PU is available to this process");
    if (spec->bind == KB_BIND_LIST) {
        for (int i = 0; i < spec->list_count; i++) {
            int found = 0;
            for (int j = 0; j < npus && !found; j++) found = pus[j] == spec->list[i];
            if (!found) return fail(err, err_len, "--bind: PU %d is not available to this process", spec->list[i]);
        }
        npus = spec->list_count;
        memcpy(pus, spec->list, (size_t)npus * sizeof pus[0]);
    }
    int n = 0;
    for (int i = 0; i < spec->thread_value_count; i++) {
        int t = spec->thread_values[i] ? spec->thread_values[i] : npus;
        if (t > npus)
            return fail(err, err_len, "--threads %d: only %d PU%s available%s", t, npus, npus == 1 ? " is" : "s are",
                        spec->bind == KB_BIND_LIST ? " in the --bind list" : "");
        int dup = 0;
        for (int j = 0; j < n && !dup; j++) dup = out[j].threads == t;
        if (dup) continue;
        if (n == max) return fail(err, err_len, "--threads: too many placements (max %d)", max);
        kb_placement *p = &out[n++];
        memset(p, 0, sizeof *p);
        p->threads = t;
        p->bind = spec->bind;
        if (spec->bind == KB_BIND_SPREAD) {
            if (spread_pus(topo, allowed, t, p->cpus))
                return fail(err, err_len, "--bind spread: cannot place %d threads on distinct PUs", t);
            p->cpu_count = t;
        } else if (spec->bind != KB_BIND_NONE) {
            memcpy(p->cpus, pus, (size_t)t * sizeof pus[0]);
            p->cpu_count = t;
        }
        make_label(p);
    }
    return n;
}

int kb_placement_bind(const kb_placement *p, hwloc_topology_t topo, hwloc_const_cpuset_t original, char *err,
                      size_t err_len)
{
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    if (!set) return fail(err, err_len, "out of memory");
    if (p->bind == KB_BIND_NONE) hwloc_bitmap_copy(set, original);
    for (int i = 0; i < p->cpu_count; i++) hwloc_bitmap_set(set, (unsigned)p->cpus[i]);
    int rc = 0;
    if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) != 0) {
        rc = fail(err, err_len, "cannot bind to the PUs of %s: %s", p->label, strerror(errno));
    } else if (hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE) > 1 &&
               hwloc_set_membind(topo, set, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_THREAD) != 0) {
        rc = fail(err, err_len, "cannot bind memory near the PUs of %s: %s", p->label, strerror(errno));
    }
    hwloc_bitmap_free(set);
    return rc;
}

int kb_bind_near_pci(hwloc_topology_t topo, const char *bus_id, char *where, size_t where_len, char *err,
                     size_t err_len)
{
    hwloc_obj_t dev = hwloc_get_pcidev_by_busidstring(topo, bus_id);
    if (!dev) return fail(err, err_len, "PCI device %s is not in hwloc's view of this machine", bus_id);
    hwloc_obj_t near = hwloc_get_non_io_ancestor_obj(topo, dev);
    if (!near || !near->cpuset) return fail(err, err_len, "PCI device %s has no CPU locality", bus_id);
    if (hwloc_set_cpubind(topo, near->cpuset, HWLOC_CPUBIND_THREAD) != 0)
        return fail(err, err_len, "cannot bind near PCI device %s: %s", bus_id, strerror(errno));
    char *list = NULL;
    hwloc_bitmap_list_asprintf(&list, near->cpuset);
    snprintf(where, where_len, "PUs %s", list ? list : "?");
    free(list);
    return 0;
}
