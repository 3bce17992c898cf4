#!/usr/bin/env bash
# expect.sh - run a command and check its exit code and output.
#
#   expect.sh CODE [--has REGEX]... [--lacks REGEX]... -- COMMAND ARGS...
#
# Output (stdout and stderr together) must match every --has extended regex
# and none of the --lacks ones.  On a mismatch the output is shown.
set -u
want=$1; shift
has=(); lacks=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
    --has) has+=("$2"); shift 2 ;;
    --lacks) lacks+=("$2"); shift 2 ;;
    *) echo "expect.sh: bad argument $1" >&2; exit 2 ;;
  esac
done
shift
out=$("$@" 2>&1); got=$?
ok=1
if [ "$got" != "$want" ]; then echo "FAILED: exit code $got, expected $want"; ok=0; fi
for re in "${has[@]+"${has[@]}"}"; do
  grep -Eq -- "$re" <<<"$out" || { echo "FAILED: output lacks /$re/"; ok=0; }
done
for re in "${lacks[@]+"${lacks[@]}"}"; do
  grep -Eq -- "$re" <<<"$out" && { echo "FAILED: output has /$re/"; ok=0; }
done
if [ $ok = 0 ]; then
  echo "command: $*"
  echo "----- output -----"
  printf '%s\n' "$out" | head -n 200
  exit 1
fi
exit 0
