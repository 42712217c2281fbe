"""What the dataset builders share: a NIfTI writer and the manifest with its checksums."""

import csv
import hashlib
import json

import nibabel as nib
import numpy as np


def save(data, affine, path):
    """Writes `data` as NIfTI-1 with `affine` as both qform and sform (millimetres)."""
    img = nib.Nifti1Image(np.asarray(data), affine)
    img.header.set_xyzt_units("mm")
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(img, path)


def write_manifest(out, rows):
    """<out>/manifest.csv (path,label,subject,modality,source) and SOURCES.json: the rows and
    the sha256 of every written file."""
    with open(out / "manifest.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["path", "label", "subject", "modality", "source"])
        w.writeheader()
        w.writerows(rows)
    sums = {r["path"]: hashlib.sha256((out / r["path"]).read_bytes()).hexdigest() for r in rows}
    (out / "SOURCES.json").write_text(json.dumps({"files": sums, "rows": rows}, indent=2) + "\n")
