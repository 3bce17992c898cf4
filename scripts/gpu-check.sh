#!/usr/bin/env bash
# scripts/gpu-check.sh - everything GPU-related kbench can check, in one go,
# sized for a short lease on a GPU machine (under 8 minutes on an H100).
#
#   scripts/gpu-check.sh [--kbench PATH] [--quick] [--budget SECONDS] OUTDIR
#
# 1. builds kbench with the cuda and cublas plugins for the GPU present
#    (CMAKE_CUDA_ARCHITECTURES=native), unless --kbench names a kbench binary
#    already built (its plugins in ../lib/kbench/plugins);
# 2. `kbench list` and `kbench peak` (device copy bandwidth, matmul ceiling);
# 3. `kbench verify --plugin cuda --plugin cublas` on the default suite and on
#    plugins/cublas/gpu_check.suite (matmul layouts the default suite lacks);
# 4. `kbench run --suite perf-gpu` comparing cuda against cublas, with a short
#    time budget per benchmark;
# 5. compute-sanitizer (memcheck, and racecheck on the tensor-core kernels) on
#    the smoke suite;
# and writes every log and result file into OUTDIR, printing a summary table
# last.  --quick skips the sanitizer's racecheck pass.  --budget (default
# 470 s) caps the whole check: each step's time limit is cut to what is left,
# and a step with under 20 s left is skipped: it counts as failed, with rc
# 125 in the table (the check did not complete).
#
# Exit status: 0 every step passed; 1 a step failed (the table says which);
# 2 usage error; 77 skipped: no NVIDIA GPU or driver here (the reason is
# printed), which is what CI machines see.
set -uo pipefail

usage() { echo "usage: scripts/gpu-check.sh [--kbench PATH] [--quick] [--budget SECONDS] OUTDIR" >&2; exit 2; }

kbench=""
quick=0
budget=470
out=""
while [ $# -gt 0 ]; do
    case "$1" in
    --kbench) [ $# -ge 2 ] || usage; kbench=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --budget) [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage; budget=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) echo "gpu-check: unknown option $1" >&2; usage ;;
    *) [ -z "$out" ] || usage; out=$1; shift ;;
    esac
done
[ -n "$out" ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out" || { echo "gpu-check: cannot create $out" >&2; exit 2; }
out=$(cd "$out" && pwd)
t_start=$(date +%s)

# --- is there a GPU? --------------------------------------------------------
if ! command -v nvidia-smi >/dev/null 2>&1; then
    echo "gpu-check: SKIPPED: no NVIDIA driver on this machine (nvidia-smi not found)"
    exit 77
fi
if ! nvidia-smi -L >"$out/gpus.txt" 2>&1 || ! grep -q '^GPU ' "$out/gpus.txt"; then
    echo "gpu-check: SKIPPED: no NVIDIA GPU visible: $(head -n 1 "$out/gpus.txt")"
    exit 77
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem,power.limit \
    --format=csv >"$out/gpu.csv" 2>&1
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)

# --- the summary table --------------------------------------------------------
rows=()
failed=0
# record STEP STATUS SECONDS DETAIL
record() {
    rows+=("$(printf '%-14s %-6s %6ss  %s' "$1" "$2" "$3" "$4")")
    [ "$2" = FAIL ] && failed=1
    return 0
}
# step NAME TIMEOUT_S LOGFILE command...: runs it with a time limit (cut to
# what is left of the budget), log in OUTDIR; status 125 when no time is left.
step() {
    local name=$1 limit=$2 log=$3
    shift 3
    local t0 left
    t0=$(date +%s)
    left=$((budget - (t0 - t_start)))
    if [ $left -lt 20 ]; then
        echo "== $name: skipped, the ${budget}s budget is spent" | tee "$out/$log"
        step_rc=125 step_s=0
        return 125
    fi
    [ $limit -gt $left ] && limit=$left
    echo "== $name: $*" | tee "$out/$log"
    timeout --kill-after=10 "$limit" "$@" >>"$out/$log" 2>&1
    local rc=$?
    step_rc=$rc
    step_s=$(($(date +%s) - t0))
    [ $rc -eq 124 ] && echo "gpu-check: $name timed out after ${limit}s" | tee -a "$out/$log"
    return $rc
}

# --- 1. build ------------------------------------------------------------------
if [ -z "$kbench" ]; then
    build="$out/build"
    if step build 420 build.log bash -c "cmake -S '$root' -B '$build' -DCMAKE_BUILD_TYPE=Release \
            -DCMAKE_CUDA_ARCHITECTURES=native -DBUILD_TESTING=OFF && \
            cmake --build '$build' -j$(nproc) --target kbench kb_ref kb_cuda kb_cublas"; then
        record build ok "$step_s" "native CUDA architecture, $build"
    else
        record build FAIL "$step_s" "see build.log (rc $step_rc)"
    fi
    kbench="$build/bin/kbench"
else
    record build skip 0 "prebuilt: $kbench"
fi
if [ ! -x "$kbench" ]; then
    echo "gpu-check: no kbench binary at $kbench"
    printf '%s\n' "${rows[@]}"
    exit 1
fi
plugdir=$(cd "$(dirname "$kbench")/../lib/kbench/plugins" 2>/dev/null && pwd)
for p in cuda cublas; do
    [ -f "$plugdir/kb_$p.so" ] || { record "plugin $p" FAIL 0 "kb_$p.so not built (CUDA toolkit found?)"; }
done

# --- 2. list, peak ---------------------------------------------------------------
"$kbench" list --plugin cuda --plugin cublas >"$out/list.txt" 2>&1
"$kbench" topo >"$out/topo.txt" 2>&1
if grep -q ' UNAVAILABLE' "$out/list.txt"; then
    record list FAIL 0 "$(grep -A1 ' UNAVAILABLE' "$out/list.txt" | grep reason | head -n 1 | sed 's/^ *//')"
else
    record list ok 0 "cuda and cublas available on $gpu_name"
fi
results="$out/results"
if step peak 120 peak.log "$kbench" peak --store --results-dir "$results" --save "$out/peak.json"; then
    dev_line=$(grep -E '^device ' "$out/peak.log" | head -n 2 | tr '\n' ';')
    record peak ok "$step_s" "${dev_line:-no device ceilings measured}"
else
    record peak FAIL "$step_s" "see peak.log (rc $step_rc)"
fi

# --- 3. verify -----------------------------------------------------------------------
step verify 240 verify.log "$kbench" verify --plugin cuda --plugin cublas --suite default
vrc=$step_rc
summary_line=$(grep -E '^verify: ' "$out/verify.log" | tail -n 1)
if [ $vrc -eq 0 ] && grep -qE '^verify: 0 passed' <<<"$summary_line"; then
    record verify FAIL "$step_s" "nothing verified: $summary_line"
elif [ $vrc -eq 0 ]; then
    record verify ok "$step_s" "$summary_line"
else
    record verify FAIL "$step_s" "rc $vrc; $summary_line; $(grep -c '^FAIL' "$out/verify.log") FAIL lines in verify.log"
fi

# The matmul layouts the built-in suites leave out (int8 TN, C read with
# beta != 0, padded rows), for both plugins.
step "verify lt" 150 verify-matmul.log "$kbench" verify --plugin cuda --plugin cublas \
    --suite "$root/plugins/cublas/gpu_check.suite"
line=$(grep -E '^verify: ' "$out/verify-matmul.log" | tail -n 1 | cut -c1-80)
if [ $step_rc -eq 0 ] && grep -qE '^verify: 0 passed' <<<"$line"; then
    record "verify lt" FAIL "$step_s" "nothing verified: $line"
elif [ $step_rc -eq 0 ]; then
    record "verify lt" ok "$step_s" "$line"
else
    record "verify lt" FAIL "$step_s" "rc $step_rc; $line"
fi

# --- 4. perf ---------------------------------------------------------------------------
# One run per op, each with its own time limit, so that one slow op cannot
# cost the others' figures.  --trials 1 and a tenth of the oracle budget: the
# cases are verified (random inputs plus the adversarial patterns, on fewer
# sampled rows) before timing, but the oracle's CPU time stays within a
# minute or so per op; step 3 verified the default suite in full.
for op in matmul attention softmax quantize; do
    step "perf $op" 150 "perf-$op.log" "$kbench" run --suite "$root/harness/suites/perf-gpu.suite" --op $op \
        --plugin cuda --plugin cublas --baseline cublas --trials 1 --ref-budget 100000000 \
        --repetitions 3 --min-time 0.05 --warmup 0.02 --results-dir "$results" \
        --json "$out/perf-$op.json" --csv "$out/perf-$op.csv"
    line=$(grep -E '^run: ' "$out/perf-$op.log" | tail -n 1 | cut -c1-80)
    if [ $step_rc -eq 0 ] && grep -qE '^run: 0 timed' <<<"$line"; then
        record "perf $op" FAIL "$step_s" "nothing timed: $line"
    elif [ $step_rc -eq 0 ]; then
        record "perf $op" ok "$step_s" "$line"
    else
        record "perf $op" FAIL "$step_s" "rc $step_rc; $line"
    fi
done

# --- 5. compute-sanitizer ---------------------------------------------------------------------
if command -v compute-sanitizer >/dev/null 2>&1; then
    # --no-isolate: the kernels run in the process compute-sanitizer started
    # (kbench's worker processes are forks it need not follow).
    san="compute-sanitizer --error-exitcode 99 --print-limit 20"
    step memcheck 150 memcheck.log $san --tool memcheck "$kbench" verify --plugin cuda --plugin cublas \
        --suite smoke --trials 1 --no-isolate
    if [ $step_rc -eq 0 ]; then
        record memcheck ok "$step_s" "$(grep -E 'ERROR SUMMARY' "$out/memcheck.log" | tail -n 1)"
    else
        record memcheck FAIL "$step_s" "rc $step_rc; $(grep -E 'ERROR SUMMARY' "$out/memcheck.log" | tail -n 1)"
    fi
    if [ $quick -eq 0 ]; then
        step racecheck 150 racecheck.log $san --tool racecheck "$kbench" verify --plugin cuda \
            --kernel 'cuda.flash2,cuda.tc,cuda.online' --suite smoke --trials 1 --no-isolate
        if [ $step_rc -eq 0 ]; then
            record racecheck ok "$step_s" "$(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$out/racecheck.log" | tail -n 1)"
        else
            record racecheck FAIL "$step_s" "rc $step_rc; $(grep -E 'SUMMARY' "$out/racecheck.log" | tail -n 1)"
        fi
    fi
else
    record sanitizer FAIL 0 "compute-sanitizer not found (it ships with the CUDA toolkit)"
fi

# --- summary (last, so it ends the output) ---------------------------------------------------
{
    echo
    echo "== perf (kbench run --suite perf-gpu, cuda vs cublas; perf-OP.log have the full tables)"
    cat "$out"/perf-*.log | grep -E '^(softmax|attention|quantize|matmul) ' | cut -c1-190 | head -n 40
    echo
    echo "== verify failures (first 10)"
    cat "$out"/verify*.log "$out"/perf-*.log 2>/dev/null | grep -E '^FAIL' | cut -c1-200 | head -n 10
    echo
    echo "== gpu-check summary: $gpu_name, $(($(date +%s) - t_start)) s in all, files in $out"
    printf '%s\n' "${rows[@]}"
} | tee "$out/summary.txt"
exit $failed
