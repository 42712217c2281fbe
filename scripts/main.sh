#!/usr/bin/env bash
# The README's main command. It grows with the project: today it sets up libtorch, builds
# dpgan, reports the machine, and plans the privacy budget of the default training run
# (ε = 10): the noise multiplier for it, and the ε that noise gives by both accountants.
# Training, evaluation and attacks join as they land (issues #4–#7).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-libtorch.sh
scripts/fetch-default-dataset.sh
cargo build --release --locked --bin dpgan
dpgan=target/release/dpgan

# The default run: ~350 training slices, expected batch 32, 25 epochs, δ = 1e-5.
plan=(--epochs 25 --batch-size 32 --dataset-size 350 --delta 1e-5)

$dpgan info
echo
$dpgan data inspect
echo
$dpgan calibrate --epsilon 10 "${plan[@]}"
sigma=$($dpgan calibrate --epsilon 10 "${plan[@]}" --json | sed -n 's/.*"noise_multiplier": \([0-9.e+-]*\).*/\1/p')
$dpgan account --noise-multiplier "$sigma" "${plan[@]}" --accountant prv
$dpgan account --noise-multiplier "$sigma" "${plan[@]}" --accountant rdp
