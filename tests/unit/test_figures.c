/*
 * test_figures.c - the FLOP and byte counts of docs/ops.md against values
 * worked out by hand, and the benchmark name format.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures.h"
#include "suite.h"
#include "expect.h"


static void expect_figures(const char *line, double flops, double bytes, int compute_bound)
{
    kb_case c = kb_test_case(line);
    kb_figures f = kb_case_figures(&c);
    EXPECT(f.flops == flops, "%s: flops %.17g, expected %.17g", line, f.flops, flops);
    EXPECT(f.bytes == bytes, "%s: bytes %.17g, expected %.17g", line, f.bytes, bytes);
    EXPECT(f.compute_bound == compute_bound, "%s: compute_bound %d", line, f.compute_bound);
}

int main(void)
{
    /* matmul: 2*M*N*K; bytes A + B (2 bytes each) + C (4 bytes), C twice with beta. */
    expect_figures("matmul a=f16 c=f32 m=1024 n=1024 k=1024", 2147483648.0,
                   (1024.0 * 1024 * 2) * 2 + 1024.0 * 1024 * 4, 1);
    expect_figures("matmul a=bf16 c=bf16 m=3 n=5 k=7 beta=0.5", 210.0, (21 + 35) * 2.0 + 15 * 2.0 * 2, 1);
    expect_figures("matmul a=i8 m=2 n=3 k=4", 48.0, 8 + 12 + 6 * 4.0, 1);
    /* attention: 4*B*Hq*Sq*Skv*D, halved when causal. */
    expect_figures("attention dtype=f16 b=2 hq=8 hkv=2 sq=128 skv=256 d=64", 4.0 * 2 * 8 * 128 * 256 * 64,
                   (2.0 * 2 * 8 * 128 * 64 + 2.0 * 2 * 2 * 256 * 64) * 2 + 4.0 * 2 * 8 * 128, 1);
    expect_figures("attention dtype=f32 b=1 hq=1 sq=10 skv=10 d=3 causal=1", 4.0 * 10 * 10 * 3 / 2,
                   (2.0 * 30 + 2.0 * 30) * 4 + 40, 1);
    /* softmax: read x + write y. */
    expect_figures("softmax dtype=bf16 rows=100 cols=30", 0, 2.0 * 3000 * 2, 0);
    /* quantize: 5n + 4S for int8 and dequant; 4n + n*e(out) for casts; VQ x + codebook + indices. */
    expect_figures("quantize kind=int8 gran=tensor rows=10 cols=10", 0, 500 + 4, 0);
    expect_figures("quantize kind=int8 gran=row rows=10 cols=10", 0, 500 + 40, 0);
    expect_figures("quantize kind=int8 gran=group group=32 rows=2 cols=100", 0, 1000 + 4.0 * 2 * 4, 0);
    expect_figures("quantize kind=dequant gran=row rows=3 cols=4", 0, 60 + 12, 0);
    expect_figures("quantize kind=cast out=e4m3 rows=4 cols=4", 0, 64 + 16, 0);
    expect_figures("quantize kind=cast out=bf16 rows=4 cols=4", 0, 64 + 32, 0);
    /* VQ: 2 * rows * codes * dim FLOPs (the x.c products of the GEMM form), reported in FLOP/s. */
    expect_figures("quantize kind=vq rows=100 cols=8 codes=16", 2.0 * 100 * 16 * 8, 3200 + 512 + 400, 1);

    char name[400];
    kb_case c = kb_test_case("matmul a=f16 c=f32 m=1024 n=1024 k=1024 tb=1");
    kb_benchmark_name(name, sizeof name, &c, "cpu", "simple", "threads=2,bind=compact");
    EXPECT(!strcmp(name, "matmul/cpu.simple/m=1024,n=1024,k=1024,a=f16,c=f32,tb/threads=2,bind=compact"), "name '%s'",
           name);
    c = kb_test_case("softmax dtype=f16 rows=7 cols=9 scale=0.5 log=1");
    kb_benchmark_name(name, sizeof name, &c, "ref", "exact", "threads=1,bind=0+2");
    EXPECT(!strcmp(name, "softmax/ref.exact/rows=7,cols=9,dtype=f16,scale=0.5,log/threads=1,bind=0+2"), "name '%s'",
           name);

    if (failures) {
        fprintf(stderr, "test_figures: %d failed\n", failures);
        return 1;
    }
    printf("test_figures: FLOP and byte counts and names as documented\n");
    return 0;
}
