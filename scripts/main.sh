#!/usr/bin/env bash
# The README's main command: set-up (libtorch, the default dataset, the public set), then the
# short version of the privacy engineer's workflow: pre-train the conditional DCGAN on public
# scans (no DP, cached), fine-tune it with a DP discriminator at ε = 10 on the default medical dataset's
# private split, evaluate it (utility, fidelity), attack it (membership, reconstruction, the
# engine audit) against the bound its ε implies, and write the report.
# Idempotent: a second run reuses libtorch, the dataset and the build; each run trains anew
# into runs/main-<timestamp>. Its last lines print ε, the utility ratio, the best attack's AUC
# and where the report is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup-libtorch.sh
scripts/fetch-default-dataset.sh
scripts/fetch-public-dataset.sh
cargo build --release --locked --bin dpgan
dpgan=target/release/dpgan

mkdir -p runs
$dpgan info
echo
$dpgan data inspect
echo

# Public pre-training (issue #16): non-private, on data/public only, cached in
# runs/public-pretrain-<key> (key: the configuration, the public set's stamp and the model's
# source), resumed if a previous main job was interrupted, rebuilt if missing.
pretrain_config=experiments/public-pretraining/dcgan/pretrain.json
key=$(cat "$pretrain_config" data/public/.complete src/model/*.rs | sha256sum | cut -c1-12)
pretrain="runs/public-pretrain-$key"
start=$(date +%s)
if [[ -f "$pretrain/privacy.json" ]]; then
  echo "== public pre-training: cached in $pretrain"
elif [[ -f "$pretrain/checkpoint/state.json" ]]; then
  echo "== public pre-training: resuming $pretrain"
  $dpgan train --resume "$pretrain"
else
  echo "== public pre-training on data/public ($pretrain_config, no DP: the private data are not used)"
  rm -rf "$pretrain"
  $dpgan train --config "$pretrain_config" --epsilon inf --out "$pretrain"
fi
echo "public pre-training: $(( $(date +%s) - start )) s"
echo

run="runs/main-$(date -u +%Y%m%d-%H%M%S)"
echo "== ε = 10 (δ = 1e-5) on the default dataset's private training split: fine-tune the public"
echo "   model with DP-SGD, evaluate, attack, report (experiments/public-pretraining/dcgan/finetune.json)"
start=$(date +%s)
$dpgan sweep --epsilons 10 --config experiments/public-pretraining/dcgan/finetune.json \
  --init-from "$pretrain" --out "$run"
echo "main job: $(( $(date +%s) - start )) s after pre-training; the run: $run/points/eps-10-rep-0/run"
echo "report: $run/report.html (and report.md)"
