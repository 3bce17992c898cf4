#!/usr/bin/env bash
# compare_py.sh KBENCH OUTDIR - two runs of the same selection, then
# google/benchmark's tools/compare.py (Debian's libbenchmark-tools) on the two
# result files: it must run without error and print a row per benchmark.
set -eu
kb=$1; out=$2
mkdir -p "$out"
args=(run --suite smoke --plugin cpu --op softmax,quantize --repetitions 3 --min-time 0.005 --warmup 0)
"$kb" "${args[@]}" --json "$out/a.json" >/dev/null
"$kb" "${args[@]}" --json "$out/b.json" >/dev/null
compare=/usr/share/benchmark/compare.py
# Debian's python3 has the scipy and numpy that compare.py imports.
table=$(/usr/bin/python3 "$compare" --no-color benchmarks "$out/a.json" "$out/b.json")
names=$(/usr/bin/python3 -c 'import json,sys; print("\n".join(sorted({b["run_name"] for b in json.load(open(sys.argv[1]))["benchmarks"]})))' "$out/a.json")
n=0
while IFS= read -r name; do
  grep -qF -- "$name" <<<"$table" || { echo "compare.py printed no row for $name"; echo "$table"; exit 1; }
  n=$((n + 1))
done <<<"$names"
[ "$n" -gt 0 ] || { echo "no benchmarks in the result file"; exit 1; }
echo "compare.py: a row for each of $n benchmarks"
