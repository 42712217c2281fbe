#!/usr/bin/env python3
"""Issue #16's five rows from the sweeps of rows.sh: one line a row, three seeds each.

Usage: summarise.py OUT_DIR  (the folder rows.sh wrote: public-only/, finetune/, scratch/)
Prints a Markdown table: the synthetic-trained balanced accuracy of each seed (the mean of its
three utility classifiers), their mean and range, the Fréchet distance, the verdicts and the
best membership attack; then whether the ε = 10 fine-tuning's worst seed is above the
public-only row's best (the issue's "above by more than the spread of 3 seeds").
Standard library only.
"""
import json
import sys
from pathlib import Path

ROWS = [
    ("public only (private data unused)", "public-only", 10.0),
    ("public + DP fine-tuning, ε = 1", "finetune", 1.0),
    ("public + DP fine-tuning, ε = 10", "finetune", 10.0),
    ("DP from scratch, ε = 10", "scratch", 10.0),
    ("non-private on the private split", "scratch", None),
]


def points(out: Path, sweep: str, target):
    table = out / sweep / "table.json"
    if not table.is_file():
        return []
    rows = json.loads(table.read_text())
    return [
        r
        for r in rows
        if r["status"] == "done"
        and float(r["epsilon_target"]) == (target if target is not None else float("inf"))
    ]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(sys.argv[1])
    print("| row | ε spent | synthetic bal. acc. (seeds) | mean | range | recall per class (mean) | FD (mean) | verdicts | best attack AUC (max) | within bound |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    accs = {}
    for label, sweep, target in ROWS:
        ps = points(out, sweep, target)
        if not ps:
            print(f"| {label} | — | no finished point | | | | | | | |")
            continue
        acc = [p["synthetic_accuracy"] for p in ps]
        accs[label] = acc
        eps = [p["epsilon"] for p in ps]
        eps_text = "∞" if eps[0] is None else f"{max(eps):.3f}"
        if sweep == "public-only":
            # learning rates 0: the released networks are the public ones, bit for bit
            eps_text = "0 (weights unchanged)"
        fd = sum(p["frechet"] for p in ps) / len(ps)
        useful = sum(1 for p in ps if p["useful"])
        verdicts = f"{useful} of {len(ps)} useful"
        auc = max((p["best_auc"] or 0.0) for p in ps)
        within = {p["within_bound"] for p in ps}
        within_text = "yes" if within == {True} else ("n/a" if within == {None} else "NO")
        # recorded by sweeps since the evaluation reports it (empty for older tables)
        classes = sorted({c for p in ps for c in p.get("synthetic_recall", {})})
        recall = ", ".join(
            f"{c} {sum(p['synthetic_recall'][c] for p in ps) / len(ps):.2f}"
            for c in classes
            if all(c in p.get("synthetic_recall", {}) for p in ps)
        ) or "—"
        print(
            f"| {label} | {eps_text} | {' / '.join(f'{a:.3f}' for a in acc)} | "
            f"{sum(acc) / len(acc):.3f} | {max(acc) - min(acc):.3f} | {recall} | {fd:.2f} | "
            f"{verdicts} | {auc:.3f} | {within_text} |"
        )
    ft, po = accs.get(ROWS[2][0]), accs.get(ROWS[0][0])
    if ft and po:
        margin = min(ft) - max(po)
        print(
            f"\nfine-tuning at ε = 10, worst seed {min(ft):.3f}, against public only, best seed "
            f"{max(po):.3f}: {'above' if margin > 0 else 'NOT above'} by {margin:+.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
