#!/usr/bin/env bash
# The README's test command: installs what the tests need (libtorch), then runs every check.
# Idempotent: a second run reuses the installed libtorch and the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "libtorch (torch==2.11.0 from PyPI, installed once)"
scripts/setup-libtorch.sh

step "formatting"
cargo fmt --all -- --check

step "privacy-accounting alone, with no libtorch reachable"
LIBTORCH=/nonexistent cargo test -p privacy-accounting --locked

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "all tests"
cargo test --workspace --locked
