#!/usr/bin/env bash
# The README's test command: installs what the tests need (libtorch, test data), then runs every
# check.
# Idempotent: a second run reuses the installed libtorch, the fetched data and the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "libtorch (torch==2.11.0 from PyPI, installed once)"
scripts/setup-libtorch.sh

step "test data (nibabel's test files, the default dataset; fetched once into data/)"
scripts/fetch-test-data.sh
scripts/fetch-default-dataset.sh

step "Slurm (Debian packages, for the one-node cluster of tests/slurm.rs; installed once)"
scripts/slurm-up.sh --install-only

step "formatting"
cargo fmt --all -- --check

step "privacy-accounting alone, with no libtorch reachable"
LIBTORCH=/nonexistent cargo test -p privacy-accounting --locked

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "all other tests"
cargo test --workspace --exclude privacy-accounting --locked
