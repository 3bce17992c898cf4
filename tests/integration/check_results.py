#!/usr/bin/env python3
"""check_results.py JSON [CSV] - a kbench result file has Google Benchmark's
JSON schema with the right types, kbench's extra fields, stable names, and a
CSV twin with the same benchmarks.  Exits 1 with a message on the first
problem."""
import csv
import json
import re
import sys

NAME = re.compile(r"^(softmax|attention|quantize|matmul)/[a-z0-9_-]+\.[a-z0-9_-]+/[a-z0-9_=.,>-]+"
                  r"/threads=[0-9]+,bind=(compact|spread|none|[0-9+]+)$")
AGGREGATES = {"mean", "median", "stddev", "cv", "min"}


def fail(msg):
    print("check_results: " + msg)
    sys.exit(1)


def need(obj, key, types, where):
    if key not in obj:
        fail(f"{where}: missing '{key}'")
    if not isinstance(obj[key], types) or (types is not bool and isinstance(obj[key], bool)):
        fail(f"{where}: '{key}' is {type(obj[key]).__name__}, expected {types}")
    return obj[key]


with open(sys.argv[1]) as f:
    doc = json.load(f)
ctx = need(doc, "context", dict, "top level")
for key, types in [("date", str), ("host_name", str), ("executable", str), ("num_cpus", int),
                   ("mhz_per_cpu", int), ("cpu_scaling_enabled", bool), ("caches", list),
                   ("load_avg", list), ("library_build_type", str), ("kbench_version", str),
                   ("kbench_git_commit", str), ("kbench_suite", str), ("kbench_seed", int),
                   ("kbench_threads", int), ("kbench_repetitions", int), ("kbench_plugins", list),
                   ("kbench_skipped", list)]:
    need(ctx, key, types, "context")
if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", ctx["date"]):
    fail("context: date is not ISO 8601 with an offset: " + ctx["date"])
for c in ctx["caches"]:
    for key, types in [("type", str), ("level", int), ("size", int), ("num_sharing", int)]:
        need(c, key, types, "context.caches[]")
for p in ctx["kbench_plugins"]:
    for key, types in [("name", str), ("version", str), ("backend", str), ("path", str), ("available", bool)]:
        need(p, key, types, "context.kbench_plugins[]")

benchmarks = need(doc, "benchmarks", list, "top level")
if not benchmarks:
    fail("no benchmarks")
per_run = {}
for i, b in enumerate(benchmarks):
    where = f"benchmarks[{i}]"
    name = need(b, "name", str, where)
    run_name = need(b, "run_name", str, where)
    if not NAME.match(run_name):
        fail(f"{where}: run_name '{run_name}' is not op/plugin.kernel/case/threads=N,bind=B")
    run_type = need(b, "run_type", str, where)
    need(b, "repetitions", int, where)
    need(b, "threads", int, where)
    need(b, "family_index", int, where)
    need(b, "per_family_instance_index", int, where)
    kb = need(b, "kbench", dict, where)
    for key, types in [("op", str), ("plugin", str), ("kernel", str), ("case", str), ("params", dict),
                       ("dtypes", str), ("threads", int), ("flops", (int, float)), ("bytes", (int, float)),
                       ("verification", dict), ("placement", dict)]:
        need(kb, key, types, where + ".kbench")
    pl = kb["placement"]
    for key, types in [("label", str), ("threads", int), ("bind", str), ("pus", list)]:
        need(pl, key, types, where + ".kbench.placement")
    if run_name != f"{kb['op']}/{kb['plugin']}.{kb['kernel']}/{kb['case']}/{pl['label']}":
        fail(f"{where}: run_name does not match the kbench fields")
    if pl["threads"] != kb["threads"] or (pl["bind"] != "none" and len(pl["pus"]) != pl["threads"]):
        fail(f"{where}: placement {pl} does not match threads={kb['threads']}")
    status = need(kb["verification"], "status", str, where + ".kbench.verification")
    if b.get("error_occurred"):
        need(b, "error_message", str, where)
        if status != "FAIL" and "timing" not in b["error_message"]:
            fail(f"{where}: error entry with verification status {status}")
        per_run.setdefault(run_name, {"error": True})
        continue
    if status != "PASS":
        fail(f"{where}: timed although verification says {status}")
    need(b, "iterations", int, where)
    real = need(b, "real_time", (int, float), where)
    need(b, "cpu_time", (int, float), where)
    if need(b, "time_unit", str, where) != "ns":
        fail(f"{where}: time_unit is not ns")
    entry = per_run.setdefault(run_name, {"reps": set(), "aggs": set()})
    if run_type == "iteration":
        if name != run_name:
            fail(f"{where}: iteration name differs from run_name")
        entry["reps"].add(need(b, "repetition_index", int, where))
        if real <= 0:
            fail(f"{where}: real_time {real} is not positive")
        rate = "flop_per_second" if kb["op"] in ("matmul", "attention") else "bytes_per_second"
        need(b, rate, (int, float), where)
        if "kbench_peak" in ctx:
            rl = need(kb, "roofline", dict, where + ".kbench")
            pct = need(rl, "percent", (int, float), where + ".kbench.roofline")
            need(rl, "memory_bound", bool, where + ".kbench.roofline")
            if not 0 < pct < 1000:
                fail(f"{where}: roofline percent {pct}")
    elif run_type == "aggregate":
        agg = need(b, "aggregate_name", str, where)
        unit = need(b, "aggregate_unit", str, where)
        if name != run_name + "_" + agg:
            fail(f"{where}: aggregate name '{name}' is not run_name + '_{agg}'")
        if unit != ("percentage" if agg == "cv" else "time"):
            fail(f"{where}: aggregate_unit {unit} for {agg}")
        entry["aggs"].add(agg)
    else:
        fail(f"{where}: run_type '{run_type}'")

reps = ctx["kbench_repetitions"]
for run_name, e in per_run.items():
    if e.get("error"):
        continue
    if e["reps"] != set(range(reps)):
        fail(f"{run_name}: repetitions {sorted(e['reps'])}, expected 0..{reps - 1}")
    if reps > 1 and e["aggs"] != AGGREGATES:
        fail(f"{run_name}: aggregates {sorted(e['aggs'])}, expected {sorted(AGGREGATES)}")

if len(sys.argv) > 2:
    with open(sys.argv[2], newline="") as f:
        rows = list(csv.DictReader(f))
    names = {r["name"] for r in rows}
    if names != {b["name"] for b in benchmarks}:
        fail("CSV and JSON name different benchmarks")
    for r in rows:
        if r["error_occurred"] == "false" and float(r["real_time"]) <= 0:
            fail(f"CSV: {r['name']}: real_time {r['real_time']}")

print(f"check_results: {len(benchmarks)} entries, {len(per_run)} benchmarks, schema and names as documented")
