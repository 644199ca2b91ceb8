#!/usr/bin/env bash
# On a machine with an NVIDIA GPU (CUDA 12 and cuDNN 9 installed), from the repository root after
# `npm ci`:   bash bench/gpu-check.sh
# 1. fetches ONNX Runtime's CUDA provider if it is missing (the project's .npmrc skips that download);
# 2. checks each execution provider (cuda, webgpu, cpu) on a small ADM UNet and the classifier's
#    gradient graph, against the CPU provider;
# 3. runs the ImageNet rows of the benchmark on CUDA (random weights), writing
#    bench/results/gpu-DATE.json;
# 4. draws one classifier-guided 256x256 sample on CUDA (random weights, or the released checkpoints
#    when GUIDED_DIFFUSION_MODELS points at a folder with 256x256_diffusion.pt and
#    256x256_classifier.pt), printing seconds per guided step.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== GPU"
if ! nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; then
  echo "nvidia-smi failed: this script needs an NVIDIA GPU and its driver" >&2
  exit 1
fi
for lib in libcudart.so.12 libcublas.so.12 libcudnn.so.9; do
  if ldconfig -p | grep -q "$lib"; then echo "found $lib"; else echo "warning: $lib is not on the loader path (ldconfig -p); the CUDA provider needs CUDA 12 and cuDNN 9 (set LD_LIBRARY_PATH)" >&2; fi
done

echo "== ONNX Runtime's CUDA provider"
BIN=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
if [ ! -f "$BIN/libonnxruntime_providers_cuda.so" ]; then
  echo "not installed: fetching it from NuGet (onnxruntime-node's install script)"
  ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node
fi
ls -l "$BIN"

echo "== execution providers (a small UNet and the classifier gradient, against cpu)"
# a provider that fails is reported with its error; the check goes on
node scripts/run-ts.js bench/providers.ts cuda webgpu cpu || true

echo "== ImageNet rows of the benchmark on CUDA"
npm run bench -- --rows imagenet64-forward,imagenet64-guided,imagenet256-forward,imagenet256-guided \
  --executors onnx --providers cuda,cpu --out "bench/results/gpu-$(date +%F).json"

echo "== one classifier-guided 256x256 sample on CUDA"
MODELS=()
if [ -n "${GUIDED_DIFFUSION_MODELS:-}" ]; then
  MODELS=(--model "$GUIDED_DIFFUSION_MODELS/256x256_diffusion.pt" --classifier "$GUIDED_DIFFUSION_MODELS/256x256_classifier.pt")
fi
node scripts/run-ts.js bench/guided-256.ts --providers cuda,cpu --steps 25 --scale 10 ${MODELS[@]+"${MODELS[@]}"} --out bench/results/guided-256-cuda.png
