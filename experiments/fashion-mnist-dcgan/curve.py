"""Accuracy against private discriminator steps: results/curve.csv drawn as results/curve.svg.

Each row of curve.csv is one run of this experiment's recipe (columns: epsilon, batch (the
expected batch), steps, accuracy in %, evaluation = full | quick, machine, commit). Runs of one ε
and one batch are joined by a line; batch 256 is drawn as circles, larger batches as squares. Published ε = 10 and ε = 1
figures (REFERENCE.md §7, CNN column where there is one) are drawn as dashed lines.
Standard library only: `python3 curve.py` from this folder.
"""
import csv
import math
import pathlib

HERE = pathlib.Path(__file__).parent
ROWS = list(csv.DictReader(open(HERE / "results" / "curve.csv")))
PUBLISHED = [  # (label, accuracy %, ε)
    ("DPImageBench DP-GAN, ε = 10", 70.3, 10),
    ("issue #15 target at ε = 1", 55.0, 1),
]
W, H, L, R, T, B = 760, 430, 70, 250, 30, 60
X0, X1 = math.log10(1000), math.log10(100000)
Y0, Y1 = 40.0, 80.0
COLOURS = {"10": "#c0392b", "1": "#2471a3"}


def x(steps):
    return L + (math.log10(steps) - X0) / (X1 - X0) * (W - L - R)


def y(acc):
    return T + (Y1 - acc) / (Y1 - Y0) * (H - T - B)


parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>']
for acc in range(40, 85, 5):
    parts.append(f'<line x1="{L}" x2="{W - R}" y1="{y(acc):.1f}" y2="{y(acc):.1f}" stroke="#ddd"/>')
    parts.append(f'<text x="{L - 8}" y="{y(acc) + 4:.1f}" text-anchor="end">{acc}</text>')
for steps in [1000, 2000, 5000, 10000, 20000, 50000, 100000]:
    parts.append(f'<line x1="{x(steps):.1f}" x2="{x(steps):.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>')
    parts.append(f'<text x="{x(steps):.1f}" y="{H - B + 16}" text-anchor="middle">{steps:,}</text>')
parts.append(f'<text x="{(L + W - R) / 2}" y="{H - 18}" text-anchor="middle">private discriminator '
             'steps (log scale)</text>')
parts.append(f'<text transform="translate(18 {(T + H - B) / 2}) rotate(-90)" text-anchor="middle">'
             'train-on-synthetic test accuracy, %</text>')
for label, acc, eps in PUBLISHED:
    c = COLOURS[str(eps)]
    parts.append(f'<line x1="{L}" x2="{W - R}" y1="{y(acc):.1f}" y2="{y(acc):.1f}" stroke="{c}" '
                 'stroke-dasharray="6 4"/>')
    parts.append(f'<text x="{W - R + 6}" y="{y(acc) + 4:.1f}" fill="{c}">{label}</text>')
for eps in ["10", "1"]:
    c = COLOURS[eps]
    last = None
    for batch in sorted({int(r["batch"]) for r in ROWS if r["epsilon"] == eps}):
        pts = sorted((int(r["steps"]), float(r["accuracy"]), r["evaluation"]) for r in ROWS
                     if r["epsilon"] == eps and int(r["batch"]) == batch)
        if len(pts) > 1:
            path = " ".join(f"{x(s):.1f},{y(a):.1f}" for s, a, _ in pts)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for s, a, ev in pts:
            fill = c if ev == "full" else "white"
            if batch == 256:
                parts.append(f'<circle cx="{x(s):.1f}" cy="{y(a):.1f}" r="5" fill="{fill}" '
                             f'stroke="{c}" stroke-width="2"/>')
                label = f"{a:.1f}"
            else:
                parts.append(f'<rect x="{x(s) - 5:.1f}" y="{y(a) - 5:.1f}" width="10" height="10" '
                             f'fill="{fill}" stroke="{c}" stroke-width="2"/>')
                label = f"{a:.1f} (batch {batch})"
            parts.append(f'<text x="{x(s) + 8:.1f}" y="{y(a) - 8:.1f}" fill="{c}">{label}</text>')
            if last is None or a > last[1]:
                last = (s, a)
    if last:
        parts.append(f'<text x="{W - R + 6}" y="{y(last[1]) - 4:.1f}" fill="{c}" '
                     f'font-weight="bold">dpgan, ε = {eps}</text>')
parts.append(f'<text x="{W - R + 6}" y="{H - B - 36}" fill="#555">circles: batch 256; squares: larger</text>')
parts.append(f'<text x="{W - R + 6}" y="{H - B - 20}" fill="#555">filled: full protocol</text>')
parts.append(f'<text x="{W - R + 6}" y="{H - B - 4}" fill="#555">open: quick evaluation</text>')
parts.append("</svg>")
(HERE / "results" / "curve.svg").write_text("\n".join(parts) + "\n")
print(f"wrote {HERE / 'results' / 'curve.svg'} ({len(ROWS)} runs)")
