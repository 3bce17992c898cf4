/*
 * worker_proto.h - what kbench and a worker process say to each other
 * (isolate.c is the kbench side, worker.c the worker's).  Every message is
 * one ipc.h frame; requests start with a kb_request code, replies with a
 * kb_reply code.  Both sides are the same binary, so structs travel as
 * bytes.
 */
#ifndef KBENCH_HARNESS_WORKER_PROTO_H
#define KBENCH_HARNESS_WORKER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "kb_case.h"
#include "verify.h"

typedef enum kb_request {
    KB_REQ_ADMIT = 1, /* case, kernel index -> verdict, reason */
    KB_REQ_ORACLE,    /* case, verify options, pattern -> ok, error, sampled rows; outputs into the arena */
    KB_REQ_CHECK,     /* case, verify options, pattern, kernel index, target state -> target state */
    KB_REQ_TIME,      /* case, name, timing options, kernel index, bus id -> where, kb_timing, runs */
    KB_REQ_QUIT
} kb_request;

typedef enum kb_reply {
    KB_REPLY_OK = 0,   /* the answer follows */
    KB_REPLY_HELLO,    /* first frame: load result, descriptor, availability, device fact */
    KB_REPLY_FAULT     /* last words before the worker dies: what it hit (a guard page) */
} kb_reply;

/* The target state that travels with a check. */
typedef struct kb_target_state {
    kb_verdict verdict;
    char reason[640];
    kb_check_result worst;
    int trials_run;
} kb_target_state;

/* The arena: shared memory mapped before any worker forks, so it has the
 * same address everywhere.  The oracle's worker writes a header and the
 * session's buffers (kb_verify_export); the others read them. */
typedef struct kb_arena_header {
    uint64_t magic;
    kb_case c;
    kb_verify_options opt;
    int32_t pattern;
    uint64_t bytes;
} kb_arena_header;

#define KB_ARENA_MAGIC 0x6b62617265616e61ull
#define KB_ARENA_DATA 4096 /* offset of the data */

/* Where the worker runs: set by isolate.c before fork. */
typedef struct kb_worker_setup {
    const char *path;     /* the plugin file */
    int explicit_;
    int threads;
    const int32_t *cpus;
    int cpu_count;
    int in_fd, out_fd;    /* requests in, replies out */
    unsigned char *arena;
    size_t arena_bytes;
    struct hwloc_topology *topo;
    double memory_limit;  /* bytes a host plugin's worker may map beyond what it has at start; 0: none */
} kb_worker_setup;

/* The worker's life: load, hello, serve until QUIT or EOF.  Never returns. */
void kb_worker_main(const kb_worker_setup *setup) __attribute__((noreturn));

#endif
