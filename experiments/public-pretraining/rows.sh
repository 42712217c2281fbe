#!/usr/bin/env bash
# Issue #16's five rows on the default dataset's private test split, three seeds each:
# public only, public + DP fine-tuning at ε = 1 and 10, DP from scratch at ε = 10, and
# non-private on the private split; then the summary table (summarise.py).
# Usage: experiments/public-pretraining/rows.sh PRETRAIN_RUN [OUT_DIR] [CONFIG_DIR]
#   PRETRAIN_RUN: a finished pre-training (scripts/main.sh leaves runs/public-pretrain-<key>).
#   CONFIG_DIR: where public-only.json, finetune.json and scratch.json are (default
#   experiments/public-pretraining; experiments/public-pretraining/dcgan for the DCGAN).
# Each sweep resumes where it stopped (finished points are kept), so rerunning is cheap.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
pretrain=${1:?usage: rows.sh PRETRAIN_RUN [OUT_DIR] [CONFIG_DIR]}
out=${2:-runs/public-pretraining-rows}
[[ -f "$pretrain/privacy.json" ]] || { echo "rows.sh: $pretrain is not a finished run" >&2; exit 2; }
cargo build --release --locked --bin dpgan
dpgan=target/release/dpgan
cfg=${3:-experiments/public-pretraining}
$dpgan sweep --epsilons 10 --seeds 3 --config $cfg/public-only.json --init-from "$pretrain" --out "$out/public-only"
$dpgan sweep --epsilons 1,10 --seeds 3 --config $cfg/finetune.json --init-from "$pretrain" --out "$out/finetune"
$dpgan sweep --epsilons 10,inf --seeds 3 --config $cfg/scratch.json --out "$out/scratch"
python3 experiments/public-pretraining/summarise.py "$out"
