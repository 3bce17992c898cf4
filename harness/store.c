#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p */
static int make_dirs(const char *path, char *err, size_t err_len)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                snprintf(err, err_len, "cannot create folder %s: %s", buf, strerror(errno));
                return -1;
            }
            *p = c;
            if (!c) break;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "%s is not a folder", path);
        return -1;
    }
    return 0;
}

int kb_store_dir(const char *results_dir, const char *fingerprint, char *out, size_t n, char *err, size_t err_len)
{
    snprintf(out, n, "%s/%s", results_dir, fingerprint);
    return make_dirs(out, err, err_len);
}

void kb_store_run_path(char *out, size_t n, const char *dir, const char *iso_date, const char *commit)
{
    char compact[32];
    size_t j = 0;
    for (size_t i = 0; iso_date[i] && i < 19 && j + 1 < sizeof compact; i++)
        if (iso_date[i] != '-' && iso_date[i] != ':') compact[j++] = iso_date[i];
    compact[j] = '\0';
    const char *c = commit && *commit ? commit : "nogit";
    snprintf(out, n, "%s/%s_%s.json", dir, compact, c);
    for (int k = 2; access(out, F_OK) == 0 && k < 1000; k++) snprintf(out, n, "%s/%s_%s-%d.json", dir, compact, c, k);
}
