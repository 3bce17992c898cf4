/*
 * history.c - the run history in SQLite (history.h, docs/history.md).
 *
 * Writers open the database read-write with a busy timeout and WAL journal,
 * and do everything (the schema when missing, the run, its results and
 * repetition times) inside one BEGIN IMMEDIATE transaction: two kbench
 * processes queue on the lock instead of failing, and a failure rolls back
 * to the state before the run.  Readers open it query-only.
 */
#include "history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "stats.h"

#ifndef KBENCH_VERSION
#define KBENCH_VERSION "unknown"
#endif

/* How long a writer waits for another process's lock (milliseconds). */
#define BUSY_TIMEOUT_MS 30000

struct kb_history {
    sqlite3 *db;
    char path[4096];
};

static const char schema_sql[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);\n"
    "CREATE TABLE runs (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  date TEXT NOT NULL,\n"
    "  date_unix INTEGER NOT NULL,\n"
    "  git_commit TEXT NOT NULL,\n"
    "  fingerprint TEXT NOT NULL,\n"
    "  suite TEXT NOT NULL,\n"
    "  seed INTEGER NOT NULL,\n"
    "  threads INTEGER NOT NULL,\n"
    "  repetitions INTEGER NOT NULL,\n"
    "  min_time REAL NOT NULL,\n"
    "  cold INTEGER NOT NULL,\n"
    "  kbench_version TEXT NOT NULL);\n"
    "CREATE INDEX runs_by_fingerprint ON runs (fingerprint, date_unix);\n"
    "CREATE TABLE results (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "  name TEXT NOT NULL,\n"
    "  op TEXT NOT NULL,\n"
    "  plugin TEXT NOT NULL,\n"
    "  kernel TEXT NOT NULL,\n"
    "  case_id TEXT NOT NULL,\n"
    "  placement TEXT NOT NULL,\n"
    "  threads INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL CHECK (status IN ('PASS', 'FAIL', 'SKIP')),\n"
    "  reason TEXT NOT NULL,\n"
    "  max_err REAL NOT NULL,\n"
    "  bound REAL NOT NULL,\n"
    "  timed INTEGER NOT NULL,\n"
    "  median REAL, mean REAL, stddev REAL, cv REAL, min REAL,\n"
    "  flops REAL NOT NULL,\n"
    "  bytes REAL NOT NULL,\n"
    "  UNIQUE (run_id, name));\n"
    "CREATE INDEX results_by_name ON results (name);\n"
    "CREATE TABLE repetitions (\n"
    "  result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,\n"
    "  idx INTEGER NOT NULL,\n"
    "  seconds REAL NOT NULL,\n"
    "  PRIMARY KEY (result_id, idx)) WITHOUT ROWID;\n";

static void set_err(char *err, size_t err_len, const char *path, sqlite3 *db, const char *what)
{
    snprintf(err, err_len, "%s: %s%s%s", path, what ? what : "", what ? ": " : "", db ? sqlite3_errmsg(db) : "out of memory");
}

/* "2026-11-28T01:35:00+01:00" -> seconds since the epoch; 0 if it does not parse. */
static int64_t iso_to_unix(const char *s)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6) return 0;
    /* days from civil (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar */
    int yy = mo <= 2 ? y - 1 : y;
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    int64_t t = days * 86400 + h * 3600 + mi * 60 + sec;
    const char *o = s + n;
    if (*o == '.') /* fractional seconds */
        while (*++o >= '0' && *o <= '9') {}
    int oh = 0, om = 0;
    if ((*o == '+' || *o == '-') && sscanf(o + 1, "%2d:%2d", &oh, &om) == 2)
        t -= (*o == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
    return t;
}

static const char *status_name(kb_verdict v)
{
    return v == KB_VERDICT_PASS ? "PASS" : v == KB_VERDICT_FAIL ? "FAIL" : "SKIP";
}

/* The schema: created when the database is new, checked otherwise.  Inside the transaction. */
static int ensure_schema(sqlite3 *db, const char *path, char *err, size_t err_len)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_len, path, db, NULL);
        return -1;
    }
    int have = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (!have) {
        char *msg = NULL, sql[64];
        if (sqlite3_exec(db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, err_len, "%s: cannot create the schema: %s", path, msg ? msg : "?");
            sqlite3_free(msg);
            return -1;
        }
        snprintf(sql, sizeof sql, "INSERT INTO schema_version VALUES (%d)", KB_HISTORY_SCHEMA_VERSION);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            set_err(err, err_len, path, db, NULL);
            return -1;
        }
        return 0;
    }
    if (sqlite3_prepare_v2(db, "SELECT max(version) FROM schema_version", -1, &st, NULL) != SQLITE_OK) {
        set_err(err, err_len, path, db, NULL);
        return -1;
    }
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (version != KB_HISTORY_SCHEMA_VERSION) {
        snprintf(err, err_len, "%s: history schema version %d, but this kbench uses version %d", path, version,
                 KB_HISTORY_SCHEMA_VERSION);
        return -1;
    }
    return 0;
}

/* The failed statement's message, taken before finalize resets it; returns -1. */
static int stmt_fail(sqlite3 *db, const char *path, char *err, size_t err_len)
{
    set_err(err, err_len, path, db, "cannot record the run");
    return -1;
}

static int insert_run(sqlite3 *db, const kb_run_record *rec, const char *git_commit, sqlite3_int64 *run_id,
                      const char *path, char *err, size_t err_len)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO runs (date, date_unix, git_commit, fingerprint, suite, seed, threads, "
                                "repetitions, min_time, cold, kbench_version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &st, NULL);
    if (rc != SQLITE_OK) return stmt_fail(db, path, err, err_len);
    sqlite3_bind_text(st, 1, rec->date, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, iso_to_unix(rec->date));
    sqlite3_bind_text(st, 3, git_commit ? git_commit : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->fingerprint, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, rec->suite, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, (sqlite3_int64)rec->seed); /* the 64 bits as a signed integer */
    sqlite3_bind_int(st, 7, rec->threads);
    sqlite3_bind_int(st, 8, rec->repetitions);
    sqlite3_bind_double(st, 9, rec->min_time);
    sqlite3_bind_int(st, 10, rec->cold);
    sqlite3_bind_text(st, 11, KBENCH_VERSION, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        stmt_fail(db, path, err, err_len);
        sqlite3_finalize(st);
        return -1;
    }
    sqlite3_finalize(st);
    *run_id = sqlite3_last_insert_rowid(db);
    return 0;
}

static int insert_results(sqlite3 *db, const kb_run_record *rec, sqlite3_int64 run_id, const char *path, char *err,
                          size_t err_len)
{
    sqlite3_stmt *res = NULL, *rep = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO results (run_id, name, op, plugin, kernel, case_id, placement, threads, "
                                "status, reason, max_err, bound, timed, median, mean, stddev, cv, min, flops, bytes) "
                                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                -1, &res, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, "INSERT INTO repetitions (result_id, idx, seconds) VALUES (?,?,?)", -1, &rep, NULL);
    for (int i = 0; rc == SQLITE_OK && i < rec->count; i++) {
        const kb_result *r = &rec->results[i];
        const kb_timing *t = &r->timing;
        sqlite3_reset(res);
        sqlite3_clear_bindings(res);
        sqlite3_bind_int64(res, 1, run_id);
        sqlite3_bind_text(res, 2, r->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(res, 3, kb_op_name(r->c.op), -1, SQLITE_STATIC);
        sqlite3_bind_text(res, 4, r->plugin, -1, SQLITE_STATIC);
        sqlite3_bind_text(res, 5, r->kernel, -1, SQLITE_STATIC);
        sqlite3_bind_text(res, 6, r->c.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(res, 7, r->placement ? r->placement->label : "", -1, SQLITE_STATIC);
        sqlite3_bind_int(res, 8, r->threads);
        sqlite3_bind_text(res, 9, status_name(r->verdict), -1, SQLITE_STATIC);
        sqlite3_bind_text(res, 10, r->reason, -1, SQLITE_STATIC);
        sqlite3_bind_double(res, 11, r->verify.max_err);
        sqlite3_bind_double(res, 12, r->verify.bound);
        sqlite3_bind_int(res, 13, t->ok);
        if (t->ok) { /* not timed: NULL figures */
            sqlite3_bind_double(res, 14, t->median);
            sqlite3_bind_double(res, 15, t->mean);
            sqlite3_bind_double(res, 16, t->stddev);
            sqlite3_bind_double(res, 17, t->cv);
            sqlite3_bind_double(res, 18, t->min);
        }
        sqlite3_bind_double(res, 19, r->fig.flops);
        sqlite3_bind_double(res, 20, r->fig.bytes);
        rc = sqlite3_step(res);
        if (rc != SQLITE_DONE) break;
        rc = SQLITE_OK;
        sqlite3_int64 result_id = sqlite3_last_insert_rowid(db);
        for (int k = 0; rc == SQLITE_OK && t->ok && k < t->run_count; k++) {
            const kb_timed_run *tr = &t->runs[k];
            if (tr->aggregate) continue;
            sqlite3_reset(rep);
            sqlite3_bind_int64(rep, 1, result_id);
            sqlite3_bind_int64(rep, 2, tr->repetition_index);
            sqlite3_bind_double(rep, 3, tr->real_time);
            rc = sqlite3_step(rep);
            rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
    }
    if (rc != SQLITE_OK) stmt_fail(db, path, err, err_len);
    sqlite3_finalize(res);
    sqlite3_finalize(rep);
    return rc == SQLITE_OK ? 0 : -1;
}

/* WAL journal: readers (kbench history) never block the writer.  Switching
 * needs the database to itself, so a writer that finds it busy waits. */
static int set_wal(sqlite3 *db)
{
    for (int waited = 0;; waited += 10) {
        int rc = sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS) return rc;
        sqlite3_sleep(10);
    }
}

int kb_history_record(const char *db_path, const kb_run_record *rec, const char *git_commit, char *err,
                      size_t err_len)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        set_err(err, err_len, db_path, db, "cannot open");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    int ok = 0;
    if (set_wal(db) != SQLITE_OK) {
        set_err(err, err_len, db_path, db, NULL);
        goto done;
    }
    if (sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, err_len, db_path, db, NULL);
        goto done;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, err_len, db_path, db, "cannot start a transaction");
        goto done;
    }
    if (ensure_schema(db, db_path, err, err_len)) goto rollback;
    sqlite3_int64 run_id = 0;
    if (insert_run(db, rec, git_commit, &run_id, db_path, err, err_len) ||
        insert_results(db, rec, run_id, db_path, err, err_len))
        goto rollback;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(err, err_len, db_path, db, "cannot commit");
        goto rollback;
    }
    ok = 1;
    goto done;
rollback:
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
done:
    if (sqlite3_close(db) != SQLITE_OK && ok) {
        snprintf(err, err_len, "%s: cannot close the database", db_path);
        ok = 0;
    }
    return ok ? 0 : -1;
}

/* --- reading --- */

/* Open `name` with `flags` into h->db and check the schema version.  Returns
 * SQLITE_OK, or the failing SQLite code with the message in err. */
static int open_checked(kb_history *h, const char *name, int flags, char *err, size_t err_len)
{
    const char *path = h->path;
    int rc = sqlite3_open_v2(name, &h->db, flags, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, err_len, path, h->db, "cannot open");
        return rc;
    }
    sqlite3_extended_result_codes(h->db, 1);
    sqlite3_busy_timeout(h->db, BUSY_TIMEOUT_MS);
    sqlite3_exec(h->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(h->db, "SELECT max(version) FROM schema_version", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        const char *m = sqlite3_errmsg(h->db);
        if (strstr(m, "no such table")) snprintf(err, err_len, "%s: not a kbench history database", path);
        else snprintf(err, err_len, "%s: %s", path, m);
        sqlite3_finalize(st);
        return rc;
    }
    rc = sqlite3_step(st);
    int version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    if (rc != SQLITE_ROW) {
        set_err(err, err_len, path, h->db, NULL);
    } else if (version != KB_HISTORY_SCHEMA_VERSION) {
        snprintf(err, err_len, "%s: history schema version %d, but this kbench reads version %d", path, version,
                 KB_HISTORY_SCHEMA_VERSION);
        rc = SQLITE_MISMATCH;
    } else {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

int kb_history_open(const char *db_path, kb_history **out, char *err, size_t err_len)
{
    *out = NULL;
    struct stat sb;
    if (stat(db_path, &sb) != 0 || access(db_path, R_OK) != 0) {
        snprintf(err, err_len, "%s: %s", db_path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, err_len, "%s: not a file", db_path);
        return -1;
    }
    kb_history *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, err_len, "%s: out of memory", db_path);
        return -1;
    }
    snprintf(h->path, sizeof h->path, "%s", db_path);
    /* Read-write where permitted (SQLite falls back to read-only for a
     * write-protected file), but query-only: then the last connection to close
     * checkpoints the WAL and removes history.sqlite-wal and -shm, which a
     * read-only one would leave behind. */
    int rc = open_checked(h, db_path, SQLITE_OPEN_READWRITE, err, err_len);
    if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_CANTOPEN) {
        /* A WAL database in a folder this user cannot write: no -shm can be
         * made, so read the file as it is (immutable). */
        char uri[3 * sizeof h->path + 32] = "file:";
        size_t j = strlen(uri);
        for (const unsigned char *c = (const unsigned char *)db_path; *c && j + 4 < sizeof uri; c++) {
            if (strchr("?#%", *c) || *c < 0x20 || *c >= 0x7f) j += (size_t)snprintf(uri + j, 4, "%%%02X", *c);
            else uri[j++] = (char)*c;
        }
        snprintf(uri + j, sizeof uri - j, "?immutable=1");
        sqlite3_close(h->db);
        h->db = NULL;
        rc = open_checked(h, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, err, err_len);
    }
    if (rc != SQLITE_OK) {
        kb_history_close(h);
        return -1;
    }
    *out = h;
    return 0;
}

void kb_history_close(kb_history *h)
{
    if (!h) return;
    sqlite3_close(h->db);
    free(h);
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", s ? (const char *)s : "");
}

/* `buf` (elements of `size`) with room for one more: buf itself, a larger
 * copy, or NULL when out of memory (buf is then still valid). */
static void *grow(void *buf, int *cap, int count, size_t size)
{
    if (count < *cap) return buf;
    int nc = *cap ? *cap * 2 : 16;
    void *nb = realloc(buf, (size_t)nc * size);
    if (nb) *cap = nc;
    return nb;
}

static int query_failed(kb_history *h, sqlite3_stmt *st, char *err, size_t err_len)
{
    set_err(err, err_len, h->path, h->db, NULL);
    sqlite3_finalize(st);
    return -1;
}

int kb_history_runs(kb_history *h, const char *fingerprint, kb_history_run **runs, int *count, char *err,
                    size_t err_len)
{
    *runs = NULL;
    *count = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db,
                           "SELECT r.id, r.date, r.date_unix, r.git_commit, r.fingerprint, r.suite, r.seed, r.threads, "
                           "r.repetitions, r.cold, r.min_time, r.kbench_version, "
                           "(SELECT count(*) FROM results s WHERE s.run_id = r.id) "
                           "FROM runs r WHERE ?1 IS NULL OR r.fingerprint = ?1 ORDER BY r.date_unix, r.id",
                           -1, &st, NULL) != SQLITE_OK)
        return query_failed(h, st, err, err_len);
    if (fingerprint) sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
    int cap = 0, rc;
    kb_history_run *v = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kb_history_run *nv = grow(v, &cap, *count, sizeof *v);
        if (!nv) {
            rc = SQLITE_NOMEM;
            break;
        }
        v = nv;
        kb_history_run *r = &v[(*count)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        copy_col(r->date, sizeof r->date, st, 1);
        r->date_unix = sqlite3_column_int64(st, 2);
        copy_col(r->git_commit, sizeof r->git_commit, st, 3);
        copy_col(r->fingerprint, sizeof r->fingerprint, st, 4);
        copy_col(r->suite, sizeof r->suite, st, 5);
        r->seed = (uint64_t)sqlite3_column_int64(st, 6);
        r->threads = sqlite3_column_int(st, 7);
        r->repetitions = sqlite3_column_int(st, 8);
        r->cold = sqlite3_column_int(st, 9);
        r->min_time = sqlite3_column_double(st, 10);
        copy_col(r->kbench_version, sizeof r->kbench_version, st, 11);
        r->result_count = sqlite3_column_int(st, 12);
    }
    if (rc != SQLITE_DONE) {
        free(v);
        *count = 0;
        return query_failed(h, st, err, err_len);
    }
    sqlite3_finalize(st);
    *runs = v;
    return 0;
}

int kb_history_benchmarks(kb_history *h, const char *fingerprint, char ***names, int *count, char *err,
                          size_t err_len)
{
    *names = NULL;
    *count = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h->db,
                           "SELECT DISTINCT s.name FROM results s JOIN runs r ON r.id = s.run_id "
                           "WHERE ?1 IS NULL OR r.fingerprint = ?1 ORDER BY s.name",
                           -1, &st, NULL) != SQLITE_OK)
        return query_failed(h, st, err, err_len);
    if (fingerprint) sqlite3_bind_text(st, 1, fingerprint, -1, SQLITE_STATIC);
    int cap = 0, rc;
    char **v = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *s = sqlite3_column_text(st, 0);
        char *copy = strdup(s ? (const char *)s : "");
        char **nv = copy ? grow(v, &cap, *count, sizeof *v) : NULL;
        if (!nv) {
            free(copy);
            rc = SQLITE_NOMEM;
            break;
        }
        v = nv;
        v[(*count)++] = copy;
    }
    if (rc != SQLITE_DONE) {
        kb_history_names_free(v, *count);
        *count = 0;
        return query_failed(h, st, err, err_len);
    }
    sqlite3_finalize(st);
    *names = v;
    return 0;
}

void kb_history_names_free(char **names, int count)
{
    for (int i = 0; i < count; i++) free(names[i]);
    free(names);
}

void kb_history_series_free(kb_history_point *points, int count)
{
    for (int i = 0; i < count; i++) free(points[i].times);
    free(points);
}

static int load_times(sqlite3_stmt *st, sqlite3_int64 result_id, kb_history_point *p)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, result_id);
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double *nt = grow(p->times, &cap, p->time_count, sizeof *p->times);
        if (!nt) return SQLITE_NOMEM;
        p->times = nt;
        p->times[p->time_count++] = sqlite3_column_double(st, 0);
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int kb_history_series(kb_history *h, const char *name, const char *fingerprint, kb_history_point **points,
                      int *count, char *err, size_t err_len)
{
    *points = NULL;
    *count = 0;
    sqlite3_stmt *st = NULL, *rep = NULL;
    if (sqlite3_prepare_v2(h->db,
                           "SELECT r.id, r.date, r.date_unix, r.git_commit, r.fingerprint, s.id, s.status, s.timed, "
                           "s.median, s.mean, s.stddev, s.cv, s.min, s.max_err, s.bound "
                           "FROM results s JOIN runs r ON r.id = s.run_id "
                           "WHERE s.name = ?1 AND (?2 IS NULL OR r.fingerprint = ?2) ORDER BY r.date_unix, r.id",
                           -1, &st, NULL) != SQLITE_OK)
        return query_failed(h, st, err, err_len);
    if (sqlite3_prepare_v2(h->db, "SELECT seconds FROM repetitions WHERE result_id = ?1 ORDER BY idx", -1, &rep,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(rep);
        return query_failed(h, st, err, err_len);
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (fingerprint) sqlite3_bind_text(st, 2, fingerprint, -1, SQLITE_STATIC);
    int cap = 0, rc;
    kb_history_point *v = NULL;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        kb_history_point *nv = grow(v, &cap, *count, sizeof *v);
        if (!nv) {
            rc = SQLITE_NOMEM;
            break;
        }
        v = nv;
        kb_history_point *p = &v[(*count)++];
        memset(p, 0, sizeof *p);
        p->run_id = sqlite3_column_int64(st, 0);
        copy_col(p->date, sizeof p->date, st, 1);
        p->date_unix = sqlite3_column_int64(st, 2);
        copy_col(p->git_commit, sizeof p->git_commit, st, 3);
        copy_col(p->fingerprint, sizeof p->fingerprint, st, 4);
        copy_col(p->status, sizeof p->status, st, 6);
        p->timed = sqlite3_column_int(st, 7);
        p->median = sqlite3_column_double(st, 8);
        p->mean = sqlite3_column_double(st, 9);
        p->stddev = sqlite3_column_double(st, 10);
        p->cv = sqlite3_column_double(st, 11);
        p->min = sqlite3_column_double(st, 12);
        p->max_err = sqlite3_column_double(st, 13);
        p->bound = sqlite3_column_double(st, 14);
        if ((rc = load_times(rep, sqlite3_column_int64(st, 5), p)) != SQLITE_OK) break;
    }
    sqlite3_finalize(rep);
    if (rc != SQLITE_DONE) {
        kb_history_series_free(v, *count);
        *count = 0;
        return query_failed(h, st, err, err_len);
    }
    sqlite3_finalize(st);
    *points = v;
    return 0;
}

/* --- the change-point rule --- */

kb_history_change kb_history_compare(const kb_history_point *prev, const kb_history_point *cur,
                                     double threshold_pct, double alpha)
{
    kb_history_change c = {0, 0, 1, 0, 0, 0};
    c.status = strcmp(prev->status, cur->status) != 0;
    if (prev->timed && cur->timed && prev->median > 0) {
        c.compared = 1;
        c.change_pct = (cur->median - prev->median) / prev->median * 100;
        c.p = kb_mann_whitney_p(prev->times, prev->time_count, cur->times, cur->time_count);
        c.timing = (c.change_pct > threshold_pct || c.change_pct < -threshold_pct) && c.p < alpha;
    }
    c.change_point = c.timing || c.status;
    return c;
}

double kb_history_min_p(int nx, int ny)
{
    if (nx < 1 || ny < 1) return 1;
    double *x = malloc((size_t)(nx + ny) * sizeof *x);
    if (!x) return 1;
    for (int i = 0; i < nx + ny; i++) x[i] = i; /* completely separated samples */
    double p = kb_mann_whitney_p(x, nx, x + nx, ny);
    free(x);
    return p;
}
