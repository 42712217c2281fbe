#!/usr/bin/env bash
# dpgan's accountants against the peers, measured in one run on this machine:
# σ = 1.1, q = 256/60000, T = 14063, δ = 1e-5; calibration to ε = 2.
# Prints both JSON reports and the speed-up of dpgan over each peer.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
py=$(scripts/peers/setup.sh | tail -1)
cargo build --release --locked -p privacy-accounting --bin dp-accountant >&2
ours=$(target/release/dp-accountant bench --json --repeats 7 --target-epsilon 2)
peers=$("$py" scripts/peers/time_accountants.py --repeats 5 --target-epsilon 2)
"$py" - "$ours" "$peers" <<'PY'
import json, sys
ours, peers = json.loads(sys.argv[1]), json.loads(sys.argv[2])["results"]
print(json.dumps({"dpgan": ours, "peers": peers}, indent=1))
rows = [
    ("PRV ε", ours["prv_epsilon"], [("Opacus PRV", "opacus_prv_epsilon"), ("dp_accounting PLD", "dp_accounting_pld_epsilon")]),
    ("RDP ε", ours["rdp_epsilon"], [("Opacus RDP", "opacus_rdp_epsilon"), ("dp_accounting RDP", "dp_accounting_rdp_epsilon")]),
    ("PRV calibration", ours["prv_calibrate"], [("Opacus PRV", "opacus_calibrate_prv")]),
    ("RDP calibration", ours["rdp_calibrate"], [("Opacus RDP", "opacus_calibrate_rdp")]),
]
print("\n| measurement | dpgan | peer | peer time | speed-up |\n|---|---|---|---|---|")
for name, mine, others in rows:
    for label, key in others:
        p = peers[key]
        value = p.get("epsilon", p.get("noise_multiplier"))
        print(f"| {name} | {mine['median_s']*1e3:.2f} ms ({mine['value']:.4f}) | {label} | "
              f"{p['median_s']*1e3:.2f} ms ({value:.4f}) | {p['median_s']/mine['median_s']:.1f}× |")
PY
