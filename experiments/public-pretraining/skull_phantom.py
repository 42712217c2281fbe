"""A public set whose skull-less volumes get a simulated skull and scalp (stop 27's variant).

The public head CT (TotalSegmentator's brain CT atlas) and the MNI T1 template are brains
without skull or scalp, which no clinical scan is. This writes a copy of a public dataset
folder (scripts/fetch-public-dataset.sh's data/public) in which both get one, grown from the
brain's own mask (its holes filled) by dilations that alternate one and two face-neighbour
steps (1 mm voxels; along the axes: a 1-voxel gap, bone out to 10 voxels, scalp out to 16). CT: air −1024 HU, gap 10,
bone 1100, scalp 30. T1: background 0, gap 0.1, bone 0.04, scalp 0.9 of the brain's 99th
percentile (bone dark, fat bright). The brain keeps its voxels. Nothing here comes from the
private data; the choice to try it came from looking at the private training split's preview
(`dpgan data inspect default`), so it is among the variants `privacy.tuned_on` counts.

Usage (with the data tools' python, scripts/data/tools.sh):
  python skull_phantom.py data/public OUT_DIR
then `dpgan train --config experiments/public-pretraining/dcgan/pretrain.json --dataset OUT_DIR
--epsilon inf --out RUN`. Outcome (experiments/public-pretraining/README.md, stop 27): closer
pictures and Fréchet distance, much lower utility.
"""

import shutil
import sys
from pathlib import Path

import nibabel as nib
import numpy as np

VOLUMES = {
    "head_ct/totalsegmentator-ct-brain-atlas.nii.gz": "ct",
    "brain_mri/mni-icbm152-2009a.nii.gz": "mr",
}


def dilate(mask, twice):
    """Binary dilation by the 6 face neighbours, once or (`twice`) twice."""
    out = mask.copy()
    for axis in range(3):
        for shift in (1, -1):
            out |= np.roll(mask, shift, axis=axis)
    return dilate(out, False) if twice else out


def grow(mask, steps):
    """`steps` dilations, every second one twice: a rounder ball than face steps alone."""
    for i in range(steps):
        mask = dilate(mask, i % 2 == 1)
    return mask


def filled(brain):
    """The brain with its holes (ventricles, sulci closed off from outside) filled."""
    outside = np.zeros_like(brain)
    for axis in range(3):
        index = [slice(None)] * 3
        for end in (0, -1):
            index[axis] = end
            outside[tuple(index)] = True
    outside &= ~brain
    while True:
        grown = dilate(outside, False) & ~brain
        if (grown == outside).all():
            return ~outside
        outside = grown


def with_skull(values, kind):
    if kind == "ct":
        brain = values > 5
        background, scalp, bone, gap = -1024.0, 30.0, 1100.0, 10.0
    else:
        brain = values > 0.05 * np.percentile(values, 99.9)
        top = np.percentile(values[brain], 99)
        background, scalp, bone, gap = 0.0, 0.9 * top, 0.04 * top, 0.1 * top
    inside = filled(brain)
    out = np.full(values.shape, background, np.float32)
    out[grow(inside, 11)] = scalp
    out[grow(inside, 7)] = bone
    out[grow(inside, 1)] = gap
    out[inside] = np.maximum(values[inside], 0)
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    if dst.exists():
        print(f"skull_phantom: {dst} exists", file=sys.stderr)
        return 2
    shutil.copytree(src, dst)
    for rel, kind in VOLUMES.items():
        img = nib.load(src / rel)
        values = np.asarray(img.dataobj, dtype=np.float32)
        out = with_skull(values, kind)
        data = np.rint(out).astype(np.int16) if kind == "ct" else out
        nib.save(nib.Nifti1Image(data, img.affine), dst / rel)
        print(f"{rel}: skull and scalp added")
    return 0


if __name__ == "__main__":
    sys.exit(main())
