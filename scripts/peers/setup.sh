#!/usr/bin/env bash
# A Python environment with the peer accountants (Opacus, dp_accounting, prv_accountant), used
# to regenerate privacy-accounting/tests/golden/accountants.json and to time the peers.
#
#   py=$(scripts/peers/setup.sh | tail -1)
#
# Idempotent: once the marker file .dpgan-complete exists in the environment, it only prints
# the path. Location: ${DPGAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpgan}/peers.
# Everything pip says goes to stderr; the last line on stdout is the environment's python.
#
# Pins (all exist on PyPI; checked against the package index):
#   opacus==1.6.0, dp-accounting==0.6.0, prv-accountant==0.2.0 — the peers the golden file names.
#   torch==2.11.0 — only because Opacus imports it (nothing here uses a GPU). It is the same pin
#   as dpgan's libtorch (scripts/setup-libtorch.sh), so the two environments agree and a pip
#   cache, where one is kept, serves both. PyPI's Linux torch pulls the CUDA runtime wheels: about
#   4.8 GB installed. numpy, scipy etc. are left to pip; what it chose is written to
#   requirements.lock in the environment.
set -euo pipefail

cache=${DPGAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpgan}
venv="$cache/peers"
marker="$venv/.dpgan-complete"

log() { printf 'peers/setup: %s\n' "$*" >&2; }

if [[ ! -f "$marker" ]]; then
  python=${PYTHON:-python3}
  command -v "$python" >/dev/null || { log "needs python3 (3.10 or newer) with venv and pip"; exit 1; }
  log "creating $venv and installing the peers (once)"
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==2.11.0" "opacus==1.6.0" "dp-accounting==0.6.0" "prv-accountant==0.2.0" >&2
  touch "$marker"
fi
# Record what was resolved (numpy, scipy, ... are unpinned dependencies of the peers).
if [[ ! -f "$venv/requirements.lock" ]]; then
  "$venv/bin/python" -m pip freeze --disable-pip-version-check >"$venv/requirements.lock"
fi
echo "$venv/bin/python"
