/*
 * gbench_shim.cc - the C API of gbench.h over Google Benchmark (libbenchmark
 * 1.7.x).  This is the project's only C++ file; it translates, it does not
 * time or compute statistics itself.
 *
 * Rules kept here:
 *  - no C++ exception crosses into C: every extern "C" function catches all;
 *  - nothing is printed: the reporter below writes nowhere, and its output
 *    and error streams (which RunSpecifiedBenchmarks also uses for its own
 *    messages, e.g. "Failed to match any benchmarks") go to a null stream;
 *  - running needs no benchmark::Initialize (which only parses the
 *    --benchmark_* flags and sets the log level), but the library takes each
 *    flag's default from the environment when it loads (BENCHMARK_OUT,
 *    BENCHMARK_LIST_TESTS, ...), and some of those would write files, print,
 *    skip every run or even exit the process.  So the first kb_gb_run_all
 *    calls Initialize once with a fixed argv that puts those flags back to
 *    their built-in defaults (see reset_library_flags);
 *  - misuse from C that the library answers with a BM_CHECK abort (pausing a
 *    paused timer, asking KeepRunning again after it said no, a body that
 *    returns before the loop ended, a fixed iteration count together with a
 *    minimum time or a warm-up) is absorbed here instead.
 */
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

/* The handle a C body gets: the library's State plus what we need to know
 * to keep the calls in an order the library accepts. */
struct kb_gb_state {
    benchmark::State *st;
    double warmup;   /* seconds of warm-up still owed (fixed iteration counts only; see below) */
    bool warming;    /* in those warm-up iterations: the library's loop has not begun */
    std::chrono::steady_clock::time_point warmup_start;
    bool started;    /* the library's loop has begun */
    bool done;       /* kb_gb_keep_running returned 0: the loop is over */
    bool paused;     /* kb_gb_pause_timing without a matching resume */
};

namespace {

/* kbench's extra aggregate: the fastest repetition.  The library hands every
 * statistic the repetitions' accumulated times and rescales the result the
 * same way for all of them, so min needs nothing more than this. */
double stat_min(const std::vector<double> &v)
{
    return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
}

double seconds_per_unit(benchmark::TimeUnit u)
{
    switch (u) {
    case benchmark::kSecond: return 1.0;
    case benchmark::kMillisecond: return 1e-3;
    case benchmark::kMicrosecond: return 1e-6;
    case benchmark::kNanosecond: return 1e-9;
    }
    return 1e-9;
}

/* Feeds every run to the C callback; prints nothing. */
class CallbackReporter : public benchmark::BenchmarkReporter {
public:
    CallbackReporter(kb_gb_run_fn fn, void *user) : null_(nullptr), fn_(fn), user_(user)
    {
        /* An ostream without a buffer drops whatever is written to it. */
        SetOutputStream(&null_);
        SetErrorStream(&null_);
    }

    bool ReportContext(const Context &) override { return true; }

    void ReportRuns(const std::vector<Run> &runs) override
    {
        for (const Run &r : runs) report_one(r);
    }

private:
    void report_one(const Run &r)
    {
        if (!fn_) return;
        std::vector<kb_gb_counter> counters;
        counters.reserve(r.counters.size());
        for (const auto &c : r.counters) counters.push_back({c.first.c_str(), c.second.value});

        const bool aggregate = r.run_type == Run::RT_Aggregate;
        const bool percentage = aggregate && r.aggregate_unit == benchmark::kPercentage;

        kb_gb_run out;
        std::memset(&out, 0, sizeof out);
        /* function_name is the name as registered; benchmark_name() would add
         * "/min_time:0.010/repeats:5/manual_time" and "_mean". */
        out.run_name = r.run_name.function_name.c_str();
        out.run_type = aggregate ? KB_GB_AGGREGATE : KB_GB_ITERATION;
        out.aggregate_name = aggregate ? r.aggregate_name.c_str() : "";
        out.aggregate_is_percentage = percentage;
        out.repetitions = r.repetitions;
        out.repetition_index = aggregate ? -1 : r.repetition_index;
        out.iterations = r.iterations;
        if (percentage) {
            /* cv: the accumulated "time" is the ratio itself (this is what
             * the library's JSON reporter prints for it too). */
            out.real_time = r.real_accumulated_time;
            out.cpu_time = r.cpu_accumulated_time;
        } else {
            const double s = seconds_per_unit(r.time_unit);
            out.real_time = r.GetAdjustedRealTime() * s;
            out.cpu_time = r.GetAdjustedCPUTime() * s;
        }
        out.error = r.error_occurred ? 1 : 0;
        out.error_message = r.error_message.c_str();
        out.counter_count = static_cast<int>(counters.size());
        out.counters = counters.empty() ? nullptr : counters.data();
        fn_(&out, user_);
    }

    std::ostream null_;
    kb_gb_run_fn fn_;
    void *user_;
};

/* Run the C body; never let it leave the library in a state it aborts on. */
void run_body(benchmark::State &st, kb_gb_body body, void *user, double warmup)
{
    kb_gb_state s{&st, warmup, false, {}, false, false, false};
    try {
        body(&s, user);
    } catch (...) {
        if (!st.error_occurred()) st.SkipWithError("kbench: the benchmark body threw an exception");
    }
    /* The library requires the loop to have run out (or an error); report a
     * body that returned early as an error run rather than aborting.
     * SkipWithError also stops a running timer. */
    if (!s.done && !st.error_occurred())
        st.SkipWithError("kbench: the benchmark body returned before kb_gb_keep_running() returned 0");
}

bool valid_time(double t) { return std::isfinite(t); }

void print_no_help() {}

/* Once per process: set the library's flags that would otherwise come from
 * BENCHMARK_* environment variables to their built-in defaults.  Left alone:
 * benchmark_min_time (only used when kb_gb_options.min_time <= 0, which asks
 * for "the library default"), benchmark_repetitions (always set per
 * benchmark), benchmark_filter (kb_gb_run_all passes its own) and
 * benchmark_context (only feeds reporters' context blocks).  The format, out
 * format, color and time unit flags are given because Initialize rejects bad
 * values by printing its help and exiting. */
void reset_library_flags()
{
    static std::once_flag once;
    std::call_once(once, [] {
        static char arg[][48] = {
            "kbench",
            "--benchmark_list_tests=false",      /* list names instead of running */
            "--benchmark_out=",                  /* write a file (exit(1) if it cannot) */
            "--benchmark_out_format=json",
            "--benchmark_format=console",
            "--benchmark_color=false",
            "--benchmark_time_unit=ns",          /* the shim converts from any unit anyway */
            "--benchmark_enable_random_interleaving=false", /* reorders the runs */
            "--benchmark_report_aggregates_only=false",     /* drops the repetitions */
            "--benchmark_display_aggregates_only=false",
            "--benchmark_min_warmup_time=0",     /* warm-up not asked for */
            "--benchmark_perf_counters=",        /* warns on stderr without libpfm */
            "--v=0",                             /* log to stderr */
        };
        static char *argv[sizeof arg / sizeof arg[0] + 1];
        int argc = static_cast<int>(sizeof arg / sizeof arg[0]);
        for (int i = 0; i < argc; i++) argv[i] = arg[i];
        argv[argc] = nullptr;
        benchmark::Initialize(&argc, argv, print_no_help);
    });
}

} // namespace

extern "C" {

int kb_gb_register(const char *name, kb_gb_body body, void *user, const kb_gb_options *opt)
{
    const kb_gb_options defaults = {0.0, 0.0, 1, 0, 0};
    if (!opt) opt = &defaults;
    if (!name || !*name || !body) return -1;
    if (!valid_time(opt->min_time) || !valid_time(opt->min_warmup_time) || opt->min_warmup_time < 0 ||
        opt->repetitions < 1 || opt->iterations < 0)
        return -1;
    try {
        /* The library refuses (aborts on) Iterations together with MinTime
         * or MinWarmUpTime.  A fixed count makes min_time moot; the warm-up
         * is then done here instead: untimed iterations of the body for
         * min_warmup_time seconds of wall time, once per benchmark, before
         * the library's loop of its first repetition (as the library does). */
        const bool fixed = opt->iterations > 0;
        const double own_warmup = fixed ? opt->min_warmup_time : 0.0;
        benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
            name, [body, user, own_warmup, warmed = false](benchmark::State &st) mutable {
                run_body(st, body, user, warmed ? 0.0 : own_warmup);
                warmed = true;
            });
        if (fixed) {
            b->Iterations(opt->iterations);
        } else {
            if (opt->min_time > 0) b->MinTime(opt->min_time);
            if (opt->min_warmup_time > 0) b->MinWarmUpTime(opt->min_warmup_time);
        }
        b->Repetitions(opt->repetitions);
        /* Kernels run on several threads: wall time is what counts, and the
         * rate counters divide by the same time that is reported. */
        if (opt->manual_time)
            b->UseManualTime();
        else
            b->UseRealTime();
        /* Aggregates after the defaults mean, median, stddev, cv; every
         * repetition is reported too (ReportAggregatesOnly is not set). */
        b->ComputeStatistics("min", stat_min, benchmark::kTime);
        return 0;
    } catch (...) {
        return -1;
    }
}

int kb_gb_keep_running(kb_gb_state *st)
{
    if (st->done) return 0; /* KeepRunning after it said no aborts in the library */
    if (st->warmup > 0 && !st->st->error_occurred()) {
        /* Our own warm-up: the library's timer has not started yet. */
        const auto now = std::chrono::steady_clock::now();
        if (!st->warming) {
            st->warming = true;
            st->warmup_start = now;
            return 1;
        }
        if (std::chrono::duration<double>(now - st->warmup_start).count() < st->warmup) return 1;
    }
    st->warmup = 0;
    st->warming = false;
    /* The library stops the timer when the loop ends and aborts if it is
     * already stopped: a body that paused must be running again by now. */
    if (st->paused) kb_gb_resume_timing(st);
    if (st->st->KeepRunning()) {
        st->started = true;
        return 1;
    }
    st->done = true;
    return 0;
}

void kb_gb_set_iteration_time(kb_gb_state *st, double seconds)
{
    if (st->warming) return; /* warm-up iterations are not measured */
    st->st->SetIterationTime(seconds);
}

/* PauseTiming / ResumeTiming check their preconditions with an abort: only
 * pass calls on that are valid inside the loop. */
void kb_gb_pause_timing(kb_gb_state *st)
{
    if (!st->started || st->done || st->paused || st->st->error_occurred()) return;
    st->st->PauseTiming();
    st->paused = true;
}

void kb_gb_resume_timing(kb_gb_state *st)
{
    if (!st->paused || st->done || st->st->error_occurred()) return;
    st->st->ResumeTiming();
    st->paused = false;
}

void kb_gb_skip_with_error(kb_gb_state *st, const char *msg)
{
    if (st->st->error_occurred()) return; /* the first error is the one reported */
    try {
        st->st->SkipWithError(msg && *msg ? msg : "kbench: skipped with an error");
    } catch (...) {
    }
}

int64_t kb_gb_iterations(const kb_gb_state *st)
{
    return st->st->iterations();
}

void kb_gb_set_counter(kb_gb_state *st, const char *name, double value, unsigned flags)
{
    if (!name) return;
    int f = benchmark::Counter::kDefaults;
    if (flags & KB_GB_RATE) f |= benchmark::Counter::kIsRate;
    if (flags & KB_GB_ITERATION_INVARIANT) f |= benchmark::Counter::kIsIterationInvariant;
    try {
        st->st->counters[name] = benchmark::Counter(value, static_cast<benchmark::Counter::Flags>(f));
    } catch (...) {
    }
}

int kb_gb_run_all(kb_gb_run_fn on_run, void *user)
{
    int ran = -1;
    try {
        reset_library_flags();
        CallbackReporter reporter(on_run, user);
        /* An explicit spec: "." matches every (non-empty) name, whatever
         * BENCHMARK_FILTER says in the environment. */
        ran = static_cast<int>(benchmark::RunSpecifiedBenchmarks(&reporter, "."));
    } catch (...) {
        ran = -1;
    }
    try {
        benchmark::ClearRegisteredBenchmarks();
    } catch (...) {
    }
    return ran;
}

/* "debug" or "release" exactly as the library's own JSON reporter writes it
 * (it decides by whether libbenchmark itself was compiled with NDEBUG, which
 * no API exposes): ask that reporter for its context block, once. */
static const char *library_build_type()
{
    static const char *const type = [] {
        try {
            std::ostringstream os;
            benchmark::JSONReporter json;
            json.SetOutputStream(&os);
            json.SetErrorStream(&os);
            benchmark::BenchmarkReporter::Context ctx;
            json.ReportContext(ctx);
            if (os.str().find("\"library_build_type\": \"debug\"") != std::string::npos) return "debug";
        } catch (...) {
        }
        return "release";
    }();
    return type;
}

void kb_gb_get_context(kb_gb_context *out)
{
    std::memset(out, 0, sizeof *out);
    out->library_build_type = "release";
    try {
        const benchmark::CPUInfo &ci = benchmark::CPUInfo::Get();
        out->num_cpus = ci.num_cpus;
        out->mhz_per_cpu = ci.cycles_per_second / 1e6;
        out->cpu_scaling_enabled = ci.scaling == benchmark::CPUInfo::ENABLED;
        const size_t max_caches = sizeof out->caches / sizeof out->caches[0];
        for (const auto &c : ci.caches) {
            if (static_cast<size_t>(out->cache_count) == max_caches) break;
            kb_gb_cache &k = out->caches[out->cache_count++];
            k.type = c.type.c_str(); /* CPUInfo::Get() is a process-lifetime singleton */
            k.level = c.level;
            k.size = c.size; /* bytes */
            k.num_sharing = c.num_sharing;
        }
        for (double l : ci.load_avg) {
            if (out->load_avg_count == 3) break;
            out->load_avg[out->load_avg_count++] = l;
        }
        out->library_build_type = library_build_type();
    } catch (...) {
    }
}

} // extern "C"
