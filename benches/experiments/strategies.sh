#!/usr/bin/env bash
# Random search, evolution and the RL controller at equal compute (issue 27, item 5; the
# NASNet paper's RL-against-random comparison, papers.md §2, at a size this machine runs): the
# cell space benches/experiments/cell_space_fmnist.nas on Fashion-MNIST, 24 evaluations per
# search of 1 epoch on 600 training images (500 more held out for fitness), 3 seeds per arm.
# Prints one CSV row per search: strategy, seed, evaluations, best hold-out, mean hold-out of
# the first 8 and of the last 8 evaluations (in finishing order), seconds.
# EVALUATIONS, LIMIT_TRAIN, HOLDOUT and POPULATION override 24, 600, 500 and 8 (the larger run
# of BENCHMARKS.md: EVALUATIONS=60 LIMIT_TRAIN=2000 HOLDOUT=1000 POPULATION=12); "first" and
# "last" are then the first and last third of the evaluations.
# Arms: random, evolution, rl (NASNet's LSTM controller) and rl-factorised (one softmax per
# decision); ARMS="rl" runs a subset.
# Usage: benches/experiments/strategies.sh [OUT_DIR]   (from the repository root)
DEFAULT_DIR=/tmp/nasc-strategies
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
EV=${EVALUATIONS:-24}; LT=${LIMIT_TRAIN:-600}; HO=${HOLDOUT:-500}; PO=${POPULATION:-8}
echo "strategy,seed,evaluations,best_holdout,mean_first,mean_last,seconds"
for seed in 1 2 3; do
  for st in ${ARMS:-random evolution rl rl-factorised}; do
    case "$st" in
      rl-factorised) how=(--strategy rl --controller factorised) ;;
      *) how=(--strategy "$st") ;;
    esac
    db="$D/$st-$seed.db"; rm -f "$db" "$db-wal" "$db-shm"
    t0=$(date +%s)
    "$N" search benches/experiments/cell_space_fmnist.nas --store "sqlite:$db" --seed "$seed" \
      "${how[@]}" --population "$PO" --tournament 0.25 --evaluations "$EV" --epochs 1 \
      --limit-train "$LT" --holdout "$HO" --workers 2 --quiet 2>/dev/null
    secs=$(( $(date +%s) - t0 ))
    python3 - "$db" "$st" "$seed" "$secs" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
f = [r[0] for r in c.execute("select fitness from jobs where state = 'done' order by finished, id")]
mean = lambda xs: sum(xs) / len(xs)
k = max(1, len(f) // 3)
print(f"{sys.argv[2]},{sys.argv[3]},{len(f)},{max(f):.4f},{mean(f[:k]):.4f},{mean(f[-k:]):.4f},{sys.argv[4]}")
PY
  done
done
