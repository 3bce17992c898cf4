#!/usr/bin/env bash
# no_gpu.sh - run the rest of the line only on a machine without an NVIDIA
# GPU; elsewhere exit 77, which ctest reports as skipped (these tests assert
# what kbench does when there is no GPU, the situation of every CI run here).
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    echo "skipped: this machine has an NVIDIA GPU"
    exit 77
fi
exec "$@"
