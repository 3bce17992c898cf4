#!/usr/bin/env bash
# scripts/gpu-bundle.sh DIR - build kbench with the CUDA plugins here and put
# a self-contained copy in DIR, for a GPU machine that has the CUDA driver but
# not kbench's build dependencies (jansson, SQLite, Google Benchmark, hwloc):
#
#   DIR/prefix/bin/kbench, DIR/prefix/lib/kbench/plugins/*.so   (cmake --install)
#   DIR/lib/*.so*    the shared libraries kbench needs that a CUDA image may lack
#
# There:  LD_LIBRARY_PATH=DIR/lib:/usr/local/cuda/lib64 \
#             scripts/gpu-check.sh --kbench DIR/prefix/bin/kbench OUTDIR
# Built for sm_80 and sm_90 (CMAKE_CUDA_ARCHITECTURES overrides).
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: scripts/gpu-bundle.sh DIR" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd)
build="$dir/build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    ${CMAKE_CUDA_ARCHITECTURES:+-DCMAKE_CUDA_ARCHITECTURES="$CMAKE_CUDA_ARCHITECTURES"} >/dev/null
cmake --build "$build" -j"$(nproc)"
cmake --install "$build" --prefix "$dir/prefix" >/dev/null
[ -f "$dir/prefix/lib/kbench/plugins/kb_cuda.so" ] || { echo "gpu-bundle: the cuda plugin was not built (no nvcc?)" >&2; exit 1; }
mkdir -p "$dir/lib"
# Every library kbench links that is not part of glibc or the compiler runtime.
ldd "$dir/prefix/bin/kbench" | awk '/=> \// {print $3}' |
    grep -Ev '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L "$lib" "$dir/lib/"; done
rm -rf "$build"
echo "gpu-bundle: $dir (kbench, plugins, $(ls "$dir/lib" | wc -l) libraries)"
