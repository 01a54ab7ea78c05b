#!/usr/bin/env bash
# The search experiments of BENCHMARKS.md ("Searching genotypes"), on Fashion-MNIST on the CPU:
#  1. hierarchical motifs (examples/hierarchical_fmnist.nas: 12 edge sites over two levels),
#     evolution against random search with the same budget (population 16, 64 evaluations,
#     one epoch on 2,000 training images, fitness = accuracy on 2,000 other training images);
#  2. RandWire WS(N=8, K, P) over the paper's grid (specs/randwire_ws_fmnist.nas: K in {2,4,6},
#     P in {0, 0.25, 0.5, 0.75, 1}, 15 points), random search with 15 evaluations.
# Then the best of each retrained (2 epochs on 20,000 images) and tested on the test set.
#   usage: benches/search_fmnist.sh NASC DATA_DIR OUT [WORKERS_PER_SEARCH]
# SEARCH_LIMIT=S stops each search after S seconds (the best so far is then read from its store);
# RETRAIN="..." replaces the retraining options; HOLDOUT, PRECISE_BN and WS_WORKERS change those
# settings (defaults 2000, 2048, WORKERS_PER_SEARCH), EVALS and POP the hierarchical searches'
# budget and population (64, 16).
set -u
N=$1 D=$2 O=$3 W=${4:-2}
mkdir -p "$O"
export RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-1}
short=(--fitness train --data fashion-mnist --data-dir "$D" --epochs 1 --limit-train 2000 --holdout "${HOLDOUT:-2000}"
       --precise-bn "${PRECISE_BN:-2048}" --batch-size 64)
run() { # name spec strategy evaluations workers
  local t0=$(date +%s)
  timeout -k 10 "${SEARCH_LIMIT:-1000000}" "$N" search "$2" --store "sqlite:$O/$1.db" --strategy "$3" --population "${POP:-16}" --evaluations "$4" "${short[@]}" --workers "$5" -o "$O/best_$1.nas" >"$O/$1.log" 2>&1
  echo "$1: search exit $? after $(( $(date +%s) - t0 )) s" >>"$O/$1.log"
}
run hier_evolution examples/hierarchical_fmnist.nas evolution "${EVALS:-64}" "$W" &
run hier_random examples/hierarchical_fmnist.nas random "${EVALS:-64}" "$W" &
run ws_grid specs/randwire_ws_fmnist.nas random 15 "${WS_WORKERS:-$W}" &
wait
for s in hier_evolution hier_random ws_grid; do
  [ -f "$O/best_$s.nas" ] || "$N" search best --store "sqlite:$O/$s.db" -o "$O/best_$s.nas" >>"$O/$s.log" 2>&1
  "$N" search status --store "sqlite:$O/$s.db" >>"$O/$s.log" 2>&1
  "$N" search plot --store "sqlite:$O/$s.db" -o "$O/$s.svg" >>"$O/$s.log" 2>&1
  "$N" search status --store "sqlite:$O/$s.db" --json >"$O/$s.status.json" 2>/dev/null
done
export RAYON_NUM_THREADS=${RETRAIN_THREADS:-4}
for s in hier_evolution hier_random ws_grid; do
  [ -f "$O/best_$s.nas" ] || continue
  ( t0=$(date +%s); "$N" train "$O/best_$s.nas" --data fashion-mnist --data-dir "$D" ${RETRAIN:---epochs 2 --limit-train 20000} \
      --out "$O/train_$s" --format json --quiet >"$O/retrain_$s.json" 2>"$O/retrain_$s.err"
    echo "{\"wall_s\": $(( $(date +%s) - t0 ))}" >>"$O/retrain_$s.json" ) &
done
wait
