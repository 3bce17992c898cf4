#!/usr/bin/env bash
# regression.sh KBENCH SLOW_PLUGIN SUITE OUTDIR [RUN OPTIONS...] - planted
# regressions, end to end: runs of the `slow` test plugin with its knob set
# (and RUN OPTIONS, e.g. --rounds 9), compared with `kbench compare` against
# a baseline run.
#   30% slower      -> flagged slower, exit 1
#    2% slower      -> under the default 5% threshold: not flagged, exit 0
#   stops verifying -> flagged failed whatever its speed, exit 1
set -u
kb=$1; slow=$2; suite=$3; out=$4
shift 4
extra=("$@")
mkdir -p "$out"
run() { # PERCENT FAIL FILE
  KB_SLOW_PERCENT=$1 KB_SLOW_FAIL=$2 "$kb" run --suite "$suite" --plugin "$slow" --threads 1 \
    --repetitions 9 --min-time 0.02 --warmup 0.01 "${extra[@]}" --json "$3" >/dev/null 2>&1
}
fail() { echo "FAILED: $*"; exit 1; }

run 0 0 "$out/base.json" || fail "the baseline run failed"
run 30 0 "$out/slow30.json" || fail "the 30% run failed"
run 2 0 "$out/slow2.json" || fail "the 2% run failed"
run 0 1 "$out/broken.json" && fail "a run whose kernel fails verification exited 0"

o=$("$kb" compare "$out/base.json" "$out/slow30.json"); rc=$?
[ $rc -eq 1 ] || fail "30% slower: exit $rc, expected 1"$'\n'"$o"
grep -Eq "^compare: 2 matched: 2 slower" <<<"$o" || fail "30% slower not flagged on both cases"$'\n'"$o"

o=$("$kb" compare "$out/base.json" "$out/slow2.json"); rc=$?
[ $rc -eq 0 ] || fail "2% slower: exit $rc, expected 0"$'\n'"$o"
grep -Eq "^compare: 2 matched: 0 slower" <<<"$o" || fail "2% slower was flagged"$'\n'"$o"

o=$("$kb" compare "$out/base.json" "$out/broken.json"); rc=$?
[ $rc -eq 1 ] || fail "stopped verifying: exit $rc, expected 1"$'\n'"$o"
grep -Eq "^compare: .* 2 failed" <<<"$o" || fail "verification regression not flagged"$'\n'"$o"
echo "planted regressions: 30% flagged, 2% not, verification failure flagged"
