#!/usr/bin/env bash
# install_test.sh CMAKE BUILD_DIR - `cmake --install` into a temporary prefix,
# then check that the installed kbench finds the installed plugins with no
# flag and that a plugin compiles against the installed headers alone.
set -eu
cmake=$1; build=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
test -x "$prefix/bin/kbench"
ls "$prefix"/lib*/kbench/plugins/kb_ref.so "$prefix"/lib*/kbench/plugins/kb_cpu.so >/dev/null
test -f "$prefix/include/kbench/kbench.h"
out=$(env -u KBENCH_PLUGIN_PATH "$prefix/bin/kbench" list)
grep -q "^ref .* available .*$prefix" <<<"$out" || { echo "installed kbench did not find its ref plugin:"; echo "$out"; exit 1; }
grep -q "^cpu .* available .*$prefix" <<<"$out" || { echo "installed kbench did not find its cpu plugin:"; echo "$out"; exit 1; }
cat >"$prefix/p.c" <<'C'
#include <kbench/kbench.h>
static const kb_plugin plugin = {KB_ABI_VERSION, sizeof(kb_plugin), "p", "1", KB_BACKEND_HOST, NULL,
                                 NULL, NULL, {0}, 0, NULL};
KB_PLUGIN_ENTRY { return &plugin; }
C
cc -std=c11 -Wall -Wextra -Werror -fPIC -shared -I"$prefix/include" "$prefix/p.c" -o "$prefix/p.so"
echo "install ok: $prefix"
