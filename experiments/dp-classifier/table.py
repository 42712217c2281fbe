"""The experiment's table from its run folders (argument: the OUT folder of run.sh)."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
print("| run | ε target | ε spent (δ = 1e-5) | σ | steps | test accuracy | balanced accuracy "
      "| best attack AUC | within bound | wall s (2 cores) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for name in ["e1", "e3-a", "e3-b", "e3-c", "e10", "inf"]:
    d = out / name
    if not (d / "privacy.json").exists():
        continue
    p = json.loads((d / "privacy.json").read_text())
    e = json.loads((d / "diagnostics" / "evaluation.json").read_text())
    a = json.loads((d / "diagnostics" / "attack.json").read_text())
    wall = (d / "wall-seconds").read_text().strip() if (d / "wall-seconds").exists() else ""
    eps = f"{p['epsilon']:.3f}" if p["epsilon"] is not None else "∞ (no DP)"
    target = p["target_epsilon"] if p["target_epsilon"] is not None else "∞"
    sigma = f"{p['noise_multiplier']:.3f}" if p["noise_multiplier"] else "–"
    bound = {True: "yes", False: "NO", None: "no bound"}[a["within_bound"]]
    print(f"| {name} | {target} | {eps} | {sigma} | {p['steps']} | {100 * e['accuracy']:.2f} % "
          f"| {100 * e['balanced_accuracy']:.2f} % | {a['best_auc']:.3f} ({a['best_attack']}) "
          f"| {bound} | {wall} |")
