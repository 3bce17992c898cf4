/*
 * threads.c - the persistent pool behind kb_cpu_parallel_for (see threads.h).
 *
 * One mutex and two condition variables: `wake` starts a job (a generation
 * counter tells workers a new one is posted), `done` tells the caller the
 * last worker finished.  Chunks come from one atomic counter.
 */
#define _GNU_SOURCE /* pthread_setaffinity_np, CPU_SET: this file only */
#include "threads.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kb_cpu_worker {
    kb_cpu_pool *pool;
    int tid;
    int32_t cpu; /* -1: not pinned */
} kb_cpu_worker;

struct kb_cpu_pool {
    int threads;      /* participants */
    int first_worker; /* tid of the first pthread: 1 if the caller takes part, else 0 */
    int nworkers;     /* pthreads started */
    pthread_t *handles;
    kb_cpu_worker *workers;

    pthread_mutex_t dispatch; /* one parallel_for at a time */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t generation; /* bumped per job; guarded by mu */
    int running;         /* workers still in the current job; guarded by mu */
    int stop;

    /* The current job: written before the generation bump, under mu. */
    kb_cpu_task fn;
    void *arg;
    int64_t n, grain;
    atomic_int_fast64_t next;
};

/* Claim chunks until none are left. */
static void run_chunks(kb_cpu_pool *pool, int tid)
{
    for (;;) {
        int64_t b = atomic_fetch_add(&pool->next, pool->grain);
        if (b >= pool->n)
            return;
        int64_t e = pool->n - b < pool->grain ? pool->n : b + pool->grain;
        pool->fn(pool->arg, b, e, tid);
    }
}

static void *worker_main(void *p)
{
    kb_cpu_worker *w = p;
    kb_cpu_pool *pool = w->pool;
    uint64_t seen = 0;
    for (;;) {
        pthread_mutex_lock(&pool->mu);
        while (pool->generation == seen && !pool->stop)
            pthread_cond_wait(&pool->wake, &pool->mu);
        if (pool->stop) {
            pthread_mutex_unlock(&pool->mu);
            return NULL;
        }
        seen = pool->generation;
        pthread_mutex_unlock(&pool->mu);

        run_chunks(pool, w->tid);

        pthread_mutex_lock(&pool->mu);
        if (--pool->running == 0)
            pthread_cond_signal(&pool->done);
        pthread_mutex_unlock(&pool->mu);
    }
}

/* Stop the first `started` workers and free everything. */
static void pool_teardown(kb_cpu_pool *pool, int started)
{
    pthread_mutex_lock(&pool->mu);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 0; i < started; i++)
        pthread_join(pool->handles[i], NULL);
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mu);
    pthread_mutex_destroy(&pool->dispatch);
    free(pool->handles);
    free(pool->workers);
    free(pool);
}

kb_cpu_pool *kb_cpu_pool_create(int threads, const int32_t *cpus, int cpu_count,
                                char *err, size_t err_len)
{
    if (threads < 1)
        threads = 1;
    for (int i = 0; i < cpu_count; i++) {
        if (cpus[i] < 0 || cpus[i] >= CPU_SETSIZE) {
            snprintf(err, err_len, "cpu index %d out of range [0, %d)", (int)cpus[i],
                     CPU_SETSIZE);
            return NULL;
        }
    }
    kb_cpu_pool *pool = calloc(1, sizeof *pool);
    if (!pool) {
        snprintf(err, err_len, "out of memory for the thread pool");
        return NULL;
    }
    pool->threads = threads;
    pool->first_worker = cpu_count > 0 ? 0 : 1;
    pool->nworkers = threads - pool->first_worker;
    pool->handles = calloc((size_t)pool->nworkers + 1, sizeof *pool->handles);
    pool->workers = calloc((size_t)pool->nworkers + 1, sizeof *pool->workers);
    pthread_mutex_init(&pool->dispatch, NULL);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->next, 0);
    if (!pool->handles || !pool->workers) {
        snprintf(err, err_len, "out of memory for the thread pool");
        pool_teardown(pool, 0);
        return NULL;
    }
    for (int i = 0; i < pool->nworkers; i++) {
        kb_cpu_worker *w = &pool->workers[i];
        w->pool = pool;
        w->tid = pool->first_worker + i;
        w->cpu = cpu_count > 0 ? cpus[w->tid % cpu_count] : -1;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        int rc = 0;
        if (w->cpu >= 0) {
            /* Pin before the thread runs, so it never touches another CPU. */
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET((size_t)w->cpu, &set);
            rc = pthread_attr_setaffinity_np(&attr, sizeof set, &set);
        }
        if (rc == 0)
            rc = pthread_create(&pool->handles[i], &attr, worker_main, w);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            if (w->cpu >= 0)
                snprintf(err, err_len, "cannot start a worker pinned to cpu %d: %s",
                         (int)w->cpu, strerror(rc));
            else
                snprintf(err, err_len, "cannot start a worker thread: %s", strerror(rc));
            pool_teardown(pool, i);
            return NULL;
        }
    }
    return pool;
}

void kb_cpu_pool_destroy(kb_cpu_pool *pool)
{
    if (pool)
        pool_teardown(pool, pool->nworkers);
}

void kb_cpu_parallel_for(kb_cpu_pool *pool, int64_t n, int64_t grain, kb_cpu_task fn,
                         void *arg)
{
    if (n <= 0)
        return;
    if (grain < 1)
        grain = 1;
    /* One chunk, or no workers: the caller computes it, skipping the hand-off
     * (waking a worker costs tens of microseconds in a VM, and varies from
     * run to run).  The caller is on the placement's PUs too: the harness
     * binds it there. */
    if (n <= grain || (pool->first_worker == 1 && pool->nworkers == 0)) {
        for (int64_t b = 0; b < n; b += grain)
            fn(arg, b, n - b < grain ? n : b + grain, 0);
        return;
    }
    pthread_mutex_lock(&pool->dispatch);
    pthread_mutex_lock(&pool->mu);
    pool->fn = fn;
    pool->arg = arg;
    pool->n = n;
    pool->grain = grain;
    atomic_store(&pool->next, 0);
    pool->running = pool->nworkers;
    pool->generation++;
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);

    if (pool->first_worker == 1)
        run_chunks(pool, 0);

    pthread_mutex_lock(&pool->mu);
    while (pool->running > 0)
        pthread_cond_wait(&pool->done, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
    pthread_mutex_unlock(&pool->dispatch);
}
