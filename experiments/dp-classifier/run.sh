#!/usr/bin/env bash
# DP classifiers on Fashion-MNIST (benchmark protocol: official test set) with the recipe in
# config.json: ε = 1, three runs at ε = 3, ε = 10, and the non-private baseline. Each run is
# trained, evaluated on the 10 000 official test images and attacked (loss and confidence
# membership attacks against the bound); runs already finished are kept. Then
# results/table.md and results/MACHINE are written.
#
#   experiments/dp-classifier/run.sh [OUT]      (default OUT: runs/exp-dp-classifier)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-runs/exp-dp-classifier}
dpgan=${DPGAN:-target/release/dpgan}
here=experiments/dp-classifier
for run in e1:1 e3-a:3 e3-b:3 e3-c:3 e10:10 inf:inf; do
  name=${run%%:*}
  eps=${run#*:}
  dir=$out/$name
  # Without DP nothing clips the gradients to C = 0.1: the recipe's learning rate 4 diverged
  # there (42.6 % when tried), so a non-private classifier run takes lr·C = 0.4, the private
  # recipe's largest step (optim.nonprivate_learning_rate, default).
  if [ ! -f "$dir/privacy.json" ]; then
    rm -rf "$dir"
    start=$(date +%s)
    "$dpgan" classify train --config $here/config.json --epsilon "$eps" --out "$dir" --no-progress
    echo $(( $(date +%s) - start )) > "$dir/wall-seconds"
  fi
  "$dpgan" classify evaluate --run "$dir" --json > /dev/null   # diagnostics/evaluation.json
  "$dpgan" attack --run "$dir" --json > /dev/null             # diagnostics/attack.json
done
python3 $here/table.py "$out" > $here/results/table.md
{ echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo " (with uncommitted changes to src/)")"; "$dpgan" info; } > $here/results/MACHINE
cat $here/results/table.md
