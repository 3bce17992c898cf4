#include "warnings.h"

#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gbench.h"

/* Repetitions below which compare.py's Mann-Whitney U test cannot call a
 * difference significant (Google Benchmark's own rule of thumb). */
#define KB_MIN_REPETITIONS_FOR_UTEST 9

/* A governor other than "performance" on any CPU (the check Google Benchmark
 * makes for cpu_scaling_enabled, read from sysfs directly too). */
static int scaling_enabled(void)
{
    kb_gb_context c;
    kb_gb_get_context(&c);
    if (c.cpu_scaling_enabled) return 1;
    glob_t g;
    int found = 0;
    if (glob("/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
            FILE *f = fopen(g.gl_pathv[i], "r");
            char gov[64] = "";
            if (f && fgets(gov, sizeof gov, f)) found = strncmp(gov, "performance", 11) != 0;
            if (f) fclose(f);
        }
        globfree(&g);
    }
    return found;
}

/* Busy time of all CPUs (jiffies) from /proc/stat. */
static int cpu_times(unsigned long long *busy, unsigned long long *total)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f) return -1;
    unsigned long long v[10] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (n < 4) return -1;
    *total = 0;
    for (int i = 0; i < 8; i++) *total += v[i];
    *busy = *total - v[3] - v[4]; /* minus idle and iowait */
    return 0;
}

/* Fraction of all CPUs busy over 200 ms while kbench itself sleeps. */
static double other_load(void)
{
    unsigned long long b0, t0, b1, t1;
    if (cpu_times(&b0, &t0)) return 0;
    struct timespec ts = {0, 200 * 1000 * 1000};
    nanosleep(&ts, NULL);
    if (cpu_times(&b1, &t1) || t1 <= t0) return 0;
    return (double)(b1 - b0) / (double)(t1 - t0);
}

int kb_measurement_warnings(int repetitions, int comparing)
{
    int n = 0;
    if (scaling_enabled()) {
        fprintf(stderr, "***WARNING*** CPU scaling is enabled, the benchmark real time measurements may be noisy "
                        "and will incur extra overhead.\n");
        n++;
    }
    double load = other_load();
    if (load > 0.10) {
        fprintf(stderr, "***WARNING*** other processes kept %.0f%% of the CPUs busy just before this run; "
                        "timings will be noisy.\n", load * 100);
        n++;
    }
#if !defined(NDEBUG) || defined(KBENCH_SANITIZED)
    fprintf(stderr, "***WARNING*** kbench was built without optimisation or with sanitizers (a debug build); "
                    "the harness's own overhead is larger than in a Release build.\n");
    n++;
#endif
    if (comparing && repetitions < KB_MIN_REPETITIONS_FOR_UTEST) {
        fprintf(stderr, "***WARNING*** --baseline with %d repetitions: a statistical comparison (Mann-Whitney U, "
                        "as compare.py makes) needs at least %d repetitions per benchmark.\n",
                repetitions, KB_MIN_REPETITIONS_FOR_UTEST);
        n++;
    }
    return n;
}
