"""Golden values for dpgan's NIfTI reader, from nibabel reading nibabel's own test files.

Usage: py=$(scripts/data/tools.sh); scripts/fetch-test-data.sh;
       $py scripts/data/golden_nifti.py data/nibabel-tests > tests/golden/nibabel_nifti.json

For each file: NIfTI version, shape, datatype code, byte order, the affine nibabel chooses
(get_best_affine), orientation codes (aff2axcodes), scaled voxel statistics (get_fdata, float64;
NaN voxels counted and left out, null in the voxel list)
and 32 voxel values at fixed flat indices in Fortran (file) order.
"""

import json
import sys
from pathlib import Path

import nibabel as nib
import numpy as np


def describe(path):
    img = nib.load(path)
    hdr = img.header
    data = np.asarray(img.get_fdata(dtype=np.float64))
    flat = data.ravel(order="F")
    idx = np.linspace(0, flat.size - 1, 32).round().astype(int)
    return {
        "file": path.name,
        "nifti_version": 2 if isinstance(hdr, nib.Nifti2Header) else 1,
        "shape": [int(s) for s in data.shape],
        "datatype": int(hdr["datatype"]),
        "big_endian": hdr.endianness == ">",
        "affine": img.affine.tolist(),
        "axcodes": "".join(nib.aff2axcodes(img.affine)),
        "nan_voxels": int(np.isnan(flat).sum()),
        "min": float(np.nanmin(flat)),
        "max": float(np.nanmax(flat)),
        "mean": float(np.nanmean(flat)),
        "voxels": {
            "indices": idx.tolist(),
            "values": [None if np.isnan(v) else float(v) for v in flat[idx]],
        },
    }


def main():
    folder = Path(sys.argv[1])
    files = sorted(p for p in folder.iterdir() if p.name.endswith((".nii", ".nii.gz")))
    golden = {"nibabel": nib.__version__, "files": [describe(p) for p in files]}
    json.dump(golden, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
