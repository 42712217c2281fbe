#!/usr/bin/env bash
# Builds dpgan's default dataset and Fashion-MNIST from registry packages (REFERENCE.md §6):
#   Debian mricron-data        ch2.nii.gz (T1 brain MRI)                   → brain_mri
#   PyPI pyradiomics==3.0.1    brain1/brain2_image.nrrd (brain MRI)         → brain_mri
#                              lung1/lung2_image.nrrd (chest CT)            → chest_ct
#   Debian invesalius-examples Cranium.inv3 matrix.dat (raw int16 head CT)  → head_ct
#   Debian dataset-fashion-mnist                                            → data/fashion-mnist
# Every download is pinned by version and sha256. Non-NIfTI sources are converted to NIfTI
# (scripts/data/build_default_dataset.py) into data/default/ with a manifest.csv; nothing is
# committed (data/ is git-ignored). Downloads are cached in $DPGAN_CACHE/downloads.
# Idempotent: a second run finds data/default/.complete (written last) and returns at once.
set -euo pipefail
name=fetch-default-dataset
source "$(dirname "${BASH_SOURCE[0]}")/data/fetch-lib.sh"
out="$data/default"
stamp="default-dataset v2: mricron-data 1.2.20211006+dfsg-4, invesalius-examples 3.1.99998-4, pyradiomics 3.0.1, dataset-fashion-mnist 0.0~git20200523.55506a9-1"
if is_complete "$out" "$stamp" && [[ -f "$data/fashion-mnist/.complete" ]]; then
  exit 0
fi

# name version sha256 of each Debian package (architecture all).
debs=(
  "mricron-data 1.2.20211006+dfsg-4 d40aa0ed66cf89bf6cafa049ad3884703c9d975c2ee2737525b7196528df9d6f"
  "invesalius-examples 3.1.99998-4 f2f14bdfef6dc3812eafc5013d133c6c18370aaab5666b78d54af2e7db432f97"
  "dataset-fashion-mnist 0.0~git20200523.55506a9-1 39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
)
pyradiomics_sha256=47c57f441d6cb7973fa3b2ea48d3948df78e3348e1c69e1e2ff19001601fc2f5

for entry in "${debs[@]}"; do
  read -r package version sha <<<"$entry"
  fetch_deb "$package" "$version" "$sha" >/dev/null
done

python=$("$repo/scripts/data/tools.sh")
sdist="$downloads/pyradiomics-3.0.1.tar.gz"
if [[ ! -f "$sdist" ]]; then
  log "pip download pyradiomics==3.0.1 (source tarball)"
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    --no-build-isolation pyradiomics==3.0.1 -d "$downloads" >&2
fi
check "$sdist" "$pyradiomics_sha256"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for entry in "${debs[@]}"; do
  read -r package version _ <<<"$entry"
  dpkg-deb -x "$downloads/${package}_${version//:/%3a}_all.deb" "$work/deb"
done
tar -xzf "$sdist" -C "$work" pyradiomics-3.0.1/data
mkdir -p "$work/cranium"
tar -xzf "$work/deb/usr/share/doc/invesalius-examples/examples/Cranium.inv3" -C "$work/cranium"

# Fashion-MNIST: the four IDX files as the package ships them.
rm -rf "$data/fashion-mnist"
mkdir -p "$data/fashion-mnist"
cp "$work"/deb/usr/share/datasets/fashion-mnist/*-ubyte.gz "$data/fashion-mnist/"
touch "$data/fashion-mnist/.complete"

rm -rf "$out.partial"
"$python" "$repo/scripts/data/build_default_dataset.py" \
  --mricron "$work/deb/usr/share/mricron/templates" \
  --cranium "$(dirname "$(find "$work/cranium" -name main.plist | head -1)")" \
  --pyradiomics "$work/pyradiomics-3.0.1/data" \
  --out "$out.partial"
finish "$out" "$stamp"
log "default dataset in $out ($(($(wc -l <"$out/manifest.csv") - 1)) volumes); Fashion-MNIST in $data/fashion-mnist"
