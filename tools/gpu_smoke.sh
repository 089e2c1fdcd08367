#!/usr/bin/env bash
# GPU smoke test: every preset end to end on CUDA with tiny local models and data (bf16 autocast, LoRA on a
# bf16 base, gradient checkpointing, no hub), then a 2-process NCCL run (torchrun) when 2 GPUs exist.
# Prints each stage's peak GPU memory and tokens/s, and each run's wall time. Under 5 minutes on one GPU.
#
#   tools/gpu_smoke.sh                      # on a GPU machine
#   tools/gpu_smoke.sh --cpu                # the same runs on the CPU (the CPU end-to-end tests run this)
#   tools/gpu_smoke.sh [--cpu] --only burns2023:qwen25 --work DIR    # one preset; keep DIR (runs, caches)
#
# The runs and their overrides are defined once, in tools/smoke.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
device=cuda
if [[ "${1:-}" == "--cpu" ]]; then
  device=cpu
  shift
fi
work=""
args=()
while (( $# )); do
  case "$1" in
    --work) work=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [[ -z "$work" ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/w2s-gpu-smoke.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
if [[ "$device" == cuda ]]; then
  "$PY" -c 'import torch; print("GPU:", torch.cuda.get_device_name(0), "| torch", torch.__version__, "| CUDA", torch.version.cuda)'
fi
"$PY" tools/smoke.py --device "$device" --work "$work" ${args[@]+"${args[@]}"}
if [[ "$device" == cuda ]]; then
  ngpu=$("$PY" -c 'import torch; print(torch.cuda.device_count())')
  if (( ngpu >= 2 )); then
    "$PY" tools/smoke.py --device cuda --work "$work" --nproc 2 --only burns2023:gpt2 --only burns2023:qwen25
  else
    echo "one GPU: the 2-process NCCL run is skipped (it needs 2 GPUs)"
  fi
fi
