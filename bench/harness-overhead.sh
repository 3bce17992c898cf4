#!/usr/bin/env bash
# harness-overhead.sh [BUILD_DIR] - kbench measuring itself (a benchmark, not a test):
#  1. the timing overhead per iteration: `kbench run` on the no-op kernel;
#  2. repeatability: the cv over repetitions within a run, and the spread of
#     the median over three identical runs, for a memory-bound and a
#     compute-bound cpu kernel.
# Prints the figures docs/PERFORMANCE.md quotes.
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
kb="$build/bin/kbench"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$kb" run --plugin "$build/bench/kb_noop.so" --suite "$here/overhead.suite" --repetitions 20 --min-time 0.2 \
  --json "$out/noop.json" >/dev/null
for i in 1 2 3; do
  "$kb" run --plugin cpu --kernel 'cpu.twopass,cpu.simple' --suite "$here/repeatability.suite" --repetitions 10 \
    --min-time 0.2 --json "$out/rep$i.json" >/dev/null
done

/usr/bin/python3 - "$out" <<'PY'
import json, sys, statistics
out = sys.argv[1]
def aggs(path):
    d = {}
    for b in json.load(open(path))["benchmarks"]:
        if b["run_type"] == "aggregate":
            d.setdefault(b["run_name"], {})[b["aggregate_name"]] = b["real_time"]
    return d
noop = aggs(f"{out}/noop.json")
for name, a in noop.items():
    print(f"overhead per iteration ({name}): median {a['median']:.1f} ns, min {a['min']:.1f} ns, cv {a['cv']*100:.1f}%")
runs = [aggs(f"{out}/rep{i}.json") for i in (1, 2, 3)]
for name in runs[0]:
    cvs = [r[name]["cv"] * 100 for r in runs]
    meds = [r[name]["median"] / 1e3 for r in runs]
    spread = (max(meds) - min(meds)) / statistics.median(meds) * 100
    print(f"{name}: cv within a run {min(cvs):.1f}-{max(cvs):.1f}%, "
          f"medians of 3 runs {', '.join(f'{m:.1f}' for m in meds)} us (spread {spread:.1f}%)")
PY
