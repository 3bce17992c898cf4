/*
 * test_placement.c - parsing --threads and --bind, and resolving them on a
 * saved machine (argv[1]: an hwloc XML file) and on a synthetic one with two
 * packages of two cores of two PUs, where compact and spread differ.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "expect.h"
#include "placement.h"

static void expect_parse_error(const char *threads, const char *bind, const char *message)
{
    kb_placement_spec s;
    char err[256] = "";
    int rc = kb_placement_parse(threads, bind, &s, err, sizeof err);
    EXPECT(rc != 0 && strstr(err, message), "threads=%s bind=%s: expected '%s', got rc %d '%s'", threads,
           bind ? bind : "(null)", message, rc, err);
}

static void test_parse(void)
{
    kb_placement_spec s;
    char err[256];
    EXPECT(kb_placement_parse("1,2,all", "spread", &s, err, sizeof err) == 0, "%s", err);
    EXPECT(s.thread_value_count == 3 && s.thread_values[0] == 1 && s.thread_values[1] == 2 && s.thread_values[2] == 0,
           "1,2,all parsed wrong");
    EXPECT(s.bind == KB_BIND_SPREAD, "spread");
    EXPECT(kb_placement_parse(NULL, NULL, &s, err, sizeof err) == 0 && s.thread_value_count == 1 &&
               s.thread_values[0] == 0 && s.bind == KB_BIND_COMPACT,
           "defaults are all threads, compact");
    EXPECT(kb_placement_parse("2", "0+2-4,7", &s, err, sizeof err) == 0, "%s", err);
    EXPECT(s.bind == KB_BIND_LIST && s.list_count == 5 && s.list[0] == 0 && s.list[1] == 2 && s.list[3] == 4 &&
               s.list[4] == 7,
           "PU list parsed wrong");
    expect_parse_error("0", NULL, "expected a list of counts");
    expect_parse_error("1,,2", NULL, "expected a list of counts");
    expect_parse_error("two", NULL, "expected a list of counts");
    expect_parse_error("1;2", NULL, "expected ',' between values");
    expect_parse_error("1", "tight", "expected compact, spread, none or a PU list");
    expect_parse_error("1", "0+0", "PU 0 named twice");
    expect_parse_error("1", "3-1", "bad range");
    expect_parse_error("1", "0+x", "expected a PU number");
}

static hwloc_topology_t load(const char *xml_path, const char *synthetic)
{
    hwloc_topology_t t;
    hwloc_topology_init(&t);
    if (xml_path) hwloc_topology_set_xml(t, xml_path);
    else hwloc_topology_set_synthetic(t, synthetic);
    if (hwloc_topology_load(t)) {
        fprintf(stderr, "cannot load topology %s\n", xml_path ? xml_path : synthetic);
        exit(1);
    }
    return t;
}

static int resolve(hwloc_topology_t t, const char *threads, const char *bind, kb_placement *out, char *err)
{
    kb_placement_spec s;
    if (kb_placement_parse(threads, bind, &s, err, 256)) return -1;
    return kb_placement_resolve(&s, t, NULL, out, KB_MAX_PLACEMENTS, err, 256);
}

static void test_resolve(const char *xml)
{
    static kb_placement p[KB_MAX_PLACEMENTS];
    char err[256];
    /* The saved 2-core VM. */
    hwloc_topology_t vm = load(xml, NULL);
    int n = resolve(vm, "1,2,all", "compact", p, err);
    EXPECT(n == 2, "1,2,all on 2 PUs: %d placements (%s)", n, n < 0 ? err : "");
    EXPECT(n == 2 && p[0].threads == 1 && p[0].cpu_count == 1 && p[0].cpus[0] == 0, "compact 1 -> PU 0");
    EXPECT(n == 2 && !strcmp(p[1].label, "threads=2,bind=compact"), "label '%s'", p[1].label);
    EXPECT(resolve(vm, "3", NULL, p, err) < 0 && strstr(err, "--threads 3: only 2 PUs are available"), "%s", err);
    n = resolve(vm, "1", "1", p, err);
    EXPECT(n == 1 && p[0].cpus[0] == 1 && !strcmp(p[0].label, "threads=1,bind=1"), "list 1: '%s'", p[0].label);
    EXPECT(resolve(vm, "1", "5", p, err) < 0 && strstr(err, "PU 5 is not available"), "%s", err);
    n = resolve(vm, "2", "none", p, err);
    EXPECT(n == 1 && p[0].cpu_count == 0 && !strcmp(p[0].label, "threads=2,bind=none"), "none: '%s'", p[0].label);
    hwloc_topology_destroy(vm);

    /* 2 packages x 2 cores x 2 PUs: compact fills a core's PUs first, spread crosses packages. */
    hwloc_topology_t big = load(NULL, "pack:2 core:2 pu:2");
    n = resolve(big, "2,4", "compact", p, err);
    EXPECT(n == 2 && p[0].cpus[0] == 0 && p[0].cpus[1] == 1, "compact 2 -> PUs 0,1 (one core's two PUs)");
    n = resolve(big, "2,4", "spread", p, err);
    EXPECT(n == 2 && p[0].cpus[0] == 0 && p[0].cpus[1] == 4, "spread 2 -> PUs 0,4 (two packages), got %d,%d",
           p[0].cpus[0], p[0].cpus[1]);
    EXPECT(n == 2 && p[1].cpu_count == 4 && p[1].cpus[0] == 0 && p[1].cpus[1] == 2 && p[1].cpus[2] == 4 &&
               p[1].cpus[3] == 6,
           "spread 4 -> one PU per core");
    hwloc_topology_destroy(big);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_placement TOPOLOGY.xml\n");
        return 2;
    }
    test_parse();
    test_resolve(argv[1]);
    if (failures) {
        fprintf(stderr, "test_placement: %d failed\n", failures);
        return 1;
    }
    printf("test_placement: parsing and resolution as documented\n");
    return 0;
}
