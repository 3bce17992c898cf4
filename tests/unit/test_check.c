/*
 * test_check.c - the comparison rules of docs/verification.md, one planted
 * deviation at a time: each rule must accept what it documents as allowed
 * and reject what it does not.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kbench/convert.h>

#include "check.h"
#include "inputs.h"
#include "poison.h"
#include "suite.h"
#include "expect.h"
#include "workload.h"



typedef struct trio { kb_workload k, r, s; } trio;

/* Kernel workload (case dtypes), reference (f64 floats) and storage workload
 * sharing inputs, with inputs drawn from the random pattern. */
static void make(trio *t, const kb_case *c)
{
    char err[256];
    if (kb_workload_init(&t->k, c, KB_DTYPE_INVALID, NULL, err, sizeof err) ||
        kb_workload_init(&t->r, c, KB_DTYPE_F64, &t->k, err, sizeof err) ||
        kb_workload_init(&t->s, c, KB_DTYPE_INVALID, &t->k, err, sizeof err)) {
        fprintf(stderr, "workload: %s\n", err);
        exit(1);
    }
    kb_fill_inputs(&t->k, "random", 42);
}

static void drop(trio *t)
{
    kb_workload_free(&t->k);
    kb_workload_free(&t->r);
    kb_workload_free(&t->s);
}

static kb_check_result run_check(trio *t, int with_storage)
{
    kb_check_result res;
    memset(&res, 0, sizeof res);
    kb_check_outputs(&t->k, &t->r, with_storage ? &t->s : NULL, NULL, 0, &res);
    return res;
}

/* Softmax f32: ref = 0.1 * i, storage = ref + 1e-6, kernel = ref + delta. */
static void test_float_rule(void)
{
    kb_case c = kb_test_case("softmax dtype=f32 rows=2 cols=3");
    trio t;
    make(&t, &c);
    kb_tensor *y = &t.k.p.u.softmax.y, *yr = &t.r.p.u.softmax.y, *ys = &t.s.p.u.softmax.y;
    for (int i = 0; i < 6; i++) {
        double r = 0.1 * (i + 1);
        ((double *)yr->data)[i] = r;
        ((float *)ys->data)[i] = (float)(r + 1e-6);
        ((float *)y->data)[i] = (float)r;
    }
    double serr = 0; /* the yardstick's actual error after rounding to f32 */
    for (int i = 0; i < 6; i++) serr = fmax(serr, fabs((double)((float *)ys->data)[i] - 0.1 * (i + 1)));
    kb_check_result res = run_check(&t, 1);
    EXPECT(!res.failed, "exact kernel output rejected: %s", res.reason);
    double floor = 4.0 * ldexp(1.0, -24) * 0.6;
    EXPECT(fabs(res.bound - (2 * serr + floor)) < 1e-12, "bound %.9g is not 2 x %.9g + floor", res.bound, serr);

    /* Just inside and just outside the bound. */
    ((float *)y->data)[4] = (float)(0.5 + 1.8e-6);
    res = run_check(&t, 1);
    EXPECT(!res.failed, "error 1.8e-6 under a 2e-6+floor bound rejected: %s", res.reason);
    ((float *)y->data)[4] = (float)(0.5 + 2.5e-6);
    res = run_check(&t, 1);
    EXPECT(res.failed && strstr(res.reason, "y[1,1]"), "error 2.5e-6 over the bound not reported at y[1,1]: %s",
           res.reason);

    /* Without a yardstick only the floor remains. */
    ((float *)y->data)[4] = (float)(0.5 + 1e-6);
    res = run_check(&t, 0);
    EXPECT(res.failed, "1e-6 error passed with only a %.3g floor", floor);

    /* Poison: an unwritten element. */
    ((float *)y->data)[4] = 0.5f;
    kb_poison_tensor(y);
    for (int i = 0; i < 5; i++) ((float *)y->data)[i] = (float)(0.1 * (i + 1));
    res = run_check(&t, 1);
    EXPECT(res.failed && strstr(res.reason, "unwritten element: y[1,2]"), "poison not reported: %s", res.reason);

    /* NaN where the reference is finite; NaN where the reference is NaN. */
    ((float *)y->data)[5] = NAN;
    res = run_check(&t, 1);
    EXPECT(res.failed && strstr(res.reason, "is NaN where the reference"), "NaN not reported: %s", res.reason);
    ((double *)yr->data)[5] = NAN;
    res = run_check(&t, 1);
    EXPECT(!res.failed, "NaN matching a NaN reference rejected: %s", res.reason);
    ((float *)y->data)[5] = 1.0f;
    res = run_check(&t, 1);
    EXPECT(res.failed && strstr(res.reason, "but the reference is NaN"), "non-NaN for NaN not reported: %s",
           res.reason);
    drop(&t);
}

/* Overflow is judged on the reference rounded to the output dtype. */
static void test_overflow_rule(void)
{
    kb_case c = kb_test_case("matmul a=f16 c=f16 m=1 n=2 k=1");
    trio t;
    make(&t, &c);
    kb_tensor *ck = &t.k.p.u.matmul.c, *cr = &t.r.p.u.matmul.c, *cs = &t.s.p.u.matmul.c;
    ((double *)cr->data)[0] = 70000.0; /* rounds to +inf in f16 */
    ((double *)cr->data)[1] = 60000.0; /* finite in f16 */
    ((uint16_t *)cs->data)[0] = kb_f32_to_f16(70000.0f);
    ((uint16_t *)cs->data)[1] = kb_f32_to_f16(60000.0f);
    ((uint16_t *)ck->data)[0] = 0x7C00; /* +inf */
    ((uint16_t *)ck->data)[1] = kb_f32_to_f16(60000.0f);
    kb_check_result res = run_check(&t, 1);
    EXPECT(!res.failed, "f16 overflow to inf rejected: %s", res.reason);
    ((uint16_t *)ck->data)[1] = 0x7C00;
    res = run_check(&t, 1);
    EXPECT(res.failed && strstr(res.reason, "c[0,1] = inf"), "spurious inf not reported: %s", res.reason);
    drop(&t);
}

/* int8 codes: exact ties must round half to even; near-ties may differ by one. */
static void test_quant_rule(void)
{
    kb_case c = kb_test_case("quantize kind=int8 gran=tensor rows=1 cols=3");
    trio t;
    make(&t, &c);
    kb_quantize_params *qk = &t.k.p.u.quantize, *qr = &t.r.p.u.quantize;
    float *x = qk->x.data;
    x[0] = 127.0f; /* scale 1 */
    x[1] = 2.5f;   /* exact tie: 2 */
    x[2] = nextafterf(3.5f, 4.0f); /* just above a tie: 4, a near-tie */
    ((float *)qr->scales.data)[0] = 1.0f;
    ((float *)qk->scales.data)[0] = 1.0f;
    int8_t *q = qk->q.data, *r = qr->q.data;
    r[0] = 127; r[1] = 2; r[2] = 4;
    q[0] = 127; q[1] = 2; q[2] = 4;
    kb_check_result res = run_check(&t, 0);
    EXPECT(!res.failed, "correct codes rejected: %s", res.reason);
    q[2] = 3;
    res = run_check(&t, 0);
    EXPECT(!res.failed && res.near_ties == 1, "near-tie not accepted (%s, %lld)", res.reason,
           (long long)res.near_ties);
    q[1] = 3;
    res = run_check(&t, 0);
    EXPECT(res.failed && strstr(res.reason, "an exact tie: round half to even"), "ties-away accepted: %s",
           res.reason);
    q[1] = 2;
    q[0] = 126;
    res = run_check(&t, 0);
    EXPECT(res.failed && strstr(res.reason, "q[0,0] = 126"), "off-by-one away from a tie accepted: %s",
           res.reason);
    q[0] = 127;
    ((float *)qk->scales.data)[0] = nextafterf(1.0f, 2.0f); /* one ulp: allowed */
    res = run_check(&t, 0);
    EXPECT(!res.failed, "a scale one ulp away rejected: %s", res.reason);
    ((float *)qk->scales.data)[0] = nextafterf(nextafterf(1.0f, 2.0f), 2.0f);
    res = run_check(&t, 0);
    EXPECT(res.failed && strstr(res.reason, "scales"), "a scale two ulps away accepted: %s", res.reason);
    drop(&t);
}

/* VQ: exact ties go to the lowest index; near-ties are accepted. */
static void test_vq_rule(void)
{
    kb_case c = kb_test_case("quantize kind=vq rows=1 cols=2 codes=3");
    trio t;
    make(&t, &c);
    kb_quantize_params *qk = &t.k.p.u.quantize, *qr = &t.r.p.u.quantize;
    float *x = qk->x.data, *cb = qk->codebook.data;
    x[0] = 1.0f; x[1] = 0.0f;
    cb[0] = 0.0f; cb[1] = 1.0f;   /* distance 2 */
    cb[2] = 0.0f; cb[3] = 1.0f;   /* the same: exact tie with row 0 */
    cb[4] = 0.0f; cb[5] = -1.0f;  /* also distance 2 */
    ((int32_t *)qr->indices.data)[0] = 0;
    ((int32_t *)qk->indices.data)[0] = 1;
    kb_check_result res = run_check(&t, 0);
    EXPECT(res.failed && strstr(res.reason, "tie exactly"), "exact tie to a higher index accepted: %s",
           res.reason);
    cb[5] = -nextafterf(1.0f, 2.0f); /* row 2 a hair farther: a near-tie */
    ((int32_t *)qk->indices.data)[0] = 2;
    res = run_check(&t, 0);
    EXPECT(!res.failed && res.near_ties == 1, "near-tie not accepted: %s", res.reason);
    cb[5] = -1.5f; /* clearly farther */
    res = run_check(&t, 0);
    EXPECT(res.failed && strstr(res.reason, "expected 0"), "a farther code accepted: %s", res.reason);
    ((int32_t *)qk->indices.data)[0] = 7;
    res = run_check(&t, 0);
    EXPECT(res.failed && strstr(res.reason, "not a codebook row"), "out-of-range index accepted: %s", res.reason);
    drop(&t);
}

/* Casts: identical codes, signed zero included; any NaN for NaN. */
static void test_bits_rule(void)
{
    kb_case c = kb_test_case("quantize kind=cast out=e4m3 rows=1 cols=2");
    trio t;
    make(&t, &c);
    uint8_t *yk = t.k.p.u.quantize.y.data, *yr = t.r.p.u.quantize.y.data;
    yr[0] = 0x00; yr[1] = 0x7F;
    yk[0] = 0x00; yk[1] = 0xFF; /* the other NaN code: fine */
    kb_check_result res = run_check(&t, 0);
    EXPECT(!res.failed, "NaN codes of either sign rejected: %s", res.reason);
    yk[0] = 0x80; /* -0 for +0 */
    res = run_check(&t, 0);
    EXPECT(res.failed, "-0 accepted for +0");
    drop(&t);
}

/* Guards: a write past the end of an output or into row padding is caught. */
static void test_guards(void)
{
    kb_case c = kb_test_case("matmul a=f32 c=f32 m=3 n=4 k=5 pad=2");
    kb_workload w;
    char err[128];
    if (kb_workload_init(&w, &c, KB_DTYPE_INVALID, NULL, err, sizeof err)) exit(1);
    int pad = 0;
    kb_workload_arm_guards(&w);
    EXPECT(kb_workload_check_guards(&w, &pad) == NULL, "fresh guards reported damaged");
    float *cdata = w.p.u.matmul.c.data;
    cdata[4] = 1.0f; /* row 0, column 4: padding (ld = 6) */
    const char *bad = kb_workload_check_guards(&w, &pad);
    EXPECT(bad && !strcmp(bad, "c") && pad, "write into padding of c not caught");
    kb_workload_arm_guards(&w);
    cdata[3 * 6] = 1.0f; /* one past the last row's span: the guard zone */
    bad = kb_workload_check_guards(&w, &pad);
    EXPECT(bad && !strcmp(bad, "c") && !pad, "write past the end of c not caught");
    kb_workload_free(&w);
}

int main(void)
{
    test_float_rule();
    test_overflow_rule();
    test_quant_rule();
    test_vq_rule();
    test_bits_rule();
    test_guards();
    if (failures) {
        fprintf(stderr, "test_check: %d failed\n", failures);
        return 1;
    }
    printf("test_check: all rules behave as documented\n");
    return 0;
}
