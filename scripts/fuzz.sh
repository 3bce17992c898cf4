#!/usr/bin/env bash
# fuzz.sh - fuzz the suite-file parser and the result-file reader for a
# bounded time each (docs/ci.md, "Fuzzing").
#
#   scripts/fuzz.sh [SECONDS-PER-TARGET]     (default 45)
#
# Configures build-fuzz/ with clang and -DKBENCH_FUZZ=ON, builds only the
# fuzz targets, and runs each from a temporary copy of its stored corpus
# (tests/fuzz/corpus/TARGET, plus tests/fuzz/regressions/TARGET), so the
# checkout is never written.  Exits 1 on any crash, sanitizer report, leak,
# timeout or out-of-memory, printing the path of the input that caused it;
# 2 when it cannot run (no clang, a failed build).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-45}
case $seconds in
  ''|*[!0-9]*|0) echo "usage: scripts/fuzz.sh [SECONDS-PER-TARGET]" >&2; exit 2 ;;
esac

cc=${CC:-clang}
if ! command -v "$cc" >/dev/null; then
  echo "fuzz.sh: $cc not found: libFuzzer needs clang (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

build=build-fuzz # ignored by git, as every build*/ folder
log=$build/fuzz-build.log
mkdir -p "$build"
# Any failure to configure or build is "could not run" (2), not a finding (1).
if ! CC=$cc cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKBENCH_FUZZ=ON -DKBENCH_CUDA=OFF \
      -DKBENCH_WERROR=ON >"$log" 2>&1 ||
   ! cmake --build "$build" --target fuzz_suite fuzz_result -j"$(nproc)" >>"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "fuzz.sh: configuring or building the fuzz targets failed (log: $log)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kbench-fuzz.XXXXXX")
# Findings are copied out of $work before it goes (see below).
trap 'rm -rf "$work"' EXIT
found="$build/findings"
mkdir -p "$found"

status=0
for target in suite result; do
  corpus="$work/$target/corpus"
  artifacts="$work/$target/artifacts/"
  mkdir -p "$corpus" "$artifacts"
  cp tests/fuzz/corpus/$target/* "$corpus/"
  if compgen -G "tests/fuzz/regressions/$target/*" >/dev/null; then
    cp tests/fuzz/regressions/$target/* "$corpus/"
  fi
  echo "fuzz.sh: fuzz_$target for ${seconds}s from $(ls "$corpus" | wc -l) stored inputs"
  # -timeout: seconds one input may take; -rss_limit_mb: the process's
  # memory ceiling (the parsers need a few MiB; ASan adds its shadow).
  set +e
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/bin/fuzz_$target" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts" \
      >"$work/$target/log" 2>&1
  rc=$?
  set -e
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$work/$target/log" | sed "s/^/  /" || true
  crashes=$(ls "$artifacts")
  if [ $rc -ne 0 ] || [ -n "$crashes" ]; then
    status=1
    mkdir -p "$found/$target"
    cp "$work/$target/log" "$found/$target/log"
    grep -E 'ERROR: |runtime error: |SUMMARY: ' "$work/$target/log" | head -n 5 | sed "s/^/  /" || true
    for f in $crashes; do
      cp "$artifacts/$f" "$found/$target/"
      echo "fuzz.sh: fuzz_$target: CRASH: input saved as $found/$target/$f"
    done
    [ -n "$crashes" ] || echo "fuzz.sh: fuzz_$target exited with $rc and saved no input; see $found/$target/log"
    echo "fuzz.sh: reproduce with: $build/bin/fuzz_$target FILE"
  fi
done
[ $status -eq 0 ] && echo "fuzz.sh: no crash in ${seconds}s per target"
exit $status
