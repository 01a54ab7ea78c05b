#!/usr/bin/env bash
# A two-objective search (hold-out accuracy, parameters) against random search at equal
# compute (issue 27, item 5): the AnyNetX space (examples/anynetx_a_fmnist.nas) on
# Fashion-MNIST, 32 evaluations of 1 epoch on 2,000 images (1,000 held out), 3 seeds per arm;
# evolution selects by NSGA-II's crowded comparison. Per search: the front's size and its
# hypervolume in (accuracy, log10 params) against the reference point (accuracy 0, 10^6
# params) — larger is better — and the best accuracy.
# Usage: benches/experiments/pareto.sh [OUT_DIR]   (from the repository root)
DEFAULT_DIR=/tmp/nasc-pareto
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
echo "strategy,seed,evaluations,front,hypervolume,best_holdout,seconds"
for seed in 1 2 3; do
  for st in random evolution; do
    db="$D/$st-$seed.db"; rm -f "$db" "$db-wal" "$db-shm"
    t0=$(date +%s)
    "$N" search examples/anynetx_a_fmnist.nas --store "sqlite:$db" --seed "$seed" \
      --strategy "$st" --population 8 --tournament 0.25 --evaluations 32 --epochs 1 \
      --limit-train 2000 --holdout 1000 --workers 2 --objectives accuracy,params --quiet 2>/dev/null
    "$N" search front --store "sqlite:$db" -o "$D/$st-$seed-front" >/dev/null 2>&1
    secs=$(( $(date +%s) - t0 ))
    python3 - "$db" "$st" "$seed" "$secs" <<'PY'
import math, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
pts = [(r[0], r[1]) for r in c.execute("select fitness, params from jobs where state = 'done'")]
dom = lambda q, p: q[0] >= p[0] and q[1] <= p[1] and (q[0] > p[0] or q[1] < p[1])
front = sorted({p for p in pts if not any(dom(q, p) for q in pts)}, key=lambda p: p[1])
hv, best = 0.0, 0.0
for i, (acc, par) in enumerate(front):
    nxt = math.log10(front[i + 1][1]) if i + 1 < len(front) else 6.0
    best = max(best, acc)
    hv += best * (nxt - math.log10(par))
print(f"{sys.argv[2]},{sys.argv[3]},{len(pts)},{len(front)},{hv:.4f},{max(p[0] for p in pts):.4f},{sys.argv[4]}")
PY
  done
done
