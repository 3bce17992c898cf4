#!/usr/bin/env bash
# aa-false-positive.sh [BUILD_DIR] [N] [RUN OPTIONS...] - the A/A
# false-positive rate of `kbench compare` (a benchmark, not a test): N+1 runs
# of the same build on the smoke suite (cpu plugin; 9 repetitions of at least
# 0.05 s, plus RUN OPTIONS such as --rounds 3), then N comparisons of
# consecutive runs with the default rules.  An A/A comparison with any
# benchmark called slower or faster is a false positive.  docs/ci.md quotes
# the result.
set -eu
build=${1:-build}; n=${2:-20}
shift $(( $# < 2 ? $# : 2 ))
kb="$build/bin/kbench"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for i in $(seq 0 "$n"); do
  "$kb" run --suite smoke --plugin cpu --repetitions 9 --min-time 0.05 "$@" --json "$out/$i.json" >/dev/null 2>&1
done
fp=0; benchmarks=0; flagged=0
keep=${KB_AA_KEEP:-}  # a folder: keep the result files there for a closer look
for i in $(seq 1 "$n"); do
  line=$("$kb" compare "$out/$((i - 1)).json" "$out/$i.json" | grep '^compare: ' || true)
  s=$(sed -E 's/.* ([0-9]+) slower.*/\1/' <<<"$line"); f=$(sed -E 's/.* ([0-9]+) faster.*/\1/' <<<"$line")
  m=$(sed -E 's/^compare: ([0-9]+) matched.*/\1/' <<<"$line")
  benchmarks=$((benchmarks + m)); flagged=$((flagged + s + f))
  [ $((s + f)) -gt 0 ] && fp=$((fp + 1))
  echo "A/A $i: $line"
done
[ -n "$keep" ] && mkdir -p "$keep" && cp "$out"/*.json "$keep"/
echo "A/A comparisons with a false positive: $fp of $n; benchmarks flagged: $flagged of $benchmarks"
