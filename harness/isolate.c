#include "isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "devices.h"
#include "inputs.h"
#include "interrupt.h"
#include "ipc.h"
#include "suite.h"
#include "worker_proto.h"

/* A plugin as kbench sees it: a shadow descriptor (strings and kernels, no
 * code) and the worker process that holds the real one. */
typedef struct slot {
    kb_plugin desc;
    kb_kernel *kernels;
    char *strings[4];     /* name, version, backend, description */
    char **kernel_strings; /* 2 per kernel */
    int has_fact;
    kb_device_fact fact;
    char *path;
    int explicit_;
    pid_t pid;            /* 0: no worker now */
    int to_fd, from_fd;
} slot;

typedef struct kb_pool {
    kb_isolation iso;
    unsigned char *arena;
    size_t arena_bytes;
    slot *slots; /* parallel to reg->plugins */
    int count;
    int threads;
    int32_t *cpus;
    int cpu_count;
    kb_msg req, rep;
} kb_pool;

/* ---- starting and stopping workers ---------------------------------- */

static void close_fds(slot *s)
{
    if (s->to_fd >= 0) close(s->to_fd);
    if (s->from_fd >= 0) close(s->from_fd);
    s->to_fd = s->from_fd = -1;
}

/* Fork a worker for slot i.  Returns 0, or -1 (errno) if no process or pipe. */
static int spawn(kb_pool *pool, int i)
{
    slot *s = &pool->slots[i];
    int req[2], rep[2];
    if (pipe2(req, O_CLOEXEC)) return -1;
    if (pipe2(rep, O_CLOEXEC)) {
        close(req[0]);
        close(req[1]);
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(req[0]), close(req[1]), close(rep[0]), close(rep[1]);
        return -1;
    }
    if (pid == 0) {
        /* Its own process group: a terminal's Ctrl-C reaches kbench, which
         * decides; and it dies with kbench. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        for (int j = 0; j < pool->count; j++)
            if (j != i) close_fds(&pool->slots[j]);
        close(req[1]);
        close(rep[0]);
        /* If memory runs out for real, the kernel's OOM killer takes the
         * worker, not kbench. */
        FILE *f = fopen("/proc/self/oom_score_adj", "w");
        if (f) {
            fputs("1000", f);
            fclose(f);
        }
        kb_worker_setup setup = {
            .path = s->path, .explicit_ = s->explicit_, .threads = pool->threads, .cpus = pool->cpus,
            .cpu_count = pool->cpu_count, .in_fd = req[0], .out_fd = rep[1], .arena = pool->arena,
            .arena_bytes = pool->arena_bytes, .topo = pool->iso.topo, .memory_limit = pool->iso.memory_limit};
        kb_worker_main(&setup);
    }
    setpgid(pid, pid); /* also here: no race with a kill of the group */
    close(req[0]);
    close(rep[1]);
    s->pid = pid;
    s->to_fd = req[1];
    s->from_fd = rep[0];
    return 0;
}

static const char *signal_name(int sig)
{
    const char *abbrev = sigabbrev_np(sig);
    static char buf[32];
    snprintf(buf, sizeof buf, "SIG%s", abbrev ? abbrev : "?");
    return buf;
}

void kb_describe_death(int status, const char *fault, char *buf, size_t n)
{
    if (WIFSIGNALED(status))
        snprintf(buf, n, "worker crashed: %s (%s)%s%s", signal_name(WTERMSIG(status)), strsignal(WTERMSIG(status)),
                 fault ? ", " : "", fault ? fault : "");
    else if (WIFEXITED(status))
        snprintf(buf, n, "worker exited with status %d (the plugin called exit?)", WEXITSTATUS(status));
    else
        snprintf(buf, n, "worker ended (wait status %d)", status);
}

/* The worker of slot s is dead or must die: reap it and say why in reason.
 * how: -1 its pipe closed, -2 it timed out, -3 kbench was interrupted. */
static void reap(kb_pool *pool, slot *s, int how, const char *fault, char *reason, size_t n)
{
    pid_t pid = s->pid;
    close_fds(s);
    s->pid = 0;
    if (how != -1) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    /* A worker that closed its pipe but lives on gets two seconds. */
    double give_up = kb_now() + 2.0;
    pid_t r;
    while ((r = wait4(pid, &status, how == -1 ? WNOHANG : 0, &ru)) == 0 || (r < 0 && errno == EINTR)) {
        if (r == 0 && kb_now() > give_up) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            how = -4;
            while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
            break;
        }
        if (r == 0) usleep(10000);
    }
    double peak_mib = (double)ru.ru_maxrss / 1024.0;
    if (how == -2)
        snprintf(reason, n, "timed out after %g s (--timeout); worker killed", pool->iso.timeout_s);
    else if (how == -3)
        snprintf(reason, n, "interrupted; worker killed");
    else if (how == -4)
        snprintf(reason, n, "worker closed its pipe and did not exit; killed");
    else
        kb_describe_death(status, fault, reason, n);
    size_t len = strlen(reason);
    if (len + 1 >= n) return;
    int killed = how == -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    double limit_mib = pool->iso.memory_limit / (1024.0 * 1024.0);
    if (limit_mib > 0 && peak_mib >= 0.9 * limit_mib && how == -1)
        snprintf(reason + len, n - len, "; it reached %.0f MiB of its %.0f MiB --memory-limit: out of memory",
                 peak_mib, limit_mib);
    else if (killed)
        snprintf(reason + len, n - len, "; killed from outside, likely by the out-of-memory killer "
                 "(peak %.0f MiB resident)", peak_mib);
}

/* Send pool->req to slot i's worker and wait for the reply in pool->rep,
 * starting the worker first if it is not running.  Returns 0, or -1 with
 * why the worker could not answer in reason (the worker is gone then). */
static int hello(kb_pool *pool, int i, char *reason, size_t n);

static int ask(kb_pool *pool, int i, char *reason, size_t n)
{
    slot *s = &pool->slots[i];
    if (!s->pid && hello(pool, i, reason, n)) return -1;
    double timeout = pool->iso.timeout_s;
    const char *fault = NULL;
    char fault_text[400];
    int rc = kb_msg_send(s->to_fd, &pool->req);
    if (rc == 0) {
        for (;;) {
            rc = kb_msg_recv(s->from_fd, &pool->rep, timeout, kb_interrupt_hard);
            if (rc) break;
            uint32_t kind = kb_msg_get_u32(&pool->rep);
            if (kind == KB_REPLY_OK) return 0;
            if (kind != KB_REPLY_FAULT) {
                rc = -1;
                snprintf(fault_text, sizeof fault_text, "sent a malformed reply");
                fault = fault_text;
                kill(s->pid, SIGKILL);
                break;
            }
            kb_msg_get_str(&pool->rep, fault_text, sizeof fault_text);
            fault = fault_text; /* its last words; the pipe closes next */
        }
    } else {
        rc = -1;
    }
    reap(pool, s, rc, fault, reason, n);
    return -1;
}

/* ---- hello: the shadow of a plugin ------------------------------------ */

static char *take_str(kb_msg *m)
{
    char buf[1024];
    kb_msg_get_str(m, buf, sizeof buf);
    return strdup(buf);
}

static void free_shadow(slot *s)
{
    for (int j = 0; j < 4; j++) free(s->strings[j]);
    if (s->kernel_strings)
        for (uint32_t k = 0; k < 2 * s->desc.kernel_count; k++) free(s->kernel_strings[k]);
    free(s->kernel_strings);
    free(s->kernels);
    s->kernel_strings = NULL;
    s->kernels = NULL;
    memset(s->strings, 0, sizeof s->strings);
}

/* Start slot i's worker and read its hello into the shadow.  Returns 0, or
 * -1 with the reason it did not load in reason. */
static int hello(kb_pool *pool, int i, char *reason, size_t n)
{
    slot *s = &pool->slots[i];
    if (spawn(pool, i)) {
        snprintf(reason, n, "cannot start a worker process: %s", strerror(errno));
        return -1;
    }
    kb_msg *m = &pool->rep;
    int rc = kb_msg_recv(s->from_fd, m, pool->iso.timeout_s, kb_interrupt_hard);
    if (rc == 0 && kb_msg_get_u32(m) == KB_REPLY_FAULT) {
        char fault[400];
        kb_msg_get_str(m, fault, sizeof fault);
        char why[700];
        reap(pool, s, -1, fault, why, sizeof why);
        snprintf(reason, n, "crashed while loading: %s", why);
        return -1;
    }
    if (rc) {
        char why[700];
        reap(pool, s, rc, NULL, why, sizeof why);
        snprintf(reason, n, "%s while loading", why);
        return -1;
    }
    if (!kb_msg_get_u32(m)) {
        kb_msg_get_str(m, reason, n);
        reap(pool, s, -1, NULL, (char[8]){0}, 8);
        return -1;
    }
    char *name = take_str(m);
    if (s->strings[0]) { /* a restart: the same plugin must answer */
        int same = name && !strcmp(name, s->strings[0]);
        free(name);
        if (!same) {
            snprintf(reason, n, "the plugin file changed while kbench ran");
            reap(pool, s, -2, NULL, (char[8]){0}, 8);
            return -1;
        }
        for (int j = 0; j < 3; j++) free(take_str(m)); /* version, backend, description: as before */
        return 0; /* the cursor is at availability (kb_pool_set_placement reads it) */
    }
    s->strings[0] = name;
    s->strings[1] = take_str(m);
    s->strings[2] = take_str(m);
    s->strings[3] = take_str(m);
    memset(&s->desc, 0, sizeof s->desc);
    s->desc.abi_version = KB_ABI_VERSION;
    s->desc.struct_size = sizeof s->desc;
    s->desc.name = s->strings[0];
    s->desc.version = s->strings[1];
    s->desc.backend = s->strings[2];
    s->desc.description = s->strings[3];
    return 0;
}

/* The rest of a first hello: availability, kernels, device. */
static int read_shadow(kb_pool *pool, int i, kb_loaded_plugin *lp)
{
    slot *s = &pool->slots[i];
    kb_msg *m = &pool->rep;
    lp->available = (int)kb_msg_get_u32(m);
    kb_msg_get_str(m, lp->why, sizeof lp->why);
    uint32_t nk = kb_msg_get_u32(m);
    if (m->bad || nk > 4096) return -1;
    s->kernels = calloc(nk ? nk : 1, sizeof *s->kernels);
    s->kernel_strings = calloc(2 * (size_t)nk + 1, sizeof *s->kernel_strings);
    if (!s->kernels || !s->kernel_strings) return -1;
    s->desc.kernel_count = nk;
    for (uint32_t k = 0; k < nk; k++) {
        s->kernels[k].name = s->kernel_strings[2 * k] = take_str(m);
        s->kernels[k].op = (kb_op)kb_msg_get_u32(m);
        s->kernels[k].description = s->kernel_strings[2 * k + 1] = take_str(m);
    }
    s->desc.kernels = s->kernels;
    s->has_fact = kb_msg_get_u32(m) != 0;
    if (s->has_fact) kb_msg_get(m, &s->fact, sizeof s->fact);
    lp->desc = &s->desc;
    return m->bad ? -1 : 0;
}

/* The arena: as large as physical memory, reserved, not committed; pages
 * are used as cases need them. */
static int map_arena(kb_pool *pool)
{
    long pages = sysconf(_SC_PHYS_PAGES), ps = sysconf(_SC_PAGESIZE);
    size_t bytes = pages > 0 && ps > 0 ? (size_t)pages * (size_t)ps : (size_t)8 << 30;
    void *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a == MAP_FAILED) return -1;
    pool->arena = a;
    pool->arena_bytes = bytes;
    return 0;
}

int kb_pool_load(const kb_found *found, int threads, const kb_isolation *iso, kb_registry *reg)
{
    memset(reg, 0, sizeof *reg);
    reg->host.abi_version = KB_ABI_VERSION;
    reg->host.struct_size = sizeof reg->host;
    reg->host.threads = threads > 0 ? threads : 1;
    kb_pool *pool = calloc(1, sizeof *pool);
    if (!pool) return -1;
    reg->pool = pool;
    pool->iso = *iso;
    pool->threads = reg->host.threads;
    /* A worker that dies while kbench writes to it must not take kbench along. */
    signal(SIGPIPE, SIG_IGN);
    if (map_arena(pool)) return -1;
    pool->slots = calloc((size_t)found->count + 1, sizeof *pool->slots);
    reg->plugins = calloc((size_t)found->count + 1, sizeof *reg->plugins);
    if (!pool->slots || !reg->plugins) return -1;
    for (int i = 0; i < found->problem_count; i++)
        if (kb_registry_push_error(reg, "KBENCH_PLUGIN_PATH", found->problems[i])) return -1;
    for (int f = 0; f < found->count; f++) {
        int i = reg->count;
        slot *s = &pool->slots[i];
        memset(s, 0, sizeof *s);
        s->to_fd = s->from_fd = -1;
        s->path = strdup(found->files[f].path);
        s->explicit_ = found->files[f].explicit_;
        pool->count = i + 1;
        char reason[1024];
        kb_loaded_plugin *lp = &reg->plugins[i];
        memset(lp, 0, sizeof *lp);
        if (hello(pool, i, reason, sizeof reason)) {
            kb_registry_push_error(reg, s->path, reason);
        } else if (read_shadow(pool, i, lp)) {
            kb_registry_push_error(reg, s->path, "kbench: malformed hello from the worker");
            reap(pool, s, -2, NULL, reason, sizeof reason);
        } else if (kb_registry_find(reg, s->desc.name)) {
            snprintf(reason, sizeof reason, "duplicate plugin name '%s' (already loaded from %s)", s->desc.name,
                     kb_registry_find(reg, s->desc.name)->path);
            kb_registry_push_error(reg, s->path, reason);
            reap(pool, s, -2, NULL, reason, sizeof reason);
        } else {
            lp->path = strdup(s->path);
            lp->explicit_ = s->explicit_;
            lp->isolated = 1;
            reg->count++;
            continue;
        }
        free_shadow(s);
        free(s->path);
        pool->count = i;
    }
    return 0;
}

void kb_pool_set_topology(kb_registry *reg, struct hwloc_topology *topo)
{
    if (reg->pool) reg->pool->iso.topo = topo;
}

static void stop_workers(kb_pool *pool)
{
    kb_msg_reset(&pool->req);
    kb_msg_put_u32(&pool->req, KB_REQ_QUIT);
    for (int i = 0; i < pool->count; i++) {
        slot *s = &pool->slots[i];
        if (!s->pid) continue;
        kb_msg_send(s->to_fd, &pool->req);
        char why[256];
        close(s->to_fd);
        s->to_fd = -1;
        reap(pool, s, -1, NULL, why, sizeof why); /* waits up to 2 s, then kills */
    }
}

void kb_pool_free(kb_registry *reg)
{
    kb_pool *pool = reg->pool;
    if (!pool) return;
    stop_workers(pool);
    for (int i = 0; i < pool->count; i++) {
        free_shadow(&pool->slots[i]);
        free(pool->slots[i].path);
    }
    for (int i = 0; i < reg->count; i++) free(reg->plugins[i].path);
    if (pool->arena) munmap(pool->arena, pool->arena_bytes);
    kb_msg_free(&pool->req);
    kb_msg_free(&pool->rep);
    free(pool->cpus);
    free(pool->slots);
    free(pool);
    for (int i = 0; i < reg->error_count; i++) free(reg->errors[i]);
    free(reg->errors);
    free(reg->plugins);
    free(reg->cpus);
    memset(reg, 0, sizeof *reg);
}

int kb_pool_set_placement(kb_registry *reg, int threads, const int32_t *cpus, int cpu_count)
{
    kb_pool *pool = reg->pool;
    stop_workers(pool);
    free(pool->cpus);
    pool->cpus = NULL;
    if (cpu_count > 0) {
        if (!(pool->cpus = malloc((size_t)cpu_count * sizeof *pool->cpus))) return -1;
        memcpy(pool->cpus, cpus, (size_t)cpu_count * sizeof *cpus);
    }
    pool->cpu_count = cpu_count;
    pool->threads = threads > 0 ? threads : 1;
    reg->host.threads = pool->threads;
    /* Availability may change with the placement: ask again. */
    for (int i = 0; i < reg->count; i++) {
        kb_loaded_plugin *lp = &reg->plugins[i];
        char reason[1024];
        if (hello(pool, i, reason, sizeof reason)) {
            lp->available = 0;
            snprintf(lp->why, sizeof lp->why, "%.255s", reason);
            continue;
        }
        lp->available = (int)kb_msg_get_u32(&pool->rep);
        kb_msg_get_str(&pool->rep, lp->why, sizeof lp->why);
    }
    return 0;
}

int kb_pool_devices(const kb_registry *reg, kb_device_fact *out, int max)
{
    int n = 0;
    for (int i = 0; i < reg->count && n < max; i++) {
        const slot *s = &reg->pool->slots[i];
        if (!s->has_fact) continue;
        out[n] = s->fact;
        out[n].available = reg->plugins[i].available;
        n++;
    }
    return n;
}

/* ---- requests ----------------------------------------------------------- */

static int slot_of(const kb_registry *reg, const kb_loaded_plugin *lp) { return (int)(lp - reg->plugins); }

static uint32_t kernel_index(const kb_loaded_plugin *lp, const kb_kernel *k)
{
    return (uint32_t)(k - lp->desc->kernels);
}

kb_verdict kb_pool_admit(kb_registry *reg, kb_loaded_plugin *lp, const kb_kernel *k, const kb_case *c, char *why,
                         size_t why_len)
{
    kb_pool *pool = reg->pool;
    if (!pool) {
        kb_verify_target t = {.plugin = lp, .kernel = k};
        kb_verify_admit(&t, c);
        snprintf(why, why_len, "%s", t.reason);
        return t.verdict;
    }
    kb_msg_reset(&pool->req);
    kb_msg_put_u32(&pool->req, KB_REQ_ADMIT);
    kb_msg_put(&pool->req, c, sizeof *c);
    kb_msg_put_u32(&pool->req, kernel_index(lp, k));
    char reason[1024];
    if (ask(pool, slot_of(reg, lp), reason, sizeof reason)) {
        snprintf(why, why_len, "supports(): %s", reason);
        return KB_VERDICT_FAIL;
    }
    kb_verdict v = (kb_verdict)kb_msg_get_u32(&pool->rep);
    kb_msg_get_str(&pool->rep, why, why_len);
    return v;
}

int kb_pool_verify_case(kb_registry *reg, const kb_case *c, kb_loaded_plugin *oracle, kb_verify_target *targets,
                        int target_count, const kb_verify_options *opt, int64_t *sampled_rows, char *err,
                        size_t err_len)
{
    kb_pool *pool = reg->pool;
    if (!pool) return kb_verify_case(c, &(kb_oracle){oracle}, targets, target_count, opt, sampled_rows, err, err_len);
    char why[1024];
    int alive = 0;
    for (int i = 0; i < target_count; i++) {
        kb_verify_target *t = &targets[i];
        if (!kb_verify_target_reset(t)) continue;
        t->verdict = kb_pool_admit(reg, t->plugin, t->kernel, c, t->reason, sizeof t->reason);
        alive += t->verdict == KB_VERDICT_PASS;
    }
    *sampled_rows = kb_case_output_rows(c);
    const char *patterns[KB_MAX_PATTERNS];
    int np = kb_input_patterns(c, opt->trials, patterns, KB_MAX_PATTERNS);
    for (int p = 0; p < np && alive; p++) {
        kb_msg_reset(&pool->req);
        kb_msg_put_u32(&pool->req, KB_REQ_ORACLE);
        kb_msg_put(&pool->req, c, sizeof *c);
        kb_msg_put(&pool->req, opt, sizeof *opt);
        kb_msg_put_u32(&pool->req, (uint32_t)p);
        if (ask(pool, slot_of(reg, oracle), why, sizeof why)) {
            snprintf(err, err_len, "reference %s on %s %s: %s", oracle->desc->name, kb_op_name(c->op), c->id, why);
            return -1;
        }
        if (!kb_msg_get_u32(&pool->rep)) {
            kb_msg_get_str(&pool->rep, err, err_len);
            return -1;
        }
        kb_msg_get_str(&pool->rep, why, sizeof why);
        kb_msg_get(&pool->rep, sampled_rows, sizeof *sampled_rows);
        for (int i = 0; i < target_count; i++) {
            kb_verify_target *t = &targets[i];
            if (t->verdict != KB_VERDICT_PASS) continue;
            kb_target_state st;
            memset(&st, 0, sizeof st);
            st.verdict = t->verdict;
            st.worst = t->worst;
            st.trials_run = t->trials_run;
            kb_msg_reset(&pool->req);
            kb_msg_put_u32(&pool->req, KB_REQ_CHECK);
            kb_msg_put(&pool->req, c, sizeof *c);
            kb_msg_put(&pool->req, opt, sizeof *opt);
            kb_msg_put_u32(&pool->req, (uint32_t)p);
            kb_msg_put_u32(&pool->req, kernel_index(t->plugin, t->kernel));
            kb_msg_put(&pool->req, &st, sizeof st);
            if (ask(pool, slot_of(reg, t->plugin), why, sizeof why)) {
                t->verdict = KB_VERDICT_FAIL;
                t->trials_run++;
                snprintf(t->reason, sizeof t->reason, "%.20s#%d: %.600s", patterns[p],
                         kb_input_trial(patterns, p) + 1, why);
                alive--;
                continue;
            }
            kb_msg_get(&pool->rep, &st, sizeof st);
            t->verdict = st.verdict;
            memcpy(t->reason, st.reason, sizeof t->reason);
            t->worst = st.worst;
            t->trials_run = st.trials_run;
            alive -= t->verdict != KB_VERDICT_PASS;
        }
    }
    return 0;
}

int kb_pool_time(kb_registry *reg, kb_loaded_plugin *lp, const kb_kernel *k, const kb_case *c, const char *name,
                 const kb_timing_options *opt, const char *bus_id, char *where, size_t where_len, kb_timing *out)
{
    kb_pool *pool = reg->pool;
    memset(out, 0, sizeof *out);
    if (where_len) where[0] = '\0';
    kb_msg_reset(&pool->req);
    kb_msg_put_u32(&pool->req, KB_REQ_TIME);
    kb_msg_put(&pool->req, c, sizeof *c);
    kb_msg_put_str(&pool->req, name);
    kb_msg_put(&pool->req, opt, sizeof *opt);
    kb_msg_put_u32(&pool->req, kernel_index(lp, k));
    kb_msg_put_str(&pool->req, bus_id);
    char why[1024];
    if (ask(pool, slot_of(reg, lp), why, sizeof why)) {
        snprintf(out->error, sizeof out->error, "%.255s", why);
        return 0;
    }
    kb_msg *m = &pool->rep;
    kb_msg_get_str(m, where, where_len);
    kb_msg_get(m, out, sizeof *out);
    out->runs = NULL;
    if (out->run_count < 0 || out->run_count > 100000) out->run_count = 0;
    if (out->run_count) {
        out->runs = calloc((size_t)out->run_count, sizeof *out->runs);
        if (!out->runs) {
            out->ok = 0;
            out->run_count = 0;
            snprintf(out->error, sizeof out->error, "out of memory");
            return -1;
        }
        for (int i = 0; i < out->run_count; i++) kb_msg_get(m, &out->runs[i], sizeof out->runs[i]);
    }
    if (m->bad) {
        kb_timing_free(out);
        memset(out, 0, sizeof *out);
        snprintf(out->error, sizeof out->error, "kbench: malformed timing reply from the worker");
    }
    return 0;
}
