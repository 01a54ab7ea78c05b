#!/bin/bash
# Run on a GPU machine from the repository root, with a stripped `--features wgpu` release
# binary compressed as devbin/nasc.xz and the Vulkan loader packages in .gl/ (see the device
# tool's README). Figures: BENCHMARKS.md, "Language v2".
# GPU check for language v2: nasc (wgpu on Vulkan) vs PyTorch CUDA on the new specs, and an
# independent PyTorch DARTS model's parameter count.
for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee $OUT/gpu.txt
xz -dk devbin/nasc.xz; B=./devbin/nasc
chmod +x $B
timeout 120 python3 benches/darts_reference.py --device cuda --batch-size 64 --steps 20 2>&1 | tee $OUT/darts_ref.jsonl
run() { # spec batch steps
  $B build specs/$1.nas --emit pytorch -o /tmp/$1.py
  timeout 90 python3 benches/pytorch_reference.py /tmp/$1.py --device cuda --batch-size $2 --steps $3 2>&1 | tail -1 | tee -a $OUT/torch.jsonl
  timeout 150 $B bench specs/$1.nas --backend wgpu --batch-size $2 --steps $3 --format json 2>&1 | tail -1 | tee -a $OUT/nasc.jsonl
}
run darts_v2_cifar 64 10
run hierarchical 64 10
run nasnet_a_mobile 32 5
timeout 120 $B train examples/darts_fmnist.nas --data synthetic --backend wgpu --epochs 1 --limit-train 2048 --limit-test 512 --format json --out /tmp/r1 2>&1 | tail -2 | tee $OUT/train_wgpu.txt
echo done
