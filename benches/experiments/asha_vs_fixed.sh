#!/usr/bin/env bash
# Fixed-budget evolution against evolution + ASHA at equal compute (issue 27, item 5): the
# AnyNetX design space (examples/anynetx_a_fmnist.nas) on Fashion-MNIST, 2,000 training
# images per evaluation (1,000 more held out for fitness), 3 seeds per arm.
#   fixed: 12 evaluations x 3 epochs                                  = 36 epochs
#   asha:  21 configurations, rungs of 1 and 3 epochs, reduction 3    ~ 21 + 7 x 2 = 35 epochs
#          (ASHA promotes as results arrive: at least 7, sometimes more)
#   sh:    the same with successive halving                         = 21 + 7 x 2 = 35 epochs
# Each winner (`search best`) is retrained from scratch for 3 epochs and tested on 2,000 test
# images. Prints one CSV row per run: arm, seed, epochs spent, best hold-out, test accuracy.
# Usage: [ARMS="fixed asha sh"] benches/experiments/asha_vs_fixed.sh [OUT_DIR]   (from the
# repository root)
DEFAULT_DIR=/tmp/nasc-asha-vs-fixed
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
SPACE=examples/anynetx_a_fmnist.nas
COMMON=(--strategy evolution --population 4 --limit-train 2000 --holdout 1000 --workers 2
        --quiet)
echo "arm,seed,configurations,epochs,best_holdout,retrained_test_accuracy,seconds"
for seed in 1 2 3; do
  for arm in ${ARMS:-fixed asha sh}; do
    db="$D/$arm-$seed.db"; rm -f "$db" "$db-wal" "$db-shm"
    t0=$(date +%s)
    if [ "$arm" = fixed ]; then
      "$N" search "$SPACE" --store "sqlite:$db" --seed "$seed" "${COMMON[@]}" \
        --evaluations 12 --epochs 3 -o "$D/$arm-$seed.nas" 2>/dev/null
    else
      sched=$([ "$arm" = sh ] && echo successive-halving || echo asha)
      "$N" search "$SPACE" --store "sqlite:$db" --seed "$seed" "${COMMON[@]}" \
        --evaluations 21 --scheduler "$sched" --min-epochs 1 --max-epochs 3 --reduction 3 \
        -o "$D/$arm-$seed.nas" 2>/dev/null
    fi
    secs=$(( $(date +%s) - t0 ))
    read -r configs epochs best < <(python3 - "$db" "$arm" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
configs = c.execute("select count(*) from jobs").fetchone()[0]
if sys.argv[2] == "fixed":
    epochs = 3 * c.execute("select count(*) from jobs where state = 'done'").fetchone()[0]
    best = c.execute("select max(fitness) from jobs where state = 'done'").fetchone()[0]
else:
    epochs = c.execute("select sum(epochs - resumed_from) from rungs").fetchone()[0]
    best = c.execute("select max(fitness) from jobs where state = 'done'").fetchone()[0]
print(configs, epochs, round(best, 4))
PY
)
    acc=$("$N" train "$D/$arm-$seed.nas" --epochs 3 --limit-train 2000 --limit-test 2000 \
            --out "$D/$arm-$seed-retrain" --force --format json 2>/dev/null \
          | python3 -c "import json,sys; print(round(json.load(sys.stdin)['test_accuracy'], 4))")
    echo "$arm,$seed,$configs,$epochs,$best,$acc,$secs"
  done
done
