/*
 * rng.h - the seeded random generator behind every input kbench draws.
 * xoshiro256** (Blackman & Vigna), seeded through splitmix64: small, fast,
 * and identical on every platform, so a seed reproduces a failure anywhere.
 */
#ifndef KBENCH_HARNESS_RNG_H
#define KBENCH_HARNESS_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct kb_rng {
    uint64_t s[4];
} kb_rng;

static inline uint64_t kb_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline void kb_rng_seed(kb_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = kb_splitmix64(&seed);
}

static inline uint64_t kb_rng_next(kb_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1). */
static inline double kb_rng_uniform(kb_rng *r)
{
    return (double)(kb_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n). */
static inline uint64_t kb_rng_below(kb_rng *r, uint64_t n)
{
    return n ? kb_rng_next(r) % n : 0;
}

/* Standard normal (Box-Muller). */
static inline double kb_rng_normal(kb_rng *r)
{
    double u1 = kb_rng_uniform(r), u2 = kb_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
