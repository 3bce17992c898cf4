#!/usr/bin/env bash
# faults.sh KBENCH TEST_PLUGIN_DIR WHAT - kbench survives misbehaving plugins
# and signals (docs/robustness.md).  WHAT:
#   run      every run-time fault plugin beside cpu: each fault named, the
#            run completes, every cpu result present and timed, exit 1
#   verify   the same through `kbench verify`
#   load     plugins that crash in kbench_plugin() or init(): one line each,
#            the other plugins run, exit 0
#   sigint   SIGINT mid-run: exit 130, the JSON valid, marked incomplete,
#            every benchmark in it finished
#   sigkill  SIGKILL mid-run: the JSON valid (as last streamed), no worker
#            left behind
#   twice    a second SIGINT stops a hung kernel at once: exit 130
#   noisolate --no-isolate runs in-process: the cpu plugin passes, and a
#            crashing plugin takes kbench down (that is what it is for)
set -u
kb=$1; tp=$2; what=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/out" ] && { echo "--- output:"; cat "$tmp/out"; }; exit 1; }
has() { grep -Eq -- "$1" "$tmp/out" || fail "output lacks /$1/"; }

faults="segv abort exit hang oom oob late"
plugins=cpu
for f in $faults; do plugins="$plugins,$tp/kb_fault_$f.so"; done
common=(--suite smoke --op softmax --kernel 'cpu.twopass,fault_*' --timeout 2)

# The JSON: valid; incomplete as expected; every cpu benchmark timed.
check_json() { # FILE INCOMPLETE(true|false) MIN_CPU
  /usr/bin/python3 - "$@" <<'PY' || fail "result file check"
import json, sys
path, incomplete, min_cpu = sys.argv[1], sys.argv[2] == "true", int(sys.argv[3])
d = json.load(open(path))
ctx = d["context"]
assert ctx["kbench_incomplete"] is incomplete, f"kbench_incomplete is {ctx['kbench_incomplete']}"
cpu = [b for b in d["benchmarks"] if "/cpu." in b["name"]]
names = {b["run_name"] for b in cpu}
assert len(names) >= min_cpu, f"{len(names)} cpu benchmarks, expected >= {min_cpu}"
for b in cpu:
    assert b["kbench"]["verification"]["status"] == "PASS", b["name"]
    assert not b.get("error_occurred"), b["name"]
print(f"{path}: {len(names)} cpu benchmarks, incomplete={incomplete}")
PY
}

case $what in
run)
  "$kb" run "${common[@]}" --plugin "$plugins" --memory-limit 0.5 --repetitions 2 --min-time 0.005 --warmup 0 \
    --json "$tmp/r.json" >"$tmp/out" 2>&1
  rc=$?
  [ $rc -eq 1 ] || fail "exit code $rc, expected 1"
  case=' softmax rows=7,cols=129,dtype=f32,scale=0.5 threads=[0-9]+,bind=compact  '
  has "^FAIL  fault_segv\.k $case"'random#1: worker crashed: SIGSEGV \(Segmentation fault\), invalid access at 0x0 \(a NULL pointer\)$'
  has "^FAIL  fault_abort\.k $case"'random#1: worker crashed: SIGABRT'
  has "^FAIL  fault_exit\.k $case"'random#1: worker exited with status 3'
  has "^FAIL  fault_hang\.k $case"'random#1: timed out after 2 s \(--timeout\); worker killed$'
  has "^FAIL  fault_oom\.k $case"'random#1: worker crashed: SIGSEGV .*of its 512 MiB --memory-limit: out of memory$'
  has "^FAIL  fault_oob\.k $case"'random#1: worker crashed: SIGSEGV .*: 16384 bytes past the end of tensor y$'
  has "^FAIL  fault_late\.k $case"'timing: worker crashed: SIGSEGV'
  # The smoke suite has 5 f32 softmax cases: cpu.twopass is timed on each.
  has '^run: 5 timed, [1-9][0-9]* failed, '
  check_json "$tmp/r.json" false 5
  ;;
verify)
  "$kb" verify "${common[@]}" --plugin "$plugins" --memory-limit 0.5 >"$tmp/out" 2>&1
  rc=$?
  [ $rc -eq 1 ] || fail "exit code $rc, expected 1"
  for f in segv abort exit hang oom oob; do has "^FAIL  fault_$f\.k .*random#1: (worker|timed out)"; done
  has '^PASS  fault_late\.k '   # right 12 times: only timing catches it
  has '^PASS  cpu\.twopass .*rows=9,cols=33'
  has '^verify: [0-9]+ passed, [1-9][0-9]* failed, '
  [ "$(grep -c '^PASS  cpu\.twopass ' "$tmp/out")" -eq 5 ] || fail "not every cpu.twopass case passed"
  ;;
load)
  mkdir "$tmp/plugins"
  cp "$tp/kb_fault_entry.so" "$tp/kb_fault_init.so" "$tmp/plugins/"
  # Built for another machine (e_machine = aarch64), and 32-bit (EI_CLASS).
  cp "$tp/kb_fault_segv.so" "$tmp/plugins/kb_arch.so"
  printf '\267' | dd of="$tmp/plugins/kb_arch.so" bs=1 seek=18 conv=notrunc 2>/dev/null
  cp "$tp/kb_fault_segv.so" "$tmp/plugins/kb_class.so"
  printf '\001' | dd of="$tmp/plugins/kb_class.so" bs=1 seek=4 conv=notrunc 2>/dev/null
  KBENCH_PLUGIN_PATH=$tmp/plugins "$kb" list >"$tmp/out" 2>&1 || fail "list failed"
  [ "$(uname -m)" != x86_64 ] || has "kb_arch\.so: cannot load: built for another machine \(ELF e_machine 183\); this kbench runs on x86-64$"
  has "kb_class\.so: cannot load: a 32-bit ELF file; kbench is 64-bit$"
  has "kb_fault_entry\.so: crashed while loading: worker crashed: SIGSEGV .*NULL pointer"
  has "kb_fault_init\.so: crashed while loading: worker crashed: SIGSEGV"
  has "^cpu .* available"
  KBENCH_PLUGIN_PATH=$tmp/plugins "$kb" verify --suite smoke --op softmax --plugin cpu >"$tmp/out" 2>&1
  rc=$?
  [ $rc -eq 0 ] || fail "verify exit code $rc, expected 0"
  has "^kbench: warning: .*kb_fault_entry\.so: crashed while loading"
  has "^verify: [1-9][0-9]* passed, 0 failed"
  ;;
sigint|sigkill)
  # Long enough to be interrupted after the first cases are streamed.
  "$kb" run --suite smoke --plugin cpu --repetitions 5 --min-time 0.05 --json "$tmp/s.json" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do [ -s "$tmp/s.json" ] && break; sleep 0.1; done
  [ -s "$tmp/s.json" ] || { kill -9 $pid; fail "no streamed result file after 30 s"; }
  sleep 1
  if [ "$what" = sigint ]; then
    kill -INT $pid
    wait $pid
    rc=$?
    [ $rc -eq 130 ] || fail "exit code $rc after SIGINT, expected 130"
    has '^run: stopped by SIGINT: the results hold the [0-9]+ finished benchmarks and are marked incomplete$'
    check_json "$tmp/s.json" true 1
    grep -q '"kbench_stopped_by": "SIGINT"' "$tmp/s.json" || fail "kbench_stopped_by missing"
  else
    kill -KILL $pid
    wait $pid 2>/dev/null
    sleep 0.5
    check_json "$tmp/s.json" true 1
    if pgrep -f -- "--json $tmp/s.json" >/dev/null; then fail "workers outlived a SIGKILLed kbench"; fi
  fi
  ;;
twice)
  "$kb" verify --suite smoke --op softmax --plugin "$tp/kb_fault_hang.so" --timeout 120 >"$tmp/out" 2>&1 &
  pid=$!
  sleep 2
  kill -INT $pid; sleep 0.5; kill -INT $pid
  t0=$(date +%s)
  wait $pid
  rc=$?
  [ $rc -eq 130 ] || fail "exit code $rc, expected 130"
  [ $(( $(date +%s) - t0 )) -lt 10 ] || fail "the second SIGINT did not stop the hung kernel at once"
  has "^FAIL  fault_hang\.k .*interrupted; worker killed"
  has "^verify: interrupted by SIGINT"
  ;;
noisolate)
  "$kb" verify --suite smoke --op softmax --plugin cpu --no-isolate >"$tmp/out" 2>&1 || fail "cpu in-process"
  has "^verify: [1-9][0-9]* passed, 0 failed"
  "$kb" verify --suite smoke --op softmax --plugin "$tp/kb_fault_segv.so" --no-isolate >"$tmp/out" 2>&1
  rc=$?
  # Killed by the signal (or, under AddressSanitizer, its report and exit).
  [ $rc -ne 0 ] && ! grep -q "^verify: " "$tmp/out" || fail "exit code $rc: an in-process crash should end kbench"
  ;;
*) fail "unknown test $what" ;;
esac
echo "faults $what: ok"
