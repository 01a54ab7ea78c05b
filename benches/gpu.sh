#!/bin/bash
# Every GPU measurement of issue 24 as one script that fits a short GPU lease: nasc (each
# binary in devbin/, e.g. wgpu, cuda through LLVM, cuda through NVRTC) against PyTorch eager on
# the same machine, spec by spec, with a total time budget. For each nasc binary and spec it
# runs `nasc bench` twice with the same, initially empty kernel cache: the first process starts
# cold (compiles and autotunes every kernel), the second warm (cubecl's persistent cache), and
# each JSON line carries `first_step_s` next to the throughput.
#
#   OUT=/tmp/out BUDGET=600 bash benches/gpu.sh [SPEC:BATCH:STEPS ...]
#
# SPEC is a name under specs/ (randwire_ws_fmnist) or a path (examples/plain_cnn.nas). A
# binary's name picks its backend: *cuda* -> cuda, *flex* -> flex, else wgpu; a dry run of the
# script on a CPU machine: devbin/nasc-flex.xz, TORCH_DEVICE=cpu and a stub nvidia-smi.
#
# Run from the repository root on the GPU machine, with stripped release binaries compressed
# as devbin/nasc-<name>.xz (scripts/cuda-toolchain.sh builds `--features cuda` and
# `--features cuda-cpp`; `cargo build --release --features wgpu` the wgpu one) and, for wgpu,
# the Vulkan loader packages in .gl/ (the device tool's README). CUDA needs libdevice (LLVM
# compiler; `$CUDA_PATH`, else the `nvidia-cuda-nvcc` wheel if Python has it, else .cuda/) or
# NVRTC (cuda-cpp; the `nvidia-cuda-nvrtc` wheel PyTorch's CUDA build depends on).
#
# Output: phases on stdout as they happen (`gpu.sh [Ns] ...`), one JSON line per run in
# $OUT/runs.jsonl (`run`: pytorch or the binary's name, `start`: cold/warm, `spec`), each nasc
# run's stderr in $OUT/<name>-<spec>-<start>.log. A run the budget cannot fit is written as
# {"skipped": "budget"} rather than started.
set -u -o pipefail
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"; touch "$OUT/runs.jsonl"
BUDGET=${BUDGET:-600}
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
left() { echo $(( BUDGET - $(elapsed) )); }
phase() { echo "gpu.sh [$(elapsed)s] $*"; }
# The timeout for one run: its cap, or what is left of the budget less 5 s, whichever is less.
limit() { local l; l=$(( $(left) - 5 )); [ "$l" -lt "$1" ] && echo "$l" || echo "$1"; }
emit() { echo "$1" | tee -a "$OUT/runs.jsonl"; }

phase "setting up"
for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done; ldconfig 2>/dev/null
export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json}
export PYTHONUNBUFFERED=1
pydir() { python3 -c "import importlib, os; m = importlib.import_module('$1'); print(os.path.dirname(m.__file__) if m.__file__ else list(m.__path__)[0])" 2>/dev/null; }
if [ -z "${CUDA_PATH:-}" ]; then
  for d in "$(pydir nvidia.cuda_nvcc)" "$(pydir nvidia.cu13)" .cuda; do
    if [ -n "$d" ] && [ -f "$d/nvvm/libdevice/libdevice.10.bc" ]; then export CUDA_PATH=$d; break; fi
  done
fi
for d in "$(pydir nvidia.cuda_nvrtc)/lib" "$(pydir nvidia.cu13)/lib" .cuda/lib; do
  ls "$d"/libnvrtc.so* >/dev/null 2>&1 && export LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"
done
phase "CUDA_PATH=${CUDA_PATH:-none} LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
bins=()
for x in devbin/nasc*.xz; do
  [ -e "$x" ] || continue
  b=${x%.xz}; [ -x "$b" ] || xz -dk "$x"; chmod +x "$b"; bins+=("$b")
done
[ ${#bins[@]} -gt 0 ] || { phase "no devbin/nasc*.xz"; exit 1; }
phase "binaries: ${bins[*]}"

runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=(randwire_ws_fmnist:128:10 regnetx_400mf:64:10 randwire_ws:64:5 darts_v2_cifar:96:5)
for r in "${runs[@]}"; do
  IFS=: read -r spec batch steps <<< "$r"
  # SPEC is a name under specs/ or a path to a .nas file.
  file="specs/$spec.nas"; [ -f "$spec" ] && { file=$spec; spec=$(basename "$spec" .nas); }
  tag="\"spec\":\"$spec\",\"batch\":$batch"
  "${bins[0]}" build "$file" --emit pytorch -o "/tmp/$spec.py" || continue
  if [ "$(left)" -lt 40 ]; then emit "{\"run\":\"pytorch\",$tag,\"skipped\":\"budget\"}"; else
    phase "$spec: PyTorch eager (batch $batch, $steps steps)"
    line=$(timeout "$(limit 120)" python3 benches/pytorch_reference.py "/tmp/$spec.py" --device "${TORCH_DEVICE:-cuda}" \
      --batch-size "$batch" --steps "$steps" 2>>"$OUT/torch.log" | tail -1)
    case $line in
      \{*) emit "{\"run\":\"pytorch\",$tag,${line#\{}" ;;
      *) emit "{\"run\":\"pytorch\",$tag,\"failed\":true}" ;;
    esac
  fi
  for B in "${bins[@]}"; do
    name=${B##*/}; cache="$OUT/cache-$name-$spec"; rm -rf "$cache"
    for s in cold warm; do
      if [ "$(left)" -lt 40 ]; then emit "{\"run\":\"$name\",\"start\":\"$s\",$tag,\"skipped\":\"budget\"}"; continue; fi
      phase "$spec: $name, $s start (batch $batch, $steps steps)"
      log="$OUT/$name-$spec-$s.log"
      # nasc prints each phase on stderr as it happens: a stall shows where.
      line=$(NASC_KERNEL_CACHE="$cache" timeout "$(limit 240)" "$B" bench "$file" \
        --backend "$(case $name in *cuda*) echo cuda;; *flex*) echo flex;; *) echo wgpu;; esac)" \
        --batch-size "$batch" --steps "$steps" --format json 2>"$log" | tail -1)
      rc=$?
      sed 's/^/    /' "$log"
      case $line in
        \{*) emit "{\"run\":\"$name\",\"start\":\"$s\",$tag,${line#\{}" ;;
        *) emit "{\"run\":\"$name\",\"start\":\"$s\",$tag,\"failed\":$rc}" ;;
      esac
    done
  done
done
phase "done; summary (img/s, first step s):"
python3 - "$OUT/runs.jsonl" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    try: r = json.loads(l)
    except ValueError: continue
    ips = r.get("train_images_per_sec")
    first = r.get("first_step_s")
    note = r.get("skipped", "") or ("failed " + str(r["failed"]) if "failed" in r else "")
    print(f'{r.get("spec", ""):<20} {r.get("run", ""):<16} {r.get("start", ""):<5} '
          f'img/s {"-" if ips is None else f"{ips:.1f}":>9}  '
          f'first step {"-" if first is None else f"{first:.2f} s":>9}  {note}')
EOF
