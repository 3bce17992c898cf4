/*
 * test_topology.c - the fingerprint keeps what is stable and only that:
 * saved hwloc XML files (tests/data/topology, argv[1]) and copies of them
 * edited in one place each, written to a temporary folder.
 *
 * this-vm.xml is `lstopo-no-graphics --of xml` of the 2-core VM the project
 * was written on; three-cores.xml adds a core; gpu-vm.xml adds an H100 as
 * hwloc shows one (DRM card, NVML and CUDA OS devices on one PCI device).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"
#include "topology.h"

static const char *data_dir;
static char tmp_dir[] = "/tmp/kb_test_topology.XXXXXX";

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    int c;
    while ((c = fgetc(f)) != EOF) fputc(c, m);
    fclose(f);
    fclose(m);
    return s;
}

static char *path_in(const char *dir, const char *name)
{
    static char bufs[8][512];
    static int next;
    char *p = bufs[next++ % 8];
    snprintf(p, sizeof bufs[0], "%s/%s", dir, name);
    return p;
}

/* Write `name` in the temporary folder: `base` with each (old, new) pair
 * replaced once; an edit that finds nothing to replace is a failure, so a
 * regenerated this-vm.xml cannot make the checks pass vacuously. */
static const char *variant(const char *base, const char *name, const char *const *edits)
{
    char *text = read_text(path_in(data_dir, base));
    EXPECT(text, "cannot read %s", base);
    if (!text) return "/nonexistent";
    for (; edits && edits[0]; edits += 2) {
        char *at = strstr(text, edits[0]);
        EXPECT(at, "%s: '%s' not found in %s", name, edits[0], base);
        if (!at) continue;
        size_t head = (size_t)(at - text), ol = strlen(edits[0]), nl = strlen(edits[1]);
        char *next = malloc(strlen(text) - ol + nl + 1);
        memcpy(next, text, head);
        memcpy(next + head, edits[1], nl);
        strcpy(next + head + nl, at + ol);
        free(text);
        text = next;
    }
    const char *path = path_in(tmp_dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    free(text);
    return path;
}

static kb_topology *load(const char *path)
{
    kb_topology *t = NULL;
    char err[512];
    int rc = kb_topology_load(&t, path, err, sizeof err);
    EXPECT(rc == 0 && t, "loading %s: %s", path ? path : "this machine", err);
    return rc == 0 ? t : NULL;
}

/* Does `path` (from the data folder or the temporary one) load and give an
 * id equal (want_same) or unequal to `ref`? */
static void expect_id(const char *path, const char *ref, int want_same, const char *why)
{
    kb_topology *t = load(path);
    if (!t) return;
    int same = !strcmp(kb_topology_fingerprint(t), ref);
    EXPECT(same == want_same, "%s: id %s, expected %s %s\n%s", why, kb_topology_fingerprint(t),
           want_same ? "the same as" : "different from", ref, kb_topology_fingerprint_text(t));
    kb_topology_free(t);
}

static void expect_load_error(const char *path, const char *what)
{
    kb_topology *t = (kb_topology *)1;
    char err[512] = "";
    int rc = kb_topology_load(&t, path, err, sizeof err);
    EXPECT(rc == -1 && t == NULL, "%s: loaded", what);
    EXPECT(err[0] && !strchr(err, '\n') && strstr(err, path), "%s: want one line naming the file, got '%s'", what, err);
    printf("%-12s -> %s\n", what, err);
}

static const char this_vm_text[] =
    "scheme=1\n"
    "cpu_vendor=AuthenticAMD\n"
    "cpu_model=AMD EPYC\n"
    "cpu_family=26\n"
    "cpu_model_number=2\n"
    "packages=1\n"
    "cores=2\n"
    "pus=2\n"
    "numa=1\n"
    "cache L1d size=49152 sharing=1 count=2\n"
    "cache L1i size=32768 sharing=1 count=2\n"
    "cache L2 size=1048576 sharing=1 count=2\n"
    "cache L3 size=33554432 sharing=2 count=1\n";

static void check_this_vm(char *id)
{
    const char *file = path_in(data_dir, "this-vm.xml");
    kb_topology *a = load(file), *b = load(file);
    if (!a || !b) exit(1);
    snprintf(id, 13, "%s", kb_topology_fingerprint(a));
    EXPECT(!strcmp(id, kb_topology_fingerprint(b)), "the same file twice: %s and %s", id, kb_topology_fingerprint(b));
    EXPECT(strlen(id) == 12 && strspn(id, "0123456789abcdef") == 12, "id '%s' is not 12 lower-case hex digits", id);
    EXPECT(!strcmp(kb_topology_fingerprint_text(a), this_vm_text), "canonical text:\n%s", kb_topology_fingerprint_text(a));
    /* Pins the hash too: FNV-1a 64 of this_vm_text, top 48 bits. */
    EXPECT(!strcmp(id, "b8a24ad7a4f2"), "id %s, expected b8a24ad7a4f2", id);

    /* (5) the counts and the other accessors */
    EXPECT(kb_topology_packages(a) == 1, "packages %d", kb_topology_packages(a));
    EXPECT(kb_topology_cores(a) == 2, "cores %d", kb_topology_cores(a));
    EXPECT(kb_topology_pus(a) == 2, "pus %d", kb_topology_pus(a));
    EXPECT(kb_topology_numa_nodes(a) == 1, "numa %d", kb_topology_numa_nodes(a));
    EXPECT(kb_topology_llc_bytes(a) == 33554432, "llc %zu", kb_topology_llc_bytes(a));
    EXPECT(kb_topology_memory_bytes(a) == 4926427136.0, "memory %.0f", kb_topology_memory_bytes(a));
    EXPECT(!strcmp(kb_topology_cpu_model(a), "AMD EPYC"), "cpu model '%s'", kb_topology_cpu_model(a));
    EXPECT(kb_topology_hwloc(a) != NULL, "no hwloc handle");

    /* The export reloads to the same id. */
    const char *out = path_in(tmp_dir, "exported.xml");
    char err[512];
    EXPECT(kb_topology_export_xml(a, out, err, sizeof err) == 0, "export: %s", err);
    expect_id(out, id, 1, "exported and reloaded");
    EXPECT(kb_topology_export_xml(a, "/no/such/dir/t.xml", err, sizeof err) == -1 && strstr(err, "/no/such/dir/t.xml"),
           "export to a missing folder: '%s'", err);

    /* The summaries: fingerprint first, no GPU here. */
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    kb_topology_print(a, m);
    fclose(m);
    char first[64];
    snprintf(first, sizeof first, "fingerprint  %s\n", id);
    EXPECT(!strncmp(s, first, strlen(first)), "print starts:\n%s", s);
    EXPECT(strstr(s, "gpus         none seen by hwloc") && strstr(s, "cores 2") && strstr(s, "  cache L3 size=33554432"),
           "print:\n%s", s);
    free(s);
    json_t *j = kb_topology_json(a);
    EXPECT(!strcmp(json_string_value(json_object_get(j, "fingerprint")), id), "json fingerprint");
    EXPECT(!strcmp(json_string_value(json_object_get(j, "fingerprint_text")), this_vm_text), "json text");
    EXPECT(json_integer_value(json_object_get(j, "cores")) == 2, "json cores");
    EXPECT(json_array_size(json_object_get(j, "caches")) == 4, "json caches");
    EXPECT(json_array_size(json_object_get(j, "gpus")) == 0, "json gpus");
    json_decref(j);
    kb_topology_free(a);
    kb_topology_free(b);
}

static void check_gpu(const char *vm_id)
{
    kb_topology *t = load(path_in(data_dir, "gpu-vm.xml"));
    if (!t) return;
    const char *id = kb_topology_fingerprint(t);
    EXPECT(strcmp(id, vm_id), "a GPU more, same id");
    EXPECT(strstr(kb_topology_fingerprint_text(t), "\ngpu pci=10de:2330 count=1\n"), "text:\n%s",
           kb_topology_fingerprint_text(t));
    json_t *j = kb_topology_json(t);
    json_t *g = json_array_get(json_object_get(j, "gpus"), 0);
    EXPECT(json_array_size(json_object_get(j, "gpus")) == 1, "one GPU, not one per OS device");
    EXPECT(g && !strcmp(json_string_value(json_object_get(g, "model")), "NVIDIA H100 80GB HBM3"), "gpu model");
    EXPECT(g && !strcmp(json_string_value(json_object_get(g, "near_cores")), "0-1"), "gpu near cores");
    json_decref(j);
    char *s = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&s, &len);
    kb_topology_print(t, m);
    fclose(m);
    EXPECT(strstr(s, "NVIDIA H100 80GB HBM3  [card1, nvml0, cuda0]") && strstr(s, "near Machine 0: cores 0-1, PUs 0-1"),
           "print:\n%s", s);
    free(s);

    /* Serial numbers, bus ids and which driver libraries are present do not count. */
    static const char *const serial[] = {"1650123456789", "1650999999999", "GPU-00000000", "GPU-99999999",
                                         "0000:00:04.0", "0000:00:09.0", NULL};
    expect_id(variant("gpu-vm.xml", "gpu-serial.xml", serial), id, 1, "GPU serial, UUID and bus id changed");
    static const char *const no_libs[] = {
        "        <object type=\"OSDev\" gp_index=\"42\" name=\"nvml0\" osdev_type=\"1\">\n"
        "          <info name=\"Backend\" value=\"NVML\"/>\n"
        "          <info name=\"GPUVendor\" value=\"NVIDIA Corporation\"/>\n"
        "          <info name=\"GPUModel\" value=\"NVIDIA H100 80GB HBM3\"/>\n"
        "          <info name=\"NVIDIASerial\" value=\"1650123456789\"/>\n"
        "          <info name=\"NVIDIAUUID\" value=\"GPU-00000000-1111-2222-3333-444444444444\"/>\n"
        "        </object>\n",
        "",
        "        <object type=\"OSDev\" gp_index=\"43\" name=\"cuda0\" osdev_type=\"5\">\n"
        "          <info name=\"CoProcType\" value=\"CUDA\"/>\n"
        "          <info name=\"Backend\" value=\"CUDA\"/>\n"
        "          <info name=\"GPUVendor\" value=\"NVIDIA Corporation\"/>\n"
        "          <info name=\"GPUModel\" value=\"NVIDIA H100 80GB HBM3\"/>\n"
        "        </object>\n",
        "",
        NULL};
    expect_id(variant("gpu-vm.xml", "gpu-drm-only.xml", no_libs), id, 1, "GPU seen through DRM only");
    kb_topology_free(t);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_topology DATA_DIR\n");
        return 2;
    }
    data_dir = argv[1];
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return 1;
    }

    /* (1) stable over reloads; this machine's id today, for the record */
    char id[13];
    check_this_vm(id);
    kb_topology *live = load(NULL);
    if (live) {
        printf("this machine: %s   this-vm.xml: %s\n", kb_topology_fingerprint(live), id);
        const char *out = path_in(tmp_dir, "live.xml");
        char err[512];
        EXPECT(kb_topology_export_xml(live, out, err, sizeof err) == 0, "export: %s", err);
        expect_id(out, kb_topology_fingerprint(live), 1, "this machine exported and reloaded");
        kb_topology_free(live);
    }

    /* (2) a stable fact changed: a different id */
    static const char *const l3[] = {"cache_size=\"33554432\"", "cache_size=\"67108864\"", NULL};
    expect_id(variant("this-vm.xml", "l3-64m.xml", l3), id, 0, "L3 32 MiB -> 64 MiB");
    static const char *const model[] = {"value=\"AMD EPYC\"", "value=\"AMD EPYC 9654\"", NULL};
    expect_id(variant("this-vm.xml", "model.xml", model), id, 0, "another CPU model string");

    /* (3) facts that are not the machine's: the same id */
    static const char *const host[] = {"name=\"HostName\" value=\"vm\"", "name=\"HostName\" value=\"ci-runner-17\"",
                                       "value=\"6.18.44-fc-v657\"", "value=\"5.15.0-91-generic\"",
                                       "name=\"OSVersion\" value=\"#1 SMP PREEMPT_DYNAMIC @0\"",
                                       "name=\"OSVersion\" value=\"#101-Ubuntu SMP\"",
                                       "pci_busid=\"0000:00:02.0\"", "pci_busid=\"0000:00:05.0\"",
                                       "02:fc:00:00:00:01", "02:fc:00:00:00:99",
                                       "name=\"CPUStepping\" value=\"1\"", "name=\"CPUStepping\" value=\"2\"",
                                       "count=\"1202741\"", "count=\"1202000\"", NULL};
    expect_id(variant("this-vm.xml", "other-host.xml", host), id, 1, "hostname, OS, PCI bus id, MAC, stepping");

    /* (4) one core more: a new id; more memory: the same id (memory is not a stable fact in a VM) */
    expect_id(path_in(data_dir, "three-cores.xml"), id, 0, "a third core");
    kb_topology *three = load(path_in(data_dir, "three-cores.xml"));
    if (three) {
        EXPECT(kb_topology_cores(three) == 3 && kb_topology_pus(three) == 3, "three-cores: %d cores, %d PUs",
               kb_topology_cores(three), kb_topology_pus(three));
        kb_topology_free(three);
    }
    static const char *const mem_small[] = {"local_memory=\"4926427136\"", "local_memory=\"5026427136\"", NULL};
    expect_id(variant("this-vm.xml", "mem-100mb.xml", mem_small), id, 1, "100 MB more memory");
    static const char *const mem_big[] = {"local_memory=\"4926427136\"", "local_memory=\"9221394432\"", NULL};
    expect_id(variant("this-vm.xml", "mem-4gib.xml", mem_big), id, 1, "4 GiB more memory (ballooning VMs)");

    check_gpu(id);

    /* (6) unreadable inputs: one line naming the file, no crash */
    expect_load_error("/no/such/topology.xml", "missing");
    const char *garbage = path_in(tmp_dir, "garbage.xml");
    FILE *f = fopen(garbage, "w");
    fputs("this is not XML\n\x01\x02\xff", f);
    fclose(f);
    expect_load_error(garbage, "garbage");
    char *whole = read_text(path_in(data_dir, "this-vm.xml"));
    if (whole) {
        whole[strlen(whole) / 2] = '\0';
        const char *half = path_in(tmp_dir, "truncated.xml");
        f = fopen(half, "w");
        fputs(whole, f);
        fclose(f);
        free(whole);
        expect_load_error(half, "truncated");
    }
    const char *empty = path_in(tmp_dir, "empty.xml");
    fclose(fopen(empty, "w"));
    expect_load_error(empty, "empty");
    expect_load_error(tmp_dir, "a folder");

    /* Clean up the temporary folder. */
    static const char *const made[] = {"exported.xml", "live.xml", "l3-64m.xml", "model.xml", "other-host.xml",
                                       "mem-100mb.xml", "mem-4gib.xml", "gpu-serial.xml", "gpu-drm-only.xml",
                                       "garbage.xml", "truncated.xml", "empty.xml"};
    for (size_t i = 0; i < sizeof made / sizeof made[0]; i++) unlink(path_in(tmp_dir, made[i]));
    rmdir(tmp_dir);
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
