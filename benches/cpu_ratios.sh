#!/bin/bash
# nasc against PyTorch eager on the CPU, back to back per network, as in BENCHMARKS.md ("Batch
# norm kernel, five networks against PyTorch eager"): for each spec PyTorch (from nasc's JSON
# IR), then `nasc bench --kernels nasc`, then `--kernels burn`, with peak RSS. Run from the
# repository root after `cargo build --release` (and `pip install torch`):
#   bash benches/cpu_ratios.sh [SPEC.nas ...]        # batch 128, 5 timed steps
set -u
B=./target/release/nasc
T=$(mktemp -d)
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(specs/randwire_ws_fmnist.nas examples/darts_fmnist.nas
  examples/regnetx_fmnist.nas examples/hierarchical_fmnist.nas specs/dnw_fmnist.nas)
for s in "${specs[@]}"; do
  n=$(basename "$s" .nas)
  $B build "$s" --emit json -o "$T/$n.json" || continue
  python3 benches/pytorch_reference.py "$T/$n.json" --batch-size 128 --steps 5 2>/dev/null | tail -1 > "$T/$n.torch"
  for k in nasc burn; do
    /usr/bin/time -v $B bench "$s" --batch-size 128 --steps 5 --kernels $k --format json 2>"$T/$n.$k.err" | tail -1 > "$T/$n.$k"
  done
  python3 - "$T" "$n" <<'PY'
import json, re, sys
d, n = sys.argv[1] + "/", sys.argv[2]
t = json.load(open(d + n + ".torch"))["train_images_per_sec"]
for k in ("nasc", "burn"):
    r = json.load(open(d + n + "." + k))
    v = r["train_images_per_sec"]
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(d + n + "." + k + ".err").read()).group(1)
    print(f"{n:22} --kernels {k:5} nasc {v:8.1f} img/s  pytorch {t:8.1f}  ratio {v / t:.2f}  "
          f"peak RSS {rss} KB  grouped convs/step {r['nasc_grouped_conv_per_step']}  "
          f"batch norms/step {r['nasc_batch_norm_per_step']}", flush=True)
PY
done
rm -rf "$T"
