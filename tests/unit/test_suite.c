/*
 * test_suite.c - the suite parser and the built-in suites: messages name the
 * line and field, defaults are as documented, the coverage suites (smoke,
 * default) cover every op and dtype combination the issue asks for, and the
 * perf suite holds the shapes the performance comparison names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "suite.h"

#include "expect.h"

static void expect_error(const char *text, const char *message)
{
    kb_suite s;
    char err[256] = "";
    int rc = kb_suite_parse(text, "t.suite", &s, err, sizeof err);
    EXPECT(rc != 0 && strstr(err, message), "'%s': expected error containing '%s', got '%s'", text, message, err);
    if (rc == 0) kb_suite_free(&s);
}

static void test_errors(void)
{
    expect_error("softmax dtype=f32 rows=2", "t.suite:1: missing cols=");
    expect_error("# comment\n\nsoftmax dtype=f32 rows=2 cols=x", "t.suite:3: cols=x is not an integer");
    expect_error("softmax dtype=i8 rows=2 cols=2", "softmax dtype must be f32, f16 or bf16");
    expect_error("softmax dtype=f32 rows=2 cols=2 scale=0", "softmax scale must be > 0");
    expect_error("conv x=1", "unknown op 'conv'");
    expect_error("matmul a=f16 m=1 n=1 k=1 c=i32", "float matmul needs c=f32, f16 or bf16");
    expect_error("matmul a=i8 m=1 n=1 k=1 alpha=2", "i8 matmul needs alpha=1");
    expect_error("matmul a=i8 m=1 n=1 k=200000", "k < 131072");
    expect_error("matmul a=f32 m=1 n=1 k=-3", "k=-3 is out of range");
    expect_error("matmul a=f32 m=200000 n=200000 k=2", "more than kbench allows");
    expect_error("quantize kind=int8 rows=2 cols=2", "missing gran=");
    expect_error("quantize kind=int8 gran=group rows=2 cols=2", "missing group=");
    expect_error("quantize kind=cast out=i8 rows=2 cols=2", "cast needs out=f16, bf16, e4m3 or e5m2");
    expect_error("quantize kind=fp4 rows=2 cols=2", "kind=fp4 is not one of");
    expect_error("attention dtype=f16 b=1 hq=4 hkv=3 sq=1 skv=1 d=8", "hq=4 is not a multiple of hkv=3");
    expect_error("softmax dtype=f32 rows=2 cols=2\nsoftmax dtype=f32 rows=2 cols=2", "t.suite:2: same case as line 1");
    expect_error("softmax dtype=f32 rows", "'rows' is not key=value");
    expect_error("# nothing\n", "no cases");
}

/* Input hardening (docs/suites.md, "Limits"): every shape a later stage
 * could not allocate or index is refused here, with the line and field. */
static void test_limits(void)
{
    expect_error("matmul a=f32 m=0 n=1 k=1", "t.suite:1: m=0 is out of range [1, 2147483648]");
    expect_error("softmax dtype=f32 rows=-1 cols=2", "t.suite:1: rows=-1 is out of range [1, 2147483648]");
    expect_error("attention dtype=f32 b=1 hq=1 sq=1 skv=1 d=0", "t.suite:1: d=0 is out of range [1, 1024]");
    expect_error("softmax dtype=f32 rows=99999999999999999999 cols=2",
                 "t.suite:1: rows=99999999999999999999 is out of range");
    expect_error("softmax dtype=f32 rows=2 cols=2.5", "t.suite:1: cols=2.5 is not an integer");
    expect_error("softmax dtype=f32 rows=2 cols=", "t.suite:1: cols= is not an integer");
    expect_error("softmax dtype=f32 rows=2 cols=2 size=4", "t.suite:1: unknown key 'size' for softmax");
    /* Each dimension is allowed; the products are not (and would overflow int64). */
    expect_error("matmul a=f32 m=2147483648 n=2147483648 k=2147483648", "a has 4.61e+18 elements, more than kbench allows");
    expect_error("attention dtype=f32 b=2147483648 hq=2147483648 sq=2147483648 skv=1 d=1024", "more than kbench allows");
    expect_error("quantize kind=vq rows=1 cols=2147483648 codes=2147483648", "codebook has");
    /* Floats outside float's range: undefined to convert, or silently 0. */
    expect_error("softmax dtype=f32 rows=2 cols=2 scale=1e300", "scale=1e300 is out of range for a 32-bit float");
    expect_error("attention dtype=f32 b=1 hq=1 sq=1 skv=1 d=8 scale=1e-60", "scale=1e-60 is out of range for a 32-bit float");
    expect_error("matmul a=f32 m=1 n=1 k=1 alpha=inf", "alpha=inf is not a finite number");
    /* Within the element limit, beyond the memory of any machine this runs on (about 462 GiB). */
    expect_error("matmul a=f32 m=131072 n=131072 k=131072 beta=1 pad=4096",
                 "t.suite:1: m=131072,n=131072,k=131072,a=f32,c=f32,beta=1,pad=4096 needs about ");
    /* Messages stay one line whatever bytes the value holds. */
    expect_error("softmax dtype=f32 rows=2 cols=\x1b[2J", "cols=?[2J is not an integer");

    /* The host-memory figure: x and y, the oracle's f64 y, and the
     * yardstick's y, each span + 64-byte canary zone rounded up to 4 KiB
     * pages.  1000 x 1000 f32: 4000064 bytes -> 977 pages; as f64 8000064 ->
     * 1954 pages.  Padding counts: with pad=24 the rows are 1024 apart and
     * the span is 999 * 1024 + 1000 elements (the last row's padding lies
     * past it): 4095968 bytes -> 1000 pages, 8191872 as f64 -> 2000. */
    kb_case c = kb_test_case("softmax dtype=f32 rows=1000 cols=1000");
    EXPECT(kb_case_host_bytes(&c) == (3 * 977 + 1954) * 4096.0, "softmax host bytes %.0f", kb_case_host_bytes(&c));
    c = kb_test_case("softmax dtype=f32 rows=1000 cols=1000 pad=24");
    EXPECT(kb_case_host_bytes(&c) == (3 * 1000 + 2000) * 4096.0, "padded softmax host bytes %.0f",
           kb_case_host_bytes(&c));
    c = kb_test_case("matmul a=f32 m=4096 n=4096 k=4096 beta=1");
    double mib = kb_case_host_bytes(&c) / 1048576.0;
    /* A, B, C 64 MiB each; the f64 reference C 128; the yardstick's and the initial C 64 each. */
    EXPECT(mib > 447.9 && mib < 448.1, "4096^3 f32 matmul with beta: %.3f MiB, expected 448", mib);
}

static void test_defaults_and_ids(void)
{
    kb_suite s;
    char err[256];
    const char *text = "attention dtype=bf16 b=1 hq=4 sq=3 skv=5 d=16 causal=1\n"
                       "matmul a=i8 m=2 n=3 k=4 ta=1 pad=2\n"
                       "quantize kind=cast out=e5m2 sat=1 rows=3 cols=4\n";
    if (kb_suite_parse(text, "t", &s, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    EXPECT(s.count == 3, "3 cases expected, got %d", s.count);
    EXPECT(s.cases[0].heads_kv == 4, "hkv defaults to hq");
    EXPECT(s.cases[0].scale > 0.2499f && s.cases[0].scale < 0.2501f, "attention scale defaults to 1/sqrt(d)");
    EXPECT(!strcmp(s.cases[0].id, "b=1,hq=4,hkv=4,sq=3,skv=5,d=16,dtype=bf16,causal"), "id '%s'", s.cases[0].id);
    EXPECT(s.cases[1].out_dtype == KB_DTYPE_I32, "i8 matmul defaults to c=i32");
    EXPECT(!strcmp(s.cases[1].id, "m=2,n=3,k=4,a=i8,c=i32,ta,pad=2"), "id '%s'", s.cases[1].id);
    EXPECT(!strcmp(s.cases[2].dtypes, "cast:f32->e5m2"), "dtypes '%s'", s.cases[2].dtypes);
    EXPECT(kb_case_output_rows(&s.cases[0]) == 12, "attention rows = B*Hq*Sq");
    kb_suite_free(&s);
}

/* The issue asks for every op and dtype combination in both coverage suites. */
static void test_builtin_coverage(void)
{
    static const char *const coverage_suites[] = {"smoke", "default"};
    static const char *const want[] = {
        "softmax f32", "softmax f16", "softmax bf16",
        "attention f32", "attention f16", "attention bf16",
        "quantize int8:f32->i8", "quantize dequant:i8->f32", "quantize cast:f32->f16", "quantize cast:f32->bf16",
        "quantize cast:f32->e4m3", "quantize cast:f32->e5m2", "quantize vq:f32->i32",
        "matmul f16->f32", "matmul f16->f16", "matmul f16->bf16", "matmul bf16->f32", "matmul bf16->bf16",
        "matmul bf16->f16", "matmul f32->f32", "matmul f32->f16", "matmul f32->bf16", "matmul i8->i32"};
    for (size_t si = 0; si < sizeof coverage_suites / sizeof coverage_suites[0]; si++) {
        kb_suite s;
        char err[256];
        if (kb_suite_load(coverage_suites[si], &s, err, sizeof err) != 0) {
            EXPECT(0, "%s", err);
            continue;
        }
        for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
            int found = 0;
            for (int i = 0; i < s.count && !found; i++) {
                char label[64];
                snprintf(label, sizeof label, "%s %s", kb_op_name(s.cases[i].op), s.cases[i].dtypes);
                found = !strcmp(label, want[w]);
            }
            EXPECT(found, "suite %s lacks %s", s.name, want[w]);
        }
        int gran[4] = {0}, causal_uneven = 0, gqa = 0, log = 0, sat = 0, unsat = 0, trans = 0, beta = 0;
        for (int i = 0; i < s.count; i++) {
            const kb_case *c = &s.cases[i];
            if (c->op == KB_OP_QUANTIZE && c->qkind == KB_QUANT_INT8) gran[c->granularity] = 1;
            if (c->op == KB_OP_ATTENTION && c->causal && c->seq_q != c->seq_kv) causal_uneven = 1;
            if (c->op == KB_OP_ATTENTION && c->heads_kv < c->heads_q) gqa = 1;
            if (c->op == KB_OP_SOFTMAX && c->log_softmax) log = 1;
            if (c->op == KB_OP_QUANTIZE && c->qkind == KB_QUANT_CAST) {
                if (c->saturate) sat = 1;
                else unsat = 1;
            }
            if (c->op == KB_OP_MATMUL && c->trans_a && c->trans_b) trans = 1;
            if (c->op == KB_OP_MATMUL && c->beta != 0) beta = 1;
        }
        EXPECT(gran[1] && gran[2] && gran[3], "suite %s lacks an int8 granularity", s.name);
        EXPECT(causal_uneven && gqa && log && sat && unsat && trans && beta,
               "suite %s lacks causal Sq!=Skv / GQA / log / sat / unsat / transposes / beta", s.name);
        kb_suite_free(&s);
    }
}

/* Every built-in suite loads, and perf holds the comparison's shapes: the
 * 2048^3 matmuls of four dtypes, S = 2048 attention with D = 64 and 128,
 * 65536-row VQ. */
static void test_builtin_names_and_perf(void)
{
    int perf_listed = 0;
    for (int si = 0; kb_builtin_suite_names[si]; si++) {
        kb_suite s;
        char err[256];
        EXPECT(kb_suite_load(kb_builtin_suite_names[si], &s, err, sizeof err) == 0, "%s", err);
        perf_listed |= !strcmp(kb_builtin_suite_names[si], "perf");
        kb_suite_free(&s);
    }
    EXPECT(perf_listed, "perf is not a built-in suite name");
    kb_suite s;
    char err[256];
    if (kb_suite_load("perf", &s, err, sizeof err) != 0) {
        EXPECT(0, "%s", err);
        return;
    }
    static const char *const want[] = {
        "m=2048,n=2048,k=2048,a=f16,c=f32", "m=2048,n=2048,k=2048,a=bf16,c=f32",
        "m=2048,n=2048,k=2048,a=f32,c=f32", "m=2048,n=2048,k=2048,a=i8,c=i32",
        "b=1,hq=8,hkv=8,sq=2048,skv=2048,d=64,dtype=f32", "b=1,hq=8,hkv=8,sq=2048,skv=2048,d=128,dtype=bf16,causal",
        "rows=65536,cols=64,kind=vq,codes=1024"};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        int found = 0;
        for (int i = 0; i < s.count && !found; i++) found = !strcmp(s.cases[i].id, want[w]);
        EXPECT(found, "perf lacks %s", want[w]);
    }
    kb_suite_free(&s);
}

/* Seeds: the same case gets the same seed whatever else is selected, and
 * different trials and patterns get different ones. */
static void test_seeds(void)
{
    kb_suite s;
    char err[128];
    if (kb_suite_parse("softmax dtype=f32 rows=2 cols=2\nsoftmax dtype=f32 rows=2 cols=3", "t", &s, err, sizeof err))
        exit(1);
    uint64_t a = kb_input_seed(1, &s.cases[0], "random", 0);
    EXPECT(a == kb_input_seed(1, &s.cases[0], "random", 0), "seed not reproducible");
    EXPECT(a != kb_input_seed(1, &s.cases[0], "random", 1), "trials share a seed");
    EXPECT(a != kb_input_seed(1, &s.cases[1], "random", 0), "cases share a seed");
    EXPECT(a != kb_input_seed(2, &s.cases[0], "random", 0), "--seed ignored");
    EXPECT(a != kb_input_seed(1, &s.cases[0], "large", 0), "patterns share a seed");
    kb_suite_free(&s);
}

int main(void)
{
    test_errors();
    test_limits();
    test_defaults_and_ids();
    test_builtin_coverage();
    test_builtin_names_and_perf();
    test_seeds();
    if (failures) {
        fprintf(stderr, "test_suite: %d failed\n", failures);
        return 1;
    }
    printf("test_suite: parser, defaults, ids, coverage and seeds as documented\n");
    return 0;
}
