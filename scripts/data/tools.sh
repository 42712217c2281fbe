#!/usr/bin/env bash
# A small Python environment for dpgan's data scripts (NRRD/raw → NIfTI conversion, nibabel
# golden values), pinned, in the cache outside the source tree. Prints its python on stdout.
# Idempotent: a second run finds the marker and returns at once.
set -euo pipefail
cache=${DPGAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpgan}
pins=(numpy==2.2.6 nibabel==5.4.2 versioneer==0.29 wheel==0.45.1)
venv="$cache/data-tools-$(printf '%s\n' "${pins[@]}" | sha256sum | cut -c1-12)"
if [[ ! -f "$venv/.dpgan-complete" ]]; then
  python=${PYTHON:-python3}
  command -v "$python" >/dev/null || { echo "data-tools: needs python3 with venv and pip" >&2; exit 1; }
  echo "data-tools: installing ${pins[*]} into $venv" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >&2
  touch "$venv/.dpgan-complete"
fi
echo "$venv/bin/python"
