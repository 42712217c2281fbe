#!/usr/bin/env bash
# Test data the reader tests compare against nibabel: the NIfTI files of nibabel's own test
# suite, from the PyPI wheel nibabel==5.4.2 (sha256 pinned), into data/nibabel-tests/
# (git-ignored). The golden values they are checked against are committed in
# tests/golden/nibabel_nifti.json (written by scripts/data/golden_nifti.py).
# Idempotent: a second run finds the marker and returns at once.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${DPGAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dpgan}
data=${DPGAN_DATA_DIR:-$repo/data}
out="$data/nibabel-tests"
wheel="$cache/downloads/nibabel-5.4.2-py3-none-any.whl"
sha=553482c5f1e1034fc312edf6fb7f32236c0056439845d1c29293b7e8c98d4854
files=(anatomical.nii example4d.nii.gz example_nifti2.nii.gz functional.nii
  reoriented_anat_moved.nii resampled_anat_moved.nii standard.nii.gz)

[[ -f "$out/.complete" ]] && exit 0
mkdir -p "$cache/downloads"
if [[ ! -f "$wheel" ]]; then
  echo "fetch-test-data: pip download nibabel==5.4.2" >&2
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
    nibabel==5.4.2 -d "$cache/downloads" >&2
fi
echo "$sha  $wheel" | sha256sum --check --status || { echo "fetch-test-data: checksum mismatch for $wheel" >&2; rm -f "$wheel"; exit 1; }
rm -rf "$out.partial"
mkdir -p "$out.partial"
python3 - "$wheel" "$out.partial" "${files[@]}" <<'PY'
import sys, zipfile, pathlib
wheel, out, names = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for n in names:
        (out / n).write_bytes(z.read(f"nibabel/tests/data/{n}"))
PY
rm -rf "$out"
mv "$out.partial" "$out"
touch "$out/.complete"
