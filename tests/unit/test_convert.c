/*
 * test_convert.c - exhaustive checks of include/kbench/convert.h.
 *
 * Every check compares convert.h against an oracle that does not share its
 * logic:
 *   f16   gcc's _Float16 conversions (libgcc soft-fp on x86-64), plus the
 *         rule "a tie goes to the code whose last bit is 0";
 *   bf16  the definition (bf16 bits = the top half of an f32) and the
 *         well-known bit trick u + 0x7FFF + ((u >> 16) & 1);
 *   fp8   a table built from the OCP 8-bit FP spec formula with ldexp(),
 *         and a brute-force nearest-value search over that table;
 *   ints  rint() in the default rounding mode (round half to even).
 * Ties are probed at every adjacent pair of codes, exactly at the midpoint
 * (computed in f64, exact, and representable in f32) and one f32 ulp to
 * either side, for both signs and both overflow modes.
 *
 * Exits 1 after printing every failed check (the first MAX_REPORT of them:
 * which input or code, expected, got); prints a one-line summary.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <kbench/convert.h>

#define MAX_REPORT 40

static long long n_checks, n_fail;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        n_checks++;                                                         \
        if (!(cond)) {                                                      \
            if (++n_fail <= MAX_REPORT) {                                   \
                fprintf(stderr, "FAIL (line %d): ", __LINE__);              \
                fprintf(stderr, __VA_ARGS__);                               \
                fputc('\n', stderr);                                        \
            }                                                               \
        }                                                                   \
    } while (0)

/* ---- bit helpers ------------------------------------------------------ */

static uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* The f32 one ulp above / below a positive finite, non-zero x (by bits, so
 * that it does not lean on libm's nextafter). */
static float up1(float x) { return u2f(f2u(x) + 1u); }
static float dn1(float x) { return u2f(f2u(x) - 1u); }

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rng(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* A random f32 with |x| in [2^lo, 2^hi), random sign and mantissa. */
static float rand_f32_in(int lo, int hi)
{
    uint64_t r = rng();
    int e = lo + (int)(r % (uint64_t)(hi - lo));
    uint32_t mant = (uint32_t)(r >> 32) & 0x7FFFFFu;
    float f = ldexpf(1.0f + (float)mant / 8388608.0f, e); /* exact, maybe subnormal-rounded */
    return (r >> 63) ? -f : f;
}

/* ---- f16: gcc's _Float16 is the oracle -------------------------------- */

static float f16_oracle_dec(uint16_t u)
{
    _Float16 h;
    memcpy(&h, &u, 2);
    return (float)h;
}
static uint16_t f16_bits(_Float16 h) { uint16_t u; memcpy(&u, &h, 2); return u; }
static uint16_t f16_oracle_enc(float x) { return f16_bits((_Float16)x); }
static int f16_is_nan(uint16_t u) { return (u & 0x7C00u) == 0x7C00u && (u & 0x03FFu); }
static int f16_is_inf(uint16_t u) { return (u & 0x7FFFu) == 0x7C00u; }

/* Expected f16 code for x: the oracle's, with saturation applied on top. */
static uint16_t f16_expect(float x, int sat)
{
    uint16_t e = f16_oracle_enc(x);
    if (sat && f16_is_inf(e))
        e = (uint16_t)((e & 0x8000u) | 0x7BFFu);
    return e;
}

static void check_f16_enc(float x, uint16_t expect_nonsat, uint16_t expect_sat, const char *what)
{
    uint16_t g0 = kb_f32_to_f16(x), g1 = kb_f32_to_f16_sat(x);
    CHECK(g0 == expect_nonsat, "f16 %s: input %a (f32 0x%08x): expected 0x%04x, got 0x%04x",
          what, (double)x, f2u(x), expect_nonsat, g0);
    CHECK(g1 == expect_sat, "f16_sat %s: input %a (f32 0x%08x): expected 0x%04x, got 0x%04x",
          what, (double)x, f2u(x), expect_sat, g1);
}

static void test_f16(void)
{
    /* decode every code */
    for (uint32_t u = 0; u < 65536; u++) {
        float exp = f16_oracle_dec((uint16_t)u), got = kb_f16_to_f32((uint16_t)u);
        if (isnan(exp))
            CHECK(isnan(got), "f16 decode code 0x%04x: expected NaN, got %a", u, (double)got);
        else
            CHECK(f2u(got) == f2u(exp), "f16 decode code 0x%04x: expected %a (0x%08x), got %a (0x%08x)",
                  u, (double)exp, f2u(exp), (double)got, f2u(got));
    }

    /* round trip, both modes */
    for (uint32_t u = 0; u < 65536; u++) {
        uint16_t h = (uint16_t)u;
        float f = kb_f16_to_f32(h);
        if (f16_is_nan(h)) {
            uint16_t e0 = kb_f32_to_f16(f), e1 = kb_f32_to_f16_sat(f);
            CHECK(f16_is_nan(e0) && f16_is_nan(e1),
                  "f16 NaN round trip code 0x%04x: expected a NaN code, got 0x%04x / sat 0x%04x", u, e0, e1);
            continue;
        }
        uint16_t sat = f16_is_inf(h) ? (uint16_t)((h & 0x8000u) | 0x7BFFu) : h;
        check_f16_enc(f, h, sat, "round trip");
    }

    /* NaN inputs: canonical quiet NaN code, sign kept (as convert.h documents) */
    static const uint32_t nans[] = {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF800001u,
                                    0x7FFFFFFFu, 0xFFFFFFFFu, 0x7FA00000u, 0xFFB00001u};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        uint16_t s = (nans[i] >> 31) ? 0x8000u : 0u;
        check_f16_enc(u2f(nans[i]), (uint16_t)(s | 0x7E00u), (uint16_t)(s | 0x7E00u), "NaN input");
    }

    /* every tie between adjacent finite codes, both signs, both sides */
    for (uint32_t lo = 0; lo < 0x7BFFu; lo++) {
        uint32_t hi = lo + 1;
        double vlo = f16_oracle_dec((uint16_t)lo), vhi = f16_oracle_dec((uint16_t)hi);
        double mid = (vlo + vhi) / 2; /* exact in f64 */
        float fm = (float)mid;
        CHECK((double)fm == mid, "f16 tie 0x%04x/0x%04x: midpoint %a is not an f32", lo, hi, mid);
        uint16_t even = (uint16_t)((lo & 1u) ? hi : lo);
        for (int neg = 0; neg < 2; neg++) {
            uint16_t s = neg ? 0x8000u : 0u;
            float sg = neg ? -1.0f : 1.0f;
            check_f16_enc(sg * fm, (uint16_t)(s | even), (uint16_t)(s | even), "tie");
            check_f16_enc(sg * up1(fm), (uint16_t)(s | hi), (uint16_t)(s | hi), "tie + 1ulp");
            check_f16_enc(sg * dn1(fm), (uint16_t)(s | lo), (uint16_t)(s | lo), "tie - 1ulp");
            /* the compiler's conversion agrees with the even rule (oracle self-check) */
            CHECK(f16_oracle_enc(sg * fm) == (s | even), "oracle: _Float16 tie %a gives 0x%04x",
                  (double)(sg * fm), f16_oracle_enc(sg * fm));
        }
    }

    /* overflow: 65520 is the tie between 65504 (0x7BFF) and 65536 (past max) */
    for (int neg = 0; neg < 2; neg++) {
        uint16_t s = neg ? 0x8000u : 0u;
        float sg = neg ? -1.0f : 1.0f;
        uint16_t inf = (uint16_t)(s | 0x7C00u), max = (uint16_t)(s | 0x7BFFu);
        check_f16_enc(sg * 65520.0f, inf, max, "overflow tie 65520");
        check_f16_enc(sg * dn1(65520.0f), max, max, "just below 65520");
        check_f16_enc(sg * up1(65520.0f), inf, max, "just above 65520");
        check_f16_enc(sg * 65504.0f, max, max, "max 65504");
        check_f16_enc(sg * 65519.0f, max, max, "65519");
        check_f16_enc(sg * 65536.0f, inf, max, "65536");
        check_f16_enc(sg * 1e10f, inf, max, "1e10");
        check_f16_enc(sg * 3.4028234663852886e38f, inf, max, "FLT_MAX");
        check_f16_enc(sg * INFINITY, inf, max, "inf");
        /* subnormals and the smallest subnormal tie */
        float t = ldexpf(1.0f, -25);
        check_f16_enc(sg * t, s, s, "2^-25 (tie with 0)");
        check_f16_enc(sg * up1(t), (uint16_t)(s | 1u), (uint16_t)(s | 1u), "just above 2^-25");
        check_f16_enc(sg * ldexpf(1.0f, -24), (uint16_t)(s | 1u), (uint16_t)(s | 1u), "2^-24");
        check_f16_enc(sg * ldexpf(3.0f, -25), (uint16_t)(s | 2u), (uint16_t)(s | 2u), "3*2^-25");
        check_f16_enc(sg * ldexpf(1.0f, -26), s, s, "2^-26");
        check_f16_enc(sg * u2f(1u), s, s, "smallest f32 subnormal");
        check_f16_enc(sg * ldexpf(2047.0f, -25), (uint16_t)(s | 0x0400u), (uint16_t)(s | 0x0400u),
                      "tie largest subnormal / smallest normal");
        check_f16_enc(sg * 0.0f, s, s, "zero");
    }

    /* a few million random f32 patterns against _Float16 */
    for (int i = 0; i < 4000000; i++) {
        float x = i < 2000000 ? u2f((uint32_t)rng()) : rand_f32_in(-27, 17);
        if (isnan(x)) {
            uint16_t g = kb_f32_to_f16(x), s = (f2u(x) >> 31) ? 0x8000u : 0u;
            CHECK(f16_is_nan(g) && (g & 0x8000u) == s, "f16 random NaN 0x%08x: got 0x%04x", f2u(x), g);
            continue;
        }
        check_f16_enc(x, f16_expect(x, 0), f16_expect(x, 1), "random");
    }

    /* kb_store_f64 / kb_load_f64 round a double once (oracle: (_Float16)double) */
    for (int i = 0; i < 1000000; i++) {
        double d = ldexp((double)(rng() >> 11) / 9007199254740992.0 + 0.5, (int)(rng() % 46) - 28);
        if (rng() & 1)
            d = -d;
        uint16_t got;
        kb_store_f64(&got, KB_DTYPE_F16, 0, d, 0);
        uint16_t exp = f16_bits((_Float16)d);
        CHECK(got == exp, "kb_store_f64 f16 %a: expected 0x%04x, got 0x%04x", d, exp, got);
        double back = kb_load_f64(&got, KB_DTYPE_F16, 0);
        CHECK(back == (double)f16_oracle_dec(exp), "kb_load_f64 f16 0x%04x: got %a", exp, back);
    }
}

/* ---- bf16: the definition and the bit trick ---------------------------- */

static int bf16_is_nan(uint16_t u) { return (u & 0x7F80u) == 0x7F80u && (u & 0x007Fu); }
static int bf16_is_inf(uint16_t u) { return (u & 0x7FFFu) == 0x7F80u; }
static float bf16_oracle_dec(uint16_t u) { return u2f((uint32_t)u << 16); }

/* Round-to-nearest-even by the classic bit trick (non-NaN input only). */
static uint16_t bf16_trick(float x, int sat)
{
    uint32_t u = f2u(x);
    uint16_t r = (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
    if (sat && bf16_is_inf(r))
        r = (uint16_t)((r & 0x8000u) | 0x7F7Fu);
    return r;
}

static void check_bf16_enc(float x, uint16_t expect_nonsat, uint16_t expect_sat, const char *what)
{
    uint16_t g0 = kb_f32_to_bf16(x), g1 = kb_f32_to_bf16_sat(x);
    CHECK(g0 == expect_nonsat, "bf16 %s: input %a (f32 0x%08x): expected 0x%04x, got 0x%04x",
          what, (double)x, f2u(x), expect_nonsat, g0);
    CHECK(g1 == expect_sat, "bf16_sat %s: input %a (f32 0x%08x): expected 0x%04x, got 0x%04x",
          what, (double)x, f2u(x), expect_sat, g1);
}

static void test_bf16(void)
{
    for (uint32_t u = 0; u < 65536; u++) {
        float exp = bf16_oracle_dec((uint16_t)u), got = kb_bf16_to_f32((uint16_t)u);
        if (isnan(exp))
            CHECK(isnan(got), "bf16 decode code 0x%04x: expected NaN, got %a", u, (double)got);
        else
            CHECK(f2u(got) == f2u(exp), "bf16 decode code 0x%04x: expected 0x%08x, got %a (0x%08x)",
                  u, f2u(exp), (double)got, f2u(got));
    }

    for (uint32_t u = 0; u < 65536; u++) {
        uint16_t h = (uint16_t)u;
        float f = kb_bf16_to_f32(h);
        if (bf16_is_nan(h)) {
            uint16_t e0 = kb_f32_to_bf16(f), e1 = kb_f32_to_bf16_sat(f);
            CHECK(bf16_is_nan(e0) && bf16_is_nan(e1),
                  "bf16 NaN round trip code 0x%04x: expected a NaN code, got 0x%04x / sat 0x%04x", u, e0, e1);
            continue;
        }
        uint16_t sat = bf16_is_inf(h) ? (uint16_t)((h & 0x8000u) | 0x7F7Fu) : h;
        check_bf16_enc(f, h, sat, "round trip");
    }

    static const uint32_t nans[] = {0x7FC00000u, 0xFFC00000u, 0x7F800001u, 0xFF800001u,
                                    0x7FFFFFFFu, 0xFFFFFFFFu, 0x7F80FFFFu};
    for (size_t i = 0; i < sizeof nans / sizeof nans[0]; i++) {
        uint16_t s = (nans[i] >> 31) ? 0x8000u : 0u;
        check_bf16_enc(u2f(nans[i]), (uint16_t)(s | 0x7FC0u), (uint16_t)(s | 0x7FC0u), "NaN input");
    }

    for (uint32_t lo = 0; lo < 0x7F7Fu; lo++) {
        uint32_t hi = lo + 1;
        double mid = ((double)bf16_oracle_dec((uint16_t)lo) + (double)bf16_oracle_dec((uint16_t)hi)) / 2;
        float fm = (float)mid;
        CHECK((double)fm == mid, "bf16 tie 0x%04x/0x%04x: midpoint %a is not an f32", lo, hi, mid);
        uint16_t even = (uint16_t)((lo & 1u) ? hi : lo);
        for (int neg = 0; neg < 2; neg++) {
            uint16_t s = neg ? 0x8000u : 0u;
            float sg = neg ? -1.0f : 1.0f;
            check_bf16_enc(sg * fm, (uint16_t)(s | even), (uint16_t)(s | even), "tie");
            check_bf16_enc(sg * up1(fm), (uint16_t)(s | hi), (uint16_t)(s | hi), "tie + 1ulp");
            check_bf16_enc(sg * dn1(fm), (uint16_t)(s | lo), (uint16_t)(s | lo), "tie - 1ulp");
        }
    }

    /* overflow: the tie between the largest finite (0x7F7F) and 2^128 */
    float maxtie = (float)(((double)bf16_oracle_dec(0x7F7Fu) + ldexp(1.0, 128)) / 2);
    CHECK(f2u(maxtie) == 0x7F7F8000u, "bf16 max tie computed as 0x%08x", f2u(maxtie));
    for (int neg = 0; neg < 2; neg++) {
        uint16_t s = neg ? 0x8000u : 0u;
        float sg = neg ? -1.0f : 1.0f;
        uint16_t inf = (uint16_t)(s | 0x7F80u), max = (uint16_t)(s | 0x7F7Fu);
        check_bf16_enc(sg * maxtie, inf, max, "overflow tie");
        check_bf16_enc(sg * dn1(maxtie), max, max, "just below overflow tie");
        check_bf16_enc(sg * up1(maxtie), inf, max, "just above overflow tie");
        check_bf16_enc(sg * u2f(0x7F7FFFFFu), inf, max, "FLT_MAX");
        check_bf16_enc(sg * INFINITY, inf, max, "inf");
        check_bf16_enc(sg * 0.0f, s, s, "zero");
        check_bf16_enc(sg * u2f(0x00008000u), s, s, "smallest subnormal tie (to 0)");
        check_bf16_enc(sg * u2f(0x00008001u), (uint16_t)(s | 1u), (uint16_t)(s | 1u), "just above it");
        check_bf16_enc(sg * u2f(1u), s, s, "smallest f32 subnormal");
    }

    for (int i = 0; i < 4000000; i++) {
        float x = u2f((uint32_t)rng());
        if (isnan(x)) {
            uint16_t g = kb_f32_to_bf16(x), s = (f2u(x) >> 31) ? 0x8000u : 0u;
            CHECK(bf16_is_nan(g) && (g & 0x8000u) == s, "bf16 random NaN 0x%08x: got 0x%04x", f2u(x), g);
            continue;
        }
        check_bf16_enc(x, bf16_trick(x, 0), bf16_trick(x, 1), "random");
    }
}

/* ---- fp8: a table from the OCP spec formula ---------------------------- */

typedef struct fp8_case {
    const char *name;
    int mbits;
    uint8_t max_code;    /* largest finite, positive */
    uint8_t ovf_code;    /* non-saturating overflow result, positive (NaN e4m3, inf e5m2) */
    double next_past_max; /* the value the next code would have with no inf/NaN in the way */
    float (*dec)(uint8_t);
    uint8_t (*enc)(float);
    uint8_t (*enc_sat)(float);
    double table[256];   /* NAN for NaN codes */
} fp8_case;

static void fp8_build_table(fp8_case *c, int e4m3)
{
    for (int code = 0; code < 256; code++) {
        int s = code >> 7;
        int E = e4m3 ? (code >> 3) & 15 : (code >> 2) & 31;
        int M = e4m3 ? code & 7 : code & 3;
        double v;
        if (e4m3) { /* bias 7, E=15 M=7 is NaN, no inf */
            if (E == 15 && M == 7) v = NAN;
            else if (E == 0) v = ldexp(M / 8.0, 1 - 7);
            else v = ldexp(1.0 + M / 8.0, E - 7);
        } else {    /* bias 15, E=31: inf (M=0) or NaN */
            if (E == 31) v = M ? NAN : INFINITY;
            else if (E == 0) v = ldexp(M / 4.0, 1 - 15);
            else v = ldexp(1.0 + M / 4.0, E - 15);
        }
        c->table[code] = s ? -v : v;
    }
}

static int fp8_is_nan(const fp8_case *c, uint8_t code) { return isnan(c->table[code]); }

/* Brute force: nearest value among the positive finite codes and the value
 * past the max (which stands for overflow), ties to the even code. */
static uint8_t fp8_oracle(const fp8_case *c, float x, int sat)
{
    uint8_t s = (f2u(x) >> 31) ? 0x80u : 0u;
    if (isnan(x))
        return (uint8_t)(s | (c->mbits == 3 ? 0x7Fu : 0x7Eu));
    double a = fabs((double)x);
    int pick; /* index 0..max_code, or max_code + 1 for "past max" */
    if (a >= c->next_past_max) {
        pick = c->max_code + 1;
    } else {
        int i = 0;
        while (i < c->max_code && c->table[i + 1] <= a)
            i++;
        if (i == c->max_code) { /* between max and next_past_max */
            double dl = a - c->table[i], dh = c->next_past_max - a;
            pick = dl < dh ? i : dh < dl ? i + 1 : ((i & 1) ? i + 1 : i);
        } else {
            double dl = a - c->table[i], dh = c->table[i + 1] - a;
            pick = dl < dh ? i : dh < dl ? i + 1 : ((i & 1) ? i + 1 : i);
        }
    }
    if (pick > c->max_code)
        return (uint8_t)(s | (sat ? c->max_code : c->ovf_code));
    return (uint8_t)(s | pick);
}

static void check_fp8_enc(const fp8_case *c, float x, uint8_t e0, uint8_t e1, const char *what)
{
    uint8_t g0 = c->enc(x), g1 = c->enc_sat(x);
    CHECK(g0 == e0, "%s %s: input %a (f32 0x%08x): expected 0x%02x, got 0x%02x",
          c->name, what, (double)x, f2u(x), e0, g0);
    CHECK(g1 == e1, "%s_sat %s: input %a (f32 0x%08x): expected 0x%02x, got 0x%02x",
          c->name, what, (double)x, f2u(x), e1, g1);
}

static void test_fp8(fp8_case *c)
{
    int e4m3 = c->mbits == 3;
    /* sanity of the spec table itself */
    CHECK(c->table[c->max_code] == (e4m3 ? 448.0 : 57344.0), "%s table: max %g", c->name, c->table[c->max_code]);
    CHECK(c->table[1] == (e4m3 ? ldexp(1, -9) : ldexp(1, -16)), "%s table: min subnormal %a", c->name, c->table[1]);
    CHECK(e4m3 ? (isnan(c->table[0x7F]) && isnan(c->table[0xFF]) && !isnan(c->table[0x7E]))
               : (isinf(c->table[0x7C]) && c->table[0xFC] < 0 && isnan(c->table[0x7D])),
          "%s table: special codes", c->name);
    for (int i = 0; i < c->max_code; i++)
        CHECK(c->table[i] < c->table[i + 1], "%s table: not increasing at 0x%02x", c->name, i);
    int nan_codes = 0;
    for (int i = 0; i < 256; i++)
        nan_codes += fp8_is_nan(c, (uint8_t)i);
    CHECK(nan_codes == (e4m3 ? 2 : 6), "%s table: %d NaN codes", c->name, nan_codes);

    /* decode every code */
    for (int code = 0; code < 256; code++) {
        float got = c->dec((uint8_t)code);
        double exp = c->table[code];
        if (isnan(exp))
            CHECK(isnan(got), "%s decode code 0x%02x: expected NaN, got %a", c->name, code, (double)got);
        else
            CHECK(f2u(got) == f2u((float)exp), "%s decode code 0x%02x: expected %a, got %a",
                  c->name, code, exp, (double)got);
    }

    /* round trip */
    for (int code = 0; code < 256; code++) {
        float f = c->dec((uint8_t)code);
        if (fp8_is_nan(c, (uint8_t)code)) {
            uint8_t g0 = c->enc(f), g1 = c->enc_sat(f);
            CHECK(fp8_is_nan(c, g0) && fp8_is_nan(c, g1),
                  "%s NaN round trip code 0x%02x: expected a NaN code, got 0x%02x / sat 0x%02x", c->name, code, g0, g1);
            continue;
        }
        uint8_t sat = isinf(c->table[code]) ? (uint8_t)((code & 0x80) | c->max_code) : (uint8_t)code;
        check_fp8_enc(c, f, (uint8_t)code, sat, "round trip");
    }

    /* every tie between adjacent finite codes, plus the one past the max */
    for (int lo = 0; lo <= c->max_code; lo++) {
        int hi = lo + 1;
        double vhi = lo == c->max_code ? c->next_past_max : c->table[hi];
        double mid = (c->table[lo] + vhi) / 2;
        float fm = (float)mid;
        CHECK((double)fm == mid, "%s tie 0x%02x/0x%02x: midpoint %a is not an f32", c->name, lo, hi, mid);
        for (int neg = 0; neg < 2; neg++) {
            uint8_t s = neg ? 0x80u : 0u;
            float sg = neg ? -1.0f : 1.0f;
            uint8_t clo = (uint8_t)(s | lo), chi = (uint8_t)(s | hi), chi_sat = chi;
            if (hi > c->max_code) { /* past the max: overflow */
                chi = (uint8_t)(s | c->ovf_code);
                chi_sat = (uint8_t)(s | c->max_code);
            }
            uint8_t even = (lo & 1) ? chi : clo, even_sat = (lo & 1) ? chi_sat : clo;
            check_fp8_enc(c, sg * fm, even, even_sat, "tie");
            check_fp8_enc(c, sg * up1(fm), chi, chi_sat, "tie + 1ulp");
            check_fp8_enc(c, sg * dn1(fm), clo, clo, "tie - 1ulp");
            CHECK(fp8_oracle(c, sg * fm, 0) == even, "%s oracle self-check at tie %a", c->name, mid);
        }
    }

    /* named edge cases */
    uint8_t canon_nan = e4m3 ? 0x7Fu : 0x7Eu;
    for (int neg = 0; neg < 2; neg++) {
        uint8_t s = neg ? 0x80u : 0u;
        float sg = neg ? -1.0f : 1.0f;
        uint8_t ovf = (uint8_t)(s | c->ovf_code), max = (uint8_t)(s | c->max_code);
        float maxtie = e4m3 ? 464.0f : 61440.0f;
        check_fp8_enc(c, sg * maxtie, e4m3 ? max : ovf, max, "overflow tie");
        check_fp8_enc(c, sg * dn1(maxtie), max, max, "just below overflow tie");
        check_fp8_enc(c, sg * up1(maxtie), ovf, max, "just above overflow tie");
        check_fp8_enc(c, sg * (e4m3 ? 480.0f : 65536.0f), ovf, max, "next power past max");
        check_fp8_enc(c, sg * 1e6f, ovf, max, "1e6");
        check_fp8_enc(c, sg * 3.4028234663852886e38f, ovf, max, "FLT_MAX");
        check_fp8_enc(c, sg * INFINITY, ovf, max, "inf");
        check_fp8_enc(c, sg * 0.0f, s, s, "signed zero");
        check_fp8_enc(c, sg * 1e-30f, s, s, "tiny");
        float t = (float)(c->table[1] / 2); /* smallest subnormal tie: to 0 */
        check_fp8_enc(c, sg * t, s, s, "smallest subnormal tie");
        check_fp8_enc(c, sg * up1(t), (uint8_t)(s | 1u), (uint8_t)(s | 1u), "just above it");
        float t3 = (float)(c->table[1] * 1.5); /* tie between codes 1 and 2: to 2 */
        check_fp8_enc(c, sg * t3, (uint8_t)(s | 2u), (uint8_t)(s | 2u), "subnormal tie 1/2");
        uint32_t nanbits = neg ? 0xFFC00000u : 0x7FC00000u;
        check_fp8_enc(c, u2f(nanbits), (uint8_t)(s | canon_nan), (uint8_t)(s | canon_nan), "NaN input");
        check_fp8_enc(c, u2f(nanbits | 1u), (uint8_t)(s | canon_nan), (uint8_t)(s | canon_nan), "NaN input (payload)");
    }
    /* e4m3 has no inf: -inf non-saturating is the negative NaN code */
    if (e4m3)
        CHECK(c->enc(-INFINITY) == 0xFF, "e4m3 -inf: expected 0xff, got 0x%02x", c->enc(-INFINITY));

    /* random values against the brute-force oracle */
    for (int i = 0; i < 2000000; i++) {
        float x = i < 500000 ? u2f((uint32_t)rng()) : rand_f32_in(e4m3 ? -12 : -19, e4m3 ? 10 : 18);
        if (isnan(x)) {
            uint8_t g = c->enc(x);
            CHECK(fp8_is_nan(c, g) && (g & 0x80u) == ((f2u(x) >> 31) ? 0x80u : 0u),
                  "%s random NaN 0x%08x: got 0x%02x", c->name, f2u(x), g);
            continue;
        }
        check_fp8_enc(c, x, fp8_oracle(c, x, 0), fp8_oracle(c, x, 1), "random");
    }
}

/* ---- kb_store_f64 for integers ------------------------------------------ */

static void check_store_int(kb_dtype t, double v, int64_t expect)
{
    /* a union as wide as any dtype, so the compiler sees no overrun on
     * kb_store_f64's branches for other dtypes */
    union { int8_t i8; int32_t i32; double f64; } q = {.f64 = 77.0};
    kb_store_f64(&q, t, 0, v, 0);
    int64_t got = t == KB_DTYPE_I8 ? q.i8 : q.i32;
    CHECK(got == expect, "kb_store_f64 %s %a (%.17g): expected %lld, got %lld",
          kb_dtype_name(t), v, v, (long long)expect, (long long)got);
}

/* Oracle: rint() (default rounding: half to even), clamped; NaN -> 0. */
static int64_t int_oracle(kb_dtype t, double v)
{
    double lo = t == KB_DTYPE_I8 ? -128.0 : -2147483648.0;
    double hi = t == KB_DTYPE_I8 ? 127.0 : 2147483647.0;
    if (isnan(v)) return 0;
    double r = rint(v);
    return (int64_t)(r < lo ? lo : r > hi ? hi : r);
}

static void test_store_int(void)
{
    static const kb_dtype ts[] = {KB_DTYPE_I8, KB_DTYPE_I32};
    for (int k = 0; k < 2; k++) {
        kb_dtype t = ts[k];
        check_store_int(t, 2.5, 2);
        check_store_int(t, -2.5, -2);
        check_store_int(t, 3.5, 4);
        check_store_int(t, -3.5, -4);
        check_store_int(t, 0.5, 0);
        check_store_int(t, -0.5, 0);
        check_store_int(t, 1.5, 2);
        check_store_int(t, -1.5, -2);
        check_store_int(t, 2.4999999999999996, 2);
        check_store_int(t, 2.5000000000000004, 3);
        check_store_int(t, -0.0, 0);
        check_store_int(t, NAN, 0);
        check_store_int(t, -NAN, 0);
        check_store_int(t, INFINITY, t == KB_DTYPE_I8 ? 127 : 2147483647);
        check_store_int(t, -INFINITY, t == KB_DTYPE_I8 ? -128 : -2147483647LL - 1);
        check_store_int(t, 1e300, t == KB_DTYPE_I8 ? 127 : 2147483647);
        check_store_int(t, -1e300, t == KB_DTYPE_I8 ? -128 : -2147483647LL - 1);
    }
    check_store_int(KB_DTYPE_I8, 126.5, 126);
    check_store_int(KB_DTYPE_I8, 127.4, 127);
    check_store_int(KB_DTYPE_I8, 127.5, 127);
    check_store_int(KB_DTYPE_I8, 200.0, 127);
    check_store_int(KB_DTYPE_I8, -127.5, -128);
    check_store_int(KB_DTYPE_I8, -128.5, -128);
    check_store_int(KB_DTYPE_I8, -129.0, -128);
    check_store_int(KB_DTYPE_I8, -200.0, -128);
    check_store_int(KB_DTYPE_I32, 1000000000.5, 1000000000);
    check_store_int(KB_DTYPE_I32, 1000000001.5, 1000000002);
    check_store_int(KB_DTYPE_I32, 2147483646.5, 2147483646);
    check_store_int(KB_DTYPE_I32, 2147483647.5, 2147483647);
    check_store_int(KB_DTYPE_I32, 3e9, 2147483647);
    check_store_int(KB_DTYPE_I32, -2147483648.5, -2147483647LL - 1);
    check_store_int(KB_DTYPE_I32, -3e9, -2147483647LL - 1);
    check_store_int(KB_DTYPE_I32, 4503599627370497.0, 2147483647); /* 2^52 + 1 */

    /* every quarter in [-300, 300] and random doubles, against rint() */
    for (int k = 0; k < 2; k++) {
        for (int q = -1200; q <= 1200; q++)
            check_store_int(ts[k], q / 4.0, int_oracle(ts[k], q / 4.0));
        for (int i = 0; i < 200000; i++) {
            double v = ldexp((double)(int64_t)rng() / 9223372036854775808.0, (int)(rng() % 34));
            check_store_int(ts[k], v, int_oracle(ts[k], v));
            double h = (double)((int64_t)(rng() >> 33) - (1LL << 30)) + 0.5; /* exact half */
            check_store_int(ts[k], h, int_oracle(ts[k], h));
        }
    }

    /* loads of integers are exact */
    int8_t i8[3] = {-128, 0, 127};
    int32_t i32[3] = {-2147483647 - 1, 0, 2147483647};
    for (int i = 0; i < 3; i++) {
        CHECK(kb_load_f64(i8, KB_DTYPE_I8, i) == (double)i8[i], "kb_load_f64 i8[%d]", i);
        CHECK(kb_load_f64(i32, KB_DTYPE_I32, i) == (double)i32[i], "kb_load_f64 i32[%d]", i);
    }
}

int main(void)
{
    static fp8_case e4m3 = {"e4m3", 3, 0x7E, 0x7F, 480.0, kb_e4m3_to_f32, kb_f32_to_e4m3, kb_f32_to_e4m3_sat, {0}};
    static fp8_case e5m2 = {"e5m2", 2, 0x7B, 0x7C, 65536.0, kb_e5m2_to_f32, kb_f32_to_e5m2, kb_f32_to_e5m2_sat, {0}};
    fp8_build_table(&e4m3, 1);
    fp8_build_table(&e5m2, 0);

    struct { const char *name; long long before, fail_before; } part[5];
    int np = 0;
#define PART(nm, call)                                                      \
    do {                                                                    \
        part[np].name = nm;                                                 \
        part[np].fail_before = n_fail;                                      \
        part[np++].before = n_checks;                                       \
        call;                                                               \
    } while (0)
    PART("f16", test_f16());
    PART("bf16", test_bf16());
    PART("e4m3", test_fp8(&e4m3));
    PART("e5m2", test_fp8(&e5m2));
    PART("int store", test_store_int());
#undef PART

    printf("test_convert: %lld checks (", n_checks);
    for (int i = 0; i < np; i++) {
        long long end = i + 1 < np ? part[i + 1].before : n_checks;
        long long fend = i + 1 < np ? part[i + 1].fail_before : n_fail;
        printf("%s%s %lld", i ? ", " : "", part[i].name, end - part[i].before);
        if (fend > part[i].fail_before)
            printf(" [%lld FAILED]", fend - part[i].fail_before);
    }
    printf("), %lld failed\n", n_fail);
    if (n_fail) {
        if (n_fail > MAX_REPORT)
            fprintf(stderr, "(only the first %d failures were printed)\n", MAX_REPORT);
        fprintf(stderr, "test_convert: FAILED\n");
        return 1;
    }
    return 0;
}
