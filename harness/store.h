/*
 * store.h - the results store: one folder per topology fingerprint
 * (results/README.md describes the layout).
 *
 *   <results-dir>/<fingerprint>/topology.xml          hwloc export, written once
 *   <results-dir>/<fingerprint>/peak.json             roofline ceilings (kbench peak)
 *   <results-dir>/<fingerprint>/<date>_<commit>.json  one file per saved run
 */
#ifndef KBENCH_HARNESS_STORE_H
#define KBENCH_HARNESS_STORE_H

#include <stddef.h>

/* <results-dir>/<fingerprint>, created (with parents) if missing.  Returns 0,
 * or -1 with a message. */
int kb_store_dir(const char *results_dir, const char *fingerprint, char *out, size_t n, char *err, size_t err_len);

/* A path for a new run file in `dir`: <date>_<commit>.json, where date is
 * "2026-11-28T01:35:00+00:00" compacted to 20261128T013500 and commit is
 * the git commit ("nogit" outside a checkout); "-2", "-3"... if taken. */
void kb_store_run_path(char *out, size_t n, const char *dir, const char *iso_date, const char *commit);

#endif
