#!/usr/bin/env bash
# Installs the libtorch that tch 0.24 expects (PyPI torch==2.11.0) into a cache outside the
# source tree, and points the build at it through the git-ignored link `.libtorch`.
#
# Idempotent: a second run finds the marker file and returns at once.
# Location: $DPGAN_CACHE (default: ${XDG_CACHE_HOME:-$HOME/.cache}/dpgan).
# An existing libtorch can be used instead by setting DPGAN_LIBTORCH=/path/to/torch (a folder
# with include/ and lib/), e.g. the torch package of a system Python.
set -euo pipefail

TORCH_VERSION=2.11.0
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${DPGAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpgan}
venv="$cache/torch-$TORCH_VERSION"
marker="$venv/.dpgan-complete"

log() { printf 'setup-libtorch: %s\n' "$*" >&2; }

if [[ -n "${DPGAN_LIBTORCH:-}" ]]; then
  torch_dir=$DPGAN_LIBTORCH
else
  if [[ ! -f "$marker" ]]; then
    python=${PYTHON:-python3}
    command -v "$python" >/dev/null || { log "needs python3 (3.10 or newer) with venv and pip"; exit 1; }
    log "installing torch==$TORCH_VERSION from PyPI into $venv (about 4.6 GB, once)"
    rm -rf "$venv"
    mkdir -p "$cache"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "torch==$TORCH_VERSION"
    touch "$marker"
  fi
  torch_dir=$("$venv/bin/python" -W ignore -c 'import os, torch; print(os.path.dirname(torch.__file__))')
fi

[[ -d "$torch_dir/lib" && -d "$torch_dir/include" ]] || { log "$torch_dir has no lib/ and include/"; exit 1; }
if [[ "$(readlink "$repo/.libtorch" 2>/dev/null)" != "$torch_dir" ]]; then
  ln -sfn "$torch_dir" "$repo/.libtorch"
  log "linked .libtorch -> $torch_dir"
fi
