#!/usr/bin/env python3
"""Writes privacy-accounting/tests/golden/accountants.json from the peer accountants.

Run with the peers' environment: py=$(scripts/peers/setup.sh | tail -1); $py scripts/peers/golden_accountants.py
Every value is computed by the peers themselves (Opacus, dp_accounting, prv_accountant); the
cases are a fixed list (no randomness), so the file only changes when a peer's output does.
"""
import json
import math
import platform
import sys
import time
from pathlib import Path

import dp_accounting
import opacus
import prv_accountant
from dp_accounting import pld, rdp
from opacus.accountants import RDPAccountant
from opacus.accountants.analysis.rdp import compute_rdp
from opacus.accountants.utils import get_noise_multiplier

OUT = Path(__file__).resolve().parents[2] / "privacy-accounting" / "tests" / "golden" / "accountants.json"

# (name, noise multiplier σ, sampling rate q, steps T, δ)
CASES = [
    ("opacus_rdp_test", 1.5, 0.04, 2250, 1e-5),
    ("tf_privacy_tutorial", 1.1, 256 / 60000, 14063, 1e-5),
    ("opacus_prv_test_1", 0.8, 0.001, 100, 1e-6),
    ("opacus_prv_test_2", 1.5, 0.05, 1000, 1e-6),
    ("tf_privacy_mnist", 1.3, 150 / 60000, 6000, 1e-5),
    ("tiny_q_million_steps", 1.0, 1e-4, 1_000_000, 1e-5),
    ("tiny_q_million_steps_tiny_delta", 2.0, 1e-4, 1_000_000, 1e-10),
    ("small_sigma_tiny_q", 0.5, 1e-4, 10_000, 1e-5),
    ("small_sigma_small_q", 0.5, 0.01, 100, 1e-5),
    ("small_sigma_large_delta", 0.5, 0.001, 1000, 1e-3),
    ("sigma_0.6", 0.6, 0.02, 500, 1e-5),
    ("sigma_0.7_q_0.1", 0.7, 0.1, 50, 1e-6),
    ("full_batch_single_step", 1.0, 1.0, 1, 1e-5),
    ("full_batch_100", 5.0, 1.0, 100, 1e-5),
    ("full_batch_large_sigma", 20.0, 1.0, 1000, 1e-5),
    ("full_batch_tiny_delta", 10.0, 1.0, 10_000, 1e-10),
    ("half_batch_10", 1.0, 0.5, 10, 1e-5),
    ("half_batch_100", 2.0, 0.5, 100, 1e-5),
    ("q_0.8", 3.0, 0.8, 200, 1e-6),
    ("single_step", 1.0, 0.01, 1, 1e-5),
    ("single_step_q_0.05", 0.8, 0.05, 1, 1e-5),
    ("large_sigma_many_steps", 20.0, 0.01, 100_000, 1e-5),
    ("large_sigma_tiny_q", 20.0, 1e-4, 1_000_000, 1e-3),
    ("q_0.004_50k", 1.2, 0.004, 50_000, 1e-7),
    ("q_0.001_100k", 1.0, 0.001, 100_000, 1e-6),
    ("delta_1e-9", 1.5, 0.01, 10_000, 1e-9),
    ("delta_1e-8", 2.5, 0.02, 20_000, 1e-8),
    ("q_0.003_30k", 0.9, 0.003, 30_000, 1e-5),
    ("sigma_4_q_0.1", 4.0, 0.1, 5000, 1e-5),
    ("sigma_8_q_0.25", 8.0, 0.25, 10_000, 1e-5),
    ("q_0.064", 1.0, 0.064, 3000, 1e-5),
    ("q_0.0005_200k", 0.75, 0.0005, 200_000, 1e-5),
    ("dpgan_default_run", 1.04, 32 / 350, 274, 1e-5),
    ("q_0.2_delta_1e-4", 1.0, 0.2, 100, 1e-4),
    ("sigma_6_half_batch_tiny_delta", 6.0, 0.5, 1000, 1e-10),
    ("tiny_q_single_step", 1.3, 1e-4, 1, 1e-3),
    ("q_0.001_million", 2.0, 0.001, 1_000_000, 1e-5),
    ("small_sigma_long", 0.6, 2e-4, 500_000, 1e-6),
]

CALIBRATION = [
    # (target ε, δ, q, T, accountant)
    (1.0, 1e-5, 256 / 60000, 14063, "rdp"),
    (3.0, 1e-5, 256 / 60000, 14063, "rdp"),
    (8.0, 1e-5, 256 / 60000, 14063, "prv"),
    (3.0, 1e-5, 256 / 60000, 14063, "prv"),
    (10.0, 1e-5, 32 / 350, 274, "rdp"),
    (10.0, 1e-5, 32 / 350, 274, "prv"),
    (1.0, 1e-6, 0.01, 5000, "prv"),
    (8.0, 1e-5, 0.05, 1000, "rdp"),
    (1.0, 1e-5, 0.001, 100_000, "rdp"),
    (3.0, 1e-5, 0.02, 2000, "prv"),
]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def event(sigma, q, steps):
    return dp_accounting.SelfComposedDpEvent(
        dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps
    )


def finite_or_none(x):
    return float(x) if x is not None and math.isfinite(x) else None


def case_values(name, sigma, q, steps, delta):
    out = {"name": name, "noise_multiplier": sigma, "sample_rate": q, "steps": steps, "delta": delta}

    acc = RDPAccountant()
    acc.history = [(sigma, q, steps)]
    eps, alpha = acc.get_privacy_spent(delta=delta)
    out["rdp_opacus"] = {"epsilon": finite_or_none(eps), "order": float(alpha)} if math.isfinite(eps) else None
    vec = compute_rdp(q=q, noise_multiplier=sigma, steps=steps, orders=RDPAccountant.DEFAULT_ALPHAS)
    out["rdp_opacus_rdp_vector"] = [finite_or_none(v) for v in vec]

    acc = rdp.RdpAccountant()
    acc.compose(event(sigma, q, steps))
    eps, order = acc.get_epsilon_and_optimal_order(delta)
    out["rdp_dp_accounting"] = {"epsilon": finite_or_none(eps), "order": float(order)} if math.isfinite(eps) else None
    # dp_accounting drops orders whose fractional series does not converge in 1000 terms
    # (it logs a warning); its RDP per order shows which ones (null = dropped).
    out["rdp_dp_accounting_rdp_vector"] = [finite_or_none(v) for v in acc._rdp]

    start = time.time()
    acc = pld.PLDAccountant(
        neighboring_relation=dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE,
        value_discretization_interval=1e-4,
    )
    acc.compose(event(sigma, q, steps))
    pld_eps = acc.get_epsilon(delta)
    out["pld_dp_accounting"] = {"epsilon": finite_or_none(pld_eps)}
    probe_eps = round(pld_eps, 2)
    out["delta_for_epsilon_pld"] = {"epsilon": probe_eps, "delta": finite_or_none(acc.get_delta(probe_eps))}
    log(f"  PLD {time.time() - start:.1f}s")
    if steps >= 100_000:
        # Over very many compositions the 1e-4 grid's rounding adds up; a finer grid shows
        # where the PLD itself has converged.
        fine = pld.PLDAccountant(
            neighboring_relation=dp_accounting.NeighboringRelation.ADD_OR_REMOVE_ONE,
            value_discretization_interval=1e-5,
        )
        fine.compose(event(sigma, q, steps))
        out["pld_dp_accounting_fine"] = {"epsilon": finite_or_none(fine.get_epsilon(delta)), "value_discretization_interval": 1e-5}

    try:
        start = time.time()
        prv = prv_accountant.PRVAccountant(
            prvs=prv_accountant.PoissonSubsampledGaussianMechanism(noise_multiplier=sigma, sampling_probability=q),
            max_self_compositions=steps,
            eps_error=0.01,
            delta_error=delta / 1000,
        )
        lo, est, hi = prv.compute_epsilon(delta=delta, num_self_compositions=[steps])
        out["prv_accountant"] = {"lower": float(lo), "estimate": float(est), "upper": float(hi)}
        log(f"  PRV {time.time() - start:.1f}s")
    except Exception as err:  # a peer that cannot compute a case is recorded as null
        log(f"  prv_accountant failed on {name}: {err}")
        out["prv_accountant"] = None
    return out


def main():
    cases = []
    for c in CASES:
        log(c[0])
        cases.append(case_values(*c))
    calibration = []
    for target, delta, q, steps, accountant in CALIBRATION:
        log(f"calibrate ε={target} {accountant}")
        sigma = get_noise_multiplier(
            target_epsilon=target, target_delta=delta, sample_rate=q, steps=steps,
            accountant=accountant, epsilon_tolerance=0.01,
        )
        calibration.append({
            "target_epsilon": target, "sample_rate": q, "steps": steps, "delta": delta,
            "accountant": accountant, "noise_multiplier": float(sigma),
        })
    golden = {
        "generator": "scripts/peers/golden_accountants.py",
        "versions": {
            "opacus": opacus.__version__,
            "dp_accounting": getattr(dp_accounting, "__version__", "0.6.0"),
            "prv_accountant": getattr(prv_accountant, "__version__", "0.2.0"),
            "python": platform.python_version(),
        },
        "notes": {
            "prv_accountant": "Microsoft prv_accountant (the implementation behind Opacus's PRV accountant), eps_error 0.01, delta_error delta/1000: (lower, estimate, upper)",
            "pld_dp_accounting": "dp_accounting PLDAccountant, add/remove-one, value_discretization_interval 1e-4, pessimistic estimate (the library's default)",
            "pld_dp_accounting_fine": "the same at value_discretization_interval 1e-5, for cases of 1e5 steps or more (finer grids became unstable in dp_accounting on one case)",
            "rdp_dp_accounting_rdp_vector": "dp_accounting's composed RDP at its default orders; null where it dropped an order whose series did not converge",
        },
        "opacus_orders": [float(a) for a in RDPAccountant.DEFAULT_ALPHAS],
        "dp_accounting_orders": [float(a) for a in rdp.RdpAccountant()._orders],
        "cases": cases,
        "calibration": calibration,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(golden, indent=1, allow_nan=False) + "\n")
    log(f"wrote {OUT} ({len(cases)} cases, {len(calibration)} calibrations)")


if __name__ == "__main__":
    main()
