#include "discover.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef KBENCH_PLUGIN_INSTALL_DIR
#define KBENCH_PLUGIN_INSTALL_DIR "/usr/local/lib/kbench/plugins"
#endif
#ifndef KBENCH_PLUGIN_SUBDIR
#define KBENCH_PLUGIN_SUBDIR "lib/kbench/plugins"
#endif

static int push_problem(kb_found *f, const char *fmt, const char *arg)
{
    char **np = realloc(f->problems, (size_t)(f->problem_count + 1) * sizeof *np);
    if (!np) return -1;
    f->problems = np;
    size_t n = strlen(fmt) + strlen(arg) + 1;
    if (!(np[f->problem_count] = malloc(n))) return -1;
    snprintf(np[f->problem_count++], n, fmt, arg);
    return 0;
}

/* Add a file unless its real path is already listed. */
static int push_file(kb_found *f, const char *path, int explicit_)
{
    char real[PATH_MAX];
    const char *key = realpath(path, real) ? real : path;
    for (int i = 0; i < f->count; i++) {
        char other[PATH_MAX];
        const char *okey = realpath(f->files[i].path, other) ? other : f->files[i].path;
        if (!strcmp(key, okey)) {
            f->files[i].explicit_ |= explicit_;
            return 0;
        }
    }
    kb_found_file *nf = realloc(f->files, (size_t)(f->count + 1) * sizeof *nf);
    if (!nf) return -1;
    f->files = nf;
    if (!(nf[f->count].path = strdup(path))) return -1;
    nf[f->count++].explicit_ = explicit_;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.so in `dir`, in name order so that runs are reproducible. */
static int scan_dir(kb_found *f, const char *dir, int complain)
{
    DIR *d = opendir(dir);
    if (!d)
        return complain ? push_problem(f, "plugin folder %s: cannot be read", dir) : 0;
    char **names = NULL;
    int n = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so")) continue;
        char **nn = realloc(names, (size_t)(n + 1) * sizeof *nn);
        if (!nn) { rc = -1; break; }
        names = nn;
        if (!(names[n] = strdup(e->d_name))) { rc = -1; break; }
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (!rc && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = push_file(f, path, 0);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* <folder of the running program>/../lib/kbench/plugins */
static int exe_relative_dir(char *out, size_t n)
{
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return -1;
    exe[len] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = '\0';
    char joined[PATH_MAX + 64];
    snprintf(joined, sizeof joined, "%s/../%s", exe, KBENCH_PLUGIN_SUBDIR);
    if (n < PATH_MAX || !realpath(joined, out)) /* shown in messages: keep it short */
        return -1;
    return 0;
}

int kb_discover(const char *const *explicit_paths, int explicit_count, kb_found *out)
{
    memset(out, 0, sizeof *out);
    char dir[PATH_MAX];
    if (exe_relative_dir(dir, sizeof dir) == 0 && scan_dir(out, dir, 0)) return -1;
    if (scan_dir(out, KBENCH_PLUGIN_INSTALL_DIR, 0)) return -1;
    const char *env = getenv("KBENCH_PLUGIN_PATH");
    if (env && *env) {
        char *copy = strdup(env), *save = NULL;
        if (!copy) return -1;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
            if (scan_dir(out, d, 1)) { free(copy); return -1; }
        free(copy);
    }
    for (int i = 0; i < explicit_count; i++)
        if (push_file(out, explicit_paths[i], 1)) return -1;
    return 0;
}

void kb_found_free(kb_found *f)
{
    for (int i = 0; i < f->count; i++) free(f->files[i].path);
    for (int i = 0; i < f->problem_count; i++) free(f->problems[i]);
    free(f->files);
    free(f->problems);
    memset(f, 0, sizeof *f);
}
