#!/usr/bin/env bash
# run_save.sh KBENCH CHECK_RESULTS_PY - `kbench run --threads 1,2 --save` into a
# fresh results store: one folder named by the fingerprint `kbench topo`
# prints, holding topology.xml, peak.json and a run file with results for both
# placements, each timed case with a roofline percentage.
set -eu
kb=$1; check=$2
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
fp=$("$kb" topo | awk '$1 == "fingerprint" {print $2; exit}')
[ -n "$fp" ] || { echo "kbench topo printed no fingerprint"; exit 1; }
out=$("$kb" run --suite smoke --op softmax,quantize --plugin cpu --threads 1,2 --save --results-dir "$store" \
      --repetitions 2 --min-time 0.002 --warmup 0 2>&1)
dir="$store/$fp"
for f in topology.xml peak.json; do
  [ -s "$dir/$f" ] || { echo "missing $dir/$f"; echo "$out"; exit 1; }
done
runs=("$dir"/*_*.json)
[ ${#runs[@]} -eq 1 ] || { echo "expected one run file in $dir, found ${#runs[@]}"; ls "$dir"; exit 1; }
grep -q "^saved: ${runs[0]}$" <<<"$out" || { echo "run did not name the saved file"; echo "$out"; exit 1; }
for t in 1 2; do
  grep -q "threads=$t,bind=compact\" *$" "${runs[0]}" 2>/dev/null || \
    grep -q "\"run_name\": \"softmax/cpu.online/rows=7,cols=129,dtype=f32,scale=0.5/threads=$t,bind=compact\"" "${runs[0]}" || \
    { echo "no results for threads=$t in ${runs[0]}"; exit 1; }
done
grep -Eq "^softmax +cpu\.online +rows=7,cols=129,dtype=f32,scale=0.5/threads=1,bind=compact .* [0-9.]+%m " <<<"$out" || \
  { echo "no roofline percentage in the table"; echo "$out"; exit 1; }
/usr/bin/python3 "$check" "${runs[0]}"
# lstopo can read the stored topology back.
if command -v lstopo-no-graphics >/dev/null; then lstopo-no-graphics -i "$dir/topology.xml" >/dev/null; fi
# A second run reuses the stored ceilings and topology, and gets its own file.
"$kb" run --suite smoke --op softmax --kernel online --plugin cpu --threads 1 --save --results-dir "$store" \
  --repetitions 2 --min-time 0.002 --warmup 0 >/dev/null 2>"$store/err"
if grep -q "measuring them now" "$store/err"; then echo "ceilings were measured twice"; exit 1; fi
n=$(ls "$dir"/*_*.json | wc -l)
[ "$n" -eq 2 ] || { echo "expected 2 run files, found $n"; exit 1; }
echo "run --save: $dir holds topology.xml, peak.json and the runs"
