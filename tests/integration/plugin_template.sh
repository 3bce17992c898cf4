#!/usr/bin/env bash
# plugin_template.sh CMAKE BUILD_DIR SOURCE_DIR - the plugin author's path:
# install kbench into a temporary prefix, build examples/plugin-template
# against that install (find_package, then the pkg-config one-liner), and
# check that the installed kbench lists, verifies and times the result.
set -eu
cmake=$1; build=$2; src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
fail() { echo "plugin_template: $*"; exit 1; }

"$cmake" --install "$build" --prefix "$prefix" >/dev/null
# Found wherever CMAKE_INSTALL_LIBDIR put them (lib, lib64, lib/<multiarch>).
config=$(find "$prefix" -path "*/cmake/kbench/kbenchConfig.cmake")
[ -f "$config" ] || fail "no kbenchConfig.cmake installed"
test -f "$(dirname "$config")/kbenchConfigVersion.cmake" || fail "no kbenchConfigVersion.cmake installed"
pc_file=$(find "$prefix" -path "*/pkgconfig/kbench.pc")
[ -f "$pc_file" ] || fail "no kbench.pc installed"
pcdir=$(dirname "$pc_file")
kbench=$prefix/bin/kbench
unset KBENCH_PLUGIN_PATH

# 1. CMake: an out-of-tree build that knows nothing but the install prefix.
"$cmake" -S "$src/examples/plugin-template" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="-Werror" >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; fail "configure against $config failed"; }
"$cmake" --build "$tmp/cm" >>"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; fail "build failed"; }
so=$tmp/cm/libmyplugin.so
test -f "$so" || fail "the CMake build made no libmyplugin.so"
# Hidden visibility: kbench_plugin is the only function exported.
exported=$(nm -D --defined-only "$so" | awk '$2 == "T" {print $3}')
[ "$exported" = kbench_plugin ] || fail "libmyplugin.so exports '$exported', expected only kbench_plugin"
# KBENCH_PLUGIN_DIR is the installed plugin folder.
grep -q "MYPLUGIN_INSTALL_DIR:PATH=$prefix/lib.*/kbench/plugins\$" "$tmp/cm/CMakeCache.txt" \
  || fail "KBENCH_PLUGIN_DIR does not point into $prefix: $(grep MYPLUGIN_INSTALL_DIR "$tmp/cm/CMakeCache.txt")"

# 2. pkg-config: the one-liner from the README.
pc() { PKG_CONFIG_PATH=$pcdir pkg-config "$@"; }
[ "$(pc --variable=pluginsdir kbench)" -ef "$(dirname "$config")/../../kbench/plugins" ] \
  || fail "pluginsdir '$(pc --variable=pluginsdir kbench)' is not the installed plugin folder"
mkdir "$tmp/pc"
cc -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC -fvisibility=hidden $(pc --cflags kbench) \
  "$src/examples/plugin-template/myplugin.c" -o "$tmp/pc/libmyplugin.so" -lm || fail "the pkg-config build failed"

# 3. The installed kbench on both builds.
expect() { # expect CODE PATTERN... -- CMD...: exit code and every pattern (ERE) in the output
  local code=$1; shift; local pats=()
  while [ "$1" != -- ]; do pats+=("$1"); shift; done; shift
  local out rc=0
  out=$("$@" 2>&1) || rc=$?
  [ "$rc" = "$code" ] || { echo "$out"; fail "'$*' exited $rc, expected $code"; }
  for p in "${pats[@]}"; do grep -Eq -- "$p" <<<"$out" || { echo "$out"; fail "'$*': no line matching '$p'"; }; done
  return 0
}
for lib in "$so" "$tmp/pc/libmyplugin.so"; do
  expect 0 "^myplugin 0\.1\.0 +backend host +available .*libmyplugin\.so" "^    softmax +plain +f32" \
    -- "$kbench" list --plugin "$lib"
  expect 0 "^PASS  myplugin\.plain +softmax +rows=7,cols=129,dtype=f32" \
    "^PASS  myplugin\.plain +softmax +rows=9,cols=33,dtype=f32,scale=1,log" \
    "^SKIP  myplugin\.plain +softmax .*dtype=f16.*only f32 is implemented" \
    "^verify: 3 passed, 0 failed, 2 skipped" \
    -- "$kbench" verify --plugin "$lib" --suite smoke
done
expect 0 "^softmax +myplugin\.plain +rows=7,cols=129,dtype=f32,scale=0\.5/.* [0-9.]+x +err" \
  "^run: [0-9]+ timed, 0 failed" \
  -- "$kbench" run --plugin "$so" --plugin ref --suite smoke --op softmax --baseline ref.exact \
     --repetitions 2 --min-time 0.001 --warmup 0

# 4. check-plugin passes the template.
expect 0 "^PASS  load " "^PASS  verify " "^check-plugin: 7 passed, 0 failed" -- "$kbench" check-plugin "$so"

# 5. cmake --install of the plugin puts it where kbench looks with no flag.
"$cmake" --install "$tmp/cm" >/dev/null
expect 0 "^myplugin 0\.1\.0 +backend host +available .*$prefix/lib.*/kbench/plugins/libmyplugin\.so" \
  -- "$kbench" list
echo "plugin template ok"
