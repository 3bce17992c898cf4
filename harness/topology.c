/*
 * topology.c - hwloc discovery, the fingerprint, the XML export, and the
 * summaries of `kbench topo`.  docs/topology.md explains which facts the
 * fingerprint hashes and why the others are left out.
 */
#include "topology.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "atomic_file.h"

/* Bump when the canonical text changes on purpose: every id changes with it. */
#define KB_FINGERPRINT_SCHEME 1

/* Identical caches grouped: "48 KiB L1d, one per PU, 2 of them". */
typedef struct {
    unsigned level;
    int kind; /* 'd' data, 'i' instruction, 'u' unified, 'm' memory-side */
    unsigned long long size;
    int sharing; /* PUs under one cache */
    int count;
} kb_cache_group;

/* One GPU or coprocessor.  hwloc reports one physical device as several OS
 * devices (card1, nvml0, cuda0, opencl0d0) depending on which drivers and
 * libraries are present, so they are grouped by their PCI device. */
typedef struct {
    hwloc_obj_t pci;   /* NULL when hwloc does not place the device on PCI */
    hwloc_obj_t osdev; /* the first of its OS devices */
    char model[128];
    char osdevs[160]; /* "card1, nvml0, cuda0" */
} kb_gpu;

struct kb_topology {
    hwloc_topology_t topo;
    char fingerprint[13];
    char *text;
    char vendor[128], model[256], family[32], model_number[32];
    int packages, cores, pus, numa;
    size_t llc;
    double memory;
    kb_cache_group *caches;
    int ncaches;
    kb_gpu *gpus;
    int ngpus;
};

/* Append src to dst (capacity n) with whitespace runs collapsed and control
 * characters dropped: /proc/cpuinfo pads model names, and a newline would
 * break the one-fact-per-line text. */
static void append_clean(char *dst, size_t n, const char *src)
{
    size_t len = strlen(dst);
    int space = 0;
    for (; *src && len + 1 < n; src++) {
        unsigned char c = (unsigned char)*src;
        if (c == ' ' || c == '\t') {
            space = len > 0;
            continue;
        }
        if (c < 0x20 || c == 0x7f) continue;
        if (space && len + 2 < n) dst[len++] = ' ';
        space = 0;
        dst[len++] = (char)c;
    }
    dst[len] = '\0';
}

/* hwloc puts CPU info attributes on each Package, or on the Machine when it
 * has no packages. */
static const char *cpu_info(hwloc_topology_t topo, hwloc_obj_t pkg, const char *name)
{
    const char *v = pkg ? hwloc_obj_get_info_by_name(pkg, name) : NULL;
    return v ? v : hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), name);
}

/* Append src to dst (capacity n) as it is: separators keep their spaces. */
static void append_raw(char *dst, size_t n, const char *src)
{
    size_t len = strlen(dst);
    snprintf(dst + len, n - len, "%s", src);
}

/* Is `item` one of the " | "-separated items of list? */
static int has_item(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; (p = strstr(p, item)); p++)
        if ((p == list || (p - list >= 3 && !strncmp(p - 3, " | ", 3))) && (!p[n] || !strncmp(p + n, " | ", 3))) return 1;
    return 0;
}

/* Every distinct value of `name` over the packages, joined with " | " (a
 * machine with mixed CPUs lists both). */
static void cpu_strings(hwloc_topology_t topo, const char *name, char *dst, size_t n)
{
    dst[0] = '\0';
    hwloc_obj_t pkg = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PACKAGE, NULL);
    do {
        char one[256] = "";
        const char *v = cpu_info(topo, pkg, name);
        if (!v) continue;
        append_clean(one, sizeof one, v);
        if (!one[0] || has_item(dst, one)) continue;
        if (dst[0]) append_raw(dst, n, " | ");
        append_clean(dst, n, one);
    } while (pkg && (pkg = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pkg)));
}

static void read_cpu(kb_topology *t)
{
    cpu_strings(t->topo, "CPUVendor", t->vendor, sizeof t->vendor);
    cpu_strings(t->topo, "CPUModel", t->model, sizeof t->model);
    if (!t->model[0]) { /* Arm: hwloc has the implementer and part codes, no name */
        char impl[64], part[64];
        cpu_strings(t->topo, "CPUImplementer", impl, sizeof impl);
        cpu_strings(t->topo, "CPUPartNumber", part, sizeof part);
        if (impl[0] && part[0]) snprintf(t->model, sizeof t->model, "implementer %s part %s", impl, part);
    }
    if (!t->model[0]) snprintf(t->model, sizeof t->model, "unknown");
    cpu_strings(t->topo, "CPUFamilyNumber", t->family, sizeof t->family);
    cpu_strings(t->topo, "CPUModelNumber", t->model_number, sizeof t->model_number);
}

static int kind_rank(int kind)
{
    return kind == 'd' ? 0 : kind == 'i' ? 1 : kind == 'u' ? 2 : 3;
}

static int cmp_cache(const void *pa, const void *pb)
{
    const kb_cache_group *a = pa, *b = pb;
    if (a->level != b->level) return a->level < b->level ? -1 : 1;
    if (a->kind != b->kind) return kind_rank(a->kind) - kind_rank(b->kind);
    if (a->size != b->size) return a->size < b->size ? -1 : 1;
    return a->sharing - b->sharing;
}

/* Every cache becomes one record, then equal records merge into counts. */
static int read_caches(kb_topology *t)
{
    static const hwloc_obj_type_t types[] = {
        HWLOC_OBJ_L1CACHE,  HWLOC_OBJ_L2CACHE,  HWLOC_OBJ_L3CACHE,  HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
        HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2ICACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_MEMCACHE};
    int total = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int n = hwloc_get_nbobjs_by_type(t->topo, types[i]);
        if (n > 0) total += n;
    }
    t->caches = calloc(total ? (size_t)total : 1, sizeof *t->caches);
    if (!t->caches) return -1;
    int n = 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        for (hwloc_obj_t o = NULL; n < total && (o = hwloc_get_next_obj_by_type(t->topo, types[i], o));) {
            kb_cache_group *c = &t->caches[n++];
            c->level = o->attr->cache.depth;
            c->kind = types[i] == HWLOC_OBJ_MEMCACHE                         ? 'm'
                      : o->attr->cache.type == HWLOC_OBJ_CACHE_DATA        ? 'd'
                      : o->attr->cache.type == HWLOC_OBJ_CACHE_INSTRUCTION ? 'i'
                                                                           : 'u';
            c->size = (unsigned long long)o->attr->cache.size;
            int w = o->cpuset ? hwloc_bitmap_weight(o->cpuset) : 0;
            c->sharing = w > 0 ? w : 0;
            c->count = 1;
            if ((c->kind == 'd' || c->kind == 'u') && c->size > t->llc) t->llc = (size_t)c->size;
        }
    }
    qsort(t->caches, (size_t)n, sizeof *t->caches, cmp_cache);
    t->ncaches = 0;
    for (int i = 0; i < n; i++) {
        kb_cache_group *last = t->ncaches ? &t->caches[t->ncaches - 1] : NULL;
        if (last && cmp_cache(last, &t->caches[i]) == 0) last->count++;
        else t->caches[t->ncaches++] = t->caches[i];
    }
    return 0;
}

static hwloc_obj_t pci_parent(hwloc_obj_t o)
{
    for (o = o->parent; o && hwloc_obj_type_is_io(o->type); o = o->parent)
        if (o->type == HWLOC_OBJ_PCI_DEVICE) return o;
    return NULL;
}

static int read_gpus(kb_topology *t)
{
    int n = 0;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_osdev(t->topo, o));) n++;
    t->gpus = calloc(n ? (size_t)n : 1, sizeof *t->gpus);
    if (!t->gpus) return -1;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_osdev(t->topo, o));) {
        if (o->attr->osdev.type != HWLOC_OBJ_OSDEV_GPU && o->attr->osdev.type != HWLOC_OBJ_OSDEV_COPROC) continue;
        hwloc_obj_t pci = pci_parent(o);
        kb_gpu *g = NULL;
        for (int i = 0; i < t->ngpus && !g; i++)
            if (pci && t->gpus[i].pci == pci) g = &t->gpus[i];
        if (!g) {
            g = &t->gpus[t->ngpus++];
            g->pci = pci;
            g->osdev = o;
        } else {
            append_raw(g->osdevs, sizeof g->osdevs, ", ");
        }
        append_clean(g->osdevs, sizeof g->osdevs, o->name ? o->name : "?");
        const char *model = hwloc_obj_get_info_by_name(o, "GPUModel");
        if (model && !g->model[0]) append_clean(g->model, sizeof g->model, model);
    }
    for (int i = 0; i < t->ngpus; i++) { /* no GPUModel: the PCI name, else the PCI id */
        kb_gpu *g = &t->gpus[i];
        const char *name = g->pci ? (g->pci->name ? g->pci->name : hwloc_obj_get_info_by_name(g->pci, "PCIDevice")) : NULL;
        if (g->model[0]) continue;
        if (name) append_clean(g->model, sizeof g->model, name);
        else if (g->pci)
            snprintf(g->model, sizeof g->model, "PCI device %04x:%04x", g->pci->attr->pcidev.vendor_id,
                     g->pci->attr->pcidev.device_id);
        else append_clean(g->model, sizeof g->model, g->osdev->name ? g->osdev->name : "unnamed device");
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The line a GPU adds to the fingerprint: the PCI vendor:device id, which
 * names the product (an H100 SXM and PCIe differ) whatever driver or library
 * let hwloc see it; the model string only for a device off PCI. */
static void gpu_fact(const kb_gpu *g, char *dst, size_t n)
{
    if (g->pci) snprintf(dst, n, "gpu pci=%04x:%04x", g->pci->attr->pcidev.vendor_id, g->pci->attr->pcidev.device_id);
    else snprintf(dst, n, "gpu model=%s", g->model);
}

static void cache_name(const kb_cache_group *c, char *dst, size_t n)
{
    if (c->kind == 'm') snprintf(dst, n, "memside%u", c->level);
    else snprintf(dst, n, "L%u%s", c->level, c->kind == 'd' ? "d" : c->kind == 'i' ? "i" : "");
}

/* The canonical text: stable facts only, in a fixed order (docs/topology.md). */
static char *build_text(const kb_topology *t)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    fprintf(f, "scheme=%d\n", KB_FINGERPRINT_SCHEME);
    fprintf(f, "cpu_vendor=%s\ncpu_model=%s\n", t->vendor[0] ? t->vendor : "unknown", t->model);
    if (t->family[0]) fprintf(f, "cpu_family=%s\n", t->family);
    if (t->model_number[0]) fprintf(f, "cpu_model_number=%s\n", t->model_number);
    fprintf(f, "packages=%d\ncores=%d\npus=%d\nnuma=%d\n", t->packages, t->cores, t->pus, t->numa);
    /* No memory sizes: this VM's NUMA node grew by 1 GiB within an hour of
     * one session (memory ballooning), and a machine must keep its id. */
    for (int c = 0; c < t->ncaches; c++) {
        char name[16];
        cache_name(&t->caches[c], name, sizeof name);
        fprintf(f, "cache %s size=%llu sharing=%d count=%d\n", name, t->caches[c].size, t->caches[c].sharing,
                t->caches[c].count);
    }
    /* GPU lines sorted, identical ones counted, so PCI order does not matter. */
    char (*facts)[160] = calloc(t->ngpus ? (size_t)t->ngpus : 1, sizeof *facts);
    char **sorted = calloc(t->ngpus ? (size_t)t->ngpus : 1, sizeof *sorted);
    if (facts && sorted) {
        for (int g = 0; g < t->ngpus; g++) {
            gpu_fact(&t->gpus[g], facts[g], sizeof facts[g]);
            sorted[g] = facts[g];
        }
        qsort(sorted, (size_t)t->ngpus, sizeof *sorted, cmp_str);
        for (int g = 0, run = 1; g < t->ngpus; g++, run++)
            if (g + 1 == t->ngpus || strcmp(sorted[g], sorted[g + 1])) {
                fprintf(f, "%s count=%d\n", sorted[g], run);
                run = 0;
            }
    }
    int ok = facts && sorted;
    free(facts);
    free(sorted);
    if (fclose(f) != 0 || !ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* FNV-1a 64 (Fowler/Noll/Vo): tiny, well-known, and stable across
 * platforms; this is an identifier, not a security boundary. */
static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static int load_hwloc(hwloc_topology_t *topo, const char *xml_path, char *err, size_t err_len)
{
    if (xml_path) { /* hwloc's own messages say less than errno does */
        struct stat st;
        if (stat(xml_path, &st) != 0) {
            snprintf(err, err_len, "%s: %s", xml_path, strerror(errno));
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, err_len, "%s: is a folder, not an hwloc XML file", xml_path);
            return -1;
        }
    }
    if (hwloc_topology_init(topo) != 0) {
        snprintf(err, err_len, "hwloc: cannot initialise: %s", strerror(errno));
        return -1;
    }
    /* The same settings for both sources, so a machine and its saved XML agree. */
    hwloc_topology_set_flags(*topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
    hwloc_topology_set_io_types_filter(*topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
    hwloc_topology_set_icache_types_filter(*topo, HWLOC_TYPE_FILTER_KEEP_ALL); /* hwloc drops them by default */
    if (xml_path && hwloc_topology_set_xml(*topo, xml_path) != 0) {
        snprintf(err, err_len, "%s: %s", xml_path, strerror(errno));
        hwloc_topology_destroy(*topo);
        return -1;
    }
    if (hwloc_topology_load(*topo) != 0) {
        if (xml_path)
            snprintf(err, err_len, "%s: not a valid hwloc XML topology (`lstopo --of xml` writes one)", xml_path);
        else snprintf(err, err_len, "hwloc: cannot discover this machine: %s", strerror(errno));
        hwloc_topology_destroy(*topo);
        return -1;
    }
    return 0;
}

int kb_topology_load(kb_topology **out, const char *xml_path, char *err, size_t err_len)
{
    *out = NULL;
    kb_topology *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_len, "topology: out of memory");
        return -1;
    }
    if (load_hwloc(&t->topo, xml_path, err, err_len) != 0) {
        free(t);
        return -1;
    }
    t->packages = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PACKAGE);
    t->cores = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_CORE);
    t->pus = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_PU);
    t->numa = hwloc_get_nbobjs_by_type(t->topo, HWLOC_OBJ_NUMANODE);
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, o));)
        t->memory += (double)o->attr->numanode.local_memory;
    read_cpu(t);
    if (read_caches(t) != 0 || read_gpus(t) != 0 || !(t->text = build_text(t))) {
        snprintf(err, err_len, "%s: out of memory", xml_path ? xml_path : "topology");
        kb_topology_free(t);
        return -1;
    }
    snprintf(t->fingerprint, sizeof t->fingerprint, "%012llx", (unsigned long long)(fnv1a64(t->text) >> 16));
    *out = t;
    return 0;
}

void kb_topology_free(kb_topology *t)
{
    if (!t) return;
    if (t->topo) hwloc_topology_destroy(t->topo);
    free(t->text);
    free(t->caches);
    free(t->gpus);
    free(t);
}

const char *kb_topology_fingerprint(const kb_topology *t) { return t->fingerprint; }
const char *kb_topology_fingerprint_text(const kb_topology *t) { return t->text; }
hwloc_topology_t kb_topology_hwloc(const kb_topology *t) { return t->topo; }
int kb_topology_packages(const kb_topology *t) { return t->packages; }
int kb_topology_cores(const kb_topology *t) { return t->cores; }
int kb_topology_pus(const kb_topology *t) { return t->pus; }
int kb_topology_numa_nodes(const kb_topology *t) { return t->numa; }
size_t kb_topology_llc_bytes(const kb_topology *t) { return t->llc; }
const char *kb_topology_cpu_model(const kb_topology *t) { return t->model; }
double kb_topology_memory_bytes(const kb_topology *t) { return t->memory; }

struct xml_buf {
    const char *data;
    size_t len;
};

static int write_xml(FILE *f, void *user, char *err, size_t err_len)
{
    const struct xml_buf *b = user;
    if (fwrite(b->data, 1, b->len, f) != b->len) {
        snprintf(err, err_len, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

int kb_topology_export_xml(const kb_topology *t, const char *path, char *err, size_t err_len)
{
    char *xml = NULL;
    int len = 0;
    if (hwloc_topology_export_xmlbuffer(t->topo, &xml, &len, 0) != 0 || !xml || len < 1) {
        snprintf(err, err_len, "%s: hwloc cannot export the topology: %s", path, strerror(errno));
        return -1;
    }
    struct xml_buf b = {xml, (size_t)len - 1}; /* len counts the final '\0' */
    int rc = kb_write_file_atomic(path, write_xml, &b, err, err_len);
    hwloc_free_xmlbuffer(t->topo, xml);
    return rc;
}

/* ---- summaries ---- */

static void human_size(unsigned long long b, char *dst, size_t n)
{
    if (b && b % (1ull << 30) == 0) snprintf(dst, n, "%llu GiB", b >> 30);
    else if (b && b % (1ull << 20) == 0) snprintf(dst, n, "%llu MiB", b >> 20);
    else if (b && b % 1024 == 0) snprintf(dst, n, "%llu KiB", b >> 10);
    else snprintf(dst, n, "%llu B", b);
}

/* Where a GPU sits: its nearest CPU-side ancestor, the cores (hwloc logical
 * numbers) and PUs (OS numbers, what taskset takes) under it. */
static hwloc_obj_t gpu_near(const kb_topology *t, const kb_gpu *g, char *cores, char *pus, size_t n)
{
    hwloc_obj_t anc = hwloc_get_non_io_ancestor_obj(t->topo, g->pci ? g->pci : g->osdev);
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    cores[0] = pus[0] = '\0';
    if (!anc || !set) {
        hwloc_bitmap_free(set);
        return anc;
    }
    for (hwloc_obj_t c = NULL; (c = hwloc_get_next_obj_inside_cpuset_by_type(t->topo, anc->cpuset, HWLOC_OBJ_CORE, c));)
        hwloc_bitmap_set(set, c->logical_index);
    hwloc_bitmap_list_snprintf(cores, n, set);
    hwloc_bitmap_list_snprintf(pus, n, anc->cpuset);
    hwloc_bitmap_free(set);
    return anc;
}

void kb_topology_print(const kb_topology *t, FILE *f)
{
    char buf[64], cores[256], pus[256];
    fprintf(f, "fingerprint  %s\n", t->fingerprint);
    fprintf(f, "cpu          %s%s%s%s\n", t->model, t->vendor[0] ? " (" : "", t->vendor, t->vendor[0] ? ")" : "");
    fprintf(f, "cpus         packages %d, cores %d, PUs %d\n", t->packages, t->cores, t->pus);
    fprintf(f, "memory       %.2f GiB in %d NUMA node%s\n", t->memory / (1u << 30), t->numa, t->numa == 1 ? "" : "s");
    int i = 0;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, o)); i++) {
        hwloc_bitmap_list_snprintf(pus, sizeof pus, o->cpuset);
        fprintf(f, "  NUMA %-5d %.2f GiB, PUs %s\n", i, (double)o->attr->numanode.local_memory / (1u << 30),
                pus[0] ? pus : "none");
    }
    fprintf(f, "caches%s\n", t->ncaches ? "" : "       none seen by hwloc");
    for (int c = 0; c < t->ncaches; c++) {
        const kb_cache_group *g = &t->caches[c];
        char name[16];
        cache_name(g, name, sizeof name);
        human_size(g->size, buf, sizeof buf);
        fprintf(f, "  %-8s %8s x%d, each shared by %d PU%s\n", name, buf, g->count, g->sharing,
                g->sharing == 1 ? "" : "s");
    }
    fprintf(f, "gpus%s\n", t->ngpus ? "" : "         none seen by hwloc");
    for (int g = 0; g < t->ngpus; g++) {
        const kb_gpu *d = &t->gpus[g];
        hwloc_obj_t anc = gpu_near(t, d, cores, pus, sizeof cores);
        fprintf(f, "  %d: %s  [%s]", g, d->model, d->osdevs);
        if (d->pci)
            fprintf(f, "  pci %04x:%04x at %04x:%02x:%02x.%x", d->pci->attr->pcidev.vendor_id,
                    d->pci->attr->pcidev.device_id, d->pci->attr->pcidev.domain, d->pci->attr->pcidev.bus,
                    d->pci->attr->pcidev.dev, d->pci->attr->pcidev.func);
        if (anc)
            fprintf(f, "\n     near %s %u: cores %s, PUs %s", hwloc_obj_type_string(anc->type), anc->logical_index,
                    cores[0] ? cores : "none", pus[0] ? pus : "none");
        fprintf(f, "\n");
    }
    fprintf(f, "fingerprint facts (FNV-1a 64 of these lines, top 48 bits):\n");
    for (const char *s = t->text; *s;) {
        const char *nl = strchr(s, '\n');
        int len = nl ? (int)(nl - s) : (int)strlen(s);
        fprintf(f, "  %.*s\n", len, s);
        s += len + (nl != NULL);
    }
}

json_t *kb_topology_json(const kb_topology *t)
{
    char buf[256], cores[256], pus[256];
    json_t *j = json_object();
    json_object_set_new(j, "fingerprint", json_string(t->fingerprint));
    json_object_set_new(j, "fingerprint_text", json_string(t->text));
    json_object_set_new(j, "cpu_vendor", json_string(t->vendor));
    json_object_set_new(j, "cpu_model", json_string(t->model));
    json_object_set_new(j, "packages", json_integer(t->packages));
    json_object_set_new(j, "cores", json_integer(t->cores));
    json_object_set_new(j, "pus", json_integer(t->pus));
    json_object_set_new(j, "memory_bytes", json_integer((json_int_t)t->memory));
    json_object_set_new(j, "llc_bytes", json_integer((json_int_t)t->llc));
    json_t *numa = json_array();
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(t->topo, HWLOC_OBJ_NUMANODE, o));) {
        hwloc_bitmap_list_snprintf(pus, sizeof pus, o->cpuset);
        json_array_append_new(numa, json_pack("{s:i, s:I, s:s}", "index", (int)o->logical_index, "memory_bytes",
                                              (json_int_t)o->attr->numanode.local_memory, "pus", pus));
    }
    json_object_set_new(j, "numa_nodes", numa);
    json_t *caches = json_array();
    for (int c = 0; c < t->ncaches; c++) {
        const kb_cache_group *g = &t->caches[c];
        static const char *kinds[] = {"data", "instruction", "unified", "memory-side"};
        cache_name(g, buf, sizeof buf);
        json_array_append_new(caches, json_pack("{s:s, s:i, s:s, s:I, s:i, s:i}", "name", buf, "level", (int)g->level,
                                                "type", kinds[kind_rank(g->kind)], "size_bytes", (json_int_t)g->size,
                                                "sharing_pus", g->sharing, "count", g->count));
    }
    json_object_set_new(j, "caches", caches);
    json_t *gpus = json_array();
    for (int g = 0; g < t->ngpus; g++) {
        const kb_gpu *d = &t->gpus[g];
        hwloc_obj_t anc = gpu_near(t, d, cores, pus, sizeof cores);
        json_t *o = json_pack("{s:s, s:s}", "model", d->model, "os_devices", d->osdevs);
        if (d->pci) {
            snprintf(buf, sizeof buf, "%04x:%04x", d->pci->attr->pcidev.vendor_id, d->pci->attr->pcidev.device_id);
            json_object_set_new(o, "pci_id", json_string(buf));
            snprintf(buf, sizeof buf, "%04x:%02x:%02x.%x", d->pci->attr->pcidev.domain, d->pci->attr->pcidev.bus,
                     d->pci->attr->pcidev.dev, d->pci->attr->pcidev.func);
            json_object_set_new(o, "pci_busid", json_string(buf));
        }
        if (anc) {
            snprintf(buf, sizeof buf, "%s %u", hwloc_obj_type_string(anc->type), anc->logical_index);
            json_object_set_new(o, "near", json_string(buf));
            json_object_set_new(o, "near_cores", json_string(cores));
            json_object_set_new(o, "near_pus", json_string(pus));
        }
        json_array_append_new(gpus, o);
    }
    json_object_set_new(j, "gpus", gpus);
    return j;
}
