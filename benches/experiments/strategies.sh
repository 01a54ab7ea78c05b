#!/usr/bin/env bash
# Random search, evolution and the RL controller at equal compute (issue 27, item 5; the
# NASNet paper's RL-against-random comparison, papers.md §2, at a size this machine runs): the
# cell space benches/experiments/cell_space_fmnist.nas on Fashion-MNIST, 24 evaluations per
# search of 1 epoch on 600 training images (500 more held out for fitness), 3 seeds per arm.
# Prints one CSV row per search: strategy, seed, evaluations, best hold-out, mean hold-out of
# the first 8 and of the last 8 evaluations (in finishing order), seconds.
# Arms: random, evolution, rl (NASNet's LSTM controller) and rl-factorised (one softmax per
# decision); ARMS="rl" runs a subset.
# Usage: benches/experiments/strategies.sh [OUT_DIR]   (from the repository root)
DEFAULT_DIR=/tmp/nasc-strategies
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
echo "strategy,seed,evaluations,best_holdout,mean_first8,mean_last8,seconds"
for seed in 1 2 3; do
  for st in ${ARMS:-random evolution rl rl-factorised}; do
    case "$st" in
      rl-factorised) how=(--strategy rl --controller factorised) ;;
      *) how=(--strategy "$st") ;;
    esac
    db="$D/$st-$seed.db"; rm -f "$db" "$db-wal" "$db-shm"
    t0=$(date +%s)
    "$N" search benches/experiments/cell_space_fmnist.nas --store "sqlite:$db" --seed "$seed" \
      "${how[@]}" --population 8 --tournament 0.25 --evaluations 24 --epochs 1 \
      --limit-train 600 --holdout 500 --workers 2 --quiet 2>/dev/null
    secs=$(( $(date +%s) - t0 ))
    python3 - "$db" "$st" "$seed" "$secs" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
f = [r[0] for r in c.execute("select fitness from jobs where state = 'done' order by finished, id")]
mean = lambda xs: sum(xs) / len(xs)
print(f"{sys.argv[2]},{sys.argv[3]},{len(f)},{max(f):.4f},{mean(f[:8]):.4f},{mean(f[-8:]):.4f},{sys.argv[4]}")
PY
  done
done
