/*
 * result_file.c - read a result file (result_file.h): kbench's Google
 * Benchmark JSON with its "kbench" objects, or plain Google Benchmark JSON.
 *
 * Only "iteration" entries (or entries with no run_type, as older Google
 * Benchmark versions write them) count; aggregates are recomputed from the
 * repetitions, never read.  Every problem is one line naming the file, and
 * the entry and field where there is one.
 */
#include "result_file.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t len, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set_err(char *err, size_t len, const char *path, const char *fmt, ...)
{
    if (!err || !len) return;
    int k = snprintf(err, len, "%s: ", path);
    if (k < 0 || (size_t)k >= len) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + k, len - (size_t)k, fmt, ap);
    va_end(ap);
    /* One line, whatever the file holds: jansson quotes the offending token,
     * which may contain newlines or terminal escapes (found by fuzzing). */
    for (char *c = err; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
}

static char *dup_str(const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

void kb_result_file_free(kb_result_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->count; i++) {
        kb_result_bench *b = &f->benches[i];
        free(b->name);
        free(b->times);
        free(b->error_message);
        free(b->verify_reason);
        free(b->placement);
    }
    free(f->benches);
    free(f->path);
    free(f->fingerprint);
    memset(f, 0, sizeof *f);
}

int kb_result_bench_failed(const kb_result_bench *b)
{
    return b->errored || b->verification == KB_RF_VERIFY_FAIL;
}

/* The whole file, NUL-terminated; NULL with err set. */
static char *read_all(const char *path, size_t *len, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, err_len, path, "%s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f), e = errno;
    fclose(f);
    if (!buf || (n + 1 >= cap)) {
        free(buf);
        set_err(err, err_len, path, "out of memory");
        return NULL;
    }
    if (bad) {
        free(buf);
        set_err(err, err_len, path, "cannot be read: %s", strerror(e ? e : EIO));
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static kb_result_bench *find_or_add(kb_result_file *f, const char *name, int *cap)
{
    /* The repetitions of one benchmark are usually next to each other. */
    if (f->count && !strcmp(f->benches[f->count - 1].name, name)) return &f->benches[f->count - 1];
    for (int i = 0; i < f->count; i++)
        if (!strcmp(f->benches[i].name, name)) return &f->benches[i];
    if (f->count == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        kb_result_bench *nb = realloc(f->benches, (size_t)nc * sizeof *nb);
        if (!nb) return NULL;
        f->benches = nb;
        *cap = nc;
    }
    kb_result_bench *b = &f->benches[f->count];
    memset(b, 0, sizeof *b);
    if (!(b->name = dup_str(name))) return NULL;
    f->count++;
    return b;
}

static int add_time(kb_result_bench *b, double t)
{
    if (b->n == b->cap) {
        int nc = b->cap ? b->cap * 2 : 8;
        double *nt = realloc(b->times, (size_t)nc * sizeof *nt);
        if (!nt) return -1;
        b->times = nt;
        b->cap = nc;
    }
    b->times[b->n++] = t;
    return 0;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* One entry of "benchmarks"; 0, or -1 with err set. */
static int read_entry(kb_result_file *f, int *cap, const json_t *e, size_t i, int *aggregates, char *err,
                      size_t err_len)
{
    const char *path = f->path;
    if (!json_is_object(e)) {
        set_err(err, err_len, path, "benchmarks[%zu]: not an object but %s", i, type_name(e));
        return -1;
    }
    const json_t *rt = json_object_get(e, "run_type");
    if (rt && !json_is_string(rt)) {
        set_err(err, err_len, path, "benchmarks[%zu]: \"run_type\" is not a string", i);
        return -1;
    }
    if (rt && strcmp(json_string_value(rt), "iteration")) { /* "aggregate": recomputed, not read */
        (*aggregates)++;
        return 0;
    }
    const json_t *name = json_object_get(e, "run_name");
    const char *field = "run_name";
    if (!name) {
        name = json_object_get(e, "name");
        field = "name";
    }
    if (!name) {
        set_err(err, err_len, path, "benchmarks[%zu]: no \"name\"", i);
        return -1;
    }
    if (!json_is_string(name) || !*json_string_value(name)) {
        set_err(err, err_len, path, "benchmarks[%zu]: \"%s\" is not a non-empty string", i, field);
        return -1;
    }
    const json_t *errored = json_object_get(e, "error_occurred");
    if (errored && !json_is_boolean(errored)) {
        set_err(err, err_len, path, "benchmarks[%zu]: \"error_occurred\" is not a boolean", i);
        return -1;
    }
    double seconds = 0;
    if (!json_is_true(errored)) {
        const json_t *rtime = json_object_get(e, "real_time");
        if (!rtime) {
            set_err(err, err_len, path, "benchmarks[%zu]: no \"real_time\"", i);
            return -1;
        }
        if (!json_is_number(rtime)) {
            set_err(err, err_len, path, "benchmarks[%zu]: \"real_time\" is not a number", i);
            return -1;
        }
        double t = json_number_value(rtime);
        if (!(t >= 0) || !isfinite(t)) {
            set_err(err, err_len, path, "benchmarks[%zu]: \"real_time\" is negative", i);
            return -1;
        }
        const json_t *unit = json_object_get(e, "time_unit");
        double scale = 1e-9; /* Google Benchmark's default unit */
        if (unit) {
            const char *u = json_is_string(unit) ? json_string_value(unit) : "";
            if (!strcmp(u, "ns")) scale = 1e-9;
            else if (!strcmp(u, "us")) scale = 1e-6;
            else if (!strcmp(u, "ms")) scale = 1e-3;
            else if (!strcmp(u, "s")) scale = 1;
            else {
                set_err(err, err_len, path, "benchmarks[%zu]: \"time_unit\" is not one of ns, us, ms, s", i);
                return -1;
            }
        }
        seconds = t * scale;
    }

    kb_result_bench *b = find_or_add(f, json_string_value(name), cap);
    if (!b) goto oom;
    if (json_is_true(errored)) {
        b->errored = 1;
        const json_t *msg = json_object_get(e, "error_message");
        if (!b->error_message && json_is_string(msg) && !(b->error_message = dup_str(json_string_value(msg))))
            goto oom;
    } else if (add_time(b, seconds)) {
        goto oom;
    }
    const json_t *kb = json_object_get(e, "kbench");
    if (json_is_object(kb)) {
        const json_t *v = json_object_get(kb, "verification");
        const char *status = json_string_value(json_object_get(v, "status"));
        if (status && !strcmp(status, "FAIL")) {
            b->verification = KB_RF_VERIFY_FAIL;
            const char *why = json_string_value(json_object_get(v, "reason"));
            if (why && !b->verify_reason && !(b->verify_reason = dup_str(why))) goto oom;
        } else if (status && !strcmp(status, "PASS") && b->verification == KB_RF_VERIFY_NONE) {
            b->verification = KB_RF_VERIFY_PASS;
        }
        const char *label = json_string_value(json_object_get(json_object_get(kb, "placement"), "label"));
        if (label && !b->placement && !(b->placement = dup_str(label))) goto oom;
    }
    return 0;
oom:
    set_err(err, err_len, path, "out of memory");
    return -1;
}

int kb_result_file_parse(const char *text, size_t len, const char *origin, kb_result_file *out, char *err,
                         size_t err_len)
{
    const char *path = origin;
    memset(out, 0, sizeof *out);
    size_t k = 0;
    while (k < len && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n' || text[k] == '\r')) k++;
    if (k == len) {
        set_err(err, err_len, path, "empty file");
        return -1;
    }
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY, &je);
    if (!root) {
        if (json_error_code(&je) == json_error_premature_end_of_input) /* the file ended inside a value */
            set_err(err, err_len, path, "line %d: unexpected end of input (truncated JSON?)", je.line);
        else
            set_err(err, err_len, path, "line %d: %s", je.line, je.text);
        return -1;
    }

    int rc = -1, cap = 0, aggregates = 0;
    if (!(out->path = dup_str(path))) {
        set_err(err, err_len, path, "out of memory");
        goto done;
    }
    if (!json_is_object(root)) {
        set_err(err, err_len, path, "not a benchmark result file: %s, not an object with a \"benchmarks\" array",
                type_name(root));
        goto done;
    }
    const json_t *benchmarks = json_object_get(root, "benchmarks");
    if (!benchmarks) {
        set_err(err, err_len, path, "not a benchmark result file: no \"benchmarks\" array");
        goto done;
    }
    if (!json_is_array(benchmarks)) {
        set_err(err, err_len, path, "not a benchmark result file: \"benchmarks\" is %s, not an array",
                type_name(benchmarks));
        goto done;
    }
    const json_t *ctx = json_object_get(root, "context");
    const char *fp = json_string_value(json_object_get(ctx, "kbench_fingerprint"));
    if (fp && *fp && !(out->fingerprint = dup_str(fp))) {
        set_err(err, err_len, path, "out of memory");
        goto done;
    }
    size_t i;
    json_t *e;
    json_array_foreach(benchmarks, i, e)
    {
        if (read_entry(out, &cap, e, i, &aggregates, err, err_len)) goto done;
    }
    if (out->count == 0) {
        if (aggregates)
            set_err(err, err_len, path, "no benchmarks: only aggregates, no per-repetition (\"iteration\") entries");
        else
            set_err(err, err_len, path, "no benchmarks");
        goto done;
    }
    rc = 0;
done:
    json_decref(root);
    if (rc) kb_result_file_free(out);
    return rc;
}

int kb_result_file_load(const char *path, kb_result_file *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = read_all(path, &len, err, err_len);
    if (!text) return -1;
    int rc = kb_result_file_parse(text, len, path, out, err, err_len);
    free(text);
    return rc;
}
