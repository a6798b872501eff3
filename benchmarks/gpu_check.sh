#!/usr/bin/env bash
# GPU check: on a machine with an NVIDIA GPU, verify that the CUDA provider really initialises,
# train the seed CNN and a ResNet-style model on it, compare the loss curves with the CPU run and
# print throughput next to PyTorch CUDA. Run from the repository root:
#   bash benchmarks/gpu_check.sh [WHEEL_OR_PARTS_DIR]
# If onnxruntime here has no CUDA provider, pass an onnxruntime-gpu wheel (or a folder of
# `split` parts of one, joined in name order) and it is installed into a private folder first.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
wheel_src=${1:-}
if [ -n "$wheel_src" ]; then
  site=${KGRAPH_GPU_SITE:-/tmp/kgraph-ortgpu}
  if [ ! -d "$site/onnxruntime" ]; then
    wheel=$wheel_src
    if [ -d "$wheel_src" ]; then
      wheel=/tmp/onnxruntime_gpu-joined-cp312-cp312-manylinux_2_28_x86_64.whl
      cat $(ls "$wheel_src"/* | sort) > "$wheel"
    fi
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target "$site" "$wheel"
  fi
  export PYTHONPATH="$site:${PYTHONPATH:-}"
fi
export PYTHONPATH="$here:${PYTHONPATH:-}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
PYTHONUNBUFFERED=1 python3 "$here/benchmarks/gpu_check.py"
