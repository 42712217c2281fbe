#!/usr/bin/env bash
# The README's main command: set-up (libtorch, the default dataset), then train the case study's
# ac-GAN with a DP discriminator at ε = 10 on the default medical dataset, and sample from it.
# Evaluation, attacks and the report join as they land (issues #6 and #7).
# Idempotent: a second run reuses libtorch, the dataset and the build; each run trains anew
# into runs/main-<timestamp>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-libtorch.sh
scripts/fetch-default-dataset.sh
cargo build --release --locked --bin dpgan
dpgan=target/release/dpgan

mkdir -p runs
$dpgan info
echo
$dpgan data inspect
echo

run="runs/main-$(date -u +%Y%m%d-%H%M%S)"
echo "== training at ε = 10 (δ = 1e-5) on the default dataset: 64×64 slices, 25 epochs, batch 32"
$dpgan train --dataset default --epsilon 10 --delta 1e-5 --epochs 25 --batch-size 32 \
  --out "$run" --json > "$run.outcome.json"
$dpgan sample --run "$run" --n 48 --out "$run/draws" > /dev/null

echo
echo "run directory: $run"
echo "  config.json, split.json, privacy.json, metrics.jsonl, samples/epoch-*.png, draws/grid.png"
sed -n 's/^  "\(epsilon\|noise_multiplier\|steps\|sample_rate\|rng\)": \(.*\),$/  \1 = \2/p' "$run/privacy.json"
