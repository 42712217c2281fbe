"""Converts the default dataset's source scans to NIfTI and writes its manifest.

Called by scripts/fetch-default-dataset.sh with the unpacked packages; see that script for the
sources and their pinned versions. Output: <out>/<class>/<subject>.nii.gz and
<out>/manifest.csv (path,label,subject,modality,source), plus SOURCES.json with the sha256 of
every written file.
"""

import argparse
import gzip
import plistlib
import re
import shutil
from pathlib import Path

import numpy as np

from dataset_out import save, write_manifest

LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


def read_nrrd(path):
    """A NRRD file with an attached (raw or gzip) payload: (array in index order, RAS affine)."""
    raw = path.read_bytes()
    head, _, payload = raw.partition(b"\n\n")
    fields = {}
    for line in head.decode("ascii").splitlines()[1:]:
        if line.startswith("#") or ":" not in line:
            continue
        key, value = line.split(":", 1)
        fields[key.strip()] = value.lstrip("=").strip()
    dtype = {"short": "i2", "int16": "i2", "ushort": "u2", "int": "i4", "float": "f4",
             "unsigned char": "u1", "uchar": "u1"}[fields["type"]]
    endian = "<" if fields.get("endian", "little") == "little" else ">"
    sizes = [int(s) for s in fields["sizes"].split()]
    if fields["encoding"] in ("gzip", "gz"):
        payload = gzip.decompress(payload)
    elif fields["encoding"] != "raw":
        raise ValueError(f"{path}: unsupported NRRD encoding {fields['encoding']}")
    data = np.frombuffer(payload, dtype=endian + dtype, count=int(np.prod(sizes)))
    data = data.reshape(sizes, order="F")
    directions = [[float(x) for x in v.split(",")]
                  for v in re.findall(r"\(([^)]*)\)", fields["space directions"])]
    origin = [float(x) for x in re.findall(r"\(([^)]*)\)", fields["space origin"])[0].split(",")]
    if fields["space"] not in ("left-posterior-superior", "LPS"):
        raise ValueError(f"{path}: unexpected space {fields['space']}")
    affine = np.eye(4)
    affine[:3, :3] = np.array(directions).T
    affine[:3, 3] = origin
    return data, LPS_TO_RAS @ affine


def read_cranium(folder):
    """InVesalius project: matrix.dat is raw int16 (slices, rows, cols) with the plist's spacing."""
    meta = plistlib.loads((folder / "main.plist").read_bytes())
    shape = tuple(meta["matrix"]["shape"])
    dtype = np.dtype(meta["matrix"]["dtype"]).newbyteorder("<")
    data = np.fromfile(folder / meta["matrix"]["filename"], dtype=dtype).reshape(shape)
    sx, sy, sz = meta["spacing"]
    # (z, y, x) → (x, y, z). InVesalius stores rows flipped from DICOM's posterior-going y, so
    # y already runs anterior: only x is flipped to RAS (checked on the images: the face is
    # anterior, the scanner table posterior; left/right cannot be checked without markers).
    data = np.ascontiguousarray(data.transpose(2, 1, 0))
    affine = np.diag([-sx, sy, sz, 1.0])
    return data, affine




def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mricron", type=Path, required=True)
    ap.add_argument("--cranium", type=Path, required=True)
    ap.add_argument("--pyradiomics", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True)
    rows = []

    def add(rel, label, subject, modality, source):
        rows.append({"path": rel, "label": label, "subject": subject,
                     "modality": modality, "source": source})

    # Brain MRI: the ch2 template is NIfTI already and is copied unchanged.
    shutil.copyfile(args.mricron / "ch2.nii.gz", out / "ch2.nii.gz")
    (out / "brain_mri").mkdir()
    (out / "ch2.nii.gz").rename(out / "brain_mri" / "ch2.nii.gz")
    add("brain_mri/ch2.nii.gz", "brain_mri", "ch2", "MR", "debian:mricron-data/ch2.nii.gz")
    for name in ("brain1", "brain2"):
        data, affine = read_nrrd(args.pyradiomics / f"{name}_image.nrrd")
        save(data, affine, out / "brain_mri" / f"{name}.nii.gz")
        add(f"brain_mri/{name}.nii.gz", "brain_mri", f"pyradiomics-{name}", "MR",
            f"pypi:pyradiomics-3.0.1/data/{name}_image.nrrd")

    data, affine = read_cranium(args.cranium)
    save(data, affine, out / "head_ct" / "cranium.nii.gz")
    add("head_ct/cranium.nii.gz", "head_ct", "invesalius-cranium", "CT",
        "debian:invesalius-examples/Cranium.inv3")

    for name in ("lung1", "lung2"):
        data, affine = read_nrrd(args.pyradiomics / f"{name}_image.nrrd")
        save(data, affine, out / "chest_ct" / f"{name}.nii.gz")
        add(f"chest_ct/{name}.nii.gz", "chest_ct", f"pyradiomics-{name}", "CT",
            f"pypi:pyradiomics-3.0.1/data/{name}_image.nrrd")

    write_manifest(out, rows)


if __name__ == "__main__":
    main()
