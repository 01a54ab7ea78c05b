#!/usr/bin/env bash
# Builds nasc with the CUDA backend offline of tracel's servers.
#
# Burn's CUDA backend compiles kernels through cubecl-cuda, whose `cubecl-llvm` build-dependency
# (`tracel-llvm-bundler`) downloads an LLVM 23.1 bundle from GitHub at build time. The same
# LLVM, static, with the NVPTX target and a `bin/llvm-config`, is on PyPI as
# `mlc-llvm-static` (+ `-extra-targets`). This script installs those wheels into
# $NASC_CUDA_TOOLCHAIN (default ~/.local/share/nasc/cuda-toolchain), links their prefix where
# the bundler looks ($XDG_DATA_HOME/tracel/tracel-llvm-23.1.0-4), marks it installed (the
# bundler's build script returns before any download when `.tracel-llvm-installed` exists),
# and runs cargo with that XDG_DATA_HOME.
#
#   scripts/cuda-toolchain.sh                       # cargo build --release --features cuda
#   scripts/cuda-toolchain.sh test --profile ci-gpu -p nasc-burn --features wgpu,cuda ...
#   scripts/cuda-toolchain.sh --env                 # print the exports, build nothing
#
# Arguments are a cargo command line (default: build --release --features cuda).
# CUDARC_CUDA_VERSION (default 13000) pins the CUDA driver API bindings; 13000 matches the
# H200 machines' driver (580, CUDA 13.0). At run time `--backend cuda` needs the NVIDIA driver
# (libcuda) and libdevice.10.bc under $CUDA_PATH/nvvm/libdevice/ (docs/backends.md).
set -euo pipefail
cd "$(dirname "$0")/.."

root=${NASC_CUDA_TOOLCHAIN:-$HOME/.local/share/nasc/cuda-toolchain}
llvm_version=23.1.1.post0
bundle=tracel-llvm-23.1.0-4   # tracel-llvm-bundler 23.1.0-4's directory name

prefix="$root/py/mlc_llvm_static/static"
if [ ! -x "$prefix/bin/llvm-config" ] || [ ! -f "$root/.wheels-$llvm_version" ]; then
  echo "cuda-toolchain: installing mlc-llvm-static $llvm_version into $root/py" >&2
  python3 -m pip install --quiet --no-deps --upgrade --target "$root/py" \
    "mlc-llvm-static==$llvm_version" "mlc-llvm-static-extra-targets==$llvm_version"
  touch "$root/.wheels-$llvm_version"
fi
"$prefix/bin/llvm-config" --targets-built | grep -qw NVPTX \
  || { echo "cuda-toolchain: $prefix's LLVM has no NVPTX target" >&2; exit 1; }

export XDG_DATA_HOME="$root/xdg"
mkdir -p "$XDG_DATA_HOME/tracel"
ln -sfn "$prefix" "$XDG_DATA_HOME/tracel/$bundle"
touch "$prefix/.tracel-llvm-installed"
export CUDARC_CUDA_VERSION=${CUDARC_CUDA_VERSION:-13000}

if [ "${1:-}" = "--env" ]; then
  echo "export XDG_DATA_HOME=$XDG_DATA_HOME"
  echo "export CUDARC_CUDA_VERSION=$CUDARC_CUDA_VERSION"
  exit 0
fi
if [ $# -eq 0 ]; then
  set -- build --release --features cuda
fi
exec cargo "$@"
