/*
 * lt_cache.c - the algorithms cuBLASLt's heuristic chose, per problem
 * signature, so that a timed run does not pay for the query (microseconds,
 * comparable to a small matmul).  A small table searched in order: a run
 * sees a handful of signatures, and the oldest entry goes when it is full.
 */
#include <string.h>

#include "lt_plan.h"

kbcl_key kbcl_plan_key(const kbcl_plan *pl)
{
    kbcl_key k;
    memset(&k, 0, sizeof k);
    k.compute = (int32_t)pl->compute;
    k.transa = pl->transa;
    k.transb = pl->transb;
    k.a_type = (int32_t)pl->a.type;
    k.b_type = (int32_t)pl->b.type;
    k.c_type = (int32_t)pl->c.type;
    k.m = pl->m;
    k.n = pl->n;
    k.k = pl->k;
    k.lda = pl->a.ld;
    k.ldb = pl->b.ld;
    k.ldc = pl->c.ld;
    k.a_align = pl->a.align;
    k.b_align = pl->b.align;
    k.c_align = pl->c.align;
    return k;
}

int kbcl_key_equal(const kbcl_key *x, const kbcl_key *y)
{
    return x->compute == y->compute && x->transa == y->transa && x->transb == y->transb &&
           x->a_type == y->a_type && x->b_type == y->b_type && x->c_type == y->c_type && x->m == y->m &&
           x->n == y->n && x->k == y->k && x->lda == y->lda && x->ldb == y->ldb && x->ldc == y->ldc &&
           x->a_align == y->a_align && x->b_align == y->b_align && x->c_align == y->c_align;
}

const uint64_t *kbcl_cache_find(const kbcl_algo_cache *cache, const kbcl_key *key)
{
    for (unsigned i = 0; i < KBCL_CACHE_SLOTS; i++)
        if (cache->slot[i].used && kbcl_key_equal(&cache->slot[i].key, key))
            return cache->slot[i].algo;
    return NULL;
}

void kbcl_cache_put(kbcl_algo_cache *cache, const kbcl_key *key, const uint64_t *algo)
{
    unsigned victim = KBCL_CACHE_SLOTS;
    for (unsigned i = 0; i < KBCL_CACHE_SLOTS && victim == KBCL_CACHE_SLOTS; i++)
        if (cache->slot[i].used && kbcl_key_equal(&cache->slot[i].key, key))
            victim = i; /* the same signature: refresh it */
    for (unsigned i = 0; i < KBCL_CACHE_SLOTS && victim == KBCL_CACHE_SLOTS; i++)
        if (!cache->slot[i].used)
            victim = i;
    if (victim == KBCL_CACHE_SLOTS) {
        /* Full: slots were filled in order, so `next` is the oldest. */
        victim = cache->next;
        cache->next = (cache->next + 1) % KBCL_CACHE_SLOTS;
    }
    cache->slot[victim].used = 1;
    cache->slot[victim].key = *key;
    memcpy(cache->slot[victim].algo, algo, sizeof cache->slot[victim].algo);
}
