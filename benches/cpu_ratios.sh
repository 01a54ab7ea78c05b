#!/bin/bash
# nasc against PyTorch on the CPU, as in BENCHMARKS.md ("Grouped conv kernel, five networks
# against PyTorch eager"): for each spec, ROUNDS rounds (default 3) of PyTorch eager and
# torch.compile (both on the module `nasc build --emit pytorch` generates: the code a user
# gets), `nasc bench --kernels nasc`, `--kernels burn` and, when BASELINE names
# another nasc binary (an earlier build), that binary — interleaved, so that the shared
# machine's slow spells hit every column alike. Each column reports its best round (noise on
# a shared machine only ever slows a run down) and the ratio of bests; peak RSS is the
# largest of the rounds. Run from the repository root after `cargo build --release` (and
# `pip install torch`; torch.compile needs a C++ compiler):
#   bash benches/cpu_ratios.sh [SPEC.nas ...]        # batch 128, 5 timed steps per run
#   ROUNDS=5 BASELINE=/tmp/nasc-before bash benches/cpu_ratios.sh specs/randwire_ws_fmnist.nas
set -u
B=./target/release/nasc
ROUNDS=${ROUNDS:-3}
BASELINE=${BASELINE:-}
T=$(mktemp -d)
specs=("$@")
[ ${#specs[@]} -gt 0 ] || specs=(specs/randwire_ws_fmnist.nas examples/darts_fmnist.nas
  examples/regnetx_fmnist.nas examples/hierarchical_fmnist.nas specs/dnw_fmnist.nas)
for s in "${specs[@]}"; do
  n=$(basename "$s" .nas)
  $B build "$s" --emit pytorch -o "$T/$n.py" 2>/dev/null || continue
  for r in $(seq "$ROUNDS"); do
    python3 benches/pytorch_reference.py "$T/$n.py" --batch-size 128 --steps 5 2>/dev/null | tail -1 >> "$T/$n.torch"
    python3 benches/pytorch_reference.py "$T/$n.py" --batch-size 128 --steps 5 --compile 2>/dev/null | tail -1 >> "$T/$n.compile"
    for k in nasc burn; do
      /usr/bin/time -v $B bench "$s" --batch-size 128 --steps 5 --kernels $k --format json 2>>"$T/$n.$k.err" | tail -1 >> "$T/$n.$k"
    done
    if [ -n "$BASELINE" ]; then
      /usr/bin/time -v "$BASELINE" bench "$s" --batch-size 128 --steps 5 --format json 2>>"$T/$n.baseline.err" | tail -1 >> "$T/$n.baseline"
    fi
  done
  python3 - "$T" "$n" <<'PY'
import json, os, re, sys
d, n = sys.argv[1] + "/", sys.argv[2]
def runs(k):
    return [json.loads(l) for l in open(d + n + "." + k) if l.strip()]
def best(k):
    return max(r["train_images_per_sec"] for r in runs(k))
t = best("torch")
print(f"{n}: PyTorch eager best {t:.1f} img/s of {[round(r['train_images_per_sec'], 1) for r in runs('torch')]}", flush=True)
if os.path.exists(d + n + ".compile") and runs("compile"):
    tc = best("compile")
    print(f"  torch.compile     best {tc:8.1f} img/s of {[round(r['train_images_per_sec'], 1) for r in runs('compile')]}  "
          f"(nasc --kernels nasc / torch.compile: {best('nasc') / tc:.2f})", flush=True)
for k in ("nasc", "burn", "baseline"):
    if not os.path.exists(d + n + "." + k):
        continue
    v, r = best(k), runs(k)[-1]
    rss = max(int(m) for m in re.findall(r"Maximum resident set size \(kbytes\): (\d+)", open(d + n + "." + k + ".err").read()))
    label = "--kernels " + k if k != "baseline" else "baseline"
    print(f"  {label:17} best {v:8.1f} img/s of {[round(x['train_images_per_sec'], 1) for x in runs(k)]}  "
          f"ratio {v / t:.2f}  peak RSS {rss} KB  grouped convs/step {r.get('nasc_grouped_conv_per_step', r.get('nasc_depthwise_per_step'))}  "
          f"1x1 convs/step {r.get('nasc_pointwise_conv_per_step', 0)}  batch norms/step {r['nasc_batch_norm_per_step']}  weighted sums/step {r.get('nasc_weighted_sum_per_step', 0)}", flush=True)
PY
done
rm -rf "$T"
