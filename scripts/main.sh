#!/usr/bin/env bash
# The README's main command: set-up (libtorch, the default dataset), then the short version of the
# privacy engineer's workflow: train the ac-GAN with a DP discriminator at ε = 10 on the default
# medical dataset, evaluate it (utility, fidelity), attack it (membership, reconstruction, the
# engine audit) against the bound its ε implies, and write the report.
# Idempotent: a second run reuses libtorch, the dataset and the build; each run trains anew
# into runs/main-<timestamp>. Its last lines print ε, the utility ratio, the best attack's AUC
# and where the report is.
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
echo "== ε = 10 (δ = 1e-5) on the default dataset: train, evaluate, attack, report"
echo "   (experiments/default-medical/config.json: 32 × 32 slices, 50 epochs, batch 16)"
start=$(date +%s)
$dpgan sweep --epsilons 10 --config experiments/default-medical/config.json --out "$run"
echo "main job: $(( $(date +%s) - start )) s after set-up; the run: $run/points/eps-10-rep-0/run"
echo "report: $run/report.html (and report.md)"
