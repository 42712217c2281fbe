#!/usr/bin/env bash
# A Python environment with the peer accountants, to regenerate golden values and time the
# peers. Idempotent; prints the environment's python on its last line.
set -euo pipefail
cache=${DPGAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpgan}
venv="$cache/peers"
if [[ ! -f "$venv/.dpgan-complete" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  # torch is Opacus's dependency; the same pin as dpgan's libtorch (pip's cache has it).
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "torch==2.11.0" "opacus==1.6.0" "dp-accounting==0.6.0" "prv-accountant==0.2.0" >&2
  touch "$venv/.dpgan-complete"
fi
echo "$venv/bin/python"
