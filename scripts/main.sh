#!/usr/bin/env bash
# The README's main command. It grows with the project: today it sets up libtorch, builds
# dpgan, reports the machine, plans the privacy budget of the default training run (ε = 10)
# with both accountants, and trains a small DP ac-GAN at ε = 10 on synthetic images (the
# default medical dataset, evaluation and attacks join as they land: issues #5–#7).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-libtorch.sh
cargo build --release --locked --bin dpgan
dpgan=target/release/dpgan

# The default run: ~350 training slices, expected batch 32, 25 epochs, δ = 1e-5.
plan=(--epochs 25 --batch-size 32 --dataset-size 350 --delta 1e-5)

mkdir -p runs
$dpgan info
echo
$dpgan calibrate --epsilon 10 "${plan[@]}"
sigma=$($dpgan calibrate --epsilon 10 "${plan[@]}" --json | sed -n 's/.*"noise_multiplier": \([0-9.e+-]*\).*/\1/p')
$dpgan account --noise-multiplier "$sigma" "${plan[@]}" --accountant prv
$dpgan account --noise-multiplier "$sigma" "${plan[@]}" --accountant rdp

echo
echo "== training at ε = 10 on synthetic images (stand-in until the default dataset lands)"
$dpgan train --dataset synthetic:600 --image-size 32 --g-width 32 --d-width 32 \
  --epochs 5 --batch-size 32 --epsilon 10 --delta 1e-5 --json > runs/.main-outcome.json
run=$(sed -n 's/.*"run_dir": "\(.*\)".*/\1/p' runs/.main-outcome.json)
echo "run directory: $run (privacy.json, metrics.jsonl, samples/*.png, checkpoint/)"
sed -n 's/^  "\(epsilon\|noise_multiplier\|steps\|rng\)": \(.*\),$/  \1 = \2/p' "$run/privacy.json"
