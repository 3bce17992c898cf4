/*
 * worker.c - the worker process's side of isolate.h: load one plugin file,
 * say hello (what loaded, the kernels, availability, the device), then
 * serve requests one at a time until told to quit or the pipe closes.
 * Everything a request does is the in-process code (verify.c, timing.c);
 * only where it runs changes.
 */
#include "worker_proto.h"

#include <hwloc.h>
#include <time.h>
#include <sys/mman.h>
#include <alloca.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "ipc.h"
#include "load.h"
#include "placement.h"
#include "timing.h"
#include "worker_guard.h"

typedef struct worker {
    const kb_worker_setup *setup;
    kb_registry reg;
    kb_loaded_plugin *lp;
    kb_msg in, out;
    kb_verify_session session;
    int have_session;
    kb_case session_case; /* the bytes the session was asked for */
    kb_verify_options session_opt;
} worker;

static void __attribute__((noreturn)) quit(worker *w, int code)
{
    /* _exit: no atexit handlers or stdio buffers of the parent run twice. */
    fflush(stdout);
    fflush(stderr);
    (void)w;
    _exit(code);
}

static void reply(worker *w)
{
    fflush(stdout); /* -v lines printed while checking come before kbench's next line */
    if (kb_msg_send(w->setup->out_fd, &w->out)) quit(w, 0); /* kbench is gone */
}

static void begin_reply(worker *w, kb_reply kind)
{
    kb_msg_reset(&w->out);
    kb_msg_put_u32(&w->out, kind);
}

/* Hello: 0 and the reason when the file did not load, else 1, the
 * descriptor's strings, availability, the kernels and the device fact. */
static void hello(worker *w)
{
    begin_reply(w, KB_REPLY_HELLO);
    if (w->reg.count != 1) {
        const char *e = w->reg.error_count ? w->reg.errors[0] : "not loaded";
        size_t n = strlen(w->setup->path);
        if (!strncmp(e, w->setup->path, n) && e[n] == ':') e += n + 2; /* "PATH: reason" */
        kb_msg_put_u32(&w->out, 0);
        kb_msg_put_str(&w->out, e);
        reply(w);
        quit(w, 0);
    }
    const kb_plugin *p = w->lp->desc;
    kb_msg_put_u32(&w->out, 1);
    kb_msg_put_str(&w->out, p->name);
    kb_msg_put_str(&w->out, p->version);
    kb_msg_put_str(&w->out, p->backend);
    kb_msg_put_str(&w->out, p->description);
    kb_msg_put_u32(&w->out, (uint32_t)w->lp->available);
    kb_msg_put_str(&w->out, w->lp->why);
    kb_msg_put_u32(&w->out, p->kernel_count);
    for (uint32_t i = 0; i < p->kernel_count; i++) {
        kb_msg_put_str(&w->out, p->kernels[i].name);
        kb_msg_put_u32(&w->out, (uint32_t)p->kernels[i].op);
        kb_msg_put_str(&w->out, p->kernels[i].description);
    }
    kb_device_fact fact;
    int nf = kb_collect_devices(&w->reg, &fact, 1);
    kb_msg_put_u32(&w->out, (uint32_t)nf);
    if (nf) kb_msg_put(&w->out, &fact, sizeof fact);
    reply(w);
}

static const kb_kernel *kernel_at(worker *w, uint32_t i)
{
    return i < w->lp->desc->kernel_count ? &w->lp->desc->kernels[i] : NULL;
}

/* The session for (c, opt), begun anew when the case changes. */
static int session_for(worker *w, const kb_case *c, const kb_verify_options *opt, char *err, size_t n)
{
    if (w->have_session && !memcmp(&w->session_case, c, sizeof *c) && !memcmp(&w->session_opt, opt, sizeof *opt))
        return 0;
    if (w->have_session) kb_verify_end(&w->session);
    w->have_session = 0;
    int rc = kb_verify_begin(&w->session, c, opt, err, n);
    if (rc) return -1;
    w->have_session = 1;
    memcpy(&w->session_case, c, sizeof *c);
    memcpy(&w->session_opt, opt, sizeof *opt);
    return 0;
}

static void do_admit(worker *w)
{
    kb_case c;
    kb_msg_get(&w->in, &c, sizeof c);
    const kb_kernel *k = kernel_at(w, kb_msg_get_u32(&w->in));
    kb_verify_target t = {.plugin = w->lp, .kernel = k};
    begin_reply(w, KB_REPLY_OK);
    if (w->in.bad || !k) {
        t.verdict = KB_VERDICT_SKIP;
        snprintf(t.reason, sizeof t.reason, "kbench: malformed request to the worker");
    } else {
        kb_verify_admit(&t, &c);
    }
    kb_msg_put_u32(&w->out, t.verdict);
    kb_msg_put_str(&w->out, t.reason);
    reply(w);
}

static void do_oracle(worker *w)
{
    kb_case c;
    kb_verify_options opt;
    kb_msg_get(&w->in, &c, sizeof c);
    kb_msg_get(&w->in, &opt, sizeof opt);
    int pattern = (int)kb_msg_get_u32(&w->in);
    char err[640] = "";
    int ok = 0;
    if (w->in.bad) {
        snprintf(err, sizeof err, "malformed request to the oracle's worker");
    } else if (!session_for(w, &c, &opt, err, sizeof err)) {
        kb_verify_session *s = &w->session;
        size_t bytes = kb_verify_export_bytes(s);
        if (bytes > w->setup->arena_bytes - KB_ARENA_DATA) {
            snprintf(err, sizeof err, "the case's verification data (%zu MiB) exceeds the memory shared "
                     "between workers (%zu MiB); run it with --no-isolate", bytes >> 20,
                     (w->setup->arena_bytes - KB_ARENA_DATA) >> 20);
        } else if (pattern < 0 || pattern >= s->pattern_count) {
            snprintf(err, sizeof err, "no input pattern %d", pattern);
        } else if (!kb_verify_oracle(s, w->lp, pattern, err, sizeof err)) {
            kb_arena_header *h = (kb_arena_header *)w->setup->arena;
            h->magic = 0;
            kb_verify_export(s, w->setup->arena + KB_ARENA_DATA);
            memcpy(&h->c, &c, sizeof c);
            memcpy(&h->opt, &opt, sizeof opt);
            h->pattern = pattern;
            h->bytes = bytes;
            h->magic = KB_ARENA_MAGIC;
            ok = 1;
        }
    }
    begin_reply(w, KB_REPLY_OK);
    kb_msg_put_u32(&w->out, (uint32_t)ok);
    kb_msg_put_str(&w->out, err);
    int64_t rows = w->have_session ? w->session.row_count : 0;
    kb_msg_put(&w->out, &rows, sizeof rows);
    reply(w);
}

/* Bring the oracle's pattern in from the arena unless it is loaded. */
static int import_pattern(worker *w, const kb_case *c, const kb_verify_options *opt, int pattern, char *err,
                          size_t n)
{
    if (session_for(w, c, opt, err, n)) return -1;
    if (w->session.pattern == pattern) return 0;
    const kb_arena_header *h = (const kb_arena_header *)w->setup->arena;
    if (h->magic != KB_ARENA_MAGIC || memcmp(&h->c, c, sizeof *c) || memcmp(&h->opt, opt, sizeof *opt) ||
        h->pattern != pattern) {
        snprintf(err, n, "kbench: the oracle's outputs for this case are not in shared memory");
        return -1;
    }
    return kb_verify_import(&w->session, pattern, w->setup->arena + KB_ARENA_DATA, h->bytes, err, n);
}

static void do_check(worker *w)
{
    kb_case c;
    kb_verify_options opt;
    kb_target_state st;
    kb_msg_get(&w->in, &c, sizeof c);
    kb_msg_get(&w->in, &opt, sizeof opt);
    int pattern = (int)kb_msg_get_u32(&w->in);
    const kb_kernel *k = kernel_at(w, kb_msg_get_u32(&w->in));
    kb_msg_get(&w->in, &st, sizeof st);
    kb_verify_target t = {.plugin = w->lp, .kernel = k};
    char err[640] = "";
    if (w->in.bad || !k) {
        st.verdict = KB_VERDICT_FAIL;
        snprintf(st.reason, sizeof st.reason, "kbench: malformed request to the worker");
    } else if (import_pattern(w, &c, &opt, pattern, err, sizeof err)) {
        st.verdict = KB_VERDICT_FAIL;
        snprintf(st.reason, sizeof st.reason, "%s", err);
    } else {
        t.verdict = st.verdict;
        t.worst = st.worst;
        t.trials_run = st.trials_run;
            kb_verify_check(&w->session, &t);
            st.verdict = t.verdict;
        memcpy(st.reason, t.reason, sizeof st.reason);
        st.worst = t.worst;
        st.trials_run = t.trials_run;
    }
    begin_reply(w, KB_REPLY_OK);
    kb_msg_put(&w->out, &st, sizeof st);
    reply(w);
}

static void do_time(worker *w)
{
    kb_case c;
    kb_timing_options opt;
    char name[400], bus[64];
    kb_msg_get(&w->in, &c, sizeof c);
    kb_msg_get_str(&w->in, name, sizeof name);
    kb_msg_get(&w->in, &opt, sizeof opt);
    const kb_kernel *k = kernel_at(w, kb_msg_get_u32(&w->in));
    kb_msg_get_str(&w->in, bus, sizeof bus);
    kb_timing t;
    memset(&t, 0, sizeof t);
    char where[64] = "";
    if (w->in.bad || !k) {
        snprintf(t.error, sizeof t.error, "kbench: malformed request to the worker");
    } else {
        /* The session's buffers are not needed while timing: give them back. */
        if (w->have_session) kb_verify_end(&w->session);
        w->have_session = 0;
        hwloc_topology_t topo = w->setup->topo;
        hwloc_bitmap_t before = topo ? hwloc_bitmap_alloc() : NULL;
        int moved = 0;
        if (before && bus[0] && hwloc_get_cpubind(topo, before, HWLOC_CPUBIND_THREAD) == 0) {
            char err[256];
            moved = kb_bind_near_pci(topo, bus, where, sizeof where, err, sizeof err) == 0;
            if (!moved) fprintf(stderr, "kbench: warning: %s: %s\n", w->lp->desc->name, err);
        }
        if (kb_time_kernel(w->lp, k, &c, name, &opt, &t) && !t.error[0])
            snprintf(t.error, sizeof t.error, "kbench: timing failed");
        if (moved) hwloc_set_cpubind(topo, before, HWLOC_CPUBIND_THREAD);
        if (before) hwloc_bitmap_free(before);
    }
    begin_reply(w, KB_REPLY_OK);
    kb_msg_put_str(&w->out, where);
    kb_msg_put(&w->out, &t, sizeof t);
    for (int i = 0; i < t.run_count; i++) kb_msg_put(&w->out, &t.runs[i], sizeof t.runs[i]);
    kb_timing_free(&t);
    reply(w);
}

/* A host plugin's worker may map memory_limit bytes more than it holds now
 * (RLIMIT_DATA): past that, allocations fail instead of the machine
 * swapping.  Not for device plugins (their runtimes map large host ranges
 * for device memory), nor under AddressSanitizer (its shadow memory counts). */
static void limit_memory(worker *w)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)w;
#else
    double limit = w->setup->memory_limit;
    if (limit <= 0 || !w->lp || strcmp(w->lp->desc->backend, KB_BACKEND_HOST)) return;
    long data = 0, ps = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return;
    /* size resident shared text lib data dt, in pages */
    int got = fscanf(f, "%*d %*d %*d %*d %*d %ld", &data);
    fclose(f);
    if (got != 1) return;
    struct rlimit rl;
    if (getrlimit(RLIMIT_DATA, &rl)) return;
    double want = (double)data * (double)ps + limit;
    if (rl.rlim_max != RLIM_INFINITY && want > (double)rl.rlim_max) return;
    rl.rlim_cur = (rlim_t)want;
    setrlimit(RLIMIT_DATA, &rl);
#endif
}

/* Each worker draws a memory layout of its own, as a fresh process's ASLR
 * would.  A fork inherits kbench's, so without this every worker of a run
 * would put the plugin's code, its heap objects, its thread stacks and the
 * tensors at the same addresses; on small kernels those addresses are worth
 * a few percent (cache sets, branch predictors), the same in every round of
 * a run and different in the next run (docs/timing.md, --rounds).  A random
 * stretch of reserved address space (no memory) shifts everything mapped
 * after it, a random heap block every small allocation, and the caller's
 * random stack gap the stack. */
static uint64_t shuffle_layout(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    long ps = sysconf(_SC_PAGESIZE);
    size_t pages = 1 + (size_t)(x % 8192); /* up to 32 MiB of address space */
    if (mmap(NULL, pages * (size_t)ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED) {
        /* no shift: nothing else changes */
    }
    void *heap_gap = malloc(16 + (size_t)((x >> 13) % 65536)); /* kept: it only shifts what follows */
    (void)heap_gap;
    return x >> 29;
}

static void __attribute__((noreturn)) serve(worker *w, const kb_worker_setup *setup);

void kb_worker_main(const kb_worker_setup *setup)
{
    uint64_t r = shuffle_layout();
    volatile char *stack_gap = alloca(16 + (size_t)(r % 8192));
    stack_gap[0] = 0;
    static worker w;
    serve(&w, setup);
}

static void serve(worker *w, const kb_worker_setup *setup)
{
    memset(w, 0, sizeof *w);
    w->setup = setup;
    kb_worker_guard_install(setup->out_fd);
    kb_found found = {0};
    kb_found_file file = {.path = (char *)setup->path, .explicit_ = setup->explicit_};
    found.files = &file;
    found.count = 1;
    if (kb_registry_load(&found, setup->threads, &w->reg)) quit(w, 0);
    if (w->reg.count == 1) {
        w->lp = &w->reg.plugins[0];
        if (setup->cpu_count > 0 &&
            kb_registry_set_placement(&w->reg, setup->threads, setup->cpus, setup->cpu_count))
            quit(w, 0);
    }
    hello(w);
    limit_memory(w);
    for (;;) {
        if (kb_msg_recv(setup->in_fd, &w->in, 0, NULL)) quit(w, 0);
        switch (kb_msg_get_u32(&w->in)) {
        case KB_REQ_ADMIT: do_admit(w); break;
        case KB_REQ_ORACLE: do_oracle(w); break;
        case KB_REQ_CHECK: do_check(w); break;
        case KB_REQ_TIME: do_time(w); break;
        default: quit(w, 0);
        }
    }
}
