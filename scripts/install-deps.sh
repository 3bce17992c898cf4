#!/usr/bin/env bash
# install-deps.sh - install the Debian packages kbench needs to build and
# test, skipping those already present (the machine may be fresh).
# Run as root or with sudo available.
set -euo pipefail

packages=(
  cmake              # the build
  make
  gcc
  g++                # the Google Benchmark shim, the one C++ file
  libc6-dev
  pkg-config
  libbenchmark-dev   # timing and statistics
  libjansson-dev     # result files (JSON)
  libhwloc-dev       # topology discovery and the fingerprint
  libsqlite3-dev     # the run history (history.sqlite)
  hwloc-nox          # lstopo, to draw a stored topology.xml (and for the tests)
  libbenchmark-tools # google/benchmark's tools/compare.py, for the tests
  python3-scipy      # compare.py's Mann-Whitney U test
  python3-numpy
  libopenblas-dev    # the openblas baseline plugin (plugins/openblas); optional: skipped when absent
  libopenblas-pthread-dev # ... its pthreads build (openblas_set_num_threads sizes its own pool)
  libdnnl-dev        # the onednn baseline plugin (plugins/onednn); optional: skipped when absent
  chromium           # renders kbench report pages headless (integration.report_browser); optional: skipped when absent
  clang              # scripts/fuzz.sh: libFuzzer targets (clang 14 on Debian 12)
  libclang-rt-14-dev # ... libFuzzer and the sanitizer runtimes for clang (only a Recommends of clang-14)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
  sudo=sudo
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
