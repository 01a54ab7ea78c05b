#!/bin/bash
# nasc (wgpu) and PyTorch (CUDA) side by side on a GPU machine without a Rust toolchain, one
# JSON line per run in $OUT/runs.jsonl (and nasc's phase log on stderr in $OUT/*.log).
# Run from the repository root with stripped release binaries compressed as devbin/nasc*.xz
# (e.g. devbin/nasc-wgpu.xz from `--features wgpu`, devbin/nasc-vulkan.xz from
# `--features vulkan`) and the Vulkan loader packages in .gl/ (see the device tool's README):
#   OUT=/tmp/out NASC_TIMEOUT=240 bash benches/gpu.sh [SPEC:BATCH:STEPS ...]
# Default runs: randwire_ws_fmnist (batch 128, 20 steps) and randwire_ws (batch 64, 10 steps),
# the two that printed nothing on an H200 before nasc reported its phases (issue 10).
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done; ldconfig 2>/dev/null
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
bins=()
for x in devbin/nasc*.xz; do b=${x%.xz}; [ -x "$b" ] || xz -dk "$x"; chmod +x "$b"; bins+=("$b"); done
runs=("$@"); [ ${#runs[@]} -gt 0 ] || runs=(randwire_ws_fmnist:128:20 randwire_ws:64:10)
for r in "${runs[@]}"; do
  IFS=: read -r spec batch steps <<< "$r"
  "${bins[0]}" build "specs/$spec.nas" --emit json -o "/tmp/$spec.json"
  timeout 120 python3 benches/pytorch_reference.py "/tmp/$spec.json" --device cuda --batch-size "$batch" --steps "$steps" 2>>"$OUT/torch.log" | tail -1 | sed 's/^{/{"run":"pytorch",/' | tee -a "$OUT/runs.jsonl"
  for B in "${bins[@]}"; do
    name=${B##*/}
    # nasc prints the adapter it found and each phase as it happens: a stall shows where.
    timeout "${NASC_TIMEOUT:-240}" "$B" bench "specs/$spec.nas" --backend wgpu --batch-size "$batch" --steps "$steps" --format json 2>"$OUT/$name-$spec.log" | tail -1 | sed "s/^{/{\"run\":\"$name\",/" | tee -a "$OUT/runs.jsonl"
    echo "$name exit ${PIPESTATUS[0]}; its phases:"; cat "$OUT/$name-$spec.log"
  done
done
echo done
